"""The book's helpers: figures draw what they should, sources show the library's code."""

import inspect

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import rnnlib  # noqa: E402
from rnnlib import plots  # noqa: E402
from rnnlib.display import show_source  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def test_draw_unrolled_has_one_column_per_step(ax):
    assert plots.draw_unrolled(ax, T=3) is ax
    labels = {t.get_text() for t in ax.texts}
    assert {r"$\mathbf{x}_3$", r"$\mathbf{h}_0$", r"$\mathbf{y}_1$", r"$\mathbf{h}_t$"} <= labels
    assert r"$\mathbf{x}_4$" not in labels
    assert sum(t.get_text() == "$W_{hh}$" for t in ax.texts) == 1 + 3  # the loop, then one per step
    with pytest.raises(ValueError, match="T: expected an integer >= 1, got 0"):
        plots.draw_unrolled(ax, T=0)


def test_plot_hidden_states(ax):
    h = np.linspace(-1, 1, 12).reshape(4, 3)
    assert plots.plot_hidden_states(ax, h) is ax
    image = ax.images[0].get_array()
    assert image.shape == (3, 4)  # units down, time across
    with pytest.raises(ValueError, match=r"h: expected shape \(T\+1, n\)"):
        plots.plot_hidden_states(ax, np.zeros((2, 3, 4)))


def test_plot_curves_and_sequence(ax):
    plots.plot_curves(ax, {"a": [3, 2, 1], "b": [1, 1, 1]})
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    fig, ax2 = plt.subplots()
    plots.plot_sequence(ax2, x=[1, 2, 3], target=[2, 3, 4])
    assert [line.get_label() for line in ax2.lines] == ["input", "target"]
    assert list(ax2.lines[0].get_xdata()) == [1, 2, 3]  # timesteps start at 1
    plt.close(fig)


def test_show_source_is_the_library_code():
    from rnnlib.reference import forward_matrix

    src = show_source(forward_matrix)
    original = inspect.getsource(forward_matrix).splitlines()
    assert all(line in original for line in repr(src).splitlines())
    assert '"""' not in repr(src) and "for t in range(1, T + 1):" in repr(src)
    assert show_source(forward_matrix, docstring=True).code.count('"""') == 2
    loop = show_source(forward_matrix, start="for t in", stop="eq. (3.8)")
    assert loop.code.splitlines()[0] == "for t in range(1, T + 1):" and len(loop.code.splitlines()) == 3
    assert loop._repr_markdown_().startswith("```python\n")
    with pytest.raises(ValueError, match="start: no line of forward contains 'nothing here'"):
        show_source(rnnlib.forward, start="nothing here")


def test_draw_backward_shows_every_message(ax):
    assert plots.draw_backward(ax, T=3) is ax
    labels = {t.get_text() for t in ax.texts}
    assert {r"$C_{3}$", r"$\mathbf{o}_{1}$", r"$\mathbf{z}_{2}$", r"$\mathbf{e}_{3}$", r"$W_{hy}^\top\mathbf{e}_{2}$"} <= labels
    assert {r"$W_{hh}^\top\boldsymbol{\delta}_{2}$", r"$\odot f'(\mathbf{z}_{1})$", r"$\boldsymbol{\delta}_{4} = \mathbf{0}$"} <= labels
    assert r"$C_{4}$" not in labels
    with pytest.raises(ValueError, match="T: expected an integer >= 1, got 0"):
        plots.draw_backward(ax, T=0)


def test_reference_lines_draw_each_baseline_and_refuse_bad_levels(ax):
    plots.reference_lines(ax, {"persistence": 0.3, "linear": 0.05})
    assert [line.get_ydata()[0] for line in ax.lines] == [0.3, 0.05]
    assert [t.get_text() for t in ax.texts] == ["persistence", "linear"]
    assert ax.get_ylim()[0] <= 0.05 / 1.6  # room for the lowest label
    with pytest.raises(TypeError, match="levels: expected a dict"):
        plots.reference_lines(ax, [0.3])
    with pytest.raises(ValueError, match="levels: expected one or two baselines, got 3"):
        plots.reference_lines(ax, {"a": 1.0, "b": 2.0, "c": 3.0})
    with pytest.raises(ValueError, match=r"levels\['a'\]: expected a finite number > 0"):
        plots.reference_lines(ax, {"a": float("nan")})
