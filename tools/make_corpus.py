"""Write book/data/corpus.txt, the training text of the language-model chapter.

The corpus is the book's own prose: the markdown of the introduction and of
the chapters that follow the notes, without code, directives or labels, so
the project needs no downloaded data.  Run from the project's top folder:

    python tools/make_corpus.py
"""

import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCES = ["book/intro.md"] + [f"book/0{i}_{name}.ipynb" for i, name in
                               enumerate(["why_recurrence", "architecture", "forward_pass", "cost", "bptt", "training"], 1)]


def markdown_of(path: pathlib.Path) -> str:
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def prose(markdown: str) -> str:
    keep, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced if not re.match(r"^`{3,4}\{(exercise|solution|important|note|list-table)", line) else fenced
            continue
        if fenced or re.match(r"^:(label|class|name|header-rows|widths):", line) or line.startswith("$$"):
            continue
        line = re.sub(r"\{(doc|numref|eq|cite|ref)\}`([^`<]*)(<[^>]*>)?`", lambda m: m.group(2).strip(), line)
        keep.append(line.rstrip())
    text = "\n".join(keep)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def main():
    text = "\n".join(prose(markdown_of(ROOT / source)) for source in SOURCES)
    out = ROOT / "book" / "data" / "corpus.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"{out.relative_to(ROOT)}: {len(text)} characters, {len(set(text))} distinct")


if __name__ == "__main__":
    main()
