# Owns the byte format of Swift's ``*.ring.gz`` files, v1 and v2 (doc/formats/ring.md).
# Rules: one gzip stream; the magic b"R1NG" + "!H" version is written as a stored
# (level 0) deflate block followed by a full flush so file(1) can read it; everything
# else at level 9. v1: "!I" JSON length, sorted ASCII JSON, rows of 2-byte ids in the
# writer's byte order. v2: "!Q"-length-prefixed sections, each starting after a
# Z_FULL_FLUSH, an index of sha256 checksums, then a stored tail giving the index
# offsets so a reader can find them 31 bytes before the end of the file.
"""Encode and decode Swift ring files (formats v1 and v2)."""

import array
import contextlib
import gzip
import hashlib
import json
import os
import struct
import sys
import tempfile
import zlib
from typing import NamedTuple, Optional

from swift.common.ring.errors import RingFormatError

RING_MAGIC = b'R1NG'
#: Swift fixes the gzip mtime so identical ring data gives identical bytes.
GZIP_MTIME = 1300507380
V2_SECTION_METADATA = 'swift/ring/metadata'
V2_SECTION_DEVICES = 'swift/ring/devices'
V2_SECTION_ASSIGNMENTS = 'swift/ring/assignments'
#: bytes of the v2 tail: stored block header (5) + "!Q" (8) + full flush (5)
#: + final empty block (5) + gzip trailer (8).
V2_TAIL_BYTES = 31
FORMAT_VERSIONS = (1, 2)
_TYPECODE_FOR_BYTES = {2: 'H', 4: 'I'}
# Largest single JSON/section we accept when reading: a guard against a corrupt
# length field asking for an absurd allocation.
_SECTION_BYTES_MAX = 1 << 34


class RingPayload(NamedTuple):
    """Everything stored in a ring file.

    :ivar devs: list of device dicts (or None holes), indexed by id.
    :ivar replica2part2dev_id: list of ``array.array`` rows of device ids.
    :ivar part_shift: 32 - part_power.
    :ivar next_part_power: int or None.
    :ivar version: build version int or None.
    :ivar format_version: 1 or 2.
    :ivar dev_id_bytes: 2 or 4.
    """
    devs: list
    replica2part2dev_id: list
    part_shift: int
    next_part_power: Optional[int]
    version: Optional[int]
    format_version: int
    dev_id_bytes: int


def _raw_deflater(level):
    # Same parameters as gzip.GzipFile uses for its own compressor.
    return zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS,
                            zlib.DEF_MEM_LEVEL, 0)


class RingWriter:
    """Writes a ring's gzip stream with Swift's flush points and levels.

    :param fileobj: binary file object to write the gzip bytes to.
    :param filename: name stored (without ``.gz``) as the gzip FNAME.
    :param mtime: gzip header mtime (seconds).
    """

    def __init__(self, fileobj, filename, mtime=GZIP_MTIME):
        self.raw_fp = fileobj
        self._raw_start = fileobj.tell()
        self.gzip_fp = gzip.GzipFile(filename, 'wb', 9, fileobj, mtime=mtime)
        self._dirty = False
        self.index = {}

    @property
    def compressed_pos(self):
        """Offset in the file of the next compressed byte (valid after a flush)."""
        return self.raw_fp.tell() - self._raw_start

    @property
    def uncompressed_pos(self):
        """Offset of the next byte in the uncompressed stream."""
        return self.gzip_fp.offset

    def write(self, data):
        """Compress and write ``data`` (bytes-like)."""
        if len(data):
            self._dirty = True
        self.gzip_fp.write(data)

    def flush(self):
        """Z_FULL_FLUSH, unless nothing was written since the last flush."""
        if self._dirty:
            self.gzip_fp.flush(zlib.Z_FULL_FLUSH)
            self._dirty = False

    def set_level(self, level):
        """Flush and continue with a fresh deflater at ``level`` (0-9)."""
        self.flush()
        self.gzip_fp.compress = _raw_deflater(level)

    def write_magic(self, version):
        """Write ``R1NG`` + version as a stored block, then switch to level 9."""
        if self.uncompressed_pos != 0:
            raise ValueError('magic must be written at the start of the stream')
        self.set_level(0)
        self.write(struct.pack('!4sH', RING_MAGIC, version))
        self.set_level(9)

    def write_blob(self, data):
        """Write an ``!Q`` length prefix followed by ``data``."""
        self.write(struct.pack('!Q', len(data)))
        self.write(data)

    @contextlib.contextmanager
    def section(self, name):
        """Record a v2 section (offsets + sha256 of its uncompressed bytes)."""
        self.flush()
        start = (self.compressed_pos, self.uncompressed_pos)
        checksum = hashlib.sha256()
        real_write = self.write

        def hashing_write(data):
            checksum.update(data)
            real_write(data)
        self.write = hashing_write
        try:
            yield self
        finally:
            self.write = real_write
        self.flush()
        self.index[name] = [start[0], start[1], self.compressed_pos,
                            self.uncompressed_pos, 'sha256',
                            checksum.hexdigest()]

    def write_index_and_tail(self):
        """Write the v2 index blob, then the stored tail holding its offsets."""
        self.flush()
        compressed_start = self.compressed_pos
        uncompressed_start = self.uncompressed_pos
        self.write_blob(json.dumps(self.index, sort_keys=True).encode('ascii'))
        self.set_level(0)
        self.write(struct.pack('!Q', uncompressed_start))
        self.flush()
        self.write(struct.pack('!Q', compressed_start))
        self.flush()

    def close(self):
        """Finish the gzip stream (final block, CRC32, size)."""
        self.gzip_fp.close()


def _row_bytes(row, typecode, byteorder):
    row = array.array(typecode, row)
    if byteorder != sys.byteorder:
        row.byteswap()
    return row.tobytes()


def _dump_json(obj):
    return json.dumps(obj, sort_keys=True, ensure_ascii=True).encode('ascii')


def write_v1(writer, payload):
    """Write a v1 ring body (after which the caller closes ``writer``).

    :raises RingFormatError: if ids need more than 2 bytes (v1 cannot hold them).
    """
    if payload.dev_id_bytes != 2:
        raise RingFormatError('format version 1 only supports 2-byte device ids')
    header = {'devs': payload.devs, 'part_shift': payload.part_shift,
              'replica_count': len(payload.replica2part2dev_id),
              'byteorder': sys.byteorder}
    if payload.version is not None:
        header['version'] = payload.version
    if payload.next_part_power is not None:
        header['next_part_power'] = payload.next_part_power
    text = _dump_json(header)
    writer.write_magic(1)
    writer.write(struct.pack('!I', len(text)))
    writer.write(text)
    for row in payload.replica2part2dev_id:
        writer.write(_row_bytes(row, 'H', sys.byteorder))


def write_v2(writer, payload):
    """Write a v2 ring body: metadata, devices, assignments, index, tail."""
    typecode = _TYPECODE_FOR_BYTES[payload.dev_id_bytes]
    rows = payload.replica2part2dev_id
    parts = len(rows[0]) if rows else 0
    metadata = {'dev_id_bytes': payload.dev_id_bytes,
                'part_shift': payload.part_shift,
                'replica_count': replica_count_of(rows, parts),
                'version': payload.version}
    if payload.next_part_power is not None:
        metadata['next_part_power'] = payload.next_part_power
    writer.write_magic(2)
    with writer.section(V2_SECTION_METADATA):
        writer.write_blob(_dump_json(metadata))
    with writer.section(V2_SECTION_DEVICES):
        writer.write_blob(_dump_json(payload.devs))
    with writer.section(V2_SECTION_ASSIGNMENTS):
        total = sum(len(row) for row in rows) * payload.dev_id_bytes
        writer.write(struct.pack('!Q', total))
        for row in rows:
            writer.write(_row_bytes(row, typecode, 'big'))
    writer.write_index_and_tail()


def replica_count_of(rows, parts):
    """Exact (possibly fractional) replica count of assignment ``rows``."""
    if not rows or not parts:
        return float(len(rows))
    return float(len(rows) - 1) + float(len(rows[-1])) / parts


def write_ring_file(path: str, payload: RingPayload,
                    mtime: float = GZIP_MTIME) -> None:
    """Durably write ``payload`` to ``path`` in ``payload.format_version``.

    Temp file in the same directory, fsync, chmod 0644, rename, fsync dir.
    The gzip FNAME is taken from ``path`` (``object.ring.gz`` -> ``object.ring``).

    :param path: destination file name.
    :param payload: :class:`RingPayload`.
    :raises RingFormatError: for an unknown format version or id width.
    :raises OSError: on I/O failure (the destination is then untouched).
    """
    if payload.format_version not in FORMAT_VERSIONS:
        raise RingFormatError('unknown ring format version %r'
                              % (payload.format_version,))
    if payload.dev_id_bytes not in _TYPECODE_FOR_BYTES:
        raise RingFormatError('dev_id_bytes must be 2 or 4')
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(dir=directory,
                                    prefix='.' + os.path.basename(path) + '.')
    try:
        with os.fdopen(fd, 'wb') as fp:
            writer = RingWriter(fp, os.path.basename(path), mtime=mtime)
            if payload.format_version == 1:
                write_v1(writer, payload)
            else:
                write_v2(writer, payload)
            writer.close()
            fp.flush()
            os.fsync(fp.fileno())
        os.chmod(tmp_path, 0o644)
        os.rename(tmp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_path)
        raise
    _fsync_dir(directory)


def _fsync_dir(directory):
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


class _Reader:
    """Cursor over an uncompressed ring stream with bounds checks."""

    def __init__(self, data, path):
        self.data = data
        self.pos = 0
        self.path = path

    def take(self, size):
        if size < 0 or size > _SECTION_BYTES_MAX or self.pos + size > len(self.data):
            raise RingFormatError('truncated ring data', self.path)
        chunk = self.data[self.pos:self.pos + size]
        self.pos += size
        return chunk

    def unpack(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))

    def json(self, size):
        try:
            return json.loads(self.take(size))
        except ValueError as err:
            raise RingFormatError('bad JSON in ring: %s' % err, self.path)


def _rows_from_bytes(data, typecode, byteorder, parts, rows_wanted, path):
    width = array.array(typecode).itemsize
    rows = []
    pos = 0
    for _ in range(rows_wanted):
        take = min(parts * width, len(data) - pos)
        row = array.array(typecode)
        row.frombytes(data[pos:pos + take])
        if byteorder != sys.byteorder:
            row.byteswap()
        rows.append(row)
        pos += take
    if pos != len(data):
        raise RingFormatError('assignment table length mismatch', path)
    return rows


def _decode_v1(reader):
    (json_len,) = reader.unpack('!I')
    header = reader.json(json_len)
    try:
        part_shift = int(header['part_shift'])
        rows_wanted = int(header['replica_count'])
        devs = header['devs']
    except (KeyError, TypeError, ValueError):
        raise RingFormatError('v1 ring header lacks required keys', reader.path)
    parts = 2 ** (32 - part_shift)
    byteorder = header.get('byteorder', sys.byteorder)
    if byteorder not in ('little', 'big'):
        raise RingFormatError('bad byteorder %r' % (byteorder,), reader.path)
    rows = _rows_from_bytes(reader.data[reader.pos:], 'H', byteorder, parts,
                            rows_wanted, reader.path)
    return RingPayload(devs, rows, part_shift, header.get('next_part_power'),
                       header.get('version'), 1, 2)


def _v2_index(reader):
    data = reader.data
    if len(data) < 16:
        raise RingFormatError('truncated v2 ring', reader.path)
    (index_pos,) = struct.unpack('!Q', data[-16:-8])
    if index_pos >= len(data):
        raise RingFormatError('bad v2 index offset', reader.path)
    reader.pos = index_pos
    (size,) = reader.unpack('!Q')
    index = reader.json(size)
    if not isinstance(index, dict):
        raise RingFormatError('bad v2 index', reader.path)
    return index


def _v2_section(reader, index, name):
    try:
        _cstart, ustart, _cend, uend, algo, digest = index[name]
    except (KeyError, ValueError, TypeError):
        raise RingFormatError('missing section %s' % name, reader.path)
    if not (0 <= ustart <= uend <= len(reader.data)):
        raise RingFormatError('bad offsets for section %s' % name, reader.path)
    raw = reader.data[ustart:uend]
    if algo == 'sha256' and hashlib.sha256(raw).hexdigest() != digest:
        raise RingFormatError('checksum mismatch in section %s' % name,
                              reader.path)
    section = _Reader(raw, reader.path)
    (size,) = section.unpack('!Q')
    return section, size


def _decode_v2(reader):
    index = _v2_index(reader)
    section, size = _v2_section(reader, index, V2_SECTION_METADATA)
    metadata = section.json(size)
    section, size = _v2_section(reader, index, V2_SECTION_DEVICES)
    devs = section.json(size)
    try:
        dev_id_bytes = int(metadata['dev_id_bytes'])
        part_shift = int(metadata['part_shift'])
        replica_count = float(metadata['replica_count'])
        typecode = _TYPECODE_FOR_BYTES[dev_id_bytes]
    except (KeyError, TypeError, ValueError):
        raise RingFormatError('bad v2 ring metadata', reader.path)
    section, size = _v2_section(reader, index, V2_SECTION_ASSIGNMENTS)
    parts = 2 ** (32 - part_shift)
    rows_wanted = int(-(-size // (parts * dev_id_bytes))) if size else 0
    rows = _rows_from_bytes(section.take(size), typecode, 'big', parts,
                            rows_wanted, reader.path)
    if abs(replica_count_of(rows, parts) - replica_count) > 1e-9:
        raise RingFormatError('replica_count does not match assignments',
                              reader.path)
    return RingPayload(devs, rows, part_shift, metadata.get('next_part_power'),
                       metadata.get('version'), 2, dev_id_bytes)


def decode_ring_bytes(data: bytes, path: Optional[str] = None) -> RingPayload:
    """Decode the uncompressed contents of a ring file.

    :param data: bytes starting with ``R1NG``.
    :param path: used in error messages only.
    :returns: :class:`RingPayload`.
    :raises RingFormatError: on bad magic, unknown version, truncation, bad JSON
        or checksum mismatch.
    """
    reader = _Reader(data, path)
    magic, version = reader.unpack('!4sH')
    if magic != RING_MAGIC:
        raise RingFormatError('bad ring magic %r' % (magic,), path)
    if version == 1:
        return _decode_v1(reader)
    if version == 2:
        return _decode_v2(reader)
    raise RingFormatError('unknown ring format version %d' % version, path)


def read_ring_file(path: str) -> RingPayload:
    """Read and decode the ring file ``path``.

    :returns: :class:`RingPayload`.
    :raises OSError: if the file cannot be opened.
    :raises RingFormatError: if it is not a valid gzip ring (see
        :func:`decode_ring_bytes`).
    """
    with open(path, 'rb') as fp:
        try:
            data = gzip.GzipFile(fileobj=fp).read()
        except (OSError, EOFError, zlib.error) as err:
            raise RingFormatError('not a gzip ring file (%s)' % err, path)
    return decode_ring_bytes(data, path)
