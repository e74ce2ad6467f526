"""The headline measures of a run: one definition that ``compare`` and ``batch`` share.

Each :class:`Measure` has a key (the column of the batch's ``summary.csv``), a label
(the row of the comparison page), a unit and how it is computed from a run. Who is
reached comes from :func:`estate_planner.outputs.summary.reach`, the one definition of
"reached" (a time within the selection mode's threshold, in seconds), on the
selection mode. Need is in need-weighted units: people, each weighted by the
scenario's need weights (age, deprivation); not a head count.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MEASURES", "Measure", "measure_values", "shown"]


@dataclass(frozen=True)
class Measure:
    """One headline measure of a run.

    Attributes
    ----------
    key : str
        Its name as a column (``summary.csv``).
    label : str
        Its name in sentences and on the comparison page.
    unit : str
        What it counts: ``people``, ``need-weighted units``, ``share of people``,
        ``sites`` or ``services``.
    how : str
        How it is computed, in words (the user guide's table of measures).
    compute : callable
        ``compute(facts) -> float`` from the run's :class:`_Facts`.
    """

    key: str
    label: str
    unit: str
    how: str
    compute: Callable[[_Facts], float]

    @property
    def format(self) -> str:
        """How a value reads (a format spec): shares as percentages, counts whole."""
        return ".1%" if self.unit == "share of people" else ",.0f"


@dataclass(frozen=True)
class _Facts:
    """What every measure is computed from, read once per run."""

    people: np.ndarray
    need: np.ndarray
    before: np.ndarray
    after: np.ndarray
    hubs: int
    services: int


def _share(facts: _Facts) -> float:
    total = float(facts.people.sum())
    # no people at all: the share is not known, never a 0 that reads as a fact
    return float(facts.people[~facts.before].sum()) / total if total else math.nan


#: every headline measure, in the order the summary and the comparison show them
MEASURES: tuple[Measure, ...] = (
    Measure(
        "people", "population", "people", "people of every demand point",
        lambda f: float(f.people.sum()),
    ),
    Measure(
        "people_beyond_reach", "people beyond reach of every existing service", "people",
        "people with no existing service within the selection mode's threshold",
        lambda f: float(f.people[~f.before].sum()),
    ),
    Measure(
        "share_beyond_reach", "share of people beyond reach of every existing service",
        "share of people", "those people over all people (not known when there are none)",
        _share,
    ),
    Measure(
        "people_brought_within_reach", "people the hubs bring within reach", "people",
        "people beyond reach of every existing service whom a chosen hub reaches",
        lambda f: float(f.people[~f.before & f.after].sum()),
    ),
    Measure(
        "need", "need", "need-weighted units", "the need index summed over demand points",
        lambda f: float(f.need.sum()),
    ),
    Measure(
        "need_reached_before", "need reached by existing services", "need-weighted units",
        "need of demand points an existing service reaches",
        lambda f: float(f.need[f.before].sum()),
    ),
    Measure(
        "need_unmet_before", "unmet need before hubs", "need-weighted units",
        "need of demand points no existing service reaches",
        lambda f: float(f.need[~f.before].sum()),
    ),
    Measure(
        "need_reached_after", "need reached with hubs", "need-weighted units",
        "need of demand points a service or a chosen hub reaches",
        lambda f: float(f.need[f.after].sum()),
    ),
    Measure(
        "need_unmet_after", "unmet need after hubs", "need-weighted units",
        "need of demand points neither reaches",
        lambda f: float(f.need[~f.after].sum()),
    ),
    Measure("hubs", "hubs", "sites", "sites chosen", lambda f: float(f.hubs)),
    Measure(
        "existing_services", "existing services", "services",
        "services counted as existing provision", lambda f: float(f.services),
    ),
)  # fmt: skip


def measure_values(result: Any) -> dict[str, float]:
    """Every measure of :data:`MEASURES` for one run, on its selection mode.

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    dict
        Measure key -> value, in the order of :data:`MEASURES`.
    """
    from estate_planner.outputs.summary import reach

    people, before, after, _ = reach(result)
    facts = _Facts(
        people=people,
        need=result.demand["need"].to_numpy(dtype=float),
        before=before,
        after=after,
        hubs=int(result.candidates["selected"].sum()),
        services=len(result.services),
    )
    return {m.key: m.compute(facts) for m in MEASURES}


def shown(value: float, spec: str, *, change: bool = False) -> str:
    """A measure's value as a person reads it.

    Parameters
    ----------
    value : float
    spec : str
        The measure's :attr:`Measure.format`.
    change : bool
        A difference between two runs: signed, and a change of a share in percentage
        points (never a percentage, which would read as a relative change).

    Returns
    -------
    str
        ``"not known"`` for a value that is not known.

    Examples
    --------
    >>> shown(0.416, ".1%"), shown(0.019, ".1%", change=True), shown(1015.0, ",.0f", change=True)
    ('41.6%', '+1.9 percentage points', '+1,015')
    """
    if math.isnan(value):
        return "not known"
    if change and spec.endswith("%"):
        return f"{value * 100:+.1f} percentage points"
    return format(value, ("+" if change else "") + spec)
