"""The character LM with an LSTM cell (Settings(cell="lstm")), and the RNN path kept as it was."""

import numpy as np
import pytest

from rnnlib import charlm
from rnnlib.gated import lstm
from rnnlib.backprop import loss_grad_and_state
from rnnlib.optim import clip_by_global_norm

TEXT = "the cat sat on the mat. the dog sat on the log.\n" * 30
SMALL = dict(hidden=6, seq_length=7, batch=4, lr=0.01, clip=5.0, seed=3)


def same_state(a, b):
    """Two training states equal bit for bit: parameters, optimiser state, carried states, losses."""
    assert type(a.params) is type(b.params) and a.step == b.step and a.losses == b.losses
    for x, y in zip(a.params, b.params):
        np.testing.assert_array_equal(x, y)
    for part in ("m", "v", "s"):
        if hasattr(a.opt_state, part):
            for x, y in zip(getattr(a.opt_state, part), getattr(b.opt_state, part)):
                np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.h, b.h)
    if a.c is None:
        assert b.c is None
    else:
        np.testing.assert_array_equal(a.c, b.c)


# --- rnnlib.gated.lstm.loss_grad_and_state ------------------------------------------------------------------


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    params = lstm.init_params(3, 5, 4, rng=rng)
    X = rng.normal(size=(2, 9, 3))
    Y = np.eye(4)[rng.integers(0, 4, size=(2, 9))]
    return params, X, Y


def test_loss_grad_and_state_is_loss_and_grad_plus_the_last_states(problem):
    params, X, Y = problem
    h0, c0 = np.full((2, 5), 0.3), np.full((2, 5), -0.2)
    C, grads, h_T, c_T = lstm.loss_grad_and_state(params, X, Y, loss="cross_entropy", h0=h0, c0=c0)
    C_ref, grads_ref = lstm.loss_and_grad(params, X, Y, loss="cross_entropy", h0=h0, c0=c0)
    assert C == C_ref
    for a, b in zip(grads, grads_ref):
        np.testing.assert_array_equal(a, b)
    cache = lstm.forward(params, X, h0=h0, c0=c0)
    np.testing.assert_array_equal(h_T, cache.h[:, -1])
    np.testing.assert_array_equal(c_T, cache.c[:, -1])
    assert h_T.shape == c_T.shape == (2, 5) and h_T.flags.owndata and c_T.flags.owndata
    one = lstm.loss_grad_and_state(params, X[0], Y[0], loss="cross_entropy")  # one sequence: states (n,)
    assert one[2].shape == one[3].shape == (5,)


def test_carried_states_continue_the_sequence(problem):
    params, X, Y = problem
    whole = lstm.forward(params, X)
    _, _, h, c = lstm.loss_grad_and_state(params, X[:, :4], Y[:, :4], loss="cross_entropy")
    rest = lstm.forward(params, X[:, 4:], h0=h, c0=c)
    np.testing.assert_allclose(rest.h[:, -1], whole.h[:, -1], rtol=0, atol=1e-14)
    np.testing.assert_allclose(rest.c[:, -1], whole.c[:, -1], rtol=0, atol=1e-14)
    # the check can fail: without the cell state the rest is another computation
    forgetful = lstm.forward(params, X[:, 4:], h0=h)
    assert np.abs(forgetful.h[:, -1] - whole.h[:, -1]).max() > 1e-3


def test_loss_grad_and_state_refuses_bad_input(problem):
    params, X, Y = problem
    with pytest.raises(ValueError, match=r"c0: expected shape \(N, n\) = \(2, 5\), got \(5,\)"):
        lstm.loss_grad_and_state(params, X, Y, c0=np.zeros(5))
    with pytest.raises(TypeError, match="params: expected rnnlib.gated.lstm.LSTMParams, got Params"):
        lstm.loss_grad_and_state(charlm.start(TEXT, charlm.Settings(**SMALL)).params, X, Y)


# --- the RNN path: bit for bit what it was -----------------------------------------------------------


def train_as_before(state, text, steps):
    """The training loop of rnnlib.charlm as it was before the LSTM cell existed (RNN only)."""
    vocab, s = state.vocab, state.settings
    data = charlm.streams(vocab.encode(text), s.batch, s.seq_length)
    chunks = (data.shape[1] - 1) // s.seq_length
    optimizer = s.make_optimizer()
    params, opt_state, h = state.params, state.opt_state, state.h
    losses = list(state.losses)
    for step in range(state.step, state.step + steps):
        pos = (step % chunks) * s.seq_length
        if pos == 0:
            h = np.zeros_like(h)
        X = vocab.one_hot(data[:, pos : pos + s.seq_length])
        Y = vocab.one_hot(data[:, pos + 1 : pos + s.seq_length + 1])
        C, grads, h = loss_grad_and_state(params, X, Y, loss="cross_entropy", f="tanh", g="softmax", h0=h)
        grads, _ = clip_by_global_norm(grads, s.clip)
        params, opt_state = optimizer.update(params, grads, opt_state)
        losses.append(C / s.seq_length)
    return charlm.TrainState(params, vocab, s, opt_state, h, state.step + steps, losses, dict(state.extra))


@pytest.mark.parametrize("optimizer", ["adam", "adagrad"])
def test_the_rnn_trains_bit_for_bit_as_before(optimizer):
    settings = charlm.Settings(**{**SMALL, "optimizer": optimizer, "hidden": 16})
    assert settings.cell == "rnn"  # the default
    start = charlm.start(TEXT, settings)
    assert type(start.params).__name__ == "Params" and start.c is None
    steps = 60  # more than one pass over the streams: the reset of h at an epoch is included
    assert steps > (len(TEXT) // settings.batch - 1) // settings.seq_length
    same_state(charlm.train(start, TEXT, steps), train_as_before(start, TEXT, steps))
    # the comparison sees a single bit: one ulp on one initial weight changes the result
    W = start.params.W_hh.copy()
    W[0, 0] = np.nextafter(W[0, 0], np.inf)
    p = start.params
    nudged = charlm.TrainState(type(p)(p.W_xh, W, p.W_hy, p.b_h, p.b_y), start.vocab, settings, start.opt_state,
                               start.h)
    assert not np.array_equal(charlm.train(nudged, TEXT, steps).params.W_hh,
                              train_as_before(start, TEXT, steps).params.W_hh)


def test_an_old_checkpoint_without_a_cell_loads_as_the_rnn(tmp_path):
    state = charlm.train(charlm.start(TEXT, charlm.Settings(**SMALL)), TEXT, 5)
    charlm.save(tmp_path / "new.npz", state)
    with np.load(tmp_path / "new.npz") as data:
        arrays = {key: data[key] for key in data.files}
    assert arrays.pop("setting_cell") == "rnn" and "c" not in arrays
    np.savez(tmp_path / "old.npz", **arrays)  # the file as written before the LSTM existed
    old = charlm.load(tmp_path / "old.npz")
    assert old.settings.cell == "rnn"
    same_state(old, state)
    same_state(charlm.train(old, TEXT, 5), charlm.train(state, TEXT, 5))


# --- the LSTM in the language model -------------------------------------------------------------


def test_an_lstm_model_starts_with_zero_states():
    state = charlm.start(TEXT, charlm.Settings(**SMALL, cell="lstm"))
    assert isinstance(state.params, lstm.LSTMParams)
    assert (state.params.m, state.params.n, state.params.k) == (state.vocab.size, 6, state.vocab.size)
    assert state.h.shape == state.c.shape == (4, 6) and not state.h.any() and not state.c.any()
    np.testing.assert_array_equal(state.params.b_f, 1.0)  # rnnlib.gated.lstm's forget bias


def test_an_lstm_learns():
    state = charlm.train(charlm.start(TEXT, charlm.Settings(**{**SMALL, "hidden": 16}, cell="lstm")), TEXT, 200)
    assert np.mean(state.losses[-20:]) < 0.5 * np.mean(state.losses[:5])


@pytest.mark.parametrize("optimizer", ["adam", "adagrad"])
def test_lstm_resume_is_exact(tmp_path, optimizer):
    settings = charlm.Settings(**SMALL, cell="lstm", optimizer=optimizer)
    text, k = TEXT[:400], 23  # an epoch is 14 steps here: both halves cross the start of an epoch (h, c reset)
    assert k > (len(text) // settings.batch - 1) // settings.seq_length
    straight = charlm.train(charlm.start(TEXT, settings), text, 2 * k)
    half = charlm.train(charlm.start(TEXT, settings), text, k)
    charlm.save(tmp_path / "half.npz", half)
    loaded = charlm.load(tmp_path / "half.npz")
    assert loaded.settings == settings
    same_state(loaded, half)
    same_state(charlm.train(loaded, text, k), straight)


def test_the_cell_state_is_carried_between_chunks():
    settings = charlm.Settings(**SMALL, cell="lstm")
    state = charlm.train(charlm.start(TEXT, settings), TEXT, 3)
    assert np.abs(state.c).max() > 0.01
    forgetful = charlm.TrainState(state.params, state.vocab, settings, state.opt_state, state.h, state.step,
                                  state.losses, {}, np.zeros_like(state.c))
    assert charlm.train(forgetful, TEXT, 1).losses[-1] != charlm.train(state, TEXT, 1).losses[-1]


def test_lstm_evaluate_is_the_cost_per_character():
    state = charlm.train(charlm.start(TEXT, charlm.Settings(**SMALL, cell="lstm")), TEXT, 20)
    text = TEXT[:300]
    codes = state.vocab.encode(text)
    C, _ = lstm.loss_and_grad(state.params, state.vocab.one_hot(codes[:-1]), state.vocab.one_hot(codes[1:]),
                              loss="cross_entropy")
    loss = charlm.evaluate(state.params, state.vocab, text)
    assert abs(loss - C / (len(text) - 1)) < 1e-12
    assert abs(charlm.evaluate(state.params, state.vocab, text, chunk=37) - loss) < 1e-12  # h and c carried
    assert loss < np.log(state.vocab.size)


def test_lstm_sampling_carries_both_states():
    state = charlm.train(charlm.start(TEXT, charlm.Settings(**{**SMALL, "hidden": 16}, cell="lstm")), TEXT, 150)
    vocab, params = state.vocab, state.params
    text = charlm.sample(params, vocab, length=40, prime="the ", rng=5)
    assert text == charlm.sample(params, vocab, length=40, prime="the ", rng=5) and len(text) == 40
    # the same draws from the network re-reading everything so far at every step
    rng, read = np.random.default_rng(5), "the "
    for _ in range(40):
        u = lstm.forward(params, vocab.one_hot(vocab.encode(read)), g="softmax").u[-1]
        p = np.exp(u - u.max())
        read += vocab.chars[rng.choice(vocab.size, p=p / p.sum())]
    assert read == "the " + text
    assert set(text) <= set(vocab.chars)


def test_a_state_whose_cell_state_disagrees_is_refused():
    lstm_state = charlm.start(TEXT, charlm.Settings(**SMALL, cell="lstm"))
    rnn_state = charlm.start(TEXT, charlm.Settings(**SMALL))
    broken = charlm.TrainState(lstm_state.params, lstm_state.vocab, lstm_state.settings, lstm_state.opt_state,
                               lstm_state.h)
    with pytest.raises(TypeError, match="state.c: expected"):
        charlm.train(broken, TEXT, 1)
    wrong = charlm.TrainState(rnn_state.params, rnn_state.vocab, rnn_state.settings, rnn_state.opt_state,
                              rnn_state.h, c=np.zeros((4, 6)))
    with pytest.raises(ValueError, match="state.c: expected None for the RNN"):
        charlm.train(wrong, TEXT, 1)
    mixed = charlm.TrainState(rnn_state.params, rnn_state.vocab, lstm_state.settings, rnn_state.opt_state,
                              rnn_state.h, c=np.zeros((4, 6)))
    with pytest.raises(TypeError, match="state.params: expected rnnlib.gated.lstm.LSTMParams, got Params"):
        charlm.train(mixed, TEXT, 1)
    with pytest.raises(ValueError, match="cell: expected one of"):
        charlm.Settings(cell="gru")


@pytest.mark.parametrize("change, message", [
    (lambda a: a.pop("c"), "it lacks 'c'"),
    (lambda a: a.__setitem__("c", a["c"][:, :-1]), "c has shape (4, 5), expected (4, 6)"),
    (lambda a: a["c"].__setitem__((0, 0), np.nan), "c: expected finite values"),
    (lambda a: a.pop("W_hc"), "it lacks 'W_hc'"),
    (lambda a: a.__setitem__("adam_m_W_xo", a["adam_m_W_xo"][:-1]), "adam_m_W_xo: expected shape (n, m) = (6, 15)"),
    (lambda a: a.__setitem__("setting_cell", np.array("gru")), "setting_cell is 'gru', expected one of 'rnn', 'lstm'"),
])
def test_a_damaged_lstm_checkpoint_is_refused_in_one_sentence(tmp_path, change, message):
    charlm.save(tmp_path / "m.npz", charlm.train(charlm.start(TEXT, charlm.Settings(**SMALL, cell="lstm")), TEXT, 2))
    with np.load(tmp_path / "m.npz") as data:
        arrays = {key: data[key].copy() for key in data.files}
    assert arrays["setting_cell"] == "lstm"
    change(arrays)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(charlm.CharLMError) as info:
        charlm.load(tmp_path / "bad.npz")
    assert str(info.value).startswith(f"'{tmp_path / 'bad.npz'}' is not a valid checkpoint")
    assert message in str(info.value) and "\n" not in str(info.value)


def test_lstm_training_stops_when_it_diverges():
    state = charlm.start(TEXT, charlm.Settings(**{**SMALL, "lr": 1e308}, cell="lstm"))
    with np.errstate(all="ignore"), pytest.raises(charlm.Diverged, match="at step [0-9]+: training diverged") as info:
        charlm.train(state, TEXT, 50)
    assert 1 <= info.value.step <= 50
