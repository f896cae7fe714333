"""Optimisers, clipping and the training loop."""

import numpy as np
import pytest
from conftest import random_params

import rnnlib
from rnnlib import tasks


def test_gradient_descent_is_the_notes_update_on_v(rng):
    p, g = random_params(rng, 3, 4, 2), random_params(rng, 3, 4, 2)
    new, _ = rnnlib.GradientDescent(lr=0.05).update(p, g)
    np.testing.assert_array_equal(rnnlib.vec(new), rnnlib.vec(p) - 0.05 * rnnlib.vec(g))


def test_momentum_two_steps(rng):
    p, g = random_params(rng, 2, 3, 2), random_params(rng, 2, 3, 2)
    opt = rnnlib.Momentum(lr=0.1, beta=0.5)
    p1, s = opt.update(p, g, opt.init(p))
    p2, _ = opt.update(p1, g, s)
    v, dv = rnnlib.vec(p), rnnlib.vec(g)
    np.testing.assert_allclose(rnnlib.vec(p2), v - 0.1 * dv - 0.1 * (0.5 * dv + dv), rtol=1e-15)


def test_adagrad_first_step_moves_each_entry_by_lr(rng):
    p, g = random_params(rng, 2, 3, 2), random_params(rng, 2, 3, 2)
    new, _ = rnnlib.Adagrad(lr=0.01, eps=1e-12).update(p, g, rnnlib.Adagrad().init(p))
    np.testing.assert_allclose(rnnlib.vec(p) - rnnlib.vec(new), 0.01 * np.sign(rnnlib.vec(g)), rtol=1e-9, atol=1e-12)


def test_adagrad_puts_eps_under_the_square_root_as_min_char_rnn():
    # min-char-rnn: mem += d * d;  p += -lr * d / np.sqrt(mem + 1e-8)
    p = rnnlib.Params(*(np.zeros(s) for s in [(1, 1), (1, 1), (1, 1), (1,), (1,)]))
    g = p.map(lambda a: np.full_like(a, 1e-5))
    opt = rnnlib.Adagrad(lr=0.1, eps=1e-8)
    new, s = opt.update(p, g, opt.init(p))
    step = -rnnlib.vec(new)
    expected = 0.1 * 1e-5 / np.sqrt(1e-10 + 1e-8)  # 0.0995 lr, not the full lr
    np.testing.assert_allclose(step, expected, rtol=1e-12)
    assert np.all(step < 0.1 * 0.1)
    np.testing.assert_allclose(rnnlib.vec(s.s), 1e-10, rtol=1e-12)


def test_adam_matches_its_definition(rng):
    p = random_params(rng, 2, 3, 2)
    grads = [random_params(rng, 2, 3, 2) for _ in range(3)]
    opt = rnnlib.Adam(lr=0.01)
    state, q = opt.init(p), p
    for g in grads:
        q, state = opt.update(q, g, state)
    w, m, v = rnnlib.vec(p), 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        d = rnnlib.vec(g)
        m = 0.9 * m + 0.1 * d
        v = 0.999 * v + 0.001 * d * d
        w = w - 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    np.testing.assert_allclose(rnnlib.vec(q), w, rtol=1e-13)


def test_optimisers_keep_float32(rng):
    p = rnnlib.init_params(2, 3, 2, rng=rng, dtype=np.float32)
    for opt in (rnnlib.GradientDescent(), rnnlib.Momentum(), rnnlib.Adagrad(), rnnlib.Adam()):
        q, _ = opt.update(p, p, opt.init(p))
        assert all(a.dtype == np.float32 for a in q)


def test_clip_by_global_norm(rng):
    g = random_params(rng, 3, 4, 2)
    norm = np.linalg.norm(rnnlib.vec(g))
    assert rnnlib.global_norm(g) == pytest.approx(norm, rel=1e-14)
    clipped, before = rnnlib.clip_by_global_norm(g, norm / 4)
    assert before == pytest.approx(norm, rel=1e-14)
    np.testing.assert_allclose(rnnlib.vec(clipped), rnnlib.vec(g) / 4, rtol=1e-14)  # same direction
    same, _ = rnnlib.clip_by_global_norm(g, 2 * norm)
    assert same is g  # below the threshold nothing changes


def test_clip_elementwise(rng):
    g = random_params(rng, 3, 4, 2)
    c = rnnlib.clip_elementwise(g, 0.1)
    assert np.max(np.abs(rnnlib.vec(c))) <= 0.1
    small = np.abs(rnnlib.vec(g)) <= 0.1
    np.testing.assert_array_equal(rnnlib.vec(c)[small], rnnlib.vec(g)[small])


def test_update_rejects_non_finite_gradients(rng):
    p = random_params(rng, 2, 3, 2)
    bad = p.map(lambda a: a * np.nan)
    with pytest.raises(ValueError, match="grads.W_xh: expected finite values"):
        rnnlib.GradientDescent().update(p, bad)


def test_gradient_descent_trains_the_sine_task():
    rng = np.random.default_rng(1)
    X, Y = tasks.sine_continuation(32, 30, rng=rng)
    p0 = rnnlib.init_params(1, 16, 1, rng=rng)
    p, h = rnnlib.train(p0, X, Y, optimizer=rnnlib.GradientDescent(lr=0.02), steps=300, g="identity")
    assert h.loss[-1] < h.loss[0] / 50, (h.loss[0], h.loss[-1])  # measured: 5.30 -> 0.064
    assert np.all(np.diff(h.loss) <= 1e-12)  # a small enough step only ever goes down hill
    C, _ = rnnlib.loss_and_grad(p, X, Y, g="identity")
    assert C < h.loss[-1]


def test_adam_with_minibatches_trains_delayed_recall():
    rng = np.random.default_rng(2)
    X, Y = tasks.delayed_recall(128, 12, delay=2, symbols=3, rng=rng)
    p0 = rnnlib.init_params(3, 24, 4, rng=rng)
    p, h = rnnlib.train(
        p0, X, Y, optimizer=rnnlib.Adam(lr=0.02), steps=400, batch_size=32, loss="cross_entropy", rng=rng
    )
    C0, _ = rnnlib.loss_and_grad(p0, X, Y, loss="cross_entropy")
    C, _ = rnnlib.loss_and_grad(p, X, Y, loss="cross_entropy")
    assert C < C0 / 50, (C0, C)
    accuracy = np.mean(rnnlib.forward(p, X).y.argmax(-1) == Y.argmax(-1))
    assert accuracy > 0.99


def test_frozen_recurrence_cannot_learn_to_remember():
    """With W_hh = 0 held fixed the network is a per-step MLP: it stays at the best memoryless guess."""
    rng = np.random.default_rng(3)
    X, Y = tasks.delayed_recall(128, 12, delay=2, symbols=3, rng=rng)
    p0 = rnnlib.init_params(3, 24, 4, rng=rng)
    p0 = rnnlib.Params(p0.W_xh, np.zeros((24, 24)), p0.W_hy, p0.b_h, p0.b_y)
    p, h = rnnlib.train(p0, X, Y, optimizer=rnnlib.Adam(lr=0.02), steps=300, loss="cross_entropy", freeze=("W_hh",))
    assert not p.W_hh.any()
    # the best a memoryless predictor can do: the marginal class frequencies at every step
    freq = Y.mean(axis=(0, 1))
    best_memoryless = -12 * np.sum(freq * np.log(freq))
    assert h.loss[-1] > 0.98 * best_memoryless


def test_clipping_bounds_the_step(rng):
    X, Y = tasks.sine_continuation(8, 10, rng=rng)
    p0 = rnnlib.init_params(1, 6, 1, rng=rng)
    p, h = rnnlib.train(p0, X, Y, optimizer=rnnlib.GradientDescent(lr=1.0), steps=1, g="identity", clip_norm=1e-3)
    step = np.linalg.norm(rnnlib.vec(p) - rnnlib.vec(p0))
    assert step == pytest.approx(1e-3, rel=1e-12) and h.grad_norm[0] > 1e-3


def test_minibatches_visit_every_sequence_once_per_epoch(rng, monkeypatch):
    seen = []
    real_forward = rnnlib.train.__globals__["forward"]

    def spy(params, X, **kw):
        seen.append(X[:, 0, 0].copy())
        return real_forward(params, X, **kw)

    monkeypatch.setitem(rnnlib.train.__globals__, "forward", spy)
    X = np.arange(12, dtype=float).reshape(12, 1, 1)
    Y = np.zeros((12, 1, 1))
    rnnlib.train(rnnlib.init_params(1, 2, 1, rng=rng), X, Y, optimizer=rnnlib.GradientDescent(), steps=6,
                 batch_size=4, g="identity", rng=rng)
    first, second = np.concatenate(seen[:3]), np.concatenate(seen[3:])
    assert sorted(first) == list(range(12)) and sorted(second) == list(range(12))
    assert not np.array_equal(first, second)  # a fresh order each epoch


def test_divergence_keeps_the_history_so_far(rng):
    X, Y = tasks.sine_continuation(16, 100, rng=1)
    p0 = rnnlib.init_params(1, 16, 1, rng=2)
    with pytest.raises(rnnlib.Diverged) as info:
        rnnlib.train(p0, X, Y, optimizer=rnnlib.GradientDescent(lr=0.05), steps=400, g="identity")
    assert isinstance(info.value, FloatingPointError)
    assert len(info.value.history.loss) == info.value.step > 0
    assert np.all(np.isfinite(info.value.history.loss))


def test_clip_value_clamps_each_entry(rng):
    X, Y = tasks.sine_continuation(8, 10, rng=rng)
    p0 = rnnlib.init_params(1, 6, 1, rng=rng)
    p, _ = rnnlib.train(p0, X, Y, optimizer=rnnlib.GradientDescent(lr=1.0), steps=1, g="identity", clip_value=1e-3)
    step = np.abs(rnnlib.vec(p) - rnnlib.vec(p0))
    assert step.max() == pytest.approx(1e-3, rel=1e-12)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("make", [lambda: rnnlib.GradientDescent(lr=0.1), lambda: rnnlib.Momentum(lr=0.1),
                                  lambda: rnnlib.Adagrad(lr=0.1), lambda: rnnlib.Adam(lr=0.01)])
def test_optimisers_train_the_gated_cells(cell, make):
    """The update rules act entry by entry, so they take LSTMParams and GRUParams as they take Params."""
    module = getattr(rnnlib.gated, cell)
    rng = np.random.default_rng(3)
    params = module.init_params(2, 4, 2, rng=rng)
    X, Y = rng.normal(size=(3, 5, 2)), rng.normal(size=(3, 5, 2))
    opt = make()
    state = opt.init(params)
    costs = []
    for _ in range(30):
        C, grads = module.loss_and_grad(params, X, Y, loss="mse", g="identity")
        grads, _ = rnnlib.clip_by_global_norm(grads, 1.0)
        params, state = opt.update(params, grads, state)
        costs.append(C)
    assert type(params) is type(grads) and costs[-1] < 0.9 * costs[0]
    other = (rnnlib.gated.gru if cell == "lstm" else rnnlib.gated.lstm).init_params(2, 4, 2, rng=rng)
    with pytest.raises(TypeError, match="grads: expected " + type(params).__name__):
        opt.update(params, other, state)
    with pytest.raises(TypeError, match="params: expected rnnlib.Params, rnnlib.gated.lstm.LSTMParams or rnnlib.gated.gru.GRUParams"):
        opt.init({"W_xh": np.zeros((4, 2))})
