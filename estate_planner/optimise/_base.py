"""What every selection model shares: the answer, the request, the problem interface,
and the one place HiGHS is called."""

from __future__ import annotations

import abc
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import scipy.sparse as sp

from estate_planner._errors import InfeasibleError

if TYPE_CHECKING:
    from scipy.optimize import LinearConstraint, OptimizeResult

logger = logging.getLogger(__name__)

Objective = Literal["coverage", "median"]


@dataclass
class Selection:
    """The chosen sites and how good the choice is proven to be.

    Attributes
    ----------
    chosen : list of int
        Candidate indices in order of marginal gain.
    value : float
        The objective's value: for coverage the need newly reached (higher is
        better); for median need-weighted seconds (lower is better).
    gap : float
        Proven relative gap between ``value`` and the best bound (0: optimal; NaN
        when nothing was proven).
    method : str
        How the answer was found, in words.
    gains : list of float
        ``gains[i]`` is what ``chosen[i]`` adds given ``chosen[:i]`` (capacitated:
        the need each hub serves).
    curve : list of float
        ``curve[k-1]`` is the value of the best k sites found.
    objective : {"coverage", "median"}
        The question asked.
    capacity : float or None
        The most need one hub may serve, when the question had a capacity.
    empty : list of int
        Sites the optimiser returned that add nothing (left out of ``chosen``).
    """

    chosen: list[int]
    value: float
    gap: float
    method: str
    gains: list[float] = field(default_factory=list)
    curve: list[float] = field(default_factory=list)
    objective: Objective = "coverage"
    capacity: float | None = None
    empty: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Request:
    """What is asked of a model besides its data: how many sites, which may be chosen,
    which must be, what they may cost, and how long to search."""

    k: int
    eligible: np.ndarray  # bool per candidate; forced sites are always eligible
    forced: tuple[int, ...] = ()
    costs: np.ndarray | None = None
    budget: float | None = None
    time_limit: float = 60.0

    @classmethod
    def checked(
        cls,
        n_candidates: int,
        k: int,
        *,
        eligible: np.ndarray | None = None,
        forced: list[int] | None = None,
        costs: np.ndarray | None = None,
        budget: float | None = None,
        time_limit: float = 60.0,
    ) -> Request:
        """A request, or a clear error when it cannot be met.

        Parameters
        ----------
        n_candidates : int
        k : int
        eligible : numpy.ndarray of bool, optional
        forced : list of int, optional
        costs : numpy.ndarray, optional
        budget : float, optional
        time_limit : float

        Returns
        -------
        Request

        Raises
        ------
        InfeasibleError
            If ``k`` is below 1 or above the eligible candidates, more sites are forced
            than chosen, or the ``k`` cheapest eligible sites exceed ``budget``.
        """
        mask = np.ones(n_candidates, bool) if eligible is None else np.array(eligible, bool)
        fixed_in = tuple(sorted(set(forced or [])))
        if len(fixed_in) > k:
            raise InfeasibleError(
                f"{len(fixed_in)} candidates are forced but only {k} hubs are chosen"
            )
        mask[list(fixed_in)] = True
        request = cls(k, mask, fixed_in, costs, budget, time_limit)
        request.check()
        return request

    def check(self) -> None:
        """Raise :class:`InfeasibleError` if no answer can meet the request."""
        if self.k < 1:
            raise InfeasibleError(f"hubs must be 1 or more, found {self.k}")
        if self.eligible.sum() < self.k:
            raise InfeasibleError(
                f"{self.k} hubs were requested but only {int(self.eligible.sum())} candidates "
                "are eligible; lower selection.hubs or relax the scoring constraints"
            )
        if self.budget is not None and self.costs is not None:
            cost = np.nan_to_num(np.asarray(self.costs, float)[self.eligible], nan=np.inf)
            cheapest = np.sort(cost)[: self.k].sum()
            if cheapest > self.budget:
                raise InfeasibleError(
                    f"the {self.k} cheapest eligible candidates cost {cheapest:,.0f}, over the "
                    f"budget of {self.budget:,.0f} (£ a year for selection.budget_gbp, £ of "
                    "capital for selection.capital_budget_gbp); raise selection.budget_gbp "
                    "or selection.capital_budget_gbp, whichever is set, or lower selection.hubs"
                )

    def cost(self) -> np.ndarray:
        """Each candidate's cost (0 where unknown or no costs were given)."""
        if self.costs is None:
            return np.zeros(len(self.eligible))
        return np.nan_to_num(np.asarray(self.costs, float))

    def with_k(self, k: int, time_limit: float | None = None) -> Request:
        """The same request for ``k`` sites.

        Parameters
        ----------
        k : int
        time_limit : float, optional

        Returns
        -------
        Request
        """
        limit = self.time_limit if time_limit is None else time_limit
        return Request(k, self.eligible, self.forced, self.costs, self.budget, limit)


class Problem(abc.ABC):
    """An objective over sets of candidate sites.

    ``state`` is whatever summarises the sites open so far (covered demand, or each
    demand point's time to its nearest open site); heuristics only use these methods.
    """

    #: +1 when higher values are better, -1 when lower are
    sense: int = 1
    objective: Objective = "coverage"
    #: number of candidate sites
    n: int

    @abc.abstractmethod
    def start(self) -> np.ndarray:
        """The state with only the fixed services open."""

    @abc.abstractmethod
    def add(self, state: np.ndarray, site: int) -> np.ndarray:
        """A new state with ``site`` open too.

        Parameters
        ----------
        state : numpy.ndarray
        site : int

        Returns
        -------
        numpy.ndarray
        """

    @abc.abstractmethod
    def gains(self, state: np.ndarray) -> np.ndarray:
        """Improvement from opening each candidate, signed so higher is better.

        Parameters
        ----------
        state : numpy.ndarray

        Returns
        -------
        numpy.ndarray
            One value per candidate.
        """

    @abc.abstractmethod
    def value(self, sites: list[int]) -> float:
        """The objective of opening ``sites``.

        Parameters
        ----------
        sites : list of int

        Returns
        -------
        float
        """

    @abc.abstractmethod
    def size(self) -> int:
        """Number of (site, demand) pairs: how hard an exact model would be."""

    @abc.abstractmethod
    def milp(self, request: Request) -> tuple[list[int], float] | None:
        """Sites and proven gap from an exact model, or None when none was found in time.

        Parameters
        ----------
        request : Request

        Returns
        -------
        tuple of (list of int, float) or None
        """

    @abc.abstractmethod
    def bound(self, request: Request, heuristic: list[int]) -> tuple[list[int], str, float]:
        """For instances too large to model whole: the best sites and their proven gap.

        Parameters
        ----------
        request : Request
        heuristic : list of int
            The heuristic's answer.

        Returns
        -------
        sites : list of int
        method : str
            How they were found, in words.
        gap : float
            Proven relative gap to a Lagrangian bound.
        """

    def lower(self, request: Request, n_other: int) -> np.ndarray:
        """MILP lower bounds: forced sites open, everything else free.

        Parameters
        ----------
        request : Request
        n_other : int
            Variables after the site variables.

        Returns
        -------
        numpy.ndarray
        """
        low = np.zeros(self.n + n_other)
        low[list(request.forced)] = 1.0
        return low


def as_sparse(times: sp.spmatrix | np.ndarray) -> sp.csr_matrix:
    """``times`` as CSR holding only finite (reachable) entries."""
    if sp.issparse(times):
        return sp.csr_matrix(times)
    dense = np.asarray(times, dtype=float)
    rows, cols = np.nonzero(np.isfinite(dense))
    return sp.csr_matrix((dense[rows, cols], (rows, cols)), shape=dense.shape)


def _opt() -> Any:
    """scipy.optimize, loaded when a MILP is built (its import is a third of a second,
    and a rerun whose selection is cached needs none)."""
    import scipy.optimize

    return scipy.optimize


def constraint(matrix: Any, low: float | np.ndarray, high: float | np.ndarray) -> LinearConstraint:
    """``low <= matrix @ x <= high``."""
    return _opt().LinearConstraint(matrix, low, high)


def site_constraints(request: Request, m: int, *, at_most: bool = False) -> list[LinearConstraint]:
    """k sites open (or at most k) and, with a budget, their cost within it; the first
    ``request.k``... columns are the sites, then ``m`` other variables."""
    n = len(request.eligible)
    count = np.concatenate([np.ones(n), np.zeros(m)])[None, :]
    rows = [constraint(count, 0 if at_most else request.k, request.k)]
    if request.budget is not None and request.costs is not None:
        spend = np.concatenate([request.cost(), np.zeros(m)])[None, :]
        rows.append(constraint(spend, 0, request.budget))
    return rows


def run_milp(
    c: np.ndarray,
    constraints: list[LinearConstraint],
    lower: np.ndarray,
    upper: np.ndarray,
    n_integer: int,
    time_limit: float,
) -> OptimizeResult | None:
    """Minimise ``c @ x`` with HiGHS; the first ``n_integer`` variables are integer.

    Returns the solver's result, or None when it found no solution in time.
    """
    opt = _opt()
    result = opt.milp(
        c,
        constraints=constraints,
        bounds=opt.Bounds(lower, upper),
        integrality=np.concatenate([np.ones(n_integer), np.zeros(len(c) - n_integer)]),
        options={"time_limit": time_limit, "mip_rel_gap": 1e-9, "disp": False},
    )
    if result.x is None:
        logger.info("HiGHS found no solution within %.0f s (%s)", time_limit, result.message)
        return None
    return result


def chosen_and_gap(result: OptimizeResult, n: int) -> tuple[list[int], float]:
    """The sites a MILP opened (its first ``n`` variables) and its proven gap."""
    chosen = sorted(int(j) for j in np.flatnonzero(result.x[:n] > 0.5))
    gap = float(getattr(result, "mip_gap", 0.0) or 0.0)
    return chosen, max(gap, 0.0)
