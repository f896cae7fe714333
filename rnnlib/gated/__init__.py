"""The gated cells: the LSTM and the GRU, built on the vanilla RNN's modules.

- :mod:`rnnlib.gated.lstm`: the long short-term memory cell (gates and a cell
  state): parameters, forward pass, BPTT, cost and gradient
- :mod:`rnnlib.gated.gru`: the gated recurrent unit, the same jobs
- :mod:`rnnlib.gated.reference`: both cells element by element, the slow
  forms the tests and the book check the batched code against

They reuse the core (:mod:`rnnlib.params`, :mod:`rnnlib.activations`,
:mod:`rnnlib.losses`, :mod:`rnnlib.forward_pass`), which does not depend on
them.
"""

from . import gru, lstm, reference

__all__ = ["lstm", "gru", "reference"]
