"""Probe tests of the daemons that keep a cluster healthy (issue 8, acceptance 1 and 3):
one auditor pass quarantines a flipped byte and one replicator pass restores it; one
expirer pass removes an expired object but not one re-created since; one reaper pass
empties a deleted account; auditors quarantine a corrupt DB; dispersion report says
100% after populate and the right lower figure with one node's devices emptied.

The cluster runs without background daemons so that each daemon pass is ours."""

import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from test.helpers.cluster import SaioCluster, command

pytestmark = pytest.mark.probe


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    saio = SaioCluster(str(tmp_path_factory.mktemp('daemons')), daemons=False)
    try:
        saio.up()
        yield saio
    finally:
        saio.down()


def swift_dir(cluster):
    return cluster.env['SWIFT_DIR']


def run(cluster, name, *args):
    proc = subprocess.run(command(name) + list(args), capture_output=True, timeout=300,
                          env=cluster.env)
    assert proc.returncode == 0, (name, args, proc.stdout, proc.stderr)
    return proc.stdout.decode() + proc.stderr.decode()


def run_on_nodes(cluster, name, kind, nodes=(1, 2, 3, 4)):
    for node in nodes:
        run(cluster, name, os.path.join(swift_dir(cluster), '%s-server' % kind,
                                        '%d.conf' % node), 'once')


def recon(cluster, node, kind='object'):
    cache = cluster.conf(kind, node).get('DEFAULT', 'recon_cache_path')
    with open(os.path.join(cache, '%s.recon' % kind)) as fp:
        return json.load(fp)


def node_of(path):
    return int(path.split('/node/')[0].rstrip('/').rsplit('/', 1)[1])


def test_flipped_byte_is_quarantined_then_restored_by_replication(cluster):
    body = b'probe auditor body ' * 50
    assert cluster.raw('PUT', '/audit').status in (201, 202)
    assert cluster.raw('PUT', '/audit/victim', body=body).status == 201
    files = [path for _node, path in cluster.object_files(
        'AUTH_test', 'audit', 'victim') if path.endswith('.data')]
    assert len(files) == 3
    bad = files[0]
    with open(bad, 'r+b') as fp:
        fp.seek(5)
        fp.write(b'#')
    node = node_of(bad)
    conf = os.path.join(swift_dir(cluster), 'object-server', '%d.conf' % node)

    run(cluster, 'swift-object-auditor', conf, 'once')

    assert not os.path.exists(bad)
    hash_dir = os.path.basename(os.path.dirname(bad))
    device_root = bad.split('/objects/')[0]
    assert os.path.isdir(os.path.join(device_root, 'quarantined', 'objects', hash_dir))
    stats = recon(cluster, node)['object_auditor_stats_ALL']
    assert stats['quarantined'] == 1
    assert cluster.raw('GET', '/audit/victim').body == body

    others = sorted({node_of(p) for p in files if p != bad})
    run_on_nodes(cluster, 'swift-object-replicator', 'object', others)
    restored = [p for _n, p in cluster.object_files('AUTH_test', 'audit', 'victim')
                if p.endswith('.data') and node_of(p) == node]
    assert restored, 'replication did not restore the quarantined copy'
    with open(restored[0], 'rb') as fp:
        assert hashlib.md5(fp.read()).hexdigest() == hashlib.md5(body).hexdigest()


def write_expirer_conf(cluster):
    path = os.path.join(swift_dir(cluster), 'object-expirer-probe.conf')
    with open(path, 'w') as fp:
        fp.write('[DEFAULT]\nswift_dir = %s\nrecon_cache_path = %s\n'
                 'memcache_servers = 127.0.0.1:%d\nlog_file = %s\n\n[object-expirer]\n'
                 'internal_client_conf_path = %s\n' % (
                     swift_dir(cluster), os.path.join(cluster.root, 'cache', 'expirer'),
                     cluster.memcached_port,
                     os.path.join(cluster.root, 'log', 'object-expirer.log'),
                     os.path.join(swift_dir(cluster), 'no-internal-client.conf')))
    return path


def test_expirer_removes_expired_but_keeps_recreated(cluster):
    assert cluster.raw('PUT', '/expiring').status in (201, 202)
    assert cluster.raw('PUT', '/expiring/short', body=b'bye',
                       headers={'X-Delete-After': '1'}).status == 201
    assert cluster.raw('PUT', '/expiring/again', body=b'first',
                       headers={'X-Delete-After': '1'}).status == 201
    time.sleep(2.2)
    assert cluster.raw('PUT', '/expiring/again', body=b'second').status == 201
    cluster.run_container_updaters()   # the queue's task containers reach the account
    conf = write_expirer_conf(cluster)

    run(cluster, 'swift-object-expirer', conf, 'once')

    assert cluster.raw('GET', '/expiring/short').status == 404
    names = [o['name'] for o in cluster.json_get('/expiring?format=json')]
    assert 'short' not in names
    assert cluster.raw('GET', '/expiring/again').body == b'second'
    with open(os.path.join(cluster.root, 'cache', 'expirer', 'object.recon')) as fp:
        assert json.load(fp)['expired_last_pass'] >= 1


def test_reaper_empties_deleted_account(cluster):
    token, url = cluster.authenticate('test2:tester2', 'testing2')
    account_path = url.split('://', 1)[1].split('/', 1)[1]
    account_path = '/' + account_path
    for container in ('reap1', 'reap2'):
        assert cluster.raw('PUT', '/' + container, token=token,
                           account_path=account_path).status in (201, 202)
        for obj in ('a', 'b'):
            assert cluster.raw('PUT', '/%s/%s' % (container, obj), body=b'x',
                               token=token, account_path=account_path).status == 201
    cluster.run_container_updaters()
    admin_token, _ = cluster.authenticate('admin:admin', 'admin')
    assert cluster.raw('DELETE', '', token=admin_token,
                       account_path=account_path).status == 204

    run_on_nodes(cluster, 'swift-account-reaper', 'account')

    for container in ('reap1', 'reap2'):
        for obj in ('a', 'b'):
            files = cluster.object_files('AUTH_test2', container, obj)
            assert files and all(path.endswith('.ts') for _n, path in files), files


def test_db_auditor_quarantines_corrupt_container_db(cluster):
    assert cluster.raw('PUT', '/dbaudit').status in (201, 202)
    dbs = []
    for node in (1, 2, 3, 4):
        root = cluster.devices_root('container', node)
        dbs += glob.glob(os.path.join(root, '*', 'containers', '*', '*', '*', '*.db'))
    from swift.common.hashing import HashPathConfig, hash_path
    name_hash = hash_path('AUTH_test', 'dbaudit',
                          config=HashPathConfig.from_swift_dir(swift_dir(cluster)))
    ours = [path for path in dbs if os.path.basename(path) == name_hash + '.db']
    assert len(ours) == 3
    with open(ours[0], 'wb') as fp:
        fp.write(b'garbage' * 1000)
    node = node_of(ours[0])
    run(cluster, 'swift-container-auditor', os.path.join(
        swift_dir(cluster), 'container-server', '%d.conf' % node), 'once')
    assert not os.path.exists(ours[0])
    device_root = ours[0].split('/containers/')[0]
    assert os.listdir(os.path.join(device_root, 'quarantined', 'containers'))
    assert recon(cluster, node, 'container')['container_audits_failed'] == 1


def dispersion(cluster, tool, *args):
    conf = os.path.join(swift_dir(cluster), 'dispersion.conf')
    if not os.path.exists(conf):
        with open(conf, 'w') as fp:
            fp.write('[dispersion]\nauth_url = %s\nauth_user = test:tester\n'
                     'auth_key = testing\nswift_dir = %s\n'
                     % (cluster.auth_url, swift_dir(cluster)))
    code = ('import sys; from swift.cli.dispersion import %s_main as m; '
            'sys.exit(m(sys.argv[1:]))' % tool)
    proc = subprocess.run([sys.executable, '-c', code] + list(args) + [conf],
                          capture_output=True, timeout=300, env=cluster.env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode().replace('\r\x1b[K', '')


def test_dispersion_report(cluster):
    out = dispersion(cluster, 'populate')
    assert 'containers for dispersion reporting' in out
    report = json.loads(dispersion(cluster, 'report', '-j'))
    assert report['container']['pct_found'] == 100.0
    assert report['object']['pct_found'] == 100.0
    text = dispersion(cluster, 'report')
    assert '100.00% of container copies found' in text

    device = glob.glob(os.path.join(cluster.devices_root('object', 4), '*'))[0]
    stash = os.path.join(cluster.root, 'stash')
    os.makedirs(stash)
    moved = []
    for sub in ('objects', 'containers'):
        if os.path.isdir(os.path.join(device, sub)):
            shutil.move(os.path.join(device, sub), os.path.join(stash, sub))
            moved.append(sub)
    try:
        report = json.loads(dispersion(cluster, 'report', '-j'))
    finally:
        for sub in moved:
            shutil.move(os.path.join(stash, sub), os.path.join(device, sub))
    for kind in ('container', 'object'):
        result = report[kind]
        expected = result['copies_expected'] - result.get('missing_1', 0)
        assert result['copies_found'] == expected
        assert result['pct_found'] < 100.0
