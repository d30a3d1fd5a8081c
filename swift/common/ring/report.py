# Owns the text reports swift-ring-builder prints about a builder: the device
# table of the default command, the search table, and the dispersion report.
# Column widths and formats are Swift's, byte for byte (fixtures builder-display.txt,
# search-d3.txt, dispersion.txt).
"""Builder reports: device tables and dispersion."""

import math
import re

from swift.common.ring.builder import MAX_BALANCE
from swift.common.ring.devices import is_valid_ipv6

SEARCH_HEADER = ('Devices:    id  region  zone      ip address  port  '
                 'replication ip  replication port      name weight partitions '
                 'balance meta')


def _bracketed(ip):
    return '[%s]' % ip if ':' in ip else ip


def device_table(builder, balance_per_dev, remove_ids):
    """Lines of the default command's device table (header first).

    :param balance_per_dev: dict dev id -> balance (%).
    :param remove_ids: ids of devices marked for removal (flag ``DEL``).
    :returns: list of str.
    """
    ip_width, port_width, rep_ip_width, rep_port_width = 10, 4, 14, 4
    weight_width = 6
    ip_ipv6 = rep_ipv6 = False
    for dev in builder._iter_devs():
        ip_ipv6 = ip_ipv6 or is_valid_ipv6(dev['ip'])
        rep_ipv6 = rep_ipv6 or is_valid_ipv6(dev['replication_ip'])
        ip_width = max(len(dev['ip']), ip_width)
        rep_ip_width = max(len(dev['replication_ip']), rep_ip_width)
        port_width = max(len(str(dev['port'])), port_width)
        rep_port_width = max(len(str(dev['replication_port'])), rep_port_width)
        weight_width = max(len('%6.02f' % dev['weight']), weight_width)
    ip_width += 2 if ip_ipv6 else 0
    rep_ip_width += 2 if rep_ipv6 else 0
    header = ('Devices:%5s %6s %4s %' + str(ip_width) + 's:%-' +
              str(port_width) + 's %' + str(rep_ip_width) + 's:%-' +
              str(rep_port_width) + 's %5s %' + str(weight_width) +
              's %10s %7s %5s %s') % (
        'id', 'region', 'zone', 'ip address', 'port', 'replication ip',
        'port', 'name', 'weight', 'partitions', 'balance', 'flags', 'meta')
    row_format = ('%13d %6d %4d %' + str(ip_width) + 's:%-' + str(port_width) +
                  'd %' + str(rep_ip_width) + 's:%-' + str(rep_port_width) +
                  'd %5s %' + str(weight_width) + '.02f %10s %7.02f %5s %s')
    lines = [header]
    for dev in sorted(builder._iter_devs(), key=lambda d: (
            d['region'], d['zone'], d['ip'], d['device'])):
        flags = 'DEL' if dev['id'] in remove_ids else ''
        lines.append(row_format % (
            dev['id'], dev['region'], dev['zone'], _bracketed(dev['ip']),
            dev['port'], _bracketed(dev['replication_ip']),
            dev['replication_port'], dev['device'], dev['weight'],
            dev['parts'], balance_per_dev.get(dev['id'], 0), flags,
            dev['meta']))
    return lines


def search_table(builder, devs):
    """Lines of the ``search`` command's table (header first)."""
    weighted_parts = builder.parts * builder.replicas / sum(
        d['weight'] for d in builder._iter_devs()) if any(
        d['weight'] for d in builder._iter_devs()) else 0
    lines = [SEARCH_HEADER]
    for dev in devs:
        if not dev['weight'] or not weighted_parts:
            balance = MAX_BALANCE if dev['parts'] else 0
        else:
            balance = 100.0 * dev['parts'] / (
                dev['weight'] * weighted_parts) - 100.0
        lines.append('         %5d %7d %5d %15s %5d %15s %17d %9s %6.02f %10s '
                     '%7.02f %s' % (
                         dev['id'], dev['region'], dev['zone'], dev['ip'],
                         dev['port'], dev['replication_ip'],
                         dev['replication_port'], dev['device'],
                         dev['weight'], dev['parts'], balance, dev['meta']))
    return lines


def get_tier_name(tier, builder):
    """``r1``, ``r1z2``, ``r1z2-127.0.0.1``, ``r1z2-127.0.0.1/sdb``."""
    if len(tier) == 1:
        return 'r%s' % (tier[0],)
    if len(tier) == 2:
        return 'r%sz%s' % (tier[0], tier[1])
    if len(tier) == 3:
        return 'r%sz%s-%s' % (tier[0], tier[1], tier[2])
    device = builder.devs[tier[3]] if tier[3] < len(builder.devs) else None
    return 'r%sz%s-%s/%s' % (tier[0], tier[1], tier[2],
                             (device or {}).get('device', 'IDd%s' % tier[3]))


def dispersion_report(builder, search_filter=None, verbose=False,
                      recalculate=False):
    """Per-tier dispersion figures.

    :param search_filter: regex matched (``re.match``) against tier names.
    :returns: dict with ``max_dispersion`` (%), ``worst_tier`` (name or None)
        and ``graph`` (list of ``(tier_name, dict)`` when ``verbose``).
    :raises re.error: for a bad ``search_filter``.
    """
    if recalculate or not builder._dispersion_graph:
        builder._build_dispersion_graph()
    max_allowed = builder._build_max_replicas_by_tier()
    worst_tier = None
    max_dispersion = 0.0
    graph = []
    for tier, replica_counts in sorted(builder._dispersion_graph.items()):
        tier_name = get_tier_name(tier, builder)
        if search_filter and not re.match(search_filter, tier_name):
            continue
        max_replicas = int(max_allowed[tier])
        at_risk = sum(replica_counts[i] * (i - max_replicas)
                      for i in range(max_replicas + 1, len(replica_counts)))
        placed = sum(replica_counts[i] * i
                     for i in range(1, len(replica_counts)))
        tier_dispersion = 100.0 * at_risk / placed if placed else 0.0
        if tier_dispersion > max_dispersion:
            max_dispersion = tier_dispersion
            worst_tier = tier_name
        if verbose:
            graph.append((tier_name, {'max_replicas': max_replicas,
                                      'placed_parts': placed,
                                      'dispersion': tier_dispersion,
                                      'replicas': replica_counts}))
    return {'max_dispersion': max_dispersion, 'worst_tier': worst_tier,
            'graph': graph}


def dispersion_graph_lines(builder, graph):
    """The verbose dispersion table (underline, header, underline, rows)."""
    replica_range = list(range(int(math.ceil(builder.replicas + 1))))
    count_width = '%%%ds' % max(len(str(builder.parts)), 5)
    counts_tmpl = ' '.join(count_width for _ in replica_range)
    tier_width = max(max(len(name) for name, _ in graph), 30)
    header = ('%-' + str(tier_width) + 's ' + count_width + ' %6s %6s ' +
              counts_tmpl) % tuple(['Tier', 'Parts', '%', 'Max'] + replica_range)
    underline = '-' * len(header)
    lines = [underline, header, underline]
    row_tmpl = '%-' + str(tier_width) + 's ' + count_width + ' %6.02f %6d %s'
    for tier_name, info in graph:
        counts = list(info['replicas'])
        counts += [0] * (len(replica_range) - len(counts))
        lines.append(row_tmpl % (tier_name, info['placed_parts'],
                                 info['dispersion'], info['max_replicas'],
                                 counts_tmpl % tuple(counts[:len(replica_range)])))
    return lines
