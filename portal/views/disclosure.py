"""Coordinated vulnerability disclosure: /.well-known/security.txt (RFC 9116) and the policy
page it points at (interface layer)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, redirect, render_template, url_for

from portal import clock

bp = Blueprint("disclosure", __name__)

SECURITY_TXT_PATH = "/.well-known/security.txt"
EXPIRES_AFTER = timedelta(days=364)  # RFC 9116 §2.5.5: less than a year ahead


def _contact() -> str | None:
    """The configured SECURITY_CONTACT as a bare address, or None when none is set."""
    contact = str(current_app.config["SECURITY_CONTACT"]).strip().removeprefix("mailto:")
    return contact if "@" in contact else None


def security_txt() -> str:
    """The file's text: Contact, Expires (a year ahead, ISO 8601), languages, Canonical, Policy
    (nl and en)."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    contact = _contact()
    expires = (clock.now() + EXPIRES_AFTER).replace(microsecond=0)
    lines = [
        f"Contact: mailto:{contact}",
        f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "Preferred-Languages: nl, en",
        f"Canonical: {base}{SECURITY_TXT_PATH}",
        # The policy page in Dutch (the default language) and in English.
        f"Policy: {base}{url_for('disclosure.policy', lang='nl')}",
        f"Policy: {base}{url_for('disclosure.policy', lang='en')}",
    ]
    return "\n".join(lines) + "\n"


@bp.get(SECURITY_TXT_PATH)
def well_known_security_txt() -> Response:
    if _contact() is None:
        abort(404)  # no contact configured: better no file than one without a way to report
    return Response(security_txt(), mimetype="text/plain")


@bp.get("/security.txt")
def legacy_security_txt() -> object:
    return redirect(SECURITY_TXT_PATH, code=301)


@bp.get("/kwetsbaarheid-melden")
def policy() -> str:
    return render_template("public/disclosure.html", contact=_contact())
