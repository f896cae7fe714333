"""Truncated backpropagation through time, TBPTT(k1, k2).

Full BPTT sends the error of every step back to t = 1.  For long sequences
that is costly, and the gradient contributions from far back are often tiny
anyway (see :mod:`rnnlib.diagnostics`).  Truncated BPTT (Williams and Peng,
1990) limits how far errors travel:

    every k1 steps, the errors of those k1 steps are sent back k2 steps,

with k1 <= k2.  The forward pass is unchanged and runs over the whole
sequence; only the backward pass is cut into windows.  The steps are split
into blocks of k1 (the last may be shorter).  The window of a block covers the
block and the k2 - k1 steps before it (as far as t = 1), receives the output
errors e_t of the block only, starts from delta = 0 after the block, and
treats the state that enters it as a constant.  The truncated gradient is the
sum over the windows.

Two cases are exact.  With k1 = k2 = T there is one window, which is full
BPTT.  And whenever every window reaches back to t = 1 (k2 >= T + k1 - 1
suffices; k2 >= T when k1 = 1), the windows add up to full BPTT, because BPTT
is linear in the errors e_t.  The common practical
choice k1 = k2 = k splits the sequence into chunks of length k that are
backpropagated separately while the hidden state is carried from chunk to
chunk: :func:`chunk_gradients` computes exactly that, chunk by chunk, with
:func:`rnnlib.backprop.loss_grad_and_state`.
"""

from __future__ import annotations

import numpy as np

from ._checks import _shape_str, check_int, check_params
from .activations import hidden_activation, output_activation
from .backprop import backward_tm, gradients, loss_grad_and_state
from .forward_pass import ForwardCache, as_initial_state, as_sequences, forward
from .losses import check_loss, check_targets, cost_and_error_tm
from .params import Params

__all__ = ["truncated_gradient", "chunk_gradients"]


def _window(cache: ForwardCache, start: int, end: int) -> ForwardCache:
    """The forward pass restricted to steps start..end, with h_{start-1} as its h_0."""
    return ForwardCache(
        cache.x_tm[start - 1 : end],
        cache.z_tm[start - 1 : end + 1],
        cache.h_tm[start - 1 : end + 1],
        cache.o_tm[start - 1 : end + 1],
        cache.y_tm[start - 1 : end + 1],
        cache.f,
        cache.g,
        cache.batched,
    )


def truncated_gradient(
    params: Params, X, Y, *, k1: int, k2: int, loss: str = "mse", f: str = "tanh", g: str = "softmax", h0=None
):
    """The cost and the TBPTT(k1, k2) approximation of its gradient.

    Parameters
    ----------
    params : Params
    X : array_like of shape (T, m) or (N, T, m)
    Y : array_like of shape (T, k) or (N, T, k)
    k1 : int
        Steps between backward passes; the errors of these steps are sent back.
    k2 : int
        How many steps back each backward pass goes; k2 >= k1.
    loss, f, g, h0
        As for :func:`rnnlib.loss_and_grad`.

    Returns
    -------
    C : float
        The full cost (truncation changes only the gradient).
    grads : Params
        Sum over the windows of the gradient each window sends back.

    Notes
    -----
    With k1 = k2 = T, or with k2 >= T + k1 - 1, the result equals full BPTT
    up to rounding.
    """
    check_params(params)
    check_loss(loss, g)
    k1, k2 = check_int("k1", k1), check_int("k2", k2)
    if k2 < k1:
        raise ValueError(f"k2: expected k2 >= k1 = {k1} (each window must reach back over its own steps), got {k2}")
    cache = forward(params, X, f=f, g=g, h0=h0)
    C, e = cost_and_error_tm(cache, Y, loss)  # e has T + 1 rows; row t is e_t
    T = cache.T
    total = None
    for first_sent in range(1, T + 1, k1):  # the steps first_sent..end send their errors
        end = min(first_sent + k1 - 1, T)
        start = max(1, first_sent - (k2 - k1))  # ... through them and k2 - k1 steps before
        e_window = np.zeros((end - start + 2,) + e.shape[1:], e.dtype)  # row 0: no e_{start-1}
        e_window[first_sent - start + 1 :] = e[first_sent : end + 1]
        window = _window(cache, start, end)
        grads = gradients(window, backward_tm(params, window, e_window))
        total = grads if total is None else total.map(np.add, grads)
    return C, total


def chunk_gradients(params: Params, X, Y, *, k: int, loss: str = "mse", f: str = "tanh", g: str = "softmax", h0=None):
    """TBPTT(k, k) the way a training loop does it: chunk by chunk with a carried state.

    The sequence is cut into chunks of k steps (the last may be shorter).
    Each chunk runs :func:`rnnlib.loss_and_grad` from the hidden state the
    previous chunk ended in.  Returns the summed cost, which is the full cost,
    and the summed gradients, which equal ``truncated_gradient(k1=k, k2=k)``.

    Parameters
    ----------
    params : Params
    X : array_like of shape (N, T, m)
    Y : array_like of shape (N, T, k)
    k : int
        Chunk length.
    loss, f, g, h0
        As for :func:`rnnlib.loss_and_grad`.
    """
    check_params(params)
    check_loss(loss, g)
    hidden_activation(f), output_activation(g)  # unknown names fail here, before any work
    k = check_int("k", k)
    X, batched = as_sequences(params, X)  # the user's whole arrays are checked, not the chunks
    if not batched:
        raise ValueError(f"X: expected a batch of shape (N, T, m), got one sequence of shape {_shape_str(X.shape[1:])}")
    N, T = X.shape[:2]
    Y = check_targets(Y, (N, T, params.k), "(N, T, k)", loss, X.dtype, like=" from X and params")
    as_initial_state(params, h0, N, True, X.dtype)
    state = h0
    total_C, total = 0.0, None
    for start in range(0, T, k):
        chunk = slice(start, min(start + k, T))
        C, grads, state = loss_grad_and_state(params, X[:, chunk], Y[:, chunk], loss=loss, f=f, g=g, h0=state)
        total_C += C
        total = grads if total is None else total.map(np.add, grads)
    return total_C, total
