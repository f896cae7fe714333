"""The same forward pass + BPTT in the two peer frameworks (benchmark code, not library code).

Each ``*_loss_and_grad(params, X, Y)`` builds, from rnnlib's parameters and
data, the model rnnlib's ``loss_and_grad(params, X, Y, loss="mse", f="tanh",
g="identity")`` computes, and returns

* ``step()``: one timed call, cost and gradients, waiting for the result;
* ``result()``: ``(C, grads)`` as numpy, for the agreement check that
  ``run.py`` makes before timing anything.

The three execution models differ:

* rnnlib is an interpreted Python loop over numpy calls, each of which runs
  compiled code (BLAS for the products);
* PyTorch (``torch.nn.RNN`` + ``torch.nn.Linear``) runs eagerly and records a
  graph of operations as it goes, which ``backward()`` then walks (autograd);
* JAX traces the Python function once, and XLA compiles the whole of
  ``value_and_grad`` over ``lax.scan`` into one program; ``jax_loss_and_grad``
  compiles ahead of time and reports how long that took, so that the
  per-call times exclude it.
"""

from __future__ import annotations

import time

import numpy as np

import rnnlib


def torch_version():
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


def jax_version():
    try:
        import jax
    except ImportError:
        return None
    return jax.__version__


def torch_loss_and_grad(params, X, Y):
    """nn.RNN + nn.Linear with the same weights, autograd for the gradients."""
    import torch

    dtype = torch.float64 if X.dtype == np.float64 else torch.float32
    m, n, k = params.m, params.n, params.k
    rnn = torch.nn.RNN(m, n, nonlinearity="tanh", batch_first=True).to(dtype)
    out = torch.nn.Linear(n, k).to(dtype)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(params.W_xh))
        rnn.weight_hh_l0.copy_(torch.from_numpy(params.W_hh))
        rnn.bias_ih_l0.copy_(torch.from_numpy(params.b_h))
        rnn.bias_hh_l0.zero_()  # PyTorch has two hidden biases; their sum is b_h
        out.weight.copy_(torch.from_numpy(params.W_hy))
        out.bias.copy_(torch.from_numpy(params.b_y))
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    N = X.shape[0]
    weights = [rnn.weight_ih_l0, rnn.weight_hh_l0, out.weight, rnn.bias_ih_l0, out.bias]

    def step():
        for w in list(rnn.parameters()) + list(out.parameters()):
            w.grad = None
        hidden, _ = rnn(Xt)
        C = 0.5 * ((out(hidden) - Yt) ** 2).sum() / N
        C.backward()
        return C

    def result():
        C = step()
        return float(C.detach()), rnnlib.Params(*(w.grad.numpy().copy() for w in weights))

    return step, result


def jax_loss_and_grad(params, X, Y):
    """jit(value_and_grad) of the cost over lax.scan; also returns the seconds spent compiling."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)  # float64 stays float64; float32 input stays float32

    def cost(p, X, Y):
        W_xh, W_hh, W_hy, b_h, b_y = p
        N = X.shape[0]
        x = jnp.swapaxes(X, 0, 1)  # (T, N, m): scan runs over the leading axis
        zx = x @ W_xh.T + b_h  # the input projections do not wait for h_{t-1}: one product

        def one_step(h_prev, zx_t):
            h = jnp.tanh(zx_t + h_prev @ W_hh.T)  # eqs. (3.7)-(3.8), a batch of rows
            return h, h

        _, h = jax.lax.scan(one_step, jnp.zeros((N, W_hh.shape[0]), X.dtype), zx)
        y = h @ W_hy.T + b_y  # (T, N, k)
        return 0.5 * jnp.sum((y - jnp.swapaxes(Y, 0, 1)) ** 2) / N

    args = (tuple(jnp.asarray(a) for a in params), jnp.asarray(X), jnp.asarray(Y))
    start = time.perf_counter()
    compiled = jax.jit(jax.value_and_grad(cost)).lower(*args).compile()
    compile_seconds = time.perf_counter() - start

    def step():
        return jax.block_until_ready(compiled(*args))  # JAX dispatches asynchronously: wait for the result

    def result():
        C, grads = step()
        return float(C), rnnlib.Params(*(np.array(a) for a in grads))

    return step, result, compile_seconds
