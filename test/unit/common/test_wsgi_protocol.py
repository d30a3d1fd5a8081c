"""The servers' HTTP protocol reads request headers with the fast parser: what an
application sees, 100-continue, Connection and the 431 answers stay as before."""


import pytest

from swift.common import concurrency
from swift.common.wsgi import http_protocol


def echo_app(env, start_response):
    body = env['wsgi.input'].read()
    seen = sorted('%s=%s' % (k, v) for k, v in env.items() if k.startswith('HTTP_')
                  or k in ('CONTENT_TYPE', 'CONTENT_LENGTH'))
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [('\n'.join(seen) + '\n').encode('latin-1') + body]


@pytest.fixture
def server():
    sock = concurrency.listen(('127.0.0.1', 0))
    thread = concurrency.spawn(concurrency.wsgi.server, sock, echo_app,
                               protocol=http_protocol(), log_output=False, debug=False)
    yield sock.getsockname()[1]
    thread.kill()
    sock.close()


def exchange(port, data, early=None):
    conn = concurrency.green_socket.create_connection(('127.0.0.1', port))
    try:
        if early is not None:
            conn.sendall(data[:early])
            interim = conn.recv(1024)
            conn.sendall(data[early:])
        else:
            interim = None
            conn.sendall(data)
        chunks = []
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
        return interim, b''.join(chunks)
    finally:
        conn.close()


def test_headers_reach_the_app(server):
    _, reply = exchange(server, b'PUT /a HTTP/1.1\r\nHost: h\r\nX-Object-Meta-Color:  red \r\n'
                                b'Content-Type: text/x\r\nContent-Length: 2\r\n'
                                b'Connection: close\r\n\r\nhi')
    assert reply.startswith(b'HTTP/1.1 200 OK\r\n')
    body = reply.split(b'\r\n\r\n', 1)[1]
    assert b'HTTP_X_OBJECT_META_COLOR=red\n' in body
    assert b'CONTENT_TYPE=text/x\n' in body
    assert body.endswith(b'\nhi')


def test_expect_100_continue(server):
    head = (b'PUT /a HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n'
            b'Connection: close\r\n\r\n')
    interim, reply = exchange(server, head + b'abc', early=len(head))
    assert interim.startswith(b'HTTP/1.1 100 Continue')
    assert reply.endswith(b'abc')


def test_keep_alive_then_close(server):
    _, reply = exchange(server, b'GET /1 HTTP/1.1\r\nHost: h\r\n\r\n'
                                b'GET /2 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n')
    assert reply.count(b'HTTP/1.1 200 OK') == 2


def test_too_many_headers_is_431(server):
    import http.client
    head = b''.join(b'H%d: v\r\n' % i for i in range(http.client._MAXHEADERS + 1))
    _, reply = exchange(server, b'GET / HTTP/1.1\r\n' + head + b'\r\n')
    assert reply.startswith(b'HTTP/1.1 431')


def test_bad_request_line_is_400(server):
    # the standard library's answer (no status line: the version was unreadable)
    _, reply = exchange(server, b'GET / HTTP/x.y\r\n\r\n')
    assert b'Error code: 400' in reply and b'Bad request version' in reply


@pytest.mark.parametrize('head, message', [
    (b'PUT /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nhi',
     b'Conflicting Content-Length headers'),
    (b'GET /a HTTP/1.1\r\nHost: h\r\nBadHeaderLine\r\n\r\n',
     b'Malformed header line: BadHeaderLine'),
    (b'GET /a HTTP/1.1\r\nHost: h\r\nX-Foo : bar\r\n\r\n',
     b'Malformed header line: X-Foo : bar'),
    # an obsolete folded line: a value continued on the next line (header injection)
    (b'GET /a HTTP/1.1\r\nHost: h\r\nX-Foo: bar\r\n X-Injected: yes\r\n\r\n',
     b'Malformed header line:  X-Injected: yes'),
])
def test_malformed_header_block_is_400_and_closes(server, head, message):
    # no "Connection: close" sent: the server must close by itself, at once
    with concurrency.Timeout(5):
        _, reply = exchange(server, head)
    status_line, _, rest = reply.partition(b'\r\n')
    assert status_line == b'HTTP/1.1 400 Bad Request'
    assert b'Connection: close\r\n' in rest
    assert rest.split(b'\r\n\r\n', 1)[1] == message + b'\n'


def test_repeated_equal_content_length_is_accepted(server):
    _, reply = exchange(server, b'PUT /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n'
                                b'Content-Length: 2\r\nConnection: close\r\n\r\nhi')
    assert reply.startswith(b'HTTP/1.1 200 OK\r\n') and reply.endswith(b'\nhi')
