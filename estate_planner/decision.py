"""Checking the choice before a board sees it: no empty hubs, what each hub adds and
for whom, why top-ranked sites were not chosen, and how sure the chosen set is.

How sure the chosen set is, dimension by dimension (threshold, population placement,
services counted, need weights), is :mod:`estate_planner.certainty`'s.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from estate_planner.certainty import Certainty
from estate_planner.need import most_deprived

logger = logging.getLogger(__name__)

#: a site reaching less than this share of the area's need is flagged "low reach"
LOW_REACH_SHARE = 0.01


@dataclass
class HubEffect:
    """What one chosen hub adds, given the services and the hubs before it."""

    site_id: str
    name: str
    need: float
    people: float
    deprived: float  # people in IMD deciles 1-2
    older: float  # people aged 65+


@dataclass
class Decision:
    """The checks on a run's choice, for the report, the manifest and the CLI."""

    empty_hubs: list[str] = field(default_factory=list)  # dropped: they added nothing
    fewer: int = 0  # hubs asked for but not chosen, as they would add nothing
    effects: list[HubEffect] = field(default_factory=list)
    not_chosen: list[str] = field(default_factory=list)  # one sentence per top site left out
    #: the choice asked again under each change, and what holds under which
    certainty: Certainty = field(default_factory=Certainty)
    #: people within reach on each mode before and with the hubs (and on any mode)
    by_mode: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)

    @property
    def runs(self) -> pd.DataFrame:
        """One row per change: the hubs chosen under it and the headline figures."""
        return self.certainty.runs

    @property
    def hubs(self) -> pd.DataFrame:
        """The one per-hub table: one row per chosen hub, a column per change."""
        return self.certainty.hubs


def hub_effects(
    chosen: list[int],
    names: pd.DataFrame,
    covered_before: np.ndarray,
    reach: sp.csr_matrix,
    demand: pd.DataFrame,
) -> list[HubEffect]:
    """What each chosen hub adds, in order, given existing services and the hubs before it.

    Parameters
    ----------
    chosen : list of int
        Candidate indices in selection order.
    names : pandas.DataFrame
        ``site_id`` and ``name`` per candidate.
    covered_before : numpy.ndarray of bool
        Demand points existing services already reach.
    reach : scipy.sparse matrix
        Candidates x demand points, True where reached within the threshold.
    demand : pandas.DataFrame
        ``need``, ``population``, ``age_65_plus`` and ``imd_decile`` per demand point.

    Returns
    -------
    list of HubEffect
        Need, people, people in IMD deciles 1-2 and people aged 65+ newly reached.
    """
    covered = covered_before.copy()
    deprived = most_deprived(demand["imd_decile"])
    people = demand["population"].to_numpy(dtype=float)
    older = demand["age_65_plus"].to_numpy(dtype=float)
    need = demand["need"].to_numpy(dtype=float)
    out = []
    for site in chosen:
        new = reach[site].toarray().ravel() & ~covered
        out.append(
            HubEffect(
                str(names["site_id"].iloc[site]),
                str(names["name"].iloc[site]),
                float(need[new].sum()),
                float(people[new].sum()),
                float(people[new & deprived].sum()),
                float(older[new].sum()),
            )
        )
        covered |= new
    return out


def why_not_chosen(
    ranked: pd.DataFrame,
    chosen: list[int],
    covered_before: np.ndarray,
    reach: sp.csr_matrix,
    need: np.ndarray,
    top: int,
    least_gain: float | None = None,
) -> list[str]:
    """A sentence for each of the ``top`` best-ranked sites that were not chosen.

    Each says how much of the unmet need it reaches the chosen hubs already reach, and
    what it would add to them, against what the least of them adds.

    Parameters
    ----------
    ranked : pandas.DataFrame
        ``site_id``, ``name`` and ``rank`` per candidate.
    chosen : list of int
        Candidate indices chosen, in order.
    covered_before : numpy.ndarray of bool
        Demand points existing services already reach.
    reach : scipy.sparse matrix
        Candidates x demand points, True where reached within the threshold.
    need : numpy.ndarray
        Need per demand point.
    top : int
        How many of the best-ranked sites to explain.
    least_gain : float, optional
        What the least of the chosen hubs adds (coverage only).

    Returns
    -------
    list of str
    """
    sentences = []
    by_hub = [reach[h].toarray().ravel() for h in chosen]
    hubs_reach = np.zeros(reach.shape[1], dtype=bool)
    for row in by_hub:
        hubs_reach |= row
    order = ranked["rank"].dropna().sort_values().index[:top]
    for site in order:
        position = ranked.index.get_loc(site)
        if position in chosen:
            continue
        name = ranked.loc[site, "name"]
        rank = int(ranked.loc[site, "rank"])
        unmet = reach[position].toarray().ravel() & ~covered_before
        reached = float(need[unmet].sum())
        if reached <= 0:
            sentences.append(
                f"{name} (rank {rank}) was not chosen: everyone within reach of it is "
                "already within reach of an existing service, so it adds no unmet need."
            )
            continue
        overlaps = [float(need[unmet & row].sum()) / reached for row in by_hub]
        adds = float(need[unmet & ~hubs_reach].sum())
        more = f"{adds:,.0f} more" if adds >= 0.5 else "nothing more"
        if adds >= 0.5 and least_gain is not None and least_gain > adds:
            more += f", less than the {least_gain:,.0f} the least of them adds"
        if overlaps:
            best = int(np.argmax(overlaps))
            hub = ranked.iloc[chosen[best]]["name"]
            said = (
                f"{overlaps[best]:.0%} of the unmet need it reaches is also reached by hub "
                f"{best + 1} ({hub}); added to the chosen hubs it would bring {more}"
            )
        else:
            said = f"it would bring {adds:,.0f} unmet need within reach"
        sentences.append(f"{name} (rank {rank}) was not chosen: {said}.")
    return sentences


def coarse_raster_warning(cell_m: float | None, threshold_m: float, mode: str) -> str | None:
    """A warning when raster cells are coarse for the distance the threshold covers.

    Parameters
    ----------
    cell_m : float or None
        The raster's cell size in metres (None without a raster).
    threshold_m : float
        About how far the threshold reaches, in metres.
    mode : str
        The selection mode, named in the message.

    Returns
    -------
    str or None
    """
    if cell_m is None or threshold_m <= 0 or cell_m <= threshold_m / 4:
        return None
    return (
        f"population raster cells are about {cell_m:,.0f} m across, coarse for a {mode} "
        f"threshold covering about {threshold_m:,.0f} m: whether a cell's people are within "
        "reach depends on where in the cell they live. Prefer a 100 m raster, or compare with "
        "one point per area (the stability table does)"
    )

