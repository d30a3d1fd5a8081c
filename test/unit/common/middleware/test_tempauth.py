"""tempauth: login, tokens, authorization and Swift's 401 answers (wire fixtures)."""

import os

import pytest

from swift.common.middleware import tempauth
from swift.common.swob import Request, Response
from test.helpers.fake_clock import FakeClock

WIRE = '/work/shared/fixtures/swift-2.38/wire'


def wire(name):
    with open(os.path.join(WIRE, name), 'rb') as fp:
        head, body = fp.read().split(b'\r\n\r\n', 1)
    lines = [l.rstrip('\r') for l in head.decode('latin-1').split('\n')
             if not l.startswith('#')]
    status = int(lines[0].split()[1])
    headers = dict(l.split(': ', 1) for l in lines[1:] if ': ' in l)
    return status, headers, body


class DictCache:
    def __init__(self):
        self.data = {}
        self.ttls = {}

    def get(self, key):
        return self.data.get(key)

    def set(self, key, value, time=0, **_kw):
        self.data[key] = value
        self.ttls[key] = time

    def delete(self, key):
        self.data.pop(key, None)


class Logger:
    txn_id = None

    def exception(self, *a):
        raise AssertionError('exception logged')

    error = info = warning = debug = lambda self, *a: None


class FakeProxy:
    """Stands in for the proxy: runs the auth hook as the proxy does, with the
    container ACL ``acl`` for container/object requests."""

    def __init__(self, acl=None):
        self.acl = acl
        self.calls = []
        self.account_headers = {}

    def __call__(self, env, start_response):
        req = Request(env)
        self.calls.append(req.path)
        if env.get('swift.source') == 'TA':   # tempauth's account info lookup
            return Response(status=204, request=req, headers=self.account_headers)(
                env, start_response)
        authorize = env.get('swift.authorize')
        if authorize:
            req.acl = self.acl
            denial = authorize(req)
            if denial:
                return denial(env, start_response)
        return Response(status=204, request=req)(env, start_response)


CONF = {'user_test_tester': 'testing .admin',
        'user_test_tester3': 'testing3',
        'user_test2_tester2': 'testing2 .admin',
        'user_admin_admin': 'admin .admin .reseller_admin',
        'user_audit_reader': 'rpw .reseller_reader',
        'user_other_x': 'pw http://example.com/v1/AUTH_elsewhere'}


@pytest.fixture
def setup():
    cache = DictCache()
    clock = FakeClock(start=1795990147.0)
    proxy = FakeProxy()
    auth = tempauth.TempAuth(proxy, dict(CONF), logger=Logger(), clock=clock)

    def call(path, headers=None, method='GET', host='127.0.0.1:18080'):
        req = Request.blank(path, headers=headers or {}, method=method,
                            environ={'swift.cache': cache, 'HTTP_HOST': host})
        return req.get_response(auth)
    return call, cache, clock, proxy, auth


def login(call, user='test:tester', key='testing'):
    return call('/auth/v1.0', {'X-Auth-User': user, 'X-Auth-Key': key})


def test_login_matches_swift(setup):
    call, cache, clock, _proxy, _auth = setup
    resp = login(call)
    status, headers, body = wire('auth-get.txt')
    assert resp.status_int == status == 200
    assert resp.body == body == b''
    token = resp.headers['X-Auth-Token']
    assert token.startswith('AUTH_tk') and len(token) == len('AUTH_tk') + 32
    assert resp.headers['X-Storage-Token'] == token
    assert resp.headers['X-Storage-Url'] == headers['X-Storage-Url']
    assert resp.headers['X-Auth-Token-Expires'] == '86400'
    assert resp.headers['Content-Type'] == headers['Content-Type']
    assert cache.data['AUTH_/token/' + token] == [1795990147.0 + 86400,
                                                  'test,test:tester,AUTH_test']
    assert cache.ttls['AUTH_/token/' + token] == 86400
    # the same token again while valid, with the remaining life
    clock.advance(32)
    again = call('/auth/v1.0', {'X-Storage-User': 'test:tester',
                                'X-Storage-Pass': 'testing'})
    assert again.headers['X-Auth-Token'] == token
    assert again.headers['X-Auth-Token-Expires'] == '86368'


def test_bad_password_matches_swift(setup):
    call = setup[0]
    resp = login(call, key='wrong')
    status, headers, body = wire('401-bad-password.txt')
    assert resp.status_int == status
    assert resp.body == body
    assert resp.headers['Www-Authenticate'] == headers['Www-Authenticate']
    assert resp.headers['Content-Type'] == headers['Content-Type']
    assert login(call, user='nobody:x', key='y').status_int == 401
    assert login(call, user='nocolon', key='y').status_int == 401


@pytest.mark.parametrize('fixture,headers', [
    ('401-no-token.txt', {}),
    ('401.txt', {'X-Auth-Token': 'AUTH_tkbogus'})])
def test_401_answers_match_swift(setup, fixture, headers):
    call = setup[0]
    resp = call('/v1/AUTH_test/fixtures', headers)
    status, wire_headers, body = wire(fixture)
    assert resp.status_int == status
    assert resp.body == body
    assert resp.headers['Www-Authenticate'] == wire_headers['Www-Authenticate']
    assert resp.headers['Content-Length'] == wire_headers['Content-Length']


def test_owner_other_account_and_non_admin(setup):
    call, _cache, _clock, proxy, _auth = setup
    token = login(call).headers['X-Auth-Token']
    assert call('/v1/AUTH_test/c', {'X-Auth-Token': token}).status_int == 204
    assert call('/v1/AUTH_test2/c', {'X-Auth-Token': token}).status_int == 403
    # account PUT/DELETE need a reseller admin
    assert call('/v1/AUTH_test', {'X-Auth-Token': token}, method='PUT').status_int == 403
    token3 = login(call, 'test:tester3', 'testing3').headers['X-Auth-Token']
    assert call('/v1/AUTH_test/c', {'X-Auth-Token': token3}).status_int == 403
    admin = login(call, 'admin:admin', 'admin').headers['X-Auth-Token']
    assert call('/v1/AUTH_test', {'X-Auth-Token': admin}, method='PUT').status_int == 204


def test_token_expiry(setup):
    call, _cache, clock, _proxy, _auth = setup
    token = login(call).headers['X-Auth-Token']
    clock.advance(86401)
    assert call('/v1/AUTH_test/c', {'X-Auth-Token': token}).status_int == 401
    assert login(call).headers['X-Auth-Token'] != token


def test_container_acls(setup):
    call, _cache, _clock, proxy, _auth = setup
    token3 = login(call, 'test:tester3', 'testing3').headers['X-Auth-Token']
    proxy.acl = 'test:tester3'
    assert call('/v1/AUTH_test/c/o', {'X-Auth-Token': token3}).status_int == 204
    proxy.acl = '.r:*'
    assert call('/v1/AUTH_test/c/o').status_int == 204           # anonymous object
    assert call('/v1/AUTH_test/c').status_int == 401             # no .rlistings
    proxy.acl = '.r:*,.rlistings'
    assert call('/v1/AUTH_test/c').status_int == 204
    proxy.acl = '.r:.example.com,.r:-bad.example.com'
    assert call('/v1/AUTH_test/c/o', {'Referer': 'http://www.example.com/x'}
                ).status_int == 204
    assert call('/v1/AUTH_test/c/o', {'Referer': 'http://bad.example.com/x'}
                ).status_int == 401


def test_clean_acl():
    assert tempauth.clean_acl('x-container-read', ' .r:* , .rlistings, a:b ') == \
        '.r:*,.rlistings,a:b'
    assert tempauth.clean_acl('x-container-read', '.ref:-bad.com') == '.r:-bad.com'
    with pytest.raises(ValueError):
        tempauth.clean_acl('x-container-write', '.r:*')
    with pytest.raises(ValueError):
        tempauth.clean_acl('x-container-read', '.r:')
    with pytest.raises(ValueError):
        tempauth.clean_acl('x-container-read', '.bogus:x')


def test_storage_url_from_user_line(setup):
    call = setup[0]
    resp = login(call, 'other:x', 'pw')
    assert resp.headers['X-Storage-Url'] == 'http://example.com/v1/AUTH_elsewhere'


def test_foreign_token_and_path_are_denied(setup):
    call = setup[0]
    # not our reseller prefix: deny all (no other auth in the pipeline)
    assert call('/v1/OTHER_x/c').status_int == 401


def test_account_acls(setup):
    call, _cache, _clock, proxy, _auth = setup
    token3 = login(call, 'test:tester3', 'testing3').headers['X-Auth-Token']
    hdr = {'X-Auth-Token': token3}
    assert call('/v1/AUTH_test/c/o', hdr, method='PUT').status_int == 403
    proxy.account_headers = {'X-Account-Sysmeta-Core-Access-Control':
                             '{"read-only":["test:tester3"]}'}
    assert call('/v1/AUTH_test', hdr).status_int == 204
    assert call('/v1/AUTH_test/c/o', hdr).status_int == 204
    assert call('/v1/AUTH_test/c/o', hdr, method='PUT').status_int == 403
    proxy.account_headers = {'X-Account-Sysmeta-Core-Access-Control':
                             '{"read-write":["test:tester3"]}'}
    assert call('/v1/AUTH_test/c/o', hdr, method='PUT').status_int == 204
    assert call('/v1/AUTH_test', hdr, method='POST').status_int == 403
    proxy.account_headers = {'X-Account-Sysmeta-Core-Access-Control':
                             '{"admin":["test:tester3"]}'}
    assert call('/v1/AUTH_test', hdr, method='POST').status_int == 204


def test_parse_account_acl():
    assert tempauth.parse_account_acl('{"admin": ["a:b"]}') == {'admin': ['a:b']}
    for bad in ('nope', '[]', '{"owner": ["x"]}', '{"admin": "x"}',
                '[' * 3000 + ']' * 3000):   # deep nesting: RecursionError in json
        with pytest.raises(ValueError):
            tempauth.parse_account_acl(bad)


def test_several_reseller_prefixes_and_service_tokens():
    cache = DictCache()
    conf = dict(CONF, reseller_prefix='AUTH, SERVICE',
                SERVICE_require_group='.service', user_glance_glance='gpw .service')
    auth = tempauth.TempAuth(FakeProxy(), conf, logger=Logger(), clock=FakeClock())

    def call(path, headers=None, method='GET'):
        return Request.blank(path, headers=headers or {}, method=method,
                             environ={'swift.cache': cache}).get_response(auth)
    user = login(call).headers['X-Auth-Token']
    service = login(call, 'glance:glance', 'gpw').headers['X-Auth-Token']
    # the user owns AUTH_test and SERVICE_test? only with the service group
    assert call('/v1/AUTH_test/c', {'X-Auth-Token': user}).status_int == 204
    assert call('/v1/SERVICE_test/c', {'X-Auth-Token': user}).status_int == 403
    assert call('/v1/SERVICE_test/c', {'X-Auth-Token': user,
                                       'X-Service-Token': service}).status_int == 204
    assert call('/v1/SERVICE_test/c').status_int == 401


def test_reseller_reader_reads_every_account(setup):
    call = setup[0]
    reader = {'X-Auth-Token': login(call, 'audit:reader', 'rpw').headers['X-Auth-Token']}
    assert call('/v1/AUTH_test/c', reader).status_int == 204
    assert call('/v1/AUTH_test2', reader, method='HEAD').status_int == 204
    assert call('/v1/AUTH_test/c/o', reader, method='PUT').status_int == 403


def test_info_lookups_from_before_tempauth_are_pre_authorised(setup):
    from swift.proxy.info_cache import get_container_info
    call, cache, _clock, proxy, auth = setup
    proxy.acl = None
    env = {'PATH_INFO': '/v1/AUTH_test/c/o', 'swift.cache': cache}
    info = get_container_info(env, auth)     # no token at all
    assert info['status'] == 204


def test_login_paths_after_the_auth_prefix(setup):
    """Swift pops the auth prefix: /auth/v1/<account>/auth and /auth/auth log in too,
    an account in the path must match the user's."""
    call = setup[0]
    resp = call('/auth/v1/test/auth', {'X-Auth-User': 'tester', 'X-Auth-Key': 'testing'})
    assert resp.status_int == 200
    assert resp.headers['X-Storage-Url'].endswith('/v1/AUTH_test')
    resp = call('/auth/v1/test/auth', {'X-Auth-User': 'test2:tester2',
                                       'X-Auth-Key': 'testing2'})
    assert resp.status_int == 401
    resp = call('/auth/auth', {'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing'})
    assert resp.status_int == 200
    assert call('/auth/v2/x', {'X-Auth-User': 'test:tester',
                               'X-Auth-Key': 'testing'}).status_int == 400


def test_valid_tokens_are_remembered_briefly_in_process(setup):
    call, cache, clock, _proxy, auth = setup
    token = login(call).headers['X-Auth-Token']
    gets = []
    real_get = cache.get
    cache.get = lambda key: (gets.append(key), real_get(key))[1]
    for _ in range(3):
        assert call('/v1/AUTH_test/c', {'X-Auth-Token': token}).status_int == 204
    assert gets == ['AUTH_/token/' + token]          # one memcache lookup, then local
    # memcache is the truth again after token_cache_seconds (10 s)
    del cache.data['AUTH_/token/' + token]
    clock.advance(9)
    assert call('/v1/AUTH_test/c', {'X-Auth-Token': token}).status_int == 204
    clock.advance(2)
    assert call('/v1/AUTH_test/c', {'X-Auth-Token': token}).status_int == 401
    # an unknown token is never remembered
    assert call('/v1/AUTH_test/c', {'X-Auth-Token': 'AUTH_tkbad'}).status_int == 401
    assert 'AUTH_tkbad' not in auth._token_cache


def test_remembered_token_still_expires_on_time():
    cache = DictCache()
    clock = FakeClock(start=1795990147.0)
    auth = tempauth.TempAuth(FakeProxy(), dict(CONF, token_life='5'), logger=Logger(),
                             clock=clock)

    def call(path, headers=None):
        return Request.blank(path, headers=headers or {},
                             environ={'swift.cache': cache}).get_response(auth)
    token = login(call).headers['X-Auth-Token']
    clock.advance(4)
    assert call('/v1/AUTH_test/c', {'X-Auth-Token': token}).status_int == 204
    clock.advance(1.5)
    assert call('/v1/AUTH_test/c', {'X-Auth-Token': token}).status_int == 401
    off = tempauth.TempAuth(FakeProxy(), dict(CONF, token_cache_seconds='0'),
                            logger=Logger(), clock=clock)
    assert off.token_cache_seconds == 0
