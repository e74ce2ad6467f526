"""The cheapest set of sites reaching a target: cost minimised, reach a constraint.

The mirror of maximal covering with a budget: where the economic case prices each
candidate (its indicative capital, or net present cost), this asks which sites reach at
least ``target`` of the unmet need for the least total cost. Solved exactly with HiGHS.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from estate_planner._errors import InfeasibleError
from estate_planner.access import within
from estate_planner.optimise._base import (
    Selection,
    as_sparse,
    chosen_and_gap,
    constraint,
    run_milp,
)
from estate_planner.optimise.coverage import Coverage, unmet_weights
from estate_planner.optimise.heuristics import order_by_gain

__all__ = ["cheapest_share", "cheapest_sites"]


def cheapest_sites(
    times: sp.spmatrix | np.ndarray,
    weights: np.ndarray,
    costs: np.ndarray,
    target: float,
    *,
    threshold: float,
    fixed: sp.spmatrix | np.ndarray | None = None,
    eligible: np.ndarray | None = None,
    most: int | None = None,
    time_limit: float = 60.0,
) -> Selection:
    """The least-cost set of sites whose reach of unmet need is at least ``target``.

    Parameters
    ----------
    times : scipy.sparse matrix or numpy.ndarray
        Sites x demand points, seconds.
    weights : numpy.ndarray
        Need (or people) per demand point.
    costs : numpy.ndarray
        Cost per site (£; e.g. the economic case's capital or net present cost).
    target : float
        The unmet need (or people) the sites must reach together, in ``weights``' unit.
    threshold : float
        Seconds within which a site reaches a point.
    fixed : scipy.sparse matrix or numpy.ndarray, optional
        Existing services x demand points: what they reach is not unmet.
    eligible : numpy.ndarray of bool, optional
        Sites that may be chosen (default all).
    most : int, optional
        The most sites the set may hold (default no limit).
    time_limit : float
        Seconds for HiGHS.

    Returns
    -------
    Selection
        ``value`` is the total cost; ``gains`` each chosen site's cost, dearest first.

    Raises
    ------
    InfeasibleError
        If even every eligible site together cannot reach ``target``, or a cost is
        missing, or HiGHS finds no solution in time.
    """
    matrix = as_sparse(times)
    n, m = matrix.shape
    weights = np.asarray(weights, dtype=float)
    costs = np.asarray(costs, dtype=float)
    eligible = np.ones(n, dtype=bool) if eligible is None else np.asarray(eligible, dtype=bool)
    if np.isnan(costs[eligible]).any():
        raise InfeasibleError(
            "some eligible sites have no cost; give every site a cost or exclude those sites"
        )
    unmet = unmet_weights(weights, threshold, None if fixed is None else as_sparse(fixed))
    reach = within(matrix, threshold)
    reach = sp.csr_matrix(reach.multiply(eligible[:, None]))
    possible = float(unmet[np.asarray(reach.sum(axis=0)).ravel() > 0].sum())
    if target > possible + 1e-9:
        raise InfeasibleError(
            f"the eligible sites together reach {possible:,.0f} of unmet need, below the "
            f"target {target:,.0f}; lower the target or add candidates"
        )
    # variables: y (n sites, integer), z (m points, share reached)
    c = np.concatenate([np.where(eligible, costs, 0.0), np.zeros(m)])
    coo = reach.tocoo()
    link = sp.csr_matrix(
        (
            np.r_[np.ones(m), -np.ones(coo.nnz)],
            (np.r_[np.arange(m), coo.col], np.r_[n + np.arange(m), coo.row]),
        ),
        shape=(m, n + m),
    )
    enough = sp.csr_matrix(np.concatenate([np.zeros(n), unmet])[None, :])
    rows = [constraint(link, -np.inf, 0), constraint(enough, target, np.inf)]
    if most is not None:
        count = sp.csr_matrix(np.concatenate([np.ones(n), np.zeros(m)])[None, :])
        rows.append(constraint(count, 0, most))
    upper = np.concatenate([eligible.astype(float), np.ones(m)])
    result = run_milp(c, rows, np.zeros(n + m), upper, n, time_limit)
    if result is None:
        raise InfeasibleError(
            f"HiGHS found no solution in {time_limit:g} s"
            + (f" with at most {most} sites; raise selection.hubs or" if most else ";")
            + " raise selection.time_limit_s"
        )
    chosen, gap = chosen_and_gap(result, n)
    order = sorted(chosen, key=lambda j: (-costs[j], j))
    return Selection(
        order,
        float(costs[chosen].sum()),
        gap,
        "exact least cost for a target (HiGHS)",
        gains=[float(costs[j]) for j in order],
        objective="coverage",
    )


def cheapest_share(
    times: sp.spmatrix | np.ndarray,
    weights: np.ndarray,
    costs: np.ndarray,
    share: float,
    *,
    threshold: float,
    fixed: sp.spmatrix | np.ndarray | None = None,
    eligible: np.ndarray | None = None,
    most: int | None = None,
    time_limit: float = 60.0,
) -> Selection:
    """The least-cost set reaching ``share`` of the unmet need, as a coverage answer.

    Parameters
    ----------
    times, weights, costs, threshold, fixed, eligible, most, time_limit
        As :func:`cheapest_sites`.
    share : float
        The share of the unmet need (need no fixed service reaches) to reach, 0 to 1.

    Returns
    -------
    Selection
        ``chosen`` in order of marginal gain with ``gains``; ``value`` the need newly
        reached; ``method`` says the total cost.

    Raises
    ------
    InfeasibleError
        As :func:`cheapest_sites`.
    """
    matrix = as_sparse(times)
    weights = np.asarray(weights, dtype=float)
    fixed_m = None if fixed is None else as_sparse(fixed)
    unmet = float(unmet_weights(weights, threshold, fixed_m).sum())
    found = cheapest_sites(
        matrix, weights, costs, share * unmet, threshold=threshold, fixed=fixed_m,
        eligible=eligible, most=most, time_limit=time_limit,
    )  # fmt: skip
    problem = Coverage(matrix, weights, threshold, fixed_m)
    order, gains = order_by_gain(problem, found.chosen)
    return Selection(
        order,
        problem.value(order),
        found.gap,
        f"least cost reaching {share:.0%} of the unmet need (HiGHS): {found.value:,.0f} in all",
        gains,
        objective="coverage",
    )
