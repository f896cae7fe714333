"""The literal reference loops compute in the precision of the parameters they are given.

The benchmarks time the literal loop in float32 as well as float64; a float32
call that quietly worked in float64 buffers would be slower than it should be
and would inflate the float32 speed-ups.
"""

import numpy as np
import pytest

import rnnlib
from rnnlib.reference import (
    bptt_einsum,
    bptt_matrix,
    forward_einsum,
    forward_matrix,
    loss_and_grad_reference,
)

FORMS = {"einsum": (forward_einsum, bptt_einsum), "matrix": (forward_matrix, bptt_matrix)}


def problem(dtype, N=3, T=5, m=2, n=4, k=3, seed=0):
    rng = np.random.default_rng(seed)
    params = rnnlib.init_params(m, n, k, rng=rng)
    params = rnnlib.Params(params.W_xh, params.W_hh, params.W_hy, rng.normal(size=n), rng.normal(size=k))
    X, Y = rng.normal(size=(N, T, m)), rng.normal(size=(N, T, k))
    return params.astype(dtype), X.astype(dtype), Y.astype(dtype)


@pytest.mark.parametrize("form", FORMS)
def test_float32_in_float32_throughout(form):
    params, X, Y = problem(np.float32)
    fwd, bwd = FORMS[form]
    z, h, o, y = fwd(params, X[0], "tanh", "identity")
    assert [a.dtype for a in (z, h, o, y)] == [np.float32] * 4
    grads, e, delta = bwd(params, X[0], z, h, o, y[1:] - Y[0], "tanh", "identity")
    assert [a.dtype for a in (e, delta, *grads)] == [np.float32] * 7
    C, grads = loss_and_grad_reference(params, X, Y, g="identity", form=form)
    assert np.asarray(C).dtype == np.float32
    assert [a.dtype for a in grads] == [np.float32] * 5


def test_float32_forward_is_the_float32_recursion():
    """Bit for bit the recursion done in float32, not a float64 result rounded at the end."""
    params, X, _ = problem(np.float32, T=20, n=16)
    _, h, _, _ = forward_matrix(params, X[0], "tanh", "identity")
    h_32 = np.zeros(params.n, np.float32)
    for t in range(1, X.shape[1] + 1):
        h_32 = np.tanh(params.W_hh @ h_32 + params.W_xh @ X[0, t - 1] + params.b_h)
        assert h_32.dtype == np.float32
        np.testing.assert_array_equal(h[t], h_32)
    # the float64 recursion on the same numbers differs in the last bits, so the check above can fail
    _, h_64, _, _ = forward_matrix(params.astype(np.float64), X[0].astype(np.float64), "tanh", "identity")
    assert not np.array_equal(h_64[1:].astype(np.float32), h[1:])


def test_float32_agrees_with_float64_to_float32_precision():
    params, X, Y = problem(np.float64)
    C64, g64 = loss_and_grad_reference(params, X, Y, g="identity", form="matrix")
    C32, g32 = loss_and_grad_reference(
        params.astype(np.float32), X.astype(np.float32), Y.astype(np.float32), g="identity", form="matrix"
    )
    assert C32 == pytest.approx(C64, rel=1e-5)
    for a, b in zip(g32, g64):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * np.max(np.abs(b)))
