"""The economic case on the demo: who is served by whom, sizes and costs, the outputs."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from estate_planner.appraisal import CostAssumptions, SizingAssumptions, hub_costs, nearest
from estate_planner.outputs.tables import ECONOMIC_COLUMNS
from estate_planner.stages.appraise import alternatives_from


def test_served_by_is_the_nearest_service_or_hub(demo_result) -> None:  # type: ignore[no-untyped-def]
    r = demo_result
    a = r.appraisal
    t = r.times[r.scenario.selection_mode]
    import scipy.sparse as sp

    chosen = r.selection.chosen
    stacked = sp.vstack([t.services, t.candidates[chosen]]).tocsr()
    counted = r.services[r.services["counts"].astype(bool)].reset_index(drop=True)
    ids = np.concatenate(
        [counted["service_id"].astype(str), r.candidates["site_id"].astype(str).iloc[chosen]]
    )
    site, _ = nearest(stacked)
    expected = np.where(site >= 0, ids[np.maximum(site, 0)], "")
    assert (a.served_by == expected).all()  # no capacities in the demo: nearest
    assert (r.demand["served_by"].to_numpy() == expected).all()
    # every person served by a hub is counted once in its table, by decile and by age
    hubs = a.hubs
    by_decile = hubs[[f"served_imd_{d}" for d in range(1, 11)]].sum(axis=1)
    people = r.demand["population"].to_numpy()
    deciles = pd.to_numeric(r.demand["imd_decile"], errors="coerce")
    assert (by_decile <= hubs["population_served"] + 1e-6).all()
    for row in hubs.itertuples():
        mine = a.served_by == row.site_id
        assert row.population_served == pytest.approx(people[mine].sum())
        assert row.served_imd_1 == pytest.approx(people[mine & (deciles == 1).to_numpy()].sum())
    total = (hubs["served_65_plus"] + hubs["served_under_65"]).tolist()
    assert total == pytest.approx(hubs["population_served"].tolist())


def test_hub_costs_follow_the_settings(demo_result) -> None:  # type: ignore[no-untyped-def]
    a = demo_result.appraisal
    again = hub_costs(
        a.hubs[["site_id", "kind", "floor_area_m2", "annual_cost_gbp", "population_served"]],
        sizing=SizingAssumptions(),
        costs=CostAssumptions(),
    )
    assert again["capital_gbp"].tolist() == pytest.approx(a.hubs["capital_gbp"].tolist())
    options = a.options.set_index("option")
    assert options.loc["chosen set", "hubs"] == len(demo_result.selection.chosen)
    assert options.loc["business as usual", "npc_gbp"] == 0.0  # no BAU costs given
    assert a.preferred in options.index


def test_ledger_files_open(demo_outputs: Path) -> None:
    book = load_workbook(demo_outputs / "ledger.xlsx", read_only=True)
    assert {"Options", "Assumptions"} <= set(book.sheetnames)
    assumptions = pd.read_excel(
        demo_outputs / "ledger.xlsx", sheet_name="Assumptions", engine="openpyxl"
    )
    assert list(assumptions.columns) == [
        "setting",
        "value",
        "unit",
        "source",
        "date",
        "illustrative",
    ]
    row = assumptions.set_index("setting").loc["optimism_bias"]
    assert row["value"] == 0.24 and "Green Book" in row["source"]
    options = pd.read_excel(demo_outputs / "ledger.xlsx", sheet_name="Options", engine="openpyxl")
    assert {"people_reached", "npc_gbp", "cost_per_person_gbp"} <= set(options.columns)
    ledger = pd.read_csv(demo_outputs / "ledger.csv")
    npc = ledger.groupby("option")["present_value_gbp"].sum()
    assert npc["chosen set"] == pytest.approx(
        options.set_index("option").loc["chosen set", "npc_gbp"], rel=1e-9
    )
    report = (demo_outputs / "report.html").read_text()
    assert "Indicative economic case" in report and "indicative" in report


def test_hubs_table_carries_the_economic_columns(demo_outputs: Path) -> None:
    """hubs.csv, the hubs layer and the workbook's Hubs sheet are one table: a row per
    chosen hub with its certainty and its economic columns, people served counted again
    from the demand layer's ``served_by``."""
    hubs = pd.read_csv(demo_outputs / "hubs.csv")
    layer = gpd.read_file(demo_outputs / "results.gpkg", layer="hubs")
    sheet = pd.read_excel(demo_outputs / "ledger.xlsx", sheet_name="Hubs", engine="openpyxl")
    chosen = json.loads((demo_outputs / "manifest.json").read_text())["selection"]["chosen"]
    assert hubs["site_id"].tolist() == chosen == layer["site_id"].tolist()
    assert (
        list(sheet.columns) == list(hubs.columns) == [c for c in layer.columns if c != "geometry"]
    )
    assert {"stable", "people_lost_if_unavailable", "floor_area_source"} <= set(hubs.columns)
    assert set(ECONOMIC_COLUMNS) <= set(hubs.columns)
    demand = gpd.read_file(demo_outputs / "results.gpkg", layer="demand")
    for row in hubs.itertuples():
        mine = demand[demand["served_by"] == row.site_id]
        assert row.people_served == pytest.approx(mine["population"].sum(), rel=1e-6)
        poor = mine[mine["imd_decile"] == 1]["population"].sum()
        assert row.people_served_imd_decile_1 == pytest.approx(poor, rel=1e-6, abs=1e-6)
        # fits exactly when the building is at least the area required
        short = row.required_gia_m2 - row.floor_area_m2
        assert row.fit == ("fits" if short <= 0 else f"short by {int(np.ceil(short)):,} m²")
        assert row.floor_area_basis == "as listed"  # the demo's property list says no more
        assert row.net_present_cost_gbp > row.capital_gbp > 0
    # every economic column is in the guide's units table
    guide = (Path(__file__).resolve().parent.parent / "docs/guide/business-case.md").read_text()
    deciles = [f"people_served_imd_decile_{d}" for d in range(2, 10)]  # "1 ... 10"
    for column in set(ECONOMIC_COLUMNS) - set(deciles):
        assert f"`{column}`" in guide, column


def test_alternatives_from_runs() -> None:
    runs = pd.DataFrame({"chosen": [["A", "B"], ["B", "C"], ["C", "B"], ["A", "D"]]})
    assert alternatives_from(runs, ["B", "A"]) == [["B", "C"], ["A", "D"]]
    assert alternatives_from(None, ["A"]) == []
