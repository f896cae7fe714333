"""Checking a gradient against finite differences over v = vec(params).

Three stencils estimate each entry dC/dv_p, with u_p the p-th unit vector:

* ``"forward"`` (one-sided): (C(v + eps u_p) - C(v)) / eps, error O(eps);
* ``"central"``: (C(v + eps u_p) - C(v - eps u_p)) / (2 eps), error O(eps^2);
* ``"central4"``: (8 [C(v + eps u_p) - C(v - eps u_p)] - [C(v + 2 eps u_p) -
  C(v - 2 eps u_p)]) / (12 eps), error O(eps^4): the central difference with
  its eps^2 error term cancelled (Richardson extrapolation).

Each also suffers round-off of order (machine eps) * |C| / eps, so every
stencil has a best eps: about 1e-8, 1e-5 and 1e-3 in float64.  The
analytic and numerical gradients are compared entry by entry with

    r_p = |a_p - d_p| / max(|a_p| + |d_p|, floor),

where the floor is a ten-thousandth of the largest |d_q|.  Without it an
entry that is zero in both would divide 0 by 0, and an entry far smaller than
the rest would be judged against the round-off of the finite differences
rather than against the gradient.  With ``"central4"`` a correct BPTT in
float64 gives a largest r_p of about 1e-8 or below, while every bug in the
book's bug gallery gives 1e-2 or more.
ReLU has a kink at 0: no stencil is valid when a step of size 2 eps moves a
pre-activation across it, so check ReLU networks on data that keeps every
z_t away from 0.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._checks import as_finite_array, check_callable, check_choice, check_positive
from .backprop import loss_and_grad
from .forward_pass import check_params, forward
from .losses import cost
from .params import Params, unvec, vec

__all__ = ["numerical_derivative", "numerical_gradient", "relative_error", "GradCheck", "check_gradient"]


STENCILS = {"forward": 1e-8, "central": 1e-5, "central4": 1e-3}  # stencil: default eps


def _finite_scalar(c, p: int, step: float, shape: tuple):
    """Check that fn returned a finite real number; return it unchanged."""
    a = np.asarray(c)
    if a.ndim != 0 or a.dtype.kind not in "fiub":
        got = f"an array of shape {a.shape}" if a.ndim else type(c).__name__
        raise TypeError(f"fn: expected it to return a real number, got {got}")
    if not np.isfinite(a):
        where = tuple(int(i) for i in np.unravel_index(p, shape)) if shape else ()
        raise ValueError(f"fn: expected a finite result, got {c} with x{list(where)} moved by {step:g}")
    return c


def numerical_derivative(fn: Callable[[np.ndarray], float], x, *, stencil: str = "central4", eps: float | None = None):
    """Finite-difference derivative of a scalar function with respect to every entry of an array.

    Parameters
    ----------
    fn : callable
        ndarray -> float.
    x : array_like
        Where to differentiate; not modified.
    stencil : {"central4", "central", "forward"}
        Which difference quotient (see the module docstring).
    eps : float, optional
        Step size; by default the stencil's best step in float64.

    Returns
    -------
    ndarray of the shape of x, in float64
        The estimate of d fn / d x_p for every entry p.
    """
    check_callable("fn", fn)
    check_choice("stencil", stencil, tuple(STENCILS))
    eps = STENCILS[stencil] if eps is None else check_positive("eps", eps)
    x = as_finite_array("x", x)
    # a C-ordered copy, so that flat is a view of it whatever the layout of the
    # input (Fortran, transposed, strided): the perturbations must reach fn(x)
    x = np.array(x, dtype=np.float64, order="C")
    flat = x.reshape(-1)

    def C(p, step):
        old = flat[p]
        flat[p] = old + step
        c = fn(x)
        flat[p] = old
        return _finite_scalar(c, p, step, x.shape)

    d = np.empty_like(flat)
    for p in range(flat.size):
        if stencil == "forward":
            d[p] = (C(p, eps) - C(p, 0.0)) / eps
        elif stencil == "central":
            d[p] = (C(p, eps) - C(p, -eps)) / (2 * eps)
        else:
            d[p] = (8 * (C(p, eps) - C(p, -eps)) - (C(p, 2 * eps) - C(p, -2 * eps))) / (12 * eps)
    return d.reshape(x.shape)


def numerical_gradient(
    cost_fn: Callable[[Params], float], params: Params, *, stencil: str = "central4", eps: float | None = None
) -> Params:
    """Finite-difference gradient of ``cost_fn`` at ``params``, entry by entry of v = vec(params).

    Parameters
    ----------
    cost_fn : callable
        Params -> float.
    params : Params
    stencil : {"central4", "central", "forward"}
    eps : float, optional
        Step size; by default the stencil's best step in float64.

    Returns
    -------
    Params
        The estimate of dC/dv_p for every entry p of v, as Params.
    """
    check_callable("cost_fn", cost_fn)
    check_params(params)
    m, n, k = params.m, params.n, params.k
    d = numerical_derivative(
        lambda v: cost_fn(unvec(v, m, n, k).astype(params.dtype)), vec(params), stencil=stencil, eps=eps
    )
    return unvec(d, m, n, k)


def relative_error(a, b, *, floor: float = 0.0) -> np.ndarray:
    """Entry-wise |a - b| / max(|a| + |b|, floor), and 0 where a = b = 0."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a, b: expected equal shapes, got {a.shape} and {b.shape}")
    floor = check_positive("floor", floor, allow_zero=True)
    diff, scale = np.abs(a - b), np.maximum(np.abs(a) + np.abs(b), floor)
    return np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)


def _checked(relative_error):
    """Check a and b (real, finite) before the formula runs.

    Applied as a wrapper so that the function itself, which the book shows,
    stays the formula; ``inspect.getsource`` follows ``__wrapped__`` to it.
    """

    @functools.wraps(relative_error)
    def checked(a, b, *, floor: float = 0.0):
        return relative_error(as_finite_array("a", a), as_finite_array("b", b), floor=floor)

    return checked


relative_error = _checked(relative_error)


@dataclass(frozen=True, eq=False)
class GradCheck:
    """Result of :func:`check_gradient`.

    Attributes
    ----------
    analytic, numeric : ndarray of shape (P,)
        vec of the gradient under test and of the finite-difference gradient.
    rel_error : ndarray of shape (P,)
        Entry-wise relative error.
    max_rel_error : float
        Its largest entry.
    worst : str
        Where the largest error is, e.g. ``"W_hh[2, 0]"``.
    """

    analytic: np.ndarray
    numeric: np.ndarray
    rel_error: np.ndarray
    max_rel_error: float
    worst: str

    def passed(self, tol: float = 1e-7) -> bool:
        return self.max_rel_error < tol

    def __repr__(self) -> str:
        return f"GradCheck(max_rel_error={self.max_rel_error:.2e} at {self.worst})"


def _locate(p: int, params: Params) -> str:
    for name, a in params.items():
        if p < a.size:
            idx = np.unravel_index(p, a.shape)
            return f"{name}[{', '.join(str(int(i)) for i in idx)}]"
        p -= a.size
    raise IndexError(p)


def check_gradient(
    params: Params,
    X,
    Y,
    *,
    loss: str = "mse",
    f: str = "tanh",
    g: str = "softmax",
    grad_fn: Callable = loss_and_grad,
    h0=None,
    stencil: str = "central4",
    eps: float | None = None,
    floor: float | None = None,
) -> GradCheck:
    """Compare ``grad_fn``'s gradient with finite differences of the cost.

    Parameters
    ----------
    params : Params
    X, Y : array_like
        As for :func:`rnnlib.loss_and_grad`.
    loss, f, g : str
        As for :func:`rnnlib.loss_and_grad`.
    h0 : array_like, optional
        Initial hidden state, as for :func:`rnnlib.forward`.  It is passed to
        ``grad_fn`` only when given.
    grad_fn : callable
        ``grad_fn(params, X, Y, loss=, f=, g=) -> (C, grads)``; by default
        :func:`rnnlib.loss_and_grad`.  The finite differences always use
        rnnlib's own cost, ``cost(forward(params, X), Y)``, so a ``grad_fn``
        whose gradient is wrong is caught.
    stencil : {"central4", "central", "forward"}
        Finite-difference stencil.
    eps : float, optional
        Finite-difference step; by default the stencil's best step.
    floor : float, optional
        Floor of the relative error's denominator; by default 1e-4 times the
        largest entry of the finite-difference gradient.

    Returns
    -------
    GradCheck
    """
    check_callable("grad_fn", grad_fn)
    extra = {} if h0 is None else {"h0": h0}
    _, grads = grad_fn(params, X, Y, loss=loss, f=f, g=g, **extra)
    if not isinstance(grads, Params):
        raise TypeError(f"grad_fn: expected it to return (C, Params), got {type(grads).__name__}")
    numeric = numerical_gradient(
        lambda p: cost(forward(p, X, f=f, g=g, h0=h0), Y, loss=loss), params, stencil=stencil, eps=eps
    )
    a, d = vec(grads).astype(np.float64), vec(numeric)
    r = relative_error(a, d, floor=1e-4 * np.max(np.abs(d)) if floor is None else floor)
    p = int(np.argmax(r))
    return GradCheck(a, d, r, float(r[p]), _locate(p, params))

