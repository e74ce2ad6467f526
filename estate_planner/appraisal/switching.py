"""Switching values: how far capital £/m², rent or the population served must move
before another option becomes the preferred one, found exactly.

An option's cost per person is its net present cost above business as usual over the
people it brings within reach (:func:`.options.appraise`). Net present cost is linear
in the capital and in the yearly cost (every flow of :func:`.ledger.npc` is a multiple
of one or the other), so with capital £/m² or rent changed by ``x`` (0.25: 25% more)
each option's cost per person is a line ``a + b x``. The preferred option is the lowest
line (ties: the one listed first), and it changes where the given option's line first
meets another's: one division per option, no search.

A change ``g`` of the population served moves each hub's floor area only in steps, a
clinical room at a time (:func:`.sizing.room_steps`), and the people brought within
reach in proportion, ``1 + g`` for every option alike. Between two steps every
option's cost is fixed and its cost per person that cost over ``1 + g``, so the order
of the options cannot change there: the choice is evaluated once between each pair of
neighbouring steps (as arrays, nearest to no change first), and the switching value is
the step where it first differs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from estate_planner.appraisal.options import (
    BUSINESS_AS_USUAL,
    CostAssumptions,
    _npc,
    appraise,
    hub_capital,
    preferred,
)
from estate_planner.appraisal.sizing import SizingAssumptions, required_gia_m2, room_steps

__all__ = ["switching_value", "switching_values"]

#: the changes considered: 90% less to six times as much
LOW, HIGH = -0.9, 5.0
#: steps of population evaluated at once (bounds the arrays on a large area)
CHUNK = 2048


def switching_values(
    options: Mapping[str, pd.DataFrame],
    reach: Mapping[str, tuple[float, float]],
    *,
    sizing: SizingAssumptions,
    costs: CostAssumptions,
    table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Switching values of capital £/m², rent and population served.

    Parameters
    ----------
    options, reach, sizing, costs
        As :func:`.options.appraise`.
    table : pandas.DataFrame, optional
        What :func:`.options.appraise` gives for them (computed when not given).

    Returns
    -------
    pandas.DataFrame
        ``setting``, ``preferred`` (as given), ``fall`` and ``rise``: the smallest
        change down and up (e.g. -0.32 and 0.41) at which another option is preferred;
        NaN when the choice holds over the whole of -90%..+500% that side.
    """
    if table is None:
        table = appraise(options, reach, sizing=sizing, costs=costs)
    base = preferred(table)
    names = list(options)
    holds = (np.nan, np.nan)
    sides: dict[str, tuple[float, float]] = {"capital cost per m²": holds, "rent": holds}
    population = holds
    if base != BUSINESS_AS_USUAL:  # else nobody is brought within reach by any option
        hubs = _Hubs(options, reach)
        totals = hubs.totals(np.zeros(1), sizing, costs)
        per_capital, per_year = _npc(costs, 1.0, 0.0, 0.0), _npc(costs, 0.0, 1.0, 0.0)
        level = table["cost_per_person_gbp"].to_numpy(dtype=float)[1:]  # less BAU's row
        with np.errstate(divide="ignore", invalid="ignore"):
            slopes = {
                "capital cost per m²": per_capital * totals["capital"][0] / hubs.people,
                "rent": per_year * totals["rent"][0] / hubs.people,
            }
        at = names.index(base)
        sides = {name: _lines_cross(level, slope, at) for name, slope in slopes.items()}
        population = _population(hubs, names.index(base), sizing, costs)
    rows = [
        {"setting": name, "preferred": base, "fall": down, "rise": up}
        for name, (down, up) in [*sides.items(), ("population served", population)]
    ]
    return pd.DataFrame(rows)


class _Hubs:
    """Every option's hubs as arrays, and each option's people brought within reach."""

    def __init__(
        self, options: Mapping[str, pd.DataFrame], reach: Mapping[str, tuple[float, float]]
    ) -> None:
        frames = list(options.values())
        sizes = [len(f) for f in frames]
        self.served = np.concatenate(
            [f["population_served"].to_numpy(dtype=float) for f in frames] or [np.zeros(0)]
        )
        self.area = np.concatenate(
            [f["floor_area_m2"].to_numpy(dtype=float) for f in frames] or [np.zeros(0)]
        )
        self.rent = np.concatenate(
            [f["annual_cost_gbp"].to_numpy(dtype=float) for f in frames] or [np.zeros(0)]
        )
        # hub -> option, as a matrix that sums hubs into options
        self.of = np.zeros((len(self.served), len(frames)))
        self.of[np.arange(len(self.served)), np.repeat(np.arange(len(frames)), sizes)] = 1.0
        self.people = np.array([float(reach[name][0]) for name in options])

    def totals(
        self, growth: np.ndarray, sizing: SizingAssumptions, costs: CostAssumptions
    ) -> dict[str, np.ndarray]:
        """Each option's capital (location factor applied, before optimism bias), rent
        and running cost, a row per change of population, as
        :func:`.options.hub_costs` costs them."""
        need = required_gia_m2(self.served[None, :] * (1.0 + growth[:, None]), sizing)
        capital = hub_capital(need, self.area[None, :], sizing=sizing, costs=costs)
        rent = np.where(np.isfinite(self.rent), self.rent, costs.rent_gbp_per_m2 * need)
        running = costs.running_gbp_per_m2 * need
        return {"capital": capital @ self.of, "rent": rent @ self.of, "running": running @ self.of}

    def choices(
        self, growth: np.ndarray, sizing: SizingAssumptions, costs: CostAssumptions
    ) -> np.ndarray:
        """The preferred option's index at each change of population (-1: business as
        usual, when no option brings anybody within reach)."""
        t = self.totals(growth, sizing, costs)
        c = costs
        npc = (
            _npc(c, 1.0, 0.0, 0.0) * t["capital"]
            + _npc(c, 0.0, 1.0, 0.0) * (t["rent"] + t["running"] + c.bau_annual_gbp)
            + c.bau_one_off_gbp
            + c.option_one_off_gbp
        )
        above = npc - _npc(c, 0.0, c.bau_annual_gbp, c.bau_one_off_gbp)
        with np.errstate(divide="ignore", invalid="ignore"):
            per = above / (self.people[None, :] * (1.0 + growth[:, None]))
        per = np.where((self.people > 0)[None, :] & ~np.isnan(per), per, np.inf)
        best = np.argmin(per, axis=1)  # the first of equals, as :func:`preferred`
        return np.where(np.isinf(per.min(axis=1)), -1, best)


def _lines_cross(level: np.ndarray, slope: np.ndarray, base: int) -> tuple[float, float]:
    """Where the lowest of the lines ``level + slope x`` (``base``'s, at ``x = 0``)
    first stops being the lowest, down and up; NaN when not within ``LOW..HIGH``.

    Options with no cost per person (nobody brought within reach) are never preferred.
    """
    down, up = np.nan, np.nan
    for j in range(len(level)):
        if j == base or not np.isfinite(level[j]) or not np.isfinite(slope[j]):
            continue
        gap = max(level[j] - level[base], 0.0)  # >= 0: base is the lowest at x = 0
        closing = slope[j] - slope[base]
        if closing < 0:  # j gains on base as x rises
            x = gap / -closing
            if x <= HIGH and not x >= up:
                up = x
        elif closing > 0:  # ... as x falls
            x = -gap / closing
            if x >= LOW and not x <= down:
                down = x
    return down, up


def _population(
    hubs: _Hubs, base: int, sizing: SizingAssumptions, costs: CostAssumptions
) -> tuple[float, float]:
    """The population switching values: the first room step, down and up, past which
    the preferred option is another (see the module's note)."""
    steps = np.unique(
        np.concatenate(
            [np.zeros(1)]
            + [room_steps(p, sizing, low=LOW, high=HIGH) for p in hubs.served if p > 0]
        )
    )
    up_ends = np.concatenate([steps[steps >= 0], [HIGH]])
    down_ends = np.concatenate([steps[steps <= 0][::-1], [LOW]])
    found = []
    for ends in (down_ends, up_ends):
        value = np.nan
        for start in range(0, len(ends) - 1, CHUNK):
            part = ends[start : start + CHUNK + 1]
            middle = (part[:-1] + part[1:]) / 2
            differs = np.flatnonzero(hubs.choices(middle, sizing, costs) != base)
            if len(differs):
                value = float(part[differs[0]])  # the step nearer to no change
                break
        found.append(value)
    return found[0], found[1]


def switching_value(
    choice: Callable[[float], str],
    *,
    low: float = LOW,
    high: float = HIGH,
    steps: int = 60,
    tolerance: float = 1e-4,
) -> tuple[float | None, float | None]:
    """How far a setting must move, down and up, before the choice changes, by search.

    For a setting with no structure to solve (:func:`switching_values` solves its
    three). ``choice(x)`` is the preferred option with the setting changed by ``x`` (0:
    as given; 0.25: 25% more). The range is scanned in ``steps`` and the first change
    on each side is bisected to ``tolerance``; a change that comes and goes between
    two grid points is missed.

    Parameters
    ----------
    choice : callable
        Change -> the preferred option's name.
    low, high : float
        The changes tried (``low`` < 0 < ``high``).
    steps : int
        Grid points on each side.
    tolerance : float

    Returns
    -------
    down, up : float or None
        The smallest fall and rise (as changes, e.g. -0.32 and 0.41) that change the
        choice; None when it holds over the whole range that side.
    """
    base = choice(0.0)

    def first_change(end: float) -> float | None:
        previous = 0.0
        for x in np.linspace(0.0, end, steps + 1)[1:]:
            if choice(float(x)) != base:
                inside, outside = previous, float(x)
                while abs(outside - inside) > tolerance:
                    mid = (inside + outside) / 2
                    if choice(mid) == base:
                        inside = mid
                    else:
                        outside = mid
                return outside
            previous = float(x)
        return None

    return first_change(low), first_change(high)
