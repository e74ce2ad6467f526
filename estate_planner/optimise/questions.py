"""The public questions: the best k sites (:func:`select_sites`) and the fewest sites
reaching a share of the unmet need (:func:`fewest_sites`)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from estate_planner._errors import InfeasibleError
from estate_planner.access import covered_by
from estate_planner.optimise._base import Objective, Problem, Request, Selection, as_sparse
from estate_planner.optimise.coverage import Coverage
from estate_planner.optimise.heuristics import greedy, order_by_gain, swap
from estate_planner.optimise.median import Median

#: Above this many (site, demand) pairs the MILP is not built whole: Lagrangian
#: bounds prove the gap, and reduced-cost fixing shrinks what HiGHS must solve.
MAX_MILP_PAIRS = 50_000


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
    """Choose ``k`` candidates: maximal covering or p-median, existing services fixed.

    Both are solved exactly as MILPs with HiGHS after merging demand points that share
    a coverage set; a greedy-plus-swap heuristic gives the start, the marginal-gain
    order, and the answer when an instance is too large to prove in time (then
    Lagrangian bounds give its proven gap).

    Parameters
    ----------
    times : scipy.sparse matrix or numpy.ndarray
        Candidates x demand travel times in seconds (rows are candidates): dense
        (``inf`` or ``nan`` for unreachable) or sparse holding only reachable pairs.
    weights : numpy.ndarray
        Need of each demand point.
    k : int
        Number of sites to choose.
    threshold : float, optional
        Coverage time in seconds (required for ``coverage``).
    fixed : scipy.sparse matrix or numpy.ndarray, optional
        Existing services x demand times; those services stay open.
    objective : {"coverage", "median"}
        Reach the most unmet need, or minimise need-weighted time.
    eligible : numpy.ndarray of bool, optional
        Candidates that may be chosen (default: all).
    costs, budget : optional
        Annual cost per candidate and the most the chosen set may cost.
    time_limit : float
        Seconds HiGHS may spend proving optimality.
    curve : bool
        Also compute the best value for 1..k sites.
    forced : list of int, optional
        Candidates that must be among the ``k`` (a building already bought).

    Returns
    -------
    Selection

    Raises
    ------
    InfeasibleError
        If fewer than ``k`` candidates are eligible, more than ``k`` are forced, the
        budget cannot fit ``k``, or ``coverage`` is asked without a threshold.

    Examples
    --------
    >>> import numpy as np
    >>> times = np.array([[60.0, np.inf, np.inf], [np.inf, 60.0, 60.0]])
    >>> select_sites(times, np.array([5.0, 1.0, 1.0]), 1, threshold=120).chosen
    [0]
    """
    matrix = as_sparse(times)
    weights = np.asarray(weights, dtype=float)
    if len(weights) != matrix.shape[1]:
        raise InfeasibleError(
            f"weights has {len(weights)} entries but times has {matrix.shape[1]} demand columns"
        )
    request = Request.checked(
        matrix.shape[0],
        k,
        eligible=eligible,
        forced=forced,
        costs=costs,
        budget=budget,
        time_limit=time_limit,
    )
    fixed_m = None if fixed is None else as_sparse(fixed)
    if objective == "coverage":
        if threshold is None:
            raise InfeasibleError("objective 'coverage' needs a threshold in seconds")
        problem: Problem = Coverage(matrix, weights, threshold, fixed_m)
    else:
        problem = Median(matrix, weights, fixed_m)
    return solve(problem, request, curve=curve)


def solve(problem: Problem, request: Request, *, curve: bool = True) -> Selection:
    """The best answer to ``request`` that can be proven within its time limit.

    Greedy plus swap gives a start; small instances are then solved exactly with HiGHS,
    large ones (over :data:`MAX_MILP_PAIRS` pairs, no budget, nothing forced) bounded
    with Lagrangian relaxation.

    Parameters
    ----------
    problem : Problem
        :class:`~estate_planner.optimise.Coverage`, :class:`~estate_planner.optimise.Median`
        or another :class:`~estate_planner.optimise.Problem`.
    request : Request
    curve : bool
        Also find the best value for 1..k sites.

    Returns
    -------
    Selection
    """
    heuristic = swap(problem, greedy(problem, request), request)
    large = problem.size() > MAX_MILP_PAIRS and request.budget is None and not request.forced
    if large:
        chosen, method, gap = problem.bound(request, heuristic)
    else:
        chosen, method, gap = _exact(problem, request, heuristic)
    order, gains = order_by_gain(problem, chosen)
    value = problem.value(order)
    values: list[float] = []
    if curve:
        if large:  # the greedy order's prefixes: each a feasible smaller portfolio
            values = [problem.value(order[:size]) for size in range(1, request.k + 1)]
        else:
            # sizes below the forced sites cannot be built: left blank
            share = request.time_limit / request.k
            values = [
                value
                if size == request.k
                else solve(problem, request.with_k(size, share), curve=False).value
                if size >= len(request.forced)
                else float("nan")
                for size in range(1, request.k + 1)
            ]
    return Selection(order, value, gap, method, gains, values, problem.objective)


def _exact(
    problem: Problem, request: Request, heuristic: list[int]
) -> tuple[list[int], str, float]:
    exact = problem.milp(request)
    if exact is None:
        return heuristic, "greedy+swap", float("nan")
    sites, gap = exact
    if problem.sense * problem.value(sites) >= problem.sense * problem.value(heuristic) - 1e-9:
        return sites, "exact (HiGHS)", gap
    # a time-limited MILP can return worse than the heuristic
    return heuristic, "greedy+swap (HiGHS bound)", gap


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

    Parameters
    ----------
    times, weights, threshold, fixed, eligible, time_limit
        As :func:`select_sites`.
    share : float
        The share of the unmet need to reach, 0 to 1.
    most : int, optional
        The most sites allowed (default: all eligible).

    Returns
    -------
    Selection

    Raises
    ------
    InfeasibleError
        If even every eligible site together (or ``most`` of them) falls short.
    """
    matrix = as_sparse(times)
    weights = np.asarray(weights, dtype=float)
    mask = np.ones(matrix.shape[0], bool) if eligible is None else np.asarray(eligible, bool)
    fixed_m = None if fixed is None else as_sparse(fixed)
    problem = Coverage(matrix, weights, threshold, fixed_m)
    unmet = float(problem.w.sum()) + _unreachable_unmet(matrix, weights, threshold, fixed_m)
    target = share * unmet
    reachable = problem.value([int(j) for j in np.flatnonzero(mask)])
    if reachable < target - 1e-9:
        raise InfeasibleError(
            f"even all {int(mask.sum())} eligible candidates reach only "
            f"{reachable / unmet:.1%} of the unmet need, below selection.target_share "
            f"{share:.0%}; lower the target or add candidates"
        )
    low, high = 1, min(int(mask.sum()), most or int(mask.sum()))

    def best_of(size: int) -> Selection:
        request = Request.checked(len(mask), size, eligible=mask, time_limit=time_limit)
        return solve(problem, request, curve=False)

    best = best_of(high)
    if best.value < target - 1e-9:
        raise InfeasibleError(
            f"{high} hubs reach {best.value / unmet:.1%} of the unmet need, below "
            f"selection.target_share {share:.0%}; raise selection.hubs or lower the target"
        )
    while low < high:
        middle = (low + high) // 2
        trial = best_of(middle)
        if trial.value >= target - 1e-9:
            high, best = middle, trial
        else:
            low = middle + 1
    return best


def _unreachable_unmet(
    times: sp.csr_matrix, weights: np.ndarray, threshold: float, fixed: sp.csr_matrix | None
) -> float:
    """Unmet need that no candidate reaches (merged away inside the problem)."""
    reached = covered_by(times, threshold)
    covered = np.zeros(len(weights), bool)
    if fixed is not None and fixed.shape[0]:
        covered = covered_by(fixed, threshold)
    return float(weights[~reached & ~covered].sum())
