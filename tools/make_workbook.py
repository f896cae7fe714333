"""Make the learner's copy of each workbook notebook from its solved source.

Usage: python tools/make_workbook.py [--check]

The solved sources are book/workbook_solved/*.ipynb; each learner's copy is
written next to the chapters, book/<same name>.  In a code cell of a source,
the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` are replaced by

    # your code here
    raise NotImplementedError

(at the indentation of the BEGIN marker), and a markdown cell holding the
whole solved cell (docstring aside) follows it, in a dropdown the book shows on demand and
collapsed in Jupyter (``jupyter.source_hidden``).  Every other cell is copied.
Outputs are cleared: run tools/run_notebooks.py on the copies afterwards, so
that their check cells store the "not implemented yet" reports.

With ``--check`` nothing is written; the exit status is 1 if a learner's copy
differs (outputs aside) from what its source gives.
"""

import copy
import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = ROOT / "book" / "workbook_solved"
TARGETS = ROOT / "book"
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
STUB = ["# your code here", "raise NotImplementedError"]


def strip_solution(source: str) -> tuple[str, str]:
    """(learner's code, solved code without the markers) of one cell."""
    learner, solved, inside = [], [], False
    for line in source.splitlines():
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"nested {BEGIN!r} in:\n{source}")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            learner += [indent + s for s in STUB]
        elif marker == END:
            if not inside:
                raise ValueError(f"{END!r} without {BEGIN!r} in:\n{source}")
            inside = False
        else:
            solved.append(line)
            if not inside:
                learner.append(line)
    if inside:
        raise ValueError(f"{BEGIN!r} without {END!r} in:\n{source}")
    return "\n".join(learner), "\n".join(solved)


def without_docstring(code: str) -> str:
    """The code without its first docstring, which the exercise cell above shows."""
    return re.sub(r'\n[ ]*"""(.|\n)*?"""', "", code, count=1)


def solution_cell(cell_id: str, solved: str):
    solved = without_docstring(solved)
    text = f":::{{admonition}} Solution\n:class: dropdown\n\n```python\n{solved}\n```\n:::"
    md = nbformat.v4.new_markdown_cell(text)
    md.id = f"{cell_id}-solution"
    md.metadata = {"jupyter": {"source_hidden": True}, "tags": ["workbook-solution"]}
    return md


def learner_copy(nb):
    """The learner's notebook made from a solved one (outputs cleared)."""
    out = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        cell = copy.deepcopy(cell)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if BEGIN in cell.source:
                cell.source, solved = strip_solution(cell.source)
                cells += [cell, solution_cell(cell.id, solved)]
                continue
        cells.append(cell)
    out.cells = cells
    return out


def cells(nb):
    """What the generation decides, per cell: kind, id, source, metadata."""
    return [(c.cell_type, c.get("id"), c.source, c.metadata) for c in nb.cells]


def main(argv):
    check = "--check" in argv
    stale = []
    for source in sorted(SOURCES.glob("*.ipynb")):
        target = TARGETS / source.name
        made = learner_copy(nbformat.read(source, as_version=4))
        if check:
            current = nbformat.read(target, as_version=4) if target.exists() else None
            if current is None or cells(current) != cells(made):
                stale.append(target)
        else:
            nbformat.write(made, target)
            print(f"{source.relative_to(ROOT)} -> {target.relative_to(ROOT)}")
    for target in stale:
        print(f"{target.relative_to(ROOT)} is out of date: run python tools/make_workbook.py")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
