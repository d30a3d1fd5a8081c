# Owns the async pending format (doc/formats/async-pending.md). Rules (Swift's):
#   * path ``<device>/async_pending[-N]/<hash[-3:]>/<hash>-<timestamp.internal>``, hash =
#     hash_path(account, container, obj), timestamp = X-Meta-Timestamp or X-Timestamp of
#     the update;
#   * content: pickle protocol 0 of {'op', 'account', 'container', 'obj', 'headers'
#     (a HeaderKeyDict), 'db_state'[, 'container_path']}, written durably through a
#     temp file in ``tmp[-N]``;
#   * loads go through swift.common.safe_pickle.
"""Async pendings: container updates saved for the object-updater to replay."""

import os
import pickle
from dataclasses import dataclass
from typing import Iterator

from swift.common.fs import mkdirs, write_pickle
from swift.common.header_key_dict import HeaderKeyDict
from swift.common.safe_pickle import safe_loads
from swift.common.storage_policy import get_policy_string
from swift.common.timestamp import InvalidTimestamp, Timestamp

ASYNC_DIR = 'async_pending'
TMP_DIR = 'tmp'
PICKLE_PROTOCOL = 0


class BadAsyncPending(ValueError):
    """An async pending file that cannot be read as one.

    :ivar path: the file.
    """

    def __init__(self, message, path):
        super().__init__('%s: %s' % (path, message))
        self.path = path


@dataclass(frozen=True)
class AsyncPendingFile:
    """One async pending file found on disk.

    :ivar path: full path.
    :ivar object_hash: the 32-hex object hash from the name.
    :ivar timestamp: the update's timestamp from the name.
    :ivar policy_index: from the ``async_pending[-N]`` dir name.
    """
    path: str
    object_hash: str
    timestamp: Timestamp
    policy_index: int


def make_update(op, account, container, obj, headers, db_state='unsharded',
                container_path=None):
    """The dict Swift pickles for one container update.

    :param headers: mapping of the headers sent to the container server.
    :returns: dict in Swift's key order.
    """
    update = {'op': op, 'account': account, 'container': container, 'obj': obj,
              'headers': HeaderKeyDict(headers), 'db_state': db_state}
    if container_path:
        update['container_path'] = container_path
    return update


def encode_update(update):
    """:returns: the protocol-0 pickle bytes Swift writes."""
    return pickle.dumps(update, PICKLE_PROTOCOL)


def decode_update(data, path='<bytes>'):
    """Unpickle an async pending through the restricted unpickler.

    :returns: dict with ``op``, ``account``, ``container``, ``obj``, ``headers``...
    :raises BadAsyncPending: corrupt content or wrong shape.
    """
    try:
        update = safe_loads(data, encoding='utf-8')
    except Exception as err:  # any unpickling failure makes the file unreadable
        raise BadAsyncPending('cannot unpickle: %s' % err, path)
    if not isinstance(update, dict) or not {'op', 'account', 'container', 'obj',
                                             'headers'} <= set(update):
        raise BadAsyncPending('not an async update dict', path)
    if not isinstance(update['headers'], HeaderKeyDict):
        update['headers'] = HeaderKeyDict(update['headers'])
    return update


def async_filename(object_hash, timestamp):
    """``<suffix>/<hash>-<timestamp.internal>`` relative to ``async_pending[-N]``."""
    return os.path.join(object_hash[-3:],
                        '%s-%s' % (object_hash, Timestamp(timestamp).internal))


def write_async_pending(device_path, policy_index, object_hash, timestamp, update):
    """Durably write ``update`` for the updater.

    :param device_path: ``<devices>/<device>``.
    :returns: the path written.
    :raises OSError: when the disk refuses.
    """
    tmp_dir = os.path.join(device_path, get_policy_string(TMP_DIR, policy_index))
    mkdirs(tmp_dir)
    path = os.path.join(device_path, get_policy_string(ASYNC_DIR, policy_index),
                        async_filename(object_hash, timestamp))
    write_pickle(update, path, tmp_dir=tmp_dir, protocol=PICKLE_PROTOCOL)
    return path


def read_async_pending(path):
    """:returns: the update dict in ``path``. :raises BadAsyncPending, OSError:"""
    with open(path, 'rb') as fp:
        return decode_update(fp.read(), path)


def parse_async_name(name):
    """``<hash>-<timestamp>`` -> (hash, Timestamp). :raises ValueError:"""
    object_hash, sep, stamp = name.partition('-')
    if not sep or len(object_hash) != 32:
        raise ValueError('bad async pending name %r' % name)
    try:
        int(object_hash, 16)
        return object_hash, Timestamp(stamp)
    except (ValueError, InvalidTimestamp):
        raise ValueError('bad async pending name %r' % name)


def iter_async_pendings(async_dir, policy_index, logger=None) -> Iterator[AsyncPendingFile]:
    """Yield the async pendings under one ``async_pending[-N]`` dir, newest first per
    suffix (so the updater can skip older updates of the same object).

    Files whose name does not parse are skipped (and logged).
    """
    try:
        suffixes = sorted(os.listdir(async_dir))
    except FileNotFoundError:
        return
    for suffix in suffixes:
        suffix_dir = os.path.join(async_dir, suffix)
        if len(suffix) != 3 or not os.path.isdir(suffix_dir):
            continue
        try:
            names = sorted(os.listdir(suffix_dir), reverse=True)
        except OSError:
            continue
        for name in names:
            try:
                object_hash, timestamp = parse_async_name(name)
            except ValueError:
                if logger:
                    logger.warning('Skipping unexpected file %s',
                                   os.path.join(suffix_dir, name))
                continue
            yield AsyncPendingFile(os.path.join(suffix_dir, name), object_hash,
                                   timestamp, policy_index)
