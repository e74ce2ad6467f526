"""A cached rerun of the Rutland scenario against its first run (issues 7 and 24).

Each run is the whole command (``estate-planner run``) in a fresh process, timed from
outside, so interpreter start-up, imports and writing every output count. The first
run has an empty cache; the reruns reuse it. A what-if (a weights edit) reuses it too.

The cache keys every call by the content of its arguments (issue 24), so hashing must
cost little: :func:`hash_network` times the token of a 1M-node network's arrays against
dask's ``tokenize`` (the peer that hashes arguments for dask's own caching) and a bare
SHA-256 of the same bytes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "rutland.toml"
DATA = REPO.parent / "shared" / "data"


def _load() -> float:
    """The 1-minute load average (the machine is shared: say how busy it was)."""
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else float("nan")


def _command(scenario: Path, out: Path, cache: Path) -> tuple[float, dict[str, Any]]:
    env = {**os.environ, "ESTATE_PLANNER_CACHE": str(cache)}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "estate_planner.cli", "-q", "run", str(scenario), "--out", str(out)],
        env=env,
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - start
    return seconds, json.loads((out / "manifest.json").read_text())


def hash_network(n_nodes: int = 1_000_000, repeats: int = 3) -> dict[str, Any]:
    """Seconds to hash a street network of ``n_nodes`` nodes as the cache does (the
    routing graph's CSR, OSM ids and coordinates, and the edge list's arrays), best of
    ``repeats``, with dask's tokenize and a bare SHA-256 of the same buffers beside it."""
    import hashlib

    import numpy as np
    import scipy.sparse as sp
    from dask.base import tokenize

    from estate_planner.cache import token

    rng = np.random.default_rng(0)
    n_edges = int(n_nodes * 2.6)  # a street graph's edges per node (both directions)
    u = rng.integers(0, n_nodes, n_edges)
    v = rng.integers(0, n_nodes, n_edges)
    seconds = rng.uniform(1, 120, n_edges)
    csr = sp.csr_matrix((seconds, (u, v)), shape=(n_nodes, n_nodes))
    arrays = (
        csr,
        rng.integers(0, 2**40, n_nodes),  # OSM node ids
        rng.uniform(4e5, 6e5, n_nodes),  # x, y
        rng.uniform(2e5, 4e5, n_nodes),
        u, v, seconds,
    )  # fmt: skip
    buffers = [csr.indptr, csr.indices, csr.data, *arrays[1:]]
    size = sum(b.nbytes for b in buffers)

    def best(f: Any) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            f()
            times.append(time.perf_counter() - start)
        return min(times)

    def sha256() -> None:
        h = hashlib.sha256()
        for b in buffers:
            h.update(b)

    return {
        "nodes": n_nodes,
        "edges": n_edges,
        "megabytes": size / 1e6,
        "ours_s": best(lambda: token(arrays)),
        "dask_tokenize_s": best(lambda: tokenize(*arrays)),
        "sha256_s": best(sha256),
    }


def run(firsts: int = 3, reruns: int = 5) -> dict[str, Any] | None:
    hashing = hash_network()
    if not DATA.is_dir():
        return {"hashing": hashing}
    folder = Path(tempfile.mkdtemp(prefix="ep-rerun-"))
    try:
        whatif = folder / "whatif.toml"
        whatif.write_text(
            f'extends = "{SCENARIO}"\nname = "Rutland, deprivation first"\n\n'
            "[scoring]\nweights = { need_reached = 0.2, unmet_need_reached = 0.2, "
            "deprivation = 0.5, floor_area_fit = 0.1 }\n"
        )
        # each first run starts from an empty cache of its own
        first_runs = [
            _command(SCENARIO, folder / "first", folder / f"cache{i}") for i in range(firsts)
        ]
        first_times = sorted(seconds for seconds, _ in first_runs)
        first_s, first = first_times[len(first_times) // 2], first_runs[0][1]
        cache = folder / "cache0"
        times, loads = [], []
        for _ in range(reruns):
            loads.append(_load())
            times.append(_command(SCENARIO, folder / "again", cache)[0])
        whatif_s, edited = _command(whatif, folder / "whatif", cache)
        _, again = _command(SCENARIO, folder / "again", cache)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    order = sorted(range(len(times)), key=times.__getitem__)
    times = [times[i] for i in order]
    return {
        "rerun_load_1min": [loads[i] for i in order],
        "cores": os.cpu_count(),
        "hashing": hashing,
        "first_s": first_s,
        "first_runs_s": first_times,
        "rerun_s": times,
        "rerun_median_s": times[len(times) // 2],
        "whatif_s": whatif_s,
        "first_cache": first["cache"],
        "rerun_cache": again["cache"],
        "whatif_cache": edited["cache"],
        "first_stages_s": first["timings_s"],
        "rerun_stages_s": again["timings_s"],
    }
