"""Need per demand point: who lives there, how old, how deprived, how ill.

``need = w_population x population + w_age_65_plus x people aged 65+
+ w_imd_decile_1_2 x population if the area is in IMD deciles 1-2``
+ ``w_bad_health x residents in bad or very bad health``
+ ``w_disabled_a_lot x residents disabled, day-to-day activities limited a lot``
+ per IoD domain (income, health, barriers): ``w_<domain>_decile_1_2 x population if
the area is in that domain's deciles 1-2``.

With the default weights (1, 0.5, 0.5) an area of 1,500 people, 300 of them 65+,
in IMD decile 2 has need 1,500 + 0.5 x 300 + 0.5 x 1,500 = 2,400. Weighing also
bad health 0.5 where 4% (60 people) are in bad or very bad health adds 0.5 x 60 = 30.

Health counts twice when both the Census counts (``bad_health``, ``disabled_a_lot``)
and IoD's Health Deprivation and Disability domain (``health_decile_1_2``) are
weighted: the domain is built from illness and disability rates. The Census counts are
the ones to use (they count the people themselves); :func:`overlap_warning` says so.
"""

from __future__ import annotations

import logging
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd

from estate_planner._errors import EstatePlannerWarning, InputDataError

logger = logging.getLogger(__name__)


#: deprivation columns carried to each demand point (NaN where the file lacks them)
DEPRIVATION_COLUMNS = (
    "imd_decile", "imd_rank", "income_decile", "health_decile", "barriers_decile"
)  # fmt: skip
#: Census 2021 shares carried to each demand point (see :mod:`estate_planner.sources.census`)
CENSUS_SHARES = ("bad_health_share", "disabled_a_lot_share", "no_car_share")


def demand_points(
    areas: gpd.GeoDataFrame,
    population: pd.DataFrame,
    deprivation: pd.DataFrame | None,
    cells: gpd.GeoDataFrame | None = None,
    *,
    census: pd.DataFrame | None = None,
    index: str = "IMD",
) -> gpd.GeoDataFrame:
    """Demand points carrying each area's population, 65+, IMD and Census shares.

    Without ``cells``, one point per area at ``representative_point`` (always inside
    the polygon, unlike a centroid). With populated raster ``cells``, one point per
    cell: the area's Census population is shared among its cells in proportion to the
    raster, so the points follow where people live and still total the Census. An area
    with no populated cell keeps one representative point.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        ``id``, ``name`` and polygon or point geometry per small area, in BNG.
    population : pandas.DataFrame
        ``id``, ``population`` and ``age_65_plus`` per area.
    deprivation : pandas.DataFrame or None
        Indexed by area id: ``imd_decile``, ``imd_rank`` and, where known, the domain
        deciles ``income_decile``, ``health_decile``, ``barriers_decile``.
    cells : geopandas.GeoDataFrame, optional
        Raster cells with ``id`` (their area) and ``people``.
    census : pandas.DataFrame, optional
        Indexed by area id: ``bad_health_share``, ``disabled_a_lot_share``,
        ``no_car_share`` (0 to 1).
    index : str
        The deprivation index's name and edition ("IoD 2025"), for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id`` (area id, or ``<area>/<n>`` per cell), ``area_id``, ``name``,
        ``population``, ``age_65_plus``, the :data:`DEPRIVATION_COLUMNS`, ``bad_health``
        and ``disabled_a_lot`` (residents: the area's share times the point's
        population), ``no_car_share`` (the area's share of households without a car,
        taken as the share of its residents) and points. Unknown values are NaN.

    Raises
    ------
    InputDataError
        If no area has a population row (the codes match nothing).
    """
    ids = pd.Index(areas["id"])
    matched = ids.isin(population.index)
    if not matched.any():
        raise InputDataError(
            "no demand area id matches the population file (e.g. area "
            f"{ids[0]!r}, population {population.index[0]!r}); check demand.id_column and "
            "that both files use the same LSOA vintage (2011 or 2021)"
        )
    if not matched.all():
        warnings.warn(
            f"dropped {int((~matched).sum())} demand areas with no population row: "
            f"{', '.join(ids[~matched][:10])}",
            EstatePlannerWarning,
            stacklevel=2,
        )
    kept = areas[matched].reset_index(drop=True)
    pop = population.reindex(kept["id"])
    if deprivation is None:
        imd = pd.DataFrame(dict.fromkeys(DEPRIVATION_COLUMNS, np.nan), index=kept["id"])
    else:
        imd = deprivation.reindex(columns=list(DEPRIVATION_COLUMNS)).reindex(kept["id"])
        no_imd = imd["imd_decile"].isna()
        if no_imd.any():
            hint = (
                " (give demand.lookup to join LSOA 2011 IMD to 2021 areas)"
                if "2019" in index
                else ""
            )
            warnings.warn(
                f"{int(no_imd.sum())} demand areas have no {index} row and count as not "
                f"deprived: {', '.join(kept['id'][no_imd.to_numpy()][:10])}{hint}",
                EstatePlannerWarning,
                stacklevel=2,
            )
    shares = (
        census.reindex(columns=list(CENSUS_SHARES)).reindex(kept["id"])
        if census is not None
        else pd.DataFrame(dict.fromkeys(CENSUS_SHARES, np.nan), index=kept["id"])
    )
    if census is not None:
        unknown = shares.isna().all(axis=1)
        if unknown.any():
            warnings.warn(
                f"{int(unknown.sum())} demand areas have no Census 2021 health, disability or "
                f"car row (their shares are not known): "
                f"{', '.join(kept['id'][unknown.to_numpy()][:10])}; Census tables are by "
                "LSOA 2021 code",
                EstatePlannerWarning,
                stacklevel=2,
            )
    geometry = kept.geometry
    polygonal = geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    points = geometry.where(~polygonal, geometry.representative_point())
    people = pop["population"].to_numpy(dtype=float)
    # today's figures beside a target year's (population_to_come)
    base = {c: pop[c].to_numpy(dtype=float) for c in _BASE if c in pop.columns}
    per_area = gpd.GeoDataFrame(
        {
            "id": kept["id"].to_numpy(),
            "area_id": kept["id"].to_numpy(),
            "name": kept["name"].to_numpy(),
            "population": people,
            "age_65_plus": pop["age_65_plus"].to_numpy(dtype=float),
            **{c: imd[c].to_numpy(dtype=float, na_value=np.nan) for c in DEPRIVATION_COLUMNS},
            "bad_health": people * shares["bad_health_share"].to_numpy(dtype=float),
            "disabled_a_lot": people * shares["disabled_a_lot_share"].to_numpy(dtype=float),
            "no_car_share": shares["no_car_share"].to_numpy(dtype=float),
            **base,
        },
        geometry=points.to_numpy(),
        crs=kept.crs,
    )
    if cells is None:
        return per_area
    return _spread_over_cells(per_area, cells, polygonal.to_numpy())


#: counts shared among an area's cells, and values each cell takes from its area
_COUNTS = ("population", "age_65_plus", "bad_health", "disabled_a_lot")
_BASE = ("population_base", "age_65_plus_base")
_PER_AREA = (*DEPRIVATION_COLUMNS, "no_car_share")


def _spread_over_cells(
    per_area: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, polygonal: np.ndarray
) -> gpd.GeoDataFrame:
    cells = cells[cells["id"].isin(per_area["id"])].copy()
    share = cells["people"] / cells.groupby("id")["people"].transform("sum")
    base = per_area.set_index("id").loc[cells["id"]]
    spread = gpd.GeoDataFrame(
        {
            "id": cells["id"].to_numpy()
            + "/"
            + cells.groupby("id").cumcount().add(1).astype(str).to_numpy(),
            "area_id": cells["id"].to_numpy(),
            "name": base["name"].to_numpy(),
            **{
                c: base[c].to_numpy() * share.to_numpy()
                for c in (*_COUNTS, *_BASE)
                if c in base.columns
            },
            **{c: base[c].to_numpy() for c in _PER_AREA},
        },
        geometry=cells.geometry.to_numpy(),
        crs=per_area.crs,
    )
    empty = ~per_area["id"].isin(cells["id"])
    if (empty & polygonal).any():  # areas given as points keep their point: no warning
        warnings.warn(
            f"{int((empty & polygonal).sum())} areas have no populated raster cell and keep one "
            f"point inside the area: {', '.join(per_area.loc[empty & polygonal, 'id'][:10])}",
            EstatePlannerWarning,
            stacklevel=3,
        )
    both = pd.concat([spread, per_area[empty]], ignore_index=True)
    return (
        gpd.GeoDataFrame(both, geometry="geometry", crs=per_area.crs)
        .sort_values("id", kind="stable")
        .reset_index(drop=True)
    )


#: "most deprived" means IMD deciles 1 to this one (the fifth of areas most deprived)
MOST_DEPRIVED_DECILE = 2


def most_deprived(deciles: pd.Series | np.ndarray) -> np.ndarray:
    """Whether each IMD decile is among the most deprived (unknown deciles are not).

    Parameters
    ----------
    deciles : array-like
        IMD deciles, 1 most deprived; NaN where unknown.

    Returns
    -------
    numpy.ndarray of bool
        True for deciles 1 to :data:`MOST_DEPRIVED_DECILE`.

    Examples
    --------
    >>> most_deprived(np.array([1, 2, 3, np.nan])).tolist()
    [True, True, False, False]
    """
    values = np.asarray(deciles, dtype=float)
    return np.nan_to_num(values, nan=99) <= MOST_DEPRIVED_DECILE


def need_index(demand: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    """Need of each demand point (see the module docstring for the formula).

    Parameters
    ----------
    demand : pandas.DataFrame
        ``population``, ``age_65_plus`` and ``imd_decile`` per demand point; for the
        other factors ``bad_health``, ``disabled_a_lot`` and ``<domain>_decile``.
    weights : dict
        Weight of each factor of :data:`estate_planner.scenario.NEED_FACTORS`
        (``population``, ``age_65_plus``, ``imd_decile_1_2``, ``income_decile_1_2``,
        ``health_decile_1_2``, ``barriers_decile_1_2``, ``bad_health``,
        ``disabled_a_lot``); missing factors weigh 0, and so do unknown values.

    Returns
    -------
    numpy.ndarray
        One need value per row of ``demand``.

    Raises
    ------
    InputDataError
        If a weighted factor's column is missing from ``demand``.
    """
    population = demand["population"].to_numpy(dtype=float)
    need = np.zeros(len(demand))
    for factor, weight in weights.items():
        if not weight:
            continue
        if factor.endswith("_decile_1_2"):
            column = factor.removesuffix("_1_2")
            values = population * most_deprived(_column(demand, column, factor))
        else:
            values = np.nan_to_num(_column(demand, factor, factor), nan=0.0)
        need += weight * values
    return need


def _column(demand: pd.DataFrame, column: str, factor: str) -> np.ndarray:
    if column not in demand.columns:
        raise InputDataError(
            f"need factor {factor!r} is weighted but the demand points have no {column!r}; "
            "give the input it comes from or weigh it 0"
        )
    return demand[column].to_numpy(dtype=float)


def unknown_factors(demand: pd.DataFrame, weights: dict[str, float], *, index: str) -> list[str]:
    """One line per weighted factor not known for some demand points.

    Parameters
    ----------
    demand : pandas.DataFrame
        From :func:`demand_points`.
    weights : dict
        The need weights.
    index : str
        The deprivation index's name and edition, for the message.

    Returns
    -------
    list of str
        "health_decile_1_2: not known for 26 of 26 areas (IoD 2019 File 1 has no
        domains); they count as not deprived", ...
    """
    lines = []
    for factor, weight in weights.items():
        if not weight or factor in ("population", "age_65_plus", "imd_decile_1_2"):
            continue
        column = factor.removesuffix("_1_2")
        if column not in demand.columns:
            continue
        unknown = demand.loc[demand[column].isna(), "area_id"].nunique()
        if unknown:
            source = (
                f"{index} as read has no such domain decile (IoD File 2 or 7 has them)"
                if factor.endswith("_decile_1_2")
                else "the Census 2021 table has no row for them"
            )
            lines.append(
                f"need factor {factor}: not known for {unknown} of "
                f"{demand['area_id'].nunique()} areas ({source}); they add nothing to need"
            )
    return lines


def overlap_warning(weights: dict[str, float]) -> str:
    """A warning when health is weighted twice, else "".

    Parameters
    ----------
    weights : dict
        The need weights.

    Returns
    -------
    str
    """
    census = [f for f in ("bad_health", "disabled_a_lot") if weights.get(f)]
    if weights.get("health_decile_1_2") and census:
        return (
            f"need weighs both IoD's Health Deprivation and Disability domain "
            f"(health_decile_1_2) and Census 2021 health counts ({', '.join(census)}): they "
            "measure much the same thing (the domain is built from illness and disability "
            "rates), so health counts twice; weigh health_decile_1_2 0 to use the Census "
            "counts alone (the default)"
        )
    return ""
