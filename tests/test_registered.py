"""Registered patients by LSOA against the model: a worked example computed by hand."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from estate_planner.appraisal.registered import (
    NOT_SERVED,
    OUTSIDE,
    area_shares,
    catchment_agreement,
    moved_patients,
    overall_agreement,
)

#: practices A and B stay open, X closes; L1-L3 are in the study area, L9 is not
BREAKDOWN = pd.DataFrame(
    [
        ("A", "L1", 100), ("A", "L2", 20), ("A", "L9", 5),
        ("B", "L2", 60), ("B", "L3", 30),
        ("X", "L1", 40), ("X", "L3", 10), ("X", "L9", 7),
    ],
    columns=["practice_code", "lsoa_code", "patients"],
)  # fmt: skip


def shares(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["area_id", "site_id", "people"])


def test_area_shares_sum_the_pairs_by_area() -> None:
    # points 0 and 1 in L1, point 2 in L2; point 2 has 2 people nothing had room for
    got = area_shares(
        np.array(["L1", "L1", "L2"]),
        site=np.array([0, 1, 0, 0]),
        point=np.array([0, 1, 2, 0]),
        people=np.array([10.0, 5.0, 3.0, 1.0]),
        unserved=np.array([0.0, 0.0, 2.0]),
        site_ids=np.array(["A", "B"]),
    )
    assert got.values.tolist() == [
        ["L1", "A", 11.0], ["L1", "B", 5.0], ["L2", "A", 3.0], ["L2", NOT_SERVED, 2.0],
    ]  # fmt: skip


def test_closing_a_practice_moves_its_registered_patients_by_lsoa() -> None:
    # after the closure: L1's residents all go to A; L3's 200 go 80 to B, 100 to hub H
    # and 20 find no room
    after = shares(
        [("L1", "A", 300), ("L2", "A", 50), ("L2", "B", 150),
         ("L3", "B", 80), ("L3", "H", 100), ("L3", NOT_SERVED, 20)]
    )  # fmt: skip
    moves = moved_patients(BREAKDOWN, ["x"], after)
    # by hand: X's 40 in L1 -> A 40; its 10 in L3 -> H 10 x 100/200 = 5, B 10 x 80/200
    # = 4, not served 10 x 20/200 = 1; its 7 in L9 live outside the study area
    assert moves.values.tolist() == [
        ["X", "L1", "A", 40.0],
        ["X", "L3", "H", 5.0], ["X", "L3", "B", 4.0], ["X", "L3", NOT_SERVED, 1.0],
        ["X", "L9", OUTSIDE, 7.0],
    ]  # fmt: skip
    assert moves["patients"].sum() == pytest.approx(40 + 10 + 7)  # every patient placed
    assert moved_patients(BREAKDOWN, ["Q"], after).empty


def test_agreement_of_modelled_and_registered_catchments() -> None:
    # today: L1 -> A (250 of 300), L2 -> B (110 of 200), L3 -> B (all)
    today = shares(
        [("L1", "A", 250), ("L1", "B", 50), ("L2", "A", 90), ("L2", "B", 110), ("L3", "B", 200)]
    )
    table = catchment_agreement(BREAKDOWN, today, ["A", "B"]).set_index("practice_code")
    # A: 125 registered, 5 in L9 outside; of the 120 inside, the 100 in L1 are where the
    # model sends them (L2 goes to B): 100 / 120. B: 60 in L2 and 30 in L3, both B's: 1.
    assert table.loc["A", "registered_patients"] == 125
    assert table.loc["A", "registered_outside_study_area"] == 5
    assert table.loc["A", "registered_in_study_area"] == 120
    assert table.loc["A", "registered_where_modelled"] == 100
    assert table.loc["A", "agreement_share"] == pytest.approx(100 / 120)
    assert table.loc["B", "agreement_share"] == pytest.approx(1.0)
    assert table.loc["A", "modelled_residents"] == 250 + 90
    assert table.loc["B", "modelled_residents"] == 50 + 110 + 200
    overall = overall_agreement(table.reset_index())
    # (100 + 90) / (120 + 90)
    assert overall["agreement_share"] == pytest.approx(190 / 210)
    assert overall["registered_outside_study_area"] == 5


def test_a_practice_with_no_patients_in_the_area_is_not_known() -> None:
    today = shares([("L1", "A", 10)])
    table = catchment_agreement(BREAKDOWN, today, ["A", "Z"]).set_index("practice_code")
    assert table.loc["Z", "registered_patients"] == 0
    assert np.isnan(table.loc["Z", "agreement_share"])
    # A's patients in L2 and L3 are outside these areas; L1's 100 agree
    assert table.loc["A", "agreement_share"] == pytest.approx(1.0)
    empty = catchment_agreement(BREAKDOWN, today, ["Z"])
    assert overall_agreement(empty)["agreement_share"] is None


def test_ties_go_to_the_lower_id() -> None:
    today = shares([("L2", "B", 100), ("L2", "A", 100)])
    table = catchment_agreement(BREAKDOWN, today, ["A", "B"]).set_index("practice_code")
    assert table.loc["A", "registered_where_modelled"] == 20
    assert table.loc["B", "registered_where_modelled"] == 0


def test_the_modelled_practice_is_among_those_served() -> None:
    # most of L3 is beyond reach, but of those served most go to B; L2 has none served
    today = shares(
        [("L3", NOT_SERVED, 150), ("L3", "B", 40), ("L3", "A", 10), ("L2", NOT_SERVED, 9)]
    )
    table = catchment_agreement(BREAKDOWN, today, ["A", "B"]).set_index("practice_code")
    # B: 30 in L3 agree; its 60 in L2 (no modelled practice) do not: 30 / 90
    assert table.loc["B", "agreement_share"] == pytest.approx(30 / 90)
    assert table.loc["A", "registered_in_study_area"] == 20
    assert table.loc["A", "agreement_share"] == 0


def published_totals(path: Path) -> dict[str, dict[str, int]]:
    """Patients per practice and LSOA from the file's SEX = ALL rows, read with csv."""
    out: dict[str, dict[str, int]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["SEX"] == "ALL" and row["LSOA_CODE"].startswith("E0"):
                lsoas = out.setdefault(row["PRACTICE_CODE"], {})
                lsoas[row["LSOA_CODE"]] = lsoas.get(row["LSOA_CODE"], 0) + int(
                    row["NUMBER_OF_PATIENTS"]
                )
    return out


def test_the_demo_checks_its_catchments(demo_dir: Path, demo_outputs: Path) -> None:
    totals = published_totals(demo_dir / "gp-reg-pat-prac-lsoa-all.csv")
    table = pd.read_csv(demo_outputs / "catchment_agreement.csv").set_index("practice_code")
    for code, lsoas in totals.items():
        assert table.loc[code, "registered_patients"] == sum(lsoas.values())
    every = table.loc["all practices"]
    practices = table.drop(index="all practices")
    assert every["registered_in_study_area"] == practices["registered_in_study_area"].sum()
    assert every["agreement_share"] == pytest.approx(
        every["registered_where_modelled"] / every["registered_in_study_area"], abs=1e-4
    )
    manifest = json.loads((demo_outputs / "manifest.json").read_text())["registered_patients"]
    assert manifest["agreement"]["registered_where_modelled"] == every["registered_where_modelled"]
    assert manifest["dropped"]["dropped: LSOA_CODE NO2021 (no LSOA)"] == 1
    report = (demo_outputs / "report.html").read_text()
    assert "Registered patients against the modelled catchments" in report
    assert "<b>synthetic</b>" in report
    assert pd.read_csv(demo_outputs / "moved_patients.csv").empty  # nothing closed


def test_closing_a_practice_moves_every_one_of_its_patients(demo_dir: Path, demo_scenario) -> None:  # type: ignore[no-untyped-def]
    from estate_planner import pipeline

    totals = published_totals(demo_dir / "gp-reg-pat-prac-lsoa-all.csv")["D99001"]
    closed = demo_scenario.updated(edits=[{"action": "close_service", "ids": ["D99001"]}])
    found = pipeline.run(closed).appraisal.registered
    moves = found.moves
    assert found.closed == ["D99001"]
    assert "D99001" not in set(moves["to"])
    assert "D99001" not in set(found.agreement["practice_code"])
    by_lsoa = moves.groupby("lsoa_code")["patients"].sum()
    assert by_lsoa.to_dict() == pytest.approx({k: float(v) for k, v in totals.items()})
    outside = moves[moves["to"] == OUTSIDE]
    assert set(outside["lsoa_code"]) == {"E01999901", "E01999902"}
