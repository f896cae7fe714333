"""The README's example runs and does what its comments say."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_readme_example_runs(capsys):
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has no python example"
    namespace = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    check = namespace["check"]
    assert check.max_rel_error < 1e-7
    history = namespace["history"]
    assert history.loss[-1] < history.loss[0] / 10
    assert namespace["cache"].h.shape == (64, 13, 16)


def test_readme_performance_sentence_matches_the_stored_results():
    """The README's numbers on performance are those of benchmarks/results/results.json, and name the machine."""
    import importlib.util
    import json
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
        run = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(run)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    results = json.loads((ROOT / "benchmarks" / "results" / "results.json").read_text())
    sentence = " ".join(run.readme_sentence(results).split())
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert sentence in readme, f"README.md should say (benchmarks/run.py --update-readme writes it): {sentence}"
    assert "book/11_performance.ipynb" in readme
