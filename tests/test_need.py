from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import Point, box

from estate_planner import InputDataError
from estate_planner.need import demand_points, need_index, overlap_warning, unknown_factors


def test_worked_example_from_the_readme() -> None:
    demand = pd.DataFrame({"population": [1500.0], "age_65_plus": [300.0], "imd_decile": [2.0]})
    weights = {"population": 1.0, "age_65_plus": 0.5, "imd_decile_1_2": 0.5}
    assert need_index(demand, weights).tolist() == [2400.0]
    demand["imd_decile"] = 3.0
    assert need_index(demand, weights).tolist() == [1650.0]


def areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["A", "B"], "name": ["a", "b"]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
        crs="EPSG:27700",
    )


def population() -> pd.DataFrame:
    return pd.DataFrame(
        {"population": [1000.0, 600.0], "age_65_plus": [200.0, 60.0]}, index=["A", "B"]
    )


def test_one_point_inside_each_area() -> None:
    points = demand_points(areas(), population(), None)
    assert points["id"].tolist() == ["A", "B"]
    assert points.geometry.within(areas().geometry, align=False).all()


def test_raster_cells_share_the_census_total() -> None:
    cells = gpd.GeoDataFrame(
        {"people": [1.0, 3.0, 5.0], "id": ["A", "A", "B"]},
        geometry=[Point(100, 100), Point(900, 900), Point(1500, 500)],
        crs="EPSG:27700",
    )
    points = demand_points(areas(), population(), None, cells)
    assert points["population"].sum() == pytest.approx(1600)
    a = points[points["area_id"] == "A"].sort_values("population")
    np.testing.assert_allclose(a["population"], [250, 750])
    np.testing.assert_allclose(a["age_65_plus"], [50, 150])


def test_codes_that_match_nothing_are_an_error() -> None:
    pop = population().rename(index={"A": "X", "B": "Y"})
    with pytest.raises(InputDataError, match="no demand area id matches"):
        demand_points(areas(), pop, None)


def test_census_health_and_domain_deciles_as_need() -> None:
    """Area A: 1,000 people, 4% in bad or very bad health (40), 2.5% limited a lot (25),
    income decile 1; B: 600 people, 10% bad health (60), 5% limited a lot (30), income
    decile 6. Weights: population 1, bad health 2, disabled a lot 1, income deciles 1-2
    0.5. A: 1,000 + 80 + 25 + 500 = 1,605; B: 600 + 120 + 30 = 750."""
    census = pd.DataFrame(
        {"bad_health_share": [0.04, 0.10], "disabled_a_lot_share": [0.025, 0.05],
         "no_car_share": [0.2, 0.5]},
        index=["A", "B"],
    )  # fmt: skip
    deprivation = pd.DataFrame(
        {"imd_decile": [3.0, 7.0], "imd_rank": [9e3, 2e4], "income_decile": [1.0, 6.0]},
        index=["A", "B"],
    )
    points = demand_points(areas(), population(), deprivation, census=census, index="IoD 2025")
    np.testing.assert_allclose(points["bad_health"], [40, 60])
    np.testing.assert_allclose(points["no_car_share"], [0.2, 0.5])
    assert points["health_decile"].isna().all()  # not in the file: not known
    weights = {"population": 1.0, "bad_health": 2.0, "disabled_a_lot": 1.0,
               "income_decile_1_2": 0.5}  # fmt: skip
    np.testing.assert_allclose(need_index(points, weights), [1605, 750])
    said = unknown_factors(points, {**weights, "health_decile_1_2": 1.0}, index="IoD 2025")
    assert said == [
        "need factor health_decile_1_2: not known for 2 of 2 areas (IoD 2025 as read has no "
        "such domain decile (IoD File 2 or 7 has them)); they add nothing to need"
    ]


def test_census_counts_follow_the_raster_cells() -> None:
    cells = gpd.GeoDataFrame(
        {"people": [1.0, 3.0, 5.0], "id": ["A", "A", "B"]},
        geometry=[Point(100, 100), Point(900, 900), Point(1500, 500)],
        crs="EPSG:27700",
    )
    census = pd.DataFrame(
        {"bad_health_share": [0.04, 0.1], "disabled_a_lot_share": [0.0, 0.0],
         "no_car_share": [0.2, 0.5]}, index=["A", "B"],
    )  # fmt: skip
    points = demand_points(areas(), population(), None, cells, census=census)
    a = points[points["area_id"] == "A"].sort_values("population")
    np.testing.assert_allclose(a["bad_health"], [10, 30])  # 40 shared 1:3
    np.testing.assert_allclose(a["no_car_share"], [0.2, 0.2])


def test_health_weighed_twice_is_warned() -> None:
    assert overlap_warning({"population": 1.0, "bad_health": 0.5}) == ""
    assert overlap_warning({"population": 1.0, "health_decile_1_2": 0.5}) == ""
    said = overlap_warning({"bad_health": 0.5, "health_decile_1_2": 0.5})
    assert "health counts twice" in said and "Census counts alone (the default)" in said
