# Owns swift-saio: lay out, start, stop and wipe a 4-node all-in-one cluster kept in
# one directory (DESIGN.md 6). Rules:
# - `up` is idempotent: existing configs (above all the hash prefix/suffix in
#   swift.conf), rings and data are kept; only what is missing is made or started;
# - every process it starts is recorded (pid files under DIR/run) and `down` stops
#   exactly those, by pid;
# - devices live on an XFS loop image when run as root with mkfs.xfs (Swift's own
#   all-in-one guide), else on plain directories with a warning (xattr limits).
"""swift-saio: ``up``, ``down``, ``reset``, ``status`` of an all-in-one cluster."""

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys

from swift.cli import saio_conf
from swift.cli.saio_conf import Layout, NODES, SERVER_KINDS
from swift.common.clock import RealClock
from swift.common import manager as swift_init

HEALTH_TIMEOUT_S = 30.0
STATE_FILE = 'saio.json'


class SaioError(Exception):
    """A step of swift-saio failed; ``str()`` is the message shown to the operator."""


class Saio:
    """One all-in-one cluster.

    :param layout: :class:`swift.cli.saio_conf.Layout`.
    :param out: where progress is printed.
    :param clock: Clock for waits (health checks, process exits).
    :param command_finder: passed to swift-init's Manager (tests use fake servers).
    :param start_daemons: also start the background daemons that are installed.
    :param health_timeout_s: how long `up` waits for every /healthcheck (seconds).
    """

    def __init__(self, layout, *, out=None, clock=None, command_finder=None,
                 start_daemons=True, health_timeout_s=HEALTH_TIMEOUT_S):
        self.layout = layout
        self.out = out or sys.stdout
        self.clock = clock or RealClock()
        self.command_finder = command_finder
        self.start_daemons = start_daemons
        self.health_timeout_s = health_timeout_s

    def say(self, msg, *args):
        print(msg % args if args else msg, file=self.out, flush=True)

    def env(self):
        """Process environment for everything started for this cluster."""
        env = dict(os.environ)
        env.update(SWIFT_DIR=self.layout.swift_dir, SWIFT_RUN_DIR=self.layout.run_dir)
        return env

    def manager(self, servers):
        return swift_init.Manager(servers, swift_dir=self.layout.swift_dir,
                                  run_dir=self.layout.run_dir, out=self.out,
                                  clock=self.clock, env=self.env(),
                                  command_finder=self.command_finder)

    # -- up -----------------------------------------------------------------------

    def up(self):
        """Write what is missing, start what is not running, wait for /healthcheck.

        :returns: 0.
        :raises SaioError: naming the step, server and log that failed.
        """
        layout = self.layout
        for path in (layout.swift_dir, layout.run_dir, layout.helper_run_dir,
                     layout.log_dir):
            os.makedirs(path, exist_ok=True)
        self.write_configs()
        self.prepare_devices()
        self.build_rings()
        self.start_memcached()
        self.start_rsync()
        if self.manager(['main']).start() != 0:
            raise SaioError('some servers did not start; logs are in %s' % layout.log_dir)
        daemons = self.manager(['rest'])
        if self.start_daemons:
            daemons.start(wait=False)
        self.wait_for_health()
        self.report_dead_daemons(daemons)
        self.print_info()
        return 0

    def report_dead_daemons(self, daemons):
        """Warn about daemons that exited since `up` started them (naming their logs)."""
        for server in daemons.servers:
            for proc in server.procs:
                if proc.poll() is not None:
                    self.say('WARNING: %s (%s) exited with status %s; see %s',
                             server.server, proc.conf_file, proc.returncode,
                             swift_init._log_file(proc.conf_file, server.server) or
                             self.layout.log_dir)

    def write_configs(self):
        """Write the configs that do not exist yet (never a new hash prefix/suffix)."""
        layout = self.layout
        files = {os.path.join(layout.swift_dir, 'swift.conf'): saio_conf.swift_conf_text(),
                 os.path.join(layout.swift_dir, 'proxy-server.conf'):
                     saio_conf.proxy_conf_text(layout),
                 os.path.join(layout.swift_dir, 'rsyncd.conf'):
                     saio_conf.rsyncd_conf_text(layout),
                 os.path.join(layout.swift_dir, 'test.conf'):
                     saio_conf.test_conf_text(layout),
                 os.path.join(layout.swift_dir, 'internal-client.conf'):
                     saio_conf.internal_client_conf_text(layout),
                 os.path.join(layout.swift_dir, 'memcache.conf'):
                     saio_conf.memcache_conf_text(layout),
                 layout.env_file: saio_conf.env_text(layout)}
        for kind in SERVER_KINDS:
            for node in NODES:
                files[layout.conf_path(kind, node)] = saio_conf.server_conf_text(
                    layout, kind, node)
        for path, text in files.items():
            if not os.path.exists(path):
                _write_file(path, text)
        _write_file(os.path.join(layout.root, STATE_FILE), json.dumps(
            _layout_state(layout), indent=2, sort_keys=True) + '\n')

    def xfs_wanted(self):
        choice = self.layout.use_xfs
        if choice == 'no':
            return False
        possible = os.geteuid() == 0 and shutil.which('mkfs.xfs') is not None
        if choice == 'yes' and not possible:
            raise SaioError('--xfs yes needs root and mkfs.xfs (apt-get install xfsprogs)')
        return possible

    def prepare_devices(self):
        """Make DIR/<N>/node/sdb<N>, on the XFS loop mount when possible."""
        layout = self.layout
        base = layout.root
        if self.xfs_wanted():
            try:
                self.mount_xfs()
                base = layout.mount_dir
            except SaioError as err:
                self.say('WARNING: %s; using plain directories', err)
        if base == layout.root and not _is_mount(layout.mount_dir):
            self.say('WARNING: devices are plain directories on %s; object metadata beyond '
                     'what its xattrs hold (ext4: ~4 KiB) will be refused with 507',
                     _fs_type(layout.root))
        for node in NODES:
            node_root = os.path.join(layout.root, str(node))
            if base != layout.root:
                target = os.path.join(base, str(node))
                os.makedirs(target, exist_ok=True)
                if not os.path.islink(node_root) and not os.path.exists(node_root):
                    os.symlink(target, node_root)
                elif not os.path.islink(node_root):
                    self.say('WARNING: %s is a plain directory from a run without XFS; '
                             '`swift-saio reset` moves node %d onto XFS', node_root, node)
            os.makedirs(os.path.join(layout.node_dir(node), layout.device(node)),
                        exist_ok=True)
            os.makedirs(os.path.join(layout.root, 'cache', str(node)), exist_ok=True)

    def mount_xfs(self):
        """Create (sparse) and mount DIR/swift-disk at DIR/mnt unless mounted."""
        layout = self.layout
        if _is_mount(layout.mount_dir):
            return
        os.makedirs(layout.mount_dir, exist_ok=True)
        if not os.path.exists(layout.disk_image):
            _run(['truncate', '-s', layout.disk_size, layout.disk_image], 'truncate')
            _run(['mkfs.xfs', '-q', '-f', layout.disk_image], 'mkfs.xfs')
        _run(['mount', '-o', 'loop,noatime', layout.disk_image, layout.mount_dir],
             'mount of %s' % layout.disk_image)
        self.say('XFS image %s mounted at %s', layout.disk_image, layout.mount_dir)
        self.loop_direct_io(layout.mount_dir)

    def loop_direct_io(self, mount_dir):
        """Switch the loop device under ``mount_dir`` to direct I/O: its writes then go
        straight to the image file instead of through the page cache a second time
        (a 256 MiB PUT's three replicas wrote 2.5x faster here). Not needed for
        correctness: when it cannot be done the cluster runs as is, with a note."""
        try:
            found = subprocess.run(['findmnt', '-n', '-o', 'SOURCE', mount_dir],
                                   capture_output=True, text=True,
                                   stdin=subprocess.DEVNULL)
        except OSError:
            return
        device = found.stdout.strip()
        if found.returncode != 0 or not device.startswith('/dev/loop'):
            return
        try:
            _run(['losetup', '--direct-io=on', device], 'losetup --direct-io=on')
        except SaioError as err:
            self.say('note: %s (the loop device keeps buffered I/O)', err)

    def build_rings(self):
        """Build object, object-1, container and account rings unless present."""
        for ring, commands in saio_conf.ring_commands(self.layout):
            if os.path.exists(os.path.join(self.layout.swift_dir, ring + '.ring.gz')):
                continue
            builder = commands[0][0]
            if os.path.exists(builder):
                os.unlink(builder)
            for args in commands:
                self.ring_builder(args)
            self.say('Built %s ring', ring)

    def ring_builder(self, args):
        """Run swift-ring-builder ``args``; exit 0 or 1 (warning) is success."""
        command = swift_init.find_command('ring-builder', self.env())
        if command is None:
            raise SaioError('swift-ring-builder is not installed (pip install -e .)')
        result = subprocess.run(command + list(args), capture_output=True, text=True,
                                env=self.env(), stdin=subprocess.DEVNULL)
        if result.returncode not in (0, 1):
            lines = (result.stdout + result.stderr).strip().splitlines()
            raise SaioError('swift-ring-builder %s failed (exit %s): %s' % (
                ' '.join(args), result.returncode, lines[-1] if lines else 'no output'))

    def pid_path(self, name):
        """Pid file of a helper process (memcached, rsyncd-N): kept out of swift-init's
        run dir, which holds only the pid files of Swift's own servers."""
        return os.path.join(self.layout.helper_run_dir, name + '.pid')

    def helper_pid(self, name, process):
        """Running pid of helper ``name`` (also from a pid file of an older layout)."""
        return (_pid_from(self.pid_path(name), process) or
                _pid_from(os.path.join(self.layout.run_dir, name + '.pid'), process))

    def start_memcached(self):
        """memcached -d -P pidfile on 127.0.0.1:<memcached_port> unless running."""
        pid_file = self.pid_path('memcached')
        if self.helper_pid('memcached', 'memcached'):
            return
        if _memcached_answers(self.layout.memcached_port):
            # e.g. Debian starts one as a system service on install: use it, never stop it
            self.say('Using the memcached already listening on 127.0.0.1:%d',
                     self.layout.memcached_port)
            return
        memcached = shutil.which('memcached')
        if memcached is None:
            raise SaioError('memcached is not installed (apt-get install memcached)')
        args = [memcached, '-d', '-P', pid_file, '-l', '127.0.0.1',
                '-p', str(self.layout.memcached_port), '-U', '0']
        if os.geteuid() == 0:
            args += ['-u', 'root']
        _run(args, 'memcached')
        if not self._wait(lambda: _pid_from(pid_file, 'memcached'), 5.0):
            raise SaioError('memcached did not start on port %d' % self.layout.memcached_port)

    def start_rsync(self):
        """One ``rsync --daemon --no-detach`` per node, on 127.0.0.N:<rsync_port>."""
        rsync = shutil.which('rsync')
        if rsync is None:
            raise SaioError('rsync is not installed (apt-get install rsync)')
        conf = os.path.join(self.layout.swift_dir, 'rsyncd.conf')
        for node in NODES:
            pid_file = self.pid_path('rsyncd-%d' % node)
            if self.helper_pid('rsyncd-%d' % node, 'rsync'):
                continue
            args = [rsync, '--daemon', '--no-detach', '--config=%s' % conf,
                    '--address=%s' % self.layout.ip(node),
                    '--port=%d' % self.layout.rsync_port]
            pid = swift_init.spawn_detached(args, self.layout.log_path('rsyncd'),
                                            self.env())
            _write_file(pid_file, '%d\n' % pid)

    def wait_for_health(self, timeout_s=None):
        """GET /healthcheck on the proxy and every storage server.

        :raises SaioError: naming the first server that did not answer 200, and its log.
        """
        targets = [('proxy-server', '127.0.0.1', self.layout.proxy_port,
                    self.layout.log_path('proxy-server'))]
        for kind in SERVER_KINDS:
            for node in NODES:
                targets.append(('%s-server %d' % (kind, node), self.layout.ip(node),
                                self.layout.port(kind, node),
                                self.layout.log_path('%s-server' % kind, node)))
        if timeout_s is None:
            timeout_s = self.health_timeout_s
        deadline = self.clock.monotonic() + timeout_s
        for name, ip, port, log in targets:
            remaining = max(deadline - self.clock.monotonic(), 0.0)
            if not self._wait(lambda: _healthy(ip, port), remaining):
                raise SaioError('%s (%s:%d) did not answer /healthcheck within %d s; '
                                'see %s' % (name, ip, port, timeout_s, log))

    def _wait(self, predicate, timeout_s, step_s=0.1):
        deadline = self.clock.monotonic() + timeout_s
        while True:
            if predicate():
                return True
            if self.clock.monotonic() >= deadline:
                return False
            self.clock.sleep(step_s)

    def print_info(self):
        layout = self.layout
        self.say('')
        self.say('All-in-one Swift is up in %s', layout.root)
        self.say('  Auth URL: %s', layout.auth_url)
        self.say('  User:     test:tester')
        self.say('  Key:      testing')
        self.say('  Try:      swift -A %s -U test:tester -K testing stat', layout.auth_url)
        self.say('  Then:     . %s   (sets SWIFT_DIR, SWIFT_RUN_DIR, ST_AUTH... for '
                 'swift-init, swift-get-nodes, swift)', layout.env_file)

    # -- down / reset / status ----------------------------------------------------

    def down(self):
        """Stop every server and daemon, memcached and the rsync daemons; unmount.

        :returns: 0 when nothing of this cluster is left running, else 1.
        """
        status = 0
        if os.path.isdir(self.layout.swift_dir):
            status = self.manager(['all']).kill(kill_wait=10, kill_after_timeout=True)
        for name, process in self._helper_processes():
            pid = self.helper_pid(name, process)
            if pid:
                os.kill(pid, signal.SIGTERM)
                if not self._wait(lambda: not swift_init.pid_alive(pid), 10.0):
                    os.kill(pid, signal.SIGKILL)
                self.say('Stopped %s (%d)', name, pid)
            _unlink(self.pid_path(name))
            _unlink(os.path.join(self.layout.run_dir, name + '.pid'))
        if _is_mount(self.layout.mount_dir):
            result = subprocess.run(['umount', self.layout.mount_dir],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                self.say('WARNING: could not unmount %s: %s', self.layout.mount_dir,
                         result.stderr.strip())
                status = 1
        return status

    def _helper_processes(self):
        yield 'memcached', 'memcached'
        for node in NODES:
            yield 'rsyncd-%d' % node, 'rsync'

    def reset(self):
        """down, wipe devices, logs, caches and pid files, rebuild rings.

        Configs (and the hash prefix/suffix) stay. :returns: 0.
        """
        self.down()
        layout = self.layout
        for node in NODES:
            # mnt/<N> too: an image that could not be unmounted still holds the data
            for path in (os.path.join(layout.root, str(node)),
                         os.path.join(layout.mount_dir, str(node)),
                         os.path.join(layout.root, 'cache', str(node))):
                if os.path.islink(path):
                    os.unlink(path)
                elif os.path.isdir(path):
                    shutil.rmtree(path)
        for path in (layout.log_dir, layout.run_dir, layout.helper_run_dir):
            shutil.rmtree(path, ignore_errors=True)
        if os.path.exists(layout.disk_image) and not _is_mount(layout.mount_dir):
            os.unlink(layout.disk_image)   # a fresh filesystem next `up`
        for ring, _commands in saio_conf.ring_commands(layout):
            for ext in ('.ring.gz', '.builder'):
                _unlink(os.path.join(layout.swift_dir, ring + ext))
        shutil.rmtree(os.path.join(layout.swift_dir, 'backups'), ignore_errors=True)
        os.makedirs(layout.log_dir, exist_ok=True)
        if os.path.isdir(layout.swift_dir):
            self.build_rings()
        self.say('Cluster in %s wiped; `swift-saio up` starts it again', layout.root)
        return 0

    def status(self):
        """Print the state of each process. :returns: 0 if all main servers, memcached
        and rsync daemons run, else 1."""
        if not os.path.isdir(self.layout.swift_dir):
            self.say('No all-in-one in %s', self.layout.root)
            return 1
        status = 0
        for name, process in self._helper_processes():
            pid = self.helper_pid(name, process)
            if pid:
                self.say('%s running (%d)', name, pid)
            elif name == 'memcached' and _memcached_answers(self.layout.memcached_port):
                self.say('memcached running (not ours) on 127.0.0.1:%d',
                         self.layout.memcached_port)
            else:
                self.say('%s not running', name)
                status = 1
        status |= self.manager(['main']).status()
        self.manager(['rest']).status()
        return status


def _layout_state(layout):
    return {'root': layout.root, 'base_port': layout.base_port,
            'proxy_port': layout.proxy_port, 'memcached_port': layout.memcached_port,
            'rsync_port': layout.rsync_port, 'workers': layout.workers,
            'disk_size': layout.disk_size, 'use_xfs': layout.use_xfs}


def _write_file(path, text):
    from swift.common.fs import write_file_atomic
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_file_atomic(path, text.encode('utf-8'))


def _unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _run(args, what):
    try:
        result = subprocess.run(args, capture_output=True, text=True,
                                stdin=subprocess.DEVNULL)
    except OSError as err:
        raise SaioError('%s failed: %s' % (what, err.strerror))
    if result.returncode != 0:
        raise SaioError('%s failed (exit %s): %s' % (what, result.returncode,
                                                     result.stderr.strip()))


def _pid_from(pid_file, process):
    """The pid in ``pid_file`` if that process runs and its command names ``process``."""
    try:
        with open(pid_file) as fp:
            pid = int(fp.read().strip())
    except (OSError, ValueError):
        return None
    if swift_init.pid_alive(pid) and process in (swift_init.read_cmdline(pid) or ''):
        return pid
    return None


def _is_mount(path):
    path = os.path.realpath(path)
    try:
        with open('/proc/mounts') as fp:
            return any(line.split()[1] == path for line in fp if len(line.split()) > 1)
    except OSError:
        return os.path.ismount(path)


def _fs_type(path):
    best, kind = '', 'this filesystem'
    path = os.path.realpath(path)
    try:
        with open('/proc/mounts') as fp:
            for line in fp:
                parts = line.split()
                if len(parts) > 2 and path.startswith(parts[1]) and len(parts[1]) > len(best):
                    best, kind = parts[1], parts[2]
    except OSError:
        pass
    return kind


def _memcached_answers(port):
    """True when a memcached answers ``version`` on 127.0.0.1:``port``."""
    import socket
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=1) as sock:
            sock.sendall(b'version\r\n')
            return sock.recv(64).startswith(b'VERSION')
    except OSError:
        return False


def _healthy(ip, port):
    conn = http.client.HTTPConnection(ip, port, timeout=2)
    try:
        conn.request('GET', '/healthcheck')
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def build_parser():
    """argparse parser of swift-saio."""
    parser = argparse.ArgumentParser(
        prog='swift-saio', description='A 4-node Swift all-in-one kept in one directory.')
    parser.add_argument('command', choices=['up', 'down', 'reset', 'status'])
    parser.add_argument('--dir', default=None,
                        help='cluster directory (default %s)' % saio_conf.default_dir())
    parser.add_argument('--base-port', type=int, default=None,
                        help='node N uses base+10N, +1, +2 (default 6200: 6210/6211/6212)')
    parser.add_argument('--proxy-port', type=int, default=None, help='default 8080')
    parser.add_argument('--memcached-port', type=int, default=None, help='default 11211')
    parser.add_argument('--rsync-port', type=int, default=None,
                        help='port of the rsync daemons (default base+3 = 6203)')
    parser.add_argument('--workers', type=int, default=None, help='default 1')
    parser.add_argument('--disk-size', default=None, help='XFS image size (default 4G)')
    parser.add_argument('--xfs', choices=['auto', 'yes', 'no'], default=None,
                        help='devices on an XFS loop image (auto: when root with mkfs.xfs)')
    parser.add_argument('--health-timeout', type=float, default=HEALTH_TIMEOUT_S,
                        help='seconds `up` waits for every /healthcheck (default 30)')
    parser.add_argument('--no-daemons', action='store_true',
                        help='start only the proxy and storage servers')
    return parser


def layout_from_args(args):
    """A Layout from the options, over what the last `up` in that directory used."""
    root = os.path.abspath(os.path.expanduser(args.dir or os.environ.get('SWIFT_SAIO_DIR')
                                              or saio_conf.default_dir()))
    state = {}
    try:
        with open(os.path.join(root, STATE_FILE)) as fp:
            state = json.load(fp)
    except (OSError, ValueError):
        pass
    base = args.base_port if args.base_port is not None else state.get('base_port', 6200)
    values = {
        'base_port': base,
        'proxy_port': args.proxy_port or state.get('proxy_port', 8080),
        'memcached_port': args.memcached_port or state.get('memcached_port', 11211),
        'rsync_port': args.rsync_port or state.get('rsync_port', base + 3),
        'workers': args.workers if args.workers is not None else state.get('workers', 1),
        'disk_size': args.disk_size or state.get('disk_size', '4G'),
        'use_xfs': args.xfs or state.get('use_xfs', 'auto'),
    }
    return Layout(root=root, **values)


def main(argv=None):
    """swift-saio entry point. :returns: 0 ok, 1 failure (one ERROR line), 2 usage."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    layout = layout_from_args(args)
    saio = Saio(layout, start_daemons=not args.no_daemons,
                health_timeout_s=args.health_timeout)
    try:
        return getattr(saio, args.command)()
    except BrokenPipeError:
        # output piped into e.g. `head`: stop quietly, like other command-line tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (SaioError, OSError) as err:
        print('ERROR: %s' % err, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 1
