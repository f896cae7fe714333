"""The record of how far printed numbers move under other native arithmetic comes from the code.

tests/test_lite.py lets a number that chapters 6 to 8 print in the browser
differ from the stored one by as much as it differs natively under other,
equally correct arithmetic, as recorded in tests/lite_arithmetic_spread.json
by tools/arithmetic_spread.py. Here the script reruns chapter 7 (the
quickest) under each variant and compares with the record exactly; a copy of
the record with one recorded number changed must fail the same comparison.
"""

import json
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "arithmetic_spread.py"
RECORD = ROOT / "tests" / "lite_arithmetic_spread.json"
CHAPTER = "07_gradient_checking.ipynb"


def test_the_record_is_recomputed_exactly(tmp_path):
    record = json.loads(RECORD.read_text())
    cells = record["chapters"][CHAPTER]
    cell_id, variants = sorted(cells.items())[0]
    variant, text = sorted(variants.items())[0]
    number = re.search(r"\d\.\d", text)
    tampered = text[: number.start()] + str((int(text[number.start()]) + 1) % 10) + text[number.start() + 1 :]
    record["chapters"][CHAPTER][cell_id][variant] = tampered
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(record))

    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--chapter", CHAPTER, "--check", str(RECORD), str(bad)],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = result.stdout.splitlines()
    assert f"{RECORD}: {CHAPTER}: the record agrees exactly" in out, result.stdout + result.stderr
    assert f"{bad}: {CHAPTER}: differs from the record" in out, result.stdout
    assert result.returncode == 1  # because of the tampered copy
