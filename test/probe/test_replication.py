"""Probe tests of object replication on the all-in-one (issue 7, acceptance 2; field
case BL-24), each run with ``sync_method = rsync`` and ``= ssync``: a PUT, a POST and a
DELETE made while a primary's object server was stopped reach it after one replicator
pass on every node, and the handoff copies are gone; a wiped device is refilled.

The cluster runs without background daemons; each pass is ``swift-init
object-replicator once -c N`` on each node, as an operator would run it."""

import hashlib
import os
import shutil

import pytest

from test.probe import probe_helpers as ph

pytestmark = pytest.mark.probe

SYNC_METHODS = ('rsync', 'ssync')
HEADERS_KEPT = ('content-disposition', 'content-encoding', 'x-object-meta-color', 'etag',
                'content-type', 'content-length', 'x-timestamp', 'last-modified')


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    saio = ph.module_cluster(tmp_path_factory, 'replication')
    try:
        yield saio
    finally:
        saio.down()


@pytest.fixture(params=SYNC_METHODS)
def sync_method(request, cluster):
    """Sets ``[object-replicator] sync_method`` in every node's object-server conf."""
    method = request.param
    for node in (1, 2, 3, 4):
        ph.set_option(ph.conf_path(cluster, 'object', node), 'object-replicator',
                      'sync_method', method)
    return method


def make_container(cluster, name):
    assert cluster.raw('PUT', '/' + name).status in (201, 202)


def rsync_connections(cluster):
    try:
        with open(os.path.join(cluster.root, 'log', 'rsyncd.log')) as fp:
            return sum(1 for line in fp if 'connect from' in line)
    except FileNotFoundError:
        return 0


def replicate(cluster, sync_method, nodes=(1, 2, 3, 4)):
    """One ``swift-init object-replicator once -c N`` for each node, node after node
    (all at once, two pushes of one file race as in Swift: see
    :func:`test_all_replicators_at_once_converge`); proves which method moved the
    data: the rsync daemons are connected to with rsync and never with ssync."""
    before = rsync_connections(cluster)
    out = ph.daemon_once(cluster, 'object-replicator', nodes=nodes)
    assert 'Traceback' not in out, out
    connections = rsync_connections(cluster) - before
    if sync_method == 'ssync':
        assert connections == 0, 'ssync pass used rsync'
    else:
        assert connections > 0, 'rsync pass never reached an rsync daemon'
    return out


def where(cluster, container, obj):
    """{node number: sorted hash-dir files} of every device holding the object."""
    found = {}
    for node, path in cluster.object_files('AUTH_test', container, obj):
        found[node] = sorted(os.listdir(os.path.dirname(path)))
    return found


class LogWatch:
    """Remembers where the replicator and object server logs end; :meth:`assert_clean`
    checks only what was written since."""

    NAMES = ('object-replicator-%d.log', 'object-server-%d.log')

    def __init__(self, cluster):
        self.offsets = {}
        for node in (1, 2, 3, 4):
            for name in self.NAMES:
                path = os.path.join(cluster.root, 'log', name % node)
                self.offsets[path] = os.path.getsize(path) if os.path.exists(path) else 0

    def assert_clean(self):
        """No ERROR or traceback from a replicator, and no object server (the SSYNC
        receiver's WSGI server among them) complained about a request body's chunks."""
        for path, offset in self.offsets.items():
            if not os.path.exists(path):
                continue
            with open(path, 'rb') as fp:
                fp.seek(offset)
                text = fp.read().decode('utf-8', 'replace')
            for line in text.splitlines():
                assert 'Traceback' not in line and ' ERROR ' not in line, line
                assert 'chunk' not in line.lower(), line


@pytest.fixture
def logs(cluster):
    return LogWatch(cluster)


def test_put_while_primary_down_reaches_it_and_leaves_no_handoff(cluster, sync_method, logs):
    container, obj = 'put-' + sync_method, 'obj'
    make_container(cluster, container)
    part, nodes = ph.primaries(cluster, 'object', 'AUTH_test', container, obj)
    primary_nodes = sorted(ph.node_number(dev) for dev in nodes)
    victim = ph.node_number(nodes[0])
    body = b'written while a primary was down ' * 100
    ph.stop_server(cluster, 'object', victim)
    try:
        assert cluster.raw('PUT', '/%s/%s' % (container, obj), body=body).status == 201
    finally:
        ph.start_server(cluster, 'object', victim)
    before = where(cluster, container, obj)
    handoffs = sorted(set(before) - set(primary_nodes))
    assert victim not in before and len(handoffs) == 1, before

    replicate(cluster, sync_method)

    after = where(cluster, container, obj)
    assert sorted(after) == primary_nodes, after
    data_files = {files[-1] for files in after.values()}
    assert len(data_files) == 1 and data_files.pop().endswith('.data'), after
    for dev in nodes:
        status, headers, got = ph.direct(dev, part, 'GET', 'AUTH_test', container, obj)
        assert status == 200 and got == body
        assert headers['etag'] == hashlib.md5(body).hexdigest()
    logs.assert_clean()


def test_post_and_delete_while_primary_down_reach_it(cluster, sync_method, logs):
    container = 'postdel-' + sync_method
    make_container(cluster, container)
    posted, deleted = 'posted', 'deleted'
    part_p, nodes_p = ph.primaries(cluster, 'object', 'AUTH_test', container, posted)
    part_d, nodes_d = ph.primaries(cluster, 'object', 'AUTH_test', container, deleted)
    common = sorted({ph.node_number(d) for d in nodes_p} &
                    {ph.node_number(d) for d in nodes_d})
    victim = common[0]     # 3 of 4 nodes each: two objects always share a primary
    for obj in (posted, deleted):
        assert cluster.raw('PUT', '/%s/%s' % (container, obj), body=b'x' * 10,
                           headers={'Content-Type': 'text/plain'}).status == 201
    ph.stop_server(cluster, 'object', victim)
    try:
        assert cluster.raw('POST', '/%s/%s' % (container, posted), headers={
            'X-Object-Meta-Color': 'blue', 'Content-Type': 'text/x-posted'}).status == 202
        assert cluster.raw('DELETE', '/%s/%s' % (container, deleted)).status == 204
    finally:
        ph.start_server(cluster, 'object', victim)
    victim_dev_p = [d for d in nodes_p if ph.node_number(d) == victim][0]
    victim_dev_d = [d for d in nodes_d if ph.node_number(d) == victim][0]
    assert ph.direct(victim_dev_p, part_p, 'HEAD', 'AUTH_test', container, posted)[1].get(
        'x-object-meta-color') is None
    assert ph.direct(victim_dev_d, part_d, 'HEAD', 'AUTH_test', container,
                     deleted)[0] == 200

    replicate(cluster, sync_method)

    files = ph.hash_dir_files(cluster, victim_dev_p, part_p, 'AUTH_test', container, posted)
    assert any(name.endswith('.meta') for name in files), files
    for dev in nodes_p:
        status, headers, _ = ph.direct(dev, part_p, 'HEAD', 'AUTH_test', container, posted)
        assert status == 200, (dev, status)
        assert headers.get('x-object-meta-color') == 'blue', (dev, headers)
        assert headers.get('content-type') == 'text/x-posted', (dev, headers)
    files = ph.hash_dir_files(cluster, victim_dev_d, part_d, 'AUTH_test', container,
                              deleted)
    assert len(files) == 1 and files[0].endswith('.ts'), files
    for dev in nodes_d:
        status, headers, _ = ph.direct(dev, part_d, 'HEAD', 'AUTH_test', container, deleted)
        assert status == 404 and 'x-backend-timestamp' in headers, (dev, status, headers)
    for obj, nodes in ((posted, nodes_p), (deleted, nodes_d)):
        holders = sorted(where(cluster, container, obj))
        assert holders == sorted(ph.node_number(d) for d in nodes), (obj, holders)
    logs.assert_clean()


def test_wiped_device_is_refilled(cluster, sync_method, logs):
    container = 'wipe-' + sync_method
    make_container(cluster, container)
    names = ['obj-%02d' % i for i in range(20)]
    for name in names:
        assert cluster.raw('PUT', '/%s/%s' % (container, name),
                           body=name.encode() * 7).status == 201
    wiped = 2
    device = os.path.join(cluster.devices_root('object', wiped), 'sdb%d' % wiped)
    expected = {}
    for name in names:
        part, nodes = ph.primaries(cluster, 'object', 'AUTH_test', container, name)
        expected[name] = sorted(ph.node_number(dev) for dev in nodes)
    assert any(wiped in holders for holders in expected.values())
    for entry in os.listdir(device):
        path = os.path.join(device, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    assert not any(wiped in where(cluster, container, name) for name in names)

    replicate(cluster, sync_method)

    for name in names:
        holders = where(cluster, container, name)
        assert sorted(holders) == expected[name], (name, holders)
        assert all(files[-1].endswith('.data') for files in holders.values()), holders
    logs.assert_clean()


def test_bl24_ssync_keeps_allowed_headers_on_repaired_primary(cluster, logs):
    """Field case BL-24: Content-Disposition, Content-Encoding and user metadata pushed
    by ssync are on the repaired primary exactly as on the others."""
    for node in (1, 2, 3, 4):
        ph.set_option(ph.conf_path(cluster, 'object', node), 'object-replicator',
                      'sync_method', 'ssync')
    container, obj = 'bl24', 'o'
    make_container(cluster, container)
    part, nodes = ph.primaries(cluster, 'object', 'AUTH_test', container, obj)
    victim = ph.node_number(nodes[1])
    ph.stop_server(cluster, 'object', victim)
    try:
        resp = cluster.raw('PUT', '/%s/%s' % (container, obj), body=b'\x1f\x8bgzipped', headers={
            'Content-Disposition': 'attachment; filename=x.txt',
            'Content-Encoding': 'gzip', 'X-Object-Meta-Color': 'blue',
            'Content-Type': 'text/plain'})
        assert resp.status == 201
    finally:
        ph.start_server(cluster, 'object', victim)

    replicate(cluster, 'ssync')

    seen = []
    for dev in nodes:
        status, headers, _ = ph.direct(dev, part, 'HEAD', 'AUTH_test', container, obj)
        assert status == 200, (dev, status)
        seen.append({name: headers.get(name) for name in HEADERS_KEPT})
    assert seen[0]['content-disposition'] == 'attachment; filename=x.txt'
    assert seen[0]['content-encoding'] == 'gzip'
    assert seen[0]['x-object-meta-color'] == 'blue'
    assert all(headers == seen[0] for headers in seen), seen
    assert sorted(where(cluster, container, obj)) == sorted(
        ph.node_number(dev) for dev in nodes)
    logs.assert_clean()


def test_handoff_kept_while_a_primary_is_unreachable(cluster, sync_method, logs):
    """A handoff is removed only once every primary has the data: a pass while a
    primary is still down keeps it (no data loss), the pass after the restart moves it."""
    container, obj = 'keep-' + sync_method, 'obj'
    make_container(cluster, container)
    part, nodes = ph.primaries(cluster, 'object', 'AUTH_test', container, obj)
    primary_nodes = sorted(ph.node_number(dev) for dev in nodes)
    victim = ph.node_number(nodes[2])
    ph.stop_server(cluster, 'object', victim)
    try:
        assert cluster.raw('PUT', '/%s/%s' % (container, obj), body=b'kept').status == 201
        handoff = sorted(set(where(cluster, container, obj)) - set(primary_nodes))
        assert len(handoff) == 1
        out = ph.daemon_once(cluster, 'object-replicator', nodes=handoff)
        assert 'Traceback' not in out
        assert handoff[0] in where(cluster, container, obj), 'handoff dropped too early'
    finally:
        ph.start_server(cluster, 'object', victim)
    logs = LogWatch(cluster)

    replicate(cluster, sync_method)

    assert sorted(where(cluster, container, obj)) == primary_nodes
    logs.assert_clean()
    status, _headers, body = ph.direct(nodes[2], part, 'GET', 'AUTH_test', container, obj)
    assert (status, body) == (200, b'kept')


def test_second_policy_object_replicated(cluster, sync_method, logs):
    """Policy 1 (silver, 2 replicas, ring object-1, dir objects-1) with a 3 MiB body."""
    container, obj = 'silver-' + sync_method, 'big'
    assert cluster.raw('PUT', '/' + container,
                       headers={'X-Storage-Policy': 'silver'}).status in (201, 202)
    part, nodes = ph.primaries(cluster, 'object-1', 'AUTH_test', container, obj)
    assert len(nodes) == 2
    victim = ph.node_number(nodes[0])
    body = os.urandom(3 * 1024 * 1024)
    ph.stop_server(cluster, 'object', victim)
    try:
        assert cluster.raw('PUT', '/%s/%s' % (container, obj), body=body).status == 201
    finally:
        ph.start_server(cluster, 'object', victim)
    before = cluster.object_files('AUTH_test', container, obj, policy_dir='objects-1')
    assert victim not in {node for node, _p in before} and len(before) == 2, before

    replicate(cluster, sync_method)

    after = cluster.object_files('AUTH_test', container, obj, policy_dir='objects-1')
    assert sorted(node for node, _p in after) == sorted(
        ph.node_number(dev) for dev in nodes), after
    headers = {'X-Backend-Storage-Policy-Index': '1'}
    for dev in nodes:
        status, got_headers, got = ph.direct(dev, part, 'GET', 'AUTH_test', container, obj,
                                             headers=headers)
        assert status == 200 and got == body, (dev, status, len(got))
        assert got_headers['etag'] == hashlib.md5(body).hexdigest()
    assert cluster.object_files('AUTH_test', container, obj) == []
    logs.assert_clean()


def test_all_replicators_at_once_converge(cluster, sync_method, logs):
    """``swift-init object-replicator once`` runs the four at the same time: pushes of
    one suffix from a primary and a handoff may race (rsync's mkstemp in a hash dir
    the receiver's rehash just removed fails with code 23, as in Swift), but at most
    two passes restore every copy, with no traceback and no chunk error."""
    container = 'together-' + sync_method
    make_container(cluster, container)
    names = ['obj-%d' % i for i in range(10)]
    victim = 1
    ph.stop_server(cluster, 'object', victim)
    try:
        for name in names:
            assert cluster.raw('PUT', '/%s/%s' % (container, name),
                               body=name.encode()).status == 201
    finally:
        ph.start_server(cluster, 'object', victim)
    expected = {name: sorted(ph.node_number(dev) for dev in ph.primaries(
        cluster, 'object', 'AUTH_test', container, name)[1]) for name in names}
    assert any(victim in holders for holders in expected.values())

    for _attempt in range(2):
        out = ph.daemon_once(cluster, 'object-replicator')
        assert 'Traceback' not in out, out
        if all(sorted(where(cluster, container, name)) == expected[name]
               for name in names):
            break
    for name in names:
        assert sorted(where(cluster, container, name)) == expected[name], name
    for path, offset in logs.offsets.items():
        with open(path, 'rb') as fp:
            fp.seek(offset)
            text = fp.read().decode('utf-8', 'replace')
        assert 'Traceback' not in text and 'chunk' not in text.lower(), text[-2000:]


def test_overwrite_while_primary_down_replaces_old_data(cluster, sync_method, logs):
    container, obj = 'overwrite-' + sync_method, 'obj'
    make_container(cluster, container)
    part, nodes = ph.primaries(cluster, 'object', 'AUTH_test', container, obj)
    victim_dev = nodes[0]
    victim = ph.node_number(victim_dev)
    assert cluster.raw('PUT', '/%s/%s' % (container, obj), body=b'old version').status == 201
    old_files = ph.hash_dir_files(cluster, victim_dev, part, 'AUTH_test', container, obj)
    ph.stop_server(cluster, 'object', victim)
    try:
        assert cluster.raw('PUT', '/%s/%s' % (container, obj), body=b'new version',
                           headers={'X-Object-Meta-Rev': '2'}).status == 201
    finally:
        ph.start_server(cluster, 'object', victim)
    assert ph.direct(victim_dev, part, 'GET', 'AUTH_test', container, obj)[2] == \
        b'old version'

    replicate(cluster, sync_method)

    for dev in nodes:
        status, headers, body = ph.direct(dev, part, 'GET', 'AUTH_test', container, obj)
        assert (status, body) == (200, b'new version'), dev
        assert headers.get('x-object-meta-rev') == '2'
    files = ph.hash_dir_files(cluster, victim_dev, part, 'AUTH_test', container, obj)
    assert files[-1].endswith('.data') and files[-1] not in old_files, files
    # REPLICATE with suffixes only invalidates them (as Swift's skip_rehash): the
    # stale .data goes when the victim next hashes the partition
    assert 'Traceback' not in ph.daemon_once(cluster, 'object-replicator', nodes=(victim,))
    files = ph.hash_dir_files(cluster, victim_dev, part, 'AUTH_test', container, obj)
    assert len(files) == 1 and files[0].endswith('.data') and files != old_files, files
    primary_nodes = sorted(ph.node_number(dev) for dev in nodes)
    assert sorted(where(cluster, container, obj)) == primary_nodes
    logs.assert_clean()


def use_ssync(cluster):
    for node in (1, 2, 3, 4):
        ph.set_option(ph.conf_path(cluster, 'object', node), 'object-replicator',
                      'sync_method', 'ssync')


def put_with_primary_down(cluster, container, obj, body, victim_index=0):
    """PUT while one primary's object server is stopped; returns
    (part, primary devs, victim dev, handoff node number)."""
    make_container(cluster, container)
    part, nodes = ph.primaries(cluster, 'object', 'AUTH_test', container, obj)
    victim_dev = nodes[victim_index]
    ph.stop_server(cluster, 'object', ph.node_number(victim_dev))
    try:
        assert cluster.raw('PUT', '/%s/%s' % (container, obj), body=body).status == 201
    finally:
        ph.start_server(cluster, 'object', ph.node_number(victim_dev))
    handoffs = sorted(set(where(cluster, container, obj)) -
                      {ph.node_number(dev) for dev in nodes})
    assert len(handoffs) == 1
    return part, nodes, victim_dev, handoffs[0]


def server_log_tail(cluster, node, offset):
    path = os.path.join(cluster.root, 'log', 'object-server-%d.log' % node)
    with open(path, 'rb') as fp:
        fp.seek(offset)
        return fp.read().decode('utf-8', 'replace')


def test_ssync_refused_at_connect_keeps_handoff_and_ends_request_cleanly(cluster, logs):
    """The primary's device is gone (507 to SSYNC): the handoff's sender fails, keeps
    its copy, and the receiving server logs no chunk error; once the device is back
    the next pass moves the copy."""
    use_ssync(cluster)
    container, obj = 'refused', 'obj'
    part, nodes, victim_dev, handoff = put_with_primary_down(
        cluster, container, obj, b'refused at first')
    victim = ph.node_number(victim_dev)
    device = os.path.join(cluster.devices_root('object', victim), victim_dev['device'])
    log_path = os.path.join(cluster.root, 'log', 'object-server-%d.log' % victim)
    offset = os.path.getsize(log_path)
    os.rename(device, device + '.away')
    try:
        assert ph.direct(victim_dev, part, 'REPLICATE')[0] == 507
        out = ph.daemon_once(cluster, 'object-replicator', nodes=(handoff,))
        assert 'Traceback' not in out
        assert handoff in where(cluster, container, obj), 'handoff dropped after a 507'
    finally:
        os.rename(device + '.away', device)
    tail = server_log_tail(cluster, victim, offset)
    assert 'chunk' not in tail.lower() and 'Traceback' not in tail, tail
    logs = LogWatch(cluster)

    ph.daemon_once(cluster, 'object-replicator', nodes=(handoff,))

    assert sorted(where(cluster, container, obj)) == sorted(
        ph.node_number(dev) for dev in nodes)
    assert ph.direct(victim_dev, part, 'GET', 'AUTH_test', container, obj)[2] == \
        b'refused at first'
    logs.assert_clean()


def test_ssync_truncated_local_data_is_quarantined_not_sent(cluster, logs):
    """A handoff .data shorter than its metadata says is quarantined by the sender
    instead of being sent; the receiver's server logs no chunk error and the
    primaries keep the good copy."""
    use_ssync(cluster)
    container, obj = 'truncated', 'obj'
    body = b'0123456789' * 1000
    part, nodes, victim_dev, handoff = put_with_primary_down(
        cluster, container, obj, body)
    [data] = [path for node, path in cluster.object_files('AUTH_test', container, obj)
              if node == handoff]
    with open(data, 'r+b') as fp:
        fp.truncate(len(body) // 2)
    offsets = {node: os.path.getsize(os.path.join(
        cluster.root, 'log', 'object-server-%d.log' % node)) for node in (1, 2, 3, 4)}

    out = ph.daemon_once(cluster, 'object-replicator', nodes=(handoff,))

    assert 'Traceback' not in out
    assert not os.path.exists(data)
    device_root = data.split('/objects/')[0]
    assert os.listdir(os.path.join(device_root, 'quarantined', 'objects'))
    for node, offset in offsets.items():
        tail = server_log_tail(cluster, node, offset)
        assert 'chunk' not in tail.lower() and 'Traceback' not in tail, tail
    victim_files = ph.hash_dir_files(cluster, victim_dev, part, 'AUTH_test', container, obj)
    assert victim_files == [], 'a truncated copy reached the primary'
    for dev in nodes:
        if dev is not victim_dev:
            status, _h, got = ph.direct(dev, part, 'GET', 'AUTH_test', container, obj)
            assert (status, got) == (200, body)


def test_handoff_delete_two_drops_handoff_with_a_primary_still_down(cluster, sync_method,
                                                                     logs):
    """``handoff_delete = 2``: an operator short of space lets a handoff go once two
    primaries have its data, even with the third still down."""
    container, obj = 'hd2-' + sync_method, 'obj'
    make_container(cluster, container)
    part, nodes = ph.primaries(cluster, 'object', 'AUTH_test', container, obj)
    victim = ph.node_number(nodes[1])
    ph.stop_server(cluster, 'object', victim)
    try:
        assert cluster.raw('PUT', '/%s/%s' % (container, obj), body=b'hd2').status == 201
        handoff = sorted(set(where(cluster, container, obj)) -
                         {ph.node_number(dev) for dev in nodes})
        assert len(handoff) == 1
        path = ph.conf_path(cluster, 'object', handoff[0])
        ph.set_option(path, 'object-replicator', 'handoff_delete', '2')
        try:
            ph.daemon_once(cluster, 'object-replicator', nodes=handoff)
        finally:
            ph.set_option(path, 'object-replicator', 'handoff_delete', 'auto')
        assert handoff[0] not in where(cluster, container, obj)
    finally:
        ph.start_server(cluster, 'object', victim)
    assert len(where(cluster, container, obj)) == 2
    logs = LogWatch(cluster)

    replicate(cluster, sync_method)

    assert sorted(where(cluster, container, obj)) == sorted(
        ph.node_number(dev) for dev in nodes)
    logs.assert_clean()


def test_partition_filter_replicates_only_that_partition(cluster, logs):
    """``swift-object-replicator CONF once -p PART`` on every node repairs that
    partition only (the filter does not depend on the sync method: ssync only)."""
    use_ssync(cluster)
    container = 'filter'
    make_container(cluster, container)
    victim = 3
    chosen = {}
    for i in range(200):
        name = 'f%d' % i
        part, nodes = ph.primaries(cluster, 'object', 'AUTH_test', container, name)
        if victim in [ph.node_number(dev) for dev in nodes] and part not in chosen.values():
            chosen[name] = part
        if len(chosen) == 2:
            break
    (wanted, wanted_part), (other, _other_part) = sorted(chosen.items())
    ph.stop_server(cluster, 'object', victim)
    try:
        for name in chosen:
            assert cluster.raw('PUT', '/%s/%s' % (container, name),
                               body=b'filtered').status == 201
    finally:
        ph.start_server(cluster, 'object', victim)

    for node in (1, 2, 3, 4):
        out = ph.run(cluster, 'swift-object-replicator',
                     ph.conf_path(cluster, 'object', node), 'once',
                     '-p', str(wanted_part))
        assert 'Traceback' not in out

    assert victim in where(cluster, container, wanted)
    assert victim not in where(cluster, container, other)
    assert len(where(cluster, container, other)) == 3     # still on its handoff
    logs.assert_clean()


def test_ssync_error_line_from_busy_receiver_keeps_handoff(cluster, logs):
    """The receiver cannot get its device's replication lock (held here) within
    ``replication_lock_timeout = 1``: it answers with an inline ``:ERROR:`` line; the
    sender fails cleanly (the receiving server logs no chunk error) and keeps the
    handoff; with the lock free the next pass moves the copy."""
    import fcntl
    use_ssync(cluster)
    container, obj = 'busy', 'obj'
    part, nodes, victim_dev, handoff = put_with_primary_down(
        cluster, container, obj, b'busy receiver', victim_index=1)
    victim = ph.node_number(victim_dev)
    ph.set_option(ph.conf_path(cluster, 'object', victim), 'app:object-server',
                  'replication_lock_timeout', '1')
    ph.stop_server(cluster, 'object', victim)
    ph.start_server(cluster, 'object', victim)
    lock_file = os.path.join(cluster.devices_root('object', victim), victim_dev['device'],
                             '.lock')
    offset = os.path.getsize(os.path.join(cluster.root, 'log',
                                          'object-server-%d.log' % victim))
    fd = os.open(lock_file, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        ph.daemon_once(cluster, 'object-replicator', nodes=(handoff,))
    finally:
        os.close(fd)
    assert handoff in where(cluster, container, obj), 'handoff dropped after :ERROR:'
    assert victim not in where(cluster, container, obj)
    log = os.path.join(cluster.root, 'log', 'object-replicator-%d.log' % handoff)
    with open(log) as fp:
        assert any(str(victim_dev['port']) in line and ' ERROR ' in line
                   for line in fp), 'the sender did not report the failure'
    tail = server_log_tail(cluster, victim, offset)
    assert 'chunk' not in tail.lower() and 'Traceback' not in tail, tail
    logs = LogWatch(cluster)

    ph.daemon_once(cluster, 'object-replicator', nodes=(handoff,))

    assert sorted(where(cluster, container, obj)) == sorted(
        ph.node_number(dev) for dev in nodes)
    logs.assert_clean()
