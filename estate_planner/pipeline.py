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
from estate_planner._errors import InfeasibleError
from estate_planner.inputs import Inputs, load_inputs, read_inputs  # noqa: F401  (notebooks)
from estate_planner.scenario import Mode, Scenario, SelectionConfig
from estate_planner.settings import Settings, digest
from estate_planner.sources import osm

logger = logging.getLogger(__name__)



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
    ways_read: int = 0  # highway ways in the OSM file
    way_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # ways used


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
    decision: Any = None  # estate_planner.decision.Decision: the checks on the choice

    def map(self) -> Any:
        """The run's folium map (shows inline in a notebook)."""
        from estate_planner.outputs.maps import build_map

        return build_map(self)

    @property
    def selected(self) -> gpd.GeoDataFrame:
        """The chosen sites, in order of marginal gain."""
        chosen = self.candidates[self.candidates["selected"]]
        return chosen.sort_values("selection_order")


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
    ways: list[osm.OsmWays] = []
    for mode in scenario.network.modes:
        key = network_key(scenario, inputs, mode)
        cached = settings.load("network", key)
        if cached is None:
            graph = _mode_graph(scenario, mode, ways)
            cached = (
                network.routing_graph(graph, mode),
                len(graph),
                graph.number_of_edges(),
                len(ways[0]) if ways else 0,
                _way_ids(graph) if ways else np.zeros(0, np.int64),
            )
            settings.store("network", key, cached)
            status[mode] = "built"
        else:
            status[mode] = "reused from cache"
        routing, n_nodes, n_edges, ways_read, used_ids = cached
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
        nets[mode] = ModeNetwork(
            mode, snapped_graph, n_nodes, n_edges, *split, ways_read=ways_read, way_ids=used_ids
        )
    return nets, status


def _mode_graph(scenario: Scenario, mode: Mode, ways: list[osm.OsmWays]) -> Any:
    """The mode's street graph; the extract is read once (into ``ways``) for all modes."""
    if scenario.network.osm.name.lower().endswith(".graphml"):
        return network.graph_from_graphml(scenario.network.osm, mode, scenario.network)
    if not ways:
        ways.append(osm.read_highways(scenario.network.osm))
    return network.graph_from_ways(ways[0], mode, scenario.network)


def _way_ids(graph: Any) -> np.ndarray:
    """The OSM ids of the ways a graph uses (a simplified edge lists all it merged)."""
    ids: list[int] = []
    for *_, osmid in graph.edges(data="osmid"):
        ids.extend(osmid if isinstance(osmid, list) else [osmid])
    return np.unique(np.asarray(ids, dtype=np.int64))


def count_ways(inputs: Inputs, nets: dict[str, ModeNetwork]) -> None:
    """The street file's record: highway ways read, and ways used by any mode's graph."""
    record = next(p for p in inputs.provenance if p.key == "network.osm")
    record.rows_read = max((net.ways_read for net in nets.values()), default=0)
    used = [net.way_ids for net in nets.values()]
    record.rows_used = len(np.unique(np.concatenate(used))) if used else 0


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
        horizon = threshold * access.HORIZON_FACTOR
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
    # flagged where a site reaches next to nobody, whatever its score says
    from estate_planner.decision import LOW_REACH_SHARE

    candidates["low_reach"] = candidates["need_reached"] < LOW_REACH_SHARE * need_values.sum()
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
    """Choose the hubs (leaving out any that would add nothing), then record where each
    demand point's nearest hub is."""
    from estate_planner.decision import drop_empty_hubs

    selection = select(
        scenario,
        times[scenario.selection_mode],
        demand["need"].to_numpy(),
        candidates,
        settings,
        status,
    )
    forced = [int(i) for i in np.flatnonzero(candidates["forced"].to_numpy())]
    selection, _ = drop_empty_hubs(selection, min_gain=scenario.selection.min_gain, keep=forced)
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
            count_ways(inputs, nets)
        with _stage("travel times", timings, say):
            all_times, times_status = travel_times(scenario, inputs, demand, nets, settings)
            # only services that count as existing provision define who is reached
            counted = counting(inputs.services)
            times = {m: only_services(t, counted) for m, t in all_times.items()}
        with _stage("access and scores", timings, say):
            demand, candidates = assess(
                scenario, demand, mark_unroutable(inputs.candidates, nets), times
            )
        with _stage("selection", timings, say):
            existing = inputs.services[counted].reset_index(drop=True)
            demand, candidates, selection = choose(
                scenario, demand, candidates, existing, times, settings, selection_status
            )
        with _stage("checking the choice", timings, say):
            checked = check_choice(
                scenario, inputs, demand, candidates, selection, times, existing, settings
            )
        with _stage("catchments", timings, say):
            where = points_digest(inputs, demand)
            keys = {mode: digest(network_key(scenario, inputs, mode), where) for mode in nets}
            shapes = catchments(scenario, candidates, nets, settings, keys)
    messages = _warning_messages(caught, nets, demand, inputs) + checked.warnings
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
        decision=checked,
    )


def counting(services: gpd.GeoDataFrame) -> np.ndarray:
    """Which services count as existing provision (``[[services]] counts``)."""
    if "counts" not in services.columns:
        return np.ones(len(services), dtype=bool)
    return services["counts"].fillna(True).astype(bool).to_numpy()


def only_services(times: access.ModeTimes, rows: np.ndarray) -> access.ModeTimes:
    """``times`` with only the services in ``rows``."""
    return dataclasses.replace(times, services=sp.csr_matrix(times.services)[rows])


def check_choice(
    scenario: Scenario,
    inputs: Inputs,
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    selection: optimise.Selection,
    times: dict[str, access.ModeTimes],
    existing: gpd.GeoDataFrame,
    settings: Settings,
) -> Any:
    """The checks a board needs on the choice (:mod:`estate_planner.decision`): hubs
    left out for adding nothing, what each hub adds and for whom, why top sites were
    not chosen, and the chosen set's stability."""
    from estate_planner import __version__

    t = times[scenario.selection_mode]
    need_values = demand["need"].to_numpy(dtype=float)
    eligible = (candidates["excluded_reason"] == "").to_numpy()
    # cached by all it depends on: a rerun need not ask the question fifteen times again
    key = digest(
        __version__,
        scenario.digest(),
        *(_matrix_bytes(m) for m in (t.candidates, t.services)),
        need_values.tobytes(),
        eligible.tobytes(),
        selection.chosen,
        points_digest(inputs, demand),
    )
    cached = settings.load("decision", key)
    if cached is not None:
        return cached
    found = _check_choice(scenario, inputs, demand, candidates, selection, t, existing, settings)
    settings.store("decision", key, found)
    return found


def _check_choice(
    scenario: Scenario,
    inputs: Inputs,
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    selection: optimise.Selection,
    t: access.ModeTimes,
    existing: gpd.GeoDataFrame,
    settings: Settings,
) -> Any:
    from estate_planner import decision as dec

    config = scenario.selection
    mode = scenario.selection_mode
    need_values = demand["need"].to_numpy(dtype=float)
    reach = access.within(t.candidates, t.threshold_s)
    before = access.covered_by(t.services, t.threshold_s)
    found = dec.Decision()
    found.empty_hubs = [str(candidates["site_id"].iloc[i]) for i in selection.empty]
    if config.target_share is None:  # else fewer hubs than asked for is the question
        found.fewer = max(config.hubs - len(selection.chosen), 0)
    if found.fewer:
        found.warnings.append(
            f"{found.fewer} of the {config.hubs} hubs asked for would add nothing "
            f"(existing services and the hubs chosen already reach everyone they would "
            f"reach within {t.threshold_s / 60:g} min), so {len(selection.chosen)} "
            f"{'is' if len(selection.chosen) == 1 else 'are'} chosen"
        )
    found.effects = dec.hub_effects(selection.chosen, candidates, before, reach, demand)
    found.not_chosen = dec.why_not_chosen(
        candidates,
        selection.chosen,
        before,
        reach,
        need_values,
        top=config.hubs,
        least_gain=min(selection.gains)
        if selection.gains and config.objective == "coverage"
        else None,
    )
    coarse = dec.coarse_raster_warning(_cell_size_m(inputs), _threshold_m(scenario, mode), mode)
    if coarse:
        found.warnings.append(coarse)
    if config.stability_runs:
        base = dec.Question("as chosen", t.candidates, t.services, need_values, t.threshold_s)
        variants = [
            *dec.weight_variants(
                demand,
                scenario.need.weights,
                need.need_index,
                base,
                runs=config.stability_runs,
                spread=scenario.scoring.sensitivity_spread,
                seed=scenario.scoring.seed,
            ),
            *dec.threshold_variants(base, config.threshold_step_minutes * 60),
            *dec.services_variant(base, existing["kind"]),
            *_placement_variant(scenario, inputs, settings, base),
        ]
        found.runs, found.times_chosen, found.conclusions = dec.stability(
            base,
            variants,
            k=config.hubs,
            eligible=(candidates["excluded_reason"] == "").to_numpy(),
            site_ids=candidates["site_id"],
            min_gain=config.min_gain,
            time_limit=min(config.time_limit_s, 10.0),
            objective=config.objective,
        )
    return found


def _cell_size_m(inputs: Inputs) -> float | None:
    """The population raster's cell size (the side of a square of the same area), from
    the spacing of its cells east-west and north-south (a WorldPop 30-second cell is
    about 560 m by 930 m in England)."""
    cells = inputs.cells
    if cells is None or len(cells) < 5:
        return None
    from scipy.spatial import cKDTree

    xy = np.column_stack([cells.geometry.x, cells.geometry.y])
    _, near = cKDTree(xy).query(xy, k=5)
    step = np.abs(xy[near[:, 1:]] - xy[:, None, :])  # cells x 4 neighbours x (dx, dy)
    dx, dy = step[..., 0], step[..., 1]
    east = np.where(dy < dx / 2, dx, np.inf).min(axis=1)
    north = np.where(dx < dy / 2, dy, np.inf).min(axis=1)
    east, north = east[np.isfinite(east)], north[np.isfinite(north)]
    if not len(east) or not len(north):
        return None
    return float(np.sqrt(np.median(east) * np.median(north)))


def _threshold_m(scenario: Scenario, mode: str) -> float:
    """About how far the mode's threshold reaches, in metres (driving at 40 km/h)."""
    kmh = {"walk": scenario.network.walk_kmh, "cycle": scenario.network.cycle_kmh}.get(mode, 40.0)
    return kmh * 1000 / 60 * scenario.access.minutes(mode)


def _placement_variant(
    scenario: Scenario, inputs: Inputs, settings: Settings, base: Any
) -> list[Any]:
    """The question with population at one point per area instead of raster cells
    (when cells are used): its own snapping and travel times, on the selection mode."""
    if inputs.cells is None:
        return []
    mode = scenario.selection_mode
    one_mode = scenario.updated(network={"modes": [mode]})
    per_area = need.demand_points(inputs.areas, inputs.population, inputs.deprivation, None)
    per_area["need"] = need.need_index(per_area, scenario.need.weights)
    nets, _ = build_networks(one_mode, inputs, per_area, settings)
    area_times, _ = travel_times(one_mode, inputs, per_area, nets, settings)
    t = only_services(area_times[mode], counting(inputs.services))
    return [
        dataclasses.replace(
            base,
            label="one point per area (no raster)",
            candidate_times=t.candidates,
            service_times=t.services,
            need=per_area["need"].to_numpy(dtype=float),
        )
    ]


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
