"""Run a scenario end to end: inputs -> network -> need -> access -> score -> select.

:func:`run` only chains the stages (:mod:`estate_planner.stages`) and records their
timings, cache use and warnings; writing outputs is :mod:`estate_planner.outputs`' job.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import geopandas as gpd
import numpy as np

from estate_planner.cache import Cache
from estate_planner.results import ModeNetwork, RunResult
from estate_planner.scenario import Scenario
from estate_planner.stages import appraise, assess, choose, routing
from estate_planner.stages.inputs import Inputs, load_inputs

logger = logging.getLogger(__name__)

__all__ = ["RunResult", "run"]


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
    cache: Cache | None = None,
) -> RunResult:
    """Run every stage of ``scenario`` and return the results (nothing is written).

    Parameters
    ----------
    scenario : Scenario
        What to run (:func:`estate_planner.load_scenario`).
    report : callable, optional
        Called with the name of each stage as it starts (the CLI's progress).
    cache : Cache, optional
        Where street graphs, travel times and answers are kept between runs
        (default :meth:`Cache.from_env`). A rerun whose inputs did not change skips
        that work, and ``RunResult.cache_status`` says so.

    Returns
    -------
    RunResult

    Raises
    ------
    EstatePlannerError
        A subclass naming the file, row or setting at fault and how to fix it.
    """
    cache = cache or Cache.from_env()
    say = report or (lambda message: logger.info(message))
    timings: dict[str, float] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with _stage("inputs", timings, say):
            inputs, inputs_status = load_inputs(scenario, cache)
        with _stage("need", timings, say):
            inputs = assess.apply_edits(scenario, inputs)
            choose.check_feasible(scenario, inputs.candidates)  # before any network
            demand = assess.demand_points(scenario, inputs)
        with _stage("network", timings, say):
            nets, network_status = routing.build_networks(scenario, inputs, demand, cache)
            routing.count_ways(inputs, nets)
        with _stage("travel times", timings, say):
            all_times, times_status = routing.travel_times(scenario, inputs, nets, cache)
            # only services that count as existing provision define who is reached
            counted = assess.counting(inputs.services)
            times = {m: assess.only_services(t, counted) for m, t in all_times.items()}
        with _stage("access and scores", timings, say):
            candidates = routing.mark_unroutable(inputs.candidates, nets)
            demand, candidates = assess.assess(scenario, demand, candidates, times)
        with _stage("selection", timings, say):
            existing = inputs.services[counted].reset_index(drop=True)
            candidates, selection, selection_status = choose.choose(
                scenario, demand, candidates, times, cache
            )
            demand = assess.access_with_hubs(scenario, demand, existing, times, selection.chosen)
        with _stage("checking the choice", timings, say):
            checked = choose.check_choice(
                scenario, inputs, demand, candidates, selection, times, existing, cache
            )
        with _stage("catchments", timings, say):
            shapes = routing.catchments(scenario, demand, candidates, nets, cache, times)
        economic = None
        if scenario.appraisal.enabled:
            with _stage("economic case", timings, say):
                economic = cache.call(
                    appraise.economic_case,
                    scenario, demand, existing, candidates, times,
                    list(selection.chosen), list(selection.gains), checked.runs,
                )  # fmt: skip
                demand = demand.assign(served_by=economic.served_by)
    status = {
        "inputs": inputs_status,
        "network": network_status,
        "travel_times": times_status,
        "selection": selection_status,
        "folder": str(cache.folder) if cache.folder else None,
    }
    return RunResult(
        scenario=scenario,
        inputs=inputs,
        demand=demand,
        services=inputs.services,
        candidates=candidates,
        selection=selection,
        networks=nets,
        times=times,
        catchments=shapes,
        decision=checked,
        timings=timings,
        warnings=_warning_messages(caught, nets, demand, inputs) + checked.warnings,
        cache_status=status,
        appraisal=economic,
    )


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
