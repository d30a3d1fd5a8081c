"""Resolution of a hash dir's files (Swift's replication-policy rules)."""

import pytest

from swift.obj.ondisk import BadFileName, make_filename, parse_filename, resolve_files


def _names(infos):
    return sorted(f.filename for f in infos)


@pytest.mark.parametrize('files,data,ts,meta,ctype,obsolete', [
    (['1.00000.data'], '1.00000.data', None, None, None, []),
    (['1.00000.data', '2.00000.data'], '2.00000.data', None, None, None,
     ['1.00000.data']),
    (['1.00000.data', '2.00000.ts'], None, '2.00000.ts', None, None, ['1.00000.data']),
    (['2.00000.data', '1.00000.ts'], '2.00000.data', None, None, None, ['1.00000.ts']),
    (['1.00000.data', '1.00000.ts'], None, '1.00000.ts', None, None, ['1.00000.data']),
    (['1.00000.data', '2.00000.meta'], '1.00000.data', None, '2.00000.meta', None, []),
    (['2.00000.data', '1.00000.meta'], '2.00000.data', None, None, None,
     ['1.00000.meta']),
    (['1.00000.data', '1.00000.meta'], '1.00000.data', None, None, None,
     ['1.00000.meta']),
    (['1.00000.data', '2.00000.meta', '3.00000.meta'], '1.00000.data', None,
     '3.00000.meta', None, ['2.00000.meta']),
    # newest .meta has no content type; an older one does: both are kept
    (['1.00000.data', '2.00000+0.meta', '3.00000.meta'], '1.00000.data', None,
     '3.00000.meta', '2.00000+0.meta', []),
    # content type in the newest one: the older one is obsolete
    (['1.00000.data', '2.00000.meta', '3.00000-186a0.meta'], '1.00000.data', None,
     '3.00000-186a0.meta', '3.00000-186a0.meta', ['2.00000.meta']),
    (['1.00000.ts', '2.00000.meta'], None, '1.00000.ts', None, None, []),
    (['2.00000.ts', '1.00000.meta'], None, '2.00000.ts', None, None, ['1.00000.meta']),
    ([], None, None, None, None, []),
])
def test_resolution_table(files, data, ts, meta, ctype, obsolete):
    info = resolve_files(files)
    assert (info.data_info.filename if info.data_info else None) == data
    assert (info.ts_info.filename if info.ts_info else None) == ts
    assert (info.meta_info.filename if info.meta_info else None) == meta
    assert (info.ctype_info.filename if info.ctype_info else None) == ctype
    assert _names(info.obsolete) == sorted(obsolete)


def test_unexpected_files_are_listed_not_resolved():
    info = resolve_files(['1.00000.data', 'junk', '2.00000.durable', '.lock'])
    assert info.data_info.filename == '1.00000.data'
    assert sorted(info.unexpected) == ['.lock', '2.00000.durable', 'junk']


def test_reclaim_old_tombstones_only():
    old = resolve_files(['1000.00000.ts'], now=2000.0, reclaim_age_s=500)
    assert _names(old.obsolete) == ['1000.00000.ts']
    young = resolve_files(['1800.00000.ts'], now=2000.0, reclaim_age_s=500)
    assert young.obsolete == []
    data = resolve_files(['1000.00000.data'], now=2000.0, reclaim_age_s=500)
    assert data.obsolete == []


@pytest.mark.parametrize('name', ['abc.data', '1.00000.txt', '.data', '1.0+5.data',
                                  '1.00000-zz.meta'])
def test_bad_names(name):
    with pytest.raises(BadFileName):
        parse_filename(name)


def test_offsets_sort_after_plain_timestamps():
    stamp = '1700000000.00000_0000000000000001'
    info = resolve_files(['1700000000.00000.data', stamp + '.data'])
    assert info.data_info.filename == stamp + '.data'
    assert make_filename(stamp, '.ts') == stamp + '.ts'
