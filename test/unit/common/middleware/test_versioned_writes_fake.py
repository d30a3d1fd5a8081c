"""A fake proxy for versioned_writes tests: containers with metadata and JSON
listings (prefix, marker, reverse), objects with X-Timestamp and a stored header set,
``?symlink=get`` ignored (the fake has no symlinks), and the auth hook run first like
the proxy does. Also checks the fake itself."""

import hashlib
import json

from swift.common.header_key_dict import HeaderKeyDict
from swift.common.swob import Request, Response, bytes_to_wsgi, wsgi_to_str
from swift.common.timestamp import Timestamp
from test.helpers.fake_swift import FakeSwift

# headers an object server keeps (besides meta/sysmeta)
KEPT = ('content-type', 'x-delete-at', 'x-object-manifest', 'x-static-large-object',
        'content-encoding', 'content-disposition')


class FakeVersionedProxy(FakeSwift):
    """FakeSwift with container metadata, listings and object timestamps.

    :ivar container_meta: {container path: HeaderKeyDict of stored headers}.
    :ivar now: next X-Timestamp (advances by 1 s per object write).
    """

    def __init__(self):
        super().__init__()
        self.container_meta = {}
        self.now = 1700000000.0
        self.page_size = 10000      # listing items per page (container_listing_limit)

    def make_container(self, path, **headers):
        self.containers.add(path)
        self.container_meta[path] = HeaderKeyDict(
            {k.replace('_', '-'): v for k, v in headers.items()})

    def store(self, path, body, headers=None):
        """Store an object with the next timestamp (no call recorded)."""
        self.now += 1
        stored = HeaderKeyDict(headers or {})
        stored['X-Timestamp'] = Timestamp(self.now).internal
        self.put_object(path, body, stored)
        return stored['X-Timestamp']

    def _answer(self, req, body):
        if (req.method, req.path_info) in self.responses:
            return super()._answer(req, body)
        path = req.path_info
        if path.count('/') == 3:
            return self._container_answer(req, path)
        if req.method == 'PUT':
            etag = hashlib.md5(body).hexdigest()
            if req.headers.get('Etag') and req.headers['Etag'].strip('"') != etag:
                return Response(request=req, status=422)
            if '/'.join(path.split('/')[:4]) not in self.containers:
                return Response(request=req, status=404)
            headers = {k: v for k, v in req.headers.items()
                       if k.lower().startswith(('x-object-meta-', 'x-object-sysmeta-'))
                       or k.lower() in KEPT}
            self.store(path, body, headers)
            return Response(request=req, status=201, headers={'Etag': etag})
        return super()._answer(req, body)

    def _container_answer(self, req, path):
        if req.method in ('PUT', 'POST'):
            created = path not in self.containers
            if req.method == 'POST' and created:
                return Response(request=req, status=404)
            self.containers.add(path)
            meta = self.container_meta.setdefault(path, HeaderKeyDict())
            for key, value in req.headers.items():
                if key.lower().startswith(('x-container-', 'x-versions-', 'x-history-')):
                    if value:
                        meta[key] = value
                    else:
                        meta.pop(key, None)
            return Response(request=req, status=201 if created else 204)
        if path not in self.containers:
            return Response(request=req, status=404)
        headers = dict(self.container_meta.get(path, {}))
        if req.method == 'HEAD':
            return Response(request=req, status=204, headers=headers)
        if req.method == 'GET':
            return self._listing(req, path, headers)
        return super()._container(req, path)

    def _listing(self, req, path, headers):
        params = req.params
        prefix = params.get('prefix', '')
        marker = params.get('marker', '')
        reverse = params.get('reverse') == 'on'
        names = sorted(name[len(path) + 1:] for name in self.objects
                       if name.startswith(path + '/'))
        names = [n for n in names if n.startswith(prefix)]
        if reverse:
            names = [n for n in reversed(names) if not marker or n < marker]
        else:
            names = [n for n in names if n > marker]
        names = names[:min(self.page_size, int(params.get('limit', 10000)))]
        items = []
        for name in names:
            stored, data = self.objects[path + '/' + name]
            items.append({'name': wsgi_to_str(name), 'bytes': len(data),
                          'hash': stored['Etag'],
                          'content_type': stored['Content-Type']})
        headers['Content-Type'] = 'application/json; charset=utf-8'
        return Response(request=req, status=200, headers=headers,
                        body=json.dumps(items).encode('utf-8'))


def test_fake_listing_reverse_marker_and_prefix():
    app = FakeVersionedProxy()
    app.make_container('/v1/a/c')
    for name in ('x1', 'x2', 'x3', 'y1'):
        app.store('/v1/a/c/' + name, b'')
    resp = Request.blank('/v1/a/c?prefix=x&reverse=on&marker=x3').get_response(app)
    assert [i['name'] for i in json.loads(resp.body)] == ['x2', 'x1']
    resp = Request.blank('/v1/a/c?prefix=x&marker=x1&limit=1').get_response(app)
    assert [i['name'] for i in json.loads(resp.body)] == ['x2']
    assert bytes_to_wsgi('é'.encode('utf-8')) != 'é'
