"""HeaderKeyDict: a dict whose keys are HTTP header names, case-insensitively.

Keys are stored title-cased (``x-object-meta-color`` -> ``X-Object-Meta-Color``) and
values as str. The class path ``swift.common.header_key_dict.HeaderKeyDict`` is part of
Swift's async_pending pickle format, so it must not move.
"""


class HeaderKeyDict(dict):
    """Case-insensitive header mapping; ``None`` values delete the key on update."""

    def __init__(self, base_headers=None, **kwargs):
        super().__init__()
        if base_headers:
            self.update(base_headers)
        self.update(kwargs)

    @staticmethod
    def _key(key):
        if isinstance(key, bytes):
            key = key.decode('latin-1')
        return key.title()

    @staticmethod
    def _value(value):
        if isinstance(value, bytes):
            return value.decode('latin-1')
        if isinstance(value, str):
            return value
        return str(value)

    def update(self, other=None, **kwargs):
        if other is not None:
            items = other.items() if hasattr(other, 'items') else other
            for key, value in items:
                self[key] = value
        for key, value in kwargs.items():
            self[key] = value

    def __setitem__(self, key, value):
        if value is None:
            self.pop(self._key(key), None)
        else:
            super().__setitem__(self._key(key), self._value(value))

    def __getitem__(self, key):
        return super().__getitem__(self._key(key))

    def __delitem__(self, key):
        super().__delitem__(self._key(key))

    def __contains__(self, key):
        return super().__contains__(self._key(key))

    def get(self, key, default=None):
        return super().get(self._key(key), default)

    def setdefault(self, key, value=None):
        if key not in self:
            self[key] = value
        return self[key]

    def pop(self, key, *args):
        return super().pop(self._key(key), *args)

    def copy(self):
        return HeaderKeyDict(self)
