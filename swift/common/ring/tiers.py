# Owns the failure-domain tiers of a device: (region,), (region, zone),
# (region, zone, ip), (region, zone, ip, id) - Swift's tier tree, used both by the
# builder (dispersion, replica plan) and by tooling that reports per tier.
"""Failure-domain tiers of ring devices."""

from collections import defaultdict


def tiers_for_dev(dev):
    """Return the 4 tiers of ``dev``, broadest first.

    :param dev: device dict with ``region``, ``zone``, ``ip``, ``id``.
    :returns: tuple of 4 tuples.
    """
    t1 = (dev['region'],)
    t2 = t1 + (dev['zone'],)
    t3 = t2 + (dev['ip'],)
    t4 = t3 + (dev['id'],)
    return (t1, t2, t3, t4)


def build_tier_tree(devices):
    """Map each tier to the set of its child tiers; ``()`` is the root.

    :param devices: iterable of device dicts (None entries are skipped).
    :returns: defaultdict(set) tier -> set of child tiers.
    """
    tier2children = defaultdict(set)
    for dev in devices:
        if dev is None:
            continue
        for tier in tiers_for_dev(dev):
            tier2children[tier[:-1]].add(tier)
    return tier2children


def tier_to_str(tier):
    """Render a tier as Swift prints it: ``r1``, ``r1z2``, ``r1z2-127.0.0.1``,
    ``r1z2-127.0.0.1/sdb`` (the last needs the device name, see ``dev_name``).
    """
    text = ''
    if len(tier) >= 1:
        text = 'r%s' % (tier[0],)
    if len(tier) >= 2:
        text += 'z%s' % (tier[1],)
    if len(tier) >= 3:
        text += '-%s' % (tier[2],)
    return text
