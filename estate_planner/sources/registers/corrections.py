"""Corrections a team keeps to candidates as read: a site placed by hand, its kind,
"actually available since March", its floor area; each with who made it and when.

Registers are republished every year and a team fixes the same rows each time. A
correction names the candidate by its site id (``eric-RT5PC``, ``rates-1234``,
``osm-n42``), so it applies again to next year's register; a correction whose site id
no longer exists is reported, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from estate_planner._errors import InputDataError
from estate_planner.sources.published import read_published
from estate_planner.sources.registers._common import REGISTER_KINDS, numbers, text
from estate_planner.sources.tables import Provenance, provenance

#: the columns of a corrections table (a file's, or the scenario's entries)
COLUMNS = ("site_id", "longitude", "latitude", "kind", "available", "floor_area_m2", "by",
           "on", "note")  # fmt: skip
_TRUE, _FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0"}


@dataclass
class Corrections:
    """The corrections read, and the site ids they have been applied to so far."""

    table: pd.DataFrame
    applied: set[str] = field(default_factory=set)

    def unmatched(self) -> list[str]:
        """Site ids of corrections that matched no candidate."""
        return [s for s in self.table["site_id"] if s not in self.applied]


def read_corrections(
    entries: Iterable[Mapping[str, Any]], path: Path | None = None
) -> tuple[Corrections, Provenance]:
    """The scenario's corrections and those of a corrections file, as one table.

    Parameters
    ----------
    entries : iterable of mapping
        The scenario's ``[[candidates.corrections]]`` (the columns of :data:`COLUMNS`).
    path : pathlib.Path, optional
        A CSV (or workbook) with those columns; blank cells change nothing.

    Returns
    -------
    corrections : Corrections
        ``available`` as 1.0 / 0.0 / NaN; a site id given twice keeps the file's last
        row (the scenario's entries come after the file's, and win).
    record : Provenance

    Raises
    ------
    InputDataError
        If the file has no ``site_id`` column, or a cell is not a number, a known kind
        or true/false, naming the row.
    """
    frames = []
    record = (
        provenance("candidates.corrections", path)
        if path
        else Provenance("candidates.corrections", "scenario.toml")
    )
    if path is not None:
        published = read_published(path)
        frame = published.frame.rename(columns=lambda c: str(c).strip().lower())
        if "site_id" not in frame.columns:
            raise InputDataError(
                f"{path}: a corrections file needs a site_id column (and any of "
                f"{', '.join(COLUMNS[1:])}); found {', '.join(map(str, frame.columns[:12]))}"
            )
        frames.append(_checked(frame, path))
        record.rows_read = published.rows_read
    given = pd.DataFrame([{k: v for k, v in dict(e).items() if v is not None} for e in entries])
    if len(given):
        frames.append(_checked(given.astype(object).fillna(""), None))
    table = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame({c: pd.Series([], dtype=object) for c in COLUMNS})
    )
    table = table.drop_duplicates("site_id", keep="last").reset_index(drop=True)
    record.rows_used = len(table)
    dates = sorted(d for d in table["on"].astype(str) if d) if "on" in table else []
    if dates and (path is None or not record.date):
        record.date, record.date_basis = dates[-1][:10], "the latest correction's date (on)"
    return Corrections(table), record


def _checked(frame: pd.DataFrame, path: Path | None) -> pd.DataFrame:
    where = f"{path}" if path else "candidates.corrections"
    out = pd.DataFrame({c: text(frame, c if c in frame.columns else None) for c in COLUMNS})
    for name in ("longitude", "latitude", "floor_area_m2"):
        values = numbers(out[name])
        bad = values.isna() & (out[name] != "")
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputDataError(
                f"{where}: {name} of {out['site_id'].iloc[row]!r} is {out[name].iloc[row]!r}, "
                "not a number; give a number or leave the cell blank"
            )
        out[name] = values
    flag = out["available"].str.lower()
    bad = ~flag.isin(_TRUE | _FALSE | {""})
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputDataError(
            f"{where}: available of {out['site_id'].iloc[row]!r} is "
            f"{out['available'].iloc[row]!r}; give true, false or leave it blank"
        )
    out["available"] = np.select([flag.isin(_TRUE), flag.isin(_FALSE)], [1.0, 0.0], np.nan)
    unknown = (out["kind"] != "") & ~out["kind"].isin(REGISTER_KINDS)
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputDataError(
            f"{where}: kind of {out['site_id'].iloc[row]!r} is {out['kind'].iloc[row]!r}; "
            f"use one of {', '.join(REGISTER_KINDS)}"
        )
    blank_id = out["site_id"] == ""
    if blank_id.any():
        raise InputDataError(f"{where}: row {int(np.flatnonzero(blank_id)[0]) + 1} has no site_id")
    return out


def correct(
    frame: pd.DataFrame, corrections: Corrections, *, bng: bool = False
) -> tuple[pd.DataFrame, int]:
    """``frame``'s rows with the corrections of their site ids applied.

    Parameters
    ----------
    frame : pandas.DataFrame
        Register rows (``longitude``, ``latitude``, ``located``) or, with ``bng``,
        candidates with point geometry in British National Grid.
    corrections : Corrections
        Its ``applied`` gains the site ids corrected here.
    bng : bool
        ``frame`` is a GeoDataFrame in BNG (a place given moves its point).

    Returns
    -------
    frame : pandas.DataFrame
        A copy; each corrected row's ``note`` says what was corrected, by whom and when.
    corrected : int
    """
    table = corrections.table.set_index("site_id")
    hit = frame["site_id"].isin(table.index).to_numpy()
    if not hit.any():
        return frame, 0
    frame = frame.copy()
    for i in (int(n) for n in np.flatnonzero(hit)):
        site = str(frame["site_id"].iloc[i])
        fix = table.loc[site]
        said = []
        if not np.isnan(fix["longitude"]):
            said.append("placed by hand")
            if bng:
                from shapely.geometry import Point

                from estate_planner.sources.tables import to_bng

                x, y = to_bng(np.array([fix["longitude"]]), np.array([fix["latitude"]]))
                frame.loc[frame.index[i], "geometry"] = Point(float(x[0]), float(y[0]))
            else:
                frame.loc[frame.index[i], "longitude"] = fix["longitude"]
                frame.loc[frame.index[i], "latitude"] = fix["latitude"]
                frame.loc[frame.index[i], "located"] = True
        if fix["kind"]:
            said.append(f"kind {fix['kind']}")
            frame.loc[frame.index[i], "kind"] = fix["kind"]
        who = " ".join(p for p in (f"by {fix['by']}" if fix["by"] else "",
                                   f"on {fix['on']}" if fix["on"] else "") if p)  # fmt: skip
        # the fact's source and date travel with it (issue 25: availability says whence)
        whence = f"correction{' ' + who if who else ''}"
        if not np.isnan(fix["available"]):
            said.append("available" if fix["available"] == 1 else "not available")
            frame.loc[frame.index[i], "available"] = fix["available"]
            frame.loc[frame.index[i], "availability_source"] = whence
            frame.loc[frame.index[i], "availability_date"] = str(fix["on"] or "")
        if not np.isnan(fix["floor_area_m2"]):
            said.append(f"floor area {fix['floor_area_m2']:,.0f} m2")
            frame.loc[frame.index[i], "floor_area_m2"] = fix["floor_area_m2"]
            frame.loc[frame.index[i], "floor_area_source"] = whence
        note = f"corrected{' ' + who if who else ''}: {', '.join(said) or 'nothing changed'}"
        note += f" ({fix['note']})" if fix["note"] else ""
        old = str(frame["note"].iloc[i]) if "note" in frame.columns else ""
        if not bng and not np.isnan(fix["longitude"]):
            old = ""  # the reason it was not located no longer holds
        frame.loc[frame.index[i], "note"] = f"{old}; {note}" if old else note
        corrections.applied.add(site)
    return frame, int(hit.sum())
