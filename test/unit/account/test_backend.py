"""AccountBroker: schema, golden fixture DB and pending files, merge rules, stats."""

import base64
import json
import os
import shutil
import sqlite3

from swift.account.backend import AccountBroker
from swift.common.timestamp import Timestamp

FIXTURES = '/work/shared/fixtures/swift-2.38/dbs'


def _fixture():
    with open(os.path.join(FIXTURES, 'dbs.json')) as fp:
        return [e for e in json.load(fp)['dbs'] if e['kind'] == 'accounts'][0]


def ts(n):
    return Timestamp(1700000000 + n).internal


def make_broker(tmp_path, account='AUTH_a', put_ts=None):
    db_dir = tmp_path / 'sdb' / 'accounts' / '7' / 'fed' / ('0' * 29 + 'fed')
    broker = AccountBroker(str(db_dir / ('0' * 29 + 'fed.db')), account=account)
    broker.initialize(put_ts or ts(0))
    return broker


def test_fresh_schema_matches_swift_2_38(tmp_path):
    broker = make_broker(tmp_path)
    conn = sqlite3.connect(broker.db_file)
    got = [tuple(r) for r in conn.execute('SELECT type, name, tbl_name, sql FROM sqlite_master')]
    want = [(r['type'], r['name'], r['tbl_name'], r['sql']) for r in _fixture()['sqlite_master']]
    assert got == want


def test_golden_account_db(tmp_path):
    entry = _fixture()
    dst = tmp_path / 'd1' / entry['path_relative_to_device']
    dst.parent.mkdir(parents=True)
    shutil.copy(os.path.join(FIXTURES, entry['file']), dst)
    broker = AccountBroker(str(dst))
    info = broker.get_info()
    row = dict(zip(entry['rows']['account_stat']['columns'],
                   entry['rows']['account_stat']['rows'][0]))
    for key in ('account', 'created_at', 'put_timestamp', 'container_count',
                'object_count', 'bytes_used', 'hash', 'id'):
        assert info[key] == row[key]
    assert broker.get_policy_stats() == {
        0: {'container_count': 1, 'object_count': 9, 'bytes_used': 123},
        1: {'container_count': 1, 'object_count': 1, 'bytes_used': 14}}
    rows = broker.list_containers_iter(10, '', None, None, None)
    assert [tuple(r) for r in rows] == [
        ('fixtures', 9, 123, '1795990116.62118', 0, 0),
        ('fixtures-silver', 1, 14, '1795990116.68713', 1, 0)]
    assert not broker.is_deleted() and not broker.is_status_deleted()


def test_fixture_pending_merges_as_strings(tmp_path):
    broker = make_broker(tmp_path)
    with open(os.path.join(FIXTURES, 'pending', 'pending.json')) as fp:
        entry = [p for p in json.load(fp)['pending_files']
                 if p['copied_as'].startswith('node1-d1-accounts')][0]
    with open(broker.pending_file, 'wb') as fp:
        fp.write(base64.b64decode(entry['content_b64']))
    rows = broker.get_containers()
    assert len(rows) == 1
    assert (rows[0]['name'], rows[0]['object_count'], rows[0]['storage_policy_index'],
            rows[0]['deleted']) == ('fixtures-silver', 0, 1, 0)
    assert broker.get_info()['container_count'] == 1


def test_put_container_merge_keeps_newest_timestamps(tmp_path):
    broker = make_broker(tmp_path)
    broker.put_container('c', ts(2), '0', 3, 30, 0)
    broker.put_container('c', ts(1), '0', 4, 40, 0)   # older put, newer stats
    row = broker.get_containers()[0]
    assert (row['put_timestamp'], row['object_count'], row['bytes_used']) == (ts(2), 4, 40)
    broker.put_container('c', ts(2), ts(3), 0, 0, 0)
    row = broker.get_containers()[0]
    assert (row['delete_timestamp'], row['deleted']) == (ts(3), 1)
    info = broker.get_info()
    assert (info['container_count'], info['object_count']) == (0, 0)
    # deleted row is reclaimed after reclaim age
    broker.reclaim(ts(4), 0)
    assert broker.get_containers() == []


def test_delete_db_status_and_metadata(tmp_path):
    broker = make_broker(tmp_path)
    broker.update_metadata({'X-Account-Meta-K': ('v', ts(1))})
    broker.delete_db(ts(2))
    assert broker.is_status_deleted() and broker.is_deleted()
    assert broker.metadata == {'X-Account-Meta-K': ['', ts(2)]}
    assert broker.get_info()['status'] == 'DELETED'


def test_is_deleted_needs_no_containers(tmp_path):
    broker = make_broker(tmp_path, put_ts=ts(1))
    broker.put_container('c', ts(1), '0', 0, 0, 0)
    with broker.get() as conn:
        conn.execute('UPDATE account_stat SET delete_timestamp = ?', (ts(5),))
        conn.commit()
    assert not broker.is_deleted()     # still lists a container
    broker.put_container('c', ts(1), ts(6), 0, 0, 0)
    assert broker.is_deleted()
    assert not broker.is_status_deleted()
