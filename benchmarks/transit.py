"""Public transport times (issue 14): ours against ferrobus (RAPTOR in Rust) on the real
Newport feed and its OSM extract, in one run.

Both engines get the same 200 points (near stops inside the extract), the same day and
departures, the same limits (15 minutes' walk to or from a stop, 10 minutes' walk at a
change, 3 transfers). Each builds its own walk network from the same OSM extract. We
report the time each takes for a 3-hour window at one-minute steps (ferrobus computes
one departure per call, so the window is its loop), and the agreement of the two on
every pair and departure both reach: the distribution of ours minus ferrobus.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks import transit_scale

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "transit_newport"
DAY = dt.date(2023, 6, 13)
WINDOW = (7 * 3600, 10 * 3600)


def run(n_points: int = 200) -> dict[str, Any] | None:
    if not DATA.is_dir():
        return None
    import geopandas as gpd

    from estate_planner._raptor import all_departures
    from estate_planner.network import graph_from_ways
    from estate_planner.sources.gtfs import read_gtfs
    from estate_planner.sources.osm import read_highways
    from estate_planner.transit import _raptor_inputs, build_patterns, walking_legs
    from estate_planner.transit import window_times as ours_window
    from estate_planner.travel import routing_graph

    pbf = DATA / "newport-2023-06-13.osm.pbf"
    start = time.perf_counter()
    graph = routing_graph(graph_from_ways(read_highways(pbf), "walk"), "walk")
    table = read_gtfs([DATA / "newport-20230613_gtfs.zip"], date=DAY)
    patterns = build_patterns(table)
    ours_build = time.perf_counter() - start
    xmin, ymin, xmax, ymax = graph.edges.total_bounds
    x, y = table.stop_x, table.stop_y
    inside = np.flatnonzero(
        (x > xmin + 300) & (x < xmax - 300) & (y > ymin + 300) & (y < ymax - 300)
    )
    rng = np.random.default_rng(5)
    chosen = rng.choice(inside, min(n_points, len(inside)), replace=False)
    points = gpd.GeoSeries(
        gpd.points_from_xy(table.stop_x[chosen] + 60, table.stop_y[chosen] + 40), crs=27700
    )
    stops = gpd.GeoSeries(gpd.points_from_xy(table.stop_x, table.stop_y), crs=27700)
    departures = np.arange(*WINDOW, 60.0)
    start = time.perf_counter()
    # walking all the way only as far as ferrobus walks from a point (its 900 s limit)
    legs = walking_legs(graph, stops, points, points, max_walk_s=900)
    median = ours_window(patterns, legs, departures=departures, max_transfers=3, percentile=50)
    ours_window_s = time.perf_counter() - start
    # per departure, for the comparison
    sample = departures[::30]

    def per_point(legs: Any, rides: int) -> np.ndarray:  # origins x destinations x departures
        net, ends = _raptor_inputs(patterns, legs)
        return np.stack([all_departures(o, sample, rides, net, ends) for o in range(len(points))])

    per_departure = per_point(legs, 4)
    # ours with ferrobus's rules (read in its source), one at a time: what is left over
    # after each is what the rules so far do not explain
    ways = read_highways(pbf)
    fast = routing_graph(graph_from_ways(ways, "walk", walk_kmh=FERROBUS_WALK_KMH), "walk")
    fast_legs = walking_legs(fast, stops, points, points, max_walk_s=900,
                             walk_kmh=FERROBUS_WALK_KMH)  # fmt: skip
    aligned = {
        "ours (15 min walks to any stop, 4 rides, 4.8 km/h)": per_departure,
        "+ its walking speed (1.4 m/s)": per_point(fast_legs, 4),
        "+ its rides (max_transfers=3 is 3 rides)": per_point(fast_legs, 3),
        "+ its stops (from the nearest stop or a walk on; to the 10 nearest, or a walk "
        "before)": per_point(
            ferrobus_stops(fast_legs), 3
        ),
    }

    import ferrobus

    folder = Path(tempfile.mkdtemp(prefix="ep-ferrobus-"))
    try:
        with zipfile.ZipFile(DATA / "newport-20230613_gtfs.zip") as archive:
            archive.extractall(folder)
        start = time.perf_counter()
        model = ferrobus.create_transit_model(str(pbf), [str(folder)], DAY, 600)
        lonlat = points.to_crs(4326)
        theirs_points = [
            ferrobus.create_transit_point(lat, lon, model, 900, 10)
            for lon, lat in zip(lonlat.x, lonlat.y, strict=True)
        ]
        theirs_build = time.perf_counter() - start
        start = time.perf_counter()
        theirs_all = [
            ferrobus.travel_time_matrix(model, theirs_points, int(t), 3) for t in departures
        ]
        theirs_window_s = time.perf_counter() - start
        # the stops ferrobus snapped each point to (its indices follow its stops.txt)
        ids = pd.read_csv(folder / "stops.txt", dtype=str)["stop_id"].to_numpy()
        ours_index = {stop: i for i, stop in enumerate(table.stop_ids)}
        snapped = [[ours_index.get(ids[k], -1) for k in p.nearest_stops()]
                   for p in theirs_points]  # fmt: skip
        aligned["+ its snapping (the stops ferrobus found nearest each point, our walks "
                "to them)"] = per_point(ferrobus_snapped(fast_legs, snapped), 3)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    theirs = np.array(
        [[[np.inf if v is None else v for v in row] for row in m] for m in theirs_all], float
    )  # departures x origins x destinations
    theirs_sample = np.transpose(theirs[::30], (1, 2, 0))
    off_diagonal = ~np.eye(len(points), dtype=bool)[:, :, None]
    both = np.isfinite(per_departure) & np.isfinite(theirs_sample) & off_diagonal
    diff = (per_departure - theirs_sample)[both]
    ours_ok, theirs_ok = np.isfinite(per_departure), np.isfinite(theirs_sample)
    only_ours = int((ours_ok & ~theirs_ok & off_diagonal).sum())
    only_theirs = int((~ours_ok & theirs_ok & off_diagonal).sum())
    theirs_median = np.sort(theirs, axis=0)[len(departures) // 2 - 1]
    steps = {name: _agreement(times, theirs_sample, off_diagonal)
             for name, times in aligned.items()}  # fmt: skip
    # the upper tail left with its stops: how much of it ferrobus walks all the way
    last = list(aligned.values())[-1]
    paired = np.isfinite(last) & np.isfinite(theirs_sample) & off_diagonal
    gap = np.where(paired, last - theirs_sample, -np.inf)
    tail = paired & (gap >= np.quantile(gap[paired], 0.95))
    chains = _walk_chains(model, theirs_points, sample, theirs_sample, tail & (theirs_sample > 900))
    return {
        "points": len(points),
        "departures": len(departures),
        "ours_build_s": ours_build,
        "ours_window_s": ours_window_s,
        "theirs_build_s": theirs_build,
        "theirs_window_s": theirs_window_s,
        "pairs_compared": int(both.sum()),
        "diff_quantiles_s": {
            str(q): float(np.quantile(diff, q)) for q in (0.05, 0.25, 0.5, 0.75, 0.95)
        },
        "within_60s": float(np.mean(np.abs(diff) <= 60)),
        "within_300s": float(np.mean(np.abs(diff) <= 300)),
        "only_ours": only_ours,
        "only_theirs": only_theirs,
        "median_reachable_ours": int(np.isfinite(median).sum()),
        "median_reachable_theirs": int(np.isfinite(theirs_median).sum()),
        "aligned": steps,
        "upper_tail_pairs": int(tail.sum()),
        "upper_tail_they_walk": float(np.mean(theirs_sample[tail] <= 900)),
        "upper_tail_bus_journeys": chains,
        "scaled": scaled(sample=60),
        "scale": transit_scale.run(),
    }


#: ferrobus 0.2.1's walking speed (``WALKING_SPEED = 1.4`` m/s in ferrobus-core).
FERROBUS_WALK_KMH = 1.4 * 3.6


def ferrobus_stops(legs: Any) -> Any:
    """The walks ferrobus 0.2.1 allows (``MAX_CANDIDATE_STOPS = 1``): a journey boards
    at the origin's nearest stop or at a stop one transfer walk from it, and leaves
    the last vehicle at one of the destination's 10 nearest stops."""
    import dataclasses

    import scipy.sparse as sp

    access, transfers = sp.csr_matrix(legs.access), sp.csr_matrix(legs.transfers)
    rows, cols, vals = [], [], []
    for o in range(access.shape[0]):
        row = access[o]
        if not row.nnz:
            continue
        nearest, walk = row.indices[row.data.argmin()], row.data.min()
        onward = transfers[nearest]
        stops = np.concatenate([[nearest], onward.indices])
        times = np.concatenate([[walk], walk + onward.data])
        rows += [o] * len(stops)
        cols += list(stops)
        vals += list(times)
    egress = sp.csc_matrix(legs.egress)
    e_rows, e_cols, e_vals = [], [], []
    for d in range(egress.shape[1]):
        col = egress[:, d]
        keep = np.argsort(col.data, kind="stable")[:10]
        e_rows += list(col.indices[keep])
        e_cols += [d] * len(keep)
        e_vals += list(col.data[keep])
    nearest10 = sp.csr_matrix((e_vals, (e_rows, e_cols)), shape=egress.shape)
    # its egress reads RAPTOR's arrival at a stop, which may be a transfer walk after
    # the ride: ride, walk to another stop, walk on to the destination
    return dataclasses.replace(
        legs,
        access=sp.csr_matrix((vals, (rows, cols)), shape=access.shape),
        egress=_min_plus(transfers, nearest10, nearest10),
    )


def _walk_chains(model: Any, points: list[Any], departures: np.ndarray, theirs: np.ndarray,
                 tail: np.ndarray, n: int = 200) -> dict[str, int]:  # fmt: skip
    """ferrobus's own journeys (``detailed_journey``) for ``n`` of the ``tail`` triples
    (origin, destination, departure): how many walk twice in a row between rides."""
    import json

    import ferrobus

    picked = np.argwhere(tail)
    rng = np.random.default_rng(1)
    picked = picked[rng.choice(len(picked), min(n, len(picked)), replace=False)]
    counts = {"sampled": len(picked), "same_time": 0, "walks_chained": 0}
    for o, d, m in picked:
        raw = ferrobus.detailed_journey(model, points[o], points[d], int(departures[m]), 3)
        if raw is None:
            continue
        legs = [f["properties"] for f in json.loads(raw)["features"]]
        if abs(legs[-1]["arrival_time"] - departures[m] - theirs[o, d, m]) > 1:
            continue  # one egress stop there, ten in its matrix: another journey
        counts["same_time"] += 1
        kinds = [leg["leg_type"] for leg in legs if leg["leg_type"] != "waiting"]
        after_ride = kinds[kinds.index("transit") + 1 :] if "transit" in kinds else []
        counts["walks_chained"] += any(
            a == b == "transfer" for a, b in itertools.pairwise(after_ride)
        )
    return counts


def ferrobus_snapped(legs: Any, nearest: list[list[int]]) -> Any:
    """As :func:`ferrobus_stops`, with the stops ferrobus itself found nearest each
    point (``nearest[point]``, nearest first; -1 for a stop we do not keep), walked to
    on our network: what is left after this is not the choice of stops."""
    import dataclasses

    import scipy.sparse as sp

    access, transfers = sp.csr_matrix(legs.access), sp.csr_matrix(legs.transfers)
    egress = sp.csc_matrix(legs.egress)
    rows, cols, vals = [], [], []
    e_rows, e_cols, e_vals = [], [], []
    for point, stops in enumerate(nearest):
        if stops and stops[0] >= 0 and access[point, stops[0]] > 0:
            first, walk = stops[0], access[point, stops[0]]
            onward = transfers[first]
            rows += [point] * (1 + onward.nnz)
            cols += [first, *onward.indices]
            vals += [walk, *(walk + onward.data)]
        for stop in stops[:10]:
            if stop >= 0 and egress[stop, point] > 0:
                e_rows.append(stop)
                e_cols.append(point)
                e_vals.append(egress[stop, point])
    nearest10 = sp.csr_matrix((e_vals, (e_rows, e_cols)), shape=egress.shape)
    return dataclasses.replace(
        legs,
        access=sp.csr_matrix((vals, (rows, cols)), shape=access.shape),
        egress=_min_plus(transfers, nearest10, nearest10),
    )


def _min_plus(first: Any, then: Any, alone: Any) -> Any:
    """Stop -> destination walks: ``alone``, or a walk in ``first`` and then one in
    ``then``, whichever is shorter."""
    import scipy.sparse as sp

    best: dict[tuple[int, int], float] = {}
    coo = sp.coo_matrix(alone)
    for s, d, t in zip(coo.row, coo.col, coo.data, strict=True):
        best[s, d] = t
    then = sp.csr_matrix(then)
    first = sp.coo_matrix(first)
    for s, via, w in zip(first.row, first.col, first.data, strict=True):
        row = then[via]
        for d, t in zip(row.indices, row.data, strict=True):
            if w + t < best.get((s, d), np.inf):
                best[s, d] = w + t
    keys = np.array(list(best), np.int64).reshape(-1, 2)
    return sp.csr_matrix((list(best.values()), (keys[:, 0], keys[:, 1])), shape=alone.shape)


def _agreement(ours: np.ndarray, theirs: np.ndarray, off_diagonal: np.ndarray) -> dict[str, Any]:
    both = np.isfinite(ours) & np.isfinite(theirs) & off_diagonal
    diff = (ours - theirs)[both]
    return {
        "pairs": int(both.sum()),
        "quantiles_s": {str(q): float(np.quantile(diff, q)) for q in (0.05, 0.25, 0.5, 0.75, 0.95)},
        "within_60s": float(np.mean(np.abs(diff) <= 60)),
        "within_300s": float(np.mean(np.abs(diff) <= 300)),
        "only_ours": int((np.isfinite(ours) & ~np.isfinite(theirs) & off_diagonal).sum()),
        "only_theirs": int((~np.isfinite(ours) & np.isfinite(theirs) & off_diagonal).sum()),
    }


def scaled(copies: int = 284, n_sites: int = 2000, n_demand: int = 35_000,
           sample: int = 100, ferrobus_departures: int = 6) -> dict[str, Any]:  # fmt: skip
    """Ours and ferrobus on a ~50,000-trip timetable: 2,000 sites from a sample of the
    35,000 demand points over a 3-hour window, extrapolated to all demand points from
    the sample's time per origin (both engines the same way)."""
    import geopandas as gpd

    from estate_planner.network import graph_from_ways
    from estate_planner.sources.gtfs import read_gtfs
    from estate_planner.sources.osm import read_highways
    from estate_planner.transit import build_patterns, walking_legs
    from estate_planner.transit import window_times as ours_window
    from estate_planner.travel import routing_graph

    pbf = DATA / "newport-2023-06-13.osm.pbf"
    folder = Path(tempfile.mkdtemp(prefix="ep-scaled-"))
    try:
        # every copy on the same stops: the tiling of transit_scale with one tile
        transit_scale.tile_feed(folder, 1, 1, (0.0, 0.0), copies)
        graph = routing_graph(graph_from_ways(read_highways(pbf), "walk"), "walk")
        table = read_gtfs([folder], date=DAY)
        patterns = build_patterns(table)
        xmin, ymin, xmax, ymax = graph.edges.total_bounds
        rng = np.random.default_rng(11)
        def random_points(n: int) -> gpd.GeoSeries:
            return gpd.GeoSeries(gpd.points_from_xy(
                rng.uniform(xmin + 500, xmax - 500, n), rng.uniform(ymin + 500, ymax - 500, n)
            ), crs=27700)  # fmt: skip
        sites, origins = random_points(n_sites), random_points(sample)
        stops = gpd.GeoSeries(gpd.points_from_xy(table.stop_x, table.stop_y), crs=27700)
        departures = np.arange(*WINDOW, 60.0)
        start = time.perf_counter()
        walking_legs(graph, stops, origins[:1], sites, max_walk_s=900)
        legs_fixed_s = time.perf_counter() - start  # stops to sites and between stops
        start = time.perf_counter()
        legs = walking_legs(graph, stops, origins, sites, max_walk_s=900)
        legs_s = time.perf_counter() - start
        legs_per_origin = max(legs_s - legs_fixed_s, 0.0) / (sample - 1)
        start = time.perf_counter()
        result = ours_window(patterns, legs, departures=departures, max_transfers=3,
                             method="origins")  # per origin, as extrapolated  # fmt: skip
        ours_s = time.perf_counter() - start

        import ferrobus

        model = ferrobus.create_transit_model(str(pbf), [str(folder)], DAY, 600)
        lonlat = gpd.GeoSeries(list(origins) + list(sites), crs=27700).to_crs(4326)
        points = [ferrobus.create_transit_point(lat, lon, model, 900, 10)
                  for lon, lat in zip(lonlat.x, lonlat.y, strict=True)]  # fmt: skip
        start = time.perf_counter()
        for t in departures[:: len(departures) // ferrobus_departures][:ferrobus_departures]:
            ferrobus.travel_time_matrix(model, points, int(t), 3)
        theirs_per_departure = (time.perf_counter() - start) / ferrobus_departures
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    per_origin = ours_s / sample
    return {
        "trips": table.n_trips,
        "stops": table.n_stops,
        "patterns": patterns.n_patterns,
        "sample_origins": sample,
        "ours_sample_s": ours_s,
        "ours_legs_s": legs_s,
        "ours_all_s_estimate": per_origin * n_demand + legs_fixed_s + legs_per_origin * n_demand,
        "theirs_per_departure_s": theirs_per_departure,
        # ferrobus's matrix is square over all points: one search per point, linear in them
        "theirs_all_s_estimate": theirs_per_departure * len(departures)
        * (n_demand + n_sites) / (sample + n_sites),
        "reachable_share": float(np.isfinite(result).mean()),
    }
