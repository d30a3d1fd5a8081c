# Owns the API constraints (names, metadata, sizes). Defaults from limits.py; a cluster
# overrides them in swift.conf [swift-constraints] (Swift's rule).
"""API constraints: :class:`Constraints` and the request checks that use them."""

import configparser
import os
from dataclasses import dataclass, field, asdict

from swift.common import limits

VALID_API_VERSIONS = ('v1', 'v1.0')
_INT_FIELDS = ('max_file_size', 'max_meta_name_length', 'max_meta_value_length',
               'max_meta_count', 'max_meta_overall_size', 'max_header_size',
               'max_request_line', 'max_object_name_length', 'container_listing_limit',
               'account_listing_limit', 'max_account_name_length',
               'max_container_name_length', 'extra_header_count')


class ConstraintError(ValueError):
    """A request breaks a constraint.

    :ivar status: HTTP status the proxy/server answers (400, 412, 413, ...).
    :ivar body: short text body for the client.
    """

    def __init__(self, body, status=400):
        super().__init__(body)
        self.body = body
        self.status = status


@dataclass(frozen=True)
class Constraints:
    """The cluster's API limits (Swift's names; see limits.py for defaults)."""
    max_file_size: int = limits.object_bytes_max
    max_meta_name_length: int = limits.meta_name_bytes_max
    max_meta_value_length: int = limits.meta_value_bytes_max
    max_meta_count: int = limits.meta_count_max
    max_meta_overall_size: int = limits.meta_overall_bytes_max
    max_header_size: int = limits.header_bytes_max
    max_request_line: int = limits.request_line_bytes_max
    max_object_name_length: int = limits.object_name_bytes_max
    container_listing_limit: int = limits.container_listing_limit_max
    account_listing_limit: int = limits.account_listing_limit_max
    max_account_name_length: int = limits.account_name_bytes_max
    max_container_name_length: int = limits.container_name_bytes_max
    extra_header_count: int = limits.extra_header_count
    valid_api_versions: tuple = field(default=VALID_API_VERSIONS)
    auto_create_account_prefix: str = '.'

    @classmethod
    def from_swift_dir(cls, swift_dir):
        """Defaults overridden by ``<swift_dir>/swift.conf`` [swift-constraints].

        :raises ValueError: for a non-integer override.
        """
        parser = configparser.RawConfigParser()
        parser.read(os.path.join(swift_dir, 'swift.conf'))
        if not parser.has_section('swift-constraints'):
            return cls()
        kwargs = {}
        for name, value in parser.items('swift-constraints'):
            if name in _INT_FIELDS:
                kwargs[name] = int(value)
            elif name == 'valid_api_versions':
                kwargs[name] = tuple(v.strip() for v in value.split(',') if v.strip())
            elif name == 'auto_create_account_prefix':
                kwargs[name] = value
        return cls(**kwargs)

    def as_info(self):
        """The dict /info publishes under ``swift``."""
        info = asdict(self)
        info['valid_api_versions'] = list(self.valid_api_versions)
        del info['auto_create_account_prefix']
        return info

    @property
    def max_header_count(self):
        """Swift's MAX_HEADER_COUNT = max_meta_count + 36 + extra_header_count."""
        return self.max_meta_count + 36 + self.extra_header_count


def valid_utf8(value):
    """True if ``value`` (str as WSGI latin-1, or bytes) is UTF-8 without NUL."""
    if isinstance(value, str):
        try:
            value = value.encode('latin-1')
        except UnicodeEncodeError:
            value = value.encode('utf-8', 'surrogateescape')
    if b'\x00' in value:
        return False
    try:
        # Python's strict UTF-8 codec also refuses encoded surrogates (ED A0..BF xx),
        # so a successful decode is the whole check
        value.decode('utf-8')
    except UnicodeDecodeError:
        return False
    return True


def _meta_prefix(target):
    return 'x-%s-meta-' % target


def check_metadata(headers, target, constraints, existing=None):
    """Check user metadata headers of one request (plus ``existing`` stored items).

    :param headers: mapping of request headers.
    :param target: ``'account'``, ``'container'`` or ``'object'``.
    :param existing: mapping ``{meta-key-lowercase: value}`` already stored, for the
        cumulative rule of account/container POSTs (field case BL-05); None for objects.
    :raises ConstraintError: 400 with Swift's message.
    """
    prefix = _meta_prefix(target)
    items = dict(existing or {})
    for key, value in headers.items():
        lower = key.lower()
        if lower.startswith('x-remove-%s-meta-' % target):
            items.pop(prefix + lower[len('x-remove-%s-meta-' % target):], None)
            continue
        if not lower.startswith(prefix):
            continue
        name = lower[len(prefix):]
        if isinstance(value, str) and not valid_utf8(value):
            raise ConstraintError('Metadata must be valid UTF-8')
        if not name:
            raise ConstraintError('Metadata name cannot be empty')
        if len(name) > constraints.max_meta_name_length:
            raise ConstraintError('Metadata name too long: %s%s' % (prefix, name))
        if len(value) > constraints.max_meta_value_length:
            raise ConstraintError('Metadata value longer than %d: %s%s'
                                  % (constraints.max_meta_value_length, prefix, name))
        if value == '':
            items.pop(prefix + name, None)
        else:
            items[prefix + name] = value
    if len(items) > constraints.max_meta_count:
        raise ConstraintError('Too many metadata items; max %d'
                              % constraints.max_meta_count)
    size = sum(len(k) - len(prefix) + len(v) for k, v in items.items())
    if size > constraints.max_meta_overall_size:
        raise ConstraintError('Total metadata too large; max %d'
                              % constraints.max_meta_overall_size)


def check_name(name, kind, constraints):
    """Check an account/container/object name as Swift does.

    :param name: WSGI str (latin-1 of the UTF-8 bytes).
    :param kind: ``'account'``, ``'container'`` or ``'object'``.
    :raises ConstraintError: 400 for invalid UTF-8/NUL or too long; 412 for bad
        account/container names (Swift answers 412 for ``/`` in container names).
    """
    if not valid_utf8(name):
        raise ConstraintError('Invalid UTF8 or contains NULL', 412 if kind != 'object'
                              else 400)
    maximum = {'account': constraints.max_account_name_length,
               'container': constraints.max_container_name_length,
               'object': constraints.max_object_name_length}[kind]
    if len(name) > maximum:
        if kind == 'object':
            raise ConstraintError('Object name length of %d longer than %d'
                                  % (len(name), maximum))
        raise ConstraintError('%s name length of %d longer than %d'
                              % (kind.title(), len(name), maximum))
    if kind != 'object' and name in ('.', '..'):
        raise ConstraintError('%s name cannot be "." or ".."' % kind.title())
