"""Object auditor: ALL/ZBF passes, quarantine + suffix invalidation, pacing through the
injected clock, per-device resume status files, recon stats, the console entry."""

import json
import os

import pytest

from swift.common.config import ConfigError
from swift.common.recon import load_recon_cache
from swift.obj import auditor as auditor_mod
from swift.obj.auditor import (AUDIT_ALL, AUDIT_ZBF, LocationWalker, ObjectAuditor,
                               ObjectAuditorConfig)
from swift.obj.metadata import OS_XATTRS
from test.helpers.fake_clock import FakeClock
from test.unit.obj.common import CaptureLogger, make_manager, put_object


def make_auditor(tmp_path, clock=None, devices=('sda',), **conf):
    clock = clock or FakeClock(1700000100.0)
    manager = make_manager(tmp_path, devices=devices, clock=clock)
    base = {'devices': manager.config.devices, 'mount_check': 'false',
            'recon_cache_path': str(tmp_path / 'cache'),
            'swift_dir': str(tmp_path)}
    base.update(conf)
    logger = CaptureLogger()
    manager.logger = logger
    auditor = ObjectAuditor(base, logger=logger, clock=clock, manager=manager)
    return auditor, manager, clock, logger


def data_file(df):
    names = [n for n in os.listdir(df.datadir) if n.endswith('.data')]
    return os.path.join(df.datadir, names[0])


def flip_byte(path, offset=0):
    with open(path, 'r+b') as fp:
        fp.seek(offset)
        byte = fp.read(1)
        fp.seek(offset)
        fp.write(bytes([byte[0] ^ 0xff]))


def recon(tmp_path):
    return load_recon_cache(str(tmp_path / 'cache' / 'object.recon'))


def quarantined(manager, device='sda', datadir='objects'):
    path = os.path.join(manager.config.devices, device, 'quarantined', datadir)
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def hashes_invalid(df):
    part_dir = os.path.dirname(os.path.dirname(df.datadir))
    with open(os.path.join(part_dir, 'hashes.invalid')) as fp:
        return fp.read().split()


class TestAllPass:
    def test_flipped_byte_is_quarantined_and_suffix_invalidated(self, tmp_path):
        auditor, manager, _clock, logger = make_auditor(tmp_path)
        good = put_object(manager, b'good data', name=('a', 'c', 'good'))
        bad = put_object(manager, b'bad data!', name=('a', 'c', 'bad'), partition='1')
        flip_byte(data_file(bad), 3)
        # make hashes.invalid empty so we see the auditor's own invalidation
        part_dir = os.path.dirname(os.path.dirname(bad.datadir))
        open(os.path.join(part_dir, 'hashes.invalid'), 'w').close()

        stats = auditor.run_audit(AUDIT_ALL)

        assert (stats.passes, stats.quarantined, stats.errors) == (2, 1, 0)
        assert stats.bytes_processed == len(b'good data') + len(b'bad data!')
        assert not os.path.exists(bad.datadir)
        assert os.path.isdir(good.datadir)
        assert quarantined(manager) == [bad.object_hash]
        assert hashes_invalid(bad) == [bad.object_hash[-3:]]
        assert any('failed audit and was quarantined' in line and 'md5' in line
                   for line in logger.lines_for('error'))

    def test_recon_cache_gets_swift_keys(self, tmp_path):
        auditor, manager, clock, _ = make_auditor(tmp_path)
        put_object(manager, b'x' * 100)
        auditor.run_once()
        cache = recon(tmp_path)
        entry = cache['object_auditor_stats_ALL']
        assert set(entry) == {'errors', 'passes', 'quarantined', 'bytes_processed',
                              'start_time', 'audit_time'}
        assert (entry['passes'], entry['bytes_processed'], entry['quarantined']) == \
            (1, 100, 0)
        assert cache['object_auditor_stats_ZBF']['passes'] == 1
        assert cache['object_auditor_stats_ZBF']['bytes_processed'] == 0

    def test_size_mismatch_is_found_by_zbf_pass(self, tmp_path):
        auditor, manager, _clock, _logger = make_auditor(tmp_path)
        df = put_object(manager, b'0123456789')
        with open(data_file(df), 'r+b') as fp:
            fp.truncate(4)
        stats = auditor.run_audit(AUDIT_ZBF)
        assert stats.quarantined == 1
        assert quarantined(manager) == [df.object_hash]

    def test_zbf_pass_does_not_read_bytes(self, tmp_path):
        auditor, manager, _clock, _logger = make_auditor(tmp_path)
        df = put_object(manager, b'0123456789')
        flip_byte(data_file(df))
        stats = auditor.run_audit(AUDIT_ZBF)
        assert (stats.passes, stats.quarantined, stats.bytes_processed) == (1, 0, 0)
        assert os.path.isdir(df.datadir)
        assert auditor.run_audit(AUDIT_ALL).quarantined == 1

    def test_corrupt_metadata_is_quarantined(self, tmp_path):
        auditor, manager, _clock, _logger = make_auditor(tmp_path)
        df = put_object(manager, b'abc')
        OS_XATTRS.set(data_file(df), 'user.swift.metadata', b'not a pickle')
        stats = auditor.run_audit(AUDIT_ALL)
        assert stats.quarantined == 1
        assert quarantined(manager) == [df.object_hash]

    def test_empty_object_and_tombstones_and_policy_dirs(self, tmp_path):
        auditor, manager, clock, _logger = make_auditor(tmp_path)
        put_object(manager, b'', name=('a', 'c', 'empty'))
        gone = put_object(manager, b'soon gone', name=('a', 'c', 'gone'))
        gone.delete('1700000001.00000')
        put_object(manager, b'silver', name=('a', 'c2', 'o'), policy_index=1)
        stats = auditor.run_audit(AUDIT_ALL)
        assert (stats.passes, stats.quarantined, stats.errors) == (3, 0, 0)
        assert stats.bytes_processed == len(b'silver')

    def test_old_tombstone_invalidates_suffix_for_reclaim(self, tmp_path):
        auditor, manager, clock, _logger = make_auditor(tmp_path)
        df = put_object(manager, b'x', name=('a', 'c', 'old'))
        df.delete('1700000001.00000')
        part_dir = os.path.dirname(os.path.dirname(df.datadir))
        open(os.path.join(part_dir, 'hashes.invalid'), 'w').close()
        auditor.run_audit(AUDIT_ALL)
        assert hashes_invalid(df) == []
        clock.advance(manager.config.reclaim_age_s + 10)
        auditor.run_audit(AUDIT_ALL)
        assert hashes_invalid(df) == [df.object_hash[-3:]]

    def test_unexpected_error_counts_and_pass_goes_on(self, tmp_path, monkeypatch):
        auditor, manager, _clock, logger = make_auditor(tmp_path)
        put_object(manager, b'one', name=('a', 'c', 'o1'))
        put_object(manager, b'two', name=('a', 'c', 'o2'))
        calls = []

        def broken(self, df):
            calls.append(df)
            if len(calls) == 1:
                raise OSError(5, 'EIO')
        monkeypatch.setattr(auditor_mod.AuditorWorker, '_check', broken)
        stats = auditor.run_audit(AUDIT_ALL)
        assert (stats.errors, stats.passes) == (1, 1)
        assert len(calls) == 2
        assert logger.lines_for('exception')

    def test_unmounted_device_is_skipped(self, tmp_path):
        clock = FakeClock(1700000100.0)
        manager = make_manager(tmp_path, devices=('sda', 'sdb'), clock=clock)
        put_object(manager, b'on sda', device='sda')
        put_object(manager, b'on sdb', device='sdb')
        conf = {'devices': manager.config.devices, 'mount_check': 'true',
                'recon_cache_path': str(tmp_path / 'cache')}
        auditor = ObjectAuditor(conf, logger=CaptureLogger(), clock=clock,
                                manager=manager,
                                is_mount=lambda path: path.endswith('sda'))
        stats = auditor.run_audit(AUDIT_ALL)
        assert stats.passes == 1
        assert any('sdb' in line for line in auditor.logger.lines_for('warning'))

    def test_devices_override(self, tmp_path):
        auditor, manager, _clock, _logger = make_auditor(tmp_path, devices=('sda', 'sdb'))
        put_object(manager, b'on sda', device='sda')
        put_object(manager, b'on sdb', device='sdb')
        results = auditor.run_once(devices='sdb')
        assert results[AUDIT_ALL].passes == 1
        assert results[AUDIT_ALL].bytes_processed == len(b'on sdb')


class TestPacing:
    def test_files_per_second_sleeps_on_the_fake_clock(self, tmp_path):
        auditor, manager, clock, _ = make_auditor(tmp_path, files_per_second='2')
        for index in range(10):
            put_object(manager, b'', name=('a', 'c', 'o%d' % index))
        start = clock.monotonic()
        stats = auditor.run_audit(AUDIT_ALL)
        assert stats.passes == 10
        elapsed = clock.monotonic() - start
        # 10 files at 2/s book 5 s; the last booking is not slept
        assert 4.0 <= elapsed <= 5.0
        assert clock.sleeps and all(s > 0 for s in clock.sleeps)

    def test_bytes_per_second(self, tmp_path):
        auditor, manager, clock, _ = make_auditor(
            tmp_path, files_per_second='0', bytes_per_second='1000')
        for index in range(4):
            put_object(manager, b'x' * 1000, name=('a', 'c', 'o%d' % index))
        start = clock.monotonic()
        auditor.run_audit(AUDIT_ALL)
        assert 2.0 <= clock.monotonic() - start <= 4.0

    def test_unlimited_never_sleeps(self, tmp_path):
        auditor, manager, clock, _ = make_auditor(
            tmp_path, files_per_second='0', bytes_per_second='0')
        for index in range(5):
            put_object(manager, b'abc', name=('a', 'c', 'o%d' % index))
        auditor.run_audit(AUDIT_ALL)
        assert clock.sleeps == []

    def test_zbf_uses_its_own_rate(self, tmp_path):
        auditor, manager, clock, _ = make_auditor(
            tmp_path, files_per_second='1', zero_byte_files_per_second='10')
        for index in range(11):
            put_object(manager, b'', name=('a', 'c', 'o%d' % index))
        start = clock.monotonic()
        auditor.run_audit(AUDIT_ZBF)
        assert 0.5 <= clock.monotonic() - start <= 1.1


class TestResume:
    def test_status_file_lists_remaining_partitions_and_is_removed(self, tmp_path):
        auditor, manager, clock, logger = make_auditor(tmp_path)
        for partition in ('1', '2', '3'):
            put_object(manager, b'x', name=('a', 'c', 'p' + partition),
                       partition=partition)
        datadir = os.path.join(manager.config.devices, 'sda', 'objects')
        status_path = os.path.join(datadir, 'auditor_status_ALL.json')
        walker = LocationWalker(auditor.config, AUDIT_ALL, clock, logger)
        locations = walker()
        first = next(locations)
        assert first.partition == '1'
        with open(status_path) as fp:
            assert json.load(fp) == {'partitions': ['1', '2', '3']}
        clock.advance(61)
        assert next(locations).partition == '2'
        with open(status_path) as fp:
            assert json.load(fp) == {'partitions': ['2', '3']}
        assert [loc.partition for loc in locations] == ['3']
        assert not os.path.exists(status_path)

    def test_restart_resumes_from_status_file(self, tmp_path):
        auditor, manager, _clock, _ = make_auditor(tmp_path)
        for partition in ('1', '2', '3'):
            put_object(manager, b'x', name=('a', 'c', 'p' + partition),
                       partition=partition)
        datadir = os.path.join(manager.config.devices, 'sda', 'objects')
        with open(os.path.join(datadir, 'auditor_status_ALL.json'), 'w') as fp:
            json.dump({'partitions': ['3']}, fp)
        assert auditor.run_audit(AUDIT_ALL).passes == 1
        # ZBF keeps its own status; next ALL pass starts over
        assert auditor.run_audit(AUDIT_ALL).passes == 3

    def test_corrupt_status_file_means_full_pass(self, tmp_path):
        auditor, manager, _clock, logger = make_auditor(tmp_path)
        put_object(manager, b'x', partition='5')
        datadir = os.path.join(manager.config.devices, 'sda', 'objects')
        with open(os.path.join(datadir, 'auditor_status_ALL.json'), 'w') as fp:
            fp.write('{not json')
        assert auditor.run_audit(AUDIT_ALL).passes == 1
        assert logger.lines_for('warning')


class TestDaemon:
    def test_run_once_with_zero_byte_fps_runs_only_zbf(self, tmp_path):
        auditor, manager, _clock, _ = make_auditor(tmp_path)
        put_object(manager, b'data')
        auditor.run_once()
        results = auditor.run_once(zero_byte_fps=5)
        assert list(results) == [AUDIT_ZBF]
        cache = recon(tmp_path)
        assert 'object_auditor_stats_ALL' not in cache
        assert cache['object_auditor_stats_ZBF']['passes'] == 1

    def test_zbf_disabled_by_config(self, tmp_path):
        auditor, manager, _clock, _ = make_auditor(tmp_path,
                                                   zero_byte_files_per_second='0')
        put_object(manager, b'data')
        assert list(auditor.run_once()) == [AUDIT_ALL]

    def test_run_forever_sleeps_between_passes_via_clock(self, tmp_path):
        auditor, manager, clock, _ = make_auditor(tmp_path, interval='30',
                                                  files_per_second='0')
        put_object(manager, b'data')
        passes = []
        original = auditor.run_once

        def counting(**kwargs):
            passes.append(kwargs)
            result = original(**kwargs)
            if len(passes) == 3:
                auditor.stop()
            return result
        auditor.run_once = counting
        auditor.run_forever()
        assert len(passes) == 3
        assert passes[0]['mode'] == 'forever'
        assert clock.sleeps == [30.0, 30.0]

    def test_progress_is_logged_and_dumped_every_log_time(self, tmp_path):
        auditor, manager, clock, logger = make_auditor(
            tmp_path, files_per_second='1', log_time='2')
        for index in range(6):
            put_object(manager, b'', name=('a', 'c', 'o%d' % index))
        auditor.run_audit(AUDIT_ALL)
        progress = [line for line in logger.lines_for('info')
                    if line.startswith('Object audit (ALL). Since')]
        assert len(progress) >= 2

    def test_config_errors_name_the_option(self):
        with pytest.raises(ConfigError) as info:
            ObjectAuditorConfig.from_conf({'files_per_second': 'fast'})
        assert info.value.option == 'files_per_second'
        assert ObjectAuditorConfig.from_conf({}).bytes_per_second == 10000000


class TestMain:
    def test_missing_swift_conf_is_a_one_line_error(self, tmp_path, capsys):
        conf = tmp_path / 'object-server.conf'
        conf.write_text('[DEFAULT]\nswift_dir = %s\ndevices = %s\nmount_check = false\n'
                        'log_file = %s\n[object-auditor]\n'
                        % (tmp_path / 'nowhere', tmp_path, tmp_path / 'log'))
        assert auditor_mod.main([str(conf), 'once']) == 1
        err = capsys.readouterr().err
        assert err.startswith('Error: ') and err.count('\n') == 1

    def test_bad_zero_byte_fps(self, capsys):
        assert auditor_mod.main(['x.conf', '-z', 'lots']) == 2
        assert 'zero_byte_fps' in capsys.readouterr().err

    def test_pop_zero_byte_fps(self):
        assert auditor_mod._pop_zero_byte_fps(['c.conf', '-z', '7', 'once']) == \
            (['c.conf', 'once'], 7)
        assert auditor_mod._pop_zero_byte_fps(['--zero_byte_fps=3', 'c']) == (['c'], 3)
