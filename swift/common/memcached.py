# Memcache client used by the proxy (env['swift.cache']) for account/container info and
# tempauth tokens. It speaks memcached's text protocol (set/add/get/delete/incr/decr) and
# keeps Swift's conventions so a shared memcached works with a real Swift proxy:
#   * the wire key is md5_hex(key) (keys may hold any characters);
#   * values are JSON with flag 2 (JSON_FLAG); flag 1 (pickle) is refused, never unpickled;
#   * servers sit on a consistent-hash ring of NODE_WEIGHT md5 points each, a key goes to
#     the first point at or after md5(key) and fails over to the next distinct servers;
#   * a time to live over 30 days is an absolute epoch time (memcached's rule).
# Errors never escape to callers: a cache outage degrades to cache misses (logged).
"""MemcacheRing: Swift's memcache client."""

import bisect
import json
import logging

from swift.common import concurrency
from swift.common.clock import REAL_CLOCK
from swift.common.hashing import md5_hex

DEFAULT_MEMCACHED_PORT = 11211
NODE_WEIGHT = 50                      # ring points per server (Swift's value)
PICKLE_FLAG = 1
JSON_FLAG = 2
TRY_COUNT = 3                         # servers tried per operation
THIRTY_DAYS_S = 30 * 24 * 60 * 60     # memcached treats larger TTLs as epoch times
ERROR_LIMIT_COUNT = 10                # errors in ERROR_LIMIT_TIME_S that suppress a server
ERROR_LIMIT_TIME_S = 60.0
ERROR_LIMIT_DURATION_S = 60.0


class MemcacheError(Exception):
    """A memcached server misbehaved or could not be reached.

    :ivar server: ``host:port`` of the server.
    """

    def __init__(self, message, server=None):
        super().__init__(message)
        self.server = server


class MemcacheConnectionError(MemcacheError):
    """Raised to callers who ask for errors (``raise_on_error=True``) when every server
    tried failed."""


def sanitize_timeout(timeout, now):
    """memcached reads a TTL over 30 days as an absolute epoch time.

    :param timeout: seconds to live (int/float).
    :param now: current epoch seconds.
    :returns: int TTL to send.
    """
    timeout = float(timeout or 0)
    if timeout > THIRTY_DAYS_S:
        timeout += now
    return int(timeout)


def parse_server(server):
    """``'1.2.3.4:11211'``, ``'[::1]:11211'`` or ``'host'`` -> (host, port)."""
    server = server.strip()
    if server.startswith('['):
        host, _, rest = server[1:].partition(']')
        port = rest.lstrip(':') or DEFAULT_MEMCACHED_PORT
        return host, int(port)
    if server.count(':') == 1:
        host, port = server.split(':')
        return host, int(port)
    return server, DEFAULT_MEMCACHED_PORT


def _wire_key(key):
    """Swift's memcache key: md5 hex of the UTF-8 key."""
    return md5_hex(key if isinstance(key, bytes) else key.encode('utf-8'))


class _Connection:
    """One socket to a memcached server with a line/bytes reader."""

    def __init__(self, sock):
        self.sock = sock
        self.fp = sock.makefile('rb')

    def send(self, data):
        self.sock.sendall(data)

    def readline(self):
        line = self.fp.readline()
        if not line.endswith(b'\r\n'):
            raise MemcacheError('connection closed mid-response')
        return line[:-2]

    def read(self, size):
        data = self.fp.read(size + 2)
        if len(data) != size + 2:
            raise MemcacheError('short read')
        return data[:-2]

    def close(self):
        for closable in (self.fp, self.sock):
            try:
                closable.close()
            except OSError:
                pass


class MemcacheRing:
    """Client for a set of memcached servers.

    :param servers: list of ``host:port`` strings.
    :param connect_timeout: seconds to open a connection.
    :param io_timeout: seconds for one request/response.
    :param pool_timeout: seconds to wait for a free pooled connection.
    :param max_connections: pooled connections per server.
    :param tries: servers tried per operation.
    :param logger: logger; ``clock``: time source for TTLs and error limiting.
    :param connect: ``connect(host, port) -> socket`` (tests inject a fake).
    """

    def __init__(self, servers, connect_timeout=0.3, io_timeout=2.0, pool_timeout=1.0,
                 max_connections=2, tries=TRY_COUNT, *, logger=None, clock=None,
                 connect=None):
        if not servers:
            raise ValueError('MemcacheRing needs at least one server')
        self.servers = [s.strip() for s in servers]
        self.connect_timeout = float(connect_timeout)
        self.io_timeout = float(io_timeout)
        self.pool_timeout = float(pool_timeout)
        self.max_connections = int(max_connections)
        self.tries = min(int(tries), len(self.servers))
        self.logger = logger or logging.getLogger('swift.memcache')
        self.clock = clock or REAL_CLOCK
        self._connect = connect or self._green_connect
        self._ring = {}
        for server in self.servers:
            for index in range(NODE_WEIGHT):
                self._ring[md5_hex(('%s-%s' % (server, index)).encode('utf-8'))] = server
        self._sorted = sorted(self._ring)
        self._pools = {s: [] for s in self.servers}
        self._semaphores = {s: concurrency.Semaphore(self.max_connections)
                            for s in self.servers}
        self._errors = {s: [] for s in self.servers}
        self._limited_until = {s: 0.0 for s in self.servers}

    @staticmethod
    def _green_connect(host, port):
        return concurrency.green_socket.create_connection((host, port))

    def _servers_for(self, wire_key):
        """Distinct servers in ring order starting at ``wire_key``'s point."""
        start = bisect.bisect(self._sorted, wire_key) % len(self._sorted)
        seen = []
        for offset in range(len(self._sorted)):
            server = self._ring[self._sorted[(start + offset) % len(self._sorted)]]
            if server not in seen:
                seen.append(server)
                if len(seen) == self.tries:
                    break
        return seen

    def _error(self, server, action, err):
        now = self.clock.time()
        errors = [t for t in self._errors[server] if t > now - ERROR_LIMIT_TIME_S]
        errors.append(now)
        self._errors[server] = errors
        self.logger.error('Error talking to memcached: %s: %s (%s)', server, action, err)
        if len(errors) > ERROR_LIMIT_COUNT:
            self._limited_until[server] = now + ERROR_LIMIT_DURATION_S
            self._errors[server] = []
            self.logger.error('Error limiting server %s', server)

    def _checkout(self, server):
        """A connection to ``server``: pooled, or a transient one when the pool stays
        busy past ``pool_timeout`` (local contention under load is not a server
        failure, so it must neither fail the operation nor error-limit the server).

        :returns: (connection, pooled) where ``pooled`` says whether it holds a pool slot.
        """
        pooled = self._semaphores[server].acquire(timeout=self.pool_timeout)
        if pooled and self._pools[server]:
            return self._pools[server].pop(), True
        try:
            host, port = parse_server(server)
            with concurrency.Timeout(self.connect_timeout):
                return _Connection(self._connect(host, port)), pooled
        except BaseException:
            if pooled:
                self._semaphores[server].release()
            raise

    def _checkin(self, server, conn, reuse, pooled=True):
        if reuse and pooled:
            self._pools[server].append(conn)
        else:
            conn.close()
        if pooled:
            self._semaphores[server].release()

    def _run(self, key, action, func, raise_on_error=False):
        """Run ``func(conn, wire_key)`` on the key's servers until one answers."""
        wire_key = _wire_key(key)
        for server in self._servers_for(wire_key):
            if self._limited_until[server] > self.clock.time():
                continue
            try:
                conn, pooled = self._checkout(server)
            except (OSError, MemcacheError, concurrency.Timeout) as err:
                self._error(server, action, err)
                continue
            try:
                with concurrency.Timeout(self.io_timeout):
                    result = func(conn, wire_key)
            except (OSError, MemcacheError, concurrency.Timeout, ValueError) as err:
                self._checkin(server, conn, reuse=False, pooled=pooled)
                self._error(server, action, err)
                continue
            self._checkin(server, conn, reuse=True, pooled=pooled)
            return result
        if raise_on_error:
            raise MemcacheConnectionError('No memcached connections succeeded.')
        return None

    def close(self):
        """Close every pooled connection (the ring stays usable)."""
        for server, pool in self._pools.items():
            while pool:
                pool.pop().close()

    def set(self, key, value, serialize=True, time=0, min_compress_len=0,
            raise_on_error=False):
        """Store ``value`` (JSON-serialised when ``serialize``) under ``key``.

        :param time: seconds to live (0 = no expiry).
        :returns: True when stored, None when no server took it.
        """
        flags = 0
        if serialize:
            data = json.dumps(value).encode('ascii')
            flags = JSON_FLAG
        elif isinstance(value, bytes):
            data = value
        else:
            data = str(value).encode('utf-8')
        ttl = sanitize_timeout(time, self.clock.time())

        def do_set(conn, wire_key):
            conn.send(b'set %s %d %d %d\r\n%s\r\n' % (
                wire_key.encode('ascii'), flags, ttl, len(data), data))
            line = conn.readline()
            if line != b'STORED':
                raise MemcacheError('unexpected set reply %r' % line)
            return True
        return self._run(key, 'set', do_set, raise_on_error)

    def get(self, key, raise_on_error=False):
        """Fetch ``key``.

        :returns: the deserialised value, or None when missing / unreachable.
        """
        def do_get(conn, wire_key):
            conn.send(b'get %s\r\n' % wire_key.encode('ascii'))
            value = None
            while True:
                line = conn.readline()
                if line == b'END':
                    return value
                parts = line.split()
                if len(parts) != 4 or parts[0] != b'VALUE':
                    raise MemcacheError('unexpected get reply %r' % line)
                flags, size = int(parts[2]), int(parts[3])
                data = conn.read(size)
                if parts[1] == wire_key.encode('ascii'):
                    value = self._decode(data, flags)
        return self._run(key, 'get', do_get, raise_on_error)

    def _decode(self, data, flags):
        if flags & JSON_FLAG:
            return json.loads(data.decode('utf-8'))
        if flags & PICKLE_FLAG:
            # Never unpickle what a shared cache hands back: treat as a miss.
            self.logger.warning('Ignoring pickled memcache value')
            return None
        return data

    def delete(self, key, raise_on_error=False):
        """Delete ``key``; True when the server answered (deleted or not found)."""
        def do_delete(conn, wire_key):
            conn.send(b'delete %s\r\n' % wire_key.encode('ascii'))
            line = conn.readline()
            if line not in (b'DELETED', b'NOT_FOUND'):
                raise MemcacheError('unexpected delete reply %r' % line)
            return True
        return self._run(key, 'delete', do_delete, raise_on_error)

    def incr(self, key, delta=1, time=0, raise_on_error=False):
        """Add ``delta`` (may be negative) to the integer at ``key``, creating it with
        ``max(delta, 0)`` when missing.

        :returns: the new int value, or None when no server answered (Swift raises
            MemcacheConnectionError there; pass ``raise_on_error=True`` for that).
        """
        delta = int(delta)
        command = b'incr' if delta >= 0 else b'decr'
        ttl = sanitize_timeout(time, self.clock.time())

        def do_incr(conn, wire_key):
            key_bytes = wire_key.encode('ascii')
            conn.send(b'%s %s %d\r\n' % (command, key_bytes, abs(delta)))
            line = conn.readline()
            if line != b'NOT_FOUND':
                return int(line)
            initial = b'%d' % max(delta, 0)
            conn.send(b'add %s 0 %d %d\r\n%s\r\n' % (key_bytes, ttl, len(initial), initial))
            line = conn.readline()
            if line == b'STORED':
                return int(initial)
            if line == b'NOT_STORED':  # someone else created it meanwhile
                conn.send(b'%s %s %d\r\n' % (command, key_bytes, abs(delta)))
                return int(conn.readline())
            raise MemcacheError('unexpected add reply %r' % line)
        return self._run(key, 'incr', do_incr, raise_on_error)

    def decr(self, key, delta=1, time=0, raise_on_error=False):
        """Subtract ``delta``; see :meth:`incr`."""
        return self.incr(key, -int(delta), time, raise_on_error)

    def set_multi(self, mapping, server_key, serialize=True, time=0,
                  min_compress_len=0, raise_on_error=False):
        """Store every ``{key: value}`` on the server(s) of ``server_key``.

        :returns: True when stored, None when no server took them.
        """
        ttl = sanitize_timeout(time, self.clock.time())
        lines = []
        for key, value in mapping.items():
            data = json.dumps(value).encode('ascii') if serialize else (
                value if isinstance(value, bytes) else str(value).encode('utf-8'))
            flags = JSON_FLAG if serialize else 0
            lines.append(b'set %s %d %d %d\r\n%s\r\n' % (
                _wire_key(key).encode('ascii'), flags, ttl, len(data), data))

        def do_set_multi(conn, _wire_key):
            conn.send(b''.join(lines))
            for _ in lines:
                line = conn.readline()
                if line != b'STORED':
                    raise MemcacheError('unexpected set reply %r' % line)
            return True
        return self._run(server_key, 'set_multi', do_set_multi, raise_on_error)

    def get_multi(self, keys, server_key, raise_on_error=False):
        """Values of ``keys`` (None for missing ones) from ``server_key``'s server(s).

        :returns: list in the order of ``keys``, or None when unreachable.
        """
        wire_keys = [_wire_key(key).encode('ascii') for key in keys]

        def do_get_multi(conn, _wire_key):
            conn.send(b'get %s\r\n' % b' '.join(wire_keys))
            found = {}
            while True:
                line = conn.readline()
                if line == b'END':
                    return [found.get(k) for k in wire_keys]
                parts = line.split()
                if len(parts) != 4 or parts[0] != b'VALUE':
                    raise MemcacheError('unexpected get reply %r' % line)
                found[parts[1]] = self._decode(conn.read(int(parts[3])), int(parts[2]))
        return self._run(server_key, 'get_multi', do_get_multi, raise_on_error)
