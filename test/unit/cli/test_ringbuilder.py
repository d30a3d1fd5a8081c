"""swift-ring-builder against transcripts of real Swift 2.38 (golden files)."""

import os
import shutil

import pytest

from swift.cli.ringbuilder import main
from swift.common.ring import RingBuilder, RingData
from test.helpers.fake_clock import FakeClock
from test.unit.cli.ringbuilder_golden import mask_clock, parse_transcript
from test.unit.common.ring.golden_files import golden_path, golden_text

FIXTURE_FILES = ('object.builder', 'object.ring.gz', 'object-v2.ring.gz')
#: 35 s after the fixture's rebalance: "(0:59:25 remaining)" as in the display.
CLOCK_START = 1795989487 + 35


@pytest.fixture
def ring_dir(tmp_path, monkeypatch):
    for name in FIXTURE_FILES:
        shutil.copy(golden_path(name), tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, argv, clock=None):
    code = main(argv, clock=clock or FakeClock(CLOCK_START))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _transcript_cases():
    cases = []
    for name in ('builder-display.txt', 'search-d3.txt', 'list_parts.txt',
                 'dispersion.txt'):
        for block in parse_transcript(golden_text(name)):
            cases.append(pytest.param(block, id='%s:%s' % (
                name, ' '.join(block[0][-1][0][1:]) or 'default')))
    text = golden_text('cli-exit-codes.txt')
    full = text[text.index('# full outputs'):]
    for block in parse_transcript(full):
        cases.append(pytest.param(block, id='exit:' + ' '.join(
            ' '.join(argv[1:]) for argv, _keep in block[0])))
    return cases


@pytest.mark.parametrize('block', _transcript_cases())
def test_output_and_exit_code_match_swift(ring_dir, capsys, block):
    commands, expected_output, expected_code = block
    output = ''
    for argv, keep in commands:
        code, text = run(capsys, argv)
        if keep:
            output += text
    assert mask_clock(output) == mask_clock(expected_output)
    assert code == expected_code


def test_display_clock_matches_exactly(ring_dir, capsys):
    code, text = run(capsys, ['object.builder'])
    assert code == 0
    assert text == golden_text('builder-display.txt').split('\n', 1)[1] \
        .rsplit('[exit 0]', 1)[0]


def test_failed_commands_leave_builder_file_unchanged(ring_dir, capsys):
    before = (ring_dir / 'object.builder').read_bytes()
    for argv in (['object.builder', 'add', 'r1z1-127.0.0.1:6010/sda', '100'],
                 ['object.builder', 'add', 'bogus', '100'],
                 ['object.builder', 'add', 'r1z1-127.0.0.1:6010/sdq', 'x'],
                 ['object.builder', 'add', 'r1z1-127.0.0.1:6010/sdq', '-1'],
                 ['object.builder', 'set_weight', 'd0', 'heavy'],
                 ['object.builder', 'set_weight', 'q!', '1'],
                 ['object.builder', 'remove', 'd999'],
                 ['object.builder', 'set_overload', 'lots'],
                 ['object.builder', 'set_replicas', '0.5'],
                 ['object.builder', 'set_min_part_hours', 'x'],
                 ['object.builder', 'rebalance']):
        code, text = run(capsys, argv)
        assert code in (1, 2), argv
        assert 'Traceback' not in text
        assert (ring_dir / 'object.builder').read_bytes() == before, argv


def test_build_saio_rings_from_scratch(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    clock = FakeClock(1700000000)
    assert main(['object.builder', 'create', '10', '3', '1'], clock=clock) == 0
    for node in range(1, 5):
        dev = 'r1z%d-127.0.0.%d:62%d0/sdb%d' % (node, node, node, node)
        assert main(['object.builder', 'add', dev, '1'], clock=clock) == 0
    assert main(['object.builder', 'rebalance'], clock=clock) == 0
    out = capsys.readouterr().out
    assert 'Reassigned 3072 (300.00%) partitions. Balance is now 0.00.' in out
    ring = RingData.load(str(tmp_path / 'object.ring.gz'))
    assert ring.format_version == 1
    for part in range(1024):
        zones = {ring.devs[row[part]]['zone'] for row in ring.replica2part2dev_id}
        assert len(zones) == 3
    backups = sorted(os.listdir(tmp_path / 'backups'))
    assert backups == ['1700000000.object.builder', '1700000000.object.ring.gz']
    assert main(['object.builder', 'write_ring'], clock=clock) == 0
    assert RingBuilder.load(str(tmp_path / 'object.builder')).version == 5


def test_empty_ring_is_not_written(tmp_path, monkeypatch, capsys):
    # BL-23 (a)
    monkeypatch.chdir(tmp_path)
    assert main(['x.builder', 'create', '6', '3', '1']) == 0
    code, text = run(capsys, ['x.builder', 'write_ring'])
    assert code == 2
    assert text.strip().endswith('Unable to write empty ring.')
    assert not (tmp_path / 'x.ring.gz').exists()
    assert 'Traceback' not in text


def test_display_after_all_devices_removed(tmp_path, monkeypatch, capsys):
    # BL-23 (b)
    monkeypatch.chdir(tmp_path)
    clock = FakeClock(1700000000)
    main(['x.builder', 'create', '6', '3', '1'], clock=clock)
    for node in range(4):
        main(['x.builder', 'add', 'r1z%d-127.0.0.1:60%d0/sda' % (node, node),
              '1'], clock=clock)
    assert main(['x.builder', 'rebalance'], clock=clock) == 0
    for dev_id in range(4):
        assert main(['x.builder', 'remove', 'd%d' % dev_id], clock=clock) == 0
    capsys.readouterr()
    code, text = run(capsys, ['x.builder'], clock=clock)
    assert code == 0
    assert 'x.builder, build version' in text
    assert text.rstrip().endswith(
        'There are no devices in this ring, or all devices have been deleted')
    assert 'Traceback' not in text
