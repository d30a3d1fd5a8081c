"""symlink: link PUT validation and sysmeta, following on GET/HEAD (symloop_max),
?symlink=get, static links (etag checks), POST 307, container listing keys, /info."""

import hashlib
import json

import pytest

from swift.common.middleware import symlink
from swift.common.middleware.symlink import (SymlinkMiddleware,
                                             extract_symlink_listing_keys)
from swift.common.swob import HTTPForbidden, Request, Response
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.fake_swift import FakeSwift

MD5_EMPTY = 'd41d8cd98f00b204e9800998ecf8427e'
BODY = b'the target body'
BODY_ETAG = hashlib.md5(BODY).hexdigest()


class FakeProxy(FakeSwift):
    """FakeSwift plus the object server behaviours symlinks rely on: POST replaces
    user metadata and answers 202 with the object's sysmeta, and GET ignores Range
    for objects with a metadata key named in
    X-Backend-Ignore-Range-If-Metadata-Present."""

    def _answer(self, req, body):
        path = req.path_info
        if (req.method, path) not in self.responses and path in self.objects:
            stored, data = self.objects[path]
            if req.method == 'POST':
                for key in [k for k in stored if k.lower().startswith('x-object-meta-')]:
                    del stored[key]
                stored.update((k, v) for k, v in req.headers.items()
                              if k.lower().startswith('x-object-meta-'))
                return Response(request=req, status=202, headers={
                    k: v for k, v in stored.items()
                    if k.lower().startswith('x-object-sysmeta-')})
            ignore = req.headers.get('X-Backend-Ignore-Range-If-Metadata-Present', '')
            names = [n.strip().lower() for n in ignore.split(',') if n.strip()]
            if any(k.lower() in names for k in stored):
                req = Request(dict(req.environ))   # the backend's own copy
                req.headers['Range'] = None
        return super()._answer(req, body)


def make(conf=None):
    app = FakeProxy()
    app.info_registry = InfoRegistry()
    app.put_object('/v1/a/c/o', BODY, {'Content-Type': 'text/x-target',
                                       'X-Object-Meta-Color': 'blue'})
    return SymlinkMiddleware(app, conf or {}), app


def request(mw, path, method='GET', headers=None, body=b'', environ=None):
    return Request.blank(path, method=method, headers=headers or {}, body=body,
                         environ=environ or {}).get_response(mw)


def put_link(mw, path='/v1/a/c/link', target='c/o', **headers):
    headers = dict(headers)
    headers['X-Symlink-Target'] = target
    return request(mw, path, 'PUT', {k.replace('_', '-'): v for k, v in headers.items()})


def link_object(app, path, target, **sysmeta):
    """Store a link directly, as the object server would keep it."""
    headers = {'Content-Type': 'application/symlink',
               'X-Object-Sysmeta-Symlink-Target': target}
    for key, value in sysmeta.items():
        headers['X-Object-Sysmeta-Symlink-' + key.replace('_', '-')] = value
    app.put_object(path, b'', headers)


# ------------------------------------------------------------------ PUT

def test_put_stores_a_zero_byte_link_with_sysmeta_and_listing_override():
    mw, app = make()
    resp = put_link(mw)
    assert resp.status_int == 201
    stored, data = app.objects['/v1/a/c/link']
    assert data == b''
    assert stored['X-Object-Sysmeta-Symlink-Target'] == 'c/o'
    assert stored['Content-Type'] == 'application/symlink'
    put = app.calls_of('PUT')[0]
    assert 'X-Symlink-Target' not in put.headers
    assert put.headers['X-Object-Sysmeta-Container-Update-Override-Etag'] == \
        MD5_EMPTY + '; symlink_target=c/o'


def test_put_keeps_the_clients_content_type_and_quotes_the_target():
    mw, app = make()
    resp = put_link(mw, target='c/dir%2Fname%20x', Content_Type='text/plain')
    assert resp.status_int == 201
    stored, _ = app.objects['/v1/a/c/link']
    assert stored['X-Object-Sysmeta-Symlink-Target'] == 'c/dir/name%20x'
    assert stored['Content-Type'] == 'text/plain'


def test_put_with_target_account():
    mw, app = make()
    resp = put_link(mw, X_Symlink_Target_Account='AUTH_other')
    assert resp.status_int == 201
    put = app.calls_of('PUT')[0]
    assert put.headers['X-Object-Sysmeta-Symlink-Target-Account'] == 'AUTH_other'
    assert 'X-Symlink-Target-Account' not in put.headers
    assert put.headers['X-Object-Sysmeta-Container-Update-Override-Etag'] == \
        MD5_EMPTY + '; symlink_target=c/o; symlink_target_account=AUTH_other'


@pytest.mark.parametrize('headers', [{'Content-Length': '3'},
                                     {'Transfer-Encoding': 'chunked'}])
def test_put_with_a_body_is_400(headers):
    mw, app = make()
    env = {}
    body = b'abc'
    if 'Transfer-Encoding' in headers:
        body = b'3\r\nabc\r\n0\r\n\r\n'
    req = Request.blank('/v1/a/c/link', method='PUT', environ=env, body=body,
                        headers=dict(headers, **{'X-Symlink-Target': 'c/o'}))
    if 'Transfer-Encoding' in headers:
        del req.headers['Content-Length']
        req.environ['wsgi.input'].seek(0)
    resp = req.get_response(mw)
    assert resp.status_int == 400
    assert resp.body == b'Symlink requests require a zero byte body'
    assert not app.calls_of('PUT')


@pytest.mark.parametrize('target', ['/c/o', 'c', '%2Fc%2Fo', 'c/', '/c', ''])
def test_put_with_a_malformed_target_is_412(target):
    mw, app = make()
    resp = put_link(mw, target=target)
    assert resp.status_int == 412
    assert resp.body == (b'X-Symlink-Target header must be of the form '
                         b'<container name>/<object name>')
    assert not app.calls


@pytest.mark.parametrize('account,body', [
    ('', b'Account name cannot be empty'),
    ('a%2Fb', b'Account name cannot contain slashes')])
def test_put_with_a_bad_target_account_is_412(account, body):
    mw, app = make()
    resp = put_link(mw, X_Symlink_Target_Account=account)
    assert (resp.status_int, resp.body) == (412, body)


@pytest.mark.parametrize('headers', [{}, {'X-Symlink-Target-Account': 'a'}])
def test_put_of_a_link_to_itself_is_400(headers):
    mw, app = make()
    resp = put_link(mw, target='c/link', **{k.replace('-', '_'): v
                                            for k, v in headers.items()})
    assert (resp.status_int, resp.body) == (400, b'Symlink cannot target itself')
    # the same name in another account is fine
    assert put_link(mw, target='c/link', X_Symlink_Target_Account='b').status_int == 201


def test_static_link_put_checks_the_target_and_records_etag_and_size():
    mw, app = make()
    resp = put_link(mw, X_Symlink_Target_Etag='"%s"' % BODY_ETAG)
    assert resp.status_int == 201
    head = app.calls_of('HEAD')[0]
    assert head.path == '/v1/a/c/o'
    assert head.env['swift.source'] == 'SYM'
    stored, _ = app.objects['/v1/a/c/link']
    assert stored['X-Object-Sysmeta-Symlink-Target-Etag'] == BODY_ETAG
    assert stored['X-Object-Sysmeta-Symlink-Target-Bytes'] == str(len(BODY))
    assert stored['Content-Type'] == 'text/x-target'     # the target's
    put = app.calls_of('PUT')[0]
    assert put.headers['X-Object-Sysmeta-Container-Update-Override-Etag'] == (
        '%s; symlink_target=c/o; symlink_target_etag=%s; symlink_target_bytes=%d'
        % (MD5_EMPTY, BODY_ETAG, len(BODY)))


def test_static_link_put_with_another_etag_is_409():
    mw, app = make()
    resp = put_link(mw, X_Symlink_Target_Etag='0123')
    assert resp.status_int == 409
    assert resp.body == ("Object Etag %r does not match X-Symlink-Target-Etag header "
                         "'0123'" % BODY_ETAG).encode()
    assert resp.headers['Content-Location'] == '/v1/a/c/o'
    assert '/v1/a/c/link' not in app.objects


def test_static_link_put_to_a_missing_target_is_409():
    mw, app = make()
    resp = put_link(mw, target='c/nothing', X_Symlink_Target_Etag='0123')
    assert (resp.status_int, resp.body) == (409, b'X-Symlink-Target does not exist')
    assert resp.headers['Content-Location'] == '/v1/a/c/nothing'


def test_static_link_put_target_denied_is_the_denial():
    mw, app = make()
    resp = request(mw, '/v1/a/c/link', 'PUT', {
        'X-Symlink-Target': 'c/o', 'X-Symlink-Target-Etag': BODY_ETAG},
        environ={'swift.authorize': lambda req: HTTPForbidden(request=req)
                 if req.method == 'HEAD' else None})
    assert resp.status_int == 403
    assert '/v1/a/c/link' not in app.objects


@pytest.mark.parametrize('etag', ['ab;c', 'a"b', 'a\\b'])
def test_static_link_etag_with_listing_separators_is_400(etag):
    mw, app = make()
    resp = put_link(mw, X_Symlink_Target_Etag=etag)
    assert (resp.status_int, resp.body) == (400, b'Bad X-Symlink-Target-Etag format')


def test_static_link_to_a_static_link_checks_the_stored_target_etag():
    mw, app = make()
    link_object(app, '/v1/a/c/static', 'c/o', Target_Etag=BODY_ETAG,
                Target_Bytes=str(len(BODY)))
    assert put_link(mw, target='c/static', X_Symlink_Target_Etag=BODY_ETAG
                    ).status_int == 201
    resp = put_link(mw, path='/v1/a/c/l2', target='c/static',
                    X_Symlink_Target_Etag=MD5_EMPTY)
    assert (resp.status_int, resp.body) == (
        409, b'X-Symlink-Target-Etag headers do not match')


def test_plain_put_passes_through():
    mw, app = make()
    resp = request(mw, '/v1/a/c/plain', 'PUT', body=b'data')
    assert resp.status_int == 201
    assert 'X-Object-Sysmeta-Container-Update-Override-Etag' not in \
        app.calls_of('PUT')[0].headers


# ------------------------------------------------------------------ GET / HEAD

def test_get_follows_the_link():
    mw, app = make()
    link_object(app, '/v1/a/c/link', 'c/o')
    resp = request(mw, '/v1/a/c/link', headers={'X-Auth-Token': 't'})
    assert (resp.status_int, resp.body) == (200, BODY)
    assert resp.headers['Content-Location'] == '/v1/a/c/o'
    assert resp.headers['X-Object-Meta-Color'] == 'blue'
    first, second = app.calls_of('GET')
    assert first.headers['X-Backend-Ignore-Range-If-Metadata-Present'] == \
        'X-Object-Sysmeta-Symlink-Target'
    assert (second.path, second.env['swift.source']) == ('/v1/a/c/o', 'SYM')
    assert second.headers['X-Auth-Token'] == 't'


def test_head_follows_the_link():
    mw, app = make()
    link_object(app, '/v1/a/c/link', 'c/o')
    resp = request(mw, '/v1/a/c/link', 'HEAD')
    assert resp.status_int == 200
    assert resp.headers['Content-Length'] == str(len(BODY))
    assert [c.method for c in app.calls] == ['HEAD', 'HEAD']


def test_ranged_get_applies_to_the_target():
    mw, app = make()
    link_object(app, '/v1/a/c/link', 'c/o')
    resp = request(mw, '/v1/a/c/link', headers={'Range': 'bytes=4-9'})
    assert (resp.status_int, resp.body) == (206, BODY[4:10])


def test_get_of_a_plain_object_has_no_content_location():
    mw, app = make()
    resp = request(mw, '/v1/a/c/o')
    assert resp.status_int == 200
    assert 'Content-Location' not in resp.headers


def test_cross_account_link_goes_to_the_other_account():
    mw, app = make()
    app.put_object('/v1/AUTH_b/c/o', b'other')
    link_object(app, '/v1/a/c/link', 'c/o', Target_Account='AUTH_b')
    resp = request(mw, '/v1/a/c/link')
    assert (resp.body, resp.headers['Content-Location']) == (b'other', '/v1/AUTH_b/c/o')


def test_quoted_names_are_followed_unquoted():
    mw, app = make()
    app.put_object('/v1/a/c/dir/n x', b'spaced')
    link_object(app, '/v1/a/c/link', 'c/dir/n%20x')
    resp = request(mw, '/v1/a/c/link')
    assert (resp.status_int, resp.body) == (200, b'spaced')
    assert resp.headers['Content-Location'] == '/v1/a/c/dir/n%20x'


def test_dangling_link_is_404_naming_the_target():
    mw, app = make()
    link_object(app, '/v1/a/c/link', 'c/gone')
    resp = request(mw, '/v1/a/c/link')
    assert resp.status_int == 404
    assert resp.headers['Content-Location'] == '/v1/a/c/gone'


def test_link_target_is_read_with_the_clients_authorization():
    mw, app = make()
    app.put_object('/v1/a/secret/o', b'secret')
    link_object(app, '/v1/a/c/link', 'secret/o')

    def authorize(req):
        if req.path_info.startswith('/v1/a/secret/'):
            return HTTPForbidden(request=req)
        return None
    resp = request(mw, '/v1/a/c/link', environ={'swift.authorize': authorize})
    assert resp.status_int == 403
    assert b'secret' not in resp.body


def chain(app, hops):
    """link0 -> link1 -> ... -> link<hops-1> -> o"""
    for index in range(hops):
        target = 'c/link%d' % (index + 1) if index + 1 < hops else 'c/o'
        link_object(app, '/v1/a/c/link%d' % index, target)


def test_two_hops_are_followed():
    mw, app = make()
    chain(app, 2)
    resp = request(mw, '/v1/a/c/link0')
    assert (resp.status_int, resp.body) == (200, BODY)


def test_more_hops_than_symloop_max_is_409():
    mw, app = make()
    chain(app, 3)
    resp = request(mw, '/v1/a/c/link0')
    assert resp.status_int == 409
    assert resp.body == b'Too many levels of symbolic links, maximum allowed is 2'
    assert resp.headers['Content-Type'] == 'text/plain'
    mw3, app3 = make({'symloop_max': '3'})
    chain(app3, 3)
    assert request(mw3, '/v1/a/c/link0').body == BODY


def test_a_loop_ends_in_409():
    mw, app = make()
    link_object(app, '/v1/a/c/x', 'c/y')
    link_object(app, '/v1/a/c/y', 'c/x')
    assert request(mw, '/v1/a/c/x').status_int == 409


def test_symloop_extend_sysmeta_does_not_count_a_hop():
    mw, app = make()
    chain(app, 3)
    stored, _ = app.objects['/v1/a/c/link1']
    stored['X-Object-Sysmeta-Symloop-Extend'] = 'true'
    assert request(mw, '/v1/a/c/link0').body == BODY


def test_static_link_whose_target_changed_is_409():
    mw, app = make()
    link_object(app, '/v1/a/c/link', 'c/o', Target_Etag=BODY_ETAG, Target_Bytes='15')
    assert request(mw, '/v1/a/c/link').body == BODY
    app.put_object('/v1/a/c/o', b'new content')
    resp = request(mw, '/v1/a/c/link')
    assert resp.status_int == 409
    assert resp.body == ("Object Etag %r does not match X-Symlink-Target-Etag header %r"
                         % (hashlib.md5(b'new content').hexdigest(), BODY_ETAG)).encode()
    assert resp.headers['Content-Location'] == '/v1/a/c/o'


@pytest.mark.parametrize('method', ['GET', 'HEAD'])
def test_symlink_get_returns_the_link_itself(method):
    mw, app = make()
    link_object(app, '/v1/a/c/link', 'c/o', Target_Account='AUTH_b',
                Target_Etag=BODY_ETAG, Target_Bytes='15')
    resp = request(mw, '/v1/a/c/link?symlink=get', method)
    assert resp.status_int == 200
    assert resp.headers['X-Symlink-Target'] == 'c/o'
    assert resp.headers['X-Symlink-Target-Account'] == 'AUTH_b'
    assert resp.headers['X-Symlink-Target-Etag'] == BODY_ETAG
    assert resp.headers['X-Symlink-Target-Bytes'] == '15'
    assert resp.headers['Content-Length'] == '0'
    assert not [k for k in resp.headers if k.lower().startswith(
        'x-object-sysmeta-symlink')]
    assert len(app.calls) == 1


def test_symlink_get_of_a_dangling_link_still_works():
    mw, app = make()
    link_object(app, '/v1/a/c/link', 'c/gone')
    resp = request(mw, '/v1/a/c/link?symlink=get')
    assert (resp.status_int, resp.headers['X-Symlink-Target']) == (200, 'c/gone')


# ------------------------------------------------------------------ POST / DELETE

def test_post_to_a_link_updates_it_and_answers_307_to_the_target():
    mw, app = make()
    link_object(app, '/v1/a/c/link', 'c/o', Target_Account='AUTH_b')
    resp = request(mw, '/v1/a/c/link', 'POST', {'X-Object-Meta-Note': 'hi'})
    assert resp.status_int == 307
    assert resp.headers['Location'] == '/v1/AUTH_b/c/o'
    assert resp.body == (b'The requested POST was applied to a symlink. POST directly '
                         b'to the target to apply requested metadata.')
    assert app.objects['/v1/a/c/link'][0]['X-Object-Meta-Note'] == 'hi'
    assert 'X-Object-Meta-Note' not in app.objects['/v1/a/c/o'][0]


def test_post_to_a_static_link_names_the_target_etag():
    mw, app = make()
    link_object(app, '/v1/a/c/link', 'c/o', Target_Etag=BODY_ETAG, Target_Bytes='15')
    resp = request(mw, '/v1/a/c/link', 'POST')
    assert resp.status_int == 307
    assert resp.headers['Location'] == '/v1/a/c/o'
    assert resp.headers['X-Symlink-Target-Etag'] == BODY_ETAG


def test_post_with_a_target_header_is_400():
    mw, app = make()
    resp = request(mw, '/v1/a/c/o', 'POST', {'X-Symlink-Target': 'c/x'})
    assert (resp.status_int, resp.body) == (
        400, b'A PUT request is required to set a symlink target')
    assert not app.calls


def test_post_to_a_plain_object_is_the_apps_answer():
    mw, app = make()
    assert request(mw, '/v1/a/c/o', 'POST').status_int == 202
    assert request(mw, '/v1/a/c/missing', 'POST').status_int == 404


def test_delete_removes_the_link_not_the_target():
    mw, app = make()
    link_object(app, '/v1/a/c/link', 'c/o')
    assert request(mw, '/v1/a/c/link', 'DELETE').status_int == 204
    assert '/v1/a/c/link' not in app.objects
    assert '/v1/a/c/o' in app.objects


# ------------------------------------------------------------------ listings

def listing_app(items, content_type='application/json; charset=utf-8'):
    mw, app = make()
    app.register('GET', '/v1/a/c', 200, {'Content-Type': content_type},
                 json.dumps(items).encode())
    return mw, app


def test_container_listing_gets_symlink_keys():
    items = [
        {'name': 'link', 'hash': MD5_EMPTY + '; symlink_target=c/o', 'bytes': 0},
        {'name': 'static', 'bytes': 0, 'hash': MD5_EMPTY +
         '; symlink_target=c/o; symlink_target_etag=abc; symlink_target_bytes=15'},
        {'name': 'far', 'bytes': 0, 'hash': MD5_EMPTY +
         '; symlink_target=c2/o%20x; symlink_target_account=AUTH_b'},
        {'name': 'slo', 'bytes': 3, 'hash': 'abc; slo_etag=def'},
        {'name': 'plain', 'bytes': 3, 'hash': 'abc'},
        {'subdir': 'dir/'}]
    mw, app = listing_app(items)
    resp = request(mw, '/v1/a/c?format=json')
    assert resp.status_int == 200
    listing = json.loads(resp.body)
    assert int(resp.headers['Content-Length']) == len(resp.body)
    assert listing[0] == {'name': 'link', 'hash': MD5_EMPTY, 'bytes': 0,
                          'symlink_path': '/v1/a/c/o'}
    assert listing[1] == {'name': 'static', 'hash': MD5_EMPTY, 'bytes': 0,
                          'symlink_path': '/v1/a/c/o', 'symlink_etag': 'abc',
                          'symlink_bytes': 15}
    assert listing[2]['symlink_path'] == '/v1/AUTH_b/c2/o%20x'
    assert listing[3]['hash'] == 'abc; slo_etag=def'
    assert 'symlink_path' not in listing[3]
    assert listing[4] == items[4] and listing[5] == items[5]


def test_listing_of_an_account_with_a_quoted_name_quotes_it():
    item = {'name': 'l', 'hash': MD5_EMPTY + '; symlink_target=c/o'}
    assert extract_symlink_listing_keys(dict(item), 'v1', 'AUTH_%C3%A9')[
        'symlink_path'] == '/v1/AUTH_%C3%A9/c/o'


def test_non_json_listings_and_heads_pass_through():
    mw, app = listing_app([], content_type='text/plain')
    app.register('GET', '/v1/a/c', 200, {'Content-Type': 'text/plain'}, b'a\nb\n')
    assert request(mw, '/v1/a/c').body == b'a\nb\n'
    app.register('GET', '/v1/a/c', 200, {'Content-Type': 'application/json'}, b'{bad')
    assert request(mw, '/v1/a/c').body == b'{bad'
    app.register('HEAD', '/v1/a/c', 204, {})
    assert request(mw, '/v1/a/c', 'HEAD').status_int == 204


def test_account_and_info_paths_pass_through():
    mw, app = make()
    app.register('GET', '/v1/a', 200, {}, b'c\n')
    assert request(mw, '/v1/a').body == b'c\n'
    assert request(mw, '/info').status_int == 404   # (the fake has no /info)


# ------------------------------------------------------------------ config

def test_info_section_is_swifts():
    mw, app = make()
    assert app.info_registry.sections['symlink'] == {'symloop_max': 2,
                                                     'static_links': True}


@pytest.mark.parametrize('value,expected', [('5', 5), ('1', 1), ('0', 2), ('-3', 2)])
def test_symloop_max_option(value, expected):
    app = FakeProxy()
    app.info_registry = InfoRegistry()
    mw = symlink.filter_factory({}, symloop_max=value)(app)
    assert mw.symloop_max == expected
    assert app.info_registry.sections['symlink']['symloop_max'] == expected


def test_bad_symloop_max_fails_at_load_naming_it():
    with pytest.raises(ValueError, match='symloop_max'):
        symlink.filter_factory({}, symloop_max='two')


def test_put_of_a_copied_link_sets_the_symlink_listing_params_once():
    mw, app = make()
    resp = request(mw, '/v1/a/c/link', 'PUT', {
        'X-Symlink-Target': 'c/o',
        'X-Object-Sysmeta-Container-Update-Override-Etag':
            MD5_EMPTY + '; slo_etag=abc; symlink_target=c/old'})
    assert resp.status_int == 201
    assert app.calls_of('PUT')[0].headers[
        'X-Object-Sysmeta-Container-Update-Override-Etag'] == \
        MD5_EMPTY + '; slo_etag=abc; symlink_target=c/o'


def test_copy_of_a_link_copies_the_target_or_with_symlink_get_the_link():
    from swift.common.middleware.copy import ServerSideCopyMiddleware
    mw, app = make()
    link_object(app, '/v1/a/c/link', 'c/o')
    pipeline = ServerSideCopyMiddleware(mw, {})
    resp = request(pipeline, '/v1/a/c/link', 'COPY', {'Destination': 'c/copy'})
    assert resp.status_int == 201
    assert app.objects['/v1/a/c/copy'][1] == BODY
    assert 'X-Object-Sysmeta-Symlink-Target' not in app.objects['/v1/a/c/copy'][0]
    resp = request(pipeline, '/v1/a/c/link?symlink=get', 'COPY',
                   {'Destination': 'c/copy2'})
    assert resp.status_int == 201
    stored, data = app.objects['/v1/a/c/copy2']
    assert (data, stored['X-Object-Sysmeta-Symlink-Target']) == (b'', 'c/o')
    assert request(mw, '/v1/a/c/copy2').body == BODY


def test_listing_without_links_is_passed_on_byte_for_byte():
    mw, app = make()
    body = b'[{"name":"o", "hash":"abc; slo_etag=def"}]'
    app.register('GET', '/v1/a/c', 200, {'Content-Type': 'application/json'}, body)
    resp = request(mw, '/v1/a/c')
    assert resp.body == body
    assert resp.headers['Content-Length'] == str(len(body))


def test_info_section_matches_swift_2_38s_golden_info():
    with open('/work/shared/fixtures/swift-2.38/wire/info.pretty.json') as fp:
        golden = json.load(fp)['symlink']
    mw, app = make()
    assert app.info_registry.sections['symlink'] == golden
