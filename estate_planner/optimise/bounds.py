"""Lagrangian bounds for instances too large to model whole (subgradient optimisation
in the manner of Beasley 1993): they prove how far a heuristic answer can be from the
optimum, and fix out sites that cannot be in a better one."""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp


def top_k_sum(values: np.ndarray, k: int, mask: np.ndarray) -> tuple[float, np.ndarray]:
    """Sum and indices of the ``k`` largest ``values`` among ``mask``.

    Parameters
    ----------
    values : numpy.ndarray
    k : int
    mask : numpy.ndarray of bool

    Returns
    -------
    total : float
    indices : numpy.ndarray
    """
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
    """Upper bound on the need ``k`` sites can cover, by relaxing each coverage constraint.

    With multipliers ``0 <= u_i <= w_i`` on ``z_i <= sum_j a_ij y_j``, the relaxation
    ``L(u) = sum_i (w_i - u_i) + (top-k of c_j = sum_i a_ij u_i)`` bounds the optimum
    from above; subgradient steps drive it down towards the LP bound.

    Parameters
    ----------
    cover : scipy.sparse.csr_matrix
        Sites x demand, True where a site covers a point.
    w : numpy.ndarray
        Weight (unmet need) of each demand point.
    k : int
        Sites to choose.
    mask : numpy.ndarray of bool
        Sites that may be chosen.
    best : float
        The best coverage found so far (the step size aims at it).
    iterations : int
        The most subgradient steps.

    Returns
    -------
    bound : float
        The best upper bound found.
    u : numpy.ndarray
        Its multipliers.
    """
    u = w * 0.5
    best_bound, best_u = np.inf, u.copy()
    step = 2.0
    stall = 0
    by_site = cover.astype(float)
    for _ in range(iterations):
        c = np.asarray(by_site @ u).ravel()
        top, chosen = top_k_sum(c, k, mask)
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

    Forcing site j into the relaxation gives a bound for every solution that contains j;
    if that bound is not above ``best``, no such solution can beat it and j is dropped
    (Lagrangian reduced-cost fixing).

    Parameters
    ----------
    cover, w, k, mask, best
        As :func:`coverage_bound`.
    u : numpy.ndarray
        Multipliers from :func:`coverage_bound`.

    Returns
    -------
    numpy.ndarray of bool
        The sites kept.
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
    """Lower bound on need-weighted time for ``k`` sites, relaxing each assignment constraint.

    Multipliers ``l_i`` on ``sum_j x_ij + r_i = 1`` give ``L(l) = sum_i l_i +
    sum_i min(0, w_i b_i - l_i) + (k most negative rho_j = sum_i min(0, w_i t_ij - l_i))``,
    where ``b_i`` is the time to an existing service (or the unreachable charge).

    Parameters
    ----------
    times : scipy.sparse.csr_matrix
        Sites x demand, seconds.
    w : numpy.ndarray
        Need per demand point.
    base : numpy.ndarray
        Each point's time with no site open (existing services, or the penalty).
    k, mask, best
        As :func:`coverage_bound` (``best`` is the lowest cost found).
    iterations : int
        The most subgradient steps.
    time_limit : float
        Seconds to spend at most.

    Returns
    -------
    bound : float
        The best lower bound found.
    sites : list of int
        The sites its relaxation opens (a good start for a local search).
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
        top, chosen = top_k_sum(-rho, k, mask)
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
