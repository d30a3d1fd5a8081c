import pytest

from swift.common.config import ConfigError
from swift.common.middleware import ratelimit
from swift.common.middleware.ratelimit import (RateLimitMiddleware, get_maxrate,
                                               interpret_conf_limits)
from swift.common.swob import Request
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_clock import FakeClock
from test.helpers.fake_swift import FakeMemcache, FakeSwift


class StuckClock(FakeClock):
    """Records sleeps without time passing: models many requests at one instant."""

    def sleep(self, seconds):
        self.sleeps.append(seconds)


def make(clock=None, object_count=0, account_headers=None, **conf):
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    app.register('HEAD', '/v1/a/c', 204, {'X-Container-Object-Count': str(object_count)})
    app.register('HEAD', '/v1/a', 204, account_headers or {})
    app.register('PUT', '/v1/a/c', 201)
    clock = clock or FakeClock()
    mw = RateLimitMiddleware(app, conf, logger=DebugLogger(), clock=clock)
    return mw, app, clock


def call(mw, path, method='PUT', memcache=None, body=b''):
    env = {'swift.cache': memcache} if memcache is not None else {}
    return Request.blank(path, environ=env, method=method, body=body).get_response(mw)


def test_account_ratelimit_paces_container_writes():
    mw, _app, clock = make(account_ratelimit='1')
    cache = FakeMemcache()
    for _ in range(5):
        assert call(mw, '/v1/a/c', 'PUT', cache).status_int == 201
    assert clock.sleeps == [1.0, 1.0, 1.0, 1.0]
    assert {key for key, _delta in cache.incr_calls} == {'ratelimit/a'}


def test_account_ratelimit_ignores_objects_and_reads():
    mw, _app, clock = make(account_ratelimit='1')
    cache = FakeMemcache()
    for _ in range(3):
        call(mw, '/v1/a/c/o', 'PUT', cache)
        call(mw, '/v1/a/c', 'HEAD', cache)
    assert clock.sleeps == [] and cache.incr_calls == []


def test_max_sleep_answers_498_and_undoes_booking():
    mw, app, clock = make(clock=StuckClock(), account_ratelimit='1',
                          max_sleep_time_seconds='2')
    cache = FakeMemcache()
    statuses = [call(mw, '/v1/a/c', 'PUT', cache).status_int for _ in range(4)]
    assert statuses == [201, 201, 498, 498]
    resp = call(mw, '/v1/a/c', 'PUT', cache)
    assert (resp.status, resp.body) == ('498 Rate Limited', b'Slow down')
    assert clock.sleeps == [1.0]
    # the refused requests did not move the schedule on
    now_m = int(round(clock.time() * 1000))
    assert int(cache.store['ratelimit/a']) == now_m + 2000
    assert 'Returning 498 for PUT to a/c' in mw.logger.lines['error'][0]
    assert len(app.calls_of('PUT')) == 2


def test_rate_buffer_restarts_schedule_after_idle():
    mw, _app, clock = make(account_ratelimit='1')
    cache = FakeMemcache()
    call(mw, '/v1/a/c', 'PUT', cache)
    call(mw, '/v1/a/c', 'PUT', cache)
    assert clock.sleeps == [1.0]
    clock.advance(6)    # idle longer than rate_buffer_seconds (5)
    call(mw, '/v1/a/c', 'PUT', cache)
    assert clock.sleeps == [1.0]


def test_container_ratelimit_by_size():
    mw, _app, clock = make(object_count=150, container_ratelimit_100='10',
                           container_ratelimit_200='5')
    cache = FakeMemcache()
    for method in ('PUT', 'POST', 'DELETE', 'COPY'):
        call(mw, '/v1/a/c/o', method, cache)
    # 150 objects: 7.5 req/s -> 133 ms per request
    assert [delta for _key, delta in cache.incr_calls] == [133] * 4
    assert {key for key, _delta in cache.incr_calls} == {'ratelimit/a/c'}
    assert clock.sleeps == pytest.approx([0.133, 0.133, 0.133])


def test_small_container_is_not_limited():
    mw, _app, clock = make(object_count=5, container_ratelimit_100='10')
    cache = FakeMemcache()
    call(mw, '/v1/a/c/o', 'PUT', cache)
    assert cache.incr_calls == []


def test_container_listing_ratelimit():
    mw, _app, clock = make(object_count=1000, container_listing_ratelimit_0='2')
    cache = FakeMemcache()
    for _ in range(3):
        call(mw, '/v1/a/c', 'GET', cache)
    call(mw, '/v1/a/c/o', 'GET', cache)
    assert {key for key, _delta in cache.incr_calls} == {'ratelimit_listing/a/c'}
    assert clock.sleeps == [0.5, 0.5]


def test_blacklist_and_whitelist():
    mw, app, clock = make(account_ratelimit='1', account_blacklist='a, b',
                          account_whitelist='w')
    cache = FakeMemcache()
    resp = call(mw, '/v1/a/c', 'GET', cache)
    assert (resp.status, resp.body) == ('497 Blacklisted',
                                        b'Your account has been blacklisted')
    assert clock.sleeps == [1]
    assert app.calls_of('GET') == []
    app.register('HEAD', '/v1/w', 204, {})
    app.register('PUT', '/v1/w/c', 201)
    for _ in range(3):
        assert call(mw, '/v1/w/c', 'PUT', cache).status_int == 201
    assert cache.incr_calls == []
    assert any('deprecated' in line for line in mw.logger.lines['warning'])


@pytest.mark.parametrize('value,expected', [('WHITELIST', []), ('BLACKLIST', None)])
def test_global_ratelimit_sysmeta_lists(value, expected):
    mw, _app, clock = make(account_ratelimit='1', account_headers={
        'X-Account-Sysmeta-Global-Write-Ratelimit': value})
    cache = FakeMemcache()
    resp = call(mw, '/v1/a/c', 'PUT', cache)
    if expected is None:
        assert resp.status_int == 497
    else:
        assert resp.status_int == 201 and cache.incr_calls == expected


def test_global_write_ratelimit_number():
    mw, _app, clock = make(account_headers={
        'X-Account-Sysmeta-Global-Write-Ratelimit': '4'})
    cache = FakeMemcache()
    call(mw, '/v1/a/c/o', 'PUT', cache)
    call(mw, '/v1/a/c/o', 'POST', cache)
    call(mw, '/v1/a/c/o', 'GET', cache)
    assert cache.incr_calls == [('ratelimit/global-write/a', 250)] * 2
    assert clock.sleeps == [0.25]


def test_no_memcache_or_other_paths_pass_through():
    mw, app, clock = make(account_ratelimit='1')
    for _ in range(3):
        assert call(mw, '/v1/a/c').status_int == 201
    assert 'Cannot ratelimit without a memcached client' in \
        mw.logger.lines['warning'][-1]
    cache = FakeMemcache()
    call(mw, '/info', 'GET', cache)
    call(mw, '/v2/a/c', 'PUT', cache)
    assert cache.incr_calls == [] and clock.sleeps == []


def test_subrequests_are_limited_once():
    mw, _app, clock = make(account_ratelimit='1')
    cache = FakeMemcache()
    env = {'swift.cache': cache, 'swift.ratelimit.handled': True}
    Request.blank('/v1/a/c', environ=env, method='PUT').get_response(mw)
    assert cache.incr_calls == []


def test_memcache_down_means_no_sleep():
    class DownMemcache(FakeMemcache):
        def incr(self, *args, **kwargs):
            return None
    mw, _app, clock = make(account_ratelimit='1')
    cache = DownMemcache()
    for _ in range(3):
        assert call(mw, '/v1/a/c', 'PUT', cache).status_int == 201
    assert clock.sleeps == []


def test_maxrate_interpolation():
    lines, info = interpret_conf_limits(
        {'container_ratelimit_100': '10', 'container_ratelimit_200': '5',
         'container_ratelimit_50': '20', 'other': '1'}, 'container_ratelimit_')
    assert info == [[50, 20.0], [100, 10.0], [200, 5.0]]
    assert get_maxrate(lines, 0) is None
    assert get_maxrate(lines, 49) is None
    assert get_maxrate(lines, 50) == 20
    assert get_maxrate(lines, 75) == 15
    assert get_maxrate(lines, 150) == 7.5
    assert get_maxrate(lines, 10 ** 6) == 5


def test_info_and_factory():
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    ratelimit.filter_factory({}, account_ratelimit='2', container_ratelimit_10='3',
                             container_listing_ratelimit_20='4')(app)
    assert app.info_registry.sections['ratelimit'] == {
        'account_ratelimit': 2.0, 'max_sleep_time_seconds': 60.0,
        'container_ratelimits': [[10, 3.0]],
        'container_listing_ratelimits': [[20, 4.0]]}
    with pytest.raises(ConfigError):
        ratelimit.filter_factory({}, container_ratelimit_x='3')
    with pytest.raises(ConfigError):
        ratelimit.filter_factory({}, account_ratelimit='fast')
