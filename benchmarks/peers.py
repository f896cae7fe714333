"""The same forward pass + BPTT in the two peer frameworks (benchmark code, not library code).

Each ``*_loss_and_grad(params, X, Y)`` builds, from rnnlib's parameters and
data, the model rnnlib's ``loss_and_grad(params, X, Y, loss="mse", f="tanh",
g="identity")`` computes, and returns

* ``step()``: one timed call, cost and gradients, waiting for the result;
* ``result()``: ``(C, grads)`` as numpy, for the agreement check that
  ``run.py`` makes before timing anything.

For the gated cells, ``torch_lstm_loss_and_grad`` builds nn.LSTM from an
``rnnlib.gated.lstm.LSTMParams`` and ``jax_gru_loss_and_grad`` a JAX GRU from an
``rnnlib.gated.gru.GRUParams``, each returning the same pair (and JAX its compile
seconds); their gradients come back as LSTMParams and GRUParams.

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


# --- the gated cells -------------------------------------------------------------------


def torch_lstm_loss_and_grad(params, X, Y):
    """nn.LSTM + nn.Linear with the weights of an rnnlib.gated.lstm.LSTMParams, autograd for the gradients.

    nn.LSTM computes the function of rnnlib.gated.lstm (no peepholes) with its
    gate blocks stacked in the order i, f, g, o (g is the candidate c~) and
    two biases per gate, whose sum is b: the first holds b, the second is 0.
    """
    import torch

    dtype = torch.float64 if X.dtype == np.float64 else torch.float32
    m, n, k = params.m, params.n, params.k
    order = ("i", "f", "c", "o")  # PyTorch's blocks, in rnnlib's letters
    lstm = torch.nn.LSTM(m, n, batch_first=True).to(dtype)
    out = torch.nn.Linear(n, k).to(dtype)

    def stack(prefix):
        return torch.from_numpy(np.concatenate([getattr(params, f"{prefix}{a}") for a in order]))

    with torch.no_grad():
        lstm.weight_ih_l0.copy_(stack("W_x"))
        lstm.weight_hh_l0.copy_(stack("W_h"))
        lstm.bias_ih_l0.copy_(stack("b_"))
        lstm.bias_hh_l0.zero_()  # two biases per gate; their sum is b
        out.weight.copy_(torch.from_numpy(params.W_hy))
        out.bias.copy_(torch.from_numpy(params.b_y))
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    N = X.shape[0]

    def step():
        for w in list(lstm.parameters()) + list(out.parameters()):
            w.grad = None
        hidden, _ = lstm(Xt)
        C = 0.5 * ((out(hidden) - Yt) ** 2).sum() / N
        C.backward()
        return C

    def result():
        C = step()
        blocks = {}
        for key, w in (("W_x", lstm.weight_ih_l0), ("W_h", lstm.weight_hh_l0), ("b_", lstm.bias_ih_l0)):
            for a, part in zip(order, w.grad.numpy().copy().reshape(4, n, -1)):
                blocks[f"{key}{a}"] = part.reshape(getattr(params, f"{key}{a}").shape)
        return float(C.detach()), rnnlib.gated.lstm.LSTMParams(
            **blocks, W_hy=out.weight.grad.numpy().copy(), b_y=out.bias.grad.numpy().copy()
        )

    return step, result


def jax_gru_loss_and_grad(params, X, Y):
    """jit(value_and_grad) over lax.scan of Cho et al.'s GRU (rnnlib.gated.gru's function); also the compile seconds.

    The reset gate multiplies h_{t-1} before W_hh acts on it, as in
    rnnlib.gated.gru; PyTorch's nn.GRU puts it after the product, a different
    function, which is why the GRU's peer is written here in JAX.
    """
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)  # float64 stays float64; float32 input stays float32
    sigmoid = jax.nn.sigmoid

    def cost(p, X, Y):
        W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hy, b_y = p
        N = X.shape[0]
        x = jnp.swapaxes(X, 0, 1)  # (T, N, m): scan runs over the leading axis
        # the input parts of the three do not wait for h_{t-1}: one product each, before the scan
        ax = (x @ W_xz.T + b_z, x @ W_xr.T + b_r, x @ W_xh.T + b_h)

        def one_step(h_prev, ax_t):
            az, ar, ah = ax_t
            z = sigmoid(az + h_prev @ W_hz.T)  # update gate
            r = sigmoid(ar + h_prev @ W_hr.T)  # reset gate
            h_tilde = jnp.tanh(ah + (r * h_prev) @ W_hh.T)  # reset before the product
            h = z * h_prev + (1 - z) * h_tilde
            return h, h

        _, h = jax.lax.scan(one_step, jnp.zeros((N, W_hh.shape[0]), X.dtype), ax)
        y = h @ W_hy.T + b_y  # (T, N, k)
        return 0.5 * jnp.sum((y - jnp.swapaxes(Y, 0, 1)) ** 2) / N

    args = (tuple(jnp.asarray(a) for a in params), jnp.asarray(X), jnp.asarray(Y))
    start = time.perf_counter()
    compiled = jax.jit(jax.value_and_grad(cost)).lower(*args).compile()
    compile_seconds = time.perf_counter() - start

    def step():
        return jax.block_until_ready(compiled(*args))

    def result():
        C, grads = step()
        return float(C), rnnlib.gated.gru.GRUParams(*(np.array(a) for a in grads))

    return step, result, compile_seconds
