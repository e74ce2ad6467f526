"""Outputs of a run: tables, GeoPackage, map, report and manifest, written atomically."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from estate_planner.outputs.manifest import build_manifest, write_json
from estate_planner.outputs.maps import write_map
from estate_planner.outputs.report import write_report
from estate_planner.outputs.static import write_static_map
from estate_planner.outputs.tables import write_geopackage, write_ranking
from estate_planner.pipeline import RunResult

logger = logging.getLogger(__name__)

OUTPUT_FILES = (
    "ranking.csv",
    "results.gpkg",
    "map.html",
    "report.html",
    "selection.png",
    "manifest.json",
)


def write_outputs(
    result: RunResult, out_dir: Path | str, *, report: Callable[[str], None] | None = None
) -> dict[str, Path]:
    """Write the outputs (:data:`OUTPUT_FILES`) into ``out_dir``.

    Everything is first written to a staging folder inside ``out_dir``; only when
    all are complete do they replace the previous outputs, each with an atomic
    rename. A failure part way leaves the previous outputs as they were.
    """
    say = report or (lambda message: logger.info(message))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(".staging-*"):  # left by a run that was killed
        shutil.rmtree(stale, ignore_errors=True)
    staging = out_dir / f".staging-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        say("writing ranking.csv and results.gpkg...")
        write_ranking(result, staging / "ranking.csv")
        write_geopackage(result, staging / "results.gpkg")
        say("writing map.html...")
        write_map(result, staging / "map.html")
        say("writing report.html...")
        write_report(result, staging / "report.html")
        write_static_map(result, staging / "selection.png")
        write_json(build_manifest(result), staging / "manifest.json")
        paths = {}
        for name in OUTPUT_FILES:
            os.replace(staging / name, out_dir / name)
            paths[name] = out_dir / name
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return paths


__all__ = ["OUTPUT_FILES", "write_outputs"]
