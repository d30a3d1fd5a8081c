"""Ring file bytes: what we write equals what Swift 2.38 wrote."""

import gzip
import struct

import pytest

from swift.common.ring import RingData
from swift.common.ring.errors import RingFormatError
from swift.common.ring.io import decode_ring_bytes
from test.unit.common.ring.golden_files import golden_path


def _gunzip(path):
    with gzip.open(path, 'rb') as fp:
        return fp.read()


@pytest.mark.parametrize('source', ['object.ring.gz', 'object-v2.ring.gz'])
@pytest.mark.parametrize('version,golden', [(1, 'object.ring.gz'),
                                            (2, 'object-v2.ring.gz')])
def test_written_payload_equals_swift(tmp_path, source, version, golden):
    data = RingData.load(golden_path(source))
    out = tmp_path / 'object.ring.gz'
    data.save(str(out), format_version=version)
    assert _gunzip(out) == _gunzip(golden_path(golden))
    # stretch goal: the gzip bytes too (mtime, FNAME, levels, flush points)
    with open(golden_path(golden), 'rb') as fp:
        assert out.read_bytes() == fp.read()


def test_gzip_header_has_fixed_mtime_and_fname(tmp_path):
    data = RingData.load(golden_path('object.ring.gz'))
    out = tmp_path / 'container.ring.gz'
    data.save(str(out))
    raw = out.read_bytes()
    assert struct.unpack('<I', raw[4:8])[0] == 1300507380
    assert raw[10:25] == b'container.ring\x00'


def test_v1_header_json():
    payload = _gunzip(golden_path('object.ring.gz'))
    assert payload[:6] == b'R1NG\x00\x01'
    decoded = decode_ring_bytes(payload)
    assert decoded.format_version == 1
    assert decoded.part_shift == 24


def test_big_endian_v1_rows_are_swapped():
    payload = bytearray(_gunzip(golden_path('object.ring.gz')))
    length = struct.unpack('!I', payload[6:10])[0]
    header = bytes(payload[10:10 + length]).replace(b'"little"', b'"big"   ')
    rows = payload[10 + length:]
    swapped = bytearray(len(rows))
    swapped[0::2], swapped[1::2] = rows[1::2], rows[0::2]
    decoded = decode_ring_bytes(bytes(payload[:10]) + header + bytes(swapped))
    normal = decode_ring_bytes(bytes(payload))
    assert [list(r) for r in decoded.replica2part2dev_id] == \
        [list(r) for r in normal.replica2part2dev_id]


def test_v2_checksum_mismatch_is_detected():
    payload = bytearray(_gunzip(golden_path('object-v2.ring.gz')))
    at = payload.index(b'"sda"')
    payload[at + 1:at + 4] = b'sdz'
    with pytest.raises(RingFormatError, match='checksum'):
        decode_ring_bytes(bytes(payload))


@pytest.mark.parametrize('payload', [b'', b'XXXX\x00\x01', b'R1NG\x00\x03',
                                     b'R1NG\x00\x01\x00\x00\x00\x10{"bad'])
def test_bad_payloads_raise_format_errors(payload):
    with pytest.raises(RingFormatError):
        decode_ring_bytes(payload)


def test_v1_refuses_four_byte_ids(tmp_path):
    data = RingData.load(golden_path('object.ring.gz'))
    with pytest.raises(RingFormatError):
        data.save(str(tmp_path / 'x.ring.gz'), format_version=1,
                  dev_id_bytes=4)


def test_v2_four_byte_ids_round_trip(tmp_path):
    data = RingData.load(golden_path('object.ring.gz'))
    path = str(tmp_path / 'x.ring.gz')
    data.save(path, format_version=2, dev_id_bytes=4)
    loaded = RingData.load(path)
    assert loaded.dev_id_bytes == 4
    assert [list(r) for r in loaded.replica2part2dev_id] == \
        [list(r) for r in data.replica2part2dev_id]
