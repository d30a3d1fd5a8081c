# Helpers for middlewares that act on a client's behalf (Swift's request_helpers and
# wsgi.make_subrequest). Rules:
#   * a subrequest copies only the environ keys that carry identity, caches and
#     logging context (SUBREQUEST_ENV_KEYS), never the client's body or other headers;
#     so it is authorized exactly like the client (same swift.authorize, REMOTE_USER,
#     token header when given) and shares the request's info cache;
#   * metadata header classes follow Swift: ``X-<type>-Meta-*`` is user metadata,
#     ``X-<type>-Sysmeta-*`` system metadata, ``X-Object-Transient-Sysmeta-*`` object
#     transient sysmeta.
"""Subrequests, a file-like view of a body iterator, and metadata header classes."""

from swift.common.swob import Request

# Environ keys a subrequest inherits (Swift's make_env list).
SUBREQUEST_ENV_KEYS = (
    'wsgi.version', 'wsgi.multithread', 'wsgi.multiprocess', 'wsgi.run_once',
    'wsgi.url_scheme', 'wsgi.errors', 'SERVER_NAME', 'SERVER_PORT', 'HTTP_USER_AGENT',
    'HTTP_HOST', 'SERVER_PROTOCOL', 'REMOTE_USER', 'REMOTE_ADDR', 'HTTP_X_FORWARDED_FOR',
    'swift.cache', 'swift.source', 'swift.trans_id', 'swift.authorize_override',
    'swift.authorize', 'swift.clean_acl', 'reseller_request', 'swift_owner',
    'HTTP_X_USER_ID', 'HTTP_X_PROJECT_ID', 'HTTP_REFERER', 'swift.orig_req_method',
    'swift.log_info', 'swift.infocache')


def make_env(env, method=None, path=None, agent='Swift', query_string=None,
             swift_source=None):
    """A fresh WSGI environ for a subrequest made on behalf of ``env``'s client.

    :param env: the original request's environ.
    :param method: HTTP method (default: the original's).
    :param path: the WSGI-str path_info (unquoted; default the original's).
    :param agent: User-Agent; ``%(orig)s`` is replaced by the original agent.
    :param query_string: query string (default none).
    :param swift_source: ``swift.source`` for logging (e.g. ``'EA'``).
    :returns: dict environ (no body: empty input, Content-Length 0).
    """
    new_env = {key: env[key] for key in SUBREQUEST_ENV_KEYS if key in env}
    new_env['REQUEST_METHOD'] = method or env['REQUEST_METHOD']
    new_env['PATH_INFO'] = env.get('PATH_INFO', '') if path is None else path
    new_env['SCRIPT_NAME'] = ''
    new_env['QUERY_STRING'] = query_string or ''
    if agent:
        new_env['HTTP_USER_AGENT'] = agent % {
            'orig': env.get('HTTP_USER_AGENT', '')}
        new_env['HTTP_USER_AGENT'] = new_env['HTTP_USER_AGENT'].strip()
    if swift_source:
        new_env['swift.source'] = swift_source
    return new_env


def make_subrequest(env, method=None, path=None, body=None, headers=None,
                    agent='Swift', swift_source=None, query_string=None):
    """A :class:`Request` for a subrequest (see :func:`make_env`).

    :param path: WSGI-str path_info, unquoted (``/v1/AUTH_a/c/o``).
    :param body: bytes body (sets Content-Length); None for no body.
    :param headers: dict of headers (None values skipped).
    :returns: swob Request sharing caches and identity with ``env``.
    """
    new_env = make_env(env, method, path, agent, query_string, swift_source)
    req = Request(new_env)
    req.body = body if body is not None else b''
    for key, value in (headers or {}).items():
        if value is not None:
            req.headers[key] = value
    return req


class IterReader:
    """A read-only file over an iterator of byte chunks (Swift's FileLikeIter), so a
    response body can feed a request's ``wsgi.input``.

    :param iterable: iterable of bytes.
    """

    def __init__(self, iterable):
        self.iterator = iter(iterable)
        self.source = iterable
        self.buffer = b''
        self.closed = False

    def read(self, size=-1):
        """Up to ``size`` bytes (all remaining when size < 0); b'' at the end."""
        if self.closed:
            raise ValueError('I/O operation on closed file')
        if size is None or size < 0:
            data = self.buffer + b''.join(self.iterator)
            self.buffer = b''
            return data
        while len(self.buffer) < size:
            chunk = next(self.iterator, None)
            if chunk is None:
                break
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def readline(self, size=-1):
        """One line including its ``\\n`` (at most ``size`` bytes when size >= 0)."""
        while b'\n' not in self.buffer and (size < 0 or len(self.buffer) < size):
            chunk = next(self.iterator, None)
            if chunk is None:
                break
            self.buffer += chunk
        end = self.buffer.find(b'\n') + 1 or len(self.buffer)
        if size >= 0:
            end = min(end, size)
        line, self.buffer = self.buffer[:end], self.buffer[end:]
        return line

    def close(self):
        """Close the underlying iterator (releases a backend connection)."""
        self.closed = True
        close = getattr(self.source, 'close', None)
        if close:
            close()


def split_api_path(req, valid_api_versions):
    """``/<version>/<account>[/<container>[/<object>]]`` of ``req`` when its version is
    one of ``valid_api_versions`` (swift.conf's constraint).

    :returns: [version, account, container or None, object or None] (WSGI strs), or
        None for any other path (e.g. ``/auth/v1.0``, ``/info``): not an API request.
    """
    parts = req.split_path_or_none(2, 4, True)
    if parts is None or parts[0] not in valid_api_versions:
        return None
    return parts


def close_if_possible(iterable):
    """Call ``iterable.close()`` when it has one (WSGI app_iter rule, PEP 3333)."""
    close = getattr(iterable, 'close', None)
    if close:
        close()


def is_user_meta(server_type, key):
    """True for ``X-<server_type>-Meta-<name>`` (non-empty name)."""
    prefix = 'x-%s-meta-' % server_type.lower()
    return len(key) > len(prefix) and key.lower().startswith(prefix)


def is_sys_meta(server_type, key):
    """True for ``X-<server_type>-Sysmeta-<name>`` (non-empty name)."""
    prefix = 'x-%s-sysmeta-' % server_type.lower()
    return len(key) > len(prefix) and key.lower().startswith(prefix)


def is_sys_or_user_meta(server_type, key):
    """True for user or system metadata of ``server_type``."""
    return is_user_meta(server_type, key) or is_sys_meta(server_type, key)


def is_object_transient_sysmeta(key):
    """True for ``X-Object-Transient-Sysmeta-<name>``."""
    prefix = 'x-object-transient-sysmeta-'
    return len(key) > len(prefix) and key.lower().startswith(prefix)


def copy_header_subset(from_headers, to_headers, condition):
    """Copy the headers whose name satisfies ``condition(name)``.

    :param from_headers: mapping (or object with ``.headers``) to read.
    :param to_headers: mapping (or object with ``.headers``) to update.
    """
    source = getattr(from_headers, 'headers', from_headers)
    target = getattr(to_headers, 'headers', to_headers)
    for key, value in list(source.items()):
        if condition(key):
            target[key] = value
