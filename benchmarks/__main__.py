"""Run the benchmarks and write benchmarks/RESULTS.md: ``python -m benchmarks [name ...]``."""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import numba

HERE = Path(__file__).resolve().parent
NAMES = (
    "loading", "travel", "rerun", "selection", "assignment", "registers", "batch", "transit",
    "explore",
)


def main(argv: list[str]) -> int:
    names = argv or list(NAMES)
    store = HERE / "results.json"
    results = json.loads(store.read_text()) if store.exists() else {}
    for name in names:
        module = __import__(f"benchmarks.{name}", fromlist=["run"])
        print(f"running {name}...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        results[name] = {
            "result": module.run(),
            "wall_s": time.perf_counter() - start,
            "machine": _machine(),
        }
        store.write_text(json.dumps(results, indent=2, default=str) + "\n")
    from benchmarks.report import write_results

    write_results(results, HERE / "RESULTS.md")
    print((HERE / "RESULTS.md").read_text())
    return 0


def _machine() -> str:
    import os

    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numba {numba.__version__} ({numba.get_num_threads()} threads)"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
