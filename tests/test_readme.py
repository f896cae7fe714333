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
