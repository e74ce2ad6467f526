"""Run a scenario end to end: inputs -> network -> need -> access -> score -> select.

Each stage is a function of the previous stages' plain outputs; :func:`run`
chains them and records timings and warnings for the manifest. Writing outputs is
:mod:`estate_planner.outputs`' job.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from estate_planner import access, edits, need, network, optimise, scoring
from estate_planner._errors import InfeasibleError, InputDataError
from estate_planner.scenario import Mode, Scenario, SelectionConfig
from estate_planner.settings import Settings, digest
from estate_planner.sources import areas as area_sources
from estate_planner.sources import estate, osm, raster
from estate_planner.sources.tables import Provenance, provenance, read_vector, require_file

logger = logging.getLogger(__name__)

#: Times are computed out to this multiple of a mode's threshold; farther counts as
#: unreachable (blank in outputs). Four times the threshold covers any sensible
#: "nearest service" question without searching the whole county from every site.
HORIZON_FACTOR = 4.0


@dataclass
class Inputs:
    """Everything read from disk, in BNG, before any modelling."""

    boundary: gpd.GeoDataFrame | None
    areas: gpd.GeoDataFrame
    population: pd.DataFrame
    deprivation: pd.DataFrame | None
    cells: gpd.GeoDataFrame | None
    services: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    ways: osm.OsmWays | None
    provenance: list[Provenance]


@dataclass
class ModeNetwork:
    """One mode's routing graph with every point snapped onto it."""

    mode: Mode
    graph: network.RoutingGraph
    street_nodes: int
    street_edges: int
    demand: network.Snapped
    services: network.Snapped
    candidates: network.Snapped


@dataclass
class RunResult:
    """All a run produced. Frames are in BNG (EPSG:27700)."""

    scenario: Scenario
    inputs: Inputs
    demand: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    selection: optimise.Selection
    networks: dict[str, ModeNetwork]
    times: dict[str, access.ModeTimes]
    catchments: gpd.GeoDataFrame
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    def map(self) -> Any:
        """The run's folium map (shows inline in a notebook)."""
        from estate_planner.outputs.maps import build_map

        return build_map(self)

    @property
    def selected(self) -> gpd.GeoDataFrame:
        """The chosen sites, in order of marginal gain."""
        chosen = self.candidates[self.candidates["selected"]]
        return chosen.sort_values("selection_order")


# --------------------------------------------------------------------------------------
# Stage 1: inputs


def read_inputs(scenario: Scenario) -> Inputs:
    """Read every input the scenario names, projected to BNG."""
    records: list[Provenance] = []
    boundary = None
    if scenario.area.boundary is not None:
        boundary = read_vector(scenario.area.boundary, "area.boundary")
        records.append(_record("area.boundary", scenario.area.boundary, len(boundary)))
    areas, rec = area_sources.read_areas(scenario.demand)
    records.append(rec)
    population, deprivation, cells = _read_need_inputs(scenario, areas, records)
    area = _study_area(boundary, areas).buffer(scenario.area.buffer_m)
    services = _clip(_read_services(scenario, records), area, "services", "service_id")
    candidates = _clip(_read_candidates(scenario, records), area, "candidates", "site_id")
    candidates = _flag_town_centres(scenario, candidates, records)
    # the streets are read only when the network is built (not when it is cached)
    require_file(scenario.network.osm, "network.osm")
    records.append(provenance("network.osm", scenario.network.osm))
    ways = None
    return Inputs(
        boundary, areas, population, deprivation, cells, services, candidates, ways, records
    )


def load_inputs(scenario: Scenario, settings: Settings) -> tuple[Inputs, str]:
    """:func:`read_inputs`, from the cache when no input file and no reading setting
    changed (keyed by each file's hash); and where the inputs came from."""
    files = list(scenario.input_paths().values())
    if not all(path.is_file() for path in files):
        return read_inputs(scenario), "read"  # read_inputs says which file is missing
    from estate_planner import __version__

    key = digest(
        __version__,
        [config.model_dump(mode="json") for config in (scenario.area, scenario.demand)],
        [config.model_dump(mode="json") for config in scenario.services],
        scenario.candidates.model_dump(mode="json"),
        [(str(path), provenance("", path).sha256) for path in files],
    )
    cached = settings.load("inputs", key)
    if cached is not None:
        inputs, messages = cached
        for message in messages:  # the reading warnings belong in every run's manifest
            warnings.warn(message, UserWarning, stacklevel=2)
        return inputs, "reused from cache"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        inputs = read_inputs(scenario)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    said = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    settings.store("inputs", key, (inputs, said))
    return inputs, "read"


def _study_area(boundary: gpd.GeoDataFrame | None, areas: gpd.GeoDataFrame) -> Any:
    shapes = boundary if boundary is not None else areas
    return shapes.geometry.union_all()


def _clip(frame: gpd.GeoDataFrame, area: Any, what: str, id_column: str) -> gpd.GeoDataFrame:
    inside = frame.geometry.within(area).to_numpy()
    if not inside.all():
        outside = frame.loc[~inside, id_column]
        shown = ", ".join(map(str, outside[:10])) + (" and more" if len(outside) > 10 else "")
        # national NHS lists are clipped here by design; it is still said, with ids
        warnings.warn(
            f"dropped {len(outside)} {what} outside the study area (plus area.buffer_m): {shown}",
            UserWarning,
            stacklevel=2,
        )
    kept = frame[inside].reset_index(drop=True)
    if kept.empty:
        raise InputDataError(
            f"no {what} lie inside the study area (plus area.buffer_m); check the files "
            "cover the same place as the demand areas and their coordinates are right"
        )
    return kept


def _read_candidates(scenario: Scenario, records: list[Provenance]) -> gpd.GeoDataFrame:
    frames = []
    if scenario.candidates.path is not None:
        frame, rec = estate.read_candidates(scenario.candidates)
        records.append(rec)
        frames.append(frame)
    if scenario.candidates.from_osm:
        frame, rec = estate.candidates_from_osm(scenario.network.osm)
        records.append(rec)
        frames.append(frame)
    both = pd.concat(frames, ignore_index=True)
    dupes = both["site_id"][both["site_id"].duplicated()]
    if len(dupes):
        raise InputDataError(
            f"site ids repeat between the property list and OSM: {', '.join(dupes[:5])}"
        )
    return gpd.GeoDataFrame(both, geometry="geometry", crs=network.BNG)


def apply_edits(scenario: Scenario, inputs: Inputs) -> Inputs:
    """The inputs with the scenario's what-if edits applied."""
    if not scenario.edits:
        inputs.candidates = inputs.candidates.assign(edit_excluded=False, forced=False)
        return inputs
    services, candidates = edits.apply_to_estate(inputs.services, inputs.candidates, scenario.edits)
    population, areas, deprivation = edits.apply_to_population(
        inputs.population, inputs.areas, inputs.deprivation, scenario.edits
    )
    return dataclasses.replace(
        inputs,
        services=services,
        candidates=candidates,
        population=population,
        areas=areas,
        deprivation=deprivation,
    )


def _record(key: str, path: Any, rows: int) -> Provenance:
    rec = provenance(key, path)
    rec.rows_read = rec.rows_used = rows
    return rec


def _read_need_inputs(
    scenario: Scenario, areas: gpd.GeoDataFrame, records: list[Provenance]
) -> tuple[pd.DataFrame, pd.DataFrame | None, gpd.GeoDataFrame | None]:
    demand = scenario.demand
    if demand.population is None:
        raise InputDataError(
            "the scenario has no demand.population file; add a Census 2021 age table "
            "or ONS mid-year estimates by area"
        )
    population, rec = area_sources.read_population(demand.population, demand.id_column)
    records.append(rec)
    deprivation = None
    if demand.deprivation is not None:
        imd, rec = area_sources.read_deprivation(demand.deprivation, demand.id_column)
        records.append(rec)
        lookup = None
        if demand.lookup is not None:
            lookup, rec = area_sources.read_lookup(demand.lookup)
            records.append(rec)
        deprivation = area_sources.deprivation_for(pd.Index(areas["id"]), imd, lookup)
    cells = None
    if demand.raster is not None:
        found, rec = raster.read_population_cells(
            demand.raster, tuple(areas.total_bounds), units=demand.raster_units
        )
        records.append(rec)
        cells = raster.cells_in_areas(found, areas)
    return population, deprivation, cells


def _read_services(scenario: Scenario, records: list[Provenance]) -> gpd.GeoDataFrame:
    frames = []
    for i, config in enumerate(scenario.services):
        frame, rec = estate.read_services(config, f"services[{i}].path")
        records.append(rec)
        frames.append(frame)
    if not frames:
        return gpd.GeoDataFrame(
            {"service_id": [], "name": [], "kind": [], "capacity": []},
            geometry=gpd.GeoSeries([], crs=network.BNG),
        )
    services = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(services, geometry="geometry", crs=network.BNG)


def _flag_town_centres(
    scenario: Scenario, candidates: gpd.GeoDataFrame, records: list[Provenance]
) -> gpd.GeoDataFrame:
    candidates = candidates.copy()
    path = scenario.candidates.town_centres
    if path is None:
        candidates["in_town_centre"] = False
        return candidates
    centres = read_vector(path, "candidates.town_centres")
    records.append(_record("candidates.town_centres", path, len(centres)))
    candidates["in_town_centre"] = candidates.geometry.within(centres.union_all())
    return candidates


# --------------------------------------------------------------------------------------
# Stage 2: network and travel times


def _check_memory(inputs: Inputs, demand: gpd.GeoDataFrame, nets: dict[str, ModeNetwork]) -> None:
    """Say before the travel-time work starts if it may not fit in memory."""
    available = network.available_memory()
    if available is None:
        return
    sites = len(inputs.services) + len(inputs.candidates)
    for mode, net in nets.items():
        needed = network.memory_needed(net.graph.n_nodes, net.graph.csr.nnz, sites, len(demand))
        if needed > available:
            raise InfeasibleError(
                f"{mode} travel times for {sites:,} sites x {len(demand):,} demand points may "
                f"need up to {needed / 2**30:.1f} GB, more than the {available / 2**30:.1f} GB "
                "available; use fewer demand points (areas instead of a fine raster, or a "
                "coarser raster), fewer candidates, or shorter thresholds"
            )


def network_key(scenario: Scenario, inputs: Inputs, mode: str) -> str:
    """Cache key of a mode's street graph: the OSM file's hash and the travel settings."""
    osm_hash = next(p.sha256 for p in inputs.provenance if p.key == "network.osm")
    config = scenario.network
    from estate_planner import __version__

    return digest(
        __version__,
        osm_hash,
        mode,
        config.walk_kmh,
        config.cycle_kmh,
        sorted(config.drive_speeds_kmh.items()),
    )


def build_networks(
    scenario: Scenario, inputs: Inputs, demand: gpd.GeoDataFrame, settings: Settings
) -> tuple[dict[str, ModeNetwork], dict[str, str]]:
    """Each mode's graph (from the cache when the network inputs are unchanged) with
    demand, services and candidates snapped onto it; and where each graph came from."""
    nets: dict[str, ModeNetwork] = {}
    status: dict[str, str] = {}
    points = gpd.GeoSeries(
        pd.concat(
            [demand.geometry, inputs.services.geometry, inputs.candidates.geometry],
            ignore_index=True,
        ),
        crs=network.BNG,
    )
    for mode in scenario.network.modes:
        key = network_key(scenario, inputs, mode)
        cached = settings.load("network", key)
        if cached is None:
            graph = _mode_graph(scenario, inputs, mode)
            cached = (network.routing_graph(graph, mode), len(graph), graph.number_of_edges())
            settings.store("network", key, cached)
            status[mode] = "built"
        else:
            status[mode] = "reused from cache"
        routing, n_nodes, n_edges = cached
        snapped_graph, snapped = network.snap_points(
            routing,
            points,
            walk_kmh=scenario.network.walk_kmh,
            max_snap_m=scenario.network.max_snap_m,
        )
        n_d, n_s = len(demand), len(inputs.services)
        parts = [slice(0, n_d), slice(n_d, n_d + n_s), slice(n_d + n_s, None)]
        split = [
            network.Snapped(snapped.distance_m[p], snapped.far[p], snapped.node[p]) for p in parts
        ]
        nets[mode] = ModeNetwork(mode, snapped_graph, n_nodes, n_edges, *split)
    return nets, status


def _mode_graph(scenario: Scenario, inputs: Inputs, mode: Mode) -> Any:
    if scenario.network.osm.name.lower().endswith(".graphml"):
        return network.graph_from_graphml(scenario.network.osm, mode, scenario.network)
    if inputs.ways is None:
        inputs.ways = osm.read_highways(scenario.network.osm)
    return network.graph_from_ways(inputs.ways, mode, scenario.network)


def points_digest(inputs: Inputs, demand: gpd.GeoDataFrame) -> str:
    """Hash of every snapped point's coordinates (with the network key, it fixes the
    snapped routing graph)."""
    return digest(
        *(
            np.asarray(frame.geometry.get_coordinates()).tobytes()
            for frame in (demand, inputs.services, inputs.candidates)
        )
    )


def travel_times(
    scenario: Scenario,
    inputs: Inputs,
    demand: gpd.GeoDataFrame,
    nets: dict[str, ModeNetwork],
    settings: Settings,
) -> tuple[dict[str, access.ModeTimes], dict[str, str]]:
    """Demand -> site times per mode, out to the horizon, as sparse matrices (cached by
    the network and the points' coordinates)."""
    out = {}
    status = {}
    where = points_digest(inputs, demand)
    for mode, net in nets.items():
        threshold = scenario.access.minutes(mode) * 60
        horizon = threshold * HORIZON_FACTOR
        key = digest(
            network_key(scenario, inputs, mode),
            where,
            horizon,
            scenario.network.max_snap_m,
        )
        cached = settings.load("times", key)
        if cached is None:
            _check_memory(inputs, demand, {mode: net})
            targets = net.demand.node
            services = network.times_between(
                net.graph, net.services.node, targets, cutoff=horizon, to_sources=True
            )
            candidates = network.times_between(
                net.graph, net.candidates.node, targets, cutoff=horizon, to_sources=True
            )
            cached = (services, candidates)
            settings.store("times", key, cached)
            status[mode] = "computed"
        else:
            status[mode] = "reused from cache"
        out[mode] = access.ModeTimes(mode, threshold, *cached)
    return out, status


# --------------------------------------------------------------------------------------
# Stages 3-6


def assess(
    scenario: Scenario,
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    times: dict[str, access.ModeTimes],
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Access per demand point (all modes) and per candidate (selection mode), then scores."""
    mode = scenario.selection_mode
    need_values = demand["need"].to_numpy()
    table = access.demand_access(need_values, [times[m] for m in scenario.network.modes])
    demand = demand.copy()
    for column in table.columns.drop("need"):
        demand[column] = table[column].to_numpy()
    covered = demand[f"covered_{mode}"].to_numpy()
    demand["unmet_need"] = np.where(covered, 0.0, need_values)
    per_site = access.candidate_access(
        times[mode], need_values, covered, access.deprivation_scale(demand["imd_decile"].to_numpy())
    )
    candidates = candidates.copy()
    for column in per_site.columns:
        candidates[column] = per_site[column].to_numpy()
    deprived = (demand["imd_decile"].fillna(99) <= 2).to_numpy()
    candidates["deprived_share_reached"] = access.deprived_share(times[mode], need_values, deprived)
    config = scenario.scoring
    excluded = scoring.exclusions(candidates, config, budget_gbp=scenario.selection.budget_gbp)
    scores = scoring.score(candidates, config, excluded)
    for column in scores.columns:
        candidates[column] = scores[column]
    if config.sensitivity_runs:
        stability = scoring.sensitivity(
            scores,
            config,
            excluded == "",
            candidates["site_id"],
            top_k=scenario.selection.hubs,
            runs=config.sensitivity_runs,
            spread=config.sensitivity_spread,
            seed=config.seed,
        )
        for column in stability.columns:
            candidates[column] = stability[column]
    return demand, candidates


def service_supply(services: gpd.GeoDataFrame) -> np.ndarray:
    """E2SFCA supply of each existing service: its list size where known, else the median
    known list size, else 1 (every service counts the same)."""
    capacity = services["capacity"].to_numpy(dtype=float)
    known = np.isfinite(capacity) & (capacity > 0)
    if not known.any():
        return np.ones(len(services))
    return np.where(known, capacity, np.median(capacity[known]))


def decay(scenario: Scenario, threshold_s: float) -> Callable[[np.ndarray], np.ndarray]:
    """The E2SFCA distance-decay weights of the scenario for one threshold."""
    if scenario.access.decay == "step":
        minutes = threshold_s / 60
        return access.step_weights({minutes / 3: 1.0, 2 * minutes / 3: 0.68, minutes: 0.22})
    return access.gaussian_weights(threshold_s)


def _check_eligible(
    scenario: Scenario, candidates: gpd.GeoDataFrame
) -> tuple[np.ndarray, list[int]]:
    """Eligible candidates and forced ones; clear errors when the request cannot be met."""
    eligible = (candidates["excluded_reason"] == "").to_numpy()
    if eligible.sum() < scenario.selection.hubs:
        reasons = candidates.loc[~eligible, "excluded_reason"].str.split("; ").explode()
        counts = ", ".join(f"{n} {r}" for r, n in reasons.value_counts().sort_index().items())
        raise InfeasibleError(
            f"selection.hubs is {scenario.selection.hubs} but only {int(eligible.sum())} of "
            f"{len(candidates)} candidates are eligible (excluded: {counts}); lower "
            "selection.hubs, relax the [scoring] constraints or add candidates"
        )
    forced = [int(i) for i in np.flatnonzero(candidates["forced"].to_numpy())]
    blocked = candidates.iloc[forced]
    blocked = blocked[blocked["excluded_reason"] != ""]
    if len(blocked):
        raise InfeasibleError(
            f"candidate {blocked['site_id'].iloc[0]} is forced by an edit but excluded "
            f"({blocked['excluded_reason'].iloc[0]}); drop the edit or relax the constraint"
        )
    return eligible, forced


def select(
    scenario: Scenario,
    times: access.ModeTimes,
    need_values: np.ndarray,
    candidates: gpd.GeoDataFrame,
    settings: Settings | None = None,
    status: dict[str, str] | None = None,
) -> optimise.Selection:
    """The scenario's selection question, asked of the optimiser: k hubs (coverage or
    median), the fewest reaching a target share, or k hubs with a capacity.

    With ``settings`` the answer is cached, keyed by everything the optimiser sees
    (times, need, eligibility, forced sites, costs, the selection settings).
    """
    config = scenario.selection
    eligible, forced = _check_eligible(scenario, candidates)
    costs = candidates["annual_cost_gbp"].to_numpy()
    settings = settings or Settings(None)
    from estate_planner import __version__

    key = digest(
        __version__,
        config.model_dump(mode="json"),
        times.threshold_s,
        *(_matrix_bytes(m) for m in (times.candidates, times.services)),
        np.ascontiguousarray(need_values, dtype=float).tobytes(),
        eligible.tobytes(),
        forced,
        np.asarray(costs, dtype=float).tobytes(),
    )
    cached = settings.load("selection", key)
    if status is not None:
        status["selection"] = "solved" if cached is None else "reused from cache"
    if cached is None:
        cached = _select(config, times, need_values, eligible, forced, costs)
        settings.store("selection", key, cached)
    return cached


def _matrix_bytes(matrix: sp.spmatrix) -> bytes:
    csr = sp.csr_matrix(matrix)
    return b"".join(
        np.ascontiguousarray(a).tobytes()
        for a in (np.array(csr.shape), csr.indptr, csr.indices, csr.data)
    )


def _select(
    config: SelectionConfig,
    times: access.ModeTimes,
    need_values: np.ndarray,
    eligible: np.ndarray,
    forced: list[int],
    costs: np.ndarray,
) -> optimise.Selection:
    common = {
        "threshold": times.threshold_s,
        "fixed": times.services,
        "eligible": eligible,
        "time_limit": config.time_limit_s,
    }
    if config.capacity is not None:
        return optimise.capacitated_coverage(
            times.candidates,
            need_values,
            config.hubs,
            config.capacity,
            costs=costs,
            budget=config.budget_gbp,
            forced=forced,
            **common,
        )
    if config.target_share is not None and not forced:
        return optimise.fewest_sites(
            times.candidates, need_values, config.target_share, most=config.hubs, **common
        )
    return optimise.select_sites(
        times.candidates,
        need_values,
        config.hubs,
        objective=config.objective,
        costs=costs,
        budget=config.budget_gbp,
        forced=forced,
        **common,
    )


def choose(
    scenario: Scenario,
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    times: dict[str, access.ModeTimes],
    settings: Settings | None = None,
    status: dict[str, str] | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, optimise.Selection]:
    """Choose the hubs, then record where each demand point's nearest hub is."""
    selection = select(
        scenario,
        times[scenario.selection_mode],
        demand["need"].to_numpy(),
        candidates,
        settings,
        status,
    )
    candidates = candidates.copy()
    order = pd.Series(pd.NA, index=candidates.index, dtype="Int64")
    gain = pd.Series(np.nan, index=candidates.index)
    for position, (site, value) in enumerate(
        zip(selection.chosen, selection.gains, strict=True), 1
    ):
        order.iloc[site] = position
        gain.iloc[site] = value
    candidates["selected"] = order.notna().to_numpy()
    candidates["selection_order"] = order
    candidates["marginal_gain"] = gain
    demand = demand.copy()
    supply = service_supply(services)
    hub_supply = float(np.median(supply)) if len(supply) else 1.0
    population = demand["population"].to_numpy()
    for m, t in times.items():
        both = sp.vstack([t.services, t.candidates[selection.chosen]], format="csr")
        demand[f"minutes_to_hub_{m}"] = access.nearest_seconds(both) / 60
        weigh = decay(scenario, t.threshold_s)
        with_hubs = np.concatenate([supply, np.full(len(selection.chosen), hub_supply)])
        demand[f"e2sfca_{m}"] = access.e2sfca(t.services, supply, population, weigh)
        demand[f"e2sfca_with_hubs_{m}"] = access.e2sfca(both, with_hubs, population, weigh)
    return demand, candidates, selection


def catchments(
    scenario: Scenario,
    candidates: gpd.GeoDataFrame,
    nets: dict[str, ModeNetwork],
    settings: Settings | None = None,
    graph_keys: dict[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Isochrone of each selected site per mode: streets within the threshold, buffered.

    With ``graph_keys`` (per mode, a key that fixes the snapped routing graph) each
    shape is cached, so a what-if that keeps a site reuses its catchment.
    """
    settings = settings or Settings(None)
    rows = []
    chosen = candidates[candidates["selected"]].sort_values("selection_order")
    for mode, net in nets.items():
        minutes = scenario.access.minutes(mode)
        for idx, site in chosen.iterrows():
            position = candidates.index.get_loc(idx)
            node = int(net.candidates.node[position])
            key = digest(graph_keys[mode], node, minutes) if graph_keys else ""
            shape = settings.load("catchment", key) if key else None
            if shape is None:
                shape = network.isochrone(net.graph, node, minutes * 60)
                if key:
                    settings.store("catchment", key, shape)
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
        crs=network.BNG,
    )


# --------------------------------------------------------------------------------------


@contextmanager
def _stage(name: str, timings: dict[str, float], report: Callable[[str], None]) -> Iterator[None]:
    report(f"{name}...")
    start = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - start, 3)
    logger.info("%s done in %.1f s", name, timings[name])


def run(
    scenario: Scenario,
    *,
    report: Callable[[str], None] | None = None,
    settings: Settings | None = None,
) -> RunResult:
    """Run every stage of ``scenario`` and return the results (nothing is written).

    Street graphs and travel times are cached on disk (``settings``, default from the
    environment), keyed by the hash of their inputs: a rerun whose network inputs did
    not change skips that work, and the manifest says so.
    """
    settings = settings or Settings.from_env()
    say = report or (lambda message: logger.info(message))
    timings: dict[str, float] = {}
    selection_status: dict[str, str] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with _stage("inputs", timings, say):
            inputs, inputs_status = load_inputs(scenario, settings)
        with _stage("need", timings, say):
            inputs = apply_edits(scenario, inputs)
            demand = need.demand_points(
                inputs.areas, inputs.population, inputs.deprivation, inputs.cells
            )
            demand["need"] = need.need_index(demand, scenario.need.weights)
        with _stage("network", timings, say):
            nets, network_status = build_networks(scenario, inputs, demand, settings)
        with _stage("travel times", timings, say):
            times, times_status = travel_times(scenario, inputs, demand, nets, settings)
        with _stage("access and scores", timings, say):
            demand, candidates = assess(
                scenario, demand, mark_unroutable(inputs.candidates, nets), times
            )
        with _stage("selection", timings, say):
            demand, candidates, selection = choose(
                scenario, demand, candidates, inputs.services, times, settings, selection_status
            )
        with _stage("catchments", timings, say):
            where = points_digest(inputs, demand)
            keys = {mode: digest(network_key(scenario, inputs, mode), where) for mode in nets}
            shapes = catchments(scenario, candidates, nets, settings, keys)
    messages = _warning_messages(caught, nets, demand, inputs)
    notes = {
        "cache": {
            "inputs": inputs_status,
            "network": network_status,
            "travel_times": times_status,
            **selection_status,
            "folder": str(settings.cache_dir) if settings.cache_dir else None,
        }
    }
    return RunResult(
        scenario,
        inputs,
        demand,
        inputs.services,
        candidates,
        selection,
        nets,
        times,
        shapes,
        timings,
        messages,
        notes,
    )


def mark_unroutable(candidates: gpd.GeoDataFrame, nets: dict[str, ModeNetwork]) -> gpd.GeoDataFrame:
    """Candidates with ``unroutable`` set where a point lies beyond the snap distance."""
    far = np.zeros(len(candidates), bool)
    for net in nets.values():
        far |= net.candidates.far
    out = candidates.copy()
    out["unroutable"] = far
    return out


def _warning_messages(
    caught: list[warnings.WarningMessage],
    nets: dict[str, ModeNetwork],
    demand: gpd.GeoDataFrame,
    inputs: Inputs,
) -> list[str]:
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    messages = [m for m in messages if "osmnx" not in m.lower()]
    for mode, net in nets.items():
        for what, snapped, ids in (
            ("demand points", net.demand, demand["id"]),
            ("services", net.services, inputs.services["service_id"]),
            ("candidates", net.candidates, inputs.candidates["site_id"]),
        ):
            if snapped.far.any():
                far_ids = ", ".join(map(str, np.asarray(ids)[snapped.far][:10]))
                messages.append(
                    f"{mode}: {int(snapped.far.sum())} {what} lie more than "
                    f"the snap distance from the {mode} network "
                    f"(the off-network leg is walked): {far_ids}"
                )
    for message in messages:
        logger.warning(message)
    return list(dict.fromkeys(messages))
