"""The role gate every audience blueprint uses (interface layer)."""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask_login import current_user

from portal.extensions import db, login_manager
from portal.services import audit


def gate(bp: Blueprint, *roles: str) -> None:
    """Only users with one of ``roles`` reach ``bp``; anonymous users go to the login page.

    A logged-in user of another role gets 404 (nothing about the area leaks) and an audit event.
    """

    @bp.before_request
    def _role_gate() -> object:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role not in roles:
            audit.record(
                "authz_denied",
                actor=current_user,
                object_type="route",
                object_id=request.endpoint or "",
                result="denied",
            )
            db.session.commit()
            abort(404)
        return None
