"""What the maps share (:mod:`estate_planner.outputs.summary`): the served areas."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from estate_planner.outputs.summary import (
    MapView,
    _InputsView,
    _Minutes,
    _ScenarioView,
    served_areas,
)


def grid_view() -> MapView:
    """Area A: 300 m square, nine points at its 100 m cells' centres, the west column
    served by hub H1, the rest by service S1. Area B: 300 m square, one point, served by
    none."""
    areas = gpd.GeoDataFrame(
        {"id": ["A", "B"], "name": ["A", "B"]},
        geometry=[box(0, 0, 300, 300), box(300, 0, 600, 300)],
        crs=27700,
    )
    xy = [(x, y) for x in (50, 150, 250) for y in (50, 150, 250)] + [(450, 150)]
    served = ["H1"] * 3 + ["S1"] * 6 + [""]
    demand = gpd.GeoDataFrame(
        {
            "id": range(10),
            "area_id": ["A"] * 9 + ["B"],
            "population": [10.0 * (i + 1) for i in range(10)],
            "imd_decile": [1] * 9 + [5],
            "served_by": served,
        },
        geometry=[Point(*p) for p in xy],
        crs=27700,
    )
    empty = gpd.GeoDataFrame({"x": []}, geometry=gpd.GeoSeries([], crs=27700))
    scenario = _ScenarioView("grid", "walk", _Minutes({"walk": 15}))
    return MapView(scenario, _InputsView(areas, None), demand, empty, empty, empty)


def test_served_areas_are_the_points_cells_dissolved_by_server() -> None:
    shapes = served_areas(grid_view()).set_index("served_by")
    # by hand: a grid point's cell is its 100 m square; a lone point gets its whole area
    expected = {"H1": box(0, 0, 100, 300), "S1": box(100, 0, 300, 300), "": box(300, 0, 600, 300)}
    assert set(shapes.index) == set(expected)
    for who, shape in expected.items():
        assert shapes.geometry[who].symmetric_difference(shape).area == pytest.approx(0, abs=1e-6)
    assert shapes.loc["H1", "people"] == 10 + 20 + 30
    assert shapes.loc["S1", "people"] == sum(range(40, 100, 10))
    assert shapes.loc["S1", "people_imd_1_2"] == shapes.loc["S1", "people"]
    assert shapes.loc["", "people_imd_1_2"] == 0 and shapes.loc["", "points"] == 1


def test_no_served_by_gives_no_shapes() -> None:
    view = grid_view()
    bare = MapView(view.scenario, view.inputs, view.demand.drop(columns="served_by"),
                   view.services, view.candidates, view.catchments)  # fmt: skip
    assert served_areas(bare).empty
