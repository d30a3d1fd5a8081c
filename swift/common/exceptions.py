"""Errors shared across layers (each layer keeps its own hierarchy beside its code)."""

from swift.common.concurrency import Timeout


class SwiftError(Exception):
    """Base of our own errors."""


class MessageTimeout(Timeout):
    """An eventlet Timeout that carries a message."""

    def __init__(self, seconds=None, msg=None):
        super().__init__(seconds=seconds)
        self.msg = msg

    def __str__(self):
        return '%s: %s' % (super().__str__(), self.msg)


class ConnectionTimeout(Timeout):
    """Connecting to a backend took longer than ``conn_timeout``."""


class ChunkReadTimeout(Timeout):
    """Reading a body chunk took longer than the node or client timeout."""


class ChunkWriteTimeout(Timeout):
    """Writing a body chunk took longer than the node timeout."""


class ChunkReadError(SwiftError):
    """The client body could not be read (bad chunking, disconnect)."""


class ListingIterError(SwiftError):
    """A listing could not be iterated."""
