"""Pages for everyone: home, health checks, accessibility statement (interface layer)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db

bp = Blueprint("public", __name__)

HOME_BY_ROLE = {
    "declarant": "org.dashboard",
    "org_admin": "org.dashboard",
    "inspector": "inspector.dashboard",
    "municipal_admin": "municipal.dashboard",
    "system_admin": "admin.dashboard",
}


@bp.get("/")
def home() -> object:
    if current_user.is_authenticated:
        return redirect(url_for(HOME_BY_ROLE[current_user.role]))
    return render_template("public/home.html")


@bp.get("/toegankelijkheid")
def accessibility() -> str:
    return render_template("public/accessibility.html")


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """The process is up."""
    return {"status": "ok"}, 200


@bp.get("/readyz")
def readyz() -> tuple[dict[str, str], int]:
    """The database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200
