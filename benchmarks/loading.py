"""Loading the Rutland PBF and building the walk and drive graphs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from estate_planner.network import graph_from_ways
from estate_planner.sources.osm import read_highways
from estate_planner.travel import routing_graph

PBF = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "osm_rutland"
    / "rutland-2018-02-27.osm.pbf"
)


def run(repeats: int = 3) -> dict[str, Any] | None:
    if not PBF.exists():
        return None
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        ways = read_highways(PBF)
        read_s = time.perf_counter() - start
        sizes = {}
        for mode in ("walk", "drive"):
            graph = graph_from_ways(ways, mode)
            routing_graph(graph, mode)
            sizes[mode] = (len(graph), graph.number_of_edges())
        runs.append((time.perf_counter() - start, read_s, sizes))
    runs.sort(key=lambda r: r[0])
    total, read_s, sizes = runs[len(runs) // 2]
    return {"median_total_s": total, "read_s": read_s, "sizes": sizes}
