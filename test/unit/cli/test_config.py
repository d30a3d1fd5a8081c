"""swift-config: readconf and paste views of config files and server names."""

import io
import os
import shutil
import tempfile
import unittest
from unittest import mock

from swift.cli import config as cli

OBJECT_CONF = '''[DEFAULT]
devices = /srv/node
bind_port = 6200

[pipeline:main]
pipeline = healthcheck recon object-server

[app:object-server]
use = call:test.helpers.fake_wsgi_app:app_factory
name = obj

[filter:healthcheck]
use = call:test.helpers.fake_wsgi_app:app_factory

[filter:recon]
use = egg:swift#recon
recon_cache_path = /var/cache/swift

[object-replicator]
concurrency = 2
'''


class TestSwiftConfig(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        os.makedirs(os.path.join(self.tmp, 'object-server'))
        self.confs = []
        for number in (1, 2):
            path = os.path.join(self.tmp, 'object-server', '%d.conf' % number)
            with open(path, 'w') as fp:
                fp.write(OBJECT_CONF.replace('6200', '62%d0' % number))
            self.confs.append(path)

    def run_cli(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with mock.patch.dict(os.environ, {'SWIFT_DIR': self.tmp}):
            code = cli.main(list(args), out=out, err=err)
        return code, out.getvalue(), err.getvalue()

    def test_readconf_view_merges_default_into_every_section(self):
        code, out, err = self.run_cli('-s', 'object-replicator', self.confs[0])
        self.assertEqual((code, err), (0, ''))
        self.assertEqual(out, '# %s\n[object-replicator]\ndevices = /srv/node\n'
                              'bind_port = 6210\nconcurrency = 2\n\n\n' % self.confs[0])

    def test_whole_file_lists_sections_then_flat_values(self):
        code, out, err = self.run_cli(self.confs[0])
        lines = out.splitlines()
        self.assertEqual(lines[0], '# %s' % self.confs[0])
        self.assertEqual([line for line in lines if line.startswith('[')], [
            '[pipeline:main]', '[app:object-server]', '[filter:healthcheck]',
            '[filter:recon]', '[object-replicator]'])
        self.assertIn('pipeline = healthcheck recon object-server', lines)
        self.assertIn('# __file__ = %s' % self.confs[0], lines)
        self.assertIn('# log_name = None', lines)

    def test_server_name_finds_every_config(self):
        code, out, err = self.run_cli('-s', 'object-replicator', 'object-server')
        self.assertEqual(code, 0)
        self.assertEqual([line for line in out.splitlines() if line.startswith('# ')],
                         ['# %s' % path for path in self.confs])
        self.assertIn('bind_port = 6220', out)

    def test_config_num_picks_the_nth(self):
        code, out, err = self.run_cli('-c', '2', '-s', 'object-replicator', 'object')
        self.assertEqual(out.splitlines()[0], '# %s' % self.confs[1])
        self.assertNotIn(self.confs[0], out)

    def test_wsgi_view_follows_the_pipeline(self):
        code, out, err = self.run_cli('-w', self.confs[0])
        self.assertEqual((code, err), (0, ''))
        lines = out.splitlines()
        self.assertEqual([line for line in lines if line.startswith('[')], [
            '[pipeline:main]', '[filter:healthcheck]', '[filter:recon]',
            '[app:object-server]'])
        self.assertIn('here = %s' % os.path.dirname(self.confs[0]), lines)
        self.assertIn('recon_cache_path = /var/cache/swift', lines)
        self.assertIn('name = obj', lines)

    def test_wsgi_view_of_a_non_paste_file_is_an_error(self):
        path = os.path.join(self.tmp, 'plain.conf')
        with open(path, 'w') as fp:
            fp.write('[object-expirer]\ninterval = 300\n')
        code, out, err = self.run_cli('-w', path)
        self.assertEqual(code, 1)
        self.assertTrue(err.startswith('ERROR: Unable to load %s' % path), err)

    def test_errors(self):
        self.assertEqual(self.run_cli()[0], 1)
        self.assertEqual(self.run_cli()[2], 'ERROR: specify type of server or conf_path\n')
        code, out, err = self.run_cli('bogus')
        self.assertEqual(code, 1)
        self.assertEqual(err, "ERROR: Unknown server 'bogus' (and no such file)\n")
        code, out, err = self.run_cli('container-server')
        self.assertEqual(code, 1)
        self.assertEqual(err, 'ERROR: Unable to find config for container-server\n')

    def test_unparsable_file(self):
        path = os.path.join(self.tmp, 'broken.conf')
        with open(path, 'w') as fp:
            fp.write('no section header\n')
        code, out, err = self.run_cli(path)
        self.assertEqual(code, 1)
        self.assertTrue(err.startswith('ERROR: '))
        self.assertNotIn('Traceback', err)


if __name__ == '__main__':
    unittest.main()
