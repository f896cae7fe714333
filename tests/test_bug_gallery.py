"""The gradient check can fail: each classic BPTT mistake is caught."""

import numpy as np
import pytest
from conftest import make_problem

import rnnlib
from rnnlib import broken

CAUGHT = 1e-2  # each bug gives a relative error at least this large; a correct BPTT stays below 1e-7


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("name", list(broken.VARIANTS))
def test_each_bug_fails_the_check(name, loss, rng):
    params, X, Y = make_problem(rng, 3, 5, 2, 4, 3, loss=loss)
    assert rnnlib.check_gradient(params, X, Y, loss=loss).max_rel_error < 1e-7
    result = rnnlib.check_gradient(params, X, Y, loss=loss, grad_fn=broken.VARIANTS[name])
    assert result.max_rel_error > CAUGHT, (name, result)


def test_the_bugs_leave_the_cost_alone(rng):
    """Only the gradient is wrong: the cost each variant returns is the true cost."""
    params, X, Y = make_problem(rng, 2, 4, 2, 3, 3)
    C, _ = rnnlib.loss_and_grad(params, X, Y)
    for fn in broken.VARIANTS.values():
        assert fn(params, X, Y)[0] == C


def test_where_each_bug_shows(rng):
    """Each mistake corrupts the gradients it should, and only those."""
    params, X, Y = make_problem(rng, 3, 5, 2, 4, 3)
    _, good = rnnlib.loss_and_grad(params, X, Y)

    def wrong(name):
        _, bad = broken.VARIANTS[name](params, X, Y)
        return {n for (n, a), b in zip(good.items(), bad) if not np.allclose(a, b, rtol=1e-12, atol=1e-15)}

    assert wrong("h_t_for_h_prev") == {"W_hh"}
    assert wrong("no_future_term") == {"W_xh", "W_hh", "b_h"}  # the output layer does not see delta
    assert wrong("elementwise_softmax") == {"W_xh", "W_hh", "W_hy", "b_h", "b_y"}
    assert wrong("clipped") == {"W_xh", "W_hh", "W_hy", "b_h", "b_y"}
    assert wrong("no_batch_average") == {"W_xh", "W_hh", "W_hy", "b_h", "b_y"}


def test_elementwise_softmax_is_right_for_elementwise_g(rng):
    """The notes' formula e_t = dC/dy_t * g'(o_t) is correct whenever g acts element by element."""
    params, X, Y = make_problem(rng, 2, 4, 2, 3, 3, g="sigmoid")
    assert rnnlib.check_gradient(params, X, Y, g="sigmoid", grad_fn=broken.elementwise_softmax).max_rel_error < 1e-7


def test_single_sequence_hides_the_missing_average(rng):
    """With N = 1 the sum and the average coincide, so only a batch can expose that bug."""
    params, X, Y = make_problem(rng, 1, 4, 2, 3, 2)
    assert rnnlib.check_gradient(params, X, Y, grad_fn=broken.no_batch_average).max_rel_error < 1e-7
