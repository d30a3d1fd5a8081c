"""Helpers shared by the replication and recon probe tests: where a name lives in the
rings, direct requests to one storage server, daemons run as an operator runs them, and
edits of a cluster's own generated configs (never of swift-saio's templates)."""

import http.client
import os
import re
import subprocess
import time
import urllib.parse

import pytest

from test.helpers.cluster import SaioCluster, command


def module_cluster(tmp_path_factory, name):
    """A started all-in-one without background daemons (every daemon pass is ours),
    whose proxy never error-limits a node: these tests stop and start servers one
    after another, and a node error-limited by an earlier test would silently send
    the next test's writes to a handoff."""
    saio = SaioCluster(str(tmp_path_factory.mktemp(name)), daemons=False)
    try:
        saio.up()
        ph_conf = os.path.join(saio.env['SWIFT_DIR'], 'proxy-server.conf')
        set_option(ph_conf, 'app:proxy-server', 'error_suppression_limit', '1000000')
        saio.swift_init('proxy-server', 'restart')
        wait_for(lambda: reachable('127.0.0.1', saio.proxy_port), what='proxy restart')
        saio.authenticate()
    except Exception:
        saio.down()
        raise
    return saio


def ring(cluster, name):
    from swift.common.ring import Ring
    return Ring(cluster.env['SWIFT_DIR'], ring_name=name)


def node_number(dev):
    """All-in-one node N of a ring device dict (it binds 127.0.0.N)."""
    return int(dev['ip'].rsplit('.', 1)[1])


def primaries(cluster, ring_name, account, container=None, obj=None):
    """(partition, [device dicts]) of a name in ring ``ring_name``."""
    return ring(cluster, ring_name).get_nodes(account, container, obj)


def conf_path(cluster, kind, node):
    return os.path.join(cluster.env['SWIFT_DIR'], '%s-server' % kind, '%d.conf' % node)


def set_option(path, section, name, value):
    """Set ``name = value`` in ``[section]`` of the ini file at ``path`` (text edit that
    keeps the rest of the file as generated); adds the section when missing."""
    with open(path) as fp:
        text = fp.read()
    header = re.search(r'^\[%s\]\s*$' % re.escape(section), text, re.M)
    if header is None:
        text = text.rstrip('\n') + '\n\n[%s]\n%s = %s\n' % (section, name, value)
    else:
        start = header.end()
        following = re.search(r'^\[', text[start:], re.M)
        end = start + following.start() if following else len(text)
        body = text[start:end]
        option = re.compile(r'^%s\s*=.*$' % re.escape(name), re.M)
        if option.search(body):
            body = option.sub('%s = %s' % (name, value), body)
        else:
            body = '\n%s = %s' % (name, value) + body
        text = text[:start] + body + text[end:]
    with open(path, 'w') as fp:
        fp.write(text)


def run(cluster, name, *args, check=True):
    """Run one of our console scripts with the cluster's environment; returns output."""
    proc = subprocess.run(command(name) + list(args), capture_output=True, timeout=300,
                          env=cluster.env)
    output = proc.stdout.decode() + proc.stderr.decode()
    if check:
        assert proc.returncode == 0, (name, args, output)
    return output


def daemon_once(cluster, daemon, nodes=None):
    """``swift-init <daemon> once`` on every node (or ``-c N`` for each of ``nodes``)."""
    if nodes is None:
        return cluster.swift_init(daemon, 'once')
    return ''.join(cluster.swift_init(daemon, 'once', '-c', str(node)) for node in nodes)


def stop_server(cluster, kind, node):
    cluster.swift_init('%s-server' % kind, 'stop', '-c', str(node))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if not reachable('127.0.0.%d' % node, port_of(cluster, kind, node)):
            return
        time.sleep(0.1)
    raise AssertionError('%s-server %d still answers after stop' % (kind, node))


def start_server(cluster, kind, node):
    cluster.swift_init('%s-server' % kind, 'start', '-c', str(node))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if reachable('127.0.0.%d' % node, port_of(cluster, kind, node)):
            return
        time.sleep(0.1)
    raise AssertionError('%s-server %d not healthy after start:\n%s' % (
        kind, node, cluster.tail_logs()))


def port_of(cluster, kind, node):
    return cluster.base_port + 10 * node + {'object': 0, 'container': 1, 'account': 2}[kind]


def reachable(ip, port):
    try:
        conn = http.client.HTTPConnection(ip, port, timeout=2)
        conn.request('GET', '/healthcheck')
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def direct(dev, part, method, *names, headers=None, query=''):
    """One request straight to the storage server of ring device ``dev``; returns
    (status, {lower-case header: value}, body)."""
    path = '/%s/%s/' % (dev['device'], part) + '/'.join(
        urllib.parse.quote(name) for name in names)
    if query:
        path += '?' + query
    conn = http.client.HTTPConnection(dev['ip'], dev['port'], timeout=30)
    try:
        conn.request(method, path, headers=dict(headers or {}))
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def hash_dir_files(cluster, dev, part, account, container, obj, policy_dir='objects'):
    """Sorted file names in the object's hash dir on ``dev`` ([] when absent)."""
    from swift.common.hashing import HashPathConfig, hash_path
    name_hash = hash_path(account, container, obj,
                          config=HashPathConfig.from_swift_dir(cluster.env['SWIFT_DIR']))
    path = os.path.join(cluster.devices_root('object', node_number(dev)), dev['device'],
                        policy_dir, str(part), name_hash[-3:], name_hash)
    try:
        return sorted(os.listdir(path))
    except FileNotFoundError:
        return []


def wait_for(predicate, timeout_s=30, step_s=0.2, what='condition'):
    deadline = time.monotonic() + timeout_s
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for %s' % what)
        time.sleep(step_s)


def skip_without_rsync():
    import shutil
    if shutil.which('rsync') is None:
        pytest.skip('rsync not installed')
