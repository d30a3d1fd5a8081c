# Owns replication of account and container databases (swift-catalog.md 4, 8): the
# REPLICATE verb a DB server answers (:class:`ReplicatorRpc`) and the daemon that
# drives it (:class:`Replicator`). Rules (Swift's):
#   * request ``REPLICATE /<dev>/<part>/<hash>``, JSON body ``[op, args...]``; ops
#     sync, merge_items, merge_syncs, complete_rsync, rsync_then_merge;
#   * the daemon visits every DB on its local devices: reclaim old tombstone rows,
#     remove a DB deleted longer than reclaim_age, then replicate to each primary,
#     starting with the one after itself in the primary list;
#   * per peer: ``sync`` -> 404: rsync the whole DB to ``<dev>/tmp/<id>`` and
#     complete_rsync; in sync (sync point or hash): nothing; remote far behind (its
#     max_row < 50% of ours and the gap > per_diff): rsync + rsync_then_merge; else
#     send rows after the sync point in batches of per_diff, at most max_diffs batches,
#     then merge_syncs and record the outgoing sync point;
#   * a 507 peer is replaced by the next handoff (bounded by the ring's handoffs);
#   * a DB on a node that is not one of its primaries is removed once pushed to all
#     primaries (handoff_delete: how many successes suffice, default all).
"""DB replication: :class:`ReplicatorRpc` (server side) and :class:`Replicator`."""

import json
import math
import os
import random
import shutil
import uuid
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Dict
from urllib.parse import quote

from swift.common import concurrency
from swift.common.bufferedhttp import BufferedHTTPConnection
from swift.common.config import config_bool, config_number, list_from_csv
from swift.common.daemon import Daemon
from swift.common.fs import mkdirs, renamer
from swift.common.recon import dump_recon_cache, recon_cache_file
from swift.common.replication import (is_local_device, log_rsync_result,
                                      rsync_module_interpolation, run_rsync, whataremyips)
from swift.common.swob import (HTTPAccepted, HTTPBadRequest, HTTPInsufficientStorage,
                               HTTPNoContent, HTTPNotFound, Response)
from swift.common.timestamp import Timestamp

MERGE_BATCH_ROWS = 1000      # rows per merge step of rsync_then_merge (Swift's)
HANDOFF_SEARCH_MAX = 64      # bound on handoffs tried in place of unmounted peers


# ---------------------------------------------------------------- broker helpers

def get_replication_info(broker):
    """The broker's info plus what replication compares (Swift's
    ``get_replication_info``): ``count``, ``max_row``, ``metadata`` (JSON text).

    ``max_row`` is the AUTOINCREMENT high-water mark (sqlite_sequence), -1 when empty.
    """
    info = dict(broker.get_info())
    info['count'] = info.get('%s_count' % broker.db_contains_type, 0)
    with broker.get() as conn:
        row = conn.execute('SELECT seq FROM sqlite_sequence WHERE name = ?',
                           (broker.db_contains_type,)).fetchone()
        metadata = conn.execute('SELECT metadata FROM %s' % broker.stat_table).fetchone()
    info['max_row'] = -1 if row is None or row[0] is None else row[0]
    info['metadata'] = (metadata[0] if metadata else '') or ''
    return info


def merge_timestamps(broker, created_at, put_timestamp, delete_timestamp):
    """Keep the oldest created_at and the newest put/delete timestamps; bump
    status_changed_at when that flips the deleted state."""
    was_deleted = broker.is_deleted()
    with broker.get() as conn:
        conn.execute('UPDATE %s SET created_at = MIN(?, created_at), '
                     'put_timestamp = MAX(?, put_timestamp), '
                     'delete_timestamp = MAX(?, delete_timestamp)' % broker.stat_table,
                     (created_at, put_timestamp, delete_timestamp))
        conn.commit()
    if broker.is_deleted() != was_deleted:
        broker.update_status_changed_at(Timestamp.now().internal)


def new_db_id(broker, remote_id):
    """Give a DB that arrived by rsync its own id, remembering that it is in sync with
    ``remote_id`` up to its last row (Swift's ``newid``). Containers also forget
    what they reported to the account, so the updater reports them again."""
    with broker.get() as conn:
        row = conn.execute('SELECT max(ROWID) FROM %s' % broker.db_contains_type
                           ).fetchone()
        sync_point = -1 if row is None or row[0] is None else row[0]
        conn.execute('INSERT OR REPLACE INTO incoming_sync (sync_point, remote_id) '
                     'VALUES (?, ?)', (sync_point, remote_id))
        device = os.path.basename(broker.get_device_path())
        conn.execute('UPDATE %s SET id = ?' % broker.stat_table,
                     ('%s-%s' % (uuid.uuid4(), device),))
        if broker.db_type == 'container':
            conn.execute("UPDATE container_info SET reported_put_timestamp = '0', "
                         "reported_delete_timestamp = '0', reported_object_count = 0, "
                         "reported_bytes_used = 0")
        conn.commit()


def db_hash_dir(devices, drive, datadir, partition, db_hash):
    """``<devices>/<drive>/<datadir>/<part>/<hash[-3:]>/<hash>``."""
    return os.path.join(devices, drive, datadir, str(partition), db_hash[-3:], db_hash)


# ---------------------------------------------------------------- server side

class ReplicatorRpc:
    """Answers REPLICATE for one DB type (used by the account/container servers).

    :param devices: root of the device dirs.
    :param datadir: ``accounts`` or ``containers``.
    :param broker_class: AccountBroker or ContainerBroker.
    :param mount_check: require mounted devices.
    :param logger: logger.
    :param is_mount: callable(path) -> bool.
    """

    def __init__(self, devices, datadir, broker_class, mount_check=True, *, logger,
                 is_mount=None):
        self.devices = devices
        self.datadir = datadir
        self.broker_class = broker_class
        self.mount_check = mount_check
        self.logger = logger
        if is_mount is None:
            from swift.common.fs import is_mount
        self.is_mount = is_mount

    def dispatch(self, replicate_args, args):
        """Run one op.

        :param replicate_args: (drive, partition, hash) from the path.
        :param args: the decoded JSON body ``[op, args...]``.
        :returns: a swob Response (202/204/200 JSON, 400 bad op, 404 no DB, 507).
        """
        if not isinstance(args, list) or not args or not isinstance(args[0], str):
            return HTTPBadRequest(body=b'Invalid object type', content_type='text/plain')
        op, args = args[0], args[1:]
        drive, partition, db_hash = replicate_args
        drive_path = os.path.join(self.devices, drive)
        if (self.mount_check and not self.is_mount(drive_path)) or \
                not os.path.isdir(drive_path):
            return HTTPInsufficientStorage()
        hash_dir = db_hash_dir(self.devices, drive, self.datadir, partition, db_hash)
        db_file = os.path.join(hash_dir, db_hash + '.db')
        if op == 'rsync_then_merge':
            return self.rsync_then_merge(drive, db_file, args)
        if op == 'complete_rsync':
            return self.complete_rsync(drive, db_file, args)
        handler = {'sync': self.sync, 'merge_items': self.merge_items,
                   'merge_syncs': self.merge_syncs}.get(op)
        if handler is None:
            return HTTPBadRequest(body=('Unknown op %s' % op).encode('utf-8'),
                                  content_type='text/plain')
        # someone may be about to rsync a DB to us: make sure tmp exists
        mkdirs(os.path.join(self.devices, drive, 'tmp'))
        if not os.path.exists(db_file):
            return HTTPNotFound()
        broker = self.broker_class(db_file, logger=self.logger)
        try:
            return handler(broker, args)
        except (TypeError, ValueError, IndexError, KeyError) as err:
            return HTTPBadRequest(body=('Bad %s arguments: %s' % (op, err)).encode('utf-8'),
                                  content_type='text/plain')

    def sync(self, broker, args):
        """``[max_row, hash, id, created_at, put_ts, delete_ts, metadata_json, ...]``:
        merge metadata and timestamps, answer our replication info plus ``point``."""
        remote_sync, remote_hash, remote_id, created_at, put_timestamp, \
            delete_timestamp, metadata = args[:7]
        remote_metadata = {}
        if metadata:
            try:
                remote_metadata = json.loads(metadata)
            except ValueError:
                self.logger.error('Unable to decode remote metadata %r', metadata)
        info = get_replication_info(broker)
        if remote_metadata:
            broker.update_metadata(remote_metadata)
        if (info['put_timestamp'], info['created_at'], info['delete_timestamp']) != \
                (put_timestamp, created_at, delete_timestamp):
            merge_timestamps(broker, created_at, put_timestamp, delete_timestamp)
        info['point'] = broker.get_sync(remote_id)
        if remote_hash == info['hash'] and info['point'] < remote_sync:
            broker.merge_syncs([{'remote_id': remote_id, 'sync_point': remote_sync}])
            info['point'] = remote_sync
        return Response(body=json.dumps(info).encode('utf-8'),
                        content_type='application/json')

    def merge_items(self, broker, args):
        """``[rows, remote_id]`` -> 202."""
        broker.merge_items(args[0], args[1])
        return HTTPAccepted()

    def merge_syncs(self, broker, args):
        """``[sync_rows]`` -> 202."""
        broker.merge_syncs(args[0])
        return HTTPAccepted()

    def _tmp_and_target(self, drive, db_file, args):
        tmp_file = os.path.join(self.devices, drive, 'tmp', os.path.basename(args[0]))
        if len(args) > 1:
            db_file = os.path.join(os.path.dirname(db_file), os.path.basename(args[1]))
        return tmp_file, db_file

    def complete_rsync(self, drive, db_file, args):
        """``[tmp_name, (db_basename)]``: move the rsynced DB into place -> 204;
        404 when a DB is already there or the temp file is missing."""
        if not args:
            return HTTPBadRequest(body=b'complete_rsync needs a file name')
        tmp_file, db_file = self._tmp_and_target(drive, db_file, args)
        if os.path.exists(db_file) or not os.path.exists(tmp_file):
            return HTTPNotFound()
        new_db_id(self.broker_class(tmp_file, logger=self.logger), args[0])
        mkdirs(os.path.dirname(db_file))
        renamer(tmp_file, db_file)
        return HTTPNoContent()

    def rsync_then_merge(self, drive, db_file, args):
        """``[tmp_name, db_basename]``: merge our rows into the rsynced DB, then
        replace ours with it -> 204; 404 when either file is missing."""
        if not args:
            return HTTPBadRequest(body=b'rsync_then_merge needs a file name')
        tmp_file, db_file = self._tmp_and_target(drive, db_file, args)
        if not os.path.exists(db_file) or not os.path.exists(tmp_file):
            return HTTPNotFound()
        new_broker = self.broker_class(tmp_file, logger=self.logger)
        existing = self.broker_class(db_file, logger=self.logger)
        point = -1
        rows = existing.get_items_since(point, MERGE_BATCH_ROWS)
        while rows:
            new_broker.merge_items(rows)
            point = rows[-1]['ROWID']
            rows = existing.get_items_since(point, MERGE_BATCH_ROWS)
            concurrency.greenthread_yield()
        new_broker.merge_syncs(existing.get_syncs())
        new_db_id(new_broker, args[0])
        new_broker.update_metadata(existing.metadata)
        renamer(tmp_file, db_file)
        return HTTPNoContent()


# ---------------------------------------------------------------- client side

class DriveNotMounted(Exception):
    """The peer answered 507 to ``sync``."""

    def __init__(self, node):
        super().__init__('Remote drive not mounted %s' % node.get('device'))
        self.node = node


class ReplConnection:
    """One peer DB: sends ``REPLICATE /<dev>/<part>/<hash>`` JSON ops.

    :param node: ring node dict.
    :param partition: partition.
    :param db_hash: the DB's hash.
    :param logger: logger.
    :param connection_class: HTTP connection class (tests inject a fake).
    """

    def __init__(self, node, partition, db_hash, logger, connection_class=None):
        self.node = node
        self.logger = logger
        self.host = '%s:%s' % (node['replication_ip'], node['replication_port'])
        self.path = quote('/%s/%s/%s' % (node['device'], partition, db_hash))
        self.connection_class = connection_class or BufferedHTTPConnection

    def replicate(self, *args):
        """Send ``[op, args...]``; :returns: response with ``data`` (bytes), or None
        after a network error (logged)."""
        try:
            conn = self.connection_class(self.host)
            conn.request('REPLICATE', self.path, json.dumps(args).encode('utf-8'),
                         {'Content-Type': 'application/json'})
            response = conn.getresponse()
            response.data = response.read()
            conn.close()
            return response
        except OSError as err:
            self.logger.error('ERROR reading HTTP response from %s: %s', self.host, err)
            return None


@dataclass(frozen=True)
class ReplicatorConfig:
    """``[account-replicator]`` / ``[container-replicator]`` options (Swift's)."""
    devices: str = '/srv/node'
    mount_check: bool = True
    swift_dir: str = '/etc/swift'
    bind_ip: str = '0.0.0.0'
    bind_port: int = 6202
    concurrency: int = 8
    per_diff: int = 1000
    max_diffs: int = 100
    node_timeout_s: float = 10.0
    conn_timeout_s: float = 0.5
    reclaim_age_s: float = 604800.0
    rsync_compress: bool = False
    rsync_module: str = '{replication_ip}::account'
    handoff_delete: int = 0
    handoffs_only: bool = False
    recon_cache_path: str = '/var/cache/swift'

    @classmethod
    def from_conf(cls, conf, server_type, default_port):
        """:raises swift.common.config.ConfigError: naming the bad option."""
        def number(name, kind, default, minimum=0):
            return config_number(conf.get(name, default), kind, name, minimum)
        handoff_delete = conf.get('handoff_delete', 'auto')
        return cls(
            devices=conf.get('devices', '/srv/node'),
            mount_check=config_bool(conf.get('mount_check', 'true'), 'mount_check'),
            swift_dir=conf.get('swift_dir', '/etc/swift'),
            bind_ip=conf.get('ring_ip') or conf.get('bind_ip', '0.0.0.0'),
            bind_port=number('bind_port', int, default_port),
            concurrency=number('concurrency', int, 8, 1),
            per_diff=number('per_diff', int, 1000, 1),
            max_diffs=number('max_diffs', int, 100, 1),
            node_timeout_s=number('node_timeout', float, 10),
            conn_timeout_s=number('conn_timeout', float, 0.5),
            reclaim_age_s=number('reclaim_age', float, 604800),
            rsync_compress=config_bool(conf.get('rsync_compress', 'no'), 'rsync_compress'),
            rsync_module=(conf.get('rsync_module') or
                          '{replication_ip}::%s' % server_type).rstrip('/'),
            handoff_delete=0 if str(handoff_delete).lower() == 'auto' else config_number(
                handoff_delete, int, 'handoff_delete', 0),
            handoffs_only=config_bool(conf.get('handoffs_only', 'no'), 'handoffs_only'),
            recon_cache_path=conf.get('recon_cache_path', '/var/cache/swift'))


@dataclass
class DbReplicationStats:
    """Counters of one pass (Swift's ``replication_stats`` keys)."""
    attempted: int = 0
    success: int = 0
    failure: int = 0
    no_change: int = 0
    hashmatch: int = 0
    rsync: int = 0
    diff: int = 0
    diff_capped: int = 0
    remote_merge: int = 0
    remove: int = 0
    empty: int = 0
    ts_repl: int = 0
    start: float = 0.0
    failure_nodes: Dict[str, Dict[str, int]] = field(default_factory=dict)

    def add_failure(self, node):
        self.failure += 1
        devices = self.failure_nodes.setdefault(node.get('replication_ip', ''), {})
        devices[node.get('device', '')] = devices.get(node.get('device', ''), 0) + 1

    def to_dict(self):
        return dict(self.__dict__)


class Replicator(Daemon):
    """Base of the account and container replicators.

    Subclasses set ``server_type`` ('account'/'container'), ``datadir``,
    ``broker_class`` and ``default_port``.

    :param conf: merged daemon conf.
    :param ring: the DB ring (default: loaded from swift_dir).
    :param rsync_runner: callable(args, timeout_s) -> RsyncResult.
    :param connection_class: HTTP connection class for REPLICATE.
    :param is_mount: callable(path) -> bool.
    """

    server_type = None
    datadir = None
    broker_class = None
    default_port = None

    def __init__(self, conf, *, logger=None, clock=None, ring=None, rsync_runner=None,
                 connection_class=None, is_mount=None):
        super().__init__(conf, logger=logger, clock=clock)
        self.config = ReplicatorConfig.from_conf(conf, self.server_type, self.default_port)
        self._ring = ring
        self.rsync_runner = rsync_runner or run_rsync
        self.connection_class = connection_class
        if is_mount is None:
            from swift.common.fs import is_mount
        self.is_mount = is_mount
        self.my_ips = whataremyips(self.config.bind_ip)
        self.stats = DbReplicationStats()

    @property
    def ring(self):
        if self._ring is None:
            from swift.common.ring import Ring
            self._ring = Ring(self.config.swift_dir, ring_name=self.server_type)
        return self._ring

    # ---------------------------------------------------------------- the pass

    def local_datadirs(self, devices=None):
        """[(datadir path, node id)] of this node's mounted devices."""
        found = []
        for dev in self.ring.devs:
            if not is_local_device(self.my_ips, self.config.bind_port, dev):
                continue
            if devices is not None and dev['device'] not in devices:
                continue
            dev_path = os.path.join(self.config.devices, dev['device'])
            if (self.config.mount_check and not self.is_mount(dev_path)) or \
                    not os.path.isdir(dev_path):
                self.logger.warning('Skipping %s as it is not mounted', dev['device'])
                continue
            datadir = os.path.join(dev_path, self.datadir)
            if os.path.isdir(datadir):
                found.append((datadir, dev['id']))
        return found

    def run_once(self, **kwargs):
        """One pass over every local DB; stats to the recon cache (full pass only)."""
        devices = list_from_csv(kwargs.get('devices')) or None
        partitions = [str(int(p)) for p in list_from_csv(kwargs.get('partitions'))] or None
        self.stats = DbReplicationStats(start=self.clock.time())
        self.logger.info('Beginning replication run')
        pool = concurrency.GreenPool(self.config.concurrency)
        for partition, db_file, node_id in roundrobin_datadirs(
                self.local_datadirs(devices), partitions):
            pool.spawn(self.replicate_db, partition, db_file, node_id)
        pool.waitall()
        elapsed_s = self.clock.time() - self.stats.start
        self.logger.info('Replication run OVER: %d attempted, %d success, %d failure, '
                         '%d removed (%.2fs)', self.stats.attempted, self.stats.success,
                         self.stats.failure, self.stats.remove, elapsed_s)
        if not (devices or partitions):
            dump_recon_cache({'replication_stats': self.stats.to_dict(),
                              'replication_time': elapsed_s,
                              'replication_last': self.clock.time()},
                             recon_cache_file(self.config.recon_cache_path,
                                              self.server_type), self.logger)
        return self.stats

    # ---------------------------------------------------------------- one DB

    def replicate_db(self, partition, db_file, node_id):
        """Reclaim, maybe remove, then replicate one DB; never raises."""
        try:
            self._replicate_db(partition, db_file, node_id)
        except (Exception, concurrency.Timeout):  # the per-DB funnel
            self.logger.exception('ERROR replicating %s', db_file)
            self.stats.failure += 1

    def _replicate_db(self, partition, db_file, node_id):
        self.stats.attempted += 1
        now = self.clock.time()
        broker = self.broker_class(db_file, logger=self.logger)
        try:
            # sync rows of peers unheard of for two reclaim ages go; recent ones stay
            # (they let the next pass send only new rows)
            broker.reclaim(Timestamp(now - self.config.reclaim_age_s).internal,
                           now - 2 * self.config.reclaim_age_s)
            info = get_replication_info(broker)
        except Exception as err:  # a corrupt DB is reported and skipped
            self.logger.error('ERROR reading db %s: %s', db_file, err)
            for node in self.ring.get_part_nodes(int(partition)):
                self.stats.add_failure(node)
            return
        should_be_here = True
        ring_partition = self.ring.get_part(info['account'], info.get('container'))
        if ring_partition != int(partition):
            self.logger.error('Found %s for %s when it should be on partition %s; will '
                              'replicate out and remove.', db_file, info['account'],
                              ring_partition)
            partition, should_be_here = str(ring_partition), False
        if self._reclaimable(info, now):
            if self.report_up_to_date(info):
                self.delete_db(db_file)
            return
        nodes = self.ring.get_part_nodes(int(partition))
        if should_be_here:
            should_be_here = any(node['id'] == node_id for node in nodes)
        if self.config.handoffs_only and should_be_here:
            return
        responses = self._push_to_peers(broker, info, partition, nodes, node_id)
        if not should_be_here:
            wanted = self.config.handoff_delete or len(responses)
            if responses and sum(responses) >= wanted:
                self.delete_db(db_file)
                self.stats.success += 1
            else:
                self.logger.info('Not deleting db %s (%d/%d success).', db_file,
                                 sum(responses), len(responses))
            return
        if all(responses):
            self.stats.success += 1

    def _reclaimable(self, info, now):
        delete_ts = Timestamp(info.get('delete_timestamp') or 0)
        put_ts = Timestamp(info.get('put_timestamp') or 0)
        return (Timestamp(now - self.config.reclaim_age_s) > delete_ts > put_ts and
                str(info.get('count')) in ('None', '', '0'))

    def report_up_to_date(self, info):
        """True when the DB's stats reached its parent (containers override)."""
        return True

    def _push_to_peers(self, broker, info, partition, nodes, node_id):
        """Replicate to each primary after us in ring order, replacing 507s by
        handoffs. :returns: list of per-peer success booleans."""
        index = next((i for i, n in enumerate(nodes) if n['id'] == node_id), None)
        if index is None or len(nodes) == 1:
            peers = list(nodes) if index is None else []
        else:
            peers = nodes[index + 1:] + nodes[:index]
        handoffs = (n for n in self.ring.get_more_nodes(int(partition))
                    if n['id'] != node_id)
        handoffs_left = HANDOFF_SEARCH_MAX
        responses = []
        local_dev = next((n for n in self.ring.devs if n and n['id'] == node_id), {})
        position = 0
        while position < len(peers):
            node = peers[position]
            position += 1
            success = False
            try:
                success = self.repl_to_node(node, broker, partition, info,
                                            local_dev.get('region') != node.get('region'))
            except DriveNotMounted:
                self.logger.error('ERROR Remote drive not mounted %s', node)
                replacement = next(handoffs, None) if handoffs_left > 0 else None
                handoffs_left -= 1
                if replacement is None:
                    self.logger.error('ERROR There are not enough handoff nodes to '
                                      'reach replica count for partition %s', partition)
                else:
                    peers.append(replacement)
            except (Exception, concurrency.Timeout):  # one peer must not end the DB
                self.logger.exception('ERROR syncing %s with node %s', broker.db_file,
                                      node)
            if not success:
                self.stats.add_failure(node)
            responses.append(success)
        return responses

    def delete_db(self, db_file):
        """Remove a DB's hash dir (and its suffix/partition dirs when empty)."""
        hash_dir = os.path.dirname(db_file)
        self.logger.info('Removing %s', hash_dir)
        shutil.rmtree(hash_dir, ignore_errors=True)
        suffix_dir = os.path.dirname(hash_dir)
        for directory in (suffix_dir, os.path.dirname(suffix_dir)):
            try:
                os.rmdir(directory)
            except OSError:
                break
        self.stats.remove += 1
        return True

    # ---------------------------------------------------------------- one peer

    def gather_sync_args(self, info):
        """The ``sync`` op's arguments (containers add more)."""
        return [info['max_row'], info['hash'], info['id'], info['created_at'],
                info['put_timestamp'], info['delete_timestamp'], info['metadata']]

    def repl_to_node(self, node, broker, partition, info, different_region=False):
        """Bring one peer up to date. :returns: success.

        :raises DriveNotMounted: the peer answered 507.
        """
        db_hash = os.path.basename(os.path.dirname(broker.db_file))
        http = ReplConnection(node, partition, db_hash, self.logger, self.connection_class)
        with concurrency.Timeout(self.config.node_timeout_s):
            response = http.replicate('sync', *self.gather_sync_args(info))
        if response is None:
            return False
        if response.status == 404:
            self.stats.rsync += 1
            return self.rsync_db(broker, node, http, info['id'],
                                 different_region=different_region)
        if response.status == 507:
            raise DriveNotMounted(node)
        if not 200 <= response.status < 300:
            self.logger.error('ERROR Bad response %s from %s', response.status, http.host)
            return False
        remote = json.loads(response.data)
        local_sync = broker.get_sync(remote['id'], incoming=False)
        if remote.get('metadata'):
            broker.update_metadata(json.loads(remote['metadata']))
        return self.choose_replication_mode(node, remote, info, local_sync, broker, http,
                                            different_region)

    def choose_replication_mode(self, node, remote, info, local_sync, broker, http,
                                different_region=False):
        """In sync / rsync+merge / row diffs, as Swift chooses."""
        if max(remote['point'], local_sync) >= info['max_row']:
            self.stats.no_change += 1
            return True
        if remote['hash'] == info['hash']:
            self.stats.hashmatch += 1
            broker.merge_syncs([{'remote_id': remote['id'], 'sync_point': remote['point']}],
                               incoming=False)
            return True
        if info['max_row'] > 0 and remote['max_row'] / float(info['max_row']) < 0.5 and \
                info['max_row'] - remote['max_row'] > self.config.per_diff:
            self.stats.remote_merge += 1
            return self.rsync_db(broker, node, http, info['id'], 'rsync_then_merge',
                                 max(self.config.node_timeout_s, info['count'] / 2000.0),
                                 different_region)
        return self.usync_db(max(remote['point'], local_sync), broker, http, remote['id'],
                             info['id'])

    def usync_db(self, point, broker, http, remote_id, local_id):
        """Send rows after ``point`` in per_diff batches (at most max_diffs).

        :returns: True when the peer has every row and the sync point was recorded.
        """
        self.stats.diff += 1
        sync_table = broker.get_syncs()
        rows = broker.get_items_since(point, self.config.per_diff)
        batches = 0
        while rows and batches < self.config.max_diffs:
            batches += 1
            with concurrency.Timeout(self.config.node_timeout_s):
                response = http.replicate('merge_items', rows, local_id)
            if response is None or not 200 <= response.status < 300:
                if response is not None:
                    self.logger.error('ERROR Bad response %s from %s', response.status,
                                      http.host)
                return False
            point = rows[-1]['ROWID']
            rows = broker.get_items_since(point, self.config.per_diff)
        if rows:
            self.logger.debug('Synchronization for %s has fallen more than %s rows '
                              'behind; moving on and will try again next pass.',
                              broker.db_file, self.config.max_diffs * self.config.per_diff)
            self.stats.diff_capped += 1
            return False
        with concurrency.Timeout(self.config.node_timeout_s):
            response = http.replicate('merge_syncs', sync_table)
        if response is not None and 200 <= response.status < 300:
            broker.merge_syncs([{'remote_id': remote_id, 'sync_point': point}],
                               incoming=False)
            return True
        return False

    def rsync_db(self, broker, node, http, local_id, method='complete_rsync',
                 timeout_s=None, different_region=False):
        """rsync the DB file to ``<module>/<dev>/tmp/<local_id>`` then ask the peer to
        ``complete_rsync`` or ``rsync_then_merge``. :returns: success."""
        module = rsync_module_interpolation(self.config.rsync_module, node)
        remote_file = '%s/%s/tmp/%s' % (module, node['device'], local_id)
        mtime = os.path.getmtime(broker.db_file)
        if not self.rsync_file(broker.db_file, remote_file, True, different_region):
            return False
        if os.path.exists(broker.db_file + '-journal') or \
                os.path.getmtime(broker.db_file) > mtime:
            # it changed while copying: a second, block-level pass fixes that up
            if not self.rsync_file(broker.db_file, remote_file, False, different_region):
                return False
        with concurrency.Timeout(timeout_s or self.config.node_timeout_s):
            response = http.replicate(method, local_id, os.path.basename(broker.db_file))
        return response is not None and 200 <= response.status < 300

    def rsync_file(self, db_file, remote_file, whole_file=True, different_region=False):
        args = ['rsync', '--quiet', '--no-motd',
                '--timeout=%s' % int(math.ceil(self.config.node_timeout_s)),
                '--contimeout=%s' % int(math.ceil(self.config.conn_timeout_s))]
        if whole_file:
            args.append('--whole-file')
        if self.config.rsync_compress and different_region:
            args.append('--compress')
        args.extend([db_file, remote_file])
        begin = self.clock.monotonic()
        result = self.rsync_runner(args, max(self.config.node_timeout_s * 10, 60))
        return log_rsync_result(self.logger, args, result, self.clock.monotonic() - begin)


def roundrobin_datadirs(datadirs, partitions=None):
    """Yield (partition, db_file, node_id) taking one DB from each device in turn.

    :param datadirs: [(datadir path, node id)].
    :param partitions: only these partition names (list of str) or None.
    """
    def walk(datadir, node_id):
        try:
            names = os.listdir(datadir)
        except OSError:
            return
        random.shuffle(names)
        for partition in names:
            if not partition.isdigit():
                continue
            if partitions is not None and partition not in partitions:
                continue
            part_dir = os.path.join(datadir, partition)
            for suffix in _listdir(part_dir):
                for db_hash in _listdir(os.path.join(part_dir, suffix)):
                    db_file = os.path.join(part_dir, suffix, db_hash, db_hash + '.db')
                    if os.path.exists(db_file):
                        yield partition, db_file, node_id
    walkers = [walk(datadir, node_id) for datadir, node_id in datadirs]
    for entries in zip_longest(*walkers):
        for entry in entries:
            if entry is not None:
                yield entry


def _listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


__all__ = ['ReplicatorRpc', 'Replicator', 'ReplicatorConfig', 'ReplConnection',
           'DriveNotMounted', 'get_replication_info', 'merge_timestamps', 'new_db_id',
           'roundrobin_datadirs']
