"""The explorer (estate_planner.explorer): driven through ``set`` with no browser.

After each change the summary must equal that of a fresh run (no cache at all) of the
scenario file ``to_scenario`` writes; ``undo`` must give back the previous summary
exactly; what a change reuses is read from the run's own cache record.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from estate_planner import InfeasibleError, ScenarioError, load_scenario, pipeline
from estate_planner.cache import Cache
from estate_planner.cli import main
from estate_planner.explorer import Summary, explore, summarise
from estate_planner.explorer.changes import apply_changes


@pytest.fixture(scope="module")
def explorer(demo_scenario, tmp_path_factory):  # type: ignore[no-untyped-def]
    return explore(demo_scenario, cache=Cache(tmp_path_factory.mktemp("explorer-cache")))


def _fresh(path: Path) -> Summary:
    """The summary of a run of the file, computing everything (no cache)."""
    return summarise(pipeline.run(load_scenario(path), cache=Cache(None)))


# the board's questions, one after another; each is checked against a fresh run
CHANGES = [
    {"close_service": "D99001"},
    {"imd_decile_1_2": 1.5},
    {"hubs": 4},
    {"walk_minutes": 12},
    {"counts": {"pharmacy": False}},
    {"exclude_candidate": ["CNL007"], "force_candidate": "NHS002"},
    {"add_development": {"name": "Northfield Farm", "homes": 2000,
                         "longitude": -0.6720, "latitude": 52.5715}},
    {"budget_gbp": None, "deprivation": 0.5},
]  # fmt: skip


def test_every_change_equals_a_fresh_run_of_its_scenario_file(explorer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert explorer.summary == _fresh(_written(explorer, tmp_path, 0))
    seen = {explorer.summary.chosen}
    for n, change in enumerate(CHANGES, start=1):
        summary = explorer.set(**change)
        assert summary is explorer.summary
        fresh = _fresh(_written(explorer, tmp_path, n))
        assert summary == fresh, change
        seen.add(summary.chosen)
    assert len(explorer.history) == len(CHANGES) + 1
    assert len(seen) >= 4  # the questions change the answer, so the check has teeth
    # every state is still there to go back to, and each equals a fresh run again
    while len(explorer.steps) > 1:
        previous = explorer.steps[-2].summary
        assert explorer.undo() == previous
        assert explorer.summary == _fresh(_written(explorer, tmp_path, len(explorer.steps)))
        break  # one fresh check of undo is enough; the rest are compared exactly below
    while len(explorer.steps) > 1:
        previous = explorer.steps[-2].summary
        assert explorer.undo() == previous
    assert explorer.summary == summarise(explorer.base)


def _written(explorer, folder: Path, n: int) -> Path:  # type: ignore[no-untyped-def]
    path = explorer.to_scenario(folder / f"state{n}.toml")
    assert load_scenario(path) == explorer.scenario.model_copy(update={"extends": None})
    return path


def test_changes_reuse_what_they_leave_alone(demo_scenario, tmp_path) -> None:  # type: ignore[no-untyped-def]
    explorer = explore(demo_scenario, cache=Cache(tmp_path))
    explorer.set(imd_decile_1_2=1.0, hubs=4)
    status = explorer.result.cache_status
    assert set(status["travel_times"].values()) == {"reused from cache"}
    assert set(status["network"].values()) == {"reused from cache"}
    explorer.set(add_development={"homes": 500, "longitude": -0.6720, "latitude": 52.5715})
    status = explorer.result.cache_status
    assert set(status["network"].values()) == {"reused from cache"}  # street graphs kept
    assert set(status["travel_times"].values()) == {"computed"}  # new points routed
    assert explorer.result.cache_status["inputs"] == "reused from cache"


def test_services_that_count_match_a_direct_count(explorer) -> None:  # type: ignore[no-untyped-def]
    """Only GP practices counting: who is within reach before the hubs, counted
    directly from the base run's travel times (every service counts there)."""
    base = explorer.base
    times = base.times["walk"]
    gp = (base.services["kind"] == "gp").to_numpy()
    assert gp.any() and not gp.all()
    rows = sp.csr_matrix(times.services)[gp].tocsc()
    reached = np.zeros(rows.shape[1], dtype=bool)
    for column in range(rows.shape[1]):
        values = rows.data[rows.indptr[column] : rows.indptr[column + 1]]
        reached[column] = bool((values <= times.threshold_s).any())
    people = base.demand["population"].to_numpy()
    summary = explorer.set(counts={"pharmacy": False})
    try:
        assert summary.within_before == pytest.approx(people[reached].sum(), rel=1e-12)
        assert summary.within_before < summarise(base).within_before
    finally:
        explorer.undo()


def test_a_bad_change_says_how_to_fix_it_and_changes_nothing(explorer) -> None:  # type: ignore[no-untyped-def]
    before = len(explorer.steps)
    with pytest.raises(ScenarioError, match="did you mean 'hubs'"):
        explorer.set(hbus=4)
    with pytest.raises(ScenarioError, match="weights"):
        explorer.set(weights={"population": 1})
    with pytest.raises(ScenarioError, match="hubs"):
        explorer.set(hubs=-1)
    with pytest.raises(ScenarioError, match="did you mean 'pharmacy'"):
        explorer.set(counts={"pharmacies": False})
    with pytest.raises(ScenarioError, match="CNL012"):
        explorer.set(force_candidate="C012")
    with pytest.raises(InfeasibleError, match="eligible"):
        explorer.set(hubs=500)
    assert len(explorer.steps) == before


def test_edits_replace_and_drop(demo_scenario) -> None:  # type: ignore[no-untyped-def]
    one = apply_changes(demo_scenario, {"close_service": ["D99001"], "exclude_candidate": "CNL007"})
    assert [e.action for e in one.edits] == ["close_service", "exclude_candidate"]
    dropped = apply_changes(one, {"drop_edit": 0})
    assert [e.action for e in dropped.edits] == ["exclude_candidate"]
    assert apply_changes(one, {"edits": []}).edits == []
    with pytest.raises(ScenarioError, match="2 edits"):
        apply_changes(one, {"drop_edit": 2})
    weights = apply_changes(demo_scenario, {"deprivation": 0.9, "age_65_plus": 2.0})
    assert weights.scoring.weights["deprivation"] == 0.9
    assert weights.need.weights["age_65_plus"] == 2.0
    assert weights.need.weights["population"] == demo_scenario.need.weights["population"]


def test_what_changed_is_said_in_the_comparison_pages_words(explorer) -> None:  # type: ignore[no-untyped-def]
    assert explorer.what_changed().startswith("The same 3 hubs are chosen.")
    explorer.set(close_service="D99001", hubs=4)
    try:
        said = explorer.what_changed()
        added = [s for s in explorer.summary.chosen if s not in explorer.steps[0].summary.chosen]
        assert "The what-if adds" in said and all(f"({s})" in said for s in added)
        assert "The what-if closes MARKET PLACE SURGERY (D99001)." in said
    finally:
        explorer.undo()


def test_a_threshold_change_is_said_with_each_runs_own_threshold(explorer) -> None:  # type: ignore[no-untyped-def]
    """Reach at 12 minutes is never called reach at the base's 15."""
    base = explorer.steps[0].summary
    explorer.set(walk_minutes=12)
    try:
        said = explorer.what_changed()
        assert "The what-if counts reach within 12 minutes' walk (15 minutes' walk in the base)." in said
        assert "within 15 minutes' walk of a service or hub:" not in said
        # times are capped at four times each threshold: means under two caps not compared
        assert "the mean walk to the nearest" not in said
        assert "search limit (60 and 48 minutes)" in said
        now = explorer.summary
        assert (
            f"People within reach of a service or hub: {base.within_after:,.0f} in the base, "
            f"{now.within_after:,.0f} in the what-if"
        ) in said
    finally:
        explorer.undo()


def test_run_and_batch_reproduce_the_written_scenario(explorer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from estate_planner.batch import run_one

    explorer.set(close_service="D99001", hubs=2)
    try:
        path = explorer.to_scenario(tmp_path / "what_if.toml", name="Surgery closes, two hubs")
        assert main(["-q", "run", str(path), "--out", str(tmp_path / "run")]) == 0
        manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
        assert manifest["scenario"]["name"] == "Surgery closes, two hubs"
        row = run_one(str(path), str(tmp_path / "batch"), None)
        assert row["status"] == "ok", row["error"]
        assert row["people_brought_within_reach"] == pytest.approx(
            explorer.summary.brought_within_reach, rel=1e-12
        )
        chosen = json.loads((tmp_path / "batch" / "manifest.json").read_text())
        assert _chosen(chosen) == _chosen(manifest) == list(explorer.summary.chosen)
    finally:
        explorer.undo()


def _chosen(manifest: dict) -> list[str]:  # type: ignore[type-arg]
    found = [v for k, v in _walk(manifest) if k == "chosen"]
    assert found, "the manifest lists the chosen sites"
    return list(found[0])


def _walk(value: object):  # type: ignore[no-untyped-def]
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from _walk(v)


def test_the_panel_turns_controls_into_set_calls(demo_scenario, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("ipyleaflet")
    from estate_planner.explorer.widget import ExplorerPanel

    explorer = explore(demo_scenario, cache=Cache(tmp_path))
    panel = ExplorerPanel(explorer, tiles=False)
    panel.hubs.value = 4
    assert explorer.history[-1]["change"] == "hubs=4"
    assert len(explorer.summary.chosen) == 4
    icons = [getattr(getattr(m, "icon", None), "html", "") for m in panel._layers.layers[3].layers]
    hubs = [html for html in icons if "ep-hub-icon" in html]
    assert len(hubs) == 4  # the map shows the new hubs
    panel.closed.value = ("D99001",)
    assert explorer.history[-1]["change"] == "+ close_service D99001"
    panel.place.value = True
    panel._clicked(type="click", coordinates=[52.5715, -0.6720])
    edit = explorer.scenario.edits[-1]
    assert (edit.action, edit.homes, edit.longitude, edit.latitude) == (
        "add_development",
        2000,
        -0.672,
        52.5715,
    )
    assert not panel.place.value
    panel._set(hubs=500)  # more than there are eligible sites: said, and nothing changes
    assert "eligible" in panel.status.value
    assert panel.hubs.value == 4
    panel.undo_button.click()
    assert [e.action for e in explorer.scenario.edits] == ["close_service"]
    assert panel.closed.value == ("D99001",)
