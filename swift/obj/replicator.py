# Owns the object replicator (swift-catalog.md 8): for every replication policy, every
# local device and every partition directory on it, one job per pass. Rules (Swift's):
#   * a partition whose primaries include the local device is a SYNC job: ask each
#     other primary for its suffix hashes (REPLICATE), rehash the suffixes that differ,
#     push the still-differing ones (rsync then REPLICATE with the suffixes, or ssync);
#     a peer answering 507 is replaced by the next handoff; one sync per remote region;
#   * any other partition is a REVERT (handoff) job: push every suffix to the
#     primaries and delete the local copy only when enough pushes succeeded
#     (handoff_delete, default all) and nothing new arrived meanwhile; with ssync only
#     the objects reported in sync are deleted;
#   * handoffs_first runs revert jobs first; -d/-p/-i restrict the pass; a ring change
#     ends the pass early; stats go to the recon cache after a full pass.
"""Object replicator daemon: :class:`ObjectReplicator` and ``main``."""

import errno
import os
import random
import shutil
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Dict, List

from swift.common import concurrency
from swift.common.config import config_bool, config_number, list_from_csv
from swift.common.daemon import Daemon, daemon_main
from swift.common.hashing import HashPathConfig
from swift.common.recon import dump_recon_cache, recon_cache_file
from swift.common.replication import (RSYNC_TEMP_EXCLUDE, is_local_device,
                                      log_rsync_result, rsync_module_interpolation,
                                      run_rsync, whataremyips)
from swift.common.safe_pickle import safe_loads
from swift.common.storage_policy import REPL_POLICY, StoragePolicyCollection
from swift.obj import hashes as hashes_mod
from swift.obj.diskfile import (DiskFileConfig, DiskFileManager, get_data_dir,
                                get_tmp_dir)
from swift.obj.hashes import valid_suffix
from swift.obj.ssync_sender import SenderConfig, SsyncSender

HANDOFF_SEARCH_MAX = 64   # bound on handoffs tried in place of unmounted peers
LISTDIR_CYCLE = 10        # every partition lists its suffix dirs once per 10 passes


@dataclass(frozen=True)
class ObjectReplicatorConfig:
    """``[object-replicator]`` options (Swift's names and defaults; units in names)."""
    devices: str = '/srv/node'
    mount_check: bool = True
    swift_dir: str = '/etc/swift'
    bind_ip: str = '0.0.0.0'
    bind_port: int = 6200
    concurrency: int = 1
    sync_method: str = 'rsync'
    rsync_timeout_s: float = 900.0
    rsync_io_timeout_s: int = 30
    rsync_bwlimit: str = '0'
    rsync_compress: bool = False
    rsync_module: str = '{replication_ip}::object'
    log_rsync_transfers: bool = True
    http_timeout_s: float = 60.0
    conn_timeout_s: float = 0.5
    node_timeout_s: float = 10.0
    reclaim_age_s: float = 604800.0
    ring_check_interval_s: float = 15.0
    handoffs_first: bool = False
    handoff_delete: int = 0      # 0 = auto: every primary must succeed
    recon_cache_path: str = '/var/cache/swift'

    @classmethod
    def from_conf(cls, conf):
        """:raises swift.common.config.ConfigError: naming the bad option."""
        from swift.common.config import ConfigError

        def number(name, kind, default, minimum=0):
            return config_number(conf.get(name, default), kind, name, minimum)

        def flag(name, default):
            return config_bool(conf.get(name, default), name)
        sync_method = conf.get('sync_method', 'rsync')
        if sync_method not in ('rsync', 'ssync'):
            raise ConfigError('sync_method must be rsync or ssync, not %r' % sync_method,
                              option='sync_method')
        handoff_delete = conf.get('handoff_delete', 'auto')
        handoff_delete = 0 if str(handoff_delete).lower() == 'auto' else config_number(
            handoff_delete, int, 'handoff_delete', 0)
        return cls(
            devices=conf.get('devices', '/srv/node'),
            mount_check=flag('mount_check', 'true'),
            swift_dir=conf.get('swift_dir', '/etc/swift'),
            bind_ip=conf.get('ring_ip') or conf.get('bind_ip', '0.0.0.0'),
            bind_port=number('bind_port', int, 6200),
            concurrency=number('concurrency', int, 1, 1),
            sync_method=sync_method,
            rsync_timeout_s=number('rsync_timeout', float, 900),
            rsync_io_timeout_s=number('rsync_io_timeout', int, 30),
            rsync_bwlimit=str(conf.get('rsync_bwlimit', '0')),
            rsync_compress=flag('rsync_compress', 'no'),
            rsync_module=(conf.get('rsync_module') or '{replication_ip}::object').rstrip('/'),
            log_rsync_transfers=flag('log_rsync_transfers', 'true'),
            http_timeout_s=number('http_timeout', float, 60),
            conn_timeout_s=number('conn_timeout', float, 0.5),
            node_timeout_s=number('node_timeout', float, 10),
            reclaim_age_s=number('reclaim_age', float, 604800),
            ring_check_interval_s=number('ring_check_interval', float, 15),
            handoffs_first=flag('handoffs_first', 'false'),
            handoff_delete=handoff_delete,
            recon_cache_path=conf.get('recon_cache_path', '/var/cache/swift'))


@dataclass
class ReplicationJob:
    """One partition of one device to replicate.

    :ivar nodes: the peers: other primaries (sync) or all primaries (revert).
    :ivar delete: True for a revert (handoff) job.
    """
    device: str
    partition: str
    path: str
    policy_index: int
    ring: Any
    nodes: List[dict]
    delete: bool
    region: Any = None


@dataclass
class ReplicationStats:
    """Counters of one pass (the ``replication_stats`` recon entry)."""
    attempted: int = 0
    success: int = 0
    failure: int = 0
    hashmatch: int = 0
    remove: int = 0
    rsync: int = 0
    suffix_count: int = 0
    suffix_hash: int = 0
    suffix_sync: int = 0
    start: float = 0.0
    failure_nodes: Dict[str, Dict[str, int]] = field(default_factory=dict)

    def add_failure(self, node):
        self.failure += 1
        ip = node.get('replication_ip') or node.get('ip', '')
        devices = self.failure_nodes.setdefault(ip, {})
        devices[node.get('device', '')] = devices.get(node.get('device', ''), 0) + 1

    def to_dict(self):
        return dict(self.__dict__)


def node_str(node):
    """``ip:port/device`` for logs."""
    return '%s:%s/%s' % (node.get('replication_ip'), node.get('replication_port'),
                         node.get('device'))


class ObjectReplicator(Daemon):
    """The object replicator.

    :param conf: merged ``[object-replicator]`` conf dict.
    :param logger: component logger.
    :param clock: :class:`swift.common.clock.Clock`.
    :param policies: :class:`StoragePolicyCollection` (default from swift_dir).
    :param rings: {policy_index: ring} (default: loaded from swift_dir on use).
    :param manager: local :class:`DiskFileManager`.
    :param http_connect: backend connection factory (bufferedhttp.http_connect).
    :param rsync_runner: callable(args, timeout_s) -> RsyncResult.
    :param sender_class: ssync sender class.
    """

    def __init__(self, conf, *, logger=None, clock=None, policies=None, rings=None,
                 manager=None, http_connect=None, rsync_runner=None,
                 sender_class=SsyncSender):
        super().__init__(conf, logger=logger, clock=clock)
        self.config = ObjectReplicatorConfig.from_conf(conf)
        self.policies = policies or StoragePolicyCollection.from_swift_dir(
            self.config.swift_dir)
        self.rings = dict(rings or {})
        if manager is None:
            manager = DiskFileManager(
                DiskFileConfig.from_conf(conf), logger=self.logger, clock=self.clock,
                hash_config=HashPathConfig.from_swift_dir(self.config.swift_dir))
        self.manager = manager
        if http_connect is None:
            from swift.common.bufferedhttp import http_connect
        self.http_connect = http_connect
        self.rsync_runner = rsync_runner or run_rsync
        self.sender_class = sender_class
        self.sender_config = SenderConfig.from_conf(conf)
        self.my_ips = whataremyips(self.config.bind_ip)
        self.replication_cycle = random.randint(0, LISTDIR_CYCLE - 1)
        self.stats = ReplicationStats()
        self._own_rings = set()
        # as Swift: the first ring check comes one ring_check_interval after start
        self._ring_checked_at = self.clock.monotonic()

    # ---------------------------------------------------------------- rings and jobs

    def get_ring(self, policy):
        ring = self.rings.get(policy.idx)
        if ring is None:
            from swift.common.ring import Ring
            ring = Ring(self.config.swift_dir, ring_name=policy.ring_name,
                        reload_time=self.config.ring_check_interval_s)
            self.rings[policy.idx] = ring
            self._own_rings.add(policy.idx)
        return ring

    def collect_jobs(self, devices=None, partitions=None, policies=None):
        """Jobs of this pass, shuffled (revert jobs first with handoffs_first).

        :param devices/partitions/policies: restrict to these (lists) or None.
        :returns: list of :class:`ReplicationJob`.
        """
        jobs = []
        for policy in self.policies:
            if policy.policy_type != REPL_POLICY:
                continue
            if policies is not None and policy.idx not in policies:
                continue
            try:
                ring = self.get_ring(policy)
            except Exception as err:  # a missing ring skips its policy, not the pass
                self.logger.error('Unable to load ring for policy %s: %s', policy.idx, err)
                continue
            for dev in ring.devs:
                if not is_local_device(self.my_ips, self.config.bind_port, dev):
                    continue
                if devices is not None and dev['device'] not in devices:
                    continue
                jobs.extend(self._device_jobs(policy, ring, dev, partitions))
        random.shuffle(jobs)
        if self.config.handoffs_first:
            jobs.sort(key=lambda job: not job.delete)
        return jobs

    def _device_jobs(self, policy, ring, dev, partitions):
        dev_path = self.manager.get_dev_path(dev['device'])
        if dev_path is None:
            self.logger.warning('%s is not mounted', dev['device'])
            for other in ring.devs:
                if other:
                    self.stats.add_failure(other)
            return []
        self._clean_tmp(os.path.join(dev_path, get_tmp_dir(policy.idx)))
        data_path = os.path.join(dev_path, get_data_dir(policy.idx))
        try:
            names = os.listdir(data_path)
        except FileNotFoundError:
            return []
        jobs = []
        for name in names:
            if not name.isdigit() or (partitions is not None and int(name) not in partitions):
                continue
            if int(name) >= ring.partition_count:
                self.logger.warning('Partition %s/%s is outside the ring', data_path, name)
                continue
            part_nodes = ring.get_part_nodes(int(name))
            is_primary = any(node['id'] == dev['id'] for node in part_nodes)
            peers = [node for node in part_nodes if node['id'] != dev['id']]
            jobs.append(ReplicationJob(
                device=dev['device'], partition=name, path=os.path.join(data_path, name),
                policy_index=policy.idx, ring=ring,
                nodes=peers if is_primary else part_nodes, delete=not is_primary,
                region=dev.get('region')))
        return jobs

    def _clean_tmp(self, tmp_path):
        """Remove temp files older than reclaim_age (left by crashed writers)."""
        cutoff = self.clock.time() - self.config.reclaim_age_s
        try:
            names = os.listdir(tmp_path)
        except OSError:
            return
        for name in names:
            path = os.path.join(tmp_path, name)
            try:
                if os.path.isfile(path) and os.path.getmtime(path) < cutoff:
                    os.unlink(path)
            except OSError:
                pass

    def ring_changed(self, ring):
        """True when the ring file changed (checked every ring_check_interval)."""
        now = self.clock.monotonic()
        if now - self._ring_checked_at < self.config.ring_check_interval_s:
            return False
        self._ring_checked_at = now
        has_changed = getattr(ring, 'has_changed', None)
        return bool(has_changed and has_changed())

    # ---------------------------------------------------------------- hashes

    def local_hashes(self, job, recalculate=(), do_listdir=False):
        """(suffixes hashed, {suffix: md5}) of the job's partition."""
        if not os.path.isdir(job.path):
            return 0, {}
        hashed, found = hashes_mod.get_hashes(
            job.path, recalculate=list(recalculate), do_listdir=do_listdir,
            reclaim_age_s=self.config.reclaim_age_s, logger=self.logger,
            clock=self.clock.time, lock_timeout_s=self.manager.config.lock_timeout_s)
        return hashed, {k: v for k, v in found.items() if k not in ('valid', 'updated')}

    def remote_hashes(self, job, node, suffixes=None):
        """REPLICATE to ``node``: its suffix hashes (None when ``suffixes`` given).

        :returns: (status, hashes dict or None).
        :raises OSError, concurrency.Timeout: network trouble.
        """
        path = '/' + '-'.join(suffixes) if suffixes else ''
        headers = {'X-Backend-Storage-Policy-Index': str(job.policy_index),
                   'User-Agent': 'object-replicator %s' % os.getpid()}
        with concurrency.Timeout(self.config.http_timeout_s):
            conn = self.http_connect(node['replication_ip'], node['replication_port'],
                                     node['device'], job.partition, 'REPLICATE', path,
                                     headers=headers)
            response = conn.getresponse()
            body = response.read()
        if response.status != 200 or suffixes:
            return response.status, None
        loaded = safe_loads(body, encoding='utf-8')
        return response.status, loaded if isinstance(loaded, dict) else {}

    # ---------------------------------------------------------------- sync methods

    def sync(self, node, job, suffixes, remote_check_objs=None, remote_empty=True):
        """Push ``suffixes`` to ``node``.

        :param remote_empty: the node may lack the partition dir (rsync only).
        :returns: (success, in-sync objects).
        """
        if self.config.sync_method == 'ssync':
            sender = self.sender_class(self.manager, node, job.device, job.partition,
                                       job.policy_index, suffixes,
                                       config=self.sender_config, logger=self.logger,
                                       remote_check_objs=remote_check_objs)
            return sender()
        return self.rsync(node, job, suffixes, remote_empty), {}

    def rsync(self, node, job, suffixes, remote_empty=True):
        """rsync the suffix dirs to ``<module>/<dev>/objects[-N]/<part>``, then
        REPLICATE with the suffixes so the remote rehashes them.

        rsync creates only the last directory of its target, so when the remote may
        lack ``objects[-N]/<part>`` (a wiped or new device, a revert) a REPLICATE with
        the suffixes goes first: invalidating them creates the partition dir.
        """
        sources = [os.path.join(job.path, s) for s in suffixes
                   if os.path.exists(os.path.join(job.path, s))]
        if not sources:
            return False
        args = ['rsync', '--recursive', '--whole-file', '--human-readable', '--xattrs',
                '--itemize-changes', '--ignore-existing',
                '--timeout=%s' % self.config.rsync_io_timeout_s,
                '--contimeout=%s' % self.config.rsync_io_timeout_s,
                '--bwlimit=%s' % self.config.rsync_bwlimit, RSYNC_TEMP_EXCLUDE]
        if self.config.rsync_compress and job.region != node.get('region'):
            args.append('--compress')
        module = rsync_module_interpolation(self.config.rsync_module, node)
        args.extend(sources)
        args.append('/'.join([module, node['device'], get_data_dir(job.policy_index),
                              job.partition]))
        if remote_empty:
            try:
                self.remote_hashes(job, node, suffixes)
            except (OSError, concurrency.Timeout) as err:
                self.logger.error('Unable to REPLICATE suffixes to %s: %s',
                                  node_str(node), err)
                return False
        begin = self.clock.monotonic()
        result = self.rsync_runner(args, self.config.rsync_timeout_s)
        success = log_rsync_result(self.logger, args, result,
                                   self.clock.monotonic() - begin,
                                   self.config.log_rsync_transfers)
        if success or not job.delete:
            try:
                self.remote_hashes(job, node, suffixes)
            except (OSError, concurrency.Timeout) as err:
                self.logger.error('Unable to REPLICATE suffixes to %s: %s',
                                  node_str(node), err)
        return success

    # ---------------------------------------------------------------- sync jobs

    def update(self, job):
        """A SYNC job: compare suffix hashes with each peer, push differences."""
        self.stats.attempted += 1
        do_listdir = (int(job.partition) + self.replication_cycle) % LISTDIR_CYCLE == 0
        try:
            hashed, local_hash = self.local_hashes(job, do_listdir=do_listdir)
        except Exception:  # a broken partition must not end the pass
            self.logger.exception('Error hashing partition %s', job.path)
            self.stats.add_failure({'replication_ip': self.my_ips[0],
                                    'device': job.device})
            return
        self.stats.suffix_hash += hashed
        synced_regions = set()
        attempts_left = len(job.nodes)
        handoffs_left = HANDOFF_SEARCH_MAX
        nodes = chain(random.sample(job.nodes, len(job.nodes)),
                      job.ring.get_more_nodes(int(job.partition)))
        all_ok = True
        while attempts_left > 0:
            node = next(nodes, None)
            if node is None:
                break
            attempts_left -= 1
            if node.get('region') in synced_regions:
                continue
            outcome = self._sync_with(job, node, local_hash)
            if outcome == 'unmounted' and handoffs_left > 0:
                handoffs_left -= 1
                attempts_left += 1
            if outcome in ('unmounted', 'failed'):
                self.stats.add_failure(node)
                all_ok = False
            elif outcome == 'synced' and node.get('region') != job.region:
                synced_regions.add(node.get('region'))
        self.stats.suffix_count += len(local_hash)
        if all_ok:
            self.stats.success += 1

    def _sync_with(self, job, node, local_hash):
        """One peer of a SYNC job. :returns: 'in_sync', 'synced', 'failed' or
        'unmounted'."""
        try:
            status, remote_hash = self.remote_hashes(job, node)
            if status == 507:
                self.logger.error('%s responded as unmounted', node_str(node))
                return 'unmounted'
            if status != 200:
                self.logger.error('Invalid response %s from %s', status, node_str(node))
                return 'failed'
            suffixes = [s for s in local_hash if local_hash[s] != remote_hash.get(s, -1)]
            if not suffixes:
                self.stats.hashmatch += 1
                return 'in_sync'
            hashed, recalculated = self.local_hashes(job, recalculate=suffixes)
            self.stats.suffix_hash += hashed
            local_hash.update(recalculated)
            suffixes = [s for s in local_hash if local_hash[s] != remote_hash.get(s, -1)]
            if not suffixes:
                self.stats.hashmatch += 1
                return 'in_sync'
            self.stats.rsync += 1
            success, _ = self.sync(node, job, suffixes, remote_empty=not remote_hash)
            self.stats.suffix_sync += len(suffixes)
            return 'synced' if success else 'failed'
        except (OSError, concurrency.Timeout) as err:   # peer down or slow: one line
            self.logger.error('Error syncing with node: %s: %s', node_str(node), err)
            return 'failed'
        except Exception:  # one peer must not end the job
            self.logger.exception('Error syncing with node: %s', node_str(node))
            return 'failed'

    # ---------------------------------------------------------------- revert jobs

    def local_suffixes(self, job):
        try:
            return sorted(s for s in os.listdir(job.path) if valid_suffix(s)
                          and os.path.isdir(os.path.join(job.path, s)))
        except FileNotFoundError:
            return []

    def update_deleted(self, job):
        """A REVERT job: push everything to the primaries, then delete what is safe."""
        self.stats.attempted += 1
        suffixes = self.local_suffixes(job)
        if not suffixes:
            self.delete_partition(job.path)
            self.stats.success += 1
            return
        _, before = self.local_hashes(job, recalculate=suffixes)
        responses = []
        in_sync_sets = []
        for node in job.nodes:
            self.stats.rsync += 1
            try:
                success, in_sync = self.sync(node, job, suffixes)
            except (Exception, concurrency.Timeout):  # one peer must not end the job
                self.logger.exception('Error syncing handoff partition to %s',
                                      node_str(node))
                success, in_sync = False, {}
            if not success:
                self.stats.add_failure(node)
            responses.append(success)
            in_sync_sets.append(set(in_sync))
        wanted = self.config.handoff_delete or len(job.nodes)
        if sum(responses) < wanted or not job.nodes:
            self.logger.info('Keeping handoff %s: %d of %d pushes succeeded', job.path,
                             sum(responses), len(job.nodes))
            return
        self.stats.success += 1
        if self.config.sync_method == 'ssync':
            candidates = set.intersection(*[s for s, ok in zip(in_sync_sets, responses)
                                            if ok])
            self.delete_handoff_objects(job, candidates)
            return
        _, after = self.local_hashes(job, recalculate=suffixes, do_listdir=True)
        if after != before:
            self.logger.info('Keeping handoff %s: it changed during the push', job.path)
            return
        self.delete_partition(job.path)

    def delete_partition(self, path):
        """Remove a reverted handoff partition dir."""
        if not os.path.exists(path):
            return
        self.logger.info('Removing partition: %s', path)
        self.stats.remove += 1
        shutil.rmtree(path, ignore_errors=True)

    def delete_handoff_objects(self, job, object_hashes):
        """Remove the hash dirs of objects the primaries confirmed (ssync)."""
        self.logger.info('Removing %s objects', len(object_hashes))
        for object_hash in object_hashes:
            hash_dir = os.path.join(job.path, object_hash[-3:], object_hash)
            shutil.rmtree(hash_dir, ignore_errors=True)
            try:
                os.rmdir(os.path.dirname(hash_dir))
            except OSError as err:
                if err.errno not in (errno.ENOENT, errno.ENOTEMPTY):
                    self.logger.error('Unable to remove suffix dir %s: %s',
                                      os.path.dirname(hash_dir), err)
            try:
                hashes_mod.invalidate_hash(os.path.dirname(hash_dir),
                                           self.manager.config.lock_timeout_s)
            except OSError:
                pass
        self.stats.remove += len(object_hashes)
        if not self.local_suffixes(job):
            self.delete_partition(job.path)

    # ---------------------------------------------------------------- passes

    def replicate(self, devices=None, partitions=None, policies=None):
        """One pass over the (filtered) jobs. :returns: the pass's stats."""
        self.stats = ReplicationStats(start=self.clock.time())
        self.replication_cycle = (self.replication_cycle + 1) % LISTDIR_CYCLE
        for index in list(self._own_rings):
            # a ring file replaced since the last pass is read afresh before this one
            if self.rings[index].has_changed():
                del self.rings[index]
                self._own_rings.discard(index)
        jobs = self.collect_jobs(devices, partitions, policies)
        pool = concurrency.GreenPool(self.config.concurrency)
        for job in jobs:
            if self.ring_changed(job.ring):
                self.logger.info('Ring change detected. Aborting current replication '
                                 'pass.')
                break
            pool.spawn(self.run_job, job)
        pool.waitall()
        return self.stats

    def run_job(self, job):
        """Run one job; never raises."""
        try:
            if job.delete:
                self.update_deleted(job)
            else:
                self.update(job)
        except (Exception, concurrency.Timeout):  # the job funnel (STYLE.md 9)
            self.logger.exception('Exception in replication job %s', job.path)

    def run_once(self, **kwargs):
        """One pass; a full (unfiltered) pass writes its stats to the recon cache."""
        devices = list_from_csv(kwargs.get('devices')) or None
        partitions = [int(p) for p in list_from_csv(kwargs.get('partitions'))] or None
        policies = [int(p) for p in list_from_csv(kwargs.get('policies'))] or None
        begin = self.clock.time()
        self.logger.info('Running object replicator in script mode.')
        stats = self.replicate(devices, partitions, policies)
        total_min = (self.clock.time() - begin) / 60
        self.logger.info('Object replication complete (once). (%.02f minutes)', total_min)
        self.logger.info('%d partitions attempted, %d succeeded, %d failed, %d removed',
                         stats.attempted, stats.success, stats.failure, stats.remove)
        if devices or partitions or policies:
            return stats
        now = self.clock.time()
        dump_recon_cache({'replication_stats': stats.to_dict(),
                          'replication_time': total_min, 'replication_last': now,
                          'object_replication_time': total_min,
                          'object_replication_last': now},
                         recon_cache_file(self.config.recon_cache_path, 'object'),
                         self.logger)
        return stats


def main(argv=None):
    """``swift-object-replicator CONFIG [-o|once] [-v] [-d DEVS] [-p PARTS] [-i POLS]``."""
    return daemon_main(ObjectReplicator, 'object-replicator', argv)


__all__ = ['ObjectReplicator', 'ObjectReplicatorConfig', 'ReplicationJob',
           'ReplicationStats', 'main']
