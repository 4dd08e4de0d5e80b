"""Pages for system admins (interface layer)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.messages import message
from portal.models import OutboxMessage, User
from portal.notifications.sender import TROUBLE_FILTERS, retry_message, troubled_messages
from portal.services import eherkenning
from portal.services.queries import municipalities_with_address_counts, scope_of, scoped
from portal.services.todo import system_todo
from portal.views.guards import gate
from portal.views.pagination import paginate
from portal.views.transaction import commit_point

bp = Blueprint("admin", __name__, url_prefix="/beheer")
gate(bp, "system_admin")


@bp.get("/")
def dashboard() -> str:
    scope = scope_of(current_user)
    rows = municipalities_with_address_counts(scope)
    return render_template("admin/dashboard.html", rows=rows, todo=system_todo(scope))


@bp.get("/gebruikers")
def users() -> str:
    page = paginate(scoped(User, scope_of(current_user)).order_by(User.role, User.email))
    return render_template("admin/users.html", page=page)


# Outgoing mail is the operator's concern, not a tenant's: the blueprint's system_admin gate is
# the whole access rule here (the outbox has no tenant column).
@bp.get("/uitgaande-mail")
def outbox() -> str:
    """Mail that failed, or is waiting for another try after an error (``?status=`` one of
    the two)."""
    status = request.args.get("status", "")
    status = status if status in TROUBLE_FILTERS else ""
    page = paginate(troubled_messages(status))
    return render_template("admin/outbox.html", page=page, status=status, filters=TROUBLE_FILTERS)


@bp.post("/uitgaande-mail/<int:message_id>/opnieuw")
def outbox_retry(message_id: int) -> object:
    mail = db.session.get(OutboxMessage, message_id)
    if mail is None:
        abort(404)
    with commit_point() as outcome:
        retry_message(mail, current_user)
    if outcome.refused:
        flash(message(outcome.refused.problems[0].code), "error")
    else:
        flash(
            _("The message to %(recipient)s will be sent again.", recipient=mail.recipient),
            "success",
        )
    return redirect(url_for("admin.outbox"))


@bp.get("/overnames")
def takeovers() -> str:
    """Organisations that were claimed with a password and taken over by a proven login."""
    return render_template("admin/takeovers.html", rows=eherkenning.takeovers())
