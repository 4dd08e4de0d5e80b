"""Pages for municipal admins (interface layer)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from portal import clock
from portal.extensions import db
from portal.models import Municipality, User
from portal.services.municipalities import policy_for
from portal.services.queries import get_scoped_or_404, scope_of, scoped
from portal.views.guards import gate

bp = Blueprint("municipal", __name__, url_prefix="/gemeente")
gate(bp, "municipal_admin")


@bp.get("/")
def dashboard() -> str:
    scope = scope_of(current_user)
    municipality = get_scoped_or_404(Municipality, current_user.municipality_id, scope)
    staff = db.session.execute(scoped(User, scope).order_by(User.role, User.email)).scalars().all()
    policy = policy_for(municipality.id, clock.today())
    return render_template(
        "municipal/dashboard.html", municipality=municipality, staff=staff, policy=policy
    )
