"""Stage 6, choosing: the scenario's selection question asked of the optimiser, and the
checks a board needs on its answer (:mod:`estate_planner.decision`)."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from estate_planner import access, decision, need, scoring
from estate_planner._errors import InfeasibleError
from estate_planner.cache import REUSED, Cache
from estate_planner.optimise import Selection
from estate_planner.scenario import Scenario, SelectionConfig
from estate_planner.stages.assess import counting, demand_points, only_services
from estate_planner.stages.inputs import Inputs
from estate_planner.stages.routing import build_networks, travel_times

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
    people: np.ndarray | None = None,
) -> tuple[Selection, str]:
    """The scenario's selection question asked of the optimiser.

    k hubs (coverage or median), the fewest reaching a target share, or k hubs with a
    capacity: :func:`solve`, cached by its arguments (everything the optimiser sees).

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
    people : numpy.ndarray, optional
        People per demand point: what ``selection.capacity`` counts.

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
        return Selection([], 0.0, np.nan, NO_HUBS, objective=config.objective), "not asked"
    eligible, forced = _check_eligible(scenario, candidates)
    selection, reused = (cache or Cache(None)).call_status(
        solve,
        times.candidates,
        np.asarray(need_values, dtype=float),
        hubs=config.hubs,
        objective=config.objective,
        capacity=config.capacity,
        people=None if people is None else np.asarray(people, dtype=float),
        target_share=config.target_share,
        budget_gbp=config.budget_gbp,
        costs=candidates["annual_cost_gbp"].to_numpy(dtype=float),
        forced=forced,
        eligible=eligible,
        threshold=times.threshold_s,
        fixed=times.services,
        time_limit=config.time_limit_s,
    )
    return selection, REUSED if reused else "solved"


def solve(
    candidate_times: Any,
    need: np.ndarray,
    *,
    hubs: int,
    objective: Literal["coverage", "median"],
    capacity: float | None,
    target_share: float | None,
    budget_gbp: float | None,
    costs: np.ndarray,
    people: np.ndarray | None = None,
    forced: list[int],
    eligible: np.ndarray,
    threshold: float,
    fixed: Any,
    time_limit: float,
) -> Selection:
    """The selection question asked of the optimiser (cached by the run).

    k hubs (coverage or median), the fewest reaching a target share, or k hubs with a
    capacity, as :class:`~estate_planner.scenario.SelectionConfig` sets out.

    Parameters
    ----------
    candidate_times : scipy.sparse.csr_matrix
        Candidates x demand, seconds.
    need : numpy.ndarray
        Need per demand point.
    hubs, objective, capacity, target_share, budget_gbp
        As ``[selection]``.
    costs : numpy.ndarray
        Annual cost per candidate.
    people : numpy.ndarray, optional
        People per demand point, the unit of ``capacity`` (default the need).
    forced : list of int
        Candidates an edit forces in.
    eligible : numpy.ndarray of bool
    threshold : float
        Seconds.
    fixed : scipy.sparse.csr_matrix
        Existing services x demand, seconds.
    time_limit : float
        Seconds for the solver.

    Returns
    -------
    Selection
    """
    from estate_planner import optimise

    options = {"threshold": threshold, "fixed": fixed, "eligible": eligible,
               "time_limit": time_limit}  # fmt: skip
    if capacity is not None:
        return optimise.capacitated_coverage(
            candidate_times, need, hubs, capacity,
            costs=costs, budget=budget_gbp, forced=forced, load=people, **options,
        )  # fmt: skip
    if target_share is not None and not forced:
        return optimise.fewest_sites(candidate_times, need, target_share, most=hubs, **options)
    return optimise.select_sites(
        candidate_times, need, hubs, objective=objective,
        costs=costs, budget=budget_gbp, forced=forced, **options,
    )  # fmt: skip


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
        scenario, times[scenario.selection_mode], demand["need"].to_numpy(), candidates, cache,
        people=demand["population"].to_numpy(),
    )  # fmt: skip
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
    were not chosen, and the chosen set's stability: :func:`check`, cached by what it is
    handed, so a rerun need not ask the question fifteen times again.

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
    mode = scenario.selection_mode
    t = times[mode]
    placement = None
    if scenario.selection.stability_runs:
        need_values = demand["need"].to_numpy(dtype=float)
        base = decision.Question("as chosen", t.candidates, t.services, need_values, t.threshold_s)
        placement = _placement_variant(scenario, inputs, cache, base)
    return cache.call(
        check,
        selection,
        t,
        demand,
        candidates,
        existing["kind"],
        scenario.selection,
        need_weights=scenario.need.weights,
        spread=scenario.scoring.sensitivity_spread,
        seed=scenario.scoring.seed,
        cells=inputs.cells,
        reach_m=_threshold_m(scenario, mode),
        mode=mode,
        placement=placement,
    )


def check(
    selection: Selection,
    t: access.ModeTimes,
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    existing_kinds: pd.Series,
    config: SelectionConfig,
    *,
    need_weights: dict[str, float],
    spread: float,
    seed: int,
    cells: gpd.GeoDataFrame | None,
    reach_m: float,
    mode: str,
    placement: list[decision.Question] | None,
) -> decision.Decision:
    """The checks on a choice (cached by the run): :func:`check_choice` less the reading.

    Parameters
    ----------
    selection : Selection
    t : ModeTimes
        The selection mode's times (counted services only).
    demand : geopandas.GeoDataFrame
        With ``need`` and the need factors.
    candidates : geopandas.GeoDataFrame
    existing_kinds : pandas.Series
        The kind of each service counted as existing provision.
    config : SelectionConfig
    need_weights : dict
        ``[need] weights``, moved by the stability runs.
    spread, seed
        ``[scoring] sensitivity_spread`` and ``seed``.
    cells : geopandas.GeoDataFrame or None
        The population raster's cells, if read (a coarse raster is warned about).
    reach_m : float
        About how far the threshold reaches, in metres.
    mode : str
        The selection mode.
    placement : list of Question or None
        The question with one point per area, when the run uses raster cells.

    Returns
    -------
    Decision
    """
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
    coarse = decision.coarse_raster_warning(_cell_size_m(cells), reach_m, mode)
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
                demand, need_weights, need.need_index, base,
                runs=config.stability_runs, spread=spread, seed=seed,
            ),
            *decision.threshold_variants(base, config.threshold_step_minutes * 60),
            *decision.services_variant(base, existing_kinds),
            *(placement or []),
        ]  # fmt: skip
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


def _cell_size_m(cells: gpd.GeoDataFrame | None) -> float | None:
    """The population raster's cell size (the side of a square of the same area), from
    the spacing of its cells east-west and north-south (a WorldPop 30-second cell is
    about 560 m by 930 m in England)."""
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
    area_times, _ = travel_times(one_mode, inputs, nets, cache)
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
