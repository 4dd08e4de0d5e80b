"""Server-rendered SVG charts (presentation layer): the occupancy of an address against its limit.

No JavaScript and no external assets: the chart is inline SVG with presentation attributes only
(the CSP forbids inline styles and scripts). It is an image with a title and a description for
assistive technology (``role="img"``, ``aria-labelledby``), and the page shows the same numbers
as a table. Every text that goes into the SVG is escaped here. No Flask: texts and the date
format are passed in, so the geometry is testable on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

# Geometry of the drawing in SVG user units; the SVG scales to the width of the page.
WIDTH = 720
HEIGHT = 280
MARGIN_LEFT = 48
MARGIN_RIGHT = 16
MARGIN_TOP = 40  # the legend
MARGIN_BOTTOM = 36  # the date labels
# Colours of the portal's stylesheet (portal.css): --band, --error, --muted, --line.
TOTAL_COLOUR = "#154273"
LIMIT_COLOUR = "#b10e1e"
AXIS_COLOUR = "#4d4d4d"
GRID_COLOUR = "#b1b4b6"
NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000)


@dataclass(frozen=True)
class Step:
    """A period with a constant total and limit (``end`` inclusive; None = open-ended)."""

    start: date
    end: date | None
    total: int
    limit: int | None
    rule: str | None = None

    @property
    def over_by(self) -> int:
        """Occupants above the limit in this period (0 when within it or without a limit)."""
        return 0 if self.limit is None else max(0, self.total - self.limit)


@dataclass(frozen=True)
class StepChart:
    """The SVG and the steps it shows (the same numbers the data table lists)."""

    svg: Markup
    steps: tuple[Step, ...]
    first_day: date
    last_day: date


def merge_steps(steps: Sequence[Step]) -> list[Step]:
    """Join neighbouring steps with the same total, limit and rule."""
    merged: list[Step] = []
    for step in steps:
        last = merged[-1] if merged else None
        if (
            last is not None
            and (last.total, last.limit, last.rule) == (step.total, step.limit, step.rule)
            and last.end is not None
            and last.end + timedelta(days=1) == step.start
        ):
            merged[-1] = Step(last.start, step.end, last.total, last.limit, last.rule)
        else:
            merged.append(step)
    return merged


def window(steps: Sequence[Step], first_day: date, days: int) -> list[Step]:
    """The steps that overlap ``first_day`` … ``first_day + days - 1``, the first one cut to
    start on ``first_day`` (the end of the last one is kept, so "onwards" stays true)."""
    last_day = first_day + timedelta(days=days - 1)
    shown: list[Step] = []
    for step in merge_steps(steps):
        if step.start > last_day or (step.end is not None and step.end < first_day):
            continue
        start = max(step.start, first_day)
        shown.append(Step(start, step.end, step.total, step.limit, step.rule))
    return shown


def nice_scale(highest: int) -> tuple[int, int]:
    """(top of the y axis, tick step): at most 6 ticks, with room above the highest value."""
    highest = max(highest, 1)
    step = next((s for s in NICE_STEPS if highest / s <= 5), NICE_STEPS[-1])
    return step * (highest // step + 1), step


def svg_start(chart_id: str, title: str, description: str) -> list[str]:
    """The opening of a chart: an image named by its title and description for screen readers."""
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(title_id)} {escape(desc_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" focusable="false" font-size="12">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(description)}</desc>',
    ]


def y_grid(y: Callable[[int], float], top: int, tick: int) -> list[str]:
    """Horizontal grid lines with their values on the y axis, every ``tick`` up to ``top``."""
    parts: list[str] = []
    for value in range(0, top + 1, tick):
        yy = fmt(y(value))
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{yy}" y2="{yy}" '
            f'stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{yy}" text-anchor="end" dominant-baseline="middle" '
            f'fill="{AXIS_COLOUR}">{value}</text>'
        )
    return parts


def fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class _Frame:
    """Where days and values land in the drawing of a step chart."""

    first_day: date
    days: int

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=self.days - 1)

    @property
    def bottom(self) -> int:
        return HEIGHT - MARGIN_BOTTOM

    def x(self, day: date) -> float:
        offset = min(max((day - self.first_day).days, 0), self.days)
        return MARGIN_LEFT + (WIDTH - MARGIN_LEFT - MARGIN_RIGHT) * offset / self.days

    def x_end(self, step: Step) -> float:
        # A step covers its last day entirely, so it ends where the next day begins.
        if step.end is None or step.end >= self.last_day:
            return self.x(self.last_day + timedelta(days=1))
        return self.x(step.end + timedelta(days=1))


def _y_of(top: int) -> Callable[[int], float]:
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    return lambda value: MARGIN_TOP + plot_h - plot_h * value / top


def _date_ticks(frame: _Frame, format_day: Callable[[date], str]) -> list[str]:
    """Date ticks: the first day and the first of every month after it."""
    ticks = [frame.first_day]
    month = date(frame.first_day.year, frame.first_day.month, 1)
    while True:
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        if month > frame.last_day:
            break
        ticks.append(month)
    parts: list[str] = []
    bottom = frame.bottom
    for i, day in enumerate(ticks):
        xx = fmt(frame.x(day))
        parts.append(
            f'<line x1="{xx}" x2="{xx}" y1="{bottom}" y2="{bottom + 5}" stroke="{AXIS_COLOUR}" '
            f'stroke-width="1"/>'
        )
        # The first label is left-aligned so it never runs off the drawing; a month tick too
        # close to it is left unlabelled to avoid overlapping text.
        if i > 0 and frame.x(day) - frame.x(frame.first_day) < 48:
            continue
        anchor = "start" if i == 0 else "middle"
        parts.append(
            f'<text x="{xx}" y="{bottom + 20}" text-anchor="{anchor}" fill="{AXIS_COLOUR}">'
            f"{escape(format_day(day))}</text>"
        )
    return parts


def _over_areas(shown: Sequence[Step], frame: _Frame, y: Callable[[int], float]) -> list[str]:
    """Over the limit: shaded between the limit and the total."""
    parts: list[str] = []
    for step in shown:
        if step.limit is not None and step.total > step.limit:
            x0, x1 = frame.x(step.start), frame.x_end(step)
            parts.append(
                f'<rect x="{fmt(x0)}" y="{fmt(y(step.total))}" width="{fmt(x1 - x0)}" '
                f'height="{fmt(y(step.limit) - y(step.total))}" fill="{LIMIT_COLOUR}" '
                f'fill-opacity="0.18"/>'
            )
    return parts


def _lines(shown: Sequence[Step], frame: _Frame, y: Callable[[int], float]) -> list[str]:
    """The limit (dashed, so it does not rest on colour alone) and the total (solid)."""
    parts: list[str] = []
    limit_path: list[str] = []
    pen_down = False
    for step in shown:
        if step.limit is None:
            pen_down = False
            continue
        yy = fmt(y(step.limit))
        limit_path.append(f"{'L' if pen_down else 'M'}{fmt(frame.x(step.start))} {yy}")
        limit_path.append(f"H{fmt(frame.x_end(step))}")
        pen_down = True
    if limit_path:
        parts.append(
            f'<path d="{" ".join(limit_path)}" fill="none" stroke="{LIMIT_COLOUR}" '
            f'stroke-width="2.5" stroke-dasharray="8 5"/>'
        )
    total_path = [
        f"{'L' if i else 'M'}{fmt(frame.x(step.start))} {fmt(y(step.total))} "
        f"H{fmt(frame.x_end(step))}"
        for i, step in enumerate(shown)
    ]
    if total_path:
        parts.append(
            f'<path d="{" ".join(total_path)}" fill="none" stroke="{TOTAL_COLOUR}" '
            f'stroke-width="3"/>'
        )
    return parts


def _axes(bottom: int) -> list[str]:
    return [
        f'<line x1="{MARGIN_LEFT}" x2="{MARGIN_LEFT}" y1="{MARGIN_TOP}" y2="{bottom}" '
        f'stroke="{AXIS_COLOUR}" stroke-width="1"/>',
        f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{bottom}" y2="{bottom}" '
        f'stroke="{AXIS_COLOUR}" stroke-width="1"/>',
    ]


def _legend(total: str, limit: str, over: str) -> list[str]:
    """Legend: line samples with their meaning."""
    parts: list[str] = []
    lx = MARGIN_LEFT
    legend = (
        ("line", TOTAL_COLOUR, "", total),
        ("line", LIMIT_COLOUR, ' stroke-dasharray="8 5"', limit),
        ("box", LIMIT_COLOUR, "", over),
    )
    for kind, colour, dash, text in legend:
        if kind == "line":
            width = "3" if colour == TOTAL_COLOUR else "2.5"
            parts.append(
                f'<line x1="{lx}" x2="{lx + 28}" y1="14" y2="14" stroke="{colour}" '
                f'stroke-width="{width}"{dash}/>'
            )
        else:
            parts.append(
                f'<rect x="{lx}" y="7" width="28" height="14" fill="{colour}" fill-opacity="0.18"/>'
            )
        parts.append(
            f'<text x="{lx + 34}" y="14" dominant-baseline="middle" fill="{AXIS_COLOUR}">'
            f"{escape(text)}</text>"
        )
        # Room for the text: about 7 units per character at this font size.
        lx += 34 + 7 * len(text) + 24
    return parts


def step_chart(
    steps: Sequence[Step],
    first_day: date,
    *,
    days: int = 180,
    title: str,
    description: str,
    legend_total: str,
    legend_limit: str,
    legend_over: str,
    format_day: Callable[[date], str] = date.isoformat,
    chart_id: str = "occupancy-chart",
) -> StepChart:
    """A step chart of the total occupants and the limit per day over ``days`` days."""
    shown = window(steps, first_day, days)
    frame = _Frame(first_day, days)
    values = [s.total for s in shown] + [s.limit for s in shown if s.limit is not None]
    top, tick = nice_scale(max(values, default=0))
    y = _y_of(top)
    parts = svg_start(chart_id, title, description)
    parts += y_grid(y, top, tick)  # grid and y axis labels
    parts += _date_ticks(frame, format_day)
    parts += _over_areas(shown, frame, y)
    parts += _lines(shown, frame, y)
    parts += _axes(frame.bottom)
    parts += _legend(legend_total, legend_limit, legend_over)
    parts.append("</svg>")
    # Safe: every text above went through escape(); the rest are numbers and fixed markup.
    svg = Markup("".join(parts))  # noqa: S704  # nosec B704  # texts escape()d above, rest numbers
    return StepChart(svg, tuple(shown), first_day, frame.last_day)
