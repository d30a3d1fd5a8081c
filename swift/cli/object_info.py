# Owns swift-object-info (Swift's output, line for line): the object's path and hash,
# Content-Type, timestamp, metadata grouped as system / transient system / user /
# other, the ETag and Content-Length checked against the file, then where the ring
# places the object (reusing swift.cli.info.print_ring_locations).
"""``swift-object-info [options] OBJECT_FILE``: print what an object file holds."""

import argparse
import os
import sys

from swift.cli.info import print_ring_locations
from swift.common.hashing import HashPathConfig, HashPathConfigError, hash_path, new_md5
from swift.common.storage_policy import (StoragePolicyCollection, get_policy_string,
                                         split_policy_string)
from swift.common.swob import wsgi_to_str
from swift.common.timestamp import InvalidTimestamp, Timestamp
from swift.obj.errors import DiskFileError
from swift.obj.metadata import read_metadata

READ_BYTES = 65536
_GROUPS = (('System Metadata:', 'x-object-sysmeta-'),
           ('Transient System Metadata:', 'x-object-transient-sysmeta-'),
           ('User Metadata:', 'x-object-meta-'))


class InfoSystemExit(Exception):
    """Stop with exit status 1 after a message was printed."""


def _native(value):
    try:
        return wsgi_to_str(value)
    except UnicodeEncodeError:  # already native text
        return value


def print_obj_metadata(metadata, hash_config, drop_prefixes=False, out=print):
    """Print path, type, timestamp and the metadata groups (consumes ``metadata``).

    :param metadata: dict read from the file (without ETag/Content-Length).
    :param hash_config: HashPathConfig for the object hash, or None if unknown.
    """
    path = metadata.pop('name', '')
    content_type = metadata.pop('Content-Type', '')
    try:
        timestamp = Timestamp(metadata.pop('X-Timestamp', 0))
    except InvalidTimestamp:
        timestamp = Timestamp(0)
    if path:
        try:
            account, container, obj = path.split('/', 3)[1:]
        except ValueError:
            out('Path is invalid for object %r' % path)
            raise InfoSystemExit()
        out('Path: %s' % path)
        out('  Account: %s' % account)
        out('  Container: %s' % container)
        out('  Object: %s' % obj)
        if hash_config is not None:
            out('  Object hash: %s' % hash_path(account, container, obj,
                                                config=hash_config))
    else:
        out('Path: Not found in metadata')
    out('Content-Type: %s' % (content_type or 'Not found in metadata'))
    if timestamp.raw or timestamp.offset:
        out('Timestamp: %s (%s)' % (timestamp.isoformat, timestamp.internal))
    else:
        out('Timestamp: Not found in metadata')
    groups = {title: {} for title, _ in _GROUPS}
    other = {}
    for key, value in metadata.items():
        for title, prefix in _GROUPS:
            if key.lower().startswith(prefix):
                groups[title][key[len(prefix):] if drop_prefixes else key] = value
                break
        else:
            other[key] = value
    for title, _ in _GROUPS:
        _print_group(title, groups[title], out)
    _print_group('Other Metadata:', other, out)


def _print_group(title, items, out):
    out(title)
    if not items:
        out('  No metadata found')
    for key, value in sorted(items.items()):
        out('  %s: %s' % (key, value))


def _check_body(fp, etag, length, check_etag, out):
    if check_etag:
        md5 = new_md5()
        file_len = 0
        for chunk in iter(lambda: fp.read(READ_BYTES), b''):
            md5.update(chunk)
            file_len += len(chunk)
        digest = md5.hexdigest()
        if not etag:
            out('ETag: Not found in metadata')
        elif digest == etag:
            out('ETag: %s (valid)' % etag)
        else:
            out("ETag: %s doesn't match file hash of %s!" % (etag, digest))
    else:
        out('ETag: %s (not checked)' % etag)
        file_len = os.fstat(fp.fileno()).st_size
    if not length:
        out('Content-Length: Not found in metadata')
    elif str(file_len) == length:
        out('Content-Length: %s (valid)' % length)
    else:
        out("Content-Length: %s doesn't match file length of %s" % (length, file_len))


def _policy_from_path(datafile):
    """Policy index from ``.../objects[-N]/<part>/<suffix>/<hash>/<file>``, or None."""
    parts = os.path.abspath(datafile).split(os.sep)
    if len(parts) >= 5:
        base, index = split_policy_string(parts[-5])
        if base == 'objects':
            return index
    return None


def _ring_and_datadir(swift_dir, policy_index, policy_name, out):
    policies = StoragePolicyCollection.from_swift_dir(swift_dir)
    if policy_name:
        policy = policies.get_by_name(policy_name)
        if policy is None:
            out('No policy named %r' % policy_name)
            raise InfoSystemExit()
        if policy_index is not None and policy.idx != policy_index:
            out('Warning: Ring does not match policy!')
            out('Double check your policy name!')
        if policy_index is None:
            policy_index = policy.idx
    if policy_index is None:
        return None, 'objects', None
    datadir = get_policy_string('objects', policy_index)
    try:
        from swift.common.ring import Ring
        ring = Ring(swift_dir, ring_name=get_policy_string('object', policy_index))
    except Exception:  # no ring here: the location block is simply left out
        ring = None
    return ring, datadir, policy_index


def print_obj(datafile, check_etag=True, swift_dir='/etc/swift', policy_name='',
              drop_prefixes=False, out=print):
    """Print everything about one object file.

    :raises InfoSystemExit: missing file or unreadable metadata (message printed).
    """
    if not os.path.exists(datafile):
        out("Data file doesn't exist")
        raise InfoSystemExit()
    ring, datadir, policy_index = _ring_and_datadir(
        swift_dir, _policy_from_path(datafile), policy_name, out)
    try:
        hash_config = HashPathConfig.from_swift_dir(swift_dir)
    except HashPathConfigError:
        hash_config = None
    with open(datafile, 'rb') as fp:
        try:
            raw = read_metadata(fp.fileno())
        except DiskFileError as err:
            out('Invalid metadata: %s' % err)
            raise InfoSystemExit()
        metadata = {_native(k): v if k == 'name' else _native(v) for k, v in raw.items()}
        etag = metadata.pop('ETag', '')
        length = metadata.pop('Content-Length', '')
        path = metadata.get('name', '')
        print_obj_metadata(metadata, hash_config, drop_prefixes, out)
        _check_body(fp, etag, length, check_etag, out)
    if ring is not None and path and hash_config is not None:
        account, container, obj = path.split('/', 3)[1:]
        print_ring_locations(ring, datadir, account, container, obj,
                             policy_index=policy_index, out=out)


def main(argv=None):
    """``swift-object-info [-n] [-d SWIFT_DIR] [-P POLICY] [--drop-prefixes] FILE``.

    :returns: 0, or 1 after a one-line error.
    """
    parser = argparse.ArgumentParser(prog='swift-object-info',
                                     usage='%(prog)s [options] OBJECT_FILE')
    parser.add_argument('object_file')
    parser.add_argument('-n', '--no-check-etag', action='store_false', default=True,
                        dest='check_etag', help="Don't verify file contents against "
                        'stored etag')
    parser.add_argument('-d', '--swift-dir', default=os.environ.get('SWIFT_DIR', '/etc/swift'),
                        help='Pass location of swift directory')
    parser.add_argument('-P', '--policy-name', default='',
                        help='Specify storage policy name')
    parser.add_argument('--drop-prefixes', action='store_true',
                        help='When outputting metadata, drop the per-section common '
                             'prefixes')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        print_obj(args.object_file, args.check_etag, args.swift_dir, args.policy_name,
                  args.drop_prefixes)
    except InfoSystemExit:
        return 1
    except OSError as err:
        print('Error: %s' % err, file=sys.stderr)
        return 1
    return 0
