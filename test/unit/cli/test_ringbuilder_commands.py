"""swift-ring-builder sub-commands: syntax forms, output and effects."""

import os
import shutil

import pytest

from swift.cli.ringbuilder import main
from swift.common.ring import RingBuilder, RingData
from test.helpers.fake_clock import FakeClock
from test.unit.common.ring.golden_files import golden_path

LATER = 1795989487 + 7200


@pytest.fixture
def ring_dir(tmp_path, monkeypatch):
    for name in ('object.builder', 'object.ring.gz'):
        shutil.copy(golden_path(name), tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *argv, clock=None):
    code = main(list(argv), clock=clock or FakeClock(LATER))
    captured = capsys.readouterr()
    assert 'Traceback' not in captured.out + captured.err
    return code, captured.out


def load(ring_dir, name='object.builder'):
    return RingBuilder.load(str(ring_dir / name))


def test_add_several_devices_ipv6_hostname_and_replication(ring_dir, capsys):
    code, out = run(capsys, 'object.builder', 'add',
                    'r3z1-[FE80::1]:6200R[fe80::2]:6300/sdx_fast', '50',
                    'z4-storage.example.com:6200/sdy', '60')
    assert code == 0
    assert out.splitlines() == [
        'Device d12r3z1-[fe80::1]:6200R[fe80::2]:6300/sdx_"fast" with 50.0 '
        'weight got id 12',
        'Device d13r1z4-storage.example.com:6200R'
        'storage.example.com:6200/sdy_"" with 60.0 weight got id 13']
    builder = load(ring_dir)
    assert builder.devs[12]['replication_port'] == 6300
    assert builder.devs[13]['region'] == 1
    assert builder.devs_changed


def test_add_option_form(ring_dir, capsys):
    code, out = run(capsys, 'object.builder', 'add', '--region', '2',
                    '--zone', '7', '--ip', '10.0.0.7', '--port', '6200',
                    '--device', 'sdz', '--weight', '10', '--meta', 'm')
    assert code == 0
    assert out == ('Device d12r2z7-10.0.0.7:6200R10.0.0.7:6200/sdz_"m" with '
                   '10.0 weight got id 12\n')


def test_search_forms(ring_dir, capsys):
    code, out = run(capsys, 'object.builder', 'search', 'z2-127.0.0.2')
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[1:]] == ['8', '9']
    code, out = run(capsys, 'object.builder', 'search', '--zone', '3',
                    '--device', 'sdb')
    assert [line.split()[0] for line in out.splitlines()[1:]] == ['5', '11']
    code, out = run(capsys, 'object.builder', 'search', 'r1z1-127.0.0.1:6010/sdb')
    assert [line.split()[0] for line in out.splitlines()[1:]] == ['1']


def test_list_parts_several_devices_orders_by_matches(ring_dir, capsys):
    code, out = run(capsys, 'object.builder', 'list_parts', 'd0', 'd6', 'd2')
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == 'Partition   Matches'
    counts = [int(line.split()[1]) for line in lines[1:]]
    assert counts == sorted(counts, reverse=True)
    assert lines[1] == '        0         3'     # part 0 is on 0, 6 and 2


def test_set_weight_region_zone(ring_dir, capsys):
    code, out = run(capsys, 'object.builder', 'set_weight', 'd0', '55.5',
                    'd1', '66')
    assert code == 0
    assert out.splitlines() == [
        'd0r1z1-127.0.0.1:6010R127.0.0.1:6010/sda_"" weight set to 55.5',
        'd1r1z1-127.0.0.1:6010R127.0.0.1:6010/sdb_"" weight set to 66.0']
    code, out = run(capsys, 'object.builder', 'set_zone', 'd0', '9')
    assert out == 'd0r1z9-127.0.0.1:6010R127.0.0.1:6010/sda_"" zone set to 9\n'
    code, out = run(capsys, 'object.builder', 'set_region', 'z9', '4')
    assert out == 'd0r4z9-127.0.0.1:6010R127.0.0.1:6010/sda_"" region set to 4\n'
    builder = load(ring_dir)
    assert (builder.devs[0]['weight'], builder.devs[0]['region'],
            builder.devs[0]['zone']) == (55.5, 4, 9)
    assert builder.version == 13 + 4


def test_set_weight_many_with_yes(ring_dir, capsys):
    code, out = run(capsys, 'object.builder', 'set_weight', 'r2', '1', '--yes')
    assert code == 0
    assert out.startswith('Matched more than one device:\n')
    assert [d['weight'] for d in load(ring_dir).devs[6:]] == [1.0] * 6


def test_set_info_value_and_option_forms(ring_dir, capsys):
    code, out = run(capsys, 'object.builder', 'set_info', 'd0',
                    '10.0.0.1:7000R10.0.1.1:7001/sdq_new')
    assert code == 0
    assert out == ('Device d0r1z1-127.0.0.1:6010R127.0.0.1:6010/sda_"" is now '
                   'd0r1z1-10.0.0.1:7000R10.0.1.1:7001/sdq_"new"\n')
    code, out = run(capsys, 'object.builder', 'set_info', '--id', '1',
                    '--change-meta', 'hot', '--change-port', '7002')
    assert code == 0
    dev = load(ring_dir).devs[1]
    assert (dev['port'], dev['meta']) == (7002, 'hot')
    code, out = run(capsys, 'object.builder', 'set_info', 'd2', '_only-meta')
    assert load(ring_dir).devs[2]['meta'] == 'only-meta'


def test_remove_marks_device_and_rebalance_drops_it(ring_dir, capsys):
    code, out = run(capsys, 'object.builder', 'remove', 'd11')
    assert code == 0
    assert out == ('d11r2z3-127.0.0.2:6030R127.0.0.2:6030/sdb_"" marked for '
                   'removal and will be removed next rebalance.\n')
    code, out = run(capsys, 'object.builder')
    assert 'sdb 220.00' not in out
    assert out.splitlines()[-1].endswith('  DEL ')
    code, out = run(capsys, 'object.builder', 'rebalance', '--seed', '3')
    assert code in (0, 1)
    builder = load(ring_dir)
    assert builder.devs[11] is None
    assert all(11 not in row for row in builder._replica2part2dev)
    assert RingData.load(str(ring_dir / 'object.ring.gz')).devs[11] is None


def test_set_replicas_min_part_hours_overload(ring_dir, capsys):
    code, out = run(capsys, 'object.builder', 'set_replicas', '2.5')
    assert (code, out) == (0, 'The replica count is now 2.500000.\n'
                              'The change will take effect after the next '
                              'rebalance.\n')
    code, out = run(capsys, 'object.builder', 'set_min_part_hours', '0')
    assert out == ('The minimum number of hours before a partition can be '
                   'reassigned is now set to 0\n')
    code, out = run(capsys, 'object.builder', 'set_overload', '2')
    assert code == 1
    assert out.startswith('!?! Warning overload is greater than 100% !?!\n'
                          'The overload factor is now 200.00% (2.000000)\n')
    code, out = run(capsys, 'object.builder', 'rebalance')
    builder = load(ring_dir)
    assert [len(row) for row in builder._replica2part2dev] == [256, 256, 128]
    assert RingData.load(str(ring_dir / 'object.ring.gz')).replica_count == 2.5


def test_rebalance_format_version_2_and_write_ring_dev_id_bytes(ring_dir,
                                                                capsys):
    run(capsys, 'object.builder', 'set_weight', 'd0', '300')
    code, out = run(capsys, 'object.builder', 'rebalance', '--format-version',
                    '2', '--seed', '5')
    assert code in (0, 1)
    assert 'Defaulting to --format-version=1' not in out
    assert RingData.load(str(ring_dir / 'object.ring.gz')).format_version == 2
    code, out = run(capsys, 'object.builder', 'write_ring', '--format-version',
                    '2', '--dev-id-bytes', '4')
    assert code == 0
    code, out = run(capsys, 'object.ring.gz', 'version')
    assert out == ('object.ring.gz: Serialization version: 2 (4-byte IDs), '
                   'build version: 15\n')
    backups = os.listdir(ring_dir / 'backups')
    assert sorted(backups) == ['%d.object.builder' % LATER,
                               '%d.object.ring.gz' % LATER]


def test_write_builder_from_ring(ring_dir, capsys):
    os.rename(ring_dir / 'object.builder', ring_dir / 'lost.builder')
    code, out = run(capsys, 'object.ring.gz', 'write_builder', '1')
    assert code == 0
    assert out == 'Note: using object.builder instead of object.ring.gz as ' \
        'builder file\n'
    rebuilt = load(ring_dir)
    original = load(ring_dir, 'lost.builder')
    assert rebuilt._replica2part2dev == original._replica2part2dev
    assert [d['parts'] for d in rebuilt.devs] == \
        [d['parts'] for d in original.devs]
    assert rebuilt.get_ring().to_dict()['devs'] == \
        original.get_ring().to_dict()['devs']
    code, out = run(capsys, 'object.ring.gz', 'write_builder')
    assert code == 2
    assert 'Cowardly refusing to overwrite' in out


def test_version_of_missing_ring(ring_dir, capsys):
    code, out = run(capsys, 'nosuch.ring.gz', 'version')
    assert (code, out) == (2, 'Ring file nosuch.ring.gz not found\n')


def test_validate_reports_inconsistency(ring_dir, capsys):
    builder = load(ring_dir)
    builder._replica2part2dev[0][5] = builder._replica2part2dev[1][5]
    builder.save(str(ring_dir / 'object.builder'))
    code, out = run(capsys, 'object.builder', 'validate')
    assert code == 2
    assert len(out.splitlines()) == 1


def test_display_of_fresh_builder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run(capsys, 'x.builder', 'create', '4', '3', '1')
    code, out = run(capsys, 'x.builder')
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == ('16 partitions, 3.000000 replicas, 0 regions, 0 zones, '
                        '0 devices, 2-byte IDs, 0.00 balance, 0.00 dispersion')
    assert lines[4] == ("Ring file x.ring.gz not found, probably it hasn't "
                        "been written yet")


def test_partition_power_increase_cycle(ring_dir, capsys):
    code, out = run(capsys, 'object.builder', 'prepare_increase_partition_power')
    assert code == 0
    assert out.startswith('The next partition power is now 9.\n')
    code, out = run(capsys, 'object.builder', 'rebalance')
    assert code == 1
    assert 'Partition power increase in progress.' in out
    code, out = run(capsys, 'object.builder', 'add', 'r1z1-1.1.1.1:1/x', '1')
    assert code == 1
    code, out = run(capsys, 'object.builder')
    assert 'Preparing increase of partition power (8 -> 9)' in out
    assert run(capsys, 'object.builder', 'increase_partition_power')[0] == 0
    builder = load(ring_dir)
    assert builder.parts == 512
    old = RingData.load(golden_path('object.ring.gz')).replica2part2dev_id
    assert list(builder._replica2part2dev[0][20:24]) == \
        [old[0][10], old[0][10], old[0][11], old[0][11]]
    builder.validate()
    assert run(capsys, 'object.builder', 'increase_partition_power')[0] == 2
    assert run(capsys, 'object.builder', 'write_ring')[0] == 0
    assert run(capsys, 'object.builder', 'finish_increase_partition_power')[0] \
        == 0
    assert load(ring_dir).next_part_power is None


def test_partition_power_only_for_object_rings(ring_dir, capsys):
    shutil.copy(ring_dir / 'object.builder', ring_dir / 'account.builder')
    code, out = run(capsys, 'account.builder',
                    'prepare_increase_partition_power')
    assert (code, out) == (2, 'Partition power increase is only supported for '
                              'object rings.\n')


def test_help_lists_commands(capsys):
    code, out = run(capsys)
    assert code == 0
    assert 'Quick list: ' in out
    assert 'swift-ring-builder <builder_file> rebalance [options]' in out
    assert out.rstrip().endswith('2 = error')


def test_builder_named_like_the_program(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _out = run(capsys, 'swift-ring-builder.builder', 'create', '4', '3',
                     '1')
    assert code == 0
    assert (tmp_path / 'swift-ring-builder.builder').exists()


def test_console_script_uses_sys_argv(ring_dir, capsys, monkeypatch):
    monkeypatch.setattr('sys.argv', ['/usr/bin/swift-ring-builder',
                                     'object.builder', 'search', 'd3'])
    assert main() == 0
    assert capsys.readouterr().out.splitlines()[1].split()[0] == '3'
