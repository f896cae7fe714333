"""The five parameters of the RNN, their initialisation, and the vector v.

The notes collect the parameters into one vector

    v = [vec(W_xh); vec(W_hh); vec(W_hy); b_h; b_y]

where vec reads a matrix row by row (w_11, w_12, ..., w_nm).  Gradient descent
(``v' = v - alpha * grad C``) and the gradient check both work on this vector;
everything else works on the named matrices of :class:`Params`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ._checks import (
    _shape_str,
    as_float_array,
    as_rng,
    check_callable,
    check_finite,
    check_float_dtype,
    check_int,
    check_params,
)

__all__ = ["Params", "init_params", "vec", "unvec", "num_params"]

NAMES = ("W_xh", "W_hh", "W_hy", "b_h", "b_y")


@dataclass(frozen=True, eq=False)
class Params:
    """Weights and biases of a vanilla RNN (or the gradient of a cost with respect to them).

    Parameters
    ----------
    W_xh : ndarray of shape (n, m)
        Input-to-hidden weights, ``w_ik^(xh)``.
    W_hh : ndarray of shape (n, n)
        Hidden-to-hidden (recurrent) weights, ``w_ij^(hh)``.
    W_hy : ndarray of shape (k, n)
        Hidden-to-output weights, ``w_ij^(hy)``.
    b_h : ndarray of shape (n,)
        Hidden bias.
    b_y : ndarray of shape (k,)
        Output bias.

    Notes
    -----
    All five arrays share one floating dtype.  Integer input is converted to
    float64.  Shapes must agree with one another; the first disagreement is
    reported as a ValueError naming the array.  The arrays are not copied, and
    no rnnlib function modifies them in place.
    """

    W_xh: np.ndarray
    W_hh: np.ndarray
    W_hy: np.ndarray
    b_h: np.ndarray
    b_y: np.ndarray

    def __post_init__(self):
        arrays = {name: as_float_array(name, getattr(self, name)) for name in NAMES}
        dtype = np.result_type(*arrays.values())
        for name, a in arrays.items():
            if a.dtype != dtype:
                raise ValueError(
                    f"{name}: expected dtype {dtype} like the other parameters, got {a.dtype}"
                )
            object.__setattr__(self, name, a)
        W_xh, W_hh, W_hy, b_h, b_y = (arrays[name] for name in NAMES)
        for name, a, ndim, labels in (
            ("W_xh", W_xh, 2, "(n, m)"),
            ("W_hh", W_hh, 2, "(n, n)"),
            ("W_hy", W_hy, 2, "(k, n)"),
            ("b_h", b_h, 1, "(n,)"),
            ("b_y", b_y, 1, "(k,)"),
        ):
            if a.ndim != ndim:
                raise ValueError(f"{name}: expected a {ndim}-D array of shape {labels}, got shape {_shape_str(a.shape)}")
        n, m = W_xh.shape
        k = W_hy.shape[0]
        for name, a, expected, labels in (
            ("W_hh", W_hh, (n, n), "(n, n)"),
            ("W_hy", W_hy, (k, n), "(k, n)"),
            ("b_h", b_h, (n,), "(n,)"),
            ("b_y", b_y, (k,), "(k,)"),
        ):
            if a.shape != expected:
                raise ValueError(
                    f"{name}: expected shape {labels} = {_shape_str(expected)} "
                    f"(n = {n} and m = {m} from W_xh, k = {k} from W_hy), got {_shape_str(a.shape)}"
                )
        if min(n, m, k) < 1:
            raise ValueError(f"W_xh, W_hy: expected m, n, k >= 1, got m = {m}, n = {n}, k = {k}")

    @classmethod
    def _trusted(cls, W_xh, W_hh, W_hy, b_h, b_y) -> "Params":
        """Params from arrays that rnnlib itself has just computed, without checking them again.

        For the library's inner loops only (a gradient returned by
        :func:`rnnlib.loss_and_grad`, say): the arrays must already be what
        the constructor would accept, which is why this is not for user input.
        """
        self = object.__new__(cls)
        for name, a in zip(NAMES, (W_xh, W_hh, W_hy, b_h, b_y)):
            object.__setattr__(self, name, a)
        return self

    # --- sizes, in the notes' letters -------------------------------------------
    @property
    def m(self) -> int:
        """Number of inputs."""
        return self.W_xh.shape[1]

    @property
    def n(self) -> int:
        """Number of hidden units."""
        return self.W_xh.shape[0]

    @property
    def k(self) -> int:
        """Number of outputs."""
        return self.W_hy.shape[0]

    @property
    def dtype(self) -> np.dtype:
        return self.W_xh.dtype

    # --- treating the five arrays as one object ---------------------------------
    def __iter__(self):
        """The arrays in the notes' order W_xh, W_hh, W_hy, b_h, b_y."""
        return (getattr(self, name) for name in NAMES)

    def items(self):
        """(name, array) pairs in the notes' order."""
        return ((name, getattr(self, name)) for name in NAMES)

    def map(self, fn, *others: "Params") -> "Params":
        """Apply ``fn`` to corresponding arrays: ``Params(fn(a, b, ...) for a, b, ... in zip(self, *others))``."""
        check_callable("fn", fn)
        for other in others:
            check_params(other, "others", finite=False)
            if (other.m, other.n, other.k) != (self.m, self.n, self.k):
                raise ValueError(
                    f"others: expected Params with (m, n, k) = {(self.m, self.n, self.k)}, "
                    f"got {(other.m, other.n, other.k)}"
                )
        return Params(*(fn(*arrays) for arrays in zip(self, *others)))

    def copy(self) -> "Params":
        return self.map(np.copy)

    def astype(self, dtype) -> "Params":
        """The parameters in another floating dtype (an integer dtype would truncate them)."""
        dtype = check_float_dtype("dtype", dtype)
        return self.map(lambda a: a.astype(dtype))

    def __repr__(self) -> str:
        return f"Params(m={self.m}, n={self.n}, k={self.k}, dtype={self.dtype})"


def num_params(m: int, n: int, k: int) -> int:
    """Length of v: n*m + n*n + k*n + n + k."""
    m, n, k = (check_int(name, v) for name, v in (("m", m), ("n", n), ("k", k)))
    return n * m + n * n + k * n + n + k


def init_params(m: int, n: int, k: int, *, rng=None, dtype=np.float64) -> Params:
    """Random initial parameters.

    Parameters
    ----------
    m, n, k : int
        Inputs, hidden units, outputs.
    rng : numpy.random.Generator, int or None
        Source of randomness, or a seed for one.
    dtype : numpy floating dtype
        float64 (default) or float32.

    Returns
    -------
    Params

    Notes
    -----
    Each weight matrix is drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), where
    fan_in is the number of columns (m for W_xh, n for W_hh and W_hy); the
    biases start at zero.  With this scale a random W_hh has spectral radius
    about 1/sqrt(3), so the untrained network neither explodes nor forgets
    instantly (see the chapter on vanishing and exploding gradients).
    """
    m, n, k = (check_int(name, v) for name, v in (("m", m), ("n", n), ("k", k)))
    dtype = check_float_dtype("dtype", dtype)
    rng = as_rng(rng)

    def uniform(rows, cols):
        bound = 1.0 / np.sqrt(cols)
        return rng.uniform(-bound, bound, size=(rows, cols)).astype(dtype)

    return Params(
        W_xh=uniform(n, m),
        W_hh=uniform(n, n),
        W_hy=uniform(k, n),
        b_h=np.zeros(n, dtype),
        b_y=np.zeros(k, dtype),
    )


def vec(params: Params) -> np.ndarray:
    """Stack the parameters into the notes' vector v.

    Returns
    -------
    v : ndarray of shape (n*m + n*n + k*n + n + k,)
        ``[vec(W_xh); vec(W_hh); vec(W_hy); b_h; b_y]``, each matrix read row
        by row: w_11, w_12, ..., w_1m, w_21, ...
    """
    check_params(params, finite=False)
    return np.concatenate([a.reshape(-1) for a in params])  # C order is row by row


def unvec(v, m: int, n: int, k: int) -> Params:
    """Inverse of :func:`vec`: cut v back into W_xh, W_hh, W_hy, b_h, b_y.

    Parameters
    ----------
    v : ndarray of shape (n*m + n*n + k*n + n + k,)
    m, n, k : int

    Returns
    -------
    Params
        Holding copies, so changing ``v`` later does not change them.
    """
    m, n, k = (check_int(name, val) for name, val in (("m", m), ("n", n), ("k", k)))
    v = as_float_array("v", v)
    size = num_params(m, n, k)
    if v.shape != (size,):
        raise ValueError(
            f"v: expected shape (n*m + n*n + k*n + n + k,) = ({size},) for m = {m}, n = {n}, k = {k}, "
            f"got {_shape_str(v.shape)}"
        )
    check_finite("v", v)
    shapes = [(n, m), (n, n), (k, n), (n,), (k,)]
    parts, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        parts.append(v[start : start + size].reshape(shape).copy())
        start += size
    return Params(*parts)


assert tuple(f.name for f in fields(Params)) == NAMES
