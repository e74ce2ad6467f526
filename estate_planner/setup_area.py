"""``estate-planner init``: a ready scenario for any English area from the national files.

The national files are recognised by their columns, wherever they sit in the data
folder and whatever they are called (publishers rename files between releases; they
rarely rename columns): the ONS LSOA 2011 -> 2021 -> LAD lookup, Census 2021
population by LSOA 2021, the English IoD 2025 (File 7; IoD 2019 where 2025 is absent),
Census 2021 TS037, TS038 and TS045, LSOA 2021 population-weighted centroids,
the geocoded GP practice list, the NHS.UK pharmacy and hospital lists, and a
population raster. The area is one or more local authority districts (``--lad``) or an
integrated care board (``--icb`` with an LSOA -> ICB lookup in the ONS layout).

What is written: ``areas.geojson`` (the area's LSOA 2021 polygons from a boundary
file, else their population-weighted centroids as points), ``study_area.geojson``
(the area's outline, or for points an outline drawn round them), ``scenario.toml``
pointing at the national files (readers clip services to the study area plus a
buffer, so services just over the border count), and ``README.md`` saying what was
chosen and why.

Over 400 lines of code because init is one cohesive job: find each national file by its
columns, cut it to the area and say what was chosen; the readers it uses live in
:mod:`estate_planner.sources`.
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from estate_planner._errors import InputDataError, ScenarioError
from estate_planner.sources.tables import BNG, plain_name, read_csv, read_vector

logger = logging.getLogger(__name__)

#: each national file's role -> column names (lower case) that mark its layout
SIGNATURES: dict[str, list[set[str]]] = {
    "lookup": [{"lsoa11cd", "lsoa21cd", "lad22cd"}],
    "population": [
        {"lsoa21 code", "age group", "usual residents"},
        {"geography code", "age: total"},
        {"lsoa 2021 code", "total", "f65 and over"},
    ],
    "deprivation": [  # IoD 2025 (LSOA 2021, joined directly) over IoD 2019
        {"lsoa code (2021)", "index of multiple deprivation (imd) decile"},
        {"lsoa code (2011)", "index of multiple deprivation (imd) decile"},
    ],
    # Census 2021 topic summaries in the Nomis layout
    "health": [{"geography code", "general health: total: all usual residents"}],
    "disability": [{"geography code", "disability: total: all usual residents"}],
    "cars": [{"geography code", "number of cars or vans: total: all households"}],
    "centroids": [{"lsoa21cd", "pop centroid x", "pop centroid y"}, {"lsoa21cd", "x", "y"}],
    "gp": [
        {"organisation code", "prescribing setting", "latitude", "longitude"},
        {"organisationcode", "organisationtype", "latitude", "longitude", "type:gp"},
    ],
    "pharmacy": [
        {"ods code", "latitude", "longitude"},
        {"organisationcode", "organisationtype", "latitude", "longitude", "type:pharmacy"},
    ],
    "hospital": [
        {"organisationcode", "organisationtype", "latitude", "longitude", "type:hospital"},
    ],
}
SERVICE_ROLES = ("gp", "pharmacy", "hospital")
#: roles whose largest file is taken (a national table over extracts of a few rows)
LARGEST_ROLES = (*SERVICE_ROLES, "deprivation", "health", "disability", "cars")
TABLE_SUFFIXES = (".csv", ".csv.gz", ".txt", ".txt.gz")
RASTER_SUFFIXES = (".tif", ".tiff")
WORKBOOK_SUFFIXES = (".xls", ".xlsx")
#: columns that mark NHS ERIC site data (every English trust's sites, one file a year)
ERIC_COLUMNS = {"site code", "site name", "site type"}


@dataclass
class NationalFiles:
    """Where each national file was found (None: not found)."""

    lookup: Path | None = None
    population: Path | None = None
    deprivation: Path | None = None
    health: Path | None = None
    disability: Path | None = None
    cars: Path | None = None
    centroids: Path | None = None
    gp: Path | None = None
    pharmacy: Path | None = None
    hospital: Path | None = None
    raster: Path | None = None
    #: NHS ERIC site data, one file per year (national registers: every trust's sites)
    eric: list[Path] = field(default_factory=list)
    #: per role, how good the file found is (its layout's rank, then its size)
    ranks: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)


def _header(path: Path) -> set[str]:
    """A table's column names as compared (:func:`plain_name`), and for NHS.UK's lists,
    which share one layout, ``type:<kind>`` from the first row's OrganisationType."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.readline() + handle.readline()
        try:
            lines = raw.decode("utf-8-sig")
        except UnicodeDecodeError:  # saved from Excel on Windows, as NHS.UK's lists are
            lines = raw.decode("cp1252", errors="replace")
        sep = "¬" if lines.count("¬") > lines.count(",") else ","
        frame = pd.read_csv(io.StringIO(lines), sep=sep, dtype=str, engine="python")
    except (OSError, EOFError, ValueError, pd.errors.ParserError):
        return set()
    names = {plain_name(c) for c in frame.columns}
    kind = next((c for c in frame.columns if plain_name(c) == "organisationtype"), None)
    if kind is not None and len(frame):
        value = str(frame[kind].iloc[0]).lower()
        names.add("type:gp" if "gp" in value else f"type:{value.split()[0]}")
    return names


def _is_eric_workbook(path: Path) -> bool:
    """An ERIC workbook: a sheet named like "Site Data" whose header (on one of its
    first rows) has the site columns."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet = next((n for n in book.sheet_names if "site" in n.lower()), None)
        if sheet is None:
            return False
        rows = book.get_sheet_by_name(sheet).to_python(nrows=4)
    except Exception:  # calamine raises its own error types; not a workbook we read
        return False
    return any({plain_name(c) for c in row} >= ERIC_COLUMNS for row in rows)


def find_national_files(folder: Path) -> NationalFiles:
    """Recognise the national files in ``folder`` (and below) by their columns.

    Parameters
    ----------
    folder : pathlib.Path

    Returns
    -------
    NationalFiles
        The path found for each role: the preferred layout where a role has two (the
        Census table over mid-year estimates); then for services the largest file (a
        national list over a local extract of it), for the rest the smallest.

    Raises
    ------
    InputDataError
        If ``folder`` does not exist.
    """
    if not folder.is_dir():
        raise InputDataError(
            f"{folder}: no such data folder; give --data the folder holding the national "
            "files (or fetch them with `estate-planner fetch --out FOLDER`)"
        )
    found = NationalFiles()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.name.lower()
        if name.endswith(RASTER_SUFFIXES) and found.raster is None:
            found.raster = path
            continue
        if name.endswith(WORKBOOK_SUFFIXES):
            if _is_eric_workbook(path):
                found.eric.append(path)
            continue
        if not name.endswith(TABLE_SUFFIXES):
            continue
        columns = _header(path)
        if columns >= ERIC_COLUMNS:
            found.eric.append(path)
            continue
        size = path.stat().st_size
        for role, layouts in SIGNATURES.items():
            # services: the largest list (national over a local extract); the rest are
            # national tables either way: the smallest is the quickest to read
            order = size if role in LARGEST_ROLES else -size
            for rank, wanted in enumerate(layouts):
                if wanted <= columns and (-rank, order) > found.ranks.get(role, (-99, -(2**62))):
                    setattr(found, role, path)
                    found.ranks[role] = (-rank, size)
    return found


@dataclass
class Area:
    """The LSOA 2021 codes of an area and what it is called."""

    codes: list[str]
    name: str
    lads: list[str]


def area_codes(
    lookup: Path, *, lads: list[str] | None = None, icb: str | None = None,
    icb_lookup: Path | None = None,
) -> Area:  # fmt: skip
    """The LSOA 2021 codes of some local authority districts, or of an ICB.

    Parameters
    ----------
    lookup : pathlib.Path
        The ONS LSOA 2011 -> LSOA 2021 -> LAD 2022 lookup.
    lads : list of str, optional
        LAD codes (E06000017 ...).
    icb : str, optional
        An ICB code (E54000015 or QK1), with ``icb_lookup``.
    icb_lookup : pathlib.Path, optional
        An LSOA 2021 -> ICB lookup in the ONS layout (``LSOA21CD``, ``ICB23CD`` or
        ``ICB22CD``, with the ICB's name and ``ICB23CDH`` where given).

    Returns
    -------
    Area

    Raises
    ------
    ScenarioError
        If a code matches no area (with the nearest codes as a hint).
    """
    table = read_csv(lookup, "lookup")
    table.columns = [str(c).strip() for c in table.columns]
    if icb is not None:
        if icb_lookup is None:
            raise ScenarioError("--icb needs --icb-lookup, an LSOA 2021 -> ICB lookup file")
        icbs = read_csv(icb_lookup, "icb lookup")
        code_columns = [c for c in icbs.columns if re.fullmatch(r"ICB\d\dCDH?", str(c).strip())]
        lsoa = next((c for c in icbs.columns if str(c).strip().upper() == "LSOA21CD"), None)
        if lsoa is None or not code_columns:
            raise InputDataError(
                f"{icb_lookup}: not an LSOA 2021 -> ICB lookup: expected LSOA21CD and an "
                f"ICBnnCD column, found {', '.join(map(str, icbs.columns[:12]))}"
            )
        upper = icbs[code_columns].apply(lambda c: c.str.strip().str.upper())
        rows = icbs[upper.eq(icb.upper()).any(axis=1)]
        if rows.empty:
            raise ScenarioError(
                f"ICB {icb} is not in {icb_lookup.name}; codes there look like "
                f"{', '.join(icbs[code_columns[0]].dropna().unique()[:3])}"
            )
        codes = sorted(rows[lsoa].str.strip().unique())
        lad_codes = sorted(table.loc[table["LSOA21CD"].isin(codes), "LAD22CD"].unique())
        name_column = next((c for c in icbs.columns if re.fullmatch(r"ICB\d\dNM", str(c))), None)
        name = str(rows[name_column].iloc[0]) if name_column else icb
        return Area(codes, name, lad_codes)
    wanted = [code.strip().upper() for code in lads or []]
    if not wanted:
        raise ScenarioError("name the area: --lad CODE (one or more) or --icb CODE")
    known = set(table["LAD22CD"])
    missing = [code for code in wanted if code not in known]
    if missing:
        close = sorted(c for c in known if c[:5] == missing[0][:5])[:5]
        raise ScenarioError(
            f"local authority {', '.join(missing)} is not in {lookup.name} (LAD22CD); "
            f"codes there start like {', '.join(close) or ', '.join(sorted(known)[:3])}"
        )
    rows = table[table["LAD22CD"].isin(wanted)]
    names = rows.drop_duplicates("LAD22CD")["LAD22NM"].tolist()
    return Area(sorted(rows["LSOA21CD"].unique()), " and ".join(names), wanted)


@dataclass
class Written:
    """What :func:`write_area_scenario` wrote, and the numbers its note gives."""

    scenario: Path
    areas: int
    people: float
    files: NationalFiles
    notes: list[str] = field(default_factory=list)


#: suffix of the written scenario's access thresholds, in minutes, by mode
DEFAULT_MINUTES = {"walk": 20, "drive": 10}


def write_area_scenario(
    out: Path,
    *,
    data: Path,
    osm: Path,
    lads: list[str] | None = None,
    icb: str | None = None,
    icb_lookup: Path | None = None,
    boundaries: Path | None = None,
    raster: Path | bool | None = None,
    registers: list[Path] | None = None,
    hubs: int = 3,
    buffer_m: float = 1000.0,
    name: str | None = None,
) -> Written:
    """Write a ready scenario for an area, with a note of what was chosen.

    Parameters
    ----------
    out : pathlib.Path
        Folder to write ``scenario.toml``, ``areas.geojson``, ``study_area.geojson``
        and ``README.md`` into (created if needed).
    data : pathlib.Path
        Folder holding the national files (recognised by their columns).
    osm : pathlib.Path
        The area's OSM extract (a county or region extract covering it).
    lads : list of str, optional
        Local authority district codes.
    icb, icb_lookup : optional
        An ICB code and an LSOA 2021 -> ICB lookup (instead of ``lads``).
    boundaries : pathlib.Path, optional
        LSOA 2021 boundaries (any vector file with ``LSOA21CD``); without them each
        area is its population-weighted centroid.
    raster : pathlib.Path or bool, optional
        A population raster to place people within areas (with boundaries only);
        None uses one found in ``data``, False none.
    registers : list of pathlib.Path, optional
        Property registers to add as candidates (business rates, council assets,
        ERIC), beside the buildings in the OSM extract.
    hubs : int
        Hubs to choose.
    buffer_m : float
        Services this far beyond the area's edge still count.
    name : str, optional
        The scenario's name (default from the area's).

    Returns
    -------
    Written

    Raises
    ------
    InputDataError
        If a national file the scenario needs is not in ``data``, or the boundaries
        lack some of the area's LSOAs.
    ScenarioError
        If the area's codes match nothing.
    """
    files = find_national_files(Path(data))
    for role in ("lookup", "population", "gp"):
        if getattr(files, role) is None:
            wanted = " or ".join(", ".join(sorted(s)) for s in SIGNATURES[role])
            raise InputDataError(
                f"{data}: no {role} file found (a table with columns {wanted}); add it "
                "to the data folder, or fetch the national files with `estate-planner fetch`"
            )
    if not Path(osm).is_file():
        raise InputDataError(f"{osm}: OSM extract not found; give --osm the area's .osm.pbf")
    assert files.lookup is not None and files.population is not None
    area = area_codes(files.lookup, lads=lads, icb=icb, icb_lookup=icb_lookup)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    if boundaries is not None:
        said = len(notes)
        areas = _polygons(Path(boundaries), area.codes, files, notes)
        outline = gpd.GeoSeries([areas.union_all()], crs=BNG)
        if len(notes) == said:
            notes.append(f"areas: the LSOA 2021 boundaries in {Path(boundaries).name}")
    else:
        if files.centroids is None:
            raise InputDataError(
                f"{data}: no LSOA 2021 centroids file (LSOA21CD with coordinates) and no "
                "--boundaries; give one of them"
            )
        areas = _centroids(files.centroids, area.codes)
        # about how far an LSOA reaches from its centroid: half the typical spacing
        spacing = _typical_spacing(areas)
        outline = gpd.GeoSeries([areas.union_all().convex_hull.buffer(spacing / 2)], crs=BNG)
        notes.append(
            f"areas: population-weighted centroids from {files.centroids.name} (no "
            f"boundary file given); the study area is drawn round them ({spacing / 2:,.0f} m "
            "beyond the outermost): give --boundaries for the true outline"
        )
    areas.to_crs("EPSG:4326").to_file(out / "areas.geojson", driver="GeoJSON")
    outline = _stays_valid(outline)
    gpd.GeoDataFrame({"name": [area.name]}, geometry=outline).to_crs("EPSG:4326").to_file(
        out / "study_area.geojson", driver="GeoJSON"
    )
    people = _people(files.population, area.codes)
    use_raster = files.raster if raster is None else (raster or None)
    if use_raster is not None and boundaries is None:
        notes.append("no population raster: it needs area polygons (--boundaries)")
        use_raster = None
    sources = candidate_sources(
        Path(osm), [*files.eric, *(registers or [])], outline.iloc[0].buffer(buffer_m),
        hospitals=files.hospital,
    )  # fmt: skip
    notes += sources.notes
    if 0 < sources.total < hubs:
        notes.append(
            f"hubs: {sources.total} asked for instead of {hubs}: the area has only "
            f"{sources.total} candidate sites"
        )
    hubs = min(hubs, sources.total)
    text = _scenario_text(
        out, files, area, osm=Path(osm),
        raster=use_raster if isinstance(use_raster, Path) else None,
        sources=sources, hubs=hubs, buffer_m=buffer_m, name=name,
    )  # fmt: skip
    (out / "scenario.toml").write_text(text, encoding="utf-8")
    written = Written(out / "scenario.toml", len(areas), people, files, notes)
    (out / "README.md").write_text(_note(written, area, hubs, buffer_m), encoding="utf-8")
    return written


@dataclass
class CandidateSources:
    """Where an area's candidate sites come from, as ``init`` found them."""

    #: the OSM extract has candidate buildings in the area
    from_osm: bool
    #: registers with sites in the area, and for each how many
    registers: dict[Path, int]
    #: candidates in the area over every source (before merging the same building)
    total: int
    notes: list[str] = field(default_factory=list)


def candidate_sources(
    osm: Path, registers: list[Path], area: object, *, hospitals: Path | None = None
) -> CandidateSources:
    """The candidate sources that have sites in ``area``, counted.

    Parameters
    ----------
    osm : pathlib.Path
        The area's OSM extract (vacant shops, civic and health buildings).
    registers : list of pathlib.Path
        National registers found in the data folder (ERIC) and the user's registers.
    area : shapely geometry
        The study area plus the buffer, in BNG.
    hospitals : pathlib.Path, optional
        A located hospital list, to place ERIC sites (by code, or by name and trust).

    Returns
    -------
    CandidateSources
        A source with no site in the area is left out, and a note says so.
    """
    import shapely

    from estate_planner.sources import estate
    from estate_planner.sources.registers import read_register
    from estate_planner.sources.tables import to_bng

    notes: list[str] = []
    try:
        buildings, _ = estate.candidates_from_osm(osm)
        in_osm = int(shapely.contains_xy(area, buildings.geometry.x, buildings.geometry.y).sum())
    except InputDataError:  # an extract with no candidate buildings at all
        in_osm = 0
    notes.append(
        f"candidates: {in_osm} vacant shops, civic or health buildings in the OSM extract"
        + ("" if in_osm else " (none: the scenario does not read them)")
    )
    counts: dict[Path, int] = {}
    for path in registers:
        register = read_register(path, locations=[hospitals] if hospitals else [], area=area)
        rows = register.frame[register.frame["located"].astype(bool)]
        x, y = to_bng(rows["longitude"].to_numpy(float), rows["latitude"].to_numpy(float))
        n = int(shapely.contains_xy(area, x, y).sum())
        counts[Path(path)] = n
        notes.append(
            f"candidates: {n} sites of {Path(path).name} ({register.format}) placed in the "
            "area" + ("" if n else "; left out of the scenario")
        )
    # one publisher's years go together: an earlier year fills the latest's gaps
    eric = [p for p in counts if p in counts and _is_eric(p)]
    kept = {p: n for p, n in counts.items() if n or (p in eric and any(counts[e] for e in eric))}
    total = in_osm + sum(kept.values())
    if not total:
        notes.append(
            "no candidate site in the area (none in the OSM extract or the registers): the "
            "scenario is an access analysis (selection.hubs = 0) that chooses no hub; add "
            "a register (--register) or a property list to choose hubs"
        )
    return CandidateSources(bool(in_osm), kept, total, notes)


def _is_eric(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith(WORKBOOK_SUFFIXES):
        return _is_eric_workbook(path)
    return _header(path) >= ERIC_COLUMNS


def _stays_valid(outline: gpd.GeoSeries) -> gpd.GeoSeries:
    """The outline, widened by the least of 0.5, 1 or 2 m that keeps it valid when
    written in WGS84 and read back in BNG: the union of LSOA polygons has edges that
    touch at a point, which the round trip turns into a self-intersection (and the run
    would report repairing init's own study area)."""
    if outline.to_crs("EPSG:4326").to_crs(BNG).is_valid.all():
        return outline
    for metres in (0.5, 1.0, 2.0):
        wider = outline.buffer(metres)
        if wider.to_crs("EPSG:4326").to_crs(BNG).is_valid.all():
            return wider
    return outline.buffer(2.0)


def _polygons(
    path: Path, codes: list[str], files: NationalFiles, notes: list[str]
) -> gpd.GeoDataFrame:
    frame = read_vector(path, "boundaries")
    column = next((c for c in frame.columns if str(c).upper() == "LSOA21CD"), None)
    older = next((c for c in frame.columns if str(c).upper() == "LSOA11CD"), None)
    if column is None and older is not None and files.lookup is not None:
        return _polygons_from_2011(frame.rename(columns={older: "LSOA11CD"}), path, codes,
                                   files, notes)  # fmt: skip
    if column is None:
        raise InputDataError(
            f"{path}: no LSOA21CD column; give LSOA 2021 boundaries, or LSOA 2011 ones "
            "(LSOA11CD) with the LSOA 2011 -> 2021 lookup in the data folder (columns "
            f"found: {', '.join(map(str, frame.columns[:10]))})"
        )
    frame = frame.rename(columns={column: "LSOA21CD"})
    kept = frame[frame["LSOA21CD"].isin(codes)]
    missing = sorted(set(codes) - set(kept["LSOA21CD"]))
    if missing:
        raise InputDataError(
            f"{path}: {len(missing)} of the area's {len(codes)} LSOAs have no boundary "
            f"({', '.join(missing[:5])}); give a boundary file that covers the area"
        )
    name = next((c for c in frame.columns if str(c).upper() == "LSOA21NM"), None)
    return gpd.GeoDataFrame(
        {"LSOA21CD": kept["LSOA21CD"].to_numpy(),
         "name": kept[name].to_numpy() if name else kept["LSOA21CD"].to_numpy()},
        geometry=kept.geometry.to_numpy(), crs=BNG,
    ).sort_values("LSOA21CD").reset_index(drop=True)  # fmt: skip


def _polygons_from_2011(
    frame: gpd.GeoDataFrame, path: Path, codes: list[str], files: NationalFiles,
    notes: list[str],
) -> gpd.GeoDataFrame:  # fmt: skip
    """LSOA 2021 polygons from LSOA 2011 boundaries through the ONS lookup: an unchanged
    code keeps its polygon, merged ones are joined, and a 2011 area split into several
    2021 areas is divided between their population-weighted centroids (each part is
    the piece of the 2011 polygon nearer its centroid than the others')."""
    import shapely

    assert files.lookup is not None
    lookup = read_csv(files.lookup, "lookup")
    lookup.columns = [str(c).strip().upper() for c in lookup.columns]
    rows = lookup[lookup["LSOA21CD"].isin(codes)].drop_duplicates(["LSOA11CD", "LSOA21CD"])
    shapes = frame.set_index("LSOA11CD").geometry
    missing = sorted(set(rows["LSOA11CD"]) - set(shapes.index))
    if missing:
        raise InputDataError(
            f"{path}: {len(missing)} of the area's LSOA 2011 areas have no boundary "
            f"({', '.join(missing[:5])}); give a boundary file that covers the area"
        )
    change = rows.get("CHGIND", pd.Series("", index=rows.index)).fillna("")
    split = rows[rows.duplicated("LSOA11CD", keep=False)]
    points = None
    if len(split):
        if files.centroids is None:
            raise InputDataError(
                f"{path}: LSOA 2011 areas {', '.join(sorted(set(split['LSOA11CD']))[:5])} were "
                "split in 2021; dividing them needs the LSOA 2021 population-weighted "
                "centroids in the data folder, or give LSOA 2021 boundaries"
            )
        centres = _centroids(files.centroids, sorted(set(split["LSOA21CD"])))
        points = centres.set_index("LSOA21CD").geometry
    pieces: list[tuple[str, object]] = []
    for old, group in rows.groupby("LSOA11CD"):
        shape = shapes.loc[old]
        targets = list(group["LSOA21CD"])
        if len(targets) == 1:
            pieces.append((targets[0], shape))
            continue
        assert points is not None
        seeds = shapely.MultiPoint([points.loc[t] for t in targets])
        cells = shapely.voronoi_polygons(seeds, extend_to=shape).geoms
        for target in targets:
            cell = next(c for c in cells if c.contains(points.loc[target]))
            pieces.append((target, cell.intersection(shape)))
    joined = gpd.GeoDataFrame(
        {"LSOA21CD": [c for c, _ in pieces]}, geometry=[g for _, g in pieces], crs=BNG
    ).dissolve("LSOA21CD").reset_index()
    unchanged = int((change == "U").sum())
    merged = int(rows["LSOA21CD"].duplicated(keep=False).sum())
    notes.append(
        f"areas: LSOA 2011 boundaries in {path.name} converted to LSOA 2021 through "
        f"{files.lookup.name}: {unchanged} unchanged, {split['LSOA11CD'].nunique()} split "
        f"into {len(split)} (divided between the 2021 areas' population-weighted centroids, "
        f"an approximation of the new boundary), {merged} 2011 areas merged into "
        f"{rows.loc[rows['LSOA21CD'].duplicated(keep=False), 'LSOA21CD'].nunique()}"
    )
    names = rows.drop_duplicates("LSOA21CD").set_index("LSOA21CD").get("LSOA21NM")
    joined["name"] = joined["LSOA21CD"].map(names) if names is not None else joined["LSOA21CD"]
    return joined[["LSOA21CD", "name", "geometry"]].sort_values("LSOA21CD").reset_index(
        drop=True
    )


def _centroids(path: Path, codes: list[str]) -> gpd.GeoDataFrame:
    from estate_planner.sources.tables import points_from_table

    table = read_csv(path, "centroids")
    code = next(c for c in table.columns if str(c).strip().upper() == "LSOA21CD")
    table = table[table[code].isin(codes)].rename(
        columns={"pop_centroid_x": "longitude", "pop_centroid_y": "latitude"}
    )
    missing = sorted(set(codes) - set(table[code]))
    if missing:
        raise InputDataError(
            f"{path}: no centroid for {len(missing)} of the area's LSOAs "
            f"({', '.join(missing[:5])}); give --boundaries instead"
        )
    points = points_from_table(table.reset_index(drop=True), path, id_column=code)
    return gpd.GeoDataFrame(
        {"LSOA21CD": points[code].to_numpy(), "name": points[code].to_numpy()},
        geometry=points.geometry.to_numpy(), crs=BNG,
    ).sort_values("LSOA21CD").reset_index(drop=True)  # fmt: skip


def _typical_spacing(points: gpd.GeoDataFrame) -> float:
    """Median distance from each point to its nearest neighbour (1 km for one point)."""
    if len(points) < 2:
        return 1000.0
    from scipy.spatial import cKDTree

    xy = np.column_stack([points.geometry.x, points.geometry.y])
    distance, _ = cKDTree(xy).query(xy, k=2)
    return float(np.median(distance[:, 1]))


def _people(path: Path, codes: list[str]) -> float:
    from estate_planner.sources.areas import read_population

    population, _ = read_population(path, "LSOA21CD")
    return float(population.reindex(codes)["population"].sum())


def _scenario_text(
    out: Path,
    files: NationalFiles,
    area: Area,
    *,
    osm: Path,
    raster: Path | None,
    sources: CandidateSources,
    hubs: int,
    buffer_m: float,
    name: str | None,
) -> str:
    def rel(path: Path) -> str:
        # the paths as the user gave them (made absolute, symlinks kept): a data folder
        # reached through a link is written through the link
        return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(out))).as_posix()

    lines = [
        f"# Written by `estate-planner init` for {area.name} ({', '.join(area.lads)}): "
        "see README.md beside it",
        f'name = "{name or area.name + " community health hubs"}"',
        "",
        "[area]",
        'boundary = "study_area.geojson"',
        f"buffer_m = {buffer_m:g}",
        "",
        "[network]",
        f'osm = "{rel(osm)}"',
        'modes = ["walk", "drive"]',
        "",
        "[demand]",
        'areas = "areas.geojson"',
        'id_column = "LSOA21CD"',
        f'population = "{rel(files.population)}"' if files.population else "",
    ]
    if files.deprivation is not None:
        lines.append(f'deprivation = "{rel(files.deprivation)}"')
    census = {"health": "TS037 general health", "disability": "TS038 disability",
              "cars": "TS045 car or van availability"}  # fmt: skip
    for role, what in census.items():
        if getattr(files, role) is not None:
            lines.append(f'{role} = "{rel(getattr(files, role))}"  # Census 2021 {what}')
    if files.lookup is not None:
        lines.append(f'lookup = "{rel(files.lookup)}"')
    if raster is not None:
        units = "people_per_km2" if "_pd_" in raster.name.lower() else "people"
        lines += [f'raster = "{rel(raster)}"', f'raster_units = "{units}"']
    weights = "weights = { population = 1.0, age_65_plus = 0.5, imd_decile_1_2 = 0.5"
    # health from the Census counts, not IoD's health domain (they overlap)
    weights += ", bad_health = 0.5" if files.health is not None else ""
    weights += ", disabled_a_lot = 0.5" if files.disability is not None else ""
    weights += " }"
    lines += ["", "[need]", weights]
    # GP practices are the services a hub stands in for: they count as reaching people.
    # Pharmacies and hospitals are shown on the map but not counted (issue 25: counted,
    # closing a practice changed nothing where a pharmacy stood nearby)
    counted = {"gp": True, "pharmacy": False, "hospital": False}
    for kind in ("gp", "pharmacy", "hospital"):
        path = getattr(files, kind)
        if path is not None:
            lines += ["", "[[services]]", f'path = "{rel(path)}"', f'kind = "{kind}"']
            if not counted[kind]:
                lines += ["counts = false                     # shown on the map, not counted"]
    if sources.total:
        lines += ["", "[candidates]", f"from_osm = {str(sources.from_osm).lower()}"]
    for register in sources.registers:
        lines += ["", "[[candidates.registers]]", f'path = "{rel(register)}"']
    selection = [f"hubs = {hubs}"]
    if not hubs:
        selection.insert(0, "# no candidate site in the area: an access analysis (see README.md)")
    lines += [
        "",
        "[access]",
        *(f"{mode}_minutes = {minutes}" for mode, minutes in DEFAULT_MINUTES.items()),
        "",
        "[scoring]",
        "weights = { need_reached = 0.35, unmet_need_reached = 0.35, deprivation = 0.2, "
        "floor_area_fit = 0.1 }",
        "min_floor_area_m2 = 100",
        "",
        "[selection]",
        *selection,
        'objective = "coverage"',
        'mode = "walk"',
        "",
    ]
    return "\n".join(lines)


def _note(written: Written, area: Area, hubs: int, buffer_m: float) -> str:
    files = written.files
    found = "\n".join(
        f"- {role}: `{getattr(files, role)}`" if getattr(files, role) else f"- {role}: not found"
        for role in ("lookup", "population", "deprivation", "health", "disability", "cars",
                     "centroids", "gp", "pharmacy", "hospital", "raster")
    )  # fmt: skip
    notes = "\n".join(f"- {note}" for note in written.notes)
    return f"""# {area.name}: what `estate-planner init` chose

- Area: {area.name} ({", ".join(area.lads)}), {written.areas} LSOA 2021 areas,
  {written.people:,.0f} people (Census 2021, from the population file).
- Services: GP practices (active only, GP prescribing settings) count as existing
  services: a person within reach of one is reached. Pharmacies and hospitals from the
  national lists are shown on the map but not counted (`counts = false`; set it to
  true to count them). All are read up to {buffer_m:,.0f} m beyond the area's edge so
  services just over the border count.
- Candidates: the sources below with sites in the area: buildings in the OSM extract
  (vacant shops, community and NHS buildings, offices), the national NHS ERIC site
  data found in the data folder (placed by ODS code, or by name and trust) and any
  property registers given.
- Access: walk {DEFAULT_MINUTES["walk"]} minutes, drive {DEFAULT_MINUTES["drive"]} minutes
  (NHS community services' usual reach); {hubs} hubs chosen on walking access,
  maximal covering.
{notes}

National files found (recognised by their columns):

{found}

Run it with `estate-planner run scenario.toml`; change any setting in
`scenario.toml` (see docs/guide/scenario.md).
"""
