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
import shutil
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

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
    from estate_planner.transit import _csr, _pattern_arrays, build_patterns, walking_legs
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
    per_departure = np.stack([
        all_departures(o, sample, 4, table.n_stops, len(points), *_pattern_arrays(patterns),
                       *_csr(legs.transfers), *_csr(legs.access), *_csr(legs.egress),
                       *_csr(legs.direct))
        for o in range(len(points))
    ])  # fmt: skip  # origins x destinations x departures

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
    }
