# Owns how swift-recon talks to one storage server: one GET /recon/<check> (or OPTIONS /
# for the server type) over green sockets, bounded by a timeout, answering
# (url, content, status) with status -1 when no answer came. Never raises for a
# remote failure: the report counts it instead.
"""Recon HTTP client: :class:`Scout` and :func:`http_fetch`."""

import json
import time

from swift.common import concurrency
from swift.common.bufferedhttp import http_connect_raw


class ReconFetchError(Exception):
    """A recon request failed.

    :ivar status: HTTP status, or -1 when no answer came (connect error, timeout).
    """

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


def http_fetch(ip, port, method, path, timeout_s):
    """One HTTP request to a storage server over green sockets.

    :returns: ``(status, headers dict lower-cased, body bytes)``.
    :raises ReconFetchError: on connect failure or timeout (status -1).
    """
    try:
        with concurrency.Timeout(timeout_s):
            conn = http_connect_raw(ip, port, method, path)
            resp = conn.getresponse()
            body = resp.read()
            headers = {k.lower(): v for k, v in resp.getheaders()}
            conn.close()
            return resp.status, headers, body
    except concurrency.Timeout:
        raise ReconFetchError('<urlopen error timed out>', -1)
    except (OSError, ValueError) as err:
        raise ReconFetchError('<urlopen error %s>' % err, -1)


class Scout:
    """Asks one host for one recon check.

    :param recon_type: path under /recon/, e.g. ``'replication/object'``.
    :param fetch: ``fetch(ip, port, method, path, timeout_s) -> (status, headers,
        body)`` raising :class:`ReconFetchError` (default :func:`http_fetch`).
    :param out: printer for verbose/error lines.
    :param clock: object with ``time()``.
    """

    def __init__(self, recon_type, verbose=False, suppress_errors=False, timeout=5,
                 *, fetch=None, out=print, clock=time):
        self.recon_type = recon_type
        self.verbose = verbose
        self.suppress_errors = suppress_errors
        self.timeout = timeout
        self.fetch = fetch or http_fetch
        self.out = out
        self.clock = clock

    def _report_error(self, url, message):
        if not self.suppress_errors or self.verbose:
            self.out('-> %s: %s' % (url, message))

    def scout_host(self, host):
        """``(url, content, status)``: JSON content and 200, or error text and the
        HTTP status (-1 when unreachable)."""
        ip, port = host
        url = 'http://%s:%s/recon/%s' % (ip, port, self.recon_type)
        try:
            status, _headers, body = self.fetch(ip, port, 'GET', '/recon/' +
                                                self.recon_type, self.timeout)
            if status // 100 != 2:
                raise ReconFetchError('HTTP Error %d: %s' % (status, body[:60].decode(
                    'utf-8', 'replace')), status)
            content = json.loads(body.decode('utf-8'))
        except ReconFetchError as err:
            self._report_error(url, err)
            return url, str(err), err.status
        except ValueError as err:
            self._report_error(url, 'invalid JSON: %s' % err)
            return url, str(err), -1
        if self.verbose:
            self.out('-> %s: %s' % (url, content))
        return url, content, 200

    def scout(self, host):
        """``(url, content, status, ts_start, ts_end)`` for ``host`` = (ip, port)."""
        ts_start = self.clock.time()
        url, content, status = self.scout_host(host)
        ts_end = self.clock.time()
        return url, content, status, ts_start, ts_end

    def scout_server_type(self, host):
        """``(url, server name from the Server header, status)`` via OPTIONS /."""
        ip, port = host
        url = 'http://%s:%s/' % (ip, port)
        try:
            status, headers, _body = self.fetch(ip, port, 'OPTIONS', '/', self.timeout)
        except ReconFetchError as err:
            self._report_error(url, err)
            return url, str(err), err.status
        if status // 100 != 2:
            self._report_error(url, 'HTTP Error %d' % status)
            return url, 'HTTP Error %d' % status, status
        return url, headers.get('server', '').split('/')[0], 200
