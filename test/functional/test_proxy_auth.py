"""tempauth, container ACLs, account ACLs and owner-only headers over HTTP (issue 6).

Users are the all-in-one's (Swift's SAIO ones): test:tester (.admin), test:tester3 (no
groups), test2:tester2 (.admin of AUTH_test2), admin:admin (.reseller_admin).
"""

import http.client
import json
import urllib.parse
import uuid

import pytest

pytestmark = pytest.mark.functional

USERS = {'tester3': ('test:tester3', 'testing3'), 'tester2': ('test2:tester2', 'testing2'),
         'reseller': ('admin:admin', 'admin')}


@pytest.fixture(scope='module')
def tokens(cluster):
    """{name: (token, storage_url)} for the other users."""
    out = {}
    for name, (user, key) in USERS.items():
        try:
            out[name] = cluster.authenticate(user=user, key=key)
        except RuntimeError:
            pytest.skip('cluster has no user %s' % user)
    return out


def _account_path(cluster):
    return urllib.parse.urlparse(cluster.storage_url).path


def _container(cluster, headers=None):
    name = 'acl-' + uuid.uuid4().hex[:10]
    resp = cluster.raw('PUT', '/' + name, headers=headers)
    assert resp.status in (201, 202), resp
    assert cluster.raw('PUT', '/%s/obj' % name, body=b'secret bytes').status == 201
    return name


def _auth_request(cluster, path, headers):
    parsed = urllib.parse.urlparse(cluster.auth_url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        conn.request('GET', path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


# ------------------------------------------------------------------ tempauth login

def test_login_headers_and_both_token_names(cluster):
    status, headers = _auth_request(cluster, '/auth/v1.0', {
        'X-Storage-User': 'test:tester', 'X-Storage-Pass': 'testing'})
    assert status == 200
    token = headers['x-auth-token']
    assert headers['x-storage-token'] == token
    assert headers['x-storage-url'].endswith('/v1/AUTH_test')
    assert 0 < int(headers['x-auth-token-expires']) <= 86400
    assert token.startswith('AUTH_tk')
    # X-Storage-Token is accepted where X-Auth-Token is
    resp = cluster.raw('HEAD', '', token=None, headers={'X-Storage-Token': token})
    assert resp.status == 204
    assert resp.headers['x-account-object-count']


def test_login_with_account_in_path(cluster):
    status, headers = _auth_request(cluster, '/auth/v1/test/auth', {
        'X-Auth-User': 'tester', 'X-Auth-Key': 'testing'})
    assert status == 200
    assert headers['x-storage-url'].endswith('/v1/AUTH_test')


@pytest.mark.parametrize('user,key', [('test:tester', 'wrong'), ('test:nobody', 'x'),
                                      ('noaccount', 'testing'), ('', '')])
def test_login_refused(cluster, user, key):
    headers = {'X-Auth-User': user, 'X-Auth-Key': key} if user else {}
    status, headers = _auth_request(cluster, '/auth/v1.0', headers)
    assert status == 401
    assert 'x-auth-token' not in headers


def test_anonymous_and_bad_token_get_401_with_realm(cluster):
    for token in (None, 'AUTH_tk' + 'f' * 32):
        resp = cluster.raw('GET', '', token=token)
        assert resp.status == 401, (token, resp)
        assert resp.headers['www-authenticate'] == 'Swift realm="AUTH_test"'
        resp = cluster.raw('PUT', '/anon-c', token=token)
        assert resp.status == 401
    assert cluster.raw('HEAD', '/anon-c').status == 404


# ------------------------------------------------------------------ who may do what

def test_tester3_without_admin_is_forbidden_until_granted(cluster, tokens):
    token3 = tokens['tester3'][0]
    name = _container(cluster)
    assert cluster.raw('GET', '', token=token3).status == 403
    assert cluster.raw('PUT', '/t3-own-' + name, token=token3).status == 403
    assert cluster.raw('GET', '/' + name, token=token3).status == 403
    assert cluster.raw('GET', '/%s/obj' % name, token=token3).status == 403
    assert cluster.raw('PUT', '/%s/new' % name, body=b'x', token=token3).status == 403
    assert cluster.raw('DELETE', '/%s/obj' % name, token=token3).status == 403
    assert cluster.raw('POST', '/' + name, token=token3,
                       headers={'X-Container-Read': 'test:tester3'}).status == 403

    # the owner grants read: objects and the listing become readable, writes are not
    assert cluster.raw('POST', '/' + name, headers={
        'X-Container-Read': 'test:tester3'}).status == 204
    got = cluster.raw('GET', '/%s/obj' % name, token=token3)
    assert (got.status, got.body) == (200, b'secret bytes')
    assert cluster.raw('GET', '/' + name, token=token3).body == b'obj\n'
    assert cluster.raw('PUT', '/%s/new' % name, body=b'x', token=token3).status == 403

    # then write
    assert cluster.raw('POST', '/' + name, headers={
        'X-Container-Write': 'test:tester3'}).status == 204
    assert cluster.raw('PUT', '/%s/new' % name, body=b'x', token=token3).status == 201
    assert cluster.raw('DELETE', '/%s/new' % name, token=token3).status == 204
    # ...but never the container itself
    assert cluster.raw('DELETE', '/' + name, token=token3).status == 403


def test_other_account_user_is_forbidden(cluster, tokens):
    token2 = tokens['tester2'][0]
    name = _container(cluster)
    for method, path in (('GET', ''), ('HEAD', ''), ('POST', ''), ('GET', '/' + name),
                         ('PUT', '/other-' + name), ('GET', '/%s/obj' % name),
                         ('DELETE', '/%s/obj' % name)):
        resp = cluster.raw(method, path, token=token2)
        assert resp.status == 403, (method, path, resp)
    # and the owner of AUTH_test cannot touch AUTH_test2
    resp = cluster.raw('GET', '', account_path='/v1/AUTH_test2')
    assert resp.status == 403
    # an account name as a container read ACL admits all of that account's users
    cluster.raw('POST', '/' + name, headers={'X-Container-Read': 'test2'})
    assert cluster.raw('GET', '/%s/obj' % name, token=token2).status == 200


def test_account_management_needs_reseller_admin(cluster, tokens):
    reseller = tokens['reseller'][0]
    account = '/v1/AUTH_mgmt' + uuid.uuid4().hex[:8]
    assert cluster.raw('PUT', '', account_path=account).status == 403
    assert cluster.raw('PUT', '', account_path=account, token=None).status == 401
    assert cluster.raw('PUT', '', account_path=account, token=reseller).status == 201
    resp = cluster.raw('HEAD', '', account_path=account, token=reseller)
    assert resp.status == 204
    # the reseller admin owns every account (sees owner headers)
    assert cluster.raw('GET', '', token=reseller).status in (200, 204)
    assert cluster.raw('DELETE', '', account_path=account).status == 403
    assert cluster.raw('DELETE', '', account_path=account, token=reseller).status == 204
    # .admin of an account may not delete its own account either
    assert cluster.raw('DELETE', '').status == 403


def test_account_autocreate_on_first_write(cluster, tokens):
    reseller = tokens['reseller'][0]
    account = '/v1/AUTH_auto' + uuid.uuid4().hex[:8]
    resp = cluster.raw('GET', '', account_path=account, token=reseller)
    assert resp.status in (200, 204)   # autocreate: an empty listing, not 404
    assert resp.headers['x-account-container-count'] == '0'
    assert cluster.raw('PUT', '/c', account_path=account, token=reseller).status == 201
    resp = cluster.raw('GET', '?format=json', account_path=account, token=reseller)
    assert resp.status == 200
    assert [c['name'] for c in resp.json()] == ['c']
    assert resp.headers['x-account-container-count'] == '1'


# ------------------------------------------------------------------ container ACLs

def test_referrer_acls(cluster):
    name = _container(cluster, headers={'X-Container-Read': '.r:*'})
    anon = cluster.raw('GET', '/%s/obj' % name, token=None)
    assert (anon.status, anon.body) == (200, b'secret bytes')
    # .r:* alone does not allow listing
    assert cluster.raw('GET', '/' + name, token=None).status == 401
    cluster.raw('POST', '/' + name, headers={'X-Container-Read': '.r:*,.rlistings'})
    listing = cluster.raw('GET', '/' + name, token=None)
    assert (listing.status, listing.body) == (200, b'obj\n')
    # reads only: an anonymous write is refused
    assert cluster.raw('PUT', '/%s/anon' % name, body=b'x', token=None).status == 401

    cluster.raw('POST', '/' + name, headers={'X-Container-Read': '.r:example.com'})
    path = '/%s/obj' % name
    assert cluster.raw('GET', path, token=None).status == 401
    assert cluster.raw('GET', path, token=None, headers={
        'Referer': 'http://example.com/page'}).status == 200
    assert cluster.raw('GET', path, token=None, headers={
        'Referer': 'http://other.com/page'}).status == 401

    cluster.raw('POST', '/' + name, headers={'X-Container-Read': '.r:.example.com'})
    assert cluster.raw('GET', path, token=None, headers={
        'Referer': 'http://www.example.com/x'}).status == 200

    cluster.raw('POST', '/' + name, headers={'X-Container-Read': '.r:*,.r:-bad.com'})
    assert cluster.raw('GET', path, token=None, headers={
        'Referer': 'http://bad.com/x'}).status == 401
    assert cluster.raw('GET', path, token=None, headers={
        'Referer': 'http://good.com/x'}).status == 200
    assert cluster.raw('GET', path, token=None).status == 200


def test_bad_acls_are_refused(cluster):
    name = _container(cluster)
    resp = cluster.raw('POST', '/' + name, headers={'X-Container-Write': '.r:*'})
    assert resp.status == 400
    assert b'Referrers not allowed in write ACL' in resp.body
    resp = cluster.raw('POST', '/' + name, headers={'X-Container-Read': '.r:'})
    assert resp.status == 400
    assert 'x-container-write' not in cluster.raw('HEAD', '/' + name).headers


def test_acls_are_shown_to_owners_only(cluster, tokens):
    token3 = tokens['tester3'][0]
    name = _container(cluster, headers={'X-Container-Read': 'test:tester3',
                                        'X-Container-Write': 'test:nobody',
                                        'X-Container-Meta-Colour': 'blue'})
    owner = cluster.raw('HEAD', '/' + name)
    assert owner.headers['x-container-read'] == 'test:tester3'
    assert owner.headers['x-container-write'] == 'test:nobody'
    reader = cluster.raw('HEAD', '/' + name, token=token3)
    assert reader.status == 204
    assert reader.headers['x-container-meta-colour'] == 'blue'
    assert 'x-container-read' not in reader.headers
    assert 'x-container-write' not in reader.headers
    listing = cluster.raw('GET', '/' + name, token=token3)
    assert 'x-container-read' not in listing.headers


# ------------------------------------------------------------------ account ACLs

def test_account_acls(cluster, tokens):
    token3 = tokens['tester3'][0]
    token2 = tokens['tester2'][0]
    acl = 'X-Account-Access-Control'
    bad = cluster.raw('POST', '', headers={acl: 'not json'})
    assert bad.status == 400
    bad = cluster.raw('POST', '', headers={acl: json.dumps({'owner': ['x']})})
    assert bad.status == 400
    try:
        assert cluster.raw('POST', '', headers={
            acl: json.dumps({'read-only': ['test:tester3']})}).status == 204
        assert json.loads(cluster.raw('HEAD', '').headers[acl.lower()]) == {
            'read-only': ['test:tester3']}
        resp = cluster.raw('GET', '', token=token3)
        assert resp.status in (200, 204)
        assert acl.lower() not in resp.headers      # not an owner
        assert cluster.raw('PUT', '/ro-' + uuid.uuid4().hex[:6], token=token3).status == 403

        cluster.raw('POST', '', headers={acl: json.dumps({'read-write': ['test:tester3']})})
        name = 'rw-' + uuid.uuid4().hex[:6]
        assert cluster.raw('PUT', '/' + name, token=token3).status == 201
        assert cluster.raw('PUT', '/%s/o' % name, body=b'ok', token=token3).status == 201
        assert cluster.raw('POST', '', token=token3, headers={
            'X-Account-Meta-Nope': '1'}).status == 403

        cluster.raw('POST', '', headers={acl: json.dumps({'admin': ['test2:tester2']})})
        resp = cluster.raw('POST', '', token=token2, headers={'X-Account-Meta-By': 't2'})
        assert resp.status == 204
        resp = cluster.raw('HEAD', '', token=token2)
        assert resp.headers['x-account-meta-by'] == 't2'
        assert acl.lower() in resp.headers          # admin is an owner
        assert cluster.raw('GET', '', token=token3).status == 403
    finally:
        cluster.raw('POST', '', headers={acl: '', 'X-Remove-Account-Meta-By': 'x'})
    assert acl.lower() not in cluster.raw('HEAD', '').headers
    assert cluster.raw('GET', '', token=tokens['tester2'][0]).status == 403
