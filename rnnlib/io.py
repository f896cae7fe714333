"""Saving and loading parameters as .npz files (no pickle, so loading runs no code)."""

from __future__ import annotations

import os
import zipfile

import numpy as np

from .params import NAMES, Params

__all__ = ["save_params", "load_params"]


def save_params(path, params: Params, **extra) -> None:
    """Write ``params`` (and optional extra arrays) to an uncompressed .npz file.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; numpy appends ``.npz`` if it is missing.
    params : Params
    **extra : array_like
        More arrays to store beside the parameters (e.g. a vocabulary or a
        step count).  Their names must not clash with W_xh, W_hh, W_hy, b_h, b_y.
    """
    if not isinstance(params, Params):
        raise TypeError(f"params: expected rnnlib.Params, got {type(params).__name__}")
    clash = set(extra) & set(NAMES)
    if clash:
        raise ValueError(f"extra: names {sorted(clash)} are reserved for the parameters")
    arrays = {name: np.asarray(a) for name, a in extra.items()}
    for name, a in arrays.items():
        if a.dtype.kind == "O":
            raise TypeError(f"extra[{name!r}]: expected a plain numeric or string array, got dtype object")
    np.savez(path, **dict(params.items()), **arrays)


def load_params(path, *, with_extra: bool = False):
    """Read parameters written by :func:`save_params`.

    Parameters
    ----------
    path : str or os.PathLike
    with_extra : bool
        Also return the extra arrays, as a dict.

    Returns
    -------
    Params, or (Params, dict) if ``with_extra``.

    Raises
    ------
    ValueError
        If the file is not a readable .npz, lacks one of the five arrays, or
        holds arrays of inconsistent shapes.
    FileNotFoundError
        If there is no such file.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"path: no such file: {os.fspath(path)!r}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"path: {os.fspath(path)!r} is not a readable .npz file (not a zip archive)")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ValueError(f"path: {os.fspath(path)!r} is not a readable .npz file ({exc})") from None
    missing = [name for name in NAMES if name not in arrays]
    if missing:
        raise ValueError(f"path: {os.fspath(path)!r} lacks {', '.join(missing)}; was it written by save_params?")
    params = Params(*(arrays.pop(name) for name in NAMES))
    return (params, arrays) if with_extra else params
