"""Benchmark: one object server alone (no proxy), beside the disk's own write speed.

Starts ONE real object server (``swift.obj.server.main`` in a subprocess, the code
``swift-object-server`` runs) on a free loopback port over a temp devices dir that
sits on the same filesystem as ``--dir`` (default: the current directory), then
speaks Swift's backend protocol to it with ``swift.common.bufferedhttp.http_connect``
(X-Timestamp, Content-Type, X-Backend-Storage-Policy-Index, one connection per
request as the proxy does) and measures:

- 4 KiB PUT and GET per second at concurrency 1 and 20 (``--requests`` each, also
  stopped after ``--phase-seconds``);
- one 256 MiB PUT and GET in MB/s (``--big-mib``);
- the disk's write speed in the same run:
  ``dd if=/dev/zero of=<file on the same fs> bs=1M count=512 conv=fdatasync``.

Issue 4 acceptance 4. MB here is 10**6 bytes, as dd prints it.

Run: python bench/object_server.py [--quick] [--dir PATH] [--requests N]
         [--big-mib N] [--dd-mib N] [--workers N] [--phase-seconds S]
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from swift.common import concurrency
from swift.common.bufferedhttp import http_connect
from swift.common.timestamp import Timestamp

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMALL_BYTES = 4096
IO_CHUNK = 1024 * 1024
DEVICE = 'sda'
START_TIMEOUT_S = 20.0
REQUEST_TIMEOUT_S = 60.0

SWIFT_CONF = """[swift-hash]
swift_hash_path_prefix = benchprefix
swift_hash_path_suffix = benchsuffix

[storage-policy:0]
name = gold
default = yes
"""

SERVER_CONF = """[DEFAULT]
devices = {devices}
mount_check = false
bind_ip = 127.0.0.1
bind_port = {port}
workers = {workers}
swift_dir = {swift_dir}
log_file = {log_file}
log_level = WARNING

[pipeline:main]
pipeline = healthcheck object-server

[app:object-server]
use = egg:swift#object

[filter:healthcheck]
use = egg:swift#healthcheck
"""


class BenchError(Exception):
    """The server did not start or answered a request wrongly."""


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def write_confs(root, port, workers):
    """swift.conf and object-server.conf under ``root``; returns the server conf path."""
    devices = os.path.join(root, 'node')
    os.makedirs(os.path.join(devices, DEVICE))
    with open(os.path.join(root, 'swift.conf'), 'w') as f:
        f.write(SWIFT_CONF)
    conf_path = os.path.join(root, 'object-server.conf')
    with open(conf_path, 'w') as f:
        f.write(SERVER_CONF.format(devices=devices, port=port, workers=workers,
                                   swift_dir=root,
                                   log_file=os.path.join(root, 'object-server.log')))
    return conf_path


class Server:
    """The object server subprocess (started and stopped by pid)."""

    def __init__(self, root, workers):
        self.root = root
        self.port = free_port()
        self.conf_path = write_confs(root, self.port, workers)
        self.proc = None

    def start(self):
        """Spawn and wait until ``/healthcheck`` answers. :raises BenchError:"""
        code = 'import sys; from swift.obj.server import main; sys.exit(main())'
        env = dict(os.environ, PYTHONPATH=REPO + os.pathsep +
                   os.environ.get('PYTHONPATH', ''))
        stderr_path = os.path.join(self.root, 'object-server.stderr')
        with open(stderr_path, 'wb') as stderr:
            self.proc = subprocess.Popen([sys.executable, '-c', code, self.conf_path],
                                         cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                         stderr=stderr)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                with open(stderr_path, 'rb') as stderr:
                    tail = stderr.read().decode('utf-8', 'replace')[-500:]
                raise BenchError('object server exited %s: %s' % (
                    self.proc.returncode, tail))
            try:
                with socket.create_connection(('127.0.0.1', self.port), 0.2) as sock:
                    sock.sendall(b'GET /healthcheck HTTP/1.0\r\n\r\n')
                    if sock.recv(64).startswith(b'HTTP/1.1 200'):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise BenchError('object server did not answer on port %s' % self.port)

    def stop(self):
        """Terminate the subprocess (TERM, then KILL after 10 s)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Client:
    """Backend requests to one object server; timestamps strictly increase."""

    def __init__(self, port):
        self.port = port
        self._last = 0.0

    def timestamp(self):
        now = max(time.time(), self._last + 0.00001)
        self._last = now
        return Timestamp(now).internal

    def _request(self, method, name, headers, body_chunks=()):
        partition = str(hash(name) % 256)
        with concurrency.Timeout(REQUEST_TIMEOUT_S):
            conn = http_connect('127.0.0.1', self.port, DEVICE, partition, method,
                                '/AUTH_bench/c/%s' % name, headers)
            for chunk in body_chunks:
                conn.send(chunk)
            resp = conn.getresponse()
            received = 0
            while True:
                data = resp.read(IO_CHUNK)
                if not data:
                    break
                received += len(data)
            conn.close()
        return resp.status, received

    def put(self, name, chunk, count=1):
        """PUT ``count`` copies of ``chunk`` as one object. :raises BenchError:"""
        headers = {'X-Timestamp': self.timestamp(), 'Content-Type': 'application/bench',
                   'Content-Length': str(len(chunk) * count),
                   'X-Backend-Storage-Policy-Index': '0'}
        status, _ = self._request('PUT', name, headers, (chunk for _ in range(count)))
        if status != 201:
            raise BenchError('PUT %s answered %s' % (name, status))

    def get(self, name, size):
        """GET ``name`` and check its length. :raises BenchError:"""
        status, received = self._request('GET', name,
                                         {'X-Backend-Storage-Policy-Index': '0'})
        if status != 200 or received != size:
            raise BenchError('GET %s answered %s with %s bytes' % (name, status, received))


def run_phase(op, requests, concurrency_, time_limit_s):
    """Call ``op(i)`` for i in 0..requests-1 with ``concurrency_`` green threads.

    :returns: (requests done, wall seconds). Stops early after ``time_limit_s``.
    """
    state = {'next': 0, 'done': 0}
    deadline = time.monotonic() + time_limit_s

    def worker():
        while state['next'] < requests and time.monotonic() < deadline:
            index = state['next']
            state['next'] += 1
            op(index)
            state['done'] += 1

    start = time.monotonic()
    pool = concurrency.GreenPool(concurrency_)
    for _ in range(concurrency_):
        pool.spawn(worker)
    pool.waitall()
    return state['done'], time.monotonic() - start


def small_phases(client, requests, time_limit_s):
    """4 KiB PUT then GET at concurrency 1 and 20; returns printable lines."""
    body = os.urandom(SMALL_BYTES)
    lines = []
    for conc in (1, 20):
        names = ['small-c%d-%06d' % (conc, i) for i in range(requests)]
        done, wall = run_phase(lambda i: client.put(names[i], body), requests, conc,
                               time_limit_s)
        lines.append('4 KiB PUT  concurrency %2d: %6d req in %6.2f s = %8.1f req/s'
                     % (conc, done, wall, done / wall))
        stored = done
        done, wall = run_phase(lambda i: client.get(names[i % stored], SMALL_BYTES),
                               requests, conc, time_limit_s)
        lines.append('4 KiB GET  concurrency %2d: %6d req in %6.2f s = %8.1f req/s'
                     % (conc, done, wall, done / wall))
    return lines


def big_phase(client, mib):
    """One ``mib`` MiB PUT and GET; returns printable lines."""
    chunk = os.urandom(IO_CHUNK)
    size = mib * IO_CHUNK
    start = time.monotonic()
    client.put('big', chunk, mib)
    put_s = time.monotonic() - start
    start = time.monotonic()
    client.get('big', size)
    get_s = time.monotonic() - start
    return ['%d MiB PUT: %6.2f s = %7.1f MB/s' % (mib, put_s, size / put_s / 1e6),
            '%d MiB GET: %6.2f s = %7.1f MB/s' % (mib, get_s, size / get_s / 1e6)]


def dd_write_speed(root, mib):
    """``dd ... conv=fdatasync`` of ``mib`` MiB under ``root``; returns (MB/s, line)."""
    target = os.path.join(root, 'dd.tmp')
    start = time.monotonic()
    proc = subprocess.run(['dd', 'if=/dev/zero', 'of=' + target, 'bs=1M',
                           'count=%d' % mib, 'conv=fdatasync'],
                          capture_output=True, text=True)
    wall = time.monotonic() - start
    with_suppress_unlink(target)
    if proc.returncode != 0:
        raise BenchError('dd failed: %s' % proc.stderr.strip())
    speed = mib * IO_CHUNK / wall / 1e6
    dd_line = (proc.stderr.strip().splitlines() or [''])[-1]
    return speed, 'disk write (dd bs=1M count=%d conv=fdatasync): %7.1f MB/s  [dd: %s]' % (
        mib, speed, dd_line)


def with_suppress_unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def parse_args(argv):
    parser = argparse.ArgumentParser(prog='bench/object_server.py',
                                     description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='small run: 200 requests, 32 MiB object, 64 MiB dd')
    parser.add_argument('--dir', default=None,
                        help='parent of the temp devices dir (default: cwd)')
    parser.add_argument('--requests', type=int, default=None)
    parser.add_argument('--big-mib', type=int, default=None)
    parser.add_argument('--dd-mib', type=int, default=None)
    parser.add_argument('--workers', type=int, default=1)
    parser.add_argument('--phase-seconds', type=float, default=20.0)
    args = parser.parse_args(argv)
    defaults = (200, 32, 64) if args.quick else (2000, 256, 512)
    args.requests = args.requests or defaults[0]
    args.big_mib = args.big_mib or defaults[1]
    args.dd_mib = args.dd_mib or defaults[2]
    if min(args.requests, args.big_mib, args.dd_mib) < 1 or args.workers < 0:
        parser.error('--requests, --big-mib and --dd-mib must be positive')
    return args


def main(argv=None):
    """Run every measurement and print one line each. :returns: exit status."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    root = tempfile.mkdtemp(prefix='objbench-', dir=args.dir or os.getcwd())
    server = Server(root, args.workers)
    try:
        server.start()
        client = Client(server.port)
        print('object server: 127.0.0.1:%s, workers=%s, devices under %s'
              % (server.port, args.workers, root))
        for line in small_phases(client, args.requests, args.phase_seconds):
            print(line, flush=True)
        for line in big_phase(client, args.big_mib):
            print(line, flush=True)
        server.stop()
        _, line = dd_write_speed(root, args.dd_mib)
        print(line)
    except BenchError as err:
        print('bench failed: %s' % err, file=sys.stderr)
        return 1
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
