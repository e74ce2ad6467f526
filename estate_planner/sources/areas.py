"""Small areas (LSOA/MSOA), Census 2021 population and IMD deprivation (IoD 2025 or 2019).

Layouts read as published:

- population: the Census 2021 age table in long form (``lsoa21_code, age_group,
  usual_residents``), Nomis's bulk TS007A (``geography code``, ``Age: Total``, a column
  per five-year band), the ONS mid-year estimates (``LSOA 2021 Code, Total,
  F65 and over, M65 and over``) or a plain table (id, ``population``,
  ``age_65_plus``);
- deprivation: the English Indices of Deprivation 2025 (File 1 and 2 as xlsx, File 7
  as CSV; ``LSOA code (2021)``, ``Index of Multiple Deprivation (IMD) Decile (where 1
  is most deprived 10% of LSOAs)``) or 2019 (File 1, 2 or 7; ``LSOA code (2011)``), or
  a plain table (id, ``imd_decile``). The edition is told by the area codes' vintage
  and named in every label downstream.

IoD 2025 and Census 2021 both use LSOA 2021 codes and join directly. IoD 2019 uses
LSOA 2011 codes: with the ONS exact-fit lookup (``demand.lookup``), a 2021 area split
from a 2011 one takes its parent's IMD; an area merged from several takes the mean of
their ranks, with the decile recomputed from the national rank thresholds.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from estate_planner._errors import InputDataError
from estate_planner.scenario import DemandConfig
from estate_planner.sources.tables import (
    Provenance,
    clean_text,
    numeric,
    pick_column,
    plain_name,
    provenance,
    read_csv,
    read_table,
    read_vector,
    rename_columns,
)

logger = logging.getLogger(__name__)

N_LSOA11_ENGLAND = 32844  # IMD 2019 ranks run from 1 (most deprived) to this.
_CENSUS_65 = "aged 65 years and over"


def read_areas(config: DemandConfig) -> tuple[gpd.GeoDataFrame, Provenance]:
    """Demand areas: ``id`` and geometry (polygons or points) in BNG.

    Parameters
    ----------
    config : DemandConfig
        The ``[demand]`` section: the areas file and its id column.

    Returns
    -------
    areas : geopandas.GeoDataFrame
        ``id``, ``name`` and geometry.
    record : Provenance

    Raises
    ------
    InputDataError
        If the id column is missing or ids repeat.
    """
    path = config.areas
    frame = read_vector(path, "demand.areas")
    record = provenance("demand.areas", path)
    record.rows_read = len(frame)
    column = pick_column(frame, path, f"id ({config.id_column})", [config.id_column])
    assert column is not None
    ids = frame[column].astype(str).str.strip()
    dupes = ids[ids.duplicated()].unique()
    if len(dupes):
        raise InputDataError(
            f"{path}: ids in column {column!r} must be unique; repeated: "
            f"{', '.join(dupes[:10])}. Remove or merge the duplicate areas"
        )
    areas = gpd.GeoDataFrame(
        {"id": ids.to_numpy(), "name": _names(frame, column)},
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    )
    record.rows_used = len(areas)
    return areas.sort_values("id", kind="stable").reset_index(drop=True), record


def _names(frame: pd.DataFrame, id_column: str) -> np.ndarray:
    name_col = next(
        (c for c in frame.columns if c.lower().endswith("nm") or c.lower() == "name"), None
    )
    if name_col is None:
        return frame[id_column].astype(str).to_numpy()
    return frame[name_col].astype(str).to_numpy()


def read_population(
    path: Path, id_column: str, *, columns: dict[str, str] | None = None
) -> tuple[pd.DataFrame, Provenance]:
    """Population by area: index ``id``, columns ``population`` and ``age_65_plus``.

    Parameters
    ----------
    path
        A Census 2021 age table (long form), ONS mid-year estimates or a plain table.
    id_column
        The areas' id column (``demand.id_column``), also looked for here.
    columns
        Our names -> the file's (``id``, ``population``, ``age_65_plus``), for a file
        whose headers are not recognised (``[demand] population_columns``).

    Raises
    ------
    InputDataError
        If no layout is recognised or a count is blank, negative or not a number.
    """
    frame = rename_columns(read_csv(path, "demand.population"), columns)
    record = provenance("demand.population", path)
    record.rows_read = len(frame)
    lower = {c.lower() for c in frame.columns}
    if columns and "population" in columns:
        table = _plain_population(frame, path, id_column)
    elif "age_group" in lower:
        table = _census_long(frame, path)
    elif any(c.strip().lower().startswith("age: total") for c in frame.columns):
        table = _census_wide(frame, path)
    elif "total" in lower and any(c.lower().endswith("65 and over") for c in frame.columns):
        table = _mid_year(frame, path)
    else:
        table = _plain_population(frame, path, id_column)
    _check_population(table, path)
    record.rows_used = len(table)
    return table, record


def _census_long(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    code = pick_column(
        frame, path, "area code", ["lsoa21_code", "lsoa21cd", "geography code", "code"]
    )
    age = pick_column(frame, path, "age group", ["age_group"])
    value = pick_column(frame, path, "count", ["usual_residents", "observation", "count"])
    assert code and age and value
    counts = numeric(frame, value, path, id_column=code)
    negative = counts < 0
    if negative.any():
        raise InputDataError(
            f"{path}: negative population for area(s) "
            f"{', '.join(frame.loc[negative, code].astype(str).unique()[:10])}; fix those rows"
        )
    data = pd.DataFrame(
        {"id": clean_text(frame[code]), "age": clean_text(frame[age], lower=True), "n": counts}
    )
    total = data.groupby("id", sort=True)["n"].sum(min_count=1)
    older = data[data["age"] == _CENSUS_65].groupby("id")["n"].sum()
    return pd.DataFrame({"population": total, "age_65_plus": older.reindex(total.index).fillna(0)})


def _census_wide(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Nomis's bulk Census table (TS007A): ``geography code``, ``Age: Total`` and a
    column per band (``Age: Aged 65 to 69 years`` ... ``Age: Aged 85 years and over``)."""
    code = pick_column(frame, path, "area code", ["geography code", "lsoa21cd", "code"])
    total = next(c for c in frame.columns if c.strip().lower().startswith("age: total"))
    assert code
    bands = {c: re.search(r"aged (\d+)", c.lower()) for c in frame.columns}
    older = [c for c, m in bands.items() if m and int(m.group(1)) >= 65]
    if not older:
        raise InputDataError(
            f"{path}: no age bands from 65 in a Census table (columns like 'Age: Aged 65 "
            "to 69 years'); use the five-year-band table (TS007A) or the six-group one"
        )
    table = pd.DataFrame(
        {
            "id": clean_text(frame[code]),
            "population": numeric(frame, total, path, id_column=code),
            "age_65_plus": sum(numeric(frame, c, path, id_column=code) for c in older),
        }
    )
    return _unique_index(table, path, code)


def _mid_year(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    code = pick_column(frame, path, "area code", ["LSOA 2021 Code", "LSOA Code", "code"])
    total = pick_column(frame, path, "total", ["Total", "All Ages"])
    assert code and total
    older = [c for c in frame.columns if c.lower().endswith("65 and over")]
    table = pd.DataFrame(
        {
            "id": clean_text(frame[code]),
            "population": numeric(frame, total, path, id_column=code),
            "age_65_plus": sum(numeric(frame, c, path, id_column=code) for c in older),
        }
    )
    return _unique_index(table, path, code)


def _plain_population(frame: pd.DataFrame, path: Path, id_column: str) -> pd.DataFrame:
    code = pick_column(frame, path, "area id", [id_column, "id", "code", "lsoa21cd", "lsoa11cd"])
    total = pick_column(frame, path, "population", ["population", "total", "usual_residents"])
    older = pick_column(frame, path, "65+", ["age_65_plus", "aged_65_plus", "pop_65_plus", "65+"])
    assert code and total and older
    table = pd.DataFrame(
        {
            "id": clean_text(frame[code]),
            "population": numeric(frame, total, path, id_column=code),
            "age_65_plus": numeric(frame, older, path, id_column=code),
        }
    )
    return _unique_index(table, path, code)


def _unique_index(table: pd.DataFrame, path: Path, column: str) -> pd.DataFrame:
    dupes = table["id"][table["id"].duplicated()].unique()
    if len(dupes):
        raise InputDataError(
            f"{path}: each area must appear once in column {column!r}; repeated: "
            f"{', '.join(dupes[:10])}"
        )
    return table.set_index("id").sort_index()


def _check_population(table: pd.DataFrame, path: Path) -> None:
    blank = table["population"].isna()
    negative = (table["population"] < 0) | (table["age_65_plus"] < 0)
    over = table["age_65_plus"] > table["population"]
    for mask, problem in (
        (blank, "blank population"),
        (negative, "negative population"),
        (over, "more people aged 65+ than in total"),
    ):
        if mask.any():
            ids = ", ".join(table.index[mask][:10])
            raise InputDataError(f"{path}: {problem} for area(s) {ids}; fix those rows")


#: The edition of the English Indices of Deprivation a published file is, told by the
#: vintage of its area codes (IoD 2019 is on LSOA 2011, IoD 2025 on LSOA 2021).
INDEX_BY_CODE_HEADER = {"LSOA code (2021)": "IoD 2025", "LSOA code (2011)": "IoD 2019"}
#: areas ranked in each edition (rank 1 most deprived to this)
AREAS_RANKED = {"IoD 2019": N_LSOA11_ENGLAND, "IoD 2025": 33755}
#: The domains usable as need criteria: our prefix -> the published domain's name.
DOMAINS = {
    "income": "Income",
    "health": "Health Deprivation and Disability",
    "barriers": "Barriers to Housing and Services",
}
#: an index whose edition the file does not say
UNSTATED = "IMD (edition not stated)"


def read_deprivation(
    path: Path, id_column: str, *, columns: dict[str, str] | None = None, index: str | None = None
) -> tuple[pd.DataFrame, Provenance]:
    """IMD (and three of its domains) by area, with the index's edition.

    Parameters
    ----------
    path
        The English Indices of Deprivation as published: IoD 2025 File 1 or 2 (xlsx,
        sheets ``IMD25`` and ``IoD2025 Domains``) or File 7 (CSV), IoD 2019 File 1, 2 or
        7 (CSV or xlsx), their long headers recognised as they stand; or a plain table
        with an id and ``imd_decile``.
    id_column
        The areas' id column (``demand.id_column``), also looked for here.
    columns
        Our names -> the file's (``id``, ``imd_decile``, ``imd_rank``), for a file whose
        headers are not recognised (``[demand] deprivation_columns``).
    index
        The edition of a plain table ("IoD 2025"), which its headers cannot tell
        (``[demand] deprivation_index``); a published file's own headers win.

    Returns
    -------
    table : pandas.DataFrame
        Index the file's area code; ``imd_rank``, ``imd_decile``, ``imd_score`` and, per
        domain of :data:`DOMAINS`, ``<domain>_rank`` and ``<domain>_decile`` (blank where
        the file does not have them). ``table.attrs["index"]`` is the edition
        ("IoD 2025", "IoD 2019" or :data:`UNSTATED`).
    record : Provenance
        Its ``layout`` names the edition and the published file it was read as.

    Raises
    ------
    InputDataError
        If no area code or decile column is found, or a decile is not 1-10.
    """
    raw, sheet = read_table(path, "demand.deprivation", header_words=["decile"])
    frame = rename_columns(raw, columns)
    record = provenance("demand.deprivation", path)
    record.rows_read = len(frame)
    code = pick_column(
        frame,
        path,
        "area code",
        ["id", *INDEX_BY_CODE_HEADER, id_column, "lsoa21cd", "lsoa11cd", "code"],
        hint_within="code",
    )
    decile = pick_column(
        frame,
        path,
        "IMD decile",
        ["imd_decile", "Index of Multiple Deprivation (IMD) Decile", "IMD Decile", "decile"],
        hint_within="decile",
    )
    rank = pick_column(
        frame,
        path,
        "IMD rank",
        ["imd_rank", "Index of Multiple Deprivation (IMD) Rank", "IMD Rank", "rank"],
        required=False,
    )
    score = pick_column(
        frame, path, "IMD score", ["imd_score", "Index of Multiple Deprivation (IMD) Score"],
        required=False,
    )  # fmt: skip
    assert code and decile
    values: dict[str, object] = {
        "id": clean_text(frame[code]),
        "imd_decile": numeric(frame, decile, path, id_column=code),
        "imd_rank": numeric(frame, rank, path, id_column=code) if rank else np.nan,
        "imd_score": numeric(frame, score, path, id_column=code) if score else np.nan,
    }
    for ours, published in DOMAINS.items():
        for part in ("rank", "decile"):
            found = pick_column(
                frame, path, f"{published} {part}",
                [f"{ours}_{part}", f"{published} {part.title()}"], required=False,
            )  # fmt: skip
            values[f"{ours}_{part}"] = (
                numeric(frame, found, path, id_column=code) if found else np.nan
            )
    table = pd.DataFrame(values)
    for column in ["imd_decile", *(f"{d}_decile" for d in DOMAINS)]:
        bad = ~table[column].isin(range(1, 11)) & (column == "imd_decile" or table[column].notna())
        if bad.any():
            shown = table.loc[bad, ["id", column]].to_numpy()[:10]
            rows = ", ".join(f"{i} ({d})" for i, d in shown)
            raise InputDataError(
                f"{path}: {column.replace('_', ' ')}s must be whole numbers 1 (most deprived) "
                f"to 10; found {rows}"
            )
    table = _unique_index(table, path, code)
    edition = _edition(code, path, sheet, index)
    table.attrs["index"] = edition
    record.layout = f"{edition}, {_published_form(table, rank)}"
    record.rows_used = len(table)
    logger.info("deprivation: %s read as %s", path.name, record.layout)
    return table, record


def _edition(code: str, path: Path, sheet: str, index: str | None) -> str:
    """Which index a file is: its area-code header says (2011 codes are IoD 2019's, 2021
    codes IoD 2025's), else its sheet or file name ("IoD2025", "IMD2019"), else the
    scenario's ``deprivation_index``, else not stated."""
    for header, edition in INDEX_BY_CODE_HEADER.items():
        if plain_name(code) == plain_name(header):
            return edition
    named = re.search(r"(?:iod|imd)[ _-]?(20\d\d|\d\d)(?!\d)", f"{sheet} {path.name}".lower())
    if named:
        year = named.group(1)
        return f"IoD {year if len(year) == 4 else '20' + year}"
    return index or UNSTATED


def _published_form(table: pd.DataFrame, rank: str | None) -> str:
    """Which published file the columns are: File 7 (scores, ranks and deciles of the
    IMD and its domains), File 2 (ranks and deciles of the domains), File 1 (the IMD)."""
    domains = table[[f"{d}_decile" for d in DOMAINS]].notna().any().any()
    if table["imd_score"].notna().any() and domains:
        return "File 7 (scores, ranks and deciles)"
    if domains:
        return "File 2 (domains)"
    if rank is not None and plain_name(rank).startswith("index of multiple"):
        return "File 1 (IMD)"
    return "a table of IMD deciles"


def read_lookup(path: Path) -> tuple[pd.DataFrame, Provenance]:
    """The ONS LSOA 2011 -> 2021 exact-fit lookup.

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    lookup : pandas.DataFrame
        ``old``, ``new``, ``change`` (ONS's change indicator: U, S, M or X) and ``lad``
        (the local authority of the 2021 area, where the lookup has it).
    record : Provenance

    Raises
    ------
    InputDataError
        If the code columns are missing.
    """
    frame = read_csv(path, "demand.lookup")
    record = provenance("demand.lookup", path)
    old = pick_column(frame, path, "2011 code", ["LSOA11CD"])
    new = pick_column(frame, path, "2021 code", ["LSOA21CD"])
    change = pick_column(frame, path, "change indicator", ["CHGIND"], required=False)
    lad = pick_column(
        frame, path, "local authority code",
        ["LAD24CD", "LAD23CD", "LAD22CD", "LAD21CD", "LAD20CD"], required=False,
    )  # fmt: skip
    assert old and new
    table = pd.DataFrame(
        {
            "old": clean_text(frame[old]),
            "new": clean_text(frame[new]),
            "change": clean_text(frame[change]) if change else "U",
            "lad": clean_text(frame[lad]) if lad else np.nan,
        }
    )
    record.rows_read = record.rows_used = len(table)
    return table, record


def deprivation_for(ids: pd.Index, imd: pd.DataFrame, lookup: pd.DataFrame | None) -> pd.DataFrame:
    """IMD for each area id, directly or through the 2011 -> 2021 lookup where given.

    Areas found directly in ``imd`` take their own values (IoD 2025 is on LSOA 2021
    codes: every 2021 area is found directly). Others go through the lookup: one parent
    (unchanged or split) gives its values; several parents (merged or complex) give the
    mean of their ranks, and the decile follows from the edition's national rank
    thresholds (the IMD's and each domain's alike). Areas with no IMD are left blank.

    Parameters
    ----------
    ids : pandas.Index
        The demand areas' codes.
    imd : pandas.DataFrame
        From :func:`read_deprivation`: ``<x>_rank`` and ``<x>_decile`` columns indexed
        by the file's codes, ``attrs["index"]`` the edition.
    lookup : pandas.DataFrame or None
        From :func:`read_lookup`.

    Returns
    -------
    pandas.DataFrame
        ``imd``'s columns per area id; ``attrs["index"]`` kept.
    """
    edition = imd.attrs.get("index", UNSTATED)
    direct = imd.reindex(ids)
    direct.attrs["index"] = edition
    if lookup is None:
        return direct
    missing = direct["imd_decile"].isna()
    links = lookup[lookup["new"].isin(ids[missing]) & lookup["old"].isin(imd.index)]
    if links.empty:
        return direct
    parents = imd.reindex(links["old"].to_numpy())
    parents.index = links["new"].to_numpy()
    grouped = parents.groupby(level=0)
    via = grouped.first()
    several = grouped.size() > 1
    ranked = AREAS_RANKED.get(edition, N_LSOA11_ENGLAND)
    for rank in [c for c in imd.columns if c.endswith("_rank")]:
        via[rank] = grouped[rank].mean()
        decile = rank.removesuffix("_rank") + "_decile"
        if several.any() and decile in via.columns:
            ranks = via.loc[several, rank]
            via.loc[several, decile] = np.ceil(ranks * 10 / ranked).clip(1, 10)
    direct.loc[via.index, via.columns] = via.to_numpy()
    return direct
