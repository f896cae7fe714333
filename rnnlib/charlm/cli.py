"""The command line of :mod:`rnnlib.charlm`: train, evaluate and sample.

::

    python -m rnnlib.charlm train CORPUS.txt --out model.npz [--steps 2000] [--val-fraction 0.1] [...]
    python -m rnnlib.charlm train CORPUS.txt --cell lstm --hidden 58 --out lstm.npz [...]
    python -m rnnlib.charlm train CORPUS.txt --resume model.npz --steps 1000 [--lr 1e-3]
    python -m rnnlib.charlm evaluate model.npz TEXT.txt
    python -m rnnlib.charlm sample model.npz [--length 400] [--temperature 0.8] [--prime "The "] [--seed 1]

Training holds out the end of the corpus (``--val-fraction``) and measures
the cost per character on it every ``--eval-every`` steps; the best model so
far is kept in ``<out>.best.npz`` beside the latest one, and ``--patience``
stops training after that many evaluations without a new best.  Every error
a user can cause ends in one line on stderr and exit status 1; Ctrl-C ends
with status 130 and says which checkpoint exists.  ``--cell lstm`` trains an
LSTM (:mod:`rnnlib.gated.lstm`) in place of the vanilla RNN; the checkpoint
records the cell, so evaluate, sample and --resume read it from there.  The progress bar needs the
optional dependency tqdm (``pip install 'rnnlib[cli]'``); only this module
imports it.
"""

from __future__ import annotations

import argparse
import math
import numbers
import os
import shutil
import sys
import textwrap
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from .._checks import as_float_array
from .checkpoint import load, save
from .model import CELLS, CharLMError, Diverged, Settings, TrainState, evaluate, sample, start, train

try:
    from tqdm import tqdm

    # tqdm's monitor thread only tunes how often slow bars redraw; the bar here
    # sets its own interval, and where threads cannot start (Pyodide) the
    # monitor would only warn.
    tqdm.monitor_interval = 0
except ImportError:  # the optional extra "cli"; training says so in one line
    tqdm = None

__all__ = ["main", "parser", "read_text", "Schedule", "perplexity_text", "smoothed_loss"]

PROG = "python -m rnnlib.charlm"
MODEL_DEFINING = ("cell", "hidden", "seq_length", "batch", "optimizer", "seed")  # fixed by a checkpoint
SMOOTHING = 0.98  # the displayed loss is an exponential moving average over about 50 steps
DEFAULT_LR = {"adam": 2e-3, "adagrad": 0.1}  # Adagrad at Adam's 2e-3 barely moves; 0.1 is min-char-rnn's
WARN_MARGIN = 0.1  # nats per character above log V before the loss counts as worse than uniform


@dataclass(frozen=True)
class Schedule:
    """How a training run measures and saves; stored in the checkpoint, overridable on resume."""

    val_fraction: float = 0.1  # the end of the corpus held out for validation (0: none)
    eval_every: int = 200  # steps between validations
    save_every: int = 100  # steps between saves of the latest checkpoint
    patience: int = 5  # evaluations without a new best before stopping early (0: never)

    @classmethod
    def from_records(cls, records: dict) -> "Schedule":
        saved = {f.name: type(f.default)(records[f.name]) for f in fields(cls) if f.name in records}
        return cls(**saved)


# --- what the user reads -------------------------------------------------------


def perplexity_text(loss: float) -> str:
    """exp(loss) formatted for a person, for any loss: no overflow, never hundreds of digits."""
    if isinstance(loss, (bool, np.bool_)) or not isinstance(loss, numbers.Real):
        raise TypeError(f"loss: expected a number, got {type(loss).__name__} {loss!r:.40}")
    loss = float(loss)
    if math.isnan(loss):
        return "nan"
    if loss > 709.0:  # exp overflows a float64 just above 709.78
        return f"e^{loss:.0f}" if loss < 1e6 else f"e^{loss:.2e}"
    value = math.exp(loss)
    return f"{value:.2f}" if value < 1e5 else f"{value:.2e}"


def _nats(loss: float) -> str:
    return f"{loss:.3f}" if abs(loss) < 1e4 else f"{loss:.3g}"


def smoothed_loss(losses, previous: float | None = None) -> float | None:
    """Exponential moving average (factor 0.98) of ``losses``, continuing from ``previous``.

    ``losses`` is a sequence of numbers (shape (L,)); NaN or inf (a diverged
    step) passes into the average, which the display then shows as such.
    """
    values = as_float_array("losses", losses)
    if values.ndim != 1:
        raise ValueError(f"losses: expected a 1-D sequence of shape (L,), got shape {values.shape}")
    if previous is not None and (isinstance(previous, (bool, np.bool_)) or not isinstance(previous, numbers.Real)):
        raise TypeError(f"previous: expected a number or None, got {type(previous).__name__}")
    running = previous
    for loss in values.tolist():
        running = loss if running is None else SMOOTHING * running + (1 - SMOOTHING) * loss
    return running


def _columns() -> int:
    return max(40, shutil.get_terminal_size((80, 24)).columns)


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=_columns(), subsequent_indent="  ", break_on_hyphens=False)


class Display:
    """The progress bar (tqdm): steps, steps/s, ETA, smoothed loss and perplexity.

    It fits the terminal's width, redraws at most four times a second, and
    is off when stderr is not a terminal (a log file gets the report lines only).
    """

    def __init__(self, state: TrainState, end: int):
        self.smoothed = smoothed_loss(state.losses)
        self.step = state.step  # the last step completed, also in the middle of a block
        self.log_V = math.log(state.vocab.size)
        self.warned = False
        self.bar = tqdm(
            total=end, initial=state.step, file=sys.stderr, dynamic_ncols=True, mininterval=0.25, disable=None,
            unit=" steps", bar_format="{n_fmt}/{total_fmt} |{bar}| {rate_fmt}, eta {remaining}{postfix}",
        )

    def say(self, text: str) -> None:
        tqdm.write(_wrap(text), file=sys.stderr)

    def __call__(self, step: int, loss: float) -> None:
        self.step = step
        self.smoothed = smoothed_loss([loss], self.smoothed)
        if self.smoothed > self.log_V + WARN_MARGIN and not self.warned:
            self.warned = True
            self.say(
                f"warning: at step {step} the loss, {_nats(self.smoothed)} nats/char, is above log V = "
                f"{self.log_V:.3f}: worse than guessing uniformly; a smaller --lr may help"
            )
        elif self.smoothed < self.log_V:
            self.warned = False
        self.bar.set_postfix_str(f"loss {_nats(self.smoothed)}, ppl {perplexity_text(self.smoothed)}", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def _say(text: str) -> None:
    print(_wrap(text), file=sys.stderr)


# --- reading files -------------------------------------------------------------


def read_text(path, what: str = "corpus") -> str:
    """The content of a UTF-8 text file; CharLMError naming ``what`` and the file otherwise."""
    if not isinstance(path, (str, os.PathLike)):  # an int would be read as an open file descriptor
        raise TypeError(f"path: expected a str or os.PathLike file name, got {type(path).__name__}")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise CharLMError(f"{what} {os.fspath(path)!r} does not exist") from None
    except IsADirectoryError:
        raise CharLMError(f"{what} {os.fspath(path)!r} is a directory, not a text file") from None
    except UnicodeDecodeError as exc:
        raise CharLMError(f"{what} {os.fspath(path)!r} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text:
        raise CharLMError(f"{what} {os.fspath(path)!r} is empty")
    return text


def _fits_vocabulary(state: TrainState, text: str, what: str) -> None:
    new = sorted(set(text) - set(state.vocab.chars))
    if new:
        raise CharLMError(
            f"{what} does not fit the model's vocabulary: it has characters the model has never seen, {''.join(new)!r}"
        )


# --- train ----------------------------------------------------------------------


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _best_path(out: str) -> str:
    root = out[: -len(".npz")] if out.endswith(".npz") else out
    return root + ".best.npz"


def _setup(args, given: set) -> tuple[TrainState, Schedule, list]:
    """The state to train and its schedule: a new model, or a checkpoint with the command line's overrides."""
    if not args.resume:
        values = {f.name: getattr(args, f.name) for f in fields(Settings)}
        if values["lr"] is None:
            values["lr"] = DEFAULT_LR[values["optimizer"]]
        settings = Settings(**values)
        return start(args.text, settings), Schedule(**{f.name: getattr(args, f.name) for f in fields(Schedule)}), []
    state = load(args.resume)
    for name in MODEL_DEFINING:
        saved = getattr(state.settings, name)
        if name in given and getattr(args, name) != saved:
            raise CharLMError(
                f"{_flag(name)} {getattr(args, name)} contradicts the checkpoint {args.resume!r} ({name} {saved}); "
                f"a resumed model keeps its cell, hidden size, vocabulary, sequence length, batch, optimizer and seed"
            )
    _fits_vocabulary(state, args.text, f"corpus {args.corpus!r}")
    schedule, overridden = Schedule.from_records(state.extra), []
    for name in ("lr", "clip"):
        old, new = getattr(state.settings, name), getattr(args, name)
        if name in given and new != old:
            state = replace(state, settings=replace(state.settings, **{name: new}))
            overridden.append(f"{_flag(name)} {old:g} -> {new:g}")
    for f in fields(Schedule):
        old, new = getattr(schedule, f.name), getattr(args, f.name)
        if f.name in given and new != old:
            schedule = replace(schedule, **{f.name: new})
            overridden.append(f"{_flag(f.name)} {old:g} -> {new:g}")
    return state, schedule, overridden


def _split(text: str, fraction: float) -> tuple[str, str]:
    held = int(round(fraction * len(text)))
    if fraction > 0 and held < 2:
        raise CharLMError(
            f"--val-fraction {fraction:g} holds out {held} of {len(text)} characters; validation needs at least 2 "
            f"(use a larger fraction, or 0 for no validation)"
        )
    return text[: len(text) - held], text[len(text) - held :]


def _header(args, state: TrainState, schedule: Schedule, overridden: list, n_train: int, n_val: int) -> None:
    s = state.settings
    cell = "LSTM, " if s.cell == "lstm" else ""  # the RNN's header reads as before the LSTM existed
    model = f"{cell}{state.vocab.size} characters, n = {s.hidden}, T = {s.seq_length}, N = {s.batch}, {s.optimizer}"
    if args.resume:
        _say(f"resuming {args.resume} at step {state.step}: {model}")
        _say("overridden: " + ", ".join(overridden) if overridden else "settings as saved in the checkpoint")
    else:
        _say(f"new model: {model}")
        if os.path.exists(args.out):
            _say(f"note: {args.out} exists and will be replaced; --resume {args.out} would continue it")
    _say(f"lr {s.lr:g}, clip {s.clip:g}; saving {args.out} every {schedule.save_every} steps")
    if n_val:
        stop = "no early stopping"
        if schedule.patience:
            stop = f"stop after {schedule.patience} evaluations without a new best"
        _say(
            f"text: {n_train:,} characters for training, the last {n_val:,} for validation every "
            f"{schedule.eval_every} steps (best kept in {_best_path(args.out)}; {stop})"
        )
    else:
        _say(f"text: {n_train:,} characters for training, no validation")


def _signature(path: str):
    """What identifies the file now at ``path`` (a save replaces it with a new file), or None."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


def _where(args, before: dict) -> str:
    """Which checkpoints exist, read from the files themselves and compared with the start of the run."""
    parts = []
    for path, signature in before.items():
        now = _signature(path)
        if now is None:
            continue
        try:
            step = load(path).step
        except CharLMError:
            continue
        if now != signature:
            parts.append(f"{path} holds step {step}")
        elif path == args.resume:
            parts.append(f"{path} is unchanged (step {step})")
        else:
            parts.append(f"{path} is from before this run, untouched (step {step})")
    if not any("holds step" in part for part in parts):
        parts.insert(0, "no checkpoint written in this run" if parts else "no checkpoint was written")
    return "; ".join(parts)


def _check_writable(out: str) -> None:
    folder = os.path.dirname(os.path.abspath(out))
    if os.path.isdir(out):
        raise CharLMError(f"--out {out!r} is a directory; give a file name such as model.npz")
    if not os.path.isdir(folder):
        raise CharLMError(f"--out {out!r}: the folder {folder!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise CharLMError(f"--out {out!r}: the folder {folder!r} is not writable")


def _save(path: str, state: TrainState) -> None:
    try:
        save(path, state)
    except OSError as exc:
        raise CharLMError(f"cannot write the checkpoint {path!r} ({exc.strerror or exc})") from None


def _cmd_train(args, given: set) -> int:
    if tqdm is None:
        raise CharLMError("the progress bar needs tqdm: pip install 'rnnlib[cli]' (or pip install tqdm)")
    args.text = read_text(args.corpus)
    args.out = args.out or args.resume or "model.npz"
    _check_writable(args.out)
    state, schedule, overridden = _setup(args, given)
    train_text, val_text = _split(args.text, schedule.val_fraction)
    state.extra.update(asdict(schedule))
    _header(args, state, schedule, overridden, len(train_text), len(val_text))
    end, reason = state.step + args.steps, None
    before = {path: _signature(path) for path in dict.fromkeys((args.out, _best_path(args.out), args.resume)) if path}
    last_val = None
    display = Display(state, end)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # Diverged reports NaN and inf
            while state.step < end and reason is None:
                nxt = min(end, (state.step // schedule.save_every + 1) * schedule.save_every)
                if val_text:
                    nxt = min(nxt, (state.step // schedule.eval_every + 1) * schedule.eval_every)
                state = train(state, train_text, nxt - state.step, progress=display)
                if val_text and (state.step % schedule.eval_every == 0 or state.step == end):
                    last_val, reason = _validate(state, val_text, schedule, args, display)
                _save(args.out, state)
    except Diverged as exc:
        display.close()
        raise CharLMError(f"{exc}; {_where(args, before)}") from None
    except KeyboardInterrupt:
        display.close()
        print(f"interrupted after step {display.step}: {_where(args, before)}", file=sys.stderr)
        return 130
    display.close()
    if reason:
        _say(reason)
    train_loss = smoothed_loss(state.losses)
    _say(f"saved {args.out} at step {state.step}; training loss {_nats(train_loss)} nats/char "
         f"(smoothed), perplexity {perplexity_text(train_loss)}")
    if last_val is not None:
        best, where = state.extra["best_val"], _best_path(args.out)
        where = f", in {where}" if os.path.exists(where) else ""
        _say(f"validation loss {_nats(last_val)} nats/char, perplexity {perplexity_text(last_val)}; best "
             f"{_nats(best)} at step {int(state.extra['best_step'])}{where}")
    return 0


def _validate(state, val_text, schedule, args, display):
    """Measure the validation loss; keep the best checkpoint; say whether patience ran out.

    The extra evaluation at the end of a run (off the --eval-every grid) may
    give a new best but does not count against the patience, so that a run cut
    in two behaves like one.
    """
    loss = evaluate(state.params, state.vocab, val_text)
    best = state.extra.get("best_val", math.inf)
    if loss < best:
        state.extra.update(best_val=loss, best_step=state.step, bad_evals=0)
        _save(_best_path(args.out), state)
        note = "new best"
    else:
        if state.step % schedule.eval_every == 0:
            state.extra["bad_evals"] = state.extra.get("bad_evals", 0) + 1
        note = f"best {_nats(best)} at step {int(state.extra['best_step'])}"
    display.say(f"step {state.step}: validation loss {_nats(loss)} nats/char, perplexity {perplexity_text(loss)} "
                f"({note})")
    if schedule.patience and state.extra.get("bad_evals", 0) >= schedule.patience:
        return loss, (f"stopped early at step {state.step}: {schedule.patience} evaluations without a new best "
                      f"validation loss")
    return loss, None


# --- evaluate and sample -----------------------------------------------------------


def _cmd_evaluate(args, given: set) -> int:
    state = load(args.checkpoint)
    text = read_text(args.text, what="text")
    _fits_vocabulary(state, text, f"text {args.text!r}")
    loss = evaluate(state.params, state.vocab, text)
    print(f"{args.checkpoint} (step {state.step}) on {args.text}, {len(text):,} characters:")
    print(f"loss {_nats(loss)} nats/char, perplexity {perplexity_text(loss)} "
          f"(uniform guessing: {math.log(state.vocab.size):.3f}, perplexity {state.vocab.size})")
    return 0


def _cmd_sample(args, given: set) -> int:
    state = load(args.checkpoint)
    unknown = sorted(set(args.prime) - set(state.vocab.chars))
    if unknown:
        raise CharLMError(f"--prime: characters not in the vocabulary: {''.join(unknown)!r}")
    text = sample(
        state.params, state.vocab, length=args.length, temperature=args.temperature, prime=args.prime, rng=args.seed
    )
    print(args.prime + text)
    return 0


# --- arguments ----------------------------------------------------------------------


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if not (math.isfinite(number) and number > 0):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {value}")
    return number


def _fraction(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if not 0 <= number < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 0 and < 1, got {value}")
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


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Every default shown once: "(default: ...)" is added unless the help text already gives it."""

    def _get_help_string(self, action):
        if action.default in (None, argparse.SUPPRESS) or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def parser(*, suppress_defaults: bool = False) -> argparse.ArgumentParser:
    """The argument parser; with ``suppress_defaults`` only the flags actually given appear in the result."""

    def default(value):
        return argparse.SUPPRESS if suppress_defaults else value

    p = argparse.ArgumentParser(prog=PROG, description="A character-level RNN language model.", formatter_class=_Help)
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train on a UTF-8 text, or resume from a checkpoint", formatter_class=_Help,
                       description="Train on a UTF-8 text, holding out its end for validation. With --resume, the "
                       "model (cell, hidden size, vocabulary, sequence length, batch, optimizer, seed) comes from the "
                       "checkpoint; training settings given here override the saved ones.")
    t.add_argument("corpus", help="a UTF-8 text file")
    t.add_argument("--out", default=default(None), metavar="FILE",
                   help="checkpoint to write (default: the --resume file, else model.npz)")
    t.add_argument("--resume", default=default(None), metavar="FILE", help="continue exactly from this checkpoint")
    t.add_argument("--steps", type=_positive_int, default=default(1000), metavar="N", help="training steps to run")
    settings, schedule = Settings(), Schedule()
    t.add_argument("--lr", type=_positive_float, default=default(None), metavar="LR",
                   help=f"learning rate (default: {DEFAULT_LR['adam']:g} with adam, {DEFAULT_LR['adagrad']:g} with "
                   f"adagrad as in min-char-rnn)")
    t.add_argument("--clip", type=_positive_float, default=default(settings.clip), metavar="NORM", help="global gradient norm limit")
    t.add_argument("--val-fraction", type=_fraction, default=default(schedule.val_fraction), metavar="F",
                   help="the end of the text held out for validation; 0 for none")
    t.add_argument("--eval-every", type=_positive_int, default=default(schedule.eval_every), metavar="N",
                   help="steps between validations")
    t.add_argument("--save-every", type=_positive_int, default=default(schedule.save_every), metavar="N",
                   help="steps between saves of the latest checkpoint")
    t.add_argument("--patience", type=_nonnegative_int, default=default(schedule.patience), metavar="N",
                   help="evaluations without a new best before stopping; 0 never stops early")
    m = t.add_argument_group("the model (fixed by the checkpoint when resuming)")
    m.add_argument("--cell", choices=CELLS, default=default(settings.cell),
                   help="recurrent cell: the vanilla RNN or an LSTM (rnnlib.gated.lstm); an LSTM has about 4 times the "
                   "parameters of an RNN of the same --hidden")
    m.add_argument("--hidden", type=_positive_int, default=default(settings.hidden), metavar="n", help="hidden units n")
    m.add_argument("--seq-length", type=_positive_int, default=default(settings.seq_length), metavar="T",
                   help="characters per chunk T")
    m.add_argument("--batch", type=_positive_int, default=default(settings.batch), metavar="N", help="parallel streams N")
    m.add_argument("--optimizer", choices=("adam", "adagrad"), default=default(settings.optimizer), help="optimizer")
    m.add_argument("--seed", type=_nonnegative_int, default=default(settings.seed), metavar="SEED",
                   help="seed of the initial parameters")
    e = sub.add_parser("evaluate", help="loss and perplexity of a checkpoint on a text", formatter_class=_Help)
    e.add_argument("checkpoint", help="a checkpoint written by train")
    e.add_argument("text", help="a UTF-8 text file")
    s = sub.add_parser("sample", help="generate text from a checkpoint", formatter_class=_Help)
    s.add_argument("checkpoint", help="a checkpoint written by train")
    s.add_argument("--length", type=_positive_int, default=default(400), metavar="N", help="characters to generate")
    s.add_argument("--temperature", type=_positive_float, default=default(1.0), metavar="TAU",
                   help="> 0; below 1 is more conservative, above 1 more adventurous")
    s.add_argument("--prime", default=default(""), metavar="TEXT", help="text the network reads before generating (default: none)")
    s.add_argument("--seed", type=_nonnegative_int, default=default(0), metavar="SEED", help="seed of the sampling")
    return p


def main(argv=None) -> int:
    """Run the command line; returns the exit status (0, 1 for an error, 130 for Ctrl-C)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    given = set(vars(parser(suppress_defaults=True).parse_args(argv)))
    command = {"train": _cmd_train, "evaluate": _cmd_evaluate, "sample": _cmd_sample}[args.command]
    try:
        return command(args, given)
    except CharLMError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # train handles its own; here nothing has been written
        print(f"{PROG} {args.command}: interrupted; nothing was written", file=sys.stderr)
        return 130
