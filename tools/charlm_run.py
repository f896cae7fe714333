"""The training run of chapter 9, stored for the in-browser chapter.

Usage:
    python tools/charlm_run.py [--out PATH]       # train as the chapter does, write the run
    python tools/charlm_run.py --check PATH ...   # train, compare with each file bit for bit

Chapter 9 trains a character-level language model for 2,500 steps: seconds
natively, minutes in the browser. Its training cell therefore has a switch,
``TRAIN_HERE``, true natively and false in the in-browser notebook, where the
cell reads instead what the same cell produced natively, from
book/data/charlm_run.npz. This script writes that file: it runs the
chapter's own code cells, from the first to the training cell, in the
chapter's folder, and stores what the rest of the chapter uses (the
parameters with the best validation cost, the cost of every step, the
validation costs and the lines written along the way), with
:func:`rnnlib.save_params`, the library's .npz format without pickle. The
cell reads the file with :func:`rnnlib.load_params` and the names below.

``--check`` trains the same way and compares every array of each file with
what training gives, bit for bit; then, for each file, it runs the whole
chapter natively with ``TRAIN_HERE = False``, reading that file, and compares
what every cell prints with the outputs stored in the notebook, exactly. It exits with
status 1 if anything differs. Run it with the arithmetic settings of
``make test`` (the REPRODUCIBLE variables of the Makefile); the run is
reproduced exactly under those settings only.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import pathlib
import sys
import warnings

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
CHAPTER = BOOK / "09_char_lm.ipynb"
OUT = BOOK / "data" / "charlm_run.npz"
SWITCH = "TRAIN_HERE = NATIVE"
RUN = 'pathlib.Path("data/charlm_run.npz")'  # as the training cell names the file


def code_cells() -> list[str]:
    import nbformat

    nb = nbformat.read(CHAPTER, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


def training_cell(cells) -> int:
    (index,) = [i for i, c in enumerate(cells) if SWITCH in c.source]
    return index


def run_cells(sources, namespace: dict) -> list[str]:
    """Execute cell sources in the chapter's folder, as a kernel would; return what each prints."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    printed = []
    here = os.getcwd()
    os.chdir(BOOK)
    try:
        for source in sources:
            out = io.StringIO()
            with contextlib.redirect_stdout(out), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # plt.show() on Agg
                exec(compile(source, "<cell>", "exec"), namespace)
            plt.close("all")
            printed.append(out.getvalue())
    finally:
        os.chdir(here)
    return printed


def trained() -> dict[str, np.ndarray]:
    """Train with the chapter's code and settings; the arrays that the file stores."""
    cells = code_cells()
    ns: dict = {}
    run_cells([c.source for c in cells[: training_cell(cells) + 1]], ns)
    assert ns["TRAIN_HERE"], "the training cell did not train"
    record = dict(ns["best_params"].items())
    record.update(
        losses=np.asarray(ns["losses"], dtype=np.float64),
        curve_step=np.array(ns["curve"]["step"], dtype=np.int64),
        curve_validation=np.array(ns["curve"]["validation"], dtype=np.float64),
        best_valid=np.array(ns["best_valid"], dtype=np.float64),
        best_step=np.array(ns["best_step"], dtype=np.int64),
        line_steps=np.array(list(ns["lines"]), dtype=np.int64),
        lines=np.array(list(ns["lines"].values())),
    )
    return record


def write(path: pathlib.Path, record: dict) -> None:
    import rnnlib

    names = set(rnnlib.params.NAMES)
    params = rnnlib.Params(*(record[name] for name in rnnlib.params.NAMES))
    rnnlib.save_params(path, params, **{k: v for k, v in record.items() if k not in names})


def stored(path: pathlib.Path) -> dict[str, np.ndarray]:
    import rnnlib

    params, extra = rnnlib.load_params(path, with_extra=True)
    return {**dict(params.items()), **extra}


def differences(record: dict, path: pathlib.Path) -> list[str]:
    """How the file differs from the trained record: names, dtypes, shapes and bits."""
    file = stored(path)
    found = []
    for name in sorted(set(record) | set(file)):
        if name not in file or name not in record:
            found.append(f"{name}: {'missing from the file' if name not in file else 'not in the run'}")
            continue
        a, b = record[name], file[name]
        if a.dtype != b.dtype or a.shape != b.shape:
            found.append(f"{name}: computed {a.dtype} {a.shape}, stored {b.dtype} {b.shape}")
        elif a.tobytes() != b.tobytes():
            where = np.flatnonzero(a.ravel() != b.ravel())
            i = int(where[0]) if where.size else 0
            found.append(f"{name}: {where.size} entries differ, first at {i}: "
                         f"computed {a.ravel()[i]!r}, stored {b.ravel()[i]!r}")
    return found


def replay(path: pathlib.Path) -> list[str]:
    """Run the chapter natively from the run stored in ``path``; the cells whose printed text differs from the notebook's."""
    cells = code_cells()
    sources = [c.source for c in cells]
    k = training_cell(cells)
    assert sources[k].count(SWITCH) == 1 and sources[k].count(RUN) == 1
    sources[k] = sources[k].replace(SWITCH, "TRAIN_HERE = False")
    sources[k] = sources[k].replace(RUN, f"pathlib.Path({str(path.resolve())!r})")
    ns: dict = {}
    printed = run_cells(sources, ns)
    assert not ns["TRAIN_HERE"]
    found = []
    for i, (cell, text) in enumerate(zip(cells, printed)):
        expected = "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")
        if text != expected:
            found.append(f"cell {i} prints {text[:300]!r}, the notebook stores {expected[:300]!r}")
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    parser.add_argument("--check", type=pathlib.Path, nargs="+", metavar="PATH")
    args = parser.parse_args(argv)
    record = trained()
    if not args.check:
        if args.out.exists() and not differences(record, args.out):
            print(f"{args.out}: up to date (the same arrays, bit for bit)")
        else:
            write(args.out, record)
            print(f"{args.out}: written ({args.out.stat().st_size:,} bytes)")
        return 0
    status = 0
    for path in args.check:
        found = differences(record, path)
        print(f"{path}: {found[0]}" if found else f"{path}: training reproduces it exactly")
        printed = replay(path)
        print(f"{path}: {printed[0]}" if printed else f"{path}: the chapter run from it prints what the notebook stores")
        status |= bool(found or printed)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
