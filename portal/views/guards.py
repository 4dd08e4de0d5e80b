"""The role gate every audience blueprint uses, and the safe ``next`` check (interface layer)."""

from __future__ import annotations

from typing import Any, NoReturn
from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from portal.extensions import login_manager
from portal.services import audit, totp
from portal.views.transaction import commit_point


def safe_next(value: str | None) -> str | None:
    """``value`` when it is a path on this site (``/…``), else None: no open redirects."""
    if not value or len(value) > 2000 or not value.startswith("/"):
        return None
    if value.startswith(("//", "/\\")) or any(ord(c) < 32 or c in "\\\x7f" for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def _here() -> str | None:
    """The current page as a ``next`` value (GET only: a POST cannot be repeated by a redirect)."""
    if request.method not in ("GET", "HEAD"):
        return None
    path = request.full_path if request.query_string else request.path
    return safe_next(path)


def gate(bp: Blueprint, *roles: str) -> None:
    """Only users with one of ``roles`` reach ``bp``; anonymous users go to the login page.

    A session that still owes its second factor (staff roles always, organisation users once they
    enrolled) is sent to the second step first, with this page as ``next``. A logged-in user of
    another role gets 404 (nothing about the area leaks) and an audit event.
    """

    @bp.before_request
    def _role_gate() -> object:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if totp.second_factor_pending(current_user):
            return redirect(url_for("account.second_factor", next=_here()))
        if current_user.role not in roles:
            deny()
        return None


def deny() -> NoReturn:
    """Refuse the logged-in user this page: an "authz_denied" audit event, then 404 (nothing
    about the page leaks). For role checks inside an audience's blueprint too."""
    with commit_point():  # the 404 below must not take the audit event with it
        audit.record(
            "authz_denied",
            actor=current_user,
            object_type="route",
            object_id=request.endpoint or "",
            result="denied",
        )
    abort(404)


def require_role(*roles: str) -> None:
    """``deny()`` unless the logged-in user has one of ``roles``."""
    if current_user.role not in roles:
        deny()


# Upload pages take files of up to 5 MB; the app-wide request limit (MAX_CONTENT_LENGTH, 2 MiB)
# is raised for them only, so a file of 5 MB + 1 byte reaches the form or service and gets its
# own message, and anything larger than this gets the 413 page.
UPLOAD_MAX_CONTENT_LENGTH = 6 * 1024 * 1024


def allow_uploads(bp: Blueprint, *endpoints: str) -> None:
    """Raise the request body limit of ``endpoints`` (``blueprint.view`` names) to 6 MiB."""
    wanted = frozenset(endpoints)

    @bp.url_value_preprocessor
    def _raise_limit(endpoint: str | None, _values: dict[str, Any] | None) -> None:
        # URL value preprocessors run before every before_request function, CSRF's form check
        # included, so the raised limit is in place before anything reads the body.
        if endpoint in wanted:
            request.max_content_length = UPLOAD_MAX_CONTENT_LENGTH
