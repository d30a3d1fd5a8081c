"""DB replication: the REPLICATE ops (ReplicatorRpc) and the Replicator daemon
choosing between row diffs, rsync+complete_rsync and rsync_then_merge as Swift does,
against real account servers on loopback ports."""

import io
import json
import os
import shutil
import time

import pytest

from swift.account.backend import AccountBroker
from swift.account.replicator import AccountReplicator, main
from swift.account.server import AccountController, AccountServerConfig
from swift.common import concurrency
from swift.common.db_replicator import (ReplicatorRpc, get_replication_info,
                                        roundrobin_datadirs)
from swift.common.hashing import HashPathConfig, hash_path
from swift.common.replication import RsyncResult
from swift.common.storage_policy import StoragePolicy, StoragePolicyCollection
from swift.common.timestamp import Timestamp
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_clock import FakeClock

HASH_CONFIG = HashPathConfig(b'pre', b'suf')
NOW = time.time()


def ts(offset):
    return Timestamp(NOW - 1000 + offset).internal


def db_path(devices, account, partition='0', device='sda'):
    name_hash = hash_path(account, config=HASH_CONFIG)
    return os.path.join(devices, device, 'accounts', partition, name_hash[-3:], name_hash,
                        name_hash + '.db')


def make_account(devices, account='AUTH_a', containers=(), partition='0', created=0):
    broker = AccountBroker(db_path(devices, account, partition), account=account)
    broker.initialize(ts(created))
    for name in containers:
        broker.put_container(name, ts(1), '0', 1, 10, 0)
    broker.get_info()   # commit the pending rows
    return broker


def names(broker):
    with broker.get() as conn:
        return sorted(r[0] for r in conn.execute('SELECT name FROM container '
                                                'WHERE deleted = 0'))


def free_port():
    listener = concurrency.listen(('127.0.0.1', 0))
    port = listener.getsockname()[1]
    listener.close()
    return port


class AccountServer:
    def __init__(self, devices):
        self.devices = devices
        os.makedirs(os.path.join(devices, 'sda'), exist_ok=True)
        self.logger = DebugLogger('account-server')
        self.app = AccountController(
            AccountServerConfig(devices=devices, mount_check=False, log_requests=False),
            logger=self.logger, hash_config=HASH_CONFIG,
            policies=StoragePolicyCollection([StoragePolicy(0, 'gold', is_default=True)]))
        self.listener = concurrency.listen(('127.0.0.1', 0))
        self.port = self.listener.getsockname()[1]
        self.thread = concurrency.spawn(concurrency.wsgi.server, self.listener, self.app,
                                        log=io.StringIO())

    def stop(self):
        self.thread.kill()
        self.listener.close()


class FakeRing:
    """Primaries devs[0:3] for every partition; devs[3:] handoffs."""

    def __init__(self, devs, partition=0):
        self.devs = devs
        self.partition = partition

    def get_part(self, account, container=None):
        return self.partition

    def get_part_nodes(self, part):
        return [dict(d, index=i) for i, d in enumerate(self.devs[:3])]

    def get_more_nodes(self, part):
        for dev in self.devs[3:]:
            yield dict(dev)


class CopyingRsync:
    """Copies the DB file to ``<node devices>/<dev>/tmp/<id>`` like rsync would."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.calls = []

    def __call__(self, args, timeout_s):
        self.calls.append(args)
        source, target = args[-2], args[-1]
        module, _, rest = target.partition('::account')
        port, device, tmp, name = rest.split('/')
        index = next(d['id'] for d in self.cluster.devs if str(d['port']) == port)
        dest = os.path.join(self.cluster.node_devices(index), device, tmp, name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy2(source, dest)
        return RsyncResult(0, [])


class Cluster:
    def __init__(self, tmp_path, local, **conf):
        self.tmp_path = tmp_path
        self.servers = {}
        self.devs = []
        for index in range(4):
            if index == local:
                port = free_port()
            else:
                server = AccountServer(str(tmp_path / ('node%d' % index)))
                self.servers[index] = server
                port = server.port
            self.devs.append({'id': index, 'device': 'sda', 'ip': '127.0.0.1',
                              'port': port, 'replication_ip': '127.0.0.1',
                              'replication_port': port, 'region': 1, 'zone': index})
        self.local_devices = str(tmp_path / ('node%d' % local))
        os.makedirs(os.path.join(self.local_devices, 'sda'), exist_ok=True)
        self.ring = FakeRing(self.devs)
        self.logger = DebugLogger('account-replicator')
        self.clock = FakeClock(NOW)
        self.conf = {'devices': self.local_devices, 'mount_check': 'false',
                     'bind_ip': '127.0.0.1', 'bind_port': str(self.devs[local]['port']),
                     'recon_cache_path': str(tmp_path / 'recon'),
                     'rsync_module': '{replication_ip}::account{replication_port}'}
        self.conf.update(conf)
        self.rsync = CopyingRsync(self)

    def node_devices(self, index):
        return str(self.tmp_path / ('node%d' % index))

    def replicator(self):
        return AccountReplicator(self.conf, logger=self.logger, clock=self.clock,
                                 ring=self.ring, rsync_runner=self.rsync)

    def broker(self, index, account='AUTH_a'):
        return AccountBroker(db_path(self.node_devices(index), account), account=account)

    def stop(self):
        for server in self.servers.values():
            server.stop()


@pytest.fixture
def cluster_factory(tmp_path):
    made = []

    def make(local=0, **conf):
        cluster = Cluster(tmp_path, local, **conf)
        made.append(cluster)
        return cluster
    yield make
    for cluster in made:
        cluster.stop()


# ------------------------------------------------------------------ the daemon

class TestReplicator:

    def test_missing_remote_gets_whole_db_by_rsync(self, cluster_factory):
        cluster = cluster_factory()
        local = make_account(cluster.local_devices, containers=['c1', 'c2'])
        stats = cluster.replicator().run_once()
        assert stats.rsync == 2 and stats.success == 1
        for index in (1, 2):
            remote = cluster.broker(index)
            assert names(remote) == ['c1', 'c2']
            # complete_rsync gave it a new id and remembered the sender's rows
            assert remote.get_info()['id'] != local.get_info()['id']
            assert remote.get_sync(local.get_info()['id']) == 2
        assert len(cluster.rsync.calls) == 2
        args = cluster.rsync.calls[0]
        assert args[:6] == ['rsync', '--quiet', '--no-motd', '--timeout=10',
                            '--contimeout=1', '--whole-file']
        assert args[-1].endswith('/sda/tmp/%s' % local.get_info()['id'])
        # next pass: nothing to do
        stats = cluster.replicator().run_once()
        assert stats.no_change == 2 and stats.rsync == 0

    def test_rows_sent_as_diffs(self, cluster_factory):
        cluster = cluster_factory()
        local = make_account(cluster.local_devices, containers=['c1'])
        cluster.replicator().run_once()
        local.put_container('c2', ts(5), '0', 0, 0, 0)
        local.put_container('c1', ts(2), ts(6), 0, 0, 0)   # deleted
        stats = cluster.replicator().run_once()
        assert stats.diff == 2 and stats.rsync == 0
        for index in (1, 2):
            assert names(cluster.broker(index)) == ['c2']
        remote_id = cluster.broker(1).get_info()['id']
        assert local.get_sync(remote_id, incoming=False) == local.get_max_row()

    def test_sync_points_survive_reclaim(self, cluster_factory):
        cluster = cluster_factory()
        local = make_account(cluster.local_devices, containers=['c1'])
        cluster.replicator().run_once()     # whole DB by rsync
        local.put_container('c2', ts(5), '0', 0, 0, 0)
        cluster.replicator().run_once()     # row diff: sync points recorded
        assert len(local.get_syncs(incoming=False)) == 2
        for server in cluster.servers.values():
            server.stop()
        cluster.clock.advance(3600)   # an hour later, peers unreachable: rows stay
        cluster.replicator().run_once()
        assert len(local.get_syncs(incoming=False)) == 2
        cluster.clock.advance(3 * 604800)   # unheard of for two reclaim ages: gone
        cluster.replicator().run_once()
        assert local.get_syncs(incoming=False) == []

    def test_metadata_and_timestamps_travel_both_ways(self, cluster_factory):
        cluster = cluster_factory()
        local = make_account(cluster.local_devices, containers=['c1'])
        cluster.replicator().run_once()
        local.update_metadata({'X-Account-Meta-Color': ('blue', ts(7))})
        cluster.broker(1).update_metadata({'X-Account-Meta-Size': ('big', ts(8))})
        local.update_put_timestamp(ts(9))
        cluster.replicator().run_once()
        assert cluster.broker(2).metadata['X-Account-Meta-Color'] == ['blue', ts(7)]
        assert cluster.broker(1).get_info()['put_timestamp'] == ts(9)
        assert local.metadata['X-Account-Meta-Size'] == ['big', ts(8)]

    def test_far_behind_remote_gets_rsync_then_merge(self, cluster_factory):
        cluster = cluster_factory(per_diff='2')
        local = make_account(cluster.local_devices, containers=['c0'])
        cluster.replicator().run_once()
        cluster.broker(1).put_container('only-remote', ts(3), '0', 0, 0, 0)
        for i in range(1, 10):
            local.put_container('c%d' % i, ts(4), '0', 0, 0, 0)
        stats = cluster.replicator().run_once()
        assert stats.remote_merge == 2
        expected = ['c%d' % i for i in range(10)]
        assert names(cluster.broker(2)) == expected
        # rsync_then_merge kept the remote's own rows
        assert names(cluster.broker(1)) == expected + ['only-remote']

    def test_max_diffs_caps_a_pass(self, cluster_factory):
        cluster = cluster_factory(per_diff='1', max_diffs='2')
        local = make_account(cluster.local_devices, containers=['c0', 'c1', 'c2', 'c3'])
        cluster.replicator().run_once()
        for i in range(4, 7):
            local.put_container('c%d' % i, ts(4), '0', 0, 0, 0)
        # remote max_row 4 of 7 is not "far behind": row diffs, 2 batches of 1 row
        stats = cluster.replicator().run_once()
        assert stats.diff_capped == 2 and stats.success == 0 and stats.remote_merge == 0
        assert names(cluster.broker(1)) == ['c%d' % i for i in range(6)]
        stats = cluster.replicator().run_once()
        assert names(cluster.broker(1)) == ['c%d' % i for i in range(7)]
        assert stats.success == 1

    def test_handoff_db_pushed_then_removed(self, cluster_factory):
        cluster = cluster_factory(local=3)
        local = make_account(cluster.local_devices, containers=['c1'])
        stats = cluster.replicator().run_once()
        for index in (0, 1, 2):
            assert names(cluster.broker(index)) == ['c1']
        assert not os.path.exists(local.db_file)
        assert not os.path.exists(os.path.join(cluster.local_devices, 'sda', 'accounts',
                                               '0'))
        assert stats.remove == 1

    def test_handoff_db_kept_when_a_primary_fails(self, cluster_factory):
        cluster = cluster_factory(local=3)
        cluster.servers[2].stop()
        local = make_account(cluster.local_devices, containers=['c1'])
        stats = cluster.replicator().run_once()
        assert os.path.exists(local.db_file)
        assert stats.remove == 0 and stats.failure == 1

    def test_unmounted_peer_replaced_by_handoff(self, cluster_factory):
        cluster = cluster_factory()
        shutil.rmtree(os.path.join(cluster.node_devices(2), 'sda'))
        make_account(cluster.local_devices, containers=['c1'])
        stats = cluster.replicator().run_once()
        assert names(cluster.broker(3)) == ['c1']
        assert any('not mounted' in line for line in cluster.logger.lines['error'])
        assert stats.failure == 1

    def test_reclaims_old_deleted_db(self, cluster_factory):
        cluster = cluster_factory(reclaim_age='100')
        local = make_account(cluster.local_devices)
        local.delete_db(ts(10))
        cluster.replicator().run_once()
        assert not os.path.exists(local.db_file)

    def test_reclaims_deleted_rows(self, cluster_factory):
        cluster = cluster_factory(reclaim_age='100')
        local = make_account(cluster.local_devices, containers=['c1', 'c2'])
        local.put_container('c1', ts(1), ts(2), 0, 0, 0)
        cluster.replicator().run_once()
        with local.get() as conn:
            rows = conn.execute('SELECT name FROM container').fetchall()
        assert [r[0] for r in rows] == ['c2']

    def test_recon_and_partition_filter(self, cluster_factory, tmp_path):
        cluster = cluster_factory()
        make_account(cluster.local_devices, containers=['c1'])
        stats = cluster.replicator().run_once(partitions='5')
        assert stats.attempted == 0
        assert not (tmp_path / 'recon' / 'account.recon').exists()
        cluster.replicator().run_once()
        recon = json.loads((tmp_path / 'recon' / 'account.recon').read_text())
        assert recon['replication_stats']['attempted'] == 1
        assert recon['replication_last'] == NOW


def test_roundrobin_takes_one_db_per_device_in_turn(tmp_path):
    for device in ('sda', 'sdb'):
        for account in ('AUTH_1', 'AUTH_2'):
            broker = AccountBroker(db_path(str(tmp_path), account, device=device),
                                   account=account)
            broker.initialize(ts(0))
    datadirs = [(str(tmp_path / 'sda' / 'accounts'), 1),
                (str(tmp_path / 'sdb' / 'accounts'), 2)]
    order = [node_id for _, _, node_id in roundrobin_datadirs(datadirs)]
    assert order == [1, 2, 1, 2]
    assert list(roundrobin_datadirs(datadirs, partitions=['9'])) == []


def test_main_config_error(tmp_path, capsys):
    missing = tmp_path / 'nope.conf'
    assert main([str(missing), 'once']) == 1
    assert capsys.readouterr().err.startswith('Error:')


# ------------------------------------------------------------------ the RPC

@pytest.fixture
def rpc(tmp_path):
    os.makedirs(tmp_path / 'sda')
    return ReplicatorRpc(str(tmp_path), 'accounts', AccountBroker, mount_check=False,
                         logger=DebugLogger('rpc'))


def dispatch(rpc, db_hash, *args):
    return rpc.dispatch(('sda', '0', db_hash), list(args))


class TestRpc:

    def test_sync_answers_replication_info_and_point(self, rpc, tmp_path):
        broker = make_account(str(tmp_path), containers=['c1'])
        db_hash = os.path.basename(broker.db_dir)
        info = get_replication_info(broker)
        response = dispatch(rpc, db_hash, 'sync', 5, info['hash'], 'remote-id',
                            ts(-5), ts(3), '0', json.dumps({'X-Account-Meta-K':
                                                            ['v', ts(4)]}))
        assert response.status_int == 200
        answer = json.loads(response.body)
        assert answer['max_row'] == 1 and answer['count'] == 1
        assert answer['point'] == 5   # same hash: in sync up to the caller's max_row
        assert broker.get_info()['created_at'] == ts(-5)
        assert broker.get_info()['put_timestamp'] == ts(3)
        assert broker.metadata['X-Account-Meta-K'] == ['v', ts(4)]

    def test_missing_db_404_and_tmp_created(self, rpc, tmp_path):
        response = dispatch(rpc, 'f' * 32, 'sync', 1, 'h', 'id', '0', '0', '0', '')
        assert response.status_int == 404
        assert os.path.isdir(tmp_path / 'sda' / 'tmp')

    def test_unmounted_507_and_bad_requests(self, rpc, tmp_path):
        assert rpc.dispatch(('sdz', '0', 'f' * 32), ['sync']).status_int == 507
        assert rpc.dispatch(('sda', '0', 'f' * 32), {'op': 1}).status_int == 400
        broker = make_account(str(tmp_path))
        db_hash = os.path.basename(broker.db_dir)
        assert dispatch(rpc, db_hash, 'drop_tables').status_int == 400
        assert dispatch(rpc, db_hash, 'merge_items').status_int == 400

    def test_merge_items_and_merge_syncs(self, rpc, tmp_path):
        broker = make_account(str(tmp_path))
        db_hash = os.path.basename(broker.db_dir)
        rows = [{'name': 'c9', 'put_timestamp': ts(1), 'delete_timestamp': '0',
                 'object_count': 3, 'bytes_used': 4, 'deleted': 0,
                 'storage_policy_index': 0, 'ROWID': 7}]
        assert dispatch(rpc, db_hash, 'merge_items', rows, 'peer').status_int == 202
        assert names(broker) == ['c9']
        assert broker.get_sync('peer') == 7
        assert dispatch(rpc, db_hash, 'merge_syncs',
                        [{'remote_id': 'other', 'sync_point': 3}]).status_int == 202
        assert broker.get_sync('other') == 3

    def test_complete_rsync(self, rpc, tmp_path):
        source = make_account(str(tmp_path / 'elsewhere'), containers=['c1'])
        os.makedirs(tmp_path / 'sda' / 'tmp')
        shutil.copy(source.db_file, tmp_path / 'sda' / 'tmp' / 'abc')
        db_hash = os.path.basename(source.db_dir)
        response = dispatch(rpc, db_hash, 'complete_rsync', 'abc', db_hash + '.db')
        assert response.status_int == 204
        placed = AccountBroker(db_path(str(tmp_path), 'AUTH_a'))
        assert names(placed) == ['c1'] and placed.get_sync('abc') == 1
        # a second one finds the DB already there
        shutil.copy(source.db_file, tmp_path / 'sda' / 'tmp' / 'abc')
        assert dispatch(rpc, db_hash, 'complete_rsync', 'abc').status_int == 404

    def test_rsync_then_merge_keeps_local_rows(self, rpc, tmp_path):
        source = make_account(str(tmp_path / 'elsewhere'), containers=['c1'])
        local = make_account(str(tmp_path), containers=['mine'])
        local.update_metadata({'X-Account-Meta-Local': ('1', ts(2))})
        os.makedirs(tmp_path / 'sda' / 'tmp')
        shutil.copy(source.db_file, tmp_path / 'sda' / 'tmp' / 'xyz')
        db_hash = os.path.basename(local.db_dir)
        response = dispatch(rpc, db_hash, 'rsync_then_merge', 'xyz', db_hash + '.db')
        assert response.status_int == 204
        merged = AccountBroker(local.db_file)
        assert names(merged) == ['c1', 'mine']
        assert merged.metadata['X-Account-Meta-Local'] == ['1', ts(2)]
        assert not os.path.exists(tmp_path / 'sda' / 'tmp' / 'xyz')
        assert dispatch(rpc, db_hash, 'rsync_then_merge', 'gone', 'x.db'
                        ).status_int == 404
