"""Checking the choice before a board sees it: no empty hubs, what each hub adds and
for whom, why top-ranked sites were not chosen, and how sure the chosen set is.

Stability asks the selection question again with the assumptions that matter moved:
the need weights (perturbed, seeded), the access threshold (a few minutes either way),
which services count as existing (only GP practices, where others count), and how
population is placed (one point per area instead of raster cells, when cells are
used). Each run's chosen set is kept; the table says how often each site is chosen.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from estate_planner.need import most_deprived
from estate_planner.optimise import Selection, select_sites

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
    runs: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per stability run
    times_chosen: pd.DataFrame = field(default_factory=pd.DataFrame)  # site, chosen, share
    conclusions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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


@dataclass
class Question:
    """One run of the selection question, with the inputs a stability run may change."""

    label: str
    candidate_times: sp.csr_matrix
    service_times: sp.csr_matrix
    need: np.ndarray
    threshold_s: float


def stability(
    base: Question,
    variants: list[Question],
    *,
    k: int,
    eligible: np.ndarray,
    site_ids: pd.Series,
    min_gain: float,
    time_limit: float,
    objective: str = "coverage",
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Ask the same selection question of ``base`` and of each variant.

    Parameters
    ----------
    base : Question
        The question as the run asked it.
    variants : list of Question
        The question with one assumption changed each (weights, threshold, services
        counted, population placement).
    k : int
        Hubs to choose.
    eligible : numpy.ndarray of bool
        Candidates that may be chosen.
    site_ids : pandas.Series
        Id of each candidate, for the tables.
    min_gain : float
        Hubs adding no more than this are dropped in every run, as in the run itself.
    time_limit : float
        Seconds HiGHS may spend on each run.
    objective : {"coverage", "median"}
        The selection objective.

    Returns
    -------
    runs : pandas.DataFrame
        One row per run: ``run`` (its label) and ``chosen`` (site ids).
    times_chosen : pandas.DataFrame
        ``site_id``, ``times_chosen``, ``runs`` and ``share`` per site ever chosen.
    conclusions : list of str
        What holds in every run, in words.
    """
    rows = []
    for question in [base, *variants]:
        found = select_sites(
            question.candidate_times,
            question.need,
            k,
            threshold=question.threshold_s,
            fixed=question.service_times,
            eligible=eligible,
            time_limit=time_limit,
            curve=False,
            objective="median" if objective == "median" else "coverage",
        )
        found, _ = drop_empty_hubs(found, min_gain=min_gain)
        rows.append(
            {"run": question.label, "chosen": [str(site_ids.iloc[s]) for s in found.chosen]}
        )
    runs = pd.DataFrame(rows)
    counts = pd.Series([s for chosen in runs["chosen"] for s in chosen]).value_counts()
    table = pd.DataFrame(
        {"site_id": counts.index, "times_chosen": counts.to_numpy(), "runs": len(runs)}
    )
    table["share"] = table["times_chosen"] / len(runs)
    table = table.sort_values(["times_chosen", "site_id"], ascending=[False, True])
    return runs, table.reset_index(drop=True), _conclusions(runs)


def _conclusions(runs: pd.DataFrame) -> list[str]:
    base = runs["chosen"].iloc[0]
    n = len(runs)
    out = []
    always = [s for s in base if all(s in chosen for chosen in runs["chosen"])]
    for site in always:
        out.append(f"{site} is chosen in all {n} runs.")
    sizes = runs["chosen"].map(len)
    if sizes.nunique() == 1:
        out.append(f"Every run chooses {sizes.iloc[0]} hub(s) that add something.")
    else:
        out.append(
            f"The number of hubs that add something varies from {sizes.min()} to {sizes.max()}."
        )
    same = sum(set(chosen) == set(base) for chosen in runs["chosen"])
    out.append(f"The same set as chosen here comes out in {same} of {n} runs.")
    return out


def weight_variants(
    demand: pd.DataFrame,
    weights: dict[str, float],
    need_index: Callable[[pd.DataFrame, dict[str, float]], np.ndarray],
    base: Question,
    *,
    runs: int,
    spread: float,
    seed: int,
) -> list[Question]:
    """The question with each need weight moved by up to ``spread`` (seeded).

    Parameters
    ----------
    demand : pandas.DataFrame
        The demand points' need factors.
    weights : dict
        The need weights the run used.
    need_index : callable
        Computes need from ``demand`` and weights (:func:`estate_planner.need.need_index`).
    base : Question
        The question as asked.
    runs : int
        Number of variants.
    spread : float
        Each weight is multiplied by a uniform factor in ``1 +/- spread``.
    seed : int
        Seed of the factors.

    Returns
    -------
    list of Question
    """
    rng = np.random.default_rng(seed)
    out = []
    for i in range(runs):
        moved = {k: v * rng.uniform(1 - spread, 1 + spread) for k, v in weights.items()}
        out.append(
            dataclasses.replace(
                base, label=f"need weights #{i + 1}", need=need_index(demand, moved)
            )
        )
    return out


def threshold_variants(base: Question, step_s: float) -> list[Question]:
    """The question with the access threshold ``step_s`` shorter and longer.

    Parameters
    ----------
    base : Question
        The question as asked.
    step_s : float
        Seconds to move the threshold by (no variant when 0).

    Returns
    -------
    list of Question
    """
    if step_s <= 0:
        return []
    out = []
    for sign, word in ((-1, "shorter"), (1, "longer")):
        seconds = base.threshold_s + sign * step_s
        if seconds > 0:
            label = f"threshold {seconds / 60:g} min ({word})"
            out.append(dataclasses.replace(base, label=label, threshold_s=seconds))
    return out


def services_variant(base: Question, kinds: pd.Series) -> list[Question]:
    """The question with only GP practices counting as existing services.

    Parameters
    ----------
    base : Question
        The question as asked.
    kinds : pandas.Series
        The kind of each existing service (rows of ``base.service_times``).

    Returns
    -------
    list of Question
        One variant where other kinds (pharmacies, hospitals) count too, else none.
    """
    gp = (kinds == "gp").to_numpy()
    if not gp.any() or gp.all():
        return []
    return [
        dataclasses.replace(
            base, label="only GP practices count", service_times=base.service_times[gp]
        )
    ]


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

