"""swift-recon against fake storage nodes (recon middleware over temp dirs)."""

import array
import io
import json
import os
import re
import shutil
import tempfile
import unittest

import swift
from swift.cli import recon as cli
from swift.cli import recon_scout
from swift.common import concurrency
from swift.common.middleware.recon import ReconMiddleware, md5_hash_for_file
from swift.common.recon import dump_recon_cache
from swift.common.ring import RingData
from swift.common.swob import Request
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_clock import FakeClock

RULE = '=' * 79
NOW = 1700000000.0


def write_ring(swift_dir, name, hosts, devices_per_host=2, zones=None):
    """A 3-replica ring over ``hosts`` [(ip, port)] with ``devices_per_host`` each."""
    devs = []
    for index, (ip, port) in enumerate(hosts):
        for number in range(devices_per_host):
            devs.append({'id': len(devs), 'region': 1,
                         'zone': (zones or {}).get((ip, port), index + 1),
                         'ip': ip, 'port': port, 'replication_ip': ip,
                         'replication_port': port, 'device': 'd%d' % len(devs),
                         'weight': 1.0, 'meta': ''})
    parts = 4
    rows = [array.array('H', [(part + replica) % len(devs) for part in range(parts)])
            for replica in range(3)]
    RingData(rows, devs, 30).save(os.path.join(swift_dir, name + '.ring.gz'))


class FakeNode:
    """One storage node: its own devices, cache and swift_dir behind recon."""

    def __init__(self, root, name, clock):
        self.root = os.path.join(root, name)
        self.devices = os.path.join(self.root, 'srv')
        self.cache = os.path.join(self.root, 'cache')
        self.swift_dir = os.path.join(self.root, 'etc')
        for path in (self.devices, self.cache, self.swift_dir):
            os.makedirs(path)
        self.logger = DebugLogger()
        self.server_header = 'object-server'
        self.app = ReconMiddleware(self.backend, {
            'devices': self.devices, 'swift_dir': self.swift_dir,
            'recon_cache_path': self.cache, 'mount_check': 'false'},
            logger=self.logger, clock=clock)

    def backend(self, environ, start_response):
        start_response('200 OK', [('Server', self.server_header + '/2.38.0'),
                                  ('Content-Length', '0')])
        return [b'']

    def dump(self, server_type, data):
        dump_recon_cache(data, os.path.join(self.cache, server_type + '.recon'),
                         self.logger)


class ReconCliTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.swift_dir = os.path.join(self.tmp, 'etc')
        os.makedirs(self.swift_dir)
        with open(os.path.join(self.swift_dir, 'swift.conf'), 'w') as fp:
            fp.write('[swift-hash]\nswift_hash_path_suffix = s\n')
        self.clock = FakeClock(NOW)
        self.hosts = [('127.0.0.1', 6210), ('127.0.0.2', 6220)]
        self.nodes = {}
        for ip, port in self.hosts:
            node = FakeNode(self.tmp, '%s-%s' % (ip, port), self.clock)
            self.nodes[(ip, port)] = node
        for name in ('object', 'container', 'account'):
            write_ring(self.swift_dir, name, self.hosts)
        self.sync_node_etc()
        self.down = set()

    def sync_node_etc(self):
        for node in self.nodes.values():
            for name in os.listdir(self.swift_dir):
                shutil.copy(os.path.join(self.swift_dir, name), node.swift_dir)

    def fetch(self, ip, port, method, path, timeout_s):
        if (ip, port) in self.down:
            raise recon_scout.ReconFetchError('<urlopen error [Errno 111] Connection refused>', -1)
        resp = Request.blank(path, method=method).get_response(self.nodes[(ip, port)].app)
        return resp.status_int, {k.lower(): v for k, v in resp.headers.items()}, resp.body

    def run_recon(self, *args):
        out = io.StringIO()
        code = cli.main(list(args) + ['--swiftdir', self.swift_dir], out=out,
                        fetch=self.fetch, clock=self.clock)
        return code, out.getvalue()

    def ptime(self, when=NOW):
        import time
        return time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(when))


class TestHeaderAndHosts(ReconCliTestCase):
    def test_header_and_async(self):
        self.nodes[self.hosts[0]].dump('object', {'async_pending': 3})
        self.nodes[self.hosts[1]].dump('object', {'async_pending': 5})
        code, out = self.run_recon('-a')
        self.assertEqual(code, 0)
        self.assertEqual(out.splitlines(), [
            RULE, '--> Starting reconnaissance on 2 hosts (object)', RULE,
            '[%s] Checking async pendings' % self.ptime(),
            '[async_pending] low: 3, high: 5, avg: 4.0, total: 8, Failed: 0.0%, '
            'no_result: 0, reported: 2', RULE])

    def test_missing_values_count_as_no_result(self):
        self.nodes[self.hosts[0]].dump('object', {'async_pending': 3})
        code, out = self.run_recon('object', '-a')
        self.assertIn('[async_pending] low: 3, high: 3, avg: 3.0, total: 3, '
                      'Failed: 50.0%, no_result: 1, reported: 1', out)

    def test_unreachable_host_is_reported_not_raised(self):
        self.down.add(self.hosts[1])
        code, out = self.run_recon('-a')
        self.assertEqual(code, 0)
        self.assertIn('-> http://127.0.0.2:6220/recon/async: <urlopen error [Errno 111] '
                      'Connection refused>', out)
        self.assertIn('[async_pending] - No hosts returned valid data.', out)
        code, out = self.run_recon('-a', '--suppress')
        self.assertNotIn('Connection refused', out)

    def test_zone_and_region_filters(self):
        code, out = self.run_recon('-z', '2', '--time')
        self.assertIn('--> Starting reconnaissance on 1 hosts (object)', out)
        self.assertIn('1/1 hosts matched, 0 error[s] while checking hosts.', out)
        code, out = self.run_recon('--region', '2', '--time')
        self.assertIn('--> Starting reconnaissance on 0 hosts (object)', out)

    def test_several_server_types(self):
        code, out = self.run_recon('account', 'container', '--time')
        self.assertEqual(code, 0)
        self.assertIn('(container)', out)
        self.assertLess(out.index('(account)'), out.index('(container)'))

    def test_no_args_prints_help(self):
        out = io.StringIO()
        self.assertEqual(cli.main([], out=out, fetch=self.fetch), 0)
        self.assertIn('<server_type>', out.getvalue())

    def test_bad_server_type(self):
        code, out = self.run_recon('bogus', '-a')
        self.assertEqual(code, 1)
        self.assertIn('Invalid Server Type', out)

    def test_missing_ring_is_one_line_error(self):
        os.unlink(os.path.join(self.swift_dir, 'account.ring.gz'))
        code, out = self.run_recon('account', '-r')
        self.assertEqual(code, 1)
        self.assertIn('Error: ', out)
        self.assertNotIn('Traceback', out)

    def test_wrong_type_errors(self):
        code, out = self.run_recon('account', '-a', '--updater', '--expirer')
        self.assertIn("Error: Can't check asyncs on non object servers.", out)
        self.assertIn("Error: Can't check updaters on account servers.", out)
        self.assertIn("Error: Can't check expirer on non object servers.", out)


class TestPoliciesAndVerbose(ReconCliTestCase):
    def setUp(self):
        super().setUp()
        with open(os.path.join(self.swift_dir, 'swift.conf'), 'w') as fp:
            fp.write('[swift-hash]\nswift_hash_path_suffix = s\n'
                     '[storage-policy:0]\nname = gold\ndefault = yes\n'
                     '[storage-policy:1]\nname = silver\n')
        self.hosts.append(('127.0.0.3', 6230))
        self.nodes[self.hosts[2]] = FakeNode(self.tmp, 'n3', self.clock)
        write_ring(self.swift_dir, 'object-1', [self.hosts[2]])
        self.sync_node_etc()

    def test_object_hosts_cover_every_policy_ring(self):
        code, out = self.run_recon('-T')
        self.assertIn('--> Starting reconnaissance on 3 hosts (object)', out)
        self.assertIn('3/3 hosts matched, 0 error[s] while checking hosts.', out)

    def test_policy_filter_by_name_or_index(self):
        for policy in ('silver', '1'):
            code, out = self.run_recon('-T', '--policy', policy)
            self.assertIn('--> Starting reconnaissance on 1 hosts (object)', out)
        code, out = self.run_recon('-T', '--policy', 'bronze')
        self.assertEqual(code, 0)
        self.assertIn('Invalid Storage Policy: bronze', out)

    def test_md5_checks_every_object_ring(self):
        code, out = self.run_recon('--md5', '-v')
        self.assertIn('-> On disk object-1.ring.gz md5sum: ', out)
        self.assertIn('-> On disk object.ring.gz md5sum: ', out)
        self.assertIn('-> http://127.0.0.3:6230/recon/ringmd5 matches.', out)
        self.assertIn('3/3 hosts matched, 0 error[s] while checking hosts.', out)

    def test_verbose_prints_each_answer(self):
        self.nodes[self.hosts[0]].dump('object', {'async_pending': 1})
        code, out = self.run_recon('-a', '-v')
        self.assertIn("-> http://127.0.0.1:6210/recon/async: {'async_pending': 1, "
                      "'async_pending_last': None}", out)


class TestMd5(ReconCliTestCase):
    def test_all_match(self):
        code, out = self.run_recon('--md5')
        lines = out.splitlines()
        self.assertIn('[%s] Checking ring md5sums' % self.ptime(), lines)
        self.assertIn('[%s] Checking swift.conf md5sum' % self.ptime(), lines)
        self.assertEqual(lines.count(
            '2/2 hosts matched, 0 error[s] while checking hosts.'), 2)

    def test_mismatching_ring_is_named(self):
        node = self.nodes[self.hosts[1]]
        with open(os.path.join(node.swift_dir, 'object.ring.gz'), 'ab') as fp:
            fp.write(b'x')
        remote_sum = md5_hash_for_file(os.path.join(node.swift_dir, 'object.ring.gz'))
        code, out = self.run_recon('--md5')
        self.assertEqual(code, 0)
        self.assertIn("!! http://127.0.0.2:6220/recon/ringmd5 (object.ring.gz => %s) "
                      "doesn't match on disk md5sum" % remote_sum, out)
        self.assertIn('1/2 hosts matched, 1 error[s] while checking hosts.', out)

    def test_mismatching_swift_conf(self):
        node = self.nodes[self.hosts[0]]
        with open(os.path.join(node.swift_dir, 'swift.conf'), 'a') as fp:
            fp.write('# changed\n')
        code, out = self.run_recon('--md5')
        self.assertRegex(out, r"!! http://127.0.0.1:6210/recon/swiftconfmd5 "
                              r"\([0-9a-f]{32}\) doesn't match on disk md5sum")
        self.assertIn('1/2 hosts matched, 0 error[s] while checking hosts.', out)


class TestChecks(ReconCliTestCase):
    def test_replication(self):
        self.nodes[self.hosts[0]].dump('object', {
            'object_replication_time': 2.0, 'object_replication_last': NOW - 120,
            'replication_stats': {'attempted': 4, 'failure': 1, 'success': 8}})
        self.nodes[self.hosts[1]].dump('object', {
            'object_replication_time': 4.0, 'object_replication_last': NOW - 60,
            'replication_stats': {'attempted': 2, 'failure': 0, 'success': 4}})
        code, out = self.run_recon('-r')
        lines = out.splitlines()
        self.assertIn('[replication_time] low: 2, high: 4, avg: 3.0, total: 6, '
                      'Failed: 0.0%, no_result: 0, reported: 2', lines)
        self.assertIn('[replication_failure] low: 0, high: 1, avg: 0.5, total: 1, '
                      'Failed: 0.0%, no_result: 0, reported: 2', lines)
        self.assertIn('[replication_success] low: 4, high: 8, avg: 6.0, total: 12, '
                      'Failed: 0.0%, no_result: 0, reported: 2', lines)
        self.assertIn('[replication_attempted] low: 2, high: 4, avg: 3.0, total: 6, '
                      'Failed: 0.0%, no_result: 0, reported: 2', lines)
        self.assertIn('Oldest completion was %s (2 minutes ago) by 127.0.0.1:6210.'
                      % self.ptime(NOW - 120), lines)
        self.assertIn('Most recent completion was %s (1 minutes ago) by '
                      '127.0.0.2:6220.' % self.ptime(NOW - 60), lines)

    def test_object_auditor_sums_per_device_stats(self):
        self.nodes[self.hosts[0]].dump('object', {'object_auditor_stats_ALL': {
            'passes': 10, 'errors': 1, 'quarantined': 1, 'audit_time': 5,
            'bytes_processed': 100}})
        self.nodes[self.hosts[1]].dump('object', {'object_auditor_stats_ALL': {
            'disk1': {'passes': 3, 'errors': 0, 'quarantined': 2, 'audit_time': 1,
                      'bytes_processed': 10},
            'disk2': {'passes': 4, 'errors': 0, 'quarantined': 0, 'audit_time': 1,
                      'bytes_processed': 20}}})
        code, out = self.run_recon('--auditor')
        self.assertIn('[ALL_quarantined_last_path] low: 1, high: 2, avg: 1.5, total: 3, '
                      'Failed: 0.0%, no_result: 0, reported: 2', out)
        self.assertIn('[ALL_passes_last_path] low: 7, high: 10, avg: 8.5, total: 17, '
                      'Failed: 0.0%, no_result: 0, reported: 2', out)
        self.assertIn('[ZBF_auditor] - No hosts returned valid data.', out)

    def test_container_auditor(self):
        for node in self.nodes.values():
            node.dump('container', {'container_audits_passed': 5,
                                    'container_auditor_pass_completed': 1.5,
                                    'container_audits_since': NOW,
                                    'container_audits_failed': 0})
        code, out = self.run_recon('container', '--auditor')
        self.assertIn('[container_audits_passed] low: 5, high: 5, avg: 5.0, total: 10, '
                      'Failed: 0.0%, no_result: 0, reported: 2', out)
        self.assertIn('[last_pass] oldest: %s, newest: %s, avg: %s' % (
            (self.ptime(),) * 3), out)

    def test_updater_and_expirer(self):
        for node in self.nodes.values():
            node.dump('object', {'object_updater_sweep': 0.5,
                                 'object_expiration_pass': 1.0, 'expired_last_pass': 3})
        code, out = self.run_recon('--updater', '--expirer')
        self.assertIn('[updater_last_sweep] low: 0, high: 0, avg: 0.5, total: 1, '
                      'Failed: 0.0%, no_result: 0, reported: 2', out)
        self.assertIn('[expired_last_pass] low: 3, high: 3, avg: 3.0, total: 6, '
                      'Failed: 0.0%, no_result: 0, reported: 2', out)

    def test_unmounted_and_quarantined(self):
        node = self.nodes[self.hosts[0]]
        os.makedirs(os.path.join(node.devices, 'd0', 'quarantined', 'objects', 'h1'))
        os.makedirs(os.path.join(node.devices, 'd0', 'quarantined', 'objects-1', 'h2'))
        os.makedirs(os.path.join(node.devices, 'd1'))
        node.app.mount_check = True
        code, out = self.run_recon('-u', '-q')
        self.assertIn('Not mounted: d0 on 127.0.0.1:6210', out)
        self.assertIn('Not mounted: d1 on 127.0.0.1:6210', out)
        self.assertIn('[quarantined_objects] low: 0, high: 2, avg: 1.0, total: 2, '
                      'Failed: 0.0%, no_result: 0, reported: 2', out)
        self.assertIn('[quarantined_objects_1] low: 1, high: 1, avg: 1.0, total: 1, '
                      'Failed: 0.0%, no_result: 0, reported: 1', out)

    def test_disk_usage(self):
        for node in self.nodes.values():
            os.makedirs(os.path.join(node.devices, 'd0'))
        code, out = self.run_recon('-d', '--human-readable', '--top', '1')
        lines = out.splitlines()
        self.assertIn('Distribution Graph:', lines)
        graph = lines[lines.index('Distribution Graph:') + 1]
        self.assertRegex(graph, r'^ *\d+%    2 \*{69}$')
        self.assertTrue(any(re.match(r'Disk usage: space used: \d+ [kMGTP]?B', line)
                            for line in lines), out)
        self.assertTrue(any(line.startswith('Disk usage: lowest: ') for line in lines))
        self.assertIn('TOP 1', lines)

    def test_load_sockstat_time_version(self):
        code, out = self.run_recon('-l', '--sockstat', '-T', '--swift-versions')
        self.assertRegex(out, r'\[1m_load_avg\] low: \d+, .* reported: 2')
        self.assertRegex(out, r'\[tcp_in_use\] low: \d+, .* reported: 2')
        self.assertIn('2/2 hosts matched, 0 error[s] while checking hosts.', out)
        self.assertIn('Versions matched (%s), 0 error[s] while checking hosts.'
                      % swift.__version__,
                      out)

    def test_time_skew_is_reported(self):
        skewed = FakeClock(NOW + 100)
        self.nodes[self.hosts[1]].app.clock = skewed
        code, out = self.run_recon('-T')
        self.assertIn('!! http://127.0.0.2:6220/recon/time current time is %s, but remote '
                      'is %s, differs by 100.0000 sec' % (self.ptime(), self.ptime(NOW + 100)),
                      out)
        self.assertIn('1/2 hosts matched, 0 error[s] while checking hosts.', out)

    def test_validate_servers(self):
        self.nodes[self.hosts[1]].server_header = 'container-server'
        code, out = self.run_recon('--validate-servers')
        self.assertIn('1/2 hosts ok, 1 error[s] while checking hosts.', out)
        self.assertIn('Invalid: http://127.0.0.2:6220/ is container-server', out)

    def test_all_prints_every_section(self):
        code, out = self.run_recon('--all')
        self.assertEqual(code, 0)
        for title in ('Checking async pendings', 'Checking auditor stats',
                      'Checking updater times', 'Checking on expirers',
                      'Checking on reconstructors', 'Checking on replication',
                      'Getting unmounted drives from 2 hosts...', 'Checking load averages',
                      'Checking disk usage now', 'Checking ring md5sums',
                      'Checking swift.conf md5sum', 'Checking quarantine',
                      'Checking socket usage', "Validating server type 'object'",
                      'Checking drive-audit errors', 'Checking time-sync',
                      'Checking versions'):
            self.assertIn(title, out)
        self.assertNotIn('Traceback', out)


class TestRealHttp(unittest.TestCase):
    """One run over real loopback HTTP: the default fetcher and green concurrency."""

    def test_against_a_live_recon_server(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        node = FakeNode(tmp, 'n1', FakeClock(NOW))
        node.dump('object', {'async_pending': 9})
        sock = concurrency.listen(('127.0.0.1', 0))
        port = sock.getsockname()[1]
        server = concurrency.spawn(concurrency.wsgi.server, sock, node.app,
                                   log=io.StringIO(), log_output=False)
        self.addCleanup(sock.close)
        self.addCleanup(server.kill)
        swift_dir = os.path.join(tmp, 'etc')
        os.makedirs(swift_dir)
        write_ring(swift_dir, 'object', [('127.0.0.1', port), ('127.0.0.1', 1)])
        out = io.StringIO()
        code = cli.main(['-a', '--swiftdir', swift_dir, '--timeout', '2'], out=out)
        self.assertEqual(code, 0)
        text = out.getvalue()
        self.assertIn('--> Starting reconnaissance on 2 hosts (object)', text)
        self.assertIn('-> http://127.0.0.1:1/recon/async: <urlopen error', text)
        self.assertIn('[async_pending] low: 9, high: 9, avg: 9.0, total: 9, '
                      'Failed: 0.0%, no_result: 0, reported: 1', text)


class TestHelpers(unittest.TestCase):
    def test_seconds2timeunit(self):
        self.assertEqual(cli.seconds2timeunit(30), (30, 'seconds'))
        self.assertEqual(cli.seconds2timeunit(120), (2.0, 'minutes'))
        self.assertEqual(cli.seconds2timeunit(7200), (2.0, 'hours'))
        self.assertEqual(cli.seconds2timeunit(86400 * 3), (3.0, 'days'))

    def test_size_suffix(self):
        self.assertEqual(cli.size_suffix(999), '999 bytes')
        self.assertEqual(cli.size_suffix(12345678), '12 MB')
        self.assertEqual(cli.size_suffix(10 ** 30), '1000000 YB')

    def test_gen_stats(self):
        stats = cli.SwiftRecon._gen_stats([1, None, 3], 'x')
        self.assertEqual(stats['reported'], 2)
        self.assertEqual(stats['number_none'], 1)
        self.assertAlmostEqual(stats['perc_none'], 100 / 3.0)
        self.assertEqual(cli.SwiftRecon._gen_stats([None], 'x'),
                         {'reported': 0, 'name': 'x'})

    def test_json_roundtrip_of_scout_errors(self):
        def fetch(ip, port, method, path, timeout_s):
            return 200, {}, b'not json'
        lines = []
        scout = recon_scout.Scout('async', fetch=fetch, out=lines.append)
        url, content, status, _s, _e = scout.scout(('127.0.0.1', 1))
        self.assertEqual(status, -1)
        self.assertTrue(lines and lines[0].startswith('-> http://127.0.0.1:1/recon/async'))
        self.assertIsInstance(json.dumps(content), str)


if __name__ == '__main__':
    unittest.main()
