"""Checkpoints of :mod:`rnnlib.charlm`: one .npz file (no pickle) holding a whole training state.

A checkpoint stores the parameters, the vocabulary, the optimiser's state,
the hidden state carried into the next chunk, the step counter, the cost of
every step so far, the settings, and the command line's own records
(``TrainState.extra``).  Loading checks everything a later step relies on, so
a damaged file is refused with one sentence instead of failing later.

An LSTM's checkpoint holds the fourteen arrays of
:class:`rnnlib.gated.lstm.LSTMParams` in place of the RNN's five, and its cell
state ``c`` beside ``h``; the setting ``cell`` says which.  A file without
that setting (written before the LSTM existed) is an RNN's.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import asdict, fields

import numpy as np

from .. import io as rio
from ..gated import lstm
from .._checks import check_finite, npz_path
from ..optim import AdagradState, AdamState
from ..params import NAMES, Params
from .model import CELLS, CharLMError, Settings, TrainState, Vocabulary, _check_train_state

__all__ = ["save", "load"]


def _opt_arrays(opt_state) -> dict:
    if isinstance(opt_state, AdamState):
        arrays = {"adam_step": np.array(opt_state.step, dtype=np.int64)}
        for prefix, p in (("adam_m", opt_state.m), ("adam_v", opt_state.v)):
            arrays.update({f"{prefix}_{name}": a for name, a in p.items()})
        return arrays
    return {f"adagrad_s_{name}": a for name, a in opt_state.s.items()}


def _opt_state(settings: Settings, arrays: dict):
    kind, names = (lstm.LSTMParams, lstm.NAMES) if settings.cell == "lstm" else (Params, NAMES)

    def params(prefix):
        try:
            return kind(*(arrays[f"{prefix}_{name}"] for name in names))
        except ValueError as exc:  # "W_xo: expected shape ...": name the array as stored
            raise ValueError(f"{prefix}_{exc}") from None

    if settings.optimizer == "adam":
        return AdamState(int(arrays["adam_step"]), params("adam_m"), params("adam_v"))
    return AdagradState(params("adagrad_s"))


def save(path, state: TrainState) -> None:
    """Write a checkpoint (.npz, no pickle); the file appears complete or not at all.

    The arrays go to a temporary file first, which then replaces ``path`` in
    one operation; an interruption (Ctrl-C) leaves ``path`` as it was.
    Like :func:`rnnlib.save_params`, it appends .npz to a ``path`` without
    it, so that ``load(path)`` finds the file.
    """
    path = npz_path("path", path)
    _check_train_state(state)
    extra = {f"setting_{key}": np.array(value) for key, value in asdict(state.settings).items()}
    extra.update(_opt_arrays(state.opt_state))
    extra.update({f"extra_{key}": np.array(value, dtype=np.float64) for key, value in state.extra.items()})
    tmp = f"{os.fspath(path)}.tmp.npz"
    try:
        if state.settings.cell == "lstm":  # rnnlib.io writes the RNN's Params only
            np.savez(
                tmp,
                **dict(state.params.items()),
                vocab=np.array(list(state.vocab.chars)),
                h=state.h,
                c=state.c,
                step=np.array(state.step, dtype=np.int64),
                losses=np.array(state.losses, dtype=np.float64),
                **extra,
            )
        else:
            rio.save_params(
                tmp,
                state.params,
                vocab=np.array(list(state.vocab.chars)),
                h=state.h,
                step=np.array(state.step, dtype=np.int64),
                losses=np.array(state.losses, dtype=np.float64),
                **extra,
            )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _setting(extra: dict, name: str, default):
    value = extra[f"setting_{name}"]
    if value.shape != ():
        raise ValueError(f"setting_{name} has shape {value.shape}, expected a single value")
    value = value.item()
    kind = type(default)
    if kind is float and isinstance(value, int):
        value = float(value)
    if type(value) is not kind:
        raise ValueError(f"setting_{name} is {value!r}, expected a {kind.__name__}")
    return value


def _arrays(path) -> dict:
    """Every array of the .npz file at ``path``, with rnnlib.io's errors for a missing or unreadable file."""
    path = npz_path("path", path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"path: no such file: {path!r}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"path: {path!r} is not a readable .npz file (not a zip archive)")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ValueError(f"path: {path!r} is not a readable .npz file ({exc})") from None


def _read_lstm(path) -> tuple:
    """The LSTMParams and the other arrays of an LSTM's checkpoint."""
    extra = _arrays(path)
    params = lstm.LSTMParams(*(extra.pop(name) for name in lstm.NAMES))  # KeyError: "lacks 'W_xf'"
    return params, extra


def _shapes(cell: str, V: int, n: int) -> dict:
    if cell == "lstm":
        shapes = {f"{w}{a}": s for a in lstm.GATES for w, s in (("W_x", (n, V)), ("W_h", (n, n)), ("b_", (n,)))}
        return {**shapes, "W_hy": (V, n), "b_y": (V,)}
    return {"W_xh": (n, V), "W_hh": (n, n), "W_hy": (V, n), "b_h": (n,), "b_y": (V,)}


def _read(path) -> TrainState:
    stored = _arrays(path).get("setting_cell")  # a file from before the LSTM has no cell: the RNN's
    cell = "rnn" if stored is None else _setting({"setting_cell": stored}, "cell", "")
    if cell not in CELLS:
        raise ValueError(f"setting_cell is {cell!r}, expected one of {', '.join(map(repr, CELLS))}")
    if cell == "lstm":
        params, extra = _read_lstm(path)
    else:
        params, extra = rio.load_params(path, with_extra=True)
    defaults = Settings()
    values = {f.name: _setting(extra, f.name, getattr(defaults, f.name)) for f in fields(Settings) if f.name != "cell"}
    values["cell"] = cell
    try:
        settings = Settings(**values)
    except (TypeError, ValueError) as exc:  # "lr: expected ..." names the setting as stored
        raise ValueError(f"setting_{exc}") from None
    chars = extra["vocab"].tolist()
    if extra["vocab"].ndim != 1 or any(len(c) != 1 for c in chars) or chars != sorted(set(chars)):
        raise ValueError("its vocabulary is not a sorted list of distinct characters")
    vocab = Vocabulary("".join(chars))
    V, n = vocab.size, settings.hidden
    shapes = _shapes(settings.cell, V, n)
    opt_state = _opt_state(settings, extra)
    groups = {"": params}
    if settings.optimizer == "adam":
        groups.update(adam_m_=opt_state.m, adam_v_=opt_state.v)
    else:
        groups["adagrad_s_"] = opt_state.s
    for prefix, group in groups.items():
        for name, a in group.items():
            if a.shape != shapes[name] or a.dtype.kind != "f":
                raise ValueError(
                    f"{prefix}{name} has shape {a.shape} and dtype {a.dtype}, expected {shapes[name]} floats"
                )
            check_finite(f"{prefix}{name}", a)
    h, losses, step = extra["h"], extra["losses"], extra["step"]
    if h.shape != (settings.batch, n) or h.dtype.kind != "f":
        raise ValueError(f"h has shape {h.shape}, expected {(settings.batch, n)}")
    check_finite("h", h)
    c = None
    if settings.cell == "lstm":
        c = extra["c"]
        if c.shape != (settings.batch, n) or c.dtype.kind != "f":
            raise ValueError(f"c has shape {c.shape}, expected {(settings.batch, n)}")
        check_finite("c", c)
    if step.shape != () or step.dtype.kind not in "iu" or int(step) < 0:
        raise ValueError(f"step is {step!r}, expected an integer >= 0")
    if losses.shape != (int(step),) or losses.dtype.kind != "f":
        raise ValueError(f"losses has shape {losses.shape}, expected ({int(step)},) after step {int(step)}")
    check_finite("losses", losses)
    if settings.optimizer == "adam" and opt_state.step != int(step):
        raise ValueError(f"adam_step is {opt_state.step}, expected the step counter {int(step)}")
    records = {}
    for key, value in extra.items():
        if key.startswith("extra_"):
            if value.shape != () or not np.isfinite(value):
                raise ValueError(f"{key} is {value!r}, expected one finite number")
            records[key[len("extra_"):]] = float(value)
    return TrainState(params, vocab, settings, opt_state, h, int(step), losses.tolist(), records, c)


def load(path) -> TrainState:
    """Read a checkpoint written by :func:`save`, checking every array.

    Raises
    ------
    CharLMError
        If the file is missing, not an .npz, not a complete checkpoint, or
        holds arrays of the wrong shape, dtype or with NaN or inf; the
        message is one line naming the file and the first problem found.
    """
    npz_path("path", path)  # a str or os.PathLike, or a TypeError naming it
    try:
        return _read(path)
    except FileNotFoundError:
        raise CharLMError(f"checkpoint {os.fspath(path)!r} does not exist") from None
    except IsADirectoryError:
        raise CharLMError(f"checkpoint {os.fspath(path)!r} is a directory") from None
    except KeyError as exc:
        raise CharLMError(f"{os.fspath(path)!r} is not a valid checkpoint (it lacks {exc})") from None
    except (ValueError, TypeError, AttributeError) as exc:
        reason = str(exc).replace("\n", " ")
        reason = re.sub(r"^path: '[^']*': ", "", reason)  # rnnlib.io names the file, as this message does
        raise CharLMError(f"{os.fspath(path)!r} is not a valid checkpoint ({reason})") from None
