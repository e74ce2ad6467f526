"""NHS Estates Returns Information Collection (ERIC), site level: every NHS trust site
with its floor area and the share of it that is empty or under-used.

Read from the ``.xls`` workbooks (sheet ``Site Data``, header on the second row) or the
CSV files published since 2017/18. ``AGGRE`` rows (a trust's aggregate) are dropped;
``Not Applicable`` is blank. Spare floor area = gross internal floor area x (empty % +
under-used %), or x ``Un-utilised space (%)`` in the older returns. Sites carry no
coordinates: they are located by ODS site code in a located list (hospital lists,
the scenario's services, a ``locations`` file), then by name (within the study area
first); every site left unlocated says why.
"""

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
    numbers,
    plain_name,
    text,
    title,
)

SIGNATURE = (("site code",), ("site name", "site type"))
HEADER_WORDS = ("site code",)
_GIA = ["gross internal floor area (m²)", "gross internal site floor area (m²)",
        "gross internal floor area", "gross internal site floor area", "gia"]  # fmt: skip


def read_eric(
    table: Published,
    path: Path,
    *,
    located: pd.DataFrame | None = None,
    area: object | None = None,
) -> Register:
    """Candidates from ERIC site data (see the module docstring).

    Parameters
    ----------
    located
        Places with coordinates to find sites in: columns ``code``, ``name``,
        ``longitude``, ``latitude`` (see :func:`located_places`).
    area
        The study area (a shapely geometry in BNG): a site's name is matched there
        first.
    """
    frame = table.frame
    dropped: Counter[str] = Counter(table.dropped)
    repairs: Counter[str] = Counter(table.repairs)
    code = text(frame, column(frame, path, ["site code"]))
    aggregate = code.str.upper() == "AGGRE"
    dropped["AGGRE rows (a trust's aggregate, not a site)"] += int(aggregate.sum())
    frame, code = frame[~aggregate], code[~aggregate]
    gia = numbers(text(frame, column(frame, path, _GIA)))
    out = pd.DataFrame(
        {
            "source_id": code,
            "name": title(text(frame, column(frame, path, ["site name"]))),
            "kind": "nhs",
            "use": text(frame, column(frame, path, ["site type"])),
            "address": title(text(frame, column(frame, path, ["organisation name", "trust name"]))),
            "floor_area_m2": gia.where(gia > 0),
            "spare_floor_area_m2": _spare(frame, path, gia),
            "annual_cost_gbp": np.nan,
            "available": np.nan,
            "land_not_delivering_services_ha": numbers(
                text(frame, column(frame, path, ["land area not delivering services (hectares)"]))
            ),
            "organisation_code": text(
                frame, column(frame, path, ["organisation code", "trust code"])
            ),
        }
    )
    out = out.reset_index(drop=True)
    lon, lat, note = _locate(out, located, area)
    out["longitude"], out["latitude"], out["note"] = lon, lat, note
    extra = out[["source_id", "land_not_delivering_services_ha", "organisation_code"]]
    frame_out = finish(out, source=path.name, id_prefix="eric-", dropped=dropped)
    frame_out = frame_out.merge(extra.drop_duplicates("source_id"), on="source_id", how="left")
    return Register(path, "eric", frame_out, table.rows_read, repairs, dropped)


def _spare(frame: pd.DataFrame, path: Path, gia: pd.Series) -> pd.Series:
    empty = column(frame, path, ["floor area - empty (%)", "floor area empty (%)"])
    under = column(frame, path, ["floor area - under used (%)", "floor area under used (%)"])
    older = column(frame, path, ["un-utilised space (%)", "unutilised space (%)"])
    if empty or under:
        share = numbers(text(frame, empty)).fillna(0) + numbers(text(frame, under)).fillna(0)
        known = numbers(text(frame, empty)).notna() | numbers(text(frame, under)).notna()
    elif older:
        share = numbers(text(frame, older))
        known = share.notna()
    else:
        return pd.Series(np.nan, index=frame.index)
    spare = (gia * share / 100).round(0)
    return spare.where(known & gia.notna())


def _locate(
    sites: pd.DataFrame, located: pd.DataFrame | None, area: object | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(sites)
    lon, lat = np.full(n, np.nan), np.full(n, np.nan)
    note = np.full(n, "", dtype=object)
    if located is None or located.empty:
        note[:] = "no located list to find sites in (give locations: a hospital list)"
        return lon, lat, note
    by_code = located.drop_duplicates("code").set_index("code")[["longitude", "latitude"]]
    places = located.assign(key=located["name"].map(plain_name))
    pools = [(_by_name(places), "in the located list")]
    if area is not None:
        import shapely

        from estate_planner.sources.tables import to_bng

        x, y = to_bng(places["longitude"].to_numpy(), places["latitude"].to_numpy())
        pools.insert(0, (_by_name(places[shapely.contains_xy(area, x, y)]), "in the study area"))
    for i, site in enumerate(sites.itertuples()):
        code = str(site.source_id).upper()
        if code in by_code.index:
            lon[i], lat[i] = by_code.loc[code]
            continue
        key = plain_name(str(site.name))
        found = next(((pool[key], where) for pool, where in pools if key in pool), None)
        if found is None:
            note[i] = (
                f"no place with its site code or name (site code {code} is not in the "
                f"located list and no one place there is named {site.name!r})"
            )
            continue
        place, where = found
        lon[i], lat[i] = place["longitude"], place["latitude"]
        note[i] = (
            f"located by name {where} ({place['name']}, {place['code']}); code {code} not listed"
        )
    return lon, lat, note


def _by_name(places: pd.DataFrame) -> dict[str, pd.Series]:
    """Places by plain name, where one place (one code) has that name."""
    unique = places.drop_duplicates("code")
    counts = unique["key"].value_counts()
    single = unique[unique["key"].isin(counts[counts == 1].index)]
    return {row["key"]: row for _, row in single.iterrows()}


def located_places(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Located lists in one table, the first list's entry kept for a repeated code.

    Parameters
    ----------
    frames : list of pandas.DataFrame
        Each with ``code``, ``name``, ``longitude``, ``latitude``.

    Returns
    -------
    pandas.DataFrame
    """
    if not frames:
        return pd.DataFrame(columns=["code", "name", "longitude", "latitude"])
    places = pd.concat(frames, ignore_index=True)
    places["code"] = places["code"].astype(str).str.strip().str.upper()
    places = places.dropna(subset=["longitude", "latitude"])
    return places.drop_duplicates("code").reset_index(drop=True)
