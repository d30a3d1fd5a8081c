# Access log lines in Swift's format (proxy_logging). One line per client request,
# written when the response body is done (or the client went away), with fields
# separated by spaces, each URL-quoted (spaces and unsafe bytes as %XX) and '-' when
# empty:
#   client_ip remote_addr datetime method path protocol status referer user_agent
#   auth_token bytes_recvd bytes_sent client_etag transaction_id headers request_time
#   source log_info start_time end_time policy_index
# datetime is %d/%b/%Y/%H/%M/%S (UTC); request_time %.4f; start/end %.9f. The auth
# token is cut to reveal_sensitive_prefix (16) characters plus '...', and so are the
# values of sensitive query parameters (temp_url_sig) in the path and of sensitive
# headers (tokens) in the headers field (Swift's obscure_req). The leftmost
# instance logs client requests; an instance further right logs only subrequests made
# by middlewares between them (env 'swift.proxy_access_log_made').
"""proxy_logging middleware."""

import re
import time
from urllib.parse import quote, unquote

from swift.common.config import config_true_value
from swift.common.logs import get_logger
from swift.common.swob import Request

LOG_MADE_KEY = 'swift.proxy_access_log_made'


# Characters log_quote leaves alone: most fields (numbers, times, trans ids, IPs)
# consist of these only and skip the byte-wise quoting.
_LOG_SAFE = re.compile(r"[A-Za-z0-9_.\-/:+%=&?,;@!$'()*\[\]~]+\Z")


def log_quote(value):
    """Swift's access-log quoting: unsafe bytes and spaces as %XX, empty -> '-'."""
    if value is None or value == '':
        return '-'
    if isinstance(value, str) and _LOG_SAFE.match(value):
        return value
    if isinstance(value, str):
        value = value.encode('latin-1', 'surrogateescape') if all(
            ord(c) < 256 for c in value) else value.encode('utf-8')
    return quote(value, safe='/:+%=&?,;@!$\'()*[]~') or '-'


# Swift's sensitive headers and query parameters (its registry's defaults plus the
# tempurl middleware's registration): never logged whole.
SENSITIVE_HEADERS = frozenset(('x-auth-token', 'x-storage-token', 'x-service-token'))
SENSITIVE_PARAMS = frozenset(('temp_url_sig',))


def obscure_query(query, prefix_chars):
    """``query`` with the values of :data:`SENSITIVE_PARAMS` cut by
    :func:`truncate_token` (other parameters untouched, order kept)."""
    if not query or not any(name in query for name in SENSITIVE_PARAMS):
        return query
    parts = []
    for part in query.split('&'):
        name, eq, value = part.partition('=')
        if eq and unquote(name) in SENSITIVE_PARAMS:
            part = '%s=%s' % (name, truncate_token(value, prefix_chars))
        parts.append(part)
    return '&'.join(parts)


def truncate_token(token, prefix_chars):
    """Show only the first ``prefix_chars`` of a credential."""
    if not token:
        return None
    if len(token) <= prefix_chars:
        return token
    return token[:prefix_chars] + '...'


class ProxyLoggingMiddleware:
    """:param app: next WSGI app; ``conf``: access_log_* options,
    ``reveal_sensitive_prefix`` (16), ``access_log_headers`` (false),
    ``access_log_headers_only`` (csv); ``clock`` and ``logger`` injectable."""

    def __init__(self, app, conf, logger=None, clock=None):
        self.app = app
        self.clock = clock or time
        access_conf = {'log_name': conf.get('access_log_name', 'proxy-server'),
                       'log_level': conf.get('access_log_level', 'INFO'),
                       'log_file': conf.get('access_log_file', conf.get('log_file')),
                       'log_address': conf.get('access_log_address',
                                               conf.get('log_address', '/dev/log')),
                       'log_facility': conf.get('access_log_facility',
                                                conf.get('log_facility', 'LOG_LOCAL0'))}
        self.logger = logger or get_logger(access_conf, log_route='proxy-access')
        self.reveal_prefix = int(conf.get('reveal_sensitive_prefix', 16))
        self.log_headers = config_true_value(conf.get('access_log_headers', 'false'))
        self.headers_only = [h.strip().title() for h in
                             conf.get('access_log_headers_only', '').split(',')
                             if h.strip()]

    def __call__(self, env, start_response):
        if env.get(LOG_MADE_KEY):
            return self.app(env, start_response)
        env[LOG_MADE_KEY] = True
        start_time = self.clock.time()
        req = Request(env)
        # What the client asked for, before middlewares rewrite the environ.
        env.setdefault('swift.proxy_logging_path', (req.path, req.query_string))
        input_counter = _CountingInput(env.get('wsgi.input'))
        if env.get('wsgi.input') is not None:
            env['wsgi.input'] = input_counter
        captured = {}

        def log_start_response(status, headers, exc_info=None):
            # Held back until the body is known, so a list body gets a Content-Length
            # (Swift's proxy_logging does the same).
            captured['status'] = status
            captured['headers'] = list(headers)
            captured['exc_info'] = exc_info

        try:
            body_iter = self.app(env, log_start_response)
        except Exception:
            self.log_request(req, 500, 0, input_counter.count, start_time, {})
            raise
        return self._iter_and_log(req, body_iter, captured, start_response,
                                  input_counter, start_time)

    @staticmethod
    def _send_headers(captured, body_iter, start_response):
        headers = captured['headers']
        names = {k.lower() for k, _ in headers}
        if 'content-length' not in names and 'transfer-encoding' not in names and \
                isinstance(body_iter, (list, tuple)):
            headers.append(('Content-Length', str(sum(len(c) for c in body_iter))))
        start_response(captured['status'], headers, captured.get('exc_info'))

    def _iter_and_log(self, req, body_iter, captured, start_response, input_counter,
                      start_time):
        sent = 0
        status = 499   # until the body is done: client disconnect
        headers_sent = False
        try:
            iterator = iter(body_iter)
            first = next(iterator, None)   # generator apps call start_response late
            self._send_headers(captured, body_iter, start_response)
            headers_sent = True
            if first is not None:
                sent += len(first)
                yield first
            for chunk in iterator:
                sent += len(chunk)
                yield chunk
            status = int(captured.get('status', '500').split(' ', 1)[0])
        finally:
            close = getattr(body_iter, 'close', None)
            if close:
                close()
            final = int(captured['status'].split(' ', 1)[0]) if 'status' in captured \
                else None
            if final is not None and (not headers_sent or (
                    status == 499 and (req.method == 'HEAD' or final in (204, 304)))):
                # a response without a body closed once its headers went out lost
                # nothing: not a client disconnect (e.g. a middleware's HEAD)
                status = final
            headers = dict(captured.get('headers') or [])
            self.log_request(req, status, sent, input_counter.count, start_time, headers)

    def log_request(self, req, status, bytes_sent, bytes_received, start_time,
                    resp_headers):
        """Write one access line (see the module comment for the fields)."""
        end_time = self.clock.time()
        env = req.environ
        raw_path, query = env.get('swift.proxy_logging_path',
                                  (req.path, req.query_string))
        path = quote(unquote(raw_path))
        if query:
            path += '?' + obscure_query(query, self.reveal_prefix)
        forwarded = req.headers.get('X-Forwarded-For', '').split(',')[0].strip()
        client_ip = forwarded or req.headers.get('X-Cluster-Client-Ip') or req.remote_addr
        token = req.headers.get('X-Auth-Token') or req.headers.get('X-Storage-Token')
        lower = {k.lower(): v for k, v in resp_headers.items()}
        # Swift's get_policy_index: the response's, else the one the proxy put on
        # the request (object PUT/POST/DELETE answers carry none)
        policy_index = (lower.get('x-backend-storage-policy-index')
                        or req.headers.get('X-Backend-Storage-Policy-Index')
                        or env.get('swift.policy_index'))
        fields = [
            client_ip, req.remote_addr,
            time.strftime('%d/%b/%Y/%H/%M/%S', time.gmtime(end_time)),
            env.get('swift.orig_req_method', req.method), path,
            env.get('SERVER_PROTOCOL'), str(status), req.referer, req.user_agent,
            truncate_token(token, self.reveal_prefix), str(bytes_received or 0),
            str(bytes_sent), req.headers.get('Etag'), env.get('swift.trans_id'),
            self._headers_field(req), '%.4f' % (end_time - start_time),
            env.get('swift.source'), ','.join(env.get('swift.log_info') or []),
            '%.9f' % start_time, '%.9f' % end_time, policy_index]
        # The bare logger: access lines carry the txn id as a field, not a suffix.
        access_logger = getattr(self.logger, 'logger', self.logger)
        access_logger.info(' '.join(log_quote(f) for f in fields))

    def _headers_field(self, req):
        if not self.log_headers:
            return None
        items = req.headers.items()
        if self.headers_only:
            items = [(k, v) for k, v in items if k.title() in self.headers_only]
        return '\n'.join('%s: %s' % (k, truncate_token(v, self.reveal_prefix)
                                      if k.lower() in SENSITIVE_HEADERS else v)
                         for k, v in items)


class _CountingInput:
    """Wraps wsgi.input to count the bytes the app read."""

    def __init__(self, wsgi_input):
        self.wsgi_input = wsgi_input
        self.count = 0

    def read(self, *args):
        data = self.wsgi_input.read(*args)
        self.count += len(data)
        return data

    def readline(self, *args):
        data = self.wsgi_input.readline(*args)
        self.count += len(data)
        return data

    def __iter__(self):
        for data in self.wsgi_input:
            self.count += len(data)
            yield data


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``egg:swift#proxy_logging``)."""
    conf = dict(global_conf)
    conf.update(local_conf)
    return lambda app: ProxyLoggingMiddleware(app, conf)
