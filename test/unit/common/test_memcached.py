"""Tests for swift.common.memcached.MemcacheRing against an in-process fake memcached."""

import json

import pytest

from swift.common import concurrency, memcached
from swift.common.hashing import md5_hex
from test.helpers.fake_clock import FakeClock


class FakeMemcached:
    """A green loopback memcached speaking the text protocol subset we use."""

    def __init__(self):
        self.sock = concurrency.listen(('127.0.0.1', 0))
        self.port = self.sock.getsockname()[1]
        self.data = {}      # wire key -> (flags, exptime, bytes)
        self.commands = []
        self.pool = concurrency.GreenPool()
        self.conns = []
        self.thread = concurrency.spawn(self._serve)

    @property
    def address(self):
        return '127.0.0.1:%d' % self.port

    def _serve(self):
        while True:
            conn, _ = self.sock.accept()
            self.conns.append(conn)
            self.pool.spawn_n(self._handle, conn)

    def _handle(self, conn):
        fp = conn.makefile('rb')
        while True:
            line = fp.readline()
            if not line:
                break
            parts = line.split()
            self.commands.append(parts[0])
            command = parts[0]
            if command in (b'set', b'add'):
                size = int(parts[4])
                value = fp.read(size + 2)[:-2]
                if command == b'add' and parts[1] in self.data:
                    conn.sendall(b'NOT_STORED\r\n')
                    continue
                self.data[parts[1]] = (int(parts[2]), int(parts[3]), value)
                conn.sendall(b'STORED\r\n')
            elif command == b'get':
                out = b''
                for key in parts[1:]:
                    if key in self.data:
                        flags, _, value = self.data[key]
                        out += b'VALUE %s %d %d\r\n%s\r\n' % (key, flags, len(value), value)
                conn.sendall(out + b'END\r\n')
            elif command == b'delete':
                found = self.data.pop(parts[1], None)
                conn.sendall(b'DELETED\r\n' if found else b'NOT_FOUND\r\n')
            elif command in (b'incr', b'decr'):
                if parts[1] not in self.data:
                    conn.sendall(b'NOT_FOUND\r\n')
                    continue
                flags, exp, value = self.data[parts[1]]
                sign = 1 if command == b'incr' else -1
                new = max(0, int(value) + sign * int(parts[2]))
                self.data[parts[1]] = (flags, exp, b'%d' % new)
                conn.sendall(b'%d\r\n' % new)
        conn.close()

    def close(self):
        self.thread.kill()
        for conn in self.conns:
            conn.close()
        self.sock.close()


@pytest.fixture
def server():
    fake = FakeMemcached()
    yield fake
    fake.close()


@pytest.fixture
def make_ring():
    """MemcacheRing factory whose pooled connections are closed after the test."""
    rings = []

    def make(*args, **kwargs):
        ring = memcached.MemcacheRing(*args, **kwargs)
        rings.append(ring)
        return ring
    yield make
    for ring in rings:
        ring.close()


def test_set_get_roundtrip_uses_json_and_md5_key(server, make_ring):
    ring = make_ring([server.address], clock=FakeClock())
    assert ring.set('account/AUTH_test', {'status': 204, 'x': [1, 'é']}, time=60) is True
    wire_key = md5_hex(b'account/AUTH_test').encode('ascii')
    flags, exptime, value = server.data[wire_key]
    assert flags == memcached.JSON_FLAG
    assert exptime == 60
    assert json.loads(value) == {'status': 204, 'x': [1, 'é']}
    assert ring.get('account/AUTH_test') == {'status': 204, 'x': [1, 'é']}
    assert ring.get('missing') is None


def test_long_ttl_becomes_absolute(server, make_ring):
    clock = FakeClock(start=1000000.0)
    ring = make_ring([server.address], clock=clock)
    ring.set('k', 1, time=memcached.THIRTY_DAYS_S + 5)
    assert server.data[md5_hex(b'k').encode()][1] == memcached.THIRTY_DAYS_S + 5 + 1000000


def test_delete_and_incr_decr(server, make_ring):
    ring = make_ring([server.address], clock=FakeClock())
    assert ring.incr('n', 5) == 5
    assert ring.incr('n', 2) == 7
    assert ring.decr('n', 3) == 4
    ring.set('k', 'v')
    assert ring.delete('k') is True
    assert ring.get('k') is None


def test_pickled_values_are_never_unpickled(server, make_ring):
    ring = make_ring([server.address], clock=FakeClock())
    server.data[md5_hex(b'k').encode()] = (memcached.PICKLE_FLAG, 0, b'cos\nsystem\n.')
    assert ring.get('k') is None


def test_unreachable_server_is_a_miss_and_fails_over(server, make_ring):
    dead = concurrency.listen(('127.0.0.1', 0))
    dead_address = '127.0.0.1:%d' % dead.getsockname()[1]
    dead.close()
    ring = make_ring([dead_address, server.address], clock=FakeClock())
    for index in range(20):
        assert ring.set('key%d' % index, index) is True
    for index in range(20):
        assert ring.get('key%d' % index) == index
    only_dead = make_ring([dead_address], clock=FakeClock())
    assert only_dead.get('x') is None
    with pytest.raises(memcached.MemcacheConnectionError):
        only_dead.get('x', raise_on_error=True)


def test_error_limiting_skips_server_for_a_while():
    clock = FakeClock()
    attempts = []

    def refuse(host, port):
        attempts.append(port)
        raise ConnectionRefusedError('nope')
    ring = memcached.MemcacheRing(['127.0.0.1:1'], clock=clock, connect=refuse)
    for _ in range(memcached.ERROR_LIMIT_COUNT + 1):
        ring.get('x')
    count = len(attempts)
    ring.get('x')
    assert len(attempts) == count   # suppressed
    clock.advance(memcached.ERROR_LIMIT_DURATION_S + 1)
    ring.get('x')
    assert len(attempts) == count + 1


def test_consistent_hashing_spreads_keys():
    ring = memcached.MemcacheRing(['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211'])
    firsts = {ring._servers_for(md5_hex(b'k%d' % i))[0] for i in range(100)}
    assert len(firsts) == 3
    assert len(set(ring._servers_for(md5_hex(b'k')))) == 3


def test_parse_server():
    assert memcached.parse_server('1.2.3.4:5') == ('1.2.3.4', 5)
    assert memcached.parse_server('[::1]:7') == ('::1', 7)
    assert memcached.parse_server('host') == ('host', 11211)


def test_set_multi_get_multi(server, make_ring):
    ring = make_ring([server.address], clock=FakeClock())
    assert ring.set_multi({'a': 1, 'b': [2]}, 'group', time=30) is True
    assert ring.get_multi(['a', 'b', 'c'], 'group') == [1, [2], None]
    assert server.data[md5_hex(b'a').encode()][1] == 30


def test_busy_pool_opens_a_transient_connection_not_an_error(server, make_ring):
    # 200 clients on one proxy worker used to time out on the 2-connection pool,
    # error-limit memcached and turn every token check into a 401 (issue 5, accept. 3)
    ring = make_ring([server.address], pool_timeout=0.01, max_connections=1)
    assert ring._semaphores[server.address].acquire()   # someone holds the only slot
    ring.set('k', {'v': 1})
    assert ring.get('k') == {'v': 1}
    assert ring._limited_until[server.address] == 0.0
    assert ring._errors[server.address] == []
    ring._semaphores[server.address].release()
    assert ring._pools[server.address] == []   # transient connections are not pooled
