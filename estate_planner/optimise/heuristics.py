"""Greedy construction and first-improvement swaps (Teitz and Bart 1968): the start of
every exact solve, the marginal-gain order, and the answer when nothing better is
proven in time."""

from __future__ import annotations

import numpy as np

from estate_planner.optimise._base import Problem, Request


def greedy(problem: Problem, request: Request) -> list[int]:
    """Forced sites, then the site adding most, until ``request.k`` (within the budget).

    Parameters
    ----------
    problem : Problem
    request : Request

    Returns
    -------
    list of int
        Sites in the order added.
    """
    state = problem.start()
    chosen: list[int] = list(request.forced)
    for site in chosen:
        state = problem.add(state, site)
    cost = request.cost()
    spent = float(cost[chosen].sum())
    cheapest = np.sort(cost[request.eligible])
    for step in range(len(chosen), request.k):
        gains = problem.gains(state).astype(float)
        allowed = request.eligible.copy()
        allowed[chosen] = False
        if request.budget is not None:
            # leave room for the cheapest sites still to come
            reserve = cheapest[: request.k - step - 1].sum()
            allowed &= spent + cost + reserve <= request.budget + 1e-9
        if not allowed.any():
            break
        gains[~allowed] = -np.inf
        best = int(np.argmax(gains))  # lowest index wins ties: deterministic
        chosen.append(best)
        spent += cost[best]
        state = problem.add(state, best)
    return chosen


def swap(problem: Problem, chosen: list[int], request: Request) -> list[int]:
    """First-improvement 1-swap until no swap improves the objective.

    Parameters
    ----------
    problem : Problem
    chosen : list of int
        A feasible start.
    request : Request

    Returns
    -------
    list of int
    """
    best = list(chosen)
    best_value = problem.sense * problem.value(best)
    cost = request.cost()
    improved = True
    while improved:
        improved = False
        for pos in range(len(best)):
            if best[pos] in request.forced:
                continue
            rest = best[:pos] + best[pos + 1 :]
            state = problem.start()
            for site in rest:
                state = problem.add(state, site)
            gains = problem.gains(state).astype(float)
            allowed = request.eligible.copy()
            allowed[best] = False
            if request.budget is not None:
                allowed &= cost[rest].sum() + cost <= request.budget + 1e-9
            gains[~allowed] = -np.inf
            if not allowed.any():
                continue
            candidate = int(np.argmax(gains))
            value = problem.sense * problem.value([*rest, candidate])
            if value > best_value + 1e-9:
                best, best_value, improved = [*rest, candidate], value, True
    return best


def order_by_gain(problem: Problem, sites: list[int]) -> tuple[list[int], list[float]]:
    """Order a chosen set greedily within itself, with each site's marginal gain.

    Parameters
    ----------
    problem : Problem
    sites : list of int

    Returns
    -------
    order : list of int
    gains : list of float
        What each site adds given those before it.
    """
    remaining = sorted(sites)
    state = problem.start()
    order: list[int] = []
    gains: list[float] = []
    while remaining:
        g = problem.gains(state)[remaining]
        pick = remaining[int(np.argmax(g))]
        gains.append(float(g.max()))
        order.append(pick)
        remaining.remove(pick)
        state = problem.add(state, pick)
    return order, gains
