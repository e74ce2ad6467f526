"""Certainty by dimension, not by votes: the selection question asked again with one
assumption changed at a time, and for each chosen hub and headline figure what holds
under which change.

The dimensions (each a :class:`Change` of the one :class:`~estate_planner.optimise.Question`):

- **threshold**: every mode's threshold a few minutes shorter and longer (the same
  travel times read against another line: no new routing);
- **placement**: population at one point per small area instead of raster cells (its
  own snapping and times, the only change that routes again);
- **services counted**: only GP practices count as existing provision;
- **weights**: need weights drawn across a declared range (each weight times 1 -/+ the
  spread; the corners of that range first).

Apart from the changes, each hub's gain is read across the threshold band, and a hub
whose gain comes mostly from people within a margin of the threshold (a few minutes
inside it, or reached by another service or hub a few minutes beyond it) *depends on
the threshold*: it is never called stable. Each hub's best substitute is the site the
question chooses in its place when the hub is not available and the other hubs stay,
with the people no longer within reach.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from estate_planner._errors import InfeasibleError
from estate_planner.access import covered_by
from estate_planner.optimise import Question, Selection, drop_empty_hubs

logger = logging.getLogger(__name__)

#: a hub is flagged "depends on the threshold" when more than this share of the people
#: only it brings within reach lie within the margin of the threshold
NEAR_THRESHOLD_SHARE = 0.5

#: what a stability run changes
Dimension = Literal["threshold", "placement", "services", "weights"]


@dataclass(frozen=True)
class Change:
    """One assumption changed: the question it asks and its people per demand column."""

    dimension: Dimension
    column: str  # the hubs table's column for it (weight draws share one)
    label: str  # in words, for the report
    question: Question
    people: np.ndarray  # per demand column of ``question``

    def __cache_token__(self) -> list[Any]:
        """Every field, for the cache's key."""
        return [getattr(self, f.name) for f in fields(self)]


@dataclass
class Certainty:
    """What holds under which change, for the report, the tables and the manifest."""

    hubs: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per chosen hub
    runs: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per change
    holds: pd.DataFrame = field(default_factory=pd.DataFrame)  # conclusion x change
    headline: pd.DataFrame = field(default_factory=pd.DataFrame)  # figure, value, min, max
    columns: dict[str, str] = field(default_factory=dict)  # hubs column -> change in words


def reached(question: Question, chosen: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Demand columns reached by existing services, and by them or the ``chosen`` hubs.

    Parameters
    ----------
    question : Question
    chosen : list of int

    Returns
    -------
    before, after : numpy.ndarray of bool
    """
    n = question.times.shape[1]
    before = np.zeros(n, bool)
    if question.fixed is not None and question.fixed.shape[0]:
        before = covered_by(question.fixed, question.threshold)
    after = before.copy()
    if chosen:
        after |= covered_by(sp.csr_matrix(question.times)[chosen], question.threshold)
    return before, after


def only_this_hub(question: Question, chosen: list[int], hub: int) -> np.ndarray:
    """Demand columns that ``hub`` alone brings within reach (no service, no other hub).

    Parameters
    ----------
    question : Question
    chosen : list of int
    hub : int

    Returns
    -------
    numpy.ndarray of bool
    """
    _, others = reached(question, [s for s in chosen if s != hub])
    mine = covered_by(sp.csr_matrix(question.times)[[hub]], question.threshold)
    return mine & ~others


def near_threshold(
    low: Question, base: Question, high: Question, chosen: list[int], hub: int
) -> np.ndarray:
    """Of the columns only ``hub`` reaches, those within the margin of the threshold.

    A column is near the threshold when the hub no longer reaches it at the shorter
    threshold, or a service or another hub reaches it at the longer one.

    Parameters
    ----------
    low, base, high : Question
        The question at the threshold less the margin, as asked, and plus the margin.
    chosen : list of int
    hub : int

    Returns
    -------
    numpy.ndarray of bool
    """
    mine = only_this_hub(base, chosen, hub)
    still = covered_by(sp.csr_matrix(low.times)[[hub]], low.threshold)
    _, others = reached(high, [s for s in chosen if s != hub])
    return mine & (~still | others)


def _answer(change: Question, min_gain: float) -> tuple[list[int] | None, str]:
    """The change's chosen hubs (those adding nothing left out), or None and why."""
    try:
        found: Selection = change.solve(curve=False)
    except InfeasibleError as exc:
        return None, f"no answer: {exc}"
    found, _ = drop_empty_hubs(found, min_gain=min_gain, keep=list(change.forced))
    return list(found.chosen), ""


def certainty(
    base: Question,
    people: np.ndarray,
    chosen: list[int],
    changes: list[Change],
    margin: tuple[Question, Question],
    sites: pd.DataFrame,
    *,
    min_gain: float,
) -> Certainty:
    """Ask the question again under each change and say what holds under which.

    Parameters
    ----------
    base : Question
        The question as the run asked it.
    people : numpy.ndarray
        People per demand column of ``base``.
    chosen : list of int
        The run's chosen hubs (candidate indices, in selection order).
    changes : list of Change
        The question with one assumption changed each.
    margin : tuple of Question
        ``base`` at the threshold less and plus the margin (the "depends on the
        threshold" test).
    sites : pandas.DataFrame
        Per candidate ``site_id`` and ``name`` (and, where known, ``availability``,
        ``availability_source``, ``availability_date``, ``floor_area_m2``,
        ``floor_area_source``, carried into the hubs table).
    min_gain : float
        Hubs adding no more than this are left out of every answer, as in the run.

    Returns
    -------
    Certainty
    """
    ids = sites["site_id"].astype(str).to_numpy()
    answers = [_answer(c.question, min_gain) for c in changes]
    runs = _runs(base, people, chosen, changes, answers, ids)
    hubs = _hubs(base, people, chosen, changes, answers, margin, sites, min_gain)
    labels = {c.column: c.label for c in changes}
    for column in {c.column for c in changes if c.dimension == "weights"}:
        n = sum(c.column == column for c in changes)
        labels[column] = f"every one of {n} draws of the need weights"
    return Certainty(
        hubs=hubs,
        runs=runs,
        holds=_holds(hubs, runs, chosen, labels),
        headline=_headline(runs),
        columns=labels,
    )


FIGURES = {
    "people_brought_within_reach": "people the hubs bring within reach",
    "people_within_reach": "people within reach of a service or hub",
    "people_beyond_reach": "people beyond reach of any service or hub",
}


def _figures(question: Question, people: np.ndarray, chosen: list[int]) -> dict[str, float]:
    before, after = reached(question, chosen)
    return {
        "people_brought_within_reach": float(people[after & ~before].sum()),
        "people_within_reach": float(people[after].sum()),
        "people_beyond_reach": float(people[~after].sum()),
    }


def _runs(
    base: Question,
    people: np.ndarray,
    chosen: list[int],
    changes: list[Change],
    answers: list[tuple[list[int] | None, str]],
    ids: np.ndarray,
) -> pd.DataFrame:
    rows = [
        {
            "dimension": "as chosen",
            "column": "",
            "change": "as chosen",
            "chosen": [str(ids[s]) for s in chosen],
            "note": "",
            **_figures(base, people, chosen),
        }
    ]
    for change, (found, note) in zip(changes, answers, strict=True):
        figures = (
            _figures(change.question, change.people, found)
            if found is not None
            else dict.fromkeys(FIGURES, np.nan)
        )
        rows.append(
            {
                "dimension": change.dimension,
                "column": change.column,
                "change": change.label,
                "chosen": [str(ids[s]) for s in found or []],
                "note": note,
                **figures,
            }
        )
    return pd.DataFrame(rows)


def _hubs(
    base: Question,
    people: np.ndarray,
    chosen: list[int],
    changes: list[Change],
    answers: list[tuple[list[int] | None, str]],
    margin: tuple[Question, Question],
    sites: pd.DataFrame,
    min_gain: float,
) -> pd.DataFrame:
    low, high = margin
    coverage = base.objective == "coverage"
    _, with_all = reached(base, chosen)
    rows = []
    for order, hub in enumerate(chosen, 1):
        row: dict[str, Any] = {
            "selection_order": order,
            "site_id": str(sites["site_id"].iloc[hub]),
            "name": str(sites["name"].iloc[hub]),
        }
        mine = only_this_hub(base, chosen, hub)
        band = {}
        for change in changes:
            if change.dimension == "threshold":
                alone = only_this_hub(change.question, chosen, hub)
                key = f"people_only_this_hub_reaches_{change.column[len('chosen_') :]}"
                band[key] = float(change.people[alone].sum())
        # across the band in order: shorter, as set, longer
        row.update({k: v for k, v in band.items() if "minus" in k})
        row["people_only_this_hub_reaches"] = float(people[mine].sum())
        row.update({k: v for k, v in band.items() if "minus" not in k})
        near = near_threshold(low, base, high, chosen, hub) if coverage else np.zeros_like(mine)
        share = float(people[near].sum() / people[mine].sum()) if people[mine].sum() else np.nan
        row["near_threshold_share"] = share
        row["depends_on_threshold"] = bool(coverage and share > NEAR_THRESHOLD_SHARE)
        by_column: dict[str, list[bool]] = {}
        for change, (found, _) in zip(changes, answers, strict=True):
            by_column.setdefault(change.column, []).append(found is not None and hub in found)
        for column, chosen_in in by_column.items():
            row[column] = all(chosen_in)
            if len(chosen_in) > 1:
                row[f"{column}_count"] = f"{sum(chosen_in)} of {len(chosen_in)}"
        row["stable"] = all(all(v) for v in by_column.values()) and not row["depends_on_threshold"]
        row.update(_substitute(base, people, chosen, hub, with_all, sites, min_gain))
        rows.append(row)
    table = pd.DataFrame(rows)
    for column in ("availability", "availability_source", "availability_date",
                   "floor_area_m2", "floor_area_source"):  # fmt: skip
        if column in sites.columns and len(table):
            table[column] = sites[column].iloc[chosen].to_numpy()
    return table


def _substitute(
    base: Question,
    people: np.ndarray,
    chosen: list[int],
    hub: int,
    with_all: np.ndarray,
    sites: pd.DataFrame,
    min_gain: float,
) -> dict[str, Any]:
    """The hub's best substitute: the site the question chooses in its place when it is
    not available and the other hubs stay, and the people no longer within reach."""
    others = tuple(sorted(s for s in chosen if s != hub))
    found, note = _answer(base.without(hub).changed(forced=others, hubs=len(chosen)), min_gain)
    if found is None:
        return {
            "substitute_site_id": "",
            "substitute_name": note,
            "people_lost_if_unavailable": float(people[with_all].sum()),
        }
    new = [s for s in found if s not in chosen]
    _, after = reached(base, found)
    return {
        "substitute_site_id": "; ".join(str(sites["site_id"].iloc[s]) for s in new),
        "substitute_name": "; ".join(str(sites["name"].iloc[s]) for s in new)
        or "none (the other hubs are kept)",
        "people_lost_if_unavailable": float(people[with_all].sum() - people[after].sum()),
    }


def _holds(
    hubs: pd.DataFrame,
    runs: pd.DataFrame,
    chosen: list[int],
    labels: dict[str, str],
) -> pd.DataFrame:
    """Rows: conclusions; columns: changes (in words); cells: "holds", "does not hold"."""
    base_set = set(runs["chosen"].iloc[0])
    rows = []
    for hub in hubs.itertuples():
        row = {"conclusion": f"hub {hub.selection_order}, {hub.name}, is chosen"}
        for column, label in labels.items():
            row[label] = "holds" if getattr(hub, column) else "does not hold"
        row["as the threshold moves by the margin"] = (
            "does not hold" if hub.depends_on_threshold else "holds"
        )
        rows.append(row)
    changed = runs.iloc[1:]
    for words, test in (
        ("the same set of hubs is chosen", lambda c: set(c) == base_set),
        (f"{len(chosen)} hub(s) add something", lambda c: len(c) == len(chosen)),
    ):
        row = {"conclusion": words, "as the threshold moves by the margin": ""}
        for column, label in labels.items():
            mine = changed[changed["column"] == column]
            ok = all(test(c) and not n for c, n in zip(mine["chosen"], mine["note"], strict=True))
            row[label] = "holds" if ok else "does not hold"
        rows.append(row)
    return pd.DataFrame(rows)


def _headline(runs: pd.DataFrame) -> pd.DataFrame:
    """Each headline figure as chosen and its range over the changes (people)."""
    rows = []
    for name, words in FIGURES.items():
        values = runs[name].astype(float)
        known = values.dropna()
        low, high = int(np.argmin(values.fillna(np.inf))), int(np.argmax(values.fillna(-np.inf)))
        rows.append(
            {
                "figure": name,
                "description": words,
                "unit": "people",
                "value": float(values.iloc[0]),
                "min": float(known.min()),
                "max": float(known.max()),
                "min_under": str(runs["change"].iloc[low]),
                "max_under": str(runs["change"].iloc[high]),
            }
        )
    return pd.DataFrame(rows)


def weight_draws(
    weights: dict[str, float], *, runs: int, spread: float, seed: int
) -> list[dict[str, float]]:
    """Need weights spanning ``1 -/+ spread`` times each: the corners first, then draws.

    Parameters
    ----------
    weights : dict
        The need weights as set.
    runs : int
        Number of draws.
    spread : float
        Each weight moves by up to this share of itself.
    seed : int
        Seed of the draws past the corners.

    Returns
    -------
    list of dict
    """
    names = list(weights)
    corners = [[(i >> j) & 1 for j in range(len(names))] for i in range(2 ** len(names))][
        1:-1
    ]  # all-low and all-high scale need evenly: they ask nothing new
    rng = np.random.default_rng(seed)
    out = []
    for i in range(runs):
        if i < len(corners):
            factors = [1 + spread if up else 1 - spread for up in corners[i]]
        else:
            factors = list(rng.uniform(1 - spread, 1 + spread, len(names)))
        out.append({n: weights[n] * f for n, f in zip(names, factors, strict=True)})
    return out
