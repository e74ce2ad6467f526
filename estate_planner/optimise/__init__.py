"""Portfolio selection: the set of sites that together do the most good.

One module per model family, as spopt's ``locate`` keeps them:

- :mod:`.coverage`: maximal covering (MCLP), reach the most unmet need;
- :mod:`.median`: p-median, least need-weighted travel time;
- :mod:`.capacitated`: maximal covering where a hub serves at most a capacity;
- :mod:`.cheapest`: the least-cost set reaching a target (cost minimised, reach a constraint);
- :mod:`.heuristics`: greedy and swap; :mod:`.bounds`: Lagrangian bounds;
- :mod:`.question`: the :class:`Question` every solve and re-solve answers;
- :mod:`._base`: the :class:`Selection`, the :class:`Request`, the problem interface
  and the one HiGHS call; :mod:`.questions`: the public questions (k sites, fewest sites).

Existing services are fixed: they stay open and count first.
"""

from estate_planner.optimise._base import Objective, Problem, Request, Selection
from estate_planner.optimise.bounds import coverage_bound, coverage_reduce, median_bound
from estate_planner.optimise.capacitated import capacitated_coverage
from estate_planner.optimise.cheapest import cheapest_sites
from estate_planner.optimise.coverage import Coverage
from estate_planner.optimise.median import Median
from estate_planner.optimise.question import Question, drop_empty_hubs
from estate_planner.optimise.questions import fewest_sites, select_sites, solve

__all__ = [
    "Coverage",
    "Median",
    "Objective",
    "Problem",
    "Question",
    "Request",
    "Selection",
    "capacitated_coverage",
    "cheapest_sites",
    "coverage_bound",
    "coverage_reduce",
    "drop_empty_hubs",
    "fewest_sites",
    "median_bound",
    "select_sites",
    "solve",
]
