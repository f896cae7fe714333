"""Every chapter runs in the reader's browser: JupyterLite with a Pyodide kernel, from the book's own files.

`make book` builds the in-browser notebooks into _build/html/lite (see
tools/lite.py). These tests fail, and never skip, when that site is missing:
the book must always ship them (without Chromium, only the runs in the
browser are skipped, like the other browser tests). The browser tests open
each chapter's page, follow its "Run in your browser" button, clear the
outputs and run every cell in the Pyodide kernel, then compare what the
cells print and draw with the outputs stored in the notebook.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import re
import shutil
import sys
import time

import nbformat
import pytest

from browser import CHROMIUM, LAUNCH_ARGS, external_requests

ROOT = pathlib.Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
LITE = HTML / "lite"
PYODIDE = LITE / "static" / "pyodide"
TIMES = ROOT / "_build" / "lite-run-times.json"
sys.path.insert(0, str(ROOT / "tools"))
import lite as lite_build  # noqa: E402  (tools/lite.py)
from serve import serve_in_thread  # noqa: E402  (tools/serve.py)

# the chapters and the workbook's notebooks (the learner's copies)
CHAPTERS = sorted(p.name for p in (ROOT / "book").glob("*.ipynb"))
NOT_BUILT = "the in-browser notebooks were not built: `make book` says why (Pyodide could not be had)"
TARGET_SECONDS = 90  # the reader's wait for Run All: a target that the report shows, not an assertion


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def kernel_settings():
    config = json.loads((LITE / "jupyter-lite.json").read_text())["jupyter-config-data"]
    return config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]


def test_the_site_is_built_and_loads_pyodide_from_its_own_files():
    assert (LITE / "jupyter-lite.json").exists(), NOT_BUILT
    settings = kernel_settings()
    assert settings["pyodideUrl"] == "./static/pyodide/pyodide.js"
    assert settings["disablePyPIFallback"] is True
    for name in CHAPTERS:
        assert (LITE / "files" / "book" / name).exists(), name
    assert (LITE / "files" / "book" / "data" / "corpus.txt").exists()


def test_every_pyodide_file_is_the_verified_one():
    assert PYODIDE.exists(), NOT_BUILT
    recorded = lite_build.read_hashes()
    lock = json.loads((PYODIDE / "pyodide-lock.json").read_text())["packages"]
    by_file = {entry["file_name"]: entry for entry in lock.values()}
    ours = {"rnnlib", "autograd", "comm"}  # built here or taken from PyPI at the pinned versions
    for path in sorted(PYODIDE.iterdir()):
        if path.name == "pyodide-lock.json":
            continue  # the official lock, verified before it was pruned and extended
        if path.name in by_file and by_file[path.name]["name"] in ours:
            assert sha256(path) == by_file[path.name]["sha256"], path.name
        else:
            assert path.name in recorded, f"{path.name} is not a recorded Pyodide file"
            assert sha256(path) == recorded[path.name], path.name
    for name, entry in lock.items():
        if name not in ours:
            assert recorded[entry["file_name"]] == entry["sha256"], name


def test_a_file_that_differs_from_the_lock_is_refused(tmp_path):
    """The verification can fail: a distribution whose numpy wheel is not the locked one."""
    assert PYODIDE.exists(), NOT_BUILT
    dist = tmp_path / "dist"
    dist.mkdir()
    for name in lite_build.CORE:
        shutil.copy2(PYODIDE / name, dist / name)
    lock = json.loads((PYODIDE / "pyodide-lock.json").read_text())
    lock["info"]["version"] = "0.27.7"
    (dist / "pyodide-lock.json").write_text(json.dumps(lock))
    for entry in lock["packages"].values():
        if (PYODIDE / entry["file_name"]).exists():
            shutil.copy2(PYODIDE / entry["file_name"], dist / entry["file_name"])
    numpy = dist / lock["packages"]["numpy"]["file_name"]
    numpy.write_bytes(numpy.read_bytes() + b"\0")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(lite_build.Unavailable, match="numpy-2.0.2.*differs from its lock"):
        lite_build.stage_from_distribution(dist, out)


def test_every_chapter_page_has_the_button():
    assert (LITE / "jupyter-lite.json").exists(), NOT_BUILT
    for name in CHAPTERS:
        page = (HTML / "book" / name).with_suffix(".html").read_text()
        links = re.findall(r'href="([^"]*lite/notebooks/index\.html\?path=[^"]*)"', page)
        assert links == [f"../lite/notebooks/index.html?path=book/{name}"], (name, links)


# ---- running the chapters in the browser -------------------------------------------------------

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
ROUND_OFF = re.compile(r"\b\d(\.\d+)?e-(0?9|[1-9]\d)\b")  # as tests/nbval_sanitize.cfg


def last_digit(token: str) -> float:
    """The value of one unit in the last printed digit of a number token."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 10.0 ** (int(exponent or 0) - decimals)


def same_up_to_last_digits(stored: str, fresh: str) -> bool:
    """Equal text, and numbers that differ by at most a few units of their last printed digit."""
    stored, fresh = ROUND_OFF.sub("<round-off>", stored), ROUND_OFF.sub("<round-off>", fresh)
    if NUMBER.sub("#", stored) != NUMBER.sub("#", fresh):
        return False
    for a, b in zip(NUMBER.findall(stored), NUMBER.findall(fresh)):
        if a == b:
            continue
        if "." not in a + b and "e" not in (a + b).lower():
            return False  # integers (counts, sizes, steps) must be exact
        if abs(float(a) - float(b)) > 2 * max(last_digit(a), last_digit(b)):
            return False
    return True


def printed(outputs) -> tuple[str, int]:
    """What a cell prints (streams and plain-text results) and how many figures it draws."""
    text, figures = [], 0
    for out in outputs:
        if out["output_type"] == "stream" and out["name"] == "stdout":
            text.append("".join(out["text"]))
        elif out["output_type"] in ("execute_result", "display_data"):
            data = out.get("data", {})
            if "image/png" in data:
                figures += 1
            elif "text/plain" in data:
                text.append("".join(data["text/plain"]))
    return "".join(text), figures


def within_native_spread(stored: str, fresh: str, alternatives) -> bool:
    """Equal text, and every number no further from the stored one than under some native arithmetic.

    ``alternatives`` are what the same cell printed natively under other
    arithmetic (tools/arithmetic_spread.py). A number may differ from the
    stored one by as much as it differs in one of them, or else by a few
    units of its last digit (integers then exactly), as in
    :func:`same_up_to_last_digits`.
    """
    def numbers(text):
        text = ROUND_OFF.sub("<round-off>", text)
        return NUMBER.sub("#", text), NUMBER.findall(text)

    (pattern, old), (fresh_pattern, new) = numbers(stored), numbers(fresh)
    if fresh_pattern != pattern:
        return False
    others = [n for p, n in map(numbers, alternatives) if p == pattern]
    for j, (a, b) in enumerate(zip(old, new)):
        if a == b:
            continue
        spread = max((abs(float(n[j]) - float(a)) for n in others), default=0.0)
        if abs(float(b) - float(a)) <= spread:
            continue
        if "." not in a + b and "e" not in (a + b).lower():
            return False
        if abs(float(a) - float(b)) > 2 * max(last_digit(a), last_digit(b)):
            return False
    return True


def test_the_comparison_tolerates_only_the_last_digits():
    assert same_up_to_last_digits("cost 0.0771 after 49 passes", "cost 0.0772 after 49 passes")
    assert not same_up_to_last_digits("cost 0.0771", "cost 0.0781")
    assert not same_up_to_last_digits("after 49 passes", "after 48 passes")
    assert not same_up_to_last_digits("rel. error 3.2e-05", "rel. error 4.2e-05")
    assert same_up_to_last_digits("rel. error 3.2e-10", "rel. error 7.9e-11")  # round-off level
    assert not same_up_to_last_digits("passed", "failed")


@pytest.fixture(scope="module")
def site():
    assert (LITE / "jupyter-lite.json").exists(), NOT_BUILT
    server, url = serve_in_thread(HTML)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


CURRENT = "window.jupyterapp && window.jupyterapp.shell.currentWidget"
KERNEL_IDLE = f"""() => {{
    const w = {CURRENT};
    const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    return !!k && k.status === 'idle';
}}"""
# Run All is over when every code cell has run, or when one stopped it with an error
ALL_RUN = f"""() => {{
    const w = {CURRENT};
    const k = w.sessionContext.session.kernel;
    const code = w.content.widgets.filter(c => c.model.type === 'code' && c.model.sharedModel.getSource().trim());
    const failed = code.some(c => c.model.outputs.toJSON().some(o => o.output_type === 'error'));
    return k.status === 'idle' && (failed || code.every(c => c.model.executionCount !== null));
}}"""


def run_in_browser(browser, site, chapter):
    """Open the chapter, follow its button, Run All; return (code cells as JSON, requests, seconds).

    Each chapter gets a fresh browser profile, as a first-time reader's.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requests = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.goto(f"{site}/book/{chapter[:-6]}.html")
    with context.expect_page() as opened:
        page.click("a.btn-run-in-browser-button")
    lab = opened.value
    lab.wait_for_function(KERNEL_IDLE, timeout=180_000, polling=500)
    start = time.perf_counter()
    lab.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    lab.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    lab.wait_for_function(ALL_RUN, timeout=900_000, polling=1000)
    seconds = time.perf_counter() - start
    cells = lab.evaluate(
        f"() => {CURRENT}.content.widgets.filter(c => c.model.type === 'code').map(c => c.model.toJSON())"
    )
    context.close()
    return cells, requests, seconds


def record_time(chapter: str, seconds: float) -> None:
    times = json.loads(TIMES.read_text()) if TIMES.exists() else {}
    times[chapter] = round(seconds, 1)
    TIMES.write_text(json.dumps(times, indent=1, sort_keys=True))


# Printed numbers that the last bits of the arithmetic move by more than their
# last digit: the ends of long training runs, the step at which a run
# overflows, float32 round-off. tools/arithmetic_spread.py runs chapters 6 to 8
# natively under other, equally correct arithmetic (other OpenBLAS kernels,
# numpy's AVX-512 code) and records what each such cell prints there; in the
# browser (numpy without OpenBLAS, another libm) a number of these cells may
# differ from the stored one by as much as it does natively under one of
# them, and no more. tests/test_arithmetic_spread.py reruns the record.
SPREAD = json.loads((ROOT / "tests" / "lite_arithmetic_spread.json").read_text())["chapters"]


def test_the_spread_is_measured_on_cells_that_exist():
    for chapter, cells in SPREAD.items():
        stored = {c.id: c for c in nbformat.read(ROOT / "book" / chapter, as_version=4).cells}
        for cell_id, alternatives in cells.items():
            assert cell_id in stored, (chapter, cell_id)
            text, _ = printed(stored[cell_id].outputs)
            assert alternatives and all(a != text for a in alternatives.values()), (chapter, cell_id)


def test_the_comparison_tolerates_only_the_native_spread():
    """On the record of chapter 6: the divergence step may move as natively; nothing else may."""
    cell = nbformat.read(ROOT / "book" / "06_training.ipynb", as_version=4).cells
    cell = next(c for c in cell if c.get("id") == "cell-018")
    stored, _ = printed(cell.outputs)
    others = list(SPREAD["06_training.ipynb"]["cell-018"].values())
    step = int(re.search(r"diverged at step (\d+)", stored)[1])
    native = [int(re.search(r"diverged at step (\d+)", o)[1]) for o in others]
    widest = max(abs(n - step) for n in native)
    assert widest > 2  # more than the last digits
    for moved in (step - widest, step + widest):
        fresh = stored.replace(f"step {step}", f"step {moved}")
        assert within_native_spread(stored, fresh, others)
        assert not same_up_to_last_digits(stored, fresh)
    for moved in (step - widest - 1, step + widest + 1):  # beyond any native arithmetic
        assert not within_native_spread(stored, stored.replace(f"step {step}", f"step {moved}"), others)
    first = re.search(r"(\d+\.\d) -> ", stored)[1]  # a number that no native variant moved
    wrong = stored.replace(f"{first} -> ", f"{float(first) + 0.3:.1f} -> ")
    assert wrong != stored and not within_native_spread(stored, wrong, others)
    assert not within_native_spread(stored, stored.replace("diverged", "converged"), others)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_in_the_browser(browser, site, chapter):
    cells, requests, seconds = run_in_browser(browser, site, chapter)
    record_time(chapter, seconds)
    stored = [c for c in nbformat.read(ROOT / "book" / chapter, as_version=4).cells if c.cell_type == "code"]
    assert len(cells) == len(stored)
    spread = SPREAD.get(chapter, {})
    problems, differences = [], []
    for i, (fresh, old) in enumerate(zip(cells, stored)):
        for out in fresh.get("outputs", []):
            if out["output_type"] == "error":
                problems.append(f"cell {i}: {out['ename']}: {out['evalue'][:300]}")
        (new_text, new_figures), (old_text, old_figures) = printed(fresh.get("outputs", [])), printed(old.outputs)
        if new_figures != old_figures:
            problems.append(f"cell {i}: {new_figures} figures drawn, {old_figures} stored")
        if "NBVAL_IGNORE_OUTPUT" in old.source:
            continue
        if old.id in spread:
            same = within_native_spread(old_text, new_text, spread[old.id].values())
        else:
            same = same_up_to_last_digits(old_text, new_text)
        if not same:
            differences.append(f"cell {i} prints\n{new_text[:800]}\nbut the notebook stores\n{old_text[:800]}")
    outside = external_requests(requests, site)
    assert not outside, f"requests off 127.0.0.1: {outside[:5]}"
    assert not problems, f"{chapter} in the browser ({seconds:.0f} s):\n" + "\n".join(problems)
    assert not differences, f"{chapter} in the browser ({seconds:.0f} s):\n" + "\n".join(differences)
