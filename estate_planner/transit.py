"""Public transport travel times over a departure window, door to door.

A journey walks on the street network to a stop (up to ``max_access_walk_s``), rides
one or more vehicles with walks between stops at transfers (each up to
``max_transfer_walk_s``), and walks from the last stop; its time is compared with
walking all the way, and the better counts. Times are found for every departure
minute of a window (07:00-10:00 by default, the Department for Transport's morning
peak) and reported as a percentile over the window (the median by default), as r5
and the journey time statistics report them: one departure time says more about the
timetable than about access.

The timetable is grouped into route patterns (trips calling at the same stops in the
same order, split where one trip would overtake another) in flat arrays; the rounds
run in a compiled range RAPTOR (:mod:`estate_planner._raptor`) on every core, either
from each origin or, when origins far outnumber the stops they walk to, from each of
those stops (profiles each origin then reads; the same times).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from estate_planner._errors import InputDataError, OptionError
from estate_planner.sources.gtfs import Timetable, read_gtfs
from estate_planner.sources.tables import BNG
from estate_planner.travel import RoutingGraph, routing_graph, snap_points, times_between

if TYPE_CHECKING:
    from estate_planner import _raptor

logger = logging.getLogger(__name__)

# room for each stop's profile pairs in a batch of stop searches; a stop with more is
# searched again on its own
PAIRS_ROOM = 16_384
# "auto" leaves stop profiles for searches from origins past this size: on a dense
# town network every stop reaches every destination, every minute
PROFILE_BUDGET_BYTES = 1.5e9


@dataclass
class Patterns:
    """Trips grouped into route patterns, as the router reads them (see ``_raptor``)."""

    pat_ptr: np.ndarray
    pat_stops: np.ndarray
    times_ptr: np.ndarray
    n_trips: np.ndarray
    arr: np.ndarray
    dep: np.ndarray
    sp_ptr: np.ndarray
    sp_pat: np.ndarray
    sp_pos: np.ndarray
    sd_ptr: np.ndarray  # stop s's departures, any pattern, sorted: sd_time[sd_ptr[s]:...]
    sd_time: np.ndarray
    trips: list[np.ndarray]  # per pattern, the timetable's trip numbers in order

    @property
    def n_patterns(self) -> int:
        return len(self.pat_ptr) - 1


def build_patterns(timetable: Timetable) -> Patterns:
    """Group a day's trips into route patterns with no overtaking.

    Trips calling at the same stops in the same order share a pattern; where one would
    overtake another (a faster service on the same stops), the pattern is split so
    that in each, trips leave and arrive at every stop in the same order.

    Parameters
    ----------
    timetable : Timetable

    Returns
    -------
    Patterns
    """
    ptr = timetable.trip_ptr
    groups: dict[tuple[int, ...], list[int]] = {}
    for trip in range(timetable.n_trips):
        calls = timetable.call_stop[ptr[trip] : ptr[trip + 1]]
        if len(calls) >= 2:
            groups.setdefault(tuple(int(s) for s in calls), []).append(trip)
    pat_stops: list[np.ndarray] = []
    blocks_arr: list[np.ndarray] = []
    blocks_dep: list[np.ndarray] = []
    members: list[np.ndarray] = []
    for stops, trips in groups.items():
        arr = np.array([timetable.call_arrival[ptr[t] : ptr[t + 1]] for t in trips])
        dep = np.array([timetable.call_departure[ptr[t] : ptr[t + 1]] for t in trips])
        order = np.lexsort((arr[:, -1], dep[:, 0]))
        for chain in _fifo_chains(arr[order], dep[order]):
            pat_stops.append(np.asarray(stops, np.int64))
            blocks_arr.append(arr[order][chain])
            blocks_dep.append(dep[order][chain])
            members.append(np.asarray(trips)[order][chain])
    lengths = np.array([len(s) for s in pat_stops], np.int64)
    n_trips = np.array([len(m) for m in members], np.int64)
    pat_ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    times_ptr = np.concatenate([[0], np.cumsum(lengths * n_trips)]).astype(np.int64)
    flat_stops = np.concatenate(pat_stops) if pat_stops else np.zeros(0, np.int64)
    # each stop's (pattern, position) pairs
    pattern_of = np.repeat(np.arange(len(pat_stops)), lengths)
    position = np.concatenate([np.arange(n) for n in lengths]) if len(lengths) else lengths
    order = np.argsort(flat_stops, kind="stable")
    sp_ptr = np.searchsorted(flat_stops[order], np.arange(timetable.n_stops + 1)).astype(np.int64)
    arr = _compact(np.concatenate([b.ravel() for b in blocks_arr]) if blocks_arr else np.zeros(0))
    dep = _compact(np.concatenate([b.ravel() for b in blocks_dep]) if blocks_dep else np.zeros(0))
    stop_of = np.concatenate(
        [np.tile(s, len(m)) for s, m in zip(pat_stops, members, strict=True)]
    ) if pat_stops else np.zeros(0, np.int64)  # fmt: skip
    by_stop = np.lexsort((dep, stop_of))
    sd_ptr = np.searchsorted(stop_of[by_stop], np.arange(timetable.n_stops + 1)).astype(np.int64)
    return Patterns(
        pat_ptr=pat_ptr,
        pat_stops=flat_stops,
        times_ptr=times_ptr,
        n_trips=n_trips,
        arr=arr,
        dep=dep,
        sp_ptr=sp_ptr,
        sp_pat=pattern_of[order].astype(np.int64),
        sp_pos=position[order].astype(np.int64),
        sd_ptr=sd_ptr,
        sd_time=dep[by_stop],
        trips=members,
    )


def _compact(times: np.ndarray) -> np.ndarray:
    """Timetable seconds as float32 when that holds them exactly (whole seconds, as
    GTFS gives them): half the memory to read, and the search is bound by reading."""
    small = times.astype(np.float32)
    return small if np.array_equal(small, times) else times


def _fifo_chains(arr: np.ndarray, dep: np.ndarray) -> list[list[int]]:
    """Split trips (sorted by first departure) into chains in which no trip overtakes
    the one before it at any stop."""
    chains: list[list[int]] = []
    for trip in range(len(arr)):
        for chain in chains:
            last = chain[-1]
            if (arr[last] <= arr[trip]).all() and (dep[last] <= dep[trip]).all():
                chain.append(trip)
                break
        else:
            chains.append([trip])
    return chains


def clock_seconds(value: str | float | int) -> float:
    """``"07:30"`` (or ``"07:30:00"``, or seconds) as seconds after midnight.

    Parameters
    ----------
    value : str or number

    Returns
    -------
    float

    Examples
    --------
    >>> clock_seconds("07:30"), clock_seconds("25:00:00"), clock_seconds(60)
    (27000.0, 90000.0, 60.0)
    """
    if isinstance(value, int | float):
        return float(value)
    parts = [int(p) for p in str(value).strip().split(":")]
    if not 2 <= len(parts) <= 3:
        raise InputDataError(f"{value!r} is not a time HH:MM or HH:MM:SS")
    hours, minutes, seconds = (*parts, 0)[:3]
    return float(hours * 3600 + minutes * 60 + seconds)


def percentile_rank(percentile: float, n: int) -> int:
    """The 0-based rank of the ``percentile`` among ``n`` sorted values (nearest rank).

    Parameters
    ----------
    percentile : float
        0 to 100.
    n : int
        Number of values.

    Returns
    -------
    int

    Examples
    --------
    >>> percentile_rank(50, 180), percentile_rank(0, 180), percentile_rank(100, 180)
    (89, 0, 179)
    """
    if not 0 <= percentile <= 100:
        raise InputDataError(f"percentile must be 0 to 100, found {percentile}")
    return min(max(math.ceil(percentile / 100 * n) - 1, 0), n - 1)


@dataclass
class Legs:
    """The walks of a transit question, as CSR arrays (seconds)."""

    access: sp.csr_matrix  # origins x stops
    egress: sp.csr_matrix  # stops x destinations
    transfers: sp.csr_matrix  # stops x stops, no diagonal
    direct: sp.csr_matrix  # origins x destinations


def walking_legs(
    graph: RoutingGraph,
    stops: gpd.GeoSeries,
    origins: gpd.GeoSeries,
    destinations: gpd.GeoSeries,
    *,
    walk_kmh: float = 4.8,
    max_access_walk_s: float = 900.0,
    max_transfer_walk_s: float = 600.0,
    max_walk_s: float = 7200.0,
    max_snap_m: float = 500.0,
) -> Legs:
    """Every walk a journey can make, on the street network.

    Parameters
    ----------
    graph : RoutingGraph
        The walk network.
    stops, origins, destinations : geopandas.GeoSeries
        Points in BNG.
    walk_kmh : float
        Speed of the leg from a point to its street.
    max_access_walk_s, max_transfer_walk_s : float
        Longest walk to or from a stop, and between stops at a transfer.
    max_walk_s : float
        Longest walk all the way.
    max_snap_m : float
        Points farther from a street are flagged (their leg is still walked).

    Returns
    -------
    Legs
    """
    points = gpd.GeoSeries(
        pd.concat([origins, destinations, stops], ignore_index=True), crs=BNG
    )
    snapped_graph, snapped = snap_points(graph, points, walk_kmh=walk_kmh, max_snap_m=max_snap_m)
    n_o, n_d = len(origins), len(destinations)
    return legs_between(
        snapped_graph,
        snapped.node[:n_o],
        snapped.node[n_o : n_o + n_d],
        snapped.node[n_o + n_d :],
        max_access_walk_s=max_access_walk_s,
        max_transfer_walk_s=max_transfer_walk_s,
        max_walk_s=max_walk_s,
    )


def legs_between(
    graph: RoutingGraph,
    origin_nodes: np.ndarray,
    destination_nodes: np.ndarray,
    stop_nodes: np.ndarray,
    *,
    max_access_walk_s: float = 900.0,
    max_transfer_walk_s: float = 600.0,
    max_walk_s: float = 7200.0,
) -> Legs:
    """:func:`walking_legs` for points already on the graph (routing nodes).

    Parameters
    ----------
    graph : RoutingGraph
        The walk network with the points snapped on.
    origin_nodes, destination_nodes, stop_nodes : numpy.ndarray
    max_access_walk_s, max_transfer_walk_s, max_walk_s : float
        As :func:`walking_legs`.

    Returns
    -------
    Legs
    """
    walks = sp.coo_matrix(times_between(graph, stop_nodes, stop_nodes, cutoff=max_transfer_walk_s))
    other = walks.row != walks.col  # a stop to itself is no walk; two stops 0 s apart are
    transfers = sp.csr_matrix(
        (walks.data[other], (walks.row[other], walks.col[other])), shape=walks.shape
    )
    return Legs(
        access=times_between(graph, origin_nodes, stop_nodes, cutoff=max_access_walk_s),
        egress=times_between(graph, stop_nodes, destination_nodes, cutoff=max_access_walk_s),
        transfers=transfers,
        direct=times_between(graph, origin_nodes, destination_nodes, cutoff=max_walk_s),
    )


def window_times(
    patterns: Patterns,
    legs: Legs,
    *,
    departures: np.ndarray,
    max_transfers: int = 3,
    percentile: float = 50.0,
    cutoff: float | None = None,
    method: str = "auto",
) -> np.ndarray:
    """Door-to-door seconds per origin and destination at the window's percentile.

    Parameters
    ----------
    patterns : Patterns
    legs : Legs
    departures : numpy.ndarray
        Departure times (seconds after midnight), one per step of the window.
    max_transfers : int
        Most changes of vehicle (rides = transfers + 1).
    percentile : float
        0 to 100 over the window's departures (nearest rank).
    cutoff : float, optional
        Longer times count as unreachable.
    method : {"auto", "origins", "stops"}
        ``"origins"``: a range search from each origin. ``"stops"``: a range search
        from each stop some origin walks to, kept as profiles (arrival for each
        departure from the stop), then each origin's times read from its stops'
        profiles; far fewer searches when origins outnumber their stops, as homes do.
        ``"auto"`` takes stops when origins are over three times as many. Both give
        the same times.

    Returns
    -------
    numpy.ndarray
        Origins x destinations, ``inf`` where unreachable.
    """
    from estate_planner import _raptor

    departures = np.sort(np.asarray(departures, dtype=float))
    net, ends = _raptor_inputs(patterns, legs)
    horizon = np.inf if cutoff is None else float(cutoff)
    rank = percentile_rank(percentile, len(departures))
    origins = np.arange(len(ends.acc_ptr) - 1, dtype=np.int64)
    used = np.unique(ends.acc_stop)
    if method not in ("auto", "origins", "stops"):
        raise OptionError(f"method must be 'auto', 'origins' or 'stops', not {method!r}")
    search = None
    if method == "stops" or (method == "auto" and 0 < 3 * len(used) < len(origins)):
        search = _stop_searches(net, ends, used, departures, max_transfers, horizon)
        if method == "auto" and _profile_bytes(search, len(used)) > PROFILE_BUDGET_BYTES:
            logger.info("stop profiles would outgrow %.1f GB: searching from each origin",
                        PROFILE_BUDGET_BYTES / 1e9)  # fmt: skip
            search = None
    if search is None:
        kernel: Any = _raptor.window_times  # a numba dispatcher: its arguments go untyped
        return kernel(origins, departures, max_transfers + 1, net, ends, rank, horizon)
    started = time.perf_counter()
    profiles = _stop_profiles(search, used, len(net.sp_ptr) - 1, ends.n_dest)
    logger.info("stop profiles in %.1f s", time.perf_counter() - started)
    combine: Any = _raptor.profile_window_times
    started = time.perf_counter()
    result = combine(origins, departures, ends, profiles, rank, horizon)
    logger.info("origins' times from the profiles in %.1f s", time.perf_counter() - started)
    return result


def _stop_searches(
    net: _raptor.Network, ends: _raptor.Ends, used: np.ndarray, departures: np.ndarray,
    max_transfers: int, horizon: float,
) -> Callable[[np.ndarray, int], tuple[np.ndarray, ...]]:  # fmt: skip
    """A function searching from ``used[which]`` with room for ``cap`` pairs each
    (:func:`estate_planner._raptor.stop_profiles`)."""
    from estate_planner import _raptor

    kernel: Any = _raptor.stop_profiles
    n_stops, stop, walk = len(net.sp_ptr) - 1, ends.acc_stop, ends.acc_time
    # a stop's events: its departures between the first origin's arrival there and the
    # last's, and the last arrival itself (for whatever leaves after the window)
    first = np.full(n_stops, np.inf)
    last = np.full(n_stops, -np.inf)
    np.minimum.at(first, stop, departures[0] + walk)
    np.maximum.at(last, stop, departures[-1] + walk)
    nearest = np.full(n_stops, np.inf)
    np.minimum.at(nearest, stop, walk)
    events = []
    for s in used:
        leaving = np.unique(net.sd_time[net.sd_ptr[s] : net.sd_ptr[s + 1]]).astype(float)
        events.append(np.append(leaving[(leaving >= first[s]) & (leaving < last[s])], last[s]))
    # a journey from the stop is wanted only while the origin nearest it is within
    # the cutoff: it reached the stop that much after leaving
    horizons = horizon - nearest[used]

    def search(which: np.ndarray, cap: int) -> tuple[np.ndarray, ...]:
        # each stop is an origin with one access walk of no length and no walk all the way
        n = len(which)
        from_stops = ends._replace(
            acc_ptr=np.arange(n + 1, dtype=np.int64), acc_stop=used[which], acc_time=np.zeros(n),
            dir_ptr=np.zeros(n + 1, np.int64), dir_dest=np.zeros(0, np.int64), dir_time=np.zeros(0),
        )  # fmt: skip
        return kernel(
            np.concatenate([[0], np.cumsum([len(events[i]) for i in which])]).astype(np.int64),
            np.concatenate([events[i] for i in which]), horizons[which],
            max_transfers + 1, net, from_stops, cap,
        )  # fmt: skip

    return search


def _profile_bytes(search: Callable[..., tuple[np.ndarray, ...]], n_used: int) -> float:
    """The memory all the stops' profiles would take, from a sample of the stops."""
    sample = np.unique(np.linspace(0, n_used - 1, min(n_used, 48)).astype(np.int64))
    count, _, _, n_pairs, _, _ = search(sample, 1)  # counts, keeping no pairs
    return float(count.sum() * 24 + n_pairs.sum() * 16) * n_used / len(sample)


def _stop_profiles(
    search: Callable[..., tuple[np.ndarray, ...]], used: np.ndarray, n_stops: int, n_dest: int
) -> _raptor.Profiles:
    """Each used stop's profile to every destination, packed for
    :func:`estate_planner._raptor.profile_window_times`."""
    rows: list[tuple[np.ndarray, ...]] = [()] * len(used)
    chunk = int(max(16, min(512, 4_000_000 // max(n_dest, 1))))
    for lo in range(0, len(used), chunk):
        which = np.arange(lo, min(lo + chunk, len(used)))
        cap = PAIRS_ROOM
        while len(which):
            count, dest, size, n_pairs, pair_dep, pair_arr = search(which, cap)
            for j, i in enumerate(which):
                if n_pairs[j] <= cap:  # copies: a view would hold the chunk's buffers
                    n, k = count[j], n_pairs[j]
                    rows[i] = (dest[j, :n].copy(), size[j, :n].copy(),
                               pair_dep[j, :k].copy(), pair_arr[j, :k].copy())  # fmt: skip
            # a stop with more pairs than room is searched again, with room for all
            which, cap = which[n_pairs > cap], int(n_pairs.max())
    return _pack_profiles(rows, used, n_stops)


def _pack_profiles(
    rows: list[tuple[np.ndarray, ...]], used: np.ndarray, n_stops: int
) -> _raptor.Profiles:
    """Each stop's profiles (destinations, pairs per destination, departures,
    arrivals) as :func:`estate_planner._raptor.profile_window_times` reads them."""
    from estate_planner._raptor import Profiles

    join = lambda k, dtype: (  # noqa: E731
        np.concatenate([r[k] for r in rows]).astype(dtype) if rows else np.zeros(0, dtype)
    )
    group_dest, size = join(0, np.int64), join(1, np.int64)
    pair_dep, pair_arr = join(2, float), join(3, float)
    group_ptr = np.concatenate([[0], np.cumsum([len(r[0]) for r in rows])]).astype(np.int64)
    pair_ptr = np.concatenate([[0], np.cumsum(size)]).astype(np.int64)
    fastest = (
        np.minimum.reduceat(pair_arr - pair_dep, pair_ptr[:-1]) if len(size) else np.zeros(0)
    )
    profile_of = np.full(n_stops, -1, np.int64)
    profile_of[used] = np.arange(len(used))
    megabytes = (pair_dep.nbytes + pair_arr.nbytes) / 1e6
    logger.info("stop profiles: %d stops, %d destinations, %d pairs (%.0f MB)",
                len(used), len(group_dest), len(pair_dep), megabytes)  # fmt: skip
    return Profiles(profile_of, group_ptr, group_dest, fastest, pair_ptr, pair_dep, pair_arr)


def _raptor_inputs(patterns: Patterns, legs: Legs) -> tuple[_raptor.Network, _raptor.Ends]:
    """The timetable and the walks as the kernels of :mod:`estate_planner._raptor` take
    them: the patterns with the walks between stops, and the walks at a journey's ends.

    Parameters
    ----------
    patterns : Patterns
    legs : Legs

    Returns
    -------
    tuple of estate_planner._raptor.Network and estate_planner._raptor.Ends
    """
    from estate_planner._raptor import Ends, Network

    p = patterns
    net = Network(p.pat_ptr, p.pat_stops, p.times_ptr, p.n_trips, p.arr, p.dep, p.sp_ptr,
                  p.sp_pat, p.sp_pos, p.sd_ptr, p.sd_time, *_csr(legs.transfers))  # fmt: skip
    ends = Ends(*_csr(legs.access), *_csr(legs.egress), *_csr(legs.direct),
                n_dest=int(legs.egress.shape[1]))  # fmt: skip
    return net, ends


def _csr(matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    matrix = sp.csr_matrix(matrix)
    matrix.sort_indices()
    return (matrix.indptr.astype(np.int64), matrix.indices.astype(np.int64),
            matrix.data.astype(np.float64))  # fmt: skip


def transit_time_matrix(
    feeds: Sequence[Path | str] | Timetable,
    walk_network: Any,
    origins: gpd.GeoSeries,
    destinations: gpd.GeoSeries,
    *,
    date: dt.date | str,
    start: str | float = "07:00",
    end: str | float = "10:00",
    step_s: float = 60.0,
    percentile: float = 50.0,
    max_transfers: int = 3,
    max_access_walk_s: float = 900.0,
    max_transfer_walk_s: float = 600.0,
    cutoff: float | None = None,
    walk_kmh: float = 4.8,
    method: str = "auto",
) -> sp.csr_matrix:
    """Door-to-door public transport times, origins x destinations, over a window.

    Parameters
    ----------
    feeds : sequence of path, or Timetable
        GTFS feeds (zip or folder; bus and rail together), or a timetable read already.
    walk_network : RoutingGraph or networkx.MultiDiGraph
        The walk network (a run's ``result.networks["walk"].graph``, or osmnx's).
    origins, destinations : geopandas.GeoSeries
        Points (homes, sites) in BNG.
    date : datetime.date or str
        The day (``"2023-06-13"``); its services are read from the feeds' calendars.
    start, end : str or float
        The window of departure times, ``"HH:MM"`` or seconds; departures every
        ``step_s`` from ``start`` up to but not including ``end``.
    step_s : float
        Seconds between departures (60: every minute).
    percentile : float
        Reported over the window's departures (50: the median; nearest rank).
    max_transfers : int
        Most changes of vehicle.
    max_access_walk_s, max_transfer_walk_s : float
        Longest walk to or from a stop, and at a transfer.
    cutoff : float, optional
        Longest time kept (seconds); longer pairs are left out.
    walk_kmh : float
        Walking speed of the leg from a point to its street.
    method : {"auto", "origins", "stops"}
        How the window is searched (the same times either way); see
        :func:`window_times`.

    Returns
    -------
    scipy.sparse.csr_matrix
        Seconds; row ``i``, column ``j``: from ``origins[i]`` to ``destinations[j]``.
        Only reachable pairs are stored.

    Raises
    ------
    InputDataError
        As :func:`~estate_planner.sources.gtfs.read_gtfs`, or for a window that holds
        no departure.
    """
    if isinstance(feeds, Timetable):
        timetable = feeds
    else:
        day = dt.date.fromisoformat(date) if isinstance(date, str) else date
        timetable = read_gtfs([Path(f) for f in feeds], date=day)
    graph = walk_network if isinstance(walk_network, RoutingGraph) else routing_graph(
        walk_network, "walk"
    )  # fmt: skip
    departures = np.arange(clock_seconds(start), clock_seconds(end), float(step_s))
    if not len(departures):
        raise InputDataError(f"the window {start}-{end} holds no departure; end after start")
    stops = gpd.GeoSeries(gpd.points_from_xy(timetable.stop_x, timetable.stop_y), crs=BNG)
    legs = walking_legs(
        graph, stops, _points(origins), _points(destinations), walk_kmh=walk_kmh,
        max_access_walk_s=max_access_walk_s, max_transfer_walk_s=max_transfer_walk_s,
        max_walk_s=cutoff if cutoff is not None else 7200.0,
    )  # fmt: skip
    dense = window_times(
        build_patterns(timetable), legs, departures=departures, max_transfers=max_transfers,
        percentile=percentile, cutoff=cutoff, method=method,
    )  # fmt: skip
    rows, cols = np.nonzero(np.isfinite(dense))
    return sp.csr_matrix((dense[rows, cols], (rows, cols)), shape=dense.shape)


def _points(points: Any) -> gpd.GeoSeries:
    series = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if series.crs is None or series.crs.to_epsg() != 27700:
        raise InputDataError("origins and destinations must be points in BNG (EPSG:27700)")
    return gpd.GeoSeries(series.to_numpy(), crs=BNG)
