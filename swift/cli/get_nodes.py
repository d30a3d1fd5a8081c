# swift-get-nodes: where an account, container or object (or a partition) lives:
# partition, hash, primary and handoff servers, and the curl / ls hints an
# operator pastes, in Swift's output shape. Exit 0 on success, 1 when the target
# cannot be resolved (Swift's InfoSystemExit), 2 for bad options.
"""The ``swift-get-nodes`` command line tool."""

import itertools
import optparse
import os
import sys
import urllib.parse

from swift.cli.ringbuilder import silence_stdout
from swift.common.hashing import HashPathConfig, HashPathConfigError, hash_path
from swift.common.ring import Ring
from swift.common.ring.errors import RingError
from swift.common.storage_policy import StoragePolicyCollection

USAGE = '''
    %prog [-a] <ring.gz> <account> [<container> [<object>]]
    %prog [-a] <ring.gz> -p partition
    %prog [-a] -P policy_name <account> [<container> [<object>]]
    %prog [-a] -P policy_name -p partition
Shows the nodes responsible for the item specified.
Example:
    $ %prog /etc/swift/account.ring.gz MyAccount
    Partition 5743883
    Hash 96ae332a60b58910784e4417a03e1ad0
    10.1.1.7:8000 sdd1
    10.1.9.2:8000 sdb1
    10.1.5.5:8000 sdf1
    10.1.5.9:8000 sdt1 # [Handoff]'''


class InfoExit(Exception):
    """The target cannot be resolved; the message was already printed."""


def storage_directory(datadir, partition, name_hash):
    """``<datadir>/<partition>/<hash[-3:]>/<hash>`` (Swift's on-disk layout)."""
    return os.path.join(datadir, str(partition), name_hash[-3:], name_hash)


def _parser():
    parser = optparse.OptionParser(USAGE, prog='swift-get-nodes')
    parser.add_option('-a', '--all', action='store_true',
                      help='Show all handoff nodes')
    parser.add_option('-p', '--partition', metavar='PARTITION',
                      help='Show nodes for a given partition')
    parser.add_option('-P', '--policy-name', dest='policy_name',
                      help='Specify which policy to use')
    parser.add_option('-d', '--swift-dir', default=os.environ.get('SWIFT_DIR', '/etc/swift'),
                      dest='swift_dir', help='Path to swift directory')
    parser.add_option('-Q', '--quoted', action='store_true',
                      help='Assume swift paths are quoted')
    return parser


def parse_get_node_args(options, args):
    """Split ``args`` into ``(ring_path or None, [account, container, obj])``.

    A single ``a/c/o`` argument is split on ``/``; a lone number is a partition.

    :raises InfoExit: for a bad combination (message printed).
    """
    ring_path = None
    if args and args[0].endswith('.ring.gz'):
        ring_path, args = args[0], args[1:]
    elif not options.policy_name:
        _stop('Need to specify policy_name or <ring.gz>')
    if len(args) == 1 and not options.partition and args[0].isdigit() \
            and ring_path:
        options.partition, args = args[0], []
    if len(args) == 1 and '/' in args[0]:
        args = args[0].strip('/').split('/', 2)
    if options.quoted:
        args = [urllib.parse.unquote(arg) for arg in args]
    if options.partition and not options.partition.isdigit():
        _stop('Invalid partition %r' % options.partition)
    if len(args) > 3:
        _stop('Invalid arguments')
    return ring_path, args


def _stop(message):
    print(message)
    raise InfoExit(message)


def _hash_config(options, ring_path):
    candidates = [options.swift_dir]
    if ring_path:
        candidates.append(os.path.dirname(os.path.abspath(ring_path)))
    for swift_dir in candidates:
        if os.path.exists(os.path.join(swift_dir, 'swift.conf')):
            try:
                return HashPathConfig.from_swift_dir(swift_dir)
            except HashPathConfigError as err:
                _stop(str(err))
    _stop('Unable to find swift.conf in %s' % ' or '.join(candidates))


def _ring_for_policy(options):
    try:
        policies = StoragePolicyCollection.from_swift_dir(options.swift_dir)
    except (OSError, ValueError) as err:
        _stop('Unable to load storage policies: %s' % err)
    policy = policies.get_by_name(options.policy_name)
    if policy is None:
        _stop('No policy named %r' % options.policy_name)
    ring_name = policy.ring_name
    return os.path.join(options.swift_dir, ring_name + '.ring.gz'), int(
        policy.idx)


def _datadir(ring_name, account, container, obj):
    if account and container and obj:
        kind = 'objects'
    elif account and container:
        kind = 'containers'
    elif account:
        kind = 'accounts'
    else:
        kind = None
    if ring_name.startswith('object'):
        suffix = ring_name[len('object'):]
        return 'objects' + suffix, kind
    if kind is None:
        return ring_name + 's', kind
    return kind, kind


def print_ring_locations(ring, datadir, account, container=None, obj=None,
                         partition=None, all_nodes=False, policy_index=None):
    """Print Swift's location report for an item or a partition."""
    if partition is not None:
        part = int(partition)
    else:
        part = ring.get_part(account, container, obj)
    primaries = ring.get_part_nodes(part)
    handoffs = ring.get_more_nodes(part)
    if not all_nodes:
        handoffs = itertools.islice(handoffs, len(primaries))
    handoffs = list(handoffs)
    path_hash = None
    if account and partition is None:
        path_hash = hash_path(account, container, obj, config=ring.hash_config)
    print('Partition\t%s' % part)
    print('Hash     \t%s\n' % path_hash)
    for node in primaries:
        print('Server:Port Device\t%s:%s %s' % (node['ip'], node['port'],
                                                node['device']))
    for node in handoffs:
        print('Server:Port Device\t%s:%s %s\t [Handoff]' % (
            node['ip'], node['port'], node['device']))
    print('\n')
    target = '/'.join(p for p in (account, container, obj) if p)
    for node, tail in [(n, '') for n in primaries] + \
            [(n, ' # [Handoff]') for n in handoffs]:
        cmd = 'curl -g -I -XHEAD "http://%s:%s/%s/%s/%s"' % (
            _host(node['ip']), node['port'], node['device'], part,
            urllib.parse.quote(target))
        if policy_index is not None:
            cmd += ' -H "%s: %s"' % ('X-Backend-Storage-Policy-Index',
                                     policy_index)
        print(cmd + ' --path-as-is' + tail)
    print('\n\nUse your own device location of servers:')
    print('such as "export DEVICE=/srv/node"')
    where = storage_directory(datadir, part, path_hash) if path_hash else \
        '%s/%d' % (datadir, part)
    for node, tail in [(n, '') for n in primaries] + \
            [(n, ' # [Handoff]') for n in handoffs]:
        print('ssh %s "ls -lah ${DEVICE:-/srv/node*}/%s/%s"%s' % (
            node['ip'], node['device'], where, tail))
    print('\nnote: `/srv/node*` is used as default value of `devices`, the '
          'real value is set in the config file on each storage node.')


def _host(ip):
    return '[%s]' % ip if ':' in ip else ip


def _check_target(account, container, obj, partition):
    if (container or obj) and not account:
        _stop('No account specified')
    if obj and not container:
        _stop('No container specified')
    if not account and partition is None:
        _stop('No target specified')


def run(options, args):
    """Resolve and print; raises InfoExit when the target cannot be resolved."""
    ring_path, args = parse_get_node_args(options, args)
    account, container, obj = (list(args) + [None, None, None])[:3]
    _check_target(account, container, obj, options.partition)
    policy_index = None
    if ring_path is None:
        ring_path, policy_index = _ring_for_policy(options)
    ring_name = os.path.basename(ring_path)[:-len('.ring.gz')]
    if obj and ring_name.startswith('object-'):
        policy_index = int(ring_name.split('-', 1)[1])
    datadir, kind = _datadir(ring_name, account, container, obj)
    expected = {'objects': 'object', 'containers': 'container',
                'accounts': 'account'}.get(kind)
    if expected and not ring_name.startswith(expected):
        print('Warning: %s specified but ring not named "%s"' % (
            {'objects': 'account/container/object',
             'containers': 'account/container',
             'accounts': 'account'}[kind], expected))
    try:
        ring = Ring(ring_path, hash_config=_hash_config(options, ring_path))
    except (OSError, RingError) as err:
        _stop(str(err))
    if options.partition is not None and \
            int(options.partition) >= ring.partition_count:
        _stop('Partition %s is out of range (ring has %d partitions)'
              % (options.partition, ring.partition_count))
    if account:
        print('\nAccount  \t%s' % urllib.parse.quote(account))
    if container:
        print('Container\t%s' % urllib.parse.quote(container))
    if obj:
        print('Object   \t%s\n\n' % urllib.parse.quote(obj))
    print_ring_locations(ring, datadir, account, container, obj,
                         options.partition, options.all, policy_index)


def main(argv=None):
    """Run swift-get-nodes.

    :param argv: arguments after the program name (default ``sys.argv[1:]``).
    :returns: 0 on success, 1 when the target cannot be resolved, 2 for bad
        options.
    """
    parser = _parser()
    try:
        options, args = parser.parse_args(
            sys.argv[1:] if argv is None else list(argv))
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 2
    if not args and not options.partition:
        parser.print_help()
        return 1
    try:
        run(options, args)
    except InfoExit:
        return 1
    except BrokenPipeError:
        silence_stdout()
        return 1
    return 0
