"""The GRU: gradients against finite differences and autograd, the einsum reference, bad input, the bug gallery."""

import numpy as np
import pytest

import rnnlib
from rnnlib import broken
from rnnlib.gated import gru
from rnnlib.gated import reference as ref
from rnnlib.gradcheck import tolerance

G = ("softmax", "identity", "sigmoid", "tanh")
#: every (g, loss) the RNN offers
COMBOS = [(g, "mse") for g in G] + [("softmax", "cross_entropy")]
#: small shapes (N, T, m, n, k), the edges T = 1, n = 1, N = 1 included
SHAPES = [(3, 4, 2, 3, 2), (1, 1, 2, 3, 2), (2, 3, 1, 1, 1), (1, 5, 3, 1, 2), (4, 1, 1, 2, 3)]


def random_gru(rng, m, n, k, dtype=np.float64, scale=0.5):
    """Parameters with every entry random (biases too), so that each gradient has something to check."""
    return gru.unvec(scale * rng.normal(size=gru.num_params(m, n, k)), m, n, k).astype(dtype)


def problem(rng, N, T, m, n, k, loss="mse", batched=True):
    params = random_gru(rng, m, n, k)
    shape = (N, T) if batched else (T,)
    X = rng.normal(size=shape + (m,))
    Y = rnnlib.softmax(rng.normal(size=shape + (k,))) if loss == "cross_entropy" else rng.normal(size=shape + (k,))
    return params, X, Y


def grad_check(params, X, Y, *, loss="mse", g="softmax", grad_fn=gru.loss_and_grad):
    """Largest relative error of grad_fn's gradient against central4 finite differences of gru.cost on vec(params)."""
    m, n, k = params.m, params.n, params.k
    _, grads = grad_fn(params, X, Y, loss=loss, g=g)
    d = rnnlib.numerical_derivative(
        lambda v: gru.cost(gru.forward(gru.unvec(v, m, n, k), X, g=g), Y, loss=loss), gru.vec(params)
    )
    return float(np.max(rnnlib.relative_error(gru.vec(grads), d, floor=1e-4 * np.max(np.abs(d)))))


@pytest.fixture
def rng():
    return np.random.default_rng(20261126)


# --- gradients ---------------------------------------------------------------------


@pytest.mark.parametrize("g, loss", COMBOS)
@pytest.mark.parametrize("shape", SHAPES)
def test_gradient_of_every_parameter_matches_finite_differences(g, loss, shape, rng):
    params, X, Y = problem(rng, *shape, loss=loss)
    assert grad_check(params, X, Y, loss=loss, g=g) < 1e-7


@pytest.mark.parametrize("g, loss", COMBOS)
def test_gradient_of_one_sequence(g, loss, rng):
    params, X, Y = problem(rng, 1, 4, 2, 3, 2, loss=loss, batched=False)
    assert grad_check(params, X, Y, loss=loss, g=g) < 1e-7


def test_the_threshold_is_the_libraries(rng):
    """1e-7 is below the central4 stencil's own pass threshold, so the check here is no looser than rnnlib's."""
    assert 1e-7 < tolerance("central4") < 2e-7


def test_gradient_with_a_given_initial_state(rng):
    """h0 is a constant: the gradient of the parameters is still exact when a state is carried in."""
    params, X, Y = problem(rng, 2, 4, 2, 3, 2)
    h0 = 0.5 * rng.normal(size=(2, 3))
    m, n, k = params.m, params.n, params.k
    _, grads = gru.loss_and_grad(params, X, Y, h0=h0)
    d = rnnlib.numerical_derivative(
        lambda v: gru.cost(gru.forward(gru.unvec(v, m, n, k), X, h0=h0), Y), gru.vec(params)
    )
    assert np.max(rnnlib.relative_error(gru.vec(grads), d, floor=1e-4 * np.max(np.abs(d)))) < 1e-7
    _, without = gru.loss_and_grad(params, X, Y)
    assert not np.allclose(gru.vec(grads), gru.vec(without), rtol=1e-6)  # h0 does change the gradient


def test_batch_gradient_is_the_average(rng):
    params, X, Y = problem(rng, 4, 3, 2, 3, 2)
    C, grads = gru.loss_and_grad(params, X, Y)
    per = [gru.loss_and_grad(params, X[i], Y[i]) for i in range(4)]
    assert C == pytest.approx(np.mean([c for c, _ in per]), rel=1e-14)
    np.testing.assert_allclose(gru.vec(grads), np.mean([gru.vec(gr) for _, gr in per], axis=0), rtol=1e-12, atol=1e-15)


def test_dC_dh0_is_row_0_of_delta_h(rng):
    """Row 0 of delta_h is dC/dh_0, with h_0 given."""
    params, X, Y = problem(rng, 1, 4, 2, 3, 2, batched=False)
    h0 = 0.5 * rng.normal(size=3)
    cache = gru.forward(params, X, h0=h0)
    delta_h = gru.backward(params, cache, gru_dC_dy(cache, Y)).delta_h
    numeric = rnnlib.numerical_derivative(lambda v: gru.cost(gru.forward(params, X, h0=v), Y), h0)
    np.testing.assert_allclose(delta_h[0], numeric, rtol=1e-8, atol=1e-11)


def gru_dC_dy(cache, Y):
    return (cache.y - Y) / cache.N  # mse


def test_backward_from_dC_dy_and_from_e_agree(rng):
    params, X, Y = problem(rng, 2, 3, 2, 3, 2)
    cache = gru.forward(params, X, g="sigmoid")
    s1 = gru.backward(params, cache, gru_dC_dy(cache, Y))
    s2 = gru.backward(params, cache, e=gru_dC_dy(cache, Y) * cache.y * (1 - cache.y))
    for a in ("e", "delta_h", "delta_z", "delta_r", "delta_h_tilde"):
        np.testing.assert_allclose(getattr(s1, a), getattr(s2, a), rtol=1e-13, atol=1e-16)
    _, grads = gru.loss_and_grad(params, X, Y, g="sigmoid")
    np.testing.assert_allclose(gru.vec(gru.gradients(cache, s1)), gru.vec(grads), rtol=1e-13, atol=1e-16)


# --- against an independent implementation ----------------------------------------


@pytest.mark.parametrize("g, loss", COMBOS)
@pytest.mark.parametrize("shape", SHAPES[:3])
def test_einsum_reference_equals_the_batched_code(g, loss, shape, rng):
    params, X, Y = problem(rng, *shape, loss=loss)
    C, grads = gru.loss_and_grad(params, X, Y, loss=loss, g=g)
    C_ref, grads_ref = ref.gru_loss_and_grad_einsum(params, X, Y, loss=loss, g=g)
    assert abs(C - C_ref) <= 1e-12 * max(1.0, abs(C))
    for (name, a), b in zip(grads.items(), grads_ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=name)


def test_einsum_forward_and_signals_equal_the_batched_code(rng):
    params, X, Y = problem(rng, 3, 4, 2, 3, 2)
    cache = gru.forward(params, X, g="tanh")
    signals = gru.backward(params, cache, e=rng.normal(size=cache.y.shape))
    for i in range(3):
        fwd = ref.gru_forward_einsum(params, X[i], "tanh")
        for name, a in zip(("z", "r", "h_tilde"), fwd[:3]):
            np.testing.assert_allclose(getattr(cache, name)[i], a[1:], rtol=1e-12, atol=1e-14, err_msg=name)
        np.testing.assert_allclose(cache.h[i], fwd[3], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(cache.y[i], fwd[5][1:], rtol=1e-12, atol=1e-14)
        dC_dy = signals.e[i] / (1 - cache.y[i] ** 2)  # tanh: e = dC/dy * (1 - y^2)
        _, sig = ref.gru_bptt_einsum(params, X[i], fwd, dC_dy, "tanh")
        for name in ("e", "delta_z", "delta_r", "delta_h_tilde"):
            np.testing.assert_allclose(getattr(signals, name)[i], sig[name][1:], rtol=1e-10, atol=1e-13, err_msg=name)
        np.testing.assert_allclose(signals.delta_h[i], sig["delta_h"], rtol=1e-10, atol=1e-13)


def test_against_autograd(rng):
    """The gradient of the same GRU written once more in autograd's numpy, differentiated by autograd."""
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    N, T, m, n, k = 3, 4, 2, 3, 3
    params, X, Y = problem(rng, N, T, m, n, k, loss="cross_entropy")

    def sigma(a):
        return 1 / (1 + anp.exp(-a))

    def cost(arrays):
        W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hy, b_y = arrays
        h, C = anp.zeros((N, n)), 0.0
        for t in range(T):
            x = X[:, t]
            z = sigma(x @ W_xz.T + h @ W_hz.T + b_z)
            r = sigma(x @ W_xr.T + h @ W_hr.T + b_r)
            cand = anp.tanh(x @ W_xh.T + (r * h) @ W_hh.T + b_h)
            h = z * h + (1 - z) * cand
            o = h @ W_hy.T + b_y
            log_y = o - anp.log(anp.sum(anp.exp(o), axis=1, keepdims=True))
            C = C - anp.sum(Y[:, t] * log_y)
        return C / N

    want = autograd.grad(cost)(list(params))
    C, grads = gru.loss_and_grad(params, X, Y, loss="cross_entropy")
    assert C == pytest.approx(cost(list(params)), rel=1e-13)
    for (name, a), b in zip(grads.items(), want):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13, err_msg=name)


def test_saturated_gates_make_the_vanilla_rnn(rng):
    """z_t = 0 and r_t = 1 (saturated biases) turn the GRU into the notes' RNN with f = tanh."""
    params, X, Y = problem(rng, 2, 4, 3, 3, 2)
    n = params.n
    p = dict(params.items())
    p.update(W_xz=0 * p["W_xz"], W_hz=0 * p["W_hz"], b_z=np.full(n, -60.0),
             W_xr=0 * p["W_xr"], W_hr=0 * p["W_hr"], b_r=np.full(n, 60.0))
    params = gru.GRUParams(**p)
    rnn = rnnlib.Params(p["W_xh"], p["W_hh"], p["W_hy"], p["b_h"], p["b_y"])
    np.testing.assert_allclose(gru.forward(params, X).h, rnnlib.forward(rnn, X).h, rtol=1e-13, atol=1e-15)
    C, grads = gru.loss_and_grad(params, X, Y)
    C_rnn, grads_rnn = rnnlib.loss_and_grad(rnn, X, Y)
    assert C == pytest.approx(C_rnn, rel=1e-13)
    for name in ("W_xh", "W_hh", "W_hy", "b_h", "b_y"):
        np.testing.assert_allclose(getattr(grads, name), getattr(grads_rnn, name), rtol=1e-12, atol=1e-15)


def test_update_gate_at_one_keeps_the_state(rng):
    """z_t = 1 copies h_{t-1}: h_T = h_0 and dC/dh_0 is the sum of W_hy^T e_t over every step."""
    params, X, Y = problem(rng, 1, 5, 2, 3, 2, batched=False)
    p = dict(params.items())
    p.update(W_xz=0 * p["W_xz"], W_hz=0 * p["W_hz"], b_z=np.full(3, 60.0))
    params = gru.GRUParams(**p)
    h0 = rng.normal(size=3)
    cache = gru.forward(params, X, h0=h0)
    np.testing.assert_allclose(cache.h, np.tile(h0, (6, 1)), rtol=1e-15, atol=1e-16)  # h~ + z (h - h~) rounds
    signals = gru.backward(params, cache, gru_dC_dy(cache, Y))
    np.testing.assert_allclose(signals.delta_h[0], signals.e.sum(axis=0) @ params.W_hy, rtol=1e-13, atol=1e-16)


def test_h0_continues_a_sequence(rng):
    params, X, _ = problem(rng, 2, 6, 2, 3, 2)
    whole = gru.forward(params, X)
    first = gru.forward(params, X[:, :2])
    rest = gru.forward(params, X[:, 2:], h0=first.h[:, -1])
    np.testing.assert_allclose(rest.h[:, 1:], whole.h[:, 3:], rtol=1e-14, atol=0)


def test_torch_gru_is_a_different_function(rng):
    """With the same weights, torch.nn.GRU (reset gate after the product) computes another h_t."""
    torch = pytest.importorskip("torch")
    m, n, T = 2, 3, 4
    params = random_gru(rng, m, n, 1)
    X = rng.normal(size=(T, m))
    net = torch.nn.GRU(m, n, dtype=torch.float64)
    with torch.no_grad():  # torch orders the parts r, z, n and writes h = (1 - z) n + z h
        net.weight_ih_l0.copy_(torch.tensor(np.concatenate([params.W_xr, params.W_xz, params.W_xh])))
        net.weight_hh_l0.copy_(torch.tensor(np.concatenate([params.W_hr, params.W_hz, params.W_hh])))
        net.bias_ih_l0.copy_(torch.tensor(np.concatenate([params.b_r, params.b_z, params.b_h])))
        net.bias_hh_l0.zero_()
        theirs = net(torch.tensor(X))[0].numpy()
    ours = gru.forward(params, X).h[1:]
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)  # h_0 = 0: r_1 has nothing to act on
    assert np.max(np.abs(ours - theirs)) > 1e-3  # from step 2 on, where the reset gate acts, they differ
    with torch.no_grad():  # zero reset-gate weights and bias +60: r = 1, and the placement no longer matters
        net.weight_hh_l0[:n].zero_()
        net.weight_ih_l0[:n].zero_()
        net.bias_ih_l0[:n].fill_(60.0)
        theirs = net(torch.tensor(X))[0].numpy()
    p = dict(params.items())
    p.update(W_xr=0 * p["W_xr"], W_hr=0 * p["W_hr"], b_r=np.full(n, 60.0))
    np.testing.assert_allclose(gru.forward(gru.GRUParams(**p), X).h[1:], theirs, rtol=1e-12, atol=1e-14)


# --- parameters, vec and unvec -----------------------------------------------------


def test_vec_order_and_round_trip(rng):
    params = random_gru(rng, 2, 3, 4)
    v = gru.vec(params)
    assert v.shape == (gru.num_params(2, 3, 4),) == (3 * (3 * 2 + 3 * 3 + 3) + 4 * 3 + 4,)
    np.testing.assert_array_equal(v[:6], params.W_xz.reshape(-1))  # W_xz first, row by row
    np.testing.assert_array_equal(v[-4:], params.b_y)
    back = gru.unvec(v, 2, 3, 4)
    for (name, a), b in zip(params.items(), back):
        np.testing.assert_array_equal(a, b, err_msg=name)
    v[0] += 1.0
    assert back.W_xz[0, 0] != v[0]  # unvec copies


def test_init_params(rng):
    p = gru.init_params(3, 4, 2, rng=0)
    assert (p.m, p.n, p.k, p.dtype) == (3, 4, 2, np.float64)
    assert repr(p) == "GRUParams(m=3, n=4, k=2, dtype=float64)"
    for name in ("b_z", "b_r", "b_h", "b_y"):
        assert not getattr(p, name).any()
    assert np.max(np.abs(p.W_xz)) <= 1 / np.sqrt(3) and np.max(np.abs(p.W_hh)) <= 1 / np.sqrt(4)
    np.testing.assert_array_equal(gru.vec(p), gru.vec(gru.init_params(3, 4, 2, rng=0)))  # reproducible
    assert gru.init_params(3, 4, 2, rng=0, dtype=np.float32).dtype == np.float32


# --- float32 -----------------------------------------------------------------------


def test_float32_in_float32_out(rng):
    params, X, Y = problem(rng, 2, 3, 2, 3, 2)
    p32, X32, Y32 = params.astype(np.float32), X.astype(np.float32), Y.astype(np.float32)
    cache = gru.forward(p32, X32)
    for name in ("h", "z", "r", "h_tilde", "o", "y"):
        assert getattr(cache, name).dtype == np.float32, name
    C, grads = gru.loss_and_grad(p32, X32, Y32)
    assert all(a.dtype == np.float32 for a in grads)
    _, grads64 = gru.loss_and_grad(params, X, Y)
    np.testing.assert_allclose(gru.vec(grads), gru.vec(grads64), rtol=1e-3, atol=1e-5)
    signals = gru.backward(p32, cache, e=Y32)
    assert all(getattr(signals, a).dtype == np.float32 for a in ("e", "delta_h", "delta_z", "delta_r", "delta_h_tilde"))


# --- bad input ---------------------------------------------------------------------


def test_bad_parameters_are_refused_by_name(rng):
    p = dict(random_gru(rng, 2, 3, 2).items())
    with pytest.raises(ValueError, match=r"^W_hr: expected shape \(n, n\) = \(3, 3\)"):
        gru.GRUParams(**{**p, "W_hr": np.zeros((3, 2))})
    with pytest.raises(ValueError, match=r"^b_y: expected a 1-D array of shape \(k,\)"):
        gru.GRUParams(**{**p, "b_y": np.zeros((2, 1))})
    with pytest.raises(ValueError, match=r"^W_xh: expected shape \(n, m\)"):
        gru.GRUParams(**{**p, "W_xh": np.zeros((3, 3))})
    with pytest.raises(ValueError, match="^b_h: expected dtype float64"):
        gru.GRUParams(**{**p, "b_h": np.zeros(3, np.float32)})
    with pytest.raises(TypeError, match="^W_xz: expected real numbers"):
        gru.GRUParams(**{**p, "W_xz": np.full((3, 2), "a")})
    nan = {**p, "W_hz": np.full((3, 3), np.nan)}
    with pytest.raises(ValueError, match=r"^params.W_hz: expected finite values"):
        gru.forward(gru.GRUParams(**nan), np.zeros((2, 2)))
    with pytest.raises(TypeError, match=r"^params: expected rnnlib.gated.gru.GRUParams, got Params"):
        gru.forward(rnnlib.init_params(2, 3, 2), np.zeros((2, 2)))


def test_bad_data_is_refused_by_name(rng):
    params, X, Y = problem(rng, 2, 3, 2, 3, 2)
    with pytest.raises(ValueError, match=r"^X: expected shape \(N, T, m\) with m = 2"):
        gru.forward(params, X[..., :1])
    with pytest.raises(ValueError, match="^X: expected shape"):
        gru.forward(params, X[0, 0])
    with pytest.raises(ValueError, match=r"^X: expected finite values, got nan at index \(1, 2, 0\)"):
        bad = X.copy()
        bad[1, 2, 0] = np.nan
        gru.forward(params, bad)
    with pytest.raises(TypeError, match="^X: expected real numbers"):
        gru.forward(params, X + 1j)
    with pytest.raises(ValueError, match=r"^Y: expected shape \(N, T, k\)"):
        gru.loss_and_grad(params, X, Y[:, :2])
    with pytest.raises(ValueError, match="^Y: expected finite values"):
        gru.loss_and_grad(params, X, np.full_like(Y, np.inf))
    with pytest.raises(ValueError, match=r"^h0: expected shape \(N, n\) = \(2, 3\)"):
        gru.forward(params, X, h0=np.zeros(3))
    with pytest.raises(ValueError, match="^g: expected one of"):
        gru.forward(params, X, g="relu")
    with pytest.raises(ValueError, match="^loss: 'cross_entropy' expects g='softmax'"):
        gru.loss_and_grad(params, X, Y, loss="cross_entropy", g="tanh")
    with pytest.raises(ValueError, match=r"^v: expected shape"):
        gru.unvec(np.zeros(5), 2, 3, 2)
    with pytest.raises(TypeError, match="^m: expected an integer"):
        gru.init_params(2.0, 3, 2)
    with pytest.raises(TypeError, match="^dtype: expected a floating dtype"):
        gru.init_params(2, 3, 2, dtype=np.int32)
    with pytest.raises(TypeError, match="^rng: expected a numpy Generator"):
        gru.init_params(2, 3, 2, rng="seed")


def test_bad_cache_and_signals_are_refused_by_name(rng):
    params, X, Y = problem(rng, 2, 3, 2, 3, 2)
    cache = gru.forward(params, X)
    with pytest.raises(TypeError, match="^cache: expected the GRUCache"):
        gru.backward(params, rnnlib.forward(rnnlib.init_params(2, 3, 2), X), Y)
    with pytest.raises(ValueError, match=r"^cache: expected a forward pass of params with \(m, n, k\) = \(2, 4, 2\)"):
        gru.backward(random_gru(rng, 2, 4, 2), cache, Y)
    with pytest.raises(ValueError, match="^dC_dy, e: expected exactly one of them, got both"):
        gru.backward(params, cache, Y, e=Y)
    with pytest.raises(ValueError, match=r"^e: expected shape \(N, T, k\) = \(2, 3, 2\) like y"):
        gru.backward(params, cache, e=Y[0])
    rnn = rnnlib.init_params(2, 3, 2)
    with pytest.raises(TypeError, match="^signals: expected the GRUSignals"):
        gru.gradients(cache, rnnlib.backward(rnn, rnnlib.forward(rnn, X), Y))
    with pytest.raises(TypeError, match="^cache: expected the GRUCache"):
        gru.cost(rnnlib.forward(rnnlib.init_params(2, 3, 2), X), Y)


# --- the bug gallery ---------------------------------------------------------------


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("name", list(broken.GRU_VARIANTS))
def test_each_gru_bug_fails_the_check(name, loss, rng):
    params, X, Y = problem(rng, 3, 4, 2, 3, 2, loss=loss)
    assert grad_check(params, X, Y, loss=loss) < 1e-7
    assert grad_check(params, X, Y, loss=loss, grad_fn=broken.GRU_VARIANTS[name]) > 1e-2, name


def test_the_gallery_differs_from_the_library_only_in_its_switches(rng):
    """With every switch off, the gallery's routine is rnnlib.gated.gru.loss_and_grad, and each bug leaves the cost alone."""
    params, X, Y = problem(rng, 3, 4, 2, 3, 2)
    C, good = gru.loss_and_grad(params, X, Y)
    C0, same = broken._gru_loss_and_grad_variant(params, X, Y, loss="mse", g="softmax")
    assert C0 == C
    np.testing.assert_allclose(gru.vec(same), gru.vec(good), rtol=1e-13, atol=1e-16)
    for fn in broken.GRU_VARIANTS.values():
        assert fn(params, X, Y)[0] == C


def test_where_each_gru_bug_shows(rng):
    """Every bug is in the recursion, so every recurrent-part gradient is wrong, and the output layer is right."""
    params, X, Y = problem(rng, 3, 4, 2, 3, 2)
    _, good = gru.loss_and_grad(params, X, Y)
    for name, fn in broken.GRU_VARIANTS.items():
        _, bad = fn(params, X, Y)
        wrong = {p for (p, a), b in zip(good.items(), bad) if not np.allclose(a, b, rtol=1e-12, atol=1e-15)}
        assert wrong == set(gru.NAMES) - {"W_hy", "b_y"}, name


def test_one_step_hides_the_missing_direct_path(rng):
    """With T = 1 nothing flows back into h_0, so only a longer sequence exposes the dropped path."""
    params, X, Y = problem(rng, 2, 1, 2, 3, 2)
    assert grad_check(params, X, Y, grad_fn=broken.gru_no_direct_path) < 1e-7


# --- the figure ----------------------------------------------------------------------


def test_draw_gru_cell():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rnnlib import plots

    fig, ax = plt.subplots()
    try:
        assert plots.draw_gru_cell(ax) is ax
        labels = [t.get_text() for t in ax.texts]
        for symbol in (r"$\mathbf{h}_{t-1}$", r"$\mathbf{h}_t$", r"$\mathbf{z}_t$", r"$\mathbf{r}_t$",
                       r"$\tilde{\mathbf{h}}_t$", r"$W_{hh}$", r"$\tanh$", r"$1-$"):
            assert symbol in labels, symbol
        assert labels.count(r"$\sigma$") == 2 and labels.count(r"$\odot$") == 3  # two gates, three products
    finally:
        plt.close(fig)


# --- the interface shared with rnnlib.gated.lstm: output_layer, readout, loss_grad_and_state, delta_h0 ---


@pytest.mark.parametrize("g, loss", COMBOS)
def test_output_layer_is_the_rnns_view_of_the_cache(g, loss, rng):
    params, X, Y = problem(rng, 2, 4, 3, 3, 2, loss=loss)
    cache = gru.forward(params, X, g=g)
    out = cache.output_layer()
    assert rnnlib.cost(out, Y, loss=loss) == gru.cost(cache, Y, loss=loss)
    e = rnnlib.output_error(out, Y, loss=loss)
    C, grads = gru.loss_and_grad(params, X, Y, loss=loss, g=g)
    np.testing.assert_allclose(gru.vec(gru.gradients(cache, gru.backward(params, cache, e=e))), gru.vec(grads),
                               rtol=1e-13, atol=1e-15)
    # the check can fail: another cache's output layer gives another cost
    assert rnnlib.cost(gru.forward(params, X[::-1], g=g).output_layer(), Y, loss=loss) != C


def test_readout_gives_each_steps_cost_from_its_state(rng):
    params, X, Y = problem(rng, 2, 5, 3, 4, 2)
    cache = gru.forward(params, X, g="tanh")
    per_step = rnnlib.per_step_cost(cache.output_layer(), Y)
    whole = gru.readout(params, cache.h[:, 1:], g="tanh")
    np.testing.assert_array_equal(whole.o, cache.o)
    for t in range(1, 6):
        C_t = rnnlib.cost(gru.readout(params, cache.h[1, t][None], g="tanh"), Y[1, t - 1 : t])
        assert np.isclose(C_t, per_step[1, t - 1], rtol=1e-14, atol=0)
        wrong = rnnlib.cost(gru.readout(params, cache.h[1, t - 1][None], g="tanh"), Y[1, t - 1 : t])
        assert not np.isclose(wrong, per_step[1, t - 1], rtol=1e-6)  # the check can fail


def test_loss_grad_and_state_carries_the_state_over_chunks(rng):
    params, X, Y = problem(rng, 2, 6, 3, 4, 2)
    C, grads, h_T = gru.loss_grad_and_state(params, X, Y, g="identity")
    C_ref, grads_ref = gru.loss_and_grad(params, X, Y, g="identity")
    assert C == C_ref and np.array_equal(gru.vec(grads), gru.vec(grads_ref))
    np.testing.assert_array_equal(h_T, gru.forward(params, X, g="identity").h[:, -1])
    C_1, _, h_4 = gru.loss_grad_and_state(params, X[:, :4], Y[:, :4], g="identity")
    C_2, _, h_6 = gru.loss_grad_and_state(params, X[:, 4:], Y[:, 4:], g="identity", h0=h_4)
    assert np.isclose(C_1 + C_2, C, rtol=1e-14)
    np.testing.assert_allclose(h_6, h_T, rtol=1e-14, atol=1e-15)
    # the check can fail: the second chunk started from 0 instead of h_4 costs something else
    C_2_cold = gru.loss_grad_and_state(params, X[:, 4:], Y[:, 4:], g="identity")[0]
    assert not np.isclose(C_1 + C_2_cold, C, rtol=1e-6)
    h_T[...] = 7.0  # a copy, not a view of anything the library keeps
    assert not np.any(gru.loss_grad_and_state(params, X, Y, g="identity")[2] == 7.0)


def test_delta_h0_is_dC_dh0(rng):
    params, X, Y = problem(rng, 1, 4, 2, 3, 2, batched=False)
    h0 = 0.5 * rng.normal(size=3)
    signals = gru.backward(params, gru.forward(params, X, h0=h0), e=rng.normal(size=(4, 2)))
    np.testing.assert_array_equal(signals.delta_h0, signals.delta_h[0])
    cache = gru.forward(params, X, h0=h0)
    signals = gru.backward(params, cache, gru_dC_dy(cache, Y))
    numeric = rnnlib.numerical_derivative(lambda v: gru.cost(gru.forward(params, X, h0=v), Y), h0)
    np.testing.assert_allclose(signals.delta_h0, numeric, rtol=1e-8, atol=1e-11)
    assert not np.allclose(signals.delta_h[1], numeric, rtol=1e-3)  # the check can fail: row 1 is step 1
    batch = gru.backward(params, gru.forward(params, X[None], h0=h0[None]), gru_dC_dy(cache, Y)[None])
    assert batch.delta_h0.shape == (1, 3)


def test_readout_and_loss_grad_and_state_refuse_bad_input_by_name(rng):
    params, X, Y = problem(rng, 2, 3, 3, 4, 2)
    with pytest.raises(ValueError, match=r"^H: expected shape"):
        gru.readout(params, np.zeros((3, 5)))
    with pytest.raises(ValueError, match="^H: .*finite"):
        gru.readout(params, np.full((2, 3, 4), np.inf))
    with pytest.raises(ValueError, match="^g: "):
        gru.readout(params, np.zeros((3, 4)), g="relu")
    with pytest.raises(ValueError, match="^h0: "):
        gru.loss_grad_and_state(params, X, Y, h0=np.zeros(4))
    with pytest.raises(ValueError, match="^Y: "):
        gru.loss_grad_and_state(params, X, Y[:, :2])
