"""Selection and access checked against peer libraries on the same inputs.

spopt (MCLP, p-median, solved by CBC through pulp) and PySAL ``access`` (E2SFCA).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from estate_planner import select_sites
from estate_planner.access import e2sfca, step_weights

spopt_locate = pytest.importorskip("spopt.locate", reason="spopt is a dev dependency")
pulp = pytest.importorskip("pulp")
access_lib = pytest.importorskip("access", reason="PySAL access is a dev dependency")


def instance(seed: int, n_cand: int = 25, n_demand: int = 250, n_fixed: int = 3):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, 10_000, (n_demand, 2))
    sites = rng.uniform(0, 10_000, (n_cand + n_fixed, 2))
    # travel seconds at 8 m/s with a detour factor
    cost = (
        np.linalg.norm(points[:, None, :] - sites[None, :, :], axis=2)
        / 8
        * rng.uniform(1.1, 1.4, (n_demand, n_cand + n_fixed))
    )
    weights = rng.integers(50, 2000, n_demand).astype(float)
    return cost, weights, n_cand


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mclp_matches_spopt(seed: int) -> None:
    cost, weights, n_cand = instance(seed)
    threshold, k = 420.0, 4
    ours = select_sites(
        cost[:, :n_cand].T, weights, k, threshold=threshold, fixed=cost[:, n_cand:].T, curve=False
    )
    fixed = np.zeros(cost.shape[1], dtype=bool)
    fixed[n_cand:] = True
    model = spopt_locate.MCLP.from_cost_matrix(
        cost, weights, threshold, k + int(fixed.sum()), predefined_facilities_arr=fixed
    )
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    spopt_covered = pulp.value(model.problem.objective)
    already = weights[(cost[:, n_cand:] <= threshold).any(axis=1)].sum()
    assert ours.value == pytest.approx(spopt_covered - already)


@pytest.mark.parametrize("seed", [0, 1])
def test_pmedian_matches_spopt(seed: int) -> None:
    cost, weights, _ = instance(seed, n_cand=15, n_demand=120, n_fixed=0)
    k = 3
    ours = select_sites(cost.T, weights, k, objective="median", curve=False)
    model = spopt_locate.PMedian.from_cost_matrix(cost, weights, k)
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    assert ours.value == pytest.approx(pulp.value(model.problem.objective), rel=1e-9)


def test_e2sfca_matches_pysal_access() -> None:
    rng = np.random.default_rng(4)
    cost, weights, n_cand = instance(4, n_cand=12, n_demand=80, n_fixed=0)
    supply = rng.integers(1, 10, n_cand).astype(float)
    steps = {5: 1.0, 10: 0.68, 15: 0.22}  # minutes
    pairs = pd.DataFrame(
        [
            (i, j, cost[i, j] / 60)
            for i in range(cost.shape[0])
            for j in range(n_cand)
            if cost[i, j] <= 900
        ],
        columns=["origin", "dest", "minutes"],
    )
    model = access_lib.Access(
        demand_df=pd.DataFrame({"id": range(cost.shape[0]), "pop": weights}),
        demand_index="id",
        demand_value="pop",
        supply_df=pd.DataFrame({"id": range(n_cand), "cap": supply}),
        supply_index="id",
        supply_value="cap",
        cost_df=pairs,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="minutes",
    )
    expected = model.enhanced_two_stage_fca(weight_fn=access_lib.weights.step_fn(steps))
    expected = expected.iloc[:, 0].reindex(range(cost.shape[0])).fillna(0).to_numpy()
    rows, cols = np.nonzero(cost[:, :n_cand].T <= 900)
    times = sp.csr_matrix(
        (cost[:, :n_cand].T[rows, cols], (rows, cols)), shape=(n_cand, cost.shape[0])
    )
    got = e2sfca(times, supply, weights, step_weights(steps))
    np.testing.assert_allclose(got, expected, rtol=1e-9)
