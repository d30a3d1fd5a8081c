"""versioned_writes (legacy mode) over HTTP: stack mode (X-Versions-Location) and
history mode (X-History-Location), large objects and links versioned as themselves,
errors and permissions, and the swift CLI."""

import json
import uuid

import pytest

pytestmark = pytest.mark.functional

MARKER_TYPE = 'application/x-deleted;swift_versions_deleted=1'


@pytest.fixture(scope='module')
def web(cluster):
    info = cluster.raw('GET', '/info', token=None, account_path='')
    if info.status != 200 or 'versioned_writes' not in info.json():
        pytest.skip('versioned_writes is not enabled in this cluster')
    return cluster


def fresh(prefix):
    return '%s-%s' % (prefix, uuid.uuid4().hex[:10])


@pytest.fixture
def stack(web):
    """(versioned container, archive container) in stack mode."""
    archive, container = fresh('arch'), fresh('vers')
    assert web.raw('PUT', '/' + archive).status == 201
    assert web.raw('PUT', '/' + container,
                   headers={'X-Versions-Location': archive}).status == 201
    return container, archive


@pytest.fixture
def history(web):
    archive, container = fresh('hist-arch'), fresh('hist')
    assert web.raw('PUT', '/' + archive).status == 201
    assert web.raw('PUT', '/' + container,
                   headers={'X-History-Location': archive}).status == 201
    return container, archive


def listing(web, container, prefix=''):
    return web.json_get('/%s?format=json&prefix=%s' % (container, prefix))


def put(web, path, body, **headers):
    resp = web.raw('PUT', path, body=body,
                   headers={k.replace('_', '-'): v for k, v in headers.items()})
    assert resp.status == 201, resp
    return resp


def test_info_section(web):
    info = web.raw('GET', '/info', token=None, account_path='').json()
    assert info['versioned_writes'] == {
        'allowed_flags': ['x-versions-location', 'x-history-location']}


def test_container_reports_its_mode(web, stack, history):
    head = web.raw('HEAD', '/' + stack[0])
    assert head.headers['x-versions-location'] == stack[1]
    assert 'x-history-location' not in head.headers
    assert not [k for k in head.headers if 'sysmeta' in k]
    head = web.raw('HEAD', '/' + history[0])
    assert head.headers['x-history-location'] == history[1]
    assert 'x-versions-location' not in head.headers


def test_three_puts_leave_two_archived_versions(web, stack):
    container, archive = stack
    stamps = []
    for body in (b'v1', b'v2', b'v3'):
        put(web, '/%s/obj' % container, body, X_Object_Meta_Body=body.decode())
        stamps.append(web.raw('HEAD', '/%s/obj' % container).headers['x-timestamp'])
    names = [item['name'] for item in listing(web, archive)]
    assert names == ['003obj/' + stamps[0], '003obj/' + stamps[1]]
    first = web.raw('GET', '/%s/%s' % (archive, names[0]))
    assert (first.body, first.headers['x-object-meta-body']) == (b'v1', 'v1')
    assert web.raw('GET', '/%s/%s' % (archive, names[1])).body == b'v2'
    assert web.raw('GET', '/%s/obj' % container).body == b'v3'


def test_stack_delete_brings_back_each_older_version(web, stack):
    container, archive = stack
    for body in (b'v1', b'v2', b'v3'):
        put(web, '/%s/obj' % container, body)
    assert web.raw('DELETE', '/%s/obj' % container).status == 204
    assert web.raw('GET', '/%s/obj' % container).body == b'v2'
    assert len(listing(web, archive)) == 1
    assert web.raw('DELETE', '/%s/obj' % container).status == 204
    assert web.raw('GET', '/%s/obj' % container).body == b'v1'
    assert listing(web, archive) == []
    assert web.raw('DELETE', '/%s/obj' % container).status == 204
    assert web.raw('GET', '/%s/obj' % container).status == 404


def test_history_delete_leaves_a_delete_marker(web, history):
    container, archive = history
    put(web, '/%s/obj' % container, b'v1')
    put(web, '/%s/obj' % container, b'v2')
    assert web.raw('DELETE', '/%s/obj' % container).status == 204
    assert web.raw('GET', '/%s/obj' % container).status == 404
    items = listing(web, archive)
    assert [i['content_type'] for i in items][-1] == MARKER_TYPE
    assert items[-1]['bytes'] == 0
    bodies = [web.raw('GET', '/%s/%s' % (archive, i['name'])).body for i in items[:-1]]
    assert bodies == [b'v1', b'v2']
    assert all(i['name'].startswith('003obj/') for i in items)


def test_slo_manifest_is_versioned_as_a_manifest(web, stack):
    container, archive = stack
    segments = fresh('segs')
    assert web.raw('PUT', '/' + segments).status == 201
    put(web, '/%s/s1' % segments, b'a' * 5)
    put(web, '/%s/s2' % segments, b'b' * 5)
    manifest = json.dumps([{'path': '/%s/s1' % segments},
                           {'path': '/%s/s2' % segments}]).encode()
    put(web, '/%s/big?multipart-manifest=put' % container, manifest)
    put(web, '/%s/big' % container, b'small now')
    [item] = listing(web, archive)
    assert item['bytes'] == 10          # the large object's size, not the manifest's
    archived = web.raw('GET', '/%s/%s' % (archive, item['name']))
    assert archived.body == b'a' * 5 + b'b' * 5
    assert archived.headers['x-static-large-object'] == 'True'
    assert web.raw('DELETE', '/%s/big' % container).status == 204
    restored = web.raw('GET', '/%s/big' % container)
    assert (restored.status, restored.body) == (200, b'a' * 5 + b'b' * 5)
    # the segments were never touched
    assert web.raw('GET', '/%s/s1' % segments).body == b'a' * 5


def test_dlo_manifest_and_symlink_are_versioned_as_themselves(web, stack):
    container, archive = stack
    put(web, '/%s/seg1' % container, b'dlo-data')
    put(web, '/%s/dlo' % container, b'', X_Object_Manifest='%s/seg' % container)
    put(web, '/%s/dlo' % container, b'plain')
    [item] = listing(web, archive, prefix='003dlo/')
    head = web.raw('HEAD', '/%s/%s?multipart-manifest=get' % (archive, item['name']))
    assert head.headers['x-object-manifest'] == '%s/seg' % container
    put(web, '/%s/link' % container, b'', X_Symlink_Target='%s/seg1' % container)
    put(web, '/%s/link' % container, b'not a link')
    [item] = listing(web, archive, prefix='004link/')
    link = web.raw('HEAD', '/%s/%s?symlink=get' % (archive, item['name']))
    assert link.headers['x-symlink-target'] == '%s/seg1' % container


def test_errors_setting_locations(web, stack):
    container, archive = stack
    resp = web.raw('POST', '/' + container, headers={'X-Versions-Location': archive,
                                                     'X-History-Location': archive})
    assert (resp.status, resp.body) == (
        400, b'Only one of x-versions-location or x-history-location may be specified')
    resp = web.raw('POST', '/' + container, headers={'X-Versions-Location': 'a/b'})
    assert (resp.status, resp.body) == (412, b'Container name cannot contain slashes')
    assert web.raw('POST', '/' + container,
                   headers={'X-Remove-Versions-Location': 'x'}).status == 204
    head = web.raw('HEAD', '/' + container)
    assert 'x-versions-location' not in head.headers
    put(web, '/%s/o' % container, b'1')
    put(web, '/%s/o' % container, b'2')
    assert listing(web, archive) == []


def test_missing_archive_is_412_and_nothing_is_lost(web):
    container = fresh('noarch')
    assert web.raw('PUT', '/' + container,
                   headers={'X-Versions-Location': fresh('missing')}).status == 201
    put(web, '/%s/obj' % container, b'precious')
    assert web.raw('PUT', '/%s/obj' % container, body=b'new').status == 412
    assert web.raw('GET', '/%s/obj' % container).body == b'precious'
    history = fresh('noarch-h')
    assert web.raw('PUT', '/' + history,
                   headers={'X-History-Location': fresh('missing')}).status == 201
    put(web, '/%s/obj' % history, b'precious')
    assert web.raw('DELETE', '/%s/obj' % history).status == 412
    assert web.raw('GET', '/%s/obj' % history).body == b'precious'


def test_permissions(web, stack):
    container, archive = stack
    put(web, '/%s/obj' % container, b'v1')
    token3, _url = web.authenticate('test:tester3', 'testing3')
    # no write access to the versioned container: 403, nothing lost or archived
    resp = web.raw('PUT', '/%s/obj' % container, body=b'evil', token=token3)
    assert resp.status == 403
    resp = web.raw('DELETE', '/%s/obj' % container, token=token3)
    assert resp.status == 403
    assert web.raw('GET', '/%s/obj' % container).body == b'v1'
    assert listing(web, archive) == []
    # write access to the versioned container only: Swift archives with the
    # middleware's own authority (the archive needs no ACL for this user)
    assert web.raw('POST', '/' + container,
                   headers={'X-Container-Write': 'test:tester3'}).status == 204
    resp = web.raw('PUT', '/%s/obj' % container, body=b'v2', token=token3)
    assert resp.status == 201
    assert web.raw('GET', '/%s/obj' % archive, token=token3).status == 403
    [item] = listing(web, archive)
    assert web.raw('GET', '/%s/%s' % (archive, item['name'])).body == b'v1'


def test_swift_cli_workflow(web, tmp_path):
    container, archive = fresh('cli'), fresh('cli-arch')
    web.swift_cli('post', archive)
    web.swift_cli('post', '-H', 'X-Versions-Location: %s' % archive, container)
    assert 'Versions-Location: %s' % archive in web.swift_cli('stat', container) or \
        web.raw('HEAD', '/' + container).headers['x-versions-location'] == archive
    source = tmp_path / 'file.txt'
    for body in ('one', 'two', 'three'):
        source.write_text(body)
        web.swift_cli('upload', '--object-name', 'file.txt', container, str(source))
    names = web.swift_cli('list', archive).split()
    assert len(names) == 2 and all(n.startswith('008file.txt/') for n in names)
    web.swift_cli('delete', container, 'file.txt')
    assert web.raw('GET', '/%s/file.txt' % container).body == b'two'
    assert web.swift_cli('list', archive).split() == names[:1]


def test_copy_onto_a_versioned_object_archives_it_and_post_does_not(web, stack):
    container, archive = stack
    put(web, '/%s/obj' % container, b'original')
    put(web, '/%s/other' % container, b'copied in')
    resp = web.raw('COPY', '/%s/other' % container,
                   headers={'Destination': '%s/obj' % container})
    assert resp.status == 201
    assert web.raw('GET', '/%s/obj' % container).body == b'copied in'
    [item] = listing(web, archive, prefix='003obj/')
    assert web.raw('GET', '/%s/%s' % (archive, item['name'])).body == b'original'
    assert web.raw('POST', '/%s/obj' % container,
                   headers={'X-Object-Meta-Color': 'red'}).status == 202
    assert len(listing(web, archive, prefix='003obj/')) == 1


def test_unicode_object_names_count_bytes(web, stack):
    container, archive = stack
    path = '/%s/%s' % (container, '%C5%9Dnow')     # 'ŝnow', 5 bytes in UTF-8
    put(web, path, b'1')
    put(web, path, b'2')
    [item] = listing(web, archive)
    assert item['name'].startswith('005\u015dnow/')
    assert web.raw('DELETE', path).status == 204
    assert web.raw('GET', path).body == b'1'
