"""Tests for swift.common.wsgi: args, conf, app loading, binding, workers, serving."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from swift.common import wsgi
from swift.common.config import ConfigError
from test.helpers.fake_clock import FakeClock

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def write_conf(tmp_path, port, workers=1, extra_app='', name='server.conf'):
    path = tmp_path / name
    path.write_text(textwrap.dedent('''\
        [DEFAULT]
        bind_ip = 127.0.0.1
        bind_port = %d
        workers = %d
        swift_dir = %s
        log_file = %s

        [pipeline:main]
        pipeline = object-server

        [app:object-server]
        use = call:test.helpers.fake_wsgi_app:app_factory
        name = obj
        %s
        ''') % (port, workers, tmp_path, tmp_path / 'server.log', extra_app))
    return str(path)


class FakeLogger:
    def __init__(self):
        self.lines = []

    def _log(self, level):
        return lambda msg, *args: self.lines.append((level, msg % args if args else msg))

    def __getattr__(self, name):
        if name in ('info', 'debug', 'error', 'warning', 'exception'):
            return self._log(name)
        raise AttributeError(name)


class TestParseArgs:
    def test_config_and_flags(self):
        args = wsgi.parse_server_args(['/etc/swift/object-server.conf', '-v'])
        assert args.conf_path == '/etc/swift/object-server.conf'
        assert args.verbose and not args.test_config

    def test_bare_verbose_word_from_swift_init(self):
        args = wsgi.parse_server_args(['/x.conf', 'verbose'])
        assert args.verbose

    def test_missing_config_is_usage_error(self, capsys):
        with pytest.raises(SystemExit) as caught:
            wsgi.parse_server_args([])
        assert caught.value.code == 2
        assert 'CONFIG' in capsys.readouterr().err


class TestLoadConf:
    def test_default_merged_with_app_section(self, tmp_path):
        path = write_conf(tmp_path, 6200)
        conf = wsgi.load_server_conf(path, 'object-server')
        assert conf['bind_port'] == '6200'
        assert conf['name'] == 'obj'
        assert conf['log_name'] == 'object-server'
        assert conf['__file__'] == path

    def test_missing_file(self, tmp_path):
        with pytest.raises(ConfigError) as caught:
            wsgi.load_server_conf(str(tmp_path / 'nope.conf'), 'object-server')
        assert 'Unable to read config' in str(caught.value)

    def test_no_main_section(self, tmp_path):
        path = tmp_path / 'x.conf'
        path.write_text('[DEFAULT]\nbind_port = 1\n[app:object-server]\nuse = egg:swift#object\n')
        with pytest.raises(ConfigError) as caught:
            wsgi.load_server_conf(str(path), 'object-server')
        assert 'pipeline:main' in str(caught.value)

    def test_workers(self):
        assert wsgi.parse_workers({}) == 1
        assert wsgi.parse_workers({'workers': '0'}) == 0
        assert wsgi.parse_workers({'workers': 'auto'}) >= 1
        with pytest.raises(ConfigError):
            wsgi.parse_workers({'workers': 'many'})


class TestLoadApp:
    def test_loads_paste_app(self, tmp_path):
        app = wsgi.loadapp(write_conf(tmp_path, 1))
        seen = []
        body = app({'PATH_INFO': '/healthcheck'}, lambda status, headers: seen.append(status))
        assert seen == ['200 OK'] and body == [b'OK']

    def test_factory_error_is_app_load_error(self, tmp_path):
        path = write_conf(tmp_path, 1, extra_app='fail_to_load = broken')
        with pytest.raises(wsgi.AppLoadError) as caught:
            wsgi.loadapp(path)
        assert 'broken' in str(caught.value) and caught.value.path == path


class TestBind:
    def test_binds_loopback(self):
        sock = wsgi.bind_socket({'bind_ip': '127.0.0.1', 'bind_port': '0'})
        try:
            assert sock.getsockname()[0] == '127.0.0.1'
        finally:
            sock.close()

    def test_busy_port_retries_then_fails(self):
        holder = socket.socket()
        holder.bind(('127.0.0.1', 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        clock = FakeClock()
        try:
            with pytest.raises(wsgi.BindError) as caught:
                wsgi.bind_socket({'bind_ip': '127.0.0.1', 'bind_port': str(port),
                                  'bind_timeout': '1'}, clock=clock)
        finally:
            holder.close()
        assert caught.value.address == ('127.0.0.1', port)
        assert 'Could not bind to 127.0.0.1:%d' % port in str(caught.value)
        assert len(clock.sleeps) == 10  # 0.1 s steps up to the 1 s timeout

    def test_second_server_cannot_share_a_port(self):
        first = wsgi.bind_socket({'bind_ip': '127.0.0.1', 'bind_port': '0'})
        port = first.getsockname()[1]
        try:
            with pytest.raises(wsgi.BindError):
                wsgi.bind_socket({'bind_ip': '127.0.0.1', 'bind_port': str(port),
                                  'bind_timeout': '0'}, clock=FakeClock())
        finally:
            first.close()

    def test_bad_port(self):
        with pytest.raises(ConfigError):
            wsgi.bind_socket({'bind_port': 'http'})


class FakeProcesses:
    """fork/wait/kill for WorkerSupervisor: children 'die' when the test says so."""

    def __init__(self):
        self.next_pid = 100
        self.alive = []
        self.deaths = []
        self.signals = []
        self.supervisor = None
        self.on_wait = None

    def fork(self):
        self.next_pid += 1
        self.alive.append(self.next_pid)
        return self.next_pid

    def kill(self, pid, signum):
        self.signals.append((pid, signum))
        if signum == signal.SIGTERM and pid in self.alive:
            self.deaths.append(pid)

    def wait(self):
        if self.on_wait:
            self.on_wait()
        if not self.deaths:
            raise ChildProcessError()
        pid = self.deaths.pop(0)
        self.alive.remove(pid)
        return pid, 0


class TestWorkerSupervisor:
    def make(self, count=2):
        procs = FakeProcesses()
        clock = FakeClock()
        sup = wsgi.WorkerSupervisor(count, lambda: None, logger=FakeLogger(),
                                    fork=procs.fork, wait=procs.wait, kill=procs.kill,
                                    sleep=clock.sleep)
        procs.supervisor = sup
        return sup, procs, clock

    def test_restarts_dead_worker_then_stops_on_sigterm(self):
        sup, procs, clock = self.make(2)
        waits = []

        def on_wait():
            waits.append(1)
            if len(waits) == 1:
                procs.deaths.append(101)          # worker 101 crashes
            elif len(waits) == 2:
                sup.handle_signal(signal.SIGTERM)  # operator stops the server

        procs.on_wait = on_wait
        assert sup.run(install_handlers=False) == 0
        assert clock.sleeps == [wsgi.RESPAWN_DELAY_S]
        assert sorted(procs.signals) == [(102, signal.SIGTERM), (103, signal.SIGTERM)]
        assert procs.alive == []
        assert sup.children == set()

    def test_sighup_passes_on_and_returns_without_reaping(self):
        sup, procs, clock = self.make(3)
        procs.on_wait = lambda: sup.handle_signal(signal.SIGHUP)
        assert sup.run(install_handlers=False) == 0
        assert sorted(procs.signals) == [(101, signal.SIGHUP), (102, signal.SIGHUP),
                                         (103, signal.SIGHUP)]
        assert sorted(procs.alive) == [101, 102, 103]   # finishing their requests

    def test_child_runs_worker_and_exits(self):
        ran, exits = [], []

        def boom():
            ran.append(1)
            raise RuntimeError('bad worker')

        old = (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP))
        try:
            sup = wsgi.WorkerSupervisor(1, boom, logger=FakeLogger(), fork=lambda: 0,
                                        exit_child=exits.append)
            assert sup.spawn_child() is None
        finally:
            signal.signal(signal.SIGTERM, old[0])
            signal.signal(signal.SIGHUP, old[1])
        assert ran == [1] and exits == [1]
        assert sup.logger.lines[0][0] == 'exception'


def wait_for_healthcheck(port, proc, timeout_s=60.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError('server exited %s: %s' % (proc.returncode,
                                                           proc.stderr.read()))
        try:
            return http_get(port, '/healthcheck')
        except OSError:
            time.sleep(0.05)
    raise AssertionError('server never answered on %s' % port)


def http_get(port, path):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
    try:
        conn.request('GET', path)
        return conn.getresponse().read()
    finally:
        conn.close()


def wait_for_text(path, text, timeout_s=60.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        time.sleep(0.05)
    raise AssertionError('%r never appeared in %s' % (text, path))


def stop(proc, signum=signal.SIGTERM):
    proc.send_signal(signum)
    try:
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode


def run_server(conf_path):
    code = 'import sys; from swift.common.wsgi import wsgi_main; ' \
           'sys.exit(wsgi_main("object-server"))'
    return subprocess.Popen([sys.executable, '-c', code, conf_path], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class TestWsgiMainProcess:
    """Real processes on loopback: bind, fork workers, serve, stop."""

    def test_serves_with_two_workers_and_stops_on_sigterm(self, tmp_path):
        port = free_port()
        proc = run_server(write_conf(tmp_path, port, workers=2))
        try:
            assert wait_for_healthcheck(port, proc) == b'OK'
            name, pid, built_by = http_get(port, '/v1/a').decode().split()
            assert name == 'obj' and int(pid) != proc.pid   # served by a forked worker
            assert built_by == pid                          # with an app of its own
            os.kill(int(pid), signal.SIGKILL)              # a worker dies: replaced
            wait_for_text(tmp_path / 'server.log', 'died (status 9), restarting')
            log = tmp_path / 'server.log'
            deadline = time.monotonic() + 60
            while log.read_text().count('started worker') < 3:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert wait_for_healthcheck(port, proc) == b'OK'
        finally:
            assert stop(proc) == 0

    def test_zero_workers_serves_in_process(self, tmp_path):
        port = free_port()
        proc = run_server(write_conf(tmp_path, port, workers=0))
        try:
            wait_for_healthcheck(port, proc)
            assert http_get(port, '/x').decode().split()[1] == str(proc.pid)
        finally:
            assert stop(proc, signal.SIGHUP) == 0   # graceful: stops accepting, exits

    def test_sighup_finishes_in_flight_request_then_exits(self, tmp_path):
        import threading
        port = free_port()
        proc = run_server(write_conf(tmp_path, port, workers=1))
        results = []
        try:
            wait_for_healthcheck(port, proc)
            slow = threading.Thread(target=lambda: results.append(http_get(port, '/slow?1')))
            slow.start()
            wait_for_text(tmp_path / 'server.log', 'started worker')
            deadline = time.monotonic() + 10
            while not self._has_client(port) and time.monotonic() < deadline:
                time.sleep(0.01)
            proc.send_signal(signal.SIGHUP)
            slow.join(20)
            proc.communicate(timeout=60)
            assert proc.returncode == 0       # the parent leaves at once
        finally:
            if proc.poll() is None:
                stop(proc, signal.SIGKILL)
        assert results == [b'slow done']
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:   # the worker exits once the request is done
            try:
                http_get(port, '/healthcheck')
            except ConnectionRefusedError:
                break
            time.sleep(0.05)
        else:
            raise AssertionError('still accepting after SIGHUP')

    @staticmethod
    def _has_client(port):
        with open('/proc/net/tcp') as fp:
            # an ESTABLISHED (01) connection to our port: the slow request is in flight
            return any(line.split()[1].endswith(':%04X' % port) and line.split()[3] == '01'
                       for line in fp.readlines()[1:])

    def test_bad_config_is_one_line_and_exit_1(self, tmp_path):
        path = write_conf(tmp_path, free_port(), extra_app='fail_to_load = nope')
        proc = run_server(path)
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 1
        assert err.startswith('Error: Error loading app from %s' % path)
        assert 'Traceback' not in err

    def test_test_config_loads_without_binding(self, tmp_path):
        holder = socket.socket()
        holder.bind(('127.0.0.1', 0))
        holder.listen(1)
        port = holder.getsockname()[1]     # busy: binding would fail
        try:
            code = 'import sys; from swift.common.wsgi import wsgi_main; ' \
                   'sys.exit(wsgi_main("object-server"))'
            result = subprocess.run([sys.executable, '-c', code,
                                     write_conf(tmp_path, port), '-t'],
                                    cwd=REPO, capture_output=True, text=True, timeout=60)
        finally:
            holder.close()
        assert result.returncode == 0, result.stderr
        assert result.stderr == ''

    def test_missing_config_exit_1(self, tmp_path):
        proc = run_server(str(tmp_path / 'missing.conf'))
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 1
        assert 'Unable to read config' in err and 'Traceback' not in err


def test_default_content_type_of_eventlet_is_dropped():
    from swift.common.wsgi import without_default_content_type
    seen = {}

    def app(env, start_response):
        seen['ct'] = env.get('CONTENT_TYPE')
        return [b'']

    wrapped = without_default_content_type(app)
    wrapped({'CONTENT_TYPE': 'text/plain', 'headers_raw': (('Host', 'x'),)}, None)
    assert seen['ct'] is None
    wrapped({'CONTENT_TYPE': 'image/png', 'headers_raw': (('content-type', 'image/png'),)},
            None)
    assert seen['ct'] == 'image/png'


def test_loadapp_accepts_a_bare_percent(tmp_path):
    from swift.common.wsgi import loadapp
    conf = tmp_path / 'x.conf'
    conf.write_text('[DEFAULT]\nfallocate_reserve = 1%\nlog_dir = %(here)s\n'
                    '[app:main]\nuse = egg:swift#account\ndevices = ' + str(tmp_path) +
                    '\nmount_check = false\nswift_dir = ' + str(tmp_path) + '\n')
    (tmp_path / 'swift.conf').write_text('[swift-hash]\nswift_hash_path_suffix = x\n')
    app = loadapp(str(conf))
    assert callable(app)
