# Owns ``swift-oldies``: list Swift processes that have been running for long (often a
# sign of a hung daemon or a server left behind by a reload). Rules (as Swift): a Swift
# process is one whose program is a ``swift-*`` script; age is whole hours since it
# started; the table is ``Hours PID Command`` right-aligned, Command cut so a line
# fits 80 columns; ``-p`` prints only the pids (for ``xargs kill``); nothing found: no output.
"""``swift-oldies``: list Swift processes older than N hours."""

import optparse
import os
import sys
import time
from typing import NamedTuple

DEFAULT_AGE_HOURS = 720
LINE_WIDTH = 78


class ProcessInfo(NamedTuple):
    """One process: ``pid``, ``started`` (epoch seconds), ``cmdline`` (argv list)."""
    pid: int
    started: float
    cmdline: list


def list_processes():
    """Every visible process as :class:`ProcessInfo` (via psutil); vanished or
    inaccessible processes are skipped."""
    import psutil
    found = []
    for proc in psutil.process_iter(['pid', 'create_time', 'cmdline']):
        info = proc.info
        if info.get('cmdline') and info.get('create_time'):
            found.append(ProcessInfo(info['pid'], info['create_time'], info['cmdline']))
    return found


def swift_command(cmdline):
    """``'object-server /etc/swift/object-server.conf'`` for a Swift process's argv
    (the script's name without ``swift-``, then its arguments), None otherwise.

    The script is argv[0] or, when run by an interpreter, argv[1].
    """
    for position, arg in enumerate(cmdline[:2]):
        name = os.path.basename(arg)
        if name.startswith('swift-'):
            return ' '.join([name[len('swift-'):]] + list(cmdline[position + 1:]))
        if position == 0 and not name.startswith('python'):
            return None
    return None


def find_oldies(processes, now, min_hours):
    """``[(hours str, pid str, command)]`` of Swift processes at least ``min_hours``
    old, in pid order."""
    listing = []
    for proc in sorted(processes, key=lambda p: p.pid):
        command = swift_command(proc.cmdline)
        if command is None:
            continue
        hours = int(max(0.0, now - proc.started) // 3600)
        if hours >= min_hours:
            listing.append((str(hours), str(proc.pid), command))
    return listing


def format_listing(listing):
    """Swift's table: header ``Hours PID Command`` and one aligned line per process."""
    hours_len = max([len('Hours')] + [len(h) for h, _p, _a in listing])
    pid_len = max([len('PID')] + [len(p) for _h, p, _a in listing])
    args_len = max([len('Command')] + [len(a) for _h, _p, a in listing])
    args_len = min(args_len, LINE_WIDTH - hours_len - pid_len)
    lines = ['%*s %*s %s' % (hours_len, 'Hours', pid_len, 'PID', 'Command')]
    for hours, pid, args in listing:
        lines.append('%*s %*s %s' % (hours_len, hours, pid_len, pid, args[:args_len]))
    return lines


def build_parser():
    """swift-oldies's option parser (Swift's options)."""
    parser = optparse.OptionParser(usage='%prog [options]\n\nLists old Swift processes.',
                                   prog='swift-oldies')
    parser.add_option('-a', '--age', dest='hours', type='int', default=DEFAULT_AGE_HOURS,
                      help='look for processes at least HOURS old; default: 720 (30 days)')
    parser.add_option('-p', '--pids', action='store_true',
                      help='only print the pids found; for example, to pipe to xargs kill')
    return parser


def main(argv=None, *, out=None, processes=None, clock=time):
    """Entry point of ``swift-oldies``; returns 0.

    :param processes: callable returning ProcessInfo list (default psutil's view).
    """
    out = out or sys.stdout
    options, _args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    listing = find_oldies((processes or list_processes)(), clock.time(), options.hours)
    if not listing:
        return 0
    if options.pids:
        lines = [pid for _hours, pid, _args in listing]
    else:
        lines = format_listing(listing)
    for line in lines:
        print(line, file=out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
