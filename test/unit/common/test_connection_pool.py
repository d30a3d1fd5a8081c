"""Tests for swift.common.connection_pool against a green keep-alive loopback server."""

import http.client

import pytest

from swift.common import concurrency
from swift.common.connection_pool import ConnectionPool


class KeepAliveServer:
    """A green HTTP/1.1 server answering each request with ``answer(conn_no, req_no,
    head, body)`` -> bytes to send, or None to close the connection without answering
    (after reading the request). Records ``(conn_no, head, body)`` per request."""

    def __init__(self, answer):
        self.sock = concurrency.listen(('127.0.0.1', 0))
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.accepted = 0
        self.requests = []
        self.open = []
        self.thread = concurrency.spawn(self._accept)

    def _accept(self):
        while True:
            conn, _ = self.sock.accept()
            self.accepted += 1
            self.open.append(conn)
            concurrency.spawn(self._serve, conn, self.accepted)

    def _serve(self, conn, conn_no):
        fp = conn.makefile('rb')
        req_no = 0
        try:
            while True:
                head = b''
                while not head.endswith(b'\r\n\r\n'):
                    line = fp.readline()
                    if not line:
                        return
                    head += line
                req_no += 1
                lower = head.lower()
                body = b''
                reply = self.answer(conn_no, req_no, head, b'')
                if reply is None:
                    return
                if b'expect: 100-continue' in lower:
                    conn.sendall(b'HTTP/1.1 100 Continue\r\n\r\n')
                if b'content-length:' in lower:
                    length = int(lower.split(b'content-length:')[1].split(b'\r\n')[0])
                    body = fp.read(length)
                self.requests.append((conn_no, head, body))
                conn.sendall(reply)
        finally:
            fp.close()
            conn.close()

    def close_idle(self):
        """Close every connection from the server side (as on its idle time-out)."""
        for conn in self.open:
            try:
                conn.shutdown(2)
            except OSError:
                pass

    def close(self):
        self.thread.kill()
        self.sock.close()


OK = b'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'
CREATED = b'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n'


@pytest.fixture
def server_factory():
    servers = []

    def make(answer=lambda *args: OK):
        server = KeepAliveServer(answer)
        servers.append(server)
        return server
    yield make
    for server in servers:
        server.close()


def get(pool, server, path='/o', headers=None):
    conn = pool.http_connect('127.0.0.1', server.port, 'sda', 1, 'GET', path,
                             headers=headers or {'Connection': 'close'})
    resp = conn.getresponse()
    return conn, resp


def test_a_second_request_reuses_the_answered_connection(server_factory):
    server = server_factory()
    pool = ConnectionPool()
    for _ in range(3):
        _conn, resp = get(pool, server)
        assert (resp.status, resp.read()) == (200, b'hello')
    assert server.accepted == 1
    assert pool.created == 1
    # the proxy's "Connection: close" is not sent: HTTP/1.1 keeps the connection
    assert all(b'connection:' not in head.lower() for _n, head, _b in server.requests)


def test_a_body_not_read_to_the_end_closes_the_connection(server_factory):
    server = server_factory()
    pool = ConnectionPool()
    _conn, resp = get(pool, server)
    assert resp.read(2) == b'he'
    resp.close()
    _conn, resp = get(pool, server)
    assert resp.read() == b'hello'
    assert server.accepted == 2


def test_an_answer_asking_to_close_is_not_kept(server_factory):
    server = server_factory(lambda *args: (
        b'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello'))
    pool = ConnectionPool()
    for _ in range(2):
        _conn, resp = get(pool, server)
        assert resp.read() == b'hello'
    assert server.accepted == 2


def test_a_connection_the_server_closed_while_idle_is_not_used(server_factory):
    server = server_factory()
    pool = ConnectionPool()
    _conn, resp = get(pool, server)
    resp.read()
    server.close_idle()
    concurrency.sleep(0)   # let the FIN arrive (loopback: at once)
    _conn, resp = get(pool, server)
    assert (resp.status, resp.read()) == (200, b'hello')
    assert server.accepted == 2
    assert [n for n, _h, _b in server.requests] == [1, 2]


def test_a_request_the_server_dropped_on_a_kept_connection_is_sent_again(
        server_factory):
    # The race the idle check cannot see: the server closes the kept connection just
    # as the next request arrives on it.
    server = server_factory(lambda conn_no, req_no, head, body: (
        None if (conn_no, req_no) == (1, 2) else OK))
    pool = ConnectionPool()
    _conn, resp = get(pool, server)
    resp.read()
    _conn, resp = get(pool, server, '/second')
    assert (resp.status, resp.read()) == (200, b'hello')
    assert [(n, h.split(b' ')[1]) for n, h, _b in server.requests] == [
        (1, b'/sda/1/o'), (2, b'/sda/1/second')]


def test_a_put_waiting_for_100_continue_is_sent_again_without_sending_its_body_twice(
        server_factory):
    server = server_factory(lambda conn_no, req_no, head, body: (
        None if (conn_no, req_no) == (1, 2) else CREATED))
    pool = ConnectionPool()
    _conn, resp = get(pool, server)
    resp.read()
    conn = pool.http_connect('127.0.0.1', server.port, 'sda', 1, 'PUT', '/o',
                             headers={'Expect': '100-continue', 'Content-Length': '4'})
    assert conn.getexpect().status == 100
    conn.send(b'data')
    resp = conn.getresponse()
    assert resp.status == 201
    resp.read()
    assert [(n, b) for n, _h, b in server.requests] == [(1, b''), (2, b'data')]


def test_a_reused_connection_lost_after_the_body_went_out_is_an_error(server_factory):
    # Without 100-continue the body goes out before any answer: never sent twice.
    server = server_factory(lambda conn_no, req_no, head, body: (
        None if (conn_no, req_no) == (1, 2) else CREATED))
    pool = ConnectionPool()
    _conn, resp = get(pool, server)
    resp.read()
    conn = pool.http_connect('127.0.0.1', server.port, 'sda', 1, 'PUT', '/o',
                             headers={'Content-Length': '4'})
    conn.send(b'data')
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        conn.getresponse()
    assert server.accepted == 1


class FakeConnection:
    """Just what the pool's bookkeeping touches of a PooledHTTPConnection."""
    idle = False
    closed = False
    sock = None

    def __init__(self, key):
        self.key = key

    def _close_socket(self):
        self.closed = True


def test_connections_idle_too_long_are_closed():
    now = [1000.0]
    pool = ConnectionPool(idle_timeout_s=10.0, monotonic=lambda: now[0])

    conn = FakeConnection(('127.0.0.1', 1))
    pool.put(conn)
    assert conn.idle
    now[0] += 10.0
    assert pool._take(conn.key) is None
    assert conn.closed and not conn.idle


def test_at_most_idle_max_per_host_are_kept(server_factory):
    server = server_factory()
    pool = ConnectionPool(idle_max_per_host=1)
    opened = [get(pool, server) for _ in range(3)]   # three at once
    for _conn, resp in opened:
        resp.read()
    assert len(pool._idle[('127.0.0.1', server.port)]) == 1


def test_a_late_close_by_an_earlier_owner_leaves_the_kept_connection_alone(
        server_factory):
    server = server_factory()
    pool = ConnectionPool()
    conn, resp = get(pool, server)
    resp.read()            # back in the pool
    conn.close()           # e.g. an error path of the earlier request
    _conn2, resp = get(pool, server)
    assert resp.read() == b'hello'
    assert server.accepted == 1


def test_close_closes_every_idle_connection(server_factory):
    server = server_factory()
    pool = ConnectionPool()
    conn, resp = get(pool, server)
    resp.read()
    pool.close()
    assert conn.sock is None
    _conn, resp = get(pool, server)
    assert resp.read() == b'hello'
    assert server.accepted == 2


def test_connections_of_servers_no_longer_used_are_pruned():
    now = [1000.0]
    pool = ConnectionPool(idle_timeout_s=10.0, monotonic=lambda: now[0])

    quiet = FakeConnection(('10.0.0.1', 1))
    busy = FakeConnection(('10.0.0.2', 1))
    pool.put(quiet)
    now[0] += 10.0
    pool.put(busy)        # a put for another server prunes the quiet one's list
    assert quiet.closed and not quiet.idle
    assert not busy.closed
    assert list(pool._idle) == [busy.key]
