"""Outputs do not change when the code is restructured.

The golden records in ``tests/golden/`` were written by the code before the
restructure (``python -m tests.golden.snapshot``). Each case runs twice into fresh
folders: first with an empty cache, then reading everything back from it, so the
cache's storage format is held to the same standard as the computation.

Ids, text, integers, flags and the order of rows and columns must match exactly;
floats within :data:`tests.golden.snapshot.RTOL` (1e-9 of their size), which a
newer numpy or pandas summing in another order stays far inside, and any change of
result far outside (the reasoning is beside ``RTOL``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from estate_planner.cli import main
from tests.golden.snapshot import HERE, compare, scenario_path, snapshot


@pytest.mark.parametrize("case", ["demo", "rutland"])
def test_outputs_equal_the_golden_record(
    case: str, demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request
) -> None:  # type: ignore[no-untyped-def]
    if case != "demo":
        request.getfixturevalue("shared_data")
    monkeypatch.setenv("ESTATE_PLANNER_CACHE", str(tmp_path / "cache"))
    expected = json.loads((HERE / case / "snapshot.json").read_text())
    for attempt in ("cold", "warm"):
        out = tmp_path / attempt
        assert main(["-q", "run", str(scenario_path(case, demo_dir)), "--out", str(out)]) == 0
        differences = compare(snapshot(out), expected)
        assert not differences, f"{attempt} run:\n" + "\n".join(differences[:20])
    cache = json.loads((tmp_path / "warm" / "manifest.json").read_text())["cache"]
    assert cache["network"] and set(cache["network"].values()) == {"reused from cache"}


def test_the_comparison_holds_what_must_not_change() -> None:
    """Exact where exact is meant, within the tolerance for floats and no further."""
    base = {
        "ranking.csv": {
            "rows": 2,
            "columns": {
                "site_id": {"kind": "text", "hash": "abc"},
                "score": {"kind": "float", "values": [0.75, 1e-3]},
            },
        },
        "manifest.json": {"chosen": ["A", "B"], "value": 4007.0276753761727, "hubs": 3},
    }
    assert compare(base, base) == []
    nudged = json.loads(json.dumps(base))
    nudged["ranking.csv"]["columns"]["score"]["values"] = [0.75 * (1 + 1e-13), 1e-3 + 1e-15]
    nudged["manifest.json"]["value"] *= 1 + 1e-12
    assert compare(nudged, base) == []  # last bits
    for change in (
        lambda s: s["ranking.csv"]["columns"]["score"]["values"].__setitem__(1, 2e-3),
        lambda s: s["manifest.json"].__setitem__("value", 4007.03),
        lambda s: s["manifest.json"].__setitem__("hubs", 4),
        lambda s: s["manifest.json"]["chosen"].reverse(),
        lambda s: s["ranking.csv"]["columns"].__setitem__(
            "site_id", s["ranking.csv"]["columns"].pop("site_id")
        ),  # column order
        lambda s: s["ranking.csv"]["columns"]["site_id"].__setitem__("hash", "abd"),
    ):
        changed = json.loads(json.dumps(base))
        change(changed)
        assert compare(changed, base), changed
