# The error hierarchy of the ring package: every failure a caller of Ring, RingData
# or RingBuilder should handle is a RingError subclass carrying its context.
"""Errors raised by ring loading, writing and building."""


class RingError(Exception):
    """Base class of every ring package error."""


class RingFormatError(RingError):
    """A ring file is not a readable Swift ring (bad magic, version, checksum...).

    :ivar path: the file that failed to load (or None for an in-memory stream).
    """

    def __init__(self, msg, path=None):
        super().__init__(msg if path is None else '%s: %s' % (path, msg))
        self.path = path


class RingLoadError(RingError):
    """A ring file could not be found or opened.

    :ivar path: the file that could not be opened.
    """

    def __init__(self, msg, path=None):
        super().__init__(msg)
        self.path = path


class RingBuilderError(RingError):
    """The builder refuses an operation (bad input or state)."""


class RingValidationError(RingBuilderError):
    """The builder's tables are inconsistent, or cannot be balanced."""


class EmptyRingError(RingBuilderError):
    """The builder holds no partition assignments yet (nothing to write)."""


class DuplicateDeviceError(RingBuilderError):
    """A device with the same id, or ip:port/device, already exists."""


class UnpicklingError(RingBuilderError):
    """A builder file could not be unpickled (corrupt, or names unsafe globals).

    :ivar path: the builder file.
    """

    def __init__(self, msg, path=None):
        super().__init__(msg)
        self.path = path


class DeviceSyntaxError(RingBuilderError, ValueError):
    """A device description or search value does not parse (also a ValueError,
    as Swift's parsers raise ValueError).

    :ivar value: the text that failed to parse.
    """

    def __init__(self, msg, value=None):
        super().__init__(msg)
        self.value = value
