"""rnnlib's unit tests pass under Pyodide, the Python of the in-browser notebooks.

numpy's index type is 32-bit there (np.intp is int32), which a 64-bit
machine never shows. tools/pyodide_tests.mjs runs the unit tests in Node with
the same Pyodide, numpy and rnnlib wheel that the book serves; tests that need
to start a process are skipped there (tests/conftest.py says so).
"""

import pathlib
import re
import shutil
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[1]
# what cannot run in Pyodide: a browser, or tests of the browser and of this runner
# the browser tests drive Chromium from outside; the benchmarks time native libraries (OpenBLAS, PyTorch, JAX)
IGNORE = ["test_browser.py", "test_lite.py", "test_pyodide.py", "test_benchmarks.py"]


def test_unit_tests_pass_under_pyodide():
    assert shutil.which("node"), "Node.js is needed to run the unit tests under Pyodide"
    assert (ROOT / "_build" / "lite" / "static" / "pyodide" / "pyodide.mjs").exists(), (
        "Pyodide is not staged: `make book` says why"
    )
    args = ["node", "tools/pyodide_tests.mjs", "tests", *(f"--ignore=tests/{name}" for name in IGNORE)]
    run = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=900)
    lines = [line[:300] for line in (run.stdout + run.stderr).splitlines() if not line.startswith("var Module")]
    report = "\n".join(lines[-60:])
    assert run.returncode == 0, report
    assert "intp is 32-bit" in run.stdout, report
    summary = re.search(r"(\d+) passed", run.stdout)
    assert summary and int(summary.group(1)) > 300, report
