"""Gridded population (e.g. WorldPop) read with rasterio.

Cells are returned as points in British National Grid with a count of people. A
density raster (people per km2) is turned into counts with each cell's true area,
which matters for rasters in longitude/latitude.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
from pyproj import Transformer

from estate_planner._errors import InputDataError
from estate_planner.sources.tables import BNG, Provenance, provenance, require_file

logger = logging.getLogger(__name__)


def read_population_cells(
    path: Path, bounds: tuple[float, float, float, float] | None, *, units: str = "people"
) -> tuple[gpd.GeoDataFrame, Provenance]:
    """Populated cells within ``bounds`` as points with a ``people`` column.

    Parameters
    ----------
    path : pathlib.Path
        A GeoTIFF of people (or people per km2) per cell.
    bounds : tuple or None
        (minx, miny, maxx, maxy) in BNG; None reads the whole raster.
    units : {"people", "per_km2"}
        What a cell's value counts.

    Returns
    -------
    cells : geopandas.GeoDataFrame
        Cell centres in BNG with ``people``.
    record : Provenance

    Raises
    ------
    InputDataError
        If the raster cannot be read, has no CRS, or holds no population there.
    """
    import rasterio
    from rasterio.windows import from_bounds

    require_file(path, "demand.raster")
    record = provenance("demand.raster", path)
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputDataError(f"{path}: not a readable raster ({exc}); expected a GeoTIFF") from None
    with src:
        if src.crs is None:
            raise InputDataError(
                f"{path}: the raster has no CRS; set one (e.g. EPSG:4326) and save again"
            )
        if bounds is None:
            minx, miny, maxx, maxy = src.bounds
        else:
            to_src = Transformer.from_crs(BNG, src.crs, always_xy=True)
            minx, miny, maxx, maxy = to_src.transform_bounds(*bounds)
        window = from_bounds(minx, miny, maxx, maxy, src.transform).round_offsets().round_lengths()
        data = src.read(1, window=window, boundless=True, fill_value=src.nodata or 0, masked=True)
        transform = src.window_transform(window)
        values = np.ma.filled(data.astype(float), 0.0)
    rows, cols = np.nonzero(values > 0)
    record.rows_read = int(values.size)
    if len(rows) == 0:
        raise InputDataError(
            f"{path}: no populated cells (all nodata or zero) inside the study area; "
            "check the raster covers the area, or leave demand.raster out"
        )
    xs, ys = transform @ (cols + 0.5, rows + 0.5)
    to_bng = Transformer.from_crs(src.crs, BNG, always_xy=True)
    bx, by = to_bng.transform(np.asarray(xs), np.asarray(ys))
    people = values[rows, cols]
    if units == "people_per_km2":
        people = people * _cell_area_km2(transform, rows, cols, to_bng)
    cells = gpd.GeoDataFrame({"people": people}, geometry=gpd.points_from_xy(bx, by), crs=BNG)
    record.rows_used = len(cells)
    logger.info("raster %s: %d populated cells, %.0f people", path.name, len(cells), people.sum())
    return cells, record


def _cell_area_km2(
    transform, rows: np.ndarray, cols: np.ndarray, to_bng: Transformer
) -> np.ndarray:
    x0, y0 = transform @ (cols, rows)
    x1, y1 = transform @ (cols + 1, rows + 1)
    corners = [
        to_bng.transform(np.asarray(a), np.asarray(b))
        for a, b in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    ]
    # shoelace over the four projected corners
    xs = np.stack([c[0] for c in corners])
    ys = np.stack([c[1] for c in corners])
    area = 0.5 * np.abs(np.sum(xs * np.roll(ys, -1, 0) - np.roll(xs, -1, 0) * ys, axis=0))
    return area / 1e6


def cells_in_areas(cells: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Join each cell to the area it falls in (cells outside every area are left out).

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
    areas : geopandas.GeoDataFrame
        ``id`` and polygons.

    Returns
    -------
    geopandas.GeoDataFrame
        ``cells`` with the area's ``id``.
    """
    joined = gpd.sjoin(cells, areas[["id", "geometry"]], how="inner", predicate="within")
    return joined.drop(columns="index_right").sort_values(["id"], kind="stable")
