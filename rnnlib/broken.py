"""A gallery of wrong gradients, kept so that the gradient check can be seen to fail.

Each function has the signature of :func:`rnnlib.loss_and_grad` and returns
the right cost with a gradient that contains one classic mistake:

=============================  ==============================================================
``h_t_for_h_prev``             dC/dW_hh = sum_t delta_t h_t^T, instead of h_{t-1}^T
``no_future_term``             delta_t = W_hy^T e_t * f'(z_t): the W_hh^T delta_{t+1} term dropped
``elementwise_softmax``        e_t = dC/dy_t * g'(o_t) with softmax' taken as y (1 - y), as the
                               notes write it: the diagonal of the Jacobian only
``clipped``                    the gradient clipped to norm 0.1 inside the gradient function
``no_batch_average``           the sum over the batch, not the average (1/N) sum_i grad C^(i)
=============================  ==============================================================

None of these is used for training.  They are written as one routine with
one switch per mistake around the library's own backward pass, so that each
variant differs from the correct computation in exactly one place.
"""

from __future__ import annotations

import numpy as np

from .activations import hidden_activation
from .backprop import Signals, backward_tm, delta_recursion, gradients
from .forward_pass import forward
from .losses import cost_and_error_tm, dC_dy_tm, target_tm
from .optim import clip_by_global_norm
from .params import Params

__all__ = ["VARIANTS", "h_t_for_h_prev", "no_future_term", "elementwise_softmax", "clipped", "no_batch_average"]


def _loss_and_grad_variant(
    params, X, Y, *, loss, f, g, h_t_for_h_prev=False, future=True, elementwise_softmax=False, clip=None, average=True
):
    cache = forward(params, X, f=f, g=g)
    C, e = cost_and_error_tm(cache, Y, loss)
    if elementwise_softmax and g == "softmax":
        y = cache.y_tm[1:]
        dC_dy = dC_dy_tm(cache, target_tm(cache, Y, loss), loss)
        e[1:] = dC_dy * y * (1 - y)  # BUG: not J^T dC/dy
    if not average:
        e[1:] *= cache.N  # BUG: undoes the 1/N of the batch average

    if future:
        signals = backward_tm(params, cache, e)
    else:  # BUG: each step alone, as if delta_{t+1} were 0 for every t
        fprime = hidden_activation(f).deriv_from_output
        delta = np.empty((cache.T + 1, cache.N, params.n), cache.dtype)
        delta[1:] = e[1:] @ params.W_hy
        for t in range(1, cache.T + 1):
            delta_recursion(params.W_hh, fprime, cache.h_tm, delta[t : t + 1], t, t, None)
        signals = Signals(e, delta, cache)
    delta, n = signals.delta_tm, params.n

    grads = gradients(cache, signals)
    if h_t_for_h_prev:  # BUG: pairs delta_t with h_t instead of h_{t-1}
        W_hh = delta[1:].reshape(-1, n).T @ cache.h_tm[1:].reshape(-1, n)
        grads = Params(grads.W_xh, W_hh, grads.W_hy, grads.b_h, grads.b_y)
    if clip is not None:  # BUG: a clipped gradient is not the gradient
        grads, _ = clip_by_global_norm(grads, clip)
    return C, grads


def h_t_for_h_prev(params, X, Y, *, loss="mse", f="tanh", g="softmax"):
    """dC/dW_hh = sum_t delta_t h_t^T (should be h_{t-1})."""
    return _loss_and_grad_variant(params, X, Y, loss=loss, f=f, g=g, h_t_for_h_prev=True)


def no_future_term(params, X, Y, *, loss="mse", f="tanh", g="softmax"):
    """delta_t = W_hy^T e_t * f'(z_t), forgetting W_hh^T delta_{t+1}."""
    return _loss_and_grad_variant(params, X, Y, loss=loss, f=f, g=g, future=False)


def elementwise_softmax(params, X, Y, *, loss="mse", f="tanh", g="softmax"):
    """e_t = dC/dy_t * y_t (1 - y_t): the notes' element-wise formula applied to softmax."""
    return _loss_and_grad_variant(params, X, Y, loss=loss, f=f, g=g, elementwise_softmax=True)


def clipped(params, X, Y, *, loss="mse", f="tanh", g="softmax", max_norm=0.1):
    """The gradient clipped to global norm ``max_norm`` before it is returned."""
    return _loss_and_grad_variant(params, X, Y, loss=loss, f=f, g=g, clip=max_norm)


def no_batch_average(params, X, Y, *, loss="mse", f="tanh", g="softmax"):
    """sum_i grad C^(i) instead of (1/N) sum_i grad C^(i)."""
    return _loss_and_grad_variant(params, X, Y, loss=loss, f=f, g=g, average=False)


#: every broken variant, by name
VARIANTS = {
    fn.__name__: fn for fn in (h_t_for_h_prev, no_future_term, elementwise_softmax, clipped, no_batch_average)
}


# --- LSTM ---
# Wrong LSTM gradients, with the signature of rnnlib.gated.lstm.loss_and_grad.  Each
# reruns the library's own backward recursion with exactly one line changed.

from .gated import lstm as _lstm  # noqa: E402  (the LSTM section of this file)


def _lstm_variant(params, X, Y, *, loss, g, forget_on_cell_path=True, tanh_prime_in_dc=True, h_prev=True):
    cache = _lstm.forward(params, X, g=g)
    C, e = cost_and_error_tm(cache.output_layer(), Y, loss)
    T, n = cache.T, params.n
    _, W_h, _ = _lstm._stacked(params, cache.dtype)
    A, c, h = cache.gates_tm, cache.c_tm, cache.h_tm
    dh = e[1:] @ params.W_hy.astype(cache.dtype, copy=False)  # W_hy^T e_t
    dh = np.concatenate([np.full_like(dh[:1], np.nan), dh])
    dc = np.empty_like(dh)
    D = np.full((T + 1, cache.N, 4 * n), np.nan, cache.dtype)
    for t in range(T, 0, -1):
        f_t, i_t, c_tilde, o_t = (A[t, :, j * n : (j + 1) * n] for j in range(4))
        if t < T:
            dh[t] += D[t + 1] @ W_h
        tanh_c = np.tanh(c[t])
        # BUG (tanh_prime_in_dc=False): delta^h_t * o_t, without tanh'(c_t)
        dc[t] = dh[t] * o_t * ((1 - tanh_c**2) if tanh_prime_in_dc else 1.0)
        if t < T:
            # BUG (forget_on_cell_path=False): + delta^c_{t+1}, without f_{t+1}
            dc[t] += dc[t + 1] * (A[t + 1, :, :n] if forget_on_cell_path else 1.0)
        D[t, :, 3 * n :] = dh[t] * tanh_c * o_t * (1 - o_t)
        D[t, :, :n] = dc[t] * c[t - 1] * f_t * (1 - f_t)
        D[t, :, n : 2 * n] = dc[t] * c_tilde * i_t * (1 - i_t)
        D[t, :, 2 * n : 3 * n] = dc[t] * i_t * (1 - c_tilde**2)
    grads = _lstm.gradients(cache, _lstm.LSTMSignals(e, dh, dc, D, cache))
    if not h_prev:  # BUG: dC/dW_hq = sum_t delta^q_t h_t^T, the state the gates produced, not the one they read
        dW_h = D[1:].reshape(-1, 4 * n).T @ h[1:].reshape(-1, n)
        fixed = {f"W_h{a}": dW_h[j * n : (j + 1) * n] for j, a in enumerate(_lstm.GATES)}
        grads = _lstm.LSTMParams(**{name: fixed.get(name, a) for name, a in grads.items()})
    return C, grads


def lstm_no_forget_on_cell_path(params, X, Y, *, loss="mse", g="softmax"):
    """delta^c_t = ... + delta^c_{t+1}: the factor f_{t+1} on the cell path dropped."""
    return _lstm_variant(params, X, Y, loss=loss, g=g, forget_on_cell_path=False)


def lstm_no_tanh_prime(params, X, Y, *, loss="mse", g="softmax"):
    """delta^c_t = delta^h_t * o_t + ...: tanh'(c_t) forgotten on the way from h_t to c_t."""
    return _lstm_variant(params, X, Y, loss=loss, g=g, tanh_prime_in_dc=False)


def lstm_h_t_for_h_prev(params, X, Y, *, loss="mse", g="softmax"):
    """dC/dW_hq = sum_t delta^q_t h_t^T (should be h_{t-1}), for every layer q."""
    return _lstm_variant(params, X, Y, loss=loss, g=g, h_prev=False)


#: the LSTM's broken variants, by name (signature of rnnlib.gated.lstm.loss_and_grad)
LSTM_VARIANTS = {fn.__name__: fn for fn in (lstm_no_forget_on_cell_path, lstm_no_tanh_prime, lstm_h_t_for_h_prev)}
__all__ += ["LSTM_VARIANTS", *LSTM_VARIANTS]


# --- GRU ---
#
# Wrong GRU gradients, each with the signature of rnnlib.gated.gru.loss_and_grad:
#
# ======================  ===================================================================
# ``gru_reset_after``     the backward pass of r_t * (W_hh h_{t-1}): the reset gate on the
#                         wrong side of the product (PyTorch's placement), while the forward
#                         pass computes W_hh (r_t * h_{t-1})
# ``gru_swapped_update``  delta^z_t with (h~_t - h_{t-1}) for (h_{t-1} - h~_t): the other
#                         convention, h_t = (1 - z_t) h_{t-1} + z_t h~_t, in the backward pass
# ``gru_no_direct_path``  the path delta^h_t * z_t from h_t straight back to h_{t-1} dropped
# ======================  ===================================================================
#
# One routine with one switch per mistake around rnnlib.gated.gru's forward pass and
# gradients; with every switch off it is rnnlib.gated.gru.loss_and_grad.

from .gated import gru as _gru  # noqa: E402


def _gru_loss_and_grad_variant(params, X, Y, *, loss, g, h0=None, reset_after=False, swapped_update=False,
                               direct=True):
    cache = _gru.forward(params, X, g=g, h0=h0)
    C, e = cost_and_error_tm(cache, Y, loss)
    T, N, n = cache.T, cache.N, params.n
    h, z, r, cand = cache.h_tm, cache.z_tm, cache.r_tm, cache.h_tilde_tm
    p = params.astype(cache.dtype)
    dh = np.empty((T + 1, N, n), cache.dtype)
    delta = np.full((T + 1, N, 3 * n), np.nan, cache.dtype)
    dh[1:] = e[1:] @ p.W_hy
    back = 0.0
    for t in range(T, 0, -1):
        dh[t] += back
        d_ht = dh[t] * (1 - z[t]) * (1 - cand[t] ** 2)
        sign = -1.0 if swapped_update else 1.0  # BUG if -1: the other convention's derivative
        d_z = sign * dh[t] * (h[t - 1] - cand[t]) * z[t] * (1 - z[t])
        if reset_after:  # BUG: differentiates r_t * (W_hh h_{t-1})
            d_r = d_ht * (h[t - 1] @ p.W_hh.T) * r[t] * (1 - r[t])
            through_cand = (d_ht * r[t]) @ p.W_hh
        else:
            rh = d_ht @ p.W_hh
            d_r = rh * h[t - 1] * r[t] * (1 - r[t])
            through_cand = rh * r[t]
        direct_term = dh[t] * z[t] if direct else 0.0  # BUG if dropped
        back = direct_term + through_cand + d_z @ p.W_hz + d_r @ p.W_hr
        delta[t] = np.concatenate([d_z, d_r, d_ht], axis=-1)
    dh[0] = back
    grads = _gru.gradients(cache, _gru.GRUSignals(e, dh, delta, cache))
    if reset_after:  # BUG: dC/dW_hh = sum_t (delta^h~_t * r_t) h_{t-1}^T
        D_ht = (delta[1:, :, 2 * n :] * r[1:]).reshape(-1, n)
        grads = _gru.GRUParams(*(D_ht.T @ h[:T].reshape(-1, n) if name == "W_hh" else a for name, a in grads.items()))
    return C, grads


def gru_reset_after(params, X, Y, *, loss="mse", g="softmax"):
    """The backward pass of r_t * (W_hh h_{t-1}) for a forward pass of W_hh (r_t * h_{t-1})."""
    return _gru_loss_and_grad_variant(params, X, Y, loss=loss, g=g, reset_after=True)


def gru_swapped_update(params, X, Y, *, loss="mse", g="softmax"):
    """delta^z_t = delta^h_t * (h~_t - h_{t-1}) * z_t (1 - z_t): the sign of the other convention."""
    return _gru_loss_and_grad_variant(params, X, Y, loss=loss, g=g, swapped_update=True)


def gru_no_direct_path(params, X, Y, *, loss="mse", g="softmax"):
    """dC/dh_{t-1} without delta^h_t * z_t, the path that carries the state unchanged."""
    return _gru_loss_and_grad_variant(params, X, Y, loss=loss, g=g, direct=False)


#: every broken GRU variant, by name
GRU_VARIANTS = {fn.__name__: fn for fn in (gru_reset_after, gru_swapped_update, gru_no_direct_path)}
__all__ += ["GRU_VARIANTS", *GRU_VARIANTS]
