"""Activation functions: f for the hidden layer, g for the output.

The hidden activation f acts element by element, so its derivative is a
vector f'(z) and the chain rule multiplies by it element-wise.

The output activation g need not act element by element.  Softmax mixes all
k outputs: y_j = exp(o_j) / sum_l exp(o_l) depends on every o_l, so its
derivative is the k x k Jacobian

    J_g(o)_{jl} = dy_j / do_l = y_j (1[j = l] - y_l),

and the backward pass needs the vector-Jacobian product J_g(o)^T v, not the
element-wise product v * g'(o) the lecture notes write.  Each output
activation here therefore offers ``vjp(o, y, v)``; element-wise ones also
offer ``deriv``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._checks import _shape_str, as_float_array, check_choice, check_finite

__all__ = [
    "tanh",
    "sigmoid",
    "relu",
    "identity",
    "softmax",
    "log_softmax",
    "Elementwise",
    "Softmax",
    "HIDDEN",
    "OUTPUT",
    "hidden_activation",
    "output_activation",
]


# The kernels (names with a leading underscore) take an optional ``out`` array
# to write into, as numpy's ufuncs do, which lets the forward pass fill
# preallocated buffers; they trust their input.  The public functions below
# check it first (see _as_activation_input) and then call the same kernels.


_tanh = np.tanh  # a ufunc already has the kernel's signature; no Python call in between


def _sigmoid(z, out=None):
    negative = np.asarray(z) < 0  # before out, which may be z itself, is overwritten
    e = np.exp(-np.abs(z))
    out = np.divide(1.0, 1.0 + e, out=out)
    np.multiply(out, e, out=out, where=negative)
    return out


def _relu(z, out=None):
    return np.maximum(z, 0, out=out)


def _identity(z, out=None):
    if out is None:
        return z.copy()
    np.copyto(out, z)
    return out


def _softmax(o, axis=-1, out=None):
    with np.errstate(over="ignore"):  # max(o) - o_j beyond the float range: exp(-inf) = 0 is right
        out = np.subtract(o, np.max(o, axis=axis, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= np.sum(out, axis=axis, keepdims=True)
    return out


def _log_softmax(o, axis=-1):
    with np.errstate(over="ignore"):  # o_j - max(o) below the float range rounds to -inf, as it must
        shifted = o - np.max(o, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _cross_entropy(Y, o):
    """-sum_j Y_j log softmax(o)_j over the last axis, for any finite logits.

    A term with Y_j = 0 is 0 (the limit of p log p), and where log softmax(o)_j
    is beyond the float range, Y_j log softmax(o)_j = 2 Y_j (o_j/2 - M/2) - Y_j L
    (M = max(o), L = log sum_l exp(o_l - M)) is computed from halves, which
    cannot overflow: the cost is exact wherever it is itself a float.
    """
    M = np.max(o, axis=-1, keepdims=True)
    with np.errstate(over="ignore"):
        shifted = o - M  # -inf only where the logits are more than the float range apart
    L = np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    with np.errstate(invalid="ignore"):  # 0 * -inf, replaced below
        terms = Y * (shifted - L)  # Y_j log y_j
    beyond = np.isinf(shifted)
    if beyond.any():
        with np.errstate(over="ignore"):  # a term below the float range is -inf: the cost is too
            halves = 2 * (Y * (0.5 * o - 0.5 * M)) - Y * L
        terms = np.where(beyond, halves, terms)
    return -np.sum(terms, axis=-1)


def _as_activation_input(name, z, out, *, axis=None):
    """Check an activation's input (and ``out``, ``axis``) and return it as a float array.

    Integer and boolean input is computed in float64 (no wrap-around); a
    floating input keeps its precision.
    """
    z = as_float_array(name, z)
    check_finite(name, z)
    if axis is not None:
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise TypeError(f"axis: expected an integer, got {type(axis).__name__}")
        if z.ndim == 0:
            raise ValueError(f"{name}: expected an array with an axis to normalise over, got a 0-D array (a scalar)")
        if not -z.ndim <= axis < z.ndim:
            raise ValueError(f"axis: expected an integer in [{-z.ndim}, {z.ndim - 1}] for {name} of shape "
                             f"{_shape_str(z.shape)}, got {axis}")
        if z.shape[axis] == 0:
            raise ValueError(f"{name}: expected at least one entry along axis {axis}, got shape {_shape_str(z.shape)}")
    if out is not None:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out: expected an ndarray, got {type(out).__name__}")
        if out.shape != z.shape or out.dtype != z.dtype:
            raise ValueError(
                f"out: expected shape {_shape_str(z.shape)} and dtype {z.dtype} like {name}, "
                f"got shape {_shape_str(out.shape)} and dtype {out.dtype}"
            )
        if not out.flags.writeable:
            raise ValueError("out: expected a writeable array, got a read-only one")
    return z


def _elementwise(kernel, z, out):
    """Apply a kernel; a 0-D input gives a numpy scalar, as numpy's ufuncs do."""
    if z.ndim == 0 and out is None:
        return kernel(z.reshape(1))[0]
    return kernel(z, out=out)


def tanh(z, out=None):
    """tanh(z), element by element; integer input is computed in float64."""
    return _elementwise(_tanh, _as_activation_input("z", z, out), out)


def sigmoid(z, out=None):
    """Logistic function 1 / (1 + exp(-z)), accurate and overflow-free for any z.

    With e = exp(-|z|), which lies in (0, 1], sigma(z) = 1 / (1 + e) for z >= 0
    and e / (1 + e) for z < 0: no exponential can overflow, and tiny values in
    the left tail keep their full relative precision.  Integer input is
    computed in float64; a scalar gives a numpy scalar.
    """
    return _elementwise(_sigmoid, _as_activation_input("z", z, out), out)


def relu(z, out=None):
    """max(z, 0), element by element; integer input is computed in float64."""
    return _elementwise(_relu, _as_activation_input("z", z, out), out)


def identity(z, out=None):
    """A copy of z as a float array (into ``out`` if given)."""
    return _elementwise(_identity, _as_activation_input("z", z, out), out)


def softmax(o, axis=-1, out=None):
    """Numerically stable softmax along ``axis``.

    Subtracting the maximum leaves the result unchanged (numerator and
    denominator both gain the factor exp(-max)) and keeps exp from
    overflowing: logits of +-1000 give finite, exact probabilities.
    Integer input is computed in float64.
    """
    o = _as_activation_input("o", o, out, axis=axis)
    return _softmax(o, axis=axis, out=out)


def log_softmax(o, axis=-1):
    """Numerically stable log(softmax(o)) = o - logsumexp(o).

    Computed as (o_j - max(o)) - log sum_l exp(o_l - max(o)), each entry to
    within a few rounding errors, at any finite logits.  Where the logits are
    so far apart that the exact log-probability lies below the most negative
    float (beyond about -1.8e308 in float64, -3.4e38 in float32), the entry
    is -inf, the value it rounds to; never NaN.  The cross-entropy of
    :func:`rnnlib.cost` does not go through these entries, and stays exact.
    Integer input is computed in float64.
    """
    o = _as_activation_input("o", o, None, axis=axis)
    return _log_softmax(o, axis=axis)


@dataclass(frozen=True)
class Elementwise:
    """An activation applied to each component on its own.

    Attributes
    ----------
    name : str
    fn : callable
        a = fn(z).
    deriv : callable
        fn'(z), from z.
    deriv_from_output : callable
        fn'(z) written in terms of a = fn(z) (for tanh, 1 - a**2), which lets
        the backward pass reuse the stored activations instead of z; called
        as ``deriv_from_output(a, out=None)``.
    """

    name: str
    fn: Callable
    deriv: Callable
    deriv_from_output: Callable

    def __call__(self, z, out=None):
        return self.fn(z, out=out)

    def jacobian(self, o):
        """Diagonal Jacobian, ndarray of shape (..., k, k)."""
        d = self.deriv(o)
        return d[..., :, None] * np.eye(o.shape[-1], dtype=d.dtype)

    def vjp(self, o, y, v, out=None):
        """J(o)^T v = v * fn'(o) for an element-wise function, from y = fn(o).

        Only y is read, so ``o`` may be None; ``out`` may be ``v``.
        """
        if self.name == "identity":  # J = I: nothing to multiply
            if out is None:
                return v.copy()
            if out is not v:
                np.copyto(out, v)
            return out
        return np.multiply(v, self.deriv_from_output(y), out=out)


@dataclass(frozen=True)
class Softmax:
    """The softmax output activation, which couples all k outputs."""

    name: str = "softmax"

    def __call__(self, o, out=None):
        return _softmax(o, out=out)

    def jacobian(self, o):
        """J_{jl} = dy_j/do_l = y_j (1[j = l] - y_l), ndarray of shape (..., k, k)."""
        y = _softmax(o)
        return y[..., :, None] * (np.eye(o.shape[-1], dtype=y.dtype) - y[..., None, :])

    def vjp(self, o, y, v, out=None):
        """J(o)^T v = y * (v - <y, v>), without forming the k x k matrix, from y = softmax(o).

        Only y is read, so ``o`` may be None; ``out`` may be ``v``.
        """
        out = np.subtract(v, np.sum(y * v, axis=-1, keepdims=True), out=out)
        out *= y
        return out


# The derivatives from the output, f'(z) written in terms of a = f(z), take
# ``out`` as the kernels do, so that the backward pass can reuse one buffer.


def _tanh_deriv_from_output(a, out=None):
    return np.subtract(1.0, np.multiply(a, a, out=out), out=out)  # 1 - a^2


def _sigmoid_deriv_from_output(a, out=None):
    return np.multiply(a, np.subtract(1.0, a, out=out), out=out)  # a (1 - a)


def _relu_deriv_from_output(a, out=None):
    if out is None:
        return (a > 0).astype(a.dtype)
    np.greater(a, 0, out=out)  # relu'(0) is taken as 0; z = 0 exactly has probability zero for real data
    return out


def _ones(a, out=None):
    if out is None:
        return np.ones_like(a)
    out[...] = 1
    return out


_TANH = Elementwise("tanh", _tanh, lambda z: 1.0 - np.tanh(z) ** 2, _tanh_deriv_from_output)
_SIGMOID = Elementwise(
    "sigmoid", _sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z)), _sigmoid_deriv_from_output
)
_RELU = Elementwise("relu", _relu, lambda z: (z > 0).astype(z.dtype), _relu_deriv_from_output)
_IDENTITY = Elementwise("identity", _identity, np.ones_like, _ones)

#: hidden activations f, by name
HIDDEN = {a.name: a for a in (_TANH, _SIGMOID, _RELU, _IDENTITY)}
#: output activations g, by name
OUTPUT = {a.name: a for a in (Softmax(), _IDENTITY, _SIGMOID, _TANH)}


def hidden_activation(f: str) -> Elementwise:
    """The hidden activation named ``f`` (one of ``HIDDEN``)."""
    return HIDDEN[check_choice("f", f, tuple(HIDDEN))]


def output_activation(g: str):
    """The output activation named ``g`` (one of ``OUTPUT``)."""
    return OUTPUT[check_choice("g", g, tuple(OUTPUT))]
