# Read-only mode (Swift's read_only), for the whole cluster or single accounts.
# Rules (Swift 2.38):
#   * the write verbs are COPY, POST, PUT and, unless ``allow_deletes`` is true,
#     DELETE; any other verb, and any path that is not /<valid api version>/<account>...,
#     passes through untouched;
#   * an account is read-only when its X-Account-Sysmeta-Read-Only says so
#     (true words -> read-only, false words -> writable even when the cluster is
#     read-only); without that sysmeta the cluster option ``read_only`` decides;
#   * a COPY with Destination-Account is judged by the destination account;
#   * a refused write gets 405 ``Writes are disabled for this account.``;
#   * /info gets an (empty) ``read_only`` section only when the cluster is read-only.
# Swift sets the sysmeta only with a direct client to the account servers (gatekeeper
# strips sysmeta from clients). As a convenience this implementation also accepts
# ``X-Account-Read-Only: true|false`` (or an empty value / X-Remove-Account-Read-Only to
# clear it) on an account PUT/POST from a reseller admin (env['reseller_request'],
# set by the auth middleware, so this filter sits after auth); such a request is never
# refused for being a write, so the reseller can lift the flag again. Anyone else
# sending the header gets 403; a value that is not a boolean word gets 400. Account
# GET/HEAD responses show the flag back as X-Account-Read-Only.
"""read_only middleware."""

from swift.common.config import FALSE_VALUES, TRUE_VALUES, config_true_value
from swift.common.constraints import Constraints
from swift.common.middleware.copy import check_account_format
from swift.common.request_helpers import split_api_path
from swift.common.swob import (HTTPBadRequest, HTTPException, HTTPForbidden,
                               HTTPMethodNotAllowed, Request, wsgi_unquote)
from swift.proxy.controllers.info import register_swift_info
from swift.proxy.info_cache import clear_info_cache, get_account_info_for

SYSMETA_HEADER = 'X-Account-Sysmeta-Read-Only'
CLIENT_HEADER = 'X-Account-Read-Only'
REMOVE_HEADER = 'X-Remove-Account-Read-Only'
READ_ONLY_BODY = b'Writes are disabled for this account.'


class ReadOnlyMiddleware:
    """See the module doc.

    :param app: next WSGI app.
    :param conf: paste conf: ``read_only`` (false), ``allow_deletes`` (false),
        ``swift_dir`` (for swift.conf's valid_api_versions).
    :param constraints: :class:`Constraints` (default read from swift_dir).
    """

    def __init__(self, app, conf=None, *, constraints=None):
        conf = conf or {}
        self.app = app
        self.read_only = config_true_value(conf.get('read_only'))
        self.write_methods = {'COPY', 'POST', 'PUT'}
        if not config_true_value(conf.get('allow_deletes')):
            self.write_methods.add('DELETE')
        if constraints is None:
            constraints = Constraints.from_swift_dir(conf.get('swift_dir', '/etc/swift'))
        self.valid_api_versions = constraints.valid_api_versions

    def __call__(self, env, start_response):
        req = Request(env)
        parts = split_api_path(req, self.valid_api_versions)
        if parts is None:
            return self.app(env, start_response)
        version, account, container, _obj = parts
        try:
            if container is None and req.method in ('PUT', 'POST') and (
                    CLIENT_HEADER in req.headers or REMOVE_HEADER in req.headers):
                return self._set_flag(req, version, account)(env, start_response)
            if req.method in self.write_methods:
                self._check_writable(req, version, account)
        except HTTPException as err:
            return err(env, start_response)
        if container is None and req.method in ('GET', 'HEAD'):
            return self._show_flag(req)(env, start_response)
        return self.app(env, start_response)

    def _check_writable(self, req, version, account):
        """:raises HTTPException: 405 when ``account`` (or COPY's destination account)
        is read-only; 412 for a malformed Destination-Account."""
        if req.method == 'COPY' and 'Destination-Account' in req.headers:
            account = check_account_format(
                req, wsgi_unquote(req.headers['Destination-Account']))
        if self.account_read_only(req, version, account):
            raise HTTPMethodNotAllowed(request=req, body=READ_ONLY_BODY)

    def account_read_only(self, req: Request, version: str, account: str) -> bool:
        """True when writes to ``account`` (WSGI str) are refused: the account's
        sysmeta flag if set, else the cluster's ``read_only`` option."""
        info = get_account_info_for(req.environ, self.app, version, account,
                                    swift_source='RO')
        flag = (info.get('sysmeta') or {}).get('read-only', '')
        if not flag:
            return self.read_only
        return config_true_value(flag)

    def _set_flag(self, req, version, account):
        """Translate a reseller's X-Account-Read-Only into the sysmeta header.

        :returns: the account server's response (through the rest of the pipeline).
        :raises HTTPException: 403 for a non-reseller, 400 for a non-boolean value.
        """
        if req.environ.get('reseller_request') is not True:
            raise HTTPForbidden(request=req)
        value = req.headers.pop(CLIENT_HEADER, '').strip().lower()
        if req.headers.pop(REMOVE_HEADER, ''):
            value = ''
        if value and value not in TRUE_VALUES | FALSE_VALUES:
            raise HTTPBadRequest(request=req,
                                 body=b'X-Account-Read-Only must be true or false')
        if value:
            value = 'true' if value in TRUE_VALUES else 'false'
        req.headers[SYSMETA_HEADER] = value
        clear_info_cache(req.environ, account)
        return req.get_response(self.app)

    def _show_flag(self, req):
        """The account GET/HEAD response with the flag shown as X-Account-Read-Only."""
        resp = req.get_response(self.app)
        flag = resp.headers.get(SYSMETA_HEADER)
        if flag:
            resp.headers[CLIENT_HEADER] = flag
        return resp


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#read_only``); registers the /info section
    ``read_only`` when the whole cluster is read-only (as Swift)."""
    conf = dict(global_conf)
    conf.update(local_conf)

    def read_only_filter(app):
        if config_true_value(conf.get('read_only')):
            register_swift_info(app, 'read_only')
        return ReadOnlyMiddleware(app, conf)
    return read_only_filter
