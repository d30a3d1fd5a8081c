"""Object requests through the proxy against fake storage nodes."""

import hashlib

import pytest

from test.unit.proxy.helpers import call, chunked_environ, make_container

OBJ = '/v1/AUTH_test/c/o'


@pytest.fixture
def ready(app, cluster):
    make_container(app)
    cluster.requests.clear()
    return app


def object_puts(cluster):
    return [r for r in cluster.requests if r.method == 'PUT' and r.path.count('/') >= 3]


def test_put_sends_quorum_headers_and_returns_etag(ready, cluster, clock):
    resp = call(ready, OBJ, 'PUT', body=b'abc', headers={'Content-Type': 'text/plain'})
    assert resp.status_int == 201
    assert resp.headers['Etag'] == hashlib.md5(b'abc').hexdigest()
    assert resp.headers['Last-Modified'] == 'Tue, 14 Nov 2023 22:13:21 GMT'
    puts = object_puts(cluster)
    assert len(puts) == 3
    assert {r.node['port'] for r in puts} == {p['port'] for p in
                                              ready.get_object_ring(0).get_part_nodes(
                                                  puts[0].partition)}
    timestamps = {r.headers['X-Timestamp'] for r in puts}
    assert timestamps == {'1700000000.00000'}
    hosts = [r.headers['X-Container-Host'] for r in puts]
    assert len(set(hosts)) == 3 and all(',' not in h for h in hosts)
    assert all(r.headers['X-Container-Partition'] for r in puts)
    assert all(r.headers['X-Backend-Storage-Policy-Index'] == '0' for r in puts)
    assert all(r.headers['Expect'] == '100-continue' for r in puts)
    assert all(r.body == b'abc' and r.headers['Content-Length'] == '3' for r in puts)
    assert all(r.path == '/AUTH_test/c/o' for r in puts)
    assert 'X-Auth-Token' not in puts[0].headers


def test_put_uses_handoff_for_down_primary(ready, cluster):
    ring = ready.get_object_ring(0)
    partition = ring.get_part(b'AUTH_test', b'c', b'o')
    primaries = ring.get_part_nodes(partition)
    cluster.down.add(primaries[1]['port'])
    resp = call(ready, OBJ, 'PUT', body=b'data')
    assert resp.status_int == 201
    puts = object_puts(cluster)
    handoff = next(ring.get_more_nodes(partition))
    assert {r.node['port'] for r in puts} == {primaries[0]['port'], primaries[2]['port'],
                                              handoff['port']}
    # the handoff carries the down primary's container update
    assert len({r.headers['X-Container-Host'] for r in puts}) == 3
    resp = call(ready, OBJ)
    assert (resp.status_int, resp.body) == (200, b'data')


def test_put_fails_without_quorum(ready, cluster):
    for dev in ready.get_object_ring(0).devs:
        cluster.expect_overrides[dev['port']] = 507
    resp = call(ready, OBJ, 'PUT', body=b'data')
    assert resp.status_int == 503
    assert not [key for key in cluster.store if key[2] == '/AUTH_test/c/o']


def test_put_quorum_2_of_3_when_one_fails_mid_body(ready, cluster):
    ring = ready.get_object_ring(0)
    partition = ring.get_part(b'AUTH_test', b'c', b'o')
    primaries = ring.get_part_nodes(partition)
    cluster.send_failures.add(primaries[0]['port'])
    assert call(ready, OBJ, 'PUT', body=b'data').status_int == 201
    cluster.send_failures.add(primaries[1]['port'])
    assert call(ready, OBJ, 'PUT', body=b'data2').status_int == 503


def test_bl08_zero_byte_put_with_bad_etag_is_422(ready, cluster):
    resp = call(ready, OBJ, 'PUT', body=b'', headers={'Etag': '"catbus"'})
    assert resp.status_int == 422
    assert call(ready, OBJ, 'HEAD').status_int == 404


def test_put_bad_etag_is_422(ready):
    resp = call(ready, OBJ, 'PUT', body=b'abc', headers={'Etag': 'nope'})
    assert resp.status_int == 422


def test_put_length_and_size_checks(ready, cluster):
    resp = call(ready, OBJ, 'PUT', environ={'CONTENT_LENGTH': None})
    assert resp.status_int == 411
    resp = call(ready, OBJ, 'PUT', headers={'Content-Length': str(5368709122 + 1)})
    assert resp.status_int == 413
    assert resp.body == b'Your request is too large.'
    resp = call(ready, '/v1/AUTH_test/c/' + 'x' * 1025, 'PUT', body=b'a')
    assert resp.status_int == 400
    assert resp.body == b'Object name length of 1025 longer than 1024'
    resp = call(ready, OBJ, 'PUT', body=b'a', headers={'X-Object-Meta-' + 'k' * 129: 'v'})
    assert resp.status_int == 400
    assert object_puts(cluster) == []


def test_chunked_put(ready, cluster):
    resp = call(ready, OBJ, 'PUT', environ=chunked_environ(b'chunky body'))
    assert resp.status_int == 201
    puts = object_puts(cluster)
    assert all(r.headers['Transfer-Encoding'] == 'chunked' for r in puts)
    assert all(r.body == b'chunky body' for r in puts)
    assert all('Content-Length' not in r.headers for r in puts)


def test_put_short_body_is_499(ready):
    environ = {'CONTENT_LENGTH': '10'}
    import io
    environ['wsgi.input'] = io.BytesIO(b'abc')
    resp = call(ready, OBJ, 'PUT', environ=environ)
    assert resp.status_int == 499


def test_put_to_missing_container_is_404(app, cluster):
    assert call(app, '/v1/AUTH_test/nope/o', 'PUT', body=b'x').status_int == 404


def test_if_none_match_star_gives_412(ready):
    assert call(ready, OBJ, 'PUT', body=b'1').status_int == 201
    resp = call(ready, OBJ, 'PUT', body=b'2', headers={'If-None-Match': '*'})
    assert resp.status_int == 412


def test_default_content_type_guessed(ready, cluster):
    call(ready, '/v1/AUTH_test/c/pic.png', 'PUT', body=b'x')
    assert object_puts(cluster)[0].headers['Content-Type'] == 'image/png'
    cluster.requests.clear()
    call(ready, '/v1/AUTH_test/c/blob', 'PUT', body=b'x')
    assert object_puts(cluster)[0].headers['Content-Type'] == 'application/octet-stream'


def test_delete_after_becomes_delete_at_with_expirer_headers(ready, cluster, clock):
    resp = call(ready, OBJ, 'PUT', body=b'x', headers={'X-Delete-After': '100'})
    assert resp.status_int == 201
    puts = object_puts(cluster)
    assert {r.headers['X-Delete-At'] for r in puts} == {'1700000100'}
    assert all('X-Delete-After' not in r.headers for r in puts)
    containers = {r.headers['X-Delete-At-Container'] for r in puts}
    assert len(containers) == 1
    value = int(containers.pop())
    assert value % 86400 > 86400 - 100 and value < 1700000100
    assert len({r.headers['X-Delete-At-Host'] for r in puts}) == 3
    assert sorted(r.headers['X-Backend-Clean-Expiring-Object-Queue'] for r in puts) == \
        ['f', 't', 't']


@pytest.mark.parametrize('headers,body', [
    ({'X-Delete-After': 'soon'}, b'Non-integer X-Delete-After'),
    ({'X-Delete-After': '-1'}, b'X-Delete-After in past'),
    ({'X-Delete-At': 'x'}, b'Non-integer X-Delete-At'),
    ({'X-Delete-At': '9999999999.5'}, b'Non-integer X-Delete-At'),
    ({'X-Delete-At': '1600000000'}, b'X-Delete-At in past')])
def test_bad_delete_at(ready, headers, body):
    resp = call(ready, OBJ, 'PUT', body=b'x', headers=headers)
    assert (resp.status_int, resp.body) == (400, body)


def test_get_fails_over_and_404_body(ready, cluster):
    call(ready, OBJ, 'PUT', body=b'payload')
    ring = ready.get_object_ring(0)
    primaries = ring.get_part_nodes(ring.get_part(b'AUTH_test', b'c', b'o'))
    cluster.down.add(primaries[0]['port'])
    cluster.overrides[primaries[1]['port']] = 500
    resp = call(ready, OBJ)
    assert (resp.status_int, resp.body) == (200, b'payload')
    assert resp.headers['Content-Length'] == '7'
    resp = call(ready, '/v1/AUTH_test/c/missing')
    assert resp.status_int == 404
    assert resp.body == (b'<html><h1>Not Found</h1><p>The resource could not be '
                         b'found.</p></html>')
    assert resp.headers['Content-Type'] == 'text/html; charset=UTF-8'


def test_head_with_x_newest_picks_newest(ready, cluster, clock):
    call(ready, OBJ, 'PUT', body=b'old')
    ring = ready.get_object_ring(0)
    primaries = ring.get_part_nodes(ring.get_part(b'AUTH_test', b'c', b'o'))
    # make the last primary hold a newer copy
    key = (primaries[2]['port'], primaries[2]['device'], '/AUTH_test/c/o')
    cluster.store[key]['ts'] = '1700000005.00000'
    cluster.store[key]['headers']['X-Timestamp'] = '1700000005.00000'
    cluster.store[key]['body'] = b'new'
    assert call(ready, OBJ).body == b'old'
    assert call(ready, OBJ, headers={'X-Newest': 'true'}).body == b'new'


def test_post_and_delete(ready, cluster):
    call(ready, OBJ, 'PUT', body=b'x', headers={'X-Object-Meta-A': '1'})
    resp = call(ready, OBJ, 'POST', headers={'X-Object-Meta-B': '2'})
    assert resp.status_int == 202
    head = call(ready, OBJ, 'HEAD')
    assert head.headers.get('X-Object-Meta-B') == '2'
    assert 'X-Object-Meta-A' not in head.headers
    posts = [r for r in cluster.requests if r.method == 'POST']
    assert len(posts) == 3 and all('X-Container-Host' in r.headers for r in posts)
    assert call(ready, OBJ, 'DELETE').status_int == 204
    assert call(ready, OBJ, 'DELETE').status_int == 404


def test_policy_1_object_uses_its_ring(app, cluster):
    make_container(app, '/v1/AUTH_test/s', {'X-Storage-Policy': 'silver'})
    cluster.requests.clear()
    assert call(app, '/v1/AUTH_test/s/o', 'PUT', body=b'x').status_int == 201
    puts = object_puts(cluster)
    assert len(puts) == 2
    assert all(r.node['port'] >= 7000 for r in puts)
    assert all(r.headers['X-Backend-Storage-Policy-Index'] == '1' for r in puts)


def test_unicode_object_name_roundtrip(ready, cluster):
    path = '/v1/AUTH_test/c/%C3%BCn%C3%AFc%C3%B8d%C3%A9/%E2%98%83/%F0%9F%98%80.txt'
    assert call(ready, path, 'PUT', body=b'u').status_int == 201
    put = object_puts(cluster)[0]
    assert put.path == '/AUTH_test/c/\u00fcn\u00efc\u00f8d\u00e9/\u2603/\U0001F600.txt'\
        .encode('utf-8').decode('latin-1')
    assert call(ready, path).body == b'u'


def test_get_resumes_from_next_node_when_backend_dies(ready, cluster, make_app):
    body = bytes(range(256)) * 1024   # 256 KiB: several proxy chunks
    assert call(ready, OBJ, 'PUT', body=body).status_int == 201
    ring = ready.get_object_ring(0)
    primaries = ring.get_part_nodes(ring.get_part(b'AUTH_test', b'c', b'o'))
    cluster.broken_reads[primaries[0]['port']] = 70000
    cluster.broken_reads[primaries[1]['port']] = 10000   # dies again after resuming
    cluster.requests.clear()
    resp = call(ready, OBJ)
    assert resp.status_int == 200
    assert resp.body == body
    gets = [r for r in cluster.requests if r.method == 'GET']
    assert [r.headers.get('Range') for r in gets] == [
        None, 'bytes=70000-262143', 'bytes=80000-262143']
    assert gets[1].headers['If-Match'] == hashlib.md5(body).hexdigest()


def test_get_range_resumes_within_range(ready, cluster):
    body = b'x' * 100000 + b'y' * 100000
    call(ready, OBJ, 'PUT', body=body)
    ring = ready.get_object_ring(0)
    primaries = ring.get_part_nodes(ring.get_part(b'AUTH_test', b'c', b'o'))
    cluster.broken_reads[primaries[0]['port']] = 65536
    resp = call(ready, OBJ, headers={'Range': 'bytes=50000-150000'})
    assert resp.status_int == 206
    assert resp.body == body[50000:150001]


def test_newer_tombstone_beats_older_copy_on_handoff(ready, cluster, clock):
    ring = ready.get_object_ring(0)
    partition = ring.get_part(b'AUTH_test', b'c', b'o')
    primaries = ring.get_part_nodes(partition)
    handoff = next(ring.get_more_nodes(partition))
    # an old copy lives only on a handoff; the primaries hold a newer deletion
    cluster.store[(handoff['port'], handoff['device'], '/AUTH_test/c/o')] = {
        'headers': {'Etag': 'x', 'X-Timestamp': '1699999990.00000',
                    'Content-Length': '3'}, 'body': b'old', 'ts': '1699999990.00000'}
    for node in primaries:
        cluster.store[(node['port'], node['device'], '/AUTH_test/c/o')] = {
            'deleted': True, 'ts': '1699999995.00000'}
    assert call(ready, OBJ).status_int == 404
    # without the tombstones the handoff copy is found
    for node in primaries:
        del cluster.store[(node['port'], node['device'], '/AUTH_test/c/o')]
    assert call(ready, OBJ).body == b'old'


def test_if_none_match_only_star(ready):
    resp = call(ready, OBJ, 'PUT', body=b'1', headers={'If-None-Match': '"abc"'})
    assert (resp.status_int, resp.body) == (400, b'If-None-Match only supports *')


def test_internal_x_timestamp_is_kept_and_validated(ready, cluster):
    resp = call(ready, OBJ, 'PUT', body=b'x', headers={'X-Timestamp': '1600000000.5'})
    assert resp.status_int == 201
    assert {r.headers['X-Timestamp'] for r in object_puts(cluster)} == {'1600000000.50000'}
    bad = call(ready, OBJ, 'DELETE', headers={'X-Timestamp': 'yesterday'})
    assert bad.status_int == 400


def test_slow_node_does_not_hold_up_a_decided_put(make_app, cluster):
    from swift.common import concurrency
    app = make_app({'post_quorum_timeout': '0'})
    make_container(app)
    ring = app.get_object_ring(0)
    primaries = ring.get_part_nodes(ring.get_part(b'AUTH_test', b'c', b'o'))
    gate = concurrency.Event()
    cluster.hold[primaries[2]['port']] = gate
    try:
        assert call(app, OBJ, 'PUT', body=b'x').status_int == 201
        assert not gate.ready()     # answered while the third node still hangs
        assert call(app, OBJ, 'DELETE').status_int == 204
    finally:
        gate.send()
        concurrency.sleep(0)


def test_get_resumes_when_backend_hangs_up_early(ready, cluster):
    body = b'z' * 200000
    call(ready, OBJ, 'PUT', body=body)
    ring = ready.get_object_ring(0)
    primaries = ring.get_part_nodes(ring.get_part(b'AUTH_test', b'c', b'o'))
    cluster.closed_reads[primaries[0]['port']] = 100000
    resp = call(ready, OBJ)
    assert resp.body == body
    gets = [r for r in cluster.requests if r.method == 'GET']
    assert gets[-1].headers['Range'] == 'bytes=100000-199999'


def test_early_412_closes_the_other_connections(ready, cluster):
    ring = ready.get_object_ring(0)
    primaries = ring.get_part_nodes(ring.get_part(b'AUTH_test', b'c', b'o'))
    cluster.expect_overrides[primaries[0]['port']] = 412
    resp = call(ready, OBJ, 'PUT', body=b'abc', headers={'If-None-Match': '*'})
    assert resp.status_int == 412
    others = [r for r in object_puts(cluster) if r.node['port'] != primaries[0]['port']]
    assert len(others) == 2 and all(r.closed and r.body == b'' for r in others)


def test_swift_bytes_param_hidden():
    from swift.proxy.controllers.obj import clean_content_type
    assert clean_content_type('text/plain;swift_bytes=123') == 'text/plain'
    assert clean_content_type('text/plain; charset=utf-8') == 'text/plain; charset=utf-8'
    assert clean_content_type('a/b;x=1;swift_bytes=5') == 'a/b;x=1'


def test_failing_node_is_error_limited(make_app, cluster, clock):
    app = make_app({'error_suppression_limit': '2', 'error_suppression_interval': '60'})
    make_container(app)
    ring = app.get_object_ring(0)
    primaries = ring.get_part_nodes(ring.get_part(b'AUTH_test', b'c', b'o'))
    bad = primaries[0]['port']
    cluster.overrides[bad] = 500
    for _ in range(3):
        clock.advance(1)
        call(app, OBJ, 'PUT', body=b'x')
    cluster.requests.clear()
    clock.advance(1)
    assert call(app, OBJ, 'PUT', body=b'x').status_int == 201
    assert bad not in [r.node['port'] for r in cluster.requests]    # skipped now
    clock.advance(61)
    cluster.requests.clear()
    call(app, OBJ, 'PUT', body=b'x')
    assert bad in [r.node['port'] for r in cluster.requests]        # tried again


def test_507_limits_a_node_at_once(ready, cluster, clock):
    ring = ready.get_object_ring(0)
    primaries = ring.get_part_nodes(ring.get_part(b'AUTH_test', b'c', b'o'))
    cluster.expect_overrides[primaries[1]['port']] = 507
    assert call(ready, OBJ, 'PUT', body=b'x').status_int == 201
    cluster.requests.clear()
    clock.advance(1)
    assert call(ready, OBJ, 'PUT', body=b'y').status_int == 201
    assert primaries[1]['port'] not in [r.node['port'] for r in cluster.requests]


def test_put_older_than_stored_is_202(ready, cluster):
    assert call(ready, OBJ, 'PUT', body=b'new').status_int == 201
    # same proxy time again: every object server refuses with 409
    assert call(ready, OBJ, 'PUT', body=b'old').status_int == 202
    assert call(ready, OBJ).body == b'new'
