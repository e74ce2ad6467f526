"""Need per demand point: who lives there, how old, how deprived.

``need = w_population x population + w_age_65_plus x people aged 65+
+ w_imd_decile_1_2 x population if the area is in IMD deciles 1-2``.

With the default weights (1, 0.5, 0.5) an area of 1,500 people, 300 of them 65+,
in IMD decile 2 has need 1,500 + 0.5 x 300 + 0.5 x 1,500 = 2,400.
"""

from __future__ import annotations

import logging
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd

from estate_planner._errors import EstatePlannerWarning, InputDataError

logger = logging.getLogger(__name__)


def demand_points(
    areas: gpd.GeoDataFrame,
    population: pd.DataFrame,
    deprivation: pd.DataFrame | None,
    cells: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Demand points carrying each area's population, 65+ and IMD.

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
        ``id``, ``imd_decile`` and ``imd_rank`` per area.
    cells : geopandas.GeoDataFrame, optional
        Raster cells with ``id`` (their area) and ``people``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id`` (area id, or ``<area>/<n>`` per cell), ``area_id``, ``name``,
        ``population``, ``age_65_plus``, ``imd_decile``, ``imd_rank`` and points.

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
        imd = pd.DataFrame({"imd_decile": np.nan, "imd_rank": np.nan}, index=kept["id"])
    else:
        imd = deprivation.reindex(kept["id"])
        no_imd = imd["imd_decile"].isna()
        if no_imd.any():
            warnings.warn(
                f"{int(no_imd.sum())} demand areas have no IMD 2019 row and count as not "
                f"deprived: {', '.join(kept['id'][no_imd.to_numpy()][:10])} (give demand.lookup "
                "to join LSOA 2011 IMD to 2021 areas)",
                EstatePlannerWarning,
                stacklevel=2,
            )
    geometry = kept.geometry
    polygonal = geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    points = geometry.where(~polygonal, geometry.representative_point())
    per_area = gpd.GeoDataFrame(
        {
            "id": kept["id"].to_numpy(),
            "area_id": kept["id"].to_numpy(),
            "name": kept["name"].to_numpy(),
            "population": pop["population"].to_numpy(dtype=float),
            "age_65_plus": pop["age_65_plus"].to_numpy(dtype=float),
            "imd_decile": imd["imd_decile"].to_numpy(dtype=float),
            "imd_rank": imd["imd_rank"].to_numpy(dtype=float),
        },
        geometry=points.to_numpy(),
        crs=kept.crs,
    )
    if cells is None:
        return per_area
    return _spread_over_cells(per_area, cells, polygonal.to_numpy())


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
            "population": base["population"].to_numpy() * share.to_numpy(),
            "age_65_plus": base["age_65_plus"].to_numpy() * share.to_numpy(),
            "imd_decile": base["imd_decile"].to_numpy(),
            "imd_rank": base["imd_rank"].to_numpy(),
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
        ``population``, ``age_65_plus`` and ``imd_decile`` per demand point.
    weights : dict
        Weight of ``population``, ``age_65_plus`` and ``imd_decile_1_2`` (people in
        the most deprived fifth of areas); missing factors weigh 0.

    Returns
    -------
    numpy.ndarray
        One need value per row of ``demand``.
    """
    deprived = most_deprived(demand["imd_decile"])
    population = demand["population"].to_numpy(dtype=float)
    return (
        weights.get("population", 0.0) * population
        + weights.get("age_65_plus", 0.0) * demand["age_65_plus"].to_numpy(dtype=float)
        + weights.get("imd_decile_1_2", 0.0) * population * deprived
    )
