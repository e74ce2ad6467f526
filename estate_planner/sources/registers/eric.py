"""NHS Estates Returns Information Collection (ERIC), site level: every NHS trust site
with its floor area and the share of it that is empty or under-used.

Read from the ``.xls`` workbooks (sheet ``Site Data``, header on the second row) or the
CSV files published since 2017/18. ``AGGRE`` rows (a trust's aggregate) are dropped;
``Not Applicable`` is blank. Spare floor area = gross internal floor area x (empty % +
under-used %), or x ``Un-utilised space (%)`` in the older returns. Sites carry no
coordinates: they are located by ODS site code in a located list (hospital lists,
the scenario's services, a ``locations`` file), else by name where the one place of
that name belongs to the site's own trust (the list's parent organisation code is
ERIC's organisation code). A name alone is never enough: England has nine "St Mary's
Hospital"s. A site that cannot be placed so is left out, and its note says why.
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
        The study area (a shapely geometry in BNG): a site left out whose name matches
        another trust's place there says so in its note.
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
    """Each site's place: by its ODS site code; else by its name where the one place
    of that name run by the site's own trust (the list's parent organisation code
    against ERIC's organisation code) is found. Anything less is not placed, and the
    note says why (and names a place of the same name in the study area, another
    trust's, which a corrections file can confirm)."""
    n = len(sites)
    lon, lat = np.full(n, np.nan), np.full(n, np.nan)
    note = np.full(n, "", dtype=object)
    if located is None or located.empty:
        note[:] = "no located list to find sites in (give locations: a hospital list)"
        return lon, lat, note
    if "parent" not in located.columns:
        located = located.assign(parent="")
    by_code = located.drop_duplicates("code").set_index("code")
    places = located.drop_duplicates("code").assign(key=located["name"].map(plain_name))
    in_area = np.zeros(len(places), dtype=bool)
    if area is not None:
        import shapely

        from estate_planner.sources.tables import to_bng

        x, y = to_bng(places["longitude"].to_numpy(), places["latitude"].to_numpy())
        in_area = shapely.contains_xy(area, x, y)
    places = places.assign(in_area=in_area)
    named = {str(key): group for key, group in places.groupby("key")}
    for i, site in enumerate(sites.itertuples()):
        code = str(site.source_id).upper()
        if code in by_code.index:
            lon[i], lat[i] = by_code.loc[code, ["longitude", "latitude"]]
            continue
        lon[i], lat[i], note[i] = _by_name_and_trust(
            code, str(site.name), str(site.organisation_code).upper(), named
        )
    return lon, lat, note


def _by_name_and_trust(
    code: str, name: str, trust: str, named: dict[str, pd.DataFrame]
) -> tuple[float, float, str]:
    same = named.get(plain_name(name))
    if same is None:
        return np.nan, np.nan, (
            f"no place with its site code or name (site code {code} is not in the located "
            f"list and no place there is named {name!r})"
        )
    ours = same[same["parent"] == trust] if trust else same.iloc[:0]
    if len(ours) == 1:
        place = ours.iloc[0]
        return place["longitude"], place["latitude"], (
            f"located by name and trust ({place['name']}, {place['code']} of trust "
            f"{trust}); code {code} not listed"
        )
    if len(ours) > 1:
        return np.nan, np.nan, (
            f"several places of its trust have its name ({len(ours)} places of trust "
            f"{trust} are named {name!r}: {', '.join(ours['code'][:5])}; site code {code} "
            "is none of them)"
        )
    others = ", ".join(
        f"{code} of {parent or 'no named trust'}"
        for code, parent in zip(same["code"].astype(str), same["parent"].astype(str), strict=True)
    )
    local = same[same["in_area"]]
    hint = (
        f"; {', '.join(local['code'])} lies in the study area: if it is this site, "
        "place it with a corrections file"
        if len(local)
        else ""
    )
    return np.nan, np.nan, (
        f"its name is only another trust's place (site code {code} is not in the "
        f"located list; places named {name!r}: {others}; this site's trust is "
        f"{trust or 'not given'}{hint})"
    )


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
        return pd.DataFrame(columns=["code", "name", "parent", "longitude", "latitude"])
    places = pd.concat(frames, ignore_index=True)
    places["parent"] = places.get("parent", pd.Series("", index=places.index)).fillna("")
    places["code"] = places["code"].astype(str).str.strip().str.upper()
    places = places.dropna(subset=["longitude", "latitude"])
    return places.drop_duplicates("code").reset_index(drop=True)
