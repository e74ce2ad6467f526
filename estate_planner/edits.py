"""What-if edits applied to the inputs: close or open services, add housing, scale
population, exclude or force candidates. Each edit names what it changes; an id that
matches nothing is an error with a suggestion, never a silent no-op.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

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
    edits: list[EditConfig], census: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, pd.DataFrame | None, pd.DataFrame | None]:  # fmt: skip
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
    census : pandas.DataFrame, optional
        Census 2021 shares per area (a development takes its surrounding area's).

    Returns
    -------
    population, areas, deprivation, census
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
            x, y = _point(edit)
            people = float(edit.homes or 0) * edit.persons_per_home
            areas, population, deprivation, census = add_area(
                f"development-{n}", edit.name or f"{edit.homes} new homes",
                gpd.points_from_xy([x], [y])[0], people, people * edit.share_65_plus,
                areas=areas, population=population, deprivation=deprivation, census=census,
                imd_decile=edit.imd_decile,
            )  # fmt: skip
    return population, areas, deprivation, census


def add_area(
    area_id: str, name: str, point: Any, people: float, older: float, *,
    areas: gpd.GeoDataFrame, population: pd.DataFrame, deprivation: pd.DataFrame | None,
    census: pd.DataFrame | None, imd_decile: int | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:  # fmt: skip
    """A new small area of ``people`` at ``point`` (a development, a housing site).

    It takes the deprivation and Census shares of the area it lies in (blank outside
    every area), unless ``imd_decile`` is given.

    Parameters
    ----------
    area_id, name : str
    point : shapely.Point
        In the areas' CRS.
    people, older : float
        Residents, and of them aged 65+.
    areas, population, deprivation, census
        As :func:`apply_to_population`.
    imd_decile : int, optional

    Returns
    -------
    areas, population, deprivation, census
        New frames with the area added.
    """
    host = areas[areas.geometry.contains(point)]
    host_id = host["id"].iloc[0] if len(host) else None
    new_area = gpd.GeoDataFrame({"id": [area_id], "name": [name]}, geometry=[point], crs=areas.crs)
    areas = gpd.GeoDataFrame(pd.concat([areas, new_area], ignore_index=True), crs=areas.crs)
    population = population.astype({"population": float, "age_65_plus": float})
    population.loc[area_id, ["population", "age_65_plus"]] = [people, older]
    if deprivation is not None:
        deprivation = deprivation.copy()
        if imd_decile:
            deprivation.loc[area_id, ["imd_decile", "imd_rank"]] = [float(imd_decile), np.nan]
        elif host_id is not None and host_id in deprivation.index:
            deprivation.loc[area_id] = deprivation.loc[host_id]
        else:
            deprivation.loc[area_id, "imd_decile"] = np.nan
    if census is not None:
        census = census.copy()
        if host_id is not None and host_id in census.index:
            census.loc[area_id] = census.loc[host_id]
        else:
            census.loc[area_id] = np.nan
    logger.info("%s: %.0f people in %s", area_id, people, host_id or "no area")
    return areas, population, deprivation, census


def population_in(
    year: int,
    population: pd.DataFrame,
    areas: gpd.GeoDataFrame,
    deprivation: pd.DataFrame | None,
    census: pd.DataFrame | None = None,
    *,
    factors: pd.DataFrame | None = None,
    area_groups: pd.Series | None = None,
    sites: gpd.GeoDataFrame | None = None,
    persons_per_dwelling: float = 2.4,
    share_65_plus: float = 0.18,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    """The population of ``year``, from the scenario's base population.

    Each area's people under 65 and aged 65+ are multiplied by the growth of that age
    band in its projection area (its local authority, through ``area_groups``; or the
    area itself, where the projections are by small area; or the one area a table
    has). Each housing site complete by ``year`` becomes an area of its own (id
    ``housing-<site_id>``) of ``dwellings x persons_per_dwelling`` residents, of whom
    ``share_65_plus`` are 65+, with the deprivation and Census shares of the area it
    stands in. Today's figures are kept as ``population_base`` and
    ``age_65_plus_base`` (0 for the new sites).

    Projections by authority already carry the growth their authors expected from
    housing; sites added on top are new people only where the projection did not
    count them (a judgement the report leaves to the analyst, and says so).

    Parameters
    ----------
    year : int
        The target year.
    population : pandas.DataFrame
        ``population`` and ``age_65_plus`` by area id (the base year's).
    areas, deprivation, census
        As :func:`apply_to_population`.
    factors : pandas.DataFrame, optional
        From :func:`estate_planner.sources.projections.growth_factors`.
    area_groups : pandas.Series, optional
        Area id -> projection area code (the lookup's local authority).
    sites : geopandas.GeoDataFrame, optional
        From :func:`estate_planner.sources.projections.read_housing`.
    persons_per_dwelling, share_65_plus : float

    Returns
    -------
    population, areas, deprivation, census
        New frames.

    Raises
    ------
    ScenarioError
        If an area has no projection, naming it and its projection area.

    Examples
    --------
    An area of 1,000 people, 200 of them 65+, whose authority grows 5% under 65 and
    30% from 65: 800 x 1.05 + 200 x 1.3 = 840 + 260 = 1,100 people.
    """
    population = population.astype({"population": float, "age_65_plus": float})
    population["population_base"] = population["population"]
    population["age_65_plus_base"] = population["age_65_plus"]
    if factors is not None:
        # the study's areas only: a national population file holds every other area too
        ids = population.index.intersection(pd.Index(areas["id"]))
        keys = _projection_keys(ids, factors, area_groups)
        grow = factors.reindex(keys.to_numpy())
        grow.index = ids
        missing = grow.isna().any(axis=1)
        if missing.any():
            pairs = zip(ids[missing][:10], keys[missing.to_numpy()][:10], strict=True)
            shown = ", ".join(f"{a} ({k})" for a, k in pairs)
            raise ScenarioError(
                f"demand.projections: no projection for {year} for area(s) {shown}; the "
                "table's areas are " + ", ".join(map(str, factors.index[:5]))
                + " (projection area in brackets; give a table that covers them)"
            )
        now = population.loc[ids]
        older = now["age_65_plus"] * grow["age_65_plus"]
        under = (now["population"] - now["age_65_plus"]) * grow["under_65"]
        population.loc[ids, "age_65_plus"] = older
        population.loc[ids, "population"] = under + older
    if sites is not None:
        due = sites[sites["year"] <= year]
        later = len(sites) - len(due)
        if later:
            logger.info("%d housing sites complete after %d are left out", later, year)
        for site in due.itertuples():
            people = float(site.dwellings) * persons_per_dwelling
            name = f"{site.name} ({site.dwellings:,.0f} homes by {site.year:.0f})"
            areas, population, deprivation, census = add_area(
                f"housing-{site.site_id}", name, site.geometry, people, people * share_65_plus,
                areas=areas, population=population, deprivation=deprivation, census=census,
            )  # fmt: skip
            population.loc[f"housing-{site.site_id}", ["population_base", "age_65_plus_base"]] = 0.0
    return population, areas, deprivation, census


def _projection_keys(
    ids: pd.Index, factors: pd.DataFrame, area_groups: pd.Series | None
) -> pd.Series:
    """Each area's row of ``factors``: its own code, its authority, or the one row."""
    own = pd.Series(ids, index=ids)
    if own.isin(factors.index).all():
        return own
    if area_groups is not None:
        return area_groups.reindex(ids).fillna(own)
    if len(factors) == 1:
        return pd.Series(factors.index[0], index=ids)
    raise ScenarioError(
        "demand.projections: the table is by " + ", ".join(map(str, factors.index[:5]))
        + " but the areas' authorities are not known; give demand.lookup (the ONS "
        "LSOA 2011 -> 2021 -> LAD lookup) so each area is matched to its local authority"
    )
