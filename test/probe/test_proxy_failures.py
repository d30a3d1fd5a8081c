"""Probe tests of the proxy with real processes stopped, killed and impersonated
(issue 6, acceptance 2 and 3).

Ring facts used (the all-in-one's): 4 nodes, object ring with 3 replicas, so every
object has 3 primaries and 1 handoff; the object quorum is 2.
"""

import glob
import hashlib
import http.client
import os
import signal
import socket
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psutil
import pytest

pytestmark = pytest.mark.probe

NODES = (1, 2, 3, 4)


def _stop(cluster, kind, nodes):
    for node in nodes:
        cluster.swift_init('%s-server.%d' % (kind, node), 'stop')
    _wait_ports_closed(cluster, kind, nodes)


def _start_all(cluster, *kinds):
    for kind in kinds:
        cluster.swift_init('%s-server' % kind, 'start', check=False)
    cluster.wait_healthy()


def _fresh_proxy(cluster):
    """Restart the proxy: earlier tests' failures must not leave nodes error-limited
    (Swift's proxy skips a node with too many recent errors)."""
    cluster.swift_init('proxy-server', 'restart')
    cluster.wait_healthy()


def _port(cluster, kind, node):
    return cluster.base_port + 10 * node + {'object': 0, 'container': 1, 'account': 2}[kind]


def _wait_ports_closed(cluster, kind, nodes, timeout_s=20):
    deadline = time.monotonic() + timeout_s
    for node in nodes:
        while time.monotonic() < deadline:
            try:
                socket.create_connection(('127.0.0.%d' % node,
                                          _port(cluster, kind, node)), timeout=1).close()
                time.sleep(0.1)
            except OSError:
                break


def _primaries(cluster, account, container, obj):
    from swift.common.ring import Ring
    ring = Ring(cluster.env['SWIFT_DIR'], ring_name='object')
    _part, nodes = ring.get_nodes(account.encode(), container.encode(), obj.encode())
    return [int(node['ip'].rsplit('.', 1)[1]) for node in nodes]


def _container_primaries(cluster, account, container):
    from swift.common.ring import Ring
    ring = Ring(cluster.env['SWIFT_DIR'], ring_name='container')
    _part, nodes = ring.get_nodes(account.encode(), container.encode())
    return [int(node['ip'].rsplit('.', 1)[1]) for node in nodes]


def _new_container(cluster):
    name = 'probe-' + uuid.uuid4().hex[:8]
    assert cluster.raw('PUT', '/' + name).status == 201
    return name


# ------------------------------------------------------------------ availability

def test_one_object_server_down_200_puts_and_gets(probe_cluster):
    cluster = probe_cluster
    name = _new_container(cluster)
    _stop(cluster, 'object', [2])
    try:
        conn = _Connection(cluster)
        for i in range(200):
            status, _body = conn.request('PUT', '/%s/o%03d' % (name, i), b'body %d' % i)
            assert status == 201, (i, status)
        for i in range(200):
            status, body = conn.request('GET', '/%s/o%03d' % (name, i))
            assert (status, body) == (200, b'body %d' % i), i
        conn.close()
        # most of those objects have node 2 as a primary: a handoff stood in for it
        with_node2 = [i for i in range(200)
                      if 2 in _primaries(cluster, 'AUTH_test', name, 'o%03d' % i)]
        assert len(with_node2) > 100
        files = cluster.object_files('AUTH_test', name, 'o%03d' % with_node2[0])
        assert len(files) == 3 and 2 not in {node for node, _ in files}
    finally:
        _start_all(cluster, 'object')


def test_two_object_servers_down_still_has_a_quorum(probe_cluster):
    """Swift's behaviour on a 4-node ring: with two object servers stopped, every
    object still has a primary and a handoff (or two primaries) up, which is the
    quorum of 2, so PUT succeeds; GET finds the copies."""
    cluster = probe_cluster
    _fresh_proxy(cluster)
    name = _new_container(cluster)
    _stop(cluster, 'object', [2, 3])
    try:
        for i in range(20):
            resp = cluster.raw('PUT', '/%s/q%d' % (name, i), body=b'quorum %d' % i)
            assert resp.status == 201, resp
            assert cluster.raw('GET', '/%s/q%d' % (name, i)).body == b'quorum %d' % i
    finally:
        _start_all(cluster, 'object')
    for i in range(20):
        assert cluster.raw('GET', '/%s/q%d' % (name, i)).body == b'quorum %d' % i


def test_three_object_servers_down_put_is_503_and_leaves_nothing(probe_cluster):
    cluster = probe_cluster
    # error limits left by earlier tests would send 'old' to two nodes only, and the
    # container replica whose update that skipped would list nothing until replication
    _fresh_proxy(cluster)
    name = _new_container(cluster)
    assert cluster.raw('PUT', '/%s/old' % name, body=b'old').status == 201
    _stop(cluster, 'object', [2, 3, 4])
    try:
        for i in range(5):
            resp = cluster.raw('PUT', '/%s/half%d' % (name, i), body=b'h' * 100000)
            assert resp.status == 503, resp
        resp = cluster.raw('PUT', '/%s/old' % name, body=b'new')
        assert resp.status == 503
    finally:
        _start_all(cluster, 'object')
    for i in range(5):
        assert cluster.raw('GET', '/%s/half%d' % (name, i)).status == 404
        assert cluster.object_files('AUTH_test', name, 'half%d' % i) == []
    assert cluster.raw('GET', '/%s/old' % name).body == b'old'
    listing = cluster.raw('GET', '/%s' % name).body.split()
    assert listing == [b'old']


def test_backend_killed_mid_get_client_gets_exact_bytes(probe_cluster):
    cluster = probe_cluster
    _fresh_proxy(cluster)
    name = _new_container(cluster)
    size = 100 * 1024 * 1024
    block = hashlib.sha512(b'probe').digest() * 16384    # 1 MiB, not repetitive inside
    body = b''.join(bytes([i]) + block[1:] for i in range(size // len(block)))
    expected = hashlib.md5(body).hexdigest()
    assert cluster.raw('PUT', '/%s/big' % name, body=body).status == 201
    del body
    parsed = urllib.parse.urlparse(cluster.storage_url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    killed = None
    try:
        conn.request('GET', '%s/%s/big' % (parsed.path, name),
                     headers={'X-Auth-Token': cluster.token})
        resp = conn.getresponse()
        assert resp.status == 200
        digest = hashlib.md5()
        received = 0
        while True:
            chunk = resp.read(1 << 20)
            if not chunk:
                break
            digest.update(chunk)
            received += len(chunk)
            if killed is None and received >= 10 * 1024 * 1024:
                time.sleep(0.5)     # let the backend fill the socket buffers and block
                killed = _kill_serving_object_server(cluster)
        assert killed is not None, 'no object server was serving the GET'
        assert received == size
        assert digest.hexdigest() == expected
    finally:
        conn.close()
        _start_all(cluster, 'object')
    log = _proxy_log(cluster)
    assert 'Object GET could not resume' not in log


def test_newer_tombstone_on_primaries_beats_older_copy_on_a_handoff(probe_cluster):
    """PUT while a primary is down (a handoff takes the copy), DELETE once it is back
    (tombstones on the primaries only): reads answer 404, not the handoff's data."""
    cluster = probe_cluster
    _fresh_proxy(cluster)
    name = _new_container(cluster)
    primaries = _primaries(cluster, 'AUTH_test', name, 'ghost')
    [handoff] = [n for n in NODES if n not in primaries]
    _stop(cluster, 'object', [primaries[0]])
    try:
        assert cluster.raw('PUT', '/%s/ghost' % name, body=b'old data').status == 201
    finally:
        _start_all(cluster, 'object')
    assert cluster.raw('DELETE', '/%s/ghost' % name).status == 204
    files = cluster.object_files('AUTH_test', name, 'ghost')
    assert any(node == handoff and path.endswith('.data') for node, path in files), files
    for _ in range(10):     # whatever order the proxy tries nodes in
        assert cluster.raw('GET', '/%s/ghost' % name).status == 404
        assert cluster.raw('HEAD', '/%s/ghost' % name).status == 404
    assert cluster.raw('GET', '/%s/ghost' % name, headers={
        'X-Newest': 'true'}).status == 404
    assert cluster.raw('GET', '/' + name).body == b''


def _kill_serving_object_server(cluster):
    """SIGKILL the object server (its swift-init pid and workers) that has the
    proxy's GET connection open; returns its node number."""
    run_dir = os.path.join(cluster.root, 'run', 'object-server')
    for node in NODES:
        port = _port(cluster, 'object', node)
        with open(os.path.join(run_dir, '%d.pid' % node)) as fp:
            pid = int(fp.read().strip())
        procs = [psutil.Process(pid)] + psutil.Process(pid).children(recursive=True)
        serving = any(conn.status == psutil.CONN_ESTABLISHED and conn.laddr.port == port
                      for proc in procs for conn in proc.net_connections('tcp'))
        if serving:
            for proc in procs:
                os.kill(proc.pid, signal.SIGKILL)
            return node
    return None


def _proxy_log(cluster):
    text = ''
    for path in glob.glob(os.path.join(cluster.root, 'log', 'proxy-server*.log')):
        with open(path, 'rb') as fp:
            text += fp.read().decode('utf-8', 'replace')
    return text


class _Connection:
    """One keep-alive connection to the proxy for many small requests."""

    def __init__(self, cluster):
        self.cluster = cluster
        parsed = urllib.parse.urlparse(cluster.storage_url)
        self.base = parsed.path
        self.conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)

    def request(self, method, path, body=None):
        headers = {'X-Auth-Token': self.cluster.token}
        if body is not None:
            headers['Content-Length'] = str(len(body))
        self.conn.request(method, self.base + path, body=body, headers=headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def close(self):
        self.conn.close()


# ------------------------------------------------------------------ security

def test_who_gets_401_and_403(probe_cluster):
    cluster = probe_cluster
    name = _new_container(cluster)
    cluster.raw('PUT', '/%s/o' % name, body=b'private')
    token3, _ = cluster.authenticate(user='test:tester3', key='testing3')
    token2, _ = cluster.authenticate(user='test2:tester2', key='testing2')
    expected = {None: 401, token3: 403, token2: 403}
    for token, status in expected.items():
        for method, path, body in (('GET', '', None), ('HEAD', '/' + name, None),
                                   ('GET', '/%s/o' % name, None),
                                   ('PUT', '/%s/o' % name, b'overwrite'),
                                   ('POST', '/%s/o' % name, b''),
                                   ('DELETE', '/%s/o' % name, None),
                                   ('PUT', '/new-' + name, None),
                                   ('DELETE', '/' + name, None)):
            resp = cluster.raw(method, path, body=body, token=token)
            assert resp.status == status, (token, method, path, resp)
            if status == 401:
                assert resp.headers['www-authenticate'] == 'Swift realm="AUTH_test"'
    assert cluster.raw('GET', '/%s/o' % name).body == b'private'


class _Recorder(BaseHTTPRequestHandler):
    """Stands in for a storage server: records every request, answers 400 (a client
    error the proxy neither retries as a node failure nor error-limits)."""

    protocol_version = 'HTTP/1.1'
    records = None

    def _answer(self):
        self.records.append((self.command, self.path, dict(self.headers.items())))
        self.send_response(400)
        self.send_header('Content-Length', '0')
        self.send_header('Connection', 'close')
        self.end_headers()
        self.close_connection = True

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _answer

    def log_message(self, *args):
        pass


def test_internal_headers_from_clients_never_reach_storage_servers(probe_cluster):
    cluster = probe_cluster
    _fresh_proxy(cluster)
    name = _new_container(cluster)
    node = _container_primaries(cluster, 'AUTH_test', name)[0]
    secret = 'evil-' + uuid.uuid4().hex
    evil = {'X-Backend-Storage-Policy-Index': '1', 'X-Backend-Evil': secret,
            'X-Backend-Replication': secret,
            'X-Object-Sysmeta-Evil': secret, 'X-Object-Transient-Sysmeta-Evil': secret,
            'X-Container-Sysmeta-Evil': secret, 'X-Account-Sysmeta-Evil': secret}
    objects = [o for o in ('r%d' % i for i in range(40))
               if node in _primaries(cluster, 'AUTH_test', name, o)][:5]
    records = []
    handler = type('Recorder', (_Recorder,), {'records': records})
    kinds = ('object', 'container', 'account')
    for kind in kinds:
        _stop(cluster, kind, [node])
    servers = [ThreadingHTTPServer(('127.0.0.%d' % node, _port(cluster, kind, node)),
                                   handler) for kind in kinds]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        for obj in objects:
            path = '/%s/%s' % (name, obj)
            assert cluster.raw('PUT', path, body=b'data', headers=evil).status == 201
            assert cluster.raw('POST', path, headers=evil).status == 202
            cluster.raw('GET', path, headers=dict(evil, **{'X-Newest': 'true'}))
            cluster.raw('HEAD', path, headers=evil)
            assert cluster.raw('DELETE', path, headers=evil).status == 204
        cluster.raw('POST', '/' + name, headers=evil)
        cluster.raw('HEAD', '/' + name, headers=dict(evil, **{'X-Newest': 'true'}))
        cluster.raw('PUT', '/%s-2' % name, headers=evil)
        cluster.raw('POST', '', headers=evil)
        cluster.raw('GET', '', headers=dict(evil, **{'X-Newest': 'true'}))
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
        _start_all(cluster, *kinds)
    methods = {(method, path.split('/')[3] if path.count('/') >= 3 else '')
               for method, path, _h in records}
    assert len(records) >= 20, methods         # the stand-ins were really asked
    kinds_asked = {path.count('/') for _m, path, _h in records}
    assert kinds_asked >= {3, 4, 5}, methods   # account, container and object paths
    assert any(method == 'PUT' and path.count('/') == 5 for method, path, _h in records)
    for method, path, headers in records:
        for key, value in headers.items():
            assert secret not in value, (method, path, key)
            assert not key.lower().endswith('-sysmeta-evil'), (method, path, key)
            assert key.lower() != 'x-backend-evil'
        assert headers.get('X-Backend-Storage-Policy-Index', '0') == '0', (method, path)
        assert 'X-Auth-Token' not in headers


def test_no_token_in_full_in_any_log(probe_cluster):
    cluster = probe_cluster
    tokens = {cluster.token}
    for user, key in (('test:tester3', 'testing3'), ('test2:tester2', 'testing2'),
                      ('admin:admin', 'admin')):
        token, _url = cluster.authenticate(user=user, key=key)
        tokens.add(token)
        for header in ('X-Auth-Token', 'X-Storage-Token'):
            cluster.raw('GET', '', token=None, headers={header: token})
    cluster.raw('GET', '/nothing-here', headers={'X-Service-Token': cluster.token})
    time.sleep(0.5)
    logs = glob.glob(os.path.join(cluster.root, 'log', '*.log'))
    assert any('proxy-server' in path for path in logs)
    seen_prefix = False
    for path in logs:
        with open(path, 'rb') as fp:
            text = fp.read().decode('utf-8', 'replace')
        for token in tokens:
            for line in text.splitlines():
                if token in line:
                    raise AssertionError('token in %s: %s' % (path, line))
            if 'proxy-server' in path and token[:16] + '...' in text:
                seen_prefix = True
    assert seen_prefix   # the access log shows the first 16 characters only
