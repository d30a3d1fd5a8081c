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


def quarantine_dir(devices):
    return devices / 'sda' / 'quarantined' / 'containers'


def test_every_account_node_404_quarantines_the_stub(tmp_path):
    broker = make_db(tmp_path)
    hash_dir = os.path.dirname(broker.db_file)
    connect = FakeConnect({ip: 404 for ip in ('10.0.0.1', '10.0.0.2', '10.0.0.3')})
    updater = make_updater(tmp_path, connect)
    stats = updater.run_once()
    assert (stats.successes, stats.failures, stats.quarantines) == (0, 1, 1)
    assert not os.path.exists(hash_dir)
    moved = quarantine_dir(tmp_path) / os.path.basename(hash_dir)
    assert os.path.exists(moved / os.path.basename(broker.db_file))
    assert updater.account_suppressions == {}       # not a down server: no suppression
    connect.calls.clear()
    assert updater.run_once().quarantines == 0      # nothing left to report
    assert connect.calls == []


@pytest.mark.parametrize('statuses', [
    {'10.0.0.1': 404, '10.0.0.2': 404, '10.0.0.3': 503},
    {'10.0.0.1': 404, '10.0.0.2': 404, '10.0.0.3': OSError('down')},
    {'10.0.0.1': 404, '10.0.0.2': 404},             # third is 201: still no majority
])
def test_some_404s_only_suppress(tmp_path, statuses):
    broker = make_db(tmp_path)
    updater = make_updater(tmp_path, FakeConnect(statuses))
    stats = updater.run_once()
    assert (stats.failures, stats.quarantines) == (1, 0)
    assert os.path.exists(broker.db_file)
    assert 'AUTH_a' in updater.account_suppressions
    assert not os.path.exists(quarantine_dir(tmp_path))


class GreenConnect(FakeConnect):
    """Yields to other green threads inside each request, counting how many overlap."""

    def __init__(self):
        super().__init__({})
        self.in_flight = self.peak = 0

    def __call__(self, *args, **kwargs):
        from swift.common import concurrency
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        concurrency.sleep(0)
        concurrency.sleep(0)
        self.in_flight -= 1
        return super().__call__(*args, **kwargs)


def make_in_partition(devices, part, name):
    path = os.path.join(str(devices), 'sda', 'containers', str(part), 'abc',
                        name + 'hash', name + 'hash.db')
    broker = ContainerBroker(path, account='AUTH_a', container=name)
    broker.initialize(ts(1), 0)
    return broker


@pytest.mark.parametrize('concurrency, peak', [('1', 3), ('2', 6), ('4', 12)])
def test_concurrency_bounds_parallel_partitions(tmp_path, concurrency, peak):
    for part in range(6):
        make_in_partition(tmp_path, part, 'c%d' % part)
    connect = GreenConnect()
    conf = {'devices': str(tmp_path), 'mount_check': 'false', 'concurrency': concurrency,
            'recon_cache_path': str(tmp_path / 'recon'), 'containers_per_second': '0'}
    updater = ContainerUpdater(conf, logger=NullLogger(), clock=FakeClock(),
                               account_ring=FakeRing(), http_connect=connect)
    assert updater.run_once().successes == 6
    # 3 account nodes are asked at once per container, `concurrency` containers at once
    assert connect.peak == peak
    assert len(connect.calls) == 18


def test_per_policy_totals_reach_the_account(tmp_path):
    """Containers in two policies -> updater -> a real account server: the account's
    per-policy headers add up (and follow a container recreated in another policy)."""
    from swift.account.server import AccountController, AccountServerConfig
    from swift.common.hashing import HashPathConfig
    from swift.common.storage_policy import StoragePolicy, StoragePolicyCollection
    from swift.common.swob import Request
    policies = StoragePolicyCollection([StoragePolicy(0, 'gold', is_default=True),
                                        StoragePolicy(1, 'silver')])
    acct_devices = tmp_path / 'acct'
    (acct_devices / 'sda').mkdir(parents=True)
    account_app = AccountController(
        AccountServerConfig(devices=str(acct_devices), mount_check=False),
        logger=NullLogger(), policies=policies, hash_config=HashPathConfig(b'p', b's'))

    def call(method, path, headers):
        return Request.blank(path, method=method, headers=headers).get_response(
            account_app)
    assert call('PUT', '/sda/7/AUTH_a', {'X-Timestamp': ts(0)}).status_int == 201

    def account_connect(ip, port, device, part, method, path, headers=None):
        resp = call(method, '/%s/%s%s' % (device, part, path),
                    {k: str(v) for k, v in headers.items()})

        class Resp:
            status = resp.status_int

            def read(self):
                return b''

        class Conn:
            def getresponse(self):
                return Resp()
        return Conn()

    class OneNodeRing:
        def get_nodes(self, account):
            return 7, [{'ip': '127.0.0.1', 'port': 1, 'device': 'sda'}]

    gold = make_db(tmp_path, 'g', objects=(('o1', 10), ('o2', 20)))
    silver_path = os.path.join(str(tmp_path), 'sda', 'containers', '3', 'abc', 'shash',
                               'shash.db')
    silver = ContainerBroker(silver_path, account='AUTH_a', container='s')
    silver.initialize(ts(1), 1)
    silver.put_object('x', ts(2), 7, 't', 'e', storage_policy_index=1)
    conf = {'devices': str(tmp_path), 'mount_check': 'false',
            'recon_cache_path': str(tmp_path / 'recon')}
    updater = ContainerUpdater(conf, logger=NullLogger(), clock=FakeClock(),
                               account_ring=OneNodeRing(), http_connect=account_connect)
    assert updater.run_once().successes == 2
    head = call('HEAD', '/sda/7/AUTH_a', {}).headers
    assert (head['X-Account-Container-Count'], head['X-Account-Object-Count'],
            head['X-Account-Bytes-Used']) == ('2', '3', '37')
    assert (head['X-Account-Storage-Policy-Gold-Container-Count'],
            head['X-Account-Storage-Policy-Gold-Object-Count'],
            head['X-Account-Storage-Policy-Gold-Bytes-Used']) == ('1', '2', '30')
    assert (head['X-Account-Storage-Policy-Silver-Container-Count'],
            head['X-Account-Storage-Policy-Silver-Object-Count'],
            head['X-Account-Storage-Policy-Silver-Bytes-Used']) == ('1', '1', '7')
    # gold container emptied, deleted and recreated in silver
    gold.delete_object('o1', ts(3))
    gold.delete_object('o2', ts(3))
    gold.delete_db(ts(4))
    gold.set_storage_policy_index(1, timestamp=ts(5))
    gold.update_put_timestamp(ts(5))
    assert updater.run_once().successes == 1
    head = call('HEAD', '/sda/7/AUTH_a', {}).headers
    assert head['X-Account-Storage-Policy-Gold-Container-Count'] == '0'
    assert head['X-Account-Storage-Policy-Gold-Bytes-Used'] == '0'
    assert (head['X-Account-Storage-Policy-Silver-Container-Count'],
            head['X-Account-Storage-Policy-Silver-Object-Count']) == ('2', '1')
