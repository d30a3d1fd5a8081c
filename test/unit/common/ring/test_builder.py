"""RingBuilder: reproduce Swift's seeded rebalance, builder file, devices."""

import array
import os
import pickle

import pytest

from swift.common.ring import RingBuilder, RingData
from swift.common.ring.errors import (
    DuplicateDeviceError, EmptyRingError, RingValidationError, UnpicklingError)
from test.helpers.fake_clock import FakeClock
from test.unit.common.ring.golden_files import golden_path, placement

NOW = 1795989487.0


def fixture_builder(clock=None):
    """The builder of rings.sh: 8 3 1, r{1,2}z{1,2,3} sd{a,b}, weights 110..220."""
    builder = RingBuilder(8, 3, 1, clock=clock or FakeClock(NOW))
    weight = 110
    for region in (1, 2):
        for zone in (1, 2, 3):
            for disk in 'ab':
                builder.add_dev({'region': region, 'zone': zone,
                                 'ip': '127.0.0.%d' % region,
                                 'port': 6000 + zone * 10,
                                 'device': 'sd' + disk, 'weight': weight})
                weight += 10
    return builder


def saio_builder(replicas=3, part_power=10, clock=None):
    builder = RingBuilder(part_power, replicas, 1, clock=clock or FakeClock(NOW))
    for node in range(1, 5):
        builder.add_dev({'region': 1, 'zone': node, 'ip': '127.0.0.%d' % node,
                         'port': 6000 + node * 10 + 0, 'device': 'sdb%d' % node,
                         'weight': 1})
    return builder


def test_seeded_rebalance_reproduces_swift_assignment():
    builder = fixture_builder()
    changed, balance, removed = builder.rebalance(seed='1')
    assert (changed, removed) == (768, 0)
    assert round(balance, 6) == 1.141827
    assert builder.version == 13
    assert builder.dispersion == 0.0
    assert builder._last_part_gather_start == 186
    assert [list(row) for row in builder._replica2part2dev] == \
        placement()['replica2part2dev_id']


def test_seeded_rebalance_matches_swift_builder_file():
    with open(golden_path('object.builder'), 'rb') as fp:
        swift = pickle.load(fp)
    builder = fixture_builder()
    builder.rebalance(seed='1')
    ours = builder.to_dict()
    assert list(ours) == list(swift)
    for key in ('part_power', 'replicas', 'min_part_hours', 'parts',
                'dev_id_bytes', 'version', 'overload', 'dispersion',
                '_remove_devs', '_last_part_gather_start', 'devs_changed',
                'next_part_power', '_last_part_moves', '_dispersion_graph'):
        assert ours[key] == swift[key], key
    assert ours['devs'] == swift['devs']
    assert ours['_replica2part2dev'] == swift['_replica2part2dev']


def test_builder_file_round_trip(tmp_path):
    builder = fixture_builder()
    builder.rebalance(seed='1')
    path = str(tmp_path / 'object.builder')
    builder.save(path)
    loaded = RingBuilder.load(path)
    assert loaded.to_dict() == builder.to_dict()
    assert len(loaded.id) == 32


def test_load_swift_builder_file():
    builder = RingBuilder.load(golden_path('object.builder'))
    assert builder.id == 'afbeaf6cd9da4685bb08d31f561c865f'
    assert builder.part_power == 8 and builder.replicas == 3.0
    assert [d['weight'] for d in builder.devs] == \
        [float(w) for w in range(110, 230, 10)]
    assert isinstance(builder._replica2part2dev[0], array.array)
    ring = builder.get_ring()
    golden = RingData.load(golden_path('object.ring.gz'))
    assert ring.to_dict()['devs'] == golden.devs
    builder.validate()


class _Evil:
    def __reduce__(self):
        return (os.system, ('echo pwned',))


def test_builder_file_with_unsafe_global_is_refused(tmp_path):
    path = tmp_path / 'evil.builder'
    path.write_bytes(pickle.dumps({'devs': _Evil()}, protocol=2))
    with pytest.raises(UnpicklingError, match='Ring Builder file is invalid'):
        RingBuilder.load(str(path))


def test_missing_builder_file_message(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match='Ring Builder file does not exist'):
        RingBuilder.load(str(tmp_path / 'nope.builder'))


def test_four_nodes_three_replicas_land_in_distinct_zones():
    builder = saio_builder()
    builder.rebalance(seed=42)
    builder.validate()
    for part in range(builder.parts):
        zones = [builder.devs[row[part]]['zone']
                 for row in builder._replica2part2dev]
        assert len(set(zones)) == 3
    assert builder.get_balance() < 1.0


def test_add_dev_assigns_ids_and_reuses_holes():
    builder = saio_builder()
    assert [d['id'] for d in builder.devs] == [0, 1, 2, 3]
    builder.devs[1] = None
    new_id = builder.add_dev({'region': 1, 'zone': 9, 'ip': '10.0.0.9',
                              'port': 6200, 'device': 'x', 'weight': 1})
    assert new_id == 1
    with pytest.raises(DuplicateDeviceError):
        builder.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '1.1.1.1',
                         'port': 1, 'device': 'y', 'weight': 1})
    with pytest.raises(ValueError, match='missing required'):
        builder.add_dev({'region': 1})


def test_rebalance_without_devices_is_a_validation_error():
    with pytest.raises(RingValidationError, match='requires more than 0'):
        RingBuilder(4, 3, 1).rebalance()
    with pytest.raises(EmptyRingError):
        RingBuilder(4, 3, 1).get_balance()


def test_more_replicas_than_devices_is_a_validation_error():
    builder = RingBuilder(4, 3, 1)
    builder.add_dev({'region': 1, 'zone': 1, 'ip': '1.1.1.1', 'port': 1,
                     'device': 'a', 'weight': 1})
    with pytest.raises(RingValidationError):
        builder.rebalance()


@pytest.mark.parametrize('args', [(33, 3, 1), (8, 0.5, 1), (8, 3, -1)])
def test_bad_constructor_arguments(args):
    with pytest.raises(ValueError):
        RingBuilder(*args)
