"""Multi-criteria score per candidate, explained criterion by criterion.

Each criterion is scaled to 0 .. 1 in a way that keeps proportion (a site reaching
half the need of the best scores a half on that criterion; one reaching nobody, 0):

=====================  =========================================  ===============
criterion              raw value                                  scaling
=====================  =========================================  ===============
need_reached           need within the threshold                  share of the best (x / max)
unmet_need_reached     need no existing service reaches           share of the best (x / max)
deprivation            need-weighted mean of (10 - IMD decile)/9  as is (already 0-1)
                       over the demand the site reaches
cost                   annual cost (GBP)                          cheapest / cost;
                                                                  unknown cost = dearest
floor_area_fit         floor area inside [min, max] m2            1 inside, falls off
                                                                  linearly to 0 at 50% out
town_centre            inside a town-centre boundary              1 or 0
available              available now (empty, vacant)              1, 0; 0.5 not known
spare_floor_area       spare floor area (ERIC: empty and          share of the best;
                       under-used share of the floor area)        unknown = 0
=====================  =========================================  ===============

``score = sum(weight_c / sum(weights) x scaled_c)``, so the per-criterion
contributions in ``ranking.csv`` add up to the score exactly. Hard constraints
(floor-area range, available only, excluded kinds, a single site over budget) are
applied first: an excluded site keeps its score but gets no rank, and its reason is
given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from estate_planner._vocabulary import CRITERIA


def exclusions(
    candidates: pd.DataFrame,
    *,
    min_floor_area_m2: float | None = None,
    max_floor_area_m2: float | None = None,
    unknown_floor_area_passes: bool = False,
    available_only: bool = False,
    exclude_kinds: Sequence[str] = (),
    budget_gbp: float | None = None,
) -> pd.Series:
    """The hard constraints: why each candidate is excluded.

    Parameters
    ----------
    candidates : pandas.DataFrame
        ``floor_area_m2``, ``available``, ``kind`` and ``annual_cost_gbp`` per
        candidate; ``edit_excluded`` and ``unroutable`` where present also exclude.
    min_floor_area_m2, max_floor_area_m2 : float, optional
        The floor-area range a hub needs.
    unknown_floor_area_passes : bool
        Whether a site whose floor area is not known passes ``min_floor_area_m2``; by
        default it is excluded ("floor area not known").
    available_only : bool
        Exclude sites not known to be available now.
    exclude_kinds : sequence of str
        Kinds of building never to use.
    budget_gbp : float, optional
        Exclude a site whose annual cost alone is over the budget.

    Returns
    -------
    pandas.Series
        Per candidate the reasons joined by "; ", or "" when it is eligible.
    """
    reasons = pd.Series("", index=candidates.index, dtype=object)

    def add(mask: pd.Series | np.ndarray, text: str) -> None:
        mask = pd.Series(np.asarray(mask, dtype=bool), index=candidates.index)
        reasons[mask] = reasons[mask].map(lambda r: f"{r}; {text}" if r else text)

    area = candidates["floor_area_m2"]
    if min_floor_area_m2 is not None:
        add(area < min_floor_area_m2, f"floor area under {min_floor_area_m2:g} m2")
        if not unknown_floor_area_passes:
            add(area.isna(), f"floor area not known (a minimum of {min_floor_area_m2:g} m2 is set)")
    if max_floor_area_m2 is not None:
        add(area > max_floor_area_m2, f"floor area over {max_floor_area_m2:g} m2")
    if available_only:
        known = candidates["available"].astype(float)
        add(known.fillna(0) < 1, "not available (or not known to be)")
    if exclude_kinds:
        add(candidates["kind"].isin(list(exclude_kinds)), "kind excluded")
    if budget_gbp is not None:
        add(
            candidates["annual_cost_gbp"] > budget_gbp,
            f"costs more than the budget {budget_gbp:,.0f}",
        )
    if "edit_excluded" in candidates.columns:
        add(candidates["edit_excluded"].astype(bool), "excluded by a scenario edit")
    if "unroutable" in candidates.columns:
        add(candidates["unroutable"].astype(bool), "not reachable on the street network")
    return reasons


def scaled_criteria(
    candidates: pd.DataFrame,
    *,
    min_floor_area_m2: float | None = None,
    max_floor_area_m2: float | None = None,
) -> pd.DataFrame:
    """Each criterion of :data:`CRITERIA` scaled to 0-1 (see the module docstring).

    Parameters
    ----------
    candidates : pandas.DataFrame
        The raw values: ``need_reached``, ``unmet_need_reached``,
        ``deprivation_reached``, ``annual_cost_gbp``, ``floor_area_m2``,
        ``available`` and, where known, ``in_town_centre`` and ``spare_floor_area_m2``.
    min_floor_area_m2, max_floor_area_m2 : float, optional
        The floor-area range that fits fully.

    Returns
    -------
    pandas.DataFrame
        One column per criterion, in :data:`CRITERIA` order.
    """
    out = pd.DataFrame(index=candidates.index)
    out["need_reached"] = _share_of_best(candidates["need_reached"])
    out["unmet_need_reached"] = _share_of_best(candidates["unmet_need_reached"])
    out["deprivation"] = candidates["deprivation_reached"].fillna(0).clip(0, 1)
    out["cost"] = _cheapest_over(candidates["annual_cost_gbp"])
    out["floor_area_fit"] = _fit(candidates["floor_area_m2"], min_floor_area_m2, max_floor_area_m2)
    out["town_centre"] = candidates.get(
        "in_town_centre", pd.Series(False, index=candidates.index)
    ).astype(float)
    out["available"] = candidates["available"].astype(float).fillna(0.5)
    spare = candidates.get("spare_floor_area_m2", pd.Series(np.nan, index=candidates.index))
    out["spare_floor_area"] = _share_of_best(spare.astype(float).fillna(0))
    return out[list(CRITERIA)]


def _share_of_best(values: pd.Series) -> pd.Series:
    """Each value as a share of the best (``x / max``): proportions are kept, so a site
    reaching two people scores next to nothing, not the middle of the range."""
    values = values.astype(float).clip(lower=0)
    best = values.max()
    if not np.isfinite(best) or best <= 0:
        return pd.Series(0.0, index=values.index)
    return (values / best).fillna(0.0)


def _cheapest_over(cost: pd.Series) -> pd.Series:
    """The cheapest known cost over each site's (``min / x``): a site twice the
    cheapest's cost scores a half. Unknown cost counts as the dearest; no known cost at
    all scores every site the same."""
    cost = cost.astype(float)
    known = cost[cost > 0]
    if known.empty:
        return pd.Series(1.0, index=cost.index)
    filled = cost.fillna(known.max()).clip(lower=known.min())
    return known.min() / filled


def _fit(area: pd.Series, low: float | None, high: float | None) -> pd.Series:
    values = area.astype(float)
    below = (low - values) / (0.5 * low) if low else pd.Series(0.0, index=area.index)
    above = (values - high) / (0.5 * high) if high else pd.Series(0.0, index=area.index)
    miss = pd.Series(np.maximum(np.maximum(below, above), 0), index=area.index)
    fit = (1 - miss).clip(0, 1)
    return fit.where(values.notna(), 0.0)


def score(
    candidates: pd.DataFrame,
    weights: dict[str, float],
    excluded: pd.Series,
    *,
    min_floor_area_m2: float | None = None,
    max_floor_area_m2: float | None = None,
) -> pd.DataFrame:
    """Scores, contributions and ranks.

    Parameters
    ----------
    candidates : pandas.DataFrame
        Raw criterion values (as :func:`scaled_criteria`) and ``site_id``.
    weights : dict
        Weight of each criterion (missing criteria weigh 0).
    excluded : pandas.Series
        Reasons from :func:`exclusions` ("" where eligible).
    min_floor_area_m2, max_floor_area_m2 : float, optional
        The floor-area range that fits fully.

    Returns
    -------
    pandas.DataFrame
        Per candidate: ``score``, ``rank`` (1 = best, blank when excluded),
        ``excluded_reason``, each scaled criterion as ``criterion_<name>`` and each
        weighted contribution as ``contribution_<name>`` (these sum to ``score``).
    """
    scaled = scaled_criteria(
        candidates, min_floor_area_m2=min_floor_area_m2, max_floor_area_m2=max_floor_area_m2
    )
    total = sum(weights.values())
    table = pd.DataFrame(index=candidates.index)
    table["score"] = 0.0
    for criterion in CRITERIA:
        share = weights.get(criterion, 0.0) / total
        table[f"criterion_{criterion}"] = scaled[criterion]
        table[f"contribution_{criterion}"] = share * scaled[criterion]
        table["score"] += table[f"contribution_{criterion}"]
    table["excluded_reason"] = excluded
    table["rank"] = rank_scores(table["score"], candidates["site_id"], excluded == "")
    return table


def rank_scores(scores: pd.Series, site_ids: pd.Series, eligible: pd.Series) -> pd.Series:
    """Rank 1 = highest score; ties broken by site id; ineligible sites get NA.

    Parameters
    ----------
    scores, site_ids, eligible : pandas.Series
        Per candidate, aligned.

    Returns
    -------
    pandas.Series
        Nullable integer ranks.
    """
    order = pd.DataFrame({"score": -scores.round(12), "site_id": site_ids})[eligible.to_numpy()]
    order = order.sort_values(["score", "site_id"], kind="stable")
    ranks = pd.Series(pd.NA, index=scores.index, dtype="Int64")
    ranks[order.index] = np.arange(1, len(order) + 1)
    return ranks


def sensitivity(
    table: pd.DataFrame,
    weights: dict[str, float],
    eligible: pd.Series,
    site_ids: pd.Series,
    *,
    top_k: int,
    runs: int = 500,
    spread: float = 0.2,
    seed: int = 0,
) -> pd.DataFrame:
    """How sure is the ranking? Perturb each weight by up to +/- ``spread`` (seeded).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`score`'s table (its ``criterion_<name>`` columns are re-weighted).
    weights : dict
        The criterion weights the ranking used.
    eligible : pandas.Series of bool
        Candidates that are ranked.
    site_ids : pandas.Series
        Ties are broken by site id, as in the ranking.
    top_k : int
        The size of the top group (usually the number of hubs).
    runs : int
        Number of perturbed weightings.
    spread : float
        Each weight is multiplied by a uniform factor in ``1 +/- spread``.
    seed : int
        Seed of the random factors: the same seed gives the same answer.

    Returns
    -------
    pandas.DataFrame
        Per candidate ``rank_min``, ``rank_max``, ``p_top_k`` (share of runs in which
        it ranks in the top ``top_k``) and ``stable`` (always in, or always out of,
        the top k). Ineligible sites get blanks.
    """
    names = [c for c in CRITERIA if weights.get(c, 0) > 0]
    scaled = table[[f"criterion_{c}" for c in names]].to_numpy(dtype=float)[eligible.to_numpy()]
    base = np.array([weights[c] for c in names])
    rng = np.random.default_rng(seed)
    factors = rng.uniform(1 - spread, 1 + spread, (runs, len(names)))
    drawn = base * factors
    scores = scaled @ (drawn / drawn.sum(axis=1, keepdims=True)).T  # sites x runs
    ids = site_ids[eligible.to_numpy()].to_numpy()
    # rank 1 = best; ties broken by site id, as in the ranking itself
    order = np.lexsort(
        (np.broadcast_to(ids[:, None], scores.shape).T, -scores.T.round(12)), axis=-1
    )
    ranks = np.empty_like(order)
    rows = np.arange(runs)[:, None]
    ranks[rows, order] = np.arange(1, len(ids) + 1)
    ranks = ranks.T
    out = pd.DataFrame(index=table.index, columns=["rank_min", "rank_max", "p_top_k", "stable"])
    out.loc[eligible, "rank_min"] = ranks.min(axis=1)
    out.loc[eligible, "rank_max"] = ranks.max(axis=1)
    p_top = (ranks <= top_k).mean(axis=1)
    out.loc[eligible, "p_top_k"] = p_top
    out.loc[eligible, "stable"] = (p_top == 0) | (p_top == 1)
    return out.astype(
        {"rank_min": "Int64", "rank_max": "Int64", "p_top_k": float, "stable": "boolean"}
    )
