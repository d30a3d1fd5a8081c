"""The proxy pipeline of proxy-server.conf, composed in-process over fake nodes."""

import json

import pytest

from swift.common.middleware import (catch_errors, gatekeeper, healthcheck,
                                     listing_formats, memcache, proxy_logging,
                                     tempauth)
from test.unit.proxy.helpers import call


class Lines:
    txn_id = None

    def __init__(self):
        self.lines = []

    def info(self, msg, *args):
        self.lines.append(msg % args if args else msg)

    error = warning = exception = debug = info


@pytest.fixture
def pipeline(app, cache, clock):
    """catch_errors gatekeeper healthcheck proxy-logging cache listing_formats
    tempauth proxy-logging proxy-server"""
    access = Lines()
    wrapped = proxy_logging.ProxyLoggingMiddleware(app, {}, logger=access, clock=clock)
    wrapped = tempauth.TempAuth(wrapped, {'user_test_tester': 'testing .admin',
                                          'user_test_tester3': 'testing3'},
                                logger=Lines(), clock=clock)
    wrapped = listing_formats.ListingFilter(wrapped)
    wrapped = memcache.MemcacheMiddleware(wrapped, {}, memcache=cache)
    wrapped = proxy_logging.ProxyLoggingMiddleware(wrapped, {}, logger=access, clock=clock)
    wrapped = healthcheck.HealthCheckMiddleware(wrapped, {})
    wrapped = gatekeeper.GatekeeperMiddleware(wrapped, {})
    wrapped = catch_errors.CatchErrorsMiddleware(wrapped, {}, logger=Lines())
    wrapped.access = access
    return wrapped


def token(pipeline, user='test:tester', key='testing'):
    resp = call(pipeline, '/auth/v1.0', headers={'X-Auth-User': user, 'X-Auth-Key': key})
    assert resp.status_int == 200
    assert resp.headers['X-Storage-Url'] == 'http://localhost:80/v1/AUTH_test'
    return {'X-Auth-Token': resp.headers['X-Auth-Token']}


def test_client_workflow(pipeline, cluster):
    auth = token(pipeline)
    assert call(pipeline, '/v1/AUTH_test/c', 'PUT', headers=auth).status_int == 201
    resp = call(pipeline, '/v1/AUTH_test/c/o', 'PUT', headers=dict(
        auth, **{'X-Object-Sysmeta-Evil': '1', 'X-Backend-Storage-Policy-Index': '1'}),
        body=b'hello')
    assert resp.status_int == 201
    puts = [r for r in cluster.requests if r.method == 'PUT' and r.path.count('/') == 3]
    assert puts and all('X-Object-Sysmeta-Evil' not in r.headers for r in puts)
    assert all(r.headers['X-Backend-Storage-Policy-Index'] == '0' for r in puts)
    get = call(pipeline, '/v1/AUTH_test/c/o', headers=auth)
    assert (get.status_int, get.body) == (200, b'hello')
    assert not [k for k in get.headers if k.lower().startswith('x-backend-')]
    assert get.headers['X-Trans-Id'] == get.headers['X-Openstack-Request-Id']
    head = call(pipeline, '/v1/AUTH_test/c', 'HEAD', headers=auth)
    assert head.headers['X-Storage-Policy'] == 'gold'
    assert head.headers['Content-Type'] == 'text/plain; charset=utf-8'
    listing = call(pipeline, '/v1/AUTH_test?format=json', headers=auth)
    assert listing.status_int == 200 and json.loads(listing.body) == []
    # one access line per client request, with the truncated token
    lines = [l for l in pipeline.access.lines if '/v1/AUTH_test/c/o ' in l]
    assert len(lines) == 2
    assert auth['X-Auth-Token'] not in lines[0]
    assert auth['X-Auth-Token'][:16] + '...' in lines[0]


def test_denials_and_healthcheck(pipeline, cluster):
    auth = token(pipeline)
    call(pipeline, '/v1/AUTH_test/c', 'PUT', headers=auth)
    assert call(pipeline, '/v1/AUTH_test/c').status_int == 401
    assert call(pipeline, '/v1/AUTH_test/nope').status_int == 401     # BL-19
    other = token(pipeline, 'test:tester3', 'testing3')
    assert call(pipeline, '/v1/AUTH_test/c', headers=other).status_int == 403
    assert call(pipeline, '/v1/AUTH_test/c/o', 'PUT', headers=other,
                body=b'x').status_int == 403
    call(pipeline, '/v1/AUTH_test/c', 'POST', headers=dict(
        auth, **{'X-Container-Write': 'test:tester3'}))
    assert call(pipeline, '/v1/AUTH_test/c/o', 'PUT', headers=other,
                body=b'x').status_int == 201
    resp = call(pipeline, '/healthcheck')
    assert (resp.status_int, resp.body) == (200, b'OK')
    assert 'X-Trans-Id' in resp.headers


def test_bl06_through_the_pipeline(pipeline):
    auth = token(pipeline)
    call(pipeline, '/v1/AUTH_test/c', 'PUT', headers=auth)
    for path in ('/v1/AUTH_test', '/v1/AUTH_test/c'):
        resp = call(pipeline, path, headers=dict(auth, Accept='application/json;q=nope'))
        assert (resp.status_int, resp.body) == (400, b'Invalid Accept header')
