# Streaming a large object's body from its segments (Swift's SegmentedIterable):
# - each piece is fetched with a GET subrequest below the slo filter carrying the
#   client's identity (so ACLs apply to segments), with ``Range: bytes=F-L`` when only
#   part of the segment is needed;
# - a segment whose answer is not 2xx, whose etag differs from the manifest's, whose
#   length differs (unranged), or whose bytes do not hash to its etag is an error:
#   on the first segment the response becomes 409 (503 for a server error); later the
#   error is logged and the body ends early by raising TruncatedBodyError, so the WSGI
#   server drops the connection instead of leaving the client waiting for bytes;
# - after rate_limit_after_segment small segments (< rate_limit_under_size bytes),
#   at most rate_limit_segments_per_sec are fetched per second (injected clock);
# - the whole GET may last at most max_get_time seconds.
"""SegmentedIterable: a large object's body built from segment GETs."""

import hashlib
from collections import namedtuple

from swift.common.request_helpers import close_if_possible, make_subrequest
from swift.common.swob import multirange_part_header

Piece = namedtuple('Piece', 'path etag size first last data')
Piece.__doc__ = """One contiguous part of a large object's body.

:ivar path: WSGI-str ``/v1/a/c/o`` of the segment (None for inline data).
:ivar etag: segment etag from the manifest (None when unknown).
:ivar size: whole segment size in bytes.
:ivar first: first byte wanted (absolute in the segment).
:ivar last: last byte wanted (inclusive).
:ivar data: the bytes themselves for an inline data segment, else None.
"""


class SloError(Exception):
    """Base of the errors met while serving a large object.

    :ivar status_hint: HTTP status to answer when nothing was sent yet.
    """

    status_hint = 409


class ListingError(SloError):
    """A sub-manifest could not be fetched or read, or nesting went too deep."""


class SegmentError(SloError):
    """A segment is missing, changed, or answered wrongly."""

    def __init__(self, message, status_hint=409):
        super().__init__(message)
        self.status_hint = status_hint


class TruncatedBodyError(SloError):
    """Raised to the WSGI server after an error mid-body, so it closes the
    connection (the client sees fewer bytes than Content-Length)."""


class RateLimiter:
    """Swift's RateLimitedIterator rule for small segments.

    :param clock: Clock used to sleep.
    :param per_second: segments allowed per second once limiting starts.
    :param after: small segments fetched before limiting starts.
    :param under_size_bytes: segments smaller than this are "small".
    """

    def __init__(self, clock, per_second, after, under_size_bytes):
        self.clock = clock
        self.per_second = per_second
        self.remaining_free = after
        self.under_size_bytes = under_size_bytes
        self.running_time = 0.0

    def wait(self, piece: Piece) -> None:
        """Sleep as needed before fetching ``piece``."""
        if piece.data is not None:
            return
        if piece.last - piece.first + 1 >= self.under_size_bytes:
            return
        if self.remaining_free > 0:
            self.remaining_free -= 1
            return
        if self.per_second <= 0:
            return
        now = self.clock.monotonic()
        self.running_time = max(now, self.running_time + 1.0 / self.per_second)
        if self.running_time > now:
            self.clock.sleep(self.running_time - now)


class SegmentedIterable:
    """The body of a large object (see module doc).

    :param req: the client's Request (identity, path for messages).
    :param app: the WSGI app below the slo filter.
    :param pieces: iterable of :class:`Piece` (may raise :class:`SloError`).
    :param logger: logger for segment errors.
    :param clock: Clock (max_get_time and rate limiting).
    :param max_get_time_s: longest time a GET may take, seconds.
    :param rate_limiter: :class:`RateLimiter` or None.
    """

    def __init__(self, req, app, pieces, *, logger, clock, max_get_time_s,
                 rate_limiter=None, ua_suffix='SLO MultipartGET', swift_source='SLO'):
        self.req = req
        self.app = app
        self.pieces = pieces
        self.logger = logger
        self.clock = clock
        self.max_get_time_s = max_get_time_s
        self.rate_limiter = rate_limiter
        self.ua_suffix = ua_suffix
        self.swift_source = swift_source
        self.name = req.path
        self.current_resp = None
        self.peeked = None
        self.validated_first_segment = False
        self._gen = self._internal_iter()

    # -- fetching
    def _fetch(self, piece):
        sub = make_subrequest(self.req.environ, method='GET', path=piece.path,
                              headers={'X-Auth-Token': self.req.headers.get(
                                  'X-Auth-Token')},
                              agent='%(orig)s ' + self.ua_suffix,
                              swift_source=self.swift_source)
        ranged = not (piece.first == 0 and piece.last == piece.size - 1)
        if ranged:
            sub.headers['Range'] = 'bytes=%d-%d' % (piece.first, piece.last)
        resp = sub.get_response(self.app)
        if not resp.is_success:
            body = resp.body.decode('utf-8', 'replace')
            message = 'While processing manifest %s, got %d (%s) while retrieving %s' % (
                self.name, resp.status_int,
                body if len(body) <= 60 else body[:57] + '...', piece.path)
            raise SegmentError(message, 503 if resp.status_int >= 500 else 409)
        if (piece.etag and resp.etag != piece.etag) or \
                (not ranged and resp.content_length != piece.size):
            close_if_possible(resp.app_iter)
            raise SegmentError('Object segment no longer valid: %s etag: %s != %s or '
                               '%s != %s.' % (piece.path, resp.etag, piece.etag,
                                              resp.content_length, piece.size))
        return resp, ranged

    def _stream(self, piece):
        resp, ranged = self._fetch(piece)
        self.current_resp = resp
        # a segment that is itself a large object (a DLO below us) has an etag that
        # is not the md5 of its bytes
        digest = None
        if not (ranged or not resp.etag or 'X-Object-Manifest' in resp.headers
                or 'X-Static-Large-Object' in resp.headers):
            digest = hashlib.md5()
        expected = piece.last - piece.first + 1
        received = 0
        for chunk in resp.app_iter:
            if digest is not None:
                digest.update(chunk)
            received += len(chunk)
            yield chunk
        close_if_possible(resp.app_iter)
        self.current_resp = None
        if received != expected:
            raise SegmentError('Bad response length for %s as part of %s: headers had '
                               '%s, but response length was actually %s'
                               % (piece.path, self.name, expected, received))
        if digest is not None and digest.hexdigest() != resp.etag:
            raise SegmentError('Bad MD5 checksum for %s as part of %s: headers had %s, '
                               'but object MD5 was actually %s'
                               % (piece.path, self.name, resp.etag, digest.hexdigest()))

    def _internal_iter(self):
        start = self.clock.time()
        for piece in self.pieces:
            if self.clock.time() - start > self.max_get_time_s:
                raise SegmentError('While processing manifest %s, max LO GET time of '
                                   '%ds exceeded' % (self.name, self.max_get_time_s))
            if piece.data is not None:
                if piece.data:
                    yield piece.data
                continue
            if self.rate_limiter is not None:
                self.rate_limiter.wait(piece)
            for chunk in self._stream(piece):
                if chunk:
                    yield chunk

    # -- the WSGI body protocol
    def validate_first_segment(self) -> None:
        """Fetch the first bytes now, so a missing/changed first segment can still
        change the status.

        :raises SloError: the first segment (or the listing) is bad.
        """
        if self.validated_first_segment:
            return
        try:
            self.peeked = next(self._gen, None)
        except SloError as err:
            self.logger.error('%s', err)
            self.close()
            raise
        finally:
            self.validated_first_segment = True

    def __iter__(self):
        try:
            if self.peeked is not None:
                chunk, self.peeked = self.peeked, None
                yield chunk
            yield from self._gen
        except SloError as err:
            self.logger.error('%s', err)
            raise TruncatedBodyError('%s ended early: %s' % (self.name, err))
        finally:
            self.close()

    def app_iter_range(self, _start, _stop):
        """The body of a single-range answer: the pieces were chosen for it."""
        return iter(self)

    def app_iter_ranges(self, ranges, content_type, boundary, size):
        """A multipart/byteranges body (RFC 7233 appendix A); the pieces hold the
        bytes of each range, in order."""
        reader = _Taker(iter(self))
        for start, stop in ranges:
            yield multirange_part_header(content_type, boundary, start, stop, size)
            yield from reader.take(stop - start)
        yield ('\r\n--%s--' % boundary).encode('ascii')

    def close(self) -> None:
        """Release the segment answer being read (a backend connection)."""
        if self.current_resp is not None:
            close_if_possible(self.current_resp.app_iter)
            self.current_resp = None
        self._gen.close()


class _Taker:
    """Yields exact byte counts from an iterator of chunks."""

    def __init__(self, iterator):
        self.iterator = iterator
        self.leftover = b''

    def take(self, count):
        """Yield chunks summing to ``count`` bytes (fewer if the source ends)."""
        while count > 0:
            chunk = self.leftover or next(self.iterator, b'')
            self.leftover = b''
            if not chunk:
                return
            if len(chunk) > count:
                chunk, self.leftover = chunk[:count], chunk[count:]
            count -= len(chunk)
            yield chunk
