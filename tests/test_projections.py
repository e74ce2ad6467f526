"""Population to come: projections in the ONS subnational form and housing sites.

Expected values are worked by hand in each docstring; the choice test uses the real
optimiser on a reach matrix small enough to solve in one's head.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import box

from estate_planner import InputDataError, ScenarioError
from estate_planner.edits import population_in
from estate_planner.need import demand_points, need_index
from estate_planner.optimise import select_sites
from estate_planner.sources.projections import growth_factors, read_housing, read_projections

#: the 2018-based SNPP layout: a row per area, component, sex and single year of age
SNPP = """AREA_CODE,AREA_NAME,COMPONENT,SEX,AGE_GROUP,2018,2021,2030,2035
E06000017,Rutland,Population,persons,0,300,310,320,330
E06000017,Rutland,Population,persons,64,500,490,500,510
E06000017,Rutland,Population,persons,65,400,400,440,460
E06000017,Rutland,Population,persons,90 and over,100,100,160,200
E06000017,Rutland,Population,persons,All ages,1300,1300,1420,1500
E06000017,Rutland,Population,males,0,150,155,160,165
E06000017,Rutland,Population,females,0,150,155,160,165
E06000018,Nottingham,Population,persons,30,1000,1000,1100,1200
E06000018,Nottingham,Population,persons,70,200,200,200,300
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_snpp_table_gives_growth_per_authority_and_band(tmp_path: Path) -> None:
    """Rutland under 65: 310 + 490 = 800 in 2021, 320 + 500 = 820 in 2030: 1.025; 65+:
    400 + 100 = 500, then 440 + 160 = 600: 1.2. "All ages" and the male and female rows
    are not counted again."""
    table, record = read_projections(write(tmp_path, "snpp.csv", SNPP))
    assert record.layout == "population projection (a column per year)"
    factors = growth_factors(table, base_year=2021, year=2030)
    assert factors.loc["E06000017"].tolist() == pytest.approx([820 / 800, 600 / 500])
    assert factors.loc["E06000018"].tolist() == pytest.approx([1.1, 1.0])
    with pytest.raises(InputDataError, match=r"no figures for 2040 \(the table runs 2018-2035\)"):
        growth_factors(table, base_year=2021, year=2040, path="snpp.csv")


def test_long_form_is_read_alike(tmp_path: Path) -> None:
    long = "area code,age,year,population\nA,10,2021,100\nA,70,2021,50\nA,10,2030,90\nA,70,2030,75\n"
    table, _ = read_projections(write(tmp_path, "long.csv", long))
    assert growth_factors(table, base_year=2021, year=2030).loc["A"].tolist() == [0.9, 1.5]
    bad = long + "A,unknown,2030,1\n"
    with pytest.raises(InputDataError, match="ages must start with a number"):
        read_projections(write(tmp_path, "bad.csv", bad))


def areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["A1", "A2"], "name": ["one", "two"]},
        geometry=[box(0, 0, 1000, 1000), box(5000, 0, 6000, 1000)],
        crs="EPSG:27700",
    )


def test_growth_applies_through_each_areas_authority() -> None:
    """A1: 1,000 people, 200 aged 65+, in an authority growing 5% under 65 and 30% from
    65: 800 x 1.05 + 200 x 1.3 = 1,100. A2 in an authority with no change: 500."""
    population = pd.DataFrame(
        {"population": [1000.0, 500.0], "age_65_plus": [200.0, 100.0]}, index=["A1", "A2"]
    )
    factors = pd.DataFrame(
        {"under_65": [1.05, 1.0], "age_65_plus": [1.3, 1.0]}, index=["LA1", "LA2"]
    )
    groups = pd.Series({"A1": "LA1", "A2": "LA2"})
    grown, *_ = population_in(2035, population, areas(), None, factors=factors, area_groups=groups)
    assert grown["population"].tolist() == pytest.approx([1100, 500])
    assert grown["age_65_plus"].tolist() == pytest.approx([260, 100])
    assert grown["population_base"].tolist() == [1000, 500]
    with pytest.raises(ScenarioError, match=r"no projection for 2035 for area\(s\) A2 \(LA9\)"):
        population_in(2035, population, areas(), None, factors=factors,
                      area_groups=pd.Series({"A1": "LA1", "A2": "LA9"}))  # fmt: skip
    with pytest.raises(ScenarioError, match="give demand.lookup"):
        population_in(2035, population, areas(), None, factors=factors)


def test_housing_growth_moves_the_choice(tmp_path: Path) -> None:
    """Worked by hand. Two areas: A1 (1,000 people) reached only from site X, A2 (800)
    only from site Y; one hub. Today X reaches more: X. A housing site in A2 of 200
    dwellings complete in 2028, at 2.4 persons each, adds 480 people reached from Y:
    in 2030, Y reaches 800 + 480 = 1,280 > 1,000, so Y. A site of 1,000 dwellings in
    A1 complete in 2040 is not yet built in 2030 and changes nothing."""
    sites = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
        "features": [
            {"type": "Feature", "properties": {"site_id": "S1", "dwellings": 200, "year": 2028},
             "geometry": {"type": "Polygon", "coordinates": [[[5200, 200], [5400, 200],
                          [5400, 400], [5200, 400], [5200, 200]]]}},
            {"type": "Feature", "properties": {"site_id": "S2", "dwellings": 1000, "year": 2040},
             "geometry": {"type": "Point", "coordinates": [500, 500]}},
        ],
    }  # fmt: skip
    housing, record = read_housing(write(tmp_path, "sites.geojson", json.dumps(sites)))
    assert record.rows_used == 2 and housing.geometry.geom_type.eq("Point").all()
    population = pd.DataFrame(
        {"population": [1000.0, 800.0], "age_65_plus": [0.0, 0.0]}, index=["A1", "A2"]
    )

    def choose(pop: pd.DataFrame, zones: gpd.GeoDataFrame) -> str:
        points = demand_points(zones, pop, None)
        need = need_index(points, {"population": 1.0})
        in_a2 = points.geometry.x.to_numpy() > 4000  # A2 and the site built in it
        times = np.where(np.vstack([~in_a2, in_a2]), 300.0, np.inf)  # X, Y x points
        chosen = select_sites(times, need, 1, threshold=600).chosen
        return ["X", "Y"][chosen[0]]

    assert choose(population, areas()) == "X"
    grown, zones, _, _ = population_in(2030, population, areas(), None, sites=housing)
    assert grown.loc["housing-S1", "population"] == pytest.approx(480)
    assert "housing-S2" not in grown.index  # complete after the target year
    assert grown["population_base"].sum() == 1800  # today's figures beside
    assert choose(grown, zones) == "Y"


def test_housing_sites_from_a_csv_need_dwellings_and_a_year(tmp_path: Path) -> None:
    good = "site,homes,phasing_year,longitude,latitude\nNorth,120,2029,-0.7,52.67\n"
    sites, _ = read_housing(write(tmp_path, "sites.csv", good))
    assert sites[["name", "dwellings", "year"]].iloc[0].tolist() == ["North", 120, 2029]
    with pytest.raises(InputDataError, match="no dwellings column"):
        read_housing(write(tmp_path, "bad.csv", "site,year,longitude,latitude\nN,2029,-0.7,52.6\n"))
