"""The finite-difference machinery itself, on functions whose derivatives are known."""

import numpy as np
import pytest

import rnnlib


@pytest.mark.parametrize("stencil, tol", [("forward", 1e-6), ("central", 1e-9), ("central4", 1e-11)])
def test_stencils_on_a_known_function(stencil, tol, rng):
    x = rng.normal(size=(3, 4))
    d = rnnlib.numerical_derivative(lambda a: np.sum(np.sin(a) * a), x, stencil=stencil)
    np.testing.assert_allclose(d, np.cos(x) * x + np.sin(x), rtol=0, atol=tol)


def test_error_orders(rng):
    """Halving eps divides the truncation error by about 2, 4 and 16."""
    x = np.array([0.7])
    exact = np.exp(0.7)
    for stencil, order in (("forward", 1), ("central", 2), ("central4", 4)):
        errors = [abs(rnnlib.numerical_derivative(lambda a: np.exp(a[0]), x, stencil=stencil, eps=e)[0] - exact)
                  for e in (0.1, 0.05)]
        assert errors[0] / errors[1] == pytest.approx(2**order, rel=0.1)


def test_numerical_gradient_does_not_modify_params(rng):
    p = rnnlib.init_params(2, 3, 2, rng=rng)
    before = rnnlib.vec(p).copy()
    rnnlib.numerical_gradient(lambda q: float(np.sum(rnnlib.vec(q) ** 2)), p)
    assert np.array_equal(rnnlib.vec(p), before)


def test_relative_error():
    r = rnnlib.relative_error([1.0, 0.0, 1e-20, 2.0], [1.0, 0.0, 0.0, -2.0], floor=1e-10)
    np.testing.assert_allclose(r, [0.0, 0.0, 1e-10, 1.0])


def test_gradcheck_reports_where(rng):
    p = rnnlib.init_params(2, 3, 2, rng=rng)
    X, Y = rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 3, 2))

    def wrong_b_y(params, X, Y, **kw):
        C, g = rnnlib.loss_and_grad(params, X, Y, **kw)
        b_y = g.b_y.copy()
        b_y[1] += 1.0
        return C, rnnlib.Params(g.W_xh, g.W_hh, g.W_hy, g.b_h, b_y)

    result = rnnlib.check_gradient(p, X, Y, grad_fn=wrong_b_y)
    assert result.worst == "b_y[1]" and not result.passed()
    assert "b_y[1]" in repr(result)


def test_bad_stencil(rng):
    with pytest.raises(ValueError, match="stencil: expected one of 'forward', 'central', 'central4', got 'backward'"):
        rnnlib.numerical_derivative(np.sum, np.zeros(2), stencil="backward")
