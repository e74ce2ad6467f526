"""``selection.png``: a static map of the chosen hubs for slides."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd

from estate_planner.outputs.summary import (
    CREDITS,
    NEED_COLOURS,
    MapSource,
    area_summary,
    need_classes,
)

if TYPE_CHECKING:
    from matplotlib.artist import Artist

# label offsets (points) that keep neighbouring hubs' names apart
_LABEL_OFFSETS = [(10, 10, "left"), (10, -22, "left"), (-10, 10, "right"), (-10, -22, "right")]


def _zoom(ax: Any, areas: gpd.GeoDataFrame, shapes: gpd.GeoDataFrame) -> None:
    """Frame the chosen hubs' catchments with room around them, inside the study area."""
    if shapes.empty:
        return
    minx, miny, maxx, maxy = shapes.total_bounds
    pad = max(maxx - minx, maxy - miny) * 0.6
    ax_minx, ax_miny, ax_maxx, ax_maxy = areas.total_bounds
    ax.set_xlim(max(minx - pad, ax_minx), min(maxx + pad, ax_maxx))
    ax.set_ylim(max(miny - pad, ax_miny), min(maxy + pad, ax_maxy))


def write_static_map(result: MapSource, path: Path) -> None:
    """Need per resident by area, services, candidates and the chosen hubs (BNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    class Canvas(FigureCanvasAgg):
        def draw_idle(self, *args: Any, **kwargs: Any) -> None:
            """geopandas asks for a redraw after every layer; one draw, on saving, is enough."""

    # a bare Figure, not pyplot: no global figure state, nothing left open in a notebook
    fig = Figure(figsize=(10, 9))
    Canvas(fig)
    ax = fig.subplots()
    ax.set_axis_off()
    areas = area_summary(result)
    classes, edges = need_classes(areas["need_per_resident"])
    areas.plot(color=[NEED_COLOURS[c] for c in classes], ax=ax, edgecolor="#777", linewidth=0.4)
    deprived = areas[areas["imd_decile"] <= 2]
    if len(deprived):
        deprived.boundary.plot(ax=ax, color="#67001f", linewidth=2, linestyle="--")
    mode = result.scenario.selection_mode
    catchments = result.catchments
    shapes = catchments[(catchments["mode"] == mode) & catchments.geometry.notna()]
    if len(shapes):
        shapes.plot(ax=ax, color="#1a9850", alpha=0.25, edgecolor="#1a9850")
    result.services.plot(ax=ax, marker="P", color="#1b7837", markersize=60, zorder=3)
    others = result.candidates[~result.candidates["selected"]]
    others.plot(ax=ax, color="#bbbbbb", edgecolor="#333", markersize=18, zorder=3)
    chosen = result.selected
    chosen.plot(ax=ax, color="#d7301f", edgecolor="white", markersize=220, zorder=5)
    for i, (_, row) in enumerate(chosen.iterrows()):
        dx, dy, align = _LABEL_OFFSETS[i % len(_LABEL_OFFSETS)]
        ax.annotate(
            f"{int(row['selection_order'])}. {row['name']}",
            (row.geometry.x, row.geometry.y),
            xytext=(dx, dy),
            textcoords="offset points",
            ha=align,
            fontsize=9,
            weight="bold",
            bbox={"boxstyle": "round", "fc": "white", "alpha": 0.85},
            zorder=6,
        )
    _zoom(ax, areas, shapes)
    handles: list[Artist] = [
        Patch(
            facecolor=NEED_COLOURS[i], edgecolor="#777", label=f"{edges[i]:.2f}–{edges[i + 1]:.2f}"
        )
        for i in range(len(edges) - 1)
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
    ax.legend(handles=handles, title="need per resident", loc="lower left", fontsize=8)
    ax.set_title(
        f"{result.scenario.name}: {len(chosen)} hubs ({mode}, "
        f"{result.scenario.access.minutes(mode):g} min)"
    )
    # wrapped here: matplotlib's wrap=True measures the line again for every word
    fig.text(0.01, 0.01, textwrap.fill(CREDITS, 180), fontsize=6, color="#555")
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
