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

import argparse
import dataclasses
import json
import pathlib
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from rnnlib import horizon, rematch

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


def _run(job):
    kind, cell, size, seed = job
    start = time.process_time()
    record = (recall_record if kind == "recall" else adding_record)(cell, size, seed)
    return job, record, time.process_time() - start


def compute(jobs: int = 1, progress=None) -> dict:
    """The whole grid, as the JSON file holds it, with the CPU seconds of its runs."""
    work = [("recall", c, d, s) for c in CELLS for d in DELAYS for s in SEEDS]
    work += [("adding", c, T, s) for c in CELLS for T in ADDING_T for s in SEEDS]
    cost = {"rnn": 1, "gru": 4, "lstm": 4}
    work.sort(key=lambda j: -cost[j[1]] * (j[2] + 5))  # the longest first, for an even load
    done, cpu = {}, 0.0
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for job, record, seconds in pool.map(_run, work):
            done[job], cpu = record, cpu + seconds
            if progress:
                progress(f"{job[0]} {job[1]} {job[2]} seed {job[3]} ({len(done)}/{len(work)})")
    recall = {c: {str(d): [done["recall", c, d, s] for s in SEEDS] for d in DELAYS} for c in CELLS}
    adding = {c: {str(T): [done["adding", c, T, s] for s in SEEDS] for T in ADDING_T} for c in CELLS}
    return {
        "grid": grid(),
        "recall_setup": dataclasses.asdict(horizon.RecallSetup()),
        "adding_setup": dataclasses.asdict(horizon.AddingSetup()),
        "num_params": {
            "recall": {c: rematch.num_params(c, 4, 32, 5) for c in CELLS},
            "adding": {c: rematch.num_params(c, 2, 32, 1) for c in CELLS},
        },
        "cpu_seconds": round(cpu, 1),
        "recall": recall,
        "adding": adding,
    }


def recompute_subset() -> dict:
    """The records of :data:`SUBSET`, keyed as in the file."""
    out = {}
    for cell, d, seed in SUBSET["recall"]:
        out[("recall", cell, str(d), seed)] = recall_record(cell, d, seed)
    for cell, T, seed in SUBSET["adding"]:
        out[("adding", cell, str(T), seed)] = adding_record(cell, T, seed)
    return out


def differences(stored: dict, subset: dict) -> list:
    """Where the file ``stored`` disagrees with the code: grid, setups and recomputed records."""
    problems = [] if stored["grid"] == grid() else [f"grid: file {stored['grid']} != code {grid()}"]
    for key, setup in (("recall_setup", horizon.RecallSetup()), ("adding_setup", horizon.AddingSetup())):
        if stored[key] != dataclasses.asdict(setup):
            problems.append(f"{key}: file {stored[key]} != code {dataclasses.asdict(setup)}")
    seeds = stored["grid"]["seeds"]
    for key, got in subset.items():
        *where, seed = key
        want = stored
        for part in where:
            want = want[part]
        want = want[seeds.index(seed)]
        if got != want:
            problems.append(f"{' '.join(where)} seed {seed}: computed {got}, stored {want}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=OUT, help="where to write the results")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument(
        "--check", type=pathlib.Path, nargs="+", metavar="PATH", help="recompute a subset and compare with each file"
    )
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs: expected a positive integer, got {args.jobs}")
    start = time.perf_counter()
    if args.check:
        subset, failed = recompute_subset(), False
        for path in args.check:
            problems = differences(json.loads(path.read_text()), subset)
            print("\n".join(f"{path}: {p}" for p in problems) or f"{path}: the subset agrees exactly")
            failed = failed or bool(problems)
        return 1 if failed else 0

    def progress(what):
        print(f"{time.perf_counter() - start:7.1f} s  {what}", flush=True)

    results = compute(args.jobs, progress)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out} in {time.perf_counter() - start:.0f} s ({results['cpu_seconds']} s CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
