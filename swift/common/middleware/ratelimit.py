# Write rate limits per account and container through memcache (Swift's ratelimit).
# Rules (Swift's, swift-catalog.md 7):
#   * account_ratelimit (req/s, 0 = off) limits container PUT/DELETE per account
#     (key ``ratelimit/<account>``);
#   * container_ratelimit_<N> = R limits object PUT/DELETE/POST/COPY in a container
#     holding >= N objects (key ``ratelimit/<account>/<container>``), the rate
#     interpolated linearly between configured sizes, flat past the largest one;
#   * container_listing_ratelimit_<N> = R limits container GETs the same way (key
#     ``ratelimit_listing/<account>/<container>``);
#   * account sysmeta Global-Write-Ratelimit: a number adds a per-account write limit
#     (key ``ratelimit/global-write/<account>``), WHITELIST / BLACKLIST like the lists;
#   * each key holds a running schedule in units of 1/clock_accuracy s advanced with
#     memcache incr by 1/rate; a request ahead of the schedule sleeps the difference;
#     if that would reach max_sleep_time_seconds the booking is undone and the answer
#     is ``498 Rate Limited`` / ``Slow down``; a schedule more than rate_buffer_seconds
#     behind restarts at now;
#   * account_blacklist -> ``497 Blacklisted`` / ``Your account has been blacklisted``
#     (after a 1 s sleep); account_whitelist is never limited;
#   * no memcache in env['swift.cache'] -> no limiting (warned once); memcache errors
#     -> no sleep.
"""ratelimit middleware."""

from dataclasses import dataclass, field

from swift.common.clock import REAL_CLOCK
from swift.common.config import ConfigError, list_from_csv
from swift.common.constraints import VALID_API_VERSIONS
from swift.common.logs import get_logger
from swift.common.swob import Request, Response
from swift.proxy.controllers.info import register_swift_info
from swift.proxy.info_cache import get_account_info, get_container_info

BLACK_LIST_SLEEP_S = 1
WRITE_METHODS = ('PUT', 'DELETE', 'POST', 'COPY')


class MaxSleepTimeHitError(Exception):
    """The sleep a request needs reaches max_sleep_time_seconds.

    :ivar sleep_s: the sleep that would have been needed, in seconds.
    """

    def __init__(self, sleep_s):
        super().__init__('Max Sleep Time Exceeded: %.2f' % sleep_s)
        self.sleep_s = sleep_s


class RateLine:
    """One ``<prefix><size> = <rate>`` point and the line to the next point."""

    def __init__(self, size, rate, next_point=None):
        self.size = size
        self.rate = rate
        self.slope = 0.0
        if next_point is not None:
            next_size, next_rate = next_point
            self.slope = (float(next_rate) - rate) / (next_size - size)

    def rate_for(self, size):
        """Requests per second allowed for a container of ``size`` objects."""
        return (size - self.size) * self.slope + self.rate


def interpret_conf_limits(conf, name_prefix):
    """Parse ``<name_prefix><size> = <rate>`` options (Swift's rule).

    :returns: (list of :class:`RateLine` sorted by size, [[size, rate], ...] for /info).
    :raises ConfigError: for a non-integer size or non-number rate.
    """
    points = []
    for key, value in conf.items():
        if not key.startswith(name_prefix):
            continue
        try:
            points.append((int(key[len(name_prefix):]), float(value)))
        except ValueError:
            raise ConfigError('%s: need <prefix><int size> = <float rate>, got %r'
                              % (key, value), option=key)
    points.sort()
    lines = [RateLine(size, rate, points[i + 1] if i + 1 < len(points) else None)
             for i, (size, rate) in enumerate(points)]
    return lines, [list(point) for point in points]


def get_maxrate(rate_lines, size):
    """Requests/s allowed for a container of ``size`` objects, or None (no limit).

    Sizes below the smallest configured size (or an empty container) are unlimited.
    """
    if not size:
        return None
    size = int(size)
    chosen = None
    for line in rate_lines:
        if size < line.size:
            break
        chosen = line
    return chosen.rate_for(size) if chosen else None


def _float_option(conf, name, default):
    try:
        return float(conf.get(name, default))
    except ValueError:
        raise ConfigError('%s must be a number, got %r' % (name, conf.get(name)),
                          option=name)


@dataclass(frozen=True)
class RateLimitConfig:
    """The ratelimit options (Swift's names and defaults)."""
    account_ratelimit: float = 0.0            # container PUT/DELETE per s per account
    max_sleep_time_seconds: float = 60.0      # longer needed sleeps answer 498
    log_sleep_time_seconds: float = 0.0       # log sleeps longer than this (0 = never)
    clock_accuracy: int = 1000                # schedule units per second
    rate_buffer_seconds: int = 5              # burst allowance after idleness
    account_whitelist: tuple = ()
    account_blacklist: tuple = ()
    container_ratelimits: list = field(default_factory=list)
    container_listing_ratelimits: list = field(default_factory=list)
    container_ratelimits_info: list = field(default_factory=list)
    container_listing_ratelimits_info: list = field(default_factory=list)

    @classmethod
    def from_conf(cls, conf):
        """Build from a paste conf dict.

        :raises ConfigError: naming the bad option.
        """
        container_lines, container_info = interpret_conf_limits(
            conf, 'container_ratelimit_')
        listing_lines, listing_info = interpret_conf_limits(
            conf, 'container_listing_ratelimit_')
        clock_accuracy = int(_float_option(conf, 'clock_accuracy', 1000))
        if clock_accuracy <= 0:
            raise ConfigError('clock_accuracy must be > 0', option='clock_accuracy')
        return cls(
            account_ratelimit=_float_option(conf, 'account_ratelimit', 0),
            max_sleep_time_seconds=_float_option(conf, 'max_sleep_time_seconds', 60),
            log_sleep_time_seconds=_float_option(conf, 'log_sleep_time_seconds', 0),
            clock_accuracy=clock_accuracy,
            rate_buffer_seconds=int(_float_option(conf, 'rate_buffer_seconds', 5)),
            account_whitelist=tuple(list_from_csv(conf.get('account_whitelist', ''))),
            account_blacklist=tuple(list_from_csv(conf.get('account_blacklist', ''))),
            container_ratelimits=container_lines,
            container_listing_ratelimits=listing_lines,
            container_ratelimits_info=container_info,
            container_listing_ratelimits_info=listing_info)


class RateLimitMiddleware:
    """Sleeps or refuses requests over the configured rates (see module doc).

    :param app: next WSGI app.
    :param conf: :class:`RateLimitConfig` or a paste conf dict.
    :param logger: logger (default ``get_logger(conf, log_route='ratelimit')``).
    :param clock: :class:`swift.common.clock.Clock` used to read time and sleep.
    """

    def __init__(self, app, conf, *, logger=None, clock=None):
        self.app = app
        raw = conf if isinstance(conf, dict) else {}
        self.config = conf if isinstance(conf, RateLimitConfig) \
            else RateLimitConfig.from_conf(conf)
        self.logger = logger or get_logger(raw, log_route='ratelimit')
        self.clock = clock or REAL_CLOCK
        self.warned_no_memcache = False
        if self.config.account_whitelist:
            self.logger.warning('Option account_whitelist is deprecated. Use an internal '
                                'client to POST a `X-Account-Sysmeta-Global-Write-'
                                'Ratelimit: WHITELIST` header to the specific accounts '
                                'instead.')
        if self.config.account_blacklist:
            self.logger.warning('Option account_blacklist is deprecated. Use an internal '
                                'client to POST a `X-Account-Sysmeta-Global-Write-'
                                'Ratelimit: BLACKLIST` header to the specific accounts '
                                'instead.')
        register_swift_info(
            app, 'ratelimit', account_ratelimit=self.config.account_ratelimit,
            max_sleep_time_seconds=self.config.max_sleep_time_seconds,
            container_ratelimits=self.config.container_ratelimits_info,
            container_listing_ratelimits=self.config.container_listing_ratelimits_info)

    # -- which limits apply
    def container_size(self, env):
        """Object count of the request's container (0 when unknown)."""
        info = get_container_info(env, self.app, swift_source='RL')
        try:
            return int(info.get('object_count') or 0)
        except (TypeError, ValueError):
            return 0

    def ratelimit_keys(self, req, account, container, obj, global_ratelimit):
        """[(memcache key, max requests per second)] to check, in order."""
        keys = []
        if self.config.account_ratelimit and container and not obj and \
                req.method in ('PUT', 'DELETE'):
            keys.append(('ratelimit/%s' % account, self.config.account_ratelimit))
        if container and obj and req.method in WRITE_METHODS:
            rate = get_maxrate(self.config.container_ratelimits,
                               self.container_size(req.environ))
            if rate:
                keys.append(('ratelimit/%s/%s' % (account, container), rate))
        if container and not obj and req.method == 'GET':
            rate = get_maxrate(self.config.container_listing_ratelimits,
                               self.container_size(req.environ))
            if rate:
                keys.append(('ratelimit_listing/%s/%s' % (account, container), rate))
        if req.method in WRITE_METHODS and global_ratelimit:
            try:
                rate = float(global_ratelimit)
            except ValueError:
                rate = 0
            if rate > 0:
                keys.append(('ratelimit/global-write/%s' % account, rate))
        return keys

    # -- the schedule
    def get_sleep_time(self, memcache, key, max_rate):
        """Book one request on ``key``'s schedule; seconds to sleep first.

        :raises MaxSleepTimeHitError: when the sleep would reach the maximum (the
            booking is undone).
        """
        accuracy = self.config.clock_accuracy
        now_m = int(round(self.clock.time() * accuracy))
        time_per_request_m = int(round(accuracy / max_rate))
        running_time_m = memcache.incr(key, delta=time_per_request_m)
        if running_time_m is None:   # memcache unavailable: do not limit
            return 0.0
        need_to_sleep_m = 0
        if now_m - running_time_m > self.config.rate_buffer_seconds * accuracy:
            memcache.set(key, str(int(now_m + time_per_request_m)), serialize=False)
        else:
            need_to_sleep_m = max(running_time_m - now_m - time_per_request_m, 0)
        max_sleep_m = self.config.max_sleep_time_seconds * accuracy
        if max_sleep_m - need_to_sleep_m <= accuracy * 0.01:
            memcache.decr(key, delta=time_per_request_m)
            raise MaxSleepTimeHitError(float(need_to_sleep_m) / accuracy)
        return float(need_to_sleep_m) / accuracy

    def handle_ratelimit(self, req, memcache, account, container, obj):
        """None to let ``req`` through (after any sleep), else a 497/498 Response."""
        if req.environ.get('swift.ratelimit.handled'):
            return None
        req.environ['swift.ratelimit.handled'] = True
        info = get_account_info(req.environ, self.app, swift_source='RL')
        global_ratelimit = (info.get('sysmeta') or {}).get('global-write-ratelimit')
        if account in self.config.account_whitelist or global_ratelimit == 'WHITELIST':
            return None
        if account in self.config.account_blacklist or global_ratelimit == 'BLACKLIST':
            self.logger.error('Returning 497 because of blacklisting: %s', account)
            self.clock.sleep(BLACK_LIST_SLEEP_S)
            return Response(status='497 Blacklisted', request=req,
                            body=b'Your account has been blacklisted')
        for key, max_rate in self.ratelimit_keys(req, account, container, obj,
                                                 global_ratelimit):
            try:
                need_to_sleep = self.get_sleep_time(memcache, key, max_rate)
            except MaxSleepTimeHitError as err:
                path = '/'.join(p for p in (account, container, obj) if p)
                self.logger.error('Returning 498 for %s to %s. Ratelimit (Max Sleep) %s',
                                  req.method, path, err)
                return Response(status='498 Rate Limited', request=req,
                                body=b'Slow down')
            if self.config.log_sleep_time_seconds and \
                    need_to_sleep > self.config.log_sleep_time_seconds:
                self.logger.warning('Ratelimit sleep log: %s for %s/%s/%s',
                                    need_to_sleep, account, container, obj)
            if need_to_sleep > 0:
                self.clock.sleep(need_to_sleep)
        return None

    def __call__(self, env, start_response):
        memcache = env.get('swift.cache')
        if memcache is None:
            if not self.warned_no_memcache:
                self.logger.warning('Warning: Cannot ratelimit without a memcached client')
                self.warned_no_memcache = True
            return self.app(env, start_response)
        req = Request(env)
        parts = req.split_path_or_none(1, 4, True)
        if parts is None:
            return self.app(env, start_response)
        version, account, container, obj = parts
        if version not in VALID_API_VERSIONS or not account:
            return self.app(env, start_response)
        resp = self.handle_ratelimit(req, memcache, account, container, obj)
        if resp is None:
            return self.app(env, start_response)
        return resp(env, start_response)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#ratelimit``)."""
    conf = dict(global_conf)
    conf.update(local_conf)
    RateLimitConfig.from_conf(conf)   # fail fast at load time on a bad option
    return lambda app: RateLimitMiddleware(app, conf)
