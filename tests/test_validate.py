"""``estate-planner validate``: the same definition of a scenario as ``run``, every
problem in one pass, and a summary of what matched."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from estate_planner.cli import main
from estate_planner.validate import validate_scenario

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.rutland
@pytest.mark.usefixtures("shared_data")
def test_validate_accepts_osm_candidates_as_run_does(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["validate", str(REPO / "scenarios" / "rutland.toml")]) == 0
    out = capsys.readouterr().out
    assert "no problems found" in out
    assert "areas: 26 (polygons); population 41,043 (10,385 aged 65+)" in out
    assert "gp 4" in out


def test_a_key_typo_and_a_file_problem_are_both_reported(demo_dir: Path) -> None:
    text = (demo_dir / "scenario.toml").read_text()
    text = text.replace("walk_minutes = 15", "walk_minute = 15")
    (demo_dir / "bad_imd.csv").write_text("area,decile_band\nE01991001,3\n")
    text = text.replace('"imd2019.csv"', '"bad_imd.csv"')
    bad = demo_dir / "bad_two_kinds.toml"
    bad.write_text(text)
    found = validate_scenario(bad)
    assert len(found.problems) == 2, found.problems
    assert "unknown key 'access.walk_minute'; did you mean 'walk_minutes'?" in found.problems[0]
    assert found.problems[1].startswith("demand.deprivation:")
    assert "no IMD decile column" in found.problems[1] or "no area code" in found.problems[1]


def test_success_summarises_what_matched(demo_dir: Path) -> None:
    found = validate_scenario(demo_dir / "scenario.toml")
    assert found.ok, found.problems
    text = "\n".join(found.summary)
    # independent of the readers: the demo's own files, summed here
    census = pd.read_csv(demo_dir / "census2021_age.csv")
    total = census["usual_residents"].sum()
    older = census.loc[census["age_group"].str.contains("65"), "usual_residents"].sum()
    assert f"population {total:,.0f} ({older:,.0f} aged 65+)" in text
    assert "areas: 36 (polygons)" in text
    assert "services kept" in text and "gp 5" in text and "pharmacy 3" in text
    assert f"candidates kept: {len(pd.read_csv(demo_dir / 'candidates.csv'))}" in text
    assert "network:" in text and "highway ways, extent" in text


def test_a_missing_required_key_still_reports_the_other_problems(demo_dir: Path) -> None:
    text = (demo_dir / "scenario.toml").read_text().replace('osm = "streets.osm"\n', "")
    text = text.replace("hubs = 3", "hubs = -1")
    bad = demo_dir / "bad_missing.toml"
    bad.write_text(text)
    found = validate_scenario(bad)
    assert any("'network.osm' is missing" in p for p in found.problems)
    assert any("selection.hubs" in p for p in found.problems)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        # more hubs than eligible candidates after the filters (issue 28 item 3)
        (("min_floor_area_m2 = 150", "min_floor_area_m2 = 1000"), "only 2 of"),
        # a budget no site fits
        (("objective = \"coverage\"", "objective = \"coverage\"\nbudget_gbp = 1000"),
         "costs more than the budget 1,000"),
    ],
)  # fmt: skip
def test_validate_makes_runs_feasibility_checks_and_run_makes_them_before_routing(
    demo_dir: Path, change: tuple[str, str], said: str
) -> None:
    from estate_planner import EstatePlannerError, load_scenario
    from estate_planner.pipeline import run

    candidates = pd.read_csv(demo_dir / "candidates.csv")
    if "only 2" in said:  # independent of the code: the demo's sites of 1,000 m2 or more
        assert (candidates["floor_area_m2"] >= 1000).sum() == 2
    bad = demo_dir / f"infeasible_{len(said)}.toml"
    bad.write_text((demo_dir / "scenario.toml").read_text().replace(*change))
    found = validate_scenario(bad)
    assert not found.ok
    assert any("selection.hubs is 3" in p and said in p for p in found.problems), found.problems
    stages: list[str] = []
    with pytest.raises(EstatePlannerError, match="selection.hubs is 3"):
        run(load_scenario(bad), report=stages.append)
    assert "network..." not in stages  # failed before any network was built
