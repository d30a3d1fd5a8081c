"""Five small proxy middlewares over HTTP.

* list_endpoints and etag_quoter are in the all-in-one's pipeline: the tests talk to
  the cluster's proxy, and check the /endpoints URLs against the storage servers they
  name (a direct HEAD there finds the object written through the proxy).
* cname_lookup, domain_remap and read_only need DNS names / an operator's choice, so
  on a local all-in-one the tests start a second proxy server on the same rings and
  memcached with them in its pipeline, plus a fake DNS server on loopback (dnspython
  messages over UDP; no query ever leaves the machine).
"""

import configparser
import hashlib
import http.client
import os
import socket
import threading
import urllib.parse
import uuid

import pytest

from test.functional.test_proxy_middlewares import ExtraProxy

pytestmark = pytest.mark.functional


def _name(prefix):
    return '%s%s' % (prefix, uuid.uuid4().hex[:10])


def _request(url, method, path, headers=None, body=None):
    """One request to ``url`` (scheme://host:port) with our own Host header if given;
    returns (status, lower-case headers, body)."""
    parsed = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    headers = dict(headers or {})
    try:
        conn.putrequest(method, path, skip_host='Host' in headers,
                        skip_accept_encoding=True)
        if body is not None:
            headers['Content-Length'] = str(len(body))
        for key, value in headers.items():
            conn.putheader(key, value)
        conn.endheaders()
        if body:
            conn.send(body)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _proxy_url(cluster):
    parsed = urllib.parse.urlparse(cluster.storage_url)
    return '%s://%s' % (parsed.scheme, parsed.netloc)


def _info(cluster):
    resp = cluster.raw('GET', '/info', token=None, account_path='')
    assert resp.status == 200, resp
    return resp.json()


# ------------------------------------------------------------------ list_endpoints

@pytest.fixture(scope='module')
def endpoints(cluster):
    """The cluster, when its proxy answers /endpoints/."""
    resp = cluster.raw('GET', '/endpoints/AUTH_test', token=None, account_path='')
    if resp.status != 200:
        pytest.skip('list_endpoints is not in this cluster\'s proxy pipeline')
    return cluster


def _endpoints(cluster, path):
    resp = cluster.raw('GET', '/endpoints/' + path, token=None, account_path='')
    assert resp.status == 200, resp
    assert resp.headers['content-type'].startswith('application/json')
    return resp.json()


def _direct_head(url, headers=None):
    parsed = urllib.parse.urlparse(url)
    status, resp_headers, _body = _request(url, 'HEAD', parsed.path, headers)
    return status, resp_headers


@pytest.mark.parametrize('policy, index', [(None, '0'), ('silver', '1')])
def test_endpoints_name_the_servers_holding_the_object(endpoints, policy, index):
    container, body = _name('le'), b'where am I'
    headers = {'X-Storage-Policy': policy} if policy else {}
    resp = endpoints.raw('PUT', '/' + container, headers=headers)
    if resp.status == 400 and policy:
        pytest.skip('no policy %s in this cluster' % policy)
    assert resp.status == 201, resp
    assert endpoints.raw('PUT', '/%s/o%%20b' % container, body=body).status == 201
    v2 = _endpoints(endpoints, 'v2/AUTH_test/%s/o%%20b' % container)
    assert v2['headers'] == {'X-Backend-Storage-Policy-Index': index}
    assert v2['endpoints'] == _endpoints(endpoints, 'AUTH_test/%s/o%%20b' % container)
    assert len(v2['endpoints']) >= 2
    for url in v2['endpoints']:
        assert url.startswith('http://127.0.0.')
        assert url.endswith('/AUTH_test/%s/o%%20b' % container)
        status, headers = _direct_head(url, v2['headers'])
        assert status == 200, url
        assert headers['etag'] == hashlib.md5(body).hexdigest()


def test_account_and_container_endpoints_reach_their_servers(endpoints):
    container = _name('le')
    assert endpoints.raw('PUT', '/' + container).status == 201
    for path, expected in (('AUTH_test', 204), ('AUTH_test/' + container, 204)):
        v2 = _endpoints(endpoints, 'v2/' + path)
        assert v2['headers'] == {}
        for url in v2['endpoints']:
            assert _direct_head(url)[0] == expected, url


def test_endpoints_errors(endpoints):
    for path, status, body in (('/endpoints/', 400, b'No account specified'),
                               ('/endpoints/v3/AUTH_test', 400,
                                b"Unsupported version 'v3'")):
        resp = endpoints.raw('GET', path, token=None, account_path='')
        assert (resp.status, resp.body) == (status, body)
    resp = endpoints.raw('POST', '/endpoints/AUTH_test', token=None, account_path='')
    assert resp.status == 405
    assert resp.headers['allow'] == 'GET'


# ------------------------------------------------------------------ etag_quoter

@pytest.fixture(scope='module')
def quoter(cluster):
    info = _info(cluster)
    if 'etag_quoter' not in info:
        pytest.skip('etag_quoter is not in this cluster\'s proxy pipeline')
    assert info['etag_quoter'] == {'enable_by_default': False}
    return cluster


def _etag_of(cluster, path, **raw_kwargs):
    resp = cluster.raw('GET', path, **raw_kwargs)
    assert resp.status == 200, resp
    head = cluster.raw('HEAD', path, **raw_kwargs)
    assert head.headers['etag'] == resp.headers['etag']
    return resp.headers['etag']


def test_container_flag_quotes_object_etags(quoter):
    body = b'quote me'
    md5 = hashlib.md5(body).hexdigest()
    plain, quoted = _name('eq'), _name('eq')
    assert quoter.raw('PUT', '/' + plain).status == 201
    assert quoter.raw('PUT', '/' + quoted, headers={
        'X-Container-Rfc-Compliant-Etags': 'true'}).status == 201
    for container in (plain, quoted):
        assert quoter.raw('PUT', '/%s/o' % container, body=body).status == 201
    assert _etag_of(quoter, '/%s/o' % plain) == md5
    assert _etag_of(quoter, '/%s/o' % quoted) == '"%s"' % md5
    head = quoter.raw('HEAD', '/' + quoted)
    assert head.headers['x-container-rfc-compliant-etags'] == 'True'
    assert not any(k.startswith('x-container-sysmeta') for k in head.headers)
    assert quoter.raw('POST', '/' + quoted, headers={
        'X-Remove-Container-Rfc-Compliant-Etags': 'x'}).status == 204
    assert _etag_of(quoter, '/%s/o' % quoted) == md5
    head = quoter.raw('HEAD', '/' + quoted)
    assert 'x-container-rfc-compliant-etags' not in head.headers


def test_account_flag_with_container_override(quoter):
    """On a fresh account made by the reseller admin (the test account stays as is)."""
    token, url = quoter.authenticate(user='admin:admin', key='admin')
    account = _name('AUTH_eq')
    base = urllib.parse.urlparse(url)._replace(path='/v1/' + account).path
    raw = dict(token=token, account_path=base)
    assert quoter.raw('PUT', '', **raw).status == 201
    assert quoter.raw('POST', '', headers={'X-Account-Rfc-Compliant-Etags': 'yes'},
                      **raw).status == 204
    head = quoter.raw('HEAD', '', **raw)
    assert head.headers['x-account-rfc-compliant-etags'] == 'True'
    body = b'account-wide'
    md5 = hashlib.md5(body).hexdigest()
    assert quoter.raw('PUT', '/c', **raw).status == 201
    assert quoter.raw('PUT', '/bare', headers={
        'X-Container-Rfc-Compliant-Etags': 'false'}, **raw).status == 201
    for container in ('c', 'bare'):
        assert quoter.raw('PUT', '/%s/o' % container, body=body, **raw).status == 201
    assert _etag_of(quoter, '/c/o', **raw) == '"%s"' % md5
    assert _etag_of(quoter, '/bare/o', **raw) == md5


# ------------------------------------------------- cname_lookup, domain_remap, read_only

class FakeDns:
    """A UDP DNS server on loopback answering CNAME queries from ``records``
    ({'name.': 'target.'}); anything else is NXDOMAIN."""

    def __init__(self, records):
        self.records = records
        self.queries = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def serve(self):
        import dns.message
        import dns.rcode
        import dns.rdatatype
        import dns.rrset
        while not self.stopped.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                continue
            query = dns.message.from_wire(data)
            reply = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text()
            self.queries.append(name)
            target = self.records.get(name)
            if target and question.rdtype == dns.rdatatype.CNAME:
                reply.answer.append(dns.rrset.from_text(name, 30, 'IN', 'CNAME', target))
            else:
                reply.set_rcode(dns.rcode.NXDOMAIN)
            self.sock.sendto(reply.to_wire(), peer)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopped.set()
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture(scope='module')
def edge(cluster, tmp_path_factory):
    """(proxy, fake dns, web container) : a second proxy with cname_lookup,
    domain_remap and read_only, in front of the local all-in-one."""
    if not cluster.local:
        pytest.skip('needs a local all-in-one to start a second proxy')
    container = _name('web')
    records = {'www.customer.test.': '%s.auth-test.example.com.' % container,
               'alias.customer.test.': 'www.customer.test.',
               'far.customer.test.': 'alias.customer.test.'}
    with FakeDns(records) as dns_server:
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(os.path.join(cluster.env['SWIFT_DIR'], 'proxy-server.conf'))
        names = parser['pipeline:main']['pipeline'].split()
        names.insert(names.index('cache') + 1, 'cname_lookup')
        names.insert(names.index('cname_lookup') + 1, 'domain_remap')
        names.insert(names.index('tempauth') + 1, 'read_only')
        proxy = ExtraProxy(cluster, str(tmp_path_factory.mktemp('edge')), ' '.join(names))
        extra = configparser.ConfigParser(interpolation=None)
        extra.read(proxy.conf_path)
        extra['filter:cname_lookup'] = {
            'use': 'egg:swift#cname_lookup', 'storage_domain': 'example.com',
            'lookup_depth': '2', 'nameservers': '127.0.0.1:%d' % dns_server.port}
        extra['filter:domain_remap'] = {'use': 'egg:swift#domain_remap',
                                        'storage_domain': 'example.com'}
        extra['filter:read_only'] = {'use': 'egg:swift#read_only'}
        with open(proxy.conf_path, 'w') as fp:
            extra.write(fp)
        try:
            proxy.start()
            assert cluster.raw('PUT', '/' + container, headers={
                'X-Container-Read': '.r:*,.rlistings',
                'X-Container-Meta-Web-Listings': 'true'}).status == 201
            for obj, body in (('index.html', b'<h1>hello</h1>'), ('dir/a.txt', b'a')):
                assert cluster.raw('PUT', '/%s/%s' % (container, obj),
                                   body=body).status == 201
            yield proxy, dns_server, container
        finally:
            proxy.stop()


def _edge_get(edge, host, path, token=None):
    proxy = edge[0]
    headers = {'Host': host}
    if token:
        headers['X-Auth-Token'] = token
    return _request('http://127.0.0.1:%d' % proxy.port, 'GET', path, headers)


def test_edge_info_sections(edge):
    info = _info(edge[0])
    assert info['domain_remap'] == {'default_reseller_prefix': None}
    assert info['cname_lookup'] == {'lookup_depth': 2}
    assert 'read_only' not in info   # only a read-only cluster says so


def test_domain_remap_container_and_account_hosts(edge):
    _proxy, _dns, container = edge
    for host, path in (('%s.AUTH_test.example.com' % container, '/index.html'),
                       ('%s.auth-test.example.com:8080' % container, '/index.html'),
                       ('%s.auth_test.example.com' % container, '/index.html'),
                       ('AUTH_test.example.com', '/%s/index.html' % container),
                       ('auth-test.example.com', '/%s/index.html' % container)):
        status, _headers, body = _edge_get(edge, host, path)
        assert (status, body) == (200, b'<h1>hello</h1>'), host
    status, _headers, body = _edge_get(edge, 'a.b.AUTH_test.example.com', '/x')
    assert (status, body) == (400, b'Bad domain in host header')


def test_domain_remap_leaves_plain_hosts_alone(edge):
    _proxy, _dns, container = edge
    status, _headers, body = _edge_get(edge, '127.0.0.1',
                                       '/v1/AUTH_test/%s/index.html' % container)
    assert (status, body) == (200, b'<h1>hello</h1>')


def test_cname_lookup_follows_the_chain_through_fake_dns(edge):
    _proxy, dns_server, _container = edge
    for host in ('www.customer.test', 'alias.customer.test:8080'):
        status, _headers, body = _edge_get(edge, host, '/index.html')
        assert (status, body) == (200, b'<h1>hello</h1>'), host
    assert 'www.customer.test.' in dns_server.queries
    status, _headers, body = _edge_get(edge, 'nothing.customer.test', '/index.html')
    assert (status, body) == (400, b'CNAME lookup failed to resolve to a valid domain')
    status, _headers, body = _edge_get(edge, 'far.customer.test', '/index.html')
    assert (status, body) == (400, b'CNAME lookup failed after 2 tries')


def test_read_only_account_set_by_reseller(edge):
    proxy = edge[0]
    token, url = proxy.authenticate(user='admin:admin', key='admin')
    account = _name('AUTH_ro')
    base = urllib.parse.urlparse(url)._replace(path='/v1/' + account).path
    raw = dict(token=token, account_path=base)
    assert proxy.raw('PUT', '', **raw).status == 201
    assert proxy.raw('PUT', '/before', **raw).status == 201
    assert proxy.raw('POST', '', headers={'X-Account-Read-Only': 'true'},
                     **raw).status == 204
    assert proxy.raw('HEAD', '', **raw).headers['x-account-read-only'] == 'true'
    for method, path in (('PUT', '/c'), ('POST', '/before'), ('DELETE', '/before'),
                         ('PUT', '/before/o')):
        resp = proxy.raw(method, path, body=b'' if method == 'PUT' else None, **raw)
        assert (resp.status, resp.body) == (405, b'Writes are disabled for this account.')
    assert proxy.raw('GET', '/before', **raw).status == 204   # reads still work
    # the account's own admin may not lift it; the reseller may
    user_token, _url = proxy.authenticate()
    resp = proxy.raw('POST', '', headers={'X-Account-Read-Only': 'false'},
                     token=user_token)
    assert resp.status == 403
    assert proxy.raw('POST', '', headers={'X-Account-Read-Only': 'false'},
                     **raw).status == 204
    assert proxy.raw('PUT', '/c', **raw).status == 201
    assert proxy.raw('HEAD', '', **raw).headers['x-account-read-only'] == 'false'


def test_domain_remap_turns_staticweb_redirects_back_into_host_style(edge):
    proxy, _dns, container = edge
    if 'staticweb' not in _info(proxy):
        pytest.skip('staticweb is not in the pipeline')
    host = '%s.auth-test.example.com' % container
    status, headers, _body = _edge_get(edge, host, '/dir')
    assert status == 301
    assert headers['location'] in ('http://%s/dir/' % host, '/dir/')
    status, _headers, body = _edge_get(edge, host, '/dir/')
    assert status == 200
    assert b'a.txt' in body
