"""``estate-planner batch``: many scenarios on Dask, each as if run alone."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from estate_planner.batch import output_folders, run_batch
from estate_planner.cli import main

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden"
WHATIFS = sorted((REPO / "data" / "whatifs").glob("*.toml"))


@pytest.mark.usefixtures("shared_data")
def test_a_batch_on_a_two_worker_cluster_gives_each_scenarios_own_answer(
    tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "broken"\n[demand]\nareas = "nowhere.geojson"\n')
    demo = REPO / "data" / "demo" / "scenario.toml"
    rutland = REPO / "scenarios" / "rutland.toml"
    scenarios = [demo, rutland, *WHATIFS, broken]
    out = tmp_path / "batch"
    code = main(["-q", "batch", *map(str, scenarios), "--out", str(out), "--workers", "2"])
    assert code == 2  # one scenario failed: said in the exit code, the rest finished
    summary = pd.read_csv(out / "summary.csv")
    assert summary["scenario"].tolist() == [str(p.resolve()) for p in scenarios]
    assert summary["status"].tolist() == ["ok"] * 5 + ["failed"]
    assert "required key 'network' is missing" in summary["error"].iloc[-1]
    folders = output_folders(scenarios, out)
    # byte for byte what each gives when run alone
    assert (folders[0] / "ranking.csv").read_bytes() == (GOLDEN / "demo" / "ranking.csv").read_bytes()
    assert (folders[1] / "ranking.csv").read_bytes() == (
        GOLDEN / "rutland" / "ranking.csv"
    ).read_bytes()
    for scenario, folder in zip(WHATIFS, folders[2:5], strict=True):
        alone = tmp_path / "alone" / scenario.stem
        assert main(["-q", "run", str(scenario), "--out", str(alone)]) == 0
        assert (folder / "ranking.csv").read_bytes() == (alone / "ranking.csv").read_bytes()
    assert not folders[5].exists() or not (folders[5] / "ranking.csv").exists()
    # the summary's numbers are each run's own
    row = summary.iloc[1]
    assert row["people"] == 41_043 and row["hubs"] == 3
    # 34 Melton Road, a point with no floor area, is set aside by the 100 m² minimum
    assert "Ryhall Village Hall" in row["hubs_chosen"]
    page = (out / "summary.html").read_text()
    assert "6 scenarios, 1 failed" in page and 'href="rutland/report.html"' in page
    assert "Traceback" not in capsys.readouterr().err


def test_a_running_scheduler_is_used_when_given(tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
        result = run_batch(
            [REPO / "data" / "demo" / "scenario.toml"],
            tmp_path / "out",
            scheduler=cluster.scheduler_address,
            cache_folder=tmp_path / "cache",
        )
        assert "run_one" in cluster.scheduler.task_prefixes  # it ran on this cluster
        with Client(cluster) as client:
            assert client.run(lambda: 1)  # still up: the batch did not close it
    assert result.failed.empty
    ranking = tmp_path / "out" / "scenario" / "ranking.csv"
    assert ranking.read_bytes() == (GOLDEN / "demo" / "ranking.csv").read_bytes()
    assert any((tmp_path / "cache").glob("stages.routing.street_times-*.npz"))  # shared cache used


def test_output_folders_are_unique() -> None:
    folders = output_folders([Path("a/x.toml"), Path("b/x.toml"), Path("c/y z.toml")], Path("o"))
    assert [f.name for f in folders] == ["x", "x-2", "y-z"]


@pytest.mark.parametrize("scheduler", ["tcp://127.0.0.1:9"])
def test_an_unreachable_scheduler_is_a_clear_error(tmp_path: Path, capsys, scheduler: str) -> None:  # type: ignore[no-untyped-def]
    code = main(["-q", "batch", str(REPO / "data" / "demo" / "scenario.toml"), "--out",
                 str(tmp_path), "--scheduler", scheduler])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "scheduler" in err and "Traceback" not in err


def test_a_batch_prints_no_dask_info_lines_before_its_bar(tmp_path: Path) -> None:
    """Issue 28 item 10: a batch run printed 33 INFO lines from Dask."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "estate_planner.cli", "batch",
         str(REPO / "data" / "demo" / "scenario.toml"), "--out", str(tmp_path / "out"),
         "--workers", "1"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    said = done.stderr.splitlines()
    assert not [line for line in said if line.startswith("INFO")], said[:5]
    assert "1 of 1 scenarios ran" in done.stdout


def test_without_a_client_the_batch_runs_here_and_starts_no_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24 item 5: library code never forks processes behind the caller's back."""
    import multiprocessing.process
    import os
    import subprocess

    import distributed
    import psutil

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("run_batch started a process the caller did not ask for")

    monkeypatch.setattr(os, "fork", refuse)
    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refuse)
    monkeypatch.setattr(distributed, "LocalCluster", refuse)
    monkeypatch.setattr(distributed, "Client", refuse)
    me = psutil.Process()
    before = {child.pid for child in me.children(recursive=True)}
    seen: list[int] = []
    result = run_batch(
        [REPO / "data" / "demo" / "scenario.toml"],
        tmp_path / "out",
        cache_folder=tmp_path / "cache",
        progress=lambda done, _total, _row: seen.append(done),
    )
    after = {child.pid for child in me.children(recursive=True)}
    assert after <= before
    assert seen == [1]
    assert result.failed.empty, result.summary["error"].tolist()
    ranking = tmp_path / "out" / "scenario" / "ranking.csv"
    assert ranking.read_bytes() == (GOLDEN / "demo" / "ranking.csv").read_bytes()


def test_the_callers_client_is_used_and_left_open(tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        result = run_batch(
            [REPO / "data" / "demo" / "scenario.toml"], tmp_path / "out", client=client,
            cache_folder=tmp_path / "cache",
        )  # fmt: skip
        assert "run_one" in cluster.scheduler.task_prefixes
        assert client.status == "running"
    assert result.failed.empty


def test_workers_below_one_is_a_clear_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["-q", "batch", str(REPO / "data" / "demo" / "scenario.toml"), "--out",
                 str(tmp_path), "--workers", "0"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "--workers" in err and "Traceback" not in err
