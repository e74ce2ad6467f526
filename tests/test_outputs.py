"""The two maps read back from the cache equal maps drawn afresh (outputs/__init__)."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

from estate_planner.cache import Cache
from estate_planner.outputs import background_of, map_html, selection_png
from estate_planner.outputs.summary import view_of


def _html(drawn: object) -> str:
    """map.html with folium's random element ids taken out (they differ on every draw)."""
    text = bytes(drawn).decode()  # type: ignore[call-overload]
    return re.sub(r"[0-9a-f]{32}", "ID", text)


def test_a_drawn_map_read_back_equals_one_drawn_afresh(demo_result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = view_of(demo_result)
    background = background_of(view)
    assert background is not None and background.is_file()
    cache = Cache(tmp_path / "cache")
    for func in (selection_png, map_html):
        first, reused = cache.call_status(func, view, background)
        assert not reused
        again, reused = cache.call_status(func, view, background)
        assert reused
        fresh = func(view, background)
        if func is selection_png:
            assert again.tobytes() == first.tobytes() == fresh.tobytes()
            assert fresh.tobytes().startswith(b"\x89PNG")
        else:
            assert _html(again) == _html(first) == _html(fresh)
            assert "</html>" in _html(fresh)


def test_an_edited_osm_file_draws_a_new_background(demo_result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The OSM extract is keyed by its content: a road renamed in it is not served from
    the entry of the file as it was."""
    view = view_of(demo_result)
    osm = tmp_path / "streets.osm"
    shutil.copy(view.scenario.osm, osm)
    view = dataclasses.replace(view, scenario=dataclasses.replace(view.scenario, osm=str(osm)))
    cache = Cache(tmp_path / "cache")
    before = _html(cache.call(map_html, view, background_of(view)))
    text = osm.read_text()
    assert 'v="High Street"' in text
    osm.write_text(text.replace('v="High Street"', 'v="Renamed Street"'))
    after, reused = cache.call_status(map_html, view, background_of(view))
    assert not reused
    assert _html(after) == _html(map_html(view, osm))
    assert before.count("High Street") >= _html(after).count("High Street")
