"""Monthly bar charts for the regional figures (service layer), drawn like
``portal.services.charts``: inline SVG, presentation attributes only (strict CSP), a title and a
description for assistive technology; the page shows the same numbers in a table. No Flask:
texts and the month format are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from markupsafe import Markup, escape

from portal.services.charts import (
    AXIS_COLOUR,
    GRID_COLOUR,
    HEIGHT,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    TOTAL_COLOUR,
    WIDTH,
    nice_scale,
)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


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

    parts: list[str] = []
    add = parts.append
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    add(
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(title_id)} {escape(desc_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" focusable="false" font-size="12">'
    )
    add(f'<title id="{escape(title_id)}">{escape(title)}</title>')
    add(f'<desc id="{escape(desc_id)}">{escape(description)}</desc>')
    for value in range(0, top + 1, tick):
        yy = _fmt(y(value))
        add(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{yy}" y2="{yy}" '
            f'stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        add(
            f'<text x="{MARGIN_LEFT - 6}" y="{yy}" text-anchor="end" dominant-baseline="middle" '
            f'fill="{AXIS_COLOUR}">{value}</text>'
        )
    for i, (month, value) in enumerate(zip(months, values, strict=True)):
        x0 = MARGIN_LEFT + slot * i + slot * 0.15
        width = slot * 0.7
        add(
            f'<rect x="{_fmt(x0)}" y="{_fmt(y(value))}" width="{_fmt(width)}" '
            f'height="{_fmt(bottom - y(value))}" fill="{TOTAL_COLOUR}"/>'
        )
        centre = _fmt(x0 + width / 2)
        add(
            f'<text x="{centre}" y="{_fmt(y(value) - 4)}" text-anchor="middle" '
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
    return Markup("".join(parts))  # noqa: S704
