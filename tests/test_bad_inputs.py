"""Every case of tests/bad_inputs/cases.toml, run through the CLI."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from estate_planner.cli import main

HERE = Path(__file__).resolve().parent / "bad_inputs"
CASES = tomllib.loads((HERE / "cases.toml").read_text(encoding="utf-8"))["case"]


def prepare(case: dict, demo_dir: Path, folder: Path) -> Path:  # type: ignore[type-arg]
    shutil.copytree(demo_dir, folder, dirs_exist_ok=True)
    if "replace" in case:
        target, source = case["replace"]
        shutil.copy(HERE / "files" / source, folder / target)
    if "empty" in case:
        (folder / case["empty"]).write_bytes(b"")
    scenario = folder / "scenario.toml"
    for old, new in case.get("edit", []):
        text = scenario.read_text(encoding="utf-8")
        assert old in text, f"case {case['name']}: {old!r} is not in the demo scenario"
        scenario.write_text(text.replace(old, new, 1), encoding="utf-8")
    return scenario


def test_the_catalogue_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len({c["name"] for c in CASES}) == len(CASES)
    for case in CASES:
        if "replace" in case:
            assert (HERE / "files" / case["replace"][1]).is_file(), case["name"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(
    case: dict, demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[type-arg]
    scenario = prepare(case, demo_dir, tmp_path / "in")
    out = tmp_path / "out"
    code = main(["-q", "run", str(scenario), "--out", str(out)])
    captured = capsys.readouterr()
    text = captured.err
    assert "Traceback" not in text and "internal error" not in text, text
    if case["outcome"] == "error":
        assert code == 2, text
        assert text.count("error:") == 1, text
        for fragment in case["expect"]:
            assert fragment in text, f"{fragment!r} not in: {text}"
        assert not out.exists() or not (out / "ranking.csv").exists()
        return
    assert code == 0, text
    if case["outcome"] == "warning":
        warnings = " | ".join(json.loads((out / "manifest.json").read_text())["warnings"])
        for fragment in case["expect"]:
            assert fragment in warnings, f"{fragment!r} not in manifest warnings: {warnings}"
    else:
        names = " | ".join(pd.read_csv(out / "ranking.csv", encoding="utf-8")["name"])
        for fragment in case["expect"]:
            assert fragment in names
