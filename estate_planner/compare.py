"""Compare two runs (a base and a what-if): what changed, for whom, and where.

:func:`compare` lines the runs up; :func:`what_changed` says it in sentences;
:func:`write_comparison` writes both runs' outputs side by side with
``comparison.csv`` (every candidate's rank and score in each run) and
``comparison.html``: the sentences, the tables, a chart and both maps, all inside the
one file (the maps as frames whose page is held in the file), so it can be emailed.
"""

from __future__ import annotations

import html as html_text
import logging
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup

from estate_planner.measures import MEASURES, measure_values, shown
from estate_planner.outputs import Drawing, write_outputs
from estate_planner.outputs.charts import grouped_bars
from estate_planner.outputs.report import travel_time_by_decile
from estate_planner.outputs.summary import imd_label, reach
from estate_planner.results import RunResult

logger = logging.getLogger(__name__)


@dataclass
class Comparison:
    """Two runs lined up. ``summary`` has one row per headline measure
    (:data:`estate_planner.measures.MEASURES`: key, label, unit, format, each run's value
    and the change, as the batch summary's columns have them); ``candidates`` one row
    per site in either run; ``deciles`` mean minutes to the nearest service or hub by
    IMD decile in each run."""

    base: RunResult
    whatif: RunResult
    summary: pd.DataFrame
    candidates: pd.DataFrame
    deciles: pd.DataFrame


def compare(base: RunResult, whatif: RunResult) -> Comparison:
    """Line up two runs of (usually) the same area.

    Parameters
    ----------
    base, whatif : RunResult

    Returns
    -------
    Comparison
    """
    a, b = measure_values(base), measure_values(whatif)
    summary = pd.DataFrame(
        {
            "key": [m.key for m in MEASURES],
            "measure": [m.label for m in MEASURES],
            "unit": [m.unit for m in MEASURES],
            "format": [m.format for m in MEASURES],
            "base": [a[m.key] for m in MEASURES],
            "whatif": [b[m.key] for m in MEASURES],
        }
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


def what_changed(comparison: Comparison) -> list[str]:
    """What changed from the base to the what-if, in sentences a board reads.

    The hubs chosen (in, out), the existing services (closed, opened), the people
    within reach of a service or hub on the selection mode (how many more or fewer,
    and how many people gained or lost it), and each IMD decile whose mean time to
    the nearest service or hub moved by half a minute or more.

    Parameters
    ----------
    comparison : Comparison

    Returns
    -------
    list of str
    """
    base, whatif = comparison.base, comparison.whatif
    mode = base.scenario.selection_mode
    out = []
    chosen = comparison.candidates
    names = dict(zip(chosen["site_id"], chosen["name"], strict=True))

    def listed(ids: list[str]) -> str:
        items = [f"{names.get(i, i)} ({i})" for i in ids]
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

    added = chosen.loc[chosen["portfolio"] == "added", "site_id"].tolist()
    dropped = chosen.loc[chosen["portfolio"] == "dropped", "site_id"].tolist()
    if added and dropped:
        out.append(f"The what-if chooses {listed(added)} instead of {listed(dropped)}.")
    elif added:
        out.append(f"The what-if adds {listed(added)} to the hubs chosen.")
    elif dropped:
        out.append(f"The what-if no longer chooses {listed(dropped)}.")
    else:
        kept = int((chosen["portfolio"] == "kept").sum())
        out.append(f"The same {kept} hub{'s' if kept != 1 else ''} are chosen.")
    ids_a = set(base.services["service_id"])
    ids_b = set(whatif.services["service_id"])
    service_names = dict(
        zip(
            pd.concat([base.services["service_id"], whatif.services["service_id"]]),
            pd.concat([base.services["name"], whatif.services["name"]]),
            strict=True,
        )
    )
    for ids, verb in ((sorted(ids_a - ids_b), "closes"), (sorted(ids_b - ids_a), "opens")):
        if ids:
            shown = ", ".join(f"{service_names[i]} ({i})" for i in ids[:5])
            more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
            out.append(f"The what-if {verb} {shown}{more}.")
    people_a, _, after_a, _ = reach(base)
    people_b, _, after_b, _ = reach(whatif)
    out += _reach_sentences(comparison, float(people_a[after_a].sum()),
                            float(people_b[after_b].sum()))  # fmt: skip
    gained, lost = _gained_and_lost(base, whatif, after_a, after_b)
    if gained or lost:
        out.append(
            f"Of the people in both runs, {lost:,.0f} lose that reach and {gained:,.0f} "
            "gain it."
        )
    out += _decile_sentences(comparison, mode)
    return out




def _decile_sentences(comparison: Comparison, mode: str) -> list[str]:
    """Each IMD decile whose mean time to the nearest service or hub moved by half a
    minute or more; none where the two runs cap times at different limits."""
    from estate_planner.access import HORIZON_FACTOR

    base, whatif = comparison.base, comparison.whatif
    deciles = comparison.deciles
    column = f"{mode}_after"
    if f"{column}_base" not in deciles or f"{column}_whatif" not in deciles:
        return []
    limits = [HORIZON_FACTOR * r.scenario.access.minutes(mode) for r in (base, whatif)]
    if limits[0] != limits[1]:
        # a time beyond the search limit counts as the limit: means under two limits
        # move with the limits, not with the hubs
        return [
            f"Mean {mode} times by decile are not compared: each run counts a time beyond "
            f"its search limit ({limits[0]:g} and {limits[1]:g} minutes) as that limit."
        ]
    out = []
    label = imd_label(base)
    for row in deciles.itertuples():
        before = getattr(row, f"{column}_base")
        now = getattr(row, f"{column}_whatif")
        if pd.isna(before) or pd.isna(now) or abs(now - before) < 0.5:
            continue
        decile = int(float(row.imd_decile))  # type: ignore[arg-type]
        which = " (the most deprived tenth)" if decile == 1 else ""
        verb = "rises" if now > before else "falls"
        out.append(
            f"In {label} decile {decile}{which} the mean {mode} to the nearest service or "
            f"hub {verb} from {before:.1f} to {now:.1f} minutes."
        )
    return out

def _reach_sentences(comparison: Comparison, reached_a: float, reached_b: float) -> list[str]:
    """People within reach in the base and the what-if, each at its own threshold."""
    base, whatif = comparison.base, comparison.whatif
    mode = base.scenario.selection_mode
    minutes = base.scenario.access.minutes(mode)
    out = []
    change = reached_b - reached_a
    within = f"within {minutes:g} minutes' {mode} of a service or hub"
    mode_b = whatif.scenario.selection_mode
    minutes_b = whatif.scenario.access.minutes(mode_b)
    if (mode_b, minutes_b) != (mode, minutes):
        # each run counts reach at its own threshold: say both, never one for the two
        out.append(
            f"The what-if counts reach within {minutes_b:g} minutes' {mode_b} "
            f"({minutes:g} minutes' {mode} in the base)."
        )
        out.append(
            f"People within reach of a service or hub: {reached_a:,.0f} in the base, "
            f"{reached_b:,.0f} in the what-if ({change:+,.0f} people)."
        )
    elif abs(change) < 0.5:
        out.append(f"The people {within} do not change: {reached_a:,.0f}.")
    else:
        out.append(
            f"People {within}: {reached_a:,.0f} in the base, {reached_b:,.0f} in the what-if "
            f"({change:+,.0f} people)."
        )
    return out

def _gained_and_lost(
    base: RunResult, whatif: RunResult, after_a: np.ndarray, after_b: np.ndarray
) -> tuple[float, float]:
    """People (of demand points in both runs, by id) who gain or lose reach."""
    people = base.demand["population"].to_numpy()
    a = pd.DataFrame({"id": base.demand["id"].to_numpy(), "people": people, "reached": after_a})
    a = a.set_index("id")
    b = pd.DataFrame({"id": whatif.demand["id"].to_numpy(), "reached_b": after_b}).set_index("id")
    both = a.join(b, how="inner")
    gained = both["people"][~both["reached"] & both["reached_b"]].sum()
    lost = both["people"][both["reached"] & ~both["reached_b"]].sum()
    return float(gained), float(lost)


def _inline_map(path: Path, title: str) -> str:
    """A frame holding the map page itself (``srcdoc``): the comparison is one file."""
    page = path.read_text(encoding="utf-8")
    return (
        f'<iframe title="{html_text.escape(title)}" '
        f'srcdoc="{html_text.escape(page, quote=True)}"></iframe>'
    )


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
        y_label="need-weighted units",
        title="need reached and unmet (need-weighted units), base and what-if",
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
        sentences=what_changed(comparison),
        shown=shown,
        base_map=Markup(_inline_map(out_dir / "base" / "map.html", "base map")),
        whatif_map=Markup(
            _inline_map(out_dir / "whatif" / "map.html", "what-if map")
        ),
    )
    html = out_dir / "comparison.html"
    html.write_text(page, encoding="utf-8")
    return {"comparison.csv": csv, "comparison.html": html}
