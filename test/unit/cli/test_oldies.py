"""swift-oldies: which processes are listed, the table and -p."""

import io
import os
import unittest

from swift.cli import oldies
from swift.cli.oldies import ProcessInfo
from test.helpers.fake_clock import FakeClock

NOW = 1700000000.0
HOUR = 3600.0

PROCESSES = [
    ProcessInfo(101, NOW - 800 * HOUR,
                ['/usr/bin/python3', '/usr/local/bin/swift-object-server',
                 '/etc/swift/object-server/1.conf']),
    ProcessInfo(202, NOW - 2 * HOUR,
                ['/usr/bin/python3', '/usr/bin/swift-proxy-server',
                 '/etc/swift/proxy-server.conf']),
    ProcessInfo(303, NOW - 1000 * HOUR, ['/usr/sbin/sshd', '-D']),
    ProcessInfo(404, NOW - 730 * HOUR,
                ['/usr/bin/swift-object-replicator', '/etc/swift/object-server/2.conf',
                 '--once']),
    ProcessInfo(505, NOW - 900 * HOUR, ['/usr/bin/python3', '/opt/other-swift-tool']),
]


class TestOldies(unittest.TestCase):
    def run_cli(self, *args):
        out = io.StringIO()
        code = oldies.main(list(args), out=out, processes=lambda: PROCESSES,
                           clock=FakeClock(NOW))
        return code, out.getvalue()

    def test_default_age_is_30_days(self):
        code, out = self.run_cli()
        self.assertEqual(code, 0)
        self.assertEqual(out.splitlines(), [
            'Hours PID Command',
            '  800 101 object-server /etc/swift/object-server/1.conf',
            '  730 404 object-replicator /etc/swift/object-server/2.conf --once'])

    def test_age_option(self):
        code, out = self.run_cli('-a', '1')
        self.assertIn('    2 202 proxy-server /etc/swift/proxy-server.conf', out)
        self.assertEqual(len(out.splitlines()), 4)

    def test_pids_only(self):
        code, out = self.run_cli('-a', '0', '--pids')
        self.assertEqual(out, '101\n202\n404\n')

    def test_nothing_found_prints_nothing(self):
        code, out = self.run_cli('-a', '100000')
        self.assertEqual((code, out), (0, ''))

    def test_long_commands_are_cut_to_the_line(self):
        long_proc = ProcessInfo(7, NOW - 10 * HOUR,
                                ['swift-object-server', '/x' * 100])
        lines = oldies.format_listing(oldies.find_oldies([long_proc], NOW, 0))
        self.assertEqual(len(lines[1]), 80)  # Swift: 78 minus the two number columns

    def test_swift_command(self):
        self.assertEqual(oldies.swift_command(['swift-init', 'main', 'start']),
                         'init main start')
        self.assertIsNone(oldies.swift_command(['bash', 'swift-x']))
        self.assertIsNone(oldies.swift_command(['python3']))

    def test_real_process_list_includes_this_process(self):
        pids = [proc.pid for proc in oldies.list_processes()]
        self.assertIn(os.getpid(), pids)


if __name__ == '__main__':
    unittest.main()
