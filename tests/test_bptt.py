"""Backpropagation through time against finite differences and against the element-wise reference."""

import numpy as np
import pytest
from conftest import COMBOS, make_problem, random_params, random_targets
from hypothesis import given
from hypothesis import strategies as st

import rnnlib
from rnnlib.reference import bptt_einsum, forward_einsum, loss_and_grad_reference

TOL = 1e-7  # largest entry-wise relative error allowed against finite differences
SHAPES = [  # (N, T, m, n, k), the edges included
    (3, 5, 2, 4, 3),
    (1, 1, 1, 1, 1),
    (1, 6, 2, 1, 3),
    (4, 1, 3, 2, 2),
    (2, 3, 1, 3, 1),
]


@pytest.mark.parametrize("f, g, loss", COMBOS)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "N{}-T{}-m{}-n{}-k{}".format(*s))
def test_gradient_check_every_combination(f, g, loss, shape, rng):
    params, X, Y = make_problem(rng, *shape, f=f, g=g, loss=loss)
    result = rnnlib.check_gradient(params, X, Y, loss=loss, f=f, g=g)
    assert result.max_rel_error < TOL, result


@pytest.mark.parametrize("f, g, loss", COMBOS)
def test_gradient_check_single_sequence(f, g, loss, rng):
    params, X, Y = make_problem(rng, 1, 4, 2, 3, 2, f=f, g=g, loss=loss, batched=False)
    assert X.shape == (4, 2)
    result = rnnlib.check_gradient(params, X, Y, loss=loss, f=f, g=g)
    assert result.max_rel_error < TOL, result


@given(
    N=st.integers(1, 3),
    T=st.integers(1, 6),
    m=st.integers(1, 4),
    n=st.integers(1, 5),
    k=st.integers(1, 4),
    combo=st.sampled_from(COMBOS),
    seed=st.integers(0, 2**32 - 1),
)
def test_gradient_check_random_shapes(N, T, m, n, k, combo, seed):
    f, g, loss = combo
    params, X, Y = make_problem(np.random.default_rng(seed), N, T, m, n, k, f=f, g=g, loss=loss)
    result = rnnlib.check_gradient(params, X, Y, loss=loss, f=f, g=g)
    assert result.max_rel_error < TOL, result


@pytest.mark.parametrize("f, g, loss", COMBOS)
@pytest.mark.parametrize("form", ["einsum", "matrix"])
def test_matrix_form_equals_reference(f, g, loss, form, rng):
    params, X, Y = make_problem(rng, 3, 6, 3, 4, 3, f=f, g=g, loss=loss)
    C, grads = rnnlib.loss_and_grad(params, X, Y, loss=loss, f=f, g=g)
    C_ref, grads_ref = loss_and_grad_reference(params, X, Y, loss=loss, f=f, g=g, form=form)
    assert abs(C - C_ref) <= 1e-12 * max(1, abs(C_ref))
    for (name, a), b in zip(grads.items(), grads_ref):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12, err_msg=name)


def test_error_signals_equal_reference(rng):
    params, X, Y = make_problem(rng, 1, 5, 2, 3, 4, loss="mse", batched=False)
    cache = rnnlib.forward(params, X)
    signals = rnnlib.backward(params, cache, rnnlib.cost_gradient_y(cache, Y))
    z, h, o, _ = forward_einsum(params, X)
    _, e, delta = bptt_einsum(params, X, z, h, o, cache.y - Y)
    np.testing.assert_allclose(signals.e, e[1:], rtol=0, atol=1e-14)
    np.testing.assert_allclose(signals.delta, delta[1:-1], rtol=0, atol=1e-14)
    assert not delta[-1].any()  # the boundary delta_{T+1} = 0


def test_last_delta_has_no_future_term(rng):
    """delta_T = W_hy^T e_T * f'(z_T), and each earlier delta follows the recursion."""
    params, X, Y = make_problem(rng, 2, 4, 2, 3, 2)
    cache = rnnlib.forward(params, X)
    s = rnnlib.backward(params, cache, rnnlib.cost_gradient_y(cache, Y))
    fprime = 1 - cache.h[:, 1:] ** 2  # tanh'(z_t)
    np.testing.assert_allclose(s.delta[:, -1], (s.e[:, -1] @ params.W_hy) * fprime[:, -1], rtol=0, atol=1e-15)
    for t in range(3):
        expected = (s.e[:, t] @ params.W_hy + s.delta[:, t + 1] @ params.W_hh) * fprime[:, t]
        np.testing.assert_allclose(s.delta[:, t], expected, rtol=0, atol=1e-15)


def test_softmax_cross_entropy_error_is_y_minus_target(rng):
    params, X, Y = make_problem(rng, 3, 4, 2, 3, 5, loss="cross_entropy")
    cache = rnnlib.forward(params, X)
    e = rnnlib.output_error(cache, Y, loss="cross_entropy")
    np.testing.assert_allclose(e, (cache.y - Y) / 3, rtol=0, atol=1e-16)
    # the general route through the softmax Jacobian gives the same
    via_jacobian = rnnlib.backward(params, cache, rnnlib.cost_gradient_y(cache, Y, loss="cross_entropy")).e
    np.testing.assert_allclose(via_jacobian, e, rtol=0, atol=1e-15)


def test_softmax_mse_error_uses_the_jacobian(rng):
    params, X, Y = make_problem(rng, 2, 3, 2, 3, 4, loss="mse")
    cache = rnnlib.forward(params, X)
    e = rnnlib.output_error(cache, Y, loss="mse")
    d = (cache.y - Y) / 2
    np.testing.assert_allclose(e, cache.y * (d - np.sum(cache.y * d, axis=-1, keepdims=True)), rtol=0, atol=1e-16)
    notes_elementwise = d * cache.y * (1 - cache.y)
    assert np.max(np.abs(notes_elementwise - e)) > 1e-3


def test_bptt_from_dC_dy_or_from_e(rng):
    params, X, Y = make_problem(rng, 2, 4, 2, 3, 2, g="tanh")
    cache = rnnlib.forward(params, X, g="tanh")
    a = rnnlib.bptt(params, cache, rnnlib.cost_gradient_y(cache, Y))
    b = rnnlib.bptt(params, cache, e=rnnlib.output_error(cache, Y))
    _, c = rnnlib.loss_and_grad(params, X, Y, g="tanh")
    for x, y, z in zip(a, b, c):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-16)
        np.testing.assert_allclose(x, z, rtol=0, atol=1e-16)


def test_batch_gradient_is_the_average_of_sequence_gradients(rng):
    params, X, Y = make_problem(rng, 4, 5, 2, 3, 2)
    C, grads = rnnlib.loss_and_grad(params, X, Y)
    singles = [rnnlib.loss_and_grad(params, X[i], Y[i]) for i in range(4)]
    assert C == pytest.approx(np.mean([c for c, _ in singles]), rel=1e-14)
    for j, a in enumerate(grads):
        np.testing.assert_allclose(a, np.mean([list(g)[j] for _, g in singles], axis=0), rtol=0, atol=1e-15)


def test_cost_values(rng):
    params, X, Y = make_problem(rng, 2, 3, 2, 3, 2, g="identity")
    cache = rnnlib.forward(params, X, g="identity")
    C_t = rnnlib.per_step_cost(cache, Y)
    np.testing.assert_allclose(C_t, 0.5 * np.sum((cache.y - Y) ** 2, axis=-1), rtol=1e-15)
    assert rnnlib.cost(cache, Y) == pytest.approx(C_t.sum() / 2, rel=1e-15)
    cache = rnnlib.forward(params, X)
    P = random_targets(rng, (2, 3, 2), "cross_entropy")
    ce = rnnlib.per_step_cost(cache, P, loss="cross_entropy")
    np.testing.assert_allclose(ce, -np.sum(P * np.log(cache.y), axis=-1), rtol=1e-14)


def test_cross_entropy_stays_finite_for_extreme_logits(rng):
    p = random_params(rng, 2, 3, 3)
    p = rnnlib.Params(p.W_xh, p.W_hh, 500 * np.sign(p.W_hy), p.b_h, p.b_y)
    X = 10 * rng.normal(size=(2, 4, 2))
    Y = np.eye(3)[rng.integers(0, 3, size=(2, 4))]
    C, grads = rnnlib.loss_and_grad(p, X, Y, loss="cross_entropy")
    assert np.isfinite(C) and C > 100
    assert all(np.all(np.isfinite(a)) for a in grads)


def test_float32_gradients_stay_float32(rng):
    params, X, Y = make_problem(rng, 3, 4, 2, 3, 2)
    p32 = params.astype(np.float32)
    C, grads = rnnlib.loss_and_grad(p32, X.astype(np.float32), Y.astype(np.float32), loss="mse")
    assert all(a.dtype == np.float32 for a in grads)
    _, grads64 = rnnlib.loss_and_grad(p32.astype(np.float64), X.astype(np.float32).astype(np.float64), Y)
    for a, b in zip(grads, grads64):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_zero_recurrence_gradient_matches_a_per_step_mlp(rng):
    """With W_hh = 0, delta_t has no future term: each step backpropagates like a one-hidden-layer MLP."""
    p = random_params(rng, 3, 4, 2)
    p = rnnlib.Params(p.W_xh, np.zeros((4, 4)), p.W_hy, p.b_h, p.b_y)
    X, Y = rng.normal(size=(1, 3, 3)), rng.normal(size=(1, 3, 2))
    _, grads = rnnlib.loss_and_grad(p, X, Y, g="identity")
    dW_xh = np.zeros((4, 3))
    for t in range(3):  # textbook MLP backprop, one step at a time
        a = np.tanh(p.W_xh @ X[0, t] + p.b_h)
        e = p.W_hy @ a + p.b_y - Y[0, t]
        dW_xh += np.outer((p.W_hy.T @ e) * (1 - a**2), X[0, t])
    np.testing.assert_allclose(grads.W_xh, dW_xh, rtol=0, atol=1e-15)


@pytest.mark.parametrize("f, g, loss", COMBOS[:4] + COMBOS[-2:])
def test_gradient_check_with_a_carried_state(f, g, loss, rng):
    params, X, Y = make_problem(rng, 2, 4, 2, 3, 2, f=f, g=g, loss=loss)
    h0 = rng.uniform(-0.9, 0.9, size=(2, 3))
    result = rnnlib.check_gradient(params, X, Y, loss=loss, f=f, g=g, h0=h0)
    assert result.max_rel_error < TOL, result
    _, with_h0 = rnnlib.loss_and_grad(params, X, Y, loss=loss, f=f, g=g, h0=h0)
    _, without = rnnlib.loss_and_grad(params, X, Y, loss=loss, f=f, g=g)
    assert not np.allclose(with_h0.W_hh, without.W_hh)  # h_0 enters dC/dW_hh through delta_1 h_0^T


@pytest.mark.parametrize("rows", [1, 7, 64, 10_000])
def test_streamed_gradients_equal_the_full_backward_pass(rows, rng):
    """Block by block or all at once, the same sums (up to their order of summation)."""
    from rnnlib.backprop import backward_tm, streamed_gradients
    from rnnlib.losses import cost_and_error_tm

    params, X, Y = make_problem(rng, 3, 11, 2, 4, 3)
    cache = rnnlib.forward(params, X)
    _, e = cost_and_error_tm(cache, Y, "mse")
    full = rnnlib.gradients(cache, backward_tm(params, cache, e))
    streamed = streamed_gradients(params, cache, e, rows_per_block=rows)
    for a, b in zip(full, streamed):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_time_indexed_puts_step_t_in_row_t():
    from rnnlib.reference import time_indexed

    a = np.arange(6.0).reshape(3, 2)
    b = time_indexed(a)
    assert b.shape == (4, 2) and np.isnan(b[0]).all()
    np.testing.assert_array_equal(b[1:], a)
    with pytest.raises(ValueError, match=r"a: expected a 2-D array of shape \(T, d\) with T, d >= 1, got shape \(3,\)"):
        time_indexed(np.zeros(3))
    with pytest.raises(ValueError, match=r"got shape \(0, 2\)"):
        time_indexed(np.zeros((0, 2)))
    assert time_indexed(a.astype(np.float32)).dtype == np.float32
