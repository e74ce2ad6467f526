"""Registered patients by where they live, against the model: who moves when a practice
closes, and how well the modelled catchments match the lists
(:mod:`estate_planner.appraisal.registered`).

This stage unpacks ``[appraisal] registrations_lsoa`` and the scenario's
``close_service`` edits; the functions it calls take plain frames.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from estate_planner.access import ModeTimes
from estate_planner.appraisal import registered as reg
from estate_planner.appraisal.assign import served
from estate_planner.results import Registered
from estate_planner.scenario import Scenario
from estate_planner.sources.registrations import read_lsoa_registrations

logger = logging.getLogger(__name__)

__all__ = ["registered_patients"]


def _capacities(codes: pd.Series, lists: pd.DataFrame | None) -> np.ndarray:
    """Each practice's list size where the practice totals name it, else no limit."""
    cap = np.full(len(codes), np.inf)
    if lists is not None and len(codes):
        sizes = lists.set_index("practice_code")["patients"]
        found = codes.isin(sizes.index).to_numpy()
        cap[found] = sizes.reindex(codes[found]).to_numpy(dtype=float)
    return cap


def registered_patients(
    scenario: Scenario,
    demand: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    times: ModeTimes,
    chosen: list[int],
    lists: pd.DataFrame | None = None,
) -> Registered | None:
    """The LSOA breakdown against the model, or None when the scenario gives none.

    The practices are the counted services of kind ``gp``. Today's catchments are the
    assignment of residents to them alone (capacity-limited where ``lists`` gives list
    sizes); the closed practices' patients go where the assignment to the practices
    still open and the chosen hubs sends their LSOA's residents.

    Parameters
    ----------
    scenario : Scenario
        ``appraisal.registrations_lsoa``, ``appraisal.hub_capacity_people``,
        ``selection.capacity`` and the ``close_service`` edits are read.
    demand : geopandas.GeoDataFrame
        ``area_id`` and ``population`` per demand point.
    services : geopandas.GeoDataFrame
        The counted services (after the edits), in the rows of ``times.services``.
    candidates : geopandas.GeoDataFrame
    times : ModeTimes
        The selection mode's times.
    chosen : list of int
        Rows of the chosen hubs.
    lists : pandas.DataFrame, optional
        Practice list sizes (``practice_code``, ``patients``).

    Returns
    -------
    Registered or None
    """
    path = scenario.appraisal.registrations_lsoa
    if path is None:
        return None
    breakdown, record = read_lsoa_registrations(path)
    people = demand["population"].to_numpy(dtype=float)
    areas = demand["area_id"].astype(str).to_numpy()
    codes = services["service_id"].astype(str).str.strip().str.upper()
    gp = (services["kind"] == "gp").to_numpy() if "kind" in services else np.ones(len(codes), bool)
    rows = np.flatnonzero(gp)
    practices = codes.iloc[rows].reset_index(drop=True)
    cap = _capacities(practices, lists)
    in_file = set(breakdown["practice_code"])
    notes = [
        f"{practices.isin(in_file).sum()} of {len(practices)} practices in the model have "
        f"rows in the LSOA breakdown ({path.name})"
    ]

    today = served(sp.csr_matrix(times.services)[rows], people, cap)
    shares = reg.area_shares(
        areas, today.site, today.point, today.people, today.unserved, practices.to_numpy()
    )
    agreement = reg.catchment_agreement(breakdown, shares, practices.tolist())

    closed_ids = [
        str(i).strip().upper()
        for edit in scenario.edits
        if edit.action == "close_service"
        for i in edit.ids
    ]
    closed = [c for c in closed_ids if c in in_file]
    for missing in (c for c in closed_ids if c not in in_file):
        notes.append(f"closed service {missing} has no rows in the LSOA breakdown: not moved")
    moves = pd.DataFrame(columns=["from_practice", "lsoa_code", "to", "patients"])
    if closed:
        hub_cap = scenario.appraisal.hub_capacity_people or scenario.selection.capacity
        stacked = sp.vstack(
            [sp.csr_matrix(times.services)[rows], sp.csr_matrix(times.candidates)[chosen]]
        ).tocsr()
        after = served(
            stacked, people, np.concatenate([cap, np.full(len(chosen), hub_cap or np.inf)])
        )
        site_ids = np.concatenate(
            [practices.to_numpy(), candidates["site_id"].astype(str).to_numpy()[chosen]]
        )
        moves = reg.moved_patients(
            breakdown,
            closed,
            reg.area_shares(areas, after.site, after.point, after.people, after.unserved, site_ids),
        )
    dates = sorted({str(d) for d in breakdown["extract_date"]})
    logger.info("LSOA breakdown: %d practices, %d closed", len(practices), len(closed))
    return Registered(
        agreement=agreement,
        overall=reg.overall_agreement(agreement),
        moves=moves,
        closed=closed,
        extract_date=", ".join(dates) or "not known",
        source=str(path),
        notes=notes,
        dropped={k: int(v) for k, v in record.counts.items()},
        rows_read=int(record.rows_read),
    )
