"""Node ordering: shuffle, timing, read/write affinity."""

import random

import pytest

from swift.common.config import ConfigError
from swift.proxy import node_sorting
from test.helpers.fake_clock import FakeClock
from test.unit.proxy.helpers import call, make_container


def node(i, region=1, zone=1):
    return {'ip': '10.0.0.%d' % i, 'port': 6000 + i, 'device': 'd%d' % i,
            'region': region, 'zone': zone}


def test_read_affinity_orders_by_priority():
    priority = node_sorting.parse_read_affinity('r1z2=100, r2=200')
    nodes = [node(1, 3, 1), node(2, 2, 1), node(3, 1, 2), node(4, 1, 1)]
    ordered = node_sorting.sort_nodes(nodes, 'affinity', random.Random(1),
                                      read_affinity=priority)
    assert [n['port'] for n in ordered[:2]] == [6003, 6002]
    with pytest.raises(ConfigError):
        node_sorting.parse_read_affinity('r1z1')
    with pytest.raises(ConfigError):
        node_sorting.parse_read_affinity('x1=5')


def test_timing_prefers_fast_nodes_until_expiry():
    clock = FakeClock()
    timings = node_sorting.NodeTimings(300, clock)
    nodes = [node(1), node(2), node(3)]
    timings.record(nodes[0], 5.0)
    timings.record(nodes[1], 0.5)
    timings.record(nodes[2], 1.0)
    ordered = node_sorting.sort_nodes(nodes, 'timing', random.Random(3), timings)
    assert [n['port'] for n in ordered] == [6002, 6003, 6001]
    clock.advance(301)
    assert timings.timing(nodes[0]) == -1.0


def test_shuffle_spreads_first_choice():
    nodes = [node(1), node(2), node(3)]
    rng = random.Random(7)
    firsts = {node_sorting.sort_nodes(nodes, 'shuffle', rng)[0]['port']
              for _ in range(30)}
    assert firsts == {6001, 6002, 6003}


def test_write_affinity_local_first():
    is_local = node_sorting.parse_write_affinity('r1')
    primaries = [node(1, 2), node(2, 1), node(3, 2)]
    handoffs = [node(4, 2), node(5, 1), node(6, 1)]
    order = list(node_sorting.local_first(primaries, lambda: iter(handoffs), is_local, 2))
    assert [n['port'] for n in order] == [6002, 6005, 6001, 6003, 6004, 6006]
    assert node_sorting.parse_write_affinity('') is None


def test_proxy_put_with_write_affinity(make_app, cluster):
    probe = make_app()
    ring = probe.get_object_ring(0)
    partition = ring.get_part(b'AUTH_test', b'c', b'o')
    handoff = next(ring.get_more_nodes(partition))
    app = make_app({'write_affinity': 'r1z%d' % handoff['zone'],
                    'write_affinity_node_count': '1'}, object_rings={0: ring})
    make_container(app)
    cluster.requests.clear()
    assert call(app, '/v1/AUTH_test/c/o', 'PUT', body=b'x').status_int == 201
    ports = [r.node['port'] for r in cluster.requests if r.method == 'PUT']
    primaries = [n['port'] for n in ring.get_part_nodes(partition)]
    # the local handoff takes the first slot; the last primary is left out
    assert ports[0] == handoff['port']
    assert sorted(ports) == sorted([handoff['port']] + primaries[:2])


def test_bad_sorting_method_fails_fast(make_app):
    with pytest.raises(ConfigError):
        make_app({'sorting_method': 'random'})
