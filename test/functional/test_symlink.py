"""symlink over HTTP: links followed on GET/HEAD, ?symlink=get, static links, POST 307,
listing keys, COPY, ACLs on targets and /info."""

import hashlib
import subprocess
import uuid

import pytest

pytestmark = pytest.mark.functional

BODY = b'target object body'
BODY_ETAG = hashlib.md5(BODY).hexdigest()


@pytest.fixture(scope='module')
def web(cluster):
    info = cluster.raw('GET', '/info', token=None, account_path='')
    if info.status != 200 or 'symlink' not in info.json():
        pytest.skip('symlink is not in this cluster\'s proxy pipeline')
    return cluster


@pytest.fixture
def box(web):
    """A fresh container holding object ``o``."""
    name = 'sym-' + uuid.uuid4().hex[:10]
    assert web.raw('PUT', '/' + name).status == 201
    assert web.raw('PUT', '/%s/o' % name, body=BODY,
                   headers={'Content-Type': 'text/x-target'}).status == 201
    return name


def link(web, path, target, **headers):
    headers = {k.replace('_', '-'): v for k, v in headers.items()}
    headers['X-Symlink-Target'] = target
    return web.raw('PUT', path, body=b'', headers=headers)


def test_info_has_swifts_symlink_section(web):
    info = web.raw('GET', '/info', token=None, account_path='').json()
    assert info['symlink'] == {'symloop_max': 2, 'static_links': True}


def test_get_and_head_follow_the_link(web, box):
    assert link(web, '/%s/link' % box, '%s/o' % box).status == 201
    resp = web.raw('GET', '/%s/link' % box)
    assert (resp.status, resp.body) == (200, BODY)
    assert resp.headers['content-location'] == '/v1/AUTH_test/%s/o' % box
    assert resp.headers['etag'] == BODY_ETAG
    head = web.raw('HEAD', '/%s/link' % box)
    assert (head.status, head.headers['content-length']) == (200, str(len(BODY)))
    ranged = web.raw('GET', '/%s/link' % box, headers={'Range': 'bytes=0-5'})
    assert (ranged.status, ranged.body) == (206, BODY[:6])
    # conditional requests are answered by the target
    resp = web.raw('GET', '/%s/link' % box, headers={'If-Match': BODY_ETAG})
    assert (resp.status, resp.body) == (200, BODY)
    resp = web.raw('GET', '/%s/link' % box, headers={'If-None-Match': BODY_ETAG})
    assert resp.status == 304
    resp = web.raw('GET', '/%s/link' % box, headers={'If-Match': 'other'})
    assert resp.status == 412


def test_symlink_get_shows_the_link_and_no_sysmeta(web, box):
    assert link(web, '/%s/link' % box, '%s/o' % box).status == 201
    resp = web.raw('HEAD', '/%s/link?symlink=get' % box)
    assert resp.status == 200
    assert resp.headers['x-symlink-target'] == '%s/o' % box
    assert resp.headers['content-type'] == 'application/symlink'
    assert resp.headers['content-length'] == '0'
    assert not [k for k in resp.headers if k.startswith('x-object-sysmeta')]


def test_link_put_errors(web, box):
    resp = web.raw('PUT', '/%s/l' % box, body=b'data',
                   headers={'X-Symlink-Target': '%s/o' % box})
    assert (resp.status, resp.body) == (400, b'Symlink requests require a zero byte body')
    resp = link(web, '/%s/l' % box, '/%s/o' % box)
    assert resp.status == 412
    resp = link(web, '/%s/l' % box, '%s/l' % box)
    assert (resp.status, resp.body) == (400, b'Symlink cannot target itself')
    assert web.raw('HEAD', '/%s/l' % box).status == 404


def test_dangling_link_is_404_and_chain_limit_409(web, box):
    assert link(web, '/%s/dangling' % box, '%s/nothing' % box).status == 201
    resp = web.raw('GET', '/%s/dangling' % box)
    assert resp.status == 404
    assert resp.headers['content-location'] == '/v1/AUTH_test/%s/nothing' % box
    for index, target in ((0, 'l1'), (1, 'l2'), (2, 'o')):
        assert link(web, '/%s/l%d' % (box, index), '%s/%s' % (box, target)).status == 201
    assert web.raw('GET', '/%s/l1' % box).body == BODY       # two hops
    resp = web.raw('GET', '/%s/l0' % box)                      # three hops
    assert (resp.status, resp.body) == (
        409, b'Too many levels of symbolic links, maximum allowed is 2')


def test_static_links(web, box):
    resp = link(web, '/%s/bad' % box, '%s/o' % box, X_Symlink_Target_Etag='0' * 32)
    assert resp.status == 409
    assert b'does not match X-Symlink-Target-Etag header' in resp.body
    resp = link(web, '/%s/static' % box, '%s/o' % box, X_Symlink_Target_Etag=BODY_ETAG)
    assert resp.status == 201
    head = web.raw('HEAD', '/%s/static?symlink=get' % box)
    assert head.headers['x-symlink-target-etag'] == BODY_ETAG
    assert head.headers['x-symlink-target-bytes'] == str(len(BODY))
    assert head.headers['content-type'] == 'text/x-target'
    # the target changes: the static link refuses to serve something else
    assert web.raw('PUT', '/%s/o' % box, body=b'changed').status == 201
    assert web.raw('GET', '/%s/static' % box).status == 409
    resp = link(web, '/%s/gone' % box, '%s/none' % box, X_Symlink_Target_Etag=BODY_ETAG)
    assert (resp.status, resp.body) == (409, b'X-Symlink-Target does not exist')


def test_listing_shows_symlink_keys(web, box):
    assert link(web, '/%s/soft' % box, '%s/o' % box).status == 201
    assert link(web, '/%s/static' % box, '%s/o' % box,
                X_Symlink_Target_Etag=BODY_ETAG).status == 201
    assert link(web, '/%s/far' % box, 'c/o', X_Symlink_Target_Account='AUTH_test2'
                ).status == 201
    listing = {item['name']: item for item in web.json_get('/%s?format=json' % box)}
    assert listing['soft']['symlink_path'] == '/v1/AUTH_test/%s/o' % box
    assert listing['soft']['hash'] == 'd41d8cd98f00b204e9800998ecf8427e'
    assert listing['soft']['content_type'] == 'application/symlink'
    assert listing['static']['symlink_etag'] == BODY_ETAG
    assert listing['static']['symlink_bytes'] == len(BODY)
    assert listing['far']['symlink_path'] == '/v1/AUTH_test2/c/o'
    assert 'symlink_path' not in listing['o']
    xml = web.raw('GET', '/%s?format=xml' % box).body
    assert b'<symlink_path>/v1/AUTH_test/%s/o</symlink_path>' % box.encode() in xml


def test_post_to_a_link_is_307_to_the_target(web, box):
    assert link(web, '/%s/link' % box, '%s/o' % box).status == 201
    resp = web.raw('POST', '/%s/link' % box, headers={'X-Object-Meta-Note': 'on link'})
    assert resp.status == 307
    assert resp.headers['location'] == '/v1/AUTH_test/%s/o' % box
    assert not [k for k in resp.headers if k.startswith('x-object-sysmeta')]
    assert web.raw('HEAD', '/%s/link?symlink=get' % box).headers[
        'x-object-meta-note'] == 'on link'
    assert 'x-object-meta-note' not in web.raw('HEAD', '/%s/o' % box).headers
    # still a link after the POST, also in the listing
    assert web.raw('GET', '/%s/link' % box).body == BODY
    listing = {item['name']: item for item in web.json_get('/%s?format=json' % box)}
    assert listing['link']['symlink_path'] == '/v1/AUTH_test/%s/o' % box
    resp = web.raw('POST', '/%s/o' % box, headers={'X-Symlink-Target': 'x/y'})
    assert resp.status == 400


def test_copy_of_a_link(web, box):
    assert link(web, '/%s/link' % box, '%s/o' % box).status == 201
    resp = web.raw('COPY', '/%s/link' % box, headers={'Destination': '%s/copy' % box})
    assert resp.status == 201
    copy = web.raw('GET', '/%s/copy?symlink=get' % box)
    assert (copy.body, copy.headers.get('x-symlink-target')) == (BODY, None)
    resp = web.raw('COPY', '/%s/link?symlink=get' % box,
                   headers={'Destination': '%s/copy2' % box})
    assert resp.status == 201
    copy = web.raw('HEAD', '/%s/copy2?symlink=get' % box)
    assert copy.headers['x-symlink-target'] == '%s/o' % box
    assert web.raw('GET', '/%s/copy2' % box).body == BODY


def test_delete_removes_only_the_link(web, box):
    assert link(web, '/%s/link' % box, '%s/o' % box).status == 201
    assert web.raw('DELETE', '/%s/link' % box).status == 204
    assert web.raw('GET', '/%s/o' % box).body == BODY


def test_anonymous_reads_need_the_targets_acl(web, box):
    public = 'pub-' + uuid.uuid4().hex[:10]
    assert web.raw('PUT', '/' + public,
                   headers={'X-Container-Read': '.r:*'}).status == 201
    assert link(web, '/%s/to-private' % public, '%s/o' % box).status == 201
    assert web.raw('PUT', '/%s/o' % public, body=b'open').status == 201
    assert link(web, '/%s/to-public' % public, '%s/o' % public).status == 201
    assert web.raw('GET', '/%s/to-private' % public, token=None).status == 401
    resp = web.raw('GET', '/%s/to-public' % public, token=None)
    assert (resp.status, resp.body) == (200, b'open')
    proc = subprocess.run(['curl', '-s', web.storage_url + '/%s/to-public' % public],
                          capture_output=True, timeout=60)
    assert proc.stdout == b'open'


def test_swift_cli_stat_of_a_link_shows_the_target(web, box):
    assert link(web, '/%s/link' % box, '%s/o' % box).status == 201
    out = web.swift_cli('stat', box, 'link')
    assert 'Content Length: %d' % len(BODY) in out
