"""Recon cache files: merge rules, atomic replace, locking, error handling."""

import fcntl
import json
import os
import shutil
import tempfile
import unittest

from swift.common import recon
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_clock import FakeClock


class TestPutReconCacheEntry(unittest.TestCase):
    def test_plain_value_replaces(self):
        entry = {'a': 1}
        recon.put_recon_cache_entry(entry, 'a', 2)
        recon.put_recon_cache_entry(entry, 'b', [1])
        self.assertEqual(entry, {'a': 2, 'b': [1]})

    def test_dict_merges_per_key(self):
        entry = {'stats': {'sda': 1, 'sdb': 2}}
        recon.put_recon_cache_entry(entry, 'stats', {'sdb': 5, 'sdc': 6})
        self.assertEqual(entry, {'stats': {'sda': 1, 'sdb': 5, 'sdc': 6}})

    def test_empty_dict_removes_key_and_nested_key(self):
        entry = {'stats': {'sda': 1, 'sdb': 2}, 'other': 1}
        recon.put_recon_cache_entry(entry, 'stats', {'sda': {}})
        self.assertEqual(entry, {'stats': {'sdb': 2}, 'other': 1})
        recon.put_recon_cache_entry(entry, 'stats', {})
        self.assertEqual(entry, {'other': 1})

    def test_dict_over_non_dict(self):
        entry = {'stats': 3}
        recon.put_recon_cache_entry(entry, 'stats', {'x': 1})
        self.assertEqual(entry, {'stats': {'x': 1}})


class TestDumpReconCache(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.path = os.path.join(self.tmp, 'cache', 'object.recon')
        self.logger = DebugLogger()

    def read_raw(self):
        with open(self.path) as fp:
            return fp.read()

    def test_creates_dir_and_writes_one_sorted_line(self):
        self.assertTrue(recon.dump_recon_cache(
            {'b': 1, 'a': 'caf\u00e9'}, self.path, self.logger))
        self.assertEqual(self.read_raw(), '{"a": "caf\\u00e9", "b": 1}\n')
        self.assertEqual(recon.load_recon_cache(self.path), {'a': 'caf\u00e9', 'b': 1})
        self.assertEqual(os.listdir(os.path.dirname(self.path)), ['object.recon'])

    def test_merges_with_existing_keys(self):
        recon.dump_recon_cache({'async_pending': 3}, self.path, self.logger)
        recon.dump_recon_cache({'object_auditor_stats_ALL': {'sda': {'passes': 1}}},
                               self.path, self.logger)
        recon.dump_recon_cache({'object_auditor_stats_ALL': {'sdb': {'passes': 2}}},
                               self.path, self.logger)
        self.assertEqual(recon.load_recon_cache(self.path), {
            'async_pending': 3,
            'object_auditor_stats_ALL': {'sda': {'passes': 1}, 'sdb': {'passes': 2}}})

    def test_corrupt_file_is_recreated(self):
        os.makedirs(os.path.dirname(self.path))
        with open(self.path, 'w') as fp:
            fp.write('{garbage')
        self.assertTrue(recon.dump_recon_cache({'x': 1}, self.path, self.logger))
        self.assertEqual(recon.load_recon_cache(self.path), {'x': 1})

    def test_replaces_inode_atomically(self):
        recon.dump_recon_cache({'x': 1}, self.path, self.logger)
        before = os.stat(self.path).st_ino
        with open(self.path) as reader:
            recon.dump_recon_cache({'x': 2}, self.path, self.logger)
            self.assertEqual(json.loads(reader.read()), {'x': 1})
        self.assertNotEqual(os.stat(self.path).st_ino, before)
        self.assertEqual(recon.load_recon_cache(self.path), {'x': 2})

    def test_lock_timeout_is_logged_not_raised(self):
        recon.dump_recon_cache({'x': 1}, self.path, self.logger)
        clock = FakeClock()
        with open(self.path) as holder:
            fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
            ok = recon.dump_recon_cache({'x': 2}, self.path, self.logger,
                                        lock_timeout=1, sleep=clock.sleep,
                                        monotonic=clock.monotonic)
        self.assertFalse(ok)
        self.assertTrue(clock.sleeps)
        self.assertGreaterEqual(sum(clock.sleeps), 1)
        self.assertEqual(len(self.logger.lines['exception']), 1)
        self.assertIn('Exception dumping recon cache', self.logger.lines['exception'][0])
        self.assertEqual(recon.load_recon_cache(self.path), {'x': 1})

    def test_unserialisable_value_leaves_file_intact(self):
        recon.dump_recon_cache({'x': 1}, self.path, self.logger)
        self.assertFalse(recon.dump_recon_cache({'y': object()}, self.path, self.logger))
        self.assertEqual(recon.load_recon_cache(self.path), {'x': 1})
        self.assertEqual(sorted(os.listdir(os.path.dirname(self.path))), ['object.recon'])

    def test_load_missing_or_bad(self):
        self.assertEqual(recon.load_recon_cache(self.path), {})
        os.makedirs(os.path.dirname(self.path))
        with open(self.path, 'w') as fp:
            fp.write('[1, 2]')
        self.assertEqual(recon.load_recon_cache(self.path), {})

    def test_recon_cache_file_names(self):
        self.assertEqual(recon.recon_cache_file('/var/cache/swift', 'drive'),
                         '/var/cache/swift/drive.recon')


if __name__ == '__main__':
    unittest.main()
