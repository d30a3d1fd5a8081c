"""ContainerUpdater: reports changed stats to a majority of account nodes, records them,
suppresses failing accounts, skips unchanged/auto-created DBs; no real sleeps."""

import os

import pytest

from swift.common.timestamp import Timestamp
from swift.container.backend import ContainerBroker
from swift.container.updater import ContainerUpdater, ContainerUpdaterConfig
from test.helpers.fake_clock import FakeClock


class NullLogger:
    def __init__(self):
        self.errors = []

    def exception(self, msg, *args, **kwargs):
        self.errors.append(msg % args)

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class FakeRing:
    nodes = [{'ip': '10.0.0.%d' % i, 'port': 6202, 'device': 'sd%s' % 'abc'[i - 1]}
             for i in (1, 2, 3)]

    def get_nodes(self, account):
        return 7, list(self.nodes)


class FakeConnect:
    def __init__(self, statuses):
        self.statuses = statuses            # ip -> status or exception
        self.calls = []

    def __call__(self, ip, port, device, partition, method, path, headers=None):
        self.calls.append((ip, device, partition, method, path, dict(headers)))
        outcome = self.statuses.get(ip, 201)
        if isinstance(outcome, Exception):
            raise outcome

        class Resp:
            status = outcome

            def read(self):
                return b''

        class Conn:
            def getresponse(self):
                return Resp()
        return Conn()


def ts(n):
    return Timestamp(1700000000 + n).internal


def make_db(devices, name='c', put=1, objects=((('o', 5),))):
    path = os.path.join(str(devices), 'sda', 'containers', '3', 'abc', name + 'hash',
                        name + 'hash.db')
    broker = ContainerBroker(path, account='AUTH_a', container=name)
    broker.initialize(ts(put) if put else None, 0)
    for obj, size in objects:
        broker.put_object(obj, ts(2), size, 't', 'e')
    return broker


def make_updater(devices, connect, clock=None):
    conf = {'devices': str(devices), 'mount_check': 'false', 'interval': '300',
            'recon_cache_path': str(devices / 'recon'), 'containers_per_second': '10'}
    return ContainerUpdater(conf, logger=NullLogger(), clock=clock or FakeClock(),
                            account_ring=FakeRing(), http_connect=connect)


def test_config_defaults_and_errors():
    config = ContainerUpdaterConfig.from_conf({})
    assert (config.interval_s, config.concurrency, config.account_suppression_time_s,
            config.node_timeout_s, config.conn_timeout_s) == (300, 4, 60, 3, 0.5)
    from swift.common.config import ConfigError
    with pytest.raises(ConfigError) as err:
        ContainerUpdaterConfig.from_conf({'node_timeout': 'soon'})
    assert err.value.option == 'node_timeout'


def test_reports_changed_container_and_records_it(tmp_path):
    broker = make_db(tmp_path)
    connect = FakeConnect({})
    updater = make_updater(tmp_path, connect)
    stats = updater.run_once()
    assert (stats.successes, stats.failures, stats.no_changes) == (1, 0, 0)
    assert [c[0] for c in connect.calls] == ['10.0.0.1', '10.0.0.2', '10.0.0.3']
    ip, device, part, method, path, headers = connect.calls[0]
    assert (device, part, method, path) == ('sda', 7, 'PUT', '/AUTH_a/c')
    assert headers['X-Put-Timestamp'] == ts(1)
    assert headers['X-Object-Count'] == 1 and headers['X-Bytes-Used'] == 5
    assert headers['X-Account-Override-Deleted'] == 'yes'
    assert headers['X-Backend-Storage-Policy-Index'] == 0
    info = broker.get_info()
    assert (info['reported_object_count'], info['reported_bytes_used']) == (1, 5)
    # second pass: nothing changed
    connect.calls.clear()
    stats = updater.run_once()
    assert (stats.successes, stats.no_changes) == (0, 1)
    assert connect.calls == []
    assert os.path.exists(tmp_path / 'recon' / 'container.recon')


def test_majority_is_enough(tmp_path):
    make_db(tmp_path)
    updater = make_updater(tmp_path, FakeConnect({'10.0.0.3': OSError('down')}))
    assert updater.run_once().successes == 1
    assert any('10.0.0.3' in line for line in updater.logger.errors)


def test_failure_suppresses_account(tmp_path):
    broker = make_db(tmp_path)
    clock = FakeClock(start=1800000000)
    connect = FakeConnect({'10.0.0.1': 503, '10.0.0.2': OSError('x')})
    updater = make_updater(tmp_path, connect, clock)
    assert updater.run_once().failures == 1
    assert broker.get_info()['reported_object_count'] == 0
    connect.calls.clear()
    connect.statuses = {}
    updater.run_once()
    assert connect.calls == []              # suppressed for 60 s
    clock.advance(61)
    assert updater.run_once().successes == 1


def test_autocreated_container_not_reported(tmp_path):
    make_db(tmp_path, put=None)
    connect = FakeConnect({})
    make_updater(tmp_path, connect).run_once()
    assert connect.calls == []


def test_rate_limit_uses_clock_not_real_sleep(tmp_path):
    for name in 'xyz':
        make_db(tmp_path, name)
    clock = FakeClock()
    updater = make_updater(tmp_path, FakeConnect({}), clock)
    assert updater.run_once().successes == 3
    assert len(clock.sleeps) == 3 and all(s == pytest.approx(0.1) for s in clock.sleeps)


def test_unmounted_devices_skipped(tmp_path):
    make_db(tmp_path)
    conf = {'devices': str(tmp_path), 'mount_check': 'true',
            'recon_cache_path': str(tmp_path / 'recon')}
    connect = FakeConnect({})
    updater = ContainerUpdater(conf, logger=NullLogger(), clock=FakeClock(),
                               account_ring=FakeRing(), http_connect=connect)
    updater.run_once()
    assert connect.calls == []


def test_run_forever_sleeps_interval(tmp_path):
    make_db(tmp_path)
    clock = FakeClock()
    updater = make_updater(tmp_path, FakeConnect({}), clock)
    real_run_once = updater.run_once

    def run_once(**kwargs):
        result = real_run_once(**kwargs)
        if updater.passes >= 1:
            updater.stop()
        return result
    updater.run_once = run_once
    updater.run_forever()
    assert updater.passes == 2
    assert 300 - 1 <= max(clock.sleeps) <= 300
