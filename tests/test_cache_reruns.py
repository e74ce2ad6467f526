"""A cached rerun equals a run with the cache off, whatever one input changed.

The demo town is copied once to a folder of its own, its GTFS feed unzipped into a
folder (as operators also publish feeds), and run once to fill a cache. Each case then
makes one meaningful edit *in place* (the same paths, only the content changes, so every
stage the edit does not reach is read back from the cache), reruns on that cache and
with no cache at all, and requires the two runs to agree on everything a run returns
(rankings, chosen sites and their names, travel times, the checks on the choice,
catchments, inputs' records). It also requires the edit to change the answer, so no
case passes by editing something nothing reads.

The cases cover every input file of the demo and every section of the scenario; the
two regression cases of issue 24 (a folder feed's timetable edited; a candidate
renamed) have tests of their own below, through the command a user runs.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from estate_planner import load_scenario, pipeline
from estate_planner.cache import REUSED, Cache
from estate_planner.results import RunResult

pytestmark = pytest.mark.slow  # some fifty runs of the demo: about three minutes on 2 cores

# --------------------------------------------------------------------------------------
# The demo with its feed as a folder, and a cache filled by one run


@dataclasses.dataclass
class Town:
    folder: Path
    cache: Cache
    files: dict[Path, bytes]  # every file as written, to undo each edit
    base: RunResult

    def restore(self) -> None:
        for path, data in self.files.items():
            if path.read_bytes() != data:
                path.write_bytes(data)

    def scenario(self, changes: dict[str, Any]) -> Any:
        scenario = load_scenario(self.folder / "scenario.toml")
        return scenario.updated(**changes) if changes else scenario


def with_folder_feed(source: Path, folder: Path, *, step_minutes: float = 1) -> Path:
    """The demo's files in ``folder``, its GTFS zip unzipped into ``bus_gtfs/`` (and
    departures every ``step_minutes`` of the window)."""
    shutil.copytree(source, folder, dirs_exist_ok=True)
    with zipfile.ZipFile(folder / "bus_gtfs.zip") as archive:
        archive.extractall(folder / "bus_gtfs")
    (folder / "bus_gtfs.zip").unlink()
    path = folder / "scenario.toml"
    text = path.read_text().replace('"bus_gtfs.zip"', '"bus_gtfs"')
    text = text.replace("[transit]\n", f"[transit]\nstep_minutes = {step_minutes}\n")
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def town(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Town:
    folder = tmp_path_factory.mktemp("town")
    # departures every 5 minutes, not every minute: a fifth of the demo's public
    # transport work, so the fifty runs below take a few minutes
    with_folder_feed(demo_dir, folder, step_minutes=5)
    files = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    cache = Cache(tmp_path_factory.mktemp("town_cache"))
    base = pipeline.run(load_scenario(folder / "scenario.toml"), cache=cache)
    return Town(folder, cache, files, base)


# --------------------------------------------------------------------------------------
# Edits: each changes one file in place, or returns one change of the scenario


def replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def edit_csv(path: Path, row: int, column: str, value: Any) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row, column] = str(value)
    frame.to_csv(path, index=False)


def move_geojson_vertex(path: Path, feature: int, dx: float, dy: float) -> None:
    data = json.loads(path.read_text())
    ring = data["features"][feature]["geometry"]["coordinates"][0]
    for i in (0, len(ring) - 1):  # the ring's first vertex, which is also its last
        ring[i] = [ring[i][0] + dx, ring[i][1] + dy]
    path.write_text(json.dumps(data))


def raster_cell(path: Path) -> None:
    import rasterio

    with rasterio.open(path) as src:
        profile, band = src.profile, src.read(1)
    row, col = np.unravel_index(np.argmax(band), band.shape)
    band[row, col] = band[row, col] * 3 + 500
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(band, 1)


def osm_tag(folder: Path) -> None:
    """A residential street in the town becomes a footway (no longer drivable)."""
    text = (folder / "streets.osm").read_text()
    ways = re.findall(r'<way id="\d+".*?</way>', text, flags=re.S)
    busy = max((w for w in ways if 'v="residential"' in w), key=lambda w: w.count("<nd "))
    (folder / "streets.osm").write_text(
        text.replace(busy, busy.replace('v="residential"', 'v="footway"'))
    )


def osm_node(folder: Path) -> None:
    """A junction in the town moves by about 300 m (every street through it changes)."""
    text = (folder / "streets.osm").read_text()
    refs = re.findall(r'<nd ref="(\d+)"', text)
    junction = max(set(refs), key=refs.count)
    match = re.search(rf'<node id="{junction}"[^>]*lat="([\d.]+)"', text)
    assert match is not None
    lat = float(match.group(1))
    replace_in(folder / "streets.osm", f'lat="{match.group(1)}"', f'lat="{lat + 0.003:.7f}"')


def gtfs_stop_times(folder: Path, *, minutes: int, trips: str = "R1-in-") -> None:
    """The calls of route 1's trips into town ``minutes`` later (a timetable change)."""
    path = folder / "bus_gtfs" / "stop_times.txt"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = frame["trip_id"].str.startswith(trips)
    assert rows.any()

    def later(clock: str) -> str:
        h, m, s = (int(x) for x in clock.split(":"))
        total = h * 3600 + m * 60 + s + minutes * 60
        return f"{total // 3600:02d}:{total // 60 % 60:02d}:{total % 60:02d}"

    for column in ("arrival_time", "departure_time"):
        frame.loc[rows, column] = frame.loc[rows, column].map(later)
    frame.to_csv(path, index=False)


@dataclasses.dataclass(frozen=True)
class Edit:
    name: str
    apply: Callable[[Path], dict[str, Any] | None]
    streets: bool = False  # reaches the street graphs: they cannot be reused


def _file(name: str, apply: Callable[[Path], None], streets: bool = False) -> Edit:
    return Edit(name, lambda folder: apply(folder) or {}, streets)


def _setting(name: str, changes: dict[str, Any], streets: bool = False) -> Edit:
    return Edit(name, lambda _folder: changes, streets)


EDITS = [
    # every input file of the demo
    _file("census: residents of an area", lambda f: edit_csv(
        f / "census2021_age.csv", 5, "usual_residents", 2500)),
    _file("imd: an area's decile", lambda f: edit_csv(
        f / "imd2019.csv", 0, "Index of Multiple Deprivation (IMD) Decile", 1)),
    _file("gp practices: one moves", lambda f: edit_csv(
        f / "gp_practices.csv", 0, "latitude", 52.5902)),
    _file("pharmacies: one moves", lambda f: edit_csv(
        f / "pharmacies.csv", 0, "longitude", -0.7400)),
    _file("candidates: a name", lambda f: replace_in(
        f / "candidates.csv", "Orchard Estate Community Centre", "Orchard Hub")),
    _file("candidates: an id", lambda f: replace_in(f / "candidates.csv", "CNL007,", "CNL077,")),
    _file("areas: a boundary's geometry", lambda f: move_geojson_vertex(
        f / "lsoa21.geojson", 0, -0.004, 0.002)),
    _file("study area: its geometry", lambda f: move_geojson_vertex(
        f / "study_area.geojson", 0, 0.02, -0.03)),
    _file("town centre: its geometry", lambda f: move_geojson_vertex(
        f / "town_centre.geojson", 0, 0.03, 0.0)),
    _file("population raster: a cell", lambda f: raster_cell(f / "population_100m.tif")),
    _file("streets: a tag", osm_tag, streets=True),
    _file("streets: a node", osm_node, streets=True),
    _file("gtfs folder: stop times", lambda f: gtfs_stop_times(f, minutes=25)),
    # every section of the scenario
    _setting("area.boundary", {"area": {"boundary": None}}),
    _setting("network.walk_kmh", {"network": {"walk_kmh": 3.6}}, streets=True),
    _setting("demand.raster_units", {"demand": {"raster_units": "people_per_km2"}}),
    _setting("need.weights", {"need": {"weights": {"population": 1.0, "age_65_plus": 3.0}}}),
    _setting("services[].counts", {"services": [
        {"path": "gp_practices.csv", "kind": "gp"},
        {"path": "pharmacies.csv", "kind": "pharmacy", "counts": False}]}),
    _setting("candidates.town_centres", {"candidates": {"town_centres": None}}),
    _setting("access.walk_minutes", {"access": {"walk_minutes": 10}}),
    _setting("transit.start", {"transit": {"start": "08:30"}}),
    _setting("scoring.weights", {"scoring": {"weights": {"need_reached": 0.9, "cost": 0.1}}}),
    _setting("selection.hubs", {"selection": {"hubs": 2}}),
    _setting("appraisal.optimism_bias", {"appraisal": {"optimism_bias": 0.5}}),
    _setting("edits: a service closes", {"edits": [{"action": "close_service",
                                                    "ids": ["D99001"]}]}),
]  # fmt: skip


def _resolved(changes: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Scenario changes with relative file names made absolute (``updated`` does not
    know the scenario's folder)."""
    out = json.loads(json.dumps(changes))
    for service in out.get("services", []):
        service["path"] = str(folder / service["path"])
    return out


@pytest.mark.parametrize("edit", EDITS, ids=[e.name for e in EDITS])
def test_a_cached_rerun_equals_a_run_without_the_cache(town: Town, edit: Edit) -> None:
    try:
        changes = _resolved(edit.apply(town.folder) or {}, town.folder)
        scenario = town.scenario(changes)
        cached = pipeline.run(scenario, cache=town.cache)
        cold = pipeline.run(scenario, cache=Cache(None))
    finally:
        town.restore()
    assert_same(cached, cold, "run")
    assert differences(cold, town.base), f"{edit.name}: the edit changed nothing"
    if not edit.streets:  # the cache was used: what the edit does not reach was reused
        assert set(cached.cache_status["network"].values()) == {REUSED}


def test_undoing_an_edit_reuses_everything(town: Town) -> None:
    again = pipeline.run(town.scenario({}), cache=town.cache)
    status = again.cache_status
    assert status["inputs"] == status["selection"] == REUSED
    assert set(status["network"].values()) == set(status["travel_times"].values()) == {REUSED}
    assert_same(again, town.base, "run")


# --------------------------------------------------------------------------------------
# The two cases of issue 24, as a user meets them: the command, run twice on one cache


def test_an_edited_folder_feed_gives_new_transit_times(
    demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24: a folder feed had no hash, and the rerun kept the old transit times."""
    from estate_planner.cli import main

    monkeypatch.setenv("ESTATE_PLANNER_CACHE", str(tmp_path / "cache"))
    scenario = with_folder_feed(demo_dir, tmp_path / "town")
    assert main(["-q", "validate", str(scenario)]) == 0  # validate takes what run takes
    assert main(["-q", "run", str(scenario), "--out", str(tmp_path / "before")]) == 0
    gtfs_stop_times(tmp_path / "town", minutes=240)  # route 1 leaves after the window
    assert main(["-q", "run", str(scenario), "--out", str(tmp_path / "after")]) == 0
    cold = pipeline.run(load_scenario(scenario), cache=Cache(None))
    minutes = "minutes_to_service_transit"
    before, after = (_demand(tmp_path / d)[minutes] for d in ("before", "after"))
    assert not before.equals(after)  # the timetable change reaches the times
    np.testing.assert_allclose(after.to_numpy(dtype=float),
                               cold.demand[minutes].to_numpy(dtype=float), rtol=1e-9)  # fmt: skip
    records = json.loads((tmp_path / "after" / "manifest.json").read_text())["inputs"]
    feed = next(r for r in records if r["key"].startswith("network.gtfs"))
    assert len(feed["sha256"]) == 64  # the folder's files, hashed


def test_a_renamed_candidate_shows_its_new_name(
    demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24: the decision's cache key left out names, and the report kept the old one."""
    from estate_planner.cli import main

    monkeypatch.setenv("ESTATE_PLANNER_CACHE", str(tmp_path / "cache"))
    shutil.copytree(demo_dir, tmp_path / "town")
    scenario = tmp_path / "town" / "scenario.toml"
    assert main(["-q", "run", str(scenario), "--out", str(tmp_path / "before")]) == 0
    old = "Orchard Estate Community Centre"
    assert old in (tmp_path / "before" / "report.html").read_text()
    replace_in(tmp_path / "town" / "candidates.csv", old, "Orchard Lane Health Hub")
    assert main(["-q", "run", str(scenario), "--out", str(tmp_path / "after")]) == 0
    report = (tmp_path / "after" / "report.html").read_text()
    manifest = (tmp_path / "after" / "manifest.json").read_text()
    assert "Orchard Lane Health Hub" in report and old not in report
    assert "Orchard Lane Health Hub" in manifest and old not in manifest


def _demand(folder: Path) -> pd.DataFrame:
    import pyogrio

    return pyogrio.read_dataframe(folder / "results.gpkg", layer="demand")


# --------------------------------------------------------------------------------------
# Comparing runs


def differences(a: Any, b: Any, where: str = "run") -> list[str]:
    """Where two results differ (empty when they are the same, bit for bit)."""
    if type(a) is not type(b):
        return [f"{where}: {type(a).__name__} != {type(b).__name__}"]
    if isinstance(a, RunResult) or (dataclasses.is_dataclass(a) and not isinstance(a, type)):
        if type(a) is not type(b):
            return [f"{where}: {type(a).__name__} != {type(b).__name__}"]
        skip = {"timings", "cache_status", "scenario"} if isinstance(a, RunResult) else set()
        return [d for f in dataclasses.fields(a) if f.compare and f.name not in skip
                for d in differences(getattr(a, f.name), getattr(b, f.name),
                                     f"{where}.{f.name}")]  # fmt: skip
    if isinstance(a, pd.DataFrame | pd.Series):
        try:
            check = pd.testing.assert_frame_equal if isinstance(a, pd.DataFrame) else (
                pd.testing.assert_series_equal)  # fmt: skip
            check(a, b, check_exact=True)  # type: ignore[operator]
        except AssertionError as exc:
            return [f"{where}: {str(exc).splitlines()[0]}"]
        return []
    if sp.issparse(a) or sp.issparse(b):
        same = sp.issparse(a) and sp.issparse(b) and a.shape == b.shape and (a != b).nnz == 0
        return [] if same else [f"{where}: sparse matrices differ"]
    if isinstance(a, np.ndarray):
        same = isinstance(b, np.ndarray) and a.shape == b.shape and (
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))  # fmt: skip
        return [] if same else [f"{where}: arrays differ"]
    if isinstance(a, dict):
        if not isinstance(b, dict) or set(a) != set(b):
            return [f"{where}: keys differ"]
        return [d for k in a for d in differences(a[k], b[k], f"{where}[{k!r}]")]
    if isinstance(a, list | tuple):
        if not isinstance(b, list | tuple) or len(a) != len(b):
            return [f"{where}: lengths differ"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in differences(x, y, f"{where}[{i}]")]  # fmt: skip
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return []
    if type(a).__module__.startswith("shapely"):
        return [] if a.equals_exact(b, 0) else [f"{where}: geometries differ"]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def assert_same(a: Any, b: Any, where: str) -> None:
    found = differences(a, b, where)
    assert not found, "\n".join(found[:15])
