"""The forward pass of the notes, in matrix form, for a whole batch at once.

For every sequence and every timestep t = 1, ..., T::

    h_0 = 0
    z_t = W_hh h_{t-1} + W_xh x_t + b_h        (forward-z)
    h_t = f(z_t)                              (forward-h)
    o_t = W_hy h_t + b_y                      (forward-o)
    y_t = g(o_t)                              (forward-y)

Only (forward-z) must wait for the previous step.  The input projections
W_xh x_t + b_h of all N sequences and all T steps are one matrix product
before the loop, the output projections one after it, and the loop does one
(N, n) x (n, n) product per step.

Layout: the N sequences of a batch are the rows of one matrix, so the code
computes the transpose of each column-vector equation, (W h)^T = h^T W^T.
Inside, arrays are time-major with T + 1 rows, so row t holds time t exactly
as in the notes: h[0] is h_0 = 0, and row 0 of z, o and y, which have no
time 0, is NaN so that any accidental use of it shows.
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import _shape_str, as_float_array, check_finite, check_params
from .activations import hidden_activation, output_activation
from .params import Params

__all__ = ["ForwardCache", "forward", "run_forward", "check_params", "as_sequences"]


class TimeMajor:
    """The layout every forward cache shares (the RNN's, the LSTM's, the GRU's).

    Subclasses hold time-major buffers, row t of each being time t, among
    them ``x_tm`` (T, N, m) and ``h_tm`` (T+1, N, n), and set ``batched``.
    """

    def user_layout(self, a):
        """A time-major array (T', N, ...) seen as (N, T', ...), or (T', ...) for one sequence."""
        return np.swapaxes(a, 0, 1) if self.batched else a[:, 0]

    T = property(lambda self: self.x_tm.shape[0], doc="Number of timesteps.")
    N = property(lambda self: self.x_tm.shape[1], doc="Number of sequences (1 for one sequence).")
    dtype = property(lambda self: self.h_tm.dtype, doc="The computation's floating dtype.")


class ForwardCache(TimeMajor):
    """What the forward pass computed, kept for the backward pass.

    Attributes
    ----------
    x : ndarray of shape (T, m) or (N, T, m)
        The input, as a float array.
    z : ndarray of shape (T, n) or (N, T, n)
        Hidden pre-activations z_1, ..., z_T (None after a lean pass, which
        does not keep them).
    h : ndarray of shape (T+1, n) or (N, T+1, n)
        Hidden states h_0 = 0, h_1, ..., h_T, so ``h[t]`` (or ``h[:, t]``) is h_t.
    o : ndarray of shape (T, k) or (N, T, k)
        Output pre-activations o_1, ..., o_T.
    y : ndarray of shape (T, k) or (N, T, k)
        Outputs y_1, ..., y_T.
    f, g : str
        Names of the hidden and output activations.
    batched : bool
        Whether the input was a batch (N, T, m) rather than one sequence (T, m).

    Notes
    -----
    ``x``, ``z``, ``h``, ``o`` and ``y`` are views of the time-major buffers
    ``x_tm`` (T, N, m), ``z_tm`` (T+1, N, n), ``h_tm`` (T+1, N, n), ``o_tm``
    and ``y_tm`` (T+1, N, k), in which row t is time t.
    """

    def __init__(self, x_tm, z_tm, h_tm, o_tm, y_tm, f, g, batched):
        self.x_tm, self.z_tm, self.h_tm, self.o_tm, self.y_tm = x_tm, z_tm, h_tm, o_tm, y_tm
        self.f, self.g, self.batched = f, g, batched

    x = property(lambda self: self.user_layout(self.x_tm))
    z = property(lambda self: None if self.z_tm is None else self.user_layout(self.z_tm[1:]))
    h = property(lambda self: self.user_layout(self.h_tm))
    o = property(lambda self: self.user_layout(self.o_tm[1:]))
    y = property(lambda self: self.user_layout(self.y_tm[1:]))

    def __repr__(self) -> str:
        N, T, n, k = self.N, self.T, self.h_tm.shape[2], self.y_tm.shape[2]
        batch = f"N={N}, " if self.batched else ""
        return f"ForwardCache({batch}T={T}, n={n}, k={k}, f={self.f!r}, g={self.g!r}, dtype={self.dtype})"


def as_sequences(params: Params, X, name: str = "X"):
    """Validate an input X against ``params``.

    Returns
    -------
    X : ndarray of shape (N, T, m)
        As a float array (one sequence gets N = 1); its dtype is the wider of
        X's and the parameters'.
    batched : bool
        False if X was one sequence of shape (T, m).
    """
    check_params(params, finite=False)
    return input_sequences(X, params.m, params.dtype, name=name, source="W_xh")


def input_sequences(X, m: int, dtype, *, name: str = "X", source: str):
    """X as a float array (N, T, m), and whether it was a batch: the check every network's input shares.

    ``source`` names the parameter that m comes from (``W_xh`` for the RNN,
    an input weight of the gated cells), for the error message.
    """
    X = as_float_array(name, X, dtype=dtype)
    if X.ndim == 2:
        batched = False
    elif X.ndim == 3:
        batched = True
    else:
        raise ValueError(
            f"{name}: expected shape (T, m) for one sequence or (N, T, m) for a batch, with m = {m}; "
            f"got {X.ndim}-D shape {_shape_str(X.shape)}"
        )
    if X.shape[-1] != m or min(X.shape) < 1:
        labels = "(N, T, m)" if batched else "(T, m)"
        raise ValueError(
            f"{name}: expected shape {labels} with m = {m} (from params.{source}) and N, T >= 1, "
            f"got {_shape_str(X.shape)}"
        )
    check_finite(name, X)
    return (X if batched else X[None]), batched


def empty_buffers(dtype, *shapes):
    """Uninitialised arrays of the given shapes, carved out of one allocation.

    One large block instead of several separate arrays means fewer fresh
    memory pages to fault in on every call, which is a measurable part of the
    cost of a forward pass.
    """
    sizes = [math.prod(shape) for shape in shapes]
    block = np.empty(sum(sizes), dtype)
    views, start = [], 0
    for shape, size in zip(shapes, sizes):
        views.append(block[start : start + size].reshape(shape))
        start += size
    return views


def as_initial_state(params: Params, h0, N: int, batched: bool, dtype) -> np.ndarray | None:
    """Validate a given initial state h_0; returns it as (N, n), or None for h_0 = 0."""
    if h0 is None:
        return None
    h0 = as_float_array("h0", h0, dtype=dtype)
    expected, labels = ((N, params.n), "(N, n)") if batched else ((params.n,), "(n,)")
    if h0.shape != expected:
        raise ValueError(f"h0: expected shape {labels} = {_shape_str(expected)}, got {_shape_str(h0.shape)}")
    check_finite("h0", h0)
    return h0.reshape(N, params.n)


def forward(params: Params, X, *, f: str = "tanh", g: str = "softmax", h0=None) -> ForwardCache:
    """Run the RNN over one sequence or a batch of sequences.

    Parameters
    ----------
    params : Params
        W_xh (n, m), W_hh (n, n), W_hy (k, n), b_h (n,), b_y (k,).
    X : array_like of shape (T, m) or (N, T, m)
        One sequence x_1, ..., x_T, or N of them.  Integer input is converted
        to floating point.
    f : {"tanh", "sigmoid", "relu", "identity"}
        Hidden activation.
    g : {"softmax", "identity", "sigmoid", "tanh"}
        Output activation.
    h0 : array_like of shape (n,) or (N, n), optional
        Initial hidden state; by default h_0 = 0, as in the notes.  Passing
        the last state of one call as ``h0`` of the next continues a sequence
        where it stopped.

    Returns
    -------
    ForwardCache
        With ``z`` (..., T, n), ``h`` (..., T+1, n) including h_0,
        ``o`` and ``y`` (..., T, k).

    Notes
    -----
    z_t = W_hh h_{t-1} + W_xh x_t + b_h,  h_t = f(z_t),  o_t = W_hy h_t + b_y,
    y_t = g(o_t), with h_0 = 0.  The computation runs in the wider of the
    input's and the parameters' floating dtypes: float32 in, float32 out.
    """
    return run_forward(params, X, f=f, g=g, h0=h0, lean=False)


def run_forward(params: Params, X, *, f: str, g: str, h0=None, lean: bool) -> ForwardCache:
    """The forward pass; with ``lean=True`` it stores only what BPTT needs.

    A lean pass computes each z_t in the row of h that f(z_t) then replaces,
    so ``z_tm`` is None, and for an identity output it lets y share o's
    memory.  :func:`rnnlib.loss_and_grad` uses it; :func:`forward` does not.
    """
    check_params(params)
    return forward_checked(params, X, f=f, g=g, h0=h0, lean=lean)


def forward_checked(params: Params, X, *, f: str, g: str, h0, lean: bool) -> ForwardCache:
    """:func:`run_forward` for parameters the caller has just checked (finite)."""
    f_act, g_act = hidden_activation(f), output_activation(g)
    X, batched = as_sequences(params, X)
    N, T, m = X.shape
    n, k = params.n, params.k
    initial = as_initial_state(params, h0, N, batched, X.dtype)
    W_xh, W_hh, W_hy, b_h, b_y = (a.astype(X.dtype, copy=False) for a in params)
    alias_y = lean and g == "identity"
    shapes = [(T, N, m), (T + 1, N, n), (T + 1, N, k)]
    shapes += [] if alias_y else [(T + 1, N, k)]  # y
    shapes += [] if lean else [(T + 1, N, n)]  # z
    x, h, o, *rest = empty_buffers(X.dtype, *shapes)
    y = o if alias_y else rest.pop(0)
    z = h if lean else rest.pop(0)  # lean: z_t is written into h[t] and replaced by f(z_t) in place
    x[...] = np.swapaxes(X, 0, 1)  # time-major: x[t - 1] holds x_t of every sequence
    o[0] = y[0] = np.nan  # there is no o_0 or y_0
    if not lean:
        z[0] = np.nan  # ... nor z_0
    h[0] = 0.0 if initial is None else initial  # h_0 = 0 unless a state is carried over

    # W_xh x_t + b_h for every t and every sequence in one product over T*N rows
    np.matmul(x.reshape(T * N, m), W_xh.T, out=z[1:].reshape(T * N, n))
    z[1:] += b_h
    W_hh_T = np.ascontiguousarray(W_hh.T)  # rows are sequences: (W_hh h)^T = h^T W_hh^T
    recurrence(W_hh_T, f_act.fn, z, h)

    np.matmul(h[1:].reshape(T * N, n), W_hy.T, out=o[1:].reshape(T * N, k))  # (forward-o) for every t at once
    o[1:] += b_y
    if not alias_y:
        g_act(o[1:], out=y[1:])  # (forward-y)
    return ForwardCache(x, None if lean else z, h, o, y, f, g, batched)


def recurrence(W_hh_T, f, z, h):
    """The loop of the forward pass: (forward-z) and (forward-h) for t = 1, ..., T.

    On entry z[t] holds W_xh x_t + b_h and h[0] holds h_0; on exit h[t] holds
    h_t (z[t] may be h[t] itself, as in a lean pass).  ``f`` is the kernel of
    the hidden activation, called as ``f(z_t, out=h_t)``.

    This loop is the one part of the forward pass that cannot be batched over
    time, so each step issues three numpy calls into buffers made once: the
    product, the sum and the activation.  Row views are taken before the
    loop: indexing an array costs about as much as a small product here.
    """
    W_h = np.empty_like(h[0])  # W_hh h_{t-1}, rewritten at each step
    # np.dot: the same BLAS product as matmul, with less call overhead
    dot, add = np.dot, np.add
    h_rows = list(h)
    for h_prev, z_t, h_t in zip(h_rows, list(z[1:]), h_rows[1:]):
        dot(h_prev, W_hh_T, out=W_h)  # W_hh h_{t-1}
        add(z_t, W_h, out=z_t)  # (forward-z)
        f(z_t, out=h_t)  # (forward-h): h_t = f(z_t)


def readout_cache(params, H, g: str, cell: str) -> ForwardCache:
    """The output layer alone, o_t = W_hy h_t + b_y and y_t = g(o_t), on given states H.

    The shared body of :func:`rnnlib.gated.lstm.readout` and :func:`rnnlib.gated.gru.readout`
    (``params`` is any parameter class with ``W_hy``, ``b_y``, ``n``, ``k`` and
    ``dtype``, checked by the caller).  H is (T, n) or (N, T, n), holding
    h_1, ..., h_T; the result is a :class:`ForwardCache` whose ``x`` has no
    columns (the output layer reads h only) and whose row 0 of h, the h_0
    that was not given, is NaN.
    """
    g_act = output_activation(g)
    H = as_float_array("H", H, dtype=params.dtype)
    if H.ndim not in (2, 3) or H.shape[-1] != params.n or min(H.shape) < 1:
        raise ValueError(
            f"H: expected shape (T, n) for one sequence or (N, T, n) for a batch, with n = {params.n} and "
            f"N, T >= 1, got {_shape_str(H.shape)}"
        )
    check_finite("H", H)
    batched = H.ndim == 3
    N, T, n = (H if batched else H[None]).shape
    k, dtype = params.k, H.dtype
    x, h, o, y = empty_buffers(dtype, (T, N, 0), (T + 1, N, n), (T + 1, N, k), (T + 1, N, k))
    h[0] = o[0] = y[0] = np.nan  # no h_0 was given, and there is no o_0, y_0
    h[1:] = np.swapaxes(H, 0, 1) if batched else H[:, None, :]
    np.matmul(h[1:].reshape(T * N, n), params.W_hy.astype(dtype, copy=False).T, out=o[1:].reshape(T * N, k))
    o[1:] += params.b_y.astype(dtype, copy=False)
    g_act(o[1:], out=y[1:])
    return ForwardCache(x, None, h, o, y, cell, g, batched)
