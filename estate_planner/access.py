"""Access: who reaches an existing service, who would reach each candidate.

Travel times arrive as sparse (sites x demand) matrices in seconds, from each
demand point *to* each site; a stored entry (zero included) is a reachable pair.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

#: Times are computed out to this multiple of a mode's threshold; farther counts as
#: unreachable (blank in outputs). Four times the threshold covers any sensible
#: "nearest service" question without searching the whole county from every site.
HORIZON_FACTOR = 4.0


@dataclass(frozen=True)
class ModeTimes:
    """Travel times of one mode, from demand points to sites, in seconds.

    Laid out **sites x demand** (row: a site; column: a demand point), the transpose
    of the routing engines' origins x destinations; see :mod:`estate_planner.travel`
    for the rule and the one place it is transposed.
    """

    mode: str
    threshold_s: float
    services: sp.csr_matrix  # services x demand
    candidates: sp.csr_matrix  # candidates x demand


def within(times: sp.csr_matrix, threshold_s: float) -> sp.csr_matrix:
    """Which (site, demand point) pairs are reachable within a time.

    Parameters
    ----------
    times : scipy.sparse matrix
        Sites x demand points, seconds; only reachable pairs stored.
    threshold_s : float
        The most seconds that count as reached.

    Returns
    -------
    scipy.sparse.csr_matrix
        Boolean, the same shape, True where the stored time is within the threshold.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> within(sp.csr_matrix([[60.0, 900.0]]), 600).toarray().tolist()
    [[True, False]]
    """
    times = sp.csr_matrix(times)
    mask = times.data <= threshold_s
    return sp.csr_matrix(
        (
            np.ones(int(mask.sum()), dtype=bool),
            times.indices[mask],
            np.r_[0, np.cumsum(mask)][times.indptr],
        ),
        shape=times.shape,
    )


def nearest_seconds(times: sp.csr_matrix) -> np.ndarray:
    """Per demand point, the time to its nearest site.

    Parameters
    ----------
    times : scipy.sparse matrix
        Sites x demand points, seconds; only reachable pairs stored.

    Returns
    -------
    numpy.ndarray
        One value per column: the shortest stored time, NaN where none is stored.
    """
    csc = sp.csc_matrix(times)
    out = np.full(csc.shape[1], np.nan)
    counts = np.diff(csc.indptr)
    has = counts > 0
    if has.any():
        starts = csc.indptr[:-1][has]
        out[has] = np.minimum.reduceat(csc.data, starts) if len(csc.data) else np.nan
    return out


def covered_by(times: sp.csr_matrix, threshold_s: float) -> np.ndarray:
    """Per demand point, whether any site reaches it within ``threshold_s``.

    Parameters
    ----------
    times : scipy.sparse matrix
        Sites x demand points, seconds.
    threshold_s : float
        The most seconds that count as reached.

    Returns
    -------
    numpy.ndarray of bool
        One value per demand point (column).
    """
    times = sp.csr_matrix(times)
    out = np.zeros(times.shape[1], dtype=bool)
    out[times.indices[times.data <= threshold_s]] = True  # as within(...).sum(axis=0) > 0
    return out


def demand_access(need: np.ndarray, modes: list[ModeTimes]) -> pd.DataFrame:
    """Per demand point and mode: minutes to the nearest service, and whether covered.

    Parameters
    ----------
    need : numpy.ndarray
        Need of each demand point.
    modes : list of ModeTimes
        Each mode's times and threshold.

    Returns
    -------
    pandas.DataFrame
        ``minutes_to_service_<mode>``, ``covered_<mode>`` per mode, and ``need``.
    """
    columns: dict[str, np.ndarray] = {}
    for times in modes:
        columns[f"minutes_to_service_{times.mode}"] = nearest_seconds(times.services) / 60
        columns[f"covered_{times.mode}"] = covered_by(times.services, times.threshold_s)
    frame = pd.DataFrame(columns)
    frame["need"] = need
    return frame


def candidate_access(
    times: ModeTimes, need: np.ndarray, covered: np.ndarray, deprivation: np.ndarray
) -> pd.DataFrame:
    """What each candidate would reach within the mode's threshold.

    Parameters
    ----------
    times : ModeTimes
        The mode's candidate x demand times and threshold.
    need : numpy.ndarray
        Need of each demand point.
    covered : numpy.ndarray of bool
        Demand points an existing service already reaches.
    deprivation : numpy.ndarray
        Each demand point's deprivation, 0 (least) to 1 (most deprived).

    Returns
    -------
    pandas.DataFrame
        One row per candidate: ``need_reached``, ``unmet_need_reached``,
        ``deprivation_reached`` (the need-weighted mean deprivation of what it reaches)
        and ``demand_points_reached``.
    """
    reach = within(times.candidates, times.threshold_s).astype(float)
    unmet = need * ~covered
    need_reached = reach @ need
    weighted_depr = reach @ (need * deprivation)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_depr = np.where(need_reached > 0, weighted_depr / need_reached, 0.0)
    return pd.DataFrame(
        {
            "need_reached": need_reached,
            "unmet_need_reached": reach @ unmet,
            "deprivation_reached": mean_depr,
            "demand_points_reached": np.asarray(reach.sum(axis=1)).ravel(),
        }
    )


def deprivation_scale(imd_decile: np.ndarray) -> np.ndarray:
    """IMD decile as a 0 to 1 deprivation scale.

    Parameters
    ----------
    imd_decile : array-like
        Deciles 1 (most deprived) to 10; NaN where unknown.

    Returns
    -------
    numpy.ndarray
        1 for decile 1 down to 0 for decile 10; unknown deciles score 0.

    Examples
    --------
    >>> deprivation_scale([1, 10, float("nan")]).tolist()
    [1.0, 0.0, 0.0]
    """
    decile = np.asarray(imd_decile, dtype=float)
    return np.where(np.isnan(decile), 0.0, (10 - decile) / 9)


def step_weights(minutes: dict[float, float]) -> Callable[[np.ndarray], np.ndarray]:
    """Step distance decay for E2SFCA.

    Parameters
    ----------
    minutes : dict
        Upper edge of each band in minutes -> its weight; ``{10: 1.0, 20: 0.68,
        30: 0.22}`` weighs 0-10 min as 1, 10-20 as 0.68 and 20-30 as 0.22.

    Returns
    -------
    callable
        Maps an array of seconds to weights (0 beyond the last band).
    """
    edges = sorted(minutes)

    def weigh(seconds: np.ndarray) -> np.ndarray:
        out = np.zeros_like(seconds, dtype=float)
        for upper in reversed(edges):
            out[seconds <= upper * 60] = minutes[upper]
        return out

    return weigh


def gaussian_weights(threshold_s: float) -> Callable[[np.ndarray], np.ndarray]:
    """Gaussian distance decay (Dai 2010): 1 at 0 s, falling smoothly to 0 at the threshold.

    Parameters
    ----------
    threshold_s : float
        Catchment size in seconds.

    Returns
    -------
    callable
        Maps an array of seconds to weights.
    """
    base = np.exp(-0.5)

    def weigh(seconds: np.ndarray) -> np.ndarray:
        w = (np.exp(-0.5 * (seconds / threshold_s) ** 2) - base) / (1 - base)
        return np.where(seconds <= threshold_s, w, 0.0)

    return weigh


def e2sfca(
    times: sp.csr_matrix,
    supply: np.ndarray,
    demand: np.ndarray,
    weigh: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """Enhanced two-step floating catchment area access (Luo and Qi 2009).

    Step 1: each site's supply-to-demand ratio ``R_j = S_j / sum_i P_i W(t_ij)``; step 2:
    each demand point's access ``A_i = sum_j R_j W(t_ij)``. Weights of 0 drop a pair.
    Equal to PySAL ``access``'s E2SFCA on the same inputs (tested).

    Parameters
    ----------
    times : scipy.sparse matrix
        Sites x demand points, seconds; only reachable pairs stored.
    supply : numpy.ndarray
        Each site's supply (a list size, or 1 each).
    demand : numpy.ndarray
        Each demand point's population.
    weigh : callable
        Distance decay (:func:`gaussian_weights` or :func:`step_weights`).

    Returns
    -------
    numpy.ndarray
        Access per demand point (supply per person).
    """
    coo = sp.coo_matrix(times)
    w = weigh(coo.data)
    weighted = sp.csr_matrix((w, (coo.row, coo.col)), shape=times.shape)
    weighted_demand = weighted @ np.asarray(demand, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(weighted_demand > 0, np.asarray(supply, float) / weighted_demand, 0.0)
    return np.asarray(weighted.T @ ratio).ravel()


def deprived_share(times: ModeTimes, need: np.ndarray, deprived: np.ndarray) -> np.ndarray:
    """Per candidate, the share of the need it reaches that lives in the most deprived areas.

    Parameters
    ----------
    times : ModeTimes
        The mode's candidate x demand times and threshold.
    need : numpy.ndarray
        Need of each demand point.
    deprived : numpy.ndarray of bool
        Demand points in IMD deciles 1-2 (:func:`estate_planner.need.most_deprived`).

    Returns
    -------
    numpy.ndarray
        One share (0 to 1) per candidate; 0 where it reaches nobody.
    """
    reach = within(times.candidates, times.threshold_s).astype(float)
    total = reach @ need
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, (reach @ (need * deprived)) / total, 0.0)


#: modes open to people in a household without a car or van (Census 2021 TS045):
#: on foot and by public transport, as issue 26 and the DfT's journey time
#: statistics count them; cycling is left out (it is no more open to them than to others)
NO_CAR_MODES = ("walk", "transit")


def people_reached(
    people: np.ndarray, no_car_share: np.ndarray, reached: dict[str, np.ndarray]
) -> np.ndarray:
    """People reached at each demand point when those without a car cannot drive.

    Each area's share of households without a car or van is applied to its residents
    (an assumption: households without a car are smaller than others on average, so
    it slightly overstates the residents without one). Those people are reached only
    by the modes of :data:`NO_CAR_MODES` among ``reached``; the rest by any mode.
    Where the share is not known (NaN), everyone counts as able to use any mode.

    Parameters
    ----------
    people : numpy.ndarray
        Residents of each demand point.
    no_car_share : numpy.ndarray
        Share (0 to 1) of each point's residents without a car; NaN where not known.
    reached : dict
        Mode -> bool per demand point (within that mode's threshold).

    Returns
    -------
    numpy.ndarray
        People reached at each point: ``people x (share x reached on foot or by public
        transport + (1 - share) x reached by any mode)``.

    Examples
    --------
    >>> people_reached(np.array([1000.0]), np.array([0.6]),
    ...                {"walk": np.array([False]), "drive": np.array([True])}).tolist()
    [400.0]
    """
    split = reach_by_car(people, no_car_share, reached)
    return split["reached_with_car"] + split["reached_without_car"] + split["reached_not_known"]


def reach_by_car(
    people: np.ndarray, no_car_share: np.ndarray, reached: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """People with and without a car at each demand point, and how many are reached.

    Parameters
    ----------
    people, no_car_share, reached
        As :func:`people_reached`.

    Returns
    -------
    dict
        Per demand point: ``with_car``, ``without_car``, ``not_known`` (people whose
        area's share is not known) and ``reached_with_car``, ``reached_without_car``,
        ``reached_not_known``.
    """
    people = np.asarray(people, dtype=float)
    share = np.asarray(no_car_share, dtype=float)
    known = np.isfinite(share)
    share = np.where(known, np.clip(share, 0.0, 1.0), 0.0)
    none = np.zeros(len(people), dtype=bool)
    by_any = np.logical_or.reduce([np.asarray(r, bool) for r in reached.values()] or [none])
    on_foot = [np.asarray(reached[m], bool) for m in NO_CAR_MODES if m in reached]
    by_foot = np.logical_or.reduce(on_foot) if on_foot else none
    without = np.where(known, people * share, 0.0)
    with_car = np.where(known, people - without, 0.0)
    not_known = np.where(known, 0.0, people)
    return {
        "with_car": with_car,
        "without_car": without,
        "not_known": not_known,
        "reached_with_car": with_car * by_any,
        "reached_without_car": without * by_foot,
        "reached_not_known": not_known * by_any,
    }
