"""One error hierarchy for the package.

Every error says what was expected, what was found and how to fix it. The CLI turns
any :class:`EstatePlannerError` into a one-paragraph message and exit code 2.
"""

from __future__ import annotations


class EstatePlannerError(Exception):
    """Base class for every error the package raises on purpose."""


class ScenarioError(EstatePlannerError, ValueError):
    """The scenario file or model is invalid (a key, a value, a path)."""


class InputDataError(EstatePlannerError, ValueError):
    """An input file is missing, unreadable or holds data we cannot use."""


class NetworkError(EstatePlannerError, ValueError):
    """The street network cannot be built or cannot route the points given."""


class InfeasibleError(EstatePlannerError, ValueError):
    """The question asked has no answer (e.g. more hubs than candidates)."""


class EstatePlannerWarning(UserWarning):
    """A recoverable repair: a row dropped, a point moved. Always in the manifest."""
