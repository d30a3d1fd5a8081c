# Owns requests made straight to one storage node, bypassing the proxy (Swift's
# direct_client): daemons (reaper), operator tools (dispersion report, account audit)
# and probe tests use it. Rules:
# - the request goes to node['ip']:node['port'] as /<device>/<partition>/<a>[/<c>[/<o>]]
#   through swift.common.bufferedhttp, bounded by conn_timeout then response_timeout;
# - writes get an X-Timestamp (now) unless the caller gave one; every request carries
#   User-Agent "direct-client <pid>";
# - any non-2xx answer raises DirectClientException carrying the node and status;
#   listings come back decoded from JSON (204 -> empty list).
"""Direct requests to storage nodes: ``direct_get_account``, ``direct_delete_object``..."""

import json
import os
import time
from urllib.parse import urlencode

from swift.common.bufferedhttp import http_connect
from swift.common.concurrency import Timeout
from swift.common.exceptions import ConnectionTimeout
from swift.common.header_key_dict import HeaderKeyDict
from swift.common.http_status import HTTP_NO_CONTENT, is_success
from swift.common.timestamp import Timestamp

CONN_TIMEOUT_S = 5.0
RESPONSE_TIMEOUT_S = 15.0


class DirectClientError(Exception):
    """Base of direct-client errors.

    :ivar node: the node dict the request went to.
    :ivar part: the partition.
    :ivar path: ``/<a>[/<c>[/<o>]]`` requested.
    """

    def __init__(self, message, node, part, path):
        super().__init__(message)
        self.node = node
        self.part = part
        self.path = path

    @property
    def http_host(self):
        """The node's IP."""
        return self.node.get('ip')

    @property
    def http_port(self):
        """The node's port."""
        return self.node.get('port')

    @property
    def http_device(self):
        """The node's device name."""
        return self.node.get('device')


class DirectClientException(DirectClientError):
    """The storage node answered with a non-2xx status (its fault or ours).

    :ivar http_status: the status code (int).
    :ivar http_reason: the reason phrase.
    :ivar http_headers: response headers (HeaderKeyDict).
    :ivar http_body: the response body (bytes, possibly truncated by the server).
    """

    def __init__(self, stype, method, node, part, path, status, reason='', headers=None,
                 body=b''):
        message = '%s server %s:%s direct %s %r gave status %s' % (
            stype, node.get('ip'), node.get('port'), method,
            '/%s/%s%s' % (node.get('device'), part, path), status)
        super().__init__(message, node, part, path)
        self.http_status = status
        self.http_reason = reason
        self.http_headers = HeaderKeyDict(headers or {})
        self.http_body = body


class DirectClientTimeout(DirectClientError):
    """The node did not connect or answer in time (or the connection failed)."""


def gen_headers(headers=None, add_ts=True, clock=time.time):
    """Request headers: copy of ``headers`` + User-Agent (+ X-Timestamp now).

    :returns: HeaderKeyDict.
    """
    out = HeaderKeyDict(headers or {})
    if add_ts and 'X-Timestamp' not in out:
        out['X-Timestamp'] = Timestamp(clock()).internal
    out.setdefault('User-Agent', 'direct-client %s' % os.getpid())
    return out


def _request(node, part, method, path, stype, headers=None, query=None, body=None,
             conn_timeout=CONN_TIMEOUT_S, response_timeout=RESPONSE_TIMEOUT_S):
    """Send one request; returns (status, HeaderKeyDict, body bytes).

    :raises DirectClientException: non-2xx answer.
    :raises DirectClientTimeout: connect/answer timeout or socket error.
    """
    query_string = urlencode(query) if query else None
    text_path = path.decode('utf-8', 'replace') if isinstance(path, bytes) else path
    if body is not None:
        headers = HeaderKeyDict(headers or {})
        headers['Content-Length'] = str(len(body))
    try:
        with ConnectionTimeout(conn_timeout):
            conn = http_connect(node['ip'], node['port'], node['device'], part, method,
                                path, headers=headers, query_string=query_string)
        with Timeout(response_timeout):
            if body:
                conn.send(body)
            resp = conn.getresponse()
            resp_body = resp.read()
            resp.close()
    except (Timeout, OSError) as err:
        raise DirectClientTimeout('%s server %s:%s direct %s %s: %s' % (
            stype, node.get('ip'), node.get('port'), method, text_path,
            type(err).__name__ if isinstance(err, Timeout) else err),
            node, part, text_path)
    resp_headers = HeaderKeyDict(resp.getheaders())
    if not is_success(resp.status):
        raise DirectClientException(stype, method, node, part, text_path, resp.status,
                                    resp.reason, resp_headers, resp_body)
    return resp.status, resp_headers, resp_body


def _quote_parts(account, container=None, obj=None):
    """``/a[/c[/o]]`` as UTF-8 bytes (names are native str or bytes)."""
    parts = [account] + [p for p in (container, obj) if p is not None]
    return b'/' + b'/'.join(p if isinstance(p, bytes) else p.encode('utf-8')
                            for p in parts)


def _listing(node, part, path, stype, marker, limit, prefix, delimiter, end_marker,
             reverse, headers, conn_timeout, response_timeout, extra_params=None):
    query = {'format': 'json'}
    for key, value in (('marker', marker), ('limit', limit), ('prefix', prefix),
                       ('delimiter', delimiter), ('end_marker', end_marker),
                       ('reverse', reverse)):
        if value not in (None, ''):
            query[key] = value
    query.update(extra_params or {})
    status, resp_headers, body = _request(
        node, part, 'GET', path, stype, gen_headers(headers, add_ts=False), query,
        conn_timeout=conn_timeout, response_timeout=response_timeout)
    if status == HTTP_NO_CONTENT or not body:
        return resp_headers, []
    return resp_headers, json.loads(body)


def direct_get_account(node, part, account, marker=None, limit=None, prefix=None,
                       delimiter=None, conn_timeout=CONN_TIMEOUT_S,
                       response_timeout=RESPONSE_TIMEOUT_S, end_marker=None,
                       reverse=None, headers=None):
    """GET one page of an account listing from one account server.

    :returns: (HeaderKeyDict, list of container dicts from the JSON listing).
    :raises DirectClientException, DirectClientTimeout:
    """
    return _listing(node, part, _quote_parts(account), 'Account', marker, limit, prefix,
                    delimiter, end_marker, reverse, headers, conn_timeout,
                    response_timeout)


def direct_head_container(node, part, account, container, conn_timeout=CONN_TIMEOUT_S,
                          response_timeout=RESPONSE_TIMEOUT_S, headers=None):
    """HEAD a container on one container server.

    :returns: HeaderKeyDict of the response.
    :raises DirectClientException: e.g. ``http_status`` 404.
    :raises DirectClientTimeout:
    """
    _status, resp_headers, _body = _request(
        node, part, 'HEAD', _quote_parts(account, container), 'Container',
        gen_headers(headers, add_ts=False), conn_timeout=conn_timeout,
        response_timeout=response_timeout)
    return resp_headers


def direct_get_container(node, part, account, container, marker=None, limit=None,
                         prefix=None, delimiter=None, conn_timeout=CONN_TIMEOUT_S,
                         response_timeout=RESPONSE_TIMEOUT_S, end_marker=None,
                         reverse=None, headers=None, extra_params=None):
    """GET one page of a container listing from one container server.

    :returns: (HeaderKeyDict, list of object dicts from the JSON listing).
    :raises DirectClientException, DirectClientTimeout:
    """
    return _listing(node, part, _quote_parts(account, container), 'Container', marker,
                    limit, prefix, delimiter, end_marker, reverse, headers,
                    conn_timeout, response_timeout, extra_params)


def direct_delete_container(node, part, account, container, conn_timeout=CONN_TIMEOUT_S,
                            response_timeout=RESPONSE_TIMEOUT_S, headers=None):
    """DELETE a container on one container server (X-Timestamp added if missing).

    :returns: HeaderKeyDict of the response.
    :raises DirectClientException: e.g. 409 when not empty, 404.
    :raises DirectClientTimeout:
    """
    _status, resp_headers, _body = _request(
        node, part, 'DELETE', _quote_parts(account, container), 'Container',
        gen_headers(headers), conn_timeout=conn_timeout,
        response_timeout=response_timeout)
    return resp_headers


def direct_put_container(node, part, account, container, conn_timeout=CONN_TIMEOUT_S,
                         response_timeout=RESPONSE_TIMEOUT_S, headers=None):
    """PUT (create) a container on one container server.

    :returns: HeaderKeyDict. :raises DirectClientException, DirectClientTimeout:
    """
    _status, resp_headers, _body = _request(
        node, part, 'PUT', _quote_parts(account, container), 'Container',
        gen_headers(headers), conn_timeout=conn_timeout,
        response_timeout=response_timeout)
    return resp_headers


def direct_head_object(node, part, account, container, obj, conn_timeout=CONN_TIMEOUT_S,
                       response_timeout=RESPONSE_TIMEOUT_S, headers=None):
    """HEAD an object on one object server (send X-Backend-Storage-Policy-Index for a
    non-default policy).

    :returns: HeaderKeyDict of the response.
    :raises DirectClientException, DirectClientTimeout:
    """
    _status, resp_headers, _body = _request(
        node, part, 'HEAD', _quote_parts(account, container, obj), 'Object',
        gen_headers(headers, add_ts=False), conn_timeout=conn_timeout,
        response_timeout=response_timeout)
    return resp_headers


def direct_get_object(node, part, account, container, obj, conn_timeout=CONN_TIMEOUT_S,
                      response_timeout=RESPONSE_TIMEOUT_S, headers=None):
    """GET an object from one object server.

    :returns: (HeaderKeyDict, body bytes).
    :raises DirectClientException, DirectClientTimeout:
    """
    _status, resp_headers, body = _request(
        node, part, 'GET', _quote_parts(account, container, obj), 'Object',
        gen_headers(headers, add_ts=False), conn_timeout=conn_timeout,
        response_timeout=response_timeout)
    return resp_headers, body


def direct_put_object(node, part, account, container, obj, contents,
                      content_type='application/octet-stream', etag=None,
                      conn_timeout=CONN_TIMEOUT_S, response_timeout=RESPONSE_TIMEOUT_S,
                      headers=None):
    """PUT an object (whole body in memory) to one object server.

    :param contents: bytes.
    :returns: the ETag the server answered.
    :raises DirectClientException, DirectClientTimeout:
    """
    headers = gen_headers(headers)
    headers.setdefault('Content-Type', content_type)
    if etag:
        headers['ETag'] = etag
    _status, resp_headers, _body = _request(
        node, part, 'PUT', _quote_parts(account, container, obj), 'Object', headers,
        body=contents, conn_timeout=conn_timeout, response_timeout=response_timeout)
    return (resp_headers.get('Etag') or '').strip('"')


def direct_delete_object(node, part, account, container, obj,
                         conn_timeout=CONN_TIMEOUT_S, response_timeout=RESPONSE_TIMEOUT_S,
                         headers=None):
    """DELETE an object on one object server (X-Timestamp added if missing). Pass
    X-Container-Host/-Partition/-Device for the server to update the container.

    :returns: HeaderKeyDict of the response.
    :raises DirectClientException: e.g. 404 (the tombstone is still written).
    :raises DirectClientTimeout:
    """
    _status, resp_headers, _body = _request(
        node, part, 'DELETE', _quote_parts(account, container, obj), 'Object',
        gen_headers(headers), conn_timeout=conn_timeout,
        response_timeout=response_timeout)
    return resp_headers


def retry(func, *args, retries=5, error_log=None, sleep=None, **kwargs):
    """Call ``func(*args, **kwargs)``, retrying timeouts and 5xx answers (not 507),
    with a backoff of 1, 2, 4... seconds (Swift's ``direct_client.retry``).

    :param retries: retries after the first attempt.
    :param error_log: callable(err) told about each failed attempt.
    :param sleep: callable(seconds) (inject a clock's sleep; default eventlet's).
    :returns: (attempts made, func's result).
    :raises DirectClientException: a 4xx/507 answer, or a 5xx after the last retry.
    :raises DirectClientTimeout: after the last retry.
    """
    if sleep is None:
        from swift.common.concurrency import sleep
    attempts, backoff = 0, 1
    while True:
        attempts += 1
        try:
            return attempts, func(*args, **kwargs)
        except DirectClientException as err:
            if error_log:
                error_log(err)
            if attempts > retries or not 500 <= err.http_status < 600 \
                    or err.http_status == 507:
                raise
        except DirectClientTimeout as err:
            if error_log:
                error_log(err)
            if attempts > retries:
                raise
        sleep(backoff)
        backoff *= 2
