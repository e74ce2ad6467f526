"""What a run wrote, reduced to what must not change when the code is restructured.

Every table (``ranking.csv`` and each layer of ``results.gpkg``) is kept column by
column: ids, text, integers and flags exactly (as a hash, so a failure names the
column), float columns as their values, geometries as a few measures per row (type
exactly; area, length, bounds and centroid as floats). ``manifest.json`` is kept whole,
less what differs between machines and runs (timings, the cache folder, where the input
files lie, the package version).

:func:`compare` holds integers, ids, strings and orders (of rows and of columns) to
exact equality and floats to :data:`RTOL` (see there for why). A bit-for-bit hash of
float columns failed on a fresh install with the newest numpy and pandas while the
ranking was identical: the golden record must catch a changed result, not a changed
last bit.

Update after an intended change of results (and say why in the commit)::

    .venv/bin/python -m tests.golden.snapshot
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import shapely

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
#: scenario name -> its golden folder
CASES = ("demo", "rutland")
#: the layout of ``snapshot.json``
FORMAT = 2

#: Floats agree when they differ by at most RTOL of the larger of the two, or RTOL of
#: the largest magnitude in their column (for values that are a difference of larger
#: ones and so near zero). Why 1e-9: a newer numpy, pandas or scipy may add the same
#: terms in another order (pairwise or SIMD summation, a reordered groupby), which moves
#: a sum by about 1e-16 of its size per term, some 1e-13 after the thousands of terms of
#: an access score; 1e-9 is ten thousand times that. A change that means anything is far
#: larger: a second in a 20-minute travel time is 1e-3, one person in Rutland's 41,000
#: is 2e-5, a metre at British National Grid coordinates is 2e-6.
RTOL = 1e-9


def _hash(items: list[Any]) -> str:
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:16]


def _kind(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "bool"
    if pd.api.types.is_integer_dtype(values):
        return "int"
    if pd.api.types.is_float_dtype(values):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "datetime"
    return "text"  # object, pandas' str and string dtypes alike


def _floats(values: Any) -> list[float | None]:
    # 12 significant digits: well inside RTOL, and a third smaller on disk
    floats = np.asarray(values, dtype=float).tolist()
    return [None if math.isnan(v) else float(f"{v:.12g}") for v in floats]


def column_summary(values: pd.Series) -> dict[str, Any]:
    """A column's kind and, floats aside, a hash of its values (floats are kept whole)."""
    kind = _kind(values)
    if kind == "float":
        return {"kind": kind, "values": _floats(values)}
    items = [None if pd.isna(v) else str(v) for v in values.astype(object)]
    return {"kind": kind, "hash": _hash(items)}


def geometry_summary(geometry: Any) -> dict[str, Any]:
    """Geometry types exactly; area, length, bounds and centroid per row as floats."""
    geoms = np.asarray(geometry)
    types = [None if g is None else g.geom_type for g in geoms]
    centroid = shapely.centroid(geoms)
    measures = np.column_stack(
        [
            shapely.area(geoms),
            shapely.length(geoms),
            shapely.bounds(geoms),
            shapely.get_x(centroid),
            shapely.get_y(centroid),
        ]
    )
    return {"types": _hash(types), "measures": [_floats(row) for row in measures]}


def gpkg_summary(path: Path) -> dict[str, Any]:
    """Each layer's rows, columns (in order) and geometry."""
    out: dict[str, Any] = {}
    for name, _ in pyogrio.list_layers(path):
        frame = pyogrio.read_dataframe(path, layer=name)
        out[name] = {
            "rows": len(frame),
            "columns": {c: column_summary(frame[c]) for c in frame.columns.drop("geometry")},
            "geometry": geometry_summary(frame.geometry),
        }
    return out


def csv_summary(path: Path) -> dict[str, Any]:
    """A CSV's header and, column by column, its text or (where every cell is a number
    written with a decimal point or exponent) its floats."""
    with path.open(newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    columns: dict[str, Any] = {}
    for i, name in enumerate(header):
        cells = [row[i] for row in rows]
        numbers = [c for c in cells if c != ""]
        if (
            numbers
            and all(_is_float(c) for c in numbers)
            and any(("." in c or "e" in c.lower()) for c in numbers)
        ):
            columns[name] = {"kind": "float", "values": [float(c) if c else None for c in cells]}
        else:
            columns[name] = {"kind": "text", "hash": _hash(cells)}
    return {"rows": len(rows), "columns": columns}


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


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
        "format": FORMAT,
        "ranking.csv": csv_summary(folder / "ranking.csv"),
        "results.gpkg": gpkg_summary(folder / "results.gpkg"),
        "manifest.json": manifest_summary(folder / "manifest.json"),
    }


def compare(got: Any, expected: Any, where: str = "") -> list[str]:
    """Every difference between two snapshots (or parts), each naming where it is.

    Floats agree within :data:`RTOL`; everything else exactly: integers, text, the
    order of rows, and the order of a table's columns.
    """
    if isinstance(expected, dict) and isinstance(got, dict):
        ordered = where.endswith("/columns")
        if (list(got) if ordered else sorted(got)) != (
            list(expected) if ordered else sorted(expected)
        ):
            return [f"{where}: keys {list(got)} != expected {list(expected)}"]
        if expected.get("kind") == "float" and "values" in expected:
            return _compare_floats(got.get("values", []), expected["values"], where)
        if "measures" in expected:  # geometry: types exactly, measures as floats
            flat = [v for row in got["measures"] for v in row]
            differ = _compare_floats(flat, [v for r in expected["measures"] for v in r], where)
            return compare(got["types"], expected["types"], f"{where}/types") + differ
        return [d for k in expected for d in compare(got[k], expected[k], f"{where}/{k}")]
    if isinstance(expected, list) and isinstance(got, list):
        if len(got) != len(expected):
            return [f"{where}: {len(got)} items != expected {len(expected)}"]
        return [d for i, (g, e) in enumerate(zip(got, expected, strict=True))
                for d in compare(g, e, f"{where}[{i}]")]  # fmt: skip
    if isinstance(expected, float) and isinstance(got, float | int) and not isinstance(got, bool):
        return _compare_floats([got], [expected], where)
    if isinstance(got, float) and isinstance(expected, int) and not isinstance(expected, bool):
        return _compare_floats([got], [expected], where)
    if type(got) is not type(expected) or got != expected:
        return [f"{where}: {got!r} != expected {expected!r}"]
    return []


def _compare_floats(got: list[Any], expected: list[Any], where: str) -> list[str]:
    if len(got) != len(expected):
        return [f"{where}: {len(got)} values != expected {len(expected)}"]
    a = np.array([np.nan if v is None else v for v in got], dtype=float)
    b = np.array([np.nan if v is None else v for v in expected], dtype=float)
    finite = np.isfinite(b)
    scale = float(np.abs(b[finite]).max()) if finite.any() else 0.0
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    close = np.abs(a - b) <= RTOL * np.maximum(np.maximum(np.abs(a), np.abs(b)), scale)
    bad = np.flatnonzero(~(same | close))
    if not len(bad):
        return []
    i = int(bad[0])
    return [f"{where}: {len(bad)} of {len(b)} floats differ beyond {RTOL:g} of their size, "
            f"first at {i}: {a[i]!r} != expected {b[i]!r}"]  # fmt: skip


def scenario_path(case: str, demo_dir: Path) -> Path:
    return demo_dir / "scenario.toml" if case == "demo" else REPO / "scenarios" / f"{case}.toml"


def write(case: str, out: Path) -> None:
    """Store ``out``'s snapshot (and its ranking, to read) as the golden record of ``case``."""
    target = HERE / case
    target.mkdir(exist_ok=True)
    shutil.copyfile(out / "ranking.csv", target / "ranking.csv")
    (target / "snapshot.json").write_text(_dumps(snapshot(out)) + "\n")


def _dumps(value: Any, indent: str = "") -> str:
    """JSON with a table's values (a list of numbers or of rows) on one line."""
    if isinstance(value, dict) and value:
        inner = indent + " "
        items = [f"{inner}{json.dumps(k)}: {_dumps(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        inner = indent + " "
        return "[\n" + ",\n".join(inner + _dumps(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value)


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
