"""Activations: values, derivatives and Jacobians against finite differences."""

import numpy as np
import pytest

import rnnlib
from rnnlib.activations import HIDDEN, OUTPUT, hidden_activation, output_activation


def fd_jacobian(fn, o, eps=1e-6):
    """J[j, l] = d fn(o)_j / d o_l by central differences."""
    J = np.empty((o.size, o.size))
    for l in range(o.size):
        d = np.zeros_like(o)
        d[l] = eps
        J[:, l] = (fn(o + d) - fn(o - d)) / (2 * eps)
    return J


@pytest.mark.parametrize("name", list(HIDDEN))
def test_hidden_derivatives(name, rng):
    act = hidden_activation(name)
    z = rng.normal(size=50) * 2
    z = z[np.abs(z) > 1e-3]  # away from relu's kink
    eps = 1e-6
    numeric = (act(z + eps) - act(z - eps)) / (2 * eps)
    np.testing.assert_allclose(act.deriv(z), numeric, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(act.deriv_from_output(act(z)), act.deriv(z), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(HIDDEN))
def test_derivative_from_output_into_a_buffer_is_the_same(name, dtype, rng):
    """The backward pass writes f'(z_t) into a reused buffer: same values, same dtype, bit for bit."""
    act = hidden_activation(name)
    a = act(rng.normal(size=(3, 4, 5)).astype(dtype))
    out = np.full_like(a, np.nan)  # stale contents must not leak into the result
    returned = act.deriv_from_output(a, out=out)
    assert returned is out and out.dtype == dtype
    np.testing.assert_array_equal(out, act.deriv_from_output(a))


@pytest.mark.parametrize("name", list(OUTPUT))
def test_output_jacobian_and_vjp(name, rng):
    act = output_activation(name)
    o = rng.normal(size=5)
    J = act.jacobian(o)
    np.testing.assert_allclose(J, fd_jacobian(act, o), rtol=1e-7, atol=1e-9)
    v = rng.normal(size=5)
    np.testing.assert_allclose(act.vjp(o, act(o), v), J.T @ v, rtol=1e-12, atol=1e-15)


def test_softmax_jacobian_is_not_diagonal(rng):
    o = rng.normal(size=4)
    J = output_activation("softmax").jacobian(o)
    off_diagonal = J - np.diag(np.diag(J))
    assert np.max(np.abs(off_diagonal)) > 1e-2
    np.testing.assert_allclose(J.sum(axis=0), 0, atol=1e-15)  # outputs always sum to 1


def test_softmax_and_log_softmax_are_stable():
    o = np.array([1000.0, -1000.0, 999.0])
    y = rnnlib.softmax(o)
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y, [1 / (1 + np.exp(-1)), 0, np.exp(-1) / (1 + np.exp(-1))], rtol=1e-15, atol=1e-300)
    log_y = rnnlib.log_softmax(o)
    np.testing.assert_allclose(log_y[[0, 2]], np.log(y[[0, 2]]), rtol=1e-14)
    assert log_y[1] == pytest.approx(-2000 - np.log1p(np.exp(-1)), rel=1e-15)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is harmless
        rnnlib.softmax(np.array([-1000.0, 1000.0]))
        rnnlib.sigmoid(np.array([-1000.0, 1000.0]))


def test_activations_keep_float32():
    z = np.linspace(-3, 3, 7, dtype=np.float32)
    for act in list(HIDDEN.values()):
        assert act(z).dtype == np.float32 and act.deriv(z).dtype == np.float32
    for act in OUTPUT.values():
        assert act(z).dtype == np.float32 and act.vjp(z, act(z), z).dtype == np.float32


def test_unknown_names():
    with pytest.raises(ValueError, match=r"f: expected one of 'tanh', 'sigmoid', 'relu', 'identity', got 'softmax'"):
        hidden_activation("softmax")
    with pytest.raises(ValueError, match=r"g: expected one of .*got 'relu'"):
        output_activation("relu")


def test_sigmoid_is_accurate_in_both_tails():
    z = np.array([-745.0, -300.0, -30.0, -1.0, 0.0, 1.0, 30.0, 300.0])
    exact = np.array([np.exp(v) / (1 + np.exp(v)) if v < 0 else 1 / (1 + np.exp(-v)) for v in z])
    np.testing.assert_allclose(rnnlib.sigmoid(z), exact, rtol=1e-15, atol=0)
    out = np.empty_like(z)
    assert rnnlib.sigmoid(z, out=out) is out


@pytest.mark.parametrize("name", list(HIDDEN))
def test_activations_work_in_place(name, rng):
    """The lean forward pass writes f(z) over z; every activation must allow out=z."""
    act = hidden_activation(name)
    z = rng.normal(size=(4, 5)) * 3
    expected = act(z.copy())
    assert act(z, out=z) is z
    np.testing.assert_array_equal(z, expected)
