"""The workbook's exercises solved once, with one switch per catalogued mistake.

Each function here solves one exercise of :mod:`rnnlib.workbook` the way the
notes write it, one sequence and one timestep at a time.  Called with
``bug=None`` it gives the right answer (the tests check it against the
library); called with ``bug`` set to a key of
:data:`rnnlib.workbook.MISTAKES` it makes exactly that mistake.  The checker
runs these buggy variants on the same problems as the learner's function and
names the mistake whose output the learner's matches.

Arrays are 0-based as in numpy: ``x[t - 1]`` is x_t, ``h[t]`` is h_t (h has a
row for h_0), ``z[t - 1]``, ``e[t - 1]``, ``delta[t - 1]`` are z_t, e_t, δ_t.
"""

from __future__ import annotations

import numpy as np

from ..activations import hidden_activation, output_activation
from ..params import Params

__all__ = [
    "forward_step",
    "forward",
    "forward_batch",
    "output_error",
    "delta_recursion",
    "gradients",
    "bptt",
    "batch_gradient",
    "vec",
    "unvec",
    "gd_update",
    "train_step",
]


def forward_step(params, h_prev, x_t, f="tanh", g="softmax", bug=None):
    """z_t, h_t, o_t, y_t from h_{t-1} and x_t."""
    W_xh, W_hh, W_hy, b_h, b_y = params
    z_t = W_hh @ h_prev + W_xh @ x_t + b_h
    h_t = hidden_activation(f)(z_t)
    o_t = W_hy @ h_t + b_y
    y_t = output_activation(g)(o_t)
    return z_t, h_t, o_t, y_t


def forward(params, x, f="tanh", g="softmax", bug=None, h0=None):
    """z (T, n), h (T+1, n), o (T, k), y (T, k) for one sequence x (T, m)."""
    W_xh, W_hh, W_hy, b_h, b_y = params
    T, n, k = x.shape[0], params.n, params.k
    z, h = np.zeros((T, n)), np.zeros((T + 1, n))
    o, y = np.zeros((T, k)), np.zeros((T, k))
    if h0 is not None:
        h[0] = h0
    if bug == "h0_not_zero":
        h[0] = 1.0  # np.ones where np.zeros belongs
    for t in range(1, T + 1):
        h_rec = h[t] if bug == "h_t_in_z" else h[t - 1]  # h[t] is still 0 here
        z[t - 1] = W_hh @ h_rec + W_xh @ x[t - 1] + b_h
        h[t] = hidden_activation(f)(z[t - 1])
        o[t - 1] = W_hy @ h[t] + b_y
        y[t - 1] = output_activation(g)(o[t - 1])
    return z, h, o, y


def forward_batch(params, X, f="tanh", g="softmax", bug=None):
    """forward over each of the N sequences of X (N, T, m), each from h_0 = 0."""
    outs, h_last = [], None
    for x in X:
        carried = h_last if bug == "h0_carried_over" else None
        out = forward(params, x, f, g, bug, h0=carried)
        h_last = out[1][-1]
        outs.append(out)
    return tuple(np.stack(a) for a in zip(*outs))


def output_error(y, o, y_target, loss="mse", g="softmax", bug=None):
    """e (T, k): e_t = J_g(o_t)^T dC_t/dy_t, one sequence."""
    if loss == "mse":
        d = y - y_target  # dC_t/dy_t
    else:
        d = -y_target / y
    if bug == "e_sign_flipped":
        d = -d
    if bug == "e_without_g_prime":
        return d
    if g == "softmax":
        if bug == "elementwise_softmax":
            return d * y * (1 - y)  # diagonal of the Jacobian only
        return y * (d - np.sum(y * d, axis=-1, keepdims=True))  # J^T d
    return d * output_activation(g).deriv(o)


def delta_recursion(params, z, e, f="tanh", bug=None):
    """delta (T, n) from delta_t = (W_hy^T e_t + W_hh^T delta_{t+1}) * f'(z_t)."""
    W_hh, W_hy = params.W_hh, params.W_hy
    act = hidden_activation(f)
    fprime = act.deriv_from_output(z) if bug == "fprime_of_z_as_h" else act.deriv(z)
    W_rec = W_hh if bug == "W_hh_not_transposed" else W_hh.T
    T, n = z.shape
    delta = np.zeros((T, n))
    if bug == "recursion_runs_forward":
        delta_prev = np.zeros(n)
        for t in range(1, T + 1):
            delta[t - 1] = (W_hy.T @ e[t - 1] + W_rec @ delta_prev) * fprime[t - 1]
            delta_prev = delta[t - 1]
        return delta
    delta_next = np.zeros(n)  # delta_{T+1} = 0
    last = T - 1 if bug == "recursion_starts_late" else T
    for t in range(last, 0, -1):
        future = 0.0 if bug == "no_future_term" else W_rec @ delta_next
        delta[t - 1] = (W_hy.T @ e[t - 1] + future) * fprime[t - 1]
        delta_next = delta[t - 1]
    return delta


def gradients(x, h, e, delta, bug=None):
    """The five gradients of one sequence, sums over t = 1..T."""
    T, m = x.shape
    n, k = h.shape[1], e.shape[1]
    dW_xh, dW_hh, dW_hy = np.zeros((n, m)), np.zeros((n, n)), np.zeros((k, n))
    db_h, db_y = np.zeros(n), np.zeros(k)
    first = 2 if bug == "sum_misses_first_step" else 1
    last = T - 1 if bug == "sum_misses_last_step" else T
    for t in range(first, last + 1):
        h_for_hh = h[t] if bug == "h_t_for_h_prev" else h[t - 1]
        h_for_hy = h[t - 1] if bug == "h_prev_for_h_t" else h[t]
        terms = (
            np.outer(delta[t - 1], x[t - 1]),
            np.outer(delta[t - 1], h_for_hh),
            np.outer(e[t - 1], h_for_hy),
            delta[t - 1],
            e[t - 1],
        )
        if bug == "outer_product_reversed":
            terms = (terms[0], np.outer(h_for_hh, delta[t - 1])) + terms[2:]
        if bug == "gradient_overwritten":  # = instead of +=
            dW_xh, dW_hh, dW_hy, db_h, db_y = (a.copy() for a in terms)
        else:
            dW_xh, dW_hh, dW_hy, db_h, db_y = (
                a + b for a, b in zip((dW_xh, dW_hh, dW_hy, db_h, db_y), terms)
            )
    return Params(dW_xh, dW_hh, dW_hy, db_h, db_y)


def bptt(params, x, y_target, f="tanh", g="softmax", loss="mse", bug=None, h0=None):
    """The gradient of C = sum_t C_t for one sequence: forward, e, delta, gradients."""
    z, h, o, y = forward(params, x, f, g, bug, h0=h0)
    e = output_error(y, o, y_target, loss, g, bug)
    delta = delta_recursion(params, z, e, f, bug)
    return gradients(x, h, e, delta, bug)


def batch_gradient(params, X, Y, f="tanh", g="softmax", loss="mse", bug=None):
    """(1/N) sum_i grad C^(i) over the N sequences of X (N, T, m)."""
    N = X.shape[0]
    total, h_last = None, None
    for x, y_target in zip(X, Y):
        carried = h_last if bug == "h0_carried_over" else None
        grad = bptt(params, x, y_target, f, g, loss, bug, h0=carried)
        h_last = forward(params, x, f, g, h0=carried)[1][-1]
        total = grad if total is None else total.map(np.add, grad)
    if bug == "no_batch_average":
        return total
    return total.map(lambda a: a / N)


def vec(params, bug=None):
    """v = [vec(W_xh); vec(W_hh); vec(W_hy); b_h; b_y], matrices row by row."""
    order = "F" if bug == "vec_column_order" else "C"
    return np.concatenate([a.reshape(-1, order=order) for a in params])


def unvec(v, m, n, k, bug=None):
    """The inverse of vec."""
    order = "F" if bug == "vec_column_order" else "C"
    parts, start = [], 0
    for shape in ((n, m), (n, n), (k, n), (n,), (k,)):
        size = int(np.prod(shape))
        parts.append(v[start : start + size].reshape(shape, order=order))
        start += size
    return Params(*parts)


def gd_update(params, grads, lr, bug=None):
    """v' = v - alpha grad C, on each of the five arrays."""
    sign = 1.0 if bug == "update_sign_flipped" else -1.0
    return params.map(lambda p, d: p + sign * lr * d, grads)


def train_step(params, X, Y, lr, f="tanh", g="softmax", loss="mse", bug=None):
    """One step of the notes' training loop; returns the cost before it and v'."""
    N = X.shape[0]
    C = 0.0
    for x, y_target in zip(X, Y):
        y = forward(params, x, f, g)[3]
        if loss == "mse":
            C += 0.5 * np.sum((y - y_target) ** 2)
        else:
            C += -np.sum(y_target * np.log(y))
    grads = batch_gradient(params, X, Y, f, g, loss, bug)
    return C / N, gd_update(params, grads, lr, bug)
