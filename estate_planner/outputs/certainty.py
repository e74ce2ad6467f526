"""The report's certainty section: what holds under which change, the headline figures
with their range, each hub's gain across the threshold band and its substitute, and
each mode's reach (the data are :mod:`estate_planner.certainty`'s)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from estate_planner.results import RunResult


def _people(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):,.0f}"


def conclusions(result: RunResult) -> list[str]:
    """The first page's sentences on how sure the choice is.

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    list of str
    """
    decision = result.decision
    if decision is None or not len(decision.hubs):
        return []
    found = decision.certainty
    out = []
    for row in found.headline.itertuples():
        if row.figure == "people_brought_within_reach":
            out.append(
                f"The hubs bring {_people(row.value)} people within reach; over the changes "
                f"tested below this ranges from {_people(row.min)} ({row.min_under}) to "
                f"{_people(row.max)} ({row.max_under})."
            )
    labels = found.columns
    for hub in decision.hubs.to_dict("records"):
        said = f"Hub {hub['selection_order']}, {hub['name']},"
        if hub["depends_on_threshold"]:
            out.append(
                f"{said} depends on the threshold: {hub['near_threshold_share']:.0%} of the "
                "people only it brings within reach live within the margin of the threshold, "
                "so it cannot be called stable."
            )
        missing = [words for column, words in labels.items() if hub.get(column) is False]
        if missing:
            out.append(f"{said} is not chosen when {'; or when '.join(missing)}.")
        elif not hub["depends_on_threshold"]:
            out.append(f"{said} is chosen under every change tested.")
    return out


def context(result: RunResult) -> dict[str, Any]:
    """What ``certainty.html`` shows.

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    dict
        ``certainty`` (None without a certainty check) and ``by_mode``.
    """
    decision = result.decision
    by_mode = [
        {
            "mode": r.mode,
            "minutes": "" if math.isnan(float(r.threshold_minutes)) else f"{r.threshold_minutes:g}",  # type: ignore[arg-type]
            "can_use": _people(r.people_who_can_use),
            "before": _people(r.people_reached_before),
            "after": _people(r.people_reached_with_hubs),
            "brought": _people(r.people_brought_within_reach),
        }
        for r in (decision.by_mode.itertuples() if decision is not None else [])
    ]
    if decision is None or not len(decision.hubs):
        return {"certainty": None, "by_mode": by_mode}
    found = decision.certainty
    band = [c for c in decision.hubs.columns if c.startswith("people_only_this_hub_reaches")]
    scenario = result.scenario.selection
    return {
        "by_mode": by_mode,
        "certainty": {
            "changes": list(found.columns.values()),
            "holds": [
                [
                    r["conclusion"],
                    *[r.get(label) or "" for label in found.columns.values()],
                    r.get("as the threshold moves by the margin") or "",
                ]
                for r in found.holds.to_dict("records")
            ],
            "headline": [
                {
                    "figure": r.description,
                    "value": _people(r.value),
                    "low": _people(r.min),
                    "high": _people(r.max),
                    "low_under": r.min_under,
                    "high_under": r.max_under,
                }
                for r in found.headline.itertuples()
            ],
            "band": [
                c.replace("people_only_this_hub_reaches", "").strip("_").replace("_", " ")
                or "as set"
                for c in band
            ],
            "hubs": [
                {
                    "order": h["selection_order"],
                    "name": h["name"],
                    "band": [_people(h[c]) for c in band],
                    "near": "–"
                    if math.isnan(h["near_threshold_share"])
                    else f"{h['near_threshold_share']:.0%}",
                    "depends": h["depends_on_threshold"],
                    "stable": h["stable"],
                    "substitute": h["substitute_name"],
                    "lost": _people(h["people_lost_if_unavailable"]),
                }
                for h in decision.hubs.to_dict("records")
            ],
            "runs": [
                {
                    "change": r.change,
                    "chosen": ", ".join(r.chosen) or r.note or "none",  # type: ignore[arg-type]
                    "brought": _people(r.people_brought_within_reach),
                }
                for r in found.runs.itertuples()
            ],
            "margin": f"{scenario.threshold_margin_minutes:g}",
            "step": f"{scenario.threshold_step_minutes:g}",
            "spread": f"{scenario.weight_spread:.0%}",
            "draws": scenario.stability_runs,
        },
    }
