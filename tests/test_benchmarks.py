"""The benchmark script runs (on tiny shapes), and checks agreement before it times anything.

Speed itself is measured by the benchmarks, never asserted in a test.
"""

import importlib.util
import pathlib

import numpy as np
import pytest

import rnnlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run(capsys):
    results = load("run").main(["--quick", "--repeat", "1", "--no-torch"])
    out = capsys.readouterr().out
    assert "--no-torch: the PyTorch comparisons are skipped." in out
    assert {"ladder", "comparisons", "memory", "growth", "verdicts"} <= set(results)
    assert all(r["seconds"]["rnnlib"] > 0 for r in results["comparisons"])


def test_every_rung_of_the_ladder_computes_the_same_gradient():
    ladder = load("ladder")
    rng = np.random.default_rng(0)
    params = rnnlib.init_params(3, 5, 2, rng=rng)
    X, Y = rng.normal(size=(4, 6, 3)), rng.normal(size=(4, 6, 2))
    C, grads = rnnlib.loss_and_grad(params, X, Y, g="identity")
    for name, fn in ladder.LADDER.items():
        C_rung, g_rung = fn(params, X, Y)
        assert C_rung == pytest.approx(C, rel=1e-12), name
        for a, b in zip(g_rung, grads):
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-14, err_msg=name)


def test_the_agreement_check_can_fail():
    run = load("run")
    rng = np.random.default_rng(1)
    params = rnnlib.init_params(3, 5, 2, rng=rng)
    X, Y = rng.normal(size=(4, 6, 3)), rng.normal(size=(4, 6, 2))
    good = rnnlib.loss_and_grad(params, X, Y, g="identity")
    bad = (good[0], good[1].map(lambda a: a * 1.001))
    with pytest.raises(AssertionError, match="disagrees with rnnlib"):
        run.agree(good, bad, np.float64, "a broken implementation")


def test_flop_count():
    run = load("run")
    N, T, m, n, k = 2, 3, 4, 5, 6
    forward = 2 * N * T * (m * n + n * n + n * k)
    backward = 2 * N * T * (k * n + n * n + m * n + n * n + k * n)
    assert run.flops(N, T, m, n, k) == forward + backward
