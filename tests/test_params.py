"""Params, init_params, vec and unvec, save and load."""

import numpy as np
import pytest

import rnnlib
from rnnlib.params import NAMES


def test_shapes_in_the_notes_order(rng):
    p = rnnlib.init_params(3, 5, 2, rng=rng)
    assert [a.shape for a in p] == [(5, 3), (5, 5), (2, 5), (5,), (2,)]
    assert (p.m, p.n, p.k) == (3, 5, 2)
    assert [name for name, _ in p.items()] == list(NAMES)


def test_init_is_reproducible_and_seedable():
    a = rnnlib.init_params(3, 4, 2, rng=7)
    b = rnnlib.init_params(3, 4, 2, rng=np.random.default_rng(7))
    c = rnnlib.init_params(3, 4, 2, rng=8)
    assert np.array_equal(rnnlib.vec(a), rnnlib.vec(b))
    assert not np.array_equal(rnnlib.vec(a), rnnlib.vec(c))


def test_init_scale_and_dtype(rng):
    p = rnnlib.init_params(16, 64, 8, rng=rng, dtype=np.float32)
    assert all(a.dtype == np.float32 for a in p)
    assert np.max(np.abs(p.W_xh)) <= 1 / np.sqrt(16) and np.max(np.abs(p.W_hh)) <= 1 / np.sqrt(64)
    assert not np.any(p.b_h) and not np.any(p.b_y)


def test_vec_reads_each_matrix_row_by_row():
    m, n, k = 2, 3, 2
    size = rnnlib.num_params(m, n, k)
    v = np.arange(size, dtype=float)
    p = rnnlib.unvec(v, m, n, k)
    # W_xh comes first: w_11, w_12, w_21, ... in the notes' order
    assert p.W_xh.tolist() == [[0, 1], [2, 3], [4, 5]]
    assert p.W_hh[0].tolist() == [6, 7, 8] and p.W_hh[2, 2] == 14
    assert p.W_hy.tolist() == [[15, 16, 17], [18, 19, 20]]
    assert p.b_h.tolist() == [21, 22, 23] and p.b_y.tolist() == [24, 25]
    assert size == n * m + n * n + k * n + n + k == 26


def test_vec_unvec_round_trip(rng):
    p = rnnlib.init_params(4, 3, 5, rng=rng)
    v = rnnlib.vec(p)
    q = rnnlib.unvec(v, 4, 3, 5)
    assert all(np.array_equal(a, b) for a, b in zip(p, q))
    assert np.array_equal(rnnlib.vec(q), v)
    v[0] = 99.0  # unvec copies
    assert q.W_xh[0, 0] != 99.0


def test_unvec_wrong_length():
    with pytest.raises(ValueError, match=r"v: expected shape .* = \(26,\) .* got \(25,\)"):
        rnnlib.unvec(np.zeros(25), 2, 3, 2)
    with pytest.raises(ValueError, match=r"v: .*got \(2, 13\)"):
        rnnlib.unvec(np.zeros((2, 13)), 2, 3, 2)


@pytest.mark.parametrize(
    "which, bad, message",
    [
        ("W_hh", np.zeros((3, 4)), r"W_hh: expected shape \(n, n\) = \(3, 3\)"),
        ("W_hy", np.zeros((2, 4)), r"W_hy: expected shape \(k, n\) = \(2, 3\)"),
        ("b_h", np.zeros(4), r"b_h: expected shape \(n,\) = \(3,\)"),
        ("b_y", np.zeros(3), r"b_y: expected shape \(k,\) = \(2,\)"),
        ("b_h", np.zeros((3, 1)), r"b_h: expected a 1-D array of shape \(n,\), got shape \(3, 1\)"),
        ("W_xh", np.zeros(3), r"W_xh: expected a 2-D array"),
    ],
)
def test_inconsistent_shapes_name_the_array(which, bad, message):
    arrays = dict(W_xh=np.zeros((3, 4)), W_hh=np.zeros((3, 3)), W_hy=np.zeros((2, 3)), b_h=np.zeros(3), b_y=np.zeros(2))
    arrays[which] = bad
    with pytest.raises(ValueError, match=message):
        rnnlib.Params(**arrays)


def test_params_dtypes():
    ints = rnnlib.Params(np.ones((2, 1), int), np.ones((2, 2), int), np.ones((1, 2), int), np.ones(2, int), np.ones(1, int))
    assert ints.dtype == np.float64
    with pytest.raises(ValueError, match="b_y: expected dtype float64"):
        rnnlib.Params(np.ones((2, 1)), np.ones((2, 2)), np.ones((1, 2)), np.ones(2), np.ones(1, np.float32))
    with pytest.raises(TypeError, match="W_xh: expected real numbers"):
        rnnlib.Params(np.ones((2, 1), complex), np.ones((2, 2)), np.ones((1, 2)), np.ones(2), np.ones(1))


@pytest.mark.parametrize("bad", [(0, 3, 2), (2, -1, 2), (2, 3, 1.5)])
def test_init_params_bad_sizes(bad):
    with pytest.raises((ValueError, TypeError), match=r"^(m|n|k): expected an integer"):
        rnnlib.init_params(*bad)


def test_init_params_bad_rng_and_dtype():
    with pytest.raises(TypeError, match="rng: expected a numpy Generator"):
        rnnlib.init_params(2, 3, 2, rng="seed")
    with pytest.raises(TypeError, match="dtype: expected a floating dtype"):
        rnnlib.init_params(2, 3, 2, dtype=np.int32)


def test_save_load_round_trip(tmp_path, rng):
    p = rnnlib.init_params(3, 4, 2, rng=rng, dtype=np.float32)
    rnnlib.save_params(tmp_path / "p.npz", p, step=np.array(12))
    q, extra = rnnlib.load_params(tmp_path / "p.npz", with_extra=True)
    assert all(np.array_equal(a, b) and b.dtype == np.float32 for a, b in zip(p, q))
    assert int(extra["step"]) == 12


def test_load_rejects_bad_files(tmp_path, rng):
    with pytest.raises(FileNotFoundError, match="path: no such file"):
        rnnlib.load_params(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"this is not a zip file")
    with pytest.raises(ValueError, match="is not a readable .npz file"):
        rnnlib.load_params(junk)
    np.savez(tmp_path / "partial.npz", W_xh=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="lacks W_hh, W_hy, b_h, b_y"):
        rnnlib.load_params(tmp_path / "partial.npz")
    np.savez(tmp_path / "pickled.npz", W_xh=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="is not a readable .npz file"):
        rnnlib.load_params(tmp_path / "pickled.npz")
    with pytest.raises(ValueError, match="reserved"):
        rnnlib.save_params(tmp_path / "x.npz", rnnlib.init_params(1, 1, 1, rng=rng), W_hh=np.zeros(1))
