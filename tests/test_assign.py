"""Assignment against brute force and against networkx's min-cost flow."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from estate_planner.appraisal.assign import capacitated, nearest


def instance(seed: int, n_sites: int, n_points: int, density: float = 0.4):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    times = rng.integers(0, 1800, (n_sites, n_points)).astype(float)
    times[rng.random((n_sites, n_points)) > density] = np.inf
    people = rng.integers(0, 400, n_points).astype(float)
    return times, people, rng


def as_sparse(times: np.ndarray) -> sp.csr_matrix:
    rows, cols = np.nonzero(np.isfinite(times))
    return sp.csr_matrix((times[rows, cols], (rows, cols)), shape=times.shape)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), n_sites=st.integers(1, 8), n_points=st.integers(1, 30))
def test_nearest_equals_brute_force(seed: int, n_sites: int, n_points: int) -> None:
    times, _, _ = instance(seed, n_sites, n_points)
    limit = 1200.0
    site, secs = nearest(as_sparse(times), limit=limit)
    for i in range(n_points):
        column = times[:, i]
        ok = np.isfinite(column) & (column <= limit)
        if not ok.any():
            assert site[i] == -1 and np.isnan(secs[i])
            continue
        brute = min(range(n_sites), key=lambda j: (column[j] if ok[j] else np.inf, j))
        assert site[i] == brute
        assert secs[i] == column[brute]


def reference(
    times: np.ndarray, people: np.ndarray, cap: np.ndarray, limit: float
) -> tuple[float, float]:
    """networkx's min-cost maximum flow: (people served, people x seconds)."""
    graph = nx.DiGraph()
    n_sites, n_points = times.shape
    for i in range(n_points):
        graph.add_edge("s", ("p", i), capacity=int(people[i]), weight=0)
    for j in range(n_sites):
        if np.isfinite(cap[j]):
            graph.add_edge(("h", j), "t", capacity=int(cap[j]), weight=0)
        else:  # no capacity attribute: networkx reads it as unlimited
            graph.add_edge(("h", j), "t", weight=0)
        for i in range(n_points):
            if np.isfinite(times[j, i]) and times[j, i] <= limit:
                graph.add_edge(("p", i), ("h", j), weight=int(times[j, i]))
    if not graph.has_node("t"):
        return 0.0, 0.0
    flow = nx.max_flow_min_cost(graph, "s", "t")
    served = sum(flow["s"].values())
    return float(served), float(nx.cost_of_flow(graph, flow))


@pytest.mark.parametrize("method", ["ortools", "paths"])
@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    n_sites=st.integers(1, 7),
    n_points=st.integers(1, 25),
    tight=st.floats(0.2, 1.5),
)
def test_capacitated_cost_equals_networkx(
    method: str, seed: int, n_sites: int, n_points: int, tight: float
) -> None:
    times, people, rng = instance(seed, n_sites, n_points)
    # capacities from a fifth to 1.5 times an even share of everyone
    share = people.sum() / n_sites
    cap = np.floor(rng.uniform(0.5, 1.5, n_sites) * share * tight)
    limit = 1500.0
    result = capacitated(as_sparse(times), people, cap, limit=limit, method=method)  # type: ignore[arg-type]
    served, cost = reference(times, people, cap, limit)
    assert result.people.sum() == pytest.approx(served)
    assert result.total_seconds == pytest.approx(cost)
    assert (result.load <= cap + 1e-6).all()
    got = np.bincount(result.point, weights=result.people, minlength=n_points)
    assert got + result.unserved == pytest.approx(people)
    reach = np.isfinite(times) & (times <= limit)
    assert (reach[result.site, result.point]).all()


@pytest.mark.parametrize("method", ["ortools", "paths"])
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), n_sites=st.integers(2, 7), n_points=st.integers(1, 25))
def test_some_sites_without_limit_cost_equals_networkx(
    method: str, seed: int, n_sites: int, n_points: int
) -> None:
    """Pairs slower than an unlimited site are dropped before solving: still optimal."""
    times, people, rng = instance(seed, n_sites, n_points, density=0.6)
    cap = np.floor(rng.uniform(0.05, 0.5, n_sites) * people.sum())
    cap[rng.random(n_sites) < 0.4] = np.inf
    result = capacitated(as_sparse(times), people, cap, limit=1500.0, method=method)  # type: ignore[arg-type]
    served, cost = reference(times, people, cap, 1500.0)
    assert result.people.sum() == pytest.approx(served)
    assert result.total_seconds == pytest.approx(cost)
    assert (result.load <= cap + 1e-6).all()


def test_without_capacity_limit_it_is_nearest() -> None:
    times, people, _ = instance(7, 6, 40)
    site, secs = nearest(as_sparse(times), limit=1500)
    result = capacitated(as_sparse(times), people, np.inf, limit=1500)
    reached = (site >= 0) & (people > 0)
    assert result.total_seconds == pytest.approx(float(people[reached] @ secs[reached]))
    assert (result.served_by()[reached] == site[reached]).all()


def test_fractional_people_and_times_agree_between_solvers() -> None:
    rng = np.random.default_rng(11)
    times = rng.uniform(0, 1200, (6, 80))
    times[rng.random(times.shape) > 0.5] = np.inf
    people = rng.uniform(0, 300, 80)
    cap = rng.uniform(500, 2500, 6)
    a = capacitated(as_sparse(times), people, cap, method="ortools")
    b = capacitated(as_sparse(times), people, cap, method="paths")
    # OR-Tools works to 0.1 s and 0.01 people: totals agree to that resolution
    assert a.people.sum() == pytest.approx(b.people.sum(), abs=1.0)
    assert a.total_seconds == pytest.approx(b.total_seconds, rel=1e-4)
    assert (a.load <= cap + 1e-9).all()
