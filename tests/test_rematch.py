"""The rematch: RNN, LSTM and GRU trained alike on the memory-horizon tasks.

The vanilla runs are chapter 10's runs bit for bit; the generic training loop
is rnnlib.train for the RNN; every run is recomputable alone; the stored grid
(book/data/rematch.json) comes from the code; bad input is refused by name.
"""

import functools
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import rnnlib
from rnnlib import horizon, rematch, tasks
from rnnlib.gated import gru, lstm

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "rematch.py"
STORED = ROOT / "book" / "data" / "rematch.json"
REPRODUCIBLE = {  # as in the Makefile
    "OPENBLAS_CORETYPE": "Haswell",
    "OPENBLAS_NUM_THREADS": "1",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
}
SMALL = horizon.RecallSetup(n=6, N_train=40, N_test=16, batch_size=8)  # 5 steps per epoch
SMALL_ADDING = horizon.AddingSetup(n=5, N_train=40, N_test=16, batch_size=8)


def _equal(p, q):
    return all(np.array_equal(a, b) for a, b in zip(p, q))


def test_the_rnn_run_is_chapter_10s_default_run_bit_for_bit():
    # the chapter's own setup, two short budgets
    ours = rematch.recall_run_cell("rnn", 4, seed=1, budgets=(20, 40))
    theirs = horizon.recall_run(4, "default", seed=1, budgets=(20, 40))
    assert ours.score == theirs.accuracy
    assert _equal(ours.start, theirs.start)
    assert all(_equal(p, q) for p, q in zip(ours.params, theirs.params))
    other = horizon.recall_run(4, "default", seed=2, budgets=(20, 40))  # the comparison can fail
    assert not _equal(ours.params[-1], other.params[-1])


def test_the_rnn_adding_run_is_chapter_10s_run():
    ours = rematch.adding_run_cell("rnn", 10, seed=0, budgets=(10, 20))
    error, baseline = horizon.adding_run(10, seed=0, budgets=(10, 20))
    assert ours.score == error and ours.baseline == baseline
    assert ours.record() == {"error": error, "baseline": baseline}


def test_train_cell_is_rnnlib_train_for_the_rnn():
    rng = np.random.default_rng(5)
    X, Y = tasks.delayed_recall(24, 21, delay=16, symbols=3, rng=rng)
    start = rnnlib.init_params(3, 7, 4, rng=rng)
    kw = dict(steps=30, batch_size=5, clip_norm=0.5)  # 30 steps: 7 epochs of 4 and 2 steps after them
    want, _ = rnnlib.train(start, X, Y, optimizer=rnnlib.Adam(lr=0.05), rng=3, loss="cross_entropy", **kw)
    lg = functools.partial(rematch._rnn_loss_and_grad, loss="cross_entropy")
    got, state = rematch.train_cell(start, X, Y, loss_and_grad=lg, optimizer=rnnlib.Adam(lr=0.05), rng=3, **kw)
    assert _equal(got, want)
    assert state.step == 30
    moved, _ = rematch.train_cell(start, X, Y, loss_and_grad=lg, optimizer=rnnlib.Adam(lr=0.05), rng=4, **kw)
    assert not _equal(moved, want)  # another minibatch order: the comparison can fail


def test_the_rnn_gradient_is_the_public_one():
    """The RNN's gradient as train computes it is rnnlib.loss_and_grad's, to round-off (other summation order)."""
    rng = np.random.default_rng(1)
    X, Y = tasks.delayed_recall(6, 21, delay=16, symbols=3, rng=rng)
    params = rnnlib.init_params(3, 7, 4, rng=rng)
    C, grads = rematch._rnn_loss_and_grad(params, X, Y, loss="cross_entropy")
    C2, grads2 = rnnlib.loss_and_grad(params, X, Y, loss="cross_entropy")
    assert C == pytest.approx(C2, rel=1e-13)
    for a, b in zip(grads, grads2):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_gated_run_depends_only_on_its_settings_and_chunks_are_one_run(cell):
    a = rematch.recall_run_cell(cell, 3, seed=2, budgets=(10,), setup=SMALL)
    rematch.recall_run_cell("lstm", 5, seed=0, budgets=(5,), setup=SMALL)  # anything in between
    b = rematch.recall_run_cell(cell, 3, seed=2, budgets=(5, 10), setup=SMALL)
    assert _equal(a.params[0], b.params[-1]) and a.score[0] == b.score[-1]
    assert not _equal(b.params[0], b.params[1])  # training moved on
    module = {"lstm": lstm, "gru": gru}[cell]
    start = module.init_params(4, 6, 5, rng=np.random.default_rng([2, 3, rematch._KEYS[cell]]))
    assert _equal(a.start, start)
    c = rematch.adding_run_cell(cell, 4, seed=1, budgets=(10,), setup=SMALL_ADDING)
    d = rematch.adding_run_cell(cell, 4, seed=1, budgets=(5, 10), setup=SMALL_ADDING)
    assert c.score[0] == d.score[-1] and c.baseline == d.baseline


def test_every_cell_trains_on_the_same_minibatches(monkeypatch):
    seen = {}

    def recording(cell, original):
        def wrapped(params, X, Y, **kw):
            seen.setdefault(cell, []).append(X.copy())
            return original(params, X, Y, **kw)
        return wrapped

    for cell, module in (("rnn", rematch), ("lstm", lstm), ("gru", gru)):
        name = "_rnn_loss_and_grad" if cell == "rnn" else "loss_and_grad"
        monkeypatch.setattr(module, name, recording(cell, getattr(module, name)))
        rematch.recall_run_cell(cell, 2, seed=4, budgets=(10,), setup=SMALL)
    assert len(seen["rnn"]) == 10
    for cell in ("lstm", "gru"):
        assert all(np.array_equal(a, b) for a, b in zip(seen[cell], seen["rnn"]))
    assert not np.array_equal(seen["rnn"][0], seen["rnn"][1])


def test_divergence_is_reported():
    rng = np.random.default_rng(0)
    X, Y = tasks.delayed_recall(8, 4, delay=1, symbols=2, rng=rng)
    start = lstm.init_params(2, 3, 3, rng=rng)
    calls = []

    def nan_at_third(params, Xb, Yb):
        calls.append(1)
        C, grads = lstm.loss_and_grad(params, Xb, Yb, loss="cross_entropy")
        return (float("nan") if len(calls) == 3 else C), grads

    with pytest.raises(rnnlib.Diverged) as info:
        rematch.train_cell(start, X, Y, loss_and_grad=nan_at_third, optimizer=rnnlib.Adam(), steps=5, batch_size=4)
    assert info.value.step == 2 and len(info.value.history.loss) == 2


def test_num_params():
    assert rematch.num_params("rnn", 4, 32, 5) == rnnlib.num_params(4, 32, 5)
    assert rematch.num_params("lstm", 4, 32, 5) == lstm.vec(lstm.init_params(4, 32, 5, rng=0)).size
    assert rematch.num_params("gru", 4, 32, 5) == gru.vec(gru.init_params(4, 32, 5, rng=0)).size


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: rematch.recall_run_cell("vanilla", 2, seed=0, setup=SMALL), "cell"),
        (lambda: rematch.recall_run_cell("lstm", 0, seed=0, setup=SMALL), "delay"),
        (lambda: rematch.recall_run_cell("lstm", 2, seed=-1, setup=SMALL), "seed"),
        (lambda: rematch.recall_run_cell("gru", 2, seed=0, budgets=(7,), setup=SMALL), "budgets"),
        (lambda: rematch.recall_run_cell("gru", 2, seed=0, setup=horizon.AddingSetup()), "setup"),
        (lambda: rematch.adding_run_cell("gru", 1, seed=0, setup=SMALL_ADDING), "T"),
        (lambda: rematch.adding_run_cell("gru", 3, seed=0, setup=SMALL), "setup"),
        (lambda: rematch.num_params("lstm", 0, 3, 2), "m"),
        (lambda: rematch.train_cell(lstm.init_params(2, 3, 3, rng=0), np.zeros((4, 3, 2)), np.zeros((4, 3, 3)),
                                    loss_and_grad=None, optimizer=rnnlib.Adam(), steps=1, batch_size=2),
         "loss_and_grad"),
        (lambda: rematch.train_cell(lstm.init_params(2, 3, 3, rng=0), np.zeros((4, 3, 2)), np.zeros((4, 3, 3)),
                                    loss_and_grad=lstm.loss_and_grad, optimizer=rnnlib.Adam(), steps=1, batch_size=5),
         "batch_size"),
        (lambda: rematch.train_cell("params", np.zeros((4, 3, 2)), np.zeros((4, 3, 3)),
                                    loss_and_grad=lstm.loss_and_grad, optimizer=rnnlib.Adam(), steps=1, batch_size=2),
         "params"),
        (lambda: rematch.train_cell(lstm.init_params(2, 3, 3, rng=0), np.zeros((3, 2)), np.zeros((4, 3, 3)),
                                    loss_and_grad=lstm.loss_and_grad, optimizer=rnnlib.Adam(), steps=1, batch_size=2),
         "X"),
    ],
)
def test_bad_input_is_refused_by_name(call, name):
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    assert str(info.value).startswith(f"{name}:"), str(info.value)


def test_stored_results_are_recomputed_exactly(tmp_path):
    stored = json.loads(STORED.read_text())
    tampered = json.loads(STORED.read_text())
    record = tampered["recall"]["gru"]["4"][2]
    setup = stored["recall_setup"]
    record["accuracy"][0] -= 1 / (setup["N_test"] * setup["extra"])  # one recall fewer right
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(tampered))

    env = dict(os.environ, PYTHONPATH=str(ROOT), **REPRODUCIBLE)
    result = subprocess.run([sys.executable, str(SCRIPT), "--check", str(STORED), str(bad)],
                            env=env, capture_output=True, text=True, timeout=600)
    lines = result.stdout.splitlines()
    assert f"{STORED}: the subset agrees exactly" in lines, result.stdout + result.stderr
    assert any(line.startswith(f"{bad}: recall gru 4 seed 2: computed") for line in lines), result.stdout
    assert result.returncode == 1  # because of the tampered copy


def test_the_stored_vanilla_runs_are_chapter_10s():
    """Where the two grids meet (delay and the 1000-step budget), the stored RNN numbers are chapter 10's."""
    ours = json.loads(STORED.read_text())
    theirs = json.loads((ROOT / "book" / "data" / "memory_horizon.json").read_text())
    i, j = ours["grid"]["budgets"].index(1000), theirs["grid"]["budgets"].index(1000)
    shared = [d for d in ours["grid"]["delays"] if d in theirs["grid"]["delays"]]
    assert shared
    for d in shared:
        for a, s in enumerate(ours["grid"]["seeds"]):
            b = theirs["grid"]["seeds"].index(s)
            assert ours["recall"]["rnn"][str(d)][a]["accuracy"][i] == \
                theirs["recall"]["default"][str(d)][b]["accuracy"][j]
