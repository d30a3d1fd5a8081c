"""Bad input gets Swift's status and writes nothing (issue 2, acceptance 6)."""

import hashlib

import pytest

pytestmark = pytest.mark.functional


def test_no_token_is_401(cluster):
    resp = cluster.raw('GET', '/', token=None)
    assert resp.status == 401
    assert resp.headers.get('www-authenticate') == 'Swift realm="AUTH_test"'
    resp = cluster.raw('PUT', '/noauth', token=None)
    assert resp.status == 401
    assert cluster.raw('HEAD', '/noauth').status == 404


def test_bad_token_is_401(cluster):
    assert cluster.raw('GET', '/', token='AUTH_tkbogus').status == 401


def test_wrong_etag_is_422_and_nothing_written(cluster):
    cluster.raw('PUT', '/badetag')
    resp = cluster.raw('PUT', '/badetag/o', body=b'data', headers={'ETag': 'f' * 32})
    assert resp.status == 422
    assert cluster.raw('HEAD', '/badetag/o').status == 404
    # zero-byte body with a wrong etag (field case BL-08)
    resp = cluster.raw('PUT', '/badetag/z', body=b'', headers={'ETag': '"catbus"'})
    assert resp.status == 422
    assert cluster.raw('HEAD', '/badetag/z').status == 404
    assert cluster.object_files('AUTH_test', 'badetag', 'o') == []
    good = cluster.raw('PUT', '/badetag/o', body=b'data',
                       headers={'ETag': hashlib.md5(b'data').hexdigest()})
    assert good.status == 201


def test_object_name_too_long_is_400(cluster):
    cluster.raw('PUT', '/longname')
    resp = cluster.raw('PUT', '/longname/' + 'x' * 1025, body=b'x')
    assert resp.status == 400
    resp = cluster.raw('PUT', '/longname/' + 'x' * 1024, body=b'x')
    assert resp.status == 201
    listing = cluster.raw('GET', '/longname').body.split()
    assert listing == [b'x' * 1024]


@pytest.mark.parametrize('path', [
    '/nulc%00x', '/nul/o%00x', '/bad%FFutf8', '/badu/o%FF%FE',
])
def test_names_swift_refuses_are_412(cluster, path):
    cluster.raw('PUT', '/nul')
    cluster.raw('PUT', '/badu')
    resp = cluster.raw('PUT', path, body=b'x')
    assert resp.status == 412
    assert b'Invalid UTF8 or contains NULL' in resp.body


@pytest.mark.parametrize('path', ['/.', '/..', '/./o', '/../o'])
def test_dot_container_names_are_refused(cluster, path):
    resp = cluster.raw('PUT', path, body=b'x')
    assert 400 <= resp.status < 500
    listing = cluster.raw('GET', '/?format=json')
    names = [c['name'] for c in listing.json()] if listing.status == 200 else []
    assert '.' not in names and '..' not in names


def test_dot_account_is_refused(cluster):
    for account in ('.', '..'):
        resp = cluster.raw('PUT', '/c/o', body=b'x', account_path='/v1/' + account)
        assert 400 <= resp.status < 500
