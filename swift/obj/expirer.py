# Owns the object expirer (swift-catalog.md 5 "Expiring objects" and 8). Rules, as Swift's:
# - the queue is the hidden account ".expiring_objects"; its containers are named
#   "%010d" of a time (delete_at rounded down to the day, minus a hash-based spread), its
#   rows "<%010d delete_at>-<account>/<container>/<object>" (content type text/plain, or
#   application/async-deleted for bulk deletes enqueued by swift-container-deleter);
# - a pass lists the task containers whose name (a time) is <= now, and in each the rows
#   whose delete_at is <= now (rows sort by time, so the listing stops at the first
#   future one);
# - work is shared between ``processes`` expirers: process ``process`` takes the rows
#   whose md5("<a>/<c>/<o>") % processes == process;
# - the target is DELETEd through the proxy with X-Timestamp = delete_at,
#   X-If-Delete-At = delete_at and X-Backend-Clean-Expiring-Object-Queue: no, so an
#   object re-created since (other or no X-Delete-At) answers 412 and survives;
#   2xx and 409 (a newer object exists) count as done, and so do 404/412 once the task is
#   older than reclaim_age; otherwise the row stays for a later pass;
# - done rows are removed from the queue; a task container found empty is deleted;
# - stats go to object.recon: object_expiration_pass (seconds), expired_last_pass.
"""Object expirer: :class:`ObjectExpirer` daemon and ``swift-object-expirer``."""

import hashlib
import os
import sys
from dataclasses import dataclass
from typing import NamedTuple

from swift.common.config import ConfigError, config_number, section_names
from swift.common.daemon import Daemon
from swift.common.http_status import (HTTP_CONFLICT, HTTP_NOT_FOUND,
                                      HTTP_PRECONDITION_FAILED)
from swift.common.internal_client import InternalClient, UnexpectedResponse
from swift.common.rate_limit import RateLimiter
from swift.common.recon import (DEFAULT_RECON_CACHE_PATH, RECON_OBJECT_FILE,
                                dump_recon_cache)
from swift.common.timestamp import InvalidTimestamp, Timestamp

ASYNC_DELETE_TYPE = 'application/async-deleted'
USER_AGENT = 'Swift Object Expirer'


@dataclass(frozen=True)
class ObjectExpirerConfig:
    """``[object-expirer]`` options (Swift's names and defaults).

    :ivar interval_s: seconds between the starts of two passes.
    :ivar tasks_per_second: queue rows handled per second (0 = unlimited).
    :ivar concurrency: target DELETEs in flight at once.
    :ivar processes: expirers sharing the queue (0 = this one does everything).
    :ivar process: this expirer's index, 0 <= process < processes.
    :ivar request_tries: attempts per request through the internal client.
    :ivar reclaim_age_s: after this, a task whose target is gone (404/412) is dropped.
    :ivar internal_client_conf_path: proxy pipeline conf used in-process.
    :ivar recon_cache_path: directory of ``object.recon``.
    :ivar swift_dir: cluster config dir (for the built-in internal-client pipeline).
    :ivar task_account: the queue account, ``.expiring_objects``.
    :ivar report_interval_s: seconds between progress lines in a pass.
    """
    interval_s: float = 300.0
    tasks_per_second: float = 50.0
    concurrency: int = 1
    processes: int = 0
    process: int = 0
    request_tries: int = 3
    reclaim_age_s: float = 604800.0
    internal_client_conf_path: str = '/etc/swift/internal-client.conf'
    recon_cache_path: str = DEFAULT_RECON_CACHE_PATH
    swift_dir: str = '/etc/swift'
    task_account: str = '.expiring_objects'
    report_interval_s: float = 300.0

    @classmethod
    def from_conf(cls, conf):
        """Build from ``[object-expirer]`` merged over ``[DEFAULT]``.

        :raises ConfigError: naming the bad option (also process >= processes).
        """
        def number(name, kind, default, minimum=0):
            return config_number(conf.get(name, default), kind, name, minimum)
        config = cls(
            interval_s=number('interval', float, 300),
            tasks_per_second=number('tasks_per_second', float, 50),
            concurrency=number('concurrency', int, 1, minimum=1),
            processes=number('processes', int, 0),
            process=number('process', int, 0),
            request_tries=number('request_tries', int, 3, minimum=1),
            reclaim_age_s=number('reclaim_age', float, 604800),
            internal_client_conf_path=_internal_client_conf_path(conf),
            recon_cache_path=conf.get('recon_cache_path', DEFAULT_RECON_CACHE_PATH),
            swift_dir=conf.get('swift_dir', '/etc/swift'),
            task_account=conf.get('auto_create_account_prefix', '.') +
            conf.get('expiring_objects_account_name', 'expiring_objects'),
            report_interval_s=number('report_interval', float, 300))
        check_process_values(config.processes, config.process)
        return config


def _internal_client_conf_path(conf):
    """``internal_client_conf_path``; when unset, a legacy object-expirer.conf that
    carries its own ``[pipeline:main]`` is its own internal-client conf (Swift's rule),
    else ``/etc/swift/internal-client.conf``."""
    if conf.get('internal_client_conf_path'):
        return conf['internal_client_conf_path']
    own = conf.get('__file__')
    if own and 'pipeline:main' in section_names(own):
        return own
    return '/etc/swift/internal-client.conf'


def check_process_values(processes, process):
    """:raises ConfigError: unless 0 <= process < processes (or processes == 0)."""
    if processes < 0 or process < 0:
        raise ConfigError('processes and process must be >= 0', option='process')
    if processes and process >= processes:
        raise ConfigError('process must be less than processes', option='process')


class ExpirerTask(NamedTuple):
    """One queue row due for deletion."""
    task_container: str
    task_object: str
    delete_timestamp: Timestamp
    target_account: str
    target_container: str
    target_object: str
    is_async_delete: bool

    @property
    def target_path(self):
        """``<a>/<c>/<o>`` (no leading slash)."""
        return '%s/%s/%s' % (self.target_account, self.target_container,
                             self.target_object)


@dataclass(frozen=True)
class ExpirerPassStats:
    """What a pass did.

    :ivar expired: targets deleted (rows popped).
    :ivar errors: rows that failed and stay queued.
    :ivar elapsed_s: seconds the pass took.
    """
    expired: int
    errors: int
    elapsed_s: float


def parse_task_obj(task_obj):
    """Split a queue row name ``<delete_at>-<a>/<c>/<o>``.

    :returns: (Timestamp delete_at, account, container, object).
    :raises ValueError: malformed name.
    """
    timestamp, sep, target = task_obj.partition('-')
    if not sep:
        raise ValueError('no "-" in task object %r' % task_obj)
    try:
        delete_at = Timestamp(timestamp)
    except (InvalidTimestamp, ValueError):
        raise ValueError('bad timestamp in task object %r' % task_obj)
    parts = target.split('/', 2)
    if len(parts) != 3 or not all(parts):
        raise ValueError('bad target path in task object %r' % task_obj)
    return delete_at, parts[0], parts[1], parts[2]


def hash_mod(name, divisor):
    """``int(md5(name)) % divisor`` (Swift's work split)."""
    return int(hashlib.md5(name.encode('utf-8'), usedforsecurity=False).hexdigest(),
               16) % divisor


class ObjectExpirer(Daemon):
    """``swift-object-expirer``: deletes objects whose X-Delete-At has passed.

    :param conf: ``[object-expirer]`` merged over ``[DEFAULT]`` (strings).
    :param logger: logger (default from conf).
    :param clock: injected clock (now, pacing, sleeps).
    :param swift: :class:`InternalClient` (default: in-process proxy from
        ``internal_client_conf_path``).
    :param pool_factory: callable(size) -> GreenPool-like (``spawn_n``, ``waitall``)
        used when concurrency > 1.
    :raises ConfigError: bad option.
    """

    default_interval_s = 300.0

    def __init__(self, conf, *, logger=None, clock=None, swift=None, pool_factory=None):
        super().__init__(conf, logger=logger, clock=clock)
        self.config = ObjectExpirerConfig.from_conf(conf)
        self.interval_s = self.config.interval_s
        if swift is None:
            from swift.common.wsgi import AppLoadError
            try:
                swift = InternalClient.from_conf_path(
                    self.config.internal_client_conf_path, USER_AGENT,
                    self.config.request_tries, swift_dir=self.config.swift_dir,
                    memcache_servers=conf.get('memcache_servers'))
            except AppLoadError as err:
                raise ConfigError(str(err), option='internal_client_conf_path')
        self.swift = swift
        if pool_factory is None:
            from swift.common.concurrency import GreenPool as pool_factory
        self.pool_factory = pool_factory
        self.rcache = os.path.join(self.config.recon_cache_path, RECON_OBJECT_FILE)
        self.report_objects = self.report_errors = 0
        self.last_stats = None

    def statistics(self):
        """:returns: the last :class:`ExpirerPassStats` (or None)."""
        return self.last_stats

    def _now(self):
        return Timestamp(self.clock.time())

    # -- listing the queue ----------------------------------------------------------

    def iter_task_containers_to_expire(self):
        """Names of the task containers whose time has come, in order."""
        now = self._now()
        for container in self.swift.iter_containers(self.config.task_account):
            name = container['name']
            try:
                when = Timestamp(name)
            except (InvalidTimestamp, ValueError):
                self.logger.warning('Skipping task container %r: not a timestamp', name)
                continue
            if when > now:
                break
            yield name

    def iter_task_to_expire(self, task_containers, processes, process):
        """Due rows of ``task_containers`` that belong to this process; task containers
        found empty are deleted on the way.

        :returns: iterator of :class:`ExpirerTask`.
        """
        for task_container in task_containers:
            empty = True
            for row in self.swift.iter_objects(self.config.task_account, task_container):
                empty = False
                task = self._make_task(task_container, row)
                if task is None:
                    continue
                if task.delete_timestamp > self._now():
                    break
                if processes and hash_mod(task.target_path, processes) != process:
                    continue
                yield task
            if empty:
                self._delete_task_container(task_container)

    def _make_task(self, task_container, row):
        try:
            delete_at, account, container, obj = parse_task_obj(row['name'])
        except ValueError as err:
            self.logger.error('Unexpected error handling task %r: %s', row['name'], err)
            return None
        content_type = row.get('content_type', '').split(';')[0].strip()
        return ExpirerTask(task_container, row['name'], delete_at, account, container,
                           obj, content_type == ASYNC_DELETE_TYPE)

    def _delete_task_container(self, task_container):
        try:
            self.swift.delete_container(
                self.config.task_account, task_container,
                acceptable_statuses=(2, HTTP_NOT_FOUND, HTTP_CONFLICT))
        except UnexpectedResponse as err:
            self.logger.error('Unable to delete empty task container %s: %s',
                              task_container, err)

    # -- deleting -------------------------------------------------------------------

    def delete_actual_object(self, task):
        """DELETE the target through the proxy.

        :raises UnexpectedResponse: status not acceptable (404/412 included for
            normal expiry: the caller decides).
        """
        timestamp = task.delete_timestamp.normal
        if task.is_async_delete:
            headers = {'X-Timestamp': timestamp}
            acceptable = (2, HTTP_CONFLICT, HTTP_NOT_FOUND)
        else:
            headers = {'X-Timestamp': timestamp, 'X-If-Delete-At': timestamp,
                       'X-Backend-Clean-Expiring-Object-Queue': 'no'}
            acceptable = (2, HTTP_CONFLICT)
        self.swift.delete_object(task.target_account, task.target_container,
                                 task.target_object, headers=headers,
                                 acceptable_statuses=acceptable)

    def pop_queue(self, task):
        """Remove the task row from the queue. :raises UnexpectedResponse:"""
        self.swift.delete_object(self.config.task_account, task.task_container,
                                 task.task_object,
                                 acceptable_statuses=(2, HTTP_CONFLICT, HTTP_NOT_FOUND))

    def delete_object(self, task):
        """Expire one task: delete the target, then pop the row. Errors are logged and
        leave the row queued for the next pass; never raises."""
        try:
            try:
                self.delete_actual_object(task)
            except UnexpectedResponse as err:
                status = err.resp.status_int if err.resp is not None else None
                if status not in (HTTP_NOT_FOUND, HTTP_PRECONDITION_FAILED):
                    raise
                if float(task.delete_timestamp) > \
                        self.clock.time() - self.config.reclaim_age_s:
                    raise  # maybe a stale replica answered: try again later
            self.pop_queue(task)
            self.report_objects += 1
        except UnexpectedResponse as err:
            self.report_errors += 1
            status = err.resp.status_int if err.resp is not None else err
            self.logger.error('Unexpected response while deleting object %s %s %s: %s',
                              self.config.task_account, task.task_container,
                              task.task_object, status)
        except Exception:  # one bad task must not end the pass (STYLE.md 9)
            self.report_errors += 1
            self.logger.exception('Exception while deleting object %s %s %s',
                                  self.config.task_account, task.task_container,
                                  task.task_object)

    # -- passes ---------------------------------------------------------------------

    def get_process_values(self, kwargs):
        """``(processes, process)`` from kwargs (command line) or the config.

        :raises ConfigError: invalid combination.
        """
        processes = kwargs.get('processes')
        process = kwargs.get('process')
        processes = self.config.processes if processes is None else int(processes)
        process = self.config.process if process is None else int(process)
        check_process_values(processes, process)
        return processes, process

    def run_once(self, **kwargs):
        """One bounded pass over the due part of the queue.

        :param kwargs: ``processes`` / ``process`` override the config.
        :returns: :class:`ExpirerPassStats`.
        :raises ConfigError: bad processes/process.
        """
        processes, process = self.get_process_values(kwargs)
        begin = self.clock.monotonic()
        self.report_objects = self.report_errors = 0
        last_report = begin
        limiter = RateLimiter(self.config.tasks_per_second, self.clock)
        containers, objects = self.swift.get_account_info(self.config.task_account)
        self.logger.info('Pass beginning for task account %s; %d possible containers; '
                         '%d possible objects', self.config.task_account, containers,
                         objects)
        pool = self.pool_factory(self.config.concurrency) \
            if self.config.concurrency > 1 else None
        task_containers = list(self.iter_task_containers_to_expire())
        for task in self.iter_task_to_expire(task_containers, processes, process):
            limiter.wait()
            if pool is None:
                self.delete_object(task)
            else:
                pool.spawn_n(self.delete_object, task)
            if self.clock.monotonic() - last_report >= self.config.report_interval_s:
                self.logger.info('Pass so far %ds; %d objects expired',
                                 self.clock.monotonic() - begin, self.report_objects)
                last_report = self.clock.monotonic()
        if pool is not None:
            pool.waitall()
        elapsed = self.clock.monotonic() - begin
        self.logger.info('Pass completed in %ds; %d objects expired', elapsed,
                         self.report_objects)
        dump_recon_cache({'object_expiration_pass': elapsed,
                          'expired_last_pass': self.report_objects}, self.rcache,
                         self.logger, sleep=self.clock.sleep,
                         monotonic=self.clock.monotonic)
        self.last_stats = ExpirerPassStats(self.report_objects, self.report_errors,
                                           elapsed)
        return self.last_stats


def _pop_process_options(argv):
    """Take ``--processes N`` and ``--process N`` (or ``=N``) out of ``argv``.

    :returns: (remaining argv, {'processes': int, 'process': int} subset).
    :raises ConfigError: a missing or non-integer value.
    """
    rest, found, index = [], {}, 0
    while index < len(argv):
        arg = argv[index]
        name, _, value = arg.partition('=')
        if name in ('--processes', '--process'):
            if not value:
                if index + 1 >= len(argv):
                    raise ConfigError('%s needs a number' % name, option=name[2:])
                index += 1
                value = argv[index]
            found[name[2:]] = config_number(value, int, name[2:], minimum=0)
        else:
            rest.append(arg)
        index += 1
    return rest, found


def main(argv=None):
    """``swift-object-expirer CONFIG [-v] [-o|once] [--processes N] [--process N]``.

    Reads ``[object-expirer]`` of CONFIG (object-server.conf or object-expirer.conf).

    :returns: exit status (0 done, 1 config error, 2 usage error).
    """
    from swift.common import concurrency
    from swift.common.daemon import parse_daemon_args, run_daemon
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        argv, process_kwargs = _pop_process_options(argv)
        if process_kwargs:
            check_process_values(process_kwargs.get('processes', 0),
                                 process_kwargs.get('process', 0))
    except ConfigError as err:
        print('Error: %s' % err, file=sys.stderr)
        return 2
    conf_path, once, verbose, kwargs = parse_daemon_args(argv, prog='swift-object-expirer')
    kwargs.update(process_kwargs)
    concurrency.monkey_patch()
    try:
        run_daemon(ObjectExpirer, conf_path, 'object-expirer', once, verbose=verbose,
                   **kwargs)
    except ConfigError as err:
        print('Error: %s' % err, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0
