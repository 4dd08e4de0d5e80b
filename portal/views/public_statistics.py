"""The open statistics page (interface layer): per municipality and month, every count below 5
shown as "<5" and never derivable from the totals. The same figures as GET /api/v1/statistics."""

from __future__ import annotations

from flask import render_template, request

from portal import clock
from portal.forms import apply_refusal
from portal.forms.regions import StatisticsMonthForm
from portal.services.errors import Refused
from portal.services.statistics import (
    OPEN_MEASURES,
    disclosure_rules,
    open_request,
    open_statistics,
    published_months,
)
from portal.views.public import bp


@bp.get("/statistieken")
def statistics() -> str:
    today = clock.today()
    months = published_months(today)
    form = StatisticsMonthForm(request.args, meta={"csrf": False})
    form.month.choices = [(m.strftime("%Y-%m"), m.strftime("%Y-%m")) for m in reversed(months)]
    chosen = request.args.get("month") or (months[-1].strftime("%Y-%m") if months else None)
    data = None
    if chosen is not None:
        try:
            shown, _level = open_request(chosen, "municipality", today)
        except Refused as exc:
            apply_refusal(form, exc)
        else:
            data = open_statistics(shown, "municipality")
            form.month.data = chosen
    return render_template(
        "public/statistics.html",
        form=form,
        months=months,
        data=data,
        measures=OPEN_MEASURES,
        min_addresses=disclosure_rules().min_addresses,
    )
