"""``ranking.csv`` and ``results.gpkg``: the answer as tables and layers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from estate_planner.scenario import CRITERIA
from estate_planner.sources.estate import availability_states

if TYPE_CHECKING:  # outputs depend on a run's results, never on the pipeline
    from estate_planner.results import RunResult

RANKING_COLUMNS = [
    "rank",
    "site_id",
    "name",
    "kind",
    "use",
    "source",
    "source_id",
    "uprn",
    "address",
    "postcode",
    "score",
    "selected",
    "selection_order",
    "marginal_gain",
    "excluded_reason",
    "low_reach",
    "need_reached",
    "unmet_need_reached",
    "deprivation_reached",
    "floor_area_m2",
    "floor_area_source",
    "spare_floor_area_m2",
    "annual_cost_gbp",
    "availability",
    "availability_source",
    "availability_date",
    "in_town_centre",
    "deprived_share_reached",
    "rank_min",
    "rank_max",
    "p_top_k",
    "stable",
    *[f"criterion_{c}" for c in CRITERIA],
    *[f"contribution_{c}" for c in CRITERIA],
    "note",
]


def ranking_table(result: RunResult) -> pd.DataFrame:
    """One row per candidate, best first; excluded sites last, with their reason.

    ``rank_min``/``rank_max``/``p_top_k``/``stable`` come from the weight-sensitivity
    runs (blank when ``scoring.sensitivity_runs = 0``).

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`RANKING_COLUMNS`.
    """
    frame = pd.DataFrame(result.candidates.reindex(columns=RANKING_COLUMNS))
    # available, not available or not known, from the numeric fact where a run predates
    # the words
    if frame["availability"].isna().all() and "available" in result.candidates:
        frame["availability"] = availability_states(result.candidates["available"])
    frame = frame.assign(_unranked=frame["rank"].isna())
    frame = frame.sort_values(["_unranked", "rank", "site_id"], kind="stable")
    return frame.drop(columns="_unranked").reset_index(drop=True)


def write_ranking(result: RunResult, path: Path) -> None:
    """Write ``ranking.csv`` (six decimals: the same bytes for the same inputs).

    Parameters
    ----------
    result : RunResult
    path : pathlib.Path
    """
    ranking_table(result).to_csv(path, index=False, float_format="%.6f", lineterminator="\n")


def _demand_layer(result: RunResult) -> gpd.GeoDataFrame:
    """Demand points with need and travel times per mode."""
    columns = [
        "id",
        "area_id",
        "name",
        "population",
        "age_65_plus",
        "imd_decile",
        "need",
        "unmet_need",
    ]
    for mode in result.scenario.network.modes:
        columns += [
            f"minutes_to_service_{mode}",
            f"minutes_to_hub_{mode}",
            f"covered_{mode}",
            f"e2sfca_{mode}",
            f"e2sfca_with_hubs_{mode}",
        ]
    if "served_by" in result.demand:
        columns.append("served_by")  # the service or hub serving most of its people
    return gpd.GeoDataFrame(
        result.demand[[*columns, "geometry"]], geometry="geometry", crs=result.demand.crs
    )


def write_geopackage(result: RunResult, path: Path) -> None:
    """Write layers ``candidates``, ``demand``, ``services`` and ``catchments`` (EPSG:27700).

    Parameters
    ----------
    result : RunResult
    path : pathlib.Path
    """
    candidates = result.candidates.reindex(columns=[*RANKING_COLUMNS, "geometry"])
    layers = {
        "candidates": gpd.GeoDataFrame(candidates, geometry="geometry", crs=result.candidates.crs),
        "demand": _demand_layer(result),
        "services": result.services[["service_id", "name", "kind", "capacity", "geometry"]],
        "catchments": result.catchments[result.catchments.geometry.notna()],
    }
    for name, layer in layers.items():
        layer = layer.copy()
        for column in layer.columns:
            if str(layer[column].dtype) in ("Int64", "boolean"):
                layer[column] = layer[column].astype("float64")
        layer.to_file(path, layer=name, driver="GPKG")
