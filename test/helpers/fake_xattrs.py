"""FakeXattrs: an in-memory xattr store with an optional per-file size cap (ext4-like)."""

import errno
import os


class FakeXattrs:
    """Implements swift.obj.metadata.OsXattrs' get/set/remove over a dict.

    :param limit_bytes: total bytes of names+values allowed per file (None = no cap);
        going over raises OSError(ENOSPC) as ext4 does.
    """

    def __init__(self, limit_bytes=None):
        self.store = {}
        self.limit_bytes = limit_bytes

    @staticmethod
    def _key(target):
        if isinstance(target, int):
            st = os.fstat(target)
        else:
            st = os.stat(target)
        return (st.st_dev, st.st_ino)

    def get(self, target, name):
        try:
            return self.store[self._key(target)][name]
        except KeyError:
            raise OSError(errno.ENODATA, 'No data available')

    def set(self, target, name, value):
        attrs = self.store.setdefault(self._key(target), {})
        if self.limit_bytes is not None:
            used = sum(len(k) + len(v) for k, v in attrs.items() if k != name)
            if used + len(name) + len(value) > self.limit_bytes:
                raise OSError(errno.ENOSPC, 'No space left on device')
        attrs[name] = bytes(value)

    def remove(self, target, name):
        try:
            del self.store[self._key(target)][name]
        except KeyError:
            raise OSError(errno.ENODATA, 'No data available')
