"""Selection checked against brute force over every combination."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from estate_planner import InfeasibleError, select_sites
from estate_planner.optimise import Coverage, Median, Request
from estate_planner.optimise.heuristics import greedy, swap


def instance(seed: int, n: int = 9, m: int = 40):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    times = rng.uniform(0, 1200, (n, m))
    times[rng.random((n, m)) < 0.35] = np.inf
    fixed = rng.uniform(200, 2000, (2, m))
    weights = rng.integers(1, 500, m).astype(float)
    costs = rng.integers(5, 50, n).astype(float) * 1000
    return times, fixed, weights, costs


def brute_coverage(times, fixed, w, k, thr, mask=None, costs=None, budget=None):  # type: ignore[no-untyped-def]
    unmet = ~(fixed <= thr).any(axis=0)
    best = -1.0
    for combo in itertools.combinations(range(len(times)), k):
        if mask is not None and not mask[list(combo)].all():
            continue
        if budget is not None and costs[list(combo)].sum() > budget:
            continue
        reached = (times[list(combo)] <= thr).any(axis=0) & unmet
        best = max(best, float(w[reached].sum()))
    return best


def brute_median(times, fixed, w, k):  # type: ignore[no-untyped-def]
    base = fixed.min(axis=0)
    return min(
        float((w * np.minimum(base, times[list(c)].min(axis=0))).sum())
        for c in itertools.combinations(range(len(times)), k)
    )


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000), k=st.integers(1, 4))
def test_coverage_is_optimal(seed: int, k: int) -> None:
    times, fixed, w, _ = instance(seed)
    result = select_sites(times, w, k, threshold=600, fixed=fixed, curve=False)
    assert result.value == pytest.approx(brute_coverage(times, fixed, w, k, 600))
    assert len(result.chosen) == k == len(set(result.chosen))
    assert result.gap <= 1e-6


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 100_000), k=st.integers(1, 3))
def test_median_is_optimal(seed: int, k: int) -> None:
    times, fixed, w, _ = instance(seed, n=7, m=25)
    result = select_sites(times, w, k, fixed=fixed, objective="median", curve=False)
    assert result.value == pytest.approx(brute_median(times, fixed, w, k))


def test_budget_and_eligibility_are_respected() -> None:
    times, fixed, w, costs = instance(7)
    mask = np.ones(len(times), bool)
    mask[[0, 3]] = False
    budget = float(np.sort(costs)[:5].sum())
    result = select_sites(
        times, w, 3, threshold=600, fixed=fixed, eligible=mask, costs=costs, budget=budget
    )
    assert not set(result.chosen) & {0, 3}
    assert costs[result.chosen].sum() <= budget
    assert result.value == pytest.approx(
        brute_coverage(times, fixed, w, 3, 600, mask, costs, budget)
    )


def test_greedy_is_never_better_than_exact() -> None:
    for seed in range(15):
        times, fixed, w, _ = instance(seed)
        sparse = sp.csr_matrix(np.where(np.isfinite(times), times, 0))
        problem = Coverage(sparse, w, 600, sp.csr_matrix(fixed))
        request = Request(3, np.ones(len(times), bool))
        heuristic = problem.value(swap(problem, greedy(problem, request), request))
        exact = select_sites(times, w, 3, threshold=600, fixed=fixed, curve=False).value
        assert heuristic <= exact + 1e-9
        median = Median(
            sp.csr_matrix(np.where(np.isfinite(times), times, 0)), w, sp.csr_matrix(fixed)
        )
        greedy_cost = median.value(greedy(median, request))
        exact_cost = select_sites(times, w, 3, fixed=fixed, objective="median", curve=False).value
        assert greedy_cost >= exact_cost - 1e-6


def test_marginal_gains_add_up_and_fall() -> None:
    times, fixed, w, _ = instance(11)
    result = select_sites(times, w, 4, threshold=600, fixed=fixed)
    assert sum(result.gains) == pytest.approx(result.value)
    assert result.gains == sorted(result.gains, reverse=True)
    assert result.curve[-1] == pytest.approx(result.value)
    assert all(a <= b + 1e-9 for a, b in itertools.pairwise(result.curve))
    for k, value in enumerate(result.curve, start=1):
        assert value == pytest.approx(brute_coverage(times, fixed, w, k, 600))


def test_adding_an_existing_service_never_increases_unmet_need() -> None:
    times, fixed, w, _ = instance(3)
    before = select_sites(times, w, 2, threshold=600, fixed=fixed[:1], curve=False)
    after = select_sites(times, w, 2, threshold=600, fixed=fixed, curve=False)
    assert after.value <= before.value + 1e-9


def test_shuffling_demand_rows_changes_nothing() -> None:
    times, fixed, w, _ = instance(21)
    perm = np.random.default_rng(0).permutation(times.shape[1])
    a = select_sites(times, w, 3, threshold=600, fixed=fixed, curve=False)
    b = select_sites(times[:, perm], w[perm], 3, threshold=600, fixed=fixed[:, perm], curve=False)
    assert sorted(a.chosen) == sorted(b.chosen)
    assert a.value == pytest.approx(b.value)


def test_sparse_and_dense_inputs_agree() -> None:
    times, fixed, w, _ = instance(5)
    rows, cols = np.nonzero(np.isfinite(times))
    sparse = sp.csr_matrix((times[rows, cols], (rows, cols)), shape=times.shape)
    a = select_sites(times, w, 2, threshold=600, fixed=fixed, curve=False)
    b = select_sites(sparse, w, 2, threshold=600, fixed=fixed, curve=False)
    assert a.value == pytest.approx(b.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 10}, "only 9 candidates are eligible"),
        ({"k": 0}, "hubs must be 1 or more"),
        ({"k": 2, "budget": 1.0}, "over the budget"),
    ],
)
def test_infeasible_requests_are_refused_before_solving(kwargs, message) -> None:  # type: ignore[no-untyped-def]
    times, fixed, w, costs = instance(1)
    with pytest.raises(InfeasibleError, match=message):
        select_sites(times, w, threshold=600, fixed=fixed, costs=costs, **kwargs)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 100_000), k=st.integers(1, 4))
def test_large_instance_path_is_still_optimal(seed: int, k: int) -> None:
    """Lagrangian bound + reduced-cost fixing + HiGHS on what is left = brute force."""
    from estate_planner.optimise import questions

    times, fixed, w, _ = instance(seed, n=10, m=60)
    saved = questions.MAX_MILP_PAIRS
    questions.MAX_MILP_PAIRS = 0
    try:
        result = select_sites(times, w, k, threshold=600, fixed=fixed, curve=False)
        median = select_sites(times, w, k, fixed=fixed, objective="median", curve=False)
    finally:
        questions.MAX_MILP_PAIRS = saved
    assert result.value == pytest.approx(brute_coverage(times, fixed, w, k, 600))
    assert result.gap <= 1e-6
    best_median = brute_median(times, fixed, w, k)
    assert median.value >= best_median - 1e-6
    # the reported gap is a proven one: the optimum lies within it
    assert (median.value - best_median) / median.value <= median.gap + 1e-9


def test_lagrangian_bounds_bracket_the_optimum() -> None:
    from estate_planner.optimise import Coverage, Median, coverage_bound, median_bound

    for seed in range(8):
        times, fixed, w, _ = instance(seed, n=9, m=50)
        sparse = sp.csr_matrix(np.where(np.isfinite(times), times, 0))
        mask = np.ones(9, bool)
        cov = Coverage(sparse, w, 600, sp.csr_matrix(fixed))
        optimum = brute_coverage(times, fixed, w, 3, 600)
        upper, _ = coverage_bound(cov.cover, cov.w, 3, mask, optimum * 0.9)
        assert upper >= optimum - 1e-6
        med = Median(sparse, w, sp.csr_matrix(fixed))
        best = brute_median(times, fixed, w, 3)
        assert median_bound(med.times, med.w, med.base, 3, mask, best * 1.1)[0] <= best + 1e-6


def test_forced_sites_are_kept_and_the_rest_is_optimal() -> None:
    times, fixed, w, _ = instance(17)
    forced = [6]
    result = select_sites(times, w, 3, threshold=600, fixed=fixed, forced=forced, curve=False)
    assert 6 in result.chosen and len(result.chosen) == 3
    unmet = ~(fixed <= 600).any(axis=0)
    best = max(
        w[(times[[6, *combo]] <= 600).any(axis=0) & unmet].sum()
        for combo in itertools.combinations([j for j in range(len(times)) if j != 6], 2)
    )
    assert result.value == pytest.approx(best)
    with pytest.raises(InfeasibleError, match="forced"):
        select_sites(times, w, 1, threshold=600, forced=[1, 2])


def test_fewest_sites_reaching_a_target_share() -> None:
    from estate_planner.optimise import fewest_sites

    for seed in range(5):
        times, fixed, w, _ = instance(seed)
        unmet = w[~(fixed <= 600).any(axis=0)].sum()
        result = fewest_sites(times, w, 0.5, threshold=600, fixed=fixed)
        k = len(result.chosen)
        assert result.value >= 0.5 * unmet - 1e-9
        if k > 1:  # one site fewer cannot do it: checked by brute force
            assert brute_coverage(times, fixed, w, k - 1, 600) < 0.5 * unmet
    with pytest.raises(InfeasibleError, match="target_share"):
        fewest_sites(times, w, 1.0, threshold=1, fixed=fixed)


def test_capacitated_coverage_equals_brute_force_over_site_sets() -> None:
    from scipy.optimize import linprog

    from estate_planner.optimise import capacitated_coverage

    for seed in range(4):
        times, fixed, w, _ = instance(seed, n=7, m=30)
        capacity = float(np.quantile(w, 0.9) * 3)
        unmet = ~(fixed <= 600).any(axis=0)
        best = 0.0
        for combo in itertools.combinations(range(7), 2):
            pairs = [
                (a, i)
                for a, j in enumerate(combo)
                for i in range(30)
                if times[j, i] <= 600 and unmet[i]
            ]
            if not pairs:
                continue
            # the best assignment for these two sites is a small LP
            c = -np.array([w[i] for _, i in pairs])
            a_ub, b_ub = [], []
            for i in {i for _, i in pairs}:
                a_ub.append([1.0 if pi == i else 0.0 for _, pi in pairs])
                b_ub.append(1.0)
            for a in range(2):
                a_ub.append([w[pi] if pa == a else 0.0 for pa, pi in pairs])
                b_ub.append(capacity)
            res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs")
            best = max(best, -res.fun)
        got = capacitated_coverage(times, w, 2, capacity, threshold=600, fixed=fixed)
        assert got.value == pytest.approx(best)
        assert all(g <= capacity + 1e-6 for g in got.gains)
        # capacity can only cost coverage
        assert (
            got.value
            <= select_sites(times, w, 2, threshold=600, fixed=fixed, curve=False).value + 1e-9
        )


def test_capacity_counts_people_not_need() -> None:
    """The capacity row weighs each point by its people while the objective is need."""
    from scipy.optimize import linprog

    from estate_planner.optimise import capacitated_coverage

    times, fixed, w, _ = instance(3, n=6, m=24)
    people = np.random.default_rng(4).integers(100, 3000, 24).astype(float)
    capacity = float(np.quantile(people, 0.8) * 3)
    unmet = ~(fixed <= 600).any(axis=0)
    best = 0.0
    for combo in itertools.combinations(range(6), 2):
        pairs = [
            (a, i)
            for a, j in enumerate(combo)
            for i in range(24)
            if times[j, i] <= 600 and unmet[i]
        ]
        if not pairs:
            continue
        c = -np.array([w[i] for _, i in pairs])
        a_ub = [[1.0 if pi == i else 0.0 for _, pi in pairs] for i in {i for _, i in pairs}]
        b_ub = [1.0] * len(a_ub)
        for a in range(2):
            a_ub.append([people[pi] if pa == a else 0.0 for pa, pi in pairs])
            b_ub.append(capacity)
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs")
        best = max(best, -res.fun)
    got = capacitated_coverage(times, w, 2, capacity, threshold=600, fixed=fixed, load=people)
    assert got.value == pytest.approx(best)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 100_000), share=st.floats(0.1, 1.0))
def test_cheapest_sites_is_the_least_cost_reaching_the_target(seed: int, share: float) -> None:
    from estate_planner.optimise import cheapest_sites

    times, fixed, w, costs = instance(seed)
    unmet = ~(fixed <= 600).any(axis=0)
    reachable = (times <= 600).any(axis=0) & unmet
    target = share * float(w[reachable].sum())
    best = np.inf
    for k in range(1, len(times) + 1):
        for combo in itertools.combinations(range(len(times)), k):
            reached = (times[list(combo)] <= 600).any(axis=0) & unmet
            if w[reached].sum() >= target - 1e-9:
                best = min(best, float(costs[list(combo)].sum()))
    got = cheapest_sites(times, w, costs, target, threshold=600, fixed=fixed)
    assert got.value == pytest.approx(best)
    reached = (times[got.chosen] <= 600).any(axis=0) & unmet
    assert w[reached].sum() >= target - 1e-6


def test_cheapest_sites_says_when_the_target_is_out_of_reach() -> None:
    from estate_planner.optimise import cheapest_sites

    times, fixed, w, costs = instance(1)
    with pytest.raises(InfeasibleError, match="lower the target"):
        cheapest_sites(times, w, costs, float(w.sum()) * 10, threshold=600, fixed=fixed)


def brute_cheapest(times, fixed, w, costs, share, most, thr=600.0):  # type: ignore[no-untyped-def]
    """The least cost of at most ``most`` sites reaching ``share`` of the unmet need."""
    unmet = ~(fixed <= thr).any(axis=0)
    target = share * float(w[unmet].sum())
    best = np.inf
    for k in range(1, most + 1):
        for combo in itertools.combinations(range(len(times)), k):
            reached = (times[list(combo)] <= thr).any(axis=0) & unmet
            if w[reached].sum() >= target - 1e-9:
                best = min(best, float(costs[list(combo)].sum()))
    return best


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 100_000), share=st.floats(0.05, 0.9), most=st.integers(1, 5))
def test_least_capital_for_a_share_equals_brute_force(seed: int, share: float, most: int) -> None:
    """The scenario's ``minimise = "capital"``: Question(cheapest=True) answers with the
    least-cost set of at most ``hubs`` sites reaching the share, found by trying every
    subset; its value and gains are the coverage question's."""
    from estate_planner.optimise import Question
    from estate_planner.optimise._base import as_sparse

    times, fixed, w, costs = instance(seed, n=7, m=30)
    costs = costs * 37.5  # capital, £
    asked = Question(
        times=as_sparse(times), need=w, hubs=most, threshold=600.0, fixed=as_sparse(fixed),
        costs=costs, target_share=share, cheapest=True,
    )  # fmt: skip
    best = brute_cheapest(times, fixed, w, costs, share, most)
    if not np.isfinite(best):
        with pytest.raises(InfeasibleError):
            asked.solve()
        return
    got = asked.solve()
    assert float(costs[got.chosen].sum()) == pytest.approx(best)
    assert len(got.chosen) <= most
    unmet = ~(fixed <= 600).any(axis=0)
    reached = (times[got.chosen] <= 600).any(axis=0) & unmet
    assert got.value == pytest.approx(float(w[reached].sum()))
    assert sum(got.gains) == pytest.approx(got.value)
    assert got.value >= share * float(w[unmet].sum()) - 1e-6


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 100_000), k=st.integers(1, 4), spend=st.floats(0.3, 1.0))
def test_a_capital_budget_gives_the_best_set_within_it(seed: int, k: int, spend: float) -> None:
    """The scenario's ``capital_budget_gbp``: the same Question, its costs each site's
    capital and its budget the capital budget; against every subset within it."""
    from estate_planner.optimise import Question
    from estate_planner.optimise._base import as_sparse

    times, fixed, w, costs = instance(seed, n=8, m=30)
    capital = costs * 41.0
    budget = spend * float(np.sort(capital)[-k:].sum())
    asked = Question(
        times=as_sparse(times), need=w, hubs=k, threshold=600.0, fixed=as_sparse(fixed),
        costs=capital, budget=budget,
    )  # fmt: skip
    best = brute_coverage(times, fixed, w, k, 600, costs=capital, budget=budget)
    if best < 0:  # no k sites fit the budget
        with pytest.raises(InfeasibleError, match="capital_budget_gbp"):
            asked.solve(curve=False)
        return
    got = asked.solve(curve=False)
    assert got.value == pytest.approx(best)
    assert float(capital[got.chosen].sum()) <= budget + 1e-6
