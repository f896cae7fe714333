"""Reference implementations that read like the notes, one sequence at a time.

Two forms of the same equations, kept deliberately slow and literal so that
the fast batched code in :mod:`rnnlib.forward_pass` and :mod:`rnnlib.backprop` can be
checked against them:

* **element-wise**, with ``np.einsum`` spelling the notes' Einstein summation
  with the notes' index letters (l, not the notes' k, runs over the inputs,
  since k is the number of outputs): ``z_i = w_ij h_j + w_il x_l + b_i`` is
  ``einsum("ij,j->i", W_hh, h) + einsum("il,l->i", W_xh, x) + b_h``;
* **matrix form**, one column vector per timestep: ``W_hh @ h[t - 1]``.

Both walk through the sequences of a batch one by one and average the
per-sequence gradients, ∇C = (1/N) Σ_i ∇C^(i), exactly as the notes'
training section describes.  Here arrays have a row for time 0 so that
index t is time t: ``x[0]`` is a row of NaN (there is no x_0), ``h[0]`` is h_0 = 0.

The element-wise backward pass takes the Jacobian of g in full,
``e_i = (dC/dy_j) (dy_j/do_i)``, which is right for softmax as well; it
evaluates f'(z) from z itself, independently of the fast code, which uses h.
"""

from __future__ import annotations

import numpy as np

from ._checks import _shape_str, as_finite_array, as_float_array, check_finite, check_shape
from .activations import _cross_entropy, hidden_activation, output_activation
from .forward_pass import as_sequences, check_params
from .losses import check_loss, check_targets
from .params import Params

__all__ = [
    "forward_step_loops",
    "forward_einsum",
    "bptt_einsum",
    "forward_matrix",
    "bptt_matrix",
    "loss_and_grad_reference",
    "time_indexed",
]


def forward_step_loops(params: Params, h_prev, x_t) -> np.ndarray:
    """One step of eq. (3.2) as explicit Python loops over the indices.

    Parameters
    ----------
    h_prev : ndarray of shape (n,)
        h_{t-1}.
    x_t : ndarray of shape (m,)

    Returns
    -------
    z_t : ndarray of shape (n,)

    Notes
    -----
    z_i = sum_j w_ij^(hh) h_j + sum_l w_il^(xh) x_l + b_i^(h), for i = 1..n.
    """
    W_xh, W_hh, W_hy, b_h, b_y = check_params(params)
    n, m = params.n, params.m
    h_prev = _vector("h_prev", h_prev, n, "n", params.dtype)  # shape (n,)
    x_t = _vector("x_t", x_t, m, "m", params.dtype)  # shape (m,)
    z = np.zeros(n, dtype=params.dtype)
    for i in range(n):  # i is free: one equation per hidden unit
        z[i] = (
            sum(W_hh[i, j] * h_prev[j] for j in range(n))  # sum over j
            + sum(W_xh[i, l] * x_t[l] for l in range(m))  # sum over l
            + b_h[i]
        )
    return z


def _vector(name, a, size, symbol, dtype):
    """``a`` as a float vector of shape (size,); ValueError naming ``name`` if not."""
    a = as_float_array(name, a, dtype=dtype)
    if a.shape != (size,):
        raise ValueError(
            f"{name}: expected shape ({symbol},) with {symbol} = {size}, "
            f"got {_shape_str(a.shape)}"
        )
    check_finite(name, a)
    return a


def _one_sequence(params: Params, x) -> np.ndarray:
    """``x`` as a float array of shape (T, m); ValueError naming ``x`` (or ``params``) if not."""
    check_params(params)
    x = as_float_array("x", x, dtype=params.dtype)
    if x.ndim != 2:
        raise ValueError(
            f"x: expected one sequence of shape (T, m) with m = {params.m}, "
            f"got {x.ndim}-D shape {_shape_str(x.shape)}"
        )
    return as_sequences(params, x, name="x")[0][0]


def _padded(x):
    """Prepend a row of NaN so that x[t] is x_t for t = 1..T."""
    return np.vstack([np.full((1, x.shape[1]), np.nan, x.dtype), x])


def _backward_inputs(params: Params, x, z, h, o, dC_dy):
    """Check what a reference BPTT is given; return x, z, h, o, dC_dy with row t as time t.

    z, h, o are the (T + 1)-row arrays of a forward pass over x (row 0 of z
    and o is NaN: there is no z_0 or o_0); dC_dy has one row per step 1..T.
    """
    x = _one_sequence(params, x)  # (T, m), params checked
    T, dtype = len(x), x.dtype
    arrays = []
    for name, a, size, symbol in (("z", z, params.n, "n"), ("h", h, params.n, "n"), ("o", o, params.k, "k")):
        a = as_float_array(name, a, dtype=dtype)
        check_shape(name, a, (T + 1, size), f"(T + 1, {symbol})", f" for T = {T} steps of x")
        rows = a if name == "h" else np.vstack([np.zeros_like(a[:1]), a[1:]])  # row 0 may be NaN
        check_finite(name, rows)
        arrays.append(a.astype(dtype, copy=False))
    dC_dy = as_finite_array("dC_dy", dC_dy, dtype=dtype, shape=(T, params.k), labels="(T, k)",
                            why=f" for T = {T} steps of x")
    return (_padded(x), *arrays, _padded(dC_dy.astype(dtype, copy=False)))


def _cost_and_dC_dy(y, Yhat, o, loss):
    """Sum of C_t over t = 1..T and dC_t/dy_t, for one sequence (rows 1..T)."""
    if loss == "mse":
        return 0.5 * np.sum((y[1:] - Yhat) ** 2), y[1:] - Yhat
    return np.sum(_cross_entropy(Yhat, o[1:])), -Yhat / y[1:]


def forward_einsum(params: Params, x, f="tanh", g="softmax"):
    """Element-wise forward pass over one sequence, eqs. (3.1)-(3.5).

    Parameters
    ----------
    x : ndarray of shape (T, m)
        The inputs x_1, ..., x_T, one per row.
    f, g : str
        Hidden and output activation, by name.

    Returns
    -------
    z, h, o, y : ndarrays of shape (T + 1, n), (T + 1, n), (T + 1, k), (T + 1, k)
        Row t is time t: h[0] is h_0 = 0, and row 0 of z, o and y is NaN
        (there is no z_0, o_0 or y_0).
    """
    f, g = hidden_activation(f), output_activation(g)  # names to functions
    W_xh, W_hh, W_hy, b_h, b_y = check_params(params)
    x = _one_sequence(params, x)  # checked: shape (T, m)
    T, n, k = len(x), params.n, params.k
    x = _padded(x)  # x[t] is x_t; x[0] is NaN
    z = np.full((T + 1, n), np.nan, x.dtype)
    h = np.zeros((T + 1, n), x.dtype)  # h[0] = 0: eq. (3.1)
    o = np.full((T + 1, k), np.nan, x.dtype)
    y = np.full((T + 1, k), np.nan, x.dtype)
    for t in range(1, T + 1):
        z[t] = (  # eq. (3.2): sum over j and over l, i free
            np.einsum("ij,j->i", W_hh, h[t - 1])
            + np.einsum("il,l->i", W_xh, x[t])
            + b_h
        )
        h[t] = f(z[t])  # eq. (3.3)
        o[t] = np.einsum("ij,j->i", W_hy, h[t]) + b_y  # eq. (3.4)
        y[t] = g(o[t])  # eq. (3.5): g sees the whole of o_t
    return z, h, o, y


def bptt_einsum(
    params: Params, x, z, h, o, dC_dy, f="tanh", g="softmax"
):
    """Element-wise BPTT for one sequence, with the sums over j spelled by einsum.

    Parameters
    ----------
    x : ndarray of shape (T, m)
    z, h, o : ndarrays with T + 1 rows, from :func:`forward_einsum`
    dC_dy : ndarray of shape (T, k)
        dC_t/dy_t for t = 1..T.

    Returns
    -------
    grads : Params
    e, delta : ndarrays of shape (T + 1, k) and (T + 2, n), row t is time t;
        e[0] and delta[0] are NaN, delta[T + 1] = 0.

    Notes
    -----
    e_i^(t) = sum_j dC_t/dy_j^(t) J_ji,  J_ji = dy_j^(t)/do_i^(t);
    delta_i^(t) = (sum_j w_ji^(hy) e_j^(t) + sum_j w_ji^(hh) delta_j^(t+1)) f'(z_i^(t));
    dC/dw_ij^(hh) = sum_t delta_i^(t) h_j^(t-1), and likewise for the others.
    """
    f_act, g_act = hidden_activation(f), output_activation(g)
    W_xh, W_hh, W_hy, b_h, b_y = check_params(params)
    # checked, and padded with a row for time 0 so that row t is time t
    x, z, h, o, dC_dy = _backward_inputs(params, x, z, h, o, dC_dy)
    T = len(x) - 1
    dW_xh, dW_hh, dW_hy, db_h, db_y = (np.zeros_like(a) for a in params)
    e = np.full((T + 1, params.k), np.nan, x.dtype)
    delta = np.zeros((T + 2, params.n), x.dtype)  # delta[T + 1] = 0
    for t in range(T, 0, -1):
        J = g_act.jacobian(o[t])  # J[j, i] = dy_j / do_i
        e[t] = np.einsum("j,ji->i", dC_dy[t], J)  # eq. (5.23)
        from_output = np.einsum("ji,j->i", W_hy, e[t])
        from_future = np.einsum("ji,j->i", W_hh, delta[t + 1])
        delta[t] = (from_output + from_future) * f_act.deriv(z[t])
        dW_hy += np.einsum("i,j->ij", e[t], h[t])  # eq. (5.11)
        db_y += e[t]
        dW_hh += np.einsum("i,j->ij", delta[t], h[t - 1])  # eq. (5.20)
        dW_xh += np.einsum("i,j->ij", delta[t], x[t])
        db_h += delta[t]
    delta[0] = np.nan  # there is no delta_0
    return Params(dW_xh, dW_hh, dW_hy, db_h, db_y), e, delta


def forward_matrix(params: Params, x, f="tanh", g="softmax"):
    """Matrix-form forward pass over one sequence, eqs. (3.6)-(3.10).

    One column vector per timestep.  Same parameters and return convention
    as :func:`forward_einsum`: row t of each array is time t.
    """
    f, g = hidden_activation(f), output_activation(g)  # names to functions
    W_xh, W_hh, W_hy, b_h, b_y = check_params(params)
    x = _one_sequence(params, x)  # checked: shape (T, m)
    T, n, k = len(x), params.n, params.k
    x = _padded(x)  # x[t] is x_t; x[0] is NaN
    z = np.full((T + 1, n), np.nan, x.dtype)
    h = np.zeros((T + 1, n), x.dtype)  # h[0] = h_0 = 0: eq. (3.6)
    o = np.full((T + 1, k), np.nan, x.dtype)
    y = np.full((T + 1, k), np.nan, x.dtype)
    for t in range(1, T + 1):
        z[t] = W_hh @ h[t - 1] + W_xh @ x[t] + b_h  # eq. (3.7)
        h[t] = f(z[t])  # eq. (3.8)
        o[t] = W_hy @ h[t] + b_y  # eq. (3.9)
        y[t] = g(o[t])  # eq. (3.10)
    return z, h, o, y


def bptt_matrix(
    params: Params, x, z, h, o, dC_dy, f="tanh", g="softmax"
):
    """Matrix-form BPTT for one sequence; same conventions as :func:`bptt_einsum`.

    Notes
    -----
    e_t = J_g(o_t)^T dC_t/dy_t, computed as a vector-Jacobian product
    (for an element-wise g, dC_t/dy_t * g'(o_t));
    delta_t = (W_hy^T e_t + W_hh^T delta_{t+1}) * f'(z_t), delta_{T+1} = 0;
    dC/dW_hh = sum_t delta_t h_{t-1}^T, dC/dW_xh = sum_t delta_t x_t^T,
    dC/dW_hy = sum_t e_t h_t^T, dC/db_h = sum_t delta_t, dC/db_y = sum_t e_t.
    """
    f_act, g_act = hidden_activation(f), output_activation(g)
    W_xh, W_hh, W_hy, b_h, b_y = check_params(params)
    # checked, and padded with a row for time 0 so that row t is time t
    x, z, h, o, dC_dy = _backward_inputs(params, x, z, h, o, dC_dy)
    T = len(x) - 1
    dW_xh, dW_hh, dW_hy, db_h, db_y = (np.zeros_like(a) for a in params)
    e = np.full((T + 1, params.k), np.nan, x.dtype)
    delta = np.zeros((T + 2, params.n), x.dtype)  # delta[T + 1] = 0
    for t in range(T, 0, -1):
        e[t] = g_act.vjp(o[t], g_act(o[t]), dC_dy[t])  # eq. (5.23)
        dC_dh = W_hy.T @ e[t] + W_hh.T @ delta[t + 1]  # eq. (5.14)
        delta[t] = dC_dh * f_act.deriv(z[t])  # eq. (5.13)
        dW_hy += np.outer(e[t], h[t])  # eq. (5.12)
        db_y += e[t]
        dW_hh += np.outer(delta[t], h[t - 1])  # eq. (5.21)
        dW_xh += np.outer(delta[t], x[t])
        db_h += delta[t]
    delta[0] = np.nan  # there is no delta_0
    return Params(dW_xh, dW_hh, dW_hy, db_h, db_y), e, delta


def time_indexed(a) -> np.ndarray:
    """``a`` of shape (T, d) with a row of NaN prepended, so that row t is time t.

    Parameters
    ----------
    a : array_like of shape (T, d)
        Values at times 1..T, such as x_t, a target, or dC_t/dy_t.

    Returns
    -------
    ndarray of shape (T + 1, d)
        Row 0 is NaN: there is no x_0, no target and no output at time 0.
        Float input keeps its precision; integers become float64.
    """
    a = as_finite_array("a", a)
    if a.ndim != 2 or 0 in a.shape:
        raise ValueError(f"a: expected a 2-D array of shape (T, d) with T, d >= 1, got shape {a.shape}")
    return _padded(a)


def loss_and_grad_reference(params: Params, X, Y, *, loss="mse", f="tanh", g="softmax", form="einsum"):
    """:func:`rnnlib.loss_and_grad`, computed one sequence and one timestep at a time.

    Parameters
    ----------
    form : {"einsum", "matrix"}
        Element-wise (Einstein summation) or matrix-vector form.

    Notes
    -----
    C = (1/N) sum_i C^(i) and grad C = (1/N) sum_i grad C^(i), with
    C^(i) = sum_{t=1}^T C_t^(i).  Cross-entropy uses dC_t/dy_t = -Y_t / y_t
    and the full softmax Jacobian, not the shortcut y_t - Y_t.
    """
    check_params(params)
    check_loss(loss, g)
    if form not in ("einsum", "matrix"):
        raise ValueError(f"form: expected 'einsum' or 'matrix', got {form!r}")
    fwd, bwd = (forward_einsum, bptt_einsum) if form == "einsum" else (forward_matrix, bptt_matrix)
    X, batched = as_sequences(params, X)
    N, T, _ = X.shape
    shape, labels = ((N, T, params.k), "(N, T, k)") if batched else ((T, params.k), "(T, k)")
    Y = check_targets(Y, shape, labels, loss, X.dtype, like=" like y")
    Y = Y if batched else Y[None]
    total_C, total_grad = 0.0, None
    for i in range(N):
        x = X[i]
        z, h, o, y = fwd(params, x, f, g)
        C_i, dC_dy = _cost_and_dC_dy(y, Y[i], o, loss)
        grad_i, _, _ = bwd(params, x, z, h, o, dC_dy, f, g)
        total_C += C_i
        total_grad = grad_i if total_grad is None else total_grad.map(np.add, grad_i)
    return total_C / N, total_grad.map(lambda a: a / N)
