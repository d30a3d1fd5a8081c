"""Test harness: an all-in-one cluster in a temporary directory on free ports, or an
existing cluster named by a test.conf ([func_test] auth_uri/account/username/password).

Used by test/functional and test/probe; talks to the cluster only over HTTP and through
the same commands an operator uses (swift-saio, swift-init, swift).
"""

import configparser
import glob
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse

import pytest

NODES = (1, 2, 3, 4)
START_TIMEOUT_S = 120


class HttpResult:
    """status (int), headers (lower-case dict), body (bytes)."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return '<HttpResult %s %r>' % (self.status, self.body[:200])


def _port_free(ip, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((ip, port))
        return True
    except OSError:
        return False
    finally:
        sock.close()


def find_free_base_port(rng=random):
    """A base port whose all-in-one ports (base+10N+0..2, base+3, base+5..8) are free."""
    for _attempt in range(200):
        base = rng.randrange(20000, 60000, 100)
        wanted = [('127.0.0.%d' % n, base + 10 * n + k) for n in NODES for k in (0, 1, 2)]
        wanted += [('127.0.0.%d' % n, base + 3) for n in NODES]
        wanted += [('127.0.0.1', base + 5), ('127.0.0.1', base + 6)]
        if all(_port_free(ip, port) for ip, port in wanted):
            return base
    raise RuntimeError('no free port range found')


def command(name):
    """argv prefix for one of our console scripts (PATH first, then beside python)."""
    found = shutil.which(name) or os.path.join(os.path.dirname(sys.executable), name)
    if not os.path.exists(found):
        raise RuntimeError('%s not installed (pip install -e .)' % name)
    return [found]


class Cluster:
    """A running cluster the tests drive over HTTP."""

    local = False

    def __init__(self, auth_url, account, user, key):
        self.auth_url = auth_url
        self.account_name = account
        self.user = user
        self.key = key
        self.token = None
        self.storage_url = None

    # -- HTTP
    def authenticate(self, user=None, key=None):
        """GET auth; returns (token, storage_url) and keeps them for the main user."""
        parsed = urllib.parse.urlparse(self.auth_url)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        try:
            conn.request('GET', parsed.path, headers={
                'X-Auth-User': user or '%s:%s' % (self.account_name, self.user),
                'X-Auth-Key': key or self.key})
            resp = conn.getresponse()
            resp.read()
            if resp.status // 100 != 2:
                raise RuntimeError('auth failed: %s' % resp.status)
            token, url = resp.getheader('X-Auth-Token'), resp.getheader('X-Storage-Url')
        finally:
            conn.close()
        if user is None:
            self.token, self.storage_url = token, url
        return token, url

    def raw(self, method, path, body=None, headers=None, token='default',
            account_path=None):
        """One request to ``storage_url + path`` (path already quoted)."""
        parsed = urllib.parse.urlparse(self.storage_url)
        base = account_path if account_path is not None else parsed.path
        all_headers = dict(headers or {})
        if token == 'default':
            token = self.token
        if token is not None:
            all_headers['X-Auth-Token'] = token
        if body is not None and 'Content-Length' not in all_headers:
            all_headers['Content-Length'] = str(len(body))
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        try:
            conn.putrequest(method, base + path, skip_accept_encoding=True)
            for name, value in all_headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            if body:
                conn.send(body)
            resp = conn.getresponse()
            data = resp.read()
            return HttpResult(resp.status, {k.lower(): v for k, v in resp.getheaders()},
                              data)
        finally:
            conn.close()

    def json_get(self, path):
        resp = self.raw('GET', path)
        assert resp.status == 200, resp
        return resp.json()

    def swift_cli(self, *args, user=None, key=None):
        """Run python-swiftclient's ``swift`` CLI; returns stdout (asserts exit 0)."""
        argv = command('swift') + ['-A', self.auth_url,
                                   '-U', user or '%s:%s' % (self.account_name, self.user),
                                   '-K', key or self.key] + list(args)
        proc = subprocess.run(argv, capture_output=True, timeout=600,
                              env=self.env if self.local else None)
        assert proc.returncode == 0, (argv, proc.stdout, proc.stderr)
        return proc.stdout.decode('utf-8')

    def object_files(self, account, container, obj):
        pytest.skip('needs a local all-in-one')

    def run_container_updaters(self):
        pytest.skip('needs a local all-in-one')


class ExternalCluster(Cluster):
    """A cluster named by a test.conf; local-only helpers skip."""

    @classmethod
    def from_conf(cls, path):
        parser = configparser.ConfigParser()
        parser.read(path)
        section = dict(parser.items('func_test'))
        auth_url = section.get('auth_uri') or 'http://%s:%s%s' % (
            section.get('auth_host', '127.0.0.1'), section.get('auth_port', '8080'),
            section.get('auth_prefix', '/auth/') + 'v1.0')
        return cls(auth_url, section.get('account', 'test'),
                   section.get('username', 'tester'), section.get('password', 'testing'))

    env = None


class SaioCluster(Cluster):
    """An all-in-one started with ``swift-saio up --dir ROOT`` on free ports."""

    local = True

    def __init__(self, root, base_port=None, xfs='auto', daemons=True):
        self.root = root
        self.base_port = base_port or find_free_base_port()
        self.proxy_port = self.base_port + 5
        self.memcached_port = self.base_port + 6
        self.xfs = xfs
        self.daemons = daemons
        super().__init__('http://127.0.0.1:%d/auth/v1.0' % self.proxy_port,
                         'test', 'tester', 'testing')

    @property
    def saio_args(self):
        args = ['--dir', self.root, '--base-port', str(self.base_port),
                '--proxy-port', str(self.proxy_port),
                '--memcached-port', str(self.memcached_port), '--xfs', self.xfs,
                '--disk-size', '3G', '--health-timeout', '120']
        if not self.daemons:
            args.append('--no-daemons')
        return args

    @property
    def env(self):
        """os.environ as a shell has it after ``. DIR/saio.env`` (a real shell reads the
        file, so quoting and ``$PATH`` expand exactly as for a user)."""
        env = dict(os.environ)
        env_file = os.path.join(self.root, 'saio.env')
        if os.path.exists(env_file):
            proc = subprocess.run(['bash', '-c', '. "$1" && env -0', 'saio-env', env_file],
                                  capture_output=True, timeout=30, env=env)
            if proc.returncode == 0:
                env = dict(item.split('=', 1) for item in
                           proc.stdout.decode('utf-8', 'surrogateescape').split('\0')
                           if '=' in item)
        bin_dir = os.path.dirname(sys.executable)
        if bin_dir not in env.get('PATH', '').split(':'):
            env['PATH'] = bin_dir + ':' + env.get('PATH', '')
        return env

    def up(self):
        proc = subprocess.run(command('swift-saio') + ['up'] + self.saio_args,
                              capture_output=True, timeout=START_TIMEOUT_S)
        if proc.returncode != 0:
            logs = self.tail_logs()
            raise RuntimeError('swift-saio up failed (%s):\n%s\n%s\n%s' % (
                proc.returncode, proc.stdout.decode(), proc.stderr.decode(), logs))
        self.up_output = proc.stdout.decode()
        self.authenticate()
        return self

    def down(self):
        subprocess.run(command('swift-saio') + ['down'] + self.saio_args,
                       capture_output=True, timeout=120)

    def tail_logs(self, lines=30):
        out = []
        for path in sorted(glob.glob(os.path.join(self.root, 'log', '*.log'))):
            with open(path, 'rb') as fp:
                tail = fp.read().decode('utf-8', 'replace').splitlines()[-lines:]
            out.append('== %s\n%s' % (path, '\n'.join(tail)))
        return '\n'.join(out)

    def swift_init(self, *args, check=True):
        proc = subprocess.run(command('swift-init') + list(args), capture_output=True,
                              timeout=120, env=self.env)
        output = proc.stdout.decode() + proc.stderr.decode()
        if check:
            assert proc.returncode == 0, (args, output)
        return output

    def wait_healthy(self, timeout_s=60):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            out = subprocess.run(command('swift-saio') + ['status'] + self.saio_args,
                                 capture_output=True, timeout=60)
            if out.returncode == 0 and self._all_healthy():
                return
            time.sleep(0.5)
        raise AssertionError('cluster not healthy:\n' + self.tail_logs())

    def _all_healthy(self):
        targets = [('127.0.0.1', self.proxy_port)]
        targets += [('127.0.0.%d' % n, self.base_port + 10 * n + k)
                    for n in NODES for k in (0, 1, 2)]
        for ip, port in targets:
            try:
                conn = http.client.HTTPConnection(ip, port, timeout=2)
                conn.request('GET', '/healthcheck')
                if conn.getresponse().status != 200:
                    return False
            except OSError:
                return False
            finally:
                conn.close()
        return True

    def conf(self, kind, node):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(os.path.join(self.env['SWIFT_DIR'], '%s-server' % kind, '%d.conf' % node))
        return parser

    def devices_root(self, kind, node):
        return self.conf(kind, node).get('DEFAULT', 'devices')

    def object_files(self, account, container, obj, policy_dir='objects'):
        """[(node, path)] of every ``.data``/``.ts`` file of the object on any device."""
        from swift.common.hashing import HashPathConfig, hash_path
        config = HashPathConfig.from_swift_dir(self.env['SWIFT_DIR'])
        name_hash = hash_path(account, container, obj, config=config)
        found = []
        for node in NODES:
            root = self.devices_root('object', node)
            pattern = os.path.join(root, '*', policy_dir, '*', name_hash[-3:], name_hash, '*')
            for path in glob.glob(pattern):
                if path.endswith(('.data', '.ts')):
                    found.append((node, path))
        return sorted(found)

    def run_container_updaters(self):
        for node in NODES:
            conf = os.path.join(self.env['SWIFT_DIR'], 'container-server', '%d.conf' % node)
            proc = subprocess.run(command('swift-container-updater') + [conf, 'once'],
                                  capture_output=True, timeout=120, env=self.env)
            assert proc.returncode == 0, proc.stderr

    def server_pids(self):
        pids = []
        run_dir = self.env.get('SWIFT_RUN_DIR') or os.path.join(self.root, 'run')
        for path in glob.glob(os.path.join(run_dir, '**', '*.pid'), recursive=True):
            try:
                with open(path) as fp:
                    pids.append(int(fp.read().strip()))
            except (OSError, ValueError):
                pass
        return pids


def config_file_cluster():
    """An ExternalCluster when SWIFT_TEST_CONFIG_FILE (or /etc/swift/test.conf) exists."""
    path = os.environ.get('SWIFT_TEST_CONFIG_FILE', '/etc/swift/test.conf')
    if path and os.path.exists(path) and os.environ.get('SWIFT_TEST_IN_PROCESS') != '1':
        return ExternalCluster.from_conf(path)
    return None
