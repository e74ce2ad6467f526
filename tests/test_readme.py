"""The README is the front door: its Quick start is the two commands, and every page it
points to exists (the reference lives in docs/, see tests/test_docs.py)."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_quick_start_has_exactly_two_commands() -> None:
    quick = README[README.index("## Quick start") : README.index("## What a run does")]
    commands = [
        line for block in re.findall(r"```bash\n(.*?)```", quick, flags=re.DOTALL)
        for line in block.splitlines() if line.strip() and not line.startswith("#")
    ]  # fmt: skip
    assert [c.split("#")[0].strip() for c in commands] == ["./dev demo", "./dev test"]
    assert os.access(REPO / "dev", os.X_OK)


def test_every_link_in_the_readme_resolves() -> None:
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    local = [link for link in links if "://" not in link]
    assert "docs/guide/scenario.md" in local
    assert [link for link in local if not (REPO / link).exists()] == []


def test_the_development_section_states_the_cache_rule() -> None:
    development = README[README.index("## Development") :]
    assert "Stages are pure functions of their arguments.\nThe cache hashes the arguments." in development


def test_every_dependency_says_why() -> None:
    """Each package of pyproject's dependencies and extras has a row in the README."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *(s for extra in project["optional-dependencies"].values() for s in extra)]
    names = [re.split(r"[<>=!\[ ]", spec, maxsplit=1)[0] for spec in declared]
    names = [n for n in names if n != project["name"]]  # an extra that includes another
    table = README[README.index("### Dependencies, and why") :].lower()
    assert [n for n in names if n.lower() not in table] == []
