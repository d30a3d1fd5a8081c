# Owns object storage on local devices in Swift's layout (swift-catalog.md 3):
#   <devices>/<dev>/objects[-N]/<part>/<suffix>/<hash>/<ts>.{data,ts,meta}
#   <devices>/<dev>/tmp[-N]/ (temp files), quarantined/objects[-N]/<hash>[-<uuid>]
# Rules:
#   * a write is invisible until complete: temp file in tmp[-N], fallocate, fsync,
#     metadata xattrs, rename into the hash dir, fsync the dir; then obsolete files are
#     removed and the suffix is invalidated in hashes.invalid;
#   * a failed write (no space, xattrs too big, client gone) removes its temp file and
#     leaves the previous version untouched;
#   * bad metadata, a name that does not hash to its dir, a size mismatch, or (after a
#     full read) an md5 mismatch moves the hash dir to quarantine and answers "not found".
"""DiskFile: read, write, delete and quarantine objects on local devices."""

import contextlib
import errno
import fcntl
import os
import tempfile
import uuid
from dataclasses import dataclass

from swift.common import concurrency, fs, limits
from swift.common.config import config_bool, config_number
from swift.common.hashing import HashPathConfig, hash_path, streaming_md5
from swift.common.storage_policy import get_policy_string, split_policy_string
from swift.common.timestamp import Timestamp
from swift.obj import hashes as hashes_mod
from swift.obj.async_pending import write_async_pending
from swift.obj.errors import (DiskFileBadMetadata, DiskFileCollision, DiskFileDeleted,
                              DiskFileDeviceUnavailable, DiskFileError, DiskFileExpired,
                              DiskFileNoSpace, DiskFileNotExist, DiskFileNotOpen,
                              DiskFileQuarantined)
from swift.obj.metadata import OS_XATTRS, read_metadata, write_metadata
from swift.obj.ondisk import (DATA_EXT, META_EXT, TOMBSTONE_EXT, cleanup_hash_dir,
                              make_filename, resolve_files)
from swift.obj.reader import DiskFileReader

__all__ = ['DiskFileConfig', 'DiskFileManager', 'DiskFile', 'DiskFileWriter',
           'DiskFileReader', 'Reserve', 'get_data_dir', 'get_tmp_dir']

DATADIR_BASE = 'objects'
TMP_BASE = 'tmp'
QUARANTINE_DIR = 'quarantined'
# data-file keys a .meta never overrides (Swift's RESERVED_DATAFILE_META plus the SLO
# marker); object sysmeta is kept from the .data as well
_DATAFILE_KEYS = {'content-length', 'deleted', 'etag', 'x-static-large-object'}


@dataclass(frozen=True)
class Reserve:
    """``fallocate_reserve``: free space to keep, in bytes or percent."""
    value: float = 1.0
    is_percent: bool = True

    @classmethod
    def parse(cls, text):
        """``'1%'`` -> 1 percent; ``'1048576'`` -> bytes. :raises ValueError:"""
        text = str(text).strip()
        if text.endswith('%'):
            return cls(float(text[:-1]), True)
        return cls(float(text), False)


@dataclass(frozen=True)
class DiskFileConfig:
    """Storage options of the object server and its daemons (Swift's names/defaults).

    :ivar devices: root of the device dirs.
    :ivar mount_check: require each device dir to be a mount point.
    :ivar reclaim_age_s: tombstones older than this are removed (seconds).
    :ivar fallocate_reserve: space to keep free; writes that would cut into it fail 507.
    :ivar disk_chunk_bytes: read size for GETs.
    :ivar mb_per_sync: fdatasync every this many MiB written.
    :ivar keep_cache_bytes: objects up to this size stay in the page cache.
    :ivar disable_fallocate: skip reserving space up front (the fallocate_reserve
        check still applies), for filesystems without fallocate.
    :ivar lock_timeout_s: partition lock wait (hashes.pkl / hashes.invalid).
    :ivar replication_lock_timeout_s: wait for a device's replication lock
        (``replication_lock_timeout``).
    :ivar replication_concurrency_per_device: replication jobs allowed at once on one
        device (``replication_concurrency_per_device``; 0 = no device lock).
    """
    devices: str = '/srv/node'
    mount_check: bool = True
    reclaim_age_s: float = float(limits.reclaim_age_s)
    fallocate_reserve: Reserve = Reserve()
    disk_chunk_bytes: int = limits.disk_chunk_bytes
    mb_per_sync: int = 512
    keep_cache_bytes: int = 5242880
    disable_fallocate: bool = False
    lock_timeout_s: float = 10.0
    replication_lock_timeout_s: float = 15.0
    replication_concurrency_per_device: int = 1

    @classmethod
    def from_conf(cls, conf):
        """Build from a conf dict. :raises swift.common.config.ConfigError: naming the
        bad option."""
        from swift.common.config import ConfigError
        try:
            reserve = Reserve.parse(conf.get('fallocate_reserve', '1%'))
        except ValueError:
            raise ConfigError('Invalid fallocate_reserve %r'
                              % conf.get('fallocate_reserve'), option='fallocate_reserve')
        return cls(
            devices=conf.get('devices', '/srv/node'),
            mount_check=config_bool(conf.get('mount_check', 'true'), 'mount_check'),
            reclaim_age_s=config_number(conf.get('reclaim_age', limits.reclaim_age_s),
                                        float, 'reclaim_age', 0),
            fallocate_reserve=reserve,
            disk_chunk_bytes=config_number(conf.get('disk_chunk_size',
                                                    limits.disk_chunk_bytes),
                                           int, 'disk_chunk_size', 1),
            mb_per_sync=config_number(conf.get('mb_per_sync', 512), int, 'mb_per_sync', 1),
            keep_cache_bytes=config_number(conf.get('keep_cache_size', 5242880), int,
                                           'keep_cache_size', 0),
            disable_fallocate=config_bool(conf.get('disable_fallocate', 'false'),
                                          'disable_fallocate'),
            replication_lock_timeout_s=config_number(
                conf.get('replication_lock_timeout', 15), float,
                'replication_lock_timeout', 0),
            replication_concurrency_per_device=config_number(
                conf.get('replication_concurrency_per_device', 1), int,
                'replication_concurrency_per_device', 0))


def _try_flock(fd):
    """Take an exclusive flock without waiting. :returns: True if taken."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as err:
        if err.errno not in (errno.EAGAIN, errno.EACCES):
            raise
        return False


def get_data_dir(policy_index):
    """``objects`` or ``objects-N``."""
    return get_policy_string(DATADIR_BASE, policy_index)


def get_tmp_dir(policy_index):
    """``tmp`` or ``tmp-N``."""
    return get_policy_string(TMP_BASE, policy_index)


class DiskFileManager:
    """Finds devices and builds :class:`DiskFile` objects for one node.

    :param config: :class:`DiskFileConfig`.
    :param logger: logger adapter.
    :param clock: object with ``time()`` (swift.common.clock.Clock).
    :param hash_config: the cluster's :class:`HashPathConfig`.
    :param xattrs: xattr accessor (swift.obj.metadata.OsXattrs interface).
    :param statvfs: ``os.statvfs``-like callable, for the fallocate reserve.
    :param is_mount: callable(path) -> bool, for mount_check.
    """

    def __init__(self, config, *, logger, clock, hash_config=HashPathConfig(),
                 xattrs=OS_XATTRS, statvfs=os.statvfs, is_mount=fs.is_mount):
        self.config = config
        self.logger = logger
        self.clock = clock
        self.hash_config = hash_config
        self.xattrs = xattrs
        self.statvfs = statvfs
        self.is_mount = is_mount

    # devices and paths

    def get_dev_path(self, device, mount_check=None):
        """``<devices>/<device>`` if usable, else None.

        :param mount_check: override of the configured mount_check.
        """
        if not device or '/' in device or device in ('.', '..'):
            return None
        path = os.path.join(self.config.devices, device)
        check = self.config.mount_check if mount_check is None else mount_check
        if check:
            return path if self.is_mount(path) else None
        return path if os.path.isdir(path) else None

    def _dev_path_or_raise(self, device):
        path = self.get_dev_path(device)
        if path is None:
            raise DiskFileDeviceUnavailable('Device %s is not available' % device,
                                            device=device)
        return path

    def partition_path(self, device, partition, policy_index):
        """``<devices>/<dev>/objects[-N]/<part>``. :raises DiskFileDeviceUnavailable:"""
        return os.path.join(self._dev_path_or_raise(device), get_data_dir(policy_index),
                            str(partition))

    def get_diskfile(self, device, partition, account, container, obj, policy_index=0,
                     open_expired=False):
        """A :class:`DiskFile` for ``/account/container/obj`` (real text names).

        :raises DiskFileDeviceUnavailable: device not mounted/missing (507).
        """
        device_path = self._dev_path_or_raise(device)
        name = '/%s/%s/%s' % (account, container, obj)
        object_hash = hash_path(account, container, obj, config=self.hash_config)
        return DiskFile(self, device_path, partition, object_hash, policy_index,
                        name=name, open_expired=open_expired)

    def get_diskfile_from_hash(self, device, partition, object_hash, policy_index=0):
        """A :class:`DiskFile` for a known hash (name read from metadata)."""
        device_path = self._dev_path_or_raise(device)
        return DiskFile(self, device_path, partition, object_hash, policy_index,
                        open_expired=True)

    # partition-level operations

    def get_hashes(self, device, partition, suffixes=(), policy_index=0):
        """Suffix hashes of a partition (REPLICATE without suffixes).

        :param suffixes: suffixes to rehash even if hashes.pkl has them.
        :returns: dict {suffix: md5hex} without the ``valid``/``updated`` keys of
            hashes.pkl (as Swift returns it); {} for a partition that does not exist.
        :raises DiskFileDeviceUnavailable: device not mounted/missing.
        """
        part_path = self.partition_path(device, partition, policy_index)
        if not os.path.isdir(part_path):
            return {}
        _, found = hashes_mod.get_hashes(
            part_path, recalculate=list(suffixes), now=self.clock.time(),
            reclaim_age_s=self.config.reclaim_age_s, logger=self.logger,
            quarantine=self._quarantine_hash_path, clock=self.clock.time,
            lock_timeout_s=self.config.lock_timeout_s)
        return {k: v for k, v in found.items() if k not in ('valid', 'updated')}

    def invalidate_suffixes(self, device, partition, suffixes, policy_index=0):
        """Mark ``suffixes`` for rehash (REPLICATE with suffixes)."""
        part_path = self.partition_path(device, partition, policy_index)
        fs.mkdirs(part_path)
        for suffix in suffixes:
            hashes_mod.invalidate_hash(os.path.join(part_path, suffix),
                                       self.config.lock_timeout_s)

    @contextlib.contextmanager
    def replication_lock(self, device, partition, policy_index=0):
        """Hold one of the device's replication locks, then the partition's
        ``.lock-replication`` (Swift's order and names: ``<dev>/.lock``, ``.lock-1``...
        up to ``replication_concurrency_per_device``).

        :raises swift.common.fs.LockTimeout: after ``replication_lock_timeout_s`` in
            all (device and partition waits together).
        """
        device_path = self._dev_path_or_raise(device)
        part_path = os.path.join(device_path, get_data_dir(policy_index), str(partition))
        timeout_s = self.config.replication_lock_timeout_s
        deadline = self.clock.monotonic() + timeout_s
        with self._device_lock(device_path, timeout_s):
            remaining = max(0.0, deadline - self.clock.monotonic())
            with fs.lock_path(part_path, timeout_s=remaining, name='replication',
                              sleep=self.clock.sleep, monotonic=self.clock.monotonic):
                yield

    @contextlib.contextmanager
    def _device_lock(self, device_path, timeout_s):
        """Flock any free one of ``replication_concurrency_per_device`` lock files."""
        limit = self.config.replication_concurrency_per_device
        if limit < 1:
            yield None
            return
        names = [os.path.join(device_path, '.lock' + ('-%d' % i if i else ''))
                 for i in range(limit)]
        fds = [os.open(name, os.O_WRONLY | os.O_CREAT, 0o644) for name in names]
        try:
            deadline = self.clock.monotonic() + timeout_s
            while not any(_try_flock(fd) for fd in fds):
                if self.clock.monotonic() >= deadline:
                    raise fs.LockTimeout(names[0], timeout_s)
                self.clock.sleep(0.01)
            yield names
        finally:
            for fd in fds:
                os.close(fd)

    def pickle_async_update(self, device, account, container, obj, update, timestamp,
                            policy_index=0):
        """Save a container update for the object-updater.

        :returns: path written. :raises DiskFileDeviceUnavailable, OSError:
        """
        device_path = self._dev_path_or_raise(device)
        object_hash = hash_path(account, container, obj, config=self.hash_config)
        return write_async_pending(device_path, policy_index, object_hash, timestamp,
                                   update)

    def cleanup_ondisk_files(self, hash_dir):
        """Remove obsolete files of one hash dir. :returns: OnDiskInfo."""
        return cleanup_hash_dir(hash_dir, self.clock.time(), self.config.reclaim_age_s,
                                self.logger)

    # quarantine

    def quarantine(self, hash_dir, reason):
        """Move ``hash_dir`` to ``<dev>/quarantined/objects[-N]/<hash>``.

        :returns: the quarantine path (uuid suffix when one exists already).
        """
        suffix_dir = os.path.dirname(hash_dir)
        part_dir = os.path.dirname(suffix_dir)
        data_dir = os.path.dirname(part_dir)
        device_path = os.path.dirname(data_dir)
        _, policy_index = split_policy_string(os.path.basename(data_dir))
        target = os.path.join(device_path, QUARANTINE_DIR, get_data_dir(policy_index),
                              os.path.basename(hash_dir))
        try:
            fs.renamer(hash_dir, target, fsync_parent=False)
        except OSError as err:
            if err.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            target = '%s-%s' % (target, uuid.uuid4().hex)
            fs.renamer(hash_dir, target, fsync_parent=False)
        try:
            hashes_mod.invalidate_hash(suffix_dir, self.config.lock_timeout_s)
        except (OSError, fs.LockTimeout) as err:
            self.logger.warning('Unable to invalidate %s: %s', suffix_dir, err)
        self.logger.error('Quarantined %s to %s because %s', hash_dir, target, reason)
        return target

    def _quarantine_hash_path(self, hash_path_):
        try:
            self.quarantine(hash_path_, 'it is not a directory')
        except OSError as err:
            self.logger.error('Unable to quarantine %s: %s', hash_path_, err)

    def check_reserve(self, path, size_bytes):
        """Raise if writing ``size_bytes`` under ``path`` cuts into fallocate_reserve.

        :raises DiskFileNoSpace:
        """
        reserve = self.config.fallocate_reserve
        if reserve.value <= 0:
            return
        st = self.statvfs(path)
        free = st.f_frsize * st.f_bavail - max(size_bytes or 0, 0)
        if reserve.is_percent:
            total = st.f_frsize * st.f_blocks
            free = 100.0 * free / total if total else 0.0
        if free <= reserve.value:
            raise DiskFileNoSpace('FALLOCATE_RESERVE fail %g <= %g' % (free, reserve.value),
                                  path)


class DiskFile:
    """One object's hash dir: open to read, create to write, delete to tombstone.

    Use: ``with df.open(): meta = df.get_metadata(); reader = df.reader()``.

    :param manager: the :class:`DiskFileManager`.
    :param device_path: ``<devices>/<dev>``.
    :param partition: partition (int or str).
    :param object_hash: 32 hex chars.
    :param policy_index: storage policy index.
    :param name: ``/a/c/o`` (real text) or None when opened by hash.
    :param open_expired: open objects whose X-Delete-At has passed.
    """

    def __init__(self, manager, device_path, partition, object_hash, policy_index=0,
                 name=None, open_expired=False):
        self.manager = manager
        self.logger = manager.logger
        self.device_path = device_path
        self.partition = str(partition)
        self.object_hash = object_hash
        self.policy_index = int(policy_index or 0)
        self.name = name
        self.open_expired = open_expired
        self.datadir = os.path.join(device_path, get_data_dir(self.policy_index),
                                    self.partition, object_hash[-3:], object_hash)
        self.tmpdir = os.path.join(device_path, get_tmp_dir(self.policy_index))
        self._reset()

    def _reset(self):
        self._fp = None
        self._data_file = None
        self._metadata = None
        self._datafile_metadata = None
        self._metafile_metadata = None
        self._ondisk_info = None
        self._content_length = None

    # reading

    def open(self, current_time=None):
        """Resolve the files and read metadata; returns self (a context manager).

        :param current_time: seconds, for X-Delete-At (default: manager clock).
        :raises DiskFileNotExist: nothing stored.
        :raises DiskFileDeleted: newest is a tombstone (``timestamp`` set).
        :raises DiskFileExpired: X-Delete-At has passed.
        :raises DiskFileQuarantined: bad files (moved away).
        :raises DiskFileCollision: stored name differs from the requested one.
        """
        self._reset()
        try:
            names = os.listdir(self.datadir)
        except OSError as err:
            if err.errno == errno.ENOTDIR:
                raise self._quarantine(self.datadir, 'hash dir is not a directory')
            if err.errno != errno.ENOENT:
                raise
            names = []
        info = resolve_files(names)
        self._ondisk_info = info
        if info.ts_info is not None:
            ts_path = os.path.join(self.datadir, info.ts_info.filename)
            metadata = self._failsafe_read_metadata(ts_path)
            raise DiskFileDeleted('tombstone', ts_path, info.ts_info.timestamp, metadata)
        if info.data_info is None:
            raise DiskFileNotExist('no data file', self.datadir)
        self._open_data_file(info, current_time)
        return self

    def _open_data_file(self, info, current_time):
        data_path = os.path.join(self.datadir, info.data_info.filename)
        try:
            fp = open(data_path, 'rb')
        except FileNotFoundError:
            raise DiskFileNotExist('data file vanished', data_path)
        try:
            self._datafile_metadata = self._failsafe_read_metadata(fp.fileno(), data_path)
            self._metadata = dict(self._datafile_metadata)
            if info.meta_info is not None:
                self._merge_meta_files(info)
            self._verify_data_file(fp, data_path, current_time)
        except BaseException:
            fp.close()
            raise
        self._fp = fp
        self._data_file = data_path

    def _merge_meta_files(self, info):
        meta = self._failsafe_read_metadata(
            os.path.join(self.datadir, info.meta_info.filename))
        if info.ctype_info is not None and info.ctype_info is not info.meta_info:
            ctype_meta = self._failsafe_read_metadata(
                os.path.join(self.datadir, info.ctype_info.filename))
            for key in ('Content-Type', 'Content-Type-Timestamp'):
                if key in ctype_meta:
                    meta[key] = ctype_meta[key]
        self._metafile_metadata = dict(meta)
        self._metafile_metadata.pop('name', None)
        data_meta = self._datafile_metadata
        kept = {key: value for key, value in data_meta.items()
                if key.lower() in _DATAFILE_KEYS
                or key.lower().startswith('x-object-sysmeta-')}
        merged = dict(meta)
        merged.update(kept)
        if 'Content-Type' not in meta and 'Content-Type' in data_meta:
            merged['Content-Type'] = data_meta['Content-Type']
        self._metadata = merged

    def _verify_data_file(self, fp, data_path, current_time):
        metadata = self._metadata
        stored_name = metadata.get('name')
        if not stored_name:
            raise self._quarantine(data_path, 'missing name metadata')
        if self.name is not None and stored_name != self.name:
            self.logger.error('Client path %s does not match path stored in object '
                              'metadata %s', self.name, stored_name)
            raise DiskFileCollision('Client path does not match path stored in object '
                                    'metadata', data_path)
        if self.name is None:
            self._verify_name_hash(stored_name, data_path)
        if 'X-Delete-At' in metadata:
            try:
                delete_at = int(metadata['X-Delete-At'])
            except ValueError:
                raise self._quarantine(data_path, 'bad metadata x-delete-at value %r'
                                       % metadata['X-Delete-At'])
            now = self.manager.clock.time() if current_time is None else current_time
            if delete_at <= now and not self.open_expired:
                raise DiskFileExpired('expired', data_path, self.data_timestamp,
                                      metadata)
        try:
            size = int(self._datafile_metadata['Content-Length'])
        except KeyError:
            raise self._quarantine(data_path, 'missing content-length in metadata')
        except ValueError:
            raise self._quarantine(data_path, 'bad metadata content-length value %r'
                                   % self._datafile_metadata['Content-Length'])
        actual = os.fstat(fp.fileno()).st_size
        if actual != size:
            raise self._quarantine(data_path, 'metadata content-length %s does not match '
                                   'actual object size %s' % (size, actual))
        self._content_length = actual

    def _verify_name_hash(self, stored_name, data_path):
        parts = stored_name.split('/', 3)
        if len(parts) != 4 or parts[0] or not all(parts[1:]):
            raise self._quarantine(data_path, 'bad name metadata %r' % stored_name)
        if hash_path(*parts[1:], config=self.manager.hash_config) != self.object_hash:
            raise self._quarantine(data_path, 'Hash of name in metadata does not match '
                                   'directory name')
        self.name = stored_name

    def _failsafe_read_metadata(self, target, path=None):
        path = path or target
        try:
            return read_metadata(target, self.manager.xattrs)
        except DiskFileBadMetadata as err:
            raise self._quarantine(path, str(err))

    def _quarantine(self, path, reason):
        """Move the hash dir to quarantine; return the error to raise."""
        try:
            qpath = self.manager.quarantine(self.datadir, reason)
        except OSError as err:
            self.logger.error('Unable to quarantine %s: %s', path, err)
            qpath = None
        return DiskFileQuarantined(reason, path, qpath)

    def close(self):
        """Release the open data file (a reader keeps its own)."""
        if self._fp is not None:
            self._fp.close()
            self._fp = None

    def __enter__(self):
        if self._metadata is None:
            raise DiskFileNotOpen('open() the DiskFile first')
        return self

    def __exit__(self, *exc):
        self.close()

    def _require_open(self):
        if self._metadata is None:
            raise DiskFileNotOpen('open() the DiskFile first')

    def get_metadata(self):
        """Merged metadata (.data plus applicable .meta). :raises DiskFileNotOpen:"""
        self._require_open()
        return self._metadata

    def get_datafile_metadata(self):
        """Metadata of the .data file alone. :raises DiskFileNotOpen:"""
        self._require_open()
        return self._datafile_metadata

    def get_metafile_metadata(self):
        """Metadata of the .meta file (without ``name``), or None."""
        self._require_open()
        return self._metafile_metadata

    def read_metadata(self, current_time=None):
        """Open, return merged metadata, close. :raises: as :meth:`open`."""
        with self.open(current_time):
            return self.get_metadata()

    @property
    def content_length(self):
        """Size of the .data in bytes."""
        self._require_open()
        return self._content_length

    @property
    def data_timestamp(self):
        """Timestamp of the .data file."""
        return Timestamp(self._datafile_metadata['X-Timestamp'])

    durable_timestamp = data_timestamp

    @property
    def timestamp(self):
        """Newest of the .data and .meta timestamps (the object's X-Timestamp)."""
        self._require_open()
        return Timestamp(self._metadata['X-Timestamp'])

    @property
    def content_type_timestamp(self):
        """Time the Content-Type was set (a .meta's, else the .data's)."""
        self._require_open()
        value = self._metadata.get('Content-Type-Timestamp')
        return Timestamp(value) if value else self.data_timestamp

    def reader(self, keep_cache=False):
        """Hand the open data file to a :class:`DiskFileReader` (which closes it).

        :param keep_cache: the caller would like the pages kept cached; as Swift, only
            objects smaller than ``keep_cache_size`` are.
        :raises DiskFileNotOpen:
        """
        self._require_open()
        fp, self._fp = self._fp, None
        if fp is None:
            raise DiskFileNotOpen('reader() already taken')
        keep_cache = keep_cache and \
            self._content_length < self.manager.config.keep_cache_bytes
        return DiskFileReader(self, fp, self._data_file, self._content_length,
                              self._datafile_metadata.get('ETag'),
                              keep_cache=keep_cache)

    # writing

    @contextlib.contextmanager
    def create(self, size=None):
        """Context manager giving a :class:`DiskFileWriter` on a fresh temp file.

        :param size: expected bytes (fallocated), or None if unknown (chunked).
        :raises DiskFileNoSpace: fallocate_reserve would be cut into, or disk full.
        """
        writer = DiskFileWriter(self, size)
        writer.open()
        try:
            yield writer
        finally:
            writer.close()

    def write_metadata(self, metadata):
        """Write a fast-POST ``<ts>.meta`` (``metadata['X-Timestamp']``)."""
        with self.create() as writer:
            writer.put(metadata, META_EXT)

    def delete(self, timestamp):
        """Write a tombstone ``<timestamp>.ts`` (older files are cleaned up)."""
        with self.create() as writer:
            writer.put({'X-Timestamp': Timestamp(timestamp).internal}, TOMBSTONE_EXT)


def _finalize(fd, tmppath, target):
    """fsync ``fd``, rename ``tmppath`` to ``target`` and fsync the directories that
    changed: the hash dir, plus each parent of a directory this call had to create
    (Swift's renamer rule), so a new object's hash dir survives a crash too."""
    fs.fsync(fd)
    directory = os.path.dirname(target)
    try:
        os.rename(tmppath, target)
        created = 0
    except FileNotFoundError:
        created = _makedirs_count(directory)
        os.rename(tmppath, target)
    for _ in range(created + 1):
        fs.fsync_dir(directory)
        directory = os.path.dirname(directory)


def _makedirs_count(path):
    """Create ``path`` and missing parents. :returns: how many were created."""
    missing = []
    while path and not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    for directory in reversed(missing):
        try:
            os.mkdir(directory)
        except FileExistsError:
            if not os.path.isdir(directory):
                raise
    return len(missing)


class DiskFileWriter:
    """Streams one new file into tmp and renames it into the hash dir on :meth:`put`.

    :param diskfile: the :class:`DiskFile` written.
    :param size: expected size in bytes, or None.
    """

    def __init__(self, diskfile, size=None):
        self.diskfile = diskfile
        self.manager = diskfile.manager
        self.size = size
        self.fd = None
        self.tmppath = None
        self.upload_size = 0
        self._md5 = streaming_md5(size)
        self._last_sync = 0
        self._put_done = False

    def open(self):
        """Create the temp file and reserve space. :raises DiskFileNoSpace, OSError:"""
        tmpdir = self.diskfile.tmpdir
        try:
            self.fd, self.tmppath = tempfile.mkstemp(dir=tmpdir)
        except FileNotFoundError:  # first write on this device/policy
            fs.mkdirs(tmpdir)
            self.fd, self.tmppath = tempfile.mkstemp(dir=tmpdir)
        try:
            self.manager.check_reserve(tmpdir, self.size)
        except BaseException:
            self.close()
            raise
        if self.size and not self.manager.config.disable_fallocate:
            try:
                fs.fallocate(self.fd, self.size)
            except OSError as err:
                self.close()
                if err.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise DiskFileNoSpace(str(err), self.tmppath)
                raise

    def write(self, chunk):
        """Append ``chunk`` (bytes); fdatasync every ``mb_per_sync`` MiB.

        :returns: bytes written so far.
        :raises DiskFileNoSpace: disk full.
        """
        try:
            view = memoryview(chunk)
            while view:
                written = os.write(self.fd, view)
                view = view[written:]
        except OSError as err:
            if err.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DiskFileNoSpace(str(err), self.tmppath)
            raise
        self._md5.update(chunk)
        self.upload_size += len(chunk)
        sync_every = self.manager.config.mb_per_sync * 1024 * 1024
        if self.upload_size - self._last_sync >= sync_every:
            fs.fdatasync(self.fd)
            fs.drop_buffer_cache(self.fd, self._last_sync,
                                 self.upload_size - self._last_sync)
            self._last_sync = self.upload_size
        return self.upload_size

    def chunks_finished(self):
        """Call once, after the last :meth:`write`.

        :returns: (upload_size bytes, md5 hex of what was written).
        """
        return self.upload_size, self._md5.hexdigest()

    def put(self, metadata, ext=DATA_EXT):
        """Finish the file: fsync, write metadata xattrs, rename into the hash dir.

        ``name`` is added to ``metadata`` (last, as Swift does).

        :param metadata: dict with at least ``X-Timestamp``.
        :param ext: ``.data``, ``.meta`` or ``.ts``.
        :raises DiskFileXattrSpaceExceeded, DiskFileNoSpace: nothing becomes visible.
        """
        df = self.diskfile
        if df.name is None:
            raise DiskFileError('cannot write without a name', df.datadir)
        metadata['name'] = df.name
        timestamp = Timestamp(metadata['X-Timestamp'])
        ctype_ts = metadata.get('Content-Type-Timestamp') if ext == META_EXT else None
        target = os.path.join(df.datadir, make_filename(timestamp, ext, ctype_ts))
        write_metadata(self.fd, metadata, self.manager.xattrs)
        # the blocking part runs in a real thread (as Swift's tpool finalize_put), so
        # concurrent PUTs' fsyncs overlap instead of stalling every request
        concurrency.run_in_thread(_finalize, self.fd, self.tmppath, target)
        self._put_done = True
        suffix_dir = os.path.dirname(df.datadir)
        try:
            hashes_mod.invalidate_hash(suffix_dir, self.manager.config.lock_timeout_s)
        except (OSError, fs.LockTimeout) as err:
            self.manager.logger.error('Unable to invalidate %s: %s', suffix_dir, err)
        try:
            self.manager.cleanup_ondisk_files(df.datadir)
        except OSError as err:
            self.manager.logger.warning('Cleanup of %s failed: %s', df.datadir, err)

    def commit(self, timestamp):
        """Replication policy: the rename in :meth:`put` already made it durable."""

    def close(self):
        """Close the temp file; unlink it unless :meth:`put` renamed it."""
        if hasattr(self._md5, 'close'):
            self._md5.close()     # a background hasher's thread ends (failed upload)
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.tmppath and not self._put_done:
            with contextlib.suppress(OSError):
                os.unlink(self.tmppath)
            self.tmppath = None
