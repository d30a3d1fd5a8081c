import pytest

from swift.common.timestamp import (
    InvalidTimestamp, Timestamp, decode_timestamps, encode_timestamps,
    normalize_delete_at_timestamp)


def test_forms():
    ts = Timestamp('1402464677.04188')
    assert ts.normal == '1402464677.04188'
    assert ts.internal == '1402464677.04188'
    ts = Timestamp('1402464677.04188_0000000000000001')
    assert ts.internal == '1402464677.04188_0000000000000001'
    assert ts.short == '1402464677.04188_1'
    assert Timestamp(1.5).normal == '0000000001.50000'
    assert Timestamp(1795990116.728).isoformat == '2026-11-29T22:08:36.728000'


def test_ordering_is_string_ordering():
    values = ['0000000001.00000', '0000000001.00001', '0000000001.00001_0000000000000001',
              '0000000002.00000']
    stamps = [Timestamp(v) for v in values]
    assert stamps == sorted(stamps)
    assert [s.internal for s in stamps] == sorted(s.internal for s in stamps)
    assert Timestamp('1.0') == '0000000001.00000'


def test_last_modified_rounds_up():
    # field case BL-07: Last-Modified is the timestamp rounded up
    assert Timestamp('1795990116.72800').ceil_seconds == 1795990117
    assert Timestamp('1795990116.00000').ceil_seconds == 1795990116


@pytest.mark.parametrize('bad', ['abc', '-1', '1e20', 'nan', None, '1_zz'])
def test_invalid(bad):
    with pytest.raises(InvalidTimestamp):
        Timestamp(bad)


def test_encode_decode_roundtrip():
    t1 = Timestamp('1795990116.76151')
    t2 = Timestamp('1795990116.76151')
    t3 = Timestamp(t2, delta=0x5905)
    encoded = encode_timestamps(t1, t2, t3)
    assert encoded == '1795990116.76151+0+5905'
    assert decode_timestamps(encoded) == (t1, t2, t3)
    assert encode_timestamps(t1) == '1795990116.76151'
    assert decode_timestamps('1795990117.01046+5875+583a')[2] == Timestamp(
        Timestamp('1795990117.01046', delta=0x5875), delta=0x583a)
    # a .meta name with an older content-type: explicit negative delta
    meta = Timestamp('1795990117.46277')
    ctype = Timestamp('1795990117.23691')
    assert encode_timestamps(meta, ctype, explicit=True) == '1795990117.46277-583a'


def test_delete_at_normalised():
    assert normalize_delete_at_timestamp(1798582117.7) == '1798582117'
    assert normalize_delete_at_timestamp(-5) == '0000000000'
