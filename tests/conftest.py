"""Shared fixtures: the demo town written and run once, the real Rutland data."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# Property-based tests explore freely on a developer's machine, but CI must give the
# same answer on every run: there the examples are derived from each test's name, and
# every failure ever found is pinned with @example beside its test.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

REPO = Path(__file__).resolve().parent.parent
# tests (and the CLI runs they start) cache networks here, never in the user's home
os.environ["ESTATE_PLANNER_CACHE"] = tempfile.mkdtemp(prefix="estate-planner-test-cache-")
SHARED_DATA = Path(os.environ.get("ESTATE_PLANNER_SHARED_DATA", REPO.parent / "shared" / "data"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-web", action="store_true", help="run tests that use the internet")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-web"):
        return
    skip = pytest.mark.skip(reason="uses the internet; run with --run-web")
    for item in items:
        if "web" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real Rutland data in ../shared/data, or a skip saying it is absent."""
    if not (SHARED_DATA / "osm_rutland").is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (CI has it)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo town's input files, freshly generated."""
    from estate_planner.demo import write_demo

    folder = tmp_path_factory.mktemp("demo_inputs")
    write_demo(folder)
    return folder


@pytest.fixture(scope="session")
def demo_scenario(demo_dir: Path):  # type: ignore[no-untyped-def]
    from estate_planner import load_scenario

    return load_scenario(demo_dir / "scenario.toml")


@pytest.fixture(scope="session")
def demo_result(demo_scenario):  # type: ignore[no-untyped-def]
    """The demo run through every stage (no files written)."""
    from estate_planner import pipeline

    return pipeline.run(demo_scenario)


@pytest.fixture(scope="session")
def demo_outputs(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo run through the CLI, outputs on disk."""
    from estate_planner.cli import main

    out = tmp_path_factory.mktemp("demo_out")
    assert main(["-q", "run", str(demo_dir / "scenario.toml"), "--out", str(out)]) == 0
    return out
