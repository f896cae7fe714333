"""The workbook's exercises: signatures, shapes, equations and test problems.

Each :class:`Exercise` knows how to draw random problems in the notes' shapes
(the edges T = 1, n = 1 and N = 1 included, and every activation and loss the
exercise covers), the arguments to call the learner's function with, the
library's answer, and the answer of each catalogued mistake.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .. import backprop, forward_pass, losses, optim
from .. import params as params_module
from ..activations import softmax
from ..params import Params
from . import variants

__all__ = ["Output", "Problem", "Exercise", "EXERCISES"]

F = ("tanh", "sigmoid", "relu", "identity")
G = ("softmax", "identity", "sigmoid", "tanh")
#: (f, g, loss): every pairing of activations with the squared error, and
#: softmax with cross-entropy
COMBOS = [(f, g, "mse") for f, g in itertools.product(F, G)]
COMBOS += [(f, "softmax", "cross_entropy") for f in F]
#: (m, n, k, T, N): a main shape, then the edges T = 1, n = 1, N = 1, m = k = 1
SHAPES = [(3, 4, 2, 5, 3), (3, 4, 2, 1, 2), (2, 1, 3, 4, 2), (3, 4, 2, 5, 1), (1, 3, 1, 3, 2)]
PARAM_SHAPES = (("n", "m"), ("n", "n"), ("k", "n"), ("n",), ("k",))
PARAM_NAMES = ("W_xh", "W_hh", "W_hy", "b_h", "b_y")


@dataclass(frozen=True)
class Output:
    """One returned array: its name and its shape in the notes' symbols."""

    name: str
    shape: tuple  # e.g. ("T+1", "n"); () for a number
    backward: bool = False  # computed from t = T down to 1, so "first" is the latest t


@dataclass
class Problem:
    """A random problem: sizes, activations, loss and the arrays drawn."""

    m: int
    n: int
    k: int
    T: int
    N: int
    f: str = "tanh"
    g: str = "softmax"
    loss: str = "mse"
    data: dict = field(default_factory=dict)

    @property
    def sizes(self):
        return {"m": self.m, "n": self.n, "k": self.k, "T": self.T, "N": self.N}

    def describe(self, keys):
        parts = [f"{s} = {self.sizes[s]}" for s in keys if s in self.sizes]
        parts += [f"{s} = {getattr(self, s)!r}" for s in keys if s in ("f", "g", "loss")]
        return ", ".join(parts)


@dataclass(frozen=True, eq=False)
class Exercise:
    """One exercise of the workbook.

    Attributes
    ----------
    name : str
        The function the learner writes, and the key of :data:`EXERCISES`.
    signature : str
        How the checker calls it (all arguments by position).
    summary : str
        What it computes.
    inputs : str
        The arguments and their shapes.
    equations : str
        The equations of the notes it implements.
    outputs : tuple of Output
        What it returns, with shapes.
    mistakes : tuple of str
        The keys of :data:`rnnlib.workbook.MISTAKES` it can show.
    hints : dict
        For each output name, the equation to look at when it is wrong.
    keys : tuple of str
        The problem settings that matter (sizes, f, g, loss), for messages.
    """

    name: str
    signature: str
    summary: str
    inputs: str
    equations: str
    outputs: tuple
    structure: str  # "tuple", "single", "params" or "cost_params"
    mistakes: tuple
    hints: dict
    keys: tuple
    configs: Callable  # () -> list of (shape, f, g, loss)
    draw: Callable  # (problem, rng) -> None, fills problem.data
    args: Callable  # problem -> tuple of arguments
    expected: Callable  # problem -> the library's answer
    variant: Callable  # (problem, bug) -> the answer with that mistake

    @property
    def doc(self) -> str:
        """The exercise's documentation: signature, shapes, equations."""
        def kind(o):
            return f"ndarray of shape ({', '.join(o.shape)}{',' * (len(o.shape) == 1)})" if o.shape else "float"

        outs = "\n".join(f"{o.name} : {kind(o)}" for o in self.outputs)
        return (
            f"{self.signature}\n\n{self.summary}\n\nParameters\n----------\n{self.inputs}\n\n"
            f"Returns\n-------\n{outs}\n\nNotes\n-----\n{self.equations}"
        )

    def problems(self, seed=0):
        """The random problems the checker runs, the same for every call."""
        rng = np.random.default_rng(seed)
        out = []
        for (m, n, k, T, N), f, g, loss in self.configs():
            p = Problem(m, n, k, T, N, f, g, loss)
            p.data["params"] = _random_params(rng, m, n, k)
            self.draw(p, rng)
            out.append(p)
        return out


def _random_params(rng, m, n, k):
    """Parameters with non-zero biases, so that every term shows."""
    p = params_module.init_params(m, n, k, rng=rng)
    return Params(p.W_xh, p.W_hh, p.W_hy, 0.3 * rng.normal(size=n), 0.3 * rng.normal(size=k))


def _targets(rng, shape, loss):
    if loss == "cross_entropy":
        return softmax(rng.normal(size=shape))  # probability vectors
    return rng.normal(size=shape)


def _draw_sequence(p, rng):
    p.data["x"] = rng.normal(size=(p.T, p.m))
    p.data["Y"] = _targets(rng, (p.T, p.k), p.loss)


def _draw_batch(p, rng):
    p.data["X"] = rng.normal(size=(p.N, p.T, p.m))
    p.data["Y"] = _targets(rng, (p.N, p.T, p.k), p.loss)
    p.data["lr"] = float(rng.uniform(0.05, 0.5))


def _draw_step(p, rng):
    p.data["h_prev"] = rng.uniform(-1, 1, size=p.n)
    p.data["x_t"] = rng.normal(size=p.m)


def _draw_signals(p, rng):
    """x, Y and what the library computes from them: the cache, e and δ."""
    _draw_sequence(p, rng)
    params = p.data["params"]
    cache = forward_pass.forward(params, p.data["x"], f=p.f, g=p.g)
    e = losses.output_error(cache, p.data["Y"], loss=p.loss)
    p.data.update(cache=cache, e=e, signals=backprop.backward(params, cache, e=e))


def _draw_update(p, rng):
    p.data["grads"] = _random_params(rng, p.m, p.n, p.k)
    p.data["lr"] = float(rng.uniform(0.05, 0.5))


def _draw_v(p, rng):
    p.data["v"] = rng.normal(size=params_module.num_params(p.m, p.n, p.k))


def _fg(shapes=SHAPES):
    """Every (f, g) on the main shape; tanh and softmax, sigmoid on the edges."""
    main = [(shapes[0], f, g, "mse") for f, g in itertools.product(F, G)]
    return main + [(s, f, g, "mse") for s in shapes[1:] for f, g in (("tanh", "softmax"), ("sigmoid", "sigmoid"))]


def _all_combos():
    main = [(SHAPES[0], f, g, loss) for f, g, loss in COMBOS]
    edges = [("tanh", "softmax", "cross_entropy"), ("sigmoid", "tanh", "mse")]
    return main + [(s, f, g, loss) for s in SHAPES[1:] for f, g, loss in edges]


def _output_combos():
    gl = [(g, "mse") for g in G] + [("softmax", "cross_entropy")]
    return [(s, "tanh", g, loss) for s in SHAPES for g, loss in gl]


def _f_only():
    return [(SHAPES[0], f, "softmax", "cross_entropy") for f in F] + [
        (s, f, "sigmoid", "mse") for s in SHAPES[1:] for f in ("tanh", "sigmoid")
    ]


def _shapes_only():
    return [(s, "tanh", "softmax", "mse") for s in SHAPES]


def _params_out(prefix=""):
    return tuple(Output(prefix + name, shape) for name, shape in zip(PARAM_NAMES, PARAM_SHAPES))


_PARAMS_IN = "params : Params\n    W_xh (n, m), W_hh (n, n), W_hy (k, n), b_h (n,), b_y (k,)."
_FG_IN = (
    "f : {'tanh', 'sigmoid', 'relu', 'identity'}\n    Hidden activation.\n"
    "g : {'softmax', 'identity', 'sigmoid', 'tanh'}\n    Output activation."
)
_LOSS_IN = "loss : {'mse', 'cross_entropy'}\n    Per-step cost; cross-entropy goes with g = 'softmax'."
_FORWARD_EQ = (
    "h_0 = 0\nz_t = W_hh h_{t-1} + W_xh x_t + b_h\nh_t = f(z_t)\n"
    "o_t = W_hy h_t + b_y\ny_t = g(o_t)"
)
_FORWARD_HINTS = {
    "z": "z_t = W_hh h_{t-1} + W_xh x_t + b_h",
    "h": "h_t = f(z_t), with h_0 = 0 in row 0",
    "o": "o_t = W_hy h_t + b_y",
    "y": "y_t = g(o_t)",
}
_GRAD_HINTS = {
    "W_xh": "∇W_xh C = Σ_t δ_t x_t^T",
    "W_hh": "∇W_hh C = Σ_t δ_t h_{t-1}^T",
    "W_hy": "∇W_hy C = Σ_t e_t h_t^T",
    "b_h": "∇b_h C = Σ_t δ_t",
    "b_y": "∇b_y C = Σ_t e_t",
}
_BPTT_HINTS = {
    name: hint + " (and the e_t and δ_t that go into it: e_t = J_g(o_t)^T dC_t/dy_t, "
    "δ_t = (W_hy^T e_t + W_hh^T δ_{t+1}) ⊙ f'(z_t), δ_{T+1} = 0)"
    for name, hint in _GRAD_HINTS.items()
}
_FWD_MISTAKES = ("h_t_in_z", "h0_not_zero")
_E_MISTAKES = ("e_without_g_prime", "e_sign_flipped", "elementwise_softmax")
_DELTA_MISTAKES = (
    "no_future_term",
    "fprime_of_z_as_h",
    "W_hh_not_transposed",
    "recursion_starts_late",
    "recursion_runs_forward",
)
_GRAD_MISTAKES = (
    "h_t_for_h_prev",
    "h_prev_for_h_t",
    "outer_product_reversed",
    "gradient_overwritten",
    "sum_misses_first_step",
    "sum_misses_last_step",
)
_BPTT_MISTAKES = _FWD_MISTAKES + _E_MISTAKES + _DELTA_MISTAKES + _GRAD_MISTAKES


def _lib_cache(p, X):
    return forward_pass.forward(p.data["params"], X, f=p.f, g=p.g)


def _lib_step(p):
    """One step is a sequence of length 1 that starts from h_0 = h_prev."""
    c = forward_pass.forward(_d(p, "params"), _d(p, "x_t")[None], f=p.f, g=p.g, h0=_d(p, "h_prev"))
    return c.z[0], c.h[1], c.o[0], c.y[0]


def _lib_train_step(p):
    params = p.data["params"]
    C, grads = backprop.loss_and_grad(params, p.data["X"], p.data["Y"], loss=p.loss, f=p.f, g=p.g)
    return C, optim.GradientDescent(lr=p.data["lr"]).update(params, grads)[0]


def _d(p, name):
    return p.data[name]


_LIST = [
    Exercise(
        name="forward_step",
        signature="forward_step(params, h_prev, x_t, f='tanh', g='softmax')",
        summary="One step of the forward pass: z_t, h_t, o_t, y_t from h_{t-1} and x_t.",
        inputs=f"{_PARAMS_IN}\nh_prev : ndarray of shape (n,)\n    h_{{t-1}}.\n"
        f"x_t : ndarray of shape (m,)\n{_FG_IN}",
        equations=_FORWARD_EQ[8:],
        outputs=(Output("z_t", ("n",)), Output("h_t", ("n",)), Output("o_t", ("k",)), Output("y_t", ("k",))),
        structure="tuple",
        mistakes=(),
        hints={k + "_t": v.replace(", with h_0 = 0 in row 0", "") for k, v in _FORWARD_HINTS.items()},
        keys=("m", "n", "k", "f", "g"),
        configs=_fg,
        draw=_draw_step,
        args=lambda p: (_d(p, "params"), _d(p, "h_prev"), _d(p, "x_t"), p.f, p.g),
        expected=_lib_step,
        variant=lambda p, bug: variants.forward_step(_d(p, "params"), _d(p, "h_prev"), _d(p, "x_t"), p.f, p.g, bug),
    ),
    Exercise(
        name="forward",
        signature="forward(params, x, f='tanh', g='softmax')",
        summary="The forward pass over one sequence x_1, ..., x_T.",
        inputs=f"{_PARAMS_IN}\nx : ndarray of shape (T, m)\n    Row t - 1 is x_t.\n{_FG_IN}",
        equations=_FORWARD_EQ,
        outputs=(Output("z", ("T", "n")), Output("h", ("T+1", "n")), Output("o", ("T", "k")), Output("y", ("T", "k"))),
        structure="tuple",
        mistakes=_FWD_MISTAKES,
        hints=_FORWARD_HINTS,
        keys=("T", "m", "n", "k", "f", "g"),
        configs=_fg,
        draw=_draw_sequence,
        args=lambda p: (_d(p, "params"), _d(p, "x"), p.f, p.g),
        expected=lambda p: (lambda c: (c.z, c.h, c.o, c.y))(_lib_cache(p, _d(p, "x"))),
        variant=lambda p, bug: variants.forward(_d(p, "params"), _d(p, "x"), p.f, p.g, bug),
    ),
    Exercise(
        name="forward_batch",
        signature="forward_batch(params, X, f='tanh', g='softmax')",
        summary="The forward pass over each of N sequences, each starting from h_0 = 0.",
        inputs=f"{_PARAMS_IN}\nX : ndarray of shape (N, T, m)\n    X[i] is sequence i.\n{_FG_IN}",
        equations=_FORWARD_EQ + "\nfor every sequence of the batch",
        outputs=(
            Output("z", ("N", "T", "n")),
            Output("h", ("N", "T+1", "n")),
            Output("o", ("N", "T", "k")),
            Output("y", ("N", "T", "k")),
        ),
        structure="tuple",
        mistakes=_FWD_MISTAKES + ("h0_carried_over",),
        hints=_FORWARD_HINTS,
        keys=("N", "T", "m", "n", "k", "f", "g"),
        configs=_fg,
        draw=_draw_batch,
        args=lambda p: (_d(p, "params"), _d(p, "X"), p.f, p.g),
        expected=lambda p: (lambda c: (c.z, c.h, c.o, c.y))(_lib_cache(p, _d(p, "X"))),
        variant=lambda p, bug: variants.forward_batch(_d(p, "params"), _d(p, "X"), p.f, p.g, bug),
    ),
    Exercise(
        name="output_error",
        signature="output_error(y, o, y_target, loss='mse', g='softmax')",
        summary="The output error e_t = ∂C_t/∂o_t of one sequence, for every t.",
        inputs="y, o : ndarrays of shape (T, k)\n    Outputs and output pre-activations.\n"
        "y_target : ndarray of shape (T, k)\n    Desired outputs ŷ_t.\n"
        f"{_LOSS_IN}\ng : {{'softmax', 'identity', 'sigmoid', 'tanh'}}",
        equations="e_t = J_g(o_t)^T ∂C_t/∂y_t, which is ∂C_t/∂y_t ⊙ g'(o_t) for an element-wise g\n"
        "mse: C_t = ½ ||y_t - ŷ_t||², ∂C_t/∂y_t = y_t - ŷ_t\n"
        "cross-entropy: C_t = -Σ_j ŷ_j log y_j, ∂C_t/∂y_t = -ŷ_t / y_t",
        outputs=(Output("e", ("T", "k")),),
        structure="single",
        mistakes=_E_MISTAKES,
        hints={"e": "e_t = J_g(o_t)^T ∂C_t/∂y_t (for an element-wise g, ∂C_t/∂y_t ⊙ g'(o_t))"},
        keys=("T", "k", "g", "loss"),
        configs=_output_combos,
        draw=_draw_signals,
        args=lambda p: (_d(p, "cache").y, _d(p, "cache").o, _d(p, "Y"), p.loss, p.g),
        expected=lambda p: _d(p, "e"),
        variant=lambda p, bug: variants.output_error(_d(p, "cache").y, _d(p, "cache").o, _d(p, "Y"), p.loss, p.g, bug),
    ),
    Exercise(
        name="delta_recursion",
        signature="delta_recursion(params, z, e, f='tanh')",
        summary="The hidden error δ_t = ∂C/∂z_t for t = T, ..., 1.",
        inputs=f"{_PARAMS_IN}\nz : ndarray of shape (T, n)\n    Row t - 1 is z_t.\n"
        "e : ndarray of shape (T, k)\n    Row t - 1 is e_t.\nf : {'tanh', 'sigmoid', 'relu', 'identity'}",
        equations="δ_{T+1} = 0\nδ_t = (W_hy^T e_t + W_hh^T δ_{t+1}) ⊙ f'(z_t), for t = T, ..., 1",
        outputs=(Output("delta", ("T", "n"), backward=True),),
        structure="single",
        mistakes=_DELTA_MISTAKES,
        hints={"delta": "δ_t = (W_hy^T e_t + W_hh^T δ_{t+1}) ⊙ f'(z_t), with δ_{T+1} = 0"},
        keys=("T", "n", "k", "f"),
        configs=_f_only,
        draw=_draw_signals,
        args=lambda p: (_d(p, "params"), _d(p, "cache").z, _d(p, "e"), p.f),
        expected=lambda p: _d(p, "signals").delta,
        variant=lambda p, bug: variants.delta_recursion(_d(p, "params"), _d(p, "cache").z, _d(p, "e"), p.f, bug),
    ),
    Exercise(
        name="gradients",
        signature="gradients(x, h, e, delta)",
        summary="The five gradients of one sequence from its error signals.",
        inputs="x : ndarray of shape (T, m)\nh : ndarray of shape (T+1, n)\n    Row t is h_t; h[0] = h_0 = 0.\n"
        "e : ndarray of shape (T, k)\ndelta : ndarray of shape (T, n)",
        equations="\n".join(_GRAD_HINTS.values()) + "\n(sums over t = 1, ..., T)",
        outputs=_params_out(),
        structure="params",
        mistakes=_GRAD_MISTAKES,
        hints=_GRAD_HINTS,
        keys=("T", "m", "n", "k"),
        configs=_shapes_only,
        draw=_draw_signals,
        args=lambda p: (_d(p, "x"), _d(p, "cache").h, _d(p, "e"), _d(p, "signals").delta),
        expected=lambda p: backprop.gradients(_d(p, "cache"), _d(p, "signals")),
        variant=lambda p, bug: variants.gradients(
            _d(p, "x"), _d(p, "cache").h, _d(p, "e"), _d(p, "signals").delta, bug
        ),
    ),
    Exercise(
        name="bptt",
        signature="bptt(params, x, y_target, f='tanh', g='softmax', loss='mse')",
        summary="Backpropagation through time for one sequence: the gradient of C = Σ_t C_t.",
        inputs=f"{_PARAMS_IN}\nx : ndarray of shape (T, m)\ny_target : ndarray of shape (T, k)\n{_FG_IN}\n{_LOSS_IN}",
        equations="forward pass, then e_t, δ_t (t = T, ..., 1) and the five sums over t",
        outputs=_params_out(),
        structure="params",
        mistakes=_BPTT_MISTAKES,
        hints=_BPTT_HINTS,
        keys=("T", "m", "n", "k", "f", "g", "loss"),
        configs=_all_combos,
        draw=_draw_sequence,
        args=lambda p: (_d(p, "params"), _d(p, "x"), _d(p, "Y"), p.f, p.g, p.loss),
        expected=lambda p: backprop.loss_and_grad(
            _d(p, "params"), _d(p, "x"), _d(p, "Y"), loss=p.loss, f=p.f, g=p.g
        )[1],
        variant=lambda p, bug: variants.bptt(_d(p, "params"), _d(p, "x"), _d(p, "Y"), p.f, p.g, p.loss, bug),
    ),
    Exercise(
        name="batch_gradient",
        signature="batch_gradient(params, X, Y, f='tanh', g='softmax', loss='mse')",
        summary="The gradient averaged over a batch of N sequences.",
        inputs=f"{_PARAMS_IN}\nX : ndarray of shape (N, T, m)\nY : ndarray of shape (N, T, k)\n"
        f"    Desired outputs.\n{_FG_IN}\n{_LOSS_IN}",
        equations="∇C = (1/N) Σ_i ∇C^(i), each ∇C^(i) by BPTT from h_0 = 0",
        outputs=_params_out(),
        structure="params",
        mistakes=("no_batch_average", "h0_carried_over"),
        hints={name: "∇C = (1/N) Σ_i ∇C^(i)" for name in PARAM_NAMES},
        keys=("N", "T", "m", "n", "k", "f", "g", "loss"),
        configs=_all_combos,
        draw=_draw_batch,
        args=lambda p: (_d(p, "params"), _d(p, "X"), _d(p, "Y"), p.f, p.g, p.loss),
        expected=lambda p: backprop.loss_and_grad(
            _d(p, "params"), _d(p, "X"), _d(p, "Y"), loss=p.loss, f=p.f, g=p.g
        )[1],
        variant=lambda p, bug: variants.batch_gradient(_d(p, "params"), _d(p, "X"), _d(p, "Y"), p.f, p.g, p.loss, bug),
    ),
    Exercise(
        name="vec",
        signature="vec(params)",
        summary="The parameter vector v of the notes.",
        inputs=_PARAMS_IN,
        equations="v = [vec(W_xh); vec(W_hh); vec(W_hy); b_h; b_y], each matrix read row by row",
        outputs=(Output("v", ("n*m + n*n + k*n + n + k",)),),
        structure="single",
        mistakes=("vec_column_order",),
        hints={"v": "v = [vec(W_xh); vec(W_hh); vec(W_hy); b_h; b_y], vec reading row by row"},
        keys=("m", "n", "k"),
        configs=_shapes_only,
        draw=lambda p, rng: None,
        args=lambda p: (_d(p, "params"),),
        expected=lambda p: params_module.vec(_d(p, "params")),
        variant=lambda p, bug: variants.vec(_d(p, "params"), bug),
    ),
    Exercise(
        name="unvec",
        signature="unvec(v, m, n, k)",
        summary="The inverse of vec: the five arrays from v.",
        inputs="v : ndarray of shape (n*m + n*n + k*n + n + k,)\nm, n, k : int",
        equations="v = [vec(W_xh); vec(W_hh); vec(W_hy); b_h; b_y], each matrix read row by row",
        outputs=_params_out(),
        structure="params",
        mistakes=("vec_column_order",),
        hints={name: "v = [vec(W_xh); vec(W_hh); vec(W_hy); b_h; b_y], row by row" for name in PARAM_NAMES},
        keys=("m", "n", "k"),
        configs=_shapes_only,
        draw=_draw_v,
        args=lambda p: (_d(p, "v"), p.m, p.n, p.k),
        expected=lambda p: params_module.unvec(_d(p, "v"), p.m, p.n, p.k),
        variant=lambda p, bug: variants.unvec(_d(p, "v"), p.m, p.n, p.k, bug),
    ),
    Exercise(
        name="gd_update",
        signature="gd_update(params, grads, lr)",
        summary="One step of gradient descent on every parameter.",
        inputs=f"{_PARAMS_IN}\ngrads : Params\n    ∇C, shaped like params.\nlr : float\n    α.",
        equations="v' = v - α ∇C",
        outputs=_params_out(),
        structure="params",
        mistakes=("update_sign_flipped",),
        hints={name: "v' = v - α ∇C" for name in PARAM_NAMES},
        keys=("m", "n", "k"),
        configs=_shapes_only,
        draw=_draw_update,
        args=lambda p: (_d(p, "params"), _d(p, "grads"), _d(p, "lr")),
        expected=lambda p: optim.GradientDescent(lr=_d(p, "lr")).update(_d(p, "params"), _d(p, "grads"))[0],
        variant=lambda p, bug: variants.gd_update(_d(p, "params"), _d(p, "grads"), _d(p, "lr"), bug),
    ),
    Exercise(
        name="train_step",
        signature="train_step(params, X, Y, lr, f='tanh', g='softmax', loss='mse')",
        summary="One pass of the training loop: forward, backward, gradient, update.",
        inputs=f"{_PARAMS_IN}\nX : ndarray of shape (N, T, m)\nY : ndarray of shape (N, T, k)\n"
        f"lr : float\n{_FG_IN}\n{_LOSS_IN}",
        equations="C = (1/N) Σ_i Σ_t C_t^(i) at params\n∇C = (1/N) Σ_i ∇C^(i)\nv' = v - α ∇C",
        outputs=(Output("C", ()),) + _params_out("new."),
        structure="cost_params",
        mistakes=("update_sign_flipped", "no_batch_average"),
        hints={"C": "C = (1/N) Σ_i Σ_t C_t^(i), at the parameters before the update"}
        | {"new." + name: "v' = v - α ∇C with ∇C = (1/N) Σ_i ∇C^(i)" for name in PARAM_NAMES},
        keys=("N", "T", "m", "n", "k", "f", "g", "loss"),
        configs=_all_combos,
        draw=_draw_batch,
        args=lambda p: (_d(p, "params"), _d(p, "X"), _d(p, "Y"), _d(p, "lr"), p.f, p.g, p.loss),
        expected=_lib_train_step,
        variant=lambda p, bug: variants.train_step(
            _d(p, "params"), _d(p, "X"), _d(p, "Y"), _d(p, "lr"), p.f, p.g, p.loss, bug
        ),
    ),
]

#: the exercises in the order of the workbook
EXERCISES = {ex.name: ex for ex in _LIST}
