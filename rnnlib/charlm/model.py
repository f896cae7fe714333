"""A character-level language model: the classic min-char-rnn task, done with rnnlib.

The network reads a text one character at a time (one-hot, m = k = vocabulary
size) and at every step predicts the next character with a softmax output and
the cross-entropy cost.  The text is cut into N parallel streams; each
training step takes the next chunk of T characters of every stream, carries
the hidden state over from the previous chunk and backpropagates within the
chunk (truncated BPTT with k1 = k2 = T).  The gradient is clipped by its
global norm, then Adam or Adagrad updates the parameters.

Command line::

    python -m rnnlib.charlm train CORPUS.txt --out model.npz [--steps 2000] [...]
    python -m rnnlib.charlm train CORPUS.txt --resume model.npz --steps 1000
    python -m rnnlib.charlm sample model.npz [--length 400] [--temperature 0.8] [--seed 1]

Checkpoints are .npz files without pickle: parameters, vocabulary, optimiser
state, carried hidden state, step counter and settings.  Resuming continues
exactly where the checkpoint stopped.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from . import io as rio
from ._checks import as_rng, check_choice, check_int, check_positive
from .activations import log_softmax, softmax
from .backprop import loss_grad_and_state
from .forward_pass import forward
from .optim import Adagrad, Adam, AdamState, clip_by_global_norm
from .params import NAMES, Params, init_params

__all__ = [
    "CharLMError", "Vocabulary", "Settings", "TrainState", "streams", "start", "train", "evaluate", "sample", "save", "load",
    "main",
]


class CharLMError(ValueError):
    """Bad input to the language model: a message meant for the user."""


@dataclass(frozen=True)
class Vocabulary:
    """The characters of a text, sorted; character i is coded as the one-hot vector e_i."""

    chars: str

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
        return np.fromiter((lookup[c] for c in text), dtype=np.int64, count=len(text))

    def decode(self, indices) -> str:
        return "".join(self.chars[i] for i in indices)

    def one_hot(self, indices) -> np.ndarray:
        """One-hot rows: shape indices.shape + (size,)."""
        return np.eye(self.size)[np.asarray(indices)]


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

    def __post_init__(self):
        check_int("hidden", self.hidden)
        check_int("seq_length", self.seq_length)
        check_int("batch", self.batch)
        check_choice("optimizer", self.optimizer, ("adam", "adagrad"))
        check_positive("lr", self.lr)
        check_positive("clip", self.clip)
        check_int("seed", self.seed, minimum=0)

    def make_optimizer(self):
        return Adam(lr=self.lr) if self.optimizer == "adam" else Adagrad(lr=self.lr)


@dataclass
class TrainState:
    """Everything needed to continue training exactly where it stopped."""

    params: Params
    vocab: Vocabulary
    settings: Settings
    opt_state: object  # AdamState or Params (Adagrad's running sums)
    h: np.ndarray  # (N, n): the hidden state carried into the next chunk
    step: int = 0
    losses: list = field(default_factory=list)  # cost per character of every step so far


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
    L = len(indices) // N
    if L < T + 1:
        raise CharLMError(
            f"the text has {len(indices)} characters, too few for one chunk: {N} streams of "
            f"{T} characters plus one target need at least {N * (T + 1)}; use a longer text or "
            f"smaller --batch / --seq-length"
        )
    return indices[: N * L].reshape(N, L)


def start(text: str, settings: Settings) -> TrainState:
    """A fresh training state for ``text``."""
    vocab = Vocabulary.from_text(text)
    streams(vocab.encode(text), settings.batch, settings.seq_length)  # fail early if too short
    params = init_params(vocab.size, settings.hidden, vocab.size, rng=settings.seed)
    opt_state = settings.make_optimizer().init(params)
    return TrainState(params, vocab, settings, opt_state, np.zeros((settings.batch, settings.hidden)))


def train(state: TrainState, text: str, steps: int, *, progress=None) -> TrainState:
    """Train for ``steps`` more steps on ``text``; returns the updated state.

    Each step: the next chunk of every stream, forward from the carried state,
    cross-entropy, BPTT within the chunk, clipping, one optimiser update.
    When the streams are used up, the next epoch starts over from h = 0.
    """
    steps = check_int("steps", steps, minimum=0)
    vocab, s = state.vocab, state.settings
    new = sorted(set(text) - set(vocab.chars))
    if new:
        raise CharLMError(f"the text does not fit the model's vocabulary: it has characters the model has never seen, {''.join(new)!r}")
    data = streams(vocab.encode(text), s.batch, s.seq_length)
    chunks = (data.shape[1] - 1) // s.seq_length  # chunks per epoch
    optimizer = s.make_optimizer()
    params, opt_state, h = state.params, state.opt_state, state.h
    losses = list(state.losses)
    for step in range(state.step, state.step + steps):
        pos = (step % chunks) * s.seq_length
        if pos == 0:
            h = np.zeros_like(h)  # a new epoch starts from h_0 = 0
        X = vocab.one_hot(data[:, pos : pos + s.seq_length])
        Y = vocab.one_hot(data[:, pos + 1 : pos + s.seq_length + 1])  # the next character
        C, grads, h = loss_grad_and_state(params, X, Y, loss="cross_entropy", f="tanh", g="softmax", h0=h)
        grads, _ = clip_by_global_norm(grads, s.clip)
        params, opt_state = optimizer.update(params, grads, opt_state)
        losses.append(C / s.seq_length)  # nats per character
        if progress is not None:
            progress(step + 1, losses[-1])
    return TrainState(params, vocab, s, opt_state, h, state.step + steps, losses)


def evaluate(params: Params, vocab: Vocabulary, text: str) -> float:
    """Average cross-entropy per character of predicting each next character of ``text``.

    The network reads the text as one sequence from h_0 = 0; perplexity is
    ``exp`` of the result.
    """
    if len(text) < 2:
        raise CharLMError("the text needs at least two characters: one to read and one to predict")
    codes = vocab.encode(text)
    cache = forward(params, vocab.one_hot(codes[:-1]), f="tanh", g="softmax")
    log_probs = log_softmax(cache.o)  # (T, k)
    return float(-np.mean(log_probs[np.arange(len(codes) - 1), codes[1:]]))


def sample(params: Params, vocab: Vocabulary, *, length: int, temperature: float = 1.0, prime: str = "", rng=None) -> str:
    """Generate ``length`` characters, each drawn from softmax(o_t / temperature).

    The network first reads ``prime`` (if any); the first generated character
    is drawn from its prediction after the last character of the prime, or,
    without a prime, uniformly from the vocabulary.  Temperatures below 1
    sharpen the distribution (safer, more repetitive text), above 1 flatten it.
    """
    length = check_int("length", length, minimum=0)
    temperature = check_positive("temperature", temperature)
    rng = as_rng(rng)
    if params.m != vocab.size or params.k != vocab.size:
        raise CharLMError(f"the parameters expect {params.m} characters, the vocabulary has {vocab.size}")
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


# --- checkpoints ---------------------------------------------------------------


def _opt_arrays(opt_state) -> dict:
    if isinstance(opt_state, AdamState):
        arrays = {"adam_step": np.array(opt_state.step)}
        for prefix, p in (("adam_m", opt_state.m), ("adam_v", opt_state.v)):
            arrays.update({f"{prefix}_{name}": a for name, a in p.items()})
        return arrays
    return {f"adagrad_s_{name}": a for name, a in opt_state.items()}


def _opt_state(settings: Settings, arrays: dict):
    def params(prefix):
        return Params(*(arrays[f"{prefix}_{name}"] for name in NAMES))

    if settings.optimizer == "adam":
        return AdamState(int(arrays["adam_step"]), params("adam_m"), params("adam_v"))
    return params("adagrad_s")


def save(path, state: TrainState) -> None:
    """Write a checkpoint (.npz, no pickle); the file appears complete or not at all."""
    extra = {f"setting_{key}": np.array(value) for key, value in asdict(state.settings).items()}
    extra.update(_opt_arrays(state.opt_state))
    tmp = f"{os.fspath(path)}.tmp.npz"
    rio.save_params(
        tmp,
        state.params,
        vocab=np.array(list(state.vocab.chars)),
        h=state.h,
        step=np.array(state.step),
        losses=np.array(state.losses, dtype=np.float64),
        **extra,
    )
    os.replace(tmp, path)


def load(path) -> TrainState:
    """Read a checkpoint written by :func:`save`.

    Raises
    ------
    CharLMError
        If the file is missing, not an .npz, or not a complete checkpoint.
    """
    try:
        params, extra = rio.load_params(path, with_extra=True)
        settings = Settings(
            **{
                key: type(default)(extra[f"setting_{key}"].item())
                for key, default in asdict(Settings()).items()
            }
        )
        vocab = Vocabulary("".join(extra["vocab"].tolist()))
        state = TrainState(
            params,
            vocab,
            settings,
            _opt_state(settings, extra),
            extra["h"],
            int(extra["step"]),
            extra["losses"].tolist(),
        )
    except FileNotFoundError:
        raise CharLMError(f"checkpoint {os.fspath(path)!r} does not exist") from None
    except (KeyError, ValueError, TypeError) as exc:
        raise CharLMError(f"{os.fspath(path)!r} is not a valid checkpoint ({exc})") from None
    if params.m != vocab.size or params.k != vocab.size or state.h.shape != (settings.batch, settings.hidden):
        raise CharLMError(f"{os.fspath(path)!r} is not a valid checkpoint (its arrays do not fit together)")
    return state


# --- command line ----------------------------------------------------------------


def read_corpus(path) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise CharLMError(f"corpus {os.fspath(path)!r} does not exist") from None
    except IsADirectoryError:
        raise CharLMError(f"corpus {os.fspath(path)!r} is a directory, not a text file") from None
    except UnicodeDecodeError as exc:
        raise CharLMError(f"corpus {os.fspath(path)!r} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text:
        raise CharLMError(f"corpus {os.fspath(path)!r} is empty")
    return text


class Progress:
    """A one-line progress bar with the running loss, on stderr."""

    def __init__(self, total: int, start: int, stream=None, every: int = 50):
        self.total, self.start, self.stream, self.every = total, start, stream or sys.stderr, every
        self.began = time.perf_counter()
        self.running = None
        self.interactive = getattr(self.stream, "isatty", lambda: False)()

    def __call__(self, step: int, loss: float) -> None:
        self.running = loss if self.running is None else 0.98 * self.running + 0.02 * loss  # smoothed
        done = step - self.start
        if not (self.interactive or done % self.every == 0 or step == self.total):
            return
        width = 24
        filled = int(width * done / max(1, self.total - self.start))
        rate = done / max(1e-9, time.perf_counter() - self.began)
        line = (
            f"step {step:>6d}/{self.total} [{'#' * filled}{'.' * (width - filled)}] "
            f"loss {self.running:.3f} nats/char (perplexity {math.exp(self.running):.2f}), {rate:.0f} steps/s"
        )
        self.stream.write(("\r" + line) if self.interactive else line + "\n")
        if self.interactive and step == self.total:
            self.stream.write("\n")
        self.stream.flush()


def _cmd_train(args) -> int:
    text = read_corpus(args.corpus)
    if args.resume:
        state = load(args.resume)
    else:
        settings = Settings(
            hidden=args.hidden, seq_length=args.seq_length, batch=args.batch, optimizer=args.optimizer,
            lr=args.lr, clip=args.clip, seed=args.seed,
        )
        state = start(text, settings)
    out = args.out or args.resume
    total = state.step + args.steps
    progress = Progress(total, state.step, every=args.every)
    remaining = args.steps
    while remaining > 0:  # train and save in blocks, so that an interruption loses little
        block = min(args.every, remaining)
        state = train(state, text, block, progress=progress)
        save(out, state)
        remaining -= block
    print(f"saved {out} after step {state.step}; last loss {state.losses[-1]:.3f} nats/char")
    return 0


def _cmd_sample(args) -> int:
    state = load(args.checkpoint)
    try:
        state.vocab.encode(args.prime)
    except CharLMError as exc:
        raise CharLMError(f"--prime: {exc}") from None
    text = sample(state.params, state.vocab, length=args.length, temperature=args.temperature, prime=args.prime, rng=args.seed)
    print(args.prime + text)
    return 0


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if not (math.isfinite(number) and number > 0):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {value}")
    return number


def _int_at_least(minimum: int):
    def convert(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {value!r}") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {number}")
        return number

    return convert


_positive_int, _nonnegative_int = _int_at_least(1), _int_at_least(0)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rnnlib.charlm", description="A character-level RNN language model.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train on a UTF-8 text file, or resume from a checkpoint")
    t.add_argument("corpus", help="a UTF-8 text file")
    t.add_argument("--out", help="checkpoint to write (default: the --resume file, else model.npz)")
    t.add_argument("--resume", help="continue from this checkpoint (its settings are kept)")
    t.add_argument("--steps", type=_positive_int, default=1000, help="training steps to run (default 1000)")
    t.add_argument("--every", type=_positive_int, default=100, help="save and report every this many steps")
    defaults = Settings()
    t.add_argument("--hidden", type=_positive_int, default=defaults.hidden, help="hidden units n")
    t.add_argument("--seq-length", type=_positive_int, default=defaults.seq_length, help="characters per chunk T")
    t.add_argument("--batch", type=_positive_int, default=defaults.batch, help="parallel streams N")
    t.add_argument("--optimizer", choices=("adam", "adagrad"), default=defaults.optimizer)
    t.add_argument("--lr", type=_positive_float, default=defaults.lr, help="learning rate")
    t.add_argument("--clip", type=_positive_float, default=defaults.clip, help="global gradient norm limit")
    t.add_argument("--seed", type=_nonnegative_int, default=defaults.seed, help="seed of the initial parameters")
    s = sub.add_parser("sample", help="generate text from a checkpoint")
    s.add_argument("checkpoint")
    s.add_argument("--length", type=_positive_int, default=400, help="characters to generate")
    s.add_argument("--temperature", type=_positive_float, default=1.0, help="> 0; below 1 is more conservative")
    s.add_argument("--prime", default="", help="text the network reads before generating")
    s.add_argument("--seed", type=_nonnegative_int, default=0, help="seed of the sampling")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "train":
            if args.out is None and args.resume is None:
                args.out = "model.npz"
            return _cmd_train(args)
        return _cmd_sample(args)
    except CharLMError as exc:
        print(f"python -m rnnlib.charlm {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the last checkpoint written is complete", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
