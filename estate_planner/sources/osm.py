"""Read OpenStreetMap extracts (.osm, .osm.bz2, .osm.pbf) with pyosmium.

pyosmium reads all three formats with one API and streams, so a county PBF loads
in about a second. We keep only what the network stage needs: ``highway`` ways with
their node coordinates and tags.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from estate_planner._errors import InputDataError

logger = logging.getLogger(__name__)

OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf")

# Tags the network stage reads; the rest are not kept.
WAY_TAGS = (
    "highway",
    "name",
    "ref",
    "oneway",
    "maxspeed",
    "junction",
    "access",
    "area",
    "foot",
    "bicycle",
    "motor_vehicle",
    "motorcar",
    "service",
    "sidewalk",
    "sidewalk:both",
    "sidewalk:left",
    "sidewalk:right",
)


@dataclass
class OsmWays:
    """Highway ways of an extract: coordinates of their nodes and their tags."""

    node_ids: np.ndarray  # int64, sorted
    lon: np.ndarray
    lat: np.ndarray
    way_ids: list[int] = field(default_factory=list)
    way_nodes: list[np.ndarray] = field(default_factory=list)
    way_tags: list[dict[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.way_ids)


def is_osm_file(path: Path) -> bool:
    """Whether ``path`` names an OSM extract by its suffix.

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    bool
    """
    name = path.name.lower()
    return any(name.endswith(suffix) for suffix in OSM_SUFFIXES)


def read_highways(path: Path) -> OsmWays:
    """Read every way tagged ``highway`` with the coordinates of its nodes.

    Parameters
    ----------
    path : pathlib.Path
        ``.osm``, ``.osm.bz2`` or ``.osm.pbf``.

    Returns
    -------
    OsmWays

    Raises
    ------
    InputDataError
        If the file is missing, not an OSM extract, truncated, or holds no highways.
    """
    import osmium

    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: OSM file not found; check network.osm in the scenario")
    if not is_osm_file(path):
        raise InputDataError(
            f"{path}: expected an OSM extract ending .osm, .osm.bz2 or .osm.pbf "
            "(or a .graphml file); download one for your area, e.g. from Geofabrik"
        )
    coords: dict[int, tuple[float, float]] = {}
    ways = OsmWays(node_ids=np.empty(0, np.int64), lon=np.empty(0), lat=np.empty(0))
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            if not isinstance(way, osmium.osm.Way):
                continue
            refs = []
            for node in way.nodes:
                if not node.location.valid():
                    continue
                coords[node.ref] = (node.location.lon, node.location.lat)
                refs.append(node.ref)
            if len(refs) < 2:
                continue
            ways.way_ids.append(way.id)
            ways.way_nodes.append(np.asarray(refs, dtype=np.int64))
            ways.way_tags.append({k: way.tags[k] for k in WAY_TAGS if k in way.tags})
    except RuntimeError as exc:
        raise InputDataError(
            f"{path}: could not read this OSM file ({exc}); it may be truncated or not "
            "OSM data. Download the extract again."
        ) from None
    if not ways.way_ids:
        raise InputDataError(
            f"{path}: no ways tagged highway=* were found; the extract holds no streets. "
            "Use an extract that covers the study area's roads."
        )
    ids = np.fromiter(coords.keys(), dtype=np.int64, count=len(coords))
    order = np.argsort(ids)
    lonlat = np.array(list(coords.values()), dtype=float).reshape(-1, 2)[order]
    ways.node_ids, ways.lon, ways.lat = ids[order], lonlat[:, 0], lonlat[:, 1]
    logger.info("read %d highway ways, %d nodes from %s", len(ways), len(ids), path.name)
    return ways


# --------------------------------------------------------------------------------------
# Candidate buildings from OSM, for teams with no property list

#: (tag, value or "*") -> candidate kind. Vacant or disused shops are the high-street
#: units; civic, council and health buildings are the public estate.
CANDIDATE_TAGS: dict[tuple[str, str], str] = {
    ("shop", "vacant"): "retail",
    ("disused:shop", "*"): "retail",
    ("disused:amenity", "*"): "other",
    ("amenity", "townhall"): "council",
    ("amenity", "community_centre"): "council",
    ("amenity", "library"): "council",
    ("office", "government"): "council",
    ("building", "civic"): "council",
    ("building", "public"): "council",
    ("amenity", "social_facility"): "council",
    ("amenity", "clinic"): "nhs",
    ("amenity", "doctors"): "nhs",
    ("amenity", "hospital"): "nhs",
    ("healthcare", "*"): "nhs",
    ("building", "hospital"): "nhs",
}
_KIND_ORDER = ("nhs", "council", "retail", "other")


def candidate_kind(tags: dict[str, str]) -> str | None:
    """The candidate kind of an OSM object, or None if it is not a candidate.

    Parameters
    ----------
    tags : dict

    Returns
    -------
    str or None
    """
    kinds = {
        kind
        for (key, value), kind in CANDIDATE_TAGS.items()
        if key in tags and (value == "*" or tags[key] == value)
    }
    for kind in _KIND_ORDER:
        if kind in kinds:
            return kind
    return None


def read_candidate_buildings(path: Path) -> list[dict[str, object]]:
    """Candidate buildings in an OSM extract: nodes and areas (closed ways, multipolygons).

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    list of dict
        ``osm_id`` (``n123`` or ``a456``), ``name``, ``kind``, ``tags`` and ``wkb``
        (a point for nodes, the footprint for areas), in WGS84.
    """
    import osmium

    keys = sorted({key for key, _ in CANDIDATE_TAGS})
    factory = osmium.geom.WKBFactory()
    found: list[dict[str, object]] = []
    try:
        processor = (
            osmium.FileProcessor(str(path)).with_areas().with_filter(osmium.filter.KeyFilter(*keys))
        )
        for obj in processor:
            if isinstance(obj, osmium.osm.Node):
                prefix, wkb = "n", factory.create_point(obj)
            elif isinstance(obj, osmium.osm.Area):
                prefix, wkb = "a", factory.create_multipolygon(obj)
            else:
                continue
            tags = {tag.k: tag.v for tag in obj.tags}
            kind = candidate_kind(tags)
            if kind is None:
                continue
            found.append({"osm_id": f"{prefix}{obj.id}", "kind": kind, "tags": tags, "wkb": wkb})
    except RuntimeError as exc:
        raise InputDataError(
            f"{path}: could not read candidates from this OSM file ({exc})"
        ) from None
    return found


# --------------------------------------------------------------------------------------
# A background for the offline map: main roads, water and place names

#: road classes drawn on the offline map's background, widest first
BACKGROUND_ROADS = ("motorway", "trunk", "primary", "secondary", "tertiary")
#: place kinds named on it, largest first
BACKGROUND_PLACES = ("city", "town", "suburb", "village", "hamlet")


def read_background(path: Path) -> dict[str, list[dict[str, object]]]:
    """What a reader needs to tell where things are: main roads, water, place names.

    Parameters
    ----------
    path : pathlib.Path
        An OSM extract (.osm, .osm.bz2, .osm.pbf).

    Returns
    -------
    dict
        ``roads`` (``kind``, ``name``, ``wkb`` lines), ``water`` (``wkb`` areas and
        river lines) and ``places`` (``kind``, ``name``, ``wkb`` points), in WGS84.

    Raises
    ------
    InputDataError
        If the file cannot be read.
    """
    stat = Path(path).stat()
    # the offline map and selection.png both draw it: read the extract once per process
    return _read_background(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _read_background(
    path: str, size: int, mtime_ns: int
) -> dict[str, list[dict[str, object]]]:
    """:func:`read_background`; size and time make a changed file a new entry."""
    del size, mtime_ns
    import osmium

    factory = osmium.geom.WKBFactory()
    out: dict[str, list[dict[str, object]]] = {"roads": [], "water": [], "places": []}
    roads = set(BACKGROUND_ROADS) | {f"{kind}_link" for kind in BACKGROUND_ROADS}
    keys = ("highway", "natural", "waterway", "place", "landuse", "water")
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_areas()
            .with_locations()
            .with_filter(osmium.filter.KeyFilter(*keys))
        )
        for obj in processor:
            try:
                _background_feature(obj, factory, roads, out)
            except (RuntimeError, osmium.InvalidLocationError):  # a way cut off at the edge
                continue
    except RuntimeError as exc:
        raise InputDataError(f"{path}: could not read the map background ({exc})") from None
    return out


def _background_feature(
    obj: Any, factory: Any, roads: set[str], out: dict[str, list[dict[str, object]]]
) -> None:
    import osmium

    tags = obj.tags
    if isinstance(obj, osmium.osm.Node):
        if tags.get("place") in BACKGROUND_PLACES and tags.get("name"):
            point = factory.create_point(obj)
            out["places"].append({"kind": tags["place"], "name": tags["name"], "wkb": point})
    elif isinstance(obj, osmium.osm.Way):
        highway = tags.get("highway", "")
        if highway in roads:
            label = tags.get("ref") or tags.get("name", "")
            line = factory.create_linestring(obj)
            out["roads"].append({"kind": highway.removesuffix("_link"), "name": label,
                                 "wkb": line})  # fmt: skip
        elif tags.get("waterway") in ("river", "canal"):
            out["water"].append({"wkb": factory.create_linestring(obj)})
    elif isinstance(obj, osmium.osm.Area):
        water = tags.get("natural") == "water" or tags.get("landuse") == "reservoir"
        if water or tags.get("waterway") == "riverbank":
            out["water"].append({"wkb": factory.create_multipolygon(obj)})
