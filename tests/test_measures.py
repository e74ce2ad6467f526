"""One set of headline measures: the comparison page and the batch summary share it."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from estate_planner.batch import SUMMARY_COLUMNS, run_one
from estate_planner.compare import compare, write_comparison
from estate_planner.measures import MEASURES, measure_values

REPO = Path(__file__).resolve().parent.parent


def test_each_measure_has_a_key_a_label_and_a_unit() -> None:
    keys = [m.key for m in MEASURES]
    labels = [m.label for m in MEASURES]
    assert len(set(keys)) == len(keys) and len(set(labels)) == len(labels)
    assert {m.unit for m in MEASURES} <= {
        "people", "need-weighted units", "share of people", "sites", "services"
    }  # fmt: skip
    assert [c for c in SUMMARY_COLUMNS if c in keys] == keys  # the batch shows every one


def test_the_comparison_page_and_the_batch_summary_report_the_same_measures(
    demo_result, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    row = run_one(str(REPO / "data" / "demo" / "scenario.toml"), str(tmp_path / "batch"), None)
    assert row["status"] == "ok", row["error"]
    comparison = compare(demo_result, demo_result)
    summary = comparison.summary.set_index("key")
    assert list(summary.index) == [m.key for m in MEASURES]
    for measure in MEASURES:
        assert row[measure.key] == pytest.approx(summary.loc[measure.key, "base"]), measure.key
        assert summary.loc[measure.key, "change"] == 0
    # counted from the demand table by hand, on the selection mode
    demand = demo_result.demand
    mode = demo_result.scenario.selection_mode
    before = demand[f"covered_{mode}"].to_numpy(bool)
    after = demand[f"covered_with_hubs_{mode}"].to_numpy(bool)
    assert row["people"] == pytest.approx(demand["population"].sum())
    assert row["need_unmet_after"] == pytest.approx(demand["need"][~after].sum())
    assert row["people_brought_within_reach"] == pytest.approx(
        demand["population"][after & ~before].sum()
    )
    assert row["hubs"] == len(demo_result.selection.chosen)
    page = write_comparison(comparison, tmp_path / "compare")["comparison.html"].read_text()
    for measure in MEASURES:
        assert f"<td>{measure.label}</td><td>{measure.unit}</td>" in page


def test_a_share_of_no_people_is_not_known() -> None:
    demand = pd.DataFrame(
        {"population": [0.0, 0.0], "need": [0.0, 0.0], "covered_walk": [False, True],
         "covered_with_hubs_walk": [True, True]}
    )  # fmt: skip
    result = SimpleNamespace(
        demand=demand,
        scenario=SimpleNamespace(
            selection_mode="walk", access=SimpleNamespace(minutes=lambda _: 20)
        ),
        candidates=pd.DataFrame({"selected": [True, False]}),
        services=pd.DataFrame({"service_id": ["a"]}),
    )
    values = measure_values(result)
    assert math.isnan(values["share_beyond_reach"])
    assert values["hubs"] == 1 and values["existing_services"] == 1
    assert np.isfinite(values["people"])


def test_the_user_guide_lists_every_measure_as_defined() -> None:
    guide = (REPO / "docs" / "guide" / "measures.md").read_text(encoding="utf-8")
    for m in MEASURES:
        assert f"| `{m.key}` | {m.label} | {m.unit} | {m.how} |" in guide, m.key


def test_a_change_of_a_share_reads_in_percentage_points() -> None:
    from estate_planner.measures import shown

    assert shown(0.436 - 0.416, ".1%", change=True) == "+2.0 percentage points"
    assert shown(-1116.0, ",.0f", change=True) == "-1,116"
    assert shown(float("nan"), ".1%") == "not known"
