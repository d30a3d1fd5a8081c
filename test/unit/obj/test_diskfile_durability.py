"""What a DiskFile PUT makes durable: the file, its hash dir, and every directory the
PUT had to create (Swift's renamer rule), with the blocking part off the hub."""

import os

from swift.common import concurrency, fs
from test.unit.obj.common import make_manager, put_object


def record_fsyncs(monkeypatch):
    synced = []
    real = fs.fsync_dir
    monkeypatch.setattr(fs, 'fsync_dir', lambda path: (synced.append(path), real(path)))
    return synced


def test_new_object_fsyncs_each_parent_of_a_created_dir(tmp_path, monkeypatch):
    manager = make_manager(tmp_path)
    synced = record_fsyncs(monkeypatch)
    df = put_object(manager, b'abc', timestamp='1700000000.00000')
    hash_dir = df.datadir
    suffix_dir = os.path.dirname(hash_dir)
    part_dir = os.path.dirname(suffix_dir)
    objects_dir = os.path.dirname(part_dir)
    device_dir = os.path.dirname(objects_dir)
    assert synced == [hash_dir, suffix_dir, part_dir, objects_dir, device_dir]

    synced.clear()
    put_object(manager, b'abcd', timestamp='1700000001.00000')
    assert synced == [hash_dir]  # overwrite: only the hash dir changed
    assert sorted(os.listdir(hash_dir)) == ['1700000001.00000.data']


def test_object_in_existing_suffix_syncs_hash_and_suffix_dirs(tmp_path, monkeypatch):
    manager = make_manager(tmp_path)
    df = manager.get_diskfile('sda', '0', 'a', 'c', 'o')
    os.makedirs(os.path.dirname(df.datadir))  # another object made the suffix dir
    synced = record_fsyncs(monkeypatch)
    put_object(manager, b'xyz')
    assert synced == [df.datadir, os.path.dirname(df.datadir)]


def test_finalize_runs_through_the_thread_seam(tmp_path, monkeypatch):
    manager = make_manager(tmp_path)
    calls = []

    def fake_run_in_thread(func, *args):
        calls.append(func.__name__)
        return func(*args)

    monkeypatch.setattr(concurrency, 'run_in_thread', fake_run_in_thread)
    df = put_object(manager, b'abc')
    assert calls == ['_finalize']
    assert df.read_metadata()['Content-Length'] == '3'


def test_first_write_creates_tmp_dir_and_leaves_it_empty(tmp_path):
    manager = make_manager(tmp_path)
    df = manager.get_diskfile('sda', '0', 'a', 'c', 'o')
    assert not os.path.exists(df.tmpdir)
    put_object(manager, b'abc')
    assert os.listdir(df.tmpdir) == []
