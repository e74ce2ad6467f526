"""Travel-time engine against networkx and scipy on the same graphs, in one run.

Networks of growing size: the real Rutland drive network (every OSM node), and copies
of it tiled side by side and joined (about 60k, 170k and 1M nodes); then, as harder
cases for us, the same network simplified before tiling and a road-like grid, where
few chains are left to merge. Per network: 200 and 2,000 sites with a 30-minute
cutoff and 200 sites with none, x up to 35,000 targets. Each engine returns the
target columns only. Peak memory of our engine is measured in a fresh child process
(its VmHWM), graph included.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from benchmarks.graphs import road_grid
from estate_planner.travel import RoutingGraph, times_between

CUTOFF = 1800.0
_SHARED: dict[str, Any] = {}


def _routing(csr: sp.csr_matrix) -> RoutingGraph:
    n = csr.shape[0]
    return RoutingGraph("bench", csr, np.arange(n), n, None)  # type: ignore[arg-type]


def ours(
    csr: sp.csr_matrix, sources: np.ndarray, targets: np.ndarray, cutoff: float | None
) -> sp.csr_matrix:
    return times_between(_routing(csr), sources, targets, cutoff=cutoff)


def scipy_one(
    csr: sp.csr_matrix,
    sources: np.ndarray,
    targets: np.ndarray,
    cutoff: float | None,
    chunk: int = 64,
) -> sp.csr_matrix:
    limit = np.inf if cutoff is None else cutoff
    blocks = []
    for start in range(0, len(sources), chunk):
        dist = dijkstra(csr, indices=sources[start : start + chunk], limit=limit)[:, targets]
        dist[~np.isfinite(dist)] = 0
        blocks.append(sp.csr_matrix(dist))
    return sp.vstack(blocks, format="csr")


def _scipy_worker(part: np.ndarray) -> sp.csr_matrix:
    return scipy_one(_SHARED["csr"], part, _SHARED["targets"], _SHARED["cutoff"])


def scipy_forked(
    csr: sp.csr_matrix, sources: np.ndarray, targets: np.ndarray, cutoff: float | None
) -> sp.csr_matrix:
    _SHARED.update(csr=csr, targets=targets, cutoff=cutoff)
    with mp.get_context("fork").Pool(2) as pool:
        parts = pool.map(_scipy_worker, np.array_split(sources, 8))
    return sp.vstack(parts, format="csr")


def networkx_per_site(
    graph: nx.DiGraph, sources: np.ndarray, targets: np.ndarray, cutoff: float | None
) -> float:
    """Seconds per site for networkx's single-source Dijkstra (with the cutoff, if any)."""
    start = time.perf_counter()
    for s in sources:
        dist = nx.single_source_dijkstra_path_length(graph, int(s), cutoff=cutoff, weight="weight")
        [dist.get(int(t)) for t in targets]
    return (time.perf_counter() - start) / len(sources)


def _timed(fn, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def _peak_child(path: str, n_sites: int, n_targets: int, queue: Any) -> None:
    csr = sp.load_npz(path).tocsr()
    rng = np.random.default_rng(1)
    sources = rng.choice(csr.shape[0], n_sites, replace=False)
    targets = rng.choice(csr.shape[0], n_targets, replace=False)
    ours(csr, sources[:8], targets, CUTOFF)  # compile
    before = _high_water_kb()
    _, seconds = _timed(ours, csr, sources, targets, CUTOFF)
    after = _high_water_kb()
    queue.put({"peak_gb": after / 1e6, "before_gb": before / 1e6, "seconds": seconds})


def _high_water_kb() -> int:
    """This process's peak resident memory (kB). Not ``ru_maxrss``: Linux carries that
    across exec, so a spawned child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_memory(csr: sp.csr_matrix, n_sites: int, n_targets: int) -> dict[str, float]:
    """Peak RSS of a fresh process that loads the graph and runs every site."""
    folder = Path(__file__).resolve().parent / ".work"
    folder.mkdir(exist_ok=True)
    path = folder / "graph.npz"
    sp.save_npz(path, csr)
    queue: Any = mp.get_context("spawn").Queue()
    proc = mp.get_context("spawn").Process(
        target=_peak_child, args=(str(path), n_sites, n_targets, queue)
    )
    proc.start()
    result = queue.get()
    proc.join()
    return result


def _same(mine: sp.csr_matrix, theirs: sp.csr_matrix) -> tuple[float, bool]:
    """Largest time difference, and whether the same pairs are reachable (a source that
    is also a target is an explicit zero in ours and absent from scipy's)."""
    diff = float(abs(mine - theirs).max()) if mine.nnz or theirs.nnz else 0.0
    return diff, int((mine != 0).sum()) == int((theirs != 0).sum())


def _networkx(csr: sp.csr_matrix) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(range(csr.shape[0]))
    coo = csr.tocoo()
    graph.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)
    )
    return graph


def case(
    csr: sp.csr_matrix,
    graph: nx.DiGraph,
    n_sites: int,
    targets: np.ndarray,
    cutoff: float | None,
    nx_sites: int,
) -> dict[str, Any]:
    """One engine comparison: ours, scipy in 2 forked processes, networkx on a sample."""
    rng = np.random.default_rng(n_sites)
    sources = rng.choice(csr.shape[0], n_sites, replace=False)
    mine, t_ours = _timed(ours, csr, sources, targets, cutoff)
    fork, t_fork = _timed(scipy_forked, csr, sources, targets, cutoff)
    diff, same = _same(mine, fork)
    t_nx = networkx_per_site(graph, sources[:nx_sites], targets, cutoff)
    return {
        "sites": n_sites,
        "cutoff_s": cutoff,
        "ours_s": t_ours,
        "scipy_2proc_s": t_fork,
        "networkx_s_per_site": t_nx,
        "networkx_sites": nx_sites,
        "max_abs_diff_s": diff,
        "same_reachable_pairs": same,
        "pairs": int(mine.nnz),
    }


def network(
    name: str,
    csr: sp.csr_matrix,
    cases: list[tuple[int, float | None]],
    *,
    peak: bool = False,
) -> dict[str, Any]:
    n = csr.shape[0]
    rng = np.random.default_rng(1)
    targets = rng.choice(n, min(35_000, n // 2), replace=False)
    probe = dijkstra(csr, indices=rng.choice(n, 10, replace=False), limit=CUTOFF)
    ours(csr, targets[:8], targets, CUTOFF)  # numba compiles on first call (cached on disk after)
    graph = _networkx(csr)
    rows = []
    for n_sites, cutoff in cases:
        sites = min(n_sites, n // 4)
        nx_sites = 20 if cutoff is not None else (3 if n > 500_000 else 10)
        rows.append(case(csr, graph, sites, targets, cutoff, nx_sites))
    del graph
    out = {
        "name": name,
        "nodes": n,
        "edges": int(csr.nnz),
        "targets": len(targets),
        "settled_share": float(np.isfinite(probe).mean()),
        "cases": rows,
    }
    if peak:
        out["peak"] = peak_memory(csr, max(c for c, _ in cases), len(targets))
    return out


def run() -> dict[str, Any]:
    from benchmarks.graphs import PBF, rutland_drive, tiled

    start = time.perf_counter()
    full = [(200, CUTOFF), (2000, CUTOFF), (200, None)]
    networks = []
    if PBF.exists():
        base = rutland_drive()
        networks.append(network("Rutland drive network (OSM, every node)", base[0], full))
        for rows, cols in ((2, 2), (3, 4), (8, 9)):
            csr = tiled(base, rows, cols)[0]
            name = f"Rutland tiled {rows} x {cols} and joined"
            networks.append(network(name, csr, full, peak=rows * cols > 50))
            del csr
        simple = tiled(rutland_drive(simplify=True), 20, 20)[0]
        name = "Rutland simplified first (no chains left), tiled 20 x 20"
        networks.append(network(name, simple, [(2000, CUTOFF)]))
        del simple
    grid = road_grid(1010)
    networks.append(network("road-like grid (few chains)", grid, [(2000, CUTOFF)]))
    return {"networks": networks, "build_and_run_s": time.perf_counter() - start}
