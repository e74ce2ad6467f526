"""The cost ledger against sums worked by hand."""

from __future__ import annotations

import pytest

from estate_planner._errors import ScenarioError
from estate_planner.appraisal.ledger import cash_flows, discount_factors, net_present_cost, npc


def test_worked_example_30_years() -> None:
    # by hand: capital at year 0 is not discounted; £0.5m at each year's end is an
    # annuity of 30 years at 3.5%: (1 - 1.035**-30) / 0.035 = 18.39204...
    capital = 10_000_000 * 1.24
    annuity = (1 - 1.035**-30) / 0.035
    by_hand = capital + 500_000 * annuity
    assert round(by_hand) == 21_596_023
    table = cash_flows(capital_gbp=10e6, optimism_bias=0.24, annual_gbp=0.5e6, years=30)
    assert round(table["present_value_gbp"].sum()) == 21_596_023
    assert table["present_value_gbp"].sum() == pytest.approx(by_hand, abs=1e-6)
    assert table.loc[0, "optimism_bias_gbp"] == pytest.approx(2_400_000)
    assert table.loc[0, "discount_factor"] == 1.0


def test_worked_example_60_years_chained() -> None:
    # years 31-60 at 3.0%, their factors chained on year 30's: 1.035**-30 * 1.03**-k
    capital = 10_000_000 * 1.24
    first = sum(500_000 * 1.035**-t for t in range(1, 31))
    later = sum(500_000 * 1.035**-30 * 1.03**-k for k in range(1, 31))
    by_hand = capital + first + later
    assert round(by_hand) == 25_087_630
    table = cash_flows(capital_gbp=10e6, optimism_bias=0.24, annual_gbp=0.5e6, years=60)
    assert round(table["present_value_gbp"].sum()) == 25_087_630
    flows = [12.4e6] + [0.5e6] * 60
    assert net_present_cost(flows) == pytest.approx(by_hand, abs=1e-6)


def test_year_40_factor_is_chained() -> None:
    f = discount_factors(80)
    assert f[40] == pytest.approx(1.035**-30 * 1.03**-10, rel=1e-14)
    assert f[80] == pytest.approx(1.035**-30 * 1.03**-45 * 1.025**-5, rel=1e-14)


def test_renewal_and_residual_by_hand() -> None:
    # £1m capital, 10% bias; 40% renewed at year 25; 60-year life; 40-year period
    table = cash_flows(
        capital_gbp=1e6,
        optimism_bias=0.10,
        annual_gbp=0.0,
        years=40,
        renewal_share=0.4,
        renewal_every=25,
        asset_life=60,
    )
    renewal = 0.4e6 * 1.10 * 1.035**-25
    # residual at year 40: build has 20/60 left, renewal (spent at 25) has 45/60 left
    left = (20 / 60 * 1e6 + 45 / 60 * 0.4e6) * 1.10
    residual = -left * 1.035**-30 * 1.03**-10
    assert table["present_value_gbp"].sum() == pytest.approx(1.1e6 + renewal + residual)


def test_period_beyond_the_rates_is_an_error() -> None:
    with pytest.raises(ScenarioError, match="appraisal period"):
        discount_factors(126)


def test_npc_is_the_sum_of_the_table() -> None:
    kwargs = {
        "capital_gbp": 2e6,
        "optimism_bias": 0.24,
        "annual_gbp": 1e5,
        "years": 60,
        "one_off_gbp": 3e5,
        "renewal_share": 0.3,
        "renewal_every": 25,
        "asset_life": 60,
    }
    table = cash_flows(**kwargs)  # type: ignore[arg-type]
    assert npc(**kwargs) == pytest.approx(table["present_value_gbp"].sum(), rel=1e-12)  # type: ignore[arg-type]
