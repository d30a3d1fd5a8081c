"""Benchmark: initial rebalance of a large ring.

Part power 18 (262144 partitions), 3 replicas, 500 devices in 5 regions of 10
zones each (50 zones), 2 servers per zone, 5 devices per server, unequal
weights. Prints wall seconds and peak memory (RSS high-water mark) of the
rebalance, then a second rebalance after a device is added (the incremental
case operators run most).

Targets (issue 3): under 60 s and 2 GiB on a 2-core / 24 GiB machine.
Run: python bench/ring_rebalance.py [--part-power N] [--devices N]
"""

import argparse
import resource
import sys
import time

from swift.common.ring import RingBuilder


class _Clock:
    """Wall clock we can move forward to pass min_part_hours instantly."""

    def __init__(self):
        self.offset = 0.0

    def time(self):
        return time.time() + self.offset


def build(part_power, devices, regions, zones_per_region, clock):
    builder = RingBuilder(part_power, 3, 1, clock=clock)
    servers_per_zone = 2
    per_server = max(1, devices // (regions * zones_per_region * servers_per_zone))
    dev_count = 0
    for region in range(1, regions + 1):
        for zone in range(1, zones_per_region + 1):
            for server in range(servers_per_zone):
                ip = '10.%d.%d.%d' % (region, zone, server + 1)
                for disk in range(per_server):
                    if dev_count >= devices:
                        break
                    builder.add_dev({
                        'region': region, 'zone': zone, 'ip': ip,
                        'port': 6200, 'device': 'd%d' % disk,
                        'weight': 100.0 + 10 * ((dev_count * 7) % 5)})
                    dev_count += 1
    return builder


def peak_rss_mib():
    # ru_maxrss is KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--part-power', type=int, default=18)
    parser.add_argument('--devices', type=int, default=500)
    parser.add_argument('--regions', type=int, default=5)
    parser.add_argument('--zones-per-region', type=int, default=10)
    parser.add_argument('--seed', default='1')
    args = parser.parse_args(argv)
    clock = _Clock()
    builder = build(args.part_power, args.devices, args.regions,
                    args.zones_per_region, clock)
    start = time.monotonic()
    changed, balance, _removed = builder.rebalance(seed=args.seed)
    initial_s = time.monotonic() - start
    print('initial rebalance: part_power=%d replicas=3 devices=%d regions=%d '
          'zones=%d' % (args.part_power, args.devices, args.regions,
                        args.regions * args.zones_per_region))
    print('  seconds: %.2f  changed part-replicas: %d  balance: %.2f  '
          'dispersion: %.2f' % (initial_s, changed, balance, builder.dispersion))
    print('  peak memory: %.0f MiB' % peak_rss_mib())
    builder.add_dev({'region': 1, 'zone': 1, 'ip': '10.1.1.9', 'port': 6200,
                     'device': 'new', 'weight': 100.0})
    clock.offset += 3600 * 2
    start = time.monotonic()
    changed, balance, _removed = builder.rebalance(seed=args.seed)
    add_s = time.monotonic() - start
    print('rebalance after adding 1 device:')
    print('  seconds: %.2f  changed part-replicas: %d  balance: %.2f  '
          'dispersion: %.2f' % (add_s, changed, balance, builder.dispersion))
    start = time.monotonic()
    builder.validate()
    print('validate: %.2f s' % (time.monotonic() - start))
    print('peak memory (whole run): %.0f MiB  (target < 2048 MiB; '
          'initial rebalance target < 60 s: %s)'
          % (peak_rss_mib(), 'met' if initial_s < 60 else 'MISSED'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
