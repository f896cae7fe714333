"""What the three networks share: one base for their parameter classes, one input check, one cache layout."""

import dataclasses
import pickle
import re

import numpy as np
import pytest

import rnnlib
from rnnlib.gated import gru, lstm
from rnnlib._checks import check_any_params, check_params
from rnnlib.params import _ParamSet

KINDS = {
    "rnn": (rnnlib.Params, rnnlib.init_params, rnnlib.params, "W_xh", "rnnlib.Params"),
    "lstm": (lstm.LSTMParams, lstm.init_params, lstm, "W_xf", "rnnlib.gated.lstm.LSTMParams"),
    "gru": (gru.GRUParams, gru.init_params, gru, "W_xz", "rnnlib.gated.gru.GRUParams"),
}
CHECKS = {"rnn": check_params, "lstm": lstm._check_params, "gru": gru.check_gru_params}


@pytest.mark.parametrize("kind", KINDS)
def test_each_check_accepts_its_own_class_only(kind):
    cls, init, _, _, public = KINDS[kind]
    for other, (other_cls, other_init, *_rest) in KINDS.items():
        p = other_init(3, 4, 2, rng=0)
        assert check_any_params(p) is p
        if other == kind:
            assert CHECKS[kind](p) is p
        else:
            assert not isinstance(p, cls)
            message = f"params: expected {public}, got {other_cls.__name__}"
            with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
                CHECKS[kind](p)
            with pytest.raises(TypeError, match=re.escape(f"others: expected {public}, got {other_cls.__name__}")):
                init(3, 4, 2, rng=0).map(np.add, p)
    with pytest.raises(TypeError, match=re.escape(f"params: expected {public}, got the class {cls.__name__}")):
        CHECKS[kind](cls)


@pytest.mark.parametrize("kind", KINDS)
def test_messages_name_the_class_and_its_first_array(kind):
    cls, init, module, first, _ = KINDS[kind]
    p = init(3, 4, 2, rng=0)
    arrays = dict(p.items())
    with pytest.raises(ValueError) as err:
        cls(**{**arrays, "W_hy": arrays["W_hy"][:, :-1]})
    assert str(err.value) == (
        f"W_hy: expected shape (k, n) = (2, 4) (n = 4 and m = 3 from {first}, k = 2 from W_hy), got (2, 3)"
    )
    # the number of axes is checked for every array before any shape
    with pytest.raises(ValueError, match=r"^b_y: expected a 1-D array of shape \(k,\), got shape \(2, 1\)$"):
        cls(**{**arrays, "W_hy": arrays["W_hy"][:, :-1], "b_y": arrays["b_y"][:, None]})
    with pytest.raises(ValueError, match=re.escape(f"{first}, W_hy: expected m, n, k >= 1, got m = 0, n = 4, k = 2")):
        cls(**{name: a[:, :0] if a.shape[1:] == (3,) else a for name, a in arrays.items()})
    with pytest.raises(ValueError, match=re.escape(f"others: expected {cls.__name__} with (m, n, k) = (3, 4, 2), got")):
        p.map(np.add, init(3, 5, 2, rng=0))
    assert repr(p) == f"{cls.__name__}(m=3, n=4, k=2, dtype=float64)"
    with pytest.raises(ValueError, match=r"^v: expected shape \(.*\) = \(\d+,\) for m = 3, n = 4, k = 2, got \(7,\)$"):
        module.unvec(np.zeros(7), 3, 4, 2)


@pytest.mark.parametrize("kind", KINDS)
def test_trusted_pickled_and_unvec_give_the_same_object(kind):
    cls, init, module, _, _ = KINDS[kind]
    p = init(3, 4, 2, rng=1)
    names = [f.name for f in dataclasses.fields(cls)]
    assert [name for name, _ in p.items()] == names
    copies = (cls._trusted(*p), cls._trusted(**dict(p.items())), pickle.loads(pickle.dumps(p)))
    for q in (*copies, module.unvec(module.vec(p), 3, 4, 2)):
        assert type(q) is cls and (q.m, q.n, q.k, q.dtype) == (3, 4, 2, np.float64)
        assert all(np.array_equal(a, b) for a, b in zip(q, p))
    assert all(a is b for a, b in zip(cls._trusted(*p), p))  # no copies
    assert all(a is not b for a, b in zip(module.unvec(module.vec(p), 3, 4, 2), p))  # copies
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.b_y = np.zeros(2)


def test_a_subclass_must_give_every_field_a_known_shape():
    with pytest.raises(TypeError, match="_shapes must give each field in _names one of the shapes"):

        class Bad(_ParamSet):  # noqa: F841
            _names = ("W_xa", "W_hy", "b_y")
            _shapes = {"W_xa": "(n, m)", "W_hy": "(k, n)", "b_y": "(m,)"}


@pytest.mark.parametrize("module, source", [(rnnlib, "W_xh"), (lstm, "W_xf"), (gru, "W_xz")])
def test_each_network_checks_its_input_with_the_shared_check_and_names_its_own_weight(module, source):
    """forward_pass.input_sequences serves all three: each message names where its m comes from."""
    params = module.init_params(3, 4, 2)
    with pytest.raises(ValueError, match=rf"X: expected shape \(T, m\) with m = 3 \(from params\.{source}\)"):
        module.forward(params, np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"X: expected finite values"):
        module.forward(params, np.full((5, 3), np.nan))
    cache = module.forward(params, np.zeros((2, 5, 3)))
    assert (cache.T, cache.N, cache.dtype, cache.x.shape) == (5, 2, np.float64, (2, 5, 3))
