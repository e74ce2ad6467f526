"""``Explorer.widget``: the explorer as an ipywidgets panel for a shared screen.

Sliders (hubs, each mode's threshold, the need weights), toggles (which kinds of
service count, services closed), a site picker (force or exclude a candidate), a
development placed by clicking the map, undo and reset; beside them a live
ipyleaflet map of the current state (areas shaded by the share of their people still
beyond reach, the chosen hubs numbered with their catchments, services, candidates
and developments) and the sentence saying what changed against the start.

Every control calls :meth:`Explorer.set` with the scenario keyword it stands for;
the panel holds no logic of its own beyond turning controls into keywords.
Needs the ``notebook`` extra (ipywidgets, ipyleaflet). The base map's tiles come
from OpenStreetMap's tile server when online; offline the map shows its own layers
on a blank ground.
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING, Any

import ipyleaflet as leaflet
import ipywidgets as w

from estate_planner._errors import EstatePlannerError
from estate_planner.explorer.layers import WGS84, layers, legend, zoom
from estate_planner.outputs.summary import credits

if TYPE_CHECKING:
    from estate_planner.explorer.session import Explorer
    from estate_planner.results import RunResult

logger = logging.getLogger(__name__)

NEED_LABELS = {
    "population": "people",
    "age_65_plus": "people 65+",
    "imd_decile_1_2": "most deprived (IMD 1-2)",
}
#: what the site picker can do to a candidate, and the edit it makes
SITE_ACTIONS = {"free": None, "force": "force_candidate", "exclude": "exclude_candidate"}


class ExplorerPanel:
    """The widgets of one explorer; ``box`` is what a notebook displays."""

    def __init__(self, explorer: Explorer, *, tiles: bool = True) -> None:
        self.explorer = explorer
        explorer._widget = self  # the explorer redraws its panel after each change
        self._syncing = False
        scenario = explorer.scenario
        result = explorer.result
        eligible = int((result.candidates["excluded_reason"] == "").sum())
        style = {"description_width": "150px"}
        layout = w.Layout(width="330px")
        self.hubs = w.IntSlider(
            min=0,  # 0: access only, no hub chosen
            max=max(1, min(12, eligible)),
            description="hubs",
            style=style,
            layout=layout,
            continuous_update=False,
        )
        self.minutes = {
            mode: w.IntSlider(
                min=5,
                max=90 if mode == "transit" else 60,
                description=f"{mode} minutes",
                style=style,
                layout=layout,
                continuous_update=False,
            )
            for mode in scenario.network.modes
        }
        self.weights = {
            factor: w.FloatSlider(
                min=0,
                max=3,
                step=0.1,
                description=f"need weight: {label}",
                style=style,
                layout=layout,
                continuous_update=False,
                readout_format=".1f",
            )
            for factor, label in NEED_LABELS.items()
        }
        kinds = list(dict.fromkeys(s.kind for s in scenario.services))
        self.counts = {
            kind: w.Checkbox(description=f"{kind} counts as existing", indent=False)
            for kind in kinds
        }
        services = result.inputs.services
        self.closed = w.SelectMultiple(
            options=[
                (f"{n} ({i})", str(i))
                for i, n in zip(services["service_id"], services["name"], strict=True)
            ],
            description="closed",
            rows=5,
            style=style,
            layout=layout,
        )
        candidates = result.candidates.sort_values("name")
        self.site = w.Dropdown(
            options=[
                (f"{n} ({i})", str(i))
                for i, n in zip(candidates["site_id"], candidates["name"], strict=True)
            ],
            description="site",
            style=style,
            layout=layout,
        )
        self.site_action = w.ToggleButtons(
            options=list(SITE_ACTIONS), style={"button_width": "70px"}
        )
        self.homes = w.BoundedIntText(
            value=2000, min=1, max=100_000, description="homes", style=style, layout=layout
        )
        self.place = w.ToggleButton(description="place homes: click the map", layout=layout)
        self.undo_button = w.Button(description="undo")
        self.reset_button = w.Button(description="back to start")
        self.status = w.HTML()
        self.sentence = w.HTML()
        self.summary = w.HTML()
        self.history = w.HTML()
        self.map = self._map(result, tiles)
        self._layers = leaflet.LayerGroup(name="what-if")
        self.map.add(self._layers)
        self._wire()
        controls = w.VBox(
            [
                w.HTML("<b>Choose</b>"),
                self.hubs,
                *self.minutes.values(),
                w.HTML("<b>Need weights</b>"),
                *self.weights.values(),
                w.HTML("<b>Services</b>"),
                *self.counts.values(),
                self.closed,
                w.HTML("<b>Sites</b>"),
                self.site,
                self.site_action,
                w.HTML("<b>Housing</b>"),
                self.homes,
                self.place,
                w.HBox([self.undo_button, self.reset_button]),
                self.status,
            ],
            layout=w.Layout(width="350px"),
        )
        self.credits = w.HTML()
        right = w.VBox(
            [self.sentence, self.map, self.summary, self.history, self.credits],
            layout=w.Layout(width="760px"),
        )
        # the hubs' and homes' markers draw their own shapes: no Leaflet box behind them
        style_sheet = w.HTML("<style>.leaflet-div-icon{background:transparent;border:none}</style>")
        self.box = w.HBox([controls, right, style_sheet])
        self.refresh()

    # ------------------------------------------------------------------ controls
    def _wire(self) -> None:
        self.hubs.observe(lambda c: self._set(hubs=c["new"]), names="value")
        for mode, slider in self.minutes.items():
            slider.observe(
                lambda c, mode=mode: self._set(**{f"{mode}_minutes": c["new"]}), names="value"
            )
        for factor, slider in self.weights.items():
            slider.observe(lambda c, factor=factor: self._set(**{factor: c["new"]}), names="value")
        for kind, box in self.counts.items():
            box.observe(lambda c, kind=kind: self._set(counts={kind: c["new"]}), names="value")
        self.closed.observe(lambda _: self._edits_changed(), names="value")
        self.site.observe(lambda _: self._show_site_action(), names="value")
        self.site_action.observe(lambda _: self._edits_changed(), names="value")
        self.undo_button.on_click(lambda _: self._go(self.explorer.undo))
        self.reset_button.on_click(lambda _: self._go(self.explorer.reset))
        self.map.on_interaction(self._clicked)

    def _set(self, **changes: Any) -> None:
        if self._syncing:
            return
        self._go(lambda: self.explorer.set(**changes))

    def _go(self, action: Any) -> None:
        self.status.value = "<i>working…</i>"
        try:
            action()
        except EstatePlannerError as exc:
            self.status.value = f"<span style='color:#b2182b'>{html.escape(str(exc))}</span>"
            self.refresh(status=False)
            return
        self.status.value = ""

    def _edits_changed(self) -> None:
        """Closed services and the picked site's state as edits (the rest kept)."""
        if self._syncing:
            return
        scenario = self.explorer.scenario
        site = self.site.value
        kept = []
        for edit in scenario.edits:
            data = edit.model_dump(mode="json", exclude_none=True)
            if edit.action == "close_service":
                continue  # the list below says which are closed
            if edit.action in ("force_candidate", "exclude_candidate") and site in edit.ids:
                data["ids"] = [i for i in edit.ids if i != site]
                if not data["ids"]:
                    continue
            kept.append(data)
        closed = list(self.closed.value)
        if closed:
            kept.append({"action": "close_service", "ids": closed})
        action = SITE_ACTIONS[self.site_action.value]
        if action is not None:
            kept.append({"action": action, "ids": [site]})
        self._set(edits=kept)

    def _show_site_action(self) -> None:
        self._syncing = True
        try:
            self.site_action.value = self._site_state(self.site.value)
        finally:
            self._syncing = False

    def _site_state(self, site: str) -> str:
        for edit in reversed(self.explorer.scenario.edits):
            if site in edit.ids and edit.action in ("force_candidate", "exclude_candidate"):
                return "force" if edit.action == "force_candidate" else "exclude"
        return "free"

    def _clicked(self, **event: Any) -> None:
        if event.get("type") != "click" or not self.place.value:
            return
        latitude, longitude = event["coordinates"]
        self.place.value = False
        self._set(
            add_development={
                "homes": int(self.homes.value),
                "longitude": round(float(longitude), 6),
                "latitude": round(float(latitude), 6),
            }
        )

    # ------------------------------------------------------------------ showing
    def refresh(self, *, status: bool = True) -> None:
        """Show the explorer's current state: controls, map, sentence, summary.

        Parameters
        ----------
        status : bool
            Clear the status line (kept when it shows why a change was refused).
        """
        explorer = self.explorer
        scenario = explorer.scenario
        self._syncing = True
        try:
            self.hubs.value = scenario.selection.hubs
            for mode, slider in self.minutes.items():
                slider.value = round(scenario.access.minutes(mode))
            for factor, slider in self.weights.items():
                slider.value = float(scenario.need.weights.get(factor, 0.0))
            for kind, box in self.counts.items():
                box.value = all(s.counts for s in scenario.services if s.kind == kind)
            closed = [i for e in scenario.edits if e.action == "close_service" for i in e.ids]
            self.closed.value = tuple(i for i in closed if i in dict(self.closed.options).values())
            self.site_action.value = self._site_state(self.site.value)
        finally:
            self._syncing = False
        self.sentence.value = f"<b>{html.escape(explorer.what_changed())}</b>"
        self.summary.value = explorer.summary._repr_html_()
        self.history.value = _history_html(explorer.history)
        self.credits.value = f"<small>{html.escape(credits(explorer.result))}</small>"
        if status:
            self.status.value = ""
        self._draw(explorer.result)

    def _map(self, result: RunResult, tiles: bool) -> leaflet.Map:
        south, west, north, east = result.inputs.areas.to_crs(WGS84).total_bounds[[1, 0, 3, 2]]
        layers: tuple[Any, ...] = ()
        if tiles:
            layers = (
                leaflet.TileLayer(
                    url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                    attribution="© OpenStreetMap contributors",
                    name="OpenStreetMap (needs internet)",
                    max_zoom=19,
                ),
            )
        fmap = leaflet.Map(
            center=((south + north) / 2, (west + east) / 2),
            zoom=zoom(east - west, north - south),
            layers=layers,
            scroll_wheel_zoom=True,
            layout=w.Layout(height="520px"),
        )
        fmap.add(leaflet.ScaleControl(position="bottomleft"))
        fmap.add(leaflet.LayersControl(position="topright"))
        fmap.add(
            leaflet.LegendControl(legend(), title="Share beyond reach", position="bottomright")
        )
        return fmap

    def _draw(self, result: RunResult) -> None:
        self._layers.layers = tuple(layers(result))


def _history_html(history: list[dict[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{n}</td><td>{html.escape(h['change'])}</td>"
        f"<td>{html.escape(', '.join(h['chosen']))}</td>"
        f"<td style='text-align:right'>{h['brought_within_reach']:,.0f}</td>"
        f"<td style='text-align:right'>{h['seconds']:.2f}</td></tr>"
        for n, h in enumerate(history)
    )
    return (
        "<details><summary>changes so far</summary><table><tr><th>#</th><th>change</th>"
        "<th>hubs</th><th>people brought within reach</th><th>seconds</th></tr>"
        f"{rows}</table></details>"
    )
