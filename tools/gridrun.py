"""What the grid tools share: running a grid's jobs, the ``--check`` comparison, the command line.

tools/memory_horizon.py (chapter 10) and tools/rematch.py (chapter 14) each
train networks over a grid of settings and seeds, write the records to a
small JSON file that their chapter plots, and recompute a few runs to compare
with that file bit for bit (``--check``).  Their grids and records differ;
the rest is here.  Every job depends only on its own settings and seed, so
the results do not depend on how many processes share the grid.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import json
import pathlib
import time
from concurrent.futures import ProcessPoolExecutor

from rnnlib import horizon


def setups() -> dict:
    """The tasks' settings as the files hold them (both grids train on rnnlib.horizon's tasks)."""
    return {
        "recall_setup": dataclasses.asdict(horizon.RecallSetup()),
        "adding_setup": dataclasses.asdict(horizon.AddingSetup()),
    }


def _timed(fn, job):
    start = time.process_time()
    result = fn(job)
    return job, result, time.process_time() - start


def run(fn, work: list, *, jobs: int = 1, progress=None, describe=None) -> tuple[dict, float]:
    """``{job: fn(job)}`` for every job in ``work``, and the CPU seconds ``fn`` took in all.

    With ``jobs`` > 1 the jobs are shared among that many processes (``fn``
    must then be a module-level function); otherwise they run here, in
    order.  After each job, ``progress`` (if given) receives
    ``describe(job)`` (by default the job's parts joined by spaces) and the
    count done so far.
    """
    describe = describe or (lambda job: " ".join(map(str, job)))
    timed = functools.partial(_timed, fn)
    done, cpu = {}, 0.0
    with ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else contextlib.nullcontext() as pool:
        for job, result, seconds in pool.map(timed, work) if pool else map(timed, work):
            done[job], cpu = result, cpu + seconds
            if progress:
                progress(f"{describe(job)} ({len(done)}/{len(work)})")
    return done, cpu


def recompute(subset: dict, records: dict) -> dict:
    """The records of ``subset``, keyed as in the file.

    ``subset`` maps a kind of run ("recall", "adding") to its runs, each a
    tuple (*where, seed); ``records[kind](*where, seed)`` computes one.  The
    key of a record is (kind, *where as strings, seed): the path to its list
    of seeds in the file, and the seed.
    """
    return {
        (kind, *map(str, where), seed): records[kind](*where, seed)
        for kind, runs in subset.items()
        for *where, seed in runs
    }


def differences(stored: dict, subset: dict, grid: dict) -> list:
    """Where the file ``stored`` disagrees with the code: grid, setups and the recomputed records ``subset``."""
    problems = [] if stored["grid"] == grid else [f"grid: file {stored['grid']} != code {grid}"]
    for key, setup in setups().items():
        if stored[key] != setup:
            problems.append(f"{key}: file {stored[key]} != code {setup}")
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


def main(argv, *, description: str, out: pathlib.Path, compute, grid: dict, subset: dict, records: dict) -> int:
    """The command line of a grid tool: compute the grid and write it, or ``--check`` files against the code.

    ``compute(jobs=..., progress=...)`` returns the file's contents (with its
    CPU seconds under "cpu_seconds", if it counts them); ``--check``
    recomputes ``subset`` with ``records`` (see :func:`recompute`) and lists
    where each file disagrees with it or with ``grid`` (see
    :func:`differences`).  Returns the exit status: 1 if a checked file
    disagrees, else 0.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=pathlib.Path, default=out, help="where to write the results")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument(
        "--check", type=pathlib.Path, nargs="+", metavar="PATH", help="recompute a subset and compare with each file"
    )
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs: expected a positive integer, got {args.jobs}")
    start = time.perf_counter()
    if args.check:
        recomputed, failed = recompute(subset, records), False
        for path in args.check:
            problems = differences(json.loads(path.read_text()), recomputed, grid)
            print("\n".join(f"{path}: {p}" for p in problems) or f"{path}: the subset agrees exactly")
            failed = failed or bool(problems)
        return 1 if failed else 0

    def progress(what):
        print(f"{time.perf_counter() - start:7.1f} s  {what}", flush=True)

    results = compute(jobs=args.jobs, progress=progress)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    cpu = f" ({results['cpu_seconds']} s CPU)" if "cpu_seconds" in results else ""
    print(f"wrote {args.out} in {time.perf_counter() - start:.0f} s{cpu}")
    return 0
