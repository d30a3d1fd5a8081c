"""End-to-end proxy behaviour against fake storage nodes."""

from swift.common.swob import Request


def call(app, path, method='GET', headers=None, body=None, environ=None):
    req = Request.blank(path, environ=environ, headers=headers or {}, body=body)
    req.method = method
    return req.get_response(app)


def test_account_container_object_roundtrip(app, cluster):
    resp = call(app, '/v1/AUTH_test/c', 'PUT')
    assert resp.status_int == 201, resp.body
    resp = call(app, '/v1/AUTH_test/c/o', 'PUT', body=b'hello swift\n',
                headers={'Content-Type': 'text/plain', 'X-Object-Meta-Color': 'blue'})
    assert resp.status_int == 201, resp.body
    assert resp.headers['Etag'] == '3ddb068de95c1c3ea2dedeecd0fe5613'
    assert resp.headers['Last-Modified']
    resp = call(app, '/v1/AUTH_test/c/o')
    assert resp.status_int == 200
    assert resp.body == b'hello swift\n'
    assert resp.headers['X-Object-Meta-Color'] == 'blue'
    assert resp.headers['X-Trans-Id'].startswith('tx')
    resp = call(app, '/v1/AUTH_test/c/o', 'DELETE')
    assert resp.status_int == 204
    resp = call(app, '/v1/AUTH_test/c/o', 'HEAD')
    assert resp.status_int == 404
