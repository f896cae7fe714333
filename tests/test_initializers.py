"""Recurrent initialisations: orthogonal, identity, a given spectral radius."""

import numpy as np
import pytest

import rnnlib
from rnnlib import initializers as init
from rnnlib.diagnostics import spectral_radius


@pytest.mark.parametrize("n", [1, 2, 7, 32])
def test_orthogonal_is_orthogonal(n, rng):
    Q = init.orthogonal(n, rng=rng)
    assert Q.shape == (n, n) and Q.dtype == np.float64
    np.testing.assert_allclose(Q.T @ Q, np.eye(n), atol=1e-14)
    np.testing.assert_allclose(np.linalg.svd(Q, compute_uv=False), 1, rtol=1e-14)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(Q)), 1, rtol=1e-12)


def test_orthogonal_is_uniform_not_biased_by_qr():
    # Without the sign correction, numpy's QR gives R a negative diagonal more
    # often than not and Q's diagonal a biased mean.  Under the Haar measure
    # each entry of Q has mean 0 and variance 1/n.
    n, draws = 3, 4000
    rng = np.random.default_rng(1)
    Qs = np.array([init.orthogonal(n, rng=rng) for _ in range(draws)])
    se = np.sqrt(1 / n / draws)
    assert np.all(np.abs(Qs.mean(0)) < 5 * se)
    np.testing.assert_allclose(Qs.var(0), 1 / n, rtol=0.1)

    def unsigned(rng):
        return np.linalg.qr(rng.standard_normal((n, n)))[0]

    rng = np.random.default_rng(1)
    biased = np.array([unsigned(rng) for _ in range(draws)]).mean(0)
    assert np.max(np.abs(biased)) > 5 * se  # the check above can fail


def test_orthogonal_is_reproducible_and_float32():
    a = init.orthogonal(5, rng=3)
    b = init.orthogonal(5, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert init.orthogonal(5, rng=3, dtype=np.float32).dtype == np.float32


def test_identity():
    np.testing.assert_array_equal(init.identity(4), np.eye(4))
    np.testing.assert_array_equal(init.identity(3, scale=0.5, dtype=np.float32), 0.5 * np.eye(3, dtype=np.float32))


@pytest.mark.parametrize("rho", [0.0, 0.5, 1.0, 3.0])
def test_with_radius(rho, rng):
    W = rng.uniform(-0.3, 0.3, size=(6, 6))
    V = init.with_radius(W, rho)
    assert spectral_radius(V) == pytest.approx(rho, rel=1e-12, abs=1e-15)
    if rho:
        np.testing.assert_allclose(V / W, rho / spectral_radius(W), rtol=1e-14)  # one common factor
    assert init.with_radius(W.astype(np.float32), 1.0).dtype == np.float32


def test_with_radius_non_normal_keeps_a_larger_norm():
    W = np.array([[0.5, 3.0], [0.0, 0.5]])  # rho = 0.5, sigma_max about 3.1
    V = init.with_radius(W, 1.0)
    assert spectral_radius(V) == pytest.approx(1.0)
    assert np.linalg.norm(V, 2) > 6


def test_with_W_hh_replaces_only_W_hh(rng):
    p = rnnlib.init_params(3, 4, 2, rng=rng)
    q = init.with_W_hh(p, init.identity(4))
    np.testing.assert_array_equal(q.W_hh, np.eye(4))
    for name in ("W_xh", "W_hy", "b_h", "b_y"):
        assert getattr(q, name) is getattr(p, name)
    assert p.W_hh is not q.W_hh and not np.array_equal(p.W_hh, np.eye(4))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: init.orthogonal(0), ValueError, r"n: expected an integer >= 1, got 0"),
        (lambda: init.orthogonal(2.0), TypeError, r"n: expected an integer, got float 2.0"),
        (lambda: init.orthogonal(3, dtype=np.int64), TypeError, r"dtype: expected a floating dtype .* got int64"),
        (lambda: init.orthogonal(3, rng="a"), TypeError, r"rng: expected a numpy Generator"),
        (lambda: init.identity(3, scale=np.nan), TypeError, r"scale: expected a finite real number, got nan"),
        (lambda: init.identity(3, scale="1"), TypeError, r"scale: expected a finite real number, got '1'"),
        (lambda: init.with_radius(np.ones((2, 3)), 1.0), ValueError, r"W: expected a square .* got shape \(2, 3\)"),
        (lambda: init.with_radius(np.ones(3), 1.0), ValueError, r"W: expected a square matrix .* got shape \(3,\)"),
        (lambda: init.with_radius(np.eye(2), -1.0), ValueError, r"rho: expected a finite number >= 0, got -1.0"),
        (lambda: init.with_radius(np.eye(2), np.inf), ValueError, r"rho: expected a finite number >= 0, got inf"),
        (lambda: init.with_radius(np.eye(2), "1"), TypeError, r"rho: expected a real number, got str"),
        (lambda: init.with_radius([[0.0, 1.0], [0.0, 0.0]], 1.0), ValueError, r"W: has spectral radius 0"),
        (lambda: init.with_radius([[np.nan, 0.0], [0.0, 1.0]], 1.0), ValueError, r"W: expected finite values, got nan"),
        (lambda: init.with_radius(np.eye(2, dtype=complex), 1.0), TypeError, r"W: expected real numbers"),
    ],
)
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_with_W_hh_bad_input(rng):
    p = rnnlib.init_params(3, 4, 2, rng=rng)
    with pytest.raises(TypeError, match=r"params: expected rnnlib.Params, got dict"):
        init.with_W_hh({}, np.eye(4))
    with pytest.raises(ValueError, match=r"W_hh: expected shape \(n, n\) = \(4, 4\) like params.W_hh, got \(3, 3\)"):
        init.with_W_hh(p, np.eye(3))
    with pytest.raises(ValueError, match=r"W_hh: expected dtype float64 like the other parameters, got float32"):
        init.with_W_hh(p, np.eye(4, dtype=np.float32))
    bad = np.eye(4)
    bad[1, 2] = np.inf
    with pytest.raises(ValueError, match=r"W_hh: expected finite values, got inf at index \(1, 2\)"):
        init.with_W_hh(p, bad)
