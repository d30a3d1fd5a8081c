# Owns the replica plan maths of the builder: how many "replicanths" (fractions of
# a partition's replicas) each tier of the tier tree should hold.
#   weighted: by device weight, each device capped at 1 replica;
#   max: the as-unique-as-possible upper bound, spread evenly down the tree;
#   wanted: as dispersed as device counts allow, by weight within that bound.
# Pure functions over device dicts; Swift's rules (swift-catalog.md 2.2).
"""Replica plan computations for the ring builder."""

import math
from collections import defaultdict

from swift.common.ring.errors import RingValidationError
from swift.common.ring.tiers import build_tier_tree

_TIER_NAMES = ('cluster', 'regions', 'zones', 'servers', 'devices')


def _dev_tier(dev):
    return (dev['region'], dev['zone'], dev['ip'], dev['id'])


def validate_replicas_by_tier(replicas, replicas_by_tier):
    """Check every depth of the tree sums to the replica count.

    :raises RingValidationError: if a depth is off by more than 1e-10.
    """
    for depth, tier_name in enumerate(_TIER_NAMES):
        at_tier = sum(value for tier, value in replicas_by_tier.items()
                      if len(tier) == depth)
        if abs(replicas - at_tier) > 1e-10:
            raise RingValidationError('%s != %s at tier %s' % (
                at_tier, replicas, tier_name))


def build_weighted_replicas_by_tier(weighted_devs, replicas, parts,
                                    weight_of_one_part):
    """Replicanths per tier by weight alone (a device holds at most 1).

    :param weighted_devs: device dicts with weight > 0.
    :returns: defaultdict(float) tier -> replicanths (root ``()`` included).
    """
    for_dev = {}
    devices_with_room = []
    for dev in weighted_devs:
        share = dev['weight'] * weight_of_one_part / parts
        if share < 1:
            devices_with_room.append(dev['id'])
        else:
            share = 1
        for_dev[dev['id']] = share
    while True:
        remaining = replicas - sum(for_dev.values())
        if remaining < 1e-10:
            break
        devices_with_room = [d for d in devices_with_room if for_dev[d] < 1]
        rel_weight = remaining / sum(for_dev[d] for d in devices_with_room)
        for dev_id in devices_with_room:
            for_dev[dev_id] = min(1, for_dev[dev_id] * (rel_weight + 1))
    by_tier = defaultdict(float)
    for dev in weighted_devs:
        dev_tier = _dev_tier(dev)
        for depth in range(len(dev_tier) + 1):
            by_tier[dev_tier[:depth]] += for_dev[dev['id']]
    validate_replicas_by_tier(replicas, by_tier)
    return by_tier


def build_max_replicas_by_tier(weighted_devs, replicas, bound=math.ceil):
    """Upper bound of replicas each tier may hold for full dispersion.

    The root holds ``replicas``; each child gets ``bound(parent / children)``;
    a device holds at most 1.

    :returns: defaultdict(float) tier -> bound.
    """
    tier2children = build_tier_tree(weighted_devs)
    result = defaultdict(float)
    stack = [((), replicas)]
    while stack:
        tier, replica_count = stack.pop()
        if len(tier) == 4:
            replica_count = min(1, replica_count)
        result[tier] = replica_count
        subtiers = tier2children.get(tier)
        if subtiers:
            submax = bound(float(replica_count) / len(subtiers))
            for subtier in subtiers:
                stack.append((subtier, submax))
    return result


def _count_devices(weighted_devs):
    num_devices = defaultdict(int)
    for dev in weighted_devs:
        dev_tier = _dev_tier(dev)
        for depth in range(len(dev_tier) + 1):
            num_devices[dev_tier[:depth]] += 1
    return num_devices


def _spread(sub_tiers, replicanths, weighted, dispersed, num_devices):
    # Split a tier's replicanths among its children by weight, clamped to the
    # dispersion bounds and device counts, until the sum matches.
    to_place = defaultdict(float)
    remaining = replicanths
    tiers_to_spread = sub_tiers
    device_limited = False
    while True:
        rel_weight = remaining / sum(weighted[t] for t in tiers_to_spread)
        for tier in tiers_to_spread:
            value = to_place[tier] + weighted[tier] * rel_weight
            if value < dispersed[tier][0]:
                value = dispersed[tier][0]
            elif value > dispersed[tier][1] and not device_limited:
                value = dispersed[tier][1]
            if value > num_devices[tier]:
                value = num_devices[tier]
            to_place[tier] = value
        remaining = replicanths - sum(to_place.values())
        if remaining < -1e-10:
            tiers_to_spread = [t for t in sub_tiers
                               if to_place[t] > dispersed[t][0]]
        elif remaining > 1e-10:
            tiers_to_spread = [t for t in sub_tiers
                               if num_devices[t] > to_place[t] < dispersed[t][1]]
            if not tiers_to_spread:
                device_limited = True
                tiers_to_spread = [t for t in sub_tiers
                                   if to_place[t] < num_devices[t]]
        else:
            return to_place


def build_wanted_replicas_by_tier(weighted_devs, replicas, weighted):
    """Replicanths per tier for the most dispersed placement weights allow.

    :param weighted: result of :func:`build_weighted_replicas_by_tier`.
    :returns: defaultdict(float) tier -> replicanths.
    :raises RingValidationError: if a tier must hold more replicas than it
        has devices.
    """
    dispersed = {
        tier: (math.floor(r), math.ceil(r)) for tier, r in
        build_max_replicas_by_tier(weighted_devs, replicas, bound=float).items()}
    num_devices = _count_devices(weighted_devs)
    tier2children = build_tier_tree(weighted_devs)
    wanted = defaultdict(float)
    stack = [((), replicas)]
    while stack:
        tier, replicanths = stack.pop()
        if replicanths > num_devices[tier]:
            raise RingValidationError(
                'More replicanths (%s) than devices (%s) in tier (%s)'
                % (replicanths, num_devices[tier], tier))
        wanted[tier] = replicanths
        sub_tiers = sorted(tier2children.get(tier, ()))
        if not sub_tiers:
            continue
        to_place = _spread(sub_tiers, replicanths, weighted, dispersed,
                           num_devices)
        for sub_tier in reversed(sub_tiers):
            stack.append((sub_tier, to_place[sub_tier]))
    validate_replicas_by_tier(replicas, wanted)
    return wanted
