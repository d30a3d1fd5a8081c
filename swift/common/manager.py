# Owns swift-init (swift-catalog.md 1.2): which processes exist for a server name, their
# pid files, and starting/stopping them. Rules:
# - config files live under SWIFT_DIR (default /etc/swift); pid files mirror their paths
#   under the run dir (default /var/run/swift, env SWIFT_RUN_DIR, option -r);
# - a pid file is trusted only when /proc/<pid>/cmdline names ``swift-<server>``; any
#   other pid file is stale and removed, and its process is never signalled (BL-27);
# - servers are spawned as ``swift-<server> <conf> [once] [verbose]`` in a session of
#   their own, so they outlive swift-init and a stop can reach their whole group;
# - exit status 0 when everything asked for happened, 1 otherwise.
"""swift-init: :class:`Manager`, :class:`Server` and the ``main`` console entry."""

import argparse
import errno
import fnmatch
import glob
import os
import shutil
import signal
import socket
import sys

from swift.common.clock import RealClock

ALL_SERVERS = ['account-auditor', 'account-server', 'container-auditor',
               'container-replicator', 'container-reconciler', 'container-server',
               'container-sharder', 'container-sync', 'container-updater',
               'object-auditor', 'object-server', 'object-expirer', 'object-replicator',
               'object-reconstructor', 'object-updater', 'proxy-server',
               'account-replicator', 'account-reaper']
MAIN_SERVERS = ['proxy-server', 'account-server', 'container-server', 'object-server']
REST_SERVERS = [s for s in ALL_SERVERS if s not in MAIN_SERVERS]
GRACEFUL_SHUTDOWN_SERVERS = MAIN_SERVERS
STANDALONE_SERVERS = ['container-reconciler']   # own conf, not <type>-server's
KILL_WAIT_S = 15.0      # Swift's default -k/--kill-wait
START_WAIT_S = 10.0     # how long `start` watches a new process before calling it up
POLL_S = 0.1            # process-state polling step
MAX_DESCRIPTORS = 32768  # Swift raises RLIMIT_NOFILE to this for the servers it spawns
DEFAULT_SWIFT_DIR = '/etc/swift'
DEFAULT_RUN_DIR = '/var/run/swift'
COMMANDS = ['status', 'start', 'no-wait', 'no-daemon', 'once', 'stop', 'kill',
            'shutdown', 'restart', 'reload', 'force-reload']


class UnknownCommandError(ValueError):
    """A swift-init command word that is not one of :data:`COMMANDS`."""


class ServerNameError(ValueError):
    """A server word that names no known server."""


def swift_dir_from_env(env=None):
    """``$SWIFT_DIR`` or /etc/swift."""
    return (env if env is not None else os.environ).get('SWIFT_DIR') or DEFAULT_SWIFT_DIR


def run_dir_from_env(env=None):
    """``$SWIFT_RUN_DIR`` or /var/run/swift."""
    return (env if env is not None else os.environ).get('SWIFT_RUN_DIR') or DEFAULT_RUN_DIR


def parse_server_word(word):
    """``object`` / ``object-server`` / ``object.2`` / ``object-server.2`` ->
    ('object-server', '2' or None). Words of daemons stay as they are.

    :raises ServerNameError: for names that are not Swift servers.
    """
    name, _, selector = word.partition('.')
    if name not in ALL_SERVERS and '%s-server' % name in ALL_SERVERS:
        name = '%s-server' % name
    if name not in ALL_SERVERS:
        raise ServerNameError('Unknown server %r' % word)
    return name, selector or None


def expand_servers(words):
    """Expand groups (all, main, rest) and globs into ordered unique (name, selector).

    :raises ServerNameError: a word matches no server.
    """
    out = []
    for word in words:
        if word == 'all':
            found = [(s, None) for s in ALL_SERVERS]
        elif word == 'main':
            found = [(s, None) for s in MAIN_SERVERS]
        elif word == 'rest':
            found = [(s, None) for s in REST_SERVERS]
        elif '*' in word:
            found = [(s, None) for s in ALL_SERVERS if fnmatch.fnmatch(s, word)]
            if not found:
                raise ServerNameError('No server matches %r' % word)
        else:
            found = [parse_server_word(word)]
        out.extend(item for item in found if item not in out)
    return out


def read_cmdline(pid):
    """The NUL-separated /proc/<pid>/cmdline as one space-joined str, or None if gone."""
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as fp:
            raw = fp.read()
    except OSError:
        return None
    return raw.replace(b'\x00', b' ').decode('utf-8', 'replace').strip()


def pid_alive(pid):
    """True while ``pid`` runs (a zombie counts as gone; our own zombies are reaped)."""
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        with open('/proc/%d/stat' % pid) as fp:
            state = fp.read().rsplit(')', 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ('Z', 'X')


def find_command(server, env=None):
    """The argv prefix that runs ``swift-<server>``, or None when it is not installed.

    Our own console scripts count only when their module imports (a server not written
    yet is "not installed"). The script beside the running interpreter wins, then PATH;
    without a script, ``python -c`` runs the entry point with ``swift-<server>`` in argv.
    """
    import importlib.metadata
    import importlib.util
    script = 'swift-%s' % server
    entry = None
    for ep in importlib.metadata.entry_points(group='console_scripts', name=script):
        entry = ep
        break
    if entry is not None:
        try:
            if importlib.util.find_spec(entry.module) is None:
                return None
        except ImportError:
            return None
    path = os.pathsep.join([os.path.dirname(sys.executable),
                            (env if env is not None else os.environ).get('PATH', '')])
    found = shutil.which(script, path=path)
    if found:
        return [found]
    if entry is None:
        return None
    func = entry.attr or 'main'
    code = ("import sys; sys.argv[0] = %r; from %s import %s; sys.exit(%s())"
            % (script, entry.module, func, func))
    return [sys.executable, '-c', code]


class Server:
    """One server name (e.g. object-server) and its processes, one per config file.

    :param name: a name from :data:`ALL_SERVERS`, optionally with ``.N`` (only the
        config named N, e.g. object-server/2.conf).
    :param swift_dir: config directory.
    :param run_dir: pid file directory.
    :param command_finder: ``f(server) -> argv prefix or None`` (default
        :func:`find_command`).
    :param clock: Clock for polling waits.
    :param out: where messages are printed.
    """

    def __init__(self, name, *, swift_dir=None, run_dir=None, command_finder=None,
                 clock=None, out=None, env=None):
        self.server, self.selector = parse_server_word(name)
        self.type = self.server.split('-', 1)[0]
        self.env = dict(os.environ if env is None else env)
        self.swift_dir = os.path.normpath(swift_dir or swift_dir_from_env(self.env))
        self.run_dir = os.path.normpath(run_dir or run_dir_from_env(self.env))
        self.command_finder = command_finder or (lambda s: find_command(s, self.env))
        self.clock = clock or RealClock()
        self.out = out or sys.stdout
        self.procs = []

    def __str__(self):
        return self.server

    def say(self, msg, *args):
        print(msg % args if args else msg, file=self.out, flush=True)

    # -- config and pid files ------------------------------------------------------

    def _conf_prefix(self):
        if self.server in STANDALONE_SERVERS or self.server == 'proxy-server':
            return self.server
        return '%s-server' % self.type

    def all_conf_files(self):
        """Every config of this server under swift_dir, sorted (Swift's search_tree:
        ``<prefix>*.conf``, ``<prefix>*/**/*.conf``, ``*.conf.d`` directories)."""
        prefix = self._conf_prefix()
        found = set()
        for path in glob.glob(os.path.join(self.swift_dir, prefix + '*')):
            if os.path.isdir(path) and not path.endswith('.conf.d'):
                for root, dirs, files in os.walk(path):
                    found.update(os.path.join(root, d) for d in dirs if d.endswith('.conf.d'))
                    found.update(os.path.join(root, f) for f in files if f.endswith('.conf'))
            elif path.endswith('.conf') or path.endswith('.conf.d'):
                found.add(path)
        confs = sorted(found, key=_natural_key)
        if self.server == 'object-expirer':
            from swift.common.config import section_names
            with_section = [c for c in confs if 'object-expirer' in section_names(c)]
            if with_section:
                return with_section
            return [c for c in glob.glob(os.path.join(self.swift_dir, 'object-expirer*.conf'))]
        return confs

    def conf_files(self, number=0):
        """Configs this command acts on: all, the ``.N`` one, or the Nth (``-c N``)."""
        confs = self.all_conf_files()
        if self.selector:
            confs = [c for c in confs if _conf_label(c) == self.selector]
        if number:
            confs = confs[number - 1:number] if 0 < number <= len(confs) else []
        return confs

    def pid_file_for(self, conf_file):
        """Run-dir path mirroring ``conf_file``: <type>-server -> <server>, .conf -> .pid
        (/etc/swift/object-server/1.conf -> /var/run/swift/object-replicator/1.pid)."""
        rel = os.path.relpath(conf_file, self.swift_dir)
        if rel.startswith('..'):
            rel = os.path.basename(conf_file)
        rel = rel.replace(self._conf_prefix(), self.server, 1)
        if rel.endswith('.conf.d'):
            rel = rel[:-len('.conf.d')] + '.pid.d'
        elif rel.endswith('.conf'):
            rel = rel[:-len('.conf')] + '.pid'
        return os.path.join(self.run_dir, rel)

    def conf_for_pid_file(self, pid_file):
        """The config a pid file stands for (inverse of :meth:`pid_file_for`)."""
        for conf in self.all_conf_files():
            if self.pid_file_for(conf) == pid_file:
                return conf
        return None

    def pid_files(self, number=0):
        """Existing pid files of this server (limited like :meth:`conf_files`)."""
        if self.selector or number:
            paths = [self.pid_file_for(c) for c in self.conf_files(number)]
        else:
            paths = glob.glob(os.path.join(self.run_dir, self.server + '*.pid'))
            paths += glob.glob(os.path.join(self.run_dir, self.server, '**', '*.pid'),
                               recursive=True)
        return sorted((p for p in set(paths) if os.path.isfile(p)), key=_natural_key)

    def running_pids(self, number=0, verbose=False):
        """{pid: pid_file} of live processes; stale or foreign pid files are removed.

        A pid file is foreign when /proc/<pid>/cmdline lacks ``swift-<server>`` (the
        pid was reused by another program, BL-27): that program is never signalled.
        """
        pids = {}
        for pid_file in self.pid_files(number):
            pid = _read_pid(pid_file)
            if pid is None:
                self._remove(pid_file, 'Removing pid file %s with invalid pid', verbose)
            elif not pid_alive(pid):
                self._remove(pid_file, 'Removing stale pid file %s', verbose)
            elif 'swift-%s' % self.server not in (read_cmdline(pid) or ''):
                self._remove(pid_file, 'Removing pid file %%s with wrong pid %d' % pid,
                             verbose)
            else:
                pids[pid] = pid_file
        return pids

    def _remove(self, pid_file, message, verbose):
        if verbose:
            self.say(message, pid_file)
        _unlink(pid_file)

    # -- signals -------------------------------------------------------------------

    def signal_pids(self, signum, number=0, verbose=False):
        """Send ``signum`` to every running process of this server.

        :returns: {pid: pid_file} of the processes signalled.
        """
        signalled = {}
        for pid, pid_file in self.running_pids(number, verbose).items():
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                _unlink(pid_file)
                continue
            if verbose:
                self.say('Signal %s  pid: %s  signal: %s', self.server, pid, int(signum))
            signalled[pid] = pid_file
        return signalled

    def kill_group(self, pid, signum):
        """Signal the process group (session) led by ``pid``; ignore if gone."""
        try:
            os.killpg(pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def status(self, number=0, verbose=False):
        """Print one line per running process. :returns: 0 if any runs, else 1."""
        pids = self.running_pids(number, verbose)
        for pid, pid_file in sorted(pids.items(), key=lambda item: _natural_key(item[1])):
            self.say('%s running (%s - %s)', self.server, pid,
                     self.conf_for_pid_file(pid_file) or pid_file)
        if not pids:
            self.say('No %s running', self.server)
            return 1
        return 0

    # -- starting ------------------------------------------------------------------

    def spawn(self, conf_file, once=False, daemon=True, verbose=False):
        """Start ``swift-<server> <conf> [once] [verbose]`` and write its pid file.

        As a daemon the process gets a session of its own and its output goes to the
        config's ``log_file`` (else /dev/null); otherwise it shares our terminal.

        :returns: :class:`Spawned`.
        :raises OSError: the command could not be executed.
        """
        args = list(self.command_finder(self.server)) + [conf_file]
        if once:
            args.append('once')
        if verbose:
            args.append('verbose')
        if daemon and not once:
            pid = spawn_detached(args, _log_file(conf_file, self.server) or os.devnull,
                                 self.env)
        else:
            pid = spawn_detached(args, None, self.env, new_session=daemon)
        # a one-pass run is waited for in the foreground and must not take over the pid
        # file of the same daemon running forever
        pid_file = None if once else self.pid_file_for(conf_file)
        if pid_file:
            _write_pid_file(pid_file, pid)
        spawned = Spawned(pid, conf_file, pid_file)
        self.procs.append(spawned)
        return spawned

    def launch(self, number=0, once=False, daemon=True, verbose=False, **_ignored):
        """Spawn one process per config that has none running.

        :returns: 0 if every config has (or now has) a process, 1 on any failure.
        """
        conf_files = self.conf_files(number)
        if not conf_files:
            self.say('Unable to locate config %sfor %s', 
                     ('number %s ' % number) if number else '', self.server)
            return 1
        if self.command_finder(self.server) is None:
            self.say('%s is not installed (no swift-%s); skipped', self.server,
                     self.server)
            return 1
        running = {self.conf_for_pid_file(f): pid
                   for pid, f in self.running_pids(0, verbose).items()}
        status = 0
        for conf in conf_files:
            if conf in running and not once:
                self.say('%s running (%s - %s)', self.server, running[conf], conf)
                continue
            self.say('%s %s...(%s)', 'Running' if once else 'Starting', self.server, conf)
            try:
                self.spawn(conf, once=once, daemon=daemon, verbose=verbose)
            except OSError as err:
                self.say('Unable to start %s (%s): %s', self.server, conf, err.strerror)
                status = 1
        return status

    def wait_started(self, timeout_s=START_WAIT_S):
        """Watch processes spawned by :meth:`launch` until each is up or has died.

        A WSGI server is up when its ``bind_port`` accepts connections; a daemon when it
        is still alive after a moment.

        :returns: 0 if all are up, 1 if any exited (its exit status and log are named).
        """
        status = 0
        deadline = self.clock.monotonic() + timeout_s
        settle = self.clock.monotonic() + 1.0   # a daemon alive this long is "up"
        for proc in self.procs:
            conf = proc.conf_file
            address = _bind_address(conf) if self.server in MAIN_SERVERS else None
            while True:
                if proc.poll() is not None:
                    self.say('%s (%s) exited with status %s; see %s', self.server, conf,
                             proc.returncode, _log_file(conf, self.server) or 'its log')
                    _unlink(proc.pid_file)
                    status = 1
                    break
                now = self.clock.monotonic()
                if address and _accepts(address):
                    break
                if not address and now >= settle:
                    break
                if now >= deadline:
                    if address:
                        self.say('%s (%s) not answering on %s:%s yet', self.server, conf,
                                 *address)
                    break
                self.clock.sleep(POLL_S)
        return status

    def wait_finished(self):
        """Wait for every spawned process to exit (once / no-daemon).

        :returns: 0 if all exited 0, else 1.
        """
        status = 0
        for proc in self.procs:
            try:
                code = proc.wait()
            except KeyboardInterrupt:
                os.kill(proc.pid, signal.SIGINT)
                code = proc.wait()
            _unlink(proc.pid_file)
            if code != 0:
                self.say('%s (%s) exited with status %s', self.server, proc.conf_file,
                         code)
                status = 1
        return status


class Spawned:
    """A process started by :meth:`Server.spawn` (our child until it exits).

    :ivar pid: process id. :ivar conf_file: its config. :ivar pid_file: its pid file.
    :ivar returncode: exit status once reaped (negative signal number if killed), else
        None.
    """

    def __init__(self, pid, conf_file, pid_file):
        self.pid = pid
        self.conf_file = conf_file
        self.pid_file = pid_file
        self.returncode = None

    def _set(self, status):
        self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def poll(self):
        """Exit status if it has exited (reaping it), else None."""
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = 0 if not pid_alive(self.pid) else None
                return self.returncode
            if pid == self.pid:
                self._set(status)
        return self.returncode

    def wait(self):
        """Block until it exits. :returns: its exit status."""
        if self.returncode is None:
            try:
                _pid, status = os.waitpid(self.pid, 0)
                self._set(status)
            except ChildProcessError:
                self.returncode = 0
        return self.returncode


def spawn_detached(args, output_path, env, new_session=True):
    """Start ``args`` (argv; args[0] looked up in PATH) without waiting for it.

    :param output_path: file that gets stdout and stderr (appended, created), or None
        to share ours. stdin is /dev/null.
    :param new_session: own session/process group (survives our exit and terminal).
    :returns: the pid (the caller's child until it exits).
    :raises OSError: it could not be executed.
    """
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)]
    if output_path:
        if output_path != os.devnull:
            os.makedirs(os.path.dirname(os.path.abspath(output_path)), exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        actions += [(os.POSIX_SPAWN_OPEN, 1, output_path, flags, 0o644),
                    (os.POSIX_SPAWN_DUP2, 1, 2)]
    return os.posix_spawnp(args[0], args, env, file_actions=actions,
                           setsid=bool(new_session))


def raise_nofile_limit(wanted=MAX_DESCRIPTORS):
    """Raise our soft RLIMIT_NOFILE towards ``wanted`` (Swift's 32768, capped by the hard
    limit) so the servers we spawn inherit room for many connections. Best effort."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass


def _natural_key(path):
    import re
    return [int(p) if p.isdigit() else p for p in re.split(r'(\d+)', path)]


def _conf_label(conf_path):
    name = os.path.basename(conf_path)
    for ext in ('.conf.d', '.conf'):
        if name.endswith(ext):
            name = name[:-len(ext)]
    return name.rsplit('.', 1)[-1] if '.' in name else name


def _read_pid(pid_file):
    try:
        with open(pid_file) as fp:
            return int(fp.read().strip())
    except (OSError, ValueError):
        return None


def _write_pid_file(pid_file, pid):
    os.makedirs(os.path.dirname(pid_file), exist_ok=True)
    tmp = '%s.%d.tmp' % (pid_file, os.getpid())
    with open(tmp, 'w') as fp:
        fp.write('%d\n' % pid)
    os.rename(tmp, pid_file)


def _unlink(path):
    if path is None:
        return
    try:
        os.unlink(path)
    except OSError as err:
        if err.errno != errno.ENOENT:
            raise


def _conf_default(conf_file, option, section=None):
    """``option`` of ``[section]`` (falling back to ``[DEFAULT]``), or None."""
    import configparser
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        if os.path.isdir(conf_file):
            parser.read(sorted(glob.glob(os.path.join(conf_file, '*.conf'))))
        else:
            parser.read(conf_file)
    except configparser.Error:
        return None
    if section and parser.has_section(section):
        return parser.get(section, option, fallback=None)
    return parser.defaults().get(option)


def _log_file(conf_file, section=None):
    """Where a process of ``section`` logs (its ``log_file``), or None."""
    return _conf_default(conf_file, 'log_file', section)


def _bind_address(conf_file):
    port = _conf_default(conf_file, 'bind_port')
    if not port or not port.isdigit():
        return None
    ip = _conf_default(conf_file, 'bind_ip') or '127.0.0.1'
    if ip in ('0.0.0.0', '::', ''):
        ip = '127.0.0.1'
    return ip, int(port)


def _accepts(address):
    try:
        with socket.create_connection(address, timeout=0.5):
            return True
    except OSError:
        return False


class Manager:
    """A set of servers acted on together (Swift's Manager): ``Manager(['main']).start()``.

    :param servers: words as on the command line: names, ``object.2``, groups
        (all, main, rest) and globs.
    :param swift_dir, run_dir, command_finder, clock, out, env: see :class:`Server`.
    :raises ServerNameError: a word names no server.

    Command methods take Swift's keyword options: ``number`` (-c N), ``verbose``,
    ``wait``, ``once``, ``daemon``, ``graceful``, ``kill_wait`` (seconds),
    ``kill_after_timeout``; each returns the exit status (0 ok, 1 failure).
    """

    def __init__(self, servers, *, swift_dir=None, run_dir=None, command_finder=None,
                 clock=None, out=None, env=None, strict=None):
        self.out = out or sys.stdout
        self.clock = clock or RealClock()
        self.strict = strict if strict is not None else not any(
            w in ('all', 'main', 'rest') or '*' in w for w in servers)
        self.servers = [
            Server(name if selector is None else '%s.%s' % (name, selector),
                   swift_dir=swift_dir, run_dir=run_dir, command_finder=command_finder,
                   clock=self.clock, out=self.out, env=env)
            for name, selector in expand_servers(servers)]

    def say(self, msg, *args):
        print(msg % args if args else msg, file=self.out, flush=True)

    def _considered(self, number=0, starting=False):
        """Servers to act on. In non-strict mode (groups, globs) these are skipped
        silently: those without configs, and those whose command is not installed
        (unless, when not ``starting``, they still have pid files)."""
        for server in self.servers:
            if self.strict:
                yield server
            elif not server.conf_files(number):
                continue
            elif server.command_finder(server.server):
                yield server
            elif not starting and server.pid_files(number):
                yield server

    def run_command(self, command, **kwargs):
        """Dispatch a command word (dash or underscore form).

        :raises UnknownCommandError: not in :data:`COMMANDS`.
        """
        word = command.replace('_', '-')
        if word not in COMMANDS:
            raise UnknownCommandError(command)
        return getattr(self, word.replace('-', '_'))(**kwargs)

    def status(self, number=0, verbose=False, **_kw):
        """Print each process; 1 if any considered server has none running."""
        status = 0
        for server in self._considered(number):
            status |= server.status(number, verbose)
        return status

    def start(self, number=0, verbose=False, wait=True, once=False, daemon=True,
              **_kw):
        """Start every considered server that is not running (one per config)."""
        status = 0
        servers = list(self._considered(number, starting=True))
        if not servers:
            self.say('No servers to start (no configs under %s)',
                     self.servers[0].swift_dir if self.servers else DEFAULT_SWIFT_DIR)
            return 1
        raise_nofile_limit()
        for server in servers:
            server.procs = []
            status |= server.launch(number=number, once=once, daemon=daemon,
                                    verbose=verbose)
        for server in servers:
            if once or not daemon:
                status |= server.wait_finished()
            elif wait:
                status |= server.wait_started()
        return status

    def no_wait(self, **kwargs):
        """Start without waiting for the servers to come up."""
        kwargs['wait'] = False
        return self.start(**kwargs)

    def no_daemon(self, **kwargs):
        """Run in the foreground until the processes exit."""
        kwargs['daemon'] = False
        return self.start(**kwargs)

    def once(self, **kwargs):
        """One pass of each daemon; waits for it to finish."""
        kwargs['once'] = True
        return self.start(**kwargs)

    def stop(self, number=0, verbose=False, graceful=False, kill_wait=KILL_WAIT_S,
             kill_after_timeout=False, **_kw):
        """SIGTERM (SIGHUP for main servers when ``graceful``) and wait up to
        ``kill_wait`` seconds for each process to die.

        :returns: 0 when something was stopped and nothing is left, else 1.
        """
        signalled = {}
        for server in self._considered(number):
            signum = signal.SIGHUP if (graceful and server.server in
                                       GRACEFUL_SHUTDOWN_SERVERS) else signal.SIGTERM
            pids = server.signal_pids(signum, number, verbose)
            if not pids and self.strict:
                self.say('No %s running', server.server)
            for pid, pid_file in pids.items():
                signalled[pid] = (server, pid_file)
        if not signalled:
            return 1
        return self._wait_dead(signalled, float(kill_wait), kill_after_timeout)

    def _wait_dead(self, signalled, kill_wait_s, kill_after_timeout):
        deadline = self.clock.monotonic() + kill_wait_s
        waiting = dict(signalled)
        while waiting:
            for pid in list(waiting):
                if not pid_alive(pid):
                    server, pid_file = waiting.pop(pid)
                    _unlink(pid_file)
                    self.say('%s (%s) appears to have stopped', server.server, pid)
            if not waiting or self.clock.monotonic() >= deadline:
                break
            self.clock.sleep(POLL_S)
        for pid, (server, pid_file) in waiting.items():
            if kill_after_timeout:
                self.say('Killing %s (%s) after %s seconds', server.server, pid,
                         int(kill_wait_s))
                server.kill_group(pid, signal.SIGKILL)
                _unlink(pid_file)
            else:
                self.say('Waited %s seconds for %s to die; giving up', int(kill_wait_s),
                         server.server)
        return 1 if waiting and not kill_after_timeout else 0

    def kill(self, **kwargs):
        """Stop; success when nothing of these servers is left running."""
        self.stop(**kwargs)
        number = kwargs.get('number', 0)
        left = [s for s in self._considered(number) if s.running_pids(number)]
        return 1 if left else 0

    def shutdown(self, **kwargs):
        """Graceful stop: main servers finish their requests (SIGHUP)."""
        kwargs['graceful'] = True
        return self.stop(**kwargs)

    def restart(self, **kwargs):
        """Stop (ignoring "not running"), then start."""
        self.stop(**kwargs)
        return self.start(**kwargs)

    def reload(self, **kwargs):
        """Per server: graceful stop, then start."""
        status = 0
        for server in list(self._considered(kwargs.get('number', 0))):
            single = Manager([str(server) if not server.selector else
                              '%s.%s' % (server.server, server.selector)],
                             swift_dir=server.swift_dir, run_dir=server.run_dir,
                             command_finder=server.command_finder, clock=self.clock,
                             out=self.out, env=server.env, strict=self.strict)
            kwargs['graceful'] = True
            single.stop(**kwargs)
            status |= single.start(**kwargs)
        return status

    force_reload = reload


USAGE = '''%(prog)s <server>[.<config>] [<server>[.<config>] ...] <command> [options]

Commands:
  status        show which processes run
  start         start processes (waits until they answer)
  no-wait       start without waiting
  no-daemon     run in the foreground
  once          run daemons for one pass
  stop          SIGTERM, wait --kill-wait seconds
  kill          stop; success if nothing is left running
  shutdown      graceful stop (main servers finish their requests)
  restart       stop, then start
  reload        graceful stop, then start, server by server
  force-reload  same as reload

Servers: %(servers)s
Groups: all, main, rest; globs such as object-*; object.2 = object-server/2.conf.
Configs are read from $SWIFT_DIR (default /etc/swift); pid files go to the run dir
(-r, $SWIFT_RUN_DIR, default /var/run/swift).'''


def build_parser():
    """argparse parser for swift-init."""
    parser = argparse.ArgumentParser(
        prog='swift-init', formatter_class=argparse.RawDescriptionHelpFormatter,
        usage=USAGE % {'prog': 'swift-init', 'servers': ', '.join(ALL_SERVERS)})
    parser.add_argument('words', nargs='*')
    parser.add_argument('-v', '--verbose', action='store_true', help='display verbose output')
    parser.add_argument('-w', '--no-wait', dest='wait', action='store_false',
                        help="won't wait for server to start before returning")
    parser.add_argument('-o', '--once', action='store_true', help='only run one pass')
    parser.add_argument('-n', '--no-daemon', dest='daemon', action='store_false',
                        help='start server interactively')
    parser.add_argument('-g', '--graceful', action='store_true',
                        help='send SIGHUP to supporting servers')
    parser.add_argument('-c', '--config-num', dest='number', type=int, default=0,
                        help='send command to the Nth server only')
    parser.add_argument('-k', '--kill-wait', dest='kill_wait', type=float,
                        default=KILL_WAIT_S, help='seconds to wait for servers to die')
    parser.add_argument('-r', '--run-dir', dest='run_dir', default=None,
                        help='alternative directory to store running pid files')
    parser.add_argument('--strict', dest='strict', action='store_true', default=None)
    parser.add_argument('--non-strict', dest='strict', action='store_false')
    parser.add_argument('--kill-after-timeout', action='store_true',
                        help='kill the process group after --kill-wait seconds')
    return parser


def _split_words(words):
    """(servers, command): the command is the last word; if the first word is a command
    and the last is not, they swap (``swift-init start main``)."""
    if len(words) < 2:
        return None, None
    first, last = words[0].replace('_', '-'), words[-1].replace('_', '-')
    if first in COMMANDS and last not in COMMANDS:
        words = words[1:] + [words[0]]
    return words[:-1], words[-1]


def main(argv=None, *, out=None, clock=None, command_finder=None):
    """swift-init entry point.

    :returns: 0 ok, 1 failure or bad usage (a one-line ERROR message).
    """
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_intermixed_args(sys.argv[1:] if argv is None else argv)
    servers, command = _split_words(args.words)
    if not command:
        parser.print_usage(out)
        print('ERROR: specify server(s) and command', file=out)
        return 1
    if command.replace('_', '-') not in COMMANDS:
        print('ERROR: unknown command, %s' % command, file=out)
        return 1
    if args.once and command in ('start', 'restart'):
        command = 'once'
    try:
        manager = Manager(servers, run_dir=args.run_dir, out=out, clock=clock,
                          command_finder=command_finder, strict=args.strict)
    except ServerNameError as err:
        print('ERROR: %s' % err, file=out)
        return 1
    kwargs = {key: getattr(args, key) for key in
              ('verbose', 'wait', 'daemon', 'graceful', 'number', 'kill_wait',
               'kill_after_timeout')}
    try:
        return manager.run_command(command, **kwargs)
    except KeyboardInterrupt:
        return 1
    except BrokenPipeError:
        # output piped into e.g. `head`: stop quietly, like other command-line tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
