"""Population to come: population projections and housing sites.

- Projections in the form the ONS subnational population projections take: one row per
  area, sex, age and (wide) a column per year (``AREA_CODE, AREA_NAME, COMPONENT, SEX,
  AGE_GROUP, 2018, 2019, ...``, ages ``0`` to ``89``, ``90 and over`` and ``All ages``)
  or (long) a ``year`` and a ``population`` column. Areas are local authorities (or any
  code the demand areas can be grouped by); ``persons`` rows are used where a table has
  them, else males and females are added.
- Housing sites as points or polygons (GeoPackage, GeoJSON, or a CSV with coordinates):
  the dwellings each will hold and the year they are complete (a site in phases is one
  row per phase).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from estate_planner._errors import InputDataError
from estate_planner.sources.tables import (
    Provenance,
    clean_text,
    numeric,
    pick_column,
    provenance,
    read_csv,
    read_points,
)

logger = logging.getLogger(__name__)

#: the age from which people count as older (the need index's ``age_65_plus``)
OLDER_FROM = 65


def read_projections(
    path: Path, key: str = "demand.projections"
) -> tuple[pd.DataFrame, Provenance]:
    """Projected population by area, age band and year.

    Parameters
    ----------
    path : pathlib.Path
        A projection table, wide (a column per year) or long (``year``,
        ``population``), with an area code, an age and optionally sex and component.
    key : str
        The scenario key, for messages.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``area``, ``band`` ("under_65" or "age_65_plus"), ``year`` and
        ``population`` (persons).
    record : Provenance

    Raises
    ------
    InputDataError
        If the area, age or year columns are missing, or an age is not a number of years.
    """
    frame = read_csv(path, key)
    record = provenance(key, path)
    record.rows_read = len(frame)
    area = pick_column(
        frame, path, "area code", ["AREA_CODE", "area code", "lad code", "code", "id"]
    )
    age = pick_column(frame, path, "age", ["AGE_GROUP", "age", "age group"])
    assert area and age
    sex = pick_column(frame, path, "sex", ["SEX", "sex"], required=False)
    component = pick_column(frame, path, "component", ["COMPONENT"], required=False)
    if component:
        frame = frame[frame[component].str.strip().str.lower().isin(["population", "persons"])]
    if sex:
        sexes = frame[sex].str.strip().str.lower()
        persons = sexes.isin(["persons", "all persons", "all", "0"])
        frame = frame[persons] if persons.any() else frame[~persons]
    years = [c for c in frame.columns if re.fullmatch(r"\d{4}", str(c).strip())]
    if years:
        long = frame.melt(id_vars=[area, age], value_vars=years, var_name="year", value_name="n")
        values = numeric(long, "n", path, id_column=area)
        year_values = long["year"].astype(int)
    else:
        year = pick_column(frame, path, "year", ["year", "projection year"])
        count = pick_column(frame, path, "population", ["population", "value", "count", "persons"])
        assert year and count
        long = frame
        values = numeric(long, count, path, id_column=area)
        year_values = numeric(long, year, path, id_column=area).astype(int)
    ages = clean_text(long[age], lower=True)
    kept = ~ages.isin(["all ages", "all", "total"])
    number = ages.str.extract(r"^(\d+)")[0]
    bad = kept & number.isna()
    if bad.any():
        raise InputDataError(
            f"{path}: ages must start with a number of years ('0' ... '89', '90 and over') or "
            f"be 'All ages'; found {ages[bad].iloc[0]!r}; fix those rows"
        )
    table = pd.DataFrame(
        {
            "area": clean_text(long[area]),
            "band": np.where(number.astype(float) >= OLDER_FROM, "age_65_plus", "under_65"),
            "year": year_values,
            "population": values,
        }
    )[kept.to_numpy()]
    table = table.groupby(["area", "band", "year"], as_index=False).agg(
        population=("population", "sum")
    )
    record.rows_used = int(kept.sum())
    record.layout = "population projection (" + ("a column per year" if years else "long") + ")"
    return table, record


def growth_factors(
    table: pd.DataFrame, *, base_year: int, year: int, path: str = ""
) -> pd.DataFrame:
    """Per area, the growth of each age band from ``base_year`` to ``year``.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`read_projections`.
    base_year : int
        The year of the scenario's population (Census 2021: 2021).
    year : int
        The target year.
    path : str
        The file, for messages.

    Returns
    -------
    pandas.DataFrame
        Index area code; ``under_65`` and ``age_65_plus``: population in ``year`` over
        population in ``base_year``.

    Raises
    ------
    InputDataError
        If the table has no figures for either year.
    """
    have = sorted(set(table["year"]))
    for wanted in (base_year, year):
        if wanted not in have:
            raise InputDataError(
                f"{path or 'projections'}: no figures for {wanted} (the table runs "
                f"{have[0]}-{have[-1]}); set demand.target_year (and demand.base_year) "
                "within it"
            )
    wide = table.pivot_table(index=["area", "band"], columns="year", values="population")
    ratio = (wide[year] / wide[base_year].where(wide[base_year] > 0)).unstack("band")
    return ratio.reindex(columns=["under_65", "age_65_plus"])


def read_housing(path: Path, key: str = "demand.housing") -> tuple[gpd.GeoDataFrame, Provenance]:
    """Housing sites: where, how many dwellings, complete in which year.

    Parameters
    ----------
    path : pathlib.Path
        Points or polygons (a polygon stands at its representative point), or a CSV
        with coordinates; columns for dwellings (``dwellings``, ``homes``, ``units``,
        ``net_dwellings``) and the year complete (``year``, ``phasing_year``,
        ``completion_year``).
    key : str

    Returns
    -------
    sites : geopandas.GeoDataFrame
        ``site_id``, ``name``, ``dwellings``, ``year`` and a point, in BNG.
    record : Provenance

    Raises
    ------
    InputDataError
        If the dwellings or year column is missing or not numbers, or a site has no
        location.
    """
    frame = read_points(path, key)
    record = provenance(key, path)
    record.rows_read = len(frame)
    homes = pick_column(frame, path, "dwellings", ["dwellings", "homes", "units", "net_dwellings"])
    year = pick_column(frame, path, "phasing year", ["year", "phasing_year", "completion_year"])
    ident = pick_column(frame, path, "site id", ["site_id", "id", "reference"], required=False)
    name = pick_column(frame, path, "name", ["name", "site_name", "site"], required=False)
    assert homes and year
    if frame["_no_location"].any():
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(frame["_no_location"])[:10])
        raise InputDataError(f"{path}: housing sites without a location (rows {rows}); add them")
    ids = frame[ident].astype(str) if ident else pd.Series([f"{i + 1}" for i in range(len(frame))])
    sites = gpd.GeoDataFrame(
        {
            "site_id": ids.to_numpy(),
            "name": (frame[name].astype(str) if name else ids).to_numpy(),
            "dwellings": numeric(frame, homes, path).to_numpy(dtype=float),
            "year": numeric(frame, year, path).to_numpy(dtype=float),
        },
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    )
    bad = sites["dwellings"].isna() | (sites["dwellings"] < 0) | sites["year"].isna()
    if bad.any():
        raise InputDataError(
            f"{path}: sites {', '.join(sites.loc[bad, 'site_id'][:10])} need a number of "
            "dwellings (0 or more) and a year; fix those rows"
        )
    record.rows_used = len(sites)
    return sites, record
