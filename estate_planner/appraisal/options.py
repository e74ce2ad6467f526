"""The options appraisal: business as usual, a do-minimum, the chosen set and its
strongest alternatives, side by side, with net present cost, cost per person brought
within reach (switching values: :mod:`.switching`).

An option is a set of hubs with the population each would serve. Each hub is sized
(:mod:`.sizing`), given an estate option and a capital cost, and a yearly cost (rent
from the register where it has one, else an assumed rent per m², plus running cost per
m²). An option's net present cost is business as usual's (the existing estate's
running cost and backlog, which continue) plus its hubs' ledger (:mod:`.ledger`).
Cost per person is the cost above business as usual over the people it brings within
reach. The preferred option is the one with the least cost per person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from estate_planner.appraisal.ledger import npc
from estate_planner.appraisal.sizing import SizingAssumptions, estate_option, fit, required_gia_m2

__all__ = [
    "BUSINESS_AS_USUAL",
    "CostAssumptions",
    "appraise",
    "do_minimum",
    "hub_capital",
    "hub_costs",
    "preferred",
]

BUSINESS_AS_USUAL = "business as usual"


@dataclass(frozen=True)
class CostAssumptions:
    """Cost settings; defaults illustrative (units, sources and dates in
    ``estate_planner.appraisal.ASSUMPTIONS``)."""

    refurbish_gbp_per_m2: float = 1500.0
    extension_gbp_per_m2: float = 3200.0
    new_build_gbp_per_m2: float = 3800.0
    location_factor: float = 1.0
    optimism_bias: float = 0.24
    rent_gbp_per_m2: float = 200.0
    running_gbp_per_m2: float = 120.0
    bau_annual_gbp: float = 0.0
    bau_one_off_gbp: float = 0.0
    option_one_off_gbp: float = 0.0
    appraisal_years: int = 30
    renewal_share: float = 0.0
    renewal_every: int = 0
    asset_life: int = 60

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> CostAssumptions:
        """The assumptions named in ``values`` (other keys ignored).

        Parameters
        ----------
        values : mapping
            Setting -> value, e.g. the scenario's ``[appraisal]`` section dumped.

        Returns
        -------
        CostAssumptions
        """
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})  # type: ignore[arg-type]


def hub_costs(
    hubs: pd.DataFrame,
    *,
    sizing: SizingAssumptions,
    costs: CostAssumptions,
    growth: float = 0.0,
) -> pd.DataFrame:
    """Size and cost each hub for the population it serves.

    Parameters
    ----------
    hubs : pandas.DataFrame
        ``site_id``, ``kind``, ``floor_area_m2`` (NaN: not known),
        ``annual_cost_gbp`` (the register's rent or rateable value; NaN: none) and
        ``population_served`` (people).
    sizing : SizingAssumptions
    costs : CostAssumptions
    growth : float
        Population change applied to every hub (0.1: 10% more people).

    Returns
    -------
    pandas.DataFrame
        ``hubs`` plus ``required_gia_m2``, ``fit``, ``estate_option``,
        ``capital_gbp`` (before optimism bias), ``rent_gbp``, ``rent_basis``
        (``register`` or ``assumed £/m²``), ``running_gbp`` and ``annual_gbp``.
        A hub too small (or of unknown size) is costed as a new build of the area it
        needs, and its ``estate_option`` says so.
    """
    out = hubs.copy()
    people = out["population_served"].to_numpy(dtype=float) * (1.0 + growth)
    need = required_gia_m2(people, sizing)
    area = out["floor_area_m2"].to_numpy(dtype=float)
    kinds = out["kind"].astype(str).to_numpy()
    options = [estate_option(r, f, k, sizing) for r, f, k in zip(need, area, kinds, strict=True)]
    c = costs
    rent_known = out["annual_cost_gbp"].to_numpy(dtype=float)
    has_rent = np.isfinite(rent_known)
    out["required_gia_m2"] = need
    out["fit"] = [fit(r, f) for r, f in zip(need, area, strict=True)]
    out["estate_option"] = [
        f"{o} (costed as new build)" if o in ("too small", "not known") else o for o in options
    ]
    out["capital_gbp"] = hub_capital(need, area, sizing=sizing, costs=costs)
    out["rent_gbp"] = np.where(has_rent, rent_known, c.rent_gbp_per_m2 * need)
    out["rent_basis"] = np.where(has_rent, "register", "assumed £/m²")
    out["running_gbp"] = c.running_gbp_per_m2 * need
    out["annual_gbp"] = out["rent_gbp"] + out["running_gbp"]
    return out


def hub_capital(
    need: np.ndarray, area: np.ndarray, *, sizing: SizingAssumptions, costs: CostAssumptions
) -> np.ndarray:
    """Capital cost of hubs (£, before optimism bias, location factor applied).

    As :func:`.sizing.estate_option` decides: refurbish what fits, extend what is short
    by no more than ``max_extension_share``, and cost anything else (new build, too
    small, floor area not known) as a new build of the area needed.

    Parameters
    ----------
    need : numpy.ndarray
        Gross internal area needed (m²), any shape.
    area : numpy.ndarray
        Floor area (m², NaN: not known), broadcast against ``need``.
    sizing, costs : SizingAssumptions, CostAssumptions

    Returns
    -------
    numpy.ndarray
        ``need``'s shape.
    """
    c = costs
    known = np.isfinite(area)
    refurbish = known & (need <= area)
    extend = known & ~refurbish & (need <= area * (1.0 + sizing.max_extension_share))
    with np.errstate(invalid="ignore"):
        extended = c.refurbish_gbp_per_m2 * area + c.extension_gbp_per_m2 * (need - area)
    capital = np.where(
        refurbish,
        c.refurbish_gbp_per_m2 * need,
        np.where(extend, extended, c.new_build_gbp_per_m2 * need),
    )
    return capital * c.location_factor


def _npc(costs: CostAssumptions, capital: float, annual: float, one_off: float) -> float:
    return npc(
        capital_gbp=capital,
        optimism_bias=costs.optimism_bias,
        annual_gbp=annual,
        years=costs.appraisal_years,
        one_off_gbp=one_off,
        renewal_share=costs.renewal_share,
        renewal_every=costs.renewal_every,
        asset_life=costs.asset_life if capital > 0 else 0,
    )


def appraise(
    options: Mapping[str, pd.DataFrame],
    reach: Mapping[str, tuple[float, float]],
    *,
    sizing: SizingAssumptions,
    costs: CostAssumptions,
    growth: float = 0.0,
    rent_factor: float = 1.0,
) -> pd.DataFrame:
    """The options side by side, business as usual first.

    Parameters
    ----------
    options : mapping
        Option name -> its hubs (as :func:`hub_costs` takes). Business as usual
        (no hubs) is added.
    reach : mapping
        Option name -> (people brought within reach, of them in IMD deciles 1-2).
    sizing, costs : SizingAssumptions, CostAssumptions
    growth : float
        Population change (people served and brought within reach scale with it).
    rent_factor : float
        Multiplies every rent (for switching values).

    Returns
    -------
    pandas.DataFrame
        One row per option: ``option``, ``hubs``, ``people_reached``,
        ``people_reached_imd_1_2``, ``floor_area_m2`` (required GIA), ``hubs_fit``,
        ``capital_gbp`` (with optimism bias), ``annual_gbp``, ``npc_gbp``,
        ``npc_above_bau_gbp`` and ``cost_per_person_gbp`` (NaN when nobody is
        brought within reach).
    """
    bau_npc = _npc(costs, 0.0, costs.bau_annual_gbp, costs.bau_one_off_gbp)
    rows = [
        {
            "option": BUSINESS_AS_USUAL,
            "hubs": 0,
            "people_reached": 0.0,
            "people_reached_imd_1_2": 0.0,
            "floor_area_m2": 0.0,
            "hubs_fit": 0,
            "capital_gbp": 0.0,
            "annual_gbp": costs.bau_annual_gbp,
            "npc_gbp": bau_npc,
        }
    ]
    for name, hubs in options.items():
        costed = hub_costs(hubs, sizing=sizing, costs=costs, growth=growth)
        capital = float(costed["capital_gbp"].sum())
        annual = float((costed["rent_gbp"] * rent_factor + costed["running_gbp"]).sum())
        people, deprived = reach[name]
        npc = _npc(
            costs,
            capital,
            annual + costs.bau_annual_gbp,
            costs.bau_one_off_gbp + costs.option_one_off_gbp,
        )
        rows.append(
            {
                "option": name,
                "hubs": len(costed),
                "people_reached": people * (1.0 + growth),
                "people_reached_imd_1_2": deprived * (1.0 + growth),
                "floor_area_m2": float(costed["required_gia_m2"].sum()),
                "hubs_fit": int((costed["fit"] == "fits").sum()),
                "capital_gbp": capital * (1.0 + costs.optimism_bias),
                "annual_gbp": annual + costs.bau_annual_gbp,
                "npc_gbp": npc,
            }
        )
    table = pd.DataFrame(rows)
    table["npc_above_bau_gbp"] = table["npc_gbp"] - bau_npc
    with np.errstate(divide="ignore", invalid="ignore"):
        per = table["npc_above_bau_gbp"] / table["people_reached"]
    table["cost_per_person_gbp"] = per.where(table["people_reached"] > 0)
    return table


def preferred(table: pd.DataFrame) -> str:
    """The option with the least cost per person brought within reach (ties: the
    one listed first); business as usual when no option reaches anybody.

    Parameters
    ----------
    table : pandas.DataFrame
        As :func:`appraise` returns.

    Returns
    -------
    str
    """
    ranked = table.dropna(subset=["cost_per_person_gbp"])
    if ranked.empty:
        return BUSINESS_AS_USUAL
    best = int(np.argmin(ranked["cost_per_person_gbp"].to_numpy()))
    return str(ranked["option"].iloc[best])


def do_minimum(gains: list[float] | np.ndarray, share: float) -> int:
    """How many of the chosen hubs, in the order chosen, deliver ``share`` of their gain.

    Parameters
    ----------
    gains : array of float
        Each hub's marginal gain, in the order chosen.
    share : float
        E.g. 0.8: the fewest hubs reaching 80% of the whole set's gain.

    Returns
    -------
    int
        At least 1 when there is any hub.
    """
    gains = np.asarray(gains, dtype=float)
    if len(gains) == 0:
        return 0
    total = gains.sum()
    if total <= 0:
        return 1
    reached = np.cumsum(gains) >= share * total - 1e-9 * total
    return int(np.argmax(reached)) + 1
