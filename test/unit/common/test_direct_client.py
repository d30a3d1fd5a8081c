"""direct_client against a green loopback storage server: paths, headers, listings,
errors carrying the node and status, timeouts."""

import io
import json

import pytest

from swift.common import concurrency, direct_client
from swift.common.direct_client import DirectClientException, DirectClientTimeout


class RecordingServer:
    """A green WSGI server answering from ``routes[(method, path)]`` =
    (status, headers, body); records (method, path, query, headers)."""

    def __init__(self, routes):
        self.routes = routes
        self.requests = []
        self.sock = concurrency.listen(('127.0.0.1', 0))
        self.port = self.sock.getsockname()[1]
        self.thread = concurrency.spawn(
            concurrency.wsgi.server, self.sock, self.app, log=io.StringIO(),
            log_output=False)

    def app(self, environ, start_response):
        headers = {k[5:].replace('_', '-').title(): v for k, v in environ.items()
                   if k.startswith('HTTP_')}
        path = environ['PATH_INFO']
        self.requests.append((environ['REQUEST_METHOD'], path,
                              environ.get('QUERY_STRING', ''), headers))
        status, resp_headers, body = self.routes.get(
            (environ['REQUEST_METHOD'], path), (404, {}, b''))
        start_response('%d X' % status, list(resp_headers.items()) +
                       [('Content-Length', str(len(body)))])
        return [body]

    @property
    def node(self):
        return {'ip': '127.0.0.1', 'port': self.port, 'device': 'sdb1'}

    def close(self):
        self.thread.kill()
        self.sock.close()


@pytest.fixture
def server_factory():
    servers = []

    def make(routes):
        server = RecordingServer(routes)
        servers.append(server)
        return server
    yield make
    for server in servers:
        server.close()


def test_get_container_listing_and_headers(server_factory):
    listing = [{'name': 'o1', 'bytes': 3}, {'name': '\u2603', 'bytes': 0}]
    server = server_factory({('GET', '/sdb1/7/a/c'): (
        200, {'X-Container-Object-Count': '2'}, json.dumps(listing).encode())})
    headers, objects = direct_client.direct_get_container(
        server.node, 7, 'a', 'c', marker='m', limit=2)
    assert objects == listing
    assert headers['X-Container-Object-Count'] == '2'
    method, path, query, sent = server.requests[0]
    assert (method, path) == ('GET', '/sdb1/7/a/c')
    assert 'format=json' in query and 'marker=m' in query and 'limit=2' in query
    assert sent['User-Agent'].startswith('direct-client ')
    assert 'X-Timestamp' not in sent


def test_no_content_listing_is_empty(server_factory):
    server = server_factory({('GET', '/sdb1/0/a'): (204, {}, b'')})
    assert direct_client.direct_get_account(server.node, 0, 'a')[1] == []


def test_delete_object_sends_timestamp_and_utf8_path(server_factory):
    server = server_factory({('DELETE', '/sdb1/3/a/c/\xe2\x98\x83'): (204, {}, b'')})
    direct_client.direct_delete_object(server.node, 3, 'a', 'c', '\u2603',
                                       headers={'X-Container-Host': '1.2.3.4:5'})
    _m, _p, _q, sent = server.requests[0]
    assert sent['X-Container-Host'] == '1.2.3.4:5'
    assert len(sent['X-Timestamp']) == 16


def test_error_status_raises_with_context(server_factory):
    server = server_factory({})
    with pytest.raises(DirectClientException) as info:
        direct_client.direct_head_object(server.node, 1, 'a', 'c', 'o')
    err = info.value
    assert err.http_status == 404
    assert (err.http_host, err.http_port, err.http_device) == (
        '127.0.0.1', server.port, 'sdb1')
    assert "gave status 404" in str(err) and '/sdb1/1/a/c/o' in str(err)


def test_connection_refused_is_a_timeout_error():
    sock = concurrency.listen(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    node = {'ip': '127.0.0.1', 'port': port, 'device': 'sdb1'}
    with pytest.raises(DirectClientTimeout):
        direct_client.direct_delete_container(node, 0, 'a', 'c', conn_timeout=0.5)
