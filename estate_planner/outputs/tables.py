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
    runs of the ranking: ``p_top_k`` is the share of ``scoring.sensitivity_runs`` draws
    of the score weights (each moved by up to ``scoring.sensitivity_spread``) in which
    the site ranks in the top ``selection.hubs`` (blank when there are no runs). How sure
    the chosen set is, is ``hubs.csv``'s.

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


def hubs_table(result: RunResult) -> pd.DataFrame:
    """The one per-hub table: one row per chosen hub, one column per certainty change.

    ``chosen_<change>`` says whether the hub is chosen when that one assumption changes
    (the threshold band, one point per area, only GP practices counting, every draw of
    the need weights; blank where the change does not apply);
    ``people_only_this_hub_reaches*`` the people (head counts) only it brings within
    reach, as chosen and across the threshold band; ``near_threshold_share`` the share
    of them within the margin of the threshold and ``depends_on_threshold`` whether
    that is most of them; ``stable`` whether it is chosen under every change and does
    not depend on the threshold; its best substitute and the people lost if it proves
    unavailable; and its availability and floor area with their sources. With the
    economic case (``[appraisal]``), the columns of :data:`ECONOMIC_COLUMNS` follow: the
    people it serves by age band and IMD decile, the floor area they need and whether
    the building fits, the estate option, and its capital and net present cost.

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    pandas.DataFrame
        Empty (no columns) when no certainty check was run.
    """
    decision = result.decision
    table = pd.DataFrame() if decision is None else decision.hubs.copy()
    economic = _economic_columns(result)
    if economic is None:
        return table
    if not len(table.columns):
        return economic
    table["site_id"] = table["site_id"].astype(str)
    return table.merge(economic, on="site_id", how="left", validate="one_to_one")


#: The per-hub table's economic columns (from the run's appraisal): output name ->
#: (unit, meaning). docs/guide/business-case.md lists them; every money figure is
#: indicative, at year-0 prices.
ECONOMIC_COLUMNS: dict[str, tuple[str, str]] = {
    "people_served": ("people", "residents assigned to the hub (served_by), all ages"),
    "people_served_under_65": ("people", "of them aged under 65"),
    "people_served_65_plus": ("people", "of them aged 65 and over"),
    **{
        f"people_served_imd_decile_{d}": ("people", f"of them living in IMD decile {d}")
        for d in range(1, 11)
    },
    "required_gia_m2": ("m²", "gross internal area the people served need (sizing)"),
    "fit": ("text", '"fits", "short by N m²" or "floor area not known"'),
    "floor_area_basis": ("text", "measured, estimated, as listed or not known"),
    "estate_option": ("text", "refurbish, extend, new build or too small"),
    "capital_gbp": ("£", "capital at year 0, undiscounted, before optimism bias"),
    "rent_gbp_a_year": ("£ a year", "rent: the register's figure or an assumed £/m²"),
    "rent_basis": ("text", "register or assumed £/m²"),
    "running_gbp_a_year": ("£ a year", "running cost of the required area"),
    "net_present_cost_gbp": (
        "£",
        "capital with optimism bias plus rent and running costs over the appraisal "
        "period, discounted at the Green Book rates",
    ),
}

_ECONOMIC_SOURCE = {
    "population_served": "people_served",
    "served_under_65": "people_served_under_65",
    "served_65_plus": "people_served_65_plus",
    **{f"served_imd_{d}": f"people_served_imd_decile_{d}" for d in range(1, 11)},
    "required_gia_m2": "required_gia_m2",
    "fit": "fit",
    "floor_area_basis": "floor_area_basis",
    "estate_option": "estate_option",
    "capital_gbp": "capital_gbp",
    "rent_gbp": "rent_gbp_a_year",
    "rent_basis": "rent_basis",
    "running_gbp": "running_gbp_a_year",
    "npc_gbp": "net_present_cost_gbp",
}


def _economic_columns(result: RunResult) -> pd.DataFrame | None:
    """The appraisal's per-hub figures under :data:`ECONOMIC_COLUMNS`' names, by
    ``site_id`` (None without an appraisal)."""
    found = result.appraisal
    if found is None:
        return None
    hubs = found.hubs
    kept = [c for c in _ECONOMIC_SOURCE if c in hubs.columns]
    out = hubs[["site_id", *kept]].rename(columns=_ECONOMIC_SOURCE)
    out["site_id"] = out["site_id"].astype(str)
    people = [c for c in out.columns if c.startswith("people_")]
    out[people] = out[people].astype(float)
    if "floor_area_basis" in out:
        out["floor_area_basis"] = [_basis(b) for b in out["floor_area_basis"]]
    return out.reset_index(drop=True)


def _basis(said: object) -> str:
    """measured, estimated, as listed (the source does not say) or not known."""
    text = str(said).strip().lower() if isinstance(said, str) else ""
    if not text or text == "not known":
        return "not known"
    for word in ("measured", "estimated"):
        if text.startswith(word):
            return word
    return "as listed"


def write_hubs(result: RunResult, path: Path) -> None:
    """Write ``hubs.csv`` (:func:`hubs_table`; six decimals).

    Parameters
    ----------
    result : RunResult
    path : pathlib.Path
    """
    hubs_table(result).to_csv(path, index=False, float_format="%.6f", lineterminator="\n")


def _hubs_layer(result: RunResult) -> gpd.GeoDataFrame | None:
    """:func:`hubs_table` with each hub's point."""
    table = hubs_table(result)
    if not len(table):
        return None
    where = result.candidates.set_index("site_id").geometry
    return gpd.GeoDataFrame(
        table, geometry=where.loc[table["site_id"]].to_numpy(), crs=result.candidates.crs
    )


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
    """Write layers ``candidates``, ``demand``, ``services``, ``catchments`` and ``hubs``
    (:func:`hubs_table`, when the run checked its certainty), in EPSG:27700.

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
    hubs = _hubs_layer(result)
    if hubs is not None:
        layers["hubs"] = hubs
    for name, layer in layers.items():
        layer = layer.copy()
        for column in layer.columns:
            if str(layer[column].dtype) in ("Int64", "boolean"):
                layer[column] = layer[column].astype("float64")
        layer.to_file(path, layer=name, driver="GPKG")
