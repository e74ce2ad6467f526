"""``map.html``: the folium map planners read.

Layers: need by small area (quantile classes), IMD deciles 1-2 outlined, existing
services by kind, candidates coloured by rank with the chosen hubs emphasised,
catchments of the chosen hubs per mode (isochrones), served areas (the land each hub
and service serves, from the economic case's assignment), and the study-area boundary. Text from
input files is HTML-escaped (and made safe inside the JavaScript strings folium
writes), so a property called ``<script>...`` shows as text.

Over 400 lines of code because it is one page: the layers, legend and the page
script that fits the view depend on one another's sizes and names.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Figure
from folium.utilities import JsCode

from estate_planner._vocabulary import CRITERIA
from estate_planner.need import most_deprived
from estate_planner.outputs.summary import (
    BEYOND_COLOURS,
    BEYOND_EDGES,
    NEED_COLOURS,
    MapSource,
    area_summary,
    credits,
    headline_shares,
    imd_label,
    need_classes,
    osm_background,
    served_areas,
)

WGS84 = "EPSG:4326"
SERVICE_SYMBOLS = {
    "gp": ("✚", "#1b7837"),
    "pharmacy": ("℞", "#2166ac"),
    "hospital": ("H", "#762a83"),
}
MODE_COLOURS = {"walk": "#1a9850", "cycle": "#fdae61", "drive": "#4575b4", "transit": "#984ea3"}


def _esc(value: object) -> str:
    """Escape text for HTML and for the JavaScript template strings folium writes."""
    text = html.escape("" if value is None else str(value), quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def _fmt(value: object, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "–"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return f"{float(value):,.{digits}f}"
    return _esc(value)


def build_map(result: MapSource) -> folium.Map:
    """The folium map of a run.

    Parameters
    ----------
    result : RunResult or MapView
        A run, or the light view of one the drawing process receives.

    Returns
    -------
    folium.Map
    """
    areas = area_summary(result).to_crs(WGS84)
    south, west, north, east = areas.total_bounds[[1, 0, 3, 2]]
    # zoomSnap: fit the area to the frame, not to the nearest whole zoom level
    fmap = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        tiles=None,
        control_scale=True,
        zoom_snap=0.1,
    )
    folium.TileLayer(
        "OpenStreetMap", name="OpenStreetMap (needs internet)", attr="© OpenStreetMap contributors"
    ).add_to(fmap)
    # what-if developments and the housing sites of a target year
    is_development = areas["area_id"].astype(str).str.startswith(("development-", "housing-"))
    _add_unmet(fmap, areas[~is_development], result)
    edges = _add_areas(fmap, areas[~is_development], imd_label(result))
    _add_deprived(fmap, areas[~is_development], imd_label(result))
    _add_background(fmap, result, areas.total_bounds)
    _add_developments(fmap, areas[is_development])
    _add_boundary(fmap, result)
    served = _add_served(fmap, result)
    _add_catchments(fmap, result)
    _add_services(fmap, result)
    _add_candidates(fmap, result)
    # in a small frame (the comparison page puts two maps side by side) the layer list
    # and the legend start folded away, so the map itself shows
    small = JsCode(f"window.innerWidth < {SMALL_FRAME_PX}")
    folium.LayerControl(collapsed=small).add_to(fmap)  # type: ignore[arg-type]
    _root(fmap).html.add_child(
        folium.Element(
            _legend(result, edges, developments=bool(is_development.any()), served=served)
        )
    )
    bounds = [[south, west], [north, east]]
    _root(fmap).script.add_child(folium.Element(_behaviour(fmap, bounds)))
    return fmap


#: below this width (pixels) a map folds its layer list and legend away
SMALL_FRAME_PX = 760
DEVELOPMENT_SYMBOL = "⌂"


def _behaviour(fmap: folium.Map, bounds: list[list[float]]) -> str:
    """Page script: fit the view to the study area (between the legend and the layer
    list where the frame is wide enough; folding both away where it is small); hide a
    marker's tooltip while its popup is open (they would sit on top of each other);
    move an open popup out from under the layer list."""
    # run once the page's scripts have made the map
    return f"""
document.addEventListener('DOMContentLoaded', function () {{
  var map = {fmap.get_name()};
  var left = 8, right = 8;
  if (window.innerWidth < {SMALL_FRAME_PX}) {{
    document.querySelectorAll('details.ep-legend').forEach(function (d) {{ d.open = false; }});
  }} else {{
    var legend = document.querySelector('details.ep-legend');
    var layers = document.querySelector('.leaflet-control-layers-expanded');
    var beside = legend ? legend.getBoundingClientRect().right + 8 : 8;
    var before = layers ? window.innerWidth - layers.getBoundingClientRect().left + 8 : 8;
    if (window.innerWidth - beside - before > 0.4 * window.innerWidth) {{
      left = beside; right = before;
    }} else if (legend) {{
      legend.open = false;  // room for the area beside the layer list
      right = before;
    }}
  }}
  // the one fit of the view (a second, animated one would undo it)
  map.fitBounds({json.dumps(bounds)},
                {{paddingTopLeft: [left, 8], paddingBottomRight: [right, 8], animate: false}});
  map.on('popupopen', function (e) {{
    var source = e.popup._source;
    if (source && source.getTooltip && source.getTooltip()) {{
      source.closeTooltip(); source.getTooltip().setOpacity(0);
    }}
    // a popup under the layer list or the legend moves out from under it, the
    // shorter way (Leaflet's own auto-pan keeps it inside the frame only)
    function shift() {{
      var element = e.popup.getElement();
      var layers = document.querySelector('.leaflet-control-layers-expanded');
      if (!element || !layers) return;
      var box = element.getBoundingClientRect(), c = layers.getBoundingClientRect();
      if (box.right > c.left && box.left < c.right && box.top < c.bottom && box.bottom > c.top) {{
        var sideways = box.right - c.left + 8, down = c.bottom - box.top + 8;
        e.popup._epShift = sideways <= down ? [sideways, 0] : [0, -down];
        map.panBy(e.popup._epShift, {{animate: false}});
      }}
    }}
    // after Leaflet's own auto-pan, which would otherwise overwrite this one
    setTimeout(function () {{
      if (map._panAnim && map._panAnim._inProgress) map.once('moveend', shift); else shift();
    }}, 20);
  }});
  map.on('popupclose', function (e) {{
    if (e.popup._epShift) {{  // back to the view the reader had
      map.panBy([-e.popup._epShift[0], -e.popup._epShift[1]], {{animate: false}});
      e.popup._epShift = null;
    }}
    var source = e.popup._source;
    if (source && source.getTooltip && source.getTooltip()) {{
      source.getTooltip().setOpacity(0.9);
    }}
  }});
}});
"""


def _kind_of_homes(area_id: object) -> str:
    if str(area_id).startswith("housing-"):
        return "Housing site (complete by the target year)"
    return "New development (what-if)"


def _add_developments(fmap: folium.Map, areas: gpd.GeoDataFrame) -> None:
    """What-if developments: a marker of our own (no image file: the page must open
    with nothing beside it), with the people it adds."""
    if areas.empty:
        return
    housing = areas["area_id"].astype(str).str.startswith("housing-").any()
    name = "New developments (what-if)" + (" and housing sites" if housing else "")
    layer = folium.FeatureGroup(name=name, show=True)
    for _, row in areas.iterrows():
        point = row.geometry.representative_point()
        icon = folium.DivIcon(
            html=f'<div class="ep-development">{DEVELOPMENT_SYMBOL}</div>',
            icon_size=(24, 24),
            icon_anchor=(12, 12),
        )
        folium.Marker(
            [point.y, point.x],
            icon=icon,
            popup=folium.Popup(
                f"<b>{_esc(row['name'])}</b><br>{_kind_of_homes(row['area_id'])}<br>"
                f"People: {_fmt(row['population'])}<br>Aged 65+: {_fmt(row['age_65_plus'])}<br>"
                f"Need: {_fmt(row['need'])} need-weighted units",
                max_width=280,
            ),
            tooltip=_esc(row["name"]),
            z_index_offset=500,
        ).add_to(layer)
    layer.add_to(fmap)


def _root(fmap: folium.Map) -> Figure:
    root = fmap.get_root()
    assert isinstance(root, Figure)
    return root


def _add_areas(fmap: folium.Map, areas: gpd.GeoDataFrame, imd: str) -> list[float]:
    """Need per resident by area (quantile classes); returns the class edges."""
    classes, edges = need_classes(areas["need_per_resident"])
    # off at first: need per resident varies little; who is beyond reach drives the choice
    _area_layer(
        fmap,
        areas,
        [NEED_COLOURS[int(c)] for c in classes],
        ["" for _ in range(len(areas))],
        name="Need per resident",
        show=False,
        opacity=0.55,
        imd=imd,
    )
    return edges


def _add_unmet(fmap: folium.Map, areas: gpd.GeoDataFrame, result: MapSource) -> None:
    """Unmet need: per area, the share of its people beyond reach of every existing
    service within the threshold (what the hubs are chosen to reach)."""
    mode = result.scenario.selection_mode
    minutes = result.scenario.access.minutes(mode)
    classes = np.clip(np.searchsorted(BEYOND_EDGES, areas["share_beyond"], side="right") - 1, 0, 4)
    said = [
        f"Beyond {minutes:g} min {_esc(mode)} of any existing service: "
        f"<b>{_fmt(people)}</b> people ({share:.0%})<br>"
        for people, share in zip(areas["people_beyond"], areas["share_beyond"], strict=True)
    ]
    _area_layer(
        fmap,
        areas,
        [BEYOND_COLOURS[int(c)] for c in classes],
        said,
        name=f"Unmet need (beyond {minutes:g} min {mode})",
        show=True,
        opacity=0.65,
        imd=imd_label(result),
    )


def _area_layer(
    fmap: folium.Map,
    areas: gpd.GeoDataFrame,
    fills: list[str],
    first_lines: list[str],
    *,
    name: str,
    show: bool,
    opacity: float,
    imd: str,
) -> None:
    """All areas as one GeoJSON layer: one folium element, not three per area (an ICB
    has a thousand areas). Popup and tooltip text is escaped here, before folium puts
    it into the page as HTML."""
    features = []
    for (_, row), fill, first in zip(areas.iterrows(), fills, first_lines, strict=True):
        popup = (
            f"<b>{_esc(row['name'])}</b> ({_esc(row['area_id'])})<br>{first}"
            f"Population: {_fmt(row['population'])}<br>Aged 65+: {_fmt(row['age_65_plus'])}<br>"
            f"{imd} decile: {_fmt(row['imd_decile'])}<br>"
            f"Need: {_fmt(row['need'])} need-weighted units "
            f"({_fmt(row['need_per_resident'], 2)} per resident)<br>"
            f"Unmet need: {_fmt(row['unmet_need'])} need-weighted units<br>"
            f"Nearest service: {_fmt(row['minutes_to_service'], 1)} min"
        )
        properties = {"popup": popup, "name": _esc(row["name"]), "fill": fill}
        geometry = row.geometry.__geo_interface__
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    layer = folium.FeatureGroup(name=name, show=show)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=lambda feature: {
            "fillColor": feature["properties"]["fill"],
            "color": "#666",
            "weight": 0.6,
            "fillOpacity": opacity,
        },
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=320),
        # areas given as points (centroids) are circles, never Leaflet's image marker
        marker=folium.CircleMarker(radius=7, weight=1),
    ).add_to(layer)
    layer.add_to(fmap)


def _add_deprived(fmap: folium.Map, areas: gpd.GeoDataFrame, imd: str = "IMD") -> None:
    deprived = areas[most_deprived(areas["imd_decile"])]
    layer = folium.FeatureGroup(name=f"{imd} deciles 1-2 (most deprived)", show=True)
    if len(deprived):
        folium.GeoJson(
            json.loads(deprived[["geometry"]].to_json()),
            style_function=lambda _: {
                "fill": False,
                "color": "#67001f",
                "weight": 3,
                "dashArray": "6 4",
            },
        ).add_to(layer)
    layer.add_to(fmap)


#: road classes of the background: colour, width (px)
_ROAD_STYLE = {
    "motorway": ("#6f4e37", 3.5),
    "trunk": ("#7a5a3a", 3.0),
    "primary": ("#8c6d46", 2.6),
    "secondary": ("#9c8460", 1.8),
    "tertiary": ("#a89a80", 1.2),
}


def _add_background(fmap: folium.Map, result: MapSource, bounds: Any) -> None:
    """Main roads, water and town and village names drawn from the run's own OSM
    extract, so the map is readable with no internet (online tiles stay an option)."""
    import shapely

    found = osm_background(result)
    if found is None:
        return
    frame = shapely.box(*bounds)  # the view is fitted to the areas: the background too
    folium.map.CustomPane("ep-background", z_index=450, pointer_events=False).add_to(fmap)
    folium.map.CustomPane("ep-labels", z_index=590, pointer_events=False).add_to(fmap)
    layer = folium.FeatureGroup(name="Background: roads, water, places (OSM)")

    def shapes(items: list[dict[str, object]]) -> list[Any]:
        geoms = shapely.from_wkb([item["wkb"] for item in items]) if items else []
        return [shapely.intersection(g, frame) for g in geoms]

    water = [g for g in shapes(found["water"]) if not g.is_empty]
    features = [
        {"type": "Feature", "properties": {"area": g.geom_type.endswith("Polygon")},
         "geometry": shapely.geometry.mapping(shapely.simplify(g, 0.0001))}
        for g in water
    ]  # fmt: skip
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=lambda f: {
            "color": "#4a90c2",
            "weight": 0 if f["properties"]["area"] else 1.6,
            "fillColor": "#9cc9e8",
            "fillOpacity": 0.9,
        },
        pane="ep-background",
        interactive=False,
        control=False,
    ).add_to(layer)
    roads = [
        (item, g)
        for item, g in zip(found["roads"], shapes(found["roads"]), strict=True)
        if not g.is_empty
    ]
    order = list(_ROAD_STYLE)
    roads.sort(key=lambda r: -order.index(str(r[0]["kind"])))  # main roads on top
    features = [
        {"type": "Feature", "properties": {"kind": item["kind"]},
         "geometry": shapely.geometry.mapping(shapely.simplify(g, 0.00005))}
        for item, g in roads
    ]  # fmt: skip
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=lambda f: {
            "color": _ROAD_STYLE[f["properties"]["kind"]][0],
            "weight": _ROAD_STYLE[f["properties"]["kind"]][1],
            "opacity": 0.85,
        },
        pane="ep-background",
        interactive=False,
        control=False,
    ).add_to(layer)
    sizes = {"city": 16, "town": 15, "suburb": 12, "village": 12, "hamlet": 11}
    for item, g in zip(found["places"], shapes(found["places"]), strict=True):
        if g.is_empty:
            continue
        kind = str(item["kind"])
        folium.Marker(
            [g.y, g.x],
            icon=folium.DivIcon(
                html=f'<div class="ep-place ep-place-{kind}" style="font-size:{sizes[kind]}px">'
                f"{_esc(item['name'])}</div>",
                icon_size=(160, 20),
                icon_anchor=(80, 24),  # above the place: markers sit on it
            ),
            interactive=False,
            pane="ep-labels",
        ).add_to(layer)
    layer.add_to(fmap)


def _add_boundary(fmap: folium.Map, result: MapSource) -> None:
    boundary = result.inputs.boundary
    if boundary is None:
        return
    shape = boundary.to_crs(WGS84)[["geometry"]].copy()
    shape["geometry"] = boundary.geometry.simplify(20).to_crs(WGS84).to_numpy()
    folium.GeoJson(
        json.loads(shape.to_json()),
        name="Study area",
        style_function=lambda _: {"fill": False, "color": "#333", "weight": 2, "dashArray": "2 6"},
    ).add_to(fmap)


def _add_catchments(fmap: folium.Map, result: MapSource) -> None:
    shapes = result.catchments[result.catchments.geometry.notna()].to_crs(WGS84)
    for mode, group in shapes.groupby("mode", sort=False):
        minutes = group["minutes"].iloc[0]
        layer = folium.FeatureGroup(
            name=f"Chosen hubs: {mode} {minutes:g} min", show=mode == result.scenario.selection_mode
        )
        colour = MODE_COLOURS.get(str(mode), "#555")
        for _, row in group.iterrows():
            folium.GeoJson(
                row.geometry.__geo_interface__,
                style_function=lambda _, c=colour: {
                    "fillColor": c,
                    "color": c,
                    "weight": 1,
                    "fillOpacity": 0.15,
                },
                tooltip=f"{_esc(row['name'])}: {_esc(mode)} {minutes:g} min",
            ).add_to(layer)
        layer.add_to(fmap)


#: served areas: a colour per chosen hub (in the order chosen), pale ones for services
HUB_SERVED_COLOURS = (
    "#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#1b9e77",
)  # fmt: skip
SERVICE_SERVED_COLOURS = ("#c7d7e8", "#d3ead0", "#e2d6e8", "#f6e0c4", "#e8e2d2", "#f3d7e6")
UNSERVED_COLOUR = "#ffffff"


def _add_served(fmap: folium.Map, result: MapSource) -> list[tuple[str, str]]:
    """The "Served areas" layer (off at first): the land each chosen hub and counted
    service serves, coloured by it; returns the legend's (colour, label) per hub."""
    shapes = served_areas(result)
    if not len(shapes):
        return []
    hubs = result.selected
    hub_rank = {str(s): i for i, s in enumerate(hubs["site_id"])}
    names = {
        **{str(k): str(v) for k, v in zip(result.services["service_id"], result.services["name"],
                                          strict=True)},
        **{str(k): str(v) for k, v in zip(hubs["site_id"], hubs["name"], strict=True)},
    }  # fmt: skip
    kinds = dict(zip(result.services["service_id"].astype(str), result.services["kind"],
                     strict=True))  # fmt: skip
    mode = _esc(result.scenario.selection_mode)
    features, k = [], 0
    for row in shapes.to_crs(WGS84).itertuples():
        who = str(row.served_by)
        if who in hub_rank:
            colour = HUB_SERVED_COLOURS[hub_rank[who] % len(HUB_SERVED_COLOURS)]
            what = f"chosen hub {hub_rank[who] + 1}, site {_esc(who)}"
        elif who:
            colour, k = SERVICE_SERVED_COLOURS[k % len(SERVICE_SERVED_COLOURS)], k + 1
            what = f"existing {_esc(kinds.get(who, 'service'))}, {_esc(who)}"
        else:
            colour = UNSERVED_COLOUR
        head = (
            f"Served by <b>{_esc(names.get(who, who))}</b> ({what})"
            if who
            else f"Served by none: beyond the search limit ({mode}) of every service and hub"
        )
        popup = (
            f'<div class="ep-popup">{head}<br>{_fmt(row.people)} people live here, '
            f"{_fmt(row.people_imd_1_2)} of them in {_esc(imd_label(result))} deciles 1-2"
            f'<span class="ep-unit">People: residents. Each demand point goes to the service '
            f"or hub serving most of its people ({mode}).</span></div>"
        )
        tip = _esc(names.get(who, who)) if who else "served by none"
        properties = {"popup": popup, "tip": tip, "fill": colour, "hub": who in hub_rank}
        features.append({"type": "Feature", "properties": properties,
                         "geometry": row.geometry.__geo_interface__})  # fmt: skip
    layer = folium.FeatureGroup(name="Served areas (who each hub and service serves)", show=False)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#333" if f["properties"]["hub"] else "#888",
            "weight": 1.5 if f["properties"]["hub"] else 0.6,
            "fillOpacity": 0.7,
        },
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=320),
    ).add_to(layer)
    layer.add_to(fmap)
    return [
        (HUB_SERVED_COLOURS[i % len(HUB_SERVED_COLOURS)], f"{i + 1}. {_esc(name)}")
        for i, name in enumerate(hubs["name"])
    ]


def _add_services(fmap: folium.Map, result: MapSource) -> None:
    services = result.services.to_crs(WGS84)
    for kind, group in services.groupby("kind", sort=True):
        symbol, colour = SERVICE_SYMBOLS.get(str(kind), ("●", "#444"))
        layer = folium.FeatureGroup(name=f"Existing services: {_esc(kind)}")
        for _, row in group.iterrows():
            icon = folium.DivIcon(
                html=f'<div class="ep-service" style="color:{colour}">{symbol}</div>',
                icon_size=(18, 18),
                icon_anchor=(9, 9),
            )
            folium.Marker(
                [row.geometry.y, row.geometry.x],
                icon=icon,
                popup=folium.Popup(
                    f"<b>{_esc(row['name'])}</b><br>{_esc(kind)} ({_esc(row['service_id'])})",
                    max_width=280,
                ),
                tooltip=_esc(row["name"]),
            ).add_to(layer)
        layer.add_to(fmap)


def _rank_colour(rank: Any, n: int) -> str:
    if rank is pd.NA or rank is None or n <= 1:
        return "#9e9e9e"
    t = (int(rank) - 1) / max(n - 1, 1)
    # dark green (best) to pale yellow (worst)
    start, end = np.array([0, 104, 55]), np.array([255, 255, 191])
    r, g, b = (start + t * (end - start)).astype(int)
    return f"#{r:02x}{g:02x}{b:02x}"


def _candidate_popup(row: pd.Series) -> str:
    """Popup HTML of a candidate: what it is, where it ranks and why."""
    parts = "".join(
        f"<tr><td>{_esc(c.replace('_', ' '))}</td><td>{row[f'contribution_{c}']:.3f}</td></tr>"
        for c in CRITERIA
        if row[f"contribution_{c}"] > 0
    )
    status = "<b>Chosen hub</b><br>" if row["selected"] else ""
    reason = f"Excluded: {_esc(row['excluded_reason'])}<br>" if row["excluded_reason"] else ""
    return (
        f'<div class="ep-popup"><b>{_esc(row["name"])}</b><br>{status}{reason}'
        f"{_esc(row['kind'])} · site {_esc(row['site_id'])}<br>"
        f"{_provenance(row)}"
        f"Rank {_fmt(row['rank'])} · score {row['score']:.3f}<br>"
        f"Need reached: {_fmt(row['need_reached'])} need-weighted units<br>"
        f"Unmet need reached: {_fmt(row['unmet_need_reached'])} need-weighted units<br>"
        f"Annual cost: {_cost(row.get('annual_cost_gbp'))}<br>"
        f"Floor area: {_floor_area(row)}{_spare(row)}<br>"
        f"Availability: {_availability(row)}"
        f"{_economics(row)}"
        f"<table><tr><th>criterion</th><th>points of the score</th></tr>{parts}</table>"
        f'<span class="ep-unit">Need-weighted units: people, each weighted by the '
        f"scenario's need weights (age, deprivation).</span></div>"
    )


def _economics(row: pd.Series) -> str:
    """A chosen hub's size and cost from the economic case (indicative)."""
    served = row.get("population_served")
    if served is None or pd.isna(served):
        return ""
    return (
        f"<br><i>Indicative:</i> serves {_fmt(served)} people · needs "
        f"{_fmt(row['required_gia_m2'])} m² GIA ({_esc(row['fit'])}) · "
        f"{_esc(row['estate_option'])}<br>Capital £{_fmt(row['capital_gbp'])} before optimism "
        f"bias · net present cost £{_fmt(row['npc_gbp'])}"
    )


def _cost(value: object) -> str:
    text = _fmt(value)
    return "not known" if text == "–" else f"£{text}"


def _floor_area(row: pd.Series) -> str:
    """Floor area with whether it was measured or estimated ("not known" without)."""
    area = row.get("floor_area_m2")
    if area is None or pd.isna(area):
        return "not known"
    source = row.get("floor_area_source")
    said = f" ({_esc(source)})" if isinstance(source, str) and source else ""
    return f"{_fmt(area)} m²{said}"


def _availability(row: pd.Series) -> str:
    """Available / not available / not known, with its source and date."""
    state = row.get("availability")
    if not isinstance(state, str) or not state:
        state = _available(row.get("available"))
    source = row.get("availability_source")
    said = f" ({_esc(source)})" if isinstance(source, str) and source else ""
    return f"<b>{_esc(state)}</b>{said}"


def _provenance(row: pd.Series) -> str:
    """Where a candidate comes from and its identifiers (UPRN, ODS site code, rates
    reference), so a team can find it in its own register."""
    source = row.get("source")
    if not isinstance(source, str) or not source:
        return ""
    ids = [f"ref {_esc(row['source_id'])}"] if row.get("source_id") else []
    if row.get("uprn"):
        ids.append(f"UPRN {_esc(row['uprn'])}")
    use = f"{_esc(row['use'])}<br>" if row.get("use") else ""
    said = f" ({', '.join(ids)})" if ids else ""
    return f"{use}From {_esc(source)}{said}<br>"


def _spare(row: pd.Series) -> str:
    spare = row.get("spare_floor_area_m2")
    if spare is None or pd.isna(spare):
        return ""
    return f" · spare {_fmt(spare)} m²"


def _available(value: object) -> str:
    try:
        known = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "not known"
    return "not known" if np.isnan(known) else "available" if known == 1 else "not available"


def _add_candidates(fmap: folium.Map, result: MapSource) -> None:
    cands = result.candidates.to_crs(WGS84)
    n = int(cands["rank"].notna().sum())
    others = folium.FeatureGroup(name="Candidate sites (by rank)")
    chosen = folium.FeatureGroup(name="Chosen hubs")
    for _, row in cands.sort_values("site_id").iterrows():
        location = [row.geometry.y, row.geometry.x]
        popup = folium.Popup(_candidate_popup(row), max_width=340)
        if row["selected"]:
            icon = folium.DivIcon(
                html=f'<div class="ep-hub">{int(row["selection_order"])}</div>',
                icon_size=(26, 26),
                icon_anchor=(13, 13),
                class_name="ep-hub-icon",
            )
            # on top of services and candidates that share the spot
            folium.Marker(
                location, icon=icon, popup=popup, tooltip=_esc(row["name"]), z_index_offset=1000
            ).add_to(chosen)
        else:
            folium.CircleMarker(
                location,
                radius=6,
                color="#333",
                weight=1,
                fill=True,
                fill_opacity=0.9,
                fill_color=_rank_colour(row["rank"], n),
                popup=popup,
                tooltip=_esc(row["name"]),
            ).add_to(others)
    others.add_to(fmap)
    chosen.add_to(fmap)


def _served_legend(served: list[tuple[str, str]]) -> str:
    if not served:
        return ""
    rows = "".join(
        f'<div><span class="ep-swatch" style="background:{c}"></span>{label}</div>'
        for c, label in served
    )
    return (
        "<b>Served areas</b> (layer off at first)"
        f'{rows}<div><span class="ep-swatch" style="background:{SERVICE_SERVED_COLOURS[0]}">'
        "</span>an existing service (pale; the popup names it)</div>"
        f'<div><span class="ep-swatch" style="background:{UNSERVED_COLOUR}"></span>'
        "served by none within the search limit</div>"
    )


def _legend(
    result: MapSource,
    edges: list[float],
    *,
    developments: bool = False,
    served: list[tuple[str, str]] | None = None,
) -> str:
    rows = "".join(
        f'<div><span class="ep-swatch" style="background:{NEED_COLOURS[i]}"></span>'
        f"{edges[i]:.2f} – {edges[i + 1]:.2f}</div>"
        for i in range(len(edges) - 1)
    )
    services = "".join(
        f'<div><span style="color:{c};font-weight:bold">{s}</span> {_esc(k)}</div>'
        for k, (s, c) in SERVICE_SYMBOLS.items()
        if k in set(result.services["kind"])
    )
    template = (Path(__file__).parent / "templates" / "legend.html").read_text(encoding="utf-8")
    extra = (
        f'<div><span class="ep-development-key">{DEVELOPMENT_SYMBOL}</span>'
        " new development (what-if) or housing site</div>"
        if developments
        else ""
    )
    people, beyond, brought, minutes = headline_shares(result)
    mode = _esc(result.scenario.selection_mode)
    share = beyond / people if people else 0.0
    of_them = brought / beyond if beyond else 0.0
    headline = (
        f'<div class="ep-headline"><b>{beyond:,.0f}</b> people (<b>{share:.1%}</b>) live beyond '
        f"{minutes:g} min {mode} of any existing service; the hubs bring <b>{brought:,.0f}</b> "
        f"({of_them:.0%} of them) within reach.</div>"
    )
    labels = ["none", "under 25%", "25–50%", "50–75%", "75% or more"]
    unmet = "".join(
        f'<div><span class="ep-swatch" style="background:{colour}"></span>{label}</div>'
        for colour, label in zip(BEYOND_COLOURS, labels, strict=True)
    )
    return template.format(
        served=_served_legend(served or []),
        name=_esc(result.scenario.name),
        rows=rows,
        services=services,
        extra=extra,
        headline=headline,
        unmet=unmet,
        unmet_title=f"Share of an area's people beyond {minutes:g} min {mode}",
        credits=_esc(credits(result)),
        imd=_esc(imd_label(result)),
    )


def _inline_assets(fmap: folium.Map) -> None:
    """Put Leaflet and jQuery inside the page instead of linking to a CDN.

    NHS laptops often cannot reach CDNs; the scripts come from the XStatic packages
    (the same Leaflet 1.9.3 and jQuery 3.7.1 folium links to). Bootstrap and the
    awesome-markers plugin are not used by our layers and are left out.
    """
    import xstatic.pkg.jquery
    import xstatic.pkg.leaflet

    leaflet = Path(xstatic.pkg.leaflet.BASE_DIR)
    jquery = Path(xstatic.pkg.jquery.BASE_DIR)
    css = (leaflet / "leaflet.css").read_text(encoding="utf-8")
    for image in sorted((leaflet / "images").glob("*.png")):
        data = base64.b64encode(image.read_bytes()).decode()
        css = css.replace(f"images/{image.name}", f"data:image/png;base64,{data}")
    scripts = [
        (leaflet / "leaflet.js").read_text(encoding="utf-8"),
        (jquery / "jquery.min.js").read_text(encoding="utf-8"),
    ]
    fmap.default_js = []
    fmap.default_css = []
    header = _root(fmap).header
    header.add_child(folium.Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    for i, script in enumerate(scripts):
        header.add_child(folium.Element(f"<script>{script}</script>"), name=f"inline_js_{i}")


def map_bytes(result: MapSource) -> bytes:
    """``map.html``, self-contained (it opens with no network), as UTF-8 bytes.

    Parameters
    ----------
    result : RunResult or MapView

    Returns
    -------
    bytes
    """
    fmap = build_map(result)
    _inline_assets(fmap)
    return fmap.get_root().render().encode("utf8")
