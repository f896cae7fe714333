"""One test per robustness defect found by an adversarial run over the public API.

Each test states the input that used to go wrong and what must happen now.
The property-based sweep over every public function is in
test_public_api_properties.py.
"""

import dataclasses
import decimal
import math
import os

import numpy as np
import pytest

import rnnlib
from rnnlib import diagnostics, tasks
from rnnlib.truncated import chunk_gradients


@pytest.fixture
def problem(rng):
    params = rnnlib.init_params(3, 4, 2, rng=rng)
    X = rng.normal(size=(5, 6, 3))
    Y = rnnlib.softmax(rng.normal(size=(5, 6, 2)))
    return params, X, Y


# --- numerical_derivative: the perturbations must reach fn, whatever the layout


def _layouts(rng):
    base = rng.normal(size=(3, 4))
    batch = rnnlib.forward(rnnlib.init_params(4, 2, 1, rng=rng), rng.normal(size=(2, 3, 4)))
    read_only = base.copy()
    read_only.flags.writeable = False
    return {
        "C": base,
        "Fortran": np.asfortranarray(base),
        "transposed": base.T.copy().T,
        "negative strides": base[::-1, ::-1].copy()[::-1, ::-1],
        "strided slice": np.repeat(base, 2, axis=1)[:, ::2],
        "read-only": read_only,
        "cache.x of a batch": batch.x[1],
        "cache.x, whole batch": batch.x,
    }


@pytest.mark.parametrize("layout", list(_layouts(np.random.default_rng(0))))
def test_numerical_derivative_on_every_layout(rng, layout):
    x = _layouts(rng)[layout]
    w = np.arange(x.size, dtype=np.float64).reshape(x.shape) / x.size + 0.5

    def fn(v):  # sum_p w_p sin(v_p): the derivative is w * cos(x)
        return float(np.sum(w * np.sin(v)))

    d = rnnlib.numerical_derivative(fn, x)
    assert d.shape == x.shape and d.dtype == np.float64
    np.testing.assert_allclose(d, w * np.cos(x), rtol=1e-9, atol=1e-11)


def test_the_layout_test_catches_the_old_copy(rng):
    """The old code, np.array(x, float64).reshape(-1), perturbs a copy for these layouts."""

    def old_numerical_derivative(fn, x, eps=1e-5):
        x = np.array(x, dtype=np.float64)
        flat = x.reshape(-1)
        d = np.empty_like(flat)
        for p in range(flat.size):
            old = flat[p]
            flat[p] = old + eps
            up = fn(x)
            flat[p] = old - eps
            down = fn(x)
            flat[p] = old
            d[p] = (up - down) / (2 * eps)
        return d.reshape(x.shape)

    layouts = _layouts(rng)
    for name in ("Fortran", "transposed", "cache.x, whole batch"):
        x = layouts[name]
        assert np.all(old_numerical_derivative(lambda v: float(np.sum(np.sin(v))), x) == 0)


def test_numerical_derivative_checks_fn_and_x():
    with pytest.raises(TypeError, match="fn: expected a function, got str"):
        rnnlib.numerical_derivative("sum", np.zeros(2))
    with pytest.raises(ValueError, match=r"x: expected finite values, got nan at index \(1,\)"):
        rnnlib.numerical_derivative(np.sum, [0.0, np.nan])
    with pytest.raises(TypeError, match=r"fn: expected it to return a real number, got an array of shape \(2,\)"):
        rnnlib.numerical_derivative(lambda v: v, np.zeros(2))
    with pytest.raises(ValueError, match=r"fn: expected a finite result, got nan"):
        rnnlib.numerical_derivative(lambda v: np.nan if v[1] < 1 else 0.0, np.ones(2), stencil="central")


# --- activations on scalars, 0-d arrays and every integer type


def test_activations_on_scalars_and_zero_d():
    assert rnnlib.sigmoid(0.5) == pytest.approx(1 / (1 + math.exp(-0.5)), rel=1e-15)
    assert np.ndim(rnnlib.sigmoid(np.array(-2.0))) == 0
    assert rnnlib.sigmoid(-700.0) == pytest.approx(math.exp(-700.0), rel=1e-14)  # the left tail keeps its precision
    for fn in (rnnlib.softmax, rnnlib.log_softmax):
        with pytest.raises(ValueError, match="o: expected an array with an axis to normalise over, got a 0-D"):
            fn(0.5)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint64, np.int8, np.int16, np.int64, np.bool_])
def test_activations_compute_integers_in_float64(dtype):
    values = np.array([0, 1, 5, 100] if dtype != np.bool_ else [0, 1, 1, 0]).astype(dtype)
    as_float = values.astype(np.float64)
    for fn in (rnnlib.sigmoid, rnnlib.softmax, rnnlib.log_softmax):
        out = fn(values)
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out, fn(as_float))
    assert rnnlib.sigmoid(np.uint8(5)) == rnnlib.sigmoid(5.0) > 0.99  # it was 0: -uint8(5) wraps to 251
    np.testing.assert_array_equal(rnnlib.softmax([1, 2, 3]), rnnlib.softmax([1.0, 2.0, 3.0]))


def test_activations_keep_float32_and_refuse_nan():
    z = np.array([-1.0, 0.0, 2.0], np.float32)
    for fn in (rnnlib.sigmoid, rnnlib.softmax, rnnlib.log_softmax):
        assert fn(z).dtype == np.float32
        with pytest.raises(ValueError, match=r"expected finite values, got nan at index \(1,\)"):
            fn(np.array([0.0, np.nan]))


# --- float32 training stays float32 when lr is a numpy float64


@pytest.mark.parametrize("make", [rnnlib.GradientDescent, rnnlib.Momentum, rnnlib.Adagrad, rnnlib.Adam])
def test_numpy_float64_hyperparameters_keep_float32(rng, make):
    lr = np.logspace(-3, -1, 3)[1]  # a numpy float64
    opt = make(lr=lr)
    assert type(opt.lr) is float and opt.lr == lr
    params = rnnlib.init_params(2, 3, 2, rng=rng, dtype=np.float32)
    X = rng.normal(size=(4, 5, 2)).astype(np.float32)
    Y = rnnlib.softmax(rng.normal(size=(4, 5, 2))).astype(np.float32)
    trained, _ = rnnlib.train(params, X, Y, optimizer=opt, steps=2)
    assert trained.dtype == np.float32
    _, grads = rnnlib.loss_and_grad(params, X, Y)
    new, _ = opt.update(params, grads, opt.init(params))
    assert new.dtype == np.float32


# --- optimisers and train refuse what they cannot use


@pytest.mark.parametrize(
    "optimizer, message",
    [
        ("adam", "optimizer: expected an object with init"),
        (None, "optimizer: expected an object with init"),
        (rnnlib.Adam, r"optimizer: expected an optimiser object such as rnnlib.Adam\(lr=0.01\), got the class Adam"),
    ],
)
def test_train_refuses_non_optimisers(problem, optimizer, message):
    params, X, Y = problem
    with pytest.raises(TypeError, match=message):
        rnnlib.train(params, X, Y, optimizer=optimizer, steps=1)


def test_update_refuses_wrong_state_and_params(problem):
    params, X, Y = problem
    _, grads = rnnlib.loss_and_grad(params, X, Y)
    adam, momentum = rnnlib.Adam(), rnnlib.Momentum()
    with pytest.raises(TypeError, match=r"state: expected the AdamState returned by Adam.init\(params\)"):
        adam.update(params, grads, None)
    with pytest.raises(TypeError, match=r"state: expected the AdamState .* got MomentumState"):
        adam.update(params, grads, momentum.init(params))
    with pytest.raises(TypeError, match=r"state: expected the MomentumState returned by Momentum.init\(params\).*AdamState"):
        momentum.update(params, grads, adam.init(params))
    with pytest.raises(TypeError, match=r"state: expected the AdagradState returned by Adagrad.init"):
        rnnlib.Adagrad().update(params, grads, None)
    other = rnnlib.init_params(3, 5, 2, rng=0)
    with pytest.raises(ValueError, match=r"state.u: expected \(m, n, k\) = \(3, 4, 2\) like params, got \(3, 5, 2\)"):
        momentum.update(params, grads, momentum.init(other))
    for opt in (rnnlib.GradientDescent(), momentum, rnnlib.Adagrad(), adam):
        with pytest.raises(TypeError, match="params: expected rnnlib.Params, rnnlib.gated.lstm.LSTMParams or rnnlib.gated.gru.GRUParams, got dict"):
            opt.init(dict(params.items()))
    with pytest.raises(ValueError, match=r"grads: expected dtype float64 like params, got float32"):
        rnnlib.GradientDescent().update(params, grads.astype(np.float32))


OPTIMIZERS = (rnnlib.GradientDescent(), rnnlib.Momentum(), rnnlib.Adagrad(), rnnlib.Adam())


@pytest.mark.parametrize("opt", OPTIMIZERS, ids=lambda o: type(o).__name__)
def test_every_update_refuses_a_state_that_is_not_its_own(problem, opt):
    """A state from another optimiser (or any for gradient descent, which keeps none) is refused by name."""
    params, X, Y = problem
    _, grads = rnnlib.loss_and_grad(params, X, Y)
    own = type(opt).__name__
    for other in OPTIMIZERS:
        foreign = other.init(params)
        if type(other) is type(opt):
            new, state = opt.update(params, grads, foreign)  # its own state is used
            assert type(state) is type(foreign) and new.dtype == params.dtype
            continue
        if foreign is None:  # gradient descent's "state"
            with pytest.raises(TypeError, match=rf"^state: expected the {own}State returned by {own}.init"):
                opt.update(params, grads, foreign)
        else:
            got = type(foreign).__name__
            want = r"None \(GradientDescent keeps no state\)" if own == "GradientDescent" else f"the {own}State"
            with pytest.raises(TypeError, match=rf"^state: expected {want}.*, got {got}$"):
                opt.update(params, grads, foreign)
    for wrong, name in ((params, "Params"), (rnnlib.Adam, "the class Adam"), ({"u": params}, "dict")):
        with pytest.raises(TypeError, match=rf"^state: expected .*, got {name}$"):
            opt.update(params, grads, wrong)


def test_update_with_no_state_is_gradient_descent_only(problem):
    params, X, Y = problem
    _, grads = rnnlib.loss_and_grad(params, X, Y)
    new, state = rnnlib.GradientDescent(lr=0.5).update(params, grads)  # chapter 6 calls it so
    assert state is None
    np.testing.assert_array_equal(new.W_hh, params.W_hh - 0.5 * grads.W_hh)


@pytest.mark.parametrize("opt, part", [(rnnlib.Adagrad(), "s"), (rnnlib.Adam(), "v")])
def test_negative_sums_of_squares_are_refused(problem, opt, part):
    """A negative entry would make sqrt(s + eps) NaN and the parameters with it."""
    params, X, Y = problem
    _, grads = rnnlib.loss_and_grad(params, X, Y)
    state = opt.init(params)
    bad = getattr(state, part).map(lambda a: a - 1.0)
    state = dataclasses.replace(state, **{part: bad})
    with pytest.raises(ValueError, match=rf"^state.{part}.W_xh: expected values >= 0 \(squared gradients\), got -1.0$"):
        opt.update(params, grads, state)


def test_update_refuses_nan_params(problem):
    params, X, Y = problem
    _, grads = rnnlib.loss_and_grad(params, X, Y)
    W_hh = params.W_hh.copy()
    W_hh[2, 1] = np.nan
    bad = rnnlib.Params(params.W_xh, W_hh, params.W_hy, params.b_h, params.b_y)
    for opt in (rnnlib.GradientDescent(), rnnlib.Momentum(), rnnlib.Adagrad(), rnnlib.Adam()):
        with pytest.raises(ValueError, match=r"params.W_hh: expected finite values, got nan at index \(2, 1\)"):
            opt.update(bad, grads, opt.init(params))


def test_clipping_refuses_other_types_and_nan(problem):
    params, X, Y = problem
    _, grads = rnnlib.loss_and_grad(params, X, Y)
    for wrong, kind in ((dict(grads.items()), "dict"), (list(grads), "list"), (rnnlib.vec(grads), "ndarray")):
        for clip in (lambda g: rnnlib.clip_by_global_norm(g, 1.0), lambda g: rnnlib.clip_elementwise(g, 1.0)):
            with pytest.raises(TypeError, match=f"grads: expected rnnlib.Params, rnnlib.gated.lstm.LSTMParams or rnnlib.gated.gru.GRUParams, got {kind}"):
                clip(wrong)
        with pytest.raises(TypeError, match=f"grads: expected rnnlib.Params, rnnlib.gated.lstm.LSTMParams or rnnlib.gated.gru.GRUParams, got {kind}"):
            rnnlib.global_norm(wrong)
    b_y = grads.b_y.copy()
    b_y[1] = np.inf
    bad = rnnlib.Params(grads.W_xh, grads.W_hh, grads.W_hy, grads.b_h, b_y)
    with pytest.raises(ValueError, match=r"grads.b_y: expected finite values, got inf at index \(1,\)"):
        rnnlib.clip_by_global_norm(bad, 1.0)
    with pytest.raises(ValueError, match=r"grads.b_y: expected finite values, got inf"):
        rnnlib.clip_elementwise(bad, 1.0)
    assert rnnlib.global_norm(bad) == np.inf  # how train notices divergence


def test_a_non_finite_update_raises_diverged_with_history(rng):
    params = rnnlib.init_params(1, 4, 1, rng=rng)
    X, Y = tasks.sine_continuation(4, 6, rng=rng)
    with pytest.raises(rnnlib.Diverged, match="parameters became non-finite in the update at step 0") as info:
        rnnlib.train(params, X, 1e3 * Y, optimizer=rnnlib.GradientDescent(lr=1e308), steps=5, g="identity")
    assert info.value.step == 0
    assert len(info.value.history.loss) == 1 and np.isfinite(info.value.history.loss[0])


def test_global_norm_does_not_overflow_or_underflow(rng):
    p = rnnlib.init_params(2, 3, 2, rng=rng)
    for scale in (1e200, 1e-200, 1e300):
        grads = p.map(lambda a: a * scale)
        entries = rnnlib.vec(grads)
        reference = math.hypot(*entries)  # overflow-safe
        assert rnnlib.global_norm(grads) == pytest.approx(reference, rel=1e-14)
    big = p.map(lambda a: a * 1e200)
    clipped, norm = rnnlib.clip_by_global_norm(big, 1.0)
    assert np.isfinite(norm) and rnnlib.global_norm(clipped) == pytest.approx(1.0, rel=1e-12)
    cosine = np.dot(rnnlib.vec(clipped), rnnlib.vec(p)) / (np.linalg.norm(rnnlib.vec(p)) * 1.0)
    assert cosine == pytest.approx(1.0, rel=1e-12)  # the direction is kept, not zeroed


# --- chunk_gradients and train check the user's whole arrays


def test_chunk_gradients_checks_the_whole_arrays(problem):
    params, X, Y = problem
    for extra in (1, 2):
        Y_long = np.concatenate([Y, Y[:, :extra]], axis=1)
        message = rf"Y: expected shape \(N, T, k\) = \(5, 6, 2\).* got \(5, {6 + extra}, 2\)"
        with pytest.raises(ValueError, match=message):
            chunk_gradients(params, X, Y_long, k=4)
    with pytest.raises(ValueError, match=r"X: expected shape \(N, T, m\) .* got \(5, 0, 3\)"):
        chunk_gradients(params, X[:, :0], Y[:, :0], k=2)
    X_bad = X.copy()
    X_bad[3, 5, 2] = np.nan
    with pytest.raises(ValueError, match=r"X: expected finite values, got nan at index \(3, 5, 2\)"):
        chunk_gradients(params, X_bad, Y, k=4)
    with pytest.raises(ValueError, match=r"h0: expected shape \(N, n\) = \(5, 4\), got \(4,\)"):
        chunk_gradients(params, X, Y, k=4, h0=np.zeros(4))


def test_train_with_minibatches_reports_the_users_arrays(problem):
    params, X, Y = problem
    opt = rnnlib.GradientDescent(lr=0.1)
    X_bad = X.copy()
    X_bad[4, 1, 0] = np.nan
    with pytest.raises(ValueError, match=r"X: expected finite values, got nan at index \(4, 1, 0\)"):
        rnnlib.train(params, X_bad, Y, optimizer=opt, steps=1, batch_size=2, rng=0)
    Y_bad = Y.copy()
    Y_bad[4, 1, 0] = np.inf
    with pytest.raises(ValueError, match=r"Y: expected finite values, got inf at index \(4, 1, 0\)"):
        rnnlib.train(params, X, Y_bad, optimizer=opt, steps=1, batch_size=1, rng=0)  # row 4 is never used
    with pytest.raises(ValueError, match=r"Y: cross_entropy expects each Y_t to sum to 1"):
        Y_soft = Y.copy()
        Y_soft[3, 2] = [0.5, 0.6]
        rnnlib.train(params, X, Y_soft, optimizer=opt, steps=1, batch_size=1, loss="cross_entropy", rng=0)


# --- cross-entropy edge cases


def _cache_with_logits(b_y):
    """A forward pass whose logits are b_y at every step (W_hy = 0)."""
    b_y = np.asarray(b_y)
    k, dt = b_y.size, b_y.dtype
    params = rnnlib.Params(np.zeros((1, 1), dt), np.zeros((1, 1), dt), np.zeros((k, 1), dt), np.zeros(1, dt), b_y)
    return rnnlib.forward(params, np.zeros((2, 1), dt))


def test_cost_gradient_y_is_zero_not_nan_after_underflow():
    cache = _cache_with_logits(np.array([60.0, -60.0], np.float32))
    assert cache.y[0, 1] == 0  # softmax underflowed
    d = rnnlib.cost_gradient_y(cache, np.array([[1.0, 0.0]] * 2, np.float32), loss="cross_entropy")
    assert np.all(np.isfinite(d)) and np.all(d[:, 1] == 0)
    np.testing.assert_allclose(d[:, 0], -1 / cache.y[:, 0])


EXACT = decimal.Context(prec=60, Emax=10**6, Emin=-10**6)  # 60 digits, no overflow or underflow


def _exact_float(x, dtype):
    """A Decimal rounded to ``dtype``: +-inf beyond its range."""
    if abs(x) > decimal.Decimal(float(np.finfo(dtype).max)):
        return np.inf if x > 0 else -np.inf
    return dtype(float(x))


def _exact_log_softmax(o):
    """log softmax(o) to 60 digits, as Decimals."""
    o = [decimal.Decimal(float(v)) for v in o]
    M = max(o)
    L = EXACT.ln(sum((EXACT.exp(EXACT.subtract(v, M)) for v in o), decimal.Decimal(0)))
    return [EXACT.subtract(EXACT.subtract(v, M), L) for v in o]


EXTREME = {
    np.float64: [[1e308, -1e308], [-1e308, 1e308, 0.0], [1e308, 5e307, -1e308], [1.7e308, -1.7e308, 1.7e308],
                 [-1e308, -1e308], [8e307, -8e307], [3.0, -1e308]],
    np.float32: [[3e38, -3e38], [-3e38, 3e38, 0.0], [3e38, 1.5e38, -3e38], [3.3e38, -3.3e38, 3.3e38],
                 [-3e38, -3e38], [1.6e38, -1.6e38], [3.0, -3e38]],
}
TARGETS = {2: [[1, 0], [0, 1], [0.5, 0.5], [0.25, 0.75]], 3: [[1, 0, 0], [0, 0, 1], [0.5, 0, 0.5], [0.2, 0.3, 0.5]]}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log_softmax_is_exact_at_extreme_logits(dtype):
    """Every entry within 2 ulp of the exact value; -inf exactly where that value is below the float range."""
    eps = np.finfo(dtype).eps
    for o in EXTREME[dtype]:
        o = np.array(o, dtype)
        with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow or NaN warning either
            got = rnnlib.log_softmax(o)
        assert got.dtype == dtype and not np.any(np.isnan(got))
        for g, x in zip(got, _exact_log_softmax(o)):
            want = _exact_float(x, dtype)
            if np.isinf(want):
                assert g == want, (o, g, x)
            else:
                assert abs(g - want) <= 2 * eps * abs(want) + np.finfo(dtype).tiny, (o, g, x)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_is_exact_at_extreme_logits(dtype):
    """C_t = -sum_j Y_j log y_j within 4 ulp of its exact value, for one-hot and soft targets."""
    eps = np.finfo(dtype).eps
    checked_beyond = 0
    for o in EXTREME[dtype]:
        o = np.array(o, dtype)
        exact_log = _exact_log_softmax(o)
        for Y in TARGETS[o.size]:
            Y = np.array(Y, dtype)
            cache = _cache_with_logits(o)  # T = 2 steps, both with logits o
            x = -sum((EXACT.multiply(decimal.Decimal(float(y)), lp) for y, lp in zip(Y, exact_log) if y != 0),
                     decimal.Decimal(0))
            want = _exact_float(x, dtype)
            two = _exact_float(2 * x, dtype)  # the cost C sums the two steps in dtype
            # overflow may be reported only where the cost overflows; NaN never
            with np.errstate(over="ignore" if np.isinf(two) else "raise", invalid="raise", divide="raise"):
                C_t = rnnlib.per_step_cost(cache, np.stack([Y, Y]), loss="cross_entropy")
                C = rnnlib.cost(cache, np.stack([Y, Y]), loss="cross_entropy")
            assert C_t.dtype == dtype and not np.any(np.isnan(C_t))
            if np.isinf(want):  # the cost itself is beyond the float range
                assert np.all(C_t == np.inf) and C == np.inf, (o, Y, C_t, x)
                continue
            assert np.all(np.abs(C_t - want) <= 4 * eps * abs(want) + np.finfo(dtype).tiny), (o, Y, C_t, x)
            assert C == (two if np.isinf(two) else pytest.approx(float(two), rel=8 * float(eps), abs=1e-300))
            checked_beyond += any(np.isinf(_exact_float(lp, dtype)) for y, lp in zip(Y, exact_log) if y != 0)
    assert checked_beyond >= 4  # finite costs with a log-probability below the float range were among the cases


def test_cross_entropy_was_wrong_when_log_softmax_saturated():
    """The old kernel saturated log y_j at -max: a soft target then gave 0.9e308 for an exact 1e308."""
    o, Y = np.array([1e308, -1e308]), np.array([0.5, 0.5])
    saturated = np.maximum(rnnlib.log_softmax(o), -np.finfo(float).max)
    assert -np.sum(Y * saturated) == pytest.approx(0.5 * np.finfo(float).max)  # what it was: wrong
    assert rnnlib.per_step_cost(_cache_with_logits(o), np.stack([Y, Y]), loss="cross_entropy")[0] == 1e308
    with np.errstate(invalid="ignore"):  # why the cost does not go through log_softmax: 0 * -inf
        assert np.isnan(-np.sum(np.array([1.0, 0.0]) * rnnlib.log_softmax(o)))


def test_output_error_is_finite_at_extreme_logits():
    cache = _cache_with_logits(np.array([1e308, -1e308]))
    Y = np.array([[1.0, 0.0]] * 2)
    assert rnnlib.cost(cache, Y, loss="cross_entropy") == 0.0
    np.testing.assert_array_equal(rnnlib.output_error(cache, Y, loss="cross_entropy"), 0.0)


@pytest.mark.parametrize("total", [0.2, 1.8])
def test_float16_targets_must_sum_to_one(rng, total):
    params = rnnlib.init_params(2, 3, 4, rng=rng)
    Y = (np.full((2, 5, 4), total / 4)).astype(np.float16)
    with pytest.raises(ValueError, match="Y: cross_entropy expects each Y_t to sum to 1"):
        rnnlib.loss_and_grad(params, rng.normal(size=(2, 5, 2)), Y, loss="cross_entropy")


def test_float16_soft_labels_are_accepted(rng):
    params = rnnlib.init_params(2, 3, 40, rng=rng)
    Y16 = rnnlib.softmax(rng.normal(size=(2, 5, 40)).astype(np.float16))
    assert Y16.dtype == np.float16
    rnnlib.loss_and_grad(params, rng.normal(size=(2, 5, 2)), Y16, loss="cross_entropy")


# --- tasks


def test_one_hot_needs_no_identity_matrix():
    k = 1_000_000  # np.eye(k) would take 8 TB
    v = tasks.one_hot(np.array([[3], [k - 1]], np.uint64), k, dtype=np.float32)
    assert v.shape == (2, 1, k) and v.dtype == np.float32
    assert v.sum() == 2 and v[0, 0, 3] == 1 and v[1, 0, k - 1] == 1
    idx = np.random.default_rng(0).integers(0, 5, size=(3, 4))
    np.testing.assert_array_equal(tasks.one_hot(idx, 5), np.eye(5)[idx])


@pytest.mark.parametrize("freq_range", [(0.1, np.inf), (np.nan, 0.3), (0.3, 0.1), (0.0, 0.1), (0.1, 0.2, 0.3)])
def test_sine_continuation_refuses_bad_frequencies(freq_range):
    with pytest.raises(ValueError, match="freq_range: expected"):
        tasks.sine_continuation(2, 5, freq_range=freq_range)


@pytest.mark.parametrize("delay", [5, 7, 9, 10, 30])
def test_delayed_recall_refuses_delays_of_T_or_more(delay):
    with pytest.raises(ValueError, match=rf"delay: expected an integer in \[0, T - 1\] = \[0, 4\].* got {delay}"):
        tasks.delayed_recall(3, 5, delay=delay)
    X, Y = tasks.delayed_recall(3, 5, delay=4, rng=0)
    assert Y.shape == (3, 5, 5)


# --- diagnostics


def test_step_jacobians_checks_params_and_cache(rng):
    p1 = rnnlib.init_params(2, 1, 1, rng=rng)
    p4 = rnnlib.init_params(2, 4, 1, rng=rng)
    cache = rnnlib.forward(p1, rng.normal(size=(3, 2)))
    with pytest.raises(ValueError, match=r"cache: expected a forward pass of params with \(m, n, k\) = \(2, 4, 1\)"):
        diagnostics.step_jacobians(p4, cache)
    with pytest.raises(TypeError, match="params: expected rnnlib.Params, got dict"):
        diagnostics.step_jacobians(dict(p1.items()), cache)
    bad = rnnlib.Params(p1.W_xh, np.full((1, 1), np.inf), p1.W_hy, p1.b_h, p1.b_y)
    with pytest.raises(ValueError, match="params.W_hh: expected finite values"):
        diagnostics.step_jacobians(bad, cache)


def test_diagnostics_keep_float32(rng):
    p = rnnlib.init_params(2, 3, 2, rng=rng, dtype=np.float32)
    x = rng.normal(size=(4, 2)).astype(np.float32)
    cache = rnnlib.forward(p, x)
    J = diagnostics.step_jacobians(p, cache)
    assert J.dtype == np.float32
    J64 = diagnostics.step_jacobians(p.astype(np.float64), rnnlib.forward(p.astype(np.float64), x))
    np.testing.assert_allclose(J[1:], J64[1:], rtol=1e-5, atol=1e-6)
    assert diagnostics.jacobian_product_norms(p, cache).dtype == np.float32
    Y = rnnlib.softmax(rng.normal(size=(4, 2))).astype(np.float32)
    assert diagnostics.cost_state_sensitivity(p, x, Y).dtype == np.float32


# --- params and io


def test_params_astype_and_num_params():
    p = rnnlib.init_params(2, 3, 1, rng=0)
    with pytest.raises(TypeError, match=f"dtype: expected a floating dtype such as float64 or float32, got {np.dtype(int)}"):
        p.astype(int)
    with pytest.raises(ValueError, match="m: expected an integer >= 1, got -5"):
        rnnlib.num_params(-5, 2, 1)
    with pytest.raises(TypeError, match="n: expected an integer, got float"):
        rnnlib.num_params(2, 2.0, 1)
    assert rnnlib.num_params(2, 3, 1) == rnnlib.vec(p).size


def test_save_and_load_add_npz_alike(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = rnnlib.init_params(2, 3, 1, rng=0)
    rnnlib.save_params("model", p)
    assert os.path.exists("model.npz") and not os.path.exists("model")
    q = rnnlib.load_params("model")
    assert all(np.array_equal(a, b) for a, b in zip(p, q))
    np.testing.assert_array_equal(rnnlib.load_params("model.npz").W_hh, p.W_hh)
    with pytest.raises(FileNotFoundError, match=r"path: no such file: 'other.npz'"):
        rnnlib.load_params("other")
    with pytest.raises(TypeError, match="path: expected a str or os.PathLike file name, got int"):
        rnnlib.load_params(3)
    nan = rnnlib.Params(p.W_xh, p.W_hh, p.W_hy, p.b_h, np.array([np.nan]))
    with pytest.raises(ValueError, match="params.b_y: expected finite values"):
        rnnlib.save_params("nan", nan)
    np.savez("nan.npz", **dict(nan.items()))
    with pytest.raises(ValueError, match=r"path: 'nan.npz': b_y: expected finite values, got nan at index \(0,\)"):
        rnnlib.load_params("nan")


# --- ragged lists and callables


def test_ragged_lists_are_named(problem):
    params, X, Y = problem
    ragged_X = [[0.0, 1.0, 2.0], [0.0]]
    ragged_Y = [[0.5, 0.5], [1.0]]
    with pytest.raises(TypeError, match="X: expected a numeric array, got list"):
        rnnlib.forward(params, ragged_X)
    with pytest.raises(TypeError, match="Y: expected a numeric array, got list"):
        rnnlib.loss_and_grad(params, X[0, :2], ragged_Y)
    with pytest.raises(TypeError, match="Y: expected a numeric array, got list"):
        rnnlib.train(params, X[:1, :2], [ragged_Y], optimizer=rnnlib.Adam(), steps=1)
    with pytest.raises(TypeError, match="Y: expected a numeric array, got list"):
        chunk_gradients(params, X[:1, :2], [ragged_Y], k=1)
    with pytest.raises(TypeError, match="indices: expected an array of integers, got list"):
        tasks.one_hot([[0, 1], [1]], 2)


def test_callables_are_checked(problem):
    params, X, Y = problem
    with pytest.raises(TypeError, match="grad_fn: expected a function, got str"):
        rnnlib.check_gradient(params, X, Y, grad_fn="loss_and_grad")
    with pytest.raises(TypeError, match="cost_fn: expected a function, got NoneType"):
        rnnlib.numerical_gradient(None, params)
    with pytest.raises(TypeError, match="fn: expected a function, got int"):
        params.map(3)


def test_train_keeps_the_parameters_dtype(rng):
    params = rnnlib.init_params(1, 3, 1, rng=rng, dtype=np.float32)
    X, Y = tasks.sine_continuation(2, 4, rng=rng)  # float64
    with pytest.raises(ValueError, match=r"X: expected dtype float32 like params \(or integers\), got float64"):
        rnnlib.train(params, X, Y, optimizer=rnnlib.GradientDescent(0.1), steps=1, g="identity")
    opt = rnnlib.GradientDescent(0.1)
    trained, _ = rnnlib.train(params, X.astype(np.float32), Y, optimizer=opt, steps=1, g="identity")
    assert trained.dtype == np.float32
    trained, _ = rnnlib.train(params, np.ones((2, 4, 1), np.int64), Y, optimizer=rnnlib.Adam(), steps=1, g="identity")
    assert trained.dtype == np.float32


def test_masked_arrays_with_masked_entries_are_refused(problem):
    params, X, _ = problem
    masked = np.ma.masked_array(X, mask=X > 1)
    with pytest.raises(TypeError, match="X: expected a plain array, got a masked array with masked entries"):
        rnnlib.forward(params, masked)
    np.testing.assert_array_equal(rnnlib.forward(params, np.ma.masked_array(X)).y, rnnlib.forward(params, X).y)


def test_adam_state_step_is_checked(problem):
    params, X, Y = problem
    _, grads = rnnlib.loss_and_grad(params, X, Y)
    state = rnnlib.Adam().init(params)
    bad = type(state)(-1, state.m, state.v)
    with pytest.raises(ValueError, match="state.step: expected an integer >= 0, got -1"):
        rnnlib.Adam().update(params, grads, bad)


def test_tasks_unchanged_by_the_index_type_and_one_hot_rewrite():
    """The same draws as before: int64 from the generator, converted to np.intp only for indexing."""
    N, T, delay, symbols = 4, 7, 3, 3
    rng = np.random.default_rng(5)
    s = rng.integers(0, symbols, size=(N, T))
    target = np.zeros((N, T), dtype=np.int64)
    target[:, delay:] = s[:, : T - delay] + 1
    X, Y = tasks.delayed_recall(N, T, delay=delay, symbols=symbols, rng=5)
    np.testing.assert_array_equal(X, np.eye(symbols)[s])
    np.testing.assert_array_equal(Y, np.eye(symbols + 1)[target])
    rng = np.random.default_rng(6)
    u = rng.uniform(0, 1, size=(N, T))
    first, second = rng.integers(0, T // 2, size=N), rng.integers(T // 2, T, size=N)
    X, Y = tasks.adding_problem(N, T, rng=6)
    np.testing.assert_array_equal(X[..., 0], u)
    assert np.all(X[np.arange(N), first, 1] == 1) and np.all(X[np.arange(N), second, 1] == 1)
    assert np.all(X[..., 1].sum(axis=1) == 2)


# --- the rest of the public API: one test per defect the property specs found


def test_reference_forms_check_their_inputs_and_keep_float32(rng):
    from rnnlib import reference

    params = rnnlib.init_params(3, 4, 2, rng=rng)
    x, Y = rng.normal(size=(5, 3)), rnnlib.softmax(rng.normal(size=(5, 2)))
    z, h, o, y = reference.forward_matrix(params, x)
    p32 = params.astype(np.float32)
    assert all(a.dtype == np.float32 for a in reference.forward_einsum(p32, x.astype(np.float32)))  # was float64
    grads, e, delta = reference.bptt_matrix(p32, *(a.astype(np.float32) for a in (x, z, h, o, Y - 0.5)))
    assert grads.dtype == e.dtype == delta.dtype == np.float32
    bad = params.W_hh.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"^params.W_hh: expected finite values"):  # it was used as given
        reference.forward_step_loops(rnnlib.Params(params.W_xh, bad, params.W_hy, params.b_h, params.b_y),
                                     np.zeros(4), x[0])
    reference.bptt_einsum(params, x, z, h, o, Y - 0.5)  # row 0 of z and o is NaN: valid
    z_bad = z.copy()
    z_bad[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"^z: expected finite values, got nan at index \(3, 1\)"):
        reference.bptt_einsum(params, x, z_bad, h, o, Y - 0.5)
    with pytest.raises(ValueError, match=r"^o: expected shape \(T \+ 1, k\) = \(6, 2\) for T = 5 steps of x, got \(5, 2\)"):
        reference.bptt_matrix(params, x, z, h, o[1:], Y - 0.5)  # it was indexed out of step
    with pytest.raises(ValueError, match=r"^dC_dy: expected shape \(T, k\) = \(5, 2\)"):
        reference.bptt_matrix(params, x, z, h, o, (Y - 0.5)[:4])
    with pytest.raises(ValueError, match=r"^Y: expected finite values"):  # it was passed along
        reference.loss_and_grad_reference(params, x, np.full((5, 2), np.nan))


def test_integers_beyond_the_index_range_are_refused_by_name():
    """init_params(10**30, ...) raised numpy's "loop of ufunc does not support argument 0"."""
    for call, name in ((lambda: rnnlib.init_params(10**30, 3, 1), "m"), (lambda: tasks.one_hot([0], 10**30), "k"),
                       (lambda: tasks.sine_continuation(10**30, 3), "N")):
        with pytest.raises(ValueError, match=rf"^{name}: expected an integer in \[1, \d+\], got 10{{30}}|"
                                             rf"^{name}: expected an integer in \[1, \d+\], got 1000000000000000000000000000000$"):
            call()


def test_initializers_refuse_what_they_cannot_use(rng):
    from rnnlib import initializers

    with pytest.raises(ValueError, match=r"^W: expected a square matrix of shape \(n, n\) with n >= 1, got shape \(0, 0\)"):
        initializers.with_radius(np.zeros((0, 0)), 1.0)  # numpy's "zero-size array to reduction" before
    with pytest.raises(ValueError, match=r"^rho: expected a radius for which W stays finite in float64"):
        initializers.with_radius(0.1 * np.eye(2), 1e308)  # it returned inf
    with pytest.raises(TypeError, match=r"^dtype: expected a floating dtype"):
        initializers.orthogonal(2, dtype="x")  # numpy's "data type 'x' not understood" before
    params = rnnlib.init_params(2, 3, 1, rng=rng)
    nan = rnnlib.Params(np.full((3, 2), np.nan), params.W_hh, params.W_hy, params.b_h, params.b_y)
    with pytest.raises(ValueError, match=r"^params.W_xh: expected finite values"):
        initializers.with_W_hh(nan, np.eye(3))  # NaN parameters passed through


def test_figures_refuse_what_they_would_draw_wrongly():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rnnlib import plots

    fig, ax = plt.subplots()
    try:
        with pytest.raises(ValueError, match=r"^y: expected shape \(T,\) or \(T, 1\) with T >= 1, got \(3, 2\)"):
            plots.plot_sequence(ax, x=[1.0, 2.0, 3.0], y=np.zeros((3, 2)))  # it was flattened to 6 points
        with pytest.raises(ValueError, match=r"^target: expected T = 3 steps like x, got 4"):
            plots.plot_sequence(ax, x=[1.0, 2.0, 3.0], target=[1.0, 2.0, 3.0, 4.0])
        with pytest.raises(ValueError, match=r"^curves\['cost'\]: expected finite values or NaN for a gap, got inf"):
            plots.plot_curves(ax, {"cost": [1.0, np.inf]})
        plots.plot_curves(ax, {"cost": [1.0, np.nan, 0.5]})  # a gap, as chapter 8 draws
        with pytest.raises(ValueError, match=r"^curves\['norm'\]: expected values > 0 on a log scale .* got 0.0 at index 1"):
            plots.plot_curves(ax, {"norm": [1.0, 0.0]})  # the log axis left the 0 out without a word
        plots.plot_curves(ax, {"norm": [1.0, 0.0]}, log=False)
        with pytest.raises(TypeError, match=r"^ax: expected a matplotlib Axes"):
            plots.draw_unrolled(fig, T=3)
        with pytest.raises(ValueError, match=r"^T: expected an integer in \[1, 8\]"):
            plots.draw_backward(ax, T=10**6)  # it began drawing a million columns
        with pytest.raises(ValueError, match=r"^h: expected finite values"):
            plots.plot_hidden_states(ax, [[0.0, np.nan]])
    finally:
        plt.close(fig)


def test_charlm_checks_its_state_and_model():
    from rnnlib import charlm

    state = charlm.start("abcab cabba" * 3, charlm.Settings(hidden=3, seq_length=2, batch=2))
    p32 = state.params.astype(np.float32)
    with pytest.raises(ValueError, match=r"^state.params: expected float64 parameters"):  # grads mismatch deep inside
        charlm.train(dataclasses.replace(state, params=p32), "abcab", 1)
    with pytest.raises(ValueError, match=r"^state.h: expected shape \(N, n\) = \(2, 3\)"):
        charlm.train(dataclasses.replace(state, h=np.zeros(3)), "abcab cabba" * 3, 1)
    with pytest.raises(TypeError, match=r"^vocab: expected rnnlib.charlm.Vocabulary, got str"):
        charlm.evaluate(state.params, "abc", "abc")  # AttributeError before
    with pytest.raises(charlm.CharLMError, match=r"^params: expected m = k = 3"):
        charlm.evaluate(state.params, charlm.Vocabulary("abc"), "abc")  # X's shape was blamed
    with pytest.raises(ValueError, match=r"^chars: expected distinct characters in sorted order, got 'ba'"):
        charlm.Vocabulary("ba")
    with pytest.raises(ValueError, match=r"^indices: expected codes in \[0, 2\], got \[-1, 0\]"):
        charlm.Vocabulary("abc").decode([0, -1])  # it gave "ac": -1 wrapped to the last character
    assert charlm.Vocabulary("abc").decode([]) == "" and charlm.sample(state.params, state.vocab, length=0) == ""


def test_horizon_setups_and_budgets_are_checked():
    from rnnlib import horizon

    with pytest.raises(ValueError, match=r"^batch_size: expected an integer >= 1, got 0"):
        horizon.RecallSetup(batch_size=0)  # ZeroDivisionError in recall_run before
    with pytest.raises(ValueError, match=r"^batch_size: expected at most N_train = 4, got 8"):
        horizon.AddingSetup(N_train=4, batch_size=8)
    with pytest.raises(TypeError, match=r"^budgets: expected a sequence of integers, got int"):
        horizon.adding_run(3, seed=0, budgets=2, setup=horizon.AddingSetup(n=2, N_train=4, N_test=2, batch_size=2))


def test_workbook_check_and_glue_name_bad_arguments():
    from rnnlib import workbook
    from rnnlib.display import glue

    with pytest.raises(ValueError, match=r"^name: expected one of 'forward_step'"):
        workbook.check(["vec"], lambda v: v)  # "unhashable type: 'list'" before
    with pytest.raises(ValueError, match=r"^value: expected a finite number, got nan"):
        glue("loss", float("nan"), display=False)  # the prose would have read "nan"
    with pytest.raises(TypeError, match=r"^name: expected a non-empty str, got int"):
        glue(3, 1.0, display=False)
