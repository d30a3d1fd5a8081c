"""Form uploads over HTTP: a browser-like multipart/form-data POST without a token,
signed by hand and by ``swift-form-signature``; redirects, limits, refusals."""

import hashlib
import hmac
import subprocess
import time
import uuid

import pytest

from test.helpers.cluster import command

pytestmark = pytest.mark.functional

KEY = 'functional-formpost-key'
BOUNDARY = '----WebKitFormBoundary7MA4YWxkTrZu0gW'


@pytest.fixture(scope='module')
def setup(cluster):
    info = cluster.raw('GET', '/info', token=None, account_path='').json()
    if 'formpost' not in info:
        pytest.skip('the cluster has no formpost middleware')
    account = cluster.storage_url.rstrip('/').rsplit('/', 1)[-1]
    container = 'formpost-%s' % uuid.uuid4().hex[:8]
    assert cluster.raw('PUT', '/' + container, headers={
        'X-Container-Meta-Temp-URL-Key': KEY}).status in (201, 202)
    return account, container, info


def sign(path, redirect, max_file_size, max_file_count, expires, key=KEY):
    message = '%s\n%s\n%s\n%s\n%s' % (path, redirect, max_file_size, max_file_count,
                                      expires)
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def html_form_body(fields, files):
    """What a browser sends for <form enctype="multipart/form-data">."""
    out = []
    for name, value in fields:
        out.append(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                    % (BOUNDARY, name, value)).encode())
    for name, filename, data, ctype in files:
        out.append(('--%s\r\nContent-Disposition: form-data; name="%s"; '
                    'filename="%s"\r\nContent-Type: %s\r\n\r\n'
                    % (BOUNDARY, name, filename, ctype)).encode() + data + b'\r\n')
    out.append(('--%s--\r\n' % BOUNDARY).encode())
    return b''.join(out)


def fields_for(path, redirect='', max_file_size=1024, max_file_count=5, expires=None,
               signature=None):
    expires = expires or int(time.time()) + 600
    return [('redirect', redirect), ('max_file_size', str(max_file_size)),
            ('max_file_count', str(max_file_count)), ('expires', str(expires)),
            ('signature', signature or sign(path, redirect, max_file_size,
                                            max_file_count, expires))]


def post_form(cluster, path, body):
    return cluster.raw('POST', path, body=body, token=None, account_path='', headers={
        'Content-Type': 'multipart/form-data; boundary=%s' % BOUNDARY})


def test_info_section(setup):
    assert setup[2]['formpost']['allowed_digests'] == ['sha1', 'sha256', 'sha512']


def test_upload_with_redirect(cluster, setup):
    account, container, _info = setup
    path = '/v1/%s/%s/up_' % (account, container)
    redirect = 'https://example.com/thanks'
    body = html_form_body(fields_for(path, redirect, max_file_size=4096),
                          [('file1', 'a.txt', b'first file', 'text/plain'),
                           ('file2', 'b.bin', bytes(range(256)) * 8,
                            'application/octet-stream')])
    resp = post_form(cluster, path, body)
    assert resp.status == 303, resp
    assert resp.headers['location'] == redirect + '?status=201&message='
    got = cluster.raw('GET', '/%s/up_a.txt' % container)
    assert (got.status, got.body) == (200, b'first file')
    assert got.headers['content-type'] == 'text/plain'
    assert cluster.raw('GET', '/%s/up_b.bin' % container).body == bytes(range(256)) * 8


def test_upload_without_redirect_and_delete_after(cluster, setup):
    account, container, _info = setup
    path = '/v1/%s/%s' % (account, container)
    fields = fields_for(path) + [('x_delete_after', '3600')]
    resp = post_form(cluster, path, html_form_body(
        fields, [('file', 'plain.txt', b'x', 'text/plain')]))
    assert (resp.status, resp.body) == (201, b'201 Created')
    head = cluster.raw('HEAD', '/%s/plain.txt' % container)
    assert head.status == 200
    assert abs(int(head.headers['x-delete-at']) - (time.time() + 3600)) < 120


def test_swift_form_signature_output_signs_a_working_form(cluster, setup):
    account, container, _info = setup
    path = '/v1/%s/%s/cli_' % (account, container)
    proc = subprocess.run(command('swift-form-signature') + [
        path, '', '100', '1', '600', KEY], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    expires = lines[0].split()[1]
    signature = lines[1].split()[1]
    fields = [('max_file_size', '100'), ('max_file_count', '1'), ('expires', expires),
              ('signature', signature)]
    resp = post_form(cluster, path, html_form_body(
        fields, [('file0', 'f.txt', b'from the cli form', 'text/plain')]))
    assert resp.status == 201, resp
    assert cluster.raw('GET', '/%s/cli_f.txt' % container).body == b'from the cli form'


def test_swift_form_signature_bad_input(cluster):
    proc = subprocess.run(command('swift-form-signature') + [
        '/v1/a', '', '100', '1', '600', KEY], capture_output=True, timeout=60)
    assert proc.returncode == 1
    assert b'<path> must point to a container at least.' in proc.stderr
    assert b'Traceback' not in proc.stderr


def test_file_too_large_is_refused_and_not_stored(cluster, setup):
    account, container, _info = setup
    path = '/v1/%s/%s' % (account, container)
    body = html_form_body(fields_for(path, max_file_size=1024),
                          [('file', 'big.bin', b'z' * 70000, 'application/x')])
    resp = post_form(cluster, path, body)
    assert (resp.status, resp.body) == (400, b'FormPost: max_file_size exceeded')
    assert cluster.raw('HEAD', '/%s/big.bin' % container).status == 404


def test_expired_and_tampered_forms_are_refused(cluster, setup):
    account, container, _info = setup
    path = '/v1/%s/%s' % (account, container)
    past = int(time.time()) - 10
    files = [('file', 'refused.txt', b'no', 'text/plain')]
    resp = post_form(cluster, path, html_form_body(fields_for(path, expires=past), files))
    assert (resp.status, resp.body) == (401, b'FormPost: Form Expired')
    tampered = fields_for(path)
    tampered[1] = ('max_file_size', '999999')
    resp = post_form(cluster, path, html_form_body(tampered, files))
    assert (resp.status, resp.body) == (401, b'FormPost: Invalid Signature')
    wrong_key = fields_for(path, signature=sign(path, '', 1024, 5, past + 700, 'nope'),
                           expires=past + 700)
    resp = post_form(cluster, path, html_form_body(wrong_key, files))
    assert resp.status == 401
    assert cluster.raw('HEAD', '/%s/refused.txt' % container).status == 404


def test_max_file_count_and_no_files(cluster, setup):
    account, container, _info = setup
    path = '/v1/%s/%s/count_' % (account, container)
    files = [('f1', 'one.txt', b'1', 'text/plain'), ('f2', 'two.txt', b'2', 'text/plain')]
    resp = post_form(cluster, path, html_form_body(fields_for(path, max_file_count=1),
                                                   files))
    assert resp.status == 400
    assert resp.body == b'400 Bad Request\r\nFormPost: Max File Count Exceeded'
    assert cluster.raw('HEAD', '/%s/count_one.txt' % container).status == 200
    assert cluster.raw('HEAD', '/%s/count_two.txt' % container).status == 404
    resp = post_form(cluster, path, html_form_body(fields_for(path), []))
    assert resp.body == b'400 Bad Request\r\nFormPost: No Files To Process'
    resp = post_form(cluster, path, b'not a form at all')
    assert (resp.status, resp.body) == (400, b'FormPost: invalid starting boundary')


def test_truncated_form_stores_nothing(cluster, setup):
    account, container, _info = setup
    path = '/v1/%s/%s' % (account, container)
    body = html_form_body(fields_for(path, max_file_size=100000),
                          [('file', 'cut.bin', b'c' * 20000, 'application/x')])
    cut = body[:-len(b'\r\n--%s--\r\n' % BOUNDARY.encode()) - 100]
    resp = post_form(cluster, path, cut)
    assert (resp.status, resp.body) == (400, b'FormPost: premature end of form body')
    assert cluster.raw('HEAD', '/%s/cut.bin' % container).status == 404
