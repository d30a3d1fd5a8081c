# Owns the DiskFile error hierarchy (STYLE.md 9). The object server turns these into
# HTTP answers at its boundary: NotExist/Deleted/Expired/Quarantined -> 404,
# DeviceUnavailable/NoSpace/XattrSpace -> 507, Collision -> 400.
"""Errors raised by the object storage layer (DiskFile and its helpers)."""


class DiskFileError(Exception):
    """Base of every storage-layer error.

    :ivar path: the file or directory involved (or None).
    """

    def __init__(self, message='', path=None):
        super().__init__(message)
        self.path = path


class DiskFileNotOpen(DiskFileError):
    """A DiskFile method that needs ``open()`` was called before it."""


class DiskFileNotExist(DiskFileError):
    """No object is stored under this name (no .data, no .ts).

    :ivar timestamp: the newest timestamp known for the name (a tombstone's or an
        expired object's), or None; the server sends it as X-Backend-Timestamp.
    """

    def __init__(self, message='', path=None, timestamp=None):
        super().__init__(message, path)
        self.timestamp = timestamp


class DiskFileDeleted(DiskFileNotExist):
    """The newest file is a tombstone (``<ts>.ts``).

    :ivar metadata: the tombstone's metadata (``name``, ``X-Timestamp``).
    """

    def __init__(self, message='', path=None, timestamp=None, metadata=None):
        super().__init__(message, path, timestamp)
        self.metadata = metadata or {}


class DiskFileExpired(DiskFileDeleted):
    """The object has an ``X-Delete-At`` in the past: it answers as not found, though
    its files are still on disk until the expirer deletes it."""


class DiskFileQuarantined(DiskFileNotExist):
    """The object's files were bad (metadata, size or ETag) and were moved to
    ``quarantined/objects[-N]/<hash>``.

    :ivar reason: why, in words for the log.
    :ivar quarantine_path: where the hash dir went (or None if the move failed).
    """

    def __init__(self, reason, path=None, quarantine_path=None):
        super().__init__(reason, path)
        self.reason = reason
        self.quarantine_path = quarantine_path


class DiskFileCollision(DiskFileError):
    """The stored ``name`` does not match the requested name (md5 collision or a
    misplaced hash dir)."""


class DiskFileDeviceUnavailable(DiskFileError):
    """The device is not mounted (mount_check) or its directory is missing.

    :ivar device: the device name.
    """

    def __init__(self, message='', path=None, device=None):
        super().__init__(message, path)
        self.device = device


class DiskFileNoSpace(DiskFileError):
    """The device is full, or writing would eat into ``fallocate_reserve``."""


class DiskFileXattrNotSupported(DiskFileError):
    """The filesystem does not support user extended attributes at all."""


class DiskFileXattrSpaceExceeded(DiskFileNoSpace):
    """The metadata pickle does not fit in the file's extended attributes.

    ext4 keeps all of a file's xattrs in one block (about 4 KiB), so a big Swift
    metadata pickle fails with ENOSPC or E2BIG there; XFS holds 64 KiB per value.

    :ivar metadata_bytes: size of the pickle that did not fit.
    """

    def __init__(self, message='', path=None, metadata_bytes=0):
        super().__init__(message, path)
        self.metadata_bytes = metadata_bytes


class DiskFileBadMetadata(DiskFileError):
    """The metadata xattrs are missing, do not unpickle to a dict, or fail the
    checksum. Readers quarantine the object on this."""


class DiskFileBadMetadataChecksum(DiskFileBadMetadata):
    """``user.swift.metadata_checksum`` does not match the md5 of the pickle.

    :ivar stored: the checksum found in the xattr.
    :ivar computed: the md5 hex of the pickle read.
    """

    def __init__(self, message='', path=None, stored=None, computed=None):
        super().__init__(message, path)
        self.stored = stored
        self.computed = computed


class PathNotDir(DiskFileError):
    """A suffix or hash directory is missing or is not a directory."""
