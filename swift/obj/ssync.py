# Owns the SSYNC conversation, sans-I/O (swift-catalog.md 5, doc/formats/ssync.md):
# the byte formats of its messages and the order in which they may travel. The socket
# code lives in ssync_sender.py / ssync_receiver.py and only moves bytes.
#
# Transition rules (TRANSITIONS below; one table serves both sides, because both walk
# the same conversation - the sender by what it writes and reads, the receiver likewise):
#   * the sender offers every object it has (missing check), the receiver answers with
#     the hashes it wants, the sender sends updates (PUT/POST/DELETE subrequests), the
#     receiver acknowledges them; nothing else is legal;
#   * an ``:ERROR:`` line from the receiver ends the conversation in FAILED from any
#     state that is not already terminal (and changes nothing in a terminal one);
#   * an event not in the table is a protocol error that names whose fault it was.
# Framing rules (HTTP/1.1 chunked, RFC 9112 section 7.1):
#   * every message travels as its own chunk ``%x\r\n<msg>\r\n``;
#   * the request ALWAYS ends with the last chunk ``0\r\n\r\n`` - on success and on
#     every failure (the Ic17c6c30 fix) - so the receiving WSGI server never has to
#     parse a chunk size out of a torn stream.
"""SSYNC protocol: states, transitions, message encode/decode and chunk framing."""

import enum
import urllib.parse
from dataclasses import dataclass

from swift.common.timestamp import Timestamp

MISSING_CHECK_START = b':MISSING_CHECK: START'
MISSING_CHECK_END = b':MISSING_CHECK: END'
UPDATES_START = b':UPDATES: START'
UPDATES_END = b':UPDATES: END'
ERROR_PREFIX = b':ERROR:'
CRLF = b'\r\n'
LAST_CHUNK = b'0\r\n\r\n'
# A chunk-size line longer than this is garbage, not a size (16 hex digits is 2**64).
CHUNK_SIZE_LINE_BYTES_MAX = 1024
# Messages shown in errors are capped so a misbehaving peer cannot flood the log.
ERROR_ECHO_BYTES_MAX = 1024


class SsyncError(Exception):
    """Base of every ssync failure.

    :ivar side: ``'local'`` (our fault: disk, timeout) or ``'remote'`` (the peer's).
    :ivar status: HTTP-like status hint (0 when there is none).
    """

    def __init__(self, message, side='remote', status=0):
        super().__init__(message)
        self.side = side
        self.status = status


class SsyncProtocolError(SsyncError):
    """The peer sent a message the conversation does not allow here.

    :ivar state: the :class:`State` we were in.
    :ivar event: the :class:`Event` that arrived.
    """

    def __init__(self, message, state=None, event=None, side='remote'):
        super().__init__(message, side=side, status=400)
        self.state = state
        self.event = event


class SsyncRemoteError(SsyncError):
    """The receiver reported ``:ERROR: <status> '<message>'`` or an error status."""


class SsyncLocalError(SsyncError):
    """Our side failed (local read error, short read of a data file)."""

    def __init__(self, message, status=0):
        super().__init__(message, side='local', status=status)


class SsyncTimeout(SsyncError):
    """A send or receive did not complete in time.

    :ivar phase: what was being waited for (e.g. ``'missing_check start wait'``).
    :ivar seconds: the limit that was exceeded.
    """

    def __init__(self, phase, seconds, side='remote'):
        super().__init__('%s seconds: %s' % (seconds, phase), side=side, status=408)
        self.phase = phase
        self.seconds = seconds


class ChunkedEncodingError(SsyncError):
    """Bytes that are not valid HTTP/1.1 chunked framing."""


class State(enum.Enum):
    """Where the conversation is."""
    NEW = 'new'
    CONNECTED = 'connected'
    OFFERING = 'offering'              # sender listing its objects
    AWAITING_WANTS = 'awaiting_wants'  # offer complete, receiver checking
    READING_WANTS = 'reading_wants'    # receiver listing what it wants
    WANTS_KNOWN = 'wants_known'
    UPDATING = 'updating'              # sender streaming subrequests
    AWAITING_ACK = 'awaiting_ack'
    READING_ACK = 'reading_ack'
    DONE = 'done'
    FAILED = 'failed'


class Event(enum.Enum):
    """Something that travelled (or, for CONNECTED, the 200 answer)."""
    CONNECTED = 'connected'
    OFFER_START = 'offer_start'
    OFFER_LINE = 'offer_line'
    OFFER_END = 'offer_end'
    WANTS_START = 'wants_start'
    WANTS_LINE = 'wants_line'
    WANTS_END = 'wants_end'
    UPDATES_START = 'updates_start'
    UPDATE = 'update'
    UPDATES_END = 'updates_end'
    ACK_START = 'ack_start'
    ACK_END = 'ack_end'
    ERROR = 'error'


TRANSITIONS = {
    (State.NEW, Event.CONNECTED): State.CONNECTED,
    (State.CONNECTED, Event.OFFER_START): State.OFFERING,
    (State.OFFERING, Event.OFFER_LINE): State.OFFERING,
    (State.OFFERING, Event.OFFER_END): State.AWAITING_WANTS,
    (State.AWAITING_WANTS, Event.WANTS_START): State.READING_WANTS,
    (State.READING_WANTS, Event.WANTS_LINE): State.READING_WANTS,
    (State.READING_WANTS, Event.WANTS_END): State.WANTS_KNOWN,
    (State.WANTS_KNOWN, Event.UPDATES_START): State.UPDATING,
    (State.UPDATING, Event.UPDATE): State.UPDATING,
    (State.UPDATING, Event.UPDATES_END): State.AWAITING_ACK,
    (State.AWAITING_ACK, Event.ACK_START): State.READING_ACK,
    (State.READING_ACK, Event.ACK_END): State.DONE,
}
TERMINAL_STATES = frozenset({State.DONE, State.FAILED})


class Conversation:
    """Tracks one SSYNC exchange through :data:`TRANSITIONS`.

    :param side: ``'sender'`` or ``'receiver'`` (for error messages only).
    """

    def __init__(self, side):
        self.side = side
        self.state = State.NEW

    def advance(self, event):
        """Apply ``event``; :returns: the new :class:`State`.

        :raises SsyncProtocolError: ``event`` is not allowed in the current state
            (the conversation becomes FAILED).
        """
        if event is Event.ERROR:
            # an error ends any live conversation and is harmless after the end, so
            # error paths never raise while reporting one
            if self.state not in TERMINAL_STATES:
                self.state = State.FAILED
            return self.state
        next_state = TRANSITIONS.get((self.state, event))
        if next_state is None:
            previous, self.state = self.state, State.FAILED
            raise SsyncProtocolError('%s: %s not allowed in state %s' % (
                self.side, event.value, previous.value), previous, event)
        self.state = next_state
        return next_state

    @property
    def done(self):
        """True once the updates were acknowledged."""
        return self.state is State.DONE


# ---------------------------------------------------------------- missing check

@dataclass(frozen=True)
class Offer:
    """One object the sender has (a missing-check line).

    :ivar object_hash: 32 hex chars.
    :ivar ts_data: timestamp of the .data or .ts.
    :ivar ts_meta: timestamp of the newest .meta (== ts_data when none).
    :ivar ts_ctype: content-type timestamp (== ts_data when not set apart).
    :ivar durable: False only for a non-durable EC fragment.
    """
    object_hash: str
    ts_data: Timestamp
    ts_meta: Timestamp
    ts_ctype: Timestamp
    durable: bool = True


def _delta_part(key, ts, ts_data):
    part = '%s:%x' % (key, ts.raw - ts_data.raw)
    if ts.offset:
        part += '__%x' % ts.offset
    return part


def encode_offer(object_hash, ts_data, ts_meta=None, ts_ctype=None, durable=True):
    """A missing-check line ``<hash> <ts_data>[ m:<hex>[__<off>],t:<hex>,durable:False]``.

    :returns: ASCII bytes without the line ending.
    """
    msg = '%s %s' % (urllib.parse.quote(object_hash), urllib.parse.quote(ts_data.internal))
    extras = []
    if ts_meta is not None and ts_meta != ts_data:
        extras.append(_delta_part('m', ts_meta, ts_data))
    if ts_ctype is not None and ts_ctype != ts_data:
        extras.append(_delta_part('t', ts_ctype, ts_data))
    if durable is False:
        extras.append('durable:False')
    if extras:
        msg += ' ' + ','.join(extras)
    return msg.encode('ascii')


def _delta_timestamp(ts_data, value):
    delta, _, offset = value.partition('__')
    return Timestamp(ts_data.normal, delta=int(delta, 16), offset=int(offset or '0', 16))


def decode_offer(line):
    """Parse a missing-check line (unknown ``k:v`` extras are ignored, as Swift does).

    :param line: bytes, with or without the line ending.
    :returns: :class:`Offer`.
    :raises SsyncProtocolError: not ``<hash> <timestamp>[ extras]``.
    """
    try:
        parts = line.decode('ascii').split()
        object_hash = urllib.parse.unquote(parts[0])
        ts_data = Timestamp(urllib.parse.unquote(parts[1]))
        ts_meta = ts_ctype = ts_data
        durable = True
        if len(parts) > 2:
            for item in urllib.parse.unquote(parts[2]).split(','):
                key, sep, value = item.partition(':')
                if not sep:
                    continue
                if key == 'm':
                    ts_meta = _delta_timestamp(ts_data, value)
                elif key == 't':
                    ts_ctype = _delta_timestamp(ts_data, value)
                elif key == 'durable':
                    durable = value.strip().lower() in ('true', '1', 'yes', 'on', 't', 'y')
    except (UnicodeDecodeError, IndexError, ValueError) as err:
        raise SsyncProtocolError('Bad missing check line %r: %s'
                                 % (line[:ERROR_ECHO_BYTES_MAX], err))
    return Offer(object_hash, ts_data, ts_meta, ts_ctype, durable)


@dataclass(frozen=True)
class Wants:
    """What the receiver asks for one object."""
    data: bool = False
    meta: bool = False

    def __bool__(self):
        return self.data or self.meta


def wants_for(offer, local):
    """Decide what to ask for (Swift's ``encode_wanted`` rules).

    :param offer: the sender's :class:`Offer`.
    :param local: dict with ``ts_data`` (and for a .data ``ts_meta``, ``ts_ctype``) of
        the local copy; empty when there is nothing local.
    :returns: :class:`Wants` (false when in sync).
    """
    if 'ts_data' not in local:
        return Wants(data=True, meta=True)
    data = offer.ts_data > local['ts_data']
    meta = 'ts_meta' in local and offer.ts_meta > local['ts_meta']
    if 'ts_ctype' in local and offer.ts_ctype > local['ts_ctype'] \
            and offer.ts_ctype > offer.ts_data:
        meta = True
    return Wants(data=data, meta=meta)


def encode_wants(object_hash, wants):
    """``<hash> <d|m|dm>`` (ASCII bytes, no line ending)."""
    letters = ('d' if wants.data else '') + ('m' if wants.meta else '')
    return ('%s %s' % (urllib.parse.quote(object_hash), letters)).encode('ascii')


def decode_wants(line):
    """Parse ``<hash> [d][m]``; a bare hash (legacy receiver) means data.

    :returns: (object_hash, :class:`Wants`), or None for a blank line.
    :raises SsyncProtocolError: not ASCII.
    """
    try:
        parts = line.decode('ascii').split()
    except UnicodeDecodeError:
        raise SsyncProtocolError('Bad wants line %r' % line[:ERROR_ECHO_BYTES_MAX])
    if not parts:
        return None
    object_hash = urllib.parse.unquote(parts[0])
    if len(parts) == 1:
        return object_hash, Wants(data=True)
    letters = parts[1]
    return object_hash, Wants(data='d' in letters, meta='m' in letters)


# ---------------------------------------------------------------- updates

def _header_bytes(text):
    try:
        return text.encode('latin-1')   # a WSGI string: latin-1 of the raw bytes
    except UnicodeEncodeError:
        return text.encode('utf-8', 'surrogateescape')


def encode_subrequest(method, path, headers):
    """Head of one update: ``METHOD <quoted path>\\r\\nK: V\\r\\n...\\r\\n\\r\\n``.

    :param method: ``PUT``, ``POST`` or ``DELETE``.
    :param path: ``/a/c/o`` (native str; URL-quoted here as UTF-8).
    :param headers: iterable of (name, value) pairs, values as WSGI strings (how object
        metadata is stored), sent in the given order.
    :returns: bytes.
    """
    lines = [('%s %s' % (method, urllib.parse.quote(path, errors='surrogateescape'))
              ).encode('ascii')]
    lines.extend(_header_bytes('%s: %s' % (name, value)) for name, value in headers)
    return b'\r\n'.join(lines) + b'\r\n\r\n'


SUBREQUEST_METHODS = ('PUT', 'POST', 'DELETE')


def decode_request_line(line):
    """``METHOD <quoted path>`` -> (method, unquoted native path).

    :raises SsyncProtocolError: malformed or an unknown method.
    """
    try:
        text = line.strip().decode('ascii')
        method, path = text.split(' ', 1)
    except (UnicodeDecodeError, ValueError):
        raise SsyncProtocolError('Bad subrequest line %r' % line[:ERROR_ECHO_BYTES_MAX])
    if method not in SUBREQUEST_METHODS:
        raise SsyncProtocolError('Invalid subrequest method %s' % method)
    return method, urllib.parse.unquote(path, errors='surrogateescape')


def decode_header_line(line):
    """``Name: value`` -> (lower-case name, stripped value) as WSGI strings (latin-1 of
    the raw bytes, as headers travel inside a WSGI server).

    :raises SsyncProtocolError: no colon.
    """
    try:
        name, value = line.strip().decode('latin-1').split(':', 1)
    except ValueError:
        raise SsyncProtocolError('Bad header line %r' % line[:ERROR_ECHO_BYTES_MAX])
    return name.strip().lower(), value.strip()


# ---------------------------------------------------------------- errors

def encode_error(status, message):
    """``:ERROR: <status> '<message>'\\n`` as Swift writes it (``%r`` of the message)."""
    return (':ERROR: %d %r\n' % (status, message)).encode('utf-8')


def decode_error(line):
    """(status, message text) of an ``:ERROR:`` line, or None for any other line."""
    line = line.strip()
    if not line.startswith(ERROR_PREFIX):
        return None
    rest = line[len(ERROR_PREFIX):].decode('utf-8', 'replace').strip()
    status_text, _, message = rest.partition(' ')
    try:
        status = int(status_text)
    except ValueError:
        status = 0
    return status, message


# ---------------------------------------------------------------- chunk framing

def encode_chunk(data):
    """One HTTP/1.1 chunk; empty ``data`` is refused (it would end the body).

    :raises ValueError: for empty data.
    """
    if not data:
        raise ValueError('an empty chunk would terminate the body')
    return b'%x\r\n%s\r\n' % (len(data), data)


class ChunkedDecoder:
    """Incremental decoder of a chunked body (RFC 9112 7.1), sans I/O.

    ``feed(bytes)`` returns the payload bytes decoded so far; ``finished`` is True after
    the last chunk and its (ignored) trailers; bytes after that are kept in ``extra``.
    """

    def __init__(self):
        self._buffer = b''
        self._left = None      # payload bytes left in the current chunk, None: size next
        self._need_crlf = False
        self._in_trailers = False
        self.finished = False
        self.extra = b''
        self.chunk_count = 0

    def feed(self, data):
        """:returns: decoded payload bytes. :raises ChunkedEncodingError:"""
        if self.finished:
            self.extra += data
            return b''
        self._buffer += data
        out = []
        while not self.finished and self._step(out):
            pass
        return b''.join(out)

    def _step(self, out):
        if self._need_crlf:
            if len(self._buffer) < 2:
                return False
            if self._buffer[:2] != CRLF:
                raise ChunkedEncodingError('missing CRLF after chunk data')
            self._buffer = self._buffer[2:]
            self._need_crlf = False
            return True
        if self._left:
            piece = self._buffer[:self._left]
            self._buffer = self._buffer[len(piece):]
            self._left -= len(piece)
            out.append(piece)
            if self._left == 0:
                self._left = None
                self._need_crlf = True
            return bool(piece)
        line, sep, rest = self._buffer.partition(CRLF)
        if not sep:
            if len(self._buffer) > CHUNK_SIZE_LINE_BYTES_MAX:
                raise ChunkedEncodingError('chunk size line too long')
            return False
        self._buffer = rest
        if self._in_trailers:
            if not line:
                self.finished = True
                self.extra, self._buffer = self._buffer, b''
            return True
        size_text = line.split(b';', 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ChunkedEncodingError('invalid chunk size %r' % size_text[:64])
        if size < 0:
            raise ChunkedEncodingError('negative chunk size')
        self.chunk_count += 1
        if size == 0:
            self._in_trailers = True
        else:
            self._left = size
        return True


def is_complete_chunked_body(data):
    """True when ``data`` is exactly a valid chunked body ending with the last chunk."""
    decoder = ChunkedDecoder()
    try:
        decoder.feed(data)
    except ChunkedEncodingError:
        return False
    return decoder.finished and not decoder.extra
