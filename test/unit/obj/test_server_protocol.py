"""Object server protocol details checked against Swift: OPTIONS and
replication_server, the expirer queue row (golden fixture), X-Delete-After, tombstone
reclaim through REPLICATE, 507 for every verb on an unusable device, fallocate_reserve
at the server, and the per-device replication locks."""

import os
import sqlite3

import pytest

import swift
from swift.common.fs import LockTimeout
from swift.common.hashing import HashPathConfig, md5_hex
from swift.obj.diskfile import Reserve
from test.helpers.fake_clock import FakeClock
from test.unit.obj.common import FakeHTTP, make_app, make_manager
from test.unit.obj.golden import HASH_PREFIX, HASH_SUFFIX, fixture_path
from test.unit.obj.server_helpers import PATH, T1, T2, delete, head, put, req

ALL_VERBS = 'DELETE, GET, HEAD, OPTIONS, POST, PUT, REPLICATE, SSYNC'


# ------------------------------------------------------------------ OPTIONS

@pytest.mark.parametrize('replication_server,status,allow', [
    (None, 200, ALL_VERBS),
    (False, 200, 'DELETE, GET, HEAD, OPTIONS, POST, PUT'),
    (True, 405, None),   # Swift leaves OPTIONS out of a replication-only server
])
def test_options_answers_like_swift(tmp_path, replication_server, status, allow):
    app = make_app(tmp_path, replication_server=replication_server)
    response = req(app, 'OPTIONS', PATH)
    assert response.status_int == status
    if allow is not None:
        assert response.headers['Allow'] == allow
        assert response.headers['Server'] == 'object-server/%s' % swift.__version__
        assert response.body == b''


def test_options_on_any_path_and_bad_utf8_path(tmp_path):
    app = make_app(tmp_path)
    assert req(app, 'OPTIONS', '/').status_int == 200
    assert req(app, 'OPTIONS', '/sda/0/a/c/\xff').status_int == 412


@pytest.mark.parametrize('replication_server,method,status', [
    (True, 'GET', 405), (True, 'PUT', 405), (True, 'REPLICATE', 200),
    (False, 'REPLICATE', 405), (False, 'SSYNC', 405), (False, 'HEAD', 404),
    (None, 'REPLICATE', 200), (None, 'COPY', 405),
])
def test_replication_server_splits_the_verbs(tmp_path, replication_server, method,
                                             status):
    app = make_app(tmp_path, replication_server=replication_server)
    path = '/sda/0' if method == 'REPLICATE' else PATH
    assert req(app, method, path).status_int == status


def test_replication_server_option_parsing():
    from swift.common.config import ConfigError
    from swift.obj.server import ObjectServerConfig
    assert ObjectServerConfig.from_conf({}).replication_server is None
    assert ObjectServerConfig.from_conf({'replication_server': ''}
                                        ).replication_server is None
    assert ObjectServerConfig.from_conf({'replication_server': 'yes'}
                                        ).replication_server is True
    assert ObjectServerConfig.from_conf({'replication_server': 'false'}
                                        ).replication_server is False
    with pytest.raises(ConfigError):
        ObjectServerConfig.from_conf({'replication_server': 'sometimes'})


# ------------------------------------------------------------------ expirer queue

def _fixture_queue_row():
    path = fixture_path('dbs', 'container-expiring_objects.db')
    conn = sqlite3.connect('file:%s?mode=ro' % path, uri=True)
    try:
        account, container = conn.execute(
            'SELECT account, container FROM container_info').fetchone()
        row = conn.execute('SELECT name, created_at, size, content_type, etag '
                           'FROM object').fetchone()
    finally:
        conn.close()
    return account, container, row


def test_expirer_queue_entry_is_the_row_swift_wrote(tmp_path):
    """expiring.txt: PUT with X-Delete-At 1798582117 and a 14-byte body; Swift 2.38
    queued it as the row found in dbs/container-expiring_objects.db."""
    account, container, (name, created_at, size, ctype, etag) = _fixture_queue_row()
    http = FakeHTTP([201])
    app = make_app(tmp_path, clock=FakeClock(1795990117.0), http=http)
    app.hash_config = HashPathConfig(HASH_PREFIX, HASH_SUFFIX)
    response = put(app, b'x' * 14, created_at,
                   path='/sda/775/AUTH_test/fixtures/expiring.txt',
                   X_Delete_At='1798582117', X_Delete_At_Host='127.0.0.1:6201',
                   X_Delete_At_Device='d2', X_Delete_At_Partition='374')
    assert response.status_int == 201
    [task] = http.requests
    assert task['method'] == 'PUT'
    assert (task['device'], task['partition']) == ('d2', '374')
    assert task['path'] == '/%s/%s/%s' % (account, container, name)
    assert task['headers']['X-Timestamp'] == created_at
    assert task['headers']['X-Size'] == str(size)
    assert task['headers']['X-Content-Type'] == ctype
    assert task['headers']['X-Etag'] == etag


@pytest.mark.parametrize('after,status,body', [
    ('100', 201, None),
    ('0', 400, b'X-Delete-After in past'),
    ('-5', 400, b'X-Delete-After in past'),
    ('1.5', 400, b'Non-integer X-Delete-After'),
    ('soon', 400, b'Non-integer X-Delete-After'),
])
def test_x_delete_after_table(tmp_path, after, status, body):
    app = make_app(tmp_path)
    response = put(app, b'abc', '1700000000.50000', X_Delete_After=after)
    assert response.status_int == status
    if body is not None:
        assert response.body == body
        assert head(app).status_int == 404
    else:
        # relative to X-Timestamp, whole seconds, stored as X-Delete-At only
        stored = head(app).headers
        assert stored['X-Delete-At'] == '1700000100'
        assert 'X-Delete-After' not in stored


# ------------------------------------------------------------------ reclaim

def test_tombstone_reclaimed_by_replicate_after_reclaim_age(tmp_path):
    clock = FakeClock(1700000010.0)
    app = make_app(tmp_path, clock=clock, reclaim_age_s=3600)
    assert put(app, b'abc', T1).status_int == 201
    assert delete(app, T2).status_int == 204
    df = app.diskfile_manager.get_diskfile('sda', '0', 'a', 'c', 'o')
    assert os.listdir(df.datadir) == [T2 + '.ts']
    assert req(app, 'REPLICATE', '/sda/0').status_int == 200
    assert os.listdir(df.datadir) == [T2 + '.ts']  # younger than reclaim_age: kept
    clock.advance(3600)
    req(app, 'REPLICATE', '/sda/0/%s' % df.object_hash[-3:])  # invalidate
    assert req(app, 'REPLICATE', '/sda/0').status_int == 200
    assert not os.path.exists(df.datadir)  # tombstone and hash dir gone
    assert head(app).headers.get('X-Backend-Timestamp') is None


# ------------------------------------------------------------------ 507

@pytest.mark.parametrize('method,path,headers', [
    ('PUT', PATH, {'X-Timestamp': T1, 'Content-Type': 'text/plain'}),
    ('GET', PATH, {}), ('HEAD', PATH, {}),
    ('POST', PATH, {'X-Timestamp': T1}), ('DELETE', PATH, {'X-Timestamp': T1}),
    ('REPLICATE', '/sda/0', {}), ('REPLICATE', '/sda/0/abc', {}),
])
def test_every_verb_is_507_on_an_unmounted_device(tmp_path, method, path, headers):
    app = make_app(tmp_path, mount_check=True, is_mount=lambda p: False)
    response = req(app, method, path, headers, b'x' if method == 'PUT' else None)
    assert response.status_int == 507
    assert os.listdir(os.path.join(app.diskfile_manager.config.devices, 'sda')) == []


class _Statvfs:
    f_frsize = 4096
    f_blocks = 1000

    def __init__(self, free_blocks):
        self.f_bavail = free_blocks


@pytest.mark.parametrize('reserve,free_blocks,body_bytes,status', [
    ('1%', 9, 10, 507),          # 0.9 % free
    ('1%', 500, 10, 201),
    ('16384', 5, 4096, 507),     # 20480 - 4096 bytes left <= 16384
    ('16384', 5, 4095, 201),     # 16385 left
    ('0', 0, 10, 201),           # no reserve
])
def test_fallocate_reserve_at_the_server(tmp_path, reserve, free_blocks, body_bytes,
                                         status):
    app = make_app(tmp_path, fallocate_reserve=Reserve.parse(reserve),
                   statvfs=lambda path: _Statvfs(free_blocks))
    response = put(app, b'x' * body_bytes, T1)
    assert response.status_int == status
    if status == 507:
        assert response.body.startswith(b'Insufficient Storage: FALLOCATE_RESERVE fail')
        assert head(app).status_int == 404
        df = app.diskfile_manager.get_diskfile('sda', '0', 'a', 'c', 'o')
        assert os.listdir(df.tmpdir) == []
    else:
        assert head(app).headers['Etag'] == md5_hex(b'x' * body_bytes)


# ------------------------------------------------------------------ device locks

def test_device_lock_allows_replication_concurrency_per_device(tmp_path):
    clock = FakeClock()
    manager = make_manager(tmp_path, clock=clock, replication_concurrency_per_device=2)
    with manager.replication_lock('sda', '1'):
        with manager.replication_lock('sda', '2'):
            device = os.path.join(manager.config.devices, 'sda')
            assert {'.lock', '.lock-1'} <= set(os.listdir(device))
            with pytest.raises(LockTimeout):
                with manager.replication_lock('sda', '3'):
                    pass
            assert sum(clock.sleeps) == pytest.approx(15.0, abs=0.02)
    with manager.replication_lock('sda', '3'):  # both released
        pass


def test_same_partition_waits_even_with_a_free_device_slot(tmp_path):
    clock = FakeClock()
    manager = make_manager(tmp_path, clock=clock, replication_concurrency_per_device=2,
                           replication_lock_timeout_s=2)
    with manager.replication_lock('sda', '1'):
        with pytest.raises(LockTimeout) as caught:
            with manager.replication_lock('sda', '1'):
                pass
    assert caught.value.path.endswith('/objects/1/.lock-replication')
    assert sum(clock.sleeps) == pytest.approx(2.0, abs=0.2)


def test_no_device_lock_when_concurrency_is_zero(tmp_path):
    manager = make_manager(tmp_path, replication_concurrency_per_device=0)
    with manager.replication_lock('sda', '1'):
        with manager.replication_lock('sda', '2'):
            pass
    assert '.lock' not in os.listdir(os.path.join(manager.config.devices, 'sda'))


def test_lock_options_defaults_are_swifts():
    from swift.obj.diskfile import DiskFileConfig
    config = DiskFileConfig.from_conf({})
    assert config.replication_lock_timeout_s == 15.0
    assert config.replication_concurrency_per_device == 1
    config = DiskFileConfig.from_conf({'replication_lock_timeout': '3',
                                       'replication_concurrency_per_device': '4'})
    assert (config.replication_lock_timeout_s,
            config.replication_concurrency_per_device) == (3.0, 4)


# ------------------------------------------------------------------ upload limits

class _TickingInput:
    """A body whose every read takes ``step`` seconds of the fake clock."""

    def __init__(self, clock, data, step):
        self.clock, self.data, self.step = clock, data, step

    def read(self, size):
        self.clock.advance(self.step)
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk


@pytest.mark.parametrize('step,status', [(30.0, 201), (50.0, 408)])
def test_max_upload_time_bounds_the_whole_body(tmp_path, step, status):
    from swift.common.swob import Request
    clock = FakeClock()
    app = make_app(tmp_path, clock=clock, max_upload_time_s=100.0,
                   network_chunk_bytes=4)
    request = Request.blank(PATH, environ={'REQUEST_METHOD': 'PUT'},
                            headers={'X-Timestamp': T1, 'Content-Type': 'text/plain'})
    request.environ['wsgi.input'] = _TickingInput(clock, b'0123456789', step)
    request.environ['CONTENT_LENGTH'] = '10'
    assert request.get_response(app).status_int == status  # 3 reads: 90 s or 150 s
    df = app.diskfile_manager.get_diskfile('sda', '0', 'a', 'c', 'o')
    assert os.listdir(df.tmpdir) == []
    assert head(app).status_int == (200 if status == 201 else 404)


@pytest.mark.parametrize('disable,calls', [(False, 1), (True, 0)])
def test_disable_fallocate(tmp_path, monkeypatch, disable, calls):
    from swift.common import fs
    from swift.obj.diskfile import DiskFileConfig
    seen = []
    monkeypatch.setattr(fs, 'fallocate', lambda fd, size: seen.append(size))
    assert DiskFileConfig.from_conf({'disable_fallocate': str(disable)}
                                    ).disable_fallocate is disable
    app = make_app(tmp_path, disable_fallocate=disable)
    assert put(app, b'abc', T1).status_int == 201
    assert len(seen) == calls


@pytest.mark.parametrize('size,headers,dropped', [
    (10, {}, False),                         # small, anonymous: kept cached
    (10, {'X-Auth-Token': 't'}, True),       # authenticated: dropped
    (64, {}, True),                          # not smaller than keep_cache_size
])
def test_page_cache_kept_only_for_small_public_gets(tmp_path, monkeypatch, size,
                                                    headers, dropped):
    from swift.common import fs
    from test.unit.obj.server_helpers import get
    app = make_app(tmp_path, keep_cache_bytes=64)
    assert put(app, b'x' * size, T1).status_int == 201
    drops = []
    monkeypatch.setattr(fs, 'drop_buffer_cache',
                        lambda fd, offset, length: drops.append((offset, length)))
    assert get(app, **{k.replace('-', '_'): v for k, v in headers.items()}
               ).body == b'x' * size
    assert drops == ([(0, 0)] if dropped else [])
