import pytest

from swift.common.middleware import domain_remap
from swift.common.middleware.domain_remap import (DomainRemapMiddleware, split_host,
                                                  storage_domains, unmap_location)
from swift.common.swob import Request
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.fake_swift import FakeSwift


def make(**conf):
    app = FakeSwift()
    return DomainRemapMiddleware(app, conf), app


def remapped(mw, app, host, path='/', **headers):
    """The PATH_INFO the app below saw (None: nothing reached it)."""
    before = len(app.calls)
    env = {'HTTP_HOST': host} if host is not None else {}
    resp = Request.blank(path, environ=env, headers=headers).get_response(mw)
    if len(app.calls) == before:
        return resp
    return app.calls[-1].path


def test_storage_domains_and_split_host():
    assert storage_domains('example.com') == ['.example.com']
    assert storage_domains('a.com, .b.com,c.org') == ['.a.com', '.c.org', '.b.com']
    assert storage_domains('') == []
    assert split_host('a.example.com:8080') == ('a.example.com', '8080')
    assert split_host('a.example.com') == ('a.example.com', '')
    assert split_host('[::1]:80') == ('[::1]', '80')


@pytest.mark.parametrize('host, path, expected', [
    ('c.AUTH_a.example.com', '/obj', '/v1/AUTH_a/c/obj'),
    ('c.AUTH_a.example.com:8080', '/obj', '/v1/AUTH_a/c/obj'),
    ('c.AUTH_a.example.com', '/', '/v1/AUTH_a/c/'),
    ('c.AUTH_a.example.com', '/dir/sub/o.txt', '/v1/AUTH_a/c/dir/sub/o.txt'),
    ('AUTH_a.example.com', '/c/obj', '/v1/AUTH_a/c/obj'),
    ('AUTH_a.example.com', '/', '/v1/AUTH_a/'),
    ('c.AUTH_a.example.com', '/v1/obj', '/v1/AUTH_a/c/v1/obj'),   # not mangled
    # the reseller prefix rules
    ('c.auth_a.example.com', '/o', '/v1/AUTH_a/c/o'),
    ('c.auth-a.example.com', '/o', '/v1/AUTH_a/c/o'),
    ('c.AUTH-a.example.com', '/o', '/v1/AUTH_a/c/o'),
    ('c.auth-a-b.example.com', '/o', '/v1/AUTH_a-b/c/o'),          # first '-' only
    ('c.auth_a-b.example.com', '/o', '/v1/AUTH_a-b/c/o'),          # has '_': kept
    ('c.Auth_MixedCase.example.com', '/o', '/v1/AUTH_MixedCase/c/o'),
])
def test_remaps_hosts_under_the_storage_domain(host, path, expected):
    mw, app = make()
    assert remapped(mw, app, host, path) == expected


@pytest.mark.parametrize('host', ['example.com', 'www.example.org', 'badexample.com',
                                  'c.AUTH_a.example.com.evil.org', 'localhost:8080',
                                  '127.0.0.1'])
def test_other_hosts_pass_through(host):
    mw, app = make()
    assert remapped(mw, app, host, '/v1/AUTH_x/c') == '/v1/AUTH_x/c'


def test_server_name_used_without_host_header():
    mw, app = make()
    env = {'SERVER_NAME': 'c.AUTH_a.example.com'}
    req = Request.blank('/o', environ=env)
    del req.environ['HTTP_HOST']
    req.get_response(mw)
    assert app.calls[-1].path == '/v1/AUTH_a/c/o'


def test_too_many_labels_is_400():
    mw, app = make()
    resp = remapped(mw, app, 'x.c.AUTH_a.example.com', '/o')
    assert (resp.status_int, resp.body) == (400, b'Bad domain in host header')
    assert resp.headers['Content-Type'].startswith('text/plain')
    assert app.calls == []


def test_unknown_prefix_passes_through_without_default():
    mw, app = make()
    assert remapped(mw, app, 'c.bob.example.com', '/o') == '/o'


def test_unknown_prefix_gets_default_reseller_prefix():
    mw, app = make(default_reseller_prefix='AUTH')
    assert remapped(mw, app, 'c.bob.example.com', '/o') == '/v1/AUTH_bob/c/o'
    # a known prefix is not prefixed again
    assert remapped(mw, app, 'c.auth-bob.example.com', '/o') == '/v1/AUTH_bob/c/o'


def test_several_reseller_prefixes_keep_their_spelling():
    mw, app = make(reseller_prefixes='AUTH, SERVICE, Lower')
    assert remapped(mw, app, 'c.service-x.example.com', '/o') == '/v1/SERVICE_x/c/o'
    assert remapped(mw, app, 'c.lower_x.example.com', '/o') == '/v1/Lower_x/c/o'
    assert remapped(mw, app, 'c.other_x.example.com', '/o') == '/o'


def test_empty_reseller_prefixes_take_the_account_as_given():
    mw, app = make(reseller_prefixes='')
    assert remapped(mw, app, 'c.bob-x.example.com', '/o') == '/v1/bob-x/c/o'


def test_path_root_and_several_domains():
    mw, app = make(storage_domain='example.com, .storage.org', path_root='/v1.0/')
    assert remapped(mw, app, 'c.AUTH_a.storage.org', '/o') == '/v1.0/AUTH_a/c/o'
    assert remapped(mw, app, 'c.AUTH_a.example.com', '/o') == '/v1.0/AUTH_a/c/o'


def test_mangle_client_paths():
    mw, app = make(mangle_client_paths='true')
    assert remapped(mw, app, 'c.AUTH_a.example.com', '/v1/obj') == '/v1/AUTH_a/c/obj'
    assert remapped(mw, app, 'c.AUTH_a.example.com', '/v1') == '/v1/AUTH_a/c/'
    assert remapped(mw, app, 'c.AUTH_a.example.com', '/obj') == '/v1/AUTH_a/c/obj'
    assert remapped(mw, app, 'c.AUTH_a.example.com', '/v1obj') == '/v1/AUTH_a/c/v1obj'


def test_empty_storage_domain_disables():
    mw, app = make(storage_domain='')
    assert remapped(mw, app, 'c.AUTH_a.example.com', '/o') == '/o'


def test_location_header_unmapped():
    app = FakeSwift()
    app.register('GET', '/v1/AUTH_a/c/dir', 301,
                 {'Location': 'http://c.AUTH_a.example.com/v1/AUTH_a/c/dir/'})
    app.register('GET', '/v1/AUTH_a/c/other', 301,
                 {'Location': '/v1/AUTH_b/x/'})
    mw = DomainRemapMiddleware(app, {})
    resp = Request.blank('/dir', environ={
        'HTTP_HOST': 'c.AUTH_a.example.com'}).get_response(mw)
    assert resp.status_int == 301
    assert resp.headers['Location'] == 'http://c.AUTH_a.example.com/dir/'
    resp = Request.blank('/other', environ={
        'HTTP_HOST': 'c.AUTH_a.example.com'}).get_response(mw)
    assert resp.headers['Location'] == '/v1/AUTH_b/x/'


def test_unmap_location():
    root = '/v1/AUTH_a/c'
    assert unmap_location('/v1/AUTH_a/c/d/', root) == '/d/'
    assert unmap_location('/v1/AUTH_a/c', root) == '/'
    assert unmap_location('/v1/AUTH_a/cc/d', root) == '/v1/AUTH_a/cc/d'
    assert unmap_location('https://h:1/v1/AUTH_a/c/x?y=1', root) == 'https://h:1/x?y=1'
    root = '/v1/AUTH_a/caf\xc3\xa9'   # WSGI str of 'café'
    assert unmap_location('/v1/AUTH_a/caf%C3%A9/x', root) == '/x'


def test_unicode_container_label_reaches_the_app_as_wsgi_str():
    mw, app = make()
    host = 'caf\xc3\xa9.AUTH_a.example.com'   # WSGI str, as a server hands it over
    assert remapped(mw, app, host, '/o') == '/v1/AUTH_a/caf\xc3\xa9/o'


def test_info_section():
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    domain_remap.filter_factory({}, default_reseller_prefix='AUTH')(app)
    assert app.info_registry.sections['domain_remap'] == {
        'default_reseller_prefix': 'AUTH'}
    app.info_registry = InfoRegistry()
    domain_remap.filter_factory({})(app)
    assert app.info_registry.sections['domain_remap'] == {
        'default_reseller_prefix': None}
