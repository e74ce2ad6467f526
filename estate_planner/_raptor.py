"""Compiled range RAPTOR (numba): public transport times over a departure window.

RAPTOR (Delling, Pajor and Werneck 2012) works in rounds: round k finds the earliest
arrival at every stop using k vehicles, by scanning each route pattern once from the
first stop improved in the round before, then walking transfers. Range RAPTOR runs
the departures of a window from the latest to the earliest and keeps the labels
between them: a journey leaving later is also a journey for an earlier departure
(waiting at the start), so each earlier departure only scans what it improves.
Labels are kept per number of rides, as one carried from a later departure may have
used more vehicles. One origin (or one stop, for stop profiles) is one task; tasks
run in parallel on every core.

Layout (all flat arrays, built by :mod:`estate_planner.transit`): pattern ``p`` calls
at ``pat_stops[pat_ptr[p]:pat_ptr[p+1]]``; its ``n`` trips' times are the row-major
block ``times_ptr[p] + trip * len + pos`` of ``arr``/``dep``, trips in departure order
at every stop (no overtaking). ``sp_*`` lists each stop's (pattern, position);
``sd_*`` each stop's departures, all patterns, sorted; ``tr_*`` the walks between
stops. These make a :class:`Network`. The walks at a journey's ends make
:class:`Ends`: ``acc_*`` origin -> stop, ``egr_*`` stop -> destination, ``dir_*``
origin -> destination (all CSR). The kernels take the two named tuples whole (numba
types them by their fields); they are flat, as a parallel loop passes a tuple's
arrays on to its threads one by one, and no deeper.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

INF = np.inf


class Network(NamedTuple):
    """The timetable as route patterns (the layout above) and the walks between stops."""

    pat_ptr: np.ndarray
    pat_stops: np.ndarray
    times_ptr: np.ndarray
    n_trips: np.ndarray
    arr: np.ndarray
    dep: np.ndarray
    sp_ptr: np.ndarray
    sp_pat: np.ndarray
    sp_pos: np.ndarray
    sd_ptr: np.ndarray
    sd_time: np.ndarray
    tr_ptr: np.ndarray
    tr_to: np.ndarray
    tr_time: np.ndarray


class Ends(NamedTuple):
    """The walks at a journey's ends (the layout above); ``n_dest`` destinations."""

    acc_ptr: np.ndarray
    acc_stop: np.ndarray
    acc_time: np.ndarray
    egr_ptr: np.ndarray
    egr_dest: np.ndarray
    egr_time: np.ndarray
    dir_ptr: np.ndarray
    dir_dest: np.ndarray
    dir_time: np.ndarray
    n_dest: int


class Profiles(NamedTuple):
    """Stops' profiles packed for :func:`profile_window_times`: ``profile_of[s]`` is
    stop ``s``'s row ``q``, whose destinations are
    ``group_dest[group_ptr[q]:group_ptr[q+1]]``, each (group ``g``) with its pairs
    ``pair_dep``/``pair_arr[pair_ptr[g]:pair_ptr[g+1]]`` and its quickest ride
    ``group_fastest[g]``."""

    profile_of: np.ndarray
    group_ptr: np.ndarray
    group_dest: np.ndarray
    group_fastest: np.ndarray
    pair_ptr: np.ndarray
    pair_dep: np.ndarray
    pair_arr: np.ndarray


@njit(cache=True)
def _first_leaving(dep, base, length, pos, t, lo, hi):
    """The first trip in ``lo..hi`` leaving position ``pos`` at or after ``t`` (``hi``:
    none), by bisection: trips leave every stop in order."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if dep[base + mid * length + pos] < t:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def _board(dep, base, length, n_trips, pos, t):
    """The earliest trip of a pattern leaving position ``pos`` at or after ``t`` (-1: none)."""
    trip = _first_leaving(dep, base, length, pos, t, 0, n_trips)
    return trip if trip < n_trips else -1


@njit(cache=True)
def _board_earlier(dep, base, length, trip, pos, t):
    """The earliest trip before ``trip`` (which leaves ``pos`` at or after ``t``) that
    also does: galloping back from ``trip``, as the better trip is mostly a few back."""
    top, step = trip, 1
    lo = 0
    while top - step >= 0:
        if dep[base + (top - step) * length + pos] < t:
            lo = top - step + 1
            break
        top -= step
        step *= 2
    return _first_leaving(dep, base, length, pos, t, lo, top)


@njit(cache=True, inline="always")
def _lower(labels, r, s, t):
    """Makes ``t`` the best time at stop ``s`` with at most ``r`` rides, and with more
    where it is better there too; returns whether it is the best with any number."""
    q = r
    while q < labels.shape[0] and t < labels[q, s]:
        labels[q, s] = t
        q += 1
    return q == labels.shape[0]


class _Search(NamedTuple):
    """The labels and lists of one search from one origin (:func:`_search`)."""

    board: np.ndarray
    ride_le: np.ndarray
    ride: np.ndarray
    is_marked: np.ndarray
    marked: np.ndarray
    has_rode: np.ndarray
    rode: np.ndarray
    queue: np.ndarray
    queued: np.ndarray
    is_changed: np.ndarray
    changed: np.ndarray
    slot: np.ndarray
    walk: np.ndarray
    arrival: np.ndarray


@njit(cache=True)
def _search(rounds, n_stops, n_pat, n_dest):
    """Labels and lists for one search from one origin, over all its departures.

    ``board[r, s]``: the earliest time at stop ``s`` ready to board with at most ``r``
    rides (round 0: the walk from the origin); ``ride_le[r, s]``: the earliest arrival
    at ``s`` on a vehicle with at most ``r`` rides. A label is bounded by its own
    round's, never by one with more rides: labels carried from a later departure may
    have used more vehicles, and would cut short a journey that has rides to spare. A
    walk only follows a ride (a journey has no two walks in a row), so rides and the
    walks after them are apart. Stops and patterns touched are kept in lists (each with
    its flags): a round costs what it touches, not the size of the feed.
    """
    return _Search(
        board=np.full((rounds + 1, n_stops), INF),
        ride_le=np.full((rounds + 1, n_stops), INF),
        ride=np.full(n_stops, INF),  # arrivals on a vehicle in this round
        is_marked=np.zeros(n_stops, np.bool_),  # stops to board from in the next round
        marked=np.empty(n_stops, np.int64),
        has_rode=np.zeros(n_stops, np.bool_),  # stops ridden to in this round
        rode=np.empty(n_stops, np.int64),
        queue=np.full(n_pat, -1, np.int64),  # patterns to scan, from this position
        queued=np.empty(n_pat, np.int64),
        is_changed=np.zeros(n_stops, np.bool_),  # stops reached earlier for this departure
        changed=np.empty(n_stops, np.int64),
        slot=np.full(n_dest, -1, np.int64),  # each destination's row of the output
        walk=np.full(n_dest, INF),  # walking all the way
        # the earliest arrival at each destination only falls as departures get
        # earlier, so it carries over too
        arrival=np.full(n_dest, INF),
    )


@njit(cache=True)
def _one_origin(origin, departures, rounds, net, ends, cutoff, out, reached, arrivals=False):
    """Door-to-door seconds for every departure to the destinations reached at all
    (with ``arrivals``, the times of arrival by transit instead).

    No label later than ``cutoff`` seconds after the departure is made: journeys
    longer than that are not wanted, and the search stays within them.

    Row ``i`` of ``out`` holds destination ``reached[i]``, column ``m`` departure
    ``departures[m]``; returns how many rows are filled. Most destinations are out of
    reach of most origins, so only the reached are written and ranked.

    Each phase is a function of its own; each reads the tuples' arrays into locals
    once (a read of a tuple's field in a loop counts a reference every time).
    """
    work = _search(rounds, len(net.sp_ptr) - 1, len(net.pat_ptr) - 1, ends.n_dest)
    is_marked, marked, arrival, walk = work.is_marked, work.marked, work.arrival, work.walk
    n_reached = _walk_all_the_way(ends, origin, work, reached)
    # per access walk, the first of its stop's departures caught so far: a departure
    # that catches nothing new only waits longer for the same vehicles, so its stop
    # is not scanned again
    first = ends.acc_ptr[origin]
    caught = net.sd_ptr[ends.acc_stop[first : ends.acc_ptr[origin + 1]] + 1].copy()
    n_dep = len(departures)
    for m in range(n_dep - 1, -1, -1):  # latest first: labels carry over
        tau = departures[m]
        latest = tau + cutoff
        n_marked = _access(net, ends, origin, tau, latest, work, caught)
        n_changed = 0
        for r in range(1, rounds + 1):
            if n_marked == 0:
                break
            n_rode, n_changed = _ride(net, work, r, latest, n_marked, n_changed)
            n_marked = _change(net, work, r, latest, n_rode)
        for i in range(n_marked):  # left over when the rounds ran out
            is_marked[marked[i]] = False
        # each departure relaxes only the stops it improved
        n_reached = _egress(ends, work, rounds, n_changed, m, n_dep, reached, n_reached, out)
        for i in range(n_reached):
            d = reached[i]
            out[i, m] = arrival[d] if arrivals else min(arrival[d] - tau, walk[d])
    return n_reached


@njit(cache=True)
def _walk_all_the_way(ends, origin, work, reached):
    """The walks from the origin to destinations: each gets its row; returns how many."""
    dir_ptr, dir_dest, dir_time = ends.dir_ptr, ends.dir_dest, ends.dir_time
    walk, slot = work.walk, work.slot
    n_reached = 0
    for k in range(dir_ptr[origin], dir_ptr[origin + 1]):
        d = dir_dest[k]
        walk[d] = min(walk[d], dir_time[k])
        if slot[d] < 0:
            slot[d] = n_reached
            reached[n_reached] = d
            n_reached += 1
    return n_reached


@njit(cache=True, inline="always")
def _mark(is_marked, marked, s, n_marked):
    """Marks stop ``s`` to board from in the next round; returns how many are marked."""
    if not is_marked[s]:
        is_marked[s] = True
        marked[n_marked] = s
        n_marked += 1
    return n_marked


@njit(cache=True)
def _access(net, ends, origin, tau, latest, work, caught):
    """Round 0 of departure ``tau``: the walks from the origin to its stops. Marks the
    stops reached earlier where a vehicle not caught before can be boarded; returns
    how many."""
    acc_ptr, acc_stop, acc_time = ends.acc_ptr, ends.acc_stop, ends.acc_time
    sd_ptr, sd_time = net.sd_ptr, net.sd_time
    board, is_marked, marked = work.board, work.is_marked, work.marked
    first = acc_ptr[origin]
    n_marked = 0
    for k in range(first, acc_ptr[origin + 1]):
        s = acc_stop[k]
        t = tau + acc_time[k]
        if t < board[0, s] and t <= latest:
            _lower(board, 0, s, t)
            lo = sd_ptr[s]
            now = lo + np.searchsorted(sd_time[lo : caught[k - first]], t)
            if now == caught[k - first]:
                continue
            caught[k - first] = now
            n_marked = _mark(is_marked, marked, s, n_marked)
    return n_marked


@njit(cache=True)
def _ride(net, work, r, latest, n_marked, n_changed):
    """Round ``r``'s rides: each pattern calling at a marked stop is scanned from the
    first such, boarding the earliest trip that can be caught. Unmarks the stops;
    returns how many stops were ridden to (``work.rode``) and how many have a new best
    arrival for the departure (``work.changed``, counted on from ``n_changed``)."""
    pat_ptr, pat_stops, times_ptr, n_trips = net.pat_ptr, net.pat_stops, net.times_ptr, net.n_trips
    arr, dep, sp_ptr, sp_pat, sp_pos = net.arr, net.dep, net.sp_ptr, net.sp_pat, net.sp_pos
    board, ride_le, ride = work.board, work.ride_le, work.ride
    is_marked, marked, has_rode, rode = work.is_marked, work.marked, work.has_rode, work.rode
    queue, queued, is_changed, changed = work.queue, work.queued, work.is_changed, work.changed
    n_queued = 0
    for i in range(n_marked):
        s = marked[i]
        is_marked[s] = False
        for k in range(sp_ptr[s], sp_ptr[s + 1]):
            p = sp_pat[k]
            if queue[p] < 0:
                queued[n_queued] = p
                n_queued += 1
                queue[p] = sp_pos[k]
            elif sp_pos[k] < queue[p]:
                queue[p] = sp_pos[k]
    n_rode = 0
    for i in range(n_queued):
        p = queued[i]
        start = pat_ptr[p]
        length = pat_ptr[p + 1] - start
        base = times_ptr[p]
        trip = -1
        for pos in range(queue[p], length):
            s = pat_stops[start + pos]
            if trip >= 0:
                a = arr[base + trip * length + pos]
                if a < ride_le[r, s] and a <= latest:
                    if _lower(ride_le, r, s, a) and not is_changed[s]:
                        is_changed[s] = True
                        changed[n_changed] = s
                        n_changed += 1
                    ride[s] = a
                    if not has_rode[s]:
                        has_rode[s] = True
                        rode[n_rode] = s
                        n_rode += 1
            ready = board[r - 1, s]
            if ready < INF:
                if trip < 0:
                    trip = _board(dep, base, length, n_trips[p], pos, ready)
                elif ready <= dep[base + trip * length + pos]:
                    trip = _board_earlier(dep, base, length, trip, pos, ready)
        queue[p] = -1
    return n_rode, n_changed


@njit(cache=True)
def _change(net, work, r, latest, n_rode):
    """After round ``r``'s rides: change at the stop ridden to, or walk to another.
    Marks the stops where the next round can board; returns how many."""
    tr_ptr, tr_to, tr_time = net.tr_ptr, net.tr_to, net.tr_time
    board, ride, has_rode, rode = work.board, work.ride, work.has_rode, work.rode
    is_marked, marked = work.is_marked, work.marked
    n_marked = 0
    for i in range(n_rode):
        s = rode[i]
        has_rode[s] = False
        t0 = ride[s]
        if t0 < board[r, s]:  # change at the same stop
            _lower(board, r, s, t0)
            n_marked = _mark(is_marked, marked, s, n_marked)
        for k in range(tr_ptr[s], tr_ptr[s + 1]):  # or walk to another
            n = tr_to[k]
            t = t0 + tr_time[k]
            if t < board[r, n] and t <= latest:
                _lower(board, r, n, t)
                n_marked = _mark(is_marked, marked, n, n_marked)
    return n_marked


@njit(cache=True)
def _egress(ends, work, rounds, n_changed, m, n_dep, reached, n_reached, out):
    """The walks to destinations from the stops arrived at earlier for departure
    ``m``; returns how many destinations are reached now."""
    egr_ptr, egr_dest, egr_time = ends.egr_ptr, ends.egr_dest, ends.egr_time
    ride_le, is_changed, changed = work.ride_le, work.is_changed, work.changed
    slot, walk, arrival = work.slot, work.walk, work.arrival
    for i in range(n_changed):
        s = changed[i]
        is_changed[s] = False
        for k in range(egr_ptr[s], egr_ptr[s + 1]):
            d = egr_dest[k]
            t = ride_le[rounds, s] + egr_time[k]
            if t < arrival[d]:
                arrival[d] = t
                if slot[d] < 0:  # first reached: later departures only walk
                    slot[d] = n_reached
                    reached[n_reached] = d
                    n_reached += 1
                    for later in range(m + 1, n_dep):
                        out[slot[d], later] = walk[d]
    return n_reached


@njit(cache=True)
def _percentile(row, rank, cutoff):
    """The ``rank``-th smallest of ``row`` if it is within ``cutoff``, else ``inf``."""
    within = 0
    for v in row:
        within += v <= cutoff
    if within <= rank:  # no partition needed: the rank lies past the cutoff
        return INF
    return np.partition(row, rank)[rank]


@njit(cache=True, parallel=True)
def window_times(origins, departures, rounds, net, ends, percentile_rank, cutoff):
    """Per origin and destination: the door-to-door time at the window's percentile.

    ``percentile_rank`` is the 0-based rank (among the window's departures, sorted) of
    the time reported; times over ``cutoff`` count as unreachable (``inf``).
    """
    n, n_dest = len(origins), ends.n_dest
    result = np.full((n, n_dest), INF)
    for i in prange(n):
        out = np.empty((n_dest, len(departures)))
        reached = np.empty(n_dest, np.int64)
        count = _one_origin(origins[i], departures, rounds, net, ends, cutoff, out, reached)
        for j in range(count):
            result[i, reached[j]] = _percentile(out[j], percentile_rank, cutoff)
    return result


@njit(cache=True, parallel=True)
def stop_profiles(ev_ptr, ev_time, horizon, rounds, net, ends, cap):
    """From each origin ``i`` of ``ends`` (a stop: one access walk of no length, none
    all the way), the earliest arrival at every destination for each of its departure
    events ``ev_time[ev_ptr[i]:ev_ptr[i+1]]`` (ascending), as profiles.

    A profile is the pairs (departure, arrival) where leaving earlier arrives earlier,
    latest first: leaving the stop at ``t`` arrives at the arrival of the last pair
    leaving at or after ``t``. No label is made later than ``horizon[i]`` after an
    event. Stop ``i``'s destinations are ``dest[i, :n_dest_of[i]]`` with ``size[i, j]``
    pairs each, the pairs in ``pair_dep[i]``/``pair_arr[i]``; ``n_pairs[i]`` counts them
    even past ``cap`` (then only the first ``cap`` are kept, and the caller asks again).
    """
    n, n_dest = len(ev_ptr) - 1, ends.n_dest
    n_dest_of = np.zeros(n, np.int64)
    n_pairs = np.zeros(n, np.int64)
    dest = np.empty((n, n_dest), np.int64)
    size = np.empty((n, n_dest), np.int64)
    pair_dep = np.empty((n, cap))
    pair_arr = np.empty((n, cap))
    for i in prange(n):
        events = ev_time[ev_ptr[i] : ev_ptr[i + 1]]
        out = np.empty((n_dest, len(events)))
        reached = np.empty(n_dest, np.int64)
        count = _one_origin(i, events, rounds, net, ends, horizon[i], out, reached, True)
        k = 0
        for j in range(count):
            dest[i, j] = reached[j]
            best = INF
            first = k
            for m in range(len(events) - 1, -1, -1):
                a = out[j, m]
                if a < best:
                    best = a
                    if k < cap:
                        pair_dep[i, k] = events[m]
                        pair_arr[i, k] = a
                    k += 1
            size[i, j] = k - first
        n_dest_of[i] = count
        n_pairs[i] = k
    return n_dest_of, dest, size, n_pairs, pair_dep, pair_arr


@njit(cache=True, parallel=True)
def profile_window_times(origins, departures, ends, profiles, percentile_rank, cutoff):
    """As :func:`window_times`, from the stops' profiles (:func:`stop_profiles`).

    An origin's journey starts with one walk to one stop, so its time for a departure
    is the best over its stops of the walk and the stop's profile at the time it gets
    there, or walking all the way (:class:`Profiles` says how they are packed).
    """
    n, n_dep, n_dest = len(origins), len(departures), ends.n_dest
    # the arrays as locals, as in _one_origin
    acc_ptr, acc_stop, acc_time = ends.acc_ptr, ends.acc_stop, ends.acc_time
    dir_ptr, dir_dest, dir_time = ends.dir_ptr, ends.dir_dest, ends.dir_time
    profile_of, group_ptr, group_dest = profiles.profile_of, profiles.group_ptr, profiles.group_dest
    fastest, pair_ptr = profiles.group_fastest, profiles.pair_ptr
    pair_dep, pair_arr = profiles.pair_dep, profiles.pair_arr
    result = np.full((n, n_dest), INF)
    for i in prange(n):
        o = origins[i]
        out = np.empty((n_dest, n_dep))
        reached = np.empty(n_dest, np.int64)
        slot = np.full(n_dest, -1, np.int64)
        walk = np.full(n_dest, INF)
        n_reached = 0
        for k in range(dir_ptr[o], dir_ptr[o + 1]):
            walk[dir_dest[k]] = min(walk[dir_dest[k]], dir_time[k])
        for k in range(dir_ptr[o], dir_ptr[o + 1]):
            d = dir_dest[k]
            if slot[d] < 0:
                slot[d] = n_reached
                reached[n_reached] = d
                out[n_reached, :] = walk[d]
                n_reached += 1
        for k in range(acc_ptr[o], acc_ptr[o + 1]):
            q = profile_of[acc_stop[k]]
            a = acc_time[k]
            for g in range(group_ptr[q], group_ptr[q + 1]):
                if a + fastest[g] > cutoff + 1e-6:  # never within the cutoff from here
                    continue
                d = group_dest[g]
                if slot[d] < 0:
                    slot[d] = n_reached
                    reached[n_reached] = d
                    out[n_reached, :] = walk[d]
                    n_reached += 1
                row = slot[d]
                j = pair_ptr[g]
                end = pair_ptr[g + 1]
                # departures arriving at the stop after its last pair catch nothing;
                # one more than the bisection says, as it rounds differently
                top = min(np.searchsorted(departures, pair_dep[j] - a, side="right") + 1, n_dep)
                for m in range(top - 1, -1, -1):  # later departures first: pairs in step
                    t = departures[m] + a  # as the origin's own search reaches the stop
                    if pair_dep[j] < t:
                        continue
                    while j + 1 < end and pair_dep[j + 1] >= t:
                        j += 1
                    v = pair_arr[j] - departures[m]
                    if v < out[row, m]:
                        out[row, m] = v
        for j in range(n_reached):
            result[i, reached[j]] = _percentile(out[j], percentile_rank, cutoff)
    return result


@njit(cache=True)
def all_departures(origin, departures, rounds, net, ends, cutoff=INF):
    """Door-to-door seconds from one origin for every departure (destinations x departures)."""
    n_dest = ends.n_dest
    rows = np.empty((n_dest, len(departures)))
    reached = np.empty(n_dest, np.int64)
    count = _one_origin(origin, departures, rounds, net, ends, cutoff, rows, reached)
    out = np.full((n_dest, len(departures)), INF)
    out[reached[:count]] = rows[:count]
    return out
