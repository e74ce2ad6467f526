"""What the map, the report and the static map share: credits, need classes and the
per-area summary. Kept apart from :mod:`maps` so the static map does not load folium."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from estate_planner.pipeline import RunResult

NEED_COLOURS = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"]
CREDITS = (
    "Streets © OpenStreetMap contributors (ODbL). Boundaries and population: ONS, "
    "OGL v3.0; contains OS data © Crown copyright. IMD 2019: MHCLG, OGL v3.0. "
    "Services: NHS Digital / NHS.UK, OGL v3.0."
)


def area_summary(result: RunResult) -> gpd.GeoDataFrame:
    """Per small area: population, 65+, IMD decile, need and nearest-service time."""
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
    # LSOAs hold similar numbers of people by design, so need per resident (age and
    # deprivation) says more on a map than the total.
    grouped["need_per_resident"] = grouped["need"] / grouped["population"]
    areas = result.inputs.areas.set_index("id")
    summary = gpd.GeoDataFrame(
        grouped.join(areas[["name", "geometry"]]), geometry="geometry", crs=areas.crs
    )
    summary["geometry"] = summary.geometry.simplify(15)
    return summary.reset_index(names="area_id")


def need_classes(values: pd.Series, n: int = 5) -> tuple[np.ndarray, list[float]]:
    """Quantile classes of ``values`` (up to ``n``) and the class edges."""
    edges = np.unique(np.quantile(values, np.linspace(0, 1, n + 1)))
    if len(edges) < 2:
        return np.zeros(len(values), int), [float(values.min()), float(values.max())]
    classes = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
    return classes, [float(e) for e in edges]
