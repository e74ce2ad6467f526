"""The CLI end to end on the demo town, and its exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from estate_planner.cli import main
from estate_planner.scenario import CRITERIA

REPO = Path(__file__).resolve().parent.parent


def test_demo_writes_the_six_outputs(demo_outputs: Path) -> None:
    for name in (
        "ranking.csv",
        "results.gpkg",
        "map.html",
        "report.html",
        "selection.png",
        "manifest.json",
    ):
        assert (demo_outputs / name).stat().st_size > 0
    assert not list(demo_outputs.glob(".staging-*"))
    # each is what its name says, not just a file
    assert (demo_outputs / "selection.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (demo_outputs / "results.gpkg").read_bytes()[:16] == b"SQLite format 3\x00"
    assert json.loads((demo_outputs / "manifest.json").read_text())["selection"]["chosen"]
    for page in ("map.html", "report.html"):
        assert (demo_outputs / page).read_text().rstrip().endswith("</html>")
    assert pd.read_csv(demo_outputs / "ranking.csv")["selected"].sum() == 3


def test_ranking_respects_the_scenario(demo_outputs: Path, demo_scenario) -> None:  # type: ignore[no-untyped-def]
    ranking = pd.read_csv(demo_outputs / "ranking.csv")
    assert ranking["selected"].sum() == demo_scenario.selection.hubs
    assert ranking["score"].notna().all()
    ranked = ranking.dropna(subset=["rank"]).sort_values("rank")
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))
    assert ranked["score"].is_monotonic_decreasing
    top, last = ranked.iloc[0], ranked.iloc[-1]
    assert top["unmet_need_reached"] > last["unmet_need_reached"]
    parts = ranking[[f"contribution_{c}" for c in CRITERIA]].sum(axis=1)
    np.testing.assert_allclose(parts, ranking["score"], atol=1e-5)
    # excluded sites say why and are never chosen
    excluded = ranking[ranking["rank"].isna()]
    assert excluded["excluded_reason"].notna().all()
    assert not excluded["selected"].any()


def test_demand_layer_has_times_per_mode(demo_outputs: Path, demo_scenario) -> None:  # type: ignore[no-untyped-def]
    demand = gpd.read_file(demo_outputs / "results.gpkg", layer="demand")
    assert {"id", "population", "need"} <= set(demand.columns)
    assert demand["minutes_to_service_drive"].notna().all()
    # blank walk times (beyond the search horizon) only where the drive is long too
    assert (
        demand.loc[demand["minutes_to_service_walk"].isna(), "minutes_to_service_drive"] > 3
    ).all()
    for mode in demo_scenario.network.modes:
        to_service, to_hub = demand[f"minutes_to_service_{mode}"], demand[f"minutes_to_hub_{mode}"]
        # a hub can only bring someone closer
        both = to_service.notna()
        assert (to_hub[both] <= to_service[both] + 1e-9).all()
    assert demand["population"].sum() == pytest.approx(
        pd.read_csv(demo_scenario.demand.population)["usual_residents"].sum()
    )
    layers = set(gpd.list_layers(demo_outputs / "results.gpkg")["name"])
    assert layers == {"candidates", "demand", "services", "catchments", "hubs"}


def test_manifest_records_inputs_and_timings(demo_outputs: Path) -> None:
    manifest = json.loads((demo_outputs / "manifest.json").read_text())
    keys = {item["key"] for item in manifest["inputs"]}
    assert {"network.osm", "demand.areas", "demand.population", "candidates.path"} <= keys
    assert all(len(item["sha256"]) == 64 for item in manifest["inputs"])
    assert set(manifest["timings_s"]) >= {"inputs", "network", "travel times", "selection"}
    assert manifest["selection"]["gap"] == pytest.approx(0, abs=1e-6)
    assert any("D99005" in w for w in manifest["warnings"])  # the closed practice


def test_the_chosen_hubs_reach_the_unserved_estate(demo_result) -> None:  # type: ignore[no-untyped-def]
    # Orchard Estate (IMD decile 1) lost its surgery: the first hub must serve it.
    first = demo_result.selected.iloc[0]
    assert first["site_id"] == "CNL007"
    assert demo_result.selection.gains[0] == pytest.approx(
        max(demo_result.candidates["unmet_need_reached"])
    )


def test_bad_scenario_exits_2_with_one_clear_message(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        'name = "x"\n[network]\nosm = "none.osm"\n[demand]\nareas = "a.gpkg"\n'
        '[candidates]\npath = "c.csv"\n[selectoin]\nhubs = 2\n'
    )
    proc = subprocess.run(
        [sys.executable, "-m", "estate_planner.cli", "run", str(scenario)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "selectoin" in proc.stderr and "did you mean 'selection'" in proc.stderr


def test_missing_input_file_exits_2_and_keeps_old_outputs(tmp_path: Path, demo_dir: Path) -> None:
    text = (demo_dir / "scenario.toml").read_text().replace('"candidates.csv"', '"missing.csv"')
    scenario = demo_dir / "broken.toml"
    scenario.write_text(text)
    out = tmp_path / "out"
    out.mkdir()
    (out / "ranking.csv").write_text("previous\n")
    assert main(["-q", "run", str(scenario), "--out", str(out)]) == 2
    assert (out / "ranking.csv").read_text() == "previous\n"


def test_validate_lists_every_problem(demo_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["validate", str(demo_dir / "scenario.toml")]) == 0
    text = (demo_dir / "scenario.toml").read_text()
    text = text.replace('"candidates.csv"', '"nope.csv"').replace(
        '"imd2019.csv"', '"gp_practices.csv"'
    )
    bad = demo_dir / "bad.toml"
    bad.write_text(text)
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "2 problem(s)" in err
    assert "candidates.path: file" in err and "nope.csv" in err
    assert "no area code column" in err and "gp_practices.csv" in err


def test_committed_demo_data_is_what_the_generator_writes(demo_dir: Path) -> None:
    committed = REPO / "data" / "demo"
    names = sorted(
        p.name for p in demo_dir.iterdir() if p.suffix != ".toml" or p.name == "scenario.toml"
    )
    names = [n for n in names if not n.startswith(("broken", "bad"))]
    assert names == sorted(p.name for p in committed.iterdir())
    for name in names:
        assert (committed / name).read_bytes() == (demo_dir / name).read_bytes(), name


def test_demo_command_end_to_end(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"Open the map: {(out / 'map.html').resolve()}" in printed
    ranking = pd.read_csv(out / "ranking.csv")
    assert ranking["selected"].sum() == 3
    assert ranking["score"].notna().all()
    ranked = ranking.dropna(subset=["rank"]).sort_values("rank")
    assert ranked["unmet_need_reached"].iloc[0] > ranked["unmet_need_reached"].iloc[-1]
    assert (out / "demo_inputs" / "scenario.toml").is_file()


def _demo_variant(demo_dir: Path, name: str, selection: str) -> Path:
    """The demo scenario with ``selection`` lines added to its [selection] section."""
    text = (demo_dir / "scenario.toml").read_text()
    assert "[selection]\n" in text
    path = demo_dir / f"{name}.toml"
    path.write_text(text.replace("[selection]\n", f"[selection]\n{selection}\n", 1))
    return path


def test_a_capital_budget_runs_and_holds(demo_dir: Path, tmp_path: Path) -> None:
    """selection.capital_budget_gbp: the run's hubs cost no more capital than the budget
    (each hub's own figure in hubs.csv, sized for the people it serves in the set), and
    the budget below the unconstrained choice's capital moves the choice."""
    scenario = _demo_variant(demo_dir, "capital", "capital_budget_gbp = 1600000")
    assert main(["-q", "run", str(scenario), "--out", str(tmp_path)]) == 0
    hubs = pd.read_csv(tmp_path / "hubs.csv")
    assert 1 <= len(hubs) <= 3 and hubs["capital_gbp"].sum() <= 1_600_000
    chosen = json.loads((tmp_path / "manifest.json").read_text())["selection"]["chosen"]
    assert chosen != ["CNL007", "CNL010", "NHS004"]  # the demo's choice without a budget


def test_least_capital_for_a_target_share_runs(demo_dir: Path, tmp_path: Path) -> None:
    scenario = _demo_variant(
        demo_dir, "least_capital", 'target_share = 0.5\nminimise = "capital"'
    )
    assert main(["-q", "run", str(scenario), "--out", str(tmp_path)]) == 0
    selection = json.loads((tmp_path / "manifest.json").read_text())["selection"]
    assert selection["method"].startswith("least cost reaching 50% of the unmet need")
    assert 1 <= len(selection["chosen"]) <= 3
