"""Saving and loading parameters as .npz files (no pickle, so loading runs no code)."""

from __future__ import annotations

import os
import zipfile

import numpy as np

from ._checks import check_finite, check_params, npz_path
from .params import NAMES, Params

__all__ = ["save_params", "load_params"]


def save_params(path, params: Params, **extra) -> None:
    """Write ``params`` (and optional extra arrays) to an uncompressed .npz file.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; ``.npz`` is appended if it is missing (as
        :func:`load_params` does too).
    params : Params
        Finite parameters.
    **extra : array_like
        More arrays to store beside the parameters (e.g. a vocabulary or a
        step count).  Their names must not clash with W_xh, W_hh, W_hy, b_h, b_y.
    """
    path = npz_path("path", path)
    check_params(params)
    clash = set(extra) & set(NAMES)
    if clash:
        raise ValueError(f"extra: names {sorted(clash)} are reserved for the parameters")
    arrays = {}
    for name, a in extra.items():
        try:
            arrays[name] = np.asarray(a)
        except Exception as exc:  # ragged nested lists
            raise TypeError(f"extra[{name!r}]: expected an array, got {type(a).__name__} ({exc})") from None
        if arrays[name].dtype.kind == "O":
            raise TypeError(f"extra[{name!r}]: expected a plain numeric or string array, got dtype object")
    np.savez(path, **dict(params.items()), **arrays)


def load_params(path, *, with_extra: bool = False):
    """Read parameters written by :func:`save_params`.

    Parameters
    ----------
    path : str or os.PathLike
        ``.npz`` is appended if it is missing, as :func:`save_params` does.
    with_extra : bool
        Also return the extra arrays, as a dict.

    Returns
    -------
    Params, or (Params, dict) if ``with_extra``.

    Raises
    ------
    ValueError
        If the file is not a readable .npz, lacks one of the five arrays,
        holds arrays of inconsistent shapes or dtypes, or NaN or inf.
    FileNotFoundError
        If there is no such file.
    """
    path = npz_path("path", path)
    if not isinstance(with_extra, bool):
        raise TypeError(f"with_extra: expected True or False, got {type(with_extra).__name__}")
    if not os.path.exists(path):
        raise FileNotFoundError(f"path: no such file: {path!r}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"path: {path!r} is not a readable .npz file (not a zip archive)")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ValueError(f"path: {path!r} is not a readable .npz file ({exc})") from None
    missing = [name for name in NAMES if name not in arrays]
    if missing:
        raise ValueError(f"path: {path!r} lacks {', '.join(missing)}; was it written by save_params?")
    try:
        params = Params(*(arrays.pop(name) for name in NAMES))
        for name, a in params.items():
            check_finite(name, a)
    except (TypeError, ValueError) as exc:  # "W_hy: expected shape ...", "b_y: expected finite values ..."
        raise ValueError(f"path: {path!r}: {exc}") from None
    return (params, arrays) if with_extra else params
