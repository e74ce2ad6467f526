"""Outputs of a run: tables, GeoPackage, map, report and manifest, written atomically.

This package's import is light on purpose: the drawing process (:class:`Drawing`)
starts before the pipeline's heavy modules load.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from estate_planner.outputs.summary import MapView
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
    result: RunResult,
    out_dir: Path | str,
    *,
    report: Callable[[str], None] | None = None,
    drawing: Drawing | None = None,
) -> dict[str, Path]:
    """Write the outputs (:data:`OUTPUT_FILES`) into ``out_dir``.

    Everything is first written to a staging folder inside ``out_dir``; only when
    all are complete do they replace the previous outputs, each with an atomic
    rename. A failure part way leaves the previous outputs as they were.
    ``drawing`` is a drawing process started earlier (the command starts one before
    loading the pipeline); without one, one is started here.
    """
    from estate_planner.outputs.manifest import build_manifest, write_json
    from estate_planner.outputs.report import write_report
    from estate_planner.outputs.summary import view_of
    from estate_planner.outputs.tables import write_geopackage, write_ranking

    say = report or (lambda message: logger.info(message))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(".staging-*"):  # left by a run that was killed
        shutil.rmtree(stale, ignore_errors=True)
    staging = out_dir / f".staging-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    own = drawing is None
    drawer = Drawing() if drawing is None else drawing
    done = False
    try:
        say("writing ranking.csv, results.gpkg, map.html, report.html and selection.png...")
        drawer.draw(view_of(result), staging)
        write_ranking(result, staging / "ranking.csv")
        write_geopackage(result, staging / "results.gpkg")
        write_report(result, staging / "report.html")
        write_json(build_manifest(result), staging / "manifest.json")
        drawer.wait()
        paths = {}
        for name in OUTPUT_FILES:
            os.replace(staging / name, out_dir / name)
            paths[name] = out_dir / name
        done = True
    finally:
        if not done:
            drawer.stop()
        elif own:
            drawer.close()
        shutil.rmtree(staging, ignore_errors=True)
    return paths


class Drawing:
    """Writes ``map.html`` and ``selection.png`` in a forked process.

    Why: they are most of the work of writing outputs (folium renders every marker
    through Jinja; matplotlib is slow to load), and need nothing the other outputs
    write, so on two cores they cost little wall time. Started with ``warm=True``
    before the pipeline loads, the process also loads folium and matplotlib while
    this one reads the inputs. Where fork is unavailable (Windows, macOS) the maps
    are drawn here, in turn.
    """

    def __init__(self, *, warm: bool = False) -> None:
        self.process: Any = None
        self.pending: tuple[MapView, Path] | None = None
        if sys.platform != "linux":
            return
        context = multiprocessing.get_context("fork")
        self.connection, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child, self.connection, warm), daemon=True
        )
        self.process.start()
        child.close()

    def draw(self, view: MapView, folder: Path) -> None:
        """Start drawing both maps of ``view`` into ``folder``."""
        if self.process is None:
            self.pending = (view, folder)
        else:
            self.connection.send((view, folder))

    def wait(self) -> None:
        """Wait until both maps are written; raise if drawing failed."""
        if self.process is None:
            if self.pending is not None:
                _draw(*self.pending)
                self.pending = None
            return
        try:
            message = self.connection.recv()
        except EOFError:
            self.process.join()
            message = f"the drawing process stopped (exit code {self.process.exitcode})"
            self.process = None
        if message is not None:
            raise RuntimeError(f"drawing map.html and selection.png failed: {message}")

    def close(self) -> None:
        """Let the process finish (it is done with when the run is)."""
        if self.process is not None:
            self.connection.close()
            self.process.join(timeout=10)
            self.stop()

    def stop(self) -> None:
        """End the process now (an error or Ctrl-C part way)."""
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
            self.process.join()
        self.process = None


def _draw(view: MapView, folder: Path, *, split: bool = False) -> None:
    """Write both maps; with ``split`` (in the drawing process) the static one is drawn
    in a forked process of its own, at the same time as the web map."""
    from estate_planner.outputs import static
    from estate_planner.outputs.maps import write_map

    if not split:
        write_map(view, folder / "map.html")
        static.write_static_map(view, folder / "selection.png")
        return
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the forked process
        os.close(read)
        said = b""
        try:
            static.write_static_map(view, folder / "selection.png")
        except BaseException as exc:
            said = f"{type(exc).__name__}: {exc}".encode()
        os.write(write, said)
        os._exit(0)
    os.close(write)
    try:
        write_map(view, folder / "map.html")
    finally:
        with os.fdopen(read, "rb") as pipe:
            message = pipe.read().decode()
        os.waitpid(pid, 0)
    if message:
        raise _DrawingError(message)


class _DrawingError(Exception):
    """Drawing failed in the forked process; the message says how."""


def _serve(connection: Any, callers_end: Any, warm: bool) -> None:
    """The drawing process: load the drawing libraries, then draw what is asked."""
    callers_end.close()  # or closing it in the caller would never reach us as end of file
    if warm:
        try:
            import matplotlib.backends.backend_agg  # noqa: F401

            from estate_planner.outputs import maps, static  # noqa: F401
        except Exception:  # drawing imports them again, and reports what fails
            pass
    while True:
        try:
            request = connection.recv()
        except (EOFError, KeyboardInterrupt):
            return
        try:
            _draw(*request, split=True)
        except _DrawingError as exc:
            connection.send(str(exc))
        except BaseException as exc:  # the caller raises it; here it is only reported
            connection.send(f"{type(exc).__name__}: {exc}")
        else:
            connection.send(None)


__all__ = ["OUTPUT_FILES", "Drawing", "write_outputs"]
