"""``selection.png``: the whole study area, each label beside its own marker, the
legend off the land. Checked on the figure's own geometry, on a long thin area with
two hubs 360 m apart, and on the demo town."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from estate_planner.outputs.static import static_figure
from estate_planner.outputs.summary import MapView, _InputsView, _Minutes, _ScenarioView, view_of


def wide_view() -> MapView:
    """40 km x 6 km, four hubs, two of them 360 m apart in the middle."""
    areas = gpd.GeoDataFrame(
        {"id": [f"A{i}" for i in range(8)], "name": [f"Area {i}" for i in range(8)]},
        geometry=[box(400000 + i * 5000, 300000, 405000 + i * 5000, 306000) for i in range(8)],
        crs=27700,
    )
    demand = gpd.GeoDataFrame(
        {
            "id": areas["id"],
            "area_id": areas["id"],
            "population": 1500.0,
            "age_65_plus": 300.0,
            "need": np.linspace(1500, 2400, 8),
            "unmet_need": 0.0,
            "imd_decile": [1, 2, 5, 6, 7, 8, 9, 10],
            "minutes_to_service_walk": 10.0,
            "covered_walk": True,  # 10 min of a 20 min threshold
            "covered_with_hubs_walk": True,
        },
        geometry=[Point(402500 + i * 5000, 303000) for i in range(8)],
        crs=27700,
    )
    services = gpd.GeoDataFrame(
        {"service_id": ["S1"], "name": ["Surgery"], "kind": ["gp"]},
        geometry=[Point(402000, 302000)],
        crs=27700,
    )
    xy = [(400300, 300300), (420000, 303000), (420300, 303200), (439700, 305800), (410000, 304000)]
    candidates = gpd.GeoDataFrame(
        {
            "site_id": [f"C{i}" for i in range(5)],
            "name": [
                "West End Community Centre",
                "Market Street Unit 4",
                "Market Street Unit 6",
                "East Halt Hall",
                "Spare",
            ],
            "selected": [True, True, True, True, False],
            "selection_order": pd.array([4, 1, 2, 3, pd.NA], dtype="Int64"),
        },
        geometry=[Point(*p) for p in xy],
        crs=27700,
    )
    catchments = gpd.GeoDataFrame(
        {"site_id": [], "name": [], "mode": [], "minutes": []},
        geometry=gpd.GeoSeries([], crs=27700),
    )
    scenario = _ScenarioView("A long thin district", "walk", _Minutes({"walk": 20}))
    return MapView(scenario, _InputsView(areas, None), demand, services, candidates, catchments)


def check_figure(view: MapView) -> None:
    fig = static_figure(view)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    # the whole study area is inside the axes' limits
    minx, miny, maxx, maxy = view.inputs.areas.total_bounds
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x0 <= minx and x1 >= maxx and y0 <= miny and y1 >= maxy
    # each label is nearer its own marker than any other hub's, and labels never overlap
    chosen = view.selected
    markers = ax.transData.transform(np.column_stack([chosen.geometry.x, chosen.geometry.y]))
    labels = {t.get_text(): t for t in ax.texts if t.get_text()[:1].isdigit()}
    assert len(labels) == len(chosen)
    boxes = []
    for i, (_, row) in enumerate(chosen.iterrows()):
        label = labels[f"{int(row['selection_order'])}. {row['name']}"]
        b = label.get_window_extent(renderer)
        dx = np.maximum(np.maximum(b.x0 - markers[:, 0], 0), markers[:, 0] - b.x1)
        dy = np.maximum(np.maximum(b.y0 - markers[:, 1], 0), markers[:, 1] - b.y1)
        gaps = np.hypot(dx, dy)
        assert gaps[i] == gaps.min(), (row["name"], gaps)
        assert not any(b.overlaps(other) for other in boxes), row["name"]
        boxes.append(b)
    # the legend sits in the margin, beside the map, not over it
    legend = ax.get_legend().get_window_extent(renderer)
    assert not legend.overlaps(ax.get_window_extent(renderer))


def test_a_wide_area_is_shown_whole_with_labels_by_their_markers() -> None:
    check_figure(wide_view())


def test_the_demo_map_is_shown_whole_with_labels_by_their_markers(demo_result) -> None:  # type: ignore[no-untyped-def]
    check_figure(view_of(demo_result))


@pytest.mark.parametrize("stretch", [0.25, 4.0])
def test_tall_and_flat_versions_of_the_demo_work_too(demo_result, stretch: float) -> None:  # type: ignore[no-untyped-def]
    view = view_of(demo_result)
    scale = {"xfact": 1.0, "yfact": stretch, "origin": (0, 0)}
    from shapely import affinity

    def squash(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        out = frame.copy()
        out["geometry"] = [affinity.scale(g, **scale) for g in frame.geometry]
        return out

    squashed = MapView(
        view.scenario,
        _InputsView(squash(view.inputs.areas), None),
        squash(view.demand),
        squash(view.services),
        squash(view.candidates),
        squash(view.catchments),
    )
    check_figure(squashed)
