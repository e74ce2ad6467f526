"""Maximal covering (MCLP): choose k sites to reach the most need no existing service
reaches within the threshold (Church and ReVelle 1974)."""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from estate_planner.access import covered_by, within
from estate_planner.optimise._base import (
    Problem,
    Request,
    chosen_and_gap,
    constraint,
    run_milp,
    site_constraints,
)
from estate_planner.optimise.bounds import coverage_bound, coverage_reduce

logger = logging.getLogger(__name__)


def unmet_weights(weights: np.ndarray, threshold: float, fixed: sp.csr_matrix | None) -> np.ndarray:
    """Each demand point's need where no fixed service reaches it, else 0.

    Parameters
    ----------
    weights : numpy.ndarray
        Need per demand point.
    threshold : float
        Seconds within which a service reaches a point.
    fixed : scipy.sparse.csr_matrix or None
        Services x demand, seconds.

    Returns
    -------
    numpy.ndarray
    """
    if fixed is None or not fixed.shape[0]:
        return weights.astype(float)
    return weights * ~covered_by(fixed, threshold)


class Coverage(Problem):
    """Need newly reached within ``threshold`` by the open sites (maximised).

    Demand points with the same set of covering sites are merged (their need summed)
    and points no site covers are dropped: neither changes the choice.
    """

    sense = 1
    objective = "coverage"

    def __init__(
        self,
        times: sp.csr_matrix,
        weights: np.ndarray,
        threshold: float,
        fixed: sp.csr_matrix | None,
    ) -> None:
        w = unmet_weights(weights, threshold, fixed)
        self.cover, self.w = merge_columns(within(times, threshold), w)
        self.n = times.shape[0]

    @classmethod
    def of_cover(cls, cover: sp.csr_matrix, w: np.ndarray) -> Coverage:
        """The problem over an already built coverage matrix.

        Parameters
        ----------
        cover : scipy.sparse.csr_matrix
            Sites x demand, True where a site covers a point.
        w : numpy.ndarray
            Weight of each demand point.

        Returns
        -------
        Coverage
        """
        problem = cls.__new__(cls)
        problem.cover, problem.w = merge_columns(cover, w)
        problem.n = cover.shape[0]
        return problem

    def start(self) -> np.ndarray:
        return np.zeros(self.cover.shape[1], bool)

    def size(self) -> int:
        return int(self.cover.nnz)

    def gains(self, state: np.ndarray) -> np.ndarray:
        return np.asarray(self.cover @ (self.w * ~state)).ravel()

    def add(self, state: np.ndarray, site: int) -> np.ndarray:
        new = state.copy()
        new[self.cover.indices[self.cover.indptr[site] : self.cover.indptr[site + 1]]] = True
        return new

    def value(self, sites: list[int]) -> float:
        if not sites:
            return 0.0
        hit = self.start()
        for site in sites:  # rows by their slices: a tenth of the time of cover[sites]
            hit[self.cover.indices[self.cover.indptr[site] : self.cover.indptr[site + 1]]] = True
        return float(self.w[hit].sum())

    def milp(self, request: Request, *, at_most: bool = False) -> tuple[list[int], float] | None:
        n, m = self.n, self.cover.shape[1]
        if m == 0:
            return [], 0.0
        c = np.concatenate([np.zeros(n), -self.w])
        # z_i - sum_{j covers i} y_j <= 0
        link = sp.hstack(
            [-self.cover.T.tocsr().astype(float), sp.eye(m, format="csr")], format="csr"
        )
        rows = [constraint(link, -np.inf, 0), *site_constraints(request, m, at_most=at_most)]
        upper = np.concatenate([request.eligible.astype(float), np.ones(m)])
        result = run_milp(c, rows, self.lower(request, m), upper, n, request.time_limit)
        return None if result is None else chosen_and_gap(result, n)

    def bound(self, request: Request, heuristic: list[int]) -> tuple[list[int], str, float]:
        """Prove the heuristic's gap with a Lagrangian bound; if it is not closed,
        drop every site that cannot be in a better answer and let HiGHS search the rest.
        """
        k, mask = request.k, request.eligible
        best = self.value(heuristic)
        upper, u = coverage_bound(self.cover, self.w, k, mask, best)
        if upper - best <= 1e-9 * max(best, 1.0):
            return heuristic, "greedy+swap, optimal by Lagrangian bound", 0.0
        keep = coverage_reduce(self.cover, self.w, u, k, mask, best)
        logger.info("Lagrangian fixing keeps %d of %d candidates", keep.sum(), mask.sum())
        rows = np.flatnonzero(keep)
        sub = Coverage.of_cover(self.cover[rows], self.w)
        sub_request = Request(min(k, len(rows)), np.ones(len(rows), bool), (), None, None,
                              request.time_limit)  # fmt: skip
        result = sub.milp(sub_request, at_most=True)
        if result is None:
            return heuristic, "greedy+swap (Lagrangian bound)", (upper - best) / best
        sites, sub_gap = result
        found = [int(rows[j]) for j in sites]
        value = self.value(found) if found else 0.0
        if value > best + 1e-9:
            best, heuristic = value, found
        # the optimum is the better of the heuristic and the reduced problem's optimum
        sub_upper = value * (1 + sub_gap) if sub_gap else value
        upper = min(upper, max(best, sub_upper))
        gap = max(upper - best, 0.0) / best if best > 0 else 0.0
        return heuristic, "Lagrangian fixing + exact (HiGHS)", gap


def merge_columns(cover: sp.csr_matrix, w: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Merge demand columns with the same set of covering sites, summing their weight.

    Columns no site covers, or with no weight, are dropped: they cannot change the
    choice.

    Parameters
    ----------
    cover : scipy.sparse.csr_matrix
        Sites x demand, True where a site covers a point.
    w : numpy.ndarray
        Weight per demand point.

    Returns
    -------
    cover : scipy.sparse.csr_matrix
        Sites x merged columns.
    w : numpy.ndarray
        Weight per merged column.
    """
    by_demand = cover.T.tocsr()
    keep = (np.diff(by_demand.indptr) > 0) & (w > 0)
    groups: dict[bytes, int] = {}
    label = np.full(cover.shape[1], -1)
    for i in np.flatnonzero(keep):
        key = by_demand.indices[by_demand.indptr[i] : by_demand.indptr[i + 1]].tobytes()
        label[i] = groups.setdefault(key, len(groups))
    cols = np.flatnonzero(keep)
    merged_w = np.bincount(label[cols], weights=w[cols], minlength=len(groups))
    first = np.zeros(len(groups), dtype=np.int64)
    first[label[cols][::-1]] = cols[::-1]
    merged = sp.csr_matrix(cover[:, first], dtype=bool)
    merged.eliminate_zeros()  # a stored False covers nothing (value and add read the rows)
    return merged, merged_w
