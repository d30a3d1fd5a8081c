import pytest

from swift.common.constraints import Constraints
from swift.common.hashing import HashPathConfig
from swift.proxy.server import Application
from test.helpers.fake_clock import FakeClock
from test.unit.proxy.fakes import FakeCluster, FakeRing, two_policies


class CapturingLogger:
    """Logger stand-in that keeps (level, message) lines; exceptions keep the
    traceback text so a failing test shows it."""

    txn_id = None
    client_ip = None

    def __init__(self):
        self.lines = []

    def _log(self, level, msg, *args, **_kw):
        self.lines.append((level, msg % args if args else msg))

    def exception(self, msg, *args, **kw):
        import traceback
        self._log('exception', msg + '\n' + traceback.format_exc(), *args)

    def error(self, msg, *args, **kw):
        self._log('error', msg, *args)

    def warning(self, msg, *args, **kw):
        self._log('warning', msg, *args)

    def info(self, msg, *args, **kw):
        self._log('info', msg, *args)

    def debug(self, msg, *args, **kw):
        self._log('debug', msg, *args)

    def get_lines(self, level):
        return [line for lvl, line in self.lines if lvl == level]


class KeepOrder:
    """An rng whose shuffle keeps ring order (tests choose node order explicitly)."""

    def shuffle(self, items):
        pass


class DictCache:
    """memcache stand-in: get/set/delete with recorded TTLs."""

    def __init__(self):
        self.data = {}
        self.ttls = {}

    def get(self, key):
        return self.data.get(key)

    def set(self, key, value, time=0, **_kw):
        self.data[key] = value
        self.ttls[key] = time
        return True

    def delete(self, key):
        self.data.pop(key, None)
        return True

    def incr(self, key, delta=1, time=0):
        self.data[key] = int(self.data.get(key, 0)) + delta
        return self.data[key]


@pytest.fixture
def cluster():
    return FakeCluster()


@pytest.fixture
def clock():
    return FakeClock(start=1700000000.0)


@pytest.fixture
def cache():
    return DictCache()


@pytest.fixture
def make_app(cluster, clock, cache):
    def make(conf=None, **kwargs):
        settings = dict(account_ring=FakeRing(port_base=6200, name='account'),
                        container_ring=FakeRing(port_base=6100, name='container'),
                        object_rings={0: FakeRing(port_base=6000),
                                      1: FakeRing(replicas=2, port_base=7000)},
                        policies=two_policies(), constraints=Constraints(),
                        http_connect=cluster.http_connect, clock=clock,
                        hash_config=HashPathConfig(b'pre', b'suf'), memcache=cache,
                        rng=KeepOrder())
        settings.update(kwargs)
        logger = kwargs.pop('logger', None) or CapturingLogger()
        return Application(dict({'account_autocreate': 'true'}, **(conf or {})),
                           logger=logger, **settings)
    return make


@pytest.fixture
def app(make_app):
    application = make_app()
    yield application
    assert not application.logger.get_lines('exception'), \
        application.logger.get_lines('exception')[0]
