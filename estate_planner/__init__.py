"""estate-planner: choose sites for NHS community health and wellbeing hubs."""

from __future__ import annotations

import importlib
import logging
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from estate_planner._errors import (
    EstatePlannerError,
    EstatePlannerWarning,
    InfeasibleError,
    InputDataError,
    NetworkError,
    OptionError,
    OutputError,
    ScenarioError,
)

if TYPE_CHECKING:
    from estate_planner.cache import Cache
    from estate_planner.compare import Comparison
    from estate_planner.explorer import Explorer, explore
    from estate_planner.network import graph_from_osm_file
    from estate_planner.optimise import Selection, fewest_sites, select_sites
    from estate_planner.results import RunResult
    from estate_planner.scenario import Scenario, load_scenario, scenario_from_dict
    from estate_planner.transit import transit_time_matrix
    from estate_planner.travel import travel_time_matrix

try:
    __version__ = version("estate-planner")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

# Loaded on first use (PEP 562): the command starts its drawing process before the
# heavy modules (geopandas, scipy, pydantic) load, so that both cores load them.
_LAZY = {
    "graph_from_osm_file": "estate_planner.network",
    "travel_time_matrix": "estate_planner.travel",
    "transit_time_matrix": "estate_planner.transit",
    "explore": "estate_planner.explorer",
    "Explorer": "estate_planner.explorer",
    "Cache": "estate_planner.cache",
    "RunResult": "estate_planner.results",
    "Selection": "estate_planner.optimise",
    "select_sites": "estate_planner.optimise",
    "fewest_sites": "estate_planner.optimise",
    "Scenario": "estate_planner.scenario",
    "load_scenario": "estate_planner.scenario",
    "scenario_from_dict": "estate_planner.scenario",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'estate_planner' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names and the lazy ones, so ``dir(estate_planner)`` shows them all."""
    return sorted(set(globals()) | set(_LAZY))


def compare_runs(base: RunResult, whatif: RunResult, out_dir: str | None = None) -> Comparison:
    """Compare two runs of (usually) the same area.

    Parameters
    ----------
    base, whatif : RunResult
        The two runs (:func:`run_scenario`).
    out_dir : str, optional
        Write both runs' outputs, ``comparison.csv`` and ``comparison.html`` here.

    Returns
    -------
    Comparison
        ``summary`` (headline measures), ``candidates`` (rank and score in each run)
        and ``deciles`` (minutes to the nearest service or hub by IMD decile).
    """
    from estate_planner.compare import compare, write_comparison

    comparison = compare(base, whatif)
    if out_dir is not None:
        write_comparison(comparison, out_dir)
    return comparison


def run_scenario(scenario: Scenario, out_dir: str | None = None) -> RunResult:
    """Run ``scenario`` end to end; write the outputs into ``out_dir`` when given.

    Parameters
    ----------
    scenario : Scenario
        From :func:`load_scenario`, :func:`scenario_from_dict` or ``Scenario(...)``.
    out_dir : str, optional
        Folder for ``ranking.csv``, ``results.gpkg``, ``map.html``, ``report.html``,
        ``selection.png`` and ``manifest.json`` (replaced as a set).

    Returns
    -------
    RunResult

    Raises
    ------
    EstatePlannerError
        A subclass naming the file, row or setting at fault and how to fix it.

    Examples
    --------
    >>> import estate_planner as ep  # doctest: +SKIP
    >>> result = ep.run_scenario(ep.load_scenario("data/demo/scenario.toml"))  # doctest: +SKIP
    >>> result.selected[["site_id", "name"]]  # doctest: +SKIP
    """
    from estate_planner import pipeline
    from estate_planner.outputs import write_outputs

    result = pipeline.run(scenario)
    if out_dir is not None:
        write_outputs(result, out_dir)
    return result


__all__ = [
    "Cache",
    "EstatePlannerError",
    "EstatePlannerWarning",
    "Explorer",
    "InfeasibleError",
    "InputDataError",
    "NetworkError",
    "OptionError",
    "OutputError",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "Selection",
    "__version__",
    "compare_runs",
    "explore",
    "fewest_sites",
    "graph_from_osm_file",
    "load_scenario",
    "run_scenario",
    "scenario_from_dict",
    "select_sites",
    "transit_time_matrix",
    "travel_time_matrix",
]
