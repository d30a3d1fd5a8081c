"""swift-drive-audit: log scanning, per-device counts, unmount decisions, drive.recon."""

import datetime
import io
import os
import shutil
import tempfile
import unittest

from swift.cli import drive_audit
from swift.common.recon import load_recon_cache
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_clock import FakeClock

NOW = 1795990000.0


def syslog_time(seconds_ago):
    return datetime.datetime.fromtimestamp(NOW - seconds_ago).strftime('%b %d %H:%M:%S')


class FakeSystem:
    def __init__(self, device_dir):
        self.mount_table = [
            ('/dev/sdb1', os.path.join(device_dir, 'd1')),
            ('/dev/sdc1', os.path.join(device_dir, 'd2')),
            ('/dev/sda1', '/'),
            ('/dev/gone', os.path.join(device_dir, 'd3')),
        ]
        self.numbers = {'/dev/sdb1': ('8', '17'), '/dev/sdc1': ('8', '33'),
                        '/dev/sda1': ('8', '1')}
        self.unmounted = []
        self.commented = []
        self.reloads = 0

    def mounts(self):
        return list(self.mount_table)

    def device_number(self, path):
        if path not in self.numbers:
            raise FileNotFoundError(path)
        return self.numbers[path]

    def partitions(self):
        return {('8', '1'): 'sda1', ('8', '17'): 'sdb1', ('8', '33'): 'sdc1'}

    def unmount(self, mount_point):
        self.unmounted.append(mount_point)

    def comment_fstab(self, mount_point):
        self.commented.append(mount_point)

    def after_fstab_change(self):
        self.reloads += 1


class DriveAuditTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.device_dir = os.path.join(self.tmp, 'node')
        self.cache = os.path.join(self.tmp, 'cache')
        self.system = FakeSystem(self.device_dir)
        self.logger = DebugLogger()
        self.log_dir = os.path.join(self.tmp, 'log')
        os.makedirs(self.log_dir)

    def write_log(self, name, lines, mtime=None):
        path = os.path.join(self.log_dir, name)
        with open(path, 'w') as fp:
            fp.write(''.join(line + '\n' for line in lines))
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path

    def write_conf(self, **options):
        conf = {'device_dir': self.device_dir, 'recon_cache_path': self.cache,
                'log_file_pattern': os.path.join(self.log_dir, 'kern.log*'),
                'log_file_encoding': 'utf-8'}
        conf.update(options)
        path = os.path.join(self.tmp, 'drive-audit.conf')
        with open(path, 'w') as fp:
            fp.write('[drive-audit]\n')
            fp.write(''.join('%s = %s\n' % item for item in conf.items()))
        return path

    def run_cli(self, **options):
        err = io.StringIO()
        code = drive_audit.main([self.write_conf(**options)], logger=self.logger,
                                clock=FakeClock(NOW), system=self.system, err=err)
        return code, err.getvalue()

    def recon(self):
        return load_recon_cache(os.path.join(self.cache, 'drive.recon'))


class TestDriveAudit(DriveAuditTestCase):
    def test_errors_unmount_and_recon(self):
        self.write_log('kern.log', [
            '%s host kernel: [ 1.0] sd 0:0:0:0: [sdb1] error reading sector' % syslog_time(600),
            '%s host kernel: [ 2.0] end_request: I/O error, dev sdb1, sector 9' % syslog_time(300),
            '%s host kernel: [ 3.0] all good on sdc1' % syslog_time(200)])
        code, err = self.run_cli()
        self.assertEqual((code, err), (0, ''))
        d1 = os.path.join(self.device_dir, 'd1')
        d2 = os.path.join(self.device_dir, 'd2')
        self.assertEqual(self.system.unmounted, [d1])
        self.assertEqual(self.system.commented, [d1])
        self.assertEqual(self.system.reloads, 1)
        self.assertEqual(self.recon(), {d1: 2, d2: 0, 'drive_audit_errors': 2})
        self.assertIn('Unmounting %s with 2 errors' % d1, self.logger.lines['info'])
        self.assertIn('Could not determine major:minor numbers for /dev/gone (%s)! '
                      'Skipping...' % os.path.join(self.device_dir, 'd3'),
                      self.logger.lines['error'])

    def test_unmount_disabled_only_reports(self):
        self.write_log('kern.log', ['%s k: error on sdc1' % syslog_time(10)])
        code, err = self.run_cli(unmount_failed_device='false')
        d2 = os.path.join(self.device_dir, 'd2')
        self.assertEqual(self.system.unmounted, [])
        self.assertEqual(self.system.reloads, 0)
        self.assertIn('Detected %s with 1 errors (Device not unmounted)' % d2,
                      self.logger.lines['info'])
        self.assertIn('No drives were unmounted', self.logger.lines['info'])
        self.assertEqual(self.recon()['drive_audit_errors'], 1)

    def test_error_limit(self):
        self.write_log('kern.log', ['%s k: error on sdb1' % syslog_time(10)])
        self.run_cli(error_limit='2')
        self.assertEqual(self.system.unmounted, [])
        self.assertEqual(self.recon()['drive_audit_errors'], 0)

    def test_old_lines_and_boot_stop_the_scan(self):
        self.write_log('kern.log', [
            '%s k: error on sdb1' % syslog_time(30),
            '%s k: [    0.000000] Linux version' % syslog_time(20),
            '%s k: error on sdc1' % syslog_time(10)])
        self.write_log('kern.log.1', ['%s k: error on sdb1' % syslog_time(7200)],
                       mtime=NOW - 7200)
        self.run_cli(unmount_failed_device='no')
        d1 = os.path.join(self.device_dir, 'd1')
        d2 = os.path.join(self.device_dir, 'd2')
        self.assertEqual(self.recon(), {d1: 0, d2: 1, 'drive_audit_errors': 1})

    def test_rotated_file_is_read_when_recent(self):
        newest = self.write_log('kern.log', ['%s k: fine' % syslog_time(5)], mtime=NOW)
        self.write_log('kern.log.1', ['%s k: error on sdb1' % syslog_time(100)],
                       mtime=NOW - 100)
        self.assertTrue(os.path.exists(newest))
        self.run_cli(unmount_failed_device='no')
        self.assertEqual(self.recon()['drive_audit_errors'], 1)

    def test_custom_regex(self):
        self.write_log('kern.log', ['%s k: Medium Error dev sdc1' % syslog_time(5)])
        self.run_cli(regex_pattern_1=r'Medium Error dev (sd[a-z]+\d)',
                     unmount_failed_device='no')
        self.assertEqual(self.recon()['drive_audit_errors'], 1)

    def test_iso_timestamps(self):
        stamp = datetime.datetime.fromtimestamp(NOW - 30, datetime.timezone.utc)
        self.write_log('kern.log', ['%s host kernel: error on sdb1' % stamp.isoformat()])
        self.run_cli(unmount_failed_device='no')
        self.assertEqual(self.recon()['drive_audit_errors'], 1)


class TestDriveAuditErrors(DriveAuditTestCase):
    def test_usage(self):
        err = io.StringIO()
        self.assertEqual(drive_audit.main([], err=err), 1)
        self.assertEqual(err.getvalue(), 'Usage: swift-drive-audit CONF_FILE\n')

    def test_missing_config(self):
        err = io.StringIO()
        code = drive_audit.main([os.path.join(self.tmp, 'nope.conf')], err=err)
        self.assertEqual(code, 1)
        self.assertIn('Unable to read config file', err.getvalue())

    def test_bad_regex(self):
        code, err = self.run_cli(regex_pattern_1='(unclosed')
        self.assertEqual(code, 1)
        self.assertEqual(err, 'Error: unable to compile regex pattern "(unclosed"\n')
        self.assertEqual(self.system.unmounted, [])

    def test_bad_number(self):
        code, err = self.run_cli(minutes='soon')
        self.assertEqual(code, 1)
        self.assertIn('minutes', err)

    def test_no_devices_is_logged(self):
        self.system.mount_table = []
        code, err = self.run_cli()
        self.assertEqual(code, 0)
        self.assertIn('Error: No devices found!', self.logger.lines['error'])
        self.assertEqual(self.recon(), {'drive_audit_errors': 0})


class TestHelpers(unittest.TestCase):
    def test_backward_reads_lines_last_first_across_blocks(self):
        data = b''.join(b'line %d\n' % i for i in range(50))
        fp = io.BytesIO(data)
        self.assertEqual(list(drive_audit.backward(fp, block_bytes=7)),
                         [b'line %d' % i for i in reversed(range(50))])
        self.assertEqual(list(drive_audit.backward(io.BytesIO(b'a\nb'))), [b'b', b'a'])

    def test_year_rolls_back_over_new_year(self):
        scan = drive_audit._LogScan(datetime.datetime(2027, 1, 1, 0, 10), 60 * 24 * 30)
        patterns = [__import__('re').compile(r'error (sd\w+)')]
        self.assertTrue(scan.feed('Jan  1 00:05:00 k: error sdb', patterns))
        self.assertTrue(scan.feed('Dec 31 23:59:00 k: error sdb', patterns))
        self.assertEqual(scan.year, 2026)
        self.assertEqual(scan.errors, {'sdb': 2})

    def test_comment_fstab(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        fstab = os.path.join(tmp, 'fstab')
        with open(fstab, 'w') as fp:
            fp.write('/dev/sda1 / ext4 defaults 0 1\n'
                     '/dev/sdb1 /srv/node/d1 xfs noatime 0 0\n'
                     '#/dev/sdc1 /srv/node/d1 xfs noatime 0 0\n')
        drive_audit.comment_fstab(fstab, '/srv/node/d1')
        with open(fstab) as fp:
            self.assertEqual(fp.read(), '/dev/sda1 / ext4 defaults 0 1\n'
                                        '#/dev/sdb1 /srv/node/d1 xfs noatime 0 0\n'
                                        '#/dev/sdc1 /srv/node/d1 xfs noatime 0 0\n')


if __name__ == '__main__':
    unittest.main()
