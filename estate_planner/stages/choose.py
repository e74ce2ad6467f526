"""Stage 6, choosing: the scenario's selection question asked of the optimiser, and the
checks a board needs on its answer (:mod:`estate_planner.decision`)."""

from __future__ import annotations

import dataclasses
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from estate_planner import access, decision, need, scoring
from estate_planner._errors import InfeasibleError
from estate_planner.cache import Cache
from estate_planner.optimise import Selection
from estate_planner.scenario import Scenario
from estate_planner.stages.assess import counting, demand_points, only_services
from estate_planner.stages.inputs import Inputs
from estate_planner.stages.routing import build_networks, points_key, travel_times

#: the method of an access analysis's (empty) selection
NO_HUBS = "access analysis only: selection.hubs = 0, no hub chosen"


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


def check_feasible(scenario: Scenario, candidates: gpd.GeoDataFrame) -> None:
    """The selection question can be answered by these candidates: checked before any
    network is built (``run``) and by ``validate``, with the hard constraints that need
    no travel time (floor area, availability, kinds, budget, the edits).

    Parameters
    ----------
    scenario : Scenario
    candidates : geopandas.GeoDataFrame
        After the edits (``edit_excluded``, ``forced``).

    Raises
    ------
    InfeasibleError
        If fewer candidates are eligible than hubs asked for (a budget no site fits
        included), or a forced one is excluded: the message counts each reason.
    """
    if scenario.selection.hubs == 0:
        return
    config = scenario.scoring
    excluded = scoring.exclusions(
        candidates,
        min_floor_area_m2=config.min_floor_area_m2,
        max_floor_area_m2=config.max_floor_area_m2,
        available_only=config.available_only,
        exclude_kinds=config.exclude_kinds,
        budget_gbp=scenario.selection.budget_gbp,
    )
    if "forced" not in candidates.columns:
        candidates = candidates.assign(forced=False)
    _check_eligible(scenario, candidates.assign(excluded_reason=excluded.to_numpy()))


def select(
    scenario: Scenario,
    times: access.ModeTimes,
    need_values: np.ndarray,
    candidates: gpd.GeoDataFrame,
    cache: Cache | None = None,
) -> tuple[Selection, str]:
    """The scenario's selection question asked of the optimiser.

    k hubs (coverage or median), the fewest reaching a target share, or k hubs with a
    capacity. The answer is cached, keyed by everything the optimiser sees (times, need,
    eligibility, forced sites, costs, the selection settings).

    Parameters
    ----------
    scenario : Scenario
    times : ModeTimes
        The selection mode's times (counted services only).
    need_values : numpy.ndarray
        Need per demand point.
    candidates : geopandas.GeoDataFrame
        With ``excluded_reason``, ``forced`` and ``annual_cost_gbp``.
    cache : Cache, optional

    Returns
    -------
    selection : Selection
    status : str
        "solved" or "reused from cache".

    Raises
    ------
    InfeasibleError
        If fewer candidates are eligible than hubs asked for, or a forced one is
        excluded (and as the optimiser raises).
    """
    config = scenario.selection
    if config.hubs == 0:  # an access analysis: nothing to choose
        return Selection([], 0.0, 0.0, NO_HUBS, objective=config.objective), "not asked"
    eligible, forced = _check_eligible(scenario, candidates)
    costs = candidates["annual_cost_gbp"].to_numpy(dtype=float)
    need_values = np.asarray(need_values, dtype=float)
    options = {
        "threshold": times.threshold_s,
        "fixed": times.services,
        "eligible": eligible,
        "time_limit": config.time_limit_s,
    }

    def solve() -> Selection:
        from estate_planner import optimise

        if config.capacity is not None:
            return optimise.capacitated_coverage(
                times.candidates, need_values, config.hubs, config.capacity,
                costs=costs, budget=config.budget_gbp, forced=forced, **options,
            )  # fmt: skip
        if config.target_share is not None and not forced:
            return optimise.fewest_sites(
                times.candidates, need_values, config.target_share, most=config.hubs, **options
            )
        return optimise.select_sites(
            times.candidates, need_values, config.hubs, objective=config.objective,
            costs=costs, budget=config.budget_gbp, forced=forced, **options,
        )  # fmt: skip

    key = [
        config.model_dump(mode="json"),
        times.threshold_s,
        times.candidates,
        times.services,
        need_values,
        eligible,
        forced,
        costs,
    ]
    return (cache or Cache(None)).get_or_build("selection", key, solve, built="solved")


def choose(
    scenario: Scenario,
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    times: dict[str, access.ModeTimes],
    cache: Cache | None = None,
) -> tuple[gpd.GeoDataFrame, Selection, str]:
    """Choose the hubs, leaving out any that would add nothing.

    Parameters
    ----------
    scenario : Scenario
    demand : geopandas.GeoDataFrame
        With ``need``.
    candidates : geopandas.GeoDataFrame
        Scored, with ``excluded_reason`` and ``forced``.
    times : dict
        Mode -> :class:`~estate_planner.access.ModeTimes`.
    cache : Cache, optional

    Returns
    -------
    candidates : geopandas.GeoDataFrame
        Plus ``selected``, ``selection_order`` and ``marginal_gain``.
    selection : Selection
    status : str
        "solved" or "reused from cache".
    """
    selection, status = select(
        scenario, times[scenario.selection_mode], demand["need"].to_numpy(), candidates, cache
    )
    forced = [int(i) for i in np.flatnonzero(candidates["forced"].to_numpy())]
    selection, _ = decision.drop_empty_hubs(
        selection, min_gain=scenario.selection.min_gain, keep=forced
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
    return candidates, selection, status


# --------------------------------------------------------------------------------------
# The checks on the choice


def check_choice(
    scenario: Scenario,
    inputs: Inputs,
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    selection: Selection,
    times: dict[str, access.ModeTimes],
    existing: gpd.GeoDataFrame,
    cache: Cache,
) -> decision.Decision:
    """The checks a board needs on the choice.

    Hubs left out for adding nothing, what each hub adds and for whom, why top sites
    were not chosen, and the chosen set's stability; cached by all they depend on, so a
    rerun need not ask the question fifteen times again.

    Parameters
    ----------
    scenario : Scenario
    inputs : Inputs
    demand : geopandas.GeoDataFrame
    candidates : geopandas.GeoDataFrame
    selection : Selection
    times : dict
        Mode -> :class:`~estate_planner.access.ModeTimes`.
    existing : geopandas.GeoDataFrame
        Services that count as existing provision.
    cache : Cache

    Returns
    -------
    Decision
    """
    t = times[scenario.selection_mode]
    key = [
        scenario.digest(),
        t.candidates,
        t.services,
        demand["need"].to_numpy(dtype=float),
        (candidates["excluded_reason"] == "").to_numpy(),
        selection.chosen,
        *points_key(inputs, demand),
    ]
    found, _ = cache.get_or_build(
        "decision",
        key,
        lambda: _check_choice(scenario, inputs, demand, candidates, selection, t, existing, cache),
    )
    return found


def _check_choice(
    scenario: Scenario,
    inputs: Inputs,
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    selection: Selection,
    t: access.ModeTimes,
    existing: gpd.GeoDataFrame,
    cache: Cache,
) -> decision.Decision:
    config = scenario.selection
    mode = scenario.selection_mode
    need_values = demand["need"].to_numpy(dtype=float)
    reach = access.within(t.candidates, t.threshold_s)
    before = access.covered_by(t.services, t.threshold_s)
    found = decision.Decision()
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
    found.effects = decision.hub_effects(selection.chosen, candidates, before, reach, demand)
    found.not_chosen = decision.why_not_chosen(
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
    coarse = decision.coarse_raster_warning(
        _cell_size_m(inputs), _threshold_m(scenario, mode), mode
    )
    if coarse:
        found.warnings.append(coarse)
    if not config.hubs:
        said = "" if len(candidates) else " and no candidate site lies in the study area"
        found.warnings.append(
            f"no hub chosen: selection.hubs is 0{said}, so this run is an access analysis "
            "of the existing services only; add candidates (a property list or register) "
            "and set selection.hubs to choose hubs"
        )
    if config.stability_runs and config.hubs:
        base = decision.Question("as chosen", t.candidates, t.services, need_values, t.threshold_s)
        variants = [
            *decision.weight_variants(
                demand,
                scenario.need.weights,
                need.need_index,
                base,
                runs=config.stability_runs,
                spread=scenario.scoring.sensitivity_spread,
                seed=scenario.scoring.seed,
            ),
            *decision.threshold_variants(base, config.threshold_step_minutes * 60),
            *decision.services_variant(base, existing["kind"]),
            *_placement_variant(scenario, inputs, cache, base),
        ]
        found.runs, found.times_chosen, found.conclusions = decision.stability(
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
    scenario: Scenario, inputs: Inputs, cache: Cache, base: decision.Question
) -> list[Any]:
    """The question with population at one point per area instead of raster cells
    (when cells are used): its own snapping and travel times, on the selection mode."""
    if inputs.cells is None:
        return []
    mode = scenario.selection_mode
    one_mode = scenario.updated(network={"modes": [mode]})
    per_area = demand_points(scenario, inputs, cells=False)
    nets, _ = build_networks(one_mode, inputs, per_area, cache)
    area_times, _ = travel_times(one_mode, inputs, per_area, nets, cache)
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
