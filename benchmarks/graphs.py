"""Seeded road-like test graphs for the benchmarks.

A jittered grid with 30% of its links removed (average degree about 2.8, like real
street networks), two-way streets with some one-way links, and 100 m links at town
and country speeds. About 5% of a 1M-node graph lies within 30 minutes of a point,
as on the tiled real networks in ../shared/BASELINES.md.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from estate_planner.network import spatial_order


def road_grid(side: int, *, seed: int = 7, with_xy: bool = False):  # type: ignore[no-untyped-def]
    """A ``side`` x ``side`` road-like graph as CSR (travel times in seconds).

    Nodes are numbered as :func:`estate_planner.network.routing_graph` numbers a real
    street graph (:func:`~estate_planner.network.spatial_order`); every engine in the
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
