"""Tests for swift-saio: config text, options, and a real up/status/down/reset cycle
with tiny fake servers on free loopback ports in a temp dir."""

import configparser
import io
import json
import os
import random
import shutil
import socket
import subprocess
import sys

import pytest

from swift.cli import saio, saio_conf
from swift.common import manager

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
FAKE_APP = 'call:test.helpers.fake_wsgi_app:app_factory'
FAKE_FILTER = 'call:test.helpers.fake_wsgi_app:filter_factory'


def parse(text):
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read_string(text)
    return parser


class TestConfText:
    layout = saio_conf.Layout(root='/srv/s', base_port=6200, rsync_port=6203)

    def test_object_node_conf(self):
        conf = parse(saio_conf.server_conf_text(self.layout, 'object', 2))
        default = conf['DEFAULT']
        assert default['bind_ip'] == '127.0.0.2'
        assert default['bind_port'] == '6220'
        assert default['devices'] == '/srv/s/2/node'
        assert default['mount_check'] == 'false'
        assert default['disable_fallocate'] == 'true'
        assert default['workers'] == '1'
        assert default['log_file'] == '/srv/s/log/object-server-2.log'
        assert default['recon_cache_path'] == '/srv/s/cache/2'
        assert default['swift_dir'] == '/srv/s/etc'
        assert conf['pipeline:main']['pipeline'] == 'healthcheck recon object-server'
        assert conf['app:object-server']['use'] == 'egg:swift#object'
        assert conf['object-replicator']['rsync_module'] == \
            'rsync://{replication_ip}:6203/object{replication_port}'
        assert conf['object-updater']['log_file'] == '/srv/s/log/object-updater-2.log'
        expirer = conf['object-expirer']
        assert (expirer['processes'], expirer['process']) == ('4', '1')
        assert expirer['internal_client_conf_path'] == '/srv/s/etc/internal-client.conf'
        assert 'object-auditor' in conf

    def test_account_and_container_ports_and_sections(self):
        account = parse(saio_conf.server_conf_text(self.layout, 'account', 4))
        assert account['DEFAULT']['bind_port'] == '6242'
        assert {'account-replicator', 'account-auditor', 'account-reaper'} <= set(account)
        container = parse(saio_conf.server_conf_text(self.layout, 'container', 1))
        assert container['DEFAULT']['bind_port'] == '6211'
        assert {'container-replicator', 'container-updater',
                'container-auditor'} <= set(container)

    def test_rsync_module_on_port_873_is_swifts_form(self):
        layout = saio_conf.Layout(root='/x', rsync_port=873)
        assert layout.rsync_module('object') == '{replication_ip}::object{replication_port}'

    def test_proxy_conf(self):
        conf = parse(saio_conf.proxy_conf_text(self.layout))
        assert conf['pipeline:main']['pipeline'] == (
            'catch_errors gatekeeper healthcheck list-endpoints proxy-logging cache '
            'etag-quoter listing_formats '
            'bulk tempurl crossdomain ratelimit s3api tempauth formpost staticweb copy '
            'container-quotas account-quotas slo dlo versioned_writes symlink '
            'proxy-logging proxy-server')
        assert conf['filter:container-quotas']['use'] == 'egg:swift#container_quotas'
        assert conf['filter:account-quotas']['use'] == 'egg:swift#account_quotas'
        assert conf['DEFAULT']['bind_port'] == '8080'
        app = conf['app:proxy-server']
        assert app['account_autocreate'] == 'true'
        assert app['allow_account_management'] == 'true'
        auth = conf['filter:tempauth']
        assert auth['user_admin_admin'] == 'admin .admin .reseller_admin'
        assert auth['user_test_tester'] == 'testing .admin'
        assert auth['user_test_tester2'] == 'testing2 .admin'
        assert auth['user_test_tester3'] == 'testing3'
        assert auth['user_test2_tester2'] == 'testing2 .admin'
        assert conf['filter:cache']['memcache_servers'] == '127.0.0.1:11211'
        assert conf['filter:proxy-logging']['use'] == 'egg:swift#proxy_logging'
        assert conf['filter:list-endpoints']['use'] == 'egg:swift#list_endpoints'
        assert conf['filter:etag-quoter']['use'] == 'egg:swift#etag_quoter'
        assert conf['filter:s3api']['use'] == 'egg:swift#s3api'
        versioning = conf['filter:versioned_writes']
        assert versioning['use'] == 'egg:swift#versioned_writes'
        assert versioning['allow_versioned_writes'] == 'true'

    def test_internal_client_and_memcache_conf(self):
        layout = saio_conf.Layout(root='/srv/s', memcached_port=31211)
        conf = parse(saio_conf.internal_client_conf_text(layout))
        assert conf['pipeline:main']['pipeline'] == \
            'catch_errors proxy-logging cache proxy-server'
        assert conf['app:proxy-server']['account_autocreate'] == 'true'
        assert conf['filter:cache']['memcache_servers'] == '127.0.0.1:31211'
        memcache = parse(saio_conf.memcache_conf_text(layout))
        assert memcache['memcache']['memcache_servers'] == '127.0.0.1:31211'

    def test_swift_conf_random_hash_and_policies(self):
        first = parse(saio_conf.swift_conf_text())
        second = parse(saio_conf.swift_conf_text())
        assert first['swift-hash']['swift_hash_path_suffix'] != \
            second['swift-hash']['swift_hash_path_suffix']
        assert first['storage-policy:0']['name'] == 'gold'
        assert first['storage-policy:0']['default'] == 'yes'
        assert first['storage-policy:1']['name'] == 'silver'

    def test_rsyncd_modules(self):
        conf = parse('[global]\n' + saio_conf.rsyncd_conf_text(self.layout))
        assert conf['object6210']['path'] == '/srv/s/1/node/'
        assert conf['container6231']['path'] == '/srv/s/3/node/'
        assert conf['account6242']['path'] == '/srv/s/4/node/'
        assert conf['account6242']['read only'] == 'false'

    def test_env_and_rings(self):
        env = saio_conf.env_text(self.layout)
        assert 'export SWIFT_DIR=/srv/s/etc\n' in env
        assert 'export SWIFT_RUN_DIR=/srv/s/run\n' in env
        assert 'export ST_AUTH=http://127.0.0.1:8080/auth/v1.0\n' in env
        rings = dict(saio_conf.ring_commands(self.layout))
        assert rings['object'][0][1:] == ['create', '10', '3', '1']
        assert rings['object'][1][1:] == ['add', 'r1z1-127.0.0.1:6210/sdb1', '1']
        assert rings['object-1'][0][1:] == ['create', '10', '2', '1']
        assert rings['account'][4][1:] == ['add', 'r1z4-127.0.0.4:6242/sdb4', '1']
        assert rings['container'][-1][1:] == ['rebalance']


class TestArgs:
    def test_defaults_and_state_reuse(self, tmp_path):
        args = saio.build_parser().parse_args(['up', '--dir', str(tmp_path)])
        layout = saio.layout_from_args(args)
        assert (layout.base_port, layout.proxy_port, layout.rsync_port) == (6200, 8080, 6203)
        (tmp_path / 'saio.json').write_text(json.dumps({'base_port': 30000,
                                                        'proxy_port': 18080}))
        args = saio.build_parser().parse_args(['status', '--dir', str(tmp_path)])
        layout = saio.layout_from_args(args)
        assert (layout.base_port, layout.proxy_port, layout.rsync_port) == \
            (30000, 18080, 30003)

    def test_bad_command_is_usage_error(self, capsys):
        with pytest.raises(SystemExit) as caught:
            saio.main(['sideways'])
        assert caught.value.code == 2

    def test_status_of_nothing(self, tmp_path, capsys):
        assert saio.main(['status', '--dir', str(tmp_path / 'none')]) == 1
        assert 'No all-in-one in' in capsys.readouterr().out


def read(path):
    with open(path) as fp:
        return fp.read()


def ports_free(base):
    for node in (1, 2, 3, 4):
        for offset in (0, 1, 2):
            with socket.socket() as sock:
                try:
                    sock.bind(('127.0.0.%d' % node, base + 10 * node + offset))
                except OSError:
                    return False
    return True


def free_base_port():
    rng = random.Random()
    while True:
        base = rng.randrange(20000, 60000, 100)
        if ports_free(base):
            return base


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


SCRIPT = '''#!%s
import sys
sys.path.insert(0, %r)
from swift.common.wsgi import wsgi_main
sys.exit(wsgi_main(%r))
'''


def make_fake_cluster(tmp_path, use_xfs='no'):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for server in manager.MAIN_SERVERS:
        path = bin_dir / ('swift-%s' % server)
        path.write_text(SCRIPT % (sys.executable, REPO, server))
        path.chmod(0o755)

    def finder(server):
        path = bin_dir / ('swift-%s' % server)
        return [str(path)] if path.exists() else None

    layout = saio_conf.Layout(
        root=str(tmp_path / 'saio'), base_port=free_base_port(), proxy_port=free_port(),
        memcached_port=free_port(), rsync_port=free_port(), use_xfs=use_xfs,
        disk_size='1G', apps={name: FAKE_APP for name in saio_conf.DEFAULT_APPS},
        filters={name: FAKE_FILTER for name in saio_conf.DEFAULT_FILTERS})
    # a generous health wait: a busy 2-core machine can take long to start 13 servers
    return saio.Saio(layout, out=io.StringIO(), command_finder=finder,
                     start_daemons=False, health_timeout_s=120)


@pytest.fixture
def fake_cluster(tmp_path):
    cluster = make_fake_cluster(tmp_path)
    yield cluster
    cluster.down()


def can_loop_mount():
    return (os.geteuid() == 0 and shutil.which('mkfs.xfs') is not None
            and os.path.exists('/dev/loop-control'))


@pytest.mark.skipif(not can_loop_mount(), reason='needs root, mkfs.xfs and loop devices')
def test_xfs_devices_hold_big_metadata_and_go_away_on_down(tmp_path):
    import xattr
    cluster = make_fake_cluster(tmp_path, use_xfs='yes')
    layout = cluster.layout
    try:
        assert cluster.up() == 0
        assert saio._is_mount(layout.mount_dir)
        assert os.path.islink(os.path.join(layout.root, '2'))
        probe = os.path.join(layout.node_dir(2), 'sdb2', 'probe')
        with open(probe, 'w'):
            pass
        xattr.setxattr(probe, 'user.swift.metadata', b'x' * 60000)  # ext4 refuses this
        assert 'WARNING' not in cluster.out.getvalue()
        # the loop device writes straight to the image (no second page cache)
        device = subprocess.run(['findmnt', '-n', '-o', 'SOURCE', layout.mount_dir],
                                capture_output=True, text=True).stdout.strip()
        listed = subprocess.run(['losetup', '-n', '-O', 'DIO', device],
                                capture_output=True, text=True)
        assert listed.stdout.strip() == '1' or 'note: losetup' in cluster.out.getvalue()
    finally:
        assert cluster.down() == 0
    assert not saio._is_mount(layout.mount_dir)
    assert cluster.reset() == 0
    assert not os.path.exists(layout.disk_image)
    assert not os.path.exists(os.path.join(layout.root, '2'))


class TestLifecycle:
    def test_up_status_down_reset(self, fake_cluster):
        cluster, layout, out = fake_cluster, fake_cluster.layout, fake_cluster.out
        assert cluster.up() == 0
        text = out.getvalue()
        assert 'Auth URL: %s' % layout.auth_url in text
        assert 'swift -A %s -U test:tester -K testing stat' % layout.auth_url in text
        assert '. %s' % layout.env_file in text
        assert 'WARNING: devices are plain directories' in text
        for ring in ('object', 'object-1', 'container', 'account'):
            assert os.path.exists(os.path.join(layout.swift_dir, ring + '.ring.gz'))
        for node in (1, 2, 3, 4):
            assert os.path.isdir(os.path.join(layout.node_dir(node), 'sdb%d' % node))
        assert saio._healthy('127.0.0.3', layout.port('container', 3))
        memcached = saio._pid_from(cluster.pid_path('memcached'), 'memcached')
        rsyncd = saio._pid_from(cluster.pid_path('rsyncd-2'), 'rsync')
        assert memcached and rsyncd
        # swift-init's run dir holds only Swift servers' pid files
        assert not os.path.exists(os.path.join(layout.run_dir, 'memcached.pid'))
        with socket.create_connection(('127.0.0.2', layout.rsync_port), timeout=5) as sock:
            assert sock.recv(64).startswith(b'@RSYNCD:')
        swift_conf = read(os.path.join(layout.swift_dir, 'swift.conf'))

        out.seek(0)
        out.truncate()
        assert cluster.up() == 0                       # idempotent
        assert 'Starting' not in out.getvalue()
        assert saio._pid_from(cluster.pid_path('memcached'), 'memcached') == memcached
        assert read(os.path.join(layout.swift_dir, 'swift.conf')) == swift_conf

        out.seek(0)
        out.truncate()
        assert cluster.status() == 0
        text = out.getvalue()
        assert 'memcached running (%d)' % memcached in text
        assert text.count('object-server running') == 4
        assert 'proxy-server running' in text

        assert cluster.down() == 0
        assert not manager.pid_alive(memcached) and not manager.pid_alive(rsyncd)
        assert list(os.scandir(layout.run_dir)) == [] or all(
            not name.endswith('.pid') for _r, _d, names in os.walk(layout.run_dir)
            for name in names)
        assert cluster.status() == 1

        marker = os.path.join(layout.node_dir(1), 'sdb1', 'objects')
        os.makedirs(marker)
        assert cluster.reset() == 0
        assert not os.path.exists(marker)
        assert os.path.exists(os.path.join(layout.swift_dir, 'object.ring.gz'))
        assert read(os.path.join(layout.swift_dir, 'swift.conf')) == swift_conf

    def test_failed_server_is_named_with_its_log(self, fake_cluster):
        layout = fake_cluster.layout
        fake_cluster.write_configs()
        conf = layout.conf_path('account', 3)
        text = read(conf).replace('[app:account-server]\n',
                                         '[app:account-server]\nfail_to_load = yes\n')
        with open(conf, 'w') as fp:
            fp.write(text)
        with pytest.raises(saio.SaioError) as caught:
            fake_cluster.up()
        assert 'logs are in %s' % layout.log_dir in str(caught.value)
        assert 'account-server (%s) exited with status 1; see %s' % (
            conf, layout.log_path('account-server', 3)) in fake_cluster.out.getvalue()


class TestHelpers:
    def test_uses_a_memcached_already_listening(self, tmp_path):
        import threading
        server = socket.socket()
        server.bind(('127.0.0.1', 0))
        server.listen(1)
        port = server.getsockname()[1]

        def answer():
            for _ in range(2):    # start_memcached, then status
                conn, _ = server.accept()
                with conn:
                    conn.recv(64)
                    conn.sendall(b'VERSION 1.6.0\r\n')

        thread = threading.Thread(target=answer)
        thread.start()
        try:
            out = io.StringIO()
            layout = saio_conf.Layout(root=str(tmp_path), memcached_port=port)
            cluster = saio.Saio(layout, out=out)
            cluster.start_memcached()
            os.makedirs(layout.swift_dir)
            assert cluster.status() == 1      # rsync daemons are not running
        finally:
            thread.join(10)
            server.close()
        lines = out.getvalue().splitlines()
        assert lines[0] == 'Using the memcached already listening on 127.0.0.1:%d' % port
        assert lines[1] == 'memcached running (not ours) on 127.0.0.1:%d' % port
        assert lines[2] == 'rsyncd-1 not running'
        assert not os.path.exists(cluster.pid_path('memcached'))

    def test_ring_builder_failure_names_command_and_reason(self, tmp_path):
        cluster = saio.Saio(saio_conf.Layout(root=str(tmp_path)), out=io.StringIO())
        missing = str(tmp_path / 'no-such-dir' / 'object.builder')
        with pytest.raises(saio.SaioError) as caught:
            cluster.ring_builder([missing, 'rebalance'])
        message = str(caught.value)
        assert message.startswith('swift-ring-builder %s rebalance failed (exit 2): '
                                  % missing)
        assert "['" not in message

    def test_health_timeout_names_server_and_log(self, tmp_path):
        from test.helpers.fake_clock import FakeClock
        clock = FakeClock()
        layout = saio_conf.Layout(root=str(tmp_path), proxy_port=free_port())
        cluster = saio.Saio(layout, out=io.StringIO(), clock=clock)
        with pytest.raises(saio.SaioError) as caught:
            cluster.wait_for_health(timeout_s=3)
        assert str(caught.value) == (
            'proxy-server (127.0.0.1:%d) did not answer /healthcheck within 3 s; see %s'
            % (layout.proxy_port, layout.log_path('proxy-server')))
        assert 2.9 < sum(clock.sleeps) < 3.2      # polled, with no real sleep

    def test_unwritable_dir_is_one_error_line(self, capsys):
        assert saio.main(['up', '--dir', '/proc/no-such-saio', '--xfs', 'no']) == 1
        err = capsys.readouterr().err
        assert err.startswith('ERROR: ') and err.count('\n') == 1
