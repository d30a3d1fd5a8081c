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


@pytest.mark.parametrize('line, status, detail', [
    (b'GET / HTTP/x.y', b'400 Bad Request', b"Bad request version ('HTTP/x.y')"),
    (b'GET /p HTTP/1.1 extra', b'400 Bad Request', b"Bad request version ('extra')"),
    (b'GET /p HTTP/2.0', b'505 HTTP Version Not Supported',
     b'Invalid HTTP version (2.0)'),
])
def test_bad_request_line_gets_a_status_line_and_a_text_reason(server, line, status,
                                                                detail):
    _, reply = exchange(server, line + b'\r\n\r\n')
    head, _, body = reply.partition(b'\r\n\r\n')
    assert head.startswith(b'HTTP/1.1 ' + status + b'\r\n')
    assert b'Content-Type: text/plain' in head
    assert body == detail + b'\n'


def test_empty_lines_before_the_request_line_are_ignored(server):
    _, reply = exchange(server, b'\r\n\r\nGET /a HTTP/1.1\r\nHost: h\r\n'
                                b'Connection: close\r\n\r\n')
    assert reply.startswith(b'HTTP/1.1 200 OK\r\n')


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


@pytest.mark.parametrize('head, status, message', [
    (b'PUT /a HTTP/1.1\r\nHost: h\r\nContent-Length: +2\r\n\r\nhi',
     b'400 Bad Request', b'Invalid Content-Length'),
    (b'GET /a HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n',
     b'400 Bad Request', b'More than one Host header'),
    (b'GET /a HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n',
     b'417 Expectation Failed', b'Unsupported Expect: 200-ok'),
])
def test_other_refused_heads(server, head, status, message):
    with concurrency.Timeout(5):
        _, reply = exchange(server, head)
    assert reply.startswith(b'HTTP/1.1 ' + status + b'\r\n')
    assert reply.endswith(b'\r\n\r\n' + message + b'\n')


def refusing_app(status):
    def app(env, start_response):      # answers without reading the body
        start_response(status, [('Content-Length', '0')])
        return [b'']
    return app


@pytest.mark.parametrize('status', ['408 Request Timeout', '413 Request Entity Too Large'])
def test_connection_closes_after_an_answer_that_leaves_the_body_unread(status):
    sock = concurrency.listen(('127.0.0.1', 0))
    thread = concurrency.spawn(concurrency.wsgi.server, sock, refusing_app(status),
                               protocol=http_protocol(), log_output=False, debug=False)
    try:
        conn = concurrency.green_socket.create_connection(sock.getsockname())
        # 10 of the 100 promised bytes, and the client keeps the connection open
        conn.sendall(b'PUT /a HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n'
                     + b'x' * 10)
        data = b''
        with concurrency.Timeout(5):    # not the client_timeout eventlet would wait
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
        assert data.startswith(b'HTTP/1.1 ' + status[:3].encode())
        assert b'Connection: close\r\n' in data
        conn.close()
    finally:
        thread.kill()
        sock.close()


def test_repeated_equal_content_length_is_accepted(server):
    _, reply = exchange(server, b'PUT /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n'
                                b'Content-Length: 2\r\nConnection: close\r\n\r\nhi')
    assert reply.startswith(b'HTTP/1.1 200 OK\r\n') and reply.endswith(b'\nhi')


def serve_app(app):
    sock = concurrency.listen(('127.0.0.1', 0))
    thread = concurrency.spawn(concurrency.wsgi.server, sock, app,
                               protocol=http_protocol(), log_output=False, debug=False)
    return sock, thread


def test_a_header_value_carrying_cr_lf_is_dropped_not_sent():
    def app(env, start_response):
        start_response('200 OK', [('Content-Length', '2'),
                                  ('Content-Type', 'text/html\r\nSet-Cookie: evil=1'),
                                  ('X-Fine', 'yes')])
        return [b'ok']
    sock, thread = serve_app(app)
    try:
        _, reply = exchange(sock.getsockname()[1],
                            b'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n')
    finally:
        thread.kill()
        sock.close()
    head = reply.split(b'\r\n\r\n', 1)[0]
    assert b'Set-Cookie' not in head and b'text/html' not in head
    assert b'X-Fine: yes' in head and reply.endswith(b'\r\n\r\nok')


def test_an_answer_given_before_the_whole_body_arrived_closes_the_connection():
    sock, thread = serve_app(refusing_app('401 Unauthorized'))
    try:
        conn = concurrency.green_socket.create_connection(sock.getsockname())
        conn.sendall(b'PUT /a HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n' + b'x')
        data = b''
        with concurrency.Timeout(5):
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
        assert data.startswith(b'HTTP/1.1 401') and b'Connection: close\r\n' in data
        conn.close()
    finally:
        thread.kill()
        sock.close()
