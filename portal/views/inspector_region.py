"""The regional view for inspectors and municipal admins whose municipality is in a region
(interface layer). ``queries.region_of`` is the gate: without a region the pages answer 404.
Figures come from the nightly aggregate; organisations across the region only from the date of
the region's data-sharing agreement (docs/rules.md §3.2)."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, render_template
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.models import Municipality, Region
from portal.presentation.exports import excel_csv
from portal.presentation.spreadsheets import workbook
from portal.presentation.statistics_charts import month_bars
from portal.services import audit
from portal.services.queries import region_of, scope_of
from portal.services.regions import agreement_in_force
from portal.services.statistics import (
    organisations_across,
    regional_figures,
    regional_table,
)
from portal.views.inspector import bp
from portal.views.transaction import commit_point

# The page lists the most widely spread organisations; the CSV has them all.
ORGANISATIONS_SHOWN = 50


def _region() -> tuple[Region, list[Municipality]]:
    found = region_of(scope_of(current_user))
    if found is None:
        abort(404)
    return found


def _month(month: date) -> str:
    return format_date(month, "MMM yy")


@bp.get("/regio")
def region() -> str:
    region, members = _region()
    today = clock.today()
    figures = regional_figures(members, today)
    sharing = agreement_in_force(region, today)
    spread = (
        organisations_across([m.id for m in members], today, ORGANISATIONS_SHOWN + 1)
        if sharing
        else []
    )
    if sharing:
        with commit_point():
            audit.record(
                "region.organisations_viewed",
                actor=current_user,
                object_type="region",
                object_id=region.id,
                detail=f"rows={len(spread)}",
            )
    chart = month_bars(
        figures.months,
        [f.occupants for f in figures.region],
        title=_("Declared occupants in %(region)s per month", region=region.name),
        description=_(
            "Bar chart of the declared occupants on the last day of each month; "
            "the table below lists the same figures."
        ),
        format_month=_month,
        chart_id="region-occupants-chart",
    )
    charts = {
        m.id: month_bars(
            figures.months,
            [f.occupants for f in figures.per_municipality[m.id]],
            title=_("Declared occupants in %(region)s per month", region=m.name),
            description=_(
                "Bar chart of the declared occupants on the last day of each month; "
                "the table below lists the same figures."
            ),
            format_month=_month,
            chart_id=f"occupants-chart-{m.code}",
        )
        for m in members
    }
    return render_template(
        "inspector/region.html",
        charts=charts,
        region=region,
        members=members,
        figures=figures,
        chart=chart,
        sharing=sharing,
        spread=spread[:ORGANISATIONS_SHOWN],
        more_organisations=len(spread) > ORGANISATIONS_SHOWN,
        today=today,
    )


def _export_table() -> tuple[str, list[str], list[list[object]]]:
    region, members = _region()
    figures = regional_figures(members, clock.today())
    header, rows = regional_table(figures, region.name)
    with commit_point():
        audit.record(
            "region.export",
            actor=current_user,
            object_type="region",
            object_id=region.id,
            detail=f"rows={len(rows)}",
        )
    return region.name, header, rows


@bp.get("/regio/cijfers.csv")
def region_csv() -> Response:
    _name, header, rows = _export_table()
    filename = f"regio-cijfers-{clock.today().isoformat()}.csv"
    return Response(
        excel_csv(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/regio/cijfers.xlsx")
def region_xlsx() -> Response:
    name, header, rows = _export_table()
    filename = f"regio-cijfers-{clock.today().isoformat()}.xlsx"
    return Response(
        workbook(name, header, rows),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/regio/organisaties.csv")
def region_organisations_csv() -> Response:
    region, members = _region()
    today = clock.today()
    if not agreement_in_force(region, today):
        abort(404)
    spread = organisations_across([m.id for m in members], today)
    with commit_point():
        audit.record(
            "region.organisations_export",
            actor=current_user,
            object_type="region",
            object_id=region.id,
            detail=f"rows={len(spread)}",
        )
    header = [
        _("Organisation"),
        _("KvK number"),
        _("Municipalities"),
        _("Addresses"),
        _("Declared occupants"),
        _("Addresses with an open signal"),
    ]
    rows = [
        [o.name, o.kvk, o.municipalities, o.addresses, o.occupants, o.open_flags] for o in spread
    ]
    filename = f"regio-organisaties-{today.isoformat()}.csv"
    return Response(
        excel_csv(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
