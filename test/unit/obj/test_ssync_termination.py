"""THE GUARANTEE of the ssync sender (swift-catalog.md 5, change Ic17c6c30): its chunked
request always ends with ``0\\r\\n\\r\\n`` before the connection closes, in every phase
and on every failure - proven on the wire against our real receiver (the object server
app under eventlet.wsgi on a loopback port, behind a recording relay) and against a raw
socket server that records the bytes and scripts the answers."""

import hashlib
import io
import os
import socket

import pytest

from swift.common import concurrency
from swift.common.hashing import HashPathConfig
from swift.common.timestamp import Timestamp
from swift.obj import ssync
from swift.obj.diskfile import DiskFileConfig, DiskFileManager
from swift.obj.ssync_receiver import service_for
from swift.obj.ssync_sender import SenderConfig, SsyncSender
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_clock import FakeClock

HASH_CONFIG = HashPathConfig(b'pre', b'suf')
SWIFT_CONF = """[swift-hash]
swift_hash_path_prefix = pre
swift_hash_path_suffix = suf

[storage-policy:0]
name = gold
default = yes
"""
CHUNK_ERRORS = ('chunked encoding error', 'invalid literal for int() with base 16',
                'ChunkReadError')
WAIT_S = 10.0   # upper bound on waiting for a condition (normally milliseconds)


# ------------------------------------------------------------------ fixtures

def make_manager(devices):
    return DiskFileManager(DiskFileConfig(devices=devices, mount_check=False),
                           logger=DebugLogger('sender'), clock=FakeClock(),
                           hash_config=HASH_CONFIG)


def put_object(manager, name, body=b'x' * 100, timestamp=None, etag=None, extra=None,
               partition='0'):
    account, container, obj = name.split('/', 2)
    timestamp = timestamp or Timestamp(1700000000.5)
    disk_file = manager.get_diskfile('sda', partition, account, container, obj)
    metadata = {'X-Timestamp': timestamp.internal, 'Content-Type': 'text/plain',
                'Content-Length': str(len(body)),
                'ETag': etag or hashlib.md5(body).hexdigest()}
    metadata.update(extra or {})
    with disk_file.create(size=len(body)) as writer:
        writer.write(body)
        writer.put(metadata)
    return disk_file


def suffixes_of(manager, partition='0'):
    path = manager.partition_path('sda', partition, 0)
    return sorted(s for s in os.listdir(path) if len(s) == 3)


class Relay:
    """A loopback TCP relay in front of a server that records client->server bytes
    and finishes when both directions have closed."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = concurrency.listen(('127.0.0.1', 0))
        self.port = self.listener.getsockname()[1]
        self.received = bytearray()
        self.done = concurrency.Event()
        self.thread = concurrency.spawn(self._serve)

    def _serve(self):
        client, _ = self.listener.accept()
        upstream = concurrency.green_socket.create_connection(
            ('127.0.0.1', self.target_port))
        back = concurrency.spawn(self._pump, upstream, client, None)
        self._pump(client, upstream, self.received)
        upstream.shutdown(socket.SHUT_WR)
        back.wait()
        client.close()
        upstream.close()
        self.done.send(True)

    @staticmethod
    def _pump(source, dest, record):
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b''
            if not data:
                return
            if record is not None:
                record.extend(data)
            try:
                dest.sendall(data)
            except OSError:
                pass

    def wait(self):
        with concurrency.Timeout(WAIT_S):
            self.done.wait()
        for _ in range(20):   # let the server finish discarding and logging
            concurrency.greenthread_yield()

    def request_body(self):
        head, sep, body = bytes(self.received).partition(b'\r\n\r\n')
        assert sep, 'no request head recorded'
        return head, body


class ReceiverServer:
    """The object server app (with its SSYNC verb) under eventlet.wsgi."""

    def __init__(self, tmp_path, name='receiver', **conf):
        swift_dir = tmp_path / 'etc'
        swift_dir.mkdir(exist_ok=True)
        (swift_dir / 'swift.conf').write_text(SWIFT_CONF)
        self.devices = str(tmp_path / name)
        os.makedirs(os.path.join(self.devices, 'sda'), exist_ok=True)
        from swift.obj.server import build_controller
        base = {'swift_dir': str(swift_dir), 'devices': self.devices,
                'mount_check': 'false'}
        base.update(conf)
        self.logger = DebugLogger('receiver')
        self.controller = build_controller(base, logger=self.logger)
        self.service = service_for(self.controller, base)
        self.app = self.controller
        if not hasattr(self.controller, 'SSYNC'):
            self.app = self._routing_app
        self.log = io.StringIO()
        self.listener = concurrency.listen(('127.0.0.1', 0))
        self.port = self.listener.getsockname()[1]
        self.thread = concurrency.spawn(concurrency.wsgi.server, self.listener, self.app,
                                        log=self.log, debug=False)

    def _routing_app(self, environ, start_response):
        from swift.common.swob import HTTPException, Request
        if environ['REQUEST_METHOD'] != 'SSYNC':
            return self.controller(environ, start_response)
        request = Request(environ)
        try:
            response = self.service.handle(request)
        except HTTPException as err:
            response = err
        return response(environ, start_response)

    def manager(self):
        return self.controller.diskfile_manager

    def stop(self):
        self.thread.kill()
        try:
            self.listener.close()
        except OSError:
            pass

    def log_text(self):
        return self.log.getvalue() + '\n'.join(self.logger.all_lines())


def node_for(port, device='sda'):
    return {'replication_ip': '127.0.0.1', 'replication_port': port, 'device': device,
            'ip': '127.0.0.1', 'port': port, 'id': 1, 'region': 1, 'zone': 1}


@pytest.fixture
def receiver(tmp_path):
    server = ReceiverServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def sender_manager(tmp_path):
    devices = tmp_path / 'sender'
    (devices / 'sda').mkdir(parents=True)
    return make_manager(str(devices))


def run_via_relay(server_port, manager, suffixes, device='sda', config=SenderConfig(),
                  **kwargs):
    relay = Relay(server_port)
    logger = DebugLogger('ssync-sender')
    sender = SsyncSender(manager, node_for(relay.port, device), 'sda', '0', 0, suffixes,
                         config=config, logger=logger, **kwargs)
    result = sender()
    relay.wait()
    return result, relay, logger, sender


def assert_terminated(relay):
    head, body = relay.request_body()
    assert head.startswith(b'SSYNC /') and b'/0 HTTP/1.1' in head.split(b'\r\n')[0]
    assert b'Transfer-Encoding: chunked' in head
    assert body.endswith(ssync.LAST_CHUNK)
    assert ssync.is_complete_chunked_body(body), body[-200:]


def assert_no_chunk_error(server, capfd):
    captured = capfd.readouterr()
    text = server.log_text() + captured.err + captured.out
    for needle in CHUNK_ERRORS:
        assert needle not in text, text


# ------------------------------------------------------------------ real receiver

class TestAgainstRealReceiver:

    def test_success_syncs_objects_and_terminates(self, receiver, sender_manager, capfd):
        put_object(sender_manager, 'a/c/o1', b'hello')
        put_object(sender_manager, 'a/c/o2', b'world' * 1000,
                   extra={'Content-Disposition': 'attachment; filename=x.txt',
                          'Content-Encoding': 'gzip', 'X-Object-Meta-Color': 'blue'})
        (success, in_sync), relay, logger, _ = run_via_relay(
            receiver.port, sender_manager, suffixes_of(sender_manager))
        assert success, logger.all_lines()
        assert len(in_sync) == 2
        assert_terminated(relay)
        assert_no_chunk_error(receiver, capfd)
        copy = receiver.manager().get_diskfile('sda', '0', 'a', 'c', 'o2')
        metadata = copy.read_metadata()
        # field case BL-24: allowed headers survive ssync, not only user metadata
        assert metadata['Content-Disposition'] == 'attachment; filename=x.txt'
        assert metadata['Content-Encoding'] == 'gzip'
        assert metadata['X-Object-Meta-Color'] == 'blue'
        assert metadata['ETag'] == hashlib.md5(b'world' * 1000).hexdigest()

    def test_error_status_at_connect(self, receiver, sender_manager, capfd):
        put_object(sender_manager, 'a/c/o1')
        (success, in_sync), relay, logger, _ = run_via_relay(
            receiver.port, sender_manager, suffixes_of(sender_manager), device='nodev')
        assert not success and in_sync == {}
        assert any('Expected status 200; got 507' in line
                   for line in logger.lines['error'])
        assert_terminated(relay)
        assert_no_chunk_error(receiver, capfd)

    def test_error_line_in_missing_check(self, receiver, sender_manager, capfd):
        put_object(sender_manager, 'a/c/o1')
        semaphore = receiver.service.semaphore
        for _ in range(receiver.service.config.replication_concurrency):
            assert semaphore.acquire(blocking=False)
        (success, _), relay, logger, _ = run_via_relay(
            receiver.port, sender_manager, suffixes_of(sender_manager))
        assert not success
        assert any('Receiver error: 503' in line for line in logger.lines['error'])
        assert_terminated(relay)
        assert_no_chunk_error(receiver, capfd)

    def test_error_line_in_updates(self, receiver, sender_manager, capfd):
        # a rotten copy: stored ETag does not match the bytes -> receiver answers 422
        put_object(sender_manager, 'a/c/o1', b'rotten', etag='0' * 32)
        (success, _), relay, logger, _ = run_via_relay(
            receiver.port, sender_manager, suffixes_of(sender_manager))
        assert not success
        assert any('1 failures to 0 successes' in line for line in logger.lines['error'])
        assert_terminated(relay)
        assert_no_chunk_error(receiver, capfd)
        with pytest.raises(Exception):
            receiver.manager().get_diskfile('sda', '0', 'a', 'c', 'o1').read_metadata()

    def test_local_read_error_mid_put(self, receiver, sender_manager, capfd):
        put_object(sender_manager, 'a/c/o1', b'z' * 200000)
        manager = FailingReadManager(sender_manager)
        (success, _), relay, logger, _ = run_via_relay(
            receiver.port, manager, suffixes_of(sender_manager))
        assert not success
        assert any('Error reading' in line for line in logger.lines['error'])
        assert_terminated(relay)
        assert_no_chunk_error(receiver, capfd)
        # the receiver kept no partial object
        with pytest.raises(Exception):
            receiver.manager().get_diskfile('sda', '0', 'a', 'c', 'o1').read_metadata()
        assert 'Early termination' in receiver.log_text()

    def test_local_timeout_waiting_for_wants(self, receiver, sender_manager, capfd):
        put_object(sender_manager, 'a/c/o1')
        config = SenderConfig(http_timeout_s=0.0)
        (success, _), relay, logger, _ = run_via_relay(
            receiver.port, sender_manager, suffixes_of(sender_manager), config=config)
        assert not success
        assert any('missing_check' in line for line in logger.lines['error'])
        assert_terminated(relay)
        assert_no_chunk_error(receiver, capfd)

    def test_detector_sees_a_torn_request(self, receiver, capfd):
        """Control: a client that drops the connection without the last chunk makes
        the WSGI server log the chunk error this suite checks for."""
        client = concurrency.green_socket.create_connection(('127.0.0.1', receiver.port))
        client.sendall(b'SSYNC /sda/0 HTTP/1.1\r\nHost: x\r\n'
                       b'Transfer-Encoding: chunked\r\n'
                       b'X-Backend-Storage-Policy-Index: 0\r\n\r\n'
                       b'17\r\n:MISSING_CHECK: START\r\n\r\n')
        client.shutdown(socket.SHUT_WR)   # torn: no last chunk, yet still reading
        answer = b''
        with concurrency.Timeout(WAIT_S):
            while True:
                data = client.recv(65536)
                if not data:
                    break
                answer += data
        client.close()
        for _ in range(50):
            concurrency.greenthread_yield()
        assert b':ERROR:' in answer
        text = receiver.log_text() + capfd.readouterr().err
        assert any(needle in text for needle in CHUNK_ERRORS), text


class FailingReadManager:
    """Wraps a DiskFileManager; readers raise EIO after the first chunk."""

    def __init__(self, manager):
        self._manager = manager

    def __getattr__(self, name):
        return getattr(self._manager, name)

    def get_diskfile_from_hash(self, *args, **kwargs):
        disk_file = self._manager.get_diskfile_from_hash(*args, **kwargs)
        real_reader = disk_file.reader

        def reader(*a, **kw):
            inner = real_reader(*a, **kw)

            def chunks():
                iterator = iter(inner)
                yield next(iterator)
                inner.close()
                raise OSError(5, 'Input/output error')
            return chunks()
        disk_file.reader = reader
        return disk_file


# ------------------------------------------------------------------ raw socket server

class RawServer:
    """Accepts one connection, records every byte until the client closes, and answers
    per ``script``: a list of (trigger bytes seen in the request, bytes to send)."""

    def __init__(self, script):
        self.script = list(script)
        self.listener = concurrency.listen(('127.0.0.1', 0))
        self.port = self.listener.getsockname()[1]
        self.received = bytearray()
        self.done = concurrency.Event()
        concurrency.spawn(self._serve)

    def _serve(self):
        conn, _ = self.listener.accept()
        try:
            while True:
                self._answer(conn)
                data = conn.recv(65536)
                if not data:
                    break
                self.received.extend(data)
        finally:
            conn.close()
            self.listener.close()
            self.done.send(True)

    def _answer(self, conn):
        while self.script and self.script[0][0] in self.received:
            _, answer = self.script.pop(0)
            if answer:
                conn.sendall(answer)

    def wait(self):
        with concurrency.Timeout(WAIT_S):
            self.done.wait()

    def body(self):
        head, sep, body = bytes(self.received).partition(b'\r\n\r\n')
        assert sep
        return body


def chunk(data):
    return ssync.encode_chunk(data)


OK_HEAD = b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' + chunk(b'\r\n')


def run_raw(script, manager, config=SenderConfig(), **kwargs):
    server = RawServer(script)
    logger = DebugLogger('ssync-sender')
    sender = SsyncSender(manager, node_for(server.port), 'sda', '0', 0,
                         suffixes_of(manager), config=config, logger=logger, **kwargs)
    result = sender()
    server.wait()
    body = server.body()
    assert body.endswith(ssync.LAST_CHUNK)
    assert ssync.is_complete_chunked_body(body), body[-200:]
    return result, body, logger


class TestAgainstRawSocket:

    def test_error_status_at_connect(self, sender_manager):
        put_object(sender_manager, 'a/c/o1')
        (success, _), body, logger = run_raw(
            [(b'\r\n\r\n', b'HTTP/1.1 500 Internal Server Error\r\n'
                           b'Content-Length: 5\r\n\r\nboom!')], sender_manager)
        assert not success
        assert body == ssync.LAST_CHUNK
        assert 'got 500 (boom!)' in logger.lines['error'][0]

    def test_error_line_before_missing_check(self, sender_manager):
        put_object(sender_manager, 'a/c/o1')
        answer = OK_HEAD + chunk(b":ERROR: 503 'busy'\n") + ssync.LAST_CHUNK
        (success, _), body, logger = run_raw([(b'\r\n\r\n', answer)], sender_manager)
        assert not success
        assert "Receiver error: 503 'busy'" in logger.lines['error'][0]
        assert b':MISSING_CHECK: START' in body

    def test_error_line_in_updates(self, sender_manager):
        disk_file = put_object(sender_manager, 'a/c/o1')
        wants = (chunk(b':MISSING_CHECK: START\r\n') +
                 chunk(disk_file.object_hash.encode() + b' dm\r\n') +
                 chunk(b':MISSING_CHECK: END\r\n'))
        script = [(b'\r\n\r\n', OK_HEAD), (b':MISSING_CHECK: END', wants),
                  (b':UPDATES: END', chunk(b":ERROR: 500 'no'\n") + ssync.LAST_CHUNK)]
        (success, _), body, logger = run_raw(script, sender_manager)
        assert not success
        assert b'PUT /a/c/o1\r\n' in body
        assert "Receiver error: 500 'no'" in logger.lines['error'][0]

    def test_timeout_waiting_for_answer(self, sender_manager):
        put_object(sender_manager, 'a/c/o1')
        config = SenderConfig(http_timeout_s=0.01)
        (success, _), body, logger = run_raw([(b'\r\n\r\n', OK_HEAD)], sender_manager,
                                             config=config)
        assert not success
        assert 'missing_check start wait' in logger.lines['error'][0]
        assert b':MISSING_CHECK: END' in body

    def test_timeout_at_connect_receive(self, sender_manager):
        put_object(sender_manager, 'a/c/o1')
        config = SenderConfig(node_timeout_s=0.01)
        (success, _), body, logger = run_raw([], sender_manager, config=config)
        assert not success
        assert body == ssync.LAST_CHUNK
        assert 'connect receive' in logger.lines['error'][0]

    def test_local_read_error(self, sender_manager):
        disk_file = put_object(sender_manager, 'a/c/o1', b'q' * 200000)
        wants = (chunk(b':MISSING_CHECK: START\r\n') +
                 chunk(disk_file.object_hash.encode() + b' d\r\n') +
                 chunk(b':MISSING_CHECK: END\r\n'))
        script = [(b'\r\n\r\n', OK_HEAD), (b':MISSING_CHECK: END', wants)]
        (success, _), body, logger = run_raw(script, FailingReadManager(sender_manager))
        assert not success
        assert b'PUT /a/c/o1' in body and b':UPDATES: END' not in body

    def test_success(self, sender_manager):
        disk_file = put_object(sender_manager, 'a/c/o1', b'payload')
        wants = (chunk(b':MISSING_CHECK: START\r\n') +
                 chunk(disk_file.object_hash.encode() + b' d\r\n') +
                 chunk(b':MISSING_CHECK: END\r\n'))
        ack = chunk(b':UPDATES: START\r\n:UPDATES: END\r\n') + ssync.LAST_CHUNK
        script = [(b'\r\n\r\n', OK_HEAD), (b':MISSING_CHECK: END', wants),
                  (b':UPDATES: END', ack)]
        (success, in_sync), body, logger = run_raw(script, sender_manager)
        assert success, logger.all_lines()
        assert list(in_sync) == [disk_file.object_hash]
        decoder = ssync.ChunkedDecoder()
        payload = decoder.feed(body)
        assert payload.startswith(b':MISSING_CHECK: START\r\n' +
                                  disk_file.object_hash.encode() + b' 1700000000.50000\r\n')
        assert b'Content-Length: 7\r\n' in payload and payload.count(b'payload') == 1
        assert payload.endswith(b':UPDATES: END\r\n')

    def test_never_connected_is_a_noop(self, sender_manager):
        put_object(sender_manager, 'a/c/o1')
        listener = concurrency.listen(('127.0.0.1', 0))
        port = listener.getsockname()[1]
        listener.close()
        logger = DebugLogger('ssync-sender')
        sender = SsyncSender(sender_manager, node_for(port), 'sda', '0', 0,
                             suffixes_of(sender_manager), logger=logger)
        success, _ = sender()
        assert not success
        assert sender.disconnected_cleanly is None


class CutSocket:
    """Accepts ``first`` bytes, then the send is cut (a timeout fires); afterwards it
    accepts everything. Records what was sent."""

    def __init__(self, first):
        self.first = first
        self.sent = bytearray()
        self.cut = False
        self.closed = False

    def send(self, data):
        if not self.cut:
            self.cut = True
            self.sent.extend(bytes(data[:self.first]))
            return self.first
        if len(self.sent) == self.first and not getattr(self, 'raised', False):
            self.raised = True
            raise ssync.SsyncTimeout('send_put chunk', 0.01)
        self.sent.extend(bytes(data))
        return len(data)

    def sendall(self, data):
        self.sent.extend(bytes(data))

    def close(self):
        self.closed = True


def test_frame_cut_by_a_timeout_is_completed_before_the_last_chunk(sender_manager):
    from swift.obj.ssync_sender import _FrameWriter
    sender = SsyncSender(sender_manager, node_for(1), 'sda', '0', 0, ['abc'],
                         logger=DebugLogger('ssync-sender'))
    sock = CutSocket(first=7)
    sender.sock, sender.writer = sock, _FrameWriter(sock)
    frame = ssync.encode_chunk(b'x' * 1000)
    with pytest.raises(ssync.SsyncTimeout):
        sender.writer.send_frame(frame)
    assert 0 < len(sock.sent) < len(frame)   # torn mid-frame
    sender.disconnect()
    assert bytes(sock.sent) == frame + ssync.LAST_CHUNK
    assert ssync.is_complete_chunked_body(bytes(sock.sent))
    assert sock.closed and sender.disconnected_cleanly
