# Owns durable file operations and locks. Rule: a write is durable before success is
# returned: temp file, fsync, rename, fsync the directory.
"""Filesystem helpers: durable writes, renames, directory creation and flock locks."""

import contextlib
import errno
import fcntl
import os
import pickle
import tempfile
import time


class LockTimeout(Exception):
    """A lock could not be taken within its timeout.

    :ivar path: the lock file's path.
    :ivar timeout_s: seconds waited.
    """

    def __init__(self, path, timeout_s):
        super().__init__('lock %s not acquired within %ss' % (path, timeout_s))
        self.path = path
        self.timeout_s = timeout_s


def fsync(fd):
    """fsync a file descriptor."""
    os.fsync(fd)


def fdatasync(fd):
    """fdatasync a file descriptor (falls back to fsync)."""
    try:
        os.fdatasync(fd)
    except AttributeError:
        os.fsync(fd)


def fsync_dir(path):
    """fsync the directory at ``path`` so a rename into it is durable.

    Missing directories and filesystems that refuse directory fsync are ignored.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as err:
        if err.errno in (errno.ENOENT, errno.ENOTDIR):
            return
        raise
    try:
        os.fsync(fd)
    except OSError as err:
        if err.errno not in (errno.EBADF, errno.EINVAL):
            raise
    finally:
        os.close(fd)


def mkdirs(path):
    """Create ``path`` and parents; an existing directory is fine."""
    try:
        os.makedirs(path)
    except FileExistsError:
        if not os.path.isdir(path):
            raise


def renamer(old, new, fsync_parent=True):
    """Rename ``old`` to ``new``, creating ``new``'s directory; fsync that directory.

    :raises OSError: from the rename itself.
    """
    directory = os.path.dirname(new)
    mkdirs(directory)
    os.rename(old, new)
    if fsync_parent:
        fsync_dir(directory)


def write_file_atomic(path, data, mode=0o644, tmp_dir=None):
    """Write ``data`` (bytes) to ``path`` durably: temp file, fsync, rename, fsync dir.

    :param tmp_dir: where the temp file goes (default: ``path``'s directory).
    """
    directory = os.path.dirname(path) or '.'
    mkdirs(directory)
    fd, tmp_path = tempfile.mkstemp(dir=tmp_dir or directory,
                                    prefix='.' + os.path.basename(path) + '.')
    try:
        with os.fdopen(fd, 'wb') as fp:
            fp.write(data)
            fp.flush()
            os.fsync(fp.fileno())
        os.chmod(tmp_path, mode)
        renamer(tmp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_path)
        raise


def write_pickle(obj, path, tmp_dir=None, protocol=2):
    """Durably write ``pickle.dumps(obj, protocol)`` to ``path``."""
    write_file_atomic(path, pickle.dumps(obj, protocol), tmp_dir=tmp_dir)


@contextlib.contextmanager
def lock_path(directory, timeout_s=10.0, name=None, sleep=time.sleep,
              monotonic=time.monotonic):
    """Hold an exclusive flock on ``<directory>/.lock`` (or ``.lock-<name>``).

    :param timeout_s: seconds to keep trying before :class:`LockTimeout`.
    :param sleep: sleeper used between tries (inject for tests / eventlet).
    :raises LockTimeout: when the lock stays busy for ``timeout_s``.
    """
    mkdirs(directory)
    lock_file = os.path.join(directory, '.lock' + ('-' + name if name else ''))
    fd = os.open(lock_file, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        _flock_with_timeout(fd, lock_file, timeout_s, sleep, monotonic)
        yield lock_file
    finally:
        os.close(fd)


@contextlib.contextmanager
def lock_file(path, timeout_s=10.0, append=False, unlink=True, sleep=time.sleep,
              monotonic=time.monotonic):
    """Open ``path`` (r+ or a+) holding an exclusive flock; yields the file object.

    :param unlink: remove the file when done (for one-shot lock files).
    :raises LockTimeout: when the lock stays busy for ``timeout_s``.
    """
    flags = os.O_CREAT | os.O_RDWR | (os.O_APPEND if append else 0)
    fd = os.open(path, flags, 0o644)
    fp = os.fdopen(fd, 'a+b' if append else 'r+b')
    try:
        _flock_with_timeout(fd, path, timeout_s, sleep, monotonic)
        yield fp
    finally:
        try:
            if unlink:
                os.unlink(path)
        except OSError:
            pass
        fp.close()


def _flock_with_timeout(fd, path, timeout_s, sleep, monotonic):
    deadline = monotonic() + timeout_s
    delay = 0.01
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as err:
            if err.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        if monotonic() >= deadline:
            raise LockTimeout(path, timeout_s)
        sleep(delay)
        delay = min(delay * 2, 0.1)


def fallocate(fd, size_bytes):
    """Reserve ``size_bytes`` for ``fd`` where the filesystem supports it."""
    if size_bytes <= 0:
        return
    try:
        os.posix_fallocate(fd, 0, size_bytes)
    except OSError as err:
        if err.errno in (errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
            return
        raise


def drop_buffer_cache(fd, offset, length):
    """Advise the kernel to drop cached pages of ``fd`` (best effort)."""
    try:
        os.posix_fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)
    except (AttributeError, OSError):
        pass


def free_space_bytes(path):
    """(free_bytes, total_bytes) of the filesystem holding ``path``."""
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize


def is_mount(path):
    """True when ``path`` is a mount point (Swift's mount_check rule)."""
    try:
        return os.path.ismount(path)
    except OSError:
        return False
