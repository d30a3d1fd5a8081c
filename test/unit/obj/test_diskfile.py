"""DiskFile: writes, reads, tombstones, .meta merging, quarantine and failure paths."""

import errno
import os

import pytest

from swift.common.hashing import md5_hex
from swift.obj import errors
from swift.obj.diskfile import Reserve
from swift.obj.metadata import read_metadata
from test.helpers.fake_xattrs import FakeXattrs
from test.unit.obj.common import make_manager, put_object


def _files(df):
    return sorted(os.listdir(df.datadir)) if os.path.isdir(df.datadir) else []


def _read_all(df):
    with df.open():
        reader = df.reader()
    return b''.join(reader), reader


def test_put_then_read_back(tmp_path):
    manager = make_manager(tmp_path)
    df = put_object(manager, b'hello world', '1700000001.00000',
                    extra={'X-Object-Meta-Color': 'blue'})
    assert _files(df) == ['1700000001.00000.data']
    part_dir = os.path.dirname(os.path.dirname(df.datadir))
    assert df.datadir.startswith(os.path.join(manager.config.devices, 'sda', 'objects',
                                              '0'))
    with open(os.path.join(part_dir, 'hashes.invalid')) as fp:
        assert fp.read() == df.object_hash[-3:] + '\n'
    assert os.listdir(df.tmpdir) == []
    body, reader = _read_all(df)
    assert body == b'hello world'
    assert reader.quarantined is None
    md = df.read_metadata()
    assert list(md) == ['X-Timestamp', 'Content-Type', 'Content-Length', 'ETag',
                        'X-Object-Meta-Color', 'name']
    assert md['name'] == '/a/c/o'
    assert md['ETag'] == md5_hex(b'hello world')


def test_newer_put_replaces_older_and_delete_leaves_only_tombstone(tmp_path):
    manager = make_manager(tmp_path)
    put_object(manager, b'one', '1700000001.00000')
    df = put_object(manager, b'two', '1700000002.00000')
    assert _files(df) == ['1700000002.00000.data']
    df.delete('1700000003.00000')
    assert _files(df) == ['1700000003.00000.ts']
    with pytest.raises(errors.DiskFileDeleted) as caught:
        df.open()
    assert caught.value.timestamp.internal == '1700000003.00000'
    assert read_metadata(os.path.join(df.datadir, '1700000003.00000.ts')) == {
        'X-Timestamp': '1700000003.00000', 'name': '/a/c/o'}


def test_missing_object(tmp_path):
    manager = make_manager(tmp_path)
    df = manager.get_diskfile('sda', '0', 'a', 'c', 'nothing')
    with pytest.raises(errors.DiskFileNotExist) as caught:
        df.open()
    assert not isinstance(caught.value, errors.DiskFileDeleted)


def test_meta_replaces_user_metadata_keeps_sysmeta_and_content_type(tmp_path):
    manager = make_manager(tmp_path)
    df = put_object(manager, b'x', '1700000001.00000',
                    extra={'X-Object-Meta-Color': 'red', 'X-Object-Sysmeta-Keep': 'k'})
    df.write_metadata({'X-Timestamp': '1700000002.00000',
                       'X-Object-Meta-Flavor': 'vanilla'})
    assert _files(df) == ['1700000001.00000.data', '1700000002.00000.meta']
    with df.open():
        md = df.get_metadata()
        assert df.timestamp.internal == '1700000002.00000'
        assert df.data_timestamp.internal == '1700000001.00000'
        assert df.get_metafile_metadata() == {'X-Timestamp': '1700000002.00000',
                                              'X-Object-Meta-Flavor': 'vanilla'}
    assert 'X-Object-Meta-Color' not in md
    assert md['X-Object-Meta-Flavor'] == 'vanilla'
    assert md['X-Object-Sysmeta-Keep'] == 'k'
    assert md['Content-Type'] == 'text/plain'
    assert md['Content-Length'] == '1'


def test_meta_with_content_type_is_named_with_delta(tmp_path):
    manager = make_manager(tmp_path)
    df = put_object(manager, b'x', '1700000001.00000')
    df.write_metadata({'X-Timestamp': '1700000002.00000', 'Content-Type': 'app/json',
                       'Content-Type-Timestamp': '1700000001.50000'})
    assert _files(df) == ['1700000001.00000.data', '1700000002.00000-c350.meta']
    with df.open():
        assert df.get_metadata()['Content-Type'] == 'app/json'
        assert df.content_type_timestamp.internal == '1700000001.50000'
    # a later .meta without Content-Type keeps the older one that carries it
    df.write_metadata({'X-Timestamp': '1700000003.00000', 'X-Object-Meta-A': 'b'})
    assert _files(df) == ['1700000001.00000.data', '1700000002.00000-c350.meta',
                          '1700000003.00000.meta']
    with df.open():
        assert df.get_metadata()['Content-Type'] == 'app/json'
        assert df.get_metadata()['X-Object-Meta-A'] == 'b'


@pytest.mark.parametrize('damage', ['remove', 'garbage', 'checksum'])
def test_bad_metadata_quarantines_and_answers_not_found(tmp_path, damage):
    # field case BL-26
    manager = make_manager(tmp_path)
    df = put_object(manager)
    data_path = os.path.join(df.datadir, _files(df)[0])
    if damage == 'remove':
        os.removexattr(data_path, 'user.swift.metadata')
    elif damage == 'garbage':
        os.setxattr(data_path, 'user.swift.metadata', b'not a pickle')
        os.removexattr(data_path, 'user.swift.metadata_checksum')
    else:
        os.setxattr(data_path, 'user.swift.metadata_checksum', b'0' * 32)
    with pytest.raises(errors.DiskFileQuarantined) as caught:
        df.open()
    assert isinstance(caught.value, errors.DiskFileNotExist)
    qdir = os.path.join(manager.config.devices, 'sda', 'quarantined', 'objects',
                        df.object_hash)
    assert os.path.isdir(qdir)
    assert not os.path.exists(df.datadir)
    assert caught.value.quarantine_path == qdir
    assert manager.logger.lines_for('error')


def test_second_quarantine_of_same_hash_gets_uuid_suffix(tmp_path):
    manager = make_manager(tmp_path)
    for _ in range(2):
        df = put_object(manager)
        os.truncate(os.path.join(df.datadir, _files(df)[0]), 1)
        with pytest.raises(errors.DiskFileQuarantined):
            df.open()
    qroot = os.path.join(manager.config.devices, 'sda', 'quarantined', 'objects')
    names = sorted(os.listdir(qroot))
    assert names[0] == df.object_hash
    assert names[1].startswith(df.object_hash + '-') and len(names[1]) == 32 + 1 + 32


def test_size_mismatch_quarantines(tmp_path):
    manager = make_manager(tmp_path)
    df = put_object(manager, b'hello')
    with open(os.path.join(df.datadir, _files(df)[0]), 'ab') as fp:
        fp.write(b'!')
    with pytest.raises(errors.DiskFileQuarantined) as caught:
        df.open()
    assert 'does not match actual object size' in caught.value.reason


def test_corrupt_byte_detected_on_full_read(tmp_path):
    manager = make_manager(tmp_path)
    df = put_object(manager, b'hello world')
    data_path = os.path.join(df.datadir, _files(df)[0])
    with open(data_path, 'r+b') as fp:
        fp.write(b'J')
    body, reader = _read_all(df)
    assert body == b'Jello world'
    assert reader.quarantined is not None
    assert not os.path.exists(df.datadir)
    with pytest.raises(errors.DiskFileNotExist):
        df.open()


def test_size_checked_when_reading_whole_file_by_range(tmp_path):
    manager = make_manager(tmp_path)
    df = put_object(manager, b'0123456789')
    with df.open():
        reader = df.reader()
    assert b''.join(reader.app_iter_range(0, 10)) == b'0123456789'
    assert reader.quarantined is None and os.path.isdir(df.datadir)


def test_partial_range_read_does_not_quarantine(tmp_path):
    manager = make_manager(tmp_path)
    df = put_object(manager, b'hello world')
    with open(os.path.join(df.datadir, _files(df)[0]), 'r+b') as fp:
        fp.write(b'J')
    with df.open():
        reader = df.reader()
    assert b''.join(reader.app_iter_range(2, 5)) == b'llo'
    assert reader.quarantined is None
    assert os.path.isdir(df.datadir)


def test_multirange_body(tmp_path):
    manager = make_manager(tmp_path)
    df = put_object(manager, b'0123456789')
    with df.open():
        reader = df.reader()
    body = b''.join(reader.app_iter_ranges([(0, 2), (8, 10)], 'text/plain', 'BND', 10))
    assert body == (b'\r\n--BND\r\nContent-Type: text/plain\r\nContent-Range: bytes '
                    b'0-1/10\r\n\r\n01\r\n--BND\r\nContent-Type: text/plain\r\n'
                    b'Content-Range: bytes 8-9/10\r\n\r\n89\r\n--BND--')


def test_xattr_too_big_fails_cleanly_and_keeps_previous_version(tmp_path):
    fake = FakeXattrs(limit_bytes=4000)
    manager = make_manager(tmp_path, xattrs=fake)
    df = put_object(manager, b'old', '1700000001.00000')
    with pytest.raises(errors.DiskFileXattrSpaceExceeded) as caught:
        put_object(manager, b'new', '1700000002.00000',
                   extra={'X-Object-Meta-Big': 'x' * 5000})
    assert caught.value.metadata_bytes > 5000
    assert 'does not fit' in str(caught.value)
    assert isinstance(caught.value, errors.DiskFileNoSpace)
    assert os.listdir(df.tmpdir) == []
    body, _ = _read_all(df)
    assert body == b'old'


def test_xattr_too_big_on_this_filesystem(tmp_path):
    probe = tmp_path / 'probe'
    probe.write_bytes(b'')
    try:
        os.setxattr(str(probe), 'user.probe', b'x' * 70000)
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.E2BIG):
            raise
    else:
        pytest.skip('this filesystem holds big xattrs (not ext4-like)')
    manager = make_manager(tmp_path)
    with pytest.raises(errors.DiskFileXattrSpaceExceeded):
        put_object(manager, extra={'X-Object-Meta-Big': 'x' * 8000})
    df = manager.get_diskfile('sda', '0', 'a', 'c', 'o')
    assert os.listdir(df.tmpdir) == []
    with pytest.raises(errors.DiskFileNotExist):
        df.open()


class _Statvfs:
    def __init__(self, free_blocks, total_blocks=1000):
        self.f_frsize = 4096
        self.f_bavail = free_blocks
        self.f_blocks = total_blocks


@pytest.mark.parametrize('reserve,free_blocks,ok', [
    (Reserve(1.0, True), 5, False),       # 0.5 % free < 1 %
    (Reserve(1.0, True), 500, True),
    (Reserve(8192, False), 2, False),     # 8192 bytes free - size <= reserve
    (Reserve(100, False), 100, True),
])
def test_fallocate_reserve(tmp_path, reserve, free_blocks, ok):
    manager = make_manager(tmp_path, fallocate_reserve=reserve,
                           statvfs=lambda path: _Statvfs(free_blocks))
    if ok:
        put_object(manager, b'abc')
        return
    with pytest.raises(errors.DiskFileNoSpace):
        put_object(manager, b'abc')
    df = manager.get_diskfile('sda', '0', 'a', 'c', 'o')
    assert not os.path.exists(df.datadir)
    assert os.listdir(df.tmpdir) == []


def test_expired_object(tmp_path):
    manager = make_manager(tmp_path)
    now = manager.clock.time()
    df = put_object(manager, extra={'X-Delete-At': str(int(now) + 10)})
    df.read_metadata()
    manager.clock.advance(11)
    with pytest.raises(errors.DiskFileExpired) as caught:
        df.open()
    assert caught.value.metadata['X-Delete-At'] == str(int(now) + 10)
    expired_ok = manager.get_diskfile('sda', '0', 'a', 'c', 'o', open_expired=True)
    assert expired_ok.read_metadata()['X-Delete-At'] == str(int(now) + 10)


def test_name_collision(tmp_path):
    manager = make_manager(tmp_path)
    df = put_object(manager)
    other = manager.get_diskfile('sda', '0', 'a', 'c', 'other')
    other.datadir = df.datadir
    with pytest.raises(errors.DiskFileCollision):
        other.open()


def test_open_by_hash_checks_name(tmp_path):
    manager = make_manager(tmp_path)
    df = put_object(manager)
    by_hash = manager.get_diskfile_from_hash('sda', '0', df.object_hash)
    assert by_hash.read_metadata()['name'] == '/a/c/o'
    assert by_hash.name == '/a/c/o'


def test_tombstone_reclaimed_after_reclaim_age(tmp_path):
    manager = make_manager(tmp_path, reclaim_age_s=100)
    df = put_object(manager)
    df.delete('1700000001.00000')
    manager.cleanup_ondisk_files(df.datadir)
    assert _files(df) == ['1700000001.00000.ts']
    manager.clock.advance(102)
    manager.cleanup_ondisk_files(df.datadir)
    assert not os.path.exists(df.datadir)


@pytest.mark.parametrize('mount_check,is_mount,exists,ok', [
    (False, False, True, True),
    (False, False, False, False),
    (True, False, True, False),
    (True, True, True, True),
])
def test_device_availability(tmp_path, mount_check, is_mount, exists, ok):
    manager = make_manager(tmp_path, devices=('sda',) if exists else (),
                           mount_check=mount_check, is_mount=lambda path: is_mount)
    if ok:
        assert manager.get_diskfile('sda', '0', 'a', 'c', 'o')
    else:
        with pytest.raises(errors.DiskFileDeviceUnavailable):
            manager.get_diskfile('sda', '0', 'a', 'c', 'o')
    with pytest.raises(errors.DiskFileDeviceUnavailable):
        manager.get_diskfile('..', '0', 'a', 'c', 'o')


def test_crash_mid_put_leaves_nothing_visible(tmp_path):
    manager = make_manager(tmp_path)
    df = manager.get_diskfile('sda', '0', 'a', 'c', 'o')
    writer_cm = df.create(size=10)
    writer = writer_cm.__enter__()
    writer.write(b'01234')
    # the process dies here: no put(), no close()
    with pytest.raises(errors.DiskFileNotExist):
        df.open()
    assert len(os.listdir(df.tmpdir)) == 1  # only a temp file, in tmp/
    writer_cm.__exit__(None, None, None)
    assert os.listdir(df.tmpdir) == []


def test_get_hashes_and_invalidate(tmp_path):
    from swift.obj.hashes import hash_suffix_dir
    manager = make_manager(tmp_path)
    df = put_object(manager)
    suffix = df.object_hash[-3:]
    part_dir = manager.partition_path('sda', '0', 0)
    hashes = manager.get_hashes('sda', '0')
    assert list(hashes) == [suffix]
    assert os.path.exists(os.path.join(part_dir, 'hashes.pkl'))
    with open(os.path.join(part_dir, 'hashes.invalid'), 'rb') as fp:
        assert fp.read() == b''
    expected = hashes[suffix]
    assert hash_suffix_dir(os.path.join(part_dir, suffix)) == expected
    df.delete('1700000005.00000')
    changed = manager.get_hashes('sda', '0')
    assert changed[suffix] != expected
    manager.invalidate_suffixes('sda', '0', [suffix])
    with open(os.path.join(part_dir, 'hashes.invalid'), 'rb') as fp:
        assert fp.read() == suffix.encode() + b'\n'
    assert manager.get_hashes('sda', '0') == changed
    assert manager.get_hashes('sda', '99') == {}


def test_replication_lock(tmp_path):
    from swift.common.fs import LockTimeout
    manager = make_manager(tmp_path, lock_timeout_s=0.01)
    with manager.replication_lock('sda', '0'):
        part_dir = manager.partition_path('sda', '0', 0)
        assert os.path.exists(os.path.join(part_dir, '.lock-replication'))
        with pytest.raises(LockTimeout):
            with manager.replication_lock('sda', '0'):
                pass


def test_policy_one_paths(tmp_path):
    manager = make_manager(tmp_path)
    df = put_object(manager, policy_index=1)
    assert '/objects-1/0/' in df.datadir
    assert df.tmpdir.endswith('/tmp-1')
    os.removexattr(os.path.join(df.datadir, _files(df)[0]), 'user.swift.metadata')
    with pytest.raises(errors.DiskFileQuarantined) as caught:
        df.open()
    assert '/quarantined/objects-1/' in caught.value.quarantine_path


_KILLED_WRITER = r'''
import sys
from test.unit.obj.common import make_manager, put_object
manager = make_manager(sys.argv[1])
put_object(manager, b'old version', '1700000001.00000')
df = manager.get_diskfile('sda', '0', 'a', 'c', 'o')
creating = df.create(size=1 << 20)
writer = creating.__enter__()
writer.write(b'x' * 500000)
print('ready', flush=True)
sys.stdin.read()  # killed while the PUT is half written
'''


def test_process_killed_mid_put_leaves_old_version_visible(tmp_path):
    import signal
    import subprocess
    import sys
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    proc = subprocess.Popen([sys.executable, '-c', _KILLED_WRITER, str(tmp_path)],
                            cwd=repo, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b'ready'
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stdin.close()
    manager = make_manager(tmp_path)
    df = manager.get_diskfile('sda', '0', 'a', 'c', 'o')
    body, reader = _read_all(df)
    assert body == b'old version' and reader.quarantined is None
    assert _files(df) == ['1700000001.00000.data']


@pytest.fixture
def background_md5(monkeypatch):
    """Hash every stream of 4 bytes or more in a background thread."""
    from swift.common import hashing
    monkeypatch.setattr(hashing, 'BACKGROUND_MD5_MIN_BYTES', 4)


def test_background_hashed_write_and_full_read(tmp_path, background_md5):
    manager = make_manager(tmp_path)
    body = os.urandom(300000)
    df = manager.get_diskfile('sda', '0', 'a', 'c', 'o', policy_index=0)
    with df.create(size=len(body)) as writer:
        for start in range(0, len(body), 65536):
            writer.write(body[start:start + 65536])
        assert writer.chunks_finished() == (len(body), md5_hex(body))
        writer.put({'X-Timestamp': '1700000001.00000', 'Content-Length': str(len(body)),
                    'ETag': md5_hex(body)})
    got, reader = _read_all(df)
    assert got == body and reader.quarantined is None
    assert os.path.isdir(df.datadir)


def test_background_hashed_full_read_still_quarantines_a_flipped_byte(
        tmp_path, background_md5, monkeypatch):
    from swift.common.concurrency import BackgroundFileMd5
    from swift.obj import reader as reader_module
    made = []

    def recording(*args, **kwargs):
        made.append(BackgroundFileMd5(*args, **kwargs))
        return made[-1]
    monkeypatch.setattr(reader_module, 'BackgroundFileMd5', recording)
    manager = make_manager(tmp_path)
    df = put_object(manager, b'hello world')
    with open(os.path.join(df.datadir, _files(df)[0]), 'r+b') as fp:
        fp.write(b'J')
    body, reader = _read_all(df)
    assert body == b'Jello world'
    assert reader.quarantined is not None
    assert not os.path.exists(df.datadir)
    assert len(made) == 1       # the md5 came from the file-reading thread


def test_background_hashed_read_cut_short_judges_nothing(tmp_path, background_md5):
    manager = make_manager(tmp_path)
    df = put_object(manager, b'hello world' * 10000)
    with open(os.path.join(df.datadir, _files(df)[0]), 'r+b') as fp:
        fp.write(b'J')
    with df.open():
        reader = df.reader()
    iterator = iter(reader)
    next(iterator)              # the client went away after the first chunk
    iterator.close()
    assert reader.quarantined is None
    assert os.path.isdir(df.datadir)
