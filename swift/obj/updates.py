# Owns how an object server tells container servers about object changes (catalog 5):
#   * ``PUT|DELETE /<cdev>/<cpart>/<a>/<c>/<o>`` with X-Size, X-Content-Type, X-Etag,
#     X-Timestamp (+ X-Content-Type-Timestamp, X-Meta-Timestamp for POST), X-Trans-Id,
#     Referer, X-Backend-Storage-Policy-Index, User-Agent: ``object-server <pid>``;
#   * each attempt is bounded by conn_timeout and node_timeout; any failure saves the
#     update as an async pending for the object-updater (same dict Swift writes);
#   * expiring objects get a task row in ``.expiring_objects``: container
#     ``delete_at // divisor * divisor - int(hash, 16) % 100`` and object
#     ``<%010d delete_at>-<a>/<c>/<o>``.
"""Container updates and expirer-queue updates sent by the object server."""

import os
import time
from dataclasses import dataclass
from typing import Optional

from swift.common import concurrency
from swift.common.connection_pool import ConnectionPool
from swift.common.hashing import hash_path
from swift.common.swob import str_to_wsgi
from swift.common.timestamp import normalize_delete_at_timestamp

EMPTY_ETAG = 'd41d8cd98f00b204e9800998ecf8427e'


@dataclass(frozen=True)
class UpdateResult:
    """Outcome of one attempt to update a container server.

    :ivar status: HTTP status, or None when no answer came (error/timeout).
    :ivar error: text of the error, when no answer came.
    :ivar location: ``Location`` of a 301 (sharded container), else None.
    """
    status: Optional[int]
    error: Optional[str] = None
    location: Optional[str] = None

    @property
    def ok(self):
        """True for a 2xx answer."""
        return self.status is not None and 200 <= self.status < 300


def user_agent(role='object-server'):
    """``object-server <pid>`` as Swift sends it (the updater sends its own role)."""
    return '%s %s' % (role, os.getpid())


class UpdateSender:
    """Sends one container update over the backend protocol.

    :param http_connect: ``swift.common.bufferedhttp.http_connect``-like callable.
    :param conn_timeout_s: seconds to connect and send headers.
    :param node_timeout_s: seconds to get the response.
    :param keep_alive: keep answered connections open (per container server, at most
        ``KEEP_ALIVE_IDLE_MAX``, each for ``KEEP_ALIVE_IDLE_S``) and send later
        updates over them (a :class:`~swift.common.connection_pool.ConnectionPool`,
        which replaces a kept connection the server has closed meanwhile); the given
        ``http_connect`` is then not used.
    """

    KEEP_ALIVE_IDLE_MAX = 16
    KEEP_ALIVE_IDLE_S = 10.0

    def __init__(self, *, http_connect, conn_timeout_s=0.5, node_timeout_s=3.0,
                 keep_alive=False, monotonic=time.monotonic):
        self.conn_timeout_s = conn_timeout_s
        self.node_timeout_s = node_timeout_s
        self.pool = None
        if keep_alive:
            self.pool = ConnectionPool(idle_max_per_host=self.KEEP_ALIVE_IDLE_MAX,
                                       idle_timeout_s=self.KEEP_ALIVE_IDLE_S,
                                       monotonic=monotonic)
            http_connect = self.pool.http_connect
        self.http_connect = http_connect

    def send(self, op, path, host, partition, device, headers):
        """Send ``op`` for ``path`` to ``host`` (``ip:port``).

        :param path: ``/<a>/<c>/<o>`` as native text (quoted on the wire as UTF-8).
        :param headers: mapping of headers to send.
        :returns: :class:`UpdateResult` (never raises for network trouble).
        """
        ip, _, port = host.rpartition(':')
        ip = ip.strip('[]')
        conn = None
        try:
            with concurrency.Timeout(self.conn_timeout_s):
                conn = self.http_connect(ip, port, device, partition, op,
                                         str_to_wsgi(path), headers)
            with concurrency.Timeout(self.node_timeout_s):
                response = conn.getresponse()
                response.read()     # read to the end: a kept connection goes back
                location = response.getheader('Location')
        except (Exception, concurrency.Timeout) as err:  # any failure -> async pending
            if conn is not None and self.pool is not None:
                conn.close()   # not kept: whatever state it is in
            return UpdateResult(None, error='%s: %s' % (type(err).__name__, err))
        return UpdateResult(response.status, location=location)

    def close(self):
        """Close every kept connection."""
        if self.pool is not None:
            self.pool.close()


def expirer_container(delete_at, divisor, account, container, obj, hash_config):
    """Task container of an expiring object: ``%010d`` of
    ``delete_at // divisor * divisor - int(hash_path(a, c, o), 16) % 100``."""
    shard = int(hash_path(account, container, obj, config=hash_config), 16) % 100
    return normalize_delete_at_timestamp(int(delete_at) // divisor * divisor - shard)


def expirer_task_name(delete_at, account, container, obj):
    """Task object name ``<%010d delete_at>-<a>/<c>/<o>``."""
    return '%s-%s/%s/%s' % (normalize_delete_at_timestamp(delete_at), account,
                            container, obj)


def parse_update_targets(headers, prefix):
    """Zip ``<prefix>-Host`` / ``<prefix>-Device`` csv lists with ``<prefix>-Partition``.

    :param prefix: ``X-Container`` or ``X-Delete-At``.
    :returns: (partition or '', [(host, device), ...]) or None when the host and
        device lists differ in length (a proxy bug; Swift logs and skips).
    """
    hosts = [h.strip() for h in headers.get(prefix + '-Host', '').split(',')]
    devices = [d.strip() for d in headers.get(prefix + '-Device', '').split(',')]
    partition = headers.get(prefix + '-Partition', '')
    if len(hosts) != len(devices):
        return None
    if not partition:
        return '', []
    return partition, [(h, d) for h, d in zip(hosts, devices) if h and d]
