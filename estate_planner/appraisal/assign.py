"""Who is served by whom: each demand point to the service or hub its residents use.

Two rules, both over the sparse (site, demand point) pairs within a search limit:

- :func:`nearest`: each point to its quickest site (ties to the lower site index);
- :func:`capacitated`: people to sites so that no site serves more than its capacity
  (people: registered patients), serving as many people as the capacities allow and,
  among those answers, the least total travel time (people x seconds). A demand point
  may be split between sites, as it stands for many people.

The capacitated rule is a min-cost maximum flow on a bipartite graph (source ->
points -> sites -> sink). Pairs slower than the point's quickest site with no capacity
limit are left out first (exact: people there could always move to that site for
less). Two solvers give the same total:

- ``method="ortools"`` (default): OR-Tools' ``SimpleMinCostFlow`` (cost scaling, C++),
  on whole numbers: times in tenths of a second, people in hundredths;
- ``method="paths"``: successive shortest paths with node potentials, compiled with
  numba, exact in floating point: each point in turn sends its people along the
  cheapest path in the residual graph (Dijkstra on reduced costs, stopped at the first
  site with room), which may move people already placed one site along; a "not
  served" arc priced above any chain of reassignments makes serving come first. Fast
  while capacity is loose; when many sites are full the chains grow long (the
  benchmark's 35,000 x 2,000 instance with 749 sites over capacity takes ~20 s
  against OR-Tools' ~3 s: ``benchmarks/RESULTS.md``), so it is the independent check,
  not the default. It lives in :mod:`._paths`, so numba is imported only when asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from estate_planner._errors import InputDataError

__all__ = ["Assignment", "capacitated", "nearest", "pairs_within", "served"]


def _pairs(
    times: sp.spmatrix | np.ndarray, limit: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stored (site, point, seconds) pairs within ``limit``, in no set order."""
    if sp.issparse(times):
        coo = sp.coo_matrix(times)
        site, point, secs = coo.row, coo.col, np.asarray(coo.data, dtype=float)
    else:
        dense = np.asarray(times, dtype=float)
        site, point = np.nonzero(np.isfinite(dense))
        secs = dense[site, point]
    keep = np.isfinite(secs) if limit is None else np.isfinite(secs) & (secs <= limit)
    return site[keep].astype(np.int64), point[keep].astype(np.int64), secs[keep]


def pairs_within(
    times: sp.spmatrix | np.ndarray, limit: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stored (site, point, seconds) pairs of a sites x points matrix, within ``limit``.

    Stored zeros count (a point on top of a site); sorted by point, then time, then site.

    Parameters
    ----------
    times : scipy.sparse matrix or numpy.ndarray
        Sites x demand points, seconds; in a dense array ``inf`` or NaN is "not reachable".
    limit : float, optional
        The most seconds a pair may take.

    Returns
    -------
    site, point : numpy.ndarray of int64
    seconds : numpy.ndarray of float64
    """
    site, point, secs = _pairs(times, limit)
    order = np.lexsort((site, secs, point))
    return site[order], point[order], secs[order]


def _dominated(
    site: np.ndarray, point: np.ndarray, secs: np.ndarray, cap: np.ndarray, n_points: int
) -> np.ndarray:
    """Pairs slower than the point's quickest site with no capacity limit (exact to drop:
    people on such a pair can move to that site, which always has room, for less)."""
    free = ~np.isfinite(cap[site])
    if not free.any():
        return np.zeros(len(site), dtype=bool)
    best = np.full(n_points, np.inf)
    np.minimum.at(best, point[free], secs[free])
    return secs > best[point]


def nearest(
    times: sp.spmatrix | np.ndarray, *, limit: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each demand point's quickest site within ``limit`` (ties to the lower index).

    Parameters
    ----------
    times : scipy.sparse matrix or numpy.ndarray
        Sites x demand points, seconds.
    limit : float, optional

    Returns
    -------
    site : numpy.ndarray of int64
        Per demand point, the site's row, or -1 when none is within reach.
    seconds : numpy.ndarray of float64
        The time to it (NaN when none).
    """
    n_points = times.shape[1]
    n_sites = times.shape[0]
    site, point, secs = _pairs(times, limit)
    best_t = np.full(n_points, np.inf)
    np.minimum.at(best_t, point, secs)
    tie = secs == best_t[point]
    best = np.full(n_points, n_sites, dtype=np.int64)
    np.minimum.at(best, point[tie], site[tie])
    none = ~np.isfinite(best_t)
    best[none] = -1
    best_t[none] = np.nan
    return best, best_t


@dataclass(frozen=True)
class Assignment:
    """People of each demand point placed on sites.

    Attributes
    ----------
    site, point : numpy.ndarray of int64
        The pairs that carry people.
    people : numpy.ndarray of float64
        People on each pair.
    unserved : numpy.ndarray of float64
        Per demand point, people no site within reach had room for.
    total_seconds : float
        Sum of people x seconds over the pairs.
    load : numpy.ndarray of float64
        Per site, people served.
    """

    site: np.ndarray
    point: np.ndarray
    people: np.ndarray
    unserved: np.ndarray
    total_seconds: float
    load: np.ndarray

    def served_by(self) -> np.ndarray:
        """Per demand point, the site serving most of its people (-1 when none)."""
        n_points = len(self.unserved)
        best = np.full(n_points, -1, dtype=np.int64)
        if len(self.point):
            # by point, then most people first, then lower site
            order = np.lexsort((self.site, -self.people, self.point))
            point = self.point[order]
            first = np.ones(len(point), dtype=bool)
            first[1:] = point[1:] != point[:-1]
            best[point[first]] = self.site[order][first]
        return best


def capacitated(
    times: sp.spmatrix | np.ndarray,
    people: np.ndarray,
    capacity: np.ndarray | float,
    *,
    limit: float | None = None,
    method: Literal["ortools", "paths"] = "ortools",
) -> Assignment:
    """People assigned to sites within ``limit`` with no site over its capacity.

    As many people are served as the capacities allow; among such answers, the one
    with the least total people x seconds (a min-cost maximum flow).

    Parameters
    ----------
    times : scipy.sparse matrix or numpy.ndarray
        Sites x demand points, seconds.
    people : numpy.ndarray
        People per demand point (0 or more).
    capacity : numpy.ndarray or float
        People each site can serve (``inf`` for no limit).
    limit : float, optional
        The most seconds a pair may take.
    method : {"ortools", "paths"}
        The solver (see the module's notes); both give the least total.

    Returns
    -------
    Assignment

    Raises
    ------
    InputDataError
        On negative people or capacity, or arrays of the wrong length.
    """
    n_sites, n_points = times.shape
    people = np.asarray(people, dtype=float)
    cap = np.broadcast_to(np.asarray(capacity, dtype=float), (n_sites,)).copy()
    if people.shape != (n_points,):
        raise InputDataError(
            f"people has {people.shape} values for {n_points} demand points; give one per point"
        )
    if (people < 0).any() or np.isnan(people).any() or (cap < 0).any() or np.isnan(cap).any():
        raise InputDataError(
            "people and capacities must be 0 or more (NaN is not allowed); "
            "fill unknown capacities with inf for 'no limit'"
        )
    # OR-Tools takes the pairs in any order; the paths solver wants them by point and time
    site, point, secs = _pairs(times, limit) if method == "ortools" else pairs_within(times, limit)
    if len(secs) and secs.min() < 0:
        raise InputDataError("travel times must be 0 or more; found a negative time")
    slower = _dominated(site, point, secs, cap, n_points)
    if slower.any():
        site, point, secs = site[~slower], point[~slower], secs[~slower]
    scale = max(1.0, float(people.max(initial=0.0)))
    if method == "ortools":
        flow, unserved = _ortools(point, site, secs, people, cap)
    else:
        from estate_planner.appraisal._paths import _ssp

        max_cost = float(secs.max()) if len(secs) else 0.0
        # above the cost of any alternating chain of reassignments: serving comes first
        penalty = (2.0 * min(n_sites, n_points) + 2.0) * (max_cost + 1.0)
        point_ptr = np.searchsorted(point, np.arange(n_points + 1)).astype(np.int64)
        by_site = np.argsort(site, kind="stable").astype(np.int64)
        site_ptr = np.searchsorted(site[by_site], np.arange(n_sites + 1)).astype(np.int64)
        flow, unserved = _ssp(
            point_ptr, site, secs, site_ptr, by_site, people, cap, penalty, 1e-9 * scale,
            _order(point_ptr, secs),
        )  # fmt: skip
    used = flow > 1e-9 * scale
    load = np.bincount(site[used], weights=flow[used], minlength=n_sites)
    return Assignment(
        site=site[used],
        point=point[used],
        people=flow[used],
        unserved=unserved,
        total_seconds=float(flow[used] @ secs[used]),
        load=load,
    )


def served(times: sp.spmatrix | np.ndarray, people: np.ndarray, capacity: np.ndarray) -> Assignment:
    """Capacity-limited where any capacity is finite, else each point to its nearest site.

    Parameters
    ----------
    times : scipy.sparse matrix or numpy.ndarray
        Sites x demand points, seconds.
    people : numpy.ndarray
        People per demand point.
    capacity : numpy.ndarray
        People each site can serve (``inf``: no limit).

    Returns
    -------
    Assignment
    """
    if np.isfinite(capacity).any():
        return capacitated(times, people, capacity)
    site, _ = nearest(times)
    has = site >= 0
    point = np.flatnonzero(has)
    secs = np.asarray(times[site[has], point]).ravel() if has.any() else np.zeros(0)
    load = np.bincount(site[has], weights=people[has], minlength=times.shape[0])
    return Assignment(
        site=site[has],
        point=point,
        people=people[has],
        unserved=np.where(has, 0.0, people),
        total_seconds=float(people[has] @ secs),
        load=load,
    )


def _order(point_ptr: np.ndarray, secs: np.ndarray) -> np.ndarray:
    """Points by regret, largest first: those with most to lose from a second-best site
    are placed first, so the ones that move when a site fills lose little."""
    n = len(point_ptr) - 1
    if len(secs) == 0:
        return np.arange(n, dtype=np.int64)
    count = np.diff(point_ptr)
    first = np.where(count > 0, secs[np.minimum(point_ptr[:-1], len(secs) - 1)], 0.0)
    second = np.where(count > 1, secs[np.minimum(point_ptr[:-1] + 1, len(secs) - 1)], np.inf)
    return np.argsort(-(second - first), kind="stable").astype(np.int64)


#: OR-Tools works in whole numbers: times in tenths of a second, people in hundredths
_TIME_UNITS, _PEOPLE_UNITS = 10.0, 100.0


def _ortools(
    point: np.ndarray, site: np.ndarray, secs: np.ndarray, people: np.ndarray, cap: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """People on each pair and unserved per point, from OR-Tools' min-cost max flow."""
    from ortools.graph.python import min_cost_flow

    n_points, n_sites = len(people), len(cap)
    units = np.round(people * _PEOPLE_UNITS).astype(np.int64)
    total = int(units.sum())
    room = np.where(np.isfinite(cap), np.floor(np.minimum(cap, total) * _PEOPLE_UNITS), total)
    source, sink = n_points + n_sites, n_points + n_sites + 1
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([np.full(n_points, source), point, n_points + np.arange(n_sites)]),
        np.concatenate([np.arange(n_points), n_points + site, np.full(n_sites, sink)]),
        np.concatenate([units, units[point], room.astype(np.int64)]),
        np.concatenate(
            [np.zeros(n_points), np.round(secs * _TIME_UNITS), np.zeros(n_sites)]
        ).astype(np.int64),
    )
    solver.set_node_supply(source, total)
    solver.set_node_supply(sink, -total)
    status = solver.solve_max_flow_with_min_cost()
    if status != solver.OPTIMAL:
        raise InputDataError(f"the min-cost flow solver stopped with status {status}")
    arcs = n_points + np.arange(len(point))
    flow = solver.flows(arcs).astype(float) / _PEOPLE_UNITS
    sent = np.bincount(point, weights=flow, minlength=n_points)
    return flow, np.maximum(people - sent, 0.0)
