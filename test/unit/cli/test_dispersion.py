"""swift-dispersion-populate / -report with a fake proxy connection, fake rings and a
fake set of storage nodes: coverage, distinct partitions, 100% after populate, the
right lower figure when one node is emptied, JSON output and error exits."""

import io
import json

import pytest

from swift.cli import dispersion as disp
from swift.common import direct_client
from swift.common.config import ConfigError
from swift.common.hashing import md5_hex
from swift.common.storage_policy import StoragePolicy, StoragePolicyCollection
from test.helpers.fake_clock import FakeClock

NODES = [{'id': i, 'ip': '127.0.0.%d' % (i + 1), 'port': 6000 + 10 * (i + 1),
          'device': 'sdb%d' % (i + 1)} for i in range(4)]


class FakeRing:
    """16 partitions, 3 replicas over 4 nodes: partition p uses nodes p, p+1, p+2 mod 4."""
    partition_count = 16
    replica_count = 3.0

    def get_part(self, account, container=None, obj=None):
        name = '/'.join(p for p in (account, container, obj) if p is not None)
        return int(md5_hex(name.encode()), 16) % self.partition_count

    def get_nodes(self, account, container=None, obj=None):
        part = self.get_part(account, container, obj)
        return part, [NODES[(part + i) % 4] for i in range(3)]


class FakeConn:
    """Stands in for swiftclient.client.Connection against the proxy."""
    url = 'http://127.0.0.1:8080/v1/AUTH_test'

    def __init__(self):
        self.containers = {}

    def get_auth(self):
        return self.url, 'token'

    def put_container(self, container, headers=None):
        self.containers.setdefault(container, {})

    def put_object(self, container, obj, contents):
        self.containers[container][obj] = contents

    def get_account(self, prefix='', full_listing=False):
        return {}, [{'name': n} for n in sorted(self.containers) if n.startswith(prefix)]

    def get_container(self, container, prefix='', full_listing=False):
        objects = self.containers[container]
        return {}, [{'name': n} for n in sorted(objects) if n.startswith(prefix)]


class FakeDirect:
    """Every replica exists except on ``emptied`` node IPs (404) or ``down`` (timeout)."""
    DirectClientError = direct_client.DirectClientError
    retry = staticmethod(direct_client.retry)

    def __init__(self):
        self.emptied, self.down, self.heads = set(), set(), []

    def _head(self, node, part, path):
        self.heads.append((node['ip'], part, path))
        if node['ip'] in self.down:
            raise direct_client.DirectClientTimeout('down', node, part, path)
        if node['ip'] in self.emptied:
            raise direct_client.DirectClientException('X', 'HEAD', node, part, path, 404)
        return {}

    def direct_head_container(self, node, part, account, container):
        return self._head(node, part, '/%s/%s' % (account, container))

    def direct_head_object(self, node, part, account, container, obj, headers=None):
        assert headers == {'X-Backend-Storage-Policy-Index': '0'}
        return self._head(node, part, '/%s/%s/%s' % (account, container, obj))


class SerialPool:
    def __init__(self, size):
        pass

    def spawn(self, func, *args):
        func(*args)

    def waitall(self):
        pass


def make_tool(coverage='100', **conf):
    options = {'auth_url': 'http://127.0.0.1:8080/auth/v1.0', 'auth_user': 'test:tester',
               'auth_key': 'testing', 'dispersion_coverage': coverage, 'retries': '2'}
    options.update(conf)
    config = disp.DispersionConfig.from_conf(options)
    ring = FakeRing()
    out, err = io.StringIO(), io.StringIO()
    tool = disp.Dispersion(
        config, FakeConn(), ring_factory=lambda name: ring,
        policies=StoragePolicyCollection([StoragePolicy(0, 'gold', is_default=True)]),
        direct=FakeDirect(), pool_factory=SerialPool, clock=FakeClock(), out=out,
        err=err)
    return tool, out, err


def lines(stream):
    return stream.getvalue().replace(disp.CLEAR, '').splitlines()


def test_populate_covers_distinct_partitions(tmp_path):
    tool, out, _err = make_tool()
    assert disp.populate_main([], out=out, dispersion=tool) == 0
    containers = [n for n in tool.conn.containers if n.startswith('dispersion_0_')]
    ring = FakeRing()
    assert len(containers) == 16
    assert len({ring.get_part('AUTH_test', c) for c in containers}) == 16
    objects = tool.conn.containers['dispersion_objects_0']
    assert len(objects) == 16
    assert all(body == name for name, body in objects.items())
    assert lines(out)[0] == 'Using storage policy: gold '
    assert lines(out)[1].startswith('Created 16 containers for dispersion reporting, 0s')
    assert lines(out)[2].startswith('Created 16 objects for dispersion reporting')


def test_default_coverage_is_one_percent():
    tool, out, _err = make_tool(coverage='1.0')
    FakeRing.partition_count = 400
    try:
        assert tool.populate_containers(tool.policy()) == 4
    finally:
        FakeRing.partition_count = 16


def test_report_is_100_percent_after_populate():
    tool, out, _err = make_tool()
    disp.populate_main([], out=io.StringIO(), dispersion=tool)
    assert disp.report_main([], out=out, dispersion=tool) == 0
    text = lines(out)
    assert text[0] == 'Using storage policy: gold '
    assert text[1].startswith('Queried 16 containers for dispersion reporting, 0s, 0 '
                              'retries')
    assert '100.00% of container copies found (48 of 48)' in text
    assert 'Sample represents 100.00% of the container partition space' in text
    assert '100.00% of object copies found (48 of 48)' in text
    assert not any('missing' in line for line in text)


def test_report_with_one_node_emptied():
    tool, out, err = make_tool()
    disp.populate_main([], out=io.StringIO(), dispersion=tool)
    tool.direct.emptied = {'127.0.0.1'}
    assert disp.report_main(['-p'], out=out, err=err, dispersion=tool) == 0
    text = lines(out)
    # node 1 holds a replica of 3 partitions out of 4 -> 12 of the 16 partitions
    assert '75.00% of container copies found (36 of 48)' in text
    assert '75.00% of object copies found (36 of 48)' in text
    assert 'There were 12 partitions missing 1 copy.' in text
    assert sum('# Container partition' in l for l in err.getvalue().splitlines()) == 12


def test_down_node_is_retried_then_counted_missing():
    tool, out, _err = make_tool()
    disp.populate_main(['--container-only'], out=io.StringIO(), dispersion=tool)
    tool.direct.down = {'127.0.0.1', '127.0.0.2'}
    disp.report_main(['--container-only'], out=out, dispersion=tool)
    text = lines(out)
    assert any(l.startswith('! There were') and 'missing 2 copies.' in l for l in text)
    assert any('There were' in l and 'missing 1 copy.' in l for l in text)
    assert tool.clock.sleeps[:2] == [1, 2]   # backoff on the injected clock
    found = [l for l in text if 'of container copies found' in l][0]
    assert '(24 of 48)' in found and found.startswith('50.00%')


def test_all_copies_missing_line():
    assert disp.missing_string(1, 3, 3) == '!!! There was 1 partition missing all copies.'
    assert disp.missing_string(2, 2, 3) == '! There were 2 partitions missing 2 copies.'
    assert disp.missing_string(3, 1, 3) == 'There were 3 partitions missing 1 copy.'


def test_json_output():
    tool, out, _err = make_tool()
    disp.populate_main([], out=io.StringIO(), dispersion=tool)
    tool.direct.emptied = {'127.0.0.4'}
    disp.report_main(['-j'], out=out, dispersion=tool)
    result = json.loads(out.getvalue())
    assert result['container']['copies_expected'] == 48
    assert result['container']['copies_found'] == 36
    assert result['container']['pct_found'] == 75.0
    assert result['container']['missing_1'] == 12
    assert result['object']['overlapping'] == 0


def test_report_before_populate_says_so():
    tool, out, err = make_tool()
    disp.report_main([], out=out, err=err, dispersion=tool)
    assert 'No containers to query. Has swift-dispersion-populate been run?' in \
        err.getvalue()


def test_no_overlap_adds_new_partitions_only():
    tool, _out, _err = make_tool(coverage='50')
    tool.populate_containers(tool.policy())
    tool.populate_containers(tool.policy(), no_overlap=True)
    ring = FakeRing()
    parts = [ring.get_part('AUTH_test', c) for c in tool.conn.containers
             if c.startswith('dispersion_0_')]
    assert len(parts) == len(set(parts))


def test_cli_errors(tmp_path, capsys):
    assert disp.report_main([str(tmp_path / 'missing.conf')]) == 1
    assert capsys.readouterr().err.startswith('Error: ')
    conf = tmp_path / 'dispersion.conf'
    conf.write_text('[dispersion]\nauth_url = http://x/auth/v1.0\n')
    assert disp.populate_main([str(conf)]) == 1
    assert 'auth_user' in capsys.readouterr().err
    assert disp.report_main(['--container-only', '--object-only', str(conf)]) == 2
    tool, out, err = make_tool()
    assert disp.report_main(['-P', 'nope'], out=out, err=err, dispersion=tool) == 1
    assert 'Unable to find policy: nope' in err.getvalue()


def test_config_defaults():
    config = disp.DispersionConfig.from_conf({'auth_url': 'u', 'auth_user': 'a',
                                              'auth_key': 'k'})
    assert (config.dispersion_coverage, config.retries, config.concurrency) == (1.0, 5, 25)
    with pytest.raises(ConfigError):
        disp.DispersionConfig.from_conf({'auth_url': 'u', 'auth_user': 'a',
                                         'auth_key': 'k', 'retries': 'many'})
