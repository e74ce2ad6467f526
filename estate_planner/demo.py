"""The embedded demo: Eastmere, a synthetic English market town with six villages.

Everything is generated from a fixed seed and written in the formats users bring:
OSM XML for streets, GeoJSON for small areas and boundaries, a GeoTIFF population
raster, CSVs laid out like the Census 2021 age table, IMD 2019 File 1, NHS epraccur
(with coordinates) and the NHS.UK pharmacy list, and a property list. The files
are read back through the same loaders as real data. Nothing here is real: codes
are in ranges ONS does not use (E0199xxxx), and the town sits in open countryside.

Over 400 lines of code because it is one job: the town's geography (centre, estates, villages, roads) is
shared by every file written, so it is generated in one place, top to bottom.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely import MultiPoint, Point, Polygon, voronoi_polygons
from shapely.geometry import box, mapping

logger = logging.getLogger(__name__)

SEED = 20261122
#: Centre of the town in British National Grid (open country in the East Midlands).
CENTRE = (489_000.0, 296_000.0)
TOWN = "Eastmere"
VILLAGES = (
    # name, bearing (degrees from north), distance (m), road class, population weight
    ("Little Eastmere", 40, 5200, "primary", 1.3),
    ("Hollowby", 110, 6400, "secondary", 1.0),
    ("Marston Priors", 175, 5800, "primary", 1.2),
    ("Wexcombe", 235, 7000, "secondary", 0.8),
    ("Thornbury Cross", 290, 4800, "primary", 1.1),
    ("Ashby Parva", 345, 6900, "unclassified", 0.7),
)
_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)

SCENARIO_TOML = """\
name = "Eastmere community health hubs (demo)"

[area]
boundary = "study_area.geojson"

[network]
osm = "streets.osm"
modes = ["walk", "drive", "transit"]
gtfs = ["bus_gtfs.zip"]

[demand]
areas = "lsoa21.geojson"
id_column = "LSOA21CD"
population = "census2021_age.csv"
deprivation = "imd2019.csv"
raster = "population_100m.tif"

[need]
weights = { population = 1.0, age_65_plus = 0.5, imd_decile_1_2 = 0.5 }

[[services]]
path = "gp_practices.csv"
kind = "gp"

[[services]]
path = "pharmacies.csv"
kind = "pharmacy"

[candidates]
path = "candidates.csv"
town_centres = "town_centre.geojson"

[access]
walk_minutes = 15
drive_minutes = 10
transit_minutes = 20

[transit]
date = "2025-06-10"

[scoring]
weights = { need_reached = 0.3, unmet_need_reached = 0.3, deprivation = 0.2, cost = 0.1, town_centre = 0.1 }
min_floor_area_m2 = 150

[selection]
hubs = 3
objective = "coverage"
mode = "walk"

[appraisal]
registrations_lsoa = "gp-reg-pat-prac-lsoa-all.csv"  # synthetic, laid out like NHS Digital's

[report]
synthetic = true
"""


@dataclass
class _Streets:
    nodes: dict[tuple[int, int], int]  # rounded (x, y) -> node id
    ways: list[tuple[list[int], dict[str, str]]]

    def node(self, x: float, y: float) -> int:
        key = (round(x), round(y))
        if key not in self.nodes:
            self.nodes[key] = len(self.nodes) + 1
        return self.nodes[key]

    def way(self, coords: list[tuple[float, float]], **tags: str) -> None:
        refs = [self.node(x, y) for x, y in coords]
        refs = [r for i, r in enumerate(refs) if i == 0 or r != refs[i - 1]]
        if len(refs) >= 2:
            self.ways.append((refs, tags))


def _village_centre(bearing: float, distance: float) -> tuple[float, float]:
    angle = math.radians(bearing)
    return CENTRE[0] + distance * math.sin(angle), CENTRE[1] + distance * math.cos(angle)


def _town_lines() -> list[float]:
    centre = [i * 90.0 for i in range(-5, 6)]
    outer = [float(s * (450 + 170 * i)) for i in range(1, 10) for s in (-1, 1)]
    return sorted(centre + outer)


def _streets() -> _Streets:
    streets = _Streets({}, [])
    cx, cy = CENTRE
    lines = _town_lines()
    radius = 2000.0

    def inside(x: float, y: float) -> bool:
        return math.hypot(x, y) <= radius

    for axis in ("x", "y"):
        for offset in lines:
            run: list[tuple[float, float]] = []
            for along in [*lines, None]:
                point = None
                if along is not None:
                    point = (offset, along) if axis == "x" else (along, offset)
                if point is not None and inside(*point):
                    run.append(point)
                    continue
                if len(run) >= 2:
                    _town_street(streets, [(cx + x, cy + y) for x, y in run], axis, offset)
                run = []
    # footpaths across the park west of the centre: walking only
    streets.way(
        [(cx - 810, cy - 450), (cx - 640, cy - 280), (cx - 450, cy - 90)],
        highway="footway",
        name="Park Walk",
    )
    streets.way(
        [(cx - 1320, cy + 450), (cx - 980, cy + 110), (cx - 810, cy - 110)],
        highway="footway",
        name="Mill Lane Path",
    )
    for name, bearing, distance, road, _ in VILLAGES:
        _village(streets, name, bearing, distance, road)
    _lanes_between_villages(streets)
    return streets


def _town_street(
    streets: _Streets, coords: list[tuple[float, float]], axis: str, offset: float
) -> None:
    central = abs(offset) <= 450
    tags = {"highway": "residential", "maxspeed": "20 mph"}
    if offset == 0 and axis == "x":
        # The high street: pedestrian in the middle, cars around it.
        cy = CENTRE[1]
        mid = [c for c in coords if abs(c[1] - cy) <= 180]
        south = [c for c in coords if c[1] - cy <= -180]
        north = [c for c in coords if c[1] - cy >= 180]
        streets.way(mid, highway="pedestrian", name="High Street")
        streets.way(south, highway="tertiary", name="South Street", maxspeed="30 mph")
        streets.way(north, highway="tertiary", name="North Street", maxspeed="30 mph")
        return
    if offset == 0:
        tags = {"highway": "secondary", "name": "Market Way", "maxspeed": "30 mph", "ref": "B6401"}
    elif central and offset in (-90.0, 90.0):
        # a one-way pair either side of the market place
        tags = {
            "highway": "unclassified",
            "oneway": "yes",
            "maxspeed": "20 mph",
            "name": "Sheep Street" if offset > 0 else "Church Street",
        }
        if offset < 0:
            coords = coords[::-1]
    elif central:
        tags = {"highway": "unclassified", "maxspeed": "20 mph"}
    streets.way(coords, **tags)


def _wiggle(
    a: tuple[float, float], b: tuple[float, float], step: float, amp: float, phase: float
) -> list[tuple[float, float]]:
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    n = max(2, int(length // step))
    nx_, ny_ = -(b[1] - a[1]) / length, (b[0] - a[0]) / length
    out = []
    for i in range(n + 1):
        t = i / n
        bend = amp * math.sin(math.pi * t) * math.sin(phase + 3 * math.pi * t)
        out.append((a[0] + t * (b[0] - a[0]) + bend * nx_, a[1] + t * (b[1] - a[1]) + bend * ny_))
    return out


def _edge_node(bearing: float) -> tuple[float, float]:
    """The town street node nearest the town edge in the direction ``bearing``."""
    cx, cy = CENTRE
    angle = math.radians(bearing)
    target = (cx + 1950 * math.sin(angle), cy + 1950 * math.cos(angle))
    lines = _town_lines()
    return min(
        ((cx + x, cy + y) for x in lines for y in lines if math.hypot(x, y) <= 2000),
        key=lambda p: math.hypot(p[0] - target[0], p[1] - target[1]),
    )


def _village(streets: _Streets, name: str, bearing: float, distance: float, road: str) -> None:
    vx, vy = _village_centre(bearing, distance)
    spacing = 130.0
    size = 4 if road == "primary" else 3
    offsets = [spacing * (i - (size - 1) / 2) for i in range(size)]
    for o in offsets:
        streets.way([(vx + o, vy + p) for p in offsets], highway="residential", maxspeed="30 mph")
        streets.way([(vx + p, vy + o) for p in offsets], highway="residential", maxspeed="30 mph")
    start = _edge_node(bearing)
    end = min(
        ((vx + a, vy + b) for a in offsets for b in offsets),
        key=lambda p: math.hypot(p[0] - start[0], p[1] - start[1]),
    )
    refs = {"primary": "A6003", "secondary": "B640"}
    tags = {"highway": road, "name": f"{name} Road"}
    if road in refs:
        tags["ref"] = refs[road] + ("" if road == "primary" else str(int(bearing) % 9))
    if road == "primary":
        tags["maxspeed"] = "60 mph"
    elif road == "secondary":
        tags["maxspeed"] = "50 mph"
    streets.way(_wiggle(start, end, 150, 120, bearing / 30), **tags)


def _lanes_between_villages(streets: _Streets) -> None:
    for i, (name, bearing, distance, _, _) in enumerate(VILLAGES):
        nxt = VILLAGES[(i + 1) % len(VILLAGES)]
        a = _village_centre(bearing, distance)
        b = _village_centre(nxt[1], nxt[2])
        tags = {"highway": "unclassified", "name": f"{name} Lane"}
        if i % 2 == 0:
            tags["maxspeed"] = "national"
        if i == 3:
            tags["highway"] = "track"  # a farm track: walkable, not drivable
        streets.way(_wiggle(a, b, 150, 200, i), **tags)


def _write_osm(streets: _Streets, path: Path) -> None:
    ids = sorted(streets.nodes.items(), key=lambda kv: kv[1])
    xs = np.array([k[0] for k, _ in ids], dtype=float)
    ys = np.array([k[1] for k, _ in ids], dtype=float)
    lon, lat = _TO_WGS84.transform(xs, ys)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<osm version="0.6" generator="estate-planner demo">',
    ]
    for (_, node_id), lo, la in zip(ids, lon, lat, strict=True):
        lines.append(f'  <node id="{node_id}" version="1" lat="{la:.7f}" lon="{lo:.7f}"/>')
    for way_id, (refs, tags) in enumerate(streets.ways, start=1):
        lines.append(f'  <way id="{way_id}" version="1">')
        lines.extend(f'    <nd ref="{r}"/>' for r in refs)
        lines.extend(
            f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in sorted(tags.items())
        )
        lines.append("  </way>")
    # the town and villages by name, as OSM maps them (place=*): the map's background
    places = [(TOWN, "town", CENTRE)] + [
        (name, "village", _village_centre(bearing, distance))
        for name, bearing, distance, _, _ in VILLAGES
    ]
    first = max(node_id for (_, node_id) in ids) + 1
    for i, (name, kind, (x, y)) in enumerate(places):
        lo, la = _TO_WGS84.transform(x, y)
        lines.append(f'  <node id="{first + i}" version="1" lat="{la:.7f}" lon="{lo:.7f}">')
        lines.append(f"    <tag k=\"name\" v={quoteattr(name)}/>")
        lines.append(f'    <tag k="place" v="{kind}"/>')
        lines.append("  </node>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------
# People


def _density(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Relative residential density: the town, its estates and the villages."""
    dx, dy = x - CENTRE[0], y - CENTRE[1]
    r = np.hypot(dx, dy)
    town = np.where(r <= 2050, 1.0 + 0.6 * np.exp(-((r / 900) ** 2)), 0.0)
    estate = 0.9 * np.exp(-(((dx - 1100) ** 2 + (dy - 1000) ** 2) / 500**2))  # dense NE estate
    park = np.exp(-(((dx + 800) ** 2 + (dy + 250) ** 2) / 300**2))
    town = town * (1 - 0.9 * park) + estate * (r <= 2050)
    villages = sum(
        w * 0.9 * np.exp(-((np.hypot(x - vx, y - vy) / 260) ** 2))
        for (_, b, d, _, w) in VILLAGES
        for vx, vy in [_village_centre(b, d)]
    )
    return town + villages + 0.004


def _boundary() -> Polygon:
    angles = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    radius = 8800 + 700 * np.sin(3 * angles) + 400 * np.cos(5 * angles)
    return Polygon(
        zip(CENTRE[0] + radius * np.sin(angles), CENTRE[1] + radius * np.cos(angles), strict=True)
    )


def _areas(rng: np.random.Generator) -> gpd.GeoDataFrame:
    seeds = []
    for ring, count, r in ((0, 1, 0), (1, 6, 650), (2, 10, 1250), (3, 13, 1800)):
        for i in range(count):
            angle = 2 * math.pi * (i + 0.5 * (ring % 2)) / count
            jitter = rng.normal(0, 60, 2)
            seeds.append(
                (
                    CENTRE[0] + r * math.sin(angle) + jitter[0],
                    CENTRE[1] + r * math.cos(angle) + jitter[1],
                )
            )
    for _, bearing, distance, _, _ in VILLAGES:
        seeds.append(_village_centre(bearing, distance * 1.05))
    boundary = _boundary()
    cells = voronoi_polygons(MultiPoint(seeds), extend_to=boundary.buffer(5000))
    polys = []
    for seed in seeds:
        cell = next(c for c in cells.geoms if c.contains(Point(seed)))
        polys.append(cell.intersection(boundary))
    frame = gpd.GeoDataFrame({"seed": range(len(seeds))}, geometry=polys, crs="EPSG:27700")
    frame["LSOA21CD"] = [f"E0199{1001 + i:04d}" for i in range(len(frame))]
    frame["LSOA21NM"] = [f"{TOWN} {1 + i // 4:03d}{'ABCD'[i % 4]}" for i in range(len(frame))]
    return frame


def _profile(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """Population, 65+ share and IMD decile of each area, by where it lies."""
    centroid = frame.geometry.centroid
    dx, dy = centroid.x - CENTRE[0], centroid.y - CENTRE[1]
    r = np.hypot(dx, dy)
    rural = r > 3000
    estate = np.hypot(dx - 1100, dy - 1000) < 900
    south_west = (dx < -300) & (dy < -300) & ~rural
    decile = np.where(rural, 7, 5)
    decile = np.where(r < 500, 4, decile)
    decile = np.where(estate, 1, decile)
    decile = np.where(estate & (np.hypot(dx - 1100, dy - 1000) > 500), 2, decile)
    decile = np.where(south_west, 9, decile)
    decile = np.where((dx > 800) & (dy < -500) & ~rural, 3, decile)
    village_decile = {0: 8, 1: 6, 2: 10, 3: 3, 4: 9, 5: 7}
    idx_rural = np.flatnonzero(rural.to_numpy())
    for n, i in enumerate(idx_rural):
        decile[i] = village_decile.get(n, 7)
    share_65 = np.where(rural, 0.31, np.where(r < 500, 0.14, 0.2))
    share_65 = np.where(estate, 0.12, share_65)
    share_65 = np.where(south_west, 0.27, share_65)
    population = (
        np.where(rural, 1250, np.where(estate, 1650, 1380)) + (frame["seed"].to_numpy() * 37) % 240
    )
    return pd.DataFrame({"population": population, "share_65": share_65, "decile": decile})


def _census_rows(codes: pd.Series, names: pd.Series, profile: pd.DataFrame) -> pd.DataFrame:
    groups = [
        "Aged 15 years and under",
        "Aged 16 to 24 years",
        "Aged 25 to 34 years",
        "Aged 35 to 49 years",
        "Aged 50 to 64 years",
        "Aged 65 years and over",
    ]
    base = np.array([0.19, 0.10, 0.13, 0.19, 0.19])
    rows = []
    for code, name, (pop, share, _) in zip(codes, names, profile.to_numpy(), strict=True):
        older = round(pop * share)
        young = np.floor(base / base.sum() * (pop - older)).astype(int)
        young[0] += int(pop - older - young.sum())
        for group, value in zip(groups, [*young, older], strict=True):
            rows.append((code, name, group, int(value)))
    return pd.DataFrame(
        rows, columns=["lsoa21_code", "lsoa21_name", "age_group", "usual_residents"]
    )


def _imd_rows(codes: pd.Series, names: pd.Series, deciles: np.ndarray) -> pd.DataFrame:
    ranks = ((deciles - 1) * 3284.4 + 1500 + (np.arange(len(deciles)) * 577) % 1700).astype(int)
    return pd.DataFrame(
        {
            "LSOA code (2011)": codes,
            "LSOA name (2011)": names,
            "Local Authority District code (2019)": "E06999999",
            "Local Authority District name (2019)": TOWN,
            "Index of Multiple Deprivation (IMD) Rank": [f"{r:,}" for r in ranks],
            "Index of Multiple Deprivation (IMD) Decile": deciles.astype(int),
        }
    )


def _write_raster(path: Path, boundary: Polygon) -> None:
    import rasterio
    from rasterio.transform import from_origin

    cell = 100.0
    minx, miny, maxx, maxy = (math.floor(v / cell) * cell for v in boundary.bounds)
    maxx += cell
    maxy += cell
    cols, rows = int((maxx - minx) / cell), int((maxy - miny) / cell)
    xs = minx + cell * (np.arange(cols) + 0.5)
    ys = maxy - cell * (np.arange(rows) + 0.5)
    gx, gy = np.meshgrid(xs, ys)
    values = _density(gx, gy)
    # people per 100 m cell; open country (farms aside) is empty, as in WorldPop
    values = np.where(values > 0.05, values * 25, 0.0).astype("float32")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=cols,
        height=rows,
        count=1,
        dtype="float32",
        crs="EPSG:27700",
        transform=from_origin(minx, maxy, cell, cell),
        nodata=-99999.0,
        compress="deflate",
    ) as dst:
        dst.write(values, 1)


# --------------------------------------------------------------------------------------
# Estate


def _lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = _TO_WGS84.transform(x, y)
    return round(float(lon), 7), round(float(lat), 7)


def _services() -> tuple[pd.DataFrame, pd.DataFrame]:
    cx, cy = CENTRE
    gps = [
        ("D99001", "MARKET PLACE SURGERY", (cx + 90, cy - 270), "A", 4, "LE99 1AB"),
        ("D99002", "WESTFIELD MEDICAL CENTRE", (cx - 1300, cy - 900), "A", 4, "LE99 3CD"),
        ("D99003", "SOUTHGATE HEALTH CENTRE", (cx + 300, cy - 1550), "A", 4, "LE99 4EF"),
        ("D99004", "NORTHFIELDS PRACTICE", (cx - 600, cy + 1300), "A", 4, "LE99 5GH"),
        ("D99005", "ORCHARD ESTATE SURGERY", (cx + 1150, cy + 1050), "C", 4, "LE99 2JK"),  # closed
        ("D99006", "EASTMERE OUT OF HOURS", (cx + 180, cy - 90), "A", 8, "LE99 1AD"),  # not a GP
        ("D99007", "MARSTON PRIORS SURGERY", _village_centre(175, 5800), "A", 4, "LE98 6LM"),
    ]
    gp_rows = []
    for code, name, (x, y), status, setting, postcode in gps:
        lon, lat = _lonlat(x, y)
        gp_rows.append(
            {
                "organisation_code": code,
                "name": name,
                "national_grouping": "Y60",
                "high_level_health_geography": "QK1",
                "address_line_1": name.title(),
                "address_line_2": TOWN.upper(),
                "postcode": postcode,
                "open_date": "19740401",
                "close_date": "20210331" if status == "C" else "",
                "status_code": status,
                "organisation_sub-type_code": "B",
                "prescribing_setting": setting,
                "latitude": lat,
                "longitude": lon,
            }
        )
    pharmacies = [
        ("FDM01", "Eastmere Pharmacy", (cx - 90, cy + 90)),
        ("FDM02", "Little Eastmere Chemist", _village_centre(40, 5200)),
        ("FDM03", "Southgate Pharmacy", (cx + 340, cy - 1500)),
    ]
    ph_rows = []
    for code, name, (x, y) in pharmacies:
        lon, lat = _lonlat(x, y)
        ph_rows.append(
            {
                "ods_code": code,
                "name": name,
                "address1": "",
                "address2": "",
                "address3": "",
                "city": TOWN,
                "postcode": "LE99 9ZZ",
                "phone": "",
                "latitude": lat,
                "longitude": lon,
            }
        )
    return pd.DataFrame(gp_rows), pd.DataFrame(ph_rows)


#: the open practices' relative list sizes in the synthetic LSOA breakdown
_LIST_WEIGHT = {"D99001": 1.4, "D99002": 1.0, "D99003": 1.0, "D99004": 1.1, "D99007": 0.6}


def _registrations_lsoa(
    areas: gpd.GeoDataFrame, profile: pd.DataFrame, gps: pd.DataFrame
) -> pd.DataFrame:
    """Registered patients by practice and LSOA, laid out like NHS Digital's
    ``gp-reg-pat-prac-lsoa-all.csv`` (``SEX`` = ALL, MALE, FEMALE rows; a few patients
    in LSOAs outside the town and one with no LSOA recorded).

    Each area's residents (plus 2%: lists run above the census) are shared among the
    open practices by list weight x exp(-distance / 1.2 km), in whole patients.
    """
    open_gps = gps[gps["organisation_code"].isin(list(_LIST_WEIGHT))]
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    px, py = to_bng.transform(open_gps["longitude"].to_numpy(), open_gps["latitude"].to_numpy())
    weight = open_gps["organisation_code"].map(_LIST_WEIGHT).to_numpy()
    centroid = areas.geometry.centroid
    rows = []
    for code, x, y, pop in zip(
        areas["LSOA21CD"], centroid.x, centroid.y, profile["population"], strict=True
    ):
        w = weight * np.exp(-np.hypot(px - x, py - y) / 1200.0)
        exact = round(pop * 1.02) * w / w.sum()
        whole = np.floor(exact).astype(int)
        whole[np.argsort(-(exact - whole))[: round(pop * 1.02) - whole.sum()]] += 1
        rows += [(p, code, n) for p, n in zip(open_gps["organisation_code"], whole, strict=True)]
    for i, practice in enumerate(open_gps["organisation_code"]):  # lists cross boundaries
        rows += [(practice, "E01999901", 40 + 15 * i), (practice, "E01999902", 12 + 9 * i)]
    rows.append(("D99001", "NO2021", 6))
    names = dict(zip(gps["organisation_code"], gps["name"], strict=True))
    out = []
    for practice, lsoa, n in rows:
        male = n * 49 // 100
        for sex, count in (("ALL", n), ("MALE", male), ("FEMALE", n - male)):
            out.append(
                ("GP_PRAC_PAT_LIST", "2026-04-01", practice, names[practice], lsoa, sex, count)
            )
    return pd.DataFrame(
        out,
        columns=["PUBLICATION", "EXTRACT_DATE", "PRACTICE_CODE", "PRACTICE_NAME", "LSOA_CODE",
                 "SEX", "NUMBER_OF_PATIENTS"],
    )  # fmt: skip


def _candidates(rng: np.random.Generator) -> pd.DataFrame:
    cx, cy = CENTRE
    shop_names = [
        "Former Woolworths",
        "Unit 4 Market Arcade",
        "Former Bank, Market Place",
        "Vacant Shop, 12 High Street",
        "Former Post Office",
        "Unit 2 Sheep Street",
        "St Mary's & St Ann's Parade",
        "Former Department Store",
        "Vacant Unit, Church Street",
        "Former Travel Agent",
        "Upper Floor, 3 High Street",
        "Former Café, Market Way",
        "Unit 7 Cornhill Yard",
        "Former Shoe Shop",
    ]
    rows = []
    for i, name in enumerate(shop_names):
        gx, gy = rng.choice([-270, -180, -90, 0, 90, 180, 270], 2)
        x, y = cx + gx + (45 if i % 2 else 0), cy + gy + (0 if i % 2 else 45)
        rows.append(
            (
                f"RT{i + 1:03d}",
                name,
                "retail",
                x,
                y,
                int(rng.integers(8, 60)) * 10,
                int(rng.integers(12, 65)) * 1000,
            )
        )
    others = [
        ("NHS", "nhs", "Old Cottage Hospital Annex", (cx - 700, cy + 600), 900, 18000),
        ("NHS", "nhs", "Eastmere Clinic (under-used)", (cx + 500, cy - 700), 450, 9000),
        ("NHS", "nhs", "Former Health Visitor Base", (cx + 1400, cy + 1300), 320, 6000),
        ("NHS", "nhs", "Ambulance Station Offices", (cx - 1500, cy - 300), 380, 11000),
        ("NHS", "nhs", "Hollowby Community Nursing Hub", _village_centre(110, 6400), 260, 7000),
        ("CNL", "council", "Eastmere Library", (cx - 180, cy + 360), 700, 8000),
        ("CNL", "council", "Orchard Estate Community Centre", (cx + 1000, cy + 900), 520, 5000),
        ("CNL", "council", "Council Offices, West Wing", (cx - 360, cy - 540), 1100, 22000),
        ("CNL", "council", "Youth Centre, Northfields", (cx + 200, cy + 1500), 400, 4000),
        ("CNL", "council", "Former Depot, Riverside", (cx + 1700, cy - 300), 1500, 12000),
        ("CNL", "council", "Thornbury Cross Village Hall", _village_centre(290, 4800), 240, 3000),
        ("CNL", "council", "Wexcombe Old School", _village_centre(235, 7000), 600, 6000),
        ("CNL", "council", "Leisure Centre Studio", (cx - 1000, cy - 1200), 300, 9000),
        ("OTH", "other", "Methodist Church Hall", (cx + 700, cy + 200), 280, 5000),
        ("OTH", "other", "Ysbyty Road Scout Hut", (cx - 200, cy - 1700), 150, 2000),
        ("OTH", "other", "Co-op Upper Floor, Ashby Parva", _village_centre(345, 6900), 200, 6500),
    ]
    for i, (prefix, kind, name, (x, y), area, cost) in enumerate(others):
        rows.append((f"{prefix}{i + 1:03d}", name, kind, x, y, area, cost))
    frame = pd.DataFrame(
        rows, columns=["site_id", "name", "kind", "x", "y", "floor_area_m2", "annual_cost_gbp"]
    )
    frame["available"] = np.where(rng.random(len(frame)) < 0.85, "yes", "no")
    lonlat = [_lonlat(x, y) for x, y in zip(frame["x"], frame["y"], strict=True)]
    frame["longitude"] = [p[0] for p in lonlat]
    frame["latitude"] = [p[1] for p in lonlat]
    return frame.drop(columns=["x", "y"])


def write_demo(folder: Path | str) -> Path:
    """Write the demo town's input files and its scenario into ``folder``.

    Parameters
    ----------
    folder : path
        Created if needed; files already there are overwritten.

    Returns
    -------
    pathlib.Path
        The scenario file, ``folder/scenario.toml``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    _write_osm(_streets(), folder / "streets.osm")
    boundary = _boundary()
    _write_geojson(
        gpd.GeoDataFrame({"name": [f"{TOWN} and villages"]}, geometry=[boundary], crs="EPSG:27700"),
        folder / "study_area.geojson",
    )
    areas = _areas(rng)
    profile = _profile(areas)
    _write_geojson(areas[["LSOA21CD", "LSOA21NM", "geometry"]], folder / "lsoa21.geojson")
    _census_rows(areas["LSOA21CD"], areas["LSOA21NM"], profile).to_csv(
        folder / "census2021_age.csv", index=False
    )
    _imd_rows(areas["LSOA21CD"], areas["LSOA21NM"], profile["decile"].to_numpy()).to_csv(
        folder / "imd2019.csv", index=False
    )
    _write_raster(folder / "population_100m.tif", boundary)
    gps, pharmacies = _services()
    gps.to_csv(folder / "gp_practices.csv", index=False)
    _registrations_lsoa(areas, profile, gps).to_csv(
        folder / "gp-reg-pat-prac-lsoa-all.csv", index=False
    )
    pharmacies.to_csv(folder / "pharmacies.csv", index=False)
    _candidates(rng).to_csv(folder / "candidates.csv", index=False)
    centre = box(CENTRE[0] - 330, CENTRE[1] - 330, CENTRE[0] + 330, CENTRE[1] + 330)
    _write_geojson(
        gpd.GeoDataFrame({"name": [f"{TOWN} town centre"]}, geometry=[centre], crs="EPSG:27700"),
        folder / "town_centre.geojson",
    )
    _write_gtfs(folder / "bus_gtfs.zip")
    (folder / "scenario.toml").write_text(SCENARIO_TOML, encoding="utf-8")
    (folder / "README.md").write_text(_README, encoding="utf-8")
    return folder / "scenario.toml"


#: the village buses: (first departure, last, minutes apart), in minutes after midnight
_VILLAGE_PERIODS = ((7 * 60, 9 * 60 + 30, 20), (9 * 60 + 30, 19 * 60, 60))


def _write_gtfs(path: Path) -> None:
    """A small GTFS feed for Eastmere, written as a zip with fixed dates so its bytes
    never vary: six village routes from the centre and back, and a town loop."""
    import zipfile

    stops: list[tuple[str, str, float, float]] = []
    trips: list[tuple[str, str, str]] = []
    times: list[tuple[str, str, str, int]] = []

    def stop_line(prefix: str, name: str, points: list[tuple[float, float]]) -> list[str]:
        ids = []
        for i, (x, y) in enumerate(points):
            ids.append(f"{prefix}{i:02d}")
            stops.append((ids[-1], f"{name} stop {i + 1}", *_lonlat(x, y)))
        return ids

    def run(route: str, trip: str, ids: list[str], points: list[tuple[float, float]],
            start_min: float, kmh: float) -> None:  # fmt: skip
        trips.append((route, "WEEKDAY", trip))
        clock = start_min * 60.0
        for i, stop in enumerate(ids):
            if i:
                clock += math.dist(points[i - 1], points[i]) * 1.25 / (kmh / 3.6) + 20
            times.append((trip, _hms(clock), stop, i + 1))

    centre = (CENTRE[0] + 60, CENTRE[1] + 40)
    for n, (name, bearing, distance, _, _) in enumerate(VILLAGES):
        end = _village_centre(bearing, distance)
        count = max(int(distance // 600), 2)
        line = [(centre[0] + (end[0] - centre[0]) * k / count,
                 centre[1] + (end[1] - centre[1]) * k / count) for k in range(count + 1)]  # fmt: skip
        ids = stop_line(f"V{n}_", name, line)
        for first, last, every in _VILLAGE_PERIODS:
            for minute in range(first, last, every):
                run(f"R{n + 1}", f"R{n + 1}-out-{minute}", ids, line, minute, 35.0)
                run(f"R{n + 1}", f"R{n + 1}-in-{minute}", ids[::-1], line[::-1], minute + 5, 35.0)
    loop = [(CENTRE[0] + 1200 * math.sin(a), CENTRE[1] + 1200 * math.cos(a))
            for a in np.linspace(0, 2 * math.pi, 25)[:-1]]  # fmt: skip
    ids = stop_line("T", "Town loop", loop)
    run("T1", "T1-clockwise", [*ids, ids[0]], [*loop, loop[0]], 7 * 60, 18.0)
    run("T1", "T1-anticlockwise", [ids[0], *ids[::-1]], [loop[0], *loop[::-1]], 7 * 60, 18.0)
    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
        "EMB,Eastmere Buses (demo),https://example.invalid,Europe/London\n",
        "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
        + "".join(f"R{n + 1},EMB,{n + 1},{TOWN} - {v[0]},3\n" for n, v in enumerate(VILLAGES))
        + f"T1,EMB,T,{TOWN} town loop,3\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
        + "".join(f"{i},{n},{lat:.6f},{lon:.6f}\n" for i, n, lon, lat in stops),
        "trips.txt": "route_id,service_id,trip_id\n" + "".join(",".join(t) + "\n" for t in trips),
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        + "".join(f"{t},{c},{c},{s},{q}\n" for t, c, s, q in times),
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
        "start_date,end_date\nWEEKDAY,1,1,1,1,1,0,0,20250101,20251231\n",
        "frequencies.txt": "trip_id,start_time,end_time,headway_secs\n"
        "T1-clockwise,07:00:00,19:00:00,600\nT1-anticlockwise,07:00:00,19:00:00,600\n",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)


def _hms(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _write_geojson(frame: gpd.GeoDataFrame, path: Path) -> None:
    """GeoJSON in WGS84 with 7 decimals, written by hand so the bytes never vary."""
    frame = frame.to_crs("EPSG:4326")
    features = []
    for _, row in frame.iterrows():
        props = {
            k: (v.item() if hasattr(v, "item") else v) for k, v in row.items() if k != "geometry"
        }
        geom = json.loads(
            json.dumps(mapping(row.geometry)), parse_float=lambda s: round(float(s), 7)
        )
        features.append({"type": "Feature", "properties": props, "geometry": geom})
    data = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": features,
    }
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")


_README = """\
# Eastmere demo town (synthetic)

Generated by `estate_planner.demo.write_demo`; do not edit by hand. Eastmere is not a
real place: a market town of about 50,000 people with six villages, in open country.

| file | layout it copies |
|---|---|
| streets.osm | OpenStreetMap XML (town grid, one-way pair, pedestrian high street, A/B roads, lanes, footpaths) |
| lsoa21.geojson | ONS LSOA 2021 boundaries (`LSOA21CD`, `LSOA21NM`), WGS84 |
| census2021_age.csv | Census 2021 usual residents by 6 age groups, long form |
| imd2019.csv | IoD 2019 File 1 (ranks with thousands separators) |
| population_100m.tif | gridded population (people per 100 m cell, EPSG:27700) |
| gp_practices.csv | NHS ODS epraccur with latitude/longitude (one closed practice, one out-of-hours centre) |
| gp-reg-pat-prac-lsoa-all.csv | NHS Digital "Patients Registered at a GP Practice", LSOA breakdown (`SEX` = ALL, MALE, FEMALE rows; a few patients living outside the town) |
| pharmacies.csv | NHS.UK pharmacy list |
| candidates.csv | property list: vacant retail, NHS and council buildings |
| study_area.geojson, town_centre.geojson | study area and town-centre boundaries |
| bus_gtfs.zip | GTFS: a route from the centre to each village (every 20 min in the morning peak, hourly after) and a town loop both ways every 10 min (as `frequencies.txt`), weekdays of 2025 |
"""
