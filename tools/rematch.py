"""The rematch of chapter 14: vanilla RNN, LSTM and GRU on the memory-horizon tasks.

Usage:
    python tools/rematch.py [--out PATH] [--jobs N]   # the whole grid
    python tools/rematch.py --check PATH ...          # a small subset, compared

Trains every cell of :data:`rnnlib.rematch.CELLS` for every (delay, seed) on
delayed recall and every (length, seed) on the adding problem, with
:func:`rnnlib.rematch.recall_run_cell` and
:func:`rnnlib.rematch.adding_run_cell`, and writes the results to a small
JSON file (book/data/rematch.json by default) that the chapter plots.  Every
run depends only on its own settings and seed, so any subset can be
recomputed alone and compared with the file bit for bit; ``--check`` does
that for :data:`SUBSET`.  Run it with the arithmetic settings of
``make test`` (the REPRODUCIBLE variables of the Makefile); the results are
exact under those settings only.  The whole grid (75 runs) takes about six
minutes of CPU time (368 s measured, most of it the gated cells'
recall runs); ``--check`` about ten seconds.
"""

from __future__ import annotations

import pathlib
import sys

import gridrun  # tools/gridrun.py: the parallel runs, --check and the command line
from rnnlib import rematch

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "book" / "data" / "rematch.json"

#: the grid
CELLS = rematch.CELLS
DELAYS = (4, 8, 16)
SEEDS = (0, 1, 2, 3, 4)
BUDGETS = (1000, 3000)
ADDING_T = (10, 50)
ADDING_BUDGETS = (250, 500)

#: what --check and the unit test recompute: (cell, delay, seed) and (cell, T, seed)
SUBSET = {"recall": [("gru", 4, 2), ("rnn", 8, 1)], "adding": [("lstm", 10, 1)]}


def recall_record(cell: str, delay: int, seed: int, budgets=BUDGETS) -> dict:
    """The recall accuracy after each budget (None where training diverged)."""
    return rematch.recall_run_cell(cell, delay, seed=seed, budgets=budgets).record()


def adding_record(cell: str, T: int, seed: int, budgets=ADDING_BUDGETS) -> dict:
    """The adding problem's error after each budget and the mean-answer baseline."""
    return rematch.adding_run_cell(cell, T, seed=seed, budgets=budgets).record()


def grid() -> dict:
    return {
        "cells": list(CELLS),
        "delays": list(DELAYS),
        "seeds": list(SEEDS),
        "budgets": list(BUDGETS),
        "adding_T": list(ADDING_T),
        "adding_budgets": list(ADDING_BUDGETS),
    }


def _run(job) -> dict:
    kind, cell, size, seed = job
    return (recall_record if kind == "recall" else adding_record)(cell, size, seed)


def compute(jobs: int = 1, progress=None) -> dict:
    """The whole grid, as the JSON file holds it, with the CPU seconds of its runs."""
    work = [("recall", c, d, s) for c in CELLS for d in DELAYS for s in SEEDS]
    work += [("adding", c, T, s) for c in CELLS for T in ADDING_T for s in SEEDS]
    cost = {"rnn": 1, "gru": 4, "lstm": 4}
    work.sort(key=lambda j: -cost[j[1]] * (j[2] + 5))  # the longest first, for an even load
    done, cpu = gridrun.run(_run, work, jobs=jobs, progress=progress, describe=lambda j: "{} {} {} seed {}".format(*j))
    recall = {c: {str(d): [done["recall", c, d, s] for s in SEEDS] for d in DELAYS} for c in CELLS}
    adding = {c: {str(T): [done["adding", c, T, s] for s in SEEDS] for T in ADDING_T} for c in CELLS}
    return {
        "grid": grid(),
        **gridrun.setups(),
        "num_params": {
            "recall": {c: rematch.num_params(c, 4, 32, 5) for c in CELLS},
            "adding": {c: rematch.num_params(c, 2, 32, 1) for c in CELLS},
        },
        "cpu_seconds": round(cpu, 1),
        "recall": recall,
        "adding": adding,
    }


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
