"""The dossier's occupancy chart (presentation layer): the step chart of an address's total
occupants and limit from today, with its title, description and legend in the user's language.
The inspector's dossier page shows it above the same figures as a table.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import gettext as _

from portal.domain.occupancy import Evaluation
from portal.presentation.charts import Step, StepChart, step_chart

# How far ahead the dossier's occupancy chart looks.
CHART_DAYS = 180


def occupancy_chart(evaluation: Evaluation, today: date, days: int = CHART_DAYS) -> StepChart:
    """The step chart of total and limit from today over ``days`` days, with its texts."""
    steps = [
        Step(s.start, s.end, s.occupants, s.limit.value, s.limit.rule) for s in evaluation.segments
    ]
    last = today + timedelta(days=days - 1)
    shown = [s for s in steps if s.start <= last and (s.end is None or s.end >= today)]
    highest = max((s.total for s in shown), default=0)
    limits = [s.limit for s in shown if s.limit is not None]
    over_days = sum(
        ((min(s.end or last, last) - max(s.start, today)).days + 1) for s in shown if s.over_by
    )
    description = _(
        "Total number of occupants at the address and the limit, per day, from %(start)s to "
        "%(end)s. Highest total: %(highest)s. Lowest limit: %(lowest)s. Days over the limit: "
        "%(days)s. The table below gives the same figures.",
        start=format_date(today, "d MMMM y"),
        end=format_date(last, "d MMMM y"),
        highest=highest,
        lowest=min(limits) if limits else "-",
        days=over_days,
    )
    return step_chart(
        steps,
        today,
        days=days,
        title=_("Occupants and limit over the next %(days)s days", days=days),
        description=description,
        legend_total=_("Total occupants"),
        legend_limit=_("Limit"),
        legend_over=_("Over the limit"),
        format_day=lambda d: format_date(d, "d MMM"),
    )
