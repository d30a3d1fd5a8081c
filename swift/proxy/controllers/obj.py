# Object requests for replicated policies (swift-catalog.md 5, 6; DESIGN.md 3):
#   * PUT streams the client body to every primary at once; a handoff stands in for a
#     primary that cannot be reached or answers 507/5xx. Backends get
#     "Expect: 100-continue"; one that answers with a final status instead (422 for a
#     bad zero-byte ETag, BL-08; 412 for If-None-Match; 409 for an older timestamp)
#     counts as answered. Success needs policy.quorum = (replicas + 1) // 2 answers 2xx.
#   * Each primary's request carries its share of X-Container-Host/-Device (and
#     X-Delete-At-* for expiring objects) so every container replica gets an update.
#   * GET/HEAD try primaries then handoffs until one answers 2xx/3xx/412/416; with
#     X-Newest every node is asked and the newest timestamp wins.
"""ObjectController (replicated policies)."""

import math
import mimetypes

from swift.common import concurrency
from swift.common.constraints import ConstraintError, check_metadata, check_name
from swift.common.exceptions import (ChunkReadTimeout, ChunkWriteTimeout,
                                     ConnectionTimeout)
from swift.common.hashing import hash_path
from swift.common.http_status import (HTTP_CONFLICT, HTTP_CONTINUE,
                                      HTTP_INSUFFICIENT_STORAGE,
                                      HTTP_PRECONDITION_FAILED, is_server_error,
                                      is_success)
from swift.common.swob import (HTTPAccepted, HTTPBadRequest, HTTPClientDisconnect,
                               HTTPLengthRequired, HTTPNotFound, HTTPPreconditionFailed,
                               HTTPRequestEntityTooLarge, HTTPRequestTimeout,
                               HTTPServerError, HTTPServiceUnavailable, Response,
                               status_map, wsgi_to_str)
from swift.common.storage_policy import REPL_POLICY
from swift.common.timestamp import Timestamp, normalize_delete_at_timestamp
from swift.proxy.controllers.base import (BackendResponse, Controller, NodeIter,
                                          clone_headers, copy_response_headers,
                                          csv_append,
                                          gather_until_quorum, is_true, node_name,
                                          object_path, ring_key)
from swift.proxy.info_cache import get_container_info_for


def object_good_status(status):
    """GET/HEAD answers that end the search for a node (Swift: 2xx, 3xx, 412, 416)."""
    return 200 <= status < 400 or status in (412, 416)


def clean_content_type(value):
    """Drop the internal ``swift_bytes=`` parameter from a stored Content-Type."""
    if 'swift_bytes=' not in value:
        return value
    parts = [p for p in value.split(';') if not p.strip().startswith('swift_bytes=')]
    return ';'.join(parts)


def resumable_span(backend):
    """(first byte, last byte) of a 200 or single-range 206 answer, or None."""
    try:
        if backend.status == 200:
            length = int(backend.getheader('Content-Length'))
            return (0, length - 1) if length else None
        if backend.status == 206:
            content_range = backend.getheader('Content-Range') or ''
            first, last = content_range.split()[1].split('/')[0].split('-')
            return int(first), int(last)
    except (TypeError, ValueError, IndexError):
        pass
    return None


def num_container_updates(container_replicas, container_quorum, object_replicas,
                          object_quorum):
    """How many object requests carry a container update (Swift's rule): every
    container replica gets one, and any object quorum implies a container quorum."""
    return max(container_replicas,
               container_quorum + object_replicas - object_quorum)


def expirer_container(delete_at, divisor, account, container, obj, hash_config):
    """The ``.expiring_objects`` task container of an object (catalog 5):
    ``delete_at // divisor * divisor - int(hash_path(a, c, o), 16) % 100``, ``%010d``."""
    shard = int(hash_path(account, container, obj, config=hash_config), 16) % 100
    return normalize_delete_at_timestamp(int(delete_at) // divisor * divisor - shard)


class Putter:
    """One backend object-server connection of a PUT.

    :ivar final: the backend's final :class:`BackendResponse` once known (early, for
        an answer sent instead of 100 Continue, or after the body).
    """

    def __init__(self, conn, node, chunked):
        self.conn = conn
        self.node = node
        self.chunked = chunked
        self.final = None
        self.failed = False

    def send(self, chunk):
        if self.chunked:
            self.conn.send_chunk(chunk)
        else:
            self.conn.send(chunk)

    def finish(self):
        if self.chunked:
            self.conn.send_last_chunk()


class ObjectController(Controller):
    """Handles ``/v1/<account>/<container>/<object>`` (names are WSGI strs)."""

    server_type = 'Object'
    allowed_methods = ('GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS')

    def __init__(self, app, account_name, container_name, object_name, **_kwargs):
        super().__init__(app)
        self.account_name = account_name
        self.container_name = container_name
        self.object_name = object_name

    def _path(self):
        return object_path(self.account_name, self.container_name, self.object_name)

    def container_info(self, req):
        version = req.path_info.split('/')[1] or 'v1'
        return get_container_info_for(req.environ, self.app, version, self.account_name,
                                      self.container_name)

    def _prepare(self, req, acl_key):
        """Container info, policy and auth for a request.

        :returns: (info, policy, denial Response or None).
        """
        info = self.container_info(req)
        policy_index = req.headers.get('X-Backend-Storage-Policy-Index',
                                       info.get('storage_policy') or '0')
        policy = self.app.policies.get_by_index(policy_index)
        req.acl = info.get(acl_key)
        authorize = req.environ.get('swift.authorize')
        denial = authorize(req) if authorize else None
        if policy is None and denial is None:
            denial = HTTPServiceUnavailable(request=req, body=(
                'No policy with index %s' % policy_index).encode('utf-8'))
        if policy is not None and policy.policy_type != REPL_POLICY and denial is None:
            # Only replicated policies have a controller here (no EC yet).
            self.logger.error('Policy %s has unsupported type %s', policy.name,
                              policy.policy_type)
            denial = HTTPServiceUnavailable(request=req, body=(
                'Storage policy %s (%s) is not supported by this proxy'
                % (policy.name, policy.policy_type)).encode('utf-8'))
        if policy is not None:
            req.headers['X-Backend-Storage-Policy-Index'] = str(policy.idx)
        return info, policy, denial

    def _object_ring(self, policy):
        ring = self.app.get_object_ring(policy.idx)
        partition = ring.get_part(*ring_key(self.account_name, self.container_name,
                                            self.object_name))
        return ring, partition

    # -- reads -----------------------------------------------------------------

    def GETorHEAD(self, req):
        """Object body/metadata from the first node with a good answer."""
        _info, policy, denial = self._prepare(req, 'read_acl')
        if denial:
            return denial
        ring, partition = self._object_ring(policy)
        headers = self.generate_request_headers(req, additional=req.headers)
        nodes = NodeIter(self.app, ring, partition, for_read=True)
        source, errors = self.get_or_head_from_nodes(
            req, ring, partition, self._path(), headers, good=object_good_status,
            newest=is_true(req.headers.get('X-Newest')), nodes=nodes)
        if source is None:
            return self._read_error(req, errors)
        node, backend = source
        resp = Response(status='%d %s' % (backend.status, backend.reason), request=req)
        copy_response_headers(resp, backend.getheaders())
        resp.headers['Accept-Ranges'] = 'bytes'
        if ';' in resp.headers.get('Content-Type', ''):
            resp.headers['Content-Type'] = clean_content_type(resp.headers['Content-Type'])
        if req.method == 'HEAD' or backend.status in (204, 304):
            backend.close()
        else:
            span = resumable_span(backend)
            if span is None:
                resp.app_iter = self.stream_body(node, backend)
            else:
                resp.app_iter = self._resumable_body(nodes, partition, headers, node,
                                                     backend, span)
        return resp

    def _resumable_body(self, nodes, partition, headers, node, backend, span):
        """Stream a body; when a backend fails mid-way, go on from the next node
        with ``Range`` and ``If-Match`` so the client gets one correct body."""
        start, end = span
        etag = backend.getheader('Etag')
        sent = 0
        while True:
            try:
                # Another replica can take over, so a slow read may give up sooner.
                for chunk in self.stream_body(node, backend,
                                              self.app.config.recoverable_node_timeout):
                    sent += len(chunk)
                    yield chunk
                return
            except (Exception, ChunkReadTimeout):
                if start + sent > end:
                    return
                resumed = self._resume_source(nodes, partition, headers, etag,
                                              start + sent, end)
                if resumed is None:
                    self.logger.error('Object GET could not resume at byte %s of %s',
                                      start + sent, self._path())
                    raise
                node, backend = resumed

    def _resume_source(self, nodes, partition, headers, etag, first, last):
        headers = dict(headers)
        headers['Range'] = 'bytes=%d-%d' % (first, last)
        if etag:
            headers['If-Match'] = etag
        for node in nodes:
            opened = self._open_read(node, partition, 'GET', self._path(), headers, '')
            if opened is None:
                continue
            if opened.status == 206 and opened.getheader('Etag') == etag:
                return node, opened
            opened.close()
        return None

    GET = GETorHEAD
    HEAD = GETorHEAD

    def _read_error(self, req, errors):
        for backend in errors:
            if 400 <= backend.status < 500 and backend.status != 404:
                return self.response_from_backend(req, backend)
        if errors:
            return HTTPNotFound(request=req)
        return HTTPServiceUnavailable(request=req)

    # -- metadata / delete -------------------------------------------------------

    def POST(self, req):
        """Replace the object's user metadata (202)."""
        info, policy, denial = self._prepare(req, 'write_acl')
        if denial:
            return denial
        if not is_success(info.get('status') or 0):
            return HTTPNotFound(request=req)
        error = self._check_metadata(req) or self._delete_at_error(req)
        if error:
            return error
        return self._write_without_body(req, info, policy, 'POST')

    def DELETE(self, req):
        """Delete the object (204; 404 when no replica had it)."""
        info, policy, denial = self._prepare(req, 'write_acl')
        if denial:
            return denial
        if not is_success(info.get('status') or 0):
            return HTTPNotFound(request=req)
        return self._write_without_body(req, info, policy, 'DELETE')

    def _write_without_body(self, req, info, policy, method):
        error = self._stamp(req)
        if error:
            return error
        ring, partition = self._object_ring(policy)
        primaries = ring.get_part_nodes(partition)
        headers = self._backend_headers(req, len(primaries), policy)
        resp = self.make_requests(req, ring, partition, method, self._path(), headers,
                                  quorum=policy.quorum(len(primaries)),
                                  primaries=primaries)
        if method == 'POST' and is_success(resp.status_int):
            resp.status = 202
        return resp

    # -- PUT --------------------------------------------------------------------

    def PUT(self, req):
        """Store an object (201 with ETag and Last-Modified)."""
        info, policy, denial = self._prepare(req, 'write_acl')
        if denial:
            return denial
        if not is_success(info.get('status') or 0):
            return HTTPNotFound(request=req)
        error = self._check_put(req)
        if error:
            return error
        error = self._stamp(req)
        if error:
            return error
        ring, partition = self._object_ring(policy)
        primaries = ring.get_part_nodes(partition)
        headers = self._backend_headers(req, len(primaries), policy)
        return self._store(req, ring, partition, primaries, headers, policy)

    def _stamp(self, req):
        """The write's X-Timestamp: the proxy's clock, or the one an internal client
        sent (clients' own are moved aside by gatekeeper); 400 when invalid."""
        value = req.headers.get('X-Timestamp')
        if not value:
            req.headers['X-Timestamp'] = self.app.now().internal
            return None
        try:
            req.headers['X-Timestamp'] = Timestamp(value).internal
        except ValueError:
            return HTTPBadRequest(request=req, content_type='text/plain', body=(
                'X-Timestamp should be a UNIX timestamp float value; was %r'
                % value).encode('utf-8'))
        return None

    def _check_put(self, req):
        """Swift's check_object_creation: 411, 413, 400 (name, metadata, delete-at)."""
        try:
            length = req.message_length()
        except Exception as err:  # swob raises its HTTP errors (400/501)
            if isinstance(err, Response):
                return err
            raise
        if req.headers.get('If-None-Match', '*') != '*':
            return HTTPBadRequest(request=req, content_type='text/plain',
                                  body=b'If-None-Match only supports *')
        chunked = 'chunked' in req.headers.get('Transfer-Encoding', '').lower()
        if length is None and not chunked:
            return HTTPLengthRequired(request=req)
        if length is not None and length > self.app.constraints.max_file_size:
            return HTTPRequestEntityTooLarge(request=req,
                                             body=b'Your request is too large.')
        try:
            check_name(self.object_name, 'object', self.app.constraints)
        except ConstraintError as err:
            return status_map[err.status](request=req, content_type='text/plain',
                                          body=err.body.encode('utf-8'))
        if not req.headers.get('Content-Type') or is_true(
                req.headers.get('X-Detect-Content-Type')):
            guessed, _ = mimetypes.guess_type(wsgi_to_str(self.object_name))
            req.headers['Content-Type'] = guessed or 'application/octet-stream'
        return self._check_metadata(req) or self._delete_at_error(req)

    def _check_metadata(self, req):
        try:
            check_metadata(req.headers, 'object', self.app.constraints)
        except ConstraintError as err:
            return HTTPBadRequest(request=req, content_type='text/plain',
                                  body=err.body.encode('utf-8'))
        return None

    def _delete_at_error(self, req):
        """Turn X-Delete-After into X-Delete-At and validate it (400 on error)."""
        now = self.app.now().timestamp
        if 'X-Delete-After' in req.headers:
            try:
                after = int(req.headers['X-Delete-After'])
            except ValueError:
                return HTTPBadRequest(request=req, content_type='text/plain',
                                      body=b'Non-integer X-Delete-After')
            if after < 0:
                return HTTPBadRequest(request=req, content_type='text/plain',
                                      body=b'X-Delete-After in past')
            req.headers['X-Delete-At'] = str(int(now + after))
            del req.headers['X-Delete-After']
        if 'X-Delete-At' in req.headers:
            try:
                # int() first: Swift refuses a fractional X-Delete-At such as '1.5'
                delete_at = int(normalize_delete_at_timestamp(
                    int(req.headers['X-Delete-At'])))
            except ValueError:
                return HTTPBadRequest(request=req, content_type='text/plain',
                                      body=b'Non-integer X-Delete-At')
            if delete_at < now:
                return HTTPBadRequest(request=req, content_type='text/plain',
                                      body=b'X-Delete-At in past')
            req.headers['X-Delete-At'] = str(delete_at)
        return None

    def _backend_headers(self, req, count, policy):
        """One header dict per primary, each with its share of container (and
        expirer-queue) updates."""
        app = self.app
        base = self.generate_request_headers(req, additional=req.headers)
        headers = [clone_headers(base) for _ in range(count)]
        container_ring = app.container_ring
        cpartition, containers = container_ring.get_nodes(
            *ring_key(self.account_name, self.container_name))
        updates = min(count, num_container_updates(
            len(containers), len(containers) // 2 + 1, count, policy.quorum(count)))
        delete_at_nodes = []
        if 'X-Delete-At' in req.headers:
            delete_at_container = expirer_container(
                req.headers['X-Delete-At'], app.config.expiring_objects_container_divisor,
                *ring_key(self.account_name, self.container_name, self.object_name),
                app.hash_config)
            account = (app.constraints.auto_create_account_prefix
                       + app.config.expiring_objects_account_name)
            dpartition, delete_at_nodes = container_ring.get_nodes(
                *ring_key(account, delete_at_container))
        for index in range(max(updates, len(containers))):
            slot = headers[index % count]
            container = containers[index % len(containers)]
            slot['X-Container-Partition'] = str(cpartition)
            slot['X-Container-Host'] = csv_append(slot.get('X-Container-Host'),
                                                  '%(ip)s:%(port)s' % container)
            slot['X-Container-Device'] = csv_append(slot.get('X-Container-Device'),
                                                    container['device'])
            if delete_at_nodes:
                node = delete_at_nodes[index % len(delete_at_nodes)]
                slot['X-Delete-At-Container'] = delete_at_container
                slot['X-Delete-At-Partition'] = str(dpartition)
                slot['X-Delete-At-Host'] = csv_append(slot.get('X-Delete-At-Host'),
                                                      '%(ip)s:%(port)s' % node)
                slot['X-Delete-At-Device'] = csv_append(slot.get('X-Delete-At-Device'),
                                                        node['device'])
        if delete_at_nodes:
            for index, slot in enumerate(headers):
                slot['X-Backend-Clean-Expiring-Object-Queue'] = (
                    't' if index < policy.quorum(count) else 'f')
        return headers

    def _store(self, req, ring, partition, primaries, headers_list, policy):
        quorum = policy.quorum(len(primaries))
        length = req.message_length()
        nodes = NodeIter(self.app, ring, partition, primaries=primaries, for_write=True)
        pile = concurrency.GreenPile(len(headers_list))
        for headers in headers_list:
            pile.spawn(self._connect_any, nodes, partition, headers, length)
        putters = [p for p in pile if p is not None]
        streaming = [p for p in putters if p.final is None]
        error = self._early_answer(req, putters, quorum) or \
            self._send_body(req, streaming, putters, quorum, length)
        if error is not None:
            # Backends waiting for a body must not wait for their time-out.
            for putter in streaming:
                putter.conn.close()
            return error
        self._collect_responses(putters, streaming, len(primaries), quorum)
        answered = [p.final for p in putters if p.final is not None]
        best = self.best_backend(answered, len(primaries), quorum)
        if best is None:
            self.logger.error('Object PUT returning 503, %s/%s required answers: %s',
                              len(answered), quorum, [r.status for r in answered])
            return HTTPServiceUnavailable(request=req)
        if best.status == HTTP_CONFLICT:
            # A newer copy already exists: Swift answers 202 (the write is moot).
            return HTTPAccepted(request=req)
        return self._put_response(req, best, answered)

    def _connect_any(self, nodes, partition, headers, length):
        """Connect one primary slot (or the handoff standing in for it)."""
        headers = dict(headers)
        headers['Expect'] = '100-continue'
        if length is None:
            headers['Transfer-Encoding'] = 'chunked'
        else:
            headers['Content-Length'] = str(length)
        for node in nodes:
            putter = self._connect_put_node(node, partition, headers, length is None)
            if putter is not None:
                return putter
        return None

    def _connect_put_node(self, node, partition, headers, chunked):
        app = self.app
        try:
            with ConnectionTimeout(app.config.conn_timeout):
                conn = app.http_connect(node['ip'], node['port'], node['device'],
                                        partition, 'PUT', self._path(), headers=headers)
            with concurrency.Timeout(app.config.node_timeout):
                expect = conn.getexpect()
                putter = Putter(conn, node, chunked)
                if expect.status != HTTP_CONTINUE:
                    putter.final = BackendResponse(expect.status, expect.reason,
                                                   expect.getheaders(), expect.read(),
                                                   node)
                    expect.close()
                    conn.close()
        except (Exception, concurrency.Timeout) as err:
            self.node_error(node, 'PUT connect: %s' % (err or type(err).__name__))
            return None
        if putter.final is not None and putter.final.status == HTTP_INSUFFICIENT_STORAGE:
            app.error_limiter.limit_now(node)
            return None
        if putter.final is not None and is_server_error(putter.final.status):
            self.node_error(node, 'PUT expect: status %s' % putter.final.status)
            return None
        return putter

    def _early_answer(self, req, putters, quorum):
        """412 if a node already has it (If-None-Match: *), 202 if a newer copy exists
        (409), 503 when too few nodes could be reached; None to go on."""
        finals = [p.final.status for p in putters if p.final is not None]
        if HTTP_PRECONDITION_FAILED in finals:
            return HTTPPreconditionFailed(request=req)
        if HTTP_CONFLICT in finals:
            return HTTPAccepted(request=req)
        if len(putters) < quorum:
            self.logger.error('Object PUT returning 503, %s/%s required connections',
                              len(putters), quorum)
            return HTTPServiceUnavailable(request=req)
        return None

    def _send_body(self, req, streaming, putters, quorum, length):
        """Copy the client body to every streaming putter.

        :returns: an error Response, or None when the body went out.
        """
        app = self.app
        body = req.environ['wsgi.input']
        received = 0
        answered_early = len(putters) - len(streaming)
        while True:
            to_read = app.config.client_chunk_size
            if length is not None:
                to_read = min(to_read, length - received)
                if to_read <= 0:
                    break
            try:
                with ChunkReadTimeout(app.config.client_timeout):
                    chunk = body.read(to_read)
            except ChunkReadTimeout:
                self.logger.warning('ERROR Client read timeout (%ss)',
                                    app.config.client_timeout)
                return HTTPRequestTimeout(request=req)
            except (OSError, ValueError) as err:
                self.logger.warning('ERROR Client read error: %s', err)
                return HTTPClientDisconnect(request=req)
            if not chunk:
                if length is not None and received < length:
                    self.logger.warning('Client disconnected without sending enough data')
                    return HTTPClientDisconnect(request=req)
                break
            received += len(chunk)
            if received > app.constraints.max_file_size:
                return HTTPRequestEntityTooLarge(request=req)
            self._send_to_all(streaming, chunk)
            if len([p for p in streaming if not p.failed]) + answered_early < quorum:
                self.logger.error('Object PUT exceptions during send, %s required', quorum)
                return HTTPServiceUnavailable(request=req)
        for putter in streaming:
            if not putter.failed:
                try:
                    with ChunkWriteTimeout(app.config.node_timeout):
                        putter.finish()
                except (Exception, ChunkWriteTimeout) as err:
                    self._putter_failed(putter, err)
        return None

    def _send_to_all(self, streaming, chunk):
        for putter in streaming:
            if putter.failed:
                continue
            try:
                with ChunkWriteTimeout(self.app.config.node_timeout):
                    putter.send(chunk)
            except (Exception, ChunkWriteTimeout) as err:
                self._putter_failed(putter, err)

    def _putter_failed(self, putter, err):
        putter.failed = True
        self.node_error(putter.node, 'PUT send: %s' % (err or type(err).__name__))
        try:
            putter.conn.close()
        except OSError:
            pass

    def _collect_responses(self, putters, streaming, node_count, quorum):
        """Read the final answers of the streaming putters, not waiting longer than
        post_quorum_timeout for slow ones once the outcome is decided."""
        def decided(_done):
            answered = [p.final for p in putters if p.final is not None]
            return self.best_backend(answered, node_count, quorum) is not None
        calls = [(self._get_final, (putter,)) for putter in streaming
                 if not putter.failed]
        gather_until_quorum(calls, decided, self.app.config.post_quorum_timeout)

    def _get_final(self, putter):
        try:
            with concurrency.Timeout(self.app.config.node_timeout):
                resp = putter.conn.getresponse()
                body = resp.read()
                resp.close()
        except (Exception, concurrency.Timeout) as err:
            self._putter_failed(putter, err)
            return
        putter.final = BackendResponse(resp.status, resp.reason, resp.getheaders(),
                                       body, putter.node)
        if resp.status == HTTP_INSUFFICIENT_STORAGE:
            self.app.error_limiter.limit_now(putter.node)
        elif is_server_error(resp.status):
            self.node_error(putter.node, 'PUT final status %s' % resp.status)

    def _put_response(self, req, best, answered):
        etags = {r.headers.get('Etag', '').strip('"') for r in answered
                 if is_success(r.status) and r.headers.get('Etag')}
        if len(etags) > 1:
            self.logger.error('Object servers returned %s mismatched etags', len(etags))
            return HTTPServerError(request=req)
        resp = Response(status='%d %s' % (best.status, best.reason), request=req)
        if best.body:
            resp.body = best.body
        elif best.status >= 400:
            resp.explicit_body = False
        else:
            resp.body = b''
        if best.headers.get('Content-Type') and best.body:
            resp.headers['Content-Type'] = best.headers['Content-Type']
        if is_success(best.status):
            if etags:
                resp.headers['Etag'] = etags.pop()
            resp.last_modified = math.ceil(float(Timestamp(req.headers['X-Timestamp'])))
        return resp


__all__ = ['ObjectController', 'expirer_container', 'num_container_updates',
           'object_good_status', 'node_name']
