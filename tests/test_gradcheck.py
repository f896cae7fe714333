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


STENCIL_NAMES = ("forward", "central", "central4")


def _network(seed, loss="cross_entropy", g="softmax"):
    r = np.random.default_rng(seed)
    p = rnnlib.init_params(3, 5, 4, rng=r)
    X, Y = r.normal(size=(4, 8, 3)), rnnlib.softmax(r.normal(size=(4, 8, 4)))
    return p, X, Y, dict(loss=loss, f="tanh", g=g)


def test_tolerance_follows_the_stencil():
    """1e5 (eps^p + u/eps): about 2e-3, 1.1e-5, 1.1e-7 at the default steps."""
    tol = {s: rnnlib.gradcheck.tolerance(s) for s in STENCIL_NAMES}
    assert tol["forward"] == pytest.approx(2.1e-3, rel=0.02)
    assert tol["central"] == pytest.approx(1.1e-5, rel=0.02)
    assert tol["central4"] == pytest.approx(1.1e-7, rel=0.02)
    # a larger step: truncation eps^p dominates
    assert rnnlib.gradcheck.tolerance("central", 1e-3) == pytest.approx(1e5 * 1e-6, rel=1e-6)


@pytest.mark.parametrize("stencil", STENCIL_NAMES)
@pytest.mark.parametrize("seed, loss, g", [(0, "cross_entropy", "softmax"), (1, "mse", "sigmoid"), (2, "mse", "identity")])
def test_correct_gradient_passes_with_each_stencil(stencil, seed, loss, g):
    p, X, Y, kw = _network(seed, loss, g)
    result = rnnlib.check_gradient(p, X, Y, stencil=stencil, **dict(kw))
    assert result.tol == rnnlib.gradcheck.tolerance(stencil)
    assert result.passed(), result
    assert result.max_rel_error < result.tol / 5  # with a margin


def test_forward_stencil_would_fail_a_fixed_central4_threshold():
    """Why the threshold must follow the stencil: the one-sided error of a correct gradient is far above 1e-7."""
    p, X, Y, kw = _network(0)
    result = rnnlib.check_gradient(p, X, Y, stencil="forward", **kw)
    assert result.max_rel_error > rnnlib.gradcheck.tolerance("central4")
    assert result.passed()


@pytest.mark.parametrize("stencil", STENCIL_NAMES)
@pytest.mark.parametrize("name", sorted(rnnlib.broken.VARIANTS))
def test_broken_gradient_fails_with_each_stencil(stencil, name):
    p, X, Y, kw = _network(0)
    result = rnnlib.check_gradient(p, X, Y, stencil=stencil, grad_fn=rnnlib.broken.VARIANTS[name], **kw)
    assert not result.passed(), result
    assert result.max_rel_error > 10 * result.tol


def test_float32_input_is_checked_in_float64():
    p, X, _, kw = _network(0)
    Y = np.eye(4)[np.random.default_rng(5).integers(4, size=(4, 8))]  # exact in float32
    p32, X32, Y32 = p.astype(np.float32), X.astype(np.float32), Y.astype(np.float32)
    r32 = rnnlib.check_gradient(p32, X32, Y32, **kw)
    r64 = rnnlib.check_gradient(p32.astype(np.float64), X32.astype(np.float64), Y32, **kw)
    assert r32.passed(), r32
    assert r32.max_rel_error == r64.max_rel_error
    assert r32.analytic.dtype == r32.numeric.dtype == np.float64
    assert p32.dtype == np.float32  # the caller's parameters are untouched
    # what the cast avoids: finite differences evaluated in float32 cannot pass
    d32 = rnnlib.vec(rnnlib.numerical_gradient(
        lambda q: rnnlib.cost(rnnlib.forward(q, X32), Y32, loss="cross_entropy"), p32))
    err = rnnlib.relative_error(d32, r64.numeric, floor=1e-4 * np.max(np.abs(r64.numeric))).max()
    assert err > 1e3 * rnnlib.gradcheck.tolerance("central4")


def test_float32_h0_is_cast_too(rng):
    p, X, Y, kw = _network(3)
    h0 = rng.normal(size=(4, 5))
    r32 = rnnlib.check_gradient(p.astype(np.float32), X, Y, h0=h0.astype(np.float32), **kw)
    assert r32.passed(), r32


def test_check_gradient_bad_stencil():
    p, X, Y, kw = _network(0)
    with pytest.raises(ValueError, match="stencil: expected one of"):
        rnnlib.check_gradient(p, X, Y, stencil="backward", **kw)
