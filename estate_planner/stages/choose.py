"""Stage 6, choosing: the scenario's selection question asked of the optimiser, and the
checks a board needs on its answer (:mod:`estate_planner.decision`)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from estate_planner import access, certainty, decision, reach, scoring
from estate_planner._errors import InfeasibleError
from estate_planner.cache import REUSED, Cache
from estate_planner.optimise import Question, Selection, drop_empty_hubs
from estate_planner.scenario import Scenario
from estate_planner.stages.changes import certainty_changes, travel
from estate_planner.stages.inputs import Inputs

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


def question(
    scenario: Scenario,
    candidates: gpd.GeoDataFrame,
    ways: reach.Travel,
    need_values: np.ndarray,
    people: np.ndarray,
    capital: np.ndarray | None = None,
) -> Question:
    """The scenario's selection question: every solve and re-solve asks this object.

    Parameters
    ----------
    scenario : Scenario
    candidates : geopandas.GeoDataFrame
        With ``excluded_reason``, ``forced`` and ``annual_cost_gbp``.
    ways : Travel
        The modes a person counts as reached by.
    need_values : numpy.ndarray
        Need per demand point.
    people : numpy.ndarray
        People per demand point: what ``selection.capacity`` counts.
    capital : numpy.ndarray, optional
        Each candidate's indicative capital (:func:`capital_costs`): the costs when
        ``selection.capital_budget_gbp`` or ``minimise = "capital"`` is set.

    Returns
    -------
    Question

    Raises
    ------
    InfeasibleError
        If fewer candidates are eligible than hubs asked for, or a forced one is
        excluded.
    """
    config = scenario.selection
    eligible, forced = _check_eligible(scenario, candidates)
    times, fixed, threshold = ways.combined()
    return Question(
        times=times,
        need=ways.columns().spread(need_values),
        hubs=config.hubs,
        threshold=threshold,
        fixed=fixed,
        objective=config.objective,
        eligible=eligible,
        forced=tuple(forced),
        costs=candidates["annual_cost_gbp"].to_numpy(dtype=float) if capital is None else capital,
        budget=config.budget_gbp if capital is None else config.capital_budget_gbp,
        capacity=config.capacity,
        load=ways.columns().spread(people),
        target_share=config.target_share,
        cheapest=config.minimise == "capital",
        time_limit=config.time_limit_s,
    )


def capital_costs(
    scenario: Scenario,
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    times: dict[str, access.ModeTimes],
) -> np.ndarray | None:
    """Each candidate's indicative capital for the optimiser (£, year 0, before optimism
    bias), when ``selection.capital_budget_gbp`` or ``minimise = "capital"`` asks for it.

    Sized and costed by the ``[appraisal]`` settings for the people nearer to it than
    to every counted service on the selection mode
    (:func:`estate_planner.appraisal.capital_if_added`).

    Parameters
    ----------
    scenario : Scenario
    demand : geopandas.GeoDataFrame
        With ``population``.
    candidates : geopandas.GeoDataFrame
    times : dict
        Mode -> :class:`~estate_planner.access.ModeTimes` (counted services only).

    Returns
    -------
    numpy.ndarray or None
        None when neither setting is given.
    """
    config = scenario.selection
    if config.capital_budget_gbp is None and config.minimise != "capital":
        return None
    from estate_planner.appraisal import CostAssumptions, SizingAssumptions, capital_if_added

    values = scenario.appraisal.model_dump()
    mode = times[scenario.selection_mode]
    return capital_if_added(
        candidates, mode.candidates, mode.services, demand["population"].to_numpy(dtype=float),
        sizing=SizingAssumptions.from_mapping(values), costs=CostAssumptions.from_mapping(values),
    )  # fmt: skip


def solve(asked: Question) -> Selection:
    """The answer to ``asked`` (a pure function of it: the run caches it).

    Parameters
    ----------
    asked : Question

    Returns
    -------
    Selection
    """
    return asked.solve()


def select(asked: Question, cache: Cache | None = None) -> tuple[Selection, str]:
    """The optimiser's answer to the question, cached by the question itself.

    Parameters
    ----------
    asked : Question
    cache : Cache, optional

    Returns
    -------
    selection : Selection
    status : str
        "solved" or "reused from cache".
    """
    selection, reused = (cache or Cache(None)).call_status(solve, asked)
    return selection, REUSED if reused else "solved"


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
    config = scenario.selection
    if config.hubs == 0:  # an access analysis: nothing to choose
        selection = Selection([], 0.0, np.nan, NO_HUBS, objective=config.objective)
        status = "not asked"
    else:
        asked = question(
            scenario, candidates, travel(scenario, demand, times), demand["need"].to_numpy(),
            demand["population"].to_numpy(dtype=float),
            capital_costs(scenario, demand, candidates, times),
        )  # fmt: skip
        selection, status = select(asked, cache)
        selection, _ = drop_empty_hubs(
            selection, min_gain=config.min_gain, keep=list(asked.forced)
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
    were not chosen, each mode's reach, and the certainty of the choice dimension by
    dimension (:func:`check`, cached by its arguments, so a rerun need not ask the
    question again under every change).

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
    config = scenario.selection
    ways = travel(scenario, demand, times)
    need_values = demand["need"].to_numpy(dtype=float)
    asked = question(
        scenario, candidates, ways, need_values, demand["population"].to_numpy(dtype=float),
        capital_costs(scenario, demand, candidates, times),
    )  # fmt: skip
    changes: list[certainty.Change] = []
    margin = None
    if config.stability_runs and config.hubs:
        changes, margin = certainty_changes(scenario, inputs, cache, asked, ways, demand,
                                            existing["kind"])  # fmt: skip
    mode = scenario.selection_mode
    coarse = decision.coarse_raster_warning(
        _cell_size(inputs, cache), _threshold_m(scenario, mode), mode
    )
    columns = ["site_id", "name", "rank", *HUB_FACTS]
    arguments = (
        asked, ways, selection, pd.DataFrame(demand[DEMAND_COLUMNS]),
        pd.DataFrame(candidates.reindex(columns=columns)), changes, margin,
    )  # fmt: skip
    options: dict[str, Any] = {"asked_hubs": config.hubs, "target_share": config.target_share,
                               "min_gain": config.min_gain, "coarse": coarse}  # fmt: skip
    found = cache.call(check, *arguments, **options)
    if not config.hubs:
        said = "" if len(candidates) else " and no candidate site lies in the study area"
        found.warnings.append(
            f"no hub chosen: selection.hubs is 0{said}, so this run is an access analysis "
            "of the existing services only; add candidates (a property list or register) "
            "and set selection.hubs to choose hubs"
        )
    return found


#: what the per-hub table carries of each candidate, where the inputs know it
HUB_FACTS = ["availability", "availability_source", "availability_date",
             "floor_area_m2", "floor_area_source"]  # fmt: skip
#: what the checks read of each demand point
DEMAND_COLUMNS = ["need", "population", "age_65_plus", "imd_decile"]


def check(
    asked: Question,
    ways: reach.Travel,
    selection: Selection,
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    changes: list[certainty.Change],
    margin: tuple[Question, Question] | None,
    *,
    asked_hubs: int,
    target_share: float | None,
    min_gain: float,
    coarse: str | None,
) -> decision.Decision:
    """The checks on a choice: a pure function of what it is handed (the run caches it).

    Parameters
    ----------
    asked : Question
        The selection question as the run asked it.
    ways : Travel
        The modes a person counts as reached by.
    selection : Selection
        The run's answer (hubs adding nothing already left out).
    demand : pandas.DataFrame
        ``need``, ``population``, ``age_65_plus`` and ``imd_decile`` per demand point.
    sites : pandas.DataFrame
        ``site_id``, ``name``, ``rank`` and the facts of :data:`HUB_FACTS` per candidate.
    changes : list of Change
        The question with one assumption changed each (none: no certainty check).
    margin : tuple of Question or None
        The question at the threshold less and plus the margin.
    asked_hubs : int
        ``selection.hubs``.
    target_share : float or None
        ``selection.target_share``.
    min_gain : float
        ``selection.min_gain``.
    coarse : str or None
        The warning that the raster is coarse for the threshold, if it is.

    Returns
    -------
    Decision
    """
    columns = ways.columns()
    per_column = columns.frame(demand, ["need", "population", "age_65_plus"])
    need_values = per_column["need"].to_numpy(dtype=float)
    people = per_column["population"].to_numpy(dtype=float)
    covers = access.within(asked.times, asked.threshold)
    before, _ = certainty.reached(asked, [])
    found = decision.Decision()
    found.empty_hubs = [str(sites["site_id"].iloc[i]) for i in selection.empty]
    if target_share is None:  # else fewer hubs than asked for is the question
        found.fewer = max(asked_hubs - len(selection.chosen), 0)
    if found.fewer:
        found.warnings.append(
            f"{found.fewer} of the {asked_hubs} hubs asked for would add nothing "
            f"(existing services and the hubs chosen already reach everyone they would "
            f"reach within the threshold), so {len(selection.chosen)} "
            f"{'is' if len(selection.chosen) == 1 else 'are'} chosen"
        )
    found.effects = decision.hub_effects(selection.chosen, sites, before, covers, per_column)
    found.not_chosen = decision.why_not_chosen(
        sites,
        selection.chosen,
        before,
        covers,
        need_values,
        top=asked_hubs,
        least_gain=min(selection.gains)
        if selection.gains and asked.objective == "coverage"
        else None,
    )
    if coarse:
        found.warnings.append(coarse)
    found.by_mode = ways.reached_by_mode(
        demand["population"].to_numpy(dtype=float), list(selection.chosen)
    )
    if changes and margin is not None:
        found.certainty = certainty.certainty(
            asked, people, list(selection.chosen), changes, margin, sites, min_gain=min_gain
        )
        for hub in found.certainty.hubs.itertuples():
            if hub.depends_on_threshold:
                found.warnings.append(
                    f"hub {hub.selection_order} ({hub.name}) depends on the threshold: "
                    f"{hub.near_threshold_share:.0%} of the people only it brings within "
                    "reach are within the margin of the threshold, so it is not called stable"
                )
    return found


def _cell_size(inputs: Inputs, cache: Cache) -> float | None:
    """:func:`cell_size_m` of the population cells, cached by their centres (a rerun
    need not load SciPy's spatial module to measure the same raster again)."""
    cells = inputs.cells
    if cells is None or len(cells) < 5:
        return None
    return cache.call(cell_size_m, np.column_stack([cells.geometry.x, cells.geometry.y]))


def cell_size_m(xy: np.ndarray) -> float | None:
    """The population raster's cell size (the side of a square of the same area), from
    the spacing of its cells east-west and north-south (a WorldPop 30-second cell is
    about 560 m by 930 m in England).

    Parameters
    ----------
    xy : numpy.ndarray
        The cells' centres, one row each (metres east, north).

    Returns
    -------
    float or None
        None for fewer than five cells or no neighbour east-west or north-south.
    """
    if len(xy) < 5:
        return None
    from scipy.spatial import cKDTree

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
