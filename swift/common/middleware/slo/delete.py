# ``DELETE ?multipart-manifest=delete`` (Swift's handle_multipart_delete):
# - the manifest is read (GET ?multipart-manifest=get below the filter), its segments
#   are deleted (nested SLOs expanded, their own manifests deleted after their
#   segments), then the manifest itself, delete_concurrency at a time, with the
#   client's identity;
# - the answer is 200 with a bulk-delete report in the Accept format (Number Deleted,
#   Number Not Found, Response Status, Response Body, Errors); a missing manifest
#   counts as not found, a plain object gives ``Not an SLO manifest`` (400 inside);
# - ``&async=true`` (allowed by allow_async_delete): Swift queues the segments for the
#   expirer and answers 204; we delete them before answering, which a client cannot
#   tell apart except by the time taken.
"""Deleting static large objects with their segments."""

import json
import urllib.parse

from swift.common import concurrency
from swift.common.config import config_true_value
from swift.common.constraints import valid_utf8
from swift.common.middleware.bulk import Heartbeat, get_response_body, report_response
from swift.common.middleware.slo.get import append_csv_header, token_headers
from swift.common.request_helpers import close_if_possible, make_subrequest
from swift.common.swob import (HTTPBadGateway, HTTPBadRequest, HTTPException,
                               HTTPNoContent, HTTPNotAcceptable, HTTPNotFound, HTTPOk,
                               HTTPPreconditionFailed, HTTPServerError, HTTPUnauthorized,
                               Response, str_to_wsgi, wsgi_to_str)

MAX_FAILED_DELETES = 1000          # Swift's bulk default, also used by slo
BUFFERED_SEGMENTS_FACTOR = 10      # Swift: max_manifest_segments * 10 names buffered


class ManifestDelete:
    """One multipart-manifest DELETE (see module doc).

    :param slo: the StaticLargeObject middleware.
    :param req: the client's Request.
    """

    def __init__(self, slo, req):
        self.slo = slo
        self.req = req
        self.version, self.account, self.container, self.obj = req.split_path(4, 4, True)

    def handle(self, start_response):
        """Answer the request (WSGI iterable)."""
        req = self.req
        if config_true_value(req.params.get('async')) and \
                self.slo.config.allow_async_delete:
            return self._delete_now(start_response)
        resp, out_content_type = report_response(req)
        resp.app_iter = self.delete_iter(out_content_type)
        return resp(req.environ, start_response)

    def _delete_now(self, start_response):
        report = {}
        body = b''.join(self.delete_iter('application/json', report))
        status = report.get('Response Status', '500 Internal Server Error')
        if status.startswith('200'):
            resp = HTTPNoContent(request=self.req)
        else:
            resp = Response(request=self.req, status=status, body=body,
                            content_type='application/json')
        return resp(self.req.environ, start_response)

    # -- what to delete
    def get_slo_segments(self, name):
        """The stored entries of the manifest ``name`` (``/c/o``, native str).

        :raises HTTPException: 404 ``SLO manifest not found``, 400 ``Not an SLO
            manifest``, 401, 500 ``Unable to load SLO manifest...``.
        """
        path = '/%s/%s/%s' % (self.version, self.account, str_to_wsgi(name.lstrip('/')))
        sub = make_subrequest(self.req.environ, method='GET', path=path,
                              headers=dict(token_headers(self.req), Range='bytes=-1'),
                              agent='%(orig)s MultipartDELETE', swift_source='SLO',
                              query_string='multipart-manifest=get')
        # a plain object sends only its last byte; a manifest comes whole
        append_csv_header(sub, 'X-Backend-Ignore-Range-If-Metadata-Present',
                          'X-Static-Large-Object')
        resp = sub.get_response(self.slo.app)
        if resp.is_success:
            if config_true_value(resp.headers.get('X-Static-Large-Object')):
                try:
                    segments = json.loads(resp.body)
                except ValueError:
                    segments = None
                if not isinstance(segments, list):
                    raise HTTPServerError(body=b'Unable to load SLO manifest')
                return segments
            close_if_possible(resp.app_iter)
            raise HTTPBadRequest(body=b'Not an SLO manifest')
        close_if_possible(resp.app_iter)
        if resp.status_int == 404:
            raise HTTPNotFound(body=b'SLO manifest not found')
        if resp.status_int == 401:
            raise HTTPUnauthorized(body=b'401 Unauthorized')
        raise HTTPServerError(body=b'Unable to load SLO manifest or segment.')

    def segments_to_delete(self):
        """Generator of entries ``{'name': '/c/o'[, 'error': {'code', 'message'}]}``:
        segments first, each manifest after its own segments.

        :raises HTTPException: 412 invalid UTF-8 path, 400 too many buffered names.
        """
        if not valid_utf8(self.req.path_info):
            raise HTTPPreconditionFailed(request=self.req,
                                         body=b'Invalid UTF8 or contains NULL')
        pending = [{'sub_slo': True, 'name': '/%s/%s' % (wsgi_to_str(self.container),
                                                         wsgi_to_str(self.obj))}]
        limit = self.slo.config.max_manifest_segments * BUFFERED_SEGMENTS_FACTOR
        while pending:
            if len(pending) > limit:
                raise HTTPBadRequest(request=self.req,
                                     body=b'Too many buffered slo segments to delete.')
            seg = pending.pop(0)
            if 'data' in seg:
                continue
            if seg.get('sub_slo'):
                try:
                    pending.extend(self.get_slo_segments(seg['name']))
                except HTTPException as err:
                    seg['error'] = {'code': err.status_int,
                                    'message': err.body.decode('utf-8', 'replace')}
                seg['sub_slo'] = False
                pending.append(seg)
            else:
                yield seg

    # -- deleting
    def _delete_one(self, name):
        path = '/%s/%s/%s' % (self.version, self.account, str_to_wsgi(name.lstrip('/')))
        sub = make_subrequest(self.req.environ, method='DELETE', path=path,
                              headers=token_headers(self.req),
                              agent='%(orig)s MultipartDELETE', swift_source='SLO')
        resp = sub.get_response(self.slo.app)
        resp.body   # drain and close
        return name, resp

    def _results(self, entries, report, failed):
        """(name, response) of each deletable entry, delete_concurrency at a time;
        entries carrying an error are recorded directly."""
        width = self.slo.config.delete_concurrency
        batch = []
        for entry in entries:
            name = entry['name']
            if 'error' in entry:
                if entry['error']['code'] == 404:
                    report['Number Not Found'] += 1
                else:
                    failed.append([urllib.parse.quote(name), entry['error']['message']])
                continue
            batch.append(name)
            if len(batch) >= width:
                yield from self._run_batch(batch)
                batch = []
            if len(failed) >= MAX_FAILED_DELETES:
                return
        yield from self._run_batch(batch)

    def _run_batch(self, names):
        if not names:
            return
        pile = concurrency.GreenPile(len(names))
        for name in names:
            pile.spawn(self._delete_one, name)
        yield from pile

    def delete_iter(self, out_content_type, report=None):
        """Generator: keep-alive chunks, then the report (bulk-delete layout).

        :param report: dict filled with the report (for callers that need it).
        """
        heartbeat = Heartbeat(self.slo.clock, self.slo.config.yield_frequency,
                              out_content_type)
        report = report if report is not None else {}
        report.update({'Response Status': HTTPOk().status, 'Response Body': '',
                       'Number Deleted': 0, 'Number Not Found': 0})
        failed = []
        failure_type = HTTPBadRequest
        self.req.environ['eventlet.minimum_write_chunk_size'] = 0
        try:
            if not out_content_type:
                raise HTTPNotAcceptable(request=self.req)
            for name, resp in self._results(self.segments_to_delete(), report, failed):
                chunk = heartbeat.due()
                if chunk:
                    yield chunk
                if resp.is_success:
                    report['Number Deleted'] += 1
                elif resp.status_int == 404:
                    report['Number Not Found'] += 1
                elif resp.status_int == 401:
                    failed.append([urllib.parse.quote(name), HTTPUnauthorized().status])
                else:
                    if resp.status_int >= 500:
                        failure_type = HTTPBadGateway
                    failed.append([urllib.parse.quote(name), resp.status])
            if len(failed) >= MAX_FAILED_DELETES:
                raise HTTPBadRequest(request=self.req,
                                     body=b'Max delete failures exceeded')
            if failed:
                report['Response Status'] = failure_type().status
            elif not (report['Number Deleted'] or report['Number Not Found']):
                report['Response Status'] = HTTPBadRequest().status
                report['Response Body'] = 'Invalid bulk delete.'
        except HTTPException as err:
            report['Response Status'] = err.status
            report['Response Body'] = err.body.decode('utf-8', 'replace')
        except Exception:  # the funnel of a streamed answer: log, report 500
            self.slo.logger.exception('Error in multipart delete of %s', self.req.path)
            report['Response Status'] = HTTPServerError().status
        yield heartbeat.separator + get_response_body(out_content_type, report, failed,
                                                      'delete')
