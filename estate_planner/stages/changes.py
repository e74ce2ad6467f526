"""The ways people travel and the changes the certainty check asks: the modes a person
counts as reached by (:class:`~estate_planner.reach.Travel`), and the selection question
with one assumption changed at a time (:mod:`estate_planner.certainty`)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from estate_planner import access, certainty, need, reach
from estate_planner.cache import Cache
from estate_planner.optimise import Question
from estate_planner.scenario import Scenario
from estate_planner.stages.assess import counting, demand_points, only_services
from estate_planner.stages.inputs import Inputs
from estate_planner.stages.routing import build_networks, travel_times


def travel(
    scenario: Scenario, demand: gpd.GeoDataFrame, times: dict[str, access.ModeTimes]
) -> reach.Travel:
    """The modes a person counts as reached by, with their times and thresholds.

    Driving counts only for households with a car where ``demand`` has a
    ``no_car_share`` (the area's share of households without a car, from
    ``[demand] cars``, applied to its residents) and the choice is on more than one
    mode; in an area whose share is not known, driving counts for everyone.

    Parameters
    ----------
    scenario : Scenario
    demand : geopandas.GeoDataFrame
    times : dict
        Mode -> :class:`~estate_planner.access.ModeTimes` (counted services only).

    Returns
    -------
    Travel
    """
    modes = scenario.selection_modes
    no_car = None
    if len(modes) > 1 and reach.CAR_MODE in modes and "no_car_share" in demand.columns:
        shares = demand["no_car_share"].to_numpy(dtype=float)
        if np.isfinite(shares).any():  # where an area's share is not known, all may drive
            no_car = np.nan_to_num(shares, nan=0.0)
    return reach.Travel(
        tuple(modes),
        tuple(sp.csr_matrix(times[m].candidates) for m in modes),
        tuple(sp.csr_matrix(times[m].services) for m in modes),
        tuple(float(times[m].threshold_s) for m in modes),
        no_car,
    )


def certainty_changes(
    scenario: Scenario,
    inputs: Inputs,
    cache: Cache,
    asked: Question,
    ways: reach.Travel,
    demand: pd.DataFrame,
    kinds: pd.Series,
) -> tuple[list[certainty.Change], tuple[Question, Question]]:
    """The changes the certainty check asks, and the question at the threshold margin.

    Parameters
    ----------
    scenario : Scenario
    inputs : Inputs
    cache : Cache
        For the one change that routes again (one point per area).
    asked : Question
        The selection question as the run asked it.
    ways : Travel
        The modes a person counts as reached by.
    demand : pandas.DataFrame
        Demand points with ``need``, ``population`` and the need factors.
    kinds : pandas.Series
        The kind of each service counted as existing provision.

    Returns
    -------
    changes : list of Change
        Threshold band, population placement, services counted, need weights.
    margin : tuple of Question
        The question at the threshold less and plus ``threshold_margin_minutes``.
    """
    config = scenario.selection
    changes = [
        *_threshold_changes(asked, ways, demand, config.threshold_step_minutes),
        *_placement_change(scenario, inputs, cache, asked),
        *_services_change(asked, ways, demand, kinds),
        *_weight_changes(scenario, asked, ways, demand),
    ]
    step = config.threshold_margin_minutes * 60
    return changes, (_at(asked, ways, -step), _at(asked, ways, step))


def _at(asked: Question, ways: reach.Travel, shift_s: float) -> Question:
    """The question with every mode's threshold moved by ``shift_s`` (same times)."""
    times, fixed, threshold = ways.combined(shift_s=shift_s)
    return asked.changed(times=times, fixed=fixed, threshold=threshold)


def _people(ways: reach.Travel, demand: pd.DataFrame) -> np.ndarray:
    return ways.columns().spread(demand["population"].to_numpy(dtype=float))


def _threshold_changes(
    asked: Question, ways: reach.Travel, demand: pd.DataFrame, step_minutes: float
) -> list[certainty.Change]:
    """Every threshold ``step_minutes`` shorter and longer: the same times re-read."""
    if step_minutes <= 0:
        return []
    out = []
    for sign, word in ((-1, "minus"), (1, "plus")):
        minutes = [t / 60 for t in ways.shifted(sign * step_minutes * 60)]
        said = ", ".join(f"{m} {v:g} min" for m, v in zip(ways.modes, minutes, strict=True))
        out.append(
            certainty.Change(
                "threshold",
                f"chosen_threshold_{word}_{step_minutes:g}_min",
                f"threshold {'-' if sign < 0 else '+'}{step_minutes:g} min ({said})",
                _at(asked, ways, sign * step_minutes * 60),
                _people(ways, demand),
            )
        )
    return out


def _services_change(
    asked: Question, ways: reach.Travel, demand: pd.DataFrame, kinds: pd.Series
) -> list[certainty.Change]:
    """Only GP practices counting as existing provision (where others count too)."""
    gp = (kinds == "gp").to_numpy()
    if not gp.any() or gp.all():
        return []
    _, fixed, _ = ways.combined(services=gp)
    return [
        certainty.Change(
            "services",
            "chosen_gp_practices_only",
            "only GP practices count as existing services",
            asked.changed(fixed=fixed),
            _people(ways, demand),
        )
    ]


def _weight_changes(
    scenario: Scenario, asked: Question, ways: reach.Travel, demand: pd.DataFrame
) -> list[certainty.Change]:
    """The need weights drawn across ``selection.weight_spread`` (corners first)."""
    config = scenario.selection
    columns = ways.columns()
    out = []
    draws = certainty.weight_draws(
        scenario.need.weights,
        runs=config.stability_runs,
        spread=config.weight_spread,
        seed=scenario.scoring.seed,
    )
    for i, weights in enumerate(draws, 1):
        said = ", ".join(f"{k} {v:.3g}" for k, v in weights.items())
        out.append(
            certainty.Change(
                "weights",
                "chosen_all_weight_draws",
                f"need weights draw {i} ({said})",
                asked.changed(need=columns.spread(need.need_index(demand, weights))),
                _people(ways, demand),
            )
        )
    return out


def _placement_change(
    scenario: Scenario, inputs: Inputs, cache: Cache, asked: Question
) -> list[certainty.Change]:
    """The question with population at one point per area instead of raster cells
    (when cells are used): its own snapping and travel times, on the selection modes."""
    if inputs.cells is None:
        return []
    modes = scenario.selection_modes
    these = scenario.updated(network={"modes": modes})
    per_area = demand_points(scenario, inputs, cells=False)
    nets, _ = build_networks(these, inputs, per_area, cache)
    area_times, _ = travel_times(these, inputs, nets, cache)
    counted = counting(inputs.services)
    times = {m: only_services(t, counted) for m, t in area_times.items()}
    ways = travel(scenario, per_area, times)
    candidate_times, fixed, threshold = ways.combined()
    return [
        certainty.Change(
            "placement",
            "chosen_one_point_per_area",
            "population at one point per small area (no raster)",
            asked.changed(
                times=candidate_times,
                fixed=fixed,
                threshold=threshold,
                need=ways.columns().spread(per_area["need"].to_numpy(dtype=float)),
            ),
            _people(ways, per_area),
        )
    ]
