"""p-median: choose k sites to minimise need-weighted travel time to the nearest open
site or existing service (Hakimi 1964; ReVelle and Swain 1970)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from estate_planner.access import nearest_seconds
from estate_planner.optimise._base import (
    Problem,
    Request,
    chosen_and_gap,
    constraint,
    run_milp,
    site_constraints,
)
from estate_planner.optimise.bounds import median_bound

#: Above this many (site, demand) pairs the p-median MILP is not built at all.
MAX_EXACT_PAIRS = 3_000_000


class Median(Problem):
    """Need-weighted seconds to the nearest open site or fixed service (minimised).

    Demand no open site or service reaches is charged a time longer than any real
    trip, so reaching it always pays.
    """

    sense = -1
    objective = "median"

    def __init__(
        self, times: sp.csr_matrix, weights: np.ndarray, fixed: sp.csr_matrix | None
    ) -> None:
        self.times = times
        self.w = weights
        horizon = times.data.max() if times.nnz else 0.0
        base = np.full(times.shape[1], np.nan)
        if fixed is not None and fixed.shape[0]:
            base = nearest_seconds(fixed)
            horizon = max(horizon, np.nanmax(base) if np.isfinite(base).any() else 0.0)
        self.penalty = float(horizon) * 2 + 3600
        self.base = np.where(np.isnan(base), self.penalty, base)
        self.n = times.shape[0]

    def start(self) -> np.ndarray:
        return self.base.copy()

    def size(self) -> int:
        return int(self.times.nnz)

    def gains(self, state: np.ndarray) -> np.ndarray:
        coo = self.times.tocoo()
        saving = np.maximum(state[coo.col] - coo.data, 0) * self.w[coo.col]
        return np.bincount(coo.row, weights=saving, minlength=self.n)

    def add(self, state: np.ndarray, site: int) -> np.ndarray:
        row = self.times.getrow(site)
        new = state.copy()
        new[row.indices] = np.minimum(new[row.indices], row.data)
        return new

    def value(self, sites: list[int]) -> float:
        state = self.start()
        for site in sites:
            state = self.add(state, site)
        return float((self.w * state).sum())

    def milp(self, request: Request) -> tuple[list[int], float] | None:
        coo = self.times.tocoo()
        useful = (coo.data < self.base[coo.col]) & (self.w[coo.col] > 0)
        rows_, cols_, t = coo.row[useful], coo.col[useful], coo.data[useful]
        n, m, p = self.n, self.times.shape[1], len(t)
        if p > MAX_EXACT_PAIRS:
            return None
        # x_p (assignment pairs) + r_i (stay with existing / penalty) + y_j (open)
        c = np.concatenate([np.zeros(n), self.w[cols_] * t, self.w * self.base])
        assign = sp.csr_matrix(
            (np.ones(p + m), (np.concatenate([cols_, np.arange(m)]), n + np.arange(p + m))),
            shape=(m, n + p + m),
        )
        open_link = sp.csr_matrix(
            (
                np.concatenate([np.ones(p), -np.ones(p)]),
                (
                    np.concatenate([np.arange(p), np.arange(p)]),
                    np.concatenate([n + np.arange(p), rows_]),
                ),
            ),
            shape=(p, n + p + m),
        )
        rows = [
            constraint(assign, 1, 1),
            constraint(open_link, -np.inf, 0),
            *site_constraints(request, p + m),
        ]
        upper = np.concatenate([request.eligible.astype(float), np.ones(p + m)])
        result = run_milp(c, rows, self.lower(request, p + m), upper, n, request.time_limit)
        return None if result is None else chosen_and_gap(result, n)

    def bound(self, request: Request, heuristic: list[int]) -> tuple[list[int], str, float]:
        """The heuristic's answer with its proven gap to a Lagrangian lower bound."""
        from estate_planner.optimise.heuristics import swap

        k, mask, half = request.k, request.eligible, request.time_limit / 2
        best = self.value(heuristic)
        lower, sites = median_bound(self.times, self.w, self.base, k, mask, best, time_limit=half)
        if len(sites) == k:
            # the relaxation's sites are often a better start for the local search
            other = swap(self, sites, without_budget(request))
            if self.value(other) < best - 1e-9:
                heuristic, best = other, self.value(other)
                again = median_bound(self.times, self.w, self.base, k, mask, best, time_limit=half)
                lower = max(lower, again[0])
        gap = max(best - lower, 0.0) / best if best > 0 else 0.0
        return heuristic, "greedy+swap (Lagrangian lower bound)", gap


def without_budget(request: Request) -> Request:
    """``request`` with no costs or budget (large instances are bounded without one).

    Parameters
    ----------
    request : Request

    Returns
    -------
    Request
    """
    return Request(request.k, request.eligible, request.forced, None, None, request.time_limit)
