"""CORS preflight and response headers."""

from test.unit.proxy.helpers import call, make_container

ORIGIN = 'http://web.example'


def setup_container(app, allow='http://web.example http://other', extra=None):
    headers = {'X-Container-Meta-Access-Control-Allow-Origin': allow,
               'X-Container-Meta-Access-Control-Max-Age': '600',
               'X-Container-Meta-Access-Control-Expose-Headers': 'X-Custom'}
    headers.update(extra or {})
    make_container(app, headers=headers)


def test_preflight_allowed(app):
    setup_container(app)
    resp = call(app, '/v1/AUTH_test/c/o', 'OPTIONS', headers={
        'Origin': ORIGIN, 'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'x-auth-token, content-type'})
    assert resp.status_int == 200
    assert resp.headers['Access-Control-Allow-Origin'] == ORIGIN
    assert resp.headers['Access-Control-Max-Age'] == '600'
    assert resp.headers['Access-Control-Allow-Methods'] == \
        'GET, HEAD, PUT, POST, DELETE, OPTIONS'
    assert resp.headers['Access-Control-Allow-Headers'] == 'content-type, x-auth-token'
    assert resp.headers['Vary'] == 'Origin, Access-Control-Request-Headers'


def test_preflight_refused(app):
    setup_container(app)
    bad_origin = call(app, '/v1/AUTH_test/c/o', 'OPTIONS', headers={
        'Origin': 'http://evil', 'Access-Control-Request-Method': 'GET'})
    assert bad_origin.status_int == 401
    bad_method = call(app, '/v1/AUTH_test/c/o', 'OPTIONS', headers={
        'Origin': ORIGIN, 'Access-Control-Request-Method': 'PATCH'})
    assert bad_method.status_int == 401


def test_plain_options_and_account(app):
    resp = call(app, '/v1/AUTH_test/c/o', 'OPTIONS')
    assert resp.status_int == 200
    assert resp.headers['Allow'] == 'GET, HEAD, PUT, POST, DELETE, OPTIONS'
    acct = call(app, '/v1/AUTH_test', 'OPTIONS', headers={'Origin': ORIGIN})
    assert acct.status_int == 200 and 'Access-Control-Allow-Origin' not in acct.headers


def test_actual_request_headers(app):
    setup_container(app)
    call(app, '/v1/AUTH_test/c/o', 'PUT', body=b'x', headers={'X-Object-Meta-Color': 'r'})
    resp = call(app, '/v1/AUTH_test/c/o', headers={'Origin': ORIGIN})
    assert resp.headers['Access-Control-Allow-Origin'] == ORIGIN
    exposed = resp.headers['Access-Control-Expose-Headers'].split(', ')
    assert 'x-object-meta-color' in exposed and 'x-custom' in exposed
    assert 'etag' in exposed
    evil = call(app, '/v1/AUTH_test/c/o', headers={'Origin': 'http://evil'})
    assert 'Access-Control-Allow-Origin' not in evil.headers


def test_proxy_wide_origin_and_star(make_app, cluster):
    app = make_app({'cors_allow_origin': 'http://proxy.wide'})
    setup_container(app, allow='*')
    resp = call(app, '/v1/AUTH_test/c', headers={'Origin': 'http://any'})
    assert resp.headers['Access-Control-Allow-Origin'] == '*'
    pre = call(app, '/v1/AUTH_test/c', 'OPTIONS', headers={
        'Origin': 'http://proxy.wide', 'Access-Control-Request-Method': 'GET'})
    assert pre.status_int == 200
