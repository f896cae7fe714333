"""mean_derivative and tbptt_backward_steps (rnnlib.diagnostics)."""

import numpy as np
import pytest
from conftest import make_problem

import rnnlib
import rnnlib.truncated
from rnnlib.diagnostics import mean_derivative, tbptt_backward_steps


@pytest.mark.parametrize("batched", [True, False])
def test_mean_derivative_is_the_mean_of_tanh_prime(batched, rng):
    params, X, _ = make_problem(rng, 3, 7, 2, 4, 2, batched=batched)
    cache = rnnlib.forward(params, X)
    z = cache.z  # z_1..z_T
    expected = np.mean(1 / np.cosh(z) ** 2)  # tanh'(z), computed from z, not from h
    assert mean_derivative(cache) == pytest.approx(expected, rel=1e-12)


def test_mean_derivative_sigmoid_and_bad_input(rng):
    params, X, _ = make_problem(rng, 2, 5, 2, 3, 2, f="sigmoid")
    cache = rnnlib.forward(params, X, f="sigmoid")
    s = 1 / (1 + np.exp(-cache.z))
    assert mean_derivative(cache) == pytest.approx(np.mean(s * (1 - s)), rel=1e-12)
    with pytest.raises(TypeError, match="cache: expected the ForwardCache"):
        mean_derivative(np.zeros(3))


@pytest.mark.parametrize("T, k1, k2", [(9, 1, 1), (9, 1, 4), (9, 2, 5), (9, 3, 3), (9, 4, 4), (9, 9, 9), (5, 1, 8)])
def test_backward_steps_count_what_truncated_gradient_does(T, k1, k2, rng, monkeypatch):
    """Count the steps of every window that truncated_gradient backpropagates."""
    params, X, Y = make_problem(rng, 2, T, 2, 3, 2)
    counted = []
    original = rnnlib.truncated.backward_tm

    def counting(params, window, e):
        counted.append(window.T)
        return original(params, window, e)

    monkeypatch.setattr(rnnlib.truncated, "backward_tm", counting)
    rnnlib.truncated.truncated_gradient(params, X, Y, k1=k1, k2=k2)
    assert sum(counted) == tbptt_backward_steps(T, k1, k2)


def test_backward_steps_closed_forms():
    T = 50
    assert tbptt_backward_steps(T, T, T) == T  # full BPTT
    for k in (1, 2, 7, 10, 50):
        assert tbptt_backward_steps(T, k, k) == T  # chunks: the same arithmetic
        assert tbptt_backward_steps(T, 1, k) == T * k - k * (k - 1) // 2
    with pytest.raises(ValueError, match="k2: expected k2 >= k1 = 3, got 2"):
        tbptt_backward_steps(10, 3, 2)
    with pytest.raises(TypeError, match="T: expected an integer"):
        tbptt_backward_steps(10.0, 1, 2)
