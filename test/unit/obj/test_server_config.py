"""ObjectServerConfig / DiskFileConfig parsing and app_factory composition."""

import pytest

from swift.common.config import ConfigError
from swift.obj.diskfile import DiskFileConfig, Reserve
from swift.obj.server import ObjectController, ObjectServerConfig, app_factory
from test.unit.obj.server_helpers import T1, get, put


def test_defaults_are_swifts():
    config = ObjectServerConfig.from_conf({})
    assert (config.conn_timeout_s, config.node_timeout_s,
            config.container_update_timeout_s, config.client_timeout_s) == (
        0.5, 3.0, 1.0, 60.0)
    assert config.expiring_objects_account == '.expiring_objects'
    assert 'content-disposition' in config.allowed_headers
    assert 'x-robots-tag' in config.allowed_headers
    disk = config.diskfile
    assert (disk.devices, disk.mount_check, disk.reclaim_age_s) == (
        '/srv/node', True, 604800.0)
    assert disk.fallocate_reserve == Reserve(1.0, True)


@pytest.mark.parametrize('option,value', [
    ('node_timeout', 'soon'), ('network_chunk_size', '0'), ('mount_check', 'maybe'),
    ('fallocate_reserve', 'lots'), ('reclaim_age', '-1')])
def test_bad_options_are_named(option, value):
    with pytest.raises(ConfigError) as caught:
        ObjectServerConfig.from_conf({option: value})
    assert option in str(caught.value)


def test_reserve_parsing():
    assert DiskFileConfig.from_conf({'fallocate_reserve': '10485760'}
                                    ).fallocate_reserve == Reserve(10485760.0, False)
    assert DiskFileConfig.from_conf({'fallocate_reserve': '2%'}
                                    ).fallocate_reserve == Reserve(2.0, True)


def test_app_factory_builds_a_working_server(tmp_path):
    swift_dir = tmp_path / 'etc'
    swift_dir.mkdir()
    (swift_dir / 'swift.conf').write_text(
        '[swift-hash]\nswift_hash_path_prefix = pre\nswift_hash_path_suffix = suf\n'
        '[storage-policy:0]\nname = gold\ndefault = yes\n'
        '[storage-policy:1]\nname = silver\n')
    (tmp_path / 'node' / 'sda').mkdir(parents=True)
    app = app_factory({'swift_dir': str(swift_dir), 'devices': str(tmp_path / 'node'),
                       'mount_check': 'false', 'log_name': 'object-server-test'},
                      allowed_headers='Content-Disposition, X-Foo')
    assert isinstance(app, ObjectController)
    assert app.config.allowed_headers == frozenset({'content-disposition', 'x-foo'})
    assert put(app, b'hi', T1, X_Foo='bar').status_int == 201
    assert get(app).headers['X-Foo'] == 'bar'
    assert put(app, b'hi', T1, path='/sda/0/a/c/o2',
               X_Backend_Storage_Policy_Index='1').status_int == 201
