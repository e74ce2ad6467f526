"""Stage 2, routing: each mode's street graph, points snapped onto it, travel times
from every site to every demand point, and the chosen hubs' catchments."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from estate_planner import access, network, travel
from estate_planner._errors import InfeasibleError
from estate_planner.cache import REUSED, Cache
from estate_planner.results import ModeNetwork
from estate_planner.scenario import Mode, Scenario, TransitConfig
from estate_planner.sources import osm
from estate_planner.sources.gtfs import Timetable
from estate_planner.stages.inputs import Inputs

logger = logging.getLogger(__name__)


class StreetFile:
    """The street file (OSM extract or GraphML), read at most once however many modes
    build their graphs from it. Its cache token is the file's: its path and bytes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ways: osm.OsmWays | None = None

    def __cache_token__(self) -> Path:
        return self.path

    def ways(self) -> osm.OsmWays:
        """The highway ways, read on first use."""
        if self._ways is None:
            self._ways = osm.read_highways(self.path)
        return self._ways


def build_networks(
    scenario: Scenario, inputs: Inputs, demand: gpd.GeoDataFrame, cache: Cache
) -> tuple[dict[str, ModeNetwork], dict[str, str]]:
    """Each mode's graph with demand, services and candidates snapped onto it.

    Graphs come from the cache when the OSM file and speeds are unchanged; the extract
    is read at most once for all modes.

    Parameters
    ----------
    scenario : Scenario
    inputs : Inputs
    demand : geopandas.GeoDataFrame
    cache : Cache

    Returns
    -------
    networks : dict
        Mode -> :class:`~estate_planner.results.ModeNetwork`.
    status : dict
        Mode -> "built" or "reused from cache".
    """
    nets: dict[str, ModeNetwork] = {}
    status: dict[str, str] = {}
    points = gpd.GeoSeries(
        pd.concat(
            [demand.geometry, inputs.services.geometry, inputs.candidates.geometry],
            ignore_index=True,
        ),
        crs=travel.BNG,
    )
    streets = StreetFile(scenario.network.osm)  # read once for all modes, if at all
    config = scenario.network
    graphs: dict[str, tuple[Any, bool]] = {}
    for mode in config.modes:
        street = "walk" if mode == "transit" else mode  # transit walks between its rides
        if street not in graphs:
            graphs[street] = cache.call_status(
                street_graph, streets, street, walk_kmh=config.walk_kmh,
                cycle_kmh=config.cycle_kmh, drive_speeds_kmh=config.drive_speeds_kmh,
            )  # fmt: skip
        built, reused = graphs[street]
        status[mode] = REUSED if reused else "built"
        routing, n_nodes, n_edges, ways_read, used_ids = built
        snapped_graph, snapped = travel.snap_points(
            routing,
            points,
            walk_kmh=scenario.network.walk_kmh,
            max_snap_m=scenario.network.max_snap_m,
        )
        n_d, n_s = len(demand), len(inputs.services)
        parts = [slice(0, n_d), slice(n_d, n_d + n_s), slice(n_d + n_s, None)]
        demand_at, services_at, candidates_at = (
            travel.Snapped(snapped.distance_m[p], snapped.far[p], snapped.node[p]) for p in parts
        )
        nets[mode] = ModeNetwork(
            mode=mode,
            graph=snapped_graph,
            street_nodes=n_nodes,
            street_edges=n_edges,
            demand=demand_at,
            services=services_at,
            candidates=candidates_at,
            ways_read=ways_read,
            way_ids=used_ids,
        )
    return nets, status


def street_graph(
    streets: StreetFile,
    mode: Mode,
    *,
    walk_kmh: float,
    cycle_kmh: float,
    drive_speeds_kmh: dict[str, float],
) -> tuple[travel.RoutingGraph, int, int, int, np.ndarray]:
    """A mode's routing graph from the street file (cached by the run).

    Parameters
    ----------
    streets : StreetFile
    mode : str
    walk_kmh, cycle_kmh, drive_speeds_kmh
        The scenario's ``[network]`` speeds.

    Returns
    -------
    graph : RoutingGraph
    nodes, edges : int
        The street graph's nodes and edges.
    ways_read : int
        Highway ways in the file (0 for GraphML).
    way_ids : numpy.ndarray
        The OSM ids of the ways the graph uses.
    """
    if streets.path.name.lower().endswith(".graphml"):
        graph = network.graph_from_graphml(
            streets.path, mode, walk_kmh=walk_kmh, cycle_kmh=cycle_kmh,
            drive_speeds_kmh=drive_speeds_kmh,
        )  # fmt: skip
        routing = travel.routing_graph(graph, mode)
        return routing, len(graph), graph.number_of_edges(), 0, np.zeros(0, np.int64)
    ways = streets.ways()
    graph = network.graph_from_ways(
        ways, mode, walk_kmh=walk_kmh, cycle_kmh=cycle_kmh, drive_speeds_kmh=drive_speeds_kmh
    )
    return (
        travel.routing_graph(graph, mode),
        len(graph),
        graph.number_of_edges(),
        len(ways),
        _way_ids(graph),
    )


def _way_ids(graph: Any) -> np.ndarray:
    """The OSM ids of the ways a graph uses (a simplified edge lists all it merged)."""
    ids: list[int] = []
    for *_, osmid in graph.edges(data="osmid"):
        ids.extend(osmid if isinstance(osmid, list) else [osmid])
    return np.unique(np.asarray(ids, dtype=np.int64))


def count_ways(inputs: Inputs, nets: dict[str, ModeNetwork]) -> None:
    """Record on the street file's provenance the highway ways read and those used.

    Parameters
    ----------
    inputs : Inputs
        Its ``network.osm`` record is updated.
    nets : dict
        Mode -> :class:`~estate_planner.results.ModeNetwork`.
    """
    record = next(p for p in inputs.provenance if p.key == "network.osm")
    record.rows_read = max((net.ways_read for net in nets.values()), default=0)
    used = [net.way_ids for net in nets.values()]
    record.rows_used = len(np.unique(np.concatenate(used))) if used else 0


def _check_memory(sites: int, demand_points: int, mode: str, graph: travel.RoutingGraph) -> None:
    """Say before the travel-time work starts if it may not fit in memory."""
    available = travel.available_memory()
    if available is None:
        return
    needed = travel.memory_needed(graph.n_nodes, graph.csr.nnz, sites, demand_points)
    if needed > available:
        raise InfeasibleError(
            f"{mode} travel times for {sites:,} sites x {demand_points:,} demand points may "
            f"need up to {needed / 2**30:.1f} GB, more than the {available / 2**30:.1f} GB "
            "available; use fewer demand points (areas instead of a fine raster, or a "
            "coarser raster), fewer candidates, or shorter thresholds"
        )


def travel_times(
    scenario: Scenario,
    inputs: Inputs,
    nets: dict[str, ModeNetwork],
    cache: Cache,
) -> tuple[dict[str, access.ModeTimes], dict[str, str]]:
    """Demand -> site times per mode, out to the horizon, as sparse matrices laid out
    sites x demand (:class:`~estate_planner.access.ModeTimes`; the rule is in
    :mod:`estate_planner.travel`).

    Cached by what they are computed from: the snapped graph, the sites' and demand
    points' nodes on it, the horizon (and for transit the timetable and its settings).

    Parameters
    ----------
    scenario : Scenario
    inputs : Inputs
        Its timetable, for transit.
    nets : dict
        Mode -> :class:`~estate_planner.results.ModeNetwork`.
    cache : Cache

    Returns
    -------
    times : dict
        Mode -> :class:`~estate_planner.access.ModeTimes` (all services).
    status : dict
        Mode -> "computed" or "reused from cache".

    Raises
    ------
    InfeasibleError
        If the work may not fit in the memory available.
    """
    out = {}
    status = {}
    for mode, net in nets.items():
        threshold = scenario.access.minutes(mode) * 60
        horizon = threshold * access.HORIZON_FACTOR
        nodes = (net.demand.node, net.services.node, net.candidates.node)
        if mode == "transit":
            if inputs.timetable is None:  # validated: a transit mode has a timetable
                raise InfeasibleError('mode "transit" has no timetable; add [network] gtfs')
            _warn_far_stops(inputs.timetable, net.graph, scenario.network.max_snap_m)
            (services, candidates), reused = cache.call_status(
                transit_times, inputs.timetable, net.graph, *nodes, scenario.transit,
                walk_kmh=scenario.network.walk_kmh, max_snap_m=scenario.network.max_snap_m,
                horizon=horizon,
            )  # fmt: skip
        else:
            (services, candidates), reused = cache.call_status(
                street_times, net.graph, *nodes, mode=mode, horizon=horizon
            )
        status[mode] = REUSED if reused else "computed"
        out[mode] = access.ModeTimes(mode, threshold, services, candidates)
    return out, status


def stops_beyond_streets(
    timetable: Timetable, graph: travel.RoutingGraph, max_snap_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """The timetable's stops farther than ``max_snap_m`` from any street of ``graph``
    (outside the OSM extract, or off it): their walks to and from the streets are
    counted as the crow flies at walking speed, which no one walks.

    Parameters
    ----------
    timetable : Timetable
    graph : RoutingGraph
        The walk graph.
    max_snap_m : float

    Returns
    -------
    ids : numpy.ndarray
        The far stops' ids.
    metres : numpy.ndarray
        Each one's distance to the nearest street.
    """
    from shapely import STRtree, points

    stops = points(np.column_stack([timetable.stop_x, timetable.stop_y]))
    tree = STRtree(graph.edges.geometry.values)
    which, metres = tree.query_nearest(stops, return_distance=True, all_matches=False)
    distance = np.full(len(stops), np.inf)
    distance[which[0]] = metres
    far = distance > max_snap_m
    return np.asarray(timetable.stop_ids)[far], distance[far]


def _warn_far_stops(timetable: Timetable, graph: travel.RoutingGraph, max_snap_m: float) -> None:
    ids, metres = stops_beyond_streets(timetable, graph, max_snap_m)
    if len(ids):
        shown = ", ".join(f"{i} ({m / 1000:,.1f} km)" for i, m in zip(ids[:10], metres[:10],
                                                                       strict=True))  # fmt: skip
        warnings.warn(
            f"transit: {len(ids)} of the timetable's {len(timetable.stop_ids)} stops lie more "
            f"than {max_snap_m:g} m from any street of the OSM extract: {shown}; walks to "
            "them are counted as the crow flies, so times through them are not reliable: "
            "use an extract that covers the feed's stops",
            UserWarning,
            stacklevel=2,
        )


def street_times(
    graph: travel.RoutingGraph,
    demand: np.ndarray,
    services: np.ndarray,
    candidates: np.ndarray,
    *,
    mode: str,
    horizon: float,
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Times from each demand point to each service and each candidate on a street mode,
    laid out sites x demand (a search backwards from each site over the reversed graph,
    so one-way streets count in the direction people travel).

    Parameters
    ----------
    graph : RoutingGraph
        The mode's graph with the points snapped onto it.
    demand, services, candidates : numpy.ndarray
        Each point's routing node.
    mode : str
        Named in the error when the work may not fit in memory.
    horizon : float
        Seconds; times beyond are left out.

    Returns
    -------
    services, candidates : scipy.sparse.csr_matrix
        Sites x demand, seconds.

    Raises
    ------
    InfeasibleError
        If the work may not fit in the memory available.
    """
    _check_memory(len(services) + len(candidates), len(demand), mode, graph)
    by_service, by_candidate = (
        travel.times_between(graph, sites, demand, cutoff=horizon, to_sources=True)
        for sites in (services, candidates)
    )
    return by_service, by_candidate


#: radius of the disc drawn round each demand point a hub reaches by public transport
TRANSIT_DISC_M = 250.0


def _reached_places(
    times: access.ModeTimes, site: int, demand: gpd.GeoDataFrame, seconds: float
) -> Any:
    row = sp.csr_matrix(times.candidates)[site]
    reached = row.indices[row.data <= seconds]
    points = demand.geometry.iloc[reached]
    return points.buffer(TRANSIT_DISC_M, resolution=8).union_all() if len(points) else (
        demand.geometry.iloc[:0].buffer(1).union_all()
    )  # fmt: skip


def transit_times(
    timetable: Timetable,
    graph: travel.RoutingGraph,
    demand: np.ndarray,
    services: np.ndarray,
    candidates: np.ndarray,
    config: TransitConfig,
    *,
    walk_kmh: float,
    max_snap_m: float,
    horizon: float,
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Demand -> site times by public transport, at the scenario's percentile of its
    departure window, out to ``horizon`` (as sites x demand, like the street modes).

    Parameters
    ----------
    timetable : Timetable
        The feeds' services on the scenario's day.
    graph : RoutingGraph
        The walk graph with the points snapped onto it.
    demand, services, candidates : numpy.ndarray
        Each point's routing node.
    config : TransitConfig
        The departure window, percentile, transfers and walks.
    walk_kmh, max_snap_m : float
        As ``[network]``: stops are snapped onto the walk graph.
    horizon : float
        Seconds.

    Returns
    -------
    services, candidates : scipy.sparse.csr_matrix
        Sites x demand, seconds: :func:`~estate_planner.transit.window_times`' origins
        (demand) x destinations (sites), transposed here.
    """
    from estate_planner import transit

    stops = gpd.GeoSeries(gpd.points_from_xy(timetable.stop_x, timetable.stop_y), crs=travel.BNG)
    graph, snapped = travel.snap_points(graph, stops, walk_kmh=walk_kmh, max_snap_m=max_snap_m)
    sites = np.concatenate([services, candidates])
    legs = transit.legs_between(
        graph, demand, sites, snapped.node,
        max_access_walk_s=config.max_access_walk_minutes * 60,
        max_transfer_walk_s=config.max_transfer_walk_minutes * 60, max_walk_s=horizon,
    )  # fmt: skip
    start = transit.clock_seconds(config.start)
    departures = np.arange(start, transit.clock_seconds(config.end), config.step_minutes * 60)
    dense = transit.window_times(
        transit.build_patterns(timetable), legs, departures=departures,
        max_transfers=config.max_transfers, percentile=config.percentile, cutoff=horizon,
    )  # fmt: skip
    rows, cols = np.nonzero(np.isfinite(dense))
    by_site = sp.csr_matrix((dense[rows, cols], (cols, rows)), shape=dense.shape[::-1])
    n_services = len(services)
    return by_site[:n_services], by_site[n_services:]


def mark_unroutable(candidates: gpd.GeoDataFrame, nets: dict[str, ModeNetwork]) -> gpd.GeoDataFrame:
    """Candidates with ``unroutable`` set where a point lies beyond the snap distance.

    Parameters
    ----------
    candidates : geopandas.GeoDataFrame
    nets : dict
        Mode -> :class:`~estate_planner.results.ModeNetwork`.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    far = np.zeros(len(candidates), bool)
    for net in nets.values():
        far |= net.candidates.far
    out = candidates.copy()
    out["unroutable"] = far
    return out


def catchments(
    scenario: Scenario,
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    nets: dict[str, ModeNetwork],
    cache: Cache,
    times: dict[str, access.ModeTimes] | None = None,
) -> gpd.GeoDataFrame:
    """The streets within the threshold of each chosen hub, per mode, buffered.

    Each shape is cached by what it is drawn from (the snapped graph, the site's node
    and the minutes), so a what-if that keeps a site reuses its catchment. By public
    transport a catchment is not a patch of streets but the places the buses reach: the
    demand points within the threshold of the hub, each drawn as a disc of
    :data:`TRANSIT_DISC_M`.

    Parameters
    ----------
    scenario : Scenario
    demand : geopandas.GeoDataFrame
    candidates : geopandas.GeoDataFrame
        With ``selected`` and ``selection_order``.
    nets : dict
        Mode -> :class:`~estate_planner.results.ModeNetwork`.
    cache : Cache
    times : dict, optional
        Mode -> :class:`~estate_planner.access.ModeTimes` (needed for transit).

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id``, ``name``, ``mode``, ``minutes`` and a polygon per hub and mode.
    """
    rows = []
    chosen = candidates[candidates["selected"]].sort_values("selection_order")
    for mode, net in nets.items():
        minutes = scenario.access.minutes(mode)
        for idx, site in chosen.iterrows():
            position = candidates.index.get_loc(idx)
            node = int(net.candidates.node[position])
            if mode == "transit":
                if times is None or mode not in times:
                    continue
                shape = _reached_places(times[mode], position, demand, minutes * 60)
            else:
                shape = cache.call(travel.isochrone, net.graph, node, minutes * 60)
            rows.append(
                {
                    "site_id": site["site_id"],
                    "name": site["name"],
                    "mode": mode,
                    "minutes": minutes,
                    "geometry": shape,
                }
            )
    return gpd.GeoDataFrame(
        rows,
        columns=["site_id", "name", "mode", "minutes", "geometry"],
        geometry="geometry",
        crs=travel.BNG,
    )
