# Owns hash_path and the [swift-hash] prefix/suffix. Rule (Swift's, swift-catalog.md 2.6):
# md5(prefix + b"/" + b"/".join(parts) + suffix), names utf-8 encoded.
"""Name hashing: :func:`hash_path` and the cluster's hash path prefix/suffix."""

import configparser
import hashlib
import os
from dataclasses import dataclass


class HashPathConfigError(ValueError):
    """swift.conf lacks both swift_hash_path_prefix and swift_hash_path_suffix."""


@dataclass(frozen=True)
class HashPathConfig:
    """The secret salts of a cluster, from swift.conf ``[swift-hash]``.

    :param prefix: bytes prepended before the leading ``/``.
    :param suffix: bytes appended after the path.
    """
    prefix: bytes = b''
    suffix: bytes = b''

    @classmethod
    def from_swift_conf(cls, path):
        """Read ``[swift-hash]`` from the swift.conf at ``path``.

        Values are encoded latin-1 as Swift does.

        :raises HashPathConfigError: if neither value is set or the file is unreadable.
        """
        parser = configparser.RawConfigParser()
        if not parser.read(path):
            raise HashPathConfigError('Unable to read %s' % path)
        prefix = parser.get('swift-hash', 'swift_hash_path_prefix', fallback='')
        suffix = parser.get('swift-hash', 'swift_hash_path_suffix', fallback='')
        if not prefix and not suffix:
            raise HashPathConfigError(
                'Error: [swift-hash]: both swift_hash_path_suffix and '
                'swift_hash_path_prefix are missing from %s' % path)
        return cls(prefix.encode('latin-1'), suffix.encode('latin-1'))

    @classmethod
    def from_swift_dir(cls, swift_dir):
        """Read ``<swift_dir>/swift.conf`` (see :meth:`from_swift_conf`)."""
        return cls.from_swift_conf(os.path.join(swift_dir, 'swift.conf'))


def _to_bytes(value):
    if isinstance(value, bytes):
        return value
    return value.encode('utf-8')


def hash_path(account, container=None, obj=None, raw_digest=False,
              config=HashPathConfig()):
    """Return the md5 of ``/account[/container[/object]]`` salted by ``config``.

    :param account: str or bytes.
    :param container: str/bytes or None.
    :param obj: str/bytes or None; requires ``container``.
    :param raw_digest: return the 16 raw bytes instead of 32 hex chars.
    :param config: :class:`HashPathConfig` with the cluster's prefix and suffix.
    :returns: str (hex) or bytes (raw digest).
    :raises ValueError: if ``obj`` is given without ``container``.
    """
    if obj is not None and container is None:
        raise ValueError('container is required if object is provided')
    parts = [_to_bytes(account)]
    if container is not None:
        parts.append(_to_bytes(container))
    if obj is not None:
        parts.append(_to_bytes(obj))
    digest = hashlib.md5(config.prefix + b'/' + b'/'.join(parts) + config.suffix,
                         usedforsecurity=False)
    return digest.digest() if raw_digest else digest.hexdigest()


def md5_hex(data=b''):
    """md5 hex digest of ``data`` (not for security)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def new_md5():
    """A fresh md5 hasher (not for security), for streamed ETags."""
    return hashlib.md5(usedforsecurity=False)


# Streams at least this long are hashed by a thread beside the I/O (a thread costs
# ~50 us to start; md5 runs at ~850 MB/s on one core, a third of a big GET's CPU).
BACKGROUND_MD5_MIN_BYTES = 4 * 1024 * 1024


def streaming_md5(expected_bytes):
    """An md5 hasher for a stream of ``expected_bytes`` (None when unknown): hashed in a
    background OS thread (:class:`swift.common.concurrency.BackgroundMd5`) for long
    streams, in the caller otherwise. Both offer ``update`` and ``hexdigest``."""
    if expected_bytes is not None and expected_bytes >= BACKGROUND_MD5_MIN_BYTES:
        from swift.common.concurrency import BackgroundMd5
        return BackgroundMd5()
    return new_md5()
