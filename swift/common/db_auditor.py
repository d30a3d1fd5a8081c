# Owns the account/container auditor pass (swift-catalog.md 8). Rules, as Swift's:
# - every <devices>/<dev>/<type>s/<part>/<suffix>/<hash>/*.db is opened and its info read;
#   SQLite corruption found on the way ("database disk image is malformed", "file is not
#   a database"...) moves the hash dir to <dev>/quarantined/<type>s/<hash> (the
#   replicator then restores a good copy from another replica);
# - we also run SQLite's ``PRAGMA quick_check`` so damage in pages that reading the info
#   does not touch is found too, and quarantine on anything but "ok";
# - a subclass may check more (_audit returns an error, counted as a failure);
# - DBs are paced by <type>s_per_second through the injected clock;
# - stats go to <type>.recon: <type>_audits_passed/_failed/_since (every
#   logging interval and at the end of a pass) and <type>_auditor_pass_completed.
"""Account/container DB auditing: :class:`DatabaseAuditor`."""

import os
import sqlite3
from dataclasses import dataclass

from swift.common import fs
from swift.common.config import config_bool, config_number, list_from_csv
from swift.common.daemon import Daemon
from swift.common.db import BrokerError
from swift.common.rate_limit import RateLimiter
from swift.common.recon import DEFAULT_RECON_CACHE_PATH, dump_recon_cache

LOGGING_INTERVAL_S = 3600.0


class DatabaseAuditorError(Exception):
    """A DB opened fine but its content is inconsistent.

    :ivar path: the DB file.
    """

    def __init__(self, message, path=None):
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class DatabaseAuditorConfig:
    """``[account-auditor]`` / ``[container-auditor]`` options.

    :ivar devices: root of the device dirs.
    :ivar mount_check: skip devices that are not mount points.
    :ivar interval_s: seconds between the starts of two passes (1800).
    :ivar dbs_per_second: ``accounts_per_second`` / ``containers_per_second`` (200).
    :ivar recon_cache_path: directory of ``<type>.recon``.
    :ivar logging_interval_s: seconds between progress lines and recon updates.
    """
    devices: str = '/srv/node'
    mount_check: bool = True
    interval_s: float = 1800.0
    dbs_per_second: float = 200.0
    recon_cache_path: str = DEFAULT_RECON_CACHE_PATH
    logging_interval_s: float = LOGGING_INTERVAL_S

    @classmethod
    def from_conf(cls, conf, server_type):
        """Build from the auditor section merged over ``[DEFAULT]``.

        :param server_type: ``account`` or ``container`` (names ``<type>s_per_second``).
        :raises ConfigError: naming the bad option.
        """
        rate_option = '%ss_per_second' % server_type
        return cls(
            devices=conf.get('devices', '/srv/node'),
            mount_check=config_bool(conf.get('mount_check', 'true'), 'mount_check'),
            interval_s=config_number(conf.get('interval', 1800), float, 'interval', 0),
            dbs_per_second=config_number(conf.get(rate_option, 200), float, rate_option,
                                         0),
            recon_cache_path=conf.get('recon_cache_path', DEFAULT_RECON_CACHE_PATH),
            logging_interval_s=config_number(conf.get('log_time', LOGGING_INTERVAL_S),
                                             float, 'log_time', 0))


def iter_db_files(devices, datadir, device_dirs=None, mount_check=False,
                  is_mount=fs.is_mount, logger=None):
    """Yield (db_path, device, partition) for each ``*.db`` under the datadir of each
    usable device, in sorted order."""
    try:
        names = sorted(os.listdir(devices))
    except OSError as err:
        if logger:
            logger.error('Unable to list devices %s: %s', devices, err)
        return
    for device in names:
        if device_dirs and device not in device_dirs:
            continue
        if mount_check and not is_mount(os.path.join(devices, device)):
            if logger:
                logger.warning('Skipping %s as it is not mounted', device)
            continue
        base = os.path.join(devices, device, datadir)
        for partition in _sorted_dirs(base):
            if not partition.isdigit():
                continue
            part_path = os.path.join(base, partition)
            for suffix in _sorted_dirs(part_path):
                for hsh in _sorted_dirs(os.path.join(part_path, suffix)):
                    hash_path = os.path.join(part_path, suffix, hsh)
                    for name in _sorted_names(hash_path):
                        if name.endswith('.db'):
                            yield os.path.join(hash_path, name), device, partition


def _sorted_names(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def _sorted_dirs(path):
    return [n for n in _sorted_names(path) if os.path.isdir(os.path.join(path, n))]


class DatabaseAuditor(Daemon):
    """Base of the account and container auditors.

    Subclasses set ``server_type`` and ``broker_class`` and may override :meth:`_audit`.

    :param conf: auditor section merged over ``[DEFAULT]`` (strings).
    :param logger: logger.
    :param clock: injected clock.
    :param is_mount: callable(path) -> bool.
    """

    server_type = None
    broker_class = None
    default_interval_s = 1800.0

    def __init__(self, conf, *, logger=None, clock=None, is_mount=fs.is_mount):
        super().__init__(conf, logger=logger, clock=clock)
        self.config = DatabaseAuditorConfig.from_conf(conf, self.server_type)
        self.interval_s = self.config.interval_s
        self.is_mount = is_mount
        self.datadir = '%ss' % self.server_type
        self.rcache = os.path.join(self.config.recon_cache_path,
                                   '%s.recon' % self.server_type)
        self.passes = self.failures = 0
        self.quarantines = 0

    def _audit(self, info, broker):
        """Extra checks of a readable DB. :returns: an exception to count as a failure,
        or None."""
        return None

    def _quick_check(self, broker):
        """Run ``PRAGMA quick_check``; quarantine the DB unless it answers "ok".

        :raises swift.common.db.DatabaseQuarantined: after moving it.
        """
        with broker.get() as conn:
            rows = conn.execute('PRAGMA quick_check').fetchall()
        result = [row[0] for row in rows]
        if result != ['ok']:
            broker.possibly_quarantine(sqlite3.DatabaseError(
                'database disk image is malformed: %s' % '; '.join(result[:3])))

    def audit(self, path):
        """Audit one DB file; failures are counted and logged, never raised."""
        from swift.common.db import DatabaseQuarantined
        try:
            broker = self.broker_class(path, logger=self.logger)
            self._quick_check(broker)
            if broker.is_deleted():
                return
            info = broker.get_info()
            err = self._audit(info, broker)
            if err is not None:
                raise err
            self.passes += 1
            self.logger.debug('Audit passed for %s', path)
        except DatabaseQuarantined as err:
            self.failures += 1
            self.quarantines += 1
            self.logger.error('Audit Failed for %s: %s', path, err)
        except (DatabaseAuditorError, BrokerError) as err:
            self.failures += 1
            self.logger.error('Audit Failed for %s: %s', path, err)
        except Exception:  # per-DB funnel of the pass loop (STYLE.md 9)
            self.failures += 1
            self.logger.exception('Could not get %s info %s', self.server_type, path)

    def _dump_progress(self, reported):
        self.logger.info('Since %s: %s audits: %d passed audit, %d failed audit',
                         reported, self.server_type.title(), self.passes, self.failures)
        self._dump({'%s_audits_since' % self.server_type: reported,
                    '%s_audits_passed' % self.server_type: self.passes,
                    '%s_audits_failed' % self.server_type: self.failures})

    def _dump(self, entries):
        dump_recon_cache(entries, self.rcache, self.logger, sleep=self.clock.sleep,
                         monotonic=self.clock.monotonic)

    def _one_audit_pass(self, reported, device_dirs=None):
        limiter = RateLimiter(self.config.dbs_per_second, self.clock)
        for path, _device, _partition in iter_db_files(
                self.config.devices, self.datadir, device_dirs, self.config.mount_check,
                self.is_mount, self.logger):
            self.audit(path)
            if self.clock.time() - reported >= self.config.logging_interval_s:
                self._dump_progress(reported)
                reported = self.clock.time()
                self.passes = self.failures = 0
            limiter.wait()
        return reported

    def run_once(self, mode='once', **kwargs):
        """One pass over every local DB.

        :param kwargs: ``devices`` (comma-separated) restricts the devices.
        :returns: dict with ``passed``, ``failed``, ``quarantined`` and ``elapsed_s``.
        """
        self.logger.info('Begin %s audit "%s" mode', self.server_type, mode)
        begin = self.clock.monotonic()
        reported = self.clock.time()
        self.passes = self.failures = self.quarantines = 0
        device_dirs = set(list_from_csv(kwargs.get('devices'))) or None
        try:
            reported = self._one_audit_pass(reported, device_dirs)
        except Exception:  # the pass loop funnel: report and keep the daemon alive
            self.logger.exception('Exception in %s audit pass', self.server_type)
        elapsed = self.clock.monotonic() - begin
        self.logger.info('%s audit "%s" mode completed: %.02fs',
                         self.server_type.title(), mode, elapsed)
        stats = {'passed': self.passes, 'failed': self.failures,
                 'quarantined': self.quarantines, 'elapsed_s': elapsed}
        self._dump_progress(reported)
        self._dump({'%s_auditor_pass_completed' % self.server_type: elapsed})
        self.last_stats = stats
        return stats

    def run_forever(self, **kwargs):
        """Passes every ``interval`` seconds (see Daemon.run_forever)."""
        kwargs.setdefault('mode', 'forever')
        super().run_forever(**kwargs)

    def statistics(self):
        """:returns: the dict returned by the last :meth:`run_once` (or {})."""
        return dict(getattr(self, 'last_stats', {}))
