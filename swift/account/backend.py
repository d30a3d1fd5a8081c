# Owns the account DB: one row per container with the stats the container servers
# report, the account_stat row (status DELETED after an account DELETE) and per-policy
# totals kept by triggers. Schema in schema.py (Swift 2.38's, verbatim).
"""AccountBroker: Swift's account database."""

from swift.common.db import (DatabaseBroker, RESERVED_BYTE,
                             dict_factory, zero_like)
from swift.common.db_listing import ListingQuery
from swift.common.timestamp import Timestamp
from swift.account.schema import ACCOUNT_SCHEMA

ACCOUNT_INFO_COLUMNS = ('account', 'created_at', 'put_timestamp', 'delete_timestamp',
                        'status_changed_at', 'container_count', 'object_count',
                        'bytes_used', 'hash', 'id', 'status')


def _subdir_row(name):
    return [name, 0, 0, '0', -1, 1]


class AccountBroker(DatabaseBroker):
    """Broker over one account DB (``<dev>/accounts/<part>/<sfx>/<hash>/<hash>.db``)."""

    db_type = 'account'
    db_contains_type = 'container'
    stat_table = 'account_stat'

    def _initialize(self, conn, put_timestamp, storage_policy_index=None):
        if not self.account:
            raise ValueError('Attempting to create a new database with no account set')
        for statement in ACCOUNT_SCHEMA:
            conn.execute(statement)
            if statement.startswith('CREATE TABLE account_stat'):
                conn.execute('INSERT INTO account_stat (container_count) VALUES (0)')
        conn.execute('UPDATE account_stat SET account = ?, created_at = ?, id = ?, '
                     'put_timestamp = ?, status_changed_at = ?',
                     (self.account, self._now().internal, self._new_db_id(),
                      put_timestamp, put_timestamp))

    # -- pending records -----------------------------------------------------------

    def make_tuple_for_pickle(self, record):
        """Pending 7-tuple (name, put_timestamp, delete_timestamp, object_count,
        bytes_used, deleted, storage_policy_index)."""
        return (record['name'], record['put_timestamp'], record['delete_timestamp'],
                record['object_count'], record['bytes_used'], record['deleted'],
                record['storage_policy_index'])

    def pending_record_from_tuple(self, values):
        """Inverse of :meth:`make_tuple_for_pickle` (6-tuples mean policy 0)."""
        name, put_ts, delete_ts, object_count, bytes_used, deleted = values[:6]
        return {'name': name, 'put_timestamp': put_ts, 'delete_timestamp': delete_ts,
                'object_count': object_count, 'bytes_used': bytes_used,
                'deleted': deleted,
                'storage_policy_index': values[6] if len(values) > 6 else 0}

    def put_container(self, name, put_timestamp, delete_timestamp, object_count,
                      bytes_used, storage_policy_index):
        """Queue a container row as reported by a container server.

        The row is deleted when delete_timestamp > put_timestamp and it holds no
        objects (Swift's rule).
        """
        deleted = 1 if (Timestamp(delete_timestamp) > Timestamp(put_timestamp)
                        and zero_like(object_count)) else 0
        self.put_record({'name': name, 'put_timestamp': put_timestamp,
                         'delete_timestamp': delete_timestamp,
                         'object_count': object_count, 'bytes_used': bytes_used,
                         'deleted': deleted, 'storage_policy_index': storage_policy_index})

    def merge_items(self, item_list, source=None):
        """Merge container rows: newest put and delete timestamps are kept, the
        reported counts replace the stored ones, and ``deleted`` is recomputed."""
        with self.get() as conn:
            curs = conn.cursor()
            curs.execute('BEGIN IMMEDIATE')
            max_rowid = -1
            for rec in item_list:
                record = [rec['name'], rec['put_timestamp'], rec['delete_timestamp'],
                          rec['object_count'], rec['bytes_used'], rec['deleted'],
                          rec.get('storage_policy_index', 0)]
                row = curs.execute(
                    'SELECT name, put_timestamp, delete_timestamp, object_count, '
                    'bytes_used, deleted, storage_policy_index FROM container '
                    'WHERE name = ? AND deleted IN (0, 1)', (rec['name'],)).fetchone()
                if row:
                    row = list(row)
                    for index in range(5):
                        if record[index] is None and row[index] is not None:
                            record[index] = row[index]
                    if Timestamp(row[1]) > Timestamp(record[1]):
                        record[1] = row[1]
                    if Timestamp(row[2]) > Timestamp(record[2]):
                        record[2] = row[2]
                    record[5] = 1 if (Timestamp(record[2]) > Timestamp(record[1])
                                      and zero_like(record[3])) else 0
                curs.execute('DELETE FROM container WHERE name = ? AND deleted IN (0, 1)',
                             (record[0],))
                curs.execute('INSERT INTO container (name, put_timestamp, '
                             'delete_timestamp, object_count, bytes_used, deleted, '
                             'storage_policy_index) VALUES (?, ?, ?, ?, ?, ?, ?)', record)
                max_rowid = max(max_rowid, rec.get('ROWID', -1))
            if source:
                curs.execute('INSERT OR IGNORE INTO incoming_sync (remote_id, sync_point)'
                             ' VALUES (?, ?)', (source, max_rowid))
                curs.execute('UPDATE incoming_sync SET sync_point = max(?, sync_point) '
                             'WHERE remote_id = ?', (max_rowid, source))
            conn.commit()

    # -- info and state ------------------------------------------------------------

    def get_info(self):
        """Account info dict (ACCOUNT_INFO_COLUMNS)."""
        self.commit_pending()
        with self.get() as conn:
            curs = conn.execute('SELECT %s FROM account_stat' % ', '.join(ACCOUNT_INFO_COLUMNS))
            curs.row_factory = dict_factory
            return curs.fetchone()

    def _is_deleted_info(self, status='', container_count=None, delete_timestamp='0',
                         put_timestamp='0', **_ignored):
        return status == 'DELETED' or (
            zero_like(container_count) and
            Timestamp(delete_timestamp) > Timestamp(put_timestamp))

    def is_status_deleted(self):
        """True only when an account DELETE marked it (status 'DELETED').

        :raises DatabaseConnectionError: DB missing.
        """
        with self.get() as conn:
            row = conn.execute('SELECT status FROM account_stat').fetchone()
        return row[0] == 'DELETED'

    def empty(self):
        """True when the account lists no live container."""
        self.commit_pending()
        with self.get() as conn:
            row = conn.execute('SELECT container_count FROM account_stat').fetchone()
        return zero_like(row[0])

    def get_policy_stats(self):
        """``{policy_index: {'container_count', 'object_count', 'bytes_used'}}``."""
        self.commit_pending()
        with self.get() as conn:
            rows = conn.execute('SELECT storage_policy_index, container_count, '
                                'object_count, bytes_used FROM policy_stat').fetchall()
        return {r[0]: {'container_count': r[1], 'object_count': r[2], 'bytes_used': r[3]}
                for r in rows}

    def _reclaim_rows(self, conn, age_timestamp):
        conn.execute('DELETE FROM container WHERE deleted = 1 AND delete_timestamp < ?',
                     (age_timestamp,))

    # -- listing -------------------------------------------------------------------

    def list_containers_iter(self, limit, marker, end_marker, prefix, delimiter,
                             reverse=False, allow_reserved=False):
        """One listing page of containers, Swift's rules (see ListingQuery).

        :returns: list of ``(name, object_count, bytes_used, put_timestamp,
            storage_policy_index, is_subdir)``; subdirs ``[name, 0, 0, '0', -1, 1]``.
        """
        self.commit_pending()

        def query(conditions, args, desc, count):
            conditions = list(conditions)
            args = list(args)
            if not allow_reserved:
                conditions.append('name >= ?')
                args.append(chr(ord(RESERVED_BYTE) + 1))
            conditions.append('deleted = 0')
            sql = ('SELECT name, object_count, bytes_used, put_timestamp, '
                   'storage_policy_index, 0 FROM container WHERE %s ORDER BY name %s '
                   'LIMIT ?' % (' AND '.join(conditions), 'DESC' if desc else ''))
            return sql, args + [count]

        with self.get() as conn:
            return ListingQuery(query, _subdir_row).run(
                conn, limit, marker, end_marker, prefix, delimiter, reverse, None)

    def get_containers(self):
        """Every container row (dicts, deleted included) in name order; for tools."""
        self.commit_pending()
        with self.get() as conn:
            curs = conn.execute('SELECT * FROM container ORDER BY name')
            curs.row_factory = dict_factory
            return list(curs)
