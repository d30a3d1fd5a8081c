# Owns the recon cache: small JSON files in ``recon_cache_path`` where daemons leave
# their latest statistics for the recon middleware to serve. Rules (as Swift):
# - one JSON object per file, written on one line with sorted keys, ASCII only;
# - writers merge their keys into what is there (never clobber other daemons' keys),
#   under an exclusive flock on the cache file itself, replacing it by rename so a
#   reader never sees a torn file;
# - a nested dict value is merged key by key; an empty dict deletes the key (or the
#   nested key), which is how a daemon drops stats of a device it no longer has;
# - failures to write are logged, never raised: stats must not break a daemon.
"""Recon cache files: :func:`dump_recon_cache` and :func:`load_recon_cache`."""

import errno
import fcntl
import json
import os
import tempfile
import time

DEFAULT_RECON_CACHE_PATH = '/var/cache/swift'
RECON_OBJECT_FILE = 'object.recon'
RECON_CONTAINER_FILE = 'container.recon'
RECON_ACCOUNT_FILE = 'account.recon'
RECON_DRIVE_FILE = 'drive.recon'
RECON_RELINKER_FILE = 'relinker.recon'


class ReconCacheError(Exception):
    """A recon cache file could not be locked or written.

    :ivar path: the cache file.
    """

    def __init__(self, message, path):
        super().__init__(message)
        self.path = path


class ReconCacheLockTimeout(ReconCacheError):
    """The cache file stayed locked by another writer for ``timeout_s`` seconds."""

    def __init__(self, path, timeout_s):
        super().__init__('lock on %s not acquired within %ss' % (path, timeout_s), path)
        self.timeout_s = timeout_s


def recon_cache_file(recon_cache_path, server_type):
    """Path of the cache file for ``server_type`` ('object', 'container', 'account',
    'drive' or 'relinker'): ``<recon_cache_path>/<server_type>.recon``."""
    return os.path.join(recon_cache_path, '%s.recon' % server_type)


def put_recon_cache_entry(cache_entry, key, item):
    """Merge ``item`` into ``cache_entry[key]`` with Swift's rules.

    A non-dict item replaces the value. A dict item is merged key by key into the
    existing dict; an empty dict item removes ``key``; a nested value ``{}`` removes
    that nested key.

    :param cache_entry: the whole cache dict (modified in place).
    """
    if not isinstance(item, dict):
        cache_entry[key] = item
        return
    if not item:
        cache_entry.pop(key, None)
        return
    if not isinstance(cache_entry.get(key), dict):
        cache_entry[key] = {}
    for nested_key, value in item.items():
        if value == {}:
            cache_entry[key].pop(nested_key, None)
        else:
            cache_entry[key][nested_key] = value


def load_recon_cache(cache_file):
    """Read a recon cache file.

    :returns: the dict stored there; ``{}`` when the file is missing, empty or not JSON.
    :raises OSError: for other read errors (permissions...).
    """
    try:
        with open(cache_file, 'r', encoding='ascii', errors='replace') as fp:
            data = json.load(fp)
    except FileNotFoundError:
        return {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def dump_recon_cache(cache_dict, cache_file, logger, lock_timeout=2,
                     set_owner=None, sleep=time.sleep, monotonic=time.monotonic):
    """Merge ``cache_dict`` into the JSON cache file ``cache_file``, atomically.

    Follows Swift's ``dump_recon_cache``: lock the file, read the current entry,
    merge each key with :func:`put_recon_cache_entry`, write a temp file in the same
    directory and rename it over the cache file. Errors are logged with
    ``logger.exception`` and swallowed.

    :param cache_dict: ``{key: value}`` of JSON-serialisable values.
    :param cache_file: e.g. ``/var/cache/swift/object.recon``.
    :param logger: a logger (``exception`` is used on failure).
    :param lock_timeout: seconds to wait for another writer's lock.
    :param set_owner: optional user name to chown the file to (ignored unless root).
    :param sleep: sleeper between lock attempts (inject in tests).
    :returns: True when written, False when an error was logged.
    """
    try:
        _dump(cache_dict, cache_file, lock_timeout, set_owner, sleep, monotonic)
        return True
    except Exception as err:  # stats must never break the daemon writing them
        logger.exception('Exception dumping recon cache: %s', err)
        return False


def _dump(cache_dict, cache_file, lock_timeout, set_owner, sleep, monotonic):
    directory = os.path.dirname(cache_file) or '.'
    os.makedirs(directory, exist_ok=True)
    fd = _lock_current_file(cache_file, lock_timeout, sleep, monotonic)
    try:
        with os.fdopen(os.dup(fd), 'r', encoding='ascii', errors='replace') as fp:
            existing = fp.readline()
        try:
            cache_entry = json.loads(existing) if existing else {}
        except ValueError:
            cache_entry = {}  # a corrupt file is recreated, as Swift does
        if not isinstance(cache_entry, dict):
            cache_entry = {}
        for key, value in cache_dict.items():
            put_recon_cache_entry(cache_entry, key, value)
        data = json.dumps(cache_entry, ensure_ascii=True, sort_keys=True)
        _replace(cache_file, directory, data.encode('ascii') + b'\n', set_owner)
    finally:
        os.close(fd)


def _lock_current_file(cache_file, timeout_s, sleep, monotonic):
    """flock the file currently at ``cache_file``; returns the locked fd.

    A writer that renamed a new file over the path while we waited leaves us
    holding a lock on a dead inode, so we re-check the inode and retry.
    """
    deadline = monotonic() + timeout_s
    delay = 0.01
    while True:
        fd = os.open(cache_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        else:
            if _same_inode(fd, cache_file):
                return fd
            os.close(fd)
            continue
        if monotonic() >= deadline:
            raise ReconCacheLockTimeout(cache_file, timeout_s)
        sleep(delay)
        delay = min(delay * 2, 0.1)


def _same_inode(fd, path):
    try:
        on_path = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_path.st_dev, on_path.st_ino)


def _replace(cache_file, directory, data, set_owner):
    tmp_fd, tmp_path = tempfile.mkstemp(dir=directory, prefix='.recon.')
    try:
        with os.fdopen(tmp_fd, 'wb') as fp:
            fp.write(data)
            fp.flush()
            os.fsync(fp.fileno())
        os.chmod(tmp_path, 0o644)
        if set_owner and os.geteuid() == 0:
            import pwd
            entry = pwd.getpwnam(set_owner)
            os.chown(tmp_path, entry.pw_uid, entry.pw_gid)
        os.rename(tmp_path, cache_file)
    except BaseException:
        try:
            os.unlink(tmp_path)
        except OSError:
            pass
        raise
