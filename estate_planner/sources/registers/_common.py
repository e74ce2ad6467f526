"""What the register readers share: the candidate columns they return, and reading
names, numbers and coordinates out of published cells."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from estate_planner._vocabulary import CANDIDATE_KINDS
from estate_planner.sources.tables import pick_column

#: The columns every register reader returns (and ``estate-planner candidates`` writes).
REGISTER_COLUMNS = (
    "site_id",
    "name",
    "kind",
    "use",
    "floor_area_m2",
    "spare_floor_area_m2",
    "annual_cost_gbp",
    "available",
    "longitude",
    "latitude",
    "located",
    "source",
    "source_id",
    "address",
    "postcode",
    "uprn",
    "note",
)
#: Candidate kinds a register row can have; ``uses`` picks which are kept.
REGISTER_KINDS = CANDIDATE_KINDS
DEFAULT_USES = ("retail", "office", "health", "community", "council", "nhs")

# England (and Wales) generously, to catch zero, swapped or foreign coordinates
_LON = (-6.5, 2.0)
_LAT = (49.8, 55.9)
_MISSING = {"", "not applicable", "n/a", "na", "none", "null", "-", "--", "nan", "#n/a"}


@dataclass
class Register:
    """One register read: the candidate rows and what was repaired or dropped, by reason."""

    path: Path
    format: str
    frame: pd.DataFrame
    rows_read: int
    repairs: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)


def column(frame: pd.DataFrame, path: Path, names: Sequence[str]) -> str | None:
    """The first of ``names`` in ``frame`` (headers matched as publishers vary them,
    spaces too: ``BA ReferenceNumber`` is ``BA Reference Number``)."""
    found = pick_column(frame, path, names[0], names, required=False)
    if found is not None:
        return found
    squeezed = {re.sub(r"[\s_]+", "", str(c)).lower(): str(c) for c in reversed(frame.columns)}
    for name in names:
        key = re.sub(r"[\s_]+", "", name).lower()
        if key in squeezed:
            return squeezed[key]
    return None


def text(frame: pd.DataFrame, name: str | None) -> pd.Series:
    """A column as stripped text ('' where blank or absent)."""
    if name is None:
        return pd.Series("", index=frame.index, dtype=object)
    values = frame[name].fillna("").astype(str).str.strip()
    return values.where(~values.str.lower().isin(_MISSING), "")


def numbers(values: pd.Series) -> pd.Series:
    """Cells as numbers: thousands separators, £ and % dropped; "Not Applicable" and
    text that is not a number are blank (NaN)."""
    cleaned = values.fillna("").astype(str).str.strip().str.replace(r"[£,%\s]", "", regex=True)
    cleaned = cleaned.where(~cleaned.str.lower().isin(_MISSING), None)
    return pd.to_numeric(cleaned, errors="coerce").astype(float)


def positive_area(frame: pd.DataFrame, path: Path, names: Sequence[str]) -> pd.Series:
    """A floor-area column in m²; 0, blank or absent means none recorded (NaN)."""
    name = column(frame, path, names)
    if name is None:
        return pd.Series(np.nan, index=frame.index)
    area = numbers(text(frame, name))
    return area.where(area > 0)


def joined(*parts: pd.Series) -> pd.Series:
    """Text columns joined with ", ", blanks left out."""
    frame = pd.concat(parts, axis=1)
    return frame.apply(lambda row: ", ".join(p for p in row if p), axis=1).astype(object)


def kind_from_use(use: pd.Series) -> pd.Series:
    """Candidate kind from a business-rates or asset use description."""
    lowered = use.fillna("").str.lower()
    out = pd.Series("other", index=use.index, dtype=object)
    for kind, pattern in reversed(_USE_RULES):  # the first rule that matches wins
        out[lowered.str.contains(pattern, regex=True)] = kind
    return out


# use description -> kind, first match wins (VOA descriptions and council asset types)
_USE_RULES = (
    ("retail", r"post office"),
    ("health", r"surgery|surgeries|clinic|health cent|medical|dental|dentist|doctor|pharmac"
     r"|chemist|hospital|nursing home|care home|hospice|physio|optician"),
    ("community", r"hall|community|church|chapel|library|youth|day cent|meeting|institute"
     r"|club ?house|scout|leisure|sports cent|museum|theatre|family cent|children'?s cent"),
    ("office", r"office"),
    ("retail", r"(?<!work)shop|retail|department store|superstore|showroom|salon|bank"
     r"|building society|kiosk|market|supermarket|hypermarket|cafe|caf\u00e9|restaurant"
     r"|takeaway|beauty|bakery|bookmak|betting|launderette"),
    ("industrial", r"factor|warehouse|workshop|industrial|works\b|depot|store and premises"
     r"|stores\b|yard|garage|vehicle repair|mill|plant|weighbridge|laborator|storage|"
     r"distribution|car wash|petrol|filling station"),
)  # fmt: skip


@dataclass
class Located:
    """Per row: WGS84 longitude/latitude (NaN when not located), BNG x/y, and why a
    row is not located ('' when it is)."""

    lon: np.ndarray
    lat: np.ndarray
    reason: np.ndarray


def locate(
    frame: pd.DataFrame, path: Path, repairs: Counter[str], *, prefer_bng: bool = False
) -> Located:
    """Coordinates from whichever pair of columns holds them: longitude/latitude, or
    easting/northing in British National Grid (told apart by their values)."""
    pairs = [
        (column(frame, path, a), column(frame, path, b))
        for a, b in (
            (["longitude", "lon", "long"], ["latitude", "lat"]),
            (["easting", "eastings", "x"], ["northing", "northings", "y"]),
            (["geox", "geo_x", "map_x", "xcoord"], ["geoy", "geo_y", "map_y", "ycoord"]),
        )
    ]
    options = [(numbers(frame[x]), numbers(frame[y])) for x, y in pairs if x and y]
    n = len(frame)
    if not options:
        return Located(np.full(n, np.nan), np.full(n, np.nan), np.full(n, "no coordinates"))
    best = max(
        (_as_lonlat(x, y) for x, y in options),
        key=lambda found: (int((found.reason == "").sum()), prefer_bng),
    )
    swapped = best.reason == "swapped"
    if swapped.any():
        repairs["longitude and latitude swapped back"] += int(swapped.sum())
        best.reason[swapped] = ""
    return best


def _as_lonlat(x: pd.Series, y: pd.Series) -> Located:
    from estate_planner.sources.tables import BNG

    xs, ys = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
    reason = np.full(len(xs), "", dtype=object)
    blank = np.isnan(xs) | np.isnan(ys)
    reason[blank] = "no coordinates"
    zero = ~blank & ((xs == 0) | (ys == 0))
    reason[zero] = "coordinates are zero"
    usable = ~blank & ~zero
    bng = usable & (np.abs(xs) > 1000) & (np.abs(ys) > 1000)
    lon, lat = np.where(bng, np.nan, xs), np.where(bng, np.nan, ys)
    if bng.any():
        from pyproj import Transformer

        to_wgs = Transformer.from_crs(BNG, "EPSG:4326", always_xy=True)
        lon[bng], lat[bng] = to_wgs.transform(xs[bng], ys[bng])
    inside = _in_england(lon, lat)
    swapped = usable & ~inside & _in_england(lat, lon)
    lon[swapped], lat[swapped] = lat[swapped].copy(), lon[swapped].copy()
    reason[swapped] = "swapped"
    outside = usable & ~inside & ~swapped
    reason[outside] = "coordinates outside England"
    bad = reason != ""
    bad &= reason != "swapped"
    lon[bad], lat[bad] = np.nan, np.nan
    return Located(lon, lat, reason)


def _in_england(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (lon >= _LON[0]) & (lon <= _LON[1]) & (lat >= _LAT[0]) & (lat <= _LAT[1])


def uprns(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """UPRNs kept as text (leading zeros kept); one mangled into scientific notation by a
    spreadsheet (``1.0004E+11``: digits lost) is blanked, with a note saying so."""
    raw = values.fillna("").astype(str).str.strip()
    mangled = raw.str.contains(r"^\d(?:\.\d+)?[eE]\+?\d+$", regex=True)
    note = pd.Series("", index=values.index, dtype=object)
    note[mangled] = (
        "UPRN " + raw[mangled] + " in the file is in scientific notation (digits lost): not trusted"
    )
    cleaned = raw.where(~mangled, "").str.replace(r"\.0$", "", regex=True)
    return cleaned.where(cleaned.str.fullmatch(r"\d{1,12}") | (cleaned == ""), ""), note


def plain_name(value: str) -> str:
    """A name as compared across lists: lower case, no punctuation, no " - trust" tail."""
    head = re.split(r"\s+-\s+", value, maxsplit=1)[0]
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", head.lower()).split())


def title(values: pd.Series) -> pd.Series:
    """NAMES IN CAPITALS as Names In Capitals (mixed-case names are left alone).

    A letter after an apostrophe stays small ("ST MARY'S" is "St Mary's", not
    :meth:`str.title`'s "St Mary'S") and the acronyms of :data:`_ACRONYMS` stay in
    capitals ("NHS Trust", not "Nhs Trust").
    """
    return values.map(lambda v: _title(v) if v and v.upper() == v else v).astype(object)


#: words kept in capitals when a name in capitals is title-cased
_ACRONYMS = frozenset({"NHS", "GP", "GPS", "UK", "PCT", "CCG", "ICB", "HQ", "CIC", "YMCA",
                       "II", "III", "IV", "PFI", "LIFT", "CAMHS", "A&E"})  # fmt: skip


def _title(value: str) -> str:
    def word(match: re.Match[str]) -> str:
        text = match.group(0)
        return text if text in _ACRONYMS else text[:1] + text[1:].lower()

    return re.sub(r"[A-Za-z&]+(?:['\u2019][A-Za-z]+)*", word, value)


def finish(
    frame: pd.DataFrame, *, source: str, id_prefix: str, dropped: Counter[str]
) -> pd.DataFrame:
    """The standard columns, one row per ``source_id`` (a site listed twice is kept
    once, counted)."""
    frame = frame.copy()
    repeated = frame["source_id"].duplicated() & (frame["source_id"] != "")
    if repeated.any():
        dropped["the same site listed twice (first kept)"] += int(repeated.sum())
        frame = frame[~repeated]
    blank_id = frame["source_id"] == ""
    if blank_id.any():
        dropped["no reference or id"] += int(blank_id.sum())
        frame = frame[~blank_id]
    frame["site_id"] = id_prefix + frame["source_id"]
    frame["source"] = source
    frame["located"] = frame["longitude"].notna() & frame["latitude"].notna()
    for name in REGISTER_COLUMNS:
        if name not in frame.columns:
            frame[name] = "" if name in ("address", "postcode", "uprn", "note", "use") else np.nan
    return frame[list(REGISTER_COLUMNS)].reset_index(drop=True)


def keep_uses(
    frame: pd.DataFrame, uses: Iterable[str] | None, dropped: Counter[str]
) -> pd.DataFrame:
    """The rows whose kind is among ``uses`` (default :data:`DEFAULT_USES`)."""
    wanted = set(uses or DEFAULT_USES)
    out = ~frame["kind"].isin(wanted)
    for kind, n in frame.loc[out, "kind"].value_counts().items():
        dropped[f"use is {kind} (not asked for; add it to uses to keep)"] += int(n)
    return frame[~out]
