"""Benchmark: the whole all-in-one through the proxy, beside the disk's write speed.

Starts its own all-in-one (``swift-saio up`` through test/helpers/cluster.py's
SaioCluster: 4 nodes, 3 replicas, one proxy worker, memcached, tempauth) on free ports in
a temporary directory under ``--dir`` (default: the current directory), torn down at the
end, and measures as test:tester:

- 4 KiB objects PUT, GET and DELETE per second at concurrency 10 and 50 (each client a
  keep-alive HTTP/1.1 connection on a green socket, so the client costs little CPU;
  ``--requests`` per phase, a phase also ends after ``--phase-seconds``);
- one ``--big-mib`` (256) MiB object PUT and GET in MB/s with curl;
- the disk's write speed in the same run: ``dd if=/dev/zero of=<file beside node 1's
  devices> bs=1M count=N conv=fdatasync``.

Figures are printed beside OpenStack Swift's on this machine kind (issue 6) and the
target (twice those). MB is 10**6 bytes, as dd and curl print it.

Run: python bench/proxy.py [--quick] [--dir PATH] [--requests N] [--big-mib N]
         [--dd-mib N] [--phase-seconds S] [--concurrency 10,50] [--xfs auto|yes|no]
         [--daemons] [--py-spy DIR]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from swift.common import concurrency  # noqa: E402
from test.helpers.cluster import SaioCluster  # noqa: E402

SMALL_BYTES = 4096
REQUEST_TIMEOUT_S = 60.0
# OpenStack Swift on this machine kind (issue 6): ops/s at concurrency 10 and 50, MB/s.
REFERENCE = {('PUT', 10): 87.0, ('PUT', 50): 87.0, ('GET', 10): 233.0,
             ('GET', 50): 296.0, ('DELETE', 10): 82.0, ('DELETE', 50): 108.0,
             'big PUT': 94.0, 'big GET': 408.0}
TARGET_FACTOR = 2.0


class BenchError(Exception):
    """The cluster did not start or answered a request wrongly."""


class KeepAliveClient:
    """A minimal HTTP/1.1 client on one green keep-alive socket (Content-Length bodies
    only, which is all the proxy sends for these requests).

    :param host, port: the proxy; ``base``: the account path; ``token``: X-Auth-Token.
    """

    def __init__(self, host, port, base, token):
        self.address = (host, port)
        self.base = base
        self.token = token
        self.sock = None
        self.buffer = b''

    def request(self, method, path, body=b''):
        """Send one request; returns (status int, body bytes).

        :raises OSError, BenchError: on a broken connection or response.
        """
        if self.sock is None:
            self.sock = concurrency.green_socket.create_connection(self.address)
            self.buffer = b''
        head = ('%s %s%s HTTP/1.1\r\nHost: bench\r\nX-Auth-Token: %s\r\n'
                'Content-Length: %d\r\n\r\n' % (method, self.base, path, self.token,
                                                len(body))).encode('ascii')
        self.sock.sendall(head + body)
        return self._response(method)

    def _response(self, method):
        while b'\r\n\r\n' not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b'\r\n\r\n', 1)
        lines = head.decode('latin-1').split('\r\n')
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(':')
            headers[name.strip().lower()] = value.strip()
        length = 0 if method == 'HEAD' or status in (204, 304) else \
            headers.get('content-length')
        if length is None:
            raise BenchError('%s answered %s without Content-Length' % (method, status))
        length = int(length)
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        if headers.get('connection', '').lower() == 'close':
            self.close()
        return status, body

    def _fill(self):
        data = self.sock.recv(1 << 16)
        if not data:
            self.close()
            raise BenchError('connection closed mid-response')
        self.buffer += data

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def run_phase(clients, method, names, time_limit_s, expect):
    """Send ``method`` for each name over the clients (one green thread each).

    :returns: (requests done, seconds).
    :raises BenchError: when an answer is not in ``expect``.
    """
    queue = list(reversed(names))
    deadline = time.monotonic() + time_limit_s
    done = [0]
    errors = []
    body = b'x' * SMALL_BYTES if method == 'PUT' else b''

    def worker(client):
        while queue and not errors and time.monotonic() < deadline:
            name = queue.pop()
            try:
                with concurrency.Timeout(REQUEST_TIMEOUT_S):
                    status, got = client.request(method, name, body)
            except (OSError, BenchError, concurrency.Timeout) as err:
                errors.append('%s %s: %s' % (method, name, err or type(err).__name__))
                return
            if status not in expect or (method == 'GET' and len(got) != SMALL_BYTES):
                errors.append('%s %s: status %s' % (method, name, status))
                return
            done[0] += 1
    pool = concurrency.GreenPool(len(clients))
    started = time.monotonic()
    for client in clients:
        pool.spawn_n(worker, client)
    pool.waitall()
    elapsed = time.monotonic() - started
    if errors:
        raise BenchError(errors[0])
    return done[0], elapsed


def small_phases(cluster, container, concurrencies, requests, time_limit_s, out):
    """4 KiB PUT/GET/DELETE at each concurrency; returns {(verb, conc): ops/s}."""
    parsed = urllib.parse.urlparse(cluster.storage_url)
    results = {}
    for conc in concurrencies:
        clients = [KeepAliveClient(parsed.hostname, parsed.port, parsed.path,
                                   cluster.token) for _ in range(conc)]
        names = ['/%s/c%d-o%06d' % (container, conc, i) for i in range(requests)]
        for method, expect in (('PUT', (201,)), ('GET', (200,)), ('DELETE', (204,))):
            count, elapsed = run_phase(clients, method, names, time_limit_s, expect)
            names = names[:count]       # GET/DELETE only what was stored
            rate = count / elapsed if elapsed else 0.0
            results[(method, conc)] = rate
            out('4 KiB %-6s concurrency %3d: %5d req in %6.2f s = %7.1f req/s%s' % (
                method, conc, count, elapsed, rate,
                ratio_text(rate, REFERENCE[(method, 10 if conc <= 10 else 50)])))
        for client in clients:
            client.close()
    return results


def ratio_text(value, reference):
    """' (Swift R, xV/R; target x2.0)' - other concurrencies than 10 and 50 are
    compared with the nearer one."""
    return '   (Swift %.0f, x%.2f; target x%.1f)' % (reference, value / reference,
                                                    TARGET_FACTOR)


def big_phase(cluster, container, mib, workdir, out):
    """One ``mib`` MiB PUT and GET with curl; returns {'big PUT': MB/s, 'big GET': ..}."""
    path = os.path.join(workdir, 'big.bin')
    block = os.urandom(1024 * 1024)
    with open(path, 'wb') as fp:
        for _ in range(mib):
            fp.write(block)
    url = '%s/%s/big' % (cluster.storage_url, container)
    size = mib * 1024 * 1024
    results = {}
    try:
        for label, argv in (
                ('big PUT', ['curl', '-sS', '-f', '-T', path, '-o', '/dev/null']),
                ('big GET', ['curl', '-sS', '-f', '-o', '/dev/null'])):
            started = time.monotonic()
            proc = subprocess.run(argv + ['-H', 'X-Auth-Token: ' + cluster.token,
                                          '-w', '%{http_code} %{size_download}', url],
                                  capture_output=True, text=True, timeout=600)
            elapsed = time.monotonic() - started
            code = proc.stdout.split()[0] if proc.stdout else '?'
            if proc.returncode != 0 or code not in ('200', '201'):
                raise BenchError('%s failed: %s %s' % (label, code, proc.stderr.strip()))
            if label == 'big GET' and int(proc.stdout.split()[1]) != size:
                raise BenchError('big GET returned %s bytes' % proc.stdout.split()[1])
            rate = size / elapsed / 1e6
            results[label] = rate
            out('%d MiB %s: %6.2f s = %7.1f MB/s%s' % (mib, label.split()[1], elapsed,
                                                      rate, ratio_text(rate,
                                                                       REFERENCE[label])))
    finally:
        os.unlink(path)
    return results


def dd_write_speed(directory, mib):
    """``dd ... conv=fdatasync`` of ``mib`` MiB in ``directory``; returns (MB/s, line)."""
    target = os.path.join(directory, 'dd.tmp')
    started = time.monotonic()
    proc = subprocess.run(['dd', 'if=/dev/zero', 'of=' + target, 'bs=1M',
                           'count=%d' % mib, 'conv=fdatasync'],
                          capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - started
    try:
        os.unlink(target)
    except OSError:
        pass
    if proc.returncode != 0:
        raise BenchError('dd failed: %s' % proc.stderr.strip())
    speed = mib * 1024 * 1024 / elapsed / 1e6
    dd_line = (proc.stderr.strip().splitlines() or [''])[-1]
    return speed, 'disk write (dd bs=1M count=%d conv=fdatasync): %7.1f MB/s  [dd: %s]' % (
        mib, speed, dd_line)


class Profiler:
    """py-spy recordings of the proxy and one object server worker (``--py-spy``)."""

    def __init__(self, cluster, out_dir):
        self.cluster = cluster
        self.out_dir = out_dir
        self.procs = []

    def start(self, label):
        import psutil
        run_dir = os.path.join(self.cluster.root, 'run')
        targets = {'proxy': os.path.join(run_dir, 'proxy-server.pid'),
                   'object1': os.path.join(run_dir, 'object-server', '1.pid')}
        os.makedirs(self.out_dir, exist_ok=True)
        for name, pid_file in targets.items():
            with open(pid_file) as fp:
                pid = int(fp.read().strip())
            children = psutil.Process(pid).children()
            worker = children[0].pid if children else pid
            output = os.path.join(self.out_dir, '%s-%s.txt' % (label, name))
            self.procs.append(subprocess.Popen(
                ['py-spy', 'record', '--pid', str(worker), '--format', 'raw',
                 '--rate', '200', '--output', output],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def stop(self):
        import signal
        for proc in self.procs:
            proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs = []


def proxy_errors(cluster, count=8):
    """The last ``count`` ERROR lines of the cluster's proxy log (to explain a
    failure before the directory is removed)."""
    path = os.path.join(cluster.root, 'log', 'proxy-server.log')
    try:
        with open(path, 'rb') as fp:
            lines = fp.read().decode('utf-8', 'replace').splitlines()
    except OSError:
        return []
    return [line for line in lines if ' ERROR ' in line][-count:]


def positive_int(value):
    number = int(value)
    if number <= 0:
        raise argparse.ArgumentTypeError('must be positive: %r' % value)
    return number


def parse_args(argv):
    parser = argparse.ArgumentParser(prog='bench/proxy.py', description=__doc__.split(
        '\n\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='small run: 200 requests a phase, 32 MiB object, 64 MiB dd')
    parser.add_argument('--dir', default=None, help='where the cluster directory goes')
    parser.add_argument('--requests', type=positive_int, default=None)
    parser.add_argument('--big-mib', type=positive_int, default=None)
    parser.add_argument('--dd-mib', type=positive_int, default=None)
    parser.add_argument('--phase-seconds', type=float, default=30.0)
    parser.add_argument('--concurrency', default='10,50',
                        help='comma-separated client counts (default 10,50)')
    parser.add_argument('--xfs', choices=('auto', 'yes', 'no'), default='auto')
    parser.add_argument('--daemons', action='store_true',
                        help='also run the background daemons (default: servers only)')
    parser.add_argument('--py-spy', dest='py_spy', default=None, metavar='DIR',
                        help='record the proxy and object server 1 with py-spy during '
                             'the 4 KiB phases (raw stacks in DIR)')
    args = parser.parse_args(argv)
    try:
        args.concurrency = [positive_int(v) for v in args.concurrency.split(',')]
    except (ValueError, argparse.ArgumentTypeError):
        parser.error('--concurrency: comma-separated positive numbers')
    quick = args.quick
    args.requests = args.requests or (200 if quick else 2000)
    args.big_mib = args.big_mib or (32 if quick else 256)
    args.dd_mib = args.dd_mib or (64 if quick else 512)
    return args


def main(argv=None, out=print):
    """Run the benchmark; returns 0, or 1 with a one-line error."""
    args = parse_args(argv)
    root = tempfile.mkdtemp(prefix='proxybench-', dir=args.dir or os.getcwd())
    cluster = SaioCluster(os.path.join(root, 'saio'), xfs=args.xfs, daemons=args.daemons)
    profiler = Profiler(cluster, args.py_spy) if args.py_spy else None
    try:
        started = time.monotonic()
        cluster.up()
        out('all-in-one up in %.1f s (%s, proxy 127.0.0.1:%d, 1 proxy worker)' % (
            time.monotonic() - started, cluster.root, cluster.proxy_port))
        if cluster.raw('PUT', '/bench').status not in (201, 202):
            raise BenchError('cannot create the bench container')
        if profiler:
            profiler.start('small')
        try:
            small_phases(cluster, 'bench', args.concurrency, args.requests,
                         args.phase_seconds, out)
        finally:
            if profiler:
                profiler.stop()
        big_phase(cluster, 'bench', args.big_mib, root, out)
        _speed, line = dd_write_speed(cluster.devices_root('object', 1), args.dd_mib)
        out(line)
        return 0
    except (BenchError, OSError, RuntimeError, subprocess.SubprocessError) as err:
        out('bench failed: %s' % err)
        for line in proxy_errors(cluster):
            out('  proxy log: %s' % line)
        return 1
    finally:
        cluster.down()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
