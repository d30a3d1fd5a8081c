"""The container listing benchmark still runs (2,000 rows, so it stays a unit test)."""

import importlib.util
import os
import re

BENCH = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'bench',
                     'container_listing.py')


def load_bench():
    spec = importlib.util.spec_from_file_location('container_listing_bench', BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_bench_runs_small(capsys, tmp_path):
    bench = load_bench()
    bench.main(['--rows', '2000', '--page', '500', '--dir', str(tmp_path)])
    out = capsys.readouterr().out
    assert 'container: object_count=2000' in out
    assert re.search(r'insert: 2000 rows in [\d.]+ s wall .* rows/s .*: (PASS|FAIL)', out)
    assert re.search(r"page marker=''\s+500 ", out)
    assert re.search(r"delimiter='/' \(whole container\)\s+500 ", out)
    assert re.search(r'listing: slowest [\d.]+ ms \(target < 100 ms: (PASS|FAIL)\)', out)
    assert os.listdir(tmp_path) == []  # the temp DB is removed


def test_names_cover_every_row_once():
    bench = load_bench()
    assert sorted(bench.scrambled(1000)) == list(range(1000))
    names = [bench.object_name(i, 1000) for i in range(1000)]
    assert names == sorted(names)
    assert len({n.split('/')[0] for n in names}) == 1000


def test_bad_rows_is_a_usage_error(capsys):
    bench = load_bench()
    try:
        bench.main(['--rows', '0'])
    except SystemExit as exit_:
        assert exit_.code == 2
    else:
        raise AssertionError('expected a usage error')
    assert '--rows and --page must be positive' in capsys.readouterr().err
