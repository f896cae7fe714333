"""The five parameters of the RNN, their initialisation, and the vector v.

The notes collect the parameters into one vector

    v = [vec(W_xh); vec(W_hh); vec(W_hy); b_h; b_y]

where vec reads a matrix row by row (w_11, w_12, ..., w_nm).  Gradient descent
(``v' = v - alpha * grad C``) and the gradient check both work on this vector;
everything else works on the named matrices of :class:`Params`.

What a set of parameters does besides holding its arrays (checking them,
its sizes m, n, k, iteration, map, vec and unvec) is written once, in
``_ParamSet``, for the RNN's :class:`Params` and for the gated cells'
:class:`rnnlib.gated.lstm.LSTMParams` and :class:`rnnlib.gated.gru.GRUParams`; this
module imports neither of those.
"""

from __future__ import annotations

import math
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
    check_param_set,
)

__all__ = ["Params", "init_params", "vec", "unvec", "num_params"]

NAMES = ("W_xh", "W_hh", "W_hy", "b_h", "b_y")
#: symbolic shape of each field
SHAPES = {"W_xh": "(n, m)", "W_hh": "(n, n)", "W_hy": "(k, n)", "b_h": "(n,)", "b_y": "(k,)"}

#: the shapes a parameter array can have, in the notes' letters, with their number of axes
_NDIM = {"(n, m)": 2, "(n, n)": 2, "(k, n)": 2, "(n,)": 1, "(k,)": 1}


def _sizes(m: int, n: int, k: int) -> dict:
    """Each shape of :data:`_NDIM` in numbers."""
    return {"(n, m)": (n, m), "(n, n)": (n, n), "(k, n)": (k, n), "(n,)": (n,), "(k,)": (k,)}


class _ParamSet:
    """What the parameter classes of the three networks share.

    :class:`Params`, :class:`rnnlib.gated.lstm.LSTMParams` and
    :class:`rnnlib.gated.gru.GRUParams` are frozen dataclasses (``eq=False,
    repr=False``) whose fields are the arrays.  Each one names its fields in
    ``_names`` (the order of vec; the input weights first, which give n and
    m, and W_hy among them, which gives k), their symbolic shapes in
    ``_shapes`` ("(n, m)", "(k,)", ...), the formula of the length of v in
    ``_size``, and its public name, for messages, in ``_public``.  Everything
    else is here: the checks of the constructor, the sizes m, n, k, the
    dtype, iteration, map, copy, astype, repr, vec and unvec.

    The classes do not derive from one another, so a function that wants
    the RNN's Params refuses an LSTMParams; :func:`rnnlib._checks.check_any_params`
    accepts any of them.
    """

    _names: tuple = ()
    _shapes: dict = {}
    _size: str = ""
    _public: str = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        shapes = cls._shapes
        if set(shapes) != set(cls._names) or not set(shapes.values()) <= set(_NDIM) or "W_hy" not in shapes:
            raise TypeError(f"{cls.__name__}: _shapes must give each field in _names one of the shapes {list(_NDIM)}")

    def __post_init__(self):
        names, shapes = self._names, self._shapes
        arrays = {name: as_float_array(name, getattr(self, name)) for name in names}
        dtype = np.result_type(*arrays.values())
        for name, a in arrays.items():
            if a.dtype != dtype:
                raise ValueError(f"{name}: expected dtype {dtype} like the other parameters, got {a.dtype}")
        self.__dict__.update(arrays)  # the converted arrays (the dataclass is frozen)
        for name, a in arrays.items():
            ndim = _NDIM[shapes[name]]
            if a.ndim != ndim:
                raise ValueError(
                    f"{name}: expected a {ndim}-D array of shape {shapes[name]}, got shape {_shape_str(a.shape)}"
                )
        first = names[0]
        n, m = arrays[first].shape
        k = arrays["W_hy"].shape[0]
        sizes = _sizes(m, n, k)
        for name, a in arrays.items():
            expected = sizes[shapes[name]]
            if a.shape != expected:
                raise ValueError(
                    f"{name}: expected shape {shapes[name]} = {_shape_str(expected)} "
                    f"(n = {n} and m = {m} from {first}, k = {k} from W_hy), got {_shape_str(a.shape)}"
                )
        if min(n, m, k) < 1:
            raise ValueError(f"{first}, W_hy: expected m, n, k >= 1, got m = {m}, n = {n}, k = {k}")

    @classmethod
    def _trusted(cls, *arrays, **named):
        """An instance from arrays that rnnlib itself has just computed, without checking them again.

        For the library's inner loops only (a gradient returned by
        :func:`rnnlib.loss_and_grad`, say): the arrays must already be what
        the constructor would accept, which is why this is not for user input.
        """
        self = object.__new__(cls)
        self.__dict__.update(zip(cls._names, arrays), **named)  # what the frozen dataclass's __init__ sets
        return self

    @classmethod
    def _check(cls, params, name: str = "params", *, finite: bool = True):
        """Raise unless ``params`` is an instance of this class (holding only finite numbers, if ``finite``)."""
        return check_param_set(params, name, cls, cls._public, finite=finite)

    # --- sizes, in the notes' letters -------------------------------------------
    @property
    def m(self) -> int:
        """Number of inputs."""
        return getattr(self, self._names[0]).shape[1]

    @property
    def n(self) -> int:
        """Number of hidden units."""
        return getattr(self, self._names[0]).shape[0]

    @property
    def k(self) -> int:
        """Number of outputs."""
        return self.W_hy.shape[0]

    @property
    def dtype(self) -> np.dtype:
        return getattr(self, self._names[0]).dtype

    # --- treating the arrays as one object --------------------------------------
    def __iter__(self):
        """The arrays in the order of the fields (the order of vec)."""
        return (getattr(self, name) for name in self._names)

    def items(self):
        """(name, array) pairs in the order of the fields (the order of vec)."""
        return ((name, getattr(self, name)) for name in self._names)

    def map(self, fn, *others):
        """Apply ``fn`` to corresponding arrays: ``type(self)(*(fn(a, b, ...) for a, b, ... in zip(self, *others)))``.

        ``others`` must be of the same class and sizes as ``self``.
        """
        check_callable("fn", fn)
        for other in others:
            self._check(other, "others", finite=False)
            if (other.m, other.n, other.k) != (self.m, self.n, self.k):
                raise ValueError(
                    f"others: expected {type(self).__name__} with (m, n, k) = {(self.m, self.n, self.k)}, "
                    f"got {(other.m, other.n, other.k)}"
                )
        return type(self)(*(fn(*arrays) for arrays in zip(self, *others)))

    def copy(self):
        return self.map(np.copy)

    def astype(self, dtype):
        """The parameters in another floating dtype (an integer dtype would truncate them)."""
        dtype = check_float_dtype("dtype", dtype)
        return self.map(lambda a: a.astype(dtype))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(m={self.m}, n={self.n}, k={self.k}, dtype={self.dtype})"

    # --- the vector v, for the modules' vec and unvec ----------------------------
    @classmethod
    def _vec(cls, params) -> np.ndarray:
        cls._check(params, finite=False)
        return np.concatenate([a.reshape(-1) for a in params])  # C order reads each matrix row by row

    @classmethod
    def _unvec(cls, v, m, n, k):
        m, n, k = (check_int(name, val) for name, val in (("m", m), ("n", n), ("k", k)))
        v = as_float_array("v", v)
        sizes = _sizes(m, n, k)
        shapes = [sizes[cls._shapes[name]] for name in cls._names]
        size = sum(math.prod(shape) for shape in shapes)
        if v.shape != (size,):
            raise ValueError(
                f"v: expected shape ({cls._size},) = ({size},) for m = {m}, n = {n}, k = {k}, "
                f"got {_shape_str(v.shape)}"
            )
        check_finite("v", v)
        parts, start = [], 0
        for shape in shapes:
            size = math.prod(shape)
            parts.append(v[start : start + size].reshape(shape).copy())
            start += size
        return cls(*parts)


@dataclass(frozen=True, eq=False, repr=False)
class Params(_ParamSet):
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
    no rnnlib function modifies them in place.  Iteration and :meth:`items`
    follow the notes' order W_xh, W_hh, W_hy, b_h, b_y.
    """

    W_xh: np.ndarray
    W_hh: np.ndarray
    W_hy: np.ndarray
    b_h: np.ndarray
    b_y: np.ndarray

    _names = NAMES
    _shapes = SHAPES
    _size = "n*m + n*n + k*n + n + k"
    _public = "rnnlib.Params"



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
    return Params._vec(params)


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
    return Params._unvec(v, m, n, k)

