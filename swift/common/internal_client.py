# Owns how daemons talk to the cluster through a proxy without going over the network
# (Swift's InternalClient): a proxy pipeline is loaded in-process from an
# internal-client conf (PasteDeploy ini, usually
# "catch_errors proxy-logging cache proxy-server", no auth) and requests are WSGI calls
# into it. When the conf file does not exist, the built-in DEFAULT_CONF is used (as
# Swift's expirer does for its legacy default), with swift_dir from the caller's conf.
# Rules:
# - paths are /v1/<account>[/<container>[/<object>]], names given as native str and
#   URL-quoted here;
# - an answer whose status is not acceptable is retried (request_tries in total) when it
#   is a 5xx or the call raised, then raises UnexpectedResponse carrying the response;
# - listings are fetched as JSON pages following the last name as marker.
"""In-process client of a proxy pipeline: :class:`InternalClient`."""

import json
import os
import tempfile
from urllib.parse import quote, urlencode

from swift.common.http_status import is_server_error
from swift.common.swob import Request

DEFAULT_CONF = """[DEFAULT]
swift_dir = %(swift_dir)s

[pipeline:main]
pipeline = catch_errors proxy-logging cache proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:cache]
use = egg:swift#memcache
%(memcache_line)s

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:catch_errors]
use = egg:swift#catch_errors
"""


class InternalClientError(Exception):
    """Base of internal-client errors."""


class UnexpectedResponse(InternalClientError):
    """The proxy answered with a status the caller does not accept.

    :ivar resp: the swob Response (``status_int``, ``headers``, ``body``).
    """

    def __init__(self, message, resp):
        super().__init__(message)
        self.resp = resp


def _status_ok(status, acceptable_statuses):
    """``acceptable_statuses`` holds exact codes or status classes (2 = any 2xx)."""
    return status in acceptable_statuses or status // 100 in acceptable_statuses


def load_internal_app(conf_path, swift_dir='/etc/swift', memcache_servers=None):
    """Load the proxy pipeline of ``conf_path`` (or :data:`DEFAULT_CONF` if there is
    no such file).

    :param swift_dir: swift_dir of the built-in pipeline.
    :param memcache_servers: memcache_servers of the built-in pipeline's cache filter
        (default: ``<swift_dir>/memcache.conf``, else 127.0.0.1:11211).
    :returns: the WSGI callable.
    :raises swift.common.wsgi.AppLoadError: when the pipeline cannot be built.
    """
    from swift.common.wsgi import loadapp
    if conf_path and os.path.isfile(conf_path):
        return loadapp(conf_path)
    text = DEFAULT_CONF % {
        'swift_dir': swift_dir,
        'memcache_line': ('memcache_servers = %s' % memcache_servers
                          if memcache_servers else '')}
    with tempfile.NamedTemporaryFile('w', suffix='.conf', prefix='internal-client-') as fp:
        fp.write(text)
        fp.flush()
        return loadapp(fp.name)


class InternalClient:
    """Requests to the cluster through an in-process proxy app.

    :param app: the WSGI proxy pipeline (see :func:`load_internal_app`).
    :param user_agent: User-Agent of every request, e.g. ``Swift Object Expirer``.
    :param request_tries: attempts per request (>= 1) for 5xx answers or exceptions.
    :param listing_limit: page size of listings.
    """

    def __init__(self, app, user_agent, request_tries=3, listing_limit=10000):
        if request_tries < 1:
            raise ValueError('request_tries must be positive')
        self.app = app
        self.user_agent = user_agent
        self.request_tries = request_tries
        self.listing_limit = listing_limit

    @classmethod
    def from_conf_path(cls, conf_path, user_agent, request_tries=3, swift_dir='/etc/swift',
                       memcache_servers=None):
        """Build with the pipeline of ``conf_path`` (see :func:`load_internal_app`)."""
        return cls(load_internal_app(conf_path, swift_dir, memcache_servers), user_agent,
                   request_tries)

    @staticmethod
    def make_path(account, container=None, obj=None):
        """``/v1/<a>[/<c>[/<o>]]`` URL-quoted (names are native str).

        :raises ValueError: an object without a container.
        """
        if obj is not None and container is None:
            raise ValueError('Object specified without container')
        path = '/v1/' + quote(account.encode('utf-8'), safe='')
        if container is not None:
            path += '/' + quote(container.encode('utf-8'), safe='')
        if obj is not None:
            path += '/' + quote(obj.encode('utf-8'), safe='/')
        return path

    def make_request(self, method, path, headers=None, acceptable_statuses=(2,),
                     params=None, body=None):
        """Send one request (retrying 5xx and exceptions up to ``request_tries``).

        :param path: quoted ``/v1/...`` path.
        :param headers: dict of headers.
        :param acceptable_statuses: exact codes or classes (``2`` = 2xx).
        :param params: query parameters (dict).
        :param body: bytes body or None.
        :returns: swob Response (body already read).
        :raises UnexpectedResponse: after the last try.
        """
        query = ('?' + urlencode(params)) if params else ''
        headers = dict(headers or {})
        headers.setdefault('User-Agent', self.user_agent)
        resp = last_error = None
        for _attempt in range(self.request_tries):
            req = Request.blank(path + query, headers=headers, body=body,
                                environ={'REQUEST_METHOD': method})
            try:
                resp = req.get_response(self.app)
                resp.body  # read it all: the app may do its I/O lazily
            except Exception as err:  # the pipeline failed: count it as a try
                last_error, resp = err, None
                continue
            if _status_ok(resp.status_int, acceptable_statuses):
                return resp
            if not is_server_error(resp.status_int):
                break
        if resp is None:
            raise UnexpectedResponse('Unexpected exception %s %s: %s' % (
                method, path, last_error), None)
        raise UnexpectedResponse('Unexpected response: %s %s gave %s' % (
            method, path, resp.status), resp)

    def _iter_items(self, path, marker='', end_marker='', prefix='',
                    acceptable_statuses=(2, 404)):
        while True:
            params = {'format': 'json', 'marker': marker, 'limit': self.listing_limit}
            if end_marker:
                params['end_marker'] = end_marker
            if prefix:
                params['prefix'] = prefix
            resp = self.make_request('GET', path, acceptable_statuses=acceptable_statuses,
                                     params=params)
            if resp.status_int // 100 != 2 or not resp.body:
                return
            items = json.loads(resp.body)
            if not items:
                return
            yield from items
            marker = items[-1].get('name', items[-1].get('subdir'))

    def iter_containers(self, account, marker='', end_marker='', prefix='',
                        acceptable_statuses=(2, 404)):
        """Yield the account's container dicts (``name``, ``count``, ``bytes``...) in
        name order; nothing for a missing account.

        :raises UnexpectedResponse:
        """
        return self._iter_items(self.make_path(account), marker, end_marker, prefix,
                                acceptable_statuses)

    def iter_objects(self, account, container, marker='', end_marker='', prefix='',
                     acceptable_statuses=(2, 404)):
        """Yield the container's object dicts (``name``, ``hash``, ``bytes``,
        ``content_type``, ``last_modified``) in name order.

        :raises UnexpectedResponse:
        """
        return self._iter_items(self.make_path(account, container), marker, end_marker,
                                prefix, acceptable_statuses)

    def get_account_info(self, account, acceptable_statuses=(2, 404)):
        """:returns: (container_count, object_count) from a HEAD (0, 0 if missing)."""
        resp = self.make_request('HEAD', self.make_path(account),
                                 acceptable_statuses=acceptable_statuses)
        if resp.status_int // 100 != 2:
            return 0, 0
        return (int(resp.headers.get('x-account-container-count', 0)),
                int(resp.headers.get('x-account-object-count', 0)))

    def delete_object(self, account, container, obj, headers=None,
                      acceptable_statuses=(2, 404)):
        """DELETE an object. :returns: Response. :raises UnexpectedResponse:"""
        return self.make_request('DELETE', self.make_path(account, container, obj),
                                 headers, acceptable_statuses)

    def delete_container(self, account, container, headers=None,
                         acceptable_statuses=(2, 404)):
        """DELETE a container. :returns: Response. :raises UnexpectedResponse:"""
        return self.make_request('DELETE', self.make_path(account, container), headers,
                                 acceptable_statuses)

    def upload_object(self, body, account, container, obj, headers=None,
                      acceptable_statuses=(2,)):
        """PUT an object with a bytes body. :returns: Response.
        :raises UnexpectedResponse:"""
        return self.make_request('PUT', self.make_path(account, container, obj), headers,
                                 acceptable_statuses, body=body)
