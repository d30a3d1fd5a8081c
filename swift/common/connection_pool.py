# Keep-alive backend connections (our addition; Swift opens a new connection for every
# backend request). A proxy PUT talks to three object servers: opening three TCP
# connections per request was a quarter of the proxy's CPU, so answered connections are
# kept per (ip, port) and the next request to that server goes over one of them.
#
# The rules that keep this invisible to the protocol:
#   * a connection returns to the pool only when its response was read to the end and
#     the server did not ask to close (Content-Length framing; chunked answers close);
#   * before reuse a connection is checked without blocking: if the server has closed
#     it (idle time-out, restart, SIGHUP) it is dropped;
#   * if the server closes a reused connection while the request goes out (the race
#     the check cannot see), the request is sent again on a fresh connection, but only
#     when no byte of a body was sent yet (a PUT's body follows "100 Continue", so the
#     connection has proven alive before any body byte leaves);
#   * connections idle longer than ``idle_timeout_s`` (below the servers'
#     client_timeout) are closed, at most ``idle_max_per_host`` are kept per server:
#     an idle connection holds one of the server's max_clients green threads, so the
#     pool prunes every server's idle list at least once a second while it is used.
"""A pool of kept-alive backend HTTP connections (``http_connect`` compatible)."""

import errno
import http.client
import socket
import time

from swift.common.bufferedhttp import (BufferedHTTPConnection, BufferedHTTPResponse,
                                       http_connect_raw, quote_backend_path,
                                       send_request_head)

# Errors that mean "the server closed a kept connection before answering".
STALE_ERRORS = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError,
                http.client.RemoteDisconnected)


class PooledHTTPResponse(BufferedHTTPResponse):
    """A response that hands its connection back to the pool once its body was read to
    the end (and the server keeps the connection open)."""

    _release = None

    def _close_conn(self):
        complete = (self._release is not None and not self.will_close
                    and not self.chunked and self.length == 0)
        super()._close_conn()
        release, self._release = self._release, None
        if release is not None:
            release(complete)


class PooledHTTPConnection(BufferedHTTPConnection):
    """A :class:`BufferedHTTPConnection` that belongs to a :class:`ConnectionPool`.

    :ivar reused: True when this request went out over a connection kept from an
        earlier one (so a "closed before answering" may be the server's idle close).
    """

    response_class = PooledHTTPResponse

    def __init__(self, host, pool, key):
        super().__init__(host)
        self.pool = pool
        self.key = key
        self.reused = False
        self.idle = False
        self._request = None       # (method, path, headers) of the current request
        self._in_head = False
        self._body_bytes = 0

    # -- what went out -----------------------------------------------------------

    def start_request(self, method, path, headers):
        """Send a request head; remembers it so it can be sent again (see module)."""
        self._request = (method, path, headers)
        self._body_bytes = 0
        self._in_head = True
        try:
            send_request_head(self, method, path, headers)
        finally:
            self._in_head = False

    def send(self, data):
        if not self._in_head:
            self._body_bytes += len(data)
        super().send(data)

    # -- answers -------------------------------------------------------------------

    def getresponse(self):
        """The final response (see ``http.client.HTTPConnection.getresponse``); it
        returns this connection to the pool when its body has been read."""
        try:
            response = super().getresponse()
        except STALE_ERRORS:
            if not self._may_resend():
                raise
            self._resend()
            response = super().getresponse()
        if not response.will_close:
            response._release = self._released
        return response

    def getexpect(self):
        """The answer to ``Expect: 100-continue`` (see BufferedHTTPConnection)."""
        try:
            return super().getexpect()
        except STALE_ERRORS:
            if not self._may_resend():
                raise
            self._resend()
            return super().getexpect()

    def _may_resend(self):
        return self.reused and self._body_bytes == 0 and self._request is not None

    def _resend(self):
        self._close_socket()
        self.reused = False
        self.connect()
        self.start_request(*self._request)

    def _released(self, complete):
        if complete and self.sock is not None:
            self.pool.put(self)
        else:
            self._close_socket()

    # -- closing ---------------------------------------------------------------------

    def close(self):
        """Close the connection, unless it already went back to the pool (an earlier
        owner's late close must not break the connection's next user)."""
        if not self.idle:
            self._close_socket()

    def _close_socket(self):
        super().close()


def _peer_closed(sock):
    """True when ``sock`` can no longer carry a request: the peer closed it, or it has
    unexpected bytes waiting (never blocks)."""
    raw = getattr(sock, 'fd', sock)   # the real socket under an eventlet GreenSocket
    try:
        raw.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False            # nothing to read: alive and quiet
    except OSError as err:
        return err.errno not in (errno.EAGAIN, errno.EWOULDBLOCK)
    return True                 # EOF, or bytes nobody asked for


class ConnectionPool:
    """Idle keep-alive connections to backend servers, per (ip, port).

    :param idle_max_per_host: connections kept per server at most.
    :param idle_timeout_s: seconds a connection may stay idle before it is closed
        (keep it below the servers' ``client_timeout``, 60 by default).
    :param monotonic: clock (seconds).
    """

    PRUNE_INTERVAL_S = 1.0

    def __init__(self, idle_max_per_host=32, idle_timeout_s=10.0, monotonic=time.monotonic):
        self.idle_max_per_host = idle_max_per_host
        self.idle_timeout_s = idle_timeout_s
        self.monotonic = monotonic
        self._idle = {}    # (host, port) -> [(since, connection)], newest last
        self.created = 0   # connections opened (for tests and stats)
        self._pruned_at = monotonic()

    def http_connect(self, ipaddr, port, device, partition, method, path, headers=None,
                     query_string=None, ssl=False):
        """:func:`swift.common.bufferedhttp.http_connect` over a kept connection when
        one is idle for that server, else a new one.

        :returns: a connection with the request head sent.
        :raises OSError: when the server cannot be reached.
        """
        quoted = quote_backend_path(device, partition, path)
        return self.http_connect_raw(ipaddr, port, method, quoted, headers,
                                     query_string, ssl)

    def http_connect_raw(self, ipaddr, port, method, path, headers=None,
                         query_string=None, ssl=False):
        """:func:`swift.common.bufferedhttp.http_connect_raw` with pooling (TLS
        connections are not pooled)."""
        if ssl:
            return http_connect_raw(ipaddr, port, method, path, headers, query_string,
                                    ssl)
        host = str(ipaddr)
        if ':' in host and not host.startswith('['):
            host = '[%s]' % host
        key = (host, int(port or 80))
        if query_string:
            path += '?' + query_string
        # HTTP/1.1's default is to keep the connection: drop a "Connection: close".
        headers = {k: v for k, v in (headers or {}).items() if k.lower() != 'connection'}
        conn = self._take(key)
        if conn is not None:
            try:
                conn.start_request(method, path, headers)
                return conn
            except STALE_ERRORS:
                conn._close_socket()
        conn = PooledHTTPConnection('%s:%s' % key, self, key)
        self.created += 1
        conn.start_request(method, path, headers)
        return conn

    def put(self, conn):
        """Keep ``conn`` (its last response read in full) for the next request."""
        now = self.monotonic()
        if now - self._pruned_at >= self.PRUNE_INTERVAL_S:
            self._prune(now)
        idle = self._idle.setdefault(conn.key, [])
        if len(idle) >= self.idle_max_per_host:
            conn._close_socket()
            return
        conn.idle = True
        idle.append((now, conn))

    def _prune(self, now):
        """Close every connection idle for ``idle_timeout_s`` or more (oldest first in
        each list), and forget servers with none left."""
        self._pruned_at = now
        for key in list(self._idle):
            idle = self._idle[key]
            fresh = 0
            while fresh < len(idle) and now - idle[fresh][0] >= self.idle_timeout_s:
                fresh += 1
            for _since, conn in idle[:fresh]:
                conn.idle = False
                conn._close_socket()
            del idle[:fresh]
            if not idle:
                del self._idle[key]

    def _take(self, key):
        idle = self._idle.get(key)
        now = self.monotonic()
        while idle:
            since, conn = idle.pop()
            conn.idle = False
            if now - since < self.idle_timeout_s and not _peer_closed(conn.sock):
                conn.reused = True
                return conn
            conn._close_socket()
        return None

    def close(self):
        """Close every idle connection."""
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for _since, conn in connections:
                conn.idle = False
                conn._close_socket()
