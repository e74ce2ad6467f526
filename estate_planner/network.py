"""Street graphs per mode from OSM extracts (or osmnx GraphML files).

Graphs are osmnx-style ``networkx.MultiDiGraph`` objects in British National Grid
(EPSG:27700) with ``length`` (m) and ``travel_time`` (s) on every edge. Speeds come
from osmnx (``add_edge_speeds`` parses ``maxspeed`` in mph or km/h and falls back
to :data:`UK_DRIVE_SPEEDS_KMH`); degree-2 chains are then merged with osmnx's
``simplify_graph``, summing travel times so no route changes length. Travel times
on them are :mod:`estate_planner.travel`'s job.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from estate_planner._errors import NetworkError
from estate_planner._vocabulary import Mode
from estate_planner.sources.osm import OsmWays
from estate_planner.sources.tables import BNG, to_bng

if TYPE_CHECKING:
    import networkx as nx

    from estate_planner.travel import RoutingGraph

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
    """Whether a way with these tags belongs to ``mode``'s network (osmnx's filters).

    Parameters
    ----------
    tags : dict
        The way's OSM tags.
    mode : {"walk", "cycle", "drive"}

    Returns
    -------
    bool

    Examples
    --------
    >>> way_allowed({"highway": "footway"}, "drive"), way_allowed({"highway": "footway"}, "walk")
    (False, True)
    """
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
    has them, else computed as for OSM extracts.

    Parameters
    ----------
    path : pathlib.Path
        An osmnx GraphML file.
    mode : {"walk", "cycle", "drive"}
    walk_kmh, cycle_kmh, drive_speeds_kmh
        As :func:`graph_from_ways`.

    Returns
    -------
    networkx.MultiDiGraph
        As :func:`graph_from_ways`.

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


def graph_from_osm_file(
    path: Path | str,
    mode: Mode = "walk",
    *,
    walk_kmh: float = 4.8,
    cycle_kmh: float = 16.0,
    drive_speeds_kmh: dict[str, float] | None = None,
) -> RoutingGraph:
    """A routable street network of one mode from an OSM extract, in one call.

    Reads the extract (or an osmnx GraphML file), builds the mode's graph as a run does
    (:func:`graph_from_ways`, simplified, travel times in seconds, BNG) and returns its
    routing form, which :func:`~estate_planner.travel.travel_time_matrix` and
    :func:`~estate_planner.transit.transit_time_matrix` take.

    Parameters
    ----------
    path : pathlib.Path or str
        ``.osm``, ``.osm.bz2``, ``.osm.pbf`` (e.g. a Geofabrik extract) or ``.graphml``.
    mode : {"walk", "cycle", "drive"}
        Which ways are usable and in which direction.
    walk_kmh, cycle_kmh : float
        Walking and cycling speeds.
    drive_speeds_kmh : dict, optional
        Free-flow speed by ``highway`` class, over :data:`UK_DRIVE_SPEEDS_KMH`.

    Returns
    -------
    RoutingGraph
        ``node_ids`` are the OSM ids of its junctions (the ids
        :func:`~estate_planner.travel.travel_time_matrix` takes as sources and targets).

    Raises
    ------
    InputDataError
        If the file is missing, not an OSM extract, or holds no highways.
    NetworkError
        If the mode's graph has no edges.

    Examples
    --------
    >>> import estate_planner as ep  # doctest: +SKIP
    >>> walk = ep.graph_from_osm_file("data/demo/streets.osm", mode="walk")  # doctest: +SKIP
    >>> ep.travel_time_matrix(walk, walk.node_ids[:5], walk.node_ids[:5])  # doctest: +SKIP
    """
    from estate_planner.sources.osm import read_highways
    from estate_planner.travel import routing_graph

    path = Path(path)
    if path.name.lower().endswith(".graphml"):
        graph = graph_from_graphml(path, mode, walk_kmh=walk_kmh, cycle_kmh=cycle_kmh,
                                   drive_speeds_kmh=drive_speeds_kmh)  # fmt: skip
    else:
        graph = graph_from_ways(read_highways(path), mode, walk_kmh=walk_kmh,
                                cycle_kmh=cycle_kmh, drive_speeds_kmh=drive_speeds_kmh)  # fmt: skip
    return routing_graph(graph, mode)


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
