"""Recon middleware: pass-through, every /recon/ check, errors."""

import json
import os
import resource
import shutil
import tempfile
import unittest

import swift
from swift.common.middleware import recon
from swift.common.recon import dump_recon_cache
from swift.common.swob import Request
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_clock import FakeClock

LOADAVG = '0.03 0.12 0.25 1/220 12345\n'
MEMINFO = 'MemTotal:       16331428 kB\nMemFree:         1234567 kB\nHugePages_Total:       0\n'
SOCKSTAT = ('sockets: used 257\n'
            'TCP: inuse 11 orphan 2 tw 3 alloc 15 mem 7\n'
            'UDP: inuse 1 mem 0\n')
SOCKSTAT6 = 'TCP6: inuse 4\nUDP6: inuse 1\n'
MOUNTS = ('/dev/sdb1 /srv/node/sdb1 xfs rw,noatime 0 0\n'
          'proc /proc proc rw 0 0\n')


class FakeApp:
    def __init__(self):
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'FAKE APP']


class ReconTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.devices = os.path.join(self.tmp, 'node')
        self.swift_dir = os.path.join(self.tmp, 'etc')
        self.cache = os.path.join(self.tmp, 'cache')
        self.proc = os.path.join(self.tmp, 'proc')
        for path in (self.devices, self.swift_dir, self.cache,
                     os.path.join(self.proc, 'net')):
            os.makedirs(path)
        self.write(os.path.join(self.proc, 'loadavg'), LOADAVG)
        self.write(os.path.join(self.proc, 'meminfo'), MEMINFO)
        self.write(os.path.join(self.proc, 'net', 'sockstat'), SOCKSTAT)
        self.write(os.path.join(self.proc, 'net', 'sockstat6'), SOCKSTAT6)
        self.write(os.path.join(self.proc, 'mounts'), MOUNTS)
        self.app = FakeApp()
        self.logger = DebugLogger()
        self.clock = FakeClock(1700000123.5)
        self.recon = self.make(mount_check='false')

    def make(self, **conf):
        full = {'devices': self.devices, 'swift_dir': self.swift_dir,
                'recon_cache_path': self.cache}
        full.update(conf)
        return recon.ReconMiddleware(self.app, full, logger=self.logger,
                                     clock=self.clock, proc_root=self.proc)

    @staticmethod
    def write(path, text):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as fp:
            fp.write(text)

    def get(self, path, app=None):
        resp = Request.blank(path).get_response(app or self.recon)
        return resp

    def get_json(self, path):
        resp = self.get(path)
        self.assertEqual(resp.status_int, 200, resp.body)
        self.assertEqual(resp.headers['Content-Type'], 'application/json')
        return json.loads(resp.body)

    def dump(self, server_type, data):
        self.assertTrue(dump_recon_cache(
            data, os.path.join(self.cache, server_type + '.recon'), self.logger))


class TestPassThrough(ReconTestCase):
    def test_non_recon_paths_reach_the_app(self):
        for path in ('/', '/sda1/1/a/c/o', '/recon', '/reconx/load', '/healthcheck'):
            resp = self.get(path)
            self.assertEqual(resp.body, b'FAKE APP', path)
        self.assertEqual(self.app.calls, 5)

    def test_filter_factory_merges_conf(self):
        factory = recon.filter_factory({'devices': self.devices},
                                       recon_cache_path=self.cache)
        middleware = factory(self.app)
        self.assertIsInstance(middleware, recon.ReconMiddleware)
        self.assertEqual(middleware.devices, self.devices)
        self.assertEqual(middleware.recon_cache_path, self.cache)
        self.assertTrue(middleware.mount_check)
        self.assertEqual(self.get('/v1/a', middleware).body, b'FAKE APP')

    def test_defaults_are_swifts(self):
        middleware = recon.ReconMiddleware(self.app, {}, logger=self.logger)
        self.assertEqual(middleware.devices, '/srv/node')
        self.assertEqual(middleware.swift_dir, '/etc/swift')
        self.assertEqual(middleware.recon_cache_path, '/var/cache/swift')


class TestRouting(ReconTestCase):
    def test_unknown_paths_are_404_with_swifts_body(self):
        for path in ('/recon/bogus', '/recon/', '/recon/auditor/bogus',
                     '/recon/updater/account', '/recon/expirer/container',
                     '/recon/replication/nope'):
            resp = self.get(path)
            self.assertEqual(resp.status_int, 404, path)
            self.assertEqual(resp.body, ('Invalid path: %s' % path).encode())
        self.assertEqual(self.app.calls, 0)

    def test_failing_check_is_500_and_logged(self):
        os.unlink(os.path.join(self.proc, 'net', 'sockstat'))
        resp = self.get('/recon/sockstat')
        self.assertEqual(resp.status_int, 500)
        self.assertEqual(resp.body, b'Internal server error.')
        self.assertEqual(len(self.logger.lines['exception']), 1)

    def test_version_and_time(self):
        self.assertEqual(self.get_json('/recon/version'), {'version': swift.__version__})
        self.assertEqual(self.get_json('/recon/time'), 1700000123.5)


class TestHostChecks(ReconTestCase):
    def test_load(self):
        self.assertEqual(self.get_json('/recon/load'), {
            '1m': 0.03, '5m': 0.12, '15m': 0.25, 'tasks': '1/220', 'processes': 12345})

    def test_load_without_proc_uses_getloadavg(self):
        os.unlink(os.path.join(self.proc, 'loadavg'))
        load = self.get_json('/recon/load')
        self.assertEqual(sorted(load), ['15m', '1m', '5m', 'processes', 'tasks'])
        self.assertIsInstance(load['processes'], int)

    def test_mem(self):
        self.assertEqual(self.get_json('/recon/mem'), {
            'MemTotal': '16331428 kB', 'MemFree': '1234567 kB', 'HugePages_Total': '0'})

    def test_sockstat(self):
        self.assertEqual(self.get_json('/recon/sockstat'), {
            'tcp_in_use': 11, 'orphan': 2, 'time_wait': 3,
            'tcp_mem_allocated_bytes': 7 * resource.getpagesize(), 'tcp6_in_use': 4})

    def test_sockstat_without_ipv6(self):
        os.unlink(os.path.join(self.proc, 'net', 'sockstat6'))
        self.assertNotIn('tcp6_in_use', self.get_json('/recon/sockstat'))

    def test_mounted(self):
        self.assertEqual(self.get_json('/recon/mounted'), [
            {'device': '/dev/sdb1', 'path': '/srv/node/sdb1'},
            {'device': 'proc', 'path': '/proc'}])


class TestDeviceChecks(ReconTestCase):
    def setUp(self):
        super().setUp()
        os.makedirs(os.path.join(self.devices, 'sda'))
        os.makedirs(os.path.join(self.devices, 'sdb'))
        self.write(os.path.join(self.devices, 'not-a-dir'), 'x')

    def test_devices(self):
        self.assertEqual(self.get_json('/recon/devices'),
                         {self.devices: ['not-a-dir', 'sda', 'sdb']})

    def test_devices_missing_dir_gives_none(self):
        self.recon = self.make(devices=os.path.join(self.tmp, 'missing'))
        self.assertEqual(self.get_json('/recon/devices'),
                         {os.path.join(self.tmp, 'missing'): None})

    def test_unmounted_without_mount_check(self):
        self.assertEqual(self.get_json('/recon/unmounted'), [])

    def test_unmounted_with_mount_check(self):
        self.recon = self.make(mount_check='true')
        self.assertEqual(self.get_json('/recon/unmounted'), [
            {'device': 'sda', 'mounted': False}, {'device': 'sdb', 'mounted': False}])

    def test_diskusage_mounted(self):
        usage = self.get_json('/recon/diskusage')
        self.assertEqual([u['device'] for u in usage], ['sda', 'sdb'])
        disk = os.statvfs(os.path.join(self.devices, 'sda'))
        entry = usage[0]
        self.assertIs(entry['mounted'], True)
        self.assertEqual(entry['size'], disk.f_bsize * disk.f_blocks)
        self.assertEqual(entry['size'], entry['used'] + entry['avail'])
        self.assertGreater(entry['avail'], 0)

    def test_diskusage_unmounted(self):
        self.recon = self.make(mount_check='true')
        self.assertEqual(self.get_json('/recon/diskusage')[1], {
            'device': 'sdb', 'mounted': False, 'size': '', 'used': '', 'avail': ''})

    def test_quarantined_counts_per_type_and_policy(self):
        for dev, qtype, count in (('sda', 'objects', 2), ('sdb', 'objects', 1),
                                  ('sdb', 'objects-1', 3), ('sda', 'containers', 1),
                                  ('sdb', 'accounts', 4)):
            for i in range(count):
                os.makedirs(os.path.join(self.devices, dev, 'quarantined', qtype,
                                         'hash%d' % i))
        self.assertEqual(self.get_json('/recon/quarantined'), {
            'objects': 6, 'containers': 1, 'accounts': 4,
            'policies': {'0': {'objects': 3}, '1': {'objects': 3}}})

    def test_quarantined_empty(self):
        self.assertEqual(self.get_json('/recon/quarantined'), {
            'objects': 0, 'containers': 0, 'accounts': 0, 'policies': {}})


class TestMd5Checks(ReconTestCase):
    def test_ringmd5_lists_every_ring_file(self):
        self.write(os.path.join(self.swift_dir, 'object.ring.gz'), 'abc')
        self.write(os.path.join(self.swift_dir, 'object-1.ring.gz'), 'def')
        self.write(os.path.join(self.swift_dir, 'object.builder'), 'no')
        self.assertEqual(self.get_json('/recon/ringmd5'), {
            os.path.join(self.swift_dir, 'object.ring.gz'):
                '900150983cd24fb0d6963f7d28e17f72',
            os.path.join(self.swift_dir, 'object-1.ring.gz'):
                '4ed9407630eb1000c0f6b63842defa7d'})

    def test_swiftconfmd5(self):
        path = os.path.join(self.swift_dir, 'swift.conf')
        self.assertEqual(self.get_json('/recon/swiftconfmd5'), {path: None})
        self.write(path, 'abc')
        self.assertEqual(self.get_json('/recon/swiftconfmd5'),
                         {path: '900150983cd24fb0d6963f7d28e17f72'})


class TestCacheChecks(ReconTestCase):
    def test_missing_cache_gives_nones(self):
        self.assertEqual(self.get_json('/recon/async'),
                         {'async_pending': None, 'async_pending_last': None})
        self.assertEqual(self.logger.lines['exception'], [])

    def test_corrupt_cache_gives_nones_and_logs(self):
        self.write(os.path.join(self.cache, 'object.recon'), '{not json')
        self.assertEqual(self.get_json('/recon/async'),
                         {'async_pending': None, 'async_pending_last': None})
        self.assertEqual(len(self.logger.lines['exception']), 1)

    def test_object_checks(self):
        self.dump('object', {
            'async_pending': 7, 'async_pending_last': 1700000000.0,
            'object_replication_time': 1.5, 'object_replication_last': 1700000001.0,
            'replication_stats': {'attempted': 3}, 'object_updater_sweep': 0.25,
            'object_expiration_pass': 0.5, 'expired_last_pass': 2,
            'object_auditor_stats_ALL': {'passes': 5, 'errors': 0},
            'object_auditor_stats_ZBF': {'passes': 1},
            'object_reconstruction_time': 0.1, 'object_reconstruction_last': 17.0})
        self.assertEqual(self.get_json('/recon/async'),
                         {'async_pending': 7, 'async_pending_last': 1700000000.0})
        expected_replication = {
            'replication_time': None, 'replication_stats': {'attempted': 3},
            'replication_last': None, 'object_replication_time': 1.5,
            'object_replication_last': 1700000001.0}
        self.assertEqual(self.get_json('/recon/replication'), expected_replication)
        self.assertEqual(self.get_json('/recon/replication/object'), expected_replication)
        self.assertEqual(self.get_json('/recon/updater/object'),
                         {'object_updater_sweep': 0.25})
        self.assertEqual(self.get_json('/recon/expirer/object'),
                         {'object_expiration_pass': 0.5, 'expired_last_pass': 2})
        self.assertEqual(self.get_json('/recon/auditor/object'), {
            'object_auditor_stats_ALL': {'passes': 5, 'errors': 0},
            'object_auditor_stats_ZBF': {'passes': 1}})
        self.assertEqual(self.get_json('/recon/reconstruction/object'), {
            'object_reconstruction_time': 0.1, 'object_reconstruction_last': 17.0})

    def test_container_and_account_checks(self):
        self.dump('container', {'container_updater_sweep': 2.0, 'replication_time': 3,
                                'container_audits_passed': 9, 'sharding_last': 5})
        self.dump('account', {'account_audits_failed': 1, 'replication_last': 4})
        self.assertEqual(self.get_json('/recon/updater/container'),
                         {'container_updater_sweep': 2.0})
        self.assertEqual(self.get_json('/recon/replication/container'), {
            'replication_time': 3, 'replication_stats': None, 'replication_last': None})
        self.assertEqual(self.get_json('/recon/auditor/container'), {
            'container_audits_passed': 9, 'container_auditor_pass_completed': None,
            'container_audits_since': None, 'container_audits_failed': None})
        self.assertEqual(self.get_json('/recon/sharding'), {
            'sharding_stats': None, 'sharding_time': None, 'sharding_last': 5})
        self.assertEqual(self.get_json('/recon/auditor/account')['account_audits_failed'], 1)
        self.assertEqual(self.get_json('/recon/replication/account')['replication_last'], 4)

    def test_driveaudit(self):
        self.assertEqual(self.get_json('/recon/driveaudit'), {'drive_audit_errors': None})
        self.dump('drive', {'drive_audit_errors': 3})
        self.assertEqual(self.get_json('/recon/driveaudit'), {'drive_audit_errors': 3})

    def test_relinker_missing_is_quiet(self):
        self.assertEqual(self.get_json('/recon/relinker'),
                         {'devices': None, 'workers': None})
        self.assertEqual(self.logger.all_lines(), [])


if __name__ == '__main__':
    unittest.main()
