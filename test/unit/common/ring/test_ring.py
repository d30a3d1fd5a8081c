"""Ring placement against the answers of real Swift 2.38 (placement.json)."""

import itertools
import os
import shutil

import pytest

from swift.common.hashing import HashPathConfig
from swift.common.ring import Ring, RingData
from swift.common.ring.errors import RingFormatError, RingLoadError
from test.helpers.fake_clock import FakeClock
from test.unit.common.ring.golden_files import golden_path, placement

CONFIG = HashPathConfig(b'pre', b'suf')
RING_FILES = ['object.ring.gz', 'object-v2.ring.gz']


@pytest.fixture(scope='module')
def expected():
    return placement()


@pytest.mark.parametrize('ring_file', RING_FILES)
def test_ring_facts_match_swift(ring_file, expected):
    ring = Ring(golden_path(ring_file), hash_config=CONFIG)
    assert ring.partition_count == expected['partition_count'] == 256
    assert ring.replica_count == expected['replica_count'] == 3.0
    assert ring.part_power == expected['part_power'] == 8
    assert ring.version == expected['version']
    assert ring.dev_id_bytes == expected['dev_id_bytes']
    assert ring.next_part_power is None
    assert ring.devs == expected['devs']
    assert [list(row) for row in ring._replica2part2dev_id] == \
        expected['replica2part2dev_id']


@pytest.mark.parametrize('ring_file', RING_FILES)
def test_primaries_and_handoffs_match_swift(ring_file, expected):
    ring = Ring(golden_path(ring_file), hash_config=CONFIG)
    for entry in expected['partitions']:
        part = entry['part']
        primaries = ring.get_part_nodes(part)
        assert [n['id'] for n in primaries] == entry['primaries']
        assert [n['index'] for n in primaries] == [0, 1, 2]
        handoffs = list(ring.get_more_nodes(part))
        assert [n['id'] for n in handoffs] == entry['handoffs_all']
        assert [n['handoff_index'] for n in handoffs] == list(range(9))


@pytest.mark.parametrize('ring_file', RING_FILES)
def test_names_map_to_swift_partitions(ring_file, expected):
    ring = Ring(golden_path(ring_file), hash_config=CONFIG)
    for entry in expected['names'] + expected['other_names']:
        part, nodes = ring.get_nodes(entry['account'], entry['container'],
                                     entry['object'])
        assert part == entry['part'], entry
        assert [n['id'] for n in nodes] == entry['primaries'], entry
        assert ring.get_part(entry['account'], entry['container'],
                             entry['object']) == part


def test_nfc_and_nfd_names_hash_differently(expected):
    ring = Ring(golden_path('object.ring.gz'), hash_config=CONFIG)
    nfc = ring.get_part('AUTH_test', 'c', '\u00e9t\u00e9')
    nfd = ring.get_part('AUTH_test', 'c', 'e\u0301te\u0301')
    assert (nfc, nfd) == (76, 87)


def test_example_node_dicts_are_complete(expected):
    example = expected['example_get_nodes_AUTH_x_c0_o0']
    ring = Ring(golden_path('object.ring.gz'), hash_config=CONFIG)
    part, nodes = ring.get_nodes('AUTH_x', 'c0', 'o0')
    assert part == example['part']
    assert nodes == example['nodes']
    assert list(itertools.islice(ring.get_more_nodes(part), 2)) == \
        example['handoffs_first_2']


def test_object_without_container_is_an_error():
    ring = Ring(golden_path('object.ring.gz'), hash_config=CONFIG)
    with pytest.raises(ValueError):
        ring.get_nodes('a', None, 'o')


def _swift_dir(tmp_path, name='object'):
    shutil.copy(golden_path('object.ring.gz'), tmp_path / (name + '.ring.gz'))
    (tmp_path / 'swift.conf').write_text(
        '[swift-hash]\nswift_hash_path_prefix = pre\n'
        'swift_hash_path_suffix = suf\n')
    return str(tmp_path)


def test_ring_from_swift_dir_reads_hash_config(tmp_path, expected):
    ring = Ring(_swift_dir(tmp_path, 'container'), ring_name='container')
    entry = expected['names'][0]
    assert ring.get_part(entry['account'], entry['container'],
                         entry['object']) == entry['part']


def test_missing_ring_file_is_a_ring_load_error(tmp_path):
    with pytest.raises(RingLoadError):
        Ring(str(tmp_path), ring_name='object')


def test_corrupt_ring_file_is_a_format_error(tmp_path):
    path = tmp_path / 'object.ring.gz'
    path.write_bytes(b'not a gzip file at all')
    with pytest.raises(RingFormatError):
        Ring(str(path))


def test_reload_when_mtime_changes_after_reload_time(tmp_path):
    swift_dir = _swift_dir(tmp_path)
    clock = FakeClock(start=1000.0)
    ring = Ring(swift_dir, reload_time=15, clock=clock)
    assert ring.get_part_nodes(0)[0]['device'] == 'sda'
    data = RingData.load(os.path.join(swift_dir, 'object.ring.gz'))
    for dev in data.devs:
        dev['device'] = 'new-' + dev['device']
    path = os.path.join(swift_dir, 'object.ring.gz')
    data.save(path)
    os.utime(path, (2000, 2000))
    clock.advance(10)
    assert ring.get_part_nodes(0)[0]['device'] == 'sda'   # not yet due
    clock.advance(10)
    assert ring.get_part_nodes(0)[0]['device'] == 'new-sda'


def test_bad_ring_file_on_reload_keeps_old_tables(tmp_path):
    swift_dir = _swift_dir(tmp_path)
    clock = FakeClock(start=1000.0)
    ring = Ring(swift_dir, reload_time=15, clock=clock)
    path = tmp_path / 'object.ring.gz'
    path.write_bytes(b'truncated')
    os.utime(path, (3000, 3000))
    clock.advance(20)
    assert [n['id'] for n in ring.get_part_nodes(0)] == [0, 6, 2]
    assert ring.partition_count == 256
