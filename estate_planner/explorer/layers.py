"""The explorer map's layers (ipyleaflet): areas shaded by the share of their people
beyond reach of a service or hub, the hubs numbered with their catchments, existing
services, candidates and developments. Coordinates go to WGS84 here."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import ipyleaflet as leaflet
import ipywidgets as w
import numpy as np

from estate_planner.outputs.maps import MODE_COLOURS, SERVICE_SYMBOLS
from estate_planner.outputs.summary import BEYOND_COLOURS, BEYOND_EDGES, area_summary, reach

if TYPE_CHECKING:
    from estate_planner.results import RunResult

WGS84 = "EPSG:4326"
HUB_COLOUR = "#d7301f"


def layers(result: RunResult) -> list[Any]:
    """Every layer of the run's state, in drawing order.

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    list
        ipyleaflet layers.
    """
    drawn = [
        _areas_layer(result),
        _catchments_layer(result),
        _services_layer(result),
        _candidates_layer(result),
        *_development_markers(result),
    ]
    return [layer for layer in drawn if layer is not None]


def zoom(width_deg: float, height_deg: float) -> int:
    """A zoom level at which an extent fills about 700 x 500 pixels.

    Parameters
    ----------
    width_deg, height_deg : float
        The extent in degrees of longitude and latitude.

    Returns
    -------
    int
    """
    span = max(width_deg / 700 * 256, height_deg / 500 * 256 * 1.6, 1e-6)
    return int(np.clip(np.floor(np.log2(360 / span)), 3, 17))


def legend() -> dict[str, str]:
    """The areas' classes (share of people beyond reach) -> colour.

    Returns
    -------
    dict
    """
    edges = [f"{e:.0%}" for e in BEYOND_EDGES]
    return {
        f"{lo}–{hi}": colour
        for lo, hi, colour in zip(edges, edges[1:], BEYOND_COLOURS, strict=False)
    }


def _beyond_colour(share: float) -> str:
    index = int(np.searchsorted(BEYOND_EDGES[1:-1], share, side="right"))
    return BEYOND_COLOURS[min(index, len(BEYOND_COLOURS) - 1)]


def _areas_layer(result: RunResult) -> leaflet.GeoJSON:
    """Areas shaded by the share of their people beyond reach of a service or hub."""
    areas = area_summary(result)
    demand = result.demand
    mode = result.scenario.selection_mode
    _, _, after, minutes = reach(result, mode)
    beyond = ~after
    people = demand["population"].where(beyond, 0.0).groupby(demand["area_id"]).sum()
    areas["beyond_after"] = (
        areas["area_id"].map(people) / areas["population"].replace(0, np.nan)
    ).fillna(0.0)
    areas = areas[areas.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    frame = gpd.GeoDataFrame(
        {
            "name": areas["name"].astype(str),
            "people": areas["population"].round(0),
            "beyond": areas["beyond_after"].round(3),
        },
        geometry=areas.geometry.to_crs(WGS84).to_numpy(),
        crs=WGS84,
    )
    data = json.loads(frame.to_json(drop_id=True))
    return leaflet.GeoJSON(
        data=data,
        name=f"share of people beyond {minutes:g} min {mode} of a service or hub",
        style={"color": "#636363", "weight": 0.6, "fillOpacity": 0.55},
        style_callback=lambda feature: {
            "fillColor": _beyond_colour(float(feature["properties"]["beyond"]))
        },
        hover_style={"weight": 2},
    )


def _catchments_layer(result: RunResult) -> leaflet.GeoJSON | None:
    shapes = result.catchments
    shapes = shapes[shapes["mode"] == result.scenario.selection_mode]
    if shapes.empty:
        return None
    frame = gpd.GeoDataFrame(
        {"name": shapes["name"].astype(str), "mode": shapes["mode"]},
        geometry=shapes.geometry.simplify(10).to_crs(WGS84).to_numpy(),
        crs=WGS84,
    )
    colour = MODE_COLOURS.get(result.scenario.selection_mode, HUB_COLOUR)
    return leaflet.GeoJSON(
        data=json.loads(frame.to_json(drop_id=True)),
        name="hubs' catchments",
        style={"color": colour, "weight": 2, "fillColor": colour, "fillOpacity": 0.25},
    )


def _points(frame: gpd.GeoDataFrame) -> np.ndarray:
    lonlat = frame.geometry.to_crs(WGS84)
    return np.column_stack([lonlat.y.to_numpy(), lonlat.x.to_numpy()])


def _services_layer(result: RunResult) -> leaflet.LayerGroup:
    services = result.services
    counted = services["counts"].fillna(True).astype(bool) if "counts" in services else None
    markers = []
    for i, (lat, lon) in enumerate(_points(services)):
        row = services.iloc[i]
        colour = SERVICE_SYMBOLS.get(str(row["kind"]), ("", "#2166ac"))[1]
        counts = True if counted is None else bool(counted.iloc[i])
        markers.append(
            leaflet.CircleMarker(
                location=(float(lat), float(lon)),
                radius=6,
                color=colour,
                weight=2,
                fill_color=colour,
                fill_opacity=0.9 if counts else 0.1,
                popup=w.HTML(
                    html.escape(f"{row['name']} ({row['kind']}{'' if counts else ', not counted'})")
                ),
            )
        )
    return leaflet.LayerGroup(layers=markers, name="existing services")


def _candidates_layer(result: RunResult) -> leaflet.LayerGroup:
    candidates = result.candidates
    markers: list[Any] = []
    for i, (lat, lon) in enumerate(_points(candidates)):
        row = candidates.iloc[i]
        label = html.escape(f"{row['name']} ({row['site_id']})")
        if bool(row["selected"]):
            order = int(row["selection_order"])
            icon = leaflet.DivIcon(
                html=f"<div class='ep-hub-icon' style='background:{HUB_COLOUR};color:white;"
                "border-radius:50%;width:24px;height:24px;line-height:24px;text-align:center;"
                f"font-weight:bold;border:2px solid white'>{order}</div>",
                icon_size=[24, 24],
                icon_anchor=[12, 12],
            )
            markers.append(
                leaflet.Marker(
                    location=(float(lat), float(lon)),
                    icon=icon,
                    draggable=False,
                    title=f"hub {order}: {row['name']}",
                    popup=w.HTML(label),
                )
            )
        else:
            excluded = bool(row["excluded_reason"])
            markers.append(
                leaflet.CircleMarker(
                    location=(float(lat), float(lon)),
                    radius=4,
                    weight=1,
                    color="#737373",
                    fill_color="#bdbdbd" if excluded else "#fee08b",
                    fill_opacity=0.9,
                    popup=w.HTML(label),
                )
            )
    return leaflet.LayerGroup(layers=markers, name="candidate sites (numbered: hubs)")


def _development_markers(result: RunResult) -> list[Any]:
    areas = result.inputs.areas
    new = areas[areas["id"].astype(str).str.startswith("development-")]
    if new.empty:
        return []
    markers = []
    for i, (lat, lon) in enumerate(_points(new)):
        name = str(new["name"].iloc[i])
        icon = leaflet.DivIcon(
            html="<div style='font-size:22px;color:#8c510a'>⌂</div>",
            icon_size=[22, 22],
            icon_anchor=[11, 11],
        )
        markers.append(
            leaflet.Marker(
                location=(float(lat), float(lon)), icon=icon, draggable=False, title=name
            )
        )
    return [leaflet.LayerGroup(layers=markers, name="developments")]
