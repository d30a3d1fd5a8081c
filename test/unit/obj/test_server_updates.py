"""Object server POST, DELETE, REPLICATE, container updates and async pendings."""

import os
import pickle

import pytest

from swift.common.hashing import HashPathConfig, hash_path, md5_hex
from swift.common.swob import Request
from swift.obj.async_pending import read_async_pending
from test.unit.obj.common import FakeHTTP, FakeResponse, make_app
from test.unit.obj.golden import HASH_PREFIX, HASH_SUFFIX, b64, load_json
from test.unit.obj.server_helpers import PATH, T1, T2, T3, get, head, post, put, req

CONTAINER_HEADERS = {'X-Container-Host': '10.0.0.1:6201', 'X-Container-Device': 'sdc',
                     'X-Container-Partition': '7'}


def _asyncs(app, device='sda'):
    root = os.path.join(app.diskfile_manager.config.devices, device)
    found = []
    for dirpath, _, names in os.walk(root):
        if '/async_pending' in dirpath:
            found.extend(os.path.join(dirpath, n) for n in names)
    return sorted(found)


# ------------------------------------------------------------------ container updates

def test_put_sends_container_update(tmp_path):
    http = FakeHTTP([201])
    app = make_app(tmp_path, http=http)
    response = put(app, b'hello', T1, X_Trans_Id='tx1', **{
        k.replace('-', '_'): v for k, v in CONTAINER_HEADERS.items()})
    assert response.status_int == 201
    [sent] = http.requests
    assert (sent['ip'], sent['port'], sent['device'], sent['partition'],
            sent['method'], sent['path']) == ('10.0.0.1', '6201', 'sdc', '7', 'PUT',
                                              '/a/c/o')
    headers = sent['headers']
    assert list(headers) == ['X-Size', 'X-Content-Type', 'X-Timestamp', 'X-Etag',
                             'X-Trans-Id', 'Referer', 'X-Backend-Storage-Policy-Index',
                             'User-Agent']
    assert headers['X-Size'] == '5'
    assert headers['X-Etag'] == md5_hex(b'hello')
    assert headers['Referer'] == 'PUT http://localhost:80/sda/0/a/c/o'
    assert headers['User-Agent'] == 'object-server %d' % os.getpid()
    assert _asyncs(app) == []


def test_several_container_hosts_each_get_one(tmp_path):
    http = FakeHTTP([201, 201])
    app = make_app(tmp_path, http=http)
    put(app, b'x', T1, X_Container_Host='10.0.0.1:1,10.0.0.2:2',
        X_Container_Device='d1,d2', X_Container_Partition='3')
    assert sorted((r['ip'], r['device']) for r in http.requests) == [
        ('10.0.0.1', 'd1'), ('10.0.0.2', 'd2')]


def test_mismatched_host_and_device_lists_are_logged_not_sent(tmp_path):
    http = FakeHTTP()
    app = make_app(tmp_path, http=http)
    assert put(app, b'x', T1, X_Container_Host='10.0.0.1:1,10.0.0.2:2',
               X_Container_Device='d1', X_Container_Partition='3').status_int == 201
    assert http.requests == []
    assert any('different numbers' in line for line in app.logger.lines_for('error'))


@pytest.mark.parametrize('answer', [503, ConnectionRefusedError(111, 'refused'), 404])
def test_failed_container_update_becomes_async_pending(tmp_path, answer):
    app = make_app(tmp_path, http=FakeHTTP([answer]))
    assert put(app, b'hello', T1, X_Trans_Id='tx9', **{
        k.replace('-', '_'): v for k, v in CONTAINER_HEADERS.items()}).status_int == 201
    [path] = _asyncs(app)
    object_hash = hash_path('a', 'c', 'o', config=app.hash_config)
    assert path.endswith('/async_pending/%s/%s-%s' % (object_hash[-3:], object_hash, T1))
    update = read_async_pending(path)
    assert update['op'] == 'PUT'
    assert (update['account'], update['container'], update['obj']) == ('a', 'c', 'o')
    assert update['headers']['X-Size'] == '5'
    assert update['db_state'] == 'unsharded'
    assert app.logger.lines_for('error')


def _golden_app(tmp_path, devices):
    app = make_app(tmp_path, http=FakeHTTP([ConnectionRefusedError(111, 'down')] * 10),
                   devices=devices)
    config = HashPathConfig(HASH_PREFIX, HASH_SUFFIX)
    app.hash_config = config
    app.diskfile_manager.hash_config = config
    return app


def test_async_pendings_identical_to_swift(tmp_path):
    """Same requests as the fixture's async.sh -> same file names and pickles."""
    fixture = load_json('async_pending', 'async_pending.json')
    layout = load_json('objects', 'layout.json')
    bodies = {o['object']: b64(o['files'][0]['content_b64']) for o in layout['objects']
              if o['object'].startswith('async-') and o['files'][0]['name'].endswith(
                  '.data')}
    app = _golden_app(tmp_path, ('d1', 'd2', 'd3', 'd4'))
    checked = 0
    for entry in fixture['async_pending']:
        expected = read_fixture_update(entry)
        headers = expected['headers']
        device = entry['path']  # noqa: F841 - kept for failure messages
        referer_path = headers['Referer'].split('18080', 1)[1]
        environ = {'REQUEST_METHOD': expected['op'], 'HTTP_HOST': '127.0.0.1:18080'}
        request_headers = {'X-Timestamp': headers['X-Timestamp'],
                           'X-Trans-Id': headers['X-Trans-Id'],
                           'X-Backend-Storage-Policy-Index':
                               headers['X-Backend-Storage-Policy-Index'],
                           'X-Container-Host': '127.0.0.1:1',
                           'X-Container-Device': 'dx', 'X-Container-Partition': '1'}
        body = None
        if expected['op'] == 'PUT':
            request_headers['Content-Type'] = headers['X-Content-Type']
            body = bodies[expected['obj']]
        request = Request.blank(referer_path, environ=environ, headers=request_headers,
                                body=body)
        response = request.get_response(app)
        assert response.status_int in (201, 404), response.body
        device = referer_path.split('/')[1]
        written = os.path.join(app.diskfile_manager.config.devices, device,
                               entry['path'])
        assert os.path.exists(written), entry['path']
        with open(written, 'rb') as fp:
            ours = fp.read()
        ours = ours.replace(('Vobject-server %d' % os.getpid()).encode(),
                            ('V' + headers['User-Agent']).encode())
        assert ours == b64(entry['content_b64'])
        os.unlink(written)
        checked += 1
    assert checked == 8


def read_fixture_update(entry):
    from swift.obj.async_pending import decode_update
    return decode_update(b64(entry['content_b64']))


# ------------------------------------------------------------------ expirer queue

def test_put_with_delete_at_queues_expirer_task(tmp_path):
    http = FakeHTTP([201, 201])
    app = make_app(tmp_path, http=http)
    delete_at = str(int(app.clock.time()) + 3600)
    assert put(app, b'abc', T1, X_Delete_At=delete_at, X_Delete_At_Host='10.0.0.9:6201',
               X_Delete_At_Device='sdz', X_Delete_At_Partition='5',
               X_Delete_At_Container='0001699920000').status_int == 201
    [task] = http.requests
    assert task['method'] == 'PUT'
    assert task['path'] == '/.expiring_objects/0001699920000/%s-a/c/o' % delete_at
    assert task['headers']['X-Content-Type'] == 'text/plain;swift_expirer_bytes=3'
    assert task['headers']['X-Etag'] == md5_hex(b'')
    assert task['headers']['X-Size'] == '0'
    assert task['headers']['X-Backend-Storage-Policy-Index'] == '0'


def test_delete_after_becomes_delete_at(tmp_path):
    app = make_app(tmp_path)
    assert put(app, b'abc', T1, X_Delete_After='100').status_int == 201
    assert head(app).headers['X-Delete-At'] == '1700000101'


def test_overwriting_expiring_object_removes_old_task_via_async(tmp_path):
    app = make_app(tmp_path)
    delete_at = str(int(app.clock.time()) + 3600)
    put(app, b'abc', T1, X_Delete_At=delete_at)
    put(app, b'def', T2)
    [path] = _asyncs(app)
    update = read_async_pending(path)
    assert update['op'] == 'DELETE'
    assert update['account'] == '.expiring_objects'
    assert update['obj'] == '%s-a/c/o' % delete_at
    shard = int(hash_path('a', 'c', 'o', config=app.hash_config), 16) % 100
    assert update['container'] == '%010d' % (int(delete_at) // 86400 * 86400 - shard)


# ------------------------------------------------------------------ POST

def test_post_replaces_user_metadata_and_keeps_sysmeta(tmp_path):
    app = make_app(tmp_path)
    put(app, b'abc', T1, X_Object_Meta_Color='red', X_Object_Sysmeta_S='keep')
    response = post(app, T2, X_Object_Meta_Flavor='vanilla')
    assert response.status_int == 202
    assert response.headers['X-Object-Sysmeta-S'] == 'keep'
    response = head(app)
    assert response.headers['X-Object-Meta-Flavor'] == 'vanilla'
    assert 'X-Object-Meta-Color' not in response.headers
    assert response.headers['X-Object-Sysmeta-S'] == 'keep'


def test_post_content_type_then_meta_only_matches_swift_files(tmp_path):
    """The fixture's posted-ctype.txt: PUT; POST ctype+meta; POST meta only."""
    http = FakeHTTP([201] * 6)
    app = make_app(tmp_path, http=http)
    put(app, b'abc', '1795990117.01046')
    assert post(app, '1795990117.23691', Content_Type='application/json',
                X_Object_Meta_Shape='round').status_int == 202
    assert post(app, '1795990117.46277', X_Object_Meta_Second='yes').status_int == 202
    df = app.diskfile_manager.get_diskfile('sda', '0', 'a', 'c', 'o')
    assert sorted(os.listdir(df.datadir)) == ['1795990117.01046.data',
                                              '1795990117.46277-583a.meta']
    from swift.obj.metadata import read_metadata
    meta = read_metadata(os.path.join(df.datadir, '1795990117.46277-583a.meta'))
    assert list(meta.items()) == [
        ('X-Timestamp', '1795990117.46277'), ('X-Object-Meta-Second', 'yes'),
        ('Content-Type', 'application/json'),
        ('Content-Type-Timestamp', '1795990117.23691'), ('name', '/a/c/o')]
    response = head(app)
    assert response.headers['Content-Type'] == 'application/json'
    assert 'X-Object-Meta-Shape' not in response.headers


def test_post_container_update_headers(tmp_path):
    http = FakeHTTP([201, 201])
    app = make_app(tmp_path, http=http)
    put(app, b'abc', T1)
    post(app, T2, Content_Type='app/x', **{
        k.replace('-', '_'): v for k, v in CONTAINER_HEADERS.items()})
    [update] = http.requests
    assert update['method'] == 'PUT'
    assert update['headers']['X-Timestamp'] == T1
    assert update['headers']['X-Meta-Timestamp'] == T2
    assert update['headers']['X-Content-Type'] == 'app/x'
    assert update['headers']['X-Content-Type-Timestamp'] == T2
    assert update['headers']['X-Size'] == '3'


@pytest.mark.parametrize('setup,timestamp,extra,status', [
    (True, T2, {}, 202),
    (False, T2, {}, 404),
    (True, T1, {}, 409),
    (True, T2, {'X-Delete-At': '1600000000'}, 400),
    (True, T2, {'X-Delete-At': 'x'}, 400),
    (True, None, {}, 400),
])
def test_post_table(tmp_path, setup, timestamp, extra, status):
    app = make_app(tmp_path)
    if setup:
        put(app, b'abc', T1)
    headers = dict(extra)
    if timestamp:
        headers['X-Timestamp'] = timestamp
    assert req(app, 'POST', PATH, headers).status_int == status


# ------------------------------------------------------------------ DELETE

@pytest.mark.parametrize('setup,timestamp,status,tombstone', [
    ('object', T2, 204, T2),
    ('none', T2, 404, T2),
    ('tombstone', T3, 404, T3),
    ('object', T1, 409, None),
])
def test_delete_table(tmp_path, setup, timestamp, status, tombstone):
    app = make_app(tmp_path)
    if setup == 'object':
        put(app, b'abc', T1)
    elif setup == 'tombstone':
        put(app, b'abc', T1)
        req(app, 'DELETE', headers={'X-Timestamp': T2})
    response = req(app, 'DELETE', headers={'X-Timestamp': timestamp})
    assert response.status_int == status
    df = app.diskfile_manager.get_diskfile('sda', '0', 'a', 'c', 'o')
    files = os.listdir(df.datadir) if os.path.isdir(df.datadir) else []
    if tombstone:
        assert files == [tombstone + '.ts']
        assert response.headers['X-Backend-Timestamp'] == tombstone
    else:
        assert files == [T1 + '.data']


def test_delete_of_expired_object_is_404_but_tombstones_and_updates(tmp_path):
    # field case BL-04
    http = FakeHTTP([201] * 5)
    app = make_app(tmp_path, http=http)
    now = app.clock.time()
    put(app, b'abc', '%.5f' % now, X_Delete_After='2')
    app.clock.advance(3)
    assert get(app).status_int == 404
    delete_ts = '%.5f' % app.clock.time()
    response = req(app, 'DELETE', headers=dict(CONTAINER_HEADERS, **{
        'X-Timestamp': delete_ts}))
    assert response.status_int == 404
    df = app.diskfile_manager.get_diskfile('sda', '0', 'a', 'c', 'o')
    assert os.listdir(df.datadir) == [delete_ts + '.ts']
    updates = [r for r in http.requests if r['path'] == '/a/c/o']
    assert [u['method'] for u in updates] == ['DELETE']
    assert updates[0]['headers']['X-Timestamp'] == delete_ts
    assert get(app, X_Backend_Replication='true').status_int == 404


@pytest.mark.parametrize('if_delete_at,setup_delete_at,status', [
    ('1700003600', '1700003600', 204),
    ('1700009999', '1700003600', 412),
    ('bogus', '1700003600', 400),
    ('1700003600', None, 412),
])
def test_delete_with_x_if_delete_at(tmp_path, if_delete_at, setup_delete_at, status):
    app = make_app(tmp_path)
    extra = {'X_Delete_At': setup_delete_at} if setup_delete_at else {}
    put(app, b'abc', T1, **extra)
    response = req(app, 'DELETE', headers={'X-Timestamp': T2,
                                           'X-If-Delete-At': if_delete_at})
    assert response.status_int == status


def test_x_if_delete_at_on_missing_object_writes_nothing(tmp_path):
    app = make_app(tmp_path)
    response = req(app, 'DELETE', headers={'X-Timestamp': T2,
                                           'X-If-Delete-At': '1700003600'})
    assert response.status_int == 404
    df = app.diskfile_manager.get_diskfile('sda', '0', 'a', 'c', 'o')
    assert not os.path.exists(df.datadir)


# ------------------------------------------------------------------ REPLICATE

def test_replicate_returns_suffix_hashes_and_invalidates(tmp_path):
    app = make_app(tmp_path)
    put(app, b'abc', T1)
    suffix = hash_path('a', 'c', 'o', config=app.hash_config)[-3:]
    response = req(app, 'REPLICATE', '/sda/0')
    assert response.status_int == 200
    hashes = pickle.loads(response.body)
    assert list(hashes) == [suffix] and len(hashes[suffix]) == 32
    response = req(app, 'REPLICATE', '/sda/0/%s-abc' % suffix)
    assert response.status_int == 200
    assert pickle.loads(response.body) is None
    part_dir = app.diskfile_manager.partition_path('sda', '0', 0)
    with open(os.path.join(part_dir, 'hashes.invalid')) as fp:
        assert fp.read() == '%s\nabc\n' % suffix
    assert pickle.loads(req(app, 'REPLICATE', '/sda/0').body) == hashes
    assert req(app, 'REPLICATE', '/nodev/0').status_int == 507
    assert pickle.loads(req(app, 'REPLICATE', '/sda/55').body) == {}


def test_unexpected_error_is_500_without_traceback(tmp_path):
    app = make_app(tmp_path)

    def boom(*args, **kwargs):
        raise RuntimeError('disk on fire')
    app.diskfile_manager.get_diskfile = boom
    response = get(app)
    assert response.status_int == 500
    assert b'Traceback' not in response.body and b'disk on fire' not in response.body
    assert app.logger.lines_for('exception')


def test_fake_response_shape():
    assert FakeResponse(201).getheader('Location') is None


def test_slow_container_update_does_not_hold_the_response(tmp_path):
    """After container_update_timeout the PUT answers; the update finishes later (here:
    fails) and is saved as an async pending then."""
    from swift.common import concurrency

    gate = concurrency.Event()

    class SlowHTTP(FakeHTTP):
        def __call__(self, *args, **kwargs):
            gate.wait()
            raise ConnectionRefusedError(111, 'too late')

    app = make_app(tmp_path, http=SlowHTTP(), container_update_timeout_s=0)
    response = put(app, b'abc', T1, **{
        k.replace('-', '_'): v for k, v in CONTAINER_HEADERS.items()})
    assert response.status_int == 201
    assert _asyncs(app) == []
    gate.send(True)
    concurrency.sleep(0)  # let the update greenthread finish
    concurrency.sleep(0)
    assert len(_asyncs(app)) == 1
