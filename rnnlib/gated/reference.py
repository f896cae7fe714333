"""The gated cells element by element: slow reference forms of rnnlib.gated.lstm and rnnlib.gated.gru.

As :mod:`rnnlib.reference` does for the vanilla RNN, each function here
writes the cell's equations for one sequence and one timestep at a time, the
sums over units spelled by ``einsum``, so that the book can set them beside
the equations and the tests can check the batched code against them.
"""

from __future__ import annotations

import numpy as np

from .._checks import _shape_str, as_finite_array, as_float_array, check_shape
from ..activations import hidden_activation, output_activation, sigmoid
from ..losses import check_loss
from ..reference import _cost_and_dC_dy, _padded, time_indexed
from . import lstm as _lstm
from .gru import GRUParams, check_gru_params
from .gru import _sequences as _gru_sequences

__all__ = ["lstm_forward_einsum", "lstm_bptt_einsum", "lstm_loss_and_grad_einsum",
           "gru_forward_einsum", "gru_bptt_einsum", "gru_loss_and_grad_einsum"]


# --- LSTM ---
# The LSTM cell of rnnlib.lstm, element by element for one sequence: the sums
# over j (hidden units) and l (inputs) spelled by einsum, i free.


def _dsigma(s):
    """sigma'(a) from the gate's value s = sigma(a)."""
    return s * (1 - s)


def lstm_forward_einsum(params, x, g="softmax"):
    """Element-wise LSTM forward pass over one sequence, eqs. (lstm-f)-(lstm-y).

    Parameters
    ----------
    params : rnnlib.lstm.LSTMParams
    x : ndarray of shape (T, m)
    g : str
        Output activation, by name.

    Returns
    -------
    f, i, c_tilde, o, c, h : ndarrays of shape (T + 1, n)
        Gates, candidate and states; row t is time t, c[0] = h[0] = 0 and
        row 0 of the gates is NaN.
    u, y : ndarrays of shape (T + 1, k)
        Output pre-activations and outputs; row 0 is NaN.
    """
    p = _lstm._check_params(params)
    g = output_activation(g)
    x = _one_lstm_sequence(p, x)  # checked: shape (T, m)
    T, n, k = len(x), p.n, p.k
    x = _padded(x)  # x[t] is x_t
    f, i, c_tilde, o = (np.full((T + 1, n), np.nan) for _ in range(4))
    c, h = np.zeros((T + 1, n)), np.zeros((T + 1, n))  # c_0 = h_0 = 0
    u, y = np.full((T + 1, k), np.nan), np.full((T + 1, k), np.nan)

    def pre(W_x, W_h, b, t):  # a^q_i = w_ij h_j^(t-1) + w_il x_l^(t) + b_i
        return (np.einsum("ij,j->i", W_h, h[t - 1])
                + np.einsum("il,l->i", W_x, x[t]) + b)

    for t in range(1, T + 1):
        f[t] = sigmoid(pre(p.W_xf, p.W_hf, p.b_f, t))  # (lstm-f)
        i[t] = sigmoid(pre(p.W_xi, p.W_hi, p.b_i, t))  # (lstm-i)
        c_tilde[t] = np.tanh(pre(p.W_xc, p.W_hc, p.b_c, t))  # (lstm-cand)
        o[t] = sigmoid(pre(p.W_xo, p.W_ho, p.b_o, t))  # (lstm-o)
        c[t] = f[t] * c[t - 1] + i[t] * c_tilde[t]  # (lstm-c), element by element
        h[t] = o[t] * np.tanh(c[t])  # (lstm-h)
        u[t] = np.einsum("ij,j->i", p.W_hy, h[t]) + p.b_y  # (lstm-y)
        y[t] = g(u[t])
    return f, i, c_tilde, o, c, h, u, y


def _one_lstm_sequence(params, x):
    """``x`` as a float array of shape (T, m); ValueError naming ``x`` if not."""
    x = as_float_array("x", x, dtype=params.dtype)
    if x.ndim != 2:
        raise ValueError(
            f"x: expected one sequence of shape (T, m) with m = {params.m}, "
            f"got {x.ndim}-D shape {_shape_str(x.shape)}"
        )
    return _lstm._as_sequences(params, x, name="x")[0][0]


def lstm_bptt_einsum(params, x, states, dC_dy, g="softmax"):
    """Element-wise LSTM BPTT for one sequence, eqs. (lstm-dh)-(lstm-dcand).

    Parameters
    ----------
    params : rnnlib.lstm.LSTMParams
    x : ndarray of shape (T, m)
    states : tuple
        What :func:`lstm_forward_einsum` returned for ``x``.
    dC_dy : ndarray of shape (T, k)
        dC_t/dy_t for t = 1..T.

    Returns
    -------
    grads : rnnlib.lstm.LSTMParams
    signals : dict of ndarrays with T + 2 rows
        "e" (k columns), "h", "c", "f", "i", "c_tilde", "o" (n columns):
        row t is time t, row 0 NaN, row T + 1 zero.

    Notes
    -----
    e_i^(t) = (dC_t/dy_j) J_ji;
    dh_i^(t) = w_ji^(hy) e_j^(t) + sum over the layers q of w_ji^(hq) delta^q_j^(t+1);
    dc_i^(t) = dh_i^(t) o_i^(t) tanh'(c_i^(t)) + dc_i^(t+1) f_i^(t+1);
    then each gate's delta (element by element) and
    dC/dw_ij^(hq) = sum_t delta^q_i^(t) h_j^(t-1), dC/dw_il^(xq) = sum_t delta^q_i^(t) x_l^(t).
    """
    p = params
    g_act = output_activation(g)
    f, i, c_tilde, o, c, h, u, y = states
    x, dC_dy = time_indexed(x), time_indexed(dC_dy)  # row t is time t
    T, n, k = len(x) - 1, p.n, p.k
    grads = {name: np.zeros_like(a) for name, a in p.items()}
    s = {q: np.zeros((T + 2, n))  # the signals by name; row T + 1: zero
         for q in ("h", "c", "f", "i", "c_tilde", "o")}
    s["e"] = np.zeros((T + 2, k))
    f = np.vstack([f, np.zeros((1, n))])  # f_{T+1} meets delta^c_{T+1} = 0
    # (the letter in W_h*, W_x*, b_*; the signal's name)
    gates = (("f", "f"), ("i", "i"), ("c", "c_tilde"), ("o", "o"))
    for t in range(T, 0, -1):
        J = g_act.jacobian(u[t])  # J[j, i] = dy_j / du_i
        s["e"][t] = np.einsum("j,ji->i", dC_dy[t], J)  # e_t = J^T dC_t/dy_t
        s["h"][t] = np.einsum("ji,j->i", p.W_hy, s["e"][t]) + sum(  # (lstm-dh)
            np.einsum("ji,j->i", getattr(p, f"W_h{q}"), s[d][t + 1])
            for q, d in gates
        )
        s["c"][t] = (  # (lstm-dc): through h_t, and along the cell path
            s["h"][t] * o[t] * (1 - np.tanh(c[t]) ** 2) + s["c"][t + 1] * f[t + 1]
        )
        s["o"][t] = s["h"][t] * np.tanh(c[t]) * _dsigma(o[t])  # (lstm-do)
        s["f"][t] = s["c"][t] * c[t - 1] * _dsigma(f[t])  # (lstm-df)
        s["i"][t] = s["c"][t] * c_tilde[t] * _dsigma(i[t])  # (lstm-di)
        s["c_tilde"][t] = s["c"][t] * i[t] * (1 - c_tilde[t] ** 2)  # (lstm-dcand)
        for q, d in gates:
            grads[f"W_x{q}"] += np.einsum("i,l->il", s[d][t], x[t])
            grads[f"W_h{q}"] += np.einsum("i,j->ij", s[d][t], h[t - 1])
            grads[f"b_{q}"] += s[d][t]
        grads["W_hy"] += np.einsum("i,j->ij", s["e"][t], h[t])
        grads["b_y"] += s["e"][t]
    for a in s.values():
        a[0] = np.nan  # there is no step 0
    return _lstm.LSTMParams(**grads), s


def lstm_loss_and_grad_einsum(params, X, Y, *, loss="mse", g="softmax"):
    """:func:`rnnlib.lstm.loss_and_grad`, one sequence and one timestep at a time.

    Notes
    -----
    C = (1/N) sum_i C^(i) and grad C = (1/N) sum_i grad C^(i); cross-entropy
    uses dC_t/dy_t = -Y_t / y_t and the full softmax Jacobian.
    """
    _lstm._check_params(params)
    check_loss(loss, g)
    X, batched = _lstm._as_sequences(params, X)
    N, T, _ = X.shape
    Y = as_finite_array("Y", Y, dtype=params.dtype)
    Y = Y if batched else Y[None]
    if Y.shape != (N, T, params.k):
        raise ValueError(f"Y: expected shape {(N, T, params.k)} like y, got {_shape_str(Y.shape)}")
    total_C, total_grad = 0.0, None
    for n_ in range(N):
        states = lstm_forward_einsum(params, X[n_], g)
        u, y = states[6], states[7]
        C_i, dC_dy = _cost_and_dC_dy(y, Y[n_], u, loss)
        grad_i, _ = lstm_bptt_einsum(params, X[n_], states, dC_dy, g)
        total_C += C_i
        total_grad = grad_i if total_grad is None else total_grad.map(np.add, grad_i)
    return total_C / N, total_grad.map(lambda a: a / N)


# --- GRU ---


def _gru_sequence(params, x):
    """``x`` as one float sequence of shape (T, m) for the GRU ``params``; ValueError naming ``x`` if not."""
    check_gru_params(params)
    a = as_float_array("x", x, dtype=params.dtype)
    if a.ndim != 2:
        raise ValueError(
            f"x: expected one sequence of shape (T, m) with m = {params.m}, got {a.ndim}-D shape {_shape_str(a.shape)}"
        )
    return _gru_sequences(params, a, name="x")[0][0]


def _gru_forward_arrays(forward, T, n, k):
    """The six arrays of :func:`gru_forward_einsum`, checked against T, n and k."""
    if not isinstance(forward, (tuple, list)) or len(forward) != 6:
        raise TypeError(
            f"forward: expected the tuple (z, r, h_tilde, h, o, y) returned by gru_forward_einsum, "
            f"got {type(forward).__name__}"
        )
    arrays = []
    for name, a, size in zip(("z", "r", "h_tilde", "h", "o", "y"), forward, (n, n, n, n, k, k)):
        a = as_float_array(f"forward.{name}", a)
        arrays.append(check_shape(f"forward.{name}", a, (T + 1, size), "(T + 1, n or k)"))
    return arrays


def gru_forward_einsum(params, x, g="softmax"):
    """Element-wise forward pass of the GRU over one sequence.

    Parameters
    ----------
    params : rnnlib.gru.GRUParams
    x : ndarray of shape (T, m)
    g : str
        Output activation, by name.

    Returns
    -------
    z, r, h_tilde, h, o, y : ndarrays with T + 1 rows, row t is time t
        Shapes (T+1, n) for the first four, (T+1, k) for o and y; h[0] is
        h_0 = 0, and row 0 of the others is NaN.

    Notes
    -----
    z_i = sigma(w_il^(xz) x_l + w_ij^(hz) h_j^(t-1) + b_i^(z)), r_i likewise,
    h~_i = tanh(w_il^(xh) x_l + w_ij^(hh) r_j h_j^(t-1) + b_i^(h)),
    h_i^(t) = z_i h_i^(t-1) + (1 - z_i) h~_i  (no sum over i).
    """
    g = output_activation(g)
    sigma = hidden_activation("sigmoid")
    x = _padded(_gru_sequence(params, x))  # x[t] is x_t
    T, n, k = len(x) - 1, params.n, params.k
    z, r, h_tilde = (np.full((T + 1, n), np.nan) for _ in range(3))
    h = np.zeros((T + 1, n))  # h[0] = h_0 = 0
    o, y = np.full((T + 1, k), np.nan), np.full((T + 1, k), np.nan)
    p = params
    for t in range(1, T + 1):
        z[t] = sigma(np.einsum("il,l->i", p.W_xz, x[t])
                     + np.einsum("ij,j->i", p.W_hz, h[t - 1]) + p.b_z)
        r[t] = sigma(np.einsum("il,l->i", p.W_xr, x[t])
                     + np.einsum("ij,j->i", p.W_hr, h[t - 1]) + p.b_r)
        h_tilde[t] = np.tanh(np.einsum("il,l->i", p.W_xh, x[t])
                             + np.einsum("ij,j->i", p.W_hh, r[t] * h[t - 1])
                             + p.b_h)
        h[t] = z[t] * h[t - 1] + (1 - z[t]) * h_tilde[t]
        o[t] = np.einsum("ij,j->i", p.W_hy, h[t]) + p.b_y
        y[t] = g(o[t])
    return z, r, h_tilde, h, o, y


def gru_bptt_einsum(params, x, forward, dC_dy, g="softmax"):
    """Element-wise BPTT of the GRU for one sequence.

    Parameters
    ----------
    params : rnnlib.gru.GRUParams
    x : ndarray of shape (T, m)
    forward : tuple
        (z, r, h_tilde, h, o, y) from :func:`gru_forward_einsum`.
    dC_dy : ndarray of shape (T, k)
        dC_t/dy_t for t = 1..T.

    Returns
    -------
    grads : rnnlib.gru.GRUParams
    signals : dict of ndarrays with T + 1 rows, row t is time t
        ``e``, ``delta_h`` (dC/dh_t; row 0 is dC/dh_0), ``delta_z``,
        ``delta_r``, ``delta_h_tilde`` (dC/da^h~_t, the candidate's).

    Notes
    -----
    delta^h_i = w_ji^(hy) e_j^(t) + (what step t+1 sends back);
    delta^h~_i = delta^h_i (1 - z_i)(1 - h~_i^2),
    delta^z_i = delta^h_i (h_i^(t-1) - h~_i) z_i (1 - z_i),
    delta^r_i = (w_ji^(hh) delta^h~_j) h_i^(t-1) r_i (1 - r_i);
    sent back: delta^h_i z_i + (w_ji^(hh) delta^h~_j) r_i + w_ji^(hz) delta^z_j
    + w_ji^(hr) delta^r_j.
    """
    g_act = output_activation(g)
    x = _gru_sequence(params, x)  # checked: shape (T, m)
    T, n, p = len(x), params.n, params
    z, r, h_tilde, h, o, y = _gru_forward_arrays(forward, T, n, params.k)
    dC_dy = as_finite_array("dC_dy", dC_dy, shape=(T, params.k), labels="(T, k)", why=" like y")
    x, dC_dy = _padded(x), _padded(dC_dy)  # row t is time t
    grad = {name: np.zeros_like(a) for name, a in params.items()}
    e = np.full((T + 1, params.k), np.nan)
    dh, d_z, d_r, d_ht = (np.full((T + 1, n), np.nan) for _ in range(4))
    from_next = np.zeros(n)  # nothing comes back from step T + 1
    for t in range(T, 0, -1):
        J = g_act.jacobian(o[t])  # J[j, i] = dy_j / do_i
        e[t] = np.einsum("j,ji->i", dC_dy[t], J)
        dh[t] = np.einsum("ji,j->i", p.W_hy, e[t]) + from_next
        d_ht[t] = dh[t] * (1 - z[t]) * (1 - h_tilde[t] ** 2)
        d_z[t] = dh[t] * (h[t - 1] - h_tilde[t]) * z[t] * (1 - z[t])
        rh = np.einsum("ji,j->i", p.W_hh, d_ht[t])  # dC/d(r_t h_{t-1})
        d_r[t] = rh * h[t - 1] * r[t] * (1 - r[t])
        from_next = (dh[t] * z[t] + rh * r[t]  # the four paths into h_{t-1}
                     + np.einsum("ji,j->i", p.W_hz, d_z[t])
                     + np.einsum("ji,j->i", p.W_hr, d_r[t]))
        for gate, d in (("z", d_z[t]), ("r", d_r[t]), ("h", d_ht[t])):
            grad[f"W_x{gate}"] += np.einsum("i,l->il", d, x[t])
            grad[f"b_{gate}"] += d
        grad["W_hz"] += np.einsum("i,j->ij", d_z[t], h[t - 1])
        grad["W_hr"] += np.einsum("i,j->ij", d_r[t], h[t - 1])
        grad["W_hh"] += np.einsum("i,j->ij", d_ht[t], r[t] * h[t - 1])
        grad["W_hy"] += np.einsum("i,j->ij", e[t], h[t])
        grad["b_y"] += e[t]
    dh[0] = from_next  # dC/dh_0
    signals = dict(e=e, delta_h=dh, delta_z=d_z, delta_r=d_r, delta_h_tilde=d_ht)
    return GRUParams(**grad), signals


def gru_loss_and_grad_einsum(params, X, Y, *, loss="mse", g="softmax"):
    """:func:`rnnlib.gru.loss_and_grad`, one sequence and one timestep at a time.

    Notes
    -----
    C = (1/N) sum_i C^(i) and grad C = (1/N) sum_i grad C^(i), with the
    cross-entropy's dC_t/dy_t = -Y_t / y_t and the full Jacobian of g.
    """
    check_gru_params(params)
    check_loss(loss, g)
    X, batched = _gru_sequences(params, X)
    N, T, _ = X.shape
    Y = as_finite_array("Y", Y, dtype=params.dtype)
    Y = Y if batched else Y[None]
    if Y.shape != (N, T, params.k):
        raise ValueError(f"Y: expected shape (N, T, k) = {(N, T, params.k)} like y, got {_shape_str(Y.shape)}")
    total_C, total_grad = 0.0, None
    for i in range(N):
        fwd = gru_forward_einsum(params, X[i], g)
        C_i, dC_dy = _cost_and_dC_dy(fwd[5], Y[i], fwd[4], loss)
        grad_i, _ = gru_bptt_einsum(params, X[i], fwd, dC_dy, g)
        total_C += C_i
        total_grad = grad_i if total_grad is None else total_grad.map(np.add, grad_i)
    return total_C / N, total_grad.map(lambda a: a / N)
