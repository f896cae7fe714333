"""How far back gradients reach: Jacobian products and cost-to-state sensitivities.

The state at one step depends on the state before through

    dh_t / dh_{t-1} = diag(f'(z_t)) W_hh =: J_t        (an n x n matrix),

so the state at step t depends on an earlier state h_s through the product

    dh_t / dh_s = J_t J_{t-1} ... J_{s+1}.

Every error signal that BPTT sends from step t back to step s is multiplied
by the transpose of this product.  Its size decides whether gradients vanish
(the product shrinks geometrically with the lag t - s) or explode (it grows).
The functions here compute these quantities for one sequence.
"""

from __future__ import annotations

import numpy as np

from ._checks import _shape_str, as_float_array, check_finite, check_params, check_positive
from .activations import hidden_activation
from .forward_pass import ForwardCache, forward
from .losses import check_cache, check_loss, cost_and_error_tm
from .params import Params

__all__ = [
    "spectral_radius",
    "with_spectral_radius",
    "step_jacobians",
    "jacobian_product_norms",
    "cost_state_sensitivity",
]


def spectral_radius(W) -> float:
    """Largest absolute eigenvalue of a square matrix."""
    W = as_float_array("W", W)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(f"W: expected a square matrix of shape (n, n) with n >= 1, got shape {_shape_str(W.shape)}")
    check_finite("W", W)
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def with_spectral_radius(params: Params, rho: float) -> Params:
    """``params`` with W_hh rescaled so that its spectral radius is ``rho``."""
    check_params(params)
    rho = check_positive("rho", rho, allow_zero=True)
    current = spectral_radius(params.W_hh)
    if current == 0:
        raise ValueError("params.W_hh: has spectral radius 0 and cannot be rescaled")
    W_hh = params.W_hh * np.asarray(rho / current, params.dtype)
    return Params(params.W_xh, W_hh, params.W_hy, params.b_h, params.b_y)


def _single(cache, params=None) -> ForwardCache:
    check_cache(cache)
    if params is not None:
        check_params(params)
        n, k, m = cache.h_tm.shape[2], cache.y_tm.shape[2], cache.x_tm.shape[2]
        if (params.m, params.n, params.k) != (m, n, k):
            raise ValueError(
                f"cache: expected a forward pass of params with (m, n, k) = {(params.m, params.n, params.k)}, "
                f"got one with {(m, n, k)}"
            )
    if cache.batched:
        raise ValueError(f"cache: expected the forward pass of one sequence (T, m), got a batch of N = {cache.N}")
    return cache


def step_jacobians(params: Params, cache: ForwardCache) -> np.ndarray:
    """J_t = dh_t/dh_{t-1} = diag(f'(z_t)) W_hh for t = 1..T.

    Parameters
    ----------
    params : Params
        The parameters the forward pass used.
    cache : ForwardCache
        From :func:`rnnlib.forward` on one sequence.

    Returns
    -------
    ndarray of shape (T + 1, n, n), in the dtype of the forward pass
        Row t is J_t; row 0 (there is no J_0) is NaN.
    """
    _single(cache, params)
    fprime = hidden_activation(cache.f).deriv_from_output(cache.h_tm[1:, 0])  # (T, n): f'(z_t)
    J = np.full((cache.T + 1, params.n, params.n), np.nan, cache.dtype)
    J[1:] = fprime[:, :, None] * params.W_hh[None]
    return J


def jacobian_product_norms(params: Params, cache: ForwardCache) -> np.ndarray:
    """Spectral norms ||dh_T/dh_s||_2 for s = 0..T (the last entry, s = T, is 1).

    Returns
    -------
    ndarray of shape (T + 1,)
        Entry s is the norm of J_T J_{T-1} ... J_{s+1}; the lag is T - s.
    """
    J = step_jacobians(params, cache)
    T, n = cache.T, params.n
    norms = np.empty(T + 1, J.dtype)
    product = np.eye(n, dtype=J.dtype)
    norms[T] = 1.0
    for s in range(T - 1, -1, -1):
        product = product @ J[s + 1]  # dh_T/dh_s = (dh_T/dh_{s+1}) J_{s+1}
        norms[s] = np.linalg.norm(product, 2)
    return norms


def cost_state_sensitivity(params: Params, X, Y, *, loss: str = "mse", f: str = "tanh", g: str = "softmax"):
    """S[t, s] = ||dC_t / dh_s||_2: how strongly the cost at step t depends on the state at step s.

    Parameters
    ----------
    params : Params
    X : array_like of shape (T, m)
        One sequence.
    Y : array_like of shape (T, k)

    Returns
    -------
    ndarray of shape (T + 1, T + 1)
        Rows t = 1..T, columns s = 0..T; zero where s > t (the future cannot
        affect the past), and row 0 (there is no C_0) is NaN.

    Notes
    -----
    dC_t/dh_t = W_hy^T e_t, and dC_t/dh_{s-1} = W_hh^T (f'(z_s) * dC_t/dh_s).
    """
    check_params(params)
    check_loss(loss, g)
    cache = forward(params, X, f=f, g=g)
    if cache.batched:
        raise ValueError(f"X: expected one sequence of shape (T, m), got a batch of shape {_shape_str(cache.x.shape)}")
    _, e = cost_and_error_tm(cache, Y, loss)  # e[t] is e_t (N = 1, so no averaging)
    fprime = hidden_activation(f).deriv_from_output(cache.h_tm[:, 0])  # row s is f'(z_s)
    T = cache.T
    S = np.zeros((T + 1, T + 1), cache.dtype)
    S[0] = np.nan
    for t in range(1, T + 1):
        u = params.W_hy.T @ e[t, 0]  # dC_t/dh_t
        S[t, t] = np.linalg.norm(u)
        for s in range(t, 0, -1):
            u = params.W_hh.T @ (fprime[s] * u)  # dC_t/dh_{s-1}
            S[t, s - 1] = np.linalg.norm(u)
    return S


def mean_derivative(cache: ForwardCache) -> float:
    """E[f'(z_t)]: the slope of f averaged over the units and the steps t = 1..T.

    With it, rho(W_hh) * E[f'(z)] is a rough per-step gain of the Jacobian
    product: the factor by which ||dh_T/dh_s|| changes per step of lag when
    the slopes are spread evenly (they are not, so it is only a guide).

    Parameters
    ----------
    cache : ForwardCache
        The forward pass of one sequence or a batch.

    Returns
    -------
    float
        The mean of f'(z_t) over t = 1..T, the n units and the N sequences.
    """
    check_cache(cache)
    return float(np.mean(hidden_activation(cache.f).deriv_from_output(cache.h_tm[1:])))


def tbptt_backward_steps(T: int, k1: int, k2: int) -> int:
    """How many backward steps TBPTT(k1, k2) takes on a sequence of T steps.

    One backward step is one application of the recursion
    delta_{t-1} = W_hh^T delta_t * f'(z_{t-1}) plus the gradient terms of
    that step.  :func:`rnnlib.truncated.truncated_gradient` sums its windows:
    each block of k1 steps (the last may be shorter) is backpropagated
    through itself and the k2 - k1 steps before it, as far back as t = 1.

    Returns
    -------
    int
        The summed window lengths.  Full BPTT takes T; TBPTT(k, k) takes T
        (the same arithmetic, cut into chunks); TBPTT(1, k) takes
        T k - k (k - 1) / 2 for k <= T.
    """
    from ._checks import check_int

    T, k1, k2 = check_int("T", T), check_int("k1", k1), check_int("k2", k2)
    if k2 < k1:
        raise ValueError(f"k2: expected k2 >= k1 = {k1}, got {k2}")
    # truncated_gradient's windows: block b = 0, 1, ..., B - 1 sends t = b k1 + 1 ..
    # min((b + 1) k1, T) and reaches back min(k2 - k1, b k1) steps before it.
    # The blocks cover T steps; the reaches sum to k1 (0 + 1 + ... + (b0 - 1))
    # over the first b0 = ceil((k2 - k1) / k1) blocks and k2 - k1 after them.
    blocks, reach = -(-T // k1), k2 - k1
    short = min(blocks, -(-reach // k1))
    return T + k1 * short * (short - 1) // 2 + reach * (blocks - short)


__all__ += ["mean_derivative", "tbptt_backward_steps"]
