"""The synthetic tasks produce what their docstrings promise."""

import numpy as np

from rnnlib import tasks


def test_sine_target_is_the_next_input(rng):
    X, Y = tasks.sine_continuation(5, 20, rng=rng)
    assert X.shape == Y.shape == (5, 20, 1)
    np.testing.assert_array_equal(Y[:, :-1], X[:, 1:])
    assert np.max(np.abs(X)) <= 1


def test_delayed_recall_targets(rng):
    X, Y = tasks.delayed_recall(6, 10, delay=3, symbols=4, rng=rng)
    assert X.shape == (6, 10, 4) and Y.shape == (6, 10, 5)
    np.testing.assert_array_equal(X.sum(-1), 1)
    np.testing.assert_array_equal(Y.sum(-1), 1)
    s, target = X.argmax(-1), Y.argmax(-1)
    assert np.all(target[:, :3] == 0)
    np.testing.assert_array_equal(target[:, 3:], s[:, :-3] + 1)


def test_zero_delay_needs_no_memory(rng):
    X, Y = tasks.delayed_recall(3, 5, delay=0, symbols=2, rng=rng)
    np.testing.assert_array_equal(Y[..., 1:], X)


def test_adding_problem(rng):
    X, Y = tasks.adding_problem(7, 12, rng=rng)
    assert X.shape == (7, 12, 2) and Y.shape == (7, 12, 1)
    marks = X[..., 1]
    np.testing.assert_array_equal(marks.sum(1), 2)
    assert np.all(marks[:, :6].sum(1) == 1)
    np.testing.assert_allclose(Y[:, -1, 0], np.sum(X[..., 0] * marks, axis=1), rtol=1e-15)
    assert np.all(np.diff(Y[..., 0], axis=1) >= 0)


def test_tasks_are_reproducible():
    a = tasks.delayed_recall(4, 6, rng=1)
    b = tasks.delayed_recall(4, 6, rng=np.random.default_rng(1))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
