"""Stage 1, inputs: read every file a scenario names, projected to BNG.

:func:`input_readers` is the one table of scenario key -> reader; :func:`read_inputs`
(the run) and :mod:`estate_planner.validate` both use it, so they agree on what a
scenario needs. :func:`load_inputs` adds the cache, through :func:`read_parts`: a pure
function of the scenario's parts that name what is read (:func:`reading`).

Over 400 lines of code because it is the one place that maps every scenario key to its
reader and the counts each reader reports; splitting it would split that table.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from estate_planner._errors import InputDataError
from estate_planner.cache import REUSED, Cache
from estate_planner.scenario import (
    AreaConfig,
    CandidatesConfig,
    DemandConfig,
    RegisterConfig,
    Scenario,
    ServiceConfig,
)
from estate_planner.sources import areas as area_sources
from estate_planner.sources import census, estate, gtfs, osm, projections, raster
from estate_planner.sources.gtfs import Timetable
from estate_planner.sources.registers.corrections import Corrections, correct, read_corrections
from estate_planner.sources.tables import BNG, Provenance, provenance, read_vector, require_file

logger = logging.getLogger(__name__)

#: A reader gets what was read before it (by key) and returns its value and record.
Reader = Callable[[dict[str, Any]], tuple[Any, Provenance]]


@dataclass
class Inputs:
    """Everything read from disk, in BNG, before any modelling."""

    boundary: gpd.GeoDataFrame | None
    areas: gpd.GeoDataFrame
    population: pd.DataFrame
    deprivation: pd.DataFrame | None
    cells: gpd.GeoDataFrame | None
    services: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    provenance: list[Provenance]
    #: the public transport timetable of the scenario's day (mode "transit")
    timetable: Timetable | None = None
    #: Census 2021 shares per area (``bad_health_share``, ``disabled_a_lot_share``,
    #: ``no_car_share``): :func:`estate_planner.sources.census.census_shares`
    census: pd.DataFrame | None = None
    #: the deprivation index's edition ("IoD 2025"), "" without one
    deprivation_index: str = ""
    #: population projections (:func:`estate_planner.sources.projections.read_projections`)
    projections: pd.DataFrame | None = None
    #: housing sites (:func:`estate_planner.sources.projections.read_housing`)
    housing: gpd.GeoDataFrame | None = None
    #: each area's local authority code (from the lookup), for projections by authority
    area_groups: pd.Series | None = None


def input_readers(scenario: Scenario, *, streets: bool = False) -> dict[str, Reader]:
    """Scenario key -> reader of that input, in reading order.

    The one table ``run`` and ``validate`` share, so they agree on what a scenario needs.

    Parameters
    ----------
    scenario : Scenario
    streets : bool
        Also read the streets (``validate``): a run reads them when it builds the
        network, and not at all when the network is cached.

    Returns
    -------
    dict
        Key (``"demand.areas"``, ``"services[0].path"``, ...) -> a reader taking what
        was read before it and returning its value and :class:`Provenance`.
    """
    return readers(**reading(scenario), streets=streets)


def reading(scenario: Scenario) -> dict[str, Any]:
    """The parts of a scenario that say what to read: :func:`readers`' arguments.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    dict
        ``area``, ``demand``, ``services``, ``candidates``, ``osm``, and ``gtfs`` and
        ``day`` (the feeds and the day to route on, when a mode is ``"transit"``).
    """
    transit = "transit" in scenario.network.modes
    return {
        "area": scenario.area,
        "demand": scenario.demand,
        "services": list(scenario.services),
        "candidates": scenario.candidates,
        "osm": scenario.network.osm,
        "gtfs": list(scenario.network.gtfs) if transit else [],
        "day": scenario.transit.date if transit else None,
    }


def readers(
    *,
    area: AreaConfig,
    demand: DemandConfig,
    services: list[ServiceConfig],
    candidates: CandidatesConfig,
    osm: Path,
    gtfs: list[Path],
    day: dt.date | None,
    streets: bool = False,
) -> dict[str, Reader]:
    """Scenario key -> reader, from the scenario's parts (see :func:`reading`).

    Parameters
    ----------
    area, demand, services, candidates
        The scenario's sections of those names.
    osm : pathlib.Path
        The street file.
    gtfs : list of pathlib.Path
        The timetable feeds (zips or folders), read when ``day`` is given.
    day : datetime.date or None
        The day the timetable is read for.
    streets : bool
        Also read the streets.

    Returns
    -------
    dict
    """
    found: dict[str, Reader] = {}
    if area.boundary is not None:
        found["area.boundary"] = partial(_boundary, area.boundary)
    found["demand.areas"] = lambda _: area_sources.read_areas(demand)
    population, deprivation, lookup = demand.population, demand.deprivation, demand.lookup
    if population is None:
        found["demand.population"] = _no_population
    else:
        found["demand.population"] = lambda _: area_sources.read_population(
            population, demand.id_column, columns=demand.population_columns
        )
    if deprivation is not None:
        found["demand.deprivation"] = lambda _: area_sources.read_deprivation(
            deprivation,
            demand.id_column,
            columns=demand.deprivation_columns,
            index=demand.deprivation_index,
        )
    if demand.projections is not None:
        found["demand.projections"] = partial(
            _future, projections.read_projections, demand.projections
        )
    if demand.housing is not None:
        found["demand.housing"] = partial(_future, projections.read_housing, demand.housing)
    for table in census.TABLES:
        if getattr(demand, table) is not None:
            found[f"demand.{table}"] = partial(_census, getattr(demand, table), table)
    if lookup is not None:
        found["demand.lookup"] = lambda _: area_sources.read_lookup(lookup)
    if demand.raster is not None:
        found["demand.raster"] = partial(_raster, demand.raster, demand.raster_units)
    for i, service in enumerate(services):
        key = f"services[{i}].path"
        found[key] = partial(_services_file, service, key)
    if candidates.path is not None:
        found["candidates.path"] = lambda _: estate.read_candidates(candidates)
    if candidates.corrections or candidates.corrections_file is not None:
        found["candidates.corrections"] = lambda _: read_corrections(
            [c.model_dump() for c in candidates.corrections], candidates.corrections_file
        )
    for i, register in enumerate(candidates.registers):
        found[f"candidates.registers[{i}]"] = partial(
            _register, register, i, [service.path for service in services]
        )
    if candidates.from_osm:
        found["candidates.from_osm"] = lambda _: estate.candidates_from_osm(osm)
    if candidates.town_centres is not None:
        found["candidates.town_centres"] = partial(
            _boundary, candidates.town_centres, key="candidates.town_centres"
        )
    found["network.osm"] = partial(_streets, osm, streets)
    if day is not None:
        found["network.gtfs"] = lambda _: _timetable(gtfs, day)
    return found


def _timetable(feeds: list[Path], day: Any) -> tuple[Timetable, Provenance]:
    timetable = gtfs.read_gtfs(feeds, date=day)
    return timetable, timetable.records[0]


def _boundary(path: Any, _: dict[str, Any], key: str = "area.boundary") -> tuple[Any, Provenance]:
    frame = read_vector(path, key)
    record = provenance(key, path)
    record.rows_read = record.rows_used = len(frame)
    return frame, record


def _services_file(config: Any, key: str, _: dict[str, Any]) -> tuple[Any, Provenance]:
    """A services file; the rows it drops are warned about after clipping to the area
    (:func:`_warn_local_drops`), when the file is a local one: a national list's
    counts (thousands of inactive practices elsewhere) are not about the area."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame, record = estate.read_services(config, key)
    for w in caught:
        if str(w.message) not in record.dropped:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return frame, record


def _warn_local_drops(records: list[Provenance]) -> None:
    """The rows each local services file dropped, warned about; a national list (most
    of its rows outside the study area) keeps its counts in the manifest only."""
    for record in records:
        outside = record.counts.get("dropped: outside the study area", 0)
        if outside > record.rows_used:
            continue
        for message in record.dropped:
            warnings.warn(message, UserWarning, stacklevel=2)


def _register(
    config: Any, i: int, service_paths: list[Path], found: dict[str, Any]
) -> tuple[Any, Provenance]:
    """A property register's located rows as candidates; ERIC sites are placed by the
    register's ``locations`` and the scenario's service files (hospital lists, with
    each hospital's trust), then the services as read."""
    from estate_planner.sources.registers import (
        read_locations,
        read_register,
        register_candidates,
    )

    services = [v for k, v in found.items() if k.startswith("services[") and v is not None]

    def places() -> pd.DataFrame | None:
        frames = []
        for path in service_paths:
            try:
                frames.append(read_locations(path))
            except InputDataError:  # a service file without ODS codes places nothing
                continue
        as_read = _services_as_places(services)
        frames += [as_read] if as_read is not None else []
        return pd.concat(frames, ignore_index=True) if frames else None

    boundary = found.get("area.boundary")
    shapes = boundary if boundary is not None else found.get("demand.areas")
    register = read_register(
        config.path,
        format=config.format,
        columns=config.columns,
        locations=config.locations,
        located=places,
        uses=config.uses,
        include_land=config.include_land,
        area=shapes.geometry.union_all() if shapes is not None else None,
    )
    corrections = found.get("candidates.corrections")
    if corrections is not None:
        register.frame, fixed = correct(register.frame, corrections)
        if fixed:
            register.repairs["corrected by the corrections (see each one's note)"] += fixed
    area = shapes.geometry.union_all() if shapes is not None else None
    return register_candidates(register, f"candidates.registers[{i}]", area)


def _services_as_places(frames: list[gpd.GeoDataFrame]) -> pd.DataFrame | None:
    """Services read for the scenario as a located list, for placing ERIC sites.

    Parameters
    ----------
    frames : list of geopandas.GeoDataFrame
        Services as read.

    Returns
    -------
    pandas.DataFrame or None
        ``code``, ``name``, ``longitude``, ``latitude``; None without services.
    """
    if not frames:
        return None
    services = pd.concat(frames, ignore_index=True)
    lonlat = gpd.GeoSeries(services.geometry, crs=BNG).to_crs("EPSG:4326")
    return pd.DataFrame(
        {
            "code": services["service_id"].to_numpy(),
            "name": services["name"].to_numpy(),
            "longitude": lonlat.x.to_numpy(),
            "latitude": lonlat.y.to_numpy(),
        }
    )


def _no_population(_: dict[str, Any]) -> tuple[Any, Provenance]:
    raise InputDataError(
        "the scenario has no demand.population file; add a Census 2021 age table "
        "or ONS mid-year estimates by area"
    )


def _future(read: Any, path: Any, _: dict[str, Any]) -> tuple[Any, Provenance]:
    return read(path)


def _census(path: Any, table: str, _: dict[str, Any]) -> tuple[Any, Provenance]:
    return census.read_census_table(path, f"demand.{table}", table)


def _raster(path: Any, units: Any, found: dict[str, Any]) -> tuple[Any, Provenance]:
    areas = found.get("demand.areas")
    bounds = tuple(areas.total_bounds) if areas is not None else None
    return raster.read_population_cells(path, bounds, units=units)


def _streets(path: Path, read: bool, _: dict[str, Any]) -> tuple[Any, Provenance]:
    require_file(path, "network.osm")
    record = provenance("network.osm", path)
    if not read or path.name.lower().endswith(".graphml"):
        return None, record
    ways = osm.read_highways(path)
    record.rows_read = len(ways)
    return ways, record


def read_each(
    scenario: Scenario, *, streets: bool = False, stop: bool = True
) -> tuple[dict[str, Any], list[Provenance], list[str]]:
    """Run every reader: values and records by key, and the problems found.

    Parameters
    ----------
    scenario : Scenario
    streets : bool
        Also read the streets.
    stop : bool
        Raise at the first problem; otherwise every reader runs and each problem is one
        line naming its scenario key (a reader whose inputs failed is skipped).

    Returns
    -------
    found : dict
        Key -> value read.
    records : list of Provenance
    problems : list of str

    Raises
    ------
    EstatePlannerError
        With ``stop``, the first problem.
    """
    return read_all(input_readers(scenario, streets=streets), stop=stop)


def read_all(
    table: dict[str, Reader], *, stop: bool = True
) -> tuple[dict[str, Any], list[Provenance], list[str]]:
    """Run each reader of ``table`` (:func:`readers`): as :func:`read_each`.

    Parameters
    ----------
    table : dict
        Key -> reader.
    stop : bool
        Raise at the first problem.

    Returns
    -------
    found, records, problems
    """
    found: dict[str, Any] = {}
    records: list[Provenance] = []
    problems: list[str] = []
    for key, read in table.items():
        if key == "demand.raster" and "demand.areas" not in found and problems:
            continue  # the raster is cut to the areas' extent
        try:
            found[key], record = read(found)
        except InputDataError as exc:
            if stop:
                raise
            problems.append(f"{key}: {exc}")
            continue
        records.append(record)
        if isinstance(found[key], Timetable):  # one record per feed
            records.extend(found[key].records[1:])
    return found, records, problems


def read_inputs(scenario: Scenario) -> Inputs:
    """Read every input the scenario names, projected to BNG.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    Inputs

    Raises
    ------
    InputDataError
        At the first input that is missing, unreadable or unusable, naming the file.
    """
    found, records, _ = read_each(scenario)
    return assemble_inputs(scenario, found, records)


def read_parts(
    *,
    area: AreaConfig,
    demand: DemandConfig,
    services: list[ServiceConfig],
    candidates: CandidatesConfig,
    osm: Path,
    gtfs: list[Path],
    day: dt.date | None,
) -> tuple[Inputs, list[str]]:
    """:func:`read_inputs` from the scenario's parts (:func:`reading`), and the reading
    warnings said: the pure function the run caches (the warnings are said again
    when the inputs come from the cache, as they belong in every run's manifest).

    Parameters
    ----------
    area, demand, services, candidates, osm, gtfs, day
        As :func:`readers`.

    Returns
    -------
    inputs : Inputs
    said : list of str
        The reading warnings' messages.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = readers(area=area, demand=demand, services=services, candidates=candidates,
                        osm=osm, gtfs=gtfs, day=day)  # fmt: skip
        found, records, _ = read_all(table)
        inputs = _assemble(found, records, buffer_m=area.buffer_m, n_services=len(services),
                           registers=list(candidates.registers))  # fmt: skip
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return inputs, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def assemble_inputs(scenario: Scenario, found: dict[str, Any], records: list[Provenance]) -> Inputs:
    """Inputs from what the readers returned.

    IMD is joined to the areas; services and candidates are clipped to the study area
    (plus ``area.buffer_m``), counting the rows each file kept.

    Parameters
    ----------
    scenario : Scenario
    found : dict
        Key -> value, from :func:`read_each`.
    records : list of Provenance

    Returns
    -------
    Inputs

    Raises
    ------
    InputDataError
        If no service or candidate lies inside the study area.
    """
    return _assemble(
        found, records, buffer_m=scenario.area.buffer_m, n_services=len(scenario.services),
        registers=list(scenario.candidates.registers),
    )  # fmt: skip


def _assemble(
    found: dict[str, Any],
    records: list[Provenance],
    *,
    buffer_m: float,
    n_services: int,
    registers: list[RegisterConfig],
) -> Inputs:
    areas = found["demand.areas"]
    deprivation = None
    if "demand.deprivation" in found:
        deprivation = area_sources.deprivation_for(
            pd.Index(areas["id"]), found["demand.deprivation"], found.get("demand.lookup")
        )
    tables = {t: found[f"demand.{t}"] for t in census.TABLES if f"demand.{t}" in found}
    shares = census.census_shares(tables).reindex(areas["id"]) if tables else None
    for record in records:  # national tables: the rows used are the study area's
        if record.key.removeprefix("demand.") in tables:
            table = tables[record.key.removeprefix("demand.")]
            record.rows_used = int(table.index.isin(areas["id"]).sum())
    cells = None
    if "demand.raster" in found:
        cells = raster.cells_in_areas(found["demand.raster"], areas)
    boundary = found.get("area.boundary")
    area = (boundary if boundary is not None else areas).geometry.union_all()
    area = area.buffer(buffer_m)
    services = _services(found, n_services)
    service_records = [r for r in records if r.key[:9] == "services["]
    services = _clip(services, area, "services", "service_id", service_records)
    _warn_local_drops(service_records)
    candidates = _candidates(found, records, registers)
    from_lists = [r for r in records if _is_candidate_source(r.key)]
    candidates = estate.without_working_services(candidates, services, from_lists)
    candidates = _clip(candidates, area, "candidates", "site_id", from_lists)
    centres = found.get("candidates.town_centres")
    candidates = candidates.copy()
    candidates["in_town_centre"] = (
        candidates.geometry.within(centres.union_all()) if centres is not None else False
    )
    return Inputs(
        boundary,
        areas,
        found["demand.population"],
        deprivation,
        cells,
        services,
        candidates,
        records,
        timetable=found.get("network.gtfs"),
        census=shares,
        deprivation_index=deprivation.attrs.get("index", "") if deprivation is not None else "",
        projections=found.get("demand.projections"),
        housing=found.get("demand.housing"),
        area_groups=_area_groups(found.get("demand.lookup"), areas),
    )


def _area_groups(lookup: pd.DataFrame | None, areas: gpd.GeoDataFrame) -> pd.Series | None:
    """Each area's local authority, from the lookup's 2021 codes (None without one)."""
    if lookup is None or lookup["lad"].isna().all():
        return None
    lad = lookup.drop_duplicates("new").set_index("new")["lad"]
    return lad.reindex(areas["id"].to_numpy())


def _services(found: dict[str, Any], n_services: int) -> gpd.GeoDataFrame:
    keys = [f"services[{i}].path" for i in range(n_services)]
    frames = [found[key].assign(_key=key) for key in keys]
    if not frames:
        return gpd.GeoDataFrame(
            {"service_id": [], "name": [], "kind": [], "capacity": [], "counts": [], "_key": []},
            geometry=gpd.GeoSeries([], crs=BNG),
        )
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=BNG)


def _candidates(
    found: dict[str, Any], records: list[Provenance], registers: list[RegisterConfig]
) -> gpd.GeoDataFrame:
    """Every candidate source in one frame: one publisher's registers of several years
    merged by site id (latest year first); then the same building in two registers (or
    a register and the list or OSM) becomes one candidate, each merge recorded."""
    from estate_planner.sources.registers import merge_candidates

    keys = [k for k in found if _is_candidate_source(k)]
    if not keys:  # an access analysis (selection.hubs = 0) names no candidate source
        return estate.describe_availability(_no_candidates())
    by_key = {r.key: r for r in records}
    frames = {k: _with_register_columns(found[k], k, by_key.get(k)) for k in keys}
    frames = _merge_years(frames, records, registers)
    _apply_corrections(frames, found.get("candidates.corrections"), records)
    keys = list(frames)
    both = pd.concat(list(frames.values()), ignore_index=True)
    if any(k.startswith("candidates.registers[") for k in keys):
        both, merged = merge_candidates(both)
        if merged:
            warnings.warn(
                f"merged {merged} candidates listed in two sources into the same building "
                "(same UPRN; within 25 m with a similar name or address; or the same name "
                "within 250 m)",
                UserWarning,
                stacklevel=2,
            )
            for record in records:
                if record.key in keys:
                    record.counts["merged: the same building in another register"] = merged
    dupes = both["site_id"][both["site_id"].duplicated()]
    if len(dupes):
        raise InputDataError(
            f"site ids repeat between candidate sources: {', '.join(dupes[:5])}; give the "
            "list's properties ids that do not start with 'osm-', 'rates-', 'asset-' or 'eric-'"
        )
    both = estate.describe_availability(both)
    return gpd.GeoDataFrame(both, geometry="geometry", crs=BNG)


def _apply_corrections(
    frames: dict[str, gpd.GeoDataFrame], corrections: Corrections | None, records: list[Provenance]
) -> None:
    """The corrections applied to the property list's and OSM's candidates (registers'
    rows were corrected as read); each one that matched no site id is reported."""
    if corrections is None:
        return
    for key in ("candidates.path", "candidates.from_osm"):
        if key in frames:
            frames[key], _ = correct(frames[key], corrections, bng=True)
    record = next(r for r in records if r.key == "candidates.corrections")
    record.counts["applied"] = len(corrections.applied)
    missing = corrections.unmatched()
    if missing:
        record.counts["not applied: no candidate has the site id"] = len(missing)
        record.drop("no candidate has its site id (renamed or gone from the register?)",
                    missing, what="corrections")  # fmt: skip


def _no_candidates() -> gpd.GeoDataFrame:
    """An empty candidate table with the columns every source gives."""
    text = ["site_id", "name", "kind", "use", "source", "source_id", "uprn", "address",
            "postcode", "note"]  # fmt: skip
    numbers = ["floor_area_m2", "spare_floor_area_m2", "annual_cost_gbp", "available"]
    frame = pd.DataFrame({**{c: pd.Series([], dtype=object) for c in text},
                          **{c: pd.Series([], dtype=float) for c in numbers}})  # fmt: skip
    frame["_key"] = pd.Series([], dtype=object)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=BNG), crs=BNG)


def _merge_years(
    frames: dict[str, gpd.GeoDataFrame], records: list[Provenance], configs: list[RegisterConfig]
) -> dict[str, gpd.GeoDataFrame]:
    """Registers of one layout sharing site ids (one publisher's files of several
    years) as one frame under the first one's key, merged by site id."""
    from estate_planner.sources.registers import merge_years, register_year

    layout = {r.key: r.layout for r in records}
    keys = [k for k in frames if k.startswith("candidates.registers[")]
    out = dict(frames)
    for kind in dict.fromkeys(layout.get(k) for k in keys):
        same = [k for k in keys if layout.get(k) == kind]
        ids = [set(frames[k]["site_id"]) for k in same]
        if len(same) < 2 or not any(a & b for i, a in enumerate(ids) for b in ids[i + 1 :]):
            continue
        index = [int(k.split("[")[1].rstrip("]")) for k in same]
        years = [register_year(configs[i].path, configs[i].year) for i in index]
        names = [configs[i].path.name for i in index]
        merged, count = merge_years([frames[k] for k in same], years, names)
        merged["_key"] = same[0]
        for k in same:
            del out[k]
        out[same[0]] = merged
        for record in records:
            if record.key in same:
                record.counts["merged: the same site in another year's register"] = count
        known = ", ".join(
            f"{n} ({y or 'year not known'})" for n, y in zip(names, years, strict=True)
        )
        unknown = (
            " (a file whose year is not known ranks first: set year for it)"
            if None in years
            else ""
        )
        warnings.warn(
            f"merged {count} sites listed in {len(same)} years' registers by site id, the "
            f"latest year's fields first, earlier years filling its gaps: {known}{unknown}",
            UserWarning,
            stacklevel=2,
        )
    return out


def _is_candidate_source(key: str) -> bool:
    return key in ("candidates.path", "candidates.from_osm") or key.startswith(
        "candidates.registers["
    )


def _with_register_columns(
    frame: gpd.GeoDataFrame, key: str, record: Provenance | None = None
) -> gpd.GeoDataFrame:
    """A list's or OSM's candidates with the columns registers carry (blank); a
    register's with where its availability and floor area come from, and their date."""
    register = key.startswith("candidates.registers[")
    layout = ((record.layout if record is not None else "") or "table") if register else None
    out = frame.copy()
    source = {"candidates.path": "property list", "candidates.from_osm": "OpenStreetMap"}
    defaults: dict[str, Any] = {
        "use": "",
        "spare_floor_area_m2": np.nan,
        "source": source.get(key, key),
        "source_id": out["site_id"],
        "uprn": "",
        "address": "",
        "postcode": "",
        "note": "",
    }
    for name, value in defaults.items():
        if name not in out.columns:
            out[name] = value
    out["available"] = out["available"].astype(float)
    if layout is not None:  # a register: its facts, dated by the file
        name = Path(str(record.path)).name if record is not None else key
        estate.register_facts(out, layout, name, record.date if record is not None else "")
    out["_key"] = key
    return out


def _clip(
    frame: gpd.GeoDataFrame, area: Any, what: str, id_column: str, records: list[Provenance]
) -> gpd.GeoDataFrame:
    """The rows inside ``area``; the rest are counted against the file they came from
    (its ``_key``; national NHS lists are clipped here by design) and warned about."""
    inside = frame.geometry.within(area).to_numpy()
    used = frame.loc[inside, "_key"].value_counts()
    left_out = frame.loc[~inside, "_key"].value_counts()
    # a national list (most of its rows elsewhere) is clipped to the area by design: its
    # rows outside are counted in the manifest, not warned about; a local file with a
    # few rows outside may have wrong coordinates, and is warned about
    local = [k for k in left_out.index if left_out[k] < used.get(k, 0)]
    strays = ~inside & frame["_key"].isin(local).to_numpy()
    if strays.any():
        outside = frame.loc[strays, id_column]
        shown = ", ".join(map(str, outside[:10])) + (" and more" if len(outside) > 10 else "")
        warnings.warn(
            f"dropped {len(outside)} {what} outside the study area (plus area.buffer_m): {shown}",
            UserWarning,
            stacklevel=2,
        )
    for record in records:
        record.rows_used = int(used.get(record.key, 0))
        if left_out.get(record.key, 0):
            record.counts["dropped: outside the study area"] = int(left_out[record.key])
    kept = frame[inside].drop(columns="_key", errors="ignore").reset_index(drop=True)
    if kept.empty and what == "services":
        raise InputDataError(
            f"no {what} lie inside the study area (plus area.buffer_m); check the files "
            "cover the same place as the demand areas and their coordinates are right"
        )
    return kept


def load_inputs(scenario: Scenario, cache: Cache) -> tuple[Inputs, str]:
    """:func:`read_inputs` through the cache: reused while no input file (by content)
    and no reading setting changed.

    Parameters
    ----------
    scenario : Scenario
    cache : Cache

    Returns
    -------
    inputs : Inputs
    status : str
        "read" or "reused from cache" (the reading warnings are repeated either way).
    """
    (inputs, said), reused = cache.call_status(read_parts, **reading(scenario))
    if reused:
        for message in said:  # the reading warnings belong in every run's manifest
            warnings.warn(message, UserWarning, stacklevel=2)
    return inputs, REUSED if reused else "read"
