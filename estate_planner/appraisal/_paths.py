"""The successive-shortest-paths solver of :func:`estate_planner.appraisal.capacitated`
(``method="paths"``), compiled with numba.

A module of its own so that importing :mod:`estate_planner.appraisal.assign` does not
import numba: only a run that asks for this solver pays for it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from estate_planner._kernel import _pop, _push


@njit(cache=True)
def _ssp(point_ptr, pair_site, cost, site_ptr, by_site, supply, cap, penalty, eps, order):
    """Successive shortest paths; nodes: points 0..n-1, sites n..n+m-1, sink n+m."""
    n = supply.shape[0]
    m = cap.shape[0]
    sink = n + m
    n_pairs = cost.shape[0]
    flow = np.zeros(n_pairs)
    load = np.zeros(m)
    unserved = np.zeros(n)
    pot = np.zeros(n + m + 1)
    dist = np.full(n + m + 1, np.inf)
    settled = np.zeros(n + m + 1, dtype=np.bool_)
    pred = np.full(n + m + 1, -1, dtype=np.int64)
    touched = np.empty(n + m + 1, dtype=np.int64)
    heap = np.empty((2 * n_pairs + n + m + 2, 2))
    # each pair's point (pairs are sorted by point)
    pair_point = np.empty(n_pairs, dtype=np.int64)
    for i in range(n):
        for p in range(point_ptr[i], point_ptr[i + 1]):
            pair_point[p] = i
    for s in order:
        excess = supply[s]
        if point_ptr[s] == point_ptr[s + 1]:
            unserved[s] = excess  # nothing within reach: no search needed
            continue
        while excess > eps:
            n_touched = 0
            dist[s] = 0.0
            touched[n_touched] = s
            n_touched += 1
            size = _push(heap, 0, 0.0, s)
            best = np.inf
            via = -1
            while size > 0:
                d, u, size = _pop(heap, size)
                if d >= best:
                    break
                if settled[u] or d > dist[u]:
                    continue
                settled[u] = True
                if u < n:
                    cand = d + penalty + pot[u] - pot[sink]
                    if cand < best:
                        best = cand
                        via = u
                    for p in range(point_ptr[u], point_ptr[u + 1]):
                        v = n + pair_site[p]
                        if settled[v]:
                            continue
                        rc = cost[p] + pot[u] - pot[v]
                        if rc < 0.0:
                            rc = 0.0  # rounding only: reduced costs are never negative
                        nd = d + rc
                        if nd < dist[v]:
                            if dist[v] == np.inf:
                                touched[n_touched] = v
                                n_touched += 1
                            dist[v] = nd
                            pred[v] = p
                            size = _push(heap, size, nd, v)
                else:
                    j = u - n
                    if cap[j] - load[j] > eps:
                        cand = d + pot[u] - pot[sink]
                        if cand < best:
                            best = cand
                            via = u
                    for q in range(site_ptr[j], site_ptr[j + 1]):
                        p = by_site[q]
                        if flow[p] <= eps:
                            continue
                        v = pair_point[p]
                        if settled[v]:
                            continue
                        rc = -cost[p] + pot[u] - pot[v]
                        if rc < 0.0:
                            rc = 0.0
                        nd = d + rc
                        if nd < dist[v]:
                            if dist[v] == np.inf:
                                touched[n_touched] = v
                                n_touched += 1
                            dist[v] = nd
                            pred[v] = p
                            size = _push(heap, size, nd, v)
            # the bottleneck along the path
            delta = excess
            if via >= n:
                room = cap[via - n] - load[via - n]
                if room < delta:
                    delta = room
            v = via
            while v != s:
                p = pred[v]
                if v < n:  # reached over a reverse arc: people leave pair p
                    if flow[p] < delta:
                        delta = flow[p]
                    v = n + pair_site[p]
                else:
                    v = pair_point[p]
            # push it
            if via >= n:
                load[via - n] += delta
            else:
                unserved[via] += delta
            v = via
            while v != s:
                p = pred[v]
                if v < n:
                    flow[p] -= delta
                    v = n + pair_site[p]
                else:
                    flow[p] += delta
                    v = pair_point[p]
            excess -= delta
            # potentials: settled nodes move by their distance less the sink's
            for k in range(n_touched):
                v = touched[k]
                if settled[v]:
                    pot[v] += dist[v] - best
                dist[v] = np.inf
                settled[v] = False
                pred[v] = -1
    return flow, unserved
