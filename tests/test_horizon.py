"""The memory-horizon runs: pairing of initialisations, budgets, bad input."""

import numpy as np
import pytest

from rnnlib import horizon
from rnnlib.diagnostics import spectral_radius

SMALL = horizon.RecallSetup(n=6, N_train=40, N_test=16, batch_size=8)  # 5 steps per epoch


def test_initialisations_share_everything_but_W_hh():
    runs = {init: horizon.initial_params(init, 4, 8, 5, rng=np.random.default_rng(7)) for init in horizon.INITS}
    base, f = runs["default"]
    assert f == "tanh" and runs["irnn"][1] == "relu"
    for init, (p, _) in runs.items():
        for name in ("W_xh", "W_hy", "b_h", "b_y"):
            np.testing.assert_array_equal(getattr(p, name), getattr(base, name))
    assert spectral_radius(runs["rho=1"][0].W_hh) == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(runs["rho=1"][0].W_hh / base.W_hh, 1 / spectral_radius(base.W_hh), rtol=1e-14)
    Q = runs["orthogonal"][0].W_hh
    np.testing.assert_allclose(Q.T @ Q, np.eye(8), atol=1e-14)
    np.testing.assert_array_equal(runs["irnn"][0].W_hh, np.eye(8))
    np.testing.assert_array_equal(runs["irnn"][0].b_h, 0)


def test_a_run_in_chunks_is_one_uninterrupted_run():
    whole = horizon.recall_run(3, "default", seed=1, budgets=(30,), setup=SMALL)
    chunks = horizon.recall_run(3, "default", seed=1, budgets=(10, 20, 30), setup=SMALL)
    for a, b in zip(whole.params[0], chunks.params[-1]):
        np.testing.assert_array_equal(a, b)
    assert whole.accuracy[0] == chunks.accuracy[-1]
    assert len(chunks.params) == len(chunks.accuracy) == 3
    assert not np.array_equal(chunks.params[0].W_hh, chunks.params[1].W_hh)  # training moved on


def test_runs_depend_only_on_their_own_settings():
    a = horizon.recall_run(2, "orthogonal", seed=3, budgets=(5,), setup=SMALL)
    horizon.recall_run(4, "irnn", seed=0, budgets=(5,), setup=SMALL)  # anything in between
    b = horizon.recall_run(2, "orthogonal", seed=3, budgets=(5,), setup=SMALL)
    np.testing.assert_array_equal(a.params[0].W_hh, b.params[0].W_hh)
    c = horizon.recall_run(2, "orthogonal", seed=4, budgets=(5,), setup=SMALL)
    assert not np.array_equal(a.start.W_xh, c.start.W_xh)


def test_accuracy_counts_only_the_recall_steps():
    run = horizon.recall_run(3, "default", seed=0, budgets=(5,), setup=SMALL)
    p, d = run.params[0], 3
    from rnnlib import forward

    pred = forward(p, run.X_test).y.argmax(-1)
    want = np.mean(pred[:, d:] == run.Y_test[:, d:].argmax(-1))
    assert run.accuracy[0] == want
    assert run.X_test.shape == (16, d + SMALL.extra, 4)


def test_divergence_is_recorded_as_nan():
    wild = horizon.RecallSetup(n=6, N_train=40, N_test=16, batch_size=8, lr=1e60, clip_norm=1e6)
    run = horizon.recall_run(3, "irnn", seed=0, budgets=(5, 10, 15), setup=wild)
    assert np.isnan(run.accuracy[-1]) and run.params[-1] is None
    record = run.record()
    assert record["accuracy"][-1] is None and record["rho"][-1] is None
    assert record["accuracy"] == [None if np.isnan(a) else a for a in run.accuracy]


def test_adding_run():
    setup = horizon.AddingSetup(n=6, N_train=32, N_test=16, batch_size=8)
    error, baseline = horizon.adding_run(6, seed=0, budgets=(4, 40), setup=setup)
    assert len(error) == 2 and baseline > 0
    assert error[1] < error[0]  # training helps at T = 6


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(delay=0), ValueError, r"delay: expected an integer >= 1, got 0"),
        (dict(init="he"), ValueError, r"init: expected one of 'default', 'rho=1', 'orthogonal', 'irnn', got 'he'"),
        (dict(seed=-1), ValueError, r"seed: expected an integer >= 0, got -1"),
        (dict(budgets=()), ValueError, r"budgets: expected a non-empty increasing sequence of steps, got \(\)"),
        (dict(budgets=(10, 5)), ValueError, r"budgets: expected a non-empty increasing sequence .* got \(10, 5\)"),
        (dict(budgets=(7,)), ValueError, r"budgets: expected multiples of the 5 steps of an epoch, got \(7,\)"),
        (dict(budgets=(5.0,)), TypeError, r"budgets: expected an integer, got float 5.0"),
    ],
)
def test_bad_input(kwargs, error, message):
    args = dict(delay=2, init="default", seed=0, budgets=(5,)) | kwargs
    with pytest.raises(error, match=message):
        horizon.recall_run(args.pop("delay"), args.pop("init"), setup=SMALL, **args)


def test_record_measures_what_it_says():
    for init in ("default", "irnn"):
        run = horizon.recall_run(2, init, seed=2, budgets=(5, 10), setup=SMALL)
        record = run.record()
        for b, p in enumerate(run.params):
            from rnnlib import forward

            h = forward(p, run.X_test, f=run.f).h[:, 1:]
            slope = np.mean(h > 0) if init == "irnn" else np.mean(1 - h**2)
            assert record["mean_fprime"][b] == pytest.approx(slope, rel=1e-12)
            assert record["rho"][b] == spectral_radius(p.W_hh)
            assert record["accuracy"][b] == run.accuracy[b]


def test_gradient_norms_are_taken_before_clipping():
    tight = horizon.RecallSetup(n=6, N_train=40, N_test=16, batch_size=8, clip_norm=1e-6)
    loose = horizon.RecallSetup(n=6, N_train=40, N_test=16, batch_size=8, clip_norm=1e6)
    runs = {}
    for setup, clipped in ((tight, 1.0), (loose, 0.0)):
        run = runs[clipped] = horizon.recall_run(2, "default", seed=2, budgets=(5, 15), setup=setup)
        record = run.record()
        assert [len(g) for g in run.grad_norm] == [5, 10]  # steps since the previous budget
        assert record["clipped"] == [clipped, clipped]
        for b, norms in enumerate(run.grad_norm):
            assert record["grad_norm_median"][b] == np.median(norms)
            assert np.all(norms > 1e-3)  # the norm before clipping, not the clipped 1e-6
    # the chunks are the steps of one run, cut at the budgets
    whole = horizon.recall_run(2, "default", seed=2, budgets=(15,), setup=tight)
    np.testing.assert_array_equal(whole.grad_norm[0], np.concatenate(runs[1.0].grad_norm))


def test_start_signal_is_taken_at_the_delay_on_the_recall_steps():
    from rnnlib.diagnostics import cost_state_sensitivity

    d = 3
    run = horizon.recall_run(d, "default", seed=0, budgets=(5,), setup=SMALL)
    T = run.X_test.shape[1]

    def by_hand(lag, n):
        ratios = []
        for x, y in zip(run.X_test[:n], run.Y_test[:n]):
            S = cost_state_sensitivity(run.start, x, y, loss="cross_entropy")
            ratios += [S[t, t - lag] / S[t, t] for t in range(d + 1, T + 1)]
        return np.mean(ratios)

    assert run.start_signal(n_sequences=4) == pytest.approx(by_hand(d, 4), rel=1e-12)
    assert run.start_signal(n_sequences=4) != pytest.approx(by_hand(d - 1, 4), rel=1e-3)  # the lag matters
    assert 0 < run.start_signal() < 1  # the default initialisation: the signal has decayed
    with pytest.raises(TypeError, match="n_sequences: expected an integer"):
        run.start_signal(n_sequences=2.0)
