# Virtual-host style URLs (Swift's domain_remap). A request whose Host (else
# SERVER_NAME; any :port is ignored) ends with one of the ``storage_domain``s
# (comma list, default example.com) is rewritten (Swift 2.38 rules):
#   <container>.<account>.<domain>/<path>  ->  /<path_root>/<account>/<container>/<path>
#   <account>.<domain>/<path>              ->  /<path_root>/<account>/<path>
# * more than two labels before the domain: 400 ``Bad domain in host header``;
# * reseller prefixes (``reseller_prefixes``, default AUTH): DNS names are
#   case-insensitive and may not hold '_', so an account label without '_' has its
#   first '-' turned into '_' (auth-abc -> auth_abc), and a prefix matching one of the
#   reseller prefixes case-insensitively is replaced by the configured spelling
#   (auth_abc -> AUTH_abc). An account with no known prefix gets
#   ``default_reseller_prefix`` + '_' when that is set, else the request passes through
#   unchanged. With an empty ``reseller_prefixes`` the account is used as given;
# * ``path_root`` (v1) names the API version; with ``mangle_client_paths`` true a
#   client path that already starts with it loses that prefix (so /v1/o and /o are the
#   same object), otherwise the path is kept whole;
# * Location/Content-Location response headers that point into the remapped path are
#   turned back into the client's view (a staticweb 301 to /v1/AUTH_a/c/dir/ becomes
#   /dir/).
# /info section ``domain_remap: {"default_reseller_prefix": ...}``.
"""domain_remap middleware."""

import urllib.parse
from typing import List, Optional, Tuple

from swift.common.config import config_true_value, list_from_csv
from swift.common.swob import HTTPBadRequest, Request, wsgi_quote
from swift.proxy.controllers.info import register_swift_info


def storage_domains(value: Optional[str]) -> List[str]:
    """Swift's storage_domain list: each with a leading '.' (``'a.com,.b.com'`` ->
    ``['.a.com', '.b.com']``, the ones given without a dot first)."""
    domains = list_from_csv(value)
    return (['.' + d for d in domains if not d.startswith('.')]
            + [d for d in domains if d.startswith('.')])


def split_host(host: str) -> Tuple[str, str]:
    """``'name:port'`` -> (name, port or ''); a bracketed IPv6 host keeps its brackets."""
    if host.startswith('['):
        name, _, rest = host.partition(']')
        return name + ']', rest[1:] if rest.startswith(':') else ''
    if ':' in host:
        name, port = host.rsplit(':', 1)
        return name, port
    return host, ''


def matching_domain(host_name: str, domains: List[str]) -> Optional[str]:
    """The first of ``domains`` (dotted) that ``host_name`` ends with, or None."""
    return next((d for d in domains if host_name.endswith(d)), None)


class DomainRemapMiddleware:
    """See the module doc.

    :param app: next WSGI app.
    :param conf: paste conf: storage_domain (example.com), path_root (v1),
        reseller_prefixes (AUTH), default_reseller_prefix (none),
        mangle_client_paths (false).
    """

    def __init__(self, app, conf=None):
        conf = conf or {}
        self.app = app
        self.storage_domain = storage_domains(conf.get('storage_domain', 'example.com'))
        self.path_root = conf.get('path_root', 'v1').strip('/')
        self.reseller_prefixes = list_from_csv(conf.get('reseller_prefixes', 'AUTH'))
        self.reseller_prefixes_lower = [p.lower() for p in self.reseller_prefixes]
        self.default_reseller_prefix = conf.get('default_reseller_prefix') or None
        self.mangle_client_paths = config_true_value(conf.get('mangle_client_paths'))

    def real_account(self, account: str) -> Optional[str]:
        """The account a host label names (see the module doc), or None to leave the
        request alone."""
        if not self.reseller_prefixes:
            return account
        if '_' not in account and '-' in account:
            account = account.replace('-', '_', 1)
        prefix = account.split('_', 1)[0].lower()
        if prefix in self.reseller_prefixes_lower:
            index = self.reseller_prefixes_lower.index(prefix)
            real_prefix = self.reseller_prefixes[index]
            if not account.startswith(real_prefix):
                account = real_prefix + account[len(real_prefix):]
            return account
        if self.default_reseller_prefix:
            return '%s_%s' % (self.default_reseller_prefix, account)
        return None

    def __call__(self, env, start_response):
        if not self.storage_domain:
            return self.app(env, start_response)
        host_name, _port = split_host(env.get('HTTP_HOST') or env.get('SERVER_NAME', ''))
        domain = matching_domain(host_name, self.storage_domain)
        if domain is None:
            return self.app(env, start_response)
        labels = host_name[:-len(domain)].strip('.').split('.')
        if len(labels) == 2:
            container, account = labels
        elif len(labels) == 1:
            container, account = None, labels[0]
        else:
            resp = HTTPBadRequest(request=Request(env), body=b'Bad domain in host header',
                                  content_type='text/plain')
            return resp(env, start_response)
        account = self.real_account(account)
        if account is None:
            return self.app(env, start_response)
        root_parts = ['', self.path_root, account] + ([container] if container else [])
        root = '/'.join(root_parts)
        path = env.get('PATH_INFO', '')[1:]
        if self.mangle_client_paths and (path + '/').startswith(self.path_root + '/'):
            path = path[len(self.path_root) + 1:]
        env['PATH_INFO'] = root + '/' + path
        return self._call_rewriting_location(env, start_response, root)

    def _call_rewriting_location(self, env, start_response, root):
        def remap_start_response(status, headers, exc_info=None):
            headers = [(name, unmap_location(value, root)
                        if name.lower() in ('location', 'content-location') else value)
                       for name, value in headers]
            return start_response(status, headers, exc_info)
        return self.app(env, remap_start_response)


def unmap_location(location: str, root: str) -> str:
    """``location`` (absolute URL or path) with a leading ``root``
    (``/v1/<account>[/<container>]``, WSGI str) taken out of its path, so it points
    where the client's host-style URL does; other locations are returned as given."""
    parsed = urllib.parse.urlsplit(location)
    quoted_root = wsgi_quote(root)
    for candidate in (root, quoted_root):
        if parsed.path == candidate or parsed.path.startswith(candidate + '/'):
            path = parsed.path[len(candidate):] or '/'
            return urllib.parse.urlunsplit(parsed._replace(path=path))
    return location


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#domain_remap``)."""
    conf = dict(global_conf)
    conf.update(local_conf)

    def domain_filter(app):
        register_swift_info(app, 'domain_remap', default_reseller_prefix=conf.get(
            'default_reseller_prefix'))
        return DomainRemapMiddleware(app, conf)
    return domain_filter
