"""What the map, the report and the static map share: credits, need classes, the
per-area summary, and :class:`MapView`, the part of a run the two maps draw.

Kept light (no folium, no pipeline): the process that draws the maps loads only this,
geopandas, folium and matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from estate_planner.results import RunResult


class _Access(Protocol):
    def minutes(self, mode: str) -> float: ...


class _Scenario(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def selection_mode(self) -> str: ...
    @property
    def access(self) -> _Access: ...


class _Inputs(Protocol):
    @property
    def areas(self) -> gpd.GeoDataFrame: ...
    @property
    def boundary(self) -> gpd.GeoDataFrame | None: ...
    @property
    def deprivation_index(self) -> str: ...


class MapSource(Protocol):
    """What the map and the static map read: a :class:`RunResult` or a :class:`MapView`."""

    @property
    def scenario(self) -> _Scenario: ...
    @property
    def inputs(self) -> _Inputs: ...
    @property
    def demand(self) -> gpd.GeoDataFrame: ...
    @property
    def services(self) -> gpd.GeoDataFrame: ...
    @property
    def candidates(self) -> gpd.GeoDataFrame: ...
    @property
    def catchments(self) -> gpd.GeoDataFrame: ...
    @property
    def selected(self) -> gpd.GeoDataFrame: ...


@dataclass(frozen=True)
class _Minutes:
    by_mode: dict[str, float]

    def minutes(self, mode: str) -> float:
        return self.by_mode[mode]


@dataclass(frozen=True)
class _ScenarioView:
    name: str
    selection_mode: str
    access: _Minutes
    credits: str = ""
    #: the OSM extract the offline background is drawn from
    osm: str = ""


@dataclass(frozen=True)
class _InputsView:
    areas: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame | None
    deprivation_index: str = ""


@dataclass(frozen=True)
class MapView:
    """The frames and settings the maps draw, in plain classes: cheap to send to the
    drawing process, which then needs neither the pipeline nor pydantic."""

    scenario: _ScenarioView
    inputs: _InputsView
    demand: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    catchments: gpd.GeoDataFrame

    @property
    def selected(self) -> gpd.GeoDataFrame:
        chosen = self.candidates[self.candidates["selected"]]
        return chosen.sort_values("selection_order")


def view_of(result: RunResult) -> MapView:
    """The part of ``result`` the maps draw, in plain classes.

    Cheap to send to the drawing process, which then needs neither the pipeline nor
    pydantic.

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    MapView
    """
    scenario = result.scenario
    minutes = {str(mode): scenario.access.minutes(mode) for mode in scenario.network.modes}
    return MapView(
        _ScenarioView(
            scenario.name,
            scenario.selection_mode,
            _Minutes(minutes),
            credits(result),
            str(scenario.network.osm),
        ),
        _InputsView(result.inputs.areas, result.inputs.boundary, result.inputs.deprivation_index),
        result.demand,
        result.services,
        _with_economics(result),
        result.catchments,
    )


#: per-hub columns of the economic case the map's popups show
HUB_ECONOMICS = (
    "population_served", "required_gia_m2", "fit", "estate_option", "capital_gbp", "npc_gbp",
)  # fmt: skip


def _with_economics(result: RunResult) -> gpd.GeoDataFrame:
    """Candidates with each chosen hub's size and cost from the economic case joined on."""
    if result.appraisal is None:
        return result.candidates
    hubs = result.appraisal.hubs.set_index("site_id")[list(HUB_ECONOMICS)]
    return result.candidates.join(hubs, on="site_id")


NEED_COLOURS = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"]
CREDITS = (
    "Streets © OpenStreetMap contributors (ODbL). Boundaries and population: ONS, "
    "OGL v3.0; contains OS data © Crown copyright. {index}: MHCLG, OGL v3.0. "
    "Services: NHS Digital / NHS.UK, OGL v3.0."
)
#: what a scenario marked ``[report] synthetic = true`` (the demo) credits
SYNTHETIC_CREDITS = (
    "All data here is synthetic, made up for the demo: the town, streets, people, "
    "deprivation, services and sites are invented. No ONS, MHCLG, NHS or OpenStreetMap "
    "data is used; the figures describe no real place."
)


def imd_label(result: MapSource) -> str:
    """The deprivation index as every output names it: "IMD (IoD 2025)".

    The edition comes from the file read (its area codes' vintage or its name); a
    table that does not say shows as "IMD (edition not stated)".

    Parameters
    ----------
    result : RunResult or MapView

    Returns
    -------
    str
    """
    index = getattr(result.inputs, "deprivation_index", "")
    if not index:
        return "IMD"
    return index if index.startswith("IMD") else f"IMD ({index})"


def osm_background(result: MapSource) -> dict[str, list[dict[str, object]]] | None:
    """Main roads, water and place names from the run's own OSM extract (WGS84), or None
    when the run read no OSM file (see :func:`estate_planner.sources.osm.read_background`).

    Parameters
    ----------
    result : RunResult or MapView

    Returns
    -------
    dict or None
    """
    from pathlib import Path

    from estate_planner.sources.osm import is_osm_file, read_background

    scenario = result.scenario
    path = getattr(scenario, "osm", "") or str(getattr(getattr(scenario, "network", None),
                                                       "osm", ""))  # fmt: skip
    if not path or not is_osm_file(Path(path)) or not Path(path).is_file():
        return None
    return read_background(Path(path))


def credits(result: MapSource) -> str:
    """The credits line of the map, the static map and the report: the scenario's own
    (``report.credits``), the synthetic-data notice (``report.synthetic``, the demo), or
    the published sources'.

    Parameters
    ----------
    result : RunResult or MapView

    Returns
    -------
    str
    """
    scenario = result.scenario
    if isinstance(scenario, _ScenarioView):  # the drawing process: worked out already
        return scenario.credits or CREDITS.format(index=imd_label(result))
    report = getattr(scenario, "report", None)
    if report is not None and report.credits:
        return str(report.credits)
    if report is not None and report.synthetic:
        return SYNTHETIC_CREDITS
    return CREDITS.format(index=imd_label(result))


def area_summary(result: MapSource) -> gpd.GeoDataFrame:
    """Per small area: population, 65+, IMD decile, need and nearest-service time.

    Parameters
    ----------
    result : RunResult or MapView

    Returns
    -------
    geopandas.GeoDataFrame
    """
    demand = result.demand
    mode = result.scenario.selection_mode
    minutes = demand[f"minutes_to_service_{mode}"]
    weighted = (minutes * demand["population"]).groupby(demand["area_id"]).sum(min_count=1)
    grouped = demand.groupby("area_id").agg(
        population=("population", "sum"),
        age_65_plus=("age_65_plus", "sum"),
        need=("need", "sum"),
        unmet_need=("unmet_need", "sum"),
        imd_decile=("imd_decile", "first"),
    )
    grouped["minutes_to_service"] = weighted / grouped["population"]
    _, reached, _, _ = reach(result, mode)
    beyond = ~reached
    grouped["people_beyond"] = (
        demand["population"].where(beyond, 0.0).groupby(demand["area_id"]).sum()
    )
    grouped["share_beyond"] = (grouped["people_beyond"] / grouped["population"]).fillna(0.0)
    # LSOAs hold similar numbers of people by design, so need per resident (age and
    # deprivation) says more on a map than the total.
    grouped["need_per_resident"] = grouped["need"] / grouped["population"]
    areas = result.inputs.areas.set_index("id")
    summary = gpd.GeoDataFrame(
        grouped.join(areas[["name", "geometry"]]), geometry="geometry", crs=areas.crs
    )
    summary["geometry"] = summary.geometry.simplify(15)
    return summary.reset_index(names="area_id")


#: classes of the share of an area's people beyond reach of every existing service
BEYOND_EDGES = (0.0, 0.01, 0.25, 0.5, 0.75, 1.0)
BEYOND_COLOURS = ["#f7f7f7", "#dadaeb", "#bcbddc", "#9e9ac8", "#6a51a3"]


def reach(
    result: MapSource, mode: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Who is reached, per demand point, before and after the hubs.

    The one definition of "reached" the report, map, comparison, batch and explorer
    share: the ``covered_<mode>`` and ``covered_with_hubs_<mode>`` columns, which the
    assess stage computes from the times in seconds with
    :func:`estate_planner.access.covered_by` (a time within the threshold, in seconds),
    as the optimiser counts coverage. The minute columns are for display; comparing them
    with a threshold in minutes could disagree with the seconds at the boundary.

    Parameters
    ----------
    result : RunResult or MapView
    mode : str, optional
        Default the selection mode.

    Returns
    -------
    people : numpy.ndarray
    before : numpy.ndarray of bool
        Reached by an existing service within the threshold.
    after : numpy.ndarray of bool
        Reached by a service or a chosen hub.
    minutes : float
        The threshold.
    """
    demand = result.demand
    mode = mode or result.scenario.selection_mode
    minutes = result.scenario.access.minutes(mode)
    people = demand["population"].to_numpy(dtype=float)
    before = demand[f"covered_{mode}"].to_numpy(dtype=bool)
    after = demand[f"covered_with_hubs_{mode}"].to_numpy(dtype=bool)
    return people, before, after, minutes


def headline_shares(result: MapSource) -> tuple[float, float, float, float]:
    """The map's headline numbers on the selection mode.

    Parameters
    ----------
    result : RunResult or MapView

    Returns
    -------
    people : float
    beyond : float
        People beyond reach of every existing service.
    brought : float
        Of those, the people the hubs bring within reach.
    minutes : float
        The threshold.
    """
    people, before, after, minutes = reach(result)
    return (
        float(people.sum()),
        float(people[~before].sum()),
        float(people[~before & after].sum()),
        minutes,
    )


def need_classes(values: pd.Series, n: int = 5) -> tuple[np.ndarray, list[float]]:
    """Quantile classes of ``values`` (up to ``n``) and the class edges.

    Parameters
    ----------
    values : pandas.Series
    n : int

    Returns
    -------
    classes : numpy.ndarray
    edges : list of float
    """
    edges = np.unique(np.quantile(values, np.linspace(0, 1, n + 1)))
    if len(edges) < 2:
        return np.zeros(len(values), int), [float(values.min()), float(values.max())]
    classes = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
    return classes, [float(e) for e in edges]
