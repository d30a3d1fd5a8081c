# Bulk operations (Swift's bulk middleware), both answered with 200 and a body that
# reports the outcome (the real status is inside, as "Response Status"):
#   * ``PUT /v1/<a>[/<c>[/<prefix>]]?extract-archive=tar|tar.gz|tar.bz2``: the body is a
#     tar archive read as a stream; each regular file becomes an object under the
#     path given (its first path part is the container when the URL has none),
#     containers are created as needed (at most max_containers_per_extraction), at
#     most max_failed_extractions failures; pax xattrs user.mime_type and
#     user.meta.* become Content-Type and X-Object-Meta-*; the request's
#     X-Delete-At/-After and X-Object-Meta-* apply to every object. Report keys:
#     Number Files Created, Response Status, Response Body, Errors.
#   * ``POST|DELETE /v1/<a>?bulk-delete``: a text/plain body of URL-quoted
#     ``<container>/<object>`` or ``<container>`` lines (objects are deleted before
#     containers), at most max_deletes_per_request lines and max_failed_deletes
#     failures. Report keys: Number Deleted, Number Not Found, Response Status,
#     Response Body, Errors.
#   * the report is in the Accept format (text/plain, application/json,
#     application/xml, text/xml; none acceptable -> 406 inside); while working, a
#     space (XML: the XML declaration first) is sent every yield_frequency seconds so
#     proxies keep the connection open.
# Every subrequest carries the client's token and identity. /info sections
# ``bulk_upload`` and ``bulk_delete``.
"""bulk middleware."""

import json
import tarfile
import zlib
from dataclasses import dataclass
from xml.sax import saxutils

from swift.common import concurrency
from swift.common.clock import REAL_CLOCK
from swift.common.config import ConfigError
from swift.common.constraints import Constraints, valid_utf8
from swift.common.logs import get_logger
from swift.common.request_helpers import is_user_meta, make_subrequest
from swift.common.swob import (HTTPBadGateway, HTTPBadRequest, HTTPCreated,
                               HTTPException, HTTPLengthRequired, HTTPNotAcceptable,
                               HTTPNotFound, HTTPOk, HTTPPreconditionFailed,
                               HTTPRequestEntityTooLarge, HTTPRequestTimeout,
                               HTTPServerError,
                               HTTPUnauthorized, bytes_to_wsgi, str_to_wsgi, wsgi_quote,
                               wsgi_unquote, wsgify)
from swift.proxy.controllers.info import register_swift_info

ACCEPTABLE_FORMATS = ['text/plain', 'application/json', 'application/xml', 'text/xml']
ARCHIVE_TYPES = {'tar': '', 'tar.gz': 'gz', 'tar.bz2': 'bz2'}
RETRY_INTERVAL_S = 1.5   # Swift's base for the 409 retry back-off (interval ** retry)


class CreateContainerError(Exception):
    """A container needed for extraction could not be created.

    :ivar status_int: HTTP status of the failed HEAD/PUT.
    :ivar status: its status line.
    """

    def __init__(self, message, status_int, status):
        super().__init__(message)
        self.status_int = status_int
        self.status = status


@dataclass(frozen=True)
class BulkConfig:
    """The bulk options (Swift's names and defaults)."""
    max_containers_per_extraction: int = 10000
    max_failed_extractions: int = 1000
    max_deletes_per_request: int = 10000
    max_failed_deletes: int = 1000
    yield_frequency: int = 10            # seconds between keep-alive spaces
    delete_concurrency: int = 2          # parallel DELETE subrequests (1..1000)
    delete_container_retry_count: int = 0

    @classmethod
    def from_conf(cls, conf):
        """Build from a paste conf dict.

        :raises ConfigError: naming a non-integer option.
        """
        values = {}
        for name, default in cls.__dataclass_fields__.items():
            try:
                values[name] = int(conf.get(name, default.default))
            except ValueError:
                raise ConfigError('%s must be an integer, got %r'
                                  % (name, conf.get(name)), option=name)
        values['delete_concurrency'] = min(1000, max(1, values['delete_concurrency']))
        return cls(**values)


def get_response_body(data_format, data_dict, error_list, root_tag):
    """The report body in ``data_format`` (Swift's layout).

    :param data_format: ``application/json``, ``*/xml`` or anything else (plain).
    :param data_dict: report keys and values.
    :param error_list: [[quoted name, status line], ...].
    :param root_tag: XML root element (``extract`` or ``delete``).
    :returns: bytes.
    """
    if data_format == 'application/json':
        data_dict['Errors'] = error_list
        return json.dumps(data_dict).encode('ascii')
    if data_format and data_format.endswith('/xml'):
        output = ['<', root_tag, '>\n']
        for key in sorted(data_dict):
            xml_key = key.replace(' ', '_').lower()
            output.extend(['<', xml_key, '>', saxutils.escape(str(data_dict[key])),
                           '</', xml_key, '>\n'])
        output.append('<errors>\n')
        for name, status in error_list:
            output.extend(['<object><name>', saxutils.escape(name), '</name><status>',
                           saxutils.escape(status), '</status></object>\n'])
        output.extend(['</errors>\n</', root_tag, '>\n'])
        return ''.join(output).encode('utf-8')
    output = ['%s: %s\n' % (key, data_dict[key]) for key in sorted(data_dict)]
    output.append('Errors:\n')
    output.extend('%s, %s\n' % (name, status) for name, status in error_list)
    return ''.join(output).encode('utf-8')


def pax_key_to_swift_header(pax_key):
    """Header for a pax extended-header key (user xattrs), or None to ignore it."""
    if pax_key in ('SCHILY.xattr.user.mime_type', 'LIBARCHIVE.xattr.user.mime_type'):
        return 'Content-Type'
    for prefix in ('SCHILY.xattr.user.meta.', 'LIBARCHIVE.xattr.user.meta.'):
        if pax_key.startswith(prefix):
            return str_to_wsgi('X-Object-Meta-' + pax_key[len(prefix):])
    return None


class Heartbeat:
    """Decides when to send a keep-alive chunk (every ``interval_s`` seconds)."""

    def __init__(self, clock, interval_s, out_content_type):
        self.clock = clock
        self.interval_s = interval_s
        self.last = clock.time()
        self.to_yield = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
                         if out_content_type and out_content_type.endswith('/xml')
                         else b' ')
        self.separator = b''

    def due(self):
        """The chunk to send now, or None."""
        now = self.clock.time()
        if self.last + self.interval_s >= now:
            return None
        self.last = now
        chunk = self.to_yield
        self.to_yield, self.separator = b' ', b'\r\n\r\n'
        return chunk


def report_response(req):
    """The 200 that carries a bulk report (also slo's manifest delete): its
    Content-Type is what ``req``'s Accept prefers among the report formats (an invalid
    Accept is ignored), its length unknown until the work is done.

    :returns: (swob Response, content type or None for plain text).
    """
    resp = HTTPOk(request=req)
    try:
        out_content_type = req.accept.best_match(ACCEPTABLE_FORMATS)
    except ValueError:
        out_content_type = None   # an invalid Accept header is ignored
    if out_content_type:
        resp.content_type = out_content_type
    resp.headers['Content-Length'] = None
    return resp, out_content_type


class Bulk:
    """See the module doc.

    :param app: next WSGI app.
    :param conf: :class:`BulkConfig` or paste conf dict.
    :param constraints: :class:`Constraints` (default from swift_dir).
    :param clock: :class:`swift.common.clock.Clock` (keep-alive timing, retry sleeps).
    """

    def __init__(self, app, conf, *, logger=None, constraints=None, clock=None):
        self.app = app
        raw = conf if isinstance(conf, dict) else {}
        self.config = conf if isinstance(conf, BulkConfig) else BulkConfig.from_conf(conf)
        self.logger = logger or get_logger(raw, log_route='bulk')
        self.constraints = constraints or Constraints.from_swift_dir(
            raw.get('swift_dir', '/etc/swift'))
        self.clock = clock or REAL_CLOCK
        self.max_path_length = (self.constraints.max_object_name_length
                                + self.constraints.max_container_name_length + 2)
        register_swift_info(
            app, 'bulk_upload',
            max_containers_per_extraction=self.config.max_containers_per_extraction,
            max_failed_extractions=self.config.max_failed_extractions)
        register_swift_info(
            app, 'bulk_delete', max_deletes_per_request=self.config.max_deletes_per_request,
            max_failed_deletes=self.config.max_failed_deletes)

    # -- entry
    @wsgify
    def __call__(self, req):
        resp = None
        extract_type = req.params.get('extract-archive')
        if extract_type is not None and req.method == 'PUT':
            archive_type = ARCHIVE_TYPES.get(extract_type.lower().strip('.'))
            if archive_type is None:
                return HTTPBadRequest(request=req, body=b'Unsupported archive format')
            resp, out_content_type = report_response(req)
            resp.app_iter = self.handle_extract_iter(req, archive_type, out_content_type)
        if 'bulk-delete' in req.params and req.method in ('POST', 'DELETE'):
            resp, out_content_type = report_response(req)
            resp.app_iter = self.handle_delete_iter(req, out_content_type=out_content_type)
        if resp is None:
            return _PassThrough(self.app)
        return resp


    # -- subrequests
    def _subrequest(self, req, method, path, headers=None, agent='%(orig)s BulkExpand',
                    swift_source='EA'):
        all_headers = {'X-Auth-Token': req.headers.get('X-Auth-Token')}
        all_headers.update(headers or {})
        return make_subrequest(req.environ, method=method, path=path,
                               headers=all_headers, agent=agent, swift_source=swift_source)

    def create_container(self, req, container_path):
        """Create the container at ``container_path`` (WSGI str) unless it exists.

        :returns: True when created, False when it existed.
        :raises CreateContainerError: when neither HEAD nor PUT succeeded.
        """
        resp = self._subrequest(req, 'HEAD', container_path).get_response(self.app)
        if resp.is_success:
            return False
        if resp.status_int == 404:
            resp = self._subrequest(req, 'PUT', container_path).get_response(self.app)
            if resp.is_success:
                return True
        raise CreateContainerError('Create Container Failed: ' + container_path,
                                   resp.status_int, resp.status)

    # -- bulk delete
    def get_objs_to_delete(self, req):
        """The names (WSGI strs, unquoted) listed in the request body.

        :raises HTTPException: 411 without length, 413 over max_deletes_per_request,
            400 for a line longer than the longest valid path.
        """
        if req.content_length is None and \
                req.headers.get('Transfer-Encoding', '').lower() != 'chunked':
            raise HTTPLengthRequired(request=req)
        names = []
        line = b''
        data_remaining = True
        while data_remaining:
            if b'\n' in line:
                name, line = line.split(b'\n', 1)
                names.append(wsgi_unquote(bytes_to_wsgi(name.strip())))
            else:
                try:
                    data = req.body_file.read(self.max_path_length)
                except (OSError, ValueError) as err:   # client_timeout, or reset
                    raise HTTPRequestTimeout(request=req, body=(
                        'Client read error: %s' % (err or type(err).__name__)).encode())
                if data:
                    line += data
                else:
                    data_remaining = False
                    if line.strip():
                        names.append(wsgi_unquote(bytes_to_wsgi(line.strip())))
            if len(names) > self.config.max_deletes_per_request:
                raise HTTPRequestEntityTooLarge(
                    request=req, body=('Maximum Bulk Deletes: %d per request'
                                       % self.config.max_deletes_per_request).encode())
            if len(line) > self.max_path_length * 2:
                raise HTTPBadRequest(request=req, body=b'Invalid File Name')
        return names

    def _delete_one(self, req, name, delete_path, user_agent):
        """DELETE one path; 409 (container not yet empty) is retried with back-off."""
        retry = 0
        while True:
            sub = self._subrequest(req, 'DELETE', delete_path,
                                   agent='%(orig)s ' + user_agent, swift_source='BD')
            resp = sub.get_response(self.app)
            resp.body   # drain and close the sub-response
            if resp.status_int != 409 or retry >= self.config.delete_container_retry_count:
                return name, resp
            retry += 1
            self.clock.sleep(RETRY_INTERVAL_S ** retry)

    def _run_deletes(self, req, targets, user_agent, failed_files):
        """(name, response) of each target, delete_concurrency at a time; stops
        starting new deletes once max_failed_deletes failures were seen (the ones in
        flight still finish and are reported, as in Swift)."""
        width = self.config.delete_concurrency
        targets = iter(targets)
        while len(failed_files) < self.config.max_failed_deletes:
            batch = [target for _i, target in zip(range(width), targets)]
            if not batch:
                return
            pile = concurrency.GreenPile(width)
            for name, path in batch:
                pile.spawn(self._delete_one, req, name, path, user_agent)
            yield from pile   # the caller records failures between items

    def _delete_targets(self, names, version, account, failed_files, objects):
        """(name, path) to delete: objects first pass, containers second pass."""
        for name in names:
            stripped = name.strip('/')
            if not stripped or ('/' in stripped) != objects:
                continue
            delete_path = '/'.join(['', version, account, name.lstrip('/')])
            if not valid_utf8(delete_path):
                failed_files.append([wsgi_quote(name), HTTPPreconditionFailed().status])
                continue
            yield name, delete_path

    def _process_delete(self, resp, name, report, failed_files, failure_type):
        if resp.status_int // 100 == 2:
            report['Number Deleted'] += 1
        elif resp.status_int == 404:
            report['Number Not Found'] += 1
        elif resp.status_int == 401:
            failed_files.append([wsgi_quote(name), HTTPUnauthorized().status])
        else:
            if resp.status_int // 100 == 5:
                failure_type[0] = HTTPBadGateway
            failed_files.append([wsgi_quote(name), resp.status])

    def handle_delete_iter(self, req, names=None, user_agent='BulkDelete',
                           out_content_type='text/plain'):
        """Generator: keep-alive chunks, then the bulk-delete report (module doc).

        :param names: WSGI-str names to delete (default: read from the body).
        """
        heartbeat = Heartbeat(self.clock, self.config.yield_frequency, out_content_type)
        failed_files = []
        report = {'Response Status': HTTPOk().status, 'Response Body': '',
                  'Number Deleted': 0, 'Number Not Found': 0}
        req.environ['eventlet.minimum_write_chunk_size'] = 0
        try:
            if not out_content_type:
                raise HTTPNotAcceptable(request=req)
            try:
                version, account, _rest = req.split_path(2, 3, True)
            except ValueError:
                raise HTTPNotFound(request=req)
            incoming = req.headers.get('Content-Type')
            if incoming and not incoming.startswith('text/plain'):
                raise HTTPNotAcceptable(request=req)   # only newline-separated names
            if names is None:
                names = self.get_objs_to_delete(req)
            failure_type = [HTTPBadRequest]
            for objects in (True, False):
                targets = self._delete_targets(names, version, account, failed_files,
                                               objects)
                for name, resp in self._run_deletes(req, targets, user_agent,
                                                    failed_files):
                    chunk = heartbeat.due()
                    if chunk:
                        yield chunk
                    self._process_delete(resp, name, report, failed_files, failure_type)
                if len(failed_files) >= self.config.max_failed_deletes:
                    raise HTTPBadRequest(request=req,
                                         body=b'Max delete failures exceeded')
            if failed_files:
                report['Response Status'] = failure_type[0]().status
            elif not (report['Number Deleted'] or report['Number Not Found']):
                report['Response Status'] = HTTPBadRequest().status
                report['Response Body'] = 'Invalid bulk delete.'
        except HTTPException as err:
            report['Response Status'] = err.status
            report['Response Body'] = err.body.decode('utf-8', 'replace')
        except Exception:  # the request funnel of a streamed answer
            self.logger.exception('Error in bulk delete.')
            report['Response Status'] = HTTPServerError().status
        yield heartbeat.separator + get_response_body(out_content_type, report,
                                                      failed_files, 'delete')

    # -- archive extraction
    def handle_extract_iter(self, req, compress_type, out_content_type='text/plain'):
        """Generator: keep-alive chunks, then the extraction report (module doc).

        :param compress_type: ``''``, ``'gz'`` or ``'bz2'``.
        """
        heartbeat = Heartbeat(self.clock, self.config.yield_frequency, out_content_type)
        report = {'Response Status': HTTPCreated().status, 'Response Body': '',
                  'Number Files Created': 0}
        failed_files = []
        req.environ['eventlet.minimum_write_chunk_size'] = 0
        try:
            if not out_content_type:
                raise HTTPNotAcceptable(request=req)
            if req.content_length is None and \
                    req.headers.get('Transfer-Encoding', '').lower() != 'chunked':
                raise HTTPLengthRequired(request=req)
            try:
                version, account, extract_base = req.split_path(2, 3, True)
            except ValueError:
                raise HTTPNotFound(request=req)
            extraction = _Extraction(self, req, version, account,
                                     (extract_base or '').rstrip('/'), failed_files,
                                     report)
            tar = tarfile.open(mode='r|' + compress_type, fileobj=req.body_file,
                               encoding='utf-8', errors='surrogateescape')
            while True:
                chunk = heartbeat.due()
                if chunk:
                    yield chunk
                tar_info = tar.next()
                if tar_info is None or \
                        len(failed_files) >= self.config.max_failed_extractions:
                    break
                if tar_info.isfile():
                    extraction.put_member(tar, tar_info)
            if failed_files:
                report['Response Status'] = extraction.failure_type().status
            elif not report['Number Files Created']:
                report['Response Status'] = HTTPBadRequest().status
                report['Response Body'] = 'Invalid Tar File: No Valid Files'
        except HTTPException as err:
            report['Response Status'] = err.status
            report['Response Body'] = err.body.decode('utf-8', 'replace')
        except (tarfile.TarError, zlib.error, EOFError, OSError) as tar_error:
            # OSError: bz2/gzip decoders report corrupt data that way
            report['Response Status'] = HTTPBadRequest().status
            report['Response Body'] = 'Invalid Tar File: %s' % tar_error
        except Exception:  # the request funnel of a streamed answer
            self.logger.exception('Error in extract archive.')
            report['Response Status'] = HTTPServerError().status
        yield heartbeat.separator + get_response_body(out_content_type, report,
                                                      failed_files, 'extract')


class _Extraction:
    """The state of one archive extraction: containers seen/created, failures."""

    def __init__(self, bulk, req, version, account, extract_base, failed_files, report):
        self.bulk = bulk
        self.req = req
        self.version = version
        self.account = account
        self.extract_base = extract_base
        self.failed_files = failed_files
        self.report = report
        self.containers_accessed = set()
        self.containers_created = 0
        self.failure_type = HTTPBadRequest

    def _fail(self, path, status):
        self.failed_files.append([wsgi_quote(path[:self.bulk.max_path_length]), status])

    def object_path(self, tar_info):
        """The member's ``<container>/<object>`` path (WSGI str), or None to skip."""
        path = bytes_to_wsgi(tar_info.name.encode('utf-8', 'surrogateescape'))
        if path.startswith('./'):
            path = path[2:]
        path = path.lstrip('/')
        if self.extract_base:
            path = self.extract_base + '/' + path
        if '/' not in path:
            return None   # files at the archive's top level are ignored
        return path

    def ensure_container(self, container):
        """Create ``container`` once per extraction.

        :returns: a [path, status] failure to report if the object PUT fails, or None.
        :raises HTTPException: 401 when not authorized, 400 past the container limit.
        """
        if container in self.containers_accessed:
            return None
        cont_path = '/'.join(['', self.version, self.account, container])
        try:
            if self.bulk.create_container(self.req, cont_path):
                self.containers_created += 1
                limit = self.bulk.config.max_containers_per_extraction
                if self.containers_created > limit:
                    raise HTTPBadRequest(request=self.req, body=(
                        'More than %d containers to create from tar.' % limit).encode())
        except CreateContainerError as err:
            # the object PUT may still succeed (e.g. through an ACL)
            if err.status_int == 401:
                raise HTTPUnauthorized(request=self.req)
            return [wsgi_quote(cont_path[:self.bulk.max_path_length]), err.status]
        return None

    def put_member(self, tar, tar_info):
        """PUT one regular file of the archive; records success or failure."""
        obj_path = self.object_path(tar_info)
        if obj_path is None:
            return
        destination = '/'.join(['', self.version, self.account, obj_path])
        container = obj_path.split('/', 1)[0]
        if not valid_utf8(destination):
            return self._fail(obj_path, HTTPPreconditionFailed().status)
        if tar_info.size > self.bulk.constraints.max_file_size:
            return self._fail(obj_path, HTTPRequestEntityTooLarge().status)
        container_failure = self.ensure_container(container)
        headers = {'Content-Length': str(tar_info.size)}
        for key, value in self.req.headers.items():
            if key.lower() in ('x-delete-at', 'x-delete-after') or \
                    is_user_meta('object', key):
                headers[key] = value
        sub = self.bulk._subrequest(self.req, 'PUT', destination, headers)
        sub.environ['wsgi.input'] = tar.extractfile(tar_info)
        sub.environ['CONTENT_LENGTH'] = str(tar_info.size)
        for pax_key, pax_value in tar_info.pax_headers.items():
            header = pax_key_to_swift_header(pax_key)
            if header:
                sub.headers[header] = str_to_wsgi(pax_value)
        resp = sub.get_response(self.bulk.app)
        resp.body   # drain and close the sub-response
        self.containers_accessed.add(container)
        if resp.is_success:
            self.report['Number Files Created'] += 1
            return
        if container_failure:
            self.failed_files.append(container_failure)
        if resp.status_int == 401:
            self._fail(obj_path, HTTPUnauthorized().status)
            raise HTTPUnauthorized(request=self.req)
        if resp.status_int // 100 == 5:
            self.failure_type = HTTPBadGateway
        self._fail(obj_path, resp.status)


class _PassThrough:
    """Lets :func:`wsgify` hand the request on to the next app unchanged."""

    request = True   # wsgify only sets .request on Responses without one

    def __init__(self, app):
        self.app = app

    def __call__(self, env, start_response):
        return self.app(env, start_response)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#bulk``)."""
    conf = dict(global_conf)
    conf.update(local_conf)
    BulkConfig.from_conf(conf)   # fail fast at load time on a bad option
    return lambda app: Bulk(app, conf)
