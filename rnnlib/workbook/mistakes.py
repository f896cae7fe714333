"""The catalogue of mistakes the checker can name.

Each entry says what the mistake is and where to look, without giving the
code.  Its reference implementation is the matching switch of
:mod:`rnnlib.workbook.variants` (``bug=<key>``), which the checker runs on the
learner's problems to see whether the learner's output is exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Mistake", "MISTAKES"]


@dataclass(frozen=True)
class Mistake:
    """One catalogued mistake.

    Attributes
    ----------
    key : str
        Its name, the ``bug`` switch of :mod:`rnnlib.workbook.variants`.
    description : str
        What the wrong code computes.
    hint : str
        The equation to look at again.
    """

    key: str
    description: str
    hint: str


_CATALOGUE = [
    Mistake(
        "h_t_in_z",
        "z_t is computed from h_t instead of h_{t-1}; h_t is not known yet "
        "(still 0), so the recurrence W_hh h_{t-1} is lost.",
        "In z_t = W_hh h_{t-1} + W_xh x_t + b_h the state is the previous "
        "one; h has a row for h_0, so h_{t-1} is row t - 1.",
    ),
    Mistake(
        "h0_not_zero",
        "The initial state h_0 is not 0 (filled with ones).",
        "The notes start every sequence from h_0 = 0.",
    ),
    Mistake(
        "h0_carried_over",
        "The last state of one sequence is used as h_0 of the next one.",
        "Each sequence of a batch is a separate input: every one starts "
        "from h_0 = 0.",
    ),
    Mistake(
        "e_without_g_prime",
        "e_t = dC_t/dy_t: the factor g'(o_t) (the Jacobian of g) is missing.",
        "e_t is the derivative with respect to o_t, not y_t: the chain rule "
        "goes through y_t = g(o_t).",
    ),
    Mistake(
        "e_sign_flipped",
        "e_t has the wrong sign (target minus output).",
        "For the squared error dC_t/dy_t = y_t - ŷ_t: output minus target.",
    ),
    Mistake(
        "elementwise_softmax",
        "For softmax, e_t = dC_t/dy_t ⊙ y_t(1 - y_t): only the diagonal of "
        "the softmax Jacobian is used.",
        "Each y_j of a softmax depends on every o_l: e_t = J_g(o_t)^T "
        "dC_t/dy_t with J_jl = y_j (1[j = l] - y_l).",
    ),
    Mistake(
        "no_future_term",
        "δ_t = W_hy^T e_t ⊙ f'(z_t): the term from the future, "
        "W_hh^T δ_{t+1}, is dropped.",
        "h_t influences the cost through o_t and through z_{t+1}: "
        "δ_t = (W_hy^T e_t + W_hh^T δ_{t+1}) ⊙ f'(z_t).",
    ),
    Mistake(
        "fprime_of_z_as_h",
        "f'(z_t) is evaluated with the formula in terms of h applied to z "
        "(1 - z_t² for tanh instead of 1 - h_t²).",
        "f'(z_t) for tanh is 1 - tanh(z_t)² = 1 - h_t²; for the sigmoid it "
        "is σ(z_t)(1 - σ(z_t)) = h_t(1 - h_t).",
    ),
    Mistake(
        "W_hh_not_transposed",
        "The recursion multiplies δ_{t+1} by W_hh instead of W_hh^T.",
        "δ_i^(t) sums w_ji^(hh) δ_j^(t+1) over j: the transpose.",
    ),
    Mistake(
        "recursion_starts_late",
        "The backward loop starts at T - 1, so δ_T is left at 0 (the "
        "recursion started at the wrong step).",
        "The recursion runs t = T, T-1, ..., 1 starting from δ_{T+1} = 0, "
        "so δ_T = W_hy^T e_T ⊙ f'(z_T).",
    ),
    Mistake(
        "recursion_runs_forward",
        "δ_t is computed from δ_{t-1}, running forward in time like the "
        "forward pass.",
        "The error flows backward: δ_t needs δ_{t+1}, so the loop runs "
        "from t = T down to 1.",
    ),
    Mistake(
        "h_t_for_h_prev",
        "∇W_hh C = Σ_t δ_t h_t^T: h_t where h_{t-1} belongs.",
        "W_hh multiplies h_{t-1} in z_t, so ∇W_hh C = Σ_t δ_t h_{t-1}^T.",
    ),
    Mistake(
        "h_prev_for_h_t",
        "∇W_hy C = Σ_t e_t h_{t-1}^T: h_{t-1} where h_t belongs.",
        "o_t = W_hy h_t + b_y, so ∇W_hy C = Σ_t e_t h_t^T.",
    ),
    Mistake(
        "outer_product_reversed",
        "The outer product is reversed: h δ^T instead of δ h^T (the "
        "transpose of the gradient).",
        "∂C/∂w_ij = Σ_t δ_i^(t) h_j^(t-1): the row index i belongs to δ.",
    ),
    Mistake(
        "gradient_overwritten",
        "Each gradient holds the last timestep's term only: overwritten "
        "(=) instead of summed (+=) over t.",
        "The weights are shared by all timesteps, so every gradient is a "
        "sum over t = 1, ..., T.",
    ),
    Mistake(
        "sum_misses_first_step",
        "The sum over t leaves out t = 1 (it starts one step late).",
        "The sums run over t = 1, ..., T; with 0-based rows that is every "
        "row of e and δ.",
    ),
    Mistake(
        "sum_misses_last_step",
        "The sum over t leaves out t = T (it ends at T - 1).",
        "The sums run over t = 1, ..., T; range(a, b) stops before b.",
    ),
    Mistake(
        "no_batch_average",
        "The gradients of the N sequences are summed, not averaged.",
        "∇C = (1/N) Σ_i ∇C^(i).",
    ),
    Mistake(
        "update_sign_flipped",
        "The update adds the gradient (v + α∇C): gradient ascent.",
        "The step goes against the gradient: v' = v - α∇C.",
    ),
    Mistake(
        "vec_column_order",
        "The matrices are read column by column (numpy order='F' or a "
        "transpose) instead of row by row.",
        "vec(W) in the notes lists w_11, w_12, ..., w_1m, w_21, ...: row by row.",
    ),
]

#: every catalogued mistake, by key
MISTAKES = {m.key: m for m in _CATALOGUE}
