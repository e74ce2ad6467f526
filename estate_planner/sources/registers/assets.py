"""Council land and building assets, as published under the Local Government
Transparency Code 2015: UPRN, name, address, map reference, tenure (vacant holdings
are available) and holding type (bare land, open space and car parks are left out
unless asked for). Layouts differ by council and year; columns are recognised by
name (``UPRN``/``NLPG``, ``TenureDetail``/``SITE TENURE``, ``HoldingType``/``SITETYPE``,
``BUILDING GIA``...)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from estate_planner.sources.published import Published
from estate_planner.sources.registers._common import (
    Register,
    column,
    finish,
    joined,
    locate,
    positive_area,
    text,
    title,
    uprns,
)

#: Columns that mark a council asset register (one of each group)
SIGNATURE = (
    ("uprn", "nlpg", "unique property reference number"),
    ("tenure", "tenuredetail", "tenure detail", "tenuretype", "site tenure", "holdingtype",
     "holding type", "sitetype", "asset type"),
)  # fmt: skip
_TENURE = ["tenuredetail", "tenure detail", "site tenure", "tenure", "tenuretype", "tenure type"]
_HOLDING = ["holdingtype", "holding type", "sitetype", "site type", "asset type", "property type"]
_FUNCTION = ["site function", "function", "use", "current use", "asset use", "sitefunction"]
_NAME = ["propertyname", "property name", "name", "asset name", "site name", "building name"]
_ID = ["assetcode", "asset code", "asset_id", "asset id", "asset reference", "property reference"]
# asset types that are no building at all (civic regalia, art, bridges, public
# toilets ["Public Conveinences" as one council spells it], farms); dropped by type
_NOT_BUILDING = (
    r"regalia|\bart\b|artwork|sculpture|statue|bridge|farm|convenienc|conveinenc|toilet"
    r"|street furniture|bus shelter|monument|war memorial|fountain|clock|vehicle|\bplant\b"
    r"|equipment|infrastructure"
)
# holdings that are land, not a building a hub could use
_LAND = (
    r"bare land|open space|car park|parking|playing field|allotment|cemeter|woodland|verge"
    r"|grazing|agricultur|park\b|recreation ground|garden|common land|amenity land|farm land"
    r"|^land$|ransom strip|footpath|highway"
)


def read_council_assets(table: Published, path: Path, *, include_land: bool = False) -> Register:
    """Candidates from a council's land and building assets.

    ``available`` is true for vacant holdings, false where the council or a tenant
    occupies it (occupied, leased, licensed), blank otherwise. Floor area comes from a
    gross internal area column (``BUILDING GIA``); 0 means none recorded, so blank. A
    UPRN is kept as text with its leading zeros; one a spreadsheet turned into
    scientific notation is not trusted (blank, with a note).

    Parameters
    ----------
    table : Published
        The table as read by :func:`estate_planner.sources.published.read_published`.
    path : pathlib.Path
    include_land : bool
        Keep land holdings with no building.

    Returns
    -------
    Register
    """
    frame = table.frame
    dropped: Counter[str] = Counter(table.dropped)
    repairs: Counter[str] = Counter(table.repairs)
    uprn, uprn_note = uprns(text(frame, column(frame, path, list(SIGNATURE[0]))))
    if (uprn_note != "").any():
        repairs["UPRN in scientific notation: not trusted, left blank"] += int(
            (uprn_note != "").sum()
        )
    holding_type = text(frame, column(frame, path, _HOLDING))
    function = text(frame, column(frame, path, _FUNCTION))
    holding = joined(holding_type, function)
    located = locate(frame, path, repairs, prefer_bng=True)
    own_id = text(frame, column(frame, path, _ID))
    name = title(text(frame, column(frame, path, _NAME)))
    address = joined(
        *(
            title(text(frame, column(frame, path, names)))
            for names in (
                ["secondary_address", "secondary address", "address line 1", "site address",
                 "property address", "address"],
                ["streetname", "street name", "street"],
                ["posttown", "post town", "town"],
            )
        )
    )
    # the council's own asset id where it names one row; else with the UPRN beside it
    # (Cheltenham gives several buildings of one holding the same asset code)
    shared = own_id.duplicated(keep=False) & (own_id != "")
    own_id = own_id.where(~shared, own_id + "/" + uprn.where(uprn != "", frame.index.astype(str)))
    out = pd.DataFrame(
        {
            "source_id": own_id.where(own_id != "", uprn),
            "uprn": uprn,
            "name": name.where(name != "", address),
            "kind": "council",
            "use": holding,
            "address": address,
            "postcode": text(frame, column(frame, path, ["postcode", "post code"])).str.replace(
                r"\s+", " ", regex=True
            ),
            "floor_area_m2": _floor_area(frame, path),
            "spare_floor_area_m2": np.nan,
            "annual_cost_gbp": np.nan,
            "available": _vacant(
                text(frame, column(frame, path, _TENURE)) + " " + holding_type, frame, path
            ),
            "longitude": located.lon,
            "latitude": located.lat,
            "note": _notes(located.reason, uprn_note.to_numpy()),
        }
    )
    objects = _not_building(holding_type).to_numpy()
    for kind, n in holding_type.loc[objects].value_counts().items():
        dropped[f"asset type {kind!r}: not a building a hub could use"] += int(n)
    out = out[~objects]
    if not include_land:
        land = _is_land(holding_type[~objects], function[~objects])
        if land.any():
            dropped["land, not a building (include_land = true keeps it)"] += int(land.sum())
            out = out[~land.to_numpy()]
    frame_out = finish(out, source=path.name, id_prefix="asset-", dropped=dropped)
    return Register(path, "council_assets", frame_out, table.rows_read, repairs, dropped)


def _not_building(holding_type: pd.Series) -> pd.Series:
    """Assets whose type says they are no building at all ("Civic Regalia", "Bridges",
    "Public Conveinences"), unless it also says building (what a site is for, as in
    "Highways and bridges depot", does not decide: a depot is a building)."""
    said = holding_type.str.lower()
    return said.str.contains(_NOT_BUILDING, regex=True) & ~said.str.contains(
        r"building|hall|office|centre|library|clinic|depot", regex=True
    )


def _is_land(holding_type: pd.Series, function: pd.Series) -> pd.Series:
    """Land, not a building: the holding type says land only, or what the site is for
    does ("Small holding - bare land", "Car park"), whatever the type says."""
    kind, use = holding_type.str.lower(), function.str.lower()
    return (
        kind.str.fullmatch(r"land|land only|open land")
        | (kind.str.contains(r"^land\b", regex=True) & ~kind.str.contains("building"))
        | use.str.contains(_LAND, regex=True)
        | ((use == "") & kind.str.contains(_LAND, regex=True) & ~kind.str.contains("building"))
    )


def _floor_area(frame: pd.DataFrame, path: Path) -> pd.Series:
    return positive_area(
        frame, path, ["building gia", "gia", "gross internal area", "floor area", "gia m2"]
    )


def _vacant(tenure: pd.Series, frame: pd.DataFrame, path: Path) -> pd.Series:
    """1.0 vacant, surplus or for disposal (whatever else the row says: a building
    declared surplus may still be occupied until it is sold), 0.0 occupied or let, NaN
    where the register does not say."""
    other = text(frame, column(frame, path, ["tenuretype", "tenure type", "occupancy", "status"]))
    said = (tenure + " " + other).str.lower()
    state = pd.Series(np.nan, index=frame.index)
    state[said.str.contains(r"occupied|leasehold|leased|licen[cs]e|let\b|tenant", regex=True)] = 0.0
    state[said.str.contains(r"vacant|empty|unoccupied|surplus|disposal|to let|for sale",
                            regex=True)] = 1.0  # fmt: skip
    return state


def _notes(*columns: np.ndarray) -> np.ndarray:
    return np.array(
        ["; ".join(p for p in parts if p) for parts in zip(*columns, strict=True)], dtype=object
    )
