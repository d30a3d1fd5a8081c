"""Account reaper with fake rings and a fake direct client: deleted accounts lose their
objects then containers on every replica, delay_reaping, container sharding between
account replicas, majority accounting, warnings, and the pass loop on a fake clock."""

import os

import pytest

from swift.account.backend import AccountBroker
from swift.account.reaper import AccountReaper, AccountReaperConfig
from swift.common.config import ConfigError
from swift.common.direct_client import DirectClientException
from swift.common.hashing import hash_path, md5_hex
from swift.common.header_key_dict import HeaderKeyDict
from swift.common.timestamp import Timestamp
from test.helpers.fake_clock import FakeClock
from test.unit.obj.common import CaptureLogger

NOW = 1700000000.0


def node(index, kind):
    port = {'account': 6002, 'container': 6001, 'object': 6000}[kind] + 10 * index
    return {'id': index, 'ip': '127.0.0.%d' % index, 'port': port,
            'device': 'sd%s' % 'abcd'[index - 1], 'index': index - 1}


class FakeRing:
    def __init__(self, kind, replicas=3):
        self.kind = kind
        self.nodes = [node(i, kind) for i in range(1, replicas + 1)]

    def get_part_nodes(self, part):
        return list(self.nodes)

    def get_nodes(self, account, container=None, obj=None):
        return 7, list(self.nodes)


class FakeDirect:
    """Remembers objects per container; deletes succeed unless a node is failing."""

    def __init__(self, objects, page=1000):
        self.objects = {key: sorted(names) for key, names in objects.items()}
        self.page = page
        self.calls = []
        self.failing = set()  # (kind, ip) that answer 507

    def _maybe_fail(self, kind, node_, path):
        if (kind, node_['ip']) in self.failing:
            raise DirectClientException(kind, 'DELETE', node_, 7, path, 507)

    def direct_get_container(self, node_, part, account, container, marker='', **kw):
        self.calls.append(('GET', node_['ip'], account, container, marker))
        names = [n for n in self.objects.get((account, container), []) if n > marker]
        headers = HeaderKeyDict({'X-Backend-Storage-Policy-Index': '0'})
        return headers, [{'name': n} for n in names[:self.page]]

    def direct_delete_object(self, node_, part, account, container, obj, headers=None,
                             **kw):
        self.calls.append(('DELETE-OBJ', node_['ip'], account, container, obj, headers))
        self._maybe_fail('Object', node_, obj)
        names = self.objects.get((account, container), [])
        if obj in names:
            names.remove(obj)

    def direct_delete_container(self, node_, part, account, container, headers=None, **kw):
        self.calls.append(('DELETE-CONT', node_['ip'], account, container, headers))
        self._maybe_fail('Container', node_, container)

    def deleted_containers(self):
        return sorted({c[3] for c in self.calls if c[0] == 'DELETE-CONT'})


def shard0(count, prefix='c'):
    """Container names that node index 0 (127.0.0.1/sda) reaps: md5(name) % 3 == 0."""
    names = (prefix + str(i) for i in range(1000))
    return [n for n in names if int(md5_hex(n.encode()), 16) % 3 == 0][:count]


C1, C2 = shard0(2)


def make_account_db(devices, device, account, containers, deleted_at=None,
                    partition='7'):
    hsh = hash_path(account)
    path = os.path.join(devices, device, 'accounts', partition, hsh[-3:], hsh,
                        hsh + '.db')
    broker = AccountBroker(path, account=account)
    broker.initialize(Timestamp(NOW - 1000).internal)
    for name in containers:
        broker.put_container(name, Timestamp(NOW - 900).internal, '0', 1, 10, 0)
    if deleted_at is not None:
        broker.delete_db(Timestamp(deleted_at).internal)
    return broker


def make_reaper(tmp_path, direct, clock=None, my_ips=('127.0.0.1',), **conf):
    devices = str(tmp_path / 'node')
    base = {'devices': devices, 'mount_check': 'false', 'concurrency': '4'}
    base.update(conf)
    rings = {'account': FakeRing('account'), 'container': FakeRing('container'),
             'object': FakeRing('object')}
    reaper = AccountReaper(base, logger=CaptureLogger(), clock=clock or FakeClock(NOW),
                           ring_factory=rings.__getitem__, direct_client=direct,
                           my_ips=my_ips)
    return reaper, devices


class TestReap:
    def test_deleted_account_loses_objects_then_containers_everywhere(self, tmp_path):
        direct = FakeDirect({('AUTH_a', C1): ['o1', 'o2'], ('AUTH_a', C2): ['x']})
        reaper, devices = make_reaper(tmp_path, direct)
        make_account_db(devices, 'sda', 'AUTH_a', [C1, C2], deleted_at=NOW - 10)

        [(account, stats)] = reaper.run_once()

        assert account == 'AUTH_a'
        assert direct.objects == {('AUTH_a', C1): [], ('AUTH_a', C2): []}
        assert (stats.objects_deleted, stats.containers_deleted) == (3, 2)
        assert direct.deleted_containers() == sorted([C1, C2])
        obj_deletes = [c for c in direct.calls if c[0] == 'DELETE-OBJ']
        assert len(obj_deletes) == 9  # 3 objects x 3 replicas
        assert {c[1] for c in obj_deletes} == {'127.0.0.1', '127.0.0.2', '127.0.0.3'}
        headers = obj_deletes[0][5]
        assert headers['X-Container-Partition'] == '7'
        assert headers['X-Container-Host'] == '127.0.0.1:6011'
        assert headers['X-Backend-Storage-Policy-Index'] == '0'
        assert headers['X-Timestamp'] == Timestamp(NOW).internal
        cont_headers = [c[4] for c in direct.calls if c[0] == 'DELETE-CONT']
        assert all(h['X-Account-Override-Deleted'] == 'yes' for h in cont_headers)
        assert {h['X-Account-Host'] for h in cont_headers} == {
            '127.0.0.%d:%d' % (i, 6002 + 10 * i) for i in (1, 2, 3)}
        # objects are deleted before their container
        first_cont = next(i for i, c in enumerate(direct.calls) if c[0] == 'DELETE-CONT')
        assert any(c[0] == 'DELETE-OBJ' and c[3] == direct.calls[first_cont][3]
                   for c in direct.calls[:first_cont])
        assert any('Completed pass on account AUTH_a, 2 containers deleted, 3 objects '
                   'deleted' in line for line in reaper.logger.lines_for('info'))

    def test_live_and_empty_accounts_are_left_alone(self, tmp_path):
        direct = FakeDirect({('AUTH_live', 'c'): ['o']})
        reaper, devices = make_reaper(tmp_path, direct)
        make_account_db(devices, 'sda', 'AUTH_live', ['c'])
        make_account_db(devices, 'sda', 'AUTH_empty', [], deleted_at=NOW - 10,
                        partition='8')
        assert reaper.run_once() == []
        assert direct.calls == []

    def test_delay_reaping(self, tmp_path):
        direct = FakeDirect({('AUTH_a', C1): ['o']})
        clock = FakeClock(NOW)
        reaper, devices = make_reaper(tmp_path, direct, clock=clock, delay_reaping='3600')
        make_account_db(devices, 'sda', 'AUTH_a', [C1], deleted_at=NOW - 10)
        assert reaper.run_once() == []
        clock.advance(3600)
        assert [a for a, _s in reaper.run_once()] == ['AUTH_a']

    def test_each_account_replica_reaps_its_share_of_containers(self, tmp_path):
        names = ['c%d' % i for i in range(12)]
        direct = FakeDirect({})
        reaper, devices = make_reaper(tmp_path, direct, my_ips=('127.0.0.2',))
        os.makedirs(os.path.join(devices, 'sdb'))
        make_account_db(devices, 'sdb', 'AUTH_a', names, deleted_at=NOW - 10)
        reaper.run_once()
        expected = sorted(n for n in names if int(md5_hex(n.encode()), 16) % 3 == 1)
        assert expected and direct.deleted_containers() == expected

    def test_devices_not_in_the_ring_here_are_skipped(self, tmp_path):
        direct = FakeDirect({})
        reaper, devices = make_reaper(tmp_path, direct, my_ips=('10.0.0.1',))
        make_account_db(devices, 'sda', 'AUTH_a', [C1], deleted_at=NOW - 10)
        assert reaper.run_once() == []

    def test_object_listing_is_paged(self, tmp_path):
        direct = FakeDirect({('AUTH_a', C1): ['o%d' % i for i in range(5)]}, page=2)
        reaper, devices = make_reaper(tmp_path, direct)
        make_account_db(devices, 'sda', 'AUTH_a', [C1], deleted_at=NOW - 10)
        [(_a, stats)] = reaper.run_once()
        assert stats.objects_deleted == 5
        gets = [c for c in direct.calls if c[0] == 'GET']
        assert [g[4] for g in gets] == ['', 'o1', 'o3', 'o4']
        assert {g[1] for g in gets} == {'127.0.0.3'}  # the last container node


class TestFailures:
    def test_majority_rule_and_return_codes(self, tmp_path):
        direct = FakeDirect({('AUTH_a', C1): ['o']})
        direct.failing = {('Container', '127.0.0.1'), ('Object', '127.0.0.1'),
                          ('Object', '127.0.0.2')}
        reaper, devices = make_reaper(tmp_path, direct)
        make_account_db(devices, 'sda', 'AUTH_a', [C1], deleted_at=NOW - 10)
        [(_a, stats)] = reaper.run_once()
        assert stats.containers_deleted == 1
        assert stats.objects_possibly_remaining == 1
        assert stats.return_codes[5] == 3

    def test_nothing_deleted_warns_after_reap_warn_after(self, tmp_path):
        direct = FakeDirect({('AUTH_a', C1): []})
        direct.failing = {('Container', '127.0.0.%d' % i) for i in (1, 2, 3)}
        clock = FakeClock(NOW)
        reaper, devices = make_reaper(tmp_path, direct, clock=clock,
                                      reap_warn_after='100')
        make_account_db(devices, 'sda', 'AUTH_a', [C1], deleted_at=NOW - 10)
        [(_a, stats)] = reaper.run_once()
        assert stats.containers_remaining == 1
        assert not reaper.logger.lines_for('warning')
        clock.advance(200)
        reaper.run_once()
        assert any('has not been reaped since' in line
                   for line in reaper.logger.lines_for('warning'))

    def test_missing_account_ring_is_logged_not_raised(self, tmp_path):
        def no_rings(name):
            raise OSError(2, 'No such file: %s.ring.gz' % name)
        reaper = AccountReaper({'devices': str(tmp_path), 'mount_check': 'false'},
                               logger=CaptureLogger(), clock=FakeClock(NOW),
                               ring_factory=no_rings, direct_client=FakeDirect({}))
        assert reaper.run_once() == []
        assert reaper.logger.lines_for('error')


class TestDaemon:
    def test_run_forever_sleeps_interval(self, tmp_path):
        clock = FakeClock(NOW)
        reaper, _devices = make_reaper(tmp_path, FakeDirect({}), clock=clock)
        os.makedirs(str(tmp_path / 'node'))
        original = reaper.run_once
        calls = []

        def once(**kw):
            calls.append(kw)
            if len(calls) == 3:
                reaper.stop()
            return original(**kw)
        reaper.run_once = once
        reaper.run_forever()
        assert clock.sleeps == [3600.0, 3600.0]

    def test_config(self):
        config = AccountReaperConfig.from_conf({})
        assert (config.concurrency, config.delay_reaping_s, config.interval_s) == \
            (25, 0.0, 3600.0)
        with pytest.raises(ConfigError) as info:
            AccountReaperConfig.from_conf({'delay_reaping': 'soon'})
        assert info.value.option == 'delay_reaping'
