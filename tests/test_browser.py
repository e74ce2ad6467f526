"""map.html and report.html in a real browser (Debian's Chromium), network blocked.

Skipped with a reason when Chromium or Playwright is missing, except under CI=true,
where that is a failure. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from estate_planner.cli import main

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
XSS = "<script>alert(1)</script>"
AWKWARD = "St Mary's & St Ann's `${x}` \\ Ysbyty Gwynedd"


def _require_browser() -> None:
    problem = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "playwright is not installed (pip install -e '.[dev]')"
    if problem is None and not Path(CHROMIUM).exists():
        problem = "Chromium is not installed (apt-get install chromium chromium-driver)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {problem}")
        pytest.skip(problem)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        args = [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ]
        instance = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield instance
        instance.close()


class Page:
    """A page opened from disk with every non-file request refused."""

    def __init__(self, browser, path: Path) -> None:  # type: ignore[no-untyped-def]
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.blocked: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)
        self.page.goto(path.as_uri(), wait_until="load")

    def _route(self, route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _console(self, message) -> None:  # type: ignore[no-untyped-def]
        # A refused tile request is the network being blocked, not a script error.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def _dialog(self, dialog) -> None:  # type: ignore[no-untyped-def]
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / name), full_page=False)


POPUPS_JS = """() => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  const out = [];
  map.eachLayer(l => { const p = l.getPopup && l.getPopup();
    if (!p) return;
    let c = p.getContent();
    if (typeof c === 'function') {  // a GeoJSON layer's popup is made per feature
      l.eachLayer(f => { const d = c(f); out.push(typeof d === 'string' ? d : d.innerHTML); });
      return;
    }
    out.push(typeof c === 'string' ? c : c.innerHTML); });
  return out;
}"""


def check_map(browser, out: Path, hubs: int, label: str) -> Page:  # type: ignore[no-untyped-def]
    page = Page(browser, out / "map.html")
    overlays = page.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    names = " | ".join(overlays)
    for expected in (
        "Unmet need (beyond",
        "Need per resident",
        "deciles 1-2 (most deprived)",  # named with the index: "IMD (IoD 2019) deciles 1-2"
        "Existing services",
        "Candidate sites",
        "Chosen hubs",
    ):
        assert expected in names, f"layer {expected!r} missing from {names}"
    assert page.page.locator(".ep-hub").count() == hubs
    # every small area has its popup (one GeoJSON layer makes them per feature)
    popups = page.page.evaluate(POPUPS_JS)
    areas = [c for c in popups if "Population:" in c and "per resident" in c]
    demand = gpd.read_file(out / "results.gpkg", layer="demand")
    assert len(areas) == demand["area_id"].nunique()
    ranking = pd.read_csv(out / "ranking.csv")
    first = ranking[ranking["selection_order"] == 1]["name"].iloc[0]
    page.page.locator(".ep-hub", has_text="1").first.click()
    popup = page.page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=5000)
    assert first in popup.inner_text()
    page.page.wait_for_timeout(400)
    page.shot(f"{label}-map.png")
    assert page.errors == [], page.errors
    return page


def test_demo_map_in_a_browser(browser, demo_outputs: Path, demo_scenario) -> None:  # type: ignore[no-untyped-def]
    page = check_map(browser, demo_outputs, demo_scenario.selection.hubs, "demo")
    # public transport: a catchment layer of the places the buses reach from the hubs
    labels = page.page.locator(".leaflet-control-layers-overlays label")
    transit = labels.filter(has_text="Chosen hubs: transit 20 min")
    assert transit.count() == 1
    transit.locator("input").check()
    page.page.wait_for_timeout(300)
    paths = page.page.locator("path.leaflet-interactive[stroke='#984ea3']")
    assert paths.count() >= demo_scenario.selection.hubs
    page.shot("demo-map-transit.png")
    assert page.errors == []


def test_served_areas_layer_names_each_hub(browser, demo_outputs: Path) -> None:  # type: ignore[no-untyped-def]
    """The "Served areas" layer: a shape per hub in the hub's legend colour, popups naming
    the hub and counting its people as the hubs table does."""
    from estate_planner.outputs.maps import HUB_SERVED_COLOURS

    page = Page(browser, demo_outputs / "map.html")
    label = page.page.locator(".leaflet-control-layers-overlays label", has_text="Served areas")
    assert label.count() == 1
    label.locator("input").check()
    page.page.wait_for_timeout(300)
    hubs = pd.read_csv(demo_outputs / "hubs.csv")
    for i in range(len(hubs)):
        drawn = page.page.locator(f"path.leaflet-interactive[fill='{HUB_SERVED_COLOURS[i]}']")
        assert drawn.count() >= 1, hubs["name"].iloc[i]
    legend = page.page.locator(".ep-legend").inner_text()
    popups = [c for c in page.page.evaluate(POPUPS_JS) if "Served by <b>" in c]
    for row in hubs.itertuples():
        assert f"{row.selection_order}. {row.name}" in legend
        mine = [c for c in popups if f"site {row.site_id})" in c]
        assert len(mine) == 1 and f"{row.people_served:,.0f} people live here" in mine[0]
    page.shot("demo-map-served.png")
    assert page.errors == []


def test_demo_report_shows_transit_beside_walk_and_drive(browser, demo_outputs: Path) -> None:  # type: ignore[no-untyped-def]
    page = Page(browser, demo_outputs / "report.html")
    text = page.page.locator("body").inner_text()
    for mode in ("walk", "drive", "transit"):
        assert f"{mode}\t" in text or f"{mode} " in text, mode
    assert "bus_gtfs.zip" in text  # the timetable is credited among the inputs
    assert page.errors == []


def test_demo_report_in_a_browser(browser, demo_outputs: Path) -> None:  # type: ignore[no-untyped-def]
    page = Page(browser, demo_outputs / "report.html")
    assert page.page.locator("h1").inner_text().startswith("Eastmere")
    charts = page.page.locator("figure svg")
    assert charts.count() >= 2
    drawn = page.page.evaluate(
        "() => [...document.querySelectorAll('figure svg')].map(s => s.getBoundingClientRect())"
        ".map(r => r.width > 100 && r.height > 100)"
    )
    assert all(drawn)
    # each bar carries its value as a hover title
    assert page.page.locator("figure svg rect title").count() > 0
    page.shot("demo-report.png")
    assert page.errors == [] and page.blocked == []


@pytest.fixture(scope="module")
def hostile_outputs(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with HTML and awkward characters in names, in a chosen hub among others."""
    folder = tmp_path_factory.mktemp("hostile")
    for item in demo_dir.iterdir():
        if item.is_file():
            shutil.copy(item, folder / item.name)
    candidates = pd.read_csv(folder / "candidates.csv")
    candidates.loc[candidates["site_id"] == "CNL007", "name"] = XSS
    candidates.loc[candidates["site_id"] == "RT001", "name"] = AWKWARD
    candidates.to_csv(folder / "candidates.csv", index=False)
    out = folder / "out"
    assert main(["-q", "run", str(folder / "scenario.toml"), "--out", str(out)]) == 0
    return out


def test_text_from_inputs_shows_as_text_and_runs_nothing(browser, hostile_outputs: Path) -> None:  # type: ignore[no-untyped-def]
    page = Page(browser, hostile_outputs / "map.html")
    page.page.locator(".ep-hub", has_text="1").first.click()
    popup = page.page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=5000)
    assert XSS in popup.inner_text()  # shown literally...
    assert popup.locator("script").count() == 0  # ...and not as an element
    contents = " ".join(page.page.evaluate(POPUPS_JS))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in contents
    assert (
        "St Mary&#x27;s &amp; St Ann&#x27;s" in contents or "St Mary's &amp; St Ann's" in contents
    )
    page.page.wait_for_timeout(400)  # let the popup finish fading in
    page.shot("hostile-map.png")
    assert page.dialogs == [] and page.errors == []
    report = Page(browser, hostile_outputs / "report.html")
    assert XSS in report.page.locator("body").inner_text()
    assert AWKWARD in report.page.locator("body").inner_text()
    assert report.dialogs == [] and report.errors == []


@pytest.mark.usefixtures("shared_data")
def test_rutland_map_in_a_browser(browser, tmp_path_factory: pytest.TempPathFactory) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("rutland")
    assert main(["-q", "run", str(REPO / "scenarios" / "rutland.toml"), "--out", str(out)]) == 0
    assert (out / "map.html").stat().st_size < 5_000_000
    page = check_map(browser, out, 3, "rutland")
    page.page.locator(".leaflet-popup-close-button").click()
    check_fit(page.page.evaluate(FIT_JS))
    # a candidate from a register says which, with its identifiers
    memorial = [c for c in page.page.evaluate(POPUPS_JS) if "Rutland Memorial Hospital" in c]
    assert any(
        "From HospitalEstatesAndFacilitiesStatistics_13944.XLS (ref RT5PC)" in c
        and "spare 174 m²" in c
        for c in memorial
    ), memorial


FIT_JS = """() => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  const size = map.getSize();
  let bounds = null;
  map.eachLayer(l => { if (l.getBounds && l.feature === undefined && l.getLayers) {
    const b = l.getBounds(); if (b.isValid()) bounds = bounds ? bounds.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast()); } });
  const sw = map.latLngToContainerPoint(bounds.getSouthWest());
  const ne = map.latLngToContainerPoint(bounds.getNorthEast());
  // the free part of the frame: between an open legend and an expanded layer list
  const legend = document.querySelector('details.ep-legend[open]');
  const layers = document.querySelector('.leaflet-control-layers-expanded');
  const left = legend ? legend.getBoundingClientRect().right : 0;
  const right = layers ? layers.getBoundingClientRect().left : size.x;
  return {width: right - left, height: size.y, left: left, right: right,
          x0: sw.x, x1: ne.x, y0: ne.y, y1: sw.y};
}"""


def check_fit(fit: dict) -> None:  # type: ignore[type-arg]
    """The area fills the free part of the frame in one direction and lies inside it."""
    fill = max((fit["x1"] - fit["x0"]) / fit["width"], (fit["y1"] - fit["y0"]) / fit["height"])
    assert 0.85 <= fill <= 1.0, fit
    assert fit["left"] <= fit["x0"] + 1 and fit["x1"] <= fit["right"] + 1, fit
    assert fit["y0"] + 1 >= 0 and fit["y1"] <= fit["height"] + 1, fit


def covered_share(frame, selectors: list[str]) -> float:  # type: ignore[no-untyped-def]
    """Share of the frame's map covered by the given controls (their boxes' union, roughly)."""
    size = frame.evaluate("() => [window.innerWidth, window.innerHeight]")
    area = 0.0
    for selector in selectors:
        for box in frame.locator(selector).all():
            b = box.bounding_box()
            if b:
                area += b["width"] * b["height"]
    return area / (size[0] * size[1])


def test_map_opens_fitted_to_the_area_and_a_popup_hides_its_tooltip(
    browser, demo_outputs: Path
) -> None:  # type: ignore[no-untyped-def]
    page = Page(browser, demo_outputs / "map.html")
    check_fit(page.page.evaluate(FIT_JS))
    hub = page.page.locator(".ep-hub", has_text="1").first
    hub.hover()
    page.page.locator(".leaflet-tooltip").first.wait_for(state="visible", timeout=5000)
    hub.click()
    page.page.locator(".leaflet-popup-content").wait_for(state="visible", timeout=5000)
    page.page.wait_for_timeout(300)
    opacities = page.page.evaluate(
        "() => [...document.querySelectorAll('.leaflet-tooltip')].map(t => getComputedStyle(t).opacity)"
    )
    assert all(float(o) == 0 for o in opacities), opacities
    assert page.errors == []


@pytest.fixture(scope="module")
def comparison_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("compare")
    base = REPO / "data" / "demo" / "scenario.toml"
    whatif = REPO / "data" / "whatifs" / "north_edge_development.toml"
    assert main(["-q", "compare", str(base), str(whatif), "--out", str(out)]) == 0
    return out


def test_comparison_maps_are_readable_side_by_side(
    browser, comparison_outputs: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # one file a planner can email: copied alone into an empty folder, it still shows all
    alone = tmp_path / "emailed"
    alone.mkdir()
    shutil.copy(comparison_outputs / "comparison.html", alone / "comparison.html")
    page = Page(browser, alone / "comparison.html")
    assert "hubs are chosen" in page.page.locator(".brief").inner_text()
    page.shot("comparison-top.png")
    page.page.locator("iframe").first.scroll_into_view_if_needed()
    page.page.wait_for_timeout(800)
    page.shot("comparison.png")
    titles = {"base map": "base", "what-if map": "whatif"}
    frames = {
        titles[f.frame_element().get_attribute("title") or ""]: f
        for f in page.page.frames
        if f.url == "about:srcdoc"
    }
    assert set(frames) == {"base", "whatif"}
    for name, frame in frames.items():
        frame.locator(".leaflet-container").wait_for(timeout=5000)
        # the layer list and the legend are folded: the map is mostly visible
        covered = covered_share(frame, [".leaflet-control-layers", ".ep-legend"])
        assert covered < 0.1, (name, covered)
        # every image of the page's own loads (no marker-icon.png looked for beside it);
        # map tiles come from the internet, which is blocked here
        broken = frame.evaluate(
            "() => [...document.images].filter(i => !i.src.startsWith('https://tile.'))"
            ".filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
        )
        assert broken == [], broken
        check_fit(frame.evaluate(FIT_JS))
    whatif = frames["whatif"]
    assert whatif.locator(".ep-development").count() == 1
    whatif.locator(".ep-legend summary").click()
    assert "new development (what-if)" in whatif.locator(".ep-legend").inner_text()
    assert page.errors == []
    assert all(url.startswith("https://tile.openstreetmap.org/") for url in page.blocked)


def test_report_first_page_carries_the_headline_shares(browser, demo_outputs: Path) -> None:  # type: ignore[no-untyped-def]
    """The board's numbers, computed here from results.gpkg, are on the first page and
    on the map."""
    demand = gpd.read_file(demo_outputs / "results.gpkg", layer="demand")
    minutes = 15  # the demo's walk threshold
    before = demand["minutes_to_service_walk"].fillna(1e9) <= minutes
    after = demand["minutes_to_hub_walk"].fillna(1e9) <= minutes
    people = demand["population"]
    beyond = people[~before].sum()
    deprived = demand["imd_decile"].fillna(99) <= 2
    brought = people[~before & after].sum()
    page = Page(browser, demo_outputs / "report.html")
    board = page.page.locator("#board")
    text = " ".join(board.inner_text().split())
    assert (
        f"Today {beyond:,.0f} of {people.sum():,.0f} people ({beyond / people.sum():.1%})" in text
    )
    assert f"{people[~before & deprived].sum():,.0f} of them in the most deprived fifth" in text
    assert f"bring {brought:,.0f} of them ({brought / beyond:.1%}) within 15 minutes" in text
    assert "How sure (the table" in text and "existing services counted: gp, pharmacy" in text
    box = board.bounding_box()
    assert box is not None and box["y"] < 200  # the first thing on the page
    page.shot("demo-report-board.png")
    assert page.errors == []
    legend = " ".join(
        Page(browser, demo_outputs / "map.html").page.locator(".ep-headline").inner_text().split()
    )
    assert f"{beyond:,.0f} people ({beyond / people.sum():.1%}) live beyond 15 min walk" in legend
