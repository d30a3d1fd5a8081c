"""The proxy benchmark still runs: a small all-in-one, a handful of requests. It starts
real processes, so it lives with the probe tests, not the unit tests."""

import importlib.util
import os
import re

import pytest

BENCH = os.path.join(os.path.dirname(__file__), '..', '..', 'bench', 'proxy.py')


def load_bench():
    spec = importlib.util.spec_from_file_location('proxy_bench', BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_bench_quick_runs_against_an_all_in_one(tmp_path):
    bench = load_bench()
    lines = []
    status = bench.main(['--requests', '5', '--big-mib', '1', '--dd-mib', '1',
                         '--concurrency', '2,3', '--xfs', 'no', '--dir', str(tmp_path)],
                        out=lines.append)
    out = '\n'.join(lines)
    assert status == 0, out
    for verb in ('PUT', 'GET', 'DELETE'):
        for conc in (2, 3):
            assert re.search(r'4 KiB %s\s+concurrency +%d: +5 req in +[\d.]+ s = +[\d.]+ '
                             r'req/s +\(Swift \d+, x[\d.]+; target x2.0\)' % (verb, conc),
                             out), out
        if verb != 'DELETE':
            assert re.search(r'1 MiB %s: +[\d.]+ s = +[\d.]+ MB/s' % verb, out), out
    assert re.search(r'disk write \(dd bs=1M count=1 conv=fdatasync\): +[\d.]+ MB/s', out)
    assert os.listdir(tmp_path) == []   # the cluster directory is gone


def test_bad_numbers_are_a_usage_error(capsys):
    bench = load_bench()
    for argv in (['--requests', '0'], ['--concurrency', '10,x']):
        with pytest.raises(SystemExit) as exit_:
            bench.main(argv)
        assert exit_.value.code == 2
    assert 'must be positive' in capsys.readouterr().err
