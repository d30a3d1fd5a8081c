"""Probe tests of account and container replication on the all-in-one (issue 7,
acceptance 2): a container listing and the account listing converge after a container
server was down during 100 object PUTs; an account DB catches up on containers created
while its server was down; a container created while a primary was down ends on its
primaries and leaves no handoff DB; a wiped container device is refilled; a DB far
behind is copied whole and merged (``rsync_then_merge``), one a little behind gets
rows capped by ``per_diff`` x ``max_diffs`` per pass; deletes and reclaim.

Every daemon pass is ``swift-init <daemon> once -c N`` for each node on a cluster
without background daemons."""

import glob
import json
import os
import shutil
import time

import pytest

from test.probe import probe_helpers as ph

pytestmark = pytest.mark.probe


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    saio = ph.module_cluster(tmp_path_factory, 'dbrepl')
    try:
        yield saio
    finally:
        saio.down()


def once(cluster, daemon):
    """One pass of ``daemon`` on each node, node after node.

    Not all four at once: two peers that find the same primary without the DB both
    rsync it there, and the later ``complete_rsync`` is answered 404 (the DB exists
    now, as in Swift), which keeps a handoff DB until the next pass."""
    out = ph.daemon_once(cluster, daemon, nodes=(1, 2, 3, 4))
    assert 'Traceback' not in out, out
    return out


def db_nodes(cluster, kind, account, container=None):
    """Sorted node numbers holding the DB of ``account[/container]`` (any partition)."""
    from swift.common.hashing import HashPathConfig, hash_path
    name_hash = hash_path(account, container,
                          config=HashPathConfig.from_swift_dir(cluster.env['SWIFT_DIR']))
    nodes = []
    for node in (1, 2, 3, 4):
        pattern = os.path.join(cluster.devices_root(kind, node), '*', kind + 's', '*',
                               name_hash[-3:], name_hash, name_hash + '.db')
        if glob.glob(pattern):
            nodes.append(node)
    return nodes


def container_listing(dev, part, container):
    status, headers, body = ph.direct(dev, part, 'GET', 'AUTH_test', container,
                                      query='format=json')
    assert status == 200, (dev, status)
    return headers, [item['name'] for item in json.loads(body)]


def account_listing(dev, part, account='AUTH_test'):
    status, _headers, body = ph.direct(dev, part, 'GET', account, query='format=json')
    assert status == 200, (dev, status, body)
    return {item['name']: item for item in json.loads(body)}


def async_pendings(cluster):
    found = []
    for node in (1, 2, 3, 4):
        found += glob.glob(os.path.join(cluster.devices_root('object', node), '*',
                                        'async_pending*', '*', '*'))
    return found


def test_listings_converge_after_container_server_down_during_puts(cluster):
    container = 'converge'
    assert cluster.raw('PUT', '/' + container).status in (201, 202)
    cpart, cnodes = ph.primaries(cluster, 'container', 'AUTH_test', container)
    victim = ph.node_number(cnodes[0])
    names = ['o%03d' % i for i in range(100)]
    ph.stop_server(cluster, 'container', victim)
    try:
        for name in names:
            resp = cluster.raw('PUT', '/%s/%s' % (container, name), body=b'12345')
            assert resp.status == 201, resp
    finally:
        ph.start_server(cluster, 'container', victim)
    assert container_listing(cnodes[0], cpart, container)[1] == []
    assert len(async_pendings(cluster)) == 100

    once(cluster, 'container-replicator')

    for dev in cnodes:
        headers, listed = container_listing(dev, cpart, container)
        assert listed == names, (dev, len(listed))
        assert headers['x-container-object-count'] == '100'
        assert headers['x-container-bytes-used'] == '500'

    once(cluster, 'object-updater')
    assert async_pendings(cluster) == []
    once(cluster, 'container-updater')

    apart, anodes = ph.primaries(cluster, 'account', 'AUTH_test')
    for dev in anodes:
        entry = account_listing(dev, apart).get(container)
        assert entry and entry['count'] == 100 and entry['bytes'] == 500, (dev, entry)
    proxy = {item['name']: item for item in cluster.json_get('?format=json')}
    assert proxy[container]['count'] == 100 and proxy[container]['bytes'] == 500
    assert db_nodes(cluster, 'container', 'AUTH_test', container) == sorted(
        ph.node_number(dev) for dev in cnodes)


def test_account_db_catches_up_on_containers_made_while_it_was_down(cluster):
    apart, anodes = ph.primaries(cluster, 'account', 'AUTH_test')
    victim_dev = anodes[1]
    victim = ph.node_number(victim_dev)
    names = ['acct-%d' % i for i in range(5)]
    ph.stop_server(cluster, 'account', victim)
    try:
        for name in names:
            assert cluster.raw('PUT', '/' + name).status in (201, 202)
    finally:
        ph.start_server(cluster, 'account', victim)
    assert not set(names) & set(account_listing(victim_dev, apart))

    once(cluster, 'account-replicator')

    for dev in anodes:
        assert set(names) <= set(account_listing(dev, apart)), dev
    assert db_nodes(cluster, 'account', 'AUTH_test') == sorted(
        ph.node_number(dev) for dev in anodes)


def test_container_made_while_primary_down_leaves_no_handoff_db(cluster):
    container = 'handoff-db'
    cpart, cnodes = ph.primaries(cluster, 'container', 'AUTH_test', container)
    primary_nodes = sorted(ph.node_number(dev) for dev in cnodes)
    victim = ph.node_number(cnodes[2])
    ph.stop_server(cluster, 'container', victim)
    try:
        assert cluster.raw('PUT', '/' + container,
                           headers={'X-Container-Meta-Flavor': 'mint'}).status == 201
        assert cluster.raw('PUT', '/%s/o' % container, body=b'x').status == 201
    finally:
        ph.start_server(cluster, 'container', victim)
    holders = db_nodes(cluster, 'container', 'AUTH_test', container)
    assert victim not in holders and len(holders) == 3, holders

    once(cluster, 'container-replicator')

    assert db_nodes(cluster, 'container', 'AUTH_test', container) == primary_nodes
    for dev in cnodes:
        headers, listed = container_listing(dev, cpart, container)
        assert listed == ['o'], dev
        assert headers.get('x-container-meta-flavor') == 'mint', (dev, headers)


def test_wiped_container_device_is_refilled(cluster):
    containers = ['wiped-%d' % i for i in range(8)]
    for name in containers:
        assert cluster.raw('PUT', '/' + name).status in (201, 202)
        assert cluster.raw('PUT', '/%s/obj' % name, body=b'abc').status == 201
    wiped = 3
    expected = {}
    for name in containers:
        _part, nodes = ph.primaries(cluster, 'container', 'AUTH_test', name)
        expected[name] = sorted(ph.node_number(dev) for dev in nodes)
    assert any(wiped in nodes for nodes in expected.values())
    device = os.path.join(cluster.devices_root('container', wiped), 'sdb%d' % wiped)
    shutil.rmtree(os.path.join(device, 'containers'))
    assert not any(wiped in db_nodes(cluster, 'container', 'AUTH_test', name)
                   for name in containers)

    once(cluster, 'container-replicator')

    for name in containers:
        assert db_nodes(cluster, 'container', 'AUTH_test', name) == expected[name], name
        part, nodes = ph.primaries(cluster, 'container', 'AUTH_test', name)
        for dev in nodes:
            assert container_listing(dev, part, name)[1] == ['obj'], (name, dev)


def test_container_deleted_while_primary_down_is_deleted_there(cluster):
    container = 'deleted-while-down'
    assert cluster.raw('PUT', '/' + container).status in (201, 202)
    cpart, cnodes = ph.primaries(cluster, 'container', 'AUTH_test', container)
    victim_dev = cnodes[1]
    victim = ph.node_number(victim_dev)
    ph.stop_server(cluster, 'container', victim)
    try:
        assert cluster.raw('DELETE', '/' + container).status == 204
    finally:
        ph.start_server(cluster, 'container', victim)
    assert ph.direct(victim_dev, cpart, 'HEAD', 'AUTH_test', container)[0] == 204

    once(cluster, 'container-replicator')

    for dev in cnodes:
        status, headers, _ = ph.direct(dev, cpart, 'HEAD', 'AUTH_test', container)
        assert status == 404, (dev, status)
        assert float(headers['x-backend-delete-timestamp']) > float(
            headers['x-backend-put-timestamp']), headers


@pytest.fixture
def small_diffs(cluster):
    """``per_diff = 10``, ``max_diffs = 2`` on every container replicator for one test
    (Swift's defaults, 1000 and 100, afterwards)."""
    def set_all(per_diff, max_diffs):
        for node in (1, 2, 3, 4):
            path = ph.conf_path(cluster, 'container', node)
            ph.set_option(path, 'container-replicator', 'per_diff', per_diff)
            ph.set_option(path, 'container-replicator', 'max_diffs', max_diffs)
    set_all('10', '2')
    yield
    set_all('1000', '100')


def replication_stats(cluster, kind='container'):
    """Sum of the ``replication_stats`` counters in every node's recon cache (each
    node's counters are those of its last pass)."""
    total = {}
    for node in (1, 2, 3, 4):
        path = os.path.join(cluster.conf(kind, node).get('DEFAULT', 'recon_cache_path'),
                            '%s.recon' % kind)
        try:
            with open(path) as fp:
                stats = json.load(fp).get('replication_stats') or {}
        except FileNotFoundError:     # no pass on this node yet
            stats = {}
        for key, value in stats.items():
            if isinstance(value, (int, float)):
                total[key] = total.get(key, 0) + value
    return total


def puts_with_container_down_for_last(cluster, container, total, missed):
    """PUT ``total`` objects; the container server of one primary is stopped for the
    last ``missed`` of them. Returns (partition, devs, victim dev, names)."""
    assert cluster.raw('PUT', '/' + container).status in (201, 202)
    cpart, cnodes = ph.primaries(cluster, 'container', 'AUTH_test', container)
    victim_dev = cnodes[0]
    names = ['o%03d' % i for i in range(total)]
    for name in names[:total - missed]:
        assert cluster.raw('PUT', '/%s/%s' % (container, name), body=b'x').status == 201
    ph.stop_server(cluster, 'container', ph.node_number(victim_dev))
    try:
        for name in names[total - missed:]:
            assert cluster.raw('PUT', '/%s/%s' % (container, name),
                               body=b'x').status == 201
    finally:
        ph.start_server(cluster, 'container', ph.node_number(victim_dev))
    assert len(container_listing(victim_dev, cpart, container)[1]) == total - missed
    return cpart, cnodes, victim_dev, names


def test_far_behind_container_db_is_rsynced_then_merged(cluster, small_diffs):
    """80 of 100 rows missing (under half, more than per_diff): one pass copies the
    whole DB and merges it there (``rsync_then_merge``), as Swift chooses."""
    cpart, cnodes, victim_dev, names = puts_with_container_down_for_last(
        cluster, 'far-behind', 100, 80)

    once(cluster, 'container-replicator')

    assert replication_stats(cluster).get('remote_merge', 0) >= 1
    for dev in cnodes:
        headers, listed = container_listing(dev, cpart, 'far-behind')
        assert listed == names, (dev, len(listed))
        assert headers['x-container-object-count'] == '100'


def test_row_sync_capped_by_max_diffs_converges_over_passes(cluster, small_diffs):
    """20 of 50 rows missing: row sync (not a full copy), at most per_diff x max_diffs
    = 20 rows per peer and pass, counted from the peer's last sync point (none yet for
    a new container, as in Swift): the first pass is capped, the third is complete."""
    cpart, cnodes, victim_dev, names = puts_with_container_down_for_last(
        cluster, 'capped', 50, 20)

    once(cluster, 'container-replicator')

    stats = replication_stats(cluster)
    assert stats.get('diff_capped', 0) >= 1 and stats.get('remote_merge') == 0, stats
    assert container_listing(victim_dev, cpart, 'capped')[1] != names
    for _attempt in range(2):
        once(cluster, 'container-replicator')
        assert replication_stats(cluster).get('remote_merge') == 0
    assert container_listing(victim_dev, cpart, 'capped')[1] == names


def test_deleted_dbs_reclaimed_after_reclaim_age(cluster):
    """Last in the module: ``reclaim_age = 1`` on every container replicator. A deleted
    DB goes only once the account has its final stats (the container updater's
    report), as in Swift."""
    container = 'reclaimed'
    assert cluster.raw('PUT', '/' + container).status in (201, 202)
    assert cluster.raw('PUT', '/kept').status in (201, 202)
    assert cluster.raw('DELETE', '/' + container).status == 204
    assert len(db_nodes(cluster, 'container', 'AUTH_test', container)) == 3
    for node in (1, 2, 3, 4):
        ph.set_option(ph.conf_path(cluster, 'container', node), 'container-replicator',
                      'reclaim_age', '1')
    time.sleep(1.2)
    once(cluster, 'container-replicator')
    assert len(db_nodes(cluster, 'container', 'AUTH_test', container)) == 3, \
        'reclaimed before the account heard of the delete'
    once(cluster, 'container-updater')

    once(cluster, 'container-replicator')

    assert db_nodes(cluster, 'container', 'AUTH_test', container) == []
    assert len(db_nodes(cluster, 'container', 'AUTH_test', 'kept')) == 3, \
        'a live container DB was reclaimed'
