"""The real Rutland data in ../shared/data (skipped with a reason where it is absent).

Expected values come from the data's own documentation (PROVENANCE.md): 26 LSOA 2021
areas, Census 2021 total 41,043, splits E01013801 -> E01035102/3/4 and
E01013802 -> E01035105/6, four active GP practices.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from estate_planner import load_scenario, pipeline
from estate_planner.cli import main
from estate_planner.sources.raster import read_population_cells

REPO = Path(__file__).resolve().parent.parent
SPLITS = {
    "E01035102": "E01013801",
    "E01035103": "E01013801",
    "E01035104": "E01013801",
    "E01035105": "E01013802",
    "E01035106": "E01013802",
}


@pytest.fixture(scope="module")
def rutland(shared_data: Path):  # type: ignore[no-untyped-def]
    del shared_data  # requested so the module skips where the data is absent
    return pipeline.run(load_scenario(REPO / "scenarios" / "rutland.toml"))


def imd_file_1(shared_data: Path) -> pd.DataFrame:
    path = shared_data / "imd2019" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8-sig") as handle:
        frame = pd.read_csv(handle, thousands=",")
    return frame.set_index("LSOA code (2011)")


def test_need_layer_has_every_area_and_the_census_total(rutland) -> None:  # type: ignore[no-untyped-def]
    demand = rutland.demand
    assert demand["area_id"].nunique() == 26
    assert demand["population"].sum() == pytest.approx(41_043)
    assert demand.groupby("area_id")["age_65_plus"].sum().sum() == pytest.approx(10_385)


def test_split_areas_carry_their_parents_imd(rutland, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    imd = imd_file_1(shared_data)
    deciles = rutland.demand.groupby("area_id")["imd_decile"].first()
    for child, parent in SPLITS.items():
        assert deciles[child] == imd.loc[parent, "Index of Multiple Deprivation (IMD) Decile"]
    unchanged = deciles.index.difference(list(SPLITS))
    expected = imd.loc[unchanged, "Index of Multiple Deprivation (IMD) Decile"]
    assert (deciles[unchanged] == expected).all()


def test_the_four_gp_practices_are_placed(rutland) -> None:  # type: ignore[no-untyped-def]
    gps = rutland.services[rutland.services["kind"] == "gp"]
    assert sorted(gps["service_id"]) == ["C82010", "C82044", "C82077", "C82649"]
    county = rutland.inputs.areas.union_all()
    assert gps.geometry.within(county).all()
    # national pharmacy and hospital lists are clipped to the county
    kinds = rutland.services["kind"].value_counts()
    assert 4 <= kinds["pharmacy"] <= 10
    assert "RWELR" in set(rutland.services["service_id"])  # Rutland Memorial Hospital


def test_candidates_come_from_the_osm_extract_and_eric(rutland) -> None:  # type: ignore[no-untyped-def]
    cands = rutland.candidates
    assert (cands["site_id"].str.startswith("osm-") | (cands["site_id"] == "eric-RT5PC")).all()
    # Rutland Memorial Hospital from ERIC, with its real floor area and spare space, is
    # one candidate with its OSM entry (NHS.UK and OSM place it 96 m apart)
    memorial = cands[cands["name"] == "Rutland Memorial Hospital"]
    assert memorial["site_id"].tolist() == ["eric-RT5PC"]
    # (its OSM entry, amenity=hospital, is a working health service: never a candidate)
    assert memorial["source"].iloc[0].endswith("_13944.XLS")
    assert memorial["floor_area_m2"].iloc[0] == 2870 and memorial["spare_floor_area_m2"].iloc[0] == 174
    assert (cands["kind"] == "retail").sum() >= 9  # PROVENANCE: shop=vacant x9
    assert cands["name"].str.startswith("Vacant shop, 34 Melton Road").any()
    assert {"council", "nhs", "retail"} <= set(cands["kind"])
    assert cands["name"].str.contains("Library").any()


def test_worldpop_sums_to_a_plausible_county_population(shared_data: Path) -> None:
    areas = gpd.read_file(shared_data / "boundaries_rutland" / "rutland_lsoa21.geojson").to_crs(
        27700
    )
    cells, _ = read_population_cells(
        shared_data / "worldpop_gbr" / "gbr_pd_2020_1km_UNadj.tif",
        tuple(areas.total_bounds),
        units="people_per_km2",
    )
    inside = cells[cells.within(areas.union_all())]
    # Census 2021: 41,043; a 1 km grid clipped by cell centres is rough, not exact
    assert 33_000 < inside["people"].sum() < 50_000


@pytest.mark.usefixtures("shared_data")
def test_run_writes_a_ranking_and_a_map(tmp_path: Path) -> None:
    assert (
        main(["-q", "run", str(REPO / "scenarios" / "rutland.toml"), "--out", str(tmp_path)]) == 0
    )
    ranking = pd.read_csv(tmp_path / "ranking.csv")
    assert ranking["selected"].sum() == 3
    assert (tmp_path / "map.html").stat().st_size < 5_000_000
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["selection"]["gap"] == pytest.approx(0, abs=1e-6)
    licences = (tmp_path / "report.html").read_text()
    assert "Open Database Licence" in licences and "Open Government Licence v3.0" in licences


@pytest.mark.usefixtures("shared_data")
def test_no_osm_building_without_a_vacancy_tag_shows_as_available(
    tmp_path: Path, shared_data: Path
) -> None:
    """Issue 25: availability is known, not known or not available, never a default;
    a working surgery or hospital is never a candidate (map, tables, report)."""
    import html
    import re

    import osmium

    vacant, health = set(), set()
    for obj in osmium.FileProcessor(
        str(shared_data / "osm_rutland" / "rutland-2018-02-27.osm.pbf")
    ).with_areas():
        tags = dict(obj.tags)
        prefix = "n" if isinstance(obj, osmium.osm.Node) else "a"
        if not isinstance(obj, (osmium.osm.Node, osmium.osm.Area)):
            continue
        if tags.get("shop") == "vacant" or any(k.startswith("disused:") for k in tags):
            vacant.add(f"osm-{prefix}{obj.id}")
        elif tags.get("amenity") in ("doctors", "clinic", "hospital") or "healthcare" in tags:
            health.add(f"osm-{prefix}{obj.id}")
    assert vacant and health
    scenario = REPO / "scenarios" / "rutland.toml"
    assert main(["-q", "run", str(scenario), "--out", str(tmp_path)]) == 0
    ranking = pd.read_csv(tmp_path / "ranking.csv", dtype={"availability_date": str})
    osm = ranking[ranking["site_id"].str.startswith("osm-")]
    assert not set(osm["site_id"]) & health
    available = set(osm.loc[osm["availability"] == "available", "site_id"])
    assert available and available <= vacant
    assert set(osm["availability"]) <= {"available", "not known"}
    assert osm.loc[osm["availability"] == "available", "availability_source"].str.fullmatch(
        r"tagged vacant in OSM \(.+\), extract of 2018-02-27"
    ).all()
    layer = gpd.read_file(tmp_path / "results.gpkg", layer="candidates")
    assert set(layer.loc[layer["availability"] == "available", "site_id"]) == set(
        ranking.loc[ranking["availability"] == "available", "site_id"]
    )
    page = html.unescape((tmp_path / "map.html").read_text(encoding="utf-8"))
    said = re.findall(r"site (osm-[na]\d+)<br>.*?Availability: <b>([a-z ]+)</b>", page)
    assert len(said) == len(osm)
    assert {site for site, state in said if state == "available"} == available
    report = html.unescape((tmp_path / "report.html").read_text(encoding="utf-8"))
    chosen = ranking[ranking["selected"]]
    for row in chosen.itertuples():
        assert re.search(
            rf"{re.escape(row.name)}</td>.*?<td[^>]*>{row.availability}</td>", report, re.S
        )


def test_manifest_counts_mean_what_they_say(rutland, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 17 item 6: the street file's ways, national lists' rows inside the area,
    a licence for every input, no machine paths in warnings."""
    import osmium

    from estate_planner.outputs.manifest import build_manifest
    from estate_planner.outputs.report import context

    class Ways(osmium.SimpleHandler):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.n = 0

        def way(self, w) -> None:  # type: ignore[no-untyped-def]
            if "highway" in w.tags and len(w.nodes) >= 2:
                self.n += 1

    counter = Ways()
    counter.apply_file(str(shared_data / "osm_rutland" / "rutland-2018-02-27.osm.pbf"))
    inputs = {item["key"]: item for item in build_manifest(rutland)["inputs"]}
    assert inputs["network.osm"]["rows_read"] == counter.n
    assert 0 < inputs["network.osm"]["rows_used"] <= counter.n
    services = [v for k, v in inputs.items() if k.startswith("services[")]
    assert sum(v["rows_used"] for v in services) == len(rutland.services)
    national = [v for v in services if v["rows_read"] > 10_000]
    assert national and all(v["rows_used"] < 100 for v in national)
    sources = context(rutland)["sources"]
    assert all(s["licence"] for s in sources), [s["key"] for s in sources if not s["licence"]]
    assert not any(str(shared_data.resolve()) in w or w.startswith("/") for w in rutland.warnings)
    assert "{" not in context(rutland)["need_weights"] + context(rutland)["score_weights"]


@pytest.fixture(scope="module")
def rutland_2025(shared_data: Path):  # type: ignore[no-untyped-def]
    """Rutland on IoD 2025 (the published File 7's own Rutland rows) with Census 2021
    health, disability and cars."""
    census = shared_data / "census2021_health_cars"
    scenario = load_scenario(REPO / "scenarios" / "rutland.toml").updated(
        demand={
            "deprivation": str(shared_data / "iod2025" / "File_7_IoD2025_rows_rutland.csv"),
            "health": str(census / "census2021-ts037-lsoa.csv.gz"),
            "disability": str(census / "census2021-ts038-lsoa.csv.gz"),
            "cars": str(census / "census2021-ts045-lsoa.csv.gz"),
        },
        need={"weights": {"population": 1.0, "age_65_plus": 0.5, "imd_decile_1_2": 0.5,
                          "bad_health": 0.5, "disabled_a_lot": 0.5}},
    )  # fmt: skip
    return pipeline.run(scenario)


def test_rutland_runs_on_iod_2025_and_says_so(rutland_2025, shared_data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import csv

    from estate_planner.outputs import write_outputs

    with open(shared_data / "iod2025" / "File_7_IoD2025_rows_rutland.csv", encoding="utf-8") as f:
        published = {r["LSOA code (2021)"]: r for r in csv.DictReader(f)}
    decile = "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
    deciles = rutland_2025.demand.groupby("area_id")["imd_decile"].first()
    assert len(deciles) == 26  # every 2021 area, the five split since 2011 too: no lookup
    assert {k: int(v) for k, v in deciles.items()} == {k: int(r[decile]) for k, r in published.items()}
    with gzip.open(shared_data / "census2021_health_cars" / "census2021-ts045-lsoa.csv.gz", "rt") as f:
        cars = {r["geography code"]: r for r in csv.DictReader(f) if r["geography code"] in published}
    shares = rutland_2025.demand.groupby("area_id")["no_car_share"].first()
    for code, row in cars.items():
        no_car = int(row["Number of cars or vans: No cars or vans in household"])
        assert shares[code] == pytest.approx(no_car / int(row["Number of cars or vans: Total: All households"]))
    assert rutland_2025.inputs.deprivation_index == "IoD 2025"
    write_outputs(rutland_2025, tmp_path)
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "IoD 2025" in report and "2019" not in report
    assert "MHCLG English Indices of Deprivation 2025" in report
    assert "Reach with and without a car" in report and "reached only by walking within" in report
    assert "residents in bad or very bad health (Census 2021 TS037) 0.5" in report
    assert "IMD (IoD 2025) deciles 1-2 (most deprived)" in (tmp_path / "map.html").read_text()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    layouts = {i["key"]: i["layout"] for i in manifest["inputs"]}
    assert layouts["demand.deprivation"] == "IoD 2025, File 7 (scores, ranks and deciles)"
    assert layouts["demand.cars"].startswith("Census 2021 TS045")


def test_rutland_chooses_for_2035_with_todays_figures_beside(shared_data: Path, tmp_path: Path) -> None:
    """Rutland (E06000017, through the lookup's LAD22CD) grown 2% under 65 and 25% from
    65 between 2021 and 2035, plus 500 homes at 2.4 persons by 2030 (and 300 by 2040,
    left out). By hand: (41,043 - 10,385) x 1.02 + 10,385 x 1.25 + 1,200
    = 31,271.16 + 12,981.25 + 1,200 = 45,452.41; aged 65+: 12,981.25 + 18% of the 1,200
    new residents (216) = 13,197.25."""
    from estate_planner.outputs.report import target_year

    del shared_data  # requested so the test skips where the data is absent
    projections = tmp_path / "snpp.csv"
    projections.write_text(
        "AREA_CODE,AREA_NAME,COMPONENT,SEX,AGE_GROUP,2021,2035\n"
        "E06000017,Rutland,Population,persons,40,1000,1020\n"
        "E06000017,Rutland,Population,persons,80,400,500\n"
        "E06000017,Rutland,Population,persons,All ages,1400,1520\n",
        encoding="utf-8",
    )
    housing = tmp_path / "sites.csv"
    housing.write_text(
        "site_id,name,dwellings,year,longitude,latitude\n"
        "H1,Oakham north,500,2030,-0.727,52.680\nH2,Later,300,2040,-0.60,52.60\n",
        encoding="utf-8",
    )
    scenario = load_scenario(REPO / "scenarios" / "rutland.toml").updated(
        demand={"target_year": 2035, "projections": str(projections), "housing": str(housing)},
        scoring={"sensitivity_runs": 0},
        selection={"stability_runs": 0},
    )
    result = pipeline.run(scenario)
    demand = result.demand
    assert demand["population"].sum() == pytest.approx(45_452.41)
    assert demand["population_base"].sum() == pytest.approx(41_043)
    assert demand.loc[demand["area_id"] == "housing-H1", "population"].sum() == pytest.approx(1200)
    assert not demand["area_id"].eq("housing-H2").any()
    rows = {r["what"]: r for r in target_year(result)["rows"]}  # type: ignore[index]
    assert rows["residents"]["today"] == "41,043" and rows["residents"]["then"] == "45,452"
    assert rows["aged 65+"]["then"] == "13,197" and rows["aged 65+"]["today"] == "10,385"
