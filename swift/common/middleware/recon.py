# Owns the /recon/* endpoints of storage servers. Rules (as Swift's recon filter):
# - only paths starting with /recon/ are answered here; every other request goes
#   straight to the app with no work beyond one string test;
# - answers are JSON (application/json) with Swift's key names; an unknown check is
#   404 "Invalid path: <path>"; a check that cannot be computed is 500;
# - daemon statistics come from the recon cache files (swift.common.recon); host
#   facts (load, mem, sockets, mounts, disks) are read live.
"""Recon middleware: ``egg:swift#recon`` (``filter_factory``)."""

import errno
import json
import os
import resource
import time

import swift
from swift.common import recon as recon_cache
from swift.common.config import config_true_value
from swift.common.hashing import new_md5
from swift.common.logs import get_logger
from swift.common.swob import Request, Response

# cache keys served per check, grouped by the cache file holding them
REPLICATION_KEYS = ['replication_time', 'replication_stats', 'replication_last']
OBJECT_REPLICATION_KEYS = REPLICATION_KEYS + ['object_replication_time',
                                              'object_replication_last']
AUDITOR_KEYS = {
    'account': ['account_audits_passed', 'account_auditor_pass_completed',
                'account_audits_since', 'account_audits_failed'],
    'container': ['container_audits_passed', 'container_auditor_pass_completed',
                  'container_audits_since', 'container_audits_failed'],
    'object': ['object_auditor_stats_ALL', 'object_auditor_stats_ZBF'],
}
UPDATER_KEYS = {'container': ['container_updater_sweep'],
                'object': ['object_updater_sweep']}
ASYNC_KEYS = ['async_pending', 'async_pending_last']
EXPIRER_KEYS = ['object_expiration_pass', 'expired_last_pass']
RECONSTRUCTION_KEYS = ['object_reconstruction_last', 'object_reconstruction_time']
SHARDING_KEYS = ['sharding_stats', 'sharding_time', 'sharding_last']
DRIVEAUDIT_KEYS = ['drive_audit_errors']
RELINKER_KEYS = ['devices', 'workers']
SERVER_TYPES = ('account', 'container', 'object')
QUARANTINE_DIR = 'quarantined'


def md5_hash_for_file(path):
    """Hex md5 of the file at ``path`` (read in 64 KiB blocks).

    :raises OSError: when the file cannot be read.
    """
    digest = new_md5()
    with open(path, 'rb') as fp:
        for block in iter(lambda: fp.read(65536), b''):
            digest.update(block)
    return digest.hexdigest()


class ReconMiddleware:
    """Answers ``GET /recon/<check>[/<type>]`` on a storage server; passes the rest.

    :param app: the next WSGI app.
    :param conf: dict with ``devices`` (/srv/node), ``swift_dir`` (/etc/swift),
        ``recon_cache_path`` (/var/cache/swift), ``mount_check`` (true).
    :param logger: optional logger; ``clock`` optional clock (``time()``).
    :param proc_root: where ``loadavg``, ``meminfo``, ``mounts`` and
        ``net/sockstat[6]`` are read (default ``/proc``; tests point it elsewhere).
    """

    def __init__(self, app, conf, *, logger=None, clock=None, proc_root='/proc'):
        self.app = app
        self.devices = conf.get('devices', '/srv/node')
        self.swift_dir = conf.get('swift_dir', '/etc/swift')
        self.mount_check = config_true_value(conf.get('mount_check', 'true'))
        self.recon_cache_path = conf.get('recon_cache_path',
                                         recon_cache.DEFAULT_RECON_CACHE_PATH)
        self.logger = logger or get_logger(conf, log_route='recon')
        self.clock = clock or time
        self.proc_root = proc_root
        self.checks = self._build_checks()

    def _cache_file(self, server_type):
        return recon_cache.recon_cache_file(self.recon_cache_path, server_type)

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO', '').startswith('/recon/'):
            return self.handle(Request(environ))(environ, start_response)
        return self.app(environ, start_response)

    # ------------------------------------------------------------ routing
    def _build_checks(self):
        """``{(check, type): callable}``; type None means no third path segment."""
        checks = {
            ('mem', None): self.get_mem, ('load', None): self.get_load,
            ('async', None): self.get_async_info,
            ('replication', None): lambda: self.get_replication_info('object'),
            ('devices', None): self.get_device_info,
            ('expirer', 'object'): self.get_expirer_info,
            ('mounted', None): self.get_mounted, ('unmounted', None): self.get_unmounted,
            ('diskusage', None): self.get_diskusage, ('ringmd5', None): self.get_ring_md5,
            ('swiftconfmd5', None): self.get_swift_conf_md5,
            ('quarantined', None): self.get_quarantine_count,
            ('sockstat', None): self.get_socket_info, ('version', None): self.get_version,
            ('driveaudit', None): self.get_driveaudit_error, ('time', None): self.get_time,
            ('sharding', None): self.get_sharding_info,
            ('relinker', None): self.get_relinker_info,
            ('reconstruction', 'object'): self.get_reconstruction_info,
        }
        for server_type in SERVER_TYPES:
            checks[('replication', server_type)] = (
                lambda t=server_type: self.get_replication_info(t))
            checks[('auditor', server_type)] = (
                lambda t=server_type: self.get_auditor_info(t))
        for server_type in UPDATER_KEYS:
            checks[('updater', server_type)] = (
                lambda t=server_type: self.get_updater_info(t))
        return checks

    def handle(self, req):
        """Answer one /recon/ request.

        :returns: a swob Response: 200 JSON, 404 for an unknown check, 500 when the
            check failed (logged).
        """
        try:
            _root, check, rtype = req.split_path(1, 3, True)
        except ValueError:
            check = rtype = None
        handler = self.checks.get((check, rtype))
        if handler is None:
            return Response(request=req, status=404, content_type='text/plain',
                            body='Invalid path: %s' % req.path)
        try:
            content = handler()
        except Exception:  # the request funnel: a broken check must not kill the server
            self.logger.exception('Error computing recon %s', check)
            content = None
        if content is None:
            return Response(request=req, status=500, content_type='text/plain',
                            body='Internal server error.')
        return Response(request=req, body=json.dumps(content),
                        content_type='application/json')

    # ------------------------------------------------------------ cache-backed checks
    def _from_recon_cache(self, cache_keys, cache_file, ignore_missing=False):
        """``{key: value or None}`` for ``cache_keys`` read from ``cache_file``."""
        try:
            with open(cache_file, 'r') as fp:
                data = json.load(fp)
            if isinstance(data, dict):
                return {key: data.get(key) for key in cache_keys}
        except FileNotFoundError:
            # no daemon has written it yet: normal on a fresh node
            if not ignore_missing:
                self.logger.debug('No recon cache file %s', cache_file)
        except OSError:
            self.logger.exception('Error reading recon cache file')
        except ValueError:
            self.logger.exception('Error parsing recon cache file')
        return {key: None for key in cache_keys}

    def get_async_info(self):
        """``{'async_pending': int|None, 'async_pending_last': float|None}``."""
        return self._from_recon_cache(ASYNC_KEYS, self._cache_file('object'))

    def get_driveaudit_error(self):
        """``{'drive_audit_errors': int|None}`` from drive.recon."""
        return self._from_recon_cache(DRIVEAUDIT_KEYS, self._cache_file('drive'))

    def get_sharding_info(self):
        """Container sharder stats from container.recon."""
        return self._from_recon_cache(SHARDING_KEYS, self._cache_file('container'))

    def get_replication_info(self, server_type):
        """Replication stats of ``server_type`` (object adds object_replication_*)."""
        keys = OBJECT_REPLICATION_KEYS if server_type == 'object' else REPLICATION_KEYS
        return self._from_recon_cache(keys, self._cache_file(server_type))

    def get_reconstruction_info(self):
        """Object reconstructor stats from object.recon."""
        return self._from_recon_cache(RECONSTRUCTION_KEYS, self._cache_file('object'))

    def get_updater_info(self, server_type):
        """``{'<type>_updater_sweep': seconds|None}``."""
        return self._from_recon_cache(UPDATER_KEYS[server_type],
                                      self._cache_file(server_type))

    def get_expirer_info(self):
        """``{'object_expiration_pass': seconds, 'expired_last_pass': count}``."""
        return self._from_recon_cache(EXPIRER_KEYS, self._cache_file('object'))

    def get_auditor_info(self, server_type):
        """Auditor stats of ``server_type`` with Swift's key names."""
        return self._from_recon_cache(AUDITOR_KEYS[server_type],
                                      self._cache_file(server_type))

    def get_relinker_info(self):
        """Relinker progress from relinker.recon (missing file is not an error)."""
        return self._from_recon_cache(RELINKER_KEYS, self._cache_file('relinker'),
                                      ignore_missing=True)

    # ------------------------------------------------------------ host facts
    def _proc(self, name):
        return os.path.join(self.proc_root, name)

    def get_version(self):
        """``{'version': swift.__version__}``."""
        return {'version': swift.__version__}

    def get_time(self):
        """Current wall-clock time in seconds (float), for clock-skew checks."""
        return self.clock.time()

    def get_mounted(self):
        """Every mount: ``[{'device': source, 'path': mount point}, ...]``."""
        mounts = []
        with open(self._proc('mounts'), 'r') as fp:
            for line in fp:
                fields = line.split()
                if len(fields) >= 2:
                    mounts.append({'device': fields[0], 'path': fields[1]})
        return mounts

    def get_load(self):
        """``{'1m', '5m', '15m': float, 'tasks': 'running/total', 'processes': int}``.

        From ``/proc/loadavg`` as Swift; where it is missing, os.getloadavg and psutil.
        """
        try:
            with open(self._proc('loadavg'), 'r') as fp:
                one, five, fifteen, tasks, last_pid = fp.read().split()[:5]
            return {'1m': float(one), '5m': float(five), '15m': float(fifteen),
                    'tasks': tasks, 'processes': int(last_pid)}
        except OSError:
            import psutil
            one, five, fifteen = os.getloadavg()
            pids = psutil.pids()
            running = sum(1 for p in psutil.process_iter(['status'])
                          if p.info['status'] == psutil.STATUS_RUNNING)
            return {'1m': one, '5m': five, '15m': fifteen,
                    'tasks': '%d/%d' % (running, len(pids)),
                    'processes': max(pids) if pids else 0}

    def get_mem(self):
        """``/proc/meminfo`` as ``{'MemTotal': '16331428 kB', ...}`` (values as text)."""
        meminfo = {}
        try:
            with open(self._proc('meminfo'), 'r') as fp:
                for line in fp:
                    name, sep, value = line.rstrip().partition(':')
                    if sep:
                        meminfo[name] = value.strip()
            return meminfo
        except OSError:
            import psutil
            memory = psutil.virtual_memory()
            return {'MemTotal': '%d kB' % (memory.total // 1024),
                    'MemFree': '%d kB' % (memory.free // 1024),
                    'MemAvailable': '%d kB' % (memory.available // 1024)}

    def get_socket_info(self):
        """``{'tcp_in_use', 'orphan', 'time_wait', 'tcp_mem_allocated_bytes'[,
        'tcp6_in_use']: int}`` from ``/proc/net/sockstat`` (and ``sockstat6``)."""
        sockstat = {}
        with open(self._proc('net/sockstat'), 'r') as fp:
            for line in fp:
                if line.startswith('TCP: inuse'):
                    fields = line.split()
                    sockstat['tcp_in_use'] = int(fields[2])
                    sockstat['orphan'] = int(fields[4])
                    sockstat['time_wait'] = int(fields[6])
                    sockstat['tcp_mem_allocated_bytes'] = (
                        int(fields[10]) * resource.getpagesize())
        try:
            with open(self._proc('net/sockstat6'), 'r') as fp:
                for line in fp:
                    if line.startswith('TCP6: inuse'):
                        sockstat['tcp6_in_use'] = int(line.split()[2])
        except FileNotFoundError:
            pass
        return sockstat

    # ------------------------------------------------------------ devices
    def _device_entries(self):
        """Names of the directories under ``devices`` (sorted)."""
        return sorted(entry for entry in os.listdir(self.devices)
                      if os.path.isdir(os.path.join(self.devices, entry)))

    def _mount_state(self, device):
        """True if usable; False if not mounted; an error string if stat failed.

        With ``mount_check`` false a device directory counts as mounted (all-in-one
        clusters keep devices as plain directories).
        """
        path = os.path.join(self.devices, device)
        try:
            if not self.mount_check:
                os.stat(path)
                return True
            return os.path.ismount(path)
        except OSError as err:
            return str(err)

    def get_device_info(self):
        """``{devices_path: [entries]}`` (None when the directory cannot be listed)."""
        try:
            return {self.devices: sorted(os.listdir(self.devices))}
        except OSError:
            self.logger.exception('Error listing devices')
            return {self.devices: None}

    def get_unmounted(self):
        """``[{'device': name, 'mounted': False or 'error text'}, ...]``."""
        unmounted = []
        for device in self._device_entries():
            state = self._mount_state(device)
            if state is not True:
                unmounted.append({'device': device, 'mounted': state})
        return unmounted

    def get_diskusage(self):
        """Per device ``{'device', 'mounted', 'size', 'used', 'avail'}`` (bytes, from
        statvfs: size = bsize*blocks, avail = bsize*bavail, used = size - avail);
        unmounted devices carry '' sizes."""
        usage = []
        for device in self._device_entries():
            state = self._mount_state(device)
            if state is not True:
                usage.append({'device': device, 'mounted': state,
                              'size': '', 'used': '', 'avail': ''})
                continue
            disk = os.statvfs(os.path.join(self.devices, device))
            capacity = disk.f_bsize * disk.f_blocks
            available = disk.f_bsize * disk.f_bavail
            usage.append({'device': device, 'mounted': True, 'size': capacity,
                          'used': disk.f_bsize * (disk.f_blocks - disk.f_bavail),
                          'avail': available})
        return usage

    def get_ring_md5(self):
        """``{'<swift_dir>/<name>.ring.gz': md5 hex}`` for every ring file there."""
        sums = {}
        try:
            names = sorted(n for n in os.listdir(self.swift_dir) if n.endswith('.ring.gz'))
        except OSError:
            return sums
        for name in names:
            path = os.path.join(self.swift_dir, name)
            try:
                sums[path] = md5_hash_for_file(path)
            except OSError as err:
                sums[path] = None
                if err.errno != errno.ENOENT:
                    self.logger.exception('Error reading ringfile')
        return sums

    def get_swift_conf_md5(self):
        """``{'<swift_dir>/swift.conf': md5 hex or None}``."""
        path = os.path.join(self.swift_dir, 'swift.conf')
        try:
            return {path: md5_hash_for_file(path)}
        except OSError as err:
            if err.errno != errno.ENOENT:
                self.logger.exception('Error reading swift.conf')
            return {path: None}

    def get_quarantine_count(self):
        """``{'objects': n, 'containers': n, 'accounts': n,
        'policies': {'<index>': {'objects': n}}}`` summed over devices.

        Counts the entries of ``<dev>/quarantined/<type>`` (objects-N is policy N).
        """
        counts = {'objects': 0, 'containers': 0, 'accounts': 0, 'policies': {}}
        for device in os.listdir(self.devices):
            qpath = os.path.join(self.devices, device, QUARANTINE_DIR)
            if not os.path.isdir(qpath):
                continue
            for qtype in os.listdir(qpath):
                count = _subdir_count(os.path.join(qpath, qtype))
                if qtype.startswith('objects'):
                    policy = qtype.split('-', 1)[1] if '-' in qtype else '0'
                    counts['policies'].setdefault(policy, {'objects': 0})
                    counts['policies'][policy]['objects'] += count
                    counts['objects'] += count
                elif qtype in counts:
                    counts[qtype] += count
        return counts


def _subdir_count(path):
    """Number of subdirectories of ``path``: st_nlink - 2 where the filesystem keeps
    it (as Swift), else a scan."""
    try:
        nlink = os.lstat(path).st_nlink
        if nlink >= 2:
            return nlink - 2
        with os.scandir(path) as entries:
            return sum(1 for entry in entries if entry.is_dir(follow_symlinks=False))
    except OSError:
        return 0


def filter_factory(global_conf, **local_conf):
    """PasteDeploy filter factory for ``egg:swift#recon``."""
    conf = dict(global_conf)
    conf.update(local_conf)

    def recon_filter(app):
        return ReconMiddleware(app, conf)
    return recon_filter
