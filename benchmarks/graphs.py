"""Seeded road-like test graphs for the benchmarks.

A jittered grid with 30% of its links removed (average degree about 2.8, like real
street networks), two-way streets with some one-way links, and 100 m links at town
and country speeds. About 5% of a 1M-node graph lies within 30 minutes of a point,
as on the tiled real networks in ../shared/BASELINES.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from estate_planner.travel import spatial_order


def road_grid(side: int, *, seed: int = 7, with_xy: bool = False):  # type: ignore[no-untyped-def]
    """A ``side`` x ``side`` road-like graph as CSR (travel times in seconds).

    Nodes are numbered as :func:`estate_planner.travel.routing_graph` numbers a real
    street graph (:func:`~estate_planner.travel.spatial_order`); every engine in the
    benchmarks gets this same matrix.
    """
    rng = np.random.default_rng(seed)
    n = side * side
    ids = np.arange(n).reshape(side, side)
    right = np.column_stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()])
    down = np.column_stack([ids[:-1, :].ravel(), ids[1:, :].ravel()])
    pairs = np.vstack([right, down])
    pairs = pairs[rng.random(len(pairs)) > 0.30]
    seconds = rng.uniform(6.0, 14.5, len(pairs))
    oneway = rng.random(len(pairs)) < 0.08
    u = np.concatenate([pairs[:, 0], pairs[~oneway, 1]])
    v = np.concatenate([pairs[:, 1], pairs[~oneway, 0]])
    w = np.concatenate([seconds, seconds[~oneway] * rng.uniform(1.0, 1.1, (~oneway).sum())])
    graph = sp.csr_matrix((w, (u, v)), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="strong")
    keep = np.flatnonzero(labels == np.bincount(labels).argmax())
    keep = keep[spatial_order(keep % side, keep // side)]
    csr = graph[keep][:, keep].tocsr()
    if with_xy:
        return csr, keep % side, keep // side
    return csr


SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
PBF = SHARED / "osm_rutland" / "rutland-2018-02-27.osm.pbf"


def rutland_drive(*, simplify: bool = False):  # type: ignore[no-untyped-def]
    """The Rutland drive network as CSR (seconds) with BNG coordinates, main strongly
    connected part only. Unsimplified by default: every OSM node, as
    ``osmnx.graph_from_*(simplify=False)`` gives, so chains of shape points remain."""
    from estate_planner.network import graph_from_ways
    from estate_planner.sources.osm import read_highways
    from estate_planner.travel import routing_graph

    graph = graph_from_ways(read_highways(PBF), "drive", simplify=simplify)
    routing = routing_graph(graph, "drive")
    x = np.array([graph.nodes[int(n)]["x"] for n in routing.node_ids])
    y = np.array([graph.nodes[int(n)]["y"] for n in routing.node_ids])
    _, labels = connected_components(routing.csr, directed=True, connection="strong")
    keep = np.flatnonzero(labels == np.bincount(labels).argmax())
    return routing.csr[keep][:, keep].tocsr(), x[keep], y[keep]


def tiled(base, rows: int, cols: int, *, joins: int = 16, join_kmh: float = 80.0):  # type: ignore[no-untyped-def]
    """``rows`` x ``cols`` copies of a street network side by side, joined across each
    shared edge by ``joins`` roads (two-way, at ``join_kmh``) between the outermost
    nodes of the two tiles in each band. Returns CSR in Morton order and coordinates."""
    csr, x, y = base
    n0 = csr.shape[0]
    width = x.max() - x.min() + 300.0
    height = y.max() - y.min() + 300.0
    coo = csr.tocoo()
    us, vs, ws, xs, ys = [], [], [], [], []
    for t in range(rows * cols):
        i, j = divmod(t, cols)
        us.append(coo.row + t * n0)
        vs.append(coo.col + t * n0)
        ws.append(coo.data)
        xs.append(x + j * width)
        ys.append(y + i * height)
    all_x, all_y = np.concatenate(xs), np.concatenate(ys)

    def join(a: int, b: int, along: np.ndarray, across: np.ndarray) -> None:
        """Join tile ``a`` to the tile ``b`` after it along the ``across`` axis."""
        bands = np.linspace(along.min(), along.max(), joins + 1)
        band = np.clip(np.searchsorted(bands, along, side="right") - 1, 0, joins - 1)
        for k in range(joins):
            inside = np.flatnonzero(band == k)
            if len(inside) == 0:
                continue
            last = a * n0 + inside[np.argmax(across[inside])]
            first = b * n0 + inside[np.argmin(across[inside])]
            metres = float(np.hypot(all_x[last] - all_x[first], all_y[last] - all_y[first]))
            seconds = max(1.0, metres / (join_kmh / 3.6))
            us.append(np.array([last, first]))
            vs.append(np.array([first, last]))
            ws.append(np.array([seconds, seconds]))

    for t in range(rows * cols):
        i, j = divmod(t, cols)
        if j + 1 < cols:
            join(t, t + 1, y, x)
        if i + 1 < rows:
            join(t, t + cols, x, y)
    n = n0 * rows * cols
    graph = sp.csr_matrix(
        (np.concatenate(ws), (np.concatenate(us), np.concatenate(vs))), shape=(n, n)
    )
    order = spatial_order(all_x, all_y)
    return graph[order][:, order].tocsr(), all_x[order], all_y[order]
