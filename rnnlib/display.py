"""Showing the library's own source in the book, so a page cannot drift from the code."""

from __future__ import annotations

import ast
import inspect
import math
import numbers
import textwrap

__all__ = ["show_source", "Source", "glue"]


class Source:
    """Python source that a notebook displays as a highlighted code block."""

    def __init__(self, code: str):
        self.code = code

    def _repr_markdown_(self) -> str:
        return f"```python\n{self.code}\n```"

    def __repr__(self) -> str:
        return self.code


def _without_docstring(src: str) -> str:
    tree = ast.parse(src)
    node = tree.body[0]
    body = getattr(node, "body", [])
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        if isinstance(body[0].value.value, str):
            lines = src.splitlines()
            first, last = body[0].lineno - 1, body[0].end_lineno  # 1-based, inclusive end
            return "\n".join(lines[:first] + lines[last:])
    return src


def show_source(obj, *, docstring: bool = False, start: str | None = None, stop: str | None = None) -> Source:
    """The source of a function or class of rnnlib, ready to display.

    Parameters
    ----------
    obj : function or class
    docstring : bool
        Keep the docstring (dropped by default: the book's prose explains).
    start, stop : str, optional
        Show only the lines from the first one containing ``start`` to the
        first one after it containing ``stop`` (both included).

    Returns
    -------
    Source
        Displays as a Python code block; its ``repr`` is the code itself.
    """
    if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj)):
        raise TypeError(f"obj: expected a function or class of rnnlib, got {type(obj).__name__}")
    for name, value in (("start", start), ("stop", stop)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name}: expected a str or None, got {type(value).__name__}")
    if stop is not None and start is None:
        raise ValueError("stop: expected only together with start, got stop without start")
    src = textwrap.dedent(inspect.getsource(obj))
    if not docstring:
        src = _without_docstring(src)
    lines = src.rstrip().splitlines()
    if start is not None:
        begin = next((i for i, line in enumerate(lines) if start in line), None)
        if begin is None:
            raise ValueError(f"start: no line of {obj.__qualname__} contains {start!r}")
        end = len(lines) - 1
        if stop is not None:
            end = next((i for i in range(begin, len(lines)) if stop in lines[i]), None)
            if end is None:
                raise ValueError(f"stop: no line of {obj.__qualname__} after {start!r} contains {stop!r}")
        lines = textwrap.dedent("\n".join(lines[begin : end + 1])).splitlines()
    return Source("\n".join(lines))


def glue(name: str, value, display: bool = True) -> None:
    """Record ``value`` under ``name`` for the book's prose, as myst-nb's ``glue`` does.

    The chapters quote computed numbers in their text with ``{glue:text}`name```;
    this records them when myst-nb is installed (``make notebooks``, nbval).
    In the in-browser notebooks, which have no myst-nb, nothing is recorded
    (the page's text was built from the stored outputs); with
    ``display=True`` the value is still shown.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a non-empty str, got {type(name).__name__} {name!r:.40}")
    if not isinstance(display, bool):
        raise TypeError(f"display: expected True or False, got {type(display).__name__} {display!r:.40}")
    if isinstance(value, numbers.Real) and not math.isfinite(value):  # a NaN would print as 'nan' in the prose
        raise ValueError(f"value: expected a finite number, got {value}")
    try:
        from myst_nb import glue as record
    except ImportError:
        if display:
            from IPython.display import display as show

            show(value)
        return
    record(name, value, display=display)
