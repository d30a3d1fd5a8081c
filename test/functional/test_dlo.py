"""Dynamic Large Objects over HTTP: python-swiftclient's ``--use-dlo`` upload and
download, ranges (BL-16), conditionals, ACLs on segments, COPY and failures."""

import hashlib
import http.client
import json
import os
import shutil
import subprocess
import time
import urllib.parse
import uuid

import pytest

pytestmark = pytest.mark.functional

SEGMENT_BODIES = [b'aaaaaaaaaa', b'bbbbbbbbbb', b'cccccccccc', b'dddddddddd',
                  b'eeeeeeeeee']
WHOLE = b''.join(SEGMENT_BODIES)


def _md5_file(path):
    digest = hashlib.md5()
    with open(path, 'rb') as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _dlo_etag(bodies):
    return hashlib.md5(''.join(hashlib.md5(b).hexdigest()
                               for b in bodies).encode('ascii')).hexdigest()


def _put(cluster, path, body=b'', headers=None, expect=201):
    resp = cluster.raw('PUT', path, body=body, headers=headers)
    assert resp.status == expect, resp
    return resp


@pytest.fixture
def five_segments(cluster):
    """BL-16's layout: c/seg_1..seg_5 of 10 bytes each and the manifest c/man."""
    container = 'dlo-%s' % uuid.uuid4().hex[:8]
    _put(cluster, '/%s' % container)
    for index, body in enumerate(SEGMENT_BODIES, 1):
        _put(cluster, '/%s/seg_%d' % (container, index), body)
    _put(cluster, '/%s/man' % container, b'',
         {'X-Object-Manifest': '%s/seg_' % container, 'Content-Type': 'text/x-dlo',
          'X-Object-Meta-Color': 'blue'})
    return container


def test_swiftclient_upload_use_dlo_and_download_round_trip(cluster, tmp_path):
    size = 3 * 1024 * 1024 + 512 * 1024 + 123           # ~3.5 MiB: 4 segments
    data = os.urandom(size)
    (tmp_path / 'big.bin').write_bytes(data)
    container = 'dlocli-%s' % uuid.uuid4().hex[:8]
    os.chdir(tmp_path)
    cluster.swift_cli('upload', '-S', '1048576', '--use-dlo', container, 'big.bin')

    # swiftclient's layout: the manifest in <container>, segments in <container>_segments
    assert cluster.swift_cli('list', container).split() == ['big.bin']
    segments = cluster.json_get('/%s_segments?format=json' % container)
    assert len(segments) == 4
    assert all(s['name'].startswith('big.bin/') for s in segments)
    assert [s['bytes'] for s in segments] == [1048576] * 3 + [size - 3 * 1048576]
    head = cluster.raw('HEAD', '/%s/big.bin' % container)
    assert head.status == 200
    assert head.headers['content-length'] == str(size)
    assert head.headers['x-object-manifest'].startswith('%s_segments/big.bin/' % container)
    expected_etag = hashlib.md5(''.join(s['hash'] for s in segments).encode()).hexdigest()
    assert head.headers['etag'] == '"%s"' % expected_etag
    # the listing shows the manifest itself as a 0-byte object
    listing = cluster.json_get('/%s?format=json' % container)
    assert [(e['name'], e['bytes']) for e in listing] == [('big.bin', 0)]

    out = tmp_path / 'out'
    out.mkdir()
    os.chdir(out)
    cluster.swift_cli('download', container, 'big.bin')
    assert _md5_file(out / 'big.bin') == hashlib.md5(data).hexdigest()

    # a range across the first segment boundary reads only what it needs
    resp = cluster.raw('GET', '/%s/big.bin' % container,
                       headers={'Range': 'bytes=1048570-1048585'})
    assert resp.status == 206
    assert resp.body == data[1048570:1048586]
    assert resp.headers['content-range'] == 'bytes 1048570-1048585/%d' % size
    resp = cluster.raw('GET', '/%s/big.bin' % container, headers={'Range': 'bytes=-100'})
    assert resp.status == 206
    assert resp.body == data[-100:]

    # stat and delete the way a client does (swift delete removes the segments too)
    stat = cluster.swift_cli('stat', container, 'big.bin')
    assert 'Manifest: %s_segments/big.bin/' % container in stat
    cluster.swift_cli('delete', container, 'big.bin')
    assert cluster.json_get('/%s_segments?format=json' % container) == []


def test_bl16_multi_range_get_returns_whole_object(cluster, five_segments):
    path = '/%s/man' % five_segments
    resp = cluster.raw('GET', path, headers={'Range': 'bytes=0-4,10-14'})
    assert resp.status == 200
    assert resp.body == b'aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeee'
    # a single range on a DLO still gets 206
    resp = cluster.raw('GET', path, headers={'Range': 'bytes=8-12'})
    assert resp.status == 206
    assert resp.body == b'aabbb'
    assert resp.headers['content-range'] == 'bytes 8-12/50'


def test_get_and_head_of_manifest(cluster, five_segments):
    path = '/%s/man' % five_segments
    resp = cluster.raw('GET', path)
    assert resp.status == 200
    assert resp.body == WHOLE
    assert resp.headers['etag'] == '"%s"' % _dlo_etag(SEGMENT_BODIES)
    assert resp.headers['content-type'] == 'text/x-dlo'
    assert resp.headers['x-object-meta-color'] == 'blue'
    assert resp.headers['x-object-manifest'] == '%s/seg_' % five_segments
    assert 'last-modified' in resp.headers
    head = cluster.raw('HEAD', path)
    assert head.status == 200
    assert head.headers['content-length'] == '50'
    assert head.headers['etag'] == resp.headers['etag']
    raw = cluster.raw('GET', path + '?multipart-manifest=get')
    assert raw.status == 200
    assert raw.body == b''
    assert raw.headers['etag'] == hashlib.md5(b'').hexdigest()
    assert cluster.raw('GET', path, headers={'Range': 'bytes=50-60'}).status == 416


def test_conditional_requests_use_dlo_etag(cluster, five_segments):
    path = '/%s/man' % five_segments
    etag = _dlo_etag(SEGMENT_BODIES)
    resp = cluster.raw('GET', path, headers={'If-Match': '"%s"' % etag})
    assert (resp.status, resp.body) == (200, WHOLE)
    assert resp.headers['content-type'] == 'text/x-dlo'
    assert cluster.raw('GET', path, headers={'If-Match': 'nope'}).status == 412
    assert cluster.raw('GET', path, headers={'If-None-Match': etag}).status == 304
    resp = cluster.raw('GET', path,
                       headers={'If-None-Match': hashlib.md5(b'').hexdigest()})
    assert (resp.status, resp.body) == (200, WHOLE)
    last_modified = cluster.raw('HEAD', path).headers['last-modified']
    resp = cluster.raw('GET', path, headers={'If-Modified-Since': last_modified})
    assert resp.status == 304


def test_put_with_bad_manifest_is_400(cluster, five_segments):
    for value in ('nocontainer', '%s/' % five_segments, '/seg_'):
        resp = cluster.raw('PUT', '/%s/bad' % five_segments, body=b'',
                           headers={'X-Object-Manifest': value})
        assert resp.status == 400, value
        assert resp.body == b'X-Object-Manifest must be in the format container/prefix'
    assert cluster.raw('HEAD', '/%s/bad' % five_segments).status == 404


def test_manifest_body_is_stored_as_given(cluster, five_segments):
    path = '/%s/withbody' % five_segments
    _put(cluster, path, b'ignored text', {'X-Object-Manifest': '%s/seg_' % five_segments})
    assert cluster.raw('GET', path).body == WHOLE
    assert cluster.raw('GET', path + '?multipart-manifest=get').body == b'ignored text'


def test_segments_read_with_callers_rights(cluster, five_segments):
    """tester3 (no .admin) may read the manifest's container but not the segments'."""
    public = 'dlopub-%s' % uuid.uuid4().hex[:8]
    _put(cluster, '/%s' % public, headers={'X-Container-Read': 'test:tester3'})
    _put(cluster, '/%s/man' % public, b'',
         {'X-Object-Manifest': '%s/seg_' % five_segments})
    token, _url = cluster.authenticate(user='test:tester3', key='testing3')
    resp = cluster.raw('GET', '/%s/man' % public, token=token)
    assert resp.status == 403
    assert resp.body != WHOLE
    # once the segment container is readable too, the same user gets the object
    resp = cluster.raw('POST', '/%s' % five_segments,
                       headers={'X-Container-Read': 'test:tester3'})
    assert resp.status == 204
    resp = cluster.raw('GET', '/%s/man' % public, token=token)
    assert (resp.status, resp.body) == (200, WHOLE)
    resp = cluster.raw('GET', '/%s/man' % public, token=None)
    assert resp.status == 401


def test_copy_of_manifest(cluster, five_segments):
    container = five_segments
    resp = cluster.raw('COPY', '/%s/man' % container,
                       headers={'Destination': '%s/flat' % container})
    assert resp.status == 201, resp
    flat = cluster.raw('GET', '/%s/flat' % container)
    assert flat.body == WHOLE
    assert 'x-object-manifest' not in flat.headers
    assert flat.headers['etag'] == hashlib.md5(WHOLE).hexdigest()
    assert flat.headers['x-object-meta-color'] == 'blue'

    resp = cluster.raw('COPY', '/%s/man?multipart-manifest=get' % container,
                       headers={'Destination': '%s/man2' % container})
    assert resp.status == 201, resp
    copy = cluster.raw('GET', '/%s/man2?multipart-manifest=get' % container)
    assert copy.headers['x-object-manifest'] == '%s/seg_' % container
    assert copy.body == b''
    assert cluster.raw('GET', '/%s/man2' % container).body == WHOLE
    # X-Copy-From behaves alike
    _put(cluster, '/%s/flat2' % container, b'',
         {'X-Copy-From': '/%s/man' % container})
    assert cluster.raw('GET', '/%s/flat2' % container).body == WHOLE


def test_segment_gone_after_listing_ends_body_early(cluster, five_segments):
    """A segment the listing names but the object servers lost: the client gets the
    bytes before it and a closed connection, quickly (no hang)."""
    container = five_segments
    files = cluster.object_files('AUTH_test', container, 'seg_3')
    assert files
    for _node, path in files:
        os.unlink(path)
    assert cluster.raw('GET', '/%s/seg_3' % container).status == 404
    started = time.monotonic()
    with pytest.raises(http.client.IncompleteRead) as caught:
        cluster.raw('GET', '/%s/man' % container)
    assert time.monotonic() - started < 20
    assert caught.value.partial == WHOLE[:20]
    # the first segment missing is a 409 before any byte
    for _node, path in cluster.object_files('AUTH_test', container, 'seg_1'):
        os.unlink(path)
    assert cluster.raw('GET', '/%s/man' % container).status == 409


def test_info_has_no_dlo_section_like_swift(cluster):
    info = json.loads(cluster.raw('GET', '/info', account_path='', token=None).body)
    assert 'dlo' not in info
    assert 'swift' in info


def _curl(cluster, *args):
    return subprocess.run(['curl', '-s', '-S', '-H', 'X-Auth-Token: ' + cluster.token]
                          + list(args), capture_output=True, timeout=60)


def test_curl_and_rclone_see_one_object(cluster, five_segments, tmp_path):
    url = '%s/%s/man' % (cluster.storage_url, five_segments)
    proc = _curl(cluster, url)
    assert (proc.returncode, proc.stdout) == (0, WHOLE)
    proc = _curl(cluster, '-r', '15-34', url)
    assert (proc.returncode, proc.stdout) == (0, WHOLE[15:35])
    if shutil.which('rclone') is None:
        pytest.skip('rclone not installed')
    remote = ':swift:'
    env = dict(os.environ, RCLONE_CONFIG=str(tmp_path / 'rclone.conf'),
               RCLONE_SWIFT_USER='%s:%s' % (cluster.account_name, cluster.user),
               RCLONE_SWIFT_KEY=cluster.key, RCLONE_SWIFT_AUTH=cluster.auth_url)
    proc = subprocess.run(['rclone', 'cat', remote + five_segments + '/man'],
                          capture_output=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == WHOLE
    proc = subprocess.run(['rclone', 'lsl', remote + five_segments, '--include', 'man'],
                          capture_output=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == b'50'      # rclone asks HEAD for a manifest's size


def test_unicode_names(cluster):
    container = 'dlo-\u00e9-%s' % uuid.uuid4().hex[:6]
    quoted = urllib.parse.quote(container.encode('utf-8'))
    _put(cluster, '/%s' % quoted)
    for index, body in enumerate((b'first ', b'second'), 1):
        _put(cluster, '/%s/%s' % (quoted, urllib.parse.quote('s\u00e9g\u2603/%d' % index)),
             body)
    manifest = urllib.parse.quote(('%s/s\u00e9g\u2603/' % container).encode('utf-8'))
    _put(cluster, '/%s/m%%C3%%A9' % quoted, b'', {'X-Object-Manifest': manifest})
    resp = cluster.raw('GET', '/%s/m%%C3%%A9' % quoted)
    assert (resp.status, resp.body) == (200, b'first second')


def test_copy_of_manifest_with_lost_segment_stores_nothing(cluster, five_segments):
    container = five_segments
    for _node, path in cluster.object_files('AUTH_test', container, 'seg_4'):
        os.unlink(path)
    resp = cluster.raw('COPY', '/%s/man' % container,
                       headers={'Destination': '%s/broken' % container})
    assert resp.status >= 400, resp
    assert cluster.raw('HEAD', '/%s/broken' % container).status == 404
