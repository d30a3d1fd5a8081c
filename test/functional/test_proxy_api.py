"""The proxy's own API behaviour over HTTP (issue 6): /info, transaction ids, ranges and
conditional requests, chunked uploads, client disconnects, internal headers, and the
field cases of ../shared/reference/field-cases.md that pass through the proxy."""

import glob
import hashlib
import http.client
import json
import os
import socket
import time
import urllib.parse
import uuid

import pytest
from swiftclient import client as swiftclient

pytestmark = pytest.mark.functional

BODY = b'0123456789'


@pytest.fixture
def container(cluster):
    name = 'api-' + uuid.uuid4().hex[:10]
    assert cluster.raw('PUT', '/' + name).status == 201
    return name


def _proxy(cluster):
    parsed = urllib.parse.urlparse(cluster.storage_url)
    return parsed.hostname, parsed.port


def _plain_request(cluster, method, path, headers=None):
    host, port = _proxy(cluster)
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


# ------------------------------------------------------------------ /info

def test_info_has_every_registered_section_and_constraints(cluster):
    status, headers, body = _plain_request(cluster, 'GET', '/info')
    assert status == 200
    assert headers['content-type'].startswith('application/json')
    info = json.loads(body)
    swift = info['swift']
    assert swift['version']
    for key in ('max_file_size', 'max_meta_name_length', 'max_meta_value_length',
                'max_meta_count', 'max_meta_overall_size', 'max_header_size',
                'max_object_name_length', 'container_listing_limit',
                'account_listing_limit', 'max_account_name_length',
                'max_container_name_length', 'extra_header_count'):
        assert isinstance(swift[key], int), key
    assert swift['max_meta_count'] == 90
    assert swift['max_file_size'] == 5368709122
    assert isinstance(swift['strict_cors_mode'], bool)
    names = [p['name'] for p in swift['policies']]
    assert names and len(names) == len(set(names))
    assert sum(1 for p in swift['policies'] if p.get('default')) == 1
    assert info['tempauth'] == {'account_acls': True}
    # python-swiftclient reads the same document
    assert swiftclient.get_capabilities(swiftclient.http_connection(
        'http://%s:%d/info' % _proxy(cluster))) == info


def test_info_verbs(cluster):
    status, _headers, body = _plain_request(cluster, 'HEAD', '/info')
    assert (status, body) == (200, b'')
    status, headers, _body = _plain_request(cluster, 'OPTIONS', '/info')
    assert status == 200
    assert set(headers['allow'].split(', ')) == {'GET', 'HEAD', 'OPTIONS'}
    status, headers, _body = _plain_request(cluster, 'POST', '/info')
    assert status == 405
    # admin sections need a signature: a bad one is refused
    status, _h, _b = _plain_request(
        cluster, 'GET', '/info?swiftinfo_sig=abc&swiftinfo_expires=%d' % (
            time.time() + 60))
    assert status in (401, 403)


# ------------------------------------------------------------------ transaction ids

def test_every_response_has_a_transaction_id(cluster, container):
    seen = set()
    cases = [('GET', '/info', None), ('GET', '/healthcheck', None),
             ('GET', '/auth/v1.0', None), ('GET', '/nope', None),
             ('GET', '/v1/AUTH_test', None), ('GET', '/v2/AUTH_test', cluster.token),
             ('GET', '/v1/AUTH_test', cluster.token),
             ('PATCH', '/v1/AUTH_test/' + container, cluster.token),
             ('GET', '/v1/AUTH_test/%s/missing' % container, cluster.token),
             ('PUT', '/v1/AUTH_test/%s/o' % container, cluster.token)]
    for method, path, token in cases:
        headers = {'X-Auth-Token': token} if token else {}
        if method == 'PUT':
            headers['Content-Length'] = '0'
        status, got, _body = _plain_request(cluster, method, path, headers)
        trans_id = got.get('x-trans-id')
        assert trans_id and trans_id.startswith('tx'), (method, path, status)
        assert got['x-openstack-request-id'] == trans_id
        seen.add(trans_id)
    assert len(seen) == len(cases)
    _s, got, _b = _plain_request(cluster, 'GET', '/info', {'X-Trans-Id-Extra': 'mine'})
    assert got['x-trans-id'].endswith('-mine')


# ------------------------------------------------------------------ ranges, conditions

def test_ranges(cluster, container):
    path = '/%s/r' % container
    cluster.raw('PUT', path, body=BODY)
    for value, body, content_range in (('bytes=2-5', b'2345', 'bytes 2-5/10'),
                                       ('bytes=-3', b'789', 'bytes 7-9/10'),
                                       ('bytes=8-', b'89', 'bytes 8-9/10'),
                                       ('bytes=5-100', b'56789', 'bytes 5-9/10')):
        resp = cluster.raw('GET', path, headers={'Range': value})
        assert resp.status == 206, value
        assert resp.body == body
        assert resp.headers['content-range'] == content_range
        assert resp.headers['content-length'] == str(len(body))
    resp = cluster.raw('GET', path, headers={'Range': 'bytes=0-1,8-9'})
    assert resp.status == 206
    assert resp.headers['content-type'].startswith('multipart/byteranges;boundary=')
    assert b'Content-Range: bytes 0-1/10' in resp.body
    assert b'Content-Range: bytes 8-9/10' in resp.body
    resp = cluster.raw('GET', path, headers={'Range': 'bytes=10-'})
    assert resp.status == 416
    assert resp.headers['content-range'] == 'bytes */10'
    # BL-01: malformed ranges are ignored
    for value in ('bytes=--5', 'bytes=5-3', 'bytes=-', 'bytes=45', 'bytes=nonumber-5'):
        resp = cluster.raw('GET', path, headers={'Range': value})
        assert (resp.status, resp.body) == (200, BODY), value
        assert 'content-range' not in resp.headers
        assert resp.headers['content-length'] == '10'


def test_conditional_get_and_head(cluster, container):
    path = '/%s/cond' % container
    put = cluster.raw('PUT', path, body=BODY)
    etag = put.headers['etag']
    assert etag == hashlib.md5(BODY).hexdigest()
    assert cluster.raw('GET', path, headers={'If-Match': etag}).body == BODY
    assert cluster.raw('GET', path, headers={'If-Match': '"%s"' % etag}).status == 200
    assert cluster.raw('GET', path, headers={'If-Match': 'nope'}).status == 412
    assert cluster.raw('HEAD', path, headers={'If-Match': 'nope'}).status == 412
    resp = cluster.raw('GET', path, headers={'If-None-Match': etag})
    assert resp.status == 304
    assert resp.headers['etag'] == etag
    assert resp.body == b''
    assert cluster.raw('GET', path, headers={'If-None-Match': 'other'}).status == 200
    resp = cluster.raw('GET', path, headers={'If-None-Match': etag, 'Range': 'bytes=1-2'})
    assert resp.status == 304


def test_bl07_last_modified_round_trips(cluster, container):
    path = '/%s/lm' % container
    put = cluster.raw('PUT', path, body=BODY)
    last_modified = put.headers['last-modified']
    assert cluster.raw('HEAD', path).headers['last-modified'] == last_modified
    assert cluster.raw('GET', path, headers={
        'If-Modified-Since': last_modified}).status == 304
    resp = cluster.raw('GET', path, headers={'If-Unmodified-Since': last_modified})
    assert (resp.status, resp.body) == (200, BODY)
    assert cluster.raw('GET', path, headers={
        'If-Unmodified-Since': 'Thu, 01 Jan 1970 00:00:01 GMT'}).status == 412


# ------------------------------------------------------------------ field cases

def test_bl02_if_none_match_after_delete(cluster, container):
    path = '/%s/inm' % container
    headers = {'If-None-Match': '*', 'Content-Length': '0'}
    statuses = [cluster.raw('PUT', path, body=b'', headers=headers).status,
                cluster.raw('PUT', path, body=b'', headers=headers).status,
                cluster.raw('DELETE', path).status,
                cluster.raw('PUT', path, body=b'', headers=headers).status]
    assert statuses == [201, 412, 204, 201]
    resp = cluster.raw('PUT', path, body=b'', headers={'If-None-Match': 'etag'})
    assert resp.status == 400


def test_bl04_delete_of_expired_object(cluster, container):
    path = '/%s/expiring' % container
    assert cluster.raw('PUT', path, body=BODY, headers={
        'X-Delete-After': '2'}).status == 201
    assert cluster.raw('GET', path).status == 200
    time.sleep(3)
    assert cluster.raw('GET', path).status == 404
    assert cluster.raw('DELETE', path).status == 404
    assert cluster.raw('GET', path + '?multipart-manifest=get').status == 404
    listing = cluster.json_get('/%s?format=json' % container)
    assert 'expiring' not in [entry['name'] for entry in listing]
    bad = cluster.raw('PUT', path, body=BODY, headers={'X-Delete-After': 'soon'})
    assert (bad.status, bad.body) == (400, b'Non-integer X-Delete-After')


def test_bl05_metadata_limits_across_posts(cluster, container, tmp_path):
    headers = {'X-Container-Meta-K%d' % i: 'v' for i in range(90)}
    assert cluster.raw('POST', '/' + container, headers=headers).status == 204
    resp = cluster.raw('POST', '/' + container, headers={'X-Container-Meta-Extra': 'v'})
    assert resp.status == 400
    assert b'Too many metadata items; max 90' in resp.body
    head = cluster.raw('HEAD', '/' + container)
    assert sum(1 for k in head.headers if k.startswith('x-container-meta-')) == 90
    # a removal does not count; after it one more fits
    assert cluster.raw('POST', '/' + container, headers={
        'X-Remove-Container-Meta-K0': 'x'}).status == 204
    assert cluster.raw('POST', '/' + container, headers={
        'X-Container-Meta-Extra': 'v'}).status == 204
    # the overall size is cumulative as well (4096 bytes of names and values)
    other = container + '-size'
    cluster.raw('PUT', '/' + other)
    big = {'X-Container-Meta-B%d' % i: 'x' * 250 for i in range(15)}
    assert cluster.raw('POST', '/' + other, headers=big).status == 204
    more = {'X-Container-Meta-C%d' % i: 'x' * 250 for i in range(3)}
    resp = cluster.raw('POST', '/' + other, headers=more)
    assert resp.status == 400
    assert b'Total metadata too large; max 4096' in resp.body


@pytest.mark.parametrize('accept', ['application/json;q=nope', 'text/plain;q=0.5;q=1'])
def test_bl06_malformed_accept(cluster, container, accept):
    for path in ('', '/' + container):
        resp = cluster.raw('GET', path, headers={'Accept': accept})
        assert (resp.status, resp.body) == (400, b'Invalid Accept header'), path
    assert cluster.raw('GET', '/' + container, headers={
        'Accept': 'image/png'}).status == 406


def test_bl08_zero_byte_put_with_wrong_etag(cluster, container):
    path = '/%s/catbus' % container
    resp = cluster.raw('PUT', path, body=b'', headers={
        'Content-Length': '0', 'Etag': '"catbus"'})
    assert resp.status == 422
    assert cluster.raw('HEAD', path).status == 404
    resp = cluster.raw('PUT', path, body=b'data', headers={'Etag': 'catbus'})
    assert resp.status == 422
    assert cluster.raw('HEAD', path).status == 404


def test_bl10_marker_with_delimiter(cluster, container):
    for name in ('d0/a', 'd1/object', 'd1/z', 'd2/x'):
        cluster.raw('PUT', '/%s/%s' % (container, name), body=b'.')
    first = cluster.json_get('/%s?delimiter=/&marker=d1/object&format=json' % container)
    assert first == [{'subdir': 'd1/'}, {'subdir': 'd2/'}]
    second = cluster.json_get('/%s?delimiter=/&marker=d1/&format=json' % container)
    assert second == [{'subdir': 'd2/'}]


# ------------------------------------------------------------------ uploads

def test_chunked_upload(cluster, container):
    host, port = _proxy(cluster)
    path = urllib.parse.urlparse(cluster.storage_url).path + '/%s/chunked' % container
    conn = http.client.HTTPConnection(host, port, timeout=30)
    chunks = [b'a' * 70000, b'b' * 3, b'c' * 65536]
    try:
        conn.putrequest('PUT', path)
        conn.putheader('X-Auth-Token', cluster.token)
        conn.putheader('Transfer-Encoding', 'chunked')
        conn.endheaders()
        for chunk in chunks:
            conn.send(b'%x\r\n%s\r\n' % (len(chunk), chunk))
        conn.send(b'0\r\n\r\n')
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 201
    finally:
        conn.close()
    got = cluster.raw('GET', '/%s/chunked' % container)
    assert got.body == b''.join(chunks)
    assert got.headers['etag'] == hashlib.md5(b''.join(chunks)).hexdigest()


def test_put_without_length_is_411_and_expect_100_continue_works(cluster, container):
    host, port = _proxy(cluster)
    path = urllib.parse.urlparse(cluster.storage_url).path + '/%s/' % container
    sock = socket.create_connection((host, port), timeout=30)
    try:
        sock.sendall(('PUT %snolen HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\n'
                      'Connection: close\r\n\r\n' % (path, cluster.token)).encode())
        assert sock.recv(100).startswith(b'HTTP/1.1 411')
    finally:
        sock.close()
    sock = socket.create_connection((host, port), timeout=30)
    try:
        sock.sendall(('PUT %sexpect HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\n'
                      'Content-Length: 5\r\nExpect: 100-continue\r\n'
                      'Connection: close\r\n\r\n' % (path, cluster.token)).encode())
        assert sock.recv(100).startswith(b'HTTP/1.1 100')
        sock.sendall(b'hello')
        assert _read_all(sock).startswith(b'HTTP/1.1 201')
    finally:
        sock.close()
    assert cluster.raw('GET', '/%s/expect' % container).body == b'hello'


def _read_all(sock):
    data = b''
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def test_client_disconnect_is_logged_499_and_stores_nothing(cluster, container):
    if not cluster.local:
        pytest.skip('reads the proxy log of a local all-in-one')
    host, port = _proxy(cluster)
    path = urllib.parse.urlparse(cluster.storage_url).path + '/%s/gone' % container
    sock = socket.create_connection((host, port), timeout=30)
    sock.sendall(('PUT %s HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\n'
                  'Content-Length: 1000000\r\n\r\n' % (path, cluster.token)).encode()
                 + b'x' * 1000)
    time.sleep(0.5)
    sock.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if _log_lines(cluster, 'PUT %s HTTP/1.0 499 ' % path):
            break
        time.sleep(0.2)
    # (eventlet, hence Swift, logs every request's protocol as HTTP/1.0)
    assert _log_lines(cluster, 'PUT %s HTTP/1.0 499 ' % path)
    assert cluster.raw('HEAD', '/%s/gone' % container).status == 404
    assert cluster.object_files('AUTH_test', container, 'gone') == []


def _log_lines(cluster, needle):
    lines = []
    for path in glob.glob(os.path.join(cluster.root, 'log', 'proxy-server*.log')):
        with open(path, 'rb') as fp:
            lines += [line for line in fp.read().decode('utf-8', 'replace').splitlines()
                      if needle in line]
    return lines


# ------------------------------------------------------------------ internal headers

def test_internal_headers_neither_accepted_nor_shown(cluster, container):
    path = '/%s/inner' % container
    put = cluster.raw('PUT', path, body=BODY, headers={
        'X-Object-Sysmeta-Secret': 'client-set', 'X-Backend-Storage-Policy-Index': '1',
        'X-Timestamp': '1000000000.00000', 'X-Object-Meta-Ok': 'yes'})
    assert put.status == 201
    for resp in (cluster.raw('HEAD', path), cluster.raw('GET', path),
                 cluster.raw('HEAD', '/' + container), cluster.raw('GET', ''), put):
        leaked = [k for k in resp.headers if k.startswith(
            ('x-backend-', 'x-object-sysmeta-', 'x-container-sysmeta-',
             'x-account-sysmeta-'))]
        assert leaked == [], leaked
    head = cluster.raw('HEAD', path)
    assert head.headers['x-object-meta-ok'] == 'yes'
    # the client's X-Timestamp was not used as the object's timestamp
    assert float(head.headers['x-timestamp']) > time.time() - 3600
    # nor did its policy index send the object to policy 1 (it lives in policy 0)
    if cluster.local:
        files = cluster.object_files('AUTH_test', container, 'inner')
        assert len(files) == 3
        assert all('/objects/' in path for _node, path in files)


def test_access_log_line_has_swifts_fields(cluster, container):
    if not cluster.local:
        pytest.skip('reads the proxy log of a local all-in-one')
    marker = uuid.uuid4().hex[:12]
    resp = cluster.raw('PUT', '/%s/logged' % container, body=b'12345', headers={
        'X-Trans-Id-Extra': marker, 'User-Agent': 'bench agent/1.0',
        'Referer': 'http://ref.example/x y'})
    trans_id = resp.headers['x-trans-id']
    deadline = time.monotonic() + 10
    lines = []
    while not lines and time.monotonic() < deadline:
        lines = _log_lines(cluster, ' PUT ')
        lines = [line for line in lines if ' ' + trans_id + ' ' in line]
        time.sleep(0.1)
    assert len(lines) == 1, lines
    fields = lines[0].split(' proxy-server: INFO ', 1)[1].split(' ')
    # middlewares' own subrequests (e.g. ratelimit's info lookups) are logged with
    # their source and real status
    for line in _log_lines(cluster, ' ' + trans_id + ' '):
        sub = line.split(' proxy-server: INFO ', 1)[1].split(' ')
        if sub[3] != 'PUT':
            assert sub[16] != '-' and sub[6] != '499', line
    assert len(fields) == 21, fields
    (client_ip, remote_addr, when, method, path, protocol, status, referer, agent,
     token, received, sent, etag, txn, headers, request_time, source, log_info,
     start, end, policy) = fields
    assert client_ip == remote_addr == '127.0.0.1'
    assert time.strptime(when, '%d/%b/%Y/%H/%M/%S')
    assert (method, status) == ('PUT', '201')
    assert path == urllib.parse.urlparse(cluster.storage_url).path + \
        '/%s/logged' % container
    assert protocol.startswith('HTTP/1.')
    assert referer == 'http://ref.example/x%20y'
    assert agent == 'bench%20agent/1.0'
    assert token == cluster.token[:16] + '...'
    assert (received, sent) == ('5', '0')
    assert txn == trans_id and txn.endswith('-' + marker)
    assert float(end) >= float(start) and float(request_time) >= 0
    assert policy == '0'
