# ``PUT ?multipart-manifest=put`` (Swift's handle_multipart_put):
# - the body (at most max_manifest_size bytes, else 413 ``Manifest File > N bytes``;
#   no length and not chunked -> 411) is a client manifest (manifest.py); more than
#   max_manifest_segments object segments -> 413;
# - every distinct segment path is HEADed through the slo filter itself (so a nested
#   SLO reports its whole size and SLO etag), ``concurrency`` at a time, with the
#   client's identity; a missing/forbidden segment, a size or etag mismatch, an
#   unsatisfiable range or an empty non-final segment is a problem; problems give 400
#   with a bulk-style report (``Errors:`` list, in the Accept format);
# - the client's Etag, if any, must equal the SLO etag, else 422;
# - the stored manifest (manifest.py) is PUT with ``X-Static-Large-Object: True``,
#   sysmeta Slo-Etag/Slo-Size, its own md5 as Etag, Content-Type
#   ``<type>;swift_bytes=<total>`` (listings show the total size) and the container
#   update override etag ``<manifest md5>; slo_etag=<slo etag>``; a success answer
#   carries ``Etag: "<slo etag>"``;
# - ``?heartbeat=on``: 202 at once, a space every yield_frequency seconds while
#   segments are checked, then the report (Response Status, Etag, Last Modified...).
"""Creating static large object manifests."""

import datetime
import hashlib
import json
import mimetypes
import urllib.parse

from swift.common import concurrency
from swift.common.config import config_true_value
from swift.common.middleware.bulk import ACCEPTABLE_FORMATS, get_response_body
from swift.common.middleware.slo.get import token_headers
from swift.common.middleware.slo.manifest import (OVERRIDE_ETAG, SYSMETA_SLO_ETAG,
                                                  SYSMETA_SLO_SIZE, slo_etag_of,
                                                  parse_and_validate_input,
                                                  strict_b64decode)
from swift.common.request_helpers import make_subrequest
from swift.common.swob import (HTTPBadRequest, HTTPException, HTTPLengthRequired,
                               HTTPMethodNotAllowed, HTTPRequestEntityTooLarge,
                               HTTPRequestTimeout,
                               HTTPUnprocessableEntity, Request, Response,
                               normalize_etag,
                               parse_http_date, str_to_wsgi, wsgi_to_str)



def out_content_type_of(req: Request) -> str:
    """The report format the client accepts (text/plain by default)."""
    try:
        return req.accept.best_match(ACCEPTABLE_FORMATS) or 'text/plain'
    except ValueError:
        return 'text/plain'   # an invalid Accept header is ignored, as in Swift


def last_modified_text(resp: Response) -> str:
    """Last-Modified of a segment answer as ``YYYY-MM-DDTHH:MM:SS.ffffff`` (UTC)."""
    seconds = parse_http_date(resp.headers.get('Last-Modified'))
    if seconds is None:
        when = datetime.datetime.now(datetime.timezone.utc)
    else:
        when = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return when.strftime('%Y-%m-%dT%H:%M:%S.%f')


class ManifestPut:
    """One manifest PUT (see module doc).

    :param slo: the StaticLargeObject middleware.
    :param req: the client's Request.
    """

    def __init__(self, slo, req):
        self.slo = slo
        self.req = req
        self.version, self.account, _c, _o = req.split_path(4, 4, True)
        self.out_content_type = out_content_type_of(req)
        self.problems = []

    def handle(self, start_response):
        """Answer the request (WSGI iterable)."""
        req = self.req
        try:
            parsed = self._read_and_parse()
        except HTTPException as err:
            return err(req.environ, start_response)
        if config_true_value(req.params.get('heartbeat')):
            req.environ['eventlet.minimum_write_chunk_size'] = 0
            start_response('202 Accepted', [('Content-Type', self.out_content_type)])
            return self._heartbeat_iter(parsed)
        try:
            steps = self._store(parsed)
            while True:
                next(steps)
        except StopIteration as done:
            resp = done.value
        except HTTPException as err:
            resp = err
        return resp(req.environ, start_response)

    def _read_and_parse(self):
        req = self.req
        config = self.slo.config
        if req.headers.get('X-Copy-From'):
            raise HTTPMethodNotAllowed(request=req, body=b'Multipart Manifest PUTs '
                                       b'cannot be COPY requests')
        length = req.message_length()
        if length is None and 'chunked' not in req.headers.get(
                'Transfer-Encoding', '').lower():
            raise HTTPLengthRequired(request=req)
        too_large = HTTPRequestEntityTooLarge(
            request=req, body=('Manifest File > %d bytes' % config.max_manifest_size
                               ).encode())
        if length is not None and length > config.max_manifest_size:
            raise too_large
        try:
            body = req.body_file.read(config.max_manifest_size + 1)
        except (OSError, ValueError) as err:   # client_timeout passed, or reset
            raise HTTPRequestTimeout(request=req, body=(
                'Client read error: %s' % (err or type(err).__name__)).encode())
        if len(body) > config.max_manifest_size:
            raise too_large
        try:
            parsed = parse_and_validate_input(body, wsgi_to_str(req.path))
        except HTTPException as err:
            err.request = req
            raise
        if sum(1 for seg in parsed if 'data' not in seg) > config.max_manifest_segments:
            raise HTTPRequestEntityTooLarge(
                request=req, body=('Number of object-backed segments must be <= %d'
                                   % config.max_manifest_segments).encode())
        return parsed

    # -- segment checks
    def _head(self, seg_path):
        path = '/%s/%s/%s' % (self.version, self.account,
                              str_to_wsgi(seg_path.lstrip('/')))
        sub = make_subrequest(self.req.environ, method='HEAD', path=path,
                              headers=token_headers(self.req),
                              agent='%(orig)s SLO MultipartPUT', swift_source='SLO')
        resp = sub.get_response(self.slo)
        resp.body   # nothing for a HEAD, but releases the answer
        return seg_path, resp

    def _heads(self, paths):
        """(path, HEAD response) for each path, ``concurrency`` at a time."""
        width = self.slo.config.concurrency
        for index in range(0, len(paths), width):
            pile = concurrency.GreenPile(width)
            for path in paths[index:index + width]:
                pile.spawn(self._head, path)
            yield from pile

    def _validate(self, seg_dict, resp, allow_empty):
        """(bytes this entry adds to the object, stored-form entry or None)."""
        name = seg_dict['path']
        if not resp.is_success:
            self.problems.append([urllib.parse.quote(name), resp.status])
            return 0, None
        length = resp.content_length or 0
        if seg_dict.get('range'):
            ranges = seg_dict['range'].ranges_for_length(resp.content_length) or []
            if len(ranges) != 1:
                self.problems.append([urllib.parse.quote(name), 'Unsatisfiable Range'])
            elif ranges == [(0, resp.content_length)]:
                del seg_dict['range']   # the whole object: not a range after all
            else:
                seg_dict['range'] = '%d-%d' % (ranges[0][0], ranges[0][1] - 1)
                length = ranges[0][1] - ranges[0][0]
        if length < 1 and not allow_empty:
            self.problems.append([urllib.parse.quote(name),
                                  'Too small; each segment must be at least 1 byte.'])
        if seg_dict.get('size_bytes') is not None and \
                seg_dict['size_bytes'] != resp.content_length:
            self.problems.append([urllib.parse.quote(name), 'Size Mismatch'])
        if seg_dict.get('etag') is not None and \
                normalize_etag(seg_dict['etag']) != resp.etag:
            self.problems.append([urllib.parse.quote(name), 'Etag Mismatch'])
        stored = {'name': '/' + name.lstrip('/'), 'bytes': resp.content_length,
                  'hash': resp.etag, 'content_type': resp.content_type,
                  'last_modified': last_modified_text(resp)}
        if isinstance(seg_dict.get('range'), str):
            stored['range'] = seg_dict['range']
        if config_true_value(resp.headers.get('X-Static-Large-Object')):
            stored['sub_slo'] = True
        return length, stored

    def _store(self, parsed):
        """Generator: yields None after each batch of HEADs (heartbeat chances) and
        returns the final Response.

        :raises HTTPException: 400 with the problems report, 422 on an Etag mismatch.
        """
        req = self.req
        stored = [None] * len(parsed)
        total_size = 0
        path_indices = {}
        for index, seg_dict in enumerate(parsed):
            if 'data' in seg_dict:
                stored[index] = seg_dict
                total_size += len(strict_b64decode(seg_dict['data']))
            else:
                path_indices.setdefault(seg_dict['path'], []).append(index)
        for path, resp in self._heads(list(path_indices)):
            for index in path_indices[path]:
                length, stored[index] = self._validate(
                    parsed[index], resp, allow_empty=(index == len(parsed) - 1))
                total_size += length
            yield None
        # a middleware left of us may check or change what is stored (Swift's hook)
        hook = req.environ.get('swift.callback.slo_manifest_hook')
        if hook:
            self.problems.extend(hook(stored) or [])
        if self.problems:
            raise HTTPBadRequest(request=req, content_type=self.out_content_type,
                                 body=get_response_body(self.out_content_type, {},
                                                        self.problems, 'upload'))
        slo_etag = slo_etag_of(stored)
        client_etag = normalize_etag(req.headers.get('Etag'))
        if client_etag and client_etag != slo_etag:
            raise HTTPUnprocessableEntity(request=req)
        self._prepare_manifest_put(stored, slo_etag, total_size)
        resp = req.get_response(self.slo.app)
        if resp.is_success:
            resp.headers['Etag'] = '"%s"' % slo_etag
        return resp

    def _prepare_manifest_put(self, stored, slo_etag, total_size):
        req = self.req
        data = json.dumps(stored).encode('utf-8')
        req.body = data
        manifest_etag = hashlib.md5(data).hexdigest()
        req.headers[SYSMETA_SLO_ETAG] = slo_etag
        req.headers[SYSMETA_SLO_SIZE] = str(total_size)
        req.headers['X-Static-Large-Object'] = 'True'
        req.headers['Etag'] = manifest_etag
        # listings show both etags; a middleware left of us may have set the base
        value, sep, params = req.headers.get(OVERRIDE_ETAG, '').partition(';')
        req.headers[OVERRIDE_ETAG] = '%s; slo_etag=%s' % (
            (value or manifest_etag) + sep + params, slo_etag)
        if not req.environ.get('CONTENT_TYPE'):
            guessed, _encoding = mimetypes.guess_type(wsgi_to_str(req.path_info))
            req.environ['CONTENT_TYPE'] = guessed or 'application/octet-stream'
        req.environ['swift.content_type_overridden'] = True
        req.environ['CONTENT_TYPE'] += ';swift_bytes=%d' % total_size

    # -- heartbeat mode
    def _heartbeat_iter(self, parsed):
        clock = self.slo.clock
        last_yield = clock.time()
        yield b' '
        report = {}
        try:
            steps = self._store(parsed)
            while True:
                next(steps)
                if clock.time() - last_yield > self.slo.config.yield_frequency:
                    last_yield = clock.time()
                    yield b' '
        except StopIteration as done:
            resp = done.value
            report['Response Status'] = resp.status
            if resp.is_success:
                report['Etag'] = resp.headers['Etag']
                report['Last Modified'] = resp.headers.get('Last-Modified')
            report['Response Body'] = resp.body.decode('utf-8', 'replace')
        except HTTPException as err:
            report['Response Status'] = err.status
            report['Response Body'] = '' if self.problems else \
                err.body.decode('utf-8', 'replace')
        yield b'\r\n\r\n' + get_response_body(self.out_content_type, report,
                                              self.problems, 'upload')
