# Owns the receiving side of SSYNC (swift-catalog.md 5, doc/formats/ssync.md): the
# object server's SSYNC verb hands the request here. Rules (Swift's):
#   * path ``/<device>/<partition>``, policy from X-Backend-Storage-Policy-Index; a bad
#     path is 400, a bad policy 503, an unavailable device 507 - answered as HTTP
#     statuses before the body starts;
#   * otherwise the answer is 200 with a streamed body that starts with ``\r\n``; every
#     later failure is an inline ``:ERROR: <status> '<message>'`` line (503 when
#     ``replication_concurrency`` is exhausted, 408 for a client timeout, 0 otherwise);
#   * the work runs under the device lock and the partition's replication lock;
#   * each update is replayed into the object server as a local subrequest with
#     X-Backend-Replication: True and X-Backend-Replication-Headers (the names sent,
#     space-separated, minus etag and x-backend-no-commit - field case BL-24); 2xx and
#     404 count as successes; too many failures abort the session.
"""SSYNC receiver: :class:`ReceiverConfig`, :class:`SsyncReceiverService`."""

import socket
import urllib.parse
from dataclasses import dataclass

from swift.common import concurrency
from swift.common.config import config_number
from swift.common.fs import LockTimeout
from swift.common.swob import (HTTPBadRequest, HTTPException, HTTPInsufficientStorage,
                               HTTPServiceUnavailable, Request, Response, split_path,
                               wsgi_to_str)
from swift.obj import ssync
from swift.obj.errors import DiskFileDeleted, DiskFileDeviceUnavailable, DiskFileError
from swift.obj.ssync import Event, SsyncError, SsyncProtocolError, SsyncTimeout

_NOT_REPLICATED_HEADERS = ('etag', 'x-backend-no-commit')


@dataclass(frozen=True)
class ReceiverConfig:
    """Receiver options from ``[app:object-server]`` (Swift's names and defaults).

    :ivar replication_concurrency: concurrent SSYNC sessions per server process
        (0 = unlimited).
    :ivar replication_failure_threshold: failures before the ratio is considered.
    :ivar replication_failure_ratio: failures/successes above which a session aborts.
    :ivar client_timeout_s: longest wait for one line or body piece from the sender.
    :ivar network_chunk_bytes: read size for lines and bodies.
    """
    replication_concurrency: int = 4
    replication_failure_threshold: int = 100
    replication_failure_ratio: float = 1.0
    client_timeout_s: float = 60.0
    network_chunk_bytes: int = 65536

    @classmethod
    def from_conf(cls, conf):
        """:raises swift.common.config.ConfigError: naming the bad option."""
        return cls(
            replication_concurrency=config_number(
                conf.get('replication_concurrency', 4), int, 'replication_concurrency', 0),
            replication_failure_threshold=config_number(
                conf.get('replication_failure_threshold', 100), int,
                'replication_failure_threshold', 0),
            replication_failure_ratio=config_number(
                conf.get('replication_failure_ratio', 1.0), float,
                'replication_failure_ratio', 0),
            client_timeout_s=config_number(conf.get('client_timeout', 60), float,
                                           'client_timeout', 0),
            network_chunk_bytes=config_number(conf.get('network_chunk_size', 65536), int,
                                              'network_chunk_size', 1))


class ReceiverAborted(SsyncError):
    """The session ends with an inline ``:ERROR:`` line.

    :ivar status: the status written (0 generic, 408 timeout, 503 busy, 500 failures).
    """

    def __init__(self, message, status=0):
        super().__init__(message, side='remote', status=status)


class SsyncReceiverService:
    """Per-process SSYNC state (the concurrency semaphore) and entry point.

    :param config: :class:`ReceiverConfig`.
    :param app: the object server WSGI app that subrequests are replayed into.
    :param manager: its :class:`swift.obj.diskfile.DiskFileManager`.
    :param policies: :class:`StoragePolicyCollection`.
    :param logger: component logger.
    """

    def __init__(self, config, *, app, manager, policies, logger):
        self.config = config
        self.app = app
        self.manager = manager
        self.policies = policies
        self.logger = logger
        self.semaphore = (concurrency.Semaphore(config.replication_concurrency)
                          if config.replication_concurrency else None)

    def handle(self, request):
        """Answer one SSYNC request.

        :returns: a 200 :class:`Response` streaming the conversation.
        :raises HTTPException: 400 bad path, 503 unknown policy, 507 device unavailable.
        """
        session = ReceiverSession(self, request)
        # eventlet.wsgi buffers 4 KiB of answer before writing; the conversation needs
        # every line on the wire at once
        request.environ['eventlet.minimum_write_chunk_size'] = 0
        _no_delay(request.environ.get('wsgi.input'))
        return Response(request=request, app_iter=session.run(),
                        headers={'X-Backend-Accept-No-Commit': 'True'},
                        content_type='text/plain')


def _no_delay(wsgi_input):
    """Best effort TCP_NODELAY on the connection under eventlet.wsgi: the answers are
    small writes the sender waits for, which Nagle plus delayed ACKs hold ~40 ms."""
    sock = getattr(wsgi_input, '_sock', None)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (AttributeError, OSError):
        pass


def service_for(app, conf=None):
    """The :class:`SsyncReceiverService` of an object server app (built on first use
    from the app's ``config`` and kept on the app as ``ssync_service``)."""
    service = getattr(app, 'ssync_service', None)
    if service is None:
        config = ReceiverConfig.from_conf(conf) if conf is not None else ReceiverConfig(
            client_timeout_s=getattr(app.config, 'client_timeout_s', 60.0),
            network_chunk_bytes=getattr(app.config, 'network_chunk_bytes', 65536),
            **{name: getattr(app.config, name) for name in (
                'replication_concurrency', 'replication_failure_threshold',
                'replication_failure_ratio') if hasattr(app.config, name)})
        service = SsyncReceiverService(config, app=app, manager=app.diskfile_manager,
                                       policies=app.policies, logger=app.logger)
        app.ssync_service = service
    return service


class _SubrequestBody:
    """File-like body of one PUT update: exactly ``length`` bytes of the SSYNC input.

    :raises ReceiverAborted: when the input ends early (the sender gave up mid-body).
    """

    def __init__(self, session, length):
        self.session = session
        self.left = length

    def read(self, size=-1):
        if self.left <= 0:
            return b''
        want = self.left if size is None or size < 0 else min(size, self.left)
        want = min(want, self.session.config.network_chunk_bytes)
        chunk = self.session.read(want, 'updates content')
        if not chunk:
            raise ReceiverAborted('Early termination for PUT body (%d bytes left)'
                                  % self.left)
        self.left -= len(chunk)
        return chunk

    def drain(self):
        """Consume what the subrequest left unread (so the next update lines up)."""
        while self.left > 0:
            self.read(self.session.config.network_chunk_bytes)


class ReceiverSession:
    """One SSYNC request being served.

    :raises HTTPException: from the constructor, for requests refused up front.
    """

    def __init__(self, service, request):
        self.service = service
        self.config = service.config
        self.logger = service.logger
        self.request = request
        self.conversation = ssync.Conversation('receiver')
        try:
            device, partition = split_path(request.path_info, 2, 2)
            if device in ('.', '..') or partition in ('.', '..'):
                raise ValueError('Invalid device or partition')
        except ValueError as err:
            raise HTTPBadRequest(request=request, body=str(err).encode('utf-8'),
                                 content_type='text/plain')
        self.device = wsgi_to_str(device)
        self.partition = wsgi_to_str(partition)
        policy_text = request.headers.get('X-Backend-Storage-Policy-Index')
        policy = service.policies.get_by_index(policy_text)
        if policy is None:
            raise HTTPServiceUnavailable(
                request=request, content_type='text/plain',
                body=('No policy with index %s' % policy_text).encode('utf-8'))
        self.policy_index = policy.idx
        if service.manager.get_dev_path(self.device) is None:
            raise HTTPInsufficientStorage(request=request)
        self.fp = request.environ['wsgi.input']
        self.conversation.advance(Event.CONNECTED)

    # -------------------------------------------------------------- reading

    def read(self, size, phase):
        with concurrency.Timeout(self.config.client_timeout_s,
                                 SsyncTimeout(phase, self.config.client_timeout_s)):
            return self.fp.read(size)

    def readline(self, phase):
        with concurrency.Timeout(self.config.client_timeout_s,
                                 SsyncTimeout(phase, self.config.client_timeout_s)):
            return self.fp.readline(self.config.network_chunk_bytes)

    # -------------------------------------------------------------- the session

    def run(self):
        """The response body: ``\\r\\n``, the missing check answer, the updates
        acknowledgement - or an ``:ERROR:`` line."""
        acquired = False
        try:
            # something must be sent so that the WSGI server sends the status line
            yield ssync.CRLF
            semaphore = self.service.semaphore
            if semaphore is not None:
                acquired = semaphore.acquire(blocking=False)
                if not acquired:
                    raise ReceiverAborted('Service Unavailable: replication_concurrency '
                                          '%d in use' % self.config.replication_concurrency,
                                          503)
            with self.service.manager.replication_lock(self.device, self.partition,
                                                       self.policy_index):
                yield from self.missing_check()
                yield from self.updates()
        except ReceiverAborted as err:
            self._log_failure(err)
            yield ssync.encode_error(err.status, str(err))
        except SsyncTimeout as err:
            self._log_failure(err)
            yield ssync.encode_error(408, str(err))
        except (SsyncError, LockTimeout, DiskFileError, OSError) as err:
            self._log_failure(err)
            yield ssync.encode_error(0, str(err))
        except HTTPException as err:
            self._log_failure(err)
            yield ssync.encode_error(err.status_int, err.status)
        except Exception as err:  # the request funnel of this streamed answer
            self.logger.exception('%s/%s/%s EXCEPTION in ssync.Receiver: %s',
                                  self.request.remote_addr, self.device, self.partition,
                                  err)
            yield ssync.encode_error(0, str(err))
        finally:
            if acquired:
                self.service.semaphore.release()

    def _log_failure(self, err):
        self.conversation.advance(Event.ERROR)
        self.logger.error('%s/%s/%s %s', self.request.remote_addr, self.device,
                          self.partition, err)

    def _expect(self, marker, phase):
        line = self.readline(phase)
        if line.strip() != marker:
            raise ReceiverAborted('Looking for %s got %r' % (
                marker.decode('ascii'), line[:ssync.ERROR_ECHO_BYTES_MAX]), 400)

    # -------------------------------------------------------------- missing check

    def missing_check(self):
        """Read the offer, answer the hashes wanted (``<hash> <d|m|dm>`` lines)."""
        self._expect(ssync.MISSING_CHECK_START, 'missing_check start')
        self.conversation.advance(Event.OFFER_START)
        wanted = []
        count = 0
        while True:
            line = self.readline('missing_check line')
            if not line or line.strip() == ssync.MISSING_CHECK_END:
                break
            self.conversation.advance(Event.OFFER_LINE)
            offer = ssync.decode_offer(line)
            wants = ssync.wants_for(offer, self._local_state(offer.object_hash))
            if wants:
                wanted.append(ssync.encode_wants(offer.object_hash, wants))
            count += 1
            if count % 5 == 0:
                concurrency.greenthread_yield()
        self.conversation.advance(Event.OFFER_END)
        self.conversation.advance(Event.WANTS_START)
        yield ssync.MISSING_CHECK_START + ssync.CRLF
        if wanted:
            self.conversation.advance(Event.WANTS_LINE)
            yield ssync.CRLF.join(wanted)
        yield ssync.CRLF
        self.conversation.advance(Event.WANTS_END)
        yield ssync.MISSING_CHECK_END + ssync.CRLF

    def _local_state(self, object_hash):
        """Timestamps of the local copy: {} / {'ts_data'} / all three."""
        try:
            disk_file = self.service.manager.get_diskfile_from_hash(
                self.device, self.partition, object_hash, self.policy_index)
            disk_file.open()
        except DiskFileDeleted as err:
            return {'ts_data': err.timestamp} if err.timestamp is not None else {}
        except DiskFileDeviceUnavailable:
            raise ReceiverAborted('Device %s unavailable' % self.device, 507)
        except DiskFileError:
            return {}
        try:
            return {'ts_data': disk_file.data_timestamp, 'ts_meta': disk_file.timestamp,
                    'ts_ctype': disk_file.content_type_timestamp}
        finally:
            disk_file.close()

    # -------------------------------------------------------------- updates

    def updates(self):
        """Replay each update subrequest; acknowledge or abort."""
        self._expect(ssync.UPDATES_START, 'updates start')
        self.conversation.advance(Event.UPDATES_START)
        successes = failures = 0
        while True:
            line = self.readline('updates line')
            if not line or line.strip() == ssync.UPDATES_END:
                break
            if not line.strip():
                continue
            self.conversation.advance(Event.UPDATE)
            if self._apply_update(line):
                successes += 1
            else:
                failures += 1
            if failures >= self.config.replication_failure_threshold and (
                    not successes or
                    float(failures) / successes > self.config.replication_failure_ratio):
                raise ReceiverAborted('Too many %d failures to %d successes'
                                      % (failures, successes))
            if (successes + failures) % 5 == 0:
                concurrency.greenthread_yield()
        if failures:
            raise ReceiverAborted('ERROR: With :UPDATES: %d failures to %d successes'
                                  % (failures, successes), 500)
        self.conversation.advance(Event.UPDATES_END)
        self.conversation.advance(Event.ACK_START)
        yield ssync.UPDATES_START + ssync.CRLF
        self.conversation.advance(Event.ACK_END)
        yield ssync.UPDATES_END + ssync.CRLF

    def _read_subrequest_head(self, line):
        method, path = ssync.decode_request_line(line)
        headers = []
        while True:
            header_line = self.readline('updates line')
            if not header_line:
                raise SsyncProtocolError('Got no headers for %s %s' % (method, path))
            if not header_line.strip():
                return method, path, headers
            headers.append(ssync.decode_header_line(header_line))

    def _apply_update(self, line):
        """Replay one subrequest into the object server. :returns: success (bool)."""
        method, path, headers = self._read_subrequest_head(line)
        content_length = None
        for name, value in headers:
            if name == 'content-length':
                try:
                    content_length = int(value)
                except ValueError:
                    raise SsyncProtocolError('Bad content-length %r' % value)
        if method in ('DELETE', 'POST') and content_length not in (None, 0):
            raise SsyncProtocolError('%s subrequest with content-length %s'
                                     % (method, path))
        if method == 'PUT' and content_length is None:
            raise SsyncProtocolError('No content-length sent for %s %s' % (method, path))
        body = _SubrequestBody(self, content_length or 0)
        request = self._subrequest(method, path, headers, body)
        response = request.get_response(self.service.app)
        body_bytes = b''.join(response.app_iter or [])
        body.drain()
        if 200 <= response.status_int < 300 or response.status_int == 404:
            return True
        self.logger.warning('ssync subrequest failed with %s: %s %s (%s)',
                            response.status_int, method, path,
                            body_bytes[:ssync.ERROR_ECHO_BYTES_MAX])
        return False

    def _subrequest(self, method, path, headers, body):
        quoted = urllib.parse.quote('/%s/%s%s' % (self.device, self.partition, path),
                                    errors='surrogateescape')
        request = Request.blank(quoted, environ={'REQUEST_METHOD': method,
                                                 'wsgi.input': body})
        replication_headers = []
        for name, value in headers:
            request.headers[name] = value
            if name not in _NOT_REPLICATED_HEADERS:
                replication_headers.append(name)
        request.headers['X-Backend-Storage-Policy-Index'] = str(self.policy_index)
        request.headers['X-Backend-Replication'] = 'True'
        if replication_headers:
            request.headers['X-Backend-Replication-Headers'] = ' '.join(
                replication_headers)
        return request
