"""Registered patients by where they live: who moves when a practice closes, and how
well the modelled catchments match the lists.

NHS Digital's LSOA breakdown of "Patients Registered at a GP Practice"
(:func:`estate_planner.sources.registrations.read_lsoa_registrations`) says how many of
each practice's patients live in each LSOA: the practice's real catchment. Two uses:

- :func:`moved_patients`: when a practice closes, its registered patients are the
  people who must find another practice. Those living in each LSOA go where the
  assignment (after the closure, with the chosen hubs) sends that LSOA's residents, in
  the same shares; those living outside the study area are counted apart, as the model
  does not place them.
- :func:`catchment_agreement`: each LSOA's modelled practice is the one the assignment
  sends most of its served residents to (an LSOA none of whose residents is served has
  none); a registered patient "agrees" when that is the
  practice they are registered at. Per practice and overall, the share of registered
  patients living in the study area who agree.

Lists cross boundaries: people register outside the area they live in, and a list is
not the area's population (Rutland's four practices held 42,914 registered patients in
April 2026 for 41,043 residents at the 2021 Census), so neither count should be read
as the area's residents.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "NOT_SERVED",
    "OUTSIDE",
    "area_shares",
    "catchment_agreement",
    "moved_patients",
    "overall_agreement",
]

#: where patients living outside the study area go: not modelled
OUTSIDE = "outside the study area (not modelled)"
#: where patients go whose area no practice or hub within reach had room for
NOT_SERVED = "not served (nothing within reach with room)"


def area_shares(
    area_of_point: np.ndarray,
    site: np.ndarray,
    point: np.ndarray,
    people: np.ndarray,
    unserved: np.ndarray,
    site_ids: np.ndarray,
) -> pd.DataFrame:
    """People of each area by the site serving them, from an assignment's pairs.

    Parameters
    ----------
    area_of_point : numpy.ndarray
        Per demand point, its area's code (e.g. its LSOA).
    site, point, people : numpy.ndarray
        The assignment's pairs: the site's row, the demand point and the people on it.
    unserved : numpy.ndarray
        Per demand point, the people no site had room for (or none within reach).
    site_ids : numpy.ndarray
        Per site row, its id.

    Returns
    -------
    pandas.DataFrame
        ``area_id``, ``site_id`` (:data:`NOT_SERVED` for the unserved) and ``people``,
        one row per area and site with people, sorted by area and site.
    """
    areas = np.asarray(area_of_point).astype(str)
    served = pd.DataFrame(
        {
            "area_id": areas[np.asarray(point, dtype=np.int64)],
            "site_id": np.asarray(site_ids).astype(str)[np.asarray(site, dtype=np.int64)],
            "people": np.asarray(people, dtype=float),
        }
    )
    left = np.asarray(unserved, dtype=float)
    lost = pd.DataFrame(
        {"area_id": areas[left > 0], "site_id": NOT_SERVED, "people": left[left > 0]}
    )
    frame = pd.concat([served, lost], ignore_index=True)
    frame = frame[frame["people"] > 0]
    grouped = frame.groupby(["area_id", "site_id"], as_index=False, sort=True)["people"].sum()
    return pd.DataFrame(grouped)


def moved_patients(
    breakdown: pd.DataFrame, closed: Sequence[str], shares: pd.DataFrame
) -> pd.DataFrame:
    """Where the registered patients of closed practices go, LSOA by LSOA.

    The patients a closed practice has in an LSOA are shared among the sites the
    assignment sends that LSOA's residents to, in the same proportions (an LSOA whose
    residents all go to one hub sends it all of them).

    Parameters
    ----------
    breakdown : pandas.DataFrame
        ``practice_code``, ``lsoa_code``, ``patients`` (the LSOA breakdown).
    closed : sequence of str
        The closed practices' codes.
    shares : pandas.DataFrame
        :func:`area_shares` of the assignment after the closure (the study's areas).

    Returns
    -------
    pandas.DataFrame
        ``from_practice``, ``lsoa_code``, ``to`` (a site id, :data:`OUTSIDE` or
        :data:`NOT_SERVED`) and ``patients`` (float: shares of whole patients), sorted
        by practice, LSOA and most patients first.
    """
    codes = {str(c).strip().upper() for c in closed}
    rows = breakdown[breakdown["practice_code"].isin(codes)]
    columns = ["from_practice", "lsoa_code", "to", "patients"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    total = shares.groupby("area_id")["people"].sum()
    within = shares.merge(total.rename("area_people"), left_on="area_id", right_index=True)
    within["share"] = within["people"] / within["area_people"]
    inside = rows.merge(within, left_on="lsoa_code", right_on="area_id")
    inside = inside.assign(patients=inside["patients"] * inside["share"], to=inside["site_id"])
    outside = rows[~rows["lsoa_code"].isin(total.index)].assign(to=OUTSIDE)
    out = pd.concat(
        [
            inside.rename(columns={"practice_code": "from_practice"})[columns],
            outside.rename(columns={"practice_code": "from_practice"})[columns],
        ],
        ignore_index=True,
    )
    out["patients"] = out["patients"].astype(float)
    out = out.sort_values(
        ["from_practice", "lsoa_code", "patients", "to"], ascending=[True, True, False, True]
    )
    return out.reset_index(drop=True)


def _modelled_practice(shares: pd.DataFrame) -> pd.Series:
    """Each area's site with the most of its served residents (ties to the lower id);
    :data:`NOT_SERVED` for an area none of whose residents is served."""
    served = shares[shares["site_id"] != NOT_SERVED]
    ranked = served.sort_values(["area_id", "people", "site_id"], ascending=[True, False, True])
    first = ranked.drop_duplicates("area_id").set_index("area_id")["site_id"]
    areas = shares["area_id"].unique()
    return first.reindex(areas).fillna(NOT_SERVED)


def catchment_agreement(
    breakdown: pd.DataFrame, shares: pd.DataFrame, practices: Sequence[str]
) -> pd.DataFrame:
    """Per practice, the share of its registered patients whose LSOA it is modelled to serve.

    Parameters
    ----------
    breakdown : pandas.DataFrame
        ``practice_code``, ``lsoa_code``, ``patients``.
    shares : pandas.DataFrame
        :func:`area_shares` of the assignment to today's practices.
    practices : sequence of str
        The modelled practices' codes (those in the assignment).

    Returns
    -------
    pandas.DataFrame
        One row per modelled practice: ``practice_code``, ``practice_name`` (from the
        file, blank when it has no rows); ``registered_patients`` (all
        its patients in the file); ``registered_outside_study_area``;
        ``registered_in_study_area``; ``registered_where_modelled`` (of them, living in
        an LSOA whose modelled practice it is); ``agreement_share`` (the last over the
        one before; NaN when it has none in the area, "not known"); and
        ``modelled_residents`` (the residents the assignment gives it).
    """
    codes = pd.Index([str(c).strip().upper() for c in practices]).unique()
    rows = breakdown[breakdown["practice_code"].isin(codes)]
    modelled = _modelled_practice(shares)
    inside = rows["lsoa_code"].isin(modelled.index)
    agrees = inside & (rows["lsoa_code"].map(modelled) == rows["practice_code"])
    by = rows["practice_code"]
    table = pd.DataFrame(index=codes.rename("practice_code"))
    table["registered_patients"] = rows.groupby(by)["patients"].sum()
    table["registered_outside_study_area"] = rows["patients"].where(~inside, 0).groupby(by).sum()
    table["registered_in_study_area"] = rows["patients"].where(inside, 0).groupby(by).sum()
    table["registered_where_modelled"] = rows["patients"].where(agrees, 0).groupby(by).sum()
    table = table.fillna(0).astype("int64")
    names = rows.groupby(by)["practice_name"].first() if "practice_name" in rows else None
    table.insert(0, "practice_name", "" if names is None else names.reindex(codes).fillna(""))
    with np.errstate(invalid="ignore", divide="ignore"):
        table["agreement_share"] = np.where(
            table["registered_in_study_area"] > 0,
            table["registered_where_modelled"] / table["registered_in_study_area"],
            np.nan,
        )
    served = shares.groupby("site_id")["people"].sum()
    table["modelled_residents"] = served.reindex(codes).fillna(0.0).to_numpy()
    return table.reset_index()


def overall_agreement(table: pd.DataFrame) -> dict[str, float | int | None]:
    """The agreement over all practices of :func:`catchment_agreement`'s table.

    Parameters
    ----------
    table : pandas.DataFrame

    Returns
    -------
    dict
        ``registered_in_study_area``, ``registered_where_modelled``,
        ``registered_outside_study_area`` (patients) and ``agreement_share`` (None when
        no registered patient lives in the study area).
    """
    inside = int(table["registered_in_study_area"].sum())
    agree = int(table["registered_where_modelled"].sum())
    return {
        "registered_in_study_area": inside,
        "registered_where_modelled": agree,
        "registered_outside_study_area": int(table["registered_outside_study_area"].sum()),
        "agreement_share": agree / inside if inside else None,
    }
