"""The benchmark script runs (on tiny shapes), and checks agreement before it times anything.

Speed itself is measured by the benchmarks, never asserted in a test.
"""

import importlib.util
import json
import pathlib
import sys

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
    results = load("run").main(["--quick", "--repeat", "1", "--no-torch", "--no-jax"])
    parts_module = load("parts")
    out = capsys.readouterr().out
    assert "--no-torch: the PyTorch comparisons are skipped." in out
    assert "--no-jax: the JAX comparisons are skipped." in out
    assert {"machine", "ladder", "comparisons", "breakdown", "memory", "growth", "verdicts",
            "failed_measurements"} <= set(results)
    assert [(r["name"], r["dtype"]) for r in results["breakdown"]] == [
        (r["name"], r["dtype"]) for r in results["comparisons"]
    ]
    assert all(r["seconds"]["rnnlib"] > 0 for r in results["comparisons"])
    kept = results["ladder"][0]["keeping_freed_memory"]  # the same rungs, in a process whose malloc keeps memory
    assert set(kept["seconds"]) == set(results["ladder"][0]["seconds"]) and "MALLOC_MMAP_THRESHOLD_" in kept["environment"]
    for r in results["breakdown"]:
        assert r["seconds"]["products alone"] > 0 and r["alone_over_in_place"]["rounds"] == 1
        assert set(r["within_rounds"]) == {"share", "per_step_over_share", "other_products_over_share",
                                           "share_with_nothing_but_products"}
        assert set(parts_module.PER_STEP_PRODUCTS) <= set(r["parts"])
    for rung in results["ladder"]:
        assert set(rung["minor_faults_per_call"]) == set(rung["seconds"])
        assert all(v >= 0 for v in rung["minor_faults_per_call"].values())
    for r in results["comparisons"]:
        assert "pytorch" not in r["seconds"] and "jax" not in r["seconds"]
        spread = r["rnnlib_over_spread"]["literal"]
        assert spread["min"] <= spread["q1"] <= spread["median"] <= spread["q3"] <= spread["max"]
    # one round visits every shape of the growth measurement
    assert [row["T"] for row in results["growth"]["T"]] == [10, 20]
    assert all(row["seconds_spread"]["rounds"] == 1 for row in results["growth"]["N"])


def test_quick_run_measures_the_gated_cells():
    """The quick run times the LSTM and GRU against the RNN, and against their peers where installed."""
    results = load("run").main(["--quick", "--repeat", "1", "--no-torch", "--no-jax"])
    (r64, r32) = results["gated"]  # the tiny "book" shape, float64 then float32
    assert (r64["name"], r64["dtype"], r32["dtype"]) == ("book", "float64", "float32")
    assert set(r64["seconds"]) == {"rnn", "lstm", "gru"} and all(v > 0 for v in r64["seconds"].values())
    assert set(r64["over_spread"]) == {"lstm_over_rnn", "gru_over_rnn"}
    for s in r64["over_spread"].values():
        assert s["min"] <= s["q1"] <= s["median"] <= s["q3"] <= s["max"] and s["rounds"] == 1
    assert r64["flop_over_rnn"]["lstm"] > r64["flop_over_rnn"]["gru"] > 1


def test_no_gated_skips_the_gated_cells(capsys):
    results = load("run").main(["--quick", "--repeat", "1", "--no-torch", "--no-jax", "--no-gated"])
    assert "gated" not in results
    assert "--no-gated: the LSTM and GRU are not measured." in capsys.readouterr().out


def test_the_gated_peers_agree_and_are_timed():
    """nn.LSTM with rnnlib's LSTM weights, and the JAX GRU, agree with rnnlib in both precisions before timing."""
    pytest.importorskip("torch")
    pytest.importorskip("jax")
    run = load("run")
    for dtype in (np.float64, np.float32):
        r = run.measure_gated("tiny", (3, 4, 3, 5, 2), dtype, 1, True, True)
        assert set(r["seconds"]) == {"rnn", "lstm", "gru", "pytorch lstm", "jax gru"}
        assert set(r["over"]) == {"lstm_over_rnn", "gru_over_rnn", "lstm_over_pytorch", "gru_over_jax"}
        assert r["jax_gru_compile_seconds"] > 0


def test_the_gated_peers_compute_rnnlibs_functions():
    """The agreement check fails when a peer computes another function (nn.GRU's reset gate; a gate out of order)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("jax")
    run = load("run")
    _, lstm_params, gru_params, X, Y = run.gated_problem(3, 4, 3, 5, 2, np.float64)
    ours = rnnlib.gated.lstm.loss_and_grad(lstm_params, X, Y, g="identity")
    run.agree(ours, run.peers.torch_lstm_loss_and_grad(lstm_params, X, Y)[1](), np.float64, "nn.LSTM")
    swapped = type(lstm_params)(**dict(lstm_params.items(), W_xi=lstm_params.W_xf, W_xf=lstm_params.W_xi))
    with pytest.raises(AssertionError, match="nn.LSTM disagrees"):  # PyTorch's i, f, g, o read as f, i, c, o
        run.agree(ours, run.peers.torch_lstm_loss_and_grad(swapped, X, Y)[1](), np.float64, "nn.LSTM")

    ours = rnnlib.gated.gru.loss_and_grad(gru_params, X, Y, g="identity")
    run.agree(ours, run.peers.jax_gru_loss_and_grad(gru_params, X, Y)[1](), np.float64, "the JAX GRU")
    # torch's nn.GRU, the reset gate after the product, with the same weights: another function
    n = gru_params.n
    gru = torch.nn.GRU(3, n, batch_first=True).double()
    out = torch.nn.Linear(n, 2).double()
    p = gru_params
    with torch.no_grad():  # PyTorch's blocks: r, z, n
        gru.weight_ih_l0.copy_(torch.from_numpy(np.concatenate([p.W_xr, p.W_xz, p.W_xh])))
        gru.weight_hh_l0.copy_(torch.from_numpy(np.concatenate([p.W_hr, p.W_hz, p.W_hh])))
        gru.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([p.b_r, p.b_z, p.b_h])))
        gru.bias_hh_l0.zero_()
        out.weight.copy_(torch.from_numpy(p.W_hy))
        out.bias.copy_(torch.from_numpy(p.b_y))
    C = 0.5 * ((out(gru(torch.from_numpy(X))[0]) - torch.from_numpy(Y)) ** 2).sum() / X.shape[0]
    assert abs(float(C.detach()) - ours[0]) > 1e-6 * abs(ours[0])


def test_the_machine_is_recorded():
    run = load("run")
    info = run.machine(None, None)
    assert info["cpu"] and info["numpy"] == np.__version__
    assert "None" not in info["numpy_blas"]  # the name and version numpy was built against
    libraries = info["blas_libraries"]
    if libraries != "threadpoolctl not installed":
        assert any(lib["user_api"] == "blas" and lib["num_threads"] >= 1 for lib in libraries)
        assert all("filepath" not in lib for lib in libraries)  # no paths of the measuring machine


def test_jax_absent_is_skipped_with_one_line(monkeypatch, capsys):
    run = load("run")
    monkeypatch.setitem(sys.modules, "jax", None)  # import jax now raises ImportError
    assert run.peers.jax_version() is None
    results = run.main(["--quick", "--repeat", "1", "--no-torch"])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("JAX")]
    said = "JAX is not installed (pip install -r benchmarks/requirements-jax.txt): its comparisons are skipped."
    assert lines == [said]
    assert results["machine"]["jax"] is None
    assert all("jax" not in r["seconds"] for r in results["comparisons"])


def test_peers_agree_and_are_timed():
    """With PyTorch and JAX installed: each peer's cost and gradient agree with rnnlib's, in both precisions."""
    pytest.importorskip("torch")
    pytest.importorskip("jax")
    run = load("run")
    for dtype in (np.float64, np.float32):
        r = run.measure_shape("tiny", (3, 4, 3, 5, 2), dtype, 1, True, True, True)
        assert {"rnnlib", "literal", "pytorch", "jax"} <= set(r["seconds"])
        assert r["jax_compile_seconds"] > 0
        assert set(r["torch_mm_over_numpy"]) == {"per-step", "stacked"}


def test_a_share_of_matmul_above_one_is_flagged_not_stored(monkeypatch):
    run = load("run")
    rounds = {"rnnlib": [1.0, 1.0], "numpy per-step products": [0.7, 0.7], "numpy stacked products": [0.6, 0.6]}
    monkeypatch.setattr(run, "per_round", lambda fns, *a, **k: {name: rounds.get(name, [1.0, 1.0]) for name in fns})
    r = run.measure_shape("tiny", (2, 3, 2, 4, 2), np.float64, 2, False, False, False)
    assert r["share_of_matmul"] is None and "1.300 > 1" in r["failed"]
    verdict = run.verdicts({"comparisons": [dict(r, name="large")], "memory": []})
    assert verdict[run.SHARE]["cases"]["large, float64"] == {"value": None, "met": None}
    assert r["disturbed_rounds"] == 2  # every round: the whole measurement is flagged, none is left out
    rounds["numpy stacked products"] = [0.2, 0.2]  # the products alone take 0.9 of rnnlib's time: a share of 0.9
    r = run.measure_shape("tiny", (2, 3, 2, 4, 2), np.float64, 2, False, False, False)
    assert r["share_of_matmul"]["median"] == pytest.approx(0.9) and "failed" not in r
    verdict = run.verdicts({"comparisons": [dict(r, name="large")], "memory": []})
    case = verdict[run.SHARE]["cases"]["large, float64"]
    assert case["value"] == pytest.approx(0.9) and case["met"] and case["every_round"]


def test_a_disturbed_round_is_left_out_of_every_ratio(monkeypatch):
    """A round in which rnnlib outran the products it issues says the machine changed within it."""
    run = load("run")
    rounds = {
        "rnnlib": [1.0, 0.5, 1.1],  # the second round: faster than the products alone
        "numpy per-step products": [0.4, 0.4, 0.4],
        "numpy stacked products": [0.4, 0.4, 0.4],
        "literal": [10.0, 1.0, 11.0],
    }
    monkeypatch.setattr(run, "per_round", lambda fns, *a, **k: {name: rounds[name] for name in fns})
    monkeypatch.setattr(run, "loss_and_grad_reference", lambda *a, **k: rnnlib.loss_and_grad(*a[:3], g="identity"))
    r = run.measure_shape("tiny", (2, 3, 2, 4, 2), np.float64, 3, False, False, True)
    assert r["disturbed_rounds"] == 1 and r["share_of_matmul"]["rounds"] == 2
    assert r["share_of_matmul"]["max"] == pytest.approx(0.8)  # 0.8 / 0.5 = 1.6 is gone
    assert r["rnnlib_over_spread"]["literal"]["min"] == pytest.approx(0.1)  # and so is its 0.5 / 1.0


def test_a_verdict_says_when_the_rounds_straddle_the_bound():
    run = load("run")
    comparison = {"name": "book", "dtype": "float64",
                  "rnnlib_over_spread": {"pytorch": {"min": 0.6, "median": 0.65, "max": 0.75}}}
    case = run.verdicts({"comparisons": [comparison], "memory": []})[run.BOOK]["cases"]["book, float64"]
    assert case["met"] is True and case["every_round"] is None  # target <= 0.7: met by the median only
    comparison["rnnlib_over_spread"]["pytorch"]["max"] = 0.69
    case = run.verdicts({"comparisons": [comparison], "memory": []})[run.BOOK]["cases"]["book, float64"]
    assert case["every_round"] is True


def test_the_rnn_products_do_the_counted_work():
    """The products timed as the reference are those of the flop count, in number and size."""
    run = load("run")
    calls = []

    class Recorder:
        @staticmethod
        def mm(a, b, out):
            calls.append((a.shape, b.shape, out.shape))

        @staticmethod
        def from_numpy(a):
            return a

    N, T, m, n, k = shape = (2, 3, 4, 5, 6)
    per_step, stacked = run.rnn_products(shape, np.float64, Recorder)
    per_step()
    stacked()
    work = sum(2 * a[0] * a[1] * b[1] for a, b, _ in calls)
    assert work == run.flops(*shape)
    assert sum(2 * a[0] * a[1] * b[1] for a, b, _ in calls[: 2 * T]) == run.flops_per_step(*shape)


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
    # a wrong small gradient is caught even in float32, beside large ones
    g = good[1]
    large = rnnlib.Params(1e4 * g.W_xh, g.W_hh, g.W_hy, g.b_h, g.b_y)
    wrong_b_y = rnnlib.Params(large.W_xh, g.W_hh, g.W_hy, g.b_h, 2 * g.b_y)
    with pytest.raises(AssertionError, match="of the scale of b_y"):
        run.agree((good[0], large), (good[0], wrong_b_y), np.float32, "a wrong bias gradient")


def test_flop_count():
    run = load("run")
    N, T, m, n, k = 2, 3, 4, 5, 6
    forward = 2 * N * T * (m * n + n * n + n * k)
    backward = 2 * N * T * (k * n + n * n + m * n + n * n + k * n)
    assert run.flops(N, T, m, n, k) == forward + backward


def test_update_readme_rewrites_only_the_performance_sentence(tmp_path):
    run = load("run")
    results = json.loads((ROOT / "benchmarks" / "results" / "results.json").read_text())
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n\nOn the machine recorded in `benchmarks/results/results.json` (old\nnumbers)"
                      " ... run the script to measure yours.\n\n## Next\n")
    run.update_readme(results, readme)
    text = readme.read_text()
    assert text.startswith("# Title\n\n") and text.endswith("measure yours.\n\n## Next\n")
    assert " ".join(run.readme_sentence(results).split()) in " ".join(text.split())
    # a sentence wrapped anywhere, even inside its closing words, is found again
    before = text
    readme.write_text(text.replace("run the script", "run\nthe script"))
    run.update_readme(results, readme)
    assert readme.read_text() == before
    readme.write_text("# Title without the sentence\n")
    with pytest.raises(ValueError, match="expected one performance sentence"):
        run.update_readme(results, readme)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "shape",
    [
        (1, 1, 1, 1, 1),
        (1, 6, 3, 4, 3),  # one sequence
        (3, 37, 5, 40, 2),  # T not a multiple of the block
        (32, 50, 64, 128, 64),  # the book's shape: several blocks
    ],
)
def test_the_timed_copy_computes_what_loss_and_grad_does(shape, dtype):
    """parts.py times the library's own computation: its results are loss_and_grad's, bit for bit."""
    run, parts = load("run"), load("parts")
    params, X, Y = run.problem(*shape, dtype)
    if shape[0] == 1:  # a single sequence of shape (T, m)
        X, Y = X[0], Y[0]
    C, grads = rnnlib.loss_and_grad(params, X, Y, g="identity")
    C_timed, grads_timed, seconds = parts.timed_loss_and_grad(params, X, Y)
    assert C_timed == C
    for a, b in zip(grads, grads_timed):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert set(seconds) == set(parts.PARTS) and all(v >= 0 for v in seconds.values())
    assert set(parts.PARTS.values()) == set(parts.GROUPS)


def test_the_breakdown_refuses_a_timed_copy_that_drifted(monkeypatch):
    """If parts.py stopped computing loss_and_grad's numbers, its parts would be another computation's."""
    run = load("run")
    real = run.parts.timed_loss_and_grad

    def drifted(params, X, Y):
        C, g, seconds = real(params, X, Y)
        one_ulp = np.nextafter(g.b_h, np.inf)  # the smallest drift there is
        return C, rnnlib.Params(g.W_xh, g.W_hh, g.W_hy, one_ulp, g.b_y), seconds

    r = run.measure_breakdown("tiny", (2, 3, 2, 4, 2), np.float64, 1)
    assert set(r["groups"]) == set(run.parts.GROUPS)
    assert r["seconds"]["rnnlib"] > 0 and r["seconds"]["timed copy"] > 0
    monkeypatch.setattr(run.parts, "timed_loss_and_grad", drifted)
    with pytest.raises(AssertionError, match="no longer computes"):
        run.measure_breakdown("tiny", (2, 3, 2, 4, 2), np.float64, 1)


@pytest.mark.parametrize("shape", [(1, 6, 3, 4, 3), (3, 37, 5, 40, 2), (32, 50, 64, 128, 64)])
def test_the_products_alone_are_the_timed_copys_products(shape, monkeypatch):
    """parts.products_alone issues the very products of the timed copy: the same calls on the same shapes."""
    run, parts = load("run"), load("parts")
    params, X, Y = run.problem(*shape, np.float64)

    def recorder(calls):
        class Recorded:  # numpy, with its two product functions writing down what they multiply
            def __getattr__(self, name):
                return getattr(np, name)

            def dot(self, a, b, out=None):
                calls.append(("dot", a.shape, b.shape, a.flags.c_contiguous, b.flags.c_contiguous))
                return np.dot(a, b, out=out)

            def matmul(self, a, b, out=None):
                calls.append(("matmul", a.shape, b.shape, a.flags.c_contiguous, b.flags.c_contiguous))
                return np.matmul(a, b, out=out)

        return Recorded()

    in_place, alone = [], []
    monkeypatch.setattr(parts, "np", recorder(in_place))
    parts.timed_loss_and_grad(params, X, Y)
    products = parts.products_alone(params, X)  # made outside the recording's scope of interest
    monkeypatch.setattr(parts, "np", recorder(alone))
    products()
    assert alone == in_place
    N, T, m, n, k = shape
    flop = sum(2 * a[0] * a[1] * b[1] for _, a, b, *_ in alone)
    assert flop == 2 * N * T * (2 * n * m + 3 * n * n + 3 * k * n) - 2 * N * n * n  # no W_hh^T delta_{T+1}
