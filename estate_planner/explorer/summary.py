"""The decision summary a board reads after each what-if: the sites chosen, the
people they bring within reach, access by IMD decile, and how sure the choice is.

Every figure comes from the run's own tables through the definitions the report and
the comparison page use (:func:`estate_planner.outputs.summary.reach`), so the
explorer never says a number the run's outputs do not.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from estate_planner.outputs.summary import reach

if TYPE_CHECKING:
    from estate_planner.results import RunResult


@dataclass(frozen=True)
class DecileReach:
    """People of one IMD decile (``None``: areas with no IMD) within reach."""

    decile: int | None
    people: float
    within_before: float  # of an existing service
    within_after: float  # of a service or a chosen hub


@dataclass(frozen=True)
class Certainty:
    """What holds for a chosen site when one assumption changes at a time (the
    decision layer's certainty check, :mod:`estate_planner.certainty`)."""

    site_id: str
    stable: bool  # chosen under every change, and not depending on the threshold
    depends_on_threshold: bool
    not_chosen_when: tuple[str, ...]  # the changes under which it is not chosen


@dataclass(frozen=True)
class Summary:
    """The decision after a what-if, on the selection mode's threshold.

    People are usual residents (Census 2021, spread over the population raster where
    the scenario has one); "within reach" means within ``minutes`` by ``mode`` of the
    nearest service (before) or service or chosen hub (after).
    """

    mode: str
    minutes: float
    chosen: tuple[str, ...]  # site ids, in order of what each adds
    names: tuple[str, ...]
    people: float
    within_before: float
    within_after: float
    hub_people: tuple[float, ...]  # people each hub brings within reach, in order
    unmet_need_before: float
    unmet_need_after: float
    deciles: tuple[DecileReach, ...]
    certainty: tuple[Certainty, ...]  # empty when no stability runs were asked for

    @property
    def brought_within_reach(self) -> float:
        """People the hubs bring within reach."""
        return self.within_after - self.within_before

    def decile_table(self) -> pd.DataFrame:
        """Per IMD decile: people, and the share within reach before and after.

        Returns
        -------
        pandas.DataFrame
        """
        rows = [
            {
                "imd_decile": "unknown" if d.decile is None else d.decile,
                "people": d.people,
                "within_reach_before": d.within_before / d.people if d.people else np.nan,
                "within_reach_after": d.within_after / d.people if d.people else np.nan,
                "brought_within_reach": d.within_after - d.within_before,
            }
            for d in self.deciles
        ]
        return pd.DataFrame(rows)

    def text(self) -> str:
        """The summary in two sentences."""
        hubs = ", ".join(f"{n} ({s})" for s, n in zip(self.chosen, self.names, strict=True))
        sure = ""
        if self.certainty:
            sure = " When one assumption changes: " + "; ".join(
                f"{c.site_id} "
                + ("stable" if c.stable else "depends on the threshold"
                   if c.depends_on_threshold else "not stable")
                + (f" (not chosen when {', or '.join(c.not_chosen_when)})"
                   if c.not_chosen_when else "")
                for c in self.certainty
            ) + "."  # fmt: skip
        return (
            f"Hubs: {hubs or 'none'}. They bring {self.brought_within_reach:,.0f} people "
            f"within {self.minutes:g} min by {self.mode} of a service or hub "
            f"({self.within_after / self.people:.1%} of {self.people:,.0f}, from "
            f"{self.within_before / self.people:.1%}).{sure}"
        )

    def _repr_html_(self) -> str:
        table = self.decile_table()
        for column in ("within_reach_before", "within_reach_after"):
            table[column] = table[column].map(lambda v: "–" if np.isnan(v) else f"{v:.1%}")
        for column in ("people", "brought_within_reach"):
            table[column] = table[column].map(lambda v: f"{v:,.0f}")
        table.columns = [c.replace("_", " ") for c in table.columns]
        return f"<p>{html.escape(self.text())}</p>{table.to_html(index=False, border=0)}"


def summarise(result: RunResult) -> Summary:
    """The summary of a run.

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    Summary
    """
    people, before, after, minutes = reach(result)
    demand = result.demand
    need = demand["need"].to_numpy(dtype=float)
    chosen = result.selected
    deciles = demand["imd_decile"].to_numpy(dtype=float)
    rows = []
    for value in [*np.unique(deciles[np.isfinite(deciles)]), None]:
        rows_of = ~np.isfinite(deciles) if value is None else deciles == value
        if value is None and not rows_of.any():
            continue
        rows.append(
            DecileReach(
                None if value is None else int(value),
                float(people[rows_of].sum()),
                float(people[rows_of & before].sum()),
                float(people[rows_of & after].sum()),
            )
        )
    return Summary(
        mode=result.scenario.selection_mode,
        minutes=minutes,
        chosen=tuple(str(s) for s in chosen["site_id"]),
        names=tuple(str(n) for n in chosen["name"]),
        people=float(people.sum()),
        within_before=float(people[before].sum()),
        within_after=float(people[after].sum()),
        hub_people=tuple(e.people for e in result.decision.effects),
        unmet_need_before=float(need[~before].sum()),
        unmet_need_after=float(need[~after].sum()),
        deciles=tuple(rows),
        certainty=_certainty(result, chosen["site_id"]),
    )


def _certainty(result: RunResult, chosen: pd.Series) -> tuple[Certainty, ...]:
    table = result.decision.hubs
    if table is None or not len(table):
        return ()
    labels = result.decision.certainty.columns
    rows = table.set_index("site_id")
    return tuple(
        Certainty(
            str(site),
            bool(rows.loc[site, "stable"]),
            bool(rows.loc[site, "depends_on_threshold"]),
            tuple(words for column, words in labels.items() if rows.loc[site, column] is False),
        )
        for site in chosen
        if site in rows.index
    )
