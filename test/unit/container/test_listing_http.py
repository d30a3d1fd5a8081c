"""Table-driven listings over HTTP: every combination of limit, marker, end_marker,
prefix, delimiter (multi-character too), reverse and path, in json, xml and plain,
for the container and the account server, checked against the brute-force model of
Swift's rules in test_backend_listing (plus UTF-8 and XML escaping of every name)."""

import itertools
import json
import urllib.parse
from xml.etree import ElementTree

import pytest

from swift.account.server import AccountController, AccountServerConfig
from swift.common.hashing import HashPathConfig
from swift.common.swob import Request
from swift.common.timestamp import Timestamp
from swift.container.server import ContainerController, ContainerServerConfig
from test.unit.container.test_backend_listing import model
from test.unit.container.test_server import POLICIES, FakeConnect, FakeLogger

NAMES = ['a', 'a-b', 'a--b', 'a--b--c', 'a/b', 'a/b/', 'a/b/c', 'a/b/d', 'b', 'b/',
         'b/x', 'c\u00e9/1', 'c\u00e9/2', 'd1/object', 'd1/z', 'q&<>"\'/x', 'z\u2603']
MARKERS = ['', 'a/', 'd1/object']
END_MARKERS = ['', 'd1/z']
PREFIXES = [None, 'a', 'a/']
DELIMITERS = [None, '/', '--']
FORMATS = ['json', 'xml', 'plain']
COMBOS = list(itertools.product([2, 100], MARKERS, END_MARKERS, PREFIXES, DELIMITERS,
                                [False, True]))


def ts(n):
    return Timestamp(1700000000 + n).internal


def quote(text):
    return urllib.parse.quote(text.encode('utf-8'), safe='')


def call(app, path, method='GET', headers=None):
    return Request.blank(path, method=method, headers=headers or {}).get_response(app)


@pytest.fixture(scope='module')
def container_app(tmp_path_factory):
    devices = tmp_path_factory.mktemp('cont')
    (devices / 'sda').mkdir()
    app = ContainerController(
        ContainerServerConfig(devices=str(devices), mount_check=False),
        logger=FakeLogger(), policies=POLICIES, hash_config=HashPathConfig(b'p', b's'),
        http_connect=FakeConnect())
    assert call(app, '/sda/1/a/c', 'PUT', {'X-Timestamp': ts(1)}).status_int == 201
    for i, name in enumerate(NAMES):
        resp = call(app, '/sda/1/a/c/' + quote(name), 'PUT', {
            'X-Timestamp': ts(10 + i), 'X-Size': str(i), 'X-Content-Type': 'text/plain',
            'X-Etag': 'e' * 32})
        assert resp.status_int == 201
    return app


@pytest.fixture(scope='module')
def account_app(tmp_path_factory):
    devices = tmp_path_factory.mktemp('acct')
    (devices / 'sda').mkdir()
    app = AccountController(AccountServerConfig(devices=str(devices), mount_check=False),
                            logger=FakeLogger(), policies=POLICIES,
                            hash_config=HashPathConfig(b'p', b's'))
    assert call(app, '/sda/1/a', 'PUT', {'X-Timestamp': ts(1)}).status_int == 201
    for i, name in enumerate(NAMES):
        resp = call(app, '/sda/1/a/' + quote(swap_slash(name, '~')), 'PUT', {
            'X-Put-Timestamp': ts(10 + i), 'X-Delete-Timestamp': '0',
            'X-Object-Count': str(i), 'X-Bytes-Used': str(i),
            'X-Backend-Storage-Policy-Index': '0', 'X-Timestamp': ts(10 + i)})
        assert resp.status_int == 201
    return app


def parse(resp, fmt, item_tag):
    """Listing body -> [('name'|'subdir', text)] for any of the three formats."""
    if fmt == 'plain':
        if resp.status_int == 204:
            return []
        lines = resp.body.decode('utf-8').split('\n')
        assert lines[-1] == ''
        return lines[:-1]          # plain text cannot tell a subdir from a name
    if fmt == 'json':
        return [('subdir', r['subdir']) if 'subdir' in r else ('name', r['name'])
                for r in json.loads(resp.body)]
    assert resp.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ElementTree.fromstring(resp.body)
    out = []
    for child in root:
        if child.tag == 'subdir':
            assert child.find('name').text == child.get('name')
            out.append(('subdir', child.get('name')))
        else:
            assert child.tag == item_tag
            out.append(('name', child.find('name').text))
    return out


def expected(want, fmt):
    return [text for _kind, text in want] if fmt == 'plain' else want


def swap_slash(value, to):
    """Container names cannot hold '/', so the account table uses ``to`` instead."""
    return value.replace('/', to) if isinstance(value, str) else value


def query_for(fmt, limit, marker, end_marker, prefix, delimiter, reverse):
    params = [('format', fmt), ('limit', str(limit))]
    for key, value in (('marker', marker), ('end_marker', end_marker),
                       ('prefix', prefix), ('delimiter', delimiter)):
        if value is not None and (value or key == 'prefix'):
            params.append((key, value))
    if reverse:
        params.append(('reverse', 'true'))
    return '?' + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


@pytest.mark.parametrize('fmt', FORMATS)
@pytest.mark.parametrize('kind', ['container', 'account'])
def test_every_combination_every_format(request, kind, fmt):
    app = request.getfixturevalue(kind + '_app')
    path, item_tag, slash = ('/sda/1/a/c', 'object', '/') if kind == 'container' \
        else ('/sda/1/a', 'container', '~')
    names = [swap_slash(n, slash) for n in NAMES]
    failures = []
    for combo in COMBOS:
        combo = tuple(swap_slash(v, slash) for v in combo)
        resp = call(app, path + query_for(fmt, *combo))
        want = expected(model(names, *combo), fmt)
        got = parse(resp, fmt, item_tag)
        status = 204 if fmt == 'plain' and not want else 200
        if (resp.status_int, got) != (status, want):
            failures.append((combo, resp.status_int, got, want))
    assert failures == []


def path_model(names, path):
    base = path.rstrip('/') + '/' if path else ''
    return [('name', n) for n in sorted(names)
            if n.startswith(base) and n != base and
            (n.find('/', len(base)) in (-1, len(n) - 1))]


@pytest.mark.parametrize('fmt', FORMATS)
@pytest.mark.parametrize('path', ['', 'a', 'a/', 'a/b', 'b', 'c\u00e9', 'nothing'])
def test_path_lists_direct_children(container_app, fmt, path):
    resp = call(container_app, '/sda/1/a/c?format=%s&path=%s' % (fmt, quote(path)))
    want = path_model(NAMES, path)
    assert parse(resp, fmt, 'object') == expected(want, fmt)
    assert resp.status_int == (204 if fmt == 'plain' and not want else 200)


@pytest.mark.parametrize('kind', ['container', 'account'])
def test_escaping_and_utf8_bytes(request, kind):
    app = request.getfixturevalue(kind + '_app')
    path, slash = ('/sda/1/a/c', '/') if kind == 'container' else ('/sda/1/a', '~')
    tricky = quote('q&<>"\'' + slash + 'x')
    xml = call(app, path + '?format=xml&prefix=' + tricky).body
    assert ('<name>q&amp;&lt;&gt;"\'%sx</name>' % slash).encode() in xml
    plain = call(app, path + '?prefix=z').body
    assert plain == 'z\u2603\n'.encode('utf-8')
    js = call(app, path + '?format=json&prefix=z').body
    assert b'"name": "z\\u2603"' in js
    xml = call(app, path + '?format=xml&prefix=c%C3%A9&delimiter=' + slash).body
    assert ('<subdir name="c\u00e9{0}"><name>c\u00e9{0}</name></subdir>'
            .format(slash).encode()) in xml
