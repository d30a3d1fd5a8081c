"""Probe tests of the proxy's kept-alive backend connections (backend_keepalive) with
real processes: storage servers restarted (SIGTERM) or reloaded (SIGHUP) while the
proxy holds idle connections to them must not cost a client request or log an error."""

import os

import pytest

from test.probe.probe_helpers import module_cluster

pytestmark = pytest.mark.probe


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    saio = module_cluster(tmp_path_factory, 'keepalive')
    yield saio
    saio.down()


def _proxy_log(cluster):
    with open(os.path.join(cluster.root, 'log', 'proxy-server.log'), 'rb') as fp:
        return fp.read().decode('utf-8', 'replace')


def _backend_errors(text):
    return [line for line in text.splitlines() if 'ERROR with' in line]


def _round(cluster, container, count, tag):
    for i in range(count):
        name = '/%s/o%d' % (container, i)
        assert cluster.raw('PUT', name, body=b'%s %d' % (tag, i)).status == 201
    for i in range(count):
        resp = cluster.raw('GET', '/%s/o%d' % (container, i))
        assert (resp.status, resp.body) == (200, b'%s %d' % (tag, i))
    listing = cluster.raw('GET', '/%s' % container).body.split()
    assert len(listing) == count


@pytest.mark.parametrize('command', ['restart', 'reload'])
def test_storage_servers_restarted_under_idle_pooled_connections(cluster, command):
    container = 'keepalive-%s' % command
    assert cluster.raw('PUT', '/' + container).status in (201, 202)
    _round(cluster, container, 20, b'before')      # the proxy now holds connections
    before = _proxy_log(cluster)
    for kind in ('object', 'container', 'account'):
        cluster.swift_init('%s-server' % kind, command)
    cluster.wait_healthy()
    _round(cluster, container, 20, b'after')
    added = _proxy_log(cluster)[len(before):]
    assert _backend_errors(added) == []
