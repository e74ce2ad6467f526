"""Travel-time engine against networkx and scipy on the same graph, in one run.

2,000 sites x 35,000 targets on a ~1M-node graph with a 30-minute cutoff. Each engine
returns the target columns only. Peak memory of our engine is measured in a fresh
child process (ru_maxrss), graph included.
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
from estate_planner.network import RoutingGraph, times_between

CUTOFF = 1800.0
_SHARED: dict[str, Any] = {}


def _routing(csr: sp.csr_matrix) -> RoutingGraph:
    n = csr.shape[0]
    return RoutingGraph("bench", csr, np.arange(n), n, None)  # type: ignore[arg-type]


def ours(csr: sp.csr_matrix, sources: np.ndarray, targets: np.ndarray) -> sp.csr_matrix:
    return times_between(_routing(csr), sources, targets, cutoff=CUTOFF)


def scipy_one(
    csr: sp.csr_matrix, sources: np.ndarray, targets: np.ndarray, chunk: int = 64
) -> sp.csr_matrix:
    blocks = []
    for start in range(0, len(sources), chunk):
        dist = dijkstra(csr, indices=sources[start : start + chunk], limit=CUTOFF)[:, targets]
        dist[~np.isfinite(dist)] = 0
        blocks.append(sp.csr_matrix(dist))
    return sp.vstack(blocks, format="csr")


def _scipy_worker(part: np.ndarray) -> sp.csr_matrix:
    return scipy_one(_SHARED["csr"], part, _SHARED["targets"])


def scipy_forked(csr: sp.csr_matrix, sources: np.ndarray, targets: np.ndarray) -> sp.csr_matrix:
    _SHARED["csr"], _SHARED["targets"] = csr, targets
    with mp.get_context("fork").Pool(2) as pool:
        parts = pool.map(_scipy_worker, np.array_split(sources, 8))
    return sp.vstack(parts, format="csr")


def networkx_per_site(graph: nx.DiGraph, sources: np.ndarray, targets: np.ndarray) -> float:
    """Seconds per site for networkx's single-source Dijkstra with the cutoff."""
    start = time.perf_counter()
    for s in sources:
        dist = nx.single_source_dijkstra_path_length(graph, int(s), cutoff=CUTOFF, weight="weight")
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
    ours(csr, sources[:8], targets)  # compile
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _, seconds = _timed(ours, csr, sources, targets)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put({"peak_gb": after / 1e6, "before_gb": before / 1e6, "seconds": seconds})


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


def run(
    side: int = 1010, n_sites: int = 2000, n_targets: int = 35_000, nx_sites: int = 30
) -> dict[str, Any]:
    start = time.perf_counter()
    csr = road_grid(side)
    n = csr.shape[0]
    rng = np.random.default_rng(1)
    sources = rng.choice(n, n_sites, replace=False)
    targets = rng.choice(n, n_targets, replace=False)
    build_s = time.perf_counter() - start
    ours(csr, sources[:8], targets)  # numba compiles on first call (cached on disk after)
    mine, t_ours = _timed(ours, csr, sources, targets)
    one, t_one = _timed(scipy_one, csr, sources[:200], targets)
    fork, t_fork = _timed(scipy_forked, csr, sources, targets)
    # exact: the same times as scipy on every pair of every site
    diff = max(abs(mine - fork).max(), abs(mine[:200] - one).max())
    same_pairs = (mine != 0).sum() == (fork != 0).sum()
    dist = dijkstra(csr, indices=sources[:20], limit=CUTOFF)
    settled = float(np.isfinite(dist).mean())
    graph = nx.DiGraph()
    coo = csr.tocoo()
    graph.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)
    )
    t_nx = networkx_per_site(graph, sources[:nx_sites], targets)
    del graph
    memory = peak_memory(csr, n_sites, n_targets)
    return {
        "nodes": n,
        "edges": csr.nnz,
        "sites": n_sites,
        "targets": n_targets,
        "settled_share": settled,
        "build_s": build_s,
        "ours_s": t_ours,
        "scipy_1proc_s_per_site": t_one / 200,
        "scipy_2proc_s": t_fork,
        "networkx_s_per_site": t_nx,
        "networkx_sites": nx_sites,
        "max_abs_diff_s": float(diff),
        "same_reachable_pairs": bool(same_pairs),
        "pairs_within_cutoff": int(mine.nnz),
        "peak": memory,
    }
