"""Where rnnlib.loss_and_grad spends its time, part by part.

:func:`timed_loss_and_grad` performs the numpy calls of
``rnnlib.loss_and_grad(params, X, Y, g="identity")`` (tanh hidden units, an
identity output, the mean squared error: the benchmark's case) in the same
order, on the same buffers, and reads a clock between them.  It returns what
``loss_and_grad`` returns, bit for bit (run.py checks that before it times
anything, and tests/test_benchmarks.py at several shapes), together with the
seconds spent in each part.  The parts are therefore those of the library's
own computation, not of a look-alike.

Reading the clock costs well under a microsecond, a few hundred times per
call; run.py reports the time of this timed copy beside the library's own so
that the cost of watching is visible.
"""

from __future__ import annotations

import time

import numpy as np

from rnnlib._checks import check_params
from rnnlib.backprop import block_steps
from rnnlib.forward_pass import ForwardCache, as_initial_state, as_sequences, empty_buffers
from rnnlib.losses import target_tm
from rnnlib.params import Params

# part: what kind of work it is
PARTS = {
    "check params": "checks",
    "check X": "checks",
    "x time-major copy": "whole-array passes",
    "W_xh x_t, all t": "products",
    "+ b_h": "whole-array passes",
    "W_hh h_{t-1}, per step": "products",
    "forward add, per step": "per-step element-wise",
    "tanh, per step": "per-step element-wise",
    "W_hy h_t, all t": "products",
    "+ b_y": "whole-array passes",
    "check Y": "checks",
    "cost and e": "whole-array passes",
    "W_hy^T e_t, all t": "products",
    "f'(z_t)": "whole-array passes",
    "W_hh^T delta_{t+1}, per step": "products",
    "backward add, per step": "per-step element-wise",
    "* f'(z_t), per step": "per-step element-wise",
    "dC/dW_xh": "products",
    "dC/dW_hh": "products",
    "dC/db_h": "whole-array passes",
    "dC/dW_hy": "products",
    "dC/db_y": "whole-array passes",
}
GROUPS = ("products", "per-step element-wise", "whole-array passes", "checks")
#: the products of the recurrence, one per step (the rest are over many steps' rows at once)
PER_STEP_PRODUCTS = ("W_hh h_{t-1}, per step", "W_hh^T delta_{t+1}, per step")


def timed_loss_and_grad(params: Params, X, Y):
    """``rnnlib.loss_and_grad(params, X, Y, g="identity")``, with the seconds of each part.

    Returns
    -------
    C : float
    grads : Params
    seconds : dict
        Seconds per part, keys as in PARTS.
    """
    clock = time.perf_counter
    t = dict.fromkeys(PARTS, 0.0)

    s = clock()
    check_params(params)
    t["check params"] += clock() - s

    # the forward pass (forward_pass.forward_checked, lean, f = tanh, g = identity)
    s = clock()
    X, batched = as_sequences(params, X)
    t["check X"] += clock() - s
    N, T, m = X.shape
    n, k = params.n, params.k
    as_initial_state(params, None, N, batched, X.dtype)
    W_xh, W_hh, W_hy, b_h, b_y = (a.astype(X.dtype, copy=False) for a in params)
    x, h, o = empty_buffers(X.dtype, (T, N, m), (T + 1, N, n), (T + 1, N, k))
    s = clock()
    x[...] = np.swapaxes(X, 0, 1)
    t["x time-major copy"] += clock() - s
    o[0] = np.nan
    h[0] = 0.0
    s = clock()
    np.matmul(x.reshape(T * N, m), W_xh.T, out=h[1:].reshape(T * N, n))
    t["W_xh x_t, all t"] += clock() - s
    s = clock()
    h[1:] += b_h
    t["+ b_h"] += clock() - s
    W_hh_T = np.ascontiguousarray(W_hh.T)
    W_h = np.empty_like(h[0])
    dot, add, multiply, tanh = np.dot, np.add, np.multiply, np.tanh
    h_rows = list(h)
    for h_prev, h_t in zip(h_rows, h_rows[1:]):  # rnnlib's recurrence, z_t in h_t's row
        s0 = clock()
        dot(h_prev, W_hh_T, out=W_h)
        s1 = clock()
        add(h_t, W_h, out=h_t)
        s2 = clock()
        tanh(h_t, out=h_t)
        s3 = clock()
        t["W_hh h_{t-1}, per step"] += s1 - s0
        t["forward add, per step"] += s2 - s1
        t["tanh, per step"] += s3 - s2
    s = clock()
    np.matmul(h[1:].reshape(T * N, n), W_hy.T, out=o[1:].reshape(T * N, k))
    t["W_hy h_t, all t"] += clock() - s
    s = clock()
    o[1:] += b_y
    t["+ b_y"] += clock() - s
    cache = ForwardCache(x, None, h, o, o, "tanh", "identity", batched)

    # the cost and e (losses.cost_and_error_tm, mse), e written over o
    s = clock()
    Y_tm = target_tm(cache, Y, "mse")
    t["check Y"] += clock() - s
    s = clock()
    e = o
    e[0] = np.nan
    d = np.subtract(o[1:], Y_tm, out=e[1:])
    C = 0.5 * float(np.vdot(d, d)) / N
    d /= N
    t["cost and e"] += clock() - s

    # the backward pass (backprop.streamed_gradients_checked and delta_recursion)
    E = e[1:].reshape(T * N, k)
    W_xh_grad = np.zeros((n, m), X.dtype)
    W_hh_grad = np.zeros((n, n), X.dtype)
    b_h_grad = np.zeros(n, X.dtype)
    B = block_steps(T, N, n, X.dtype.itemsize)
    buffer, fp_buffer = np.empty((2, B, N, n), X.dtype)
    carried = np.empty((N, n), X.dtype)
    delta_next = None
    for t1 in range(T, 0, -B):
        t0 = max(1, t1 - B + 1)
        D = buffer[: t1 - t0 + 1]
        s = clock()
        np.matmul(e[t0 : t1 + 1].reshape(-1, k), W_hy, out=D.reshape(-1, n))
        t["W_hy^T e_t, all t"] += clock() - s
        s = clock()
        fp = fp_buffer[: t1 - t0 + 1]
        np.subtract(1.0, np.multiply(h[t0 : t1 + 1], h[t0 : t1 + 1], out=fp), out=fp)
        t["f'(z_t)"] += clock() - s
        W_delta = np.empty_like(D[0])
        for delta_t, fp_t in zip(list(D)[::-1], list(fp)[::-1]):
            if delta_next is not None:
                s0 = clock()
                dot(delta_next, W_hh, out=W_delta)
                s1 = clock()
                add(delta_t, W_delta, out=delta_t)
                t["W_hh^T delta_{t+1}, per step"] += s1 - s0
                t["backward add, per step"] += clock() - s1
            s = clock()
            multiply(delta_t, fp_t, out=delta_t)
            t["* f'(z_t), per step"] += clock() - s
            delta_next = delta_t
        rows = D.reshape(-1, n)
        s0 = clock()
        W_xh_grad += np.matmul(rows.T, x[t0 - 1 : t1].reshape(-1, m))
        s1 = clock()
        W_hh_grad += np.matmul(rows.T, h[t0 - 1 : t1].reshape(-1, n))
        s2 = clock()
        b_h_grad += rows.sum(axis=0)
        s3 = clock()
        t["dC/dW_xh"] += s1 - s0
        t["dC/dW_hh"] += s2 - s1
        t["dC/db_h"] += s3 - s2
        np.copyto(carried, delta_next)
        delta_next = carried
    s = clock()
    W_hy_grad = np.matmul(E.T, h[1:].reshape(-1, n))
    t["dC/dW_hy"] += clock() - s
    s = clock()
    b_y_grad = E.sum(axis=0)
    t["dC/db_y"] += clock() - s
    return C, Params(W_xh_grad, W_hh_grad, W_hy_grad, b_h_grad, b_y_grad), t


def products_alone(params: Params, X):
    """A function that issues the matrix products of :func:`timed_loss_and_grad`, and nothing else.

    The same calls in the same order, on operands of the same shapes and
    layouts (per-step rows of time-major buffers, the backward pass in the
    same blocks, each block's weight-gradient products added to the sums as
    rnnlib adds them), but on buffers made once, outside the timed call, with
    no element-wise work in between.  Its time against the parts "products"
    of the timed copy, in the same rounds, is what running amid the rest of
    the computation costs the products.
    """
    X, _ = as_sequences(params, X)
    N, T, m = X.shape
    n, k = params.n, params.k
    W_xh, W_hh, W_hy, _, _ = (a.astype(X.dtype, copy=False) for a in params)
    rng = np.random.default_rng(0)
    x, h, e = (rng.uniform(-1, 1, size=s).astype(X.dtype) for s in ((T, N, m), (T + 1, N, n), (T + 1, N, k)))
    W_hh_T = np.ascontiguousarray(W_hh.T)
    W_h = np.empty((N, n), X.dtype)
    B = block_steps(T, N, n, X.dtype.itemsize)
    buffer = np.empty((B, N, n), X.dtype)
    W_xh_grad, W_hh_grad = np.zeros((n, m), X.dtype), np.zeros((n, n), X.dtype)
    rows_of_h = list(h)

    def products():
        dot = np.dot
        np.matmul(x.reshape(T * N, m), W_xh.T, out=h[1:].reshape(T * N, n))
        for h_prev in rows_of_h[:-1]:
            dot(h_prev, W_hh_T, out=W_h)
        np.matmul(h[1:].reshape(T * N, n), W_hy.T, out=e[1:].reshape(T * N, k))
        first = True
        for t1 in range(T, 0, -B):
            t0 = max(1, t1 - B + 1)
            D = buffer[: t1 - t0 + 1]
            np.matmul(e[t0 : t1 + 1].reshape(-1, k), W_hy, out=D.reshape(-1, n))
            for delta_t in list(D)[::-1]:
                if not first:
                    dot(delta_t, W_hh, out=W_h)
                first = False
            rows = D.reshape(-1, n)
            W_xh_grad[...] += np.matmul(rows.T, x[t0 - 1 : t1].reshape(-1, m))
            W_hh_grad[...] += np.matmul(rows.T, h[t0 - 1 : t1].reshape(-1, n))
        return np.matmul(e[1:].reshape(T * N, k).T, h[1:].reshape(-1, n))

    return products
