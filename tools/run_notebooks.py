"""Re-run notebooks in place, as Jupyter's "Restart & Run All" does, and save them.

Usage: python tools/run_notebooks.py [PATH ...]   (folders are searched for *.ipynb)

Each notebook runs in a fresh kernel from the book's folder, with the
arithmetic settings of `make test` (see REPRODUCIBLE in the Makefile), so
that the stored outputs are exactly what nbval reproduces there.
"""

import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient


def notebooks(paths):
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*.ipynb") if "_build" not in q.parts and ".ipynb_checkpoints" not in q.parts)
        else:
            yield p


def coalesce_streams(nb):
    """Merge consecutive stream outputs of a cell, which arrive in chunks that vary from run to run."""
    for cell in nb.cells:
        merged = []
        for output in cell.get("outputs", []):
            last = merged[-1] if merged else None
            if last is not None and output.output_type == last.output_type == "stream" and output.name == last.name:
                last.text += output.text
            else:
                merged.append(output)
        if cell.cell_type == "code":
            cell.outputs = merged


def main(argv):
    os.environ.update(  # as REPRODUCIBLE in the Makefile
        OPENBLAS_CORETYPE="Haswell", OPENBLAS_NUM_THREADS="1", NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR"
    )
    for path in notebooks(argv or ["book"]):
        start = time.perf_counter()
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb, timeout=600, kernel_name="python3", record_timing=False, resources={"metadata": {"path": str(path.parent)}}
        ).execute()
        coalesce_streams(nb)
        nbformat.write(nb, path)
        print(f"{path}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
