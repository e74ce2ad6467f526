"""The explorer on Rutland, cache warm: how long a what-if takes to answer (issue 29).

The explorer is opened on ``scenarios/rutland.toml`` with an empty cache of its own
(that first run fills it). Then each kind of change is made three times with values
not seen before (so nothing is answered from an earlier identical state), timed
around ``Explorer.set`` in the same process, and undone: a need weight, a score weight,
the number of hubs, the walking threshold (the selection mode: its travel times are
searched again), and a development of homes at a new point (points snapped again and
both modes routed again).

The peer is what an analyst does without the explorer: write the what-if as a
scenario file and run ``estate-planner run`` on it, as a whole command in a fresh
process on the same warm cache (start-up, imports and outputs included), once per
kind. Its chosen hubs are checked against the explorer's for the same change.

The machine is shared: the 1-minute load average is recorded before and after each
kind, and the CPU time of each ``set`` (this process's, all its threads), so a slow
answer can be told from a busy machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "rutland.toml"
DATA = REPO.parent / "shared" / "data"

#: three new values per kind of change
CHANGES: dict[str, list[dict[str, Any]]] = {
    "need weight": [{"imd_decile_1_2": v} for v in (1.0, 1.5, 0.25)],
    "score weight": [{"deprivation": v} for v in (0.4, 0.6, 0.1)],
    "hubs": [{"hubs": v} for v in (4, 5, 2)],
    "walk threshold": [{"walk_minutes": v} for v in (15, 25, 18)],
    "development": [
        {"add_development": {"homes": 2000, "longitude": lon, "latitude": lat}}
        for lon, lat in ((-0.712, 52.681), (-0.705, 52.675), (-0.712, 52.593))
    ],
}
TARGETS = {"development": 3.0}  # seconds; every other kind: 1 s


def run() -> dict[str, Any] | None:
    if not DATA.is_dir():
        return None
    from estate_planner import explore, load_scenario
    from estate_planner.cache import Cache

    folder = Path(tempfile.mkdtemp(prefix="ep-explore-"))
    try:
        cache = Cache(folder / "cache")
        start = time.perf_counter()
        explorer = explore(load_scenario(SCENARIO), cache=cache)
        open_s = time.perf_counter() - start
        kinds: dict[str, Any] = {}
        for kind, changes in CHANGES.items():
            load = os.getloadavg()[0]  # the machine is shared: what else was running
            seconds, status, chosen, cpu = [], [], [], []
            for change in changes:
                used = time.process_time()
                explorer.set(**change)
                cpu.append(time.process_time() - used)
                seconds.append(explorer.steps[-1].seconds)
                status.append(explorer.result.cache_status["travel_times"])
                chosen.append(list(explorer.summary.chosen))
                if change is changes[0]:
                    path = explorer.to_scenario(folder / f"{kind.replace(' ', '_')}.toml")
                    peer_s, peer_chosen = _command(path, folder / "out", folder / "cache")
                explorer.undo()
            kinds[kind] = {
                "changes": [_words(c) for c in changes],
                "seconds": seconds,
                "median_s": sorted(seconds)[1],
                "target_s": TARGETS.get(kind, 1.0),
                "travel_times": status,
                "chosen": chosen,
                "peer_s": peer_s,
                "peer_same_hubs": peer_chosen == chosen[0],
                "load_1min": [load, os.getloadavg()[0]],
                "cpu_s": cpu,
            }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    people = float(explorer.base.demand["population"].sum())
    return {
        "measured_utc": time.strftime("%d %B %Y %H:%M UTC", time.gmtime()),
        "open_s": open_s,
        "demand_points": len(explorer.base.demand),
        "candidates": len(explorer.base.candidates),
        "services": len(explorer.base.services),
        "people": people,
        "kinds": kinds,
    }


def _words(change: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in change.items())


def _command(scenario: Path, out: Path, cache: Path) -> tuple[float, list[str]]:
    env = {**os.environ, "ESTATE_PLANNER_CACHE": str(cache)}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "estate_planner.cli", "-q", "run", str(scenario), "--out", str(out)],
        env=env,
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - start
    manifest = json.loads((out / "manifest.json").read_text())
    chosen = manifest.get("selection", {}).get("chosen") or _find(manifest, "chosen")
    return seconds, [str(s) for s in chosen]


def _find(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        if key in value:
            return value[key]
        for inner in value.values():
            found = _find(inner, key)
            if found is not None:
                return found
    return None
