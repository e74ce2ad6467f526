"""The indicative economic case as a report section, a ledger CSV and a workbook.

``ledger.csv`` holds every option's costs by year; ``ledger.xlsx`` has an ``Options``
sheet (one row per option), an ``Assumptions`` sheet (every setting with its value,
unit, source and date), ``Hubs`` (the one per-hub table, as ``hubs.csv``),
``Switching values``, ``Ledger`` and ``Candidates`` sheets. Every figure is
indicative: for shortlisting, not a business case.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from estate_planner.outputs.tables import hubs_table

if TYPE_CHECKING:
    from estate_planner.results import RunResult

__all__ = ["economic_context", "write_ledger", "write_workbook"]

INDICATIVE = (
    "Indicative figures for shortlisting, not a business case: costs use the defaults "
    "listed under Assumptions (most illustrative) unless the scenario gives local figures."
)


def _gbp(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not known"
    return f"£{value:,.0f}"


def _share(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "holds over -90%..+500%"
    return f"{value:+.0%}"


def economic_context(result: RunResult) -> dict[str, Any] | None:
    """What the report's "Indicative economic case" section shows (None without one).

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    dict or None
    """
    a = result.appraisal
    if a is None:
        return None
    config = result.scenario.appraisal
    years = int(config.appraisal_years)
    bau_unknown = config.bau_annual_gbp == 0 and config.bau_one_off_gbp == 0
    options = [
        {
            "option": r.option,
            "sites": r.site_ids or "none",
            "hubs": int(r.hubs),
            "reached": f"{r.people_reached:,.0f}",
            "deprived": f"{r.people_reached_imd_1_2:,.0f}",
            "area": f"{r.floor_area_m2:,.0f}",
            "fit": f"{int(r.hubs_fit)} of {int(r.hubs)}" if r.hubs else "",
            "capital": _gbp(r.capital_gbp),
            "annual": _gbp(r.annual_gbp),
            "npc": _gbp(r.npc_gbp)
            + (" + business as usual (not given)" if bau_unknown and r.hubs else "")
            if r.hubs or not bau_unknown
            else "not given: set bau_annual_gbp and bau_one_off_gbp",
            "per_person": _gbp(r.cost_per_person_gbp) if r.hubs else "",
            "preferred": r.option == a.preferred,
        }
        for r in a.options.itertuples()
    ]
    hubs = [
        {
            "site_id": r.site_id,
            "name": r.name,
            "served": f"{r.population_served:,.0f}",
            "deprived": f"{r.served_imd_1 + r.served_imd_2:,.0f}",
            "required": f"{r.required_gia_m2:,.0f}",
            "floor": "not known" if pd.isna(r.floor_area_m2) else f"{r.floor_area_m2:,.0f}",
            "basis": r.floor_area_basis,
            "fit": r.fit,
            "option": r.estate_option,
            "capital": _gbp(r.capital_gbp),
            "annual": _gbp(r.annual_gbp),
            "rent_basis": r.rent_basis,
            "npc": _gbp(r.npc_gbp),
        }
        for r in a.hubs.itertuples()
    ]
    switching = [
        {"setting": r.setting, "fall": _share(r.fall), "rise": _share(r.rise)}
        for r in a.switching.itertuples()
    ]
    table = a.assumptions
    key = table[
        table["setting"].isin(
            [
                "patients_per_gp_fte",
                "utilisation",
                "refurbish_gbp_per_m2",
                "new_build_gbp_per_m2",
                "running_gbp_per_m2",
                "optimism_bias",
                "appraisal_years",
                "bau_annual_gbp",
            ]
        )
    ]
    return {
        "indicative": INDICATIVE,
        "years": years,
        "options": options,
        "hubs": hubs,
        "switching": switching,
        "preferred": a.preferred,
        "assumptions": key.to_dict("records"),
        "illustrative": int((table["illustrative"] == "yes").sum()),
        "settings": len(table),
        "notes": a.notes,
    }


def write_ledger(result: RunResult, path: Path) -> None:
    """Write ``ledger.csv``: each option's costs by year, discounted (£, year-0 prices).

    Parameters
    ----------
    result : RunResult
    path : pathlib.Path
    """
    if result.appraisal is None:
        return
    result.appraisal.ledger.round(2).to_csv(path, index=False)


def write_workbook(result: RunResult, path: Path) -> None:
    """Write ``ledger.xlsx``: Options, Assumptions, Hubs, Switching values, Ledger, Candidates.

    Parameters
    ----------
    result : RunResult
    path : pathlib.Path
    """
    a = result.appraisal
    if a is None:
        return
    note = pd.DataFrame({"note": [INDICATIVE, f"Scenario: {result.scenario.name}"]})
    options = a.options.assign(preferred=a.options["option"] == a.preferred)
    with pd.ExcelWriter(path, engine="openpyxl") as book:
        options.to_excel(book, sheet_name="Options", index=False)
        a.assumptions.to_excel(book, sheet_name="Assumptions", index=False)
        hubs_table(result).to_excel(book, sheet_name="Hubs", index=False)  # hubs.csv
        a.switching.to_excel(book, sheet_name="Switching values", index=False)
        a.ledger.to_excel(book, sheet_name="Ledger", index=False)
        a.candidates.to_excel(book, sheet_name="Candidates", index=False)
        note.to_excel(book, sheet_name="Read me", index=False)
