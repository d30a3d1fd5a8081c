"""Benchmark: one object-replicator pass restoring a wiped node, rsync vs ssync, beside
plain ``cp`` of the same data on the same disk (issue 7, acceptance 3).

Layout (all under a temp dir on the filesystem of ``--dir``): a 2-replica object ring
with two devices on 127.0.0.1 - node A (the replicator under test runs here,
in-process, ``ObjectReplicator.run_once()``) and node B (a real object server
subprocess, ``swift.obj.server.main``; for rsync also a real ``rsync --daemon`` whose
module ``object<port>`` points at node B's devices). Node A holds ``--objects`` small
objects (``--small-bytes`` each) and ``--large-mib`` MiB in ``--large-count`` large
objects, written through DiskFile (xattr metadata, fsync) straight to its disk.

For each sync method: empty node B's device, start its servers, time one pass, check
that every object is back (count of .data files), stop the servers. Baseline: ``cp -a``
of node A's objects dir to another dir on the same filesystem, then ``sync``.

Run: python bench/replication.py [--objects 10000] [--large-mib 1024] [--dir PATH]
     [--methods rsync,ssync] [--concurrency 1]
Prints seconds, objects/s and MB/s (10**6 bytes) per line.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from swift.common import concurrency  # noqa: E402
from swift.common.hashing import HashPathConfig  # noqa: E402
from swift.common.timestamp import Timestamp  # noqa: E402

DEVICE = 'sda'
PART_POWER = 8
START_TIMEOUT_S = 20.0
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
workers = 1
swift_dir = {swift_dir}
log_file = {log_file}
log_level = WARNING

[pipeline:main]
pipeline = object-server

[app:object-server]
use = egg:swift#object
"""


class BenchError(Exception):
    """A server did not start or the pass did not restore every object."""


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_for_port(port, proc, what):
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError('%s exited with %s' % (what, proc.returncode))
        try:
            socket.create_connection(('127.0.0.1', port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise BenchError('%s did not listen on %s' % (what, port))


def stop(proc):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Layout:
    def __init__(self, root):
        self.root = root
        self.swift_dir = os.path.join(root, 'etc')
        self.node_a = os.path.join(root, 'nodeA')
        self.node_b = os.path.join(root, 'nodeB')
        self.port_a = free_port()
        self.port_b = free_port()
        for path in (self.swift_dir, os.path.join(self.node_a, DEVICE),
                     os.path.join(self.node_b, DEVICE)):
            os.makedirs(path)
        with open(os.path.join(self.swift_dir, 'swift.conf'), 'w') as fp:
            fp.write(SWIFT_CONF)
        self.server_conf = os.path.join(self.swift_dir, 'object-server-b.conf')
        with open(self.server_conf, 'w') as fp:
            fp.write(SERVER_CONF.format(devices=self.node_b, port=self.port_b,
                                        swift_dir=self.swift_dir,
                                        log_file=os.path.join(root, 'server-b.log')))
        self._build_ring()

    def _build_ring(self):
        from swift.common.ring import RingBuilder
        builder = RingBuilder(PART_POWER, 2, 1)
        for dev_id, port in enumerate((self.port_a, self.port_b)):
            builder.add_dev({'id': dev_id, 'region': 1, 'zone': dev_id,
                             'ip': '127.0.0.1', 'port': port, 'device': DEVICE,
                             'weight': 1.0, 'replication_ip': '127.0.0.1',
                             'replication_port': port})
        builder.rebalance()
        builder.get_ring().save(os.path.join(self.swift_dir, 'object.ring.gz'))


def populate(layout, small_count, small_bytes, large_count, large_bytes):
    """Write the objects on node A. :returns: (objects, payload bytes)."""
    from swift.common.ring import Ring
    from swift.obj.diskfile import DiskFileConfig, DiskFileManager
    from swift.common.clock import REAL_CLOCK
    from swift.common.logs import get_logger
    ring = Ring(layout.swift_dir, 'object')
    hash_config = HashPathConfig(b'benchprefix', b'benchsuffix')
    manager = DiskFileManager(DiskFileConfig(devices=layout.node_a, mount_check=False),
                              logger=get_logger({}, log_route='bench'), clock=REAL_CLOCK,
                              hash_config=hash_config)
    small = os.urandom(small_bytes)
    large_chunk = os.urandom(1024 * 1024)
    total = 0
    specs = [('small-%07d' % i, small_bytes) for i in range(small_count)]
    specs += [('large-%04d' % i, large_bytes) for i in range(large_count)]
    for name, size in specs:
        partition = ring.get_part('AUTH_bench', 'c', name)
        disk_file = manager.get_diskfile(DEVICE, partition, 'AUTH_bench', 'c', name)
        with disk_file.create(size=size) as writer:
            if size == small_bytes and name.startswith('small'):
                writer.write(small)
            else:
                left = size
                while left > 0:
                    piece = large_chunk[:min(left, len(large_chunk))]
                    writer.write(piece)
                    left -= len(piece)
            writer.put({'X-Timestamp': Timestamp.now().internal,
                        'Content-Type': 'application/octet-stream',
                        'Content-Length': str(size), 'ETag': writer.etag})
        total += size
    return len(specs), total


def count_data_files(devices):
    found = 0
    for _root, _dirs, files in os.walk(os.path.join(devices, DEVICE, 'objects')):
        found += sum(1 for name in files if name.endswith('.data'))
    return found


def start_object_server(layout):
    code = 'import sys; from swift.obj.server import main; sys.exit(main())'
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.Popen([sys.executable, '-c', code, layout.server_conf], cwd=REPO,
                            env=env, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(layout.root, 'server-b.stderr'),
                                        'ab'))
    wait_for_port(layout.port_b, proc, 'object server')
    return proc


def start_rsync_daemon(layout):
    port = free_port()
    conf = os.path.join(layout.swift_dir, 'rsyncd.conf')
    with open(conf, 'w') as fp:
        fp.write('uid = %d\ngid = %d\n' % (os.getuid(), os.getgid()))
        fp.write('use chroot = no\nlog file = %s\npid file = %s\n[object%d]\npath = %s\n'
                 'read only = false\n' % (os.path.join(layout.root, 'rsyncd.log'),
                                          os.path.join(layout.root, 'rsyncd.pid'),
                                          layout.port_b, layout.node_b))
    proc = subprocess.Popen(['rsync', '--daemon', '--no-detach', '--port=%d' % port,
                             '--address=127.0.0.1', '--config=%s' % conf])
    wait_for_port(port, proc, 'rsync daemon')
    return proc, port


def run_pass(layout, method, concurrency_n, expected):
    """Wipe node B, start its servers, time one replicator pass on node A."""
    from swift.obj.replicator import ObjectReplicator
    from swift.common.logs import get_logger
    shutil.rmtree(os.path.join(layout.node_b, DEVICE))
    os.makedirs(os.path.join(layout.node_b, DEVICE))
    server = rsyncd = None
    try:
        server = start_object_server(layout)
        conf = {'devices': layout.node_a, 'mount_check': 'false',
                'swift_dir': layout.swift_dir, 'bind_ip': '127.0.0.1',
                'bind_port': str(layout.port_a), 'sync_method': method,
                'concurrency': str(concurrency_n),
                'recon_cache_path': os.path.join(layout.root, 'recon'),
                'log_file': os.path.join(layout.root, 'replicator.log'),
                'log_level': 'WARNING'}
        if method == 'rsync':
            rsyncd, rsync_port = start_rsync_daemon(layout)
            conf['rsync_module'] = ('rsync://{replication_ip}:%d/object{replication_port}'
                                    % rsync_port)
        replicator = ObjectReplicator(conf, logger=get_logger(conf, log_route='bench'))
        begin = time.monotonic()
        stats = replicator.run_once()
        elapsed_s = time.monotonic() - begin
    finally:
        stop(rsyncd)
        stop(server)
    restored = count_data_files(layout.node_b)
    if restored != expected:
        raise BenchError('%s restored %d of %d objects (stats %s)' % (
            method, restored, expected, stats.to_dict()))
    return elapsed_s


def run_cp(layout):
    dest = os.path.join(layout.root, 'cp-copy')
    begin = time.monotonic()
    subprocess.run(['cp', '-a', os.path.join(layout.node_a, DEVICE, 'objects'), dest],
                   check=True)
    subprocess.run(['sync'], check=True)
    elapsed_s = time.monotonic() - begin
    shutil.rmtree(dest)
    return elapsed_s


def report(label, seconds, objects, payload_bytes):
    print('%-28s %9.2f s %10.1f objects/s %9.1f MB/s' % (
        label, seconds, objects / seconds if seconds else 0,
        payload_bytes / 1e6 / seconds if seconds else 0))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--objects', type=int, default=10000)
    parser.add_argument('--small-bytes', type=int, default=4096)
    parser.add_argument('--large-mib', type=int, default=1024)
    parser.add_argument('--large-count', type=int, default=16)
    parser.add_argument('--dir', default='.')
    parser.add_argument('--methods', default='rsync,ssync')
    parser.add_argument('--concurrency', type=int, default=1)
    return parser.parse_args(argv)


def run_set(label, layout, objects, payload, methods, concurrency_n):
    report('%s: cp -a + sync' % label, run_cp(layout), objects, payload)
    for method in methods:
        report('%s: %s pass' % (label, method),
               run_pass(layout, method, concurrency_n, objects), objects, payload)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    methods = [m for m in args.methods.split(',') if m]
    if 'rsync' in methods and shutil.which('rsync') is None:
        print('rsync not installed: skipping the rsync method', file=sys.stderr)
        methods.remove('rsync')
    concurrency.monkey_patch()
    sets = [('small', args.objects, args.small_bytes, 0, 0)]
    if args.large_mib and args.large_count:
        sets.append(('large', 0, 0, args.large_count,
                     args.large_mib * 1024 * 1024 // args.large_count))
    for label, small_count, small_bytes, large_count, large_bytes in sets:
        root = tempfile.mkdtemp(prefix='bench-replication-', dir=args.dir)
        try:
            layout = Layout(root)
            begin = time.monotonic()
            objects, payload = populate(layout, small_count, small_bytes, large_count,
                                        large_bytes)
            print('%s: %d objects, %.1f MB written on node A in %.1f s' % (
                label, objects, payload / 1e6, time.monotonic() - begin))
            run_set(label, layout, objects, payload, methods, args.concurrency)
        except BenchError as err:
            print('FAILED: %s' % err, file=sys.stderr)
            return 1
        finally:
            if not os.environ.get("BENCH_KEEP"):
                shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
