"""Shared fixtures: the demo town written and run once, the real Rutland data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib import metadata
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
#: the distributions whose versions a failure on a fresh install most often comes down to
KEY_DEPENDENCIES = (
    "numpy", "pandas", "scipy", "geopandas", "shapely", "pyogrio", "pyproj", "networkx",
    "osmnx", "osmium", "numba", "pydantic", "rasterio", "folium", "hypothesis",
)  # fmt: skip


def pytest_report_header() -> list[str]:
    """The versions this run resolved (scipy brings HiGHS), at the top of the output:
    a failure on a new machine then names what changed."""
    return [_versions()]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The versions again at the end, where ``-q`` (which drops the header) shows them."""
    terminalreporter.write_line(_versions())


def _versions() -> str:
    import shapely

    found = []
    for name in KEY_DEPENDENCIES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return "versions: " + ", ".join(found) + f", GEOS {shapely.geos_version_string}"


def _shared_data() -> Path:
    """The real data folder: ``ESTATE_PLANNER_SHARED_DATA`` or ../shared/data."""
    default = REPO.parent / "shared" / "data"
    return Path(os.environ.get("ESTATE_PLANNER_SHARED_DATA", default))


@pytest.fixture(scope="session", autouse=True)
def _test_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """What every test (and every CLI run a test starts) sees, set for the session and
    undone after it: a cache folder of its own, never the user's, and the data folder
    scenarios name as ``data_dir`` (scenarios/rutland.toml) pointed at the real data."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ESTATE_PLANNER_CACHE", str(tmp_path_factory.mktemp("cache")))
        patch.setenv("ESTATE_PLANNER_DATA_DIR", str(_shared_data()))
        yield


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
    folder = _shared_data()
    if not (folder / "osm_rutland").is_dir():
        pytest.skip(f"real data folder {folder} is absent (CI has it)")
    return folder


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
