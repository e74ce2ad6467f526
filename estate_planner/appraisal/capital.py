"""Each candidate's indicative capital before the choice, so the optimiser can see cost.

The economic case sizes a hub for the people it serves once the set is chosen; the
optimiser needs a figure per candidate before that. Here each candidate is sized for
the people who would go to it if it were the only hub added (those nearer to it than
to every counted service, within the search limit) and costed by its estate option,
as :func:`~estate_planner.appraisal.options.hub_costs` costs a chosen hub. Other hubs
can only take people away from it, so with rates that rise from refurbishment to
extension to new build (the defaults do) a hub's capital in the chosen set is at most
this figure: a capital budget on these figures is met by the chosen set's own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from estate_planner.appraisal.assign import nearest
from estate_planner.appraisal.options import CostAssumptions, hub_costs
from estate_planner.appraisal.sizing import SizingAssumptions

__all__ = ["capital_if_added", "population_if_added"]


def population_if_added(
    candidates: sp.spmatrix, existing: sp.spmatrix, people: np.ndarray
) -> np.ndarray:
    """Per candidate, the people nearer to it than to the quickest of ``existing``.

    Parameters
    ----------
    candidates : scipy.sparse matrix
        Candidates x demand points, seconds (only pairs within the search limit).
    existing : scipy.sparse matrix
        Sites already open x demand points, seconds (may have no rows).
    people : numpy.ndarray
        People per demand point.

    Returns
    -------
    numpy.ndarray
        People per candidate (a person counts for every candidate nearer than where
        they go now).
    """
    people = np.asarray(people, dtype=float)
    current = np.full(len(people), np.inf)
    if existing.shape[0]:
        best, secs = nearest(sp.csr_matrix(existing))
        current = np.where(best >= 0, secs, np.inf)
    coo = sp.coo_matrix(candidates)
    closer = coo.data < current[coo.col]
    return np.bincount(coo.row[closer], people[coo.col[closer]], minlength=candidates.shape[0])


def capital_if_added(
    candidates: pd.DataFrame,
    times: sp.spmatrix,
    existing: sp.spmatrix,
    people: np.ndarray,
    *,
    sizing: SizingAssumptions,
    costs: CostAssumptions,
) -> np.ndarray:
    """Each candidate's indicative capital (£, year 0, before optimism bias) as the only
    hub added.

    Parameters
    ----------
    candidates : pandas.DataFrame
        ``site_id``, ``kind``, ``floor_area_m2`` (NaN: not known, costed as new build)
        and ``annual_cost_gbp``, in the rows of ``times``.
    times, existing : scipy.sparse matrix
        As :func:`population_if_added`.
    people : numpy.ndarray
    sizing : SizingAssumptions
    costs : CostAssumptions

    Returns
    -------
    numpy.ndarray
        £ per candidate.
    """
    served = population_if_added(times, existing, people)
    frame = candidates[["site_id", "kind", "floor_area_m2", "annual_cost_gbp"]].assign(
        population_served=served
    )
    return hub_costs(frame, sizing=sizing, costs=costs)["capital_gbp"].to_numpy(dtype=float)
