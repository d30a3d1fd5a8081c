"""swift-ring-builder bad input: one-line errors, exit 2, builder untouched."""

import os
import pickle
import shutil

import pytest

from swift.cli.ringbuilder import main
from test.helpers.fake_clock import FakeClock
from test.unit.common.ring.golden_files import golden_path


@pytest.fixture
def ring_dir(tmp_path, monkeypatch):
    for name in ('object.builder', 'object.ring.gz'):
        shutil.copy(golden_path(name), tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, argv):
    code = main(argv, clock=FakeClock(1795989487 + 7200))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _unchanged(ring_dir):
    with open(golden_path('object.builder'), 'rb') as fp:
        return (ring_dir / 'object.builder').read_bytes() == fp.read()


@pytest.mark.parametrize('args,message', [
    (['add', 'bogus', '100'], 'Invalid add value: bogus'),
    (['add', 'r1z1-127.0.0.1/sda', '100'], 'Invalid port in add value'),
    (['add', 'r1z1-127.0.0.1:abc/sda', '100'], 'Invalid port :abc in add value'),
    (['add', 'r1z1-1.2.3.4:6000', '100'], 'Invalid add value: r1z1-1.2.3.4:6000'),
    (['add', 'r1z1-bad_host!:6000/sda', '1'], 'Invalid address bad_host!'),
    (['add', 'r1z1-1.2.3.4:6000/sdq', 'heavy'], 'Invalid weight value: heavy'),
    (['add', 'r1z1-1.2.3.4:6000/sdq', '-5'], 'no such option: -5'),
    (['add', 'rxz1-1.2.3.4:6000/sdq', '1'], 'Invalid add value'),
    (['search', 'q!'], "Invalid <search-value>: 'q!'"),
    (['list_parts', 'q!'], "Invalid <search-value>: 'q!'"),
    (['remove', 'q!'], "Invalid <search-value>: 'q!'"),
    (['set_weight', 'q!', '1'], "Invalid <search-value>: 'q!'"),
    (['set_info', 'd0', 'bad!!'], 'Invalid address bad!!'),
    (['set_info', 'd0', '127.0.0.1:6010/sdb'], 'Device 1 already uses'),
    (['set_zone', 'd0', 'x'], 'Invalid zone value: x'),
    (['set_replicas', 'x'], '"x" is not a valid number.'),
    (['set_replicas', '0.5'], 'Replica count must be at least 1.'),
    (['set_overload', '-3'], 'Overload must be non-negative.'),
    (['set_min_part_hours', '-1'], 'min_part_hours must be non-negative.'),
    (['create', '33', '3', '1'], 'part_power must be at most 32 (was 33)'),
    (['create', '8', '0', '1'], 'replicas must be at least 1'),
    (['create', 'x', '3', '1'], "invalid literal for int() with base 10: 'x'"),
    (['dispersion', '[bad'], "Invalid search filter '[bad'"),
    (['nosuch_cmd'], 'Unknown command: nosuch_cmd'),
])
def test_bad_input_one_line_exit_2_builder_unchanged(ring_dir, capsys, args,
                                                     message):
    code, out, err = run(capsys, ['object.builder'] + args)
    assert code == 2
    assert message in out + err
    assert 'Traceback' not in out + err
    assert _unchanged(ring_dir)
    assert not os.listdir(ring_dir / 'backups')


def _golden_builder_with(**changes):
    with open(golden_path('object.builder'), 'rb') as fp:
        data = pickle.load(fp)
    data.update(changes)
    return pickle.dumps(data, protocol=2)


@pytest.mark.parametrize('content', [
    b'garbage', pickle.dumps([1, 2], protocol=2),
    pickle.dumps({'devs': []}, protocol=2),
    pickle.dumps({'part_power': 'x'}, protocol=0),
    _golden_builder_with(parts='many'),
    _golden_builder_with(devs=[{'id': 0}]),
    _golden_builder_with(_replica2part2dev=[5]),
])
def test_corrupt_builder_file(ring_dir, capsys, content):
    (ring_dir / 'bad.builder').write_bytes(content)
    code, out, err = run(capsys, ['bad.builder'])
    assert code == 2
    assert out.startswith('Ring Builder file is invalid: bad.builder')
    assert len(out.splitlines()) == 1
    assert 'Traceback' not in out + err
    assert (ring_dir / 'bad.builder').read_bytes() == content


def test_truncated_builder_file(ring_dir, capsys):
    with open(golden_path('object.builder'), 'rb') as fp:
        (ring_dir / 'short.builder').write_bytes(fp.read()[:200])
    code, out, _err = run(capsys, ['short.builder', 'rebalance'])
    assert (code, out) == (2, 'Ring Builder file is invalid: short.builder\n')


def test_missing_builder_file(ring_dir, capsys):
    code, out, _err = run(capsys, ['nosuch.builder', 'add',
                                   'r1z1-1.1.1.1:1/a', '1'])
    assert (code, out) == (2, 'Ring Builder file does not exist: '
                              'nosuch.builder\n')
    assert not (ring_dir / 'nosuch.builder').exists()


def test_rebalance_after_removing_every_device(ring_dir, capsys):
    # Swift lets every device be removed (BL-23); the rebalance that would
    # empty the ring is refused with exit 2 and the builder stays as it was.
    code, _out, _err = run(capsys, ['object.builder', 'remove', 'r1', 'r2',
                                    '--yes'])
    assert code == 0
    saved = (ring_dir / 'object.builder').read_bytes()
    code, out, err = run(capsys, ['object.builder', 'rebalance'])
    assert code == 2
    assert 'There are no devices in this ring, or all devices have been ' \
        'deleted' in out
    assert 'Traceback' not in out + err
    assert (ring_dir / 'object.builder').read_bytes() == saved


def test_write_ring_bad_format_version_goes_to_stderr(ring_dir, capsys):
    code, out, err = run(capsys, ['object.builder', 'write_ring',
                                  '--format-version', '3'])
    assert code == 2
    assert out == ''
    assert err.endswith("swift-ring-builder: error: option --format-version: "
                        "invalid choice: '3' (choose from '1', '2')\n")


def test_multiple_matches_without_yes_abort_on_no(ring_dir, capsys,
                                                  monkeypatch):
    monkeypatch.setattr('builtins.input', lambda prompt: 'n')
    code, out, _err = run(capsys, ['object.builder', 'set_weight', 'z1', '5'])
    assert code == 2
    assert out.startswith('Matched more than one device:\n')
    assert out.rstrip().endswith('Aborting device modifications')
    assert _unchanged(ring_dir)


def test_safe_variant_reports_locked_dir(ring_dir, capsys):
    from swift.common.fs import lock_path
    clock = FakeClock(0)
    with lock_path(str(ring_dir)):
        # flock locks belong to the open file description, so this second
        # attempt (another open of .lock) waits on the fake clock and times out
        code = main(['swift-ring-builder-safe', 'object.builder'], clock=clock)
    out = capsys.readouterr().out
    assert code == 2
    assert out == 'Ring/builder dir currently locked.\n'
    assert sum(clock.sleeps) >= 15
    assert main(['swift-ring-builder-safe', 'object.builder', 'validate'],
                clock=clock) == 0
