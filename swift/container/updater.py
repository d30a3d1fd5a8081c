# Owns the container-updater daemon (Swift's rules, swift-catalog.md 8): each pass walks
# <devices>/<dev>/containers/** and, for every container DB whose put/delete timestamps
# or object count/bytes differ from what it last reported, PUTs the stats to all the
# account's primary nodes at once (X-Account-Override-Deleted: yes, the container's
# X-Backend-Storage-Policy-Index so the account keeps per-policy totals). A majority of
# successes records the report in the DB; when every account node answers 404 the
# account has no replica anywhere and the container DB is quarantined ("no account
# replicas exist"); any other failure suppresses the account for
# account_suppression_time seconds so a down account server is not hammered.
# Up to `concurrency` partition directories are swept at once (green threads; Swift
# forks one process each), each paced at containers_per_second.
# Containers never PUT by a client (put_timestamp 0, auto-created) are not reported.
"""ContainerUpdater daemon and ``swift-container-updater`` main."""

import os
import random
from dataclasses import dataclass

from swift.common.backend_request import DriveUnavailable, check_drive
from swift.common.bufferedhttp import http_connect
from swift.common.concurrency import GreenPile, GreenPool, Timeout
from swift.common.config import config_bool, config_number
from swift.common.daemon import Daemon, daemon_main
from swift.common.db import BrokerError, DatabaseQuarantined
from swift.common.exceptions import ConnectionTimeout
from swift.common.fs import LockTimeout
from swift.common.http_status import is_success
from swift.common.recon import dump_recon_cache, recon_cache_file
from swift.common.swob import str_to_wsgi
from swift.common.timestamp import Timestamp
from swift.container.backend import ContainerBroker
from swift.container.server import DATADIR


@dataclass(frozen=True)
class ContainerUpdaterConfig:
    """Options of ``[container-updater]`` (Swift's names; seconds for times)."""
    devices: str = '/srv/node'
    mount_check: bool = True
    swift_dir: str = '/etc/swift'
    interval_s: float = 300.0
    concurrency: int = 4
    containers_per_second: float = 50.0
    node_timeout_s: float = 3.0
    conn_timeout_s: float = 0.5
    account_suppression_time_s: float = 60.0
    recon_cache_path: str = '/var/cache/swift'

    @classmethod
    def from_conf(cls, conf):
        """Build from the daemon's conf dict.

        :raises ConfigError: naming the bad option.
        """
        def number(name, kind, default):
            return config_number(conf.get(name, default), kind, name, 0)
        return cls(
            devices=conf.get('devices', cls.devices),
            mount_check=config_bool(conf.get('mount_check', 'true'), 'mount_check'),
            swift_dir=conf.get('swift_dir', cls.swift_dir),
            interval_s=number('interval', float, 300),
            concurrency=number('concurrency', int, 4),
            containers_per_second=number('containers_per_second', float, 50),
            node_timeout_s=number('node_timeout', float, 3),
            conn_timeout_s=number('conn_timeout', float, 0.5),
            account_suppression_time_s=number('account_suppression_time', float, 60),
            recon_cache_path=conf.get('recon_cache_path', cls.recon_cache_path))


@dataclass(frozen=True)
class UpdaterPassStats:
    """Counts of one pass: reports sent, failed (quarantined ones included), DBs
    with nothing new, and DBs quarantined because no account replica exists."""
    successes: int
    failures: int
    no_changes: int
    elapsed_s: float
    quarantines: int = 0


def needs_report(info):
    """True when the DB's stats differ from what it last reported."""
    return (info['put_timestamp'] > info['reported_put_timestamp'] or
            info['delete_timestamp'] > info['reported_delete_timestamp'] or
            info['object_count'] != info['reported_object_count'] or
            info['bytes_used'] != info['reported_bytes_used'])


class ContainerUpdater(Daemon):
    """Rolls container stats up to the account servers.

    :param conf: section dict (see :class:`ContainerUpdaterConfig`).
    :param account_ring: object with ``get_nodes(account) -> (part, nodes)``
        (default: ``Ring(swift_dir, 'account')``, loaded on first use).
    :param http_connect: backend client (injected by tests).
    """

    default_interval_s = 300.0

    def __init__(self, conf, *, logger=None, clock=None, account_ring=None,
                 http_connect=http_connect):
        super().__init__(conf, logger=logger, clock=clock)
        self.config = ContainerUpdaterConfig.from_conf(conf)
        self._account_ring = account_ring
        self.http_connect = http_connect
        self.account_suppressions = {}
        self.user_agent = 'container-updater %s' % os.getpid()
        self.rcache = recon_cache_file(self.config.recon_cache_path, 'container')
        self._reset_counts()
        self.last_stats = None

    def _reset_counts(self):
        self.successes = self.failures = self.no_changes = self.quarantines = 0

    @property
    def account_ring(self):
        """The account ring (loaded lazily from swift_dir)."""
        if self._account_ring is None:
            from swift.common.ring import Ring
            self._account_ring = Ring(self.config.swift_dir, ring_name='account')
        return self._account_ring

    def statistics(self):
        """The :class:`UpdaterPassStats` of the last pass (None before any)."""
        return self.last_stats

    def get_paths(self, devices=None):
        """Partition dirs ``<dev>/containers/<part>`` to sweep (shuffled).

        :param devices: optional set of device names to restrict to.
        """
        paths = []
        try:
            device_names = sorted(os.listdir(self.config.devices))
        except OSError as err:
            self.logger.error('Unable to list devices %s: %s', self.config.devices, err)
            return paths
        for device in device_names:
            if devices and device not in devices:
                continue
            try:
                dev_path = check_drive(self.config.devices, device, self.config.mount_check)
            except DriveUnavailable as err:
                self.logger.warning('Skipping %s', err)
                continue
            datadir = os.path.join(dev_path, DATADIR)
            if os.path.isdir(datadir):
                paths.extend(os.path.join(datadir, p) for p in os.listdir(datadir))
        random.shuffle(paths)
        return paths

    def run_once(self, devices=None, **kwargs):
        """One sweep over every container DB, ``concurrency`` partitions at a time.

        :param devices: optional comma-separated device names to restrict to.
        :returns: :class:`UpdaterPassStats`.
        """
        begin = self.clock.monotonic()
        self._reset_counts()
        wanted = set(devices.split(',')) if devices else None
        pool = GreenPool(max(1, self.config.concurrency))
        for path in self.get_paths(wanted):
            pool.spawn_n(self.container_sweep, path)
        pool.waitall()
        elapsed = self.clock.monotonic() - begin
        self.last_stats = UpdaterPassStats(self.successes, self.failures, self.no_changes,
                                           elapsed, self.quarantines)
        self.logger.info('Container update sweep completed: %.02fs, %s successes, %s '
                         'failures, %s with no changes', elapsed, self.successes,
                         self.failures, self.no_changes)
        dump_recon_cache({'container_updater_sweep': elapsed}, self.rcache, self.logger)
        return self.last_stats

    def container_sweep(self, path):
        """Process every DB under one partition dir, paced at containers_per_second."""
        min_interval = 1.0 / self.config.containers_per_second \
            if self.config.containers_per_second else 0
        for db_file in self._db_files(path):
            start = self.clock.monotonic()
            try:
                self.process_container(db_file)
            except (Exception, Timeout) as err:
                self.logger.exception('Error processing container %s: %s', db_file, err)
            spent = self.clock.monotonic() - start
            if min_interval > spent:
                self.clock.sleep(min_interval - spent)

    @staticmethod
    def _db_files(path):
        for root, _dirs, files in os.walk(path):
            for name in sorted(files):
                if name.endswith('.db'):
                    yield os.path.join(root, name)

    def process_container(self, db_file):
        """Report one container DB if its stats changed.

        :returns: 'success', 'failure', 'quarantined', 'no_change' or 'skipped'.
        """
        broker = ContainerBroker(db_file, logger=self.logger)
        try:
            info = broker.get_info()
        except (LockTimeout, BrokerError) as err:
            self.logger.info('Failed to get container info for %s (%s); skipping.',
                             db_file, err)
            return 'skipped'
        if Timestamp(info['put_timestamp']) <= Timestamp(0):
            return 'skipped'
        if self.account_suppressions.get(info['account'], 0) > self.clock.time():
            return 'skipped'
        if not needs_report(info):
            self.no_changes += 1
            return 'no_change'
        part, nodes = self.account_ring.get_nodes(info['account'])
        path = '/%s/%s' % (str_to_wsgi(info['account']), str_to_wsgi(info['container']))
        pile = GreenPile(max(1, len(nodes)))
        for node in nodes:
            pile.spawn(self.container_report, node, part, path, info)
        statuses = list(pile)
        successes = sum(1 for status in statuses if is_success(status))
        if nodes and successes >= len(nodes) // 2 + 1:
            self.successes += 1
            broker.reported(info['put_timestamp'], info['delete_timestamp'],
                            info['object_count'], info['bytes_used'])
            return 'success'
        self.failures += 1
        if nodes and all(status == 404 for status in statuses):
            return self._quarantine_stub(broker, path, db_file)
        until = self.clock.time() + self.config.account_suppression_time_s
        self.account_suppressions[info['account']] = until
        self.logger.debug('Update report failed for %s %s', path, db_file)
        return 'failure'

    def _quarantine_stub(self, broker, path, db_file):
        """Every account replica said 404: the container is a stub of an account
        that no longer exists anywhere; quarantine it as Swift does."""
        self.logger.debug('Update report stub for %s %s', path, db_file)
        try:
            broker.quarantine('no account replicas exist')
        except DatabaseQuarantined:
            self.quarantines += 1
        return 'quarantined'

    def container_report(self, node, part, path, info):
        """PUT the stats to one account node.

        :returns: HTTP status (500 for connection errors and timeouts).
        """
        headers = {'X-Put-Timestamp': info['put_timestamp'],
                   'X-Delete-Timestamp': info['delete_timestamp'],
                   'X-Object-Count': info['object_count'],
                   'X-Bytes-Used': info['bytes_used'],
                   'X-Account-Override-Deleted': 'yes',
                   'X-Backend-Storage-Policy-Index': info['storage_policy_index'],
                   'User-Agent': self.user_agent}
        try:
            with ConnectionTimeout(self.config.conn_timeout_s):
                conn = self.http_connect(node['ip'], node['port'], node['device'], part,
                                         'PUT', path, headers)
            with Timeout(self.config.node_timeout_s):
                resp = conn.getresponse()
                resp.read()
                return resp.status
        except (Exception, Timeout):
            self.logger.exception('ERROR account update failed with %s:%s/%s (will retry '
                                  'later)', node['ip'], node['port'], node['device'])
            return 500


def main(argv=None):
    """``swift-container-updater CONFIG [once] [-v]``."""
    return daemon_main(ContainerUpdater, 'container-updater', argv)
