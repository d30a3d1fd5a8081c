"""listing_formats against Swift 2.38's wire captures (fixtures/swift-2.38/wire)."""

import json
import os

import pytest

from swift.common.middleware import listing_formats
from swift.common.swob import Request

WIRE = '/work/shared/fixtures/swift-2.38/wire'


def wire_body(name):
    with open(os.path.join(WIRE, name), 'rb') as fp:
        data = fp.read()
    return data.split(b'\r\n\r\n', 1)[1]


def wire_headers(name):
    with open(os.path.join(WIRE, name), 'rb') as fp:
        data = fp.read()
    head = data.split(b'\r\n\r\n', 1)[0].decode('latin-1').split('\r\n')
    return dict(line.split(': ', 1) for line in head if ': ' in line and
                not line.startswith('#'))


class JsonBackend:
    """Answers every request with ``listing`` as JSON, recording the query."""

    def __init__(self, listing, status='200 OK'):
        self.body = json.dumps(listing).encode('ascii')
        self.status = status
        self.queries = []

    def __call__(self, env, start_response):
        self.queries.append(env['QUERY_STRING'])
        start_response(self.status, [('Content-Type', 'application/json; charset=utf-8'),
                                     ('Content-Length', str(len(self.body))),
                                     ('X-Container-Object-Count', '9')])
        return [self.body] if env['REQUEST_METHOD'] != 'HEAD' else [b'']


@pytest.fixture
def container_listing():
    return json.loads(wire_body('get-container-json.txt'))


def test_container_plain_json_xml_match_swift(container_listing):
    backend = JsonBackend(container_listing)
    app = listing_formats.filter_factory({})(backend)
    plain = Request.blank('/v1/AUTH_test/fixtures').get_response(app)
    assert plain.status_int == 200
    assert plain.body == wire_body('get-container-plain.txt')
    assert plain.headers['Content-Type'] == 'text/plain; charset=utf-8'
    assert plain.headers['Vary'] == 'Accept'
    assert backend.queries[-1] == 'format=json'
    as_json = Request.blank('/v1/AUTH_test/fixtures?format=json').get_response(app)
    assert as_json.body == wire_body('get-container-json.txt')
    assert 'Vary' not in as_json.headers
    assert as_json.headers['Content-Type'] == 'application/json; charset=utf-8'
    xml = Request.blank('/v1/AUTH_test/fixtures?format=xml').get_response(app)
    assert xml.body == wire_body('get-container-xml.txt')
    assert xml.headers['Content-Type'] == 'application/xml; charset=utf-8'
    assert int(xml.headers['Content-Length']) == len(xml.body)


def test_account_plain_and_json_match_swift():
    listing = json.loads(wire_body('get-account-json.txt'))
    app = listing_formats.filter_factory({})(JsonBackend(listing))
    plain = Request.blank('/v1/AUTH_test').get_response(app)
    assert plain.body == wire_body('get-account-plain.txt')
    as_json = Request.blank('/v1/AUTH_test', headers={
        'Accept': 'application/json'}).get_response(app)
    assert as_json.body == wire_body('get-account-json.txt')
    assert as_json.headers['Vary'] == 'Accept'


def test_account_xml():
    listing = [{'name': 'c', 'count': 1, 'bytes': 2, 'last_modified': 'x',
                'storage_policy': 'gold'}, {'subdir': 'd/'}]
    app = listing_formats.filter_factory({})(JsonBackend(listing))
    xml = Request.blank('/v1/AUTH_t?format=xml').get_response(app)
    assert xml.body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<account name="AUTH_t"><container>'
        b'<name>c</name><count>1</count><bytes>2</bytes><last_modified>x</last_modified>'
        b'<storage_policy>gold</storage_policy></container><subdir name="d/">'
        b'<name>d/</name></subdir></account>')


def test_empty_plain_listing_is_204_json_is_200():
    app = listing_formats.filter_factory({})(JsonBackend([]))
    plain = Request.blank('/v1/AUTH_test/c').get_response(app)
    assert plain.status_int == 204
    assert plain.body == b''
    as_json = Request.blank('/v1/AUTH_test/c?format=json').get_response(app)
    assert (as_json.status_int, as_json.body) == (200, b'[]')


@pytest.mark.parametrize('path', ['/v1/AUTH_test', '/v1/AUTH_test/c'])
@pytest.mark.parametrize('accept', ['application/json;q=nope', 'text/plain;q=0.5;q=1'])
def test_bl06_malformed_accept_is_400(path, accept):
    backend = JsonBackend([{'name': 'x'}])
    app = listing_formats.filter_factory({})(backend)
    resp = Request.blank(path, headers={'Accept': accept}).get_response(app)
    assert resp.status_int == 400
    assert resp.body == b'Invalid Accept header'
    assert backend.queries == []


def test_unmatched_accept_is_406():
    app = listing_formats.filter_factory({})(JsonBackend([]))
    resp = Request.blank('/v1/AUTH_test/c', headers={'Accept': 'image/png'}
                         ).get_response(app)
    assert resp.status_int == 406


def test_head_sets_content_type_and_objects_pass_through():
    backend = JsonBackend([])
    app = listing_formats.filter_factory({})(backend)
    head = Request.blank('/v1/AUTH_test/c', method='HEAD').get_response(app)
    assert head.headers['Content-Type'] == 'text/plain; charset=utf-8'
    assert head.headers['Vary'] == 'Accept'
    Request.blank('/v1/AUTH_test/c/o?format=xml').get_response(app)
    assert backend.queries[-1] == 'format=xml'   # objects untouched


def test_error_passes_through():
    app = listing_formats.filter_factory({})(JsonBackend({'x': 1}, status='404 Not Found'))
    resp = Request.blank('/v1/AUTH_test/c').get_response(app)
    assert resp.status_int == 404


def test_non_api_paths_pass_through():
    backend = JsonBackend([])
    app = listing_formats.filter_factory({})(backend)
    resp = Request.blank('/auth/v1.0').get_response(app)
    assert 'Vary' not in resp.headers
    assert backend.queries == ['']
