# Owns the account reaper (swift-catalog.md 8). Rules, as Swift's:
# - it walks the local account DBs; a DB whose status is DELETED (an account DELETE) and
#   that still lists containers is reaped once delay_reaping seconds have passed since
#   its delete_timestamp;
# - each replica's reaper takes the containers whose md5(name) % len(account nodes)
#   equals its own index among the account's primaries, so the work is not repeated;
# - for each container: list its objects from the last container node (direct GET,
#   paged by marker) and DELETE every object on all of its object nodes (telling each
#   object server which container replica to update), then DELETE the container on all
#   of its nodes (telling each which account replica to update, with
#   X-Account-Override-Deleted: yes since the account is deleted);
# - a delete counts as done when more nodes succeeded than failed, "possibly remaining"
#   when some did, "remaining" when none did; a warning is logged when containers remain
#   reap_warn_after seconds after the deletion.
"""Account reaper: :class:`AccountReaper` daemon and ``swift-account-reaper``."""

import collections
import itertools
import math
import os
from dataclasses import dataclass, field

from swift.common import direct_client as direct_client_module
from swift.common import fs
from swift.common.config import config_bool, config_number, list_from_csv
from swift.common.daemon import Daemon, daemon_main
from swift.common.direct_client import DirectClientError, DirectClientException
from swift.common.hashing import md5_hex
from swift.common.timestamp import Timestamp

DATADIR = 'accounts'


@dataclass(frozen=True)
class AccountReaperConfig:
    """``[account-reaper]`` options (Swift's names and defaults).

    :ivar devices: root of the device dirs.
    :ivar mount_check: skip devices that are not mount points.
    :ivar swift_dir: rings and swift.conf.
    :ivar interval_s: seconds between the starts of two passes.
    :ivar concurrency: parallel deletes; containers and objects each get sqrt of it.
    :ivar conn_timeout_s: connect timeout to storage nodes (seconds).
    :ivar node_timeout_s: answer timeout of storage nodes (seconds).
    :ivar delay_reaping_s: wait this long after the account DELETE before reaping.
    :ivar reap_warn_after_s: warn when containers remain this long after delay_reaping.
    :ivar bind_ip: this account server's IP ('0.0.0.0' = any local address).
    :ivar bind_port: this account server's port (0 = do not compare ports).
    """
    devices: str = '/srv/node'
    mount_check: bool = True
    swift_dir: str = '/etc/swift'
    interval_s: float = 3600.0
    concurrency: int = 25
    conn_timeout_s: float = 0.5
    node_timeout_s: float = 10.0
    delay_reaping_s: float = 0.0
    reap_warn_after_s: float = 2592000.0
    bind_ip: str = '0.0.0.0'
    bind_port: int = 0

    @classmethod
    def from_conf(cls, conf):
        """Build from ``[account-reaper]`` merged over ``[DEFAULT]``.

        :raises ConfigError: naming the bad option.
        """
        def number(name, kind, default, minimum=0):
            return config_number(conf.get(name, default), kind, name, minimum)
        return cls(
            devices=conf.get('devices', '/srv/node'),
            mount_check=config_bool(conf.get('mount_check', 'true'), 'mount_check'),
            swift_dir=conf.get('swift_dir', '/etc/swift'),
            interval_s=number('interval', float, 3600),
            concurrency=number('concurrency', int, 25, minimum=1),
            conn_timeout_s=number('conn_timeout', float, 0.5),
            node_timeout_s=number('node_timeout', float, 10),
            delay_reaping_s=number('delay_reaping', float, 0),
            reap_warn_after_s=number('reap_warn_after', float, 2592000),
            bind_ip=conf.get('bind_ip', '0.0.0.0'),
            bind_port=number('bind_port', int, 0))


@dataclass
class ReapStats:
    """Counters of one account's reaping (Swift's stats_*)."""
    containers_deleted: int = 0
    containers_remaining: int = 0
    containers_possibly_remaining: int = 0
    objects_deleted: int = 0
    objects_remaining: int = 0
    objects_possibly_remaining: int = 0
    return_codes: collections.Counter = field(default_factory=collections.Counter)

    def summary(self):
        """The tail of Swift's "Completed pass on account" line."""
        parts = []
        for label, value in (('containers deleted', self.containers_deleted),
                             ('objects deleted', self.objects_deleted),
                             ('containers remaining', self.containers_remaining),
                             ('objects remaining', self.objects_remaining),
                             ('containers possibly remaining',
                              self.containers_possibly_remaining),
                             ('objects possibly remaining',
                              self.objects_possibly_remaining)):
            if value:
                parts.append(', %s %s' % (value, label))
        if self.return_codes:
            parts.append(', return codes: ' + ', '.join(
                '%dxxs: %d' % (kind, count)
                for kind, count in sorted(self.return_codes.items())))
        return ''.join(parts)


def local_ips():
    """Addresses of this host's interfaces (plus the loopback name)."""
    import psutil
    found = {'127.0.0.1', '::1', 'localhost'}
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            found.add(address.address.split('%')[0])
    return found


def _tally(successes, failures):
    """'deleted', 'remaining' or 'possibly_remaining' (Swift's majority rule)."""
    if successes > failures:
        return 'deleted'
    if not successes:
        return 'remaining'
    return 'possibly_remaining'


class AccountReaper(Daemon):
    """``swift-account-reaper``.

    :param conf: ``[account-reaper]`` merged over ``[DEFAULT]`` (strings).
    :param logger: logger.
    :param clock: injected clock (now, delay_reaping, sleeps).
    :param ring_factory: callable(ring_name) -> Ring (``account``, ``container``,
        ``object``, ``object-N``); default loads from swift_dir.
    :param direct_client: module-like object with ``direct_get_container``,
        ``direct_delete_object``, ``direct_delete_container`` (default the real one).
    :param pool_factory: callable(size) -> GreenPool-like.
    :param my_ips: addresses counted as this host (default: interface addresses).
    :param is_mount: callable(path) -> bool.
    :param broker_factory: callable(db_path, logger) -> AccountBroker.
    """

    default_interval_s = 3600.0

    def __init__(self, conf, *, logger=None, clock=None, ring_factory=None,
                 direct_client=None, pool_factory=None, my_ips=None, is_mount=fs.is_mount,
                 broker_factory=None):
        super().__init__(conf, logger=logger, clock=clock)
        self.config = AccountReaperConfig.from_conf(conf)
        self.interval_s = self.config.interval_s
        self._rings = {}
        self.ring_factory = ring_factory or self._load_ring
        self.direct = direct_client or direct_client_module
        if pool_factory is None:
            from swift.common.concurrency import GreenPool as pool_factory
        self.pool_factory = pool_factory
        self.my_ips = set(my_ips) if my_ips is not None else None
        self.is_mount = is_mount
        if broker_factory is None:
            from swift.account.backend import AccountBroker

            def broker_factory(path, logger):
                return AccountBroker(path, logger=logger, clock=self.clock)
        self.broker_factory = broker_factory
        self.sub_concurrency = max(1, int(math.sqrt(self.config.concurrency)))
        self.stats = ReapStats()
        self.reaped_accounts = []

    def _load_ring(self, name):
        from swift.common.ring import Ring
        return Ring(self.config.swift_dir, ring_name=name, clock=self.clock)

    def ring(self, name):
        """The ring called ``name`` (cached)."""
        if name not in self._rings:
            self._rings[name] = self.ring_factory(name)
        return self._rings[name]

    def statistics(self):
        """:returns: list of (account, ReapStats) reaped in the last pass."""
        return list(self.reaped_accounts)

    # -- walking the local account DBs -----------------------------------------------

    def _is_local(self, node, device):
        if node['device'] != device:
            return False
        if self.config.bind_port and int(node['port']) != self.config.bind_port:
            return False
        if self.config.bind_ip not in ('0.0.0.0', '::', ''):
            return node['ip'] == self.config.bind_ip
        if self.my_ips is None:
            self.my_ips = local_ips()
        return node['ip'] in self.my_ips

    def run_once(self, **kwargs):
        """Reap every deleted account held on the local devices.

        :param kwargs: ``devices`` (comma-separated) restricts the devices.
        :returns: list of (account, :class:`ReapStats`).
        """
        begin = self.clock.monotonic()
        self.reaped_accounts = []
        only = set(list_from_csv(kwargs.get('devices')))
        try:
            self.ring('account')
        except Exception as err:  # no ring, no reaping: say so once per pass
            self.logger.error('Unable to load the account ring: %s', err)
            return []
        try:
            devices = sorted(os.listdir(self.config.devices))
        except OSError as err:
            self.logger.error('Unable to list devices %s: %s', self.config.devices, err)
            return []
        for device in devices:
            if only and device not in only:
                continue
            path = os.path.join(self.config.devices, device)
            if self.config.mount_check and not self.is_mount(path):
                self.logger.warning('Skipping %s as it is not mounted', device)
                continue
            self.reap_device(device)
        self.logger.info('Devices pass completed: %.02fs', self.clock.monotonic() - begin)
        return list(self.reaped_accounts)

    def reap_device(self, device):
        """Reap the deleted accounts of one device whose DBs this node is primary for."""
        datadir = os.path.join(self.config.devices, device, DATADIR)
        if not os.path.isdir(datadir):
            return
        for partition in sorted(os.listdir(datadir)):
            partition_path = os.path.join(datadir, partition)
            if not partition.isdigit() or not os.path.isdir(partition_path):
                continue
            nodes = self.ring('account').get_part_nodes(int(partition))
            shard = next((index for index, node in enumerate(nodes)
                          if self._is_local(node, device)), None)
            if shard is None:
                continue
            for db_path in self._db_files(partition_path):
                self._maybe_reap(db_path, partition, nodes, shard)

    @staticmethod
    def _db_files(partition_path):
        for suffix in sorted(os.listdir(partition_path)):
            suffix_path = os.path.join(partition_path, suffix)
            if not os.path.isdir(suffix_path):
                continue
            for hsh in sorted(os.listdir(suffix_path)):
                hsh_path = os.path.join(suffix_path, hsh)
                if not os.path.isdir(hsh_path):
                    continue
                for name in sorted(os.listdir(hsh_path), reverse=True):
                    if name.endswith('.ts'):
                        break
                    if name.endswith('.db'):
                        yield os.path.join(hsh_path, name)
                        break

    def _maybe_reap(self, db_path, partition, nodes, shard):
        from swift.common.db import BrokerError
        broker = self.broker_factory(db_path, self.logger)
        try:
            if broker.is_status_deleted() and not broker.empty():
                self.reap_account(broker, partition, nodes, container_shard=shard)
        except BrokerError as err:
            self.logger.error('Unable to reap %s: %s', db_path, err)

    # -- reaping ----------------------------------------------------------------------

    def reap_account(self, broker, partition, nodes, container_shard=None):
        """Delete the containers (and their objects) of a deleted account.

        :param broker: AccountBroker of the deleted account.
        :param partition: the account's partition.
        :param nodes: the account's primary nodes.
        :param container_shard: this node's index in ``nodes`` (None = all containers).
        :returns: True when reaped, False when still within delay_reaping.
        """
        info = broker.get_info()
        delete_timestamp = Timestamp(info['delete_timestamp'])
        now = self.clock.time()
        if now - float(delete_timestamp) <= self.config.delay_reaping_s:
            return False
        account = info['account']
        begin = self.clock.monotonic()
        self.logger.info('Beginning pass on account %s', account)
        self.stats = ReapStats()
        try:
            self._reap_containers(broker, account, partition, nodes, container_shard)
            head = 'Completed pass on account %s' % account
        except Exception:  # per-account funnel: the next account still gets reaped
            self.logger.exception('Exception with account %s', account)
            head = 'Incomplete pass on account %s' % account
        self.logger.info('%s%s, elapsed: %.02fs', head, self.stats.summary(),
                         self.clock.monotonic() - begin)
        warn_after = self.config.reap_warn_after_s + self.config.delay_reaping_s
        if self.stats.containers_remaining and now - float(delete_timestamp) >= warn_after:
            self.logger.warning('Account %s has not been reaped since %s', account,
                                delete_timestamp.isoformat)
        self.reaped_accounts.append((account, self.stats))
        return True

    def _reap_containers(self, broker, account, partition, nodes, container_shard):
        limit = 1000 * (len(nodes) if container_shard is not None else 1)
        marker = ''
        while True:
            rows = broker.list_containers_iter(limit, marker, None, None, None,
                                               allow_reserved=True)
            if not rows:
                return
            pool = self.pool_factory(self.sub_concurrency)
            for row in rows:
                container = row[0]
                this_shard = int(md5_hex(container.encode('utf-8')), 16) % len(nodes)
                if container_shard not in (this_shard, None):
                    continue
                pool.spawn(self.reap_container, account, partition, nodes, container)
            pool.waitall()
            marker = rows[-1][0]

    def _timeouts(self):
        return {'conn_timeout': self.config.conn_timeout_s,
                'response_timeout': self.config.node_timeout_s}

    def _note_error(self, err, node):
        if isinstance(err, DirectClientException):
            self.stats.return_codes[err.http_status // 100] += 1
            self.logger.debug('%s', err)
        else:
            self.logger.error('Timeout Exception with %s:%s/%s', node.get('ip'),
                              node.get('port'), node.get('device'))

    def reap_container(self, account, account_partition, account_nodes, container):
        """Delete every object of ``container``, then the container on all its nodes."""
        part, nodes = self.ring('container').get_nodes(account, container)
        self._reap_objects(account, container, part, nodes)
        successes = failures = 0
        timestamp = Timestamp(self.clock.time()).internal
        account_cycle = itertools.cycle(reversed(list(account_nodes)))
        for node in nodes:
            anode = next(account_cycle)
            headers = {'X-Account-Host': '%s:%s' % (anode['ip'], anode['port']),
                       'X-Account-Partition': str(account_partition),
                       'X-Account-Device': anode['device'],
                       'X-Account-Override-Deleted': 'yes', 'X-Timestamp': timestamp}
            try:
                self.direct.direct_delete_container(node, part, account, container,
                                                    headers=headers, **self._timeouts())
                successes += 1
                self.stats.return_codes[2] += 1
            except DirectClientError as err:
                failures += 1
                self._note_error(err, node)
        outcome = _tally(successes, failures)
        setattr(self.stats, 'containers_' + outcome,
                getattr(self.stats, 'containers_' + outcome) + 1)

    def _reap_objects(self, account, container, part, nodes):
        node = nodes[-1]
        marker = ''
        while True:
            try:
                headers, objects = self.direct.direct_get_container(
                    node, part, account, container, marker=marker, **self._timeouts())
                self.stats.return_codes[2] += 1
            except DirectClientError as err:
                self._note_error(err, node)
                return
            if not objects:
                return
            policy_index = headers.get('X-Backend-Storage-Policy-Index', '0')
            pool = self.pool_factory(self.sub_concurrency)
            for obj in objects:
                pool.spawn(self.reap_object, account, container, part, nodes,
                           obj['name'], policy_index)
            pool.waitall()
            marker = objects[-1]['name']

    def reap_object(self, account, container, container_partition, container_nodes, obj,
                    policy_index):
        """DELETE one object on all of its nodes (each told a container replica)."""
        ring_name = 'object' if str(policy_index) in ('0', '') else \
            'object-%s' % policy_index
        try:
            ring = self.ring(ring_name)
        except Exception as err:  # missing ring for a policy: report, keep reaping
            self.logger.error('Unable to load %s ring: %s', ring_name, err)
            self.stats.objects_remaining += 1
            return
        part, nodes = ring.get_nodes(account, container, obj)
        container_cycle = itertools.cycle(container_nodes)
        successes = failures = 0
        timestamp = Timestamp(self.clock.time()).internal
        for node in nodes:
            cnode = next(container_cycle)
            headers = {'X-Container-Host': '%s:%s' % (cnode['ip'], cnode['port']),
                       'X-Container-Partition': str(container_partition),
                       'X-Container-Device': cnode['device'],
                       'X-Backend-Storage-Policy-Index': str(policy_index),
                       'X-Timestamp': timestamp}
            try:
                self.direct.direct_delete_object(node, part, account, container, obj,
                                                 headers=headers, **self._timeouts())
                successes += 1
                self.stats.return_codes[2] += 1
            except DirectClientError as err:
                failures += 1
                self._note_error(err, node)
        outcome = _tally(successes, failures)
        setattr(self.stats, 'objects_' + outcome,
                getattr(self.stats, 'objects_' + outcome) + 1)


def main(argv=None):
    """``swift-account-reaper CONFIG [-v] [-o|once] [-d DEVS]``.

    :returns: exit status (0 done, 1 config error, 2 usage error).
    """
    return daemon_main(AccountReaper, 'account-reaper', argv)
