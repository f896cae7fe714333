"""The LSTM cell (rnnlib.gated.lstm): gradients, references, autograd, bad input, dtype, bug gallery."""

import numpy as np
import pytest

import rnnlib
from rnnlib import broken
from rnnlib.gated import lstm, reference

G = ("softmax", "identity", "sigmoid", "tanh")
#: every (g, loss) the RNN offers
COMBOS = [(g, "mse") for g in G] + [("softmax", "cross_entropy")]
#: (N, T, m, n, k), including the edges N = 1, T = 1, n = 1
SHAPES = [(2, 4, 3, 3, 2), (1, 3, 2, 2, 3), (3, 1, 2, 3, 2), (2, 3, 1, 1, 2)]
GRAD_TOL = 1e-7  # float64, central4 finite differences
# central4's error is about eps^4 (truncation) + u |C| / eps (round-off), smallest near eps = (u / 4)^(1/5) = 5.6e-4;
# at the library's default 1e-3 the round-off of these costs (|C| up to about 10) already reaches 1e-7 on the
# smallest entries, which the relative error's floor magnifies up to 1e4 times
EPS = 5e-4


def random_params(rng, m, n, k, dtype=np.float64):
    """Initial parameters moved off their initial values, so that every bias has something to check."""
    p = lstm.init_params(m, n, k, rng=rng, dtype=dtype)
    return p.map(lambda a: (a + 0.3 * rng.normal(size=a.shape)).astype(dtype))


def make_problem(rng, N, T, m, n, k, loss="mse"):
    params = random_params(rng, m, n, k)
    X = rng.normal(size=(N, T, m))
    # targets in (0, 1), like the outputs of every g: a cost of order one keeps the round-off of the finite
    # differences (u |C| / eps) well below GRAD_TOL even for the smallest entries, on any platform's arithmetic
    Y = rnnlib.softmax(rng.normal(size=(N, T, k)))
    return params, X, Y


def numeric_gradient(params, X, Y, *, loss="mse", g="softmax"):
    """central4 finite differences of the cost over v = vec(params)."""
    m, n, k = params.m, params.n, params.k
    return rnnlib.numerical_derivative(
        lambda v: lstm.loss_and_grad(lstm.unvec(v, m, n, k), X, Y, loss=loss, g=g)[0], lstm.vec(params), eps=EPS
    )


def grad_check(params, X, Y, *, loss="mse", g="softmax", grad_fn=lstm.loss_and_grad, numeric=None):
    """Largest relative error between grad_fn's gradient and finite differences over v = vec(params)."""
    _, grads = grad_fn(params, X, Y, loss=loss, g=g)
    d = numeric_gradient(params, X, Y, loss=loss, g=g) if numeric is None else numeric
    r = rnnlib.relative_error(lstm.vec(grads), d, floor=1e-4 * np.max(np.abs(d)))
    return float(r.max())


@pytest.fixture
def rng():
    return np.random.default_rng(20260101)


# --- gradients ---------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "N{}-T{}-m{}-n{}-k{}".format(*s))
@pytest.mark.parametrize("g, loss", COMBOS)
def test_gradient_matches_finite_differences(g, loss, shape, rng):
    params, X, Y = make_problem(rng, *shape, loss=loss)
    assert grad_check(params, X, Y, loss=loss, g=g) < GRAD_TOL


def test_every_parameter_has_a_nonzero_gradient(rng):
    """So that the check above compares something for each of the fourteen arrays."""
    params, X, Y = make_problem(rng, 2, 4, 3, 3, 2)
    _, grads = lstm.loss_and_grad(params, X, Y)
    for name, a in grads.items():
        assert np.max(np.abs(a)) > 1e-6, name


def test_one_sequence_equals_a_batch_of_one(rng):
    params, X, Y = make_problem(rng, 1, 5, 3, 4, 2)
    C1, g1 = lstm.loss_and_grad(params, X[0], Y[0])
    CN, gN = lstm.loss_and_grad(params, X, Y)
    assert C1 == CN
    for a, b in zip(g1, gN):
        np.testing.assert_array_equal(a, b)


def test_batch_gradient_is_the_average(rng):
    params, X, Y = make_problem(rng, 3, 4, 2, 3, 2)
    C, grads = lstm.loss_and_grad(params, X, Y)
    parts = [lstm.loss_and_grad(params, X[i], Y[i]) for i in range(3)]
    assert np.isclose(C, np.mean([c for c, _ in parts]), rtol=1e-14)
    for j, a in enumerate(grads):
        np.testing.assert_allclose(a, np.mean([list(gr)[j] for _, gr in parts], axis=0), rtol=1e-12, atol=1e-15)


def test_backward_and_gradients_agree_with_loss_and_grad(rng):
    params, X, Y = make_problem(rng, 2, 4, 3, 3, 2)
    cache = lstm.forward(params, X, g="softmax")
    dC_dy = rnnlib.cost_gradient_y(cache.output_layer(), Y, loss="mse")
    signals = lstm.backward(params, cache, dC_dy)
    _, want = lstm.loss_and_grad(params, X, Y)
    for a, b in zip(lstm.gradients(cache, signals), want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert signals.delta_c.shape == signals.delta_f.shape == (2, 4, 3)
    assert signals.e.shape == (2, 4, 2)


# --- the element-wise reference -------------------------------------------------------


@pytest.mark.parametrize("g, loss", COMBOS)
def test_einsum_reference_equals_the_batched_code(g, loss, rng):
    params, X, Y = make_problem(rng, 3, 4, 2, 3, 2, loss=loss)
    C, grads = lstm.loss_and_grad(params, X, Y, loss=loss, g=g)
    C_ref, grads_ref = reference.lstm_loss_and_grad_einsum(params, X, Y, loss=loss, g=g)
    assert abs(C - C_ref) <= 1e-12 * abs(C_ref)
    for name, a in grads.items():
        b = getattr(grads_ref, name)
        assert np.max(np.abs(a - b)) <= 1e-12 * max(1.0, np.max(np.abs(b))), name


def test_einsum_forward_and_signals_equal_the_batched_code(rng):
    params, X, Y = make_problem(rng, 1, 5, 2, 3, 2)
    cache = lstm.forward(params, X[0], g="tanh")
    states = reference.lstm_forward_einsum(params, X[0], g="tanh")
    for got, want in zip((cache.f, cache.i, cache.c_tilde, cache.o), states[:4]):
        np.testing.assert_allclose(got, want[1:], rtol=1e-13, atol=1e-15)
    for got, want in zip((cache.c, cache.h), states[4:6]):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(cache.y, states[7][1:], rtol=1e-13, atol=1e-15)
    dC_dy = cache.y - Y[0]
    _, s = reference.lstm_bptt_einsum(params, X[0], states, dC_dy, g="tanh")
    signals = lstm.backward(params, cache, dC_dy)
    for name in ("h", "c", "f", "i", "c_tilde", "o"):
        got = signals.delta_h if name == "h" else getattr(signals, "delta_" + name)
        np.testing.assert_allclose(got, s[name][1:-1], rtol=1e-12, atol=1e-15, err_msg=name)


# --- independent checks ---------------------------------------------------------------


def test_autograd_agrees(rng):
    """The cost written once more in autograd's numpy, and differentiated by autograd."""
    anp = pytest.importorskip("autograd.numpy")
    from autograd import grad

    params, X, Y = make_problem(rng, 2, 4, 3, 3, 2, loss="cross_entropy")
    N, T, _ = X.shape

    def cost(v):
        p = dict(zip(lstm.NAMES, _split(v, params)))
        sig = lambda z: 1 / (1 + anp.exp(-z))  # noqa: E731
        h = c = anp.zeros((N, params.n))
        total = 0.0
        for t in range(T):
            x = X[:, t]
            pre = {a: x @ p[f"W_x{a}"].T + h @ p[f"W_h{a}"].T + p[f"b_{a}"] for a in "fico"}
            c = sig(pre["f"]) * c + sig(pre["i"]) * anp.tanh(pre["c"])
            h = sig(pre["o"]) * anp.tanh(c)
            u = h @ p["W_hy"].T + p["b_y"]
            logp = u - anp.log(anp.sum(anp.exp(u), axis=1, keepdims=True))
            total = total - anp.sum(Y[:, t] * logp)
        return total / N

    v = lstm.vec(params)
    C, grads = lstm.loss_and_grad(params, X, Y, loss="cross_entropy")
    assert np.isclose(cost(v), C, rtol=1e-13)
    np.testing.assert_allclose(lstm.vec(grads), grad(cost)(v), rtol=1e-10, atol=1e-13)


def _split(v, params):
    out, start = [], 0
    for a in params:
        out.append(v[start : start + a.size].reshape(a.shape))
        start += a.size
    return out


def test_torch_lstm_computes_the_same_function(rng):
    """PyTorch's nn.LSTM, given the same weights (its gate order is i, f, g, o), gives the same h_t and gradients."""
    torch = pytest.importorskip("torch")
    params, X, Y = make_problem(rng, 2, 5, 3, 4, 2)
    net = torch.nn.LSTM(3, 4, batch_first=True).double()
    with torch.no_grad():
        net.weight_ih_l0.copy_(torch.from_numpy(np.concatenate([params.W_xi, params.W_xf, params.W_xc, params.W_xo])))
        net.weight_hh_l0.copy_(torch.from_numpy(np.concatenate([params.W_hi, params.W_hf, params.W_hc, params.W_ho])))
        net.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([params.b_i, params.b_f, params.b_c, params.b_o])))
        net.bias_hh_l0.zero_()
    out, (h_T, c_T) = net(torch.from_numpy(X))
    cache = lstm.forward(params, X)
    np.testing.assert_allclose(out.detach().numpy(), cache.h[:, 1:], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c_T[0].detach().numpy(), cache.c[:, -1], rtol=1e-12, atol=1e-14)
    # the gradient of a cost of h alone: sum of h_t * R for a fixed random R
    R = rng.normal(size=out.shape)
    (out * torch.from_numpy(R)).sum().backward()
    signals = lstm.backward(params, cache, e=np.zeros((2, 5, 2)))
    assert np.all(signals.delta_h == 0)  # no error from the output layer ...
    # ... so inject dC/dh_t = R through W_hy = I: u_t = h_t, identity g, dC/dy_t = R
    eye = lstm.LSTMParams(*[a for a in params][:12], np.eye(4), np.zeros(4))
    cache = lstm.forward(eye, X, g="identity")
    grads = lstm.gradients(cache, lstm.backward(eye, cache, R))
    np.testing.assert_allclose(
        net.weight_hh_l0.grad.numpy(), np.concatenate([grads.W_hi, grads.W_hf, grads.W_hc, grads.W_ho]),
        rtol=1e-10, atol=1e-13,
    )
    np.testing.assert_allclose(
        net.bias_ih_l0.grad.numpy(), np.concatenate([grads.b_i, grads.b_f, grads.b_c, grads.b_o]),
        rtol=1e-10, atol=1e-13,
    )


def test_initial_states_continue_a_sequence(rng):
    params, X, _ = make_problem(rng, 2, 6, 3, 4, 2)
    whole = lstm.forward(params, X)
    first = lstm.forward(params, X[:, :4])
    rest = lstm.forward(params, X[:, 4:], h0=first.h[:, -1], c0=first.c[:, -1])
    np.testing.assert_allclose(rest.h[:, 1:], whole.h[:, 5:], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(rest.c[:, 1:], whole.c[:, 5:], rtol=1e-14, atol=1e-15)


def test_closed_form_one_step(rng):
    """T = 1 from zero states: c_1 = i_1 * c~_1 and h_1 = o_1 * tanh(c_1); the forget gate plays no part."""
    params, X, Y = make_problem(rng, 1, 1, 2, 3, 2)
    x = X[0, 0]
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    c1 = sig(params.W_xi @ x + params.b_i) * np.tanh(params.W_xc @ x + params.b_c)
    h1 = sig(params.W_xo @ x + params.b_o) * np.tanh(c1)
    cache = lstm.forward(params, X[0])
    np.testing.assert_allclose(cache.c[1], c1, rtol=1e-14)
    np.testing.assert_allclose(cache.h[1], h1, rtol=1e-14)
    _, grads = lstm.loss_and_grad(params, X, Y)
    for name in ("W_xf", "W_hf", "b_f", "W_hi", "W_hc", "W_ho"):  # c_0 = h_0 = 0
        assert np.all(getattr(grads, name) == 0), name


# --- parameters -----------------------------------------------------------------------


def test_init_params(rng):
    p = lstm.init_params(3, 4, 2, rng=0)
    assert [name for name, _ in p.items()] == list(lstm.NAMES)
    assert np.all(p.b_f == 1) and all(np.all(getattr(p, b) == 0) for b in ("b_i", "b_c", "b_o", "b_y"))
    assert np.max(np.abs(p.W_xf)) <= 1 / np.sqrt(3) and np.max(np.abs(p.W_hf)) <= 1 / np.sqrt(4)
    assert len(lstm.vec(p)) == lstm.num_params(3, 4, 2) == 4 * (12 + 16 + 4) + 8 + 2
    assert lstm.init_params(3, 4, 2, dtype=np.float32).dtype == np.float32
    assert repr(p) == "LSTMParams(m=3, n=4, k=2, dtype=float64)"


def test_vec_order_and_round_trip(rng):
    p = random_params(rng, 2, 3, 2)
    v = lstm.vec(p)
    np.testing.assert_array_equal(v[:6], p.W_xf.reshape(-1))  # W_xf first, row by row
    np.testing.assert_array_equal(v[6:15], p.W_hf.reshape(-1))  # then W_hf
    np.testing.assert_array_equal(v[-2:], p.b_y)
    back = lstm.unvec(v, 2, 3, 2)
    for a, b in zip(back, p):
        np.testing.assert_array_equal(a, b)


# --- bad input --------------------------------------------------------------------------


def test_bad_input_is_refused_by_name(rng):
    params, X, Y = make_problem(rng, 2, 3, 3, 4, 2)
    with pytest.raises(ValueError, match=r"^X: expected shape \(N, T, m\) with m = 3"):
        lstm.forward(params, X[..., :2])
    with pytest.raises(ValueError, match=r"^X: expected finite values"):
        bad = X.copy()
        bad[1, 2, 0] = np.nan
        lstm.forward(params, bad)
    with pytest.raises(ValueError, match=r"^Y: expected shape \(N, T, k\)"):
        lstm.loss_and_grad(params, X, Y[:, :2])
    with pytest.raises(TypeError, match=r"^params: expected rnnlib.gated.lstm.LSTMParams, got Params"):
        lstm.forward(rnnlib.init_params(3, 4, 2), X)
    with pytest.raises(TypeError, match=r"^X: expected real numbers"):
        lstm.forward(params, X.astype(complex))
    with pytest.raises(ValueError, match=r"^W_hc: expected shape \(n, n\) = \(4, 4\)"):
        lstm.LSTMParams(*[a if name != "W_hc" else a[:3] for name, a in params.items()])
    with pytest.raises(ValueError, match=r"^b_o: expected a 1-D array"):
        lstm.LSTMParams(*[a if name != "b_o" else a[None] for name, a in params.items()])
    with pytest.raises(ValueError, match=r"^W_xi: expected dtype float64"):
        lstm.LSTMParams(*[a if name != "W_xi" else a.astype(np.float32) for name, a in params.items()])
    with pytest.raises(ValueError, match=r"^c0: expected shape \(N, n\) = \(2, 4\)"):
        lstm.forward(params, X, c0=np.zeros(4))
    with pytest.raises(ValueError, match=r"^h0: expected finite values"):
        lstm.forward(params, X, h0=np.full((2, 4), np.inf))
    with pytest.raises(ValueError, match=r"^params.b_f: expected finite values"):
        lstm.forward(params.map(lambda a: a if a.ndim == 2 else np.full_like(a, np.nan)), X)
    with pytest.raises(ValueError, match=r"^g: expected one of"):
        lstm.forward(params, X, g="relu")
    with pytest.raises(ValueError, match=r"^loss: 'cross_entropy' expects g='softmax'"):
        lstm.loss_and_grad(params, X, Y, loss="cross_entropy", g="identity")
    with pytest.raises(ValueError, match=r"^v: expected shape"):
        lstm.unvec(np.zeros(5), 3, 4, 2)
    with pytest.raises(TypeError, match=r"^cache: expected the LSTMCache"):
        lstm.backward(params, rnnlib.forward(rnnlib.init_params(3, 4, 2), X), Y)
    with pytest.raises(ValueError, match=r"^dC_dy, e: expected exactly one"):
        lstm.backward(params, lstm.forward(params, X))
    with pytest.raises(TypeError, match=r"^m: expected an integer"):
        lstm.init_params(3.0, 4, 2)
    with pytest.raises(TypeError, match=r"^dtype: expected a floating dtype"):
        lstm.init_params(3, 4, 2, dtype=np.int32)
    with pytest.raises(TypeError, match=r"^rng: expected a numpy Generator"):
        lstm.init_params(3, 4, 2, rng="seed")
    with pytest.raises(TypeError, match=r"^others: expected rnnlib.gated.lstm.LSTMParams, got Params"):
        params.map(np.add, rnnlib.init_params(3, 4, 2))
    with pytest.raises(TypeError, match=r"^signals: expected the LSTMSignals"):
        lstm.gradients(lstm.forward(params, X), rnnlib.backward(rnnlib.init_params(3, 4, 2),
                                                                rnnlib.forward(rnnlib.init_params(3, 4, 2), X), e=Y))


def test_float32_in_float32_out(rng):
    params, X, Y = make_problem(rng, 2, 3, 3, 4, 2)
    p32 = params.astype(np.float32)
    cache = lstm.forward(p32, X.astype(np.float32))
    for a in (cache.f, cache.i, cache.c_tilde, cache.o, cache.c, cache.h, cache.u, cache.y):
        assert a.dtype == np.float32
    C32, g32 = lstm.loss_and_grad(p32, X.astype(np.float32), Y.astype(np.float32))
    C64, g64 = lstm.loss_and_grad(params, X, Y)
    assert all(a.dtype == np.float32 for a in g32)
    assert abs(C32 - C64) < 1e-5 * abs(C64)
    assert np.max(np.abs(lstm.vec(g32) - lstm.vec(g64))) < 1e-5 * np.max(np.abs(lstm.vec(g64)))
    # float32 parameters with float64 input compute in float64, as in rnnlib.forward
    assert lstm.forward(p32, X).h.dtype == np.float64


# --- the bug gallery ----------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("name", list(broken.LSTM_VARIANTS))
def test_each_lstm_bug_fails_the_check(name, loss, rng):
    params, X, Y = make_problem(rng, 3, 5, 2, 4, 3, loss=loss)
    numeric = numeric_gradient(params, X, Y, loss=loss)
    assert grad_check(params, X, Y, loss=loss, numeric=numeric) < GRAD_TOL
    assert grad_check(params, X, Y, loss=loss, grad_fn=broken.LSTM_VARIANTS[name], numeric=numeric) > 1e-2


def test_the_lstm_bugs_leave_the_cost_alone_and_show_where_expected(rng):
    params, X, Y = make_problem(rng, 3, 5, 2, 4, 3)
    C, good = lstm.loss_and_grad(params, X, Y)

    def wrong(name):
        C_bad, bad = broken.LSTM_VARIANTS[name](params, X, Y)
        assert C_bad == C
        return {n for (n, a), b in zip(good.items(), bad) if not np.allclose(a, b, rtol=1e-12, atol=1e-15)}

    gates = {f"{w}{a}" for a in "fico" for w in ("W_x", "W_h", "b_")}
    assert wrong("lstm_no_forget_on_cell_path") == gates  # every gate reads h_{t-1}, which reads c_{t-1}
    assert wrong("lstm_no_tanh_prime") == gates
    assert wrong("lstm_h_t_for_h_prev") == {f"W_h{a}" for a in "fico"}


def test_the_wrapper_check_itself_can_fail(rng):
    """A gradient scaled by 1.001 is caught: the check does compare."""
    params, X, Y = make_problem(rng, 2, 3, 2, 3, 2)

    def scaled(*args, **kw):
        C, grads = lstm.loss_and_grad(*args, **kw)
        return C, grads.map(lambda a: 1.001 * a)

    assert grad_check(params, X, Y, grad_fn=scaled) > 1e-4


# --- the figure ---------------------------------------------------------------------------


def test_draw_lstm_cell_draws_the_cell_path_and_four_gates():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rnnlib import plots

    fig, ax = plt.subplots()
    try:
        assert plots.draw_lstm_cell(ax) is ax
        texts = [t.get_text() for t in ax.texts]
        assert texts.count(r"$\sigma$") == 3 and "tanh" in texts  # three gates and the candidate
        for label in (r"$\mathbf{c}_{t-1}$", r"$\mathbf{c}_{t}$", r"$\mathbf{h}_{t-1}$", r"$\mathbf{x}_{t}$"):
            assert label in texts, label
    finally:
        plt.close(fig)


# --- the interface shared with rnnlib.gated.gru: cost, readout, output_layer, delta_h0 ---


@pytest.mark.parametrize("g, loss", COMBOS)
def test_cost_is_the_cost_of_loss_and_grad(g, loss, rng):
    params, X, Y = make_problem(rng, 2, 4, 3, 3, 2)
    cache = lstm.forward(params, X, g=g)
    C = lstm.cost(cache, Y, loss=loss)
    assert C == rnnlib.cost(cache.output_layer(), Y, loss=loss)
    # loss_and_grad sums the squares in another order: equal to round-off
    assert np.isclose(C, lstm.loss_and_grad(params, X, Y, loss=loss, g=g)[0], rtol=1e-14, atol=0)
    # the check can fail: the cost of other targets is another number
    assert lstm.cost(cache, Y[:, ::-1], loss=loss) != C


def test_readout_gives_each_steps_cost_from_its_state(rng):
    params, X, Y = make_problem(rng, 2, 5, 3, 4, 2)
    cache = lstm.forward(params, X, g="sigmoid")
    per_step = rnnlib.per_step_cost(cache.output_layer(), Y)  # (N, T)
    whole = lstm.readout(params, cache.h[:, 1:], g="sigmoid")
    np.testing.assert_array_equal(whole.o, cache.u)
    np.testing.assert_allclose(whole.y, cache.y, rtol=1e-15, atol=0)
    for t in range(1, 6):
        one = lstm.readout(params, cache.h[0, t][None], g="sigmoid")  # one sequence, one step
        C_t = rnnlib.cost(one, Y[0, t - 1 : t])
        assert np.isclose(C_t, per_step[0, t - 1], rtol=1e-14, atol=0)
        # the check can fail: the state one step earlier gives another cost
        wrong = rnnlib.cost(lstm.readout(params, cache.h[0, t - 1][None], g="sigmoid"), Y[0, t - 1 : t])
        assert not np.isclose(wrong, per_step[0, t - 1], rtol=1e-6)


def test_delta_h0_and_delta_c0_are_the_initial_states_signals(rng):
    params, X, Y = make_problem(rng, 1, 4, 2, 3, 2)
    X, Y = X[0], Y[0]  # one sequence
    h0, c0 = 0.5 * rng.normal(size=3), 0.5 * rng.normal(size=3)
    cache = lstm.forward(params, X, h0=h0, c0=c0)
    signals = lstm.backward(params, cache, e=rnnlib.output_error(cache.output_layer(), Y))
    dC_dh0 = rnnlib.numerical_derivative(lambda v: lstm.cost(lstm.forward(params, X, h0=v, c0=c0), Y), h0, eps=EPS)
    dC_dc0 = rnnlib.numerical_derivative(lambda v: lstm.cost(lstm.forward(params, X, h0=h0, c0=v), Y), c0, eps=EPS)
    np.testing.assert_allclose(signals.delta_h0, dC_dh0, rtol=1e-8, atol=1e-11)
    np.testing.assert_allclose(signals.delta_c0, dC_dc0, rtol=1e-8, atol=1e-11)
    # the trap they avoid: row 0 of delta_h and delta_c is step 1, not step 0
    assert not np.allclose(signals.delta_h[0], dC_dh0, rtol=1e-3)
    assert not np.allclose(signals.delta_c[0], dC_dc0, rtol=1e-3)
    batch = lstm.backward(params, lstm.forward(params, X[None], h0=h0[None], c0=c0[None]), e=signals.e[None])
    np.testing.assert_allclose(batch.delta_h0, signals.delta_h0[None], rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(batch.delta_c0, signals.delta_c0[None], rtol=1e-14, atol=1e-16)


def test_cost_and_readout_refuse_bad_input_by_name(rng):
    params, X, Y = make_problem(rng, 2, 3, 3, 4, 2)
    cache = lstm.forward(params, X)
    with pytest.raises(TypeError, match="^cache: expected the LSTMCache"):
        lstm.cost(rnnlib.forward(rnnlib.init_params(3, 4, 2, rng=rng), X), Y)
    with pytest.raises(ValueError, match="^Y: "):
        lstm.cost(cache, Y[:, :2])
    with pytest.raises(ValueError, match="loss"):
        lstm.cost(cache, Y, loss="hinge")
    with pytest.raises(ValueError, match=r"^H: expected shape \(T, n\).*got \(3, 3\)"):
        lstm.readout(params, X[0])
    with pytest.raises(ValueError, match="^H: .*finite"):
        lstm.readout(params, np.full((3, 4), np.nan))
    with pytest.raises(TypeError, match="^params: "):
        lstm.readout(gru_like := rnnlib.init_params(3, 4, 2, rng=rng), np.zeros((3, 4)))
    del gru_like
