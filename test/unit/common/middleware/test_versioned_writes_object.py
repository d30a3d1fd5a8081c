"""versioned_writes, object side: PUT archives the current version, stack DELETE
restores, history DELETE writes a delete marker; errors, auth, manifests."""

import json

import pytest

from swift.common.middleware.versioned_writes import VersionedWritesMiddleware
from swift.common.middleware.versioned_writes.legacy_object import (
    DELETE_MARKER_CONTENT_TYPE, archive_name, archive_prefix)
from swift.common.swob import HTTPForbidden, Request, str_to_wsgi
from swift.common.timestamp import Timestamp
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.fake_clock import FakeClock
from test.unit.common.middleware.test_versioned_writes_fake import FakeVersionedProxy

SYSMETA_LOC = 'X-Container-Sysmeta-Versions-Location'
SYSMETA_MODE = 'X-Container-Sysmeta-Versions-Mode'


def make(mode='stack', allow='true', archive=True, **container_headers):
    app = FakeVersionedProxy()
    app.info_registry = InfoRegistry()
    headers = {SYSMETA_LOC: 'ver%20sions', SYSMETA_MODE: mode}
    headers.update(container_headers)
    app.make_container('/v1/a/c', **headers)
    if archive:
        app.make_container('/v1/a/ver sions')
    conf = {} if allow is None else {'allow_versioned_writes': allow}
    clock = FakeClock(start=1800000000.5)
    return VersionedWritesMiddleware(app, conf, clock=clock), app


def request(mw, path, method='GET', headers=None, body=b'', environ=None):
    return Request.blank(path, method=method, headers=headers or {}, body=body,
                         environ=environ or {}).get_response(mw)


def archived(app, container='/v1/a/ver sions'):
    return sorted(name[len(container) + 1:] for name in app.objects
                  if name.startswith(container + '/'))


def body_of(app, path):
    return app.objects[path][1]


def test_archive_names():
    assert archive_prefix('o') == '001o/'
    assert archive_name('photo.jpg', '1700000001.00000') == \
        '009photo.jpg/1700000001.00000'
    assert archive_name('x' * 300, 1.5) == '12c' + 'x' * 300 + '/0000000001.50000'
    # the length counts bytes of the UTF-8 name (WSGI str)
    assert archive_prefix(str_to_wsgi('é')) == '002' + str_to_wsgi('é') + '/'


def test_put_without_a_current_object_just_writes():
    mw, app = make()
    resp = request(mw, '/v1/a/c/o', 'PUT', body=b'v1')
    assert resp.status_int == 201
    assert archived(app) == []
    source_get = app.calls_of('GET')[0]
    assert source_get.path == '/v1/a/c/o'
    assert source_get.query == 'symlink=get'
    assert source_get.headers['X-Newest'] == 'True'


def test_three_puts_leave_two_versions_named_by_their_timestamps():
    mw, app = make()
    stamps = []
    for body in (b'v1', b'v2', b'v3'):
        assert request(mw, '/v1/a/c/o', 'PUT', body=body, headers={
            'Content-Type': 'text/x-' + body.decode(),
            'X-Object-Meta-Version': body.decode()}).status_int == 201
        stamps.append(app.objects['/v1/a/c/o'][0]['X-Timestamp'])
    assert archived(app) == ['001o/' + stamps[0], '001o/' + stamps[1]]
    assert body_of(app, '/v1/a/ver sions/001o/' + stamps[0]) == b'v1'
    first, _ = app.objects['/v1/a/ver sions/001o/' + stamps[0]]
    assert first['Content-Type'] == 'text/x-v1'
    assert first['X-Object-Meta-Version'] == 'v1'
    assert body_of(app, '/v1/a/c/o') == b'v3'


def test_archive_put_is_pre_authorised_and_carries_no_backend_headers():
    mw, app = make()
    app.store('/v1/a/c/o', b'old', {'X-Backend-Storage-Policy-Index': '1'})
    calls = []

    def authorize(req):
        calls.append(req.path_info)
        return None
    request(mw, '/v1/a/c/o', 'PUT', body=b'new', environ={'swift.authorize': authorize})
    archive_put = [c for c in app.calls_of('PUT') if 'ver sions' in c.path][0]
    assert 'X-Backend-Storage-Policy-Index' not in archive_put.headers
    assert 'X-Timestamp' not in archive_put.headers
    assert archive_put.env['REMOTE_USER'] == '.wsgi.pre_authed'
    assert archive_put.env['swift.source'] == 'VW'
    # the client's auth ran for the versioned container and its own PUT only
    assert calls == ['/v1/a/c/o', '/v1/a/c/o']


def test_missing_archive_container_is_412_and_nothing_changes():
    mw, app = make(archive=False)
    app.store('/v1/a/c/o', b'keep me')
    resp = request(mw, '/v1/a/c/o', 'PUT', body=b'new')
    assert resp.status_int == 412
    assert body_of(app, '/v1/a/c/o') == b'keep me'
    assert [c.path for c in app.calls_of('PUT')] == ['/v1/a/ver sions/001o/' +
                                                     app.objects['/v1/a/c/o'][0]
                                                     ['X-Timestamp']]


def test_archive_server_error_is_503_and_nothing_changes():
    mw, app = make()
    stamp = app.store('/v1/a/c/o', b'keep me')
    app.register('PUT', '/v1/a/ver sions/001o/' + stamp, 500)
    resp = request(mw, '/v1/a/c/o', 'PUT', body=b'new')
    assert resp.status_int == 503
    assert body_of(app, '/v1/a/c/o') == b'keep me'


def test_source_read_error_stops_the_write():
    mw, app = make()
    app.register('GET', '/v1/a/c/o', 503)
    assert request(mw, '/v1/a/c/o', 'PUT', body=b'new').status_int == 503
    assert len(app.calls_of('PUT')) == 0
    app.register('GET', '/v1/a/c/o', 403)
    assert request(mw, '/v1/a/c/o', 'PUT', body=b'new').status_int == 412


def test_a_source_too_big_or_without_length_is_412():
    mw, app = make()
    mw.legacy.max_file_size = 3
    app.store('/v1/a/c/o', b'four')
    assert request(mw, '/v1/a/c/o', 'PUT', body=b'new').status_int == 412
    assert body_of(app, '/v1/a/c/o') == b'four'


def test_a_user_who_may_not_write_the_container_gets_the_denial_first():
    mw, app = make(**{'X-Container-Write': 'a:writer'})
    app.store('/v1/a/c/o', b'keep me')
    seen_acls = []

    def authorize(req):
        seen_acls.append(getattr(req, 'acl', None))
        return HTTPForbidden(request=req)
    resp = request(mw, '/v1/a/c/o', 'PUT', body=b'new',
                   environ={'swift.authorize': authorize})
    assert resp.status_int == 403
    assert seen_acls == ['a:writer']
    assert [c.method for c in app.calls] == ['HEAD']   # container info only
    assert body_of(app, '/v1/a/c/o') == b'keep me'
    # a DELETE with no archived version is the proxy's to authorize
    resp = request(mw, '/v1/a/c/o', 'DELETE', environ={'swift.authorize': authorize})
    assert resp.status_int == 403
    # with archived versions the middleware checks before restoring anything
    app.store('/v1/a/ver sions/001o/1', b'old')
    del seen_acls[:]
    resp = request(mw, '/v1/a/c/o', 'DELETE', environ={'swift.authorize': authorize})
    assert resp.status_int == 403
    assert seen_acls == ['a:writer']
    assert body_of(app, '/v1/a/c/o') == b'keep me'
    assert archived(app) == ['001o/1']


def test_unversioned_disabled_and_legacy_metadata_containers():
    mw, app = make(allow='false')
    app.store('/v1/a/c/o', b'old')
    request(mw, '/v1/a/c/o', 'PUT', body=b'new')
    assert archived(app) == []
    mw, app = make(allow=None)
    app.container_meta['/v1/a/c'] = {'X-Versions-Location': 'ver%20sions'}
    app.store('/v1/a/c/o', b'old')
    request(mw, '/v1/a/c/o', 'PUT', body=b'new')
    assert len(archived(app)) == 1
    mw, app = make(allow='true')
    app.container_meta['/v1/a/c'] = {}
    app.store('/v1/a/c/o', b'old')
    request(mw, '/v1/a/c/o', 'PUT', body=b'new')
    assert archived(app) == []


def test_post_and_get_are_not_versioned():
    mw, app = make()
    app.store('/v1/a/c/o', b'old')
    request(mw, '/v1/a/c/o', 'POST', headers={'X-Object-Meta-A': 'b'})
    assert request(mw, '/v1/a/c/o').body == b'old'
    assert archived(app) == []


def test_version_timestamp_falls_back_to_last_modified():
    mw, app = make()
    app.put_object('/v1/a/c/o', b'old')    # no X-Timestamp
    request(mw, '/v1/a/c/o', 'PUT', body=b'new')
    stamp = Timestamp(1795989600).internal   # Sun, 29 Nov 2026 22:00:00 GMT
    assert archived(app) == ['001o/' + stamp]


def test_slo_manifest_is_versioned_as_a_manifest_with_its_size():
    mw, app = make()
    manifest = json.dumps([{'name': '/segs/1', 'hash': 'x', 'bytes': 5}]).encode()
    app.store('/v1/a/c/big', manifest, {
        'Content-Type': 'application/x-big', 'X-Static-Large-Object': 'True',
        'X-Object-Sysmeta-Slo-Size': '5', 'X-Object-Sysmeta-Slo-Etag': 'abc'})
    request(mw, '/v1/a/c/big', 'PUT', body=b'small')
    [name] = archived(app)
    stored, data = app.objects['/v1/a/ver sions/' + name]
    assert data == manifest
    assert stored['X-Static-Large-Object'] == 'True'
    assert stored['X-Object-Sysmeta-Slo-Size'] == '5'
    assert stored['Content-Type'] == 'application/x-big; swift_bytes=5'
    archive_put = [c for c in app.calls_of('PUT') if 'ver sions' in c.path][0]
    assert archive_put.env['swift.content_type_overridden'] is True


def test_dlo_manifest_is_versioned_as_a_manifest():
    mw, app = make()
    app.store('/v1/a/c/dlo', b'', {'X-Object-Manifest': 'segs/pre'})
    request(mw, '/v1/a/c/dlo', 'PUT', body=b'plain')
    [name] = archived(app)
    assert app.objects['/v1/a/ver sions/' + name][0]['X-Object-Manifest'] == 'segs/pre'


# -- stack mode DELETE

def three_versions(mw, app, name='o'):
    for body in (b'v1', b'v2', b'v3'):
        assert request(mw, '/v1/a/c/' + name, 'PUT', body=body).status_int == 201


def test_stack_delete_brings_back_each_older_version_in_turn():
    mw, app = make()
    three_versions(mw, app)
    resp = request(mw, '/v1/a/c/o', 'DELETE')
    assert resp.status_int == 204
    assert body_of(app, '/v1/a/c/o') == b'v2'
    assert len(archived(app)) == 1
    assert request(mw, '/v1/a/c/o', 'DELETE').status_int == 204
    assert body_of(app, '/v1/a/c/o') == b'v1'
    assert archived(app) == []
    assert request(mw, '/v1/a/c/o', 'DELETE').status_int == 204
    assert '/v1/a/c/o' not in app.objects
    assert request(mw, '/v1/a/c/o', 'DELETE').status_int == 404


def test_stack_delete_listing_asks_for_the_newest_first():
    mw, app = make()
    three_versions(mw, app)
    request(mw, '/v1/a/c/o', 'DELETE')
    listing = [c for c in app.calls_of('GET') if c.path == '/v1/a/ver sions'][0]
    assert listing.query == 'format=json&prefix=001o%2F&marker=&reverse=on'
    assert listing.env['REMOTE_USER'] == '.wsgi.pre_authed'


def test_stack_delete_skips_a_version_gone_meanwhile():
    mw, app = make()
    three_versions(mw, app)
    newest = archived(app)[-1]
    app.register('GET', '/v1/a/ver sions/' + newest, 404)
    assert request(mw, '/v1/a/c/o', 'DELETE').status_int == 204
    assert body_of(app, '/v1/a/c/o') == b'v1'


def test_stack_delete_drops_x_if_delete_at_on_the_redirected_delete():
    mw, app = make()
    three_versions(mw, app)
    request(mw, '/v1/a/c/o', 'DELETE', headers={'X-If-Delete-At': '123',
                                                 'X-Auth-Token': 'tok'})
    final = app.calls[-1]
    assert final.method == 'DELETE' and final.path.startswith('/v1/a/ver sions/')
    assert 'X-If-Delete-At' not in final.headers
    assert final.headers['X-Auth-Token'] == 'tok'


def test_stack_delete_without_archive_container_just_deletes():
    mw, app = make(archive=False)
    app.store('/v1/a/c/o', b'only')
    assert request(mw, '/v1/a/c/o', 'DELETE').status_int == 204
    assert '/v1/a/c/o' not in app.objects


@pytest.mark.parametrize('status, expected', [(403, 412), (500, 500)])
def test_stack_delete_listing_errors(status, expected):
    mw, app = make()
    app.store('/v1/a/c/o', b'keep')
    app.register('GET', '/v1/a/ver sions', status)
    assert request(mw, '/v1/a/c/o', 'DELETE').status_int == expected
    assert body_of(app, '/v1/a/c/o') == b'keep'


def test_stack_delete_restore_failure_keeps_everything():
    mw, app = make()
    three_versions(mw, app)
    app.register('PUT', '/v1/a/c/o', 507)
    assert request(mw, '/v1/a/c/o', 'DELETE').status_int == 503
    assert body_of(app, '/v1/a/c/o') == b'v3'
    assert len(archived(app)) == 2


def test_stack_delete_of_a_unicode_name():
    mw, app = make()
    path = '/v1/a/c/' + str_to_wsgi('ŝnow')
    for body in (b'1', b'2'):
        request(mw, '/v1/a/c/%C5%9Dnow', 'PUT', body=body)
    [name] = archived(app)
    assert name.startswith('005' + str_to_wsgi('ŝnow') + '/')
    request(mw, '/v1/a/c/%C5%9Dnow', 'DELETE')
    assert body_of(app, path) == b'1'


# -- history mode DELETE

def test_history_delete_archives_then_writes_a_delete_marker():
    mw, app = make(mode='history')
    request(mw, '/v1/a/c/o', 'PUT', body=b'v1')
    stamp = app.objects['/v1/a/c/o'][0]['X-Timestamp']
    resp = request(mw, '/v1/a/c/o', 'DELETE')
    assert resp.status_int == 204
    assert '/v1/a/c/o' not in app.objects
    marker = '001o/' + Timestamp(1800000000.5).internal
    assert archived(app) == ['001o/' + stamp, marker]
    stored, data = app.objects['/v1/a/ver sions/' + marker]
    assert (stored['Content-Type'], data) == (DELETE_MARKER_CONTENT_TYPE, b'')
    assert body_of(app, '/v1/a/ver sions/001o/' + stamp) == b'v1'


def test_history_delete_of_a_missing_object_still_writes_a_marker():
    mw, app = make(mode='history')
    assert request(mw, '/v1/a/c/o', 'DELETE').status_int == 404
    assert archived(app) == ['001o/' + Timestamp(1800000000.5).internal]


def test_history_delete_without_archive_is_412_and_keeps_the_object():
    mw, app = make(mode='history', archive=False)
    app.store('/v1/a/c/o', b'keep')
    assert request(mw, '/v1/a/c/o', 'DELETE').status_int == 412
    assert body_of(app, '/v1/a/c/o') == b'keep'


def test_stack_delete_over_a_marker_with_a_current_object_deletes_it():
    mw, app = make(mode='history')
    request(mw, '/v1/a/c/o', 'PUT', body=b'v1')
    request(mw, '/v1/a/c/o', 'DELETE')            # archive: v1, marker
    request(mw, '/v1/a/c/o', 'PUT', body=b'v2')   # nothing current: nothing archived
    app.container_meta['/v1/a/c'][SYSMETA_MODE] = 'stack'
    before = archived(app)
    assert len(before) == 2
    assert request(mw, '/v1/a/c/o', 'DELETE').status_int == 204
    assert '/v1/a/c/o' not in app.objects         # back to the deleted state
    assert archived(app) == before


def test_stack_delete_with_a_marker_on_top_and_no_object_restores_the_older():
    mw, app = make(mode='history')
    three_versions(mw, app)
    request(mw, '/v1/a/c/o', 'DELETE')       # archive: v1 v2 v3 marker
    app.container_meta['/v1/a/c'][SYSMETA_MODE] = 'stack'
    assert len(archived(app)) == 4
    resp = request(mw, '/v1/a/c/o', 'DELETE')
    assert resp.status_int == 204
    assert body_of(app, '/v1/a/c/o') == b'v3'
    remaining = [body_of(app, '/v1/a/ver sions/' + n) for n in archived(app)]
    assert remaining == [b'v1', b'v2']       # v3 restored, marker gone


def test_stack_delete_pages_through_the_archive_listing():
    mw, app = make()
    app.page_size = 1
    for body in (b'v1', b'v2', b'v3', b'v4'):
        request(mw, '/v1/a/c/o', 'PUT', body=body)
    names = archived(app)
    for gone in names[1:]:          # v2 and v3 vanish: v1 is on the third page
        app.register('GET', '/v1/a/ver sions/' + gone, 404)
    assert request(mw, '/v1/a/c/o', 'DELETE').status_int == 204
    assert body_of(app, '/v1/a/c/o') == b'v1'
    listings = [c for c in app.calls_of('GET') if c.path == '/v1/a/ver sions']
    assert [c.query.split('&')[2] for c in listings] == [
        'marker=', 'marker=' + names[2].replace('/', '%2F'),
        'marker=' + names[1].replace('/', '%2F')]


def test_stack_delete_with_a_garbled_listing_is_500_and_keeps_the_object():
    mw, app = make()
    app.store('/v1/a/c/o', b'keep')
    app.register('GET', '/v1/a/ver sions', 200, body=b'not json')
    assert request(mw, '/v1/a/c/o', 'DELETE').status_int == 500
    assert body_of(app, '/v1/a/c/o') == b'keep'


def test_a_source_without_a_usable_timestamp_is_503():
    mw, app = make()
    app.put_object('/v1/a/c/o', b'keep', {'X-Timestamp': 'garbage'})
    app.objects['/v1/a/c/o'][0].pop('Last-Modified')
    assert request(mw, '/v1/a/c/o', 'PUT', body=b'new').status_int == 503
    assert body_of(app, '/v1/a/c/o') == b'keep'
    app.objects['/v1/a/c/o'][0]['Last-Modified'] = 'Sun, 29 Nov 2026 22:00:00 GMT'
    assert request(mw, '/v1/a/c/o', 'PUT', body=b'new').status_int == 201
    assert archived(app) == ['001o/1795989600.00000']


@pytest.mark.parametrize('listing', [b'{"name": "x"}', b'[1, 2]', b'[{"bytes": 1}]'])
def test_stack_delete_with_a_listing_of_the_wrong_shape_is_500(listing):
    mw, app = make()
    app.store('/v1/a/c/o', b'keep')
    app.register('GET', '/v1/a/ver sions', 200, body=listing)
    assert request(mw, '/v1/a/c/o', 'DELETE').status_int == 500
    assert body_of(app, '/v1/a/c/o') == b'keep'
