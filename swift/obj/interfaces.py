# Owns the storage contract the object server, ssync, the auditor and the updater code
# against (STYLE.md 13). swift.obj.diskfile is the real implementation; a test double
# only has to satisfy these Protocols. Errors are those of swift.obj.errors.
"""Protocols of the object storage layer: manager, DiskFile, writer, reader."""

from typing import ContextManager, Dict, Iterable, Iterator, Optional, Protocol, \
    Tuple, runtime_checkable

from swift.common.timestamp import Timestamp


@runtime_checkable
class DiskFileReaderProtocol(Protocol):
    """Body of an opened object; verifies size and md5 after a full read."""

    def __iter__(self) -> Iterator[bytes]:
        """The whole body in disk-chunk-sized pieces."""

    def app_iter_range(self, start: int, stop: Optional[int]) -> Iterator[bytes]:
        """Bytes ``[start, stop)`` (``stop`` None = to the end)."""

    def app_iter_ranges(self, ranges, content_type: str, boundary: str,
                        size: int) -> Iterator[bytes]:
        """A ``multipart/byteranges`` body for ``ranges`` [(start, stop), ...]."""

    def close(self) -> None:
        """Release the file; quarantines the object if a full read mismatched."""


@runtime_checkable
class DiskFileWriterProtocol(Protocol):
    """A new file being written; invisible until :meth:`put`."""

    def write(self, chunk: bytes) -> int:
        """Append bytes; returns the total written. Raises DiskFileNoSpace."""

    def chunks_finished(self) -> Tuple[int, str]:
        """(bytes written, md5 hex)."""

    def put(self, metadata: Dict[str, str], ext: str = '.data') -> None:
        """Make the file durable and visible with ``metadata`` (adds ``name``).
        Raises DiskFileXattrSpaceExceeded / DiskFileNoSpace leaving nothing behind."""

    def commit(self, timestamp: Timestamp) -> None:
        """Durability marker (a no-op for replication policies)."""


@runtime_checkable
class DiskFileProtocol(Protocol):
    """One object (hash dir)."""

    name: Optional[str]
    datadir: str

    def open(self, current_time: Optional[float] = None) -> 'DiskFileProtocol':
        """Resolve files and read metadata. Raises DiskFileNotExist (and subclasses
        Deleted/Expired/Quarantined) or DiskFileCollision."""

    def close(self) -> None:
        """Release the data file if no reader took it."""

    def get_metadata(self) -> Dict[str, str]:
        """Merged .data + .meta metadata."""

    def get_datafile_metadata(self) -> Dict[str, str]:
        """Metadata of the .data alone."""

    def get_metafile_metadata(self) -> Optional[Dict[str, str]]:
        """Metadata of the applicable .meta (without ``name``), or None."""

    def read_metadata(self, current_time: Optional[float] = None) -> Dict[str, str]:
        """open + get_metadata + close."""

    def reader(self, keep_cache: bool = False) -> DiskFileReaderProtocol:
        """Hand the open data file to a reader."""

    def create(self, size: Optional[int] = None) -> ContextManager[DiskFileWriterProtocol]:
        """A writer on a fresh temp file (``size`` bytes expected, None if unknown)."""

    def write_metadata(self, metadata: Dict[str, str]) -> None:
        """Write a fast-POST .meta."""

    def delete(self, timestamp: Timestamp) -> None:
        """Write a tombstone."""


@runtime_checkable
class DiskFileManagerProtocol(Protocol):
    """All objects of one node's devices."""

    def get_dev_path(self, device: str, mount_check: Optional[bool] = None
                     ) -> Optional[str]:
        """``<devices>/<device>`` if usable, else None."""

    def get_diskfile(self, device: str, partition: str, account: str, container: str,
                     obj: str, policy_index: int = 0,
                     open_expired: bool = False) -> DiskFileProtocol:
        """A DiskFile by name. Raises DiskFileDeviceUnavailable."""

    def get_diskfile_from_hash(self, device: str, partition: str, object_hash: str,
                               policy_index: int = 0) -> DiskFileProtocol:
        """A DiskFile by hash (name read from its metadata)."""

    def get_hashes(self, device: str, partition: str, suffixes: Iterable[str] = (),
                   policy_index: int = 0) -> Dict[str, str]:
        """{suffix: md5hex} of a partition, recomputing invalid suffixes."""

    def invalidate_suffixes(self, device: str, partition: str, suffixes: Iterable[str],
                            policy_index: int = 0) -> None:
        """Mark suffixes for rehash."""

    def replication_lock(self, device: str, partition: str,
                         policy_index: int = 0) -> ContextManager[None]:
        """Device then partition replication lock."""

    def pickle_async_update(self, device: str, account: str, container: str, obj: str,
                            update: dict, timestamp, policy_index: int = 0) -> str:
        """Save a container update for the object-updater; returns its path."""

    def quarantine(self, hash_dir: str, reason: str) -> str:
        """Move a hash dir to quarantine; returns where it went."""
