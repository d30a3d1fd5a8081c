import pytest

from swift.common.middleware import container_quotas
from swift.common.middleware.container_quotas import ContainerQuotaMiddleware
from swift.common.swob import HTTPForbidden, HTTPUnauthorized, Request
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.fake_swift import FakeSwift

CONTAINER = '/v1/a/c'


def make(container_headers=None, status=204):
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    headers = {'X-Container-Bytes-Used': '0', 'X-Container-Object-Count': '0'}
    headers.update(container_headers or {})
    app.register('HEAD', CONTAINER, status, headers)
    app.register('POST', CONTAINER, 204)
    app.register('PUT', CONTAINER, 201)
    return ContainerQuotaMiddleware(app, {}), app


def acl_authorize(req):
    """Stand-in for tempauth: the owner, or a user named in the write ACL."""
    if req.remote_user == 'owner' or (req.remote_user and req.remote_user in
                                      (getattr(req, 'acl', None) or '').split(',')):
        return None
    if req.remote_user:
        return HTTPForbidden(request=req)
    return HTTPUnauthorized(request=req)


def put(mw, size, user='owner', authorize=True, **headers):
    env = {'REMOTE_USER': user}
    if authorize:
        env['swift.authorize'] = acl_authorize
    return Request.blank(CONTAINER + '/o', environ=env, method='PUT', headers=headers,
                         body=b'x' * size).get_response(mw)


@pytest.mark.parametrize('used,size,status', [(0, 10, 201), (0, 11, 413), (5, 5, 201),
                                              (5, 6, 413), (10, 0, 201)])
def test_bytes_quota(used, size, status):
    mw, app = make({'X-Container-Meta-Quota-Bytes': '10',
                    'X-Container-Bytes-Used': str(used)})
    resp = put(mw, size)
    assert resp.status_int == status
    if status == 413:
        assert resp.body == b'Upload exceeds quota.'
        assert app.calls_of('PUT') == []


@pytest.mark.parametrize('count,status', [(1, 201), (2, 413)])
def test_count_quota(count, status):
    mw, _app = make({'X-Container-Meta-Quota-Count': '2',
                     'X-Container-Object-Count': str(count)})
    assert put(mw, 1).status_int == status


def test_unauthorized_users_learn_nothing():
    mw, _app = make({'X-Container-Meta-Quota-Bytes': '1'})
    assert put(mw, 5, user=None).status_int == 401
    assert put(mw, 5, user='stranger').status_int == 403


def test_write_acl_user_gets_413():
    mw, _app = make({'X-Container-Meta-Quota-Bytes': '1',
                     'X-Container-Write': 'friend'})
    assert put(mw, 5, user='friend').status_int == 413


def test_no_auth_hook_gives_413():
    mw, _app = make({'X-Container-Meta-Quota-Count': '0'})
    assert put(mw, 1, authorize=False).status_int == 413


def test_missing_container_passes_through():
    mw, app = make({'X-Container-Meta-Quota-Bytes': '1'}, status=404)
    put(mw, 5, authorize=False)
    assert len(app.calls_of('PUT')) == 1


def test_non_numeric_stored_quota_is_ignored():
    mw, _app = make({'X-Container-Meta-Quota-Bytes': 'lots'})
    assert put(mw, 5).status_int == 201


@pytest.mark.parametrize('method', ['PUT', 'POST'])
@pytest.mark.parametrize('header,body', [
    ('X-Container-Meta-Quota-Bytes', b'Invalid bytes quota.'),
    ('X-Container-Meta-Quota-Count', b'Invalid count quota.')])
def test_bad_quota_values_400(method, header, body):
    mw, app = make()
    for value in ('abc', '-1', '1.5'):
        resp = Request.blank(CONTAINER, method=method,
                             headers={header: value}).get_response(mw)
        assert (resp.status_int, resp.body) == (400, body)
    assert app.calls_of(method) == []
    resp = Request.blank(CONTAINER, method=method, headers={header: '100'}).get_response(mw)
    assert resp.status_int in (201, 204)
    # removing a quota (empty value) is allowed
    resp = Request.blank(CONTAINER, method=method, headers={header: ''}).get_response(mw)
    assert resp.status_int in (201, 204)


def test_factory_registers_info():
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    container_quotas.filter_factory({})(app)
    assert app.info_registry.sections['container_quotas'] == {}
