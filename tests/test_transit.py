"""Public transport times: GTFS read as published, and the router against an
independent time-expanded graph searched with networkx, on the real Newport feed."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from estate_planner import InputDataError
from estate_planner._raptor import all_departures
from estate_planner.sources.gtfs import Timetable, read_gtfs
from estate_planner.transit import (
    Legs,
    build_patterns,
    percentile_rank,
    transit_time_matrix,
    walking_legs,
    window_times,
)

DAY = dt.date(2023, 6, 13)


# --------------------------------------------------------------------------------------
# GTFS reading


FEED = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nA,Bus,http://x,Europe/London\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_type\nR1,A,1,3\nR2,A,2,3\n",
    "stops.txt": (
        "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
        "S1,One,51.58,-3.00,,ST\nS2,Two,51.59,-3.00,,\nS3,Three,51.60,-3.00,,\n"
        "ST,Station,51.58,-3.00,1,\n"
    ),
    "trips.txt": "route_id,service_id,trip_id\nR1,WK,T1\nR1,SAT,T2\nR2,WK,F1\n",
    "stop_times.txt": (
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "T1,23:50:00,23:50:00,S1,1\nT1,,,S2,2\nT1,24:10:00,24:10:00,S3,3\n"
        "T2,08:00:00,08:00:00,S1,1\nT2,08:10:00,08:10:00,S2,2\n"
        "F1,07:00:00,07:00:00,S2,1\nF1,07:05:00,07:05:00,S3,2\n"
    ),
    "calendar.txt": (
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
        "WK,1,1,1,1,1,0,0,20230101,20231231\nSAT,0,0,0,0,0,1,0,20230101,20231231\n"
    ),
    "calendar_dates.txt": "service_id,date,exception_type\nSAT,20230613,1\n",
    "frequencies.txt": "trip_id,start_time,end_time,headway_secs\nF1,07:00:00,08:00:00,1200\n",
}


def write_feed(folder: Path, files: dict[str, str], *, as_zip: bool = True) -> Path:
    if as_zip:
        path = folder / "feed.zip"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, text in files.items():
                archive.writestr(name, text)
        path.write_bytes(buffer.getvalue())
        return path
    (folder / "feed").mkdir()
    for name, text in files.items():
        (folder / "feed" / name).write_text(text)
    return folder / "feed"


@pytest.mark.parametrize("as_zip", [True, False])
def test_a_feed_reads_calendars_frequencies_and_times_past_midnight(
    tmp_path: Path, as_zip: bool
) -> None:
    table = read_gtfs([write_feed(tmp_path, FEED, as_zip=as_zip)], date=DAY)  # a Tuesday
    trips = {str(t): i for i, t in enumerate(table.trip_ids)}
    # T1 (weekdays), T2 (a Saturday service added on this date), F1 every 20 min 07:00-08:00
    assert set(trips) == {"T1", "T2", "F1#25200", "F1#26400", "F1#27600"}
    t1 = trips["T1"]
    calls = slice(table.trip_ptr[t1], table.trip_ptr[t1 + 1])
    # 24:10:00 is 10 past midnight of the next day; the blank middle call is interpolated
    assert table.call_arrival[calls].tolist() == [85_800.0, 86_400.0, 87_000.0]
    f2 = trips["F1#26400"]
    assert table.call_departure[table.trip_ptr[f2]] == 26_400.0
    assert "ST" not in set(table.stop_ids)  # a station no trip calls at is left out
    record = table.records[0]
    assert record.counts["repaired: call times interpolated between timepoints"] == 1


def test_a_date_outside_the_feed_names_its_range(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="2023-01-01 to 2023-12-31"):
        read_gtfs([write_feed(tmp_path, FEED)], date=dt.date(2024, 6, 4))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stop_times.txt": FEED["stop_times.txt"].replace("08:10:00,08:10", "8h10,8h10")},
         "row 6: arrival_time '8h10' is not a time"),
        ({"stop_times.txt": FEED["stop_times.txt"].replace("F1,07:05:00,07:05:00,S3",
                                                           "F1,07:05:00,07:05:00,S9")},
         "calls at stop 'S9', which stops.txt does not list"),
        ({"stops.txt": None}, "has no stops.txt"),
        ({"calendar.txt": None, "calendar_dates.txt": None}, "neither calendar.txt"),
        ({"trips.txt": "route_id,trip_id\nR1,T1\n"}, "trips.txt has no service_id column"),
    ],
)  # fmt: skip
def test_broken_feeds_are_clear_errors(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    files = {k: v for k, v in {**FEED, **change}.items() if v is not None}
    with pytest.raises(InputDataError, match=message):
        read_gtfs([write_feed(tmp_path, files)], date=DAY)


def test_two_feeds_keep_their_ids_apart(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    table = read_gtfs([write_feed(tmp_path / "a", FEED), write_feed(tmp_path / "b", FEED)], date=DAY)
    assert {"f0:T1", "f1:T1"} <= set(table.trip_ids) and len(table.records) == 2
    assert {"f0:S1", "f1:S1"} <= set(table.stop_ids)


# --------------------------------------------------------------------------------------
# The router against a time-expanded reference on the Newport feed


@pytest.fixture(scope="module")
def newport(shared_data: Path) -> dict[str, Any]:
    from estate_planner.network import graph_from_ways
    from estate_planner.sources.osm import read_highways
    from estate_planner.travel import routing_graph

    folder = shared_data / "transit_newport"
    graph = routing_graph(
        graph_from_ways(read_highways(folder / "newport-2023-06-13.osm.pbf"), "walk"), "walk"
    )
    table = read_gtfs([folder / "newport-20230613_gtfs.zip"], date=DAY)
    xmin, ymin, xmax, ymax = graph.edges.total_bounds
    inside = np.flatnonzero(
        (table.stop_x > xmin) & (table.stop_x < xmax) & (table.stop_y > ymin) & (table.stop_y < ymax)
    )
    rng = np.random.default_rng(2)
    o, d = rng.choice(inside, 30, replace=False), rng.choice(inside, 20, replace=False)
    origins = gpd.GeoSeries(gpd.points_from_xy(table.stop_x[o] + 90, table.stop_y[o] - 60), crs=27700)
    destinations = gpd.GeoSeries(gpd.points_from_xy(table.stop_x[d] - 70, table.stop_y[d] + 50), crs=27700)
    stops = gpd.GeoSeries(gpd.points_from_xy(table.stop_x, table.stop_y), crs=27700)
    legs = walking_legs(graph, stops, origins, destinations)
    return {"graph": graph, "table": table, "legs": legs, "origins": origins,
            "destinations": destinations}  # fmt: skip


def ours(
    table: Timetable, legs: Legs, origin: int, departures: list[float], rounds: int,
    cutoff: float = np.inf,
) -> np.ndarray:  # fmt: skip
    from estate_planner.transit import _raptor_inputs

    net, ends = _raptor_inputs(build_patterns(table), legs)
    return all_departures(origin, np.sort(np.asarray(departures, float)), rounds, net, ends, cutoff)


class TimeExpanded:
    """Every departure and arrival of every trip as a node; riding, staying on board,
    waiting at a stop, boarding and walking between stops as edges; searched with
    networkx. With ``rides``, the graph is layered by vehicles boarded so far and
    boarding climbs a layer, so no journey takes more than ``rides`` vehicles."""

    def __init__(self, table: Timetable, legs: Legs, rides: int | None = None) -> None:
        self.graph = nx.DiGraph()
        self.rides = rides
        aboard = [0] if rides is None else range(1, rides + 1)
        events: dict[int, list[tuple[float, int]]] = {}
        ptr = table.trip_ptr
        for trip in range(table.n_trips):
            for i in range(ptr[trip], ptr[trip + 1]):
                a, d = table.call_arrival[i], table.call_departure[i]
                events.setdefault(int(table.call_stop[i]), []).append((d, i))
                for k in aboard:
                    self.graph.add_edge(("arr", i, k), ("dep", i, k), weight=d - a)  # stay on
                    if i + 1 < ptr[trip + 1]:
                        self.graph.add_edge(("dep", i, k), ("arr", i + 1, k),
                                            weight=table.call_arrival[i + 1] - d)  # fmt: skip
        self.times_at = {s: [t for t, _ in sorted(e)] for s, e in events.items()}
        for stop, calls in events.items():
            calls.sort()
            for k in self._waiting():
                for j, (time, call) in enumerate(calls):
                    up = k if rides is None else k + 1
                    self.graph.add_edge(("wait", stop, j, k), ("dep", call, up), weight=0.0)
                    if j + 1 < len(calls):  # wait at the stop for a later vehicle
                        self.graph.add_edge(("wait", stop, j, k), ("wait", stop, j + 1, k),
                                            weight=calls[j + 1][0] - time)  # fmt: skip
        transfers, egress = sp.csr_matrix(legs.transfers), sp.csr_matrix(legs.egress)
        for i in range(len(table.call_stop)):
            stop, arrive = int(table.call_stop[i]), table.call_arrival[i]
            for k in aboard:
                node = ("arr", i, k)
                if k in self._waiting():
                    self._wait(node, stop, arrive, arrive, k)  # change at the same stop
                    for j in range(transfers.indptr[stop], transfers.indptr[stop + 1]):
                        self._wait(node, int(transfers.indices[j]), arrive,
                                   arrive + transfers.data[j], k)  # fmt: skip
                for j in range(egress.indptr[stop], egress.indptr[stop + 1]):
                    self.graph.add_edge(node, ("to", int(egress.indices[j])), weight=egress.data[j])
        self.access = sp.csr_matrix(legs.access)
        self.direct = sp.csr_matrix(legs.direct)

    def _waiting(self) -> range:
        """The layers a rider waits at a stop in: after 0 .. rides - 1 vehicles."""
        return range(1) if self.rides is None else range(self.rides)

    def _wait(self, node: tuple, stop: int, now: float, ready: float, layer: int) -> None:
        """An edge from ``node`` (at time ``now``) to waiting at ``stop`` for its first
        departure at or after ``ready``."""
        times = self.times_at.get(stop, [])
        j = bisect.bisect_left(times, ready)
        if j < len(times):
            self.graph.add_edge(node, ("wait", stop, j, layer), weight=times[j] - now)

    def times(self, origin: int, departure: float) -> dict[int, float]:
        """Door-to-door seconds to each destination leaving ``origin`` at ``departure``."""
        source = ("from", origin, departure)
        self.graph.add_node(source)
        for k in range(self.access.indptr[origin], self.access.indptr[origin + 1]):
            self._wait(source, int(self.access.indices[k]), departure,
                       departure + self.access.data[k], 0)  # fmt: skip
        dist = nx.single_source_dijkstra_path_length(self.graph, source, weight="weight")
        if source in self.graph:
            self.graph.remove_node(source)
        out = {int(self.direct.indices[k]): float(self.direct.data[k])
               for k in range(self.direct.indptr[origin], self.direct.indptr[origin + 1])}  # fmt: skip
        for node, seconds in dist.items():
            if node[0] == "to":
                out[node[1]] = min(out.get(node[1], np.inf), seconds)
        return out


def test_times_equal_a_time_expanded_search_on_the_newport_feed(newport: dict[str, Any]) -> None:
    table, legs = newport["table"], newport["legs"]
    reference = TimeExpanded(table, legs)
    departures = [7 * 3600.0, 7 * 3600 + 13 * 60, 8 * 3600 + 60, 9.5 * 3600, 12 * 3600 + 7]
    compared = by_transit = 0
    n_dest = legs.egress.shape[1]
    for origin in range(legs.access.shape[0]):
        got = ours(table, legs, origin, departures, rounds=12)
        for m, departure in enumerate(sorted(departures)):
            want = reference.times(origin, departure)
            for d in range(n_dest):
                expected = want.get(d, np.inf)
                assert got[d, m] == pytest.approx(expected, abs=1e-6), (origin, departure, d)
                compared += 1
                walk = legs.direct[origin, d] or np.inf
                by_transit += bool(expected < walk - 1)
    assert compared == 30 * 20 * 5 and by_transit > 100  # many answers ride a bus


def test_a_window_with_few_changes_equals_a_layered_time_expanded_search(
    newport: dict[str, Any],
) -> None:
    # labels carried from a later departure may have used more vehicles: they must not
    # stop an earlier departure's journey with fewer from going on (origin 28 at two
    # rides lost 15 times in this window when they did)
    table, legs = newport["table"], newport["legs"]
    reference = TimeExpanded(table, legs, rides=2)
    departures = list(np.arange(7 * 3600 + 20 * 60, 7 * 3600 + 50 * 60, 60.0))
    by_transit = 0
    every: dict[int, list[np.ndarray]] = {}
    for origin in (28, 5):
        got = ours(table, legs, origin, departures, rounds=2)
        for m, departure in enumerate(departures):
            want = reference.times(origin, departure)
            expected = np.array([want.get(d, np.inf) for d in range(got.shape[0])])
            np.testing.assert_allclose(got[:, m], expected, atol=1e-6, err_msg=f"{origin} {departure}")
            by_transit += int((expected < legs.direct[origin].toarray().ravel() - 1).sum())
            every.setdefault(origin, []).append(expected)
    assert by_transit > 50
    # and the window's percentiles, by either method, are the reference's
    for percentile in (0, 50, 100):
        for method in ("origins", "stops"):
            result = window_times(build_patterns(table), legs, departures=np.array(departures),
                                  max_transfers=1, percentile=percentile, method=method)  # fmt: skip
            for origin, columns in every.items():
                times = np.sort(np.column_stack(columns), axis=1)
                want = times[:, percentile_rank(percentile, len(departures))]
                np.testing.assert_allclose(result[origin], want, atol=1e-6)


@pytest.mark.parametrize("cutoff", [None, 1800.0])
@pytest.mark.parametrize("max_transfers", [0, 1, 3])
def test_searching_from_stops_gives_the_times_of_searching_from_origins(
    newport: dict[str, Any], cutoff: float | None, max_transfers: int
) -> None:
    table, legs = newport["table"], newport["legs"]
    patterns = build_patterns(table)
    departures = np.arange(7 * 3600.0, 8 * 3600.0, 60.0)
    for percentile in (0, 50, 90):
        found = [window_times(patterns, legs, departures=departures, max_transfers=max_transfers,
                              percentile=percentile, cutoff=cutoff, method=method)
                 for method in ("origins", "stops")]  # fmt: skip
        assert np.array_equal(found[0], found[1])
        assert np.isfinite(found[0]).sum() > 100


@pytest.mark.parametrize("method", ["auto", "origins", "stops"])
def test_origins_near_no_stop_only_walk(newport: dict[str, Any], method: str) -> None:
    table, legs = newport["table"], newport["legs"]
    nowhere = dataclasses.replace(legs, access=sp.csr_matrix(legs.access.shape))
    times = window_times(build_patterns(table), nowhere, departures=np.array([25_200.0, 25_260.0]),
                         method=method)  # fmt: skip
    walk = legs.direct.toarray()
    np.testing.assert_array_equal(times, np.where(walk > 0, walk, np.inf))


def test_a_stop_with_more_profile_than_room_is_searched_again(
    newport: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import estate_planner.transit as transit

    table, legs = newport["table"], newport["legs"]
    departures = np.arange(7 * 3600.0, 8 * 3600.0, 60.0)
    roomy = window_times(build_patterns(table), legs, departures=departures, method="stops")
    monkeypatch.setattr(transit, "PAIRS_ROOM", 8)
    cramped = window_times(build_patterns(table), legs, departures=departures, method="stops")
    assert np.array_equal(roomy, cramped) and np.isfinite(roomy).sum() > 100


@settings(max_examples=25, deadline=None)
@given(origin=st.integers(0, 29), start=st.integers(6 * 60, 10 * 60), rounds=st.integers(1, 4))
def test_a_window_equals_each_departure_searched_alone(
    newport: dict[str, Any], origin: int, start: int, rounds: int
) -> None:
    table, legs = newport["table"], newport["legs"]
    departures = list(np.arange(start * 60.0, start * 60.0 + 60 * 60, 60.0))
    window = ours(table, legs, origin, departures, rounds=rounds)
    alone = np.column_stack([ours(table, legs, origin, [t], rounds=rounds)[:, 0] for t in departures])
    assert np.array_equal(window, alone)


@settings(max_examples=25, deadline=None)
@given(origin=st.integers(0, 29), start=st.integers(6 * 60, 11 * 60))
def test_leaving_later_never_arrives_earlier(newport: dict[str, Any], origin: int, start: int) -> None:
    table, legs = newport["table"], newport["legs"]
    departures = np.arange(start * 60.0, start * 60.0 + 45 * 60, 60.0)
    got = ours(table, legs, origin, list(departures), rounds=4)
    arrivals = got + departures[None, :]
    assert (np.diff(arrivals, axis=1) >= -1e-6).all()


@settings(max_examples=15, deadline=None)
@given(origin=st.integers(0, 29), dropped=st.integers(0, 175), minute=st.integers(6 * 60, 11 * 60))
def test_a_trip_more_never_lengthens_a_time(newport: dict[str, Any], origin: int, dropped: int,
                                            minute: int) -> None:  # fmt: skip
    table, legs = newport["table"], newport["legs"]
    fewer = without_trip(table, dropped)
    with_all = ours(table, legs, origin, [minute * 60.0], rounds=4)
    without = ours(fewer, legs, origin, [minute * 60.0], rounds=4)
    assert (with_all <= without + 1e-6).all()


@settings(max_examples=15, deadline=None)
@given(origin=st.integers(0, 29), minute=st.integers(6 * 60, 11 * 60), rounds=st.integers(1, 4))
def test_more_transfers_never_lengthen_a_time(newport: dict[str, Any], origin: int, minute: int,
                                              rounds: int) -> None:  # fmt: skip
    table, legs = newport["table"], newport["legs"]
    fewer = ours(table, legs, origin, [minute * 60.0], rounds=rounds)
    more = ours(table, legs, origin, [minute * 60.0], rounds=rounds + 1)
    assert (more <= fewer + 1e-6).all()


@pytest.mark.parametrize("percentile", [0, 25, 50, 95, 100])
def test_the_percentile_lies_within_the_windows_times(newport: dict[str, Any], percentile: float) -> None:
    table, legs = newport["table"], newport["legs"]
    departures = np.arange(7 * 3600.0, 8 * 3600.0, 60.0)
    result = window_times(build_patterns(table), legs, departures=departures,
                          max_transfers=3, percentile=percentile)  # fmt: skip
    for origin in range(0, 30, 7):
        every = ours(table, legs, origin, list(departures), rounds=4)
        low, high = every.min(axis=1), every.max(axis=1)
        assert ((result[origin] >= low - 1e-6) & (result[origin] <= high + 1e-6)).all()
        if percentile == 0:
            np.testing.assert_allclose(result[origin], low)
        if percentile == 100:
            np.testing.assert_allclose(result[origin], high)


@pytest.mark.parametrize("cutoff", [600.0, 1800.0, 3600.0])
def test_a_cutoff_prunes_the_search_but_keeps_every_time_within_it(
    newport: dict[str, Any], cutoff: float
) -> None:
    # the search stops making labels past the cutoff; every departure's time within
    # the cutoff must still be the unbounded search's
    table, legs = newport["table"], newport["legs"]
    departures = list(np.arange(7 * 3600.0, 8 * 3600.0, 60.0))
    kept = 0
    for origin in range(30):
        free = ours(table, legs, origin, departures, rounds=4)
        bounded = ours(table, legs, origin, departures, rounds=4, cutoff=cutoff)
        within = lambda t: np.where(t <= cutoff, t, np.inf)  # noqa: E731
        assert np.array_equal(within(bounded), within(free))
        kept += int(np.isfinite(within(free)).sum())
    assert kept > 500
    medians = window_times(build_patterns(table), legs, departures=np.array(departures),
                           max_transfers=3, cutoff=cutoff)  # fmt: skip
    free = window_times(build_patterns(table), legs, departures=np.array(departures),
                        max_transfers=3)  # fmt: skip
    assert np.array_equal(medians, np.where(free <= cutoff, free, np.inf))


def test_the_public_function_matches_the_kernel(newport: dict[str, Any]) -> None:
    matrix = transit_time_matrix(
        newport["table"], newport["graph"], newport["origins"], newport["destinations"],
        date=DAY, start="07:00", end="07:30", percentile=50, max_transfers=3, cutoff=5400,
    )  # fmt: skip
    direct = window_times(build_patterns(newport["table"]), newport["legs"],
                          departures=np.arange(25_200.0, 27_000.0, 60.0), max_transfers=3,
                          percentile=50, cutoff=5400)  # fmt: skip
    dense = np.full(direct.shape, np.inf)
    coo = matrix.tocoo()
    dense[coo.row, coo.col] = coo.data
    np.testing.assert_allclose(dense, direct)
    assert matrix.shape == (30, 20) and matrix.nnz > 100


def without_trip(table: Timetable, trip: int) -> Timetable:
    ptr = table.trip_ptr
    keep = np.ones(len(table.call_stop), bool)
    keep[ptr[trip] : ptr[trip + 1]] = False
    lengths = np.diff(ptr)
    lengths[trip] = 0
    return dataclasses.replace(
        table,
        trip_ids=np.delete(table.trip_ids, trip),
        trip_routes=np.delete(table.trip_routes, trip),
        trip_ptr=np.concatenate([[0], np.cumsum(np.delete(lengths, trip))]),
        call_stop=table.call_stop[keep],
        call_arrival=table.call_arrival[keep],
        call_departure=table.call_departure[keep],
    )


# --------------------------------------------------------------------------------------
# In a scenario


def test_transit_needs_a_timetable_and_a_day(demo_scenario) -> None:  # type: ignore[no-untyped-def]
    from estate_planner import ScenarioError

    data = demo_scenario.model_dump(mode="json")
    data["network"]["gtfs"] = []
    from estate_planner.scenario import scenario_from_dict

    with pytest.raises(ScenarioError, match="needs a timetable"):
        scenario_from_dict(data)
    data = demo_scenario.model_dump(mode="json")
    data["transit"]["date"] = None
    with pytest.raises(ScenarioError, match=r"\[transit\] date"):
        scenario_from_dict(data)


def test_the_demo_measures_access_by_bus(demo_result) -> None:  # type: ignore[no-untyped-def]
    demand = demo_result.demand
    transit, walk = demand["minutes_to_service_transit"], demand["minutes_to_service_walk"]
    both = transit.notna() & walk.notna()
    # walking all the way is one of the journeys public transport is compared with
    assert (transit[both] <= walk[both] + 1e-9).all()
    # and the buses bring far places nearer: villages reach the town's services
    assert (transit[both] < walk[both] - 5).sum() > 40
    assert (transit.notna() & walk.isna()).sum() > 50
    shapes = demo_result.catchments
    assert (shapes["mode"] == "transit").sum() == len(demo_result.selection.chosen)
    record = next(p for p in demo_result.inputs.provenance if p.key == "network.gtfs[0]")
    assert record.counts["repaired: frequency-based trips expanded"] == 144


def test_a_stop_beyond_the_street_extract_is_warned_about(demo_scenario: Any) -> None:
    """Issue 28 item 9: a transit point 1.5 km outside the OSM extract got 37.6 minutes
    with no warning."""
    from estate_planner.cache import Cache
    from estate_planner.stages import assess, routing
    from estate_planner.stages.inputs import read_inputs

    inputs = read_inputs(demo_scenario)
    demand = assess.demand_points(demo_scenario, inputs, cells=False)
    cache = Cache(None)
    nets, _ = routing.build_networks(demo_scenario, inputs, demand, cache)
    timetable = inputs.timetable
    assert timetable is not None
    graph = nets["transit"].graph
    ids, _ = routing.stops_beyond_streets(timetable, graph, 500)
    assert len(ids) == 0  # the demo's stops all lie on its streets
    # one stop moved 1.5 km east of the easternmost street
    east = graph.edges.total_bounds[2]
    x = timetable.stop_x.copy()
    x[0] = east + 1500
    moved = dataclasses.replace(timetable, stop_x=x)
    ids, metres = routing.stops_beyond_streets(moved, graph, 500)
    assert list(ids) == [timetable.stop_ids[0]] and metres[0] >= 1500
    with pytest.warns(UserWarning, match=r"transit: 1 of the timetable's .* stops lie more than 500 m"):
        routing.travel_times(
            demo_scenario, dataclasses.replace(inputs, timetable=moved), nets, cache
        )
