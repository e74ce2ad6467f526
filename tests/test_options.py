"""The options appraisal: costs by hand (switching values: test_switching.py)."""

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
