"""Census 2021 topic summaries by LSOA 2021, in the Nomis bulk-download layout.

``date, geography, geography code`` and then one column per category, named
``<variable>: <category>`` with the total first (``General health: Total: All usual
residents``). Categories may be nested (``Disability: Disabled under the Equality Act:
Day-to-day activities limited a lot`` is part of ``Disability: Disabled under the
Equality Act``); the top level is what adds up to the total.

Three tables feed need and access:

========  =====================================  ======================================
table     variable (header prefix)               used as
========  =====================================  ======================================
TS037     ``General health``                     share of residents in bad or very bad
                                                 health
TS038     ``Disability``                         share of residents disabled under the
                                                 Equality Act, day-to-day activities
                                                 limited a lot
TS045     ``Number of cars or vans``             share of households with no car or van
========  =====================================  ======================================

Shares rather than counts: the population file's residents are the base the need
index counts, and a share carries over to raster cells, scaled populations and a
target year. The car share of households is applied to residents, an assumption the
report states (households without a car are smaller on average than those with one,
so it slightly overstates the residents without a car).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

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
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CensusTable:
    """A Census 2021 topic summary the planner reads."""

    code: str
    variable: str
    unit: str
    #: the categories (lower case, as the header has them after the variable) counted
    counted: tuple[str, ...]
    #: our name for the share of the total in ``counted``
    share: str


TABLES = {
    "health": CensusTable(
        "TS037", "General health", "usual residents",
        ("bad health", "very bad health"), "bad_health_share",
    ),
    "disability": CensusTable(
        "TS038", "Disability", "usual residents",
        ("disabled under the equality act: day-to-day activities limited a lot",),
        "disabled_a_lot_share",
    ),
    "cars": CensusTable(
        "TS045", "Number of cars or vans", "households",
        ("no cars or vans in household",), "no_car_share",
    ),
}  # fmt: skip


def read_census_table(path: Path, key: str, table: str) -> tuple[pd.DataFrame, Provenance]:
    """One Census 2021 topic summary in the Nomis layout.

    Parameters
    ----------
    path : pathlib.Path
        ``census2021-tsNNN-lsoa.csv`` (gzipped or not).
    key : str
        The scenario key (``demand.health``, ``demand.disability``, ``demand.cars``).
    table : {"health", "disability", "cars"}
        Which of :data:`TABLES` the file must be.

    Returns
    -------
    counts : pandas.DataFrame
        Index the ``geography code``; ``total`` and one column per category, named by
        the header after the variable, lower case (``bad health``, ``disabled under the
        equality act: day-to-day activities limited a lot``).
    record : Provenance
        ``layout`` names the table; ``counts`` notes rows whose top-level categories
        do not add up to the total.

    Raises
    ------
    InputDataError
        If the file is another table, has no ``geography code`` or holds text or
        negative numbers where counts belong.
    """
    spec = TABLES[table]
    frame = read_csv(path, key)
    record = provenance(key, path)
    record.rows_read = len(frame)
    code = pick_column(frame, path, "area code", ["geography code", "lsoa21cd", "lsoa code"])
    assert code is not None
    prefix = spec.variable.lower() + ":"
    columns = {
        c: c.split(":", 1)[1].strip().lower() for c in frame.columns if c.lower().startswith(prefix)
    }
    if not columns:
        found = sorted({c.split(":")[0] for c in frame.columns if ":" in c}) or list(
            frame.columns[:5]
        )
        raise InputDataError(
            f"{path}: not Census 2021 {spec.code} ({spec.variable}): expected columns like "
            f"'{spec.variable}: Total: ...' (scenario key {key}), found {', '.join(found)}; "
            f"download census2021-{spec.code.lower()}.zip from Nomis and give its -lsoa.csv"
        )
    totals = [c for c, short in columns.items() if short.startswith("total")]
    if not totals:
        raise InputDataError(
            f"{path}: no '{spec.variable}: Total: ...' column (scenario key {key})"
        )
    counts = pd.DataFrame({"id": clean_text(frame[code])})
    counts["total"] = numeric(frame, totals[0], path, id_column=code)
    for column, short in columns.items():
        if column != totals[0]:
            counts[short] = numeric(frame, column, path, id_column=code)
    negative = (counts.drop(columns="id") < 0).any(axis=1)
    if negative.any():
        raise InputDataError(
            f"{path}: negative counts for area(s) {', '.join(counts.loc[negative, 'id'][:10])}; "
            "fix those rows"
        )
    dupes = counts["id"][counts["id"].duplicated()].unique()
    if len(dupes):
        raise InputDataError(
            f"{path}: each area must appear once; repeated: {', '.join(dupes[:10])}"
        )
    counts = counts.set_index("id").sort_index()
    missing = [c for c in spec.counted if c not in counts.columns]
    if missing:
        raise InputDataError(
            f"{path}: {spec.code} has no column '{spec.variable}: {missing[0]}' (scenario key "
            f"{key}); the file is not the published table"
        )
    off = counts["total"] != top_level_sum(counts)
    if off.any():
        record.counts["noted: categories do not add up to the total"] = int(off.sum())
        logger.info("%s: %d rows whose categories do not add up to the total", path.name, off.sum())
    record.layout = f"Census 2021 {spec.code} ({spec.variable}, {spec.unit}), Nomis layout"
    record.rows_used = len(counts)
    return counts, record


def top_level_sum(counts: pd.DataFrame) -> pd.Series:
    """The sum of the top-level categories of a table from :func:`read_census_table`.

    A category is top level when no other category's name is its prefix (TS038's
    "disabled under the equality act: day-to-day activities limited a lot" is within
    "disabled under the equality act").

    Parameters
    ----------
    counts : pandas.DataFrame

    Returns
    -------
    pandas.Series
        Per area; equals ``total`` in a consistent table.
    """
    categories = [c for c in counts.columns if c != "total"]
    top = [c for c in categories if not any(c.startswith(o + ":") for o in categories if o != c)]
    return counts[top].sum(axis=1)


def census_shares(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The shares need and access use, from the tables read.

    Parameters
    ----------
    tables : dict
        ``"health"``, ``"disability"`` and/or ``"cars"`` -> :func:`read_census_table`.

    Returns
    -------
    pandas.DataFrame
        Index area code; ``bad_health_share``, ``disabled_a_lot_share`` and
        ``no_car_share`` (0 to 1; blank where the table was not given or the area's
        total is 0), and ``households`` and ``households_no_car`` from TS045.
    """
    index = pd.Index(sorted(set().union(*(t.index for t in tables.values()))), name="id")
    out = pd.DataFrame(index=index)
    for name, spec in TABLES.items():
        counts = tables.get(name)
        if counts is None:
            out[spec.share] = np.nan
            continue
        counted = counts[list(spec.counted)].sum(axis=1)
        total = counts["total"].where(counts["total"] > 0)
        out[spec.share] = (counted / total).reindex(index)
    cars = tables.get("cars")
    out["households"] = np.nan if cars is None else cars["total"].reindex(index)
    out["households_no_car"] = (
        np.nan if cars is None else cars[list(TABLES["cars"].counted)].sum(axis=1).reindex(index)
    )
    return out
