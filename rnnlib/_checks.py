"""Input checks shared by the public functions.

Every public function of rnnlib validates what it is given and raises a
``ValueError`` (or ``TypeError`` for a value of the wrong kind) whose message
names the argument, what was expected and what was received.  Nothing is
silently broadcast, and NaN or inf never enters a computation unannounced.
"""

from __future__ import annotations

import numbers
import os

import numpy as np

__all__ = [
    "as_float_array",
    "as_finite_array",
    "check_shape",
    "check_finite",
    "check_positive",
    "check_choice",
    "check_int",
    "check_callable",
    "check_float_dtype",
    "check_param_set",
    "check_params",
    "check_like_params",
    "check_any_params",
    "check_optimizer",
    "npz_path",
    "as_rng",
]


def _shape_str(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def as_float_array(name: str, a, *, dtype=None) -> np.ndarray:
    """Return ``a`` as a floating-point ndarray without losing information.

    Integer and boolean input is converted to ``dtype`` (float64 if None);
    floating input keeps its own precision unless ``dtype`` is wider.
    Complex, object and string input is rejected.

    Raises
    ------
    TypeError
        If ``a`` is not real numeric data.
    """
    if isinstance(a, np.ma.MaskedArray) and np.ma.is_masked(a):
        raise TypeError(f"{name}: expected a plain array, got a masked array with masked entries")
    try:
        arr = np.asarray(a)
    except Exception as exc:  # ragged nested lists, for example
        raise TypeError(f"{name}: expected a numeric array, got {type(a).__name__} ({exc})") from None
    kind = arr.dtype.kind
    if kind == "f":
        target = arr.dtype if dtype is None else np.result_type(arr.dtype, dtype)
    elif kind in "iub":
        target = np.dtype(np.float64 if dtype is None else dtype)
        if kind in "iu" and arr.size and target.itemsize < 8:
            # float32 holds integers exactly only up to 2**24
            big = np.max(np.abs(arr.astype(np.float64)))
            if big > 2**24:
                target = np.dtype(np.float64)
    else:
        raise TypeError(f"{name}: expected real numbers, got an array of dtype {arr.dtype}")
    return arr.astype(target, copy=False)


def check_shape(name: str, a: np.ndarray, expected: tuple, labels: str, why: str = "") -> np.ndarray:
    """Raise ValueError unless ``a.shape == expected``; ``labels`` names the axes, e.g. "(N, T, k)"."""
    if a.shape != tuple(expected):
        raise ValueError(
            f"{name}: expected shape {labels} = {_shape_str(expected)}{why}, got {_shape_str(a.shape)}"
        )
    return a


def as_finite_array(name: str, a, *, dtype=None, shape=None, labels: str = "", why: str = "") -> np.ndarray:
    """:func:`as_float_array`, then (if ``shape`` is given) :func:`check_shape`, then :func:`check_finite`."""
    arr = as_float_array(name, a, dtype=dtype)
    if shape is not None:
        check_shape(name, arr, shape, labels, why)
    check_finite(name, arr)
    return arr


def check_finite(name: str, a: np.ndarray) -> None:
    """Raise ValueError if ``a`` holds NaN or inf, saying where the first one is."""
    if a.size <= 65536:  # small: one boolean temporary is cheaper than entering errstate
        if np.isfinite(a).all():
            return
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.sum(a)):  # fast path, with no temporary array: NaN and inf make the sum non-finite
                return
    if not np.all(np.isfinite(a)):  # the sum may also have overflowed; look entry by entry
        bad = np.argwhere(~np.isfinite(a))[0]
        value = a[tuple(bad)]
        raise ValueError(
            f"{name}: expected finite values, got {value} at index {tuple(int(i) for i in bad)}"
        )


def check_positive(name: str, value, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float after checking it is a finite positive number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__}")
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not (np.isfinite(value) and ok):
        want = "a finite number >= 0" if allow_zero else "a finite number > 0"
        raise ValueError(f"{name}: expected {want}, got {value}")
    return value


#: the largest integer argument: int64's maximum, on every platform (so also in 32-bit builds such as Pyodide)
MAX_INT = int(np.iinfo(np.int64).max)


def check_int(name: str, value, *, minimum: int = 1) -> int:
    """Return ``value`` as an int after checking it is an integer in [``minimum``, MAX_INT].

    Every integer argument of rnnlib is a size, a count, an index or a seed,
    none of which can be larger than an int64 (a size that large could not be
    allocated anyway, and numpy would say so without naming the argument).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an integer, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value}")
    if value > MAX_INT:
        raise ValueError(f"{name}: expected an integer in [{minimum}, {MAX_INT}], got {value}")
    return int(value)


def check_choice(name: str, value, choices) -> str:
    """Raise ValueError unless ``value`` is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name}: expected one of {options}, got {value!r}")
    return value


def check_callable(name: str, fn) -> None:
    """Raise TypeError unless ``fn`` can be called."""
    if not callable(fn):
        raise TypeError(f"{name}: expected a function, got {type(fn).__name__} {fn!r:.60}")


def check_float_dtype(name: str, dtype) -> np.dtype:
    """Return ``dtype`` as a numpy dtype after checking it is a floating one."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name}: expected a floating dtype such as float64 or float32, got {dtype!r}") from None
    if dt.kind != "f":
        raise TypeError(f"{name}: expected a floating dtype such as float64 or float32, got {dt}")
    return dt


def check_param_set(params, name: str, kind: type, expected: str, *, finite: bool = True):
    """Raise unless ``params`` is a ``kind`` (holding only finite numbers, if ``finite``).

    ``expected`` names the class (or classes) in the message, as the user
    would write it: "rnnlib.Params", say.
    """
    if not isinstance(params, kind):
        what = f"the class {params.__name__}" if isinstance(params, type) else type(params).__name__
        raise TypeError(f"{name}: expected {expected}, got {what}")
    if finite:
        for part, a in params.items():
            check_finite(f"{name}.{part}", a)
    return params


def check_params(params, name: str = "params", *, finite: bool = True):
    """Raise unless ``params`` is a Params (holding only finite numbers, if ``finite``)."""
    from .params import Params  # params.py imports this module

    return Params._check(params, name, finite=finite)


def check_any_params(params, name: str = "params", *, finite: bool = True):
    """Raise unless ``params`` holds the parameters of some rnnlib network.

    That is a :class:`rnnlib.Params` (the vanilla RNN),
    :class:`rnnlib.gated.lstm.LSTMParams` or :class:`rnnlib.gated.gru.GRUParams`: what the
    optimisers and the clipping functions accept, since they act on each
    array alone.  Holding only finite numbers, if ``finite``.
    """
    from .params import _ParamSet  # the three classes' common base; params.py imports this module

    expected = "rnnlib.Params, rnnlib.gated.lstm.LSTMParams or rnnlib.gated.gru.GRUParams"
    return check_param_set(params, name, _ParamSet, expected, finite=finite)


def check_like_params(name: str, other, params, *, finite: bool = True):
    """Raise unless ``other`` holds arrays of the same kind, shapes and dtype as ``params``.

    ``params`` may be the parameters of any rnnlib network (see :func:`check_any_params`).
    """
    from .params import Params

    if type(params) is Params:
        check_params(other, name, finite=finite)
    else:
        check_any_params(other, name, finite=finite)
        if type(other) is not type(params):
            raise TypeError(f"{name}: expected {type(params).__name__} like params, got {type(other).__name__}")
    if (other.m, other.n, other.k) != (params.m, params.n, params.k):
        raise ValueError(
            f"{name}: expected (m, n, k) = {(params.m, params.n, params.k)} like params, "
            f"got {(other.m, other.n, other.k)}"
        )
    if other.dtype != params.dtype:
        raise ValueError(f"{name}: expected dtype {params.dtype} like params, got {other.dtype}")
    return other


def check_optimizer(optimizer):
    """Raise TypeError unless ``optimizer`` is an optimiser object with init and update."""
    if isinstance(optimizer, type):
        raise TypeError(
            f"optimizer: expected an optimiser object such as rnnlib.{optimizer.__name__}(lr=0.01), "
            f"got the class {optimizer.__name__} itself"
        )
    if not (callable(getattr(optimizer, "init", None)) and callable(getattr(optimizer, "update", None))):
        raise TypeError(
            "optimizer: expected an object with init(params) and update(params, grads, state), such as "
            f"rnnlib.GradientDescent(lr=0.1) or rnnlib.Adam(), got {type(optimizer).__name__} {optimizer!r:.40}"
        )
    return optimizer


def npz_path(name: str, path) -> str:
    """``path`` as a string ending in .npz (appended if missing, as numpy.savez does)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name}: expected a str or os.PathLike file name, got {type(path).__name__}")
    path = os.fspath(path)
    if isinstance(path, bytes):
        raise TypeError(f"{name}: expected a str or os.PathLike file name, got bytes")
    return path if path.endswith(".npz") else path + ".npz"


def as_rng(rng) -> np.random.Generator:
    """Turn ``rng`` (a Generator, an integer seed or None) into a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng: expected a numpy Generator, an integer seed or None, got {type(rng).__name__}")
