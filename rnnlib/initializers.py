"""Initial recurrent weights W_hh other than the default uniform draw.

How long a trace survives in the state at the start of training is set by
the step Jacobians J_t = diag(f'(z_t)) W_hh, so the choice of W_hh decides how
far back the first gradients reach.  Three choices from the literature:

- rescale a random W_hh to spectral radius rho (near 1: the "edge of chaos");
- an orthogonal W_hh, all of whose singular values are 1, so that the linear
  part of the recurrence neither shrinks nor stretches any direction
  (Saxe, McClelland and Ganguli, 2014);
- the identity W_hh with f = ReLU and zero biases, so that at the start a
  unit that is on copies its value forward unchanged (Le, Jaitly and Hinton,
  2015, "IRNN").

Each function returns a new array or a new :class:`~rnnlib.params.Params`;
nothing is modified in place.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._checks import _shape_str, as_float_array, as_rng, check_finite, check_float_dtype, check_int, check_params, check_positive
from .params import Params

__all__ = ["orthogonal", "identity", "with_radius", "with_W_hh"]


def orthogonal(n: int, *, rng=None, dtype=np.float64) -> np.ndarray:
    """A random orthogonal matrix, drawn uniformly (from the Haar measure).

    Parameters
    ----------
    n : int
        Rows and columns (the number of hidden units).
    rng : numpy.random.Generator, int or None
        Source of randomness, or a seed for one.
    dtype : numpy floating dtype

    Returns
    -------
    Q : ndarray of shape (n, n)
        Q^T Q = I: every singular value, and every eigenvalue's modulus, is 1.

    Notes
    -----
    Q comes from the QR factorisation A = QR of a matrix A with independent
    N(0, 1) entries.  The factorisation is unique only up to the signs of
    R's diagonal; multiplying column j of Q by sign(R_jj) fixes them, which
    makes the distribution of Q uniform rather than biased by the algorithm
    (Mezzadri, 2007).
    """
    n = check_int("n", n)
    dtype = check_float_dtype("dtype", dtype)
    rng = as_rng(rng)
    A = rng.standard_normal((n, n))
    Q, R = np.linalg.qr(A)
    signs = np.where(np.diag(R) < 0, -1.0, 1.0)
    return (Q * signs).astype(dtype)


def identity(n: int, *, scale: float = 1.0, dtype=np.float64) -> np.ndarray:
    """``scale`` times the n x n identity, the IRNN's W_hh (Le et al., 2015).

    Parameters
    ----------
    n : int
    scale : float
        Le et al. use 1, or a smaller value such as 0.01 for long tasks.
    dtype : numpy floating dtype

    Returns
    -------
    ndarray of shape (n, n)
    """
    n = check_int("n", n)
    dtype = check_float_dtype("dtype", dtype)
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not np.isfinite(scale):
        raise TypeError(f"scale: expected a finite real number, got {scale!r}")
    return (float(scale) * np.eye(n)).astype(dtype)


def with_radius(W, rho: float) -> np.ndarray:
    """W rescaled to spectral radius ``rho``: ``W * rho / max_i |lambda_i(W)|``.

    Parameters
    ----------
    W : array_like of shape (n, n)
    rho : float
        The spectral radius wanted, finite and >= 0.

    Returns
    -------
    ndarray of shape (n, n), same dtype as W

    Notes
    -----
    Scaling a matrix scales all its eigenvalues by the same factor, so only
    the largest modulus needs computing.  For a non-normal W the largest
    singular value stays larger than rho.
    """
    W = as_float_array("W", W)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.size == 0:
        raise ValueError(f"W: expected a square matrix of shape (n, n) with n >= 1, got shape {_shape_str(W.shape)}")
    check_finite("W", W)
    rho = check_positive("rho", rho, allow_zero=True)
    current = float(np.max(np.abs(np.linalg.eigvals(W))))
    if current == 0:
        raise ValueError("W: has spectral radius 0 (it is nilpotent) and cannot be rescaled")
    with np.errstate(over="ignore", invalid="ignore"):  # reported below
        scaled = W * np.asarray(rho / current, W.dtype)
    if not np.all(np.isfinite(scaled)):
        raise ValueError(f"rho: expected a radius for which W stays finite in {W.dtype}, got {rho} "
                         f"(W has radius {current:.3g})")
    return scaled


def with_W_hh(params: Params, W_hh) -> Params:
    """``params`` with the recurrent weights replaced by ``W_hh``.

    Parameters
    ----------
    params : Params
    W_hh : array_like of shape (n, n)
        Must have the shape and dtype of ``params.W_hh``.

    Returns
    -------
    Params
        Sharing W_xh, W_hy, b_h and b_y with ``params``.
    """
    check_params(params)
    given = W_hh.dtype if isinstance(W_hh, np.ndarray) and W_hh.dtype.kind == "f" else params.dtype
    W_hh = as_float_array("W_hh", W_hh, dtype=params.dtype)  # integers and lists take the parameters' dtype
    n = params.n
    if W_hh.shape != (n, n):
        raise ValueError(f"W_hh: expected shape (n, n) = ({n}, {n}) like params.W_hh, got {_shape_str(W_hh.shape)}")
    if W_hh.dtype != params.dtype or given != params.dtype:
        raise ValueError(f"W_hh: expected dtype {params.dtype} like the other parameters, got {given}")
    check_finite("W_hh", W_hh)
    return Params(params.W_xh, W_hh, params.W_hy, params.b_h, params.b_y)
