"""Golden-file tests: our readers and writers against files written by Swift 2.38."""

import hashlib
import os
import pickle

import pytest

from swift.common.hashing import HashPathConfig, hash_path
from swift.common.header_key_dict import HeaderKeyDict
from swift.obj import async_pending, metadata
from swift.obj.hashes import hash_suffix_dir, read_hashes
from swift.obj.ondisk import make_filename, parse_filename
from test.helpers.fake_xattrs import FakeXattrs
from test.unit.obj.golden import (HASH_PREFIX, HASH_SUFFIX, b64, fixture_path,
                                  load_json, object_files)

HASH_CONFIG = HashPathConfig(HASH_PREFIX, HASH_SUFFIX)


def _read(path):
    with open(path, 'rb') as fp:
        return fp.read()


def _joined_pickle(xattrs):
    chunks = []
    while True:
        name = 'user.swift.metadata%s' % (len(chunks) or '')
        if name not in xattrs:
            return b''.join(chunks)
        chunks.append(xattrs[name])


def test_every_fixture_file_metadata_reads_as_swift_read_it(tmp_path):
    fake = FakeXattrs()
    count = 0
    for obj, finfo, xattrs in object_files():
        path = tmp_path / ('f%d' % count)
        path.write_bytes(b'')
        for name, value in xattrs.items():
            fake.set(str(path), name, value)
        if 'metadata' in finfo:
            expected = finfo['metadata']
        else:  # split-meta replicas: identical xattrs to the first copy
            expected = metadata.decode_metadata(_joined_pickle(xattrs))
        got = metadata.read_metadata(str(path), fake)
        assert got == expected
        assert list(got) == list(expected)  # stored key order kept
        count += 1
    assert count >= 40


def test_utf8_values_are_wsgi_strings_and_name_is_real_text():
    for obj, finfo, xattrs in object_files():
        if obj['object'] == 'meta-utf8.txt' and finfo['name'].endswith('.data'):
            md = metadata.decode_metadata(_joined_pickle(xattrs))
            assert md['X-Object-Meta-Name'] == 'caf\xc3\xa9 \xe2\x98\x83'
            assert md['X-Object-Meta-Name'].encode('latin-1').decode('utf-8') == 'café ☃'
        if obj['hash'] == '9b77b5702e607725f0140311d626d31e':
            md = metadata.decode_metadata(_joined_pickle(xattrs))
            assert md['name'] == '/AUTH_test/fixtures/ünïcødé/☃/😀.txt'


def test_writing_the_same_dict_gives_identical_xattr_bytes():
    checked = 0
    for obj, finfo, xattrs in object_files():
        md = metadata.decode_metadata(_joined_pickle(xattrs))
        items = metadata.xattr_items(metadata.encode_metadata(md))
        assert dict(items) == xattrs
        assert [name for name, _ in items][-1] == 'user.swift.metadata_checksum'
        checked += 1
    assert checked >= 40


def test_split_metadata_is_cut_every_65536_bytes():
    for obj, finfo, xattrs in object_files():
        if obj['object'] != 'split-meta.bin':
            continue
        assert len(xattrs['user.swift.metadata']) == 65536
        assert len(xattrs['user.swift.metadata1']) == 72526 - 65536
        md = metadata.decode_metadata(_joined_pickle(xattrs))
        written = dict(metadata.xattr_items(metadata.encode_metadata(md)))
        assert written['user.swift.metadata'] == xattrs['user.swift.metadata']
        assert written['user.swift.metadata1'] == xattrs['user.swift.metadata1']
        return
    pytest.fail('split-meta.bin not in fixtures')


def test_write_metadata_through_xattrs_matches_fixture(tmp_path):
    fake = FakeXattrs()
    for index, (obj, finfo, xattrs) in enumerate(object_files()):
        md = metadata.decode_metadata(_joined_pickle(xattrs))
        path = tmp_path / ('w%d' % index)
        path.write_bytes(b'')
        metadata.write_metadata(str(path), md, fake)
        stored = fake.store[fake._key(str(path))]
        assert stored == xattrs


def test_object_names_hash_to_their_dirs_and_files_are_named_as_swift():
    for obj, finfo, _ in object_files():
        object_hash = hash_path(obj['account'], obj['container'], obj['object'],
                                config=HASH_CONFIG)
        assert object_hash == obj['hash']
        assert obj['suffix'] == object_hash[-3:]
        assert int(obj['partition']) == int(object_hash[:8], 16) >> 22
        parsed = parse_filename(finfo['name'])
        if 'metadata' in finfo and parsed.ext == '.meta' and \
                'Content-Type-Timestamp' in finfo['metadata']:
            ctype_ts = finfo['metadata']['Content-Type-Timestamp']
            assert parsed.ctype_timestamp.internal == ctype_ts
            assert make_filename(parsed.timestamp, '.meta', ctype_ts) == finfo['name']
        else:
            assert make_filename(parsed.timestamp, parsed.ext) == finfo['name']


def test_meta_name_with_content_type_delta():
    assert make_filename('1795990117.46277', '.meta', '1795990117.23691') == \
        '1795990117.46277-583a.meta'
    assert make_filename('1795990117.46277', '.meta', '1795990117.46277') == \
        '1795990117.46277+0.meta'
    info = parse_filename('1795990117.46277-583a.meta')
    assert info.ctype_timestamp.internal == '1795990117.23691'


def test_all_suffix_hashes_match_swift(tmp_path):
    layout = load_json('objects', 'layout.json')
    files_by_dir = {}
    for obj in layout['objects']:
        key = (obj['node'], obj['device'], obj['policy_dir'], obj['partition'])
        files_by_dir.setdefault(key, {}).setdefault(obj['suffix'], {})[obj['hash']] = \
            [f['name'] for f in obj['files']]
    checked = 0
    for part in layout['partitions']:
        key = (part['node'], part['device'], part['policy_dir'], part['partition'])
        pkl = [e for e in part['entries'] if e['name'] == 'hashes.pkl']
        if not pkl:
            continue
        expected = pickle.loads(b64(pkl[0]['content_b64']))
        for suffix in part['suffix_dirs']:
            suffix_dir = tmp_path.joinpath(*key, suffix)
            for object_hash, names in files_by_dir[key][suffix].items():
                hash_dir = suffix_dir / object_hash
                hash_dir.mkdir(parents=True)
                for name in names:
                    (hash_dir / name).write_bytes(b'')
            assert hash_suffix_dir(str(suffix_dir)) == expected[suffix], (key, suffix)
            checked += 1
    assert checked == 40


def test_hashes_pkl_reads_as_swift_wrote_it():
    raw = _read(fixture_path('objects', 'sample-partition-node1-d2-objects-205',
                             'hashes.pkl'))
    part_dir = os.path.dirname(fixture_path('objects',
                                            'sample-partition-node1-d2-objects-205',
                                            'hashes.pkl'))
    hashes = read_hashes(part_dir)
    assert hashes == pickle.loads(raw)
    assert hashes['valid'] is True
    assert list(hashes)[0] == 'valid' and list(hashes)[-1] == 'updated'
    assert raw[:2] == b'\x80\x02'  # protocol 2


def test_hashes_pkl_written_with_swift_shape(tmp_path):
    from swift.obj.hashes import write_hashes
    raw = _read(fixture_path('objects', 'sample-partition-node1-d2-objects-205',
                             'hashes.pkl'))
    write_hashes(str(tmp_path), pickle.loads(raw))
    assert (tmp_path / 'hashes.pkl').read_bytes() == raw


def test_async_pendings_read_as_swift_wrote_them():
    data = load_json('async_pending', 'async_pending.json')
    assert len(data['async_pending']) == 8
    for entry in data['async_pending']:
        raw = b64(entry['content_b64'])
        update = async_pending.decode_update(raw)
        assert isinstance(update['headers'], HeaderKeyDict)
        assert update['db_state'] == 'unsharded'
        assert update['op'] in ('PUT', 'DELETE')
        assert repr(dict(update, headers=dict(update['headers']))) == entry['pickle_repr']
        if update['op'] == 'DELETE':
            assert 'X-Size' not in update['headers']
        # and we write the very same bytes for the same dict
        rebuilt = async_pending.make_update(
            update['op'], update['account'], update['container'], update['obj'],
            list(update['headers'].items()), update['db_state'])
        assert async_pending.encode_update(rebuilt) == raw


def test_async_pending_file_name(tmp_path):
    data = load_json('async_pending', 'async_pending.json')
    for entry in data['async_pending']:
        update = async_pending.decode_update(b64(entry['content_b64']))
        object_hash = hash_path(update['account'], update['container'], update['obj'],
                                config=HASH_CONFIG)
        policy_index = int(update['headers']['X-Backend-Storage-Policy-Index'])
        written = async_pending.write_async_pending(
            str(tmp_path), policy_index, object_hash,
            update['headers']['X-Timestamp'], update)
        assert os.path.relpath(written, str(tmp_path)) == entry['path']
        assert _read(written) == b64(entry['content_b64'])


def test_restricted_unpickler_refuses_code():
    evil = b"cos\nsystem\n(S'echo hi'\ntR."
    with pytest.raises(async_pending.BadAsyncPending):
        async_pending.decode_update(evil)
    from swift.obj.errors import DiskFileBadMetadata
    with pytest.raises(DiskFileBadMetadata):
        metadata.decode_metadata(evil)


def test_checksum_is_md5_hex_of_whole_pickle():
    pickled = metadata.encode_metadata({'X-Timestamp': '1.00000', 'name': '/a/c/o'})
    items = dict(metadata.xattr_items(pickled))
    assert items['user.swift.metadata_checksum'] == \
        hashlib.md5(pickled).hexdigest().encode('ascii')
