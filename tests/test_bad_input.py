"""Bad input gets a clear error naming the argument, what was expected and what was received."""

import numpy as np
import pytest

import rnnlib
from rnnlib import tasks


@pytest.fixture
def problem(rng):
    params = rnnlib.init_params(3, 4, 2, rng=rng)
    X = rng.normal(size=(5, 6, 3))
    Y = rnnlib.softmax(rng.normal(size=(5, 6, 2)))
    return params, X, Y


@pytest.mark.parametrize(
    "X_shape, message",
    [
        ((5, 6, 4), r"X: expected shape \(N, T, m\) with m = 3 .*got \(5, 6, 4\)"),
        ((6, 4), r"X: expected shape \(T, m\) with m = 3 .*got \(6, 4\)"),
        ((6,), r"X: expected shape \(T, m\) for one sequence or \(N, T, m\) for a batch.*got 1-D shape \(6,\)"),
        ((2, 5, 6, 3), r"X: expected shape .* got 4-D shape \(2, 5, 6, 3\)"),
        ((0, 6, 3), r"X: expected shape \(N, T, m\) with m = 3 \(from params.W_xh\) and N, T >= 1, got \(0, 6, 3\)"),
        ((5, 0, 3), r"X: .*N, T >= 1, got \(5, 0, 3\)"),
    ],
)
def test_wrong_X_shape(problem, X_shape, message):
    params, _, Y = problem
    with pytest.raises(ValueError, match=message):
        rnnlib.forward(params, np.zeros(X_shape))
    with pytest.raises(ValueError, match=message):
        rnnlib.loss_and_grad(params, np.zeros(X_shape), Y)


@pytest.mark.parametrize(
    "Y_shape, message",
    [
        ((5, 6, 3), r"Y: expected shape \(N, T, k\) = \(5, 6, 2\) like y, got \(5, 6, 3\)"),
        ((5, 6), r"Y: expected shape \(N, T, k\) = \(5, 6, 2\) like y, got \(5, 6\)"),
        ((1, 6, 2), r"Y: expected shape \(N, T, k\) = \(5, 6, 2\) like y, got \(1, 6, 2\)"),  # no broadcasting
        ((6, 2), r"Y: expected shape \(N, T, k\) = \(5, 6, 2\) like y, got \(6, 2\)"),
    ],
)
def test_Y_must_match_y_exactly(problem, Y_shape, message):
    params, X, _ = problem
    with pytest.raises(ValueError, match=message):
        rnnlib.loss_and_grad(params, X, np.full(Y_shape, 0.5))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_X_and_Y(problem, bad):
    params, X, Y = problem
    X = X.copy()
    X[2, 3, 1] = bad
    with pytest.raises(ValueError, match=rf"X: expected finite values, got {bad} at index \(2, 3, 1\)"):
        rnnlib.loss_and_grad(params, X, Y)
    Y = np.zeros((6, 2))
    Y[4, 0] = bad
    with pytest.raises(ValueError, match=r"Y: expected finite values, got .* at index \(4, 0\)"):
        rnnlib.loss_and_grad(params, np.zeros((6, 3)), Y)


def test_non_finite_params(problem):
    params, X, Y = problem
    W_hh = params.W_hh.copy()
    W_hh[1, 2] = np.nan
    bad = rnnlib.Params(params.W_xh, W_hh, params.W_hy, params.b_h, params.b_y)
    with pytest.raises(ValueError, match=r"params.W_hh: expected finite values, got nan at index \(1, 2\)"):
        rnnlib.forward(bad, X)


def test_wrong_types(problem):
    params, X, Y = problem
    with pytest.raises(TypeError, match="params: expected rnnlib.Params, got dict"):
        rnnlib.forward(dict(params.items()), X)
    with pytest.raises(TypeError, match="X: expected real numbers, got an array of dtype <U1"):
        rnnlib.forward(params, np.full((2, 3), "a"))
    with pytest.raises(TypeError, match="X: expected real numbers, got an array of dtype complex128"):
        rnnlib.forward(params, np.zeros((2, 3), complex))
    with pytest.raises(TypeError, match="X: expected a numeric array"):
        rnnlib.forward(params, [[1.0, 2.0, 3.0], [1.0]])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(f="softmax"), r"f: expected one of 'tanh', 'sigmoid', 'relu', 'identity', got 'softmax'"),
        (dict(f="Tanh"), r"f: expected one of .* got 'Tanh'"),
        (dict(g="relu"), r"g: expected one of 'softmax', 'identity', 'sigmoid', 'tanh', got 'relu'"),
        (dict(loss="l2"), r"loss: expected one of 'mse', 'cross_entropy', got 'l2'"),
        (dict(loss="cross_entropy", g="sigmoid"), r"loss: 'cross_entropy' expects g='softmax'.*got g='sigmoid'"),
    ],
)
def test_unknown_or_mismatched_names(problem, kwargs, message):
    params, X, Y = problem
    with pytest.raises(ValueError, match=message):
        rnnlib.loss_and_grad(params, X, Y, **kwargs)


def test_cross_entropy_needs_probabilities(problem):
    params, X, _ = problem
    with pytest.raises(ValueError, match="Y: cross_entropy expects probabilities >= 0, got a minimum of -1"):
        rnnlib.loss_and_grad(params, X, -np.ones((5, 6, 2)), loss="cross_entropy")
    with pytest.raises(ValueError, match="Y: cross_entropy expects each Y_t to sum to 1, got a sum off by 1"):
        rnnlib.loss_and_grad(params, X, np.ones((5, 6, 2)), loss="cross_entropy")


def test_backward_arguments(problem):
    params, X, Y = problem
    cache = rnnlib.forward(params, X)
    with pytest.raises(ValueError, match="dC_dy, e: expected exactly one of them, got neither"):
        rnnlib.backward(params, cache)
    with pytest.raises(ValueError, match="dC_dy, e: expected exactly one of them, got both"):
        rnnlib.backward(params, cache, Y, e=Y)
    with pytest.raises(ValueError, match=r"dC_dy: expected shape \(N, T, k\) = \(5, 6, 2\) like y, got \(5, 6, 1\)"):
        rnnlib.backward(params, cache, np.zeros((5, 6, 1)))
    with pytest.raises(TypeError, match="cache: expected the ForwardCache"):
        rnnlib.backward(params, "cache", Y)
    other = rnnlib.init_params(3, 5, 2, rng=0)
    with pytest.raises(ValueError, match=r"cache: expected a forward pass of params with \(m, n, k\) = \(3, 5, 2\)"):
        rnnlib.backward(other, cache, Y)


def test_X_and_params_are_never_modified(problem):
    params, X, Y = problem
    before = [a.copy() for a in params], X.copy(), Y.copy()
    rnnlib.loss_and_grad(params, X, Y)
    rnnlib.train(params, X, Y, optimizer=rnnlib.Adam(lr=0.1), steps=2)
    assert all(np.array_equal(a, b) for a, b in zip(params, before[0]))
    assert np.array_equal(X, before[1]) and np.array_equal(Y, before[2])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: rnnlib.GradientDescent(lr=0), "lr: expected a finite number > 0, got 0.0"),
        (lambda: rnnlib.GradientDescent(lr=float("nan")), "lr: expected a finite number > 0, got nan"),
        (lambda: rnnlib.Adam(beta1=1.0), r"beta1: expected a number in \[0, 1\), got 1.0"),
        (lambda: rnnlib.Momentum(beta=-0.1), "beta: expected a finite number >= 0, got -0.1"),
        (lambda: rnnlib.Adagrad(lr="0.1"), "lr: expected a real number, got str"),
        (lambda: rnnlib.clip_by_global_norm(rnnlib.init_params(1, 1, 1), 0), "max_norm: expected a finite number > 0"),
    ],
)
def test_bad_hyperparameters(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_bad_training_arguments(problem):
    params, X, Y = problem
    opt = rnnlib.GradientDescent(lr=0.1)
    with pytest.raises(ValueError, match=r"batch_size: expected at most N = 5, got 6"):
        rnnlib.train(params, X, Y, optimizer=opt, steps=1, batch_size=6)
    with pytest.raises(ValueError, match=r"steps: expected an integer >= 1, got 0"):
        rnnlib.train(params, X, Y, optimizer=opt, steps=0)
    with pytest.raises(ValueError, match=r"freeze: expected names among .* got 'W_xx'"):
        rnnlib.train(params, X, Y, optimizer=opt, steps=1, freeze=("W_xx",))
    with pytest.raises(ValueError, match=r"X: expected a batch of shape \(N, T, m\), got one sequence"):
        rnnlib.train(params, X[0], Y[0], optimizer=opt, steps=1)
    with pytest.raises(ValueError, match=r"Y: expected shape \(N, T, k\) = \(5, 6, 2\), got \(4, 6, 2\)"):
        rnnlib.train(params, X, Y[:4], optimizer=opt, steps=1)


def test_divergence_is_reported_not_passed_along(rng):
    params = rnnlib.init_params(1, 8, 1, rng=rng)
    X, Y = tasks.sine_continuation(8, 20, rng=rng)
    with pytest.raises(FloatingPointError, match=r"the cost became (nan|inf) \(gradient norm (nan|inf)\) at step"):
        rnnlib.train(params, X, 1e150 * Y, optimizer=rnnlib.GradientDescent(lr=1e10), steps=50, g="identity", f="identity")


def test_bad_task_arguments():
    with pytest.raises(ValueError, match=r"N: expected an integer >= 1, got 0"):
        tasks.delayed_recall(0, 5)
    with pytest.raises(TypeError, match=r"T: expected an integer, got float"):
        tasks.sine_continuation(3, 5.0)
    with pytest.raises(ValueError, match=r"indices: expected values in \[0, 2\], got \[0, 3\]"):
        tasks.one_hot(np.array([0, 3]), 3)


def test_cache_and_signals_types(problem):
    params, X, Y = problem
    for fn in (rnnlib.per_step_cost, rnnlib.cost, rnnlib.cost_gradient_y, rnnlib.output_error):
        with pytest.raises(TypeError, match="cache: expected the ForwardCache returned by rnnlib.forward, got tuple"):
            fn((X, Y), Y)
    cache = rnnlib.forward(params, X)
    with pytest.raises(TypeError, match="signals: expected the Signals returned by rnnlib.backward, got dict"):
        rnnlib.gradients(cache, {})


def test_float32_soft_labels_pass_in_float64(rng):
    """Probabilities rounded to float32 sum to 1 only to float32 precision; that is accepted."""
    params = rnnlib.init_params(2, 3, 4, rng=rng)
    Y32 = rnnlib.softmax(rng.normal(size=(3, 5, 4))).astype(np.float32)
    assert np.max(np.abs(Y32.astype(np.float64).sum(-1) - 1)) > 1e-12
    rnnlib.loss_and_grad(params, rng.normal(size=(3, 5, 2)), Y32, loss="cross_entropy")
