# Owns swift-dispersion-populate and swift-dispersion-report (Swift's dispersion tools).
# Rules, as Swift's:
# - config is [dispersion] of /etc/swift/dispersion.conf (auth_url, auth_user, auth_key,
#   swift_dir, dispersion_coverage in percent of the partitions (1.0), retries,
#   concurrency, container_populate/object_populate, container_report/object_report,
#   dump_json);
# - populate creates, through the proxy (python-swiftclient), containers named
#   "dispersion_<policy>_<n>" and objects "dispersion_<n>" in container
#   "dispersion_objects_<policy>", choosing n so that each lands in a partition not
#   yet covered, until coverage% of the partitions are covered;
# - report lists them through the proxy, then HEADs every replica directly on the
#   storage nodes (ring placement) and prints how many copies were found, e.g.
#   "100.00% of container copies found (30 of 30)", plus lines for partitions missing
#   copies ("! There was 1 partition missing 1 copy.").
"""``swift-dispersion-populate`` and ``swift-dispersion-report``."""

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass

from swift.common import direct_client as direct_client_module
from swift.common.config import ConfigError, config_bool, config_number, readconf

DEFAULT_CONF = '/etc/swift/dispersion.conf'
CLEAR = '\r\x1B[K'


class DispersionError(Exception):
    """The tool cannot run: bad config, no auth, unknown policy, missing ring."""


@dataclass(frozen=True)
class DispersionConfig:
    """``[dispersion]`` options (Swift's names and defaults).

    :ivar dispersion_coverage: percent of the partitions to cover (1.0 = 1%).
    :ivar retries: retries of each request.
    :ivar concurrency: requests in flight.
    """
    auth_url: str
    auth_user: str
    auth_key: str
    auth_version: str = '1.0'
    swift_dir: str = '/etc/swift'
    dispersion_coverage: float = 1.0
    retries: int = 5
    concurrency: int = 25
    container_populate: bool = True
    object_populate: bool = True
    container_report: bool = True
    object_report: bool = True
    dump_json: bool = False
    endpoint_type: str = 'publicURL'
    insecure: bool = False
    project_name: str = ''
    project_domain_name: str = ''
    user_domain_name: str = ''

    @classmethod
    def from_conf(cls, conf):
        """:raises ConfigError: missing auth options or a bad value (names it)."""
        for option in ('auth_url', 'auth_user', 'auth_key'):
            if not conf.get(option):
                raise ConfigError('Missing %s in [dispersion]' % option, option=option)

        def flag(name, default):
            return config_bool(conf.get(name, default), name)
        return cls(
            auth_url=conf['auth_url'], auth_user=conf['auth_user'],
            auth_key=conf['auth_key'], auth_version=conf.get('auth_version', '1.0'),
            swift_dir=conf.get('swift_dir', '/etc/swift'),
            dispersion_coverage=config_number(conf.get('dispersion_coverage', 1.0),
                                              float, 'dispersion_coverage', 0),
            retries=config_number(conf.get('retries', 5), int, 'retries', 0),
            concurrency=config_number(conf.get('concurrency', 25), int, 'concurrency', 1),
            container_populate=flag('container_populate', 'yes'),
            object_populate=flag('object_populate', 'yes'),
            container_report=flag('container_report', 'yes'),
            object_report=flag('object_report', 'yes'),
            dump_json=flag('dump_json', 'no'),
            endpoint_type=conf.get('endpoint_type', 'publicURL'),
            insecure=flag('keystone_api_insecure', 'no'),
            project_name=conf.get('project_name', ''),
            project_domain_name=conf.get('project_domain_name', ''),
            user_domain_name=conf.get('user_domain_name', ''))


def load_config(path):
    """Read ``[dispersion]`` of ``path``. :raises ConfigError:"""
    return DispersionConfig.from_conf(readconf(path, 'dispersion'))


def get_time_units(seconds):
    """(amount, unit) with unit 's', 'm' or 'h' (Swift's rounding of elapsed time)."""
    amount, unit = float(seconds), 's'
    if amount > 60:
        amount, unit = amount / 60, 'm'
        if amount > 60:
            amount, unit = amount / 60, 'h'
    return amount, unit


def missing_string(partition_count, missing_copies, copy_count):
    """Swift's line for ``partition_count`` partitions each missing ``missing_copies``
    of ``copy_count`` copies, e.g. ``! There was 1 partition missing 2 copies.``"""
    exclamations, missing = '', str(missing_copies)
    if missing_copies == copy_count:
        exclamations, missing = '!!! ', 'all'
    elif copy_count - missing_copies == 1:
        exclamations = '! '
    verb, noun = ('were', 'partitions') if partition_count > 1 else ('was', 'partition')
    copies = 'copy' if missing_copies == 1 else 'copies'
    return '%sThere %s %d %s missing %s %s.' % (exclamations, verb, partition_count, noun,
                                                missing, copies)


def make_connection(config, retries=None, insecure=False):
    """A python-swiftclient Connection authenticated against the proxy."""
    from swiftclient.client import Connection
    os_options = {'endpoint_type': config.endpoint_type}
    for key in ('project_name', 'project_domain_name', 'user_domain_name'):
        if getattr(config, key):
            os_options[key] = getattr(config, key)
    return Connection(config.auth_url, config.auth_user, config.auth_key,
                      retries=config.retries if retries is None else retries,
                      auth_version=config.auth_version, os_options=os_options,
                      insecure=insecure or config.insecure)


class Dispersion:
    """Populate and report over one cluster.

    :param config: :class:`DispersionConfig`.
    :param conn: swiftclient-like connection (``get_auth``, ``put_container``,
        ``put_object``, ``get_account``, ``get_container``, ``url``).
    :param ring_factory: callable(ring_name) -> Ring.
    :param policies: :class:`StoragePolicyCollection`.
    :param direct: direct_client-like module (``direct_head_container``,
        ``direct_head_object``, ``retry``).
    :param pool_factory: callable(size) -> GreenPool-like.
    :param clock: clock (elapsed times, retry backoff sleeps).
    :param out, err: text streams.
    :param debug: print every failed request to ``err``.
    """

    def __init__(self, config, conn, *, ring_factory, policies, direct=None,
                 pool_factory=None, clock=None, out=sys.stdout, err=sys.stderr,
                 debug=False):
        self.config = config
        self.conn = conn
        self.ring_factory = ring_factory
        self.policies = policies
        self.direct = direct or direct_client_module
        if pool_factory is None:
            from swift.common.concurrency import GreenPool as pool_factory
        self.pool_factory = pool_factory
        if clock is None:
            from swift.common.clock import REAL_CLOCK as clock
        self.clock = clock
        self.out, self.err = out, err
        self.debug = debug
        self._account = None

    @property
    def account(self):
        """The account name at the end of the storage URL."""
        if self._account is None:
            url, _token = self.conn.get_auth()
            self._account = url.rstrip('/').rsplit('/', 1)[1]
        return self._account

    def policy(self, name=None):
        """The named policy, or the default. :raises DispersionError: unknown name."""
        if not name:
            return self.policies.default
        policy = self.policies.get_by_name(name)
        if policy is None:
            raise DispersionError('Unable to find policy: %s' % name)
        return policy

    def _print(self, text, stream=None):
        print(text, file=stream or self.out)

    def _error_log(self, where):
        def log(err):
            if self.debug:
                self._print('%s: %s' % (where, err), self.err)
        return log

    # -- populate -----------------------------------------------------------------

    def _wanted(self, ring):
        return self.config.dispersion_coverage / 100.0 * ring.partition_count

    def _choose_names(self, ring, make_name, place, start, taken=()):
        """Names whose partitions are distinct and not in ``taken``, for coverage%.

        :returns: list of (name, create?) where create is False below ``start``.
        """
        parts_left = set(range(ring.partition_count)) - set(taken)
        need = self._wanted(ring)
        chosen, suffix = [], 0
        limit = ring.partition_count * 1000  # hash spread makes this unreachable
        while need >= 1 and parts_left and suffix < limit:
            name = make_name(suffix)
            part = place(name)
            if part in parts_left:
                chosen.append((name, suffix >= start))
                parts_left.discard(part)
                need -= 1
            suffix += 1
        return chosen

    def _run_pool(self, func, items):
        pool = self.pool_factory(self.config.concurrency)
        for item in items:
            pool.spawn(func, *item)
        pool.waitall()

    def populate_containers(self, policy, suffix_start=0, no_overlap=False):
        """Create the container sample. :returns: number of containers in the sample."""
        ring = self.ring_factory('container')
        prefix = 'dispersion_%d' % policy.idx
        taken = []
        if no_overlap:
            _headers, listing = self.conn.get_account(prefix=prefix, full_listing=True)
            taken = [ring.get_part(self.account, c['name']) for c in listing]
        begin = self.clock.monotonic()
        chosen = self._choose_names(
            ring, lambda n: 'dispersion_%d_%d' % (policy.idx, n),
            lambda name: ring.get_part(self.account, name), suffix_start, taken)
        headers = {'X-Storage-Policy': policy.name}
        self._run_pool(lambda name: self.conn.put_container(name, headers=headers),
                       [(name,) for name, create in chosen if create])
        elapsed, unit = get_time_units(self.clock.monotonic() - begin)
        self._print('%sCreated %d containers for dispersion reporting, %d%s, %d retries'
                    % (CLEAR, len(chosen), round(elapsed), unit, 0))
        return len(chosen)

    def populate_objects(self, policy, suffix_start=0, no_overlap=False):
        """Create the object sample. :returns: number of objects in the sample."""
        ring = self.ring_factory(policy.ring_name)
        container = 'dispersion_objects_%d' % policy.idx
        self.conn.put_container(container, headers={'X-Storage-Policy': policy.name})
        taken = []
        if no_overlap:
            _headers, listing = self.conn.get_container(container, prefix='dispersion_',
                                                        full_listing=True)
            taken = [ring.get_part(self.account, container, o['name']) for o in listing]
        begin = self.clock.monotonic()
        chosen = self._choose_names(
            ring, lambda n: 'dispersion_%d' % n,
            lambda name: ring.get_part(self.account, container, name), suffix_start,
            taken)
        self._run_pool(lambda name: self.conn.put_object(container, name, name),
                       [(name,) for name, create in chosen if create])
        elapsed, unit = get_time_units(self.clock.monotonic() - begin)
        self._print('%sCreated %d objects for dispersion reporting, %d%s, %d retries'
                    % (CLEAR, len(chosen), round(elapsed), unit, 0))
        return len(chosen)

    # -- report -------------------------------------------------------------------

    def _count_copies(self, kind, ring, names, head, output_missing):
        """HEAD every replica of each name. :returns: (found, expected, retries,
        {missing_copies: partitions}, distinct partitions)."""
        totals = {'found': 0, 'expected': 0, 'retries': 0}
        missing = defaultdict(int)

        def check(name, part, nodes):
            found = 0
            for node in nodes:
                where = '%s:%s/%s' % (node['ip'], node['port'], node['device'])
                try:
                    attempts, _ = self.direct.retry(
                        head, node, part, name, retries=self.config.retries,
                        error_log=self._error_log(where), sleep=self.clock.sleep)
                    totals['retries'] += attempts - 1
                    found += 1
                except self._errors() as err:
                    status = getattr(err, 'http_status', None)
                    if status not in (404, 507):
                        self._error_log(where)('Giving up on /%s/%s: %s'
                                               % (part, name, err))
            if output_missing and found < len(nodes):
                lost = len(nodes) - found
                self._print('# %s partition %s missing %s cop%s' % (
                    kind.title(), part, lost, 'y' if lost == 1 else 'ies'), self.err)
            totals['found'] += found
            missing[len(nodes) - found] += 1

        jobs, parts = [], set()
        for name in names:
            part, nodes = ring.get_nodes(self.account, *name)
            totals['expected'] += len(nodes)
            parts.add(part)
            jobs.append((name, part, nodes))
        self._run_pool(check, jobs)
        missing.pop(0, None)
        return totals, dict(missing), len(parts)

    def _errors(self):
        return (self.direct.DirectClientError,)

    def _report(self, kind, ring, names, head, output_missing, json_output):
        begin = self.clock.monotonic()
        totals, missing, distinct = self._count_copies(kind, ring, names, head,
                                                       output_missing)
        value = 100.0 * totals['found'] / totals['expected'] if totals['expected'] else 0
        overlapping = len(names) - distinct
        if json_output:
            results = {'retries': totals['retries'], 'overlapping': overlapping,
                       'pct_found': value, 'copies_found': totals['found'],
                       'copies_expected': totals['expected']}
            for copies, count in missing.items():
                results['missing_%d' % copies] = count
            return results
        elapsed, unit = get_time_units(self.clock.monotonic() - begin)
        self._print('%sQueried %d %ss for dispersion reporting, %d%s, %d retries' % (
            CLEAR, len(names), kind, round(elapsed), unit, totals['retries']))
        if overlapping:
            self._print('There were %d overlapping partitions' % overlapping)
        for copies, count in sorted(missing.items()):
            self._print(missing_string(count, copies, int(ring.replica_count)))
        self._print('%.02f%% of %s copies found (%d of %d)' % (
            value, kind, totals['found'], totals['expected']))
        self._print('Sample represents %.02f%% of the %s partition space' % (
            100.0 * distinct / ring.partition_count, kind))
        return None

    def container_report(self, policy, output_missing=False, json_output=False):
        """Check the container sample. :returns: JSON dict (json_output) or None."""
        ring = self.ring_factory('container')
        _headers, listing = self.conn.get_account(prefix='dispersion_%d' % policy.idx,
                                                  full_listing=True)
        names = [(c['name'],) for c in listing]
        if not names:
            self._print('No containers to query. Has swift-dispersion-populate been '
                        'run?', self.err)
            return None

        def head(node, part, name):
            return self.direct.direct_head_container(node, part, self.account, name)
        return self._report('container', ring, names,
                            lambda node, part, name: head(node, part, name[0]),
                            output_missing, json_output)

    def object_report(self, policy, output_missing=False, json_output=False):
        """Check the object sample. :returns: JSON dict (json_output) or None."""
        ring = self.ring_factory(policy.ring_name)
        container = 'dispersion_objects_%d' % policy.idx
        try:
            _headers, listing = self.conn.get_container(container, prefix='dispersion_',
                                                        full_listing=True)
        except Exception as err:  # swiftclient raises ClientException on 404
            if getattr(err, 'http_status', None) != 404:
                raise
            listing = []
        names = [(container, o['name']) for o in listing]
        if not names:
            self._print('No objects to query. Has swift-dispersion-populate been run?',
                        self.err)
            return None
        headers = {'X-Backend-Storage-Policy-Index': str(policy.idx)}

        def head(node, part, name):
            return self.direct.direct_head_object(node, part, self.account, name[0],
                                                  name[1], headers=headers)
        return self._report('object', ring, names, head, output_missing, json_output)


# -- command lines ----------------------------------------------------------------

def _common_parser(prog, usage):
    parser = argparse.ArgumentParser(prog=prog, usage=usage)
    parser.add_argument('conf_file', nargs='?', default=DEFAULT_CONF)
    parser.add_argument('--container-only', action='store_true', default=False,
                        help='Only run container actions')
    parser.add_argument('--object-only', action='store_true', default=False,
                        help='Only run object actions')
    parser.add_argument('--insecure', action='store_true', default=False,
                        help='Allow accessing insecure keystone server.')
    parser.add_argument('-P', '--policy-name', dest='policy_name',
                        help='Specify storage policy name')
    return parser


def _build(options, out, err, debug=False):
    from swift.common.ring import Ring
    from swift.common.storage_policy import StoragePolicyCollection
    config = load_config(options.conf_file)
    policies = StoragePolicyCollection.from_swift_dir(config.swift_dir)
    rings = {}

    def ring_factory(name):
        if name not in rings:
            rings[name] = Ring(config.swift_dir, ring_name=name)
        return rings[name]
    conn = make_connection(config, insecure=options.insecure)
    return Dispersion(config, conn, ring_factory=ring_factory, policies=policies,
                      out=out, err=err, debug=debug)


def _run_cli(body, argv, parser, out, err):
    options = parser.parse_args(argv)
    if options.container_only and options.object_only:
        print('Error: --container-only and --object-only are exclusive', file=err)
        return 2
    from swift.common import concurrency
    concurrency.monkey_patch()
    try:
        return body(options)
    except (ConfigError, DispersionError) as error:
        print('Error: %s' % error, file=err)
        return 1
    except Exception as error:  # auth failure, unreachable proxy, missing ring...
        print('Error: %s: %s' % (type(error).__name__, error), file=err)
        return 1


def populate_main(argv=None, out=None, err=None, dispersion=None):
    """``swift-dispersion-populate [options] [conf_file]``.

    :param dispersion: a ready :class:`Dispersion` (tests); built from conf otherwise.
    :returns: exit status (0 ok, 1 error, 2 usage).
    """
    out, err = out or sys.stdout, err or sys.stderr
    parser = _common_parser('swift-dispersion-populate',
                            '%(prog)s [options] [conf_file]')
    parser.add_argument('--no-overlap', action='store_true', default=False,
                        help='No overlap of partitions if running populate more than '
                             'once. Will increase coverage by amount shown in '
                             'dispersion.conf file')
    parser.add_argument('--container-suffix-start', type=int, default=0,
                        help='container suffix start value, defaults to 0')
    parser.add_argument('--object-suffix-start', type=int, default=0,
                        help='object suffix start value, defaults to 0')

    def body(options):
        tool = dispersion or _build(options, out, err)
        tool.out, tool.err = out, err
        policy = tool.policy(options.policy_name)
        print('Using storage policy: %s ' % policy.name, file=out)
        if tool.config.container_populate and not options.object_only:
            tool.populate_containers(policy, options.container_suffix_start,
                                     options.no_overlap)
        if tool.config.object_populate and not options.container_only:
            tool.populate_objects(policy, options.object_suffix_start,
                                  options.no_overlap)
        return 0
    return _run_cli(body, sys.argv[1:] if argv is None else argv, parser, out, err)


def report_main(argv=None, out=None, err=None, dispersion=None):
    """``swift-dispersion-report [options] [conf_file]``.

    :param dispersion: a ready :class:`Dispersion` (tests); built from conf otherwise.
    :returns: exit status (0 ok, 1 error, 2 usage).
    """
    out, err = out or sys.stdout, err or sys.stderr
    parser = _common_parser('swift-dispersion-report', '%(prog)s [options] [conf_file]')
    parser.add_argument('-j', '--dump-json', action='store_true', default=False,
                        help='dump dispersion report in json format')
    parser.add_argument('-d', '--debug', action='store_true', default=False,
                        help='print 404s to standard error')
    parser.add_argument('-p', '--partitions', action='store_true', default=False,
                        help='print missing partitions to standard error')

    def body(options):
        tool = dispersion or _build(options, out, err, debug=options.debug)
        tool.out, tool.err, tool.debug = out, err, options.debug
        json_output = options.dump_json or tool.config.dump_json
        policy = tool.policy(options.policy_name)
        if not json_output:
            print('Using storage policy: %s ' % policy.name, file=out)
        results = {}
        if tool.config.container_report and not options.object_only:
            results['container'] = tool.container_report(policy, options.partitions,
                                                         json_output)
        if tool.config.object_report and not options.container_only:
            results['object'] = tool.object_report(policy, options.partitions,
                                                   json_output)
        if json_output:
            print(json.dumps(results), file=out)
        return 0
    return _run_cli(body, sys.argv[1:] if argv is None else argv, parser, out, err)
