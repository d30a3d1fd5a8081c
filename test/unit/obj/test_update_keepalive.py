"""Container updates over kept-alive connections: reused while the container server
keeps them open, replaced transparently when it has closed them."""

import pytest

from swift.common import concurrency
from swift.common.bufferedhttp import http_connect
from swift.obj.updates import UpdateSender


class ContainerStub:
    """A green WSGI server answering 201 and recording (client port, path)."""

    def __init__(self, close_after=False):
        self.seen = []
        self.close_after = close_after
        self.sock = concurrency.listen(('127.0.0.1', 0))
        self.host = '127.0.0.1:%d' % self.sock.getsockname()[1]
        self.thread = concurrency.spawn(concurrency.wsgi.server, self.sock, self.app,
                                        log_output=False, debug=False)

    def app(self, env, start_response):
        self.seen.append((env['REMOTE_PORT'], env['PATH_INFO'], env['HTTP_X_TIMESTAMP']))
        headers = [('Content-Length', '0')]
        if self.close_after:
            headers.append(('Connection', 'close'))
        start_response('201 Created', headers)
        return [b'']

    def stop(self):
        concurrency.sleep(0.01)   # let the server finish connections the client closed
        self.thread.kill()
        self.sock.close()


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def stub():
    server = ContainerStub()
    yield server
    server.stop()


def send(sender, stub, name, ts='1.00000'):
    return sender.send('PUT', '/a/c/%s' % name, stub.host, '7', 'sdb',
                       {'X-Timestamp': ts, 'X-Size': '1'})


def test_updates_share_one_connection(stub):
    sender = UpdateSender(http_connect=http_connect, keep_alive=True)
    assert send(sender, stub, 'o1').status == 201
    assert send(sender, stub, 'o2').status == 201
    assert [path for _, path, _ in stub.seen] == ['/sdb/7/a/c/o1', '/sdb/7/a/c/o2']
    assert stub.seen[0][0] == stub.seen[1][0]   # same client port: one connection
    sender.close()


def test_without_keep_alive_each_update_connects(stub):
    sender = UpdateSender(http_connect=http_connect)
    send(sender, stub, 'o1')
    send(sender, stub, 'o2')
    assert stub.seen[0][0] != stub.seen[1][0]


class ClosingServer:
    """Answers each connection's first request with a keep-alive 201, then closes
    the connection (as a container server whose client_timeout passed)."""

    def __init__(self):
        self.requests = []
        self.sock = concurrency.listen(('127.0.0.1', 0))
        self.host = '127.0.0.1:%d' % self.sock.getsockname()[1]
        self.thread = concurrency.spawn(self._serve)

    def _serve(self):
        while True:
            conn, _ = self.sock.accept()
            head = b''
            while not head.endswith(b'\r\n\r\n'):
                head += conn.recv(1)
            self.requests.append(head.split(b' ')[1])
            try:
                conn.sendall(b'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n')
                concurrency.sleep(0.01)
            finally:
                conn.close()

    def stop(self):
        self.thread.kill()
        self.sock.close()


def test_connection_closed_by_server_is_replaced():
    server = ClosingServer()
    try:
        sender = UpdateSender(http_connect=http_connect, keep_alive=True)
        assert send(sender, server, 'o1').status == 201
        concurrency.sleep(0.05)      # the server has closed the kept connection
        assert send(sender, server, 'o2').status == 201
        assert server.requests == [b'/sdb/7/a/c/o1', b'/sdb/7/a/c/o2']
        sender.close()
    finally:
        server.stop()


def test_idle_connection_expires(stub):
    clock = Clock()
    sender = UpdateSender(http_connect=http_connect, keep_alive=True, monotonic=clock)
    send(sender, stub, 'o1')
    clock.now += UpdateSender.KEEP_ALIVE_IDLE_S + 1
    send(sender, stub, 'o2')
    assert stub.seen[0][0] != stub.seen[1][0]
    sender.close()


def test_server_saying_close_is_not_kept():
    server = ContainerStub(close_after=True)
    try:
        sender = UpdateSender(http_connect=http_connect, keep_alive=True)
        assert send(sender, server, 'o1').status == 201
        assert not any(sender.pool._idle.values())
        assert send(sender, server, 'o2').status == 201
        sender.close()
    finally:
        server.stop()


def test_close_drops_kept_connections(stub):
    sender = UpdateSender(http_connect=http_connect, keep_alive=True)
    send(sender, stub, 'o1')
    sender.close()
    send(sender, stub, 'o2')
    assert stub.seen[0][0] != stub.seen[1][0]
    sender.close()


def test_unreachable_server_is_a_failed_result():
    sock = concurrency.listen(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    sender = UpdateSender(http_connect=http_connect, keep_alive=True)
    result = sender.send('PUT', '/a/c/o', '127.0.0.1:%d' % port, '7', 'sdb',
                         {'X-Timestamp': '1.00000'})
    assert result.status is None and not result.ok
