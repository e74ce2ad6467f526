"""What the report's first page warns about: chosen sites not known to be available,
and how old each input is."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # outputs depend on a run's results, never on the pipeline
    from estate_planner.results import RunResult


def input_dates(result: RunResult, *, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Each input's date, where it comes from, and whether it is older than
    ``report.stale_after_years``.

    A date the scenario states (``report.input_dates``) replaces the one read from
    the file. A year counts from its end, a year range ("2016/17") from the end of its
    second year's March (the NHS financial year).

    Parameters
    ----------
    result : RunResult
    today : datetime.date, optional
        For tests; the date of the run by default.

    Returns
    -------
    list of dict
        ``key``, ``file``, ``date``, ``basis``, ``age_years``, ``stale`` and
        ``undated`` (no date known, so its age cannot be checked).
    """
    config = result.scenario.report
    today = today or dt.date.today()
    rows = []
    for p in result.inputs.provenance:
        stated = config.input_dates.get(p.key)
        date = stated or p.date
        basis = "stated in the scenario" if stated else p.date_basis
        if not date:
            basis = (
                "synthetic data, made for the demo"
                if config.synthetic
                else (f"{basis or 'not stated'}: state it in report.input_dates")
            )
        end = period_end(date)
        age = (today - end).days / 365.25 if end is not None else None
        rows.append(
            {
                "key": p.key,
                "file": Path(p.path).name,
                "date": date or "not known",
                "basis": basis,
                "age_years": age,
                "stale": age is not None and age > config.stale_after_years,
                "undated": not date and not config.synthetic,
            }
        )
    return rows


def period_end(text: str) -> dt.date | None:
    """The last day a date or period covers.

    Parameters
    ----------
    text : str
        ``2018-02-27``, ``2026-04``, ``2019`` or a financial year ``2016/17``.

    Returns
    -------
    datetime.date or None
        None where the text is no date.
    """
    if not text:
        return None
    found = re.fullmatch(r"(\d{4})[/-](\d{2})", text.strip())
    if found and int(found.group(2)) > 12:  # a financial year 2016/17: to March 2017
        return dt.date(int(found.group(1)) + 1, 3, 31)
    found = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", text.strip()[:10])
    if not found:
        return None
    year = int(found.group(1))
    if found.group(3):
        return dt.date(year, int(found.group(2)), int(found.group(3)))
    if found.group(2):
        month = int(found.group(2))
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    return dt.date(year, 12, 31)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _availability_of(row: Any) -> str:
    """A site's availability in words (older runs carry only the 1/0/NaN fact)."""
    state = _text(getattr(row, "availability", ""))
    if state:
        return state
    value = getattr(row, "available", float("nan"))
    return "available" if value == 1 else "not available" if value == 0 else "not known"


def availability_flags(result: RunResult) -> list[str]:
    """A sentence per chosen hub not known to be available, for the first page.

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    list of str
    """
    out = []
    for r in result.selected.sort_values("selection_order").itertuples():
        state = _availability_of(r)
        if state == "available":
            continue
        source = _text(getattr(r, "availability_source", ""))
        said = f" ({source})" if source else ""
        if state == "not available":
            what = "is marked NOT available"
            then = (
                "it is chosen because the scenario does not exclude unavailable sites "
                "(scoring.available_only) or forces it"
            )
        else:
            what = "is not known to be available"
            then = "confirm it can be had before relying on what it adds"
        out.append(f"Hub {int(r.selection_order)}, {r.name} ({r.site_id}), {what}{said}: {then}.")
    return out
