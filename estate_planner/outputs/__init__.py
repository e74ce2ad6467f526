"""Outputs of a run: tables, GeoPackage, map, report and manifest, written atomically."""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from estate_planner.outputs.manifest import build_manifest, write_json
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
    drawing = None
    try:
        say("writing ranking.csv, results.gpkg, map.html, report.html and selection.png...")
        drawing = _Alongside(write_static_map, result, staging / "selection.png")
        from estate_planner.outputs.maps import write_map  # folium loads while it draws

        write_ranking(result, staging / "ranking.csv")
        write_geopackage(result, staging / "results.gpkg")
        write_map(result, staging / "map.html")
        write_report(result, staging / "report.html")
        write_json(build_manifest(result), staging / "manifest.json")
        drawing.wait()
        paths = {}
        for name in OUTPUT_FILES:
            os.replace(staging / name, out_dir / name)
            paths[name] = out_dir / name
    finally:
        if drawing is not None:
            drawing.stop()
        shutil.rmtree(staging, ignore_errors=True)
    return paths


class _Alongside:
    """Run ``fn(*args)`` in a forked process while the caller writes the other outputs.

    Why: drawing selection.png with matplotlib (import included) is the slowest output
    and needs nothing the others write, so on two cores it costs no wall time. Where
    fork is unavailable (Windows, macOS) it runs here and now.
    """

    def __init__(self, fn: Callable[..., None], *args: Any) -> None:
        self.process = None
        if sys.platform != "linux":
            fn(*args)
            return
        context = multiprocessing.get_context("fork")
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=_report_to, args=(send, fn, *args), daemon=True)
        self.process.start()
        send.close()

    def wait(self) -> None:
        """Wait for the child; raise if it failed."""
        if self.process is None:
            return
        try:
            message = self.receive.recv()
        except EOFError:
            message = f"the drawing process stopped (exit code {self.process.exitcode})"
        self.process.join()
        self.process = None
        if message is not None:
            raise RuntimeError(f"drawing selection.png failed: {message}")

    def stop(self) -> None:
        """End the child if the caller gave up part way (an error, Ctrl-C)."""
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
            self.process.join()


def _report_to(send: Any, fn: Callable[..., None], *args: Any) -> None:
    try:
        fn(*args)
    except BaseException as exc:  # the parent raises it; the child only reports
        send.send(f"{type(exc).__name__}: {exc}")
    else:
        send.send(None)


__all__ = ["OUTPUT_FILES", "write_outputs"]
