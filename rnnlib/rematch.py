"""The rematch: the vanilla RNN, the LSTM and the GRU on the memory-horizon tasks.

The runs of :mod:`rnnlib.horizon` (delayed recall against the delay, the
adding problem against the length T), repeated with the cell as a setting.
For a given seed and task size every cell sees the same training and test
sequences, the same order of minibatches, the same Adam and the same
global-norm clipping as the chapter-10 run; only the recurrent cell differs.

* ``"rnn"``: exactly :func:`rnnlib.horizon.recall_run` with
  ``init="default"`` (and :func:`rnnlib.horizon.adding_run`): the same
  numbers, bit for bit.
* ``"lstm"``, ``"gru"``: the cells of :mod:`rnnlib.gated.lstm` and
  :mod:`rnnlib.gated.gru` with the same hidden size n, initialised by their own
  ``init_params`` from a generator of their own (seeded by the run's seed,
  its task size and the cell), so that the run's generator, and with it
  the minibatch order, is the vanilla run's.

A run depends only on its settings and seed, so any run of a large grid can
be recomputed alone, bit for bit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from . import horizon, tasks
from .gated import gru, lstm
from ._checks import as_rng, check_any_params, check_choice, check_int, check_optimizer, check_positive
from .backprop import backward_tm, gradients as rnn_gradients
from .forward_pass import forward as rnn_forward
from .losses import cost_and_error_tm
from .optim import Adam, clip_by_global_norm, global_norm
from .params import init_params as rnn_init_params
from .train import Diverged, History

__all__ = ["CELLS", "CellRun", "num_params", "train_cell", "recall_run_cell", "adding_run_cell"]

#: the cells compared, in the order the book plots them
CELLS = ("rnn", "lstm", "gru")

_MODULES = {"lstm": lstm, "gru": gru}
_KEYS = {"lstm": 1, "gru": 2}  # the third entry of a gated cell's own seed


def num_params(cell: str, m: int, n: int, k: int) -> int:
    """The number of parameters of ``cell`` with m inputs, n hidden units, k outputs.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    m, n, k : int

    Returns
    -------
    int
        n(m + n + 1) + k(n + 1) for the RNN; four (LSTM) or three (GRU) times
        the recurrent part, plus the same output layer, for the gated cells.
    """
    check_choice("cell", cell, CELLS)
    m, n, k = (check_int(name, v) for name, v in (("m", m), ("n", n), ("k", k)))
    if cell == "rnn":
        return n * (m + n + 1) + k * (n + 1)
    return _MODULES[cell].num_params(m, n, k)


def train_cell(params, X, Y, *, loss_and_grad, optimizer, steps: int, batch_size: int,
               clip_norm: float | None = None, rng=None, state=None):
    """Minibatch training of any cell: Adam (or another optimizer), clipping, divergence.

    The loop of :func:`rnnlib.train` with the cell's gradient passed in: each
    call starts a new epoch; each epoch draws a fresh order of the N
    sequences from ``rng`` (``rng.permutation(N)``, as ``train`` does) and
    takes them ``batch_size`` at a time.  With the RNN's gradient computed as
    ``train`` computes it (forward, backward, gradients; ``rnnlib.loss_and_grad``
    sums in another order and differs in the last bits) it repeats ``train``
    exactly.

    Parameters
    ----------
    params : Params, LSTMParams or GRUParams
        Starting parameters (not modified).
    X : ndarray of shape (N, T, m)
    Y : ndarray of shape (N, T, k)
    loss_and_grad : callable
        ``loss_and_grad(params, X_batch, Y_batch) -> (C, grads)``, e.g.
        ``functools.partial(rnnlib.gated.lstm.loss_and_grad, loss="cross_entropy")``.
    optimizer : Adam, GradientDescent, Momentum or Adagrad
    steps : int
        Number of updates.
    batch_size : int
        Sequences per update, at most N.
    clip_norm : float, optional
        Rescale each gradient to at most this global norm before the update.
    rng : numpy.random.Generator or int, optional
        Randomness for the minibatch order.
    state : optional
        The optimizer's state to continue from (None: ``optimizer.init(params)``).

    Returns
    -------
    params
        The trained parameters, of the type passed in.
    state
        The optimizer's state after the last update (pass it back to continue).

    Raises
    ------
    Diverged
        If the cost, the gradient or the parameters become NaN or inf.
    """
    check_any_params(params)
    if not callable(loss_and_grad):
        raise TypeError(f"loss_and_grad: expected a function (params, X, Y) -> (C, grads), "
                        f"got {type(loss_and_grad).__name__}")
    check_optimizer(optimizer)
    steps = check_int("steps", steps)
    if not isinstance(X, np.ndarray) or X.ndim != 3:
        raise ValueError(f"X: expected an array of shape (N, T, m), got {getattr(X, 'shape', type(X).__name__)}")
    if not isinstance(Y, np.ndarray) or Y.ndim != 3 or Y.shape[:2] != X.shape[:2]:
        raise ValueError(f"Y: expected an array of shape (N, T, k) with (N, T) = {X.shape[:2]}, "
                         f"got {getattr(Y, 'shape', type(Y).__name__)}")
    N = X.shape[0]
    batch_size = check_int("batch_size", batch_size)
    if batch_size > N:
        raise ValueError(f"batch_size: expected at most N = {N}, got {batch_size}")
    if clip_norm is not None:
        check_positive("clip_norm", clip_norm)
    rng = as_rng(rng)
    state = optimizer.init(params) if state is None else state
    history = History()
    order, pos = np.arange(N, dtype=np.intp), N
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported as Diverged instead
        for step in range(steps):
            if pos + batch_size > N:  # a new epoch: a new random order
                order, pos = rng.permutation(N).astype(np.intp, copy=False), 0
            idx, pos = order[pos : pos + batch_size], pos + batch_size
            C, grads = loss_and_grad(params, X[idx], Y[idx])
            norm = global_norm(grads)
            if not (np.isfinite(C) and np.isfinite(norm)):
                raise Diverged(f"train_cell: the cost became {C} (gradient norm {norm}) at step {step}",
                               step, history)
            history.loss.append(C)
            history.grad_norm.append(norm)
            if clip_norm is not None:
                grads, _ = clip_by_global_norm(grads, clip_norm)
            params, state = optimizer.update(params, grads, state)
            if not all(np.all(np.isfinite(a)) for a in params):
                raise Diverged(f"train_cell: the parameters became non-finite in the update at step {step}",
                               step, history)
    return params, state


@dataclass(frozen=True)
class CellRun:
    """One cell trained on one task, seen after each budget.

    Attributes
    ----------
    cell : str
        One of :data:`CELLS`.
    budgets : tuple of int
        Training steps, ascending.
    start : Params, LSTMParams or GRUParams
        The initial parameters.
    params : list
        The parameters after each budget (None once training diverged).
    score : list of float
        After each budget: the recall accuracy over the steps t > delay
        (delayed recall), or the mean absolute error of the answer at the
        last step (adding problem), on the test sequences; NaN once diverged.
    baseline : float or None
        Adding problem: the error of always answering the training answers'
        mean.  None for delayed recall.
    """

    cell: str
    budgets: tuple
    start: object
    params: list
    score: list
    baseline: float | None = None

    def record(self) -> dict:
        """What the study stores: ``accuracy`` (recall) or ``error`` and ``baseline`` (adding); None where diverged."""
        values = [None if np.isnan(s) else s for s in self.score]
        if self.baseline is None:
            return {"accuracy": values}
        return {"error": values, "baseline": self.baseline}


def _start(cell, rnn_start, m, n, k, seed_key):
    if cell == "rnn":
        return rnn_start
    return _MODULES[cell].init_params(m, n, k, rng=np.random.default_rng([*seed_key, _KEYS[cell]]))


def _rnn_loss_and_grad(params, X, Y, *, loss, f="tanh", g="softmax"):
    """The RNN's cost and gradient computed as :func:`rnnlib.train` computes them (the same bits)."""
    cache = rnn_forward(params, X, f=f, g=g)
    C, e = cost_and_error_tm(cache, Y, loss, out=cache.o_tm)  # e_t overwrites o_t
    return C, rnn_gradients(cache, backward_tm(params, cache, e))


def _functions(cell, loss, g):
    """The cell's loss_and_grad (as train_cell takes it) and its outputs y for a batch."""
    if cell == "rnn":
        return (functools.partial(_rnn_loss_and_grad, loss=loss, f="tanh", g=g),
                lambda p, X: rnn_forward(p, X, f="tanh", g=g).y)
    mod = _MODULES[cell]
    return functools.partial(mod.loss_and_grad, loss=loss, g=g), lambda p, X: mod.forward(p, X, g=g).y


def _train_budgets(start, X, Y, budgets, *, rng, setup, loss_and_grad):
    """The parameters after each budget (None once diverged), as horizon trains them."""
    optimizer = Adam(lr=setup.lr)
    params, state, done, out = start, optimizer.init(start), 0, []
    for budget in budgets:
        if params is not None:
            try:
                params, state = train_cell(params, X, Y, loss_and_grad=loss_and_grad, optimizer=optimizer,
                                           steps=budget - done, batch_size=setup.batch_size,
                                           clip_norm=setup.clip_norm, rng=rng, state=state)
            except Diverged:
                params = None
        out.append(params)
        done = budget
    return out


def recall_run_cell(cell: str, delay: int, *, seed: int, budgets=(1000,),
                    setup: horizon.RecallSetup = horizon.RecallSetup()) -> CellRun:
    """Train one ``cell`` on delayed recall and measure it after each budget.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    delay : int
        Steps between reading a symbol and recalling it, >= 1.
    seed : int
        Fixes the data, the initial parameters and the minibatch order.
    budgets : sequence of int
        Increasing numbers of Adam steps, each a multiple of an epoch.
    setup : rnnlib.horizon.RecallSetup

    Returns
    -------
    CellRun
        ``score`` is the recall accuracy; for ``"rnn"`` it and the parameters
        are those of ``horizon.recall_run(delay, "default", ...)``.
    """
    cell = check_choice("cell", cell, CELLS)
    delay = check_int("delay", delay)
    seed = check_int("seed", seed, minimum=0)
    if not isinstance(setup, horizon.RecallSetup):
        raise TypeError(f"setup: expected rnnlib.horizon.RecallSetup, got {type(setup).__name__}")
    budgets = horizon._check_budgets(budgets, setup.N_train // setup.batch_size)
    rng = np.random.default_rng([seed, delay])  # as horizon.recall_run
    T, m, k = delay + setup.extra, setup.symbols, setup.symbols + 1
    X, Y = tasks.delayed_recall(setup.N_train, T, delay=delay, symbols=m, rng=rng)
    X_test, Y_test = tasks.delayed_recall(setup.N_test, T, delay=delay, symbols=m, rng=rng)
    rnn_start, _ = horizon.initial_params("default", m, setup.n, k, rng=rng)  # every cell draws it: same order
    start = _start(cell, rnn_start, m, setup.n, k, (seed, delay))
    loss_and_grad, outputs = _functions(cell, "cross_entropy", "softmax")
    checkpoints = _train_budgets(start, X, Y, budgets, rng=rng, setup=setup, loss_and_grad=loss_and_grad)
    accuracy = []
    for params in checkpoints:
        if params is None:
            accuracy.append(float("nan"))
            continue
        hit = outputs(params, X_test)[:, delay:].argmax(-1) == Y_test[:, delay:].argmax(-1)
        accuracy.append(float(np.mean(hit)))
    return CellRun(cell, budgets, start, checkpoints, accuracy)


def adding_run_cell(cell: str, T: int, *, seed: int, budgets=(500,),
                    setup: horizon.AddingSetup = horizon.AddingSetup()) -> CellRun:
    """Train one ``cell`` on the adding problem; its error after each budget.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    T : int
        Sequence length, >= 2.
    seed : int
    budgets : sequence of int
        Increasing numbers of Adam steps, each a multiple of an epoch.
    setup : rnnlib.horizon.AddingSetup

    Returns
    -------
    CellRun
        ``score`` is the mean absolute error of the last step's answer and
        ``baseline`` that of the training answers' mean; for ``"rnn"`` both are
        those of ``horizon.adding_run(T, ...)``.
    """
    cell = check_choice("cell", cell, CELLS)
    T = check_int("T", T, minimum=2)
    seed = check_int("seed", seed, minimum=0)
    if not isinstance(setup, horizon.AddingSetup):
        raise TypeError(f"setup: expected rnnlib.horizon.AddingSetup, got {type(setup).__name__}")
    budgets = horizon._check_budgets(budgets, setup.N_train // setup.batch_size)
    rng = np.random.default_rng([seed, T])  # as horizon.adding_run
    X, Y = tasks.adding_problem(setup.N_train, T, rng=rng)
    X_test, Y_test = tasks.adding_problem(setup.N_test, T, rng=rng)
    rnn_start = rnn_init_params(2, setup.n, 1, rng=rng)  # every cell draws it: same minibatch order
    start = _start(cell, rnn_start, 2, setup.n, 1, (seed, T))
    loss_and_grad, outputs = _functions(cell, "mse", "identity")
    checkpoints = _train_budgets(start, X, Y, budgets, rng=rng, setup=setup, loss_and_grad=loss_and_grad)
    answer = Y_test[:, -1, 0]
    error = [float("nan") if p is None else float(np.mean(np.abs(outputs(p, X_test)[:, -1, 0] - answer)))
             for p in checkpoints]
    baseline = float(np.mean(np.abs(answer - Y[:, -1, 0].mean())))
    return CellRun(cell, budgets, start, checkpoints, error, baseline)
