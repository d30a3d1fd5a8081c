"""The ssync receiver without a network: a request body in memory, answers as bytes,
subrequests captured by a recording app or replayed into the real object server."""

import io
import os
import time

from swift.common.storage_policy import StoragePolicy, StoragePolicyCollection
from swift.common.swob import HTTPException, Request, Response
from swift.common.timestamp import Timestamp
from swift.obj import ssync
from swift.obj.ssync_receiver import ReceiverConfig, SsyncReceiverService
from test.helpers.debug_logger import DebugLogger
from test.unit.obj.test_ssync_termination import make_manager, put_object

POLICIES = StoragePolicyCollection([StoragePolicy(0, 'gold', is_default=True)])


class RecordingApp:
    """Answers every subrequest with ``status`` and records it."""

    def __init__(self, status=201):
        self.status = status
        self.requests = []

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.environ['wsgi.input'].read(1 << 20)
        self.requests.append((request.method, request.path, dict(request.headers.items()),
                              body))
        return Response(status=self.status, body=b'')(environ, start_response)


def service(tmp_path, app=None, **config):
    (tmp_path / 'sda').mkdir(exist_ok=True)
    manager = make_manager(str(tmp_path))
    return SsyncReceiverService(ReceiverConfig(**config), app=app or RecordingApp(),
                                manager=manager, policies=POLICIES,
                                logger=DebugLogger('receiver')), manager


def call(service_, body, path='/sda/0', policy='0'):
    request = Request.blank(path, environ={'REQUEST_METHOD': 'SSYNC',
                                           'wsgi.input': io.BytesIO(body)},
                            headers={'X-Backend-Storage-Policy-Index': policy})
    try:
        response = service_.handle(request)
    except HTTPException as err:
        return err.status_int, b''
    return response.status_int, b''.join(response.app_iter)


def missing_check(*lines):
    return (ssync.MISSING_CHECK_START + b'\r\n' + b''.join(l + b'\r\n' for l in lines) +
            ssync.MISSING_CHECK_END + b'\r\n')


UPDATES_EMPTY = ssync.UPDATES_START + b'\r\n' + ssync.UPDATES_END + b'\r\n'
HASH = '9d41d8cd98f00b204e9800998ecf0abc'
T1 = Timestamp(1700000001)


def test_refusals_before_the_body(tmp_path):
    svc, _ = service(tmp_path)
    assert call(svc, b'', path='/sdz/0')[0] == 507
    assert call(svc, b'', policy='9')[0] == 503
    assert call(svc, b'', path='/sda')[0] == 400


def test_wants_everything_missing_and_acknowledges(tmp_path):
    svc, _ = service(tmp_path)
    status, answer = call(svc, missing_check(ssync.encode_offer(HASH, T1)) + UPDATES_EMPTY)
    assert status == 200
    assert answer == (b'\r\n:MISSING_CHECK: START\r\n' + HASH.encode() + b' dm\r\n'
                      b':MISSING_CHECK: END\r\n:UPDATES: START\r\n:UPDATES: END\r\n')


def test_in_sync_object_not_wanted(tmp_path):
    svc, manager = service(tmp_path)
    disk_file = put_object(manager, 'a/c/o', timestamp=T1)
    offer = ssync.encode_offer(disk_file.object_hash, T1)
    _, answer = call(svc, missing_check(offer) + UPDATES_EMPTY)
    assert b':MISSING_CHECK: START\r\n\r\n:MISSING_CHECK: END' in answer


def test_updates_replayed_with_replication_headers(tmp_path):
    app = RecordingApp()
    svc, _ = service(tmp_path, app)
    put = ssync.encode_subrequest('PUT', '/a/c/o', [
        ('Content-Length', '3'), ('Content-Disposition', 'inline'), ('ETag', 'x'),
        ('X-Timestamp', T1.internal)]) + b'abc'
    delete = ssync.encode_subrequest('DELETE', '/a/c/gone', [('X-Timestamp', T1.internal)])
    body = missing_check() + ssync.UPDATES_START + b'\r\n' + put + delete + \
        ssync.UPDATES_END + b'\r\n'
    status, answer = call(svc, body)
    assert answer.endswith(b':UPDATES: START\r\n:UPDATES: END\r\n')
    (m1, p1, h1, b1), (m2, p2, h2, b2) = app.requests
    assert (m1, p1, b1) == ('PUT', '/sda/0/a/c/o', b'abc')
    assert h1['X-Backend-Replication'] == 'True'
    assert h1['X-Backend-Storage-Policy-Index'] == '0'
    # every sent name but etag (field case BL-24)
    assert h1['X-Backend-Replication-Headers'] == \
        'content-length content-disposition x-timestamp'
    assert (m2, p2) == ('DELETE', '/sda/0/a/c/gone')


def test_any_failed_update_is_a_500_error_line(tmp_path):
    svc, _ = service(tmp_path, RecordingApp(status=409))
    delete = ssync.encode_subrequest('DELETE', '/a/c/o', [('X-Timestamp', T1.internal)])
    body = missing_check() + ssync.UPDATES_START + b'\r\n' + delete + \
        ssync.UPDATES_END + b'\r\n'
    _, answer = call(svc, body)
    assert answer.endswith(b":ERROR: 500 'ERROR: With :UPDATES: 1 failures to 0 "
                           b"successes'\n")


def test_failure_threshold_aborts_early(tmp_path):
    app = RecordingApp(status=500)
    svc, _ = service(tmp_path, app, replication_failure_threshold=2)
    deletes = b''.join(ssync.encode_subrequest('DELETE', '/a/c/o%d' % i,
                                               [('X-Timestamp', T1.internal)])
                       for i in range(5))
    body = missing_check() + ssync.UPDATES_START + b'\r\n' + deletes + \
        ssync.UPDATES_END + b'\r\n'
    _, answer = call(svc, body)
    assert b"Too many 2 failures to 0 successes" in answer
    assert len(app.requests) == 2


def test_protocol_errors_are_error_lines(tmp_path):
    svc, _ = service(tmp_path)
    _, answer = call(svc, b'hello\r\n')
    assert answer.startswith(b'\r\n:ERROR: 400 "Looking for :MISSING_CHECK: START')
    _, answer = call(svc, missing_check() + ssync.UPDATES_START + b'\r\nGET /a/c/o\r\n\r\n')
    assert b':ERROR: 0' in answer and b'Invalid subrequest method GET' in answer
    put_without_length = ssync.encode_subrequest('PUT', '/a/c/o', [('X-Timestamp', '1')])
    _, answer = call(svc, missing_check() + ssync.UPDATES_START + b'\r\n' +
                     put_without_length)
    assert b'No content-length' in answer


def test_short_body_is_early_termination(tmp_path):
    svc, _ = service(tmp_path)
    put = ssync.encode_subrequest('PUT', '/a/c/o', [('Content-Length', '10')]) + b'abc'
    _, answer = call(svc, missing_check() + ssync.UPDATES_START + b'\r\n' + put)
    assert b'Early termination' in answer


def test_busy_semaphore_is_503(tmp_path):
    svc, _ = service(tmp_path, replication_concurrency=1)
    assert svc.semaphore.acquire(blocking=False)
    _, answer = call(svc, missing_check() + UPDATES_EMPTY)
    assert answer.startswith(b"\r\n:ERROR: 503 'Service Unavailable")
    svc.semaphore.release()
    _, answer = call(svc, missing_check() + UPDATES_EMPTY)
    assert answer.endswith(b':UPDATES: END\r\n')
    assert svc.semaphore.acquire(blocking=False)   # released after the session


def test_real_object_server_applies_put_post_delete(tmp_path):
    from test.unit.obj.test_ssync_termination import ReceiverServer
    server = ReceiverServer(tmp_path)
    try:
        svc = server.service
        manager = server.manager()
        now = Timestamp(time.time())   # the server reclaims tombstones by real time
        put_object(manager, 'a/c/gone', b'v1', timestamp=Timestamp(now, delta=-100))
        put_object(manager, 'a/c/meta', b'v1', timestamp=Timestamp(now, delta=-100))
        updates = (ssync.encode_subrequest('PUT', '/a/c/new', [
            ('Content-Length', '2'), ('Content-Type', 'text/plain'),
            ('ETag', 'e0aa021e21dddbd6d8cecec71e9cf564'),
            ('X-Timestamp', now.internal), ('X-Object-Meta-K', 'v')]) + b'OK' +
            ssync.encode_subrequest('POST', '/a/c/meta', [
                ('X-Timestamp', now.internal), ('X-Object-Meta-New', 'yes')]) +
            ssync.encode_subrequest('DELETE', '/a/c/gone', [('X-Timestamp', now.internal)]))
        body = missing_check() + ssync.UPDATES_START + b'\r\n' + updates + \
            ssync.UPDATES_END + b'\r\n'
        status, answer = call(svc, body)
        assert answer.endswith(b':UPDATES: END\r\n'), answer
        assert manager.get_diskfile('sda', '0', 'a', 'c', 'new').read_metadata()[
            'X-Object-Meta-K'] == 'v'
        assert manager.get_diskfile('sda', '0', 'a', 'c', 'meta').read_metadata()[
            'X-Object-Meta-New'] == 'yes'
        hash_dir = manager.get_diskfile('sda', '0', 'a', 'c', 'gone').datadir
        assert os.listdir(hash_dir) == [now.internal + '.ts']
    finally:
        server.stop()
