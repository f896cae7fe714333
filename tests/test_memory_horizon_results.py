"""The stored results of the memory-horizon study come from the code.

tools/memory_horizon.py computes the grid that chapter 10 plots and writes it
to book/data/memory_horizon.json.  Here a subset of the grid is recomputed,
in a fresh interpreter with the reproducible arithmetic settings of
``make test``, and compared with the file exactly; a copy of the file with
one number changed must fail the same comparison.
"""

import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "memory_horizon.py"
STORED = ROOT / "book" / "data" / "memory_horizon.json"
REPRODUCIBLE = {  # as in the Makefile
    "OPENBLAS_CORETYPE": "Haswell",
    "OPENBLAS_NUM_THREADS": "1",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
}


def test_stored_results_are_recomputed_exactly(tmp_path):
    stored = json.loads(STORED.read_text())
    tampered = json.loads(STORED.read_text())
    record = tampered["recall"]["orthogonal"]["8"][3]
    setup = stored["recall_setup"]
    record["accuracy"][0] -= 1 / (setup["N_test"] * setup["extra"])  # one recall fewer right
    other = tampered["recall"]["irnn"]["6"][1]
    other["start_signal"] *= 1 + 1e-12  # the per-run records are compared too
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(tampered))

    env = dict(os.environ, PYTHONPATH=str(ROOT), **REPRODUCIBLE)
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check", str(STORED), str(bad)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = result.stdout.splitlines()
    assert f"{STORED}: the subset agrees exactly" in lines, result.stdout + result.stderr
    assert any(line.startswith(f"{bad}: recall orthogonal 8 seed 3: computed") for line in lines), result.stdout
    assert any(line.startswith(f"{bad}: recall irnn 6 seed 1: computed") for line in lines), result.stdout
    assert result.returncode == 1  # because of the tampered copy
    assert stored["recall"]["orthogonal"]["8"][3]["accuracy"][0] != record["accuracy"][0]
