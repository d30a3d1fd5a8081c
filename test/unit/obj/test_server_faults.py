"""Issue 4 acceptance 3 against a real ``swift-object-server`` process on loopback:

- the process is SIGKILLed in the middle of a PUT body: the new version never becomes
  visible, the previous one is served intact after a restart;
- a byte of a ``.data`` file is flipped: the GET client gets the stored ETag (so the
  bytes can be told wrong) or a cut response, never an ETag matching bad bytes, and
  the object is quarantined (404 afterwards);
- a device full past ``fallocate_reserve`` answers 507 and writes nothing.

The test waits on the server's own "serving on" log line and on "100 Continue"
(the server has its temp file open by then), never on a timer.
"""

import hashlib
import http.client
import os
import signal
import socket
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
T_OLD = '1700000001.00000'
T_NEW = '1700000002.00000'
OLD_BODY = b'old version ' * 1000


class ObjectServerProcess:
    """``swift.obj.server.main`` in a subprocess, workers = 0, port chosen by the OS."""

    def __init__(self, root, **options):
        self.root = root
        self.devices = os.path.join(root, 'node')
        os.makedirs(os.path.join(self.devices, 'sda'), exist_ok=True)
        with open(os.path.join(root, 'swift.conf'), 'w') as fp:
            fp.write('[swift-hash]\nswift_hash_path_prefix = p\n'
                     'swift_hash_path_suffix = s\n'
                     '[storage-policy:0]\nname = gold\ndefault = yes\n')
        lines = ['[DEFAULT]', 'devices = %s' % self.devices, 'mount_check = false',
                 'bind_ip = 127.0.0.1', 'bind_port = 0', 'workers = 0',
                 'swift_dir = %s' % root, 'log_level = INFO']
        lines += ['%s = %s' % item for item in options.items()]
        lines += ['[pipeline:main]', 'pipeline = object-server',
                  '[app:object-server]', 'use = egg:swift#object']
        self.conf_path = os.path.join(root, 'object-server.conf')
        with open(self.conf_path, 'w') as fp:
            fp.write('\n'.join(lines) + '\n')
        code = 'import sys; from swift.obj.server import main; sys.exit(main())'
        self.proc = subprocess.Popen(
            [sys.executable, '-c', code, self.conf_path, '-v'], cwd=REPO,
            env=dict(os.environ, PYTHONPATH=REPO), stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        self.port = self._wait_serving()

    def _wait_serving(self):
        for line in iter(self.proc.stderr.readline, b''):
            if b'serving on 127.0.0.1:' in line:
                return int(line.split(b'serving on 127.0.0.1:')[1].split()[0])
        raise AssertionError('object server exited %s' % self.proc.wait())

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=dict(
                {'X-Backend-Storage-Policy-Index': '0'}, **(headers or {})))
            response = conn.getresponse()
            try:
                data = response.read()
            except http.client.IncompleteRead as err:
                data = err.partial  # the server cut the body short
            return response.status, response.headers, data
        finally:
            conn.close()

    def put(self, path, body, timestamp):
        return self.request('PUT', path, body, {'X-Timestamp': timestamp,
                                                'Content-Type': 'text/plain'})[0]

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc.stderr.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        if not self.proc.stderr.closed:
            self.proc.stderr.close()

    def hash_dir_files(self, obj):
        found = []
        for dirpath, _, files in os.walk(os.path.join(self.devices, 'sda', 'objects')):
            for name in files:
                if name.endswith(('.data', '.ts', '.meta')) and obj in dirpath:
                    found.append(name)
        return found

    def tmp_files(self):
        tmp = os.path.join(self.devices, 'sda', 'tmp')
        return set(os.listdir(tmp)) if os.path.isdir(tmp) else set()


def find_data_file(devices, body_marker_path):
    for dirpath, _, files in os.walk(os.path.join(devices, 'sda', 'objects')):
        for name in files:
            if name.endswith('.data'):
                path = os.path.join(dirpath, name)
                if os.getxattr(path, 'user.swift.metadata').find(
                        body_marker_path.encode()) >= 0:
                    return path
    raise AssertionError('no .data for %s' % body_marker_path)


def start_killed_put(server, path, total_bytes, sent_bytes):
    """Send a PUT's headers, wait for 100 Continue, send part of the body."""
    sock = socket.create_connection(('127.0.0.1', server.port))
    sock.sendall(('PUT %s HTTP/1.1\r\nHost: x\r\nX-Timestamp: %s\r\n'
                  'Content-Type: text/plain\r\nContent-Length: %d\r\n'
                  'X-Backend-Storage-Policy-Index: 0\r\n'
                  'Expect: 100-continue\r\n\r\n' % (path, T_NEW, total_bytes)
                  ).encode('ascii'))
    fp = sock.makefile('rb')
    assert fp.readline().split()[1] == b'100'
    assert fp.readline() == b'\r\n'
    sock.sendall(b'N' * sent_bytes)
    return sock, fp


@pytest.fixture
def servers():
    started = []
    yield started
    for server in started:
        server.stop()


def test_kill_mid_put_corrupt_byte_and_full_device(tmp_path, servers):
    root = str(tmp_path)
    server = ObjectServerProcess(root)
    servers.append(server)
    path = '/sda/0/a/c/killed'
    assert server.put(path, OLD_BODY, T_OLD) == 201

    # -- a flipped byte: never a complete body under a matching ETag; quarantined
    assert server.put('/sda/0/a/c/corrupt', b'abcdefghij' * 100, T_OLD) == 201
    data_file = find_data_file(server.devices, '/a/c/corrupt')
    with open(data_file, 'r+b') as fp:
        fp.seek(500)
        fp.write(b'X')
    status, headers, body = server.request('GET', '/sda/0/a/c/corrupt')
    assert status == 200
    assert headers['Etag'] == hashlib.md5(b'abcdefghij' * 100).hexdigest()
    assert hashlib.md5(body).hexdigest() != headers['Etag'] or \
        len(body) < int(headers['Content-Length'])
    status, _, _ = server.request('GET', '/sda/0/a/c/corrupt')
    assert status == 404
    quarantined = os.path.join(server.devices, 'sda', 'quarantined', 'objects')
    assert len(os.listdir(quarantined)) == 1

    # -- killed in the middle of the new version's body
    sock, fp = start_killed_put(server, path, 1 << 20, 300000)
    try:
        server.kill()
    finally:
        fp.close()
        sock.close()
    assert server.hash_dir_files('') == ['%s.data' % T_OLD]
    leftovers = server.tmp_files()
    assert len(leftovers) == 1  # the dead PUT's temp file, out of sight in tmp/

    # -- restarted with the device "full": a reserve bigger than any disk
    server = ObjectServerProcess(root, fallocate_reserve=str(10 ** 18))
    servers.append(server)
    status, headers, body = server.request('GET', path)
    assert (status, body) == (200, OLD_BODY)
    assert headers['X-Timestamp'] == T_OLD
    status, _, body = server.request('PUT', '/sda/0/a/c/new', b'data', {
        'X-Timestamp': T_NEW, 'Content-Type': 'text/plain'})
    assert status == 507
    assert body.startswith(b'Insufficient Storage')
    assert server.request('HEAD', '/sda/0/a/c/new')[0] == 404
    assert server.hash_dir_files('') == ['%s.data' % T_OLD]
    assert server.tmp_files() == leftovers
