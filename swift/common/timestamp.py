# Owns Swift's timestamp forms. Rules (Swift's, see swift-catalog.md 3 "Timestamps"):
# normal form is "%016.05f" (10 us precision, 0 <= t < 10**10); the internal form
# appends "_%016x" only when the offset is non-zero; string order == time order.
"""Swift timestamps: :class:`Timestamp` and the encode/decode helpers for them."""

import datetime
import functools
import math
import time

PRECISION = 0.00001
"""Timestamp resolution in seconds (10 microseconds)."""
FORMAT = '%016.05f'
MAX_OFFSET = (16 ** 16) - 1
OFFSET_FORMAT = '%016x'
_RAW_PER_SECOND = 100000


class InvalidTimestamp(ValueError):
    """A value that cannot be read as a Swift timestamp (bad syntax or out of range)."""


@functools.total_ordering
class Timestamp:
    """A point in time at 10 us precision plus an optional ordering offset.

    :param timestamp: seconds since the epoch as float/int, a normal or internal
        string (``"1402464677.04188"`` or ``"1402464677.04188_0000000000000001"``),
        or another :class:`Timestamp`.
    :param offset: extra offset (int >= 0) added to the one parsed from ``timestamp``.
    :param delta: shift in raw 10 us units.
    :raises InvalidTimestamp: for unparseable values or values outside [0, 10**10).
    """

    __slots__ = ('raw', 'offset')

    def __init__(self, timestamp, offset=0, delta=0):
        if isinstance(timestamp, bytes):
            timestamp = timestamp.decode('ascii', 'replace')
        if isinstance(timestamp, str):
            base, sep, off = timestamp.partition('_')
            try:
                self.offset = int(off, 16) if sep else 0
                seconds = float(base)
            except ValueError:
                raise InvalidTimestamp('Invalid timestamp %r' % timestamp)
        elif isinstance(timestamp, Timestamp):
            seconds = None
            self.raw = timestamp.raw
            self.offset = timestamp.offset
        else:
            try:
                seconds = float(timestamp)
            except (TypeError, ValueError):
                raise InvalidTimestamp('Invalid timestamp %r' % (timestamp,))
            self.offset = 0
        if seconds is not None:
            if math.isnan(seconds) or math.isinf(seconds):
                raise InvalidTimestamp('Invalid timestamp %r' % (timestamp,))
            self.raw = int(round(seconds * _RAW_PER_SECOND))
        self.offset += offset
        self.raw += delta
        if self.offset < 0 or self.offset > MAX_OFFSET:
            raise InvalidTimestamp('offset out of range: %r' % self.offset)
        if self.raw < 0 or self.raw >= 10 ** 10 * _RAW_PER_SECOND:
            raise InvalidTimestamp('timestamp out of range: %r' % (timestamp,))

    @classmethod
    def now(cls, offset=0, delta=0, clock=time.time):
        """Return the current time as a Timestamp (``clock`` gives seconds)."""
        return cls(clock(), offset=offset, delta=delta)

    @property
    def timestamp(self):
        """Float seconds since the epoch (10 us precision)."""
        return self.raw * PRECISION

    def __float__(self):
        return self.timestamp

    def __int__(self):
        return int(self.timestamp)

    @property
    def normal(self):
        """The ``%016.05f`` form, e.g. ``'1402464677.04188'`` (offset dropped)."""
        return FORMAT % self.timestamp

    @property
    def internal(self):
        """Normal form plus ``_%016x`` offset when the offset is non-zero."""
        if self.offset:
            return '%s_%016x' % (self.normal, self.offset)
        return self.normal

    @property
    def short(self):
        """Normal form plus ``_%x`` offset when the offset is non-zero."""
        if self.offset:
            return '%s_%x' % (self.normal, self.offset)
        return self.normal

    @property
    def isoformat(self):
        """``YYYY-MM-DDTHH:MM:SS.ffffff`` in UTC with no zone (Swift listing form)."""
        whole, frac = divmod(self.raw, _RAW_PER_SECOND)
        dt = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=whole)
        return '%s.%06d' % (dt.strftime('%Y-%m-%dT%H:%M:%S'), frac * 10)

    @property
    def ceil_seconds(self):
        """Whole seconds, rounded up (what Swift's Last-Modified reports)."""
        return int(math.ceil(self.raw / _RAW_PER_SECOND))

    def __str__(self):
        return self.internal

    def __repr__(self):
        return 'Timestamp(%r)' % self.internal

    def __hash__(self):
        return hash(self.internal)

    def __eq__(self, other):
        if other is None:
            return False
        if not isinstance(other, Timestamp):
            try:
                other = Timestamp(other)
            except InvalidTimestamp:
                return False
        return (self.raw, self.offset) == (other.raw, other.offset)

    def __lt__(self, other):
        if other is None:
            return False
        if not isinstance(other, Timestamp):
            other = Timestamp(other)
        return (self.raw, self.offset) < (other.raw, other.offset)

    @classmethod
    def zero(cls):
        """The zero timestamp ``0000000000.00000``."""
        return cls(0)


def normalize_timestamp(value):
    """Return ``value`` in normal form (``%016.05f``); offsets are dropped."""
    return Timestamp(value).normal


def normalize_delete_at_timestamp(value):
    """Return an X-Delete-At value as ``%010d`` (clamped to [0, 9999999999])."""
    return '%010d' % min(max(0, float(value)), 9999999999)


def encode_timestamps(t1, t2=None, t3=None, explicit=False):
    """Encode up to three timestamps as ``<t1.short>[±hex(t2-t1)[±hex(t3-t2)]]``.

    Deltas are in raw 10 us units. Used in container ``created_at`` columns and
    ``.meta`` file names. With ``explicit`` a zero delta is written as ``+0``.

    :returns: str
    """
    form = t1.short
    if t2 is not None:
        deltas = [t2.raw - t1.raw]
        if t3 is not None:
            deltas.append(t3.raw - t2.raw)
        # all deltas or none: a lone "+x" would be read back as the t2 delta
        if explicit or any(deltas):
            for delta in deltas:
                form += '%s%x' % ('-' if delta < 0 else '+', abs(delta))
    return form


def decode_timestamps(encoded, explicit=False):
    """Inverse of :func:`encode_timestamps`.

    :param encoded: str or bytes as written by :func:`encode_timestamps`.
    :param explicit: if True, missing parts give None instead of copies of t1.
    :returns: tuple (t1, t2, t3) of Timestamps (or None).
    """
    if isinstance(encoded, bytes):
        encoded = encoded.decode('ascii')
    parts = []
    signs = []
    current = ''
    for char in encoded:
        if char in '+-':
            parts.append(current)
            signs.append(char)
            current = ''
        else:
            current += char
    parts.append(current)
    t1 = Timestamp(parts[0])
    t2 = t3 = None
    if len(parts) > 1:
        delta = int(parts[1], 16) * (-1 if signs[0] == '-' else 1)
        t2 = Timestamp(t1, delta=delta)
    elif not explicit:
        t2 = t1
    if len(parts) > 2:
        delta = int(parts[2], 16) * (-1 if signs[1] == '-' else 1)
        t3 = Timestamp(t2, delta=delta)
    elif not explicit:
        t3 = t2
    return t1, t2, t3


def last_modified_date_to_timestamp(last_modified):
    """Turn a listing ``last_modified`` (ISO, no zone) into a Timestamp."""
    fmt = '%Y-%m-%dT%H:%M:%S.%f' if '.' in last_modified else '%Y-%m-%dT%H:%M:%S'
    dt = datetime.datetime.strptime(last_modified, fmt)
    delta = dt - datetime.datetime(1970, 1, 1)
    return Timestamp(delta.total_seconds())
