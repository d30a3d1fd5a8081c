"""swift.common.db: chexor, pending encoding, metadata limits, creation races, locks."""

import hashlib
import os

import pytest

from swift.common import db
from swift.common.fs import LockTimeout, lock_path
from swift.common.timestamp import Timestamp
from swift.container.backend import ContainerBroker


def test_chexor_is_xor_of_md5():
    old = '0' * 32
    once = db.chexor(old, 'o', '1.00000')
    assert once == hashlib.md5(b'o-1.00000').hexdigest()
    assert db.chexor(once, 'o', '1.00000') == old
    assert db.chexor(old, '\u2603', '1') == hashlib.md5('\u2603-1'.encode()).hexdigest()
    with pytest.raises(ValueError):
        db.chexor(old, None, '1')


def test_pending_roundtrip_and_bad_entries():
    data = db.encode_pending_record(('a', '1', 2)) + b':' + b'@@@' + \
        db.encode_pending_record(('b', None))
    records, bad = db.decode_pending(data)
    assert records == [('a', '1', 2), ('b', None)]
    assert bad == [b'@@@']


@pytest.mark.parametrize('metadata, message', [
    ({'X-Container-Meta-K%d' % i: ('v', '1') for i in range(91)},
     'Too many metadata items; max 90'),
    ({'X-Account-Meta-K%d' % i: ('v' * 250, '1') for i in range(17)},
     'Total metadata too large; max 4096'),
])
def test_validate_metadata_limits(metadata, message):
    with pytest.raises(db.MetadataLimitError) as err:
        db.DatabaseBroker.validate_metadata(metadata)
    assert err.value.body == message


def test_validate_metadata_ignores_empty_and_sysmeta():
    metadata = {'X-Container-Meta-K%d' % i: ('v', '1') for i in range(90)}
    metadata.update({'X-Container-Meta-Gone%d' % i: ('', '1') for i in range(50)})
    metadata['X-Container-Sysmeta-Big'] = ('x' * 5000, '1')
    db.DatabaseBroker.validate_metadata(metadata)


def _path(tmp_path):
    d = tmp_path / 'sda' / 'containers' / '0' / 'aaa' / ('b' * 29 + 'aaa')
    return str(d / ('b' * 29 + 'aaa.db'))


def test_initialize_race_raises_already_exists(tmp_path):
    path = _path(tmp_path)
    ContainerBroker(path, account='a', container='c').initialize(Timestamp(1).internal)
    with pytest.raises(db.DatabaseAlreadyExists):
        ContainerBroker(path, account='a', container='c').initialize(Timestamp(2).internal)
    leftovers = [n for n in os.listdir(os.path.dirname(path)) if n.endswith('.tmp')]
    assert leftovers == []


def test_missing_db_errors(tmp_path):
    broker = ContainerBroker(_path(tmp_path), account='a', container='c')
    assert broker.is_deleted()
    assert broker.get_info_is_deleted() == ({}, True)
    with pytest.raises(db.DatabaseConnectionError):
        broker.put_object('o', Timestamp(1).internal, 0, 't', 'e')
    with pytest.raises(db.DatabaseConnectionError):
        broker.get_info()


def test_put_record_waits_for_pending_lock(tmp_path):
    path = _path(tmp_path)
    broker = ContainerBroker(path, account='a', container='c', pending_timeout=0.05)
    broker.initialize(Timestamp(1).internal)
    with lock_path(os.path.dirname(path)):
        with pytest.raises(LockTimeout):
            broker.put_object('o', Timestamp(1).internal, 0, 't', 'e')
    assert broker.list_objects_iter(10, '', None, None, None) == []


def test_stale_reads_ok_when_pending_locked(tmp_path):
    path = _path(tmp_path)
    ContainerBroker(path, account='a', container='c').initialize(Timestamp(1).internal)
    writer = ContainerBroker(path, account='a', container='c')
    writer.put_object('o', Timestamp(2).internal, 1, 't', 'e')
    reader = ContainerBroker(path, pending_timeout=0.05, stale_reads_ok=True)
    strict = ContainerBroker(path, pending_timeout=0.05)
    with lock_path(os.path.dirname(path)):
        assert reader.get_info()['object_count'] == 0
        with pytest.raises(LockTimeout):
            strict.get_info()
    assert reader.get_info()['object_count'] == 1


def test_sync_points(tmp_path):
    broker = ContainerBroker(':memory:', account='a', container='c')
    broker.initialize(Timestamp(1).internal)
    assert broker.get_sync('remote') == -1
    broker.merge_syncs([{'remote_id': 'remote', 'sync_point': 5}])
    broker.merge_syncs([{'remote_id': 'remote', 'sync_point': 3}])
    assert broker.get_sync('remote') == 5
    assert broker.get_syncs() == [{'remote_id': 'remote', 'sync_point': 5}]
    broker.merge_syncs([{'remote_id': 'r2', 'sync_point': 1}], incoming=False)
    assert broker.get_sync('r2', incoming=False) == 1


def test_items_since_and_max_row():
    broker = ContainerBroker(':memory:', account='a', container='c')
    broker.initialize(Timestamp(1).internal)
    assert broker.get_max_row() == -1
    for name in 'xyz':
        broker.put_object(name, Timestamp(2).internal, 1, 't', 'e')
    assert broker.get_max_row() == 3
    assert [r['name'] for r in broker.get_items_since(1, 10)] == ['y', 'z']


def test_locked_db_is_retried_green(tmp_path):
    import sqlite3
    from swift.common import concurrency
    path = _path(tmp_path)
    broker = ContainerBroker(path, account='a', container='c')
    broker.initialize(Timestamp(1).internal)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute('BEGIN EXCLUSIVE')
    writer = concurrency.spawn(broker.merge_items, [
        {'name': 'o', 'created_at': Timestamp(2).internal, 'size': 1,
         'content_type': 't', 'etag': 'e', 'deleted': 0}])
    concurrency.sleep(0.05)           # the writer is waiting, not blocking us
    assert not writer.dead
    holder.execute('COMMIT')
    holder.close()
    writer.wait()
    assert [r['name'] for r in broker.get_objects()] == ['o']


def test_locked_db_times_out(tmp_path):
    import sqlite3
    path = _path(tmp_path)
    ContainerBroker(path, account='a', container='c').initialize(Timestamp(1).internal)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute('BEGIN EXCLUSIVE')
    broker = ContainerBroker(path, account='a', container='c', timeout=0.05)
    with pytest.raises(db.DatabaseLockTimeout):
        broker.merge_items([{'name': 'o', 'created_at': Timestamp(2).internal, 'size': 1,
                             'content_type': 't', 'etag': 'e', 'deleted': 0}])
    holder.execute('ROLLBACK')
