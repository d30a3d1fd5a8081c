"""Acceptance of the all-in-one with python-swiftclient's `swift` CLI and curl (issue 2)."""

import hashlib
import json
import os
import subprocess

import pytest

pytestmark = pytest.mark.functional


def _md5_file(path):
    digest = hashlib.md5()
    with open(path, 'rb') as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def test_stat_post_upload_list_download_delete(cluster, tmp_path):
    swift = cluster.swift_cli
    out = swift('stat')
    assert 'Account: AUTH_test' in out

    swift('post', 'c1')
    big = tmp_path / 'big.bin'
    with open(big, 'wb') as fp:
        for i in range(50):
            fp.write(hashlib.sha512(b'%d' % i).digest() * (1024 * 1024 // 64))
    assert big.stat().st_size == 50 * 1024 * 1024

    small_dir = tmp_path / 'small'
    small_dir.mkdir()
    for i in range(200):
        (small_dir / ('f%03d.txt' % i)).write_bytes(b'small file %d\n' % i)

    os.chdir(tmp_path)
    swift('upload', 'c1', 'big.bin')
    swift('upload', 'c1', 'small')

    listing = swift('list', 'c1').split()
    assert 'big.bin' in listing
    assert len([n for n in listing if n.startswith('small/')]) == 200
    assert len(listing) == 201
    prefixed = swift('list', 'c1', '--prefix', 'small/f1').split()
    assert prefixed == ['small/f%03d.txt' % i for i in range(100, 200)]

    # container and account stats show the right counts and bytes
    small_bytes = sum(len(b'small file %d\n' % i) for i in range(200))
    total = 50 * 1024 * 1024 + small_bytes
    stat = swift('stat', 'c1')
    assert _stat_value(stat, 'Objects') == '201'
    assert _stat_value(stat, 'Bytes') == str(total)
    listing = cluster.json_get('/c1?format=json&limit=5')
    assert [e['name'] for e in listing][:1] == ['big.bin']
    assert listing[0]['bytes'] == 50 * 1024 * 1024
    cluster.run_container_updaters()
    account = cluster.json_get('?format=json')
    entry = [c for c in account if c['name'] == 'c1'][0]
    assert entry['count'] == 201
    assert entry['bytes'] == total

    download = tmp_path / 'dl'
    download.mkdir()
    swift('download', 'c1', 'big.bin', '-o', str(download / 'big.bin'))
    assert _md5_file(download / 'big.bin') == _md5_file(big)
    swift('download', 'c1', 'small/f007.txt', '-o', str(download / 'f007.txt'))
    assert (download / 'f007.txt').read_bytes() == b'small file 7\n'

    swift('delete', 'c1')
    result = cluster.raw('HEAD', '/c1')
    assert result.status == 404


def _stat_value(output, key):
    for line in output.splitlines():
        name, _, value = line.partition(':')
        if name.strip() == key:
            return value.strip()
    raise AssertionError('%s not in %r' % (key, output))


def test_curl_head_shows_swift_headers(cluster):
    cluster.raw('PUT', '/curlc')
    cluster.raw('PUT', '/curlc/obj', body=b'hello swift\n')
    proc = subprocess.run(
        ['curl', '-s', '-I', '-H', 'X-Auth-Token: ' + cluster.token,
         cluster.storage_url + '/curlc/obj'],
        capture_output=True, check=True, timeout=30)
    headers = {}
    lines = proc.stdout.decode('latin-1').split('\r\n')
    assert lines[0].startswith('HTTP/1.1 200')
    for line in lines[1:]:
        if ':' in line:
            name, _, value = line.partition(':')
            headers[name.strip().lower()] = value.strip()
    assert headers['etag'] == hashlib.md5(b'hello swift\n').hexdigest()
    assert headers['content-length'] == '12'
    for name in ('x-timestamp', 'x-trans-id', 'last-modified'):
        assert headers.get(name), name


def test_three_copies_on_three_nodes_in_swift_layout(cluster):
    cluster.raw('PUT', '/layout')
    resp = cluster.raw('PUT', '/layout/thing', body=b'x' * 100)
    assert resp.status == 201
    locations = cluster.object_files('AUTH_test', 'layout', 'thing')
    assert len(locations) == 3
    nodes = {node for node, _path in locations}
    assert len(nodes) == 3
    for _node, path in locations:
        name = os.path.basename(path)
        assert name.endswith('.data')
        parts = path.split(os.sep)
        # .../<dev>/objects/<part>/<suffix>/<hash>/<ts>.data
        assert parts[-5] == 'objects'
        assert parts[-3] == parts[-2][-3:]
        assert os.path.getsize(path) == 100


def test_listing_formats(cluster):
    cluster.raw('PUT', '/fmt')
    for name in ('a', 'b/c', 'b/d'):
        cluster.raw('PUT', '/fmt/' + name, body=b'12')
    resp = cluster.raw('GET', '/fmt?delimiter=/')
    assert resp.status == 200
    assert resp.body == b'a\nb/\n'
    data = json.loads(cluster.raw('GET', '/fmt?format=json').body)
    assert [e['name'] for e in data] == ['a', 'b/c', 'b/d']
    assert all(e['bytes'] == 2 for e in data)
    xml = cluster.raw('GET', '/fmt?format=xml').body
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert b'<name>b/c</name>' in xml
    empty = cluster.raw('GET', '/fmt?prefix=zzz')
    assert empty.status == 204
