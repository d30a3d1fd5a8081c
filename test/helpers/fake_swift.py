"""FakeSwift: an in-memory stand-in for the rest of a proxy pipeline, and FakeMemcache.

FakeSwift records every request (``calls``) and answers from registered canned
responses, else from a tiny object store: PUT stores (201 + ETag, 422 on an ETag
mismatch), GET/HEAD read (200/404), DELETE removes (204/404). Like the proxy, it runs
``env['swift.authorize']`` first and returns its denial.
"""

import hashlib
from collections import namedtuple

from swift.common.header_key_dict import HeaderKeyDict
from swift.common.swob import Request, Response

Call = namedtuple('Call', 'method path query headers body env')


class FakeSwift:
    """A WSGI app; see the module doc."""

    def __init__(self):
        self.calls = []
        self.responses = {}
        self.objects = {}
        self.containers = set()

    def register(self, method, path, status, headers=None, body=b''):
        """Answer ``method path`` (WSGI str path) with this response from now on."""
        self.responses[(method, path)] = (status, dict(headers or {}), body)

    def put_object(self, path, body, headers=None):
        """Store an object directly (no call recorded)."""
        stored = HeaderKeyDict(headers or {})
        stored.setdefault('Content-Type', 'application/octet-stream')
        stored['Etag'] = hashlib.md5(body).hexdigest()
        stored['Last-Modified'] = 'Sun, 29 Nov 2026 22:00:00 GMT'
        self.objects[path] = (stored, body)

    def calls_of(self, method):
        """Recorded calls with ``method``."""
        return [call for call in self.calls if call.method == method]

    def __call__(self, env, start_response):
        req = Request(env)
        length = req.message_length()
        body = req.body_file.read() if length is None else req.body_file.read(length)
        self.calls.append(Call(req.method, req.path_info, req.query_string,
                               HeaderKeyDict(req.headers.items()), body, env))
        authorize = env.get('swift.authorize')
        if authorize:
            denial = authorize(req)
            if denial:
                return denial(env, start_response)
        resp = self._answer(req, body)
        return resp(env, start_response)

    def _answer(self, req, body):
        canned = self.responses.get((req.method, req.path_info))
        if canned is not None:
            status, headers, canned_body = canned
            return Response(request=req, status=status, headers=headers,
                            body=canned_body)
        path = req.path_info
        if path.count('/') == 3:
            return self._container(req, path)
        if req.method == 'PUT':
            etag = hashlib.md5(body).hexdigest()
            if req.headers.get('Etag') and req.headers['Etag'].strip('"') != etag:
                return Response(request=req, status=422)
            headers = {k: v for k, v in req.headers.items()
                       if k.lower().startswith(('x-object-meta-', 'x-object-sysmeta-',
                                                'content-type', 'x-delete-at'))}
            self.put_object(path, body, headers)
            return Response(request=req, status=201, body=b'',
                            headers={'Etag': etag})
        if req.method in ('GET', 'HEAD') and path in self.objects:
            headers, stored = self.objects[path]
            return Response(request=req, status=200, headers=dict(headers), body=stored,
                            conditional_response=True)
        if req.method == 'DELETE' and path in self.objects:
            del self.objects[path]
            return Response(request=req, status=204)
        return Response(request=req, status=404)


    def _container(self, req, path):
        """Containers: PUT 201/202, HEAD/GET 204/404, DELETE 204/404/409."""
        if req.method == 'PUT':
            status = 202 if path in self.containers else 201
            self.containers.add(path)
            return Response(request=req, status=status)
        if path not in self.containers:
            return Response(request=req, status=404)
        if req.method == 'DELETE':
            if any(name.startswith(path + '/') for name in self.objects):
                return Response(request=req, status=409)
            self.containers.discard(path)
        return Response(request=req, status=204)


class FakeMemcache:
    """The subset of MemcacheRing the middlewares use, in a dict."""

    def __init__(self):
        self.store = {}
        self.incr_calls = []

    def get(self, key, raise_on_error=False):
        return self.store.get(key)

    def set(self, key, value, serialize=True, time=0, min_compress_len=0,
            raise_on_error=False):
        self.store[key] = value if serialize else str(value)
        return True

    def incr(self, key, delta=1, time=0, raise_on_error=False):
        self.incr_calls.append((key, delta))
        value = int(self.store.get(key, 0)) + int(delta)
        if key not in self.store:
            value = max(int(delta), 0)
        self.store[key] = str(max(value, 0))
        return max(value, 0)

    def decr(self, key, delta=1, time=0, raise_on_error=False):
        return self.incr(key, -int(delta), time)

    def delete(self, key, raise_on_error=False):
        self.store.pop(key, None)
