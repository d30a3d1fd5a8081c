# RFC 7232 section 2.3 quoted ETags (Swift's etag_quoter). Swift answers object ETags
# as bare hex digests; some clients and CDNs need them double-quoted. Rules (Swift 2.38),
# for /<valid api version>/... paths only (anything else passes untouched):
#   * account/container PUT/POST may carry X-Account-Rfc-Compliant-Etags /
#     X-Container-Rfc-Compliant-Etags: a value is stored as the sysmeta
#     X-{Account,Container}-Sysmeta-Rfc-Compliant-Etags ('True'/'False' after Swift's
#     true words), an empty value or X-Remove-{Account,Container}-Rfc-Compliant-Etags
#     clears it; GET/HEAD responses show it back under the client header name;
#   * an object response's ETag is quoted when the container's flag says so; without
#     a container flag the account's decides; without either, ``enable_by_default``
#     (false). A missing account/container, an absent ETag or one already quoted
#     (``"..."`` or ``W/"..."``) is left alone.
# It belongs near the top of the pipeline, right after ``cache`` (Swift's placement):
# middlewares below it (slo, dlo, symlink, copy) compare bare ETags and must not see
# quoted ones. /info section ``etag_quoter`` with ``enable_by_default``.
"""etag_quoter middleware."""

from swift.common.config import config_true_value
from swift.common.constraints import Constraints
from swift.common.http_status import is_success
from swift.common.request_helpers import split_api_path
from swift.common.swob import Request
from swift.proxy.controllers.info import register_swift_info
from swift.proxy.info_cache import get_account_info, get_container_info

FLAG = 'rfc-compliant-etags'


def quote_etag(etag: str) -> str:
    """``abc`` -> ``"abc"``; an already quoted (or weak ``W/"..."``) ETag is kept."""
    if etag.startswith(('"', 'W/"')):
        return etag
    return '"%s"' % etag


class EtagQuoterMiddleware:
    """See the module doc.

    :param app: next WSGI app.
    :param conf: paste conf: ``enable_by_default`` (false), ``swift_dir`` (for
        swift.conf's valid_api_versions).
    :param constraints: :class:`Constraints` (default read from swift_dir).
    """

    def __init__(self, app, conf=None, *, constraints=None):
        conf = conf or {}
        self.app = app
        self.enable_by_default = config_true_value(conf.get('enable_by_default', 'false'))
        if constraints is None:
            constraints = Constraints.from_swift_dir(conf.get('swift_dir', '/etc/swift'))
        self.valid_api_versions = constraints.valid_api_versions

    def __call__(self, env, start_response):
        req = Request(env)
        parts = split_api_path(req, self.valid_api_versions)
        if parts is None:
            return self.app(env, start_response)
        version, _account, container, obj = parts
        if obj is None:
            kind = 'Container' if container else 'Account'
            return self.handle_flag(req, kind)(env, start_response)
        resp = req.get_response(self.app)
        etag = resp.headers.get('Etag')
        if etag and self.quoting_enabled(req):
            resp.headers['Etag'] = quote_etag(etag)
        return resp(env, start_response)

    def quoting_enabled(self, req):
        """True when the object's container (else account, else the default) asks
        for quoted ETags; False when either of them does not exist."""
        container_info = get_container_info(req.environ, self.app, swift_source='EQ')
        if not is_success(container_info.get('status') or 0):
            return False
        flag = (container_info.get('sysmeta') or {}).get(FLAG)
        if flag is None:
            account_info = get_account_info(req.environ, self.app, swift_source='EQ')
            if not is_success(account_info.get('status') or 0):
                return False
            flag = (account_info.get('sysmeta') or {}).get(FLAG)
        if flag is None:
            return self.enable_by_default
        return config_true_value(flag)

    def handle_flag(self, req, kind):
        """Store the client's X-<kind>-Rfc-Compliant-Etags as sysmeta and show it back.

        :param kind: 'Account' or 'Container'.
        :returns: the response of the rest of the pipeline.
        """
        client_header = 'X-%s-Rfc-Compliant-Etags' % kind
        sysmeta_header = 'X-%s-Sysmeta-Rfc-Compliant-Etags' % kind
        remove_header = 'X-Remove-%s-Rfc-Compliant-Etags' % kind
        if client_header in req.headers:
            value = req.headers[client_header]
            req.headers[sysmeta_header] = (
                str(config_true_value(value)) if value else '')
        if req.headers.get(remove_header):
            req.headers[sysmeta_header] = ''
        resp = req.get_response(self.app)
        flag = resp.headers.get(sysmeta_header)
        if flag:
            resp.headers[client_header] = flag
        return resp


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#etag_quoter``); /info section
    ``etag_quoter: {"enable_by_default": bool}``."""
    conf = dict(global_conf)
    conf.update(local_conf)

    def etag_quoter_filter(app):
        register_swift_info(app, 'etag_quoter', enable_by_default=config_true_value(
            conf.get('enable_by_default', 'false')))
        return EtagQuoterMiddleware(app, conf)
    return etag_quoter_filter
