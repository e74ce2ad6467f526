"""Stages 3-5: need per demand point, access per demand point and candidate, scores."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import scipy.sparse as sp

from estate_planner import access, edits, need, scoring
from estate_planner._errors import EstatePlannerWarning
from estate_planner.decision import LOW_REACH_SHARE
from estate_planner.scenario import Scenario
from estate_planner.sources import projections
from estate_planner.stages.inputs import Inputs


def apply_edits(scenario: Scenario, inputs: Inputs) -> Inputs:
    """New inputs with the scenario's what-if edits applied (``inputs`` is not changed).

    Parameters
    ----------
    scenario : Scenario
    inputs : Inputs

    Returns
    -------
    Inputs
        Candidates gain ``edit_excluded`` and ``forced``.
    """
    inputs = population_to_come(scenario, inputs)
    if not scenario.edits:
        candidates = inputs.candidates.assign(edit_excluded=False, forced=False)
        return dataclasses.replace(inputs, candidates=candidates)
    services, candidates = edits.apply_to_estate(inputs.services, inputs.candidates, scenario.edits)
    population, areas, deprivation, census = edits.apply_to_population(
        inputs.population, inputs.areas, inputs.deprivation, scenario.edits, inputs.census
    )
    return dataclasses.replace(
        inputs,
        services=services,
        candidates=candidates,
        population=population,
        areas=areas,
        deprivation=deprivation,
        census=census,
    )


def population_to_come(scenario: Scenario, inputs: Inputs) -> Inputs:
    """Inputs with the population of ``demand.target_year`` (unchanged without one).

    Parameters
    ----------
    scenario : Scenario
    inputs : Inputs

    Returns
    -------
    Inputs
        The population grown by the projections and the housing sites complete by the
        target year, today's kept as ``population_base`` and ``age_65_plus_base``.
    """
    demand = scenario.demand
    if demand.target_year is None:
        return inputs
    factors = None
    if inputs.projections is not None:
        factors = projections.growth_factors(
            inputs.projections, base_year=demand.base_year, year=demand.target_year,
            path=str(demand.projections),
        )  # fmt: skip
    population, areas, deprivation, census = edits.population_in(
        demand.target_year, inputs.population, inputs.areas, inputs.deprivation, inputs.census,
        factors=factors, area_groups=inputs.area_groups, sites=inputs.housing,
        persons_per_dwelling=demand.persons_per_dwelling,
        share_65_plus=demand.housing_share_65_plus,
    )  # fmt: skip
    return dataclasses.replace(
        inputs, population=population, areas=areas, deprivation=deprivation, census=census
    )


def demand_points(scenario: Scenario, inputs: Inputs, *, cells: bool = True) -> gpd.GeoDataFrame:
    """Demand points with their ``need`` under the scenario's weights.

    Parameters
    ----------
    scenario : Scenario
    inputs : Inputs
    cells : bool
        Use the raster's cells where one was read (else one point per area).

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`estate_planner.need.demand_points`, plus ``need``.
    """
    index = inputs.deprivation_index or "IMD"
    demand = need.demand_points(
        inputs.areas,
        inputs.population,
        inputs.deprivation,
        inputs.cells if cells else None,
        census=inputs.census,
        index=index,
    )
    weights = scenario.need.weights
    said = [need.overlap_warning(weights), *need.unknown_factors(demand, weights, index=index)]
    for message in said:
        if message:
            warnings.warn(message, EstatePlannerWarning, stacklevel=2)
    demand["need"] = need.need_index(demand, weights)
    return demand


def counting(services: gpd.GeoDataFrame) -> np.ndarray:
    """Which services count as existing provision (``[[services]] counts``).

    Parameters
    ----------
    services : geopandas.GeoDataFrame

    Returns
    -------
    numpy.ndarray of bool
    """
    if "counts" not in services.columns:
        return np.ones(len(services), dtype=bool)
    return services["counts"].fillna(True).astype(bool).to_numpy()


def only_services(times: access.ModeTimes, rows: np.ndarray) -> access.ModeTimes:
    """``times`` with only the services in ``rows``.

    Parameters
    ----------
    times : ModeTimes
    rows : numpy.ndarray of bool or int

    Returns
    -------
    ModeTimes
    """
    return dataclasses.replace(times, services=sp.csr_matrix(times.services)[rows])


def assess(
    scenario: Scenario,
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    times: dict[str, access.ModeTimes],
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Access per demand point (all modes) and per candidate (selection mode), then scores.

    Parameters
    ----------
    scenario : Scenario
    demand : geopandas.GeoDataFrame
        Demand points with ``need`` and ``imd_decile``.
    candidates : geopandas.GeoDataFrame
    times : dict
        Mode -> :class:`~estate_planner.access.ModeTimes` (counted services only).

    Returns
    -------
    demand : geopandas.GeoDataFrame
        Plus ``minutes_to_service_<mode>``, ``covered_<mode>`` and ``unmet_need``.
    candidates : geopandas.GeoDataFrame
        Plus what each reaches, ``low_reach``, scores, ranks and (with sensitivity
        runs) rank ranges.
    """
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
    candidates["low_reach"] = candidates["need_reached"] < LOW_REACH_SHARE * need_values.sum()
    deprived = need.most_deprived(demand["imd_decile"])
    candidates["deprived_share_reached"] = access.deprived_share(times[mode], need_values, deprived)
    config = scenario.scoring
    floor = {
        "min_floor_area_m2": config.min_floor_area_m2,
        "max_floor_area_m2": config.max_floor_area_m2,
    }
    excluded = scoring.exclusions(
        candidates,
        **floor,
        unknown_floor_area_passes=config.unknown_floor_area_passes,
        available_only=config.available_only,
        exclude_kinds=config.exclude_kinds,
        budget_gbp=scenario.selection.budget_gbp,
    )
    scores = scoring.score(candidates, config.weights, excluded, **floor)
    for column in scores.columns:
        candidates[column] = scores[column]
    if config.sensitivity_runs:
        stability = scoring.sensitivity(
            scores,
            config.weights,
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


def access_with_hubs(
    scenario: Scenario,
    demand: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    times: dict[str, access.ModeTimes],
    chosen: list[int],
) -> gpd.GeoDataFrame:
    """Access before and after the chosen hubs, per demand point and mode.

    Parameters
    ----------
    scenario : Scenario
    demand : geopandas.GeoDataFrame
    services : geopandas.GeoDataFrame
        Services that count as existing provision (their list sizes are E2SFCA supply).
    times : dict
        Mode -> :class:`~estate_planner.access.ModeTimes`.
    chosen : list of int
        The chosen candidates.

    Returns
    -------
    geopandas.GeoDataFrame
        ``demand`` plus ``minutes_to_hub_<mode>``, ``covered_with_hubs_<mode>``
        (reached by a service or a chosen hub, by
        :func:`~estate_planner.access.covered_by`), ``e2sfca_<mode>`` and
        ``e2sfca_with_hubs_<mode>`` (a hub's supply is the median service's).
    """
    demand = demand.copy()
    supply = service_supply(services)
    hub_supply = float(np.median(supply)) if len(supply) else 1.0
    population = demand["population"].to_numpy()
    for m, t in times.items():
        both = sp.vstack([t.services, t.candidates[chosen]], format="csr")
        demand[f"minutes_to_hub_{m}"] = access.nearest_seconds(both) / 60
        demand[f"covered_with_hubs_{m}"] = access.covered_by(both, t.threshold_s)
        weigh = decay(scenario, t.threshold_s)
        with_hubs = np.concatenate([supply, np.full(len(chosen), hub_supply)])
        demand[f"e2sfca_{m}"] = access.e2sfca(t.services, supply, population, weigh)
        demand[f"e2sfca_with_hubs_{m}"] = access.e2sfca(both, with_hubs, population, weigh)
    return demand


def service_supply(services: gpd.GeoDataFrame) -> np.ndarray:
    """E2SFCA supply of each existing service.

    Parameters
    ----------
    services : geopandas.GeoDataFrame
        With ``capacity`` (list size) where known.

    Returns
    -------
    numpy.ndarray
        The list size where known, else the median known list size, else 1.
    """
    capacity = services["capacity"].to_numpy(dtype=float)
    known = np.isfinite(capacity) & (capacity > 0)
    if not known.any():
        return np.ones(len(services))
    return np.where(known, capacity, np.median(capacity[known]))


def decay(scenario: Scenario, threshold_s: float) -> Callable[[np.ndarray], np.ndarray]:
    """The E2SFCA distance-decay weights of the scenario for one threshold.

    Parameters
    ----------
    scenario : Scenario
    threshold_s : float

    Returns
    -------
    callable
        Seconds -> weights (step bands at a third and two thirds of the threshold, or
        Gaussian).
    """
    if scenario.access.decay == "step":
        minutes = threshold_s / 60
        return access.step_weights({minutes / 3: 1.0, 2 * minutes / 3: 0.68, minutes: 0.22})
    return access.gaussian_weights(threshold_s)
