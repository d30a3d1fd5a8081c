"""slo: GET/HEAD of large objects (ranges, conditionals, nesting, broken segments,
rate limiting), ?multipart-manifest=get, container listings and COPY."""

import hashlib
import json

import pytest

from swift.common.middleware.copy import ServerSideCopyMiddleware
from swift.common.middleware.slo import StaticLargeObject
from swift.common.middleware.slo.segments import TruncatedBodyError
from swift.common.swob import HTTPForbidden, Request
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_clock import FakeClock
from test.unit.common.middleware.test_slo_fake import SloFakeSwift

MIB = 1024 * 1024


def md5(data):
    return hashlib.md5(data).hexdigest()


def make(segments, conf=None, manifest_path='/v1/a/c/m', **manifest_extra):
    """slo over a fake with ``segments`` {name: bytes} and a manifest of them all."""
    app = SloFakeSwift()
    app.containers.add('/v1/a/c')
    for name, data in segments.items():
        app.put_object('/v1/a/c/' + name, data)
    clock = FakeClock()
    mw = StaticLargeObject(app, conf or {}, logger=DebugLogger(), clock=clock)
    manifest = [dict({'path': '/c/' + name}, **manifest_extra.get(name, {}))
                for name in segments]
    resp = put(mw, manifest_path, manifest)
    assert resp.status_int == 201, resp.body
    app.calls.clear()
    return mw, app, clock


def put(mw, path, manifest):
    return Request.blank(path + '?multipart-manifest=put', method='PUT',
                         body=json.dumps(manifest).encode()).get_response(mw)


def get(mw, path='/v1/a/c/m', method='GET', headers=None, query=''):
    return Request.blank(path + query, method=method,
                         headers=headers or {}).get_response(mw)


def runs(data):
    """Run-length form of bytes: [(byte, count), ...]."""
    out = []
    for byte in data:
        if out and out[-1][0] == byte:
            out[-1][1] += 1
        else:
            out.append([byte, 1])
    return [(chr(b), n) for b, n in out]


BL12 = {'a': b'a' * MIB, 'b': b'b' * MIB, 'c': b'c' * MIB, 'd': b'd' * MIB, 'e': b'e'}


def test_bl12_open_ended_and_suffix_ranges():
    mw, app, _clock = make(BL12)
    resp = get(mw, headers={'Range': 'bytes=1048571-'})
    assert resp.status_int == 206
    assert resp.headers['Content-Range'] == 'bytes 1048571-4194304/4194305'
    assert runs(resp.body) == [('a', 5), ('b', MIB), ('c', MIB), ('d', MIB), ('e', 1)]
    assert resp.content_length == len(resp.body)
    # only the needed part of segment a is fetched
    assert app.calls_of('GET')[1].headers['Range'] == 'bytes=1048571-1048575'
    resp = get(mw, headers={'Range': 'bytes=-123456'})
    assert resp.status_int == 206
    assert resp.headers['Content-Range'] == 'bytes 4070849-4194304/4194305'
    assert runs(resp.body) == [('d', 123455), ('e', 1)]


def test_whole_get_and_head_headers():
    mw, app, _clock = make({'a': b'a' * 3, 'b': b'b' * 4})
    stored = app.objects['/v1/a/c/m'][0]
    slo_etag = md5((md5(b'aaa') + md5(b'bbbb')).encode())
    for method in ('GET', 'HEAD'):
        resp = get(mw, method=method)
        assert resp.status_int == 200
        assert resp.headers['Etag'] == '"%s"' % slo_etag
        assert resp.headers['Content-Length'] == '7'
        assert resp.headers['X-Static-Large-Object'] == 'True'
        assert resp.headers['X-Manifest-Etag'] == stored['Etag']
        assert resp.headers['Content-Type'] == 'application/octet-stream'
    assert get(mw).body == b'aaabbbb'
    app.calls.clear()
    get(mw, method='HEAD')
    assert [(c.method, c.path) for c in app.calls] == [('HEAD', '/v1/a/c/m')]


def test_multiple_ranges_and_unsatisfiable():
    mw, _app, _clock = make({'a': b'0123456789', 'b': b'abcdefghij'})
    resp = get(mw, headers={'Range': 'bytes=8-11,-2'})
    assert resp.status_int == 206
    ctype, boundary = resp.headers['Content-Type'].split(';boundary=')
    assert ctype == 'multipart/byteranges'
    parts = resp.body.split(b'--' + boundary.encode())
    assert b'Content-Range: bytes 8-11/20\r\n\r\n89ab\r\n' in parts[1]
    assert b'Content-Range: bytes 18-19/20\r\n\r\nij\r\n' in parts[2]
    assert parts[3] == b'--'
    assert resp.content_length == len(resp.body)
    resp = get(mw, headers={'Range': 'bytes=20-'})
    assert resp.status_int == 416
    assert resp.headers['Content-Range'] == 'bytes */20'
    resp = get(mw, method='HEAD', headers={'Range': 'bytes=2-4'})
    assert (resp.status_int, resp.headers['Content-Range']) == (206, 'bytes 2-4/20')


def test_conditional_requests_use_the_slo_etag():
    mw, app, _clock = make({'a': b'aa', 'b': b'bb'})
    slo_etag = md5((md5(b'aa') + md5(b'bb')).encode())
    assert get(mw, headers={'If-None-Match': '"%s"' % slo_etag}).status_int == 304
    assert get(mw, headers={'If-None-Match': 'other'}).body == b'aabb'
    assert get(mw, headers={'If-Match': slo_etag}).status_int == 200
    resp = get(mw, headers={'If-Match': 'other'})
    assert resp.status_int == 412
    assert resp.headers['Etag'] == '"%s"' % slo_etag
    manifest_etag = app.objects['/v1/a/c/m'][0]['Etag']
    assert get(mw, headers={'If-Match': manifest_etag}).status_int == 412
    assert get(mw, method='HEAD', headers={'If-None-Match': slo_etag}).status_int == 304


def test_manifest_without_sysmeta_computes_etag_and_size():
    mw, app, _clock = make({'a': b'aa', 'b': b'bbb'})
    stored, body = app.objects['/v1/a/c/m']
    del stored['X-Object-Sysmeta-Slo-Etag']
    del stored['X-Object-Sysmeta-Slo-Size']
    resp = get(mw, method='HEAD')
    assert resp.headers['Etag'] == '"%s"' % md5((md5(b'aa') + md5(b'bbb')).encode())
    assert resp.headers['Content-Length'] == '5'
    assert get(mw, headers={'Range': 'bytes=1-3'}).body == b'abb'


def test_bl15_manifest_get_and_raw_format():
    mw, app, _clock = make({'s1': b'1' * 4, 's2': b'2' * 6}, s2={'range': '1-3'})
    resp = get(mw, query='?multipart-manifest=get')
    assert resp.status_int == 200
    assert resp.headers['X-Static-Large-Object'] == 'True'
    assert resp.headers['Content-Type'] == 'application/json; charset=utf-8'
    listing = json.loads(resp.body)
    assert [e['name'] for e in listing] == ['/c/s1', '/c/s2']
    assert set(listing[0]) == {'name', 'hash', 'bytes', 'content_type', 'last_modified'}
    assert listing[1]['range'] == '1-3'
    assert (listing[1]['hash'], listing[1]['bytes']) == (md5(b'2' * 6), 6)
    resp = get(mw, query='?multipart-manifest=get&format=raw')
    assert resp.status_int == 200
    assert resp.headers['Content-Type'] == 'application/octet-stream'
    assert resp.headers['X-Static-Large-Object'] == 'True'
    assert json.loads(resp.body) == [
        {'path': '/c/s1', 'etag': md5(b'1' * 4), 'size_bytes': 4},
        {'path': '/c/s2', 'etag': md5(b'2' * 6), 'size_bytes': 6, 'range': '1-3'}]
    assert resp.headers['Etag'] == md5(resp.body)
    assert resp.content_length == len(resp.body)
    assert resp.body.startswith(b'[{"etag": ')   # sort_keys, as Swift
    assert get(mw, path='/v1/a/c/s1', query='?multipart-manifest=get').body == b'1111'


def test_nested_slos_with_ranges():
    mw, app, _clock = make({'a': b'abcde', 'b': b'fghij'}, manifest_path='/v1/a/c/inner')
    app.put_object('/v1/a/c/z', b'z' * 3)
    assert put(mw, '/v1/a/c/outer', [{'path': '/c/inner', 'range': '3-7'},
                                     {'path': '/c/z'},
                                     {'path': '/c/inner'}]).status_int == 201
    assert get(mw, '/v1/a/c/outer').body == b'defghzzzabcdefghij'
    resp = get(mw, '/v1/a/c/outer', headers={'Range': 'bytes=1-9'})
    assert (resp.status_int, resp.body) == (206, b'efghzzzab')
    assert get(mw, '/v1/a/c/outer', method='HEAD').content_length == 18


def test_recursion_depth_is_limited():
    mw, app, _clock = make({'a': b'a'}, manifest_path='/v1/a/c/l0')
    for depth in range(1, 11):
        assert put(mw, '/v1/a/c/l%d' % depth,
                   [{'path': '/c/l%d' % (depth - 1)}]).status_int == 201
    assert get(mw, '/v1/a/c/l9').body == b'a'
    resp = get(mw, '/v1/a/c/l10')
    assert resp.status_int == 409
    assert any('max recursion depth' in line for line in mw.logger.lines['error'])


def test_missing_first_segment_is_409_and_later_one_truncates():
    mw, app, _clock = make({'a': b'aa', 'b': b'bb'})
    del app.objects['/v1/a/c/a']
    assert get(mw).status_int == 409
    assert 'got 404' in mw.logger.lines['error'][0]
    mw, app, _clock = make({'a': b'aa', 'b': b'bb'})
    app.put_object('/v1/a/c/b', b'BB')   # same size, other etag
    resp = get(mw)
    assert resp.status_int == 200
    with pytest.raises(TruncatedBodyError):
        b''.join(resp.app_iter)
    assert 'Object segment no longer valid: /v1/a/c/b' in mw.logger.lines['error'][0]


def test_segment_server_error_on_first_segment_is_503():
    mw, app, _clock = make({'a': b'aa'})
    app.register('GET', '/v1/a/c/a', 500)
    assert get(mw).status_int == 503


def test_small_segments_are_rate_limited_after_ten():
    segments = {'s%02d' % i: b'x' for i in range(14)}
    mw, _app, clock = make(segments)
    assert get(mw).body == b'x' * 14
    assert clock.sleeps == [1.0] * 3   # the 11th starts the clock, then 1/s
    mw, _app, clock = make(segments, conf={'rate_limit_under_size': '1'})
    assert get(mw).body == b'x' * 14
    assert clock.sleeps == []


def test_max_get_time_ends_the_body():
    mw, app, clock = make({'a': b'a', 'b': b'b', 'c': b'c', 'd': b'd'},
                          conf={'max_get_time': '3', 'rate_limit_after_segment': '0',
                                'rate_limit_segments_per_sec': '0.5'})
    resp = get(mw)
    with pytest.raises(TruncatedBodyError):
        b''.join(resp.app_iter)
    assert 'max LO GET time of 3s exceeded' in mw.logger.lines['error'][0]


def test_segment_gets_carry_the_clients_authorization():
    mw, app, _clock = make({'a': b'aa', 'secret': b'ss'})
    calls = []

    def authorize(req):
        calls.append(req.path_info)
        if req.path_info.endswith('/secret'):
            return HTTPForbidden(request=req)
        return None
    resp = Request.blank('/v1/a/c/m', environ={'swift.authorize': authorize}
                         ).get_response(mw)
    with pytest.raises(TruncatedBodyError):
        b''.join(resp.app_iter)
    assert '/v1/a/c/secret' in calls
    assert 'got 403' in mw.logger.lines['error'][0]


def test_container_listing_shows_slo_etag_and_total_size():
    mw, app, _clock = make({'a': b'aa', 'b': b'bbb'})
    resp = get(mw, '/v1/a/c', query='?format=json')
    listing = {e['name']: e for e in json.loads(resp.body)}
    stored = app.objects['/v1/a/c/m'][0]
    assert listing['m']['hash'] == stored['Etag']
    assert listing['m']['slo_etag'] == '"%s"' % stored['X-Object-Sysmeta-Slo-Etag']
    assert listing['m']['bytes'] == 5
    assert listing['m']['content_type'] == 'application/octet-stream'
    assert 'slo_etag' not in listing['a']


def test_copy_of_an_slo_copies_content_or_manifest():
    mw, app, _clock = make({'a': b'aa', 'b': b'bbb'})
    copy = ServerSideCopyMiddleware(mw, {})
    resp = Request.blank('/v1/a/c/m', method='COPY',
                         headers={'Destination': 'c/flat'}).get_response(copy)
    assert resp.status_int == 201
    stored, body = app.objects['/v1/a/c/flat']
    assert body == b'aabbb'
    assert 'X-Static-Large-Object' not in stored
    assert 'X-Object-Sysmeta-Slo-Etag' not in stored
    assert get(mw, '/v1/a/c/flat', headers={'If-Match': md5(b'aabbb')}).status_int == 200
    resp = Request.blank('/v1/a/c/m?multipart-manifest=get', method='COPY',
                         headers={'Destination': 'c/m2'}).get_response(copy)
    assert resp.status_int == 201
    assert app.objects['/v1/a/c/m2'][0]['X-Static-Large-Object'] == 'True'
    assert get(mw, '/v1/a/c/m2').body == b'aabbb'


def test_listing_keeps_other_hash_parameters_and_untouched_bodies():
    from swift.common.middleware.slo import _split_slo_etag
    item = {'hash': 'abc; slo_etag=def; symlink_target=c/o'}
    assert _split_slo_etag(item) is True
    assert item == {'hash': 'abc; symlink_target=c/o', 'slo_etag': '"def"'}
    plain = {'hash': 'abc'}
    assert _split_slo_etag(plain) is False and plain == {'hash': 'abc'}
    mw, app, _clock = make({'a': b'a'})
    app.register('GET', '/v1/a/c2', 200, {'Content-Type': 'application/json'},
                 b'[{"hash":"x","name":"o"}]')
    assert get(mw, '/v1/a/c2').body == b'[{"hash":"x","name":"o"}]'


def test_segment_bytes_must_hash_to_its_etag_unless_it_is_a_large_object():
    mw, app, _clock = make({'a': b'aa', 'b': b'bb'})
    app.register('GET', '/v1/a/c/b', 200, {'Etag': md5(b'bb'), 'Content-Length': '2'},
                 b'XX')
    resp = get(mw)
    with pytest.raises(TruncatedBodyError):
        b''.join(resp.app_iter)
    assert 'Bad MD5 checksum for /v1/a/c/b' in mw.logger.lines['error'][0]
    app.register('GET', '/v1/a/c/b', 200, {'Etag': '"%s"' % md5(b'bb'),
                                           'Content-Length': '2',
                                           'X-Object-Manifest': 'c/b_'}, b'XX')
    assert get(mw).body == b'aaXX'


@pytest.mark.parametrize('body', [b'not json', b'{"a": 1}', b'[{"name": "/c/a"}]'])
def test_unreadable_stored_manifest_is_a_500(body):
    mw, app, _clock = make({'a': b'aa'})
    stored = app.objects['/v1/a/c/m'][0]
    del stored['X-Object-Sysmeta-Slo-Size']
    app.objects['/v1/a/c/m'] = (stored, body)
    resp = get(mw)
    assert (resp.status_int, resp.body) == (500, b'Unable to load SLO manifest')
    assert mw.logger.lines['error'] == ['Unable to load SLO manifest /v1/a/c/m']


def test_bad_entry_in_a_sub_manifest_is_a_409_not_a_traceback():
    mw, app, _clock = make({'a': b'aa'}, manifest_path='/v1/a/c/inner')
    assert put(mw, '/v1/a/c/outer', [{'path': '/c/inner'}]).status_int == 201
    stored = app.objects['/v1/a/c/inner'][0]
    app.objects['/v1/a/c/inner'] = (stored, b'[{"name": "/c/a"}]')
    assert get(mw, '/v1/a/c/outer').status_int == 409
    assert 'a bad manifest entry' in mw.logger.lines['error'][0]
