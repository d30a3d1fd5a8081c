"""swift-object-info on object files laid out as Swift wrote them."""

import os

from swift.cli.object_info import main
from test.unit.obj.golden import b64, fixture_path, load_json


def _lay_out(tmp_path, label_object):
    layout = load_json('objects', 'layout.json')
    for obj in layout['objects']:
        if obj['object'] != label_object:
            continue
        finfo = obj['files'][0]
        hash_dir = tmp_path / obj['device'] / obj['relpath']
        hash_dir.mkdir(parents=True)
        path = hash_dir / finfo['name']
        path.write_bytes(b64(finfo['content_b64']))
        for name, value in finfo['xattrs_b64'].items():
            os.setxattr(str(path), name, b64(value))
        return str(path), obj
    raise AssertionError(label_object)


def test_object_info_on_swift_data_file(tmp_path, capsys):
    path, obj = _lay_out(tmp_path, 'meta-utf8.txt')
    assert main([path, '--swift-dir', fixture_path('objects', 'cluster-etc')]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:9] == [
        'Path: /AUTH_test/fixtures/meta-utf8.txt',
        '  Account: AUTH_test',
        '  Container: fixtures',
        '  Object: meta-utf8.txt',
        '  Object hash: %s' % obj['hash'],
        'Content-Type: text/plain',
        'Timestamp: 2026-11-29T22:08:37.878700 (1795990117.87870)',
        'System Metadata:',
        '  No metadata found',
    ]
    assert 'User Metadata:' in out
    assert '  X-Object-Meta-Name: café ☃' in out
    assert '  Content-Disposition: attachment; filename="x.txt"' in out
    assert 'ETag: d8ad4adb9c65f19b654b7110af148c5b (valid)' in out
    assert 'Content-Length: 10 (valid)' in out
    assert 'Partition\t%s' % obj['partition'] in out
    assert any(line.startswith('Server:Port Device\t') for line in out)
    assert any(obj['relpath'] in line and line.startswith('ssh ') for line in out)


def test_object_info_detects_bad_etag_and_length(tmp_path, capsys):
    path, _ = _lay_out(tmp_path, 'meta.txt')
    with open(path, 'ab') as fp:
        fp.write(b'!')
    assert main([path, '-d', str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "doesn't match file hash of" in out
    assert "Content-Length: 12 doesn't match file length of 13" in out
    assert main([path, '-n', '-d', str(tmp_path)]) == 0
    assert '(not checked)' in capsys.readouterr().out


def test_object_info_errors(tmp_path, capsys):
    assert main([str(tmp_path / 'missing.data')]) == 1
    assert capsys.readouterr().out == "Data file doesn't exist\n"
    plain = tmp_path / 'plain.data'
    plain.write_bytes(b'x')
    assert main([str(plain), '-d', str(tmp_path)]) == 1
    assert capsys.readouterr().out.startswith('Invalid metadata')


def test_drop_prefixes(tmp_path, capsys):
    path, _ = _lay_out(tmp_path, 'meta.txt')
    assert main([path, '--drop-prefixes', '-d', str(tmp_path)]) == 0
    assert '  Color: blue' in capsys.readouterr().out.splitlines()
