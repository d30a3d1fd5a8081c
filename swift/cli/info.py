# Owns swift-account-info and swift-container-info (Swift's output, line for line):
# the DB's path, hashes, timestamps (ISO form plus raw), counts, metadata, then where
# the ring places it (partition, primaries and handoffs, curl and ssh hints).
# swift-object-info lives in swift.cli.object_info (the object side owns it).
"""``swift-account-info`` / ``swift-container-info``: print what a DB file holds."""

import argparse
import itertools
import os
import sys
import urllib.parse

from swift.account.backend import AccountBroker
from swift.common.db import BrokerError
from swift.common.hashing import HashPathConfig, HashPathConfigError, hash_path
from swift.common.storage_policy import StoragePolicyCollection
from swift.common.timestamp import Timestamp
from swift.container.backend import ContainerBroker

DATADIRS = {'account': 'accounts', 'container': 'containers'}


class InfoSystemExit(Exception):
    """Stop with exit status 1 after a one-line message was printed."""


def _ts_line(label, value):
    return '  %s: %s (%s)' % (label, Timestamp(value).isoformat, value)


def _path_hash(account, container, db_file, swift_dir):
    try:
        config = HashPathConfig.from_swift_dir(swift_dir)
    except HashPathConfigError:
        return os.path.basename(db_file)[:-3]
    return hash_path(account, container, config=config)


def print_db_info_metadata(db_type, info, metadata, path_hash, policies, drop_prefixes=False,
                           out=print):
    """Print the ``Path:`` and ``Metadata:`` blocks of an account/container DB."""
    account = info['account']
    container = info.get('container') if db_type == 'container' else None
    out('Path: /%s' % '/'.join(p for p in (account, container) if p is not None))
    out('  Account: %s' % account)
    if container is not None:
        out('  Container: %s' % container)
    out('  Deleted: %s' % info['is_deleted'])
    out('  %s Hash: %s' % (db_type.title(), path_hash))
    out('Metadata:')
    out(_ts_line('Created at', info['created_at']))
    out(_ts_line('Put Timestamp', info['put_timestamp']))
    out(_ts_line('Delete Timestamp', info['delete_timestamp']))
    out(_ts_line('Status Timestamp', info['status_changed_at']))
    if db_type == 'account':
        out('  Container Count: %s' % info['container_count'])
    out('  Object Count: %s' % info['object_count'])
    out('  Bytes Used: %s' % info['bytes_used'])
    if db_type == 'container':
        policy = policies.get_by_index(info['storage_policy_index'])
        out('  Storage Policy: %s (%s)' % (policy.name if policy else 'Unknown',
                                           info['storage_policy_index']))
        out(_ts_line('Reported Put Timestamp', info['reported_put_timestamp']))
        out(_ts_line('Reported Delete Timestamp', info['reported_delete_timestamp']))
        out('  Reported Object Count: %s' % info['reported_object_count'])
        out('  Reported Bytes Used: %s' % info['reported_bytes_used'])
    out('  Chexor: %s' % info['hash'])
    out('  UUID: %s' % info['id'])
    for key, value in info.items():
        if key.lower().startswith('x_%s_' % db_type):
            out('  %s: %s' % (key.replace('_', '-').title(), value))
    _print_metadata(db_type, metadata, drop_prefixes, out)
    if db_type == 'container':
        out('Sharding Metadata:')
        out('  Type: root')
        out('  State: unsharded')


def _print_metadata(db_type, metadata, drop_prefixes, out):
    user, system = {}, {}
    user_prefix = 'x-%s-meta-' % db_type
    sys_prefix = 'x-%s-sysmeta-' % db_type
    for key, (value, _timestamp) in metadata.items():
        lower = key.lower()
        if lower.startswith(user_prefix):
            user[key[len(user_prefix):] if drop_prefixes else key] = value
        elif lower.startswith(sys_prefix):
            system[key[len(sys_prefix):] if drop_prefixes else key] = value
        else:
            out('  %s: %s' % (key.replace('_', '-').title(), value))
    for title, items, kind in (('System Metadata', system, 'system'),
                               ('User Metadata', user, 'user')):
        if items:
            out('  %s:' % title)
            for key, value in items.items():
                out('    %s: %s' % (key, value))
        else:
            out('No %s metadata found in db file' % kind)


def print_ring_locations(ring, datadir, account, container=None, obj=None,
                         policy_index=None, out=print):
    """Print partition, primary/handoff nodes, curl and ssh hints (Swift's layout).

    :param ring: a Ring.
    :param datadir: ``accounts``, ``containers`` or ``objects[-N]``.
    """
    target = '/'.join(p for p in (account, container, obj) if p is not None)
    part = ring.get_part(account, container, obj)
    primaries = ring.get_part_nodes(part)
    handoffs = list(itertools.islice(ring.get_more_nodes(part), len(primaries)))
    path_hash = hash_path(account, container, obj, config=ring_hash_config(ring))
    out('Partition\t%s' % part)
    out('Hash     \t%s\n' % path_hash)
    for node in primaries:
        out('Server:Port Device\t%s:%s %s' % (node['ip'], node['port'], node['device']))
    for node in handoffs:
        out('Server:Port Device\t%s:%s %s\t [Handoff]' % (node['ip'], node['port'],
                                                          node['device']))
    out('\n')
    for node, suffix in [(n, '') for n in primaries] + [(n, ' # [Handoff]') for n in handoffs]:
        cmd = 'curl -g -I -XHEAD "http://%s:%s/%s/%s/%s"' % (
            node['ip'], node['port'], node['device'], part, urllib.parse.quote(target))
        if policy_index is not None:
            cmd += ' -H "X-Backend-Storage-Policy-Index: %s"' % policy_index
        cmd += ' -H "X-Backend-Allow-Reserved-Names: true"'
        out(cmd + suffix)
    out('\n\nUse your own device location of servers:')
    out('such as "export DEVICE=/srv/node"')
    storage = os.path.join(datadir, str(part), path_hash[-3:], path_hash)
    for node, suffix in [(n, '') for n in primaries] + [(n, ' # [Handoff]') for n in handoffs]:
        out('ssh %s "ls -lah ${DEVICE:-/srv/node*}/%s/%s"%s' % (node['ip'], node['device'],
                                                               storage, suffix))
    out('\nnote: `/srv/node*` is used as default value of `devices`, the real value is '
        'set in the config file on each storage node.')


def ring_hash_config(ring):
    """The HashPathConfig a Ring uses (read from its swift_dir)."""
    config = getattr(ring, '_hash_config', None)
    return config or HashPathConfig.from_swift_dir(ring.swift_dir)


def print_info(db_type, db_file, swift_dir='/etc/swift', drop_prefixes=False, out=print):
    """Print everything about one account/container DB file.

    :raises InfoSystemExit: missing file or not a DB of that type (message printed).
    """
    if not os.path.exists(db_file) or not db_file.endswith('.db'):
        out("DB file doesn't exist")
        raise InfoSystemExit()
    broker_class = AccountBroker if db_type == 'account' else ContainerBroker
    broker = broker_class(db_file, stale_reads_ok=True)
    try:
        info = broker.get_info()
        info['is_deleted'] = broker.is_deleted()
        metadata = broker.metadata
    except (BrokerError, Exception) as err:
        out('Does not appear to be a DB of type "%s": %s (%s)' % (db_type, db_file, err))
        raise InfoSystemExit()
    account, container = info['account'], info.get('container')
    path_hash = _path_hash(account, container, db_file, swift_dir)
    policies = StoragePolicyCollection.from_swift_dir(swift_dir)
    print_db_info_metadata(db_type, info, metadata, path_hash, policies, drop_prefixes,
                           out)
    try:
        from swift.common.ring import Ring
        ring = Ring(swift_dir, ring_name=db_type)
    except Exception:  # no ring here: the location block is simply left out
        return
    print_ring_locations(ring, DATADIRS[db_type], account, container, out=out)


def _main(db_type, argv):
    parser = argparse.ArgumentParser(prog='swift-%s-info' % db_type,
                                     usage='%%(prog)s [options] %s_DB_FILE' %
                                     db_type.upper())
    parser.add_argument('db_file')
    parser.add_argument('-d', '--swift-dir', default=os.environ.get('SWIFT_DIR', '/etc/swift'),
                        help='Pass location of swift directory')
    parser.add_argument('--drop-prefixes', action='store_true',
                        help='When outputting metadata, drop the per-section common '
                             'prefixes')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        print_info(db_type, args.db_file, args.swift_dir, args.drop_prefixes)
    except InfoSystemExit:
        return 1
    return 0


def account_main(argv=None):
    """``swift-account-info [-d SWIFT_DIR] [--drop-prefixes] ACCOUNT_DB_FILE``."""
    return _main('account', argv)


def container_main(argv=None):
    """``swift-container-info [-d SWIFT_DIR] [--drop-prefixes] CONTAINER_DB_FILE``."""
    return _main('container', argv)


def object_main(argv=None):
    """``swift-object-info``: implemented in swift.cli.object_info (object side)."""
    from swift.cli.object_info import main
    return main(argv)
