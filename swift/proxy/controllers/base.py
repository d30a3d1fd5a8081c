# What every proxy controller shares: choosing nodes (primaries, then handoffs, skipping
# error-limited ones), talking to them with time-outs, and turning several backend
# answers into one client answer with a quorum (Swift's best_response):
#   * a status class (2xx, 3xx, 4xx) wins when at least `quorum` nodes answered in it;
#     the highest status of that class is returned; otherwise 503;
#   * nodes that did not answer count as 503;
#   * account/container quorum is a majority (n // 2 + 1), replicated objects
#     (n + 1) // 2 (policy.quorum).
"""Controller base class and backend request helpers."""

import os

from swift.common import concurrency
from swift.common.exceptions import ChunkReadTimeout, ConnectionTimeout
from swift.common.header_key_dict import HeaderKeyDict
from swift.common.http_status import (is_informational, is_server_error, is_success,
                                      HTTP_INSUFFICIENT_STORAGE, HTTP_NOT_FOUND)
from swift.common.swob import Request, Response, wsgi_quote, status_map
from swift.proxy.info_cache import clear_info_cache
from swift.proxy.info_cache import get_account_info  # noqa: F401 (Swift's import path)
from swift.proxy.info_cache import get_account_info_for
from swift.proxy.info_cache import get_container_info  # noqa: F401 (Swift's import path)
from swift.proxy.info_cache import get_container_info_for
from swift.proxy.node_sorting import local_first, sort_nodes

# Headers that describe one hop or carry client credentials; never forwarded.
HOP_HEADERS = frozenset(('host', 'content-length', 'transfer-encoding', 'expect',
                         'connection', 'x-auth-token', 'x-storage-token',
                         'x-service-token', 'keep-alive', 'te', 'upgrade'))
# get_account_info / get_container_info live in swift.proxy.info_cache; middlewares
# may import them from here as in Swift.
# Backend response headers the proxy sets itself (Swift's update_headers rule).
NOT_COPIED_RESPONSE_HEADERS = frozenset(('date', 'connection', 'transfer-encoding',
                                         'x-put-timestamp', 'server', 'keep-alive'))


def clone_headers(headers):
    """A copy of a HeaderKeyDict without re-normalising every key (its keys are
    already title-cased)."""
    copy = HeaderKeyDict()
    dict.update(copy, headers)
    return copy


def quorum_size(node_count):
    """Majority quorum used for accounts and containers: ``n // 2 + 1``."""
    return node_count // 2 + 1


class ShortBodyError(Exception):
    """A backend closed the connection before sending the whole body (the remote
    side's fault).

    :ivar node: the node; ``missing``: bytes still expected.
    """

    def __init__(self, node, missing):
        super().__init__('%s closed with %s bytes missing' % (node_name(node), missing))
        self.node = node
        self.missing = missing


class BackendResponse:
    """One storage node's answer (body read fully; use for non-streaming requests).

    :ivar status: int; ``reason``: str; ``headers``: HeaderKeyDict; ``body``: bytes;
        ``node``: the node dict.
    """

    def __init__(self, status, reason='', headers=None, body=b'', node=None):
        self.status = status
        self.reason = reason
        self.headers = HeaderKeyDict(headers or {})
        self.body = body
        self.node = node

    def __repr__(self):
        return '<BackendResponse %s from %s>' % (self.status, node_name(self.node))


def node_name(node):
    """``ip:port/device`` of a node (for logs and error limiting)."""
    if not node:
        return '-'
    return '%s:%s/%s' % (node.get('ip'), node.get('port'), node.get('device'))


class ErrorLimiter:
    """Remembers failing nodes and skips them for a while (Swift's error limiting).

    A node with more than ``limit`` errors within ``interval`` seconds is skipped until
    ``interval`` seconds after its last error; a 507 limits it at once.
    """

    def __init__(self, interval, limit, clock):
        self.interval = interval
        self.limit = limit
        self.clock = clock
        self.stats = {}   # node key -> [error count, last error time]

    def is_limited(self, node):
        stats = self.stats.get(node_name(node))
        if not stats:
            return False
        count, last = stats
        if self.clock.time() - last > self.interval:
            del self.stats[node_name(node)]
            return False
        return count > self.limit

    def error(self, node):
        stats = self.stats.setdefault(node_name(node), [0, 0.0])
        stats[0] += 1
        stats[1] = self.clock.time()

    def limit_now(self, node):
        self.stats[node_name(node)] = [self.limit + 1, self.clock.time()]


class NodeIter:
    """Primaries, then handoffs, at most ``node_count`` nodes in total, skipping
    error-limited ones. Shared by the greenthreads of one request (each ``next`` gives
    a distinct node).

    :param for_read: order primaries by the app's sorting_method.
    :param for_write: with write_affinity, local nodes first.
    """

    def __init__(self, app, ring, partition, primaries=None, node_count=None,
                 for_read=False, for_write=False):
        self.app = app
        self.ring = ring
        self.partition = partition
        self.primaries = list(primaries if primaries is not None
                              else ring.get_part_nodes(partition))
        self.node_count = node_count or app.config.node_count(len(self.primaries))
        self.for_read = for_read
        self.for_write = for_write
        self._iter = self._nodes()
        self.handoffs_used = 0

    def _candidates(self):
        app = self.app
        if self.for_write and app.write_affinity is not None:
            yield from local_first(
                self.primaries, lambda: self.ring.get_more_nodes(self.partition),
                app.write_affinity, app.config.local_node_count(len(self.primaries)))
            return
        primaries = self.primaries
        if self.for_read:
            primaries = sort_nodes(primaries, app.config.sorting_method, app.rng,
                                   app.node_timings, app.read_affinity)
        yield from primaries
        yield from self.ring.get_more_nodes(self.partition)

    def _nodes(self):
        given = 0
        for node in self._candidates():
            if given >= self.node_count:
                return
            if self.app.error_limiter.is_limited(node):
                continue
            if 'handoff_index' in node:
                self.handoffs_used += 1
                if self.app.config.log_handoffs:
                    self.app.logger.warning('Handoff requested (%d)', self.handoffs_used)
            given += 1
            yield node

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._iter)


class Controller:
    """Base of the account, container and object controllers.

    :param app: the proxy :class:`~swift.proxy.server.Application`.
    """

    server_type = 'Base'

    def __init__(self, app):
        self.app = app

    @property
    def logger(self):
        return self.app.logger

    # -- headers -------------------------------------------------------------

    def transfer_headers(self, src_headers, dst_headers):
        """Copy the client headers a backend of this type stores (Swift's rule):
        user meta and sysmeta, X-Remove-*-Meta-* turned into empty values, and the
        type's pass-through headers.

        :param src_headers: a mapping, or a list of (name, value) pairs.
        """
        kind = self.server_type.lower()
        remove_prefix = 'x-remove-%s-meta-' % kind
        keep_prefixes = ('x-%s-meta-' % kind, 'x-%s-sysmeta-' % kind)
        items = src_headers.items() if hasattr(src_headers, 'items') else src_headers
        for key, value in items:
            lower = key.lower()
            if lower.startswith(remove_prefix):
                dst_headers['x-%s-meta-%s' % (kind, lower[len(remove_prefix):])] = ''
            elif lower in self.remove_headers:
                dst_headers[lower.replace('x-remove-', 'x-', 1)] = ''
            elif lower.startswith(keep_prefixes) or lower in self.pass_through_headers:
                dst_headers[key] = value

    pass_through_headers = frozenset()
    remove_headers = frozenset()

    def generate_request_headers(self, req, additional=None, transfer=False):
        """Headers for a backend request made on behalf of ``req``.

        :param additional: mapping copied first (minus hop-by-hop headers).
        :param transfer: also copy this type's metadata headers from ``req``.
        :returns: HeaderKeyDict.
        """
        headers = HeaderKeyDict()
        # the client's headers live in the WSGI environ: list them once
        req_items = list(req.headers.items())
        if additional:
            source = req_items if additional is req.headers else additional.items()
            for key, value in source:
                if key.lower() not in HOP_HEADERS:
                    headers[key] = value
        if transfer:
            self.transfer_headers(req_items, headers)
        if additional is not req.headers:   # else already copied above
            for key, value in req_items:
                if key.lower().startswith('x-backend-'):
                    headers[key] = value
        trans_id = req.environ.get('swift.trans_id', '')
        headers['X-Trans-Id'] = trans_id
        headers['X-Openstack-Request-Id'] = trans_id
        headers['Connection'] = 'close'
        headers['User-Agent'] = 'proxy-server %d' % os.getpid()
        headers['Referer'] = '%s %s' % (req.method, req.url)
        if 'X-Timestamp' not in headers:
            # Swift stamps every backend request with the proxy's clock.
            headers['X-Timestamp'] = self.app.now().internal
        return headers

    # -- CORS ----------------------------------------------------------------

    def cors_container_info(self, req):
        """Container info used for CORS (None for account requests)."""
        container = getattr(self, 'container_name', None)
        if not container:
            return None
        version = req.path_info.split('/')[1] or 'v1'
        return get_container_info_for(req.environ, self.app, version, self.account_name,
                                      container)

    def OPTIONS(self, req):
        """200 with Allow; CORS preflight when Origin is given (see proxy/cors.py)."""
        from swift.proxy.cors import preflight_response
        info = self.cors_container_info(req) if req.headers.get('Origin') else None
        cors_info = None if info is None else (info.get('cors') or {})
        return preflight_response(req, self.allowed_methods, cors_info,
                                  self.app.cors_allow_origin)

    # -- accounts ------------------------------------------------------------

    def account_info(self, req, account):
        """(partition, nodes) of an existing account, or (None, None) when it does not
        exist (a fake autocreate listing counts as missing)."""
        version = req.path_info.split('/')[1] or 'v1'
        info = get_account_info_for(req.environ, self.app, version, account)
        if not is_success(info.get('status') or 0) or \
                not info.get('account_really_exists', True):
            return None, None
        return self.app.account_ring.get_nodes(*ring_key(account))

    def autocreate_account(self, req, account):
        """PUT ``account`` on its account servers; True when a quorum succeeded."""
        app = self.app
        ring = app.account_ring
        partition, nodes = ring.get_nodes(*ring_key(account))
        trans_id = req.environ.get('swift.trans_id', '')
        headers = {'X-Timestamp': app.now().internal, 'X-Trans-Id': trans_id,
                   'X-Openstack-Request-Id': trans_id, 'Connection': 'close'}
        headers.update((k, v) for k, v in req.headers.items()
                       if k.lower().startswith('x-account-sysmeta-'))
        sub_req = Request.blank(wsgi_quote('/v1/' + account),
                                environ={'swift.trans_id': trans_id}, method='PUT')
        resp = self.make_requests(sub_req, ring, partition, 'PUT', account_path(account),
                                  [headers] * len(nodes))
        clear_info_cache(req.environ, account)
        if is_success(resp.status_int):
            self.logger.info('autocreate account %r', account)
            return True
        self.logger.error('Could not autocreate account %r: %s', account, resp.status)
        return False

    # -- single backend request ----------------------------------------------

    def backend_request(self, node, partition, method, path, headers, query_string=''):
        """Send one request and read the whole answer.

        :returns: :class:`BackendResponse`, or None when the node failed (connect
            error, time-out, 507 or 5xx; the node is error-counted).
        """
        app = self.app
        try:
            with ConnectionTimeout(app.config.conn_timeout):
                conn = app.http_connect(node['ip'], node['port'], node['device'],
                                        partition, method, path, headers=headers,
                                        query_string=query_string)
            with concurrency.Timeout(app.config.node_timeout):
                resp = conn.getresponse()
                body = resp.read()
                resp.close()
        except (Exception, concurrency.Timeout) as err:
            self.node_error(node, '%s %s: %s' % (method, path, err or type(err).__name__))
            return None
        result = BackendResponse(resp.status, resp.reason or '', resp.getheaders(),
                                 body, node)
        if resp.status == HTTP_INSUFFICIENT_STORAGE:
            app.error_limiter.limit_now(node)
            self.logger.error('%s returned 507 for %s %s', node_name(node), method, path)
            return None
        if is_server_error(resp.status):
            self.node_error(node, '%s %s: status %s' % (method, path, resp.status))
            return None
        return result

    def node_error(self, node, message):
        """Count an error against ``node`` and log it."""
        self.app.error_limiter.error(node)
        self.logger.error('ERROR with %s server %s: %s', self.server_type,
                          node_name(node), message)

    def make_requests(self, req, ring, partition, method, path, headers_list,
                      query_string='', quorum=None, primaries=None):
        """Send ``method`` to every primary at once (a handoff replaces a primary that
        fails) and combine the answers.

        :param headers_list: one header dict per primary.
        :param quorum: answers needed in one status class (default majority).
        :returns: swob Response (503 without a quorum).
        """
        nodes = NodeIter(self.app, ring, partition, primaries=primaries)
        if quorum is None:
            quorum = quorum_size(len(headers_list))
        calls = [(self._request_on_any, (nodes, partition, method, path, headers,
                                         query_string)) for headers in headers_list]
        results = gather_until_quorum(
            calls, lambda done: self.best_backend(
                [r for r in done if r is not None], len(headers_list), quorum),
            self.app.config.post_quorum_timeout)
        responses = [r for r in results if r is not None]
        return self.best_response(req, responses, len(headers_list), quorum)

    def _request_on_any(self, nodes, partition, method, path, headers, query_string):
        for node in nodes:
            resp = self.backend_request(node, partition, method, path, dict(headers),
                                        query_string)
            if resp is not None:
                return resp
        return None

    def best_backend(self, responses, node_count, quorum):
        """Swift's quorum rule: the highest status of the first class (1xx..4xx) that
        at least ``quorum`` of ``responses`` fall in; None when no class does
        (missing answers count as 503)."""
        for hundred in (100, 200, 300, 400):
            in_class = [r for r in responses if hundred <= r.status < hundred + 100]
            if len(in_class) >= quorum:
                return max(in_class, key=lambda r: r.status)
        return None

    def best_response(self, req, responses, node_count, quorum, etag=None):
        """Client Response for the quorum winner (see :meth:`best_backend`), with
        the backend's headers and body; 503 when there is no quorum."""
        best = self.best_backend(responses, node_count, quorum)
        if best is None:
            statuses = [r.status for r in responses]
            statuses += [503] * max(0, node_count - len(responses))
            self.logger.error('%s returned no quorum for %s %s: %s', self.server_type,
                              req.method, req.path, statuses)
            return status_map[503](request=req)
        return self.response_from_backend(req, best, etag=etag)

    def response_from_backend(self, req, backend, etag=None, body=True):
        """A client Response mirroring ``backend`` (status, headers, body)."""
        status = backend.status
        if status == HTTP_NOT_FOUND:
            # Swift's own HTML body, whatever the backend said (wire/404.txt).
            return status_map[404](request=req)
        status_line = ('%d %s' % (status, backend.reason)) if backend.reason else status
        resp = Response(status=status_line, request=req)
        copy_response_headers(resp, backend.headers)
        if body and backend.body:
            resp.body = backend.body
        elif not is_success(status) and status >= 400:
            resp.explicit_body = False
            resp.headers['Content-Length'] = None
        else:
            resp.body = b''
        if etag:
            resp.headers['Etag'] = etag
        if req.method in ('GET', 'HEAD') and is_success(status):
            resp.headers['Accept-Ranges'] = 'bytes'
        return resp

    # -- reads with fail-over --------------------------------------------------

    def get_or_head_from_nodes(self, req, ring, partition, path, headers,
                               query_string='', good=None, newest=False, nodes=None):
        """Try nodes in order until one gives a good answer (GET/HEAD).

        :param good: predicate on a status (default 2xx/3xx).
        :param newest: ask every node and keep the answer with the newest
            X-Backend-Timestamp / X-Timestamp (X-Newest).
        :param nodes: a :class:`NodeIter` to draw from (the caller may go on using it,
            e.g. to resume a broken GET).
        :returns: (source, errors) where source is (node, http response still open)
            or None, and errors is a list of :class:`BackendResponse`.
        """
        good = good or (lambda status: 200 <= status < 400)
        errors = []
        best = None
        if nodes is None:
            nodes = NodeIter(self.app, ring, partition, for_read=True)
        for node in nodes:
            opened = self._open_read(node, partition, req.method, path, headers,
                                     query_string)
            if opened is None:
                continue
            if not good(opened.status):
                errors.append(self._read_error_answer(node, opened))
                continue
            if response_timestamp(opened) < tombstone_timestamp(errors):
                # An older copy (e.g. on a handoff) than a deletion a node reported.
                self.logger.info('Ignoring %s: older than a tombstone', node_name(node))
                opened.close()
                continue
            if not newest:
                return (node, opened), errors
            if best is None or response_timestamp(opened) > response_timestamp(best[1]):
                if best is not None:
                    best[1].close()
                best = (node, opened)
            else:
                opened.close()
        return best, errors

    def _read_error_answer(self, node, opened):
        try:
            with concurrency.Timeout(self.app.config.node_timeout):
                body = opened.read()
        except (Exception, concurrency.Timeout):
            body = b''
        opened.close()
        return BackendResponse(opened.status, opened.reason, opened.getheaders(), body,
                               node)

    def _open_read(self, node, partition, method, path, headers, query_string):
        app = self.app
        started = app.clock.monotonic()
        try:
            with ConnectionTimeout(app.config.conn_timeout):
                conn = app.http_connect(node['ip'], node['port'], node['device'],
                                        partition, method, path, headers=dict(headers),
                                        query_string=query_string)
            with concurrency.Timeout(app.config.node_timeout):
                resp = conn.getresponse()
        except (Exception, concurrency.Timeout) as err:
            app.node_timings.record(node, app.config.node_timeout)
            self.node_error(node, '%s %s: %s' % (method, path, err or type(err).__name__))
            return None
        app.node_timings.record(node, app.clock.monotonic() - started)
        if resp.status == HTTP_INSUFFICIENT_STORAGE:
            app.error_limiter.limit_now(node)
            resp.close()
            return None
        if is_server_error(resp.status) or is_informational(resp.status):
            self.node_error(node, '%s %s: status %s' % (method, path, resp.status))
            resp.close()
            return None
        return resp

    def stream_body(self, node, resp, timeout=None):
        """Iterate a backend body in chunks, each read bounded by ``timeout``
        seconds (default node_timeout)."""
        chunk_size = self.app.config.object_chunk_size
        timeout = timeout or self.app.config.node_timeout
        try:
            while True:
                with ChunkReadTimeout(timeout):
                    chunk = resp.read(chunk_size)
                if not chunk:
                    # http.client returns b'' when the server closes early; it
                    # still knows how many bytes were promised.
                    missing = getattr(resp, 'length', None)
                    if missing:
                        raise ShortBodyError(node, missing)
                    break
                yield chunk
        except (Exception, ChunkReadTimeout) as err:
            self.node_error(node, 'reading body: %s' % (err or type(err).__name__))
            raise
        finally:
            resp.close()


def response_timestamp(resp):
    """The timestamp (float) a backend response reports, 0.0 when none."""
    for name in ('X-Backend-Timestamp', 'X-Timestamp', 'X-Put-Timestamp'):
        value = resp.getheader(name)
        if value:
            try:
                return float(value.split('_')[0])
            except ValueError:
                continue
    return 0.0


def gather_until_quorum(calls, has_quorum, post_quorum_timeout):
    """Run ``calls`` (``[(func, args), ...]``) concurrently and collect results in
    the order they finish, until every call is done or ``has_quorum(results)`` is
    true; then wait at most ``post_quorum_timeout`` seconds for the stragglers (Swift's
    post_quorum_timeout: a slow node must not hold up an answer already decided).

    :returns: list of the results collected (stragglers keep running, bounded by
        their own node timeouts, and are not waited for).
    """
    queue = concurrency.LightQueue()

    def run(func, args):
        result = None
        try:
            result = func(*args)
        finally:
            queue.put(result)
    for func, args in calls:
        concurrency.spawn_n(run, func, args)
    results = []
    while len(results) < len(calls):
        results.append(queue.get())
        if has_quorum(results):
            break
    try:
        with concurrency.Timeout(post_quorum_timeout):
            while len(results) < len(calls):
                results.append(queue.get())
    except concurrency.Timeout:
        pass
    return results


def tombstone_timestamp(errors):
    """Newest X-Backend-Timestamp among 404 answers (a deletion), 0.0 if none."""
    newest = 0.0
    for backend in errors:
        value = backend.headers.get('X-Backend-Timestamp')
        if backend.status == HTTP_NOT_FOUND and value:
            try:
                newest = max(newest, float(value.split('_')[0]))
            except ValueError:
                continue
    return newest


def copy_response_headers(resp, headers):
    """Copy backend ``headers`` onto ``resp`` except the ones the proxy sets."""
    items = headers.items() if hasattr(headers, 'items') else headers
    for key, value in items:
        if key.lower() not in NOT_COPIED_RESPONSE_HEADERS:
            resp.headers[key] = value


def account_path(account):
    """Backend path of an account (WSGI strs in, WSGI str out)."""
    return '/%s' % account


def container_path(account, container):
    return '/%s/%s' % (account, container)


def object_path(account, container, obj):
    return '/%s/%s/%s' % (account, container, obj)


def quoted_client_path(account, container=None, obj=None):
    """The quoted client path ``/v1/a[/c[/o]]`` (for logs and Location headers)."""
    parts = [p for p in (account, container, obj) if p is not None]
    return wsgi_quote('/v1/' + '/'.join(parts))


class ListingController(Controller):
    """Shared GET/HEAD of accounts and containers (listing bodies are small JSON)."""

    def get_or_head_listing(self, req, ring, partition, path):
        """GET/HEAD ``path`` with fail-over; the body asks backends for JSON.

        :returns: swob Response (404 when every node said so, 503 when none answered).
        """
        headers = self.generate_request_headers(req, additional=req.headers)
        query = req.query_string
        if req.method == 'GET':
            params = req.params
            params['format'] = 'json'
            query = urlencode_wsgi(params)
        source, errors = self.get_or_head_from_nodes(
            req, ring, partition, path, headers, query_string=query,
            newest=is_true(req.headers.get('X-Newest')))
        if source is None:
            return self.error_from_backends(req, errors)
        node, resp = source
        try:
            with concurrency.Timeout(self.app.config.node_timeout):
                body = resp.read()
        except (Exception, concurrency.Timeout) as err:
            self.node_error(node, 'reading listing: %s' % (err or type(err).__name__))
            return status_map[503](request=req)
        finally:
            resp.close()
        backend = BackendResponse(resp.status, resp.reason, resp.getheaders(), body, node)
        return self.response_from_backend(req, backend)

    def error_from_backends(self, req, errors):
        """The client answer when no node gave a good one: a 4xx other than 404 if any
        node said so, else 404 when some node answered, else 503."""
        for backend in errors:
            if 400 <= backend.status < 500 and backend.status != HTTP_NOT_FOUND:
                return self.response_from_backend(req, backend)
        if errors:
            resp = status_map[404](request=req)
            for key, value in errors[0].headers.items():
                if key.lower().startswith(('x-backend-', 'x-account-status')):
                    resp.headers[key] = value
            return resp
        return status_map[503](request=req)


def urlencode_wsgi(params):
    """Encode a dict of WSGI-str query params back into a query string."""
    from urllib.parse import urlencode
    return urlencode(params, encoding='latin-1')


def is_true(value):
    """Swift's truthy header values (true, 1, yes, on, t, y)."""
    return str(value or '').strip().lower() in ('true', '1', 'yes', 'on', 't', 'y')


def csv_append(csv_string, item):
    """Append ``item`` to a comma-separated string (None/'' start empty)."""
    return '%s,%s' % (csv_string, item) if csv_string else str(item)


def ring_key(*names):
    """Ring lookups hash the raw bytes of WSGI-str names (not their re-encoding)."""
    return [name.encode('latin-1') if isinstance(name, str) else name for name in names]
