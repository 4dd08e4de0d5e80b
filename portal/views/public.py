"""Pages for everyone: home, receipt verification, health checks, accessibility statement
(interface layer)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal import clock
from portal.domain.errors import InvalidValue
from portal.domain.receipt_codes import normalise_verification_code
from portal.extensions import db
from portal.services.ratelimit import hit
from portal.services.verification import MAX_INPUT_LENGTH, verify_receipt
from portal.views.transaction import commit_point, roll_back

bp = Blueprint("public", __name__)

HOME_BY_ROLE = {
    "declarant": "org.dashboard",
    "org_admin": "org.dashboard",
    "inspector": "inspector.dashboard",
    "municipal_admin": "municipal.dashboard",
    "system_admin": "admin.dashboard",
}

# Receipt lookups per client IP (docs/security.md §5; ASVS 2.4.1 anti-automation), counted in the
# database so every gunicorn worker shares the count.
VERIFY_LIMIT = 30
VERIFY_WINDOW_SECONDS = 10 * 60
VERIFY_STATUS_CODES = {"authentic": 200, "tampered": 200, "not_found": 404, "invalid": 400}


@bp.get("/")
def home() -> object:
    if current_user.is_authenticated:
        return redirect(url_for(HOME_BY_ROLE[current_user.role]))
    return render_template("public/home.html")


@bp.get("/toegankelijkheid")
def accessibility() -> str:
    return render_template("public/accessibility.html")


@bp.get("/verify")
def verify_form() -> object:
    """The form: enter a verification code (GET, so the result page has its own address)."""
    if "code" not in request.args:
        return render_template("public/verify.html")
    code = request.args["code"].strip()
    if not code:
        return render_template("public/verify.html", state="empty"), 400
    return redirect(url_for("public.verify", code=_canonical_code(code) or code))


@bp.get("/verify/<path:code>")
def verify(code: str) -> object:
    """The result of one lookup; rate-limited per client IP.

    A valid code spelled loosely (lower case, spaces, other or missing hyphens) is sent once to
    its canonical address (308), before the limit is counted: the redirect looks nothing up, and
    the lookup at the canonical address is counted once. An invalid code is answered as before.
    """
    canonical = _canonical_code(code)
    if canonical is not None and canonical != code:
        # url_for leaves a lang of None out of the address.
        lang = request.args.get("lang")
        return redirect(url_for("public.verify", code=canonical, lang=lang), 308)
    # Commit the hit at once: a 404 counts too, and a later error must not undo the count.
    with commit_point():
        limit = hit(
            f"verify:{request.remote_addr or 'unknown'}", VERIFY_LIMIT, VERIFY_WINDOW_SECONDS
        )
    if not limit.allowed:
        retry_at = clock.now() + timedelta(seconds=limit.retry_after)
        response = make_response(
            render_template("public/verify.html", state="limited", retry_at=retry_at), 429
        )
        response.headers["Retry-After"] = str(limit.retry_after)
    else:
        result = verify_receipt(code)
        if result.status in ("authentic", "tampered"):
            page = render_template("public/verify_result.html", result=result)
        else:
            page = render_template("public/verify.html", state=result.status, code=code)
        response = make_response(page, VERIFY_STATUS_CODES[result.status])
    # The code is the key to the page: keep it out of caches and search engines.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _canonical_code(code: str) -> str | None:
    if len(code) > MAX_INPUT_LENGTH:  # not a code with typos (services.verification)
        return None
    try:
        return normalise_verification_code(code)
    except InvalidValue:
        return None


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
        roll_back()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200
