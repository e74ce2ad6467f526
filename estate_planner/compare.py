"""Compare two runs (a base and a what-if): what changed, for whom, and where.

:func:`compare` lines the runs up; :func:`write_comparison` writes both runs' outputs
side by side with ``comparison.csv`` (every candidate's rank and score in each run)
and ``comparison.html`` (a summary, charts, and the two maps next to each other).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from estate_planner.outputs import Drawing, write_outputs
from estate_planner.outputs.charts import grouped_bars
from estate_planner.outputs.report import travel_time_by_decile
from estate_planner.outputs.summary import imd_label, reach
from estate_planner.results import RunResult

logger = logging.getLogger(__name__)


@dataclass
class Comparison:
    """Two runs lined up. ``summary`` has one row per measure; ``candidates`` one row
    per site in either run; ``deciles`` mean minutes to the nearest service or hub by
    IMD decile in each run."""

    base: RunResult
    whatif: RunResult
    summary: pd.DataFrame
    candidates: pd.DataFrame
    deciles: pd.DataFrame


def measures(result: RunResult) -> dict[str, float]:
    """Headline numbers of one run, on its selection mode.

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    dict
        Population, need, need reached and unmet before and after the hubs, hubs and
        existing services.
    """
    people, served_before, served_after, _ = reach(result)
    need = result.demand["need"].to_numpy(dtype=float)
    return {
        "population": float(people.sum()),
        "need": float(need.sum()),
        "need reached by existing services": float(need[served_before].sum()),
        "unmet need before hubs": float(need[~served_before].sum()),
        "need reached with hubs": float(need[served_after].sum()),
        "unmet need after hubs": float(need[~served_after].sum()),
        "hubs": float(result.candidates["selected"].sum()),
        "existing services": float(len(result.services)),
    }


def compare(base: RunResult, whatif: RunResult) -> Comparison:
    """Line up two runs of (usually) the same area.

    Parameters
    ----------
    base, whatif : RunResult

    Returns
    -------
    Comparison
    """
    a, b = measures(base), measures(whatif)
    summary = pd.DataFrame(
        {"measure": list(a), "base": list(a.values()), "whatif": list(b.values())}
    )
    summary["change"] = summary["whatif"] - summary["base"]
    columns = ["site_id", "name", "kind", "rank", "score", "selected", "selection_order"]
    left = pd.DataFrame(base.candidates[columns])
    right = pd.DataFrame(whatif.candidates[columns])
    table = left.merge(right, on=["site_id"], how="outer", suffixes=("_base", "_whatif"))
    table["name"] = table["name_base"].fillna(table["name_whatif"])
    table["kind"] = table["kind_base"].fillna(table["kind_whatif"])
    # positive: the site moved up the ranking in the what-if
    table["rank_change"] = table["rank_base"] - table["rank_whatif"]
    sel_a = table["selected_base"].fillna(False).astype(bool)
    sel_b = table["selected_whatif"].fillna(False).astype(bool)
    table["portfolio"] = np.select([sel_a & sel_b, sel_b, sel_a], ["kept", "added", "dropped"], "")
    keep = ["site_id", "name", "kind", "rank_base", "rank_whatif", "rank_change", "score_base",
            "score_whatif", "selected_base", "selected_whatif", "portfolio"]  # fmt: skip
    table = (
        table[keep]
        .sort_values(["rank_whatif", "site_id"], na_position="last")
        .reset_index(drop=True)
    )
    deciles = travel_time_by_decile(base).merge(
        travel_time_by_decile(whatif), on="imd_decile", suffixes=("_base", "_whatif"), how="outer"
    )
    return Comparison(base, whatif, summary, table, deciles)


def _chart(comparison: Comparison) -> str:
    shown = [
        "need reached by existing services",
        "need reached with hubs",
        "unmet need after hubs",
    ]
    rows = comparison.summary.set_index("measure").loc[shown]
    return grouped_bars(
        shown,
        {"base": rows["base"].tolist(), "what-if": rows["whatif"].tolist()},
        x_label="",
        y_label="need",
        title="need reached and unmet, base and what-if",
        width=760,
    )


def write_comparison(
    comparison: Comparison, out_dir: Path | str, *, drawing: Drawing | None = None
) -> dict[str, Path]:
    """Write ``base/`` and ``whatif/`` outputs, ``comparison.csv`` and ``comparison.html``.

    Parameters
    ----------
    comparison : Comparison
    out_dir : path
        The folder to write into (created if needed).
    drawing : Drawing, optional
        A drawing process already started (the CLI starts one early).

    Returns
    -------
    dict
        ``comparison.csv`` and ``comparison.html`` -> their paths.
    """
    out_dir = Path(out_dir)
    write_outputs(comparison.base, out_dir / "base", drawing=drawing)
    write_outputs(comparison.whatif, out_dir / "whatif", drawing=drawing)
    csv = out_dir / "comparison.csv"
    comparison.candidates.to_csv(csv, index=False, float_format="%.6f", lineterminator="\n")
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("estate_planner.outputs", "templates"), autoescape=True
    )
    page = env.get_template("comparison.html").render(
        base=comparison.base.scenario.name,
        whatif=comparison.whatif.scenario.name,
        summary=comparison.summary.to_dict("records"),
        changed=comparison.candidates[
            comparison.candidates["portfolio"].isin(["added", "dropped"])
        ].to_dict("records"),
        deciles=comparison.deciles.round(1).to_dict("records"),
        decile_columns=[c for c in comparison.deciles.columns if c != "imd_decile"],
        imd=imd_label(comparison.base),
        chart=_chart(comparison),
    )
    html = out_dir / "comparison.html"
    html.write_text(page, encoding="utf-8")
    return {"comparison.csv": csv, "comparison.html": html}
