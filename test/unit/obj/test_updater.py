"""swift-object-updater: replay, newest-wins, partial success, quarantine, pacing."""

import os
import shutil

import pytest

from swift.common.config import ConfigError
from swift.obj.async_pending import make_update, read_async_pending, write_async_pending
from swift.obj.updater import ObjectUpdater, ObjectUpdaterConfig
from test.helpers.fake_clock import FakeClock
from test.unit.obj.common import CaptureLogger, FakeHTTP, FakeResponse
from test.unit.obj.golden import fixture_path, load_json

HASH = 'f' * 29 + 'abc'


class FakeRing:
    """Container ring stand-in: every name maps to partition 9 on ``nodes``."""

    def __init__(self, count=3):
        self.nodes = [{'id': i, 'ip': '10.0.0.%d' % (i + 1), 'port': 6201,
                       'device': 'sd%s' % 'abc'[i]} for i in range(count)]
        self.asked = []

    def get_nodes(self, account, container=None, obj=None):
        self.asked.append((account, container))
        return 9, [dict(node) for node in self.nodes]


def make_updater(tmp_path, http=None, ring=None, clock=None, **conf):
    devices = tmp_path / 'node'
    (devices / 'sda').mkdir(parents=True, exist_ok=True)
    full_conf = {'devices': str(devices), 'mount_check': 'false',
                 'recon_cache_path': str(tmp_path / 'recon')}
    full_conf.update(conf)
    return ObjectUpdater(full_conf, logger=CaptureLogger(), clock=clock or FakeClock(),
                         container_ring=ring or FakeRing(), http_connect=http or FakeHTTP())


def write_pending(updater, timestamp, op='PUT', obj='o', object_hash=HASH, policy=0,
                  device='sda'):
    update = make_update(op, 'a', 'c', obj, {'X-Timestamp': timestamp, 'X-Size': '1',
                                             'X-Backend-Storage-Policy-Index': policy})
    return write_async_pending(os.path.join(updater.config.devices, device), policy,
                               object_hash, timestamp, update)


def test_config_defaults_and_errors():
    config = ObjectUpdaterConfig.from_conf({})
    assert (config.interval_s, config.concurrency, config.objects_per_second,
            config.node_timeout_s) == (300.0, 8, 50.0, 10.0)
    assert ObjectUpdaterConfig.from_conf({'slowdown': '0.5'}).objects_per_second == 2.0
    with pytest.raises(ConfigError) as caught:
        ObjectUpdaterConfig.from_conf({'concurrency': 'many'})
    assert caught.value.option == 'concurrency'


def test_swift_written_async_pendings_are_replayed_and_unlinked(tmp_path):
    http = FakeHTTP()
    updater = make_updater(tmp_path, http=http)
    fixture = load_json('async_pending', 'async_pending.json')
    device_root = os.path.join(updater.config.devices, 'sda')
    for entry in fixture['async_pending'][:3]:  # node1: d1 (2 files) + d2 (policy 1)
        target = os.path.join(device_root, entry['path'])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        flat = '%s_%s_%s' % (entry['node'], entry['device'],
                             entry['path'].replace('/', '_'))
        shutil.copy(fixture_path('async_pending', 'files', flat), target)
    stats = updater.run_pass()
    assert (stats.successes, stats.failures, stats.unlinks) == (3, 0, 3)
    assert len(http.requests) == 9  # 3 updates x 3 container replicas
    by_obj = {}
    for sent in http.requests:
        by_obj.setdefault(sent['path'], []).append(sent)
    put = by_obj['/AUTH_test/fixtures/async-put.txt'][0]
    assert put['method'] == 'PUT' and put['partition'] == '9'
    assert put['headers']['X-Size'] == '41'
    assert put['headers']['X-Etag'] == 'fcedfa8100e249ea200e66242e849ef2'
    assert put['headers']['User-Agent'] == 'object-updater %d' % os.getpid()
    assert by_obj['/AUTH_test/fixtures/async-del.txt'][0]['method'] == 'DELETE'
    silver = by_obj['/AUTH_test/fixtures-silver/async-silver.txt'][0]
    assert silver['headers']['X-Backend-Storage-Policy-Index'] == '1'
    leftovers = [f for _, _, files in os.walk(device_root) for f in files]
    assert leftovers == []


def test_newest_update_wins_and_older_ones_are_unlinked_unsent(tmp_path):
    http = FakeHTTP()
    updater = make_updater(tmp_path, http=http)
    old = write_pending(updater, '1700000001.00000', op='PUT')
    new = write_pending(updater, '1700000002.00000', op='DELETE')
    stats = updater.run_pass()
    assert {r['method'] for r in http.requests} == {'DELETE'}
    assert len(http.requests) == 3
    assert not os.path.exists(old) and not os.path.exists(new)
    assert (stats.successes, stats.unlinks) == (1, 2)


def test_partial_success_is_remembered_and_only_failed_nodes_retried(tmp_path):
    http = FakeHTTP([201, 503, 201])
    updater = make_updater(tmp_path, http=http)
    path = write_pending(updater, '1700000001.00000')
    stats = updater.run_pass()
    assert (stats.successes, stats.failures) == (0, 1)
    assert read_async_pending(path)['successes'] == [0, 2]
    http.requests.clear()
    stats = updater.run_pass()
    assert [r['ip'] for r in http.requests] == ['10.0.0.2']
    assert stats.successes == 1 and not os.path.exists(path)


def test_all_nodes_down_leaves_file_for_next_pass(tmp_path):
    http = FakeHTTP([ConnectionRefusedError(111, 'down')] * 3)
    updater = make_updater(tmp_path, http=http)
    path = write_pending(updater, '1700000001.00000')
    with open(path, 'rb') as fp:
        before = fp.read()
    stats = updater.run_pass()
    assert stats.failures == 1 and os.path.exists(path)
    with open(path, 'rb') as fp:
        assert fp.read() == before  # nothing new learnt: file untouched
    assert len(http.requests) == 3  # one try per node per pass


def test_redirect_records_shard_container(tmp_path):
    http = FakeHTTP([FakeResponse(301, {'Location': '/.shards_a/c-shard-1/o'}), 201,
                     201])
    updater = make_updater(tmp_path, http=http)
    path = write_pending(updater, '1700000001.00000')
    stats = updater.run_pass()
    assert stats.redirects == 1
    assert read_async_pending(path)['container_path'] == '.shards_a/c-shard-1'
    http.requests.clear()
    updater.run_pass()
    assert http.requests[0]['path'] == '/.shards_a/c-shard-1/o'
    assert updater.container_ring.asked[-1] == ('.shards_a', 'c-shard-1')


def test_unreadable_pending_is_quarantined(tmp_path):
    updater = make_updater(tmp_path)
    path = write_pending(updater, '1700000001.00000')
    with open(path, 'wb') as fp:
        fp.write(b'garbage, not a pickle')
    stats = updater.run_pass()
    assert stats.quarantines == 1
    assert os.path.exists(os.path.join(updater.config.devices, 'sda', 'quarantined',
                                       'objects', os.path.basename(path)))


def test_unexpected_names_are_skipped(tmp_path):
    http = FakeHTTP()
    updater = make_updater(tmp_path, http=http)
    junk = os.path.join(updater.config.devices, 'sda', 'async_pending', 'abc', 'junk')
    os.makedirs(os.path.dirname(junk))
    with open(junk, 'w') as fp:
        fp.write('x')
    updater.run_pass()
    assert http.requests == [] and os.path.exists(junk)
    assert updater.logger.lines_for('warning')


def test_device_and_policy_filters_and_mount_check(tmp_path):
    http = FakeHTTP()
    updater = make_updater(tmp_path, http=http)
    (tmp_path / 'node' / 'sdb').mkdir()
    write_pending(updater, '1700000001.00000', device='sda')
    write_pending(updater, '1700000001.00000', device='sdb', policy=1)
    assert updater.run_pass(devices='sdb', policies='0').successes == 0
    assert updater.run_pass(devices='sdb').successes == 1
    checked = make_updater(tmp_path, http=http, mount_check='true')
    checked.is_mount = lambda path: False
    assert checked.run_pass().successes == 0
    assert checked.logger.lines_for('warning')


def test_pacing_goes_through_the_clock(tmp_path):
    clock = FakeClock()
    updater = make_updater(tmp_path, clock=clock, objects_per_second='2')
    for index in range(4):
        write_pending(updater, '1700000001.00000', object_hash='%031x%d' % (0, index))
    updater.run_pass()
    assert sum(clock.sleeps) == pytest.approx(1.5)


def test_run_forever_sleeps_the_interval(tmp_path):
    clock = FakeClock()
    updater = make_updater(tmp_path, clock=clock, interval='300')

    def sleep(seconds):
        clock.sleeps.append(seconds)
        if len(clock.sleeps) == 2:
            updater.stop()
    clock.sleep = sleep
    updater.run_forever()
    assert clock.sleeps == [300.0, 300.0]
    assert updater.passes == 2


def test_recon_stats_written(tmp_path):
    import json
    updater = make_updater(tmp_path)
    write_pending(updater, '1700000001.00000')
    updater.run_pass()
    with open(tmp_path / 'recon' / 'object.recon') as fp:
        recon = json.load(fp)
    assert recon['object_updater_stats']['successes'] == 1
    assert 'object_updater_sweep' in recon
    assert updater.statistics()['totals'].successes == 1


def test_max_objects_per_container_per_second_skips_the_rest(tmp_path):
    http = FakeHTTP()
    updater = make_updater(tmp_path, http=http, objects_per_second='0',
                           max_objects_per_container_per_second='2')
    paths = [write_pending(updater, '1700000001.00000',
                           object_hash='%031x%d' % (0, index)) for index in range(5)]
    stats = updater.run_pass()
    assert (stats.successes, stats.skips) == (2, 3)
    assert sum(os.path.exists(p) for p in paths) == 3
    updater.clock.advance(1)
    assert updater.run_pass().successes == 2
