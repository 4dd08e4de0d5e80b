"""Monthly bar charts for the regional figures (presentation layer), drawn like
``portal.presentation.charts``: inline SVG, presentation attributes only (strict CSP), a title
and a description for assistive technology; the page shows the same numbers in a table. No
Flask: texts and the month format are passed in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from markupsafe import Markup, escape

from portal.presentation.charts import (
    AXIS_COLOUR,
    HEIGHT,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    TOTAL_COLOUR,
    WIDTH,
    fmt,
    nice_scale,
    svg_start,
    y_grid,
)


def month_bars(
    months: Sequence[date],
    values: Sequence[int],
    *,
    title: str,
    description: str,
    format_month: Callable[[date], str] = lambda m: m.strftime("%m-%Y"),
    chart_id: str = "month-chart",
) -> Markup:
    """One bar per month, labelled with its value."""
    top, tick = nice_scale(max(values, default=0))
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    bottom = MARGIN_TOP + plot_h
    slot = plot_w / max(len(months), 1)

    def y(value: int) -> float:
        return bottom - plot_h * value / top

    parts = svg_start(chart_id, title, description)
    add = parts.append
    parts += y_grid(y, top, tick)
    for i, (month, value) in enumerate(zip(months, values, strict=True)):
        x0 = MARGIN_LEFT + slot * i + slot * 0.15
        width = slot * 0.7
        add(
            f'<rect x="{fmt(x0)}" y="{fmt(y(value))}" width="{fmt(width)}" '
            f'height="{fmt(bottom - y(value))}" fill="{TOTAL_COLOUR}"/>'
        )
        centre = fmt(x0 + width / 2)
        add(
            f'<text x="{centre}" y="{fmt(y(value) - 4)}" text-anchor="middle" '
            f'fill="{AXIS_COLOUR}">{value}</text>'
        )
        add(
            f'<text x="{centre}" y="{bottom + 20}" text-anchor="middle" fill="{AXIS_COLOUR}">'
            f"{escape(format_month(month))}</text>"
        )
    add(
        f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{bottom}" y2="{bottom}" '
        f'stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    )
    add("</svg>")
    # Safe: every text above went through escape(); the rest are numbers and fixed markup.
    return Markup("".join(parts))  # noqa: S704  # nosec B704  # texts escape()d above, rest numbers
