"""The object server benchmark still runs (a handful of requests, 1 MiB objects)."""

import importlib.util
import os
import re

BENCH = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'bench',
                     'object_server.py')


def load_bench():
    spec = importlib.util.spec_from_file_location('object_server_bench', BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_bench_quick_runs_against_a_real_server(capsys, tmp_path):
    bench = load_bench()
    status = bench.main(['--quick', '--requests', '6', '--big-mib', '1', '--dd-mib', '1',
                         '--dir', str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    for verb in ('PUT', 'GET'):
        for conc in (1, 20):
            assert re.search(r'4 KiB %s\s+concurrency +%d: +6 req in +[\d.]+ s = +[\d.]+ '
                             r'req/s' % (verb, conc), out), out
        assert re.search(r'1 MiB %s: +[\d.]+ s = +[\d.]+ MB/s' % verb, out), out
    assert re.search(r'disk write \(dd bs=1M count=1 conv=fdatasync\): +[\d.]+ MB/s', out)
    assert os.listdir(tmp_path) == []  # devices dir and dd file removed


def test_bad_numbers_are_a_usage_error(capsys):
    bench = load_bench()
    try:
        bench.main(['--requests', '-1'])
    except SystemExit as exit_:
        assert exit_.code == 2
    else:
        raise AssertionError('expected a usage error')
    assert 'must be positive' in capsys.readouterr().err
