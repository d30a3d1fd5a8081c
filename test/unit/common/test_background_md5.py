"""BackgroundMd5: the md5 of a stream hashed by a real thread equals hashlib's."""

import hashlib
import os

import pytest

from swift.common.concurrency import BackgroundMd5
from swift.common.hashing import BACKGROUND_MD5_MIN_BYTES, streaming_md5


def test_digest_equals_hashlib_over_many_chunks():
    chunks = [bytes([i % 251]) * (65536 + i) for i in range(200)]
    hasher = BackgroundMd5(max_pending=4)   # small: update() must wait for the thread
    for chunk in chunks:
        hasher.update(chunk)
    assert hasher.hexdigest() == hashlib.md5(b''.join(chunks)).hexdigest()
    assert hasher.hexdigest() == hashlib.md5(b''.join(chunks)).hexdigest()  # again


def test_empty_stream():
    assert BackgroundMd5().hexdigest() == hashlib.md5(b'').hexdigest()


def test_update_after_digest_is_refused():
    hasher = BackgroundMd5()
    hasher.hexdigest()
    with pytest.raises(ValueError):
        hasher.update(b'x')


def test_close_ends_the_thread_of_an_abandoned_stream():
    hasher = BackgroundMd5()
    hasher.update(b'x' * 4096)
    hasher.close()
    hasher._done.wait(5)
    assert hasher._done.is_set()   # the thread left its loop


def test_long_streams_get_a_background_hasher_short_ones_hashlib():
    assert isinstance(streaming_md5(BACKGROUND_MD5_MIN_BYTES), BackgroundMd5)
    assert not isinstance(streaming_md5(BACKGROUND_MD5_MIN_BYTES - 1), BackgroundMd5)
    assert not isinstance(streaming_md5(None), BackgroundMd5)
    streaming_md5(BACKGROUND_MD5_MIN_BYTES).close()


def test_file_md5_reads_the_whole_file_beside_the_caller(tmp_path):
    from swift.common.concurrency import BackgroundFileMd5
    path = tmp_path / 'data'
    body = os.urandom(3 * 65536 + 17)
    path.write_bytes(body)
    with open(path, 'rb') as fp:
        fp.read(100)                                # the caller's position is its own
        hasher = BackgroundFileMd5(fp.fileno(), read_bytes=65536)
        assert hasher.result() == (len(body), hashlib.md5(body).hexdigest())
        assert fp.read(5) == body[100:105]


def test_file_md5_cancelled_stops_and_closes_its_descriptor(tmp_path):
    from swift.common.concurrency import BackgroundFileMd5
    path = tmp_path / 'data'
    path.write_bytes(b'x' * 1000)
    with open(path, 'rb') as fp:
        hasher = BackgroundFileMd5(fp.fileno(), read_bytes=10)
        hasher.cancel()
        hasher._done.wait(5)
        assert hasher._done.is_set()
        with pytest.raises(OSError):
            os.fstat(hasher._fd)                    # its duplicate is closed
