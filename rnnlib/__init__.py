"""rnnlib: the vanilla recurrent neural network of the lecture notes, in numpy, and the gated cells after it.

The notes' symbols throughout: m inputs, n hidden units, k outputs,
T timesteps, N sequences in a batch.  The desired output (y-hat in the notes)
is called ``Y`` in code.

The modules, one per concept, fall into five groups.  The core depends on
nothing above it.

The notes' RNN (the core):

- :mod:`rnnlib.params`: the five parameters, their initialisation, vec and unvec
- :mod:`rnnlib.activations`: f and g, derivatives and Jacobians
- :mod:`rnnlib.forward_pass`: the forward pass (matrix form, batched)
- :mod:`rnnlib.losses`: the cost and the output error e_t
- :mod:`rnnlib.backprop`: backpropagation through time and ``loss_and_grad``
- :mod:`rnnlib.reference`: slow element-wise (einsum) and per-sequence references
- :mod:`rnnlib.gradcheck`: finite-difference gradient checks

Training and its diagnosis:

- :mod:`rnnlib.optim`: gradient descent, momentum, Adagrad, Adam, clipping
- :mod:`rnnlib.train`: the training loop
- :mod:`rnnlib.truncated`: truncated backpropagation through time
- :mod:`rnnlib.initializers`: other initial W_hh: orthogonal, identity, a given spectral radius
- :mod:`rnnlib.diagnostics`: Jacobian products, vanishing and exploding gradients
- :mod:`rnnlib.io`: saving and loading parameters

The gated cells (:mod:`rnnlib.gated`):

- :mod:`rnnlib.gated.lstm`: the LSTM cell (gated, with a cell state): parameters, forward pass, BPTT
- :mod:`rnnlib.gated.gru`: the gated recurrent unit (GRU): parameters, forward pass, BPTT
- :mod:`rnnlib.gated.reference`: both cells element by element

Experiments and applications:

- :mod:`rnnlib.tasks`: synthetic sequence tasks
- :mod:`rnnlib.horizon`: the memory-horizon experiments on delayed recall and the adding problem
- :mod:`rnnlib.rematch`: the vanilla RNN, the LSTM and the GRU trained alike on the memory-horizon tasks
- :mod:`rnnlib.charlm`: a character-level language model and its command line

Teaching aids:

- :mod:`rnnlib.broken`: deliberately wrong gradients, for the checks to catch
- :mod:`rnnlib.workbook`: exercises the learner writes, and a checker that names the mistake
- :mod:`rnnlib.plots`: the book's figures (needs matplotlib)
- :mod:`rnnlib.display`: showing the library's source in the book
"""

from . import broken, reference, tasks
from . import workbook
from . import gated
from .activations import log_softmax, sigmoid, softmax
from .backprop import Signals, backward, bptt, gradients, loss_and_grad
from .forward_pass import ForwardCache, forward
from .gradcheck import GradCheck, check_gradient, numerical_derivative, numerical_gradient, relative_error
from .io import load_params, save_params
from .losses import cost, cost_gradient_y, output_error, per_step_cost
from .optim import Adagrad, Adam, GradientDescent, Momentum, clip_by_global_norm, clip_elementwise, global_norm
from .params import Params, init_params, num_params, unvec, vec
from .train import Diverged, History, train

__version__ = "0.1.0"

__all__ = [
    "broken",
    "reference",
    "tasks",
    "gated",
    "Params",
    "init_params",
    "num_params",
    "vec",
    "unvec",
    "forward",
    "ForwardCache",
    "per_step_cost",
    "cost",
    "cost_gradient_y",
    "output_error",
    "backward",
    "gradients",
    "bptt",
    "Signals",
    "loss_and_grad",
    "numerical_derivative",
    "numerical_gradient",
    "check_gradient",
    "relative_error",
    "GradCheck",
    "GradientDescent",
    "Momentum",
    "Adagrad",
    "Adam",
    "global_norm",
    "clip_by_global_norm",
    "clip_elementwise",
    "train",
    "History",
    "Diverged",
    "save_params",
    "load_params",
    "softmax",
    "log_softmax",
    "sigmoid",
]
