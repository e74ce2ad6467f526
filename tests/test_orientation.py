"""Every public time matrix has the orientation its docstring states (issue 24 item 5).

The rule is written once, in :mod:`estate_planner.travel`'s docstring: the routing
engines return origins x destinations; the planning layer (``access.ModeTimes`` and
what reads it) holds demand -> site times as sites x demand, the transpose, taken at
one boundary (``stages.routing``). Each check uses more origins than destinations and
one-way streets, so a transposed or reversed matrix cannot pass.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from estate_planner import access, travel
from estate_planner.stages import routing


def _one_way_graph() -> nx.MultiDiGraph:
    """a -> b -> c one way (10 s, 20 s); back c -> a directly in 100 s; d off to the side."""
    g = nx.MultiDiGraph()
    for n, x in zip((1, 2, 3, 4), (0.0, 100.0, 200.0, 300.0), strict=True):
        g.add_node(n, x=x, y=0.0)
    for u, v, t in ((1, 2, 10.0), (2, 3, 20.0), (3, 1, 100.0), (3, 4, 5.0)):
        g.add_edge(u, v, travel_time=t)
    return g


def test_travel_time_matrix_is_origins_by_destinations() -> None:
    g = _one_way_graph()
    sources, targets = [1, 2, 3], [4, 1]
    times = travel.travel_time_matrix(g, sources, targets)
    assert times.shape == (3, 2)
    expected = np.array(
        [[nx.shortest_path_length(g, s, t, weight="travel_time") for t in targets]
         for s in sources]
    )  # fmt: skip
    assert np.allclose(times.toarray(), expected)  # e.g. 1 -> 4 is 35 s, 4 -> 1 impossible


def test_times_between_is_sources_by_targets_either_way() -> None:
    graph = travel.routing_graph(_one_way_graph(), "walk")
    row = {int(n): i for i, n in enumerate(graph.node_ids)}
    sources = np.array([row[1], row[2], row[3]])
    targets = np.array([row[3], row[1]])
    forward = travel.times_between(graph, sources, targets)
    backward = travel.times_between(graph, sources, targets, to_sources=True)
    assert forward.shape == backward.shape == (3, 2)
    assert forward[0, 0] == pytest.approx(30)  # 1 -> 3
    assert backward[0, 0] == pytest.approx(100)  # 3 -> 1: from the target to the source


def test_a_runs_times_are_sites_by_demand_and_the_engines_transpose(demo_result) -> None:  # type: ignore[no-untyped-def]
    n_demand = len(demo_result.demand)
    for mode, times in demo_result.times.items():
        assert times.services.shape == (len(demo_result.services), n_demand), mode
        assert times.candidates.shape == (len(demo_result.candidates), n_demand), mode
        assert access.nearest_seconds(times.services).shape == (n_demand,)
        assert access.covered_by(times.candidates, times.threshold_s).shape == (n_demand,)
        if mode == "transit":
            continue
        # the one boundary: the engine's origins (demand) x destinations (sites), transposed
        net = demo_result.networks[mode]
        horizon = times.threshold_s * access.HORIZON_FACTOR
        engine = travel.times_between(
            net.graph, net.demand.node, net.candidates.node, cutoff=horizon
        )
        assert engine.shape == (n_demand, len(demo_result.candidates))
        stage, _ = routing.street_times(
            net.graph, net.demand.node, net.services.node, net.candidates.node,
            mode=mode, horizon=horizon,
        )  # fmt: skip
        assert stage.shape == times.services.shape
        difference = abs(sp.csr_matrix(engine.T) - sp.csr_matrix(times.candidates))
        assert difference.nnz == 0 or difference.max() < 1e-6, mode
        if mode == "drive":  # one-way streets: the times from the sites are not these
            wrong = travel.times_between(
                net.graph, net.candidates.node, net.demand.node, cutoff=horizon
            )
            assert abs(wrong - sp.csr_matrix(times.candidates)).max() > 10


def test_transit_time_matrix_is_origins_by_destinations(demo_result) -> None:  # type: ignore[no-untyped-def]
    from estate_planner.transit import transit_time_matrix

    scenario = demo_result.scenario
    origins = demo_result.demand.geometry.iloc[:5]
    destinations = demo_result.candidates.geometry.iloc[:2]
    times = transit_time_matrix(
        [scenario.network.gtfs[0]], demo_result.networks["walk"].graph, origins,
        destinations, date=scenario.transit.date, end="07:30",
    )  # fmt: skip
    assert times.shape == (5, 2)
