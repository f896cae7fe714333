"""The gated recurrent unit (GRU) of Cho et al. (2014), forward and backward, batched.

For every sequence and every timestep t = 1, ..., T, with h_0 = 0::

    z_t  = sigma(W_xz x_t + W_hz h_{t-1} + b_z)               update gate   (gru-cell)
    r_t  = sigma(W_xr x_t + W_hr h_{t-1} + b_r)               reset gate    (gru-cell)
    h~_t = tanh(W_xh x_t + W_hh (r_t * h_{t-1}) + b_h)        candidate     (gru-cell)
    h_t  = z_t * h_{t-1} + (1 - z_t) * h~_t                                 (gru-cell)
    o_t  = W_hy h_t + b_y,   y_t = g(o_t)                     output, as in the RNN

(* is the element-wise product.)  This is the GRU of Cho et al. and of Dive
into Deep Learning.  PyTorch's ``nn.GRU`` puts the reset gate after the
product, r_t * (W_hn h_{t-1} + b_hn): a different function.

The gate letter z is Cho et al.'s; the RNN's pre-activation z_t of the notes
has no single counterpart here.  As in :mod:`rnnlib.gated.lstm`, the pre-activation
of part q (q = z, r, h~) is written a^q_t: a^z_t = W_xz x_t + W_hz h_{t-1} + b_z,
a^r_t likewise, a^h~_t = W_xh x_t + W_hh (r_t * h_{t-1}) + b_h; the error
signals are delta^q_t = dC/da^q_t (delta^h~_t is the candidate's; delta^h_t
is the state's, dC/dh_t).

Backward pass, for t = T, ..., 1, with delta^h_t = dC/dh_t the signal of the
state (a total derivative) and nothing sent back from step T+1::

    delta^h_t  = W_hy^T e_t + (what step t+1 sends back)                           (gru-dh)
    delta^h~_t = delta^h_t * (1 - z_t) * (1 - h~_t^2)                              (gru-delta-hz)
    delta^z_t  = delta^h_t * (h_{t-1} - h~_t) * z_t (1 - z_t)                      (gru-delta-hz)
    delta^r_t  = (W_hh^T delta^h~_t) * h_{t-1} * r_t (1 - r_t)                     (gru-delta-r)
    sent back  = delta^h_t * z_t + (W_hh^T delta^h~_t) * r_t + W_hz^T delta^z_t + W_hr^T delta^r_t

(equation labels of the book's GRU chapter), and the gradients, eq.
(gru-grads), are sums over t of outer products of each delta with what
its weight multiplied: x_t, h_{t-1}, or r_t * h_{t-1} for W_hh.

Layout and speed as in :mod:`rnnlib.forward_pass`: rows are sequences,
arrays are time-major inside with row t holding time t.  The input
projections of all three parts and all steps are one matrix product before
the loop.  Each step needs two products, not one: the reset gate must be
known before W_hh can act on r_t * h_{t-1}.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .._checks import _shape_str, as_float_array, as_rng, check_finite, check_float_dtype, check_int
from ..activations import _sigmoid, output_activation
from ..forward_pass import TimeMajor, empty_buffers, input_sequences
from ..losses import check_loss, cost_and_error_tm, per_step_cost_tm, target_tm
from ..params import _ParamSet

__all__ = [
    "GRUParams",
    "init_params",
    "num_params",
    "vec",
    "unvec",
    "GRUCache",
    "forward",
    "cost",
    "GRUSignals",
    "backward",
    "gradients",
    "loss_and_grad",
    "loss_grad_and_state",
    "readout",
]

#: the fields of GRUParams, in the order of vec
NAMES = ("W_xz", "W_hz", "b_z", "W_xr", "W_hr", "b_r", "W_xh", "W_hh", "b_h", "W_hy", "b_y")
#: symbolic shape of each field
SHAPES = {
    "W_xz": "(n, m)", "W_hz": "(n, n)", "b_z": "(n,)",
    "W_xr": "(n, m)", "W_hr": "(n, n)", "b_r": "(n,)",
    "W_xh": "(n, m)", "W_hh": "(n, n)", "b_h": "(n,)",
    "W_hy": "(k, n)", "b_y": "(k,)",
}


@dataclass(frozen=True, eq=False, repr=False)
class GRUParams(_ParamSet):
    """Weights and biases of a GRU (or the gradient of a cost with respect to them).

    Parameters
    ----------
    W_xz, W_xr, W_xh : ndarray of shape (n, m)
        Input weights of the update gate, the reset gate and the candidate.
    W_hz, W_hr, W_hh : ndarray of shape (n, n)
        Recurrent weights of the same three.
    b_z, b_r, b_h : ndarray of shape (n,)
        Their biases.
    W_hy : ndarray of shape (k, n)
        Hidden-to-output weights, as in the RNN.
    b_y : ndarray of shape (k,)
        Output bias.

    Notes
    -----
    As :class:`rnnlib.Params`: one floating dtype for all eleven arrays
    (integers become float64), shapes that agree (the first disagreement is
    a ValueError naming the array), no copies, nothing modified in place.
    """

    W_xz: np.ndarray
    W_hz: np.ndarray
    b_z: np.ndarray
    W_xr: np.ndarray
    W_hr: np.ndarray
    b_r: np.ndarray
    W_xh: np.ndarray
    W_hh: np.ndarray
    b_h: np.ndarray
    W_hy: np.ndarray
    b_y: np.ndarray

    _names = NAMES
    _shapes = SHAPES
    _size = "3 (n*m + n*n + n) + k*n + k"
    _public = "rnnlib.gated.gru.GRUParams"


assert tuple(f.name for f in fields(GRUParams)) == NAMES


def check_gru_params(params, name: str = "params", *, finite: bool = True) -> GRUParams:
    """Raise unless ``params`` is a GRUParams (holding only finite numbers, if ``finite``)."""
    return GRUParams._check(params, name, finite=finite)


def num_params(m: int, n: int, k: int) -> int:
    """Length of vec(params): 3 (n*m + n*n + n) + k*n + k."""
    m, n, k = (check_int(name, v) for name, v in (("m", m), ("n", n), ("k", k)))
    return 3 * (n * m + n * n + n) + k * n + k


def init_params(m: int, n: int, k: int, *, rng=None, dtype=np.float64) -> GRUParams:
    """Random initial parameters of a GRU.

    Parameters
    ----------
    m, n, k : int
        Inputs, hidden units, outputs.
    rng : numpy.random.Generator, int or None
        Source of randomness, or a seed for one.
    dtype : numpy floating dtype
        float64 (default) or float32.

    Returns
    -------
    GRUParams

    Notes
    -----
    The scheme of :func:`rnnlib.init_params`, part by part: every weight
    matrix is drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in its number
    of columns (m for W_x*, n for W_h* and W_hy); every bias starts at zero.
    With b_z = 0 the update gate starts near 1/2, so the untrained cell keeps
    about half of its previous state at each step.
    """
    total = num_params(m, n, k)  # checks m, n, k
    m, n, k = int(m), int(n), int(k)
    if total > 2**31:
        raise ValueError(
            f"m, n, k: expected at most 2**31 parameters in all, got {total} for m = {m}, n = {n}, k = {k}"
        )
    dtype = check_float_dtype("dtype", dtype)
    rng = as_rng(rng)

    def uniform(rows, cols):
        bound = 1.0 / np.sqrt(cols)
        return rng.uniform(-bound, bound, size=(rows, cols)).astype(dtype)

    parts = []
    for _ in ("z", "r", "h"):  # update gate, reset gate, candidate
        parts += [uniform(n, m), uniform(n, n), np.zeros(n, dtype)]
    return GRUParams(*parts, uniform(k, n), np.zeros(k, dtype))


def vec(params: GRUParams) -> np.ndarray:
    """All parameters as one vector, in the order of :data:`NAMES`.

    Returns
    -------
    v : ndarray of shape (num_params(m, n, k),)
        ``[vec(W_xz); vec(W_hz); b_z; vec(W_xr); vec(W_hr); b_r; vec(W_xh);
        vec(W_hh); b_h; vec(W_hy); b_y]``, each matrix read row by row.
    """
    return GRUParams._vec(params)


def unvec(v, m: int, n: int, k: int) -> GRUParams:
    """Inverse of :func:`vec`.

    Parameters
    ----------
    v : ndarray of shape (num_params(m, n, k),)
    m, n, k : int

    Returns
    -------
    GRUParams
        Holding copies, so changing ``v`` later does not change them.
    """
    return GRUParams._unvec(v, m, n, k)


# --- forward pass ------------------------------------------------------------------


class GRUCache(TimeMajor):
    """What the GRU's forward pass computed, kept for the backward pass.

    Attributes
    ----------
    x : ndarray of shape (T, m) or (N, T, m)
    z, r, h_tilde : ndarrays of shape (T, n) or (N, T, n)
        Update gate z_t, reset gate r_t and candidate h~_t, t = 1..T.
    h : ndarray of shape (T+1, n) or (N, T+1, n)
        States h_0, h_1, ..., h_T, so ``h[t]`` (or ``h[:, t]``) is h_t.
    o, y : ndarrays of shape (T, k) or (N, T, k)
    g : str
        Name of the output activation.
    batched : bool

    Notes
    -----
    Views of time-major buffers with T + 1 rows in which row t is time t:
    ``x_tm`` (T, N, m), ``h_tm`` (T+1, N, n), ``gates_tm`` (T+1, N, 3n)
    holding [z_t, r_t, h~_t] side by side, ``o_tm`` and ``y_tm`` (T+1, N, k).
    Row 0 of everything but h is NaN.
    """

    def __init__(self, x_tm, h_tm, gates_tm, o_tm, y_tm, g, batched):
        self.x_tm, self.h_tm, self.gates_tm, self.o_tm, self.y_tm = x_tm, h_tm, gates_tm, o_tm, y_tm
        self.g, self.batched = g, batched
        n = h_tm.shape[2]
        self.z_tm, self.r_tm, self.h_tilde_tm = (gates_tm[..., i * n : (i + 1) * n] for i in range(3))

    x = property(lambda self: self.user_layout(self.x_tm))
    h = property(lambda self: self.user_layout(self.h_tm))
    z = property(lambda self: self.user_layout(self.z_tm[1:]))
    r = property(lambda self: self.user_layout(self.r_tm[1:]))
    h_tilde = property(lambda self: self.user_layout(self.h_tilde_tm[1:]))
    o = property(lambda self: self.user_layout(self.o_tm[1:]))
    y = property(lambda self: self.user_layout(self.y_tm[1:]))

    def output_layer(self) -> ForwardCache:
        """The output layer seen as an RNN forward pass, for :mod:`rnnlib.losses`, as :meth:`rnnlib.gated.lstm.LSTMCache.output_layer`."""
        from ..forward_pass import ForwardCache

        return ForwardCache(self.x_tm, None, self.h_tm, self.o_tm, self.y_tm, "gru", self.g, self.batched)

    def __repr__(self) -> str:
        batch = f"N={self.N}, " if self.batched else ""
        n, k = self.h_tm.shape[2], self.y_tm.shape[2]
        return f"GRUCache({batch}T={self.T}, n={n}, k={k}, g={self.g!r}, dtype={self.dtype})"


def _sequences(params: GRUParams, X, name: str = "X"):
    """X as (N, T, m) in the wider of its and the parameters' dtypes, and whether it was a batch."""
    return input_sequences(X, params.m, params.dtype, name=name, source="W_xz")


def _initial_state(params: GRUParams, h0, N: int, batched: bool, dtype):
    if h0 is None:
        return None
    h0 = as_float_array("h0", h0, dtype=dtype)
    expected, labels = ((N, params.n), "(N, n)") if batched else ((params.n,), "(n,)")
    if h0.shape != expected:
        raise ValueError(f"h0: expected shape {labels} = {_shape_str(expected)}, got {_shape_str(h0.shape)}")
    check_finite("h0", h0)
    return h0.reshape(N, params.n)


def _stacked(params: GRUParams, dtype):
    """The three parts' weights side by side: W_x (3n, m), b (3n,), W_hzr (2n, n), W_hh (n, n)."""
    p = params.astype(dtype) if params.dtype != dtype else params
    W_x = np.concatenate([p.W_xz, p.W_xr, p.W_xh])
    b = np.concatenate([p.b_z, p.b_r, p.b_h])
    return W_x, b, np.concatenate([p.W_hz, p.W_hr]), p.W_hh, p.W_hy, p.b_y


def forward(params: GRUParams, X, *, g: str = "softmax", h0=None) -> GRUCache:
    """Run the GRU over one sequence or a batch of sequences.

    Parameters
    ----------
    params : GRUParams
    X : array_like of shape (T, m) or (N, T, m)
    g : {"softmax", "identity", "sigmoid", "tanh"}
        Output activation, as for the RNN.
    h0 : array_like of shape (n,) or (N, n), optional
        Initial state; h_0 = 0 by default.

    Returns
    -------
    GRUCache
        Every gate: ``z``, ``r``, ``h_tilde`` (..., T, n), ``h`` (..., T+1, n)
        with h_0, ``o`` and ``y`` (..., T, k).

    Notes
    -----
    z_t = sigma(W_xz x_t + W_hz h_{t-1} + b_z),
    r_t = sigma(W_xr x_t + W_hr h_{t-1} + b_r),
    h~_t = tanh(W_xh x_t + W_hh (r_t * h_{t-1}) + b_h),
    h_t = z_t * h_{t-1} + (1 - z_t) * h~_t,  o_t = W_hy h_t + b_y,  y_t = g(o_t).
    float32 in, float32 out.
    """
    check_gru_params(params)
    g_act = output_activation(g)
    X, batched = _sequences(params, X)
    N, T, m = X.shape
    n, k = params.n, params.k
    initial = _initial_state(params, h0, N, batched, X.dtype)
    W_x, b, W_hzr, W_hh, W_hy, b_y = _stacked(params, X.dtype)
    x, h, gates, o, y = empty_buffers(
        X.dtype, (T, N, m), (T + 1, N, n), (T + 1, N, 3 * n), (T + 1, N, k), (T + 1, N, k)
    )
    x[...] = np.swapaxes(X, 0, 1)  # time-major: x[t - 1] holds x_t
    gates[0] = o[0] = y[0] = np.nan  # there is no z_0, r_0, h~_0, o_0, y_0
    h[0] = 0.0 if initial is None else initial

    # the input parts W_x* x_t + b_* of all three, every step and sequence, in one product
    np.matmul(x.reshape(T * N, m), W_x.T, out=gates[1:].reshape(T * N, 3 * n))
    gates[1:] += b
    W_hzr_T, W_hh_T = np.ascontiguousarray(W_hzr.T), np.ascontiguousarray(W_hh.T)
    for t in range(1, T + 1):
        zr, cand = gates[t, :, : 2 * n], gates[t, :, 2 * n :]
        zr += h[t - 1] @ W_hzr_T  # + W_hz h_{t-1}, W_hr h_{t-1}
        _sigmoid(zr, out=zr)  # z_t and r_t, eq. (gru-cell)
        z, r = zr[:, :n], zr[:, n:]
        cand += (r * h[t - 1]) @ W_hh_T  # + W_hh (r_t * h_{t-1})
        np.tanh(cand, out=cand)  # h~_t, eq. (gru-cell)
        np.multiply(z, h[t - 1] - cand, out=h[t])  # h_t = h~ + z (h_{t-1} - h~), eq. (gru-cell)
        h[t] += cand

    np.matmul(h[1:].reshape(T * N, n), W_hy.T, out=o[1:].reshape(T * N, k))
    o[1:] += b_y
    g_act(o[1:], out=y[1:])
    return GRUCache(x, h, gates, o, y, g, batched)


def _check_cache(cache, params: GRUParams | None = None) -> GRUCache:
    if not isinstance(cache, GRUCache):
        raise TypeError(f"cache: expected the GRUCache returned by rnnlib.gated.gru.forward, got {type(cache).__name__}")
    if params is not None:
        m, n, k = cache.x_tm.shape[2], cache.h_tm.shape[2], cache.y_tm.shape[2]
        if (params.m, params.n, params.k) != (m, n, k):
            raise ValueError(
                f"cache: expected a forward pass of params with (m, n, k) = {(params.m, params.n, params.k)}, "
                f"got one with {(m, n, k)}"
            )
    return cache


def cost(cache: GRUCache, Y, *, loss: str = "mse") -> float:
    """The cost C = (1/N) sum_i sum_{t=1}^T C_t^(i), exactly as :func:`rnnlib.cost`.

    Parameters
    ----------
    cache : GRUCache
        From :func:`forward`.
    Y : array_like of shape (T, k) or (N, T, k)
        Desired outputs, shaped like ``cache.y``.
    loss : {"mse", "cross_entropy"}
    """
    check_loss(loss, _check_cache(cache).g)
    return float(np.sum(per_step_cost_tm(cache, target_tm(cache, Y, loss), loss)) / cache.N)


# --- backward pass -----------------------------------------------------------------


class GRUSignals:
    """The error signals of the GRU's backward pass.

    Attributes
    ----------
    e : ndarray of shape (T, k) or (N, T, k)
        Output errors e_t = dC/do_t.
    delta_h : ndarray of shape (T+1, n) or (N, T+1, n)
        delta^h_t = dC/dh_t, the total derivative through every later step;
        row 0 is dC/dh_0.
    delta_z, delta_r, delta_h_tilde : ndarrays of shape (T, n) or (N, T, n)
        dC/da^z_t, dC/da^r_t, dC/da^h~_t: the signals at the pre-activations
        of the update gate, the reset gate and the candidate.
    """

    def __init__(self, e_tm, delta_h_tm, delta_tm, cache: GRUCache):
        self.e_tm, self.delta_h_tm, self.delta_tm, self._cache = e_tm, delta_h_tm, delta_tm, cache

    def _part(self, i):
        n = self.delta_h_tm.shape[2]
        return self._cache.user_layout(self.delta_tm[1:, :, i * n : (i + 1) * n])

    e = property(lambda self: self._cache.user_layout(self.e_tm[1:]))
    delta_h = property(lambda self: self._cache.user_layout(self.delta_h_tm))
    delta_z = property(lambda self: self._part(0))
    delta_r = property(lambda self: self._part(1))
    delta_h_tilde = property(lambda self: self._part(2))

    @property
    def delta_h0(self) -> np.ndarray:
        """dC/dh_0, shape (n,) or (N, n): row 0 of ``delta_h``, named as :attr:`rnnlib.gated.lstm.LSTMSignals.delta_h0`."""
        return self._cache.user_layout(self.delta_h_tm[:1])[..., 0, :]


def _backward_tm(params: GRUParams, cache: GRUCache, e: np.ndarray) -> GRUSignals:
    """The recursion for t = T, ..., 1, given e time-major with T + 1 rows."""
    T, N, n = cache.T, cache.N, params.n
    _, _, W_hzr, W_hh, W_hy, _ = _stacked(params, cache.dtype)
    h, z, r, cand = cache.h_tm, cache.z_tm, cache.r_tm, cache.h_tilde_tm
    dh = np.empty((T + 1, N, n), cache.dtype)  # dh[t] is delta^h_t = dC/dh_t
    delta = np.empty((T + 1, N, 3 * n), cache.dtype)
    delta[0] = np.nan  # there is no step 0
    np.matmul(e[1:].reshape(T * N, -1), W_hy, out=dh[1:].reshape(T * N, n))  # W_hy^T e_t for every t
    # the local derivatives of every step at once, written where the deltas go
    d_z, d_r, d_ht = np.split(delta[1:], 3, axis=-1)
    np.multiply((h[:T] - cand[1:]) * z[1:], 1 - z[1:], out=d_z)  # (gru-delta-hz)
    np.multiply(h[:T] * r[1:], 1 - r[1:], out=d_r)  # (gru-delta-r)
    np.multiply(1 - z[1:], 1 - cand[1:] ** 2, out=d_ht)  # (gru-delta-hz)
    for t in range(T, 0, -1):
        if t < T:
            dh[t] += back  # + what step t+1 sent back, eq. (gru-dh)
        d_z, d_r, d_ht = np.split(delta[t], 3, axis=-1)  # views into delta
        d_ht *= dh[t]  # delta^h~_t, eq. (gru-delta-hz)
        d_z *= dh[t]  # delta^z_t, eq. (gru-delta-hz)
        rh = d_ht @ W_hh  # W_hh^T delta^h~_t = dC/d(r_t * h_{t-1})
        d_r *= rh  # delta^r_t, eq. (gru-delta-r)
        # the four paths into h_{t-1}, eq. (gru-dh)
        back = dh[t] * z[t] + rh * r[t] + delta[t, :, : 2 * n] @ W_hzr
    dh[0] = back  # dC/dh_0
    return GRUSignals(e, dh, delta, cache)


def backward(params: GRUParams, cache: GRUCache, dC_dy=None, *, e=None) -> GRUSignals:
    """The backward pass: e_t, delta^h_t = dC/dh_t and the three deltas, for t = T, ..., 1.

    Parameters
    ----------
    params : GRUParams
        The parameters the forward pass used.
    cache : GRUCache
        From :func:`forward`.
    dC_dy : array_like of shape (T, k) or (N, T, k), optional
        dC/dy_t.  Give this or ``e``.
    e : array_like of shape (T, k) or (N, T, k), optional
        The output errors dC/do_t.

    Returns
    -------
    GRUSignals

    Notes
    -----
    delta^h_t = W_hy^T e_t + delta^h_{t+1} * z_{t+1} + (W_hh^T delta^h~_{t+1}) * r_{t+1}
    + W_hz^T delta^z_{t+1} + W_hr^T delta^r_{t+1} (the last four 0 at t = T);
    delta^h~_t = delta^h_t * (1 - z_t) * (1 - h~_t^2);
    delta^z_t = delta^h_t * (h_{t-1} - h~_t) * z_t (1 - z_t);
    delta^r_t = (W_hh^T delta^h~_t) * h_{t-1} * r_t (1 - r_t).
    """
    check_gru_params(params)
    _check_cache(cache, params)
    if (dC_dy is None) == (e is None):
        raise ValueError("dC_dy, e: expected exactly one of them, got " + ("neither" if e is None else "both"))
    labels = "(N, T, k)" if cache.batched else "(T, k)"
    name, given = ("e", e) if e is not None else ("dC_dy", dC_dy)
    a = as_float_array(name, given, dtype=cache.dtype)
    if a.shape != cache.y.shape:
        raise ValueError(
            f"{name}: expected shape {labels} = {_shape_str(cache.y.shape)} like y, got {_shape_str(a.shape)}"
        )
    check_finite(name, a)
    a = a.astype(cache.dtype, copy=False)
    a = np.swapaxes(a, 0, 1) if cache.batched else a[:, None, :]
    e_tm = np.empty_like(cache.y_tm)
    e_tm[0] = np.nan
    if e is not None:
        e_tm[1:] = a
    else:
        e_tm[1:] = output_activation(cache.g).vjp(cache.o_tm[1:], cache.y_tm[1:], a)  # J_g(o_t)^T dC/dy_t
    return _backward_tm(params, cache, e_tm)


def gradients(cache: GRUCache, signals: GRUSignals) -> GRUParams:
    """The eleven gradients from the error signals, each one stacked matrix product.

    Returns
    -------
    GRUParams

    Notes
    -----
    Sums over t = 1..T and the sequences of the batch::

        dC/dW_x* = sum_t delta^*_t x_t^T,   dC/db_* = sum_t delta^*_t
            (* = z, r, h~, where the candidate's weights are W_xh, W_hh and b_h)
        dC/dW_hz = sum_t delta^z_t h_{t-1}^T,  dC/dW_hr = sum_t delta^r_t h_{t-1}^T,
        dC/dW_hh = sum_t delta^h~_t (r_t * h_{t-1})^T,
        dC/dW_hy = sum_t e_t h_t^T,  dC/db_y = sum_t e_t.
    """
    _check_cache(cache)
    if not isinstance(signals, GRUSignals):
        raise TypeError(
            f"signals: expected the GRUSignals returned by rnnlib.gated.gru.backward, got {type(signals).__name__}"
        )
    T, n, m = cache.T, cache.h_tm.shape[2], cache.x_tm.shape[2]
    h, x = cache.h_tm, cache.x_tm.reshape(-1, m)
    D = signals.delta_tm[1:].reshape(-1, 3 * n)  # rows: [delta^z, delta^r, delta^h~] of every (t, sequence)
    E = signals.e_tm[1:].reshape(-1, signals.e_tm.shape[2])
    h_prev = h[0:T].reshape(-1, n)
    dW_x = D.T @ x  # (3n, m): the three input weights at once
    dW_hzr = D[:, : 2 * n].T @ h_prev
    dW_hh = D[:, 2 * n :].T @ (cache.r_tm[1:].reshape(-1, n) * h_prev)  # W_hh acts on r_t * h_{t-1}
    db = D.sum(axis=0)
    return GRUParams(
        dW_x[:n], dW_hzr[:n], db[:n],
        dW_x[n : 2 * n], dW_hzr[n:], db[n : 2 * n],
        dW_x[2 * n :], dW_hh, db[2 * n :],
        E.T @ h[1:].reshape(-1, n), E.sum(axis=0),
    )


def loss_and_grad(params: GRUParams, X, Y, *, loss: str = "mse", g: str = "softmax", h0=None):
    """The cost and its gradient with respect to every parameter of the GRU.

    Parameters
    ----------
    params : GRUParams
    X : array_like of shape (T, m) or (N, T, m)
    Y : array_like of shape (T, k) or (N, T, k)
        Desired outputs, shaped like y.
    loss : {"mse", "cross_entropy"}
        As for :func:`rnnlib.loss_and_grad`; ``"cross_entropy"`` needs g = softmax.
    g : {"softmax", "identity", "sigmoid", "tanh"}
    h0 : array_like of shape (n,) or (N, n), optional
        Initial state, 0 by default, treated as a constant.

    Returns
    -------
    C : float
        (1/N) sum_i sum_t C_t^(i), exactly as the RNN's.
    grads : GRUParams
        The batch average of the per-sequence gradients.
    """
    check_gru_params(params)
    check_loss(loss, g)
    cache = forward(params, X, g=g, h0=h0)
    C, e = cost_and_error_tm(cache, Y, loss)  # e_t carries the 1/N of the batch average
    return C, gradients(cache, _backward_tm(params, cache, e))


# --- the same jobs as rnnlib.gated.lstm: a chunk of a long sequence, the output layer alone ---


def loss_grad_and_state(params: GRUParams, X, Y, *, loss: str = "mse", g: str = "softmax", h0=None):
    """:func:`loss_and_grad`, and also the last state h_T.

    For training on a long sequence cut into chunks: pass the returned state
    as ``h0`` of the next chunk (truncated BPTT with a carried state), as
    :func:`rnnlib.backprop.loss_grad_and_state` does for the RNN and
    :func:`rnnlib.gated.lstm.loss_grad_and_state` for the LSTM.

    Parameters
    ----------
    params, X, Y, loss, g, h0
        As for :func:`loss_and_grad`.

    Returns
    -------
    C : float
    grads : GRUParams
    h_T : ndarray of shape (n,) or (N, n)
        The state after the last step, a copy (not a view of the cache).
    """
    check_gru_params(params)
    check_loss(loss, g)
    cache = forward(params, X, g=g, h0=h0)
    h_T = cache.h[..., -1, :].copy()
    C, e = cost_and_error_tm(cache, Y, loss)
    return C, gradients(cache, _backward_tm(params, cache, e)), h_T


def readout(params: GRUParams, H, *, g: str = "softmax") -> ForwardCache:
    """The output layer alone on given hidden states: o_t = W_hy h_t + b_y, y_t = g(o_t).

    For a cost as a function of a state: the output of step t depends on
    h_t only, so ``rnnlib.cost(readout(params, h_t[None]), Y[t - 1 : t])`` is
    C_t, whatever h_t is.

    Parameters
    ----------
    params : GRUParams
        Only W_hy (k, n) and b_y (k,) are used.
    H : array_like of shape (T, n) or (N, T, n)
        Hidden states h_1, ..., h_T.
    g : {"softmax", "identity", "sigmoid", "tanh"}

    Returns
    -------
    rnnlib.ForwardCache
        ``o`` and ``y`` (..., T, k), as in :meth:`GRUCache.output_layer`, for
        :func:`rnnlib.cost`, :func:`rnnlib.per_step_cost` and
        :func:`rnnlib.output_error`; ``h`` (..., T+1, n) is H under a NaN row
        for the h_0 not given, ``x`` has no columns.

    Notes
    -----
    The RNN's output layer, o_t = W_hy h_t + b_y and y_t = g(o_t); the same function as :func:`rnnlib.gated.lstm.readout`.
    """
    from ..forward_pass import readout_cache

    check_gru_params(params)
    return readout_cache(params, H, g, "gru")
