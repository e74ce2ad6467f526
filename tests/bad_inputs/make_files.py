"""Write the bad-input files of this catalogue from the demo town's files.

Run from the repository root: ``python tests/bad_inputs/make_files.py``. Each file is
one demo input with one thing wrong; ``cases.toml`` says which input it replaces and
what the tool must do with it.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from estate_planner.demo import write_demo

OUT = Path(__file__).resolve().parent / "files"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp)
        write_demo(demo)
        _scenario_files()
        _network(demo)
        _areas(demo)
        _population(demo)
        _deprivation(demo)
        _services(demo)
        _candidates(demo)
        _raster(demo)


def _write(name: str, text: str, encoding: str = "utf-8") -> None:
    (OUT / name).write_text(text, encoding=encoding)


def _scenario_files() -> None:
    _write("scenario_not_toml.toml", 'name = "broken\n[network\n')


def _network(demo: Path) -> None:
    text = (demo / "streets.osm").read_text()
    _write("streets_truncated.osm", text[: len(text) // 3])
    nodes_only = "\n".join(line for line in text.splitlines() if "<way" not in line and "<nd" not in line
                           and "<tag" not in line and "</way>" not in line)  # fmt: skip
    _write("streets_no_ways.osm", nodes_only + "\n")
    # the same streets 40 km away: every point is far from every road
    far = text.replace('lat="52.', 'lat="52.4').replace('lon="-0.', 'lon="-0.9')
    _write("streets_elsewhere.osm", far)


def _areas(demo: Path) -> None:
    data = json.loads((demo / "lsoa21.geojson").read_text())
    renamed = json.loads(json.dumps(data).replace('"LSOA21CD"', '"LSOA_CODE"'))
    _write("areas_no_id_column.geojson", json.dumps(renamed))
    dup = json.loads(json.dumps(data))
    dup["features"][1]["properties"]["LSOA21CD"] = dup["features"][0]["properties"]["LSOA21CD"]
    _write("areas_duplicate_ids.geojson", json.dumps(dup))
    bowtie = json.loads(json.dumps(data))
    ring = bowtie["features"][0]["geometry"]["coordinates"][0]
    ring[1], ring[2] = ring[2], ring[1]  # crossing edges: a self-intersecting ring
    _write("areas_self_intersecting.geojson", json.dumps(bowtie))
    empty_geom = json.loads(json.dumps(data))
    empty_geom["features"].append({"type": "Feature", "properties": {"LSOA21CD": "E01999999",
                                   "LSOA21NM": "Nowhere 999Z"}, "geometry": None})  # fmt: skip
    _write("areas_empty_geometry.geojson", json.dumps(empty_geom))
    _write("areas_no_features.geojson", '{"type":"FeatureCollection","features":[]}')
    # eastings/northings in a file that (as GeoJSON) claims longitude/latitude
    bng = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"LSOA21CD": "E01991001"},
           "geometry": {"type": "Polygon", "coordinates": [[[489000, 296000], [490000, 296000],
                                                           [490000, 297000], [489000, 296000]]]}}]}  # fmt: skip
    _write("areas_eastings_as_lonlat.geojson", json.dumps(bng))


def _population(demo: Path) -> None:
    pop = pd.read_csv(demo / "census2021_age.csv")
    pop.rename(columns={"usual_residents": "people"}).to_csv(
        OUT / "population_no_count_column.csv", index=False
    )
    neg = pop.copy()
    neg.loc[3, "usual_residents"] = -40
    neg.to_csv(OUT / "population_negative.csv", index=False)
    text = pop.copy().astype(object)
    text.loc[2, "usual_residents"] = "n/a"
    text.to_csv(OUT / "population_text.csv", index=False)
    other = pop.copy()
    other["lsoa21_code"] = other["lsoa21_code"].str.replace("E0199", "E0100")
    other.to_csv(OUT / "population_codes_match_nothing.csv", index=False)
    blank = pd.DataFrame({"id": pop["lsoa21_code"].unique()})
    blank["population"] = 1500
    blank["age_65_plus"] = 300
    blank.loc[0, "population"] = None
    blank.to_csv(OUT / "population_blank.csv", index=False)


def _deprivation(demo: Path) -> None:
    imd = pd.read_csv(demo / "imd2019.csv", dtype=str)
    bad = imd.copy()
    bad.loc[4, "Index of Multiple Deprivation (IMD) Decile"] = "11"
    bad.to_csv(OUT / "imd_decile_11.csv", index=False)
    other = imd.copy()
    other["LSOA code (2011)"] = other["LSOA code (2011)"].str.replace("E0199", "E0100")
    other.to_csv(OUT / "imd_codes_match_nothing.csv", index=False)


def _services(demo: Path) -> None:
    gps = pd.read_csv(demo / "gp_practices.csv", dtype=str)
    swapped = gps.rename(columns={"latitude": "longitude", "longitude": "latitude"})
    swapped.to_csv(OUT / "gp_swapped_lat_lon.csv", index=False)
    missing = gps.copy()
    missing.loc[0, ["latitude", "longitude"]] = None
    missing.to_csv(OUT / "gp_no_coordinates_row.csv", index=False)
    gps.drop(columns=["name"]).to_csv(OUT / "gp_no_name_column.csv", index=False)


def _candidates(demo: Path) -> None:
    cands = pd.read_csv(demo / "candidates.csv", dtype=str)
    dup = cands.copy()
    dup.loc[5, "site_id"] = dup.loc[4, "site_id"]
    dup.to_csv(OUT / "candidates_duplicate_ids.csv", index=False)
    kind = cands.copy()
    kind.loc[2, "kind"] = "warehouse"
    kind.to_csv(OUT / "candidates_unknown_kind.csv", index=False)
    outside = cands.copy()
    outside.loc[0, ["longitude", "latitude"]] = ["-1.2000000", "53.1000000"]  # 50 km away
    outside.to_csv(OUT / "candidates_outside_area.csv", index=False)
    far = cands.copy()
    # inside the study area, in open country 4.5 km from the nearest road
    far.loc[0, ["longitude", "latitude"]] = ["-0.6099110", "52.4817509"]
    far.to_csv(OUT / "candidates_far_from_road.csv", index=False)
    names = cands.copy()
    names.loc[0, "name"] = "<b>Ysbyty Gwynedd</b> <script>alert(1)</script>"
    names.loc[1, "name"] = "St Mary's & St Ann's, Café Ŵ"
    names.to_csv(OUT / "candidates_html_and_unicode.csv", index=False)
    cands.head(0).to_csv(OUT / "candidates_header_only.csv", index=False)
    cp = cands.copy()
    cp.loc[0, "name"] = "Former Café, Market Way"
    cp.to_csv(OUT / "candidates_cp1252.csv", index=False, encoding="cp1252")
    cost = cands.copy()
    cost.loc[3, "annual_cost_gbp"] = "about 20k"
    cost.to_csv(OUT / "candidates_cost_text.csv", index=False)
    neg = cands.copy()
    neg.loc[3, "floor_area_m2"] = "-200"
    neg.to_csv(OUT / "candidates_negative_area.csv", index=False)


def _raster(demo: Path) -> None:
    import rasterio

    with rasterio.open(demo / "population_100m.tif") as src:
        profile = src.profile
        data = np.full((src.height, src.width), src.nodata, dtype="float32")
    with rasterio.open(OUT / "raster_nodata.tif", "w", **profile) as dst:
        dst.write(data, 1)
    _write("raster_not_a_tiff.tif", "this is not a GeoTIFF\n")


if __name__ == "__main__":
    main()
