"""versioned_writes, container side: X-Versions-Location / X-History-Location stored
as sysmeta, removal headers, errors, allow_versioned_writes states, /info, config."""

import json

import pytest

from swift.common.config import ConfigError
from swift.common.middleware import versioned_writes
from swift.common.middleware.versioned_writes import (VersionedWritesConfig,
                                                      VersionedWritesMiddleware)
from swift.common.swob import Request
from swift.proxy.controllers.info import InfoRegistry
from test.unit.common.middleware.test_versioned_writes_fake import FakeVersionedProxy

SYSMETA_LOC = 'X-Container-Sysmeta-Versions-Location'
SYSMETA_MODE = 'X-Container-Sysmeta-Versions-Mode'


def make(allow='true'):
    app = FakeVersionedProxy()
    app.info_registry = InfoRegistry()
    app.make_container('/v1/a/c')
    conf = {} if allow is None else {'allow_versioned_writes': allow}
    return VersionedWritesMiddleware(app, conf), app


def request(mw, path, method='GET', headers=None):
    return Request.blank(path, method=method, headers=headers or {}).get_response(mw)


def stored(app, path='/v1/a/c'):
    return dict(app.container_meta[path])


@pytest.mark.parametrize('method', ['PUT', 'POST'])
def test_versions_location_becomes_stack_sysmeta(method):
    mw, app = make()
    resp = request(mw, '/v1/a/c', method, {'X-Versions-Location': 'archive'})
    assert resp.status_int in (201, 204)
    assert stored(app) == {SYSMETA_LOC: 'archive', SYSMETA_MODE: 'stack'}
    # the container server is told to drop any plain copy of the header
    sent = app.calls[-1].headers
    assert sent['X-Versions-Location'] == ''
    head = request(mw, '/v1/a/c', 'HEAD')
    assert head.headers['X-Versions-Location'] == 'archive'
    assert 'X-History-Location' not in head.headers


def test_history_location_becomes_history_sysmeta():
    mw, app = make()
    request(mw, '/v1/a/c', 'POST', {'X-History-Location': 'arch%20ive'})
    assert stored(app) == {SYSMETA_LOC: 'arch%20ive', SYSMETA_MODE: 'history'}
    sent = app.calls[-1].headers
    assert (sent['X-Versions-Location'], sent['X-History-Location']) == ('', '')
    head = request(mw, '/v1/a/c', 'GET')
    assert head.headers['X-History-Location'] == 'arch%20ive'
    assert 'X-Versions-Location' not in head.headers


def test_both_locations_is_400():
    mw, app = make()
    resp = request(mw, '/v1/a/c', 'POST', {'X-Versions-Location': 'v',
                                            'X-History-Location': 'h'})
    assert resp.status_int == 400
    assert resp.body == (b'Only one of x-versions-location or x-history-location '
                         b'may be specified')
    assert app.calls == []


def test_an_empty_location_next_to_a_set_one_is_ignored():
    mw, app = make()
    request(mw, '/v1/a/c', 'POST', {'X-Versions-Location': 'v',
                                     'X-History-Location': ''})
    assert stored(app) == {SYSMETA_LOC: 'v', SYSMETA_MODE: 'stack'}
    request(mw, '/v1/a/c', 'POST', {'X-Versions-Location': '',
                                     'X-History-Location': 'h'})
    assert stored(app) == {SYSMETA_LOC: 'h', SYSMETA_MODE: 'history'}


@pytest.mark.parametrize('headers', [
    {'X-Remove-Versions-Location': 'x'},
    {'X-Remove-History-Location': 'yes'},
    {'X-Versions-Location': ''},
    {'X-History-Location': ''},
])
def test_removal_headers_and_empty_values_unset_versioning(headers):
    mw, app = make()
    request(mw, '/v1/a/c', 'POST', {'X-Versions-Location': 'archive'})
    resp = request(mw, '/v1/a/c', 'POST', headers)
    assert resp.status_int == 204
    assert stored(app) == {}
    sent = app.calls[-1].headers
    assert 'X-Remove-Versions-Location' not in sent
    assert 'X-Remove-History-Location' not in sent
    head = request(mw, '/v1/a/c', 'HEAD')
    assert 'X-Versions-Location' not in head.headers


def test_setting_wins_over_removing_in_one_request():
    mw, app = make()
    request(mw, '/v1/a/c', 'POST', {'X-History-Location': 'new',
                                     'X-Remove-Versions-Location': 'x'})
    assert stored(app) == {SYSMETA_LOC: 'new', SYSMETA_MODE: 'history'}


def test_a_slashed_location_is_412():
    mw, app = make()
    resp = request(mw, '/v1/a/c', 'POST', {'X-Versions-Location': 'a/b'})
    assert (resp.status_int, resp.body) == (
        412, b'Container name cannot contain slashes')
    assert app.calls == []


def test_disabled_refuses_to_set_but_still_removes_and_reports():
    mw, app = make(allow='false')
    resp = request(mw, '/v1/a/c', 'PUT', {'X-Versions-Location': 'archive'})
    assert (resp.status_int, resp.body) == (412, b'Versioned Writes is disabled')
    app.container_meta['/v1/a/c'] = {SYSMETA_LOC: 'old', SYSMETA_MODE: 'stack'}
    assert request(mw, '/v1/a/c', 'HEAD').headers['X-Versions-Location'] == 'old'
    assert request(mw, '/v1/a/c', 'POST',
                   {'X-Remove-Versions-Location': '1'}).status_int == 204
    assert stored(app) == {}


def test_option_absent_leaves_container_requests_alone():
    mw, app = make(allow=None)
    request(mw, '/v1/a/c', 'POST', {'X-Versions-Location': 'archive'})
    # the container server keeps the plain header, as Swift before the middleware
    assert stored(app) == {'X-Versions-Location': 'archive'}


def test_info_section_only_when_enabled():
    for allow, expected in (('true', True), ('false', False), (None, False)):
        mw, app = make(allow)
        info = app.info_registry.public_info()
        assert ('versioned_writes' in info) is expected
        if expected:
            assert info['versioned_writes'] == {
                'allowed_flags': ['x-versions-location', 'x-history-location']}


def test_account_and_other_paths_pass_through():
    mw, app = make()
    resp = request(mw, '/v1/a', 'POST', {'X-Versions-Location': 'a/b'})
    assert resp.status_int != 412
    resp = request(mw, '/info', 'GET', {'X-Versions-Location': 'a/b'})
    assert resp.status_int != 412


def test_config_states():
    assert VersionedWritesConfig.from_conf({}).allow_versioned_writes is None
    assert VersionedWritesConfig.from_conf(
        {'allow_versioned_writes': ''}).allow_versioned_writes is None
    assert VersionedWritesConfig.from_conf(
        {'allow_versioned_writes': 'no'}).allow_versioned_writes is False
    assert VersionedWritesConfig.from_conf(
        {'allow_versioned_writes': 'yes'}).allow_versioned_writes is True
    with pytest.raises(ConfigError) as err:
        versioned_writes.filter_factory({}, allow_object_versioning='true')
    assert err.value.option == 'allow_object_versioning'
    factory = versioned_writes.filter_factory({}, allow_versioned_writes='true')
    assert isinstance(factory(FakeVersionedProxy()), VersionedWritesMiddleware)


def test_info_section_matches_swift_2_38s_golden_info():
    with open('/work/shared/fixtures/swift-2.38/wire/info.pretty.json') as fp:
        golden = json.load(fp)['versioned_writes']
    mw, app = make('true')
    assert app.info_registry.public_info()['versioned_writes'] == golden
