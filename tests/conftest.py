"""Shared helpers: random RNN problems in the notes' shapes."""

import itertools
import sys

import numpy as np
import pytest
from hypothesis import settings

import rnnlib

# Derandomized so that CI runs the same examples every time.
settings.register_profile("repo", derandomize=True, deadline=None, max_examples=30, print_blob=True)
settings.load_profile("repo")

F = ("tanh", "sigmoid", "relu", "identity")
G = ("softmax", "identity", "sigmoid", "tanh")
#: every (f, g, loss) the library offers
COMBOS = [(f, g, "mse") for f, g in itertools.product(F, G)] + [(f, "softmax", "cross_entropy") for f in F]


def random_params(rng, m, n, k, dtype=np.float64):
    """Parameters with non-zero biases, so that every gradient has something to check."""
    p = rnnlib.init_params(m, n, k, rng=rng, dtype=dtype)
    return rnnlib.Params(
        p.W_xh, p.W_hh, p.W_hy, (0.3 * rng.normal(size=n)).astype(dtype), (0.3 * rng.normal(size=k)).astype(dtype)
    )


def random_targets(rng, shape, loss):
    if loss == "cross_entropy":
        return rnnlib.softmax(rng.normal(size=shape))  # soft labels: probability vectors
    return rng.normal(size=shape)


def make_problem(rng, N, T, m, n, k, *, f="tanh", g="softmax", loss="mse", batched=True):
    """A random (params, X, Y).

    For f = relu, redraws until every pre-activation is at least 0.03 away from
    the kink at 0, where finite differences are meaningless.
    """
    for _ in range(1000):
        params = random_params(rng, m, n, k)
        shape = (N, T) if batched else (T,)
        X = rng.normal(size=shape + (m,))
        Y = random_targets(rng, shape + (k,), loss)
        if f != "relu" or np.min(np.abs(rnnlib.forward(params, X, f=f, g=g).z)) >= 0.03:
            return params, X, Y
    raise RuntimeError("could not draw a ReLU problem away from the kink")


@pytest.fixture
def rng():
    return np.random.default_rng(20260101)


def pytest_report_header(config):
    from browser import CHROMIUM

    if CHROMIUM is None:
        return "browser tests: SKIPPED, Chromium is not installed (Debian/Ubuntu: apt-get install -y chromium)"
    return f"browser tests: Chromium at {CHROMIUM}"


if sys.platform == "emscripten":  # under Pyodide (tools/pyodide_tests.mjs), which cannot start processes

    @pytest.fixture(autouse=True)
    def _no_processes(monkeypatch):
        import subprocess

        def refuse(*args, **kwargs):
            pytest.skip("Pyodide cannot start processes")

        monkeypatch.setattr(subprocess, "Popen", refuse)


def pytest_terminal_summary(terminalreporter):
    """The reader's wait for Run All in the browser, as measured by tests/test_lite.py."""
    import json
    import pathlib

    times = pathlib.Path(__file__).resolve().parents[1] / "_build" / "lite-run-times.json"
    if times.exists():
        seconds = json.loads(times.read_text())
        terminalreporter.write_sep("-", "Run All in the browser (target: 90 s per chapter)")
        for chapter, s in sorted(seconds.items()):
            terminalreporter.write_line(f"{chapter:34s} {s:6.1f} s{'' if s <= 90 else '   over the target'}")
