"""Tests for swift.common.manager (swift-init): names, pid files, real start/stop."""

import io
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from swift.common import manager
from test.helpers.fake_clock import FakeClock

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))

SERVER_SCRIPT = '''#!%(python)s
import sys
sys.path.insert(0, %(repo)r)
from swift.common.wsgi import wsgi_main
sys.exit(wsgi_main(%(section)r))
'''
DAEMON_SCRIPT = '''#!%(python)s
import sys
sys.path.insert(0, %(repo)r)
from swift.common.daemon import Daemon, daemon_main
class Fake(Daemon):
    def run_once(self, **kw):
        print('one pass of', %(section)r, self.conf['devices'], flush=True)
    def run_forever(self, **kw):
        import time
        print('forever pass of', %(section)r, flush=True)
        while True:
            time.sleep(1)
sys.exit(daemon_main(Fake, %(section)r))
'''
STUBBORN_SCRIPT = '''#!%(python)s
import signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
open(sys.argv[1] + '.ready', 'w').close()
while True:
    time.sleep(1)
'''


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def write_script(bin_dir, server, template):
    path = os.path.join(bin_dir, 'swift-%s' % server)
    with open(path, 'w') as fp:
        fp.write(template % {'python': sys.executable, 'repo': REPO,
                             'section': server})
    os.chmod(path, 0o755)
    return path


def server_conf(tmp_path, port, node):
    return textwrap.dedent('''\
        [DEFAULT]
        bind_ip = 127.0.0.1
        bind_port = %d
        workers = 1
        devices = /srv/%d/node
        swift_dir = %s
        log_file = %s/log/object-%d.log

        [pipeline:main]
        pipeline = object-server

        [app:object-server]
        use = call:test.helpers.fake_wsgi_app:app_factory
        name = object-%d

        [object-updater]
        log_file = %s/log/object-updater-%d.log
        ''') % (port, node, tmp_path / 'etc', tmp_path, node, node, tmp_path, node)


class Cluster:
    """A temp SWIFT_DIR with object-server/1.conf and 2.conf, fake commands, run dir."""

    def __init__(self, tmp_path, stubborn=False):
        self.tmp = tmp_path
        self.swift_dir = tmp_path / 'etc'
        self.run_dir = tmp_path / 'run'
        (self.swift_dir / 'object-server').mkdir(parents=True)
        self.ports = {}
        for node in (1, 2):
            self.ports[node] = free_port()
            (self.swift_dir / 'object-server' / ('%d.conf' % node)).write_text(
                server_conf(tmp_path, self.ports[node], node))
        self.bin = tmp_path / 'bin'
        self.bin.mkdir()
        write_script(self.bin, 'object-server',
                     STUBBORN_SCRIPT if stubborn else SERVER_SCRIPT)
        write_script(self.bin, 'object-updater', DAEMON_SCRIPT)
        self.env = dict(os.environ, SWIFT_DIR=str(self.swift_dir),
                        SWIFT_RUN_DIR=str(self.run_dir))

    def finder(self, server):
        path = self.bin / ('swift-%s' % server)
        return [str(path)] if path.exists() else None

    def run(self, *argv, clock=None):
        out = io.StringIO()
        old = dict(os.environ)
        os.environ.update(self.env)
        try:
            status = manager.main(list(argv), out=out, clock=clock,
                                  command_finder=self.finder)
        finally:
            os.environ.clear()
            os.environ.update(old)
        return status, out.getvalue()

    def pid_file(self, server, node):
        return self.run_dir / server / ('%d.pid' % node)

    def cleanup(self):
        for pid_file in self.run_dir.glob('**/*.pid'):
            try:
                pid = int(pid_file.read_text())
                os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ValueError, OSError):
                pass


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    yield c
    c.cleanup()


class TestNames:
    def test_server_words(self):
        assert manager.parse_server_word('object') == ('object-server', None)
        assert manager.parse_server_word('object.2') == ('object-server', '2')
        assert manager.parse_server_word('object-server.3') == ('object-server', '3')
        assert manager.parse_server_word('object-updater') == ('object-updater', None)
        with pytest.raises(manager.ServerNameError):
            manager.parse_server_word('web-server')

    def test_groups_and_globs(self):
        names = [n for n, _ in manager.expand_servers(['main'])]
        assert names == manager.MAIN_SERVERS
        assert len(manager.expand_servers(['all'])) == 18
        rest = [n for n, _ in manager.expand_servers(['rest'])]
        assert 'object-server' not in rest and 'object-updater' in rest
        assert [n for n, _ in manager.expand_servers(['object-*'])] == [
            'object-auditor', 'object-server', 'object-expirer', 'object-replicator',
            'object-reconstructor', 'object-updater']

    def test_command_word_swap(self):
        assert manager._split_words(['start', 'main']) == (['main'], 'start')
        assert manager._split_words(['main', 'start']) == (['main'], 'start')
        assert manager._split_words(['start']) == (None, None)


class TestConfAndPidFiles:
    def test_pid_files_mirror_conf_paths(self, cluster):
        (cluster.swift_dir / 'proxy-server.conf').write_text('[DEFAULT]\n')
        replicator = manager.Server('object-replicator', swift_dir=str(cluster.swift_dir),
                                    run_dir='/var/run/swift')
        conf = str(cluster.swift_dir / 'object-server' / '1.conf')
        assert replicator.pid_file_for(conf) == '/var/run/swift/object-replicator/1.pid'
        proxy = manager.Server('proxy', swift_dir=str(cluster.swift_dir), run_dir='/r')
        assert proxy.conf_files() == [str(cluster.swift_dir / 'proxy-server.conf')]
        assert proxy.pid_file_for(proxy.conf_files()[0]) == '/r/proxy-server.pid'

    def test_selector_and_config_number(self, cluster):
        kw = dict(swift_dir=str(cluster.swift_dir), run_dir=str(cluster.run_dir))
        obj = manager.Server('object-server', **kw)
        assert [os.path.basename(c) for c in obj.conf_files()] == ['1.conf', '2.conf']
        assert obj.conf_files(number=2) == [str(cluster.swift_dir / 'object-server/2.conf')]
        assert obj.conf_files(number=3) == []
        two = manager.Server('object.2', **kw)
        assert two.conf_files() == [str(cluster.swift_dir / 'object-server/2.conf')]

    def test_env_gives_dirs(self, monkeypatch):
        assert manager.swift_dir_from_env({}) == '/etc/swift'
        assert manager.run_dir_from_env({'SWIFT_RUN_DIR': '/tmp/r'}) == '/tmp/r'


class TestStalePidFiles:
    def test_dead_pid_is_removed(self, cluster):
        proc = subprocess.Popen(['true'])
        proc.wait()
        pid_file = cluster.pid_file('object-server', 1)
        pid_file.parent.mkdir(parents=True)
        pid_file.write_text('%d\n' % proc.pid)
        status, out = cluster.run('object-server', 'status', '-v')
        assert status == 1
        assert 'Removing stale pid file %s' % pid_file in out
        assert 'No object-server running' in out
        assert not pid_file.exists()

    def test_garbage_pid_file(self, cluster):
        pid_file = cluster.pid_file('object-server', 2)
        pid_file.parent.mkdir(parents=True)
        pid_file.write_text('not a pid')
        status, out = cluster.run('object', 'status')
        assert status == 1 and not pid_file.exists()

    def test_bl27_pid_of_another_program(self, cluster):
        """BL-27: a pid file holding an unrelated program's pid is not trusted."""
        sleeper = subprocess.Popen(['sleep', '1000'])
        try:
            pid_file = cluster.pid_file('object-server', 1)
            pid_file.parent.mkdir(parents=True)
            pid_file.write_text('%d\n' % sleeper.pid)
            status, out = cluster.run('object-server', 'status', '-v')
            assert status == 1
            assert 'Removing pid file %s with wrong pid %d' % (pid_file, sleeper.pid) in out
            assert 'No object-server running' in out
            assert not pid_file.exists()
            assert sleeper.poll() is None          # got no signal
            status, out = cluster.run('object-server.1', 'start')
            assert status == 0, out
            assert int(pid_file.read_text()) != sleeper.pid
            assert cluster.run('object-server.1', 'stop')[0] == 0
            assert sleeper.poll() is None
        finally:
            sleeper.kill()
            sleeper.wait()


class TestLifecycle:
    def test_start_status_stop_one_node_and_all(self, cluster):
        status, out = cluster.run('object-server', 'start')
        assert status == 0, out
        assert 'Starting object-server...(%s/object-server/1.conf)' % cluster.swift_dir in out
        for node in (1, 2):
            pid = int(cluster.pid_file('object-server', node).read_text())
            assert 'swift-object-server' in manager.read_cmdline(pid)

        status, out = cluster.run('object', 'start')          # idempotent
        assert status == 0 and 'object-server running (' in out

        status, out = cluster.run('object-server.2', 'stop')
        assert status == 0
        assert 'appears to have stopped' in out
        assert not cluster.pid_file('object-server', 2).exists()
        assert cluster.pid_file('object-server', 1).exists()

        status, out = cluster.run('object-server', 'status')
        assert status == 0
        assert out.count('object-server running') == 1
        assert '%s/object-server/1.conf' % cluster.swift_dir in out

        status, out = cluster.run('object-server', '-c', '2', 'start')
        assert status == 0 and out.count('Starting') == 1

        status, out = cluster.run('all', 'status')
        assert out.count('object-server running') == 2
        assert 'object-updater' in out          # has a conf and a command
        assert 'object-replicator' not in out   # has a conf, but is not installed

        status, out = cluster.run('all', 'stop')
        assert status == 0 and out.count('appears to have stopped') == 2
        assert list(cluster.run_dir.glob('**/*.pid')) == []
        assert cluster.run('all', 'stop')[0] == 1      # nothing to stop
        assert cluster.run('all', 'kill')[0] == 0      # nothing left running

    def test_restart_gives_new_pid(self, cluster):
        status, out = cluster.run('object.1', 'start')
        assert status == 0, out
        old = int(cluster.pid_file('object-server', 1).read_text())
        status, out = cluster.run('object.1', 'restart')
        assert status == 0, out
        new = int(cluster.pid_file('object-server', 1).read_text())
        assert new != old and not manager.pid_alive(old), out
        assert cluster.run('object.1', 'stop')[0] == 0

    def test_reload_and_shutdown_are_graceful(self, cluster):
        assert cluster.run('object.1', 'start')[0] == 0
        old = int(cluster.pid_file('object-server', 1).read_text())
        status, out = cluster.run('object.1', 'reload', '-v')
        assert status == 0, out
        assert 'Signal object-server  pid: %d  signal: %d' % (old, signal.SIGHUP) in out
        new = int(cluster.pid_file('object-server', 1).read_text())
        assert new != old and not manager.pid_alive(old)
        status, out = cluster.run('object.1', 'shutdown', '-v')
        assert status == 0, out
        assert 'pid: %d  signal: %d' % (new, signal.SIGHUP) in out
        assert not cluster.pid_file('object-server', 1).exists()

    def test_run_dir_option(self, cluster):
        other = cluster.tmp / 'other-run'
        status, out = cluster.run('object.2', 'start', '-r', str(other))
        assert status == 0, out
        assert (other / 'object-server' / '2.pid').exists()
        assert not cluster.pid_file('object-server', 2).exists()
        assert cluster.run('object.2', 'status')[0] == 1      # not in SWIFT_RUN_DIR
        assert cluster.run('object.2', 'stop', '--run-dir', str(other))[0] == 0

    def test_failed_start_names_log(self, cluster):
        conf = cluster.swift_dir / 'object-server' / '1.conf'
        conf.write_text(conf.read_text().replace('name = object-1',
                                                 'fail_to_load = on purpose'))
        status, out = cluster.run('object.1', 'start')
        assert status == 1
        assert 'exited with status 1; see %s/log/object-1.log' % cluster.tmp in out
        assert 'on purpose' in (cluster.tmp / 'log' / 'object-1.log').read_text()
        assert not cluster.pid_file('object-server', 1).exists()

    def test_once_runs_daemon_pass_in_foreground(self, cluster, capfd):
        status, out = cluster.run('object-updater', 'once', '-c', '1')
        assert status == 0, out
        assert 'Running object-updater...(' in out
        assert 'one pass of object-updater /srv/1/node' in capfd.readouterr().out
        assert not cluster.pid_file('object-updater', 1).exists()

    def test_once_leaves_the_forever_daemon_alone(self, cluster, capfd):
        assert cluster.run('object-updater.1', 'start')[0] == 0
        pid_file = cluster.pid_file('object-updater', 1)
        forever = int(pid_file.read_text())
        status, out = cluster.run('object-updater.1', 'once')
        assert status == 0, out
        assert int(pid_file.read_text()) == forever and manager.pid_alive(forever)
        assert 'one pass of object-updater' in capfd.readouterr().out
        assert cluster.run('object-updater.1', 'stop')[0] == 0

    def test_daemon_start_and_stop(self, cluster):
        status, out = cluster.run('rest', 'start')
        assert status == 0, out
        assert cluster.pid_file('object-updater', 2).exists()
        log = cluster.tmp / 'log' / 'object-updater-2.log'
        deadline = time.monotonic() + 30
        while 'forever pass of object-updater' not in (log.read_text() if log.exists()
                                                       else ''):
            assert time.monotonic() < deadline, 'daemon output never reached its log'
            time.sleep(0.05)
        status, out = cluster.run('object-updater', 'stop')
        assert status == 0 and out.count('appears to have stopped') == 2
        assert not (cluster.tmp / 'log' / 'object-1.log').exists()  # not the server's


class TestStubborn:
    def test_stop_gives_up_then_kill_after_timeout(self, tmp_path):
        cluster = Cluster(tmp_path, stubborn=True)
        try:
            assert cluster.run('object.1', 'no-wait')[0] == 0
            pid = int(cluster.pid_file('object-server', 1).read_text())
            ready = cluster.swift_dir / 'object-server' / '1.conf.ready'
            deadline = time.monotonic() + 60
            while not ready.exists():    # SIGTERM is ignored from now on
                assert time.monotonic() < deadline
                time.sleep(0.02)
            status, out = cluster.run('object.1', 'stop', '-k', '2', clock=FakeClock())
            assert status == 1
            assert 'Waited 2 seconds for object-server to die; giving up' in out
            assert manager.pid_alive(pid)
            status, out = cluster.run('object.1', 'stop', '-k', '1',
                                      '--kill-after-timeout', clock=FakeClock())
            assert status == 0 and 'Killing object-server (%d)' % pid in out
            os.waitpid(pid, 0)
        finally:
            cluster.cleanup()


class TestUsage:
    def test_unknown_command(self, cluster):
        status, out = cluster.run('object-server', 'dance')
        assert status == 1 and 'ERROR: unknown command, dance' in out

    def test_unknown_server(self, cluster):
        status, out = cluster.run('web-server', 'start')
        assert status == 1 and "ERROR: Unknown server 'web-server'" in out

    def test_no_config_strict(self, cluster):
        status, out = cluster.run('proxy-server', 'start')
        assert status == 1 and 'Unable to locate config for proxy-server' in out

    def test_missing_words(self, cluster):
        status, out = cluster.run('start')
        assert status == 1 and 'ERROR: specify server(s) and command' in out


class TestConsoleEntry:
    def test_exit_codes_and_env_dirs(self, cluster):
        code = 'import sys; from swift.common.manager import main; sys.exit(main())'

        def swift_init(*args):
            return subprocess.run([sys.executable, '-c', code] + list(args), cwd=REPO,
                                  env=cluster.env, capture_output=True, text=True,
                                  timeout=60)

        result = swift_init('object-server', 'status')
        assert result.returncode == 1
        assert result.stdout == 'No object-server running\n'
        pid_file = cluster.pid_file('object-server', 1)
        pid_file.parent.mkdir(parents=True)
        pid_file.write_text('%d\n' % os.getpid())     # pytest: not an object server
        result = swift_init('object.1', 'status', '-v')
        assert result.returncode == 1
        assert 'Removing pid file %s with wrong pid %d' % (pid_file, os.getpid()) \
            in result.stdout
        result = swift_init('object-server', 'twirl')
        assert result.returncode == 1
        assert result.stdout == 'ERROR: unknown command, twirl\n'


def test_spawned_servers_get_a_raised_descriptor_limit(cluster):
    import resource
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    expected = manager.MAX_DESCRIPTORS if hard == resource.RLIM_INFINITY else \
        min(manager.MAX_DESCRIPTORS, hard)
    assert cluster.run('object.1', 'start')[0] == 0
    pid = int(cluster.pid_file('object-server', 1).read_text())
    with open('/proc/%d/limits' % pid) as fp:
        line = next(line for line in fp if line.startswith('Max open files'))
    assert int(line.split()[3]) >= expected
    assert cluster.run('object.1', 'stop')[0] == 0
