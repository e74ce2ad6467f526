"""``selection.png``: a static map of the chosen hubs for slides."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from estate_planner.need import most_deprived
from estate_planner.outputs.summary import (
    BEYOND_COLOURS,
    BEYOND_EDGES,
    MapSource,
    area_summary,
    credits,
    osm_background,
)

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure

# where a label may go around its marker, in points: near first, then farther out
# (with a leader line), trying each direction at each distance
_LABEL_DISTANCES = (9, 22, 40, 64, 96, 140)
_LABEL_DIRECTIONS = (45, -45, 135, -135, 0, 180, 90, -90)
_HUB_MARKER_SIZE = 220  # points squared, as matplotlib's scatter takes it


def _frame(ax: Any, areas: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame | None) -> None:
    """Show the whole study area, with a little room around it."""
    shapes = boundary if boundary is not None else areas
    minx, miny, maxx, maxy = shapes.total_bounds
    pad = max(maxx - minx, maxy - miny) * 0.03
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    ax.apply_aspect()  # the labels are placed in screen space: fix the axes box first


def _figure_size(areas: gpd.GeoDataFrame) -> tuple[float, float]:
    """A map area of the study area's shape, with a margin on the right for the legend."""
    minx, miny, maxx, maxy = areas.total_bounds
    ratio = (maxy - miny) / max(maxx - minx, 1.0)
    width = 9.0
    return width + 3.2, min(max(width * ratio, 2.5), 13.0) + 1.0


def static_png(result: MapSource) -> bytes:
    """``selection.png``: :func:`static_figure` at 110 dpi, as PNG bytes.

    Parameters
    ----------
    result : RunResult or MapView

    Returns
    -------
    bytes
    """
    import io

    buffer = io.BytesIO()
    fig = static_figure(result)
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def static_figure(result: MapSource) -> Figure:
    """Need per resident by area, services, candidates and the chosen hubs (BNG).

    The whole study area is shown; each hub's label sits next to its own marker (with a
    leader line where it had to move), the legend in a margin and credits under the map.

    Parameters
    ----------
    result : RunResult or MapView

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    class Canvas(FigureCanvasAgg):
        def draw_idle(self, *args: Any, **kwargs: Any) -> None:
            """geopandas asks for a redraw after every layer; one draw, on saving, is enough."""

    # a bare Figure, not pyplot: no global figure state, nothing left open in a notebook
    fig = Figure(figsize=_figure_size(area_summary(result)))
    Canvas(fig)
    ax = fig.subplots()
    ax.set_axis_off()
    areas = area_summary(result)
    # unmet need: the share of an area's people beyond reach of every existing service
    # (what the hubs are chosen to reach), in the map's classes and colours
    classes = np.clip(np.searchsorted(BEYOND_EDGES, areas["share_beyond"], side="right") - 1, 0, 4)
    areas.plot(color=[BEYOND_COLOURS[c] for c in classes], ax=ax, edgecolor="#777", linewidth=0.4)
    deprived = areas[most_deprived(areas["imd_decile"])]
    if len(deprived):
        deprived.boundary.plot(ax=ax, color="#67001f", linewidth=2, linestyle="--")
    mode = result.scenario.selection_mode
    catchments = result.catchments
    shapes = catchments[(catchments["mode"] == mode) & catchments.geometry.notna()]
    if len(shapes):
        shapes.plot(ax=ax, color="#1a9850", alpha=0.25, edgecolor="#1a9850")
    result.services.plot(ax=ax, marker="P", color="#1b7837", markersize=60, zorder=3)
    others = result.candidates[~result.candidates["selected"]]
    if len(others):
        others.plot(ax=ax, color="#bbbbbb", edgecolor="#333", markersize=18, zorder=3)
    chosen = result.selected
    if len(chosen):
        chosen.plot(
            ax=ax, color="#d7301f", edgecolor="white", markersize=_HUB_MARKER_SIZE, zorder=5
        )
    _frame(ax, areas, result.inputs.boundary)
    _place_names(ax, result, areas)
    _place_labels(ax, chosen)
    labels = ["none", "under 25%", "25–50%", "50–75%", "75% or more"]
    handles: list[Artist] = [
        Patch(facecolor=colour, edgecolor="#777", label=label)
        for colour, label in zip(BEYOND_COLOURS, labels, strict=True)
    ]
    handles += [
        Line2D(
            [],
            [],
            marker="P",
            color="#1b7837",
            linestyle="",
            markersize=9,
            label="existing service",
        ),
        Line2D(
            [],
            [],
            marker="o",
            color="#bbbbbb",
            markeredgecolor="#333",
            linestyle="",
            label="candidate",
        ),
        Line2D(
            [], [], marker="o", color="#d7301f", linestyle="", markersize=12, label="chosen hub"
        ),
        Patch(facecolor="#1a9850", alpha=0.25, label=f"{mode} catchment"),
    ]
    # in the margin to the right of the map, never over the land
    ax.legend(
        handles=handles,
        title=(
            f"people beyond {result.scenario.access.minutes(mode):g} min {mode}\n"
            "of any existing service\n(share of each area: unmet need)"
        ),
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        fontsize=8,
    )
    ax.set_title(
        f"{result.scenario.name}: {len(chosen)} hubs ({mode}, "
        f"{result.scenario.access.minutes(mode):g} min)"
    )
    # wrapped here: matplotlib's wrap=True measures the line again for every word
    # under the map itself, so a wide area leaves no blank band above the credits
    ax.annotate(
        textwrap.fill(credits(result), 150),
        (0, -0.02),
        xycoords="axes fraction",
        va="top",
        fontsize=6,
        color="#555",
    )
    return fig


#: font size of a place name by kind (hamlets are left out: too many for a slide)
_PLACE_SIZES = {"city": 11, "town": 10, "suburb": 8, "village": 7.5}


def _place_names(ax: Any, result: MapSource, areas: gpd.GeoDataFrame) -> None:
    """Town and village names from the run's OSM extract, under the hubs' labels, so a
    reader can tell where the shading lies."""
    found = osm_background(result)
    if not found or not found["places"]:
        return
    import shapely

    places = [p for p in found["places"] if p["kind"] in _PLACE_SIZES]
    if not places:
        return
    points = gpd.GeoSeries(
        shapely.from_wkb([p["wkb"] for p in places]), crs="EPSG:4326"
    ).to_crs(areas.crs)
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    for place, point in zip(places, points, strict=True):
        if not (xmin <= point.x <= xmax and ymin <= point.y <= ymax):
            continue
        ax.text(
            point.x, point.y, str(place["name"]),
            fontsize=_PLACE_SIZES[str(place["kind"])], color="#222", style="italic",
            ha="center", va="center", zorder=4, clip_on=True,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.55,
                  "linewidth": 0},
        )  # fmt: skip


def _place_labels(ax: Any, chosen: gpd.GeoDataFrame) -> None:
    """Label each hub next to its own marker: of the places around it, nearest first,
    the first that overlaps no other label or hub marker, stays in the frame and lies
    nearer its own marker than any other hub's; where none is clear, the place that
    breaks fewest of these. Labels moved away from their marker get a leader line."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    xy = np.column_stack([chosen.geometry.x, chosen.geometry.y])
    markers = ax.transData.transform(xy)
    radius = np.sqrt(_HUB_MARKER_SIZE) / 2 * fig.dpi / 72 + 2
    frame = ax.get_window_extent(renderer)
    placed: list[Any] = []
    for i, (_, row) in enumerate(chosen.iterrows()):
        text = f"{int(row['selection_order'])}. {row['name']}"
        best: tuple[int, Any, Any] | None = None
        for distance in _LABEL_DISTANCES:
            for angle in _LABEL_DIRECTIONS:
                label = _label(ax, text, xy[i], distance, angle)
                box = label.get_window_extent(renderer).expanded(1.08, 1.25)
                faults = _faults(box, i, markers, radius, placed, frame)
                if best is None or faults < best[0]:
                    if best is not None:
                        best[1].remove()
                    best = (faults, label, box)
                else:
                    label.remove()
                if faults == 0:
                    break
            if best is not None and best[0] == 0:
                break
        assert best is not None
        placed.append(best[2])


def _label(ax: Any, text: str, xy: np.ndarray, distance: float, angle: float) -> Any:
    dx, dy = distance * np.cos(np.radians(angle)), distance * np.sin(np.radians(angle))
    leader = {"arrowstyle": "-", "color": "#333", "lw": 0.8} if distance > 12 else None
    return ax.annotate(
        text,
        (float(xy[0]), float(xy[1])),
        xytext=(dx, dy),
        textcoords="offset points",
        ha="left" if dx > 1 else "right" if dx < -1 else "center",
        va="bottom" if dy > 1 else "top" if dy < -1 else "center",
        fontsize=9,
        weight="bold",
        bbox={"boxstyle": "round", "fc": "white", "alpha": 0.85},
        arrowprops=leader,
        zorder=6,
    )


def _faults(
    box: Any, own: int, markers: np.ndarray, radius: float, placed: list[Any], frame: Any
) -> int:
    """How badly a label's box sits: overlapping labels or other hubs' markers, leaving
    the frame, or nearer another hub than its own (0: a clear place)."""
    gaps = _box_gaps(box, markers)
    others = np.delete(gaps, own)
    outside = box.x0 < frame.x0 or box.x1 > frame.x1 or box.y0 < frame.y0 or box.y1 > frame.y1
    return (
        4 * int((others < gaps[own]).sum())
        + 2 * sum(box.overlaps(other) for other in placed)
        + 2 * int((others < radius).sum())
        + int(outside)
    )


def _box_gaps(box: Any, points: np.ndarray) -> np.ndarray:
    """Distance from each point to the nearest point of ``box`` (0 inside it)."""
    dx = np.maximum(np.maximum(box.x0 - points[:, 0], 0), points[:, 0] - box.x1)
    dy = np.maximum(np.maximum(box.y0 - points[:, 1], 0), points[:, 1] - box.y1)
    return np.hypot(dx, dy)
