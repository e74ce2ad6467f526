"""Registered patients by where they live, against the model: the report's part of the
economic case, ``catchment_agreement.csv``, ``moved_patients.csv`` and the manifest's
``registered_patients`` (only when the scenario gives the LSOA breakdown).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from estate_planner.appraisal.registered import OUTSIDE

if TYPE_CHECKING:
    from estate_planner.results import Registered, RunResult

__all__ = [
    "CAVEAT",
    "registered_context",
    "registered_manifest",
    "write_agreement",
    "write_moves",
]

CAVEAT = (
    "Lists cross boundaries: people register at practices outside the area they live "
    "in, and a list is not the area's population (Rutland's four practices held 42,914 "
    "registered patients in April 2026 for 41,043 residents at the 2021 Census). "
    "Registered patients are compared with the modelled catchments of residents; "
    "patients living outside the study area are counted apart."
)


def _found(result: RunResult) -> Registered | None:
    return None if result.appraisal is None else result.appraisal.registered


def _share(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not known"
    return f"{value:.0%}"


def _names(result: RunResult) -> dict[str, str]:
    """Site id -> "id (name)", hubs marked, for the sentences on moves."""
    out = {}
    for row in result.services[["service_id", "name"]].itertuples():
        out[str(row.service_id).upper()] = f"{row.service_id} ({str(row.name).title()})"
    chosen = result.candidates[result.candidates["selected"]]
    for row in chosen[["site_id", "name"]].itertuples():
        out[str(row.site_id)] = f"hub {row.site_id} ({row.name})"
    return out


def _moves_by(moves: pd.DataFrame, names: dict[str, str]) -> list[dict[str, Any]]:
    """Per closed practice: patients moving, from how many LSOAs, and where they go."""
    out = []
    for practice, rows in moves.groupby("from_practice", sort=True):
        away = rows["to"] == OUTSIDE
        to = rows.groupby("to")["patients"].sum().sort_values(ascending=False)
        lsoas = rows[~away].groupby("lsoa_code")["patients"].sum().sort_values(ascending=False)
        out.append(
            {
                "practice": names.get(str(practice), str(practice)),
                "patients": f"{rows['patients'].sum():,.0f}",
                "inside": f"{rows.loc[~away, 'patients'].sum():,.0f}",
                "outside": f"{rows.loc[away, 'patients'].sum():,.0f}",
                "lsoas": len(lsoas),
                "top_lsoas": ", ".join(f"{c} ({n:,.0f})" for c, n in lsoas.head(5).items()),
                "to": [
                    {"site": names.get(str(s), str(s)), "patients": f"{n:,.0f}"}
                    for s, n in to.items()
                ],
            }
        )
    return out


def registered_context(result: RunResult) -> dict[str, Any] | None:
    """What the report shows of the LSOA breakdown (None without one).

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    dict or None
    """
    found = _found(result)
    if found is None:
        return None
    practices = [
        {
            "code": r.practice_code,
            "name": str(r.practice_name).title(),
            "registered": f"{r.registered_patients:,}",
            "outside": f"{r.registered_outside_study_area:,}",
            "inside": f"{r.registered_in_study_area:,}",
            "agree": f"{r.registered_where_modelled:,}",
            "share": _share(r.agreement_share),
            "modelled": f"{r.modelled_residents:,.0f}",
        }
        for r in found.agreement.itertuples()
    ]
    overall = found.overall
    return {
        "date": found.extract_date,
        "source": Path(found.source).name,
        "share": _share(overall["agreement_share"]),
        "inside": f"{overall['registered_in_study_area']:,}",
        "agree": f"{overall['registered_where_modelled']:,}",
        "outside": f"{overall['registered_outside_study_area']:,}",
        "practices": practices,
        "moves": _moves_by(found.moves, _names(result)),
        "synthetic": bool(getattr(result.scenario.report, "synthetic", False)),
        "caveat": CAVEAT,
        "notes": found.notes,
    }


def registered_manifest(result: RunResult) -> dict[str, Any] | None:
    """The manifest's ``registered_patients`` section (None without the breakdown).

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    dict or None
        The file, its extract date, rows read and left out by reason; the agreement
        overall and per practice; per closed practice the patients moving, by LSOA and
        by destination.
    """
    found = _found(result)
    if found is None:
        return None
    moves = {}
    for practice, rows in found.moves.groupby("from_practice", sort=True):
        moves[str(practice)] = {
            "patients": round(float(rows["patients"].sum()), 2),
            "by_lsoa": {
                str(k): round(float(v), 2)
                for k, v in rows.groupby("lsoa_code")["patients"].sum().items()
            },
            "to": {
                str(k): round(float(v), 2) for k, v in rows.groupby("to")["patients"].sum().items()
            },
        }
    return {
        "source": Path(found.source).name,
        "extract_date": found.extract_date,
        "rows_read": found.rows_read,
        "dropped": found.dropped,
        "agreement": found.overall,
        "agreement_by_practice": found.agreement.round(4).to_dict("records"),
        "closed_practices": found.closed,
        "moved": moves,
        "notes": found.notes,
    }


def write_agreement(result: RunResult, path: Path) -> None:
    """Write ``catchment_agreement.csv``: a row per modelled practice and one for all.

    Parameters
    ----------
    result : RunResult
    path : pathlib.Path
    """
    found = _found(result)
    if found is None:
        return
    table = found.agreement.copy()
    total = {
        "practice_code": "all practices",
        **{
            c: table[c].sum()
            for c in table.columns
            if c not in ("practice_code", "agreement_share")
        },
        "agreement_share": found.overall["agreement_share"],
    }
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    table["extract_date"] = found.extract_date
    table.round({"agreement_share": 4, "modelled_residents": 1}).to_csv(path, index=False)


def write_moves(result: RunResult, path: Path) -> None:
    """Write ``moved_patients.csv``: per closed practice and LSOA, where its patients go.

    Parameters
    ----------
    result : RunResult
    path : pathlib.Path
    """
    found = _found(result)
    if found is None:
        return
    found.moves.round({"patients": 2}).to_csv(path, index=False)
