"""Portfolio selection: the set of sites that together do the most good.

Two objectives, with existing services fixed (they stay open and count first):

- ``coverage`` (maximal covering, MCLP): choose k sites to reach the most need
  that no existing service reaches within the threshold;
- ``median`` (p-median): choose k sites to minimise need-weighted travel time to
  the nearest open site or existing service.

Both are solved exactly as MILPs with HiGHS (through ``scipy.optimize.milp``),
after merging demand points that share the same coverage set; a greedy-plus-swap
heuristic gives the starting point, the marginal-gain order, and the answer when
an instance is too large to prove within the time limit. The reported ``gap`` is
the proven relative gap between the answer and the best bound.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import scipy.sparse as sp

from estate_planner._errors import InfeasibleError
from estate_planner.access import nearest_seconds, within

if TYPE_CHECKING:
    from scipy.optimize import LinearConstraint


def _opt() -> Any:
    """scipy.optimize, loaded when a MILP is built (its import is a third of a second,
    and a rerun whose selection is cached needs none)."""
    import scipy.optimize

    return scipy.optimize


logger = logging.getLogger(__name__)

Objective = Literal["coverage", "median"]
_MAX_EXACT_PAIRS = 3_000_000
#: Above this many (site, demand) pairs the MILP is not built whole: Lagrangian
#: bounds prove the gap, and reduced-cost fixing shrinks what HiGHS must solve.
_MAX_MILP_PAIRS = 50_000


@dataclass
class Selection:
    """The chosen sites and how good the choice is proven to be.

    ``chosen`` lists candidate indices in order of marginal gain; ``gains[i]`` is
    what ``chosen[i]`` adds given ``chosen[:i]``. For coverage the objective is the
    need newly reached (higher is better); for median it is need-weighted seconds
    (lower is better). ``curve[k-1]`` is the objective of the best k sites found.
    """

    chosen: list[int]
    objective: float
    gap: float
    method: str
    gains: list[float] = field(default_factory=list)
    curve: list[float] = field(default_factory=list)
    kind: str = "coverage"
    #: sites the optimiser returned that add nothing (left out of ``chosen``)
    empty: list[int] = field(default_factory=list)


def select_sites(
    times: sp.spmatrix | np.ndarray,
    weights: np.ndarray,
    k: int,
    *,
    threshold: float | None = None,
    fixed: sp.spmatrix | np.ndarray | None = None,
    objective: Objective = "coverage",
    eligible: np.ndarray | None = None,
    costs: np.ndarray | None = None,
    budget: float | None = None,
    time_limit: float = 60.0,
    curve: bool = True,
    forced: list[int] | None = None,
) -> Selection:
    """Choose ``k`` candidates.

    Parameters
    ----------
    times
        Candidates x demand travel times in seconds: dense (``inf`` or ``nan`` for
        unreachable) or sparse holding only reachable pairs.
    weights
        Need of each demand point.
    k
        Number of sites to choose.
    threshold
        Coverage time in seconds (required for ``coverage``).
    fixed
        Existing services x demand times; those services stay open.
    objective
        ``"coverage"`` or ``"median"``.
    eligible
        Boolean mask of candidates that may be chosen (default: all).
    costs, budget
        Annual cost per candidate and the most the chosen set may cost.
    time_limit
        Seconds HiGHS may spend proving optimality.
    curve
        Also compute the best objective for 1..k sites.
    forced
        Candidates that must be among the ``k`` (e.g. a building already bought).

    Raises
    ------
    InfeasibleError
        If fewer than ``k`` candidates are eligible, or the budget cannot fit ``k``.
    """
    matrix = _as_sparse(times)
    n_cand, n_demand = matrix.shape
    weights = np.asarray(weights, dtype=float)
    if len(weights) != n_demand:
        raise InfeasibleError(
            f"weights has {len(weights)} entries but times has {n_demand} demand columns"
        )
    mask = np.ones(n_cand, bool) if eligible is None else np.asarray(eligible, bool)
    forced = sorted(set(forced or []))
    if len(forced) > k:
        raise InfeasibleError(f"{len(forced)} candidates are forced but only {k} hubs are chosen")
    mask = mask.copy()
    mask[forced] = True
    _check_feasible(k, mask, costs, budget)
    fixed_m = None if fixed is None else _as_sparse(fixed)
    if objective == "coverage":
        if threshold is None:
            raise InfeasibleError("objective 'coverage' needs a threshold in seconds")
        problem: _Problem = _Coverage(matrix, weights, threshold, fixed_m)
    else:
        problem = _Median(matrix, weights, fixed_m)
    problem.forced = forced
    return _solve(problem, k, mask, costs, budget, time_limit, curve)


def _as_sparse(times: sp.spmatrix | np.ndarray) -> sp.csr_matrix:
    if sp.issparse(times):
        return sp.csr_matrix(times)
    dense = np.asarray(times, dtype=float)
    rows, cols = np.nonzero(np.isfinite(dense))
    return sp.csr_matrix((dense[rows, cols], (rows, cols)), shape=dense.shape)


def _check_feasible(
    k: int, mask: np.ndarray, costs: np.ndarray | None, budget: float | None
) -> None:
    if k < 1:
        raise InfeasibleError(f"hubs must be 1 or more, found {k}")
    if mask.sum() < k:
        raise InfeasibleError(
            f"{k} hubs were requested but only {int(mask.sum())} candidates are eligible; "
            "lower selection.hubs or relax the scoring constraints"
        )
    if budget is not None and costs is not None:
        cheapest = np.sort(np.nan_to_num(np.asarray(costs, float)[mask], nan=np.inf))[:k].sum()
        if cheapest > budget:
            raise InfeasibleError(
                f"the {k} cheapest eligible candidates cost {cheapest:,.0f} a year, over the "
                f"budget of {budget:,.0f}; raise selection.budget_gbp or lower selection.hubs"
            )


class _Problem:
    """An objective: ``value(sites)`` and a MILP for a fixed k."""

    sense = 1  # +1: maximise, -1: minimise
    kind = "coverage"
    forced: list[int] = []  # noqa: RUF012 - set per instance by select_sites

    def lower(self, n_other: int) -> np.ndarray:
        """MILP lower bounds: forced sites open, everything else free."""
        low = np.zeros(self.n + n_other)  # type: ignore[attr-defined]
        low[self.forced] = 1.0
        return low

    def value(self, sites: list[int]) -> float:  # pragma: no cover - interface
        raise NotImplementedError

    def gains(self, state: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        """Objective change of adding each candidate to the state (signed: higher better)."""
        raise NotImplementedError

    def add(self, state: np.ndarray, site: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def start(self) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def size(self) -> int:  # pragma: no cover
        raise NotImplementedError

    def bound(
        self, k: int, mask: np.ndarray, heuristic: list[int], time_limit: float
    ) -> tuple[list[int], str, float]:  # pragma: no cover
        raise NotImplementedError

    def milp(
        self,
        k: int,
        mask: np.ndarray,
        costs: np.ndarray | None,
        budget: float | None,
        time_limit: float,
    ) -> tuple[list[int], float] | None:  # pragma: no cover
        raise NotImplementedError


class _Coverage(_Problem):
    sense = 1
    kind = "coverage"

    def __init__(
        self,
        times: sp.csr_matrix,
        weights: np.ndarray,
        threshold: float,
        fixed: sp.csr_matrix | None,
    ) -> None:
        cover = within(times, threshold)
        uncovered = np.ones(times.shape[1], bool)
        if fixed is not None and fixed.shape[0]:
            uncovered = np.asarray(within(fixed, threshold).sum(axis=0)).ravel() == 0
        w = weights * uncovered
        self.cover, self.w = _merge_columns(cover, w)
        self.n = times.shape[0]

    def start(self) -> np.ndarray:
        return np.zeros(self.cover.shape[1], bool)

    def size(self) -> int:
        return int(self.cover.nnz)

    def bound(
        self, k: int, mask: np.ndarray, heuristic: list[int], time_limit: float
    ) -> tuple[list[int], str, float]:
        """Prove the heuristic's gap with a Lagrangian bound; if it is not closed,
        drop every site that cannot be in a better answer and let HiGHS search the rest.
        """
        best = self.value(heuristic)
        upper, u = coverage_bound(self.cover, self.w, k, mask, best)
        if upper - best <= 1e-9 * max(best, 1.0):
            return heuristic, "greedy+swap, optimal by Lagrangian bound", 0.0
        keep = coverage_reduce(self.cover, self.w, u, k, mask, best)
        logger.info("Lagrangian fixing keeps %d of %d candidates", keep.sum(), mask.sum())
        sub = _Coverage.__new__(_Coverage)
        rows = np.flatnonzero(keep)
        sub.cover, sub.w = _merge_columns(self.cover[rows], self.w)
        sub.n = len(rows)
        result = sub.milp(
            min(k, len(rows)), np.ones(len(rows), bool), None, None, time_limit, at_most=True
        )
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

    def gains(self, state: np.ndarray) -> np.ndarray:
        return np.asarray(self.cover @ (self.w * ~state)).ravel()

    def add(self, state: np.ndarray, site: int) -> np.ndarray:
        new = state.copy()
        new[self.cover.indices[self.cover.indptr[site] : self.cover.indptr[site + 1]]] = True
        return new

    def value(self, sites: list[int]) -> float:
        if not sites:
            return 0.0
        hit = np.asarray(self.cover[sites].sum(axis=0)).ravel() > 0
        return float(self.w[hit].sum())

    def milp(self, k, mask, costs, budget, time_limit, at_most=False):
        n, m = self.n, self.cover.shape[1]
        if m == 0:
            return [], 0.0
        c = np.concatenate([np.zeros(n), -self.w])
        # z_i - sum_{j covers i} y_j <= 0
        link = sp.hstack(
            [-self.cover.T.tocsr().astype(float), sp.eye(m, format="csr")], format="csr"
        )
        rows = [_opt().LinearConstraint(link, -np.inf, 0)]
        rows += _site_constraints(n, m, k, costs, budget, at_most=at_most)
        upper = np.concatenate([mask.astype(float), np.ones(m)])
        integrality = np.concatenate([np.ones(n), np.zeros(m)])
        return _run_milp(c, rows, _opt().Bounds(self.lower(m), upper), integrality, n, time_limit)


class _Median(_Problem):
    sense = -1
    kind = "median"

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
        #: Time charged to demand no open site reaches: longer than any real trip.
        self.penalty = float(horizon) * 2 + 3600
        self.base = np.where(np.isnan(base), self.penalty, base)
        self.n = times.shape[0]

    def start(self) -> np.ndarray:
        return self.base.copy()

    def size(self) -> int:
        return int(self.times.nnz)

    def bound(
        self, k: int, mask: np.ndarray, heuristic: list[int], time_limit: float
    ) -> tuple[list[int], str, float]:
        """The heuristic's answer with its proven gap to a Lagrangian lower bound."""
        best = self.value(heuristic)
        lower, sites = median_bound(
            self.times, self.w, self.base, k, mask, best, time_limit=time_limit / 2
        )
        if len(sites) == k:
            # the relaxation's sites are often a better start for the local search
            other = _swap(self, sites, mask, None, None)
            if self.value(other) < best - 1e-9:
                heuristic, best = other, self.value(other)
                lower = max(
                    lower,
                    median_bound(
                        self.times, self.w, self.base, k, mask, best, time_limit=time_limit / 2
                    )[0],
                )
        gap = max(best - lower, 0.0) / best if best > 0 else 0.0
        return heuristic, "greedy+swap (Lagrangian lower bound)", gap

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

    def milp(self, k, mask, costs, budget, time_limit):
        coo = self.times.tocoo()
        useful = (coo.data < self.base[coo.col]) & (self.w[coo.col] > 0)
        rows_, cols_, t = coo.row[useful], coo.col[useful], coo.data[useful]
        n, m, p = self.n, self.times.shape[1], len(t)
        if p > _MAX_EXACT_PAIRS:
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
        opt = _opt()
        rows = [opt.LinearConstraint(assign, 1, 1), opt.LinearConstraint(open_link, -np.inf, 0)]
        rows += _site_constraints(n, p + m, k, costs, budget)
        upper = np.concatenate([mask.astype(float), np.ones(p + m)])
        integrality = np.concatenate([np.ones(n), np.zeros(p + m)])
        bounds = opt.Bounds(self.lower(p + m), upper)
        result = _run_milp(c, rows, bounds, integrality, n, time_limit)
        if result is None:
            return None
        chosen, gap = result
        return chosen, gap


def _merge_columns(cover: sp.csr_matrix, w: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Merge demand columns with the same set of covering sites, summing their weight.

    Columns no site covers, or with no weight, are dropped: they cannot change the
    choice.
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
    return sp.csr_matrix(cover[:, first], dtype=bool), merged_w


def _site_constraints(
    n: int, m: int, k: int, costs: np.ndarray | None, budget: float | None, *, at_most: bool = False
) -> list[LinearConstraint]:
    count = np.concatenate([np.ones(n), np.zeros(m)])[None, :]
    rows = [_opt().LinearConstraint(count, 0 if at_most else k, k)]
    if budget is not None and costs is not None:
        cost = np.nan_to_num(np.asarray(costs, float), nan=0.0)
        spend = np.concatenate([cost, np.zeros(m)])[None, :]
        rows.append(_opt().LinearConstraint(spend, 0, budget))
    return rows


def _run_milp(c, constraints, bounds, integrality, n, time_limit):
    result = _opt().milp(
        c,
        constraints=constraints,
        bounds=bounds,
        integrality=integrality,
        options={"time_limit": time_limit, "mip_rel_gap": 1e-9, "disp": False},
    )
    if result.x is None:
        logger.info("HiGHS found no solution within %.0f s (%s)", time_limit, result.message)
        return None
    chosen = sorted(int(j) for j in np.flatnonzero(result.x[:n] > 0.5))
    gap = float(getattr(result, "mip_gap", 0.0) or 0.0)
    return chosen, max(gap, 0.0)


def _greedy(
    problem: _Problem, k: int, mask: np.ndarray, costs: np.ndarray | None, budget: float | None
) -> list[int]:
    state = problem.start()
    chosen: list[int] = list(problem.forced)
    for site in chosen:
        state = problem.add(state, site)
    cost = np.zeros(len(mask)) if costs is None else np.nan_to_num(np.asarray(costs, float))
    spent = float(cost[chosen].sum())
    cheapest = np.sort(cost[mask])
    for step in range(len(chosen), k):
        gains = problem.gains(state).astype(float)
        allowed = mask.copy()
        allowed[chosen] = False
        if budget is not None:
            # leave room for the cheapest sites still to come
            reserve = cheapest[: k - step - 1].sum()
            allowed &= spent + cost + reserve <= budget + 1e-9
        if not allowed.any():
            break
        gains[~allowed] = -np.inf
        best = int(np.argmax(gains))  # lowest index wins ties: deterministic
        chosen.append(best)
        spent += cost[best]
        state = problem.add(state, best)
    return chosen


def _swap(
    problem: _Problem,
    chosen: list[int],
    mask: np.ndarray,
    costs: np.ndarray | None,
    budget: float | None,
) -> list[int]:
    """First-improvement 1-swap until no swap improves the objective."""
    best = list(chosen)
    best_value = problem.sense * problem.value(best)
    cost = np.zeros(len(mask)) if costs is None else np.nan_to_num(np.asarray(costs, float))
    improved = True
    while improved:
        improved = False
        for pos in range(len(best)):
            if best[pos] in problem.forced:
                continue
            rest = best[:pos] + best[pos + 1 :]
            state = problem.start()
            for site in rest:
                state = problem.add(state, site)
            gains = problem.gains(state).astype(float)
            allowed = mask.copy()
            allowed[best] = False
            if budget is not None:
                allowed &= cost[rest].sum() + cost <= budget + 1e-9
            gains[~allowed] = -np.inf
            if not allowed.any():
                continue
            cand = int(np.argmax(gains))
            value = problem.sense * problem.value([*rest, cand])
            if value > best_value + 1e-9:
                best, best_value, improved = [*rest, cand], value, True
    return best


def _order_by_gain(problem: _Problem, sites: list[int]) -> tuple[list[int], list[float]]:
    """Order a chosen set greedily within itself; return each site's marginal gain."""
    remaining = sorted(sites)
    state = problem.start()
    order: list[int] = []
    gains: list[float] = []
    while remaining:
        g = problem.gains(state)[remaining]
        pick = remaining[int(np.argmax(g))]
        gains.append(float(g.max()))
        order.append(pick)
        remaining.remove(pick)
        state = problem.add(state, pick)
    return order, gains


def _solve(
    problem: _Problem,
    k: int,
    mask: np.ndarray,
    costs: np.ndarray | None,
    budget: float | None,
    time_limit: float,
    want_curve: bool,
) -> Selection:
    heuristic = _swap(problem, _greedy(problem, k, mask, costs, budget), mask, costs, budget)
    large = problem.size() > _MAX_MILP_PAIRS and budget is None and not problem.forced
    if large:
        chosen, method, gap = problem.bound(k, mask, heuristic, time_limit)
    else:
        chosen, method, gap = _exact(problem, k, mask, costs, budget, time_limit, heuristic)
    order, gains = _order_by_gain(problem, chosen)
    value = problem.value(order)
    curve: list[float] = []
    if want_curve:
        if large:  # the greedy order's prefixes: each a feasible smaller portfolio
            curve = [problem.value(order[:size]) for size in range(1, k + 1)]
        else:
            # sizes below the forced sites cannot be built: left blank
            curve = [
                value
                if size == k
                else _solve(problem, size, mask, costs, budget, time_limit / k, False).objective
                if size >= len(problem.forced)
                else float("nan")
                for size in range(1, k + 1)
            ]
    return Selection(order, value, gap, method, gains, curve, problem.kind)


def _exact(
    problem: _Problem,
    k: int,
    mask: np.ndarray,
    costs: np.ndarray | None,
    budget: float | None,
    time_limit: float,
    heuristic: list[int],
) -> tuple[list[int], str, float]:
    exact = problem.milp(k, mask, costs, budget, time_limit)
    if exact is None:
        return heuristic, "greedy+swap", float("nan")
    sites, gap = exact
    if problem.sense * problem.value(sites) >= problem.sense * problem.value(heuristic) - 1e-9:
        return sites, "exact (HiGHS)", gap
    # a time-limited MILP can return worse than the heuristic
    return heuristic, "greedy+swap (HiGHS bound)", gap


# --------------------------------------------------------------------------------------
# Large instances: Lagrangian bounds (Beasley 1993 style subgradient optimisation)


def _top_k_sum(values: np.ndarray, k: int, mask: np.ndarray) -> tuple[float, np.ndarray]:
    """Sum and indices of the k largest ``values`` among ``mask``."""
    allowed = np.flatnonzero(mask)
    if len(allowed) <= k:
        return float(values[allowed].sum()), allowed
    part = allowed[np.argpartition(-values[allowed], k - 1)[:k]]
    return float(values[part].sum()), part


def coverage_bound(
    cover: sp.csr_matrix,
    w: np.ndarray,
    k: int,
    mask: np.ndarray,
    best: float,
    *,
    iterations: int = 400,
) -> tuple[float, np.ndarray]:
    """Upper bound on the need k sites can cover, by relaxing each coverage constraint.

    With multipliers ``0 <= u_i <= w_i`` on ``z_i <= sum_j a_ij y_j``, the relaxation
    ``L(u) = sum_i (w_i - u_i) + (top-k of c_j = sum_i a_ij u_i)`` bounds the optimum
    from above; subgradient steps drive it down towards the LP bound. Returns the best
    bound and its multipliers.
    """
    u = w * 0.5
    best_bound, best_u = np.inf, u.copy()
    step = 2.0
    stall = 0
    by_site = cover.astype(float)
    for _ in range(iterations):
        c = np.asarray(by_site @ u).ravel()
        top, chosen = _top_k_sum(c, k, mask)
        bound = float((w - u).sum()) + top
        if bound < best_bound - 1e-9:
            best_bound, best_u, stall = bound, u.copy(), 0
        else:
            stall += 1
            if stall >= 20:
                step, stall = step / 2, 0
        if best_bound - best <= 1e-9 * max(best, 1.0) or step < 1e-6:
            break
        hits = np.asarray(by_site[chosen].sum(axis=0)).ravel()
        g = hits - 1.0  # d L / d u_i
        norm = float(g @ g)
        if norm == 0:
            break
        u = np.clip(u - step * (bound - best) / norm * g, 0.0, w)
    return best_bound, best_u


def coverage_reduce(
    cover: sp.csr_matrix, w: np.ndarray, u: np.ndarray, k: int, mask: np.ndarray, best: float
) -> np.ndarray:
    """Candidates that may still be in a better solution than ``best``.

    Forcing site j into the relaxation gives a bound for every solution that contains
    j; if that bound is not above ``best``, no such solution can beat it and j is
    dropped (Lagrangian reduced-cost fixing).
    """
    c = np.asarray(cover.astype(float) @ u).ravel()
    base = float((w - u).sum())
    allowed = np.flatnonzero(mask)
    order = allowed[np.argsort(-c[allowed], kind="stable")]
    top_k_minus_1 = c[order[: k - 1]].sum()
    kth = c[order[k - 1]] if len(order) >= k else 0.0
    # with j forced in: j plus the best k-1 others (which include j if j is in them)
    in_top = np.zeros(len(c), bool)
    in_top[order[: k - 1]] = True
    forced = base + c + np.where(in_top, top_k_minus_1 - c + kth, top_k_minus_1)
    return mask & (forced > best + 1e-9 * max(best, 1.0))


def median_bound(
    times: sp.csr_matrix,
    w: np.ndarray,
    base: np.ndarray,
    k: int,
    mask: np.ndarray,
    best: float,
    *,
    iterations: int = 2000,
    time_limit: float = 60.0,
) -> tuple[float, list[int]]:
    """Lower bound on need-weighted time for k sites, relaxing each assignment constraint,
    and the sites the best relaxation opens (a good start for a local search).

    Multipliers ``l_i`` on ``sum_j x_ij + r_i = 1`` give ``L(l) = sum_i l_i +
    sum_i min(0, w_i b_i - l_i) + (k most negative rho_j = sum_i min(0, w_i t_ij - l_i))``,
    where ``b_i`` is the time to an existing service (or the unreachable charge).
    """
    from estate_planner._kernel import reduced_costs

    coo = times.tocoo()
    useful = coo.data < base[coo.col]
    pairs = sp.csr_matrix(
        ((w[coo.col] * coo.data)[useful], (coo.row[useful], coo.col[useful])), shape=times.shape
    )
    indptr, demand, cost = pairs.indptr, pairs.indices, pairs.data
    stay = w * base
    # start from each point's cheapest assignment: the bound of "every site open"
    lam = stay.copy()
    np.minimum.at(lam, demand, cost)
    best_bound = -np.inf
    best_sites = np.zeros(0, dtype=np.int64)
    step = 2.0
    stall = 0
    deadline = time.perf_counter() + time_limit
    for _ in range(iterations):
        if time.perf_counter() > deadline:
            break
        rho = reduced_costs(indptr, demand, cost, lam)
        top, chosen = _top_k_sum(-rho, k, mask)
        bound = float(lam.sum() + np.minimum(0.0, stay - lam).sum() - top)
        if bound > best_bound + 1e-9:
            best_bound, best_sites, stall = bound, chosen, 0
        else:
            stall += 1
            if stall >= 20:
                step, stall = step / 2, 0
        if best - best_bound <= 1e-9 * max(best, 1.0) or step < 1e-6:
            break
        served = np.zeros(len(w))
        for j in chosen:  # only the k chosen rows
            row = slice(indptr[j], indptr[j + 1])
            hit = demand[row][cost[row] < lam[demand[row]]]
            served[hit] += 1
        g = 1.0 - served - (stay < lam)
        norm = float(g @ g)
        if norm == 0:
            break
        lam = lam + step * (best - bound) / norm * g
    return best_bound, [int(x) for x in best_sites]


def fewest_sites(
    times: sp.spmatrix | np.ndarray,
    weights: np.ndarray,
    share: float,
    *,
    threshold: float,
    fixed: sp.spmatrix | np.ndarray | None = None,
    eligible: np.ndarray | None = None,
    most: int | None = None,
    time_limit: float = 60.0,
) -> Selection:
    """The fewest sites (at most ``most``) that reach ``share`` of the unmet need.

    Unmet need is the need no fixed service reaches within ``threshold``. The best
    coverage of k sites never falls as k grows, so a binary search over k with exact
    solves finds the smallest k.

    Raises
    ------
    InfeasibleError
        If even every eligible site together (or ``most`` of them) falls short.
    """
    matrix = _as_sparse(times)
    weights = np.asarray(weights, dtype=float)
    mask = np.ones(matrix.shape[0], bool) if eligible is None else np.asarray(eligible, bool)
    problem = _Coverage(matrix, weights, threshold, None if fixed is None else _as_sparse(fixed))
    unmet = float(problem.w.sum()) + _unreachable_unmet(matrix, weights, threshold, fixed)
    target = share * unmet
    reachable = problem.value([int(j) for j in np.flatnonzero(mask)])
    if reachable < target - 1e-9:
        raise InfeasibleError(
            f"even all {int(mask.sum())} eligible candidates reach only "
            f"{reachable / unmet:.1%} of the unmet need, below selection.target_share "
            f"{share:.0%}; lower the target or add candidates"
        )
    low, high = 1, min(int(mask.sum()), most or int(mask.sum()))
    best = select_sites(
        matrix,
        weights,
        high,
        threshold=threshold,
        fixed=fixed,
        eligible=mask,
        time_limit=time_limit,
        curve=False,
    )
    if best.objective < target - 1e-9:
        raise InfeasibleError(
            f"{high} hubs reach {best.objective / unmet:.1%} of the unmet need, below "
            f"selection.target_share {share:.0%}; raise selection.hubs or lower the target"
        )
    while low < high:
        middle = (low + high) // 2
        trial = select_sites(
            matrix,
            weights,
            middle,
            threshold=threshold,
            fixed=fixed,
            eligible=mask,
            time_limit=time_limit,
            curve=False,
        )
        if trial.objective >= target - 1e-9:
            high, best = middle, trial
        else:
            low = middle + 1
    return best


def _unreachable_unmet(
    times: sp.csr_matrix,
    weights: np.ndarray,
    threshold: float,
    fixed: sp.spmatrix | np.ndarray | None,
) -> float:
    """Unmet need that no candidate reaches (merged away inside the problem)."""
    reached = np.asarray(within(times, threshold).sum(axis=0)).ravel() > 0
    covered = np.zeros(len(weights), bool)
    if fixed is not None:
        fixed_m = _as_sparse(fixed)
        if fixed_m.shape[0]:
            covered = np.asarray(within(fixed_m, threshold).sum(axis=0)).ravel() > 0
    return float(weights[~reached & ~covered].sum())


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
) -> Selection:
    """Maximal covering where one hub can serve at most ``capacity`` need.

    Unmet need within the threshold of a chosen hub is assigned to hubs (a demand
    point may be split between hubs, as it stands for many people) without any hub
    taking more than ``capacity``. Solved exactly with HiGHS; ``gains`` are the need
    each hub serves, largest first.
    """
    matrix = _as_sparse(times)
    weights = np.asarray(weights, dtype=float)
    n = matrix.shape[0]
    mask = np.ones(n, bool) if eligible is None else np.asarray(eligible, bool).copy()
    forced = sorted(set(forced or []))
    mask[forced] = True
    _check_feasible(k, mask, costs, budget)
    unmet = np.ones(matrix.shape[1], bool)
    if fixed is not None and _as_sparse(fixed).shape[0]:
        unmet = np.asarray(within(_as_sparse(fixed), threshold).sum(axis=0)).ravel() == 0
    pairs = within(matrix, threshold).tocoo()
    keep = unmet[pairs.col] & (weights[pairs.col] > 0)
    site, point = pairs.row[keep], pairs.col[keep]
    p = len(site)
    if p > _MAX_EXACT_PAIRS:
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
            np.r_[weights[point], -capacity * np.ones(n)],
            (np.r_[site, np.arange(n)], np.r_[n + np.arange(p), np.arange(n)]),
        ),
        shape=(n, n + p),
    )
    rows = [
        _opt().LinearConstraint(one_point, 0, 1),
        _opt().LinearConstraint(link, -np.inf, 0),
        _opt().LinearConstraint(load, -np.inf, 0),
        *_site_constraints(n, p, k, costs, budget),
    ]
    lower = np.zeros(n + p)
    lower[forced] = 1.0
    upper = np.concatenate([mask.astype(float), np.ones(p)])
    integrality = np.concatenate([np.ones(n), np.zeros(p)])
    result = _opt().milp(
        c,
        constraints=rows,
        bounds=_opt().Bounds(lower, upper),
        integrality=integrality,
        options={"time_limit": time_limit, "mip_rel_gap": 1e-9, "disp": False},
    )
    if result.x is None:
        raise InfeasibleError(
            f"HiGHS found no capacitated solution in {time_limit:g} s ({result.message})"
        )
    chosen = [int(j) for j in np.flatnonzero(result.x[:n] > 0.5)]
    served = np.bincount(site, weights=weights[point] * result.x[n:], minlength=n)
    order = sorted(chosen, key=lambda j: (-served[j], j))
    gap = float(getattr(result, "mip_gap", 0.0) or 0.0)
    return Selection(
        order,
        float(-result.fun),
        max(gap, 0.0),
        "exact capacitated (HiGHS)",
        [float(served[j]) for j in order],
        [],
        "coverage",
    )
