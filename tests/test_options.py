"""The options appraisal: costs by hand, switching values solved analytically."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from estate_planner.appraisal.options import (
    BUSINESS_AS_USUAL,
    CostAssumptions,
    appraise,
    do_minimum,
    hub_costs,
    preferred,
    switching_value,
    switching_values,
)
from estate_planner.appraisal.sizing import SizingAssumptions, required_gia_m2

ANNUITY_30 = (1 - 1.035**-30) / 0.035


def hubs(*rows: tuple[str, str, float, float, float]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["site_id", "kind", "floor_area_m2", "annual_cost_gbp", "population_served"]
    )


def test_hub_costs_by_option() -> None:
    s, c = SizingAssumptions(), CostAssumptions(location_factor=1.1)
    need = required_gia_m2([12_000], s)[0]  # 568.632 m2, worked in test_sizing
    table = hub_costs(
        hubs(
            ("fits", "retail", 600.0, 30_000.0, 12_000),
            ("extend", "office", 500.0, np.nan, 12_000),
            ("rebuild", "nhs", 100.0, np.nan, 12_000),
            ("small", "retail", 100.0, np.nan, 12_000),
        ),
        sizing=s,
        costs=c,
    ).set_index("site_id")
    assert table.loc["fits", "capital_gbp"] == pytest.approx(1500 * need * 1.1)
    assert table.loc["extend", "capital_gbp"] == pytest.approx(
        (1500 * 500 + 3200 * (need - 500)) * 1.1
    )
    assert table.loc["rebuild", "capital_gbp"] == pytest.approx(3800 * need * 1.1)
    assert table.loc["small", "estate_option"] == "too small (costed as new build)"
    assert table.loc["fits", "rent_gbp"] == 30_000
    assert table.loc["fits", "rent_basis"] == "register"
    assert table.loc["extend", "rent_gbp"] == pytest.approx(200 * need)
    assert table.loc["extend", "fit"] == "short by 69 m²"
    assert table.loc["fits", "annual_gbp"] == pytest.approx(30_000 + 120 * need)


def test_appraise_by_hand() -> None:
    s = SizingAssumptions()
    c = CostAssumptions(bau_annual_gbp=50_000, bau_one_off_gbp=200_000)
    need = required_gia_m2([12_000], s)[0]
    options = {"one hub": hubs(("a", "retail", 600.0, 30_000.0, 12_000))}
    table = appraise(options, {"one hub": (9_000, 2_000)}, sizing=s, costs=c).set_index("option")
    bau = 200_000 + 50_000 * ANNUITY_30
    assert table.loc[BUSINESS_AS_USUAL, "npc_gbp"] == pytest.approx(bau)
    capital = 1500 * need * 1.24
    # a 60-year life: half the building is left at year 30, credited then
    residual = -0.5 * capital * 1.035**-30
    hub = capital + (30_000 + 120 * need) * ANNUITY_30 + residual
    assert table.loc["one hub", "npc_gbp"] == pytest.approx(bau + hub)
    assert table.loc["one hub", "cost_per_person_gbp"] == pytest.approx(hub / 9_000)
    assert np.isnan(table.loc[BUSINESS_AS_USUAL, "cost_per_person_gbp"])
    assert preferred(table.reset_index()) == "one hub"


def test_switching_value_of_a_line() -> None:
    # option A costs 100 + 50x, B costs 130 + 20x (x the change): they cross at x = 1
    def choice(x: float) -> str:
        return "A" if 100 + 50 * x <= 130 + 20 * x else "B"

    down, up = switching_value(choice, tolerance=1e-9)
    assert down is None
    assert up == pytest.approx(1.0, abs=1e-8)


def test_capital_switching_value_analytically() -> None:
    # two options, each one hub that fits (refurbished): cost per person above BAU is
    # (a_k (1 + x) + b_k) / P_k with a_k = £1,500/m2 x GIA x 1.24 and b_k the rent and
    # running cost over 30 years; they cross where the two lines meet
    s, c = SizingAssumptions(), CostAssumptions()
    options = {
        "cheap to build": hubs(("a", "retail", 5000.0, 90_000.0, 20_000)),
        "cheap to run": hubs(("b", "retail", 5000.0, 10_000.0, 30_000)),
    }
    reach = {"cheap to build": (20_000.0, 0.0), "cheap to run": (24_000.0, 0.0)}
    gia = required_gia_m2([20_000, 30_000], s)
    a = 1500 * gia * 1.24
    b = (np.array([90_000, 10_000]) + 120 * gia) * ANNUITY_30
    people = np.array([20_000, 24_000])
    a = a * (1 - 0.5 * 1.035**-30)  # less the residual value at year 30 (60-year life)
    # (a0 (1+x) + b0) / p0 = (a1 (1+x) + b1) / p1  ->  1 + x = (b1/p1 - b0/p0) / (a0/p0 - a1/p1)
    x = (b[1] / people[1] - b[0] / people[0]) / (a[0] / people[0] - a[1] / people[1]) - 1
    base = appraise(options, reach, sizing=s, costs=c)
    first = preferred(base)
    table = switching_values(options, reach, sizing=s, costs=c).set_index("setting")
    found = table.loc["capital cost per m²"]
    side = "rise" if x > 0 else "fall"
    assert -0.9 < x < 5  # the instance is built to switch inside the range scanned
    assert found[side] == pytest.approx(x, abs=2e-3)
    assert found["preferred"] == first


def test_do_minimum() -> None:
    assert do_minimum([500, 300, 150, 50], 0.8) == 2
    assert do_minimum([500, 300, 150, 50], 0.81) == 3
    assert do_minimum([100], 0.8) == 1
    assert do_minimum([], 0.8) == 0


def test_scenario_defaults_match_the_appraisal_defaults() -> None:
    from dataclasses import fields

    from estate_planner.appraisal import ASSUMPTIONS
    from estate_planner.scenario import AppraisalConfig

    config = AppraisalConfig()
    for cls in (SizingAssumptions, CostAssumptions):
        for field in fields(cls):
            value = getattr(config, field.name)
            expected = field.default
            assert (tuple(value) if isinstance(value, list) else value) == expected, field.name
            assert field.name in ASSUMPTIONS, field.name
    for name in AppraisalConfig.model_fields:
        if name not in ("enabled", "sources", "registrations", "registrations_lsoa"):
            assert name in ASSUMPTIONS, name
