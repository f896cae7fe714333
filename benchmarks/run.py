"""How fast is rnnlib, and why: loss_and_grad measured against a literal loop, PyTorch and the machine.

Usage (from the project's top folder, after `make book` or `make test` has created .venv):

    .venv/bin/python benchmarks/run.py              # everything; writes benchmarks/results/
    .venv/bin/python benchmarks/run.py --quick      # tiny shapes, a few seconds, writes nothing

What is measured, always forward pass + BPTT (loss_and_grad with f = tanh, an
identity output and the mean squared error):

* the ladder from the notes' literal per-sequence, per-timestep loop to
  rnnlib, one optimisation at a time (ladder.py);
* rnnlib against the literal loop and against PyTorch on the CPU (nn.RNN and
  nn.Linear with autograd, the same weights and data; the gradients are
  checked to agree first), in float64 and float32, from small to large shapes;
* the achieved GFLOP/s against those of a plain numpy matrix product of the
  same size, measured in the same run;
* peak memory against the activations that must be stored, and how time and
  memory grow with T and N.

PyTorch is optional: `pip install -r benchmarks/requirements-torch.txt` into
the same environment.  Without it the PyTorch comparisons are skipped and the
script says so.  Timings take turns between implementations, round after
round, and report medians; every speed-up is the median of the ratios
measured within each round, because absolute times drift with the machine's
load.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # for ladder.py, when run as a script
import ladder  # noqa: E402

import rnnlib  # noqa: E402
from rnnlib.reference import loss_and_grad_reference  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent / "results"
SHAPES = {  # name: (N, T, m, n, k)
    "small": (1, 100, 65, 100, 65),
    "literal target": (32, 50, 64, 128, 64),
    "medium": (64, 100, 128, 256, 128),
    "large": (128, 100, 256, 512, 256),
}
QUICK_SHAPES = {"tiny": (4, 10, 8, 16, 8), "literal target": (4, 10, 8, 16, 8)}
TARGETS = {
    "literal speed-up at the literal target shape, float64": ">= 10",
    "time relative to PyTorch at medium and large, float64 and float32": "<= 0.8",
    "share of matrix-product GFLOP/s at the large shape": ">= 0.5",
    "peak memory relative to the activations that must be stored": "<= 1.5",
}


def flops(N, T, m, n, k):
    """Multiply-adds (x2) of the matrix products in one forward + backward pass."""
    forward = m * n + n * n + n * k  # W_xh x_t, W_hh h_{t-1}, W_hy h_t
    backward = k * n + n * n + (m * n + n * n + k * n)  # W_hy^T e_t, W_hh^T delta_{t+1}, the three weight gradients
    return 2 * N * T * (forward + backward)


def problem(N, T, m, n, k, dtype, seed=0):
    rng = np.random.default_rng(seed)
    params = rnnlib.init_params(m, n, k, rng=rng, dtype=dtype)
    params = rnnlib.Params(params.W_xh, params.W_hh, params.W_hy,
                           (0.1 * rng.normal(size=n)).astype(dtype), (0.1 * rng.normal(size=k)).astype(dtype))
    return params, rng.normal(size=(N, T, m)).astype(dtype), rng.normal(size=(N, T, k)).astype(dtype)


def time_alternately(fns: dict, repeat: int, inner: int = 3, pause: float = 0.05) -> dict:
    """Median seconds per call of each function; they take turns, round after round.

    Before each turn the script sleeps for ``pause`` seconds: the worker threads
    of PyTorch's OpenMP (and of OpenBLAS) keep spinning for a few milliseconds
    after a call, and measured right after one, the other library runs up to
    twice as slow.
    """
    rounds = per_round(fns, repeat, inner, pause)
    return {name: float(np.median(r)) for name, r in rounds.items()}


def per_round(fns: dict, repeat: int, inner: int = 3, pause: float = 0.05) -> dict:
    """Seconds per call of each function in each round (the median of ``inner`` calls)."""
    rounds = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            time.sleep(pause)
            fn()  # warm-up: caches and allocator as in a training loop
            calls = []
            for _ in range(inner):
                start = time.perf_counter()
                fn()
                calls.append(time.perf_counter() - start)
            rounds[name].append(float(np.median(calls)))
    return rounds


def agree(reference, other, dtype, what):
    C0, g0 = reference
    C1, g1 = other
    tol = 1e-9 if dtype == np.float64 else 2e-3
    scale = max(np.max(np.abs(rnnlib.vec(g0))), 1e-30)
    gap = max(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))) for a, b in zip(g0, g1)) / scale
    if not (abs(C0 - C1) <= tol * max(1.0, abs(C0)) and gap <= tol):
        raise AssertionError(f"{what} disagrees with rnnlib: cost {C1} vs {C0}, gradient gap {gap:.1e} of its scale")


# --- PyTorch ---------------------------------------------------------------------


def torch_version():
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


def torch_loss_and_grad(params, X, Y):
    """nn.RNN + nn.Linear with the same weights; returns a function computing (C, grads) like rnnlib."""
    import torch

    dtype = torch.float64 if X.dtype == np.float64 else torch.float32
    m, n, k = params.m, params.n, params.k
    rnn = torch.nn.RNN(m, n, nonlinearity="tanh", batch_first=True).to(dtype)
    out = torch.nn.Linear(n, k).to(dtype)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(params.W_xh))
        rnn.weight_hh_l0.copy_(torch.from_numpy(params.W_hh))
        rnn.bias_ih_l0.copy_(torch.from_numpy(params.b_h))
        rnn.bias_hh_l0.zero_()  # PyTorch has two hidden biases; their sum is b_h
        out.weight.copy_(torch.from_numpy(params.W_hy))
        out.bias.copy_(torch.from_numpy(params.b_y))
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    N = X.shape[0]
    weights = [rnn.weight_ih_l0, rnn.weight_hh_l0, out.weight, rnn.bias_ih_l0, out.bias]

    def step():
        for w in list(rnn.parameters()) + list(out.parameters()):
            w.grad = None
        hidden, _ = rnn(Xt)
        C = 0.5 * ((out(hidden) - Yt) ** 2).sum() / N
        C.backward()
        return C

    def result():
        C = step()
        return float(C.detach()), rnnlib.Params(*(w.grad.numpy().copy() for w in weights))

    return step, result


# --- the measurements ----------------------------------------------------------------


def measure_ladder(shape, repeat):
    params, X, Y = problem(*shape, np.float64)
    reference = rnnlib.loss_and_grad(params, X, Y, g="identity")
    for name, fn in ladder.LADDER.items():
        agree(reference, fn(params, X, Y), np.float64, name)
    fns = {name: (lambda fn=fn: fn(params, X, Y)) for name, fn in ladder.LADDER.items()}
    times = time_alternately(fns, repeat, inner=3)
    return {"shape": dict(zip("NTmnk", shape)), "seconds": times}


def matmul_operands(shape, dtype):
    """Operands of a plain matrix product like rnnlib's weight-gradient products, (n x NT) times (NT x n).

    Two different arrays: for a.T @ a numpy calls a symmetric routine that does half the work.
    """
    N, T, m, n, k = shape
    rng = np.random.default_rng(1)
    return rng.normal(size=(N * T, n)).astype(dtype), rng.normal(size=(N * T, n)).astype(dtype)


def measure_shape(name, shape, dtype, repeat, with_torch, with_literal):
    params, X, Y = problem(*shape, dtype)
    ours = rnnlib.loss_and_grad(params, X, Y, g="identity")
    fns = {"rnnlib": lambda: rnnlib.loss_and_grad(params, X, Y, g="identity")}
    if with_literal:
        agree(ours, loss_and_grad_reference(params, X, Y, g="identity", form="matrix"), dtype, "the literal loop")
        fns["literal"] = lambda: loss_and_grad_reference(params, X, Y, g="identity", form="matrix")
    if with_torch:
        step, result = torch_loss_and_grad(params, X, Y)
        agree(ours, result(), dtype, "PyTorch")
        fns["pytorch"] = step
    A, B = matmul_operands(shape, dtype)
    fns["matmul"] = lambda: A.T @ B
    inner = 1 if "literal" in fns and shape[0] * shape[1] > 1000 else 3
    rounds = per_round(fns, repeat, inner=inner)
    seconds = {impl: float(np.median(r)) for impl, r in rounds.items()}
    # each round times the implementations one right after the other, so the
    # ratio within a round is little affected by drifts in the machine's speed
    ratios = {
        impl: float(np.median(np.array(rounds["rnnlib"]) / np.array(r)))
        for impl, r in rounds.items()
        if impl not in ("rnnlib", "matmul")
    }
    matmul_flop = 2 * A.shape[0] * A.shape[1] * B.shape[1]
    share = np.median((flops(*shape) / np.array(rounds["rnnlib"])) / (matmul_flop / np.array(rounds["matmul"])))
    return {
        "name": name,
        "dtype": np.dtype(dtype).name,
        "shape": dict(zip("NTmnk", shape)),
        "seconds": {impl: t for impl, t in seconds.items() if impl != "matmul"},
        "rnnlib_over": ratios,
        "gflop": flops(*shape) / 1e9,
        "rnnlib_gflops": flops(*shape) / seconds["rnnlib"] / 1e9,
        "matmul_gflops": matmul_flop / seconds["matmul"] / 1e9,
        "share_of_matmul": float(share),
    }


def peak_bytes(shape, dtype):
    """Peak memory allocated during one loss_and_grad call, beyond its inputs."""
    params, X, Y = problem(*shape, dtype)
    rnnlib.loss_and_grad(params, X, Y, g="identity")
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    rnnlib.loss_and_grad(params, X, Y, g="identity")
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    N, T, m, n, k = shape
    must_store = ((T + 1) * N * n + T * N * k) * np.dtype(dtype).itemsize  # h_0..h_T and y_1..y_T
    return {"shape": dict(zip("NTmnk", shape)), "peak_bytes": peak, "must_store_bytes": must_store}


def measure_growth(base_shape, vary, values, repeat):
    rows = []
    for value in values:
        shape = dict(zip("NTmnk", base_shape))
        shape[vary] = value
        shape = tuple(shape[key] for key in "NTmnk")
        params, X, Y = problem(*shape, np.float64)
        seconds = time_alternately({"rnnlib": lambda: rnnlib.loss_and_grad(params, X, Y, g="identity")}, repeat)
        rows.append({vary: value, "seconds": seconds["rnnlib"], **peak_bytes(shape, np.float64)})
    return rows


def verdicts(results):
    out = {}
    lit = [r for r in results["comparisons"] if r["name"] == "literal target" and r["dtype"] == "float64"]
    if lit:
        out["literal speed-up at the literal target shape, float64"] = 1 / lit[0]["rnnlib_over"]["literal"]
    vs_torch = {
        f"{r['name']}, {r['dtype']}": r["rnnlib_over"]["pytorch"]
        for r in results["comparisons"]
        if "pytorch" in r["seconds"] and r["name"] in ("medium", "large")
    }
    if vs_torch:
        out["time relative to PyTorch at medium and large, float64 and float32"] = vs_torch
    large = [r for r in results["comparisons"] if r["name"] == "large"]
    if large:
        out["share of matrix-product GFLOP/s at the large shape"] = {r["dtype"]: r["share_of_matmul"] for r in large}
    if results["memory"]:
        ratios = {
            f"{m['shape']['N']}x{m['shape']['T']}, n={m['shape']['n']}": m["peak_bytes"] / m["must_store_bytes"]
            for m in results["memory"]
        }
        rows = results["growth"]["T"]  # the cost of one more timestep, without the parameter-sized part
        T = np.array([r["T"] for r in rows], dtype=float)
        slope_peak = np.polyfit(T, [r["peak_bytes"] for r in rows], 1)[0]
        slope_must = np.polyfit(T, [r["must_store_bytes"] for r in rows], 1)[0]
        ratios["per extra timestep (growth in T)"] = slope_peak / slope_must
        out["peak memory relative to the activations that must be stored"] = ratios
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny shapes only, to check that everything runs")
    parser.add_argument("--repeat", type=int, default=None, help="rounds of timed calls (default 7, quick 1)")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if it is installed")
    parser.add_argument(
        "--out", type=pathlib.Path, default=None,
        help="folder for results.json and plots (default: benchmarks/results, or results-without-pytorch without PyTorch)",
    )
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 7)
    shapes = QUICK_SHAPES if args.quick else SHAPES
    version = None if args.no_torch else torch_version()
    if args.no_torch:
        print("--no-torch: the PyTorch comparisons are skipped.")
    elif version is None:
        print("PyTorch is not installed (pip install -r benchmarks/requirements-torch.txt): its comparisons are skipped.")
    else:
        import torch

        print(f"PyTorch {version} on the CPU with {torch.get_num_threads()} threads")

    results = {
        "machine": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pytorch": version,
            "processor": platform.machine(),
            "cpus": os.cpu_count(),
        },
        "targets": TARGETS,
        "ladder": [
            measure_ladder(shapes[name], 1 if args.quick else max(1, repeat // 3))
            for name in (("literal target",) if args.quick else ("literal target", "medium"))
        ],
        "comparisons": [],
        "memory": [],
    }
    for rung in results["ladder"]:
        print("ladder at N, T, m, n, k =", tuple(rung["shape"].values()))
        for name, seconds in rung["seconds"].items():
            print(f"  {name:20s} {1e3 * seconds:9.2f} ms  {rung['seconds']['literal loop'] / seconds:6.1f}x the literal loop")

    print(f"\n{'shape':>15} {'dtype':>8} {'rnnlib ms':>10} {'literal ms':>11} {'pytorch ms':>11} {'vs torch':>9} {'GFLOP/s':>8} {'matmul GFLOP/s':>15}")
    for name, shape in shapes.items():
        for dtype in (np.float64, np.float32):
            with_literal = name in ("small", "literal target", "tiny")
            r = measure_shape(name, shape, dtype, repeat, version is not None, with_literal)
            results["comparisons"].append(r)
            s = r["seconds"]
            lit = f"{1e3 * s['literal']:11.1f}" if "literal" in s else f"{'-':>11}"
            pt = f"{1e3 * s['pytorch']:11.1f}" if "pytorch" in s else f"{'-':>11}"
            ratio = f"{r['rnnlib_over']['pytorch']:9.2f}" if "pytorch" in s else f"{'-':>9}"
            print(f"{name:>15} {r['dtype']:>8} {1e3 * s['rnnlib']:10.2f} {lit} {pt} {ratio} {r['rnnlib_gflops']:8.1f} {r['matmul_gflops']:15.1f}")
        results["memory"].append(peak_bytes(shape, np.float64))

    base = shapes["literal target"]
    Ts = (10, 20) if args.quick else (25, 50, 100, 200, 400)
    Ns = (2, 4) if args.quick else (8, 16, 32, 64, 128, 256)
    results["growth"] = {"T": measure_growth(base, "T", Ts, repeat), "N": measure_growth(base, "N", Ns, repeat)}
    results["verdicts"] = verdicts(results)
    print("\ntargets:")
    for key, value in results["verdicts"].items():
        print(f"  {key} ({TARGETS[key]}): {json.dumps(value, default=lambda v: round(v, 3)) if isinstance(value, dict) else round(value, 2)}")

    out = args.out
    if out is None and not args.quick:
        # the book's chapter on performance reads benchmarks/results/, which holds the PyTorch comparison
        out = OUT if version is not None else OUT.parent / "results-without-pytorch"
        if version is None:
            print(f"\nwithout PyTorch the results go to {out.name}/, leaving the book's results/ as they are")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
        plot(results, out)
        print(f"\nwrote {out / 'results.json'} and plots")
    return results


def plot(results, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rnnlib import plots

    plots.use_book_style()
    fig, axes = plt.subplots(1, len(results["ladder"]), figsize=(4.5 * len(results["ladder"]), 2.8), squeeze=False)
    for ax, rung in zip(axes[0], results["ladder"]):
        times = rung["seconds"]
        ax.barh(list(times)[::-1], [1e3 * v for v in list(times.values())[::-1]])
        ax.set(xscale="log", xlabel="ms per loss_and_grad", title="N, T, m, n, k = " + ", ".join(map(str, rung["shape"].values())))
    fig.savefig(out / "ladder.png", bbox_inches="tight")
    plt.close(fig)

    fig, ax = plt.subplots()
    for dtype, marker in (("float64", "o"), ("float32", "s")):
        rows = [r for r in results["comparisons"] if r["dtype"] == dtype]
        for impl, color in (("rnnlib", "C0"), ("pytorch", "C1"), ("literal", "C2")):
            xs = [i for i, r in enumerate(rows) if impl in r["seconds"]]
            ys = [1e3 * rows[i]["seconds"][impl] for i in xs]
            if xs:
                ax.plot(xs, ys, marker, color=color, label=f"{impl}, {dtype}", ls="-" if dtype == "float64" else ":")
        ax.set_xticks(range(len(rows)), [r["name"] for r in rows])
    ax.set(yscale="log", ylabel="ms per loss_and_grad")
    ax.legend(ncols=2)
    fig.savefig(out / "comparison.png", bbox_inches="tight")
    plt.close(fig)

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2))
    for key, ax in (("T", ax1), ("N", ax2)):
        rows = results["growth"][key]
        xs = [r[key] for r in rows]
        ax.loglog(xs, [r["seconds"] for r in rows], "o-", label="time (s)")
        ax.loglog(xs, [r["peak_bytes"] / 1e9 for r in rows], "s-", label="peak memory (GB)")
        ax.set_xlabel(key)
    ax1.legend()
    fig.savefig(out / "growth.png", bbox_inches="tight")
    plt.close(fig)


if __name__ == "__main__":
    main()
