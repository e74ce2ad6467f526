"""Outputs of a run: tables, GeoPackage, map, report and manifest, written atomically.

This package's import is light on purpose: the drawing process (:class:`Drawing`)
starts before the pipeline's heavy modules load.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from estate_planner._errors import OutputError

try:  # advisory file locks: POSIX only
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    import numpy as np

    from estate_planner.cache import Cache
    from estate_planner.outputs.summary import MapView
    from estate_planner.results import RunResult

logger = logging.getLogger(__name__)

OUTPUT_FILES = (
    "ranking.csv",
    "hubs.csv",
    "results.gpkg",
    "map.html",
    "report.html",
    "selection.png",
    "manifest.json",
    "ledger.csv",
    "ledger.xlsx",
    "catchment_agreement.csv",
    "moved_patients.csv",
)


def write_outputs(
    result: RunResult,
    out_dir: Path | str,
    *,
    report: Callable[[str], None] | None = None,
    drawing: Drawing | None = None,
    cache: Cache | None = None,
) -> dict[str, Path]:
    """Write the outputs (:data:`OUTPUT_FILES`) into ``out_dir``, as one set.

    Everything is first written to a staging folder inside ``out_dir``; only when all
    are complete are they moved in over the previous outputs. A failure or a signal
    before that leaves the previous outputs as they were; a run killed while moving
    them in is finished by the next run into the folder.

    Parameters
    ----------
    result : RunResult
    out_dir : path
        Created if needed.
    report : callable, optional
        Called with a line of progress.
    drawing : Drawing, optional
        A drawing process started earlier (the command starts one before loading the
        pipeline); without one the maps are drawn here, in turn: library code never
        starts a process the caller did not ask for.
    cache : Cache, optional
        Where the two maps are kept between runs, keyed by what they draw (default: the
        cache the run used, none if it used none): a rerun whose maps would be drawn
        the same reads them back instead of loading folium and matplotlib.

    Returns
    -------
    dict
        File name -> path written.
    """
    from estate_planner.outputs.economics import write_ledger, write_workbook
    from estate_planner.outputs.manifest import build_manifest, write_json
    from estate_planner.outputs.registered import write_agreement, write_moves
    from estate_planner.outputs.report import write_report
    from estate_planner.outputs.summary import view_of
    from estate_planner.outputs.tables import write_geopackage, write_hubs, write_ranking

    say = report or (lambda message: logger.info(message))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out_dir)
    staging, alive = _new_staging(out_dir)
    own = drawing is None
    drawer = Drawing(fork=False) if drawing is None else drawing
    done = False
    try:
        say("writing ranking.csv, hubs.csv, results.gpkg, map.html, report.html, selection.png...")
        drawer.draw(view_of(result), staging, _cache_of(result) if cache is None else cache)
        write_ranking(result, staging / "ranking.csv")
        write_hubs(result, staging / "hubs.csv")
        write_geopackage(result, staging / "results.gpkg")
        write_report(result, staging / "report.html")
        write_ledger(result, staging / "ledger.csv")
        write_workbook(result, staging / "ledger.xlsx")
        write_agreement(result, staging / "catchment_agreement.csv")
        write_moves(result, staging / "moved_patients.csv")
        write_json(build_manifest(result), staging / "manifest.json")
        drawer.wait()
        # from here the new set is whole: a swap once begun is finished, never undone
        # the marker lists the set, so a move finished later knows which files it holds
        written = [name for name in OUTPUT_FILES if (staging / name).exists()]
        (staging / COMPLETE).write_text("\n".join(written) + "\n")
        _move_in(staging, out_dir)
        done = True
        remove_stale_staging(out_dir, finish=False)  # this run's set supersedes theirs
    finally:
        if not done:
            drawer.stop()
            if (staging / COMPLETE).exists():  # interrupted mid-swap (Ctrl-C): finish it
                _move_in(staging, out_dir)
        elif own:
            drawer.close()
        shutil.rmtree(staging, ignore_errors=True)
        _release(alive)
    return {name: out_dir / name for name in OUTPUT_FILES}


def _cache_of(result: RunResult) -> Cache:
    """The cache ``result``'s run used (``cache_status["folder"]``), at the size limit the
    environment sets; no cache if the run used none."""
    from estate_planner.cache import Cache

    folder = result.cache_status.get("folder")
    return Cache(Path(folder), Cache.from_env().max_bytes) if folder else Cache(None)


#: marks a staging folder whose outputs are all written: moving them in may begin
COMPLETE = ".complete"


def _move_in(staging: Path, out_dir: Path) -> None:
    """Move the staged outputs still in ``staging`` into ``out_dir``.

    One run at a time moves its files in, so two runs into one folder both finish and
    the later one wins. Six renames are not one atomic step: a run killed between them
    leaves its staging folder marked complete, and the next run into the folder
    finishes the move before anything else (:func:`remove_stale_staging`). An output of
    an earlier set that this set does not hold is removed, so the folder never mixes
    two runs.
    """
    marker = staging / COMPLETE
    written = set(marker.read_text().split()) if marker.exists() else set()
    with _locked(out_dir / ".estate-planner.lock"):
        for name in OUTPUT_FILES:
            if (staging / name).exists():
                os.replace(staging / name, out_dir / name)
            elif written and name not in written:
                # a file of an earlier set this run does not write (a ledger, an
                # agreement table): left beside the new set it would read as current
                (out_dir / name).unlink(missing_ok=True)


def _new_staging(out_dir: Path) -> tuple[Path, Any]:
    """A staging folder, and the lock held on it while this run lives. The folder is
    made and locked under another name, then renamed: no other run ever sees a
    ``.staging-*`` folder without its lock held."""
    name = uuid.uuid4().hex[:8]
    starting = out_dir / f".starting-{name}"
    starting.mkdir()
    alive = _hold(starting / ".lock")
    staging = out_dir / f".staging-{name}"
    os.replace(starting, staging)
    return staging, alive


def remove_stale_staging(out_dir: Path, *, finish: bool = True) -> None:
    """Clear up after killed runs, and only those.

    A live run holds a lock on its staging folder's ``.lock``, which the system releases
    when the process ends. A run killed while moving its outputs in has its move
    finished; other staging folders go.

    Parameters
    ----------
    out_dir : pathlib.Path
    finish : bool
        Finish interrupted moves (false once a later run's outputs are in).
    """
    for stale in [*out_dir.glob(".staging-*"), *out_dir.glob(".starting-*")]:
        handle = _try_hold(stale / ".lock")
        if handle is None:
            continue  # a live run is writing there (or no lock tells us otherwise)
        try:
            if finish and (stale / COMPLETE).exists():
                logger.warning("finishing the outputs of a run killed while moving them in")
                _move_in(stale, out_dir)
            shutil.rmtree(stale, ignore_errors=True)
        finally:
            _release(handle)


def _hold(path: Path) -> Any:
    """An open file holding an exclusive lock on ``path`` (blocks until free)."""
    handle = open(path, "a+")  # noqa: SIM115 - held for the run, released by _release
    if fcntl is not None:
        fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def _try_hold(path: Path) -> Any | None:
    """``_hold`` without waiting: None when another process holds the lock, or when
    there is no lock to go by (no lock file: a run starting; no ``fcntl``: Windows)."""
    if fcntl is None or not path.exists():
        return None
    handle = open(path, "a+")  # noqa: SIM115 - released by _release
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def _release(handle: Any) -> None:
    handle.close()  # closing the file releases its lock


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    handle = _hold(path)
    try:
        yield
    finally:
        _release(handle)


class Drawing:
    """Writes ``map.html`` and ``selection.png`` in a forked process.

    Why: they are most of the work of writing outputs (folium renders every marker
    through Jinja; matplotlib is slow to load), and need nothing the other outputs
    write, so on two cores they cost little wall time. Started with ``warm=True``
    before the pipeline loads, the process also loads folium and matplotlib while
    this one reads the inputs (unless asked to draw within :data:`WARM_WAIT_S`: maps
    drawn before are read back from the cache without them). Where fork is
    unavailable (Windows, macOS) the maps are drawn here, in turn.
    """

    def __init__(self, *, warm: bool = False, fork: bool = True) -> None:
        self.process: Any = None
        self.pending: tuple[MapView, Path, Cache | None] | None = None
        if sys.platform != "linux" or not fork:  # drawn here, in turn (a batch worker)
            return
        context = multiprocessing.get_context("fork")
        self.connection, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child, self.connection, warm), daemon=True
        )
        self.process.start()
        child.close()

    def draw(self, view: MapView, folder: Path, cache: Cache | None = None) -> None:
        """Start drawing both maps of ``view`` into ``folder``.

        Parameters
        ----------
        view : MapView
        folder : pathlib.Path
        cache : Cache, optional
            Where drawn maps are kept (:func:`map_html`, :func:`selection_png`).
        """
        if self.process is None:
            self.pending = (view, folder, cache)
        else:
            self.connection.send((view, folder, cache))

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
            raise OutputError(
                f"drawing map.html and selection.png failed: {message}; the previous outputs "
                "are unchanged"
            )

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


def map_html(view: MapView, background: Path | None) -> np.ndarray:
    """``map.html``'s bytes (UTF-8, as a ``uint8`` array the cache stores) for ``view``.

    Parameters
    ----------
    view : MapView
    background : pathlib.Path or None
        The OSM extract the offline background is read from (:func:`background_of`): an
        argument, so the cache keys the file's content, not only its name.

    Returns
    -------
    numpy.ndarray
    """
    import numpy as np

    from estate_planner.outputs.maps import map_bytes

    return np.frombuffer(map_bytes(_with_background(view, background)), dtype=np.uint8)


def selection_png(view: MapView, background: Path | None) -> np.ndarray:
    """``selection.png``'s bytes (as a ``uint8`` array the cache stores) for ``view``.

    Parameters
    ----------
    view : MapView
    background : pathlib.Path or None
        As for :func:`map_html`.

    Returns
    -------
    numpy.ndarray
    """
    import numpy as np

    from estate_planner.outputs.static import static_png

    return np.frombuffer(static_png(_with_background(view, background)), dtype=np.uint8)


def background_of(view: MapView) -> Path | None:
    """The OSM file ``view``'s background is drawn from, None if it names no file.

    Parameters
    ----------
    view : MapView

    Returns
    -------
    pathlib.Path or None
    """
    named = view.scenario.osm
    return Path(named) if named and Path(named).is_file() else None


def _with_background(view: MapView, background: Path | None) -> MapView:
    import dataclasses

    scenario = dataclasses.replace(view.scenario, osm=str(background) if background else "")
    return dataclasses.replace(view, scenario=scenario)


def _drawn(
    func: Callable[[MapView, Path | None], np.ndarray], view: MapView, cache: Cache | None
) -> bytes:
    from estate_planner.cache import Cache

    return (cache or Cache(None)).call(func, view, background_of(view)).tobytes()


def _draw(view: MapView, folder: Path, cache: Cache | None = None, *, split: bool = False) -> None:
    """Write both maps, read back from ``cache`` where drawn before; with ``split`` (in
    the drawing process) the static one is drawn in a forked process of its own, at the
    same time as the web map."""
    if not split:
        (folder / "map.html").write_bytes(_drawn(map_html, view, cache))
        (folder / "selection.png").write_bytes(_drawn(selection_png, view, cache))
        return
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the forked process
        os.close(read)
        said = b""
        try:
            (folder / "selection.png").write_bytes(_drawn(selection_png, view, cache))
        except BaseException as exc:
            said = f"{type(exc).__name__}: {exc}".encode()
        os.write(write, said)
        os._exit(0)
    os.close(write)
    try:
        (folder / "map.html").write_bytes(_drawn(map_html, view, cache))
    finally:
        with os.fdopen(read, "rb") as pipe:
            message = pipe.read().decode()
        os.waitpid(pid, 0)
    if message:
        raise _DrawingError(message)


class _DrawingError(OutputError):
    """Drawing failed in the forked process; the message says how."""


#: seconds the drawing process waits for a request before loading folium and matplotlib:
#: a cached rerun asks sooner and finds its maps in the cache, so never loads them; a
#: first run asks far later, and finds them loaded
WARM_WAIT_S = 4.0


def _serve(connection: Any, callers_end: Any, warm: bool) -> None:
    """The drawing process: load what reading a request and its cache entries needs;
    then, unless a request came within :data:`WARM_WAIT_S` (a rerun whose maps are
    likely in the cache), the drawing libraries; then draw what is asked."""
    callers_end.close()  # or closing it in the caller would never reach us as end of file
    if warm:
        try:
            from estate_planner import cache  # noqa: F401
            from estate_planner.outputs import summary  # noqa: F401

            if not connection.poll(WARM_WAIT_S):
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
            said: str | None = str(exc)
        except BaseException as exc:  # the caller raises it; here it is only reported
            said = f"{type(exc).__name__}: {exc}"
        else:
            said = None
        try:
            connection.send(said)
        except (BrokenPipeError, EOFError, OSError):  # the caller has gone: nobody to tell
            return


__all__ = ["OUTPUT_FILES", "Drawing", "write_outputs"]
