"""ContainerController over swob requests (no sockets): verbs, rows from object
updates, listings in all formats, metadata limits, account updates, bad input."""

import json
import os
import shutil

import pytest

from swift.common.constraints import Constraints
from swift.common.hashing import HashPathConfig
from swift.common.storage_policy import StoragePolicy, StoragePolicyCollection
from swift.common.swob import Request
from swift.common.timestamp import Timestamp
from swift.container.server import ContainerController, ContainerServerConfig

FIXTURES = '/work/shared/fixtures/swift-2.38'
POLICIES = StoragePolicyCollection([StoragePolicy(0, 'gold', is_default=True),
                                    StoragePolicy(1, 'silver')])


class FakeLogger:
    def __init__(self):
        self.lines = []
        self.txn_id = None

    def _log(self, level, msg, *args, **kwargs):
        self.lines.append((level, msg % args if args else msg))

    def error(self, msg, *args, **kwargs):
        self._log('error', msg, *args)

    def exception(self, msg, *args, **kwargs):
        self._log('exception', msg, *args)

    def info(self, msg, *args, **kwargs):
        self._log('info', msg, *args)

    warning = debug = info


class FakeResponse:
    def __init__(self, status):
        self.status = status
        self.reason = 'Reason'

    def read(self):
        return b''


class FakeConnect:
    """Records account updates; answers with ``status`` or raises ``error``."""

    def __init__(self, status=201, error=None):
        self.status = status
        self.error = error
        self.calls = []

    def __call__(self, ip, port, device, partition, method, path, headers=None):
        self.calls.append({'ip': ip, 'port': port, 'device': device,
                           'partition': partition, 'method': method, 'path': path,
                           'headers': dict(headers)})
        if self.error:
            raise self.error
        status = self.status

        class Conn:
            def getresponse(self):
                return FakeResponse(status)
        return Conn()


def read_bytes(path):
    with open(path, 'rb') as fp:
        return fp.read()


@pytest.fixture
def devices(tmp_path):
    (tmp_path / 'sda').mkdir()
    return tmp_path


@pytest.fixture
def logger():
    return FakeLogger()


@pytest.fixture
def connect():
    return FakeConnect()


@pytest.fixture
def app(devices, logger, connect):
    config = ContainerServerConfig(devices=str(devices), mount_check=False)
    return ContainerController(config, logger=logger, policies=POLICIES,
                               constraints=Constraints(),
                               hash_config=HashPathConfig(b'pre', b'suf'),
                               http_connect=connect)


def ts(n):
    return Timestamp(1700000000 + n).internal


def call(app, path, method='GET', headers=None, body=None):
    return Request.blank(path, method=method, headers=headers or {},
                         body=body).get_response(app)


def put_container(app, path='/sda/1/a/c', t=1, **headers):
    hdrs = {'X-Timestamp': ts(t)}
    hdrs.update(headers)
    return call(app, path, 'PUT', hdrs)


def put_object(app, name, t=2, size=10, ctype='text/plain', etag='e' * 32, **extra):
    headers = {'X-Timestamp': ts(t), 'X-Size': str(size), 'X-Content-Type': ctype,
               'X-Etag': etag}
    headers.update(extra)
    return call(app, '/sda/1/a/c/' + name, 'PUT', headers)


def db_files(devices):
    found = []
    for root, _dirs, files in os.walk(str(devices)):
        found.extend(f for f in files if f.endswith('.db'))
    return found


# -- container PUT/HEAD/DELETE ---------------------------------------------------------

def test_put_created_then_accepted(app):
    resp = put_container(app)
    assert resp.status_int == 201
    assert resp.headers['X-Backend-Storage-Policy-Index'] == '0'
    assert put_container(app, t=2).status_int == 202


def test_head_headers(app):
    put_container(app, **{'X-Backend-Storage-Policy-Index': '1'})
    put_object(app, 'o', size=7, **{'X-Backend-Storage-Policy-Index': '1'})
    resp = call(app, '/sda/1/a/c', 'HEAD')
    assert resp.status_int == 204
    assert resp.headers['X-Container-Object-Count'] == '1'
    assert resp.headers['X-Container-Bytes-Used'] == '7'
    assert resp.headers['X-Backend-Storage-Policy-Index'] == '1'
    assert resp.headers['X-Put-Timestamp'] == Timestamp(ts(1)).normal
    assert resp.headers['Content-Type'] == 'text/plain; charset=utf-8'
    assert resp.headers['Last-Modified'] == 'Tue, 14 Nov 2023 22:13:21 GMT'
    assert resp.body == b''


def test_policy_conflict_and_default(app):
    assert put_container(app, **{'X-Backend-Storage-Policy-Index': '1'}).status_int == 201
    resp = put_container(app, t=2, **{'X-Backend-Storage-Policy-Index': '0'})
    assert resp.status_int == 409
    assert resp.headers['X-Backend-Storage-Policy-Index'] == '1'
    assert put_container(app, t=3).status_int == 202          # no index: keeps policy
    resp = put_container(app, '/sda/1/a/c2', **{'X-Backend-Storage-Policy-Default': '1'})
    assert resp.headers['X-Backend-Storage-Policy-Index'] == '1'
    resp = put_container(app, '/sda/1/a/c3', **{'X-Backend-Storage-Policy-Index': '9'})
    assert (resp.status_int, resp.body) == (400, b'Invalid X-Backend-Storage-Policy-Index')


def test_recreate_deleted_container_may_change_policy(app):
    put_container(app)
    assert call(app, '/sda/1/a/c', 'DELETE', {'X-Timestamp': ts(2)}).status_int == 204
    assert call(app, '/sda/1/a/c', 'HEAD').status_int == 404
    resp = put_container(app, t=3, **{'X-Backend-Storage-Policy-Index': '1'})
    assert resp.status_int == 201
    assert call(app, '/sda/1/a/c', 'HEAD').headers['X-Backend-Storage-Policy-Index'] == '1'


def test_delete_rules(app):
    assert call(app, '/sda/1/a/c', 'DELETE', {'X-Timestamp': ts(1)}).status_int == 404
    put_container(app)
    put_object(app, 'o')
    assert call(app, '/sda/1/a/c', 'DELETE', {'X-Timestamp': ts(3)}).status_int == 409
    assert call(app, '/sda/1/a/c/o', 'DELETE', {'X-Timestamp': ts(4)}).status_int == 204
    assert call(app, '/sda/1/a/c', 'DELETE', {'X-Timestamp': ts(5)}).status_int == 204
    resp = call(app, '/sda/1/a/c', 'GET')
    assert resp.status_int == 404
    assert 'X-Container-Object-Count' not in resp.headers
    assert resp.headers['X-Backend-Delete-Timestamp'] == ts(5)


def test_object_rows_newest_wins(app):
    put_container(app)
    assert put_object(app, 'o', t=5, size=5).status_int == 201
    put_object(app, 'o', t=4, size=4)
    call(app, '/sda/1/a/c/o', 'DELETE', {'X-Timestamp': ts(3)})
    data = json.loads(call(app, '/sda/1/a/c?format=json').body)
    assert [(d['name'], d['bytes']) for d in data] == [('o', 5)]
    put_object(app, 'o', t=5, size=5, ctype='application/json',
               **{'X-Content-Type-Timestamp': ts(6), 'X-Meta-Timestamp': ts(7)})
    data = json.loads(call(app, '/sda/1/a/c?format=json').body)
    assert data[0]['content_type'] == 'application/json'
    assert data[0]['last_modified'] == Timestamp(ts(7)).isoformat


def test_object_update_to_missing_container_is_404(app, devices):
    assert put_object(app, 'o').status_int == 404
    assert db_files(devices) == []


def test_autocreate_for_reserved_accounts(app):
    resp = call(app, '/sda/1/.expiring_objects/123/o', 'PUT',
                {'X-Timestamp': ts(1), 'X-Size': '0', 'X-Content-Type': 'text/plain',
                 'X-Etag': 'd41d8cd98f00b204e9800998ecf8427e'})
    assert resp.status_int == 201
    assert call(app, '/sda/1/.expiring_objects/123', 'HEAD').headers[
        'X-Container-Object-Count'] == '1'


@pytest.mark.parametrize('headers, status', [
    ({}, 400),
    ({'X-Timestamp': 'yesterday'}, 400),
])
def test_bad_timestamps(app, devices, headers, status):
    resp = call(app, '/sda/1/a/c', 'PUT', headers)
    assert resp.status_int == status
    assert db_files(devices) == []


def test_missing_timestamp_body(app):
    assert call(app, '/sda/1/a/c', 'PUT').body == b'Missing X-Timestamp header'


@pytest.mark.parametrize('path, status', [
    ('/sda/1/a', 400),
    ('/sda/1', 400),
    ('/../1/a/c', 400),
    ('/sda/1/a/c%FF', 412),
    ('/sda/1/a/c%00d', 412),
    ('/sda/1/a/c/o%C0', 412),
])
def test_bad_paths_change_nothing(app, devices, path, status):
    resp = call(app, path, 'PUT', {'X-Timestamp': ts(1), 'X-Size': '0',
                                   'X-Content-Type': 't', 'X-Etag': 'e'})
    assert resp.status_int == status
    assert db_files(devices) == []


def test_bad_object_update_headers(app):
    put_container(app)
    resp = call(app, '/sda/1/a/c/o', 'PUT', {'X-Timestamp': ts(2), 'X-Size': 'ten',
                                             'X-Content-Type': 't', 'X-Etag': 'e'})
    assert resp.status_int == 400
    assert json.loads(call(app, '/sda/1/a/c?format=json').body) == []


@pytest.mark.parametrize('header, value', [
    ('X-Content-Type', 'text/\xff'), ('X-Content-Type', 'a\x00b'),
    ('X-Etag', '\xc3'), ('X-Etag', 'e\x00')])
def test_object_update_with_bad_text_is_400_and_stores_nothing(app, devices, header,
                                                               value):
    put_container(app)
    put_object(app, 'kept')
    pending = [os.path.join(root, f) for root, _d, files in os.walk(str(devices))
               for f in files if f.endswith('.pending')][0]
    before = read_bytes(pending)
    resp = put_object(app, 'bad', **{header: value})
    assert (resp.status_int, resp.body) == (400, ('Invalid %s' % header).encode())
    assert read_bytes(pending) == before
    resp = call(app, '/sda/1/a/c?format=json')
    assert [r['name'] for r in json.loads(resp.body)] == ['kept']
    assert call(app, '/sda/1/a/c', 'HEAD').headers['X-Container-Object-Count'] == '1'


@pytest.mark.parametrize('headers', [
    {'X-Container-Meta-A': '\xff'}, {'X-Container-Meta-A': 'x\x00y'},
    {'X-Container-Read': '\xc3('}, {'X-Container-Sysmeta-S': '\xff'}])
def test_post_bad_metadata_text_is_400_and_changes_nothing(app, headers):
    put_container(app, **{'X-Container-Meta-A': 'old'})
    before = call(app, '/sda/1/a/c', 'HEAD').headers
    hdrs = {'X-Timestamp': ts(5)}
    hdrs.update(headers)
    resp = call(app, '/sda/1/a/c', 'POST', hdrs)
    assert (resp.status_int, resp.body) == (400, b'Metadata must be valid UTF-8')
    after = call(app, '/sda/1/a/c', 'HEAD').headers
    assert after['X-Container-Meta-A'] == 'old'
    assert after['X-PUT-Timestamp'] == before['X-PUT-Timestamp']
    assert 'X-Container-Read' not in after and 'X-Container-Sysmeta-S' not in after


def test_undecodable_metadata_header_name_is_not_a_500(app):
    put_container(app)
    resp = call(app, '/sda/1/a/c', 'POST', {'X-Timestamp': ts(5),
                                            'X-Container-Meta-\xff': 'v'})
    assert resp.status_int in (204, 400)


def test_unmounted_drive_is_507(devices, logger, connect):
    config = ContainerServerConfig(devices=str(devices), mount_check=True)
    app = ContainerController(config, logger=logger, policies=POLICIES,
                              http_connect=connect)
    assert put_container(app).status_int == 507
    assert call(app, '/sda/1/a/c', 'GET').status_int == 507
    assert db_files(devices) == []


@pytest.mark.parametrize('path', ['/', '/sda/1/a/c', '/sda/1/a/c/o'])
def test_options_like_swift(app, devices, path):
    import swift
    resp = call(app, path, 'OPTIONS')
    assert (resp.status_int, resp.body) == (200, b'')
    assert resp.headers['Server'] == 'container-server/%s' % swift.__version__
    allow = resp.headers['Allow'].split(', ')
    assert allow == sorted(allow)
    assert {'DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'} <= set(allow)
    assert db_files(devices) == []


def test_replication_only_server_refuses_options(devices, logger, connect):
    config = ContainerServerConfig(devices=str(devices), mount_check=False,
                                   replication_server=True)
    app = ContainerController(config, logger=logger, policies=POLICIES,
                              http_connect=connect)
    assert call(app, '/', 'OPTIONS').status_int == 405


def test_unknown_method(app):
    assert call(app, '/sda/1/a/c', 'COPY').status_int == 405


# -- metadata ----------------------------------------------------------------------

def test_metadata_put_post_merge_and_remove(app):
    put_container(app, **{'X-Container-Meta-Color': 'red', 'X-Container-Read': '.r:*',
                          'X-Container-Sysmeta-Thing': 's', 'X-Other': 'dropped'})
    call(app, '/sda/1/a/c', 'POST', {'X-Timestamp': ts(3),
                                     'X-Container-Meta-Color': 'blue',
                                     'X-Container-Meta-Quota-Bytes': '100',
                                     'X-Versions-Location': 'vers'})
    call(app, '/sda/1/a/c', 'POST', {'X-Timestamp': ts(2),
                                     'X-Container-Meta-Color': 'old'})
    resp = call(app, '/sda/1/a/c', 'HEAD')
    assert resp.headers['X-Container-Meta-Color'] == 'blue'
    assert resp.headers['X-Container-Read'] == '.r:*'
    assert resp.headers['X-Container-Sysmeta-Thing'] == 's'
    assert resp.headers['X-Container-Meta-Quota-Bytes'] == '100'
    assert resp.headers['X-Versions-Location'] == 'vers'
    assert 'X-Other' not in resp.headers
    call(app, '/sda/1/a/c', 'POST', {'X-Timestamp': ts(4), 'X-Container-Meta-Color': ''})
    assert 'X-Container-Meta-Color' not in call(app, '/sda/1/a/c', 'HEAD').headers


MIDDLEWARE_HEADERS = [
    ('X-Container-Read', '.r:*,.rlistings'), ('X-Container-Write', 'a:u'),
    ('X-Container-Sync-To', '//realm/cluster/AUTH_b/c2'), ('X-Container-Sync-Key', 'k'),
    ('X-Versions-Location', 'vers'), ('X-History-Location', 'hist'),
    ('X-Container-Meta-Quota-Bytes', '100'), ('X-Container-Meta-Quota-Count', '5'),
    ('X-Container-Meta-Temp-URL-Key', 'secret'),
    ('X-Container-Meta-Access-Control-Allow-Origin', 'http://x'),
    ('X-Container-Meta-Web-Index', 'index.html'),
    ('X-Container-Sysmeta-Versions-Location', 'vers2'),
    ('X-Container-Sysmeta-Versions-Enabled', 'True'),
]


@pytest.mark.parametrize('header, value', MIDDLEWARE_HEADERS)
@pytest.mark.parametrize('verb', ['PUT', 'POST'])
def test_middleware_headers_stored_returned_and_removed(app, verb, header, value):
    put_container(app)
    resp = call(app, '/sda/1/a/c', verb, {'X-Timestamp': ts(2), header: value})
    assert resp.status_int in (202, 204)
    for method in ('HEAD', 'GET'):
        assert call(app, '/sda/1/a/c', method).headers[header] == value
    call(app, '/sda/1/a/c', 'POST', {'X-Timestamp': ts(3), header: ''})
    assert header not in call(app, '/sda/1/a/c', 'HEAD').headers


def test_changing_sync_to_resets_sync_points(app, devices):
    from swift.container.backend import ContainerBroker
    put_container(app, **{'X-Container-Sync-To': '//r/c/AUTH_b/x'})
    path = [os.path.join(root, f) for root, _d, files in os.walk(str(devices))
            for f in files if f.endswith('.db')][0]
    broker = ContainerBroker(path)
    broker.set_x_container_sync_points(5, 7)
    call(app, '/sda/1/a/c', 'POST', {'X-Timestamp': ts(3),
                                     'X-Container-Sync-To': '//r/c/AUTH_b/x'})
    info = broker.get_info()
    assert (info['x_container_sync_point1'], info['x_container_sync_point2']) == (5, 7)
    call(app, '/sda/1/a/c', 'POST', {'X-Timestamp': ts(4),
                                     'X-Container-Sync-To': '//r/c/AUTH_b/y'})
    info = broker.get_info()
    assert (info['x_container_sync_point1'], info['x_container_sync_point2']) == (-1, -1)


def test_utf8_metadata_roundtrip(app):
    value = 'caf\u00e9 \u2603'.encode('utf-8').decode('latin-1')
    put_container(app, **{'X-Container-Meta-Name': value})
    assert call(app, '/sda/1/a/c', 'HEAD').headers['X-Container-Meta-Name'] == value


def test_bl05_cumulative_metadata_limits(app):
    put_container(app)
    headers = {'X-Timestamp': ts(2)}
    headers.update({'X-Container-Meta-K%d' % i: 'v' for i in range(90)})
    assert call(app, '/sda/1/a/c', 'POST', headers).status_int == 204
    resp = call(app, '/sda/1/a/c', 'POST', {'X-Timestamp': ts(3),
                                            'X-Container-Meta-Extra': 'v'})
    assert (resp.status_int, resp.body) == (400, b'Too many metadata items; max 90')
    head = call(app, '/sda/1/a/c', 'HEAD')
    assert sum(1 for k in head.headers if k.lower().startswith('x-container-meta-')) == 90
    # removing one (empty value) makes room again
    call(app, '/sda/1/a/c', 'POST', {'X-Timestamp': ts(4), 'X-Container-Meta-K0': ''})
    assert call(app, '/sda/1/a/c', 'POST', {'X-Timestamp': ts(5),
                                            'X-Container-Meta-Extra': 'v'}).status_int == 204


def test_bl05_cumulative_size_limit(app):
    put_container(app)
    for i in range(16):
        resp = call(app, '/sda/1/a/c', 'POST', {'X-Timestamp': ts(2 + i),
                                                'X-Container-Meta-K%02d' % i: 'v' * 250})
        assert resp.status_int == 204
    resp = call(app, '/sda/1/a/c', 'POST', {'X-Timestamp': ts(30),
                                            'X-Container-Meta-More': 'v' * 100})
    assert (resp.status_int, resp.body) == (400, b'Total metadata too large; max 4096')


# -- account updates -----------------------------------------------------------------

ACCOUNT_HEADERS = {'X-Account-Host': '10.0.0.1:6202, 10.0.0.2:6202',
                   'X-Account-Device': 'sdb, sdc', 'X-Account-Partition': '12',
                   'X-Trans-Id': 'tx1'}


def test_put_and_delete_send_account_updates(app, connect):
    assert put_container(app, **ACCOUNT_HEADERS).status_int == 201
    assert [(c['ip'], c['device'], c['partition'], c['path']) for c in connect.calls] == [
        ('10.0.0.1', 'sdb', '12', '/a/c'), ('10.0.0.2', 'sdc', '12', '/a/c')]
    sent = connect.calls[0]['headers']
    assert sent['X-Put-Timestamp'] == ts(1)
    assert sent['X-Delete-Timestamp'] == '0'
    assert sent['X-Object-Count'] == '0' and sent['X-Bytes-Used'] == '0'
    assert sent['X-Backend-Storage-Policy-Index'] == '0'
    assert sent['X-Trans-Id'] == 'tx1'
    assert sent['Referer'].startswith('PUT http://localhost')
    connect.calls.clear()
    headers = dict(ACCOUNT_HEADERS, **{'X-Timestamp': ts(2)})
    assert call(app, '/sda/1/a/c', 'DELETE', headers).status_int == 204
    assert connect.calls[0]['headers']['X-Delete-Timestamp'] == ts(2)


def test_account_update_failure_is_logged_not_fatal(devices, logger):
    connect = FakeConnect(error=OSError('connection refused'))
    app = ContainerController(ContainerServerConfig(devices=str(devices), mount_check=False),
                              logger=logger, policies=POLICIES, http_connect=connect)
    assert put_container(app, **ACCOUNT_HEADERS).status_int == 201
    assert any(level == 'exception' and '10.0.0.1:6202/sdb' in line
               for level, line in logger.lines)


def test_account_404_makes_container_put_404(devices, logger):
    app = ContainerController(ContainerServerConfig(devices=str(devices), mount_check=False),
                              logger=logger, policies=POLICIES,
                              http_connect=FakeConnect(status=404))
    assert put_container(app, **ACCOUNT_HEADERS).status_int == 404


@pytest.mark.parametrize('statuses, expected', [
    ({'10.0.0.1': 404, '10.0.0.2': 404}, 404),
    ({'10.0.0.1': 404, '10.0.0.2': 201}, 201),
    ({'10.0.0.1': 404, '10.0.0.2': 503}, 201),
])
def test_container_put_is_404_only_when_every_account_says_404(devices, logger,
                                                               statuses, expected):
    class PerHostConnect(FakeConnect):
        def __call__(self, ip, *args, **kwargs):
            self.status = statuses[ip]
            return super().__call__(ip, *args, **kwargs)
    app = ContainerController(ContainerServerConfig(devices=str(devices), mount_check=False),
                              logger=logger, policies=POLICIES,
                              http_connect=PerHostConnect())
    assert put_container(app, **ACCOUNT_HEADERS).status_int == expected


def test_mismatched_account_hosts_is_400(app):
    headers = dict(ACCOUNT_HEADERS, **{'X-Account-Device': 'sdb'})
    assert put_container(app, **headers).status_int == 400


# -- listings ------------------------------------------------------------------------

@pytest.fixture
def filled(app):
    put_container(app)
    quoted = ['a', 'b/1', 'b/2', 'c%26%3C%3E%22%27', 'd%C3%A9']
    for i, name in enumerate(quoted):
        put_object(app, name, t=10 + i, size=i)
    return app


def test_listing_formats(filled):
    resp = call(filled, '/sda/1/a/c')
    assert resp.status_int == 200
    assert resp.headers['Content-Type'] == 'text/plain; charset=utf-8'
    assert resp.body == 'a\nb/1\nb/2\nc&<>"\'\nd\u00e9\n'.encode('utf-8')
    resp = call(filled, '/sda/1/a/c?format=json&limit=1')
    assert resp.headers['Content-Type'] == 'application/json; charset=utf-8'
    assert resp.body == (b'[{"bytes": 0, "hash": "' + b'e' * 32 + b'", "name": "a", '
                         b'"content_type": "text/plain", "last_modified": "'
                         + Timestamp(ts(10)).isoformat.encode() + b'"}]')
    resp = call(filled, '/sda/1/a/c?format=xml&prefix=c')
    assert resp.headers['Content-Type'] == 'application/xml; charset=utf-8'
    assert resp.body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<container name="c"><object>'
        b'<name>c&amp;&lt;&gt;"\'</name><hash>' + b'e' * 32 + b'</hash><bytes>3</bytes>'
        b'<content_type>text/plain</content_type><last_modified>'
        + Timestamp(ts(13)).isoformat.encode() + b'</last_modified></object></container>')
    resp = call(filled, '/sda/1/a/c?format=xml&delimiter=/&prefix=b')
    assert b'<subdir name="b/"><name>b/</name></subdir>' in resp.body
    resp = call(filled, '/sda/1/a/c?format=json&delimiter=/&marker=a')
    assert json.loads(resp.body)[0] == {'subdir': 'b/'}


def test_json_escapes_non_ascii(filled):
    resp = call(filled, '/sda/1/a/c?format=json&prefix=d')
    assert b'"name": "d\\u00e9"' in resp.body


def test_empty_listings(app):
    put_container(app)
    resp = call(app, '/sda/1/a/c')
    assert (resp.status_int, resp.body) == (204, b'')
    resp = call(app, '/sda/1/a/c?format=json')
    assert (resp.status_int, resp.body) == (200, b'[]')
    resp = call(app, '/sda/1/a/c?format=xml')
    assert resp.status_int == 200
    assert resp.body == b'<?xml version="1.0" encoding="UTF-8"?>\n<container name="c" />'


@pytest.mark.parametrize('accept, status, ctype', [
    ('application/json', 200, 'application/json'),
    ('application/xml', 200, 'application/xml'),
    ('text/xml', 200, 'text/xml'),
    ('*/*', 200, 'text/plain'),
    ('text/*;q=0.5, application/json;q=0.9', 200, 'application/json'),
    ('image/png', 406, None),
    ('application/json;q=nope', 400, None),
    ('text/plain;q=0.5;q=1', 400, None),
    ('bogus', 400, None),
])
def test_accept_header(filled, accept, status, ctype):
    resp = call(filled, '/sda/1/a/c', headers={'Accept': accept})
    assert resp.status_int == status
    if status == 400:
        assert resp.body == b'Invalid Accept header'
    if ctype:
        assert resp.headers['Content-Type'].startswith(ctype + ';')


def test_format_param_overrides_accept(filled):
    resp = call(filled, '/sda/1/a/c?format=json', headers={'Accept': 'bogus'})
    assert resp.status_int == 200
    resp = call(filled, '/sda/1/a/c?format=unknown')
    assert resp.headers['Content-Type'].startswith('text/plain')


@pytest.mark.parametrize('query, status, body', [
    ('limit=10001', 412, b'Maximum limit is 10000'),
    ('marker=%FF', 400, b'"marker" parameter not valid UTF-8'),
    ('prefix=a%00', 400, b'"prefix" parameter not valid UTF-8'),
    ('delimiter=%C0', 400, b'"delimiter" parameter not valid UTF-8'),
])
def test_bad_listing_params(filled, query, status, body):
    resp = call(filled, '/sda/1/a/c?' + query)
    assert (resp.status_int, resp.body) == (status, body)


@pytest.mark.parametrize('query, names', [
    ('limit=2', ['a', 'b/1']),
    ('limit=abc', ['a', 'b/1', 'b/2', 'c&<>"\'', 'd\u00e9']),
    ('marker=b/1', ['b/2', 'c&<>"\'', 'd\u00e9']),
    ('end_marker=b/2', ['a', 'b/1']),
    ('prefix=b/', ['b/1', 'b/2']),
    ('delimiter=/', ['a', 'b/', 'c&<>"\'', 'd\u00e9']),
    ('path=b', ['b/1', 'b/2']),
    ('reverse=true&limit=2', ['d\u00e9', 'c&<>"\'']),
    ('reverse=on&marker=b/2', ['b/1', 'a']),
    ('delimiter=/1', ['a', 'b/1', 'b/2', 'c&<>"\'', 'd\u00e9']),
    ('prefix=b&delimiter=/1', ['b/1', 'b/2']),
])
def test_listing_params(filled, query, names):
    data = json.loads(call(filled, '/sda/1/a/c?format=json&' + query).body)
    assert [d.get('name', d.get('subdir')) for d in data] == names


def test_bl10_via_http(app):
    put_container(app)
    for name in ('d0/a', 'd1/object', 'd1/z', 'd2/x'):
        put_object(app, name)
    first = json.loads(call(app, '/sda/1/a/c?delimiter=/&marker=d1/object&format=json').body)
    assert first == [{'subdir': 'd1/'}, {'subdir': 'd2/'}]
    second = json.loads(call(app, '/sda/1/a/c?delimiter=/&marker=d1/&format=json').body)
    assert second == [{'subdir': 'd2/'}]


def test_swift_bytes_overrides_listing_bytes(app):
    put_container(app)
    put_object(app, 'slo', size=100, ctype='application/octet-stream;swift_bytes=12345')
    data = json.loads(call(app, '/sda/1/a/c?format=json').body)
    assert (data[0]['bytes'], data[0]['content_type']) == (12345, 'application/octet-stream')


# -- golden: the fixture DB answers like Swift 2.38 ---------------------------------

def _wire(name):
    """(headers dict, body bytes) of a captured ``curl -i`` answer."""
    with open(os.path.join(FIXTURES, 'wire', name), 'rb') as fp:
        raw = fp.read()
    raw = raw[raw.index(b'HTTP/1.1'):]
    head, body = raw.split(b'\r\n\r\n', 1)
    headers = dict(line.split(b': ', 1) for line in head.split(b'\r\n')[1:])
    return {k.decode(): v.decode() for k, v in headers.items()}, body


@pytest.fixture
def golden(tmp_path, logger):
    with open(os.path.join(FIXTURES, 'dbs', 'dbs.json')) as fp:
        entry = [e for e in json.load(fp)['dbs'] if e['name'] == 'AUTH_test/fixtures'][0]
    dst = tmp_path / 'd2' / entry['path_relative_to_device']
    dst.parent.mkdir(parents=True)
    shutil.copy(os.path.join(FIXTURES, 'dbs', entry['file']), str(dst))
    config = ContainerServerConfig(devices=str(tmp_path), mount_check=False)
    return ContainerController(config, logger=logger, policies=POLICIES,
                               hash_config=HashPathConfig(b'realswift-prefix',
                                                          b'realswift-suffix'))


@pytest.mark.parametrize('fmt, wire', [('json', 'get-container-json.txt'),
                                       ('xml', 'get-container-xml.txt'),
                                       ('plain', 'get-container-plain.txt')])
def test_golden_listing_bodies(golden, fmt, wire):
    headers, body = _wire(wire)
    resp = call(golden, '/d2/428/AUTH_test/fixtures?format=' + fmt)
    assert resp.status_int == 200
    assert resp.body == body
    for name in ('Content-Type', 'X-Container-Object-Count', 'X-Container-Bytes-Used',
                 'X-Timestamp', 'Last-Modified', 'Content-Length'):
        assert resp.headers[name] == headers[name], name


def test_golden_head(golden):
    headers, _body = _wire('head-container.txt')
    resp = call(golden, '/d2/428/AUTH_test/fixtures', 'HEAD')
    assert resp.status_int == 204
    for name in ('Content-Type', 'X-Container-Object-Count', 'X-Container-Bytes-Used',
                 'X-Timestamp', 'Last-Modified'):
        assert resp.headers[name] == headers[name], name


def test_cluster_constraints_apply_to_metadata(devices, logger, connect):
    app = ContainerController(ContainerServerConfig(devices=str(devices), mount_check=False),
                              logger=logger, policies=POLICIES,
                              constraints=Constraints(max_meta_count=2),
                              http_connect=connect)
    put_container(app, **{'X-Container-Meta-A': '1', 'X-Container-Meta-B': '2'})
    resp = call(app, '/sda/1/a/c', 'POST', {'X-Timestamp': ts(2), 'X-Container-Meta-C': '3'})
    assert (resp.status_int, resp.body) == (400, b'Too many metadata items; max 2')
