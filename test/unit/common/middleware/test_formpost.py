import base64
import hashlib
import hmac
import io

import pytest

from swift.common.config import ConfigError
from swift.common.middleware import formpost
from swift.common.middleware.formpost import (FormInvalid, FormPost, MimeInvalid,
                                              iter_mime_documents,
                                              parse_content_disposition,
                                              parse_part_headers)
from swift.common.swob import HTTPForbidden, Request
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_clock import FakeClock
from test.helpers.fake_swift import FakeSwift

NOW = 1700000000
EXPIRES = NOW + 600
BOUNDARY = '----WebKitFormBoundaryNcxTqxSlX7t4TDkR'
PATH = '/v1/a/c'


def make(conf=None, account_meta=None, container_meta=None):
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    app.register('HEAD', '/v1/a', 204, account_meta if account_meta is not None
                 else {'X-Account-Meta-Temp-URL-Key': 'akey'})
    app.register('HEAD', '/v1/a/c', 204, container_meta or {})
    mw = FormPost(app, dict(conf or {}), logger=DebugLogger(), clock=FakeClock(NOW))
    return mw, app


def signature(path=PATH, redirect='', max_file_size=1024, max_file_count=10,
              expires=EXPIRES, key='akey', digest='sha256'):
    message = '%s\n%s\n%s\n%s\n%s' % (path, redirect, max_file_size, max_file_count,
                                      expires)
    return hmac.new(key.encode(), message.encode(), digest).hexdigest()


def form_fields(path=PATH, redirect='', max_file_size=1024, max_file_count=10,
                expires=EXPIRES, **sign_kw):
    fields = [('redirect', redirect), ('max_file_size', str(max_file_size)),
              ('max_file_count', str(max_file_count)), ('expires', str(expires)),
              ('signature', signature(path, redirect, max_file_size, max_file_count,
                                      expires, **sign_kw))]
    return fields


def multipart(fields=(), files=(), boundary=BOUNDARY, close=True):
    """A body as a browser sends it: fields then files (name, filename, data, ctype)."""
    out = []
    for name, value in fields:
        out.append(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                    % (boundary, name, value)).encode())
    for name, filename, data, ctype in files:
        out.append(('--%s\r\nContent-Disposition: form-data; name="%s"; '
                    'filename="%s"\r\nContent-Type: %s\r\n\r\n'
                    % (boundary, name, filename, ctype)).encode() + data + b'\r\n')
    if close:
        out.append(('--%s--\r\n' % boundary).encode())
    return b''.join(out)


def post(mw, body, path=PATH, boundary=BOUNDARY, environ=None, headers=None):
    all_headers = {'Content-Type': 'multipart/form-data; boundary=%s' % boundary}
    all_headers.update(headers or {})
    req = Request.blank(path, method='POST', body=body, headers=all_headers,
                        environ=environ or {})
    return req.get_response(mw)


FILE = ('file1', 'hello.txt', b'hello world', 'text/plain')


# ---------------------------------------------------------------- uploads

def test_upload_without_redirect():
    mw, app = make()
    resp = post(mw, multipart(form_fields(), [FILE, ('file2', 'b.bin', b'\x00\xff',
                                                      'application/x-b')]))
    assert resp.status == '201 Created'
    assert resp.body == b'201 Created'
    assert resp.headers['Content-Type'] == 'text/plain'
    headers, body = app.objects['/v1/a/c/hello.txt']
    assert body == b'hello world'
    assert headers['Content-Type'] == 'text/plain'
    assert app.objects['/v1/a/c/b.bin'][1] == b'\x00\xff'
    put = app.calls_of('PUT')[0]
    assert put.env['swift.source'] == 'FP'
    assert put.env['REMOTE_USER'] == '.wsgi.pre_authed'
    assert put.headers['Transfer-Encoding'] == 'chunked'
    assert put.headers['User-Agent'].endswith('FormPost')


def test_upload_with_redirect_is_303():
    mw, app = make()
    redirect = 'https://example.com/done'
    resp = post(mw, multipart(form_fields(redirect=redirect), [FILE]))
    assert resp.status_int == 303
    location = 'https://example.com/done?status=201&message='
    assert resp.headers['Location'] == location
    assert resp.body == ('<html><body><p><a href="%s">Click to continue...</a></p>'
                         '</body></html>' % location.replace('&', '&amp;')).encode()
    assert '/v1/a/c/hello.txt' in app.objects


def test_redirect_with_query_gets_ampersand_and_escaped_body():
    mw, _app = make()
    redirect = 'https://example.com/done?x=1'
    resp = post(mw, multipart(form_fields(redirect=redirect), [FILE]))
    assert resp.headers['Location'] == 'https://example.com/done?x=1&status=201&message='
    assert b'done?x=1&amp;status=201&amp;message=' in resp.body


def test_prefix_path_and_container_keys():
    mw, app = make(account_meta={},
                   container_meta={'X-Container-Meta-Temp-URL-Key-2': 'ckey'})
    path = '/v1/a/c/uploads_'
    resp = post(mw, multipart(form_fields(path=path, key='ckey'), [FILE]), path=path)
    assert resp.status_int == 201
    assert '/v1/a/c/uploads_hello.txt' in app.objects


def test_container_path_with_slash():
    mw, app = make()
    resp = post(mw, multipart(form_fields(path='/v1/a/c/'), [FILE]), path='/v1/a/c/')
    assert resp.status_int == 201
    assert '/v1/a/c/hello.txt' in app.objects


@pytest.mark.parametrize('digest', ['sha1', 'sha256', 'sha512'])
def test_each_digest_hex_and_base64(digest):
    mw, app = make()
    fields = form_fields(digest=digest)
    assert post(mw, multipart(fields, [FILE])).status_int == 201
    raw = bytes.fromhex(fields[-1][1])
    fields[-1] = ('signature', '%s:%s' % (digest, base64.urlsafe_b64encode(raw)
                                          .decode().rstrip('=')))
    assert post(mw, multipart(fields, [FILE])).status_int == 201


def test_disallowed_digest_is_refused():
    mw, app = make({'allowed_digests': 'sha512'})
    resp = post(mw, multipart(form_fields(digest='sha256'), [FILE]))
    assert (resp.status_int, resp.body) == (401, b'FormPost: Invalid Signature')
    assert app.objects == {}


def test_content_type_and_encoding_fields_override_part_headers():
    mw, app = make()
    fields = form_fields() + [('content-type', 'image/png'),
                              ('content-encoding', 'gzip')]
    assert post(mw, multipart(fields, [FILE])).status_int == 201
    put = app.calls_of('PUT')[0]
    assert put.headers['Content-Type'] == 'image/png'
    assert put.headers['Content-Encoding'] == 'gzip'


def test_x_delete_at_and_after():
    mw, app = make()
    fields = form_fields() + [('x_delete_at', str(NOW + 99)), ('x_delete_after', '60')]
    assert post(mw, multipart(fields, [FILE])).status_int == 201
    put = app.calls_of('PUT')[0]
    assert put.headers['X-Delete-At'] == str(NOW + 99)
    assert put.headers['X-Delete-After'] == '60'


def test_subrequest_is_pre_authorized():
    mw, app = make()
    deny = {'swift.authorize': lambda req: HTTPForbidden(request=req)}
    resp = post(mw, multipart(form_fields(), [FILE]), environ=deny)
    assert resp.status_int == 201


def test_failed_put_answer_is_returned():
    mw, app = make()
    app.register('PUT', '/v1/a/c/hello.txt', 404, body=b'<html>Not Found</html>')
    resp = post(mw, multipart(form_fields(), [FILE, ('f2', 'two.txt', b'2', 'a/b')]))
    assert resp.status == '404 Not Found'
    assert resp.body == b'<html>Not Found</html>'
    assert '/v1/a/c/two.txt' not in app.objects   # stopped at the first failure


def test_cors_headers_of_the_put_are_passed_on():
    mw, app = make()
    app.register('PUT', '/v1/a/c/hello.txt', 201,
                 {'Access-Control-Allow-Origin': 'https://x', 'X-Other': '1'})
    resp = post(mw, multipart(form_fields(), [FILE]))
    assert resp.headers['Access-Control-Allow-Origin'] == 'https://x'
    assert 'X-Other' not in resp.headers


# ---------------------------------------------------------------- refusals

@pytest.mark.parametrize('fields, status, body', [
    (form_fields(expires=NOW - 1), 401, b'FormPost: Form Expired'),
    (form_fields(key='wrong'), 401, b'FormPost: Invalid Signature'),
    (form_fields()[:-1] + [('signature', 'nothex')], 401, b'FormPost: Invalid Signature'),
    (form_fields()[:-1], 401, b'FormPost: Invalid Signature'),
    (form_fields()[:2] + [('max_file_count', '10'), ('expires', str(EXPIRES + 1)),
                          form_fields()[-1]], 401, b'FormPost: Invalid Signature'),
    ([('max_file_size', 'big')] + form_fields()[2:], 400,
     b'FormPost: max_file_size not an integer'),
    ([('max_file_count', 'many')], 400, b'FormPost: max_file_count not an integer'),
    (form_fields()[:3] + [('expires', 'soon')] + form_fields()[4:], 400,
     b'FormPost: expired not an integer'),
    (form_fields() + [('x_delete_at', 'x')], 400,
     b'FormPost: x_delete_at not an integer: Unix timestamp required.'),
    (form_fields() + [('x_delete_after', 'x')], 400,
     b'FormPost: x_delete_after not an integer: Number of seconds required.'),
])
def test_refused_forms(fields, status, body):
    mw, app = make()
    resp = post(mw, multipart(fields, [FILE]))
    assert (resp.status_int, resp.body) == (status, body)
    assert app.objects == {}
    if status == 401:
        assert resp.headers['Www-Authenticate'] == 'Swift realm="a"'


def test_no_keys_is_invalid_signature():
    mw, app = make(account_meta={})
    resp = post(mw, multipart(form_fields(), [FILE]))
    assert (resp.status_int, resp.body) == (401, b'FormPost: Invalid Signature')


def test_signature_for_another_path_is_refused():
    mw, app = make()
    resp = post(mw, multipart(form_fields(path='/v1/a/other'), [FILE]))
    assert resp.status_int == 401


def test_max_file_count_exceeded():
    mw, app = make()
    files = [FILE, ('file2', 'second.txt', b'2', 'text/plain')]
    resp = post(mw, multipart(form_fields(max_file_count=1), files))
    assert resp.status_int == 400
    assert resp.body == b'400 Bad Request\r\nFormPost: Max File Count Exceeded'
    assert '/v1/a/c/hello.txt' in app.objects
    assert '/v1/a/c/second.txt' not in app.objects
    resp = post(mw, multipart(form_fields(max_file_count=1, redirect='http://r/'),
                              files))
    assert resp.headers['Location'] == (
        'http://r/?status=400&message=max%20file%20count%20exceeded')


def test_max_file_size_exceeded_stores_nothing():
    mw, app = make()
    big = ('file1', 'big.bin', b'x' * 1025, 'application/octet-stream')
    resp = post(mw, multipart(form_fields(max_file_size=1024), [big]))
    assert (resp.status_int, resp.body) == (400, b'FormPost: max_file_size exceeded')
    assert app.objects == {}


def test_exact_max_file_size_is_fine():
    mw, app = make()
    exact = ('file1', 'e.bin', b'x' * 1024, 'application/octet-stream')
    assert post(mw, multipart(form_fields(max_file_size=1024), [exact])).status_int == 201


def test_no_files():
    mw, _app = make()
    resp = post(mw, multipart(form_fields()))
    assert resp.status_int == 400
    assert resp.body == b'400 Bad Request\r\nFormPost: No Files To Process'


def test_empty_file_input_is_not_a_file():
    mw, app = make()
    resp = post(mw, multipart(form_fields(), [('file1', '', b'', 'application/x')]))
    assert resp.status_int == 400
    assert app.calls_of('PUT') == []


def test_invalid_starting_boundary():
    mw, _app = make()
    resp = post(mw, b'garbage' + multipart(form_fields(), [FILE]))
    assert (resp.status_int, resp.body) == (400, b'FormPost: invalid starting boundary')


def test_truncated_body_stores_nothing():
    mw, app = make()
    body = multipart(form_fields(), [FILE], close=False)
    body = body[:-len(b'world\r\n')]
    resp = post(mw, body)
    assert (resp.status_int, resp.body) == (400, b'FormPost: premature end of form body')
    assert app.objects == {}


class ReadErrorTo499(FakeSwift):
    """Like the proxy: a body read error (OSError/ValueError) becomes a 499 and
    nothing is stored."""

    def __call__(self, env, start_response):
        if env['REQUEST_METHOD'] == 'PUT':
            try:
                while env['wsgi.input'].read(10):
                    pass
            except (OSError, ValueError):
                start_response('499 Client Disconnect', [('Content-Length', '0')])
                return [b'']
            env['wsgi.input'] = io.BytesIO(b'consumed')
        return super().__call__(env, start_response)


@pytest.mark.parametrize('truncate, message', [
    (True, b'FormPost: premature end of form body'),
    (False, b'FormPost: max_file_size exceeded'),
])
def test_read_errors_seen_by_a_proxy_like_app(truncate, message):
    app = ReadErrorTo499()
    app.info_registry = InfoRegistry()
    app.register('HEAD', '/v1/a', 204, {'X-Account-Meta-Temp-URL-Key': 'akey'})
    app.register('HEAD', '/v1/a/c', 204, {})
    mw = FormPost(app, {}, clock=FakeClock(NOW))
    big = ('file1', 'big.bin', b'x' * 5000, 'application/octet-stream')
    body = multipart(form_fields(max_file_size=1024 if not truncate else 9999), [big],
                     close=not truncate)
    if truncate:
        body = body[:-10]
    resp = post(mw, body)
    assert (resp.status_int, resp.body) == (400, message)
    assert app.objects == {}


def test_other_requests_pass_through():
    mw, app = make()
    post(mw, b'x=1', headers={'Content-Type': 'application/x-www-form-urlencoded'})
    Request.blank('/v1/a/c/o', method='PUT', body=b'').get_response(mw)
    post(mw, multipart(form_fields(), [FILE]), path='/v1/a')   # not a container path
    assert [c.method for c in app.calls] == ['POST', 'PUT', 'POST']


# ---------------------------------------------------------------- multipart parsing

class TrickleReader(io.BytesIO):
    """Returns at most ``step`` bytes per read, like a slow socket."""

    def __init__(self, data, step):
        super().__init__(data)
        self.step = step

    def read(self, size=-1):
        return super().read(min(self.step, size if size >= 0 else self.step))


@pytest.mark.parametrize('step', [1, 7, 4096, 100000])
def test_parts_with_boundary_like_data(step):
    tricky = (b'--' + BOUNDARY.encode())[:-1] + b'\r\n--' + b'y' * 5000 + b'\r\n-'
    body = multipart([('a', 'one')], [('f', 'x', tricky, 'a/b'), ('g', 'y', b'', 'a/b')])
    parts = []
    for document in iter_mime_documents(TrickleReader(body, step), BOUNDARY.encode()):
        headers = parse_part_headers(document)
        data = b''
        chunk = document.read(333)
        while chunk:
            data += chunk
            chunk = document.read(333)
        parts.append((headers['content-disposition'], data))
    assert [p[1] for p in parts] == [b'one', tricky, b'']
    assert parts[1][0] == 'form-data; name="f"; filename="x"'


def test_unread_parts_are_skipped():
    body = multipart([('a', 'one'), ('b', 'two')])
    names = [parse_part_headers(d)['content-disposition']
             for d in iter_mime_documents(io.BytesIO(body), BOUNDARY.encode())]
    assert names == ['form-data; name="a"', 'form-data; name="b"']


def test_preamble_blank_lines_and_bad_start():
    body = b'\r\n\r\n' + multipart([('a', 'one')])
    assert len(list(iter_mime_documents(io.BytesIO(body), BOUNDARY.encode()))) == 1
    with pytest.raises(MimeInvalid):
        list(iter_mime_documents(io.BytesIO(b'--other\r\n'), BOUNDARY.encode()))


def test_part_without_closing_delimiter_raises():
    body = multipart([('a', 'one')], close=False)
    with pytest.raises(FormInvalid):
        for document in iter_mime_documents(io.BytesIO(body), BOUNDARY.encode()):
            document.read(10)


def test_parse_content_disposition():
    assert parse_content_disposition('form-data; name="a b"; filename=c.txt') == (
        'form-data', {'name': 'a b', 'filename': 'c.txt'})
    assert parse_content_disposition('form-data') == ('form-data', {})


# ---------------------------------------------------------------- config and /info

def test_swift_info():
    _mw, app = make()
    assert app.info_registry.sections['formpost'] == {
        'allowed_digests': ['sha1', 'sha256', 'sha512'], 'deprecated_digests': ['sha1']}


def test_filter_factory_rejects_no_valid_digest():
    with pytest.raises(ConfigError):
        formpost.filter_factory({}, allowed_digests='md5')
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    formpost.filter_factory({}, allowed_digests='sha256')(app)
    assert app.info_registry.sections['formpost'] == {'allowed_digests': ['sha256']}


def test_hmac_message_is_swifts():
    message = b'/v1/a/c\nhttp://r\n10\n2\n99'
    expected = hmac.new(b'k', message, hashlib.sha1).hexdigest()
    assert signature('/v1/a/c', 'http://r', 10, 2, 99, 'k', 'sha1') == expected
