"""The cost ledger: cash flows by year, optimism bias and Green Book discounting.

Everything here is a pure function of numbers. Capital falls in year 0 and is not
discounted; a recurring cost falls at the end of each year 1..N. HM Treasury's Green
Book discounts at 3.5% a year for years 1-30, 3.0% for 31-75 and 2.5% for 76-125, the
factors chained: the factor of year 40 is ``1.035**-30 * 1.03**-10``.

Source: HM Treasury, *The Green Book* (2022), Annex A6 table 8 (discount rates) and
the supplementary guidance on optimism bias (2013): standard buildings, capital
expenditure, upper bound 24%, lower 2%; non-standard buildings 51% / 4%.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from estate_planner._errors import ScenarioError

__all__ = [
    "GREEN_BOOK_RATES",
    "OPTIMISM_BIAS",
    "cash_flows",
    "discount_factors",
    "net_present_cost",
    "npc",
]

#: (last year of the band, rate): Green Book 2022, Annex A6, table 8
GREEN_BOOK_RATES: tuple[tuple[int, float], ...] = ((30, 0.035), (75, 0.030), (125, 0.025))

#: Green Book supplementary guidance on optimism bias (2013), capital expenditure
OPTIMISM_BIAS: dict[str, tuple[float, float]] = {
    "standard_buildings": (0.24, 0.02),
    "non_standard_buildings": (0.51, 0.04),
}


def discount_factors(
    years: int, *, rates: Sequence[tuple[int, float]] = GREEN_BOOK_RATES
) -> np.ndarray:
    """Discount factors for years ``0..years``, chained across the rate bands.

    Parameters
    ----------
    years : int
        The last year (the appraisal period).
    rates : sequence of (last year, rate)
        The bands in order; year ``t`` is discounted at the rate of the first band
        whose last year is at least ``t``.

    Returns
    -------
    numpy.ndarray
        ``years + 1`` factors; the first (year 0) is 1.

    Raises
    ------
    ScenarioError
        If ``years`` is beyond the last band.

    Examples
    --------
    >>> f = discount_factors(40)
    >>> bool(abs(f[40] - 1.035**-30 * 1.03**-10) < 1e-15)
    True
    """
    if years < 0 or years > rates[-1][0]:
        raise ScenarioError(
            f"the appraisal period is {years} years; the discount rates given run to year "
            f"{rates[-1][0]}; choose 0 to {rates[-1][0]} years"
        )
    per_year = np.ones(years + 1)
    low = 0
    for last, rate in rates:
        per_year[low + 1 : last + 1] = 1.0 / (1.0 + rate)
        low = last
    return np.cumprod(per_year)


def net_present_cost(
    flows: Sequence[float] | np.ndarray, *, rates: Sequence[tuple[int, float]] = GREEN_BOOK_RATES
) -> float:
    """The net present cost of costs by year (``flows[t]`` falls in year ``t``).

    Parameters
    ----------
    flows : array of float
        Costs in £ (receipts negative), year 0 first.
    rates : sequence of (last year, rate)
        As :func:`discount_factors`.

    Returns
    -------
    float
        £, in year-0 prices.
    """
    flows = np.asarray(flows, dtype=float)
    return float(flows @ discount_factors(len(flows) - 1, rates=rates))


def _flows(
    capital_gbp: float,
    optimism_bias: float,
    annual_gbp: float,
    years: int,
    one_off_gbp: float,
    renewal_share: float,
    renewal_every: int,
    asset_life: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Capital, renewal, residual, annual and one-off costs by year (see :func:`cash_flows`)."""
    if years < 1:
        raise ScenarioError(f"the appraisal period must be at least 1 year, found {years}")
    n = years + 1
    capital = np.zeros(n)
    capital[0] = capital_gbp
    renewal = np.zeros(n)
    last_spend_year, last_spend = 0, capital_gbp
    if renewal_share > 0 and renewal_every > 0:
        for year in range(renewal_every, years, renewal_every):
            renewal[year] = renewal_share * capital_gbp
            last_spend_year, last_spend = year, renewal_share * capital_gbp
    residual = np.zeros(n)
    if asset_life > 0:
        # the original build, then the renewed part, each written off straight line
        left = max(0.0, 1.0 - years / asset_life) * capital_gbp
        if last_spend_year > 0:
            left += max(0.0, 1.0 - (years - last_spend_year) / asset_life) * last_spend
        residual[-1] = -left * (1.0 + optimism_bias)
    annual = np.full(n, float(annual_gbp))
    annual[0] = 0.0
    one_off = np.zeros(n)
    one_off[0] = one_off_gbp
    return capital, renewal, residual, annual, one_off


def cash_flows(
    *,
    capital_gbp: float,
    optimism_bias: float,
    annual_gbp: float,
    years: int,
    one_off_gbp: float = 0.0,
    renewal_share: float = 0.0,
    renewal_every: int = 0,
    asset_life: int = 0,
    rates: Sequence[tuple[int, float]] = GREEN_BOOK_RATES,
) -> pd.DataFrame:
    """One option's costs by year, discounted.

    Capital (plus optimism bias on it) and one-off items fall in year 0; the annual
    cost at the end of years 1..``years``. Every ``renewal_every`` years (before the
    last) a share of the capital is spent again (lifecycle renewal, with optimism
    bias). With an ``asset_life``, what is left of the last capital spend at the end
    of the period is credited back in the last year (straight-line residual value).

    Parameters
    ----------
    capital_gbp : float
        Capital cost in year-0 prices, before optimism bias.
    optimism_bias : float
        Uplift on capital, e.g. 0.24 for 24%.
    annual_gbp : float
        Recurring cost each year (rent, running cost), £ a year.
    years : int
        The appraisal period.
    one_off_gbp : float
        Other year-0 costs (lease exits, backlog; receipts negative), no uplift.
    renewal_share : float
        Share of the capital spent again at each renewal (0: none).
    renewal_every : int
        Years between renewals (0: none).
    asset_life : int
        Years a capital spend lasts, for the residual value (0: no residual value).
    rates : sequence of (last year, rate)
        As :func:`discount_factors`.

    Returns
    -------
    pandas.DataFrame
        One row per year 0..``years``: ``year``, ``capital_gbp``,
        ``optimism_bias_gbp``, ``one_off_gbp``, ``annual_gbp``, ``renewal_gbp``,
        ``residual_gbp`` (negative: a credit), ``total_gbp``, ``discount_factor``
        and ``present_value_gbp``; the sum of ``present_value_gbp`` is the net
        present cost.
    """
    capital, renewal, residual, annual, one_off = _flows(
        capital_gbp, optimism_bias, annual_gbp, years, one_off_gbp,
        renewal_share, renewal_every, asset_life,
    )  # fmt: skip
    table = pd.DataFrame({"year": np.arange(years + 1)})
    table["capital_gbp"] = capital
    table["optimism_bias_gbp"] = optimism_bias * (capital + renewal)
    table["one_off_gbp"] = one_off
    table["annual_gbp"] = annual
    table["renewal_gbp"] = renewal
    table["residual_gbp"] = residual
    table["total_gbp"] = table[
        [
            "capital_gbp",
            "optimism_bias_gbp",
            "one_off_gbp",
            "annual_gbp",
            "renewal_gbp",
            "residual_gbp",
        ]
    ].sum(axis=1)
    table["discount_factor"] = discount_factors(years, rates=rates)
    table["present_value_gbp"] = table["total_gbp"] * table["discount_factor"]
    return table


def npc(
    *,
    capital_gbp: float,
    optimism_bias: float,
    annual_gbp: float,
    years: int,
    one_off_gbp: float = 0.0,
    renewal_share: float = 0.0,
    renewal_every: int = 0,
    asset_life: int = 0,
    rates: Sequence[tuple[int, float]] = GREEN_BOOK_RATES,
) -> float:
    """The net present cost of :func:`cash_flows` with the same arguments, without the table.

    Parameters
    ----------
    capital_gbp, optimism_bias, annual_gbp, years, one_off_gbp : float
        As :func:`cash_flows`.
    renewal_share, renewal_every, asset_life, rates
        As :func:`cash_flows`.

    Returns
    -------
    float
        £, in year-0 prices.
    """
    capital, renewal, residual, annual, one_off = _flows(
        capital_gbp, optimism_bias, annual_gbp, years, one_off_gbp,
        renewal_share, renewal_every, asset_life,
    )  # fmt: skip
    total = capital + optimism_bias * (capital + renewal) + one_off + annual + renewal + residual
    return float(total @ discount_factors(years, rates=rates))
