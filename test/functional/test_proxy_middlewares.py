"""Middlewares over HTTP (issue 6): copy, bulk, container/account quotas, ratelimit,
name_check, crossdomain, CORS, and tempauth token expiry / client_timeout.

When the cluster's own proxy pipeline lacks these middlewares (its /info has no
``bulk_upload`` section...) and the cluster is a local all-in-one, the tests run
against a second proxy server started here on the same rings and memcached, with
Swift's full SAIO pipeline (:func:`start_proxy`); on a remote cluster they skip per
missing /info section.
"""

import bz2
import configparser
import gzip
import http.client
import io
import json
import os
import socket
import subprocess
import tarfile
import time
import urllib.parse
import uuid

import pytest

from test.helpers.cluster import Cluster, command

pytestmark = pytest.mark.functional

FULL_PIPELINE = ('catch_errors gatekeeper healthcheck proxy-logging cache listing_formats '
                 'name_check bulk ratelimit crossdomain tempauth copy container-quotas '
                 'account-quotas proxy-logging proxy-server')
EXTRA_FILTERS = {'name_check': 'name_check', 'bulk': 'bulk', 'ratelimit': 'ratelimit',
                 'crossdomain': 'crossdomain', 'copy': 'copy',
                 'container-quotas': 'container_quotas',
                 'account-quotas': 'account_quotas'}
SECTIONS = ('bulk_upload', 'bulk_delete', 'ratelimit', 'name_check', 'crossdomain',
            'container_quotas', 'account_quotas')


def _free_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _info(url):
    parsed = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        conn.request('GET', '/info')
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


class ExtraProxy(Cluster):
    """A proxy-server process of our own in front of a local all-in-one."""

    local = False

    def __init__(self, saio, workdir, pipeline, app_options=None, filter_options=None):
        self.port = _free_port()
        super().__init__('http://127.0.0.1:%d/auth/v1.0' % self.port, 'test', 'tester',
                         'testing')
        self.saio = saio
        self.log_path = os.path.join(workdir, 'proxy-%d.log' % self.port)
        self.conf_path = os.path.join(workdir, 'proxy-%d.conf' % self.port)
        self._write_conf(pipeline, app_options or {}, filter_options or {})
        self.proc = None

    def _write_conf(self, pipeline, app_options, filter_options):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(os.path.join(self.saio.env['SWIFT_DIR'], 'proxy-server.conf'))
        parser['DEFAULT']['bind_port'] = str(self.port)
        parser['DEFAULT']['log_file'] = self.log_path
        parser['DEFAULT']['workers'] = '1'
        parser['pipeline:main']['pipeline'] = pipeline
        for name, egg in EXTRA_FILTERS.items():
            if name in pipeline.split() and not parser.has_section('filter:' + name):
                parser['filter:' + name] = {'use': 'egg:swift#' + egg}
        parser['app:proxy-server'].update(app_options)
        for name, options in filter_options.items():
            parser['filter:' + name].update(options)
        with open(self.conf_path, 'w') as fp:
            parser.write(fp)

    def start(self):
        with open(self.conf_path + '.stderr', 'wb') as stderr:
            self.proc = subprocess.Popen(
                command('swift-proxy-server') + [self.conf_path],
                stdout=subprocess.DEVNULL, stderr=stderr, env=self.saio.env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                with open(self.conf_path + '.stderr', 'rb') as fp:
                    raise RuntimeError('proxy exited: %s' % fp.read().decode())
            try:
                conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=2)
                conn.request('GET', '/healthcheck')
                if conn.getresponse().status == 200:
                    conn.close()
                    self.authenticate()
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError('proxy on port %d did not start' % self.port)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()   # our own child, by pid
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)


@pytest.fixture(scope='module')
def mw(cluster, tmp_path_factory):
    """The cluster whose proxy has the middlewares (see module doc)."""
    info = _info(cluster.auth_url)
    if all(name in info for name in SECTIONS) or not cluster.local:
        yield cluster
        return
    proxy = ExtraProxy(cluster, str(tmp_path_factory.mktemp('mwproxy')), FULL_PIPELINE,
                       app_options={'cors_allow_origin': 'http://everywhere.example'},
                       filter_options={'ratelimit': {
                           'account_ratelimit': '0.5', 'max_sleep_time_seconds': '1',
                           'account_whitelist': 'AUTH_test,AUTH_test2',
                           'account_blacklist': 'AUTH_blocked'}})
    try:
        yield proxy.start()
    finally:
        proxy.stop()


def needs(mw, *sections):
    info = _info(mw.auth_url)
    missing = [name for name in sections if name not in info]
    if missing:
        pytest.skip('proxy pipeline lacks %s' % ', '.join(missing))


def _container(mw, **headers):
    name = 'mw-' + uuid.uuid4().hex[:10]
    assert mw.raw('PUT', '/' + name, headers=headers).status == 201
    return name


def _token(mw, user, key):
    return mw.authenticate(user=user, key=key)[0]


# ------------------------------------------------------------------ copy

def test_copy_verb_and_x_copy_from(mw):
    src = _container(mw)
    dst = _container(mw)
    assert mw.raw('PUT', '/%s/orig' % src, body=b'copy me', headers={
        'X-Object-Meta-Colour': 'red', 'Content-Type': 'text/x-mine'}).status == 201
    resp = mw.raw('COPY', '/%s/orig' % src, headers={'Destination': '%s/c1' % dst})
    if resp.status == 405:
        pytest.skip('proxy pipeline lacks copy')
    assert resp.status == 201
    assert resp.headers['x-copied-from'] == '%s/orig' % src
    assert resp.headers['x-copied-from-account'] == 'AUTH_test'
    got = mw.raw('GET', '/%s/c1' % dst)
    assert got.body == b'copy me'
    assert got.headers['x-object-meta-colour'] == 'red'
    assert got.headers['content-type'] == 'text/x-mine'

    resp = mw.raw('PUT', '/%s/c2' % dst, body=b'', headers={
        'X-Copy-From': '/%s/orig' % src, 'X-Object-Meta-Size': 'big'})
    assert resp.status == 201
    got = mw.raw('GET', '/%s/c2' % dst)
    assert got.body == b'copy me'
    assert got.headers['x-object-meta-colour'] == 'red'
    assert got.headers['x-object-meta-size'] == 'big'

    resp = mw.raw('PUT', '/%s/c3' % dst, body=b'', headers={
        'X-Copy-From': '%s/orig' % src, 'X-Fresh-Metadata': 'true'})
    assert resp.status == 201
    assert 'x-object-meta-colour' not in mw.raw('HEAD', '/%s/c3' % dst).headers

    resp = mw.raw('COPY', '/%s/orig' % src, headers={'Destination': 'nocontainer'})
    assert resp.status == 412
    assert b'Destination header must be of the form' in resp.body
    assert mw.raw('COPY', '/%s/missing' % src, headers={
        'Destination': '%s/x' % dst}).status == 404
    resp = mw.raw('PUT', '/%s/c4' % dst, body=b'x', headers={
        'X-Copy-From': '%s/orig' % src})
    assert (resp.status, resp.body) == (400, b'Copy requests require a zero byte body')


def test_copy_across_accounts_follows_acls(mw):
    src = _container(mw)
    mw.raw('PUT', '/%s/orig' % src, body=b'shared')
    token2 = _token(mw, 'test2:tester2', 'testing2')
    dest_path = '/v1/AUTH_test2'
    assert mw.raw('PUT', '/incoming', account_path=dest_path, token=token2).status in (
        201, 202)
    # tester2 may not read AUTH_test's object yet
    resp = mw.raw('PUT', '/incoming/copied', account_path=dest_path, token=token2,
                  body=b'', headers={'X-Copy-From': '%s/orig' % src,
                                     'X-Copy-From-Account': 'AUTH_test'})
    if resp.status == 405:
        pytest.skip('proxy pipeline lacks copy')
    assert resp.status == 403
    mw.raw('POST', '/' + src, headers={'X-Container-Read': 'test2'})
    resp = mw.raw('PUT', '/incoming/copied', account_path=dest_path, token=token2,
                  body=b'', headers={'X-Copy-From': '%s/orig' % src,
                                     'X-Copy-From-Account': 'AUTH_test'})
    assert resp.status == 201
    got = mw.raw('GET', '/incoming/copied', account_path=dest_path, token=token2)
    assert got.body == b'shared'
    # tester (owner of AUTH_test) may not COPY into AUTH_test2
    resp = mw.raw('COPY', '/%s/orig' % src, headers={
        'Destination': 'incoming/other', 'Destination-Account': 'AUTH_test2'})
    assert resp.status == 403
    mw.raw('DELETE', '/incoming/copied', account_path=dest_path, token=token2)


# ------------------------------------------------------------------ bulk

def _tar(files, mode='w'):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, data in files.items():
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize('kind', ['tar', 'tar.gz', 'tar.bz2'])
def test_bulk_extract_archive(mw, kind):
    needs(mw, 'bulk_upload')
    files = {'a.txt': b'alpha', 'dir/b.txt': b'beta', 'dir/c.bin': b'\x00' * 1000}
    archive = _tar(files)
    if kind == 'tar.gz':
        archive = gzip.compress(archive)
    elif kind == 'tar.bz2':
        archive = bz2.compress(archive)
    name = _container(mw)
    resp = mw.raw('PUT', '/%s?extract-archive=%s' % (name, kind), body=archive,
                  headers={'Accept': 'application/json'})
    assert resp.status == 200
    report = json.loads(resp.body)
    assert report['Number Files Created'] == 3, report
    assert report['Errors'] == []
    assert report['Response Status'] == '201 Created'
    for path, data in files.items():
        assert mw.raw('GET', '/%s/%s' % (name, path)).body == data
    # without a container in the URL the first path part names the container
    top = 'bulk-' + uuid.uuid4().hex[:8]
    resp = mw.raw('PUT', '?extract-archive=tar', body=_tar({top + '/x': b'1'}),
                  headers={'Accept': 'application/json'})
    assert json.loads(resp.body)['Number Files Created'] == 1
    assert mw.raw('GET', '/%s/x' % top).body == b'1'


def test_bulk_extract_bad_archive_and_bulk_delete(mw):
    needs(mw, 'bulk_upload', 'bulk_delete')
    name = _container(mw)
    resp = mw.raw('PUT', '/%s?extract-archive=tar' % name, body=b'not a tar' * 100,
                  headers={'Accept': 'application/json'})
    assert resp.status == 200
    assert json.loads(resp.body)['Response Status'] == '400 Bad Request'
    for obj in ('one', 'two', 'three'):
        mw.raw('PUT', '/%s/%s' % (name, obj), body=b'x')
    lines = '\n'.join(['%s/one' % name, '%s/two' % name, '%s/three' % name,
                       '%s/missing' % name, name]).encode()
    resp = mw.raw('POST', '?bulk-delete', body=lines, headers={
        'Accept': 'application/json', 'Content-Type': 'text/plain'})
    assert resp.status == 200
    report = json.loads(resp.body)
    assert report['Number Deleted'] == 4, report     # three objects, the container
    assert report['Number Not Found'] == 1
    assert report['Response Status'] == '200 OK'
    assert mw.raw('HEAD', '/' + name).status == 404


def test_bulk_needs_authorization(mw):
    needs(mw, 'bulk_upload', 'bulk_delete')
    name = _container(mw)
    token3 = _token(mw, 'test:tester3', 'testing3')
    resp = mw.raw('PUT', '/%s?extract-archive=tar' % name, body=_tar({'x': b'1'}),
                  token=token3, headers={'Accept': 'application/json'})
    report = json.loads(resp.body)
    assert report['Number Files Created'] == 0
    assert report['Errors'] and '403' in report['Errors'][0][1]
    assert mw.raw('HEAD', '/%s/x' % name).status == 404


# ------------------------------------------------------------------ quotas

def test_container_quotas(mw):
    needs(mw, 'container_quotas')
    name = _container(mw, **{'X-Container-Meta-Quota-Bytes': '10'})
    resp = mw.raw('PUT', '/%s/over' % name, body=b'y' * 11)
    assert (resp.status, resp.body) == (413, b'Upload exceeds quota.')
    assert mw.raw('PUT', '/%s/fits' % name, body=b'x' * 10).status == 201
    # usage comes from the cached container info (Swift's too): a POST refreshes it
    assert mw.raw('POST', '/' + name, headers={'X-Container-Meta-A': '1'}).status == 204
    resp = mw.raw('PUT', '/%s/over' % name, body=b'y')
    assert (resp.status, resp.body) == (413, b'Upload exceeds quota.')
    assert mw.raw('HEAD', '/%s/over' % name).status == 404
    counted = _container(mw, **{'X-Container-Meta-Quota-Count': '1'})
    assert mw.raw('PUT', '/%s/one' % counted, body=b'1').status == 201
    assert mw.raw('POST', '/' + counted, headers={'X-Container-Meta-A': '1'}).status == 204
    assert mw.raw('PUT', '/%s/two' % counted, body=b'2').status == 413
    resp = mw.raw('POST', '/' + name, headers={'X-Container-Meta-Quota-Bytes': 'lots'})
    assert (resp.status, resp.body) == (400, b'Invalid bytes quota.')
    # a stranger learns nothing about the quota
    token3 = _token(mw, 'test:tester3', 'testing3')
    assert mw.raw('PUT', '/%s/over' % name, body=b'y', token=token3).status == 403
    assert mw.raw('PUT', '/%s/over' % name, body=b'y', token=None).status == 401


def test_bl21_account_quota_on_an_empty_account(mw):
    needs(mw, 'account_quotas')
    reseller = _token(mw, 'admin:admin', 'admin')
    token2 = _token(mw, 'test2:tester2', 'testing2')
    path = '/v1/AUTH_test2'
    # only a reseller admin may set a quota
    assert mw.raw('POST', '', account_path=path, token=token2, headers={
        'X-Account-Meta-Quota-Bytes': '10'}).status == 403
    name = 'quota-' + uuid.uuid4().hex[:8]
    assert mw.raw('PUT', '/' + name, account_path=path, token=token2).status == 201
    try:
        assert mw.raw('POST', '', account_path=path, token=reseller, headers={
            'X-Account-Meta-Quota-Bytes': '10'}).status == 204
        resp = mw.raw('PUT', '/%s/o' % name, account_path=path, token=token2,
                      body=b'z' * 100)
        assert (resp.status, resp.body) == (413, b'Upload exceeds quota.')
        assert mw.raw('HEAD', '/%s/o' % name, account_path=path,
                      token=token2).status == 404
        # unauthorized users get 401/403, not 413
        assert mw.raw('PUT', '/%s/o' % name, account_path=path, body=b'z' * 100,
                      token=None).status == 401
        assert mw.raw('PUT', '/%s/o' % name, account_path=path,
                      body=b'z' * 100).status == 403
        assert mw.raw('POST', '', account_path=path, token=reseller, headers={
            'X-Account-Meta-Quota-Bytes': 'ten'}).status == 400
    finally:
        mw.raw('POST', '', account_path=path, token=reseller, headers={
            'X-Remove-Account-Meta-Quota-Bytes': 'x'})
        mw.raw('DELETE', '/' + name, account_path=path, token=token2)
    container = 'quota2-' + uuid.uuid4().hex[:8]
    assert mw.raw('PUT', '/' + container, account_path=path, token=token2).status == 201
    assert mw.raw('PUT', '/%s/o' % container, account_path=path, token=token2,
                  body=b'z' * 100).status == 201
    mw.raw('DELETE', '/%s/o' % container, account_path=path, token=token2)
    mw.raw('DELETE', '/' + container, account_path=path, token=token2)


# ------------------------------------------------------------------ ratelimit

def test_ratelimit_blacklist_and_slow_down(mw):
    needs(mw, 'ratelimit')
    info = _info(mw.auth_url)['ratelimit']
    assert 'max_sleep_time_seconds' in info
    if not isinstance(mw, ExtraProxy):
        pytest.skip('needs the test proxy\'s ratelimit settings')
    reseller = _token(mw, 'admin:admin', 'admin')
    resp = mw.raw('PUT', '/c', account_path='/v1/AUTH_blocked', token=reseller)
    assert (resp.status, resp.body) == (497, b'Your account has been blacklisted')
    # account_ratelimit 0.5/s with max_sleep 1 s: the second quick container PUT
    # would have to wait 2 s, so it is refused with 498 Slow down
    account = '/v1/AUTH_rl' + uuid.uuid4().hex[:8]
    statuses = [mw.raw('PUT', '/c%d' % i, account_path=account, token=reseller).status
                for i in range(3)]
    assert statuses[0] == 201
    assert 498 in statuses[1:], statuses
    # whitelisted accounts are never limited
    names = [_container(mw) for _ in range(3)]
    assert len(names) == 3


# ------------------------------------------------------------------ name_check, crossdomain

def test_name_check(mw):
    needs(mw, 'name_check')
    name = _container(mw)
    resp = mw.raw('PUT', '/%s/bad%%22quote' % name, body=b'x')
    assert resp.status == 400
    assert resp.body.startswith(b'Object/Container/Account name contains forbidden chars')
    resp = mw.raw('PUT', '/%s/%s' % (name, 'n' * 300), body=b'x')
    assert resp.status == 400
    assert b'longer than the allowed maximum' in resp.body
    resp = mw.raw('PUT', '/%s/a/./b' % name, body=b'x')
    assert resp.status == 400
    assert b'forbidden substring' in resp.body
    assert mw.raw('PUT', '/%s/fine' % name, body=b'x').status == 201


def test_crossdomain(mw):
    needs(mw, 'crossdomain')
    parsed = urllib.parse.urlparse(mw.auth_url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        conn.request('GET', '/crossdomain.xml')
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    assert resp.status == 200
    assert resp.getheader('Content-Type').startswith('application/xml')
    assert b'<cross-domain-policy>' in body
    assert b'<allow-access-from domain="*" secure="false" />' in body


# ------------------------------------------------------------------ CORS (in the proxy)

def test_cors_preflight_and_actual_requests(cluster):
    name = 'cors-' + uuid.uuid4().hex[:8]
    cluster.raw('PUT', '/' + name, headers={
        'X-Container-Meta-Access-Control-Allow-Origin': 'http://good.example',
        'X-Container-Meta-Access-Control-Max-Age': '600',
        'X-Container-Meta-Access-Control-Expose-Headers': 'X-Object-Meta-Thing'})
    cluster.raw('PUT', '/%s/o' % name, body=b'cors', headers={
        'X-Object-Meta-Thing': '1'})
    pre = cluster.raw('OPTIONS', '/%s/o' % name, token=None, headers={
        'Origin': 'http://good.example', 'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'x-auth-token'})
    assert pre.status == 200
    assert pre.headers['access-control-allow-origin'] == 'http://good.example'
    assert pre.headers['access-control-max-age'] == '600'
    assert 'GET' in pre.headers['access-control-allow-methods']
    assert pre.headers['access-control-allow-headers'] == 'x-auth-token'
    for origin, method in (('http://evil.example', 'GET'),
                           ('http://good.example', 'TRACE')):
        assert cluster.raw('OPTIONS', '/%s/o' % name, token=None, headers={
            'Origin': origin, 'Access-Control-Request-Method': method}).status == 401
    plain = cluster.raw('OPTIONS', '/%s/o' % name, token=None)
    assert plain.status == 200 and 'GET' in plain.headers['allow']

    got = cluster.raw('GET', '/%s/o' % name, headers={'Origin': 'http://good.example'})
    assert got.body == b'cors'
    assert got.headers['access-control-allow-origin'] == 'http://good.example'
    exposed = got.headers['access-control-expose-headers'].split(', ')
    assert 'etag' in exposed and 'x-object-meta-thing' in exposed
    other = cluster.raw('GET', '/%s/o' % name, headers={'Origin': 'http://evil.example'})
    assert other.status == 200
    assert 'access-control-allow-origin' not in other.headers   # strict_cors_mode


def test_cors_allow_origin_option(mw):
    if not isinstance(mw, ExtraProxy):
        pytest.skip('needs the test proxy\'s cors_allow_origin')
    name = _container(mw)
    pre = mw.raw('OPTIONS', '/' + name, token=None, headers={
        'Origin': 'http://everywhere.example', 'Access-Control-Request-Method': 'PUT'})
    assert pre.status == 200
    assert pre.headers['access-control-allow-origin'] == 'http://everywhere.example'


# ------------------------------------------------------------------ token expiry, 408

@pytest.fixture(scope='module')
def tuned(cluster, tmp_path_factory):
    """A proxy with short token_life and client_timeout, and disallowed_sections."""
    if not cluster.local:
        pytest.skip('starts a proxy beside a local all-in-one')
    workdir = str(tmp_path_factory.mktemp('tuned'))
    proxy = ExtraProxy(cluster, workdir,
                       'catch_errors gatekeeper healthcheck proxy-logging cache '
                       'listing_formats tempauth proxy-logging proxy-server',
                       app_options={'client_timeout': '2',
                                    'disallowed_sections': 'tempauth, swift.max_file_size'},
                       filter_options={
                           'tempauth': {'token_life': '2', 'user_test_brief': 'brief .admin',
                                        'reseller_prefix': 'AUTH, SERVICE'},
                           'healthcheck': {'disable_path': os.path.join(workdir, 'off')}})
    proxy.disable_path = os.path.join(workdir, 'off')
    try:
        yield proxy.start()
    finally:
        proxy.stop()


def test_token_expiry(tuned):
    token, _url = tuned.authenticate(user='test:brief', key='brief')
    assert tuned.raw('HEAD', '', token=token).status == 204
    time.sleep(3)
    assert tuned.raw('HEAD', '', token=token).status == 401
    fresh, _url = tuned.authenticate(user='test:brief', key='brief')
    assert fresh != token
    assert tuned.raw('HEAD', '', token=fresh).status == 204


def test_client_timeout_is_408(tuned):
    name = 'slow-' + uuid.uuid4().hex[:8]
    assert tuned.raw('PUT', '/' + name).status == 201
    path = '/v1/AUTH_test/%s/slow' % name
    sock = socket.create_connection(('127.0.0.1', tuned.port), timeout=30)
    try:
        sock.sendall(('PUT %s HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\n'
                      'Content-Length: 100\r\n\r\n' % (path, tuned.token)).encode()
                     + b'x' * 10)
        started = time.monotonic()
        reply = sock.recv(200)
        assert reply.startswith(b'HTTP/1.1 408'), reply
        assert 1.5 < time.monotonic() - started < 10
    finally:
        sock.close()
    assert tuned.raw('HEAD', '/%s/slow' % name).status == 404


def test_disallowed_sections(tuned):
    info = _info(tuned.auth_url)
    assert 'tempauth' not in info
    assert 'max_file_size' not in info['swift']
    assert 'max_meta_count' in info['swift']


def test_healthcheck_disable_path(tuned):
    def healthcheck():
        conn = http.client.HTTPConnection('127.0.0.1', tuned.port, timeout=30)
        try:
            conn.request('GET', '/healthcheck')
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()
    assert healthcheck() == (200, b'OK')
    with open(tuned.disable_path, 'w'):
        pass
    try:
        assert healthcheck() == (503, b'DISABLED BY FILE')
    finally:
        os.unlink(tuned.disable_path)
    assert healthcheck() == (200, b'OK')


def test_several_reseller_prefixes(tuned, cluster):
    """The owner of AUTH_test also owns SERVICE_test; others may not use it."""
    service = '/v1/SERVICE_test'
    assert tuned.raw('PUT', '/svc', account_path=service).status in (201, 202)
    assert tuned.raw('PUT', '/svc/o', account_path=service, body=b's').status == 201
    assert tuned.raw('GET', '/svc/o', account_path=service).body == b's'
    token2, _ = cluster.authenticate(user='test2:tester2', key='testing2')
    assert tuned.raw('GET', '/svc/o', account_path=service, token=token2).status == 403
    assert tuned.raw('GET', '/svc/o', account_path=service, token=None).status == 401
    # an account of no reseller prefix is refused
    assert tuned.raw('GET', '', account_path='/v1/OTHER_test').status in (401, 403)
    tuned.raw('DELETE', '/svc/o', account_path=service)
    tuned.raw('DELETE', '/svc', account_path=service)
