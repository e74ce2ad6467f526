"""Reading property registers (issue 13): a 20,000-row business-rates list and a
national ERIC workbook, beside pandas parsing the same files (no repairs) in the same run."""

from __future__ import annotations

import csv
import gzip
import io
import time
from pathlib import Path
from typing import Any

import pandas as pd

from estate_planner.sources.registers import read_register

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
WORK = Path(__file__).resolve().parent / ".work"


def _median(fn: Any, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def _rates_20k() -> Path:
    """Kirklees' list (shifted rows and all) repeated to 20,000 rows with unique
    references, saved as Windows-1252 as the council published it."""
    source = DATA / "property" / "business_rates" / "kirklees_business_rates_2019.csv.gz"
    rows = list(csv.reader(io.StringIO(gzip.decompress(source.read_bytes()).decode("cp1252"))))
    header, body = rows[0], rows[1:]
    out = []
    while len(out) < 20_000:
        copy = len(out) // len(body)
        out += [[f"{row[0]}-{copy}", *row[1:]] for row in body][: 20_000 - len(out)]
    WORK.mkdir(exist_ok=True)
    path = WORK / "rates_20000.csv"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *out])
    path.write_bytes(buffer.getvalue().encode("cp1252"))
    return path


def run() -> dict[str, Any] | None:
    eric = DATA / "property" / "eric" / "HospitalEstatesAndFacilitiesStatistics_13944.XLS"
    hospitals = DATA / "nhs_services" / "nhs_hospitals_england.csv.gz"
    if not eric.exists():
        return None
    rates = _rates_20k()
    found = read_register(rates)
    rates_ours = _median(lambda: read_register(rates))
    rates_pandas = _median(lambda: pd.read_csv(rates, encoding="cp1252", dtype=str))
    sites = read_register(eric, locations=[hospitals])
    eric_ours = _median(lambda: read_register(eric, locations=[hospitals]))
    eric_pandas = _median(
        lambda: pd.read_excel(eric, sheet_name="Site Data", header=1, engine="calamine")
    )
    return {
        "rates": {"rows": found.rows_read, "kept": len(found.frame), "ours_s": rates_ours,
                  "pandas_s": rates_pandas},
        "eric": {"rows": sites.rows_read, "sites": len(sites.frame),
                 "located": int(sites.frame["located"].sum()), "ours_s": eric_ours,
                 "pandas_s": eric_pandas},
    }  # fmt: skip
