"""What-if scenarios: edits, extends, the cache, and compare (directions of change)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from estate_planner import ScenarioError, compare_runs, load_scenario, pipeline
from estate_planner.cli import main

REPO = Path(__file__).resolve().parent.parent
WHATIFS = REPO / "data" / "whatifs"


@pytest.fixture(scope="module")
def base():  # type: ignore[no-untyped-def]
    return pipeline.run(load_scenario(REPO / "data" / "demo" / "scenario.toml"))


def test_extends_states_only_what_differs() -> None:
    whatif = load_scenario(WHATIFS / "close_market_place_surgery.toml")
    assert whatif.name == "Eastmere: Market Place Surgery closes"
    assert whatif.selection.hubs == 3  # from the base
    assert whatif.demand.areas == (REPO / "data" / "demo" / "lsoa21.geojson").resolve()
    assert [e.action for e in whatif.edits] == ["close_service"]


def test_closing_a_service_never_lowers_unmet_need(base) -> None:  # type: ignore[no-untyped-def]
    whatif = pipeline.run(load_scenario(WHATIFS / "close_market_place_surgery.toml"))
    assert "D99001" not in set(whatif.services["service_id"])
    before = base.demand.set_index("id")["unmet_need"]
    after = whatif.demand.set_index("id")["unmet_need"].reindex(before.index)
    assert (after >= before - 1e-9).all()
    assert after.sum() > before.sum()  # the surgery served people
    summary = compare_runs(base, whatif).summary.set_index("measure")
    assert summary.loc["unmet need before hubs", "change"] > 0
    # no service and no one else changed
    assert summary.loc["need", "change"] == pytest.approx(0)


def test_a_development_adds_need_where_it_is_placed(base) -> None:  # type: ignore[no-untyped-def]
    scenario = load_scenario(WHATIFS / "north_edge_development.toml")
    whatif = pipeline.run(scenario)
    new = whatif.demand[whatif.demand["id"].str.startswith("development-")]
    assert len(new) == 1
    assert new["population"].iloc[0] == pytest.approx(2000 * 2.4)
    edit = scenario.edits[0]
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(
        edit.longitude, edit.latitude
    )
    assert new.geometry.iloc[0].distance(__import__("shapely").Point(x, y)) < 1e-6
    added = whatif.demand["need"].sum() - base.demand["need"].sum()
    decile = new["imd_decile"].iloc[0]
    expected = 4800 * (1 + 0.5 * 0.18 + (0.5 if decile <= 2 else 0))
    assert added == pytest.approx(expected)
    # everyone else is as before
    others = whatif.demand[~whatif.demand["id"].str.startswith("development-")]
    pd.testing.assert_series_equal(
        others.set_index("id")["need"], base.demand.set_index("id")["need"], check_like=True
    )


def test_raising_the_deprivation_weight_never_lowers_the_most_deprived_candidate(base) -> None:  # type: ignore[no-untyped-def]
    weights = dict(base.scenario.scoring.weights)
    weights["deprivation"] *= 3
    whatif = pipeline.run(base.scenario.updated(scoring={"weights": weights}))
    top = base.candidates.loc[base.candidates["criterion_deprivation"].idxmax(), "site_id"]
    rank = lambda run: run.candidates.set_index("site_id").loc[top, "rank"]  # noqa: E731
    assert rank(whatif) <= rank(base)
    # weights are shares of their sum, so against every other site it can only gain
    a = base.candidates.set_index("site_id")["score"]
    b = whatif.candidates.set_index("site_id")["score"]
    assert (
        (b[top] - b)
        >= (a[top] - a) * (sum(base.scenario.scoring.weights.values()) / sum(weights.values()))
        - 1e-12
    ).all()


def test_forced_and_excluded_candidates(base) -> None:  # type: ignore[no-untyped-def]
    first = base.selected["site_id"].iloc[0]
    last = base.candidates.dropna(subset=["rank"]).sort_values("rank")["site_id"].iloc[-1]
    scenario = base.scenario.updated(edits=[
        {"action": "exclude_candidate", "ids": [first]},
        {"action": "force_candidate", "ids": [last]},
    ])  # fmt: skip
    run = pipeline.run(scenario)
    chosen = set(run.selected["site_id"])
    assert first not in chosen and last in chosen and len(chosen) == 3
    reason = run.candidates.set_index("site_id").loc[first, "excluded_reason"]
    assert "excluded by a scenario edit" in reason
    with pytest.raises(ScenarioError, match="did you mean 'D99001'"):
        pipeline.run(base.scenario.updated(edits=[{"action": "close_service", "ids": ["D9901"]}]))


def test_a_rerun_reuses_the_network_and_travel_times(tmp_path: Path) -> None:
    from estate_planner.cache import Cache

    cache = Cache(tmp_path / "cache")
    scenario = load_scenario(REPO / "data" / "demo" / "scenario.toml")
    first = pipeline.run(scenario, cache=cache)
    second = pipeline.run(scenario.updated(selection={"hubs": 4}), cache=cache)
    assert set(first.cache_status["network"].values()) == {"built"}
    assert first.cache_status["inputs"] == "read"
    assert second.cache_status["inputs"] == "reused from cache"
    assert set(second.cache_status["network"].values()) == {"reused from cache"}
    assert set(second.cache_status["travel_times"].values()) == {"reused from cache"}
    for mode, times in second.times.items():
        assert (times.candidates != first.times[mode].candidates).nnz == 0
    # the selection is cached by what the optimiser sees: 4 hubs is a new question
    assert len(second.selection.chosen) == 4
    third = pipeline.run(scenario, cache=cache)
    assert third.selection == first.selection
    assert (first.cache_status["selection"], third.cache_status["selection"]) == (
        "solved",
        "reused from cache",
    )
    # what reading the files warned about is in every run's manifest, cached or not
    assert second.warnings == first.warnings
    assert [p.sha256 for p in second.inputs.provenance] == [
        p.sha256 for p in first.inputs.provenance
    ]
    kept = set(first.selected["site_id"]) & set(second.selected["site_id"])
    shapes = {(r.site_id, r.mode): r.geometry for r in first.catchments.itertuples()}
    for row in second.catchments.itertuples():
        if row.site_id in kept:  # a kept site's catchment comes back from the cache unchanged
            assert row.geometry.equals_exact(shapes[(row.site_id, row.mode)], 0)


def test_a_changed_input_file_is_read_again(demo_dir: Path, tmp_path: Path) -> None:
    from estate_planner.cache import Cache

    cache = Cache(tmp_path / "cache")
    folder = tmp_path / "demo"
    shutil.copytree(demo_dir, folder)
    scenario = load_scenario(folder / "scenario.toml")
    first = pipeline.run(scenario, cache=cache)
    table = folder / "census2021_age.csv"
    frame = pd.read_csv(table, dtype=str, keep_default_na=False)
    value_column = frame.columns[-1]
    frame[value_column] = (pd.to_numeric(frame[value_column]) * 2).astype(int).astype(str)
    frame.to_csv(table, index=False)
    second = pipeline.run(scenario, cache=cache)
    assert second.cache_status["inputs"] == "read"
    assert set(second.cache_status["network"].values()) == {"reused from cache"}
    assert second.demand["population"].sum() > 1.5 * first.demand["population"].sum()


def test_compare_command_writes_the_comparison(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    assert main(["-q", "compare", str(REPO / "data" / "demo" / "scenario.toml"),
                 str(WHATIFS / "north_edge_development.toml"), "--out", str(out)]) == 0  # fmt: skip
    table = pd.read_csv(out / "comparison.csv")
    assert {"rank_base", "rank_whatif", "rank_change", "portfolio"} <= set(table.columns)
    # against each run's own ranking.csv: the change is base rank minus what-if rank
    # (positive: moved up), and the portfolio label follows the two selections
    base = pd.read_csv(out / "base" / "ranking.csv").set_index("site_id")
    whatif = pd.read_csv(out / "whatif" / "ranking.csv").set_index("site_id")
    both = base.index.intersection(whatif.index)
    ranked = base["rank"].dropna().index.intersection(whatif["rank"].dropna().index)
    assert len(ranked) >= 25
    row = table.fillna({"portfolio": ""}).set_index("site_id")
    expected = base.loc[ranked, "rank"] - whatif.loc[ranked, "rank"]
    assert (row.loc[ranked, "rank_change"] == expected).all() and (expected != 0).any()
    assert row.loc[both.difference(ranked), "rank_change"].isna().all()  # excluded in one
    label = {(True, True): "kept", (False, True): "added", (True, False): "dropped"}
    for site in both:
        key = (bool(base.at[site, "selected"]), bool(whatif.at[site, "selected"]))
        assert row.at[site, "portfolio"] == label.get(key, ""), site
    html = (out / "comparison.html").read_text()
    # the maps are inside the page (one file to send), not frames onto its folders
    assert 'srcdoc="' in html and "map.html" not in html.split("<h2>Maps</h2>")[1]
    assert html.count("<iframe") == 2
    for side in ("base", "whatif"):
        manifest = json.loads((out / side / "manifest.json").read_text())
        assert manifest["selection"]["chosen"]
