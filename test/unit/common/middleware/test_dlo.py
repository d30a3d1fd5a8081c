import hashlib
import json
import urllib.parse

import pytest

from swift.common.config import ConfigError
from swift.common.constraints import Constraints
from swift.common.middleware import dlo
from swift.common.middleware.dlo import (DloConfig, DynamicLargeObject, RateLimiter,
                                         SegmentError, SegmentRead, parse_manifest_value,
                                         plan_segments)
from swift.common.swob import HTTPForbidden, Request, Response
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_clock import FakeClock
from test.helpers.fake_swift import FakeSwift

SEGMENTS = [b'aaaaaaaaaa', b'bbbbbbbbbb', b'cccccccccc', b'dddddddddd', b'eeeeeeeeee']
WHOLE = b''.join(SEGMENTS)


class ListingSwift(FakeSwift):
    """FakeSwift with JSON container listings (prefix/marker, ``limit`` entries per
    page) and the object server's X-Backend-Ignore-Range-If-Metadata-Present."""

    def __init__(self, limit=10000):
        super().__init__()
        self.limit = limit
        self.listing_status = {}     # container path -> forced status

    def _container(self, req, path):
        if req.method != 'GET':
            return super()._container(req, path)
        if path in self.listing_status:
            return Response(request=req, status=self.listing_status[path],
                            body=b'listing refused')
        params = req.params
        prefix, marker = params.get('prefix', ''), params.get('marker', '')
        listing = []
        for name in sorted(self.objects):
            if not name.startswith(path + '/'):
                continue
            obj = name[len(path) + 1:]
            if obj.startswith(prefix) and obj > marker:
                headers, body = self.objects[name]
                listing.append({'name': obj.encode('latin-1').decode('utf-8'),
                                'bytes': len(body), 'hash': headers['Etag'],
                                'content_type': headers['Content-Type'],
                                'last_modified': '2026-11-29T22:00:00.000000'})
        body = json.dumps(listing[:self.limit]).encode('ascii')
        return Response(request=req, status=200, body=body,
                        content_type='application/json; charset=utf-8')

    def _answer(self, req, body):
        stored = self.objects.get(req.path_info)
        ignore = req.headers.get('X-Backend-Ignore-Range-If-Metadata-Present')
        if req.method == 'GET' and stored and ignore and any(
                name.strip() in stored[0] for name in ignore.split(',')):
            # the object server's own copy of the request, not the client's environ
            req = Request(dict(req.environ))
            req.headers['Range'] = None
        return super()._answer(req, body)


def make(limit=10000, segments=SEGMENTS, manifest='c/seg_', conf=None, **extra):
    app = ListingSwift(limit)
    for index, data in enumerate(segments, 1):
        app.put_object('/v1/a/c/seg_%d' % index, data)
    app.put_object('/v1/a/c/man', b'', {'X-Object-Manifest': manifest,
                                        'Content-Type': 'text/x-dlo',
                                        'X-Object-Meta-Color': 'blue'})
    logger, clock = DebugLogger(), FakeClock()
    mw = DynamicLargeObject(app, conf or {}, logger=logger, clock=clock,
                            constraints=Constraints(container_listing_limit=limit),
                            **extra)
    return mw, app, logger, clock


def get(mw, path='/v1/a/c/man', method='GET', headers=None, environ=None):
    return Request.blank(path, method=method, headers=headers or {},
                         environ=environ or {}).get_response(mw)


def segment_gets(app):
    return [(call.path, call.headers.get('Range')) for call in app.calls_of('GET')
            if '/seg_' in call.path]


def dlo_etag(segments):
    return hashlib.md5(''.join(hashlib.md5(s).hexdigest()
                               for s in segments).encode()).hexdigest()


# ---------------------------------------------------------------- whole object

def test_get_concatenates_segments_in_listing_order():
    mw, app, _logger, _clock = make()
    resp = get(mw)
    assert resp.status_int == 200
    assert resp.body == WHOLE
    assert resp.headers['Content-Length'] == '50'
    assert resp.headers['Etag'] == '"%s"' % dlo_etag(SEGMENTS)
    assert resp.headers['Content-Type'] == 'text/x-dlo'
    assert resp.headers['X-Object-Meta-Color'] == 'blue'
    assert resp.headers['X-Object-Manifest'] == 'c/seg_'
    assert resp.headers['Last-Modified'] == 'Sun, 29 Nov 2026 22:00:00 GMT'
    assert segment_gets(app) == [('/v1/a/c/seg_%d' % i, None) for i in range(1, 6)]
    listing = [call for call in app.calls_of('GET') if call.path == '/v1/a/c'][0]
    assert urllib.parse.parse_qs(listing.query) == {'format': ['json'],
                                                    'prefix': ['seg_']}
    assert listing.headers['User-Agent'].endswith('DLO MultipartGET')
    assert listing.env['swift.source'] == 'DLO'


def test_head_has_length_and_etag_and_reads_no_segment():
    mw, app, _logger, _clock = make()
    resp = get(mw, method='HEAD')
    assert resp.status_int == 200
    assert resp.headers['Content-Length'] == '50'
    assert resp.headers['Etag'] == '"%s"' % dlo_etag(SEGMENTS)
    assert resp.body == b''
    assert segment_gets(app) == []


def test_manifest_header_is_url_quoted_and_utf8():
    name = 'sé g/'.encode('utf-8').decode('latin-1')
    mw, app, _logger, _clock = make(segments=[])
    app.put_object('/v1/a/c o/%s1' % name, b'xyz')
    app.put_object('/v1/a/c o/%s2' % name, b'123')
    app.put_object('/v1/a/c/man', b'', {'X-Object-Manifest': urllib.parse.quote(
        'c o/sé g/'.encode('utf-8'))})
    resp = get(mw)
    assert resp.status_int == 200
    assert resp.body == b'xyz123'


def test_plain_object_passes_through_untouched():
    mw, app, _logger, _clock = make()
    resp = get(mw, '/v1/a/c/seg_1', headers={'Range': 'bytes=2-3'})
    assert resp.status_int == 206
    assert resp.body == b'aa'
    assert len(app.calls) == 1


def test_empty_listing_gives_empty_object():
    mw, _app, _logger, _clock = make(segments=[])
    resp = get(mw)
    assert resp.status_int == 200
    assert resp.body == b''
    assert resp.headers['Etag'] == '"%s"' % hashlib.md5(b'').hexdigest()


def test_multipart_manifest_get_returns_manifest_itself():
    mw, app, _logger, _clock = make()
    resp = get(mw, '/v1/a/c/man?multipart-manifest=get')
    assert resp.status_int == 200
    assert resp.body == b''
    assert resp.headers['Etag'] == hashlib.md5(b'').hexdigest()
    assert resp.headers['X-Object-Manifest'] == 'c/seg_'
    assert len(app.calls) == 1


def test_listing_over_several_pages_follows_markers():
    mw, app, _logger, _clock = make(limit=2)
    resp = get(mw)
    assert resp.status_int == 200
    assert resp.body == WHOLE
    # the first page is full: total length and etag are unknown up front
    assert 'Content-Length' not in resp.headers
    assert resp.headers['Etag'] == hashlib.md5(b'').hexdigest()
    markers = [urllib.parse.parse_qs(call.query).get('marker')
               for call in app.calls_of('GET') if call.path == '/v1/a/c']
    assert markers == [None, ['seg_2'], ['seg_4']]


def test_head_of_incomplete_listing_has_no_length():
    mw, _app, _logger, _clock = make(limit=2)
    resp = get(mw, method='HEAD')
    assert resp.status_int == 200
    assert 'Content-Length' not in resp.headers
    assert resp.headers['X-Object-Manifest'] == 'c/seg_'


def test_short_last_page_ends_listing():
    mw, app, _logger, _clock = make(limit=2, segments=SEGMENTS[:4])
    assert get(mw).body == WHOLE[:40]
    listings = [call for call in app.calls_of('GET') if call.path == '/v1/a/c']
    assert len(listings) == 3     # two full pages, then an empty one


# ---------------------------------------------------------------- ranges

@pytest.mark.parametrize('header, body, content_range, reads', [
    ('bytes=5-14', WHOLE[5:15], 'bytes 5-14/50',
     [('/v1/a/c/seg_1', 'bytes=5-'), ('/v1/a/c/seg_2', 'bytes=0-4')]),
    ('bytes=10-19', WHOLE[10:20], 'bytes 10-19/50', [('/v1/a/c/seg_2', None)]),
    ('bytes=12-33', WHOLE[12:34], 'bytes 12-33/50',
     [('/v1/a/c/seg_2', 'bytes=2-'), ('/v1/a/c/seg_3', None),
      ('/v1/a/c/seg_4', 'bytes=0-3')]),
    ('bytes=-3', WHOLE[-3:], 'bytes 47-49/50', [('/v1/a/c/seg_5', 'bytes=7-')]),
    ('bytes=45-', WHOLE[45:], 'bytes 45-49/50', [('/v1/a/c/seg_5', 'bytes=5-')]),
    ('bytes=40-1000', WHOLE[40:], 'bytes 40-49/50', [('/v1/a/c/seg_5', None)]),
    ('bytes=3-3', b'a', 'bytes 3-3/50', [('/v1/a/c/seg_1', 'bytes=3-3')]),
])
def test_single_range_fetches_only_needed_segments(header, body, content_range, reads):
    mw, app, _logger, _clock = make()
    resp = get(mw, headers={'Range': header})
    assert resp.status_int == 206
    assert resp.body == body
    assert resp.headers['Content-Range'] == content_range
    assert resp.headers['Content-Length'] == str(len(body))
    assert segment_gets(app) == reads
    manifest_get = app.calls_of('GET')[0]
    assert manifest_get.headers['X-Backend-Ignore-Range-If-Metadata-Present'] == \
        'X-Object-Manifest'


def test_bl16_multi_range_gets_whole_object_with_200():
    mw, app, _logger, _clock = make()
    resp = get(mw, headers={'Range': 'bytes=0-4,10-14'})
    assert resp.status_int == 200
    assert resp.body == b'aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeee'
    assert 'Content-Range' not in resp.headers
    assert segment_gets(app) == [('/v1/a/c/seg_%d' % i, None) for i in range(1, 6)]


def test_unsatisfiable_range_is_416():
    mw, app, _logger, _clock = make()
    resp = get(mw, headers={'Range': 'bytes=50-60'})
    assert resp.status_int == 416
    assert resp.headers['Content-Range'] == 'bytes */50'
    assert segment_gets(app) == []


def test_range_on_incomplete_listing():
    mw, app, _logger, _clock = make(limit=2)
    resp = get(mw, headers={'Range': 'bytes=5-14'})   # inside the first page
    assert resp.status_int == 206
    assert resp.body == WHOLE[5:15]
    resp = get(mw, headers={'Range': 'bytes=25-34'})  # past it: whole object
    assert resp.status_int == 200
    assert resp.body == WHOLE
    resp = get(mw, headers={'Range': 'bytes=-5'})     # suffix: whole object
    assert resp.status_int == 200


def test_head_with_range():
    mw, _app, _logger, _clock = make()
    resp = get(mw, method='HEAD', headers={'Range': 'bytes=5-14'})
    assert resp.status_int == 206
    assert resp.headers['Content-Length'] == '10'


def test_malformed_range_is_ignored():
    mw, _app, _logger, _clock = make()
    resp = get(mw, headers={'Range': 'bytes=x-y'})
    assert resp.status_int == 200
    assert resp.body == WHOLE


# ---------------------------------------------------------------- conditionals

def test_if_match_uses_dlo_etag():
    mw, _app, _logger, _clock = make()
    etag = dlo_etag(SEGMENTS)
    resp = get(mw, headers={'If-Match': '"%s"' % etag})
    assert resp.status_int == 200
    assert resp.body == WHOLE
    assert resp.headers['Content-Type'] == 'text/x-dlo'
    resp = get(mw, headers={'If-Match': 'not-%s' % etag})
    assert resp.status_int == 412
    resp = get(mw, headers={'If-Match': hashlib.md5(b'').hexdigest()})
    assert resp.status_int == 412


def test_if_none_match_uses_dlo_etag():
    mw, _app, _logger, _clock = make()
    etag = dlo_etag(SEGMENTS)
    resp = get(mw, headers={'If-None-Match': etag})
    assert resp.status_int == 304
    assert resp.body == b''
    # the manifest's own etag is not the object's
    resp = get(mw, headers={'If-None-Match': hashlib.md5(b'').hexdigest()})
    assert resp.status_int == 200
    assert resp.body == WHOLE
    assert resp.headers['Content-Type'] == 'text/x-dlo'


def test_failed_condition_opens_no_segment():
    mw, app, _logger, _clock = make()
    resp = get(mw, headers={'If-None-Match': '"%s"' % dlo_etag(SEGMENTS)})
    assert resp.status_int == 304
    resp = get(mw, headers={'If-Match': 'other'})
    assert resp.status_int == 412
    assert segment_gets(app) == []


def test_if_modified_since():
    mw, _app, _logger, _clock = make()
    resp = get(mw, headers={'If-Modified-Since': 'Sun, 29 Nov 2026 22:00:00 GMT'})
    assert resp.status_int == 304
    resp = get(mw, headers={'If-Modified-Since': 'Sun, 29 Nov 2026 21:00:00 GMT'})
    assert resp.status_int == 200
    assert resp.body == WHOLE
    resp = get(mw, headers={'If-Unmodified-Since': 'Sun, 29 Nov 2026 21:00:00 GMT'})
    assert resp.status_int == 412


# ---------------------------------------------------------------- failures

def test_first_segment_missing_is_409():
    mw, app, logger, _clock = make()
    app.register('GET', '/v1/a/c/seg_1', 404)
    resp = get(mw)
    assert resp.status_int == 409
    assert any('got 404' in line for line in logger.lines['error'])


def test_first_segment_server_error_is_503():
    mw, app, _logger, _clock = make()
    app.register('GET', '/v1/a/c/seg_1', 500)
    assert get(mw).status_int == 503


def test_later_segment_missing_ends_body_early_and_logs():
    mw, app, logger, _clock = make()
    app.register('GET', '/v1/a/c/seg_3', 404)
    resp = get(mw)
    assert resp.status_int == 200
    assert resp.headers['Content-Length'] == '50'
    received = []
    with pytest.raises(SegmentError):
        for chunk in resp.app_iter:
            received.append(chunk)
    assert b''.join(received) == WHOLE[:20]
    assert any('got 404' in line and 'seg_3' in line for line in logger.lines['error'])
    assert resp.request.environ['eventlet.minimum_write_chunk_size'] == 0


def test_segment_changed_since_listing_ends_body():
    mw, app, logger, _clock = make()
    resp = get(mw)
    app.objects['/v1/a/c/seg_2'] = (app.objects['/v1/a/c/seg_2'][0], b'short')
    received = []
    with pytest.raises(SegmentError):
        for chunk in resp.app_iter:
            received.append(chunk)
    assert b''.join(received) == WHOLE[:10]
    assert any('changed since listed' in line for line in logger.lines['error'])


def test_segment_body_shorter_than_its_length_ends_body():
    mw, app, logger, _clock = make()

    resp = get(mw)
    original = app._answer

    def short_answer(req, body):
        answer = original(req, body)
        if req.path_info == '/v1/a/c/seg_2':
            answer.app_iter = [b'bbb']
            answer.headers['Content-Length'] = '10'
        return answer
    app._answer = short_answer
    with pytest.raises(SegmentError):
        b''.join(resp.app_iter)
    assert any('ended 7 bytes short' in line for line in logger.lines['error'])


def test_later_listing_page_failing_ends_body():
    mw, app, logger, _clock = make(limit=2)
    resp = get(mw)
    app.listing_status['/v1/a/c'] = 503
    with pytest.raises(dlo.ListingError):
        b''.join(resp.app_iter)
    assert any('Got status 503 listing container' in line
               for line in logger.lines['error'])


def test_listing_error_is_returned():
    mw, app, _logger, _clock = make()
    app.listing_status['/v1/a/c'] = 404
    resp = get(mw)
    assert resp.status_int == 404
    resp = get(mw, method='HEAD')
    assert resp.status_int == 404
    assert resp.body == b''


def test_segments_read_with_client_identity():
    """A client allowed the manifest but not the segment container gets 403."""
    mw, app, _logger, _clock = make()

    def authorize(req):
        if req.path_info == '/v1/a/c/man':
            return None
        return HTTPForbidden(request=req)
    resp = get(mw, headers={'X-Auth-Token': 'tok'},
               environ={'swift.authorize': authorize, 'REMOTE_USER': 'u'})
    assert resp.status_int == 403
    listing = app.calls[1]
    assert listing.path == '/v1/a/c'
    assert listing.headers['X-Auth-Token'] == 'tok'
    assert listing.env['swift.authorize'] is authorize
    assert listing.env['REMOTE_USER'] == 'u'


def test_segment_gets_carry_token():
    mw, app, _logger, _clock = make()
    get(mw, headers={'X-Auth-Token': 'tok'}).body
    tokens = {call.headers.get('X-Auth-Token') for call in app.calls_of('GET')
              if '/seg_' in call.path}
    assert tokens == {'tok'}


# ---------------------------------------------------------------- rate limit, time

def test_rate_limit_after_segments():
    segments = [b'%02d' % i for i in range(15)]
    mw, _app, _logger, clock = make(segments=segments, manifest='c/seg_',
                                    conf={'rate_limit_after_segment': '10',
                                          'rate_limit_segments_per_sec': '2'})
    assert get(mw).body == b''.join(sorted(
        segments, key=lambda s: 'seg_%d' % (segments.index(s) + 1)))
    # 10 free, the 11th starts the schedule, then 4 more at 0.5 s each
    assert clock.sleeps == [0.5] * 4


def test_rate_limiter_zero_disables():
    clock = FakeClock()
    limiter = RateLimiter(clock, 0, 0)
    assert list(limiter.limit(range(5))) == list(range(5))
    assert clock.sleeps == []


def test_rate_limiter_does_not_sleep_when_slow_enough():
    clock = FakeClock()
    limiter = RateLimiter(clock, 1, 1)
    for _ in range(3):
        limiter.wait()
        clock.advance(2)
    assert clock.sleeps == []


def test_max_get_time_ends_body():
    mw, app, logger, clock = make(conf={'max_get_time': '5'})
    resp = get(mw)
    original = app._answer

    def slow_answer(req, body):
        clock.advance(3)
        return original(req, body)
    app._answer = slow_answer
    received = []
    with pytest.raises(SegmentError):
        for chunk in resp.app_iter:
            received.append(chunk)
    # seg_2 starts at t=0, seg_3 at t=3, seg_4 would start at t=6 > 5
    assert b''.join(received) == WHOLE[:30]
    assert any('max LO GET time of 5s exceeded' in line
               for line in logger.lines['error'])


# ---------------------------------------------------------------- PUT

@pytest.mark.parametrize('value', ['c', 'c/', '/seg', 'c//seg', 'c/seg?x', 'c/s&x', ''])
def test_put_bad_manifest_is_400(value):
    mw, app, _logger, _clock = make()
    resp = Request.blank('/v1/a/c/m2', method='PUT', body=b'',
                         headers={'X-Object-Manifest': value}).get_response(mw)
    assert resp.status_int == 400
    assert resp.body == b'X-Object-Manifest must be in the format container/prefix'
    assert '/v1/a/c/m2' not in app.objects


def test_put_good_manifest_passes_body_through():
    mw, app, _logger, _clock = make()
    resp = Request.blank('/v1/a/c/m2', method='PUT', body=b'kept',
                         headers={'X-Object-Manifest': 'c/seg_'}).get_response(mw)
    assert resp.status_int == 201
    assert app.calls_of('PUT')[0].body == b'kept'
    assert app.calls_of('PUT')[0].headers['X-Object-Manifest'] == 'c/seg_'


def test_non_object_requests_pass_through():
    mw, app, _logger, _clock = make()
    resp = get(mw, '/v1/a/c', method='PUT')
    assert resp.status_int in (201, 202)
    assert len(app.calls) == 1


# ---------------------------------------------------------------- helpers & config

def test_parse_manifest_value():
    assert parse_manifest_value('c%20x/p%2Fq') == ('c x', 'p/q')
    assert parse_manifest_value('c/p/q') == ('c', 'p/q')
    with pytest.raises(ValueError):
        parse_manifest_value('nocontainer')


def test_plan_segments_skips_empty_and_stops_early():
    pages_read = []

    def pages():
        for page in ([{'name': 'a', 'bytes': 0}, {'name': 'b', 'bytes': 4}],
                     [{'name': 'c', 'bytes': 4}], [{'name': 'd', 'bytes': 4}]):
            pages_read.append(page)
            yield page
    reads = list(plan_segments(pages(), '/v1/a/c', 2, 5))
    assert reads == [SegmentRead('/v1/a/c/b', 2, None, 2),
                     SegmentRead('/v1/a/c/c', None, 1, 2)]
    assert len(pages_read) == 2
    assert reads[0].range_header() == 'bytes=2-'
    assert reads[1].range_header() == 'bytes=0-1'


def test_config_defaults_and_errors():
    assert DloConfig.from_conf({}) == DloConfig(10, 1, 86400)
    with pytest.raises(ConfigError) as caught:
        DloConfig.from_conf({'max_get_time': 'soon'})
    assert caught.value.option == 'max_get_time'
    with pytest.raises(ConfigError):
        DloConfig.from_conf({'rate_limit_after_segment': '-1'})


def test_filter_factory_builds_middleware(tmp_path):
    app = FakeSwift()
    mw = dlo.filter_factory({'swift_dir': str(tmp_path)},
                            rate_limit_after_segment='3')(app)
    assert isinstance(mw, DynamicLargeObject)
    assert mw.config.rate_limit_after_segment == 3
    assert mw.app is app


def test_options_in_old_proxy_section_are_used(tmp_path):
    conf_path = tmp_path / 'proxy-server.conf'
    conf_path.write_text('[DEFAULT]\n[pipeline:main]\npipeline = dlo proxy-server\n'
                         '[app:proxy-server]\nuse = egg:swift#proxy\n'
                         'rate_limit_after_segment = 7\nmax_get_time = 60\n')
    mw = dlo.filter_factory({'__file__': str(conf_path), 'swift_dir': str(tmp_path)})(
        FakeSwift())
    assert mw.config == DloConfig(7, 1, 60)
    # any option in the filter's own section wins over the old location
    mw = dlo.filter_factory({'__file__': str(conf_path), 'swift_dir': str(tmp_path)},
                            max_get_time='5')(FakeSwift())
    assert mw.config == DloConfig(10, 1, 5)


def test_copy_of_dlo_through_copy_middleware():
    from swift.common.middleware.copy import ServerSideCopyMiddleware
    mw, app, _logger, _clock = make()
    copier = ServerSideCopyMiddleware(mw, {})
    resp = Request.blank('/v1/a/c/man', method='COPY',
                         headers={'Destination': 'c/flat'}).get_response(copier)
    assert resp.status_int == 201
    headers, body = app.objects['/v1/a/c/flat']
    assert body == WHOLE
    assert 'X-Object-Manifest' not in headers
    assert headers['X-Object-Meta-Color'] == 'blue'
    resp = Request.blank('/v1/a/c/man?multipart-manifest=get', method='COPY',
                         headers={'Destination': 'c/man2'}).get_response(copier)
    assert resp.status_int == 201
    put = app.calls_of('PUT')[-1]
    assert put.headers['X-Object-Manifest'] == 'c/seg_'
    assert put.body == b''
