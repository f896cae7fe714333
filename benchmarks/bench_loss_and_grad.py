"""Batched loss_and_grad against a literal per-sequence, per-timestep implementation.

Usage:  python benchmarks/bench_loss_and_grad.py [--repeat R] [--quick]

The literal implementation is rnnlib.reference.loss_and_grad_reference in
matrix form: for each sequence, for each timestep, the notes' column-vector
equations (z_t = W_hh h_{t-1} + W_xh x_t + b_h, ...), then the per-sequence
gradients averaged over the batch.  Both are checked to agree before they are
timed.  The two take turns over R rounds of a few calls each, and the ratio
of the medians is reported: absolute times vary with the machine's load, the
ratio measured in one run much less.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

import rnnlib
from rnnlib.reference import loss_and_grad_reference

TARGET_SHAPE = dict(N=32, T=50, m=64, n=128, k=64)  # the shape at which the batched form must be >= 10x faster
TARGET_RATIO = 10.0


def problem(N, T, m, n, k, dtype, seed=0):
    rng = np.random.default_rng(seed)
    params = rnnlib.init_params(m, n, k, rng=rng, dtype=dtype)
    X = rng.normal(size=(N, T, m)).astype(dtype)
    Y = rng.normal(size=(N, T, k)).astype(dtype)
    return params, X, Y


def time_alternately(fns, repeat, inner=3):
    """Median seconds per call of each function.

    In each of ``repeat`` rounds every function is called ``inner`` times in a
    row (as a training loop calls it) and its median recorded; the functions
    take turns, round after round, so that a change in the machine's load
    affects all of them alike.  Returns the median over the rounds.
    """
    rounds = [[] for _ in fns]
    for _ in range(repeat):
        for fn, per_round in zip(fns, rounds):
            fn()  # warm-up: caches and allocator state as in a loop
            calls = []
            for _ in range(inner):
                start = time.perf_counter()
                fn()
                calls.append(time.perf_counter() - start)
            per_round.append(np.median(calls))
    return [float(np.median(r)) for r in rounds]


def compare(N, T, m, n, k, dtype=np.float64, repeat=5):
    params, X, Y = problem(N, T, m, n, k, dtype)
    kw = dict(loss="mse", f="tanh", g="identity")
    C, grads = rnnlib.loss_and_grad(params, X, Y, **kw)
    C_ref, grads_ref = loss_and_grad_reference(params, X, Y, form="matrix", **kw)
    tol = 1e-10 if dtype == np.float64 else 1e-3
    assert abs(C - C_ref) <= tol * max(1.0, abs(C_ref)), (C, C_ref)
    for a, b in zip(grads, grads_ref):
        assert np.allclose(a, b, rtol=tol, atol=tol), "batched and literal gradients disagree"
    batched, literal = time_alternately(
        [lambda: rnnlib.loss_and_grad(params, X, Y, **kw), lambda: loss_and_grad_reference(params, X, Y, form="matrix", **kw)],
        repeat,
    )
    return batched, literal


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds of timed calls (default 5)")
    parser.add_argument("--quick", action="store_true", help="tiny shapes only, to check that the script runs")
    args = parser.parse_args(argv)

    shapes = [dict(N=4, T=10, m=8, n=16, k=8)] if args.quick else [
        dict(N=1, T=100, m=65, n=100, k=65),
        TARGET_SHAPE,
        dict(N=64, T=100, m=128, n=256, k=128),
    ]
    print(f"numpy {np.__version__}, Python {platform.python_version()}, {platform.machine()}")
    print(f"loss_and_grad (tanh, identity output, mse), float64; median over {args.repeat} rounds of 3 calls")
    print(f"{'shape':>34}  {'literal ms':>11}  {'batched ms':>11}  {'speed-up':>9}")
    ratios = {}
    for shape in shapes:
        batched, literal = compare(**shape, repeat=args.repeat)
        label = ", ".join(f"{key}={value}" for key, value in shape.items())
        ratios[label] = literal / batched
        print(f"{label:>34}  {1e3 * literal:11.2f}  {1e3 * batched:11.2f}  {literal / batched:8.1f}x")
    if not args.quick:
        label = ", ".join(f"{key}={value}" for key, value in TARGET_SHAPE.items())
        verdict = "meets" if ratios[label] >= TARGET_RATIO else "MISSES"
        print(f"target: >= {TARGET_RATIO:.0f}x at {label}: {ratios[label]:.1f}x, {verdict} it")
    return ratios


if __name__ == "__main__":
    main()
