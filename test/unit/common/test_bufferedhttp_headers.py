"""Backend response heads read without the email feed parser: the headers and the
body framing must be exactly what http.client would give."""

import http.client
import io

import pytest

from swift.common import bufferedhttp

HEADS = [
    b'Content-Type: text/plain; charset=UTF-8\r\nContent-Length: 0\r\nEtag: "abc"\r\n'
    b'X-Object-Meta-Color:  red  \r\nX-Empty:\r\nDup: 1\r\nDup: 2\r\n\r\n',
    b'A: b\nC: d\n\nbody after the head',
    b'A: b\r\n folded\r\nC: d\r\n\r\n',      # folded line: stdlib path
    b'no colon line\r\nA: b\r\n\r\n',        # not a header: stdlib path
    b': empty name\r\n\r\n',
    b'A : space before colon\r\n\r\n',
    b'\xe9: non-ascii name\r\n\r\n',
    b'A: \xe9\xff latin-1 value\r\n\r\n',
    b'\r\n',
]


@pytest.mark.parametrize('head', HEADS)
def test_headers_equal_http_client(head):
    ours = bufferedhttp.parse_headers(io.BytesIO(head))
    theirs = http.client.parse_headers(io.BytesIO(head))
    assert isinstance(ours, http.client.HTTPMessage)
    assert ours.items() == theirs.items()
    assert len(ours.defects) == len(theirs.defects)
    assert ours.get_all('dup') == theirs.get_all('dup')


def test_header_block_stops_at_blank_line():
    fp = io.BytesIO(b'A: b\r\n\r\nrest')
    assert bufferedhttp.parse_headers(fp)['a'] == 'b'
    assert fp.read() == b'rest'


def test_too_many_headers_refused():
    head = b''.join(b'H%d: v\r\n' % i for i in range(http.client._MAXHEADERS + 1))
    with pytest.raises(http.client.HTTPException):
        bufferedhttp.parse_headers(io.BytesIO(head + b'\r\n'))


def test_overlong_line_refused():
    with pytest.raises(http.client.LineTooLong):
        bufferedhttp.parse_headers(io.BytesIO(b'A: ' + b'x' * 70000 + b'\r\n\r\n'))


class FakeSocket:
    def __init__(self, data):
        self.data = data

    def makefile(self, mode, *args):
        return io.BytesIO(self.data)


def _begin(data, method='GET'):
    ours = bufferedhttp.BufferedHTTPResponse(FakeSocket(data), method=method)
    ours.begin()
    theirs = http.client.HTTPResponse(FakeSocket(data), method=method)
    theirs.begin()
    for attr in ('status', 'reason', 'version', 'chunked', 'length', 'will_close'):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert ours.getheaders() == theirs.getheaders()
    body = ours.read()
    assert body == theirs.read()
    return body


@pytest.mark.parametrize('data, method, body', [
    (b'HTTP/1.1 201 Created\r\nContent-Length: 5\r\nEtag: x\r\n\r\nhello', 'PUT', b'hello'),
    (b'HTTP/1.1 100 Continue\r\nX: y\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
     'PUT', b'ok'),
    (b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 'GET',
     b'abc'),
    (b'HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n', 'HEAD', b''),
    (b'HTTP/1.1 204 No Content\r\n\r\n', 'DELETE', b''),
    (b'HTTP/1.0 200 OK\r\n\r\nuntil close', 'GET', b'until close'),
    (b'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: bad\r\n\r\nxy', 'GET', b'xy'),
    (b'HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\nxy', 'GET', b'xy'),
])
def test_begin_frames_the_body_as_http_client(data, method, body):
    assert _begin(data, method) == body


def test_begin_unknown_protocol():
    response = bufferedhttp.BufferedHTTPResponse(FakeSocket(b'HTTP/2.0 200 OK\r\n\r\n'))
    with pytest.raises(http.client.HTTPException):
        response.begin()
