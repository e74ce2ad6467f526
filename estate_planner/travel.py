"""Travel times on a street graph: its CSR copy with points snapped on, and searches.

Routing runs on a CSR copy of a mode's graph (:class:`RoutingGraph`) with points
(demand, services, candidates) added as extra nodes joined to the two ends of their
nearest edge; the off-network leg is walked. A bounded Dijkstra kernel
(:mod:`estate_planner._kernel`) gives sparse source x target times
(:func:`travel_time_matrix`, :func:`times_between`); :func:`isochrone` draws the
streets within a time.

**How every time matrix is laid out** (said here once; every matrix-returning
function's docstring states which of the two it returns, and
``tests/test_orientation.py`` checks each shape and direction):

- The routing engines return **origins x destinations**: row ``i``, column ``j`` is the
  time from origin ``i`` to destination ``j``, as networkx, osmnx and r5 lay them out.
  These are :func:`travel_time_matrix`, :func:`times_between` (sources x targets;
  with ``to_sources`` the times run from each target to each source, the layout
  unchanged), :func:`estate_planner.transit.transit_time_matrix` and
  :func:`estate_planner.transit.window_times`.
- A run's times (:class:`estate_planner.access.ModeTimes`, ``result.times[mode]``) are
  journeys from demand points to sites laid out **sites x demand** (row: a site, the
  destination; column: a demand point, the origin), so one site's reach is one CSR
  row, as the coverage models read it. :mod:`estate_planner.access`,
  :mod:`estate_planner.optimise` and the outputs take them so.
- The two meet at one boundary, :mod:`estate_planner.stages.routing`:
  ``street_times`` searches backwards from the sites (``to_sources=True``) and
  ``transit_times`` transposes :func:`~estate_planner.transit.window_times`. So
  ``result.times[mode].candidates`` equals ``times_between(graph, demand nodes,
  candidate nodes).T`` within the horizon.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from shapely import LineString, Polygon, STRtree, buffer, line_locate_point, points, union_all
from shapely import distance as shapely_distance

from estate_planner._errors import NetworkError
from estate_planner.sources.tables import BNG

if TYPE_CHECKING:
    import networkx as nx

logger = logging.getLogger(__name__)


@dataclass
class Snapped:
    """Where each point joins a mode's network."""

    distance_m: np.ndarray  # straight-line distance to the nearest edge
    far: np.ndarray  # bool: farther than the configured snap distance
    node: np.ndarray  # routing-node index of each point


def spatial_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A permutation of nodes along a Morton (Z-order) curve of their coordinates.

    Numbering nodes this way keeps a search's neighbourhood close together in memory:
    a 30-minute search on a 1M-node graph runs about a quarter faster than with nodes
    in OSM id order, which is spatially random.

    Parameters
    ----------
    x, y : numpy.ndarray
        Node coordinates.

    Returns
    -------
    numpy.ndarray
        Node positions in curve order.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) == 0:
        return np.arange(0)

    def spread(v: np.ndarray) -> np.ndarray:
        span = v.max() - v.min()
        cells = (
            np.zeros(len(v), np.uint64)
            if span == 0
            else ((v - v.min()) / span * 65535).astype(np.uint64)
        )
        out = np.zeros(len(v), np.uint64)
        for bit in range(16):
            out |= ((cells >> np.uint64(bit)) & np.uint64(1)) << np.uint64(2 * bit)
        return out

    code = spread(x) | (spread(y) << np.uint64(1))
    return np.argsort(code, kind="stable")


@dataclass
class RoutingGraph:
    """A mode's graph as CSR, with optional extra nodes for snapped points.

    Street nodes are numbered in :func:`spatial_order`; ``node_ids[i]`` is the OSM id
    of row ``i``. Use :meth:`index_of` to go from OSM ids to rows.
    """

    mode: str
    csr: sp.csr_matrix
    node_ids: np.ndarray  # OSM node id of each of the first ``n_street`` rows
    n_street: int
    edges: gpd.GeoDataFrame  # routable street edges: u, v (row index), travel_time
    _reverse: sp.csr_matrix | None = field(default=None, repr=False, compare=False)
    _token: str | None = field(default=None, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        return int(self.csr.shape[0])

    def __cache_token__(self) -> str:
        """The graph's content hash for :mod:`estate_planner.cache`, taken once: a graph
        is not changed once built, and each stage that is handed it need not hash its
        arrays and edge geometries again."""
        if self._token is None:
            from estate_planner.cache import token

            self._token = token((self.mode, self.csr, self.node_ids, self.n_street, self.edges))
        return self._token

    def index_of(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Row of each OSM node id.

        Parameters
        ----------
        ids : sequence of int
            OSM node ids, all in the graph.

        Returns
        -------
        numpy.ndarray
        """
        order = np.argsort(self.node_ids)
        wanted = np.asarray(ids, dtype=np.int64)
        return order[np.searchsorted(self.node_ids, wanted, sorter=order)]

    def reverse(self) -> sp.csr_matrix:
        """The transposed CSR (times *to* a source), computed once."""
        if self._reverse is None:
            self._reverse = self.csr.T.tocsr()
        return self._reverse


def routing_graph(graph: nx.MultiDiGraph, mode: str) -> RoutingGraph:
    """CSR copy of ``graph`` keeping the fastest of parallel edges.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A street graph with ``travel_time`` on every edge (and ``x``/``y`` on nodes).
    mode : str
        Its mode, kept with the graph.

    Returns
    -------
    RoutingGraph
        Nodes numbered in :func:`spatial_order`.
    """
    node_ids = np.fromiter(graph.nodes, dtype=np.int64, count=len(graph))
    xs = np.array([graph.nodes[n]["x"] for n in node_ids.tolist()])
    ys = np.array([graph.nodes[n]["y"] for n in node_ids.tolist()])
    node_ids = node_ids[spatial_order(xs, ys)]
    row_of = np.argsort(node_ids)
    sorted_ids = node_ids[row_of]
    records = []
    geoms = []
    for u, v, data in graph.edges(data=True):
        records.append((u, v, float(data["travel_time"])))
        geom = data.get("geometry")
        if geom is None:
            nu, nv = graph.nodes[u], graph.nodes[v]
            geom = LineString([(nu["x"], nu["y"]), (nv["x"], nv["y"])])
        geoms.append(geom)
    if not records:
        raise NetworkError(f"the {mode} network has no edges; check the OSM extract")
    frame = pd.DataFrame(records, columns=["u", "v", "travel_time"])
    frame["u"] = row_of[np.searchsorted(sorted_ids, frame["u"].to_numpy())]
    frame["v"] = row_of[np.searchsorted(sorted_ids, frame["v"].to_numpy())]
    n = len(node_ids)
    csr = _csr_min(frame["u"].to_numpy(), frame["v"].to_numpy(), frame["travel_time"].to_numpy(), n)
    from scipy.sparse.csgraph import connected_components

    _, labels = connected_components(csr, directed=True, connection="strong")
    main = labels == np.bincount(labels).argmax()
    keep = main[frame["u"].to_numpy()] & main[frame["v"].to_numpy()]
    # A two-way street is one row (u < v) in the snapping index, so that points along
    # it share one chain; its reverse time is read from the CSR.
    reverse = np.asarray(csr[frame["v"].to_numpy(), frame["u"].to_numpy()]).ravel() > 0
    keep &= ~reverse | (frame["u"].to_numpy() < frame["v"].to_numpy())
    edges = gpd.GeoDataFrame(
        frame[keep].reset_index(drop=True),
        geometry=[g for g, k in zip(geoms, keep, strict=True) if k],
        crs=BNG,
    )
    dropped = int((~main).sum())
    if dropped:
        logger.info("%s: %d of %d nodes lie off the main connected network", mode, dropped, n)
    return RoutingGraph(mode, csr, node_ids, n, edges)


def _csr_min(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    """CSR adjacency keeping the minimum weight of duplicate (u, v) pairs."""
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    # Zero-time edges would vanish from a sparse matrix; give them a tiny time.
    weights = np.maximum(w[first], 1e-6)
    return sp.csr_matrix((weights, (u[first], v[first])), shape=(n, n))


def snap_points(
    graph: RoutingGraph, geometry: gpd.GeoSeries, *, walk_kmh: float, max_snap_m: float
) -> tuple[RoutingGraph, Snapped]:
    """Join each point to the network at the nearest point of the nearest street.

    Each point gets two nodes: the point itself and its foot on the street. The feet of
    all points on one street are chained in order along it, each link taking its share
    of the street's time (both ways on a two-way street), and each point is joined to
    its foot by the walked off-network leg. Times between points on the same street are
    therefore exact, and no route through a point is shorter than the street itself.

    Parameters
    ----------
    graph : RoutingGraph
        The mode's street graph.
    geometry : geopandas.GeoSeries
        Points in BNG.
    walk_kmh : float
        Speed of the off-network leg.
    max_snap_m : float
        Points farther than this from any street are flagged ``far``.

    Returns
    -------
    graph : RoutingGraph
        A new graph with the points' nodes added.
    snapped : Snapped
        Per point: distance to the street, whether it is far, and its routing node.

    Raises
    ------
    NetworkError
        If the points are not in BNG or the graph has no edges.
    """
    if geometry.crs is None or geometry.crs.to_epsg() != 27700:
        geometry = geometry.to_crs(BNG)
    pts = points(np.column_stack([geometry.x.to_numpy(), geometry.y.to_numpy()]))
    lines = graph.edges.geometry.values
    tree = STRtree(lines)
    p_idx, e_idx = tree.query_nearest(pts, return_distance=False, all_matches=False)
    nearest = np.empty(len(pts), dtype=np.int64)
    nearest[p_idx] = e_idx
    lines_near = lines[nearest]
    dist = shapely_distance(lines_near, pts)
    frac = line_locate_point(lines_near, pts, normalized=True)
    walk_s = dist / (walk_kmh / 3.6)
    n0, n_pts = graph.n_nodes, len(pts)
    point_node = n0 + np.arange(n_pts)
    links = _chain_links(graph, nearest, frac, n0 + n_pts)
    foot = links.pop("foot")
    streets = graph.csr.tocoo()
    u = [streets.row, point_node, foot, *links["u"]]
    v = [streets.col, foot, point_node, *links["v"]]
    w = [streets.data, walk_s, walk_s, *links["w"]]
    csr = _csr_min(np.concatenate(u), np.concatenate(v), np.concatenate(w), n0 + 2 * n_pts)
    snapped = RoutingGraph(graph.mode, csr, graph.node_ids, graph.n_street, graph.edges)
    return snapped, Snapped(distance_m=dist, far=dist > max_snap_m, node=point_node)


def _chain_links(
    graph: RoutingGraph, edge: np.ndarray, frac: np.ndarray, first_foot: int
) -> dict[str, Any]:
    """Links u -> foot_1 -> ... -> foot_n -> v along each street holding points."""
    order = np.lexsort((frac, edge))
    e, f = edge[order], frac[order]
    foot = np.empty(len(edge), dtype=np.int64)
    foot[order] = first_foot + np.arange(len(edge))
    feet = foot[order]
    head = np.r_[True, e[1:] != e[:-1]]
    tail = np.r_[e[1:] != e[:-1], True]
    eu = graph.edges["u"].to_numpy()[e]
    ev = graph.edges["v"].to_numpy()[e]
    forward = graph.edges["travel_time"].to_numpy()[e]
    backward = _reverse_edge_times(graph, eu, ev)
    prev = np.where(head, eu, np.r_[0, feet[:-1]])
    prev_f = np.where(head, 0.0, np.r_[0.0, f[:-1]])
    step = f - prev_f
    us = [prev, feet[tail]]
    vs = [feet, ev[tail]]
    ws = [step * forward, (1 - f[tail]) * forward[tail]]
    two = np.isfinite(backward)
    us += [feet[two], ev[tail & two]]
    vs += [prev[two], feet[tail & two]]
    ws += [(step * backward)[two], ((1 - f) * backward)[tail & two]]
    return {"foot": foot, "u": us, "v": vs, "w": ws}


def _reverse_edge_times(graph: RoutingGraph, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Time of the edge v -> u for each (u, v), or inf where the street is one-way."""
    values = np.asarray(graph.csr[v, u]).ravel()
    return np.where(values > 0, values, np.inf)


def times_between(
    graph: RoutingGraph,
    sources: np.ndarray,
    targets: np.ndarray,
    *,
    cutoff: float | None = None,
    to_sources: bool = False,
    chunk: int = 512,
) -> sp.csr_matrix:
    """Sparse (sources x targets) travel times in seconds, only pairs within ``cutoff``.

    Parameters
    ----------
    graph : RoutingGraph
    sources, targets : numpy.ndarray
        Routing-node rows (a node may appear more than once).
    cutoff : float, optional
        The longest time kept, in seconds (default: no limit).
    to_sources : bool
        Times run from each target *to* each source (from homes to sites on a network
        with one-way streets).
    chunk : int
        Sources searched per batch (bounds the dense buffer's memory).

    Returns
    -------
    scipy.sparse.csr_matrix
        ``len(sources) x len(targets)`` (origins x destinations, as every routing
        engine here), seconds; only pairs within ``cutoff`` stored.
    """
    from estate_planner._kernel import bounded_times

    csr = graph.reverse() if to_sources else graph.csr
    return _run_kernel(bounded_times, csr, sources, targets, cutoff, chunk)


#: Memory for one chunk's dense source x target buffer before it is made sparse.
CHUNK_BYTES = 256 * 2**20


def memory_needed(n_nodes: int, n_edges: int, n_sources: int, n_targets: int) -> int:
    """Bytes a travel-time run can need at worst.

    The graph, the kernel's per-thread arrays, one dense chunk, and every source-target
    pair stored (all within reach).

    Parameters
    ----------
    n_nodes, n_edges : int
        Size of the routing graph.
    n_sources, n_targets : int
        Sites and demand points.

    Returns
    -------
    int
    """
    import numba

    graph = n_edges * 12 + n_nodes * 8
    graph += n_edges * 36 + n_nodes * 41  # the chain-contracted copy and its working arrays
    per_thread = n_nodes * 12 + (n_edges + 1) * 16
    pairs = n_sources * n_targets * 16  # value, index and conversion copies
    return graph + numba.get_num_threads() * per_thread + CHUNK_BYTES + pairs


def available_memory() -> int | None:
    """Bytes the system says are available (Linux), or None where it cannot tell."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


@dataclass
class _Search:
    """A CSR graph with its pass-through chains merged, ready for the kernel."""

    arrays: tuple[np.ndarray, ...]  # indptr, indices, first, ext, more
    sources: np.ndarray  # row of each source in the merged graph
    target_node: np.ndarray  # row of each output column's target
    target_col: np.ndarray  # output column of each row, or -1
    index_type: type[np.signedinteger[Any]]


def _merged(csr: sp.csr_matrix, sources: np.ndarray, targets: np.ndarray) -> _Search:
    """Merge the chains of ``csr`` that pass through no source and no target."""
    from estate_planner._kernel import contract_chains

    keep = np.zeros(csr.shape[0], dtype=bool)
    keep[sources] = True
    keep[targets] = True
    indptr, indices, first, ext, more, new_id = contract_chains(
        csr.indptr.astype(np.int64),
        csr.indices.astype(np.int64),
        csr.data.astype(np.float64),
        keep,
    )
    small = max(len(indptr), len(indices), len(more)) < 2**31 - 1
    index_type = np.int32 if small else np.int64
    arrays = (indptr, indices, first, ext, more)
    arrays = tuple(a.astype(index_type) if a.dtype == np.int64 else a for a in arrays)
    target_node = new_id[targets].astype(index_type)
    target_col = np.full(len(indptr) - 1, -1, dtype=index_type)
    target_col[target_node] = np.arange(len(targets))
    return _Search(arrays, new_id[sources], target_node, target_col, index_type)


def _run_kernel(
    kernel: object,
    csr: sp.csr_matrix,
    sources: np.ndarray,
    targets: np.ndarray,
    cutoff: float | None,
    chunk: int,
) -> sp.csr_matrix:
    import numba

    from estate_planner._kernel import compact_rows

    sources = np.asarray(sources, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    if len(sources) == 0 or len(targets) == 0:
        return sp.csr_matrix((len(sources), len(targets)))
    # a target listed twice is searched for once and its column copied after
    unique, repeats = np.unique(targets, return_inverse=True)
    inverse: np.ndarray | None = repeats
    if len(unique) == len(targets):
        unique, inverse = targets, None
    search = _merged(csr, sources, unique)
    limit = np.inf if cutoff is None else float(cutoff)
    threads = numba.get_num_threads()
    n_t = len(unique)
    # one chunk's output buffers stay within CHUNK_BYTES whatever the target count
    chunk = max(1, min(chunk, CHUNK_BYTES // (12 * n_t)))
    blocks = []
    for start in range(0, len(sources), chunk):
        part = search.sources[start : start + chunk]
        cols: np.ndarray = np.empty(len(part) * n_t, dtype=search.index_type)
        times = np.empty(len(part) * n_t, dtype=np.float64)
        counts = kernel(  # type: ignore[operator]
            *search.arrays, part, search.target_node, search.target_col, limit,
            min(threads, len(part)), cols, times,
        )  # fmt: skip
        row_ptr = np.concatenate([[0], np.cumsum(counts)])
        found, data = compact_rows(cols, times, counts, n_t, row_ptr)
        block = sp.csr_matrix((data, found, row_ptr), shape=(len(part), n_t))
        block.has_sorted_indices = True  # the kernel writes each row's columns in order
        blocks.append(block)
    out = sp.vstack(blocks, format="csr")
    return out if inverse is None else out[:, inverse].tocsr()


def travel_time_matrix(
    graph: nx.MultiDiGraph | RoutingGraph,
    sources: Sequence[int],
    targets: Sequence[int],
    *,
    cutoff: float | None = None,
) -> sp.csr_matrix:
    """Shortest travel times (s) between graph nodes, as a sparse matrix.

    Parameters
    ----------
    graph
        A ``MultiDiGraph`` with a ``travel_time`` edge attribute in seconds (as osmnx
        makes), or a run's :class:`RoutingGraph` (``result.networks["walk"].graph``).
    sources, targets
        Node ids: the graph's node ids, or OSM node ids of a ``RoutingGraph``'s streets.
    cutoff
        Keep only pairs reachable within this many seconds.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``len(sources) x len(targets)``: row i, column j is the time from
        ``sources[i]`` to ``targets[j]``; a stored entry is a reachable pair. A source
        that is also a target is stored as an explicit 0.

    Raises
    ------
    NetworkError
        If a node is not in the graph or an edge has no travel time.

    Examples
    --------
    >>> nodes = result.networks["walk"].graph.node_ids[:3]  # doctest: +SKIP
    >>> travel_time_matrix(result.networks["walk"].graph, nodes, nodes).toarray()  # doctest: +SKIP
    """
    if isinstance(graph, RoutingGraph):
        street = graph.node_ids[: graph.n_street]
        order = np.argsort(street)
        rows = [order[_node_index(street[order], ids, what)] for ids, what in
                ((sources, "sources"), (targets, "targets"))]  # fmt: skip
        return times_between(graph, rows[0], rows[1], cutoff=cutoff)
    node_ids = np.fromiter(graph.nodes, dtype=np.int64, count=len(graph))
    order = np.argsort(node_ids)
    node_ids = node_ids[order]
    src = _node_index(node_ids, sources, "sources")
    dst = _node_index(node_ids, targets, "targets")
    u, v, w = [], [], []
    for a, b, data in graph.edges(data=True):
        if "travel_time" not in data:
            raise NetworkError(
                f"edge ({a}, {b}) has no travel_time attribute; "
                "add one with osmnx.add_edge_travel_times(graph)"
            )
        u.append(a)
        v.append(b)
        w.append(float(data["travel_time"]))
    csr = _csr_min(
        np.searchsorted(node_ids, np.asarray(u, dtype=np.int64)),
        np.searchsorted(node_ids, np.asarray(v, dtype=np.int64)),
        np.asarray(w, dtype=float),
        len(node_ids),
    )
    routing = RoutingGraph("graph", csr, node_ids, len(node_ids), gpd.GeoDataFrame())
    return times_between(routing, src, dst, cutoff=cutoff)


def isochrone(graph: RoutingGraph, node: int, seconds: float, *, buffer_m: float = 40.0) -> Any:
    """The area within ``seconds`` of routing node ``node``: reached streets, buffered.

    Parameters
    ----------
    graph : RoutingGraph
    node : int
        The routing node of a site.
    seconds : float
        The travel time.
    buffer_m : float
        Width added either side of each reached street.

    Returns
    -------
    shapely geometry
        A (multi)polygon in BNG, empty when nothing is reached.
    """
    from scipy.sparse.csgraph import dijkstra

    dist = dijkstra(graph.csr, indices=int(node), limit=seconds)[: graph.n_street]
    reached = np.isfinite(dist)
    u = graph.edges["u"].to_numpy()
    v = graph.edges["v"].to_numpy()
    inside = reached[u] & reached[v]
    if not inside.any():
        return None
    lines = graph.edges.geometry.values[inside]
    shape = union_all(buffer(lines, buffer_m, quad_segs=2)).simplify(buffer_m / 2)
    # the blocks between reached streets are inside the catchment too
    parts = getattr(shape, "geoms", [shape])
    return union_all([Polygon(part.exterior) for part in parts if not part.is_empty])


def _node_index(node_ids: np.ndarray, nodes: Sequence[int], what: str) -> np.ndarray:
    wanted = np.asarray(list(nodes), dtype=np.int64)
    idx = np.searchsorted(node_ids, wanted)
    idx = np.clip(idx, 0, len(node_ids) - 1)
    missing = wanted[node_ids[idx] != wanted] if len(node_ids) else wanted
    if len(missing):
        raise NetworkError(
            f"{len(missing)} {what} are not nodes of the graph (first: {missing[:5].tolist()}); "
            "pass node ids from graph.nodes"
        )
    return idx
