# Owns the per-partition suffix hashes (doc/formats/hashes-pkl.md). Rules (Swift's):
#   * ``hashes.pkl``: pickle protocol 2 of {'valid': bool, '<suffix>': md5hex | None,
#     'updated': float epoch}; None means "rehash me"; written durably under the
#     partition lock;
#   * ``hashes.invalid``: one suffix per line, appended under the partition lock by every
#     write; consolidated into hashes.pkl (suffixes set to None) and then truncated;
#   * a suffix hash is one md5 fed, for each hash dir in sorted order, with
#     ``<ts.internal><ext>`` of the state-defining .meta, then .ts, then .data, then
#     ``<ctype ts.internal>_ctype`` when the content type has its own time. Hashing first
#     cleans up obsolete files, so the hash reflects only state-defining files.
"""Suffix hashing, ``hashes.pkl`` and ``hashes.invalid`` of an object partition."""

import copy
import errno
import hashlib
import os
import time

from swift.common.fs import lock_path, write_pickle
from swift.common.safe_pickle import safe_loads
from swift.obj.errors import PathNotDir
from swift.obj.ondisk import cleanup_hash_dir

HASH_FILE = 'hashes.pkl'
HASH_INVALIDATIONS_FILE = 'hashes.invalid'
PICKLE_PROTOCOL = 2
_HEX = set('0123456789abcdef')


def valid_suffix(value):
    """True for a 3-char lowercase hex suffix."""
    return isinstance(value, str) and len(value) == 3 and set(value) <= _HEX


def read_hashes(partition_dir):
    """Read ``hashes.pkl``; anything unreadable counts as ``{'valid': False}``.

    :returns: dict with at least ``valid`` and ``updated`` (-1 when absent).
    """
    hashes = {'valid': False}
    try:
        with open(os.path.join(partition_dir, HASH_FILE), 'rb') as fp:
            pickled = fp.read()
    except OSError:
        pickled = None
    if pickled:
        try:
            loaded = safe_loads(pickled, encoding='utf-8')
        except Exception:  # corrupt file: rebuild from scratch
            loaded = None
        if isinstance(loaded, dict) and all(
                key in ('valid', 'updated') or valid_suffix(key) for key in loaded):
            hashes = loaded
    hashes.setdefault('valid', True)
    hashes.setdefault('updated', -1)
    return hashes


def write_hashes(partition_dir, hashes):
    """Durably write ``hashes`` as ``hashes.pkl`` (temp file in the partition dir)."""
    hashes.setdefault('valid', False)
    write_pickle(hashes, os.path.join(partition_dir, HASH_FILE),
                 tmp_dir=partition_dir, protocol=PICKLE_PROTOCOL)


def invalidate_hash(suffix_dir, lock_timeout_s=10.0):
    """Append the suffix of ``suffix_dir`` to its partition's ``hashes.invalid``.

    :raises swift.common.fs.LockTimeout: partition lock busy for ``lock_timeout_s``.
    """
    suffix = os.path.basename(suffix_dir)
    partition_dir = os.path.dirname(suffix_dir)
    with lock_path(partition_dir, timeout_s=lock_timeout_s):
        with open(os.path.join(partition_dir, HASH_INVALIDATIONS_FILE), 'ab') as fp:
            fp.write(suffix.encode('utf-8') + b'\n')


def consolidate_hashes(partition_dir, lock_timeout_s=10.0):
    """Fold ``hashes.invalid`` into ``hashes.pkl`` and truncate it.

    :returns: the hashes dict after folding (invalidated suffixes map to None).
    """
    invalid_path = os.path.join(partition_dir, HASH_INVALIDATIONS_FILE)
    with lock_path(partition_dir, timeout_s=lock_timeout_s):
        hashes = read_hashes(partition_dir)
        found_entry = updated = False
        try:
            with open(invalid_path, 'r', encoding='utf-8', errors='replace') as fp:
                for line in fp:
                    found_entry = True
                    suffix = line.strip()
                    if valid_suffix(suffix):
                        hashes[suffix] = None
                        updated = True
        except FileNotFoundError:
            pass
        if updated:
            write_hashes(partition_dir, hashes)
        if found_entry:
            with open(invalid_path, 'wb'):
                pass
        return hashes


def hash_suffix_dir(suffix_dir, now=None, reclaim_age_s=None, logger=None,
                    quarantine=None):
    """Clean up and hash one suffix dir (replication policy).

    :param quarantine: callable(hash_dir_path) for a hash "dir" that is a file.
    :returns: md5 hex of the suffix.
    :raises PathNotDir: the suffix dir is missing, or was empty and got removed.
    """
    try:
        hash_dirs = sorted(os.listdir(suffix_dir))
    except OSError as err:
        if err.errno in (errno.ENOTDIR, errno.ENOENT):
            raise PathNotDir(str(err), suffix_dir)
        raise
    md5 = hashlib.md5(usedforsecurity=False)
    for name in hash_dirs:
        hash_dir = os.path.join(suffix_dir, name)
        try:
            info = cleanup_hash_dir(hash_dir, now, reclaim_age_s, logger)
        except OSError as err:
            if err.errno == errno.ENOTDIR and quarantine is not None:
                quarantine(hash_dir)
                continue
            if err.errno == errno.ENOENT:
                continue
            raise
        update_suffix_md5(md5, info)
    try:
        os.rmdir(suffix_dir)
    except OSError as err:
        if err.errno == errno.ENOENT:
            raise PathNotDir(str(err), suffix_dir)
    else:
        raise PathNotDir('empty suffix removed', suffix_dir)
    return md5.hexdigest()


def update_suffix_md5(md5, info):
    """Feed one resolved hash dir into a suffix md5 (see module comment)."""
    if not info.files:
        return
    for finfo in (info.meta_info, info.ts_info, info.data_info):
        if finfo is not None:
            md5.update((finfo.timestamp.internal + finfo.ext).encode('ascii'))
    if info.ctype_info is not None:
        md5.update((info.ctype_info.ctype_timestamp.internal + '_ctype').encode('ascii'))


def get_hashes(partition_dir, recalculate=(), do_listdir=False, now=None,
               reclaim_age_s=None, logger=None, quarantine=None, clock=time.time,
               lock_timeout_s=10.0, _depth=0):
    """Return the partition's suffix hashes, recomputing invalid ones.

    :param recalculate: suffixes to rehash regardless.
    :param do_listdir: also discover suffix dirs not in hashes.pkl.
    :param now: time for tombstone reclaim (default ``clock()``).
    :returns: (number of suffixes hashed, hashes dict {suffix: md5hex, 'valid',
        'updated'}).
    """
    now = clock() if now is None else now
    try:
        orig_hashes = consolidate_hashes(partition_dir, lock_timeout_s)
    except OSError as err:
        if logger:
            logger.warning('Unable to read hashes of %s: %s', partition_dir, err)
        orig_hashes = {'valid': False}
    if not orig_hashes['valid']:
        do_listdir = True
        hashes = {'valid': True}
        orig_hashes = read_hashes(partition_dir)
    else:
        hashes = copy.deepcopy(orig_hashes)
    modified = False
    if do_listdir:
        for suffix in os.listdir(partition_dir):
            if valid_suffix(suffix):
                hashes.setdefault(suffix, None)
        modified = True
    hashes.update((suffix, None) for suffix in recalculate)
    hashed = 0
    for suffix, value in list(hashes.items()):
        if suffix in ('valid', 'updated') or value:
            continue
        try:
            hashes[suffix] = hash_suffix_dir(os.path.join(partition_dir, suffix), now,
                                             reclaim_age_s, logger, quarantine)
            hashed += 1
        except PathNotDir:
            del hashes[suffix]
        except OSError as err:
            if logger:
                logger.error('Error hashing suffix %s/%s: %s', partition_dir, suffix, err)
        modified = True
    if not modified:
        return hashed, hashes
    with lock_path(partition_dir, timeout_s=lock_timeout_s):
        if read_hashes(partition_dir) == orig_hashes or _depth >= 5:
            hashes['updated'] = clock()
            write_hashes(partition_dir, hashes)
            return hashed, hashes
    # someone invalidated a suffix meanwhile: start over (bounded)
    return get_hashes(partition_dir, recalculate, do_listdir, now, reclaim_age_s,
                      logger, quarantine, clock, lock_timeout_s, _depth + 1)
