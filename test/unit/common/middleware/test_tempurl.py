import base64
import hashlib
import hmac

import pytest

from swift.common.config import ConfigError
from swift.common.middleware import tempurl
from swift.common.middleware.tempurl import (TempURL, TempURLConfig,
                                             extract_digest_and_algorithm, get_hmac)
from swift.common.swob import Request
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_clock import FakeClock
from test.helpers.fake_swift import FakeSwift

NOW = 1700000000
EXPIRES = NOW + 3600
PATH = '/v1/a/c/o'
BODY = b'object body'


def make(conf=None, account_meta=None, container_meta=None):
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    app.register('HEAD', '/v1/a', 204, account_meta if account_meta is not None
                 else {'X-Account-Meta-Temp-URL-Key': 'akey'})
    app.register('HEAD', '/v1/a/c', 204, container_meta or {})
    app.register('HEAD', '/v1/a/c2', 204, {})
    app.put_object(PATH, BODY, {'Content-Type': 'text/plain',
                                'X-Object-Meta-Secret': 'hidden',
                                'X-Object-Meta-Public-Color': 'blue'})
    logger = DebugLogger()
    mw = TempURL(app, dict(conf or {}), logger=logger, clock=FakeClock(NOW))
    return mw, app


def sign(method='GET', path=PATH, expires=EXPIRES, key='akey', digest='sha256',
         ip_range=None):
    return get_hmac(method, path, expires, key, digest, ip_range)


def query(sig, expires=EXPIRES, **extra):
    parts = ['temp_url_sig=%s' % sig, 'temp_url_expires=%s' % expires]
    parts += ['%s=%s' % item for item in extra.items()]
    return '&'.join(parts)


def call(mw, path=PATH, qs='', method='GET', headers=None, environ=None, body=None):
    req = Request.blank(path + ('?' + qs if qs else ''), method=method,
                        headers=headers or {}, environ=environ or {}, body=body)
    return req.get_response(mw)


# ---------------------------------------------------------------- signatures

@pytest.mark.parametrize('digest', ['sha1', 'sha256', 'sha512'])
def test_get_with_hex_signature_of_each_digest(digest):
    mw, app = make()
    resp = call(mw, qs=query(sign(digest=digest)))
    assert resp.status_int == 200
    assert resp.body == BODY
    assert app.calls_of('GET')[0].env['REMOTE_USER'] == '.wsgi.tempurl'


@pytest.mark.parametrize('digest', ['sha1', 'sha256', 'sha512'])
@pytest.mark.parametrize('encode', [base64.b64encode, base64.urlsafe_b64encode])
@pytest.mark.parametrize('strip_padding', [True, False])
def test_get_with_prefixed_base64_signature(digest, encode, strip_padding):
    mw, _app = make()
    raw = hmac.new(b'akey', ('GET\n%d\n%s' % (EXPIRES, PATH)).encode(),
                   digest).digest()
    sig = encode(raw).decode()
    if strip_padding:
        sig = sig.rstrip('=')
    sig = sig.replace('+', '%2B').replace('/', '%2F')
    resp = call(mw, qs=query('%s:%s' % (digest, sig)))
    assert resp.status_int == 200, resp.body


def test_python_swiftclient_sha512_url_is_accepted():
    from swiftclient.utils import generate_temp_url
    mw, _app = make()
    url = generate_temp_url(PATH, EXPIRES, 'akey', 'GET', absolute=True,
                            digest='sha512')
    assert 'temp_url_sig=sha512:' in url
    path, qs = url.split('?', 1)
    assert call(mw, path, qs).status_int == 200


def test_iso8601_expiry_signs_the_epoch():
    mw, _app = make()
    past = NOW - 1
    resp = call(mw, qs=query(sign(expires=past), expires='2023-11-14T22:13:19Z'))
    assert resp.status_int == 401
    resp = call(mw, qs=query(sign(), expires='2023-11-14T23:13:20Z'))
    assert resp.status_int == 200
    expires = NOW + 86400
    resp = call(mw, qs=query(sign(expires=expires), expires='2023-11-15T22:13:20Z'))
    assert resp.status_int == 200
    assert resp.headers['Expires'] == 'Wed, 15 Nov 2023 22:13:20 GMT'


def test_extract_digest_and_algorithm():
    assert extract_digest_and_algorithm('a' * 40) == ('sha1', 'a' * 40)
    assert extract_digest_and_algorithm('b' * 128) == ('sha512', 'b' * 128)
    assert extract_digest_and_algorithm('sha256:AAAA') == ('sha256', '000000')
    for bad in ('a' * 39, 'z' * 40, 'sha1:@@@@', ''):
        with pytest.raises(ValueError):
            extract_digest_and_algorithm(bad)


# ---------------------------------------------------------------- refusals

def assert_invalid(resp, head=False):
    assert resp.status_int == 401
    assert resp.headers['Www-Authenticate'] == 'Swift realm="a"'
    assert resp.body == (b'' if head else b'401 Unauthorized: Temp URL invalid\n')


@pytest.mark.parametrize('qs', [
    query(sign(expires=NOW - 1), expires=NOW - 1),              # expired
    query(sign(), expires='tomorrow'),                           # not a time
    query(sign(), expires=EXPIRES + 1),                          # tampered expiry
    query(sign(key='wrong')),                                    # wrong key
    query(sign(method='PUT')),                                   # other method
    query(sign(path='/v1/a/c/other')),                           # other object
    query('', expires=EXPIRES),                                  # empty signature
    'temp_url_sig=%s' % sign(),                                  # no expiry
    'temp_url_expires=%d' % EXPIRES,                             # no signature
    query(sign()[:-1]),                                          # odd length hex
    query('md5:' + base64.b64encode(b'x' * 16).decode()),        # unknown digest
    query('sha256:!!!!'),                                        # not base64
    query('ab' * 16),                                            # md5-sized hex
])
def test_bad_signatures_are_401_with_swift_body(qs):
    mw, app = make()
    assert_invalid(call(mw, qs=qs))
    assert app.calls_of('GET') == []


def test_refusal_does_not_tell_whether_the_object_exists():
    mw, _app = make()
    bad = query(sign(key='wrong', path='/v1/a/c/missing'))
    missing = call(mw, '/v1/a/c/missing', bad)
    existing = call(mw, qs=query(sign(key='wrong')))
    assert (missing.status_int, missing.body) == (existing.status_int, existing.body)
    assert_invalid(missing)


def test_head_refusal_has_no_body():
    mw, _app = make()
    assert_invalid(call(mw, method='HEAD', qs=query(sign(method='DELETE'))), head=True)


def test_no_keys_anywhere_is_401():
    mw, _app = make(account_meta={})
    assert_invalid(call(mw, qs=query(sign())))


def test_container_and_account_paths_are_not_signable():
    mw, _app = make()
    for path in ('/v1/a/c', '/v1/a/c/', '/v2/a/c/o'):
        assert call(mw, path, query(sign(path=path))).status_int == 401


def test_disallowed_digest_is_401():
    mw, _app = make({'allowed_digests': 'sha256 sha512'})
    assert_invalid(call(mw, qs=query(sign(digest='sha1'))))
    assert call(mw, qs=query(sign(digest='sha512'))).status_int == 200


def test_method_not_in_methods_option_is_401():
    mw, app = make({'methods': 'GET HEAD'})
    assert_invalid(call(mw, method='DELETE', qs=query(sign(method='DELETE'))))
    assert PATH in app.objects


def test_request_without_tempurl_params_passes_untouched():
    mw, app = make()
    resp = call(mw, qs='format=json')
    assert resp.status_int == 200
    call_env = app.calls_of('GET')[0].env
    assert 'swift.authorize_override' not in call_env
    assert call_env['QUERY_STRING'] == 'format=json'
    assert 'Content-Disposition' not in resp.headers


def test_options_passes_through():
    mw, app = make()
    call(mw, method='OPTIONS', qs=query('junk'))
    assert app.calls[-1].method == 'OPTIONS'


# ---------------------------------------------------------------- methods

def test_head_allowed_by_get_put_post_signatures():
    mw, _app = make()
    for method in ('HEAD', 'GET', 'PUT', 'POST'):
        resp = call(mw, method='HEAD', qs=query(sign(method=method)))
        assert resp.status_int == 200, method


def test_head_and_get_have_identical_headers_bl17():
    mw, _app = make()
    qs = query(sign(method='GET'))
    get = call(mw, qs=qs)
    head = call(mw, method='HEAD', qs=query(sign(method='HEAD')))
    head_by_get_sig = call(mw, method='HEAD', qs=qs)
    expected = 'attachment; filename="o"; filename*=UTF-8\'\'o'
    for resp in (get, head, head_by_get_sig):
        assert resp.headers['Content-Disposition'] == expected
        assert resp.headers['Expires'] == 'Tue, 14 Nov 2023 23:13:20 GMT'
    assert dict(get.headers) == dict(head.headers) == dict(head_by_get_sig.headers)


def test_put_with_put_signature_stores_object():
    mw, app = make()
    resp = call(mw, method='PUT', qs=query(sign(method='PUT', path='/v1/a/c/new')),
                path='/v1/a/c/new', body=b'uploaded')
    assert resp.status_int == 201
    assert app.objects['/v1/a/c/new'][1] == b'uploaded'
    assert 'Content-Disposition' not in resp.headers
    # a GET signature does not allow a PUT
    resp = call(mw, method='PUT', qs=query(sign(path='/v1/a/c/n2')), path='/v1/a/c/n2',
                body=b'x')
    assert resp.status_int == 401
    assert '/v1/a/c/n2' not in app.objects


def test_delete_with_delete_signature():
    mw, app = make()
    resp = call(mw, method='DELETE', qs=query(sign(method='DELETE')))
    assert resp.status_int == 204
    assert PATH not in app.objects


# ---------------------------------------------------------------- keys and scope

def test_account_key_2_and_container_keys():
    mw, _app = make(account_meta={'X-Account-Meta-Temp-URL-Key-2': 'akey2'},
                    container_meta={'X-Container-Meta-Temp-URL-Key': 'ckey',
                                    'X-Container-Meta-Temp-URL-Key-2': 'ckey2'})
    for key in ('akey2', 'ckey', 'ckey2'):
        assert call(mw, qs=query(sign(key=key))).status_int == 200, key
    assert call(mw, qs=query(sign(key='akey'))).status_int == 401


def _authorize_of(mw, app, key):
    call(mw, qs=query(sign(key=key)))
    return app.calls_of('GET')[-1].env['swift.authorize']


def test_container_key_authorizes_only_its_container():
    mw, app = make(container_meta={'X-Container-Meta-Temp-URL-Key': 'ckey'})
    authorize = _authorize_of(mw, app, 'ckey')
    assert authorize(Request.blank('/v1/a/c/segment')) is None
    assert authorize(Request.blank('/v1/a/c2/segment')).status_int == 401
    assert authorize(Request.blank('/v1/b/c/segment')).status_int == 401


def test_account_key_authorizes_its_account():
    mw, app = make()
    authorize = _authorize_of(mw, app, 'akey')
    assert authorize(Request.blank('/v1/a/c2/segment')) is None
    assert authorize(Request.blank('/v1/b/c/segment')).status_int == 401
    env = app.calls_of('GET')[-1].env
    assert env['swift.authorize_override'] is True
    assert 'swift_owner' not in env


def test_prefix_signature():
    mw, app = make()
    app.put_object('/v1/a/c/pre/x', b'px')
    sig = sign(path='prefix:/v1/a/c/pre/')
    resp = call(mw, '/v1/a/c/pre/x', query(sig, temp_url_prefix='pre/'))
    assert resp.status_int == 200
    assert resp.body == b'px'
    assert call(mw, PATH, query(sig, temp_url_prefix='pre/')).status_int == 401
    # an empty prefix signs the whole container
    sig = sign(path='prefix:/v1/a/c/')
    assert call(mw, PATH, query(sig, temp_url_prefix='')).status_int == 200


def test_ip_range_signature():
    mw, _app = make()
    sig = sign(ip_range='127.0.0.0/24')
    assert call(mw, qs=query(sig, temp_url_ip_range='127.0.0.0/24')).status_int == 200
    outside = {'REMOTE_ADDR': '10.0.0.1'}
    resp = call(mw, qs=query(sig, temp_url_ip_range='127.0.0.0/24'), environ=outside)
    assert resp.status_int == 401
    # the range is part of the message: a signature without it does not fit
    assert call(mw, qs=query(sign(), temp_url_ip_range='127.0.0.0/24')).status_int == 401
    bad = sign(ip_range='127.0.0.1/24')
    assert call(mw, qs=query(bad, temp_url_ip_range='127.0.0.1/24')).status_int == 401


# ---------------------------------------------------------------- headers

def test_disallowed_incoming_headers_are_400():
    mw, app = make()
    for header in ('X-Object-Manifest', 'X-Symlink-Target'):
        resp = call(mw, method='PUT', qs=query(sign(method='PUT')),
                    headers={header: 'c/x'}, body=b'')
        assert resp.status_int == 400
        assert resp.body == ("The header '%s' is not allowed in this tempurl"
                             % header).encode()
    assert app.calls_of('PUT') == []


def test_incoming_headers_removed_and_allowed():
    mw, app = make({'incoming_remove_headers': 'x-timestamp x-remove-me-*',
                    'incoming_allow_headers': 'x-remove-me-keep'})
    call(mw, method='PUT', qs=query(sign(method='PUT')), body=b'x',
         headers={'X-Timestamp': '123', 'X-Remove-Me-A': '1', 'X-Remove-Me-Keep': '2'})
    put = app.calls_of('PUT')[0]
    assert 'X-Timestamp' not in put.headers
    assert 'X-Remove-Me-A' not in put.headers
    assert put.headers['X-Remove-Me-Keep'] == '2'


def test_default_incoming_removes_x_open_expired():
    mw, app = make()
    call(mw, qs=query(sign()), headers={'X-Open-Expired': 'true'})
    assert 'X-Open-Expired' not in app.calls_of('GET')[0].headers


def test_outgoing_metadata_filtered():
    mw, _app = make()
    resp = call(mw, qs=query(sign()))
    assert 'X-Object-Meta-Secret' not in resp.headers
    assert resp.headers['X-Object-Meta-Public-Color'] == 'blue'


def test_query_string_keeps_only_tempurl_params():
    mw, app = make()
    sig = sign()
    call(mw, qs=query(sig, **{'multipart-manifest': 'get', 'filename': 'f.txt'}))
    env = app.calls_of('GET')[0].env
    assert env['QUERY_STRING'] == ('temp_url_sig=%s&temp_url_expires=%d&filename=f.txt'
                                   % (sig, EXPIRES))


# ---------------------------------------------------------------- disposition

@pytest.mark.parametrize('extra, expected', [
    ({'filename': 'bob%20%22killer%22.txt'},
     'attachment; filename="bob %22killer%22.txt"; '
     'filename*=UTF-8\'\'bob%20%22killer%22.txt'),
    ({'filename': '%E2%98%83.txt'},
     'attachment; filename="%E2%98%83.txt"; filename*=UTF-8\'\'%E2%98%83.txt'),
    ({'inline': ''}, 'inline'),
    ({'inline': '', 'filename': 'x.pdf'},
     'inline; filename="x.pdf"; filename*=UTF-8\'\'x.pdf'),
])
def test_content_disposition_params_on_get_and_head(extra, expected):
    mw, _app = make()
    for method in ('GET', 'HEAD'):
        resp = call(mw, method=method, qs=query(sign(method=method), **extra))
        assert resp.headers['Content-Disposition'] == expected, method


def test_objects_own_disposition_kept_unless_overridden():
    mw, app = make()
    app.put_object('/v1/a/c/d', b'd', {'Content-Disposition': 'inline; name=x'})
    resp = call(mw, '/v1/a/c/d', query(sign(path='/v1/a/c/d')))
    assert resp.headers['Content-Disposition'] == 'inline; name=x'


def test_unicode_object_name_disposition():
    mw, app = make()
    wsgi_path = '/v1/a/c/\u00e9t\u00e9.txt'.encode('utf-8').decode('latin-1')
    app.put_object(wsgi_path, b'u')
    path = '/v1/a/c/%C3%A9t%C3%A9.txt'
    resp = call(mw, path, query(sign(path='/v1/a/c/\u00e9t\u00e9.txt')))
    assert resp.status_int == 200
    assert resp.headers['Content-Disposition'] == (
        'attachment; filename="%C3%A9t%C3%A9.txt"; '
        'filename*=UTF-8\'\'%C3%A9t%C3%A9.txt')


def test_error_answers_get_no_disposition():
    mw, _app = make()
    resp = call(mw, '/v1/a/c/missing', query(sign(path='/v1/a/c/missing')))
    assert resp.status_int == 404
    assert 'Content-Disposition' not in resp.headers
    assert 'Expires' not in resp.headers


# ---------------------------------------------------------------- config and /info

def test_swift_info_matches_swift_238():
    _mw, app = make()
    section = app.info_registry.sections['tempurl']
    assert list(section) == ['methods', 'incoming_remove_headers',
                             'incoming_allow_headers', 'outgoing_remove_headers',
                             'outgoing_allow_headers', 'allowed_digests',
                             'deprecated_digests']
    assert section == {
        'methods': ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
        'incoming_remove_headers': ['x-timestamp', 'x-open-expired'],
        'incoming_allow_headers': [],
        'outgoing_remove_headers': ['x-object-meta-*'],
        'outgoing_allow_headers': ['x-object-meta-public-*'],
        'allowed_digests': ['sha1', 'sha256', 'sha512'],
        'deprecated_digests': ['sha1']}


def test_config_digests():
    logger = DebugLogger()
    config = TempURLConfig.from_conf({'allowed_digests': 'sha512 md5'}, logger)
    assert config.allowed_digests == ('sha512',)
    assert config.deprecated_digests == ()
    assert 'deprecated_digests' not in config.swift_info()
    assert logger.lines['warning'] == ['The following digest is not supported: md5']
    with pytest.raises(ConfigError) as err:
        TempURLConfig.from_conf({'allowed_digests': 'md5'})
    assert err.value.option == 'allowed_digests'


def test_filter_factory_builds_middleware():
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    mw = tempurl.filter_factory({}, methods='get head')(app)
    assert mw.config.methods == ('GET', 'HEAD')
    assert app.info_registry.sections['tempurl']['methods'] == ['GET', 'HEAD']


def test_get_hmac_matches_documented_message():
    expected = hmac.new(b'k', b'GET\n1\n/v1/a/c/o', hashlib.sha1).hexdigest()
    assert get_hmac('GET', '/v1/a/c/o', 1, 'k') == expected
    expected = hmac.new(b'k', b'ip=1.2.3.4\nGET\n1\n/v1/a/c/o', hashlib.sha256).hexdigest()
    assert get_hmac('GET', '/v1/a/c/o', 1, 'k', 'sha256', '1.2.3.4') == expected
