"""Account and container requests through the proxy."""

import json

from test.unit.proxy.helpers import call, make_container


def requests(cluster, method, depth):
    return [r for r in cluster.requests
            if r.method == method and len(r.path.strip('/').split('/')) == depth]


def test_container_put_autocreates_account_and_sends_account_headers(app, cluster):
    resp = call(app, '/v1/AUTH_new/c', 'PUT')
    assert resp.status_int == 201
    account_puts = requests(cluster, 'PUT', 1)
    assert len(account_puts) == 3
    assert all(r.path == '/AUTH_new' for r in account_puts)
    container_puts = requests(cluster, 'PUT', 2)
    assert len(container_puts) == 3
    hosts = [r.headers['X-Account-Host'] for r in container_puts]
    assert len(set(hosts)) == 3
    assert all(r.headers['X-Account-Partition'] for r in container_puts)
    assert all(r.headers['X-Account-Device'].startswith('sd') for r in container_puts)
    assert len({r.headers['X-Timestamp'] for r in container_puts}) == 1
    assert all(r.headers['X-Backend-Storage-Policy-Default'] == '0'
               for r in container_puts)
    # second PUT: exists -> 202, no new account PUT
    cluster.requests.clear()
    assert call(app, '/v1/AUTH_new/c', 'PUT').status_int == 202
    assert requests(cluster, 'PUT', 1) == []


def test_container_put_without_autocreate_is_404(make_app, cluster):
    app = make_app({'account_autocreate': 'false'})
    assert call(app, '/v1/AUTH_none/c', 'PUT').status_int == 404


def test_storage_policy_choice(app, cluster):
    resp = call(app, '/v1/AUTH_test/s', 'PUT', headers={'X-Storage-Policy': 'silver'})
    assert resp.status_int == 201
    assert {r.headers['X-Backend-Storage-Policy-Index']
            for r in requests(cluster, 'PUT', 2)} == {'1'}
    head = call(app, '/v1/AUTH_test/s', 'HEAD')
    assert head.status_int == 204
    assert head.headers['X-Storage-Policy'] == 'silver'
    bad = call(app, '/v1/AUTH_test/b', 'PUT', headers={'X-Storage-Policy': 'bronze'})
    assert (bad.status_int, bad.body) == (400, b"Invalid X-Storage-Policy 'bronze'")


def test_container_name_too_long(app):
    resp = call(app, '/v1/AUTH_test/' + 'c' * 257, 'PUT')
    assert (resp.status_int, resp.body) == (400, b'Container name length of 257 '
                                                 b'longer than 256')


def test_container_info_cached_with_swift_keys(app, cluster, cache):
    make_container(app)
    assert call(app, '/v1/AUTH_test/c', 'HEAD').status_int == 204
    info = cache.data['container/AUTH_test/c']
    assert info['status'] == 204 and info['storage_policy'] == '0'
    assert cache.ttls['container/AUTH_test/c'] == 60
    assert cache.data['account/AUTH_test']['status'] == 204
    # object requests now use the cache: no container HEAD to backends
    cluster.requests.clear()
    call(app, '/v1/AUTH_test/c/o', 'PUT', body=b'x')
    assert requests(cluster, 'HEAD', 2) == []
    # a 404 is cached for a tenth of the time
    call(app, '/v1/AUTH_test/missing', 'HEAD')
    assert cache.ttls['container/AUTH_test/missing'] == 6.0
    # writes clear the cache
    call(app, '/v1/AUTH_test/c', 'POST', headers={'X-Container-Meta-A': 'b'})
    assert 'container/AUTH_test/c' not in cache.data


def test_missing_account_reads_as_empty_with_autocreate(app, cluster):
    head = call(app, '/v1/AUTH_nobody', 'HEAD')
    assert head.status_int == 204
    assert head.headers['X-Account-Container-Count'] == '0'
    assert head.headers['X-Account-Bytes-Used'] == '0'
    get = call(app, '/v1/AUTH_nobody?format=json')
    assert (get.status_int, get.body) == (200, b'[]')
    assert requests(cluster, 'PUT', 1) == []      # reading creates nothing


def test_missing_account_404_without_autocreate(make_app):
    app = make_app({'account_autocreate': 'false'})
    assert call(app, '/v1/AUTH_nobody', 'HEAD').status_int == 404


def test_account_post_autocreates(app, cluster):
    resp = call(app, '/v1/AUTH_fresh', 'POST', headers={'X-Account-Meta-Color': 'red'})
    assert resp.status_int == 204
    assert len(requests(cluster, 'PUT', 1)) == 3
    posts = requests(cluster, 'POST', 1)
    assert all(r.headers['X-Account-Meta-Color'] == 'red' for r in posts)
    head = call(app, '/v1/AUTH_fresh', 'HEAD')
    assert head.headers['X-Account-Meta-Color'] == 'red'


def test_account_put_delete_need_account_management(make_app, app):
    assert call(app, '/v1/AUTH_x', 'PUT').status_int == 405
    assert call(app, '/v1/AUTH_x', 'DELETE').status_int == 405
    managed = make_app({'allow_account_management': 'true'})
    assert call(managed, '/v1/AUTH_x', 'PUT').status_int == 201
    assert call(managed, '/v1/AUTH_x?junk=1', 'DELETE').status_int == 400
    assert call(managed, '/v1/AUTH_x', 'DELETE').status_int == 204


def test_account_name_too_long(app):
    resp = call(app, '/v1/' + 'a' * 257, 'HEAD')
    assert resp.status_int == 400


def test_container_metadata_and_removal(app, cluster):
    make_container(app)
    cluster.requests.clear()
    resp = call(app, '/v1/AUTH_test/c', 'POST', headers={
        'X-Container-Meta-Keep': 'v', 'X-Remove-Container-Meta-Gone': 'x',
        'X-Container-Read': '.r:*'})
    assert resp.status_int == 204
    posts = requests(cluster, 'POST', 2)
    assert posts[0].headers['X-Container-Meta-Gone'] == ''
    assert posts[0].headers['X-Container-Meta-Keep'] == 'v'
    assert 'X-Container-Read' not in posts[0].headers   # not the owner
    too_many = {'X-Container-Meta-K%d' % i: 'v' for i in range(91)}
    resp = call(app, '/v1/AUTH_test/c', 'POST', headers=too_many)
    assert (resp.status_int, resp.body) == (400, b'Too many metadata items; max 90')


def test_container_delete(app, cluster):
    make_container(app)
    assert call(app, '/v1/AUTH_test/c', 'DELETE').status_int == 204
    assert call(app, '/v1/AUTH_test/c', 'DELETE').status_int == 404
    deletes = requests(cluster, 'DELETE', 2)
    assert all('X-Account-Host' in r.headers for r in deletes)


def test_container_listing_passthrough_asks_json(app, cluster):
    make_container(app)
    for key, value in cluster.store.items():
        if key[2] == '/AUTH_test/c':
            value['listing'] = [{'name': 'o', 'bytes': 1}]
    resp = call(app, '/v1/AUTH_test/c?prefix=o')
    assert resp.status_int == 200
    assert json.loads(resp.body) == [{'name': 'o', 'bytes': 1}]
    get = requests(cluster, 'GET', 2)[-1]
    assert 'format=json' in get.query and 'prefix=o' in get.query


def test_container_get_fails_over(app, cluster):
    make_container(app)
    ring = app.container_ring
    primaries = ring.get_part_nodes(ring.get_part(b'AUTH_test', b'c'))
    cluster.down.add(primaries[0]['port'])
    app.memcache.data.clear()
    assert call(app, '/v1/AUTH_test/c', 'HEAD').status_int == 204


def test_account_acl_stored_as_sysmeta_and_shown_to_owner(app, cluster):
    from swift.common.middleware.tempauth import parse_account_acl
    app.account_acl_translator = parse_account_acl
    owner = {'swift_owner': True}
    resp = call(app, '/v1/AUTH_test', 'POST', environ=dict(owner),
                headers={'X-Account-Access-Control': '{"read-only": ["a:b"]}'})
    assert resp.status_int == 204
    posts = requests(cluster, 'POST', 1)
    assert posts[-1].headers['X-Account-Sysmeta-Core-Access-Control'] == \
        '{"read-only":["a:b"]}'
    assert 'X-Account-Access-Control' not in posts[-1].headers
    bad = call(app, '/v1/AUTH_test', 'POST', environ=dict(owner),
               headers={'X-Account-Access-Control': '{"boss": []}'})
    assert bad.status_int == 400
    # a non-owner cannot set it (dropped silently, as Swift does)
    cluster.requests.clear()
    call(app, '/v1/AUTH_test', 'POST',
         headers={'X-Account-Access-Control': '{"admin": ["x:y"]}'})
    assert 'X-Account-Sysmeta-Core-Access-Control' not in \
        requests(cluster, 'POST', 1)[-1].headers
    owner_head = call(app, '/v1/AUTH_test', 'HEAD', environ={'swift_owner': True})
    assert owner_head.headers['X-Account-Access-Control'] == '{"read-only":["a:b"]}'
    other_head = call(app, '/v1/AUTH_test', 'HEAD')
    assert 'X-Account-Access-Control' not in other_head.headers


def test_max_containers_per_account(make_app, cluster):
    app = make_app({'max_containers_per_account': '1',
                    'max_containers_whitelist': 'AUTH_vip'})
    make_container(app, '/v1/AUTH_test/one')
    for key, value in cluster.store.items():
        if key[2] == '/AUTH_test':
            value['meta']['X-Account-Container-Count'] = '1'
    app.memcache.data.clear()
    resp = call(app, '/v1/AUTH_test/two', 'PUT')
    assert (resp.status_int, resp.body) == (403, b'Reached container limit of 1')
    assert call(app, '/v1/AUTH_test/one', 'PUT').status_int == 202   # existing is fine
    make_container(app, '/v1/AUTH_vip/one')
    for key, value in cluster.store.items():
        if key[2] == '/AUTH_vip':
            value['meta']['X-Account-Container-Count'] = '5'
    app.memcache.data.clear()
    assert call(app, '/v1/AUTH_vip/two', 'PUT').status_int == 201


def test_account_info_has_per_policy_stats(app, cluster, cache):
    make_container(app)
    for key, value in cluster.store.items():
        if key[2] == '/AUTH_test':
            value['meta'].update({
                'X-Account-Storage-Policy-Silver-Object-Count': '3',
                'X-Account-Storage-Policy-Silver-Bytes-Used': '30',
                'X-Account-Storage-Policy-Silver-Container-Count': '1'})
    cache.data.clear()
    call(app, '/v1/AUTH_test', 'HEAD')
    stats = cache.data['account/AUTH_test']['storage_policies']
    assert stats['1'] == {'container_count': 1, 'object_count': 3, 'bytes': 30}
    assert stats['0'] == {'container_count': 0, 'object_count': 0, 'bytes': 0}
