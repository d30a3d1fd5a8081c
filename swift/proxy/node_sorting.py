# Which node a read tries first (Swift's sorting_method, proxy-server.conf):
#   shuffle  - primaries in random order (spreads reads over replicas; the default);
#   timing   - fastest recent responders first (timings expire after timing_expiry s);
#   affinity - read_affinity "r1z2=100, r1=200": a lower number is preferred, nodes
#              matching no entry come last, ties keep shuffled order.
# Writes keep ring order unless write_affinity ("r1, r2z1") names local tiers: then
# local primaries, then up to write_affinity_node_count local handoffs, then the
# remaining nodes (Swift's iter_nodes_local_first).
"""Node ordering for reads and writes: pure functions over node dicts."""

import itertools
import random
import re

from swift.common.config import ConfigError

_TIER = re.compile(r'^r(\d+)(?:z(\d+))?$')


def _parse_tier(text, option):
    match = _TIER.match(text.strip())
    if not match:
        raise ConfigError('Invalid %s value: %r' % (option, text), option=option)
    region = int(match.group(1))
    zone = int(match.group(2)) if match.group(2) else None
    return region, zone


def _matches(node, region, zone):
    return node.get('region') == region and (zone is None or node.get('zone') == zone)


def parse_read_affinity(value):
    """``'r1z1=100, r1=200'`` -> ``node -> priority`` (lower first; unmatched last).

    :raises ConfigError: for a malformed entry.
    """
    rules = []
    for item in (value or '').split(','):
        if not item.strip():
            continue
        tier, sep, priority = item.partition('=')
        if not sep:
            raise ConfigError('Invalid read_affinity value: %r' % item,
                              option='read_affinity')
        region, zone = _parse_tier(tier, 'read_affinity')
        try:
            rules.append((int(priority), region, zone))
        except ValueError:
            raise ConfigError('Invalid read_affinity value: %r' % item,
                              option='read_affinity')
    rules.sort()

    def priority(node):
        for value, region, zone in rules:
            if _matches(node, region, zone):
                return value
        return float('inf')
    return priority


def parse_write_affinity(value):
    """``'r1, r2z3'`` -> ``node -> bool`` (is the node local?); None when unset.

    :raises ConfigError: for a malformed entry.
    """
    tiers = [_parse_tier(item, 'write_affinity')
             for item in (value or '').split(',') if item.strip()]
    if not tiers:
        return None
    return lambda node: any(_matches(node, region, zone) for region, zone in tiers)


class NodeTimings:
    """Recent response times per node (for sorting_method = timing)."""

    def __init__(self, expiry_s, clock):
        self.expiry_s = expiry_s
        self.clock = clock
        self.timings = {}   # node key -> (seconds, expires at)

    @staticmethod
    def key(node):
        return '%s:%s' % (node.get('ip'), node.get('port'))

    def record(self, node, seconds):
        self.timings[self.key(node)] = (seconds, self.clock.time() + self.expiry_s)

    def timing(self, node):
        seconds, expires = self.timings.get(self.key(node), (-1.0, 0.0))
        return seconds if expires > self.clock.time() else -1.0


def sort_nodes(nodes, method, rng=random, timings=None, read_affinity=None):
    """Order ``nodes`` for a read.

    :param method: ``shuffle``, ``timing`` or ``affinity``.
    :returns: a new list.
    """
    nodes = list(nodes)
    rng.shuffle(nodes)
    if method == 'timing' and timings is not None:
        nodes.sort(key=timings.timing)
    elif method == 'affinity' and read_affinity is not None:
        nodes.sort(key=read_affinity)
    return nodes


def _node_key(node):
    return (node.get('ip'), node.get('port'), node.get('device'))


def local_first(primaries, more_nodes, is_local, local_count):
    """Write order with write_affinity (Swift's iter_nodes_local_first): the first
    ``local_count`` local nodes (primaries, then handoffs), then every other node in
    ring order.

    :param more_nodes: callable returning a fresh handoff iterator.
    """
    candidates = itertools.chain(primaries, more_nodes())
    first = list(itertools.islice((n for n in candidates if is_local(n)), local_count))
    chosen = {_node_key(node) for node in first}
    yield from first
    for node in itertools.chain(primaries, more_nodes()):
        if _node_key(node) not in chosen:
            yield node
