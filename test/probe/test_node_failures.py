"""Probe tests: real processes stopped and started (issue 2, acceptance 4 and 5)."""

import time

import pytest

pytestmark = pytest.mark.probe


def test_put_and_get_with_one_object_server_stopped(probe_cluster):
    cluster = probe_cluster
    assert cluster.raw('PUT', '/probe1').status in (201, 202)
    before = cluster.raw('PUT', '/probe1/before', body=b'written before')
    assert before.status == 201
    cluster.swift_init('object-server.2', 'stop')
    try:
        status = cluster.swift_init('object-server.2', 'status', check=False)
        assert 'No object-server running' in status or 'not running' in status.lower()
        for i in range(10):
            resp = cluster.raw('PUT', '/probe1/o%d' % i, body=b'body %d' % i)
            assert resp.status == 201, resp.body
        for i in range(10):
            resp = cluster.raw('GET', '/probe1/o%d' % i)
            assert resp.status == 200
            assert resp.body == b'body %d' % i
        assert cluster.raw('GET', '/probe1/before').body == b'written before'
    finally:
        cluster.swift_init('object-server', 'start', '-c', '2')
    cluster.wait_healthy()


def test_swift_init_status_and_stop_all(probe_cluster):
    cluster = probe_cluster
    out = cluster.swift_init('all', 'status', check=False)
    for server in ('proxy-server', 'object-server', 'container-server', 'account-server'):
        assert server in out
    pids = cluster.server_pids()
    assert len(pids) >= 13   # proxy + 4 nodes x 3 servers, plus daemons
    cluster.swift_init('all', 'stop')
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in pids:
        assert not _alive(pid), 'pid %d still running after stop' % pid
    out = cluster.swift_init('all', 'status', check=False)
    assert 'running (' not in out
    cluster.swift_init('main', 'start')
    cluster.wait_healthy()


def _alive(pid):
    try:
        with open('/proc/%d/status' % pid) as fp:
            for line in fp:
                if line.startswith('State:'):
                    return 'Z' not in line.split()[1]
    except OSError:
        return False
    return True
