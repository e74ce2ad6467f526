"""One error hierarchy for the package.

Every error says what was expected, what was found and how to fix it. The CLI turns
any :class:`EstatePlannerError` into a one-paragraph message and exit code 2.

Every error the package raises on purpose derives from :class:`EstatePlannerError`;
those about a bad value also derive from :class:`ValueError`, so code written against
``except ValueError`` keeps working (``tests/test_errors.py`` walks every ``raise``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping


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


class CacheKeyError(EstatePlannerError, TypeError):
    """A cached stage was handed an argument the cache cannot hash, or a result it cannot
    store: a programming error, raised rather than caching wrongly or silently not at all."""


class OptionError(EstatePlannerError, ValueError):
    """A function was given an option it does not know (a method name, a value out of
    range); the message lists the ones it takes."""


class OutputError(EstatePlannerError, RuntimeError):
    """An output could not be written (the map drawing failed); the previous outputs
    are left in place."""


class EstatePlannerWarning(UserWarning):
    """A recoverable repair: a row dropped, a point moved. Always in the manifest."""


def did_you_mean(
    word: str, choices: Iterable[str], *, shown: Mapping[str, str] | None = None
) -> str:
    """``"; did you mean 'x'?"`` for the choice closest to ``word``, or ``""``.

    ``shown`` maps a compared form of a choice to the form to print (a column name as
    the file spells it).

    Examples
    --------
    >>> did_you_mean("hbus", ["hubs", "budget_gbp"])
    "; did you mean 'hubs'?"
    """
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        return ""
    return f"; did you mean {(shown or {}).get(close[0], close[0])!r}?"
