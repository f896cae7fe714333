"""Truncated BPTT and the Jacobian diagnostics."""

import numpy as np
import pytest
from conftest import make_problem

import rnnlib
from rnnlib.diagnostics import (
    cost_state_sensitivity,
    jacobian_product_norms,
    spectral_radius,
    step_jacobians,
    with_spectral_radius,
)
from rnnlib.truncated import chunk_gradients, truncated_gradient


@pytest.mark.parametrize("loss, g", [("mse", "tanh"), ("cross_entropy", "softmax")])
def test_k_equal_T_is_full_bptt(loss, g, rng):
    params, X, Y = make_problem(rng, 3, 9, 2, 4, 3, loss=loss, g=g)
    C, full = rnnlib.loss_and_grad(params, X, Y, loss=loss, g=g)
    C_t, trunc = truncated_gradient(params, X, Y, k1=9, k2=9, loss=loss, g=g)
    assert C_t == pytest.approx(C, rel=1e-15)
    for a, b in zip(trunc, full):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


@pytest.mark.parametrize("k1", [1, 2, 4, 9])
def test_reaching_back_to_the_start_is_exact_for_any_k1(k1, rng):
    """When every window reaches t = 1, the windows add up to full BPTT (which is linear in e)."""
    params, X, Y = make_problem(rng, 2, 9, 2, 3, 2)
    _, full = rnnlib.loss_and_grad(params, X, Y)
    _, trunc = truncated_gradient(params, X, Y, k1=k1, k2=9 + k1 - 1)
    for a, b in zip(trunc, full):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_short_windows_differ_and_approach_full_bptt(rng):
    params, X, Y = make_problem(rng, 2, 12, 2, 4, 2)
    _, full = rnnlib.loss_and_grad(params, X, Y)
    v = rnnlib.vec(full)
    errors = []
    for k in (1, 3, 6, 12):
        _, trunc = truncated_gradient(params, X, Y, k1=1, k2=k)
        errors.append(np.linalg.norm(rnnlib.vec(trunc) - v) / np.linalg.norm(v))
    assert errors[0] > 1e-2 and errors[-1] < 1e-13
    assert all(a >= b for a, b in zip(errors, errors[1:]))


@pytest.mark.parametrize("k", [1, 3, 4, 10])
def test_chunks_with_a_carried_state_equal_tbptt_k_k(k, rng):
    params, X, Y = make_problem(rng, 3, 10, 2, 4, 3)
    C_chunks, chunks = chunk_gradients(params, X, Y, k=k)
    C, trunc = truncated_gradient(params, X, Y, k1=k, k2=k)
    assert C_chunks == pytest.approx(C, rel=1e-13)
    for a, b in zip(chunks, trunc):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-13)


def test_truncation_arguments(rng):
    params, X, Y = make_problem(rng, 1, 4, 2, 3, 2)
    with pytest.raises(ValueError, match=r"k2: expected k2 >= k1 = 3 .* got 2"):
        truncated_gradient(params, X, Y, k1=3, k2=2)
    with pytest.raises(ValueError, match="k1: expected an integer >= 1, got 0"):
        truncated_gradient(params, X, Y, k1=0, k2=2)


def test_step_jacobians_against_finite_differences(rng):
    params, X, _ = make_problem(rng, 1, 5, 2, 3, 2, batched=False)
    cache = rnnlib.forward(params, X)
    J = step_jacobians(params, cache)
    assert np.all(np.isnan(J[0]))
    for t in range(1, 6):
        step = lambda h: rnnlib.forward(params, X[t - 1 : t], h0=h).h[1]
        numeric = np.column_stack([rnnlib.numerical_derivative(lambda h: step(h)[i], cache.h[t - 1]) for i in range(3)]).T
        np.testing.assert_allclose(J[t], numeric, rtol=1e-9, atol=1e-12)


def test_jacobian_product_norms(rng):
    params, X, _ = make_problem(rng, 1, 6, 2, 3, 2, batched=False)
    norms = jacobian_product_norms(params, rnnlib.forward(params, X))
    assert norms[-1] == 1.0 and norms.shape == (7,)
    # dh_T/dh_0 by finite differences through the whole sequence
    numeric = np.column_stack(
        [rnnlib.numerical_derivative(lambda h: rnnlib.forward(params, X, h0=h).h[-1][i], np.zeros(3)) for i in range(3)]
    ).T
    assert norms[0] == pytest.approx(np.linalg.norm(numeric, 2), rel=1e-8)


def test_cost_state_sensitivity(rng):
    params, X, Y = make_problem(rng, 1, 5, 2, 3, 2, batched=False)
    S = cost_state_sensitivity(params, X, Y)
    assert S.shape == (6, 6) and np.all(np.isnan(S[0]))
    assert np.all(np.triu(S[1:, :], k=2) == 0)  # S[t, s] = 0 for s > t
    for t in range(1, 6):  # column 0 by finite differences on h_0
        C_t = lambda h: rnnlib.per_step_cost(rnnlib.forward(params, X, h0=h), Y)[t - 1]
        assert S[t, 0] == pytest.approx(np.linalg.norm(rnnlib.numerical_derivative(C_t, np.zeros(3))), rel=1e-8)


def test_spectral_radius_rescaling(rng):
    params = rnnlib.init_params(2, 6, 2, rng=rng)
    scaled = with_spectral_radius(params, 1.7)
    assert spectral_radius(scaled.W_hh) == pytest.approx(1.7, rel=1e-12)
    np.testing.assert_array_equal(scaled.W_xh, params.W_xh)
    with pytest.raises(ValueError, match="W: expected a square matrix"):
        spectral_radius(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="cache: expected the forward pass of one sequence"):
        step_jacobians(params, rnnlib.forward(params, np.zeros((2, 3, 2))))
