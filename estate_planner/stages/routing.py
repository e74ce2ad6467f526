"""Stage 2, routing: each mode's street graph, points snapped onto it, travel times
from every site to every demand point, and the chosen hubs' catchments."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from estate_planner import access, network, travel
from estate_planner._errors import InfeasibleError
from estate_planner.cache import Cache
from estate_planner.results import ModeNetwork
from estate_planner.scenario import Mode, Scenario
from estate_planner.sources import osm
from estate_planner.stages.inputs import Inputs

logger = logging.getLogger(__name__)


def _network_key(scenario: Scenario, inputs: Inputs, mode: str) -> list[Any]:
    """What a mode's street graph depends on: the OSM file's hash and the travel settings.

    Parameters
    ----------
    scenario : Scenario
    inputs : Inputs
    mode : str

    Returns
    -------
    list
        Cache key parts.
    """
    osm_hash = next(p.sha256 for p in inputs.provenance if p.key == "network.osm")
    config = scenario.network
    return [osm_hash, mode, config.walk_kmh, config.cycle_kmh, config.drive_speeds_kmh]


def points_key(inputs: Inputs, demand: gpd.GeoDataFrame) -> list[np.ndarray]:
    """Every snapped point's coordinates: with the network key, they fix the snapped graph.

    Parameters
    ----------
    inputs : Inputs
    demand : geopandas.GeoDataFrame

    Returns
    -------
    list of numpy.ndarray
        Cache key parts.
    """
    return [
        np.asarray(frame.geometry.get_coordinates())
        for frame in (demand, inputs.services, inputs.candidates)
    ]


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
    ways: list[osm.OsmWays] = []  # the extract is read once for all modes, if at all
    graphs: dict[str, tuple[Any, str]] = {}
    for mode in scenario.network.modes:
        street = "walk" if mode == "transit" else mode  # transit walks between its rides
        if street not in graphs:
            build = partial(_street_graph, scenario, street, ways)
            key = _network_key(scenario, inputs, street)
            graphs[street] = cache.get_or_build("network", key, build)
        built, status[mode] = graphs[street]
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


def _street_graph(
    scenario: Scenario, mode: Mode, ways: list[osm.OsmWays]
) -> tuple[travel.RoutingGraph, int, int, int, np.ndarray]:
    """The mode's routing graph, its street nodes and edges, the highway ways read and
    the ids of those used."""
    config = scenario.network
    walk, cycle, drive = config.walk_kmh, config.cycle_kmh, config.drive_speeds_kmh
    if config.osm.name.lower().endswith(".graphml"):
        graph = network.graph_from_graphml(
            config.osm, mode, walk_kmh=walk, cycle_kmh=cycle, drive_speeds_kmh=drive
        )
        routing = travel.routing_graph(graph, mode)
        return routing, len(graph), graph.number_of_edges(), 0, np.zeros(0, np.int64)
    if not ways:
        ways.append(osm.read_highways(config.osm))
    graph = network.graph_from_ways(
        ways[0], mode, walk_kmh=walk, cycle_kmh=cycle, drive_speeds_kmh=drive
    )
    return (
        travel.routing_graph(graph, mode),
        len(graph),
        graph.number_of_edges(),
        len(ways[0]),
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


def _check_memory(sites: int, demand_points: int, mode: str, net: ModeNetwork) -> None:
    """Say before the travel-time work starts if it may not fit in memory."""
    available = travel.available_memory()
    if available is None:
        return
    needed = travel.memory_needed(net.graph.n_nodes, net.graph.csr.nnz, sites, demand_points)
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
    demand: gpd.GeoDataFrame,
    nets: dict[str, ModeNetwork],
    cache: Cache,
) -> tuple[dict[str, access.ModeTimes], dict[str, str]]:
    """Demand -> site times per mode, out to the horizon, as sparse matrices.

    Cached by the network and the points' coordinates.

    Parameters
    ----------
    scenario : Scenario
    inputs : Inputs
    demand : geopandas.GeoDataFrame
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
    where = points_key(inputs, demand)
    for mode, net in nets.items():
        threshold = scenario.access.minutes(mode) * 60
        horizon = threshold * access.HORIZON_FACTOR
        if mode == "transit":
            feeds = [(p.key, p.sha256) for p in inputs.provenance if p.key[:12] == "network.gtfs"]
            config = scenario.transit.model_dump(mode="json")
            key = [*_network_key(scenario, inputs, "walk"), *where, horizon,
                   scenario.network.max_snap_m, config, feeds]  # fmt: skip
            build = partial(_transit_times, scenario, inputs, net, horizon)
            (services, candidates), status[mode] = cache.get_or_build(
                "times", key, build, built="computed"
            )
            out[mode] = access.ModeTimes(mode, threshold, services, candidates)
            continue

        def compute(mode: str = mode, net: ModeNetwork = net, horizon: float = horizon) -> Any:
            _check_memory(len(inputs.services) + len(inputs.candidates), len(demand), mode, net)
            targets = net.demand.node
            return tuple(
                travel.times_between(
                    net.graph, sites.node, targets, cutoff=horizon, to_sources=True
                )
                for sites in (net.services, net.candidates)
            )

        key = [*_network_key(scenario, inputs, mode), *where, horizon, scenario.network.max_snap_m]
        (services, candidates), status[mode] = cache.get_or_build(
            "times", key, compute, built="computed"
        )
        out[mode] = access.ModeTimes(mode, threshold, services, candidates)
    return out, status


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


def _transit_times(
    scenario: Scenario, inputs: Inputs, net: ModeNetwork, horizon: float
) -> tuple[Any, Any]:
    """Demand -> site times by public transport, at the scenario's percentile of its
    departure window, out to ``horizon`` (as sites x demand, like the street modes)."""
    from estate_planner import transit

    timetable = inputs.timetable
    if timetable is None:  # the scenario was validated: a transit mode has a timetable
        raise InfeasibleError('mode "transit" has no timetable; add [network] gtfs')
    config = scenario.transit
    stops = gpd.GeoSeries(gpd.points_from_xy(timetable.stop_x, timetable.stop_y), crs=travel.BNG)
    graph, snapped = travel.snap_points(
        net.graph, stops, walk_kmh=scenario.network.walk_kmh, max_snap_m=scenario.network.max_snap_m
    )
    sites = np.concatenate([net.services.node, net.candidates.node])
    legs = transit.legs_between(
        graph, net.demand.node, sites, snapped.node,
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
    n_services = len(net.services.node)
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
    inputs: Inputs,
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    nets: dict[str, ModeNetwork],
    cache: Cache,
    times: dict[str, access.ModeTimes] | None = None,
) -> gpd.GeoDataFrame:
    """The streets within the threshold of each chosen hub, per mode, buffered.

    Each shape is cached by the snapped graph and the site's node, so a what-if that
    keeps a site reuses its catchment. By public transport a catchment is not a patch
    of streets but the places the buses reach: the demand points within the threshold
    of the hub, each drawn as a disc of :data:`TRANSIT_DISC_M`.

    Parameters
    ----------
    scenario : Scenario
    inputs : Inputs
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
    where = points_key(inputs, demand)
    for mode, net in nets.items():
        minutes = scenario.access.minutes(mode)
        graph_key = [*_network_key(scenario, inputs, mode), *where]
        for idx, site in chosen.iterrows():
            position = candidates.index.get_loc(idx)
            node = int(net.candidates.node[position])
            if mode == "transit":
                if times is None or mode not in times:
                    continue
                shape = _reached_places(times[mode], position, demand, minutes * 60)
            else:
                shape, _ = cache.get_or_build(
                    "catchment",
                    [*graph_key, node, minutes],
                    partial(travel.isochrone, net.graph, node, minutes * 60),
                )
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
