"""Tests for swift.common.daemon: pass loop, args, config, console entry."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

from swift.common import daemon
from swift.common.config import ConfigError
from swift.common.manager import pid_alive
from test.helpers.fake_clock import FakeClock

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


class RecordingLogger:
    def __init__(self):
        self.lines = []

    def __getattr__(self, level):
        return lambda msg, *args: self.lines.append((level, msg % args if args else msg))


class CountingDaemon(daemon.Daemon):
    """Each pass takes ``pass_s`` of fake time; stops itself after ``stop_after``."""

    def __init__(self, conf, *, pass_s=0.0, stop_after=3, fail_on=(), **kw):
        super().__init__(conf, **kw)
        self.pass_s = pass_s
        self.stop_after = stop_after
        self.fail_on = fail_on
        self.calls = []

    def run_once(self, **kwargs):
        self.calls.append(kwargs)
        self.clock.advance(self.pass_s)
        if len(self.calls) in self.fail_on:
            raise ValueError('disk on fire')
        if len(self.calls) >= self.stop_after:
            self.stop()


def make(conf=None, **kw):
    clock = FakeClock()
    logger = RecordingLogger()
    return CountingDaemon(conf or {}, logger=logger, clock=clock, **kw), clock, logger


class TestRunForever:
    def test_sleeps_rest_of_interval_and_stops_when_asked(self):
        d, clock, _ = make({'interval': '30'}, pass_s=10, stop_after=3)
        d.run_forever(devices='sdb1')
        assert d.calls == [{'devices': 'sdb1'}] * 3
        assert clock.sleeps == [20.0, 20.0]   # no sleep after the stopping pass
        assert d.passes == 3

    def test_never_spins_when_pass_overruns_or_interval_is_zero(self):
        d, clock, _ = make({'interval': '0'}, stop_after=4)
        d.run_forever()
        assert clock.sleeps == [daemon.MIN_PASS_DELAY_S] * 3
        d, clock, _ = make({'interval': '5'}, pass_s=50, stop_after=2)
        d.run_forever()
        assert clock.sleeps == [daemon.MIN_PASS_DELAY_S]

    def test_failed_pass_is_logged_and_loop_goes_on(self):
        d, clock, logger = make({'interval': '30'}, stop_after=3, fail_on=(1,))
        d.run_forever()
        assert len(d.calls) == 3
        assert logger.lines[0] == ('exception', 'Unhandled exception in CountingDaemon pass')

    def test_stop_from_outside_during_sleep(self):
        d, clock, _ = make({'interval': '30'}, stop_after=100)
        real_sleep = clock.sleep

        def sleep_then_stop(seconds):
            real_sleep(seconds)
            if len(clock.sleeps) == 2:
                d.stop()

        clock.sleep = sleep_then_stop
        d.run_forever()
        assert len(d.calls) == 2

    def test_default_interval_and_bad_interval(self):
        d, _, _ = make()
        assert d.interval_s == daemon.DEFAULT_INTERVAL_S
        with pytest.raises(ConfigError) as caught:
            make({'interval': 'soon'})
        assert caught.value.option == 'interval'

    def test_run_once_mode(self):
        d, clock, _ = make(stop_after=100)
        d.run(once=True, partitions='1,2')
        assert d.calls == [{'partitions': '1,2'}] and clock.sleeps == []

    def test_base_run_once_not_implemented(self):
        with pytest.raises(NotImplementedError):
            daemon.Daemon({}, logger=RecordingLogger()).run_once()


class TestArgs:
    def test_swift_init_words(self):
        assert daemon.parse_daemon_args(['/etc/swift/object-server/1.conf', 'once',
                                         'verbose']) == \
            ('/etc/swift/object-server/1.conf', True, True, {})

    def test_flags_and_overrides(self):
        path, once, verbose, kwargs = daemon.parse_daemon_args(
            ['x.conf', '-o', '-v', '-d', 'sdb1,sdb2', '-p', '3', '--policies', '0,1'])
        assert (path, once, verbose) == ('x.conf', True, True)
        assert kwargs == {'devices': 'sdb1,sdb2', 'partitions': '3', 'policies': '0,1'}

    def test_unknown_word_is_usage_error(self, capsys):
        with pytest.raises(SystemExit) as caught:
            daemon.parse_daemon_args(['x.conf', 'twice'])
        assert caught.value.code == 2
        assert 'unrecognized arguments: twice' in capsys.readouterr().err


def write_conf(tmp_path, body):
    path = tmp_path / 'daemon.conf'
    path.write_text(textwrap.dedent(body))
    return str(path)


class OnceDaemon(daemon.Daemon):
    seen = []

    def run_once(self, **kwargs):
        OnceDaemon.seen.append((dict(self.conf), kwargs))


class TestRunDaemon:
    def test_reads_section_over_default_and_runs_once(self, tmp_path):
        OnceDaemon.seen.clear()
        path = write_conf(tmp_path, '''\
            [DEFAULT]
            devices = /srv/1/node
            interval = 10
            log_file = %s
            [once-daemon]
            interval = 5
            ''' % (tmp_path / 'd.log'))
        d = daemon.run_daemon(OnceDaemon, path, once=True, install_signals=False,
                              devices='sdb1')
        conf, kwargs = OnceDaemon.seen[0]
        assert conf['devices'] == '/srv/1/node' and conf['interval'] == '5'
        assert conf['log_name'] == 'once-daemon'
        assert kwargs == {'devices': 'sdb1'}
        assert d.interval_s == 5.0
        assert 'Starting once-daemon (once)' in (tmp_path / 'd.log').read_text()

    def test_missing_section(self, tmp_path):
        path = write_conf(tmp_path, '[DEFAULT]\n')
        with pytest.raises(ConfigError) as caught:
            daemon.run_daemon(OnceDaemon, path, 'object-updater', once=True,
                              install_signals=False)
        assert 'Unable to find object-updater config section' in str(caught.value)


MAIN = '''
import sys
from swift.common.daemon import Daemon, daemon_main
class Hello(Daemon):
    def run_once(self, **kw):
        print('pass', sorted(kw.items()), self.conf['greeting'], flush=True)
sys.exit(daemon_main(Hello, 'hello', sys.argv[1:]))
'''


class TestDaemonMainProcess:
    def run(self, *args):
        return subprocess.run([sys.executable, '-c', MAIN] + list(args), cwd=REPO,
                              capture_output=True, text=True, timeout=60)

    def test_once(self, tmp_path):
        path = write_conf(tmp_path, '[hello]\ngreeting = hi\nlog_file = %s\n'
                          % (tmp_path / 'h.log'))
        result = self.run(path, 'once', '-d', 'sdb2')
        assert result.returncode == 0, result.stderr
        assert result.stdout == "pass [('devices', 'sdb2')] hi\n"

    def test_config_error_one_line(self, tmp_path):
        result = self.run(str(tmp_path / 'none.conf'), '--once')
        assert result.returncode == 1
        assert result.stderr.startswith('Error: Unable to read config from')
        assert 'Traceback' not in result.stderr


FOREVER = '''
import os, subprocess, sys
from swift.common.daemon import Daemon, daemon_main
class Forever(Daemon):
    def run_once(self, **kw):
        if not hasattr(self, 'child'):
            self.child = subprocess.Popen(['sleep', '300'])
            print(self.child.pid, flush=True)
sys.exit(daemon_main(Forever, 'forever', sys.argv[1:]))
'''


def test_sigterm_ends_daemon_and_its_children(tmp_path):
    import signal
    path = write_conf(tmp_path, '[forever]\ninterval = 1\nlog_file = %s\n'
                      % (tmp_path / 'f.log'))
    proc = subprocess.Popen([sys.executable, '-c', FOREVER, path], cwd=REPO,
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        child = int(proc.stdout.readline())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        deadline = time.monotonic() + 60
        while pid_alive(child):
            assert time.monotonic() < deadline, 'child left running'
            time.sleep(0.02)
    finally:
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert 'forever exiting on signal 15' in (tmp_path / 'f.log').read_text()
