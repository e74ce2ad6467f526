"""The indicative economic case, after the choice: who each hub serves, its size and its
cost, and the options side by side (:mod:`estate_planner.appraisal`).

This stage unpacks the ``[appraisal]`` section and the run's tables; the appraisal
functions it calls take plain arrays, frames and settings.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from estate_planner import appraisal
from estate_planner.access import ModeTimes, within
from estate_planner.appraisal.options import CostAssumptions
from estate_planner.appraisal.sizing import SizingAssumptions
from estate_planner.results import Appraisal
from estate_planner.scenario import AppraisalConfig, Scenario

logger = logging.getLogger(__name__)

__all__ = ["appraise"]


def _reach(
    times: ModeTimes, hubs: list[int], covered: np.ndarray, people: np.ndarray, deprived: np.ndarray
) -> tuple[float, float]:
    """People brought within reach by ``hubs`` (not reached before), and of them deprived."""
    if not hubs:
        return 0.0, 0.0
    reached = np.asarray(within(times.candidates[hubs], times.threshold_s).sum(axis=0)).ravel() > 0
    new = reached & ~covered
    return float(people[new].sum()), float(people[new & deprived].sum())


def _hub_rows(
    candidates: pd.DataFrame, hubs: list[int], load: np.ndarray, offset: int
) -> pd.DataFrame:
    columns = ["site_id", "kind", "floor_area_m2", "annual_cost_gbp"]
    rows = pd.DataFrame(candidates[columns]).iloc[hubs].reset_index(drop=True)
    rows["population_served"] = load[offset + np.arange(len(hubs))]
    return rows


def appraise(
    scenario: Scenario,
    demand: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    times: ModeTimes,
    chosen: list[int],
    gains: list[float],
    alternatives: list[list[str]],
    lists: pd.DataFrame | None = None,
) -> Appraisal:
    """Assign people to services and hubs, size and cost the hubs, compare the options.

    Parameters
    ----------
    scenario : Scenario
        Its ``[appraisal]`` section and ``selection.capacity`` are read.
    demand : geopandas.GeoDataFrame
        ``id``, ``population``, ``age_65_plus``, ``imd_decile`` and
        ``covered_<mode>``.
    services : geopandas.GeoDataFrame
        The counted services, in the rows of ``times.services``.
    candidates : geopandas.GeoDataFrame
        ``site_id``, ``name``, ``kind``, ``floor_area_m2``, ``annual_cost_gbp``.
    times : ModeTimes
        The selection mode's times.
    chosen : list of int
        Rows of the chosen hubs, in the order chosen; ``gains`` their marginal gains.
    gains : list of float
    alternatives : list of list of str
        Other sets of site ids found by the stability runs, strongest first.
    lists : pandas.DataFrame, optional
        Registered patients per practice (``practice_code``, ``patients``).

    Returns
    -------
    Appraisal
    """
    config: AppraisalConfig = scenario.appraisal
    values = config.model_dump()
    sizing = SizingAssumptions.from_mapping(values)
    costs = CostAssumptions.from_mapping(values)
    people = demand["population"].to_numpy(dtype=float)
    older = demand["age_65_plus"].to_numpy(dtype=float) if "age_65_plus" in demand else None
    decile = pd.to_numeric(demand["imd_decile"], errors="coerce").to_numpy()
    deprived = decile <= 2
    covered = demand[f"covered_{times.mode}"].to_numpy(dtype=bool)
    notes: list[str] = []

    # capacities in people: services from their registered lists, hubs from the scenario
    n_services = times.services.shape[0]
    service_cap = np.full(n_services, np.inf)
    matched = 0
    if lists is not None and n_services:
        patients = lists.set_index("practice_code")["patients"]
        codes = services["service_id"].astype(str).str.upper()
        found = codes.isin(patients.index).to_numpy()
        service_cap[found] = patients.reindex(codes[found]).to_numpy(dtype=float)
        matched = int(found.sum())
        notes.append(
            f"{matched} of {n_services} services matched to the registration file by code; "
            f"{n_services - matched} not found (no list: no capacity limit)"
        )
        notes.append(
            "a practice list counts where people are registered, not where residents live: "
            "lists cross the study area's boundary"
        )
    hub_cap = config.hub_capacity_people or scenario.selection.capacity or np.inf

    def assign(hubs: list[int]) -> appraisal.Assignment:
        stacked = sp.vstack([times.services, times.candidates[hubs]]).tocsr()
        cap = np.concatenate([service_cap, np.full(len(hubs), hub_cap)])
        return appraisal.assign.served(stacked, people, cap)

    result = assign(chosen)
    site_ids = np.concatenate(
        [
            services["service_id"].astype(str).to_numpy(),
            candidates["site_id"].astype(str).to_numpy()[chosen],
        ]
    )
    by = result.served_by()
    served_by = np.where(by >= 0, site_ids[np.maximum(by, 0)], "")

    # the chosen hubs: who they serve, their size and cost
    hub_table = _hub_rows(candidates, chosen, result.load, n_services)
    hub_table.insert(1, "name", candidates.iloc[chosen]["name"].to_numpy())
    on_hub = result.site >= n_services
    hub_of = result.site[on_hub] - n_services
    shares = result.people[on_hub] / np.maximum(people[result.point[on_hub]], 1e-12)
    point = result.point[on_hub]
    if older is not None:
        hub_table["served_65_plus"] = np.bincount(hub_of, older[point] * shares, len(chosen))
        hub_table["served_under_65"] = hub_table["population_served"] - hub_table["served_65_plus"]
    for d in range(1, 11):
        mask = decile[point] == d
        hub_table[f"served_imd_{d}"] = np.bincount(
            hub_of[mask], result.people[on_hub][mask], len(chosen)
        )
    hub_table = appraisal.hub_costs(hub_table, sizing=sizing, costs=costs)
    hub_table["floor_area_basis"] = _floor_area_basis(candidates.iloc[chosen])
    hub_table["npc_gbp"] = [
        appraisal.npc(
            capital_gbp=c, optimism_bias=costs.optimism_bias, annual_gbp=a,
            years=costs.appraisal_years, renewal_share=costs.renewal_share,
            renewal_every=costs.renewal_every, asset_life=costs.asset_life,
        )
        for c, a in zip(hub_table["capital_gbp"], hub_table["annual_gbp"], strict=True)
    ]  # fmt: skip

    # options: do-minimum, the chosen set, alternatives from the stability runs
    index = {str(s): i for i, s in enumerate(candidates["site_id"].astype(str))}
    sets: dict[str, list[int]] = {}
    k = appraisal.do_minimum(gains, config.do_minimum_share)
    if 0 < k < len(chosen):
        sets[f"do-minimum ({k} of {len(chosen)} hubs)"] = chosen[:k]
    if chosen:
        sets["chosen set"] = chosen
    found = 0
    for ids in alternatives:
        rows = [index[s] for s in ids if s in index]
        if found < 2 and rows and all(sorted(rows) != sorted(o) for o in sets.values()):
            found += 1
            sets[f"alternative {found}"] = rows
    options: dict[str, pd.DataFrame] = {}
    reach: dict[str, tuple[float, float]] = {}
    for name, hubs in sets.items():
        load = result.load if hubs is chosen else assign(hubs).load
        options[name] = _hub_rows(candidates, hubs, load, n_services)
        reach[name] = _reach(times, hubs, covered, people, deprived)
    table = appraisal.appraise(options, reach, sizing=sizing, costs=costs)
    table["site_ids"] = [""] + [
        ", ".join(candidates["site_id"].astype(str).iloc[sets[n]]) for n in options
    ]
    switching = (
        appraisal.switching_values(options, reach, sizing=sizing, costs=costs, table=table)
        if len(options) >= 2
        else pd.DataFrame(columns=["setting", "preferred", "fall", "rise"])
    )
    ledger = _ledger(options, costs, sizing)

    defaults = AppraisalConfig().model_dump()
    assumptions = appraisal.assumption_table(values, defaults, config.sources)
    return Appraisal(
        hubs=hub_table,
        options=table,
        switching=switching,
        ledger=ledger,
        assumptions=pd.DataFrame(assumptions),
        served_by=served_by,
        candidates=_if_added(candidates, times, people, chosen, sizing),
        preferred=appraisal.preferred(table),
        notes=notes,
        registrations_matched=matched,
    )


def _floor_area_basis(rows: pd.DataFrame) -> list[str]:
    """Where a floor area comes from: the reader's ``floor_area_source`` (measured or
    estimated, and from what), else ``OSM footprint (estimated)`` for OSM buildings,
    ``as listed`` for other lists, ``not known`` when there is none."""
    out = []
    for _, row in rows.iterrows():
        said = row.get("floor_area_source")
        if pd.isna(row["floor_area_m2"]):
            out.append("not known")
        elif isinstance(said, str) and said.strip():
            out.append(said.strip())
        elif "openstreetmap" in str(row.get("source", "")).lower():
            out.append("estimated: OSM footprint")
        else:
            out.append("as listed")
    return out


def _ledger(
    options: dict[str, pd.DataFrame], costs: CostAssumptions, sizing: SizingAssumptions
) -> pd.DataFrame:
    """Every option's costs by year (business as usual's included in each)."""
    frames = []
    bau = appraisal.cash_flows(
        capital_gbp=0.0, optimism_bias=costs.optimism_bias, annual_gbp=costs.bau_annual_gbp,
        years=costs.appraisal_years, one_off_gbp=costs.bau_one_off_gbp,
    )  # fmt: skip
    frames.append(bau.assign(option=appraisal.BUSINESS_AS_USUAL))
    for name, hubs in options.items():
        costed = appraisal.hub_costs(hubs, sizing=sizing, costs=costs)
        flows = appraisal.cash_flows(
            capital_gbp=float(costed["capital_gbp"].sum()),
            optimism_bias=costs.optimism_bias,
            annual_gbp=float(costed["annual_gbp"].sum()) + costs.bau_annual_gbp,
            years=costs.appraisal_years,
            one_off_gbp=costs.bau_one_off_gbp + costs.option_one_off_gbp,
            renewal_share=costs.renewal_share,
            renewal_every=costs.renewal_every,
            asset_life=costs.asset_life,
        )
        frames.append(flows.assign(option=name))
    table = pd.concat(frames, ignore_index=True)
    return table[["option", *[c for c in table.columns if c != "option"]]]


def _if_added(
    candidates: pd.DataFrame,
    times: ModeTimes,
    people: np.ndarray,
    chosen: list[int],
    sizing: SizingAssumptions,
) -> pd.DataFrame:
    """Every other candidate: the people nearer to it than to where they go now, and the
    floor area that population needs against its own."""
    stacked = sp.vstack([times.services, times.candidates[chosen]]).tocsr()
    would = appraisal.population_if_added(times.candidates, stacked, people)
    out = pd.DataFrame(
        {
            "site_id": candidates["site_id"].to_numpy(),
            "name": candidates["name"].to_numpy(),
            "kind": candidates["kind"].to_numpy(),
            "floor_area_m2": candidates["floor_area_m2"].to_numpy(dtype=float),
            "chosen": np.isin(np.arange(len(candidates)), chosen),
            "population_if_added": would,
        }
    )
    need = appraisal.required_gia_m2(out["population_if_added"].to_numpy(), sizing)
    out["required_gia_m2"] = need
    out["fit"] = [appraisal.fit(r, f) for r, f in zip(need, out["floor_area_m2"], strict=True)]
    out["estate_option"] = [
        appraisal.estate_option(r, f, k, sizing)
        for r, f, k in zip(need, out["floor_area_m2"], out["kind"], strict=True)
    ]
    return out[~out["chosen"]].drop(columns="chosen").reset_index(drop=True)


def alternatives_from(runs: Any, chosen_ids: list[str]) -> list[list[str]]:
    """The sets the stability runs chose other than ``chosen_ids``, most often first.

    Parameters
    ----------
    runs : pandas.DataFrame or None
        One row per run with ``chosen`` (a list of site ids or a comma-separated text).
    chosen_ids : list of str

    Returns
    -------
    list of list of str
    """
    if runs is None or not hasattr(runs, "columns") or "chosen" not in runs.columns:
        return []
    counts: dict[tuple[str, ...], int] = {}
    for value in runs["chosen"]:
        ids = value if isinstance(value, list | tuple) else str(value).split(",")
        key = tuple(sorted(str(i).strip() for i in ids if str(i).strip()))
        if key and key != tuple(sorted(chosen_ids)):
            counts[key] = counts.get(key, 0) + 1
    return [list(k) for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def economic_case(
    scenario: Scenario,
    demand: gpd.GeoDataFrame,
    existing: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    times: dict[str, ModeTimes],
    chosen: list[int],
    gains: list[float],
    runs: Any,
) -> Appraisal:
    """:func:`appraise` on the selection mode, with the registration file if one is named.

    Parameters
    ----------
    scenario : Scenario
    demand, existing, candidates : geopandas.GeoDataFrame
        As :func:`appraise` (``existing``: the counted services).
    times : dict
        Mode -> ModeTimes.
    chosen : list of int
    gains : list of float
    runs : pandas.DataFrame or None
        The stability runs (``chosen`` per run), for the alternatives.

    Returns
    -------
    Appraisal
    """
    from estate_planner.sources.registrations import read_practice_registrations

    lists = None
    if scenario.appraisal.registrations is not None:
        lists, _ = read_practice_registrations(scenario.appraisal.registrations)
    chosen_ids = [str(s) for s in candidates["site_id"].iloc[chosen]]
    result = appraise(
        scenario,
        demand,
        existing,
        candidates,
        times[scenario.selection_mode],
        list(chosen),
        list(gains),
        alternatives_from(runs, chosen_ids),
        lists,
    )
    if scenario.appraisal.registrations_lsoa is not None:
        from estate_planner.stages.registered import registered_patients

        result.registered = registered_patients(
            scenario, demand, existing, candidates, times[scenario.selection_mode],
            list(chosen), lists,
        )  # fmt: skip
    return result
