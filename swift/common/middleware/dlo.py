# Dynamic Large Objects (Swift's dlo middleware): an object whose stored metadata has
# ``X-Object-Manifest: <container>/<prefix>`` (URL-quoted by clients) is served as the
# concatenation, in listing order, of every object in <container> whose name starts
# with <prefix>. Rules (Swift's):
#   * GET/HEAD of a manifest lists the segment container through the pipeline below
#     (all pages, following markers; a page shorter than container_listing_limit is the
#     last) with the client's identity, so a client who may not list the segment
#     container gets that listing's 401/403/404;
#   * the answer is 200 with the manifest's headers (Content-Type, Last-Modified, user
#     metadata, X-Object-Manifest) plus, when the first listing page is complete,
#     Content-Length = the sum of the segment sizes and ``Etag: "<md5 of the
#     concatenated segment etags>"`` (quoted); with a longer listing neither is known
#     up front and the body is sent chunked;
#   * one Range -> 206 fetching only the segments it covers (Range on the first/last);
#     a range that cannot be satisfied -> 416; several ranges -> 200 with the whole
#     object (BL-16); a range past the first listing page of a huge manifest -> 200;
#   * If-Match / If-None-Match / If-(Un)Modified-Since are evaluated against the DLO
#     Etag and the manifest's Last-Modified;
#   * ``?multipart-manifest=get`` returns the manifest object itself;
#   * the first segment is fetched before answering (404 -> 409 Conflict, 5xx -> 503);
#     a later segment missing, changed (size differs from the listing) or the whole GET
#     running longer than max_get_time ends the body early: logged, then the body
#     iterator raises so the server closes the connection (a short body, never a
#     hang);
#   * after rate_limit_after_segment segments, segments are fetched at most
#     rate_limit_segments_per_sec per second (0 disables the limit);
#   * PUT with X-Object-Manifest not of the form ``container/prefix`` (no '?' or '&',
#     prefix not starting with '/') -> 400 ``X-Object-Manifest must be in the format
#     container/prefix``; the manifest body is stored as given.
# Swift publishes no /info section for dlo (checked against a real Swift 2.38 /info),
# so none is registered here.
"""dlo middleware."""

import hashlib
import json
from dataclasses import dataclass
from typing import NamedTuple, Optional

from swift.common.clock import REAL_CLOCK
from swift.common.config import ConfigError
from swift.common.constraints import Constraints
from swift.common.http_status import is_server_error, is_success
from swift.common.logs import get_logger
from swift.common.request_helpers import close_if_possible, make_subrequest
from swift.common.swob import (HTTPBadRequest, HTTPConflict, HTTPException,
                               HTTPRequestedRangeNotSatisfiable, HTTPServerError,
                               HTTPServiceUnavailable, Request, Response,
                               normalize_etag, str_to_wsgi, wsgi_quote,
                               wsgi_unquote)

MANIFEST_HEADER = 'X-Object-Manifest'
MANIFEST_FORMAT_ERROR = b'X-Object-Manifest must be in the format container/prefix'
IGNORE_RANGE_HEADER = 'X-Backend-Ignore-Range-If-Metadata-Present'
DRAIN_LIMIT_BYTES = 1024     # Swift reads a manifest body this small to keep the conn
USER_AGENT = '%(orig)s DLO MultipartGET'
SWIFT_SOURCE = 'DLO'
# Request headers that must not reach the manifest re-read done after the backend
# already answered a conditional request with 304/412 for the manifest itself.
CONDITIONAL_HEADERS = ('If-Match', 'If-None-Match', 'If-Modified-Since',
                       'If-Unmodified-Since', 'Range')


@dataclass(frozen=True)
class DloConfig:
    """The dlo filter options (Swift's names and defaults).

    :ivar rate_limit_after_segment: segments fetched before rate limiting starts.
    :ivar rate_limit_segments_per_sec: segments per second afterwards (0: no limit).
    :ivar max_get_time: seconds one GET may spend fetching segments.
    """
    rate_limit_after_segment: int = 10
    rate_limit_segments_per_sec: int = 1
    max_get_time: int = 86400

    @classmethod
    def from_conf(cls, conf):
        """Build from a paste conf dict.

        :raises ConfigError: naming an option that is not a non-negative integer.
        """
        values = {}
        for name, field_ in cls.__dataclass_fields__.items():
            raw = conf.get(name, field_.default)
            try:
                values[name] = int(raw)
            except (TypeError, ValueError):
                raise ConfigError('%s must be an integer, got %r' % (name, raw),
                                  option=name)
            if values[name] < 0:
                raise ConfigError('%s must not be negative, got %r' % (name, raw),
                                  option=name)
        return cls(**values)


# ---------------------------------------------------------------- errors

class DloError(Exception):
    """Serving a DLO failed.

    :ivar manifest: the manifest's quoted request path.
    """

    def __init__(self, message, manifest):
        super().__init__(message)
        self.manifest = manifest


class ListingError(DloError):
    """A later page of the segment listing could not be read (remote's fault).

    :ivar status: HTTP status of the listing subrequest.
    :ivar container: the segment container path ``/<account>/<container>``.
    """

    def __init__(self, message, manifest, status, container):
        super().__init__(message, manifest)
        self.status = status
        self.container = container


class SegmentError(DloError):
    """A segment could not be read as listed (missing, changed or too slow).

    :ivar segment: the segment's WSGI-str path (or None for a timeout).
    :ivar status: HTTP status of the segment subrequest (or None).
    """

    def __init__(self, message, manifest, segment=None, status=None):
        super().__init__(message, manifest)
        self.segment = segment
        self.status = status


# ---------------------------------------------------------------- pure helpers

def parse_manifest_value(value):
    """Split an X-Object-Manifest value into (container, prefix) as Swift validates it.

    :param value: the header value as received (WSGI str, maybe URL-quoted).
    :returns: (container, prefix), both unquoted WSGI strs.
    :raises ValueError: unless the value is ``container/prefix`` with a non-empty
        container and prefix, no '?' or '&', and a prefix not starting with '/'.
    """
    container, sep, prefix = value.partition('/')
    if not sep or not container or not prefix:
        raise ValueError('X-Object-Manifest %r has no container/prefix' % value)
    if '?' in value or '&' in value or prefix.startswith('/'):
        raise ValueError('X-Object-Manifest %r has a bad character' % value)
    container, _sep, prefix = wsgi_unquote(value).partition('/')
    return container, prefix


def add_ignore_range_header(req, metadata_name):
    """Ask the object server to ignore Range when the object has ``metadata_name``
    (a manifest is ranged by the middleware, not by its own zero-byte body).

    Appends to any value another middleware (slo) put there.
    """
    existing = req.headers.get(IGNORE_RANGE_HEADER)
    names = [name.strip() for name in existing.split(',')] if existing else []
    if metadata_name.lower() not in (name.lower() for name in names):
        names.append(metadata_name)
    req.headers[IGNORE_RANGE_HEADER] = ','.join(names)


class SegmentRead(NamedTuple):
    """One segment subrequest of a DLO GET.

    :ivar path: WSGI-str path ``/v1/<account>/<container>/<segment>``.
    :ivar first_byte: first byte wanted (None: from the start).
    :ivar last_byte: last byte wanted, inclusive (None: to the end).
    :ivar length: bytes expected from this segment.
    """
    path: str
    first_byte: Optional[int]
    last_byte: Optional[int]
    length: int

    def range_header(self):
        """The Range header for this read, or None for the whole segment."""
        if self.first_byte is None and self.last_byte is None:
            return None
        # '0' rather than '' so that it never reads as a suffix range (bytes=-N)
        return 'bytes=%d-%s' % (self.first_byte or 0,
                                '' if self.last_byte is None else self.last_byte)


def plan_segments(pages, segment_prefix, first_byte=None, last_byte=None):
    """The segment reads that produce bytes ``first_byte..last_byte`` of a DLO
    (Swift's _segment_listing_iterator).

    :param pages: iterable of listing pages (lists of dicts with ``name``, ``bytes``),
        consumed lazily: no page is asked for once the range is covered.
    :param segment_prefix: WSGI-str ``/v1/<account>/<container>`` for segment paths.
    :param first_byte: first wanted byte of the whole object (None: 0).
    :param last_byte: last wanted byte, inclusive (None: to the end).
    :returns: generator of :class:`SegmentRead`.
    """
    first = 0 if first_byte is None else first_byte
    last = float('inf') if last_byte is None else last_byte
    for page in pages:
        for entry in page:
            size = int(entry['bytes'])
            if first >= size:
                # none of this segment is wanted (also skips empty segments)
                first, last = max(first - size, -1), max(last - size, -1)
                continue
            if last < 0:
                return
            wanted_first = None if first <= 0 else first
            wanted_last = None if last >= size - 1 else int(last)
            length = (size - 1 if wanted_last is None else wanted_last) \
                - (wanted_first or 0) + 1
            yield SegmentRead('%s/%s' % (segment_prefix, str_to_wsgi(entry['name'])),
                              wanted_first, wanted_last, length)
            first, last = max(first - size, -1), max(last - size, -1)
        if last < 0:
            return


def dlo_etag(segments):
    """Swift's DLO etag: md5 hex of the concatenated (unquoted) segment etags."""
    digest = hashlib.md5()
    for entry in segments:
        digest.update(normalize_etag(entry['hash']).encode('utf-8'))
    return digest.hexdigest()


class RateLimiter:
    """Lets ``free_count`` elements pass, then at most ``per_sec`` per second
    (Swift's RateLimitedIterator over an EventletRateLimiter).

    :param clock: a :class:`swift.common.clock.Clock`.
    :param per_sec: elements per second once limiting starts (0: never limit).
    :param free_count: elements let through before limiting starts.
    """

    def __init__(self, clock, per_sec, free_count):
        self.clock = clock
        self.interval_s = 1.0 / per_sec if per_sec > 0 else 0.0
        self.free_left = free_count
        self.next_at = None

    def wait(self):
        """Sleep (through the clock) until the next element may go."""
        if self.free_left > 0:
            self.free_left -= 1
            return
        if not self.interval_s:
            return
        now = self.clock.monotonic()
        if self.next_at is None or self.next_at < now:
            self.next_at = now
        elif self.next_at > now:
            self.clock.sleep(self.next_at - now)
        self.next_at += self.interval_s

    def limit(self, iterable):
        """``iterable`` with :meth:`wait` before each element."""
        for item in iterable:
            self.wait()
            yield item


# ---------------------------------------------------------------- the body

class SegmentedBody:
    """The body of a DLO GET: each planned segment read through the pipeline below,
    in order (Swift's SegmentedIterable, DLO flavour).

    :param req: the client's Request (identity and token for the subrequests).
    :param app: the WSGI app below the middleware.
    :param reads: iterable of :class:`SegmentRead` (may raise :class:`ListingError`).
    :param logger: component logger.
    :param clock: :class:`swift.common.clock.Clock` for max_get_time.
    :param max_get_time_s: seconds after which no further segment is started.
    """

    def __init__(self, req, app, reads, *, logger, clock, max_get_time_s):
        self.req = req
        self.app = app
        self.reads = iter(reads)
        self.logger = logger
        self.clock = clock
        self.max_get_time_s = max_get_time_s
        self.name = req.path
        self.started_s = clock.time()
        self.pending = None          # (SegmentRead, Response) fetched, not yet streamed
        self.current = None          # the segment Response being streamed
        self._iterator = None

    def validate_first_segment(self):
        """Fetch the first segment before the answer starts, so its failure can still
        change the status.

        :raises SegmentError: the first segment is missing or changed (answer 409).
        :raises ListingError: the listing failed (answer 409).
        :raises HTTPServiceUnavailable: the first segment read got a 5xx.
        """
        read = next(self.reads, None)
        if read is not None:
            self.pending = (read, self._fetch(read))

    def app_iter_range(self, start, stop):
        """swob's hook for a single range: the reads were planned for the range."""
        return self

    def __iter__(self):
        if self._iterator is None:
            self._iterator = self._iterate()
        return self._iterator

    def close(self):
        """Release the segment being read (WSGI close, PEP 3333)."""
        if self._iterator is not None:
            self._iterator.close()
        for resp in (self.current, self.pending and self.pending[1]):
            if resp is not None:
                close_if_possible(resp.app_iter)
        self.current = self.pending = None

    def _iterate(self):
        try:
            if self.pending is not None:
                read, resp = self.pending
                self.pending = None
                yield from self._stream(read, resp)
            for read in self.reads:
                self._check_time()
                yield from self._stream(read, self._fetch(read))
        except (SegmentError, ListingError) as err:
            # The status line is gone: end the body short, and raise so that the
            # server closes the connection instead of leaving the client waiting.
            self.logger.error('%s; closing connection (txn %s)', err,
                              self.req.environ.get('swift.trans_id'))
            raise
        except HTTPException as err:
            self.logger.error('While processing manifest %s, got %s; closing connection',
                              self.name, err.status)
            raise SegmentError('segment read failed with %s' % err.status, self.name,
                               status=err.status_int)
        finally:
            if self.current is not None:
                close_if_possible(self.current.app_iter)
                self.current = None

    def _check_time(self):
        if self.clock.time() - self.started_s > self.max_get_time_s:
            raise SegmentError('While processing manifest %s, max LO GET time of %ds '
                               'exceeded' % (self.name, self.max_get_time_s), self.name)

    def _fetch(self, read):
        """GET one segment; its response once checked against the listing."""
        sub = make_subrequest(
            self.req.environ, method='GET', path=read.path,
            headers={'X-Auth-Token': self.req.headers.get('X-Auth-Token'),
                     'Range': read.range_header()},
            agent=USER_AGENT, swift_source=SWIFT_SOURCE)
        resp = sub.get_response(self.app)
        if not is_success(resp.status_int):
            body = resp.body[:60].decode('utf-8', 'replace')
            message = 'While processing manifest %s, got %d (%s) while retrieving %s' % (
                self.name, resp.status_int, body, wsgi_quote(read.path))
            if is_server_error(resp.status_int):
                self.logger.error('%s', message)
                raise HTTPServiceUnavailable(request=self.req, content_type='text/plain')
            raise SegmentError(message, self.name, read.path, resp.status_int)
        if resp.content_length is not None and resp.content_length != read.length:
            close_if_possible(resp.app_iter)
            raise SegmentError(
                'While processing manifest %s, segment %s has %d bytes where the '
                'listing promised %d (changed since listed)' % (
                    self.name, wsgi_quote(read.path), resp.content_length, read.length),
                self.name, read.path, resp.status_int)
        return resp

    def _stream(self, read, resp):
        self.current = resp
        left = read.length
        for chunk in resp.app_iter:
            if len(chunk) > left:
                yield chunk[:left]
                raise SegmentError('While processing manifest %s, too many bytes from '
                                   'segment %s' % (self.name, wsgi_quote(read.path)),
                                   self.name, read.path)
            left -= len(chunk)
            yield chunk
        close_if_possible(resp.app_iter)
        self.current = None
        if left:
            raise SegmentError('While processing manifest %s, segment %s ended %d bytes '
                               'short' % (self.name, wsgi_quote(read.path), left),
                               self.name, read.path)


# ---------------------------------------------------------------- the middleware

class DynamicLargeObject:
    """See the module doc.

    :param app: next WSGI app.
    :param conf: :class:`DloConfig` or paste conf dict.
    :param logger: component logger (default from conf).
    :param clock: :class:`swift.common.clock.Clock` (rate limiting, max_get_time).
    :param constraints: :class:`Constraints` (container_listing_limit; default from
        swift_dir).
    """

    def __init__(self, app, conf=None, *, logger=None, clock=None, constraints=None):
        self.app = app
        raw = conf if isinstance(conf, dict) else {}
        self.config = conf if isinstance(conf, DloConfig) else DloConfig.from_conf(raw)
        self.logger = logger or get_logger(raw, log_route='dlo')
        self.clock = clock or REAL_CLOCK
        self.constraints = constraints or Constraints.from_swift_dir(
            raw.get('swift_dir', '/etc/swift'))

    def __call__(self, env, start_response):
        req = Request(env)
        if req.split_path_or_none(4, 4, True) is None:
            return self.app(env, start_response)
        if req.method in ('GET', 'HEAD') and \
                req.params.get('multipart-manifest') != 'get':
            return self.handle_get_or_head(req, start_response)
        if req.method == 'PUT' and MANIFEST_HEADER in req.headers:
            try:
                parse_manifest_value(req.headers[MANIFEST_HEADER])
            except ValueError:
                return HTTPBadRequest(request=req,
                                      body=MANIFEST_FORMAT_ERROR)(env, start_response)
        return self.app(env, start_response)

    # -- GET / HEAD
    def handle_get_or_head(self, req, start_response):
        """Pass a plain object through; answer for a manifest (see module doc)."""
        add_ignore_range_header(req, MANIFEST_HEADER)
        status, headers, app_iter = req.call_application(self.app)
        manifest = None
        for name, value in headers:
            if name.lower() == MANIFEST_HEADER.lower():
                manifest = value
        if manifest is None:
            start_response(status, headers)
            return app_iter
        try:
            container, prefix = parse_manifest_value(manifest)
        except ValueError:
            # stored without our PUT check (e.g. an old or direct write): serve as is
            self.logger.warning('Bad X-Object-Manifest %r on %s, served as an object',
                                manifest, req.path)
            start_response(status, headers)
            return app_iter
        self._drain(headers, app_iter)
        if not status.startswith('2'):
            # the backend judged If-*/Range against the manifest's own (empty) body and
            # rewrote its headers: read them again without those conditions
            headers = self._reread_manifest_headers(req)
            if headers is None:
                return HTTPServiceUnavailable(request=req)(req.environ, start_response)
        try:
            resp = self.dlo_response(req, headers, container, prefix)
        except HTTPException as err:
            resp = err
        return resp(req.environ, start_response)

    @staticmethod
    def _drain(headers, app_iter):
        length = dict((k.lower(), v) for k, v in headers).get('content-length')
        try:
            small = length is not None and int(length) < DRAIN_LIMIT_BYTES
        except ValueError:
            small = False
        try:
            if small:
                for _chunk in app_iter:
                    pass
        finally:
            close_if_possible(app_iter)

    def _reread_manifest_headers(self, req):
        sub = make_subrequest(req.environ, method='HEAD', path=req.path_info,
                              headers={'X-Auth-Token': req.headers.get('X-Auth-Token')},
                              agent=USER_AGENT, swift_source=SWIFT_SOURCE,
                              query_string='multipart-manifest=get')
        resp = sub.get_response(self.app)
        close_if_possible(resp.app_iter)
        if not resp.is_success:
            self.logger.error('Manifest %s re-read got %s', req.path, resp.status)
            return None
        return list(resp.headers.items())

    def list_segments(self, req, container, prefix, marker=None):
        """One page of the segment container listing, as the client.

        :param container: unquoted WSGI-str container name.
        :param prefix: unquoted WSGI-str name prefix.
        :param marker: WSGI-str marker (None for the first page).
        :returns: (list of listing dicts, None) or (None, error Response).
        """
        version, account = req.split_path(2, 3, True)[:2]
        query = 'format=json&prefix=%s' % wsgi_quote(prefix, safe='')
        if marker:
            query += '&marker=%s' % wsgi_quote(marker, safe='')
        sub = make_subrequest(req.environ, method='GET',
                              path='/%s/%s/%s' % (version, account, container),
                              headers={'X-Auth-Token': req.headers.get('X-Auth-Token')},
                              agent=USER_AGENT, swift_source=SWIFT_SOURCE,
                              query_string=query)
        resp = sub.get_response(self.app)
        if not resp.is_success:
            if req.method == 'HEAD':
                resp.body = b''
            return None, resp
        body = resp.body
        try:
            listing = json.loads(body) if body.strip() else []
            if not isinstance(listing, list):
                raise ValueError('listing is not a JSON list')
        except ValueError as err:
            self.logger.error('Bad segment listing of %s for %s: %s',
                              wsgi_quote(sub.path_info), req.path, err)
            return None, HTTPServerError(request=req)
        return listing, None

    def listing_pages(self, req, container, prefix, first_page):
        """Every listing page, the first given, later ones fetched on demand.

        :raises ListingError: a later page failed (the answer has started by then).
        """
        page = first_page
        while True:
            yield page
            if len(page) < self.constraints.container_listing_limit or not page:
                return
            marker = str_to_wsgi(page[-1]['name'])
            page, error = self.list_segments(req, container, prefix, marker)
            if error is not None:
                close_if_possible(error.app_iter)
                raise ListingError('Got status %d listing container /%s/%s' % (
                    error.status_int, wsgi_quote(req.split_path(2, 3, True)[1]),
                    wsgi_quote(container)), req.path, error.status_int, container)

    def dlo_response(self, req, manifest_headers, container, prefix):
        """The answer for a DLO manifest whose (2xx) headers are ``manifest_headers``.

        :returns: a conditional swob Response (GET: body is a :class:`SegmentedBody`).
        :raises HTTPException: a listing error, 416, or 409/503 for the first segment.
        """
        segments, error = self.list_segments(req, container, prefix)
        if error is not None:
            return error
        complete = len(segments) < self.constraints.container_listing_limit
        first_page_bytes = sum(int(entry['bytes']) for entry in segments)
        first_byte = last_byte = None
        headers = [(name, value) for name, value in manifest_headers
                   if name.lower() not in ('content-length', 'content-range')]
        span = self._single_range(req, complete, first_page_bytes)
        if span is not None:
            first_byte, last_byte = span
        if span is not None or complete:
            # with a range swob computes the 206 from this length, which covers the
            # range even when the listing has more pages
            headers.append(('Content-Length', str(first_page_bytes)))
        if complete:
            headers = [(name, value) for name, value in headers
                       if name.lower() != 'etag']
            headers.append(('Etag', '"%s"' % dlo_etag(segments)))
        resp = Response(request=req, headers=headers, conditional_response=True)
        # a 304/412 needs no segment: do not open one (swob answers it when called)
        if req.method == 'GET' and resp._conditional_status() is None:
            resp.app_iter = self._segmented_body(req, container, prefix, segments,
                                                 first_byte, last_byte)
        elif req.method == 'HEAD' and 'Content-Length' not in resp.headers:
            # the length is unknown: say nothing rather than let swob say 0
            resp.app_iter = []
        return resp

    def _segmented_body(self, req, container, prefix, segments, first_byte, last_byte):
        """The GET body, its first segment already fetched.

        :raises HTTPConflict: the first segment is missing or changed.
        :raises HTTPServiceUnavailable: its read got a 5xx.
        """
        version, account = req.split_path(2, 3, True)[:2]
        pages = self.listing_pages(req, container, prefix, segments)
        reads = plan_segments(pages, '/%s/%s/%s' % (version, account, container),
                              first_byte, last_byte)
        limiter = RateLimiter(self.clock, self.config.rate_limit_segments_per_sec,
                              self.config.rate_limit_after_segment)
        body = SegmentedBody(req, self.app, limiter.limit(reads), logger=self.logger,
                             clock=self.clock, max_get_time_s=self.config.max_get_time)
        # send each chunk as it comes: a body cut short by a failed segment then
        # reaches the client as the bytes before it (eventlet would otherwise hold
        # small ones back and answer a bare 500)
        req.environ['eventlet.minimum_write_chunk_size'] = 0
        try:
            body.validate_first_segment()
        except (SegmentError, ListingError) as err:
            self.logger.error('%s', err)
            body.close()
            raise HTTPConflict(request=req)
        except HTTPException:
            body.close()
            raise
        return body

    def _single_range(self, req, complete, first_page_bytes):
        """(first, last) inclusive byte span of a single Range the listing's first page
        can answer; None to answer the whole object (no, several or undecidable
        ranges: the Range header is then dropped, BL-16).

        :raises HTTPRequestedRangeNotSatisfiable: for a range past the end.
        """
        req_range = req.range
        if req_range is None or len(req_range.ranges) != 1:
            req.headers['Range'] = None
            return None
        start, end = req_range.ranges[0]
        # A suffix or open range needs the total length: only a complete listing
        # knows it. A closed range inside the first page is known to be satisfiable.
        if not complete and (start is None or end is None or end >= first_page_bytes):
            req.headers['Range'] = None
            return None
        spans = req_range.ranges_for_length(first_page_bytes)
        if not spans:
            headers = {'Accept-Ranges': 'bytes'}
            if complete:
                headers['Content-Range'] = 'bytes */%d' % first_page_bytes
            raise HTTPRequestedRangeNotSatisfiable(request=req, headers=headers)
        first, stop = spans[0]
        return first, stop - 1


def options_from_proxy_section(conf):
    """The dlo options found in the proxy's ``[app:proxy-server]`` section when the
    filter section sets none of them (Swift's upgrade path: DLO used to live in the
    proxy app and read them there).

    :param conf: the filter's merged paste conf (``__file__`` names the conf file).
    :returns: dict of option name -> raw value (empty when not applicable).
    """
    names = tuple(DloConfig.__dataclass_fields__)
    if '__file__' not in conf or any(name in conf for name in names):
        return {}
    from swift.common.wsgi import load_server_conf
    try:
        proxy_conf = load_server_conf(conf['__file__'], 'proxy-server')
    except ConfigError:
        return {}
    return {name: proxy_conf[name] for name in names if name in proxy_conf}


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#dlo``); options in :class:`DloConfig`.

    :raises ConfigError: for a bad option (at load time, naming it).
    """
    conf = dict(global_conf)
    conf.update(local_conf)
    conf.update(options_from_proxy_section(conf))
    config = DloConfig.from_conf(conf)
    logger = get_logger(conf, log_route='dlo')
    constraints = Constraints.from_swift_dir(conf.get('swift_dir', '/etc/swift'))
    return lambda app: DynamicLargeObject(app, config, logger=logger,
                                          constraints=constraints)
