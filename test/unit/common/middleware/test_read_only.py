import pytest

from swift.common.constraints import Constraints
from swift.common.middleware import read_only
from swift.common.middleware.read_only import ReadOnlyMiddleware
from swift.common.swob import Request
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.fake_swift import FakeSwift

ACCOUNT = '/v1/AUTH_test'
READ_ONLY_BODY = b'Writes are disabled for this account.'
WRITES = ('PUT', 'POST', 'COPY', 'DELETE')


def make(account_sysmeta=None, **conf):
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    headers = {}
    if account_sysmeta is not None:
        headers['X-Account-Sysmeta-Read-Only'] = account_sysmeta
    for account in ('AUTH_test', 'AUTH_other'):
        app.register('HEAD', '/v1/' + account, 204, headers)
        app.register('GET', '/v1/' + account, 204, headers)
    for method, status in (('PUT', 201), ('POST', 204), ('COPY', 201),
                           ('DELETE', 204), ('GET', 200), ('HEAD', 200)):
        app.register(method, ACCOUNT + '/c/o', status)
        app.register(method, ACCOUNT + '/c', status)
        app.register(method, ACCOUNT, status if method not in ('GET', 'HEAD') else 204,
                     headers)
    mw = ReadOnlyMiddleware(app, conf, constraints=Constraints())
    return mw, app


def call(mw, method, path=ACCOUNT + '/c/o', headers=None, **environ):
    return Request.blank(path, environ=environ, method=method,
                         headers=headers).get_response(mw)


def test_writable_cluster_lets_everything_through():
    mw, app = make()
    for method in WRITES + ('GET', 'HEAD'):
        assert call(mw, method).status_int < 300
    assert [c.method for c in app.calls if c.path == ACCOUNT + '/c/o'] == \
        list(WRITES) + ['GET', 'HEAD']


@pytest.mark.parametrize('method', WRITES)
def test_read_only_cluster_refuses_writes_with_swifts_405(method):
    mw, app = make(read_only='true')
    for path in (ACCOUNT + '/c/o', ACCOUNT + '/c', ACCOUNT):
        resp = call(mw, method, path)
        assert (resp.status_int, resp.body) == (405, READ_ONLY_BODY)
    assert app.calls_of(method) == []


def test_read_only_cluster_still_serves_reads():
    mw, _app = make(read_only='yes')
    assert call(mw, 'GET').status_int == 200
    assert call(mw, 'HEAD').status_int == 200
    assert call(mw, 'OPTIONS').status_int == 404   # passes through to the app


def test_allow_deletes():
    mw, app = make(read_only='true', allow_deletes='true')
    assert call(mw, 'DELETE').status_int == 204
    assert call(mw, 'PUT').status_int == 405
    assert len(app.calls_of('DELETE')) == 1


def test_account_sysmeta_true_makes_one_account_read_only():
    mw, app = make(account_sysmeta='true')
    resp = call(mw, 'PUT')
    assert (resp.status_int, resp.body) == (405, READ_ONLY_BODY)
    assert app.calls_of('PUT') == []


def test_account_sysmeta_false_overrides_read_only_cluster():
    mw, app = make(account_sysmeta='false', read_only='true')
    assert call(mw, 'PUT').status_int == 201
    assert call(mw, 'DELETE').status_int == 204


def test_empty_account_sysmeta_falls_back_to_cluster_setting():
    mw, _app = make(account_sysmeta='', read_only='true')
    assert call(mw, 'POST').status_int == 405


def test_account_info_lookup_is_cached_per_request():
    mw, app = make(account_sysmeta='false')
    env = {}
    Request.blank(ACCOUNT + '/c/o', environ=env, method='PUT').get_response(mw)
    assert len(app.calls_of('HEAD')) == 1
    assert app.calls_of('HEAD')[0].env['swift.source'] == 'RO'


def test_copy_judged_by_destination_account():
    app = FakeSwift()
    app.register('HEAD', '/v1/AUTH_test', 204, {})
    app.register('HEAD', '/v1/AUTH_other', 204, {'X-Account-Sysmeta-Read-Only': 'true'})
    app.register('COPY', ACCOUNT + '/c/o', 201)
    mw = ReadOnlyMiddleware(app, {}, constraints=Constraints())
    resp = call(mw, 'COPY', headers={'Destination': 'c2/o2',
                                     'Destination-Account': 'AUTH_other'})
    assert (resp.status_int, resp.body) == (405, READ_ONLY_BODY)
    assert call(mw, 'COPY', headers={'Destination': 'c2/o2'}).status_int == 201
    resp = call(mw, 'COPY', headers={'Destination': 'c2/o2',
                                     'Destination-Account': 'a/b'})
    assert resp.status_int == 412


def test_non_api_paths_pass_through():
    mw, app = make(read_only='true')
    app.register('PUT', '/auth/v1.0', 200)
    app.register('PUT', '/v2/AUTH_test/c', 201)
    assert call(mw, 'PUT', '/auth/v1.0').status_int == 200
    assert call(mw, 'PUT', '/v2/AUTH_test/c').status_int == 201
    assert call(mw, 'PUT', '/info').status_int != 405


def test_reseller_sets_and_clears_the_account_flag():
    mw, app = make()
    resp = call(mw, 'POST', ACCOUNT, {'X-Account-Read-Only': 'yes'},
                reseller_request=True)
    assert resp.status_int == 204
    sent = app.calls_of('POST')[-1].headers
    assert sent['X-Account-Sysmeta-Read-Only'] == 'true'
    assert 'X-Account-Read-Only' not in sent
    call(mw, 'POST', ACCOUNT, {'X-Account-Read-Only': 'off'}, reseller_request=True)
    assert app.calls_of('POST')[-1].headers['X-Account-Sysmeta-Read-Only'] == 'false'
    call(mw, 'POST', ACCOUNT, {'X-Remove-Account-Read-Only': 'x'},
         reseller_request=True)
    assert app.calls_of('POST')[-1].headers['X-Account-Sysmeta-Read-Only'] == ''


def test_reseller_can_lift_the_flag_of_a_read_only_account():
    mw, app = make(account_sysmeta='true', read_only='true')
    resp = call(mw, 'POST', ACCOUNT, {'X-Account-Read-Only': 'false'},
                reseller_request=True)
    assert resp.status_int == 204
    # a plain POST from the same reseller is still a refused write
    assert call(mw, 'POST', ACCOUNT, reseller_request=True).status_int == 405


def test_only_a_reseller_may_set_the_flag():
    mw, app = make()
    resp = call(mw, 'POST', ACCOUNT, {'X-Account-Read-Only': 'true'})
    assert resp.status_int == 403
    resp = call(mw, 'PUT', ACCOUNT, {'X-Remove-Account-Read-Only': '1'})
    assert resp.status_int == 403
    assert app.calls_of('POST') == [] and app.calls_of('PUT') == []


def test_bad_flag_value_is_400():
    mw, app = make()
    resp = call(mw, 'POST', ACCOUNT, {'X-Account-Read-Only': 'maybe'},
                reseller_request=True)
    assert resp.status_int == 400
    assert b'true or false' in resp.body
    assert app.calls_of('POST') == []


def test_account_get_and_head_show_the_flag():
    mw, _app = make(account_sysmeta='true')
    for method in ('GET', 'HEAD'):
        resp = call(mw, method, ACCOUNT)
        assert resp.headers['X-Account-Read-Only'] == 'true'
    mw, _app = make()
    assert 'X-Account-Read-Only' not in call(mw, 'HEAD', ACCOUNT).headers


def test_container_header_is_not_a_flag():
    mw, app = make()
    call(mw, 'POST', ACCOUNT + '/c', {'X-Account-Read-Only': 'true'})
    assert 'X-Account-Sysmeta-Read-Only' not in app.calls_of('POST')[-1].headers


def test_info_section_only_when_cluster_read_only():
    for conf, expected in (({'read_only': 'true'}, True), ({}, False),
                           ({'read_only': 'false'}, False)):
        app = FakeSwift()
        app.info_registry = InfoRegistry()
        read_only.filter_factory({'swift_dir': '/nonexistent'}, **conf)(app)
        assert ('read_only' in app.info_registry.sections) is expected
        if expected:
            assert app.info_registry.sections['read_only'] == {}


def test_filter_factory_reads_valid_api_versions_from_swift_conf(tmp_path):
    (tmp_path / 'swift.conf').write_text(
        '[swift-constraints]\nvalid_api_versions = v1, v2\n')
    app = FakeSwift()
    app.register('HEAD', '/v2/AUTH_test', 204, {})
    mw = read_only.filter_factory({}, swift_dir=str(tmp_path), read_only='true')(app)
    assert call(mw, 'PUT', '/v2/AUTH_test/c').status_int == 405
    assert call(mw, 'PUT', '/v1.0/AUTH_test/c').status_int == 201  # not an API path
