"""The stored comparison of the character LM's cells (chapter 12) comes from the code.

tools/charlm_cells.py trains the vanilla RNN and the LSTM at equal parameter
count and writes book/data/charlm_cells.json.  Here the first validation of
seed 0 of each cell is recomputed in a fresh interpreter with the
reproducible arithmetic settings of ``make test`` and compared with the file
exactly; a copy of the file with one number changed in its last digit must
fail the same comparison.
"""

import json
import math
import os
import pathlib
import subprocess
import sys

from rnnlib import num_params
from rnnlib.gated import lstm

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "charlm_cells.py"
STORED = ROOT / "book" / "data" / "charlm_cells.json"
REPRODUCIBLE = {  # as in the Makefile
    "OPENBLAS_CORETYPE": "Haswell",
    "OPENBLAS_NUM_THREADS": "1",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
}


def test_the_file_describes_equal_parameter_counts_and_five_seeds():
    stored = json.loads(STORED.read_text())
    V, hidden, sizes = stored["vocabulary"], stored["hidden"], stored["parameters"]
    assert sizes == {"rnn": num_params(V, hidden["rnn"], V), "lstm": lstm.num_params(V, hidden["lstm"], V)}
    assert abs(sizes["lstm"] / sizes["rnn"] - 1) < 0.02
    assert len(stored["seeds"]) >= 5
    for cell in ("rnn", "lstm"):
        curves = stored["validation"][cell]
        assert len(curves) == len(stored["seeds"])
        assert all(len(c) == len(stored["steps"]) and all(math.isfinite(v) and 0 < v < math.log(V) for v in c)
                   for c in curves)


def test_stored_results_are_recomputed_exactly(tmp_path):
    tampered = json.loads(STORED.read_text())
    value = tampered["validation"]["lstm"][0][0]
    tampered["validation"]["lstm"][0][0] = math.nextafter(value, math.inf)  # one ulp
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(tampered))
    env = dict(os.environ, PYTHONPATH=str(ROOT), **REPRODUCIBLE)
    result = subprocess.run([sys.executable, str(SCRIPT), "--check", str(STORED), str(bad)], env=env,
                            capture_output=True, text=True, timeout=600)
    lines = result.stdout.splitlines()
    for cell in ("rnn", "lstm"):
        assert any(line.startswith(f"{STORED}: {cell}, seed 0") and line.endswith(": same") for line in lines), \
            result.stdout + result.stderr
    assert any(line.startswith(f"{bad}: lstm, seed 0") and line.endswith(": DIFFERENT") for line in lines)
    assert result.returncode == 1  # because of the tampered copy
