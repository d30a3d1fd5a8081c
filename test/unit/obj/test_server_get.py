"""Object server GET/HEAD: ranges, conditional requests, expiry, quarantine."""

import os

import pytest

from swift.common.hashing import md5_hex
from swift.common.swob import http_date
from swift.common.timestamp import Timestamp
from test.unit.obj.common import make_app
from test.unit.obj.server_helpers import PATH, T1, T2, T3, delete, get, head, put, req

BODY = b'0123456789'


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    assert put(app, BODY, T1, X_Object_Meta_Color='blue').status_int == 201
    return app


@pytest.mark.parametrize('range_header,status,body,content_range', [
    ('bytes=0-3', 206, b'0123', 'bytes 0-3/10'),
    ('bytes=5-', 206, b'56789', 'bytes 5-9/10'),
    ('bytes=-3', 206, b'789', 'bytes 7-9/10'),
    ('bytes=-20', 206, BODY, 'bytes 0-9/10'),
    ('bytes=8-100', 206, b'89', 'bytes 8-9/10'),
    ('bytes=10-', 416, None, 'bytes */10'),
    ('bytes=20-30', 416, None, 'bytes */10'),
    # field case BL-01: malformed ranges are ignored -> whole object, no Content-Range
    ('bytes=--5', 200, BODY, None),
    ('bytes=5-3', 200, BODY, None),
    ('bytes=-', 200, BODY, None),
    ('bytes=45', 200, BODY, None),
    ('bytes=nonumber-5', 200, BODY, None),
    ('chars=0-1', 200, BODY, None),
])
def test_ranges(app, range_header, status, body, content_range):
    response = get(app, Range=range_header)
    assert response.status_int == status
    if body is not None:
        assert response.body == body
        assert response.headers['Content-Length'] == str(len(body))
    assert response.headers.get('Content-Range') == content_range


def test_multiple_ranges(app):
    response = get(app, Range='bytes=0-1,8-9')
    assert response.status_int == 206
    ctype = response.headers['Content-Type']
    assert ctype.startswith('multipart/byteranges;boundary=')
    boundary = ctype.split('=', 1)[1]
    expected = ('\r\n--{b}\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10'
                '\r\n\r\n01\r\n--{b}\r\nContent-Type: text/plain\r\nContent-Range: '
                'bytes 8-9/10\r\n\r\n89\r\n--{b}--').format(b=boundary).encode()
    assert response.body == expected
    assert response.headers['Content-Length'] == str(len(expected))


def test_get_and_head_headers(app):
    for response in (get(app), head(app)):
        assert response.status_int == 200
        assert response.headers['Etag'] == md5_hex(BODY)
        assert response.headers['Content-Length'] == '10'
        assert response.headers['Content-Type'] == 'text/plain'
        assert response.headers['X-Object-Meta-Color'] == 'blue'
        assert response.headers['X-Timestamp'] == T1
        assert response.headers['X-Backend-Timestamp'] == T1
        assert response.headers['X-Backend-Data-Timestamp'] == T1
        assert response.headers['Last-Modified'] == http_date(1700000001)
    assert head(app).body == b''


def test_last_modified_is_rounded_up_and_round_trips(tmp_path):
    # field case BL-07
    app = make_app(tmp_path)
    stamp = '1700000001.25000'
    put_response = put(app, b'abc', stamp)
    last_modified = put_response.headers['Last-Modified']
    assert last_modified == http_date(Timestamp(stamp).ceil_seconds) == \
        http_date(1700000002)
    assert head(app).headers['Last-Modified'] == last_modified
    assert get(app, If_Modified_Since=last_modified).status_int == 304
    response = get(app, If_Unmodified_Since=last_modified)
    assert response.status_int == 200 and response.body == b'abc'


@pytest.mark.parametrize('headers,status', [
    ({'If-Match': '"%s"' % md5_hex(BODY)}, 200),
    ({'If-Match': '*'}, 200),
    ({'If-Match': '"nope"'}, 412),
    ({'If-None-Match': '"%s"' % md5_hex(BODY)}, 304),
    ({'If-None-Match': '*'}, 304),
    ({'If-None-Match': '"nope"'}, 200),
    ({'If-Modified-Since': http_date(1700000000)}, 200),
    ({'If-Modified-Since': http_date(1700000001)}, 304),
    ({'If-Unmodified-Since': http_date(1700000000)}, 412),
    ({'If-Unmodified-Since': http_date(1700000001)}, 200),
    ({'If-Modified-Since': 'garbage'}, 200),
])
def test_conditional_get_and_head(app, headers, status):
    for method in ('GET', 'HEAD'):
        response = req(app, method, PATH, headers)
        assert response.status_int == status, method
        if status == 304:
            assert response.body == b''


def test_not_found_carries_backend_timestamp(app):
    assert 'X-Backend-Timestamp' not in get(app, path='/sda/0/a/c/none').headers
    delete(app, T2)
    for response in (get(app), head(app)):
        assert response.status_int == 404
        assert response.headers['X-Backend-Timestamp'] == T2


def test_expired_object_is_404_unless_replication(tmp_path):
    app = make_app(tmp_path)
    now = app.clock.time()
    put(app, b'abc', T1, X_Delete_At=str(int(now) + 5))
    assert get(app).status_int == 200
    app.clock.advance(6)
    response = get(app)
    assert response.status_int == 404
    assert response.headers['X-Backend-Timestamp'] == T1
    assert head(app).status_int == 404
    assert get(app, X_Backend_Replication='true').status_int == 200


@pytest.mark.parametrize('damage', ['remove', 'overwrite'])
def test_bad_metadata_gives_404_and_quarantines(app, damage):
    # field case BL-26
    df = app.diskfile_manager.get_diskfile('sda', '0', 'a', 'c', 'o')
    data_path = os.path.join(df.datadir, T1 + '.data')
    if damage == 'remove':
        os.removexattr(data_path, 'user.swift.metadata')
    else:
        os.setxattr(data_path, 'user.swift.metadata', b'\x80\x02garbage')
    response = get(app)
    assert response.status_int == 404
    qdir = os.path.join(app.diskfile_manager.config.devices, 'sda', 'quarantined',
                        'objects', df.object_hash)
    assert os.path.isdir(qdir)
    assert not os.path.exists(df.datadir)
    assert put(app, BODY, T2).status_int == 201  # a good copy can be written again
    assert get(app).body == BODY


def test_corrupted_byte_is_caught_on_get(app):
    df = app.diskfile_manager.get_diskfile('sda', '0', 'a', 'c', 'o')
    with open(os.path.join(df.datadir, T1 + '.data'), 'r+b') as fp:
        fp.write(b'X')
    response = get(app)
    # the client gets the stored ETag with the bytes, so it can tell they differ
    assert response.headers['Etag'] == md5_hex(BODY)
    assert md5_hex(response.body) != response.headers['Etag']
    assert get(app).status_int == 404
    assert os.path.isdir(os.path.join(app.diskfile_manager.config.devices, 'sda',
                                      'quarantined', 'objects', df.object_hash))


def test_policy_index_selects_datadir(tmp_path):
    app = make_app(tmp_path)
    assert put(app, b'one', T1, X_Backend_Storage_Policy_Index='1').status_int == 201
    assert get(app).status_int == 404
    assert get(app, X_Backend_Storage_Policy_Index='1').body == b'one'
    assert os.path.isdir(os.path.join(app.diskfile_manager.config.devices, 'sda',
                                      'objects-1', '0'))


def test_post_then_get_merged_view(app):
    assert req(app, 'POST', headers={'X-Timestamp': T2, 'X-Object-Meta-Flavor': 'v',
                                     'Content-Type': 'application/json'}
               ).status_int == 202
    response = get(app)
    assert response.headers['Content-Type'] == 'application/json'
    assert response.headers['X-Object-Meta-Flavor'] == 'v'
    assert 'X-Object-Meta-Color' not in response.headers
    assert response.headers['X-Timestamp'] == T2
    assert response.headers['X-Backend-Data-Timestamp'] == T1
    assert response.body == BODY
    assert T3 > T2


def test_ignore_range_if_metadata_present(tmp_path):
    app = make_app(tmp_path)
    put(app, b'[manifest]', T1, X_Static_Large_Object='True')
    response = get(app, Range='bytes=0-1',
                   X_Backend_Ignore_Range_If_Metadata_Present='X-Static-Large-Object')
    assert response.status_int == 200 and response.body == b'[manifest]'
    assert get(app, Range='bytes=0-1').status_int == 206


def test_etag_is_at_drives_conditionals(tmp_path):
    app = make_app(tmp_path)
    put(app, b'abc', T1, X_Object_Sysmeta_Slo_Etag='slo-etag')
    headers = {'X-Backend-Etag-Is-At': 'X-Object-Sysmeta-Slo-Etag,X-Other'}
    assert req(app, 'GET', PATH, dict(headers, **{'If-Match': '"slo-etag"'})
               ).status_int == 200
    assert req(app, 'GET', PATH, dict(headers, **{'If-Match': '"%s"' % md5_hex(b'abc')})
               ).status_int == 412
    assert req(app, 'HEAD', PATH, dict(headers, **{'If-None-Match': '"slo-etag"'})
               ).status_int == 304
