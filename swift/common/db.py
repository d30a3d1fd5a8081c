# Owns the SQLite layer shared by account and container databases (Swift's db.py rules,
# swift-catalog.md 4):
# - a DB is created in a temp file beside its final name, fsynced, then renamed in;
# - row updates are appended to ``<db>.pending`` as ``b':' + base64(pickle(tuple, 2))``
#   under the directory lock and merged into SQLite before any read (or at once when the
#   file passes PENDING_CAP bytes);
# - rows are never UPDATEd (a trigger refuses it): a change is DELETE + INSERT, and
#   triggers keep the stats rows and the ``chexor`` hash in step;
# - metadata is one JSON column ``{name: [value, timestamp]}`` merged key by key, newest
#   timestamp wins; an empty value is a deletion, reclaimed after reclaim_age.
# doc/formats/container-db.md describes the files.
"""DatabaseBroker: the SQLite broker base class, its pending file and listing query."""

import base64
import contextlib
import json
import os
import pickle
import sqlite3
import tempfile
import time
import uuid

from swift.common import concurrency, limits
from swift.common.constraints import valid_utf8
from swift.common.db_listing import ListingQuery  # noqa: F401 (re-exported)
from swift.common.fs import lock_path, mkdirs, renamer, LockTimeout
from swift.common.hashing import md5_hex
from swift.common.safe_pickle import safe_loads
from swift.common.timestamp import Timestamp

PENDING_CAP = limits.pending_file_bytes_max
PICKLE_PROTOCOL = 2
BROKER_TIMEOUT_S = 25
"""Seconds a connection waits on a locked database (Swift's BROKER_TIMEOUT)."""
PENDING_TIMEOUT_S = 10
"""Default seconds to wait for the pending-file lock."""
RESERVED_BYTE = '\x00'
SQLITE_ARG_LIMIT = 999
"""Most ``?`` parameters one SQLite statement accepts (older builds' limit)."""

QUARANTINE_TRIGGERS = ('database disk image is malformed', 'malformed database schema',
                       'file is encrypted or is not a database', 'file is not a database',
                       'no such table')

SYNC_SCHEMA = (
    """CREATE TABLE outgoing_sync (
                remote_id TEXT UNIQUE,
                sync_point INTEGER,
                updated_at TEXT DEFAULT 0
            )""",
    """CREATE TABLE incoming_sync (
                remote_id TEXT UNIQUE,
                sync_point INTEGER,
                updated_at TEXT DEFAULT 0
            )""",
    """CREATE TRIGGER outgoing_sync_insert AFTER INSERT ON outgoing_sync
            BEGIN
                UPDATE outgoing_sync
                SET updated_at = STRFTIME('%s', 'NOW')
                WHERE ROWID = new.ROWID;
            END""",
    """CREATE TRIGGER outgoing_sync_update AFTER UPDATE ON outgoing_sync
            BEGIN
                UPDATE outgoing_sync
                SET updated_at = STRFTIME('%s', 'NOW')
                WHERE ROWID = new.ROWID;
            END""",
    """CREATE TRIGGER incoming_sync_insert AFTER INSERT ON incoming_sync
            BEGIN
                UPDATE incoming_sync
                SET updated_at = STRFTIME('%s', 'NOW')
                WHERE ROWID = new.ROWID;
            END""",
    """CREATE TRIGGER incoming_sync_update AFTER UPDATE ON incoming_sync
            BEGIN
                UPDATE incoming_sync
                SET updated_at = STRFTIME('%s', 'NOW')
                WHERE ROWID = new.ROWID;
            END""",
)


class BrokerError(Exception):
    """Base of the database broker errors.

    :ivar path: the DB file concerned.
    """

    def __init__(self, path, msg=''):
        super().__init__('DB %s: %s' % (path, msg) if msg else 'DB %s' % path)
        self.path = path
        self.msg = msg


class DatabaseConnectionError(BrokerError):
    """The DB file does not exist or cannot be opened."""


class DatabaseAlreadyExists(BrokerError):
    """initialize() found a DB already in place (another writer won the race)."""


class DatabaseQuarantined(BrokerError):
    """The DB was corrupt and has been moved to ``quarantined/``.

    :ivar quarantine_path: where the hash directory went.
    """

    def __init__(self, path, quarantine_path, reason):
        super().__init__(path, 'quarantined to %s due to %s' % (quarantine_path, reason))
        self.quarantine_path = quarantine_path


class MetadataLimitError(BrokerError):
    """Stored metadata would break Swift's count/size limits (HTTP 400 at the server).

    :ivar body: the client message, e.g. ``Too many metadata items; max 90``.
    """

    def __init__(self, path, body):
        super().__init__(path, body)
        self.body = body


def chexor(old, name, timestamp):
    """XOR ``old`` (32 hex digits) with md5 of ``'<name>-<timestamp>'``.

    Swift's order-independent DB hash; registered as SQL function ``chexor``.

    :returns: 32 lowercase hex digits.
    """
    if name is None:
        raise ValueError('name is None!')
    new = md5_hex(('%s-%s' % (name, timestamp)).encode('utf-8'))
    return '%032x' % (int(old, 16) ^ int(new, 16))


def zero_like(count):
    """True for the ways an empty count is stored (None, '', 0, '0')."""
    return count in (None, '', 0, '0')


def dict_factory(cursor, row):
    """sqlite3 row factory giving dicts keyed by column name."""
    return {col[0]: row[index] for index, col in enumerate(cursor.description)}


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def encode_pending_record(record_tuple):
    """One pending-file entry: ``b':' + base64(pickle.dumps(tuple, protocol=2))``."""
    return b':' + base64.b64encode(pickle.dumps(record_tuple, protocol=PICKLE_PROTOCOL))


def decode_pending(data):
    """Split pending-file bytes into tuples, skipping undecodable entries.

    :param data: whole file content (bytes).
    :returns: (list of tuples, list of bad entries as bytes).
    """
    records, bad = [], []
    for entry in data.split(b':'):
        if not entry:
            continue
        try:
            records.append(tuple(safe_loads(base64.b64decode(entry), encoding='utf-8')))
        except Exception:  # any corrupt entry is skipped, as Swift does
            bad.append(entry)
    return records, bad


class InvalidRecordError(BrokerError, ValueError):
    """A row holds text SQLite cannot store (not UTF-8, e.g. lone surrogates from
    undecodable request bytes); refused before it reaches the pending file.

    :ivar record: the offending record tuple.
    """

    def __init__(self, path, record):
        super().__init__(path, 'invalid record %r' % (record,))
        self.record = record


def record_is_storable(record_tuple):
    """True when every str in ``record_tuple`` encodes as strict UTF-8."""
    try:
        for value in record_tuple:
            if isinstance(value, str):
                value.encode('utf-8')
    except UnicodeEncodeError:
        return False
    return True


class DatabaseLockTimeout(BrokerError):
    """The DB stayed locked by another writer for longer than the broker timeout."""


def _retry_locked(timeout_s, path, call):
    """Run ``call`` retrying while SQLite says the DB is locked, sleeping green
    (eventlet) in between, so a busy DB never blocks the other greenthreads.

    :raises DatabaseLockTimeout: still locked after ``timeout_s`` seconds.
    """
    deadline = time.monotonic() + timeout_s
    wait_s = 0.001
    while True:
        try:
            return call()
        except sqlite3.OperationalError as err:
            if 'locked' not in str(err) and 'busy' not in str(err):
                raise
        if time.monotonic() >= deadline:
            raise DatabaseLockTimeout(path, 'locked for more than %ss' % timeout_s)
        concurrency.sleep(wait_s)
        wait_s = min(wait_s * 2, 0.05)


class GreenDBCursor(sqlite3.Cursor):
    """Cursor whose execute/executemany retry (green) while the DB is locked."""

    def execute(self, *args, **kwargs):
        return _retry_locked(self.connection.timeout_s, self.connection.db_file,
                             lambda: sqlite3.Cursor.execute(self, *args, **kwargs))

    def executemany(self, *args, **kwargs):
        return _retry_locked(self.connection.timeout_s, self.connection.db_file,
                             lambda: sqlite3.Cursor.executemany(self, *args, **kwargs))


class GreenDBConnection(sqlite3.Connection):
    """Connection that never blocks in SQLite's busy handler (timeout 0) and instead
    retries locked statements with green sleeps (Swift's GreenDBConnection)."""

    def __init__(self, database, timeout_s=BROKER_TIMEOUT_S, **kwargs):
        self.timeout_s = timeout_s
        self.db_file = database
        super().__init__(database, timeout=0, **kwargs)

    def cursor(self, factory=GreenDBCursor):
        return sqlite3.Connection.cursor(self, factory)

    def execute(self, *args, **kwargs):
        return self.cursor().execute(*args, **kwargs)

    def commit(self):
        return _retry_locked(self.timeout_s, self.db_file,
                             lambda: sqlite3.Connection.commit(self))


def open_db_connection(path, timeout_s=BROKER_TIMEOUT_S, okay_to_create=False):
    """Open ``path`` with Swift's pragmas and the ``chexor`` function.

    :raises DatabaseConnectionError: when the file is missing (and not okay_to_create)
        or SQLite cannot open it.
    """
    if not okay_to_create and not os.path.exists(path):
        raise DatabaseConnectionError(path, "DB doesn't exist")
    try:
        conn = sqlite3.connect(path, check_same_thread=False, factory=GreenDBConnection,
                               timeout_s=timeout_s)
        conn.row_factory = sqlite3.Row
        conn.text_factory = str
        conn.execute('PRAGMA synchronous = NORMAL')
        conn.execute('PRAGMA temp_store = MEMORY')
        conn.execute('PRAGMA journal_mode = DELETE')
        conn.create_function('chexor', 3, chexor)
    except sqlite3.DatabaseError as err:
        raise DatabaseConnectionError(path, str(err))
    return conn


class DatabaseBroker:
    """Base broker over one account or container SQLite file.

    Subclasses set ``db_type`` ('account'/'container'), ``db_contains_type``
    ('container'/'object'), ``stat_table`` and implement ``_initialize``,
    ``make_tuple_for_pickle``, ``pending_record_from_tuple``, ``merge_items``,
    ``_is_deleted_info``, ``get_info`` and ``_reclaim_rows``.

    :param db_file: path of the ``.db`` file, or ``':memory:'``.
    :param timeout: seconds SQLite waits on a locked DB.
    :param logger: logger for corrupt pending entries etc. (optional).
    :param pending_timeout: seconds to wait for the pending-file lock.
    :param stale_reads_ok: reads go ahead without merging pending rows when the lock
        is busy.
    :param clock: object with ``time()`` (seconds), for created_at/ids.
    """

    db_type = None
    db_contains_type = None
    stat_table = None

    def __init__(self, db_file, timeout=BROKER_TIMEOUT_S, logger=None, account=None,
                 container=None, pending_timeout=None, stale_reads_ok=False,
                 skip_commits=False, clock=None):
        self.db_file = db_file
        self.pending_file = self.db_file + '.pending'
        self.pending_timeout = PENDING_TIMEOUT_S if pending_timeout is None \
            else pending_timeout
        self.stale_reads_ok = stale_reads_ok
        self.db_dir = os.path.dirname(db_file)
        self.timeout = timeout
        self.logger = logger
        self.account = account
        self.container = container
        self.skip_commits = skip_commits
        self.clock = clock
        self.conn = None
        self._db_version = -1

    def __str__(self):
        return self.db_file

    def _now(self):
        return Timestamp(self.clock.time() if self.clock else time.time())

    # -- creation and connections --------------------------------------------------

    def _new_db_id(self):
        device = os.path.basename(self.get_device_path())
        return '%s-%s' % (uuid.uuid4(), device)

    def get_device_path(self):
        """``<devices>/<dev>`` for a DB at ``<dev>/<type>s/<part>/<suffix>/<hash>/``."""
        path = self.db_dir
        for _ in range(4):
            path = os.path.dirname(path)
        return path

    def in_storage_layout(self):
        """True for ``<dev>/<db_type>s/<part>/<suffix>/<hash>/<hash>.db``."""
        if self.db_file == ':memory:' or not self.db_type:
            return False
        hash_dir = os.path.basename(self.db_dir)
        suffix_dir = os.path.dirname(self.db_dir)
        datadir = os.path.dirname(os.path.dirname(suffix_dir))
        return (os.path.basename(self.db_file).startswith(hash_dir) and
                hash_dir.endswith(os.path.basename(suffix_dir)) and
                os.path.basename(datadir) == self.db_type + 's')

    def initialize(self, put_timestamp=None, storage_policy_index=None):
        """Create the DB (temp file, schema, fsync, rename into place).

        :param put_timestamp: internal-form timestamp of the creating PUT.
        :raises DatabaseAlreadyExists: if the file appeared meanwhile.
        """
        if self.db_file == ':memory:':
            conn = open_db_connection(':memory:', self.timeout, okay_to_create=True)
            self._create(conn, put_timestamp, storage_policy_index)
            self.conn = conn
            return
        mkdirs(self.db_dir)
        fd, tmp_db_file = tempfile.mkstemp(suffix='.tmp', dir=self.db_dir)
        os.close(fd)
        try:
            conn = open_db_connection(tmp_db_file, self.timeout, okay_to_create=True)
            conn.execute('PRAGMA synchronous = OFF')
            conn.execute('PRAGMA journal_mode = MEMORY')
            self._create(conn, put_timestamp, storage_policy_index)
            conn.close()
            with open(tmp_db_file, 'r+b') as fp:
                os.fsync(fp.fileno())
            with lock_path(self.db_dir, self.pending_timeout, sleep=concurrency.sleep):
                if os.path.exists(self.db_file):
                    raise DatabaseAlreadyExists(self.db_file)
                renamer(tmp_db_file, self.db_file)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp_db_file)
        self.conn = open_db_connection(self.db_file, self.timeout)

    def _create(self, conn, put_timestamp, storage_policy_index):
        for statement in SYNC_SCHEMA:
            conn.execute(statement)
        if put_timestamp is None:
            put_timestamp = Timestamp(0).internal
        self._initialize(conn, put_timestamp, storage_policy_index=storage_policy_index)
        conn.commit()

    def _initialize(self, conn, put_timestamp, storage_policy_index=None):
        raise NotImplementedError

    @contextlib.contextmanager
    def get(self):
        """Yield a connection (rolled back afterwards unless committed).

        :raises DatabaseConnectionError: DB missing.
        :raises DatabaseQuarantined: the DB was corrupt and has been quarantined.
        """
        if not self.conn:
            if self.db_file != ':memory:' and not os.path.exists(self.db_file):
                raise DatabaseConnectionError(self.db_file, "DB doesn't exist")
            try:
                self.conn = open_db_connection(self.db_file, self.timeout)
            except DatabaseConnectionError as err:
                self.possibly_quarantine(err)
        conn = self.conn
        self.conn = None
        try:
            yield conn
            conn.rollback()
            self.conn = conn
        except sqlite3.DatabaseError as err:
            with contextlib.suppress(Exception):
                conn.close()
            self.possibly_quarantine(err)
        except BaseException:
            with contextlib.suppress(Exception):
                conn.close()
            raise

    def possibly_quarantine(self, err):
        """Quarantine the DB if ``err`` says it is corrupt, else re-raise ``err``.

        The hash directory moves to ``<dev>/quarantined/<db_type>s/<hash>`` (a uuid
        suffix is added on collision).

        :raises DatabaseQuarantined: after moving the DB.
        """
        text = str(err)
        reason = next((t for t in QUARANTINE_TRIGGERS if t in text), None)
        if reason is None or not self.in_storage_layout():
            # only a DB in a device's datadir is moved; a stray file (a tool given a
            # path) is reported, never moved
            raise err
        self.quarantine('%s database' % reason)

    def quarantine(self, reason):
        """Move the DB's hash directory to ``<dev>/quarantined/<db_type>s/<hash>``
        (a uuid suffix is added on collision), as Swift's ``quarantine(reason)``.

        :param reason: short text for the log and the error, e.g.
            ``'no account replicas exist'``.
        :raises DatabaseQuarantined: always, once the directory has moved.
        """
        target_dir = os.path.join(self.get_device_path(), 'quarantined',
                                  self.db_type + 's')
        target = os.path.join(target_dir, os.path.basename(self.db_dir))
        if os.path.exists(target):
            target += '-' + uuid.uuid4().hex
        mkdirs(target_dir)
        renamer(self.db_dir, target)
        if self.conn:
            with contextlib.suppress(Exception):
                self.conn.close()
            self.conn = None
        if self.logger:
            self.logger.error('Quarantined %s to %s due to %s', self.db_dir, target,
                              reason)
        raise DatabaseQuarantined(self.db_file, target, reason)

    # -- pending file --------------------------------------------------------------

    def make_tuple_for_pickle(self, record):
        raise NotImplementedError

    def pending_record_from_tuple(self, values):
        raise NotImplementedError

    def merge_items(self, item_list, source=None):
        raise NotImplementedError

    def put_record(self, record):
        """Queue ``record`` in the pending file (merge at once past PENDING_CAP).

        :raises DatabaseConnectionError: DB missing.
        :raises InvalidRecordError: a text field is not storable UTF-8 (nothing
            written).
        :raises LockTimeout: pending lock busy longer than ``pending_timeout``.
        """
        record_tuple = self.make_tuple_for_pickle(record)
        if not record_is_storable(record_tuple):
            raise InvalidRecordError(self.db_file, record_tuple)
        if self.db_file == ':memory:':
            self.merge_items([record])
            return
        if not os.path.exists(self.db_file):
            raise DatabaseConnectionError(self.db_file, "DB doesn't exist")
        with lock_path(self.db_dir, self.pending_timeout, sleep=concurrency.sleep):
            # one open, fstat and append write: no buffered file object per update
            fd = os.open(self.pending_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                if os.fstat(fd).st_size <= PENDING_CAP:
                    _write_all(fd, encode_pending_record(record_tuple))
                    return
            finally:
                os.close(fd)
            self._commit_puts([record])

    def _commit_puts(self, item_list=None):
        """Merge the pending file (plus ``item_list``) into SQLite; the caller holds
        the pending lock or calls :meth:`commit_pending`."""
        item_list = list(item_list or [])
        if self.db_file == ':memory:' or self.skip_commits or \
                not os.path.exists(self.pending_file):
            if item_list:
                self.merge_items(item_list)
            return
        with open(self.pending_file, 'r+b') as fp:
            records, bad = decode_pending(fp.read())
            bad.extend(repr(r).encode() for r in records if not record_is_storable(r))
            records = [r for r in records if record_is_storable(r)]
            for entry in bad:
                if self.logger:
                    self.logger.error('Invalid pending entry %s: %r',
                                      self.pending_file, entry[:64])
            item_list[:0] = [self.pending_record_from_tuple(r) for r in records]
            if item_list:
                self.merge_items(item_list)
            fp.seek(0)
            fp.truncate()

    def commit_pending(self):
        """Take the pending lock and merge the pending file.

        :raises LockTimeout: lock busy (unless ``stale_reads_ok``).
        """
        if self.db_file == ':memory:' or self.skip_commits or \
                not os.path.exists(self.pending_file) or \
                not os.path.getsize(self.pending_file):
            return
        try:
            with lock_path(self.db_dir, self.pending_timeout, sleep=concurrency.sleep):
                self._commit_puts()
        except LockTimeout:
            if not self.stale_reads_ok:
                raise

    # -- state ---------------------------------------------------------------------

    def _is_deleted_info(self, **info):
        raise NotImplementedError

    def get_info(self):
        raise NotImplementedError

    def is_deleted(self):
        """True when the DB is missing or its delete timestamp wins (see subclasses)."""
        info, deleted = self.get_info_is_deleted()
        return deleted

    def get_info_is_deleted(self):
        """(info dict, deleted bool); ``({}, True)`` when the DB file is missing."""
        if self.db_file != ':memory:' and not os.path.exists(self.db_file):
            return {}, True
        info = self.get_info()
        return info, self._is_deleted_info(**info)

    def _update_stat(self, column, timestamp, extra=''):
        with self.get() as conn:
            conn.execute('UPDATE %s SET %s = ?%s WHERE %s < ?'
                         % (self.stat_table, column, extra, column),
                         (timestamp, timestamp))
            conn.commit()

    def update_put_timestamp(self, timestamp):
        """Raise put_timestamp to ``timestamp`` (internal form) if newer."""
        self._update_stat('put_timestamp', timestamp)

    def update_status_changed_at(self, timestamp):
        """Raise status_changed_at to ``timestamp`` if newer."""
        self._update_stat('status_changed_at', timestamp)

    def delete_db(self, timestamp):
        """Clear all metadata and mark the DB deleted at ``timestamp``.

        Sets delete_timestamp, status 'DELETED' and status_changed_at (if newer).
        """
        cleared = {key: ('', timestamp) for key in self.metadata}
        self.update_metadata(cleared)
        with self.get() as conn:
            conn.execute("UPDATE %s SET delete_timestamp = ?, status = 'DELETED', "
                         "status_changed_at = ? WHERE delete_timestamp < ?"
                         % self.stat_table, (timestamp, timestamp, timestamp))
            conn.commit()

    # -- metadata ------------------------------------------------------------------

    @property
    def metadata(self):
        """``{name: [value, timestamp]}`` as stored (names keep their case)."""
        with self.get() as conn:
            return self._read_metadata(conn)

    def _read_metadata(self, conn):
        try:
            text = conn.execute('SELECT metadata FROM %s' % self.stat_table).fetchone()[0]
        except sqlite3.OperationalError as err:
            if 'no such column: metadata' not in str(err):
                raise
            text = ''
        return json.loads(text) if text else {}

    def update_metadata(self, metadata_updates, validate_metadata=False, constraints=None):
        """Merge ``{name: (value, timestamp)}``; per key the newer timestamp wins.

        :param validate_metadata: check Swift's cumulative limits on the result.
        :param constraints: the cluster's Constraints (default: Swift's limits).
        :raises MetadataLimitError: result breaks the limits (nothing written).
        """
        if not metadata_updates:
            return
        with self.get() as conn:
            metadata = self._read_metadata(conn)
            changed = False
            for key, (value, timestamp) in metadata_updates.items():
                if key not in metadata or timestamp > metadata[key][1]:
                    metadata[key] = [value, timestamp]
                    changed = True
            if not changed:
                return
            if validate_metadata:
                self.validate_metadata(metadata, self.db_file, constraints)
            conn.execute('UPDATE %s SET metadata = ?' % self.stat_table,
                         (json.dumps(metadata),))
            conn.commit()

    @staticmethod
    def validate_metadata(metadata, path='', constraints=None):
        """Check Swift's limits over all stored user metadata (field case BL-05).

        Only ``X-Account-Meta-*``/``X-Container-Meta-*`` with a non-empty value count;
        size is name (without prefix) + value.

        :raises MetadataLimitError: with Swift's message.
        """
        count_max = constraints.max_meta_count if constraints else limits.meta_count_max
        size_max = (constraints.max_meta_overall_size if constraints
                    else limits.meta_overall_bytes_max)
        count = size = 0
        for key, (value, _timestamp) in metadata.items():
            if (key and not valid_utf8(key.encode('utf-8', 'surrogateescape'))) or \
                    (value and not valid_utf8(value.encode('utf-8', 'surrogateescape'))):
                raise MetadataLimitError(path, 'Metadata must be valid UTF-8')
            lower = key.lower()
            for prefix in ('x-account-meta-', 'x-container-meta-'):
                if value and lower.startswith(prefix):
                    count += 1
                    size += len(lower) - len(prefix) + len(value)
        if count > count_max:
            raise MetadataLimitError(path, 'Too many metadata items; max %d' % count_max)
        if size > size_max:
            raise MetadataLimitError(path, 'Total metadata too large; max %d' % size_max)

    # -- reclaim and replication helpers -------------------------------------------

    def _reclaim_rows(self, conn, age_timestamp):
        raise NotImplementedError

    def reclaim(self, age_timestamp, sync_timestamp):
        """Drop deleted rows older than ``age_timestamp``, sync rows older than
        ``sync_timestamp`` and emptied metadata keys older than ``age_timestamp``.

        :param age_timestamp: internal-form timestamp string.
        :param sync_timestamp: seconds (int/float) compared with sync ``updated_at``.
        """
        self.commit_pending()
        with self.get() as conn:
            self._reclaim_rows(conn, age_timestamp)
            conn.execute('DELETE FROM outgoing_sync WHERE updated_at < ?', (sync_timestamp,))
            conn.execute('DELETE FROM incoming_sync WHERE updated_at < ?', (sync_timestamp,))
            metadata = self._read_metadata(conn)
            stale = [k for k, (v, ts) in metadata.items() if v == '' and ts < age_timestamp]
            if stale:
                for key in stale:
                    del metadata[key]
                conn.execute('UPDATE %s SET metadata = ?' % self.stat_table,
                             (json.dumps(metadata),))
            conn.commit()

    def get_max_row(self, table=None):
        """Highest ROWID of the item table (-1 when empty)."""
        table = table or self.db_contains_type
        with self.get() as conn:
            row = conn.execute('SELECT max(ROWID) FROM %s' % table).fetchone()
        return -1 if row[0] is None else row[0]

    def get_items_since(self, start, count):
        """Up to ``count`` item rows (dicts, with ROWID) whose ROWID > ``start``."""
        self.commit_pending()
        with self.get() as conn:
            curs = conn.execute('SELECT * FROM %s WHERE ROWID > ? ORDER BY ROWID ASC '
                                'LIMIT ?' % self.db_contains_type, (start, count))
            curs.row_factory = dict_factory
            return list(curs)

    def get_sync(self, remote_id, incoming=True):
        """Sync point recorded for ``remote_id`` (-1 if none)."""
        with self.get() as conn:
            row = conn.execute('SELECT sync_point FROM %s_sync WHERE remote_id = ?'
                               % ('incoming' if incoming else 'outgoing'),
                               (remote_id,)).fetchone()
        return -1 if row is None else row[0]

    def get_syncs(self, incoming=True):
        """All sync rows as ``[{'remote_id':..., 'sync_point':...}]``."""
        with self.get() as conn:
            curs = conn.execute('SELECT remote_id, sync_point FROM %s_sync'
                                % ('incoming' if incoming else 'outgoing'))
            return [{'remote_id': r[0], 'sync_point': r[1]} for r in curs]

    def merge_syncs(self, sync_points, incoming=True):
        """Record ``[{'remote_id', 'sync_point'}]`` (a point never moves backwards)."""
        table = '%s_sync' % ('incoming' if incoming else 'outgoing')
        with self.get() as conn:
            for rec in sync_points:
                conn.execute('INSERT OR IGNORE INTO %s (remote_id, sync_point) '
                             'VALUES (?, ?)' % table, (rec['remote_id'], rec['sync_point']))
                conn.execute('UPDATE %s SET sync_point = max(?, sync_point) '
                             'WHERE remote_id = ?' % table,
                             (rec['sync_point'], rec['remote_id']))
            conn.commit()
