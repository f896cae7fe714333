"""From the literal loop to rnnlib, one optimisation at a time (benchmark baselines, not library code).

Each function computes exactly what ``rnnlib.loss_and_grad(params, X, Y,
loss="mse", f="tanh", g="identity")`` computes, for a batch X of shape
(N, T, m), and each differs from the previous one by a single idea:

1. ``literal``: the notes' equations per sequence and per timestep, with
   matrix-vector products, then the average over the batch
   (:func:`rnnlib.reference.loss_and_grad_reference`).
2. ``batched``: all N sequences at once, one (N, .) matrix per timestep, but
   every product still inside the loop over time, and each gradient summed
   step by step.
3. ``hoisted``: the products that do not wait for the previous step (the
   input projections W_xh x_t, the outputs W_hy h_t and W_hy^T e_t) taken out
   of the loop, one large matrix product each.
4. ``stacked``: the gradient sums over t as single matrix products over the
   stacked (t, sequence) rows, instead of T small ones.
5. rnnlib itself, which adds one allocation per call, reuse of buffers that
   are no longer needed, and a fused cost and output error.

``run.py`` checks that every rung agrees with rnnlib before timing it.
"""

from __future__ import annotations

import numpy as np

import rnnlib
from rnnlib.reference import loss_and_grad_reference


def literal(params, X, Y):
    return loss_and_grad_reference(params, X, Y, loss="mse", f="tanh", g="identity", form="matrix")


def batched(params, X, Y):
    W_xh, W_hh, W_hy, b_h, b_y = params
    N, T, _ = X.shape
    h = [np.zeros((N, params.n), X.dtype)]
    y = []
    for t in range(T):  # forward, every product inside the loop
        h.append(np.tanh(h[-1] @ W_hh.T + X[:, t] @ W_xh.T + b_h))
        y.append(h[-1] @ W_hy.T + b_y)
    e = [(y[t] - Y[:, t]) / N for t in range(T)]
    C = sum(0.5 * np.sum((y[t] - Y[:, t]) ** 2) for t in range(T)) / N
    grads = [np.zeros_like(a) for a in params]
    dW_xh, dW_hh, dW_hy, db_h, db_y = grads
    delta_next = np.zeros((N, params.n), X.dtype)
    for t in range(T - 1, -1, -1):  # backward, gradients summed step by step
        delta = (e[t] @ W_hy + delta_next @ W_hh) * (1 - h[t + 1] ** 2)
        dW_hy += e[t].T @ h[t + 1]
        db_y += e[t].sum(axis=0)
        dW_hh += delta.T @ h[t]
        dW_xh += delta.T @ X[:, t]
        db_h += delta.sum(axis=0)
        delta_next = delta
    return C, rnnlib.Params(*grads)


def _hoisted_forward(params, X, Y):
    """Forward pass with the input and output projections and W_hy^T e_t as single products."""
    W_xh, W_hh, W_hy, b_h, b_y = params
    N, T, m = X.shape
    n, k = params.n, params.k
    x = np.ascontiguousarray(np.swapaxes(X, 0, 1))  # (T, N, m)
    z = (x.reshape(T * N, m) @ W_xh.T + b_h).reshape(T, N, n)  # every input projection in one product
    h = np.zeros((T + 1, N, n), X.dtype)
    for t in range(T):
        h[t + 1] = np.tanh(z[t] + h[t] @ W_hh.T)
    y = (h[1:].reshape(T * N, n) @ W_hy.T + b_y).reshape(T, N, k)  # every output in one product
    d = y - np.swapaxes(Y, 0, 1)
    C = 0.5 * np.sum(d**2) / N
    e = d / N
    dh_out = (e.reshape(T * N, k) @ W_hy).reshape(T, N, n)  # W_hy^T e_t for every t in one product
    return C, x, h, e, dh_out


def hoisted(params, X, Y):
    C, x, h, e, dh_out = _hoisted_forward(params, X, Y)
    grads = [np.zeros_like(a) for a in params]
    dW_xh, dW_hh, dW_hy, db_h, db_y = grads
    delta_next = np.zeros_like(h[0])
    for t in range(X.shape[1] - 1, -1, -1):  # gradients still summed step by step
        delta = (dh_out[t] + delta_next @ params.W_hh) * (1 - h[t + 1] ** 2)
        dW_hy += e[t].T @ h[t + 1]
        db_y += e[t].sum(axis=0)
        dW_hh += delta.T @ h[t]
        dW_xh += delta.T @ x[t]
        db_h += delta.sum(axis=0)
        delta_next = delta
    return C, rnnlib.Params(*grads)


def stacked(params, X, Y):
    C, x, h, e, dh_out = _hoisted_forward(params, X, Y)
    T, n, m, k = X.shape[1], params.n, params.m, params.k
    delta = np.zeros((T + 1,) + h.shape[1:], X.dtype)  # delta[T] = 0 is the boundary
    for t in range(T - 1, -1, -1):
        delta[t] = (dh_out[t] + delta[t + 1] @ params.W_hh) * (1 - h[t + 1] ** 2)
    D, E = delta[:T].reshape(-1, n), e.reshape(-1, k)  # rows: (t, sequence)
    return C, rnnlib.Params(
        W_xh=D.T @ x.reshape(-1, m),  # each sum over t as one product
        W_hh=D.T @ h[:T].reshape(-1, n),
        W_hy=E.T @ h[1:].reshape(-1, n),
        b_h=D.sum(axis=0),
        b_y=E.sum(axis=0),
    )


def rnnlib_loss_and_grad(params, X, Y):
    return rnnlib.loss_and_grad(params, X, Y, loss="mse", f="tanh", g="identity")


LADDER = {
    "literal loop": literal,
    "batched": batched,
    "hoisted projections": hoisted,
    "stacked gradients": stacked,
    "rnnlib": rnnlib_loss_and_grad,
}
