"""Existing NHS services and candidate properties.

Services are read from NHS files as published: epraccur-style GP lists with
``latitude``/``longitude`` added, the NHS.UK pharmacy and hospital lists, or any
table with an id, a name and a location. Closed practices and prescribing cost
centres that are not GP practices are left out (``status_code == "A"`` and
``prescribing_setting == 4``), each recorded in the manifest.

Candidates are property records with an id, name, kind and location, and optional
floor area, annual cost and availability. ``[candidates] columns`` maps our column
names to the file's.

Availability has three states, ``available``, ``not available`` and ``not known``
(:data:`AVAILABILITY_STATES`), each with where the fact came from and its date
(``availability_source``, ``availability_date``); the numeric ``available`` (1, 0,
NaN) the scorer reads is the same fact. A list with no availability column and an OSM
building with no vacancy tag are *not known*. Floor area says whether it was measured
or estimated (``floor_area_source``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from estate_planner._errors import InputDataError
from estate_planner._vocabulary import CANDIDATE_KINDS
from estate_planner.scenario import CandidatesConfig, ServiceConfig
from estate_planner.sources.tables import (
    Provenance,
    numeric,
    pick_column,
    points_from_table,
    provenance,
    read_csv,
    read_points,
)

logger = logging.getLogger(__name__)

_ID_NAMES = ["organisation_code", "ods_code", "OrganisationCode", "site_id", "id", "code"]
_NAME_NAMES = ["name", "OrganisationName", "organisation_name", "site_name"]
_CAPACITY_NAMES = ["list_size", "Number of patients registered at the GP practice", "capacity"]
#: the three states of ``availability``, in the order of ``available`` 1, 0, NaN
AVAILABILITY_STATES = ("available", "not available", "not known")
#: OSM tags that say a building stands empty
VACANCY_TAGS: tuple[tuple[str, str], ...] = (
    ("shop", "vacant"),
    ("disused:shop", "*"),
    ("disused:amenity", "*"),
    ("disused:building", "*"),
    ("vacant", "yes"),
    ("disused", "yes"),
)
#: OSM tags of a working health service: such a building is never a candidate
HEALTH_SERVICE_TAGS: tuple[tuple[str, str], ...] = (
    ("amenity", "doctors"),
    ("amenity", "clinic"),
    ("amenity", "hospital"),
    ("amenity", "dentist"),
    ("amenity", "pharmacy"),
    ("healthcare", "*"),
    ("building", "hospital"),
)
#: a candidate this close to a listed service, with no word that it stands empty, is
#: taken to be that service's building
SAME_SITE_AS_SERVICE_M = 30.0
_TRUE = {"true", "yes", "y", "1", "available", "t"}
_FALSE = {"false", "no", "n", "0", "unavailable", "f"}


def read_services(config: ServiceConfig, key: str) -> tuple[gpd.GeoDataFrame, Provenance]:
    """Existing services from one ``[[services]]`` file, in BNG.

    NHS lists are read as published (epraccur-style headerless files, national lists
    with coordinates); inactive practices and non-GP prescribing settings are dropped
    and counted; rows with no coordinates are geocoded from ``postcodes`` when given.

    Parameters
    ----------
    config : ServiceConfig
    key : str
        Its scenario key, for messages and the provenance record.

    Returns
    -------
    services : geopandas.GeoDataFrame
        ``service_id``, ``name``, ``kind``, ``capacity``, ``counts`` and points.
    record : Provenance

    Raises
    ------
    InputDataError
        If a required column is missing or no row can be placed.
    """
    path = config.path
    if config.postcodes is not None:
        frame = points_from_table(
            geocode_postcodes(read_csv(path, key), path, config.postcodes), path
        )
    else:
        frame = read_points(path, key)
    record = provenance(key, path)
    record.rows_read = len(frame)
    id_col = pick_column(frame, path, "service id", _ID_NAMES)
    name_col = pick_column(frame, path, "name", _NAME_NAMES)
    assert id_col and name_col
    if config.active_only:
        frame = _active_only(frame, id_col, record)
    capacity_col = pick_column(frame, path, "capacity", _CAPACITY_NAMES, required=False)
    services = gpd.GeoDataFrame(
        {
            "service_id": frame[id_col].astype(str).str.strip().to_numpy(),
            "name": frame[name_col].astype(str).str.strip().to_numpy(),
            "kind": config.kind,
            "counts": config.counts,
            "capacity": (
                numeric(frame, capacity_col, path, id_column=id_col).to_numpy()
                if capacity_col
                else np.nan
            ),
        },
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    )
    unplaced = frame["_no_location"].to_numpy()
    record.drop("no coordinates", services.loc[unplaced, "service_id"], what="services")
    services = services[~unplaced]
    dupes = services["service_id"][services["service_id"].duplicated()]
    record.drop("repeated id, first kept", dupes, what="services")
    services = services.drop_duplicates("service_id")
    record.rows_used = len(services)
    # sorted by id so the answer does not depend on the order of the file's rows
    return services.sort_values("service_id", kind="stable").reset_index(drop=True), record


def geocode_postcodes(frame: pd.DataFrame, path: Path, lookup_path: Path) -> pd.DataFrame:
    """Fill ``latitude``/``longitude`` from a postcode lookup (ONSPD or Code-Point style).

    Rows that already have coordinates keep them; a postcode not in the lookup stays
    blank and is reported as unplaced by the caller.

    Parameters
    ----------
    frame : pandas.DataFrame
        With a postcode column.
    path : pathlib.Path
        The services file (for messages).
    lookup_path : pathlib.Path
        The postcode lookup.

    Returns
    -------
    pandas.DataFrame
    """
    postcode_col = pick_column(frame, path, "postcode", ["postcode", "pcds", "post_code"])
    lookup = read_csv(lookup_path, "services.postcodes")
    key = pick_column(lookup, lookup_path, "postcode", ["pcds", "pcd", "postcode", "pcd2"])
    lat = pick_column(lookup, lookup_path, "latitude", ["lat", "latitude"])
    lon = pick_column(lookup, lookup_path, "longitude", ["long", "lon", "longitude"])
    assert postcode_col and key and lat and lon

    def norm(values: pd.Series) -> pd.Series:
        return values.fillna("").astype(str).str.upper().str.replace(r"\s+", "", regex=True)

    table = pd.DataFrame(
        {"lat": lookup[lat].to_numpy(), "lon": lookup[lon].to_numpy()}, index=norm(lookup[key])
    )
    table = table[~table.index.duplicated()]
    found = table.reindex(norm(frame[postcode_col]))
    out = frame.copy()
    for ours, theirs in (("latitude", "lat"), ("longitude", "lon")):
        current = out[ours] if ours in out.columns else pd.Series(np.nan, index=out.index)
        out[ours] = current.where(current.notna(), found[theirs].to_numpy())
    return out


def _active_only(frame: gpd.GeoDataFrame, id_col: str, record: Provenance) -> gpd.GeoDataFrame:
    keep = pd.Series(True, index=frame.index)
    path = Path(record.path)

    def column(name: str) -> str | None:  # as published: "Status Code" or status_code
        return pick_column(frame, path, name, [name], required=False)

    status = column("status_code")
    if status:
        closed = frame[status].fillna("").str.strip() != "A"
        record.drop("status_code is not A (active)", frame.loc[closed, id_col], what="services")
        keep &= ~closed
    setting_col = column("prescribing_setting")
    if setting_col:
        setting = pd.to_numeric(frame[setting_col], errors="coerce")
        other = (setting != 4) & keep
        record.drop(
            "prescribing_setting is not 4 (GP practice)", frame.loc[other, id_col], what="services"
        )
        keep &= ~other
    visible = column("OrganisationStatus")
    if visible:
        hidden = (frame[visible].fillna("").str.lower() != "visible") & keep
        record.drop("OrganisationStatus is not Visible", frame.loc[hidden, id_col], what="services")
        keep &= ~hidden
    return frame[keep]


def read_candidates(config: CandidatesConfig) -> tuple[gpd.GeoDataFrame, Provenance]:
    """Candidate sites from a property list, in BNG.

    Parameters
    ----------
    config : CandidatesConfig
        The ``[candidates]`` section.

    Returns
    -------
    candidates : geopandas.GeoDataFrame
        ``site_id``, ``name``, ``kind``, ``floor_area_m2``, ``floor_area_source``,
        ``annual_cost_gbp``, ``available`` (1, 0, NaN where not known; a list with no
        ``available`` column knows none), ``availability_source``,
        ``availability_date`` (an ``availability_date`` column, else the file's date)
        and points.
    record : Provenance

    Raises
    ------
    InputDataError
        On a missing required column, a repeated id or an unknown kind.
    """
    path = config.path
    if path is None:
        raise InputDataError("candidates.path is not set; give a property list")
    frame = read_points(path, "candidates.path", crs=config.crs, rename=config.columns)
    record = provenance("candidates.path", path)
    record.rows_read = len(frame)
    id_col = pick_column(frame, path, "site id", ["site_id", "id", "uprn", "property_id"])
    name_col = pick_column(frame, path, "name", ["name", "site_name", "address"])
    kind_col = pick_column(frame, path, "kind", ["kind", "type", "property_type"])
    assert id_col and name_col and kind_col
    ids = _site_ids(frame, id_col, path)
    kinds = frame[kind_col].astype(str).str.strip().str.lower()
    unknown = ~kinds.isin(CANDIDATE_KINDS)
    if unknown.any():
        shown = ", ".join(
            f"{i} ({k!r})" for i, k in zip(ids[unknown][:5], kinds[unknown][:5], strict=True)
        )
        raise InputDataError(
            f"{path}: column {kind_col!r} must be one of {', '.join(CANDIDATE_KINDS)}; "
            f"found {shown}. Map your categories to these four"
        )
    candidates = gpd.GeoDataFrame(
        {
            "site_id": ids.to_numpy(),
            "name": frame[name_col].fillna("").astype(str).str.strip().to_numpy(),
            "kind": kinds.to_numpy(),
            "floor_area_m2": _optional_number(frame, path, ["floor_area_m2", "floor_area"], id_col),
            "annual_cost_gbp": _optional_number(
                frame, path, ["annual_cost_gbp", "annual_cost", "rent_gbp"], id_col
            ),
            "available": _availability(frame, path, id_col),
        },
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    )
    said = pick_column(frame, path, "available", ["available", "is_available"], required=False)
    dates = pick_column(
        frame, path, "availability date", ["availability_date", "available_date"], required=False
    )
    known = candidates["available"].notna().to_numpy()
    candidates["availability_source"] = np.where(
        known, f"property list {path.name}, column {said!r}" if said else "", ""
    )
    file_date = frame[dates].fillna("").astype(str).str.strip().to_numpy() if dates else ""
    candidates["availability_date"] = np.where(
        known, np.where(file_date == "", record.date, file_date) if dates else record.date, ""
    )
    candidates["floor_area_source"] = np.where(
        candidates["floor_area_m2"].notna(), f"property list {path.name}", ""
    )
    unplaced = frame["_no_location"].to_numpy()
    record.drop("no coordinates", candidates.loc[unplaced, "site_id"], what="candidates")
    candidates = candidates[~unplaced]
    negative = (candidates["floor_area_m2"] < 0) | (candidates["annual_cost_gbp"] < 0)
    if negative.any():
        raise InputDataError(
            f"{path}: floor area and annual cost cannot be negative; see site(s) "
            f"{', '.join(candidates.loc[negative, 'site_id'][:10])}"
        )
    record.rows_used = len(candidates)
    return candidates.sort_values("site_id", kind="stable").reset_index(drop=True), record


def _site_ids(frame: pd.DataFrame, id_col: str, path: Path) -> pd.Series:
    """The id column as text; blank or repeated ids are an error naming the rows."""
    ids = frame[id_col].map(lambda v: "" if pd.isna(v) else str(v).strip())
    blank = np.flatnonzero((ids == "").to_numpy())
    if len(blank):
        rows = ", ".join(str(i + 2) for i in blank[:10])  # row 1 is the header
        more = f" and {len(blank) - 10} more" if len(blank) > 10 else ""
        raise InputDataError(
            f"{path}: column {id_col!r} is blank on row(s) {rows}{more}; "
            "give each property an id (a UPRN or your own reference)"
        )
    dupes = ids[ids.duplicated()].unique()
    if len(dupes):
        raise InputDataError(
            f"{path}: site ids must be unique; repeated: {', '.join(dupes[:10])}. "
            "Give each property its own id"
        )
    return ids


def candidates_from_osm(path: Path) -> tuple[gpd.GeoDataFrame, Provenance]:
    """Candidate sites derived from an OSM extract (see ``osm.CANDIDATE_TAGS``).

    Floor area is estimated: the building footprint times ``building:levels`` (1 if
    untagged); a site mapped as a point has no floor area. Cost is unknown. A building
    tagged vacant (:data:`VACANCY_TAGS`) is available, "tagged vacant in OSM" as of the
    extract's date; any other is *not known*. A working health service
    (:data:`HEALTH_SERVICE_TAGS`: an operating surgery, clinic, hospital) is never a
    candidate; each left out is counted in the record.

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    candidates : geopandas.GeoDataFrame
        As :func:`read_candidates`, ids ``osm-n<id>`` or ``osm-a<id>``.
    record : Provenance
    """
    import shapely

    from estate_planner.sources import osm

    found = osm.read_candidate_buildings(path)
    record = provenance("candidates.from_osm", path)
    record.rows_read = len(found)
    working = [f for f in found if _working_health_service(f["tags"])]  # type: ignore[arg-type]
    if working:
        record.counts["dropped: a working health service (amenity=doctors, clinic, ...)"] = len(
            working
        )
    found = [f for f in found if not _working_health_service(f["tags"])]  # type: ignore[arg-type]
    record.rows_used = len(found)
    if not found:
        raise InputDataError(
            f"{path}: the OSM extract has no vacant shops or civic buildings to use "
            "as candidates; give a property list in candidates.path"
        )
    shapes = gpd.GeoSeries(shapely.from_wkb([f["wkb"] for f in found]), crs="EPSG:4326")
    shapes = shapes.to_crs("EPSG:27700")
    levels = [_levels(f["tags"]) for f in found]  # type: ignore[arg-type]
    polygonal = shapes.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    area = np.where(polygonal, shapes.area.to_numpy() * np.asarray(levels), np.nan)
    vacancy = [_vacancy_tag(f["tags"]) for f in found]  # type: ignore[arg-type]
    extract = f"extract of {record.date}" if record.date else "extract undated"
    frame = gpd.GeoDataFrame(
        {
            "site_id": [f"osm-{f['osm_id']}" for f in found],
            "name": [_osm_name(f) for f in found],
            "kind": [f["kind"] for f in found],
            "floor_area_m2": np.round(area, 0),
            "floor_area_source": [
                _estimated_area(f["tags"]) if polygon else ""  # type: ignore[arg-type]
                for f, polygon in zip(found, polygonal, strict=True)
            ],
            "annual_cost_gbp": np.nan,
            "available": [1.0 if tag else np.nan for tag in vacancy],
            "availability_source": [
                f"tagged vacant in OSM ({tag}), {extract}" if tag else "" for tag in vacancy
            ],
            "availability_date": [record.date if tag else "" for tag in vacancy],
        },
        geometry=shapes.representative_point().to_numpy(),
        crs="EPSG:27700",
    )
    return frame.sort_values("site_id", kind="stable").reset_index(drop=True), record


def _has(tags: dict[str, str], pairs: tuple[tuple[str, str], ...]) -> str:
    """The first ``key=value`` of ``pairs`` the tags carry ("" if none)."""
    for key, value in pairs:
        if key in tags and (value == "*" or tags[key] == value):
            return f"{key}={tags[key]}"
    return ""


def _vacancy_tag(tags: dict[str, str]) -> str:
    return _has(tags, VACANCY_TAGS)


def _working_health_service(tags: dict[str, str]) -> bool:
    return bool(_has(tags, HEALTH_SERVICE_TAGS)) and not _vacancy_tag(tags)


def _estimated_area(tags: dict[str, str]) -> str:
    raw = tags.get("building:levels")
    try:
        how = "1 level assumed" if raw is None else f"building:levels={float(raw):g}"
    except ValueError:
        how = f"1 level assumed; building:levels={raw!r} unreadable"
    return f"estimated: OSM footprint × levels ({how})"


def availability_states(available: pd.Series | np.ndarray) -> np.ndarray:
    """``available`` (1, 0, NaN) in words: one of :data:`AVAILABILITY_STATES`.

    Parameters
    ----------
    available : array-like of float

    Returns
    -------
    numpy.ndarray of str
    """
    values = np.asarray(available, dtype=float)
    return np.select([values == 1, values == 0], list(AVAILABILITY_STATES[:2]), "not known")


def describe_availability(candidates: pd.DataFrame) -> pd.DataFrame:
    """Fill ``availability`` from ``available`` and say where a not-known state stands.

    Run after merging sources, so a building one source knows about takes that
    source's fact; where none knows, ``availability_source`` says which sources were
    silent ("not stated in OpenStreetMap").

    Parameters
    ----------
    candidates : pandas.DataFrame
        ``available``, ``source`` and, where known, ``availability_source``,
        ``availability_date``, ``floor_area_source``.

    Returns
    -------
    pandas.DataFrame
        A copy with ``availability``, ``availability_source``, ``availability_date``
        and ``floor_area_source`` (text; "" where not known).
    """
    out = candidates.copy()
    for name in ("availability_source", "availability_date", "floor_area_source"):
        if name not in out.columns:
            out[name] = ""
        out[name] = out[name].fillna("").astype(str)
    out["availability"] = availability_states(out["available"])
    unknown = out["availability"] == "not known"
    source = out["source"] if "source" in out.columns else pd.Series("the source", out.index)
    out.loc[unknown, "availability_source"] = "not stated in " + source[unknown].astype(str)
    out.loc[unknown, "availability_date"] = ""
    out.loc[out["floor_area_m2"].isna(), "floor_area_source"] = ""
    return out


def without_working_services(
    candidates: gpd.GeoDataFrame, services: gpd.GeoDataFrame, records: list[Provenance]
) -> gpd.GeoDataFrame:
    """Candidates less those standing on a listed service's site, warned about and
    counted against the source each came from (its ``_key``).

    A register's rows are kept: a register speaks of the building as estate (ERIC: an
    NHS site's spare floor area). See :func:`set_aside_working_services`.

    Parameters
    ----------
    candidates : geopandas.GeoDataFrame
        With ``_key`` (the scenario key of its source), ``site_id``, ``available``.
    services : geopandas.GeoDataFrame
    records : list of Provenance
        The candidate sources' records, counted into.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    import warnings

    keys = candidates["_key"]
    listed = ~keys.str.startswith("candidates.registers[").to_numpy()
    _, set_aside = set_aside_working_services(candidates[listed], services)
    out = candidates["site_id"].isin(set_aside.index)
    if len(set_aside):
        shown = ", ".join(f"{site} ({name})" for site, name in list(set_aside.items())[:10])
        warnings.warn(
            f"left out {len(set_aside)} candidate(s) standing on a working health service's "
            f"site (within {SAME_SITE_AS_SERVICE_M:g} m, not known to be available): {shown}",
            UserWarning,
            stacklevel=2,
        )
        per_key = keys[out].value_counts()
        for record in records:
            if per_key.get(record.key, 0):
                record.counts["dropped: on a working health service's site"] = int(
                    per_key[record.key]
                )
    return candidates[~out].reset_index(drop=True)


#: what each register family is, as an availability or floor area source
REGISTER_WHAT = {
    "eric": "NHS ERIC return",
    "business_rates": "business-rates list",
    "council_assets": "council asset register",
    "table": "candidate table",
}


def register_facts(frame: pd.DataFrame, layout: str, name: str, date: str) -> None:
    """Say, in place, where a register's availability and floor area come from.

    Where ``available`` is known and ``availability_source`` blank: the register and
    its file, dated by the file; where ``floor_area_m2`` is known: measured (ERIC's
    gross internal area) or the register's figure. A source already set (a
    correction's, with who and when) is kept.

    Parameters
    ----------
    frame : pandas.DataFrame
        A register's candidates, with ``available`` and ``floor_area_m2``.
    layout : str
        The register family (:data:`REGISTER_WHAT`).
    name : str
        The file's name.
    date : str
        The file's date.
    """
    what = REGISTER_WHAT.get(layout, "register")
    measured = "measured: ERIC gross internal area" if layout == "eric" else what
    known = frame["available"].notna()
    _fill_blank(frame, "availability_source", known, f"{what} {name}")
    _fill_blank(frame, "availability_date", known, date)
    _fill_blank(frame, "floor_area_source", frame["floor_area_m2"].notna(), f"{measured} ({name})")


def _fill_blank(frame: pd.DataFrame, column: str, where: pd.Series, value: str) -> None:
    current = frame[column] if column in frame.columns else pd.Series("", index=frame.index)
    blank = current.isna() | (current.astype(str) == "")
    frame[column] = current.where(~(blank & where), value).where(~(blank & ~where), "")


def set_aside_working_services(
    candidates: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    *,
    within_m: float = SAME_SITE_AS_SERVICE_M,
) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """Candidates without those standing on a working service's site.

    A candidate within ``within_m`` of a listed service (a GP practice, a pharmacy,
    a hospital) and not known to be available is taken to be that service's building:
    a working health service is never a candidate. Sites a register or the list says
    are available (spare floor area in an NHS building, an empty unit) are kept.

    Parameters
    ----------
    candidates : geopandas.GeoDataFrame
        With ``available``; in BNG.
    services : geopandas.GeoDataFrame
        ``service_id`` and ``name``; in BNG.
    within_m : float

    Returns
    -------
    kept : geopandas.GeoDataFrame
    set_aside : pandas.Series
        Per candidate set aside (by ``site_id``), the service it stands on.
    """
    if candidates.empty or services.empty:
        return candidates, pd.Series(dtype=object)
    from scipy.spatial import cKDTree

    tree = cKDTree(np.column_stack([services.geometry.x, services.geometry.y]))
    gap, nearest = tree.query(np.column_stack([candidates.geometry.x, candidates.geometry.y]))
    known_available = candidates["available"].astype(float).to_numpy() == 1
    on_site = (gap <= within_m) & ~known_available
    names = services["name"].astype(str).to_numpy()[nearest[on_site]]
    set_aside = pd.Series(names, index=candidates.loc[on_site, "site_id"].to_numpy())
    return candidates[~on_site].reset_index(drop=True), set_aside


def _levels(tags: dict[str, str]) -> float:
    try:
        return max(1.0, float(tags.get("building:levels", "1")))
    except ValueError:
        return 1.0


def _osm_name(found: dict[str, object]) -> str:
    tags: dict[str, str] = found["tags"]  # type: ignore[assignment]
    if tags.get("name"):
        return tags["name"]
    street = tags.get("addr:street", "")
    number = tags.get("addr:housenumber", "")
    what = "Vacant shop" if found["kind"] == "retail" else str(found["kind"]).title() + " building"
    where = f", {number} {street}".rstrip() if street else f" (OSM {found['osm_id']})"
    return f"{what}{where}"


def _optional_number(
    frame: pd.DataFrame, path: object, names: list[str], id_col: str
) -> np.ndarray:
    column = pick_column(frame, path, names[0], names, required=False)  # type: ignore[arg-type]
    if column is None:
        return np.full(len(frame), np.nan)
    return numeric(frame, column, path, id_column=id_col).to_numpy(dtype=float)  # type: ignore[arg-type]


def _availability(frame: pd.DataFrame, path: object, id_col: str) -> np.ndarray:
    """1.0 available, 0.0 not, NaN where the cell is blank (not known); a list with no
    availability column knows none of it."""
    column = pick_column(frame, path, "available", ["available", "is_available"], required=False)  # type: ignore[arg-type]
    if column is None:
        return np.full(len(frame), np.nan)
    text = frame[column].fillna("").astype(str).str.strip().str.lower()
    bad = ~text.isin(_TRUE | _FALSE | {""})
    if bad.any():
        raise InputDataError(
            f"{path}: column {column!r} must be true or false (yes/no, 1/0) or blank if not "
            f"known; found {text[bad].iloc[0]!r} for site {frame.loc[bad, id_col].iloc[0]}"
        )
    return np.select([text.isin(_TRUE), text.isin(_FALSE)], [1.0, 0.0], np.nan)
