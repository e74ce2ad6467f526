"""Maximal covering with a capacity: no hub serves more than a given number of people."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from estate_planner._errors import InfeasibleError
from estate_planner.access import within
from estate_planner.optimise._base import (
    Request,
    Selection,
    as_sparse,
    chosen_and_gap,
    constraint,
    run_milp,
    site_constraints,
)
from estate_planner.optimise.coverage import unmet_weights
from estate_planner.optimise.median import MAX_EXACT_PAIRS


def capacitated_coverage(
    times: sp.spmatrix | np.ndarray,
    weights: np.ndarray,
    k: int,
    capacity: float,
    *,
    threshold: float,
    fixed: sp.spmatrix | np.ndarray | None = None,
    eligible: np.ndarray | None = None,
    costs: np.ndarray | None = None,
    budget: float | None = None,
    forced: list[int] | None = None,
    time_limit: float = 60.0,
    load: np.ndarray | None = None,
) -> Selection:
    """Maximal covering where one hub can serve at most ``capacity`` people.

    Unmet need within the threshold of a chosen hub is assigned to hubs (a demand
    point may be split between hubs, as it stands for many people) without any hub
    taking more than ``capacity``. Solved exactly with HiGHS.

    Parameters
    ----------
    times, weights, k, threshold, fixed, eligible, costs, budget, forced, time_limit
        As :func:`~estate_planner.optimise.select_sites`.
    capacity : float
        The most one hub may serve, in the unit of ``load``: people (registered
        patients), the unit the economic case's assignment uses.
    load : numpy.ndarray, optional
        What each demand point puts on a hub: its people (default ``weights``).

    Returns
    -------
    Selection
        ``gains`` are the need each hub serves, largest first; ``capacity`` is set.

    Raises
    ------
    InfeasibleError
        If the request cannot be met, the model is too large, or HiGHS finds no
        solution within ``time_limit``.
    """
    matrix = as_sparse(times)
    weights = np.asarray(weights, dtype=float)
    load = weights if load is None else np.asarray(load, dtype=float)
    n = matrix.shape[0]
    request = Request.checked(
        n, k, eligible=eligible, forced=forced, costs=costs, budget=budget, time_limit=time_limit
    )
    unmet = unmet_weights(weights, threshold, None if fixed is None else as_sparse(fixed)) > 0
    pairs = within(matrix, threshold).tocoo()
    keep = unmet[pairs.col] & (weights[pairs.col] > 0)
    site, point = pairs.row[keep], pairs.col[keep]
    p = len(site)
    if p > MAX_EXACT_PAIRS:
        raise InfeasibleError(
            f"{p:,} site-demand pairs are too many for the capacitated model; "
            "merge demand points or shorten the threshold"
        )
    # variables: y (n sites), x (p pairs, share of a point's need served by a site)
    c = np.concatenate([np.zeros(n), -weights[point]])
    one_point = sp.csr_matrix(
        (np.ones(p), (point, n + np.arange(p))), shape=(matrix.shape[1], n + p)
    )
    link = sp.csr_matrix(
        (
            np.r_[np.ones(p), -np.ones(p)],
            (np.r_[np.arange(p), np.arange(p)], np.r_[n + np.arange(p), site]),
        ),
        shape=(p, n + p),
    )
    load = sp.csr_matrix(
        (
            np.r_[load[point], -capacity * np.ones(n)],
            (np.r_[site, np.arange(n)], np.r_[n + np.arange(p), np.arange(n)]),
        ),
        shape=(n, n + p),
    )
    rows = [
        constraint(one_point, 0, 1),
        constraint(link, -np.inf, 0),
        constraint(load, -np.inf, 0),
        *site_constraints(request, p),
    ]
    lower = np.zeros(n + p)
    lower[list(request.forced)] = 1.0
    upper = np.concatenate([request.eligible.astype(float), np.ones(p)])
    result = run_milp(c, rows, lower, upper, n, time_limit)
    if result is None:
        raise InfeasibleError(
            f"HiGHS found no capacitated solution in {time_limit:g} s; raise "
            "selection.time_limit_s or ask for fewer hubs"
        )
    chosen, gap = chosen_and_gap(result, n)
    served = np.bincount(site, weights=weights[point] * result.x[n:], minlength=n)
    order = sorted(chosen, key=lambda j: (-served[j], j))
    return Selection(
        order,
        float(-result.fun),
        gap,
        "exact capacitated (HiGHS)",
        gains=[float(served[j]) for j in order],
        objective="coverage",
        capacity=capacity,
    )
