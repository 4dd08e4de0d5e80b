"""Pages for system admins (interface layer)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from portal.models import User
from portal.services.queries import municipalities_with_address_counts, scope_of, scoped
from portal.views.guards import gate
from portal.views.pagination import paginate

bp = Blueprint("admin", __name__, url_prefix="/beheer")
gate(bp, "system_admin")


@bp.get("/")
def dashboard() -> str:
    rows = municipalities_with_address_counts(scope_of(current_user))
    return render_template("admin/dashboard.html", rows=rows)


@bp.get("/gebruikers")
def users() -> str:
    page = paginate(scoped(User, scope_of(current_user)).order_by(User.role, User.email))
    return render_template("admin/users.html", page=page)
