"""etc/object-server.conf-sample documents every option the object server and the
object updater read, each with the default the code uses."""

import os
import re

import pytest

SAMPLE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'etc',
                      'object-server.conf-sample')


def commented_options(section):
    """{option: value} of the ``# option = value`` lines in ``[section]``."""
    with open(SAMPLE) as fp:
        text = fp.read()
    body = text.split('[%s]\n' % section, 1)[1].split('\n[', 1)[0]
    return {m.group(1): m.group(2).strip() for m in
            re.finditer(r'^# ([a-z_]+) =(.*)$', body, re.M)}


def test_object_server_options_and_defaults_match_the_code():
    from swift.obj.server import ObjectServerConfig
    options = commented_options('app:object-server')
    for name in ('conn_timeout', 'node_timeout', 'container_update_timeout',
                 'client_timeout', 'max_upload_time', 'network_chunk_size',
                 'disk_chunk_size', 'keep_cache_size', 'keep_cache_private',
                 'mb_per_sync', 'allowed_headers', 'auto_create_account_prefix',
                 'expiring_objects_account_name', 'expiring_objects_container_divisor',
                 'replication_server', 'replication_lock_timeout',
                 'replication_concurrency_per_device', 'replication_concurrency',
                 'replication_failure_threshold', 'replication_failure_ratio'):
        assert name in options, name
    assert ObjectServerConfig.from_conf(options) == ObjectServerConfig.from_conf({})


def test_object_updater_options_and_defaults_match_the_code():
    from swift.obj.updater import ObjectUpdaterConfig
    options = commented_options('object-updater')
    for name in ('interval', 'concurrency', 'objects_per_second', 'slowdown',
                 'max_objects_per_container_per_second', 'conn_timeout',
                 'node_timeout', 'recon_cache_path'):
        assert name in options, name
    del options['slowdown']  # read only when objects_per_second is unset
    assert ObjectUpdaterConfig.from_conf(options) == ObjectUpdaterConfig.from_conf({})
    assert ObjectUpdaterConfig.from_conf({'slowdown': '0.01'}).objects_per_second == 100


@pytest.mark.parametrize('name', ['devices', 'mount_check', 'reclaim_age',
                                  'fallocate_reserve', 'disable_fallocate'])
def test_storage_options_shown_in_default(name):
    assert name in commented_options('DEFAULT')


def test_ssync_receiver_takes_its_limits_from_the_server_conf():
    from swift.obj.server import ObjectServerConfig
    config = ObjectServerConfig.from_conf({'replication_concurrency': '7',
                                           'replication_failure_threshold': '3',
                                           'replication_failure_ratio': '0.5'})
    assert (config.replication_concurrency, config.replication_failure_threshold,
            config.replication_failure_ratio) == (7, 3, 0.5)
