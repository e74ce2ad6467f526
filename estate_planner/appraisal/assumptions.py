"""Every appraisal setting's unit, source and date, for the Assumptions sheet and the report.

Values live in the scenario's ``[appraisal]`` section (:class:`~estate_planner.scenario.
AppraisalConfig`), whose defaults are those below. A default marked illustrative is a
placeholder of the right order, to be replaced with a local figure; the scenario's
``[appraisal.sources]`` table says where a replaced value came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ASSUMPTIONS", "Assumption", "assumption_table"]


@dataclass(frozen=True)
class Assumption:
    """What a setting means: its unit, where its default comes from and when."""

    unit: str
    source: str
    date: str
    illustrative: bool = True


_HBN = "Health Building Note 11-01, Facilities for primary and community care services (DH)"
_GB = "HM Treasury, The Green Book"

ASSUMPTIONS: dict[str, Assumption] = {
    "patients_per_gp_fte": Assumption(
        "patients per GP FTE",
        "NHS Digital, General Practice Workforce: national patients per fully qualified GP FTE",
        "May 2025",
        illustrative=False,
    ),
    "gp_sessions_per_fte_week": Assumption(
        "sessions a week per GP FTE",
        "one FTE is 37.5 hours a week (NHS Digital workforce definition), about 9 sessions",
        "2025",
    ),
    "other_sessions_per_gp_session": Assumption(
        "room sessions of other clinicians per GP session",
        "illustrative: nurses, additional roles and visiting services; use the local rota",
        "2026",
    ),
    "sessions_per_room_week": Assumption(
        "bookable sessions a room offers a week",
        "illustrative: 5 days, morning and afternoon",
        "2026",
    ),
    "utilisation": Assumption(
        "share of room sessions booked",
        "the usual aim for clinical rooms is at least 60% (NHS Property Services utilisation "
        "studies)",
        "2024",
    ),
    "treatment_share": Assumption(
        "share of clinical rooms that are treatment rooms", "illustrative", "2026"
    ),
    "interview_share": Assumption("interview rooms per clinical room", "illustrative", "2026"),
    "group_rooms": Assumption("group rooms per hub", "illustrative", "2026"),
    "consult_room_m2": Assumption(
        "m² per consult/examination room", f"{_HBN}: 13.5-15 m²", "2013", illustrative=False
    ),
    "treatment_room_m2": Assumption(
        "m² per treatment room", f"{_HBN}: 13.5-15 m²", "2013", illustrative=False
    ),
    "interview_room_m2": Assumption(
        "m² per interview room", f"{_HBN}: 9-10 m²", "2013", illustrative=False
    ),
    "group_room_m2": Assumption(
        "m² per group room", f"{_HBN}: 18-20 m²", "2013", illustrative=False
    ),
    "support_share": Assumption(
        "reception, waiting, staff and WC area as a share of clinical area",
        "illustrative",
        "2026",
    ),
    "circulation_share": Assumption(
        "circulation and plant as a share of departmental area",
        f"{_HBN}: +28-30%",
        "2013",
        illustrative=False,
    ),
    "max_extension_share": Assumption(
        "most a building may be extended, share of its floor area", "illustrative", "2026"
    ),
    "new_build_kinds": Assumption(
        "kinds of site that may be rebuilt", "illustrative: publicly owned sites", "2026"
    ),
    "refurbish_gbp_per_m2": Assumption(
        "£ per m² GIA (refurbishment or fit-out)",
        "illustrative; replace with a cost adviser's figure (e.g. BCIS)",
        "2026",
    ),
    "extension_gbp_per_m2": Assumption(
        "£ per m² GIA added", "illustrative; replace with a cost adviser's figure", "2026"
    ),
    "new_build_gbp_per_m2": Assumption(
        "£ per m² GIA (new build)", "illustrative; replace with a cost adviser's figure", "2026"
    ),
    "location_factor": Assumption(
        "multiplier on capital", "BCIS location factor; 1.0 is the UK mean", "2026"
    ),
    "optimism_bias": Assumption(
        "uplift on capital",
        f"{_GB}, supplementary guidance on optimism bias: standard buildings, upper bound "
        "24% (lower 2%; non-standard 51% / 4%)",
        "2013",
        illustrative=False,
    ),
    "rent_gbp_per_m2": Assumption(
        "£ a year per m² GIA, where the register gives no rent or rateable value",
        "illustrative",
        "2026",
    ),
    "running_gbp_per_m2": Assumption(
        "£ a year per m² GIA (facilities, energy, maintenance)",
        "illustrative; ERIC reports running costs per m² for NHS sites",
        "2026",
    ),
    "bau_annual_gbp": Assumption(
        "£ a year, the existing estate's running cost",
        "not known: 0 used; give the local figure (ERIC)",
        "2026",
    ),
    "bau_one_off_gbp": Assumption(
        "£ in year 0 under business as usual (backlog maintenance)",
        "not known: 0 used; ERIC 'Cost to eradicate high risk backlog'",
        "2026",
    ),
    "option_one_off_gbp": Assumption(
        "£ in year 0 for each option (lease exits less disposal receipts)",
        "not known: 0 used",
        "2026",
    ),
    "appraisal_years": Assumption(
        "years",
        f"{_GB}: 30 years by default, up to 60 for long-lived buildings",
        "2022",
        illustrative=False,
    ),
    "renewal_share": Assumption(
        "share of capital spent again at each renewal", "illustrative: none", "2026"
    ),
    "renewal_every": Assumption("years between renewals", "illustrative: none", "2026"),
    "asset_life": Assumption(
        "years a building lasts (straight-line residual value)", "illustrative", "2026"
    ),
    "do_minimum_share": Assumption(
        "share of the chosen set's gain the do-minimum delivers", "illustrative", "2026"
    ),
    "hub_capacity_people": Assumption(
        "registered patients one new hub can serve (none: no limit)", "illustrative", "2026"
    ),
    "discount_rate": Assumption(
        "a year",
        f"{_GB} (2022), Annex A6: 3.5% for years 0-30, 3.0% for 31-75, factors chained",
        "2022",
        illustrative=False,
    ),
}


def assumption_table(
    values: dict[str, Any], defaults: dict[str, Any], sources: dict[str, str]
) -> list[dict[str, Any]]:
    """One row per setting: name, value, unit, source, date and whether illustrative.

    A value that differs from its default is sourced from ``sources`` (the scenario's
    ``[appraisal.sources]``), or says that the scenario set it without a source.

    Parameters
    ----------
    values : dict
        Setting -> the value used.
    defaults : dict
        Setting -> its default.
    sources : dict
        Setting -> where a local value came from.

    Returns
    -------
    list of dict
    """
    rows = []
    for name, meta in ASSUMPTIONS.items():
        if name not in values:
            continue
        value = values[name]
        changed = value != defaults.get(name)
        if name in sources:
            source, date, illustrative = sources[name], "as stated", False
        elif changed:
            source, date, illustrative = "set in the scenario (no source given)", "", False
        else:
            source, date, illustrative = meta.source, meta.date, meta.illustrative
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
        rows.append(
            {
                "setting": name,
                "value": "none" if shown is None else shown,
                "unit": meta.unit,
                "source": source,
                "date": date,
                "illustrative": "yes" if illustrative else "no",
            }
        )
    return rows
