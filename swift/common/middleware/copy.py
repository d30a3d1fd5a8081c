# Server-side copy (Swift's copy middleware), done as two subrequests down the pipeline
# with the client's identity: GET the source, then PUT its body at the destination.
#   * ``COPY /v1/<a>/<c>/<o>`` with ``Destination: <c2>/<o2>`` (+ Destination-Account)
#     is rewritten into ``PUT /v1/<a2>/<c2>/<o2>`` with X-Copy-From (+ -Account);
#   * ``PUT`` with ``X-Copy-From: <c>/<o>`` (+ X-Copy-From-Account) copies; the PUT
#     must have no body (400 ``Copy requests require a zero byte body``);
#   * header values are URL-quoted paths; a malformed one -> 412 ``Destination header
#     must be of the form <container name>/<object name>`` (X-Copy-From alike); an empty
#     or slashed account name -> 412;
#   * any error answer of the source GET (404, 401/403...) is returned as it is;
#   * the copy keeps the source's user metadata and other headers, overridden by the
#     request's own; ``X-Fresh-Metadata: true`` keeps only sysmeta; Content-Type is
#     the source's unless the request gives one; the source ETag is sent so the copy is
#     verified (not for a 206 / large-object source);
#   * a success answer carries X-Copied-From, X-Copied-From-Account,
#     X-Copied-From-Last-Modified and the object's metadata;
#   * ``?multipart-manifest=get`` copies a manifest itself (SLO manifest PUT with
#     multipart-manifest=put, DLO keeps X-Object-Manifest).
# No /info section (Swift registers none for copy).
"""copy middleware."""

from swift.common.config import config_true_value
from swift.common.constraints import Constraints
from swift.common.http_status import is_success
from swift.common.logs import get_logger
from swift.common.request_helpers import (IterReader, close_if_possible,
                                          copy_header_subset, is_object_transient_sysmeta,
                                          is_sys_meta, is_sys_or_user_meta,
                                          make_subrequest)
from swift.common.swob import (HTTPBadRequest, HTTPException, HTTPPreconditionFailed,
                               HTTPRequestEntityTooLarge, Request, split_path,
                               wsgi_quote, wsgi_unquote)

# Source response headers that never become request headers of the copy: hop-by-hop
# and response-only ones, and those set below from the source on purpose.
NOT_COPIED = frozenset((
    'x-static-large-object', 'x-object-manifest', 'etag', 'content-type', 'x-timestamp',
    'content-length', 'content-range', 'transfer-encoding', 'connection', 'date',
    'last-modified', 'accept-ranges', 'x-trans-id', 'x-openstack-request-id',
    'x-copied-from', 'x-copied-from-account', 'x-copied-from-last-modified',
    'x-object-version-id', 'www-authenticate'))
CONTAINER_UPDATE_OVERRIDE_PREFIX = 'x-object-sysmeta-container-update-override-'


def check_path_header(req, name, length, error_msg):
    """Split the quoted path in header ``name`` into ``length`` segments.

    :returns: list of WSGI-str segments.
    :raises HTTPPreconditionFailed: (412, ``error_msg``) when it does not fit.
    """
    value = wsgi_unquote(req.headers.get(name))
    if not value.startswith('/'):
        value = '/' + value
    try:
        return split_path(value, length, length, True)
    except ValueError:
        raise HTTPPreconditionFailed(request=req, body=error_msg.encode('utf-8'))


def check_account_format(req, account):
    """Swift's rule for account names in headers.

    :raises HTTPPreconditionFailed: empty name or a name with '/'.
    """
    if not account:
        raise HTTPPreconditionFailed(request=req, body=b'Account name cannot be empty')
    if '/' in account:
        raise HTTPPreconditionFailed(request=req,
                                     body=b'Account name cannot contain slashes')
    return account


def check_copy_from_header(req):
    """(container, object) of X-Copy-From (412 when malformed)."""
    return check_path_header(req, 'X-Copy-From', 2,
                             'X-Copy-From header must be of the form '
                             '<container name>/<object name>')


def check_destination_header(req):
    """(container, object) of Destination (412 when malformed)."""
    return check_path_header(req, 'Destination', 2,
                             'Destination header must be of the form '
                             '<container name>/<object name>')


class ServerSideCopyMiddleware:
    """See the module doc.

    :param app: next WSGI app.
    :param conf: paste conf (``swift_dir`` for the max_file_size constraint).
    :param constraints: :class:`Constraints` (default from swift_dir).
    """

    def __init__(self, app, conf=None, *, logger=None, constraints=None):
        self.app = app
        conf = conf or {}
        self.logger = logger or get_logger(conf, log_route='copy')
        self.constraints = constraints or Constraints.from_swift_dir(
            conf.get('swift_dir', '/etc/swift'))

    def __call__(self, env, start_response):
        req = Request(env)
        parts = req.split_path_or_none(4, 4, True)
        if parts is None:
            return self.app(env, start_response)
        _version, account, container, obj = parts
        try:
            if req.method == 'PUT' and req.headers.get('X-Copy-From'):
                return self.handle_put(req, start_response)
            if req.method == 'COPY':
                req.environ['swift.orig_req_method'] = req.method
                return self.handle_copy(req, start_response, account, container, obj)
        except HTTPException as err:
            return err(env, start_response)
        return self.app(env, start_response)

    def handle_copy(self, req, start_response, account, container, obj):
        """Rewrite COPY + Destination into PUT + X-Copy-From and handle that."""
        if not req.headers.get('Destination'):
            raise HTTPPreconditionFailed(request=req, body=b'Destination header required')
        dest_account = account
        if 'Destination-Account' in req.headers:
            dest_account = check_account_format(
                req, wsgi_unquote(req.headers['Destination-Account']))
            req.headers['X-Copy-From-Account'] = wsgi_quote(account)
            del req.headers['Destination-Account']
        dest_container, dest_object = check_destination_header(req)
        version = req.split_path(1, 2, True)[0]
        req.method = 'PUT'
        req.path_info = '/%s/%s/%s/%s' % (version, dest_account, dest_container,
                                          dest_object)
        req.headers['Content-Length'] = '0'
        req.headers['X-Copy-From'] = wsgi_quote('/%s/%s' % (container, obj))
        del req.headers['Destination']
        return self.handle_put(req, start_response)

    def source_path(self, req):
        """``/v1/<a>/<c>/<o>`` (WSGI str) named by X-Copy-From(-Account)."""
        version, account, _rest = req.split_path(2, 3, True)
        source_account = req.headers.get('X-Copy-From-Account')
        if source_account:
            source_account = check_account_format(req, wsgi_unquote(source_account))
        else:
            source_account = account
        source_container, source_obj = check_copy_from_header(req)
        return '/%s/%s/%s/%s' % (version, source_account, source_container, source_obj)

    def get_source(self, req, source_path):
        """The source GET response (an error Response passes through as is)."""
        headers = {k: v for k, v in req.headers.items()
                   if not k.lower().startswith(('x-copy-from', 'content-length',
                                                'x-backend-storage-policy-index'))}
        headers['X-Newest'] = 'true'
        params = req.params
        query = ''
        if params.get('multipart-manifest') == 'get':
            query = 'multipart-manifest=get&format=raw'
        if params.get('symlink') == 'get':
            # copy a symlink itself, not its target (Swift passes the query along)
            query = '&'.join(q for q in (query, 'symlink=get') if q)
        source_req = make_subrequest(req.environ, method='GET', path=source_path,
                                     headers=headers, swift_source='SSC', agent=None,
                                     query_string=query)
        source_req.environ.pop('CONTENT_TYPE', None)
        source_resp = source_req.get_response(self.app)
        if source_resp.status_int >= 300:
            return source_resp
        length = source_resp.content_length
        if length is None or length > self.constraints.max_file_size:
            # a chunked source is a huge segmented object: Swift refuses to copy it
            close_if_possible(source_resp.app_iter)
            return HTTPRequestEntityTooLarge(request=req)
        return source_resp

    def handle_put(self, req, start_response):
        """PUT with X-Copy-From: GET the source then PUT it (see module doc)."""
        try:
            has_body = bool(req.content_length)
        except ValueError:
            has_body = True
        if has_body:
            raise HTTPBadRequest(request=req, content_type='text/plain',
                                 body=b'Copy requests require a zero byte body')
        source_path = self.source_path(req)
        source_resp = self.get_source(req, source_path)
        if source_resp.status_int >= 300:
            return source_resp(req.environ, start_response)
        sink_req = self.build_sink(req, source_resp)
        resp_headers = self.response_headers(source_path, source_resp, sink_req)
        reader = sink_req.environ['wsgi.input']
        try:
            put_resp = sink_req.get_response(self.app)
            if is_success(put_resp.status_int):
                # every byte was stored: run the source to its end so it finishes
                # normally (logged 200, not as a client disconnect)
                reader.read()
        finally:
            close_if_possible(source_resp.app_iter)
        if is_success(put_resp.status_int):
            put_resp.headers.update(resp_headers)
        return put_resp(req.environ, start_response)

    def build_sink(self, req, source_resp):
        """The destination PUT: the client's request with the source's body,
        metadata and content type (sharing the client's environ)."""
        sink_req = Request(req.environ)
        original_headers = dict(req.headers.items())
        if config_true_value(req.headers.get('X-Fresh-Metadata', 'false')):
            # the client's own headers stay (shared environ); of the source's only
            # sysmeta is kept, the client's sysmeta winning
            copy_header_subset(source_resp, sink_req,
                               lambda k: is_sys_meta('object', k))
            sink_req.headers.update({k: v for k, v in original_headers.items()
                                     if is_sys_meta('object', k)})
        else:
            copy_header_subset(source_resp, sink_req, lambda k: (
                k.lower() not in NOT_COPIED and not k.lower().startswith('x-backend-')))
            sink_req.headers.update(original_headers)
        self._fix_params(sink_req, source_resp, req)
        sink_req.environ['swift.source'] = 'SSC'
        sink_req.environ['wsgi.input'] = IterReader(source_resp.app_iter)
        sink_req.environ.pop('HTTP_TRANSFER_ENCODING', None)
        sink_req.content_length = source_resp.content_length
        if (source_resp.status_int == 200
                and 'X-Static-Large-Object' not in source_resp.headers
                and ('X-Object-Manifest' not in source_resp.headers
                     or req.params.get('multipart-manifest') == 'get')):
            # copying the etag makes the object servers verify the copied bytes
            sink_req.headers['Etag'] = source_resp.etag
        else:
            sink_req.headers.pop('Etag', None)
            for key in [k for k in sink_req.headers.keys()
                        if k.lower().startswith(CONTAINER_UPDATE_OVERRIDE_PREFIX)]:
                del sink_req.headers[key]
        sink_req.headers.pop('X-Copy-From', None)
        sink_req.headers.pop('X-Copy-From-Account', None)
        if not req.headers.get('Content-Type') and \
                source_resp.headers.get('Content-Type'):
            sink_req.headers['Content-Type'] = source_resp.headers['Content-Type']
        return sink_req

    @staticmethod
    def _fix_params(sink_req, source_resp, req):
        params = sink_req.params
        updated = False
        if params.get('multipart-manifest') == 'get':
            if 'X-Static-Large-Object' in source_resp.headers:
                params['multipart-manifest'] = 'put'
            if 'X-Object-Manifest' in source_resp.headers:
                del params['multipart-manifest']
                sink_req.headers['X-Object-Manifest'] = \
                    source_resp.headers['X-Object-Manifest']
            updated = True
        if 'version-id' in params:
            del params['version-id']
            updated = True
        if updated:
            sink_req.params = params

    @staticmethod
    def response_headers(source_path, source_resp, sink_req):
        """Headers a successful copy answer carries (Swift's _create_response_headers)."""
        account, path = source_path.split('/', 3)[2:4]
        headers = {'X-Copied-From-Account': wsgi_quote(account),
                   'X-Copied-From': wsgi_quote(path)}
        if 'Last-Modified' in source_resp.headers:
            headers['X-Copied-From-Last-Modified'] = source_resp.headers['Last-Modified']
        if 'X-Object-Version-Id' in source_resp.headers:
            headers['X-Copied-From-Version-Id'] = source_resp.headers['X-Object-Version-Id']
        for key, value in sink_req.headers.items():
            if is_sys_or_user_meta('object', key) or is_object_transient_sysmeta(key) \
                    or key.lower() == 'x-delete-at':
                headers[key] = value
        return headers


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#copy``)."""
    conf = dict(global_conf)
    conf.update(local_conf)
    return lambda app: ServerSideCopyMiddleware(app, conf)
