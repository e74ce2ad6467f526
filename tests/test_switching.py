"""Switching values: solved analytically for capital, checked against a direct scan of
:func:`appraise` for every setting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from estate_planner.appraisal.options import CostAssumptions, appraise, preferred
from estate_planner.appraisal.sizing import SizingAssumptions, required_gia_m2
from estate_planner.appraisal.switching import switching_value, switching_values

ANNUITY_30 = (1 - 1.035**-30) / 0.035


def hubs(*rows: tuple[str, str, float, float, float]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["site_id", "kind", "floor_area_m2", "annual_cost_gbp", "population_served"]
    )


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
    assert found[side] == pytest.approx(x, rel=1e-9)  # solved, not searched
    assert found["preferred"] == first


#: three options whose order moves with each setting: a register rent that does not
#: grow with the people served (A), two assumed rents and a new build (B), a small
#: building extended, then too small (C). Small populations: a room step is a few
#: per cent of people, so the choice flips back and forth as the population grows.
SIZING, COSTS = SizingAssumptions(), CostAssumptions(bau_annual_gbp=20_000)
OPTIONS = {
    "A": hubs(("a", "retail", 400.0, 60_000.0, 6000)),
    "B": hubs(("b1", "nhs", np.nan, np.nan, 3000), ("b2", "office", 150.0, np.nan, 3500)),
    "C": hubs(("c", "office", 250.0, 15_000.0, 7000)),
}
REACH = {"A": (5000.0, 10.0), "B": (6000.0, 0.0), "C": (5200.0, 0.0)}


def _choice(setting: str) -> Callable[[float], str]:
    """The preferred option with the setting changed by x, straight from :func:`appraise`."""

    def choice(x: float) -> str:
        costs, rent, growth = COSTS, 1.0, 0.0
        if setting == "capital cost per m²":
            costs = replace(
                COSTS,
                refurbish_gbp_per_m2=COSTS.refurbish_gbp_per_m2 * (1 + x),
                extension_gbp_per_m2=COSTS.extension_gbp_per_m2 * (1 + x),
                new_build_gbp_per_m2=COSTS.new_build_gbp_per_m2 * (1 + x),
            )
        elif setting == "rent":
            rent = 1 + x
        else:
            growth = x
        table = appraise(
            OPTIONS, REACH, sizing=SIZING, costs=costs, rent_factor=rent, growth=growth
        )
        return preferred(table)

    return choice


@pytest.mark.parametrize("setting", ["capital cost per m²", "rent", "population served"])
def test_switching_values_match_a_direct_scan(setting: str) -> None:
    table = switching_values(OPTIONS, REACH, sizing=SIZING, costs=COSTS).set_index("setting")
    row = table.loc[setting]
    choice = _choice(setting)
    base = choice(0.0)
    assert row["preferred"] == base
    assert not (np.isnan(row["fall"]) and np.isnan(row["rise"]))  # the instance switches
    for side, end in (("fall", -0.9), ("rise", 5.0)):
        value = row[side]
        # every change short of the switching value keeps the choice (a dense scan) ...
        short = end if np.isnan(value) else value
        for x in np.linspace(0.0, short, 40)[1:-1]:
            assert choice(float(x)) == base, (side, x)
        if np.isnan(value):
            assert choice(end) == base
            continue
        # ... and just past it another option is preferred
        assert -0.9 <= value <= 5.0
        step = 1e-7 * np.sign(value)
        assert choice(float(value - step)) == base
        assert choice(float(value + step)) != base


def test_nobody_reached_holds_everywhere() -> None:
    reach = dict.fromkeys(OPTIONS, (0.0, 0.0))
    table = switching_values(OPTIONS, reach, sizing=SIZING, costs=COSTS)
    assert (table["preferred"] == "business as usual").all()
    assert table[["fall", "rise"]].isna().all().all()
