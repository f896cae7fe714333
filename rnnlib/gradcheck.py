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
rather than against the gradient.  
:func:`check_gradient` passes a gradient when the largest r_p is below a
threshold that follows the stencil (:func:`tolerance`).  A stencil of order p
(1, 2, 4) at step eps has a truncation error of about eps^p and a round-off
error of about u / eps (u = 1.1e-16, float64), relative to the gradient's
scale: about 1e-8, 1e-10 and 1e-12 at the default steps.  An entry at the
floor sees that error magnified up to 1e4 times, and a factor 10 covers the
constants (|C''|, |C|, ...) of eq. (fd-error), so the threshold is

    tol = 1e5 (eps^p + u / eps):  2e-3, 1.1e-5 and 1.1e-7 at the default steps.

On small random networks a correct gradient stays at least 8 times below
these, and every bug in the book's bug gallery gives 7e-2 or more.
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

__all__ = [
    "numerical_derivative", "numerical_gradient", "relative_error", "tolerance", "GradCheck", "check_gradient",
]


STENCILS = {"forward": 1e-8, "central": 1e-5, "central4": 1e-3}  # stencil: default eps
ORDER = {"forward": 1, "central": 2, "central4": 4}  # stencil: order p of its truncation error


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
        else:  # Richardson: the eps^2 terms of the two central differences cancel
            near, far = C(p, eps) - C(p, -eps), C(p, 2 * eps) - C(p, -2 * eps)
            d[p] = (8 * near - far) / (12 * eps)
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
        raise ValueError(
            f"a, b: expected equal shapes, got {a.shape} and {b.shape}"
        )
    floor = check_positive("floor", floor, allow_zero=True)
    diff, scale = np.abs(a - b), np.maximum(np.abs(a) + np.abs(b), floor)
    return np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)


def tolerance(stencil: str = "central4", eps: float | None = None) -> float:
    """Largest relative error a correct float64 gradient can show with this stencil.

    Parameters
    ----------
    stencil : {"central4", "central", "forward"}
    eps : float, optional
        Step size; by default the stencil's best step in float64.

    Returns
    -------
    float
        ``1e5 * (eps**p + u / eps)``, p the stencil's order and u the unit
        round-off of float64: 2e-3, 1.1e-5 and 1.1e-7 for ``"forward"``,
        ``"central"`` and ``"central4"`` at their default steps.

    Notes
    -----
    eps^p is the truncation error and u / eps the round-off error of the
    finite difference, relative to the gradient's scale (see the module
    docstring); the relative error's floor, a ten-thousandth of that scale,
    magnifies them up to 1e4 times for small entries, and a further factor
    10 covers the constants of the error model.
    """
    check_choice("stencil", stencil, tuple(STENCILS))
    eps = STENCILS[stencil] if eps is None else check_positive("eps", eps)
    u = np.finfo(np.float64).eps / 2
    return 1e5 * (eps ** ORDER[stencil] + u / eps)


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
    tol : float
        The pass threshold of the stencil and step used, :func:`tolerance`.
    """

    analytic: np.ndarray
    numeric: np.ndarray
    rel_error: np.ndarray
    max_rel_error: float
    worst: str
    tol: float = tolerance("central4")

    def passed(self, tol: float | None = None) -> bool:
        """Whether ``max_rel_error < tol``; by default ``tol`` is the stencil's threshold."""
        return self.max_rel_error < (self.tol if tol is None else tol)

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
        Its ``passed()`` compares the largest relative error with the
        threshold of the stencil and step, :func:`tolerance`.

    Notes
    -----
    The check runs in float64 whatever the dtype of ``params``, ``X`` and
    ``h0``: it casts float64 copies of them and passes those both to
    ``grad_fn`` and to the finite differences (``Y`` is promoted by the cost).  In float32 (u = 6e-8) the
    round-off u |C| / eps of a finite difference is some 1e9 times larger
    than in float64, and the best central difference has only about four
    correct digits: a correct gradient would fail.  The check tests the
    gradient's formula; the float32 arithmetic of training is a separate
    question (compare the float32 gradient with the float64 one).
    """
    check_params(params)
    check_callable("grad_fn", grad_fn)
    tol = tolerance(stencil, eps)  # also checks stencil and eps
    # Y keeps its dtype: the cost promotes it to the cache's float64, and its
    # own checks judge soft labels at the precision they were given in
    params, X = params.astype(np.float64), _float64(X)
    extra = {} if h0 is None else {"h0": _float64(h0)}
    _, grads = grad_fn(params, X, Y, loss=loss, f=f, g=g, **extra)
    if not isinstance(grads, Params):
        raise TypeError(f"grad_fn: expected it to return (C, Params), got {type(grads).__name__}")
    numeric = numerical_gradient(
        lambda p: cost(forward(p, X, f=f, g=g, **extra), Y, loss=loss), params, stencil=stencil, eps=eps
    )
    a, d = vec(grads).astype(np.float64), vec(numeric)
    r = relative_error(a, d, floor=1e-4 * np.max(np.abs(d)) if floor is None else floor)
    p = int(np.argmax(r))
    return GradCheck(a, d, r, float(r[p]), _locate(p, params), tol)


def _float64(a) -> np.ndarray:
    """A float64 copy of a float array; other input is left to the library's own checks."""
    a = np.asarray(a)
    return a.astype(np.float64) if a.dtype.kind == "f" else a

