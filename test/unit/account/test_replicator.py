"""The account server's REPLICATE verb (delegating to ReplicatorRpc) and the account
replicator's identity; the replication behaviour itself is in
test/unit/common/test_db_replicator.py."""

import json

from swift.account.replicator import AccountReplicator
from swift.account.server import AccountController, AccountServerConfig
from swift.common.swob import Request
from test.helpers.debug_logger import DebugLogger


def controller(tmp_path, **kwargs):
    (tmp_path / 'sda').mkdir(exist_ok=True)
    config = AccountServerConfig(devices=str(tmp_path), mount_check=False, **kwargs)
    return AccountController(config, logger=DebugLogger('account-server'))


def replicate(app, path, body):
    return Request.blank(path, method='REPLICATE', body=body).get_response(app)


def test_replicate_routes_to_rpc(tmp_path):
    app = controller(tmp_path)
    response = replicate(app, '/sda/0/' + 'a' * 32,
                         json.dumps(['sync', 1, 'h', 'id', '0', '0', '0', '']).encode())
    assert response.status_int == 404          # no such DB yet
    assert (tmp_path / 'sda' / 'tmp').is_dir()  # ready to receive an rsync


def test_replicate_bad_json_and_unmounted(tmp_path):
    app = controller(tmp_path)
    assert replicate(app, '/sda/0/' + 'a' * 32, b'{nope').status_int == 400
    assert replicate(app, '/sdz/0/' + 'a' * 32, b'["sync"]').status_int == 507


def test_replication_server_flag(tmp_path):
    only = controller(tmp_path, replication_server=True)
    assert only.allowed_methods == ['REPLICATE']
    never = controller(tmp_path, replication_server=False)
    assert 'REPLICATE' not in never.allowed_methods
    assert replicate(never, '/sda/0/' + 'a' * 32, b'["sync"]').status_int == 405


def test_account_replicator_identity():
    assert AccountReplicator.server_type == 'account'
    assert AccountReplicator.datadir == 'accounts'
    assert AccountReplicator.default_port == 6202
