"""SVG charts: valid XML, geometry proportional to the values, text escaped."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from estate_planner.outputs import charts

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything that is not well-formed XML


def _rects(root: ET.Element) -> list[ET.Element]:
    # the legend's swatches are 10 x 10; data bars carry a <title>
    return [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]


@given(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(-1e6, 1e6, allow_nan=False),
)
@example(0.0, 5e-324)  # found exploring: a span that underflows when divided
def test_nice_ticks_cover_the_range_in_round_steps(a: float, b: float) -> None:
    ticks = charts.nice_ticks(a, b)
    assert ticks[0] <= min(a, b) + 1e-9 and ticks[-1] >= max(a, b) - 1e-9
    steps = [y - x for x, y in itertools.pairwise(ticks)]
    step = steps[0]
    assert all(math.isclose(s, step, rel_tol=1e-6) for s in steps)  # evenly spaced
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m, rel_tol=1e-6) for m in (1, 2, 5, 10))
    assert len(ticks) <= 12


def test_grouped_bars_heights_are_proportional_to_values() -> None:
    values = {"before": [10.0, 20.0, 40.0], "after": [5.0, float("nan"), 35.0]}
    root = _parse(charts.grouped_bars(["a", "b", "c"], values, x_label="x", y_label="y", title="t"))
    bars = _rects(root)
    assert len(bars) == 5  # the NaN bar is left out, not drawn as zero
    heights = [float(b.get("height")) for b in bars]
    drawn = [v for series in values.values() for v in series if not math.isnan(v)]
    # one pixels-per-unit factor for every bar: zero is at the axis
    factors = [h / v for h, v in zip(heights, drawn, strict=True)]
    assert max(factors) == pytest.approx(min(factors), rel=1e-2)
    titles = [b.find(f"{SVG}title").text for b in bars]
    assert titles[2] == "c, before: 40"


def test_stacked_bars_lay_parts_end_to_end() -> None:
    parts = {"p": [0.3, 0.1], "q": [0.2, 0.0], "r": [0.1, 0.8]}  # totals 0.6 and 0.9
    root = _parse(charts.stacked_bars(["s1", "s2"], parts, x_label="score", title="t"))
    bars = _rects(root)
    assert len(bars) == 5  # the zero part is not drawn
    by_row: dict[str, list[ET.Element]] = {}
    for bar in bars:
        by_row.setdefault(bar.get("y"), []).append(bar)
    rows = sorted(by_row.values(), key=lambda r: float(r[0].get("y")))
    totals = []
    for row in rows:
        row.sort(key=lambda r: float(r.get("x")))
        for left, right in itertools.pairwise(row):  # each part starts where the last ended
            end = float(left.get("x")) + float(left.get("width"))
            assert float(right.get("x")) == pytest.approx(end, abs=0.15)
        totals.append(sum(float(r.get("width")) for r in row))
    # one scale for both rows: their lengths keep the ratio of their totals
    assert totals[0] / totals[1] == pytest.approx(0.6 / 0.9, rel=1e-2)


def test_ranges_map_values_linearly() -> None:
    root = _parse(
        charts.ranges(["a", "b"], [1, 2], [5, 4], [3, 2], x_label="rank", title="t", mark=2.5)
    )
    spans = [line for line in root.iter(f"{SVG}line") if line.find(f"{SVG}title") is not None]
    widths = [float(s.get("x2")) - float(s.get("x1")) for s in spans]
    assert widths[0] / widths[1] == pytest.approx(4 / 2, rel=1e-2)
    dots = list(root.iter(f"{SVG}circle"))
    assert float(dots[0].get("cx")) > float(dots[1].get("cx"))  # rank 3 right of rank 2


def test_line_chart_puts_larger_values_higher() -> None:
    root = _parse(charts.line_chart([1.0, 3.0, 2.0], x_label="k", y_label="v", title="t"))
    ys = [float(c.get("cy")) for c in root.iter(f"{SVG}circle")]
    assert ys[1] < ys[2] < ys[0]  # SVG y grows downwards


def test_text_from_input_files_is_escaped() -> None:
    hostile = '<script>alert("x")</script> & "Surgery"'
    svg = charts.stacked_bars([hostile], {"p": [1.0]}, x_label=hostile, title=hostile)
    root = _parse(svg)
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter("script"))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert hostile in texts


def test_a_chart_of_nothing_still_draws() -> None:
    root = _parse(charts.grouped_bars([], {}, x_label="x", y_label="y", title="empty"))
    assert root.find(f"{SVG}title").text == "empty"
