# Every load of a Swift pickle (object metadata xattrs, hashes.pkl, async pendings,
# builder files, DB pending records, REPLICATE bodies) goes through here, so a
# tampered file cannot run code: only plain types are admitted (STYLE.md 12).
"""Restricted unpickling of Swift's pickle formats."""

import array
import codecs
import copyreg
import io
import pickle

from swift.common.header_key_dict import HeaderKeyDict


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle names a global outside the admitted plain types.

    :ivar module: module named by the pickle.
    :ivar name: attribute named by the pickle.
    """

    def __init__(self, module, name):
        super().__init__('refusing to load global %s.%s' % (module, name))
        self.module = module
        self.name = name


def _reconstructor(cls, base, state):
    # copy_reg._reconstructor as protocol-0 pickles of dict subclasses use it;
    # only HeaderKeyDict over dict is admitted (see find_class).
    if cls is not HeaderKeyDict or base is not dict:
        raise UnsafePickleError(getattr(cls, '__module__', '?'),
                                getattr(cls, '__name__', '?'))
    obj = HeaderKeyDict()
    if state:
        obj.update(state)
    return obj


def _empty_bytes(*args):
    # Protocol 2 has no bytes opcode: an empty bytes value (an empty metadata value,
    # as Swift writes it) is pickled as a call of __builtin__.bytes with no argument.
    # Only that call is admitted (bytes(N) would allocate N bytes).
    if args:
        raise UnsafePickleError('builtins', 'bytes with arguments')
    return b''


_ALLOWED = {
    ('__builtin__', 'bytes'): _empty_bytes,
    ('builtins', 'bytes'): _empty_bytes,
    ('_codecs', 'encode'): codecs.encode,
    ('codecs', 'encode'): codecs.encode,
    ('array', 'array'): array.array,
    ('array', '_array_reconstructor'): getattr(array, '_array_reconstructor'),
    ('copy_reg', '_reconstructor'): _reconstructor,
    ('copyreg', '_reconstructor'): _reconstructor,
    ('__builtin__', 'dict'): dict,
    ('builtins', 'dict'): dict,
    ('__builtin__', 'object'): object,
    ('builtins', 'object'): object,
    ('__builtin__', 'set'): set,
    ('builtins', 'set'): set,
    ('__builtin__', 'frozenset'): frozenset,
    ('builtins', 'frozenset'): frozenset,
    ('swift.common.header_key_dict', 'HeaderKeyDict'): HeaderKeyDict,
}


class SafeUnpickler(pickle.Unpickler):
    """An Unpickler that resolves only the globals in ``_ALLOWED``."""

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(module, name)


def safe_loads(data, encoding='bytes'):
    """Unpickle ``data`` (bytes) admitting only plain types.

    :param encoding: how py2 ``str`` pickles decode (``'bytes'`` keeps them bytes,
        as Swift reads metadata).
    :raises UnsafePickleError: for a disallowed global.
    :raises pickle.UnpicklingError, EOFError, ValueError: for corrupt data.
    """
    return SafeUnpickler(io.BytesIO(data), encoding=encoding).load()


def safe_load(fileobj, encoding='bytes'):
    """Like :func:`safe_loads` but reads from a binary file object."""
    return SafeUnpickler(fileobj, encoding=encoding).load()


__all__ = ['safe_loads', 'safe_load', 'UnsafePickleError', 'SafeUnpickler',
           'copyreg']
