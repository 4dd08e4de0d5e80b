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
from portal.services import audit_log as service
from portal.services.queries import scope_of
from portal.views.admin import bp as admin_bp
from portal.views.guards import require_role
from portal.views.inspector import bp as inspector_bp
from portal.views.org import bp as org_bp
from portal.views.pagination import paginate
from portal.views.transaction import commit_point

PER_PAGE = 50

# Human-readable names of the action codes; unknown codes are shown as they are.
ACTION_LABELS = {
    "login": _l("Log in"),
    "logout": _l("Log out"),
    "signup": _l("Sign up"),
    "verify_email": _l("Email address confirmed"),
    "password_reset_requested": _l("Password reset asked"),
    "password_reset": _l("Password reset"),
    "totp.enrol": _l("Two-factor login set up"),
    "totp.ok": _l("Two-factor code accepted"),
    "totp.failed": _l("Two-factor code refused"),
    "totp.reset": _l("Two-factor login reset"),
    "recovery_code.used": _l("Recovery code used"),
    "recovery_codes.replaced": _l("Recovery codes replaced"),
    "authz_denied": _l("Access refused"),
    "api.auth_failed": _l("API key refused"),
    "invite": _l("Colleague invited"),
    "accept_invite": _l("Invitation accepted"),
    "create_user": _l("User created"),
    "remove_user": _l("Colleague removed"),
    "user.deactivate": _l("User deactivated"),
    "user.alert_mode": _l("Alert setting changed"),
    "apikey.create": _l("API key created"),
    "apikey.revoke": _l("API key revoked"),
    "declaration.new": _l("Declaration filed"),
    "declaration.amendment": _l("Declaration changed"),
    "declaration.end": _l("Declaration ended"),
    "declaration.export": _l("Declarations exported"),
    "declarations.load": _l("Declarations loaded in bulk"),
    "receipt.download": _l("Receipt downloaded"),
    "batch.upload": _l("File uploaded"),
    "batch.file": _l("File filed"),
    "batch.discard": _l("Uploaded file discarded"),
    "batch.errors_export": _l("File errors downloaded"),
    "flag.open": _l("Signal opened"),
    "flag.update": _l("Signal updated"),
    "flag.resolve": _l("Signal resolved"),
    "flag.reopen": _l("Signal reopened"),
    "flag.escalate": _l("Signal escalated"),
    "flag.export": _l("Signals exported"),
    "permit_application.submit": _l("Renewal applied for"),
    "permit_application.answer": _l("Question answered"),
    "permit_application.approve": _l("Renewal approved"),
    "permit_application.reject": _l("Renewal rejected"),
    "permit_application.request_info": _l("More information asked"),
    "permit_document.download": _l("Document downloaded"),
    "region.export": _l("Regional figures exported"),
    "region.organisations_export": _l("Regional organisations exported"),
    "audit.export": _l("Audit log exported"),
}
RESULT_LABELS = {
    "ok": _l("Succeeded"),
    "failed": _l("Failed"),
    "denied": _l("Refused"),
}


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


def result_label(code: str) -> str:
    return str(RESULT_LABELS.get(code, code))


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
        filters=filters,
        endpoint=endpoint,
        export_endpoint=export_endpoint,
        action_label=action_label,
        result_label=result_label,
    )


def _export() -> Response:
    scope = scope_of(current_user)
    _form, filters = _filters()
    header = [
        str(_l("Time (UTC)")),
        str(_l("Actor")),
        str(_l("Action")),
        str(_l("Object")),
        str(_l("Result")),
        str(_l("Origin IP address")),
    ]
    with commit_point():  # the export is audited; the rows are read before the commit
        events = service.export_events(current_user, scope, filters)
        data = exports.excel_csv(header, service.event_rows(events))
    filename = f"logboek-{clock.today().isoformat()}.csv"
    return Response(
        data,
        mimetype="text/csv; charset=utf-8",
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
