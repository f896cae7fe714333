"""How fast is rnnlib, and why: loss_and_grad against a literal loop, PyTorch, JAX and the machine's BLAS.

Usage (from the project's top folder, after `make book` or `make test` has created .venv):

    .venv/bin/python benchmarks/run.py              # everything; writes benchmarks/results/
    .venv/bin/python benchmarks/run.py --quick      # tiny shapes, a few seconds, writes nothing
    .venv/bin/python benchmarks/run.py --update-readme   # README's sentence from benchmarks/results/

What is measured, always forward pass + BPTT (loss_and_grad with f = tanh, an
identity output and the mean squared error):

* the ladder from the notes' literal per-sequence, per-timestep loop to
  rnnlib, one optimisation at a time (ladder.py), with the minor page faults
  of each call;
* rnnlib against the literal loop, PyTorch (nn.RNN and nn.Linear with
  autograd, eager) and JAX (jit of value_and_grad over lax.scan, compiled by
  XLA; the compile time is reported on its own, never inside a call), the same
  weights and data, the cost and gradients checked to agree first, in float64
  and float32, from small to large shapes (peers.py);
* the matrix products the RNN issues, alone: 2T products (N, n) x (n, n),
  one per step forward and backward, and the six stacked products over all
  NT rows, through numpy's BLAS and through torch.mm on the same operands;
  their rate is the ceiling of rnnlib's, and the ratio is the "share of
  matmul" (a share above 1 cannot be true and is flagged as a failed
  measurement, not stored);
* where rnnlib's own time goes: a timed copy of loss_and_grad (parts.py),
  checked to compute the same numbers bit for bit, reads a clock between its
  numpy calls, taking turns with the library; the parts are grouped into
  the matrix products, the element-wise work of each step, the passes over
  whole arrays (copies, biases, the cost, f'(z_t), the bias gradients) and
  the checks of the arguments;
* peak memory against the activations that must be stored, and how time and
  memory grow with T and N;
* the gated cells (skip with --no-gated): rnnlib.gated.lstm against PyTorch's
  nn.LSTM with the same weights, rnnlib.gated.gru against a JAX GRU of the same
  (Cho et al.'s) form, and each against the vanilla RNN of the same shape,
  at the book and medium shapes, in float64 and float32, taking turns in the
  same rounds (at most GATED_ROUNDS of them); results under "gated".

PyTorch and JAX are optional: `pip install -r benchmarks/requirements-torch.txt`
and `-r benchmarks/requirements-jax.txt` into the same environment; without
one, its comparisons are skipped (one line says so) and the results go to
benchmarks/results-incomplete/, leaving the book's results alone.
Implementations take turns, round after round, with a pause before each
turn; every ratio is computed within each round and summarised over the
rounds (median, quartiles, min and max), because absolute times drift with
the machine's load.  results.json records the machine: CPU model, BLAS
libraries and their threads (threadpoolctl), library versions.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
try:
    import resource  # minor page faults per call
except ImportError:  # not on every platform (Pyodide has none); the benchmarks need it, the helpers tested there do not
    resource = None
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # for ladder.py and peers.py, run as a script
import ladder  # noqa: E402
import parts  # noqa: E402
import peers  # noqa: E402

import rnnlib  # noqa: E402
from rnnlib.reference import loss_and_grad_reference  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent / "results"
SHAPES = {  # name: (N, T, m, n, k)
    "small": (1, 100, 65, 100, 65),
    "char LM": (32, 25, 89, 128, 89),  # the character model's training chunk in its chapter: 89 distinct characters
    "book": (32, 50, 64, 128, 64),
    "medium": (64, 100, 128, 256, 128),
    "large": (128, 100, 256, 512, 256),
}
QUICK_SHAPES = {"small": (1, 6, 3, 4, 3), "book": (4, 10, 8, 16, 8)}
GATED = ("book", "medium")  # the LSTM and GRU at these shapes (with --quick: the tiny "book" of QUICK_SHAPES)
GATED_ROUNDS = 4  # keeps the gated section under 3 minutes: a medium turn of the LSTM or GRU takes seconds
WITH_LITERAL = ("small", "char LM", "book")  # the literal loop takes seconds beyond these

SMALL = "small shapes: time relative to JAX"
BOOK = "book shape: time relative to PyTorch"
VS_TORCH = "medium and large: time relative to PyTorch"
SHARE = "medium and large: share of the rate of the RNN's own matrix products"
MEMORY = "medium and large: peak memory relative to the activations that must be stored"
TARGETS = {  # key: (comparison, bound)
    SMALL: ("<=", 1.0),
    BOOK: ("<=", 0.7),
    VS_TORCH: ("<=", 1.0),
    SHARE: (">=", 0.85),
    MEMORY: ("<=", 1.5),
}


def flops(N, T, m, n, k):
    """Multiply-adds (x2) of the matrix products in one forward + backward pass."""
    forward = m * n + n * n + n * k  # W_xh x_t, W_hh h_{t-1}, W_hy h_t
    backward = k * n + n * n + (m * n + n * n + k * n)  # W_hy^T e_t, W_hh^T delta_{t+1}, the three weight gradients
    return 2 * N * T * (forward + backward)


def flops_per_step(N, T, m, n, k):
    """The part of :func:`flops` in the products that wait for the previous step: W_hh h_{t-1}, W_hh^T delta_{t+1}."""
    return 2 * N * T * 2 * n * n


def problem(N, T, m, n, k, dtype, seed=0):
    rng = np.random.default_rng(seed)
    params = rnnlib.init_params(m, n, k, rng=rng, dtype=dtype)
    params = rnnlib.Params(params.W_xh, params.W_hh, params.W_hy,
                           (0.1 * rng.normal(size=n)).astype(dtype), (0.1 * rng.normal(size=k)).astype(dtype))
    return params, rng.normal(size=(N, T, m)).astype(dtype), rng.normal(size=(N, T, k)).astype(dtype)


def per_round(fns: dict, repeat: int, inner: int = 3, pause: float = 0.05, faults: bool = False) -> dict:
    """Seconds per call of each function in each round (the median of ``inner`` calls).

    The functions take turns, round after round.  Before each turn the script
    sleeps for ``pause`` seconds: the worker threads of PyTorch's OpenMP (and of
    OpenBLAS) keep spinning for a few milliseconds after a call, and measured
    right after one, the other library runs up to twice as slow.  With
    ``faults``, also the minor page faults per call (the kernel mapping fresh
    memory), under the key ``(name, "faults")``.
    """
    rounds = {name: [] for name in fns}
    if faults:
        rounds.update({(name, "faults"): [] for name in fns})
    for _ in range(repeat):
        for name, fn in fns.items():
            time.sleep(pause)
            fn()  # warm-up: caches and allocator as in a training loop
            calls = []
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt if faults else 0
            for _ in range(inner):
                start = time.perf_counter()
                fn()
                calls.append(time.perf_counter() - start)
            if faults:
                rounds[(name, "faults")].append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / inner)
            rounds[name].append(float(np.median(calls)))
    return rounds


def spread(values) -> dict:
    """Median, quartiles and extremes of per-round values."""
    q = np.percentile(np.asarray(values, dtype=float), [0, 25, 50, 75, 100])
    return {"min": q[0], "q1": q[1], "median": q[2], "q3": q[3], "max": q[4], "rounds": len(values)}


def agree(reference, other, dtype, what):
    """Raise unless two (cost, gradient) pairs agree: the cost, and each gradient array against its own scale.

    The gradients are Params, LSTMParams or GRUParams; each array is compared
    relative to its own largest entry, so that a small gradient (a bias, say)
    cannot hide behind a large one.
    """
    C0, g0 = reference
    C1, g1 = other
    tol = 1e-9 if dtype == np.float64 else 2e-3
    gaps = {}
    for (name, a), b in zip(g0.items(), g1):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        gaps[name] = float(np.max(np.abs(a - b))) / max(float(np.max(np.abs(a))), 1e-30)
    name, gap = max(gaps.items(), key=lambda kv: kv[1])
    if not (abs(C0 - C1) <= tol * max(1.0, abs(C0)) and gap <= tol):
        raise AssertionError(
            f"{what} disagrees with rnnlib: cost {C1} vs {C0}, gradient gap {gap:.1e} of the scale of {name}"
        )


# --- the machine ---------------------------------------------------------------------


def cpu_model():
    """The CPU's model name and the vector extensions that decide which BLAS kernels run."""
    try:
        lines = pathlib.Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or platform.machine(), None
    model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), None)
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), [])
    return model or platform.machine(), [f for f in ("avx2", "fma", "avx512f", "amx_tile") if f in flags]


def blas_libraries():
    """The BLAS and OpenMP libraries loaded in this process, with their threads (threadpoolctl), or None."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    keep = ("user_api", "internal_api", "prefix", "version", "num_threads", "threading_layer", "architecture")
    return [{key: lib[key] for key in keep if key in lib} for lib in threadpool_info()]  # no file paths


def machine(torch_version, jax_version):
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    model, features = cpu_model()
    info = {
        "cpu": model,
        "cpu_features": features,
        "cpus": os.cpu_count(),
        "processor": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy_blas": f"{blas.get('name')} {blas.get('version')}",
        "pytorch": torch_version,
        "jax": jax_version,
        "threads_environment": {
            key: os.environ.get(key)
            for key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "XLA_FLAGS")
        },
    }
    if torch_version is not None:
        import torch

        config = torch.__config__.show()
        info["pytorch_threads"] = torch.get_num_threads()
        info["pytorch_blas"] = next(
            (line.strip(" -").split("-Product")[0] for line in config.splitlines()
             if "Math Kernel Library" in line or "OpenBLAS" in line),
            next((part.split("=")[1] for part in config.replace(",", " ").split() if part.startswith("BLAS_INFO=")), None),
        )
    if jax_version is not None:
        import jax

        info["jax_backend"] = f"{jax.default_backend()} ({len(jax.devices())} device)"
    libraries = blas_libraries()
    info["blas_libraries"] = libraries if libraries is not None else "threadpoolctl not installed"
    return info


# --- the measurements ----------------------------------------------------------------


def measure_ladder(shape, repeat, inner):
    params, X, Y = problem(*shape, np.float64)
    reference = rnnlib.loss_and_grad(params, X, Y, g="identity")
    for name, fn in ladder.LADDER.items():
        agree(reference, fn(params, X, Y), np.float64, name)
    fns = {name: (lambda fn=fn: fn(params, X, Y)) for name, fn in ladder.LADDER.items()}
    rounds = per_round(fns, repeat, inner=inner, faults=True)
    literal = np.array(rounds["literal loop"])
    return {
        "shape": dict(zip("NTmnk", shape)),
        "seconds": {name: float(np.median(rounds[name])) for name in fns},
        "speedup_over_literal": {name: spread(literal / np.array(rounds[name])) for name in fns},
        "minor_faults_per_call": {name: float(np.median(rounds[(name, "faults")])) for name in fns},
    }


# glibc's malloc gives large freed blocks back to the kernel (as unmapped pages, or by
# trimming the heap) above thresholds that adapt to what the process has freed so far;
# with both raised, freed memory stays in the process and is reused without faults
KEEP_FREED_MEMORY = {"MALLOC_MMAP_THRESHOLD_": str(2**28), "MALLOC_TRIM_THRESHOLD_": str(2**28)}


def measure_ladder_keeping_memory(name, repeat, inner):
    """The ladder at SHAPES[name] again, in a fresh process whose malloc keeps freed memory.

    Returns the rung's seconds and minor faults per call there, or None if the
    child process failed (its error is printed).  Against the ordinary run it
    measures what the page faults cost.
    """
    import subprocess

    child = subprocess.run(
        [sys.executable, __file__, "--ladder-json", name, str(repeat), str(inner)],
        env={**os.environ, **KEEP_FREED_MEMORY}, capture_output=True, text=True,
    )
    if child.returncode != 0:
        print(f"the ladder keeping freed memory failed:\n{child.stderr[-2000:]}")
        return None
    rung = json.loads(child.stdout)
    return {"environment": KEEP_FREED_MEMORY, "seconds": rung["seconds"],
            "minor_faults_per_call": rung["minor_faults_per_call"]}


def rnn_products(shape, dtype, torch=None):
    """The matrix products one loss_and_grad issues, alone: (per-step function, stacked function).

    Per step: 2T products (N, n) x (n, n), as h_{t-1} W_hh^T forward and
    delta_{t+1} W_hh backward.  Stacked, over all NT rows: the input and output
    projections, W_hy^T e_t, and the three weight gradients (n x NT times NT x m,
    ...).  Their flop add up to :func:`flops`.  Results go into preallocated
    arrays.  With ``torch`` (the module), the same products on the same memory
    through torch.mm.
    """
    N, T, m, n, k = shape
    rng = np.random.default_rng(1)

    def a(*size):
        return rng.normal(size=size).astype(dtype)

    H, W = a(N, n), a(n, n)
    Xs, W_xh, Hs, W_hy, E, D = a(N * T, m), a(n, m), a(N * T, n), a(k, n), a(N * T, k), a(N * T, n)
    products = [  # (left, right, out)
        (Xs, W_xh.T, np.empty((N * T, n), dtype)),  # every W_xh x_t
        (Hs, W_hy.T, np.empty((N * T, k), dtype)),  # every W_hy h_t
        (E, W_hy, np.empty((N * T, n), dtype)),  # every W_hy^T e_t
        (D.T, Xs, np.empty((n, m), dtype)),  # dC/dW_xh
        (D.T, Hs, np.empty((n, n), dtype)),  # dC/dW_hh (two arrays: a.T @ a would do half the work)
        (E.T, Hs, np.empty((k, n), dtype)),  # dC/dW_hy
    ]
    step_pairs = [(H, W.T, np.empty((N, n), dtype)), (H, W, np.empty((N, n), dtype))]
    if torch is None:
        mm = np.matmul
    else:
        mm = torch.mm
        products = [tuple(map(torch.from_numpy, p)) for p in products]
        step_pairs = [tuple(map(torch.from_numpy, p)) for p in step_pairs]
    (A1, B1, O1), (A2, B2, O2) = step_pairs

    def per_step():
        for _ in range(T):
            mm(A1, B1, out=O1)  # forward: h_{t-1} W_hh^T
            mm(A2, B2, out=O2)  # backward: delta_{t+1} W_hh

    def stacked():
        for left, right, out in products:
            mm(left, right, out=out)

    return per_step, stacked


def measure_shape(name, shape, dtype, repeat, with_torch, with_jax, with_literal):
    params, X, Y = problem(*shape, dtype)
    ours = rnnlib.loss_and_grad(params, X, Y, g="identity")
    fns = {"rnnlib": lambda: rnnlib.loss_and_grad(params, X, Y, g="identity")}
    extra = {}
    if with_literal:
        agree(ours, loss_and_grad_reference(params, X, Y, g="identity", form="matrix"), dtype, "the literal loop")
        fns["literal"] = lambda: loss_and_grad_reference(params, X, Y, g="identity", form="matrix")
    if with_torch:
        import torch

        step, result = peers.torch_loss_and_grad(params, X, Y)
        agree(ours, result(), dtype, "PyTorch")
        fns["pytorch"] = step
    if with_jax:
        step, result, compile_seconds = peers.jax_loss_and_grad(params, X, Y)
        agree(ours, result(), dtype, "JAX")
        fns["jax"] = step
        extra["jax_compile_seconds"] = compile_seconds
    fns["numpy per-step products"], fns["numpy stacked products"] = rnn_products(shape, dtype)
    if with_torch:
        fns["torch.mm per-step products"], fns["torch.mm stacked products"] = rnn_products(shape, dtype, torch)
    inner = 1 if with_literal and shape[0] * shape[1] > 1000 else 3
    rounds = {key: np.array(r) for key, r in per_round(fns, repeat, inner=inner).items()}
    peers_measured = [impl for impl in ("literal", "pytorch", "jax") if impl in fns]
    products = rounds["numpy per-step products"] + rounds["numpy stacked products"]
    # rnnlib issues products of these sizes, and more: a round in which it took
    # less time than the products alone was disturbed (the machine's load
    # changed within it), and is left out of every statistic of this case,
    # unless most rounds were (then the whole measurement is flagged below)
    disturbed = products / rounds["rnnlib"] > 1
    if 0 < disturbed.sum() <= len(disturbed) // 2:
        rounds = {key: v[~disturbed] for key, v in rounds.items()}
        products = products[~disturbed]
    # each round times the implementations one right after the other, so the
    # ratio within a round is little affected by drifts in the machine's speed
    share = spread(products / rounds["rnnlib"])
    r = {
        "name": name,
        "dtype": np.dtype(dtype).name,
        "shape": dict(zip("NTmnk", shape)),
        "seconds": {key: float(np.median(v)) for key, v in rounds.items()},
        "rnnlib_over": {impl: float(np.median(rounds["rnnlib"] / rounds[impl])) for impl in peers_measured},
        "rnnlib_over_spread": {impl: spread(rounds["rnnlib"] / rounds[impl]) for impl in peers_measured},
        "gflop": flops(*shape) / 1e9,
        "rnnlib_gflops": flops(*shape) / np.median(rounds["rnnlib"]) / 1e9,
        "matmul_gflops": {
            "per-step": flops_per_step(*shape) / np.median(rounds["numpy per-step products"]) / 1e9,
            "stacked": (flops(*shape) - flops_per_step(*shape)) / np.median(rounds["numpy stacked products"]) / 1e9,
            "all": flops(*shape) / np.median(products) / 1e9,
        },
        "disturbed_rounds": int(disturbed.sum()),
        **extra,
    }
    if with_torch:
        r["torch_mm_over_numpy"] = {
            kind: spread(rounds[f"torch.mm {kind} products"] / rounds[f"numpy {kind} products"])
            for kind in ("per-step", "stacked")
        }
    if share["median"] <= 1:
        r["share_of_matmul"] = share
    else:  # rnnlib issues these very products, and more: faster than them alone means a disturbed measurement
        r["share_of_matmul"] = None
        r["failed"] = (
            f"share of matmul {share['median']:.3f} > 1: rnnlib cannot outrun the products it issues; "
            "the measurement was disturbed and is not stored"
        )
    return r


def measure_breakdown(name, shape, dtype, repeat, pause=0.05):
    """rnnlib's time part by part (parts.py), taking turns with rnnlib itself.

    In each round: loss_and_grad, then its timed copy, then the copy's matrix
    products alone (parts.products_alone), then the share's products
    (rnn_products: per-step, then stacked), each after a pause and a warm-up
    call, each the median of ``inner`` calls (per part: the median over those
    calls).  Every ratio is taken within a round.  "not in a timed part" is rnnlib's time in the round less the sum
    of the copy's parts: Python's own work between the numpy calls,
    allocations.
    """
    params, X, Y = problem(*shape, dtype)
    C, grads = rnnlib.loss_and_grad(params, X, Y, g="identity")
    C_timed, grads_timed, _ = parts.timed_loss_and_grad(params, X, Y)
    if C_timed != C or not all(np.array_equal(a, b) for a, b in zip(grads, grads_timed)):
        raise AssertionError("parts.timed_loss_and_grad no longer computes what rnnlib.loss_and_grad does")
    inner = 1 if flops(*shape) > 1e10 else 3  # the large shape: a call takes a third of a second
    products = parts.products_alone(params, X)
    share_per_step, share_stacked = rnn_products(shape, dtype)  # the share's products, timed in these rounds too
    rounds = {"rnnlib": [], "timed copy": [], "not in a timed part": [], "products alone": [],
              "share's per-step products": [], "share's stacked products": []}
    by_part = {part: [] for part in parts.PARTS}
    for _ in range(repeat):
        time.sleep(pause)
        rnnlib.loss_and_grad(params, X, Y, g="identity")
        calls = []
        for _ in range(inner):
            start = time.perf_counter()
            rnnlib.loss_and_grad(params, X, Y, g="identity")
            calls.append(time.perf_counter() - start)
        ours = float(np.median(calls))
        time.sleep(pause)
        parts.timed_loss_and_grad(params, X, Y)
        calls, seen = [], []
        for _ in range(inner):
            start = time.perf_counter()
            seen.append(parts.timed_loss_and_grad(params, X, Y)[2])
            calls.append(time.perf_counter() - start)
        medians = {part: float(np.median([s[part] for s in seen])) for part in parts.PARTS}
        for part, seconds in medians.items():
            by_part[part].append(seconds)
        rounds["rnnlib"].append(ours)
        rounds["timed copy"].append(float(np.median(calls)))
        rounds["not in a timed part"].append(ours - sum(medians.values()))
        time.sleep(pause)
        products()
        calls = []
        for _ in range(inner):
            start = time.perf_counter()
            products()
            calls.append(time.perf_counter() - start)
        rounds["products alone"].append(float(np.median(calls)))
        for key, fn in (("share's per-step products", share_per_step), ("share's stacked products", share_stacked)):
            time.sleep(pause)
            fn()
            calls = []
            for _ in range(inner):
                start = time.perf_counter()
                fn()
                calls.append(time.perf_counter() - start)
            rounds[key].append(float(np.median(calls)))
    groups = {
        group: float(np.median(np.sum([by_part[p] for p, g in parts.PARTS.items() if g == group], axis=0)))
        for group in parts.GROUPS
    }
    in_place = np.sum([by_part[p] for p, g in parts.PARTS.items() if g == "products"], axis=0)
    in_place_per_step = np.sum([by_part[p] for p in parts.PER_STEP_PRODUCTS], axis=0)
    share_products = np.array(rounds["share's per-step products"]) + np.array(rounds["share's stacked products"])
    return {
        "name": name,
        "dtype": np.dtype(dtype).name,
        "shape": dict(zip("NTmnk", shape)),
        "seconds": {key: float(np.median(v)) for key, v in rounds.items()},
        "parts": {part: float(np.median(v)) for part, v in by_part.items()},
        "groups": groups,
        "kinds": parts.PARTS,
        # the products as rnnlib issues them, alone, over the same products inside the timed copy, per round
        "alone_over_in_place": spread(np.array(rounds["products alone"]) / in_place),
        # within these rounds: the share (the share's products over rnnlib's time); rnnlib's per-step and other
        # products, in place, over the share's per-step and stacked products; and the share if nothing but
        # rnnlib's products took time (the share's products over rnnlib's products in place)
        "within_rounds": {
            "share": spread(share_products / np.array(rounds["rnnlib"])),
            "per_step_over_share": spread(in_place_per_step / np.array(rounds["share's per-step products"])),
            "other_products_over_share": spread(
                (in_place - in_place_per_step) / np.array(rounds["share's stacked products"])),
            "share_with_nothing_but_products": spread(share_products / in_place),
        },
        "rounds": repeat,
    }


def flops_gated(gates, N, T, m, n, k):
    """Multiply-adds (x2) of the matrix products in one forward + backward pass of a cell with ``gates`` parts.

    Every part (gate or candidate) has its own W_x (n, m) and W_h (n, n),
    so each of the RNN's products on W_xh and W_hh becomes ``gates`` of the
    same size, while the output layer's products stay as they are: gates = 1
    is the vanilla RNN (:func:`flops`), 4 the LSTM (f, i, c~, o), 3 the GRU
    (z, r, h~; its W_hh acts on r_t * h_{t-1}, still one (n, n) product).
    """
    forward = gates * (m * n + n * n) + n * k
    backward = k * n + gates * n * n + (gates * (m * n + n * n) + k * n)
    return 2 * N * T * (forward + backward)


def gated_problem(N, T, m, n, k, dtype, seed=0):
    """The vanilla RNN's problem of :func:`problem`, and an LSTM and a GRU of the same m, n, k on the same data.

    Every bias is drawn (0.1 times a normal) so that the agreement checks
    see each of them.
    """
    params, X, Y = problem(N, T, m, n, k, dtype, seed)
    rng = np.random.default_rng(seed + 1)
    gated = {}
    for name, module in (("lstm", rnnlib.gated.lstm), ("gru", rnnlib.gated.gru)):
        p = module.init_params(m, n, k, rng=rng, dtype=dtype)
        gated[name] = type(p)(**{
            field: (0.1 * rng.normal(size=a.shape)).astype(dtype) if field.startswith("b_") else a
            for field, a in p.items()
        })
    return params, gated["lstm"], gated["gru"], X, Y


def measure_gated(name, shape, dtype, repeat, with_torch, with_jax):
    """rnnlib.gated.lstm against nn.LSTM, rnnlib.gated.gru against a JAX GRU, each against the vanilla RNN, in the same rounds.

    At most :data:`GATED_ROUNDS` rounds, and one timed call per turn (after
    the warm-up) beyond a gigaflop: at the medium shape a turn of the gated
    cells takes seconds.
    """
    rnn_params, lstm_params, gru_params, X, Y = gated_problem(*shape, dtype)
    fns = {
        "rnn": lambda: rnnlib.loss_and_grad(rnn_params, X, Y, g="identity"),
        "lstm": lambda: rnnlib.gated.lstm.loss_and_grad(lstm_params, X, Y, g="identity"),
        "gru": lambda: rnnlib.gated.gru.loss_and_grad(gru_params, X, Y, g="identity"),
    }
    extra = {}
    if with_torch:
        step, result = peers.torch_lstm_loss_and_grad(lstm_params, X, Y)
        agree(fns["lstm"](), result(), dtype, "PyTorch's nn.LSTM")
        fns["pytorch lstm"] = step
    if with_jax:
        step, result, compile_seconds = peers.jax_gru_loss_and_grad(gru_params, X, Y)
        agree(fns["gru"](), result(), dtype, "the JAX GRU")
        fns["jax gru"] = step
        extra["jax_gru_compile_seconds"] = compile_seconds
    repeat = min(repeat, GATED_ROUNDS)
    inner = 3 if flops(*shape) < 1e9 else 1
    rounds = {key: np.array(r) for key, r in per_round(fns, repeat, inner=inner).items()}
    pairs = {"lstm_over_rnn": ("lstm", "rnn"), "gru_over_rnn": ("gru", "rnn"),
             "lstm_over_pytorch": ("lstm", "pytorch lstm"), "gru_over_jax": ("gru", "jax gru")}
    pairs = {key: (a, b) for key, (a, b) in pairs.items() if b in rounds}
    counts = {"rnn": flops_gated(1, *shape), "lstm": flops_gated(4, *shape), "gru": flops_gated(3, *shape)}
    return {
        "name": name,
        "dtype": np.dtype(dtype).name,
        "shape": dict(zip("NTmnk", shape)),
        "rounds": repeat,
        "calls_per_turn": inner,
        "seconds": {key: float(np.median(v)) for key, v in rounds.items()},
        # each ratio within a round, then summarised over the rounds
        "over": {key: float(np.median(rounds[a] / rounds[b])) for key, (a, b) in pairs.items()},
        "over_spread": {key: spread(rounds[a] / rounds[b]) for key, (a, b) in pairs.items()},
        "gflop": {key: value / 1e9 for key, value in counts.items()},
        "flop_over_rnn": {"lstm": counts["lstm"] / counts["rnn"], "gru": counts["gru"] / counts["rnn"]},
        **extra,
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


def measure_growth(base_shape, values: dict, repeat):
    """Time and peak memory as T, then N, vary around ``base_shape``; one round visits every shape."""
    shapes = {}
    for key, vals in values.items():
        for value in vals:
            shape = dict(zip("NTmnk", base_shape), **{key: value})
            shapes[(key, value)] = tuple(shape[s] for s in "NTmnk")
    problems = {where: problem(*shape, np.float64) for where, shape in shapes.items()}
    fns = {
        where: (lambda p=p: rnnlib.loss_and_grad(p[0], p[1], p[2], g="identity")) for where, p in problems.items()
    }
    rounds = per_round(fns, repeat)
    out = {key: [] for key in values}
    for (key, value), shape in shapes.items():
        seconds = spread(rounds[(key, value)])
        out[key].append({key: value, "seconds": seconds["median"], "seconds_spread": seconds,
                         **peak_bytes(shape, np.float64)})
    return out


def verdicts(results):
    """Each target against the stored measurements: met by the median, and whether every round agrees.

    A case's "spread" is that of its per-round ratio (None for memory, measured
    once); "every_round" is True when all rounds meet the target, False when
    none does, and None when the rounds straddle the bound.
    """
    comparisons = results["comparisons"]

    def cases(names, value):
        return {f"{r['name']}, {r['dtype']}": value(r) for r in comparisons if r["name"] in names}

    def ratio(peer):
        return lambda r: r["rnnlib_over_spread"].get(peer)

    measured = {  # key: {case: spread over the rounds, or a single value}
        SMALL: cases(("small", "char LM"), ratio("jax")),
        BOOK: cases(("book",), ratio("pytorch")),
        VS_TORCH: cases(("medium", "large"), ratio("pytorch")),
        SHARE: cases(("medium", "large"), lambda r: r["share_of_matmul"]),
        MEMORY: {
            f"{m['name']}, float64": m["peak_bytes"] / m["must_store_bytes"]
            for m in results["memory"] if m["name"] in ("medium", "large")
        },
    }
    out = {}
    for key, values in measured.items():
        op, bound = TARGETS[key]

        def meets(v, op=op, bound=bound):
            return bool(v <= bound if op == "<=" else v >= bound)

        out[key] = {"target": f"{op} {bound}", "cases": {}}
        for case, measurement in values.items():
            spread_ = measurement if isinstance(measurement, dict) else None
            value = spread_["median"] if spread_ else measurement
            # None: not measured (a peer absent, or the measurement flagged as failed)
            verdict = {"value": value, "met": None if value is None else meets(value)}
            if spread_:
                ends = (meets(spread_["min"]), meets(spread_["max"]))
                verdict["spread"] = {q: spread_[q] for q in ("min", "median", "max")}
                verdict["every_round"] = ends[0] if ends[0] == ends[1] else None
            out[key]["cases"][case] = verdict
    return out


def readme_sentence(results):
    """The README's sentence on performance, from the stored results (tests/test_readme.py compares)."""
    info = results["machine"]

    def span(names, peer):
        values = [r["rnnlib_over"][peer] for r in results["comparisons"]
                  if r["name"] in names and peer in r["rnnlib_over"]]
        return f"{min(values):.2f} to {max(values):.2f}" if values else "not measured"

    def sizes(*names):
        shapes = {r["name"]: r["shape"] for r in results["comparisons"]}
        return " and ".join(f"N = {shapes[name]['N']}, T = {shapes[name]['T']}" for name in names if name in shapes)

    libraries = info["blas_libraries"] if isinstance(info["blas_libraries"], list) else []
    threads = next((lib["num_threads"] for lib in libraries
                    if lib["user_api"] == "blas" and lib.get("version") and lib["version"] in info["numpy_blas"]), "?")
    return (
        f"On the machine recorded in `benchmarks/results/results.json` ({info['cpu']}, {info['cpus']} CPUs; "
        f"numpy {info['numpy']} with {info['numpy_blas']} on {threads} threads, PyTorch {info['pytorch']} with "
        f"{info.get('pytorch_blas')} on {info.get('pytorch_threads')} threads, JAX {info['jax']}), "
        f"rnnlib took {span(('medium', 'large'), 'pytorch')} "
        f"of PyTorch's time and {span(('medium', 'large'), 'jax')} of JAX's at the medium and large shapes "
        f"({sizes('medium', 'large')}), {span(('book',), 'pytorch')} of PyTorch's and "
        f"{span(('book',), 'jax')} of JAX's at the shape of the book's examples ({sizes('book')}), "
        f"and {span(('small', 'char LM'), 'pytorch')} of PyTorch's and {span(('small', 'char LM'), 'jax')} "
        f"of JAX's at the small ones ({sizes('small', 'char LM')}; medians over {results['rounds']} rounds, "
        "float64 and float32)."
    )


def update_readme(results, readme=OUT.parents[1] / "README.md"):
    """Rewrite the README's performance sentence from ``results`` (after a final run)."""
    import re
    import textwrap

    text = readme.read_text()
    pattern = r"On\s+the\s+machine\s+recorded\s+in\s+`benchmarks/results/results\.json`.*?run\s+the\s+script\s+to\s+measure\s+yours\."
    sentence = readme_sentence(results) + " Those ratios hold for that machine; run the script to measure yours."
    new, count = re.subn(pattern, lambda _: textwrap.fill(sentence, 79, break_on_hyphens=False), text, flags=re.S)
    if count != 1:
        raise ValueError(f"README.md: expected one performance sentence to replace, found {count}")
    readme.write_text(new)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny shapes only, to check that everything runs")
    parser.add_argument("--repeat", type=int, default=None, help="rounds of timed calls (default 7, quick 1)")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if it is installed")
    parser.add_argument("--no-jax", action="store_true", help="skip JAX even if it is installed")
    parser.add_argument("--no-gated", action="store_true", help="skip the LSTM and GRU measurements")
    parser.add_argument(
        "--update-readme", action="store_true",
        help="measure nothing: rewrite README.md's performance sentence from benchmarks/results/results.json",
    )
    parser.add_argument(
        "--out", type=pathlib.Path, default=None,
        help="folder for results.json and plots (default: benchmarks/results, "
             "or benchmarks/results-incomplete without PyTorch or JAX)",
    )
    parser.add_argument("--ladder-json", nargs=3, metavar=("SHAPE", "REPEAT", "INNER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.ladder_json:  # the child process of measure_ladder_keeping_memory
        name, repeat, inner = args.ladder_json
        shape = {**SHAPES, **{f"quick {k}": v for k, v in QUICK_SHAPES.items()}}[name]
        print(json.dumps(measure_ladder(shape, int(repeat), int(inner)), default=float))
        return None
    if args.update_readme:
        update_readme(json.loads((OUT / "results.json").read_text()))
        print("README.md's performance sentence now matches benchmarks/results/results.json")
        return None
    started = time.perf_counter()
    repeat = args.repeat or (1 if args.quick else 7)
    shapes = QUICK_SHAPES if args.quick else SHAPES
    versions = {}
    for peer, flag, requirements in (("PyTorch", args.no_torch, "torch"), ("JAX", args.no_jax, "jax")):
        version = None if flag else getattr(peers, f"{requirements}_version")()
        if flag:
            print(f"--no-{requirements}: the {peer} comparisons are skipped.")
        elif version is None:
            print(f"{peer} is not installed (pip install -r benchmarks/requirements-{requirements}.txt): "
                  "its comparisons are skipped.")
        versions[peer] = version
    with_torch, with_jax = versions["PyTorch"] is not None, versions["JAX"] is not None
    if with_torch:
        import torch

        print(f"PyTorch {versions['PyTorch']} on the CPU with {torch.get_num_threads()} threads")
    if with_jax:
        import jax

        print(f"JAX {versions['JAX']} on {jax.default_backend()}")

    results = {
        "machine": machine(versions["PyTorch"], versions["JAX"]),
        "targets": {key: f"{op} {bound}" for key, (op, bound) in TARGETS.items()},
        "rounds": repeat,
        "ladder": [],
        "comparisons": [],
        "memory": [],
        "failed_measurements": [],
    }
    print("on", results["machine"]["cpu"], "with", results["machine"]["numpy_blas"])
    section = {"start": time.perf_counter()}  # seconds each part took, for planning runs

    def lap(name):
        now = time.perf_counter()
        section[name], section["start"] = now - section["start"], now

    ladder_shapes = (("book", 3),) if args.quick else (("book", 3), ("medium", 1))
    for name, inner in ladder_shapes:
        rung = measure_ladder(shapes[name], repeat, inner)
        if name == "book":  # what the page faults cost: the same rungs with malloc keeping freed memory
            rung["keeping_freed_memory"] = measure_ladder_keeping_memory(
                f"quick {name}" if args.quick else name, repeat, inner
            )
        results["ladder"].append(rung)
        print("ladder at N, T, m, n, k =", tuple(rung["shape"].values()))
        for impl, seconds in rung["seconds"].items():
            up = rung["speedup_over_literal"][impl]
            print(f"  {impl:20s} {1e3 * seconds:9.2f} ms  {up['median']:6.1f}x the literal loop"
                  f" ({up['min']:.1f}-{up['max']:.1f})"
                  f"  {rung['minor_faults_per_call'][impl]:8.0f} minor faults per call")
        kept = rung.get("keeping_freed_memory")
        if kept:
            print("  with malloc keeping freed memory (" + ", ".join(f"{k}={v}" for k, v in kept["environment"].items()) + "):")
            for impl, seconds in kept["seconds"].items():
                print(f"  {impl:20s} {1e3 * seconds:9.2f} ms  {kept['minor_faults_per_call'][impl]:8.0f} minor faults per call")

    lap("ladder")
    print(f"\n{'shape':>8} {'dtype':>8} {'rnnlib ms':>10} {'literal':>8} {'pytorch':>8} {'jax':>8}"
          f" {'vs torch':>9} {'vs jax':>7} {'share':>6} {'mm/np':>6}")
    for name, shape in shapes.items():
        for dtype in (np.float64, np.float32):
            r = measure_shape(name, shape, dtype, repeat, with_torch, with_jax, name in WITH_LITERAL)
            results["comparisons"].append(r)
            s, over = r["seconds"], r["rnnlib_over"]

            def ms(impl, s=s):
                return f"{1e3 * s[impl]:8.2f}" if impl in s else f"{'-':>8}"

            def ratio(impl, width, over=over):
                return f"{over[impl]:{width}.2f}" if impl in over else f"{'-':>{width}}"

            share = f"{r['share_of_matmul']['median']:6.2f}" if r["share_of_matmul"] else f"{'FAILED':>6}"
            mm = f"{r['torch_mm_over_numpy']['stacked']['median']:6.2f}" if "torch_mm_over_numpy" in r else f"{'-':>6}"
            print(f"{name:>8} {r['dtype']:>8} {1e3 * s['rnnlib']:10.2f} {ms('literal')} {ms('pytorch')} {ms('jax')}"
                  f" {ratio('pytorch', 9)} {ratio('jax', 7)} {share} {mm}")
            if "failed" in r:
                print(f"  failed measurement: {r['failed']}")
                results["failed_measurements"].append({"name": name, "dtype": r["dtype"], "why": r["failed"]})
        results["memory"].append({"name": name, **peak_bytes(shape, np.float64)})
    print("(vs torch, vs jax: rnnlib's time over theirs; share: the products' time alone over rnnlib's;"
          " mm/np: torch.mm's time over numpy's on the stacked products)")

    lap("comparisons and memory")
    print("\nwhere rnnlib's time goes, ms per call (the parts of a timed copy of loss_and_grad, by kind;"
          " the rest: rnnlib's time less their sum)")
    print(f"{'shape':>8} {'dtype':>8} {'rnnlib':>8} {'timed':>8}" + "".join(f" {g.split()[0].strip(',-'):>10}" for g in parts.GROUPS)
          + f" {'the rest':>9}")
    results["breakdown"] = []
    for name, shape in shapes.items():
        for dtype in (np.float64, np.float32):
            r = measure_breakdown(name, shape, dtype, repeat)
            results["breakdown"].append(r)
            s = r["seconds"]
            print(f"{name:>8} {r['dtype']:>8} {1e3 * s['rnnlib']:8.2f} {1e3 * s['timed copy']:8.2f}"
                  + "".join(f" {1e3 * r['groups'][g]:10.2f}" for g in parts.GROUPS)
                  + f" {1e3 * s['not in a timed part']:9.2f}")
    lap("breakdown")
    if args.no_gated:
        print("\n--no-gated: the LSTM and GRU are not measured.")
    else:
        print(f"\n{'shape':>8} {'dtype':>8} {'rnn ms':>8} {'lstm ms':>8} {'gru ms':>8} {'nn.LSTM':>8}"
              f" {'jax gru':>8} {'lstm/rnn':>9} {'gru/rnn':>8} {'lstm/torch':>11} {'gru/jax':>8}")
        results["gated"] = []
        for name in GATED:
            if name not in shapes:
                continue
            for dtype in (np.float64, np.float32):
                r = measure_gated(name, shapes[name], dtype, repeat, with_torch, with_jax)
                results["gated"].append(r)
                s, over = r["seconds"], r["over"]

                def ms(impl, s=s):
                    return f"{1e3 * s[impl]:8.2f}" if impl in s else f"{'-':>8}"

                def ratio(key, width, over=over):
                    return f"{over[key]:{width}.2f}" if key in over else f"{'-':>{width}}"

                print(f"{name:>8} {r['dtype']:>8} {ms('rnn')} {ms('lstm')} {ms('gru')} {ms('pytorch lstm')}"
                      f" {ms('jax gru')} {ratio('lstm_over_rnn', 9)} {ratio('gru_over_rnn', 8)}"
                      f" {ratio('lstm_over_pytorch', 11)} {ratio('gru_over_jax', 8)}")
        flop = results["gated"][0]["flop_over_rnn"] if results["gated"] else None
        if flop:
            print(f"(ratios: time over time, within each round; the products' flop over the RNN's at the first shape:"
                  f" LSTM {flop['lstm']:.2f}, GRU {flop['gru']:.2f})")
        lap("gated")
    base = shapes["book"]
    values = {"T": (10, 20), "N": (2, 4)}
    if not args.quick:
        values = {"T": (25, 50, 100, 200, 400), "N": (8, 16, 32, 64, 128, 256)}
    results["growth"] = measure_growth(base, values, repeat)
    lap("growth")
    results["verdicts"] = verdicts(results)
    print("\ntargets:")
    for key, verdict in results["verdicts"].items():
        print(f"  {key} ({verdict['target']}):")
        for case, v in verdict["cases"].items():
            said = "not measured" if v["met"] is None else ("met" if v["met"] else "missed")
            value = "-" if v["value"] is None else f"{v['value']:.2f}"
            rounds = ""
            if "spread" in v:
                lo, hi = v["spread"]["min"], v["spread"]["max"]
                every = {True: "in every round", False: "in no round", None: "the rounds straddle the bound"}
                rounds = f"  [{lo:.2f}, {hi:.2f}] {every[v['every_round']]}"
            print(f"    {case:16s} {value:>6s}  {said}{rounds}")
    if with_torch and with_jax:
        print("\nfor the README:", readme_sentence(results))
    results["seconds_taken"] = time.perf_counter() - started
    results["seconds_per_part"] = {key: value for key, value in section.items() if key != "start"}
    took = ", ".join(f"{key} {value:.0f} s" for key, value in results["seconds_per_part"].items())
    print(f"\n{results['seconds_taken']:.0f} s in all ({took})")

    out = args.out
    if out is None and not args.quick:
        # the book's chapter on performance reads benchmarks/results/, which holds both peers
        out = OUT if with_torch and with_jax else OUT.parent / "results-incomplete"
        if out != OUT:
            print(f"without both peers the results go to {out.name}/, leaving the book's results/ as they are")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(results, indent=1, default=float) + "\n")
        plot(results, out)
        print(f"wrote {out / 'results.json'} and plots")
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
    for dtype, ls in (("float64", "-"), ("float32", ":")):
        rows = [r for r in results["comparisons"] if r["dtype"] == dtype]
        for impl, color in (("rnnlib", "C0"), ("pytorch", "C1"), ("jax", "C2"), ("literal", "C7")):
            xs = [i for i, r in enumerate(rows) if impl in r["seconds"]]
            ys = [1e3 * rows[i]["seconds"][impl] for i in xs]
            if xs:
                ax.plot(xs, ys, "o", color=color, label=f"{impl}, {dtype}", ls=ls)
        ax.set_xticks(range(len(rows)), [r["name"] for r in rows])
    ax.set(yscale="log", ylabel="ms per loss_and_grad")
    ax.legend(ncols=2, fontsize=7)
    fig.savefig(out / "comparison.png", bbox_inches="tight")
    plt.close(fig)

    fig, axes = plt.subplots(2, 2, figsize=(9, 5.5), sharex="col", layout="constrained")
    for col, key in enumerate(("T", "N")):
        rows = results["growth"][key]
        xs = [r[key] for r in rows]
        axes[0, col].loglog(xs, [1e3 * r["seconds"] for r in rows], "o-")
        axes[0, col].set_ylabel("ms per call")
        axes[1, col].loglog(xs, [r["peak_bytes"] / 1e6 for r in rows], "s-", color="C1", label="peak")
        axes[1, col].loglog(xs, [r["must_store_bytes"] / 1e6 for r in rows], "-", color="grey", label="activations")
        axes[1, col].set(ylabel="memory (MB)", xlabel=key)
    axes[1, 0].legend()
    fig.savefig(out / "growth.png", bbox_inches="tight")
    plt.close(fig)


if __name__ == "__main__":
    main()
