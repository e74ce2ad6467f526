"""The selection question as one object: the run asks it, and every check of the answer
(stability, substitutes, certainty) asks it again with one thing changed, never a
simpler copy of it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from estate_planner._errors import InfeasibleError
from estate_planner.optimise._base import Objective, Selection


@dataclass(frozen=True)
class Question:
    """What the optimiser is asked: the data, the request, and which model answers it.

    k hubs (coverage or median, within a budget, forced sites in), the fewest hubs
    (or the least cost) reaching a target share of the unmet need, or k hubs each
    serving at most a capacity. ``costs`` and ``budget`` are the scenario's: a cost a
    year (``selection.budget_gbp``) or each candidate's indicative capital
    (``selection.capital_budget_gbp``). A re-solve is :meth:`changed` and :meth:`solve`
    again, so it answers the same question with the one change it names.

    Attributes
    ----------
    times : scipy.sparse.csr_matrix
        Candidates x demand columns, seconds (only reachable pairs stored).
    need : numpy.ndarray
        Need of each demand column.
    hubs : int
        Hubs to choose (with ``target_share``: the most allowed).
    threshold : float
        Seconds within which a site reaches a demand column.
    fixed : scipy.sparse.csr_matrix or None
        Existing services x demand columns, seconds; they stay open.
    objective : {"coverage", "median"}
    eligible : numpy.ndarray of bool or None
        Candidates that may be chosen (None: all).
    forced : tuple of int
        Candidates that must be chosen.
    costs : numpy.ndarray or None
        Cost per candidate: £ a year, or £ of capital.
    budget : float or None
        The most the chosen set may cost, in the unit of ``costs``.
    capacity : float or None
        The most one hub may serve, in the unit of ``load`` (coverage).
    load : numpy.ndarray or None
        What each demand column puts on a hub: its people (default its need).
    target_share : float or None
        Choose the fewest hubs reaching this share of the unmet need (not with
        forced sites, which fix the count from below).
    cheapest : bool
        With ``target_share``: the least ``costs`` reaching it (at most ``hubs``), not
        the fewest hubs.
    time_limit : float
        Seconds HiGHS may spend.
    """

    times: sp.csr_matrix
    need: np.ndarray
    hubs: int
    threshold: float
    fixed: sp.csr_matrix | None = None
    objective: Objective = "coverage"
    eligible: np.ndarray | None = None
    forced: tuple[int, ...] = ()
    costs: np.ndarray | None = None
    budget: float | None = None
    capacity: float | None = None
    load: np.ndarray | None = None
    target_share: float | None = None
    cheapest: bool = False
    time_limit: float = 60.0

    def changed(self, **changes: Any) -> Question:
        """The same question with the given fields changed.

        Parameters
        ----------
        **changes
            Field names and their new values.

        Returns
        -------
        Question
        """
        return dataclasses.replace(self, **changes)

    def without(self, site: int) -> Question:
        """The same question with ``site`` not available (nor forced).

        Parameters
        ----------
        site : int

        Returns
        -------
        Question
        """
        eligible = (
            np.ones(self.times.shape[0], bool)
            if self.eligible is None
            else np.array(self.eligible, bool)
        )
        eligible[site] = False
        return self.changed(eligible=eligible, forced=tuple(s for s in self.forced if s != site))

    def solve(self, *, curve: bool = True) -> Selection:
        """The optimiser's answer to this question.

        Parameters
        ----------
        curve : bool
            Also find the best value of 1..k hubs (k-hub questions only).

        Returns
        -------
        Selection

        Raises
        ------
        InfeasibleError
            If the question cannot be answered (too few eligible sites, the budget,
            a target share out of reach).
        """
        from estate_planner.optimise.capacitated import capacitated_coverage
        from estate_planner.optimise.cheapest import cheapest_share
        from estate_planner.optimise.questions import fewest_sites, select_sites

        options: dict[str, Any] = {
            "threshold": self.threshold,
            "fixed": self.fixed,
            "eligible": self.eligible,
            "time_limit": self.time_limit,
        }
        forced = list(self.forced)
        if self.capacity is not None:
            return capacitated_coverage(
                self.times, self.need, self.hubs, self.capacity,
                costs=self.costs, budget=self.budget, forced=forced, load=self.load, **options,
            )  # fmt: skip
        if self.target_share is not None and not forced and self.cheapest:
            if self.costs is None:
                raise InfeasibleError("the least-cost question needs a cost per candidate")
            return cheapest_share(
                self.times, self.need, self.costs, self.target_share, most=self.hubs, **options
            )
        if self.target_share is not None and not forced:
            return fewest_sites(self.times, self.need, self.target_share, most=self.hubs, **options)
        return select_sites(
            self.times, self.need, self.hubs, objective=self.objective, costs=self.costs,
            budget=self.budget, forced=forced, curve=curve, **options,
        )  # fmt: skip

    def __cache_token__(self) -> list[Any]:
        """Every field, for the cache's key."""
        return [getattr(self, f.name) for f in dataclasses.fields(self)]


def drop_empty_hubs(
    selection: Selection, *, min_gain: float = 0.0, keep: list[int] | None = None
) -> tuple[Selection, list[int]]:
    """The selection without hubs that add next to nothing.

    Dropping them changes no objective: they reached no one the others did not.

    Parameters
    ----------
    selection : Selection
        The optimiser's answer, with each hub's marginal gain.
    min_gain : float
        Hubs adding no more than this are dropped (at least a rounding error's worth).
    keep : list of int, optional
        Hubs kept whatever they add (forced by an edit).

    Returns
    -------
    selection : Selection
        Without the dropped hubs; they are listed in its ``empty``.
    dropped : list of int
        The candidate indices dropped.
    """
    keep = keep or []
    tiny = 1e-9 * max(1.0, max((abs(g) for g in selection.gains), default=1.0))
    empty = [
        site
        for site, gain in zip(selection.chosen, selection.gains, strict=True)
        if gain <= max(min_gain, tiny) and site not in keep
    ]
    if not empty:
        return selection, []
    kept = [
        (s, g) for s, g in zip(selection.chosen, selection.gains, strict=True) if s not in empty
    ]
    return (
        dataclasses.replace(
            selection, chosen=[s for s, _ in kept], gains=[g for _, g in kept], empty=empty
        ),
        empty,
    )
