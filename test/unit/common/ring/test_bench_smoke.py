"""The rebalance benchmark still runs (tiny sizes, so it stays a unit test)."""

import importlib.util
import os

BENCH = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'bench',
                     'ring_rebalance.py')


def test_bench_runs_small(capsys):
    spec = importlib.util.spec_from_file_location('ring_rebalance_bench', BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(['--part-power', '8', '--devices', '40', '--regions', '2',
                       '--zones-per-region', '2']) == 0
    out = capsys.readouterr().out
    assert 'initial rebalance: part_power=8 replicas=3 devices=40' in out
    assert 'dispersion: 0.00' in out
    assert 'peak memory' in out
