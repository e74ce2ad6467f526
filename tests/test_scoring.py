from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from estate_planner.scenario import CRITERIA, ScoringConfig
from estate_planner.scoring import exclusions, score


def scored(frame: pd.DataFrame, config: ScoringConfig, reasons: pd.Series) -> pd.DataFrame:
    """:func:`score` with a scenario's scoring settings, as the assess stage calls it."""
    return score(
        frame,
        config.weights,
        reasons,
        min_floor_area_m2=config.min_floor_area_m2,
        max_floor_area_m2=config.max_floor_area_m2,
    )


def excluded(
    frame: pd.DataFrame, config: ScoringConfig, budget_gbp: float | None = None
) -> pd.Series:
    return exclusions(
        frame,
        min_floor_area_m2=config.min_floor_area_m2,
        max_floor_area_m2=config.max_floor_area_m2,
        available_only=config.available_only,
        exclude_kinds=config.exclude_kinds,
        budget_gbp=budget_gbp,
    )

def candidates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_id": ["A", "B", "C", "D"],
            "kind": ["retail", "nhs", "council", "retail"],
            "need_reached": [100.0, 300.0, 200.0, 300.0],
            "unmet_need_reached": [50.0, 0.0, 150.0, 0.0],
            "deprivation_reached": [0.2, 0.9, 0.5, 0.9],
            "annual_cost_gbp": [10_000.0, 30_000.0, np.nan, 30_000.0],
            "floor_area_m2": [100.0, 400.0, 250.0, 400.0],
            "available": [True, True, False, True],
            "in_town_centre": [True, False, False, False],
        }
    )


def test_worked_example() -> None:
    config = ScoringConfig(weights={"need_reached": 2, "cost": 1, "deprivation": 1})
    table = scored(candidates(), config, pd.Series("", index=range(4)))
    # scaled keeping proportion: need as a share of the best (300), cost as the cheapest
    # (10k) over the site's cost. A: need 100/300; cost 10k/10k = 1; deprivation 0.2
    assert table.loc[0, "score"] == pytest.approx((2 * 100 / 300 + 1 * 1 + 1 * 0.2) / 4)
    # C: unknown cost counts as the dearest (30k) -> 10k/30k
    assert table.loc[2, "criterion_cost"] == pytest.approx(1 / 3)
    assert table.loc[2, "score"] == pytest.approx((2 * 200 / 300 + 1 / 3 + 0.5) / 4)
    # B and D tie on score: the site id breaks the tie
    assert table["rank"].tolist() == [4, 1, 3, 2]


def test_contributions_add_up_to_the_score() -> None:
    config = ScoringConfig(
        weights=dict(zip(CRITERIA, [3, 1, 4, 1, 5, 9, 2, 6], strict=True)),
        min_floor_area_m2=150,
        max_floor_area_m2=300,
    )
    table = scored(candidates(), config, pd.Series("", index=range(4)))
    parts = table[[f"contribution_{c}" for c in CRITERIA]].sum(axis=1)
    np.testing.assert_allclose(parts, table["score"])
    assert ((table["score"] >= 0) & (table["score"] <= 1)).all()


def test_floor_area_fit() -> None:
    config = ScoringConfig(
        weights={"floor_area_fit": 1}, min_floor_area_m2=150, max_floor_area_m2=300
    )
    table = scored(candidates(), config, pd.Series("", index=range(4)))
    # 100 m2 is a third under 150: 1 - (50 / 75); 250 fits; 400 is a third over 300: 1 - 100/150
    assert table["criterion_floor_area_fit"].tolist() == pytest.approx([1 / 3, 1 / 3, 1.0, 1 / 3])


def test_hard_constraints_keep_their_reasons() -> None:
    config = ScoringConfig(min_floor_area_m2=150, available_only=True, exclude_kinds=["nhs"])
    reasons = excluded(candidates(), config, budget_gbp=20_000)
    assert reasons[0] == "floor area under 150 m2"
    assert reasons[1] == "kind excluded; costs more than the budget 20,000"
    assert reasons[2] == "not available (or not known to be)"
    assert reasons[3] == "costs more than the budget 20,000"
    table = scored(candidates(), config, reasons)
    assert table["rank"].isna().all()
    assert table["score"].notna().all()


def test_raising_a_weight_never_lowers_the_site_best_on_it() -> None:
    base = ScoringConfig(weights={"need_reached": 1, "deprivation": 0.2, "cost": 0.5})
    more = ScoringConfig(weights={"need_reached": 1, "deprivation": 2.0, "cost": 0.5})
    none = pd.Series("", index=range(4))
    a, b = scored(candidates(), base, none), scored(candidates(), more, none)
    best = candidates()["deprivation_reached"].idxmax()
    assert b.loc[best, "rank"] <= a.loc[best, "rank"]


def test_sensitivity_ranges_contain_the_ranking_and_flag_the_close_calls() -> None:
    from estate_planner.scoring import sensitivity

    config = ScoringConfig(weights={"need_reached": 1, "deprivation": 1, "cost": 1})
    cands = candidates()
    eligible = pd.Series(True, index=cands.index)
    table = scored(cands, config, pd.Series("", index=cands.index))
    out = sensitivity(table, config.weights, eligible, cands["site_id"], top_k=1, runs=300, seed=3)
    assert (out["rank_min"] <= table["rank"]).all() and (table["rank"] <= out["rank_max"]).all()
    assert out["p_top_k"].sum() == pytest.approx(1.0)  # exactly one site is top-1 in each run
    # B and D are equal on every criterion: in every run D ranks just below B (by id)
    assert out.loc[3, "rank_min"] == out.loc[1, "rank_min"] + 1
    assert out.loc[3, "rank_max"] == out.loc[1, "rank_max"] + 1
    assert out.loc[3, "p_top_k"] == 0.0
    again = sensitivity(table, config.weights, eligible, cands["site_id"], top_k=1, runs=300, seed=3)
    pd.testing.assert_frame_equal(out, again)  # seeded


def test_unknown_availability_scores_half_and_is_not_taken_as_available() -> None:
    frame = candidates().assign(available=[1.0, np.nan, 0.0, 1.0])
    config = ScoringConfig(weights={"available": 1}, available_only=True)
    table = scored(frame, config, excluded(frame, config))
    assert table["criterion_available"].tolist() == [1.0, 0.5, 0.0, 1.0]
    assert table.loc[1, "excluded_reason"] == "not available (or not known to be)"


def test_spare_floor_area_keeps_proportion_and_unknown_is_none() -> None:
    frame = candidates().assign(spare_floor_area_m2=[0.0, 500.0, np.nan, 250.0])
    table = scored(frame, ScoringConfig(weights={"spare_floor_area": 1}), pd.Series("", index=range(4)))
    assert table["criterion_spare_floor_area"].tolist() == [0.0, 1.0, 0.0, 0.5]


def test_unknown_floor_area_does_not_pass_a_minimum_unless_the_scenario_says() -> None:
    frame = candidates().assign(floor_area_m2=[100.0, np.nan, 250.0, np.nan])
    reasons = exclusions(frame, min_floor_area_m2=150)
    assert reasons.tolist() == [
        "floor area under 150 m2",
        "floor area not known (a minimum of 150 m2 is set)",
        "",
        "floor area not known (a minimum of 150 m2 is set)",
    ]
    allowed = exclusions(frame, min_floor_area_m2=150, unknown_floor_area_passes=True)
    assert allowed.tolist() == ["floor area under 150 m2", "", "", ""]
    # with no minimum, not knowing the floor area excludes nothing
    assert (exclusions(frame) == "").all()
