"""Street network per mode, snapping points to it, and the travel-time engine.

Graphs are osmnx-style ``networkx.MultiDiGraph`` objects in British National Grid
(EPSG:27700) with ``length`` (m) and ``travel_time`` (s) on every edge. Speeds come
from osmnx (``add_edge_speeds`` parses ``maxspeed`` in mph or km/h and falls back
to :data:`UK_DRIVE_SPEEDS_KMH`); degree-2 chains are then merged with osmnx's
``simplify_graph``, summing travel times so no route changes length.

Routing runs on a CSR copy of the graph (:class:`RoutingGraph`) with points
(demand, services, candidates) added as extra nodes joined to the two ends of
their nearest edge; the off-network leg is walked. A bounded Dijkstra kernel
(:mod:`estate_planner._kernel`) gives sparse source x target times.
"""

from __future__ import annotations

import logging
import re
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
from estate_planner._vocabulary import Mode
from estate_planner.sources.osm import OsmWays
from estate_planner.sources.tables import BNG, to_bng

if TYPE_CHECKING:
    import networkx as nx

logger = logging.getLogger(__name__)


#: Free-flow drive speeds (km/h) by ``highway`` class, used where ``maxspeed`` is
#: missing or not a number (e.g. ``national``). Typical English speeds, not legal
#: limits: rural A roads rarely average their 60 mph limit. Override per class with
#: ``[network] drive_speeds_kmh`` in the scenario.
UK_DRIVE_SPEEDS_KMH: dict[str, float] = {
    "motorway": 104.0,  # 65 mph
    "motorway_link": 64.0,
    "trunk": 88.0,  # 55 mph
    "trunk_link": 48.0,
    "primary": 72.0,  # 45 mph
    "primary_link": 40.0,
    "secondary": 64.0,  # 40 mph
    "secondary_link": 40.0,
    "tertiary": 48.0,  # 30 mph
    "tertiary_link": 32.0,
    "unclassified": 40.0,  # 25 mph country lanes
    "residential": 32.0,  # 20 mph effective in towns
    "living_street": 16.0,
    "service": 16.0,
    "road": 32.0,
}
DRIVE_FALLBACK_KMH = 32.0

# osmnx's network filters (osmnx._overpass._get_network_filter), as regexes on tags.
# Each entry is (tag, pattern): a way is excluded when the tag matches the pattern.
_PRIVATE = [("access", "private")]
_MODE_EXCLUDE: dict[str, list[tuple[str, str]]] = {
    "drive": [
        ("area", "yes"),
        *_PRIVATE,
        (
            "highway",
            "abandoned|bridleway|bus_guideway|construction|corridor|cycleway|elevator|"
            "escalator|footway|no|path|pedestrian|planned|platform|proposed|raceway|razed|"
            "rest_area|service|services|steps|track",
        ),
        ("motor_vehicle", "no"),
        ("motorcar", "no"),
        ("service", "alley|driveway|emergency_access|parking|parking_aisle|private"),
    ],
    "walk": [
        ("area", "yes"),
        *_PRIVATE,
        (
            "highway",
            "abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|"
            "proposed|raceway|razed|rest_area|services",
        ),
        ("foot", "no"),
        ("service", "private"),
        ("sidewalk", "separate"),
        ("sidewalk:both", "separate"),
        ("sidewalk:left", "separate"),
        ("sidewalk:right", "separate"),
    ],
    "cycle": [
        ("area", "yes"),
        *_PRIVATE,
        (
            "highway",
            "abandoned|bus_guideway|construction|corridor|elevator|escalator|footway|"
            "motor|no|planned|platform|proposed|raceway|razed|rest_area|services|steps",
        ),
        ("bicycle", "no"),
        ("service", "private"),
    ],
}
_COMPILED = {
    mode: [(tag, re.compile(pattern)) for tag, pattern in rules]
    for mode, rules in _MODE_EXCLUDE.items()
}
_ONEWAY_YES = {"yes", "true", "1"}
_ONEWAY_REVERSE = {"-1", "reverse"}


def _osmnx() -> Any:
    """osmnx, imported when a graph is built: it takes seconds to import, and a run
    whose graphs come from the cache never needs it."""
    import osmnx

    return osmnx


def way_allowed(tags: dict[str, str], mode: Mode) -> bool:
    """Whether a way with these tags belongs to ``mode``'s network (osmnx semantics)."""
    return not any(tag in tags and pattern.search(tags[tag]) for tag, pattern in _COMPILED[mode])


def _direction(tags: dict[str, str], mode: Mode) -> int:
    """+1 forward only, -1 reverse only, 0 both ways."""
    if mode == "walk":
        return 0
    oneway = tags.get("oneway", "no").lower()
    if tags.get("junction") in ("roundabout", "circular") and oneway not in ("no", "-1"):
        oneway = "yes"
    if mode == "cycle" and tags.get("oneway:bicycle") == "no":
        return 0
    if oneway in _ONEWAY_YES:
        return 1
    if oneway in _ONEWAY_REVERSE:
        return -1
    return 0


def graph_from_ways(
    ways: OsmWays,
    mode: Mode,
    *,
    walk_kmh: float = 4.8,
    cycle_kmh: float = 16.0,
    drive_speeds_kmh: dict[str, float] | None = None,
    simplify: bool = True,
) -> nx.MultiDiGraph:
    """Build the projected street graph of one mode (simplified unless told not to).

    Parameters
    ----------
    ways : OsmWays
        The highway ways of an OSM extract (:func:`estate_planner.sources.osm.read_highways`).
    mode : {"walk", "cycle", "drive"}
        Which ways are usable and in which direction (``oneway`` binds cycle and drive).
    walk_kmh, cycle_kmh : float
        Walking and cycling speeds.
    drive_speeds_kmh : dict, optional
        Free-flow speed by ``highway`` class, over :data:`UK_DRIVE_SPEEDS_KMH`.
    simplify : bool
        Merge chains of edges between junctions (osmnx's simplification).

    Returns
    -------
    networkx.MultiDiGraph
        Nodes with ``x``/``y`` in BNG; edges with ``osmid``, ``length`` (m) and
        ``travel_time`` (s).

    Raises
    ------
    NetworkError
        If no way in the extract can be used by ``mode``.
    """
    x, y = to_bng(ways.lon, ways.lat)
    rows = []
    for way_id, refs, tags in zip(ways.way_ids, ways.way_nodes, ways.way_tags, strict=True):
        if not way_allowed(tags, mode):
            continue
        direction = _direction(tags, mode)
        idx = np.searchsorted(ways.node_ids, refs)
        seg_len = np.hypot(np.diff(x[idx]), np.diff(y[idx]))
        base = {"osmid": way_id, "highway": tags.get("highway", "road")}
        if "maxspeed" in tags:
            base["maxspeed"] = tags["maxspeed"]
        for a, b, length in zip(refs[:-1], refs[1:], seg_len, strict=True):
            if a == b:
                continue
            if direction >= 0:
                rows.append(
                    (
                        int(a),
                        int(b),
                        {
                            **base,
                            "length": float(length),
                            "reversed": False,
                            "oneway": direction != 0,
                        },
                    )
                )
            if direction <= 0:
                rows.append(
                    (
                        int(b),
                        int(a),
                        {
                            **base,
                            "length": float(length),
                            "reversed": direction == 0,
                            "oneway": direction != 0,
                        },
                    )
                )
    if not rows:
        raise NetworkError(
            f"the OSM extract has no ways usable for {mode}; "
            f"remove {mode!r} from network.modes or use an extract with streets"
        )
    import networkx as nx

    graph = nx.MultiDiGraph(crs=BNG)
    used = np.unique(np.fromiter((n for r in rows for n in r[:2]), dtype=np.int64))
    idx = np.searchsorted(ways.node_ids, used)
    graph.add_nodes_from(
        (int(n), {"x": float(px), "y": float(py)})
        for n, px, py in zip(used, x[idx], y[idx], strict=True)
    )
    graph.add_edges_from(rows)
    _add_travel_times(
        graph, mode, walk_kmh=walk_kmh, cycle_kmh=cycle_kmh, drive_speeds_kmh=drive_speeds_kmh
    )
    if simplify:
        graph = _osmnx().simplify_graph(graph, edge_attr_aggs={"length": sum, "travel_time": sum})
        _sort_list_attributes(graph)
    logger.info("%s graph: %d nodes, %d edges", mode, len(graph), graph.number_of_edges())
    return graph


def graph_from_graphml(
    path: Path,
    mode: Mode,
    *,
    walk_kmh: float = 4.8,
    cycle_kmh: float = 16.0,
    drive_speeds_kmh: dict[str, float] | None = None,
) -> nx.MultiDiGraph:
    """Load an osmnx GraphML file for ``mode``, with travel times, in BNG.

    The file is taken to hold one mode's network already (as osmnx saves it). Walk
    and cycle times are set from the given speeds; drive times are kept if the file
    has them, else computed as for OSM extracts (options as :func:`graph_from_ways`).

    Raises
    ------
    NetworkError
        If the file is not a readable GraphML graph or has no edges.
    """
    try:
        graph = _osmnx().load_graphml(path)
    except Exception as exc:
        raise NetworkError(
            f"{path}: not a readable osmnx GraphML file ({exc}); save it with "
            "osmnx.save_graphml or give an .osm.pbf extract instead"
        ) from None
    if graph.number_of_edges() == 0:
        raise NetworkError(f"{path}: the graph has no edges; use a network that covers the area")
    has_times = all("travel_time" in d for _, _, d in graph.edges(data=True))
    if mode != "drive" or not has_times:
        _add_travel_times(
            graph, mode, walk_kmh=walk_kmh, cycle_kmh=cycle_kmh, drive_speeds_kmh=drive_speeds_kmh
        )
    return _osmnx().project_graph(graph, to_crs=BNG)


def _add_travel_times(
    graph: nx.MultiDiGraph,
    mode: Mode,
    *,
    walk_kmh: float,
    cycle_kmh: float,
    drive_speeds_kmh: dict[str, float] | None,
) -> None:
    if mode == "drive":
        speeds = {**UK_DRIVE_SPEEDS_KMH, **(drive_speeds_kmh or {})}
        _osmnx().add_edge_speeds(graph, hwy_speeds=speeds, fallback=DRIVE_FALLBACK_KMH)
    else:
        kmh = walk_kmh if mode == "walk" else cycle_kmh
        import networkx as nx

        nx.set_edge_attributes(graph, kmh, "speed_kph")
    # osmnx.add_edge_travel_times' arithmetic, without the GeoDataFrame it builds first
    # (a LineString per edge: over a second on a county walk network)
    for _, _, data in graph.edges(data=True):
        data["travel_time"] = (data["length"] / 1000) / (data["speed_kph"] / (60 * 60))


def _sort_list_attributes(graph: nx.MultiDiGraph) -> None:
    # osmnx keeps merged attribute values as list(set(...)): order them so output
    # does not depend on PYTHONHASHSEED.
    for _, _, data in graph.edges(data=True):
        for key, value in data.items():
            if isinstance(value, list):
                data[key] = sorted(value, key=str)


# --------------------------------------------------------------------------------------
# Routing on CSR with snapped points


@dataclass
class Snapped:
    """Where each point joins a mode's network."""

    distance_m: np.ndarray  # straight-line distance to the nearest edge
    far: np.ndarray  # bool: farther than the configured snap distance
    node: np.ndarray  # routing-node index of each point


def spatial_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A permutation of nodes along a Morton (Z-order) curve of their coordinates.

    Numbering nodes this way keeps a search's neighbourhood close together in memory:
    a 30-minute search on a 1M-node graph runs about a quarter faster than with
    nodes in OSM id order, which is spatially random.
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
    _reverse: sp.csr_matrix | None = field(default=None, repr=False)

    @property
    def n_nodes(self) -> int:
        return int(self.csr.shape[0])

    def index_of(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Row of each OSM node id."""
        order = np.argsort(self.node_ids)
        wanted = np.asarray(ids, dtype=np.int64)
        return order[np.searchsorted(self.node_ids, wanted, sorter=order)]

    def reverse(self) -> sp.csr_matrix:
        """The transposed CSR (times *to* a source), computed once."""
        if self._reverse is None:
            self._reverse = self.csr.T.tocsr()
        return self._reverse


def routing_graph(graph: nx.MultiDiGraph, mode: str) -> RoutingGraph:
    """CSR copy of ``graph`` keeping the fastest of parallel edges."""
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

    Each point gets two nodes: the point itself and its foot on the street. The
    feet of all points on one street are chained in order along it, each link
    taking its share of the street's time (both ways on a two-way street), and
    each point is joined to its foot by the walked off-network leg. Times between
    points on the same street are therefore exact, and no route through a point
    is shorter than the street itself.
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

    With ``to_sources`` the times run from each target *to* each source (e.g. from
    homes to sites on a network with one-way streets).
    """
    from estate_planner._kernel import bounded_times

    csr = graph.reverse() if to_sources else graph.csr
    return _run_kernel(bounded_times, csr, sources, targets, cutoff, chunk)


#: Memory for one chunk's dense source x target buffer before it is made sparse.
CHUNK_BYTES = 256 * 2**20


def memory_needed(n_nodes: int, n_edges: int, n_sources: int, n_targets: int) -> int:
    """Bytes a travel-time run can need at worst: the graph, the kernel's per-thread
    arrays, one dense chunk, and every source-target pair stored (all within reach)."""
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
    """The area within ``seconds`` of routing node ``node``: reached streets, buffered."""
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
