"""swift-recon-cron: async pending count into object.recon, run lock."""

import io
import os
import shutil
import tempfile
import unittest

from swift.cli import recon_cron
from swift.common.recon import load_recon_cache
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_clock import FakeClock


class TestReconCron(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.devices = os.path.join(self.tmp, 'node')
        self.cache = os.path.join(self.tmp, 'cache')
        self.lock = os.path.join(self.tmp, 'lock')
        os.makedirs(self.lock)
        for rel in ('d1/async_pending/66d/h1-1', 'd1/async_pending/66d/h2-2',
                    'd1/async_pending-1/27b/h3-3', 'd2/async_pending/88b/h4-4',
                    'd2/objects/1/abc/hash/1.data', 'd2/async_pendingx/1/h5'):
            path = os.path.join(self.devices, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, 'w').close()
        open(os.path.join(self.devices, 'stray-file'), 'w').close()
        self.conf = os.path.join(self.tmp, 'object-server.conf')
        with open(self.conf, 'w') as fp:
            fp.write('[DEFAULT]\ndevices = %s\n\n[filter:recon]\nuse = egg:swift#recon\n'
                     'recon_cache_path = %s\nrecon_lock_path = %s\n'
                     % (self.devices, self.cache, self.lock))
        self.logger = DebugLogger()

    def run_cli(self, *args):
        out = io.StringIO()
        code = recon_cron.main(list(args), out=out, logger=self.logger,
                               clock=FakeClock(1700000000.0))
        return code, out.getvalue()

    def test_counts_asyncs_of_every_policy(self):
        self.assertEqual(recon_cron.get_async_count(self.devices), 4)
        code, out = self.run_cli(self.conf)
        self.assertEqual((code, out), (0, ''))
        self.assertEqual(load_recon_cache(os.path.join(self.cache, 'object.recon')),
                         {'async_pending': 4, 'async_pending_last': 1700000000.0})
        self.assertEqual(os.listdir(self.lock), [])

    def test_refuses_to_overlap(self):
        os.mkdir(os.path.join(self.lock, 'swift-recon-object-cron'))
        code, out = self.run_cli(self.conf)
        self.assertEqual(code, 1)
        self.assertIn('File exists', out)
        self.assertFalse(os.path.exists(os.path.join(self.cache, 'object.recon')))

    def test_missing_devices_is_logged(self):
        shutil.rmtree(self.devices)
        code, out = self.run_cli(self.conf)
        self.assertEqual(code, 0)
        self.assertEqual(self.logger.lines['exception'],
                         ['Exception during recon-cron while accessing devices'])
        self.assertEqual(os.listdir(self.lock), [])

    def test_usage_and_unreadable_conf(self):
        code, out = self.run_cli()
        self.assertEqual(code, 1)
        self.assertTrue(out.startswith('Usage: swift-recon-cron CONF_FILE'))
        code, out = self.run_cli(os.path.join(self.tmp, 'missing.conf'))
        self.assertEqual(code, 1)
        self.assertIn('Unable to read config file', out)


if __name__ == '__main__':
    unittest.main()
