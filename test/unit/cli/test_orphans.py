"""Tests for swift-orphans: finding Swift processes without pid files."""

import io
import os
import signal
import subprocess
import sys
import time

from swift.cli import orphans


def test_finds_our_swift_process_by_script_name(tmp_path):
    script = tmp_path / 'swift-object-server'
    script.write_text('#!%s\nimport time\ntime.sleep(60)\n' % sys.executable)
    script.chmod(0o755)
    ready = time.monotonic() + 20
    proc = subprocess.Popen([str(script), 'x.conf'])
    other = subprocess.Popen(['sleep', '60'])
    try:
        while True:   # until exec has replaced the forked child's command line
            found = {p.pid: p for p in orphans.swift_processes()}
            if proc.pid in found or time.monotonic() > ready:
                break
            time.sleep(0.02)
        assert str(script) in found[proc.pid].command
        assert 0 <= found[proc.pid].age_s < 60
        assert other.pid not in found
        assert os.getpid() not in found
    finally:
        for p in (proc, other):
            p.kill()
            p.wait()


def test_pid_files_and_age_filter(tmp_path):
    (tmp_path / 'object-server').mkdir()
    (tmp_path / 'object-server' / '1.pid').write_text('101\n')
    procs = [orphans.Orphan(101, 90000, 'swift-object-server 1.conf'),
             orphans.Orphan(102, 90000, 'swift-object-server 2.conf'),
             orphans.Orphan(103, 10, 'swift-object-updater 1.conf')]
    assert [p.pid for p in orphans.find_orphans(procs, str(tmp_path), 86400)] == [102]
    assert [p.pid for p in orphans.find_orphans(procs, str(tmp_path), 0)] == [102, 103]


def test_main_lists_and_signals_only_orphans(tmp_path):
    (tmp_path / 'proxy-server.pid').write_text('201\n')
    procs = [orphans.Orphan(201, 7200, 'swift-proxy-server p.conf'),
             orphans.Orphan(202, 7200, 'swift-object-server o.conf')]
    sent, out = [], io.StringIO()
    status = orphans.main(['-a', '0', '-k', 'KILL', '-r', str(tmp_path)],
                          processes=procs, kill=lambda pid, sig: sent.append((pid, sig)),
                          out=out)
    assert status == 0
    assert sent == [(202, signal.SIGKILL)]
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ['PID', 'HOURS', 'COMMAND']
    assert lines[1].split() == ['202', '2.0', 'swift-object-server', 'o.conf']
    assert lines[2] == 'Sending signal 9 to orphans...'


def test_bad_signal():
    out = io.StringIO()
    assert orphans.main(['-k', 'NOPE'], processes=[], out=out) == 1
    assert out.getvalue() == 'ERROR: unknown signal SIGNOPE\n'
    assert orphans.parse_signal('term') == signal.SIGTERM
    assert orphans.parse_signal('9') == 9
