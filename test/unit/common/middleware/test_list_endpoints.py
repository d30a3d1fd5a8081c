import json
import os
import shutil

import pytest

from swift.common.middleware import list_endpoints
from swift.common.middleware.list_endpoints import (EndpointPathError,
                                                    ListEndpointsMiddleware, node_url,
                                                    parse_endpoints_path)
from swift.common.swob import Request
from test.helpers.fake_swift import FakeSwift

FIXTURES = '/work/shared/fixtures/swift-2.38/rings'
PLACEMENT = os.path.join(FIXTURES, 'placement.json')

SWIFT_CONF = '''[swift-hash]
swift_hash_path_prefix = pre
swift_hash_path_suffix = suf

[storage-policy:0]
name = gold
default = yes

[storage-policy:1]
name = silver
'''


@pytest.fixture(scope='module')
def placement():
    if not os.path.exists(PLACEMENT):
        pytest.skip('golden ring fixtures not available')
    with open(PLACEMENT) as fp:
        return json.load(fp)


@pytest.fixture
def swift_dir(tmp_path, placement):
    """Real Swift 2.38's object ring (hash prefix 'pre', suffix 'suf') copied in as
    the account, container and both policies' object rings."""
    for name in ('account', 'container', 'object', 'object-1'):
        shutil.copy(os.path.join(FIXTURES, 'object.ring.gz'),
                    str(tmp_path / ('%s.ring.gz' % name)))
    (tmp_path / 'swift.conf').write_text(SWIFT_CONF)
    return str(tmp_path)


class FakeRing:
    """Answers every name with partition 7 on one node."""

    def __init__(self, ip='10.0.0.1'):
        self.asked = []
        self.ip = ip

    def get_nodes(self, *names):
        self.asked.append(names)
        return 7, [{'ip': self.ip, 'port': 6200, 'device': 'sdz'}]


def make(swift_dir, container_policy='0', **conf):
    app = FakeSwift()
    app.register('HEAD', '/v1/AUTH_x/c0', 204,
                 {'X-Backend-Storage-Policy-Index': container_policy})
    conf.setdefault('swift_dir', swift_dir)
    return ListEndpointsMiddleware(app, conf), app


def get(mw, path, method='GET'):
    return Request.blank(path, method=method).get_response(mw)


def expected_urls(placement, part, dev_ids, tail):
    devs = {d['id']: d for d in placement['devs'] if d}
    return ['http://%s:%s/%s/%s/%s' % (devs[i]['ip'], devs[i]['port'], devs[i]['device'],
                                       part, tail) for i in dev_ids]


def test_object_endpoints_match_swifts_placement(swift_dir, placement):
    mw, app = make(swift_dir)
    resp = get(mw, '/endpoints/AUTH_x/c0/o0')
    assert resp.status_int == 200
    assert resp.headers['Content-Type'].startswith('application/json')
    example = placement['example_get_nodes_AUTH_x_c0_o0']
    assert json.loads(resp.body) == [
        'http://%s:%s/%s/%s/AUTH_x/c0/o0' % (n['ip'], n['port'], n['device'],
                                             example['part'])
        for n in example['nodes']]
    assert app.calls_of('HEAD')[0].path == '/v1/AUTH_x/c0'
    assert app.calls_of('HEAD')[0].env['swift.source'] == 'LE'


def test_many_names_match_swifts_placement(swift_dir, placement):
    mw, _app = make(swift_dir)
    for entry in placement['names'][:40]:
        path = '%s/%s/%s' % (entry['account'], entry['container'], entry['object'])
        resp = get(mw, '/endpoints/' + path)
        assert json.loads(resp.body) == expected_urls(
            placement, entry['part'], entry['primaries'], path)


def test_unicode_names_quoted_in_urls(swift_dir, placement):
    mw, app = make(swift_dir)
    entry = placement['other_names'][0]   # AUTH_test / conté / obj/☃/😀
    app.register('HEAD', '/v1/AUTH_test/cont\xc3\xa9', 204, {})
    quoted = 'AUTH_test/cont%C3%A9/obj/%E2%98%83/%F0%9F%98%80'
    body = json.loads(get(mw, '/endpoints/' + quoted).body)
    assert body == expected_urls(placement, entry['part'], entry['primaries'], quoted)


def test_account_and_container_endpoints(swift_dir, placement):
    mw, app = make(swift_dir)
    account_only = [e for e in placement['other_names']
                    if e['container'] is None and e['account'].isascii()]
    for entry in account_only:
        body = json.loads(get(mw, '/endpoints/' + entry['account']).body)
        assert body == expected_urls(placement, entry['part'], entry['primaries'],
                                     entry['account'])
    resp = get(mw, '/endpoints/AUTH_x/c0')
    urls = json.loads(resp.body)
    assert len(urls) == 3
    assert all(url.endswith('/AUTH_x/c0') for url in urls)
    assert app.calls == []   # no container info needed


def test_v2_has_policy_index_header_for_objects(swift_dir, placement):
    mw, _app = make(swift_dir)
    v1 = json.loads(get(mw, '/endpoints/v1/AUTH_x/c0/o0').body)
    v2 = json.loads(get(mw, '/endpoints/v2/AUTH_x/c0/o0').body)
    assert v2 == {'endpoints': v1, 'headers': {'X-Backend-Storage-Policy-Index': '0'}}
    assert v1 == json.loads(get(mw, '/endpoints/AUTH_x/c0/o0').body)
    v2 = json.loads(get(mw, '/endpoints/v2/AUTH_x/c0').body)
    assert v2['headers'] == {} and len(v2['endpoints']) == 3
    assert json.loads(get(mw, '/endpoints/v2.0/AUTH_x').body)['headers'] == {}


def test_object_ring_follows_container_policy(swift_dir):
    mw, _app = make(swift_dir, container_policy='1')
    ring = FakeRing()
    mw.object_rings[1] = ring
    body = json.loads(get(mw, '/endpoints/v2/AUTH_x/c0/o0').body)
    assert body == {'endpoints': ['http://10.0.0.1:6200/sdz/7/AUTH_x/c0/o0'],
                    'headers': {'X-Backend-Storage-Policy-Index': '1'}}
    assert ring.asked == [(b'AUTH_x', b'c0', b'o0')]


def test_missing_container_means_policy_0(swift_dir):
    mw, app = make(swift_dir)
    body = json.loads(get(mw, '/endpoints/v2/AUTH_x/nope/o').body)
    assert body['headers'] == {'X-Backend-Storage-Policy-Index': '0'}
    assert len(body['endpoints']) == 3


def test_policy_ring_loaded_from_swift_dir_on_first_use(swift_dir):
    mw, _app = make(swift_dir, container_policy='1')
    get(mw, '/endpoints/AUTH_x/c0/o0')
    assert mw.object_rings[1].ring_name == 'object-1'


@pytest.mark.parametrize('path, body', [
    ('/endpoints/', b'No account specified'),
    ('/endpoints/v1/', b'No account specified'),
    ('/endpoints/v2', b'No account specified'),
    ('/endpoints/v3/AUTH_x', b"Unsupported version 'v3'"),
    ('/endpoints/v1.5/AUTH_x/c', b"Unsupported version 'v1.5'"),
    ('/endpoints/vx/AUTH_x', b"Unsupported version 'vx'"),
])
def test_bad_paths_are_400(swift_dir, path, body):
    mw, _app = make(swift_dir)
    resp = get(mw, path)
    assert (resp.status_int, resp.body) == (400, body)


def test_parse_endpoints_path():
    assert parse_endpoints_path('/a/c/o/x') == (1.0, 'a', 'c', 'o/x')
    assert parse_endpoints_path('/v2/a') == (2.0, 'a', None, None)
    assert parse_endpoints_path('/v_3/c') == (1.0, 'v_3', 'c', None)  # an account
    assert parse_endpoints_path('/AUTH_a/c') == (1.0, 'AUTH_a', 'c', None)
    with pytest.raises(EndpointPathError):
        parse_endpoints_path('/v9/a')


def test_only_get(swift_dir):
    mw, _app = make(swift_dir)
    for method in ('PUT', 'POST', 'HEAD', 'DELETE'):
        resp = get(mw, '/endpoints/AUTH_x/c0/o0', method)
        assert resp.status_int == 405
        assert resp.headers['Allow'] == 'GET'


def test_other_paths_pass_through(swift_dir):
    mw, app = make(swift_dir)
    assert get(mw, '/v1/AUTH_x/c0/o0').status_int == 404
    assert get(mw, '/endpointsX/a').status_int == 404
    assert [c.path for c in app.calls] == ['/v1/AUTH_x/c0/o0', '/endpointsX/a']


def test_list_endpoints_path_option(swift_dir):
    mw, app = make(swift_dir, list_endpoints_path='/where')
    assert len(json.loads(get(mw, '/where/AUTH_x/c0/o0').body)) == 3
    assert get(mw, '/endpoints/AUTH_x').status_int == 404


def test_node_url_brackets_ipv6():
    node = {'ip': 'fe80::1', 'port': 6200, 'device': 'd1'}
    assert node_url(node, 3, ('a', 'c', 'o b')) == 'http://[fe80::1]:6200/d1/3/a/c/o%20b'


def test_filter_factory(swift_dir):
    mw = list_endpoints.filter_factory({'swift_dir': swift_dir})(FakeSwift())
    assert isinstance(mw, ListEndpointsMiddleware)
    assert mw.endpoints_path == '/endpoints/'
