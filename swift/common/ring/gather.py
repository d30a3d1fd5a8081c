# Owns the per-partition passes of a rebalance: gathering replicas that must or
# should move (dispersion, balance), placing gathered replicas on the roomiest
# tier, the dispersion graph, and builder validation. They operate on a
# RingBuilder's tables in place and follow Swift's order of operations exactly so
# that a seeded rebalance reproduces Swift's assignment.
"""Gather / reassign / dispersion passes of RingBuilder.rebalance."""

import array
import math
from collections import defaultdict

from swift.common.ring.errors import RingValidationError
from swift.common.ring.tiers import build_tier_tree, tiers_for_dev

#: marker of an unassigned replica in an 'H' row.
NONE_DEV = 2 ** 16 - 1


def _replicas_at_tier_of(builder, part):
    replicas_at_tier = defaultdict(int)
    for dev in builder._devs_for_part(part):
        for tier in dev['tiers']:
            replicas_at_tier[tier] += 1
    return replicas_at_tier


def _take_replica(builder, assign_parts, part, replica, dev):
    dev['parts_wanted'] += 1
    dev['parts'] -= 1
    assign_parts[part].append(replica)
    builder._replica2part2dev[replica][part] = NONE_DEV


def gather_parts_for_dispersion(builder, assign_parts, replica_plan):
    """Gather replicas sitting in tiers holding more than the plan's max."""
    rows = builder._replica2part2dev
    devs = builder.devs
    for part in range(builder.parts):
        replicas_at_tier = _replicas_at_tier_of(builder, part)
        undispersed = []
        for replica, row in enumerate(rows):
            if part >= len(row) or row[part] == NONE_DEV:
                continue
            dev = devs[row[part]]
            if all(replicas_at_tier[tier] <= replica_plan[tier]['max']
                   for tier in dev['tiers']):
                continue
            undispersed.append((dev, replica))
        if not undispersed:
            continue
        undispersed.sort(key=lambda dr: dr[0]['parts_wanted'])
        for dev, replica in undispersed:
            # min_part_hours is ignored only when a device holds two replicas
            # of the part, which older builders could produce.
            if (not builder._can_part_move(part) and
                    not replicas_at_tier[dev['tiers'][-1]] > 1):
                continue
            _take_replica(builder, assign_parts, part, replica, dev)
            for tier in dev['tiers']:
                replicas_at_tier[tier] -= 1
            builder._set_part_moved(part)


def gather_parts_for_balance(builder, assign_parts, replica_plan,
                             disperse_first):
    """Gather replicas from overweight devices, starting at a random offset
    on the other side of the ring from the last gather."""
    quarter_turn = builder.parts // 4
    random_half = builder._random.randint(0, builder.parts // 2)
    start = (builder._last_part_gather_start + quarter_turn +
             random_half) % builder.parts
    builder._last_part_gather_start = start
    if disperse_first:
        _gather_for_balance_can_disperse(builder, assign_parts, start,
                                         replica_plan)
    _gather_for_balance_forced(builder, assign_parts, start)


def _overweight_replicas(builder, part, replicas_at_tier=None):
    found = []
    devs = builder.devs
    for replica, row in enumerate(builder._replica2part2dev):
        if part >= len(row) or row[part] == NONE_DEV:
            continue
        dev = devs[row[part]]
        if replicas_at_tier is not None:
            for tier in dev['tiers']:
                replicas_at_tier[tier] += 1
        if dev['parts_wanted'] < 0:
            found.append((dev, replica))
    found.sort(key=lambda dr: dr[0]['parts_wanted'])
    return found


def _movable_overweight_parts(builder, start):
    # Cheap pre-filter: only partitions with a replica on an overweight device
    # and allowed to move are visited, in Swift's order from ``start``.
    parts = builder.parts
    overweight = set(d['id'] for d in builder._iter_devs()
                     if d['parts_wanted'] < 0)
    if not overweight:
        return
    for offset in range(parts):
        part = (start + offset) % parts
        if builder._can_part_move(part):
            yield part


def _gather_for_balance_can_disperse(builder, assign_parts, start,
                                     replica_plan):
    for part in _movable_overweight_parts(builder, start):
        replicas_at_tier = defaultdict(int)
        candidates = _overweight_replicas(builder, part, replicas_at_tier)
        for dev, replica in candidates:
            if any(replica_plan[tier]['min'] <= replicas_at_tier[tier] <
                   replica_plan[tier]['max'] for tier in dev['tiers']):
                continue
            _take_replica(builder, assign_parts, part, replica, dev)
            for tier in dev['tiers']:
                replicas_at_tier[tier] -= 1
            builder._set_part_moved(part)
            break


def _gather_for_balance_forced(builder, assign_parts, start):
    for part in _movable_overweight_parts(builder, start):
        candidates = _overweight_replicas(builder, part)
        if not candidates:
            continue
        dev, replica = candidates[0]
        builder._set_part_moved(part)
        _take_replica(builder, assign_parts, part, replica, dev)


def _sort_key_for(builder, dev):
    return (dev['parts_wanted'], builder._random.randint(0, 0xFFFF), dev['id'])


class _TierTree:
    """Weighted devices arranged for the placement walk of reassign_parts."""

    def __init__(self, builder):
        self.parts_available = defaultdict(int)
        for dev in builder._iter_devs():
            dev['sort_key'] = _sort_key_for(builder, dev)
            # Parts a tier may still take; a tier shedding parts elsewhere must
            # not block placement into it, so negatives count as 0.
            wanted = max(dev['parts_wanted'], 0)
            for tier in dev['tiers']:
                self.parts_available[tier] += wanted
        available_devs = sorted((d for d in builder._iter_devs() if d['weight']),
                                key=lambda d: d['sort_key'])
        self.tier2devs = defaultdict(list)
        tier2sort_key = {}
        self.max_depth = 0
        for dev in available_devs:
            for tier in dev['tiers']:
                self.tier2devs[tier].append(dev)
                tier2sort_key[tier] = dev['sort_key']
                self.max_depth = max(self.max_depth, len(tier))
        children_sets = build_tier_tree(available_devs)
        self.tier2children = {}
        tiers_list = [()]
        for _depth in range(self.max_depth):
            new_tiers_list = []
            for tier in tiers_list:
                child_tiers = sorted(children_sets[tier],
                                     key=tier2sort_key.__getitem__)
                self.tier2children[tier] = child_tiers
                new_tiers_list.extend(child_tiers)
            tiers_list = new_tiers_list

    def plan_maxima(self, replica_plan):
        """tier -> the plan's max replicas, as a plain dict for the hot loop."""
        return {tier: replica_plan[tier]['max']
                for children in self.tier2children.values()
                for tier in children}

    def choose_device(self, replicas_at_tier, max_of):
        """Walk down the tree to the roomiest tier that is under its max.

        Same choice as Swift's ``max(candidates, key=parts_available)``: the
        first child (in sort-key order) with the most parts available.

        :returns: device dict, or None if some level has no candidate.
        """
        parts_available = self.parts_available
        tier = ()
        for _depth in range(self.max_depth):
            best = None
            best_available = 0
            for child in self.tier2children[tier]:
                if replicas_at_tier[child] < max_of[child]:
                    available = parts_available[child]
                    if best is None or available > best_available:
                        best, best_available = child, available
            if best is None:
                return None
            tier = best
        return self.tier2devs[tier][-1]

    def no_home_error(self, part, replica, replicas_at_tier, replica_plan):
        # Describe the level where placement got stuck (for the operator).
        tier = ()
        for _depth in range(self.max_depth):
            children = self.tier2children[tier]
            candidates = [t for t in children
                          if replicas_at_tier[t] < replica_plan[t]['max']]
            if not candidates:
                break
            tier = max(candidates, key=self.parts_available.__getitem__)
        return RingValidationError('no home for %s/%s %s' % (
            part, replica, {t: (replicas_at_tier[t], replica_plan[t]['max'])
                            for t in self.tier2children.get(tier, ())}))


def reassign_parts(builder, reassign, replica_plan):
    """Place each gathered ``(part, [replica, ...])`` on the roomiest tiers."""
    tree = _TierTree(builder)
    max_of = tree.plan_maxima(replica_plan)
    try:
        for part, replace_replicas in reassign:
            builder._last_part_moves[part] = 0
            replicas_at_tier = _replicas_at_tier_of(builder, part)
            for replica in replace_replicas:
                dev = tree.choose_device(replicas_at_tier, max_of)
                if dev is None:
                    raise tree.no_home_error(part, replica, replicas_at_tier,
                                             replica_plan)
                dev['parts_wanted'] -= 1
                dev['parts'] += 1
                for tier in dev['tiers']:
                    tree.parts_available[tier] -= 1
                    replicas_at_tier[tier] += 1
                builder._replica2part2dev[replica][part] = dev['id']
    finally:
        for dev in builder._iter_devs():
            dev.pop('sort_key', None)


def build_dispersion_graph(builder, old_replica2part2dev=None):
    """Recompute ``_dispersion_graph`` and ``dispersion``.

    The graph maps each tier to ``[parts with 0 replicas there, with 1, ...]``;
    dispersion is the % of partitions with more replicas in some tier than the
    max allowed.

    :returns: number of part-replicas whose device differs from
        ``old_replica2part2dev``.
    """
    old = old_replica2part2dev or []
    changed_parts = 0
    int_replicas = int(math.ceil(builder.replicas))
    max_allowed = builder._build_max_replicas_by_tier()
    parts_at_risk = 0
    graph = {}
    devs = builder.devs
    tiers_cache = {}
    for part_id, dev_ids in enumerate(zip(*builder._replica2part2dev)):
        replicas_at_tier = defaultdict(int)
        for rep_id, dev_id in enumerate(dev_ids):
            tiers = tiers_cache.get(dev_id)
            if tiers is None:
                dev = devs[dev_id]
                tiers = tiers_cache[dev_id] = (
                    dev.get('tiers') or tiers_for_dev(dev))
            for tier in tiers:
                replicas_at_tier[tier] += 1
            try:
                old_device = old[rep_id][part_id]
            except IndexError:
                changed_parts += 1
                continue
            if old_device != dev_id:
                changed_parts += 1
        part_at_risk = False
        for tier, replicas in replicas_at_tier.items():
            if tier not in graph:
                graph[tier] = [builder.parts] + [0] * int_replicas
            graph[tier][0] -= 1
            graph[tier][replicas] += 1
            if replicas > max_allowed[tier]:
                part_at_risk = True
        if part_at_risk:
            parts_at_risk += 1
    builder._dispersion_graph = graph
    builder.dispersion = 100.0 * parts_at_risk / builder.parts
    return changed_parts


def validate_builder(builder, stats=False):
    """Raise RingValidationError on the first inconsistency of the tables.

    :returns: ``(dev_usage, worst)`` when ``stats``, else ``(None, None)``.
    """
    dev_len = len(builder.devs)
    parts_on_devs = sum(d['parts'] for d in builder._iter_devs())
    if not builder._replica2part2dev:
        raise RingValidationError(
            '_replica2part2dev empty; did you forget to rebalance?')
    parts_in_map = sum(len(p2d) for p2d in builder._replica2part2dev)
    if parts_on_devs != parts_in_map:
        raise RingValidationError(
            'All partitions are not double accounted for: %d != %d'
            % (parts_on_devs, parts_in_map))
    for dev in builder._iter_devs():
        if not isinstance(dev['port'], int):
            raise RingValidationError(
                'Device %d has port %r, which is not an integer.'
                % (dev['id'], dev['port']))
    int_replicas = int(math.ceil(builder.replicas))
    rows = builder._replica2part2dev
    for replica, row in enumerate(rows[:-1]):
        if len(row) < builder.parts and replica + 1 < int_replicas:
            raise RingValidationError(
                'The partition assignments of replica %r were shorter than '
                'expected (%s < %s) - this should only happen for the last '
                'replica' % (replica, len(row), builder.parts))
    for replica, row in enumerate(rows):
        bad = [dev_id for dev_id in set(row)
               if dev_id >= dev_len or not builder.devs[dev_id]]
        if bad:
            part = next(p for p, d in enumerate(row) if d in bad)
            raise RingValidationError(
                'Partition %d, replica %d was not allocated to a device.'
                % (part, replica))
    for part in range(builder.parts):
        devs_for_part = [row[part] for row in rows if part < len(row)]
        if len(devs_for_part) != len(set(devs_for_part)):
            raise RingValidationError(
                'The partition %s has been assigned to duplicate devices %r'
                % (part, devs_for_part))
    if not stats:
        return None, None
    dev_usage = array.array('I', bytes(4 * dev_len))
    for row in rows:
        for dev_id in row:
            dev_usage[dev_id] += 1
    return dev_usage, builder.get_balance()
