"""Figures for the book.  Each helper draws on a matplotlib Axes it is given and returns it.

Needs matplotlib (``pip install rnnlib[plots]``); the rest of rnnlib does not.
"""

from __future__ import annotations

import numpy as np

from ._checks import _shape_str, as_float_array, check_finite, check_int, check_positive

__all__ = ["use_book_style", "draw_unrolled", "plot_hidden_states", "plot_curves", "plot_sequence", "draw_backward"]

#: colours used consistently across the book
COLORS = {"x": "#4c72b0", "h": "#55a868", "y": "#c44e52", "target": "#8172b2", "grey": "#7f7f7f"}


def use_book_style() -> None:
    """Matplotlib settings shared by every chapter: PNG output, modest size, no top and right spines."""
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 3.4),
            "figure.dpi": 96,
            "savefig.dpi": 96,
            "font.size": 10,
            "axes.titlesize": 10,
            "axes.labelsize": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            "image.cmap": "RdBu_r",
            "svg.hashsalt": "rnnlib",  # deterministic ids, should an SVG ever be written
        }
    )
    try:  # inline figures as PNG: nbval compares SVG outputs byte for byte
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except ImportError:  # pragma: no cover - outside Jupyter
        pass


def _check_ax(ax):
    """Raise TypeError unless ``ax`` is a matplotlib Axes."""
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        what = f"the class {ax.__name__}" if isinstance(ax, type) else type(ax).__name__
        raise TypeError(f"ax: expected a matplotlib Axes (e.g. from plt.subplots()), got {what}")
    return ax


#: the most timesteps a diagram draws (one column each; the book draws 3)
MAX_DRAWN_STEPS = 8


def _check_steps(T) -> int:
    T = check_int("T", T)
    if T > MAX_DRAWN_STEPS:
        raise ValueError(f"T: expected an integer in [1, {MAX_DRAWN_STEPS}] (one column per step), got {T}")
    return T


def _box(ax, xy, text, color, width=0.8, height=0.5):
    from matplotlib.patches import FancyBboxPatch

    x, y = xy
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2), width, height,
            boxstyle="round,pad=0.04,rounding_size=0.12", facecolor=color, alpha=0.18, edgecolor=color, lw=1.5,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=14)


#: font size of the weight labels on the arrows of :func:`draw_unrolled`
LABEL_SIZE = 12


def _arrow(ax, start, end, label=None, label_offset=(0.0, 0.0), color="#333333", **kw):
    ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="-|>", color=color, lw=1.3, shrinkA=0, shrinkB=0, **kw))
    if label:
        mx, my = (start[0] + end[0]) / 2 + label_offset[0], (start[1] + end[1]) / 2 + label_offset[1]
        ax.text(mx, my, label, ha="center", va="center", fontsize=LABEL_SIZE, color=color)


def draw_unrolled(ax, T: int = 3):
    """The RNN folded (a loop) and unrolled through time, t = 1..T, with h_0 = 0.

    Each column is one timestep: x_t enters through W_xh, h_{t-1} arrives
    through W_hh, and y_t leaves through W_hy.  The same three matrices
    appear in every column: the unrolled network is an MLP whose layers share
    their weights.  In the folded picture the loop carries h_t out of the
    layer and back in as h_{t-1} of the next step.
    """
    _check_ax(ax)
    T = _check_steps(T)
    rows = {"y": 2.3, "h": 1.15, "x": 0.0}
    off = (0.45, 0)  # weight labels to the right of the vertical arrows
    # folded network on the left
    fx = -2.2
    _box(ax, (fx, rows["x"]), r"$\mathbf{x}_t$", COLORS["x"])
    _box(ax, (fx, rows["h"]), r"$\mathbf{h}_t$", COLORS["h"])
    _box(ax, (fx, rows["y"]), r"$\mathbf{y}_t$", COLORS["y"])
    _arrow(ax, (fx, rows["x"] + 0.25), (fx, rows["h"] - 0.25), r"$W_{xh}$", off)
    _arrow(ax, (fx, rows["h"] + 0.25), (fx, rows["y"] - 0.25), r"$W_{hy}$", off)
    # the recurrent loop: out of the top of h_t, round to the left, back in at its left side
    left, top = fx - 0.9, rows["h"] + 0.6
    loop_x, loop_y = [fx - 0.2, fx - 0.2, left, left], [rows["h"] + 0.29, top, top, rows["h"]]
    ax.plot(loop_x, loop_y, color="#333333", lw=1.3)
    _arrow(ax, (left, rows["h"]), (fx - 0.43, rows["h"]))
    ax.text(left - 0.1, rows["h"] + 0.3, r"$W_{hh}$", ha="right", va="center", fontsize=LABEL_SIZE)
    ax.text(-0.95, rows["h"], "=", ha="center", va="center", fontsize=20)
    # unrolled network on the right
    _box(ax, (0.2, rows["h"]), r"$\mathbf{h}_0$", COLORS["grey"], width=0.6)
    ax.text(
        0.2, rows["h"] - 0.5, r"$= \mathbf{0}$", ha="center", va="center", fontsize=LABEL_SIZE, color=COLORS["grey"]
    )
    for t in range(1, T + 1):
        cx = 0.2 + 1.8 * t
        _box(ax, (cx, rows["x"]), rf"$\mathbf{{x}}_{t}$", COLORS["x"])
        _box(ax, (cx, rows["h"]), rf"$\mathbf{{h}}_{t}$", COLORS["h"])
        _box(ax, (cx, rows["y"]), rf"$\mathbf{{y}}_{t}$", COLORS["y"])
        _arrow(ax, (cx, rows["x"] + 0.25), (cx, rows["h"] - 0.25), r"$W_{xh}$", off)
        _arrow(ax, (cx, rows["h"] + 0.25), (cx, rows["y"] - 0.25), r"$W_{hy}$", off)
        start = cx - 1.8 + (0.3 if t == 1 else 0.43)
        _arrow(ax, (start, rows["h"]), (cx - 0.4, rows["h"]), r"$W_{hh}$", (0, 0.24))
    ax.text(0.2 + 1.8 * (T + 1) - 0.9, rows["h"], r"$\cdots$", ha="center", va="center", fontsize=16)
    ax.set_xlim(-3.7, 0.2 + 1.8 * (T + 1) - 0.6)
    ax.set_ylim(-0.35, 2.65)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def plot_hidden_states(ax, h, *, title: str | None = None, vmax: float | None = None, colorbar: bool = True):
    """Heatmap of hidden states: one row per unit, one column per timestep 0..T.

    Parameters
    ----------
    h : ndarray of shape (T+1, n)
        Hidden states h_0, ..., h_T of one sequence.
    """
    _check_ax(ax)
    h = as_float_array("h", h)
    if h.ndim != 2 or h.size == 0:
        raise ValueError(f"h: expected shape (T+1, n) for one sequence, with T + 1, n >= 1, got {_shape_str(h.shape)}")
    check_finite("h", h)
    vmax = float(np.max(np.abs(h))) if vmax is None else check_positive("vmax", vmax)
    image = ax.imshow(h.T, aspect="auto", interpolation="nearest", vmin=-vmax, vmax=vmax, cmap="RdBu_r")
    ax.set_xlabel("timestep t")
    ax.set_ylabel("hidden unit i")
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label=r"$h_i^{(t)}$", fraction=0.05, pad=0.02)
    return ax


def plot_curves(ax, curves: dict, *, xlabel: str = "step", ylabel: str = "cost", log: bool = True):
    """Line plot of several named curves (losses, gradient norms) against their index.

    Parameters
    ----------
    curves : dict of label -> array_like of shape (L,)
        One curve per entry, L >= 1 values each.  NaN marks a gap (a value
        not to be drawn); inf is refused, and so is a value <= 0 on the log
        scale (``log=True``), which the axis could not show.
    """
    _check_ax(ax)
    if not isinstance(curves, dict):
        raise TypeError(f"curves: expected a dict of label -> values, got {type(curves).__name__}")
    checked = {}
    for label, values in curves.items():
        name = f"curves[{label!r}]"
        values = as_float_array(name, values)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"{name}: expected a 1-D array of shape (L,) with L >= 1, got {_shape_str(values.shape)}")
        if np.any(np.isinf(values)):
            raise ValueError(f"{name}: expected finite values or NaN for a gap, got inf at index "
                             f"{int(np.argmax(np.isinf(values)))}")
        if log and np.any(values <= 0):  # a log axis would leave them out without a word
            i = int(np.argmax(values <= 0))
            raise ValueError(f"{name}: expected values > 0 on a log scale (log=False draws them), "
                             f"got {values[i]} at index {i}")
        checked[label] = values
    for label, values in checked.items():
        ax.plot(np.arange(len(values)), values, label=label, lw=1.4)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if len(curves) > 1:
        ax.legend()
    return ax


def plot_sequence(ax, x=None, y=None, target=None, *, labels=("input", "output", "target")):
    """One sequence against time: input x_t, output y_t and target for t = 1..T.

    Each of x, y, target is None or of shape (T,) or (T, 1) (one number per
    step, as ``cache.y`` of a network with k = 1), with the same T.
    """
    _check_ax(ax)
    given = {}
    for name, values in (("x", x), ("y", y), ("target", target)):
        if values is None:
            continue
        values = as_float_array(name, values)
        if values.ndim == 2 and values.shape[1:] == (1,):
            values = values[:, 0]
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"{name}: expected shape (T,) or (T, 1) with T >= 1, got {_shape_str(values.shape)}")
        check_finite(name, values)
        given[name] = values
    lengths = {name: v.size for name, v in given.items()}
    if len(set(lengths.values())) > 1:
        first = next(iter(lengths))
        other = next(name for name in lengths if lengths[name] != lengths[first])
        raise ValueError(f"{other}: expected T = {lengths[first]} steps like {first}, got {lengths[other]}")
    for values, label, color, style in (
        (given.get("x"), labels[0], COLORS["x"], "-"),
        (given.get("y"), labels[1], COLORS["y"], "-"),
        (given.get("target"), labels[2], COLORS["target"], "--"),
    ):
        if values is not None:
            ax.plot(np.arange(1, values.size + 1), values, style, color=color, label=label, lw=1.4)
    ax.set_xlabel("timestep t")
    ax.legend()
    return ax


def draw_backward(ax, T: int = 3):
    """The unrolled network with its per-step costs C_t and the messages of the backward pass.

    Forward connections are grey; the backward pass (red) starts from each
    C_t, brings e_t = dC_t/do_t down to o_t, W_hy^T e_t down to h_t, and
    W_hh^T delta_{t+1} back from z_{t+1}; multiplying their sum by f'(z_t)
    gives delta_t at z_t.  delta_{T+1} = 0 closes the recursion.
    """
    _check_ax(ax)
    T = _check_steps(T)
    red, grey = COLORS["y"], "#9a9a9a"
    rows = {"x": 0.0, "z": 1.5, "h": 3.0, "o": 4.5, "C": 6.0}
    dx, w, hgt = 4.0, 1.0, 0.6

    def fwd(start, end):
        ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="-|>", color=grey, lw=1.0, shrinkA=0, shrinkB=0))

    def bwd(start, end, label, where, rad=0.0):
        ax.annotate(
            "", xy=end, xytext=start,
            arrowprops=dict(arrowstyle="-|>", color=red, lw=1.6, shrinkA=0, shrinkB=0, connectionstyle=f"arc3,rad={rad}"),
        )
        ax.text(*where, label, ha="left", va="center", fontsize=11, color=red)

    _box(ax, (0.0, rows["h"]), r"$\mathbf{h}_0$", COLORS["grey"], width=w, height=hgt)
    for t in range(1, T + 1):
        c, nxt = dx * t, dx * (t + 1)
        for key, color in (("x", COLORS["x"]), ("z", COLORS["h"]), ("h", COLORS["h"]), ("o", COLORS["y"])):
            _box(ax, (c, rows[key]), rf"$\mathbf{{{key}}}_{{{t}}}$", color, width=w, height=hgt)
        _box(ax, (c, rows["C"]), rf"$C_{{{t}}}$", COLORS["target"], width=w, height=hgt)
        for lo, hi in (("x", "z"), ("z", "h"), ("h", "o"), ("o", "C")):  # forward, up the column
            fwd((c - 0.2, rows[lo] + hgt / 2), (c - 0.2, rows[hi] - hgt / 2))
        fwd((c - dx + w / 2, rows["h"] - hgt / 2), (c - w / 2, rows["z"] - 0.05))  # W_hh h_{t-1} into z_t
        for lo, hi, label in (  # backward, down the column
            ("o", "C", rf"$\mathbf{{e}}_{{{t}}}$"),
            ("h", "o", rf"$W_{{hy}}^\top\mathbf{{e}}_{{{t}}}$"),
            ("z", "h", rf"$\odot f'(\mathbf{{z}}_{{{t}}})$"),
        ):
            y_label = rows[lo] + 0.55 if lo == "z" else (rows[lo] + rows[hi]) / 2  # below the W_hh arrows
            bwd((c + 0.2, rows[hi] - hgt / 2), (c + 0.2, rows[lo] + hgt / 2), label, (c + 0.3, y_label))
        ax.text(c + w / 2 + 0.1, rows["z"] - 0.35, rf"$\boldsymbol{{\delta}}_{{{t}}}$", ha="left", va="center",
                fontsize=12, color=red)
        if t == T:  # nothing comes back from after step T
            ax.text(nxt, rows["z"], rf"$\boldsymbol{{\delta}}_{{{t + 1}}} = \mathbf{{0}}$", ha="center", va="center",
                    fontsize=11, color=red)
            start = (nxt - 0.6, rows["z"] + 0.2)
        else:
            start = (nxt - w / 2, rows["z"] + hgt / 2)
        bwd(start, (c + w / 2, rows["h"] - 0.05), rf"$W_{{hh}}^\top\boldsymbol{{\delta}}_{{{t + 1}}}$",
            (c + dx / 2 - 0.5, (rows["h"] + rows["z"]) / 2 + 0.55))
    ax.set_xlim(-0.6, dx * (T + 1) + 0.5)
    ax.set_ylim(rows["x"] - 0.5, rows["C"] + 0.4)
    ax.axis("off")
    return ax


# --- LSTM ---

__all__ += ["draw_lstm_cell"]


def _node(ax, xy, text, color, r=0.26):
    """A round node: a point-wise operation (x, +, tanh) on the LSTM's wires."""
    from matplotlib.patches import Circle

    ax.add_patch(Circle(xy, r, facecolor="white", edgecolor=color, lw=1.5, zorder=3))
    ax.text(*xy, text, ha="center", va="center", fontsize=12 if len(text) < 4 else 8, color=color, zorder=4)


def draw_lstm_cell(ax):
    """One step of the LSTM cell: the cell path along the top, the gates below it.

    c_{t-1} runs along the top through one multiplication by f_t and one
    addition of i_t * c~_t, and leaves as c_t: no weight matrix and no
    squashing on the way.  h_{t-1} and x_t together feed the four gate
    layers (sigma for f_t, i_t, o_t; tanh for c~_t); h_t = o_t * tanh(c_t)
    leaves to the right, to the next step, and upwards to the output layer.
    """
    grey, cell, gate = "#333333", COLORS["target"], COLORS["h"]
    top, mid, low = 3.0, 1.5, 0.0  # the cell path, the gate layers, the incoming wire
    ax.add_patch(
        __import__("matplotlib.patches", fromlist=["FancyBboxPatch"]).FancyBboxPatch(
            (0.0, -0.55), 7.95, 4.25, boxstyle="round,pad=0.05,rounding_size=0.3",
            facecolor="#f4f4f4", edgecolor="#bbbbbb", lw=1.0,
        )
    )

    def wire(points, color=grey, arrow=True):
        xs, ys = zip(*points)
        ax.plot(xs[:-1] + (xs[-1],), ys, color=color, lw=1.4, zorder=1)
        if arrow:
            (x0, y0), (x1, y1) = points[-2], points[-1]
            ax.annotate("", xy=(x1, y1), xytext=(x0 + 0.8 * (x1 - x0), y0 + 0.8 * (y1 - y0)),
                        arrowprops=dict(arrowstyle="-|>", color=color, lw=1.4, shrinkA=0, shrinkB=0), zorder=2)

    # the cell path: c_{t-1} -> (x f_t) -> (+ i_t c~_t) -> c_t
    xf, xplus, xtanh, xo = 1.6, 3.9, 6.2, 6.2
    wire([(-0.9, top), (xf - 0.26, top)], cell)
    wire([(xf + 0.26, top), (xplus - 0.26, top)], cell)
    wire([(xplus + 0.26, top), (9.0, top)], cell)
    _node(ax, (xf, top), r"$\times$", cell)
    _node(ax, (xplus, top), r"$+$", cell)
    ax.text(-1.0, top, r"$\mathbf{c}_{t-1}$", ha="right", va="center", fontsize=13)
    ax.text(9.1, top, r"$\mathbf{c}_{t}$", ha="left", va="center", fontsize=13)

    # the four gate layers, each reading [h_{t-1}, x_t]
    gates = [(1.6, r"$\sigma$", r"$\mathbf{f}_t$"), (3.0, r"$\sigma$", r"$\mathbf{i}_t$"),
             (3.9 + 0.9, "tanh", r"$\tilde{\mathbf{c}}_t$"), (xo, r"$\sigma$", r"$\mathbf{o}_t$")]
    xs = [g[0] for g in gates]
    wire([(-0.9, low), (xs[-1], low)], grey, arrow=False)  # h_{t-1} along the bottom
    wire([(xs[0] - 0.55, -1.25), (xs[0] - 0.55, low)], COLORS["x"], arrow=False)  # x_t joins it
    ax.plot([xs[0] - 0.55], [low], "o", color=grey, ms=4, zorder=3)
    ax.text(-1.0, low, r"$\mathbf{h}_{t-1}$", ha="right", va="center", fontsize=13)
    ax.text(xs[0] - 0.55, -1.45, r"$\mathbf{x}_{t}$", ha="center", va="top", fontsize=13)
    for x, act, label in gates:
        wire([(x, low), (x, mid - 0.3)], grey)
        _box(ax, (x, mid), act, gate, width=0.62, height=0.5)
        ax.texts[-1].set_fontsize(12 if act != "tanh" else 10)
        right = act == "tanh"  # the candidate's label goes right of its wire, clear of the i_t * c~_t wire
        ax.text(x + (0.12 if right else -0.1), mid + 0.55, label, ha="left" if right else "right", va="center",
                fontsize=12, color=gate)
    # f_t into the multiplication on the cell path
    wire([(xs[0], mid + 0.3), (xs[0], top - 0.26)], gate)
    # i_t and c~_t multiplied, then added to the cell path
    xm = xplus
    _node(ax, (xm, mid + 0.75), r"$\times$", gate)
    wire([(xs[1], mid + 0.3), (xs[1], mid + 0.75), (xm - 0.26, mid + 0.75)], gate)
    wire([(xs[2] - 0.15, mid + 0.25), (xs[2] - 0.15, mid + 0.75), (xm + 0.26, mid + 0.75)], gate)
    wire([(xm, mid + 1.01), (xm, top - 0.26)], gate)
    # h_t = o_t * tanh(c_t), out to the right (the next step) and up (the output layer)
    xh = 7.2
    wire([(xh, top), (xh, top - 0.45)], cell, arrow=False)
    ax.plot([xh], [top], "o", color=cell, ms=4, zorder=3)
    _node(ax, (xh, mid + 0.85), "tanh", cell, r=0.34)
    wire([(xh, top - 0.45), (xh, mid + 1.19)], cell)
    _node(ax, (xh, mid), r"$\times$", gate)
    wire([(xh, mid + 0.51), (xh, mid + 0.26)], cell)
    wire([(xo + 0.31, mid), (xh - 0.26, mid)], gate)
    wire([(xh + 0.26, mid), (9.0, mid)], COLORS["h"])
    ax.text(9.1, mid, r"$\mathbf{h}_{t}$", ha="left", va="center", fontsize=13)
    wire([(8.35, mid), (8.35, 4.35)], COLORS["h"])
    ax.plot([8.35], [mid], "o", color=COLORS["h"], ms=4, zorder=3)
    ax.text(8.35, 4.45, r"$\mathbf{y}_t = g(W_{hy}\mathbf{h}_t + \mathbf{b}_y)$",
            ha="center", va="bottom", fontsize=11)
    ax.set_xlim(-1.9, 9.9)
    ax.set_ylim(-1.9, 4.9)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


# --- GRU ---

__all__ += ["draw_gru_cell"]


def draw_gru_cell(ax):
    """One step of the GRU: the two gates, the candidate, and the path that carries h_{t-1} to h_t.

    The top line (green, thick) is the path h_t = z_t * h_{t-1} + ...: the
    previous state reaches the new one through one element-wise product with
    z_t, and no weight matrix or squashing function.  Below it, the reset
    gate r_t scales h_{t-1} before W_hh acts on it in the candidate h~_t, and
    (1 - z_t) * h~_t is added to the carried state.  Boxes are layers with
    their own weights (sigma or tanh of W_x* x_t + W_h* ... + b_*); circles are
    element-wise operations.
    """
    from matplotlib.patches import Circle

    green, red, blue, grey = COLORS["h"], COLORS["y"], COLORS["x"], "#333333"
    top = 5.0

    def line(points, color=grey, lw=1.3, arrow=True):
        xs, ys = zip(*points)
        ax.plot(xs[:-1] + (xs[-1],), ys, color=color, lw=lw, solid_capstyle="round", zorder=1)
        if arrow:
            ax.annotate("", xy=points[-1], xytext=points[-2],
                        arrowprops=dict(arrowstyle="-|>", color=color, lw=lw, shrinkA=0, shrinkB=0), zorder=1)

    def node(xy, text, color=grey, size=12):
        ax.add_patch(Circle(xy, 0.28, facecolor="white", edgecolor=color, lw=1.4, zorder=3))
        ax.text(*xy, text, ha="center", va="center", fontsize=size, zorder=4)

    def label(xy, text, color=grey, **kw):
        ax.text(*xy, text, fontsize=12, color=color, zorder=4, **kw)

    # the carried state: h_{t-1} -> (* z_t) -> (+) -> h_t
    line([(0.3, top), (4.0 - 0.28, top)], green, lw=2.6, arrow=False)
    line([(4.28, top), (6.5 - 0.28, top)], green, lw=2.6, arrow=False)
    line([(6.78, top), (8.9, top)], green, lw=2.6)
    label((0.0, top + 0.35), r"$\mathbf{h}_{t-1}$", green)
    label((8.95, top), r"$\mathbf{h}_t$", green, va="center")
    # h_t up to the output layer, as in draw_lstm_cell
    line([(8.2, top), (8.2, top + 1.0)], green)
    ax.plot([8.2], [top], "o", color=green, ms=4, zorder=3)
    ax.text(8.2, top + 1.1, r"$\mathbf{y}_t = g(W_{hy}\mathbf{h}_t + \mathbf{b}_y)$", ha="center", va="bottom",
            fontsize=11)
    node((4.0, top), r"$\odot$", green)
    node((6.5, top), r"$+$", green)

    # reset gate: r_t * h_{t-1}, then the candidate h~_t = tanh(W_xh x_t + W_hh (r_t * h_{t-1}) + b_h)
    _box(ax, (2.0, 1.7), r"$\sigma$", red, width=0.9, height=0.6)
    _box(ax, (4.0, 1.7), r"$\sigma$", red, width=0.9, height=0.6)
    _box(ax, (6.5, 3.0), r"$\tanh$", green, width=1.0, height=0.6)
    line([(1.0, top), (1.0, 3.0), (2.0 - 0.28, 3.0)])  # h_{t-1} down to the product with r_t
    line([(2.0, 2.0), (2.0, 3.0 - 0.28)], red)
    label((2.1, 2.35), r"$\mathbf{r}_t$", red)
    node((2.0, 3.0), r"$\odot$")
    line([(2.28, 3.0), (3.85, 3.0)], arrow=False)  # under the z_t line: a bridge
    line([(4.15, 3.0), (6.0, 3.0)])
    label((4.6, 3.1), r"$W_{hh}$", grey, va="bottom")
    # update gate: z_t to the carried state, 1 - z_t to the candidate
    line([(4.0, 2.0), (4.0, top - 0.28)], red)
    label((3.55, 2.35), r"$\mathbf{z}_t$", red)
    line([(4.0, 4.1), (5.0 - 0.28, 4.1)], red)
    node((5.0, 4.1), r"$1-$", red, size=9)
    line([(5.28, 4.1), (6.5 - 0.28, 4.1)], red)
    line([(6.5, 3.3), (6.5, 4.1 - 0.28)], green)
    label((6.3, 3.62), r"$\tilde{\mathbf{h}}_t$", green, ha="right", va="center")
    node((6.5, 4.1), r"$\odot$")
    line([(6.5, 4.38), (6.5, top - 0.28)])
    # what every box reads
    for x, what in ((2.0, r"$\mathbf{x}_t, \mathbf{h}_{t-1}$"), (4.0, r"$\mathbf{x}_t, \mathbf{h}_{t-1}$")):
        line([(x, 0.75), (x, 1.4)], blue)
        label((x, 0.5), what, blue, ha="center", va="center")
    line([(7.6, 1.7), (7.6, 3.0), (7.0, 3.0)], blue)
    label((7.6, 1.45), r"$\mathbf{x}_t$", blue, ha="center", va="center")
    ax.set_xlim(-0.2, 9.8)
    ax.set_ylim(0.1, 6.7)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


# --- training figures ---

__all__ += ["reference_lines"]


def reference_lines(ax, levels: dict):
    """Dashed horizontal lines at the costs of baselines, each labelled with its name.

    Parameters
    ----------
    ax : matplotlib Axes
        The axes of a cost curve; its y-limits are widened, if need be, so that
        the label under the lowest line stays inside.
    levels : dict of name -> float
        One or two baselines (for example persistence and linear
        extrapolation), each a finite number > 0 (cost axes are often
        logarithmic).  The first is drawn in a lighter grey than the second.
    """
    _check_ax(ax)
    if not isinstance(levels, dict):
        raise TypeError(f"levels: expected a dict of name -> level, got {type(levels).__name__}")
    if not 1 <= len(levels) <= 2:
        raise ValueError(f"levels: expected one or two baselines, got {len(levels)}")
    checked = {}
    for name, level in levels.items():
        checked[name] = check_positive(f"levels[{name!r}]", level)
    for (name, level), color in zip(checked.items(), ("0.45", "0.2")):
        ax.axhline(level, ls="--", lw=1, color=color, zorder=1)
        ax.annotate(name, (0.2, level), xycoords=("axes fraction", "data"), xytext=(0, -2),
                    textcoords="offset points", ha="left", va="top", fontsize=9, color=color)
    bottom, top = ax.get_ylim()  # room for the label under the lowest line (log axis)
    ax.set_ylim(min(bottom, min(checked.values()) / 1.6), top)
    return ax
