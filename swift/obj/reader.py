# Owns reading an object's body from its open .data file (Swift's DiskFileReader):
#   * bytes stream as read, in disk_chunk_size pieces, for the whole file, one range
#     or several (multipart/byteranges);
#   * after a full read from offset 0 the size and md5 are checked when the reader
#     closes; a mismatch quarantines the object (the client saw the stored ETag beside
#     the bytes, so it can tell). A long file's md5 is computed by a thread reading the
#     same (immutable) file beside the sending, so the hashing never slows the bytes;
#     close() waits for it before judging;
#   * pages are dropped from the page cache at close unless the caller keeps them.
"""DiskFileReader: the body iterator of an opened DiskFile."""

from swift.common import fs
from swift.common import hashing
from swift.common.concurrency import BackgroundFileMd5


class DiskFileReader:
    """Iterates the body of an open .data file and checks it on the way.

    When the whole file was read from offset 0, its md5 must equal the stored ETag and
    the byte count the stored size; otherwise the object is quarantined (the bytes
    were already sent: the client sees the stored ETag and can tell).

    :param diskfile: the opened :class:`DiskFile`.
    :param fp: binary file object positioned at 0.
    """

    def __init__(self, diskfile, fp, data_file, obj_size, etag, keep_cache=False):
        self.diskfile = diskfile
        self._fp = fp
        self.data_file = data_file
        self.obj_size = obj_size
        self.etag = etag
        self.keep_cache = keep_cache
        self.chunk_bytes = diskfile.manager.config.disk_chunk_bytes
        self._md5 = None
        self._file_md5 = None     # a BackgroundFileMd5 for a long full read
        self._bytes_read = 0
        self._read_to_eof = False
        self._checked = False
        self.quarantined = None

    def __iter__(self):
        return self._iter_range(0, None)

    def app_iter_range(self, start, stop):
        """Yield bytes ``[start, stop)`` (``stop`` None = to the end)."""
        return self._iter_range(start or 0, stop)

    def _iter_range(self, start, stop):
        # As Swift: the bytes stream as read; after a full read from offset 0 the
        # size and md5 are checked at close and a mismatch quarantines the object (the
        # client sees the stored ETag beside the bytes, so it can tell).
        try:
            if self._fp is None:
                return
            self._fp.seek(start)
            self._md5 = None
            if start == 0 and stop is None and \
                    self.obj_size >= hashing.BACKGROUND_MD5_MIN_BYTES:
                # a long body: a thread hashes the file beside the sending (md5 is
                # a third of a big GET's CPU), so the bytes go out at full speed
                self._file_md5 = BackgroundFileMd5(self._fp.fileno())
            elif start == 0:
                self._md5 = hashing.new_md5()
            self._bytes_read = 0
            yield from self._read_chunks(start, stop)
        finally:
            self.close()

    def _read_chunks(self, start, stop):
        position = start
        while stop is None or position < stop:
            want = self.chunk_bytes if stop is None else min(self.chunk_bytes,
                                                             stop - position)
            chunk = self._fp.read(want)
            if not chunk:
                self._read_to_eof = True
                return
            position += len(chunk)
            self._bytes_read += len(chunk)
            if self._md5 is not None:
                self._md5.update(chunk)
            yield chunk
        if position >= self.obj_size:
            self._read_to_eof = True

    def app_iter_ranges(self, ranges, content_type, boundary, size):
        """Yield a ``multipart/byteranges`` body (RFC 7233 appendix A) for ``ranges``.

        :param ranges: list of (start, stop) half-open byte ranges.
        :param content_type: the object's Content-Type, repeated in each part.
        :param boundary: the multipart boundary (no dashes).
        :param size: the object's total size in bytes.
        """
        from swift.common.swob import multirange_part_header
        try:
            for start, stop in ranges:
                yield multirange_part_header(content_type, boundary, start, stop, size)
                self._fp.seek(start)
                remaining = stop - start
                while remaining > 0:
                    chunk = self._fp.read(min(self.chunk_bytes, remaining))
                    if not chunk:
                        break
                    remaining -= len(chunk)
                    yield chunk
            yield ('\r\n--%s--' % boundary).encode('ascii')
        finally:
            self.close()

    def _check_integrity(self):
        file_md5, self._file_md5 = self._file_md5, None
        if file_md5 is not None and not self._read_to_eof:
            file_md5.cancel()
        if (self._md5 is None and file_md5 is None) or not self._read_to_eof or \
                self._checked:
            return
        self._checked = True
        if file_md5 is not None:
            try:
                _file_bytes, md5_hex = file_md5.result()
            except OSError as err:
                md5_hex = 'unreadable (%s)' % err
        else:
            md5_hex = self._md5.hexdigest()
        if self._bytes_read != self.obj_size:
            reason = 'Bytes read: %s, does not match metadata: %s' % (
                self._bytes_read, self.obj_size)
        elif self.etag and md5_hex != self.etag:
            reason = 'ETag %s and file\'s md5 %s do not match' % (self.etag, md5_hex)
        else:
            return
        self.quarantined = self.diskfile._quarantine(self.data_file, reason)

    def __del__(self):
        # A response dropped without close() (e.g. a 304 built from this reader)
        # must not leak the file descriptor; no integrity verdict without a full read.
        fp = getattr(self, '_fp', None)
        if fp is not None:
            fp.close()
        file_md5 = getattr(self, '_file_md5', None)
        if file_md5 is not None:
            file_md5.cancel()

    def close(self):
        """Close the file; quarantine if a full read found a mismatch."""
        if self._fp is None:
            return
        try:
            self._check_integrity()
        finally:
            if not self.keep_cache:
                fs.drop_buffer_cache(self._fp.fileno(), 0, 0)
            self._fp.close()
            self._fp = None
