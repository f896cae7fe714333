"""The model of :mod:`rnnlib.charlm`: vocabulary, settings, training, evaluation and sampling.

The network reads a text one character at a time (one-hot, m = k = vocabulary
size) and at every step predicts the next character with a softmax output and
the cross-entropy cost.  The text is cut into N parallel streams; each
training step takes the next chunk of T characters of every stream, carries
the hidden state over from the previous chunk and backpropagates within the
chunk (truncated BPTT with k1 = k2 = T).  The gradient is clipped by its
global norm, then Adam or Adagrad updates the parameters.

The recurrent cell is the vanilla RNN (``Settings(cell="rnn")``, the
default) or the LSTM of :mod:`rnnlib.gated.lstm` (``cell="lstm"``), which carries
its cell state c beside h from chunk to chunk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._checks import _shape_str, as_finite_array, as_rng, check_choice, check_int, check_params, check_positive
from ..activations import log_softmax, softmax
from ..gated import lstm
from ..backprop import loss_grad_and_state
from ..forward_pass import forward
from ..optim import Adagrad, Adam, clip_by_global_norm
from ..params import Params, init_params
from ..tasks import one_hot

__all__ = [
    "CharLMError", "Diverged", "Vocabulary", "Settings", "TrainState", "streams", "start", "train", "evaluate", "sample",
]


CELLS = ("rnn", "lstm")  # the recurrent cells the model can use


class CharLMError(ValueError):
    """Bad input to the language model: a message meant for the user."""


class Diverged(CharLMError, FloatingPointError):
    """Training produced a non-finite loss, gradient or parameter.

    A FloatingPointError like :class:`rnnlib.train.Diverged`, and a
    :class:`CharLMError`, whose message the command line prints.

    Attributes
    ----------
    step : int
        The step (counted from 1) at which the first NaN or inf appeared.
    what : str
        Which quantity became non-finite, e.g. "the loss became nan".
    """

    def __init__(self, step: int, what: str):
        self.step, self.what = step, what
        super().__init__(f"{what} at step {step}: training diverged (a smaller learning rate may help)")


@dataclass(frozen=True)
class Vocabulary:
    """The characters of a text, sorted; character i is coded as the one-hot vector e_i."""

    chars: str

    def __post_init__(self):
        if not isinstance(self.chars, str):
            raise TypeError(f"chars: expected a str of characters, got {type(self.chars).__name__}")
        if not self.chars or list(self.chars) != sorted(set(self.chars)):
            raise ValueError(f"chars: expected distinct characters in sorted order, got {self.chars[:40]!r}")

    @classmethod
    def from_text(cls, text: str) -> "Vocabulary":
        if not text:
            raise CharLMError("the text is empty")
        return cls("".join(sorted(set(text))))

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """Indices of the characters of ``text``, an int array of shape (len(text),)."""
        lookup = {c: i for i, c in enumerate(self.chars)}
        unknown = sorted(set(text) - set(lookup))
        if unknown:
            raise CharLMError(f"characters not in the vocabulary: {''.join(unknown)!r}")
        # np.intp, the platform's index type: int64 indices cannot be cast to a 32-bit intp (Pyodide)
        return np.fromiter((lookup[c] for c in text), dtype=np.intp, count=len(text))

    def decode(self, indices) -> str:
        """The text of a 1-D array of codes in [0, size)."""
        codes = np.asarray(indices)
        if codes.shape == (0,):  # an empty list is float64 to numpy
            return ""
        if codes.dtype.kind not in "iu" or codes.ndim != 1:
            raise TypeError(f"indices: expected a 1-D array of integer codes, got {codes.ndim}-D {codes.dtype}")
        if codes.size and (codes.min() < 0 or codes.max() >= self.size):  # -1 would wrap to the last character
            raise ValueError(f"indices: expected codes in [0, {self.size - 1}], got [{codes.min()}, {codes.max()}]")
        return "".join(self.chars[i] for i in codes.tolist())

    def one_hot(self, indices) -> np.ndarray:
        """One-hot rows: shape indices.shape + (size,)."""
        return one_hot(indices, self.size)


@dataclass(frozen=True)
class Settings:
    """Training settings; each is stored in the checkpoint."""

    hidden: int = 128  # n, hidden units
    seq_length: int = 25  # T, characters per chunk (truncated BPTT length)
    batch: int = 16  # N, parallel streams
    optimizer: str = "adam"  # "adam" or "adagrad"
    lr: float = 2e-3  # learning rate
    clip: float = 5.0  # global gradient norm limit
    seed: int = 0  # initialisation
    cell: str = "rnn"  # "rnn" (the vanilla RNN) or "lstm" (rnnlib.gated.lstm)

    def __post_init__(self):
        check_int("hidden", self.hidden)
        check_int("seq_length", self.seq_length)
        check_int("batch", self.batch)
        check_choice("optimizer", self.optimizer, ("adam", "adagrad"))
        check_positive("lr", self.lr)
        check_positive("clip", self.clip)
        check_int("seed", self.seed, minimum=0)
        check_choice("cell", self.cell, CELLS)

    def make_optimizer(self):
        return Adam(lr=self.lr) if self.optimizer == "adam" else Adagrad(lr=self.lr)


@dataclass
class TrainState:
    """Everything needed to continue training exactly where it stopped."""

    params: Params
    vocab: Vocabulary
    settings: Settings
    opt_state: object  # AdamState or AdagradState (Adagrad's running sums)
    h: np.ndarray  # (N, n): the hidden state carried into the next chunk
    step: int = 0
    losses: list = field(default_factory=list)  # cost per character of every step so far
    extra: dict = field(default_factory=dict)  # name -> number: the command line's own records, saved alongside
    c: np.ndarray | None = None  # (N, n): the LSTM's cell state carried into the next chunk; None for the RNN


def _check_text(name, text):
    if not isinstance(text, str):
        raise TypeError(f"{name}: expected a str, got {type(text).__name__}")


def _check_model(params, vocab):
    """params: finite Params or LSTMParams with m = k = the vocabulary's size."""
    if not isinstance(params, lstm.LSTMParams):
        check_params(params)
    else:
        lstm._check_params(params)
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"vocab: expected rnnlib.charlm.Vocabulary, got {type(vocab).__name__}")
    if params.m != vocab.size or params.k != vocab.size:
        raise CharLMError(f"params: expected m = k = {vocab.size} (the vocabulary's size), "
                          f"got m = {params.m}, k = {params.k}")


def _check_train_state(state):
    """A TrainState whose parameters, carried state h and vocabulary agree."""
    if not isinstance(state, TrainState):
        raise TypeError(f"state: expected rnnlib.charlm.TrainState (from start or load), got {type(state).__name__}")
    if getattr(state.settings, "cell", "rnn") == "lstm":  # the settings' type is checked below
        lstm._check_params(state.params, "state.params")
    else:
        check_params(state.params, "state.params")
    if state.params.dtype != np.float64:  # the one-hot inputs are float64, and so is every gradient
        raise ValueError(f"state.params: expected float64 parameters (as start makes them), got {state.params.dtype}")
    if not isinstance(state.vocab, Vocabulary) or not isinstance(state.settings, Settings):
        raise TypeError("state: expected a Vocabulary in state.vocab and Settings in state.settings, got "
                        f"{type(state.vocab).__name__} and {type(state.settings).__name__}")
    V, n, N = state.vocab.size, state.settings.hidden, state.settings.batch
    if (state.params.m, state.params.n, state.params.k) != (V, n, V):
        raise ValueError(f"state.params: expected (m, n, k) = {(V, n, V)} from the vocabulary and settings, "
                         f"got {(state.params.m, state.params.n, state.params.k)}")
    as_finite_array("state.h", state.h, shape=(N, n), labels="(N, n)", why=" (settings.batch, settings.hidden)")
    if state.settings.cell == "lstm":
        as_finite_array("state.c", state.c, shape=(N, n), labels="(N, n)", why=" (settings.batch, settings.hidden)")
    elif state.c is not None:
        raise ValueError(f"state.c: expected None for the RNN (settings.cell 'rnn'), got {type(state.c).__name__}")


def streams(indices: np.ndarray, N: int, T: int) -> np.ndarray:
    """Cut a coded text into N contiguous streams of equal length.

    Returns
    -------
    ndarray of shape (N, L)
        Row i is the i-th N-th of the text; L = len(indices) // N, the rest is dropped.

    Raises
    ------
    CharLMError
        If a stream would be shorter than one chunk of T inputs plus its target.
    """
    N, T = check_int("N", N), check_int("T", T)
    indices = np.asarray(indices)
    if indices.dtype.kind not in "iu" or indices.ndim != 1:
        raise TypeError(f"indices: expected a 1-D array of integer codes, got {indices.ndim}-D {indices.dtype}")
    L = len(indices) // N
    if L < T + 1:
        raise CharLMError(f"indices: expected at least N (T + 1) = {N * (T + 1)} codes for {N} streams of {T} "
                          f"inputs plus one target, got {len(indices)}")
    return indices[: N * L].reshape(N, L)


def _check_length(text: str, N: int, T: int) -> None:
    """The text is long enough for one chunk of every stream (said in the command line's terms)."""
    if len(text) // N < T + 1:
        raise CharLMError(
            f"the text has {len(text)} characters, too few for one chunk: {N} streams of "
            f"{T} characters plus one target need at least {N * (T + 1)}; use a longer text or "
            f"smaller --batch / --seq-length"
        )


def start(text: str, settings: Settings) -> TrainState:
    """A fresh training state for ``text``."""
    _check_text("text", text)
    if not isinstance(settings, Settings):
        raise TypeError(f"settings: expected rnnlib.charlm.Settings, got {type(settings).__name__}")
    vocab = Vocabulary.from_text(text)
    _check_length(text, settings.batch, settings.seq_length)  # fail early if too short
    zeros = np.zeros((settings.batch, settings.hidden))
    if settings.cell == "lstm":
        params = lstm.init_params(vocab.size, settings.hidden, vocab.size, rng=settings.seed)
        opt_state = settings.make_optimizer().init(params)
        return TrainState(params, vocab, settings, opt_state, zeros, c=zeros.copy())
    params = init_params(vocab.size, settings.hidden, vocab.size, rng=settings.seed)
    opt_state = settings.make_optimizer().init(params)
    return TrainState(params, vocab, settings, opt_state, zeros)


def train(state: TrainState, text: str, steps: int, *, progress=None) -> TrainState:
    """Train for ``steps`` more steps on ``text``; returns the updated state.

    Each step: the next chunk of every stream, forward from the carried state,
    cross-entropy, BPTT within the chunk, clipping, one optimiser update.
    When the streams are used up, the next epoch starts over from h = 0
    (and, for the LSTM, c = 0).
    ``progress(step, loss)``, if given, is called after every step.

    Raises
    ------
    Diverged
        As soon as a step's loss, gradient or updated parameters are not finite.
    """
    _check_train_state(state)
    _check_text("text", text)
    steps = check_int("steps", steps, minimum=0)
    vocab, s = state.vocab, state.settings
    new = sorted(set(text) - set(vocab.chars))
    if new:
        raise CharLMError(f"the text does not fit the model's vocabulary: it has characters the model has never seen, {''.join(new)!r}")
    _check_length(text, s.batch, s.seq_length)
    data = streams(vocab.encode(text), s.batch, s.seq_length)
    chunks = (data.shape[1] - 1) // s.seq_length  # chunks per epoch
    optimizer = s.make_optimizer()
    if s.cell == "lstm":
        return _train_lstm(state, data, chunks, steps, optimizer, progress)
    params, opt_state, h = state.params, state.opt_state, state.h
    losses = list(state.losses)
    for step in range(state.step, state.step + steps):
        pos = (step % chunks) * s.seq_length
        if pos == 0:
            h = np.zeros_like(h)  # a new epoch starts from h_0 = 0
        X = vocab.one_hot(data[:, pos : pos + s.seq_length])
        Y = vocab.one_hot(data[:, pos + 1 : pos + s.seq_length + 1])  # next chars
        C, grads, h = loss_grad_and_state(
            params, X, Y, loss="cross_entropy", f="tanh", g="softmax", h0=h
        )
        if not all(np.isfinite(g).all() for g in grads):
            raise Diverged(step + 1, "the gradient became non-finite")
        grads, _ = clip_by_global_norm(grads, s.clip)
        params, opt_state = optimizer.update(params, grads, opt_state)
        losses.append(C / s.seq_length)  # nats per character
        if not math.isfinite(losses[-1]):
            raise Diverged(step + 1, f"the loss became {losses[-1]}")  # NaN or inf would only spread from here
        if not all(np.isfinite(a).all() for a in params):
            raise Diverged(step + 1, "the parameters became non-finite")
        if progress is not None:
            progress(step + 1, losses[-1])
    return TrainState(params, vocab, s, opt_state, h, state.step + steps, losses, dict(state.extra))


def _train_lstm(state: TrainState, data: np.ndarray, chunks: int, steps: int, optimizer, progress) -> TrainState:
    """The loop of :func:`train` for an LSTM: the cell state c is carried (and reset) beside h."""
    vocab, s = state.vocab, state.settings
    params, opt_state, h, c = state.params, state.opt_state, state.h, state.c
    losses = list(state.losses)
    for step in range(state.step, state.step + steps):
        pos = (step % chunks) * s.seq_length
        if pos == 0:
            h, c = np.zeros_like(h), np.zeros_like(c)  # a new epoch starts from h_0 = c_0 = 0
        X = vocab.one_hot(data[:, pos : pos + s.seq_length])
        Y = vocab.one_hot(data[:, pos + 1 : pos + s.seq_length + 1])  # next chars
        C, grads, h, c = lstm.loss_grad_and_state(params, X, Y, loss="cross_entropy", g="softmax", h0=h, c0=c)
        if not all(np.isfinite(g).all() for g in grads):
            raise Diverged(step + 1, "the gradient became non-finite")
        grads, _ = clip_by_global_norm(grads, s.clip)
        params, opt_state = optimizer.update(params, grads, opt_state)
        losses.append(C / s.seq_length)  # nats per character
        if not math.isfinite(losses[-1]):
            raise Diverged(step + 1, f"the loss became {losses[-1]}")
        if not all(np.isfinite(a).all() for a in params):
            raise Diverged(step + 1, "the parameters became non-finite")
        if progress is not None:
            progress(step + 1, losses[-1])
    return TrainState(params, vocab, s, opt_state, h, state.step + steps, losses, dict(state.extra), c)


def evaluate(params: Params, vocab: Vocabulary, text: str, *, chunk: int = 10_000) -> float:
    """Average cross-entropy per character of predicting each next character of ``text``.

    The network reads the text as one sequence from h_0 = 0 (and c_0 = 0 for
    an LSTM); perplexity is ``exp`` of the result.  A long text is read
    ``chunk`` characters at a time, the hidden state (and the LSTM's cell
    state) carried across, so that memory stays bounded; the result is the
    same up to the order of the summation.  ``params`` is
    :class:`rnnlib.Params` (the RNN) or :class:`rnnlib.gated.lstm.LSTMParams`.
    """
    chunk = check_int("chunk", chunk)
    _check_model(params, vocab)
    _check_text("text", text)
    if len(text) < 2:
        raise CharLMError("the text needs at least two characters: one to read and one to predict")
    codes = vocab.encode(text)
    total, h, c = 0.0, None, None
    for begin in range(0, len(codes) - 1, chunk):
        piece = codes[begin : begin + chunk + 1]  # inputs piece[:-1], targets piece[1:]
        if isinstance(params, lstm.LSTMParams):
            cache = lstm.forward(params, vocab.one_hot(piece[:-1]), g="softmax", h0=h, c0=c)
            log_probs = log_softmax(cache.u)  # (T, k); the LSTM calls the output pre-activation u_t
            c = cache.c[-1]
        else:
            cache = forward(params, vocab.one_hot(piece[:-1]), f="tanh", g="softmax", h0=h)
            log_probs = log_softmax(cache.o)  # (T, k)
        total += -np.sum(log_probs[np.arange(len(piece) - 1, dtype=np.intp), piece[1:]])
        h = cache.h[-1]
    return float(total / (len(codes) - 1))


def sample(params: Params, vocab: Vocabulary, *, length: int, temperature: float = 1.0, prime: str = "", rng=None) -> str:
    """Generate ``length`` characters, each drawn from softmax(o_t / temperature).

    The network first reads ``prime`` (if any); the first generated character
    is drawn from its prediction after the last character of the prime, or,
    without a prime, uniformly from the vocabulary.  Temperatures below 1
    sharpen the distribution (safer, more repetitive text), above 1 flatten it.
    ``params`` is :class:`rnnlib.Params` (the RNN) or
    :class:`rnnlib.gated.lstm.LSTMParams`, whose cell state is carried with h.
    """
    length = check_int("length", length, minimum=0)
    temperature = check_positive("temperature", temperature)
    rng = as_rng(rng)
    _check_model(params, vocab)
    _check_text("prime", prime)
    if isinstance(params, lstm.LSTMParams):
        return _sample_lstm(params, vocab, length, temperature, prime, rng)
    h = np.zeros(params.n)
    out = []
    if prime:
        cache = forward(params, vocab.one_hot(vocab.encode(prime)), g="softmax")
        h, o = cache.h[-1], cache.o[-1]
        probs = softmax(o / temperature)
    else:
        probs = np.full(vocab.size, 1.0 / vocab.size)
    for _ in range(length):
        i = rng.choice(vocab.size, p=probs)
        out.append(i)
        cache = forward(params, vocab.one_hot([i]), g="softmax", h0=h)
        h = cache.h[-1]
        probs = softmax(cache.o[-1] / temperature)
    return vocab.decode(out)


def _sample_lstm(params, vocab, length, temperature, prime, rng):
    """:func:`sample` for an LSTM: the same draws, with the cell state c carried beside h."""
    h = c = None
    out = []
    if prime:
        cache = lstm.forward(params, vocab.one_hot(vocab.encode(prime)), g="softmax")
        h, c = cache.h[-1], cache.c[-1]
        probs = softmax(cache.u[-1] / temperature)
    else:
        probs = np.full(vocab.size, 1.0 / vocab.size)
    for _ in range(length):
        i = rng.choice(vocab.size, p=probs)
        out.append(i)
        cache = lstm.forward(params, vocab.one_hot([i]), g="softmax", h0=h, c0=c)
        h, c = cache.h[-1], cache.c[-1]
        probs = softmax(cache.u[-1] / temperature)
    return vocab.decode(out)
