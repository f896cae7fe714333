"""The character LM with a vanilla RNN and with an LSTM at equal parameter count (chapter 12).

Usage:
    python tools/charlm_cells.py [--out PATH]      # every cell and seed
    python tools/charlm_cells.py --check PATH ...  # the first evaluation of seed 0, compared

Trains :mod:`rnnlib.charlm` on the book's corpus with chapter 9's split
(the first 90 % for training, the next 5 % for validation) and chapter 9's
settings (T = 25, N = 32, Adam at 3e-3, clipping at 5), once with the
vanilla RNN of chapter 9 (n = 128) and once with an LSTM whose hidden size
gives the same number of parameters within 2 %, for every seed in
:data:`SEEDS` (the seed draws the initial parameters; the data order is
fixed).  Every :data:`EVAL_EVERY` steps the validation cost per character is
measured; the results go to a small JSON file
(book/data/charlm_cells.json by default) that chapter 12 plots.  Every run
depends only on its cell and seed, so ``--check`` recomputes the first
evaluation of seed 0 of both cells and compares it with the file bit for
bit.  Run it with the arithmetic settings of ``make test`` (the REPRODUCIBLE
variables of the Makefile); the results are exact under those settings only.
The whole run takes about four minutes of CPU time on one core (92 s for the
RNN's five runs, 125 s for the LSTM's, measured); ``--check`` about ten seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import sys
import time

from rnnlib import charlm
from rnnlib.gated import lstm
from rnnlib import vec as rnn_vec

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "book" / "data" / "corpus.txt"
OUT = ROOT / "book" / "data" / "charlm_cells.json"

HIDDEN = {"rnn": 128, "lstm": 58}  # equal parameter counts (see counts())
SEEDS = (0, 1, 2, 3, 4)
STEPS = 2000
EVAL_EVERY = 250
COMMON = dict(seq_length=25, batch=32, optimizer="adam", lr=3e-3, clip=5.0)  # chapter 9's


def split(corpus: str) -> tuple[str, str]:
    """Chapter 9's training and validation texts (the last 5 % is its test text, unused here)."""
    cut, cut2 = int(0.9 * len(corpus)), int(0.95 * len(corpus))
    return corpus[:cut], corpus[cut:cut2]


def counts(V: int) -> dict:
    """The number of parameters of each cell's model for a vocabulary of V characters."""
    n = HIDDEN["rnn"]
    return {"rnn": n * (2 * V + n + 1) + V, "lstm": lstm.num_params(V, HIDDEN["lstm"], V)}


def run(corpus: str, cell: str, seed: int, steps: int = STEPS) -> dict:
    """Train one model; the validation cost (nats/char) after every EVAL_EVERY steps."""
    train_text, valid_text = split(corpus)
    settings = charlm.Settings(hidden=HIDDEN[cell], seed=seed, cell=cell, **COMMON)
    state = charlm.start(corpus, settings)  # the vocabulary of the whole corpus, as in chapter 9
    size = (lstm.vec if cell == "lstm" else rnn_vec)(state.params).size
    assert size == counts(state.vocab.size)[cell]
    valid = []
    while state.step < steps:
        state = charlm.train(state, train_text, EVAL_EVERY)
        valid.append(charlm.evaluate(state.params, state.vocab, valid_text))
    return {"validation": valid, "train_last_250": sum(state.losses[-250:]) / 250}


def grid(corpus: str) -> dict:
    V = len(set(corpus))
    train_text, valid_text = split(corpus)
    out = {
        "hidden": HIDDEN, "parameters": counts(V), "seeds": list(SEEDS), "settings": COMMON,
        "steps": list(range(EVAL_EVERY, STEPS + 1, EVAL_EVERY)),
        "characters": {"train": len(train_text), "validation": len(valid_text)}, "vocabulary": V,
        "validation": {}, "train_last_250": {}, "seconds": {},
    }
    for cell in HIDDEN:
        begin = time.process_time()
        records = [run(corpus, cell, seed) for seed in SEEDS]
        out["seconds"][cell] = round(time.process_time() - begin, 1)
        out["validation"][cell] = [r["validation"] for r in records]
        out["train_last_250"][cell] = [r["train_last_250"] for r in records]
        print(f"{cell}: {out['seconds'][cell]} s CPU, final validation "
              f"{[round(r['validation'][-1], 4) for r in records]}", flush=True)
    return out


def check(paths: list, corpus: str) -> bool:
    """Recompute the first evaluation of seed 0 of each cell and compare it with every file, exactly."""
    first = {cell: run(corpus, cell, SEEDS[0], steps=EVAL_EVERY)["validation"][0] for cell in HIDDEN}
    same = True
    for path in paths:
        stored = json.loads(path.read_text(encoding="utf-8"))
        for cell in HIDDEN:
            ok = first[cell] == stored["validation"][cell][0][0]
            same &= ok
            print(f"{path}: {cell}, seed {SEEDS[0]}, step {EVAL_EVERY}: computed {first[cell]!r}, stored "
                  f"{stored['validation'][cell][0][0]!r}: {'same' if ok else 'DIFFERENT'}")
    return same


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=pathlib.Path, default=OUT)
    p.add_argument("--check", type=pathlib.Path, nargs="+", metavar="PATH",
                   help="recompute a subset and compare it with each PATH")
    args = p.parse_args(argv)
    corpus = CORPUS.read_text(encoding="utf-8")
    V = len(set(corpus))
    sizes = counts(V)
    ratio = sizes["lstm"] / sizes["rnn"]
    print(f"parameters: rnn (n = {HIDDEN['rnn']}) {sizes['rnn']:,}, lstm (n = {HIDDEN['lstm']}) {sizes['lstm']:,}, "
          f"ratio {ratio:.4f}")
    assert abs(ratio - 1) < 0.02, "the two models must have equal parameter counts within 2 %"
    if args.check:
        return 0 if check(args.check, corpus) else 1
    result = grid(corpus)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
