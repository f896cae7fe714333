"""The forward pass: shapes, h_0 = 0, three readings of one equation, closed forms."""

import numpy as np
import pytest
from conftest import F, G, make_problem, random_params

import rnnlib
from rnnlib.activations import hidden_activation, output_activation
from rnnlib.reference import forward_einsum, forward_matrix, forward_step_loops


def test_shapes_batch_and_single(rng):
    p = rnnlib.init_params(3, 5, 2, rng=rng)
    c = rnnlib.forward(p, rng.normal(size=(4, 7, 3)))
    assert (c.z.shape, c.h.shape, c.o.shape, c.y.shape) == ((4, 7, 5), (4, 8, 5), (4, 7, 2), (4, 7, 2))
    s = rnnlib.forward(p, rng.normal(size=(7, 3)))
    assert (s.z.shape, s.h.shape, s.o.shape, s.y.shape) == ((7, 5), (8, 5), (7, 2), (7, 2))
    assert not c.h[:, 0].any() and not s.h[0].any()  # h_0 = 0


def test_each_equation_of_the_forward_pass(rng):
    p, X, _ = make_problem(rng, 3, 6, 2, 4, 3)
    c = rnnlib.forward(p, X)
    for i in range(3):
        for t in range(1, 7):  # c.h[i, t] is h_t; c.z[i, t - 1] is z_t
            z_t = p.W_hh @ c.h[i, t - 1] + p.W_xh @ X[i, t - 1] + p.b_h
            np.testing.assert_allclose(c.z[i, t - 1], z_t, rtol=0, atol=1e-14)
            np.testing.assert_allclose(c.h[i, t], np.tanh(z_t), rtol=0, atol=1e-15)
            np.testing.assert_allclose(c.o[i, t - 1], p.W_hy @ c.h[i, t] + p.b_y, rtol=0, atol=1e-14)
    np.testing.assert_allclose(c.y, rnnlib.softmax(c.o), rtol=0, atol=1e-15)


def test_three_readings_of_forward_z_agree(rng):
    p = random_params(rng, 3, 4, 2)
    h_prev, x_t = rng.normal(size=4), rng.normal(size=3)
    loops = forward_step_loops(p, h_prev, x_t)
    einsum = np.einsum("ij,j->i", p.W_hh, h_prev) + np.einsum("ik,k->i", p.W_xh, x_t) + p.b_h
    matrix = p.W_hh @ h_prev + p.W_xh @ x_t + p.b_h
    np.testing.assert_allclose(loops, einsum, rtol=0, atol=1e-15)
    np.testing.assert_allclose(matrix, einsum, rtol=0, atol=1e-15)


@pytest.mark.parametrize("f", F)
@pytest.mark.parametrize("g", G)
def test_batched_matches_both_references(f, g, rng):
    p, X, _ = make_problem(rng, 3, 5, 2, 4, 3, f=f, g=g)
    c = rnnlib.forward(p, X, f=f, g=g)
    for i in range(3):
        for ref in (forward_einsum, forward_matrix):
            z, h, o, y = ref(p, X[i], f, g)
            for fast, slow in ((c.z[i], z[1:]), (c.h[i], h), (c.o[i], o[1:]), (c.y[i], y[1:])):
                np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-12)


def test_batch_equals_sequences_one_by_one(rng):
    p, X, _ = make_problem(rng, 5, 4, 3, 6, 2)
    c = rnnlib.forward(p, X)
    for i in range(5):
        s = rnnlib.forward(p, X[i])
        np.testing.assert_allclose(c.h[i], s.h, rtol=0, atol=1e-15)
        np.testing.assert_allclose(c.y[i], s.y, rtol=0, atol=1e-15)


def test_zero_recurrence_is_a_per_step_mlp(rng):
    """With W_hh = 0, y_t = g(W_hy f(W_xh x_t + b_h) + b_y) depends on x_t alone."""
    p = random_params(rng, 3, 5, 2)
    p = rnnlib.Params(p.W_xh, np.zeros((5, 5)), p.W_hy, p.b_h, p.b_y)
    X = rng.normal(size=(2, 6, 3))
    c = rnnlib.forward(p, X, f="tanh", g="sigmoid")
    mlp = rnnlib.sigmoid(np.tanh(X @ p.W_xh.T + p.b_h) @ p.W_hy.T + p.b_y)
    np.testing.assert_allclose(c.y, mlp, rtol=0, atol=1e-15)
    # permuting time permutes the outputs: no memory at all
    perm = rng.permutation(6)
    np.testing.assert_allclose(rnnlib.forward(p, X[:, perm], g="sigmoid").y, c.y[:, perm], rtol=0, atol=1e-15)


def test_single_step_is_one_layer(rng):
    """T = 1: h_1 = f(W_xh x_1 + b_h) since h_0 = 0, whatever W_hh is."""
    p = random_params(rng, 4, 3, 2)
    x = rng.normal(size=(1, 4))
    c = rnnlib.forward(p, x, f="relu", g="identity")
    np.testing.assert_allclose(c.h[1], np.maximum(p.W_xh @ x[0] + p.b_h, 0), rtol=0, atol=1e-15)
    np.testing.assert_allclose(c.y[0], p.W_hy @ c.h[1] + p.b_y, rtol=0, atol=1e-15)


def test_float32_stays_float32(rng):
    p = rnnlib.init_params(3, 4, 2, rng=rng, dtype=np.float32)
    X = rng.normal(size=(2, 5, 3)).astype(np.float32)
    c = rnnlib.forward(p, X)
    assert all(a.dtype == np.float32 for a in (c.x, c.z, c.h, c.o, c.y))
    # and agrees with float64 to float32 precision
    c64 = rnnlib.forward(p.astype(np.float64), X.astype(np.float64))
    np.testing.assert_allclose(c.y, c64.y, rtol=1e-5, atol=1e-6)


def test_mixed_precision_widens(rng):
    p = rnnlib.init_params(3, 4, 2, rng=rng, dtype=np.float32)
    assert rnnlib.forward(p, rng.normal(size=(5, 3))).y.dtype == np.float64


def test_integer_input_is_converted_not_truncated(rng):
    p = rnnlib.init_params(2, 3, 2, rng=rng)
    X_int = np.array([[1, -2], [3, 0]])
    c = rnnlib.forward(p, X_int)
    assert c.x.dtype == np.float64
    np.testing.assert_array_equal(c.y, rnnlib.forward(p, X_int.astype(float)).y)
    big = np.array([[2**30 + 1, 0]])  # not exactly representable in float32
    assert rnnlib.forward(p.astype(np.float32), big).x[0, 0] == 2**30 + 1


def test_extreme_logits_stay_finite(rng):
    p = random_params(rng, 2, 3, 4)
    p = rnnlib.Params(p.W_xh, p.W_hh, 1000 * np.sign(p.W_hy), p.b_h, p.b_y)
    c = rnnlib.forward(p, 50 * rng.normal(size=(6, 2)))
    assert np.all(np.isfinite(c.y)) and np.abs(c.o).max() > 500
    np.testing.assert_allclose(c.y.sum(axis=-1), 1, rtol=1e-15)


def test_activations_are_the_named_ones(rng):
    p, X, _ = make_problem(rng, 2, 3, 2, 3, 2)
    for f in F:
        for g in G:
            c = rnnlib.forward(p, X, f=f, g=g)
            np.testing.assert_allclose(c.h[:, 1:], hidden_activation(f)(c.z), rtol=0, atol=0)
            np.testing.assert_allclose(c.y, output_activation(g)(c.o), rtol=0, atol=0)


def test_carrying_the_state_continues_the_sequence(rng):
    """Running T steps at once equals running them one call at a time with h0 carried over."""
    p, X, _ = make_problem(rng, 3, 7, 2, 4, 3)
    whole = rnnlib.forward(p, X)
    h = np.zeros((3, 4))
    for t in range(7):
        step = rnnlib.forward(p, X[:, t : t + 1], h0=h)
        np.testing.assert_allclose(step.y[:, 0], whole.y[:, t], rtol=0, atol=1e-15)
        h = step.h[:, -1]
    np.testing.assert_allclose(h, whole.h[:, -1], rtol=0, atol=1e-15)
    single = rnnlib.forward(p, X[0, 3:], h0=whole.h[0, 3])
    np.testing.assert_allclose(single.h, whole.h[0, 3:], rtol=0, atol=1e-15)


def test_h0_shape_is_checked(rng):
    p, X, _ = make_problem(rng, 3, 4, 2, 5, 2)
    with pytest.raises(ValueError, match=r"h0: expected shape \(N, n\) = \(3, 5\), got \(5,\)"):
        rnnlib.forward(p, X, h0=np.zeros(5))  # no broadcasting over the batch
    with pytest.raises(ValueError, match=r"h0: expected shape \(n,\) = \(5,\), got \(1, 5\)"):
        rnnlib.forward(p, X[0], h0=np.zeros((1, 5)))
    with pytest.raises(ValueError, match=r"h0: expected finite values"):
        rnnlib.forward(p, X, h0=np.full((3, 5), np.nan))


def test_reference_forward_rejects_bad_input_by_name(rng):
    """The readable forms refuse what they would otherwise truncate or misread."""
    p = random_params(rng, 3, 4, 2)
    with pytest.raises(ValueError, match=r"h_prev: expected shape \(n,\) with n = 4, got \(5,\)"):
        forward_step_loops(p, np.ones(5), np.ones(3))  # the loops would drop h_prev[4]
    with pytest.raises(ValueError, match=r"x_t: expected shape \(m,\) with m = 3, got \(7,\)"):
        forward_step_loops(p, np.ones(4), np.ones(7))
    for reference in (forward_einsum, forward_matrix):
        with pytest.raises(ValueError, match=r"x: expected one sequence of shape \(T, m\).*1-D"):
            reference(p, np.ones(5))
        with pytest.raises(ValueError, match=r"x: expected shape \(T, m\) with m = 3.*got \(5, 4\)"):
            reference(p, np.ones((5, 4)))
        with pytest.raises(ValueError, match=r"x: expected finite values"):
            reference(p, np.full((2, 3), np.nan))
