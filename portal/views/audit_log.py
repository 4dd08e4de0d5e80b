"""The audit log pages (interface layer): "Logboek" for organisation admins, the municipality's
staff and the system admin, each with a CSV export that is itself audited.

Routes are added to the audience blueprints, so their role gates apply first:
``org.audit_log`` / ``org.audit_log_export`` (org_admin only; a declarant is denied here),
``inspector.audit_log`` / ``inspector.audit_log_export`` (inspector, municipal_admin),
``admin.audit_log`` / ``admin.audit_log_export`` (system_admin).
"""

from __future__ import annotations

from flask import Response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField

from portal import clock
from portal.forms.fields import DutchDateField
from portal.presentation import exports
from portal.presentation.audit import (
    action_label,
    actor_text,
    csv_header,
    csv_rows,
    object_text,
    result_label,
)
from portal.services import audit_log as service
from portal.services.queries import scope_of
from portal.views.admin import bp as admin_bp
from portal.views.guards import require_role
from portal.views.inspector import bp as inspector_bp
from portal.views.org import bp as org_bp
from portal.views.pagination import paginate
from portal.views.transaction import commit_point

PER_PAGE = 50


class AuditFilterForm(FlaskForm):
    """The filters of the log; GET, so no CSRF token is needed."""

    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validate_choice=False)
    date_from = DutchDateField(_l("From"))
    date_until = DutchDateField(_l("Until"))


def _filters() -> tuple[AuditFilterForm, service.AuditFilter]:
    """The filter form from the query string; a date that is not valid is shown and ignored."""
    form = AuditFilterForm(request.args)
    form.validate()
    filters = service.AuditFilter(
        action=(form.action.data or "")[: service.MAX_ACTION_LENGTH],
        date_from=None if form.date_from.errors else form.date_from.data,
        date_until=None if form.date_until.errors else form.date_until.data,
    )
    return form, filters


def _page(endpoint: str, export_endpoint: str) -> str:
    scope = scope_of(current_user)
    form, filters = _filters()
    actions = sorted(
        ((code, action_label(code)) for code in service.visible_actions(scope)),
        key=lambda choice: choice[1].lower(),
    )
    form.action.choices = [("", str(_l("All actions"))), *actions]
    page = paginate(service.events_query(scope, filters), PER_PAGE)
    return render_template(
        "audit/log.html",
        form=form,
        page=page,
        lines=service.audit_lines(page.items, scope),
        with_origin_ip=service.shows_origin_ip_to(scope),
        filters=filters,
        endpoint=endpoint,
        export_endpoint=export_endpoint,
        action_label=action_label,
        result_label=result_label,
        actor_text=actor_text,
        object_text=object_text,
    )


def _export() -> Response:
    scope = scope_of(current_user)
    _form, filters = _filters()
    with_ip = service.shows_origin_ip_to(scope)
    with commit_point():  # the export is audited; the rows are read before the commit
        events = service.export_events(current_user, scope, filters)
        lines = service.audit_lines(events, scope)
        data = exports.excel_csv(csv_header(with_ip), csv_rows(lines, with_ip))
    filename = f"logboek-{clock.today().isoformat()}.csv"
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@org_bp.get("/logboek")
def audit_log() -> str:
    # The organisation blueprint admits declarants too; the log is for its admins.
    require_role("org_admin")
    return _page("org.audit_log", "org.audit_log_export")


@org_bp.get("/logboek/export.csv")
def audit_log_export() -> Response:
    # The organisation blueprint admits declarants too; the log is for its admins.
    require_role("org_admin")
    return _export()


@inspector_bp.get("/logboek", endpoint="audit_log")
def inspector_audit_log() -> str:
    return _page("inspector.audit_log", "inspector.audit_log_export")


@inspector_bp.get("/logboek/export.csv", endpoint="audit_log_export")
def inspector_audit_log_export() -> Response:
    return _export()


@admin_bp.get("/logboek", endpoint="audit_log")
def admin_audit_log() -> str:
    return _page("admin.audit_log", "admin.audit_log_export")


@admin_bp.get("/logboek/export.csv", endpoint="audit_log_export")
def admin_audit_log_export() -> Response:
    return _export()
