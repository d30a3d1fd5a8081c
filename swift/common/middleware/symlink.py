# Symbolic links between objects (Swift 2.38's symlink middleware; swift-catalog.md 6, 7).
#   * ``PUT /v1/a/c/link`` with ``X-Symlink-Target: <container>/<object>`` (URL-quoted,
#     no leading '/', else 412) and optionally ``X-Symlink-Target-Account`` creates a
#     zero-byte object (a body is 400 ``Symlink requests require a zero byte body``)
#     whose sysmeta X-Object-Sysmeta-Symlink-Target(-Account) names the target; a link
#     to itself is 400; Content-Type defaults to application/symlink;
#   * ``X-Symlink-Target-Etag`` makes a static link: the target is HEADed at once
#     (409 ``X-Symlink-Target does not exist`` / etag mismatch), and its etag and size
#     are kept in X-Object-Sysmeta-Symlink-Target-Etag/-Bytes; a ``;``, ``"`` or ``\``
#     in the etag is 400;
#   * the container listing learns about links through the container update override
#     etag ``<md5 of ''>; symlink_target=<c/o>[; symlink_target_etag=..;
#     symlink_target_bytes=..][; symlink_target_account=..]``; container GETs turn those
#     parameters back into ``symlink_path`` (``/v1/<account>/<c>/<o>``),
#     ``symlink_etag`` and ``symlink_bytes``;
#   * GET/HEAD follow links (at most symloop_max hops, default 2, else 409 ``Too many
#     levels of symbolic links, maximum allowed is N``) with the client's identity, and
#     answer the final object's response plus ``Content-Location`` (the last target);
#     a static link whose target changed is 409; ``?symlink=get`` answers the link
#     itself with X-Symlink-Target(-Account, -Etag, -Bytes) headers;
#   * POST applies to the link object, then answers 307 with ``Location`` of the target
#     (Swift: the client must POST to the target itself); X-Symlink-Target on POST is 400;
#   * DELETE and other requests treat a link as any object.
"""symlink middleware."""

import json
from dataclasses import dataclass
from typing import List, Optional, Tuple

from swift.common.config import config_true_value
from swift.common.header_key_dict import HeaderKeyDict
from swift.common.http_status import is_success
from swift.common.logs import get_logger
from swift.common.middleware.copy import check_account_format, check_path_header
from swift.common.request_helpers import close_if_possible, make_subrequest
from swift.common.swob import (HTTPBadRequest, HTTPConflict, HTTPException,
                               HTTPPreconditionFailed, HTTPTemporaryRedirect, Request,
                               normalize_etag, split_path, status_map, wsgi_quote,
                               wsgi_unquote)
from swift.proxy.controllers.info import register_swift_info

DEFAULT_SYMLOOP_MAX = 2
MD5_OF_EMPTY_STRING = 'd41d8cd98f00b204e9800998ecf8427e'

TGT_OBJ_SYMLINK_HDR = 'X-Symlink-Target'
TGT_ACCT_SYMLINK_HDR = 'X-Symlink-Target-Account'
TGT_ETAG_SYMLINK_HDR = 'X-Symlink-Target-Etag'
TGT_BYTES_SYMLINK_HDR = 'X-Symlink-Target-Bytes'
TGT_OBJ_SYSMETA_SYMLINK_HDR = 'X-Object-Sysmeta-Symlink-Target'
TGT_ACCT_SYSMETA_SYMLINK_HDR = 'X-Object-Sysmeta-Symlink-Target-Account'
TGT_ETAG_SYSMETA_SYMLINK_HDR = 'X-Object-Sysmeta-Symlink-Target-Etag'
TGT_BYTES_SYSMETA_SYMLINK_HDR = 'X-Object-Sysmeta-Symlink-Target-Bytes'
SYMLOOP_EXTEND = 'X-Object-Sysmeta-Symloop-Extend'
OVERRIDE_ETAG_HDR = 'X-Object-Sysmeta-Container-Update-Override-Etag'
IGNORE_RANGE_HDR = 'X-Backend-Ignore-Range-If-Metadata-Present'
TARGET_FORMAT_ERROR = ('X-Symlink-Target header must be of the form '
                       '<container name>/<object name>')
USER_TO_SYSMETA = ((TGT_OBJ_SYMLINK_HDR, TGT_OBJ_SYSMETA_SYMLINK_HDR),
                   (TGT_ACCT_SYMLINK_HDR, TGT_ACCT_SYSMETA_SYMLINK_HDR))
SYSMETA_TO_USER = USER_TO_SYSMETA + (
    (TGT_ETAG_SYMLINK_HDR, TGT_ETAG_SYSMETA_SYMLINK_HDR),
    (TGT_BYTES_SYMLINK_HDR, TGT_BYTES_SYSMETA_SYMLINK_HDR))


class LinkIterError(Exception):
    """More hops than symloop_max while following links.

    :ivar path: the last target path followed (quoted).
    """

    def __init__(self, path):
        super().__init__(path)
        self.path = path


def _text_error(error_class, body, req=None, headers=None):
    all_headers = {'Content-Type': 'text/plain'}
    all_headers.update(headers or {})
    return error_class(request=req, body=body.encode('utf-8'), headers=all_headers)


def validate_and_prep_request_headers(req: Request) -> Tuple[str, Optional[str]]:
    """Check a symlink PUT's X-Symlink-* headers and normalise them in place.

    :param req: the PUT Request (must carry X-Symlink-Target).
    :returns: (target path ``/v1/<a>/<c>/<o>`` as WSGI strs, normalised
        X-Symlink-Target-Etag or None).
    :raises HTTPPreconditionFailed: malformed target or account (412).
    :raises HTTPBadRequest: link to itself, or a bad etag (400).
    """
    if wsgi_unquote(req.headers[TGT_OBJ_SYMLINK_HDR]).startswith('/'):
        raise _text_error(HTTPPreconditionFailed, TARGET_FORMAT_ERROR, req)
    container, obj = check_path_header(req, TGT_OBJ_SYMLINK_HDR, 2, TARGET_FORMAT_ERROR)
    req.headers[TGT_OBJ_SYMLINK_HDR] = wsgi_quote('%s/%s' % (container, obj))
    account = None
    if TGT_ACCT_SYMLINK_HDR in req.headers:
        account = check_account_format(
            req, wsgi_unquote(req.headers[TGT_ACCT_SYMLINK_HDR]))
    _version, req_account, req_container, req_obj = req.split_path(4, 4, True)
    if account:
        req.headers[TGT_ACCT_SYMLINK_HDR] = wsgi_quote(account)
    else:
        account = req_account
    if (account, container, obj) == (req_account, req_container, req_obj):
        raise _text_error(HTTPBadRequest, 'Symlink cannot target itself', req)
    etag = normalize_etag(req.headers.get(TGT_ETAG_SYMLINK_HDR))
    if etag and any(char in etag for char in ';"\\'):
        # these would break the parameters of the listing's etag (see module doc)
        raise _text_error(HTTPBadRequest, 'Bad %s format' % TGT_ETAG_SYMLINK_HDR, req)
    if not (etag or req.headers.get('Content-Type')):
        req.headers['Content-Type'] = 'application/symlink'
    return '/v1/%s/%s/%s' % (account, container, obj), etag


def symlink_usermeta_to_sysmeta(headers: HeaderKeyDict) -> None:
    """Move X-Symlink-Target(-Account) to their sysmeta names (values kept quoted)."""
    for user_header, sysmeta_header in USER_TO_SYSMETA:
        if user_header in headers:
            headers[sysmeta_header] = headers.pop(user_header)


def symlink_sysmeta_to_usermeta(headers: HeaderKeyDict) -> None:
    """Move X-Object-Sysmeta-Symlink-Target(-Account, -Etag, -Bytes) to the client
    names X-Symlink-Target(-Account, -Etag, -Bytes)."""
    for user_header, sysmeta_header in SYSMETA_TO_USER:
        if sysmeta_header in headers:
            headers[user_header] = headers.pop(sysmeta_header)


def parse_header_params(value: str) -> Tuple[str, List[Tuple[str, str]]]:
    """``'v; k1=a; k2=b'`` -> ``('v', [('k1', 'a'), ('k2', 'b')])`` (order kept)."""
    main, *rest = value.split(';')
    params = []
    for item in rest:
        key, _, param = item.partition('=')
        if key.strip():
            params.append((key.strip().lower(), param.strip()))
    return main.strip(), params


def extract_symlink_listing_keys(item: dict, version: str, account: str) -> dict:
    """A container listing item with the symlink parameters of its ``hash`` turned
    into ``symlink_path`` / ``symlink_etag`` / ``symlink_bytes`` (other parameters,
    e.g. ``slo_etag``, stay in the hash as ``; k=v``).

    :param item: JSON dict of the listing (modified and returned).
    :param version: API version of the request (``v1``).
    :param account: quoted account of the request (the default target account).
    """
    if 'hash' not in item or ';' not in item['hash']:
        return item
    hash_value, params = parse_header_params(item['hash'])
    target = None
    for key, value in params:
        if key == 'symlink_target':
            target = value
        elif key == 'symlink_target_account':
            account = value
        elif key == 'symlink_target_etag':
            item['symlink_etag'] = value
        elif key == 'symlink_target_bytes':
            try:
                item['symlink_bytes'] = int(value)
            except ValueError:
                item['symlink_bytes'] = value
        else:
            hash_value += '; %s=%s' % (key, value)
    item['hash'] = hash_value
    if target:
        item['symlink_path'] = '/%s/%s/%s' % (version, account, target.lstrip('/'))
    return item


def inherited_override_etag(headers: HeaderKeyDict) -> str:
    """The listing etag a link PUT starts from: a given override etag (e.g. the
    target's ``slo_etag``, or a copied link's own) without symlink parameters, which
    the PUT sets afresh; else the md5 of an empty body."""
    value = headers.get(OVERRIDE_ETAG_HDR)
    if not value:
        return MD5_OF_EMPTY_STRING
    main, params = parse_header_params(value)
    return '; '.join([main] + ['%s=%s' % (key, param) for key, param in params
                               if not key.startswith('symlink_target')])


class Answer:
    """An app's answer held back: status line, HeaderKeyDict, body iterator."""

    def __init__(self, status, headers, app_iter):
        self.status = status
        self.headers = HeaderKeyDict(headers)
        self.app_iter = app_iter

    @property
    def status_int(self):
        return int(self.status.split(' ', 1)[0])

    def send(self, start_response):
        start_response(self.status, list(self.headers.items()))
        return self.app_iter


def call(app, req):
    """Run ``app`` on ``req``; returns an :class:`Answer`."""
    status, headers, app_iter = req.call_application(app)
    return Answer(status, headers, app_iter)


def add_ignore_range(req, header):
    """Ask object servers to ignore Range for objects carrying ``header`` (a link
    is 0 bytes: the range is for its target)."""
    current = req.headers.get(IGNORE_RANGE_HDR)
    names = [h.strip() for h in current.split(',')] if current else []
    if header.lower() not in (name.lower() for name in names):
        names.append(header)
    req.headers[IGNORE_RANGE_HDR] = ','.join(names)


class SymlinkObjectRequest:
    """One object request through the filter.

    :param app: next WSGI app.
    :param symloop_max: most links followed in a row.
    """

    def __init__(self, app, symloop_max):
        self.app = app
        self.symloop_max = symloop_max
        self.loop_count = 0
        self.last_target_path = None

    def handle(self, req, start_response):
        """Dispatch by method (see the module doc)."""
        if req.method in ('GET', 'HEAD'):
            if req.params.get('symlink') == 'get':
                answer = call(self.app, req)
                symlink_sysmeta_to_usermeta(answer.headers)
            else:
                answer = self.handle_get_head(req)
        elif req.method == 'PUT' and TGT_OBJ_SYMLINK_HDR in req.headers:
            answer = self.handle_put(req)
        elif req.method == 'POST':
            answer = self.handle_post(req)
        else:
            answer = call(self.app, req)
        return answer.send(start_response)

    # -- reads
    def handle_get_head(self, req):
        add_ignore_range(req, TGT_OBJ_SYSMETA_SYMLINK_HDR)
        try:
            return self.follow(req)
        except LinkIterError:
            raise _text_error(HTTPConflict, 'Too many levels of symbolic links, '
                              'maximum allowed is %d' % self.symloop_max, req)

    def traversal_request(self, req, answer, orig_req):
        """The request for the target named by the link ``answer`` of ``req``."""
        version, account, _rest = req.split_path(2, 3, True)
        target_account = answer.headers.get(TGT_ACCT_SYSMETA_SYMLINK_HDR) or \
            wsgi_quote(account)
        target = answer.headers[TGT_OBJ_SYSMETA_SYMLINK_HDR].lstrip('/')
        self.last_target_path = '/%s/%s/%s' % (version, target_account, target)
        headers = dict(req.headers.items())
        headers.pop('X-Backend-Storage-Policy-Index', None)
        new_req = make_subrequest(orig_req.environ, method=req.method,
                                  path=wsgi_unquote(self.last_target_path),
                                  headers=headers, swift_source='SYM')
        new_req.headers.pop('X-Backend-Storage-Policy-Index', None)
        return new_req

    def follow(self, req, target_etag=None, follow_softlinks=True, orig_req=None):
        """GET/HEAD ``req``, then its targets while the answers are links.

        :param target_etag: the etag a static link expects of its target.
        :param follow_softlinks: False to stop at a link without a target etag.
        :returns: the final :class:`Answer` (Content-Location added after a hop).
        :raises HTTPConflict: a static link's target has another etag.
        :raises LinkIterError: more than symloop_max hops.
        """
        orig_req = orig_req or req
        answer = call(self.app, req)
        link_target = answer.headers.get(TGT_OBJ_SYSMETA_SYMLINK_HDR)
        link_etag = answer.headers.get(TGT_ETAG_SYSMETA_SYMLINK_HDR)
        if link_target and (link_etag or follow_softlinks):
            close_if_possible(answer.app_iter)
            found_etag = link_etag or answer.headers.get('Etag')
            if target_etag and target_etag != found_etag:
                raise _text_error(HTTPConflict, 'X-Symlink-Target-Etag headers do not '
                                  'match', headers={
                                      'Content-Location': self.last_target_path})
            if self.loop_count >= self.symloop_max:
                raise LinkIterError(self.last_target_path)
            new_req = self.traversal_request(req, answer, orig_req)
            if not config_true_value(answer.headers.get(SYMLOOP_EXTEND)):
                self.loop_count += 1
            return self.follow(new_req, target_etag=link_etag, orig_req=req)
        final_etag = normalize_etag(answer.headers.get('Etag'))
        if final_etag and target_etag and target_etag != final_etag:
            close_if_possible(answer.app_iter)
            raise _text_error(HTTPConflict, 'Object Etag %r does not match '
                              'X-Symlink-Target-Etag header %r'
                              % (final_etag, target_etag),
                              headers={'Content-Location': self.last_target_path})
        if self.last_target_path:
            # which object answered (quoted as stored, so %2F stays %2F)
            answer.headers['Content-Location'] = self.last_target_path
        return answer

    # -- writes
    def handle_put(self, req):
        """A link PUT: zero-byte body, checked headers moved to sysmeta, and the
        listing's override etag carrying the target."""
        length = req.message_length()   # HTTPException for a malformed framing
        has_body = (req.body_file.read(1) != b'') if length is None else length != 0
        if has_body:
            raise _text_error(HTTPBadRequest,
                              'Symlink requests require a zero byte body', req)
        target_path, etag = validate_and_prep_request_headers(req)
        if etag:
            self.check_static_target(req, target_path, etag)
        symlink_usermeta_to_sysmeta(req.headers)
        override = [inherited_override_etag(req.headers),
                    'symlink_target=%s' % req.headers[TGT_OBJ_SYSMETA_SYMLINK_HDR]]
        if TGT_ETAG_SYSMETA_SYMLINK_HDR in req.headers:
            override.append('symlink_target_etag=%s'
                            % req.headers[TGT_ETAG_SYSMETA_SYMLINK_HDR])
            override.append('symlink_target_bytes=%s'
                            % req.headers[TGT_BYTES_SYSMETA_SYMLINK_HDR])
        if TGT_ACCT_SYSMETA_SYMLINK_HDR in req.headers:
            override.append('symlink_target_account=%s'
                            % req.headers[TGT_ACCT_SYSMETA_SYMLINK_HDR])
        req.headers[OVERRIDE_ETAG_HDR] = '; '.join(override)
        return call(self.app, req)

    def check_static_target(self, req, target_path, etag):
        """HEAD the target of a static link; keep its etag/size in sysmeta.

        :raises HTTPConflict: no such target, or another etag.
        :raises HTTPException: the target HEAD's other errors (e.g. 401/403).
        """
        head = make_subrequest(req.environ, method='HEAD', path=target_path,
                               swift_source='SYM')
        self.last_target_path = wsgi_quote(target_path)
        answer = self.follow(head, target_etag=etag, follow_softlinks=False)
        close_if_possible(answer.app_iter)
        if answer.status_int == 404:
            raise _text_error(HTTPConflict, 'X-Symlink-Target does not exist', req,
                              headers={'Content-Location': self.last_target_path})
        if not is_success(answer.status_int):
            raise status_map[answer.status_int](request=req)
        headers = answer.headers
        if OVERRIDE_ETAG_HDR in headers and OVERRIDE_ETAG_HDR not in req.headers:
            # keep the target's listing parameters (e.g. slo_etag)
            _sep, sep, params = headers[OVERRIDE_ETAG_HDR].partition(';')
            req.headers[OVERRIDE_ETAG_HDR] = MD5_OF_EMPTY_STRING + sep + params
        if 'X-Object-Sysmeta-Slo-Etag' in headers and \
                OVERRIDE_ETAG_HDR not in req.headers:
            req.headers[OVERRIDE_ETAG_HDR] = '%s; slo_etag=%s' % (
                MD5_OF_EMPTY_STRING, headers['X-Object-Sysmeta-Slo-Etag'])
        req.headers[TGT_BYTES_SYSMETA_SYMLINK_HDR] = (
            headers.get('X-Object-Sysmeta-Slo-Size') or headers.get('Content-Length')
            or '0')
        req.headers[TGT_ETAG_SYSMETA_SYMLINK_HDR] = etag
        if not req.headers.get('Content-Type') and headers.get('Content-Type'):
            req.headers['Content-Type'] = headers['Content-Type']

    def handle_post(self, req):
        """POST applies to the link itself; a link then answers 307 to its target."""
        if TGT_OBJ_SYMLINK_HDR in req.headers:
            raise _text_error(HTTPBadRequest, 'A PUT request is required to set a '
                              'symlink target', req)
        answer = call(self.app, req)
        target = answer.headers.get(TGT_OBJ_SYSMETA_SYMLINK_HDR)
        if not is_success(answer.status_int) or not target:
            return answer
        close_if_possible(answer.app_iter)
        version, account, _rest = req.split_path(2, 3, True)
        target_account = answer.headers.get(TGT_ACCT_SYSMETA_SYMLINK_HDR) or \
            wsgi_quote(account)
        headers = {'Location': '/%s/%s/%s' % (version, target_account,
                                              target.lstrip('/'))}
        target_etag = answer.headers.get(TGT_ETAG_SYSMETA_SYMLINK_HDR)
        if target_etag:
            headers[TGT_ETAG_SYMLINK_HDR] = target_etag
        for key, value in answer.headers.items():
            if key.lower().startswith('x-object-sysmeta-'):
                headers[key] = value
        req.environ['swift.leave_relative_location'] = True
        raise HTTPTemporaryRedirect(
            request=req, headers=headers,
            body=b'The requested POST was applied to a symlink. POST directly to '
                 b'the target to apply requested metadata.')


def handle_container(app, req, start_response):
    """Container requests: GET listings gain symlink_path/etag/bytes keys."""
    answer = call(app, req)
    if req.method != 'GET' or not is_success(answer.status_int) or \
            'json' not in answer.headers.get('Content-Type', ''):
        return answer.send(start_response)
    try:
        body = b''.join(answer.app_iter)
    finally:
        close_if_possible(answer.app_iter)
    listing = None
    if b'symlink_target' in body:
        # only a listing with links needs rewriting (saves a JSON round trip of
        # up to 10000 items on every other container GET)
        try:
            listing = json.loads(body)
        except ValueError:
            pass
    if isinstance(listing, list) and all(isinstance(i, dict) for i in listing):
        version, account, _rest = split_path(req.path, 2, 3, True)
        body = json.dumps([extract_symlink_listing_keys(item, version, account)
                           for item in listing]).encode('ascii')
        answer.headers['Content-Length'] = str(len(body))
    answer.app_iter = [body]
    return answer.send(start_response)


@dataclass(frozen=True)
class SymlinkConfig:
    """symlink's options.

    :ivar symloop_max: most links followed in a row (Swift's default 2).
    """
    symloop_max: int = DEFAULT_SYMLOOP_MAX

    @classmethod
    def from_conf(cls, conf):
        """From paste conf; ``symloop_max`` below 1 means the default (Swift).

        :raises ValueError: a non-integer symloop_max (names the option).
        """
        value = conf.get('symloop_max', DEFAULT_SYMLOOP_MAX)
        try:
            value = int(value)
        except ValueError:
            raise ValueError('symloop_max must be an integer, not %r' % value)
        return cls(symloop_max=value if value >= 1 else DEFAULT_SYMLOOP_MAX)


class SymlinkMiddleware:
    """The symlink filter (see the module doc).

    :param app: next WSGI app.
    :param conf: paste conf (see :class:`SymlinkConfig`).
    :param logger: injectable logger.
    :param config: a :class:`SymlinkConfig` (default: from ``conf``).
    """

    def __init__(self, app, conf=None, *, logger=None, config=None):
        self.app = app
        conf = conf or {}
        self.logger = logger or get_logger(conf, log_route='symlink')
        self.config = config or SymlinkConfig.from_conf(conf)
        self.symloop_max = self.config.symloop_max
        register_swift_info(app, 'symlink', symloop_max=self.symloop_max,
                            static_links=True)

    def __call__(self, env, start_response):
        req = Request(env)
        parts = req.split_path_or_none(3, 4, True)
        if parts is None:
            return self.app(env, start_response)
        _version, _account, _container, obj = parts
        try:
            if obj:
                return SymlinkObjectRequest(self.app, self.symloop_max).handle(
                    req, start_response)
            return handle_container(self.app, req, start_response)
        except HTTPException as err:
            return err(env, start_response)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#symlink``)."""
    conf = dict(global_conf)
    conf.update(local_conf)
    SymlinkConfig.from_conf(conf)   # fail at load time on a bad value
    return lambda app: SymlinkMiddleware(app, conf)
