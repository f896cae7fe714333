"""The training run that chapter 9 reads in the browser is the one its code produces natively.

In the in-browser notebook the chapter's training cell (``TRAIN_HERE`` false)
reads book/data/charlm_run.npz instead of training; tools/charlm_run.py
writes that file by running the chapter's own cells. Here the script, in a
fresh interpreter with the reproducible arithmetic settings of ``make test``,
trains again with the chapter's code and settings and compares every array
of the file bit for bit; it also runs the whole chapter from the file and
compares every printed output with the notebook's. A copy of the file with
one sampled line changed must fail both comparisons.
"""

import os
import pathlib
import subprocess
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "charlm_run.py"
STORED = ROOT / "book" / "data" / "charlm_run.npz"
REPRODUCIBLE = {  # as in the Makefile
    "OPENBLAS_CORETYPE": "Haswell",
    "OPENBLAS_NUM_THREADS": "1",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
}


def test_training_reproduces_the_stored_run_exactly(tmp_path):
    sys.path.insert(0, str(ROOT))
    import rnnlib

    params, extra = rnnlib.load_params(STORED, with_extra=True)
    lines = extra["lines"].copy()
    assert lines[5] != lines[6]
    lines[5] = lines[6]  # one line of "watching it learn" replaced by the next one
    bad = tmp_path / "tampered.npz"
    rnnlib.save_params(bad, params, **{**extra, "lines": lines})

    env = dict(os.environ, PYTHONPATH=str(ROOT), **REPRODUCIBLE)
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check", str(STORED), str(bad)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = result.stdout.splitlines()
    assert f"{STORED}: training reproduces it exactly" in out, result.stdout + result.stderr
    assert f"{STORED}: the chapter run from it prints what the notebook stores" in out, result.stdout
    assert any(line.startswith(f"{bad}: lines: 1 entries differ, first at 5") for line in out), result.stdout
    assert any(line.startswith(f"{bad}: cell ") for line in out), result.stdout  # the printed lines differ
    assert result.returncode == 1  # because of the tampered copy
    assert not np.array_equal(rnnlib.load_params(bad, with_extra=True)[1]["lines"], extra["lines"])
