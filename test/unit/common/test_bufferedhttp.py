"""Tests for swift.common.bufferedhttp against a green loopback server."""

import pytest

from swift.common import bufferedhttp, concurrency


class LoopbackServer:
    """A one-request-per-connection green server that records the raw request and
    replies with canned bytes (possibly in two steps for 100-continue)."""

    def __init__(self, replies):
        self.sock = concurrency.listen(('127.0.0.1', 0))
        self.port = self.sock.getsockname()[1]
        self.replies = list(replies)
        self.requests = []
        self.thread = concurrency.spawn(self._serve)

    def _serve(self):
        while self.replies:
            conn, _ = self.sock.accept()
            reply = self.replies.pop(0)
            fp = conn.makefile('rb')
            head = b''
            while not head.endswith(b'\r\n\r\n'):
                line = fp.readline()
                if not line:
                    break
                head += line
            body = b''
            if b'100-continue' in head.lower() and 'continue' in reply:
                conn.sendall(reply['continue'])
            if b'content-length:' in head.lower():
                length = int(head.lower().split(b'content-length:')[1].split(b'\r\n')[0])
                body = fp.read(length)
            elif b'chunked' in head.lower() and 'continue' in reply:
                while True:
                    size = int(fp.readline().strip(), 16)
                    body += fp.read(size)
                    fp.readline()
                    if size == 0:
                        break
            self.requests.append((head, body))
            conn.sendall(reply['final'])
            conn.close()

    def close(self):
        self.thread.kill()
        self.sock.close()


@pytest.fixture
def server_factory():
    servers = []

    def make(*replies):
        server = LoopbackServer(replies)
        servers.append(server)
        return server
    yield make
    for server in servers:
        server.close()


OK_204 = b'HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-Foo: bar\r\n\r\n'


def test_http_connect_quotes_path_and_sends_headers(server_factory):
    server = server_factory({'final': OK_204})
    wsgi_path = '/AUTH_test/c/\u00e9 x?'.encode('utf-8').decode('latin-1')
    conn = bufferedhttp.http_connect(
        '127.0.0.1', server.port, 'sdb1', 17, 'HEAD', wsgi_path,
        headers={'X-Trans-Id': 'tx1', 'X-Size': 5}, query_string='a=b')
    resp = conn.getresponse()
    assert resp.status == 204
    assert resp.getheader('X-Foo') == 'bar'
    head = server.requests[0][0]
    assert head.startswith(b'HEAD /sdb1/17/AUTH_test/c/%C3%A9%20x%3F?a=b HTTP/1.1\r\n')
    assert b'X-Trans-Id: tx1\r\n' in head
    assert b'X-Size: 5\r\n' in head
    assert b'Accept-Encoding' not in head


def test_quote_backend_path_bytes_and_native_unicode():
    assert bufferedhttp.quote_backend_path(b'd1', b'3', b'/a/c') == '/d1/3/a/c'
    # a native str with a code point > 255 is UTF-8 encoded
    assert bufferedhttp.quote_backend_path('d1', 3, '/a/\u2603') == '/d1/3/a/%E2%98%83'


def test_getexpect_continue_then_body(server_factory):
    server = server_factory({
        'continue': b'HTTP/1.1 100 Continue\r\n\r\n',
        'final': b'HTTP/1.1 201 Created\r\nContent-Length: 2\r\nEtag: abc\r\n\r\nok'})
    conn = bufferedhttp.http_connect(
        '127.0.0.1', server.port, 'sdb1', '0', 'PUT', '/a/c/o',
        headers={'Expect': '100-continue', 'Transfer-Encoding': 'chunked'})
    expect = conn.getexpect()
    assert expect.status == 100
    conn.send_chunk(b'hello ')
    conn.send_chunk(b'')
    conn.send_chunk(b'world')
    conn.send_last_chunk()
    resp = conn.getresponse()
    assert resp.status == 201
    assert resp.getheader('Etag') == 'abc'
    assert resp.read() == b'ok'
    assert server.requests[0][1] == b'hello world'


def test_getexpect_early_final_status(server_factory):
    # BL-08: a zero-byte PUT with a bad etag gets 422 straight away instead of 100.
    server = server_factory({
        'final': b'HTTP/1.1 422 Unprocessable Entity\r\nContent-Length: 3\r\n\r\nbad'})
    conn = bufferedhttp.http_connect(
        '127.0.0.1', server.port, 'sdb1', '0', 'PUT', '/a/c/o',
        headers={'Expect': '100-continue', 'Content-Length': '0'})
    resp = conn.getexpect()
    assert resp.status == 422
    assert resp.read() == b'bad'
    resp.close()


def test_connection_refused_raises_oserror():
    sock = concurrency.listen(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(OSError):
        bufferedhttp.http_connect('127.0.0.1', port, 'd', 0, 'GET', '/a')


def test_http_connect_raw_ipv6_host_formatting():
    conn = bufferedhttp.BufferedHTTPConnection('[::1]:6200')
    assert conn.host == '::1' and conn.port == 6200


def test_dropped_interim_response_keeps_connection_open(server_factory):
    # The 100 Continue response object may be garbage-collected before the body is
    # sent; that must not close the socket under the connection.
    import gc
    server = server_factory({
        'continue': b'HTTP/1.1 100 Continue\r\n\r\n',
        'final': b'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n'})
    conn = bufferedhttp.http_connect(
        '127.0.0.1', server.port, 'sdb1', '0', 'PUT', '/a/c/o',
        headers={'Expect': '100-continue', 'Content-Length': '4'})
    assert conn.getexpect().status == 100
    gc.collect()
    conn.send(b'data')
    assert conn.getresponse().status == 201
    assert server.requests[0][1] == b'data'


def test_response_with_ninety_metadata_items_and_swift_headers(server_factory):
    """A backend answer with 90 X-Container-Meta-* plus Swift's own headers (over
    http.client's default limit of 100) is read, as with Swift's MAX_HEADER_COUNT."""
    headers = b''.join(b'X-Container-Meta-K%d: v\r\n' % i for i in range(90))
    headers += b''.join(b'X-Other-%d: v\r\n' % i for i in range(30))
    server = server_factory({'final': b'HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n'
                                      + headers + b'\r\n'})
    conn = bufferedhttp.http_connect('127.0.0.1', server.port, 'sda', 1, 'HEAD', '/a/c')
    resp = conn.getresponse()
    assert resp.status == 204
    assert len([k for k, _ in resp.getheaders() if k.startswith('X-Container-Meta-')]) == 90
    bufferedhttp.raise_max_header_count(10)   # never lowers the limit
    import http.client
    assert http.client._MAXHEADERS >= bufferedhttp.DEFAULT_MAX_HEADER_COUNT


def test_ip_literal_family():
    import socket
    assert bufferedhttp.ip_literal_family('127.0.0.2') == socket.AF_INET
    assert bufferedhttp.ip_literal_family('::1') == socket.AF_INET6
    assert bufferedhttp.ip_literal_family('localhost') is None
    assert bufferedhttp.ip_literal_family('') is None


def test_connect_by_name_still_resolves(server_factory):
    server = server_factory({'final': OK_204})
    conn = bufferedhttp.http_connect('localhost', server.port, 'sda', 1, 'HEAD', '/a')
    assert conn.getresponse().status == 204


class ChunkedSocket:
    """A socket whose data arrives in the given pieces (MSG_PEEK sees only what has
    arrived; a piece arrives when everything before it was received)."""

    def __init__(self, pieces):
        self.pieces = list(pieces)
        self.buffer = b''
        self.calls = 0

    def recv(self, size, flags=0):
        import socket
        self.calls += 1
        if not self.buffer and self.pieces:
            self.buffer = self.pieces.pop(0)
        data = self.buffer[:size]
        if not flags & socket.MSG_PEEK:
            self.buffer = self.buffer[len(data):]
        return data


@pytest.mark.parametrize('pieces', [
    [b'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n\r\n'],
    [b'HTTP/1.1 100 Cont', b'inue\r\n\r', b'\n', b'HTTP/1.1 201 Created\r\n\r\n'],
    [b'HTTP/1.1 100 Continue\r\n', b'\r\nHTTP/1.1 201'],
    [b'HTTP/1.1 100 Continue\r', b'\n\r\nHTTP'],
])
def test_read_response_head_takes_exactly_the_head(pieces):
    sock = ChunkedSocket(pieces)
    assert bufferedhttp.read_response_head(sock) == b'HTTP/1.1 100 Continue\r\n\r\n'
    rest = sock.buffer + b''.join(sock.pieces)
    assert rest.startswith(b'HTTP') or rest == b''
    assert sock.calls <= 2 * len(pieces) + 2     # not one call per byte


def test_read_response_head_errors():
    import http.client
    with pytest.raises(http.client.RemoteDisconnected):
        bufferedhttp.read_response_head(ChunkedSocket([b'HTTP/1.1 100 Co']))
    with pytest.raises(http.client.HTTPException):
        bufferedhttp.read_response_head(ChunkedSocket([b'x' * 100] * 20), max_bytes=500)


def test_getexpect_early_final_answer_with_body_split(server_factory):
    reply = b'HTTP/1.1 422 Unprocessable Entity\r\nContent-Length: 4\r\n\r\nbad!'
    server = server_factory({'final': reply})
    conn = bufferedhttp.http_connect('127.0.0.1', server.port, 'sda', 1, 'PUT', '/a/c/o',
                                     headers={'Expect': '100-continue',
                                              'Content-Length': '0'})
    resp = conn.getexpect()
    assert (resp.status, resp.read()) == (422, b'bad!')
    resp.close()
    conn.close()
