# Owns ``swift-recon``: ask every storage server of a ring for its /recon/* facts,
# concurrently, and print Swift's cluster summary. Rules:
# - hosts are the unique (ip, port) of the ring's devices (optionally one region/zone);
# - every host is asked once per check, all checks bounded by --timeout;
# - a host that fails is counted (no_result / errors), never a traceback;
# - output lines keep Swift's shapes so operators' scripts and eyes keep working.
"""``swift-recon``: cluster health summary from the recon middleware."""

import optparse
import os
import sys
import time
from urllib.parse import urlparse

from swift.cli.recon_scout import Scout
from swift.common import concurrency
from swift.common.middleware.recon import md5_hash_for_file
from swift.common.ring import Ring
from swift.common.ring.errors import RingError
from swift.common.storage_policy import PolicyError, StoragePolicyCollection

RULE = '=' * 79
CHECK_TYPES = ('account', 'container', 'object')
POOL_SIZE = 30


def seconds2timeunit(seconds):
    """``(value, unit)``: seconds as seconds/minutes/hours/days (Swift's rule)."""
    elapsed, unit = seconds, 'seconds'
    for limit, divisor, bigger in ((60, 60.0, 'minutes'), (60, 60.0, 'hours'),
                                   (24, 24.0, 'days')):
        if elapsed < limit:
            break
        elapsed, unit = elapsed / divisor, bigger
    return elapsed, unit


def size_suffix(size):
    """``12345678`` -> ``'12 MB'`` (decimal units, integer division, as Swift)."""
    suffixes = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB']
    for suffix in suffixes:
        if size < 1000:
            return '%s %s' % (size, suffix)
        size = size // 1000
    return '%s YB' % size


def _first_set(response, *keys):
    """The first of ``keys`` whose value in ``response`` is not None (else None)."""
    for key in keys:
        if response.get(key) is not None:
            return response[key]
    return None


class SwiftRecon:
    """Runs recon checks over a set of hosts and prints Swift's report lines.

    :param out: a text stream (default stdout).
    :param fetch: injected HTTP fetcher (see :class:`Scout`).
    :param clock: object with ``time()`` (wall clock, seconds).
    """

    def __init__(self, *, out=None, fetch=None, clock=time):
        self.verbose = False
        self.suppress_errors = False
        self.timeout = 5
        self.server_type = 'object'
        self.pool = concurrency.GreenPool(POOL_SIZE)
        self.stream = out or sys.stdout
        self.fetch = fetch
        self.clock = clock

    def out(self, line=''):
        print(line, file=self.stream)

    # ------------------------------------------------------------ helpers
    def _scout(self, recon_type):
        return Scout(recon_type, self.verbose, self.suppress_errors, self.timeout,
                     fetch=self.fetch, out=self.out, clock=self.clock)

    def _scan(self, recon_type, hosts):
        """Yield ``(url, content, status, ts_start, ts_end)`` for every host."""
        return self.pool.imap(self._scout(recon_type).scout, sorted(hosts))

    def _ptime(self, timev=None):
        when = self.clock.time() if timev is None else timev
        return time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(when))

    @staticmethod
    def _gen_stats(stats, name=None):
        """low/high/total/average/reported/number_none/perc_none of ``stats``
        (None values count as no result)."""
        stats = list(stats)
        cstats = [x for x in stats if x is not None]
        if not cstats:
            return {'reported': 0, 'name': name}
        computed = {'low': min(cstats), 'high': max(cstats), 'total': sum(cstats),
                    'reported': len(cstats), 'number_none': len(stats) - len(cstats),
                    'name': name}
        computed['average'] = computed['total'] / float(len(cstats))
        computed['perc_none'] = computed['number_none'] * 100.0 / len(stats)
        return computed

    def _print_stats(self, stats):
        self.out('[%(name)s] low: %(low)d, high: %(high)d, avg: %(average).1f, '
                 'total: %(total)d, Failed: %(perc_none).1f%%, no_result: '
                 '%(number_none)d, reported: %(reported)d' % stats)

    def _print_or_none(self, values, name):
        computed = self._gen_stats(values, name)
        if computed['reported'] > 0:
            self._print_stats(computed)
        else:
            self.out('[%s] - No hosts returned valid data.' % name)

    def _print_completions(self, lasts):
        """Oldest/most recent completion lines from ``{url: last completion time}``."""
        known = [(last, url) for url, last in lasts.items() if last is not None]
        if not known:
            return
        least_time, least_url = min(known)
        most_time, most_url = max(known)
        host = urlparse(least_url).netloc
        if not least_time:
            self.out('Oldest completion was NEVER by %s.' % host)
        else:
            elapsed, unit = seconds2timeunit(self.clock.time() - least_time)
            self.out('Oldest completion was %s (%d %s ago) by %s.' % (
                self._ptime(least_time), elapsed, unit, host))
        if most_time:
            elapsed, unit = seconds2timeunit(self.clock.time() - most_time)
            self.out('Most recent completion was %s (%d %s ago) by %s.' % (
                self._ptime(most_time), elapsed, unit, urlparse(most_url).netloc))

    def get_hosts(self, region_filter, zone_filter, swift_dir, ring_names):
        """Unique ``(ip, port)`` of the devices of ``ring_names`` in ``swift_dir``.

        :raises RingError: when a ring cannot be loaded.
        """
        devs = []
        for ring_name in ring_names:
            devs.extend(d for d in Ring(swift_dir, ring_name=ring_name).devs if d)
        if region_filter is not None:
            devs = [d for d in devs if d['region'] == region_filter]
        if zone_filter is not None:
            devs = [d for d in devs if d['zone'] == zone_filter]
        return set((d['ip'], d['port']) for d in devs)

    # ------------------------------------------------------------ checks
    def async_check(self, hosts):
        """Async pendings (object servers)."""
        self.out('[%s] Checking async pendings' % self._ptime())
        values = [resp['async_pending'] for _u, resp, status, _s, _e
                  in self._scan('async', hosts) if status == 200]
        self._print_or_none(values, 'async_pending')
        self.out(RULE)

    def driveaudit_check(self, hosts):
        """Drive-audit error counts."""
        self.out('[%s] Checking drive-audit errors' % self._ptime())
        values = [resp['drive_audit_errors'] for _u, resp, status, _s, _e
                  in self._scan('driveaudit', hosts) if status == 200]
        self._print_or_none(values, 'drive_audit_errors')
        self.out(RULE)

    def umount_check(self, hosts):
        """Devices reported unmounted (or erroring) by each host."""
        self.out('[%s] Getting unmounted drives from %s hosts...' % (
            self._ptime(), len(hosts)))
        unmounted, errors = [], []
        for url, resp, status, _s, _e in self._scan('unmounted', hosts):
            if status != 200:
                continue
            node = urlparse(url).netloc
            for entry in resp:
                if isinstance(entry['mounted'], bool):
                    unmounted.append((entry['device'], node))
                else:
                    errors.append((entry['device'], node))
        for device, node in unmounted:
            self.out('Not mounted: %s on %s' % (device, node))
        for device, node in errors:
            self.out('Device errors: %s on %s' % (device, node))
        self.out(RULE)

    def server_type_check(self, hosts):
        """Each host's Server header names the expected ``<type>-server``."""
        self.out("[%s] Validating server type '%s' on %s hosts..." % (
            self._ptime(), self.server_type, len(hosts)))
        scout = self._scout('server_type_check')
        errors = {}
        for url, resp, status in self.pool.imap(scout.scout_server_type, sorted(hosts)):
            if status == 200 and resp != self.server_type + '-server':
                errors[url] = resp
        self.out('%s/%s hosts ok, %s error[s] while checking hosts.' % (
            len(hosts) - len(errors), len(hosts), len(errors)))
        for url in sorted(errors):
            self.out('Invalid: %s is %s' % (url, errors[url]))
        self.out(RULE)

    def _local_ring_sums(self, swift_dir):
        if self.server_type == 'object':
            names = [n for n in os.listdir(swift_dir)
                     if n.startswith('object') and n.endswith('.ring.gz')]
        else:
            names = ['%s.ring.gz' % self.server_type]
        sums = {}
        for name in sorted(names):
            try:
                sums[name] = md5_hash_for_file(os.path.join(swift_dir, name))
            except OSError:
                sums[name] = None
        return sums

    def get_ringmd5(self, hosts, swift_dir):
        """Compare each host's ring md5s with the rings in ``swift_dir``."""
        rings = self._local_ring_sums(swift_dir)
        self.out('[%s] Checking ring md5sums' % self._ptime())
        if self.verbose:
            for name, ring_sum in rings.items():
                self.out('-> On disk %s md5sum: %s' % (name, ring_sum))
        matches = errors = 0
        for url, resp, status, _s, _e in self._scan('ringmd5', hosts):
            if status != 200:
                errors += 1
                continue
            success = True
            for remote_file, remote_sum in sorted(resp.items()):
                remote_name = os.path.basename(remote_file)
                if not remote_name.startswith(self.server_type):
                    continue
                if remote_sum != rings.get(remote_name):
                    success = False
                    self.out("!! %s (%s => %s) doesn't match on disk md5sum" % (
                        url, remote_name, remote_sum))
            if not success:
                errors += 1
                continue
            matches += 1
            if self.verbose:
                self.out('-> %s matches.' % url)
        self.out('%s/%s hosts matched, %s error[s] while checking hosts.' % (
            matches, len(hosts), errors))
        self.out(RULE)

    def get_swiftconfmd5(self, hosts, swift_dir):
        """Compare each host's swift.conf md5 with ``<swift_dir>/swift.conf``."""
        try:
            conf_sum = md5_hash_for_file(os.path.join(swift_dir, 'swift.conf'))
        except OSError:
            conf_sum = None
        self.out('[%s] Checking swift.conf md5sum' % self._ptime())
        if self.verbose:
            self.out('-> On disk swift.conf md5sum: %s' % (conf_sum,))
        matches = errors = 0
        for url, resp, status, _s, _e in self._scan('swiftconfmd5', hosts):
            if status != 200:
                errors += 1
                continue
            remote_sum = next(iter(resp.values()), None) if resp else None
            if remote_sum != conf_sum:
                self.out("!! %s (%s) doesn't match on disk md5sum" % (url, remote_sum))
            else:
                matches += 1
                if self.verbose:
                    self.out('-> %s matches.' % url)
        self.out('%s/%s hosts matched, %s error[s] while checking hosts.' % (
            matches, len(hosts), errors))
        self.out(RULE)

    def replication_check(self, hosts):
        """Replication time, attempted/failure/success and completion times."""
        stats = {'replication_time': [], 'failure': [], 'success': [], 'attempted': []}
        lasts = {}
        self.out('[%s] Checking on replication' % self._ptime())
        for url, resp, status, _s, _e in self._scan(
                'replication/%s' % self.server_type, hosts):
            if status != 200:
                continue
            stats['replication_time'].append(_first_set(
                resp, 'replication_time', 'object_replication_time'))
            repl_stats = resp.get('replication_stats')
            if repl_stats:
                for key in ('attempted', 'failure', 'success'):
                    stats[key].append(repl_stats.get(key))
            lasts[url] = _first_set(resp, 'replication_last', 'object_replication_last')
        for key, values in stats.items():
            name = key if key == 'replication_time' else 'replication_%s' % key
            if values:
                computed = self._gen_stats(values, name)
                if computed['reported'] > 0:
                    self._print_stats(computed)
                    continue
            self.out('[%s] - No hosts returned valid data.' % key)
        self._print_completions(lasts)
        self.out(RULE)

    def sharding_check(self, hosts):
        """Container sharder stats and completion times."""
        stats = {'sharding_time': [], 'attempted': [], 'failure': [], 'success': []}
        lasts = {}
        self.out('[%s] Checking on sharders' % self._ptime())
        for url, resp, status, _s, _e in self._scan('sharding', hosts):
            if status != 200:
                continue
            stats['sharding_time'].append(resp.get('sharding_time') or 0)
            shard_stats = (resp.get('sharding_stats') or {}).get('sharding') or {}
            for key in ('attempted', 'failure', 'success'):
                if key in shard_stats:
                    stats[key].append(shard_stats.get(key))
            lasts[url] = resp.get('sharding_last') or 0
        for key, values in stats.items():
            self._print_or_none(values, key)
        self._print_completions(lasts)
        self.out(RULE)

    def reconstruction_check(self, hosts):
        """Object reconstructor pass times."""
        times = []
        self.out('[%s] Checking on reconstructors' % self._ptime())
        for _url, resp, status, _s, _e in self._scan(
                'reconstruction/%s' % self.server_type, hosts):
            if status == 200:
                times.append(resp.get('object_reconstruction_time'))
        self._print_or_none(times, 'object_reconstruction_time')
        self.out(RULE)

    def auditor_check(self, hosts):
        """Account/container auditor stats."""
        prefix = self.server_type
        done, fail = '%s_auditor_pass_completed' % prefix, '%s_audits_failed' % prefix
        passed, since = '%s_audits_passed' % prefix, '%s_audits_since' % prefix
        self.out('[%s] Checking auditor stats' % self._ptime())
        scan = [resp for _u, resp, status, _s, _e
                in self._scan('auditor/%s' % prefix, hosts) if status == 200]
        if not scan:
            self.out('Error: No hosts available')
            return
        stats = {key: [r.get(key) for r in scan if r.get(key) is not None]
                 for key in (done, fail, passed, since)}
        for key, values in stats.items():
            if not values:
                self.out('[%s] - No hosts returned valid data.' % key)
            elif key != since:
                self._print_stats(self._gen_stats(values, key))
        if stats[since]:
            low, high = min(stats[since]), max(stats[since])
            average = sum(stats[since]) / len(stats[since])
            self.out('[last_pass] oldest: %s, newest: %s, avg: %s' % (
                self._ptime(low), self._ptime(high), self._ptime(average)))
        self.out(RULE)

    @classmethod
    def nested_get_value(cls, key, recon_entry):
        """``recon_entry[key]``, or the sum over nested per-device dicts."""
        if key in recon_entry:
            return recon_entry[key]
        total = None
        for value in recon_entry.values():
            if isinstance(value, dict):
                found = cls.nested_get_value(key, value)
                if found is not None:
                    total = (total or 0) + found
        return total

    def _object_auditor_pass(self, scan, label, keys):
        if not scan:
            self.out('[%s_auditor] - No hosts returned valid data.' % label)
            return
        for key in keys:
            values = [self.nested_get_value(key, entry) for entry in scan]
            values = [v for v in values if v is not None]
            if not values:
                self.out('[Auditor %s] - No hosts returned valid data.' % key)
            else:
                self._print_stats(self._gen_stats(values, '%s_%s_last_path' % (label, key)))

    def object_auditor_check(self, hosts):
        """Object auditor ALL and ZBF pass stats."""
        all_scan, zbf_scan = [], []
        self.out('[%s] Checking auditor stats ' % self._ptime())
        for _url, resp, status, _s, _e in self._scan('auditor/object', hosts):
            if status != 200:
                continue
            if resp.get('object_auditor_stats_ALL'):
                all_scan.append(resp['object_auditor_stats_ALL'])
            if resp.get('object_auditor_stats_ZBF'):
                zbf_scan.append(resp['object_auditor_stats_ZBF'])
        self._object_auditor_pass(all_scan, 'ALL', (
            'audit_time', 'bytes_processed', 'passes', 'errors', 'quarantined'))
        self._object_auditor_pass(zbf_scan, 'ZBF', (
            'audit_time', 'bytes_processed', 'errors', 'quarantined'))
        self.out(RULE)

    def updater_check(self, hosts):
        """Updater sweep times (object and container servers)."""
        key = '%s_updater_sweep' % self.server_type
        self.out('[%s] Checking updater times' % self._ptime())
        values = [resp.get(key) for _u, resp, status, _s, _e
                  in self._scan('updater/%s' % self.server_type, hosts)
                  if status == 200 and resp.get(key)]
        self._print_or_none(values, 'updater_last_sweep')
        self.out(RULE)

    def expirer_check(self, hosts):
        """Object expirer pass time and objects expired in the last pass."""
        stats = {'object_expiration_pass': [], 'expired_last_pass': []}
        self.out('[%s] Checking on expirers' % self._ptime())
        for _url, resp, status, _s, _e in self._scan(
                'expirer/%s' % self.server_type, hosts):
            if status == 200:
                for key in stats:
                    stats[key].append(resp.get(key))
        for key, values in stats.items():
            self._print_or_none(values, key)
        self.out(RULE)

    def _per_key_check(self, title, recon_type, hosts, keys, name_format='%s'):
        """Collect ``keys`` from every host's answer and print one stats line each."""
        stats = {key: [] for key in keys}
        self.out('[%s] %s' % (self._ptime(), title))
        for _url, resp, status, _s, _e in self._scan(recon_type, hosts):
            if status == 200:
                for key, getter in keys.items():
                    stats[key].append(getter(resp))
        for key, values in stats.items():
            if values:
                self._print_stats(self._gen_stats(values, name_format % key))
            else:
                self.out('[%s] - No hosts returned valid data.' % (name_format % key))
        self.out(RULE)

    def load_check(self, hosts):
        """1m/5m/15m load averages."""
        self._per_key_check('Checking load averages', 'load', hosts, {
            key: (lambda resp, k=key: resp[k]) for key in ('1m', '5m', '15m')},
            '%s_load_avg')

    def quarantine_check(self, hosts):
        """Quarantined objects (also per policy), containers and accounts."""
        results = [resp for _u, resp, status, _s, _e
                   in self._scan('quarantined', hosts) if status == 200]
        self.out('[%s] Checking quarantine' % self._ptime())
        stats = {}
        for resp in results:
            for policy, counts in sorted(resp.get('policies', {}).items()):
                stats.setdefault('objects_%s' % policy, []).append(counts['objects'])
        for key in ('objects', 'containers', 'accounts'):
            stats[key] = [resp[key] for resp in results]
        for key, values in stats.items():
            if values:
                self._print_stats(self._gen_stats(values, 'quarantined_%s' % key))
            else:
                self.out('No hosts returned valid data.')
        self.out(RULE)

    def socket_usage(self, hosts):
        """TCP sockets in use, memory, time-wait and orphans."""
        self._per_key_check('Checking socket usage', 'sockstat', hosts, {
            'tcp_in_use': lambda r: r['tcp_in_use'],
            'tcp_mem_allocated_bytes': lambda r: r['tcp_mem_allocated_bytes'],
            'tcp6_in_use': lambda r: r.get('tcp6_in_use', 0),
            'time_wait': lambda r: r['time_wait'],
            'orphan': lambda r: r['orphan']})

    def time_check(self, hosts, jitter=0.0):
        """Each host's clock lies within our request window (+- jitter seconds)."""
        matches = errors = 0
        self.out('[%s] Checking time-sync' % self._ptime())
        for url, remote, status, ts_start, ts_end in self._scan('time', hosts):
            if status != 200:
                errors += 1
                continue
            if remote + jitter < ts_start or remote - jitter > ts_end:
                self.out('!! %s current time is %s, but remote is %s, differs by %.4f '
                         'sec' % (url, self._ptime(ts_end), self._ptime(remote),
                                  abs(ts_end - remote)))
                continue
            matches += 1
            if self.verbose:
                self.out('-> %s matches.' % url)
        self.out('%s/%s hosts matched, %s error[s] while checking hosts.' % (
            matches, len(hosts), errors))
        self.out(RULE)

    def version_check(self, hosts):
        """All hosts run the same Swift version."""
        versions, errors = set(), 0
        self.out('[%s] Checking versions' % self._ptime())
        for url, resp, status, _s, _e in self._scan('version', hosts):
            if status != 200:
                errors += 1
                continue
            versions.add(resp['version'])
            if self.verbose:
                self.out('-> %s installed version %s' % (url, resp['version']))
        if not versions:
            self.out('No hosts returned valid data.')
        elif len(versions) == 1:
            self.out('Versions matched (%s), %s error[s] while checking hosts.' % (
                versions.pop(), errors))
        else:
            self.out('Versions not matched (%s), %s error[s] while checking hosts.' % (
                ', '.join(sorted(versions)), errors))
        self.out(RULE)

    def _collect_disk_usage(self, hosts):
        """Per-host used percentages, raw used/avail bytes and top/lowest devices."""
        per_host, used_bytes, avail_bytes = {}, [], []
        ranked = []
        for url, resp, status, _s, _e in self._scan('diskusage', hosts):
            if status != 200:
                continue
            host_usage = []
            for entry in resp:
                if not isinstance(entry['mounted'], bool):
                    self.out('-> %s/%s: Error: %s' % (url, entry['device'],
                                                      entry['mounted']))
                elif entry['mounted'] and entry['size']:
                    used = float(entry['used']) / float(entry['size']) * 100.0
                    used_bytes.append(entry['used'])
                    avail_bytes.append(entry['avail'])
                    host_usage.append(round(used, 2))
                    ranked.append((used, url, entry['device']))
            per_host[url] = host_usage
        return per_host, used_bytes, avail_bytes, ranked

    def disk_usage(self, hosts, top=0, lowest=0, human_readable=False):
        """Distribution graph of device fullness and cluster space totals."""
        self.out('[%s] Checking disk usage now' % self._ptime())
        per_host, used_bytes, avail_bytes, ranked = self._collect_disk_usage(hosts)
        highs, lows, percents = [], [], {}
        for url, usage in per_host.items():
            if not usage:
                self.out('-> %s: Error. No drive info available.' % url)
                continue
            highs.append(max(usage))
            lows.append(min(usage))
            for percent in usage:
                percents[int(percent)] = percents.get(int(percent), 0) + 1
        if lows:
            self.out('Distribution Graph:')
            mul = 69.0 / max(percents.values())
            for percent in sorted(percents):
                self.out('% 3d%%%5d %s' % (percent, percents[percent],
                                           '*' * int(percents[percent] * mul)))
            raw_used, raw_avail = sum(used_bytes), sum(avail_bytes)
            raw_total = raw_used + raw_avail
            avg_used = 100.0 * raw_used / raw_total if raw_total else 0.0
            if human_readable:
                raw_used, raw_avail, raw_total = (
                    size_suffix(raw_used), size_suffix(raw_avail), size_suffix(raw_total))
            self.out('Disk usage: space used: %s of %s' % (raw_used, raw_total))
            self.out('Disk usage: space free: %s of %s' % (raw_avail, raw_total))
            self.out('Disk usage: lowest: %s%%, highest: %s%%, avg: %s%%' % (
                min(lows), max(highs), avg_used))
        else:
            self.out('No hosts returned valid data.')
        self.out(RULE)
        self._print_ranked('TOP %s' % top, sorted(ranked, key=lambda r: -r[0])[:top])
        self._print_ranked('LOWEST %s' % lowest, sorted(ranked)[:lowest])

    def _print_ranked(self, title, entries):
        if not entries:
            return
        self.out(title)
        for used, url, device in entries:
            host = urlparse(url).netloc.split(':')[0]
            self.out('%.02f%%  %s' % (used, '%-15s %s' % (host, device)))
        self.out(RULE)

    # ------------------------------------------------------------ driver
    def _ring_names(self, swift_dir, policy):
        """Ring names to ask for this server type (None: unknown policy)."""
        if self.server_type != 'object':
            return [self.server_type]
        policies = StoragePolicyCollection.from_swift_dir(swift_dir)
        if policy is None:
            return [p.ring_name for p in policies]
        found = policies.get_by_name(policy) or (
            policies.get_by_index(policy) if str(policy).isdigit() else None)
        return [found.ring_name] if found else None

    def run_checks(self, options, hosts):
        """Run the checks ``options`` asks for on ``hosts`` (Swift's order)."""
        kind = self.server_type
        swift_dir = options.swiftdir
        if options.all:
            if kind == 'object':
                self.async_check(hosts)
                self.object_auditor_check(hosts)
                self.updater_check(hosts)
                self.expirer_check(hosts)
                self.reconstruction_check(hosts)
            elif kind == 'container':
                self.auditor_check(hosts)
                self.updater_check(hosts)
                self.sharding_check(hosts)
            else:
                self.auditor_check(hosts)
            self.replication_check(hosts)
            self.umount_check(hosts)
            self.load_check(hosts)
            self.disk_usage(hosts, options.top, options.lowest, options.human_readable)
            self.get_ringmd5(hosts, swift_dir)
            self.get_swiftconfmd5(hosts, swift_dir)
            self.quarantine_check(hosts)
            self.socket_usage(hosts)
            self.server_type_check(hosts)
            self.driveaudit_check(hosts)
            self.time_check(hosts, options.jitter)
            self.version_check(hosts)
            return
        self._run_selected(options, hosts)

    def _only(self, allowed, message, check, hosts):
        if self.server_type in allowed:
            check(hosts)
        else:
            self.out(message)
            self.out(RULE)

    def _run_selected(self, options, hosts):
        kind = self.server_type
        if options.async_check:
            self._only(('object',), "Error: Can't check asyncs on non object servers.",
                       self.async_check, hosts)
        if options.unmounted:
            self.umount_check(hosts)
        if options.replication:
            self.replication_check(hosts)
        if options.auditor:
            (self.object_auditor_check if kind == 'object' else self.auditor_check)(hosts)
        if options.updater:
            self._only(('object', 'container'),
                       "Error: Can't check updaters on account servers.",
                       self.updater_check, hosts)
        if options.expirer:
            self._only(('object',), "Error: Can't check expirer on non object servers.",
                       self.expirer_check, hosts)
        if options.reconstruction:
            self._only(('object',), 'Error: Can only check reconstruction stats on '
                       'object servers.', self.reconstruction_check, hosts)
        if options.sharding:
            self._only(('container',), 'Error: Can only check sharding stats on '
                       'container servers.', self.sharding_check, hosts)
        if options.validate_servers:
            self.server_type_check(hosts)
        if options.loadstats:
            self.load_check(hosts)
        if options.diskusage:
            self.disk_usage(hosts, options.top, options.lowest, options.human_readable)
        if options.md5:
            self.get_ringmd5(hosts, options.swiftdir)
            self.get_swiftconfmd5(hosts, options.swiftdir)
        if options.quarantined:
            self.quarantine_check(hosts)
        if options.sockstat:
            self.socket_usage(hosts)
        if options.driveaudit:
            self.driveaudit_check(hosts)
        if options.time:
            self.time_check(hosts, options.jitter)
        if options.swift_versions:
            self.version_check(hosts)

    def main(self, argv):
        """Parse ``argv`` (without the program name), run, return the exit code."""
        self.out(RULE)
        parser = build_parser()
        options, arguments = parser.parse_args(argv)
        if not argv or len(arguments) > len(CHECK_TYPES):
            parser.print_help(self.stream)
            return 0
        if arguments and not set(arguments).issubset(CHECK_TYPES):
            self.out('Invalid Server Type')
            parser.print_help(self.stream)
            return 1
        server_types = [t for t in CHECK_TYPES if t in arguments] or ['object']
        self.verbose = options.verbose
        self.suppress_errors = options.suppress
        self.timeout = options.timeout
        for server_type in server_types:
            self.server_type = server_type
            try:
                ring_names = self._ring_names(options.swiftdir, options.policy)
            except PolicyError as err:
                self.out('Error: %s' % err)
                return 1
            if not ring_names:
                self.out('Invalid Storage Policy: %s' % options.policy)
                parser.print_help(self.stream)
                return 0
            try:
                hosts = self.get_hosts(options.region, options.zone,
                                       options.swiftdir, ring_names)
            except RingError as err:
                self.out('Error: %s' % err)
                return 1
            self.out('--> Starting reconnaissance on %s hosts (%s)' % (
                len(hosts), self.server_type))
            self.out(RULE)
            self.run_checks(options, hosts)
        return 0


USAGE = '''
usage: %prog <server_type> [<server_type> [<server_type>]]
        [-v] [--suppress] [-a] [-r] [-u] [-d] [-R]
        [-l] [-T] [--md5] [--auditor] [--updater] [--expirer] [--sockstat]
        [--human-readable]

        <server_type>\taccount|container|object
        Defaults to object server.

        ex: %prog container -l --auditor
        '''


def build_parser():
    """swift-recon's option parser (Swift's options and help texts)."""
    parser = optparse.OptionParser(USAGE, prog='swift-recon')
    flag = parser.add_option
    flag('--verbose', '-v', action='store_true', help='Print verbose info')
    flag('--suppress', action='store_true',
         help='Suppress most connection related errors')
    flag('--async', '-a', action='store_true', dest='async_check', help='Get async stats')
    flag('--replication', '-r', action='store_true', help='Get replication stats')
    flag('--reconstruction', '-R', action='store_true', help='Get reconstruction stats')
    flag('--auditor', action='store_true', help='Get auditor stats')
    flag('--updater', action='store_true', help='Get updater stats')
    flag('--expirer', action='store_true', help='Get expirer stats')
    flag('--sharding', action='store_true', help='Get sharding stats')
    flag('--unmounted', '-u', action='store_true',
         help='Check cluster for unmounted devices')
    flag('--diskusage', '-d', action='store_true', help='Get disk usage stats')
    flag('--human-readable', action='store_true',
         help='Use human readable suffix for disk usage stats')
    flag('--loadstats', '-l', action='store_true', help='Get cluster load average stats')
    flag('--quarantined', '-q', action='store_true', help='Get cluster quarantine stats')
    flag('--validate-servers', action='store_true', help='Validate servers on the ring')
    flag('--md5', action='store_true',
         help='Get md5sum of servers ring and compare to local copy')
    flag('--sockstat', action='store_true', help='Get cluster socket usage stats')
    flag('--driveaudit', action='store_true', help='Get drive audit error stats')
    flag('--time', '-T', action='store_true', help='Check time synchronization')
    flag('--jitter', type='float', default=0.0, help='Maximal allowed time jitter')
    flag('--swift-versions', action='store_true', help='Check swift versions')
    flag('--top', type='int', metavar='COUNT', default=0,
         help='Also show the top COUNT entries in rank order.')
    flag('--lowest', type='int', metavar='COUNT', default=0,
         help='Also show the lowest COUNT entries in rank order.')
    flag('--all', action='store_true',
         help='Perform all checks. Equal to \t\t\t-arRudlqT --md5 --sockstat --auditor '
              '--updater --expirer --driveaudit --validate-servers --swift-versions')
    flag('--region', type='int', help='Only query servers in specified region')
    flag('--zone', '-z', type='int', help='Only query servers in specified zone')
    flag('--timeout', '-t', type='int', metavar='SECONDS', default=5,
         help='Time to wait for a response from a server')
    flag('--swiftdir', default=os.environ.get('SWIFT_DIR', '/etc/swift'),
         help='Default = $SWIFT_DIR or /etc/swift')
    flag('--policy', '-p', help='Only query object servers in specified storage policy '
                                '(specified as name or index).')
    return parser


def main(argv=None, *, out=None, fetch=None, clock=time):
    """Entry point of ``swift-recon``; returns the exit code (0 on success)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    return SwiftRecon(out=out, fetch=fetch, clock=clock).main(argv)


if __name__ == '__main__':
    sys.exit(main())
