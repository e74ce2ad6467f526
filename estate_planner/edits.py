"""What-if edits applied to the inputs: close or open services, add housing, scale
population, exclude or force candidates. Each edit names what it changes; an id that
matches nothing is an error with a suggestion, never a silent no-op.
"""

from __future__ import annotations

import functools
import logging

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from estate_planner._errors import ScenarioError, did_you_mean
from estate_planner.scenario import EditConfig

logger = logging.getLogger(__name__)


@functools.cache
def _to_bng() -> Transformer:
    # built on first use: a transformer takes ~40 ms, and most runs have no edits
    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def _point(edit: EditConfig) -> tuple[float, float]:
    x, y = _to_bng().transform(edit.longitude, edit.latitude)
    return float(x), float(y)


def _check_ids(edit: EditConfig, known: pd.Series, what: str) -> None:
    unknown = [i for i in edit.ids if i not in set(known)]
    if unknown:
        hint = did_you_mean(unknown[0], known.astype(str))
        raise ScenarioError(
            f"edit {edit.action!r}: no {what} with id {', '.join(unknown)}{hint} "
            f"(ids are in the {what} file's id column)"
        )


def apply_to_estate(
    services: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame, edits: list[EditConfig]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The services and candidates after a what-if's edits to the estate.

    Parameters
    ----------
    services : geopandas.GeoDataFrame
        Existing services (``service_id``, ``kind``, ...).
    candidates : geopandas.GeoDataFrame
        Candidate sites (``site_id``, ...).
    edits : list of EditConfig
        ``close_service``, ``open_service``, ``exclude_candidate``, ``force_candidate``
        and population edits (the last are :func:`apply_to_population`'s).

    Returns
    -------
    services, candidates
        New frames; candidates gain ``edit_excluded`` and ``forced``.

    Raises
    ------
    ScenarioError
        If an edit names an id that is not there (with the nearest id as a hint).
    """
    services = services.copy()
    candidates = candidates.copy()
    candidates["edit_excluded"] = False
    candidates["forced"] = False
    for n, edit in enumerate(edits, start=1):
        if edit.action == "close_service":
            _check_ids(edit, services["service_id"], "service")
            services = services[~services["service_id"].isin(edit.ids)]
        elif edit.action == "open_service":
            x, y = _point(edit)
            row = gpd.GeoDataFrame(
                {"service_id": [f"new-{n}"], "name": [edit.name], "kind": [edit.kind],
                 "capacity": [np.nan], "counts": [True]},
                geometry=gpd.points_from_xy([x], [y]), crs=services.crs,
            )  # fmt: skip
            services = pd.concat([services, row], ignore_index=True)
        elif edit.action in ("exclude_candidate", "force_candidate"):
            _check_ids(edit, candidates["site_id"], "candidate")
            column = "edit_excluded" if edit.action == "exclude_candidate" else "forced"
            candidates.loc[candidates["site_id"].isin(edit.ids), column] = True
    services = gpd.GeoDataFrame(services, geometry="geometry", crs=candidates.crs)
    return services.reset_index(drop=True), candidates


def apply_to_population(
    population: pd.DataFrame, areas: gpd.GeoDataFrame, deprivation: pd.DataFrame | None,
    edits: list[EditConfig],
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, pd.DataFrame | None]:  # fmt: skip
    """Population scaled by area, and developments added as new small areas.

    A development becomes an area of its own (id ``development-<n>``) with one demand
    point at its location, so its people are placed exactly where it is built.

    Parameters
    ----------
    population : pandas.DataFrame
        ``id``, ``population``, ``age_65_plus`` per area.
    areas : geopandas.GeoDataFrame
        The small areas.
    deprivation : pandas.DataFrame or None
        IMD per area (a development takes its surrounding area's).
    edits : list of EditConfig
        ``scale_population`` and ``add_development`` edits (others are ignored).

    Returns
    -------
    population, areas, deprivation
        New frames.
    """
    population = population.copy()
    for n, edit in enumerate(edits, start=1):
        if edit.action == "scale_population":
            if edit.ids:
                _check_ids(edit, areas["id"], "area")
            rows = population.index.isin(edit.ids) if edit.ids else slice(None)
            population.loc[rows, ["population", "age_65_plus"]] *= edit.factor
        elif edit.action == "add_development":
            areas, population, deprivation = _add_development(
                n, edit, areas, population, deprivation
            )
    return population, areas, deprivation


def _add_development(
    n: int, edit: EditConfig, areas: gpd.GeoDataFrame, population: pd.DataFrame,
    deprivation: pd.DataFrame | None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame | None]:  # fmt: skip
    x, y = _point(edit)
    point = gpd.points_from_xy([x], [y])[0]
    host = areas[areas.geometry.contains(point)]
    area_id = f"development-{n}"
    people = float(edit.homes or 0) * edit.persons_per_home
    name = edit.name or f"{edit.homes} new homes"
    new_area = gpd.GeoDataFrame({"id": [area_id], "name": [name]}, geometry=[point], crs=areas.crs)
    areas = pd.concat([areas, new_area], ignore_index=True)
    population.loc[area_id, ["population", "age_65_plus"]] = [people, people * edit.share_65_plus]
    if deprivation is not None:
        decile = float(edit.imd_decile) if edit.imd_decile else np.nan
        rank = np.nan
        if not edit.imd_decile and len(host):
            decile, rank = deprivation.loc[host["id"].iloc[0], ["imd_decile", "imd_rank"]]
        deprivation = deprivation.copy()
        deprivation.loc[area_id, ["imd_decile", "imd_rank"]] = [decile, rank]
    logger.info("development %s: %.0f people in %s", area_id, people,
                host["id"].iloc[0] if len(host) else "no area")  # fmt: skip
    return gpd.GeoDataFrame(areas, geometry="geometry", crs=new_area.crs), population, deprivation
