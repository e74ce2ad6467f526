"""Candidates from the property registers estates teams hold, read as published.

Three families, recognised by their columns (not by file name or one council's
spelling): business-rates lists (:mod:`.rates`), council land and building assets
(:mod:`.assets`) and NHS ERIC site data (:mod:`.eric`); plus a plain table in our own
candidate schema (what ``estate-planner candidates`` writes). Each returns the
columns of :data:`REGISTER_COLUMNS`; :func:`merge_registers` makes one candidate of
the same building listed in two registers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from estate_planner._errors import InputDataError
from estate_planner.sources.published import Published, read_published
from estate_planner.sources.registers import assets, eric, rates
from estate_planner.sources.registers._common import (
    DEFAULT_USES,
    REGISTER_COLUMNS,
    REGISTER_KINDS,
    Register,
    column,
    locate,
    plain_name,
    text,
)
from estate_planner.sources.tables import Provenance, rename_columns

RegisterFormat = Literal["auto", "business_rates", "council_assets", "eric", "table"]
FORMATS: tuple[str, ...] = ("business_rates", "council_assets", "eric", "table")
_TABLE_SIGNATURE = (("site_id",), ("name",), ("kind",))
_SIGNATURES = {
    "eric": eric.SIGNATURE,
    "business_rates": rates.SIGNATURE,
    "council_assets": assets.SIGNATURE,
    "table": _TABLE_SIGNATURE,
}
#: How many metres apart two registers' entries may be and still be one building
SAME_BUILDING_M = 25.0
#: ... when they carry the same name: one list may place a site at its entrance and
#: another at the middle of its grounds (OSM and NHS.UK put Rutland Memorial ~100 m apart)
SAME_NAME_M = 250.0


def read_register(
    path: Path,
    *,
    format: RegisterFormat = "auto",
    columns: Mapping[str, str] | None = None,
    locations: Sequence[Path] = (),
    located: pd.DataFrame | Callable[[], pd.DataFrame | None] | None = None,
    uses: Iterable[str] | None = None,
    include_land: bool = False,
    area: object | None = None,
) -> Register:
    """Read one register file into candidate rows.

    Parameters
    ----------
    path
        A business-rates list, council asset register or ERIC site data (CSV, gzipped
        CSV or Excel workbook), or a candidate table in our schema.
    format
        ``"auto"`` recognises the layout by its columns.
    columns
        Our names -> the file's, for headers not recognised (e.g.
        ``{"rateable value": "RV 2023"}``).
    locations, located
        Files (or a table: ``code, name, parent, longitude, latitude``, or a function
        returning one, called only for ERIC) that place ERIC sites by ODS code, or by
        name and trust.
    uses
        Kinds to keep from a business-rates list (default retail, office, health,
        community); industrial and other uses are dropped and counted.
    include_land
        Keep council land holdings that are not buildings (bare land, car parks...).
    area
        The study area (BNG shapely geometry): an ERIC site left out whose name matches
        another trust's place there says so.

    Returns
    -------
    Register
        The rows (unlocated ones too, ``located`` false, with the reason in ``note``)
        and the rows repaired and dropped by reason.

    Raises
    ------
    InputDataError
        If the layout is not recognised: the message names the columns looked for and
        the ones found.
    """
    table, found = _read_layout(path, format, columns)
    if found == "business_rates":
        return rates.read_business_rates(table, path, uses=uses)
    if found == "council_assets":
        return assets.read_council_assets(table, path, include_land=include_land)
    if found == "eric":
        places = [read_locations(p) for p in locations]
        extra = located() if callable(located) else located
        if extra is not None:
            places.append(extra)
        return eric.read_eric(table, path, located=eric.located_places(places), area=area)
    return _read_table(table, path)


def _read_layout(
    path: Path,
    format: str,
    columns: Mapping[str, str] | None,
) -> tuple[Published, str]:
    attempts: list[tuple[str, ...]] = [(), eric.HEADER_WORDS]
    last: Published | None = None
    for words in attempts:
        try:
            table = read_published(path, header_words=words, sheet_words=("site",))
        except InputDataError:
            if words:
                continue
            raise
        table.frame = rename_columns(table.frame, dict(columns or {}))
        found = detect_format(table.frame, path)
        if found is not None and format in ("auto", found):
            return table, found
        if format != "auto" and found is None and words == attempts[-1]:
            break
        last = table
    table = last if last is not None else read_published(path)
    names = {
        "eric": "ERIC site data",
        "business_rates": "a business-rates list",
        "council_assets": "a council asset register",
        "table": "a candidate table",
    }
    looked = "; ".join(
        f"{names[name]}: " + " and ".join(f"({' or '.join(group)})" for group in signature)
        for name, signature in _SIGNATURES.items()
        if format in ("auto", name)
    )
    what = "a register layout" if format == "auto" else f"the {format} layout"
    raise InputDataError(
        f"{path}: not recognised as {what}. Looked for columns, for {looked}. Found: "
        f"{', '.join(map(str, table.frame.columns[:25]))}. Name your columns as one of these "
        "with columns = {...} in the scenario, or set format"
    )


def detect_format(frame: pd.DataFrame, path: Path) -> str | None:
    """The register family whose columns ``frame`` has, or None.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as published (its header row found).
    path : pathlib.Path
        For messages.

    Returns
    -------
    {"rates", "assets", "eric"} or None
    """
    for name, signature in _SIGNATURES.items():
        if all(column(frame, path, list(group)) for group in signature):
            return name
    return None


def _read_table(table: Published, path: Path) -> Register:
    """A table in our candidate schema (e.g. one ``estate-planner candidates`` wrote)."""
    frame = table.frame
    repairs: Counter[str] = Counter(table.repairs)
    located = locate(frame, path, repairs)
    out = pd.DataFrame(
        {name: text(frame, column(frame, path, [name])) for name in REGISTER_COLUMNS}
    )
    for name in ("floor_area_m2", "spare_floor_area_m2", "annual_cost_gbp"):
        out[name] = pd.to_numeric(out[name].str.replace(",", ""), errors="coerce")
    flag = out["available"].str.lower()
    out["available"] = np.select(
        [flag.isin(["true", "yes", "y", "1"]), flag.isin(["false", "no", "n", "0"])],
        [1.0, 0.0],
        np.nan,
    )
    out["longitude"], out["latitude"] = located.lon, located.lat
    out["located"] = ~np.isnan(located.lon)
    out["source"] = out["source"].where(out["source"] != "", path.name)
    out["source_id"] = out["source_id"].where(out["source_id"] != "", out["site_id"])
    return Register(path, "table", out, table.rows_read, repairs, Counter(table.dropped))


def read_locations(path: Path) -> pd.DataFrame:
    """A located list (NHS.UK hospitals, ODS sites, the scenario's services...).

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    pandas.DataFrame
        ``code``, ``name``, ``parent`` (the parent organisation's ODS code, e.g. the
        trust running a hospital; '' where the list has none), ``longitude``,
        ``latitude``.

    Raises
    ------
    InputDataError
        If it has no code or coordinate columns.
    """
    table = read_published(path)
    frame = table.frame
    code = column(frame, path, ["organisationcode", "organisation code", "ods code", "site code",
                                "code", "service_id", "site_id", "id"])  # fmt: skip
    name = column(frame, path, ["organisationname", "organisation name", "site name", "name"])
    if code is None or name is None:
        raise InputDataError(
            f"{path}: a locations file needs an ODS code column (OrganisationCode, ODS code, "
            f"site code) and a name column; found {', '.join(frame.columns[:20])}"
        )
    parent = column(frame, path, ["parentodscode", "parent ods code", "parent code",
                                  "parent organisation code", "trust code"])  # fmt: skip
    where = locate(frame, path, Counter())
    return pd.DataFrame(
        {
            "code": text(frame, code),
            "name": text(frame, name),
            "parent": text(frame, parent).str.upper(),
            "longitude": where.lon,
            "latitude": where.lat,
        }
    )


def merge_registers(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per building among register rows.

    Rows of different sources with the same UPRN, within :data:`SAME_BUILDING_M` of each
    other with a similar name or address, or within :data:`SAME_NAME_M` with the same
    name, become one with the richer fields (the first row's, its blanks filled from the
    other's).

    Parameters
    ----------
    frame : pandas.DataFrame
        Register rows with ``source``, ``uprn``, ``name``, ``address``, ``longitude`` and
        ``latitude``.

    Returns
    -------
    rows : pandas.DataFrame
    merged : int
        How many rows were merged into another.
    """
    from estate_planner.sources.tables import to_bng

    frame = frame.reset_index(drop=True)
    x, y = to_bng(frame["longitude"].to_numpy(float), frame["latitude"].to_numpy(float))
    return _merge(frame, x, y)


def merge_candidates(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """:func:`merge_registers` for candidates with point geometry in BNG.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame

    Returns
    -------
    rows : geopandas.GeoDataFrame
    merged : int
    """
    frame = frame.reset_index(drop=True)
    return _merge(frame, frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())


def _merge(frame: pd.DataFrame, x: np.ndarray, y: np.ndarray) -> tuple[pd.DataFrame, int]:
    from scipy.spatial import cKDTree

    parent = list(range(len(frame)))
    sources = frame["source"].to_numpy()
    # a building holds at most one row of each source: two rows of one register are two
    # entries there (two units, two assessments), even when a third row lies near both
    held = [{source} for source in sources]

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        a, b = sorted((root(i), root(j)))
        if a != b and not held[a] & held[b]:
            parent[b] = a
            held[a] |= held[b]

    uprn = frame["uprn"].fillna("").astype(str)
    for _, group in frame[uprn != ""].groupby(uprn[uprn != ""]):
        for other in group.index[1:]:
            join(int(group.index[0]), int(other))
    placed = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    names = frame["name"].fillna("").astype(str).map(plain_name).to_numpy()
    if len(placed) > 1:
        tree = cKDTree(np.column_stack([x[placed], y[placed]]))
        pairs = tree.query_pairs(SAME_NAME_M, output_type="ndarray")
        gaps = np.hypot(*(np.column_stack([x[placed], y[placed]])[pairs[:, 0]] -
                          np.column_stack([x[placed], y[placed]])[pairs[:, 1]]).T)  # fmt: skip
        for a, b in pairs[np.lexsort((pairs[:, 1], pairs[:, 0], gaps))]:  # nearest first
            i, j = int(placed[a]), int(placed[b])
            if sources[i] == sources[j]:
                continue
            same_name = bool(names[i]) and names[i] == names[j]
            near = np.hypot(x[i] - x[j], y[i] - y[j]) <= SAME_BUILDING_M
            if same_name or (near and _similar(frame.iloc[i], frame.iloc[j])):
                join(i, j)
    groups: dict[int, list[int]] = {}
    for i in range(len(frame)):
        groups.setdefault(root(i), []).append(i)
    if all(len(members) == 1 for members in groups.values()):
        return frame, 0
    rows = [_merged(frame, members) for members in groups.values()]
    out = pd.DataFrame(rows, columns=frame.columns).reset_index(drop=True)
    if hasattr(frame, "geometry"):
        import geopandas as gpd

        out = gpd.GeoDataFrame(out, geometry="geometry", crs=frame.crs)
    return out, sum(len(members) - 1 for members in groups.values())


def register_year(path: Path, year: str | None = None) -> str | None:
    """The year a register describes: as set, else from its file name.

    ``ERIC - 2016_17 - Site data.csv`` is ``"2016/17"``; ``rates_2019.csv`` is
    ``"2019"``; a name without a year (``..._13944.XLS``) gives None.

    Parameters
    ----------
    path : pathlib.Path
    year : str, optional
        The register's ``year`` setting, which wins.

    Returns
    -------
    str or None
    """
    if year:
        return str(year)
    name = path.name
    financial = re.search(r"(?<!\d)(20\d\d)\s*[-_/]?\s*(\d\d)(?!\d)", name)
    if financial and int(financial.group(2)) == (int(financial.group(1)) + 1) % 100:
        return f"{financial.group(1)}/{financial.group(2)}"
    single = re.search(r"(?<!\d)(20\d\d)(?!\d)", name)
    return single.group(1) if single else None


def merge_years(
    frames: Sequence[pd.DataFrame], years: Sequence[str | None], names: Sequence[str]
) -> tuple[pd.DataFrame, int]:
    """One publisher's registers of several years as one, merged by site id.

    The latest year's row wins; a field it leaves blank is filled from the latest
    earlier year that has it, and the row's ``note`` says which fields came from which
    year. Registers whose year is not known rank in the order given (the later given
    wins), before those whose year is known.

    Parameters
    ----------
    frames : sequence of pandas.DataFrame
        Candidate rows of each register (``site_id`` and the register columns).
    years : sequence of str or None
        Each register's year (:func:`register_year`).
    names : sequence of str
        Each register's file name, for the note.

    Returns
    -------
    rows : pandas.DataFrame
        One row per site id.
    merged : int
        Rows folded into a later year's.
    """
    order = sorted(range(len(frames)), key=lambda i: (years[i] is not None, years[i] or "", i))
    rank = {i: n for n, i in enumerate(order)}
    label = [years[i] or f"{names[i]} (year not known)" for i in range(len(frames))]
    tagged = [f.assign(_rank=rank[i], _year=label[i]) for i, f in enumerate(frames)]
    rows = pd.concat(tagged, ignore_index=True).sort_values("_rank", kind="stable")
    latest = rows.drop_duplicates("site_id", keep="last").set_index("site_id")
    repeated = rows[rows.duplicated("site_id", keep=False)]
    fields = [c for c in rows.columns if c not in ("site_id", "note", "_rank", "_year")]
    for site, group in repeated.groupby("site_id", sort=False):
        group = group.iloc[::-1]  # latest first
        row = latest.loc[site].copy()
        filled: dict[str, list[str]] = {}
        for _, earlier in group.iloc[1:].iterrows():
            for name in fields:
                if _blank(row[name]) and not _blank(earlier[name]):
                    row[name] = earlier[name]
                    filled.setdefault(str(earlier["_year"]), []).append(name)
        said = f"fields from {row['_year']}" + "".join(
            f"; {', '.join(names_)} from {year}" for year, names_ in filled.items()
        )
        row["note"] = f"{row['note']}; {said}" if row["note"] else said
        latest.loc[site] = row
    merged = len(rows) - len(latest)
    out = latest.reset_index().drop(columns=["_rank", "_year"])
    if hasattr(frames[0], "geometry"):
        import geopandas as gpd

        out = gpd.GeoDataFrame(out, geometry="geometry", crs=frames[0].crs)
    return out[list(frames[0].columns)], merged


def _blank(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and np.isnan(value))


def register_candidates(
    register: Register, key: str, area: object | None = None
) -> tuple[pd.DataFrame, Provenance]:
    """A register's located rows as candidates, and its record for the manifest.

    Parameters
    ----------
    register : Register
        As read by :func:`read_register`.
    key : str
        Its scenario key.
    area : shapely geometry, optional
        The study area in BNG. A national register (most of its placed rows outside
        it, as ERIC's) warns only about the rows not placed that may lie in the area
        (their note names a place there); the rest are counted in the manifest.

    Returns
    -------
    candidates : pandas.DataFrame
        Point geometry in BNG.
    record : Provenance
        Rows read, used, and repaired or dropped by reason.
    """
    import geopandas as gpd

    from estate_planner.sources.tables import BNG, provenance

    rows = register.frame
    located = rows["located"].astype(bool)
    record = provenance(key, register.path)
    record.rows_read = register.rows_read
    counts = {f"repaired: {k}": v for k, v in register.repairs.items()}
    counts |= {f"dropped: {k}": v for k, v in register.dropped.items()}
    for reason, n in not_located_reasons(rows).items():
        counts[f"dropped: {reason}"] = int(n)
    record.counts = counts
    record.layout = register.format
    reason = "not located (see the note of each in `estate-planner candidates`)"
    if (~located).any() and _national(rows[located], area):
        here = ~located & rows["note"].fillna("").str.contains("study area")
        elsewhere = rows.loc[~located & ~here, "source_id"]
        record.dropped.append(
            f"{register.path.name}: {len(elsewhere)} register rows not located, none of them "
            "named after a place in the study area (a national register: counted, not warned)"
        )
        record.drop(
            f"{reason}; named after a place in the study area",
            rows.loc[here, "source_id"],
            what="register rows",
        )
    elif (~located).any():
        record.drop(reason, rows.loc[~located, "source_id"], what="register rows")
    kept = rows[located]
    geometry = gpd.points_from_xy(kept["longitude"], kept["latitude"], crs="EPSG:4326")
    frame = gpd.GeoDataFrame(
        kept.drop(columns=["longitude", "latitude", "located"]), geometry=geometry
    ).to_crs(BNG)
    frame["available"] = frame["available"].astype(float)
    # where the register states availability, it is the fact's source (its year, where
    # known, its date); a corrected row keeps its correction's source
    known = frame["available"].notna().to_numpy()
    said = {1.0: "says vacant, empty or surplus", 0.0: "says occupied or let"}
    stated = frame["available"].map(said).fillna("")
    source = f"{register.path.name} ({register.format.replace('_', ' ')})"
    given = frame.get("availability_source", pd.Series("", index=frame.index)).fillna("")
    frame["availability_source"] = np.where(
        known & (given == ""), source + " " + stated, given
    )
    year = register_year(register.path) or ""
    dated = frame.get("availability_date", pd.Series("", index=frame.index)).fillna("")
    frame["availability_date"] = np.where(known & (dated == ""), year, dated)
    record.rows_used = len(frame)
    return frame.reset_index(drop=True), record


def _national(rows: pd.DataFrame, area: object | None) -> bool:
    """Most of a register's placed rows lie outside the study area (plus some slack)."""
    if area is None or rows.empty:
        return False
    import shapely

    from estate_planner.sources.tables import to_bng

    x, y = to_bng(rows["longitude"].to_numpy(float), rows["latitude"].to_numpy(float))
    near = shapely.contains_xy(shapely.buffer(area, 5000), x, y)
    return bool(near.mean() < 0.5)


def candidate_list(
    paths: Sequence[Path],
    *,
    format: RegisterFormat = "auto",
    columns: Mapping[str, str] | None = None,
    locations: Sequence[Path] = (),
    uses: Iterable[str] | None = None,
    include_land: bool = False,
) -> tuple[pd.DataFrame, list[Register], int]:
    """Registers read and merged into one list (``estate-planner candidates``).

    Parameters
    ----------
    paths : sequence of pathlib.Path
        Register files (business rates, council assets, ERIC).
    format : {"auto", "business_rates", "council_assets", "eric", "table"}
        The family, or recognised by columns.
    columns : mapping, optional
        Our names -> the files' (``{"rateable value": "RV 2023"}``), for headers not
        recognised.
    locations : sequence of pathlib.Path
        Located lists for placing ERIC sites.
    uses : iterable of str, optional
        Keep only these kinds of use.
    include_land : bool
        Keep land holdings with no building.

    Returns
    -------
    rows : pandas.DataFrame
        Every entry kept, located or not (with a ``note`` saying why not).
    registers : list of Register
    merged : int
    """
    registers = [
        read_register(
            path,
            format=format,
            columns=columns,
            locations=locations,
            uses=uses,
            include_land=include_land,
        )
        for path in paths
    ]
    rows = pd.concat([r.frame for r in registers], ignore_index=True)
    merged = 0
    if len(registers) > 1:
        rows, merged = merge_registers(rows)
    return rows[list(REGISTER_COLUMNS)], registers, merged


def write_candidate_list(rows: pd.DataFrame, path: Path) -> None:
    """Write the list as CSV that reads back as ``candidates.path``.

    ``available`` and ``located`` are written as true/false, blank where not known.

    Parameters
    ----------
    rows : pandas.DataFrame
    path : pathlib.Path
    """
    out = rows.copy()
    flag = {1.0: "true", 0.0: "false"}
    out["available"] = out["available"].map(flag).fillna("")
    out["located"] = out["located"].map({True: "true", False: "false"})
    for name in ("floor_area_m2", "spare_floor_area_m2", "annual_cost_gbp"):
        out[name] = out[name].round(0).astype("Int64")
    for name in ("longitude", "latitude"):
        out[name] = out[name].round(6)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, lineterminator="\n")


def not_located_reasons(rows: pd.DataFrame) -> pd.Series:
    """How many rows are not located, by reason (the head of each one's note).

    Parameters
    ----------
    rows : pandas.DataFrame

    Returns
    -------
    pandas.Series
        Count per reason.
    """
    notes = rows.loc[~rows["located"].astype(bool), "note"].fillna("")
    heads = notes.str.split(r" \(|:", regex=True).str[0].replace("", "not located")
    return heads.value_counts()


def _similar(a: pd.Series, b: pd.Series) -> bool:
    import difflib

    for field in ("name", "address"):
        left, right = plain_name(str(a[field])), plain_name(str(b[field]))
        if left and right and difflib.SequenceMatcher(None, left, right).ratio() >= 0.8:
            return True
    return (
        bool(a["postcode"])
        and a["postcode"] == b["postcode"]
        and plain_name(str(a["address"]))[:12] == plain_name(str(b["address"]))[:12]
    )


def _merged(frame: pd.DataFrame, members: list[int]) -> pd.Series:
    row = frame.iloc[members[0]].copy()
    for other in members[1:]:
        extra = frame.iloc[other]
        for name in row.index:
            value = row[name]
            if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
                row[name] = extra[name]
        said = f"same building as {extra['site_id']} in {extra['source']}"
        row["note"] = f"{row['note']}; {said}" if row["note"] else said
    if len(members) > 1:
        row["source"] = " + ".join(dict.fromkeys(frame["source"].iloc[members]))
    return row


__all__ = [
    "DEFAULT_USES",
    "FORMATS",
    "REGISTER_COLUMNS",
    "REGISTER_KINDS",
    "Register",
    "candidate_list",
    "detect_format",
    "merge_candidates",
    "merge_registers",
    "merge_years",
    "not_located_reasons",
    "read_locations",
    "read_register",
    "register_candidates",
    "register_year",
    "write_candidate_list",
]
