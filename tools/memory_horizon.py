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

import argparse
import dataclasses
import json
import math
import pathlib
import sys
import time

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


def _job(job):
    """The records of one cell of the grid, every seed."""
    if job[0] == "recall":
        return job, [recall_record(job[1], job[2], s) for s in SEEDS]
    return job, [adding_record(job[1], s) for s in SEEDS]


def compute(progress=None, jobs: int = 1) -> dict:
    """The whole grid, as the JSON file holds it, computed by ``jobs`` processes."""
    cells = [("adding", T) for T in ADDING_T[::-1]] + [("recall", i, d) for d in DELAYS[::-1] for i in INITS]
    done = {}
    if jobs > 1:
        import multiprocessing

        with multiprocessing.Pool(jobs) as pool:
            for job, records in pool.imap_unordered(_job, cells):
                done[job] = records
                if progress:
                    progress(" ".join(map(str, job)))
    else:
        for cell in cells:
            done[cell] = _job(cell)[1]
            if progress:
                progress(" ".join(map(str, cell)))
    recall = {init: {str(d): done["recall", init, d] for d in DELAYS} for init in INITS}
    adding = {str(T): done["adding", T] for T in ADDING_T}
    return {
        "grid": grid(),
        "recall_setup": dataclasses.asdict(horizon.RecallSetup()),
        "adding_setup": dataclasses.asdict(horizon.AddingSetup()),
        "recall": recall,
        "adding": adding,
    }


def recompute_subset() -> dict:
    """The records of :data:`SUBSET`, keyed as in the file."""
    out = {}
    for init, d, seed in SUBSET["recall"]:
        out[("recall", init, str(d), seed)] = recall_record(init, d, seed)
    for T, seed in SUBSET["adding"]:
        out[("adding", str(T), seed)] = adding_record(T, seed)
    return out


def differences(stored: dict, subset: dict) -> list:
    """Where the file ``stored`` disagrees with the code: setups and recomputed records."""
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
    parser.add_argument("--jobs", type=int, default=1, help="processes to share the grid among")
    parser.add_argument(
        "--check", type=pathlib.Path, nargs="+", metavar="PATH", help="recompute a subset and compare with each file"
    )
    args = parser.parse_args(argv)
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

    results = compute(progress, jobs=args.jobs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out} in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
