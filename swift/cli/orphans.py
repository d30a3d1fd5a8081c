# Owns swift-orphans: Swift processes that no pid file in the run dir knows about
# (swift-init lost track of them), listed and optionally signalled. Swift's resetswift
# runs `swift-orphans -a 0 -k KILL`.
"""swift-orphans: list (and signal) Swift processes without a pid file."""

import argparse
import glob
import os
import re
import signal
import sys
import time

from swift.common import manager

# argv[0] or, for scripts run by an interpreter, argv[1] is swift-<something>
_SWIFT_COMMAND = re.compile(r'(^|/)swift-[a-z0-9-]+$')
_NOT_ORPHANS = ('swift-orphans', 'swift-init', 'swift-saio')


class Orphan:
    """A candidate process. :ivar pid: int. :ivar age_s: seconds since it started.
    :ivar command: its command line (str)."""

    def __init__(self, pid, age_s, command):
        self.pid = pid
        self.age_s = age_s
        self.command = command


def swift_processes(proc_dir='/proc', now=None):
    """Every process whose command is ``swift-*`` (but not the managing tools).

    :returns: list of :class:`Orphan` candidates.
    """
    now = time.time() if now is None else now
    boot = _boot_time(proc_dir)
    ticks = os.sysconf('SC_CLK_TCK')
    out = []
    for path in glob.glob(os.path.join(proc_dir, '[0-9]*')):
        pid = int(os.path.basename(path))
        if pid == os.getpid():
            continue
        try:
            with open(os.path.join(path, 'cmdline'), 'rb') as fp:
                argv = [a.decode('utf-8', 'replace') for a in fp.read().split(b'\0') if a]
            with open(os.path.join(path, 'stat')) as fp:
                start_ticks = int(fp.read().rsplit(')', 1)[1].split()[19])
        except (OSError, IndexError, ValueError):
            continue
        script = next((a for a in argv[:2] if _SWIFT_COMMAND.search(a)), None)
        if script is None or os.path.basename(script) in _NOT_ORPHANS:
            continue
        age_s = max(0.0, now - (boot + start_ticks / ticks))
        out.append(Orphan(pid, age_s, ' '.join(argv)))
    return out


def _boot_time(proc_dir):
    try:
        with open(os.path.join(proc_dir, 'stat')) as fp:
            for line in fp:
                if line.startswith('btime '):
                    return float(line.split()[1])
    except OSError:
        pass
    return 0.0


def known_pids(run_dir):
    """Pids recorded in any ``*.pid`` file under ``run_dir`` (recursively)."""
    pids = set()
    for path in glob.glob(os.path.join(run_dir, '**', '*.pid'), recursive=True):
        try:
            with open(path) as fp:
                pids.add(int(fp.read().strip()))
        except (OSError, ValueError):
            continue
    return pids


def find_orphans(processes, run_dir, min_age_s):
    """Candidates not in a pid file, older than ``min_age_s``, sorted by pid.

    A process whose parent is a known pid (a forked WSGI worker) is not an orphan.
    """
    known = known_pids(run_dir)
    return sorted((p for p in processes if p.pid not in known and p.age_s >= min_age_s
                   and _parent(p.pid) not in known), key=lambda p: p.pid)


def _parent(pid):
    try:
        with open('/proc/%d/stat' % pid) as fp:
            return int(fp.read().rsplit(')', 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def parse_signal(name):
    """'KILL', 'SIGKILL' or '9' -> signal number.

    :raises ValueError: for an unknown signal.
    """
    if name.isdigit():
        return int(name)
    name = name.upper()
    if not name.startswith('SIG'):
        name = 'SIG' + name
    try:
        return int(getattr(signal.Signals, name))
    except AttributeError:
        raise ValueError('unknown signal %s' % name)


def main(argv=None, *, processes=None, kill=os.kill, out=None):
    """swift-orphans [-a HOURS] [-k SIGNAL] [-w] [-r RUN_DIR].

    :returns: 0 (1 for a bad signal name).
    """
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog='swift-orphans', description=(
        'Lists (and optionally kills) Swift processes that have no pid file in the '
        'run dir: swift-init can no longer stop them.'))
    parser.add_argument('-a', '--age', type=float, default=24.0,
                        help='only processes at least this many hours old (default 24)')
    parser.add_argument('-k', '--kill', default=None,
                        help='send this signal to the orphans (e.g. KILL, TERM, 9)')
    parser.add_argument('-w', '--wide', action='store_true',
                        help="don't cut the command lines")
    parser.add_argument('-r', '--run-dir', default=None,
                        help='pid file directory (default $SWIFT_RUN_DIR or /var/run/swift)')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    signum = None
    if args.kill:
        try:
            signum = parse_signal(args.kill)
        except ValueError as err:
            print('ERROR: %s' % err, file=out)
            return 1
    run_dir = args.run_dir or manager.run_dir_from_env()
    candidates = swift_processes() if processes is None else processes
    orphans = find_orphans(candidates, run_dir, args.age * 3600)
    if not orphans:
        return 0
    print('%5s %6s %s' % ('PID', 'HOURS', 'COMMAND'), file=out)
    for orphan in orphans:
        command = orphan.command if args.wide else orphan.command[:160]
        print('%5d %6.1f %s' % (orphan.pid, orphan.age_s / 3600, command), file=out)
    if signum is not None:
        print('Sending signal %d to orphans...' % signum, file=out)
        for orphan in orphans:
            try:
                kill(orphan.pid, signum)
            except ProcessLookupError:
                pass
    return 0
