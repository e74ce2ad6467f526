"""NHS Digital "Patients Registered at a GP Practice", read as published.

Two files of the monthly publication:

- the practice totals, ``gp-reg-pat-prac-all.csv``: ``PUBLICATION, EXTRACT_DATE, TYPE,
  SUB_ICB_LOCATION_CODE, ONS_SUB_ICB_LOCATION_CODE, CODE, POSTCODE, SEX, AGE,
  NUMBER_OF_PATIENTS``; before July 2022 the area columns were ``CCG_CODE,
  ONS_CCG_CODE`` and dates were written ``01JAN2021``;
- the LSOA breakdown, ``gp-reg-pat-prac-lsoa-all.csv``: ``PUBLICATION, EXTRACT_DATE,
  PRACTICE_CODE, PRACTICE_NAME, LSOA_CODE, SEX, NUMBER_OF_PATIENTS`` (early files
  write the last as ``Number of Patients``).

Only ``SEX = ALL`` (and ``AGE = ALL``) rows are totals; rows by sex or age are left out
and counted. LSOA rows whose code is not an LSOA (patients with no LSOA recorded) are
counted by their code and left out. A list is where people are registered, not where
the area's residents are: lists cross boundaries (Rutland's four practices held 42,914
patients in April 2026 for 41,043 residents at the 2021 Census).

Publisher: NHS Digital (NHS England), Open Government Licence v3.0.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from estate_planner._errors import InputDataError
from estate_planner.sources.published import read_published
from estate_planner.sources.tables import Provenance, numeric, provenance

__all__ = ["read_lsoa_registrations", "read_practice_lists", "read_practice_registrations"]

_LSOA = re.compile(r"^[EW]0\d{7}$")


def _plain(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _extract_date(values: pd.Series, path: Path) -> pd.Series:
    """``2026-04-01`` or ``01JAN2021`` (the older vintage) to dates."""
    text = values.astype(str).str.strip()
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    old = pd.to_datetime(text.str.title(), format="%d%b%Y", errors="coerce")
    dates = iso.fillna(old)
    bad = dates.isna()
    if bad.any():
        raise InputDataError(
            f"{path}: EXTRACT_DATE must be a date like 2026-04-01 or 01JAN2021; found "
            f"{text[bad].iloc[0]!r} in row {int(bad.to_numpy().argmax()) + 2}; fix that cell"
        )
    return dates.dt.date


def _read(
    path: Path, key: str, required: dict[str, tuple[str, ...]]
) -> tuple[pd.DataFrame, Provenance]:
    table = read_published(path, header_words=["extract_date"])
    record = provenance(key, path)
    record.rows_read = table.rows_read
    for reason, count in table.repairs.items():
        record.counts[f"repaired: {reason}"] = count
    for reason, count in table.dropped.items():
        record.counts[f"dropped: {reason}"] = count
    frame = table.frame.rename(columns=_plain)
    found: dict[str, str] = {}
    missing = []
    for ours, names in required.items():
        hit = next((n for n in names if n in frame.columns), None)
        if hit is None:
            missing.append(" or ".join(n.upper() for n in names))
        else:
            found[hit] = ours
    if missing:
        raise InputDataError(
            f"{path}: no {', '.join(missing)} column; expected the headers of NHS Digital's "
            "'Patients Registered at a GP Practice' file "
            f"(found {', '.join(map(str, table.frame.columns))}); check it is that file"
        )
    return frame.rename(columns=found), record


def _only_totals(frame: pd.DataFrame, record: Provenance, columns: tuple[str, ...]) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    for column in columns:
        if column in frame.columns:
            value = frame[column].astype(str).str.strip().str.upper()
            not_all = value != "ALL"
            if not_all.any():
                record.counts[f"dropped: {column.upper()} not ALL (a breakdown, not a total)"] = (
                    int((not_all & keep).sum())
                )
            keep &= ~not_all
    return frame[keep]


def read_practice_registrations(
    path: Path, *, key: str = "appraisal.registrations"
) -> tuple[pd.DataFrame, Provenance]:
    """Registered patients per practice from ``gp-reg-pat-prac-all.csv`` (either vintage).

    Parameters
    ----------
    path : pathlib.Path
        The file as downloaded (CSV, gzipped or not).
    key : str
        The scenario key, for the provenance record.

    Returns
    -------
    frame : pandas.DataFrame
        ``practice_code``, ``postcode``, ``area_code`` (sub-ICB location or, before
        July 2022, CCG), ``extract_date`` (a date) and ``patients`` (int), one row per
        practice, sorted by code.
    record : Provenance
        Rows read and rows left out by reason.

    Raises
    ------
    InputDataError
        If a column is missing, a count is not a number, or a practice appears twice.
    """
    frame, record = _read(
        path,
        key,
        {
            "practice_code": ("code", "practice_code"),
            "postcode": ("postcode",),
            "area_code": ("sub_icb_location_code", "ccg_code"),
            "extract_date": ("extract_date",),
            "patients": ("number_of_patients",),
        },
    )
    frame = _only_totals(frame, record, ("sex", "age"))
    if "type" in frame.columns:
        other = frame["type"].astype(str).str.strip().str.upper() != "GP"
        if other.any():
            record.counts["dropped: TYPE not GP"] = int(other.sum())
            frame = frame[~other]
    patients = numeric(frame, "patients", path, id_column="practice_code")
    out = pd.DataFrame(
        {
            "practice_code": frame["practice_code"].astype(str).str.strip().str.upper(),
            "postcode": frame["postcode"].astype(str).str.strip().str.upper(),
            "area_code": frame["area_code"].astype(str).str.strip(),
            "extract_date": _extract_date(frame["extract_date"], path),
            "patients": patients.astype("int64"),
        }
    )
    twice = out["practice_code"].duplicated(keep=False)
    if twice.any():
        codes = ", ".join(sorted(set(out.loc[twice, "practice_code"]))[:5])
        raise InputDataError(
            f"{path}: practice(s) {codes} appear more than once among the SEX = ALL, AGE = "
            "ALL rows; give one month's file"
        )
    record.rows_used = len(out)
    return out.sort_values("practice_code", kind="stable").reset_index(drop=True), record


def read_lsoa_registrations(
    path: Path, *, key: str = "appraisal.registrations_lsoa"
) -> tuple[pd.DataFrame, Provenance]:
    """Registered patients per practice and LSOA from ``gp-reg-pat-prac-lsoa-all.csv``.

    Parameters
    ----------
    path : pathlib.Path
    key : str
        The scenario key, for the provenance record.

    Returns
    -------
    frame : pandas.DataFrame
        ``practice_code``, ``practice_name``, ``lsoa_code``, ``extract_date`` and
        ``patients`` (int), sorted by practice and LSOA.
    record : Provenance
        Rows without an LSOA are counted by the code written (e.g. ``NO2011``).

    Raises
    ------
    InputDataError
        If a column is missing or a count is not a number.
    """
    frame, record = _read(
        path,
        key,
        {
            "practice_code": ("practice_code",),
            "practice_name": ("practice_name",),
            "lsoa_code": ("lsoa_code",),
            "extract_date": ("extract_date",),
            "patients": ("number_of_patients",),
        },
    )
    frame = _only_totals(frame, record, ("sex",))
    lsoa = frame["lsoa_code"].astype(str).str.strip().str.upper()
    placed = lsoa.str.match(_LSOA)
    for code, count in lsoa[~placed].value_counts().items():
        record.counts[f"dropped: LSOA_CODE {code} (no LSOA)"] = int(count)
    frame = frame[placed]
    patients = numeric(frame, "patients", path, id_column="practice_code")
    out = pd.DataFrame(
        {
            "practice_code": frame["practice_code"].astype(str).str.strip().str.upper(),
            "practice_name": frame["practice_name"].astype(str).str.strip(),
            "lsoa_code": lsoa[placed],
            "extract_date": _extract_date(frame["extract_date"], path),
            "patients": patients.astype("int64"),
        }
    )
    out = out.groupby(["practice_code", "lsoa_code"], as_index=False, sort=True).agg(
        {"practice_name": "first", "extract_date": "first", "patients": "sum"}
    )
    record.rows_used = len(out)
    return out, record


def read_practice_lists(
    path: Path,
    *,
    code_column: str = "Organisation Code",
    patients_column: str = "Number of patients registered at the GP practice",
    key: str = "appraisal.registrations",
) -> tuple[pd.DataFrame, Provenance]:
    """Practice list sizes from a located list (code, list size, coordinates).

    The London list of NHSX's time-of-travel repository is one such file.

    Parameters
    ----------
    path : pathlib.Path
    code_column, patients_column : str
        The file's names for the practice code and its list size.
    key : str

    Returns
    -------
    frame : pandas.DataFrame
        ``practice_code``, ``patients`` (int) and, where the file has them,
        ``latitude`` and ``longitude``.
    record : Provenance

    Raises
    ------
    InputDataError
        If a column is missing or a list size is not a number.
    """
    table = read_published(path, header_words=[code_column])
    record = provenance(key, path)
    record.rows_read = table.rows_read
    frame = table.frame
    for column in (code_column, patients_column):
        if column not in frame.columns:
            raise InputDataError(
                f"{path}: no {column!r} column (found {', '.join(map(str, frame.columns))}); "
                "name the practice code and list size columns"
            )
    blank = frame[patients_column].astype(str).str.strip() == ""
    if blank.any():
        record.counts["dropped: no list size"] = int(blank.sum())
        frame = frame[~blank]
    out = pd.DataFrame(
        {
            "practice_code": frame[code_column].astype(str).str.strip().str.upper(),
            "patients": numeric(frame, patients_column, path, id_column=code_column).astype(
                "int64"
            ),
        }
    )
    for ours in ("latitude", "longitude"):
        named = [c for c in frame.columns if str(c).strip().lower() == ours]
        if named:
            out[ours] = pd.to_numeric(frame[named[0]], errors="coerce")
    record.rows_used = len(out)
    return out.reset_index(drop=True), record
