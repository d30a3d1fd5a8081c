# Owns the sending side of SSYNC (swift-catalog.md 5, doc/formats/ssync.md). Rules:
#   * connect: ``SSYNC /<device>/<partition>``, a chunked request body, and
#     X-Backend-Storage-Policy-Index to the node's replication ip/port; anything but
#     200 fails the session;
#   * missing check: offer every object of the suffixes, read what the receiver wants;
#   * updates: PUT (all .data metadata + body), POST (the .meta metadata), DELETE
#     (tombstone X-Timestamp); then read the acknowledgement;
#   * THE GUARANTEE (the Ic17c6c30 fix, made stronger): whatever happens - success, an
#     error status, an ``:ERROR:`` line, a local read error, a timeout in any phase -
#     ``disconnect()`` runs in a ``finally``: it completes the chunk frame in flight
#     (if a timeout cut it) and then writes the last chunk ``0\r\n\r\n`` before closing.
#     It is a no-op when no connection was made.
"""SSYNC sender: :class:`SenderConfig`, :class:`SsyncSender`, :func:`yield_hashes`."""

import http.client
import os
import socket
from dataclasses import dataclass

from swift.common import concurrency
from swift.common.bufferedhttp import BufferedHTTPResponse, quote_backend_path
from swift.common.config import config_number
from swift.obj import ssync
from swift.obj.errors import DiskFileDeleted, DiskFileError, DiskFileNotExist
from swift.obj.hashes import valid_suffix
from swift.obj.ssync import Event, SsyncError, SsyncLocalError, SsyncRemoteError, \
    SsyncTimeout

USER_AGENT = 'object-replicator ssync'


@dataclass(frozen=True)
class SenderConfig:
    """Timeouts of the sender (the replicator's options, Swift's defaults).

    :ivar conn_timeout_s: connect and send the request head.
    :ivar node_timeout_s: each send, and the first answer to the request head.
    :ivar http_timeout_s: waiting for the receiver's answers to the offer and updates.
    :ivar network_chunk_bytes: read size for the receiver's answer.
    """
    conn_timeout_s: float = 0.5
    node_timeout_s: float = 10.0
    http_timeout_s: float = 60.0
    network_chunk_bytes: int = 65536

    @classmethod
    def from_conf(cls, conf):
        """:raises swift.common.config.ConfigError: naming the bad option."""
        return cls(
            conn_timeout_s=config_number(conf.get('conn_timeout', 0.5), float,
                                         'conn_timeout', 0),
            node_timeout_s=config_number(conf.get('node_timeout', 10), float,
                                         'node_timeout', 0),
            http_timeout_s=config_number(conf.get('http_timeout', 60), float,
                                         'http_timeout', 0),
            network_chunk_bytes=config_number(conf.get('network_chunk_size', 65536), int,
                                              'network_chunk_size', 1))


def yield_hashes(manager, device, partition, policy_index, suffixes=None):
    """Walk a partition's suffixes and yield each object's state-defining timestamps.

    Obsolete files are cleaned up on the way (as hashing does).

    :param suffixes: suffixes to walk (None: all).
    :returns: iterator of (object_hash, {'ts_data', 'ts_meta', 'ts_ctype', 'durable'}).
    :raises swift.obj.errors.DiskFileDeviceUnavailable:
    """
    partition_path = manager.partition_path(device, partition, policy_index)
    if suffixes is None:
        try:
            suffixes = sorted(s for s in os.listdir(partition_path) if valid_suffix(s))
        except FileNotFoundError:
            return
    for suffix in suffixes:
        suffix_path = os.path.join(partition_path, suffix)
        try:
            hashes = sorted(os.listdir(suffix_path))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for object_hash in hashes:
            try:
                info = manager.cleanup_ondisk_files(os.path.join(suffix_path, object_hash))
            except OSError:
                continue
            winner = info.ts_info or info.data_info
            if winner is None:
                continue
            ts_data = winner.timestamp
            ts_meta = info.meta_info.timestamp if info.meta_info else ts_data
            ts_ctype = info.ctype_info.ctype_timestamp if info.ctype_info else ts_data
            yield object_hash, {'ts_data': ts_data, 'ts_meta': ts_meta,
                                'ts_ctype': ts_ctype, 'durable': True}


class _FrameWriter:
    """Writes whole chunk frames to a socket and remembers any unsent remainder, so
    a frame cut by a timeout can be completed before the last chunk."""

    def __init__(self, sock):
        self.sock = sock
        self.pending = memoryview(b'')
        self.bytes_sent = 0

    def send_frame(self, frame):
        if self.pending:
            raise SsyncLocalError('previous chunk frame incomplete')
        self.pending = memoryview(frame)
        self.flush()

    def flush(self):
        while self.pending:
            sent = self.sock.send(self.pending)
            self.pending = self.pending[sent:]
            self.bytes_sent += sent


class _ResponseReader:
    """Lines of the receiver's chunked answer (decoded with :class:`ChunkedDecoder`)."""

    def __init__(self, response, chunk_bytes):
        self.fp = response.fp
        self.chunked = response.chunked
        self.chunk_bytes = chunk_bytes
        self.decoder = ssync.ChunkedDecoder()
        self.buffer = b''
        self.eof = False

    def readline(self):
        """One line (with its ``\\n``), or b'' at the end of the answer.

        :raises ChunkedEncodingError: the answer's framing is broken.
        """
        while b'\n' not in self.buffer and not self.eof:
            data = self.fp.read1(self.chunk_bytes)
            if not data:
                self.eof = True
                break
            self.buffer += self.decoder.feed(data) if self.chunked else data
            if self.decoder.finished:
                self.eof = True
        line, sep, rest = self.buffer.partition(b'\n')
        if not sep:
            line, rest = self.buffer, b''
        self.buffer = rest
        return line + sep


class SsyncSender:
    """Sync the objects of some suffixes of one partition to one node.

    Call it: ``success, in_sync = SsyncSender(...)()``.

    :param manager: local :class:`swift.obj.diskfile.DiskFileManager`.
    :param node: ring node dict (``replication_ip``, ``replication_port``, ``device``).
    :param device: local device name.
    :param partition: partition (int or str).
    :param policy_index: storage policy index.
    :param suffixes: suffixes to sync.
    :param config: :class:`SenderConfig`.
    :param logger: logger.
    :param remote_check_objs: if given, only these hashes are offered and nothing is
        sent: the result says which of them the remote already has.
    :param connect: callable(host, port, timeout_s) -> socket (tests inject one).
    """

    def __init__(self, manager, node, device, partition, policy_index, suffixes, *,
                 config=SenderConfig(), logger, remote_check_objs=None, connect=None):
        self.manager = manager
        self.node = node
        self.device = device
        self.partition = str(partition)
        self.policy_index = int(policy_index)
        self.suffixes = list(suffixes)
        self.config = config
        self.logger = logger
        self.remote_check_objs = remote_check_objs
        self._connect = connect or concurrency.green_socket.create_connection
        self.conversation = ssync.Conversation('sender')
        self.sock = None
        self.writer = None
        self.reader = None
        self.response = None
        self.available_map = {}
        self.send_map = {}
        self.disconnected_cleanly = None

    def __repr__(self):
        return '%s:%s/%s/%s' % (self.node.get('replication_ip'),
                                self.node.get('replication_port'),
                                self.node.get('device'), self.partition)

    def __call__(self):
        """Run the session.

        :returns: (success bool, {object_hash: timestamps} of objects now in sync on
            the remote - the caller may delete those local copies).
        """
        if not self.suffixes:
            return True, {}
        try:
            self.connect()
            self.missing_check()
            if self.remote_check_objs is None:
                self.updates()
                in_sync = dict(self.available_map)
            else:
                in_sync = {object_hash: stamps for object_hash, stamps
                           in self.available_map.items()
                           if object_hash not in self.send_map}
            return True, in_sync
        except SsyncError as err:
            self.logger.error('%s %s', self, err)
        except (OSError, http.client.HTTPException, DiskFileError) as err:
            self.logger.error('%s %s', self, err)
        except concurrency.Timeout as err:
            self.logger.error('%s timeout: %s', self, err)
        except Exception:  # the session funnel: report, never kill the replicator
            self.logger.exception('%s EXCEPTION in ssync.Sender', self)
        finally:
            self.disconnect()
        return False, {}

    # ---------------------------------------------------------------- I/O helpers

    def _timeout(self, seconds, phase):
        return concurrency.Timeout(seconds, SsyncTimeout(phase, seconds))

    def send_message(self, message, phase):
        """Send ``message`` as one chunk within node_timeout."""
        with self._timeout(self.config.node_timeout_s, phase):
            self.writer.send_frame(ssync.encode_chunk(message))

    def read_line(self, phase, seconds):
        with self._timeout(seconds, phase):
            line = self.reader.readline()
        if not line:
            raise SsyncRemoteError('Early disconnect')
        return line

    def _wait_for(self, marker, phase, event):
        """Skip blank lines until ``marker``; an ``:ERROR:`` or other line fails."""
        while True:
            line = self.read_line(phase, self.config.http_timeout_s).strip()
            if line == marker:
                self.conversation.advance(event)
                return
            if line:
                self._unexpected(line)

    def _unexpected(self, line):
        error = ssync.decode_error(line)
        self.conversation.advance(Event.ERROR)
        if error is not None:
            raise SsyncRemoteError('Receiver error: %s %s' % error, status=error[0])
        raise SsyncRemoteError('Unexpected response: %r'
                               % line[:ssync.ERROR_ECHO_BYTES_MAX])

    # ---------------------------------------------------------------- phases

    def connect(self):
        """Open the connection and check the receiver answers 200.

        :raises SsyncRemoteError: another status.
        :raises SsyncTimeout: connect or answer too slow.
        """
        host = self.node['replication_ip']
        port = self.node['replication_port']
        path = quote_backend_path(self.node['device'], self.partition, '')
        head = ('SSYNC %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: %s\r\n'
                'Transfer-Encoding: chunked\r\nX-Backend-Storage-Policy-Index: %d\r\n'
                '\r\n' % (path, host, port, USER_AGENT, self.policy_index))
        with self._timeout(self.config.conn_timeout_s, 'connect send'):
            self.sock = self._connect((host, port), self.config.conn_timeout_s)
            self.sock.settimeout(None)   # eventlet Timeouts bound every phase
            # each message is a small write followed by a wait for the peer: without
            # NODELAY, Nagle plus delayed ACKs add ~40 ms per exchange
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.writer = _FrameWriter(self.sock)
            self.sock.sendall(head.encode('ascii'))
        with self._timeout(self.config.node_timeout_s, 'connect receive'):
            response = self.response = BufferedHTTPResponse(self.sock, method='SSYNC')
            response.begin()
            if response.status != 200:
                body = response.read()[:ssync.ERROR_ECHO_BYTES_MAX]
                raise SsyncRemoteError('Expected status 200; got %s (%s)' % (
                    response.status, body.decode('utf-8', 'replace')),
                    status=response.status)
        self.reader = _ResponseReader(response, self.config.network_chunk_bytes)
        self.conversation.advance(Event.CONNECTED)

    def missing_check(self):
        """Offer the objects; fill ``available_map`` and ``send_map`` (hash -> Wants)."""
        self.send_message(ssync.MISSING_CHECK_START + ssync.CRLF, 'missing_check start')
        self.conversation.advance(Event.OFFER_START)
        hashes = yield_hashes(self.manager, self.device, self.partition,
                              self.policy_index, self.suffixes)
        for count, (object_hash, stamps) in enumerate(hashes):
            if self.remote_check_objs is not None and \
                    object_hash not in self.remote_check_objs:
                continue
            self.available_map[object_hash] = stamps
            self.send_message(ssync.encode_offer(object_hash, **stamps) + ssync.CRLF,
                              'missing_check send line: %d lines' % count)
            self.conversation.advance(Event.OFFER_LINE)
            if count % 5 == 4:
                concurrency.greenthread_yield()
        self.send_message(ssync.MISSING_CHECK_END + ssync.CRLF, 'missing_check end')
        self.conversation.advance(Event.OFFER_END)
        self._wait_for(ssync.MISSING_CHECK_START, 'missing_check start wait',
                       Event.WANTS_START)
        while True:
            line = self.read_line('missing_check line', self.config.http_timeout_s)
            stripped = line.strip()
            if stripped == ssync.MISSING_CHECK_END:
                self.conversation.advance(Event.WANTS_END)
                return
            if stripped.startswith(ssync.ERROR_PREFIX):
                self._unexpected(stripped)
            decoded = ssync.decode_wants(stripped)
            if decoded is not None:
                self.conversation.advance(Event.WANTS_LINE)
                self.send_map[decoded[0]] = decoded[1]

    def updates(self):
        """Send what was wanted, then read the acknowledgement."""
        self.send_message(ssync.UPDATES_START + ssync.CRLF, 'updates start')
        self.conversation.advance(Event.UPDATES_START)
        for object_hash, wants in self.send_map.items():
            self._send_object(object_hash, wants)
        self.send_message(ssync.UPDATES_END + ssync.CRLF, 'updates end')
        self.conversation.advance(Event.UPDATES_END)
        self._wait_for(ssync.UPDATES_START, 'updates start wait', Event.ACK_START)
        self._wait_for(ssync.UPDATES_END, 'updates line', Event.ACK_END)

    def _send_object(self, object_hash, wants):
        try:
            disk_file = self.manager.get_diskfile_from_hash(
                self.device, self.partition, object_hash, self.policy_index)
        except DiskFileNotExist:
            return
        try:
            disk_file.open()
        except DiskFileDeleted as err:
            if wants.data:
                self.send_delete(err.metadata.get('name') or disk_file.name,
                                 err.timestamp)
            return
        except DiskFileError:
            # nothing was sent for it, so the receiver holds no partial state
            return
        try:
            if wants.data:
                self.send_put(disk_file)
            if wants.meta and disk_file.data_timestamp != disk_file.timestamp:
                self.send_post(disk_file)
        finally:
            disk_file.close()
        self.conversation.advance(Event.UPDATE)

    def send_delete(self, name, timestamp):
        """``DELETE <path>`` with the tombstone's X-Timestamp."""
        if not name:
            return
        head = ssync.encode_subrequest('DELETE', name,
                                       [('X-Timestamp', timestamp.internal)])
        self.send_message(head, 'send_delete')
        self.conversation.advance(Event.UPDATE)

    def send_put(self, disk_file):
        """``PUT <path>`` with the .data metadata, then exactly Content-Length bytes.

        :raises SsyncLocalError: the local file gave fewer bytes than its length (the
            session must end: the receiver holds a partial body).
        """
        length = disk_file.content_length
        headers = [('Content-Length', str(length))]
        headers.extend(sorted((key, value) for key, value in
                              disk_file.get_datafile_metadata().items()
                              if key not in ('name', 'Content-Length')))
        self.send_message(ssync.encode_subrequest('PUT', disk_file.name, headers),
                          'send_put')
        sent = 0
        try:
            for chunk in disk_file.reader():
                sent += len(chunk)
                self.send_message(chunk, 'send_put chunk')
        except OSError as err:
            raise SsyncLocalError('Error reading %s: %s' % (disk_file.name, err))
        if sent != length:
            raise SsyncLocalError('Sent data length does not match content-length '
                                  '(%d != %d) for %s' % (sent, length, disk_file.name))

    def send_post(self, disk_file):
        """``POST <path>`` with the .meta metadata."""
        metadata = disk_file.get_metafile_metadata() or {}
        headers = sorted((key, value) for key, value in metadata.items()
                         if key != 'name')
        self.send_message(ssync.encode_subrequest('POST', disk_file.name, headers),
                          'send_post')

    def disconnect(self):
        """Finish the chunked request with ``0\\r\\n\\r\\n`` and close; a no-op when
        never connected. Never raises."""
        sock, self.sock = self.sock, None
        if sock is None:
            return
        try:
            with self._timeout(self.config.node_timeout_s, 'disconnect'):
                self.writer.flush()
                sock.sendall(ssync.LAST_CHUNK)
            self.disconnected_cleanly = True
        except (Exception, concurrency.Timeout) as err:
            self.disconnected_cleanly = False
            self.logger.debug('%s disconnect: could not send the last chunk: %s',
                              self, err)
        finally:
            if self.response is not None:
                self.response.close()   # drops the makefile() reference to the fd
            try:
                sock.close()
            except OSError:
                pass

