"""slo: manifest PUT (validation, stored format, etags, errors, heartbeat), config
and /info."""

import base64
import hashlib
import json

import pytest

from swift.common.config import ConfigError
from swift.common.middleware import slo
from swift.common.middleware.slo import SloConfig, StaticLargeObject
from swift.common.swob import HTTPForbidden, Request
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_clock import FakeClock
from test.unit.common.middleware.test_slo_fake import SloFakeSwift


def md5(data):
    return hashlib.md5(data).hexdigest()


def make(conf=None):
    app = SloFakeSwift()
    app.info_registry = InfoRegistry()
    app.containers.add('/v1/a/c')
    app.put_object('/v1/a/c/seg_a', b'a' * 10, {'Content-Type': 'text/x-a'})
    app.put_object('/v1/a/c/seg_b', b'b' * 5)
    app.put_object('/v1/a/c/empty', b'')
    mw = StaticLargeObject(app, conf or {}, logger=DebugLogger(), clock=FakeClock())
    return mw, app


def put_manifest(mw, manifest, path='/v1/a/c/m', headers=None, query=''):
    body = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
    return Request.blank(path + '?multipart-manifest=put' + query, method='PUT',
                         headers=headers or {}, body=body).get_response(mw)


def test_put_stores_swift_format_and_answers_slo_etag():
    mw, app = make()
    ea, eb = md5(b'a' * 10), md5(b'b' * 5)
    resp = put_manifest(mw, [{'path': '/c/seg_a', 'etag': ea, 'size_bytes': 10},
                             {'path': 'c/seg_b', 'etag': None, 'size_bytes': None}])
    assert resp.status_int == 201
    slo_etag = md5((ea + eb).encode())
    assert resp.headers['Etag'] == '"%s"' % slo_etag
    stored, body = app.objects['/v1/a/c/m']
    segments = json.loads(body)
    assert [list(s) for s in segments] == [
        ['name', 'bytes', 'hash', 'content_type', 'last_modified']] * 2
    assert segments[0]['name'] == '/c/seg_a'
    assert segments[1]['name'] == '/c/seg_b'
    assert (segments[0]['bytes'], segments[0]['hash']) == (10, ea)
    assert segments[0]['content_type'] == 'text/x-a'
    assert segments[0]['last_modified'].endswith('.000000')
    assert stored['X-Static-Large-Object'] == 'True'
    assert stored['X-Object-Sysmeta-Slo-Etag'] == slo_etag
    assert stored['X-Object-Sysmeta-Slo-Size'] == '15'
    assert stored['Content-Type'] == 'application/octet-stream;swift_bytes=15'
    assert stored['Etag'] == md5(body)
    assert stored['X-Object-Sysmeta-Container-Update-Override-Etag'] == \
        '%s; slo_etag=%s' % (md5(body), slo_etag)
    heads = app.calls_of('HEAD')
    assert sorted(h.path for h in heads) == ['/v1/a/c/seg_a', '/v1/a/c/seg_b']


def test_bl13_client_etag_is_checked_against_the_slo_etag():
    mw, app = make()
    ea, eb = md5(b'a' * 10), md5(b'b' * 5)
    manifest = [{'path': '/c/seg_a', 'etag': ea, 'size_bytes': 10},
                {'path': '/c/seg_b', 'etag': eb, 'size_bytes': 5}]
    good = md5((ea + eb).encode())
    resp = put_manifest(mw, manifest, headers={'Etag': good})
    assert resp.status_int == 201
    assert resp.headers['Etag'] == '"%s"' % good
    head = Request.blank('/v1/a/c/m', method='HEAD').get_response(mw)
    assert head.etag == good
    resp = put_manifest(mw, manifest, path='/v1/a/c/m2',
                        headers={'Etag': 'NOTetagofthesegments'})
    assert resp.status_int == 422
    assert '/v1/a/c/m2' not in app.objects
    resp = put_manifest(mw, manifest, path='/v1/a/c/m3', headers={'Etag': '"%s"' % good})
    assert resp.status_int == 201


def test_ranges_and_data_segments_in_the_etag_and_size():
    mw, app = make()
    manifest = [{'path': '/c/seg_a', 'range': '2-4'},
                {'data': base64.b64encode(b'XYZ').decode().rstrip('=')},
                {'path': '/c/seg_b', 'range': '-2'},
                {'path': '/c/seg_a', 'range': '0-'}]   # the whole object: range dropped
    resp = put_manifest(mw, manifest)
    assert resp.status_int == 201, resp.body
    stored, body = app.objects['/v1/a/c/m']
    segments = json.loads(body)
    assert segments[0]['range'] == '2-4'
    assert segments[1] == {'data': 'WFla'}
    assert segments[2]['range'] == '3-4'
    assert 'range' not in segments[3]
    ea, eb = md5(b'a' * 10), md5(b'b' * 5)
    expected = md5(('%s:2-4;' % ea + md5(b'XYZ') + '%s:3-4;' % eb + ea).encode())
    assert stored['X-Object-Sysmeta-Slo-Etag'] == expected
    assert stored['X-Object-Sysmeta-Slo-Size'] == str(3 + 3 + 2 + 10)
    assert len(app.calls_of('HEAD')) == 2   # one HEAD per distinct path
    got = Request.blank('/v1/a/c/m').get_response(mw)
    assert got.body == b'aaaXYZbb' + b'a' * 10


@pytest.mark.parametrize('body, expected', [
    (b'{not json', b'Manifest must be valid JSON.\n'),
    (b'[' * 5000 + b']' * 5000, b'Manifest must be valid JSON.\n'),   # too deep
    (b'[{"path": "/c/\\udcff"}]', b'Index 0: "path" must be valid UTF-8\n'),
    (b'[{"path": "/c/o", "size_bytes": 1e400}]', b'Index 0: invalid size_bytes\n'),
    (b'{"path": "/c/o"}', b'Manifest must be a list.\n'),
    (json.dumps([1, {'etag': 'x'}, {'path': '/c/o', 'bogus': 1},
                 {'path': 'noslash'}, {'path': '/c/o', 'size_bytes': 'big'},
                 {'path': '/c/o', 'range': 'x-y'}, {'path': '/c/o', 'range': '1-2,4-5'},
                 {'path': '/c/o', 'size_bytes': 3, 'range': '5-'},
                 {'path': '/c/m'}, {'path': '/c/o', 'size_bytes': 0},
                 {'path': 3}, {'path': '/c/o', 'etag': 5},
                 {'data': '!!!'}, {'data': 'QQ==', 'path': '/c/o'},
                 {'path': '/c/o', 'size_bytes': 0}]).encode(),
     b'Index 0: not a JSON object\n'
     b'Index 1: missing keys "path"\n'
     b'Index 2: extraneous keys "bogus"\n'
     b'Index 3: path does not refer to an object. Path must be of the form '
     b'/container/object.\n'
     b'Index 4: invalid size_bytes\n'
     b'Index 5: invalid range\n'
     b'Index 6: multiple ranges (only one allowed)\n'
     b'Index 7: unsatisfiable range\n'
     b'Index 8: manifest must not include itself as a segment\n'
     b'Index 9: too small; each segment must be at least 1 byte.\n'
     b'Index 10: "path" must be a string\n'
     b'Index 11: "etag" must be a string or null (if provided)\n'
     b'Index 12: data must be valid base64\n'
     b'Index 13: extraneous keys "path"\n'),
])
def test_bad_manifests_get_400_with_swift_messages(body, expected):
    mw, app = make()
    resp = put_manifest(mw, body)
    assert (resp.status_int, resp.body) == (400, expected)
    assert '/v1/a/c/m' not in app.objects
    assert not app.calls_of('HEAD')


def test_segment_problems_are_listed_in_the_accept_format():
    mw, app = make()
    manifest = [{'path': '/c/seg_a', 'etag': 'wrong'},
                {'path': '/c/missing'},
                {'path': '/c/seg_b', 'size_bytes': 6},
                {'path': '/c/empty'},
                {'path': '/c/seg_b', 'range': '10-'},
                {'path': '/c/seg_a'}]
    resp = put_manifest(mw, manifest)
    assert resp.status_int == 400
    lines = resp.body.decode().splitlines()
    assert lines[0] == 'Errors:'
    assert sorted(lines[1:]) == sorted([
        '/c/seg_a, Etag Mismatch', '/c/missing, 404 Not Found',
        '/c/seg_b, Size Mismatch',
        '/c/empty, Too small; each segment must be at least 1 byte.',
        '/c/seg_b, Unsatisfiable Range'])
    resp = put_manifest(mw, manifest[:2], headers={'Accept': 'application/json'})
    assert resp.status_int == 400
    assert resp.content_type == 'application/json'
    assert sorted(json.loads(resp.body)['Errors']) == [
        ['/c/missing', '404 Not Found'], ['/c/seg_a', 'Etag Mismatch']]
    assert '/v1/a/c/m' not in app.objects


def test_empty_last_segment_is_allowed():
    mw, app = make()
    resp = put_manifest(mw, [{'path': '/c/seg_a'}, {'path': '/c/empty'}])
    assert resp.status_int == 201
    assert app.objects['/v1/a/c/m'][0]['X-Object-Sysmeta-Slo-Size'] == '10'


def test_limits_and_length_rules():
    mw, app = make({'max_manifest_segments': '2', 'max_manifest_size': '200'})
    resp = put_manifest(mw, [{'path': '/c/seg_a'}] * 3)
    assert (resp.status_int, resp.body) == (
        413, b'Number of object-backed segments must be <= 2')
    resp = put_manifest(mw, [{'path': '/c/seg_a' + 'x' * 300}])
    assert (resp.status_int, resp.body) == (413, b'Manifest File > 200 bytes')
    chunked = Request.blank('/v1/a/c/m?multipart-manifest=put', method='PUT',
                            body=b'x' * 300)
    chunked.environ.pop('CONTENT_LENGTH')
    chunked.headers['Transfer-Encoding'] = 'chunked'
    assert chunked.get_response(mw).status_int == 413
    no_length = Request.blank('/v1/a/c/m?multipart-manifest=put', method='PUT')
    no_length.environ.pop('CONTENT_LENGTH', None)
    assert no_length.get_response(mw).status_int == 411
    resp = put_manifest(mw, [{'path': '/c/seg_a'}], headers={'X-Copy-From': 'c/seg_b'})
    assert resp.status_int == 405
    assert not app.calls_of('HEAD')


def test_nested_slo_segment_records_sub_slo_and_total_size():
    mw, app = make()
    assert put_manifest(mw, [{'path': '/c/seg_a'}, {'path': '/c/seg_b'}],
                        path='/v1/a/c/inner').status_int == 201
    inner_etag = app.objects['/v1/a/c/inner'][0]['X-Object-Sysmeta-Slo-Etag']
    resp = put_manifest(mw, [{'path': '/c/inner', 'size_bytes': 15, 'etag': inner_etag},
                             {'path': '/c/seg_b'}], path='/v1/a/c/outer')
    assert resp.status_int == 201, resp.body
    segments = json.loads(app.objects['/v1/a/c/outer'][1])
    assert segments[0]['sub_slo'] is True
    assert (segments[0]['bytes'], segments[0]['hash']) == (15, inner_etag)
    assert Request.blank('/v1/a/c/outer').get_response(mw).body == b'a' * 10 + b'b' * 10


def test_content_type_is_guessed_or_kept_with_swift_bytes():
    mw, app = make()
    assert put_manifest(mw, [{'path': '/c/seg_a'}], path='/v1/a/c/pic.png').status_int == 201
    assert app.objects['/v1/a/c/pic.png'][0]['Content-Type'] == 'image/png;swift_bytes=10'
    assert put_manifest(mw, [{'path': '/c/seg_a'}], headers={
        'Content-Type': 'text/x-mine'}).status_int == 201
    assert app.objects['/v1/a/c/m'][0]['Content-Type'] == 'text/x-mine;swift_bytes=10'


def test_segment_heads_carry_the_clients_authorization():
    mw, app = make()
    seen = []

    def authorize(req):
        seen.append(req.path_info)
        if req.path_info.endswith('seg_b'):
            return HTTPForbidden(request=req)
        return None
    resp = Request.blank('/v1/a/c/m?multipart-manifest=put', method='PUT',
                         environ={'swift.authorize': authorize},
                         headers={'X-Auth-Token': 'tok'},
                         body=json.dumps([{'path': '/c/seg_a'}, {'path': '/c/seg_b'}])
                         ).get_response(mw)
    assert resp.status_int == 400
    assert b'/c/seg_b, 403 Forbidden' in resp.body
    assert '/v1/a/c/seg_b' in seen
    assert all(h.headers.get('X-Auth-Token') == 'tok' for h in app.calls_of('HEAD'))


def test_heartbeat_mode_answers_202_then_a_report():
    mw, app = make()
    resp = put_manifest(mw, [{'path': '/c/seg_a'}], query='&heartbeat=on',
                        headers={'Accept': 'application/json'})
    assert resp.status_int == 202
    assert resp.body.startswith(b' \r\n\r\n')
    report = json.loads(resp.body)
    assert report['Response Status'] == '201 Created'
    assert report['Etag'] == '"%s"' % md5(md5(b'a' * 10).encode())
    resp = put_manifest(mw, [{'path': '/c/nope'}], query='&heartbeat=on')
    assert resp.status_int == 202
    assert b'Response Status: 400 Bad Request' in resp.body
    assert b'Errors:\n/c/nope, 404 Not Found\n' in resp.body


def test_reserved_header_and_plain_put_sysmeta():
    mw, app = make()
    resp = Request.blank('/v1/a/c/o', method='PUT', body=b'x',
                         headers={'X-Static-Large-Object': 'True'}).get_response(mw)
    assert resp.status_int == 400
    assert resp.body.startswith(b'X-Static-Large-Object is a reserved header.')
    resp = Request.blank('/v1/a/c/o', method='PUT', body=b'x', headers={
        'X-Object-Sysmeta-Slo-Etag': 'abc', 'X-Object-Meta-Keep': 'me'}).get_response(mw)
    assert resp.status_int == 201
    stored = app.objects['/v1/a/c/o'][0]
    assert 'X-Object-Sysmeta-Slo-Etag' not in stored
    assert stored['X-Object-Meta-Keep'] == 'me'


def test_config_defaults_info_and_bad_options():
    mw, app = make()
    assert mw.config == SloConfig()
    assert (mw.config.max_manifest_segments, mw.config.max_manifest_size,
            mw.config.rate_limit_under_size, mw.config.rate_limit_after_segment,
            mw.config.rate_limit_segments_per_sec, mw.config.max_get_time,
            mw.config.concurrency, mw.config.delete_concurrency,
            mw.config.yield_frequency) == (1000, 8388608, 1048576, 10, 1, 86400, 2, 2, 10)
    assert app.info_registry.public_info()['slo'] == {'max_manifest_segments': 1000, 'max_manifest_size': 8388608,
                       'yield_frequency': 10, 'min_segment_size': 1,
                       'allow_async_delete': True}
    with pytest.raises(ConfigError):
        slo.filter_factory({}, max_manifest_size='lots')
    factory = slo.filter_factory({}, concurrency='0')
    assert factory(SloFakeSwift()).config.concurrency == 1


def test_unicode_segment_names_round_trip():
    mw, app = make()
    name = '/c/s\u00e9g \u2603'
    wsgi_path = '/v1/a/c/s\u00e9g \u2603'.encode('utf-8').decode('latin-1')
    app.put_object(wsgi_path, b'snow')
    resp = put_manifest(mw, [{'path': name}, {'path': '/c/seg_b'}],
                        path='/v1/a/c/m%C3%A9')
    assert resp.status_int == 201, resp.body
    segments = json.loads(app.objects['/v1/a/c/m\u00c3\u00a9'][1])
    assert segments[0]['name'] == name
    assert Request.blank('/v1/a/c/m%C3%A9').get_response(mw).body == b'snowbbbbb'
    resp = put_manifest(mw, [{'path': '/c/m\u00e9'}], path='/v1/a/c/m%C3%A9')
    assert resp.body == b'Index 0: manifest must not include itself as a segment\n'
    del app.objects[wsgi_path]
    resp = put_manifest(mw, [{'path': name}], path='/v1/a/c/x')
    assert resp.body == b'Errors:\n/c/s%C3%A9g%20%E2%98%83, 404 Not Found\n'


def test_manifest_hook_can_add_problems():
    mw, app = make()
    seen = []

    def hook(segments):
        seen.extend(segments)
        return [['/c/seg_a', 'Not allowed here']]
    resp = Request.blank('/v1/a/c/m?multipart-manifest=put', method='PUT',
                         environ={'swift.callback.slo_manifest_hook': hook},
                         body=json.dumps([{'path': '/c/seg_a'}]).encode()).get_response(mw)
    assert (resp.status_int, resp.body) == (400, b'Errors:\n/c/seg_a, Not allowed here\n')
    assert seen[0]['name'] == '/c/seg_a'


def test_slo_override_lets_an_internal_client_write_a_manifest_as_is():
    mw, app = make()
    resp = Request.blank('/v1/a/c/o', method='PUT', body=b'[]',
                         environ={'swift.slo_override': True},
                         headers={'X-Static-Large-Object': 'True',
                                  'X-Object-Sysmeta-Slo-Size': '0'}).get_response(mw)
    assert resp.status_int == 201
    assert app.objects['/v1/a/c/o'][0]['X-Object-Sysmeta-Slo-Size'] == '0'


def test_heartbeat_sends_a_space_every_yield_frequency_seconds():
    mw, app = make({'concurrency': '1'})
    for index in range(3):
        app.put_object('/v1/a/c/s%d' % index, b'x')
    answer = app._answer

    def slow_answer(req, body):
        if req.method == 'HEAD':
            mw.clock.advance(11)    # each segment HEAD takes 11 s
        return answer(req, body)
    app._answer = slow_answer
    resp = put_manifest(mw, [{'path': '/c/s%d' % i} for i in range(3)],
                        query='&heartbeat=on')
    assert resp.status_int == 202
    spaces, _sep, report = resp.body.partition(b'\r\n\r\n')
    assert spaces == b' ' * 4        # the first at once, then one per slow HEAD
    assert b'Response Status: 201 Created\n' in report
