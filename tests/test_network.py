from __future__ import annotations

import itertools
import math
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point

from estate_planner import NetworkError, travel_time_matrix
from estate_planner.network import graph_from_ways, way_allowed
from estate_planner.sources.osm import read_highways
from estate_planner.travel import RoutingGraph, routing_graph, snap_points, times_between


def random_graph(seed: int, n: int = 60, m: int = 240) -> nx.MultiDiGraph:
    rng = np.random.default_rng(seed)
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(range(n))
    for _ in range(m):
        u, v = rng.integers(0, n, 2)
        graph.add_edge(int(u), int(v), travel_time=float(rng.uniform(1, 120)))
    return graph


def reference(graph: nx.MultiDiGraph, sources, targets, cutoff):  # type: ignore[no-untyped-def]
    out = np.full((len(sources), len(targets)), np.inf)
    for i, s in enumerate(sources):
        dist = nx.single_source_dijkstra_path_length(graph, s, cutoff=cutoff, weight="travel_time")
        for j, t in enumerate(targets):
            out[i, j] = dist.get(t, np.inf)
    return out


def as_dense(matrix) -> np.ndarray:  # type: ignore[no-untyped-def]
    dense = np.full(matrix.shape, np.inf)
    coo = matrix.tocoo()
    dense[coo.row, coo.col] = coo.data
    return dense


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cutoff=st.one_of(st.none(), st.floats(10, 400)))
def test_times_equal_networkx(seed: int, cutoff: float | None) -> None:
    graph = random_graph(seed)
    sources = list(range(0, 60, 7))
    targets = [*range(3, 60, 2), 0]  # 0 is also a source: its zero must survive
    got = as_dense(travel_time_matrix(graph, sources, targets, cutoff=cutoff))
    np.testing.assert_allclose(got, reference(graph, sources, targets, cutoff), rtol=0, atol=1e-9)


def street_graph(seed: int) -> nx.MultiDiGraph:
    """Junctions joined by chains of shape points (one-way or two-way), as OSM gives
    before simplification, plus a few stray links; times with many digits."""
    rng = np.random.default_rng(seed)
    graph = nx.MultiDiGraph()
    junctions = list(range(12))
    graph.add_nodes_from(junctions)
    next_id = 100
    for _ in range(30):
        a, b = (int(x) for x in rng.choice(junctions, 2, replace=False))
        points = list(range(next_id, next_id + int(rng.integers(0, 6))))
        next_id += len(points)
        path = [a, *points, b]
        two_way = rng.random() < 0.7
        for u, v in itertools.pairwise(path):
            graph.add_edge(u, v, travel_time=float(rng.uniform(0.1, 90)))
            if two_way:
                graph.add_edge(v, u, travel_time=float(rng.uniform(0.1, 90)))
    for _ in range(5):
        u, v = (int(x) for x in rng.choice(list(graph.nodes), 2, replace=False))
        graph.add_edge(u, v, travel_time=float(rng.uniform(0.1, 90)))
    return graph


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), cutoff=st.one_of(st.none(), st.floats(30, 600)))
def test_merging_chains_changes_no_time_bit_for_bit(seed: int, cutoff: float | None) -> None:
    graph = street_graph(seed)
    nodes = sorted(graph.nodes)
    rng = np.random.default_rng(seed)
    sources = [int(x) for x in rng.choice(nodes, 6, replace=False)]
    targets = [int(x) for x in rng.choice(nodes, len(nodes) // 3, replace=False)]
    matrix = travel_time_matrix(graph, sources, targets, cutoff=cutoff)
    assert np.array_equal(as_dense(matrix), reference(graph, sources, targets, cutoff))
    for row in range(matrix.shape[0]):  # each row's columns come out in order
        assert (np.diff(matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]) > 0).all()


def test_chains_are_merged_to_their_junctions() -> None:
    from estate_planner._kernel import contract_chains

    # 0 <-> 1 <-> 2 <-> 3 two-way, 3 -> 4 -> 5 -> 0 one-way; 5 is kept (a target)
    pairs = [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2), (3, 4), (4, 5), (5, 0)]
    u = np.array([p[0] for p in pairs])
    v = np.array([p[1] for p in pairs])
    w = np.arange(1.0, len(pairs) + 1)
    order = np.lexsort((v, u))
    indptr = np.searchsorted(u[order], np.arange(7))
    keep = np.array([False, False, False, False, False, True])
    ptr, idx, first, ext, more, new_id = contract_chains(indptr, v[order], w[order], keep)
    # 1, 2 and 4 are passed through; 0 (three links) and 3 (three links) stay
    assert new_id.tolist() == [0, -1, -1, 1, -1, 2]
    edges = {
        (a, int(idx[k])): [float(first[k]), *more[ext[k] : ext[k + 1]].tolist()]
        for a in range(3)
        for k in range(ptr[a], ptr[a + 1])
    }
    assert edges == {
        (0, 1): [1.0, 3.0, 5.0],  # 0 -> 1 -> 2 -> 3
        (1, 0): [6.0, 4.0, 2.0],  # 3 -> 2 -> 1 -> 0
        (1, 2): [7.0, 8.0],  # 3 -> 4 -> 5
        (2, 0): [9.0],
    }


@pytest.mark.parametrize(("mode", "simplify"), [("drive", False), ("walk", False), ("drive", True)])
def test_times_equal_networkx_on_the_rutland_network(
    shared_data: Path, mode: str, simplify: bool
) -> None:
    pbf = shared_data / "osm_rutland" / "rutland-2018-02-27.osm.pbf"
    graph = graph_from_ways(read_highways(pbf), mode, simplify=simplify)  # type: ignore[arg-type]
    nodes = np.array(sorted(graph.nodes))
    rng = np.random.default_rng(3)
    sources = rng.choice(nodes, 8, replace=False).tolist()
    targets = rng.choice(nodes, min(3000, len(nodes) // 2), replace=False).tolist()
    cutoff = 1200.0 if mode == "drive" else 3600.0
    got = as_dense(travel_time_matrix(graph, sources, targets, cutoff=cutoff))
    want = reference(graph, sources, targets, cutoff)
    assert np.isfinite(want).sum() > 1000  # a real test: many pairs within the cutoff
    assert np.array_equal(got, want)  # node to node, bit for bit


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), small=st.floats(5, 300), extra=st.floats(0, 300))
def test_a_larger_cutoff_never_loses_a_pair(seed: int, small: float, extra: float) -> None:
    graph = street_graph(seed)
    nodes = sorted(graph.nodes)
    near = as_dense(travel_time_matrix(graph, nodes[:8], nodes, cutoff=small))
    far = as_dense(travel_time_matrix(graph, nodes[:8], nodes, cutoff=small + extra))
    kept = np.isfinite(near)
    assert np.array_equal(far[kept], near[kept])  # every pair kept, with the same time
    assert (far[~kept] > small).all()  # what the smaller cutoff left out lies beyond it


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    u=st.integers(0, 39),
    v=st.integers(0, 39),
    seconds=st.floats(0.5, 200),
)
def test_adding_an_edge_never_lengthens_a_time(seed: int, u: int, v: int, seconds: float) -> None:
    graph = random_graph(seed, n=40, m=120)
    nodes = list(range(40))
    before = as_dense(travel_time_matrix(graph, nodes, nodes))
    graph.add_edge(u, v, travel_time=seconds)
    after = as_dense(travel_time_matrix(graph, nodes, nodes))
    assert (after <= before).all()


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_times_are_never_negative_and_obey_the_triangle_inequality(seed: int) -> None:
    graph = random_graph(seed, n=40, m=200)
    nodes = list(range(40))
    d = as_dense(travel_time_matrix(graph, nodes, nodes))
    assert (d >= 0).all()
    via = (d[:, :, None] + d[None, :, :]).min(axis=1)
    assert (d <= via + 1e-9).all()


def test_parallel_edges_keep_the_fastest_and_duplicate_targets_are_allowed() -> None:
    graph = nx.MultiDiGraph()
    graph.add_edge(1, 2, travel_time=50.0)
    graph.add_edge(1, 2, travel_time=20.0)
    matrix = travel_time_matrix(graph, [1], [2, 2, 1])
    assert as_dense(matrix).tolist() == [[20.0, 20.0, 0.0]]


def test_unknown_nodes_and_missing_times_are_clear_errors() -> None:
    graph = nx.MultiDiGraph()
    graph.add_edge(1, 2, travel_time=5.0)
    with pytest.raises(NetworkError, match="not nodes of the graph"):
        travel_time_matrix(graph, [1], [99])
    graph.add_edge(2, 3)
    with pytest.raises(NetworkError, match="add_edge_travel_times"):
        travel_time_matrix(graph, [1], [3])


@pytest.mark.parametrize(
    ("tags", "walk", "drive", "cycle"),
    [
        ({"highway": "residential"}, True, True, True),
        ({"highway": "footway"}, True, False, False),
        ({"highway": "pedestrian"}, True, False, True),
        ({"highway": "cycleway"}, False, False, True),
        ({"highway": "motorway"}, False, True, False),
        ({"highway": "track"}, True, False, True),
        ({"highway": "residential", "access": "private"}, False, False, False),
        ({"highway": "service", "service": "driveway"}, True, False, True),
        ({"highway": "primary", "foot": "no"}, False, True, True),
        ({"highway": "steps"}, True, False, False),
    ],
)
def test_mode_filters_follow_osmnx(
    tags: dict[str, str], walk: bool, drive: bool, cycle: bool
) -> None:
    assert (way_allowed(tags, "walk"), way_allowed(tags, "drive"), way_allowed(tags, "cycle")) == (
        walk,
        drive,
        cycle,
    )


OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
 <node id="1" lat="52.60000" lon="-0.70000"/>
 <node id="2" lat="52.60000" lon="-0.69000"/>
 <node id="3" lat="52.60000" lon="-0.68000"/>
 <node id="4" lat="52.61000" lon="-0.68000"/>
 <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/><tag k="maxspeed" v="40 mph"/><tag k="oneway" v="yes"/></way>
 <way id="11"><nd ref="3"/><nd ref="4"/><tag k="highway" v="unclassified"/><tag k="maxspeed" v="national"/></way>
 <way id="12"><nd ref="4"/><nd ref="1"/><tag k="highway" v="footway"/></way>
</osm>
"""


@pytest.fixture
def tiny_osm(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.osm"
    path.write_text(OSM)
    return path


def test_drive_graph_speeds_and_one_way(tiny_osm: Path) -> None:
    ways = read_highways(tiny_osm)
    drive = graph_from_ways(ways, "drive", simplify=False)
    assert drive.has_edge(1, 2) and not drive.has_edge(2, 1)  # one-way respected
    assert not drive.has_edge(4, 1)  # footway is not for cars
    data = next(iter(drive.get_edge_data(1, 2).values()))
    assert data["speed_kph"] == pytest.approx(40 * 1.609344, rel=1e-4)
    assert data["travel_time"] == pytest.approx(data["length"] / (40 * 1.609344 / 3.6), rel=1e-3)
    lane = next(iter(drive.get_edge_data(3, 4).values()))
    assert lane["speed_kph"] == pytest.approx(40.0)  # 'national' falls back to the class default
    # 0.01 degrees of longitude at 52.6N is about 677 m
    assert data["length"] == pytest.approx(677, rel=0.01)


def test_walk_graph_is_two_way_at_walking_speed(tiny_osm: Path) -> None:
    walk = graph_from_ways(read_highways(tiny_osm), "walk", walk_kmh=5.0, simplify=False)
    assert walk.has_edge(2, 1) and walk.has_edge(1, 4)
    data = next(iter(walk.get_edge_data(2, 1).values()))
    assert data["travel_time"] == pytest.approx(data["length"] / (5 / 3.6), rel=1e-3)


def test_simplification_changes_no_travel_time(demo_dir: Path) -> None:
    ways = read_highways(demo_dir / "streets.osm")
    for mode in ("walk", "drive"):
        raw = graph_from_ways(ways, mode, simplify=False)
        simple = graph_from_ways(ways, mode)
        kept = sorted(simple.nodes)[::25]
        expected = travel_time_matrix(raw, kept, kept)
        got = travel_time_matrix(simple, kept, kept)
        np.testing.assert_allclose(as_dense(got), as_dense(expected), rtol=1e-9)


def test_edge_times_are_what_osmnx_computes(demo_dir: Path) -> None:
    import osmnx

    ways = read_highways(demo_dir / "streets.osm")
    for mode in ("walk", "drive"):
        graph = graph_from_ways(ways, mode, simplify=False)  # type: ignore[arg-type]
        ours = {(u, v, k): d["travel_time"] for u, v, k, d in graph.edges(keys=True, data=True)}
        osmnx.add_edge_travel_times(graph)
        theirs = {(u, v, k): d["travel_time"] for u, v, k, d in graph.edges(keys=True, data=True)}
        assert ours == theirs


def line_graph() -> RoutingGraph:
    """Two-way street A(0,0) - B(1000,0), 100 s each way, and one-way B -> C(1000,1000)."""
    graph = nx.MultiDiGraph(crs="EPSG:27700")
    graph.add_node(1, x=0.0, y=0.0)
    graph.add_node(2, x=1000.0, y=0.0)
    graph.add_node(3, x=1000.0, y=1000.0)
    graph.add_edge(1, 2, travel_time=100.0)
    graph.add_edge(2, 1, travel_time=100.0)
    graph.add_edge(2, 3, travel_time=100.0)
    graph.add_edge(3, 1, travel_time=300.0)
    return routing_graph(graph, "drive")


def test_snapped_points_add_the_walked_leg_and_the_share_of_the_edge() -> None:
    graph = line_graph()
    walk_ms = 3.6 / 3.6  # 3.6 km/h = 1 m/s keeps the arithmetic plain
    points = gpd.GeoSeries([Point(250, 30), Point(750, -40)], crs="EPSG:27700")
    snapped_graph, snapped = snap_points(graph, points, walk_kmh=3.6, max_snap_m=35)
    assert snapped.distance_m.tolist() == pytest.approx([30, 40])
    assert snapped.far.tolist() == [False, True]
    times = as_dense(times_between(snapped_graph, snapped.node, snapped.node))
    # P1 -> P2: 30 s walk, 50 s along the street to x=750, 40 s walk
    assert times[0, 1] == pytest.approx(30 / walk_ms + 50 + 40 / walk_ms)
    assert times[1, 0] == pytest.approx(40 + 50 + 30)
    # from P1 to node C: walk on, 75 s to B, 100 s to C
    c = int(graph.index_of([3])[0])
    to_c = as_dense(times_between(snapped_graph, snapped.node[:1], np.array([c])))
    assert to_c[0, 0] == pytest.approx(30 + 75 + 100)


def test_points_do_not_create_shortcuts() -> None:
    graph = line_graph()
    points = gpd.GeoSeries([Point(500, 0)], crs="EPSG:27700")
    snapped_graph, _ = snap_points(graph, points, walk_kmh=4.8, max_snap_m=500)
    street = np.arange(graph.n_street)
    before = as_dense(times_between(graph, street, street))
    after = as_dense(times_between(snapped_graph, street, street))
    np.testing.assert_allclose(after, before)


def test_snapping_to_a_one_way_street_only_goes_with_the_flow() -> None:
    graph = line_graph()
    # beside the one-way B -> C, half way up
    points = gpd.GeoSeries([Point(1000, 500)], crs="EPSG:27700")
    snapped_graph, snapped = snap_points(graph, points, walk_kmh=3.6, max_snap_m=500)
    b = int(graph.index_of([2])[0])
    c = int(graph.index_of([3])[0])
    out = as_dense(times_between(snapped_graph, snapped.node, np.array([b, c])))
    assert out[0, 1] == pytest.approx(50)  # on to C with the flow
    # to B only round the loop: 50 to C, 300 to A, 100 to B
    assert out[0, 0] == pytest.approx(450)
    assert math.isfinite(out[0, 0])


def test_reading_a_truncated_or_empty_osm_file_is_a_clear_error(tmp_path: Path) -> None:
    from estate_planner import InputDataError

    bad = tmp_path / "broken.osm"
    bad.write_text(OSM[: len(OSM) // 2])
    with pytest.raises(InputDataError, match="broken.osm"):
        read_highways(bad)
    empty = tmp_path / "empty.osm"
    empty.write_text('<?xml version="1.0"?><osm version="0.6"></osm>')
    with pytest.raises(InputDataError, match="no ways tagged highway"):
        read_highways(empty)


def test_a_run_that_would_not_fit_says_so_before_it_starts(demo_scenario, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from estate_planner import InfeasibleError, pipeline, travel
    from estate_planner.cache import Cache

    monkeypatch.setattr(travel, "available_memory", lambda: 64 * 2**20)  # a 64 MB machine
    with pytest.raises(
        InfeasibleError, match="may need up to .* GB, more than the 0.1 GB available"
    ):
        pipeline.run(demo_scenario, cache=Cache(None))  # no cache: the work is to do


def test_memory_estimate_for_an_icb() -> None:
    from estate_planner.travel import memory_needed

    # 2,000 sites x 35,000 demand points on a 1M-node network: a few GB at worst
    assert 1 * 2**30 < memory_needed(1_000_000, 2_700_000, 2_000, 35_000) < 3 * 2**30


def test_a_routable_network_from_an_osm_file_in_one_public_call(demo_dir: Path) -> None:
    """``ep.graph_from_osm_file`` gives what travel_time_matrix takes, with the times
    networkx's Dijkstra finds on the street graph built step by step."""
    import estate_planner as ep

    walk = ep.graph_from_osm_file(demo_dir / "streets.osm", mode="walk")
    assert isinstance(walk, RoutingGraph) and walk.mode == "walk"
    graph = graph_from_ways(read_highways(demo_dir / "streets.osm"), "walk")
    nodes = sorted(graph.nodes)[::97][:12]
    times = ep.travel_time_matrix(walk, nodes, nodes, cutoff=1800).toarray()
    for i, source in enumerate(nodes):
        expected = nx.single_source_dijkstra_path_length(graph, source, cutoff=1800,
                                                         weight="travel_time")  # fmt: skip
        for j, target in enumerate(nodes):
            # a pair beyond the cutoff is not stored, and reads 0 in the dense copy
            assert times[i, j] == pytest.approx(expected.get(target, 0.0), abs=1e-6)
    assert (times > 0).sum() > len(nodes)
    drive = ep.graph_from_osm_file(str(demo_dir / "streets.osm"), mode="drive")
    assert drive.mode == "drive" and drive.n_street < walk.n_street


def test_graph_from_osm_file_names_a_missing_file(tmp_path: Path) -> None:
    import estate_planner as ep

    with pytest.raises(ep.InputDataError, match="not found"):
        ep.graph_from_osm_file(tmp_path / "nowhere.osm.pbf")
