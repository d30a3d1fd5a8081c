"""Object server PUT: framing, ETag, timestamps, conditions, metadata, errors."""

import os

import pytest

from swift.common.hashing import md5_hex
from swift.obj.metadata import read_metadata
from test.helpers.fake_xattrs import FakeXattrs
from test.unit.obj.common import make_app
from test.unit.obj.server_helpers import PATH, T1, T2, T3, get, head, put, req


def _datadir_files(app, path=PATH):
    device, partition, account, container, obj = path.lstrip('/').split('/', 4)
    df = app.diskfile_manager.get_diskfile(device, partition, account, container, obj)
    return df, sorted(os.listdir(df.datadir)) if os.path.isdir(df.datadir) else []


@pytest.mark.parametrize('headers,body,status,resp_body', [
    ({}, b'hello', 201, b''),
    ({'Etag': md5_hex(b'hello')}, b'hello', 201, b''),
    ({'Etag': '"%s"' % md5_hex(b'hello')}, b'hello', 201, b''),
    ({'Etag': 'catbus'}, b'hello', 422, b'Unprocessable Entity\n'),
    ({'Etag': '"catbus"', 'Content-Length': '0'}, b'', 422, b'Unprocessable Entity\n'),
    ({'X-Timestamp': None}, b'x', 400, b'Missing X-Timestamp header'),
    ({'X-Timestamp': 'yesterday'}, b'x', 400,
     b"X-Timestamp should be a UNIX timestamp float value; was 'yesterday'"),
    ({'Content-Type': None}, b'x', 400, b'No content type'),
    ({'X-Delete-At': 'soon'}, b'x', 400, b'Non-integer X-Delete-At'),
    ({'X-Delete-At': '1600000000'}, b'x', 400, b'X-Delete-At in past'),
    ({'X-Delete-After': 'x'}, b'x', 400, b'Non-integer X-Delete-After'),
    ({'X-Object-Meta-' + 'k' * 129: 'v'}, b'x', 400, None),
    ({'X-Backend-Storage-Policy-Index': '7'}, b'x', 503, b'No policy with index 7'),
])
def test_put_table(tmp_path, headers, body, status, resp_body):
    # field case BL-08: a wrong ETag gives 422 (also for zero bytes) and stores nothing
    app = make_app(tmp_path)
    all_headers = {'X-Timestamp': T1, 'Content-Type': 'text/plain'}
    for key, value in headers.items():
        if value is None:
            all_headers.pop(key, None)
        else:
            all_headers[key] = value
    response = req(app, 'PUT', PATH, all_headers, body)
    assert response.status_int == status
    if resp_body is not None:
        assert response.body == resp_body
    if status != 201:
        assert head(app).status_int == 404
        assert _datadir_files(app)[1] == []


def test_put_stores_metadata_as_swift(tmp_path):
    app = make_app(tmp_path)
    response = put(app, b'hello', T1, X_Object_Meta_Color='blue',
                   X_Object_Sysmeta_Thing='s', Content_Disposition='attachment',
                   Content_Encoding='gzip', X_Other_Header='dropped')
    assert response.status_int == 201
    assert response.headers['Etag'] == md5_hex(b'hello')
    df, files = _datadir_files(app)
    assert files == [T1 + '.data']
    md = read_metadata(os.path.join(df.datadir, files[0]))
    assert list(md.items()) == [
        ('X-Timestamp', T1), ('Content-Type', 'text/plain'), ('Content-Length', '5'),
        ('ETag', md5_hex(b'hello')), ('X-Object-Meta-Color', 'blue'),
        ('X-Object-Sysmeta-Thing', 's'), ('Content-Disposition', 'attachment'),
        ('Content-Encoding', 'gzip'), ('name', '/a/c/o')]
    response = get(app)
    assert response.headers['Content-Disposition'] == 'attachment'
    assert response.headers['Content-Encoding'] == 'gzip'
    assert response.headers['X-Object-Meta-Color'] == 'blue'
    assert 'X-Other-Header' not in response.headers


def test_put_utf8_name_and_metadata_as_swift_stores_them(tmp_path):
    app = make_app(tmp_path)
    path = '/sda/0/a/c/%C3%BCn%C3%AFc%C3%B8d%C3%A9/%E2%98%83'
    response = put(app, b'x', T1, path=path, X_Object_Meta_Name='café ☃'.encode(
        'utf-8').decode('latin-1'))
    assert response.status_int == 201
    df = app.diskfile_manager.get_diskfile('sda', '0', 'a', 'c', 'ünïcødé/☃')
    md = df.read_metadata()
    assert md['name'] == '/a/c/ünïcødé/☃'
    assert md['X-Object-Meta-Name'] == 'caf\xc3\xa9 \xe2\x98\x83'
    assert get(app, path).headers['X-Object-Meta-Name'] == 'caf\xc3\xa9 \xe2\x98\x83'


def test_chunked_put_without_content_length(tmp_path):
    app = make_app(tmp_path)
    from swift.common.swob import Request
    import io
    request = Request.blank(PATH, environ={'REQUEST_METHOD': 'PUT'},
                            headers={'X-Timestamp': T1, 'Content-Type': 'text/plain',
                                     'Transfer-Encoding': 'chunked'})
    request.environ['wsgi.input'] = io.BytesIO(b'x' * 200000)
    assert request.get_response(app).status_int == 201
    response = get(app)
    assert response.body == b'x' * 200000
    assert response.headers['Content-Length'] == '200000'


def test_put_without_length_or_chunking_is_411(tmp_path):
    app = make_app(tmp_path)
    from swift.common.swob import Request
    request = Request.blank(PATH, environ={'REQUEST_METHOD': 'PUT'},
                            headers={'X-Timestamp': T1, 'Content-Type': 'text/plain'})
    request.environ.pop('CONTENT_LENGTH', None)
    response = request.get_response(app)
    assert response.status_int == 411
    assert response.body == b'Missing Content-Length header.'


def test_short_body_is_client_disconnect_and_stores_nothing(tmp_path):
    app = make_app(tmp_path)
    from swift.common.swob import Request
    import io
    request = Request.blank(PATH, environ={'REQUEST_METHOD': 'PUT'},
                            headers={'X-Timestamp': T1, 'Content-Type': 'text/plain'})
    request.environ['wsgi.input'] = io.BytesIO(b'abc')
    request.environ['CONTENT_LENGTH'] = '10'
    assert request.get_response(app).status_int == 499
    assert head(app).status_int == 404
    df, files = _datadir_files(app)
    assert files == [] and os.listdir(df.tmpdir) == []


def test_older_or_equal_timestamp_conflicts(tmp_path):
    app = make_app(tmp_path)
    assert put(app, b'new', T2).status_int == 201
    for stamp in (T1, T2):
        response = put(app, b'old', stamp)
        assert response.status_int == 409
        assert response.headers['X-Backend-Timestamp'] == T2
    assert get(app).body == b'new'
    assert req(app, 'DELETE', headers={'X-Timestamp': T3}).status_int == 204
    response = put(app, b'older', T2)
    assert response.status_int == 409
    assert response.headers['X-Backend-Timestamp'] == T3


def test_if_none_match_star_treats_tombstone_as_no_object(tmp_path):
    # field case BL-02: statuses [201, 412, 204, 201]
    app = make_app(tmp_path)
    statuses = [
        put(app, b'', T1, If_None_Match='*').status_int,
        put(app, b'', T2, If_None_Match='*').status_int,
        req(app, 'DELETE', headers={'X-Timestamp': T3}).status_int,
        put(app, b'', '1700000004.00000', If_None_Match='*').status_int,
    ]
    assert statuses == [201, 412, 204, 201]


def test_if_none_match_etag(tmp_path):
    app = make_app(tmp_path)
    put(app, b'abc', T1)
    assert put(app, b'x', T2, If_None_Match='"%s"' % md5_hex(b'abc')).status_int == 412
    assert put(app, b'x', T2, If_None_Match='"other"').status_int == 201


def test_put_replaces_and_cleans_older_data(tmp_path):
    app = make_app(tmp_path)
    put(app, b'one', T1)
    put(app, b'two', T2)
    assert _datadir_files(app)[1] == [T2 + '.data']
    assert get(app).body == b'two'


def test_metadata_too_big_for_xattrs_is_507_and_keeps_old_version(tmp_path):
    app = make_app(tmp_path, xattrs=FakeXattrs(limit_bytes=4000))
    assert put(app, b'old', T1).status_int == 201
    big = {'X_Object_Meta_K%02d' % i: 'v' * 250 for i in range(16)}
    response = put(app, b'new', T2, **big)
    assert response.status_int == 507
    assert b'does not fit in the extended attributes' in response.body
    assert get(app).body == b'old'
    df, files = _datadir_files(app)
    assert files == [T1 + '.data'] and os.listdir(df.tmpdir) == []


class _FullDisk:
    f_frsize = 4096
    f_bavail = 1
    f_blocks = 1000


def test_full_device_is_507_and_writes_nothing(tmp_path):
    from swift.obj.diskfile import Reserve
    app = make_app(tmp_path, fallocate_reserve=Reserve(1.0, True),
                   statvfs=lambda path: _FullDisk())
    response = put(app, b'data', T1)
    assert response.status_int == 507
    df, files = _datadir_files(app)
    assert files == [] and os.listdir(df.tmpdir) == []


@pytest.mark.parametrize('mount_check,is_mount,status', [
    (True, False, 507), (True, True, 201), (False, False, 201)])
def test_unmounted_device_is_507(tmp_path, mount_check, is_mount, status):
    app = make_app(tmp_path, mount_check=mount_check, is_mount=lambda path: is_mount)
    response = put(app)
    assert response.status_int == status
    if status == 507:
        assert b'sda' in response.body


@pytest.mark.parametrize('path,status', [
    ('/sda/0/a/c', 400), ('/sda/0/a', 400), ('/../0/a/c/o', 400),
    ('/nodev/0/a/c/o', 507)])
def test_bad_paths(tmp_path, path, status):
    app = make_app(tmp_path)
    assert put(app, path=path).status_int == status


def test_object_name_too_long(tmp_path):
    app = make_app(tmp_path)
    response = put(app, path='/sda/0/a/c/' + 'o' * 1025)
    assert response.status_int == 400
    assert response.body == b'Object name length of 1025 longer than 1024'


def test_unknown_method(tmp_path):
    app = make_app(tmp_path)
    assert req(app, 'PATCH').status_int == 405


class _SlowInput:
    """A body whose next chunk never arrives in time."""

    def read(self, size=-1):
        from swift.common.exceptions import ChunkReadTimeout
        raise ChunkReadTimeout(None)  # an unscheduled timeout


def test_client_timeout_is_408_and_stores_nothing(tmp_path):
    from swift.common.swob import Request
    app = make_app(tmp_path)
    request = Request.blank(PATH, environ={'REQUEST_METHOD': 'PUT'},
                            headers={'X-Timestamp': T1, 'Content-Type': 'text/plain'})
    request.environ['wsgi.input'] = _SlowInput()
    request.environ['CONTENT_LENGTH'] = '10'
    assert request.get_response(app).status_int == 408
    df, files = _datadir_files(app)
    assert files == [] and os.listdir(df.tmpdir) == []


def test_disk_full_while_writing_is_507(tmp_path, monkeypatch):
    import errno
    from swift.obj import diskfile
    app = make_app(tmp_path)

    def no_space(fd, data):
        raise OSError(errno.ENOSPC, 'No space left on device')
    monkeypatch.setattr(diskfile.os, 'write', no_space)
    response = put(app, b'abc', T1)
    monkeypatch.undo()
    assert response.status_int == 507
    df, files = _datadir_files(app)
    assert files == [] and os.listdir(df.tmpdir) == []


def test_container_update_overrides(tmp_path):
    from test.unit.obj.common import FakeHTTP
    http = FakeHTTP([201, 201])
    app = make_app(tmp_path, http=http)
    put(app, b'abc', T1, X_Container_Host='1.2.3.4:5', X_Container_Device='d',
        X_Container_Partition='1',
        X_Backend_Container_Update_Override_Etag='slo-etag',
        X_Backend_Container_Update_Override_Size='999',
        X_Object_Sysmeta_Container_Update_Override_Content_Type='text/x;swift_bytes=9')
    headers = http.requests[0]['headers']
    assert (headers['X-Etag'], headers['X-Size'], headers['X-Content-Type']) == (
        'slo-etag', '999', 'text/x;swift_bytes=9')
    assert list(headers)[:4] == ['X-Size', 'X-Content-Type', 'X-Timestamp', 'X-Etag']


def test_empty_metadata_value_is_stored_and_read_back(tmp_path):
    # An empty value pickles (protocol 2) as a call of __builtin__.bytes: reading it
    # back must not quarantine the object (as it did, found by the s3api work).
    app = make_app(tmp_path)
    assert put(app, X_Object_Meta_Empty='', X_Object_Meta_Full='x').status_int == 201
    resp = get(app)
    assert resp.status_int == 200 and resp.body == b'hello'
    assert resp.headers['X-Object-Meta-Empty'] == ''
    assert resp.headers['X-Object-Meta-Full'] == 'x'
