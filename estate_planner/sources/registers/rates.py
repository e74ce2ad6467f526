"""Council business-rates (NNDR) lists: every rated property with its use, rateable
value and, in most layouts, whether it is empty.

Layouts recognised by their columns: the Open Innovations (ODI Leeds) common layout
(``Occupied`` Y / N / blank, ``Empty from``, ``VOA description`` or ``VOA code``) and
council variants (``Current Analysis Code Description``, empty-property relief codes
``EPRN``/``EPRI`` in ``Current Relief Type``, exemptions for empty property).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from estate_planner.sources.published import Published
from estate_planner.sources.registers._common import (
    Register,
    column,
    finish,
    keep_uses,
    kind_from_use,
    locate,
    numbers,
    positive_area,
    text,
)

#: Columns that mark a business-rates list (any one of each group)
SIGNATURE = (
    ("rateable value", "rv", "rateable_value", "current rateable value"),
    (
        "property reference number",
        "property reference",
        "ba reference number",
        "ba reference",
        "ba ref",
        "billing authority reference",
        "uarn",
        "account reference",
    ),
)
_USE_NAMES = [
    "current analysis code description",
    "voa description",
    "primary description",
    "description",
    "property description",
    "analysis code description",
]
#: VOA primary description code prefixes (the list's ``VOA code``) -> use
_VOA_CODE_USES = {
    "CS": "Shop",
    "CO": "Office",
    "CX": "Surgery or clinic",
    "MH": "Health centre",
    "LC": "Community hall",
    "CR": "Restaurant or cafe",
    "IF": "Factory",
    "IW": "Warehouse",
    "IS": "Store",
}
# relief and exemption codes that mean the property is empty
_EMPTY_RELIEF = ("EPRN", "EPRI", "EPR", "EMPTY")


def read_business_rates(
    table: Published, path: Path, *, uses: Iterable[str] | None = None
) -> Register:
    """Candidates from a business-rates list (see the module docstring).

    ``annual_cost_gbp`` is the rateable value: the VOA's estimate of the property's
    annual open-market rent (£0 is read as not known). ``available`` is true where
    the list says the property is empty (``Occupied = N``, an ``Empty from`` date, an
    empty-property relief or exemption), false where it says it is occupied, blank
    where it does not say. No floor area is invented: blank unless the file has one.

    Parameters
    ----------
    table : Published
        The table as read by :func:`estate_planner.sources.published.read_published`.
    path : pathlib.Path
    uses : iterable of str, optional
        Keep only these kinds of use.

    Returns
    -------
    Register
    """
    frame = table.frame
    dropped: Counter[str] = Counter(table.dropped)
    repairs: Counter[str] = Counter(table.repairs)
    ref = column(frame, path, list(SIGNATURE[1]))
    use = _use(frame, path)
    located = locate(frame, path, repairs)
    address = text(
        frame, column(frame, path, ["address", "full property address", "property address"])
    )
    out = pd.DataFrame(
        {
            "source_id": text(frame, ref),
            "use": use,
            "kind": kind_from_use(use),
            "address": address,
            "postcode": text(frame, column(frame, path, ["postcode", "post code"])),
            "annual_cost_gbp": _rateable_value(frame, path),
            "floor_area_m2": _floor_area(frame, path),
            "available": _empty(frame, path),
            "longitude": located.lon,
            "latitude": located.lat,
            "note": located.reason,
        }
    )
    built = out["use"].where(out["use"] != "", "Rated property") + ", " + _street(address)
    given = text(frame, column(frame, path, ["name", "property name"]))  # columns = {name: ..}
    out["name"] = given.where(given != "", built)
    out["spare_floor_area_m2"] = np.nan
    out = keep_uses(out, uses, dropped)
    frame_out = finish(out, source=path.name, id_prefix="rates-", dropped=dropped)
    return Register(path, "business_rates", frame_out, table.rows_read, repairs, dropped)


def _rateable_value(frame: pd.DataFrame, path: Path) -> pd.Series:
    """Rateable value in GBP a year; £0 (a list's placeholder for a value not yet
    set, or an exempt hereditament) is not known, never a cost of nothing."""
    value = numbers(text(frame, column(frame, path, list(SIGNATURE[0]))))
    return value.where(value > 0)


def _use(frame: pd.DataFrame, path: Path) -> pd.Series:
    described = text(frame, column(frame, path, _USE_NAMES))
    code = text(frame, column(frame, path, ["voa code", "primary description code", "scat code"]))
    from_code = code.str[:2].str.upper().map(_VOA_CODE_USES).fillna("")
    return described.where(described != "", from_code)


def _floor_area(frame: pd.DataFrame, path: Path) -> pd.Series:
    return positive_area(
        frame, path, ["floor area", "floor area m2", "total area", "area m2", "total area m2"]
    )


def _empty(frame: pd.DataFrame, path: Path) -> pd.Series:
    """1.0 empty, 0.0 occupied, NaN where the list does not say."""
    state = pd.Series(np.nan, index=frame.index)
    occupied = column(frame, path, ["occupied", "occupied?", "occupation status"])
    if occupied is not None:
        flag = text(frame, occupied).str.upper().str[:1]
        state[flag == "Y"] = 0.0
        state[flag == "N"] = 1.0
    empty_from = column(frame, path, ["empty from", "empty date", "void from"])
    if empty_from is not None:
        state[text(frame, empty_from) != ""] = 1.0
    for group in (["current relief type", "reliefs granted", "relief type", "relief code"],
                  ["current relief type description", "relief description"]):  # fmt: skip
        name = column(frame, path, group)
        if name is not None:
            values = text(frame, name).str.upper()
            state[values.str.contains("|".join(_EMPTY_RELIEF), regex=True)] = 1.0
    # rates exemptions (listed building, value under the threshold, charity...) are
    # exemptions from the empty-property rate: a property carrying one is empty
    exemption = column(
        frame,
        path,
        ["current property exemption code", "exemptions", "exemption code", "exempt property"],
    )
    if exemption is not None:  # a code or description, or Y / N ("Exempt Property")
        said = text(frame, exemption).str.strip().str.upper()
        state[(said != "") & ~said.isin(["N", "NO", "0", "FALSE", "0.0"])] = 1.0
    return state


def _street(address: pd.Series) -> pd.Series:
    """The first part of an address that names a street ("5 Waterloo Road")."""

    def first(value: str) -> str:
        parts = [p.strip() for p in value.split(",") if p.strip()]
        for i, part in enumerate(parts):
            if any(ch.isalpha() for ch in part):
                number = parts[i - 1] if i and parts[i - 1].isdigit() else ""
                return f"{number} {part}".strip()
        return value

    return address.map(first)
