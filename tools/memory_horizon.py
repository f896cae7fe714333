"""The memory-horizon study of chapter 10, too large to run inside the book.

Usage:
    python tools/memory_horizon.py [--out PATH] [--jobs N]  # the whole grid
    python tools/memory_horizon.py --check PATH ...         # a small subset, compared

Trains a network for every (initialisation, delay, seed) on delayed recall
and for every (length, seed) on the adding problem, with the functions of
:mod:`rnnlib.horizon`, and writes the results to a small JSON file
(book/data/memory_horizon.json by default) that the chapter plots.  Every
run depends only on its own settings and seed, so any subset can be
recomputed alone and compared with the file bit for bit; ``--check`` does
that for :data:`SUBSET`.  Run it with the arithmetic settings of
``make test`` (the REPRODUCIBLE variables of the Makefile); the results are
exact under those settings only.  For each recall run the file holds, after
each budget, the accuracy, rho(W_hh), the mean of f'(z), the median gradient
norm before clipping and the fraction of clipped steps (both over the steps
since the previous budget), and once per run the learning signal at its delay
on its starting parameters (:meth:`rnnlib.horizon.RecallRun.start_signal`).
The whole grid takes about ten minutes of CPU time: about 600 s, measured on
a loaded machine with ``--jobs 3`` (1625 s of wall time there).  The results
do not depend on ``--jobs``.  ``--check`` takes a few seconds.
"""

from __future__ import annotations

import math
import pathlib
import sys

import gridrun  # tools/gridrun.py: the parallel runs, --check and the command line
from rnnlib import horizon

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "book" / "data" / "memory_horizon.json"

#: the grid
INITS = horizon.INITS
DELAYS = (2, 4, 5, 6, 7, 8, 10, 12, 16)
SEEDS = (0, 1, 2, 3, 4)
BUDGETS = (1000, 3000)
ADDING_T = (10, 50, 100)
ADDING_BUDGETS = (500, 2000)

#: what --check and the unit test recompute: (init, delay, seed) and (T, seed)
SUBSET = {"recall": [("orthogonal", 8, 3), ("irnn", 6, 1), ("rho=1", 5, 0)], "adding": [(10, 2)]}


def _num(x: float):
    return None if math.isnan(x) else x  # JSON has no NaN


def recall_record(init: str, delay: int, seed: int, budgets=BUDGETS) -> dict:
    """One run's record: accuracy, rho(W_hh), the mean of f'(z), the gradient norms
    and the fraction of clipped steps after each budget (see RecallRun.record),
    and the learning signal on its own starting parameters (RecallRun.start_signal)."""
    run = horizon.recall_run(delay, init, seed=seed, budgets=budgets)
    return {**run.record(), "start_signal": run.start_signal()}


def adding_record(T: int, seed: int, budgets=ADDING_BUDGETS) -> dict:
    error, baseline = horizon.adding_run(T, seed=seed, budgets=budgets)
    return {"error": [_num(e) for e in error], "baseline": baseline}


def grid() -> dict:
    return {
        "inits": list(INITS),
        "delays": list(DELAYS),
        "seeds": list(SEEDS),
        "budgets": list(BUDGETS),
        "adding_T": list(ADDING_T),
        "adding_budgets": list(ADDING_BUDGETS),
    }


def _cell(job) -> list:
    """The records of one cell of the grid, every seed."""
    if job[0] == "recall":
        return [recall_record(job[1], job[2], s) for s in SEEDS]
    return [adding_record(job[1], s) for s in SEEDS]


def compute(progress=None, jobs: int = 1) -> dict:
    """The whole grid, as the JSON file holds it, computed by ``jobs`` processes."""
    cells = [("adding", T) for T in ADDING_T[::-1]] + [("recall", i, d) for d in DELAYS[::-1] for i in INITS]
    done, _ = gridrun.run(_cell, cells, jobs=jobs, progress=progress)
    recall = {init: {str(d): done["recall", init, d] for d in DELAYS} for init in INITS}
    adding = {str(T): done["adding", T] for T in ADDING_T}
    return {"grid": grid(), **gridrun.setups(), "recall": recall, "adding": adding}


def main(argv=None):
    return gridrun.main(
        argv,
        description=__doc__.splitlines()[0],
        out=OUT,
        compute=compute,
        grid=grid(),
        subset=SUBSET,
        records={"recall": recall_record, "adding": adding_record},
    )


if __name__ == "__main__":
    sys.exit(main())
