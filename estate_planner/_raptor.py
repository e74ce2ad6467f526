"""Compiled range RAPTOR (numba): public transport times over a departure window.

RAPTOR (Delling, Pajor and Werneck 2012) works in rounds: round k finds the earliest
arrival at every stop using k vehicles, by scanning each route pattern once from the
first stop improved in the round before, then walking transfers. Range RAPTOR runs
the departures of a window from the latest to the earliest and keeps the labels
between them: a journey leaving later is also a journey for an earlier departure
(waiting at the start), so each earlier departure only scans what it improves. One
origin is one task; origins run in parallel on every core.

Layout (all flat arrays, built by :mod:`estate_planner.transit`): pattern ``p`` calls
at ``pat_stops[pat_ptr[p]:pat_ptr[p+1]]``; its ``n`` trips' times are the row-major
block ``times_ptr[p] + trip * len + pos`` of ``arr``/``dep``, trips in departure order
at every stop (no overtaking). ``sp_*`` lists each stop's (pattern, position);
``tr_*`` the walks between stops; ``acc_*`` origin -> stop walks, ``egr_*`` stop ->
destination walks, ``dir_*`` origin -> destination walks (all CSR).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

INF = np.inf


@njit(cache=True)
def _board(dep, base, length, n_trips, pos, t):
    """The earliest trip of a pattern leaving position ``pos`` at or after ``t`` (-1: none)."""
    lo, hi = 0, n_trips
    while lo < hi:
        mid = (lo + hi) >> 1
        if dep[base + mid * length + pos] < t:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < n_trips else -1


@njit(cache=True)
def _one_origin(
    origin, departures, rounds, n_stops, n_dest,
    pat_ptr, pat_stops, times_ptr, n_trips, arr, dep,
    sp_ptr, sp_pat, sp_pos, tr_ptr, tr_to, tr_time,
    acc_ptr, acc_stop, acc_time, egr_ptr, egr_dest, egr_time,
    dir_ptr, dir_dest, dir_time, out,
):  # fmt: skip
    """Fill ``out[d, m]`` with door-to-door seconds for departure ``departures[m]``."""
    n_pat = len(pat_ptr) - 1
    # board[r, s]: earliest time at stop s ready to board after r rides (round 0: the
    # walk from the origin); a walk only follows a ride, as a journey has no two walks
    # in a row, so rides and the walks after them are kept apart
    board = np.full((rounds + 1, n_stops), INF)
    board_best = np.full(n_stops, INF)
    ride_best = np.full(n_stops, INF)  # earliest arrival at s on a vehicle, any round
    ride = np.full(n_stops, INF)  # arrivals on a vehicle in this round
    marked = np.zeros(n_stops, np.bool_)
    rode = np.zeros(n_stops, np.bool_)
    queue = np.full(n_pat, -1, np.int64)
    walk = np.full(n_dest, INF)
    for k in range(dir_ptr[origin], dir_ptr[origin + 1]):
        walk[dir_dest[k]] = min(walk[dir_dest[k]], dir_time[k])
    arrival = np.empty(n_dest)
    for m in range(len(departures) - 1, -1, -1):  # latest first: labels carry over
        tau = departures[m]
        marked[:] = False
        for k in range(acc_ptr[origin], acc_ptr[origin + 1]):
            s = acc_stop[k]
            t = tau + acc_time[k]
            if t < board[0, s]:
                board[0, s] = t
                board_best[s] = min(board_best[s], t)
                marked[s] = True
        for r in range(1, rounds + 1):
            queue[:] = -1
            any_route = False
            for s in range(n_stops):
                if marked[s]:
                    for k in range(sp_ptr[s], sp_ptr[s + 1]):
                        p = sp_pat[k]
                        if queue[p] < 0 or sp_pos[k] < queue[p]:
                            queue[p] = sp_pos[k]
                            any_route = True
            if not any_route:
                break
            rode[:] = False
            for p in range(n_pat):
                if queue[p] < 0:
                    continue
                start = pat_ptr[p]
                length = pat_ptr[p + 1] - start
                base = times_ptr[p]
                trips = n_trips[p]
                trip = -1
                for pos in range(queue[p], length):
                    s = pat_stops[start + pos]
                    if trip >= 0:
                        a = arr[base + trip * length + pos]
                        if a < ride_best[s]:
                            ride_best[s] = a
                            ride[s] = a
                            rode[s] = True
                    ready = board[r - 1, s]
                    if ready < INF and (trip < 0 or ready <= dep[base + trip * length + pos]):
                        earlier = _board(dep, base, length, trips, pos, ready)
                        if earlier >= 0 and (trip < 0 or earlier < trip):
                            trip = earlier
            marked[:] = False
            for s in range(n_stops):
                if rode[s]:
                    t0 = ride[s]
                    if t0 < board[r, s] and t0 < board_best[s]:  # change at the same stop
                        board[r, s] = t0
                        board_best[s] = t0
                        marked[s] = True
                    for k in range(tr_ptr[s], tr_ptr[s + 1]):  # or walk to another
                        n = tr_to[k]
                        t = t0 + tr_time[k]
                        if t < board[r, n] and t < board_best[n]:
                            board[r, n] = t
                            board_best[n] = t
                            marked[n] = True
        arrival[:] = INF
        for s in range(n_stops):
            if ride_best[s] < INF:
                for k in range(egr_ptr[s], egr_ptr[s + 1]):
                    t = ride_best[s] + egr_time[k]
                    if t < arrival[egr_dest[k]]:
                        arrival[egr_dest[k]] = t
        for d in range(n_dest):
            out[d, m] = min(arrival[d] - tau, walk[d])


@njit(cache=True, parallel=True)
def window_times(
    origins, departures, rounds, n_stops, n_dest,
    pat_ptr, pat_stops, times_ptr, n_trips, arr, dep,
    sp_ptr, sp_pat, sp_pos, tr_ptr, tr_to, tr_time,
    acc_ptr, acc_stop, acc_time, egr_ptr, egr_dest, egr_time,
    dir_ptr, dir_dest, dir_time, percentile_rank, cutoff,
):  # fmt: skip
    """Per origin and destination: the door-to-door time at the window's percentile.

    ``percentile_rank`` is the 0-based rank (among the window's departures, sorted) of
    the time reported; times over ``cutoff`` count as unreachable (``inf``).
    """
    n = len(origins)
    result = np.full((n, n_dest), INF)
    for i in prange(n):
        out = np.empty((n_dest, len(departures)))
        _one_origin(
            origins[i], departures, rounds, n_stops, n_dest,
            pat_ptr, pat_stops, times_ptr, n_trips, arr, dep,
            sp_ptr, sp_pat, sp_pos, tr_ptr, tr_to, tr_time,
            acc_ptr, acc_stop, acc_time, egr_ptr, egr_dest, egr_time,
            dir_ptr, dir_dest, dir_time, out,
        )  # fmt: skip
        for d in range(n_dest):
            row = np.sort(out[d])
            value = row[percentile_rank]
            if value <= cutoff:
                result[i, d] = value
    return result


@njit(cache=True)
def all_departures(
    origin, departures, rounds, n_stops, n_dest,
    pat_ptr, pat_stops, times_ptr, n_trips, arr, dep,
    sp_ptr, sp_pat, sp_pos, tr_ptr, tr_to, tr_time,
    acc_ptr, acc_stop, acc_time, egr_ptr, egr_dest, egr_time,
    dir_ptr, dir_dest, dir_time,
):  # fmt: skip
    """Door-to-door seconds from one origin for every departure (destinations x departures)."""
    out = np.empty((n_dest, len(departures)))
    _one_origin(
        origin, departures, rounds, n_stops, n_dest,
        pat_ptr, pat_stops, times_ptr, n_trips, arr, dep,
        sp_ptr, sp_pat, sp_pos, tr_ptr, tr_to, tr_time,
        acc_ptr, acc_stop, acc_time, egr_ptr, egr_dest, egr_time,
        dir_ptr, dir_dest, dir_time, out,
    )  # fmt: skip
    return out
