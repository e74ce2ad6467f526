"""``estate-planner batch``: many scenarios (areas, or what-ifs) in one go.

:func:`run_batch` runs each scenario as one task: on the Dask cluster of the
caller's ``distributed.Client`` (or of a running scheduler given by its address),
otherwise in turn in this process. The library never starts worker processes
itself; the ``batch`` command, as the caller, starts a local cluster when asked
for workers (``--workers N``). Tasks share one cache folder: entries are data,
never pickles (:mod:`estate_planner.cache`), and are written by rename, so workers
on many machines can share it safely. A failed scenario is recorded with its
message and the rest finish. Each scenario's outputs go in a folder of its own;
``summary.csv`` and ``summary.html`` line the scenarios up: per area the people and
the need beyond reach of every existing service, the hubs chosen and whom each
brings within reach.
"""

from __future__ import annotations

import html
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from estate_planner._errors import EstatePlannerError
from estate_planner.measures import MEASURES, measure_values

logger = logging.getLogger(__name__)


class BatchError(EstatePlannerError, ConnectionError):
    """The batch could not start: its scheduler is unreachable."""

#: a batch summary's columns: the scenario, then every headline measure
#: (:data:`estate_planner.measures.MEASURES`, as the comparison page shows them)
SUMMARY_COLUMNS = [
    "scenario",
    "name",
    "status",
    "error",
    *(m.key for m in MEASURES),
    "hubs_chosen",
    "seconds",
    "outputs",
]


@dataclass
class BatchResult:
    """What a batch did: one summary row per scenario, and where it was written."""

    summary: pd.DataFrame
    folder: Path

    @property
    def failed(self) -> pd.DataFrame:
        """The scenarios that failed, with their messages."""
        return self.summary[self.summary["status"] != "ok"]


def run_one(scenario_path: str, out_dir: str, cache_folder: str | None) -> dict[str, Any]:
    """Run one scenario and write its outputs: the task each worker runs.

    Parameters
    ----------
    scenario_path : str
        The scenario file.
    out_dir : str
        Its output folder.
    cache_folder : str or None
        The cache shared by every task (None: no cache).

    Returns
    -------
    dict
        One summary row (see :data:`SUMMARY_COLUMNS`); a failure is a row with
        ``status = "failed"`` and the error's message, never an exception.
    """
    start = time.perf_counter()
    row: dict[str, Any] = {"scenario": scenario_path, "outputs": out_dir}
    try:
        from estate_planner import pipeline
        from estate_planner.cache import Cache
        from estate_planner.outputs import Drawing, write_outputs
        from estate_planner.scenario import load_scenario

        scenario = load_scenario(scenario_path)
        row["name"] = scenario.name
        # the shared folder, with this worker's size limit (ESTATE_PLANNER_CACHE_SIZE)
        cache = Cache(Path(cache_folder) if cache_folder else None, Cache.from_env().max_bytes)
        result = pipeline.run(scenario, cache=cache)
        drawing = Drawing(fork=False)  # a worker draws in turn: it is one of many
        write_outputs(result, out_dir, drawing=drawing)
        row.update(_measures(result), status="ok", error="")
    except Exception as exc:  # recorded: one bad scenario must not stop the batch
        from estate_planner._errors import EstatePlannerError

        message = str(exc) if isinstance(exc, EstatePlannerError) else (
            f"internal error: {type(exc).__name__}: {exc}"
        )  # fmt: skip
        row.update(status="failed", error=message)
    row["seconds"] = round(time.perf_counter() - start, 2)
    return row


def _measures(result: Any) -> dict[str, Any]:
    """The run's headline measures (shared with ``compare``) and the hubs it chose."""
    effects = result.decision.effects if result.decision is not None else []
    chosen = "; ".join(f"{e.name} ({e.site_id}): +{e.people:,.0f} people" for e in effects)
    return {**measure_values(result), "hubs_chosen": chosen}


def output_folders(scenarios: Sequence[Path], out: Path) -> list[Path]:
    """One output folder per scenario, named after its file (made unique).

    Parameters
    ----------
    scenarios : sequence of pathlib.Path
    out : pathlib.Path

    Returns
    -------
    list of pathlib.Path
    """
    seen: dict[str, int] = {}
    folders = []
    for path in scenarios:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(path).stem) or "scenario"
        seen[stem] = seen.get(stem, 0) + 1
        folders.append(out / (stem if seen[stem] == 1 else f"{stem}-{seen[stem]}"))
    return folders


def run_batch(
    scenarios: Sequence[Path],
    out: Path,
    *,
    client: Any = None,
    scheduler: str | None = None,
    cache_folder: Path | None = None,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
) -> BatchResult:
    """Run ``scenarios`` as tasks and write a summary across them.

    Without ``client`` or ``scheduler`` the scenarios run one after another in this
    process: library code starts no process the caller did not ask for. To run them
    in parallel, start a cluster and pass its client, e.g.
    ``Client(LocalCluster(n_workers=4, threads_per_worker=1))`` (what
    ``estate-planner batch --workers 4`` does).

    Parameters
    ----------
    scenarios : sequence of pathlib.Path
        Scenario files (areas, or what-ifs of one).
    out : pathlib.Path
        Each scenario's outputs go in ``out/<scenario file name>/``; the summary in
        ``out/summary.csv`` and ``out/summary.html``.
    client : distributed.Client, optional
        The caller's Dask client: each scenario is a task on its cluster, which is
        left running.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``) to connect to
        instead (ignored when ``client`` is given).
    cache_folder : pathlib.Path, optional
        The cache every task shares (default the environment's,
        ``ESTATE_PLANNER_CACHE``); on a cluster of machines, a shared folder.
    progress : callable, optional
        Called as each task finishes with (done, total, its summary row).

    Returns
    -------
    BatchResult

    Raises
    ------
    BatchError
        The scheduler at ``scheduler`` cannot be reached.
    """
    from estate_planner.cache import Cache

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cache = Cache.from_env()
    cache = Cache(cache_folder, cache.max_bytes) if cache_folder is not None else cache
    folder = str(cache.folder) if cache.folder else None
    paths = [str(Path(p).resolve()) for p in scenarios]
    targets = [str(p.resolve()) for p in output_folders(scenarios, out)]
    tasks = list(zip(paths, targets, strict=True))
    rows: list[dict[str, Any]] = []

    def record(row: dict[str, Any]) -> None:
        rows.append(row)
        if progress is not None:
            progress(len(rows), len(tasks), row)

    if client is None and scheduler is None:  # in turn, here
        for path, target in tasks:
            record(run_one(path, target, folder))
    elif client is not None:
        _run_on(client, tasks, folder, record)
    else:
        with _connect(scheduler or "") as own:
            _run_on(own, tasks, folder, record)
    order = {path: i for i, path in enumerate(paths)}
    summary = pd.DataFrame(rows).reindex(columns=SUMMARY_COLUMNS)
    summary = summary.sort_values("scenario", key=lambda s: s.map(order)).reset_index(drop=True)
    summary.to_csv(out / "summary.csv", index=False, float_format="%.6g", lineterminator="\n")
    (out / "summary.html").write_text(summary_page(summary, out), encoding="utf-8")
    return BatchResult(summary, out)


def _connect(scheduler: str) -> Any:
    """A client of the running scheduler at ``scheduler`` (it starts no process)."""
    from distributed import Client

    try:
        return Client(scheduler, timeout="15s")
    except (OSError, TimeoutError) as exc:
        raise BatchError(
            f"could not reach the Dask scheduler at {scheduler} ({exc}); check the "
            "address (tcp://host:8786) and that the scheduler is running, or leave out "
            "--scheduler to run on this machine"
        ) from None


def _run_on(
    client: Any,
    tasks: list[tuple[str, str]],
    folder: str | None,
    record: Callable[[dict[str, Any]], None],
) -> None:
    """Submit one :func:`run_one` task per scenario to ``client``'s cluster."""
    from distributed import as_completed

    futures = {
        client.submit(run_one, path, target, folder, pure=False): (path, target)
        for path, target in tasks
    }
    for future in as_completed(futures):
        path, target = futures[future]
        try:
            row = future.result()
        except Exception as exc:  # the worker itself died
            row = {"scenario": path, "outputs": target, "status": "failed",
                   "error": f"the worker running it failed: {exc}"}  # fmt: skip
        record(row)


def _share(value: float) -> str:
    return "share not known" if pd.isna(value) else f"{value:.0%}"


def summary_page(summary: pd.DataFrame, out: Path) -> str:
    """The batch's summary as a page a person reads (all text escaped).

    Parameters
    ----------
    summary : pandas.DataFrame
        :data:`SUMMARY_COLUMNS` per scenario.
    out : pathlib.Path
        The batch folder (links to each scenario's report are relative to it).

    Returns
    -------
    str
    """
    rows = []
    for r in summary.to_dict("records"):
        name = html.escape(str(r.get("name") or Path(str(r["scenario"])).stem))
        if r["status"] != "ok":
            rows.append(
                f'<tr class="failed"><td>{name}</td><td colspan="5">failed: '
                f"{html.escape(str(r['error']))}</td></tr>"
            )
            continue
        link = Path(str(r["outputs"])).relative_to(out.resolve()).as_posix() + "/report.html"
        hubs = "<br>".join(html.escape(h) for h in str(r["hubs_chosen"] or "").split("; ") if h)
        rows.append(
            f'<tr><td><a href="{html.escape(link)}">{name}</a></td>'
            f'<td class="n">{r["people"]:,.0f}</td>'
            f'<td class="n">{r["people_beyond_reach"]:,.0f} '
            f'({_share(r["share_beyond_reach"])})</td>'
            f'<td class="n">{r["people_brought_within_reach"]:,.0f}</td>'
            f'<td class="n">{int(r["hubs"])}</td><td>{hubs or "none"}</td></tr>'
        )
    failed = int((summary["status"] != "ok").sum())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>estate-planner batch summary</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #1d1d1d; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .4rem .6rem; text-align: left;
  vertical-align: top; }}
th {{ background: #f3f3f3; }} td.n {{ text-align: right; white-space: nowrap; }}
tr.failed td {{ color: #a00; }}
</style></head><body>
<h1>Batch summary: {len(summary)} scenarios{f", {failed} failed" if failed else ""}</h1>
<p>Per scenario: people, those beyond reach of every existing service on the
selection mode (and their share), those the chosen hubs bring within reach, and what
each hub adds. Each name links to the scenario's own report.</p>
<table><thead><tr><th>scenario</th><th>people</th><th>beyond reach now</th>
<th>brought within reach</th><th>hubs</th><th>hubs chosen (people each adds)</th>
</tr></thead><tbody>
{"".join(rows)}
</tbody></table>
<p>Data: © OpenStreetMap contributors (ODbL); ONS, MHCLG and NHS data under the Open
Government Licence v3.0; see each report for its sources.</p>
</body></html>
"""
