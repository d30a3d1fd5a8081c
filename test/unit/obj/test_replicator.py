"""Object replicator: jobs, sync and revert over ssync against real object servers on
loopback ports, over rsync (a fake runner that copies like rsync, and a real rsync
daemon when the binary exists), filters, handoff deletion rules and recon stats."""

import json
import os
import shutil
import socket
import subprocess
import time

import pytest

from swift.common import concurrency
from swift.common.replication import RsyncResult
from swift.common.storage_policy import StoragePolicy, StoragePolicyCollection
from swift.common.timestamp import Timestamp
from swift.obj.replicator import ObjectReplicator, ObjectReplicatorConfig, main
from swift.obj import errors
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_clock import FakeClock
from test.unit.obj.test_ssync_termination import ReceiverServer, make_manager, put_object

PART_COUNT = 4


def free_port():
    listener = concurrency.listen(('127.0.0.1', 0))
    port = listener.getsockname()[1]
    listener.close()
    return port


class FakeRing:
    """Every partition has primaries devs[0:3]; devs[3:] are handoffs."""

    def __init__(self, devs):
        self.devs = devs
        self.partition_count = PART_COUNT
        self.changed = False

    def get_part_nodes(self, part):
        return [dict(dev, index=i) for i, dev in enumerate(self.devs[:3])]

    def get_more_nodes(self, part):
        for i, dev in enumerate(self.devs[3:]):
            yield dict(dev, handoff_index=i)

    def has_changed(self):
        return self.changed


class Cluster:
    """Node 0..2 primaries, node 3 a handoff. Remote nodes are real object servers;
    the node under test (``local``) has a devices dir but no server."""

    def __init__(self, tmp_path, local, sync_method='ssync', **conf):
        self.tmp_path = tmp_path
        self.servers = {}
        self.devs = []
        for index in range(4):
            if index == local:
                port = free_port()
            else:
                server = ReceiverServer(tmp_path, name='node%d' % index)
                self.servers[index] = server
                port = server.port
            self.devs.append({'id': index, 'device': 'sda', 'ip': '127.0.0.1',
                              'port': port, 'replication_ip': '127.0.0.1',
                              'replication_port': port, 'region': 1, 'zone': index,
                              'weight': 1.0})
        self.ring = FakeRing(self.devs)
        self.local_devices = str(tmp_path / ('node%d' % local))
        os.makedirs(os.path.join(self.local_devices, 'sda'), exist_ok=True)
        self.local = make_manager(self.local_devices)
        self.logger = DebugLogger('object-replicator')
        self.clock = FakeClock()
        base = {'devices': self.local_devices, 'mount_check': 'false',
                'bind_ip': '127.0.0.1', 'bind_port': str(self.devs[local]['port']),
                'sync_method': sync_method, 'swift_dir': str(tmp_path / 'etc'),
                'recon_cache_path': str(tmp_path / 'recon'), 'http_timeout': '5',
                'node_timeout': '5', 'conn_timeout': '2'}
        base.update(conf)
        self.conf = base

    def replicator(self, **kwargs):
        return ObjectReplicator(
            self.conf, logger=self.logger, clock=self.clock,
            policies=StoragePolicyCollection([StoragePolicy(0, 'gold', is_default=True)]),
            rings={0: self.ring}, manager=self.local, **kwargs)

    def manager(self, index):
        return self.servers[index].manager()

    def stop(self):
        for server in self.servers.values():
            server.stop()


def read(manager, name='a/c/o', partition='0'):
    account, container, obj = name.split('/', 2)
    return manager.get_diskfile('sda', partition, account, container, obj).read_metadata()


@pytest.fixture
def cluster_factory(tmp_path):
    clusters = []

    def make(local, **kwargs):
        cluster = Cluster(tmp_path, local, **kwargs)
        clusters.append(cluster)
        return cluster
    yield make
    for cluster in clusters:
        cluster.stop()


# ------------------------------------------------------------------ config

def test_config_defaults_are_swifts():
    config = ObjectReplicatorConfig.from_conf({})
    assert (config.sync_method, config.concurrency, config.rsync_timeout_s,
            config.rsync_io_timeout_s, config.http_timeout_s, config.handoff_delete,
            config.handoffs_first, config.ring_check_interval_s, config.reclaim_age_s,
            config.rsync_module) == ('rsync', 1, 900, 30, 60, 0, False, 15, 604800,
                                     '{replication_ip}::object')


def test_config_rejects_unknown_sync_method():
    from swift.common.config import ConfigError
    with pytest.raises(ConfigError) as caught:
        ObjectReplicatorConfig.from_conf({'sync_method': 'ftp'})
    assert caught.value.option == 'sync_method'


# ------------------------------------------------------------------ ssync

class TestSsync:

    def test_primary_pushes_to_the_other_primaries(self, cluster_factory):
        cluster = cluster_factory(local=0)
        put_object(cluster.local, 'a/c/o', b'data',
                   extra={'Content-Disposition': 'inline', 'X-Object-Meta-Color': 'red'})
        stats = cluster.replicator().run_once()
        for index in (1, 2):
            metadata = read(cluster.manager(index))
            assert metadata['X-Object-Meta-Color'] == 'red'
            assert metadata['Content-Disposition'] == 'inline'
        assert stats.attempted == 1 and stats.success == 1 and stats.failure == 0
        assert stats.rsync == 2 and stats.suffix_sync == 2
        with pytest.raises(errors.DiskFileNotExist):
            read(cluster.manager(3))
        # a second pass finds everything in sync
        stats = cluster.replicator().run_once()
        assert stats.hashmatch == 2 and stats.rsync == 0

    def test_bl24_allowed_headers_survive_ssync(self, cluster_factory):
        """Field case BL-24: a direct HEAD to every primary after ssync shows the same
        Content-Disposition, Content-Encoding, user meta, ETag and Content-Type."""
        from swift.common.bufferedhttp import http_connect
        cluster = cluster_factory(local=0)
        put_object(cluster.local, 'a/c/o', b'zipped',
                   extra={'Content-Disposition': 'attachment; filename=x.txt',
                          'Content-Encoding': 'gzip', 'X-Object-Meta-Color': 'blue'})
        cluster.replicator().run_once()
        wanted = ('Content-Disposition', 'Content-Encoding', 'X-Object-Meta-Color',
                  'Etag', 'Content-Type', 'Content-Length')
        seen = []
        for index in (1, 2):
            conn = http_connect('127.0.0.1', cluster.devs[index]['port'], 'sda', '0',
                                'HEAD', '/a/c/o',
                                headers={'X-Backend-Storage-Policy-Index': '0'})
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            seen.append({name: response.getheader(name) for name in wanted})
        assert seen[0] == seen[1]
        assert seen[0]['Content-Disposition'] == 'attachment; filename=x.txt'
        assert seen[0]['Content-Encoding'] == 'gzip'
        assert seen[0]['X-Object-Meta-Color'] == 'blue'

    def test_tombstone_and_meta_reach_a_stale_primary(self, cluster_factory):
        cluster = cluster_factory(local=0)
        # recent times: the servers reclaim tombstones older than a week by real time
        now = time.time()
        old = Timestamp(now - 100)
        for index in (1, 2):
            put_object(cluster.manager(index), 'a/c/kept', b'v1', timestamp=old)
            put_object(cluster.manager(index), 'a/c/gone', b'v1', timestamp=old)
        put_object(cluster.local, 'a/c/kept', b'v1', timestamp=old)
        cluster.local.get_diskfile('sda', '0', 'a', 'c', 'kept').write_metadata(
            {'X-Timestamp': Timestamp(now - 50).internal,
             'X-Object-Meta-New': 'yes'})
        cluster.local.get_diskfile('sda', '0', 'a', 'c', 'gone').delete(
            Timestamp(now - 40))
        cluster.replicator().run_once()
        for index in (1, 2):
            assert read(cluster.manager(index), 'a/c/kept')['X-Object-Meta-New'] == 'yes'
            with pytest.raises(errors.DiskFileDeleted) as caught:
                read(cluster.manager(index), 'a/c/gone')
            assert caught.value.timestamp == Timestamp(now - 40)

    def test_handoff_reverts_and_is_removed(self, cluster_factory):
        cluster = cluster_factory(local=3)
        put_object(cluster.local, 'a/c/o', b'handoff copy')
        part_path = cluster.local.partition_path('sda', '0', 0)
        stats = cluster.replicator().run_once()
        for index in (0, 1, 2):
            assert read(cluster.manager(index))['ETag']
        assert not os.path.exists(part_path)
        assert stats.remove >= 1 and stats.success == 1

    def test_handoff_kept_while_a_primary_is_down(self, cluster_factory):
        cluster = cluster_factory(local=3)
        cluster.servers[2].stop()
        put_object(cluster.local, 'a/c/o', b'handoff copy')
        part_path = cluster.local.partition_path('sda', '0', 0)
        stats = cluster.replicator().run_once()
        assert os.path.exists(part_path)
        assert read(cluster.local)['ETag']
        assert stats.failure == 1 and stats.remove == 0
        assert stats.failure_nodes == {'127.0.0.1': {'sda': 1}}

    def test_handoff_delete_count_allows_removal(self, cluster_factory):
        cluster = cluster_factory(local=3, handoff_delete='2')
        cluster.servers[2].stop()
        put_object(cluster.local, 'a/c/o', b'handoff copy')
        cluster.replicator().run_once()
        assert not os.path.exists(cluster.local.partition_path('sda', '0', 0))
        assert read(cluster.manager(0))['ETag'] and read(cluster.manager(1))['ETag']

    def test_unmounted_primary_is_replaced_by_a_handoff(self, cluster_factory):
        cluster = cluster_factory(local=0)
        shutil.rmtree(os.path.join(cluster.servers[2].devices, 'sda'))
        put_object(cluster.local, 'a/c/o', b'data')
        stats = cluster.replicator().run_once()
        assert read(cluster.manager(1))['ETag']
        assert read(cluster.manager(3))['ETag']   # the handoff stood in
        assert any('responded as unmounted' in line
                   for line in cluster.logger.lines['error'])
        assert stats.failure == 1

    def test_wiped_primary_is_refilled(self, cluster_factory):
        cluster = cluster_factory(local=0)
        names = ['a/c/o%d' % i for i in range(20)]
        for name in names:
            put_object(cluster.local, name, name.encode())
        cluster.replicator().run_once()
        shutil.rmtree(os.path.join(cluster.servers[1].devices, 'sda', 'objects'))
        cluster.replicator().run_once()
        for name in names:
            assert read(cluster.manager(1), name)['Content-Length'] == str(len(name))


# ------------------------------------------------------------------ rsync

class CopyingRsync:
    """Stands in for the rsync binary: checks the argument shape and copies the
    sources into the target node's devices dir with --ignore-existing semantics."""

    def __init__(self, cluster, returncode=0):
        self.cluster = cluster
        self.calls = []
        self.returncode = returncode

    def __call__(self, args, timeout_s):
        self.calls.append((args, timeout_s))
        if self.returncode:
            return RsyncResult(self.returncode, ['rsync: connection refused'])
        target = args[-1]
        module, _, rest = target.partition('::object')
        port, device, datadir, partition = rest.split('/')
        index = next(d['id'] for d in self.cluster.devs if str(d['port']) == port)
        dest = os.path.join(self.cluster.servers[index].devices, device, datadir,
                            partition)
        for source in args:
            if source.startswith(self.cluster.local_devices):
                shutil.copytree(source, os.path.join(dest, os.path.basename(source)),
                                dirs_exist_ok=True,
                                copy_function=self._copy_missing)
        return RsyncResult(0, ['>f+++++++++ %s' % os.path.basename(args[-2])])

    @staticmethod
    def _copy_missing(src, dst):
        if not os.path.exists(dst):
            shutil.copy2(src, dst)
            from swift.obj.metadata import OS_XATTRS
            for name in ('user.swift.metadata', 'user.swift.metadata_checksum'):
                try:
                    OS_XATTRS.set(dst, name, OS_XATTRS.get(src, name))
                except OSError:
                    pass


class TestRsync:

    def test_args_module_and_replicate_after(self, cluster_factory):
        cluster = cluster_factory(local=0, sync_method='rsync', rsync_bwlimit='10M',
                                  rsync_module='{replication_ip}::object'
                                               '{replication_port}')
        disk_file = put_object(cluster.local, 'a/c/o', b'data')
        runner = CopyingRsync(cluster)
        stats = cluster.replicator(rsync_runner=runner).run_once()
        assert len(runner.calls) == 2
        args, timeout_s = runner.calls[0]
        suffix = disk_file.object_hash[-3:]
        assert args[:11] == [
            'rsync', '--recursive', '--whole-file', '--human-readable', '--xattrs',
            '--itemize-changes', '--ignore-existing', '--timeout=30', '--contimeout=30',
            '--bwlimit=10M', '--exclude=.*.' + '[0-9a-zA-Z]' * 6]
        assert args[11] == os.path.join(cluster.local_devices, 'sda', 'objects', '0',
                                        suffix)
        ports = sorted(str(cluster.devs[i]['port']) for i in (1, 2))
        assert sorted(a[0][-1] for a in runner.calls) == [
            '127.0.0.1::object%s/sda/objects/0' % port for port in ports]
        assert timeout_s == 900
        assert stats.success == 1 and stats.suffix_sync == 2
        for index in (1, 2):
            assert read(cluster.manager(index))['ETag']
        # the REPLICATE with suffixes made the remotes rehash: next pass is in sync
        stats = cluster.replicator(rsync_runner=runner).run_once()
        assert stats.hashmatch == 2 and len(runner.calls) == 2

    def test_failed_rsync_keeps_handoff(self, cluster_factory):
        cluster = cluster_factory(local=3, sync_method='rsync')
        put_object(cluster.local, 'a/c/o', b'data')
        runner = CopyingRsync(cluster, returncode=10)
        stats = cluster.replicator(rsync_runner=runner).run_once()
        assert os.path.exists(cluster.local.partition_path('sda', '0', 0))
        assert stats.failure == 3
        assert any('Bad rsync return code: 10' in line
                   for line in cluster.logger.lines['error'])

    def test_handoff_revert_by_rsync_removes_partition(self, cluster_factory):
        cluster = cluster_factory(local=3, sync_method='rsync',
                                  rsync_module='{replication_ip}::object'
                                               '{replication_port}')
        put_object(cluster.local, 'a/c/o', b'data')
        cluster.replicator(rsync_runner=CopyingRsync(cluster)).run_once()
        assert not os.path.exists(cluster.local.partition_path('sda', '0', 0))
        for index in (0, 1, 2):
            assert read(cluster.manager(index))['ETag']

    @pytest.mark.skipif(shutil.which('rsync') is None, reason='no rsync binary')
    def test_real_rsync_daemon(self, cluster_factory, tmp_path):
        cluster = cluster_factory(local=0, sync_method='rsync')
        port = free_port()
        lines = ['uid = root', 'gid = root', 'use chroot = no',
                 'pid file = %s' % (tmp_path / 'rsyncd.pid'),
                 'log file = %s' % (tmp_path / 'rsyncd.log')]
        for index in (1, 2):
            lines += ['[object%d]' % cluster.devs[index]['port'],
                      'path = %s' % cluster.servers[index].devices, 'read only = false']
        (tmp_path / 'rsyncd.conf').write_text('\n'.join(lines) + '\n')
        proc = subprocess.Popen(['rsync', '--daemon', '--no-detach', '--port=%d' % port,
                                 '--address=127.0.0.1',
                                 '--config=%s' % (tmp_path / 'rsyncd.conf')])
        try:
            wait_for_port(port)
            cluster.conf['rsync_module'] = ('rsync://{replication_ip}:%d/'
                                            'object{replication_port}' % port)
            put_object(cluster.local, 'a/c/o', b'real rsync')
            stats = cluster.replicator().run_once()
            assert stats.success == 1, "\n".join(cluster.logger.all_lines())
            for index in (1, 2):
                metadata = read(cluster.manager(index))
                assert metadata['Content-Length'] == str(len(b'real rsync'))
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def wait_for_port(port):
    with concurrency.Timeout(10):
        while True:
            try:
                socket.create_connection(('127.0.0.1', port), 0.2).close()
                return
            except OSError:
                concurrency.sleep(0.02)


# ------------------------------------------------------------------ jobs, filters, stats

class TestJobs:

    def _cluster(self, cluster_factory, **conf):
        cluster = cluster_factory(local=0, **conf)
        for partition in ('0', '1', '2'):
            put_object(cluster.local, 'a/c/o' + partition, b'x', partition=partition)
        return cluster

    def test_primary_and_handoff_jobs(self, cluster_factory):
        cluster = cluster_factory(local=3)
        put_object(cluster.local, 'a/c/o', b'x', partition='1')
        jobs = cluster.replicator().collect_jobs()
        assert [(j.partition, j.delete, len(j.nodes)) for j in jobs] == [('1', True, 3)]
        cluster = cluster_factory(local=0)
        put_object(cluster.local, 'a/c/o', b'x', partition='2')
        jobs = cluster.replicator().collect_jobs()
        assert [(j.partition, j.delete, [n['id'] for n in j.nodes]) for j in jobs] == [
            ('2', False, [1, 2])]

    def test_partition_filter_and_no_recon_for_partial_pass(self, cluster_factory,
                                                           tmp_path):
        cluster = self._cluster(cluster_factory)
        stats = cluster.replicator().run_once(partitions='1')
        assert stats.attempted == 1
        assert not (tmp_path / 'recon' / 'object.recon').exists()

    def test_device_and_policy_filters(self, cluster_factory):
        cluster = self._cluster(cluster_factory)
        assert cluster.replicator().collect_jobs(devices=['sdz']) == []
        assert cluster.replicator().collect_jobs(policies=[1]) == []
        assert len(cluster.replicator().collect_jobs(devices=['sda'])) == 3

    def test_handoffs_first(self, cluster_factory):
        cluster = cluster_factory(local=0, handoffs_first='yes')
        for partition in ('0', '1', '2'):
            put_object(cluster.local, 'a/c/o' + partition, b'x', partition=partition)
        cluster.ring.get_part_nodes = lambda part: [
            dict(dev, index=i) for i, dev in enumerate(
                cluster.devs[:3] if part != 2 else cluster.devs[1:4])]
        jobs = cluster.replicator().collect_jobs()
        assert [j.delete for j in jobs] == [True, False, False]
        assert jobs[0].partition == '2'

    def test_recon_after_full_pass(self, cluster_factory, tmp_path):
        cluster = self._cluster(cluster_factory)
        cluster.replicator().run_once()
        recon = json.loads((tmp_path / 'recon' / 'object.recon').read_text())
        assert recon['object_replication_last'] == cluster.clock.time()
        assert recon['object_replication_time'] == 0
        assert recon['replication_stats']['attempted'] == 3
        assert recon['replication_stats']['success'] == 3
        assert recon['replication_last'] == recon['object_replication_last']

    def test_old_temp_files_are_removed(self, cluster_factory):
        cluster = self._cluster(cluster_factory)
        tmp_dir = os.path.join(cluster.local_devices, 'sda', 'tmp')
        os.makedirs(tmp_dir, exist_ok=True)
        for name, age_s in (('old', 604800 + 10), ('young', 10)):
            path = os.path.join(tmp_dir, name)
            open(path, 'wb').close()
            mtime = cluster.clock.time() - age_s
            os.utime(path, (mtime, mtime))
        cluster.replicator().run_once()
        assert os.listdir(tmp_dir) == ['young']

    def test_peer_down_is_one_error_line(self, cluster_factory):
        cluster = self._cluster(cluster_factory)
        cluster.servers[1].stop()
        cluster.replicator().run_once(partitions='0')
        assert any('Error syncing with node' in line and 'refused' in line.lower()
                   for line in cluster.logger.lines['error'])
        assert cluster.logger.lines['exception'] == []

    def test_ring_change_aborts_pass(self, cluster_factory):
        cluster = self._cluster(cluster_factory)
        cluster.ring.changed = True
        replicator = cluster.replicator()
        stats = replicator.run_once()      # checked only after ring_check_interval
        assert stats.attempted == 3
        cluster.clock.advance(15)
        stats = replicator.run_once()
        assert stats.attempted == 0
        assert any('Ring change detected' in line for line in cluster.logger.lines['info'])

    def test_unmounted_local_device_counts_failures(self, cluster_factory):
        cluster = self._cluster(cluster_factory, mount_check='true')
        replicator = cluster.replicator()
        replicator.manager.is_mount = lambda path: False
        replicator.manager.config = replicator.manager.config.__class__(
            devices=cluster.local_devices, mount_check=True)
        stats = replicator.run_once()
        assert stats.attempted == 0 and stats.failure == 4

    def test_run_forever_sleeps_through_the_clock(self, cluster_factory):
        cluster = self._cluster(cluster_factory)
        replicator = cluster.replicator()
        passes = []
        real_run_once = replicator.run_once

        def counting_run_once(**kwargs):
            passes.append(real_run_once(**kwargs))
            if len(passes) == 2:
                replicator.stop()
        replicator.run_once = counting_run_once
        replicator.run_forever()
        assert len(passes) == 2
        assert cluster.clock.sleeps == [30.0]


def test_main_reports_config_error(tmp_path, capsys):
    conf = tmp_path / 'object-server.conf'
    conf.write_text('[DEFAULT]\ndevices = %s\n' % tmp_path)
    assert main([str(conf), 'once']) == 1
    assert 'object-replicator' in capsys.readouterr().err


def test_own_ring_file_reloaded_between_passes(tmp_path):
    from swift.common.ring import RingBuilder
    swift_dir = tmp_path / 'etc'
    swift_dir.mkdir()
    (swift_dir / 'swift.conf').write_text('[swift-hash]\nswift_hash_path_suffix = s\n'
                                          '[storage-policy:0]\nname = gold\ndefault = yes\n')

    def write_ring(port):
        builder = RingBuilder(4, 1, 1)
        builder.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.9', 'port': port,
                         'device': 'sda', 'weight': 1.0})
        builder.rebalance()
        builder.get_ring().save(str(swift_dir / 'object.ring.gz'))
    write_ring(6010)
    (tmp_path / 'node' / 'sda').mkdir(parents=True)
    replicator = ObjectReplicator(
        {'devices': str(tmp_path / 'node'), 'mount_check': 'false',
         'swift_dir': str(swift_dir), 'bind_ip': '127.0.0.9', 'bind_port': '6010',
         'recon_cache_path': str(tmp_path / 'recon')},
        logger=DebugLogger('object-replicator'), clock=FakeClock())
    replicator.run_once()
    first = replicator.rings[0]
    os.utime(swift_dir / 'object.ring.gz', (1, 1))
    write_ring(6010)
    os.utime(swift_dir / 'object.ring.gz', (2, 2))
    replicator.run_once()
    assert replicator.rings[0] is not first
