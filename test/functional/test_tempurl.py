"""Temp URLs over HTTP: python-swiftclient's ``swift tempurl`` URLs used without a
token (GET, HEAD, PUT), BL-17 (HEAD and GET answer the same Content-Disposition and
Expires), expired and tampered signatures refused."""

import hmac
import time
import urllib.parse
import uuid

import pytest

pytestmark = pytest.mark.functional

KEY = 'functional-tempurl-key'
IGNORED = {'date', 'x-trans-id', 'x-openstack-request-id'}


@pytest.fixture(scope='module')
def setup(cluster):
    info = cluster.raw('GET', '/info', token=None, account_path='').json()
    if 'tempurl' not in info:
        pytest.skip('the cluster has no tempurl middleware')
    account = cluster.storage_url.rstrip('/').rsplit('/', 1)[-1]
    resp = cluster.raw('POST', '', headers={'X-Account-Meta-Temp-URL-Key': KEY})
    assert resp.status == 204, resp
    container = 'tempurl-%s' % uuid.uuid4().hex[:8]
    assert cluster.raw('PUT', '/' + container).status in (201, 202)
    assert cluster.raw('PUT', '/%s/o' % container, body=b'tempurl body',
                       headers={'Content-Type': 'text/plain',
                                'X-Object-Meta-Private': 'p',
                                'X-Object-Meta-Public-Shown': 's'}).status == 201
    return account, container, info


def path_of(setup, name='o'):
    account, container, _info = setup
    return '/v1/%s/%s/%s' % (account, container, name)


def signed(method, path, expires, key=KEY, digest='sha256'):
    message = '%s\n%d\n%s' % (method, expires, path)
    sig = hmac.new(key.encode(), message.encode(), digest).hexdigest()
    return '%s?temp_url_sig=%s&temp_url_expires=%d' % (path, sig, expires)


def anonymous(cluster, method, url, body=None, headers=None):
    return cluster.raw(method, url, body=body, headers=headers, token=None,
                       account_path='')


def test_info_section(setup):
    _account, _container, info = setup
    assert info['tempurl']['methods'] == ['GET', 'HEAD', 'PUT', 'POST', 'DELETE']
    assert info['tempurl']['allowed_digests'] == ['sha1', 'sha256', 'sha512']
    assert info['tempurl']['outgoing_allow_headers'] == ['x-object-meta-public-*']


def test_swift_cli_tempurl_get_and_head(cluster, setup):
    url = cluster.swift_cli('tempurl', 'GET', '600', path_of(setup), KEY).strip()
    assert url.startswith(path_of(setup) + '?temp_url_sig=')
    resp = anonymous(cluster, 'GET', url)
    assert resp.status == 200, resp
    assert resp.body == b'tempurl body'
    assert resp.headers['content-disposition'] == \
        'attachment; filename="o"; filename*=UTF-8\'\'o'
    assert 'x-object-meta-private' not in resp.headers
    assert resp.headers['x-object-meta-public-shown'] == 's'
    head = anonymous(cluster, 'HEAD', url)
    assert head.status == 200
    assert head.headers['content-length'] == str(len(b'tempurl body'))
    # without the signature the same path needs a token
    assert anonymous(cluster, 'GET', path_of(setup)).status == 401


@pytest.mark.parametrize('digest', ['sha1', 'sha512'])
def test_swift_cli_digests_and_iso8601(cluster, setup, digest):
    url = cluster.swift_cli('tempurl', '--digest', digest, '--iso8601', 'GET', '600',
                            path_of(setup), KEY).strip()
    assert 'Z' in url.split('temp_url_expires=')[1]
    assert anonymous(cluster, 'GET', url).status == 200


def test_swift_cli_tempurl_put_then_get(cluster, setup):
    path = path_of(setup, 'uploaded.txt')
    url = cluster.swift_cli('tempurl', 'PUT', '600', path, KEY).strip()
    resp = anonymous(cluster, 'PUT', url, body=b'sent without a token')
    assert resp.status == 201, resp
    got = cluster.raw('GET', '/%s/uploaded.txt' % setup[1])
    assert got.body == b'sent without a token'
    # a PUT signature does not allow a GET, and does not say whether it exists
    assert anonymous(cluster, 'GET', url).status == 401


def test_swift_cli_prefix_based(cluster, setup):
    account, container, _info = setup
    assert cluster.raw('PUT', '/%s/pre/x' % container, body=b'px').status == 201
    url = cluster.swift_cli('tempurl', '--prefix-based', 'GET', '600',
                            '/v1/%s/%s/pre/' % (account, container), KEY).strip()
    assert anonymous(cluster, 'GET', url.replace('/pre/?', '/pre/x?')).body == b'px'
    assert anonymous(cluster, 'GET', url.replace('/pre/?', '/o?')).status == 401


def test_bl17_head_and_get_have_the_same_headers(cluster, setup):
    expires = int(time.time()) + 3600
    path = path_of(setup)
    get = anonymous(cluster, 'GET', signed('GET', path, expires))
    head = anonymous(cluster, 'HEAD', signed('HEAD', path, expires))
    assert get.status == head.status == 200
    strip = lambda resp: {k: v for k, v in resp.headers.items() if k not in IGNORED}
    assert strip(get) == strip(head)
    assert get.headers['content-disposition'] == \
        'attachment; filename="o"; filename*=UTF-8\'\'o'
    assert get.headers['expires'] == time.strftime('%a, %d %b %Y %H:%M:%S GMT',
                                                   time.gmtime(expires))
    for extra, expected in (('&filename=report.txt',
                             'attachment; filename="report.txt"; '
                             'filename*=UTF-8\'\'report.txt'),
                            ('&inline', 'inline')):
        for method in ('GET', 'HEAD'):
            resp = anonymous(cluster, method, signed(method, path, expires) + extra)
            assert resp.headers['content-disposition'] == expected, (method, extra)


def test_expired_and_tampered_signatures_are_refused(cluster, setup):
    path = path_of(setup)
    past = int(time.time()) - 10
    future = int(time.time()) + 600
    expired = signed('GET', path, past)
    tampered = signed('GET', path, future).replace('temp_url_expires=%d' % future,
                                                   'temp_url_expires=%d' % (future + 1))
    wrong_key = signed('GET', path, future, key='not-the-key')
    missing = signed('GET', path_of(setup, 'no-such-object'), future, key='nope')
    for url in (expired, tampered, wrong_key, missing):
        resp = anonymous(cluster, 'GET', url)
        assert resp.status == 401, url
        assert resp.body == b'401 Unauthorized: Temp URL invalid\n'
        head = anonymous(cluster, 'HEAD', url)
        assert head.status == 401
    # a valid signature over a missing object is a plain 404
    assert anonymous(cluster, 'GET', signed('GET', path_of(setup, 'nothing'),
                                            future)).status == 404


def test_container_key_and_delete(cluster, setup):
    account, container, _info = setup
    assert cluster.raw('POST', '/' + container, headers={
        'X-Container-Meta-Temp-URL-Key': 'ckey'}).status == 204
    assert cluster.raw('PUT', '/%s/doomed' % container, body=b'd').status == 201
    path = path_of(setup, 'doomed')
    future = int(time.time()) + 600
    assert anonymous(cluster, 'DELETE', signed('DELETE', path, future,
                                               key='ckey')).status == 204
    assert cluster.raw('HEAD', '/%s/doomed' % container).status == 404


def test_manifest_header_refused_on_put(cluster, setup):
    path = path_of(setup, 'manifest')
    url = signed('PUT', path, int(time.time()) + 600)
    resp = anonymous(cluster, 'PUT', url, body=b'',
                     headers={'X-Object-Manifest': 'other/prefix'})
    assert resp.status == 400
    assert resp.body == b"The header 'X-Object-Manifest' is not allowed in this tempurl"


def test_unicode_object_name(cluster, setup):
    account, container, _info = setup
    name = '\u00e9t\u00e9 \u2603.txt'
    quoted = urllib.parse.quote(name)
    assert cluster.raw('PUT', '/%s/%s' % (container, quoted), body=b'snow').status == 201
    url = cluster.swift_cli('tempurl', 'GET', '600', path_of(setup, name), KEY).strip()
    path, query = url.split('?', 1)
    resp = anonymous(cluster, 'GET', urllib.parse.quote(path) + '?' + query)
    assert (resp.status, resp.body) == (200, b'snow')
    assert resp.headers['content-disposition'] == (
        'attachment; filename="%s"; filename*=UTF-8\'\'%s'
        % (urllib.parse.quote(name, safe=' /'), quoted))


def test_ip_range(cluster, setup):
    inside = cluster.swift_cli('tempurl', '--ip-range', '127.0.0.0/8', 'GET', '600',
                               path_of(setup), KEY).strip()
    assert anonymous(cluster, 'GET', inside).status == 200
    outside = cluster.swift_cli('tempurl', '--ip-range', '10.0.0.0/8', 'GET', '600',
                                path_of(setup), KEY).strip()
    assert anonymous(cluster, 'GET', outside).status == 401
