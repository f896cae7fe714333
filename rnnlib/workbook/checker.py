"""check(name, fn): run a learner's function, compare it with the library, name the mistake.

The checker calls the learner's function on the exercise's random problems
and compares every returned array with the library's answer.  When an
answer differs it reports where it first differs (which output, which
timestep, which index), then runs every catalogued mistake that the exercise
can show on the same problems: if the learner's answers are exactly those of
one mistake, it names it; of several, it names them all; of none, it says so
and names none.  Whatever the learner's code does (raise, return None, the
wrong shape, NaN), the checker returns a report instead of raising.
"""

from __future__ import annotations

import copy
import textwrap
import traceback
import warnings
from dataclasses import dataclass

import numpy as np

from .._checks import check_choice
from ..params import Params
from .exercises import EXERCISES, PARAM_NAMES, PARAM_SHAPES
from .mistakes import MISTAKES

__all__ = ["Report", "check", "RTOL", "ATOL"]

#: tolerances of the comparison (float64 arithmetic in another order agrees far closer)
RTOL, ATOL = 1e-8, 1e-10


@dataclass(frozen=True)
class Report:
    """What :func:`check` found.  Printing it shows the message.

    Attributes
    ----------
    exercise : str
    status : {"passed", "not implemented", "error", "wrong"}
    passed : bool
    mistake : str or None
        The key of :data:`rnnlib.workbook.MISTAKES` that the answers match,
        if exactly one does.
    candidates : tuple of str
        Every catalogued mistake the answers match (several when they cannot
        be told apart on these problems).
    message : str
    """

    exercise: str
    status: str
    passed: bool
    mistake: str | None
    candidates: tuple
    message: str

    def __str__(self):
        """The message, wrapped to fit a notebook's code column."""
        return "\n".join(textwrap.fill(line, 76, break_on_hyphens=False) for line in self.message.split("\n"))

    __repr__ = __str__


class _Bad(Exception):
    """A returned value that cannot be compared; its message says why."""

    def __init__(self, message, mistake=None):
        super().__init__(message)
        self.mistake = mistake


def _shape(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _sizes(out, problem):
    return tuple(int(eval(sym, {}, problem.sizes)) for sym in out.shape)  # symbols like "T+1"


def _as_array(value, out, problem, ex):
    expected = _sizes(out, problem)
    labels = f"{_shape(out.shape)} = {_shape(expected)}" if out.shape else "a number"
    if value is None:
        raise _Bad(f"{out.name} is None; expected {labels}.")
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise _Bad(f"{out.name}: expected an array of shape {labels}, received {type(value).__name__}.") from None
    if a.shape != expected:
        mistake, extra = None, ""
        if len(expected) == 2 and a.shape == expected[::-1] and expected[0] != expected[1]:
            extra = " That is the transposed shape: are the factors of a product (or an outer product) swapped?"
            mistake = "outer_product_reversed" if "outer_product_reversed" in ex.mistakes else None
        elif "T+1" in out.shape and a.ndim == len(expected) and a.shape[out.shape.index("T+1")] == problem.T:
            extra = " h keeps a row for h_0, so it has T + 1 rows."
        elif "T" in out.shape and a.ndim == len(expected) and a.shape[out.shape.index("T")] == problem.T + 1:
            extra = " Only h has a row for time 0; this output has one row per t = 1, ..., T."
        raise _Bad(f"{out.name}: expected shape {labels}, received {_shape(a.shape)}.{extra}", mistake)
    return a


def _unpack(result, ex, problem):
    """The returned value as a list of float arrays in the order of ex.outputs."""
    outs = ex.outputs
    if result is None:
        raise _Bad("It returned None: is a `return` statement missing?")
    if ex.structure == "single":
        values = [result]
    elif ex.structure == "params":
        values = _params_values(result, "")
    else:
        want = 2 if ex.structure == "cost_params" else len(outs)
        if not isinstance(result, (tuple, list)) or len(result) != want:
            got = f"a {type(result).__name__} of length {len(result)}" if isinstance(result, (tuple, list)) else (
                f"an object of type {type(result).__name__}"
            )
            names = "C, new params" if ex.structure == "cost_params" else ", ".join(o.name for o in outs)
            raise _Bad(f"It returned {got}; expected a tuple of {want}: ({names}).")
        values = [result[0]] + _params_values(result[1], "new params: ") if ex.structure == "cost_params" else result
    return [_as_array(v, o, problem, ex) for v, o in zip(values, outs)]


def _params_values(result, prefix):
    if isinstance(result, Params):
        return list(result)
    if isinstance(result, (tuple, list)) and len(result) == 5:
        return list(result)
    got = f"a {type(result).__name__} of length {len(result)}" if isinstance(result, (tuple, list)) else (
        type(result).__name__
    )
    raise _Bad(f"{prefix}expected rnnlib.Params (or 5 arrays W_xh, W_hh, W_hy, b_h, b_y), received {got}.")


def _where(out, problem, index):
    """'t = 3, index [2, 1]', with the numpy index and the time it stands for."""
    parts = []
    for sym, i in zip(out.shape, index):
        if sym == "T+1":
            parts.append(f"t = {i}")
        elif sym == "T":
            parts.append(f"t = {i + 1}")
        elif sym == "N":
            parts.append(f"sequence {i}")
    idx = "[" + ", ".join(str(i) for i in index) + "]"
    if out.name == "v":
        parts.append(_v_entry(index[0], problem))
    return ", ".join(parts + [f"{out.name}{idx}" if index else out.name])


def _v_entry(i, problem):
    start = 0
    for name, shape in zip(PARAM_NAMES, PARAM_SHAPES):
        sizes = tuple(problem.sizes[s] for s in shape)
        size = int(np.prod(sizes))
        if i < start + size:
            local = np.unravel_index(i - start, sizes)
            return f"the place of {name}[{', '.join(str(int(j)) for j in local)}]"
        start += size
    return ""


def _first_difference(got, want, ex, problem):
    """(output, index, time) of the earliest difference, or None if all agree."""
    found = []
    for o, a, b in zip(ex.outputs, got, want):
        bad = ~np.isclose(a, b, rtol=RTOL, atol=ATOL)
        if np.any(bad):
            bad_at = np.argwhere(bad)
            if o.backward:  # the earliest in the recursion: the latest row, its first entry
                bad_at = bad_at[bad_at[:, 0] == bad_at[:, 0].max()]
            index = tuple(int(i) for i in bad_at[0]) if a.ndim else ()
            t = next((index[j] + (sym == "T") for j, sym in enumerate(o.shape) if sym in ("T", "T+1")), None)
            found.append((o, index, -t if o.backward and t is not None else t))
    if not found:
        return None
    timed = [f for f in found if f[2] is not None]
    return min(timed, key=lambda f: f[2]) if timed else found[0]


def _quiet(call):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return call()


def _snapshot(args):
    return [copy.deepcopy(a) if isinstance(a, (np.ndarray, Params)) else None for a in args]


def _changed(args, before, signature):
    names = signature[signature.index("(") + 1 : -1].split(", ")
    for name, a, b in zip(names, args, before):
        if b is None:
            continue
        pairs = a.items() if isinstance(a, Params) else [("", a)]
        for (part, x), y in zip(pairs, b if isinstance(b, Params) else [b]):
            if not np.array_equal(x, y, equal_nan=True):
                return name.split("=")[0] + (f".{part}" if part else "")
    return None


def _line_of_learner(exc):
    """'line 7: z = W_hh @ h' for the last frame of the learner's code."""
    frames = [
        fr
        for fr in traceback.extract_tb(exc.__traceback__)
        if "rnnlib" not in fr.filename.replace("\\", "/").split("/")[-3:-1]
        and "/numpy/" not in fr.filename.replace("\\", "/")
        and fr.name != "_run"
    ]
    if not frames:
        return ""
    fr = frames[-1]
    return f" (in {fr.name}, line {fr.lineno}: {fr.line.strip()})" if fr.line else f" (in {fr.name})"


def check(name, fn) -> Report:
    """Check a learner's implementation of one exercise of the workbook.

    Parameters
    ----------
    name : str
        A key of :data:`rnnlib.workbook.EXERCISES`, e.g. ``"forward_step"``.
    fn : callable
        The learner's function, with the exercise's signature.

    Returns
    -------
    Report
        ``passed``, ``mistake`` (a key of :data:`rnnlib.workbook.MISTAKES`
        or None) and ``message``; printing the report prints the message.

    Notes
    -----
    The function runs on every problem of ``EXERCISES[name].problems()``
    (fixed seeds, so every call sees the same problems).  Exceptions,
    None, wrong types and shapes, NaN and changed inputs are reported, never
    raised.  Only an unknown ``name`` raises (ValueError).
    """
    check_choice("name", name, tuple(EXERCISES))  # a str key, or a ValueError naming it
    ex = EXERCISES[name]

    def report(status, message, mistake=None, candidates=()):
        return Report(name, status, status == "passed", mistake, tuple(candidates), f"{name}: {message}")

    if not callable(fn):
        return report("error", f"expected a function, received {type(fn).__name__}.")
    problems = ex.problems()
    total = len(problems)
    answers, first = [], None
    wrong_outputs = set()
    for number, p in enumerate(problems, start=1):
        where = f"problem {number} of {total} ({p.describe(ex.keys)})"
        args = ex.args(p)
        before = _snapshot(args)
        try:
            result = _quiet(lambda: fn(*args))
        except NotImplementedError:
            if number == 1:
                return report(
                    "not implemented",
                    "not implemented yet (the function raises NotImplementedError). "
                    "Replace `raise NotImplementedError` with your code and run both cells again.",
                )
            return report("not implemented", f"raises NotImplementedError on {where}.")
        except Exception as exc:  # the learner's code may raise anything
            text = f"{type(exc).__name__}: {exc}{_line_of_learner(exc)}"
            hint = ""
            if "matmul" in str(exc) or "not aligned" in str(exc) or "broadcast" in str(exc):
                hint = " Shapes that do not fit a product often mean a missing or extra transpose."
            return report("error", f"raised {text} on {where}. Expected outputs: {_expected_shapes(ex, p)}.{hint}")
        changed = _changed(args, before, ex.signature)
        if changed:
            return report(
                "error", f"changed its argument {changed} in place on {where}; compute new arrays instead."
            )
        try:
            got = _unpack(result, ex, p)
        except _Bad as bad:
            m = bad.mistake
            text = f"wrong output on {where}: {bad} Expected outputs: {_expected_shapes(ex, p)}."
            if m:
                text += f"\nThis looks like the catalogued mistake '{m}': {MISTAKES[m].description}"
                text += f"\nHint: {MISTAKES[m].hint}"
            return report("wrong", text, m, (m,) if m else ())
        for o, a in zip(ex.outputs, got):
            if not np.all(np.isfinite(a)):
                index = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0]) if a.ndim else ()
                kind = "NaN" if np.isnan(a[index]) else "inf"
                return report(
                    "wrong",
                    f"{o.name} contains {kind} on {where}, first at {_where(o, p, index)}. "
                    f"Look for an array that is never filled (np.empty) or an overflow.",
                )
        want = _unpack(_quiet(lambda: ex.expected(p)), ex, p)
        diff = _first_difference(got, want, ex, p)
        wrong_outputs |= {o.name for o, a, b in zip(ex.outputs, got, want) if not _close(a, b)}
        if diff is not None and first is None:
            o, index, _ = diff
            i = ex.outputs.index(o)
            first = (o, number, where, index, got[i][index], want[i][index])
        answers.append(got)

    if first is None:
        return report("passed", f"passed on all {total} problems ({_coverage(ex, problems)}).")
    o, number, where, index, received, expected = first
    small = abs(received - expected) <= 1e-5 * abs(expected)
    digits = ".12g" if small else ".6g"
    message = (
        f"wrong. {o.name} first differs on {where}, at {_where(o, problems[number - 1], index)}: "
        f"expected {expected:{digits}}, received {received:{digits}}."
    )
    if small:
        message += " The two agree to about five digits: is something rounded or computed in float32?"
    if len(ex.outputs) > 1:
        right = [o.name for o in ex.outputs if o.name not in wrong_outputs]
        message += " Wrong: " + ", ".join(o.name for o in ex.outputs if o.name in wrong_outputs)
        message += f"; right on every problem: {', '.join(right)}." if right else "."
    matches = _matching_mistakes(ex, problems, answers)
    if len(matches) == 1:
        m = MISTAKES[matches[0]]
        message += f"\nThis is the catalogued mistake '{m.key}': {m.description}\nHint: {m.hint}"
        return report("wrong", message, m.key, matches)
    if matches:
        message += "\nThese answers match several catalogued mistakes, which these problems cannot tell apart: "
        message += "; ".join(f"'{k}' ({MISTAKES[k].description})" for k in matches)
        message += "\nHint: " + " / ".join(MISTAKES[k].hint for k in matches)
        return report("wrong", message, None, matches)
    message += "\nIt matches none of the catalogued mistakes."
    if not small:
        message += f" Look again at {ex.hints[o.name]}."
    return report("wrong", message)


def _close(a, b):
    return np.allclose(a, b, rtol=RTOL, atol=ATOL)


def _matching_mistakes(ex, problems, answers):
    matches = []
    for key in ex.mistakes:
        try:
            for p, got in zip(problems, answers):
                ref = _unpack(_quiet(lambda: ex.variant(p, key)), ex, p)
                if not all(_close(a, b) for a, b in zip(got, ref)):
                    break
            else:
                matches.append(key)
        except _Bad:
            continue
    return matches


def _expected_shapes(ex, p):
    return ", ".join(f"{o.name} {_shape(_sizes(o, p))}" if o.shape else f"{o.name} (a number)" for o in ex.outputs)


def _coverage(ex, problems):
    parts = []
    for s in ("T", "n", "N"):
        if s in ex.keys and any(p.sizes[s] == 1 for p in problems):
            parts.append(f"{s} = 1")
    text = ", ".join(parts) + " included" if parts else ""
    for key in ("f", "g", "loss"):
        if key in ex.keys:
            values = dict.fromkeys(getattr(p, key) for p in problems)
            text += ("; " if text else "") + f"{key} in {', '.join(values)}"
    return text
