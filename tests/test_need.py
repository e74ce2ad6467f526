from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import Point, box

from estate_planner import InputDataError
from estate_planner.need import demand_points, need_index


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
