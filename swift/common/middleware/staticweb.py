# Serve a container as a static web site (Swift 2.38's staticweb; swift-catalog.md 7).
# The container's owner sets metadata:
#   X-Container-Meta-Web-Index           index object name served for ``/c/`` and
#                                        pseudo-directories (``/c/dir/``);
#   X-Container-Meta-Web-Error           suffix of error pages: ``<status><suffix>``,
#                                        e.g. ``404error.html`` (401 and 404 only);
#   X-Container-Meta-Web-Listings        true: HTML listings where there is no index;
#   X-Container-Meta-Web-Listings-CSS    stylesheet of the listings (relative to the
#                                        container unless it starts with / or http(s)://);
#   X-Container-Meta-Web-Listings-Label  shown instead of ``/v1/<account>/<container>``;
#   X-Container-Meta-Web-Directory-Type  content type of directory marker objects
#                                        (default application/directory).
# Rules:
#   * only GET/HEAD of containers and objects, only anonymous requests (no REMOTE_USER)
#     or ones carrying ``X-Web-Mode: true``; everything else passes through;
#   * the filter sits after the auth filter: without ``swift.authorize`` in the environ
#     it does nothing (logged);
#   * a container request is authorized with the container's read ACL *before* anything
#     depends on the web metadata, so an anonymous caller gets 401 for a private
#     container whether it exists or not (field case BL-19);
#   * ``/c`` redirects (301) to ``/c/`` when an index or listings are set; a
#     pseudo-directory ``/c/dir`` redirects to ``/c/dir/`` when it has an index object or
#     objects under it;
#   * a directory marker (Web-Directory-Type, at most 1 byte) counts as not found;
#   * listings are Swift's HTML layout (names URL-quoted in links and HTML-escaped
#     in text, sizes as ``human_readable``, dates ``YYYY-MM-DD HH:MM:SS``);
#   * subrequests carry the client's identity (make_env) and ``swift.source`` SW.
# Where Swift 2.38 has a flaw we differ on purpose: the Web-Index value shown on the
# "listing disabled" page is HTML-escaped (Swift prints it raw), and a pseudo-directory
# whose index GET fails with another error than 404 answers that error (Swift's
# handler returned no response at all).
"""staticweb middleware."""

import html
import json
from dataclasses import dataclass
from typing import List, Optional
from urllib.parse import quote, urlparse

from swift.common.config import config_true_value
from swift.common.http_status import is_redirection, is_success
from swift.common.logs import get_logger
from swift.common.request_helpers import close_if_possible, make_subrequest
from swift.common.swob import (HTTPMovedPermanently, HTTPNotFound, Request, Response,
                               split_path_or_none, str_to_wsgi, wsgi_quote, wsgi_to_str)
from swift.proxy.controllers.info import register_swift_info
from swift.proxy.info_cache import get_container_info

AGENT = '%(orig)s StaticWeb'
DEFAULT_DIRECTORY_TYPE = 'application/directory'
DOCTYPE = ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN"')
DTD = '"http://www.w3.org/TR/html4/loose.dtd"'
LISTING_STYLE = ('  <style type="text/css">\n'
                 '   h1 {font-size: 1em; font-weight: bold;}\n'
                 '   th {text-align: left; padding: 0px 1em 0px 1em;}\n'
                 '   td {padding: 0px 1em 0px 1em;}\n'
                 '   a {text-decoration: none;}\n'
                 '  </style>\n')
DISABLED_STYLE = ('  <style type="text/css">\n'
                  '   h1 {font-size: 1em; font-weight: bold;}\n'
                  '   p {font-size: 2}\n'
                  '  </style>\n')


def human_readable(value: float) -> str:
    """Swift's human_readable: ``1023`` -> ``'1023'``, ``1048576`` -> ``'1Mi'``.

    :param value: a number of bytes (int or float).
    :returns: str, binary suffixes K..Y with an ``i``.
    """
    value = float(value)
    index = -1
    suffixes = 'KMGTPEZY'
    while value >= 1024 and index + 1 < len(suffixes):
        index += 1
        value = round(value / 1024)
    if index == -1:
        return '%d' % value
    return '%d%si' % (round(value), suffixes[index])


def css_href(listings_css: str, prefix: str = '') -> str:
    """The stylesheet link of a listing at ``prefix`` (Swift's _build_css_path).

    :param listings_css: the Web-Listings-CSS value (native str).
    :param prefix: the listing's pseudo-directory (``'dir/sub/'`` or ``''``).
    :returns: an absolute URL/path kept as is (quoted), else one relative to the
        container (``../`` per level of ``prefix``).
    """
    if listings_css.startswith(('/', 'http://', 'https://')):
        return quote(listings_css, ':/')
    return '../' * prefix.count('/') + quote(listings_css)


def _head(label, css, indent='  '):
    """Shared ``<head>`` of both pages: title plus the CSS link (if any)."""
    text = '%s<title>Listing of %s</title>\n' % (indent, html.escape(label))
    if css is not None:
        text += '  <link rel="stylesheet" type="text/css" href="%s" />\n' % css
    return text


def render_disabled_page(label: str, css: Optional[str], index: str) -> str:
    """The 404 page shown when listings are off (and the index, if any, is missing).

    :param label: the listing label (native str).
    :param css: the stylesheet href, or None for Swift's inline style.
    :param index: the Web-Index value ('' when none).
    :returns: str (HTML).
    """
    body = '%s %s>\n<html>\n<head>\n' % (DOCTYPE, DTD) + _head(label, css, '')
    if css is None:
        body += DISABLED_STYLE
    body += ('</head>\n<body>'
             '  <h1>Web Listing Disabled</h1>'
             '   <p>The owner of this web site has disabled web listing.'
             '   <p>If you are the owner of this web site, you can enable'
             '   web listing by setting X-Container-Meta-Web-Listings.</p>')
    if index:
        body += ('<h1>Index File Not Found</h1>'
                 ' <p>The owner of this web site has set '
                 ' <b>X-Container-Meta-Web-Index: %s</b>. '
                 ' However, this file is not found.</p>' % html.escape(index))
    return body + ' </body>\n</html>\n'


def _row(css_class, href, text, size, date):
    return ('   <tr class="%s">\n'
            '    <td class="colname"><a href="%s">%s</a></td>\n'
            '    <td class="colsize">%s</td>\n'
            '    <td class="coldate">%s</td>\n'
            '   </tr>\n' % (css_class, href, text, size, date))


def render_listing(label: str, css: Optional[str], prefix: str,
                   listing: List[dict]) -> str:
    """Swift's HTML listing page.

    :param label: the title (native str), e.g. ``/v1/AUTH_a/c/dir/``.
    :param css: stylesheet href or None (inline style).
    :param prefix: the pseudo-directory listed (native str, '' for the container).
    :param listing: container listing JSON items (``subdir`` or ``name``, ``bytes``,
        ``content_type``, ``last_modified``).
    :returns: str (HTML): subdirectories first, then objects, as Swift.
    """
    body = ('%s\n %s>\n<html>\n <head>\n' % (DOCTYPE, DTD)) + _head(label, css)
    if css is None:
        body += LISTING_STYLE
    body += (' </head>\n'
             ' <body>\n'
             '  <h1 id="title">Listing of %s</h1>\n'
             '  <table id="listing">\n'
             '   <tr id="heading">\n'
             '    <th class="colname">Name</th>\n'
             '    <th class="colsize">Size</th>\n'
             '    <th class="coldate">Date</th>\n'
             '   </tr>\n' % html.escape(label))
    if prefix:
        body += ('   <tr id="parent" class="item">\n'
                 '    <td class="colname"><a href="../">../</a></td>\n'
                 '    <td class="colsize">&nbsp;</td>\n'
                 '    <td class="coldate">&nbsp;</td>\n'
                 '   </tr>\n')
    for item in listing:
        if 'subdir' in item:
            subdir = item['subdir'][len(prefix):]
            body += _row('item subdir', quote(subdir), html.escape(subdir),
                         '&nbsp;', '&nbsp;')
    for item in listing:
        if 'name' in item:
            name = item['name'][len(prefix):]
            types = ' '.join('type-' + html.escape(part.lower())
                             for part in item.get('content_type', '').split('/'))
            date = html.escape(item.get('last_modified', '')).split('.')[0].replace(
                'T', ' ')
            body += _row('item %s' % types, quote(name), html.escape(name),
                         human_readable(item.get('bytes', 0)), date)
    return body + '  </table>\n </body>\n</html>\n'


def absolute_url(env: dict, path: str) -> str:
    """``scheme://host[:port]path`` for ``env`` (Swift's swob rule for Location: the
    Host header, else SERVER_NAME:SERVER_PORT; the scheme's default port dropped).

    :param path: quoted absolute path.
    """
    scheme = env.get('wsgi.url_scheme', 'http')
    host = env.get('HTTP_HOST') or '%s:%s' % (env.get('SERVER_NAME', 'localhost'),
                                              env.get('SERVER_PORT', '80'))
    name, _, port = host.rpartition(':')
    if name and not name.endswith(']') and ':' in name:
        name, port = host, ''    # a bare IPv6 address
    if name and (scheme, port) in (('http', '80'), ('https', '443')):
        host = name
    return '%s://%s%s' % (scheme, host, path)


class WebSettings:
    """The web metadata of a container (all native strs, '' when unset).

    :ivar index, error, listings, listings_css, listings_label, directory_type:
        the X-Container-Meta-Web-* values, stripped.
    """

    def __init__(self, container_info):
        meta = container_info.get('meta') or {}
        if not is_success(container_info.get('status') or 0):
            meta = {}

        def value(key):
            return wsgi_to_str(meta.get(key) or '').strip()
        self.index = value('web-index')
        self.error = value('web-error')
        self.listings = value('web-listings')
        self.listings_css = value('web-listings-css')
        self.listings_label = value('web-listings-label')
        self.directory_type = value('web-directory-type') or DEFAULT_DIRECTORY_TYPE


class Answer:
    """A WSGI answer held before it is sent: status line, header list, body iter."""

    def __init__(self, status, headers, app_iter):
        self.status = status
        self.headers = list(headers)
        self.app_iter = app_iter

    @property
    def status_int(self):
        return int(self.status.split(' ', 1)[0])

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def body(self):
        """All the body bytes (closing the iterator)."""
        try:
            return b''.join(self.app_iter)
        finally:
            close_if_possible(self.app_iter)

    def send(self, start_response):
        start_response(self.status, self.headers)
        return self.app_iter


def call(app, env):
    """Run ``app`` on ``env``; returns an :class:`Answer`."""
    status, headers, app_iter = Request(env).call_application(app)
    return Answer(status, headers, app_iter)


def response_answer(resp, env):
    """An :class:`Answer` of a swob Response as it would answer ``env``."""
    return call(resp, env)


class StaticWebRequest:
    """One request staticweb handles (see the module doc).

    :param middleware: the :class:`StaticWeb` filter.
    :param env: the client's environ.
    :param names: (version, account, container, obj) WSGI strs (obj may be None).
    """

    def __init__(self, middleware, env, names):
        self.app = middleware.app
        self.middleware = middleware
        self.env = env
        self.version, self.account, self.container, self.obj = names
        self.web = WebSettings({})

    def container_path(self):
        return '/%s/%s/%s' % (self.version, self.account, self.container)

    def load_settings(self):
        """Fetch the container info (cached) and its web settings."""
        info = get_container_info(self.env, self.app, swift_source='SW')
        self.web = WebSettings(info)
        return info

    def subrequest_env(self, path_suffix=''):
        """A copy of the client's environ for the same request at path + suffix."""
        env = dict(self.env)
        env['HTTP_USER_AGENT'] = '%s StaticWeb' % self.env.get('HTTP_USER_AGENT')
        env['swift.source'] = 'SW'
        env['PATH_INFO'] = self.env['PATH_INFO'] + path_suffix
        return env

    def listing_env(self, query):
        return make_subrequest(self.env, 'GET', self.container_path(), agent=AGENT,
                               swift_source='SW', query_string=query).environ

    # -- answers
    def finish(self, answer, start_response):
        if self.env.get('REQUEST_METHOD') == 'HEAD':
            close_if_possible(answer.app_iter)
            answer.app_iter = [b'']
        return answer.send(start_response)

    def error_answer(self, answer, start_response):
        """Send ``answer`` (an error), with the body and headers of the
        ``<status><Web-Error>`` object instead when it exists (status kept)."""
        if not self.web.error:
            return self.finish(answer, start_response)
        page_path = '%s/%d%s' % (self.container_path(), answer.status_int,
                                 str_to_wsgi(self.web.error))
        page = call(self.app, make_subrequest(self.env, 'GET', page_path, agent=AGENT,
                                              swift_source='SW').environ)
        if is_success(page.status_int):
            close_if_possible(answer.app_iter)
            return self.finish(Answer(answer.status, page.headers, page.app_iter),
                               start_response)
        close_if_possible(page.app_iter)
        return self.finish(answer, start_response)

    def not_found(self, start_response, body=None):
        resp = HTTPNotFound(body=body) if body is not None else HTTPNotFound()
        return self.error_answer(response_answer(resp, self.env), start_response)

    def redirect_with_slash(self, start_response):
        """301 to the same path with a trailing slash (absolute, honouring url_base)."""
        env = dict(self.env)
        config = self.middleware.config
        if config.url_scheme:
            env['wsgi.url_scheme'] = config.url_scheme
        if config.url_host:
            env['HTTP_HOST'] = config.url_host
        location = absolute_url(env, wsgi_quote(env.get('SCRIPT_NAME', '') +
                                                env['PATH_INFO'] + '/'))
        return HTTPMovedPermanently(location=location)(env, start_response)

    # -- listings
    def label(self):
        path = wsgi_to_str(self.env['PATH_INFO'])
        if self.web.listings_label:
            return '%s/%s' % (self.web.listings_label, '/'.join(path.split('/')[4:]))
        return path

    def listing(self, start_response, prefix=''):
        """The HTML listing of ``prefix`` (WSGI str), or the 404 pages."""
        native_prefix = wsgi_to_str(prefix)
        css = (css_href(self.web.listings_css, native_prefix)
               if self.web.listings_css else None)
        if not config_true_value(self.web.listings):
            body = render_disabled_page(self.label(), css, self.web.index)
            return self.not_found(start_response, body.encode('utf-8'))
        query = 'format=json&delimiter=/'
        if prefix:
            query += '&prefix=%s' % wsgi_quote(prefix)
        answer = call(self.app, self.listing_env(query))
        if not is_success(answer.status_int):
            return self.error_answer(answer, start_response)
        body = answer.body()
        try:
            listing = json.loads(body) if body else []
        except ValueError:
            listing = []
        if prefix and not listing:
            return self.not_found(start_response)
        page = render_listing(self.label(), css, native_prefix, listing)
        resp = Response(body=page.encode('utf-8'),
                        headers={'Content-Type': 'text/html; charset=UTF-8'})
        return resp(self.env, start_response)

    # -- containers
    def handle_container(self, start_response):
        """``/c`` or ``/c/``: authorize first (BL-19), then index or listing."""
        info = self.load_settings()
        req = Request(self.env)
        req.acl = info.get('read_acl')
        denial = self.env['swift.authorize'](req)
        if denial:
            return self.error_answer(response_answer(denial, self.env), start_response)
        if not self.web.listings and not self.web.index:
            if config_true_value(self.env.get('HTTP_X_WEB_MODE', 'f')):
                return HTTPNotFound()(self.env, start_response)
            return self.app(self.env, start_response)
        # what follows is a web page, not a listing for listing_formats to convert
        # (an index.json stays as it is)
        self.env['swift.format_listing'] = False
        if not self.env['PATH_INFO'].endswith('/'):
            return self.redirect_with_slash(start_response)
        if not self.web.index:
            return self.listing(start_response)
        answer = call(self.app, self.subrequest_env(str_to_wsgi(self.web.index)))
        status = answer.status_int
        if status == 404:
            close_if_possible(answer.app_iter)
            return self.listing(start_response)
        if not is_success(status) and not is_redirection(status):
            return self.error_answer(answer, start_response)
        return answer.send(start_response)

    # -- objects
    def handle_object(self, start_response):
        """An object, else the index/listing of the pseudo-directory it names."""
        answer = call(self.app, self.subrequest_env())
        status = answer.status_int
        self.load_settings()
        if is_success(status) or is_redirection(status):
            length = answer.header('Content-Length')
            length = int(length) if length and length.isdigit() else 0
            if answer.header('Content-Type') != self.web.directory_type or length > 1:
                return answer.send(start_response)
            status = 404   # a directory marker: go on as for a pseudo-directory
        if status != 404:
            # Swift uses error pages for 404s only here (401s come from containers)
            self.web.error = ''
            return self.error_answer(answer, start_response)
        if not self.web.listings and not self.web.index:
            return answer.send(start_response)
        close_if_possible(answer.app_iter)
        if self.web.index:
            suffix = '' if self.env['PATH_INFO'].endswith('/') else '/'
            answer = call(self.app, self.subrequest_env(
                suffix + str_to_wsgi(self.web.index)))
            status = answer.status_int
            if is_success(status) or is_redirection(status):
                if suffix:
                    close_if_possible(answer.app_iter)
                    return self.redirect_with_slash(start_response)
                return answer.send(start_response)
            if status != 404:
                return self.error_answer(answer, start_response)
            close_if_possible(answer.app_iter)
        if not self.env['PATH_INFO'].endswith('/'):
            return self.redirect_if_directory(start_response)
        return self.listing(start_response, self.obj)

    def redirect_if_directory(self, start_response):
        """``/c/dir`` with objects under ``dir/``: 301 to ``/c/dir/``; else 404."""
        query = 'format=json&limit=1&delimiter=/&prefix=%s' % wsgi_quote(self.obj + '/')
        answer = call(self.app, self.listing_env(query))
        body = answer.body()
        try:
            found = is_success(answer.status_int) and body and json.loads(body)
        except ValueError:
            found = False
        if not found:
            return self.not_found(start_response)
        return self.redirect_with_slash(start_response)


@dataclass(frozen=True)
class StaticWebConfig:
    """staticweb's options.

    :ivar url_scheme: scheme of redirects (from ``url_base``), None: the request's.
    :ivar url_host: host[:port] of redirects (from ``url_base``), None: the request's.
    """
    url_scheme: Optional[str] = None
    url_host: Optional[str] = None

    @classmethod
    def from_conf(cls, conf):
        """From paste conf: ``url_base`` (e.g. ``https://www.example.com``); its path
        is ignored, as in Swift."""
        url_base = (conf.get('url_base') or '').strip()
        if not url_base:
            return cls()
        parsed = urlparse(url_base)
        return cls(url_scheme=parsed.scheme or None, url_host=parsed.netloc or None)


class StaticWeb:
    """The staticweb filter (see the module doc).

    :param app: next WSGI app.
    :param conf: paste conf (see :class:`StaticWebConfig`).
    :param logger: injectable logger.
    :param config: a :class:`StaticWebConfig` (default: from ``conf``).
    """

    def __init__(self, app, conf=None, *, logger=None, config=None):
        self.app = app
        conf = conf or {}
        self.logger = logger or get_logger(conf, log_route='staticweb')
        self.config = config or StaticWebConfig.from_conf(conf)
        register_swift_info(app, 'staticweb')

    def __call__(self, env, start_response):
        if 'swift.authorize' not in env:
            self.logger.warning('No authentication middleware authorized request yet. '
                                'Skipping staticweb')
            return self.app(env, start_response)
        names = split_path_or_none(env.get('PATH_INFO', ''), 2, 4, True)
        if names is None:
            return self.app(env, start_response)
        if env.get('REQUEST_METHOD') not in ('HEAD', 'GET'):
            return self.app(env, start_response)
        if env.get('REMOTE_USER') and \
                not config_true_value(env.get('HTTP_X_WEB_MODE', 'f')):
            return self.app(env, start_response)
        if not names[2]:
            return self.app(env, start_response)
        request = StaticWebRequest(self, env, names)
        if names[3]:
            return request.handle_object(start_response)
        return request.handle_container(start_response)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#staticweb``)."""
    conf = dict(global_conf)
    conf.update(local_conf)
    return lambda app: StaticWeb(app, conf)
