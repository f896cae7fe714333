"""Input checks shared by the public functions.

Every public function of rnnlib validates what it is given and raises a
``ValueError`` (or ``TypeError`` for a value of the wrong kind) whose message
names the argument, what was expected and what was received.  Nothing is
silently broadcast, and NaN or inf never enters a computation unannounced.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_float_array",
    "check_finite",
    "check_positive",
    "check_choice",
    "check_int",
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


def check_finite(name: str, a: np.ndarray) -> None:
    """Raise ValueError if ``a`` holds NaN or inf, saying where the first one is."""
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


def check_int(name: str, value, *, minimum: int = 1) -> int:
    """Return ``value`` as an int after checking it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an integer, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value}")
    return int(value)


def check_choice(name: str, value, choices) -> str:
    """Raise ValueError unless ``value`` is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name}: expected one of {options}, got {value!r}")
    return value


def as_rng(rng) -> np.random.Generator:
    """Turn ``rng`` (a Generator, an integer seed or None) into a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng: expected a numpy Generator, an integer seed or None, got {type(rng).__name__}")
