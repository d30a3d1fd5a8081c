"""ContainerBroker: schema, golden fixture DBs and pending files, merge rule, listings."""

import base64
import json
import os
import shutil
import sqlite3

import pytest

from swift.common.db import decode_pending, encode_pending_record, PENDING_CAP
from swift.common.timestamp import Timestamp
from swift.container.backend import ContainerBroker, encode_timestamps

FIXTURES = '/work/shared/fixtures/swift-2.38/dbs'
DBS_JSON = os.path.join(FIXTURES, 'dbs.json')


def read_bytes(path):
    with open(path, 'rb') as fp:
        return fp.read()


def _fixture(kind, name):
    with open(DBS_JSON) as fp:
        for entry in json.load(fp)['dbs']:
            if entry['kind'] == kind and entry['name'] == name:
                return entry
    raise KeyError(name)


def _copy_fixture(tmp_path, entry):
    dst = tmp_path / 'sda' / entry['path_relative_to_device']
    dst.parent.mkdir(parents=True)
    shutil.copy(os.path.join(FIXTURES, entry['file']), dst)
    return str(dst)


def _schema(path):
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute(
            'SELECT type, name, tbl_name, sql FROM sqlite_master')]
    finally:
        conn.close()


def make_broker(tmp_path, account='a', container='c', policy=0, ts='0000000001.00000'):
    path = tmp_path / 'sda' / 'containers' / '1' / 'abc' / ('f' * 29 + 'abc')
    broker = ContainerBroker(str(path / (('f' * 29 + 'abc') + '.db')),
                             account=account, container=container)
    broker.initialize(ts, policy)
    return broker


def ts(n):
    return Timestamp(1700000000 + n).internal


def test_fresh_schema_matches_swift_2_38(tmp_path):
    entry = _fixture('containers', 'AUTH_test/fixtures')
    broker = make_broker(tmp_path)
    expected = [(r['type'], r['name'], r['tbl_name'], r['sql']) for r in entry['sqlite_master']]
    assert _schema(broker.db_file) == expected


def test_fresh_db_info(tmp_path):
    broker = make_broker(tmp_path, policy=1, ts=ts(5))
    info = broker.get_info()
    assert info['account'] == 'a' and info['container'] == 'c'
    assert info['put_timestamp'] == ts(5) and info['status_changed_at'] == ts(5)
    assert info['object_count'] == 0 and info['bytes_used'] == 0
    assert info['storage_policy_index'] == 1
    assert info['hash'] == '0' * 32
    assert info['id'].endswith('-sda')
    assert not broker.is_deleted()
    assert broker.empty()


def test_golden_container_db(tmp_path):
    entry = _fixture('containers', 'AUTH_test/fixtures')
    broker = ContainerBroker(_copy_fixture(tmp_path, entry))
    info = broker.get_info()
    row = dict(zip(entry['rows']['container_info']['columns'],
                   entry['rows']['container_info']['rows'][0]))
    for key in ('account', 'container', 'created_at', 'put_timestamp', 'hash', 'id'):
        assert info[key] == row[key]
    assert (info['object_count'], info['bytes_used']) == (9, 123)
    assert broker.get_policy_stats() == {0: {'object_count': 9, 'bytes_used': 123}}
    assert broker.metadata == {}
    listing = broker.list_objects_iter(100, '', None, None, None)
    names = [r[0] for r in listing]
    assert names == sorted(r[1] for r in entry['rows']['object']['rows'] if not r[6])
    by_name = {r[0]: r for r in listing}
    # last-modified is the metadata timestamp decoded from created_at
    assert by_name['posted.txt'][1] == '1795990116.98940'
    assert by_name['posted-ctype.txt'][1:4] == ('1795990117.46277', 9, 'application/json')
    assert not broker.is_deleted()
    assert not broker.empty()


def test_golden_expirer_queue_db(tmp_path):
    entry = _fixture('containers', '.expiring_objects/1798502302')
    broker = ContainerBroker(_copy_fixture(tmp_path, entry))
    rows = broker.list_objects_iter(10, '', None, None, None)
    assert rows == [('1798582117-AUTH_test/fixtures/expiring.txt', '1795990117.74196', 0,
                     'text/plain;swift_expirer_bytes=14',
                     'd41d8cd98f00b204e9800998ecf8427e')]


def _pending_fixtures():
    with open(os.path.join(FIXTURES, 'pending', 'pending.json')) as fp:
        return json.load(fp)['pending_files']


@pytest.mark.parametrize('entry', _pending_fixtures(), ids=lambda e: e['copied_as'][:40])
def test_decode_fixture_pending_files(entry):
    with open(os.path.join(FIXTURES, 'pending', entry['copied_as']), 'rb') as fp:
        data = fp.read()
    assert data == base64.b64decode(entry['content_b64'])
    records, bad = decode_pending(data)
    assert bad == []
    assert [repr(r) for r in records] == entry['entries_pickle_repr']


def test_merging_fixture_pending_gives_fixture_object_rows(tmp_path):
    entry = _fixture('containers', 'AUTH_test/fixtures')
    broker = make_broker(tmp_path, 'AUTH_test', 'fixtures')
    pending = [p for p in _pending_fixtures()
               if p['copied_as'].startswith('node1-d2-containers_428')][0]
    with open(broker.pending_file, 'wb') as fp:
        fp.write(base64.b64decode(pending['content_b64']))
    rows = {r['name']: r for r in broker.get_objects()}
    for expected in entry['rows']['object']['rows']:
        name = expected[1]
        if name == 'async-del.txt':      # arrived after the pending copy was taken
            continue
        got = rows[name]
        assert (got['created_at'], got['size'], got['content_type'], got['etag'],
                got['deleted'], got['storage_policy_index']) == tuple(expected[2:])
    assert os.path.getsize(broker.pending_file) == 0
    info = broker.get_info()
    assert (info['object_count'], info['bytes_used']) == (8, 83)


def test_pending_file_format_and_flush(tmp_path):
    broker = make_broker(tmp_path)
    broker.put_object('o1', ts(1), 3, 'text/plain', 'e' * 32)
    with open(broker.pending_file, 'rb') as fp:
        data = fp.read()
    assert data.startswith(b':')
    assert decode_pending(data)[0] == [('o1', ts(1), 3, 'text/plain', 'e' * 32, 0, 0,
                                        None, None)]
    assert data == encode_pending_record(('o1', ts(1), 3, 'text/plain', 'e' * 32, 0, 0,
                                          None, None))
    assert broker.get_info()['object_count'] == 1
    assert os.path.getsize(broker.pending_file) == 0


def test_pending_cap_commits_immediately(tmp_path):
    broker = make_broker(tmp_path)
    with open(broker.pending_file, 'wb') as fp:
        for i in range(2000):
            fp.write(encode_pending_record(('x%04d' % i, ts(1), 1, 't/p', 'e', 0, 0,
                                            None, None)))
    assert os.path.getsize(broker.pending_file) > PENDING_CAP
    broker.put_object('last', ts(2), 1, 't/p', 'e')
    assert os.path.getsize(broker.pending_file) == 0
    conn = sqlite3.connect(broker.db_file)
    assert conn.execute('SELECT count(*) FROM object').fetchone()[0] == 2001


def test_corrupt_pending_entry_is_skipped(tmp_path):
    broker = make_broker(tmp_path)
    broker.put_object('good', ts(1), 1, 't/p', 'e')
    with open(broker.pending_file, 'ab') as fp:
        fp.write(b':!!notbase64pickle')
    assert [r[0] for r in broker.list_objects_iter(10, '', None, None, None)] == ['good']


def test_unstorable_text_never_reaches_the_pending_file(tmp_path):
    from swift.common.db import InvalidRecordError
    broker = make_broker(tmp_path)
    broker.put_object('good', ts(1), 1, 't/p', 'e')
    before = read_bytes(broker.pending_file)
    for bad in [dict(name='bad\udcff'), dict(content_type='t\udcff'),
                dict(etag='\udcfe')]:
        args = dict(name='n', timestamp=ts(2), size=1, content_type='t/p', etag='e')
        args.update(bad)
        with pytest.raises(InvalidRecordError):
            broker.put_object(**args)
    assert read_bytes(broker.pending_file) == before
    assert [r[0] for r in broker.list_objects_iter(10, '', None, None, None)] == ['good']


def test_poisoned_pending_record_is_skipped_not_fatal(tmp_path):
    """A pending file written before the check (or by hand) with a record SQLite
    cannot store: that record is logged and dropped, the others are merged."""
    errors = []

    class Logger:
        def error(self, msg, *args):
            errors.append(msg % args)
    broker = make_broker(tmp_path)
    broker.logger = Logger()
    with open(broker.pending_file, 'wb') as fp:
        for name in ('a', 'b\udcff', 'c'):
            fp.write(encode_pending_record((name, ts(1), 1, 't/p', 'e', 0, 0, None,
                                            None)))
    assert [r[0] for r in broker.list_objects_iter(10, '', None, None, None)] == ['a', 'c']
    assert broker.get_info()['object_count'] == 2
    assert len(errors) == 1 and 'Invalid pending entry' in errors[0]
    assert os.path.getsize(broker.pending_file) == 0


def test_unsafe_pickle_in_pending_is_refused(tmp_path):
    import pickle
    broker = make_broker(tmp_path)
    evil = b':' + base64.b64encode(pickle.dumps((os.system, ('true',)), protocol=2))
    with open(broker.pending_file, 'wb') as fp:
        fp.write(evil)
    assert broker.list_objects_iter(10, '', None, None, None) == []


def test_encode_timestamps_swift_form():
    t = Timestamp('1795990116.76151')
    assert encode_timestamps(t, t, Timestamp('1795990116.98940')) == \
        '1795990116.76151+0+5905'
    assert encode_timestamps(t, t, t) == '1795990116.76151'


def _row(broker, name):
    return [r for r in broker.get_objects() if r['name'] == name][0]


def test_merge_rule_data_ctype_meta_independent(tmp_path):
    broker = make_broker(tmp_path)
    broker.put_object('o', ts(10), 5, 'text/plain', 'etag1')
    # POST with new content type at t20, meta t20
    broker.put_object('o', ts(10), 5, 'application/json', 'etag1',
                      ctype_timestamp=ts(20), meta_timestamp=ts(20))
    # a late POST with only metadata at t30
    broker.put_object('o', ts(10), 5, 'text/plain', 'etag1',
                      ctype_timestamp=ts(10), meta_timestamp=ts(30))
    row = _row(broker, 'o')
    assert row['content_type'] == 'application/json'
    assert row['created_at'] == encode_timestamps(Timestamp(ts(10)), Timestamp(ts(20)),
                                                  Timestamp(ts(30)))
    # a newer PUT (data t25) keeps the newer ctype (t20 < t25 -> new ctype wins)
    broker.put_object('o', ts(25), 7, 'image/png', 'etag2')
    row = _row(broker, 'o')
    assert (row['size'], row['etag'], row['content_type']) == (7, 'etag2', 'image/png')
    assert row['created_at'].startswith(Timestamp(ts(25)).short)
    # an older PUT changes nothing
    broker.put_object('o', ts(15), 1, 'x/y', 'old')
    assert _row(broker, 'o')['etag'] == 'etag2'


def test_swift_bytes_follows_data(tmp_path):
    broker = make_broker(tmp_path)
    broker.put_object('m', ts(10), 0, 'text/plain;swift_bytes=100', 'e')
    broker.put_object('m', ts(10), 0, 'application/json', 'e',
                      ctype_timestamp=ts(20), meta_timestamp=ts(20))
    assert _row(broker, 'm')['content_type'] == 'application/json;swift_bytes=100'
    listing = broker.list_objects_iter(10, '', None, None, None)
    assert listing[0][3] == 'application/json;swift_bytes=100'


def test_delete_then_stats_and_reclaim(tmp_path):
    broker = make_broker(tmp_path)
    broker.put_object('o', ts(1), 10, 't/p', 'e')
    broker.delete_object('o', ts(2))
    row = _row(broker, 'o')
    assert (row['deleted'], row['content_type'], row['etag']) == (1, 'application/deleted',
                                                                  'noetag')
    info = broker.get_info()
    assert (info['object_count'], info['bytes_used']) == (0, 0)
    assert broker.empty()
    broker.put_object('o', ts(1), 10, 't/p', 'e')       # older PUT loses
    assert _row(broker, 'o')['deleted'] == 1
    broker.reclaim(ts(3), 0)
    assert broker.get_objects() == []


def test_delete_db_and_recreate_rules(tmp_path):
    broker = make_broker(tmp_path, ts=ts(1))
    broker.update_metadata({'X-Container-Meta-A': ('x', ts(1))})
    broker.delete_db(ts(2))
    assert broker.is_deleted()
    assert broker.metadata == {'X-Container-Meta-A': ['', ts(2)]}
    broker.update_put_timestamp(ts(3))
    assert not broker.is_deleted()
    broker.reclaim(ts(5), 0)
    assert broker.metadata == {}


def test_metadata_merge_by_timestamp(tmp_path):
    broker = make_broker(tmp_path)
    broker.update_metadata({'X-Container-Meta-A': ('new', ts(5))})
    broker.update_metadata({'X-Container-Meta-A': ('old', ts(4)),
                            'X-Container-Meta-B': ('b', ts(4))})
    assert broker.metadata == {'X-Container-Meta-A': ['new', ts(5)],
                               'X-Container-Meta-B': ['b', ts(4)]}


def test_policy_stats_and_set_policy(tmp_path):
    broker = make_broker(tmp_path, policy=0)
    broker.put_object('a', ts(1), 3, 't', 'e', storage_policy_index=0)
    broker.put_object('b', ts(1), 4, 't', 'e', storage_policy_index=1)
    assert broker.get_policy_stats() == {0: {'object_count': 1, 'bytes_used': 3},
                                         1: {'object_count': 1, 'bytes_used': 4}}
    assert broker.get_info()['object_count'] == 1
    assert [r[0] for r in broker.list_objects_iter(10, '', None, None, None,
                                                   storage_policy_index=1)] == ['b']
    broker.set_storage_policy_index(1, ts(2))
    assert broker.get_info()['storage_policy_index'] == 1
    assert broker.get_info()['bytes_used'] == 4


def test_reported(tmp_path):
    broker = make_broker(tmp_path)
    broker.reported(ts(1), '0', 5, 50)
    info = broker.get_info()
    assert (info['reported_put_timestamp'], info['reported_object_count'],
            info['reported_bytes_used']) == (ts(1), 5, 50)


def test_chexor_hash_order_independent(tmp_path):
    one = make_broker(tmp_path / 'one')
    two = make_broker(tmp_path / 'two')
    one.put_object('x', ts(1), 1, 't', 'e')
    one.put_object('y', ts(2), 1, 't', 'e')
    two.put_object('y', ts(2), 1, 't', 'e')
    two.put_object('x', ts(1), 1, 't', 'e')
    assert one.get_info()['hash'] == two.get_info()['hash'] != '0' * 32


def test_corrupt_db_is_quarantined(tmp_path):
    from swift.common.db import DatabaseQuarantined
    broker = make_broker(tmp_path)
    with open(broker.db_file, 'wb') as fp:
        fp.write(b'this is not sqlite' * 100)
    fresh = ContainerBroker(broker.db_file, account='a', container='c')
    with pytest.raises(DatabaseQuarantined):
        fresh.get_info()
    assert os.path.isdir(tmp_path / 'sda' / 'quarantined' / 'containers' / ('f' * 29 + 'abc'))
    assert not os.path.exists(broker.db_file)
