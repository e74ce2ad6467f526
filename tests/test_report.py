"""The report's first page: availability flags, input dates, units."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pandas as pd

from estate_planner import pipeline
from estate_planner.outputs.caveats import input_dates, period_end
from estate_planner.outputs.report import write_report


def _board(page: str) -> str:
    """The text of the first page (the board summary), tags stripped."""
    section = page.split('<section id="board"', 1)[1].split("</section>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section)))


def test_a_forced_site_that_is_not_available_is_flagged_in_the_headline(
    demo_result, demo_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    listed = pd.read_csv(demo_dir / "candidates.csv", dtype=str)
    chosen = set(demo_result.selected["site_id"])
    unavailable = listed.loc[(listed["available"] == "no") & ~listed["site_id"].isin(chosen)]
    site = unavailable.iloc[0]
    run = pipeline.run(
        demo_result.scenario.updated(
            edits=[{"action": "force_candidate", "ids": [site["site_id"]]}]
        )
    )
    assert site["site_id"] in set(run.selected["site_id"])
    write_report(run, tmp_path / "report.html")
    board = _board((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert f"{site['name']} ({site['site_id']}), is marked NOT available" in board
    assert "column 'available'" in board
    # a chosen site that is available raises no flag
    free = run.selected[run.selected["availability"] == "available"]
    for name in free["name"]:
        assert f"{name} (" not in board.split("Availability:", 1)[-1].split("How sure")[0]


def test_the_first_page_lists_each_input_with_its_date(demo_result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_report(demo_result, tmp_path / "report.html")
    board = _board((tmp_path / "report.html").read_text(encoding="utf-8"))
    for record in demo_result.inputs.provenance:
        assert record.key in board
    # the demo's IMD file is named imd2019.csv: 2019, over three years before any run
    assert re.search(r"demand\.deprivation imd2019\.csv 2019 ⚠ over 3 years old", board)
    assert "need-weighted units" in board
    assert "synthetic" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_input_dates_count_a_period_from_its_end(demo_result) -> None:  # type: ignore[no-untyped-def]
    assert period_end("2016/17") == dt.date(2017, 3, 31)
    assert period_end("2019") == dt.date(2019, 12, 31)
    assert period_end("2026-04") == dt.date(2026, 4, 30)
    assert period_end("2018-02-27") == dt.date(2018, 2, 27)
    assert period_end("") is None and period_end("spring") is None
    scenario = demo_result.scenario.updated(
        report={"stale_after_years": 2, "input_dates": {"services[0].path": "2021/22"}}
    )
    view = type("R", (), {"scenario": scenario, "inputs": demo_result.inputs})()
    rows = {r["key"]: r for r in input_dates(view, today=dt.date(2024, 3, 30))}  # type: ignore[arg-type]
    stated = rows["services[0].path"]
    assert stated["date"] == "2021/22" and stated["basis"] == "stated in the scenario"
    assert stated["stale"] is False  # 31 March 2022 to 30 March 2024: 730 days, under 2 years
    assert rows["demand.deprivation"]["stale"] is True  # end of 2019: 4.2 years
    rows = {r["key"]: r for r in input_dates(view, today=dt.date(2024, 4, 2))}  # type: ignore[arg-type]
    assert rows["services[0].path"]["stale"] is True


def test_an_input_with_no_date_says_not_known_and_is_counted(
    demo_result,
) -> None:  # type: ignore[no-untyped-def]
    """The day a file was copied is never shown as the date of its data."""
    scenario = demo_result.scenario.updated(report={"synthetic": False, "input_dates": {}})
    view = type("R", (), {"scenario": scenario, "inputs": demo_result.inputs})()
    rows = {r["key"]: r for r in input_dates(view)}  # type: ignore[arg-type]
    # the demo's candidate list has no date in its content or its name (candidates.csv)
    undated = rows["candidates.path"]
    assert undated["date"] == "not known" and undated["undated"] is True
    assert undated["stale"] is False
    assert "state it in report.input_dates" in undated["basis"]
    assert rows["demand.deprivation"]["undated"] is False  # imd2019.csv: the name says 2019
    synthetic = {r["key"]: r for r in input_dates(demo_result)}
    assert synthetic["candidates.path"]["basis"] == "synthetic data, made for the demo"
    assert synthetic["candidates.path"]["undated"] is False
