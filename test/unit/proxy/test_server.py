"""Routing, name checks, trans ids, /info and auth hooks of the proxy Application."""

import json
import re

import pytest

from swift.common.swob import HTTPUnauthorized
from test.unit.proxy.helpers import call, make_container

INFO_FIXTURE = '/work/shared/fixtures/swift-2.38/wire/info.pretty.json'


def test_trans_id_on_every_response(app):
    for path in ('/v1/AUTH_test/c/o', '/nope', '/info', '/v2/AUTH_test'):
        resp = call(app, path)
        assert re.match(r'^tx[0-9a-f]{21}-[0-9a-f]{10}$', resp.headers['X-Trans-Id'])
        assert resp.headers['X-Openstack-Request-Id'] == resp.headers['X-Trans-Id']
    resp = call(app, '/info', headers={'X-Trans-Id-Extra': 'abc'})
    assert resp.headers['X-Trans-Id'].endswith('abc')
    assert resp.headers['X-Trans-Id'][24:34] == '%010x' % 1700000000


@pytest.mark.parametrize('path,status,body', [
    ('/v1/AUTH_test/c%00x', 412, b'Invalid UTF8 or contains NULL'),
    ('/v1/AUTH_test/c/%FF', 412, b'Invalid UTF8 or contains NULL'),
    ('/v1/AUTH_test/./o', 400, b'Container name cannot be "." or ".."'),
    ('/v1/AUTH_test/..', 400, b'Container name cannot be "." or ".."'),
    ('/v1/../c', 400, b'Account name cannot be "." or ".."'),
    ('/v2/AUTH_test', 400, b'Invalid path'),
])
def test_bad_names(app, cluster, path, status, body):
    resp = call(app, path, 'PUT', body=b'x')
    assert (resp.status_int, resp.body) == (status, body)
    assert cluster.requests == []


def test_unknown_paths_404_and_methods_405(app):
    assert call(app, '/').status_int == 404
    assert call(app, '/v1').status_int == 404
    resp = call(app, '/v1/AUTH_test/c/o', 'PATCH')
    assert resp.status_int == 405
    assert resp.headers['Allow'] == 'GET, HEAD, PUT, POST, DELETE, OPTIONS'


def test_v1_0_routes(app):
    assert call(app, '/v1.0/AUTH_test/c', 'PUT').status_int == 201


def test_info_matches_swift_shape(make_app):
    app = make_app({'allow_account_management': 'true'})
    resp = call(app, '/info')
    assert resp.status_int == 200
    assert resp.headers['Content-Type'] == 'application/json; charset=UTF-8'
    info = json.loads(resp.body)
    with open(INFO_FIXTURE) as fp:
        expected = json.load(fp)['swift']
    assert sorted(info['swift']) == sorted(expected)
    for key, value in expected.items():
        if key != 'version':
            assert info['swift'][key] == value, key
    assert list(json.loads(resp.body)['swift'])[:3] == ['version', 'strict_cors_mode',
                                                      'policies']
    assert call(app, '/info', 'HEAD').status_int == 200
    assert call(app, '/info', 'POST').status_int == 405


def test_info_sections_and_disallowed(make_app):
    from swift.proxy.controllers.info import register_swift_info

    class Wrapper:
        def __init__(self, app):
            self.app = app
    app = make_app({'disallowed_sections': 'secret, swift.version'})
    assert register_swift_info(Wrapper(Wrapper(app)), 'tempauth', account_acls=True)
    register_swift_info(app, 'secret', x=1)
    info = json.loads(call(app, '/info').body)
    assert info['tempauth'] == {'account_acls': True}
    assert 'secret' not in info and 'version' not in info['swift']


def test_info_needs_no_auth(app):
    denied = HTTPUnauthorized()
    resp = call(app, '/info', environ={'swift.authorize': lambda req: denied})
    assert resp.status_int == 200


def test_denial_delayed_for_object_read_then_acl_checked(app, cluster):
    make_container(app, headers={})
    call(app, '/v1/AUTH_test/c/o', 'PUT', body=b'x')
    seen_acls = []

    def authorize(req):
        seen_acls.append(getattr(req, 'acl', None))
        if getattr(req, 'acl', None) == 'ok':
            return None
        return HTTPUnauthorized(request=req)
    env = {'swift.authorize': authorize}
    assert call(app, '/v1/AUTH_test/c/o', environ=dict(env)).status_int == 401
    assert seen_acls == [None, None]
    # container listing denial is delayed too, account-level requests are not
    assert call(app, '/v1/AUTH_test', environ=dict(env)).status_int == 401
    assert call(app, '/v1/AUTH_test/c2', 'PUT', environ=dict(env)).status_int == 401


def test_authorized_request_skips_second_check(app, cluster):
    calls = []

    def authorize(req):
        calls.append(req.method)
        return None
    make_container(app)
    resp = call(app, '/v1/AUTH_test/c/o', 'PUT', body=b'x',
                environ={'swift.authorize': authorize})
    assert resp.status_int == 201
    assert calls == ['PUT']


def test_backend_request_headers(app, cluster):
    make_container(app)
    req = cluster.requests[-1]
    assert req.headers['Connection'] == 'close'
    assert req.headers['User-Agent'].startswith('proxy-server ')
    assert req.headers['Referer'] == 'PUT http://localhost:80/v1/AUTH_test/c'
    assert req.headers['X-Trans-Id'].startswith('tx')


def test_unhandled_exception_is_500(app, cluster):
    def explode(*args, **kwargs):
        raise RuntimeError('bug')
    app.http_connect = explode
    app.account_ring.get_part = explode
    resp = call(app, '/v1/AUTH_test', 'HEAD')
    assert resp.status_int == 500
    app.logger.lines.clear()   # the fixture checks no exception was logged


def test_info_admin_sections_need_a_valid_signature(make_app, clock):
    from swift.proxy.controllers.info import info_signature, register_swift_info
    app = make_app({'admin_key': 'secret', 'disallowed_sections': 'hidden'})
    register_swift_info(app, 'hidden', x=1)
    register_swift_info(app, 'audit', admin=True, level=2)
    expires = int(clock.time()) + 60
    sig = info_signature('GET', expires, 'secret')
    resp = call(app, '/info?swiftinfo_sig=%s&swiftinfo_expires=%d' % (sig, expires))
    assert resp.status_int == 200
    info = json.loads(resp.body)
    assert info['admin']['audit'] == {'level': 2}
    assert info['admin']['disallowed_sections'] == ['hidden']
    assert 'hidden' not in info
    bad = call(app, '/info?swiftinfo_sig=%s&swiftinfo_expires=%d' % ('0' * 40, expires))
    assert bad.status_int == 401
    old = call(app, '/info?swiftinfo_sig=%s&swiftinfo_expires=%d' % (
        info_signature('GET', 5, 'secret'), 5))
    assert old.status_int == 401
    head_sig = info_signature('GET', expires, 'secret')
    assert call(app, '/info?swiftinfo_sig=%s&swiftinfo_expires=%d' % (head_sig, expires),
                'HEAD').status_int == 200
    assert 'admin' not in json.loads(call(app, '/info').body)


def test_info_without_admin_key_or_exposure(make_app):
    app = make_app()
    assert call(app, '/info?swiftinfo_sig=x&swiftinfo_expires=1').status_int == 403
    hidden = make_app({'expose_info': 'false'})
    assert call(hidden, '/info').status_int == 403
