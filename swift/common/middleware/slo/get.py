# GET/HEAD of a static large object (Swift's SloGetContext):
# - the request goes down with ``X-Backend-Etag-Is-At: X-Object-Sysmeta-Slo-Etag`` (the
#   object server evaluates If-Match/If-None-Match against the SLO etag) and
#   ``X-Backend-Ignore-Range-If-Metadata-Present: X-Static-Large-Object`` (a manifest
#   comes back whole, a plain object honours the Range);
# - an answer without ``X-Static-Large-Object: True`` passes through untouched;
# - ``?multipart-manifest=get`` returns the stored manifest with Content-Type
#   ``application/json; charset=utf-8``; ``&format=raw`` the client's form with the
#   object's own Content-Type (manifest.py);
# - otherwise the answer carries ``Etag: "<slo etag>"``, ``X-Manifest-Etag``
#   (md5 of the manifest) and Content-Length of the whole object; a GET streams the
#   segments (nested SLOs expanded, at most MAX_RECURSION_DEPTH deep), a single Range
#   gives 206, several give multipart/byteranges, none satisfiable 416 (swob);
# - HEAD and conditional 304/412 answers are built from sysmeta without reading the
#   manifest when the sysmeta is there.
"""Serving GET and HEAD of static large objects."""

import collections
import hashlib

from swift.common.config import config_true_value
from swift.common.request_helpers import close_if_possible, make_subrequest
from swift.common.swob import (HTTPServerError, Request, Response, status_map,
                               str_to_wsgi)
from swift.common.middleware.slo.manifest import (SYSMETA_SLO_ETAG, SYSMETA_SLO_SIZE,
                                                  load_manifest, segment_length,
                                                  slo_etag_of, strict_b64decode,
                                                  to_raw_format)
from swift.common.middleware.slo.segments import (ListingError, Piece, RateLimiter,
                                                  SegmentedIterable, SloError)

MAX_RECURSION_DEPTH = 10       # Swift's max_slo_recursion_depth
SUB_MANIFEST_CACHE_MAX = 20    # sub-manifests kept while expanding ranges (Swift's)
MANIFEST_READ_MAX_BYTES = 64 * 1024 * 1024   # a stored manifest bigger than this is bad


def append_csv_header(req: Request, name: str, value: str) -> None:
    """Add ``value`` to the comma-separated header ``name`` of ``req``."""
    existing = req.headers.get(name)
    req.headers[name] = '%s,%s' % (existing, value) if existing else value


def token_headers(req: Request) -> dict:
    """The client's token for a subrequest made on its behalf."""
    return {'X-Auth-Token': req.headers.get('X-Auth-Token')}


def _header(headers, name):
    lowered = name.lower()
    for key, value in headers:
        if key.lower() == lowered:
            return value
    return None


def _replace_headers(headers, replacements, drop=()):
    """A new header list: ``replacements`` (lower name -> (name, value)) replace the
    matching headers (appended if absent), ``drop`` names are removed."""
    out, done = [], set()
    for key, value in headers:
        lowered = key.lower()
        if lowered in drop:
            continue
        if lowered in replacements:
            out.append(replacements[lowered])
            done.add(lowered)
        else:
            out.append((key, value))
    out.extend(pair for lowered, pair in replacements.items() if lowered not in done)
    return out


class SloGetContext:
    """One GET or HEAD through the slo filter.

    :param slo: the StaticLargeObject middleware (app, config, logger, clock).
    :param req: the client's Request.
    """

    def __init__(self, slo, req):
        self.slo = slo
        self.req = req
        self.version, self.account, _rest = req.split_path(3, 3, True)

    def handle(self, start_response):
        """Answer the request (WSGI iterable)."""
        req = self.req
        manifest_get = req.params.get('multipart-manifest') == 'get'
        if not manifest_get:
            append_csv_header(req, 'X-Backend-Etag-Is-At', SYSMETA_SLO_ETAG)
            append_csv_header(req, 'X-Backend-Ignore-Range-If-Metadata-Present',
                              'X-Static-Large-Object')
        range_header = req.headers.get('Range')
        status, headers, body = req.call_application(self.slo.app)
        req.headers['Range'] = range_header   # ours to apply, whatever happened below
        if not config_true_value(_header(headers, 'X-Static-Large-Object')):
            start_response(status, headers)
            return body
        if manifest_get:
            return self._manifest_itself(status, headers, body, start_response)
        slo_etag = _header(headers, SYSMETA_SLO_ETAG)
        slo_size = _header(headers, SYSMETA_SLO_SIZE)
        conditional = status.startswith(('304', '412')) and (
            req.if_match or req.if_none_match)
        if slo_etag and slo_size is not None and (req.method == 'HEAD' or conditional):
            if status.startswith('206'):
                # a HEAD ranged over the manifest: range the whole object instead
                status = '200 OK'
                headers = _replace_headers(headers, {}, drop=('content-range',))
            resp = Response(status=status, headers=dict(headers), app_iter=body,
                            request=req, conditional_response=True)
            resp.headers['X-Manifest-Etag'] = _header(headers, 'Etag')
            resp.headers['Etag'] = '"%s"' % slo_etag
            resp.headers['Content-Length'] = slo_size
            return resp(req.environ, start_response)
        if not status.startswith('200') or req.method == 'HEAD':
            close_if_possible(body)
            status, headers, body = self._refetch_manifest()
            if not status.startswith('200') or not config_true_value(
                    _header(headers, 'X-Static-Large-Object')):
                start_response(status, headers)
                return body
        return self._large_object_response(headers, body)(req.environ, start_response)

    def _refetch_manifest(self):
        sub = make_subrequest(self.req.environ, method='GET',
                              path=self.req.path_info,
                              headers=token_headers(self.req),
                              agent='%(orig)s SLO MultipartGET', swift_source='SLO',
                              query_string='multipart-manifest=get')
        return sub.call_application(self.slo.app)

    def _manifest_itself(self, status, headers, body, start_response):
        if self.req.params.get('format') == 'raw' and self.req.method == 'GET' \
                and status.startswith('200'):
            try:
                data = to_raw_format(load_manifest(_read_all(body)))
            except ValueError:
                error = HTTPServerError(request=self.req,
                                        body=b'Unable to load SLO manifest')
                return error(self.req.environ, start_response)
            headers = _replace_headers(headers, {
                'content-length': ('Content-Length', str(len(data))),
                'etag': ('Etag', _md5_hex(data))})
            start_response(status, headers)
            return [data]
        if self.req.params.get('format') != 'raw':
            headers = _replace_headers(headers, {
                'content-type': ('Content-Type', 'application/json; charset=utf-8')})
        start_response(status, headers)
        return body

    def _large_object_response(self, headers, body):
        req = self.req
        try:
            segments = load_manifest(_read_all(body))
            slo_etag = _header(headers, SYSMETA_SLO_ETAG) or slo_etag_of(segments)
            size = _header(headers, SYSMETA_SLO_SIZE)
            size = int(size) if size is not None else sum(
                segment_length(seg) for seg in segments)
        except (ValueError, KeyError, TypeError, AttributeError):
            # not a list of entries as this middleware writes them
            self.slo.logger.error('Unable to load SLO manifest %s', req.path)
            return HTTPServerError(request=req, body=b'Unable to load SLO manifest')
        resp_headers = dict(_replace_headers(headers, {
            'etag': ('Etag', '"%s"' % slo_etag),
            'content-length': ('Content-Length', str(size))}))
        resp_headers['X-Manifest-Etag'] = _header(headers, 'Etag')
        if req.method == 'HEAD':
            return Response(status=200, headers=resp_headers, request=req,
                            conditional_response=True)
        byteranges = [(0, size - 1)]
        if req.range is not None:
            ranges = req.range.ranges_for_length(size)
            if ranges is not None:
                byteranges = [(start, stop - 1) for start, stop in ranges]
        config = self.slo.config
        seg_iter = SegmentedIterable(
            req, self.slo.app, self._pieces(segments, byteranges),
            logger=self.slo.logger, clock=self.slo.clock,
            max_get_time_s=config.max_get_time,
            rate_limiter=RateLimiter(self.slo.clock, config.rate_limit_segments_per_sec,
                                     config.rate_limit_after_segment,
                                     config.rate_limit_under_size))
        if byteranges and size:
            try:
                seg_iter.validate_first_segment()
            except SloError as err:
                return status_map[err.status_hint](request=req)
        return Response(status=200, headers=resp_headers, request=req,
                        app_iter=seg_iter, conditional_response=True)

    # -- which bytes of which segments
    def _pieces(self, segments, byteranges):
        cache = collections.OrderedDict()
        try:
            for first, last in byteranges:
                yield from self._range_pieces(segments, first, last, cache, 1)
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise ListingError('While processing manifest %s, a bad manifest entry: '
                               '%r' % (self.req.path, err))

    def _range_pieces(self, segments, first_byte, last_byte, cache, depth):
        for seg in segments:
            seg_length = segment_length(seg)
            if first_byte >= seg_length:
                first_byte -= seg_length
                last_byte -= seg_length
                continue
            if last_byte < 0:
                return
            if 'data' in seg:
                data = strict_b64decode(seg['data'])
                start, end = max(0, first_byte), min(seg_length - 1, last_byte)
                yield Piece(None, None, seg_length, start, end, data[start:end + 1])
            else:
                yield from self._object_pieces(seg, seg_length, first_byte, last_byte,
                                               cache, depth)
            first_byte -= seg_length
            last_byte -= seg_length

    def _object_pieces(self, seg, seg_length, first_byte, last_byte, cache, depth):
        if seg.get('range'):
            range_start, range_end = (int(x) for x in seg['range'].split('-'))
        else:
            range_start, range_end = 0, seg_length - 1
        first = range_start + max(0, first_byte)
        last = min(range_end, range_start + last_byte)
        if config_true_value(seg.get('sub_slo')):
            if depth >= MAX_RECURSION_DEPTH:
                raise ListingError('While processing manifest %r, max recursion depth '
                                   'was exceeded' % self.req.path)
            sub_segments = self._sub_manifest(seg['name'], cache)
            yield from self._range_pieces(sub_segments, first, last, cache, depth + 1)
            return
        path = '/%s/%s/%s' % (self.version, self.account,
                              str_to_wsgi(seg['name'].lstrip('/')))
        yield Piece(path, seg.get('hash'), int(seg['bytes']), first, last, None)

    def _sub_manifest(self, name, cache):
        if name in cache:
            cache.move_to_end(name)
            return cache[name]
        path = '/%s/%s/%s' % (self.version, self.account, str_to_wsgi(name.lstrip('/')))
        sub = make_subrequest(self.req.environ, method='GET', path=path,
                              headers=token_headers(self.req),
                              agent='%(orig)s SLO MultipartGET', swift_source='SLO',
                              query_string='multipart-manifest=get')
        resp = sub.get_response(self.slo.app)
        if not resp.is_success or not config_true_value(
                resp.headers.get('X-Static-Large-Object')):
            close_if_possible(resp.app_iter)
            raise ListingError('while fetching %s, GET of submanifest %s failed with '
                               'status %d (%s)' % (self.req.path, path, resp.status_int,
                                                   resp.body[:60]))
        try:
            segments = load_manifest(resp.body)
        except ValueError as err:
            raise ListingError('while fetching %s, JSON-decoding of submanifest %s '
                               'failed with %s' % (self.req.path, path, err))
        cache[name] = segments
        if len(cache) > SUB_MANIFEST_CACHE_MAX:
            cache.popitem(last=False)
        return segments


def _read_all(body):
    """Join a WSGI body (bounded) and close it.

    :raises ValueError: bigger than MANIFEST_READ_MAX_BYTES.
    """
    chunks, total = [], 0
    try:
        for chunk in body:
            total += len(chunk)
            if total > MANIFEST_READ_MAX_BYTES:
                raise ValueError('manifest too large')
            chunks.append(chunk)
    finally:
        close_if_possible(body)
    return b''.join(chunks)


def _md5_hex(data):
    return hashlib.md5(data).hexdigest()
