"""Small self-contained SVG charts for the HTML report and comparison pages.

Why not matplotlib here: the report's four PNG charts took about 0.6 s of a cached
rerun's few seconds, plus matplotlib's import. An SVG chart is a few kB of text the
browser draws sharply at any zoom, and each bar or point carries its exact value as a
hover title. All text is escaped, so names from input files cannot inject markup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from estate_planner._errors import OptionError

#: Colour-blind-safe series colours (Okabe-Ito), NHS blue first.
PALETTE = ("#005eb8", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
_FONT = 'font-family="system-ui,sans-serif" font-size="11"'


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten apart) covering [low, high].

    Parameters
    ----------
    low, high : float
    count : int
        About how many ticks.

    Returns
    -------
    list of float

    Examples
    --------
    >>> nice_ticks(0, 9.3)
    [0, 2, 4, 6, 8, 10]
    """
    low, high = min(low, high), max(low, high)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise OptionError(f"cannot scale a chart to [{low}, {high}]: give finite bounds")
    # a span too small to divide (0 .. 5e-324 underflows) is drawn as a flat value
    if high - low <= 1e-9 * max(1.0, abs(low), abs(high)):
        low, high = (low - 1, high + 1) if low else (0.0, 1.0)
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step)
    last = math.ceil(high / step)
    # multiples of the step, cleaned of float noise (0.30000000000000004 -> 0.3)
    decimals = max(0, 2 - math.floor(math.log10(step)))
    return [round(k * step, decimals) for k in range(first, last + 1)]


@dataclass(frozen=True)
class _Axis:
    """A linear map from data values onto pixels."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = (self.hi - self.lo) or 1.0  # values equal to within float precision
        return self.start + (value - self.lo) / span * (self.end - self.start)


def _fmt(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _text(x: float, y: float, label: str, anchor: str = "middle", extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {_FONT}{extra}>'
        f"{escape(label)}</text>"
    )


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _legend(names: Sequence[str], x: float, y: float) -> list[str]:
    out = []
    for i, name in enumerate(names):
        out.append(
            f'<rect x="{x:.1f}" y="{y + 16 * i:.1f}" width="10" height="10" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/>'
        )
        out.append(_text(x + 14, y + 16 * i + 9, name, "start"))
    return out


def _value_grid(axis: _Axis, ticks: list[float], other: tuple[float, float], vertical: bool):
    """Grid lines and tick labels of the value axis (y when ``vertical``, else x)."""
    out = []
    a, b = other
    for tick in ticks:
        p = axis(tick)
        if vertical:
            out.append(f'<line x1="{a:.1f}" x2="{b:.1f}" y1="{p:.1f}" y2="{p:.1f}" stroke="#ddd"/>')
            out.append(_text(a - 4, p + 4, _fmt(tick), "end"))
        else:
            out.append(f'<line x1="{p:.1f}" x2="{p:.1f}" y1="{a:.1f}" y2="{b:.1f}" stroke="#ddd"/>')
            out.append(_text(p, b + 14, _fmt(tick)))
    return out


def _finite(values: Sequence[float]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def line_chart(
    values: Sequence[float], *, x_label: str, y_label: str, title: str, width: int = 600
) -> str:
    """Values at x = 1, 2, ... joined by a line, with a dot per value, as inline SVG.

    Parameters
    ----------
    values : sequence of float
    x_label, y_label, title : str
    width : int
        Pixels.

    Returns
    -------
    str
        An ``<svg>`` element; text escaped.
    """
    height, left, right, top, bottom = 260, 70, 20, 12, 44
    ticks = nice_ticks(min([*_finite(values), 0.0]), max([*_finite(values), 0.0]))
    x = _Axis(0.5, len(values) + 0.5, left, width - right)
    y = _Axis(ticks[0], ticks[-1], height - bottom, top)
    body = _value_grid(y, ticks, (left, width - right), vertical=True)
    points = [(x(i + 1), y(v)) for i, v in enumerate(values) if math.isfinite(v)]
    if points:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        body.append(
            f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>'
        )
    for i, v in enumerate(values):
        if math.isfinite(v):
            body.append(
                f'<circle cx="{x(i + 1):.1f}" cy="{y(v):.1f}" r="4" fill="{PALETTE[0]}">'
                f"<title>{i + 1}: {escape(_fmt(v))}</title></circle>"
            )
        body.append(_text(x(i + 1), height - bottom + 16, str(i + 1)))
    body.append(_text((left + width - right) / 2, height - 6, x_label))
    body.append(
        _text(14, (top + height - bottom) / 2, y_label, extra=_rotate(14, top, height, bottom))
    )
    return _svg(width, height, title, body)


def _rotate(x: float, top: float, height: float, bottom: float) -> str:
    return f' transform="rotate(-90 {x} {(top + height - bottom) / 2:.1f})"'


def grouped_bars(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    x_label: str,
    y_label: str,
    title: str,
    width: int = 680,
) -> str:
    """One group of bars per category, one bar per series, as inline SVG.

    Parameters
    ----------
    categories : sequence of str
    series : mapping
        Series name -> one value per category (NaN bars are left out).
    x_label, y_label, title : str
    width : int

    Returns
    -------
    str
    """
    height, left, right, top, bottom = 270, 70, 150, 12, 44
    every = [v for values in series.values() for v in _finite(values)]
    ticks = nice_ticks(min([*every, 0.0]), max([*every, 0.0]))
    y = _Axis(ticks[0], ticks[-1], height - bottom, top)
    body = _value_grid(y, ticks, (left, width - right), vertical=True)
    group = (width - right - left) / max(len(categories), 1)
    bar = group * 0.8 / max(len(series), 1)
    zero = y(max(ticks[0], min(0.0, ticks[-1])))
    for j, (name, values) in enumerate(series.items()):
        for i, value in enumerate(values):
            if value is None or not math.isfinite(value):
                continue
            x0 = left + i * group + group * 0.1 + j * bar
            top_y = min(y(value), zero)
            body.append(
                f'<rect x="{x0:.1f}" y="{top_y:.1f}" width="{bar:.1f}" '
                f'height="{abs(zero - y(value)):.1f}" fill="{PALETTE[j % len(PALETTE)]}">'
                f"<title>{escape(categories[i])}, {escape(name)}: "
                f"{escape(_fmt(value))}</title></rect>"
            )
    for i, category in enumerate(categories):
        body.append(_text(left + (i + 0.5) * group, height - bottom + 16, category))
    body.append(_text((left + width - right) / 2, height - 6, x_label))
    body.append(
        _text(14, (top + height - bottom) / 2, y_label, extra=_rotate(14, top, height, bottom))
    )
    body += _legend(list(series), width - right + 12, top + 4)
    return _svg(width, height, title, body)


def _row_chart(labels: Sequence[str], lo: float, hi: float, width: int, left: int):
    """Frame shared by the horizontal charts: one row per label, value axis along x."""
    row, top, bottom, right = 22, 10, 40, 150
    height = top + bottom + row * max(len(labels), 1)
    ticks = nice_ticks(lo, hi)
    x = _Axis(ticks[0], ticks[-1], left, width - right)
    body = _value_grid(x, ticks, (top, height - bottom), vertical=False)
    centres = [top + row * (i + 0.5) for i in range(len(labels))]
    for label, cy in zip(labels, centres, strict=True):
        body.append(_text(left - 6, cy + 4, label, "end"))
    return body, x, centres, height, right


def ranges(
    labels: Sequence[str],
    low: Sequence[float],
    high: Sequence[float],
    point: Sequence[float],
    *,
    x_label: str,
    title: str,
    mark: float | None = None,
    width: int = 680,
) -> str:
    """A horizontal range (low to high) with a point per label, as inline SVG.

    Parameters
    ----------
    labels : sequence of str
    low, high, point : sequence of float
    x_label, title : str
    mark : float, optional
        A vertical guide line at this value.
    width : int

    Returns
    -------
    str
    """
    values = _finite([*low, *high, *point] + ([mark] if mark is not None else []))
    left = 120
    body, x, centres, height, right = _row_chart(
        labels, min([*values, 0.0]), max([*values, 1.0]), width, left
    )
    for label, a, b, p, cy in zip(labels, low, high, point, centres, strict=True):
        body.append(
            f'<line x1="{x(a):.1f}" x2="{x(b):.1f}" y1="{cy:.1f}" y2="{cy:.1f}" '
            f'stroke="{PALETTE[0]}" stroke-opacity="0.6" stroke-width="8">'
            f"<title>{escape(label)}: {escape(_fmt(a))} to {escape(_fmt(b))}</title></line>"
        )
        body.append(
            f'<circle cx="{x(p):.1f}" cy="{cy:.1f}" r="4" fill="{PALETTE[1]}">'
            f"<title>{escape(label)}: {escape(_fmt(p))}</title></circle>"
        )
    if mark is not None:
        body.append(
            f'<line x1="{x(mark):.1f}" x2="{x(mark):.1f}" y1="4" y2="{height - 40:.1f}" '
            'stroke="#999" stroke-dasharray="5,4"/>'
        )
    body.append(_text((left + width - right) / 2, height - 8, x_label))
    return _svg(width, int(height), title, body)


def stacked_bars(
    labels: Sequence[str],
    parts: Mapping[str, Sequence[float]],
    *,
    x_label: str,
    title: str,
    width: int = 680,
) -> str:
    """One horizontal bar per label made of its parts laid end to end, as inline SVG.

    Parameters
    ----------
    labels : sequence of str
    parts : mapping
        Part name -> one value per label.
    x_label, title : str
    width : int

    Returns
    -------
    str
    """
    totals = [sum(_finite(row)) for row in zip(*parts.values(), strict=True)] or [0.0]
    left = 120
    body, x, centres, height, right = _row_chart(labels, 0.0, max([*totals, 0.0]), width, left)
    ends = [0.0] * len(labels)
    for j, (name, values) in enumerate(parts.items()):
        for i, value in enumerate(values):
            if value is None or not math.isfinite(value) or value <= 0:
                continue
            x0, x1 = x(ends[i]), x(ends[i] + value)
            ends[i] += value
            body.append(
                f'<rect x="{x0:.1f}" y="{centres[i] - 8:.1f}" width="{x1 - x0:.1f}" height="16" '
                f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(labels[i])}, '
                f"{escape(name)}: {escape(_fmt(value))}</title></rect>"
            )
    body += _legend(list(parts), width - right + 12, 12)
    body.append(_text((left + width - right) / 2, height - 8, x_label))
    return _svg(width, int(height), title, body)
