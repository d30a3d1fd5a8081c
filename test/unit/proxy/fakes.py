"""Fakes for proxy tests: a ring, and in-memory storage nodes reached through an
injected ``http_connect`` (no sockets, no sleeps)."""

import email.utils
import hashlib
import io
import json
import urllib.parse

from swift.common.header_key_dict import HeaderKeyDict
from swift.common.http_status import RESPONSE_REASONS
from swift.common.storage_policy import StoragePolicy, StoragePolicyCollection
from swift.common.timestamp import Timestamp


class FakeRing:
    """``replicas`` primaries out of ``devices`` devices; the rest are handoffs."""

    def __init__(self, replicas=3, devices=6, port_base=6000, name='object'):
        self.replica_count = replicas
        self.devs = [{'id': i, 'ip': '10.0.0.%d' % (i + 1), 'port': port_base + i,
                      'device': 'sd%s' % chr(ord('a') + i), 'region': 1, 'zone': i,
                      'weight': 1.0, 'replication_ip': '10.0.0.%d' % (i + 1),
                      'replication_port': port_base + i}
                     for i in range(devices)]
        self.partition_count = 16
        self.name = name
        self.lookups = []

    def get_part(self, account, container=None, obj=None):
        names = [n if isinstance(n, bytes) else n.encode('utf-8')
                 for n in (account, container, obj) if n is not None]
        self.lookups.append(tuple(names))
        return int(hashlib.md5(b'/'.join(names)).hexdigest()[:4], 16) % 16

    def get_part_nodes(self, part):
        count = len(self.devs)
        return [dict(self.devs[(part + i) % count], index=i)
                for i in range(self.replica_count)]

    def get_nodes(self, account, container=None, obj=None):
        part = self.get_part(account, container, obj)
        return part, self.get_part_nodes(part)

    def get_more_nodes(self, part):
        count = len(self.devs)
        for i in range(self.replica_count, count):
            yield dict(self.devs[(part + i) % count], handoff_index=i - self.replica_count)


def two_policies():
    return StoragePolicyCollection([StoragePolicy(0, 'gold', is_default=True,
                                                  aliases=()),
                                    StoragePolicy(1, 'silver')])


class Request:
    """What a fake node received."""

    def __init__(self, node, method, path, headers, query):
        self.node = node
        self.method = method
        self.path = path
        self.headers = HeaderKeyDict(headers)
        self.query = query
        self.body = b''
        self.closed = False

    def __repr__(self):
        return '<%s %s %s>' % (self.method, self.path, self.node['port'])


class FakeResponse:
    def __init__(self, status, headers=None, body=b'', break_after=None,
                 close_after=None):
        self.break_after = break_after
        self.close_after = close_after
        self.status = status
        self.reason = RESPONSE_REASONS.get(status, ('Unknown', ''))[0]
        self._headers = HeaderKeyDict(headers or {})
        self._headers.setdefault('Content-Length', str(len(body)))
        self._body = io.BytesIO(body)
        self.closed = False

    def getheaders(self):
        return list(self._headers.items())

    def getheader(self, name, default=None):
        return self._headers.get(name, default)

    @property
    def length(self):
        """Bytes still promised (http.client's attribute)."""
        return len(self._body.getvalue()) - self._body.tell()

    def read(self, size=-1):
        if self.close_after is not None and self._body.tell() >= self.close_after:
            return b''   # the server went away: EOF before Content-Length
        if self.close_after is not None:
            size = min(size if size >= 0 else 1 << 30,
                       self.close_after - self._body.tell())
        if self.break_after is not None and self._body.tell() >= self.break_after:
            raise ConnectionResetError('backend died mid-body')
        if self.break_after is not None:
            size = min(size if size >= 0 else 1 << 30,
                       self.break_after - self._body.tell())
        return self._body.read(size)

    def close(self):
        self.closed = True


class FakeConn:
    """A connection to a fake node: the node handles the request when the response
    is asked for (or at getexpect time for zero-byte bodies, as object servers do)."""

    def __init__(self, cluster, request):
        self.cluster = cluster
        self.request = request
        self.final = None

    def send(self, data):
        self.cluster.on_send(self.request, data)
        self.request.body += data

    def send_chunk(self, data):
        self.send(data)

    def send_last_chunk(self):
        pass

    def close(self):
        self.request.closed = True

    def getexpect(self):
        early = self.cluster.expect_status(self.request)
        if early is not None:
            return FakeResponse(early)
        if self.request.headers.get('Content-Length') == '0':
            self.final = self.cluster.handle(self.request)
            if self.final.status >= 300:
                return self.final
        return FakeResponse(100)

    def getresponse(self):
        gate = self.cluster.hold.get(self.request.node['port'])
        if gate is not None:
            gate.wait()   # a hung backend, released by the test
        if self.final is None:
            self.final = self.cluster.handle(self.request)
        return self.final


class FakeCluster:
    """In-memory account/container/object servers keyed by (ip, port, device).

    :ivar requests: every request received, in order.
    :ivar down: set of ports that refuse connections.
    :ivar overrides: ``{port: status}`` forced answers.
    """

    def __init__(self, clock_time=lambda: 1700000000.0):
        self.requests = []
        self.down = set()
        self.overrides = {}
        self.expect_overrides = {}
        self.send_failures = set()
        self.broken_reads = {}   # port -> bytes served before the body breaks
        self.closed_reads = {}   # port -> bytes served before the server hangs up
        self.hold = {}           # port -> concurrency.Event the response waits for
        self.store = {}       # (port, device, path) -> {'headers':..., 'body':...}
        self.clock_time = clock_time

    # -- http_connect seam
    def http_connect(self, ip, port, device, partition, method, path, headers=None,
                     query_string=None):
        node = {'ip': ip, 'port': port, 'device': device}
        if port in self.down:
            raise ConnectionRefusedError('connection refused to %s:%s' % (ip, port))
        request = Request(node, method, path, headers or {}, query_string or '')
        request.partition = partition
        self.requests.append(request)
        return FakeConn(self, request)

    def on_send(self, request, data):
        if request.node['port'] in self.send_failures:
            raise BrokenPipeError('node went away')

    def expect_status(self, request):
        return self.expect_overrides.get(request.node['port'])

    def requests_for(self, method, prefix=''):
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    # -- storage semantics
    def handle(self, request):
        port = request.node['port']
        if port in self.overrides:
            return FakeResponse(self.overrides[port])
        depth = len(request.path.strip('/').split('/', 2))
        handler = {1: self._account, 2: self._container, 3: self._object}[depth]
        return handler(request)

    def _key(self, request):
        return (request.node['port'], request.node['device'], request.path)

    def _object(self, request):
        port = request.node['port']
        key = self._key(request)
        stored = self.store.get(key)
        ts = request.headers.get('X-Timestamp')
        if request.method == 'PUT':
            etag = hashlib.md5(request.body).hexdigest()
            client_etag = request.headers.get('Etag', '').strip('"')
            if client_etag and client_etag != etag:
                return FakeResponse(422)
            if stored and request.headers.get('If-None-Match') == '*' \
                    and not stored.get('deleted'):
                return FakeResponse(412)
            if stored and stored['ts'] >= ts:
                return FakeResponse(409, {'X-Backend-Timestamp': stored['ts']})
            headers = {k: v for k, v in request.headers.items()
                       if k.lower().startswith('x-object-meta-')
                       or k.lower() in ('content-type', 'x-delete-at')}
            headers.update({'Etag': etag, 'X-Timestamp': ts,
                            'Content-Length': str(len(request.body))})
            self.store[key] = {'headers': headers, 'body': request.body, 'ts': ts}
            return FakeResponse(201, {'Etag': etag})
        if stored is None or stored.get('deleted'):
            return FakeResponse(404, {'X-Backend-Timestamp': stored['ts']} if stored else {})
        if request.method == 'DELETE':
            self.store[key] = {'deleted': True, 'ts': ts}
            return FakeResponse(204)
        if request.method == 'POST':
            stored['headers'] = {k: v for k, v in stored['headers'].items()
                                 if not k.lower().startswith('x-object-meta-')}
            stored['headers'].update({k: v for k, v in request.headers.items()
                                      if k.lower().startswith('x-object-meta-')})
            return FakeResponse(202)
        headers = dict(stored['headers'])
        headers['Last-Modified'] = email.utils.formatdate(
            Timestamp(stored['ts']).ceil_seconds, usegmt=True)
        if request.headers.get('If-Match') and \
                request.headers['If-Match'] != headers['Etag']:
            return FakeResponse(412)
        status, body = 200, stored['body']
        if request.headers.get('Range'):
            first, last = request.headers['Range'].split('=')[1].split('-')
            last = int(last) if last else len(body) - 1
            headers['Content-Range'] = 'bytes %s-%d/%d' % (first, last, len(body))
            status, body = 206, body[int(first):last + 1]
            headers['Content-Length'] = str(len(body))
        if request.method == 'HEAD':
            body = b''
        return FakeResponse(status, headers, body,
                            break_after=self.broken_reads.get(port),
                            close_after=self.closed_reads.get(port))

    def _container(self, request):
        key = self._key(request)
        stored = self.store.get(key)
        if request.method == 'PUT':
            if stored and not stored.get('deleted'):
                return FakeResponse(202)
            index = request.headers.get('X-Backend-Storage-Policy-Index') or \
                request.headers.get('X-Backend-Storage-Policy-Default', '0')
            meta = {k: v for k, v in request.headers.items()
                    if k.lower().startswith(('x-container-meta-', 'x-container-read',
                                             'x-container-write'))}
            self.store[key] = {'policy': index, 'meta': meta,
                               'ts': request.headers.get('X-Timestamp')}
            return FakeResponse(201)
        if stored is None or stored.get('deleted'):
            return FakeResponse(404)
        if request.method == 'DELETE':
            self.store[key] = {'deleted': True}
            return FakeResponse(204)
        if request.method == 'POST':
            stored['meta'].update({k: v for k, v in request.headers.items()
                                   if k.lower().startswith(('x-container-meta-',
                                                            'x-container-read',
                                                            'x-container-write'))})
            return FakeResponse(204)
        headers = {'X-Container-Object-Count': '0', 'X-Container-Bytes-Used': '0',
                   'X-Backend-Storage-Policy-Index': stored['policy'],
                   'X-Timestamp': stored['ts'], 'X-Put-Timestamp': stored['ts']}
        headers.update(stored['meta'])
        listing = stored.get('listing', [])
        if request.method == 'HEAD' or not listing and request.method == 'GET' and \
                'format=json' not in request.query:
            return FakeResponse(204, headers)
        body = json.dumps(listing).encode('ascii')
        headers['Content-Type'] = 'application/json; charset=utf-8'
        return FakeResponse(200, headers, body)

    def _account(self, request):
        key = self._key(request)
        stored = self.store.get(key)
        if request.method == 'PUT':
            if stored:
                return FakeResponse(202)
            self.store[key] = {'meta': {}, 'ts': request.headers.get('X-Timestamp')}
            return FakeResponse(201)
        if stored is None:
            return FakeResponse(404)
        if request.method == 'DELETE':
            del self.store[key]
            return FakeResponse(204)
        if request.method == 'POST':
            stored['meta'].update({k: v for k, v in request.headers.items()
                                   if k.lower().startswith(('x-account-meta-',
                                                            'x-account-sysmeta-'))})
            return FakeResponse(204)
        headers = {'X-Account-Container-Count': '0', 'X-Account-Object-Count': '0',
                   'X-Account-Bytes-Used': '0', 'X-Timestamp': stored['ts']}
        headers.update(stored['meta'])
        if request.method == 'HEAD':
            return FakeResponse(204, headers)
        listing = stored.get('listing', [])
        headers['Content-Type'] = 'application/json; charset=utf-8'
        return FakeResponse(200, headers, json.dumps(listing).encode('ascii'))


def query_of(request):
    return dict(urllib.parse.parse_qsl(request.query))
