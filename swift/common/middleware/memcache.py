# The `cache` filter (Swift's memcache middleware): one MemcacheRing per process, put
# in env['swift.cache'] for the proxy and the middlewares after it. Servers come from
# the filter's memcache_servers, else <swift_dir>/memcache.conf [memcache], else
# 127.0.0.1:11211.
"""memcache middleware."""

import configparser
import os

from swift.common.config import list_from_csv
from swift.common.logs import get_logger
from swift.common.memcached import MemcacheRing

_OPTIONS = ('memcache_servers', 'memcache_max_connections', 'connect_timeout',
            'pool_timeout', 'tries', 'io_timeout')


def memcache_options(conf):
    """The effective memcache options (filter conf over memcache.conf)."""
    options = {}
    path = os.path.join(conf.get('swift_dir', '/etc/swift'), 'memcache.conf')
    parser = configparser.RawConfigParser()
    if parser.read(path) and parser.has_section('memcache'):
        options.update((k, v) for k, v in parser.items('memcache') if k in _OPTIONS)
    options.update((k, v) for k, v in conf.items() if k in _OPTIONS and v)
    options.setdefault('memcache_servers', '127.0.0.1:11211')
    return options


class MemcacheMiddleware:
    """:param app: next WSGI app; ``conf``: the options above."""

    def __init__(self, app, conf, memcache=None):
        self.app = app
        if memcache is None:
            options = memcache_options(conf)
            memcache = MemcacheRing(
                list_from_csv(options['memcache_servers']),
                connect_timeout=float(options.get('connect_timeout', 0.3)),
                io_timeout=float(options.get('io_timeout', 2.0)),
                pool_timeout=float(options.get('pool_timeout', 1.0)),
                max_connections=int(options.get('memcache_max_connections', 2)),
                tries=int(options.get('tries', 3)),
                logger=get_logger(conf, log_route='memcache'))
        self.memcache = memcache

    def __call__(self, env, start_response):
        env['swift.cache'] = self.memcache
        return self.app(env, start_response)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#memcache``)."""
    conf = dict(global_conf)
    conf.update(local_conf)
    return lambda app: MemcacheMiddleware(app, conf)
