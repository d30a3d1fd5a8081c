"""Account and container auditors: good DBs pass (including Swift 2.38's own files),
corrupt ones are quarantined, account stats are cross-checked, pacing and the pass
loop run on a fake clock, recon keys are Swift's."""

import os
import shutil

import pytest

from swift.account.auditor import AccountAuditor
from swift.account.backend import AccountBroker
from swift.common.config import ConfigError
from swift.common.db_auditor import DatabaseAuditorConfig
from swift.common.hashing import hash_path
from swift.common.recon import load_recon_cache
from swift.common.timestamp import Timestamp
from swift.container.auditor import ContainerAuditor
from swift.container.backend import ContainerBroker
from test.helpers.fake_clock import FakeClock
from test.unit.obj.common import CaptureLogger
from test.unit.obj.golden import fixture_path

NOW = 1700000000.0


def db_path(devices, kind, name_parts, device='sda', partition='3'):
    hsh = hash_path(*name_parts)
    return os.path.join(devices, device, kind + 's', partition, hsh[-3:], hsh,
                        hsh + '.db')


def make_account(devices, account, containers=(), **kw):
    broker = AccountBroker(db_path(devices, 'account', (account,), **kw), account=account)
    broker.initialize(Timestamp(NOW - 100).internal)
    for name in containers:
        broker.put_container(name, Timestamp(NOW - 50).internal, '0', 2, 20, 0)
    broker.get_info()
    return broker


def make_container(devices, account, container, objects=0, **kw):
    broker = ContainerBroker(db_path(devices, 'container', (account, container), **kw),
                             account=account, container=container)
    broker.initialize(Timestamp(NOW - 100).internal, 0)
    for index in range(objects):
        broker.put_object('o%05d' % index, Timestamp(NOW - 50).internal, 10,
                          'text/plain', 'd41d8cd98f00b204e9800998ecf8427e')
    broker.get_info()
    return broker


def make_auditor(cls, tmp_path, clock=None, **conf):
    base = {'devices': str(tmp_path / 'node'), 'mount_check': 'false',
            'recon_cache_path': str(tmp_path / 'cache')}
    base.update(conf)
    return cls(base, logger=CaptureLogger(), clock=clock or FakeClock(NOW))


def quarantined(devices, kind, device='sda'):
    path = os.path.join(devices, device, 'quarantined', kind + 's')
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


class TestPasses:
    def test_good_dbs_pass_and_recon_has_swift_keys(self, tmp_path):
        devices = str(tmp_path / 'node')
        make_account(devices, 'AUTH_a', ['c1', 'c2'])
        make_account(devices, 'AUTH_b', partition='9')
        auditor = make_auditor(AccountAuditor, tmp_path)
        stats = auditor.run_once()
        assert (stats['passed'], stats['failed']) == (2, 0)
        cache = load_recon_cache(str(tmp_path / 'cache' / 'account.recon'))
        assert cache['account_audits_passed'] == 2
        assert cache['account_audits_failed'] == 0
        assert cache['account_audits_since'] == NOW
        assert 'account_auditor_pass_completed' in cache

    def test_garbage_db_is_quarantined(self, tmp_path):
        devices = str(tmp_path / 'node')
        good = make_container(devices, 'AUTH_a', 'good', objects=2)
        bad = make_container(devices, 'AUTH_a', 'bad', partition='4')
        with open(bad.db_file, 'wb') as fp:
            fp.write(b'this is not sqlite at all' * 200)
        auditor = make_auditor(ContainerAuditor, tmp_path)
        stats = auditor.run_once()
        assert (stats['passed'], stats['failed'], stats['quarantined']) == (1, 1, 1)
        assert quarantined(devices, 'container') == [os.path.basename(bad.db_dir)]
        assert not os.path.exists(bad.db_dir)
        assert os.path.exists(good.db_file)
        cache = load_recon_cache(str(tmp_path / 'cache' / 'container.recon'))
        assert cache['container_audits_failed'] == 1
        assert any('Audit Failed' in line for line in auditor.logger.lines_for('error'))

    def test_damaged_page_is_found_by_quick_check(self, tmp_path):
        devices = str(tmp_path / 'node')
        broker = make_container(devices, 'AUTH_a', 'big', objects=400)
        size = os.path.getsize(broker.db_file)
        assert size > 8 * 4096
        with open(broker.db_file, 'r+b') as fp:
            for page in range(2, size // 4096):
                fp.seek(page * 4096 + 8)
                fp.write(b'\xff' * 64)
        auditor = make_auditor(ContainerAuditor, tmp_path)
        assert auditor.run_once()['quarantined'] == 1
        assert quarantined(devices, 'container') == [os.path.basename(broker.db_dir)]

    def test_account_stats_mismatch_fails_without_quarantine(self, tmp_path):
        devices = str(tmp_path / 'node')
        broker = make_account(devices, 'AUTH_a', ['c1'])
        with broker.get() as conn:
            conn.execute('UPDATE policy_stat SET object_count = 99')
            conn.commit()
        auditor = make_auditor(AccountAuditor, tmp_path)
        stats = auditor.run_once()
        assert (stats['passed'], stats['failed'], stats['quarantined']) == (0, 1, 0)
        assert os.path.exists(broker.db_file)
        assert any('does not match the sum of object_count' in line
                   for line in auditor.logger.lines_for('error'))

    def test_deleted_dbs_are_not_counted(self, tmp_path):
        devices = str(tmp_path / 'node')
        broker = make_container(devices, 'AUTH_a', 'gone')
        broker.delete_db(Timestamp(NOW).internal)
        stats = make_auditor(ContainerAuditor, tmp_path).run_once()
        assert (stats['passed'], stats['failed']) == (0, 0)

    def test_swift_238_dbs_pass(self, tmp_path):
        devices = str(tmp_path / 'node')
        for kind, name, parts in (
                ('account', 'account-AUTH_test.db', ('AUTH_test',)),
                ('container', 'container-AUTH_test-fixtures.db',
                 ('AUTH_test', 'fixtures'))):
            target = db_path(devices, kind, parts)
            os.makedirs(os.path.dirname(target))
            shutil.copy(fixture_path('dbs', name), target)
        assert make_auditor(AccountAuditor, tmp_path).run_once()['passed'] == 1
        assert make_auditor(ContainerAuditor, tmp_path).run_once()['passed'] == 1


class TestPacingAndLoop:
    def test_dbs_per_second_on_fake_clock(self, tmp_path):
        devices = str(tmp_path / 'node')
        for index in range(9):
            make_container(devices, 'AUTH_a', 'c%d' % index)
        clock = FakeClock(NOW)
        auditor = make_auditor(ContainerAuditor, tmp_path, clock=clock,
                               containers_per_second='4')
        start = clock.monotonic()
        assert auditor.run_once()['passed'] == 9
        assert 1.5 <= clock.monotonic() - start <= 2.1

    def test_progress_dumped_every_log_time(self, tmp_path):
        devices = str(tmp_path / 'node')
        for index in range(6):
            make_account(devices, 'AUTH_%d' % index)
        clock = FakeClock(NOW)
        auditor = make_auditor(AccountAuditor, tmp_path, clock=clock,
                               accounts_per_second='1', log_time='2')
        auditor.run_once()
        lines = [l for l in auditor.logger.lines_for('info') if l.startswith('Since ')]
        assert len(lines) >= 3

    def test_run_forever_sleeps_interval(self, tmp_path):
        clock = FakeClock(NOW)
        auditor = make_auditor(AccountAuditor, tmp_path, clock=clock)
        original = auditor.run_once
        calls = []

        def once(**kw):
            calls.append(kw)
            if len(calls) == 2:
                auditor.stop()
            return original(**kw)
        auditor.run_once = once
        auditor.run_forever()
        assert clock.sleeps == [1800.0]
        assert calls[0]['mode'] == 'forever'

    def test_config_option_names(self):
        assert DatabaseAuditorConfig.from_conf({}, 'account').dbs_per_second == 200
        with pytest.raises(ConfigError) as info:
            DatabaseAuditorConfig.from_conf({'containers_per_second': 'x'}, 'container')
        assert info.value.option == 'containers_per_second'
