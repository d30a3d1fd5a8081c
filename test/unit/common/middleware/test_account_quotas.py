import pytest

from swift.common.middleware import account_quotas, tempauth
from swift.common.middleware.account_quotas import AccountQuotaMiddleware
from swift.common.storage_policy import StoragePolicy, StoragePolicyCollection
from swift.common.swob import HTTPForbidden, HTTPUnauthorized, Request
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.fake_clock import FakeClock
from test.helpers.fake_swift import FakeMemcache, FakeSwift

POLICIES = StoragePolicyCollection([StoragePolicy(0, 'gold', is_default=True),
                                    StoragePolicy(1, 'silver')])
ACCOUNT = '/v1/AUTH_test'


def make(account_headers=None, container_policy='0'):
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    headers = {'X-Account-Bytes-Used': '0', 'X-Account-Object-Count': '0'}
    headers.update(account_headers or {})
    app.register('HEAD', ACCOUNT, 204, headers)
    app.register('HEAD', ACCOUNT + '/c', 204, {
        'X-Backend-Storage-Policy-Index': container_policy})
    app.register('POST', ACCOUNT, 204)
    app.register('PUT', ACCOUNT, 201)
    return AccountQuotaMiddleware(app, {}, policies=POLICIES), app


def owner_authorize(req):
    """Stand-in for tempauth: only the account owner may write."""
    if req.remote_user == 'AUTH_test':
        return None
    if req.remote_user:
        return HTTPForbidden(request=req)
    return HTTPUnauthorized(request=req)


def put_object(mw, body=b'x' * 100, user='AUTH_test', reseller=False, path='/c/o'):
    env = {'REMOTE_USER': user, 'swift.authorize': owner_authorize}
    if reseller:
        env['reseller_request'] = True
    return Request.blank(ACCOUNT + path, environ=env, method='PUT',
                         body=body).get_response(mw)


def account_request(mw, method, headers, reseller=False):
    env = {'reseller_request': True} if reseller else {}
    return Request.blank(ACCOUNT, environ=env, method=method,
                         headers=headers).get_response(mw)


def test_legacy_quota_on_empty_account_bl21():
    mw, app = make({'X-Account-Meta-Quota-Bytes': '10'})
    resp = put_object(mw)
    assert (resp.status_int, resp.body) == (413, b'Upload exceeds quota.')
    assert app.objects == {}


def test_under_quota_and_exact_fit_pass():
    mw, app = make({'X-Account-Meta-Quota-Bytes': '100',
                    'X-Account-Bytes-Used': '90'})
    assert put_object(mw, b'x' * 10).status_int == 201
    assert put_object(mw, b'x' * 11).status_int == 413


def test_unauthorized_users_get_401_403_not_413():
    mw, _app = make({'X-Account-Meta-Quota-Bytes': '10'})
    assert put_object(mw, user=None).status_int == 401
    assert put_object(mw, user='test:tester3').status_int == 403


def test_reseller_is_not_limited():
    mw, _app = make({'X-Account-Meta-Quota-Bytes': '10'})
    assert put_object(mw, reseller=True).status_int == 201


def test_no_auth_hook_answers_413_directly():
    mw, _app = make({'X-Account-Meta-Quota-Bytes': '10'})
    resp = Request.blank(ACCOUNT + '/c/o', method='PUT', body=b'x' * 11).get_response(mw)
    assert resp.status_int == 413


@pytest.mark.parametrize('headers,body,status', [
    ({'X-Account-Sysmeta-Quota-Bytes': '50', 'X-Account-Bytes-Used': '40'}, 11, 413),
    ({'X-Account-Sysmeta-Quota-Bytes': '50', 'X-Account-Bytes-Used': '40'}, 10, 201),
    ({'X-Account-Sysmeta-Quota-Count': '3', 'X-Account-Object-Count': '3'}, 1, 413),
    ({'X-Account-Sysmeta-Quota-Count': '3', 'X-Account-Object-Count': '2'}, 1, 201),
    ({'X-Account-Sysmeta-Quota-Bytes-Policy-0': '5'}, 6, 413),
    ({'X-Account-Sysmeta-Quota-Bytes-Policy-1': '5'}, 6, 201),
    ({'X-Account-Sysmeta-Quota-Count-Policy-0': '0'}, 1, 413),
    ({'X-Account-Meta-Quota-Bytes': 'junk'}, 1000, 201),
])
def test_sysmeta_quotas(headers, body, status):
    mw, _app = make(headers)
    assert put_object(mw, b'x' * body).status_int == status


def test_policy_usage_comes_from_account_info():
    mw, app = make({'X-Account-Sysmeta-Quota-Bytes-Policy-1': '100'},
                   container_policy='1')
    env = {'REMOTE_USER': 'AUTH_test', 'swift.authorize': owner_authorize,
           'swift.infocache': {'account/AUTH_test': {
               'status': 204, 'bytes': '95', 'total_object_count': '1', 'meta': {},
               'sysmeta': {'quota-bytes-policy-1': '100'},
               'storage_policies': {'1': {'bytes': '95', 'object_count': '1'}}}}}
    resp = Request.blank(ACCOUNT + '/c/o', environ=env, method='PUT',
                         body=b'x' * 6).get_response(mw)
    assert resp.status_int == 413


@pytest.mark.parametrize('used,status', [('95', 413), ('94', 201)])
def test_policy_usage_from_account_headers(used, status):
    mw, app = make({'X-Account-Sysmeta-Quota-Bytes-Policy-1': '100',
                    'X-Account-Storage-Policy-Silver-Bytes-Used': used,
                    'X-Account-Storage-Policy-Gold-Bytes-Used': '1000'},
                   container_policy='1')
    assert put_object(mw, b'x' * 6).status_int == status


def test_non_reseller_cannot_set_quotas():
    mw, app = make()
    for header in ('X-Account-Meta-Quota-Bytes', 'X-Account-Quota-Bytes',
                   'X-Account-Quota-Count', 'X-Account-Quota-Bytes-Policy-silver',
                   'X-Remove-Account-Meta-Quota-Bytes', 'X-Remove-Account-Quota-Count'):
        resp = account_request(mw, 'POST', {header: '10'})
        assert resp.status_int == 403, header
    assert app.calls_of('POST') == []
    # other metadata is fine
    assert account_request(mw, 'POST', {'X-Account-Meta-Color': 'red'}).status_int == 204


def test_reseller_sets_quotas_as_sysmeta():
    mw, app = make()
    resp = account_request(mw, 'POST', {
        'X-Account-Quota-Bytes': '1000', 'X-Account-Quota-Count': '7',
        'X-Account-Quota-Bytes-Policy-silver': '500',
        'X-Remove-Account-Quota-Count-Policy-gold': 'x',
        'X-Account-Meta-Quota-Bytes': '20'}, reseller=True)
    assert resp.status_int == 204
    sent = app.calls_of('POST')[0].headers
    assert sent['X-Account-Sysmeta-Quota-Bytes'] == '1000'
    assert sent['X-Account-Sysmeta-Quota-Count'] == '7'
    assert sent['X-Account-Sysmeta-Quota-Bytes-Policy-1'] == '500'
    assert sent['X-Account-Sysmeta-Quota-Count-Policy-0'] == ''
    assert sent['X-Account-Meta-Quota-Bytes'] == '20'
    assert 'X-Account-Quota-Bytes' not in sent
    assert 'X-Account-Quota-Bytes-Policy-silver' not in sent


@pytest.mark.parametrize('header', ['X-Account-Quota-Bytes', 'X-Account-Meta-Quota-Bytes',
                                    'X-Account-Quota-Count-Policy-gold'])
def test_reseller_bad_value_is_400(header):
    mw, app = make()
    assert account_request(mw, 'PUT', {header: '1.5'}, reseller=True).status_int == 400
    assert app.calls_of('PUT') == []


def test_quotas_shown_on_account_head():
    mw, _app = make({'X-Account-Sysmeta-Quota-Bytes': '1000',
                     'X-Account-Sysmeta-Quota-Count-Policy-1': '9'})
    resp = account_request(mw, 'HEAD', {})
    assert resp.headers['X-Account-Quota-Bytes'] == '1000'
    assert resp.headers['X-Account-Quota-Count-Policy-silver'] == '9'


def test_container_requests_and_object_posts_pass():
    mw, app = make({'X-Account-Meta-Quota-Bytes': '0'})
    app.register('POST', ACCOUNT + '/c/o', 202)
    resp = Request.blank(ACCOUNT + '/c/o', method='POST').get_response(mw)
    assert resp.status_int == 202


def test_with_real_tempauth_bl21():
    """BL-21 through tempauth: owner 413, anonymous 401, non-admin user 403."""
    mw, app = make({'X-Account-Meta-Quota-Bytes': '10'})
    app.register('HEAD', ACCOUNT + '/c', 204, {})
    clock = FakeClock()
    auth = tempauth.TempAuth(mw, {'user_test_tester': 'testing .admin'}, clock=clock)
    cache = FakeMemcache()
    expires = clock.time() + 3600
    cache.set('AUTH_/token/AUTH_tkowner', [expires, 'test,test:tester,AUTH_test'])
    cache.set('AUTH_/token/AUTH_tkother', [expires, 'test,test:tester3'])

    def put(token):
        headers = {'X-Auth-Token': token} if token else {}
        return Request.blank(ACCOUNT + '/c/o', method='PUT', headers=headers,
                             environ={'swift.cache': cache},
                             body=b'x' * 100).get_response(auth)
    resp = put('AUTH_tkowner')
    assert (resp.status_int, resp.body) == (413, b'Upload exceeds quota.')
    assert put(None).status_int == 401
    assert put('AUTH_tkother').status_int == 403
    assert app.objects == {}


def test_factory_registers_info(tmp_path):
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    account_quotas.filter_factory({'swift_dir': str(tmp_path)})(app)
    assert app.info_registry.sections['account_quotas'] == {}
