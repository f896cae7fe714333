"""A character-level language model: the classic min-char-rnn task, done with rnnlib.

The package has three parts:

- :mod:`rnnlib.charlm.model`: the vocabulary, the settings, training (truncated
  BPTT over N parallel streams), evaluation and sampling, with the vanilla RNN
  or an LSTM (:mod:`rnnlib.gated.lstm`) as the recurrent cell;
- :mod:`rnnlib.charlm.checkpoint`: saving and loading a whole training state
  (.npz, no pickle), so that resuming continues exactly;
- :mod:`rnnlib.charlm.cli`: the command line, ``python -m rnnlib.charlm``
  (train with validation and early stopping, resume, evaluate, sample).

Command line::

    python -m rnnlib.charlm train CORPUS.txt --out model.npz [--steps 2000] [--val-fraction 0.1] [...]
    python -m rnnlib.charlm train CORPUS.txt --cell lstm --hidden 58 --out lstm.npz [...]
    python -m rnnlib.charlm train CORPUS.txt --resume model.npz --steps 1000 [--lr 1e-3]
    python -m rnnlib.charlm evaluate model.npz TEXT.txt
    python -m rnnlib.charlm sample model.npz [--length 400] [--temperature 0.8] [--prime "The "] [--seed 1]
"""

from .checkpoint import load, save
from .cli import main
from .model import CharLMError, Diverged, Settings, TrainState, Vocabulary, evaluate, sample, start, streams, train

__all__ = [
    "CharLMError", "Diverged", "Vocabulary", "Settings", "TrainState", "streams", "start", "train", "evaluate",
    "sample", "save", "load", "main",
]
