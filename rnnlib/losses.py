"""The cost C and the output error signal e_t = dC/do_t.

The cost of one sequence sums a per-step cost over the timesteps that have an
output, t = 1, ..., T (the notes write the sum from t = 0, but there is no
y_0: the network produces its first output after reading x_1).  Over a batch
of N sequences the cost is the average

    C = (1/N) sum_i sum_{t=1}^T C_t^(i),

so that its gradient is the notes' batch average (1/N) sum_i grad C^(i).
Here Y is the desired output, written y-hat in the notes.

Per-step costs:

* ``"mse"``: C_t = 1/2 ||y_t - Y_t||^2, so dC_t/dy_t = y_t - Y_t.
* ``"cross_entropy"``: C_t = -sum_j Y_j log y_j, for g = softmax only, and Y_t
  a probability vector (one-hot or soft).  Computed as -sum_j Y_j
  log_softmax(o_t)_j, exact at any finite logits (terms with Y_j = 0 are 0).

The output error e_t = J_g(o_t)^T dC/dy_t.  For softmax with cross-entropy
it simplifies to e_t = y_t - Y_t, which is also the numerically safe way to
compute it (dC/dy = -Y/y divides by probabilities that may underflow).
"""

from __future__ import annotations

import numpy as np

from ._checks import _shape_str, as_float_array, check_choice, check_finite
from .activations import _cross_entropy as cross_entropy  # the kernel: o comes from the forward pass
from .activations import output_activation
from .forward_pass import ForwardCache

__all__ = ["LOSSES", "check_loss", "per_step_cost", "cost", "cost_gradient_y", "output_error"]

LOSSES = ("mse", "cross_entropy")


def check_cache(cache) -> ForwardCache:
    """Raise TypeError unless ``cache`` is what :func:`rnnlib.forward` returns."""
    if not isinstance(cache, ForwardCache):
        raise TypeError(f"cache: expected the ForwardCache returned by rnnlib.forward, got {type(cache).__name__}")
    return cache


def check_loss(loss: str, g: str) -> str:
    """Raise ValueError for an unknown loss or one that does not fit the output activation g."""
    check_choice("loss", loss, LOSSES)
    if loss == "cross_entropy" and g != "softmax":
        raise ValueError(
            f"loss: 'cross_entropy' expects g='softmax' (it is the log-probability of a distribution), got g={g!r}"
        )
    return loss


def check_targets(Y, expected: tuple, labels: str, loss: str, dtype, *, like: str = "") -> np.ndarray:
    """Validate a whole array of desired outputs Y and return it as a float array.

    Y must have exactly the shape ``expected`` (``labels`` names its axes,
    ``like`` says where the shape comes from),
    finite entries and, for cross-entropy, rows that are probability vectors.
    Integer Y is converted to ``dtype``; floating Y keeps the wider precision.
    """
    given = np.asarray(Y).dtype if isinstance(Y, np.ndarray) else None
    Y = as_float_array("Y", Y, dtype=dtype)
    given = Y.dtype if given is None else given
    if Y.shape != tuple(expected):
        raise ValueError(f"Y: expected shape {labels} = {_shape_str(expected)}{like}, got {_shape_str(Y.shape)}")
    check_finite("Y", Y)
    if loss == "cross_entropy" and Y.size:
        if np.any(Y < 0):
            raise ValueError(f"Y: cross_entropy expects probabilities >= 0, got a minimum of {Y.min()}")
        sums = Y.sum(axis=-1)
        # room for the rounding of soft labels, in the precision they were given
        # in, but never more than 1e-2 (float16's eps is about 1e-3)
        tol = min(1e3 * np.finfo(given if given.kind == "f" else dtype).eps, 1e-2)
        worst = np.max(np.abs(sums - 1))
        if worst > tol:
            raise ValueError(f"Y: cross_entropy expects each Y_t to sum to 1, got a sum off by {worst:.3g}")
    return Y


def target_tm(cache: ForwardCache, Y, loss: str) -> np.ndarray:
    """Validate the desired output Y against the forward pass and return it time-major (T, N, k)."""
    labels = "(N, T, k)" if cache.batched else "(T, k)"
    Y = check_targets(Y, cache.y.shape, labels, loss, cache.dtype, like=" like y")
    return np.swapaxes(Y, 0, 1) if cache.batched else Y[:, None, :]


def per_step_cost_tm(cache: ForwardCache, Y_tm: np.ndarray, loss: str) -> np.ndarray:
    """C_t for t = 1..T, time-major (T, N)."""
    if loss == "mse":
        return 0.5 * np.sum((cache.y_tm[1:] - Y_tm) ** 2, axis=-1)
    return cross_entropy(Y_tm, cache.o_tm[1:])  # -sum_j Y_j log_softmax(o_t)_j


def per_step_cost(cache: ForwardCache, Y, *, loss: str = "mse") -> np.ndarray:
    """The per-step costs C_t, t = 1, ..., T.

    Parameters
    ----------
    cache : ForwardCache
        From :func:`rnnlib.forward`.
    Y : array_like of shape (T, k) or (N, T, k)
        Desired outputs (y-hat in the notes), shaped like ``cache.y``.
    loss : {"mse", "cross_entropy"}

    Returns
    -------
    ndarray of shape (T,) or (N, T)
    """
    check_loss(loss, check_cache(cache).g)
    C_t = per_step_cost_tm(cache, target_tm(cache, Y, loss), loss)
    return C_t.T if cache.batched else C_t[:, 0]


def cost(cache: ForwardCache, Y, *, loss: str = "mse") -> float:
    """The cost C = (1/N) sum_i sum_{t=1}^T C_t^(i) (for one sequence, N = 1)."""
    check_loss(loss, check_cache(cache).g)
    return float(np.sum(per_step_cost_tm(cache, target_tm(cache, Y, loss), loss)) / cache.N)


def dC_dy_tm(cache: ForwardCache, Y_tm: np.ndarray, loss: str) -> np.ndarray:
    y = cache.y_tm[1:]
    if loss == "mse":
        return (y - Y_tm) / cache.N
    # -Y_j / y_j; where Y_j = 0 the derivative is exactly (-)0 even if y_j has
    # underflowed to 0, where Y_j > 0 and y_j = 0 it is -inf: see output_error
    ratio = np.divide(-Y_tm, y, out=np.full_like(y, -0.0), where=Y_tm != 0)
    return ratio / cache.N


def cost_gradient_y(cache: ForwardCache, Y, *, loss: str = "mse") -> np.ndarray:
    """dC/dy_t for the batch-averaged cost C, shaped like ``cache.y``.

    For ``"mse"`` this is (y_t - Y_t) / N.  For ``"cross_entropy"`` it is
    -Y_t / y_t / N: exactly 0 where Y_t is 0, and infinite where a target
    probability is positive but y_t has underflowed to 0; :func:`output_error`
    avoids it.
    """
    check_loss(loss, check_cache(cache).g)
    d = dC_dy_tm(cache, target_tm(cache, Y, loss), loss)
    return np.swapaxes(d, 0, 1) if cache.batched else d[:, 0]


def output_error_tm(cache: ForwardCache, Y_tm: np.ndarray, loss: str, out=None) -> np.ndarray:
    """e_t = dC/do_t, time-major with T + 1 rows (row 0, for which there is no o_0, is NaN).

    ``out``, if given, receives the result and may be ``cache.o_tm``: once the
    cost is known, o is not needed again.
    """
    e = np.empty_like(cache.y_tm) if out is None else out
    e[0] = np.nan
    y = cache.y_tm[1:]
    np.subtract(y, Y_tm, out=e[1:])  # mse: dC_t/dy_t;  softmax + cross-entropy: already e_t
    e[1:] /= cache.N  # the batch average
    if loss == "mse":
        output_activation(cache.g).vjp(None, y, e[1:], out=e[1:])  # J_g(o_t)^T dC/dy_t
    return e


def output_error(cache: ForwardCache, Y, *, loss: str = "mse") -> np.ndarray:
    """The output error signal e_t = dC/do_t = J_g(o_t)^T dC/dy_t.

    Parameters
    ----------
    cache : ForwardCache
    Y : array_like of shape (T, k) or (N, T, k)
        Desired outputs, shaped like ``cache.y``.
    loss : {"mse", "cross_entropy"}

    Returns
    -------
    e : ndarray of shape (T, k) or (N, T, k)
        For the batch-averaged cost, so each e_t carries the factor 1/N.

    Notes
    -----
    For an element-wise g, J_g is diagonal and e_t = dC/dy_t * g'(o_t) as in
    the notes.  For softmax, e_t = y_t * (d_t - <y_t, d_t>) with d_t = dC/dy_t;
    with cross-entropy this is exactly (y_t - Y_t) / N.
    """
    check_loss(loss, check_cache(cache).g)
    e = output_error_tm(cache, target_tm(cache, Y, loss), loss)[1:]
    return np.swapaxes(e, 0, 1) if cache.batched else e[:, 0]


def cost_and_error_tm(cache: ForwardCache, Y, loss: str, out=None):
    """C and e_t together, e time-major with T + 1 rows: what one training step needs.

    ``out`` is passed on to :func:`output_error_tm`.
    """
    check_loss(loss, cache.g)
    Y_tm = target_tm(cache, Y, loss)
    if loss == "cross_entropy":  # the cost reads o, so it comes before e may overwrite o
        C = float(np.sum(per_step_cost_tm(cache, Y_tm, loss)) / cache.N)
        return C, output_error_tm(cache, Y_tm, loss, out=out)
    e = np.empty_like(cache.y_tm) if out is None else out
    e[0] = np.nan
    d = np.subtract(cache.y_tm[1:], Y_tm, out=e[1:])  # d_t = y_t - Y_t = dC_t/dy_t, for every t
    C = 0.5 * float(np.vdot(d, d)) / cache.N  # (1/N) sum_t 1/2 ||d_t||^2
    d /= cache.N  # the batch average
    output_activation(cache.g).vjp(None, cache.y_tm[1:], d, out=d)  # J_g(o_t)^T dC/dy_t
    return C, e
