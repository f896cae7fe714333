"""The memory-horizon experiments: how far back a trained RNN recalls.

One run trains a fresh network on delayed recall (or on the adding problem)
and measures it on fresh sequences after each of several training budgets.
A run is fixed by its seed and its task size alone, so any single run of a
large grid can be recomputed on its own, bit for bit.  For a given seed and
delay every initialisation sees the same data, the same W_xh and W_hy and the
same order of minibatches; only W_hh (and, for the IRNN, f) differs, so the
initialisations are compared pairwise.

The initialisations (names in :data:`INITS`):

``"default"``
    :func:`rnnlib.init_params`: uniform weights, spectral radius of W_hh
    about 1/sqrt(3); f = tanh.
``"rho=1"``
    The same W_hh rescaled to spectral radius 1; f = tanh.
``"orthogonal"``
    A random orthogonal W_hh; f = tanh.
``"irnn"``
    W_hh = I, f = ReLU, zero biases (Le, Jaitly and Hinton, 2015).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from . import tasks
from ._checks import check_choice, check_int, check_positive
from .activations import hidden_activation
from .diagnostics import cost_state_sensitivity, spectral_radius
from .forward_pass import forward
from .initializers import identity, orthogonal, with_radius, with_W_hh
from .optim import Adam
from .params import Params, init_params
from .train import train

__all__ = ["INITS", "RecallSetup", "AddingSetup", "RecallRun", "initial_params", "recall_run", "adding_run"]

#: the initialisations compared, in the order the book plots them
INITS = ("default", "rho=1", "orthogonal", "irnn")


def _check_setup(setup, **minimum):
    """Every count an integer (>= 1, or the minimum given), lr and clip_norm positive, a batch within N_train."""
    for f in fields(setup):
        value = getattr(setup, f.name)
        if f.name in ("lr", "clip_norm"):
            check_positive(f.name, value)
        else:
            check_int(f.name, value, minimum=minimum.get(f.name, 1))
    if setup.batch_size > setup.N_train:
        raise ValueError(f"batch_size: expected at most N_train = {setup.N_train}, got {setup.batch_size}")


@dataclass(frozen=True)
class RecallSetup:
    """The delayed-recall experiment's settings (the chapter's defaults)."""

    n: int = 32  # hidden units
    symbols: int = 4  # guessing scores 1/4
    N_train: int = 640  # training sequences, seen in a fresh order each epoch
    N_test: int = 256  # fresh sequences for the accuracy
    extra: int = 5  # T = delay + extra: the number of steps that require recall
    batch_size: int = 32  # N_train / batch_size = 20 steps per epoch
    lr: float = 0.01  # Adam's step size
    clip_norm: float = 5.0  # global-norm clipping of every gradient

    def __post_init__(self):
        _check_setup(self, symbols=2)


@dataclass(frozen=True)
class AddingSetup:
    """The adding problem's settings."""

    n: int = 32
    N_train: int = 320
    N_test: int = 256
    batch_size: int = 32  # 10 steps per epoch
    lr: float = 0.01
    clip_norm: float = 5.0

    def __post_init__(self):
        _check_setup(self)


@dataclass(frozen=True)
class RecallRun:
    """One network trained on delayed recall, seen after each budget.

    Attributes
    ----------
    start : Params
        The initial parameters.
    f : str
        The hidden activation.
    budgets : tuple of int
        Training steps, ascending.
    params : list of Params
        The parameters after each budget.
    accuracy : list of float
        Recall accuracy on the test sequences after each budget, over the
        steps t > delay; NaN after a budget at which training had diverged.
    X_test, Y_test : ndarray
        The test sequences, of shape (N_test, delay + extra, symbols) and
        (N_test, delay + extra, symbols + 1).
    grad_norm : list of ndarray, optional
        For each budget, the global norm of every gradient before clipping,
        over the steps taken since the previous budget (None once training
        had diverged).
    clip_norm : float, optional
        The clipping threshold the run trained with.
    """

    start: Params
    f: str
    budgets: tuple
    params: list
    accuracy: list
    X_test: np.ndarray
    Y_test: np.ndarray
    grad_norm: list = None
    clip_norm: float = None

    def start_signal(self, n_sequences: int = 64) -> float:
        """How strongly the recall costs reach back to the recalled symbol, at the start.

        On the initial parameters and the first ``n_sequences`` test
        sequences, for every step t = delay + 1, ..., T that requires recall,
        the ratio ||dC_t/dh_{t - delay}|| / ||dC_t/dh_t|| (the state at
        t - delay is the one that read the symbol recalled at t), averaged
        over those steps and sequences.

        Returns
        -------
        float
        """
        n_sequences = check_int("n_sequences", n_sequences)
        T = self.X_test.shape[1]
        delay = int(np.sum(self.Y_test[0, :, 0] == 1))  # class 0: nothing to recall yet
        ratios = []
        for x, y in zip(self.X_test[:n_sequences], self.Y_test[:n_sequences]):
            S = cost_state_sensitivity(self.start, x, y, loss="cross_entropy", f=self.f)
            ratios += [S[t, t - delay] / S[t, t] for t in range(delay + 1, T + 1)]
        return float(np.mean(ratios))

    def record(self) -> dict:
        """What the study stores of the run, one entry per budget (None where it diverged).

        Returns
        -------
        dict
            ``accuracy``; ``rho``, the spectral radius of W_hh; and
            ``mean_fprime``, the mean of f'(z_t) over all units, steps and
            test sequences (1 - h_t^2 for tanh: small where units saturate);
            and, when the run kept its gradient norms, ``grad_norm_median``,
            the median global norm of the gradients before clipping, and
            ``clipped``, the fraction of them above the clipping threshold,
            both over the steps since the previous budget.
        """
        deriv = hidden_activation(self.f).deriv_from_output
        keys = ["accuracy", "rho", "mean_fprime"]
        if self.grad_norm is not None:
            keys += ["grad_norm_median", "clipped"]
        out = {key: [] for key in keys}
        for b, (params, accuracy) in enumerate(zip(self.params, self.accuracy)):
            if params is None:
                for key in keys:
                    out[key].append(None)
                continue
            h = forward(params, self.X_test, f=self.f).h[:, 1:]  # h_1..h_T
            out["accuracy"].append(accuracy)
            out["rho"].append(spectral_radius(params.W_hh))
            out["mean_fprime"].append(float(np.mean(deriv(h))))
            if self.grad_norm is not None:
                norms = np.asarray(self.grad_norm[b])
                out["grad_norm_median"].append(float(np.median(norms)))
                out["clipped"].append(float(np.mean(norms > self.clip_norm)))
        return out


def initial_params(init: str, m: int, n: int, k: int, *, rng) -> tuple[Params, str]:
    """Initial parameters and hidden activation for one of :data:`INITS`.

    Every initialisation draws the same numbers from ``rng`` (the uniform
    parameters of :func:`rnnlib.init_params`, then an orthogonal matrix), so
    with equal generators they share W_xh, W_hy and everything drawn later.

    Returns
    -------
    params : Params
    f : str
        ``"relu"`` for the IRNN, ``"tanh"`` otherwise.
    """
    check_choice("init", init, INITS)
    base = init_params(m, n, k, rng=rng)
    Q = orthogonal(n, rng=rng)
    if init == "default":
        return base, "tanh"
    if init == "rho=1":
        return with_W_hh(base, with_radius(base.W_hh, 1.0)), "tanh"
    if init == "orthogonal":
        return with_W_hh(base, Q), "tanh"
    return with_W_hh(base, identity(n)), "relu"


class _Resume:
    """An optimizer that starts from a given state and keeps the latest one.

    Training in chunks with it, and with one generator for the minibatch
    order, repeats an uninterrupted run exactly when each chunk is a whole
    number of epochs (``train`` starts every call with a new epoch).
    """

    def __init__(self, optimizer, state):
        self.optimizer, self.state = optimizer, state

    def init(self, params):
        return self.state

    def update(self, params, grads, state):
        params, self.state = self.optimizer.update(params, grads, state)
        return params, self.state


def _check_budgets(budgets, epoch: int) -> tuple:
    if isinstance(budgets, (str, bytes)) or not hasattr(budgets, "__iter__"):
        raise TypeError(f"budgets: expected a sequence of integers, got {type(budgets).__name__}")
    budgets = tuple(check_int("budgets", b) for b in budgets)
    if not budgets or any(b <= a for a, b in zip(budgets, budgets[1:])):
        raise ValueError(f"budgets: expected a non-empty increasing sequence of steps, got {budgets}")
    if any(b % epoch for b in budgets):
        raise ValueError(f"budgets: expected multiples of the {epoch} steps of an epoch, got {budgets}")
    return budgets


def _train_in_chunks(start, X, Y, budgets, *, rng, norms=None, **kwargs):
    """The parameters after each budget of one training run (None once it diverged).

    If ``norms`` is a list, the gradient norms before clipping of each chunk
    are appended to it (None for a chunk in which, or after which, training
    had diverged).
    """
    opt = _Resume(Adam(lr=kwargs.pop("lr")), None)
    opt.state = opt.optimizer.init(start)
    params, done, out = start, 0, []
    for budget in budgets:
        grad_norm = None
        if params is not None:
            try:
                params, history = train(params, X, Y, optimizer=opt, steps=budget - done, rng=rng, **kwargs)
                grad_norm = np.array(history.grad_norm)
            except FloatingPointError:  # rnnlib.Diverged
                params = None
        out.append(params)
        if norms is not None:
            norms.append(grad_norm)
        done = budget
    return out


def recall_run(delay: int, init: str, *, seed: int, budgets=(1000,), setup: RecallSetup = RecallSetup()) -> RecallRun:
    """Train one network on delayed recall and measure it after each budget.

    Parameters
    ----------
    delay : int
        Steps between reading a symbol and recalling it, >= 1.
    init : str
        One of :data:`INITS`.
    seed : int
        Fixes the data, the initial parameters and the minibatch order.
    budgets : sequence of int
        Increasing numbers of Adam steps, each a multiple of an epoch
        (``setup.N_train // setup.batch_size`` steps).
    setup : RecallSetup

    Returns
    -------
    RecallRun
    """
    delay = check_int("delay", delay)
    seed = check_int("seed", seed, minimum=0)
    if not isinstance(setup, RecallSetup):
        raise TypeError(f"setup: expected rnnlib.horizon.RecallSetup, got {type(setup).__name__}")
    epoch = setup.N_train // setup.batch_size
    budgets = _check_budgets(budgets, epoch)
    rng = np.random.default_rng([seed, delay])
    T, m, k = delay + setup.extra, setup.symbols, setup.symbols + 1
    X, Y = tasks.delayed_recall(setup.N_train, T, delay=delay, symbols=m, rng=rng)
    X_test, Y_test = tasks.delayed_recall(setup.N_test, T, delay=delay, symbols=m, rng=rng)
    start, f = initial_params(init, m, setup.n, k, rng=rng)
    norms = []
    checkpoints = _train_in_chunks(
        start, X, Y, budgets, rng=rng, norms=norms, lr=setup.lr, batch_size=setup.batch_size,
        loss="cross_entropy", f=f, clip_norm=setup.clip_norm,
    )
    accuracy = []
    for params in checkpoints:
        if params is None:
            accuracy.append(float("nan"))
            continue
        y = forward(params, X_test, f=f).y
        hit = y[:, delay:].argmax(-1) == Y_test[:, delay:].argmax(-1)
        accuracy.append(float(np.mean(hit)))
    return RecallRun(start, f, budgets, checkpoints, accuracy, X_test, Y_test, norms, setup.clip_norm)


def adding_run(T: int, *, seed: int, budgets=(500,), setup: AddingSetup = AddingSetup()):
    """Train one network on the adding problem; its error after each budget.

    Parameters
    ----------
    T : int
        Sequence length, >= 2; the first marked number lies in the first half.
    seed : int
    budgets : sequence of int
        Increasing numbers of Adam steps, each a multiple of an epoch.
    setup : AddingSetup

    Returns
    -------
    error : list of float
        Mean absolute error of the answer at the last step, on the test
        sequences, after each budget (NaN once training diverged).
    baseline : float
        The same error for always answering the training answers' mean.
    """
    T = check_int("T", T, minimum=2)
    seed = check_int("seed", seed, minimum=0)
    if not isinstance(setup, AddingSetup):
        raise TypeError(f"setup: expected rnnlib.horizon.AddingSetup, got {type(setup).__name__}")
    budgets = _check_budgets(budgets, setup.N_train // setup.batch_size)
    rng = np.random.default_rng([seed, T])
    X, Y = tasks.adding_problem(setup.N_train, T, rng=rng)
    X_test, Y_test = tasks.adding_problem(setup.N_test, T, rng=rng)
    start = init_params(2, setup.n, 1, rng=rng)
    checkpoints = _train_in_chunks(
        start, X, Y, budgets, rng=rng, lr=setup.lr, batch_size=setup.batch_size,
        g="identity", clip_norm=setup.clip_norm,
    )
    answer = Y_test[:, -1, 0]
    error = [
        float("nan") if p is None else float(np.mean(np.abs(forward(p, X_test, g="identity").y[:, -1, 0] - answer)))
        for p in checkpoints
    ]
    baseline = float(np.mean(np.abs(answer - Y[:, -1, 0].mean())))
    return error, baseline
