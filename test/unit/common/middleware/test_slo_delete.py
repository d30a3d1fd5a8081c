"""slo: DELETE ?multipart-manifest=delete (bulk-style report, nesting, errors)."""

import json

from swift.common.middleware.slo import StaticLargeObject
from swift.common.swob import HTTPForbidden, Request
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_clock import FakeClock
from test.unit.common.middleware.test_slo_fake import SloFakeSwift


def make():
    app = SloFakeSwift()
    app.containers.add('/v1/a/c')
    for name in ('a', 'b', 'c'):
        app.put_object('/v1/a/c/' + name, name.encode() * 3)
    mw = StaticLargeObject(app, {}, logger=DebugLogger(), clock=FakeClock())
    return mw, app


def put(mw, path, names):
    body = json.dumps([{'path': '/c/' + n} for n in names]).encode()
    resp = Request.blank(path + '?multipart-manifest=put', method='PUT',
                         body=body).get_response(mw)
    assert resp.status_int == 201, resp.body


def delete(mw, path='/v1/a/c/m', headers=None, environ=None, query=''):
    return Request.blank(path + '?multipart-manifest=delete' + query, method='DELETE',
                         headers=headers or {}, environ=environ or {}).get_response(mw)


def test_delete_removes_segments_then_manifest():
    mw, app = make()
    put(mw, '/v1/a/c/m', ['a', 'b'])
    app.calls.clear()
    resp = delete(mw)
    assert resp.status_int == 200
    assert resp.content_type == 'text/plain'
    assert resp.body == (b'Number Deleted: 3\nNumber Not Found: 0\nResponse Body: \n'
                         b'Response Status: 200 OK\nErrors:\n')
    assert sorted(app.objects) == ['/v1/a/c/c']
    deletes = [c.path for c in app.calls_of('DELETE')]
    assert deletes[-1] == '/v1/a/c/m'
    assert sorted(deletes[:-1]) == ['/v1/a/c/a', '/v1/a/c/b']
    manifest_get = app.calls_of('GET')[0]
    assert manifest_get.query == 'multipart-manifest=get'


def test_nested_manifests_and_missing_segments_json_report():
    mw, app = make()
    put(mw, '/v1/a/c/inner', ['a', 'b'])
    put(mw, '/v1/a/c/outer', ['inner', 'c'])
    del app.objects['/v1/a/c/b']
    resp = delete(mw, '/v1/a/c/outer', headers={'Accept': 'application/json'})
    assert resp.content_type == 'application/json'
    report = json.loads(resp.body)
    assert report == {'Number Deleted': 4, 'Number Not Found': 1, 'Response Body': '',
                      'Response Status': '200 OK', 'Errors': []}
    assert app.objects == {}


def test_missing_or_plain_object():
    mw, app = make()
    resp = delete(mw, '/v1/a/c/nothing')
    assert b'Number Not Found: 1\n' in resp.body
    assert b'Response Status: 200 OK\n' in resp.body
    resp = delete(mw, '/v1/a/c/a', headers={'Accept': 'application/json'})
    report = json.loads(resp.body)
    assert report['Response Status'] == '400 Bad Request'
    assert report['Errors'] == [['/c/a', 'Not an SLO manifest']]
    assert '/v1/a/c/a' in app.objects


def test_forbidden_segment_is_reported_and_kept():
    mw, app = make()
    put(mw, '/v1/a/c/m', ['a', 'b'])

    def authorize(req):
        if req.method == 'DELETE' and req.path_info.endswith('/b'):
            return HTTPForbidden(request=req)
        return None
    resp = delete(mw, environ={'swift.authorize': authorize},
                  headers={'Accept': 'application/xml'})
    assert resp.content_type == 'application/xml'
    assert b'<number_deleted>2</number_deleted>' in resp.body
    assert b'<object><name>/c/b</name><status>403 Forbidden</status></object>' in resp.body
    assert b'<response_status>400 Bad Request</response_status>' in resp.body
    assert '/v1/a/c/b' in app.objects


def test_async_delete_answers_204_after_deleting():
    mw, app = make()
    put(mw, '/v1/a/c/m', ['a', 'b'])
    resp = delete(mw, query='&async=true')
    assert resp.status_int == 204
    assert sorted(app.objects) == ['/v1/a/c/c']


def test_plain_delete_passes_through():
    mw, app = make()
    put(mw, '/v1/a/c/m', ['a'])
    resp = Request.blank('/v1/a/c/m', method='DELETE').get_response(mw)
    assert resp.status_int == 204
    assert '/v1/a/c/a' in app.objects
