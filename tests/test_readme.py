"""The README's code runs as written, and its Quick start is the two commands."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

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


def test_the_quick_start_has_exactly_two_commands() -> None:
    quick = README[README.index("## Quick start") : README.index("## What a run does")]
    commands = [
        line for block in re.findall(r"```bash\n(.*?)```", quick, flags=re.DOTALL)
        for line in block.splitlines() if line.strip() and not line.startswith("#")
    ]  # fmt: skip
    assert [c.split("#")[0].strip() for c in commands] == ["./dev demo", "./dev test"]
    assert os.access(REPO / "dev", os.X_OK)
