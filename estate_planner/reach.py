"""Reached on the ways people travel: a person counts as reached when any mode they
can use brings them within that mode's threshold.

The choice is made over *demand columns*: each demand point once, or, when driving
counts only for households with a car, twice (its residents without a car, who may
walk or take the bus, and those with one, who may also drive), each carrying its share
of the point's people and need. The share without a car is the area's share of
households without one applied to its residents (an assumption the report states).

Each mode's times are put on one scale so that one threshold serves them all: a time
``t`` by a mode whose threshold is ``T_m`` becomes ``t x T / T_m``, with ``T`` the first
mode's threshold; a column's time to a site is the least over the modes it may use.
Then "within ``T``" on the combined times is exactly "within ``T_m`` on some usable
mode ``m``". Moving every threshold by the same minutes (the certainty band) is a new
scale on the same times: no new routing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from estate_planner.access import covered_by

#: the mode only people in households with a car may use
CAR_MODE = "drive"


@dataclass(frozen=True)
class Columns:
    """Demand columns: which point each is, the share of its people, the modes usable."""

    point: np.ndarray  # demand point of each column
    share: np.ndarray  # share of the point's people (and need) in the column
    uses: np.ndarray  # columns x modes, True where the column's people may use the mode

    def spread(self, per_point: np.ndarray) -> np.ndarray:
        """A per-point quantity (people, need) shared out over the columns.

        Parameters
        ----------
        per_point : numpy.ndarray

        Returns
        -------
        numpy.ndarray
        """
        return np.asarray(per_point, dtype=float)[self.point] * self.share

    def frame(self, demand: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        """``demand``'s counts shared out over the columns (other columns copied).

        Parameters
        ----------
        demand : pandas.DataFrame
            One row per demand point.
        columns : list of str
            The counts to share out (people, need, people aged 65+).

        Returns
        -------
        pandas.DataFrame
            One row per column.
        """
        out = demand.iloc[self.point].reset_index(drop=True).copy()
        for name in columns:
            out[name] = self.spread(demand[name].to_numpy(dtype=float))
        return out


@dataclass(frozen=True)
class Travel:
    """Each usable mode's times and thresholds, and who may use which.

    Attributes
    ----------
    modes : tuple of str
        The modes a person may be reached by (the first sets the common scale).
    candidates : tuple of scipy.sparse.csr_matrix
        Per mode, candidates x demand points, seconds.
    services : tuple of scipy.sparse.csr_matrix
        Per mode, existing services x demand points, seconds.
    thresholds : tuple of float
        Per mode, seconds.
    no_car_share : numpy.ndarray or None
        Per demand point, the share of its residents in households without a car
        (who cannot drive). None: driving, where it is among the modes, counts for
        everyone.
    """

    modes: tuple[str, ...]
    candidates: tuple[sp.csr_matrix, ...]
    services: tuple[sp.csr_matrix, ...]
    thresholds: tuple[float, ...]
    no_car_share: np.ndarray | None = None

    def __cache_token__(self) -> list[object]:
        """Every field, for the cache's key."""
        return [self.modes, self.candidates, self.services, self.thresholds, self.no_car_share]

    @property
    def n_points(self) -> int:
        """Demand points."""
        return int(self.candidates[0].shape[1])

    def columns(self) -> Columns:
        """The demand columns (see the module docstring).

        Returns
        -------
        Columns
        """
        n = self.n_points
        everyone = np.ones((n, len(self.modes)), bool)
        if self.no_car_share is None or CAR_MODE not in self.modes or len(self.modes) == 1:
            return Columns(np.arange(n), np.ones(n), everyone)
        no_car = np.clip(np.asarray(self.no_car_share, dtype=float), 0.0, 1.0)
        without = everyone.copy()
        without[:, self.modes.index(CAR_MODE)] = False
        return Columns(
            np.r_[np.arange(n), np.arange(n)],
            np.r_[no_car, 1.0 - no_car],
            np.vstack([without, everyone]),
        )

    def shifted(self, seconds: float) -> tuple[float, ...]:
        """Every mode's threshold moved by ``seconds`` (none below a minute).

        Parameters
        ----------
        seconds : float

        Returns
        -------
        tuple of float
        """
        return tuple(max(t + seconds, 60.0) for t in self.thresholds)

    def combined(
        self,
        *,
        shift_s: float = 0.0,
        services: np.ndarray | None = None,
    ) -> tuple[sp.csr_matrix, sp.csr_matrix, float]:
        """Times to candidates and services over the demand columns, on one scale.

        Parameters
        ----------
        shift_s : float
            Seconds every mode's threshold moves by.
        services : numpy.ndarray of bool, optional
            The services that count (default: all).

        Returns
        -------
        candidates, services : scipy.sparse.csr_matrix
            Sites x demand columns, scaled seconds.
        threshold : float
            The common threshold, seconds.
        """
        thresholds = self.shifted(shift_s)
        common = thresholds[0]
        columns = self.columns()
        out = []
        for per_mode in (self.candidates, self.services):
            parts = []
            for m, times in enumerate(per_mode):
                if services is not None and per_mode is self.services:
                    times = sp.csr_matrix(times)[services]
                parts.append((times, common / thresholds[m], columns.uses[:, m]))
            out.append(_least(parts, columns.point))
        return out[0], out[1], common

    def reached_by_mode(
        self, people: np.ndarray, chosen: list[int], *, services: np.ndarray | None = None
    ) -> pd.DataFrame:
        """People within reach on each mode, before and with the ``chosen`` hubs.

        Parameters
        ----------
        people : numpy.ndarray
            People per demand point.
        chosen : list of int
            Candidate indices.
        services : numpy.ndarray of bool, optional
            The services that count (default: all).

        Returns
        -------
        pandas.DataFrame
            One row per mode and one for any usable mode: ``mode``, ``people_who_can_use``,
            ``people_reached_before``, ``people_reached_with_hubs``,
            ``people_brought_within_reach`` (people), ``threshold_minutes``.
        """
        columns = self.columns()
        per_column = columns.spread(people)
        rows = []
        before_any = np.zeros(len(per_column), bool)
        after_any = np.zeros(len(per_column), bool)
        for m, mode in enumerate(self.modes):
            fixed = sp.csr_matrix(self.services[m])
            if services is not None:
                fixed = fixed[services]
            before = covered_by(fixed, self.thresholds[m])[columns.point] & columns.uses[:, m]
            hubs = covered_by(self.candidates[m][chosen], self.thresholds[m])[columns.point]
            after = before | (hubs & columns.uses[:, m])
            before_any |= before
            after_any |= after
            rows.append(
                _mode_row(
                    mode, self.thresholds[m] / 60, per_column, columns.uses[:, m], before, after
                )
            )
        if len(self.modes) > 1:
            rows.append(
                _mode_row(
                    "any usable mode",
                    np.nan,
                    per_column,
                    np.ones(len(per_column), bool),
                    before_any,
                    after_any,
                )
            )
        return pd.DataFrame(rows)


def _mode_row(
    mode: str,
    minutes: float,
    people: np.ndarray,
    uses: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
) -> dict[str, object]:
    return {
        "mode": mode,
        "threshold_minutes": minutes,
        "people_who_can_use": float(people[uses].sum()),
        "people_reached_before": float(people[before].sum()),
        "people_reached_with_hubs": float(people[after].sum()),
        "people_brought_within_reach": float(people[after & ~before].sum()),
    }


def _least(
    parts: list[tuple[sp.csr_matrix, float, np.ndarray]], point: np.ndarray
) -> sp.csr_matrix:
    """Per (site, column), the least scaled time over the modes the column may use.

    ``parts`` holds, per mode, sites x points seconds, its scale and which columns may
    use it; ``point`` is each column's demand point.
    """
    n_sites = parts[0][0].shape[0]
    n_columns = len(point)
    one = len(parts) == 1 and parts[0][1] == 1.0 and parts[0][2].all()
    if one and np.array_equal(point, np.arange(n_columns)):
        return sp.csr_matrix(parts[0][0])
    rows, cols, vals = [], [], []
    for times, scale, uses in parts:
        by_point = sp.csr_matrix(times)
        usable = np.flatnonzero(uses)
        picked = by_point[:, point[usable]].tocoo()
        rows.append(picked.row)
        cols.append(usable[picked.col])
        vals.append(picked.data * scale)
    r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    if not len(v):
        return sp.csr_matrix((n_sites, n_columns))
    flat = r.astype(np.int64) * n_columns + c
    order = np.lexsort((v, flat))
    first = np.r_[True, flat[order][1:] != flat[order][:-1]]
    keep = order[first]
    return sp.csr_matrix((v[keep], (r[keep], c[keep])), shape=(n_sites, n_columns))
