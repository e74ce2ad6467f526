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
    "deprivation, services, registered patients and sites are invented. No ONS, MHCLG, "
    "NHS or OpenStreetMap data is used; the figures describe no real place."
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


def served_areas(result: MapSource) -> gpd.GeoDataFrame:
    """The land each chosen hub and counted service serves: one shape per server.

    Each demand point stands for the part of its small area nearest to it (the Voronoi
    cells of the area's points, clipped to the area: the whole area when it has one
    point, the raster cell where points are cells); the parts are dissolved by the
    demand layer's ``served_by`` (the service or hub serving most of the point's people,
    from the economic case's assignment). People beyond the search limit of every
    service and hub form one shape with ``served_by`` "".

    Parameters
    ----------
    result : RunResult or MapView
        ``demand`` with ``served_by``, ``area_id``, ``population`` and ``imd_decile``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``served_by``, ``people`` (residents living in the shape),
        ``people_imd_1_2`` (of them in deciles 1-2) and ``points``; the areas' CRS. Empty
        when the run has no ``served_by``.
    """
    import shapely

    demand = result.demand
    columns = ["served_by", "people", "people_imd_1_2", "points"]
    areas = result.inputs.areas.set_index("id")
    if "served_by" not in demand.columns or not len(demand):
        return gpd.GeoDataFrame(columns=[*columns, "geometry"], geometry="geometry", crs=areas.crs)
    points = demand.to_crs(areas.crs)
    cells = np.empty(len(points), dtype=object)
    for area_id, rows in points.groupby("area_id", sort=False).indices.items():
        shape = areas.geometry.get(area_id)
        if shape is None or shape.is_empty:
            continue
        where = points.geometry.iloc[rows].to_numpy()
        cells[rows] = _cells(where, shape, demand["population"].to_numpy()[rows])
    frame = gpd.GeoDataFrame(
        {
            "served_by": demand["served_by"].fillna("").astype(str).to_numpy(),
            "people": demand["population"].to_numpy(dtype=float),
            "poor": np.asarray(pd.to_numeric(demand["imd_decile"], errors="coerce") <= 2),
        },
        geometry=list(cells),
        crs=areas.crs,
    )
    frame = frame[frame.geometry.notna()]
    frame["people_imd_1_2"] = frame["people"].where(frame["poor"], 0.0)
    grouped = frame.groupby("served_by", sort=True)
    out = grouped.agg(
        people=("people", "sum"),
        people_imd_1_2=("people_imd_1_2", "sum"),
        points=("people", "size"),
    )
    geoms = frame.geometry.to_numpy()
    shapes = [shapely.union_all(geoms[grouped.indices[who]]) for who in out.index]
    return gpd.GeoDataFrame(out.reset_index(), geometry=shapes, crs=areas.crs)[
        [*columns, "geometry"]
    ]


def _cells(points: np.ndarray, area: object, people: np.ndarray) -> list[object]:
    """Per point, the part of ``area`` nearer to it than to the area's other points (the
    whole area to the most populous point when points coincide)."""
    import shapely

    if len(points) == 1:
        return [area]
    voronoi = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=area, ordered=True)
    parts = shapely.get_parts(voronoi)
    if len(parts) != len(points):  # coincident points: the area goes to the largest
        out: list[object] = [None] * len(points)
        out[int(np.argmax(people))] = area
        return out
    return list(shapely.make_valid(shapely.intersection(parts, area)))


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
