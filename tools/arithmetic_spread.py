"""How far the printed numbers of the training chapters move when only the arithmetic changes, natively.

Usage:
    python tools/arithmetic_spread.py [--chapter NAME ...] [--out PATH]   # run, write the record
    python tools/arithmetic_spread.py [--chapter NAME ...] --check PATH ...  # run, compare with records

The stored outputs of the notebooks come from one arithmetic (the REPRODUCIBLE
settings of the Makefile: OpenBLAS's Haswell kernel on one thread, numpy's
AVX2 code for exp, log and tanh). Some printed numbers of chapters 6 to 8
are the end of long training runs, or the step at which a run overflows,
and the last bits of the arithmetic move them by more than their last digit.
This script runs each chapter natively, in full, under other arithmetic that
is just as correct (the VARIANTS below: other OpenBLAS kernels, numpy's AVX-512
code), and records, for every cell whose printed text differs from the
stored one, what it printed under each variant, in
tests/lite_arithmetic_spread.json.

tests/test_lite.py uses the record when it compares what a chapter prints in
the browser (Pyodide: numpy without OpenBLAS, another libm) with the stored
outputs: in a recorded cell, a number may differ from the stored one by as
much as it differs under some native variant, and no more. ``--check`` reruns
chapters and compares with records exactly (tests/test_arithmetic_spread.py
does it for chapter 7, the quickest), so the record is the computation's,
not typed. A whole run took eleven minutes on a busy two-core machine, chapter 7
alone about one.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from run_notebooks import coalesce_streams  # noqa: E402

OUT = ROOT / "tests" / "lite_arithmetic_spread.json"
CHAPTERS = ["06_training.ipynb", "07_gradient_checking.ipynb", "08_vanishing_exploding.ipynb"]
REPRODUCIBLE = {  # as in the Makefile: the arithmetic of the stored outputs
    "OPENBLAS_CORETYPE": "Haswell",
    "OPENBLAS_NUM_THREADS": "1",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
}
#: other arithmetic, each as correct as the pinned one; a value None removes the variable
VARIANTS = {
    "OpenBLAS SkylakeX kernel (AVX-512)": {"OPENBLAS_CORETYPE": "SkylakeX"},
    "OpenBLAS Core2 kernel (SSE)": {"OPENBLAS_CORETYPE": "Core2"},
    "numpy's AVX-512 exp, log, tanh": {"NPY_DISABLE_CPU_FEATURES": None},
}


def printed(outputs) -> str:
    """What a cell prints (streams and plain-text results), as tests/test_lite.py reads it."""
    text = []
    for out in outputs:
        if out["output_type"] == "stream" and out["name"] == "stdout":
            text.append("".join(out["text"]))
        elif out["output_type"] in ("execute_result", "display_data"):
            data = out.get("data", {})
            if "image/png" not in data and "text/plain" in data:
                text.append("".join(data["text/plain"]))
    return "".join(text)


def run(chapter: str, variant: dict) -> list:
    """The chapter's code cells after a native Restart & Run All under the variant's arithmetic."""
    path = ROOT / "book" / chapter
    env = {**REPRODUCIBLE, **variant}
    saved = {k: os.environ.get(k) for k in env}
    try:
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb, timeout=900, kernel_name="python3", record_timing=False, resources={"metadata": {"path": str(path.parent)}}
        ).execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    coalesce_streams(nb)
    return [c for c in nb.cells if c.cell_type == "code"]


def spread(chapter: str) -> dict:
    """{cell id: {variant: printed text}} for the cells that print differently under some variant."""
    stored = [c for c in nbformat.read(ROOT / "book" / chapter, as_version=4).cells if c.cell_type == "code"]
    record: dict = {}
    for name, variant in VARIANTS.items():
        start = time.perf_counter()
        fresh = run(chapter, variant)
        assert [c.id for c in fresh] == [c.id for c in stored]
        for old, new in zip(stored, fresh):
            if "NBVAL_IGNORE_OUTPUT" in old.source:
                continue
            if printed(new.outputs) != printed(old.outputs):
                record.setdefault(old.id, {})[name] = printed(new.outputs)
        print(f"{chapter}, {name}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    return record


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", action="append", help="a chapter's notebook name (default: chapters 6 to 8)")
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    parser.add_argument("--check", type=pathlib.Path, nargs="+", metavar="PATH",
                        help="compare with these records instead of writing one")
    args = parser.parse_args(argv)
    chapters = args.chapter or CHAPTERS
    found = {chapter: spread(chapter) for chapter in chapters}
    if args.check:
        status = 0
        for path in args.check:
            record = json.loads(path.read_text())["chapters"]
            for chapter in chapters:
                same = found[chapter] == record.get(chapter)
                status |= not same
                print(f"{path}: {chapter}: {'the record agrees exactly' if same else 'differs from the record'}")
        return status
    record = json.loads(args.out.read_text()) if args.out.exists() else {"chapters": {}}
    record["chapters"].update(found)
    record["variants"] = {name: {**REPRODUCIBLE, **v} for name, v in VARIANTS.items()}
    args.out.write_text(json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    for chapter in chapters:
        print(f"{chapter}: {len(found[chapter])} cells print differently under some variant")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
