"""The promise of every public function of rnnlib, checked with hypothesis.

For each public function there is a spec: a valid call on a small problem
(m = 3, n = 4, k = 2, N = 2, T = 3), the array arguments of that call and,
for scalar arguments, which values are allowed.  The properties:

1. layout: every array argument may come in any memory layout (C, Fortran,
   transposed, negative strides, strided view, read-only), as a nested list
   or an np.matrix; the result is that of the plain C array.
2. integers: integer and boolean arrays are converted and give exactly the
   result of the same values in float64.
3. float32: float32 in, float32 out.
4. non-finite: NaN, inf or -inf anywhere in an argument is refused with a
   ValueError that names the argument and says "finite".
5. shapes: any shape of rank 0-4 with sizes 0-4 either is valid or is refused
   with a ValueError or TypeError naming an argument; shapes that cannot be
   valid are always refused (nothing is broadcast or cut).
6. kinds: complex, string, object arrays, None and dicts are refused naming
   the argument.
7. scalars: integer, positive-number and choice arguments accept exactly
   their valid values and refuse the rest naming the argument.

``test_every_public_name_is_covered`` keeps the table complete: each name in
rnnlib.__all__ and in the __all__ of every module and subpackage module is
either specified here or listed in EXEMPT with the reason.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
import re
import warnings
from dataclasses import dataclass, field
from typing import Callable

import matplotlib
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")  # the figures' specs draw off screen
from matplotlib.figure import Figure  # noqa: E402

import rnnlib  # noqa: E402
from rnnlib import broken, charlm, diagnostics, display, horizon, initializers, plots, reference  # noqa: E402
from rnnlib import tasks, truncated, workbook  # noqa: E402
from rnnlib._checks import MAX_INT  # noqa: E402
from rnnlib.activations import hidden_activation, identity, output_activation, relu, tanh  # noqa: E402
from rnnlib.backprop import loss_grad_and_state, streamed_gradients  # noqa: E402
from rnnlib.forward_pass import as_sequences, check_params, run_forward  # noqa: E402
from rnnlib.gradcheck import tolerance  # noqa: E402
from rnnlib.losses import check_loss, output_error_tm, target_tm  # noqa: E402
from rnnlib.optim import AdamState  # noqa: E402

FAST = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])

m, n, k, N, T = 3, 4, 2, 2, 3
_rng = np.random.default_rng(11)
P = rnnlib.init_params(m, n, k, rng=_rng)
P = rnnlib.Params(P.W_xh, P.W_hh, P.W_hy, 0.1 * _rng.normal(size=n), 0.1 * _rng.normal(size=k))
X = _rng.normal(size=(N, T, m))
Y = rnnlib.softmax(_rng.normal(size=(N, T, k)))  # probability vectors: valid for both losses
H0 = 0.5 * _rng.normal(size=(N, n))
X_INT = _rng.integers(0, 2, size=(N, T, m))
Y_INT = tasks.one_hot(_rng.integers(0, k, size=(N, T)), k).astype(np.int64)
PARTS = ("W_xh", "W_hh", "W_hy", "b_h", "b_y")
PARAM_ARRAYS = {f"params.{name}": a for name, a in P.items()}


def params_from(a, prefix="params"):
    return rnnlib.Params(*(a[f"{prefix}.{name}"] for name in PARTS))


def cache_of(params=P, x=X):
    return rnnlib.forward(params, np.asarray(x, params.dtype))


# --- the table of specs ------------------------------------------------------------


@dataclass
class Spec:
    """A valid call and what its array arguments may be."""

    call: Callable[[dict], object]  # dict of argument values -> result
    arrays: dict  # name -> canonical (valid) float64 array
    valid_shape: dict = field(default_factory=dict)  # name -> predicate on a shape; default: the canonical shape only
    finite: tuple | None = None  # arguments that must refuse NaN and inf (default: all)
    integral: dict = field(default_factory=dict)  # name -> integer-valued valid array, for the integer property
    float32: bool = True  # float32 in, float32 out
    layouts: bool = True
    fill: Callable | None = None  # shape -> array used in the shape property
    none_ok: tuple = ()  # arguments for which None is a valid value (not given)
    also: tuple = ()  # other names an error may give (an argument the spec's own set-up passes)


def _any(shape):
    return True


def _last_axis(shape):
    return len(shape) >= 1 and shape[-1] >= 1


def _sequences(shape):
    return len(shape) in (2, 3) and shape[-1] == m and min(shape) >= 1


def _with_params(arrays):
    return {**PARAM_ARRAYS, **arrays}


def _elementwise(fn):
    return Spec(lambda a: fn(a["z"]), {"z": _rng.normal(size=(2, 3))}, {"z": _any}, integral={"z": X_INT})


def _normalising(fn):
    return Spec(lambda a: fn(a["o"]), {"o": _rng.normal(size=(2, 3))}, {"o": _last_axis}, integral={"o": X_INT})


def _xy(fn, **kw):
    """fn(params, X, Y, **kw), with X and Y and the five parameters as array arguments."""
    return Spec(
        lambda a: fn(params_from(a), a["X"], a["Y"], **kw),
        _with_params({"X": X, "Y": Y}),
        {"X": _sequences},
        integral={"X": X_INT, "Y": Y_INT},
    )


def _on_cache(fn, **kw):
    """fn(cache, Y): the cache comes from the canonical forward pass; Y is the array argument."""
    return Spec(
        lambda a: fn(cache_of(params_from(a, "p")), a["Y"], **kw),
        {"Y": Y, **{f"p.{name}": v for name, v in P.items()}},
        finite=("Y",),
        integral={"Y": Y_INT},
    )


def _grads_spec(fn):
    return Spec(lambda a: fn(params_from(a, "grads")), {f"grads.{name}": 0.1 * v for name, v in P.items()})


def _update_spec(opt):
    def call(a):
        params, grads = params_from(a), params_from(a, "grads")
        state = opt.init(params)
        params, state = opt.update(params, grads, state)
        return opt.update(params, grads, state)[0]

    return Spec(call, {**PARAM_ARRAYS, **{f"grads.{name}": 0.1 * v for name, v in P.items()}})


def _one_sequence(fn, **kw):
    return Spec(
        lambda a: fn(params_from(a), a["X"], a["Y"], **kw),
        _with_params({"X": X[0], "Y": Y[0]}),
        {"X": lambda s: len(s) == 2 and s[-1] == m and min(s) >= 1},
        integral={"X": X_INT[0], "Y": Y_INT[0]},
    )


def _jacobians(fn):
    return Spec(
        lambda a: fn(params_from(a), rnnlib.forward(params_from(a), a["X"])),
        _with_params({"X": X[0]}),
        {"X": lambda s: len(s) == 2 and s[-1] == m and min(s) >= 1},
        integral={"X": X_INT[0]},
    )


def _sin_sum(v):
    return float(np.sum(np.sin(v)))


SPECS = {
    # activations
    "tanh": _elementwise(tanh),
    "sigmoid": _elementwise(rnnlib.sigmoid),
    "relu": _elementwise(relu),
    "identity": _elementwise(identity),
    "softmax": _normalising(rnnlib.softmax),
    "log_softmax": _normalising(rnnlib.log_softmax),
    # params
    "Params": Spec(lambda a: params_from(a), PARAM_ARRAYS, finite=()),  # a container: gradients may be NaN
    "vec": Spec(lambda a: rnnlib.vec(params_from(a)), PARAM_ARRAYS, finite=()),
    "unvec": Spec(lambda a: rnnlib.unvec(a["v"], m, n, k), {"v": rnnlib.vec(P)}),
    # forward pass
    "forward": Spec(
        lambda a: rnnlib.forward(params_from(a), a["X"], h0=a["h0"]),
        _with_params({"X": X, "h0": H0}),
        {"X": _sequences},
        integral={"X": X_INT, "h0": X_INT[:, 0, :1].repeat(n, 1)},
    ),
    "run_forward": Spec(
        lambda a: run_forward(params_from(a), a["X"], f="tanh", g="softmax", lean=True),
        _with_params({"X": X}),
        {"X": _sequences},
        integral={"X": X_INT},
    ),
    "as_sequences": Spec(lambda a: as_sequences(params_from(a), a["X"])[0], _with_params({"X": X}), {"X": _sequences},
                         finite=("X",), integral={"X": X_INT}),
    "check_params": Spec(lambda a: check_params(params_from(a)), PARAM_ARRAYS),
    # losses
    "per_step_cost": _on_cache(rnnlib.per_step_cost, loss="cross_entropy"),
    "cost": _on_cache(rnnlib.cost),
    "cost_gradient_y": _on_cache(rnnlib.cost_gradient_y, loss="cross_entropy"),
    "output_error": _on_cache(rnnlib.output_error, loss="cross_entropy"),
    # backpropagation
    "backward": Spec(
        lambda a: rnnlib.backward(params_from(a), cache_of(params_from(a)), a["dC_dy"]),
        _with_params({"dC_dy": Y - 0.5}),
        integral={"dC_dy": Y_INT},
    ),
    "bptt": Spec(
        lambda a: rnnlib.bptt(params_from(a), cache_of(params_from(a)), e=a["e"]),
        _with_params({"e": Y - 0.5}),
        integral={"e": Y_INT},
    ),
    "gradients": Spec(
        lambda a: rnnlib.gradients(
            cache_of(params_from(a)), rnnlib.backward(params_from(a), cache_of(params_from(a)), e=a["e"])
        ),
        _with_params({"e": Y - 0.5}),
        integral={"e": Y_INT},
    ),
    "loss_and_grad": _xy(rnnlib.loss_and_grad, loss="cross_entropy"),
    "loss_grad_and_state": Spec(
        lambda a: loss_grad_and_state(params_from(a), a["X"], a["Y"], h0=a["h0"]),
        _with_params({"X": X, "Y": Y, "h0": H0}),
        {"X": _sequences},
        integral={"X": X_INT, "Y": Y_INT},
    ),
    "streamed_gradients": Spec(
        lambda a: streamed_gradients(
            params_from(a),
            cache_of(params_from(a)),
            output_error_tm(cache_of(params_from(a)), np.swapaxes(Y, 0, 1), "mse"),
        ),
        PARAM_ARRAYS,
        also=("X",),  # the cache comes from a forward pass over the module's X
    ),
    # broken gradients: the same checks as loss_and_grad
    **{f"broken.{name}": _xy(fn) for name, fn in broken.VARIANTS.items()},
    # gradient checks
    "numerical_derivative": Spec(
        lambda a: rnnlib.numerical_derivative(_sin_sum, a["x"], stencil="central"),
        {"x": _rng.normal(size=(2, 3))},
        {"x": _any},
        integral={"x": X_INT[0]},
        float32=False,  # documented: always float64
    ),
    "numerical_gradient": Spec(
        lambda a: rnnlib.numerical_gradient(lambda p: float(np.sum(np.sin(rnnlib.vec(p)))), params_from(a),
                                            stencil="central"),
        PARAM_ARRAYS,
        float32=False,  # the finite differences run in float64 and are returned in the parameters' dtype
    ),
    "relative_error": Spec(
        lambda a: rnnlib.relative_error(a["a"], a["b"]),
        {"a": _rng.normal(size=(2, 3)), "b": _rng.normal(size=(2, 3))},
        integral={"a": X_INT[0, :2], "b": X_INT[1, :2]},
        float32=False,  # documented: float64
    ),
    "check_gradient": Spec(
        lambda a: rnnlib.check_gradient(params_from(a), a["X"], a["Y"], stencil="forward"),
        _with_params({"X": X[:1, :1], "Y": Y[:1, :1]}),
        {"X": _sequences},
        integral={"X": X_INT[:1, :1], "Y": Y_INT[:1, :1]},
        float32=False,
    ),
    # optimisers and clipping
    **{f"{type(opt).__name__}.update": _update_spec(opt) for opt in
       (rnnlib.GradientDescent(0.1), rnnlib.Momentum(0.1), rnnlib.Adagrad(0.1), rnnlib.Adam(0.1))},
    "global_norm": Spec(
        lambda a: rnnlib.global_norm(params_from(a, "grads")), {f"grads.{nm}": 0.1 * v for nm, v in P.items()},
        finite=(),  # documented: NaN or inf give a NaN or inf norm (how train sees divergence)
    ),
    "clip_by_global_norm": _grads_spec(lambda g: rnnlib.clip_by_global_norm(g, 0.05)),
    "clip_elementwise": _grads_spec(lambda g: rnnlib.clip_elementwise(g, 0.01)),
    # training
    "train": Spec(
        lambda a: rnnlib.train(
            params_from(a), a["X"], a["Y"], optimizer=rnnlib.Adam(0.01), steps=2, batch_size=1, rng=0
        )[0],
        _with_params({"X": X, "Y": Y}),
        {"X": lambda s: len(s) == 3 and s[-1] == m and min(s) >= 1},
        integral={"X": X_INT, "Y": Y_INT},
    ),
    "truncated_gradient": Spec(
        lambda a: truncated.truncated_gradient(params_from(a), a["X"], a["Y"], k1=1, k2=2, h0=a["h0"]),
        _with_params({"X": X, "Y": Y, "h0": H0}),
        {"X": _sequences},
        integral={"X": X_INT, "Y": Y_INT},
    ),
    "chunk_gradients": Spec(
        lambda a: truncated.chunk_gradients(params_from(a), a["X"], a["Y"], k=2, h0=a["h0"]),
        _with_params({"X": X, "Y": Y, "h0": H0}),
        {"X": lambda s: len(s) == 3 and s[-1] == m and min(s) >= 1},
        integral={"X": X_INT, "Y": Y_INT},
    ),
    # tasks
    "one_hot": Spec(
        lambda a: tasks.one_hot(a["indices"], k),
        {"indices": _rng.integers(0, k, size=(2, 3))},
        {"indices": _any},
        finite=(),
        float32=False,  # the dtype is an argument
        fill=lambda shape: np.zeros(shape, np.int64),
    ),
    # diagnostics
    "spectral_radius": Spec(
        lambda a: diagnostics.spectral_radius(a["W"]), {"W": P.W_hh}, integral={"W": X_INT[0, :, :3]}
    ),
    "with_spectral_radius": Spec(lambda a: diagnostics.with_spectral_radius(params_from(a), 0.9), PARAM_ARRAYS),
    "step_jacobians": _jacobians(diagnostics.step_jacobians),
    "jacobian_product_norms": _jacobians(diagnostics.jacobian_product_norms),
    "cost_state_sensitivity": _one_sequence(diagnostics.cost_state_sensitivity),
}
SPECS["reference.time_indexed"] = Spec(lambda a: reference.time_indexed(a["a"]), {"a": _rng.normal(size=(3, 2))},
                                      {"a": lambda s: len(s) == 2 and 0 not in s})
SPECS["Params.astype"] = Spec(lambda a: params_from(a).astype(np.float64), PARAM_ARRAYS, finite=(), float32=False)
SPECS["Params.map"] = Spec(lambda a: params_from(a).map(np.add, params_from(a)), PARAM_ARRAYS, finite=())
SPECS["Params.copy"] = Spec(lambda a: params_from(a).copy(), PARAM_ARRAYS, finite=())


# --- scalar arguments ---------------------------------------------------------------


@dataclass
class Scalars:
    """A valid call and, for each scalar argument, a predicate for its valid values."""

    call: Callable[[dict], object]
    values: dict  # name -> a valid value
    valid: dict  # name -> predicate
    also: tuple = ()  # other arguments an error may name (e.g. k2 when k1 > k2)


def integer(lo, hi=MAX_INT):
    return lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and lo <= v <= hi


def positive(allow_zero=False, below=math.inf):
    def ok(v):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            return False
        return math.isfinite(v) and (v >= 0 if allow_zero else v > 0) and v < below

    return ok


def optional(ok):
    return lambda v: v is None or ok(v)


def choice(*options):
    return lambda v: isinstance(v, str) and v in options


F_CHOICES = choice("tanh", "sigmoid", "relu", "identity")
G_CHOICES = choice("softmax", "identity", "sigmoid", "tanh")
LOSS = choice("mse", "cross_entropy")  # Y holds probabilities and g = softmax: both are valid

SCALARS = {
    "init_params": Scalars(lambda s: rnnlib.init_params(s["m"], s["n"], s["k"], rng=0), dict(m=2, n=3, k=1),
                           dict(m=integer(1), n=integer(1), k=integer(1))),
    "num_params": Scalars(lambda s: rnnlib.num_params(s["m"], s["n"], s["k"]), dict(m=2, n=3, k=1),
                          dict(m=integer(1), n=integer(1), k=integer(1))),
    "unvec": Scalars(lambda s: rnnlib.unvec(np.zeros(rnnlib.num_params(2, 3, 1)), s["m"], 3, 1), dict(m=2),
                     dict(m=lambda v: integer(1)(v) and v == 2), also=("v",)),
    "forward": Scalars(lambda s: rnnlib.forward(P, X, f=s["f"], g=s["g"]), dict(f="tanh", g="softmax"),
                       dict(f=F_CHOICES, g=G_CHOICES)),
    "loss_and_grad": Scalars(
        lambda s: rnnlib.loss_and_grad(P, X, Y, loss=s["loss"], f=s["f"]),
        dict(loss="mse", f="relu"),
        dict(loss=LOSS, f=F_CHOICES),
    ),
    "cost": Scalars(lambda s: rnnlib.cost(cache_of(), Y, loss=s["loss"]), dict(loss="mse"), dict(loss=LOSS)),
    "check_loss": Scalars(lambda s: check_loss(s["loss"], "softmax"), dict(loss="mse"), dict(loss=LOSS)),
    "hidden_activation": Scalars(lambda s: hidden_activation(s["f"]), dict(f="tanh"), dict(f=F_CHOICES)),
    "output_activation": Scalars(lambda s: output_activation(s["g"]), dict(g="tanh"), dict(g=G_CHOICES)),
    "softmax": Scalars(lambda s: rnnlib.softmax(X, axis=s["axis"]), dict(axis=-1), dict(axis=optional(integer(-3, 2)))),
    "numerical_derivative": Scalars(
        lambda s: rnnlib.numerical_derivative(_sin_sum, np.zeros(2), stencil=s["stencil"], eps=s["eps"]),
        dict(stencil="central", eps=1e-4),
        dict(stencil=choice("forward", "central", "central4"), eps=optional(positive())),
    ),
    "relative_error": Scalars(lambda s: rnnlib.relative_error(1.0, 2.0, floor=s["floor"]), dict(floor=0.0),
                              dict(floor=positive(allow_zero=True))),
    "GradientDescent": Scalars(lambda s: rnnlib.GradientDescent(lr=s["lr"]), dict(lr=0.1), dict(lr=positive())),
    "Momentum": Scalars(lambda s: rnnlib.Momentum(lr=s["lr"], beta=s["beta"]), dict(lr=0.1, beta=0.9),
                        dict(lr=positive(), beta=positive(allow_zero=True, below=1))),
    "Adagrad": Scalars(lambda s: rnnlib.Adagrad(lr=s["lr"], eps=s["eps"]), dict(lr=0.1, eps=1e-8),
                       dict(lr=positive(), eps=positive())),
    "Adam": Scalars(lambda s: rnnlib.Adam(lr=s["lr"], beta1=s["beta1"], beta2=s["beta2"], eps=s["eps"]),
                    dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8),
                    dict(lr=positive(), beta1=positive(True, 1), beta2=positive(True, 1), eps=positive())),
    "clip_by_global_norm": Scalars(lambda s: rnnlib.clip_by_global_norm(P, s["max_norm"]), dict(max_norm=1.0),
                                   dict(max_norm=positive())),
    "clip_elementwise": Scalars(
        lambda s: rnnlib.clip_elementwise(P, s["limit"]), dict(limit=1.0), dict(limit=positive())
    ),
    "train": Scalars(
        lambda s: rnnlib.train(
            P, X, Y, optimizer=rnnlib.GradientDescent(0.1), steps=s["steps"], batch_size=s["batch_size"],
            clip_norm=s["clip_norm"], clip_value=s["clip_value"], loss=s["loss"], rng=0,
        ),
        dict(steps=1, batch_size=1, clip_norm=1.0, clip_value=1.0, loss="mse"),
        dict(steps=integer(1, 3), batch_size=optional(integer(1, N)), clip_norm=optional(positive()),
             clip_value=optional(positive()), loss=LOSS),
    ),
    "truncated_gradient": Scalars(lambda s: truncated.truncated_gradient(P, X, Y, k1=s["k1"], k2=3), dict(k1=2),
                                  dict(k1=integer(1, 3)), also=("k2",)),
    "chunk_gradients": Scalars(lambda s: truncated.chunk_gradients(P, X, Y, k=s["k"]), dict(k=2), dict(k=integer(1))),
    "streamed_gradients": Scalars(
        lambda s: streamed_gradients(P, cache_of(), output_error_tm(cache_of(), np.swapaxes(Y, 0, 1), "mse"),
                                     s["rows_per_block"]),
        dict(rows_per_block=8), dict(rows_per_block=integer(1)),
    ),
    "one_hot": Scalars(lambda s: tasks.one_hot([0, 1], s["k"]), dict(k=2), dict(k=integer(2))),
    "sine_continuation": Scalars(lambda s: tasks.sine_continuation(s["N"], s["T"], noise=s["noise"], rng=0),
                                 dict(N=2, T=3, noise=0.1), dict(N=integer(1), T=integer(1), noise=positive(True))),
    "delayed_recall": Scalars(lambda s: tasks.delayed_recall(2, 5, delay=s["delay"], symbols=s["symbols"], rng=0),
                              dict(delay=2, symbols=3), dict(delay=integer(0, 4), symbols=integer(2))),
    "adding_problem": Scalars(lambda s: tasks.adding_problem(s["N"], s["T"], rng=0), dict(N=2, T=4),
                              dict(N=integer(1), T=integer(2))),
    "with_spectral_radius": Scalars(lambda s: diagnostics.with_spectral_radius(P, s["rho"]), dict(rho=0.5),
                                    dict(rho=positive(allow_zero=True))),
    "cost_state_sensitivity": Scalars(lambda s: diagnostics.cost_state_sensitivity(P, X[0], Y[0], loss=s["loss"]),
                                      dict(loss="mse"), dict(loss=LOSS)),
    "tolerance": Scalars(lambda s: tolerance(s["stencil"], s["eps"]), dict(stencil="central", eps=1e-4),
                         dict(stencil=choice("forward", "central", "central4"), eps=optional(positive()))),
    "tbptt_backward_steps": Scalars(lambda s: diagnostics.tbptt_backward_steps(s["T"], 5, 5), dict(T=10),
                                    dict(T=integer(1))),
}

#: arguments that are objects, not arrays or scalars: a wrong type must be a TypeError naming them
OBJECTS = {
    "forward(params)": (lambda v: rnnlib.forward(v, X), "params"),
    "vec(params)": (lambda v: rnnlib.vec(v), "params"),
    "per_step_cost(cache)": (lambda v: rnnlib.per_step_cost(v, Y), "cache"),
    "backward(cache)": (lambda v: rnnlib.backward(P, v, Y), "cache"),
    "gradients(signals)": (lambda v: rnnlib.gradients(cache_of(), v), "signals"),
    "step_jacobians(cache)": (lambda v: diagnostics.step_jacobians(P, v), "cache"),
    "mean_derivative(cache)": (lambda v: diagnostics.mean_derivative(v), "cache"),
    "train(optimizer)": (lambda v: rnnlib.train(P, X, Y, optimizer=v, steps=1), "optimizer"),
    "update(grads)": (lambda v: rnnlib.Adam().update(P, v, rnnlib.Adam().init(P)), "grads"),
    "update(state)": (lambda v: rnnlib.Momentum().update(P, P, v), "state"),
    "GradientDescent.update(state)": (lambda v: rnnlib.GradientDescent().update(P, P, v), "state"),
    "Adagrad.update(state)": (lambda v: rnnlib.Adagrad().update(P, P, v), "state"),
    "Adam.update(state)": (lambda v: rnnlib.Adam().update(P, P, v), "state"),
    "init(params)": (lambda v: rnnlib.Adagrad().init(v), "params"),
    "global_norm(grads)": (lambda v: rnnlib.global_norm(v), "grads"),
    "Params.map(others)": (lambda v: P.map(np.add, v), "others"),
    "Params.map(fn)": (lambda v: P.map(v), "fn"),
    "numerical_derivative(fn)": (lambda v: rnnlib.numerical_derivative(v, np.zeros(2)), "fn"),
    "numerical_gradient(cost_fn)": (lambda v: rnnlib.numerical_gradient(v, P), "cost_fn"),
    "check_gradient(grad_fn)": (lambda v: rnnlib.check_gradient(P, X, Y, grad_fn=v), "grad_fn"),
    "save_params(path)": (lambda v: rnnlib.save_params(v, P), "path"),
    "load_params(path)": (lambda v: rnnlib.load_params(v), "path"),
    "show_source(obj)": (lambda v: display.show_source(v), "obj"),
    "init_params(dtype)": (lambda v: rnnlib.init_params(1, 1, 1, dtype=v), "dtype"),
    "Params.astype(dtype)": (lambda v: P.astype(v), "dtype"),
    "init_params(rng)": (lambda v: rnnlib.init_params(1, 1, 1, rng=v), "rng"),
}

# --- the teaching forms, the figures, the initialisations and the applications ---------

_rng2 = np.random.default_rng(12)
Z1, H1, O1, _ = reference.forward_einsum(P, X[0])  # one sequence's forward pass, row t is time t
INT_N = _rng2.integers(0, 2, size=n)  # 0 and 1: the property also tries unsigned and boolean types
INT_W = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])  # an integer matrix with spectral radius > 0
INT_W_HH = _rng2.integers(0, 2, size=(n, n))


def _one_x(shape):
    return len(shape) == 2 and shape[-1] == m and min(shape) >= 1


def _reference_bptt(fn):
    return Spec(
        lambda a: fn(params_from(a), a["x"], a["z"], a["h"], a["o"], a["dC_dy"]),
        _with_params({"x": X[0], "z": Z1, "h": H1, "o": O1, "dC_dy": Y[0] - 0.5}),
        {"x": _one_x},
        finite=(*PARAM_ARRAYS, "x", "h", "dC_dy"),  # row 0 of z and o is NaN by contract: a test of its own below
        integral={"x": X_INT[0], "dC_dy": Y_INT[0]},
    )


def _drawn(draw):
    """Draw on a fresh figure; the result is the data drawn (images, then the lines' y values)."""

    def call(a):
        ax = Figure().add_subplot()  # outside pyplot: nothing to close, and quicker to make
        draw(ax, a)
        return [np.asarray(im.get_array()) for im in ax.images] + [np.asarray(ln.get_ydata()) for ln in ax.lines]

    return call


def _on_ax(draw):
    return lambda v: _drawn(lambda ax, a: draw(ax, v))({})


# the character model: a four-letter vocabulary, n = 3, two streams of two steps
CL_TEXT = "abcab cabba bacca" * 2
CL_SET = charlm.Settings(hidden=3, seq_length=2, batch=2)
CL_STATE = charlm.start(CL_TEXT, CL_SET)
VOCAB = CL_STATE.vocab
CL_P = rnnlib.Params(*(a + 0.1 for a in CL_STATE.params))
CL_ARRAYS = {f"params.{name}": a for name, a in CL_P.items()}
TINY_RECALL = horizon.RecallSetup(n=2, N_train=4, N_test=2, extra=1, batch_size=2)  # one epoch = 2 steps
TINY_ADDING = horizon.AddingSetup(n=2, N_train=4, N_test=2, batch_size=2)


def _cl_state(a):
    """A TrainState from the arrays; Adam's state made without checks, so train's own check is the one tested."""
    params = params_from(a, "state.params")
    zeros = params.map(np.zeros_like)
    return charlm.TrainState(params, VOCAB, CL_SET, AdamState(0, zeros, zeros), a["state.h"])


def _finite_real(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)) and \
        math.isfinite(v)


SPECS.update({
    # the teaching forms (tested equal to the fast code in test_bptt.py)
    "reference.forward_step_loops": Spec(
        lambda a: reference.forward_step_loops(params_from(a), a["h_prev"], a["x_t"]),
        _with_params({"h_prev": H0[0], "x_t": X[0, 0]}),
        integral={"h_prev": INT_N, "x_t": X_INT[0, 0]},
    ),
    **{f"reference.{fn.__name__}": Spec(lambda a, fn=fn: fn(params_from(a), a["x"]), _with_params({"x": X[0]}),
                                        {"x": _one_x}, integral={"x": X_INT[0]})
       for fn in (reference.forward_einsum, reference.forward_matrix)},
    "reference.bptt_einsum": _reference_bptt(reference.bptt_einsum),
    "reference.bptt_matrix": _reference_bptt(reference.bptt_matrix),
    "reference.loss_and_grad_reference": _xy(reference.loss_and_grad_reference, loss="cross_entropy"),
    # initial recurrent weights
    "initializers.with_radius": Spec(lambda a: initializers.with_radius(a["W"], 0.9), {"W": P.W_hh},
                                     {"W": lambda s: len(s) == 2 and s[0] == s[1] >= 1}, integral={"W": INT_W}),
    "initializers.with_W_hh": Spec(lambda a: initializers.with_W_hh(params_from(a), a["W_hh"]),
                                   _with_params({"W_hh": 0.5 * P.W_hh}), integral={"W_hh": INT_W_HH}),
    # figures: properties 1, 2 and 4-6 on the data drawn; a figure has no float32 output (property 3)
    "plots.plot_hidden_states": Spec(
        _drawn(lambda ax, a: plots.plot_hidden_states(ax, a["h"], colorbar=False)), {"h": H1},
        {"h": lambda s: len(s) == 2 and min(s) >= 1}, integral={"h": INT_W}, float32=False,
    ),
    "plots.plot_curves": Spec(
        _drawn(lambda ax, a: plots.plot_curves(ax, {"cost": a["curves['cost']"], "norm": a["curves['norm']"]},
                                               log=False)),  # a linear axis draws 0 too; the log axis: test_robustness
        {"curves['cost']": np.array([3.0, 2.0, 1.5, 1.0]), "curves['norm']": np.array([0.5, 0.7, 0.2])},
        {"curves['cost']": lambda s: len(s) == 1 and s[0] >= 1, "curves['norm']": lambda s: len(s) == 1 and s[0] >= 1},
        finite=(),  # NaN marks a gap (chapter 8 draws gaps); inf is refused: test_plot_curves_gaps_and_inf
        integral={"curves['cost']": np.array([1, 0, 1])},
        float32=False,
    ),
    "plots.plot_sequence": Spec(
        _drawn(lambda ax, a: plots.plot_sequence(ax, x=a["x"], y=a["y"], target=a["target"])),
        {"x": X[0, :, 0], "y": Y[0, :, :1], "target": Y[0, :, 1]},
        {name: lambda s: (len(s) == 1 or (len(s) == 2 and s[1] == 1)) and s[0] >= 1 for name in ("x", "y", "target")},
        integral={"x": X_INT[0, :, 0], "y": Y_INT[0, :, :1]},
        float32=False,
        none_ok=("x", "y", "target"),  # a curve not drawn
    ),
    # the character model
    "charlm.streams": Spec(lambda a: charlm.streams(a["indices"], 2, 2), {"indices": np.arange(9) % 4},
                           {"indices": lambda s: len(s) == 1 and s[0] >= 6}, finite=(), float32=False,
                           fill=lambda shape: np.zeros(shape, np.int64)),  # codes are integers: no NaN, no float
    "charlm.Vocabulary.decode": Spec(lambda a: VOCAB.encode(VOCAB.decode(a["indices"])), {"indices": np.arange(6) % 4},
                                     {"indices": lambda s: len(s) == 1}, finite=(), float32=False,
                                     fill=lambda shape: np.zeros(shape, np.int64)),  # codes: integers only
    "charlm.evaluate": Spec(lambda a: charlm.evaluate(params_from(a), VOCAB, CL_TEXT), CL_ARRAYS,
                            float32=False),  # a Python float
    "charlm.sample": Spec(lambda a: VOCAB.encode(charlm.sample(params_from(a), VOCAB, length=6, prime="ab", rng=0)),
                          CL_ARRAYS, float32=False),  # text
    "charlm.train": Spec(
        lambda a: charlm.train(_cl_state(a), CL_TEXT, 1).params,
        {**{f"state.{name}": v for name, v in CL_ARRAYS.items()}, "state.h": np.full((2, 3), 0.1)},
        integral={"state.h": np.zeros((2, 3), np.int64)},
        float32=False,  # the model trains in float64 (its one-hot inputs are float64); float32 is refused by name
    ),
})

SPECS["charlm.cli.smoothed_loss"] = Spec(
    lambda a: charlm.cli.smoothed_loss(a["losses"], 0.5), {"losses": np.array([3.0, 2.5, 2.0])},
    {"losses": lambda s: len(s) == 1}, finite=(),  # a diverged step's NaN or inf is shown, not refused
    integral={"losses": np.array([1, 0, 1])}, float32=False,  # a Python float
)

SCALARS.update({
    "charlm.cli.perplexity_text": Scalars(lambda s: charlm.cli.perplexity_text(s["loss"]), dict(loss=1.0),
                                          dict(loss=lambda v: isinstance(v, (int, float, np.integer, np.floating))
                                               and not isinstance(v, (bool, np.bool_)))),  # NaN, inf: shown

    "reference.forward_einsum": Scalars(lambda s: reference.forward_einsum(P, X[0], f=s["f"], g=s["g"]),
                                        dict(f="tanh", g="softmax"), dict(f=F_CHOICES, g=G_CHOICES)),
    "reference.loss_and_grad_reference": Scalars(
        lambda s: reference.loss_and_grad_reference(P, X, Y, loss=s["loss"], form=s["form"]),
        dict(loss="mse", form="matrix"), dict(loss=LOSS, form=choice("einsum", "matrix")),
    ),
    "initializers.orthogonal": Scalars(lambda s: initializers.orthogonal(s["n"], rng=0), dict(n=3),
                                       dict(n=integer(1))),
    "initializers.identity": Scalars(lambda s: initializers.identity(s["n"], scale=s["scale"]), dict(n=2, scale=1.0),
                                     dict(n=integer(1), scale=_finite_real)),
    "initializers.with_radius": Scalars(lambda s: initializers.with_radius(P.W_hh, s["rho"]), dict(rho=0.5),
                                        dict(rho=positive(allow_zero=True))),
    "plots.draw_unrolled": Scalars(lambda s: _on_ax(lambda ax, v: plots.draw_unrolled(ax, T=v))(s["T"]), dict(T=3),
                                   dict(T=integer(1, plots.MAX_DRAWN_STEPS))),
    "plots.draw_backward": Scalars(lambda s: _on_ax(lambda ax, v: plots.draw_backward(ax, T=v))(s["T"]), dict(T=3),
                                   dict(T=integer(1, plots.MAX_DRAWN_STEPS))),
    "plots.reference_lines": Scalars(
        lambda s: _on_ax(lambda ax, v: plots.reference_lines(ax, {"persistence": v, "linear": 0.1}))(s["level"]),
        dict(level=0.5), dict(level=positive()), also=("levels['persistence']",),
    ),
    "plots.plot_hidden_states": Scalars(
        lambda s: _on_ax(lambda ax, v: plots.plot_hidden_states(ax, H1, vmax=v, colorbar=False))(s["vmax"]),
        dict(vmax=1.0), dict(vmax=optional(positive())),
    ),
    "charlm.Settings": Scalars(lambda s: charlm.Settings(hidden=s["hidden"], lr=s["lr"], optimizer=s["optimizer"]),
                               dict(hidden=3, lr=0.1, optimizer="adam"),
                               dict(hidden=integer(1), lr=positive(), optimizer=choice("adam", "adagrad"))),
    "charlm.Vocabulary": Scalars(lambda s: charlm.Vocabulary(s["chars"]), dict(chars="ab"),
                                 dict(chars=lambda v: isinstance(v, str) and v != "" and list(v) == sorted(set(v)))),
    "charlm.streams": Scalars(lambda s: charlm.streams(np.arange(40) % 4, s["N"], s["T"]), dict(N=2, T=2),
                              dict(N=integer(1), T=integer(1))),
    "charlm.sample": Scalars(
        lambda s: charlm.sample(CL_P, VOCAB, length=s["length"], temperature=s["temperature"], rng=0),
        dict(length=3, temperature=1.0), dict(length=integer(0), temperature=positive()),
    ),
    "charlm.evaluate": Scalars(lambda s: charlm.evaluate(CL_P, VOCAB, CL_TEXT, chunk=s["chunk"]), dict(chunk=4),
                               dict(chunk=integer(1))),
    "charlm.train": Scalars(lambda s: charlm.train(CL_STATE, CL_TEXT, s["steps"]), dict(steps=1),
                            dict(steps=integer(0))),
    "horizon.initial_params": Scalars(lambda s: horizon.initial_params(s["init"], s["m"], 3, 2, rng=0),
                                      dict(init="default", m=2), dict(init=choice(*horizon.INITS), m=integer(1))),
    "horizon.recall_run": Scalars(
        lambda s: horizon.recall_run(s["delay"], "default", seed=s["seed"], budgets=(2,), setup=TINY_RECALL),
        dict(delay=1, seed=0), dict(delay=integer(1), seed=integer(0)),
    ),
    "horizon.adding_run": Scalars(lambda s: horizon.adding_run(s["T"], seed=0, budgets=(2,), setup=TINY_ADDING),
                                  dict(T=3), dict(T=integer(2))),
    "horizon.RecallSetup": Scalars(lambda s: horizon.RecallSetup(n=s["n"], lr=s["lr"], symbols=s["symbols"]),
                                   dict(n=2, lr=0.1, symbols=2), dict(n=integer(1), lr=positive(), symbols=integer(2))),
    "horizon.AddingSetup": Scalars(lambda s: horizon.AddingSetup(batch_size=s["batch_size"], clip_norm=s["clip_norm"]),
                                   dict(batch_size=2, clip_norm=1.0),
                                   dict(batch_size=integer(1, 320), clip_norm=positive())),
    "workbook.check": Scalars(lambda s: workbook.check(s["name"], lambda *args, **kwargs: None), dict(name="vec"),
                              dict(name=choice(*workbook.EXERCISES))),
    "display.glue": Scalars(lambda s: display.glue(s["name"], s["value"], display=s["display"]),
                            dict(name="x", value=1.0, display=False),
                            dict(name=lambda v: isinstance(v, str) and v != "",
                                 value=lambda v: _finite_real(v) or not isinstance(v, (float, np.floating)),
                                 display=lambda v: isinstance(v, bool))),
})

OBJECTS.update({
    "reference.forward_step_loops(params)": (lambda v: reference.forward_step_loops(v, H0[0], X[0, 0]), "params"),
    "reference.bptt_matrix(params)": (lambda v: reference.bptt_matrix(v, X[0], Z1, H1, O1, Y[0]), "params"),
    "initializers.orthogonal(dtype)": (lambda v: initializers.orthogonal(2, dtype=v), "dtype"),
    "initializers.orthogonal(rng)": (lambda v: initializers.orthogonal(2, rng=v), "rng"),
    "initializers.identity(dtype)": (lambda v: initializers.identity(2, dtype=v), "dtype"),
    "initializers.with_W_hh(params)": (lambda v: initializers.with_W_hh(v, P.W_hh), "params"),
    "plots.draw_unrolled(ax)": (lambda v: plots.draw_unrolled(v), "ax"),
    "plots.draw_backward(ax)": (lambda v: plots.draw_backward(v), "ax"),
    "plots.plot_hidden_states(ax)": (lambda v: plots.plot_hidden_states(v, H1), "ax"),
    "plots.plot_curves(ax)": (lambda v: plots.plot_curves(v, {"a": [1.0]}), "ax"),
    "plots.plot_curves(curves)": (_on_ax(plots.plot_curves), "curves"),
    "plots.plot_sequence(ax)": (lambda v: plots.plot_sequence(v, x=[1.0]), "ax"),
    "charlm.start(settings)": (lambda v: charlm.start(CL_TEXT, v), "settings"),
    "charlm.start(text)": (lambda v: charlm.start(v, CL_SET), "text"),
    "charlm.train(state)": (lambda v: charlm.train(v, CL_TEXT, 1), "state"),
    "charlm.train(text)": (lambda v: charlm.train(CL_STATE, v, 1), "text"),
    "charlm.evaluate(params)": (lambda v: charlm.evaluate(v, VOCAB, CL_TEXT), "params"),
    "charlm.evaluate(vocab)": (lambda v: charlm.evaluate(CL_P, v, CL_TEXT), "vocab"),
    "charlm.sample(vocab)": (lambda v: charlm.sample(CL_P, v, length=2), "vocab"),
    "charlm.sample(prime)": (lambda v: charlm.sample(CL_P, VOCAB, length=2, prime=v), "prime"),
    "charlm.save(state)": (lambda v: charlm.save("never-written", v), "state"),
    "charlm.save(path)": (lambda v: charlm.save(v, CL_STATE), "path"),
    "charlm.load(path)": (lambda v: charlm.load(v), "path"),
    "charlm.cli.read_text(path)": (lambda v: charlm.cli.read_text(v), "path"),
    "horizon.recall_run(setup)": (lambda v: horizon.recall_run(1, "default", seed=0, budgets=(2,), setup=v), "setup"),
    "horizon.recall_run(budgets)": (
        lambda v: horizon.recall_run(1, "default", seed=0, budgets=v, setup=TINY_RECALL), "budgets"),
    "horizon.adding_run(setup)": (lambda v: horizon.adding_run(3, seed=0, budgets=(2,), setup=v), "setup"),
})
#: OBJECTS entries for which a str is a valid value (a file name) or one whose problem is its content, not its type
STR_IS_VALID = {"save_params(path)", "charlm.cli.read_text(path)", "charlm.save(path)", "charlm.load(path)", "charlm.start(text)",
                "charlm.train(text)", "charlm.sample(prime)"}


#: public names not in the tables above, and why: none is a function on data
EXEMPT = {
    # result and data types: made by rnnlib, not from user input
    "ForwardCache": "returned by forward; its use as an argument is in OBJECTS",
    "Signals": "returned by backward; its use as an argument is in OBJECTS",
    "GradCheck": "returned by check_gradient",
    "History": "returned by train",
    "Diverged": "an exception",
    **{name: "an optimiser's state, returned by its init and update; wrong states are in OBJECTS" for name in
       ("MomentumState", "AdagradState", "AdamState")},
    "Elementwise": "the activation objects behind HIDDEN/OUTPUT, kernels on trusted buffers",
    "Softmax": "the activation objects behind HIDDEN/OUTPUT, kernels on trusted buffers",
    "display.Source": "returned by show_source",
    "HIDDEN": "a dict",
    "OUTPUT": "a dict",
    "LOSSES": "a tuple",
    "VARIANTS": "a dict of the broken.* functions, which are specified",
    **{name: "a module" for name in ("broken", "reference", "tasks", "diagnostics", "display", "charlm", "truncated",
                                      "plots", "initializers", "horizon", "workbook", "gated")},
    "plots.use_book_style": "takes no argument: sets matplotlib's style (test_plots_display.py)",
    "horizon.INITS": "a tuple",
    "horizon.RecallRun": "returned by recall_run (test_horizon.py)",
    "charlm.CharLMError": "an exception",
    "charlm.Diverged": "an exception",
    "charlm.TrainState": "returned by start, train and load; as an argument: the spec charlm.train and OBJECTS",
    "charlm.main": "the command line: its arguments are parsed and refused in test_charlm_cli.py",
    "charlm.cli.parser": "builds the command line's argument parser (test_charlm_cli.py runs it)",
    "charlm.cli.Schedule": "the command line's schedule, filled from its parsed arguments (test_charlm_cli.py)",
    **{f"workbook.checker.{name}": "a tolerance constant" for name in ("RTOL", "ATOL")},
    **{f"workbook.exercises.{name}": "the description of an exercise's outputs and problems (data)"
       for name in ("Output", "Problem")},
    **{f"workbook.variants.{name}": "the checker's model answers, with a switch per catalogued mistake: they run only "
                                    "on the checker's own problems, in the notes' literal form; test_workbook.py "
                                    "checks them against the library" for name in workbook.variants.__all__},
    **{f"workbook.{name}": "the workbook's data and result types; check (specified) takes the learner's code, "
                           "and test_workbook.py feeds it crashing, wrongly shaped, None- and NaN-returning functions"
       for name in ("EXERCISES", "Exercise", "MISTAKES", "Mistake", "Report")},
}

COVERED_ELSEWHERE = {
    # name -> the table entries that cover it
    "Params": ["Params", "Params.astype", "Params.map", "Params.copy"],
    "GradientDescent": ["GradientDescent", "GradientDescent.update"],
    "Momentum": ["Momentum", "Momentum.update"],
    "Adagrad": ["Adagrad", "Adagrad.update"],
    "Adam": ["Adam", "Adam.update"],
    "save_params": ["save_params(path)"],
    "load_params": ["load_params(path)"],
    "display.show_source": ["show_source(obj)"],
    "sine_continuation": ["sine_continuation"],
    "delayed_recall": ["delayed_recall"],
    "adding_problem": ["adding_problem"],
    "check_loss": ["check_loss"],
    "mean_derivative": ["mean_derivative(cache)"],
    "hidden_activation": ["hidden_activation"],
    "output_activation": ["output_activation"],
    "initializers.identity": ["initializers.identity"],
    "charlm.save": ["charlm.save(path)", "charlm.save(state)"],
    "charlm.load": ["charlm.load(path)"],
    "charlm.start": ["charlm.start(text)", "charlm.start(settings)"],
    "charlm.cli.read_text": ["charlm.cli.read_text(path)"],
    **{name: [f"broken.{name}"] for name in broken.VARIANTS},
}

#: modules whose public names are written module.name here (their names would collide, e.g. identity)
PREFIXED = ("reference", "plots", "charlm", "initializers", "horizon", "workbook", "display")


# --- LSTM ---
# rnnlib.gated.lstm's functions, keyed "lstm.<name>" (their bare names are the RNN's), the LSTM bugs of the gallery
# and the LSTM reference; test_every_lstm_name_is_covered keeps this block complete for rnnlib.gated.lstm.
from rnnlib.gated import lstm  # noqa: E402

LP = lstm.init_params(m, n, k, rng=_rng).map(lambda a: a + 0.1 * _rng.normal(size=a.shape))
LSTM_ARRAYS = {f"params.{name}": a for name, a in LP.items()}


def lstm_params_from(a, prefix="params"):
    return lstm.LSTMParams(*(a[f"{prefix}.{name}"] for name in lstm.NAMES))


def _lstm_arrays(result):
    """The arrays of an LSTM result, as a list (the helpers above know the RNN's result types only)."""
    if isinstance(result, lstm.LSTMParams):
        return list(result)
    if isinstance(result, lstm.LSTMCache):
        return [result.f, result.i, result.c_tilde, result.o, result.c, result.h, result.u, result.y]
    if isinstance(result, lstm.LSTMSignals):
        return [result.e, result.delta_h, result.delta_c, result.delta_f, result.delta_i, result.delta_c_tilde,
                result.delta_o]
    if isinstance(result, tuple):
        return [x for r in result for x in _lstm_arrays(r)]
    return [result]


def _lstm_cache(a):
    return lstm.forward(lstm_params_from(a), np.asarray(X, lstm_params_from(a).dtype))


def _lstm_xy(fn, **kw):
    return Spec(
        lambda a: _lstm_arrays(fn(lstm_params_from(a), a["X"], a["Y"], **kw)),
        {**LSTM_ARRAYS, "X": X, "Y": Y},
        {"X": _sequences},
        integral={"X": X_INT, "Y": Y_INT},
    )


SPECS.update({
    "lstm.LSTMParams": Spec(lambda a: _lstm_arrays(lstm_params_from(a)), LSTM_ARRAYS, finite=()),  # may hold NaN
    "lstm.vec": Spec(lambda a: lstm.vec(lstm_params_from(a)), LSTM_ARRAYS, finite=()),
    "lstm.unvec": Spec(lambda a: _lstm_arrays(lstm.unvec(a["v"], m, n, k)), {"v": lstm.vec(LP)}),
    "lstm.forward": Spec(
        lambda a: _lstm_arrays(lstm.forward(lstm_params_from(a), a["X"], h0=a["h0"])),
        {**LSTM_ARRAYS, "X": X, "h0": H0},
        {"X": _sequences},
        integral={"X": X_INT, "h0": X_INT[:, 0, :1].repeat(n, 1)},
    ),
    "lstm.backward": Spec(
        lambda a: _lstm_arrays(lstm.backward(lstm_params_from(a), _lstm_cache(a), a["dC_dy"])),
        {**LSTM_ARRAYS, "dC_dy": Y - 0.5},
        integral={"dC_dy": Y_INT},
    ),
    "lstm.gradients": Spec(
        lambda a: _lstm_arrays(
            lstm.gradients(_lstm_cache(a), lstm.backward(lstm_params_from(a), _lstm_cache(a), e=a["e"]))
        ),
        {**LSTM_ARRAYS, "e": Y - 0.5},
        integral={"e": Y_INT},
    ),
    "lstm.loss_and_grad": _lstm_xy(lstm.loss_and_grad, loss="cross_entropy"),
    **{f"broken.{name}": _lstm_xy(fn) for name, fn in broken.LSTM_VARIANTS.items()},
})
SCALARS.update({
    "lstm.init_params": Scalars(lambda s: lstm.init_params(s["m"], s["n"], s["k"], rng=0), dict(m=2, n=3, k=1),
                                dict(m=integer(1), n=integer(1), k=integer(1))),
    "lstm.num_params": Scalars(lambda s: lstm.num_params(s["m"], s["n"], s["k"]), dict(m=2, n=3, k=1),
                               dict(m=integer(1), n=integer(1), k=integer(1))),
    "lstm.unvec": Scalars(lambda s: lstm.unvec(np.zeros(lstm.num_params(2, 3, 1)), s["m"], 3, 1), dict(m=2),
                          dict(m=lambda v: integer(1)(v) and v == 2), also=("v",)),
    "lstm.forward": Scalars(lambda s: lstm.forward(LP, X, g=s["g"]), dict(g="softmax"), dict(g=G_CHOICES)),
    "lstm.loss_and_grad": Scalars(lambda s: lstm.loss_and_grad(LP, X, Y, loss=s["loss"]), dict(loss="mse"),
                                  dict(loss=LOSS)),
})
OBJECTS.update({
    "lstm.forward(params)": (lambda v: lstm.forward(v, X), "params"),
    "lstm.vec(params)": (lambda v: lstm.vec(v), "params"),
    "lstm.backward(cache)": (lambda v: lstm.backward(LP, v, Y), "cache"),
    "lstm.gradients(signals)": (lambda v: lstm.gradients(lstm.forward(LP, X), v), "signals"),
    "lstm.LSTMParams.map(fn)": (lambda v: LP.map(v), "fn"),
    "lstm.LSTMParams.map(others)": (lambda v: LP.map(np.add, v), "others"),
})
EXEMPT.update({
    "lstm": "a module",
    "NAMES": "a tuple",
    "LSTMParams": "specified as lstm.LSTMParams",
    "LSTMCache": "returned by lstm.forward; its use as an argument is in OBJECTS",
    "LSTMSignals": "returned by lstm.backward; its use as an argument is in OBJECTS",
    "LSTM_VARIANTS": "a dict of the broken.lstm_* functions, which are specified",
    **{name: f"specified as broken.{name}" for name in broken.LSTM_VARIANTS},
    **{f"reference.{name}": "the slow teaching forms, tested against rnnlib.gated.lstm in test_lstm.py" for name in
       ("lstm_forward_einsum", "lstm_bptt_einsum", "lstm_loss_and_grad_einsum")},
    "plots.draw_lstm_cell": "a figure, tested in test_lstm.py",
    **{f"lstm.{name}": reason for name, reason in (
        ("NAMES", "a tuple"),
        ("LSTMCache", "returned by lstm.forward; its use as an argument is in OBJECTS"),
        ("LSTMSignals", "returned by lstm.backward; its use as an argument is in OBJECTS"),
    )},
})


def test_every_lstm_name_is_covered():
    tables = set(SPECS) | set(SCALARS) | set(OBJECTS)
    missing = [name for name in lstm.__all__ if f"lstm.{name}" not in tables and f"lstm.{name}" not in EXEMPT
               and not any(entry.startswith(f"lstm.{name}(") for entry in tables)]
    assert not missing, f"rnnlib.gated.lstm names with no spec and no reason for none: {missing}"


def test_the_lstm_coverage_check_catches_a_new_name(monkeypatch):
    monkeypatch.setattr(lstm, "__all__", [*lstm.__all__, "an_unspecified_function"])
    with pytest.raises(AssertionError, match="an_unspecified_function"):
        test_every_lstm_name_is_covered()


# --- GRU ---
# rnnlib.gated.gru, its einsum references and its bug-gallery entries.  GRU objects
# are unpacked into lists of arrays so that the helpers below compare them.
from rnnlib.gated import gru  # noqa: E402
from rnnlib.gated import reference as gated_reference  # noqa: E402

GRU_P = gru.unvec(0.3 * _rng.normal(size=gru.num_params(m, n, k)), m, n, k)
GRU_ARRAYS = {f"params.{name}": a for name, a in GRU_P.items()}


def gru_params_from(a, prefix="params"):
    return gru.GRUParams(*(a[f"{prefix}.{name}"] for name in gru.NAMES))


def _gru_out(result):
    """A GRU result as the arrays it holds."""
    if isinstance(result, gru.GRUParams):
        return list(result)
    if isinstance(result, gru.GRUCache):
        return [result.z, result.r, result.h_tilde, result.h, result.o, result.y]
    if isinstance(result, gru.GRUSignals):
        return [result.e, result.delta_h, result.delta_z, result.delta_r, result.delta_h_tilde]
    if isinstance(result, tuple):
        return [a for r in result for a in _gru_out(r)]
    if isinstance(result, dict):
        return list(result.values())
    return [result]


def _gru_cache(a, prefix="params"):
    params = gru_params_from(a, prefix)
    return gru.forward(params, X.astype(params.dtype))


def _gru_xy(fn, **kw):
    return Spec(lambda a: _gru_out(fn(gru_params_from(a), a["X"], a["Y"], **kw)), {**GRU_ARRAYS, "X": X, "Y": Y},
                {"X": _sequences}, integral={"X": X_INT, "Y": Y_INT})


def _gru_one_sequence(spec_fn, arrays, integral, float32=False):
    return Spec(spec_fn, {**GRU_ARRAYS, **arrays},
                {"x": lambda s: len(s) == 2 and s[-1] == m and min(s) >= 1}, integral=integral,
                float32=float32)  # the references compute in float64, as the RNN's do


SPECS.update({
    "gru.GRUParams": Spec(lambda a: _gru_out(gru_params_from(a)), GRU_ARRAYS, finite=()),  # a container
    "gru.GRUParams.astype": Spec(lambda a: _gru_out(gru_params_from(a).astype(np.float64)), GRU_ARRAYS, finite=(),
                                 float32=False),
    "gru.GRUParams.map": Spec(lambda a: _gru_out(gru_params_from(a).map(np.add, gru_params_from(a))), GRU_ARRAYS,
                              finite=()),
    "gru.vec": Spec(lambda a: gru.vec(gru_params_from(a)), GRU_ARRAYS, finite=()),
    "gru.unvec": Spec(lambda a: _gru_out(gru.unvec(a["v"], m, n, k)), {"v": gru.vec(GRU_P)}),
    "gru.forward": Spec(lambda a: _gru_out(gru.forward(gru_params_from(a), a["X"], h0=a["h0"])),
                        {**GRU_ARRAYS, "X": X, "h0": H0}, {"X": _sequences},
                        integral={"X": X_INT, "h0": X_INT[:, 0, :1].repeat(n, 1)}),
    "gru.cost": Spec(lambda a: gru.cost(_gru_cache(a, "p"), a["Y"], loss="cross_entropy"),
                     {"Y": Y, **{f"p.{name}": v for name, v in GRU_P.items()}}, finite=("Y",), integral={"Y": Y_INT}),
    "gru.backward": Spec(lambda a: _gru_out(gru.backward(gru_params_from(a), _gru_cache(a), a["dC_dy"])),
                         {**GRU_ARRAYS, "dC_dy": Y - 0.5}, integral={"dC_dy": Y_INT}),
    "gru.gradients": Spec(
        lambda a: _gru_out(gru.gradients(_gru_cache(a), gru.backward(gru_params_from(a), _gru_cache(a), e=a["e"]))),
        {**GRU_ARRAYS, "e": Y - 0.5}, integral={"e": Y_INT}),
    "gru.loss_and_grad": _gru_xy(gru.loss_and_grad, loss="cross_entropy"),
    **{f"broken.{name}": _gru_xy(fn) for name, fn in broken.GRU_VARIANTS.items()},
    "reference.gru_forward_einsum": _gru_one_sequence(
        lambda a: gated_reference.gru_forward_einsum(gru_params_from(a), a["x"]), {"x": X[0]}, {"x": X_INT[0]}),
    "reference.gru_bptt_einsum": _gru_one_sequence(
        lambda a: _gru_out(gated_reference.gru_bptt_einsum(
            gru_params_from(a), a["x"], gated_reference.gru_forward_einsum(gru_params_from(a), X[0]), a["dC_dy"])),
        {"x": X[0], "dC_dy": Y[0] - 0.5}, {"x": X_INT[0], "dC_dy": Y_INT[0]}),
    "reference.gru_loss_and_grad_einsum": Spec(
        lambda a: _gru_out(gated_reference.gru_loss_and_grad_einsum(gru_params_from(a), a["X"], a["Y"])),
        {**GRU_ARRAYS, "X": X, "Y": Y}, {"X": _sequences}, integral={"X": X_INT, "Y": Y_INT},
        float32=False),  # float64, as the RNN's reference
})
SCALARS.update({
    "gru.init_params": Scalars(lambda s: gru.init_params(s["m"], s["n"], s["k"], rng=0), dict(m=2, n=3, k=1),
                               dict(m=integer(1, 2**20), n=integer(1, 2**10), k=integer(1, 2**20))),
    "gru.num_params": Scalars(lambda s: gru.num_params(s["m"], s["n"], s["k"]), dict(m=2, n=3, k=1),
                              dict(m=integer(1), n=integer(1), k=integer(1))),
    "gru.unvec": Scalars(lambda s: gru.unvec(np.zeros(gru.num_params(2, 3, 1)), s["m"], 3, 1), dict(m=2),
                         dict(m=lambda v: integer(1)(v) and v == 2), also=("v",)),
    "gru.forward": Scalars(lambda s: gru.forward(GRU_P, X, g=s["g"]), dict(g="softmax"), dict(g=G_CHOICES)),
    "gru.loss_and_grad": Scalars(lambda s: gru.loss_and_grad(GRU_P, X, Y, loss=s["loss"]), dict(loss="mse"),
                                 dict(loss=LOSS)),
    "gru.cost": Scalars(lambda s: gru.cost(gru.forward(GRU_P, X), Y, loss=s["loss"]), dict(loss="mse"),
                        dict(loss=LOSS)),
})
OBJECTS.update({
    "gru.forward(params)": (lambda v: gru.forward(v, X), "params"),
    "gru.vec(params)": (lambda v: gru.vec(v), "params"),
    "gru.cost(cache)": (lambda v: gru.cost(v, Y), "cache"),
    "gru.backward(cache)": (lambda v: gru.backward(GRU_P, v, Y), "cache"),
    "gru.gradients(signals)": (lambda v: gru.gradients(gru.forward(GRU_P, X), v), "signals"),
    "gru.GRUParams.map(others)": (lambda v: GRU_P.map(np.add, v), "others"),
})
EXEMPT.update({
    "gru": "a module",
    "GRUCache": "returned by gru.forward; its use as an argument is in OBJECTS",
    "GRUSignals": "returned by gru.backward; its use as an argument is in OBJECTS",
    "gru.GRUCache": "returned by gru.forward; its use as an argument is in OBJECTS",
    "gru.GRUSignals": "returned by gru.backward; its use as an argument is in OBJECTS",
    "GRU_VARIANTS": "a dict of the broken.gru_* functions, which are specified",
    "plots.draw_gru_cell": "a figure with no data arguments, tested in test_gru.py",
})
COVERED_ELSEWHERE.update({"GRUParams": ["gru.GRUParams"], **{name: [f"broken.{name}"] for name in broken.GRU_VARIANTS}})
# the bare names gru.init_params, gru.vec, ... share their names with the RNN's and are specified above as gru.*
# --- end GRU ---


# --- gated interface ---
# The names that give rnnlib.gated.lstm and rnnlib.gated.gru one interface for the same jobs: lstm.cost (as gru.cost),
# gru.loss_grad_and_state (as lstm's), readout in both, the caches' output_layer and the signals' delta_h0.
H_STATES = 0.5 * _rng.normal(size=(N, T, n))  # hidden states h_1..h_T
H_INT = _rng.integers(0, 2, size=(N, T, n))


def _states(shape):
    return len(shape) in (2, 3) and shape[-1] == n and min(shape) >= 1


def _readout_arrays(cache):
    return [cache.o, cache.y, cache.h]


SPECS.update({
    "lstm.cost": Spec(lambda a: lstm.cost(lstm.forward(lstm_params_from(a, "p"), X.astype(lstm_params_from(a, "p")
                                                                                          .dtype)),
                                          a["Y"], loss="cross_entropy"),
                      {"Y": Y, **{f"p.{name}": v for name, v in LP.items()}}, finite=("Y",), integral={"Y": Y_INT}),
    "lstm.readout": Spec(lambda a: _readout_arrays(lstm.readout(lstm_params_from(a), a["H"])),
                         {**LSTM_ARRAYS, "H": H_STATES}, {"H": _states}, integral={"H": H_INT}),
    "gru.readout": Spec(lambda a: _readout_arrays(gru.readout(gru_params_from(a), a["H"])),
                        {**GRU_ARRAYS, "H": H_STATES}, {"H": _states}, integral={"H": H_INT}),
    "gru.loss_grad_and_state": Spec(
        lambda a: _gru_out(gru.loss_grad_and_state(gru_params_from(a), a["X"], a["Y"], loss="cross_entropy",
                                                   h0=a["h0"])),
        {**GRU_ARRAYS, "X": X, "Y": Y, "h0": H0}, {"X": _sequences},
        integral={"X": X_INT, "Y": Y_INT, "h0": X_INT[:, 0, :1].repeat(n, 1)}),
    "lstm.LSTMCache.output_layer": Spec(lambda a: _readout_arrays(_lstm_cache(a).output_layer()), LSTM_ARRAYS),
    "gru.GRUCache.output_layer": Spec(lambda a: _readout_arrays(_gru_cache(a).output_layer()), GRU_ARRAYS),
    "lstm.LSTMSignals.delta_h0": Spec(
        lambda a: [(s_ := lstm.backward(lstm_params_from(a), _lstm_cache(a), e=a["e"])).delta_h0, s_.delta_c0],
        {**LSTM_ARRAYS, "e": Y - 0.5}, integral={"e": Y_INT}),
    "gru.GRUSignals.delta_h0": Spec(
        lambda a: gru.backward(gru_params_from(a), _gru_cache(a), e=a["e"]).delta_h0,
        {**GRU_ARRAYS, "e": Y - 0.5}, integral={"e": Y_INT}),
})
SCALARS.update({
    "lstm.cost": Scalars(lambda s: lstm.cost(lstm.forward(LP, X), Y, loss=s["loss"]), dict(loss="mse"),
                         dict(loss=LOSS)),
    "lstm.readout": Scalars(lambda s: lstm.readout(LP, H_STATES, g=s["g"]), dict(g="softmax"), dict(g=G_CHOICES)),
    "gru.readout": Scalars(lambda s: gru.readout(GRU_P, H_STATES, g=s["g"]), dict(g="softmax"), dict(g=G_CHOICES)),
    "gru.loss_grad_and_state": Scalars(lambda s: gru.loss_grad_and_state(GRU_P, X, Y, loss=s["loss"]),
                                       dict(loss="mse"), dict(loss=LOSS)),
})
OBJECTS.update({
    "lstm.cost(cache)": (lambda v: lstm.cost(v, Y), "cache"),
    "lstm.readout(params)": (lambda v: lstm.readout(v, H_STATES), "params"),
    "gru.readout(params)": (lambda v: gru.readout(v, H_STATES), "params"),
    "gru.loss_grad_and_state(params)": (lambda v: gru.loss_grad_and_state(v, X, Y), "params"),
})
# the bare name readout (test_every_public_name_is_covered lists lstm's and gru's names unprefixed)
COVERED_ELSEWHERE.update({"readout": ["lstm.readout", "gru.readout"]})


def test_every_gru_name_is_covered():
    tables = set(SPECS) | set(SCALARS) | set(OBJECTS)
    missing = [name for name in gru.__all__ if f"gru.{name}" not in tables and f"gru.{name}" not in EXEMPT
               and name not in EXEMPT and not any(entry.startswith(f"gru.{name}(") for entry in tables)]
    assert not missing, f"rnnlib.gated.gru names with no spec and no reason for none: {missing}"


def test_the_gru_coverage_check_catches_a_new_name(monkeypatch):
    monkeypatch.setattr(gru, "__all__", [*gru.__all__, "an_unspecified_function"])
    with pytest.raises(AssertionError, match="an_unspecified_function"):
        test_every_gru_name_is_covered()


# --- charlm lstm ---
# rnnlib.gated.lstm.loss_grad_and_state (the LSTM's truncated-BPTT step with carried states) and the character
# model with an LSTM cell: the same properties as its RNN, the arrays now those of LSTMParams and the cell state c.
SPECS["lstm.loss_grad_and_state"] = Spec(
    lambda a: _lstm_arrays(lstm.loss_grad_and_state(lstm_params_from(a), a["X"], a["Y"], loss="cross_entropy",
                                                    h0=a["h0"], c0=a["c0"])),
    {**LSTM_ARRAYS, "X": X, "Y": Y, "h0": H0, "c0": -H0},
    {"X": _sequences},
    integral={"X": X_INT, "Y": Y_INT, "h0": X_INT[:, 0, :1].repeat(n, 1), "c0": X_INT[:, 1, :1].repeat(n, 1)},
    none_ok=("c0",),  # c0=None means c_0 = 0
)
SCALARS["lstm.loss_grad_and_state"] = Scalars(lambda s: lstm.loss_grad_and_state(LP, X, Y, loss=s["loss"]),
                                              dict(loss="mse"), dict(loss=LOSS))
SCALARS["charlm.Settings"] = Scalars(
    lambda s: charlm.Settings(hidden=s["hidden"], lr=s["lr"], optimizer=s["optimizer"], cell=s["cell"]),
    dict(hidden=3, lr=0.1, optimizer="adam", cell="rnn"),
    dict(hidden=integer(1), lr=positive(), optimizer=choice("adam", "adagrad"), cell=choice("rnn", "lstm")),
)
CL_LSTM_SET = charlm.Settings(hidden=3, seq_length=2, batch=2, cell="lstm")
CL_LSTM_P = charlm.start(CL_TEXT, CL_LSTM_SET).params.map(lambda a: a + 0.1)
CL_LSTM_ARRAYS = {f"params.{name}": a for name, a in CL_LSTM_P.items()}


def _cl_lstm_state(a):
    """An LSTM TrainState from the arrays (h and c among them); Adam's state made without checks."""
    params = lstm_params_from(a, "state.params")
    zeros = params.map(np.zeros_like)
    return charlm.TrainState(params, VOCAB, CL_LSTM_SET, AdamState(0, zeros, zeros), a["state.h"], c=a["state.c"])


SPECS.update({
    "charlm.evaluate (lstm)": Spec(lambda a: charlm.evaluate(lstm_params_from(a), VOCAB, CL_TEXT), CL_LSTM_ARRAYS,
                                   float32=False),  # a Python float
    "charlm.sample (lstm)": Spec(
        lambda a: VOCAB.encode(charlm.sample(lstm_params_from(a), VOCAB, length=6, prime="ab", rng=0)),
        CL_LSTM_ARRAYS, float32=False,  # text
    ),
    "charlm.train (lstm)": Spec(
        lambda a: _lstm_arrays(charlm.train(_cl_lstm_state(a), CL_TEXT, 1).params),
        {**{f"state.{name}": v for name, v in CL_LSTM_ARRAYS.items()}, "state.h": np.full((2, 3), 0.1),
         "state.c": np.full((2, 3), -0.2)},
        integral={"state.h": np.zeros((2, 3), np.int64), "state.c": np.ones((2, 3), np.int64)},
        float32=False,  # float64 only, as for the RNN
    ),
})
# --- end charlm lstm ---


# --- rematch ---
# rnnlib.rematch, the head-to-head of the RNN, the LSTM and the GRU on the memory-horizon tasks; its names
# are written rematch.<name> (num_params is also the RNN's).  The runs use the tiny setups of horizon's specs.
from rnnlib import rematch  # noqa: E402

PREFIXED = (*PREFIXED, "rematch")


def _train_cell(**kw):
    args = dict(params=P, X=X, Y=Y, loss_and_grad=rnnlib.loss_and_grad, optimizer=rnnlib.Adam(), steps=1,
                batch_size=1, clip_norm=None)
    args.update(kw)
    return rematch.train_cell(args.pop("params"), args.pop("X"), args.pop("Y"), **args)


SCALARS.update({
    "rematch.num_params": Scalars(lambda s: rematch.num_params(s["cell"], s["m"], s["n"], s["k"]),
                                  dict(cell="lstm", m=2, n=3, k=1),
                                  dict(cell=choice(*rematch.CELLS), m=integer(1), n=integer(1), k=integer(1))),
    "rematch.recall_run_cell": Scalars(
        lambda s: rematch.recall_run_cell(s["cell"], s["delay"], seed=s["seed"], budgets=(2,), setup=TINY_RECALL),
        dict(cell="gru", delay=1, seed=0), dict(cell=choice(*rematch.CELLS), delay=integer(1), seed=integer(0)),
    ),
    "rematch.adding_run_cell": Scalars(
        lambda s: rematch.adding_run_cell(s["cell"], s["T"], seed=s["seed"], budgets=(2,), setup=TINY_ADDING),
        dict(cell="lstm", T=3, seed=0), dict(cell=choice(*rematch.CELLS), T=integer(2), seed=integer(0)),
    ),
    "rematch.train_cell": Scalars(
        lambda s: _train_cell(steps=s["steps"], batch_size=s["batch_size"], clip_norm=s["clip_norm"]),
        dict(steps=1, batch_size=1, clip_norm=1.0),
        dict(steps=integer(1), batch_size=integer(1, N), clip_norm=optional(positive())),
    ),
})
OBJECTS.update({
    "rematch.recall_run_cell(setup)": (
        lambda v: rematch.recall_run_cell("lstm", 1, seed=0, budgets=(2,), setup=v), "setup"),
    "rematch.recall_run_cell(budgets)": (
        lambda v: rematch.recall_run_cell("gru", 1, seed=0, budgets=v, setup=TINY_RECALL), "budgets"),
    "rematch.adding_run_cell(setup)": (lambda v: rematch.adding_run_cell("gru", 3, seed=0, budgets=(2,), setup=v),
                                       "setup"),
    "rematch.train_cell(params)": (lambda v: _train_cell(params=v), "params"),
    "rematch.train_cell(X)": (lambda v: _train_cell(X=v), "X"),
    "rematch.train_cell(Y)": (lambda v: _train_cell(Y=v), "Y"),
    "rematch.train_cell(optimizer)": (lambda v: _train_cell(optimizer=v), "optimizer"),
})
EXEMPT.update({
    "rematch.CELLS": "a tuple",
    "rematch.CellRun": "returned by recall_run_cell and adding_run_cell (test_rematch.py)",
})
# train_cell's loss_and_grad is any function (a class is callable too): its refusal is in test_rematch.py
# --- end rematch ---


def test_every_public_name_is_covered():
    names = set(rnnlib.__all__)
    for info in pkgutil.walk_packages(rnnlib.__path__, "rnnlib."):
        parts = info.name.split(".")[1:]  # e.g. ["charlm", "cli"]
        if any(part.startswith("_") for part in parts):
            continue
        module = importlib.import_module(info.name)
        package = importlib.import_module(f"rnnlib.{parts[0]}")
        for name in getattr(module, "__all__", ()):
            if len(parts) > 1 and getattr(package, name, None) is getattr(module, name):
                continue  # re-exported by the package (charlm.train is charlm.model.train): covered there
            if parts[0] == "gated" and len(parts) > 1:  # the gated cells' modules: keyed lstm.X, gru.X, reference.X
                names.add(f"{'.'.join(parts[1:])}.{name}")
                continue
            names.add(f"{'.'.join(parts)}.{name}" if parts[0] in PREFIXED else name)
    tables = set(SPECS) | set(SCALARS) | set(OBJECTS)
    missing = []
    for name in sorted(names):
        if name in EXEMPT or name in tables:
            continue
        if any(entry in tables for entry in COVERED_ELSEWHERE.get(name, ())):
            continue
        missing.append(name)
    assert not missing, f"public names with no spec and no reason for none: {missing}"


# --- helpers -------------------------------------------------------------------------

LAYOUTS = ("C", "Fortran", "transposed", "negative strides", "strided", "read-only", "list", "matrix")
NAME_RE = re.compile(r"^(?P<names>[A-Za-z_][\w.]*(\[[^\]]*\])?(, [A-Za-z_][\w.]*)*):")


def relayout(a, layout):
    a = np.asarray(a)
    if layout == "C":
        return a.copy()
    if layout == "Fortran":
        return np.asfortranarray(a)
    if layout == "transposed":
        return np.ascontiguousarray(a.T).T
    if layout == "negative strides":
        return np.flip(np.flip(a).copy())
    if layout == "strided":
        return np.repeat(a, 2, axis=-1)[..., ::2] if a.ndim else a.copy()
    if layout == "read-only":
        b = a.copy()
        b.flags.writeable = False
        return b
    if layout == "list":
        return a.tolist()
    if layout == "matrix":
        with warnings.catch_warnings():  # np.matrix is discouraged, but users still pass it
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            return np.matrix(a) if a.ndim == 2 else a.copy()
    raise AssertionError(layout)


def outputs(result):
    """The arrays a result holds, in a fixed order."""
    if isinstance(result, rnnlib.ForwardCache):
        return [a for a in (result.z, result.h, result.o, result.y) if a is not None]
    if isinstance(result, rnnlib.Params):
        return list(result)
    if isinstance(result, rnnlib.Signals):
        return [result.e, result.delta]
    if isinstance(result, rnnlib.GradCheck):
        return [result.analytic, result.numeric]
    if isinstance(result, (tuple, list)):
        return [a for r in result for a in outputs(r)]
    return [result]


def assert_same(got, want, exact=False):
    got, want = outputs(got), outputs(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert np.shape(g) == np.shape(w)
        assert np.asarray(g).dtype == np.asarray(w).dtype
        if exact:
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)


def named(exc, names):
    """Does the error message start with one of the argument names (or their last part)?"""
    match = NAME_RE.match(str(exc))
    assert match, f"the message does not start with an argument name: {exc}"
    given = {part.strip() for part in match["names"].split(",")}
    short = {name.split(".")[-1] for name in names}
    bare = {re.sub(r"\[.*\]$", "", g) for g in given}
    return bool((given | bare) & (set(names) | short))


def canonical_args(spec):
    return {name: a.copy() for name, a in spec.arrays.items()}


# --- the properties ------------------------------------------------------------------


@pytest.mark.parametrize("name", [s for s in SPECS if SPECS[s].layouts])
@FAST
@given(data=st.data())
def test_any_layout_gives_the_same_result(name, data):
    spec = SPECS[name]
    want = spec.call(canonical_args(spec))
    args = {arg: relayout(a, data.draw(st.sampled_from(LAYOUTS), label=arg)) for arg, a in spec.arrays.items()}
    assert_same(spec.call(args), want)


@pytest.mark.parametrize("name", [s for s in SPECS if SPECS[s].integral])
@FAST
@given(data=st.data())
def test_integer_input_is_converted_exactly(name, data):
    spec = SPECS[name]
    arg = data.draw(st.sampled_from(sorted(spec.integral)), label="argument")
    dtypes = [np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint64, np.bool_]
    dtype = data.draw(st.sampled_from(dtypes), label="dtype")
    values = spec.integral[arg]
    args = canonical_args(spec)
    args[arg] = values.astype(np.float64)
    want = spec.call(args)
    args[arg] = values.astype(dtype)
    assert_same(spec.call(args), want, exact=True)


@pytest.mark.parametrize("name", [s for s in SPECS if SPECS[s].float32])
def test_float32_in_float32_out(name):
    spec = SPECS[name]
    result = spec.call({arg: a.astype(np.float32) for arg, a in spec.arrays.items()})
    for a in outputs(result):
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            assert a.dtype == np.float32, f"{name} returned {a.dtype}"


@pytest.mark.parametrize("name", list(SPECS))
@FAST
@given(data=st.data())
def test_nan_and_inf_are_refused(name, data):
    spec = SPECS[name]
    finite = tuple(spec.arrays) if spec.finite is None else spec.finite
    if not finite:
        return
    arg = data.draw(st.sampled_from(finite), label="argument")
    args = canonical_args(spec)
    a = args[arg]
    if a.size == 0:
        return
    index = data.draw(st.integers(0, a.size - 1), label="index")
    bad = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]), label="value")
    a.reshape(-1)[index] = bad
    with pytest.raises(ValueError, match="expected finite values") as info:
        spec.call(args)
    assert str(info.value).startswith(arg + ":"), str(info.value)


shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)


@pytest.mark.parametrize("name", list(SPECS))
@FAST
@given(data=st.data())
def test_other_shapes_are_valid_or_refused_by_name(name, data):
    spec = SPECS[name]
    arg = data.draw(st.sampled_from(sorted(spec.arrays)), label="argument")
    shape = data.draw(shapes, label="shape")
    args = canonical_args(spec)
    args[arg] = spec.fill(shape) if spec.fill else np.full(shape, 0.25)
    canonical = spec.arrays[arg].shape
    if arg.endswith(".W_xh"):  # W_xh (n, m) sets m: any m >= 1 is valid on its own
        default = lambda s: len(s) == 2 and s[0] == canonical[0] and s[1] >= 1  # noqa: E731
    else:
        default = lambda s: s == canonical  # noqa: E731
    valid = spec.valid_shape.get(arg, default)(shape)
    try:
        spec.call(args)
    except (ValueError, TypeError) as exc:
        groups = {name.rsplit(".", 1)[0] for name in spec.arrays if "." in name}  # e.g. state.params
        assert named(exc, list(spec.arrays) + sorted(groups) + ["params", "cache", "v", "e", *spec.also]), str(exc)
        if not valid:
            return
        # a shape valid on its own may still disagree with the other arguments, which the message names
    else:
        assert valid, f"{name} accepted {arg} of shape {shape}"


KINDS = {
    "complex": lambda a: np.asarray(a) + 1j,
    "string": lambda a: np.full(np.shape(a), "x"),
    "object": lambda a: np.full(np.shape(a), None, dtype=object),
    "None": lambda a: None,
    "dict": lambda a: {"a": 1},
}


@pytest.mark.parametrize("name", list(SPECS))
@FAST
@given(data=st.data())
def test_wrong_kinds_are_refused_by_name(name, data):
    spec = SPECS[name]
    arg = data.draw(st.sampled_from(sorted(spec.arrays)), label="argument")
    kind = data.draw(st.sampled_from(sorted(KINDS)), label="kind")
    args = canonical_args(spec)
    args[arg] = KINDS[kind](args[arg])
    if kind == "None" and (arg == "h0" or arg in spec.none_ok):
        return  # h0=None means h_0 = 0, x=None in a figure means no curve: valid
    with pytest.raises((TypeError, ValueError)) as info:
        spec.call(args)
    assert named(info.value, [arg]), str(info.value)


BAD_SCALARS = [0, 1, 2, 3, 5, -1, -0.5, 0.5, 1.0, 2.5, 1e-8, 0.999, 1e308, math.inf, -math.inf, math.nan, True, False,
               None, "1", "tanh", "mse", "cross_entropy", "softmax", "central", [1], np.int64(2), np.float64(0.5),
               np.float32(0.5), np.uint8(3), 10**30, -3]


@pytest.mark.parametrize("name", list(SCALARS))
@FAST
@given(data=st.data())
def test_scalar_arguments_accept_exactly_their_valid_values(name, data):
    spec = SCALARS[name]
    arg = data.draw(st.sampled_from(sorted(spec.values)), label="argument")
    value = data.draw(st.sampled_from(BAD_SCALARS), label="value")
    values = dict(spec.values, **{arg: value})
    if spec.valid[arg](value):
        spec.call(values)
    else:
        with pytest.raises((TypeError, ValueError)) as info:
            spec.call(values)
        assert named(info.value, [arg, *spec.also]), str(info.value)


@pytest.mark.parametrize("name", list(OBJECTS))
@pytest.mark.parametrize("value", [None, "x", 3, {"W_xh": 1}, [1.0, 2.0], np.zeros(3), rnnlib.Adam])
def test_wrong_objects_are_refused_by_name(name, value):
    fn, arg = OBJECTS[name]
    if value is rnnlib.Adam and arg in ("fn", "cost_fn", "grad_fn", "obj"):
        return  # a class is callable, and show_source shows classes
    if name in STR_IS_VALID and isinstance(value, str):
        return  # a valid file name, or a text whose content (not type) is wrong: charlm's own messages
    if name == "init_params(rng)" and (value is None or isinstance(value, int)):
        return  # a seed or None: valid
    if name.endswith("(rng)") and (value is None or isinstance(value, int)):
        return  # a seed or None: valid
    if name.endswith("(dtype)") and value is None:
        return  # np.dtype(None) is float64: valid
    if name == "GradientDescent.update(state)" and value is None:
        return  # gradient descent keeps no state: None is its own
    with pytest.raises((TypeError, ValueError, FileNotFoundError)) as info:
        fn(value)
    assert named(info.value, [arg]), str(info.value)


# --- the properties can fail ---------------------------------------------------------


def _broadcasting_cost(a):
    return float(np.sum((np.ones((2, 3)) - a["Y"]) ** 2))  # a Y of shape (3,) or (1, 3) is broadcast


def _nan_passing(a):
    return np.tanh(np.asarray(a["z"], dtype=np.float64))  # NaN in, NaN out; float32 in, float64 out


@pytest.mark.parametrize(
    "test, spec",
    [
        (test_other_shapes_are_valid_or_refused_by_name, Spec(_broadcasting_cost, {"Y": np.zeros((2, 3))})),
        (test_nan_and_inf_are_refused, Spec(_nan_passing, {"z": np.zeros((2, 3))})),
        (test_float32_in_float32_out, Spec(_nan_passing, {"z": np.zeros((2, 3))})),
        (test_wrong_kinds_are_refused_by_name, Spec(_nan_passing, {"z": np.zeros((2, 3))})),
    ],
)
def test_the_properties_catch_broken_functions(monkeypatch, test, spec):
    monkeypatch.setitem(SPECS, "broken", spec)
    # hypothesis reports one failure, or an ExceptionGroup when it finds several distinct ones; an
    # exception other than TypeError or ValueError (here numpy's ComplexWarning) also fails the property
    with pytest.raises((Exception, pytest.fail.Exception, BaseExceptionGroup)):
        test(name="broken")
