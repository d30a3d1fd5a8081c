import hashlib

import pytest

from swift.common.middleware import copy
from swift.common.middleware.copy import ServerSideCopyMiddleware
from swift.common.swob import HTTPForbidden, Request
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.fake_swift import FakeSwift

BODY = b'source body bytes'


def make():
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    app.put_object('/v1/a/c/o', BODY, {'Content-Type': 'text/x-source',
                                       'X-Object-Meta-Color': 'blue',
                                       'X-Object-Meta-Size': 'big',
                                       'X-Object-Sysmeta-Thing': 'kept',
                                       'X-Backend-Storage-Policy-Index': '3',
                                       'Content-Encoding': 'gzip'})
    return ServerSideCopyMiddleware(app, {}), app


def request(mw, path, method='PUT', headers=None, environ=None, body=b''):
    return Request.blank(path, method=method, headers=headers or {},
                         environ=environ or {}, body=body).get_response(mw)


def test_put_with_x_copy_from_copies_body_and_metadata():
    mw, app = make()
    resp = request(mw, '/v1/a/c2/o2', headers={'X-Copy-From': 'c/o'})
    assert resp.status_int == 201
    headers, body = app.objects['/v1/a/c2/o2']
    assert body == BODY
    assert headers['Content-Type'] == 'text/x-source'
    assert headers['X-Object-Meta-Color'] == 'blue'
    assert headers['X-Object-Sysmeta-Thing'] == 'kept'
    put = app.calls_of('PUT')[0]
    assert put.headers['Etag'] == hashlib.md5(BODY).hexdigest()
    assert put.headers['Content-Length'] == str(len(BODY))
    assert put.headers['Content-Encoding'] == 'gzip'
    assert 'X-Backend-Storage-Policy-Index' not in put.headers
    assert 'X-Copy-From' not in put.headers
    assert resp.headers['X-Copied-From'] == 'c/o'
    assert resp.headers['X-Copied-From-Account'] == 'a'
    assert resp.headers['X-Copied-From-Last-Modified'] == 'Sun, 29 Nov 2026 22:00:00 GMT'
    assert resp.headers['X-Object-Meta-Color'] == 'blue'
    get = app.calls_of('GET')[0]
    assert (get.path, get.headers['X-Newest']) == ('/v1/a/c/o', 'true')


def test_copy_verb_with_destination():
    mw, app = make()
    resp = request(mw, '/v1/a/c/o', 'COPY', {'Destination': '/c3/new%20name',
                                             'X-Object-Meta-Size': 'small'})
    assert resp.status_int == 201
    headers, body = app.objects['/v1/a/c3/new name']
    assert body == BODY
    assert headers['X-Object-Meta-Size'] == 'small'     # the request's meta wins
    assert headers['X-Object-Meta-Color'] == 'blue'
    assert resp.headers['X-Copied-From'] == 'c/o'
    put = app.calls_of('PUT')[0]
    assert 'Destination' not in put.headers
    assert put.env.get('swift.orig_req_method') == 'COPY'


def test_copy_across_accounts():
    mw, app = make()
    resp = request(mw, '/v1/a/c/o', 'COPY', {'Destination': 'c/o',
                                             'Destination-Account': 'b'})
    assert resp.status_int == 201
    assert app.objects['/v1/b/c/o'][1] == BODY
    assert resp.headers['X-Copied-From-Account'] == 'a'
    resp = request(mw, '/v1/b/c/o2', headers={'X-Copy-From': 'c/o',
                                              'X-Copy-From-Account': 'a'})
    assert resp.status_int == 201
    assert app.calls_of('GET')[-1].path == '/v1/a/c/o'
    assert app.objects['/v1/b/c/o2'][1] == BODY


def test_fresh_metadata_drops_source_user_meta():
    mw, app = make()
    resp = request(mw, '/v1/a/c/o2', headers={
        'X-Copy-From': 'c/o', 'X-Fresh-Metadata': 'true',
        'X-Object-Meta-New': 'yes', 'Content-Type': 'text/plain'})
    assert resp.status_int == 201
    headers, body = app.objects['/v1/a/c/o2']
    assert body == BODY
    assert 'X-Object-Meta-Color' not in headers
    assert headers['X-Object-Meta-New'] == 'yes'
    assert headers['X-Object-Sysmeta-Thing'] == 'kept'
    assert headers['Content-Type'] == 'text/plain'


@pytest.mark.parametrize('method,headers,body', [
    ('PUT', {'X-Copy-From': 'just-a-container'},
     b'X-Copy-From header must be of the form <container name>/<object name>'),
    ('PUT', {'X-Copy-From': '/c/'},
     b'X-Copy-From header must be of the form <container name>/<object name>'),
    ('COPY', {'Destination': 'nothing'},
     b'Destination header must be of the form <container name>/<object name>'),
    ('COPY', {}, b'Destination header required'),
    ('COPY', {'Destination': 'c/o', 'Destination-Account': ''},
     b'Account name cannot be empty'),
    ('COPY', {'Destination': 'c/o', 'Destination-Account': 'x%2Fy'},
     b'Account name cannot contain slashes'),
    ('PUT', {'X-Copy-From': 'c/o', 'X-Copy-From-Account': 'a/b'},
     b'Account name cannot contain slashes'),
])
def test_bad_headers_412(method, headers, body):
    mw, app = make()
    resp = request(mw, '/v1/a/c/o', method, headers)
    assert (resp.status_int, resp.body) == (412, body)
    assert app.calls_of('PUT') == [] and app.calls_of('GET') == []


def test_copy_request_with_body_is_400():
    mw, app = make()
    resp = request(mw, '/v1/a/c/o2', headers={'X-Copy-From': 'c/o'}, body=b'data')
    assert (resp.status_int, resp.body) == (400, b'Copy requests require a zero byte body')
    assert app.calls == []


def test_missing_source_passes_404_and_writes_nothing():
    mw, app = make()
    resp = request(mw, '/v1/a/c/o2', headers={'X-Copy-From': 'c/missing'})
    assert resp.status_int == 404
    assert app.calls_of('PUT') == []
    resp = request(mw, '/v1/a/c/missing', 'COPY', {'Destination': 'c/o3'})
    assert resp.status_int == 404
    assert '/v1/a/c/o3' not in app.objects


def test_source_read_is_authorized_with_clients_identity():
    mw, app = make()
    app.put_object('/v1/a/private/o', b'secret')

    def authorize(req):
        if '/private/' in req.path_info and req.method == 'GET':
            return HTTPForbidden(request=req)
        return None
    env = {'swift.authorize': authorize, 'REMOTE_USER': 'someone'}
    resp = request(mw, '/v1/a/c/o2', headers={'X-Copy-From': 'private/o',
                                              'X-Auth-Token': 'AUTH_tk1'}, environ=env)
    assert resp.status_int == 403
    assert '/v1/a/c/o2' not in app.objects
    get = app.calls_of('GET')[0]
    assert get.headers['X-Auth-Token'] == 'AUTH_tk1'
    assert get.env['REMOTE_USER'] == 'someone'


def test_utf8_names_in_headers():
    mw, app = make()
    resp = request(mw, '/v1/a/c/o', 'COPY', {'Destination': 'c/%E2%9C%93'})
    assert resp.status_int == 201
    wsgi_name = '\u2713'.encode('utf-8').decode('latin-1')
    assert app.objects['/v1/a/c/' + wsgi_name][1] == BODY
    resp = request(mw, '/v1/a/c/o4', headers={'X-Copy-From': 'c/%E2%9C%93'})
    assert resp.status_int == 201
    assert resp.headers['X-Copied-From'] == 'c/%E2%9C%93'


def test_failed_put_has_no_copied_from_headers():
    mw, app = make()
    app.register('PUT', '/v1/a/c/o2', 503)
    resp = request(mw, '/v1/a/c/o2', headers={'X-Copy-From': 'c/o'})
    assert resp.status_int == 503
    assert 'X-Copied-From' not in resp.headers


def test_chunked_source_is_413():
    def chunked_app(env, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'a', b'b']
    mw = ServerSideCopyMiddleware(chunked_app, {})
    resp = request(mw, '/v1/a/c/o2', headers={'X-Copy-From': 'c/o'})
    assert resp.status_int == 413


def test_range_source_copies_part_without_etag():
    mw, app = make()
    resp = request(mw, '/v1/a/c/part', headers={'X-Copy-From': 'c/o', 'Range': 'bytes=0-5'})
    assert resp.status_int == 201
    assert app.objects['/v1/a/c/part'][1] == BODY[:6]
    assert 'Etag' not in app.calls_of('PUT')[0].headers


def test_slo_manifest_copy_with_multipart_manifest_get():
    mw, app = make()
    app.put_object('/v1/a/c/manifest', b'[]', {'X-Static-Large-Object': 'True'})
    resp = request(mw, '/v1/a/c/m2?multipart-manifest=get',
                   headers={'X-Copy-From': 'c/manifest'})
    assert resp.status_int == 201
    get = app.calls_of('GET')[0]
    assert 'format=raw' in get.query and 'multipart-manifest=get' in get.query
    put = app.calls_of('PUT')[0]
    assert put.query == 'multipart-manifest=put'
    assert 'Etag' not in put.headers


def test_other_requests_pass_through():
    mw, app = make()
    assert request(mw, '/v1/a/c/o', 'GET').body == BODY
    assert request(mw, '/v1/a/c/o3', body=b'new').status_int == 201
    assert request(mw, '/v1/a/c', 'COPY').status_int == 404   # not an object path
    assert [c.method for c in app.calls] == ['GET', 'PUT', 'COPY']


def test_factory_registers_no_info():
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    mw = copy.filter_factory({})(app)
    assert isinstance(mw, ServerSideCopyMiddleware)
    assert app.info_registry.sections == {}


def test_copy_is_checked_by_quota_middleware_below():
    from swift.common.middleware.container_quotas import ContainerQuotaMiddleware
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    app.put_object('/v1/a/c/o', BODY)
    app.register('HEAD', '/v1/a/small', 204, {'X-Container-Meta-Quota-Bytes': '5',
                                              'X-Container-Bytes-Used': '0'})
    mw = ServerSideCopyMiddleware(ContainerQuotaMiddleware(app), {})
    resp = request(mw, '/v1/a/c/o', 'COPY', {'Destination': 'small/o'})
    assert (resp.status_int, resp.body) == (413, b'Upload exceeds quota.')
    assert '/v1/a/small/o' not in app.objects
