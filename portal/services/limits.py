"""Anti-automation limits of the browser side (service layer): login lockout, password reset,
sign-up, uploads and PDF downloads (docs/security.md T10, T18; ASVS 2.4.1, 6.3.1, 11.4.2).

Every count lives in the database (``services.ratelimit``), so all gunicorn workers share it.
The figures come from the settings (``config/default.toml``, block "rate limits"). A limit of N
per W seconds holds for any stretch of W seconds (``ratelimit.hit_two_windows``).

Keys name the kind of limit and the subject. Email addresses are stored only as a SHA-256, so
the table of counters holds no address that someone typed. Nothing here commits; the callers
commit at once, so a count survives whatever the request does next.
"""

from __future__ import annotations

import hashlib

from flask import current_app

from portal.models import User
from portal.services import audit
from portal.services.errors import Refused
from portal.services.ratelimit import (
    RateLimitResult,
    forget,
    hit,
    hit_two_windows,
    recent_hits,
    wait_seconds,
)

LOCKED = "login.locked"


def _setting(name: str) -> int:
    return int(current_app.config[name])


def _email_key(kind: str, email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()
    return f"{kind}:{digest}"


def _ip() -> str:
    return audit.origin_ip() or "unknown"


# --- login (T10) -------------------------------------------------------------------------------


def check_login_allowed(email: str) -> None:
    """Count a login attempt from this client address and refuse it (``login.locked``, with the
    seconds to wait as detail) while the address or the account is over its limit.

    Runs before the password is checked, so the answer to a locked account is the same whether
    the account exists and whether the password is right.
    """
    window = _setting("LOGIN_WINDOW_SECONDS")
    by_ip = hit_two_windows(f"login-ip:{_ip()}", _setting("LOGIN_IP_ATTEMPTS"), window)
    if not by_ip.allowed:
        if hit(f"login-ip-noted:{_ip()}", 1, window).allowed:  # once per window, no flood
            audit.record(
                "login.ip_limited",
                actor_label=_ip(),
                result="denied",
                detail=f"more than {_setting('LOGIN_IP_ATTEMPTS')} logins in {window // 60} min",
            )
        raise Refused.one("email", LOCKED, detail=str(by_ip.retry_after))
    previous, current = recent_hits(_email_key("login-fail", email), window)
    wait = wait_seconds(previous, current, _setting("LOGIN_ACCOUNT_FAILURES"), window)
    if wait:
        raise Refused.one("email", LOCKED, detail=str(wait))


def login_failed(email: str, user: User | None, label: str) -> None:
    """Count a failed login of ``email``; the failure that reaches the limit locks the account:
    an audit event ``login.locked`` (never the password; ``label`` is the address as the audit
    trail may show it) and the lockout answer at once."""
    window = _setting("LOGIN_WINDOW_SECONDS")
    limit = _setting("LOGIN_ACCOUNT_FAILURES")
    key = _email_key("login-fail", email)
    hit(key, limit, window)
    previous, current = recent_hits(key, window)
    wait = wait_seconds(previous, current, limit, window)
    if not wait:
        return
    audit.record(
        "login.locked",
        actor=user,
        actor_label=label,
        object_type="user",
        object_id=user.id if user is not None else "unknown",
        result="locked",
        detail=f"{previous + current} failed logins; locked for {wait} s",
    )
    raise Refused.one("email", LOCKED, detail=str(wait))


def login_succeeded(email: str) -> None:
    """Forget the failed logins of ``email`` after a login with the right password."""
    forget(_email_key("login-fail", email))


# --- password reset, sign-up ----------------------------------------------------------------


def password_reset_allowed(email: str) -> bool:
    """Count a reset request for ``email`` from this client; False when either is over its limit
    (the caller then sends nothing and answers as always)."""
    window = _setting("PASSWORD_RESET_WINDOW_SECONDS")
    by_ip = hit_two_windows(f"reset-ip:{_ip()}", _setting("PASSWORD_RESET_IP_LIMIT"), window)
    by_email = hit_two_windows(
        _email_key("reset-email", email), _setting("PASSWORD_RESET_EMAIL_LIMIT"), window
    )
    return by_ip.allowed and by_email.allowed


def signup_attempt() -> RateLimitResult:
    """Count a sign-up attempt from this client address."""
    return hit_two_windows(
        f"signup-ip:{_ip()}", _setting("SIGNUP_IP_LIMIT"), _setting("SIGNUP_WINDOW_SECONDS")
    )


# --- uploads and downloads ------------------------------------------------------------------


def upload_attempt(user: User) -> RateLimitResult:
    """Count a file upload of ``user``."""
    return hit_two_windows(
        f"upload:user:{user.id}", _setting("UPLOAD_LIMIT"), _setting("UPLOAD_WINDOW_SECONDS")
    )


def download_attempt(subject: str) -> RateLimitResult:
    """Count a PDF download of ``subject`` (``user:<id>`` or ``key:<id>``)."""
    return hit_two_windows(
        f"pdf:{subject}", _setting("DOWNLOAD_LIMIT"), _setting("DOWNLOAD_WINDOW_SECONDS")
    )
