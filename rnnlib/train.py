"""The training loop of the notes: forward, backward, gradient, update.

Each step takes a batch of sequences and runs the notes' four steps::

    cache   = forward(params, X_batch)                # 1. forward pass: h_t, o_t, y_t
    signals = backward(params, cache, e=e)            # 2. backward pass: e_t, delta_t
    grads   = gradients(cache, signals)               # 3. gradient, averaged over the batch
    params, state = optimizer.update(params, grads, state)   # 4. update v' = v - alpha grad C

With the whole data set as the batch this is the notes' gradient descent;
with a random minibatch at each step it is stochastic gradient descent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import _shape_str, as_rng, check_int, check_optimizer, check_params, check_positive
from .activations import hidden_activation, output_activation
from .backprop import backward_tm, gradients
from .forward_pass import as_sequences, forward
from .losses import check_loss, check_targets, cost_and_error_tm
from .optim import clip_by_global_norm, clip_elementwise, global_norm
from .params import NAMES, Params

__all__ = ["History", "Diverged", "train"]



@dataclass
class History:
    """What happened during training, one entry per update step.

    Attributes
    ----------
    loss : list of float
        The batch cost C before each update.
    grad_norm : list of float
        The global norm of each gradient, before clipping.
    """

    loss: list = field(default_factory=list)
    grad_norm: list = field(default_factory=list)


class Diverged(FloatingPointError):
    """Training stopped because the cost or the gradient stopped being finite.

    Attributes
    ----------
    step : int
        The step at which it happened.
    history : History
        Everything recorded before that step.
    """

    def __init__(self, message: str, step: int, history: History):
        super().__init__(message)
        self.step, self.history = step, history


def _overflow_is_divergence():
    """No overflow warnings from the update: a non-finite update is reported as Diverged instead."""
    return np.errstate(over="ignore", invalid="ignore")


def train(
    params: Params,
    X,
    Y,
    *,
    optimizer,
    steps: int,
    batch_size: int | None = None,
    loss: str = "mse",
    f: str = "tanh",
    g: str = "softmax",
    clip_norm: float | None = None,
    clip_value: float | None = None,
    freeze: tuple = (),
    rng=None,
):
    """Train ``params`` on sequences X with desired outputs Y.

    Parameters
    ----------
    params : Params
        Starting parameters (not modified).
    X : array_like of shape (N, T, m)
        In the parameters' dtype (or integers, which are converted to it):
        the trained parameters keep their dtype.
    Y : array_like of shape (N, T, k)
    optimizer : GradientDescent, Momentum, Adagrad or Adam
        Anything with ``init(params)`` and ``update(params, grads, state)``.
    steps : int
        Number of updates.
    batch_size : int, optional
        Sequences per update.  None uses all N at every step (full-batch
        gradient descent, as in the notes); a smaller number draws minibatches
        in a fresh random order each epoch (stochastic gradient descent).
    loss, f, g : str
        As for :func:`rnnlib.loss_and_grad`.
    clip_norm : float, optional
        Rescale each gradient to at most this global norm before the update.
    clip_value : float, optional
        Clamp every entry of each gradient to [-clip_value, clip_value]
        before the update (applied after ``clip_norm`` if both are given).
    freeze : tuple of str
        Parameters to hold fixed, e.g. ``("W_hh",)``: with W_hh = 0 and frozen
        the network is a per-step MLP with no memory.
    rng : numpy.random.Generator or int, optional
        Randomness for the minibatch order.

    Returns
    -------
    params : Params
        The trained parameters.
    history : History

    Raises
    ------
    Diverged
        A FloatingPointError, if the cost, the gradient or the parameters
        after an update become NaN or inf (the learning rate is too large);
        it carries the history so far.
    """
    check_params(params)
    check_optimizer(optimizer)
    check_loss(loss, g)
    hidden_activation(f), output_activation(g)  # unknown names fail here, before any work
    steps = check_int("steps", steps)
    if isinstance(freeze, str) or not isinstance(freeze, (tuple, list, set, frozenset)):
        raise TypeError(f"freeze: expected a tuple of parameter names such as ('W_hh',), got {freeze!r}")
    for name in freeze:
        if name not in NAMES:
            raise ValueError(f"freeze: expected names among {NAMES}, got {name!r}")
    if clip_norm is not None:
        check_positive("clip_norm", clip_norm)
    if clip_value is not None:
        check_positive("clip_value", clip_value)
    X, batched = as_sequences(params, X)  # the whole array is checked here, once
    if not batched:
        raise ValueError(f"X: expected a batch of shape (N, T, m), got one sequence of shape {_shape_str(X.shape[1:])}")
    if X.dtype != params.dtype:  # training keeps the parameters' dtype: float32 in, float32 out
        raise ValueError(
            f"X: expected dtype {params.dtype} like params (or integers), got {X.dtype}; "
            f"convert with X.astype(np.{params.dtype}) or params.astype(np.{X.dtype})"
        )
    N, T = X.shape[:2]
    Y = check_targets(Y, (N, T, params.k), "(N, T, k)", loss, X.dtype)  # ... and so is Y
    batch_size = N if batch_size is None else check_int("batch_size", batch_size)
    if batch_size > N:
        raise ValueError(f"batch_size: expected at most N = {N}, got {batch_size}")
    rng = as_rng(rng)

    history = History()
    state = optimizer.init(params)
    order, pos = np.arange(N, dtype=np.intp), N
    with _overflow_is_divergence():
        for step in range(steps):
            if batch_size == N:
                idx = slice(None)
            else:
                if pos + batch_size > N:  # a new epoch: a new random order
                    order, pos = rng.permutation(N).astype(np.intp, copy=False), 0
                idx, pos = order[pos : pos + batch_size], pos + batch_size

            with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below instead
                cache = forward(params, X[idx], f=f, g=g)  # 1. forward pass
                C, e = cost_and_error_tm(cache, Y[idx], loss, out=cache.o_tm)  # e_t overwrites o_t
                signals = backward_tm(params, cache, e)  # 2. backward pass: e_t and delta_t
                grads = gradients(cache, signals)  # 3. gradient (batch average)
                if freeze:
                    grads = Params(*(np.zeros_like(a) if name in freeze else a for name, a in grads.items()))
                norm = global_norm(grads)
            if not (np.isfinite(C) and np.isfinite(norm)):
                raise Diverged(
                    f"train: the cost became {C} (gradient norm {norm}) at step {step}; lower the learning rate or clip",
                    step,
                    history,
                )
            history.loss.append(C)
            history.grad_norm.append(norm)
            if clip_norm is not None:
                grads, _ = clip_by_global_norm(grads, clip_norm)
            if clip_value is not None:
                grads = clip_elementwise(grads, clip_value)
            params, state = optimizer.update(params, grads, state)  # 4. update
            if not all(np.all(np.isfinite(a)) for a in params):
                raise Diverged(
                    f"train: the parameters became non-finite in the update at step {step} (cost {C}, "
                    f"gradient norm {norm} before it); lower the learning rate or clip",
                    step,
                    history,
                )
    return params, history
