"""The workbook's checker: solutions pass, learners' mistakes are named, bad answers reported.

The buggy functions below are written the way a learner writes them, each
on its own, not with the switches of rnnlib.workbook.variants that the
checker compares against.
"""

import dataclasses
import importlib.util
import pathlib

import json

import numpy as np
import pytest

try:
    import nbformat
except ImportError:  # under Pyodide (tools/pyodide_tests.mjs) the checker is tested, the notebook tools are not
    nbformat = None
needs_nbformat = pytest.mark.skipif(nbformat is None, reason="nbformat is not installed")

import rnnlib
from rnnlib.activations import hidden_activation, output_activation
from rnnlib.workbook import EXERCISES, MISTAKES, Mistake, check, variants

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLVED = sorted((ROOT / "book" / "workbook_solved").glob("*.ipynb"))


def solved_functions():
    """The functions defined by the solution cells of the solved notebooks."""
    namespace = {}
    for path in SOLVED:
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and ("# BEGIN SOLUTION" in source or cell["id"].endswith("-setup")):
                exec(source, namespace)
    return namespace


SOLUTIONS = solved_functions()


# --- solutions pass ----------------------------------------------------------------


def test_every_exercise_is_in_a_notebook():
    assert set(EXERCISES) == {name for name in SOLUTIONS if name in EXERCISES}


@pytest.mark.parametrize("name", list(EXERCISES))
def test_notebook_solution_passes(name):
    report = check(name, SOLUTIONS[name])
    assert report.passed and report.status == "passed" and report.mistake is None, report
    assert str(report).startswith(f"{name}: passed on all")


@pytest.mark.parametrize("name", list(EXERCISES))
def test_reference_variant_passes(name):
    assert check(name, getattr(variants, name)).passed


def test_problems_cover_edges_and_activations():
    for name, ex in EXERCISES.items():
        problems = ex.problems()
        for s in ("T", "n", "N"):
            if s in ex.keys:
                assert any(p.sizes[s] == 1 for p in problems), (name, s)
        if "f" in ex.keys:
            assert {p.f for p in problems} == {"tanh", "sigmoid", "relu", "identity"}, name
        if "g" in ex.keys:
            assert {p.g for p in problems} == {"softmax", "identity", "sigmoid", "tanh"}, name
        if "loss" in ex.keys:
            assert {p.loss for p in problems} == {"mse", "cross_entropy"}, name


def test_every_mistake_is_catalogued_and_used():
    used = {key for ex in EXERCISES.values() for key in ex.mistakes}
    assert used == set(MISTAKES)
    for m in MISTAKES.values():
        assert m.description and m.hint


# --- a learner's code, right and wrong -------------------------------------------


def learner_forward(params, x, f="tanh", g="softmax", h0_value=0.0):
    W_xh, W_hh, W_hy, b_h, b_y = params
    T = x.shape[0]
    fa, ga = hidden_activation(f), output_activation(g)
    zs, hs, os_, ys = [], [np.full(params.n, h0_value)], [], []
    for t in range(T):
        z = W_hh @ hs[-1] + W_xh @ x[t] + b_h
        hs.append(fa(z))
        zs.append(z)
        os_.append(W_hy @ hs[-1] + b_y)
        ys.append(ga(os_[-1]))
    return np.array(zs), np.array(hs), np.array(os_), np.array(ys)


def forward_h_t_in_z(params, x, f="tanh", g="softmax"):
    W_xh, W_hh, W_hy, b_h, b_y = params
    T = len(x)
    z = np.zeros((T, params.n))
    h = np.zeros((T + 1, params.n))
    o = np.zeros((T, params.k))
    y = np.zeros((T, params.k))
    for t in range(T):
        z[t] = W_hh @ h[t + 1] + W_xh @ x[t] + b_h  # h[t + 1] is h_{t+1}: wrong one
        h[t + 1] = hidden_activation(f)(z[t])
        o[t] = W_hy @ h[t + 1] + b_y
        y[t] = output_activation(g)(o[t])
    return z, h, o, y


def forward_h0_ones(params, x, f="tanh", g="softmax"):
    return learner_forward(params, x, f, g, h0_value=1.0)


def forward_batch_carry(params, X, f="tanh", g="softmax"):
    W_xh, W_hh, W_hy, b_h, b_y = params
    N, T, _ = X.shape
    h_state = np.zeros(params.n)  # set once, outside the loop over sequences
    Z, H, O, Yo = [], [], [], []
    for i in range(N):
        z, h, o, y = [], [h_state], [], []
        for t in range(T):
            z.append(W_hh @ h[-1] + W_xh @ X[i, t] + b_h)
            h.append(hidden_activation(f)(z[-1]))
            o.append(W_hy @ h[-1] + b_y)
            y.append(output_activation(g)(o[-1]))
        h_state = h[-1]
        Z.append(z), H.append(h), O.append(o), Yo.append(y)
    return np.array(Z), np.array(H), np.array(O), np.array(Yo)


def learner_e(y, o, y_target, loss="mse", g="softmax", mode="right"):
    d = y - y_target if loss == "mse" else -y_target / y
    if mode == "flip":
        d = y_target - y if loss == "mse" else y_target / y
    if mode == "no_gprime":
        return d
    e = np.zeros_like(y)
    for t in range(len(y)):
        if g == "softmax" and mode != "diag":
            J = np.diag(y[t]) - np.outer(y[t], y[t])
            e[t] = J.T @ d[t]
        elif g == "softmax":
            e[t] = d[t] * y[t] * (1 - y[t])  # the notes' element-wise formula
        else:
            e[t] = d[t] * output_activation(g).deriv(o[t])
    return e


def learner_delta(params, z, e, f="tanh", mode="right"):
    W_hh, W_hy = params.W_hh, params.W_hy
    T, n = z.shape
    if mode == "one_minus_z2":
        fp = {"tanh": 1 - z**2, "sigmoid": z * (1 - z), "relu": (z > 0) * 1.0, "identity": np.ones_like(z)}[f]
    else:
        fp = hidden_activation(f).deriv(z)
    delta = np.zeros((T + 1, n))  # a spare row for delta_{T+1} = 0
    if mode == "forward":
        prev = np.zeros(n)
        for t in range(T):
            delta[t] = (W_hy.T @ e[t] + W_hh.T @ prev) * fp[t]
            prev = delta[t]
        return delta[:T]
    start = T - 2 if mode == "late" else T - 1
    for t in range(start, -1, -1):
        if mode == "no_future":
            delta[t] = W_hy.T @ e[t] * fp[t]
        elif mode == "no_transpose":
            delta[t] = (W_hy.T @ e[t] + W_hh @ delta[t + 1]) * fp[t]
        else:
            delta[t] = (W_hy.T @ e[t] + W_hh.T @ delta[t + 1]) * fp[t]
    return delta[:T]


def learner_gradients(x, h, e, delta, mode="right"):
    T = len(x)
    dW_xh = np.zeros((delta.shape[1], x.shape[1]))
    dW_hh = np.zeros((delta.shape[1], delta.shape[1]))
    dW_hy = np.zeros((e.shape[1], delta.shape[1]))
    db_h, db_y = np.zeros(delta.shape[1]), np.zeros(e.shape[1])
    steps = {"skip_first": range(1, T), "skip_last": range(T - 1)}.get(mode, range(T))
    for t in steps:  # row t: time t + 1
        h_prev, h_now = h[t], h[t + 1]
        if mode == "overwrite":
            dW_xh = np.outer(delta[t], x[t])
            dW_hh = np.outer(delta[t], h_prev)
            dW_hy = np.outer(e[t], h_now)
            db_h = delta[t].copy()
            db_y = e[t].copy()
            continue
        dW_xh += np.outer(delta[t], x[t])
        if mode == "h_t":
            dW_hh += np.outer(delta[t], h_now)
        elif mode == "reversed":
            dW_hh += np.outer(h_prev, delta[t])
        else:
            dW_hh += np.outer(delta[t], h_prev)
        dW_hy += np.outer(e[t], h_prev if mode == "h_prev_hy" else h_now)
        db_h += delta[t]
        db_y += e[t]
    return rnnlib.Params(dW_xh, dW_hh, dW_hy, db_h, db_y)


def learner_bptt(params, x, y_target, f="tanh", g="softmax", loss="mse", fwd=None, e_mode="right", d_mode="right",
                 g_mode="right"):
    z, h, o, y = (fwd or learner_forward)(params, x, f, g)
    e = learner_e(y, o, y_target, loss, g, e_mode)
    delta = learner_delta(params, z, e, f, d_mode)
    return learner_gradients(x, h, e, delta, g_mode)


def batch_sum(params, X, Y, f="tanh", g="softmax", loss="mse"):
    grads = [learner_bptt(params, x, y, f, g, loss) for x, y in zip(X, Y)]
    return rnnlib.Params(*(sum(parts) for parts in zip(*grads)))  # no 1/N


def batch_carry(params, X, Y, f="tanh", g="softmax", loss="mse"):
    total = [0, 0, 0, 0, 0]
    h_state = np.zeros(params.n)
    for x, y_target in zip(X, Y):
        def fwd(p, x, f, g, h_state=h_state):  # starts from the carried state
            W_xh, W_hh, W_hy, b_h, b_y = p
            h = [h_state]
            z, o, y = [], [], []
            for t in range(len(x)):
                z.append(W_hh @ h[-1] + W_xh @ x[t] + b_h)
                h.append(hidden_activation(f)(z[-1]))
                o.append(W_hy @ h[-1] + b_y)
                y.append(output_activation(g)(o[-1]))
            return np.array(z), np.array(h), np.array(o), np.array(y)

        grad = learner_bptt(params, x, y_target, f, g, loss, fwd=fwd)
        h_state = fwd(params, x, f, g)[1][-1]
        total = [a + b for a, b in zip(total, grad)]
    return rnnlib.Params(*(a / len(X) for a in total))


def vec_columns(params):
    return np.concatenate([a.T.flatten() for a in params])  # .T reads columns


def unvec_columns(v, m, n, k):
    out, i = [], 0
    for r, c in ((n, m), (n, n), (k, n)):
        out.append(v[i : i + r * c].reshape(c, r).T)
        i += r * c
    return rnnlib.Params(*out, v[i : i + n], v[i + n : i + n + k])


def gd_ascent(params, grads, lr):
    return rnnlib.Params(*(p + lr * d for p, d in zip(params, grads)))


def train_step_ascent(params, X, Y, lr, f="tanh", g="softmax", loss="mse"):
    C = rnnlib.cost(rnnlib.forward(params, X, f=f, g=g), Y, loss=loss)
    _, grads = rnnlib.loss_and_grad(params, X, Y, loss=loss, f=f, g=g)
    return C, gd_ascent(params, grads, lr)


def train_step_sum(params, X, Y, lr, f="tanh", g="softmax", loss="mse"):
    C = rnnlib.cost(rnnlib.forward(params, X, f=f, g=g), Y, loss=loss)
    grads = batch_sum(params, X, Y, f, g, loss)
    return C, rnnlib.Params(*(p - lr * d for p, d in zip(params, grads)))


def _bptt(**kw):
    return lambda params, x, Y, f="tanh", g="softmax", loss="mse": learner_bptt(params, x, Y, f, g, loss, **kw)


LEARNERS_MISTAKES = [
    ("forward", forward_h_t_in_z, "h_t_in_z"),
    ("forward", forward_h0_ones, "h0_not_zero"),
    ("forward_batch", forward_batch_carry, "h0_carried_over"),
    ("output_error", lambda *a: learner_e(*a, mode="no_gprime"), "e_without_g_prime"),
    ("output_error", lambda *a: learner_e(*a, mode="flip"), "e_sign_flipped"),
    ("output_error", lambda *a: learner_e(*a, mode="diag"), "elementwise_softmax"),
    ("delta_recursion", lambda *a: learner_delta(*a, mode="no_future"), "no_future_term"),
    ("delta_recursion", lambda *a: learner_delta(*a, mode="one_minus_z2"), "fprime_of_z_as_h"),
    ("delta_recursion", lambda *a: learner_delta(*a, mode="no_transpose"), "W_hh_not_transposed"),
    ("delta_recursion", lambda *a: learner_delta(*a, mode="late"), "recursion_starts_late"),
    ("delta_recursion", lambda *a: learner_delta(*a, mode="forward"), "recursion_runs_forward"),
    ("gradients", lambda *a: learner_gradients(*a, mode="h_t"), "h_t_for_h_prev"),
    ("gradients", lambda *a: learner_gradients(*a, mode="h_prev_hy"), "h_prev_for_h_t"),
    ("gradients", lambda *a: learner_gradients(*a, mode="reversed"), "outer_product_reversed"),
    ("gradients", lambda *a: learner_gradients(*a, mode="overwrite"), "gradient_overwritten"),
    ("gradients", lambda *a: learner_gradients(*a, mode="skip_first"), "sum_misses_first_step"),
    ("gradients", lambda *a: learner_gradients(*a, mode="skip_last"), "sum_misses_last_step"),
    ("bptt", _bptt(fwd=forward_h_t_in_z), "h_t_in_z"),
    ("bptt", _bptt(e_mode="diag"), "elementwise_softmax"),
    ("bptt", _bptt(e_mode="no_gprime"), "e_without_g_prime"),
    ("bptt", _bptt(d_mode="no_future"), "no_future_term"),
    ("bptt", _bptt(d_mode="one_minus_z2"), "fprime_of_z_as_h"),
    ("bptt", _bptt(d_mode="late"), "recursion_starts_late"),
    ("bptt", _bptt(g_mode="h_t"), "h_t_for_h_prev"),
    ("bptt", _bptt(g_mode="overwrite"), "gradient_overwritten"),
    ("bptt", _bptt(g_mode="skip_last"), "sum_misses_last_step"),
    ("batch_gradient", batch_sum, "no_batch_average"),
    ("batch_gradient", batch_carry, "h0_carried_over"),
    ("vec", vec_columns, "vec_column_order"),
    ("unvec", unvec_columns, "vec_column_order"),
    ("gd_update", gd_ascent, "update_sign_flipped"),
    ("train_step", train_step_ascent, "update_sign_flipped"),
    ("train_step", train_step_sum, "no_batch_average"),
]


def test_every_mistake_has_a_learner_version():
    assert {key for _, _, key in LEARNERS_MISTAKES} == set(MISTAKES)


@pytest.mark.parametrize("name, fn, key", LEARNERS_MISTAKES, ids=[f"{n}-{k}" for n, _, k in LEARNERS_MISTAKES])
def test_learner_mistake_is_named(name, fn, key):
    report = check(name, fn)
    assert not report.passed and report.status == "wrong"
    assert report.mistake == key and report.candidates == (key,), report
    assert f"catalogued mistake '{key}'" in report.message and MISTAKES[key].hint in report.message
    assert "first differs on problem" in report.message


def test_learner_right_versions_pass():
    assert check("forward", learner_forward).passed
    assert check("output_error", learner_e).passed
    assert check("delta_recursion", learner_delta).passed
    assert check("gradients", learner_gradients).passed
    assert check("bptt", learner_bptt).passed


def test_first_difference_names_output_time_and_index():
    report = check("forward", forward_h0_ones)
    assert "h first differs" in report.message and "t = 0, h[0, 0]" in report.message, report
    report = check("delta_recursion", lambda *a: learner_delta(*a, mode="late"))
    assert "delta first differs" in report.message and "t = 5, delta[4, 0]" in report.message, report
    report = check("vec", vec_columns)
    assert "the place of W_xh[0, 1]" in report.message, report


# --- wrong answers that match no catalogued mistake ------------------------------


def forward_no_bias(params, x, f="tanh", g="softmax"):
    p = rnnlib.Params(params.W_xh, params.W_hh, params.W_hy, 0 * params.b_h, params.b_y)
    return learner_forward(p, x, f, g)


WRONG_UNNAMED = [
    ("forward", forward_no_bias, "z"),
    ("gradients", lambda *a: learner_gradients(*a).map(lambda g: 1.5 * g), "W_xh"),
    ("delta_recursion", lambda *a: learner_delta(*a, mode="no_future") * 0.5 + learner_delta(*a) * 0.5, "delta"),
    # two mistakes at once are no single catalogued mistake
    ("bptt", _bptt(e_mode="diag", g_mode="h_t"), "W_xh"),
    ("gd_update", lambda p, d, lr: rnnlib.Params(*(a - d_ for a, d_ in zip(p, d))), "W_xh"),
]


@pytest.mark.parametrize("name, fn, output", WRONG_UNNAMED, ids=[w[0] for w in WRONG_UNNAMED])
def test_unknown_mistake_named_none(name, fn, output):
    report = check(name, fn)
    assert report.status == "wrong" and report.mistake is None and report.candidates == (), report
    assert f"{output} first differs" in report.message
    assert "matches none of the catalogued mistakes" in report.message
    assert EXERCISES[name].hints[output] in report.message


def test_float32_is_reported_as_a_small_difference():
    report = check("vec", lambda params: np.concatenate([a.ravel() for a in params]).astype(np.float32))
    assert report.status == "wrong" and report.mistake is None
    assert "agree to about five digits" in report.message


def test_several_matching_mistakes_are_all_named(monkeypatch):
    ex = EXERCISES["delta_recursion"]
    twin = Mistake("twin_of_no_future_term", "the same as no_future_term", "look at the future term")

    def variant(p, bug):
        return ex.variant(p, "no_future_term" if bug == twin.key else bug)

    monkeypatch.setitem(MISTAKES, twin.key, twin)
    monkeypatch.setitem(
        EXERCISES, "delta_recursion", dataclasses.replace(ex, mistakes=ex.mistakes + (twin.key,), variant=variant)
    )
    report = check("delta_recursion", lambda *a: learner_delta(*a, mode="no_future"))
    assert report.mistake is None and report.candidates == ("no_future_term", twin.key)
    assert "match several catalogued mistakes" in report.message


# --- answers that cannot be compared ---------------------------------------------


def test_not_implemented():
    def stub(params, h_prev, x_t, f="tanh", g="softmax"):
        # your code here
        raise NotImplementedError

    report = check("forward_step", stub)
    assert report.status == "not implemented" and not report.passed
    assert str(report) == repr(report) and "not implemented yet" in str(report)


def test_exception_is_reported_with_line_and_shapes():
    def crashing(params, x, f="tanh", g="softmax"):
        W_xh, W_hh, W_hy, b_h, b_y = params
        return W_xh @ W_hy  # shapes do not fit

    report = check("forward", crashing)
    assert report.status == "error" and not report.passed
    assert "raised ValueError" in report.message and "return W_xh @ W_hy" in report.message
    assert "Expected outputs: z (5, 4), h (6, 4), o (5, 2), y (5, 2)" in report.message
    assert "transpose" in report.message


def test_none_is_reported():
    report = check("vec", lambda params: None)
    assert report.status == "wrong" and "returned None" in report.message
    assert "Expected outputs: v (42,)" in report.message


def test_wrong_shape_is_reported():
    def no_h0_row(params, x, f="tanh", g="softmax"):
        z, h, o, y = learner_forward(params, x, f, g)
        return z, h[1:], o, y

    report = check("forward", no_h0_row)
    assert report.status == "wrong" and report.mistake is None
    assert "h: expected shape (T+1, n) = (6, 4), received (5, 4)" in report.message
    assert "T + 1 rows" in report.message


def test_transposed_shape_is_reported_as_reversed_outer_product():
    def reversed_all(x, h, e, delta):
        g = learner_gradients(x, h, e, delta)
        return g.W_xh.T, g.W_hh.T, g.W_hy.T, g.b_h, g.b_y

    report = check("gradients", reversed_all)
    assert report.mistake == "outer_product_reversed"
    assert "W_xh: expected shape (n, m) = (4, 3), received (3, 4)" in report.message


def test_wrong_type_and_length_are_reported():
    assert "expected a tuple of 4" in check("forward", lambda *a: learner_forward(*a)[:3]).message
    assert "received str" in check("vec", lambda params: "v").message
    assert "expected rnnlib.Params" in check("gd_update", lambda p, d, lr: 3.0).message
    report = check("forward", "not a function")
    assert report.status == "error" and "expected a function" in report.message


def test_nan_is_reported():
    def nan_delta(params, z, e, f="tanh"):
        delta = np.empty_like(z)
        delta[:] = np.nan
        return delta

    report = check("delta_recursion", nan_delta)
    assert report.status == "wrong" and "delta contains NaN" in report.message and "t = 1" in report.message


def test_changed_input_is_reported():
    def in_place(params, grads, lr):
        for p, d in zip(params, grads):
            p -= lr * d
        return params

    report = check("gd_update", in_place)
    assert report.status == "error" and "changed its argument params.W_xh in place" in report.message


def test_unknown_exercise_raises():
    with pytest.raises(ValueError, match="name: expected one of 'forward_step'"):
        check("nope", lambda: None)


# --- the learner's copy ------------------------------------------------------------


def _make_workbook():
    spec = importlib.util.spec_from_file_location("make_workbook", ROOT / "tools" / "make_workbook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_nbformat
def test_learner_copies_are_up_to_date():
    assert _make_workbook().main(["--check"]) == 0


@needs_nbformat
def test_stale_learner_copy_is_detected(tmp_path, monkeypatch):
    mw = _make_workbook()
    source = nbformat.read(SOLVED[0], as_version=4)
    source.cells[0].source += "\n\nOne more sentence."
    nbformat.write(source, tmp_path / SOLVED[0].name)
    monkeypatch.setattr(mw, "SOURCES", tmp_path)
    assert mw.main(["--check"]) == 1


def test_exercise_docs_give_signature_shapes_and_equations():
    for name, ex in EXERCISES.items():
        doc = ex.doc
        assert doc.startswith(f"{name}(") and "Parameters" in doc and "Returns" in doc and "Notes" in doc
        assert all(f"{o.name} : ndarray of shape (" in doc or not o.shape for o in ex.outputs)
    assert "z_t = W_hh h_{t-1} + W_xh x_t + b_h" in EXERCISES["forward"].doc


@needs_nbformat
def test_strip_solution_keeps_indentation_and_round_trips():
    mw = _make_workbook()
    source = "def f(x):\n    y = 1\n    # BEGIN SOLUTION\n    return x + y\n    # END SOLUTION"
    learner, solved = mw.strip_solution(source)
    assert learner == "def f(x):\n    y = 1\n    # your code here\n    raise NotImplementedError"
    assert solved == "def f(x):\n    y = 1\n    return x + y"
    with pytest.raises(ValueError):
        mw.strip_solution("# BEGIN SOLUTION\nx = 1")


@needs_nbformat
def test_learner_copy_stores_not_implemented_reports():
    for path in SOLVED:
        learner = nbformat.read(ROOT / "book" / path.name, as_version=4)
        checks = [c for c in learner.cells if c.cell_type == "code" and c.source.startswith("check(")]
        assert checks
        for cell in checks:
            text = cell.outputs[0]["data"]["text/plain"]
            assert "not implemented yet" in text, text
        for cell in learner.cells:
            assert all(o.output_type != "error" for o in cell.get("outputs", []))
            assert "BEGIN SOLUTION" not in cell.source
