"""Check every input of a scenario without running it, reporting every problem."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from estate_planner._errors import EstatePlannerError
from estate_planner.scenario import Scenario, load_scenario, missing_inputs


def validate_scenario(path: Path | str) -> list[str]:
    """All problems found in the scenario at ``path`` and its inputs (empty if none)."""
    try:
        scenario = load_scenario(path)
    except EstatePlannerError as exc:
        return str(exc).splitlines()
    problems = missing_inputs(scenario)
    missing = {line.split(":")[0] for line in problems}
    for key, check in _checks(scenario).items():
        if key in missing:
            continue
        try:
            check()
        except EstatePlannerError as exc:
            problems.append(str(exc))
    return problems


def _checks(scenario: Scenario) -> dict[str, Callable[[], Any]]:
    from estate_planner.sources import areas, estate, osm, raster
    from estate_planner.sources.tables import read_vector

    demand = scenario.demand
    checks: dict[str, Callable[[], Any]] = {
        "demand.areas": partial(areas.read_areas, demand),
        "candidates.path": partial(estate.read_candidates, scenario.candidates),
    }
    if scenario.area.boundary is not None:
        checks["area.boundary"] = partial(read_vector, scenario.area.boundary, "area.boundary")
    if demand.population is not None:
        checks["demand.population"] = partial(
            areas.read_population, demand.population, demand.id_column
        )
    if demand.deprivation is not None:
        checks["demand.deprivation"] = partial(
            areas.read_deprivation, demand.deprivation, demand.id_column
        )
    if demand.lookup is not None:
        checks["demand.lookup"] = partial(areas.read_lookup, demand.lookup)
    if demand.raster is not None:
        checks["demand.raster"] = partial(
            raster.read_population_cells, demand.raster, None, units=demand.raster_units
        )
    for i, service in enumerate(scenario.services):
        key = f"services[{i}].path"
        checks[key] = partial(estate.read_services, service, key)
    if not scenario.network.osm.name.lower().endswith(".graphml"):
        checks["network.osm"] = partial(osm.read_highways, scenario.network.osm)
    return checks
