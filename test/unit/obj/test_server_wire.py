"""The object server over a real loopback socket (eventlet wsgi, as it is served):
100-continue, a zero-byte PUT with a wrong ETag answered before 100 Continue (BL-08),
a client that disconnects mid-body (499) or stalls (408, client_timeout), and nothing
of those half-sent bodies left on disk.

The server runs in this process; the test waits on an Event set when the app has
answered (no polling). The 408 case waits for a real client_timeout of 50 ms: that is
the behaviour under test, and the fastest a socket can show it.
"""

import io
import os

import pytest

from swift.common import concurrency
from swift.common.hashing import md5_hex
from test.unit.obj.common import make_app
from test.unit.obj.server_helpers import T1, get, head

PATH = '/sda/0/a/c/o'


class Served:
    """An object server app on 127.0.0.1:<free port>, recording each answer."""

    def __init__(self, app):
        self.app = app
        self.statuses = []
        self.answered = concurrency.Event()
        self.listener = concurrency.listen(('127.0.0.1', 0))
        self.port = self.listener.getsockname()[1]
        self.thread = concurrency.spawn(concurrency.wsgi.server, self.listener,
                                        self._recording_app, log=io.StringIO(),
                                        debug=False)

    def _recording_app(self, environ, start_response):
        def recording_start_response(status, headers, exc_info=None):
            self.statuses.append(int(status.split()[0]))
            return start_response(status, headers, exc_info)
        try:
            return list(self.app(environ, recording_start_response))
        finally:
            self.answered.send(True)

    def connect(self):
        sock = concurrency.green_socket.create_connection(('127.0.0.1', self.port))
        return sock, sock.makefile('rb')

    def stop(self):
        self.thread.kill()
        self.listener.close()


@pytest.fixture
def served(tmp_path):
    server = Served(make_app(tmp_path, client_timeout_s=0.05))
    yield server
    server.stop()


def request_head(length, extra=''):
    return ('PUT %s HTTP/1.1\r\nHost: localhost\r\nX-Timestamp: %s\r\n'
            'Content-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n'
            % (PATH, T1, length, extra)).encode('ascii')


def read_response(fp):
    """(status, headers dict lower-cased) of the next response on ``fp``."""
    status = int(fp.readline().split()[1])
    headers = {}
    for line in iter(fp.readline, b'\r\n'):
        name, _, value = line.decode('latin-1').partition(':')
        headers[name.strip().lower()] = value.strip()
    return status, headers


def nothing_stored(app):
    df = app.diskfile_manager.get_diskfile('sda', '0', 'a', 'c', 'o')
    leftovers = os.listdir(df.tmpdir) if os.path.isdir(df.tmpdir) else []
    return head(app).status_int == 404 and not os.path.isdir(df.datadir) and \
        leftovers == []


def test_100_continue_then_body_then_201(served):
    sock, fp = served.connect()
    try:
        sock.sendall(request_head(5, 'Expect: 100-continue\r\n'))
        assert read_response(fp)[0] == 100
        sock.sendall(b'hello')
        status, headers = read_response(fp)
    finally:
        fp.close()
        sock.close()
    assert status == 201
    assert headers['etag'] == md5_hex(b'hello')
    assert get(served.app).body == b'hello'


def test_zero_byte_put_with_wrong_etag_is_422_without_100_continue(served):
    # field case BL-08: the object server answers at once, it never asks for a body
    sock, fp = served.connect()
    try:
        sock.sendall(request_head(0, 'Expect: 100-continue\r\nEtag: catbus\r\n'))
        status, _ = read_response(fp)
    finally:
        fp.close()
        sock.close()
    assert status == 422
    assert nothing_stored(served.app)


def test_client_disconnect_mid_body_is_499_and_leaves_nothing(served):
    sock, fp = served.connect()
    sock.sendall(request_head(100) + b'only ten b')
    fp.close()
    sock.close()  # the client goes away with 90 bytes unsent
    served.answered.wait()
    assert served.statuses == [499]
    assert nothing_stored(served.app)


def test_client_too_slow_with_body_is_408_and_leaves_nothing(served):
    sock, fp = served.connect()
    try:
        sock.sendall(request_head(100) + b'only ten b')  # then nothing for 50 ms
        status, _ = read_response(fp)
    finally:
        fp.close()
        sock.close()
    assert status == 408
    assert served.statuses == [408]
    assert nothing_stored(served.app)


def test_chunked_put_cut_mid_chunk_is_499(served):
    sock, fp = served.connect()
    head_bytes = request_head(0).replace(b'Content-Length: 0',
                                         b'Transfer-Encoding: chunked')
    sock.sendall(head_bytes + b'a\r\n01234')  # a 10-byte chunk, 5 bytes sent
    fp.close()
    sock.close()
    served.answered.wait()
    assert served.statuses == [499]
    assert nothing_stored(served.app)
