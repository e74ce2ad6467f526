"""Issue 14 at scale: 2,000 sites x 35,000 demand points x a 3-hour window, on a feed
of about 50,000 trips a day made from the Newport trips copied with shifted stops and
times.

The Newport OSM extract and its feed are laid side by side in a grid of tiles (every
node, way and stop shifted by whole extents, with new ids), and in each tile every
trip is copied at times shifted across the window, so each route runs about every ten
minutes in the morning peak. Both engines read the same tiled ``.osm.pbf`` and GTFS
folder; sites and demand points fall at random in the tiles. Ours runs the whole
question (walking legs included) in a process of its own, whose peak memory (VmHWM)
is reported; ferrobus (one square matrix per departure) is timed on a sample of points
and departures and extrapolated per point, as its cost is linear in the points.
"""

from __future__ import annotations

import itertools
import json
import logging
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "transit_newport"
PBF = DATA / "newport-2023-06-13.osm.pbf"
FEED = DATA / "newport-20230613_gtfs.zip"
WINDOW = ("07:00", "10:00")
CUTOFF_S = 7200.0  # r5's default longest trip (maxTripDurationMinutes = 120)
ID_STEP = 10**11  # above every OSM id in the extract: tile k's ids are id + k * ID_STEP


def tile_osm(
    source: Path, target: Path, columns: int, rows: int
) -> tuple[tuple[float, float], tuple[float, float, float, float]]:
    """Write ``source``'s streets (highway ways and their nodes) ``columns x rows``
    times side by side, neighbouring tiles joined by a footway, so the tiles make one
    network as a region's do (ferrobus keeps only the largest connected part). Returns
    the shift between tiles in degrees and the extract's bounds."""
    import osmium
    import osmium.osm.mutable as mutable

    ways = []
    for way in osmium.FileProcessor(str(source), osmium.osm.WAY).with_filter(
        osmium.filter.KeyFilter("highway")
    ):
        ways.append((way.id, [n.ref for n in way.nodes], dict(way.tags)))
    used = {ref for _, refs, _ in ways for ref in refs}
    nodes = [
        (node.id, node.location.lon, node.location.lat)
        for node in osmium.FileProcessor(str(source), osmium.osm.NODE)
        if node.id in used and node.location.valid()
    ]
    ids = np.array([n[0] for n in nodes], np.int64)
    lon, lat = np.array([n[1] for n in nodes]), np.array([n[2] for n in nodes])
    step = ((lon.max() - lon.min()) * 1.02, (lat.max() - lat.min()) * 1.02)
    main = _main_part(ids, ways)  # joins must start and end on the connected streets
    east, west = int(ids[main][lon[main].argmax()]), int(ids[main][lon[main].argmin()])
    north, south = int(ids[main][lat[main].argmax()]), int(ids[main][lat[main].argmin()])
    link = {"highway": "footway"}
    writer = osmium.SimpleWriter(str(target))
    try:
        for k, (c, r) in enumerate(_tiles(columns, rows)):
            for i in range(len(ids)):
                location = osmium.osm.Location(lon[i] + c * step[0], lat[i] + r * step[1])
                writer.add_node(mutable.Node(id=int(ids[i]) + k * ID_STEP, location=location))
        next_id = max(w[0] for w in ways) + len(_tiles(columns, rows)) * ID_STEP
        for k, (c, r) in enumerate(_tiles(columns, rows)):
            for way_id, refs, tags in ways:
                shifted = [ref + k * ID_STEP for ref in refs]
                writer.add_way(mutable.Way(id=way_id + k * ID_STEP, nodes=shifted, tags=tags))
            joins = []
            if c + 1 < columns:
                joins.append((east + k * ID_STEP, west + (k + 1) * ID_STEP))
            if r + 1 < rows:
                joins.append((north + k * ID_STEP, south + (k + columns) * ID_STEP))
            for a, b in joins:
                next_id += 1
                writer.add_way(mutable.Way(id=next_id, nodes=[a, b], tags=link))
    finally:
        writer.close()
    return step, (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))


def _main_part(ids: np.ndarray, ways: list[tuple[int, list[int], dict[str, str]]]) -> np.ndarray:
    """Which nodes lie in the largest connected part of the streets one can walk."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    from estate_planner.network import way_allowed

    order = np.argsort(ids)
    pairs = np.array([(a, b) for _, refs, tags in ways if way_allowed(tags, "walk")
                      for a, b in itertools.pairwise(refs)], np.int64)  # fmt: skip
    known = np.isin(pairs, ids).all(axis=1)
    rows = order[np.searchsorted(ids[order], pairs[known])]
    graph = sp.coo_matrix((np.ones(len(rows)), (rows[:, 0], rows[:, 1])), (len(ids),) * 2)
    _, labels = connected_components(graph, directed=False)
    return labels == np.bincount(labels).argmax()


def _tiles(columns: int, rows: int) -> list[tuple[int, int]]:
    return [(c, r) for r in range(rows) for c in range(columns)]


def tile_feed(
    folder: Path, columns: int, rows: int, step: tuple[float, float], copies: int,
    spread_s: float = 3 * 3600,
) -> None:  # fmt: skip
    """Write the Newport feed tiled like :func:`tile_osm`, each trip copied ``copies``
    times at shifts spread evenly across ``spread_s`` (shapes left out: optional)."""
    with zipfile.ZipFile(FEED) as archive:
        for name in ("agency.txt", "calendar.txt", "routes.txt", "feed_info.txt"):
            archive.extract(name, folder)
        stops, trips, times = (
            pd.read_csv(archive.open(f"{name}.txt"), dtype=str)
            for name in ("stops", "trips", "stop_times")
        )
    trips = trips.drop(columns=["shape_id"], errors="ignore")
    arrive, depart = _seconds(times["arrival_time"]), _seconds(times["departure_time"])
    tiles = _tiles(columns, rows)
    stop_tiles, trip_tiles, time_tiles = [], [], []
    for k, (c, r) in enumerate(tiles):
        s = stops.copy()
        s["stop_id"] = s["stop_id"] + f"~{k}"
        if "parent_station" in s:
            s["parent_station"] = s["parent_station"].where(
                s["parent_station"].isna(), s["parent_station"] + f"~{k}"
            )
        s["stop_lon"] = (s["stop_lon"].astype(float) + c * step[0]).round(7).astype(str)
        s["stop_lat"] = (s["stop_lat"].astype(float) + r * step[1]).round(7).astype(str)
        stop_tiles.append(s)
        for copy in range(copies):
            shift = round((copy / copies - 0.5) * spread_s)
            t = trips.copy()
            t["trip_id"] = t["trip_id"] + f"~{k}~{copy}"
            trip_tiles.append(t)
            st = times[["trip_id", "stop_id", "stop_sequence"]].copy()
            st["trip_id"] = st["trip_id"] + f"~{k}~{copy}"
            st["stop_id"] = st["stop_id"] + f"~{k}"
            st["arrival_time"] = _clock(arrive + shift)
            st["departure_time"] = _clock(depart + shift)
            time_tiles.append(st)
    pd.concat(stop_tiles).to_csv(folder / "stops.txt", index=False)
    pd.concat(trip_tiles).to_csv(folder / "trips.txt", index=False)
    pd.concat(time_tiles).to_csv(folder / "stop_times.txt", index=False)


def _seconds(text: pd.Series) -> np.ndarray:
    parts = text.str.split(":", expand=True).astype(int)
    return (parts[0] * 3600 + parts[1] * 60 + parts[2]).to_numpy()


def _clock(values: np.ndarray) -> pd.Series:
    v = pd.Series(np.maximum(values, 0).astype(int))
    two = lambda x: x.astype(str).str.zfill(2)  # noqa: E731
    return two(v // 3600) + ":" + two(v % 3600 // 60) + ":" + two(v % 60)


def random_points(
    bounds: tuple[float, float, float, float], tiles: list[tuple[int, int]],
    step: tuple[float, float], n: int, rng: np.random.Generator,
) -> np.ndarray:  # fmt: skip
    """``n`` (lon, lat) points, each in a random tile, away from the extract's edges."""
    west, south, east, north = bounds
    margin = 0.15
    k = rng.integers(len(tiles), size=n)
    c = np.array([tiles[i][0] for i in k])
    r = np.array([tiles[i][1] for i in k])
    lon = rng.uniform(west + margin * (east - west), east - margin * (east - west), n)
    lat = rng.uniform(south + margin * (north - south), north - margin * (north - south), n)
    return np.column_stack([lon + c * step[0], lat + r * step[1]])


def ours(folder: Path, pbf: Path, points: Path) -> dict[str, Any]:
    """The whole question with our engine, as a team would ask it (run in a process of
    its own for its peak memory)."""
    import geopandas as gpd

    from estate_planner.network import graph_from_ways
    from estate_planner.sources.gtfs import read_gtfs
    from estate_planner.sources.osm import read_highways
    from estate_planner.transit import (
        Legs,
        build_patterns,
        clock_seconds,
        walking_legs,
        window_times,
    )
    from estate_planner.travel import routing_graph

    lonlat = np.load(points)
    n_sites = int(lonlat["n_sites"])
    to_bng = lambda a: gpd.GeoSeries(  # noqa: E731
        gpd.points_from_xy(a[:, 0], a[:, 1]), crs=4326
    ).to_crs(27700)
    sites, homes = to_bng(lonlat["sites"][:n_sites]), to_bng(lonlat["homes"])
    start = time.perf_counter()
    graph = routing_graph(graph_from_ways(read_highways(pbf), "walk"), "walk")
    table = read_gtfs([folder], date=pd.Timestamp("2023-06-13").date())
    patterns = build_patterns(table)
    build_s = time.perf_counter() - start
    build_peak_gb = _vm_hwm_gb()
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM: the question's own peak
    stops = gpd.GeoSeries(gpd.points_from_xy(table.stop_x, table.stop_y), crs=27700)
    start = time.perf_counter()
    legs = walking_legs(graph, stops, homes, sites, max_walk_s=900)
    legs_s = time.perf_counter() - start
    departures = np.arange(clock_seconds(WINDOW[0]), clock_seconds(WINDOW[1]), 60.0)
    few = Legs(legs.access[:40], legs.egress, legs.transfers, legs.direct[:40])
    for method in ("origins", "stops"):  # compiled once per install (numba's cache): not timed
        window_times(patterns, few, departures=departures[:5], max_transfers=3, method=method)
    start = time.perf_counter()
    result = window_times(patterns, legs, departures=departures, max_transfers=3, cutoff=CUTOFF_S)
    window_s = time.perf_counter() - start
    peak_gb = _vm_hwm_gb()
    start = time.perf_counter()
    free = window_times(patterns, legs, departures=departures, max_transfers=3)
    window_free_s = time.perf_counter() - start
    start = time.perf_counter()
    by_origin = window_times(patterns, legs, departures=departures, max_transfers=3,
                             cutoff=CUTOFF_S, method="origins")  # fmt: skip
    window_origins_s = time.perf_counter() - start
    return {
        "trips": table.n_trips,
        "stops": table.n_stops,
        "patterns": patterns.n_patterns,
        "nodes": graph.n_nodes,
        "homes": len(homes),
        "sites": len(sites),
        "departures": len(departures),
        "build_s": build_s,
        "legs_s": legs_s,
        "window_s": window_s,
        "build_peak_gb": build_peak_gb,
        "peak_gb": peak_gb,
        "window_free_s": window_free_s,
        "window_origins_s": window_origins_s,
        "same_as_origins": bool(np.array_equal(result, by_origin)),
        "access_stops": int(np.unique(legs.access.indices).size),
        "reachable_share": float(np.isfinite(result).mean()),
        "reachable_share_free": float(np.isfinite(free).mean()),
    }


def _vm_hwm_gb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    return float("nan")


def run(columns: int = 4, rows: int = 4, copies: int = 18, n_sites: int = 2000,
        n_homes: int = 35_000, ferrobus_points: int = 400,
        ferrobus_departures: int = 6) -> dict[str, Any] | None:  # fmt: skip
    if not DATA.is_dir():
        return None
    with tempfile.TemporaryDirectory(prefix="ep-transit-scale-") as tmp:
        folder = Path(tmp) / "gtfs"
        folder.mkdir()
        pbf = Path(tmp) / "tiled.osm.pbf"
        start = time.perf_counter()
        step, bounds = tile_osm(PBF, pbf, columns, rows)
        tile_feed(folder, columns, rows, step, copies)
        inputs_s = time.perf_counter() - start
        tiles = _tiles(columns, rows)
        rng = np.random.default_rng(14)
        sites = random_points(bounds, tiles, step, n_sites, rng)
        homes = random_points(bounds, tiles, step, n_homes, rng)
        points = Path(tmp) / "points.npz"
        np.savez(points, sites=sites, homes=homes, n_sites=n_sites)
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.transit_scale", str(folder), str(pbf),
             str(points)],
            cwd=REPO, capture_output=True, text=True, check=True,
        )  # fmt: skip
        result = json.loads(done.stdout.strip().splitlines()[-1])
        logger.info("ours at scale: %s", result)
        result.update(inputs_s=inputs_s, tiles=len(tiles), copies=copies)
        result.update(_ferrobus(folder, pbf, sites, homes, ferrobus_points, ferrobus_departures))
    return result


def _ferrobus(
    folder: Path, pbf: Path, sites: np.ndarray, homes: np.ndarray, n_points: int,
    n_departures: int,
) -> dict[str, Any]:  # fmt: skip
    """ferrobus's time for the same question, from ``n_points`` of its points (sites
    and homes in proportion) and a sample of departures."""
    import ferrobus

    start = time.perf_counter()
    day = pd.Timestamp("2023-06-13").date()
    model = ferrobus.create_transit_model(str(pbf), [str(folder)], day, 600)
    build_s = time.perf_counter() - start
    share = len(sites) / (len(sites) + len(homes))
    n_sites = max(1, round(n_points * share))
    start = time.perf_counter()
    points, unsnapped = [], 0
    for group, wanted in ((sites, n_sites), (homes, n_points - n_sites)):
        taken = 0
        for lon, lat in group:
            if taken == wanted:
                break
            try:
                points.append(ferrobus.create_transit_point(lat, lon, model, 900, 10))
                taken += 1
            except ValueError:  # "no nearby points found for snapping": off its streets
                unsnapped += 1
    points_s = time.perf_counter() - start
    departures = np.arange(7 * 3600, 10 * 3600, 60)
    chosen = departures[:: len(departures) // n_departures][:n_departures]
    start = time.perf_counter()
    for t in chosen:
        ferrobus.travel_time_matrix(model, points, int(t), 3)
    per_departure = (time.perf_counter() - start) / n_departures
    everyone = len(sites) + len(homes)
    return {
        "ferrobus_build_s": build_s,
        "ferrobus_sample_points": len(points),
        "ferrobus_unsnapped": unsnapped,
        "ferrobus_per_departure_s": per_departure,
        # its matrix is square over all points: a search from each, linear in them
        "ferrobus_all_s_estimate": per_departure * len(departures) * everyone / len(points)
        + points_s * everyone / len(points),
    }


if __name__ == "__main__":
    print(json.dumps(ours(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))))
