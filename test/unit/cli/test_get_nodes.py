"""swift-get-nodes: locations from Swift's own ring (placement.json answers)."""

import shutil

import pytest

from swift.cli.get_nodes import main
from test.unit.common.ring.golden_files import golden_path, placement

SWIFT_CONF = ('[swift-hash]\nswift_hash_path_prefix = pre\n'
              'swift_hash_path_suffix = suf\n'
              '[storage-policy:0]\nname = gold\ndefault = yes\n'
              '[storage-policy:1]\nname = silver\n')


@pytest.fixture
def swift_dir(tmp_path):
    shutil.copy(golden_path('object.ring.gz'), tmp_path / 'object.ring.gz')
    shutil.copy(golden_path('object.ring.gz'), tmp_path / 'object-1.ring.gz')
    (tmp_path / 'swift.conf').write_text(SWIFT_CONF)
    return tmp_path


def _servers(out):
    return [line.split('\t', 1)[1] for line in out.splitlines()
            if line.startswith('Server:Port Device')]


def test_object_location_matches_swift_placement(swift_dir, capsys):
    example = placement()['example_get_nodes_AUTH_x_c0_o0']
    code = main(['-d', str(swift_dir), str(swift_dir / 'object.ring.gz'),
                 'AUTH_x', 'c0', 'o0'])
    out = capsys.readouterr().out
    assert code == 0
    assert 'Partition\t83\n' in out
    assert 'Hash     \t53653560090c0fa02ab60d7abcf69aa4\n' in out
    expected = ['%s:%s %s' % (n['ip'], n['port'], n['device'])
                for n in example['nodes']]
    servers = _servers(out)
    assert servers[:3] == expected
    assert servers[3] == '%s:%s %s\t [Handoff]' % (
        example['handoffs_first_2'][0]['ip'],
        example['handoffs_first_2'][0]['port'],
        example['handoffs_first_2'][0]['device'])
    assert len(servers) == 6
    assert 'curl -g -I -XHEAD "http://127.0.0.1:6010/sdb/83/AUTH_x/c0/o0" ' \
        '--path-as-is\n' in out
    assert 'ssh 127.0.0.1 "ls -lah ${DEVICE:-/srv/node*}/sdb/objects/83/aa4/' \
        '53653560090c0fa02ab60d7abcf69aa4"\n' in out


def test_all_handoffs_and_single_path_argument(swift_dir, capsys):
    code = main(['-a', '-d', str(swift_dir), str(swift_dir / 'object.ring.gz'),
                 'AUTH_x/c0/o0'])
    out = capsys.readouterr().out
    assert code == 0
    assert len(_servers(out)) == 12
    assert out.count('# [Handoff]') == 18


def test_policy_name_selects_object_ring(swift_dir, capsys):
    code = main(['-d', str(swift_dir), '-P', 'silver', 'AUTH_x', 'c0', 'o0'])
    out = capsys.readouterr().out
    assert code == 0
    assert '-H "X-Backend-Storage-Policy-Index: 1"' in out
    assert '/sdb/objects-1/83/aa4/' in out


def test_partition_only(swift_dir, capsys):
    code = main(['-d', str(swift_dir), str(swift_dir / 'object.ring.gz'),
                 '-p', '0'])
    out = capsys.readouterr().out
    assert code == 0
    assert 'Partition\t0\nHash     \tNone\n' in out
    assert _servers(out)[:3] == ['127.0.0.1:6010 sda', '127.0.0.2:6010 sda',
                                 '127.0.0.1:6020 sda']
    assert 'ls -lah ${DEVICE:-/srv/node*}/sda/objects/0"' in out


@pytest.mark.parametrize('argv,message', [
    (['AUTH_x', 'c', 'o'], 'Need to specify policy_name or <ring.gz>'),
    (['-P', 'bronze', 'a', 'c', 'o'], "No policy named 'bronze'"),
    (['{ring}', 'a', '', 'o'], 'No container specified'),
    (['{ring}', '-p', 'x'], "Invalid partition 'x'"),
    (['{ring}', '-p', '256'], 'out of range'),
    (['{dir}/nosuch.ring.gz', 'a'], 'No such ring file'),
])
def test_bad_targets_print_one_line_and_exit_1(swift_dir, capsys, argv,
                                               message):
    argv = [a.format(ring=swift_dir / 'object.ring.gz', dir=swift_dir)
            for a in argv]
    code = main(['-d', str(swift_dir)] + argv)
    out = capsys.readouterr().out
    assert code == 1
    assert message in out
    assert 'Traceback' not in out


def test_unknown_option_exits_2(capsys):
    assert main(['--bogus']) == 2
    assert 'no such option: --bogus' in capsys.readouterr().err
