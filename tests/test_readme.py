"""The README's code runs as written, and its scenario reference names every key."""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from estate_planner.scenario import EditConfig, Scenario

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_the_python_blocks_run_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(REPO / "data", tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    code = blocks("python")
    assert code, "the README has no Python example"
    namespace: dict[str, Any] = {}
    for block in code:
        exec(compile(block, "README.md", "exec"), namespace)
    assert (tmp_path / "maps" / "four-hubs" / "ranking.csv").is_file()
    assert len(namespace["choice"].chosen) == 3


def model_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        keys.add(prefix + name)
        inner = field.annotation
        for candidate in (inner, *getattr(inner, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                keys |= model_keys(candidate, f"{prefix}{name}.")
    return keys


def toml_keys(data: Any, prefix: str = "") -> set[str]:
    keys = set()
    items = data.items() if isinstance(data, dict) else []
    for name, value in items:
        keys.add(prefix + name)
        if isinstance(value, dict) and not name.endswith(("weights", "columns", "kmh")):
            keys |= toml_keys(value, f"{prefix}{name}.")
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                keys |= toml_keys(item, f"{prefix}{name}.")
    return keys


def test_the_scenario_reference_names_every_key_and_only_real_ones() -> None:
    section = README[README.index("## Scenario reference") :]
    documented: set[str] = set()
    for block in re.findall(r"```toml\n(.*?)```", section, flags=re.DOTALL):
        documented |= toml_keys(tomllib.loads(block))
    # edits are documented with one example per action; every field shows up once
    expected = model_keys(Scenario) | {f"edits.{k}" for k in EditConfig.model_fields}
    assert expected - documented == set(), "not in the README's scenario reference"
    assert documented - expected == set(), "in the README but not in the scenario model"


def test_the_quick_start_has_exactly_two_commands() -> None:
    quick = README[README.index("## Quick start") : README.index("## What a run does")]
    commands = [
        line for block in re.findall(r"```bash\n(.*?)```", quick, flags=re.DOTALL)
        for line in block.splitlines() if line.strip() and not line.startswith("#")
    ]  # fmt: skip
    assert [c.split("#")[0].strip() for c in commands] == ["./dev demo", "./dev test"]
    assert os.access(REPO / "dev", os.X_OK)
