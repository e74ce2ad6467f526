"""What a run wrote, reduced to what must not change when the code is restructured.

``ranking.csv`` is kept byte for byte; ``results.gpkg`` as each layer's row count,
column types and a hash of every column (geometry as WKB), so a failure names the
column that changed; ``manifest.json`` whole, less what differs between machines and
runs (timings, the cache folder, where the input files lie, the package version).

Update after an intended change of results (and say why in the commit)::

    .venv/bin/python -m tests.golden.snapshot
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
#: scenario name -> its golden folder
CASES = ("demo", "rutland")


def _column_hash(values: pd.Series) -> str:
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        data = np.ascontiguousarray(values.to_numpy(dtype=float)).tobytes()
    else:
        data = json.dumps([None if pd.isna(v) else str(v) for v in values]).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def gpkg_summary(path: Path) -> dict[str, Any]:
    """Each layer's rows, column types and a hash per column."""
    out: dict[str, Any] = {}
    for name, _ in pyogrio.list_layers(path):
        frame = pyogrio.read_dataframe(path, layer=name)
        columns = {
            column: [str(frame[column].dtype), _column_hash(frame[column])]
            for column in frame.columns.drop("geometry")
        }
        wkb = b"".join(frame.geometry.to_wkb())
        out[name] = {
            "rows": len(frame),
            "columns": columns,
            "geometry": hashlib.sha256(wkb).hexdigest()[:16],
        }
    return out


def manifest_summary(path: Path) -> dict[str, Any]:
    """The manifest less timings, cache status and folder, input paths and versions."""
    manifest = json.loads(path.read_text())
    for key in ("timings_s", "version", "cache"):
        manifest.pop(key, None)
    manifest.get("scenario", {}).pop("hash", None)  # its paths are machine-specific
    for record in manifest.get("inputs", []):
        if record.get("path"):
            record["path"] = Path(record["path"]).name
    return manifest


def snapshot(folder: Path) -> dict[str, Any]:
    """The golden record of a run's output folder."""
    return {
        "results.gpkg": gpkg_summary(folder / "results.gpkg"),
        "manifest.json": manifest_summary(folder / "manifest.json"),
    }


def scenario_path(case: str, demo_dir: Path) -> Path:
    return demo_dir / "scenario.toml" if case == "demo" else REPO / "scenarios" / f"{case}.toml"


def write(case: str, out: Path) -> None:
    """Store ``out``'s ranking and snapshot as the golden record of ``case``."""
    target = HERE / case
    target.mkdir(exist_ok=True)
    shutil.copyfile(out / "ranking.csv", target / "ranking.csv")
    text = json.dumps(snapshot(out), indent=1, sort_keys=True)
    (target / "snapshot.json").write_text(text + "\n")


def main() -> int:
    from estate_planner.cli import main as cli
    from estate_planner.demo import write_demo

    with tempfile.TemporaryDirectory() as tmp:
        demo_dir = Path(tmp) / "demo"
        write_demo(demo_dir)
        for case in CASES:
            out = Path(tmp) / f"out-{case}"
            if cli(["-q", "run", str(scenario_path(case, demo_dir)), "--out", str(out)]):
                return 1
            write(case, out)
            print(f"golden record of {case} written to {HERE / case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
