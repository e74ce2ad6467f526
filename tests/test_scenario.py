from __future__ import annotations

from pathlib import Path

import pytest

from estate_planner import ScenarioError, load_scenario, scenario_from_dict
from estate_planner.scenario import missing_inputs

MINIMAL = {
    "name": "t",
    "network": {"osm": "streets.osm"},
    "demand": {"areas": "areas.gpkg"},
    "candidates": {"path": "c.csv"},
}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_public_example_loads_with_every_documented_key(tmp_path: Path) -> None:
    text = """
name = "Demo town hubs"
[area]
boundary = "area.geojson"
[network]
osm = "streets.osm.pbf"
modes = ["walk", "drive"]
[demand]
areas = "lsoa.gpkg"
id_column = "LSOA21CD"
population = "population.csv"
deprivation = "imd2019.csv"
[need]
weights = { population = 1.0, age_65_plus = 0.5, imd_decile_1_2 = 0.5 }
[[services]]
path = "gp_practices.csv"
kind = "gp"
[candidates]
path = "candidates.csv"
[access]
walk_minutes = 20
drive_minutes = 15
[scoring]
weights = { need_reached = 0.4, unmet_need_reached = 0.3, deprivation = 0.2, cost = 0.1 }
[selection]
hubs = 3
objective = "coverage"
"""
    scenario = load_scenario(write(tmp_path, text))
    assert scenario.selection.hubs == 3
    assert scenario.network.modes == ["walk", "drive"]
    assert scenario.access.minutes("drive") == 15
    assert scenario.selection_mode == "walk"
    # relative paths resolve against the scenario's folder
    assert scenario.demand.areas == tmp_path.resolve() / "lsoa.gpkg"
    assert scenario.services[0].path == tmp_path.resolve() / "gp_practices.csv"


def test_unknown_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'name="x"\n[network]\nosm="a.osm"\n[demand]\nareas="a.gpkg"\n'
        '[candidates]\npath="c.csv"\n[selection]\nhubz = 3\n',
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert str(path) in message
    assert "selection.hubz" in message
    assert "did you mean 'hubs'" in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'name="x"\n[network]\nosm="a.osm"\nmodes=["walk","boat"]\n[demand]\n'
        'areas="a.gpkg"\n[candidates]\npath="c.csv"\n[selection]\nhubs = -1\n'
        'objective = "cheapest"\n',
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    lines = str(err.value).splitlines()
    assert len(lines) == 3
    assert any("network.modes[1]" in line for line in lines)
    assert any("selection.hubs" in line and "greater than or equal to 0" in line for line in lines)
    assert any("selection.objective" in line and "cheapest" in line for line in lines)


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ({"need_reached": 0, "cost": 0}, "at least one criterion weight must be above 0"),
        ({"need_reached": -1}, "weights must be 0 or more"),
        ({"need_reachd": 1}, "did you mean 'need_reached'"),
    ],
)
def test_weights_that_make_no_sense_are_refused(weights: dict[str, float], expected: str) -> None:
    with pytest.raises(ScenarioError, match=expected):
        scenario_from_dict({**MINIMAL, "scoring": {"weights": weights}})


def test_selection_mode_must_be_a_built_mode() -> None:
    with pytest.raises(ScenarioError, match="add 'cycle' to network.modes"):
        scenario_from_dict({**MINIMAL, "selection": {"mode": "cycle"}})


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(write(tmp_path, "name = \n"))
    with pytest.raises(ScenarioError, match="scenario file not found"):
        load_scenario(tmp_path / "nope.toml")


def test_missing_inputs_lists_each_file_by_key(tmp_path: Path) -> None:
    scenario = scenario_from_dict(MINIMAL, base_dir=tmp_path)
    problems = missing_inputs(scenario)
    assert {p.split(":")[0] for p in problems} == {"network.osm", "demand.areas", "candidates.path"}


def test_digest_changes_with_settings_only() -> None:
    a = scenario_from_dict(MINIMAL, base_dir="/x")
    b = scenario_from_dict(MINIMAL, base_dir="/x")
    c = scenario_from_dict({**MINIMAL, "selection": {"hubs": 4}}, base_dir="/x")
    assert a.digest() == b.digest() != c.digest()


def test_a_scenario_names_its_data_folder_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ESTATE_PLANNER_DATA_DIR", raising=False)
    (tmp_path / "scenarios").mkdir()
    path = tmp_path / "scenarios" / "town.toml"
    path.write_text(
        'name = "t"\ndata_dir = "../data"\n[network]\nosm = "streets/town.osm"\n'
        '[demand]\nareas = "areas.gpkg"\n[candidates]\npath = "/elsewhere/c.csv"\n'
    )
    scenario = load_scenario(path)
    data = (tmp_path / "scenarios" / "../data").resolve()
    assert scenario.data_dir is not None and scenario.data_dir.resolve() == data
    assert scenario.network.osm.resolve() == data / "streets" / "town.osm"
    assert scenario.demand.areas.resolve() == data / "areas.gpkg"
    assert scenario.candidates.path == Path("/elsewhere/c.csv")  # absolute stays
    # another machine (or the tests) points it elsewhere without editing it
    monkeypatch.setenv("ESTATE_PLANNER_DATA_DIR", str(tmp_path / "copy"))
    moved = load_scenario(path)
    assert moved.network.osm == tmp_path / "copy" / "streets" / "town.osm"
    assert moved.updated(selection={"hubs": 2}).network.osm == moved.network.osm
    # a scenario extending it keeps the base's files; its own paths start from its folder
    child = tmp_path / "scenarios" / "what-if.toml"
    child.write_text('extends = "town.toml"\n[candidates]\npath = "mine.csv"\n')
    extended = load_scenario(child)
    assert extended.network.osm == moved.network.osm
    assert extended.candidates.path == tmp_path / "scenarios" / "mine.csv"


def test_without_a_data_folder_the_environment_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESTATE_PLANNER_DATA_DIR", str(tmp_path / "copy"))
    scenario = scenario_from_dict(MINIMAL, base_dir=tmp_path)
    assert scenario.network.osm == tmp_path / "streets.osm" and scenario.data_dir is None


def test_census_need_factors_need_their_tables() -> None:
    weights = {"population": 1.0, "bad_health": 0.5}
    with pytest.raises(ScenarioError, match=r"'bad_health' needs Census 2021 counts: add health"):
        scenario_from_dict({**MINIMAL, "need": {"weights": weights}})
    demand = {**MINIMAL["demand"], "health": "ts037.csv", "cars": "ts045.csv"}
    scenario = scenario_from_dict({**MINIMAL, "demand": demand, "need": {"weights": weights}})
    assert set(scenario.input_paths()) >= {"demand.health", "demand.cars"}


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        ({"budget_gbp": 1e5, "capital_budget_gbp": 1e6}, "takes one budget"),
        ({"capital_budget_gbp": 1e6, "target_share": 0.5}, 'minimise = "capital"'),
        ({"minimise": "capital"}, "needs selection.target_share"),
        ({"minimise": "capital", "target_share": 0.5, "capacity": 9000}, "no selection.capacity"),
    ],
)
def test_capital_settings_that_cannot_go_together(selection: dict, expected: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ScenarioError, match=expected):
        scenario_from_dict({**MINIMAL, "selection": selection}, base_dir="/x")
    fine = {"capital_budget_gbp": 1e6} if "minimise" not in selection else {}
    assert scenario_from_dict({**MINIMAL, "selection": fine}, base_dir="/x")
