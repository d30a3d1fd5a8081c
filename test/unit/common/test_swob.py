import pytest

from swift.common import swob
from swift.common.swob import Request, Response


def _app(body=b'0123456789', **resp_kwargs):
    def app(env, start_response):
        req = Request(env)
        resp = Response(body=body, request=req, conditional_response=True,
                        headers={'Etag': 'abc', 'Last-Modified': 'Sun, 29 Nov 2026 22:08:37 GMT'},
                        **resp_kwargs)
        return resp(env, start_response)
    return app


@pytest.mark.parametrize('header', ['bytes=--5', 'bytes=5-3', 'bytes=-', 'bytes=45',
                                    'bytes=nonumber-5', 'pages=1-2', 'bytes=0-5,,7-9',
                                    'bytes=0-2,'])
def test_malformed_range_is_ignored(header):
    resp = Request.blank('/', headers={'Range': header}).get_response(_app())
    assert resp.status_int == 200
    assert resp.body == b'0123456789'
    assert 'Content-Range' not in resp.headers


@pytest.mark.parametrize('header,status,body,crange', [
    ('bytes=2-4', 206, b'234', 'bytes 2-4/10'),
    ('bytes=-3', 206, b'789', 'bytes 7-9/10'),
    ('bytes=7-', 206, b'789', 'bytes 7-9/10'),
    ('bytes=5-100', 206, b'56789', 'bytes 5-9/10'),
    ('bytes=-100', 206, b'0123456789', 'bytes 0-9/10'),
    ('bytes=10-', 416, None, 'bytes */10'),
    ('bytes=-0', 416, None, 'bytes */10'),
])
def test_single_ranges(header, status, body, crange):
    resp = Request.blank('/', headers={'Range': header}).get_response(_app())
    assert resp.status_int == status
    assert resp.headers['Content-Range'] == crange
    if body is not None:
        assert resp.body == body
        assert resp.headers['Content-Length'] == str(len(body))


def test_multi_range_is_multipart():
    resp = Request.blank('/', headers={'Range': 'bytes=0-1,5-6'}).get_response(_app())
    assert resp.status_int == 206
    ctype = resp.headers['Content-Type']
    assert ctype.startswith('multipart/byteranges;boundary=')
    boundary = ctype.split('=', 1)[1]
    body = resp.body
    assert body.count(b'--' + boundary.encode()) == 3
    assert b'Content-Range: bytes 0-1/10\r\n\r\n01' in body
    assert b'Content-Range: bytes 5-6/10\r\n\r\n56' in body
    assert int(resp.headers['Content-Length']) == len(body)


@pytest.mark.parametrize('headers,status', [
    ({'If-Match': '"abc"'}, 200),
    ({'If-Match': '*'}, 200),
    ({'If-Match': '"nope"'}, 412),
    ({'If-None-Match': '"abc"'}, 304),
    ({'If-None-Match': '*'}, 304),
    ({'If-None-Match': '"nope"'}, 200),
    ({'If-Modified-Since': 'Sun, 29 Nov 2026 22:08:37 GMT'}, 304),
    ({'If-Modified-Since': 'Sun, 29 Nov 2026 22:08:36 GMT'}, 200),
    ({'If-Unmodified-Since': 'Sun, 29 Nov 2026 22:08:37 GMT'}, 200),
    ({'If-Unmodified-Since': 'Sun, 29 Nov 2026 22:08:36 GMT'}, 412),
    ({'If-Modified-Since': 'garbage'}, 200),
    # If-None-Match wins over If-Modified-Since
    ({'If-None-Match': '"nope"', 'If-Modified-Since': 'Sun, 29 Nov 2026 22:08:37 GMT'}, 200),
])
def test_conditionals(headers, status):
    resp = Request.blank('/', headers=headers).get_response(_app())
    assert resp.status_int == status
    if status == 304:
        assert resp.body == b''
    if status == 200:
        assert resp.body == b'0123456789'


def test_default_error_bodies_match_swift():
    resp = Request.blank('/').get_response(swob.HTTPNotFound())
    assert resp.body == b'<html><h1>Not Found</h1><p>The resource could not be found.</p></html>'
    assert resp.headers['Content-Type'] == 'text/html; charset=UTF-8'
    assert resp.headers['Content-Length'] == '70'
    resp = Request.blank('/').get_response(swob.HTTPUnauthorized())
    assert resp.headers['Content-Length'] == '131'


def test_head_has_no_body_but_length():
    resp = Request.blank('/', method='HEAD').get_response(_app())
    assert resp.status_int == 200
    assert resp.body == b''
    assert resp.headers['Content-Length'] == '10'


@pytest.mark.parametrize('accept', ['application/json;q=nope', 'text/plain;q=0.5;q=1',
                                    'garbage', 'text/plain;q=2'])
def test_malformed_accept_raises(accept):
    with pytest.raises(ValueError):
        swob.Accept(accept).best_match(['text/plain', 'application/json'])


@pytest.mark.parametrize('accept,expected', [
    ('application/json', 'application/json'),
    ('*/*', 'text/plain'),
    ('text/*;q=0.5, application/xml', 'application/xml'),
    ('image/png', None),
    ('application/json;q=0', None),
])
def test_accept_best_match(accept, expected):
    assert swob.Accept(accept).best_match(
        ['text/plain', 'application/json', 'application/xml']) == expected


def test_blank_and_paths():
    req = Request.blank('/v1/a/c/o%20x?format=json&marker=', method='PUT',
                        body=b'abc', headers={'X-Object-Meta-Color': 'blue'})
    assert req.path_info == '/v1/a/c/o x'
    assert req.path == '/v1/a/c/o%20x'
    assert req.params == {'format': 'json', 'marker': ''}
    assert req.split_path(4, 4, True) == ['v1', 'a', 'c', 'o x']
    assert req.headers['x-object-meta-color'] == 'blue'
    assert req.body == b'abc'
    assert req.message_length() == 3


def test_unicode_path_is_wsgi_string():
    req = Request.blank('/v1/a/c/caf%C3%A9')
    assert req.path_info == 'caf\u00e9'.encode('utf-8').decode('latin-1').join(['/v1/a/c/', ''])
    assert swob.wsgi_to_str(req.path_info) == '/v1/a/c/caf\u00e9'


@pytest.mark.parametrize('path,args,expected', [
    ('/a', (1, 1), ['a']),
    ('/a/c', (1, 2), ['a', 'c']),
    ('/a', (1, 2), ['a', None]),
    ('/a/c/o/x/y', (3, 3, True), ['a', 'c', 'o/x/y']),
])
def test_split_path(path, args, expected):
    assert swob.split_path(path, *args) == expected


@pytest.mark.parametrize('path,args', [('/a/c', (1, 1)), ('//c', (2, 2)), ('a', (1, 1)),
                                       ('/a/c/d', (1, 2))])
def test_split_path_errors(path, args):
    with pytest.raises(ValueError):
        swob.split_path(path, *args)


def test_message_length_rules():
    req = Request.blank('/', headers={'Transfer-Encoding': 'gzip'})
    with pytest.raises(swob.HTTPNotImplemented):
        req.message_length()
    req = Request.blank('/', headers={'Transfer-Encoding': 'chunked'})
    assert req.message_length() is None
    req = Request.blank('/', environ={'CONTENT_LENGTH': 'abc'})
    with pytest.raises(swob.HTTPBadRequest):
        req.message_length()


def test_bad_timestamp_is_400():
    req = Request.blank('/', headers={'X-Timestamp': 'bad'})
    with pytest.raises(swob.HTTPBadRequest):
        req.timestamp


def test_wsgify_returns_raised_exceptions():
    @swob.wsgify
    def app(req):
        raise swob.HTTPConflict(body=b'nope')
    resp = Request.blank('/').get_response(app)
    assert resp.status_int == 409
    assert resp.body == b'nope'


def test_304_closes_the_body_source():
    closed = []

    class Source:
        def __iter__(self):
            return iter([b'data'])

        def close(self):
            closed.append(True)

    def app(env, start_response):
        resp = Response(app_iter=Source(), request=Request(env), conditional_response=True,
                        headers={'Etag': 'abc', 'Content-Length': '4'})
        return resp(env, start_response)

    resp = Request.blank('/', headers={'If-None-Match': '"abc"'}).get_response(app)
    assert resp.status_int == 304
    assert closed == [True]
