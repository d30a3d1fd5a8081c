# Owns the replay of async pendings (Swift's object-updater, catalog 8):
#   * walk <devices>/<dev>/async_pending[-N]/<suffix>/ newest first per object; a newer
#     update of the same object makes older ones obsolete: they are unlinked unsent;
#   * send the update to every primary container node (container ring) not yet in its
#     ``successes`` list; all answered 2xx -> unlink the file; some did -> rewrite it
#     with the new successes; none -> leave it for the next pass (each pass tries each
#     node once: retries are bounded by the pass, never a loop);
#   * a 301 from a sharded container records ``container_path`` for the next try;
#   * an unreadable file is moved to <dev>/quarantined/objects/;
#   * pace: objects_per_second (Swift's; ``slowdown`` s per object when only it is set),
#     through the injected clock; ``concurrency`` updates in flight per device.
"""swift-object-updater: :class:`ObjectUpdater` and ``main``."""

import os
from dataclasses import dataclass, field, replace
from urllib.parse import unquote

from swift.common import concurrency, fs
from swift.common.config import config_bool, config_number, list_from_csv
from swift.common.daemon import Daemon, daemon_main
from swift.common.header_key_dict import HeaderKeyDict
from swift.common.storage_policy import split_policy_string
from swift.obj.async_pending import (ASYNC_DIR, BadAsyncPending, iter_async_pendings,
                                     read_async_pending, write_async_pending)
from swift.obj.updates import UpdateSender, user_agent


@dataclass(frozen=True)
class ObjectUpdaterConfig:
    """``[object-updater]`` options (Swift's names and defaults).

    :ivar devices: root of the device dirs.
    :ivar mount_check: skip devices that are not mount points.
    :ivar swift_dir: where the container ring lives.
    :ivar interval_s: seconds between pass starts.
    :ivar concurrency: updates in flight at once per device.
    :ivar objects_per_second: pace of updates per device (0 = unlimited).
    :ivar max_objects_per_container_per_second: updates to one container beyond this
        rate are skipped until a later pass (0 = unlimited).
    :ivar conn_timeout_s: connect timeout to container servers.
    :ivar node_timeout_s: response timeout from container servers.
    :ivar recon_cache_path: where ``object.recon`` is written.
    """
    devices: str = '/srv/node'
    mount_check: bool = True
    swift_dir: str = '/etc/swift'
    interval_s: float = 300.0
    concurrency: int = 8
    objects_per_second: float = 50.0
    max_objects_per_container_per_second: float = 0.0
    conn_timeout_s: float = 0.5
    node_timeout_s: float = 10.0
    recon_cache_path: str = '/var/cache/swift'

    @classmethod
    def from_conf(cls, conf):
        """:raises swift.common.config.ConfigError: naming the bad option."""
        if 'objects_per_second' in conf or 'slowdown' not in conf:
            rate = config_number(conf.get('objects_per_second', 50), float,
                                 'objects_per_second', 0)
        else:
            slowdown = config_number(conf['slowdown'], float, 'slowdown', 0)
            rate = 1.0 / slowdown if slowdown else 0.0
        return cls(
            devices=conf.get('devices', '/srv/node'),
            mount_check=config_bool(conf.get('mount_check', 'true'), 'mount_check'),
            swift_dir=conf.get('swift_dir', '/etc/swift'),
            interval_s=config_number(conf.get('interval', 300), float, 'interval', 0),
            concurrency=config_number(conf.get('concurrency', 8), int, 'concurrency', 1),
            objects_per_second=rate,
            max_objects_per_container_per_second=config_number(
                conf.get('max_objects_per_container_per_second', 0), float,
                'max_objects_per_container_per_second', 0),
            conn_timeout_s=config_number(conf.get('conn_timeout', 0.5), float,
                                         'conn_timeout', 0),
            node_timeout_s=config_number(conf.get('node_timeout', 10), float,
                                         'node_timeout', 0),
            recon_cache_path=conf.get('recon_cache_path', '/var/cache/swift'))


@dataclass(frozen=True)
class UpdaterStats:
    """Counts of one pass (or the daemon's life).

    :ivar successes: updates fully delivered (file unlinked).
    :ivar failures: updates left for a later pass.
    :ivar unlinks: files removed (delivered or obsolete).
    :ivar quarantines: unreadable files moved away.
    :ivar redirects: updates redirected to a shard container.
    :ivar errors: files with unexpected names or I/O errors.
    :ivar skips: updates left for later by max_objects_per_container_per_second.
    """
    successes: int = 0
    skips: int = 0
    failures: int = 0
    unlinks: int = 0
    quarantines: int = 0
    redirects: int = 0
    errors: int = 0
    elapsed_s: float = 0.0

    def plus(self, **counts):
        """A copy with ``counts`` added."""
        return replace(self, **{k: getattr(self, k) + v for k, v in counts.items()})


@dataclass
class _Pacer:
    """Sleeps through ``clock`` so that at most ``rate`` items start per second."""
    clock: object
    rate: float
    next_at: float = field(default=0.0)

    def wait(self):
        if self.rate <= 0:
            return
        now = self.clock.monotonic()
        if self.next_at > now:
            self.clock.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = max(self.next_at, now) + 1.0 / self.rate


class ObjectUpdater(Daemon):
    """Replays async pendings to container servers.

    :param conf: the ``[object-updater]`` section merged over ``[DEFAULT]``.
    :param container_ring: ring for the container servers (default: loaded from
        ``swift_dir``).
    :param http_connect: backend connection factory (default bufferedhttp's).
    :param is_mount: mount_check predicate.
    """

    default_interval_s = 300.0

    def __init__(self, conf, *, logger=None, clock=None, container_ring=None,
                 http_connect=None, is_mount=fs.is_mount):
        super().__init__(conf, logger=logger, clock=clock)
        self.config = ObjectUpdaterConfig.from_conf(conf)
        self._container_ring = container_ring
        if http_connect is None:
            from swift.common.bufferedhttp import http_connect
        self.sender = UpdateSender(http_connect=http_connect,
                                   conn_timeout_s=self.config.conn_timeout_s,
                                   node_timeout_s=self.config.node_timeout_s)
        self.is_mount = is_mount
        self.totals = UpdaterStats()
        self.last_pass = UpdaterStats()
        self._per_container = {}

    @property
    def container_ring(self):
        """The container ring (loaded on first use)."""
        if self._container_ring is None:
            from swift.common.ring import Ring
            self._container_ring = Ring(self.config.swift_dir, ring_name='container')
        return self._container_ring

    def statistics(self):
        """:returns: {'last_pass': UpdaterStats, 'totals': UpdaterStats}."""
        return {'last_pass': self.last_pass, 'totals': self.totals}

    # ------------------------------------------------------------------ passes

    def run_once(self, devices=None, policies=None, **kwargs):
        """One pass over every device (or the csv ``devices`` given)."""
        self.run_pass(devices=devices, policies=policies)

    def run_pass(self, devices=None, policies=None):
        """Sweep every async pending once.

        :param devices: csv of device names to limit the pass to.
        :param policies: csv of policy indexes to limit the pass to.
        :returns: :class:`UpdaterStats` of this pass.
        """
        begin = self.clock.monotonic()
        stats = UpdaterStats()
        wanted_devices = set(list_from_csv(devices))
        wanted_policies = set(int(p) for p in list_from_csv(policies))
        for device in self._devices(wanted_devices):
            stats = self._sweep_device(device, wanted_policies, stats)
        stats = replace(stats, elapsed_s=self.clock.monotonic() - begin)
        self.last_pass = stats
        self.totals = self.totals.plus(**{k: getattr(stats, k) for k in (
            'successes', 'failures', 'unlinks', 'quarantines', 'redirects', 'errors',
            'skips')})
        self.logger.info('Object update sweep completed: %.02fs, %s successes, %s '
                         'failures, %s unlinks, %s quarantines', stats.elapsed_s,
                         stats.successes, stats.failures, stats.unlinks,
                         stats.quarantines)
        self._dump_recon(stats)
        return stats

    def _devices(self, wanted):
        try:
            names = sorted(os.listdir(self.config.devices))
        except OSError as err:
            self.logger.error('Unable to list devices in %s: %s', self.config.devices,
                              err)
            return
        for name in names:
            if wanted and name not in wanted:
                continue
            path = os.path.join(self.config.devices, name)
            if self.config.mount_check and not self.is_mount(path):
                self.logger.warning('Skipping %s as it is not mounted', name)
                continue
            if os.path.isdir(path):
                yield name

    def _sweep_device(self, device, wanted_policies, stats):
        device_path = os.path.join(self.config.devices, device)
        pacer = _Pacer(self.clock, self.config.objects_per_second)
        pool = concurrency.GreenPool(self.config.concurrency)
        results = []
        for async_dir in sorted(os.listdir(device_path)):
            if not async_dir.startswith(ASYNC_DIR):
                continue
            base, policy_index = split_policy_string(async_dir)
            if base != ASYNC_DIR or (wanted_policies and policy_index not in
                                     wanted_policies):
                continue
            last_hash = None
            for pending in iter_async_pendings(os.path.join(device_path, async_dir),
                                               policy_index, self.logger):
                if pending.object_hash == last_hash:
                    # a newer update of this object supersedes this one
                    if self._unlink(pending.path):
                        stats = stats.plus(unlinks=1)
                    continue
                last_hash = pending.object_hash
                pacer.wait()
                results.append(pool.spawn(self.process_update, device_path, pending))
        pool.waitall()
        for thread in results:
            stats = stats.plus(**thread.wait())
        return stats

    @staticmethod
    def _unlink(path):
        try:
            os.unlink(path)
            return True
        except FileNotFoundError:
            return False

    # ------------------------------------------------------------------ one update

    def process_update(self, device_path, pending):
        """Deliver one async pending.

        :returns: dict of stat increments.
        """
        try:
            update = read_async_pending(pending.path)
        except FileNotFoundError:
            return {}
        except (BadAsyncPending, OSError) as err:
            return self._quarantine(device_path, pending.path, err)
        account, container = self._target(update)
        if not self._container_budget(account, container):
            return {'skips': 1}
        part, nodes = self.container_ring.get_nodes(account, container)
        headers = HeaderKeyDict(update['headers'])
        headers['User-Agent'] = user_agent('object-updater')
        headers.setdefault('X-Backend-Storage-Policy-Index', str(pending.policy_index))
        headers.setdefault('X-Backend-Accept-Redirect', 'true')
        headers.setdefault('X-Backend-Accept-Quoted-Location', 'true')
        path = '/%s/%s/%s' % (account, container, update['obj'])
        successes = list(update.get('successes', []))
        redirect = None
        all_ok = True
        for node in nodes:
            if node['id'] in successes:
                continue
            result = self.sender.send(update['op'], path, '%s:%s' % (
                node['ip'], node['port']), part, node['device'], headers)
            if result.ok:
                successes.append(node['id'])
                continue
            all_ok = False
            if result.status == 301 and result.location:
                redirect = result.location
            self.logger.debug('Update to %s:%s/%s for %s failed: %s', node['ip'],
                              node['port'], node['device'], path,
                              result.status or result.error)
        if all_ok:
            self._unlink(pending.path)
            try:
                os.rmdir(os.path.dirname(pending.path))
            except OSError:
                pass  # other pendings remain in this suffix dir
            return {'successes': 1, 'unlinks': 1}
        return self._keep_for_later(device_path, pending, update, successes, redirect)

    def _container_budget(self, account, container):
        """True if one more update to this container fits in the current second."""
        limit = self.config.max_objects_per_container_per_second
        if limit <= 0:
            return True
        second = int(self.clock.monotonic())
        key = (account, container)
        window, count = self._per_container.get(key, (second, 0))
        if window != second:
            window, count = second, 0
        if count >= limit:
            return False
        self._per_container[key] = (window, count + 1)
        return True

    @staticmethod
    def _target(update):
        container_path = update.get('container_path')
        if container_path:
            account, _, container = container_path.strip('/').partition('/')
            if account and container:
                return account, container
        return update['account'], update['container']

    def _keep_for_later(self, device_path, pending, update, successes, redirect):
        counts = {'failures': 1}
        changed = False
        if redirect:
            target = unquote(redirect).lstrip('/').split('/')
            if len(target) >= 2:
                update['container_path'] = '%s/%s' % (target[0], target[1])
                update.pop('successes', None)
                successes = []
                counts['redirects'] = 1
                changed = True
        if successes != list(update.get('successes', [])):
            update['successes'] = successes
            changed = True
        if changed:
            try:
                write_async_pending(device_path, pending.policy_index,
                                    pending.object_hash, pending.timestamp, update)
            except OSError as err:
                self.logger.error('Unable to rewrite %s: %s', pending.path, err)
                counts['errors'] = 1
        return counts

    def _quarantine(self, device_path, path, err):
        self.logger.error('ERROR Pickle problem, quarantining %s: %s', path, err)
        target = os.path.join(device_path, 'quarantined', 'objects',
                              os.path.basename(path))
        try:
            fs.renamer(path, target, fsync_parent=False)
        except OSError as rename_err:
            self.logger.error('Unable to quarantine %s: %s', path, rename_err)
            return {'errors': 1}
        return {'quarantines': 1}

    def _dump_recon(self, stats):
        try:
            from swift.common.recon import dump_recon_cache, recon_cache_file
        except ImportError:
            return
        cache_file = recon_cache_file(self.config.recon_cache_path, 'object')
        dump_recon_cache({'object_updater_sweep': stats.elapsed_s,
                          'object_updater_stats': {
                              'successes': stats.successes, 'failures': stats.failures,
                              'unlinks': stats.unlinks,
                              'quarantines': stats.quarantines}},
                         cache_file, self.logger)


def main(argv=None):
    """``swift-object-updater CONFIG [once] [-v] [-d DEVICES] [-i POLICIES]``."""
    return daemon_main(ObjectUpdater, 'object-updater', argv)
