"""Probe tests of ``swift-recon`` against the all-in-one (issue 8, acceptance 2): after one
pass of each daemon ``--all`` prints every section with figures from all four hosts; a
quarantine found by one auditor pass shows in ``-q``; ``-z`` and ``--human-readable``
filter and format; ``--md5`` names the one host whose ring file and swift.conf differ
and ``-u`` the one device not mounted.

The all-in-one shares one swift_dir among its nodes, so the md5 test gives node 4's
object server a swift_dir of its own (a copy, then one ring re-gzipped) by editing that
node's generated config, and restarts it."""

import glob
import gzip
import os
import re
import shutil

import pytest

from test.probe import probe_helpers as ph

pytestmark = pytest.mark.probe

DAEMONS = ('object-replicator', 'object-auditor', 'object-updater', 'object-expirer',
           'container-replicator', 'container-auditor', 'container-updater',
           'account-replicator', 'account-auditor')
# headings swift-recon --all prints per server type (Swift's wording)
SECTIONS = {
    'object': ('Checking async pendings', 'Checking auditor stats',
               'Checking updater times', 'Checking on expirers',
               'Checking on reconstructors', 'Checking on replication'),
    'container': ('Checking auditor stats', 'Checking updater times',
                  'Checking on sharders', 'Checking on replication'),
    'account': ('Checking auditor stats', 'Checking on replication'),
}
COMMON_SECTIONS = ('Getting unmounted drives from 4 hosts', 'Checking load averages',
                   'Checking disk usage now', 'Checking ring md5sums',
                   'Checking swift.conf md5sum', 'Checking quarantine',
                   'Checking socket usage', 'Validating server type',
                   'Checking drive-audit errors', 'Checking time-sync',
                   'Checking versions')
# sections that have no data on a cluster without EC policies or a sharder, in Swift too
NO_DATA_EXPECTED = {'object_reconstruction_time', 'attempted', 'failure', 'success'}


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    saio = ph.module_cluster(tmp_path_factory, 'recon')
    try:
        populate(saio)
        yield saio
    finally:
        saio.down()


def populate(cluster):
    """Some data, then one pass of every daemon that reports to recon, and a
    drive-audit of an (empty) kernel log on each node."""
    assert cluster.raw('PUT', '/recon').status in (201, 202)
    for i in range(5):
        assert cluster.raw('PUT', '/recon/o%d' % i, body=b'recon %d' % i).status == 201
    out = cluster.swift_init(*DAEMONS, 'once')
    assert 'Traceback' not in out, out
    # one container update that cannot be made now: the object server told to update
    # the stopped container server keeps it as an async pending
    _part, cnodes = ph.primaries(cluster, 'container', 'AUTH_test', 'recon')
    down = ph.node_number(cnodes[0])
    ph.stop_server(cluster, 'container', down)
    try:
        assert cluster.raw('PUT', '/recon/pending', body=b'later').status == 201
    finally:
        ph.start_server(cluster, 'container', down)
    for node in (1, 2, 3, 4):
        ph.run(cluster, 'swift-recon-cron', ph.conf_path(cluster, 'object', node))
    kern_log = os.path.join(cluster.root, 'log', 'kern.log')
    open(kern_log, 'w').close()
    for node in (1, 2, 3, 4):
        conf = os.path.join(cluster.root, 'drive-audit-%d.conf' % node)
        with open(conf, 'w') as fp:
            fp.write('[drive-audit]\ndevice_dir = %s\nrecon_cache_path = %s\n'
                     'log_file_pattern = %s\nunmount_failed_device = false\n'
                     'log_file = %s\n' % (
                         cluster.devices_root('object', node),
                         cluster.conf('object', node).get('DEFAULT', 'recon_cache_path'),
                         kern_log, os.path.join(cluster.root, 'log', 'drive-audit.log')))
        ph.run(cluster, 'swift-drive-audit', conf)


def recon(cluster, *args):
    out = ph.run(cluster, 'swift-recon', '--swiftdir', cluster.env['SWIFT_DIR'], *args)
    assert 'Traceback' not in out, out
    return out


def sections(output):
    """{server type: {heading: [lines]}} of swift-recon's report."""
    found, kind, heading = {}, None, None
    for line in output.splitlines():
        started = re.match(r'--> Starting reconnaissance on \d+ hosts \((\w+)\)', line)
        if started:
            kind, heading = started.group(1), None
            found[kind] = {}
            continue
        titled = re.match(r'\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] (.*)$', line)
        if titled and kind:
            heading = titled.group(1).strip().rstrip('.')
            found[kind][heading] = []
        elif heading and not line.startswith('====='):
            found[kind][heading].append(line)
    return found


def section(found, kind, title):
    matches = [lines for heading, lines in found[kind].items() if heading.startswith(title)]
    assert matches, (kind, title, sorted(found[kind]))
    return matches[0]


def test_all_prints_every_section_with_figures_from_every_host(cluster):
    found = sections(recon(cluster, 'account', 'container', 'object', '--all'))

    assert sorted(found) == ['account', 'container', 'object']
    for kind in found:
        for title in SECTIONS[kind] + COMMON_SECTIONS:
            lines = section(found, kind, title)
            for line in lines:
                empty = re.match(r'\[(\w+)\] - No hosts returned valid data', line)
                assert not empty or empty.group(1) in NO_DATA_EXPECTED, (kind, title, line)
                stat = re.match(r'\[(\w+)\] low: .*reported: (\d+)$', line)
                if stat:
                    assert stat.group(2) == '4', (kind, title, line)
                    assert 'no_result: 0' in line, (kind, title, line)
        assert section(found, kind, 'Checking ring md5sums') == [
            '4/4 hosts matched, 0 error[s] while checking hosts.']
        assert section(found, kind, 'Checking swift.conf md5sum') == [
            '4/4 hosts matched, 0 error[s] while checking hosts.']
        assert section(found, kind, 'Validating server type') == [
            '4/4 hosts ok, 0 error[s] while checking hosts.']
        assert section(found, kind, 'Checking time-sync') == [
            '4/4 hosts matched, 0 error[s] while checking hosts.']
        assert section(found, kind, 'Checking versions')[0].startswith('Versions matched (')
        assert section(found, kind, 'Getting unmounted drives from 4 hosts') == []
        usage = '\n'.join(section(found, kind, 'Checking disk usage now'))
        assert re.search(r'Disk usage: space used: [1-9]\d* of [1-9]\d*', usage), usage
        replication = '\n'.join(section(found, kind, 'Checking on replication'))
        assert re.search(r'\[replication_attempted\] low: \d+, high: [1-9]', replication), \
            replication
        assert 'Most recent completion was ' in replication
        assert 'NEVER' not in replication
    asyncs = section(found, 'object', 'Checking async pendings')
    assert re.match(r'\[async_pending\] low: 0, high: 1, avg: 0.2, total: 1, ', asyncs[0]), \
        asyncs
    auditor = '\n'.join(section(found, 'object', 'Checking auditor stats'))
    assert re.search(r'\[ALL_passes_last_path\] low: \d+, high: [1-9]', auditor), auditor
    audits = '\n'.join(section(found, 'container', 'Checking auditor stats'))
    assert re.search(r'\[container_audits_passed\] low: \d+, high: [1-9]', audits), audits
    drives = section(found, 'object', 'Checking drive-audit errors')
    assert drives and drives[0].startswith('[drive_audit_errors] low: 0, high: 0'), drives


def test_quarantine_shows_in_q(cluster):
    before = recon(cluster, '-q')
    assert re.search(r'\[quarantined_objects\] low: 0, high: 0, avg: 0.0, total: 0',
                     before), before
    assert cluster.raw('PUT', '/recon/rotten', body=b'soon rotten ' * 20).status == 201
    files = [p for _n, p in cluster.object_files('AUTH_test', 'recon', 'rotten')
             if p.endswith('.data')]
    assert len(files) == 3
    with open(files[0], 'r+b') as fp:
        fp.seek(3)
        fp.write(b'!')
    node = int(files[0].split('/node/')[0].rsplit('/', 1)[1])
    ph.run(cluster, 'swift-object-auditor', ph.conf_path(cluster, 'object', node), 'once')

    after = recon(cluster, '-q')

    assert re.search(r'\[quarantined_objects\] low: 0, high: 1, avg: 0.2, total: 1, '
                     r'Failed: 0.0%, no_result: 0, reported: 4', after), after
    assert re.search(r'\[quarantined_containers\] low: 0, high: 0', after), after
    verbose = recon(cluster, '-q', '-v')
    host = '127.0.0.%d:%d' % (node, ph.port_of(cluster, 'object', node))
    quarantined_line = [line for line in verbose.splitlines()
                        if host in line and 'quarantined' in line]
    assert quarantined_line and "'objects': 1" in quarantined_line[0], verbose


def test_zone_filter_and_human_readable_disk_usage(cluster):
    out = recon(cluster, '-z', '2', '-d', '--human-readable')

    assert '--> Starting reconnaissance on 1 hosts (object)' in out, out
    assert re.search(r'Disk usage: space used: \d+ [kMGT]?B of \d+ [kMGT]?B', out), out
    assert re.search(r'Distribution Graph:\n +\d+% +1 \*+', out), out
    everywhere = recon(cluster, 'container', '-d', '--top', '2')
    assert '--> Starting reconnaissance on 4 hosts (container)' in everywhere
    top = everywhere.split('TOP 2\n', 1)[1].splitlines()[:2]
    assert all(re.match(r'[\d.]+%\s+127\.0\.0\.\d\s+sdb\d$', line) for line in top), top


def give_node_own_swift_dir(cluster, node):
    """Copy swift.conf and the rings to <root>/etc-node<N>, point node N's object
    server at it (and turn its mount_check on: its device is a plain directory, so
    recon reports it unmounted) and restart it; returns the copy's path."""
    own = os.path.join(cluster.root, 'etc-node%d' % node)
    os.makedirs(own, exist_ok=True)
    swift_dir = cluster.env['SWIFT_DIR']
    for path in glob.glob(os.path.join(swift_dir, '*.ring.gz')) + [
            os.path.join(swift_dir, 'swift.conf')]:
        shutil.copy2(path, own)
    ph.set_option(ph.conf_path(cluster, 'object', node), 'DEFAULT', 'swift_dir', own)
    ph.set_option(ph.conf_path(cluster, 'object', node), 'DEFAULT', 'mount_check', 'true')
    ph.stop_server(cluster, 'object', node)
    ph.start_server(cluster, 'object', node)
    return own


def regzip(path):
    """Same ring, different bytes: recompress at another level, another mtime."""
    with gzip.open(path, 'rb') as fp:
        data = fp.read()
    with open(path, 'wb') as raw:
        with gzip.GzipFile(fileobj=raw, mode='wb', compresslevel=1, mtime=12345) as fp:
            fp.write(data)


def test_md5_names_the_host_whose_ring_and_swift_conf_differ(cluster):
    own = give_node_own_swift_dir(cluster, 4)
    same = recon(cluster, '--md5', '-u')
    assert same.count('4/4 hosts matched, 0 error[s] while checking hosts.') == 2, same
    unmounted = [line for line in same.splitlines() if line.startswith('Not mounted')]
    assert unmounted == ['Not mounted: sdb4 on 127.0.0.4:%d' % ph.port_of(
        cluster, 'object', 4)], same

    regzip(os.path.join(own, 'object.ring.gz'))
    with open(os.path.join(own, 'swift.conf'), 'a') as fp:
        fp.write('\n# edited on node 4 only\n')
    out = recon(cluster, '--md5')

    host = 'http://127.0.0.4:%d/recon/' % ph.port_of(cluster, 'object', 4)
    mismatched = [line for line in out.splitlines() if line.startswith('!! ')]
    assert len(mismatched) == 2, out
    assert mismatched[0].startswith('!! %sringmd5 (object.ring.gz => ' % host), out
    assert mismatched[0].endswith(") doesn't match on disk md5sum")
    assert mismatched[1].startswith('!! %sswiftconfmd5 (' % host), out
    assert out.count('3/4 hosts matched, 1 error[s] while checking hosts.') == 1, out
    assert '3/4 hosts matched, 0 error[s] while checking hosts.' in out, out
    assert cluster.raw('GET', '/recon/o1').body == b'recon 1'
