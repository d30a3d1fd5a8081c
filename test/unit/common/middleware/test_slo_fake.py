"""A fake of the pipeline below slo (proxy + object servers) for the slo tests, and
the fake's own tests.

It behaves like our proxy for what slo relies on: stored Content-Type loses its
``swift_bytes`` on GET/HEAD, ``X-Backend-Etag-Is-At`` picks the etag conditionals use,
``X-Backend-Ignore-Range-If-Metadata-Present`` returns manifests whole, container GET
lists objects with the container-update override etag and swift_bytes size.
"""

import hashlib
import json

from swift.common.header_key_dict import HeaderKeyDict
from swift.common.listing import container_record
from swift.common.swob import Request, Response
from swift.common.timestamp import Timestamp
from test.helpers.fake_swift import FakeSwift

KEPT_PREFIXES = ('x-object-meta-', 'x-object-sysmeta-', 'content-type',
                 'x-static-large-object', 'content-encoding', 'x-delete-at')
OVERRIDE_ETAG = 'x-object-sysmeta-container-update-override-etag'


def clean_content_type(value):
    return ';'.join(p for p in value.split(';') if not p.strip().startswith('swift_bytes='))


class SloFakeSwift(FakeSwift):
    """FakeSwift with the stored-metadata behaviour slo needs (module doc)."""

    def __init__(self):
        super().__init__()
        self.timestamp = 1795990000.0

    def put_object(self, path, body, headers=None):
        stored = HeaderKeyDict(headers or {})
        stored.setdefault('Content-Type', 'application/octet-stream')
        stored['Etag'] = hashlib.md5(body).hexdigest()
        self.timestamp += 1
        stored['X-Timestamp'] = Timestamp(self.timestamp).internal
        stored['Last-Modified'] = Response(last_modified=int(self.timestamp)).headers[
            'Last-Modified']
        self.objects[path] = (stored, body)

    def _answer(self, req, body):
        canned = self.responses.get((req.method, req.path_info))
        if canned is not None:
            status, headers, canned_body = canned
            return Response(request=req, status=status, headers=headers,
                            body=canned_body)
        path = req.path_info
        if path.count('/') == 3:
            if req.method == 'GET':
                return self._listing(req, path)
            return self._container(req, path)
        if req.method == 'PUT':
            return self._put(req, path, body)
        if req.method in ('GET', 'HEAD') and path in self.objects:
            return self._get(req, path)
        if req.method == 'DELETE' and path in self.objects:
            del self.objects[path]
            return Response(request=req, status=204)
        return Response(request=req, status=404)

    def _put(self, req, path, body):
        etag = hashlib.md5(body).hexdigest()
        if req.headers.get('Etag') and req.headers['Etag'].strip('"') != etag:
            return Response(request=req, status=422)
        headers = {k: v for k, v in req.headers.items()
                   if k.lower().startswith(KEPT_PREFIXES)}
        self.put_object(path, body, headers)
        return Response(request=req, status=201, body=b'', headers={
            'Etag': etag, 'Last-Modified': self.objects[path][0]['Last-Modified']})

    def _get(self, req, path):
        stored, data = self.objects[path]
        headers = dict(stored)
        headers['Content-Type'] = clean_content_type(headers['Content-Type'])
        headers['X-Backend-Timestamp'] = stored['X-Timestamp']
        conditional_etag = None
        for name in (req.headers.get('X-Backend-Etag-Is-At') or '').split(','):
            if name.strip() and name.strip() in stored:
                conditional_etag = stored[name.strip()]
                break
        ignore = [h.strip() for h in req.headers.get(
            'X-Backend-Ignore-Range-If-Metadata-Present', '').split(',') if h.strip()]
        if req.method == 'GET' and any(h in stored for h in ignore):
            req = Request(dict(req.environ))   # like a backend: the caller's env stays
            req.headers['Range'] = None
        return Response(request=req, status=200, headers=headers, body=data,
                        conditional_response=True, conditional_etag=conditional_etag)

    def _listing(self, req, path):
        if path not in self.containers:
            return Response(request=req, status=404)
        listing = []
        for name in sorted(self.objects):
            if not name.startswith(path + '/'):
                continue
            stored, data = self.objects[name]
            etag = stored.get(OVERRIDE_ETAG) or stored['Etag']
            row = (name[len(path) + 1:], Timestamp(stored['X-Timestamp']).internal,
                   len(data), stored['Content-Type'], etag)
            listing.append(container_record(row))
        return Response(request=req, status=200, body=json.dumps(listing).encode(),
                        content_type='application/json; charset=utf-8')


def test_fake_honours_ignore_range_only_for_flagged_objects():
    app = SloFakeSwift()
    app.put_object('/v1/a/c/plain', b'0123456789')
    app.put_object('/v1/a/c/man', b'[]', {'X-Static-Large-Object': 'True',
                                          'Content-Type': 'x/y;swift_bytes=5'})
    header = {'Range': 'bytes=0-1',
              'X-Backend-Ignore-Range-If-Metadata-Present': 'X-Static-Large-Object'}
    plain = Request.blank('/v1/a/c/plain', headers=header).get_response(app)
    man = Request.blank('/v1/a/c/man', headers=header).get_response(app)
    assert (plain.status_int, plain.body) == (206, b'01')
    assert (man.status_int, man.body, man.headers['Content-Type']) == (200, b'[]', 'x/y')
