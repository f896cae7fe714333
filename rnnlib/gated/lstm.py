"""The long short-term memory (LSTM) cell: parameters, forward pass and BPTT.

The hidden layer of the notes' RNN is replaced by a cell with a second
state c_t (the cell, or memory) and three gates.  For t = 1, ..., T, with
sigma the logistic sigmoid and * the element-wise product::

    f_t = sigma(W_xf x_t + W_hf h_{t-1} + b_f)          forget gate    (lstm-f)
    i_t = sigma(W_xi x_t + W_hi h_{t-1} + b_i)          input gate     (lstm-i)
    c~_t = tanh(W_xc x_t + W_hc h_{t-1} + b_c)          candidate      (lstm-cand)
    o_t = sigma(W_xo x_t + W_ho h_{t-1} + b_o)          output gate    (lstm-o)
    c_t = f_t * c_{t-1} + i_t * c~_t                    cell           (lstm-c)
    h_t = o_t * tanh(c_t)                               hidden state   (lstm-h)
    u_t = W_hy h_t + b_y,   y_t = g(u_t)                output layer   (lstm-y)

with c_0 = h_0 = 0 (no peepholes; PyTorch's ``nn.LSTM`` computes the same
function).  The output layer is the RNN's; its pre-activation is written
u_t here because o_t names the output gate (chapter 3's o_t is this u_t).
The cost and the output error e_t = dC/du_t are those of
:mod:`rnnlib.losses`.

Backward pass, for t = T, ..., 1, with every signal of step T + 1 zero::

    delta^h_t = W_hy^T e_t + sum_{q in f,i,c~,o} W_hq^T delta^q_{t+1}  (lstm-dh)
    delta^c_t = delta^h_t * o_t * (1 - tanh^2 c_t) + delta^c_{t+1} * f_{t+1}
                                                                      (lstm-dc)
    delta^o_t = delta^h_t * tanh(c_t) * o_t (1 - o_t)                   (lstm-do)
    delta^f_t = delta^c_t * c_{t-1} * f_t (1 - f_t)                     (lstm-df)
    delta^i_t = delta^c_t * c~_t * i_t (1 - i_t)                        (lstm-di)
    delta^c~_t = delta^c_t * i_t * (1 - c~_t^2)                         (lstm-dcand)

where delta^h_t = dC/dh_t and delta^c_t = dC/dc_t are the signals of the
two states and delta^q_t = dC/da^q_t that of the pre-activation
a^q_t = W_xq x_t + W_hq h_{t-1} + b_q of layer q (q = f, i, c~, o; the
candidate's weights are W_xc, W_hc, b_c); then
dC/dW_xq = sum_t delta^q_t x_t^T, dC/dW_hq = sum_t delta^q_t h_{t-1}^T and
dC/db_q = sum_t delta^q_t.

Layout, as in :mod:`rnnlib.forward_pass`: rows are sequences, arrays are
time-major inside with row t holding time t.  The four gates are stacked
into one (4n, m) and one (4n, n) matrix inside the functions, so the input
projections of all steps are one product before the loop and each step does
one (N, n) x (n, 4n) product; the weight gradients are one product each
after the recursion.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .._checks import (
    _shape_str,
    as_float_array,
    as_rng,
    check_finite,
    check_float_dtype,
    check_int,
)
from ..activations import output_activation
from ..forward_pass import ForwardCache, TimeMajor, input_sequences
from ..losses import check_loss, cost_and_error_tm
from ..params import _ParamSet

__all__ = [
    "NAMES",
    "LSTMParams",
    "LSTMCache",
    "LSTMSignals",
    "num_params",
    "init_params",
    "vec",
    "unvec",
    "forward",
    "backward",
    "gradients",
    "loss_and_grad",
    "loss_grad_and_state",
    "cost",
    "readout",
]

#: the fields of LSTMParams, in the order of vec
NAMES = (
    "W_xf", "W_hf", "b_f",  # forget gate
    "W_xi", "W_hi", "b_i",  # input gate
    "W_xc", "W_hc", "b_c",  # candidate
    "W_xo", "W_ho", "b_o",  # output gate
    "W_hy", "b_y",  # output layer
)  # fmt: skip
GATES = ("f", "i", "c", "o")  # the order of the stacked gate blocks


#: symbolic shape of each field
SHAPES = {
    "W_xf": "(n, m)", "W_hf": "(n, n)", "b_f": "(n,)",
    "W_xi": "(n, m)", "W_hi": "(n, n)", "b_i": "(n,)",
    "W_xc": "(n, m)", "W_hc": "(n, n)", "b_c": "(n,)",
    "W_xo": "(n, m)", "W_ho": "(n, n)", "b_o": "(n,)",
    "W_hy": "(k, n)", "b_y": "(k,)",
}  # fmt: skip


@dataclass(frozen=True, eq=False, repr=False)
class LSTMParams(_ParamSet):
    """Weights and biases of an LSTM with the RNN's output layer (or a gradient).

    Parameters
    ----------
    W_xf, W_xi, W_xc, W_xo : ndarray of shape (n, m)
        Input weights of the forget gate, input gate, candidate and output gate.
    W_hf, W_hi, W_hc, W_ho : ndarray of shape (n, n)
        Recurrent weights, acting on h_{t-1}.
    b_f, b_i, b_c, b_o : ndarray of shape (n,)
        Biases.
    W_hy : ndarray of shape (k, n)
        Hidden-to-output weights.
    b_y : ndarray of shape (k,)
        Output bias.

    Notes
    -----
    As :class:`rnnlib.Params`: the fourteen arrays share one floating dtype
    (integer input becomes float64), their shapes must agree (the first
    disagreement is a ValueError naming the array), they are not copied, and
    no rnnlib function modifies them in place.  The fields, and iteration,
    follow :data:`NAMES`.
    """

    W_xf: np.ndarray
    W_hf: np.ndarray
    b_f: np.ndarray
    W_xi: np.ndarray
    W_hi: np.ndarray
    b_i: np.ndarray
    W_xc: np.ndarray
    W_hc: np.ndarray
    b_c: np.ndarray
    W_xo: np.ndarray
    W_ho: np.ndarray
    b_o: np.ndarray
    W_hy: np.ndarray
    b_y: np.ndarray

    _names = NAMES
    _shapes = SHAPES
    _size = "4 (n*m + n*n + n) + k*n + k"
    _public = "rnnlib.gated.lstm.LSTMParams"

    n = property(_ParamSet.n.fget, doc="Number of hidden units (and of cell units).")


assert tuple(f.name for f in fields(LSTMParams)) == NAMES


def _check_params(params, name: str = "params", *, finite: bool = True) -> LSTMParams:
    return LSTMParams._check(params, name, finite=finite)


def _stacked(params: LSTMParams, dtype):
    """W_x (4n, m), W_h (4n, n) and b (4n,): the gates' blocks stacked in the order f, i, c, o."""
    W_x = np.concatenate([getattr(params, f"W_x{a}") for a in GATES]).astype(dtype, copy=False)
    W_h = np.concatenate([getattr(params, f"W_h{a}") for a in GATES]).astype(dtype, copy=False)
    b = np.concatenate([getattr(params, f"b_{a}") for a in GATES]).astype(dtype, copy=False)
    return W_x, W_h, b


# --- sizes, initialisation, the vector v -------------------------------------------


def num_params(m: int, n: int, k: int) -> int:
    """Length of v: 4 (n*m + n*n + n) + k*n + k."""
    m, n, k = (check_int(name, v) for name, v in (("m", m), ("n", n), ("k", k)))
    return 4 * (n * m + n * n + n) + k * n + k


def init_params(m: int, n: int, k: int, *, rng=None, dtype=np.float64) -> LSTMParams:
    """Random initial parameters.

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
    LSTMParams

    Notes
    -----
    Every weight matrix is drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) as
    in :func:`rnnlib.init_params` (fan_in = m for the input weights, n for
    the recurrent ones and W_hy), drawn in the order of :data:`NAMES`.  The
    biases start at zero except the forget gate's, b_f = 1: then
    f_t = sigma(1) = 0.73 at the start instead of 0.5, so the untrained cell
    keeps most of c_{t-1} and gradients reach back along the cell path from
    the first step of training (the initialisation Jozefowicz, Zaremba &
    Sutskever, 2015, recommend).
    """
    m, n, k = (check_int(name, v) for name, v in (("m", m), ("n", n), ("k", k)))
    dtype = check_float_dtype("dtype", dtype)
    rng = as_rng(rng)

    def uniform(rows, cols):
        bound = 1.0 / np.sqrt(cols)
        return rng.uniform(-bound, bound, size=(rows, cols)).astype(dtype)

    arrays = {}
    for a in GATES:
        arrays[f"W_x{a}"] = uniform(n, m)
        arrays[f"W_h{a}"] = uniform(n, n)
        arrays[f"b_{a}"] = np.full(n, 1.0 if a == "f" else 0.0, dtype)  # forget bias 1: remember by default
    arrays["W_hy"] = uniform(k, n)
    arrays["b_y"] = np.zeros(k, dtype)
    return LSTMParams(**arrays)


def vec(params: LSTMParams) -> np.ndarray:
    """Stack the parameters into one vector v.

    Returns
    -------
    v : ndarray of shape (4 (n*m + n*n + n) + k*n + k,)
        The fields in the order of :data:`NAMES` (W_xf, W_hf, b_f, W_xi, ...,
        W_hy, b_y), each matrix read row by row.
    """
    return LSTMParams._vec(params)


def unvec(v, m: int, n: int, k: int) -> LSTMParams:
    """Inverse of :func:`vec`.

    Parameters
    ----------
    v : ndarray of shape (4 (n*m + n*n + n) + k*n + k,)
    m, n, k : int

    Returns
    -------
    LSTMParams
        Holding copies, so changing ``v`` later does not change them.
    """
    return LSTMParams._unvec(v, m, n, k)


# --- the forward pass -----------------------------------------------------------------


class LSTMCache(TimeMajor):
    """What the LSTM's forward pass computed, kept for the backward pass.

    Attributes
    ----------
    x : ndarray of shape (T, m) or (N, T, m)
        The input.
    f, i, c_tilde, o : ndarrays of shape (T, n) or (N, T, n)
        Forget gate f_t, input gate i_t, candidate c~_t and output gate o_t
        for t = 1, ..., T.
    c, h : ndarrays of shape (T+1, n) or (N, T+1, n)
        Cell and hidden states c_0, ..., c_T and h_0, ..., h_T, so that
        ``c[t]`` (or ``c[:, t]``) is c_t.
    u, y : ndarrays of shape (T, k) or (N, T, k)
        Output pre-activations u_t = W_hy h_t + b_y and outputs y_t = g(u_t).
    g : str
        Name of the output activation.
    batched : bool
        Whether the input was a batch (N, T, m) rather than one sequence.

    Notes
    -----
    Views of time-major buffers in which row t is time t: ``x_tm`` (T, N, m),
    ``gates_tm`` (T+1, N, 4n) holding f, i, c~, o side by side, ``c_tm`` and
    ``h_tm`` (T+1, N, n), ``u_tm`` and ``y_tm`` (T+1, N, k).  Row 0 of
    gates, u and y, which have no time 0, is NaN.
    """

    def __init__(self, x_tm, gates_tm, c_tm, h_tm, u_tm, y_tm, g, batched):
        self.x_tm, self.gates_tm, self.c_tm, self.h_tm = x_tm, gates_tm, c_tm, h_tm
        self.u_tm, self.y_tm, self.g, self.batched = u_tm, y_tm, g, batched

    def gate(self, a: str) -> np.ndarray:
        """Gate ``a`` (one of "f", "i", "c", "o"; "c" is the candidate) time-major, (T+1, N, n)."""
        n = self.h_tm.shape[2]
        j = GATES.index(a)
        return self.gates_tm[..., j * n : (j + 1) * n]

    x = property(lambda self: self.user_layout(self.x_tm))
    f = property(lambda self: self.user_layout(self.gate("f")[1:]))
    i = property(lambda self: self.user_layout(self.gate("i")[1:]))
    c_tilde = property(lambda self: self.user_layout(self.gate("c")[1:]))
    o = property(lambda self: self.user_layout(self.gate("o")[1:]))
    c = property(lambda self: self.user_layout(self.c_tm))
    h = property(lambda self: self.user_layout(self.h_tm))
    u = property(lambda self: self.user_layout(self.u_tm[1:]))
    y = property(lambda self: self.user_layout(self.y_tm[1:]))

    def output_layer(self) -> ForwardCache:
        """The output layer seen as an RNN forward pass (u_t as its o_t), for :mod:`rnnlib.losses`."""
        return ForwardCache(self.x_tm, None, self.h_tm, self.u_tm, self.y_tm, "lstm", self.g, self.batched)

    def __repr__(self) -> str:
        n, k = self.h_tm.shape[2], self.y_tm.shape[2]
        batch = f"N={self.N}, " if self.batched else ""
        return f"LSTMCache({batch}T={self.T}, n={n}, k={k}, g={self.g!r}, dtype={self.dtype})"


def _as_sequences(params: LSTMParams, X, name: str = "X"):
    """X as a float array (N, T, m) in the wider of its and the parameters' dtypes, and whether it was a batch."""
    return input_sequences(X, params.m, params.dtype, name=name, source="W_xf")


def _initial_state(name: str, a, n: int, N: int, batched: bool, dtype):
    """A given initial state h0 or c0 as (N, n), or None for 0."""
    if a is None:
        return None
    a = as_float_array(name, a, dtype=dtype)
    expected, labels = ((N, n), "(N, n)") if batched else ((n,), "(n,)")
    if a.shape != expected:
        raise ValueError(f"{name}: expected shape {labels} = {_shape_str(expected)}, got {_shape_str(a.shape)}")
    check_finite(name, a)
    return a.reshape(N, n)


def _gate(z):
    """sigma(z) in place, as (1 + tanh(z / 2)) / 2.

    Finite for any z and cheaper than exp with a sign test.  Its absolute
    error is below 2.3e-16 (a gate below about 1e-16 comes out as 0), which
    is what the gate's products with O(1) cell values can see.
    """
    z *= 0.5
    np.tanh(z, out=z)
    z += 1.0
    z *= 0.5
    return z


def forward(params: LSTMParams, X, *, g: str = "softmax", h0=None, c0=None) -> LSTMCache:
    """Run the LSTM over one sequence or a batch of sequences.

    Parameters
    ----------
    params : LSTMParams
    X : array_like of shape (T, m) or (N, T, m)
        One sequence x_1, ..., x_T, or N of them.
    g : {"softmax", "identity", "sigmoid", "tanh"}
        Output activation, as for :func:`rnnlib.forward`.
    h0, c0 : array_like of shape (n,) or (N, n), optional
        Initial hidden and cell states; 0 by default.

    Returns
    -------
    LSTMCache
        Every gate (..., T, n), the states c and h (..., T+1, n), u and y (..., T, k).

    Notes
    -----
    f_t = sigma(W_xf x_t + W_hf h_{t-1} + b_f), likewise i_t and o_t;
    c~_t = tanh(W_xc x_t + W_hc h_{t-1} + b_c); c_t = f_t * c_{t-1} + i_t * c~_t;
    h_t = o_t * tanh(c_t); u_t = W_hy h_t + b_y; y_t = g(u_t).  The
    computation runs in the wider of the input's and the parameters' dtypes:
    float32 in, float32 out.
    """
    _check_params(params)
    g_act = output_activation(g)
    X, batched = _as_sequences(params, X)
    N, T, m = X.shape
    n, k = params.n, params.k
    h_init = _initial_state("h0", h0, n, N, batched, X.dtype)
    c_init = _initial_state("c0", c0, n, N, batched, X.dtype)
    W_x, W_h, b = _stacked(params, X.dtype)
    W_hy, b_y = (a.astype(X.dtype, copy=False) for a in (params.W_hy, params.b_y))

    x = np.ascontiguousarray(np.swapaxes(X, 0, 1))  # time-major: x[t - 1] is x_t
    A = np.empty((T + 1, N, 4 * n), X.dtype)  # gate pre-activations, then the gates: f, i, c~, o
    c = np.empty((T + 1, N, n), X.dtype)
    h = np.empty((T + 1, N, n), X.dtype)
    A[0] = np.nan  # there are no gates at time 0
    c[0] = 0.0 if c_init is None else c_init
    h[0] = 0.0 if h_init is None else h_init
    # W_x* x_t + b_* for every gate, step and sequence in one product
    np.matmul(x.reshape(T * N, m), W_x.T, out=A[1:].reshape(T * N, 4 * n))
    A[1:] += b
    W_h_T = np.ascontiguousarray(W_h.T)  # (n, 4n)
    sig, cand = slice(0, 2 * n), slice(2 * n, 3 * n)  # f and i; c~
    for t in range(1, T + 1):
        A[t] += h[t - 1] @ W_h_T  # + W_h* h_{t-1}: four gates, one product
        a = A[t]
        _gate(a[:, sig])  # (lstm-f), (lstm-i)
        np.tanh(a[:, cand], out=a[:, cand])  # (lstm-cand)
        _gate(a[:, 3 * n :])  # (lstm-o)
        f_t, i_t = a[:, :n], a[:, n : 2 * n]
        c_tilde, o_t = a[:, cand], a[:, 3 * n :]
        c[t] = f_t * c[t - 1] + i_t * c_tilde  # (lstm-c)
        h[t] = o_t * np.tanh(c[t])  # (lstm-h)

    u = np.empty((T + 1, N, k), X.dtype)
    y = np.empty((T + 1, N, k), X.dtype)
    u[0] = y[0] = np.nan  # there is no u_0 or y_0
    np.matmul(h[1:].reshape(T * N, n), W_hy.T, out=u[1:].reshape(T * N, k))  # (lstm-y) for every t
    u[1:] += b_y
    g_act(u[1:], out=y[1:])
    return LSTMCache(x, A, c, h, u, y, g, batched)


# --- the backward pass ----------------------------------------------------------------


class LSTMSignals:
    """The error signals of the LSTM's backward pass.

    Attributes
    ----------
    e : ndarray of shape (T, k) or (N, T, k)
        Output errors e_t = dC/du_t.
    delta_h, delta_c : ndarrays of shape (T, n) or (N, T, n)
        dC/dh_t and dC/dc_t: the signals of the two states, each the total
        over every path from the state to the cost.
    delta_f, delta_i, delta_c_tilde, delta_o : ndarrays of shape (T, n) or (N, T, n)
        dC/da^q_t for the pre-activation a^q_t of each layer q.

    Notes
    -----
    Views of time-major buffers in which row t is time t; row 0 is NaN.
    ``delta_tm`` (T+1, N, 4n) holds the four gates' signals side by side in
    the order f, i, c~, o.
    """

    def __init__(self, e_tm, delta_h_tm, delta_c_tm, delta_tm, cache: LSTMCache, W_h=None):
        self.e_tm, self.delta_h_tm, self.delta_c_tm, self.delta_tm = e_tm, delta_h_tm, delta_c_tm, delta_tm
        self._cache, self._W_h = cache, W_h  # W_h: the stacked (4n, n) recurrent weights, for delta_h0

    def _gate(self, a):
        n = self.delta_h_tm.shape[2]
        j = GATES.index(a)
        return self._cache.user_layout(self.delta_tm[1:, :, j * n : (j + 1) * n])

    e = property(lambda self: self._cache.user_layout(self.e_tm[1:]))
    delta_h = property(lambda self: self._cache.user_layout(self.delta_h_tm[1:]))
    delta_c = property(lambda self: self._cache.user_layout(self.delta_c_tm[1:]))
    delta_f = property(lambda self: self._gate("f"))
    delta_i = property(lambda self: self._gate("i"))
    delta_c_tilde = property(lambda self: self._gate("c"))
    delta_o = property(lambda self: self._gate("o"))

    @property
    def delta_h0(self) -> np.ndarray:
        """dC/dh_0, shape (n,) or (N, n): sum_q W_hq^T delta^q_1, eq. (lstm-dh) without an output term.

        ``delta_h`` has no row for time 0 (its row 0 is delta^h_1); this is
        the signal of the initial state, as ``delta_h[0]`` is for the GRU.
        """
        if self._W_h is None:
            raise AttributeError("delta_h0: these signals were not computed by rnnlib.gated.lstm.backward")
        return self._cache.user_layout((self.delta_tm[1] @ self._W_h)[None])[..., 0, :]

    @property
    def delta_c0(self) -> np.ndarray:
        """dC/dc_0, shape (n,) or (N, n): delta^c_1 * f_1, the cell path into step 1."""
        n = self.delta_h_tm.shape[2]
        return self._cache.user_layout((self.delta_c_tm[1] * self._cache.gates_tm[1, :, :n])[None])[..., 0, :]


def _check_cache(params: LSTMParams, cache) -> LSTMCache:
    if not isinstance(cache, LSTMCache):
        raise TypeError(f"cache: expected the LSTMCache returned by rnnlib.gated.lstm.forward, got {type(cache).__name__}")
    m, n, k = cache.x_tm.shape[2], cache.h_tm.shape[2], cache.y_tm.shape[2]
    if params is not None and (params.m, params.n, params.k) != (m, n, k):
        raise ValueError(
            f"cache: expected a forward pass of params with (m, n, k) = {(params.m, params.n, params.k)}, "
            f"got one with {(m, n, k)}"
        )
    return cache


def _backward_tm(params: LSTMParams, cache: LSTMCache, e: np.ndarray) -> LSTMSignals:
    """(lstm-dh) to (lstm-dcand) for t = T, ..., 1, given e time-major with T + 1 rows."""
    T, N, n, k = cache.T, cache.N, params.n, params.k
    dtype = cache.dtype
    _, W_h, _ = _stacked(params, dtype)  # (4n, n)
    W_hy = params.W_hy.astype(dtype, copy=False)
    A, c, h = cache.gates_tm, cache.c_tm, cache.h_tm

    dh = np.empty((T + 1, N, n), dtype)
    dc = np.empty((T + 1, N, n), dtype)
    D = np.empty((T + 1, N, 4 * n), dtype)  # delta^f, delta^i, delta^c~, delta^o side by side
    dh[0] = dc[0] = D[0] = np.nan  # there is no step 0
    np.matmul(e[1:].reshape(T * N, k), W_hy, out=dh[1:].reshape(T * N, n))  # W_hy^T e_t for every t
    for t in range(T, 0, -1):
        f_t, i_t, c_tilde, o_t = (A[t, :, j * n : (j + 1) * n] for j in range(4))
        if t < T:  # delta_{T+1} = 0: nothing flows back into the last step
            dh[t] += D[t + 1] @ W_h  # (lstm-dh): + sum_q W_hq^T delta^q_{t+1}
        tanh_c = np.tanh(c[t])
        dc[t] = dh[t] * o_t * (1 - tanh_c**2)  # (lstm-dc): through h_t, ...
        if t < T:
            dc[t] += dc[t + 1] * A[t + 1, :, :n]  # ... and the cell path, f_{t+1}
        D[t, :, 3 * n :] = dh[t] * tanh_c * o_t * (1 - o_t)  # (lstm-do)
        D[t, :, :n] = dc[t] * c[t - 1] * f_t * (1 - f_t)  # (lstm-df)
        D[t, :, n : 2 * n] = dc[t] * c_tilde * i_t * (1 - i_t)  # (lstm-di)
        D[t, :, 2 * n : 3 * n] = dc[t] * i_t * (1 - c_tilde**2)  # (lstm-dcand)
    return LSTMSignals(e, dh, dc, D, cache, W_h=W_h)


def _user_to_tm(cache: LSTMCache, name: str, a) -> np.ndarray:
    labels = "(N, T, k)" if cache.batched else "(T, k)"
    a = as_float_array(name, a, dtype=cache.dtype)
    if a.shape != cache.y.shape:
        raise ValueError(
            f"{name}: expected shape {labels} = {_shape_str(cache.y.shape)} like y, got {_shape_str(a.shape)}"
        )
    check_finite(name, a)
    a = a.astype(cache.dtype, copy=False)
    return np.swapaxes(a, 0, 1) if cache.batched else a[:, None, :]


def backward(params: LSTMParams, cache: LSTMCache, dC_dy=None, *, e=None) -> LSTMSignals:
    """The backward pass: every error signal for t = T, ..., 1.

    Parameters
    ----------
    params : LSTMParams
        The parameters the forward pass used.
    cache : LSTMCache
        From :func:`forward`.
    dC_dy : array_like of shape (T, k) or (N, T, k), optional
        Gradient of the cost with respect to the outputs y_t.
    e : array_like of shape (T, k) or (N, T, k), optional
        The output errors dC/du_t, if already known (give this or ``dC_dy``).

    Returns
    -------
    LSTMSignals
        e (..., T, k); delta_h, delta_c and the four gates' delta_* (..., T, n).

    Notes
    -----
    e_t = J_g(u_t)^T dC/dy_t;
    delta^h_t = W_hy^T e_t + sum_q W_hq^T delta^q_{t+1};
    delta^c_t = delta^h_t * o_t * (1 - tanh^2 c_t) + delta^c_{t+1} * f_{t+1};
    delta^o_t = delta^h_t * tanh(c_t) * o_t (1 - o_t);
    delta^f_t = delta^c_t * c_{t-1} * f_t (1 - f_t);
    delta^i_t = delta^c_t * c~_t * i_t (1 - i_t);
    delta^c~_t = delta^c_t * i_t * (1 - c~_t^2); all signals at T + 1 are 0.
    """
    _check_params(params)
    _check_cache(params, cache)
    if (dC_dy is None) == (e is None):
        raise ValueError("dC_dy, e: expected exactly one of them, got " + ("neither" if e is None else "both"))
    e_tm = np.empty_like(cache.y_tm)
    e_tm[0] = np.nan  # there is no e_0
    if e is not None:
        e_tm[1:] = _user_to_tm(cache, "e", e)
    else:
        d = _user_to_tm(cache, "dC_dy", dC_dy)
        e_tm[1:] = output_activation(cache.g).vjp(cache.u_tm[1:], cache.y_tm[1:], d)
    return _backward_tm(params, cache, e_tm)


def gradients(cache: LSTMCache, signals: LSTMSignals) -> LSTMParams:
    """The fourteen gradients from the error signals.

    Returns
    -------
    LSTMParams
        dC/dW_xq (n, m), dC/dW_hq (n, n), dC/db_q (n,) for each layer q, and
        dC/dW_hy (k, n), dC/db_y (k,).

    Notes
    -----
    Sums over t = 1, ..., T and over the sequences of the batch::

        dC/dW_xq = sum_t delta^q_t x_t^T,  dC/dW_hq = sum_t delta^q_t h_{t-1}^T,
        dC/db_q = sum_t delta^q_t,  dC/dW_hy = sum_t e_t h_t^T,  dC/db_y = sum_t e_t.

    The four gates' blocks are one stacked product each.
    """
    _check_cache(None, cache)
    if not isinstance(signals, LSTMSignals):
        raise TypeError(
            f"signals: expected the LSTMSignals returned by rnnlib.gated.lstm.backward, got {type(signals).__name__}"
        )
    T, x, h = cache.T, cache.x_tm, cache.h_tm
    n, m, k = h.shape[2], x.shape[2], signals.e_tm.shape[2]
    D = signals.delta_tm[1:].reshape(-1, 4 * n)  # rows: the four layers' delta^q_t of every (t, sequence)
    E = signals.e_tm[1:].reshape(-1, k)
    dW_x = D.T @ x.reshape(-1, m)  # (4n, m): sum_t delta^q_t x_t^T, every layer
    dW_h = D.T @ h[0:T].reshape(-1, n)  # (4n, n): sum_t delta^q_t h_{t-1}^T
    db = D.sum(axis=0)
    grads = {}
    for j, a in enumerate(GATES):
        rows = slice(j * n, (j + 1) * n)
        grads[f"W_x{a}"], grads[f"W_h{a}"], grads[f"b_{a}"] = dW_x[rows], dW_h[rows], db[rows]
    grads["W_hy"] = E.T @ h[1:].reshape(-1, n)  # sum_t e_t h_t^T
    grads["b_y"] = E.sum(axis=0)
    return LSTMParams(**grads)


def loss_and_grad(params: LSTMParams, X, Y, *, loss: str = "mse", g: str = "softmax", h0=None, c0=None):
    """The cost and its gradient with respect to every parameter.

    Parameters
    ----------
    params : LSTMParams
    X : array_like of shape (T, m) or (N, T, m)
    Y : array_like of shape (T, k) or (N, T, k)
        Desired outputs (y-hat in the notes), shaped like the outputs y.
    loss : {"mse", "cross_entropy"}
        Per-step cost, as for :func:`rnnlib.loss_and_grad`.
    g : {"softmax", "identity", "sigmoid", "tanh"}
    h0, c0 : array_like of shape (n,) or (N, n), optional
        Initial states, 0 by default; treated as constants.

    Returns
    -------
    C : float
        (1/N) sum_i sum_{t=1}^T C_t^(i), exactly as for the RNN.
    grads : LSTMParams
        The batch average (1/N) sum_i grad C^(i), in the dtype of the computation.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnlib.gated import lstm
    >>> rng = np.random.default_rng(0)
    >>> params = lstm.init_params(m=3, n=5, k=2, rng=rng)
    >>> X = rng.normal(size=(4, 7, 3))                      # N=4 sequences, T=7
    >>> Y = rng.normal(size=(4, 7, 2))
    >>> C, grads = lstm.loss_and_grad(params, X, Y, g="identity")
    >>> grads.W_hf.shape
    (5, 5)
    """
    _check_params(params)
    check_loss(loss, g)
    cache = forward(params, X, g=g, h0=h0, c0=c0)
    C, e = cost_and_error_tm(cache.output_layer(), Y, loss)  # the RNN's cost and e_t
    return C, gradients(cache, _backward_tm(params, cache, e))


def loss_grad_and_state(params: LSTMParams, X, Y, *, loss: str = "mse", g: str = "softmax", h0=None, c0=None):
    """:func:`loss_and_grad`, and also the last states h_T and c_T.

    For training on a long sequence cut into chunks: pass the returned states
    as ``h0`` and ``c0`` of the next chunk (truncated BPTT with carried
    states), as :func:`rnnlib.backprop.loss_grad_and_state` does for the RNN.

    Parameters
    ----------
    params, X, Y, loss, g, h0, c0
        As for :func:`loss_and_grad`.

    Returns
    -------
    C : float
    grads : LSTMParams
    h_T, c_T : ndarrays of shape (n,) or (N, n)
        The hidden and cell states after the last step, copies (not views of
        the cache).
    """
    _check_params(params)
    check_loss(loss, g)
    cache = forward(params, X, g=g, h0=h0, c0=c0)
    h_T, c_T = cache.h[..., -1, :].copy(), cache.c[..., -1, :].copy()
    C, e = cost_and_error_tm(cache.output_layer(), Y, loss)
    return C, gradients(cache, _backward_tm(params, cache, e)), h_T, c_T


# --- the same jobs as rnnlib.gated.gru: the cost of a forward pass, the output layer alone ---


def cost(cache: LSTMCache, Y, *, loss: str = "mse") -> float:
    """The cost C = (1/N) sum_i sum_{t=1}^T C_t^(i) of a forward pass, exactly as :func:`rnnlib.cost`.

    Parameters
    ----------
    cache : LSTMCache
        From :func:`forward`.
    Y : array_like of shape (T, k) or (N, T, k)
        Desired outputs (y-hat in the notes), shaped like ``cache.y``.
    loss : {"mse", "cross_entropy"}
        ``"cross_entropy"`` needs the forward pass's g to be softmax.

    Returns
    -------
    float

    Notes
    -----
    The same number as ``rnnlib.cost(cache.output_layer(), Y, loss=loss)``
    and as :func:`rnnlib.gated.gru.cost` for a GRU's forward pass.
    """
    from ..losses import cost as _rnn_cost

    return _rnn_cost(_check_cache(None, cache).output_layer(), Y, loss=loss)


def readout(params: LSTMParams, H, *, g: str = "softmax") -> ForwardCache:
    """The output layer alone on given hidden states: u_t = W_hy h_t + b_y, y_t = g(u_t).

    For a cost as a function of a state: the output of step t depends on
    h_t only, so ``rnnlib.cost(readout(params, h_t[None]), Y[t - 1 : t])`` is
    C_t, whatever h_t is.

    Parameters
    ----------
    params : LSTMParams
        Only W_hy (k, n) and b_y (k,) are used.
    H : array_like of shape (T, n) or (N, T, n)
        Hidden states h_1, ..., h_T.
    g : {"softmax", "identity", "sigmoid", "tanh"}

    Returns
    -------
    rnnlib.ForwardCache
        Its ``o`` (..., T, k) is u_t and its ``y`` (..., T, k) is y_t, as in
        :meth:`LSTMCache.output_layer`, so that :func:`rnnlib.cost`,
        :func:`rnnlib.per_step_cost` and :func:`rnnlib.output_error` take it;
        ``h`` (..., T+1, n) is H under a NaN row for the h_0 not given, ``x``
        has no columns.

    Notes
    -----
    Eq. (lstm-y); the same function as :func:`rnnlib.gated.gru.readout`.
    """
    from ..forward_pass import readout_cache

    _check_params(params)
    return readout_cache(params, H, g, "lstm")
