"""A board's questions side by side: one row per what-if, and their coverage curves.

:func:`questions_table` lines up the runs' summaries (the hubs, whom they bring
within reach, who stays beyond it, how sure the choice is); :func:`coverage_curves`
draws each run's coverage curve (the best result for 1 to k hubs) next to the others,
so a board sees where another hub stops paying.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from estate_planner.explorer.summary import Summary, summarise
from estate_planner.outputs.charts import line_chart

if TYPE_CHECKING:
    from estate_planner.results import RunResult


def questions_table(runs: Mapping[str, RunResult | Summary]) -> pd.DataFrame:
    """One row per question: its hubs and the people they bring within reach.

    Parameters
    ----------
    runs : mapping
        The question, in words -> its run (or its explorer summary).

    Returns
    -------
    pandas.DataFrame
        ``question``, ``hubs`` (names in order), ``people``, ``within_reach_before``,
        ``brought_within_reach``, ``beyond_reach_after`` (people),
        ``deprived_within_reach_after`` (share of people in IMD deciles 1-2),
        ``unmet_need_after`` and ``stable`` (hubs chosen under every change of the
        certainty check and not depending on the threshold, of those chosen).
    """
    rows = []
    for question, run in runs.items():
        s = run if isinstance(run, Summary) else summarise(run)
        deprived = [d for d in s.deciles if d.decile is not None and d.decile <= 2]
        people = sum(d.people for d in deprived)
        sure = sum(c.stable for c in s.certainty)
        rows.append(
            {
                "question": question,
                "hubs": "; ".join(s.names),
                "people": s.people,
                "within_reach_before": s.within_before,
                "brought_within_reach": s.brought_within_reach,
                "beyond_reach_after": s.people - s.within_after,
                "deprived_within_reach_after": (
                    sum(d.within_after for d in deprived) / people if people else math.nan
                ),
                "unmet_need_after": s.unmet_need_after,
                "stable": f"{sure} of {len(s.chosen)}" if s.certainty else "not run",
            }
        )
    return pd.DataFrame(rows)


@dataclass
class Curves:
    """Coverage curves side by side (shows itself in a notebook)."""

    titles: list[str]
    svgs: list[str]

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<div style='flex:0 0 auto'><div><b>{html.escape(t)}</b></div>{svg}</div>"
            for t, svg in zip(self.titles, self.svgs, strict=True)
        )
        return f"<div style='display:flex;flex-wrap:wrap;gap:12px'>{cells}</div>"


def coverage_curves(runs: Mapping[str, RunResult], *, width: int = 330) -> Curves:
    """Each run's coverage curve, side by side (each chart on its own scale).

    Parameters
    ----------
    runs : mapping
        The question, in words -> its run.
    width : int
        Pixels per chart.

    Returns
    -------
    Curves
        Shown side by side in a notebook; ``svgs`` holds each chart.
    """
    svgs = []
    for question, run in runs.items():
        objective = run.selection.objective
        label = "unmet need reached" if objective == "coverage" else "need-weighted seconds"
        svgs.append(
            line_chart(
                list(run.selection.curve),
                x_label="number of hubs",
                y_label=label,
                title=f"{question}: the best result for 1 to k hubs",
                width=width,
            )
        )
    return Curves(list(runs), svgs)
