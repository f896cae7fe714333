"""Optimisers (the notes' step 4, the parameter update) and gradient clipping.

The notes update the parameter vector by plain gradient descent,

    v' = v - alpha grad C,

which is :class:`GradientDescent`.  Run on a random minibatch at each step it
is stochastic gradient descent (the training loop picks the batch; the rule
is the same).  :class:`Momentum`, :class:`Adagrad` and :class:`Adam` are the
usual refinements.  Every optimiser is a small frozen dataclass of
hyperparameters with two pure methods::

    state = opt.init(params)
    params, state = opt.update(params, grads, state)

The state is the optimiser's own: None for gradient descent, which keeps
none, and a :class:`MomentumState`, :class:`AdagradState` or
:class:`AdamState` for the others; ``update`` refuses any other state by name.

Updating the five arrays one by one is the same as updating v, because every
rule acts entry by entry.  For the same reason the optimisers and the
clipping functions take the parameters of the gated cells too
(:class:`rnnlib.gated.lstm.LSTMParams`, :class:`rnnlib.gated.gru.GRUParams`).

Clipping rescales a gradient before the update.  It belongs here, with the
optimiser, and never inside the gradient computation: a clipped gradient is
no longer the gradient of the cost, and a gradient check would (rightly) fail.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ._checks import check_any_params, check_int, check_like_params, check_positive
from .params import Params

__all__ = [
    "GradientDescent",
    "Momentum",
    "Adagrad",
    "Adam",
    "MomentumState",
    "AdagradState",
    "AdamState",
    "global_norm",
    "clip_by_global_norm",
    "clip_elementwise",
]


def _check_pair(params, grads):
    """params finite, grads finite and shaped and typed like params."""
    check_any_params(params)
    check_like_params("grads", grads, params, finite=False)
    for (name, a), b in zip(params.items(), grads):
        if not np.all(np.isfinite(b)):
            raise ValueError(f"grads.{name}: expected finite values, got NaN or inf (lower the learning rate or clip)")


def _check_state(state, params, optimizer, kind):
    """The state must be what ``optimizer.init(params)`` returned (or a later update did).

    ``kind`` is the optimiser's state class, or None for one that keeps no
    state; a state of another optimiser is refused by name.
    """
    given = "the class " + state.__name__ if isinstance(state, type) else type(state).__name__
    if kind is None:
        if state is not None:
            raise TypeError(f"state: expected None ({type(optimizer).__name__} keeps no state), got {given}")
        return
    if not isinstance(state, kind):
        raise TypeError(
            f"state: expected the {kind.__name__} returned by {type(optimizer).__name__}.init(params) or .update, "
            f"got {given}"
        )
    for field in fields(state):
        part = getattr(state, field.name)
        if field.name == "step":
            check_int("state.step", part, minimum=0)
            continue
        check_like_params(f"state.{field.name}", part, params)
        if field.name in ("s", "v"):  # sums and running means of squares
            for name, a in part.items():
                if np.any(a < 0):
                    raise ValueError(
                        f"state.{field.name}.{name}: expected values >= 0 (squared gradients), got {a.min()}"
                    )


def _check_beta(name, beta):
    beta = check_positive(name, beta, allow_zero=True)
    if not beta < 1:
        raise ValueError(f"{name}: expected a number in [0, 1), got {beta}")
    return beta


def _set_floats(opt, **values):
    """Store checked hyperparameters as Python floats: a numpy float64 lr would promote float32 arrays."""
    for name, value in values.items():
        object.__setattr__(opt, name, value)


@dataclass(frozen=True)
class GradientDescent:
    """v' = v - lr * grad C (the notes' update)."""

    lr: float = 0.1  # alpha in the notes

    def __post_init__(self):
        _set_floats(self, lr=check_positive("lr", self.lr))

    def init(self, params: Params):
        check_any_params(params)
        return None

    def update(self, params: Params, grads: Params, state=None):
        _check_pair(params, grads)
        _check_state(state, params, self, None)  # gradient descent keeps no state
        return params.map(lambda v, dv: v - self.lr * dv, grads), None


@dataclass(frozen=True)
class MomentumState:
    u: Params  # the velocity: a decaying sum of past gradients


@dataclass(frozen=True)
class Momentum:
    """Heavy ball: u' = beta u + grad C,  v' = v - lr u'."""

    lr: float = 0.01
    beta: float = 0.9  # fraction of the previous step kept

    def __post_init__(self):
        _set_floats(self, lr=check_positive("lr", self.lr), beta=_check_beta("beta", self.beta))

    def init(self, params: Params) -> MomentumState:
        return MomentumState(check_any_params(params).map(np.zeros_like))

    def update(self, params: Params, grads: Params, state: MomentumState):
        _check_pair(params, grads)
        _check_state(state, params, self, MomentumState)
        u = state.u.map(lambda u, dv: self.beta * u + dv, grads)
        return params.map(lambda v, u: v - self.lr * u, u), MomentumState(u)


@dataclass(frozen=True)
class AdagradState:
    s: Params  # the sum of squared gradients so far


@dataclass(frozen=True)
class Adagrad:
    """Adagrad as in min-char-rnn: s' = s + (grad C)^2,  v' = v - lr grad C / sqrt(s' + eps).

    eps sits inside the square root, as in min-char-rnn (``mem + 1e-8``):
    where the summed squares are tiny, the step is damped to about
    lr |grad C| / sqrt(eps) rather than a full step of size lr.
    """

    lr: float = 0.1
    eps: float = 1e-8  # added to s' under the square root; keeps the step finite where s' = 0

    def __post_init__(self):
        _set_floats(self, lr=check_positive("lr", self.lr), eps=check_positive("eps", self.eps))

    def init(self, params: Params) -> AdagradState:
        return AdagradState(check_any_params(params).map(np.zeros_like))

    def update(self, params: Params, grads: Params, state: AdagradState):
        _check_pair(params, grads)
        _check_state(state, params, self, AdagradState)
        s = state.s.map(lambda s, dv: s + dv * dv, grads)
        new = params.map(lambda v, dv, s: v - self.lr * dv / np.sqrt(s + self.eps), grads, s)
        return new, AdagradState(s)


@dataclass(frozen=True)
class AdamState:
    step: int
    m: Params  # first moment, running mean of grad C
    v: Params  # second moment, running mean of (grad C)^2


@dataclass(frozen=True)
class Adam:
    """Adam (Kingma and Ba, 2015) with bias-corrected moment estimates."""

    lr: float = 1e-3
    beta1: float = 0.9  # decay of the first moment
    beta2: float = 0.999  # decay of the second moment
    eps: float = 1e-8

    def __post_init__(self):
        _set_floats(
            self,
            lr=check_positive("lr", self.lr),
            beta1=_check_beta("beta1", self.beta1),
            beta2=_check_beta("beta2", self.beta2),
            eps=check_positive("eps", self.eps),
        )

    def init(self, params: Params) -> AdamState:
        zeros = check_any_params(params).map(np.zeros_like)
        return AdamState(0, zeros, zeros)

    def update(self, params: Params, grads: Params, state: AdamState):
        _check_pair(params, grads)
        _check_state(state, params, self, AdamState)
        t = state.step + 1
        b1, b2 = self.beta1, self.beta2
        m = state.m.map(lambda m, dv: b1 * m + (1 - b1) * dv, grads)
        v = state.v.map(lambda v, dv: b2 * v + (1 - b2) * dv * dv, grads)
        c1, c2 = 1 - b1**t, 1 - b2**t  # bias corrections: m and v start at 0
        new = params.map(lambda w, m, v: w - self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps), m, v)
        return new, AdamState(t, m, v)


def _check_grads(grads) -> Params:
    """A gradient to clip or measure: Params with finite entries."""
    return check_any_params(grads, "grads")


def global_norm(grads: Params) -> float:
    """||vec(grads)||_2, the norm of the whole gradient vector.

    Summed in float64.  If the squares overflow (entries above about 1e154)
    or underflow (below about 1e-154), the entries are first divided by the
    largest |entry|, so every finite gradient has a finite, accurate norm.
    A gradient holding NaN or inf has a NaN or inf norm (this is how
    :func:`rnnlib.train` notices divergence); the clipping functions refuse it.
    """
    check_any_params(grads, "grads", finite=False)  # NaN or inf give a NaN or inf norm: how train sees divergence
    with np.errstate(over="ignore"):  # handled below
        norm = float(np.sqrt(sum(np.sum(a.astype(np.float64) ** 2) for a in grads)))
    if np.isfinite(norm) and norm > 1e-140:
        return norm
    scale = max(float(np.max(np.abs(a), initial=0.0)) for a in grads)
    if scale == 0.0 or not np.isfinite(scale):
        return norm
    with np.errstate(under="ignore"):
        scaled = sum(np.sum((a.astype(np.float64) / scale) ** 2) for a in grads)
    return float(np.sqrt(scaled)) * scale


def clip_by_global_norm(grads: Params, max_norm: float):
    """Rescale the gradient so that its global norm is at most ``max_norm``.

    Returns
    -------
    clipped : Params
        ``grads * min(1, max_norm / ||grads||)``: same direction, bounded length.
    norm : float
        The norm before clipping.
    """
    _check_grads(grads)
    max_norm = check_positive("max_norm", max_norm)
    norm = global_norm(grads)
    if norm <= max_norm:
        return grads, norm
    scale = max_norm / norm
    return grads.map(lambda a: a * np.asarray(scale, a.dtype)), norm


def clip_elementwise(grads: Params, limit: float) -> Params:
    """Clamp every entry to [-limit, limit] (changes the gradient's direction)."""
    _check_grads(grads)
    limit = check_positive("limit", limit)
    return grads.map(lambda a: np.clip(a, -limit, limit))
