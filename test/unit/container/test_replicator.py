"""Container replication: the container server's REPLICATE verb and the container
replicator (sync args, rows, whole-DB rsync, deleted-container removal only once the
account has its last stats), with connections routed in-process to server apps."""

import json
import os
import shutil
import time
import types

from swift.common.hashing import HashPathConfig, hash_path
from swift.common.replication import RsyncResult
from swift.common.storage_policy import StoragePolicy, StoragePolicyCollection
from swift.common.swob import Request
from swift.common.timestamp import Timestamp
from swift.container.backend import ContainerBroker
from swift.container.replicator import ContainerReplicator
from swift.container.server import ContainerController, ContainerServerConfig
from test.helpers.debug_logger import DebugLogger
from test.helpers.fake_clock import FakeClock

HASH_CONFIG = HashPathConfig(b'pre', b'suf')
NOW = time.time()


def ts(offset):
    return Timestamp(NOW - 1000 + offset).internal


def db_path(devices, account='AUTH_a', container='c'):
    name_hash = hash_path(account, container, config=HASH_CONFIG)
    return os.path.join(devices, 'sda', 'containers', '0', name_hash[-3:], name_hash,
                        name_hash + '.db')


def make_container(devices, objects=()):
    broker = ContainerBroker(db_path(devices), account='AUTH_a', container='c')
    broker.initialize(ts(0), storage_policy_index=0)
    for name in objects:
        broker.put_object(name, ts(1), 3, 'text/plain', 'etag')
    broker.get_info()
    return broker


def object_names(broker):
    return [row['name'] for row in broker.get_objects() if not row['deleted']]


class Node:
    def __init__(self, tmp_path, index):
        self.devices = str(tmp_path / ('node%d' % index))
        os.makedirs(os.path.join(self.devices, 'sda'), exist_ok=True)
        self.app = ContainerController(
            ContainerServerConfig(devices=self.devices, mount_check=False,
                                  log_requests=False),
            logger=DebugLogger('container-server'), hash_config=HASH_CONFIG,
            policies=StoragePolicyCollection([StoragePolicy(0, 'gold', is_default=True)]))


class InProcessConnection:
    """Quacks like BufferedHTTPConnection, answering from a node's app."""
    nodes = {}

    def __init__(self, host, timeout=None):
        self.node = self.nodes[host]

    def request(self, method, path, body, headers):
        self.response = Request.blank(path, method=method, body=body,
                                      headers=headers).get_response(self.node.app)

    def getresponse(self):
        body = self.response.body
        return types.SimpleNamespace(status=self.response.status_int, read=lambda: body)

    def close(self):
        pass


class Rsync:
    def __init__(self, nodes):
        self.nodes = nodes

    def __call__(self, args, timeout_s):
        host, _, rest = args[-1].partition('::container')
        port, device, tmp, name = rest.split('/')
        node = self.nodes['127.0.0.1:%s' % port]
        os.makedirs(os.path.join(node.devices, device, tmp), exist_ok=True)
        shutil.copy2(args[-2], os.path.join(node.devices, device, tmp, name))
        return RsyncResult(0, [])


class Ring:
    def __init__(self, devs):
        self.devs = devs

    def get_part(self, account, container=None):
        return 0

    def get_part_nodes(self, part):
        return [dict(d, index=i) for i, d in enumerate(self.devs[:3])]

    def get_more_nodes(self, part):
        return iter([])


def setup(tmp_path, **conf):
    nodes = {}
    devs = []
    for index in range(3):
        port = 6001 + index
        devs.append({'id': index, 'device': 'sda', 'ip': '127.0.0.1', 'port': port,
                     'replication_ip': '127.0.0.1', 'replication_port': port,
                     'region': 1, 'zone': index})
        nodes['127.0.0.1:%d' % port] = Node(tmp_path, index)
    InProcessConnection.nodes = nodes
    base = {'devices': str(tmp_path / 'node0'), 'mount_check': 'false',
            'bind_ip': '127.0.0.1', 'bind_port': '6001',
            'recon_cache_path': str(tmp_path / 'recon'),
            'rsync_module': '{replication_ip}::container{replication_port}'}
    base.update(conf)
    replicator = ContainerReplicator(base, logger=DebugLogger('container-replicator'),
                                     clock=FakeClock(NOW), ring=Ring(devs),
                                     rsync_runner=Rsync(nodes),
                                     connection_class=InProcessConnection)
    return replicator, [nodes['127.0.0.1:%d' % (6001 + i)] for i in range(3)]


def test_sync_args_carry_container_fields(tmp_path):
    replicator, nodes = setup(tmp_path)
    broker = make_container(nodes[0].devices, ['o1'])
    from swift.common.db_replicator import get_replication_info
    info = get_replication_info(broker)
    args = replicator.gather_sync_args(info)
    assert args[:3] == [1, info['hash'], info['id']]
    assert args[7:] == [info['status_changed_at'], 1, 0]


def test_container_replicates_by_rsync_then_rows(tmp_path):
    replicator, nodes = setup(tmp_path)
    local = make_container(nodes[0].devices, ['o1', 'o2'])
    stats = replicator.run_once()
    assert stats.rsync == 2 and stats.success == 1
    for node in nodes[1:]:
        assert object_names(ContainerBroker(db_path(node.devices))) == ['o1', 'o2']
    local.put_object('o3', ts(5), 1, 'text/plain', 'e')
    local.delete_object('o1', ts(6))
    stats = replicator.run_once()
    assert stats.diff == 2
    for node in nodes[1:]:
        remote = ContainerBroker(db_path(node.devices))
        assert object_names(remote) == ['o2', 'o3']
        # a copy that arrived by rsync will report itself to the account again
        assert remote.get_info()['reported_put_timestamp'] == '0'


def test_deleted_container_removed_only_after_reporting(tmp_path):
    replicator, nodes = setup(tmp_path, reclaim_age='100')
    local = make_container(nodes[0].devices)
    local.delete_db(ts(10))
    replicator.run_once()
    assert os.path.exists(local.db_file)      # the account has not heard yet
    info = local.get_info()
    local.reported(info['put_timestamp'], info['delete_timestamp'],
                   info['object_count'], info['bytes_used'])
    replicator.run_once()
    assert not os.path.exists(local.db_file)


def test_server_replicate_verb(tmp_path):
    node = Node(tmp_path, 5)
    broker = make_container(node.devices, ['o1'])
    db_hash = os.path.basename(broker.db_dir)
    body = json.dumps(['sync', 1, 'x', 'peer', ts(0), ts(0), '0', '']).encode()
    response = Request.blank('/sda/0/' + db_hash, method='REPLICATE',
                             body=body).get_response(node.app)
    assert response.status_int == 200
    assert json.loads(response.body)['max_row'] == 1
    response = Request.blank('/sdx/0/' + db_hash, method='REPLICATE',
                             body=body).get_response(node.app)
    assert response.status_int == 507
