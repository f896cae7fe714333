"""The benchmark scripts run (on tiny shapes) and check agreement before timing.

Speed itself is measured by the benchmarks, never asserted in a test.
"""

import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_loss_and_grad_quick(capsys):
    ratios = load("bench_loss_and_grad").main(["--quick", "--repeat", "1"])
    assert len(ratios) == 1 and all(r > 0 for r in ratios.values())
    assert "speed-up" in capsys.readouterr().out
