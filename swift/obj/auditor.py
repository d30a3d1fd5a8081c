# Owns the object auditor (swift-catalog.md 3 and 8). Rules, as Swift's:
# - two kinds of pass: "ZBF" (zero-byte-files) opens every object and checks only its
#   metadata (name hashes to its dir, Content-Length matches the file size...); "ALL"
#   also reads every byte and checks the md5 against the stored ETag;
# - anything that fails is quarantined: the hash dir moves to
#   <dev>/quarantined/objects[-N]/<hash> and its suffix is invalidated (hashes.invalid),
#   so the next replicator pass sees a differing suffix hash and restores a good copy;
# - passes are paced by files_per_second (ZBF: zero_byte_files_per_second) and, for ALL,
#   bytes_per_second, through the injected clock;
# - each datadir keeps auditor_status_<ALL|ZBF>.json listing the partitions still to
#   audit, so a restarted auditor resumes where it stopped; removed when the datadir is done;
# - stats go to <recon_cache_path>/object.recon under object_auditor_stats_ALL / _ZBF
#   (keys errors, passes, quarantined, bytes_processed, start_time, audit_time).
# Unlike Swift, the ZBF and ALL passes of run_once() run one after the other in this
# process instead of in forked children; ``concurrency`` is accepted and logged only.
"""Object auditor: :class:`ObjectAuditor` daemon and ``swift-object-auditor``."""

import errno
import json
import os
import sys
from dataclasses import dataclass
from typing import NamedTuple

from swift.common import fs
from swift.common.config import ConfigError, config_bool, config_number, list_from_csv
from swift.common.daemon import Daemon
from swift.common.hashing import HashPathConfig, HashPathConfigError
from swift.common.rate_limit import RateLimiter
from swift.common.recon import (DEFAULT_RECON_CACHE_PATH, RECON_OBJECT_FILE,
                                dump_recon_cache)
from swift.common.storage_policy import split_policy_string
from swift.obj import hashes as hashes_mod
from swift.obj.diskfile import DiskFileConfig, DiskFileManager
from swift.obj.errors import (DiskFileDeleted, DiskFileExpired, DiskFileNotExist,
                              DiskFileQuarantined)

AUDIT_ALL = 'ALL'
AUDIT_ZBF = 'ZBF'
STATUS_UPDATE_MIN_S = 60.0  # Swift's MIN_TIME_UPDATE_AUDITOR_STATUS
_HEX = set('0123456789abcdef')


@dataclass(frozen=True)
class ObjectAuditorConfig:
    """``[object-auditor]`` options (Swift's names and defaults).

    :ivar devices: root of the device dirs.
    :ivar mount_check: skip devices that are not mount points.
    :ivar swift_dir: where swift.conf lives (hash prefix/suffix).
    :ivar recon_cache_path: directory of ``object.recon``.
    :ivar interval_s: seconds between the starts of two passes.
    :ivar files_per_second: ALL-pass files per second (0 = unlimited).
    :ivar bytes_per_second: ALL-pass bytes per second (0 = unlimited).
    :ivar zero_byte_files_per_second: ZBF-pass files per second; 0 disables ZBF passes.
    :ivar log_time_s: seconds between progress lines (and recon updates) in a pass.
    :ivar concurrency: accepted for compatibility; passes run in one process.
    """
    devices: str = '/srv/node'
    mount_check: bool = True
    swift_dir: str = '/etc/swift'
    recon_cache_path: str = DEFAULT_RECON_CACHE_PATH
    interval_s: float = 30.0
    files_per_second: float = 20.0
    bytes_per_second: float = 10000000.0
    zero_byte_files_per_second: float = 50.0
    log_time_s: float = 3600.0
    concurrency: int = 1

    @classmethod
    def from_conf(cls, conf):
        """Build from the ``[object-auditor]`` section merged over ``[DEFAULT]``.

        :raises ConfigError: naming the bad option.
        """
        def number(name, kind, default, minimum=0):
            return config_number(conf.get(name, default), kind, name, minimum)
        return cls(
            devices=conf.get('devices', '/srv/node'),
            mount_check=config_bool(conf.get('mount_check', 'true'), 'mount_check'),
            swift_dir=conf.get('swift_dir', '/etc/swift'),
            recon_cache_path=conf.get('recon_cache_path', DEFAULT_RECON_CACHE_PATH),
            interval_s=number('interval', float, 30),
            files_per_second=number('files_per_second', float, 20),
            bytes_per_second=number('bytes_per_second', float, 10000000),
            zero_byte_files_per_second=number('zero_byte_files_per_second', float, 50),
            log_time_s=number('log_time', float, 3600),
            concurrency=number('concurrency', int, 1, minimum=1))


class AuditLocation(NamedTuple):
    """One object hash dir to audit."""
    path: str
    device: str
    partition: str
    policy_index: int

    @property
    def object_hash(self):
        """The 32-hex-char hash (dir name)."""
        return os.path.basename(self.path)


@dataclass(frozen=True)
class AuditPassStats:
    """What one pass saw (also what goes to the recon cache).

    :ivar auditor_type: ``ALL`` or ``ZBF``.
    :ivar passes: objects audited (quarantined ones included, as Swift counts).
    :ivar quarantined: objects moved to quarantine.
    :ivar errors: objects whose audit failed unexpectedly (logged).
    :ivar bytes_processed: bytes read and checked.
    :ivar start_time: wall-clock epoch seconds when the pass began.
    :ivar audit_time: seconds spent auditing (including rate-limit sleeps).
    """
    auditor_type: str
    passes: int
    quarantined: int
    errors: int
    bytes_processed: int
    start_time: float
    audit_time: float

    def recon_entry(self):
        """The dict stored under ``object_auditor_stats_<type>``."""
        return {'errors': self.errors, 'passes': self.passes,
                'quarantined': self.quarantined, 'bytes_processed': self.bytes_processed,
                'start_time': self.start_time, 'audit_time': self.audit_time}


# -- resume status files -------------------------------------------------------------

def auditor_status_path(datadir_path, auditor_type):
    """``<datadir>/auditor_status_<type>.json``."""
    return os.path.join(datadir_path, 'auditor_status_%s.json' % auditor_type)


def list_partitions(datadir_path):
    """Partition dir names (digits only) of a datadir, in numeric order."""
    try:
        names = os.listdir(datadir_path)
    except OSError:
        return []
    return sorted((n for n in names if n.isdigit()), key=int)


def get_auditor_status(datadir_path, auditor_type, logger):
    """Partitions still to audit: from the status file if one is there and readable,
    else every partition of the datadir.

    :returns: list of partition names (str).
    """
    path = auditor_status_path(datadir_path, auditor_type)
    try:
        with open(path, 'r', encoding='utf-8') as fp:
            status = json.load(fp)
        partitions = status['partitions']
        if isinstance(partitions, list) and all(isinstance(p, str) for p in partitions):
            return partitions
        raise ValueError('partitions is not a list of names')
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as err:
        logger.warning('Ignoring unreadable auditor status %s: %s', path, err)
    return list_partitions(datadir_path)


def update_auditor_status(datadir_path, partitions, auditor_type):
    """Durably record ``partitions`` (the ones still to audit) in the status file."""
    data = json.dumps({'partitions': list(partitions)}).encode('utf-8')
    fs.write_file_atomic(auditor_status_path(datadir_path, auditor_type), data)


def clear_auditor_status(datadir_path, auditor_type):
    """Remove the status file: the datadir was fully audited."""
    try:
        os.unlink(auditor_status_path(datadir_path, auditor_type))
    except FileNotFoundError:
        pass


def _listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError as err:
        if err.errno not in (errno.ENOENT, errno.ENOTDIR):
            raise
        return []


class LocationWalker:
    """Yields the :class:`AuditLocation` of every object on the local devices,
    keeping each datadir's resume status file up to date.

    :param config: :class:`ObjectAuditorConfig`.
    :param auditor_type: ``ALL`` or ``ZBF``.
    :param clock: the injected clock (status writes at most every 60 s per datadir).
    :param logger: logger.
    :param is_mount: callable(path) -> bool for mount_check.
    """

    def __init__(self, config, auditor_type, clock, logger, is_mount=fs.is_mount):
        self.config = config
        self.auditor_type = auditor_type
        self.clock = clock
        self.logger = logger
        self.is_mount = is_mount

    def devices(self, device_dirs=None):
        """Usable device names (restricted to ``device_dirs`` when given)."""
        names = _listdir(self.config.devices)
        if device_dirs:
            names = [n for n in names if n in device_dirs]
        usable = []
        for name in names:
            path = os.path.join(self.config.devices, name)
            if self.config.mount_check and not self.is_mount(path):
                self.logger.warning('Skipping %s as it is not mounted', name)
                continue
            if os.path.isdir(path):
                usable.append(name)
        return usable

    def __call__(self, device_dirs=None):
        for device in self.devices(device_dirs):
            device_path = os.path.join(self.config.devices, device)
            for datadir in _listdir(device_path):
                base, policy_index = split_policy_string(datadir)
                if base != 'objects':
                    continue
                yield from self._datadir(os.path.join(device_path, datadir), device,
                                         policy_index)

    def _datadir(self, datadir_path, device, policy_index):
        if not os.path.isdir(datadir_path):
            return
        partitions = get_auditor_status(datadir_path, self.auditor_type, self.logger)
        last_update = None
        for position, partition in enumerate(partitions):
            now = self.clock.monotonic()
            if last_update is None or now - last_update >= STATUS_UPDATE_MIN_S:
                self._save_status(datadir_path, partitions[position:])
                last_update = now
            yield from self._partition(os.path.join(datadir_path, partition), device,
                                       partition, policy_index)
        clear_auditor_status(datadir_path, self.auditor_type)

    def _save_status(self, datadir_path, remaining):
        try:
            update_auditor_status(datadir_path, remaining, self.auditor_type)
        except OSError as err:
            self.logger.warning('Unable to write auditor status in %s: %s',
                                datadir_path, err)

    def _partition(self, part_path, device, partition, policy_index):
        for suffix in _listdir(part_path):
            if not hashes_mod.valid_suffix(suffix):
                continue
            suffix_path = os.path.join(part_path, suffix)
            for name in _listdir(suffix_path):
                if len(name) == 32 and set(name) <= _HEX:
                    yield AuditLocation(os.path.join(suffix_path, name), device,
                                        partition, policy_index)


class AuditorWorker:
    """Runs one pass of one kind (ALL or ZBF) over the local objects.

    :param config: :class:`ObjectAuditorConfig`.
    :param manager: :class:`swift.obj.diskfile.DiskFileManager` over the same devices.
    :param auditor_type: ``ALL`` or ``ZBF``.
    :param clock: injected clock (pacing, timings).
    :param logger: logger.
    :param zero_byte_fps: files/s for a ZBF pass (overrides the config value).
    :param is_mount: callable(path) -> bool.
    """

    def __init__(self, config, manager, auditor_type, *, clock, logger,
                 zero_byte_fps=None, is_mount=fs.is_mount):
        self.config = config
        self.manager = manager
        self.auditor_type = auditor_type
        self.clock = clock
        self.logger = logger
        self.zbf = auditor_type == AUDIT_ZBF
        if self.zbf:
            fps = zero_byte_fps or config.zero_byte_files_per_second
        else:
            fps = config.files_per_second
        self.files_limiter = RateLimiter(fps, clock)
        self.bytes_limiter = RateLimiter(config.bytes_per_second, clock)
        self.walker = LocationWalker(config, auditor_type, clock, logger, is_mount)
        self.rcache = os.path.join(config.recon_cache_path, RECON_OBJECT_FILE)
        self.passes = self.quarantines = self.errors = self.bytes_processed = 0

    def audit_all_objects(self, mode='once', device_dirs=None):
        """Audit every object once.

        :param mode: ``once`` or ``forever`` (only used in log lines).
        :param device_dirs: device names to restrict to, or None for all.
        :returns: :class:`AuditPassStats`.
        """
        start_time = self.clock.time()
        begin = self.clock.monotonic()
        last_logged = start_time
        self.logger.info('Begin object audit "%s" mode (%s%s)', mode, self.auditor_type,
                         ' - %s' % ','.join(sorted(device_dirs)) if device_dirs else '')
        for location in self.walker(device_dirs):
            self.failsafe_object_audit(location)
            self.files_limiter.wait()
            now = self.clock.time()
            if now - last_logged >= self.config.log_time_s:
                self._report_progress(start_time, begin)
                last_logged = now
        stats = self._stats(start_time, begin)
        elapsed = max(self.clock.monotonic() - begin, 1e-9)
        self.logger.info(
            'Object audit (%s) "%s" mode completed: %.02fs. Total quarantined: %d, '
            'Total errors: %d, Total files/sec: %.2f, Total bytes/sec: %.2f, '
            'Auditing time: %.2f, Rate: %.2f', self.auditor_type, mode, elapsed,
            stats.quarantined, stats.errors, stats.passes / elapsed,
            stats.bytes_processed / elapsed, stats.audit_time,
            stats.audit_time / elapsed)
        self._dump(stats)
        return stats

    def _stats(self, start_time, begin):
        return AuditPassStats(self.auditor_type, self.passes, self.quarantines,
                              self.errors, self.bytes_processed, start_time,
                              self.clock.monotonic() - begin)

    def _report_progress(self, start_time, begin):
        stats = self._stats(start_time, begin)
        self.logger.info(
            'Object audit (%s). Since %s: Locally: %d passed, %d quarantined, '
            '%d errors, bytes processed: %d, Auditing time: %.2f', self.auditor_type,
            start_time, stats.passes, stats.quarantined, stats.errors,
            stats.bytes_processed, stats.audit_time)
        self._dump(stats)

    def _dump(self, stats):
        dump_recon_cache({'object_auditor_stats_%s' % self.auditor_type:
                          stats.recon_entry()}, self.rcache, self.logger,
                         sleep=self.clock.sleep, monotonic=self.clock.monotonic)

    def failsafe_object_audit(self, location):
        """Audit one object; an unexpected error is counted and logged, never raised."""
        try:
            self.object_audit(location)
        except Exception:  # the per-object funnel of the pass loop (STYLE.md 9)
            self.errors += 1
            self.logger.exception('Error trying to audit %s', location.path)

    def object_audit(self, location):
        """Check one object's metadata (and for ALL its bytes); quarantine on failure.

        :raises OSError: unexpected I/O errors (counted by the caller).
        """
        df = self.manager.get_diskfile_from_hash(location.device, location.partition,
                                                 location.object_hash,
                                                 location.policy_index)
        try:
            self._check(df)
        except DiskFileQuarantined as err:
            self.quarantines += 1
            self.logger.error('Object %s failed audit and was quarantined: %s',
                              location.path, err)
        except DiskFileExpired:
            pass
        except DiskFileDeleted as err:
            self._maybe_reclaim(df, err)
        except DiskFileNotExist:
            pass
        self.passes += 1

    def _check(self, df):
        reader = None
        df.open()
        try:
            size = int(df.get_datafile_metadata()['Content-Length'])
            if size and not self.zbf:
                reader = df.reader()
        finally:
            df.close()
        if reader is None:
            return
        try:
            for chunk in reader:
                self.bytes_limiter.wait(len(chunk))
                self.bytes_processed += len(chunk)
        finally:
            reader.close()
        if reader.quarantined is not None:
            raise reader.quarantined

    def _maybe_reclaim(self, df, err):
        """A tombstone past reclaim_age: invalidate its suffix so the replicator's
        rehash removes it (Swift does this in the ALL pass only)."""
        if self.zbf or err.timestamp is None:
            return
        if self.clock.time() - float(err.timestamp) > self.manager.config.reclaim_age_s:
            hashes_mod.invalidate_hash(os.path.dirname(df.datadir),
                                       self.manager.config.lock_timeout_s)


class ObjectAuditor(Daemon):
    """``swift-object-auditor``: ZBF then ALL passes over the local devices.

    :param conf: ``[object-auditor]`` merged over ``[DEFAULT]`` (strings).
    :param logger: logger (default from conf).
    :param clock: injected clock.
    :param manager: DiskFileManager (default built from conf and swift.conf).
    :param is_mount: callable(path) -> bool (mount_check).
    :raises ConfigError: bad option.
    """

    def __init__(self, conf, *, logger=None, clock=None, manager=None,
                 is_mount=fs.is_mount):
        super().__init__(conf, logger=logger, clock=clock)
        self.config = ObjectAuditorConfig.from_conf(conf)
        self.interval_s = self.config.interval_s
        self.is_mount = is_mount
        if manager is None:
            try:
                hash_config = HashPathConfig.from_swift_dir(self.config.swift_dir)
            except HashPathConfigError as err:
                raise ConfigError(str(err), option='swift_dir')
            manager = DiskFileManager(
                DiskFileConfig.from_conf(conf), logger=self.logger, clock=self.clock,
                hash_config=hash_config, is_mount=is_mount)
        self.manager = manager
        self.rcache = os.path.join(self.config.recon_cache_path, RECON_OBJECT_FILE)
        self.last_stats = {}

    def statistics(self):
        """:returns: ``{auditor_type: AuditPassStats}`` of the latest passes."""
        return dict(self.last_stats)

    def clear_recon_cache(self, auditor_type):
        """Drop ``object_auditor_stats_<type>`` from the recon cache (pass starting)."""
        dump_recon_cache({'object_auditor_stats_%s' % auditor_type: {}}, self.rcache,
                         self.logger, sleep=self.clock.sleep,
                         monotonic=self.clock.monotonic)

    def run_audit(self, auditor_type, mode='once', device_dirs=None, zero_byte_fps=None):
        """One pass of ``auditor_type``. :returns: :class:`AuditPassStats`."""
        worker = AuditorWorker(self.config, self.manager, auditor_type, clock=self.clock,
                               logger=self.logger, zero_byte_fps=zero_byte_fps,
                               is_mount=self.is_mount)
        stats = worker.audit_all_objects(mode, device_dirs)
        self.last_stats[auditor_type] = stats
        return stats

    def run_once(self, mode='once', **kwargs):
        """Audit once: ZBF (if enabled) then ALL; only ZBF when ``zero_byte_fps`` is
        given (``-z N`` on the command line).

        :param kwargs: ``devices`` (comma-separated names), ``zero_byte_fps`` (int).
        :returns: ``{auditor_type: AuditPassStats}``.
        """
        device_dirs = list_from_csv(kwargs.get('devices')) or None
        zero_byte_fps = int(kwargs.get('zero_byte_fps') or 0)
        if zero_byte_fps:
            kinds = [AUDIT_ZBF]
        elif self.config.zero_byte_files_per_second > 0:
            kinds = [AUDIT_ZBF, AUDIT_ALL]
        else:
            kinds = [AUDIT_ALL]
        for kind in (AUDIT_ALL, AUDIT_ZBF):
            self.clear_recon_cache(kind)
        results = {}
        for kind in kinds:
            results[kind] = self.run_audit(kind, mode, device_dirs,
                                           zero_byte_fps or None)
        return results

    def run_forever(self, **kwargs):
        """Passes every ``interval`` seconds until stopped (see Daemon.run_forever)."""
        kwargs.setdefault('mode', 'forever')
        super().run_forever(**kwargs)


def _pop_zero_byte_fps(argv):
    """Remove ``-z N`` / ``--zero_byte_fps N|=N`` from ``argv``.

    :returns: (remaining argv, fps or None). :raises ConfigError: bad value.
    """
    rest, fps, index = [], None, 0
    while index < len(argv):
        arg = argv[index]
        value = None
        if arg in ('-z', '--zero_byte_fps'):
            if index + 1 >= len(argv):
                raise ConfigError('%s needs a number' % arg, option='zero_byte_fps')
            value = argv[index + 1]
            index += 1
        elif arg.startswith('--zero_byte_fps='):
            value = arg.split('=', 1)[1]
        else:
            rest.append(arg)
        if value is not None:
            fps = config_number(value, int, 'zero_byte_fps', minimum=1)
        index += 1
    return rest, fps


def main(argv=None):
    """``swift-object-auditor CONFIG [-v] [-o|once] [-d DEVS] [-z ZBF_FPS]``.

    :returns: exit status (0 done, 1 config error, 2 usage error).
    """
    from swift.common import concurrency
    from swift.common.daemon import parse_daemon_args, run_daemon
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        argv, zero_byte_fps = _pop_zero_byte_fps(argv)
    except ConfigError as err:
        print('Error: %s' % err, file=sys.stderr)
        return 2
    conf_path, once, verbose, kwargs = parse_daemon_args(
        argv, prog='swift-object-auditor')
    if zero_byte_fps:
        kwargs['zero_byte_fps'] = zero_byte_fps
    concurrency.monkey_patch()
    try:
        run_daemon(ObjectAuditor, conf_path, 'object-auditor', once, verbose=verbose,
                   **kwargs)
    except ConfigError as err:
        print('Error: %s' % err, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0
