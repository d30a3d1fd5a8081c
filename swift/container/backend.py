# Owns the container DB: one row per object name and policy, Swift's merge rule (data,
# content-type and metadata timestamps compared independently, newest of each wins,
# swift_bytes follows the data), per-policy stats, reported stats for the updater and
# object listings. Schema in schema.py; file format in doc/formats/container-db.md.
"""ContainerBroker: Swift's container database."""

from swift.common.db import (DatabaseBroker, RESERVED_BYTE,
                             SQLITE_ARG_LIMIT, dict_factory, zero_like)
from swift.common.db_listing import ListingQuery
from swift.common.listing import extract_swift_bytes
from swift.common.timestamp import Timestamp, decode_timestamps, encode_timestamps
from swift.container.schema import CONTAINER_SCHEMA

CONTAINER_INFO_COLUMNS = (
    'account', 'container', 'created_at', 'put_timestamp', 'delete_timestamp',
    'status', 'status_changed_at', 'object_count', 'bytes_used',
    'reported_put_timestamp', 'reported_delete_timestamp', 'reported_object_count',
    'reported_bytes_used', 'hash', 'id', 'x_container_sync_point1',
    'x_container_sync_point2', 'storage_policy_index')

def update_new_item_from_existing(new_item, existing):
    """Apply Swift's container merge rule to ``new_item`` in place.

    :param new_item: dict with name, created_at, size, content_type, etag, deleted and
        optional ctype_timestamp/meta_timestamp.
    :param existing: the stored row as a dict, or None.
    :returns: True if any of data/ctype/meta of ``new_item`` is newer than ``existing``.
    """
    new_item.setdefault('data_timestamp', new_item['created_at'])
    ts_data, ts_ctype, ts_meta = decode_timestamps(new_item['data_timestamp'])
    if new_item.get('ctype_timestamp'):
        ts_ctype = Timestamp(new_item['ctype_timestamp'])
        ts_meta = ts_ctype
    if new_item.get('meta_timestamp'):
        ts_meta = Timestamp(new_item['meta_timestamp'])
    if not existing:
        new_item['created_at'] = encode_timestamps(ts_data, ts_ctype, ts_meta)
        return True
    rec_data, rec_ctype, rec_meta = decode_timestamps(existing['created_at'])
    for item in (new_item, existing):
        item['content_type'], item['swift_bytes'] = \
            extract_swift_bytes(item['content_type'])
    newer = [True, True, True]
    if rec_data >= ts_data:
        new_item.update((k, existing[k]) for k in ('size', 'etag', 'deleted', 'swift_bytes'))
        ts_data = rec_data
        newer[0] = False
    if rec_ctype >= ts_ctype:
        new_item['content_type'] = existing['content_type']
        ts_ctype = rec_ctype
        newer[1] = False
    if rec_meta >= ts_meta:
        ts_meta = rec_meta
        newer[2] = False
    new_item['created_at'] = encode_timestamps(ts_data, ts_ctype, ts_meta)
    for item in (new_item, existing):
        if item['swift_bytes']:
            item['content_type'] += ';swift_bytes=%s' % item['swift_bytes']
        del item['swift_bytes']
    return any(newer)


def _transform_record(row):
    """DB row -> (name, last-modified internal ts, size, content_type, etag).

    The last-modified time is the metadata timestamp decoded from created_at; a
    created_at without offsets (no ``+``, the usual case) is its own meta time.
    """
    if '+' not in row[1]:
        return tuple(row[:5])
    _data, _ctype, meta = decode_timestamps(row[1])
    return (row[0], meta.internal) + tuple(row[2:5])


def _subdir_row(name):
    return [name, '0', 0, None, '']


class ContainerBroker(DatabaseBroker):
    """Broker over one container DB (``<dev>/containers/<part>/<sfx>/<hash>/<hash>.db``)."""

    db_type = 'container'
    db_contains_type = 'object'
    stat_table = 'container_info'

    def _initialize(self, conn, put_timestamp, storage_policy_index=None):
        if not self.account or not self.container:
            raise ValueError('Attempting to create a new database with no account '
                             'or container set')
        if storage_policy_index is None:
            storage_policy_index = 0
        for statement in CONTAINER_SCHEMA:
            conn.execute(statement)
            if statement.startswith('CREATE TABLE policy_stat'):
                conn.execute('INSERT INTO policy_stat (storage_policy_index) VALUES (?)',
                             (storage_policy_index,))
        conn.execute(
            'INSERT INTO container_info (account, container, created_at, id, '
            'put_timestamp, status_changed_at, storage_policy_index) '
            'VALUES (?, ?, ?, ?, ?, ?, ?)',
            (self.account, self.container, self._now().internal, self._new_db_id(),
             put_timestamp, put_timestamp, storage_policy_index))

    # -- pending records -----------------------------------------------------------

    def make_tuple_for_pickle(self, record):
        """Pending 9-tuple (name, created_at, size, content_type, etag, deleted,
        storage_policy_index, ctype_timestamp, meta_timestamp)."""
        return (record['name'], record['created_at'], record['size'],
                record['content_type'], record['etag'], record['deleted'],
                record['storage_policy_index'], record['ctype_timestamp'],
                record['meta_timestamp'])

    def pending_record_from_tuple(self, values):
        """Inverse of :meth:`make_tuple_for_pickle`; older 6/7-tuples are accepted."""
        name, created_at, size, content_type, etag, deleted = values[:6]
        return {'name': name, 'created_at': created_at, 'size': size,
                'content_type': content_type, 'etag': etag, 'deleted': deleted,
                'storage_policy_index': values[6] if len(values) > 6 else 0,
                'ctype_timestamp': values[7] if len(values) > 7 else None,
                'meta_timestamp': values[8] if len(values) > 8 else None}

    def put_object(self, name, timestamp, size, content_type, etag, deleted=0,
                   storage_policy_index=0, ctype_timestamp=None, meta_timestamp=None):
        """Queue an object row (merged on the next read).

        :param name: object name (native str).
        :param timestamp: data timestamp, internal form.
        :param size: bytes (int).
        """
        self.put_record({'name': name, 'created_at': timestamp, 'size': size,
                         'content_type': content_type, 'etag': etag, 'deleted': deleted,
                         'storage_policy_index': storage_policy_index,
                         'ctype_timestamp': ctype_timestamp,
                         'meta_timestamp': meta_timestamp})

    def delete_object(self, name, timestamp, storage_policy_index=0):
        """Queue a tombstone row (size 0, ``application/deleted``, etag ``noetag``)."""
        self.put_object(name, timestamp, 0, 'application/deleted', 'noetag', deleted=1,
                        storage_policy_index=storage_policy_index)

    def _existing_rows(self, curs, names):
        records = {}
        names = list(names)
        for offset in range(0, len(names), SQLITE_ARG_LIMIT):
            chunk = names[offset:offset + SQLITE_ARG_LIMIT]
            query = ('SELECT name, created_at, size, content_type, etag, deleted, '
                     'storage_policy_index FROM object WHERE deleted IN (0, 1) AND '
                     'name IN (%s)' % ','.join('?' * len(chunk)))
            for row in curs.execute(query, chunk):
                records[(row[0], row[6])] = row
        return records

    def merge_items(self, item_list, source=None):
        """Merge object rows (dicts) by Swift's rule in one transaction.

        :param source: remote DB id for replication; its incoming sync point moves
            to the highest ``ROWID`` in ``item_list``.
        """
        with self.get() as conn:
            curs = conn.cursor()
            curs.execute('BEGIN IMMEDIATE')
            records = self._existing_rows(curs, {item['name'] for item in item_list})
            to_delete, to_add = set(), {}
            for item in item_list:
                item.setdefault('storage_policy_index', 0)
                ident = (item['name'], item['storage_policy_index'])
                row = records.get(ident)
                existing = None if row is None else dict(zip(
                    ('name', 'created_at', 'size', 'content_type', 'etag', 'deleted',
                     'storage_policy_index'), row))
                if update_new_item_from_existing(item, existing):
                    if ident in records:
                        to_delete.add(ident)
                    if ident in to_add:
                        update_new_item_from_existing(item, to_add[ident])
                    to_add[ident] = item
            if to_delete:
                curs.executemany('DELETE FROM object WHERE deleted IN (0, 1) AND name = ? '
                                 'AND storage_policy_index = ?', sorted(to_delete))
            if to_add:
                curs.executemany(
                    'INSERT INTO object (name, created_at, size, content_type, etag, '
                    'deleted, storage_policy_index) VALUES (?, ?, ?, ?, ?, ?, ?)',
                    [(i['name'], i['created_at'], i['size'], i['content_type'],
                      i['etag'], i['deleted'], i['storage_policy_index'])
                     for i in to_add.values()])
            if source:
                max_rowid = max(item.get('ROWID', -1) for item in item_list)
                self._record_incoming(curs, source, max_rowid)
            conn.commit()

    @staticmethod
    def _record_incoming(curs, source, max_rowid):
        curs.execute('INSERT OR IGNORE INTO incoming_sync (remote_id, sync_point) '
                     'VALUES (?, ?)', (source, max_rowid))
        curs.execute('UPDATE incoming_sync SET sync_point = max(?, sync_point) '
                     'WHERE remote_id = ?', (max_rowid, source))

    # -- info and state ------------------------------------------------------------

    def get_info(self):
        """Container info dict (CONTAINER_INFO_COLUMNS; counts of its policy)."""
        self.commit_pending()
        with self.get() as conn:
            curs = conn.execute('SELECT %s FROM container_stat'
                                % ', '.join(CONTAINER_INFO_COLUMNS))
            curs.row_factory = dict_factory
            return curs.fetchone()

    def _is_deleted_info(self, object_count=None, put_timestamp='0',
                         delete_timestamp='0', **_ignored):
        return zero_like(object_count) and \
            Timestamp(delete_timestamp) > Timestamp(put_timestamp)

    @property
    def storage_policy_index(self):
        """The container's policy index."""
        return self.get_info()['storage_policy_index']

    def empty(self):
        """True when no policy holds a live object row."""
        self.commit_pending()
        with self.get() as conn:
            row = conn.execute('SELECT max(object_count) FROM policy_stat').fetchone()
        return zero_like(row[0])

    def set_storage_policy_index(self, policy_index, timestamp=None):
        """Switch the container's policy (only done for a deleted container)."""
        timestamp = timestamp or self._now().internal
        with self.get() as conn:
            conn.execute('INSERT OR IGNORE INTO policy_stat (storage_policy_index) '
                         'VALUES (?)', (policy_index,))
            conn.execute('UPDATE container_info SET storage_policy_index = ?, '
                         'status_changed_at = MAX(?, status_changed_at) '
                         'WHERE storage_policy_index <> ?',
                         (policy_index, timestamp, policy_index))
            conn.commit()

    def get_policy_stats(self):
        """``{policy_index: {'object_count': n, 'bytes_used': n}}``."""
        self.commit_pending()
        with self.get() as conn:
            rows = conn.execute('SELECT storage_policy_index, object_count, bytes_used '
                                'FROM policy_stat').fetchall()
        return {r[0]: {'object_count': r[1], 'bytes_used': r[2]} for r in rows}

    def reported(self, put_timestamp, delete_timestamp, object_count, bytes_used):
        """Remember what the container-updater last sent to the account."""
        with self.get() as conn:
            conn.execute('UPDATE container_info SET reported_put_timestamp = ?, '
                         'reported_delete_timestamp = ?, reported_object_count = ?, '
                         'reported_bytes_used = ?',
                         (put_timestamp, delete_timestamp, object_count, bytes_used))
            conn.commit()

    def set_x_container_sync_points(self, sync_point1, sync_point2):
        """Reset/advance container-sync points (-1 means start over)."""
        with self.get() as conn:
            conn.execute('UPDATE container_info SET x_container_sync_point1 = ?, '
                         'x_container_sync_point2 = ?', (sync_point1, sync_point2))
            conn.commit()

    def _reclaim_rows(self, conn, age_timestamp):
        conn.execute('DELETE FROM object WHERE deleted = 1 AND created_at < ?',
                     (age_timestamp,))

    # -- listing -------------------------------------------------------------------

    def list_objects_iter(self, limit, marker, end_marker, prefix, delimiter, path=None,
                          storage_policy_index=0, reverse=False, include_deleted=False,
                          allow_reserved=False):
        """One listing page, Swift's rules (see :class:`ListingQuery`).

        :param limit: max rows (objects + subdirs).
        :param marker/end_marker: exclusive bounds on the name (native str or '').
        :param prefix: names must start with it (None = no prefix).
        :param delimiter: roll names up to the first delimiter after the prefix
            (may be several characters).
        :param path: list direct children of ``path`` (implies delimiter '/').
        :returns: list of ``(name, last_modified_internal, size, content_type, etag)``;
            subdirs as ``[name, '0', 0, None, '']``.
        """
        self.commit_pending()
        deleted_arg = {True: ' = 1', None: ' IN (0, 1)'}.get(include_deleted, ' = 0')

        def query(conditions, args, desc, count):
            conditions = list(conditions)
            args = list(args)
            if not allow_reserved:
                conditions.append('name >= ?')
                args.append(chr(ord(RESERVED_BYTE) + 1))
            conditions.append('deleted' + deleted_arg)
            conditions.append('storage_policy_index = ?')
            args.append(storage_policy_index)
            sql = ('SELECT name, created_at, size, content_type, etag FROM object '
                   'WHERE %s ORDER BY name %s LIMIT ?'
                   % (' AND '.join(conditions), 'DESC' if desc else ''))
            return sql, args + [count]

        with self.get() as conn:
            return ListingQuery(query, _subdir_row, _transform_record).run(
                conn, limit, marker, end_marker, prefix, delimiter, reverse, path)

    def get_objects(self, limit=None):
        """Every object row (dicts, tombstones included) in name order; for tools."""
        self.commit_pending()
        with self.get() as conn:
            curs = conn.execute('SELECT * FROM object ORDER BY name, storage_policy_index'
                                + (' LIMIT %d' % limit if limit else ''))
            curs.row_factory = dict_factory
            return list(curs)
