"""GTFS timetables (bus, rail, tram) as published: one or several feeds, zip or folder.

What runs on a date: ``calendar.txt`` (weekdays between start and end dates) with
``calendar_dates.txt`` exceptions (1 added, 2 removed), either file alone allowed.
``frequencies.txt`` trips are expanded into one trip per headway. Times may pass
24:00:00 (a trip after midnight belongs to the day it started). Platforms keep their
own stop with their coordinates; a station (``location_type`` 1) used by no trip is
left out. With several feeds, ids are prefixed with the feed's number so a bus and a
rail feed cannot collide.

Errors name the feed, file, row and value: a missing required file or column, a time
that is not ``H:MM:SS``, a date outside every service's range (the feed's range is
given), a trip calling at a stop the feed does not list. Rows left out are counted by
reason on the feed's :class:`~estate_planner.sources.tables.Provenance` record.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from estate_planner._errors import InputDataError
from estate_planner.sources.tables import Provenance, provenance, to_bng

logger = logging.getLogger(__name__)

REQUIRED = {
    "stops.txt": ["stop_id", "stop_lat", "stop_lon"],
    "trips.txt": ["route_id", "service_id", "trip_id"],
    "stop_times.txt": ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"],
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass
class Timetable:
    """The trips that run on one date, in plain arrays.

    ``stop_*`` describe every stop a running trip calls at (BNG coordinates).
    Trip ``t`` calls at ``call_stop[trip_ptr[t]:trip_ptr[t + 1]]`` in order, arriving
    and departing at ``call_arrival``/``call_departure`` (seconds after midnight of
    the date; over 86,400 after midnight).
    """

    stop_ids: np.ndarray
    stop_names: np.ndarray
    stop_x: np.ndarray
    stop_y: np.ndarray
    trip_ids: np.ndarray
    trip_routes: np.ndarray
    trip_ptr: np.ndarray
    call_stop: np.ndarray
    call_arrival: np.ndarray
    call_departure: np.ndarray
    date: dt.date
    records: list[Provenance]

    @property
    def n_stops(self) -> int:
        return len(self.stop_ids)

    @property
    def n_trips(self) -> int:
        return len(self.trip_ids)


class _Feed:
    """One feed's files, from a zip or a folder."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise InputDataError(f"{self.path}: GTFS feed not found; fix the path")
        if self.path.is_dir():
            self.names = {p.name for p in self.path.iterdir()}
            self.archive = None
        else:
            try:
                self.archive = zipfile.ZipFile(self.path)
            except zipfile.BadZipFile:
                raise InputDataError(
                    f"{self.path}: not a GTFS zip (not a zip file); give the feed as "
                    "published (a .zip of .txt files) or a folder of them"
                ) from None
            # some producers put the files in a folder inside the zip
            self.inner = {Path(n).name: n for n in self.archive.namelist() if n.endswith(".txt")}
            self.names = set(self.inner)

    def has(self, name: str) -> bool:
        return name in self.names

    def read(self, name: str, required: bool = True) -> pd.DataFrame | None:
        if not self.has(name):
            if required:
                raise InputDataError(
                    f"{self.path}: the GTFS feed has no {name}; a feed needs agency, stops, "
                    "routes, trips, stop_times and calendar or calendar_dates"
                )
            return None
        if self.archive is None:
            raw = (self.path / name).read_bytes()
        else:
            raw = self.archive.read(self.inner[name])
        text = raw.decode("utf-8-sig", errors="replace")
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
        frame.columns = [str(c).strip() for c in frame.columns]
        for column in REQUIRED.get(name, []):
            if column not in frame.columns:
                raise InputDataError(
                    f"{self.path}: {name} has no {column} column (columns: "
                    f"{', '.join(frame.columns)}); the feed does not follow GTFS"
                )
        return frame


def seconds_of(values: pd.Series, feed: Path, name: str, column: str) -> np.ndarray:
    """GTFS times (``H:MM:SS``, hours past 24 allowed) as seconds after midnight.

    Parameters
    ----------
    values : pandas.Series
        The times as text; blanks are NaN.
    feed : pathlib.Path
    name, column : str
        The file and column, for the message.

    Returns
    -------
    numpy.ndarray of float

    Raises
    ------
    InputDataError
        Naming the first row whose time is not ``H:MM:SS``.

    Examples
    --------
    >>> seconds_of(pd.Series(["7:05:00", "25:00:30", None]), Path("f"), "x", "t").tolist()
    [25500.0, 90030.0, nan]
    """
    text = values.fillna("").astype(str).str.strip()
    parts = text.str.extract(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")
    bad = parts[0].isna() & (text != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputDataError(
            f"{feed}: {name} row {row + 2}: {column} {text.iloc[row]!r} is not a time "
            "H:MM:SS (hours may pass 24); fix the feed"
        )
    hours, minutes, secs = (pd.to_numeric(parts[i]) for i in range(3))
    return (hours * 3600 + minutes * 60 + secs).to_numpy(dtype=float)


def services_on(feed: _Feed, date: dt.date) -> set[str]:
    """The service ids running on ``date``.

    Parameters
    ----------
    feed : _Feed
    date : datetime.date

    Returns
    -------
    set of str

    Raises
    ------
    InputDataError
        If the date lies outside every service's range (the feed's range is named),
        or the feed has neither calendar file.
    """
    calendar = feed.read("calendar.txt", required=False)
    dates = feed.read("calendar_dates.txt", required=False)
    if calendar is None and dates is None:
        raise InputDataError(
            f"{feed.path}: the GTFS feed has neither calendar.txt nor calendar_dates.txt; "
            "it cannot say which trips run on which day"
        )
    day = int(date.strftime("%Y%m%d"))
    running: set[str] = set()
    first, last = [], []
    if calendar is not None and len(calendar):
        start = pd.to_numeric(calendar["start_date"], errors="coerce")
        end = pd.to_numeric(calendar["end_date"], errors="coerce")
        first.append(start.min())
        last.append(end.max())
        weekday = calendar[WEEKDAYS[date.weekday()]].astype(str).str.strip() == "1"
        running |= set(calendar.loc[weekday & (start <= day) & (end >= day), "service_id"])
    if dates is not None and len(dates):
        when = pd.to_numeric(dates["date"], errors="coerce")
        first.append(when.min())
        last.append(when.max())
        today = dates[when == day]
        kind = today["exception_type"].astype(str).str.strip()
        running |= set(today.loc[kind == "1", "service_id"])
        running -= set(today.loc[kind == "2", "service_id"])
    low, high = int(min(first)), int(max(last))
    if not (low <= day <= high):
        raise InputDataError(
            f"{feed.path}: {date:%Y-%m-%d} is outside the feed's services, which run "
            f"from {_date_text(low)} to {_date_text(high)}; choose a date in that range "
            "([transit] date)"
        )
    return running


def _date_text(value: int) -> str:
    text = str(value)
    return f"{text[:4]}-{text[4:6]}-{text[6:]}"


def read_gtfs(paths: Sequence[Path], *, date: dt.date) -> Timetable:
    """The trips of one or several GTFS feeds that run on ``date``.

    Parameters
    ----------
    paths : sequence of pathlib.Path
        Feeds (``.zip`` or folders), e.g. a bus and a rail feed.
    date : datetime.date
        The day to route on (a weekday in term time is usual).

    Returns
    -------
    Timetable

    Raises
    ------
    InputDataError
        As the module docstring says.
    """
    several = len(paths) > 1
    parts = [
        _read_one(Path(p), date, f"f{i}:" if several else "", f"network.gtfs[{i}]")
        for i, p in enumerate(paths)
    ]
    stops = pd.concat([p[0] for p in parts], ignore_index=True)
    calls = pd.concat([p[1] for p in parts], ignore_index=True)
    records = [p[2] for p in parts]
    used = stops[stops["stop_id"].isin(set(calls["stop_id"]))].reset_index(drop=True)
    index = pd.Series(np.arange(len(used)), index=used["stop_id"])
    calls = calls.sort_values(["trip_id", "stop_sequence"], kind="stable")
    trip_ids, starts = np.unique(calls["trip_id"].to_numpy(), return_index=True)
    order = np.argsort(starts)
    trip_ids, starts = trip_ids[order], starts[order]
    ptr = np.append(starts, len(calls)).astype(np.int64)
    x, y = to_bng(used["stop_lon"].to_numpy(float), used["stop_lat"].to_numpy(float))
    routes = calls.drop_duplicates("trip_id").set_index("trip_id").loc[trip_ids, "route_id"]
    return Timetable(
        stop_ids=used["stop_id"].to_numpy(dtype=object),
        stop_names=used["stop_name"].to_numpy(dtype=object),
        stop_x=x,
        stop_y=y,
        trip_ids=trip_ids.astype(object),
        trip_routes=routes.to_numpy(dtype=object),
        trip_ptr=ptr,
        call_stop=index.loc[calls["stop_id"]].to_numpy(dtype=np.int64),
        call_arrival=calls["arrival"].to_numpy(dtype=float),
        call_departure=calls["departure"].to_numpy(dtype=float),
        date=date,
        records=records,
    )


def _read_one(
    path: Path, date: dt.date, prefix: str, key: str
) -> tuple[pd.DataFrame, pd.DataFrame, Provenance]:
    feed = _Feed(path)
    record = provenance(key, path)
    record.layout = "GTFS"
    for name in ("routes.txt", "agency.txt"):
        feed.read(name)  # required by GTFS; their content is not needed to route
    stops = feed.read("stops.txt")
    trips = feed.read("trips.txt")
    times = feed.read("stop_times.txt")
    assert stops is not None and trips is not None and times is not None
    record.rows_read = len(times)
    running = services_on(feed, date)
    today = trips[trips["service_id"].isin(running)]
    record.counts["dropped: trips not running on the date"] = len(trips) - len(today)
    times = times[times["trip_id"].isin(set(today["trip_id"]))].copy()
    known = set(stops["stop_id"])
    unknown = times.loc[~times["stop_id"].isin(known)]
    if len(unknown):
        first = unknown.iloc[0]
        raise InputDataError(
            f"{path}: stop_times.txt: trip {first['trip_id']} calls at stop "
            f"{first['stop_id']!r}, which stops.txt does not list ({len(unknown)} such rows); "
            "fix the feed or use its complete version"
        )
    times["arrival"] = seconds_of(times["arrival_time"], path, "stop_times.txt", "arrival_time")
    times["departure"] = seconds_of(
        times["departure_time"], path, "stop_times.txt", "departure_time"
    )
    times["stop_sequence"] = pd.to_numeric(times["stop_sequence"], errors="coerce")
    times = _fill_times(times, record)
    times = times.merge(today[["trip_id", "route_id"]], on="trip_id")
    located = pd.to_numeric(stops["stop_lat"], errors="coerce").notna() & pd.to_numeric(
        stops["stop_lon"], errors="coerce"
    ).notna()
    called = set(times["stop_id"])
    missing = stops.loc[~located & stops["stop_id"].isin(called), "stop_id"]
    if len(missing):
        record.drop("no coordinates", missing, what="stops (their calls are left out)")
        times = times[~times["stop_id"].isin(set(missing))]
    used = len(times)  # rows of the file used (frequencies then make more calls of them)
    times = _expand_frequencies(feed, times, record)
    if "stop_name" not in stops.columns:
        stops["stop_name"] = stops["stop_id"]
    stops = stops.loc[located, ["stop_id", "stop_name", "stop_lat", "stop_lon"]].copy()
    record.rows_used = used
    for frame, column in ((stops, "stop_id"), (times, "stop_id"), (times, "trip_id")):
        frame[column] = prefix + frame[column].astype(str)
    times["route_id"] = prefix + times["route_id"].astype(str)
    columns = ["trip_id", "route_id", "stop_id", "stop_sequence", "arrival", "departure"]
    return stops, times[columns], record


def _fill_times(times: pd.DataFrame, record: Provenance) -> pd.DataFrame:
    """Calls without a time (allowed between timepoints) get one by interpolating along
    the trip; a call with only one of its two times uses it for both."""
    times = times.sort_values(["trip_id", "stop_sequence"], kind="stable")
    times["arrival"] = times["arrival"].fillna(times["departure"])
    times["departure"] = times["departure"].fillna(times["arrival"])
    blank = times["arrival"].isna()
    if blank.any():
        record.counts["repaired: call times interpolated between timepoints"] = int(blank.sum())
        times["arrival"] = times.groupby("trip_id")["arrival"].transform(
            lambda s: s.interpolate(limit_area="inside")
        )
        times["departure"] = times["departure"].fillna(times["arrival"])
        still = times["arrival"].isna()
        if still.any():  # a first or last call without a time: GTFS requires one
            record.counts["dropped: calls without a time at a trip's end"] = int(still.sum())
            times = times[~still]
    return times


def _expand_frequencies(feed: _Feed, times: pd.DataFrame, record: Provenance) -> pd.DataFrame:
    """One trip per headway for trips listed in ``frequencies.txt``."""
    frequencies = feed.read("frequencies.txt", required=False)
    if frequencies is None or not len(frequencies):
        return times
    rows = []
    templates = times[times["trip_id"].isin(set(frequencies["trip_id"]))]
    starts = seconds_of(frequencies["start_time"], feed.path, "frequencies.txt", "start_time")
    ends = seconds_of(frequencies["end_time"], feed.path, "frequencies.txt", "end_time")
    headways = pd.to_numeric(frequencies["headway_secs"], errors="coerce").to_numpy()
    by_trip = dict(tuple(templates.groupby("trip_id")))
    rules = zip(frequencies["trip_id"], starts, ends, headways, strict=True)
    for trip, start, end, headway in rules:
        template = by_trip.get(trip)
        if template is None or not headway or headway <= 0:
            continue
        offset = template["departure"].iloc[0]
        for first in np.arange(start, end, headway):
            copy = template.copy()
            copy["arrival"] += first - offset
            copy["departure"] += first - offset
            copy["trip_id"] = f"{trip}#{int(first)}"
            rows.append(copy)
    record.counts["repaired: frequency-based trips expanded"] = len(rows)
    rest = times[~times["trip_id"].isin(set(frequencies["trip_id"]))]
    return pd.concat([rest, *rows], ignore_index=True)
