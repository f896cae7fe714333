"""Synthetic sequence tasks, generated on the spot (nothing is downloaded).

Each function returns ``(X, Y)`` with X of shape (N, T, m) and Y, the desired
outputs, of shape (N, T, k), with a target at every timestep so that the
notes' cost, summed over t, applies unchanged.  Each task needs memory: the
right output at time t cannot be computed from x_t alone.
"""

from __future__ import annotations

import numpy as np

from ._checks import _shape_str, as_float_array, as_rng, check_int, check_positive

__all__ = ["sine_continuation", "delayed_recall", "adding_problem", "one_hot"]


def one_hot(indices, k: int, dtype=np.float64) -> np.ndarray:
    """One-hot vectors: array of shape indices.shape + (k,).

    Entry [..., j] is 1 where ``indices[...] == j`` and 0 elsewhere.  Only the
    result is allocated (no k x k identity), so k may be large.
    """
    k = check_int("k", k)
    dtype = np.dtype(dtype)
    if dtype.kind not in "fiu":
        raise TypeError(f"dtype: expected a real numeric dtype such as float64, got {dtype}")
    try:
        indices = np.asarray(indices)
    except Exception as exc:  # ragged nested lists
        raise TypeError(f"indices: expected an array of integers, got {type(indices).__name__} ({exc})") from None
    if indices.dtype.kind not in "iu":
        raise TypeError(f"indices: expected integers, got dtype {indices.dtype}")
    if indices.size and (indices.min() < 0 or indices.max() >= k):
        raise ValueError(f"indices: expected values in [0, {k - 1}], got [{indices.min()}, {indices.max()}]")
    out = np.zeros(indices.shape + (k,), dtype)
    # np.intp: the platform's index type (32 bits in WebAssembly builds such as Pyodide)
    np.put_along_axis(out, indices.astype(np.intp)[..., None], 1, axis=-1)
    return out


def sine_continuation(N: int, T: int, *, rng=None, freq_range=(0.1, 0.3), noise: float = 0.0):
    """Predict the next value of a sine wave of unknown frequency and phase.

    x_t = sin(omega t + phi) (+ noise), Y_t = sin(omega (t + 1) + phi), with
    omega drawn from ``freq_range`` (radians per step) and phi from [0, 2 pi)
    for each sequence.  From x_t alone the network cannot tell a rising wave
    from a falling one, nor the frequency: it must remember earlier values.

    Returns
    -------
    X : ndarray of shape (N, T, 1)
    Y : ndarray of shape (N, T, 1)
    """
    N, T = check_int("N", N), check_int("T", T)
    bounds = as_float_array("freq_range", freq_range)
    if bounds.shape != (2,):
        raise ValueError(f"freq_range: expected a pair (low, high), got shape {_shape_str(bounds.shape)}")
    lo, hi = (float(b) for b in bounds)
    if not (np.isfinite(hi) and 0 < lo <= hi):
        raise ValueError(f"freq_range: expected finite numbers with 0 < low <= high, got {freq_range}")
    noise = check_positive("noise", noise, allow_zero=True)
    rng = as_rng(rng)
    omega = rng.uniform(lo, hi, size=(N, 1))
    phi = rng.uniform(0, 2 * np.pi, size=(N, 1))
    t = np.arange(1, T + 2)
    wave = np.sin(omega * t + phi)  # (N, T + 1)
    X = wave[:, :-1] + noise * rng.normal(size=(N, T))
    Y = wave[:, 1:]
    return X[..., None], Y[..., None]


def delayed_recall(N: int, T: int, *, delay: int = 2, symbols: int = 4, rng=None):
    """Output the symbol seen ``delay`` steps ago.

    The inputs are random symbols 0..symbols-1, one-hot coded.  The desired
    output at time t is the symbol of x_{t - delay}, one-hot over symbols + 1
    classes, where class 0 means "nothing to recall yet" (t <= delay) and
    class s + 1 is symbol s.  A network without memory can do no better than
    guess; an RNN must hold the last ``delay`` symbols in its hidden state.

    Returns
    -------
    X : ndarray of shape (N, T, symbols)
    Y : ndarray of shape (N, T, symbols + 1)
        Use with ``g="softmax"`` and ``loss="cross_entropy"``.
    """
    N, T = check_int("N", N), check_int("T", T)
    delay = check_int("delay", delay, minimum=0)
    if delay >= T:
        raise ValueError(
            f"delay: expected an integer in [0, T - 1] = [0, {T - 1}] (there would be nothing to recall), got {delay}"
        )
    symbols = check_int("symbols", symbols, minimum=2)
    rng = as_rng(rng)
    s = rng.integers(0, symbols, size=(N, T))
    target = np.zeros((N, T), dtype=np.intp)  # class 0: nothing to recall yet
    target[:, delay:] = s[:, : T - delay] + 1
    return one_hot(s, symbols), one_hot(target, symbols + 1)


def adding_problem(N: int, T: int, *, rng=None):
    """Running sum of the marked numbers, the adding problem with a target at every step.

    Input x_t = (u_t, mark_t): a number u_t ~ U(0, 1) and a mark in {0, 1}.
    Exactly two steps are marked, one in each half of the sequence.  The
    desired output Y_t is the sum of the marked numbers seen up to time t, so
    at t = T it is the classic adding problem's answer (Hochreiter and
    Schmidhuber, 1997).

    Returns
    -------
    X : ndarray of shape (N, T, 2)
    Y : ndarray of shape (N, T, 1)
        Use with ``g="identity"`` and ``loss="mse"``.
    """
    N, T = check_int("N", N), check_int("T", T, minimum=2)
    rng = as_rng(rng)
    u = rng.uniform(0, 1, size=(N, T))
    mark = np.zeros((N, T))
    half = T // 2
    rows = np.arange(N, dtype=np.intp)  # index arrays in the platform's index type
    mark[rows, rng.integers(0, half, size=N).astype(np.intp)] = 1  # drawn as int64 on every platform
    mark[rows, rng.integers(half, T, size=N).astype(np.intp)] = 1
    Y = np.cumsum(u * mark, axis=1)
    return np.stack([u, mark], axis=-1), Y[..., None]
