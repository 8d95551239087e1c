"""A grouped bar chart as inline SVG, drawn on the server.

Fourteen days of two numbers is a picture organizers read at a glance, and it needs no
chart library and no script (the console's CSP allows none inline): the SVG scales to
its container through its viewBox (dashboard.css lets a phone scroll it sideways rather
than shrink the labels past reading). Colours are SVG presentation
attributes, which the CSP allows. Screen readers get the `<title>`/`<desc>` pair named
by aria-labelledby, and each bar's own `<title>`; the page adds a table of the same
numbers for anyone who wants them exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 30, 24
INK = "#5b6475"
GRID = "#d9dee7"
TICKS = 4


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]
    color: str


def nice_ceiling(largest: int, ticks: int = TICKS) -> tuple[int, int]:
    """(top of the axis, step between gridlines): a 1, 2 or 5 step giving about `ticks`."""
    if largest <= 0:
        return ticks, 1
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if step * ticks >= largest:
                return step * ticks, step
        magnitude *= 10


def bar_chart(
    chart_id: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    full_labels: Sequence[str] | None = None,
) -> Markup:
    """The SVG element; `labels` name the groups along the x axis, one per value, and
    `full_labels` (default: the same) name them in each bar's tooltip."""
    named = list(full_labels or labels)
    if len(named) != len(labels) or any(len(s.values) != len(labels) for s in series):
        raise ValueError("every series needs one value per label")
    top, step = nice_ceiling(max((v for s in series for v in s.values), default=0))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    group = plot_width / max(1, len(labels))
    bar = group * 0.8 / max(1, len(series))

    def y(value: float) -> float:
        return TOP + plot_height * (1 - value / top)

    parts = [
        f'<svg id="{escape(chart_id)}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-labelledby="{escape(chart_id)}-title '
        f'{escape(chart_id)}-desc" font-family="inherit" font-size="12">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    for tick in range(0, top + 1, step):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{tick}</text>"
        )
    for index, label in enumerate(labels):
        left = LEFT + index * group + group * 0.1
        for number, one in enumerate(series):
            value = one.values[index]
            height = y(0) - y(value)
            parts.append(
                f'<rect x="{left + number * bar:.1f}" y="{y(value):.1f}" '
                f'width="{bar - 1:.1f}" height="{height:.1f}" fill="{escape(one.color)}">'
                f"<title>{escape(named[index])}: {escape(one.name)} {value}</title></rect>"
            )
        parts.append(
            f'<text x="{LEFT + (index + 0.5) * group:.1f}" y="{HEIGHT - 6}" '
            f'text-anchor="middle" fill="{INK}">{escape(label)}</text>'
        )
    x = LEFT
    for one in series:
        parts.append(
            f'<rect x="{x}" y="8" width="12" height="12" fill="{escape(one.color)}"/>'
            f'<text x="{x + 16}" y="18" fill="{INK}">{escape(one.name)}</text>'
        )
        x += 24 + 8 * len(one.name)
    parts.append("</svg>")
    return Markup("".join(parts))
