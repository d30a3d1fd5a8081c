# Owns the object metadata xattr format (doc/formats/object-metadata.md). Rules (Swift's):
#   * the metadata dict is pickled with protocol 2 after encoding every str key and value
#     to UTF-8 bytes; on Python 3 each bytes object pickles as
#     ``_codecs.encode(<latin-1 text>, 'latin1')``, which is how readers know the data was
#     written by Python 3 (that marker shows within the first 32 bytes);
#   * the pickle is cut into 65536-byte slices stored as ``user.swift.metadata``,
#     ``user.swift.metadata1``, ``user.swift.metadata2``...;
#   * ``user.swift.metadata_checksum`` holds the md5 hex (ASCII) of the whole pickle;
#   * every load goes through swift.common.safe_pickle (plain types only).
"""Encode/decode object metadata and store it in a file's extended attributes."""

import errno
import os
import pickle

from swift.common import limits
from swift.common.hashing import md5_hex
from swift.common.safe_pickle import safe_loads
from swift.obj.errors import (DiskFileBadMetadata, DiskFileBadMetadataChecksum,
                              DiskFileNotExist, DiskFileXattrNotSupported,
                              DiskFileXattrSpaceExceeded)

METADATA_KEY = 'user.swift.metadata'
CHECKSUM_KEY = 'user.swift.metadata_checksum'
PICKLE_PROTOCOL = 2
PY3_MARKER = b'_codecs\nencode'
XATTR_SLICE_BYTES = limits.xattr_chunk_bytes
_NO_ATTR = {errno.ENODATA, getattr(errno, 'ENOATTR', errno.ENODATA)}
_NOT_SUPPORTED = {errno.ENOTSUP, errno.EOPNOTSUPP}
_TOO_BIG = {errno.ENOSPC, errno.E2BIG, errno.EDQUOT, errno.ERANGE}


class OsXattrs:
    """Extended attributes through ``os.getxattr``/``os.setxattr`` (Linux).

    Tests pass a fake with the same three methods to simulate filesystems.
    ``target`` is a file descriptor (int) or a path.
    """

    @staticmethod
    def get(target, name):
        """:returns: bytes. :raises OSError: ENODATA when absent."""
        return os.getxattr(target, name)

    @staticmethod
    def set(target, name, value):
        """:raises OSError: ENOSPC/E2BIG when it does not fit, ENOTSUP..."""
        os.setxattr(target, name, value)

    @staticmethod
    def remove(target, name):
        os.removexattr(target, name)


OS_XATTRS = OsXattrs()


def _encode_item(item):
    if isinstance(item, str):
        return item.encode('utf-8', 'surrogateescape')
    if isinstance(item, bytes):
        return item
    return str(item).encode('utf-8')


def encode_metadata(metadata):
    """Pickle ``metadata`` exactly as Swift (Python 3) does.

    :param metadata: dict of str -> str (header values as WSGI strings, ``name`` as
        real text); insertion order is kept in the pickle.
    :returns: bytes of a protocol-2 pickle of a bytes -> bytes dict.
    """
    encoded = {_encode_item(key): _encode_item(value) for key, value in metadata.items()}
    return pickle.dumps(encoded, PICKLE_PROTOCOL)


def _to_str(item, written_by_py3, is_name):
    if not isinstance(item, bytes):
        return item
    if written_by_py3 or is_name:
        # py3 Swift stored WSGI strings UTF-8 encoded once more; one decode gives them
        # back (and gives the real name text, which was encoded only once).
        return item.decode('utf-8', 'surrogateescape')
    # py2 Swift stored native (byte) strings: latin-1 gives the WSGI string.
    return item.decode('latin-1')


def decode_metadata(pickled):
    """Unpickle a metadata pickle written by Swift (Python 2 or 3) or by us.

    :param pickled: the whole pickle (all xattr slices joined).
    :returns: dict of str -> str in stored order.
    :raises DiskFileBadMetadata: when it does not unpickle to a dict.
    """
    try:
        loaded = safe_loads(pickled, encoding='bytes')
    except Exception as err:  # any unpickling failure means bad metadata
        raise DiskFileBadMetadata('Error unpickling metadata: %s' % err)
    if not isinstance(loaded, dict):
        raise DiskFileBadMetadata('Metadata is a %s, not a dict' % type(loaded).__name__)
    written_by_py3 = PY3_MARKER in pickled[:32]
    result = {}
    for key, value in loaded.items():
        key = _to_str(key, written_by_py3, False)
        result[key] = _to_str(value, written_by_py3, key == 'name')
    return result


def xattr_items(pickled):
    """The xattrs Swift stores for one pickle, in write order.

    :returns: list of (name, bytes): slices under ``user.swift.metadata[N]`` then the
        checksum under ``user.swift.metadata_checksum``.
    """
    items = []
    for index, start in enumerate(range(0, max(len(pickled), 1), XATTR_SLICE_BYTES)):
        items.append(('%s%s' % (METADATA_KEY, index or ''),
                      pickled[start:start + XATTR_SLICE_BYTES]))
    items.append((CHECKSUM_KEY, md5_hex(pickled).encode('ascii')))
    return items


def write_metadata(target, metadata, xattrs=OS_XATTRS):
    """Store ``metadata`` in the xattrs of ``target`` (fd or path).

    :raises DiskFileXattrSpaceExceeded: the filesystem refused the size (ENOSPC,
        E2BIG, EDQUOT); ext4 allows about 4 KiB of xattrs per file.
    :raises DiskFileXattrNotSupported: the filesystem has no user xattrs.
    """
    pickled = encode_metadata(metadata)
    path = target if isinstance(target, str) else None
    for name, value in xattr_items(pickled):
        try:
            xattrs.set(target, name, value)
        except OSError as err:
            if err.errno in _NOT_SUPPORTED:
                raise DiskFileXattrNotSupported(
                    'Filesystem does not support user xattrs: %s' % err, path)
            if err.errno in _TOO_BIG:
                raise DiskFileXattrSpaceExceeded(
                    'Object metadata of %d bytes does not fit in the extended '
                    'attributes of this filesystem (%s); use XFS for devices'
                    % (len(pickled), os.strerror(err.errno)), path, len(pickled))
            raise


def read_pickled_metadata(target, xattrs=OS_XATTRS):
    """Read and join the metadata xattr slices of ``target`` and verify the checksum.

    :returns: the pickle bytes.
    :raises DiskFileNotExist: the file itself is gone.
    :raises DiskFileXattrNotSupported: the filesystem has no user xattrs.
    :raises DiskFileBadMetadata: no metadata xattr at all.
    :raises DiskFileBadMetadataChecksum: stored checksum differs.
    """
    path = target if isinstance(target, str) else None
    chunks = []
    while True:
        name = '%s%s' % (METADATA_KEY, len(chunks) or '')
        try:
            chunks.append(xattrs.get(target, name))
        except OSError as err:
            if err.errno in _NOT_SUPPORTED:
                raise DiskFileXattrNotSupported(str(err), path)
            if err.errno == errno.ENOENT:
                raise DiskFileNotExist(str(err), path)
            if err.errno in _NO_ATTR:
                break
            raise
    pickled = b''.join(chunks)
    if not pickled:
        raise DiskFileBadMetadata('No metadata xattr found', path)
    try:
        stored = xattrs.get(target, CHECKSUM_KEY)
    except OSError as err:
        if err.errno not in _NO_ATTR:
            raise
        stored = None  # legacy objects carry no checksum
    if stored is not None:
        computed = md5_hex(pickled).encode('ascii')
        if stored != computed:
            raise DiskFileBadMetadataChecksum(
                'Metadata checksum mismatch: stored %r, computed %r' % (stored, computed),
                path, stored, computed)
    return pickled


def read_metadata(target, xattrs=OS_XATTRS):
    """Read the metadata dict stored on ``target`` (fd or path).

    :returns: dict of str -> str.
    :raises DiskFileBadMetadata: missing/corrupt pickle or checksum mismatch (the
        caller quarantines).
    :raises DiskFileNotExist, DiskFileXattrNotSupported: see
        :func:`read_pickled_metadata`.
    """
    return decode_metadata(read_pickled_metadata(target, xattrs))
