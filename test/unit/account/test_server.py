"""AccountController over swob requests: verbs, container rows, per-policy headers,
listings (golden against Swift 2.38 captures), metadata limits, bad input."""

import json
import os
import shutil

import pytest

from swift.account.server import AccountController, AccountServerConfig
from swift.common.hashing import HashPathConfig
from swift.common.storage_policy import StoragePolicy, StoragePolicyCollection
from swift.common.swob import Request
from swift.common.timestamp import Timestamp

FIXTURES = '/work/shared/fixtures/swift-2.38'
POLICIES = StoragePolicyCollection([StoragePolicy(0, 'gold', is_default=True),
                                    StoragePolicy(1, 'silver')])


class NullLogger:
    txn_id = None

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def ts(n):
    return Timestamp(1700000000 + n).internal


@pytest.fixture
def app(tmp_path):
    (tmp_path / 'sda').mkdir()
    return AccountController(AccountServerConfig(devices=str(tmp_path), mount_check=False),
                             logger=NullLogger(), policies=POLICIES,
                             hash_config=HashPathConfig(b'pre', b'suf'))


def call(app, path, method='GET', headers=None):
    return Request.blank(path, method=method, headers=headers or {}).get_response(app)


def put_account(app, t=1, **headers):
    return call(app, '/sda/1/a', 'PUT', dict({'X-Timestamp': ts(t)}, **headers))


def report(app, name, put=2, delete='0', objects=0, bytes_used=0, policy=0,
           account='a', **extra):
    headers = {'X-Put-Timestamp': ts(put) if isinstance(put, int) else put,
               'X-Delete-Timestamp': ts(delete) if isinstance(delete, int) else delete,
               'X-Object-Count': str(objects), 'X-Bytes-Used': str(bytes_used),
               'X-Backend-Storage-Policy-Index': str(policy), 'X-Timestamp': ts(put)
               if isinstance(put, int) else put}
    headers.update(extra)
    return call(app, '/sda/1/%s/%s' % (account, name), 'PUT', headers)


def test_put_created_accepted(app):
    assert put_account(app).status_int == 201
    assert put_account(app, t=2).status_int == 202


def test_head_and_per_policy_headers(app):
    put_account(app)
    assert report(app, 'c1', objects=2, bytes_used=20).status_int == 201
    report(app, 'c2', objects=1, bytes_used=5, policy=1)
    resp = call(app, '/sda/1/a', 'HEAD')
    assert resp.status_int == 204
    h = resp.headers
    assert (h['X-Account-Container-Count'], h['X-Account-Object-Count'],
            h['X-Account-Bytes-Used']) == ('2', '3', '25')
    assert h['X-Account-Storage-Policy-Gold-Container-Count'] == '1'
    assert h['X-Account-Storage-Policy-Gold-Bytes-Used'] == '20'
    assert h['X-Account-Storage-Policy-Silver-Object-Count'] == '1'
    assert h['X-Put-Timestamp'] == Timestamp(ts(1)).normal
    assert h['Content-Type'] == 'text/plain; charset=utf-8'


def test_container_report_rules(app):
    assert report(app, 'c').status_int == 404          # account must exist
    put_account(app)
    assert report(app, 'c', put=2, objects=3).status_int == 201
    assert report(app, 'c', put=2, delete=3).status_int == 204
    data = json.loads(call(app, '/sda/1/a?format=json').body)
    assert data == []
    resp = report(app, 'c', put='garbage')
    assert resp.status_int == 400


def test_autocreate_reserved_account(app):
    assert report(app, '1234', account='.expiring_objects').status_int == 201
    assert call(app, '/sda/1/.expiring_objects', 'HEAD').status_int == 204


def test_delete_marks_deleted(app):
    assert call(app, '/sda/1/a', 'DELETE', {'X-Timestamp': ts(1)}).status_int == 404
    put_account(app, **{'X-Account-Meta-K': 'v'})
    resp = call(app, '/sda/1/a', 'DELETE', {'X-Timestamp': ts(2)})
    assert resp.status_int == 204
    assert resp.headers['X-Account-Status'] == 'Deleted'
    resp = call(app, '/sda/1/a', 'HEAD')
    assert (resp.status_int, resp.headers['X-Account-Status']) == (404, 'Deleted')
    resp = put_account(app, t=3)
    assert (resp.status_int, resp.body) == (403, b'Recently deleted')
    assert report(app, 'c', put=4).status_int == 404
    override = report(app, 'c', put=4, **{'X-Account-Override-Deleted': 'yes'})
    assert override.status_int == 201


def test_post_metadata_and_bl05(app):
    put_account(app)
    resp = call(app, '/sda/1/a', 'POST', {'X-Timestamp': ts(2), 'X-Account-Meta-A': '1',
                                          'X-Account-Sysmeta-B': '2'})
    assert resp.status_int == 204
    head = call(app, '/sda/1/a', 'HEAD').headers
    assert (head['X-Account-Meta-A'], head['X-Account-Sysmeta-B']) == ('1', '2')
    headers = {'X-Timestamp': ts(3)}
    headers.update({'X-Account-Meta-K%d' % i: 'v' for i in range(89)})
    assert call(app, '/sda/1/a', 'POST', headers).status_int == 204
    resp = call(app, '/sda/1/a', 'POST', {'X-Timestamp': ts(4), 'X-Account-Meta-Z': 'v'})
    assert (resp.status_int, resp.body) == (400, b'Too many metadata items; max 90')
    head = call(app, '/sda/1/a', 'HEAD').headers
    assert sum(1 for k in head if k.lower().startswith('x-account-meta-')) == 90
    assert call(app, '/sda/1/missing', 'POST', {'X-Timestamp': ts(5)}).status_int == 404


def test_listing_formats_and_empty(app):
    put_account(app)
    resp = call(app, '/sda/1/a')
    assert (resp.status_int, resp.body) == (204, b'')
    assert call(app, '/sda/1/a?format=json').body == b'[]'
    report(app, 'c\u00e9'.encode().decode('latin-1'), objects=1, bytes_used=2)
    report(app, 'd-1', policy=1)
    assert call(app, '/sda/1/a').body == 'c\u00e9\nd-1\n'.encode()
    data = json.loads(call(app, '/sda/1/a?format=json').body)
    assert data[0] == {'name': 'c\u00e9', 'count': 1, 'bytes': 2,
                       'last_modified': Timestamp(ts(2)).isoformat,
                       'storage_policy': 'gold'}
    body = call(app, '/sda/1/a?format=xml&delimiter=-').body
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<account name="a">'
                           b'<container><name>c\xc3\xa9</name><count>1</count>'
                           b'<bytes>2</bytes>')
    assert body.endswith(b'<subdir name="d-"><name>d-</name></subdir></account>')


@pytest.mark.parametrize('accept, status', [
    ('application/json;q=nope', 400), ('text/plain;q=0.5;q=1', 400),
    ('image/png', 406), ('application/json', 200)])
def test_bl06_accept(app, accept, status):
    put_account(app)
    report(app, 'c')
    resp = call(app, '/sda/1/a', headers={'Accept': accept})
    assert resp.status_int == status
    if status == 400:
        assert resp.body == b'Invalid Accept header'


@pytest.mark.parametrize('path, method, status', [
    ('/sda/1/a%FF', 'PUT', 412), ('/sda/1/a%00', 'PUT', 412), ('/sda/1', 'PUT', 400),
    ('/sda/1/a/c/o', 'PUT', 400), ('/sda/1/a?limit=10001', 'GET', 412),
    ('/sda/1/a?marker=%FF', 'GET', 400), ('/sda/1/a', 'OPTIONS', 200),
])
def test_bad_input_no_db(app, tmp_path, path, method, status):
    assert call(app, path, method, {'X-Timestamp': ts(1)}).status_int == status
    assert not os.path.exists(tmp_path / 'sda' / 'accounts')


def test_unmounted_is_507(tmp_path):
    (tmp_path / 'sda').mkdir()
    app = AccountController(AccountServerConfig(devices=str(tmp_path), mount_check=True),
                            logger=NullLogger(), policies=POLICIES)
    assert put_account(app).status_int == 507


def _wire(name):
    with open(os.path.join(FIXTURES, 'wire', name), 'rb') as fp:
        raw = fp.read()
    raw = raw[raw.index(b'HTTP/1.1'):]
    head, body = raw.split(b'\r\n\r\n', 1)
    headers = dict(line.split(b': ', 1) for line in head.split(b'\r\n')[1:])
    return {k.decode(): v.decode() for k, v in headers.items()}, body


@pytest.fixture
def golden(tmp_path):
    with open(os.path.join(FIXTURES, 'dbs', 'dbs.json')) as fp:
        entry = [e for e in json.load(fp)['dbs'] if e['kind'] == 'accounts'][0]
    dst = tmp_path / 'd1' / entry['path_relative_to_device']
    dst.parent.mkdir(parents=True)
    shutil.copy(os.path.join(FIXTURES, 'dbs', entry['file']), str(dst))
    return AccountController(AccountServerConfig(devices=str(tmp_path), mount_check=False),
                             logger=NullLogger(), policies=POLICIES,
                             hash_config=HashPathConfig(b'realswift-prefix',
                                                        b'realswift-suffix'))


@pytest.mark.parametrize('query, wire', [('?format=json', 'get-account-json.txt'),
                                         ('', 'get-account-plain.txt')])
def test_golden_listing(golden, query, wire):
    headers, body = _wire(wire)
    resp = call(golden, '/d1/502/AUTH_test' + query)
    assert resp.status_int == 200
    assert resp.body == body
    for name, value in headers.items():
        if name.startswith('X-Account') or name in ('Content-Type', 'Content-Length',
                                                    'X-Timestamp'):
            assert resp.headers[name] == value, name


def test_golden_head(golden):
    headers, _ = _wire('head-account.txt')
    resp = call(golden, '/d1/502/AUTH_test', 'HEAD')
    assert resp.status_int == 204
    for name, value in headers.items():
        if name.startswith('X-Account') or name in ('Content-Type', 'X-Timestamp'):
            assert resp.headers[name] == value, name


@pytest.mark.parametrize('headers', [
    {'X-Account-Meta-A': '\xff'}, {'X-Account-Meta-A': 'x\x00y'},
    {'X-Account-Sysmeta-S': '\xc3('}])
def test_post_bad_metadata_text_is_400_and_changes_nothing(app, headers):
    put_account(app, **{'X-Account-Meta-A': 'old'})
    hdrs = {'X-Timestamp': ts(5)}
    hdrs.update(headers)
    resp = call(app, '/sda/1/a', 'POST', hdrs)
    assert (resp.status_int, resp.body) == (400, b'Metadata must be valid UTF-8')
    head = call(app, '/sda/1/a', 'HEAD').headers
    assert head['X-Account-Meta-A'] == 'old'
    assert 'X-Account-Sysmeta-S' not in head


@pytest.mark.parametrize('query, status, body', [
    ('limit=10001', 412, b'Maximum limit is 10000'),
    ('marker=%FF', 400, b'"marker" parameter not valid UTF-8'),
    ('end_marker=a%00', 400, b'"end_marker" parameter not valid UTF-8'),
    ('prefix=%C0', 400, b'"prefix" parameter not valid UTF-8'),
    ('delimiter=%FF', 400, b'"delimiter" parameter not valid UTF-8'),
])
def test_bad_listing_params(app, query, status, body):
    put_account(app)
    report(app, 'c')
    resp = call(app, '/sda/1/a?' + query)
    assert (resp.status_int, resp.body) == (status, body)


@pytest.mark.parametrize('path', ['/', '/sda/1/a', '/sda/1/a/c'])
def test_options_like_swift(app, tmp_path, path):
    import swift
    resp = call(app, path, 'OPTIONS')
    assert (resp.status_int, resp.body) == (200, b'')
    assert resp.headers['Server'] == 'account-server/%s' % swift.__version__
    allow = resp.headers['Allow'].split(', ')
    assert allow == sorted(allow)
    assert {'DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'} <= set(allow)
    assert not os.path.exists(tmp_path / 'sda' / 'accounts')


def test_replication_only_server_refuses_options(tmp_path):
    app = AccountController(AccountServerConfig(devices=str(tmp_path), mount_check=False,
                                                replication_server=True),
                            logger=NullLogger(), policies=POLICIES)
    assert call(app, '/', 'OPTIONS').status_int == 405
