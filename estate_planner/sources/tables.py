"""Shared readers for the tables and vector files users bring.

Every reader names the file and, where it can, the row or column in its errors, and
records what it read and dropped in a :class:`Provenance` for ``manifest.json``.
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from estate_planner._errors import EstatePlannerWarning, InputDataError, did_you_mean

logger = logging.getLogger(__name__)

BNG = "EPSG:27700"
# England's extent in lon/lat, generously: used to catch swapped columns.
_LON_RANGE = (-9.0, 3.0)
_LAT_RANGE = (49.0, 61.5)


@dataclass
class Provenance:
    """What one input contributed: for the manifest and the report."""

    key: str
    path: str
    bytes: int = 0
    sha256: str = ""
    rows_read: int = 0
    rows_used: int = 0
    dropped: list[str] = field(default_factory=list)
    #: rows repaired or dropped, by reason ("dropped: ..." / "repaired: ...")
    counts: dict[str, int] = field(default_factory=dict)
    #: the layout the file was read as, where there are several (registers)
    layout: str = ""
    #: the date the data describes ("2018-02-27", "2019", "2016/17"); see :func:`data_date`
    date: str = ""
    #: where ``date`` comes from ("OSM replication timestamp", "date in the file name",
    #: "newest edit in the OSM extract ...", "the latest correction's date (on)"), or why
    #: it is not known ("not stated in the file or its name")
    date_basis: str = ""

    def drop(self, reason: str, rows: Iterable[object], *, what: str = "rows") -> None:
        """Record dropped rows and warn, naming them.

        Parameters
        ----------
        reason : str
        rows : iterable
            Ids of the rows dropped.
        what : str
            What a row is, for the message.
        """
        items = [str(r) for r in rows]
        if not items:
            return
        shown = ", ".join(items[:10]) + (f" and {len(items) - 10} more" if len(items) > 10 else "")
        # the file's name, not this machine's path: the manifest travels
        message = f"{Path(self.path).name}: dropped {len(items)} {what} ({reason}): {shown}"
        self.dropped.append(message)
        warnings.warn(message, EstatePlannerWarning, stacklevel=3)


def to_bng(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude (WGS84) to British National Grid eastings/northings.

    Parameters
    ----------
    lon, lat : numpy.ndarray

    Returns
    -------
    x, y : numpy.ndarray
    """
    from pyproj import Transformer

    transformer = Transformer.from_crs("EPSG:4326", BNG, always_xy=True)
    x, y = transformer.transform(lon, lat)
    return np.asarray(x), np.asarray(y)


def provenance(key: str, path: Path) -> Provenance:
    """Start the provenance record of ``path``, with its size and hash.

    A folder (a GTFS feed as published unzipped) is hashed over every file in it, by
    its path relative to the folder and its content, and sized as their sum.

    Parameters
    ----------
    key : str
        The scenario key that names the file.
    path : pathlib.Path

    Returns
    -------
    Provenance
    """
    from estate_planner.cache import file_sha256, folder_files, folder_sha256

    date, basis = data_date(path)
    if path.is_dir():
        size = sum(p.stat().st_size for p in folder_files(path))
        return Provenance(
            key=key, path=str(path), bytes=size, sha256=folder_sha256(path),
            date=date, date_basis=basis,
        )  # fmt: skip
    return Provenance(
        key=key, path=str(path), bytes=path.stat().st_size, sha256=file_sha256(path),
        date=date, date_basis=basis,
    )  # fmt: skip


#: a year (1980-2049) standing alone in a file name, with month and day if given
_NAME_DATE = re.compile(
    r"(?<![0-9])((?:19[89]|20[0-4])[0-9])(?:[-_]?([01][0-9])(?:[-_]?([0-3][0-9]))?)?(?![0-9])"
)


def data_date(path: Path) -> tuple[str, str]:
    """The date the data in ``path`` describes, and where that date comes from.

    What the file says of itself first: an OSM extract's replication timestamp (its
    header), a GTFS feed's first day of service (``feed_info.txt``, else its calendars).
    Then a year (and month, day) in the file's name (``IMD2019``, ``_2026-04``). Then,
    for an OSM extract, its newest edit (the extract is at least that recent). Failing
    all of them the date is not known: the day a file was copied says nothing of what
    it describes (and a date that changed with every copy would make two runs of the
    same data differ), so it is never used; ``report.input_dates`` can state it.

    Parameters
    ----------
    path : pathlib.Path
        A file, or a folder (a GTFS feed as published unzipped).

    Returns
    -------
    date : str
        ISO ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``; "" where not known.
    basis : str
        Where the date comes from, or why it is not known.
    """
    name = path.name.lower()
    is_osm = path.is_file() and name.endswith(_OSM_SUFFIXES)
    if is_osm:
        stamp = _osm_timestamp(str(path))
        if stamp:
            return stamp[:10], "OSM replication timestamp"
    if _is_gtfs(path):
        first, last, source = _gtfs_validity(path)
        if first:
            return first, f"first day of service, timetable runs {first} to {last} ({source})"
    found = _NAME_DATE.search(path.name)
    if found:
        return "-".join(part for part in found.groups() if part), "date in the file name"
    if is_osm:
        newest = _osm_newest_edit(str(path))
        if newest:
            return newest, "newest edit in the OSM extract (its header states no date)"
    return "", "not stated in the file or its name"


_OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf")


@functools.lru_cache(maxsize=16)
def _osm_timestamp(path: str) -> str:
    """The extract's header timestamp ("" where the file states none)."""
    import osmium

    try:
        reader = osmium.io.Reader(path, osmium.osm.osm_entity_bits.NOTHING)
    except RuntimeError:
        return ""
    try:
        header = reader.header()
        return str(header.get("osmosis_replication_timestamp") or header.get("timestamp") or "")
    finally:
        reader.close()


@functools.lru_cache(maxsize=16)
def _osm_newest_edit(path: str) -> str:
    """The day of the newest edit of any object in the extract ("" where none is dated)."""
    import osmium

    newest = None
    try:
        entities = osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION
        for obj in osmium.FileProcessor(path, entities):
            stamp = obj.timestamp  # type: ignore[union-attr]
            if stamp.year > 1970 and (newest is None or stamp > newest):
                newest = stamp
    except RuntimeError:
        return ""
    return newest.date().isoformat() if newest is not None else ""


def _is_gtfs(path: Path) -> bool:
    if path.is_dir():
        return (path / "stops.txt").is_file() or (path / "feed_info.txt").is_file()
    return path.is_file() and path.suffix.lower() == ".zip" and "gtfs" in path.name.lower()


def _gtfs_validity(path: Path) -> tuple[str, str, str]:
    """A feed's first and last day of service, and the file that says so."""
    import csv
    import io
    import zipfile

    def rows(name: str) -> list[dict[str, str]]:
        try:
            if path.is_dir():
                raw = (path / name).read_bytes() if (path / name).is_file() else b""
            else:
                with zipfile.ZipFile(path) as archive:
                    inner = [n for n in archive.namelist() if Path(n).name == name]
                    raw = archive.read(inner[0]) if inner else b""
        except (OSError, zipfile.BadZipFile):
            return []
        text = raw.decode("utf-8-sig", errors="replace")
        return [{k.strip(): (v or "").strip() for k, v in r.items() if k} for r in
                csv.DictReader(io.StringIO(text))]  # fmt: skip

    def iso(day: str) -> str:
        return f"{day[:4]}-{day[4:6]}-{day[6:8]}" if re.fullmatch(r"\d{8}", day) else ""

    for name, start, end in (
        ("feed_info.txt", "feed_start_date", "feed_end_date"),
        ("calendar.txt", "start_date", "end_date"),
        ("calendar_dates.txt", "date", "date"),
    ):
        table = rows(name)
        firsts = sorted(d for d in (iso(r.get(start, "")) for r in table) if d)
        lasts = sorted(d for d in (iso(r.get(end, "")) for r in table) if d)
        if firsts:
            return firsts[0], (lasts[-1] if lasts else "not stated"), name
    return "", "", ""


def require_file(path: Path, key: str) -> None:
    """Raise a clear error when the input named by scenario ``key`` is missing or empty.

    Parameters
    ----------
    path : pathlib.Path
    key : str

    Raises
    ------
    InputDataError
    """
    if not path.is_file():
        raise InputDataError(f"{path}: file not found (scenario key {key}); fix the path")
    if path.stat().st_size == 0:
        raise InputDataError(f"{path}: the file is empty (scenario key {key}); export it again")


def read_csv(path: Path, key: str) -> pd.DataFrame:
    """Read a CSV as published (BOM, thousands separators, gzip) with clear errors.

    UTF-8 first; a file saved from Excel in Windows-1252 is read as that.

    Parameters
    ----------
    path : pathlib.Path
    key : str
        The scenario key, for messages.

    Returns
    -------
    pandas.DataFrame
        Every column as text.

    Raises
    ------
    InputDataError
        If the file is missing, empty or not a table.
    """
    require_file(path, key)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            frame = pd.read_csv(
                path,
                encoding=encoding,
                sep=(sep := _separator(path, encoding)),
                engine="python" if sep != "," else "c",  # the C engine takes 1-byte separators
                thousands=",",
                dtype=str,
                keep_default_na=False,
                na_values=[""],
            )
            break
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError, EOFError) as exc:
            raise InputDataError(
                f"{path}: not a readable CSV ({str(exc).strip()}); check it opens in a "
                "spreadsheet and export it again as CSV"
            ) from None
    else:
        raise InputDataError(f"{path}: the text is neither UTF-8 nor Windows-1252; save as UTF-8")
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise InputDataError(f"{path}: no data rows below the header (scenario key {key})")
    return frame


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def read_table(
    path: Path, key: str, *, header_words: Iterable[str] = ()
) -> tuple[pd.DataFrame, str]:
    """A CSV (as :func:`read_csv`) or the sheet of a workbook that holds the table.

    Publishers put a notes sheet first (IoD 2025 File 1 keeps its data in ``IMD25``,
    File 2 in ``IoD2025 Domains``): the sheet read is the first whose header row (in
    its first 20 rows) holds all of ``header_words``.

    Parameters
    ----------
    path : pathlib.Path
    key : str
        The scenario key, for messages.
    header_words : iterable of str
        Words (case-insensitive) the header row of the table must hold.

    Returns
    -------
    frame : pandas.DataFrame
        Every column as text (blank cells missing).
    sheet : str
        The sheet read ("" for a CSV).

    Raises
    ------
    InputDataError
        If the file is missing, unreadable or no sheet has such a header.
    """
    if not path.name.lower().endswith(WORKBOOK_SUFFIXES):
        return read_csv(path, key), ""
    require_file(path, key)
    from python_calamine import CalamineWorkbook

    words = [w.lower() for w in header_words]
    try:
        book = CalamineWorkbook.from_path(str(path))
        sheets = [(n, book.get_sheet_by_name(n).to_python()) for n in book.sheet_names]
    except Exception as exc:  # calamine raises its own error types
        raise InputDataError(
            f"{path}: not a readable workbook ({exc}); open it in a spreadsheet and save it "
            f"again (scenario key {key})"
        ) from None
    for name, rows in sheets:
        for at, row in enumerate(rows[:20]):
            text = " ".join(_cell(v) for v in row).lower()
            if text.strip() and all(w in text for w in words):
                header = [_cell(v).strip() for v in row]
                body = [[_cell(v) for v in r] for r in rows[at + 1 :] if any(_cell(v) for v in r)]
                width = len(header)
                frame = pd.DataFrame([(r + [""] * width)[:width] for r in body], columns=header)
                frame = frame.replace("", np.nan)
                if frame.empty:
                    raise InputDataError(f"{path}: sheet {name!r} has no rows below its header")
                return frame, name
    raise InputDataError(
        f"{path}: no sheet has a header row with {', '.join(header_words)} (sheets: "
        f"{', '.join(n for n, _ in sheets)}); save the data sheet as CSV, or check the file"
    )


def _cell(value: object) -> str:
    """A workbook cell as the text a CSV would hold (a whole number without ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _separator(path: Path, encoding: str) -> str:
    """``,`` unless the header says otherwise: NHS.UK's lists are separated by ``¬``."""
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding=encoding, errors="replace") as handle:
            header = handle.readline()
    except (OSError, EOFError):
        return ","
    return "¬" if header.count("¬") > header.count(",") else ","


def read_vector(path: Path, key: str) -> gpd.GeoDataFrame:
    """Read a vector file and project it to British National Grid.

    A file without a CRS is an error: guessing would place sites in the wrong county.

    Parameters
    ----------
    path : pathlib.Path
    key : str

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    InputDataError
    """
    require_file(path, key)
    try:
        frame = gpd.read_file(path)
    except Exception as exc:
        raise InputDataError(
            f"{path}: not a readable vector file ({str(exc).strip()}); expected a "
            "GeoPackage, GeoJSON or shapefile (scenario key {key})".replace("{key}", key)
        ) from None
    if frame.empty:
        raise InputDataError(f"{path}: the file holds no features (scenario key {key})")
    if frame.crs is None:
        raise InputDataError(
            f"{path}: the file has no coordinate reference system; set one (e.g. EPSG:27700 "
            "for eastings/northings or EPSG:4326 for longitude/latitude) and save it again"
        )
    if frame.crs.is_geographic:
        minx, miny, maxx, maxy = frame.total_bounds
        if min(minx, miny) < -180 or max(maxx, maxy) > 180:
            raise InputDataError(
                f"{path}: the file says its coordinates are longitude/latitude ({frame.crs}) but "
                f"they run to {max(abs(minx), abs(maxy)):,.0f}: they look like eastings and "
                "northings. Declare the right CRS (EPSG:27700 for British National Grid)"
            )
    return repair_geometries(frame.to_crs(BNG), path)


def repair_geometries(frame: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    """Make invalid geometries valid (with a warning); drop empty ones (with a warning).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
    path : pathlib.Path
        For the warning.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    missing = frame.geometry.isna() | frame.geometry.is_empty
    if missing.any():
        warnings.warn(
            f"{path.name}: dropped {int(missing.sum())} features with empty geometry "
            f"(rows {', '.join(str(i + 2) for i in np.flatnonzero(missing)[:10])})",
            EstatePlannerWarning,
            stacklevel=3,
        )
        frame = frame[~missing].copy()
    invalid = ~frame.geometry.is_valid
    if invalid.any():
        warnings.warn(
            f"{path.name}: repaired {int(invalid.sum())} invalid geometries with make_valid()",
            EstatePlannerWarning,
            stacklevel=3,
        )
        frame.loc[invalid, "geometry"] = frame.geometry[invalid].make_valid()
    return frame


def pick_column(
    frame: pd.DataFrame,
    path: Path,
    what: str,
    candidates: Iterable[str],
    *,
    required: bool = True,
    hint_within: str | None = None,
) -> str | None:
    """The first of ``candidates`` present in ``frame``.

    Names match case-insensitively and without a trailing explanation in brackets
    ("... Decile (where 1 is most deprived 10% of LSOAs)" is "... Decile"), as
    publishers add them.

    Parameters
    ----------
    frame : pandas.DataFrame
    path : pathlib.Path
        For the message.
    what : str
        What the column holds, for the message.
    candidates : iterable of str
        Accepted names, preferred first.
    required : bool
        Raise when none is present (else return None).
    hint_within : str, optional
        A "did you mean" only offers columns containing this (a decile must not be
        offered a rank).

    Returns
    -------
    str or None
        The column's name as the file spells it.

    Raises
    ------
    InputDataError
        When required and absent: the names expected, the nearest found and the columns.
    """
    plain = {plain_name(c): c for c in reversed(frame.columns)}
    options = list(candidates)
    for name in options:
        if plain_name(name) in plain:
            return plain[plain_name(name)]
    if not required:
        return None
    offered = [c for c in plain if hint_within is None or hint_within.lower() in c]
    hint = did_you_mean(plain_name(options[0]), offered, shown=plain)
    raise InputDataError(
        f"{path}: no {what} column: expected one of {', '.join(options)}{hint} "
        f"(columns found: {', '.join(map(str, frame.columns[:20]))})"
    )


def plain_name(name: object) -> str:
    """A header as compared: lower case, ``_`` as a space, spaces collapsed, without a
    trailing "(where ...)" explanation (closed or, as a publisher cut it, not).

    Parameters
    ----------
    name : object

    Returns
    -------
    str

    Examples
    --------
    >>> plain_name("Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived)")
    'index of multiple deprivation (imd) decile'
    >>> plain_name("Sub-domain Decile (where 1 is most deprived 10% of LSO")
    'sub-domain decile'
    """
    text = " ".join(str(name).replace("_", " ").split()).lower()
    # the closing bracket is optional: IoD 2025's File 7 cuts one header short
    return re.sub(r"\s*\(where [^)]*\)?$", "", text)


def rename_columns(frame: pd.DataFrame, columns: dict[str, str] | None) -> pd.DataFrame:
    """``frame`` with the file's columns renamed to ours.

    Parameters
    ----------
    frame : pandas.DataFrame
    columns : dict or None
        Ours -> theirs.

    Returns
    -------
    pandas.DataFrame
    """
    if not columns:
        return frame
    return frame.rename(columns={theirs: ours for ours, theirs in columns.items()})


def numeric(
    frame: pd.DataFrame, column: str, path: Path, *, id_column: str | None = None
) -> pd.Series:
    """A column as numbers; text that is not a number is an error naming the rows.

    Parameters
    ----------
    frame : pandas.DataFrame
    column : str
    path : pathlib.Path
    id_column : str, optional
        Rows are named by this column's values in the message.

    Returns
    -------
    pandas.Series

    Raises
    ------
    InputDataError
    """
    text = frame[column]
    values = pd.to_numeric(text, errors="coerce")
    if (values.isna() & text.notna()).any() and (
        text.dtype == object or pd.api.types.is_string_dtype(text)
    ):
        # published files write thousands as "1,854"; only those cells need cleaning
        text = text.astype("string").str.replace(",", "", regex=False).str.strip()
        values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        rows = _rows(frame, bad, id_column)
        raise InputDataError(
            f"{path}: column {column!r} must hold numbers; found text in {rows} "
            f"(e.g. {frame.loc[bad, column].iloc[0]!r}); fix those cells"
        )
    return values


def clean_text(values: pd.Series, *, lower: bool = False) -> pd.Series:
    """Strip (and lower-case) text through its distinct values.

    National tables repeat the same few codes and labels hundreds of thousands of times.

    Parameters
    ----------
    values : pandas.Series
    lower : bool

    Returns
    -------
    pandas.Series
    """
    uniques = values.dropna().unique()
    cleaned = {u: (str(u).strip().lower() if lower else str(u).strip()) for u in uniques}
    return values.map(cleaned)


def _rows(frame: pd.DataFrame, mask: pd.Series, id_column: str | None) -> str:
    positions = np.flatnonzero(mask.to_numpy())
    if id_column:
        labels = [f"{id_column} {frame[id_column].iloc[i]}" for i in positions[:5]]
    else:
        labels = [f"row {i + 2}" for i in positions[:5]]
    more = f" and {len(positions) - 5} more" if len(positions) > 5 else ""
    return ", ".join(labels) + more


def points_from_table(
    frame: pd.DataFrame, path: Path, *, crs: str | None = None, id_column: str | None = None
) -> gpd.GeoDataFrame:
    """Points from longitude/latitude or easting/northing columns, in BNG.

    Parameters
    ----------
    frame : pandas.DataFrame
    path : pathlib.Path
    crs : str, optional
        The coordinates' CRS when neither column pair says.
    id_column : str, optional
        Rows are named by it in messages.

    Returns
    -------
    geopandas.GeoDataFrame
        Rows without coordinates keep an empty geometry (the caller counts them).

    Raises
    ------
    InputDataError
        If there are no coordinate columns or coordinates lie outside Great Britain.
    """
    lon = pick_column(
        frame, path, "longitude", ["longitude", "lon", "lng", "long", "x_lon"], required=False
    )
    lat = pick_column(frame, path, "latitude", ["latitude", "lat", "y_lat"], required=False)
    east = pick_column(
        frame, path, "easting", ["easting", "eastings", "x", "oseast1m"], required=False
    )
    north = pick_column(
        frame, path, "northing", ["northing", "northings", "y", "osnrth1m"], required=False
    )
    if lon and lat:
        x, y = (
            numeric(frame, lon, path, id_column=id_column),
            numeric(frame, lat, path, id_column=id_column),
        )
        source_crs = crs or "EPSG:4326"
        if source_crs.upper() == "EPSG:4326":
            _check_lon_lat(x, y, path, lon, lat)
    elif east and north:
        x, y = (
            numeric(frame, east, path, id_column=id_column),
            numeric(frame, north, path, id_column=id_column),
        )
        source_crs = crs or BNG
    else:
        postcode = pick_column(frame, path, "postcode", ["postcode", "pcds"], required=False)
        hint = (
            f" This list has postcodes ({postcode!r}) but no coordinates: set "
            'postcodes = "ONSPD.csv" on its [[services]] entry to place each row by its '
            "postcode (ONS Postcode Directory), or use a list that carries coordinates "
            "(e.g. gp_practices_england_wales_geocoded_2022.csv.gz in ../shared/data/"
            "nhs_services, the national GP list with latitude and longitude)"
            if postcode
            else ""
        )
        raise InputDataError(
            f"{path}: no location columns; expected longitude and latitude (WGS84) or "
            f"easting and northing (EPSG:27700).{hint}"
        )
    blank = x.isna() | y.isna()
    geometry = gpd.points_from_xy(x.fillna(0), y.fillna(0))
    result = gpd.GeoDataFrame(frame.copy(), geometry=geometry, crs=source_crs).to_crs(BNG)
    result["_no_location"] = blank.to_numpy()
    return result


def _check_lon_lat(x: pd.Series, y: pd.Series, path: Path, lon: str, lat: str) -> None:
    x_ok = x.dropna().between(*_LON_RANGE).all()
    y_ok = y.dropna().between(*_LAT_RANGE).all()
    if x_ok and y_ok:
        return
    if x.dropna().between(*_LAT_RANGE).all() and y.dropna().between(*_LON_RANGE).all():
        raise InputDataError(
            f"{path}: columns {lon!r} and {lat!r} look swapped (longitudes should be "
            f"about -6 to 2 in England, latitudes about 50 to 56); swap the two columns"
        )
    raise InputDataError(
        f"{path}: coordinates in {lon!r}/{lat!r} are not longitude/latitude in England "
        f"(found {lon} {x.min():.1f}..{x.max():.1f}, {lat} {y.min():.1f}..{y.max():.1f}); "
        "if they are eastings/northings, name the columns easting and northing"
    )


def read_points(
    path: Path, key: str, *, crs: str | None = None, rename: dict[str, str] | None = None
) -> gpd.GeoDataFrame:
    """Point features from a CSV (coordinate columns) or any vector file, in BNG.

    Parameters
    ----------
    path : pathlib.Path
    key : str
    crs : str, optional
    rename : dict, optional
        Our column names -> the file's (e.g. ``{"easting": "E"}``).

    Returns
    -------
    geopandas.GeoDataFrame
    """
    if path.name.lower().endswith((".csv", ".csv.gz", ".txt")):
        frame = rename_columns(read_csv(path, key), rename)
        return points_from_table(frame, path, crs=crs)
    frame = rename_columns(read_vector(path, key), rename)
    frame["_no_location"] = False
    if not frame.geometry.geom_type.eq("Point").all():
        frame["geometry"] = frame.geometry.representative_point()
    return frame
