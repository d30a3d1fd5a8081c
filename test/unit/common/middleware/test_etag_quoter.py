import pytest

from swift.common.constraints import Constraints
from swift.common.middleware import etag_quoter
from swift.common.middleware.etag_quoter import EtagQuoterMiddleware, quote_etag
from swift.common.swob import Request
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.fake_swift import FakeSwift

ETAG = 'd41d8cd98f00b204e9800998ecf8427e'
OBJECT = '/v1/AUTH_test/c/o'


def make(account_flag=None, container_flag=None, account_status=204,
         container_status=204, object_etag=ETAG, **conf):
    app = FakeSwift()
    account = {} if account_flag is None else {
        'X-Account-Sysmeta-Rfc-Compliant-Etags': account_flag}
    container = {} if container_flag is None else {
        'X-Container-Sysmeta-Rfc-Compliant-Etags': container_flag}
    app.register('HEAD', '/v1/AUTH_test', account_status, account)
    app.register('HEAD', '/v1/AUTH_test/c', container_status, container)
    object_headers = {'Etag': object_etag} if object_etag else {}
    for method in ('GET', 'HEAD'):
        app.register(method, OBJECT, 200, object_headers, b'')
    app.register('PUT', OBJECT, 201, object_headers)
    return EtagQuoterMiddleware(app, conf, constraints=Constraints()), app


def etag_of(mw, method='GET', path=OBJECT):
    return Request.blank(path, method=method).get_response(mw).headers.get('Etag')


def test_quote_etag():
    assert quote_etag('abc') == '"abc"'
    assert quote_etag('"abc"') == '"abc"'
    assert quote_etag('W/"abc"') == 'W/"abc"'


def test_default_leaves_etags_bare():
    mw, _app = make()
    assert etag_of(mw) == ETAG
    assert etag_of(mw, 'HEAD') == ETAG


def test_enable_by_default_quotes():
    mw, _app = make(enable_by_default='true')
    assert etag_of(mw) == '"%s"' % ETAG
    assert etag_of(mw, 'HEAD') == '"%s"' % ETAG
    assert etag_of(mw, 'PUT') == '"%s"' % ETAG


@pytest.mark.parametrize('account_flag, container_flag, default, quoted', [
    ('True', None, 'false', True),
    ('False', None, 'true', False),
    (None, 'True', 'false', True),
    ('True', 'False', 'false', False),    # container overrides account
    ('False', 'True', 'false', True),
    ('yes', None, 'false', True),          # any of Swift's true words
])
def test_container_flag_then_account_flag_then_default(account_flag, container_flag,
                                                       default, quoted):
    mw, _app = make(account_flag, container_flag, enable_by_default=default)
    assert etag_of(mw) == ('"%s"' % ETAG if quoted else ETAG)


def test_already_quoted_etag_is_not_quoted_twice():
    mw, _app = make(object_etag='"%s"' % ETAG, enable_by_default='true')
    assert etag_of(mw) == '"%s"' % ETAG


def test_missing_container_or_account_leaves_etag_alone():
    mw, _app = make(container_status=404, enable_by_default='true')
    assert etag_of(mw) == ETAG
    mw, _app = make(account_status=404, enable_by_default='true')
    assert etag_of(mw) == ETAG


def test_response_without_etag_asks_nothing():
    mw, app = make(object_etag=None, enable_by_default='true')
    assert etag_of(mw) is None
    assert app.calls_of('HEAD') == []


def test_info_lookups_are_tagged_eq():
    mw, app = make(enable_by_default='true')
    etag_of(mw)
    assert {c.env['swift.source'] for c in app.calls_of('HEAD')} == {'EQ'}


@pytest.mark.parametrize('kind, path', [('Account', '/v1/AUTH_test'),
                                        ('Container', '/v1/AUTH_test/c')])
def test_client_flag_is_stored_as_sysmeta(kind, path):
    app = FakeSwift()
    app.register('POST', path, 204)
    mw = EtagQuoterMiddleware(app, {}, constraints=Constraints())
    client = 'X-%s-Rfc-Compliant-Etags' % kind
    sysmeta = 'X-%s-Sysmeta-Rfc-Compliant-Etags' % kind
    for value, stored in (('true', 'True'), ('on', 'True'), ('false', 'False'),
                          ('junk', 'False'), ('', '')):
        Request.blank(path, method='POST', headers={client: value}).get_response(mw)
        assert app.calls[-1].headers[sysmeta] == stored
    Request.blank(path, method='POST', headers={
        client: 'true', 'X-Remove-%s-Rfc-Compliant-Etags' % kind: 'x'}).get_response(mw)
    assert app.calls[-1].headers[sysmeta] == ''
    Request.blank(path, method='POST').get_response(mw)
    assert sysmeta not in app.calls[-1].headers


@pytest.mark.parametrize('kind, path', [('Account', '/v1/AUTH_test'),
                                        ('Container', '/v1/AUTH_test/c')])
def test_sysmeta_flag_shown_back_under_client_name(kind, path):
    app = FakeSwift()
    app.register('HEAD', path, 204, {'X-%s-Sysmeta-Rfc-Compliant-Etags' % kind: 'True'})
    mw = EtagQuoterMiddleware(app, {}, constraints=Constraints())
    resp = Request.blank(path, method='HEAD').get_response(mw)
    assert resp.headers['X-%s-Rfc-Compliant-Etags' % kind] == 'True'


def test_non_swift_paths_pass_through():
    mw, app = make(enable_by_default='true')
    app.register('GET', '/info', 200, {'Etag': 'x'})
    assert etag_of(mw, path='/info') == 'x'
    app.register('GET', '/auth/v1.0/c/o', 200, {'Etag': 'y'})
    assert etag_of(mw, path='/auth/v1.0/c/o') == 'y'   # not an API version
    assert app.calls_of('HEAD') == []


def test_valid_api_versions_from_swift_conf(tmp_path):
    (tmp_path / 'swift.conf').write_text(
        '[swift-constraints]\nvalid_api_versions = v1, v2\n')
    app = FakeSwift()
    app.register('HEAD', '/v2/AUTH_test', 204, {})
    app.register('HEAD', '/v2/AUTH_test/c', 204, {})
    app.register('GET', '/v2/AUTH_test/c/o', 200, {'Etag': ETAG})
    app.register('GET', '/v1.0/AUTH_test/c/o', 200, {'Etag': ETAG})
    mw = etag_quoter.filter_factory({}, swift_dir=str(tmp_path),
                                    enable_by_default='true')(app)
    assert etag_of(mw, path='/v2/AUTH_test/c/o') == '"%s"' % ETAG
    assert etag_of(mw, path='/v1.0/AUTH_test/c/o') == ETAG


def test_info_section():
    for conf, expected in (({}, False), ({'enable_by_default': 'yes'}, True)):
        app = FakeSwift()
        app.info_registry = InfoRegistry()
        etag_quoter.filter_factory({'swift_dir': '/nonexistent'}, **conf)(app)
        assert app.info_registry.sections['etag_quoter'] == {
            'enable_by_default': expected}
