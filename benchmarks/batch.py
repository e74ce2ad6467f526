"""Scaling out (issue 16): per-task time and memory, a batch on a 2-worker Dask
cluster against the same scenarios run one after another, and a plan for every LAD
and ICB in England from those measurements.

- Rutland-sized task: ``estate-planner run scenarios/rutland.toml`` in a fresh process
  with an empty cache, timed from outside; peak memory is the largest resident set of
  the process or its drawing child (``/usr/bin/time``'s maximum resident set).
- Batch: the demo, Rutland and the three demo what-ifs, each run alone one after
  another (empty caches), then together as ``estate-planner batch --workers 2``.
- ICB-sized task: its heavy stages measured on an ICB-sized network (Rutland's drive
  network tiled 8 x 9, a million nodes): travel times for 2,000 sites x 35,000 demand
  points and their peak memory (``benchmarks/travel.py``), and the selection on the same
  sizes (``benchmarks/selection.py``); building the street graph is scaled from
  Rutland's by the number of nodes (a stated estimate, no ICB extract is on disk).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RUTLAND = REPO / "scenarios" / "rutland.toml"
BATCH = [
    REPO / "data" / "demo" / "scenario.toml",
    RUTLAND,
    *sorted((REPO / "data" / "whatifs").glob("*.toml")),
]
#: England: local authority districts (April 2023) and integrated care boards
ENGLAND_LADS, ENGLAND_ICBS = 296, 42
#: Rutland's drive graph, and the ICB-sized tiled one the travel benchmark times
RUTLAND_NODES, ICB_NODES = 14_442, 1_039_824


def _timed(args: list[str], cache: Path) -> tuple[float, float]:
    """Wall seconds and peak resident GB of a command (its children included)."""
    env = {**os.environ, "ESTATE_PLANNER_CACHE": str(cache)}
    start = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-m", "estate_planner.cli", "-q", *args],
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return seconds, int(match.group(1)) / 1e6 if match else float("nan")


def run() -> dict[str, Any] | None:
    if not DATA.is_dir():
        return None
    folder = Path(tempfile.mkdtemp(prefix="ep-batch-"))
    try:
        rutland_s, rutland_gb = _timed(
            ["run", str(RUTLAND), "--out", str(folder / "r")], folder / "cache-r"
        )
        stages = json.loads((folder / "r" / "manifest.json").read_text())["timings_s"]
        alone = {}
        for i, scenario in enumerate(BATCH):
            alone[scenario.stem if scenario != RUTLAND else "rutland"] = _timed(
                ["run", str(scenario), "--out", str(folder / f"alone{i}")], folder / f"c{i}"
            )[0]
        batch_s, batch_gb = _timed(
            ["batch", *map(str, BATCH), "--out", str(folder / "batch"), "--workers", "2"],
            folder / "cache-batch",
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "rutland_s": rutland_s,
        "rutland_peak_gb": rutland_gb,
        "rutland_stages_s": stages,
        "alone_s": alone,
        "batch_s": batch_s,
        "batch_peak_gb": batch_gb,
        "icb": _icb_components(stages),
    }


def _icb_components(stages: dict[str, float]) -> dict[str, Any]:
    """The ICB-sized task's heavy stages, from this run's other benchmarks."""
    store = Path(__file__).resolve().parent / "results.json"
    results = json.loads(store.read_text()) if store.exists() else {}
    travel = next(
        (case["ours_s"] for network in results.get("travel", {}).get("result", {}).get(
            "networks", [])
         if network["nodes"] == ICB_NODES for case in network["cases"]
         if case["sites"] == 2000 and case["cutoff_s"]),
        None,
    )  # fmt: skip
    peak = next(
        (network.get("peak", {}).get("peak_gb") for network in results.get("travel", {}).get(
            "result", {}).get("networks", []) if network["nodes"] == ICB_NODES),
        None,
    )  # fmt: skip
    selection = next(
        (row["seconds"] for row in results.get("selection", {}).get("result", {}).get("rows", [])
         if "2,000 x 35,000" in row.get("instance", "")),
        None,
    )  # fmt: skip
    network_s = stages.get("network", 0.0) * ICB_NODES / RUTLAND_NODES
    return {
        "travel_s": travel,
        "travel_peak_gb": peak,
        "selection_s": selection,
        "network_s_estimate": network_s,
    }
