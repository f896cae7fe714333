"""Backpropagation through time: the error signals and the five gradients.

Backward pass (the notes' step 2), for t = T, T-1, ..., 1::

    e_t     = J_g(o_t)^T dC/dy_t                                  (bptt-e)
    delta_t = (W_hy^T e_t + W_hh^T delta_{t+1}) * f'(z_t),  delta_{T+1} = 0   (bptt-delta)

Gradient calculation (step 3), each a sum over t = 1, ..., T::

    dC/dW_hy = sum_t e_t h_t^T           dC/db_y = sum_t e_t
    dC/dW_hh = sum_t delta_t h_{t-1}^T   dC/dW_xh = sum_t delta_t x_t^T   dC/db_h = sum_t delta_t

In a batch the sums also run over the N sequences; because e carries the
factor 1/N of the batch-averaged cost, the result is the notes' average
(1/N) sum_i grad C^(i).  As in the forward pass, only the recursion for
delta waits on the previous step: W_hy^T e_t for all t, and every gradient,
are single matrix products.

Two routes compute the same numbers.  :func:`backward` and :func:`gradients`
keep every e_t and delta_t, for the book to look at.  :func:`loss_and_grad`,
the one to train with, keeps only what it must: its forward pass does not
store z_t, the output errors overwrite the outputs, and
:func:`streamed_gradients` runs the recursion in blocks of steps, folding
each block into the gradients at once.  Both routes share
:func:`delta_recursion`.
"""

from __future__ import annotations

import numpy as np

from ._checks import _shape_str, as_float_array, check_finite, check_int, check_params
from .activations import hidden_activation, output_activation
from .forward_pass import ForwardCache, forward_checked
from .losses import check_cache, check_loss, cost_and_error_tm
from .params import Params

__all__ = [
    "Signals",
    "backward",
    "gradients",
    "bptt",
    "loss_and_grad",
    "loss_grad_and_state",
    "streamed_gradients",
]


class Signals:
    """The error signals of the backward pass.

    Attributes
    ----------
    e : ndarray of shape (T, k) or (N, T, k)
        Output errors e_t = dC/do_t.
    delta : ndarray of shape (T, n) or (N, T, n)
        Hidden errors delta_t = dC/dz_t.

    Notes
    -----
    Views of time-major buffers ``e_tm`` (T+1, N, k) and ``delta_tm``
    (T+1, N, n) in which row t is time t; row 0 is NaN.
    """

    def __init__(self, e_tm, delta_tm, cache: ForwardCache):
        self.e_tm, self.delta_tm, self._cache = e_tm, delta_tm, cache

    e = property(lambda self: self._cache.user_layout(self.e_tm[1:]))
    delta = property(lambda self: self._cache.user_layout(self.delta_tm[1:]))


def _user_to_tm(cache: ForwardCache, name: str, a, labels: str) -> np.ndarray:
    a = as_float_array(name, a, dtype=cache.dtype)
    if a.shape != cache.y.shape:
        raise ValueError(f"{name}: expected shape {labels} = {_shape_str(cache.y.shape)} like y, got {_shape_str(a.shape)}")
    check_finite(name, a)
    a = a.astype(cache.dtype, copy=False)
    return np.swapaxes(a, 0, 1) if cache.batched else a[:, None, :]


def _check_cache(params: Params, cache) -> None:
    check_cache(cache)
    n, k, m = cache.h_tm.shape[2], cache.y_tm.shape[2], cache.x_tm.shape[2]
    if (params.m, params.n, params.k) != (m, n, k):
        raise ValueError(
            f"cache: expected a forward pass of params with (m, n, k) = {(params.m, params.n, params.k)}, "
            f"got one with {(m, n, k)}"
        )


def delta_recursion(W_hh, fprime, h, D, t0: int, t1: int, delta_next, fp=None):
    """Run (bptt-delta) backwards over the steps t = t1, t1 - 1, ..., t0.

    On entry D[t - t0] holds W_hy^T e_t; on exit it holds delta_t.
    ``delta_next`` is delta_{t1+1}, or None when t1 = T (delta_{T+1} = 0).
    Returns delta_{t0}, which the steps before t0 need.

    f'(z_t) does not depend on delta, so it is computed for every step of the
    range in one call before the loop (into ``fp``, shaped like D, if given);
    each step then issues three numpy calls into buffers made once (row views
    are taken before the loop too).
    """
    # f'(z_t) for t = t0, ..., t1, from h_t = f(z_t)
    fp = fprime(h[t0 : t1 + 1], out=fp)
    W_delta = np.empty_like(D[0])  # W_hh^T delta_{t+1}, rewritten at each step
    # np.dot: the same BLAS product as matmul, with less call overhead
    dot, add, multiply = np.dot, np.add, np.multiply
    # t = t1, t1 - 1, ..., t0
    for delta_t, fp_t in zip(list(D)[::-1], list(fp)[::-1]):
        if delta_next is not None:  # delta_{T+1} = 0: nothing flows back
            dot(delta_next, W_hh, out=W_delta)  # W_hh^T delta_{t+1}
            add(delta_t, W_delta, out=delta_t)
        multiply(delta_t, fp_t, out=delta_t)  # * f'(z_t)
        delta_next = delta_t
    return delta_next


def backward_tm(params: Params, cache: ForwardCache, e: np.ndarray) -> Signals:
    """The delta recursion (bptt-delta) for every step, given e time-major with T + 1 rows."""
    T, N, n, k = cache.T, cache.N, params.n, params.k
    W_hh, W_hy = (a.astype(cache.dtype, copy=False) for a in (params.W_hh, params.W_hy))
    fprime = hidden_activation(cache.f).deriv_from_output  # f'(z_t) from h_t = f(z_t)

    delta = np.empty((T + 1, N, n), cache.dtype)
    delta[0] = np.nan  # there is no delta_0
    np.matmul(e[1:].reshape(T * N, k), W_hy, out=delta[1:].reshape(T * N, n))  # W_hy^T e_t for every t at once
    delta_recursion(W_hh, fprime, cache.h_tm, delta[1:], 1, T, None)
    return Signals(e, delta, cache)


def streamed_gradients(params: Params, cache: ForwardCache, e: np.ndarray, rows_per_block: int = 1024) -> Params:
    """:func:`gradients` of :func:`backward_tm`, without ever holding every delta_t at once.

    The steps are processed backwards in blocks of ``rows_per_block / (2N)``
    steps (fewer if that is more than T/16, unless delta for all T steps
    takes under 256 KiB: then one block): each block runs the recursion, adds
    its share of the sums over t to dC/dW_xh, dC/dW_hh and dC/db_h with one
    matrix product each, and passes delta at its first step on to the next
    block.  Memory for delta and f'(z_t) is two blocks instead of T steps; the
    arithmetic is the same, summed in another order.
    """
    check_params(params, finite=False)  # the forward pass that made the cache has checked them
    _check_cache(params, cache)
    if not isinstance(e, np.ndarray) or e.shape != cache.y_tm.shape or e.dtype != cache.dtype:
        raise ValueError(
            f"e: expected a time-major ndarray of shape (T + 1, N, k) = {_shape_str(cache.y_tm.shape)} and dtype "
            f"{cache.dtype}, got {type(e).__name__}{' of shape ' + _shape_str(e.shape) if hasattr(e, 'shape') else ''}"
        )
    rows_per_block = check_int("rows_per_block", rows_per_block)
    return streamed_gradients_checked(params, cache, e, rows_per_block)


def block_steps(T: int, N: int, n: int, itemsize: int, rows_per_block: int = 1024) -> int:
    """Steps per block of :func:`streamed_gradients`.

    Enough rows for efficient products, and at most T/16 steps, unless delta
    for all T steps takes under 256 KiB anyway (each block costs a few calls):
    the two block-sized buffers, for delta_t and f'(z_t), then hold at most
    T/8 steps together.
    """
    small = (256 * 1024) // (N * n * itemsize)
    return max(1, min(-(-rows_per_block // (2 * N)), T, max(T // 16, small)))


def streamed_gradients_checked(params: Params, cache: ForwardCache, e: np.ndarray, rows_per_block: int = 1024) -> Params:
    """:func:`streamed_gradients` for arguments the caller has made or checked itself."""
    T, N, n, k, m = cache.T, cache.N, params.n, params.k, params.m
    W_hh, W_hy = (a.astype(cache.dtype, copy=False) for a in (params.W_hh, params.W_hy))
    fprime = hidden_activation(cache.f).deriv_from_output
    x, h = cache.x_tm, cache.h_tm
    E = e[1:].reshape(T * N, k)
    W_xh_grad = np.zeros((n, m), cache.dtype)
    W_hh_grad = np.zeros((n, n), cache.dtype)
    b_h_grad = np.zeros(n, cache.dtype)
    B = block_steps(T, N, n, cache.dtype.itemsize, rows_per_block)
    buffer, fp_buffer = np.empty((2, B, N, n), cache.dtype)
    carried = np.empty((N, n), cache.dtype)
    delta_next = None  # delta_{T+1} = 0
    for t1 in range(T, 0, -B):
        t0 = max(1, t1 - B + 1)
        D = buffer[: t1 - t0 + 1]  # D[t - t0] is delta_t
        np.matmul(e[t0 : t1 + 1].reshape(-1, k), W_hy, out=D.reshape(-1, n))  # W_hy^T e_t
        first = delta_recursion(W_hh, fprime, h, D, t0, t1, delta_next, fp_buffer[: t1 - t0 + 1])
        rows = D.reshape(-1, n)
        W_xh_grad += rows.T @ x[t0 - 1 : t1].reshape(-1, m)  # sum over the block of delta_t x_t^T
        W_hh_grad += rows.T @ h[t0 - 1 : t1].reshape(-1, n)  # ... of delta_t h_{t-1}^T
        b_h_grad += rows.sum(axis=0)
        np.copyto(carried, first)  # the buffer is overwritten by the next block
        delta_next = carried
    return Params._trusted(W_xh_grad, W_hh_grad, E.T @ h[1:].reshape(-1, n), b_h_grad, E.sum(axis=0))


def backward(params: Params, cache: ForwardCache, dC_dy=None, *, e=None) -> Signals:
    """The backward pass: output errors e_t and hidden errors delta_t for t = T, ..., 1.

    Parameters
    ----------
    params : Params
        The parameters the forward pass used.
    cache : ForwardCache
        From :func:`rnnlib.forward`.
    dC_dy : array_like of shape (T, k) or (N, T, k), optional
        Gradient of the cost with respect to the outputs y_t.
    e : array_like of shape (T, k) or (N, T, k), optional
        The output errors dC/do_t, if already known (give this or ``dC_dy``).

    Returns
    -------
    Signals
        ``e`` of shape (..., T, k) and ``delta`` of shape (..., T, n).

    Notes
    -----
    e_t = J_g(o_t)^T dC/dy_t  and
    delta_t = (W_hy^T e_t + W_hh^T delta_{t+1}) * f'(z_t) with delta_{T+1} = 0.
    """
    check_params(params)
    _check_cache(params, cache)
    if (dC_dy is None) == (e is None):
        raise ValueError("dC_dy, e: expected exactly one of them, got " + ("neither" if e is None else "both"))
    labels = "(N, T, k)" if cache.batched else "(T, k)"
    e_tm = np.empty_like(cache.y_tm)
    e_tm[0] = np.nan  # there is no e_0
    if e is not None:
        e_tm[1:] = _user_to_tm(cache, "e", e, labels)
    else:
        d = _user_to_tm(cache, "dC_dy", dC_dy, labels)
        e_tm[1:] = output_activation(cache.g).vjp(cache.o_tm[1:], cache.y_tm[1:], d)  # (bptt-e)
    return backward_tm(params, cache, e_tm)


def gradients(cache: ForwardCache, signals: Signals) -> Params:
    """The five gradients from the error signals (the notes' gradient calculation).

    Returns
    -------
    Params
        dC/dW_xh (n, m), dC/dW_hh (n, n), dC/dW_hy (k, n), dC/db_h (n,), dC/db_y (k,).

    Notes
    -----
    Sums over t = 1, ..., T and over the sequences of the batch::

        dC/dW_hy = sum_t e_t h_t^T,  dC/db_y = sum_t e_t,
        dC/dW_hh = sum_t delta_t h_{t-1}^T,  dC/dW_xh = sum_t delta_t x_t^T,
        dC/db_h = sum_t delta_t.

    Each is one matrix product over the stacked (t, sequence) rows.
    """
    check_cache(cache)
    if not isinstance(signals, Signals):
        raise TypeError(f"signals: expected the Signals returned by rnnlib.backward, got {type(signals).__name__}")
    T = cache.T
    x, h = cache.x_tm, cache.h_tm
    n, m, k = h.shape[2], x.shape[2], signals.e_tm.shape[2]
    e = signals.e_tm[1:].reshape(-1, k)  # rows: e_t^(i) for every (t, i)
    delta = signals.delta_tm[1:].reshape(-1, n)  # rows: delta_t^(i)
    return Params(
        W_xh=delta.T @ x.reshape(-1, m),  # sum_t delta_t x_t^T
        W_hh=delta.T @ h[0:T].reshape(-1, n),  # sum_t delta_t h_{t-1}^T
        W_hy=e.T @ h[1 : T + 1].reshape(-1, n),  # sum_t e_t h_t^T
        b_h=delta.sum(axis=0),
        b_y=e.sum(axis=0),
    )


def bptt(params: Params, cache: ForwardCache, dC_dy=None, *, e=None) -> Params:
    """Backpropagation through time: :func:`backward` followed by :func:`gradients`.

    Parameters
    ----------
    params : Params
    cache : ForwardCache
        From :func:`rnnlib.forward` with the same ``params``.
    dC_dy : array_like of shape (T, k) or (N, T, k), optional
        dC/dy_t.  Give this or ``e``.
    e : array_like of shape (T, k) or (N, T, k), optional
        dC/do_t.

    Returns
    -------
    Params
        The gradient of the cost whose derivative was given.
    """
    return gradients(cache, backward(params, cache, dC_dy, e=e))


def loss_and_grad(params: Params, X, Y, *, loss: str = "mse", f: str = "tanh", g: str = "softmax", h0=None):
    """The cost and its gradient with respect to every parameter.

    Parameters
    ----------
    params : Params
    X : array_like of shape (T, m) or (N, T, m)
        Input sequence(s).
    Y : array_like of shape (T, k) or (N, T, k)
        Desired outputs (y-hat in the notes), shaped like the outputs y.
    loss : {"mse", "cross_entropy"}
        Per-step cost; ``"cross_entropy"`` needs ``g="softmax"``.
    f : {"tanh", "sigmoid", "relu", "identity"}
    g : {"softmax", "identity", "sigmoid", "tanh"}
    h0 : array_like of shape (n,) or (N, n), optional
        Initial hidden state, 0 by default.  It is treated as a constant: no
        gradient flows into it.

    Returns
    -------
    C : float
        (1/N) sum_i sum_{t=1}^T C_t^(i); N = 1 for a single sequence.
    grads : Params
        dC/dW_xh, dC/dW_hh, dC/dW_hy, dC/db_h, dC/db_y: the batch average
        (1/N) sum_i grad C^(i), in the dtype of the computation.

    Examples
    --------
    >>> import numpy as np, rnnlib
    >>> rng = np.random.default_rng(0)
    >>> params = rnnlib.init_params(m=3, n=5, k=2, rng=rng)
    >>> X = rng.normal(size=(4, 7, 3))                      # N=4 sequences, T=7
    >>> Y = rnnlib.softmax(rng.normal(size=(4, 7, 2)))
    >>> C, grads = rnnlib.loss_and_grad(params, X, Y, loss="cross_entropy")
    >>> grads.W_hh.shape
    (5, 5)
    """
    C, grads, _ = loss_grad_and_state(params, X, Y, loss=loss, f=f, g=g, h0=h0)
    return C, grads


def loss_grad_and_state(params: Params, X, Y, *, loss: str = "mse", f: str = "tanh", g: str = "softmax", h0=None):
    """:func:`loss_and_grad`, and also the last hidden state h_T.

    For training on a long sequence cut into chunks: pass the returned state
    as ``h0`` of the next chunk (truncated BPTT with a carried state).

    Returns
    -------
    C : float
    grads : Params
    h_T : ndarray of shape (n,) or (N, n)
    """
    check_params(params)
    check_loss(loss, g)
    cache = forward_checked(params, X, f=f, g=g, h0=h0, lean=True)  # keeps h and o only
    h_T = cache.h[..., -1, :].copy()
    C, e = cost_and_error_tm(cache, Y, loss, out=cache.o_tm)  # e_t overwrites o_t, no longer needed
    return C, streamed_gradients_checked(params, cache, e), h_T
