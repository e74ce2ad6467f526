"""A cached rerun of the Rutland scenario against its first run (issue 7).

Each run is the whole command (``estate-planner run``) in a fresh process, timed from
outside, so interpreter start-up, imports and writing every output count. The first
run has an empty cache; the reruns reuse it. A what-if (a weights edit) reuses it too.
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


def _command(scenario: Path, out: Path, cache: Path) -> tuple[float, dict[str, Any]]:
    env = {**os.environ, "ESTATE_PLANNER_CACHE": str(cache)}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "estate_planner.cli", "-q", "run", str(scenario), "--out", str(out)],
        env=env,
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - start
    return seconds, json.loads((out / "manifest.json").read_text())


def run(firsts: int = 3, reruns: int = 5) -> dict[str, Any] | None:
    if not DATA.is_dir():
        return None
    folder = Path(tempfile.mkdtemp(prefix="ep-rerun-"))
    try:
        whatif = folder / "whatif.toml"
        whatif.write_text(
            f'extends = "{SCENARIO}"\nname = "Rutland, deprivation first"\n\n'
            "[scoring]\nweights = { need_reached = 0.2, unmet_need_reached = 0.2, "
            "deprivation = 0.5, floor_area_fit = 0.1 }\n"
        )
        # each first run starts from an empty cache of its own
        first_runs = [
            _command(SCENARIO, folder / "first", folder / f"cache{i}") for i in range(firsts)
        ]
        first_times = sorted(seconds for seconds, _ in first_runs)
        first_s, first = first_times[len(first_times) // 2], first_runs[0][1]
        cache = folder / "cache0"
        times = [_command(SCENARIO, folder / "again", cache)[0] for _ in range(reruns)]
        whatif_s, edited = _command(whatif, folder / "whatif", cache)
        _, again = _command(SCENARIO, folder / "again", cache)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    times.sort()
    return {
        "first_s": first_s,
        "first_runs_s": first_times,
        "rerun_s": times,
        "rerun_median_s": times[len(times) // 2],
        "whatif_s": whatif_s,
        "first_cache": first["cache"],
        "rerun_cache": again["cache"],
        "whatif_cache": edited["cache"],
        "first_stages_s": first["timings_s"],
        "rerun_stages_s": again["timings_s"],
    }
