"""Outputs do not change when the code is restructured.

The golden records in ``tests/golden/`` were written by the code before the
restructure (``python -m tests.golden.snapshot``). Each case runs twice into fresh
folders: first with an empty cache, then reading everything back from it, so the
cache's storage format is held to the same standard as the computation.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from estate_planner.cli import main
from tests.golden.snapshot import HERE, scenario_path, snapshot


@pytest.mark.parametrize("case", ["demo", "rutland"])
def test_outputs_equal_the_golden_record(
    case: str, demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request
) -> None:  # type: ignore[no-untyped-def]
    if case != "demo":
        request.getfixturevalue("shared_data")
    monkeypatch.setenv("ESTATE_PLANNER_CACHE", str(tmp_path / "cache"))
    expected_ranking = (HERE / case / "ranking.csv").read_bytes()
    expected = json.loads((HERE / case / "snapshot.json").read_text())
    for attempt in ("cold", "warm"):
        out = tmp_path / attempt
        assert main(["-q", "run", str(scenario_path(case, demo_dir)), "--out", str(out)]) == 0
        assert (out / "ranking.csv").read_bytes() == expected_ranking, attempt
        got = snapshot(out)
        assert got["manifest.json"] == expected["manifest.json"], attempt
        assert got["results.gpkg"] == expected["results.gpkg"], attempt
    cache = json.loads((tmp_path / "warm" / "manifest.json").read_text())["cache"]
    assert cache["network"] and set(cache["network"].values()) == {"reused from cache"}
