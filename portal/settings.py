"""Settings loader (infrastructure): defaults → PORTAL_CONFIG file → PORTAL_* env vars → overrides.

The commented defaults live in ``config/default.toml``. Values from the environment are coerced to
the type of the default, so ``PORTAL_SMTP_PORT=587`` becomes an int and ``PORTAL_MAIL_ECHO=0`` a
bool. In production the app refuses to start with insecure settings (docs/security.md T19).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULTS_FILE = PROJECT_ROOT / "config" / "default.toml"
ENV_PREFIX = "PORTAL_"
DEV_SECRET = "development-only-not-secret"  # noqa: S105 - the known default that production refuses
MIN_SECRET_LENGTH = 32

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(RuntimeError):
    """Raised when the configuration is unusable or unsafe; the message says what to change."""


def _coerce(key: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        low = raw.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ConfigError(f"{ENV_PREFIX}{key}={raw!r} is not a boolean (use true or false)")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError as exc:
            raise ConfigError(f"{ENV_PREFIX}{key}={raw!r} is not a whole number") from exc
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Return the merged settings as a dict of upper-case keys."""
    environ = os.environ if environ is None else environ
    with DEFAULTS_FILE.open("rb") as fh:
        settings: dict[str, Any] = tomllib.load(fh)

    extra = environ.get(f"{ENV_PREFIX}CONFIG")
    if extra:
        path = Path(extra)
        if not path.is_file():
            raise ConfigError(f"PORTAL_CONFIG points at {extra}, which is not a file")
        with path.open("rb") as fh:
            for key, value in tomllib.load(fh).items():
                if key not in settings:
                    raise ConfigError(f"{extra}: unknown setting {key}")
                settings[key] = value

    for key, default in list(settings.items()):
        raw = environ.get(f"{ENV_PREFIX}{key}")
        if raw is not None:
            settings[key] = _coerce(key, raw, default)

    for key, value in (overrides or {}).items():
        settings[key] = value

    settings["DATABASE_URL"] = normalise_database_url(str(settings["DATABASE_URL"]))
    check_retention(settings)
    return settings


def check_retention(settings: Mapping[str, Any]) -> None:
    """Refuse unusable retention periods (RETENTION_* days; the audit trail at least 365)."""
    from portal.domain.retention import problems

    found = problems(settings)
    if found:
        raise ConfigError("; ".join(found))


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver name the operator wrote."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def cookie_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The session cookie, derived from ENV: ``__Host-session``, Secure, HttpOnly, SameSite=Lax,
    Path=/ and no Domain in production (docs/security.md T14). An explicit value in ``settings``
    wins, which is how tests (and check_production) see an unsafe one."""
    production = settings.get("ENV") == "production"
    derived: dict[str, Any] = {
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
    }
    return {key: settings.get(key, value) for key, value in derived.items()}


# OWASP's minimum for argon2id: 19 MiB of memory, 2 passes. The test suite hashes far more cheaply
# (ENV=testing); production refuses to start below this floor.
ARGON2_MIN_MEMORY_KIB = 19 * 1024
ARGON2_MIN_TIME_COST = 2


def _argon2_problem(settings: Mapping[str, Any]) -> str | None:
    memory = int(settings.get("ARGON2_MEMORY_KIB", ARGON2_MIN_MEMORY_KIB))
    passes = int(settings.get("ARGON2_TIME_COST", ARGON2_MIN_TIME_COST))
    if memory >= ARGON2_MIN_MEMORY_KIB and passes >= ARGON2_MIN_TIME_COST:
        return None
    return (
        f"ARGON2_MEMORY_KIB={memory} / ARGON2_TIME_COST={passes} is below the floor of "
        f"{ARGON2_MIN_MEMORY_KIB} KiB and {ARGON2_MIN_TIME_COST} passes"
    )


def production_checks(settings: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """Each production check as (what is checked, the problem or None). docs/security.md T19."""
    secret = str(settings.get("SECRET_KEY") or "")
    url = str(settings.get("DATABASE_URL", ""))
    cookies = cookie_settings(settings)
    checks: list[tuple[str, str | None]] = [
        (
            "SECRET_KEY is long and not the default",
            None
            if secret != DEV_SECRET and len(secret.encode()) >= MIN_SECRET_LENGTH
            else f"SECRET_KEY is the default or shorter than {MIN_SECRET_LENGTH} bytes; "
            "set PORTAL_SECRET_KEY to a long random value",
        ),
        ("DEBUG is off", "DEBUG is on; set PORTAL_DEBUG=false" if settings.get("DEBUG") else None),
        ("password hashing is at least argon2id 19 MiB, 2 passes", _argon2_problem(settings)),
        (
            "DATABASE_URL is PostgreSQL",
            None
            if url.startswith("postgresql")
            else "DATABASE_URL is SQLite or unknown; production runs on PostgreSQL "
            "(set PORTAL_DATABASE_URL=postgresql+psycopg://…)",
        ),
        (
            "PUBLIC_BASE_URL is https",
            None
            if str(settings.get("PUBLIC_BASE_URL", "")).startswith("https://")
            else "PUBLIC_BASE_URL must start with https:// in production",
        ),
        (
            "SESSION_COOKIE_SECURE is on",
            None
            if cookies["SESSION_COOKIE_SECURE"] is True
            else "SESSION_COOKIE_SECURE is false; session cookies must only travel over https",
        ),
        (
            "the session cookie is __Host- (HttpOnly, SameSite, no Domain)",
            None
            if str(cookies["SESSION_COOKIE_NAME"]).startswith("__Host-")
            and cookies["SESSION_COOKIE_HTTPONLY"] is True
            and cookies["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
            and cookies["SESSION_COOKIE_DOMAIN"] in (None, False)
            and cookies["SESSION_COOKIE_PATH"] == "/"
            else "SESSION_COOKIE_NAME/HTTPONLY/SAMESITE/DOMAIN/PATH are not the __Host- defaults",
        ),
        ("sign-up is proven with eHerkenning", _signup_problem(settings)),
    ]
    return checks


SIGNUP_MODES = ("eherkenning", "open")


def signup_mode(settings: Mapping[str, Any]) -> str:
    """How organisations sign up: ``eherkenning`` (proven; the password sign-up page is gone) or
    ``open`` (a password sign-up that anyone may claim a KvK number with: development and the
    demo). Empty: ``eherkenning`` in production, ``open`` elsewhere. docs/eherkenning.md."""
    mode = str(settings.get("SIGNUP_MODE") or "").strip().lower()
    if not mode:
        return "eherkenning" if settings.get("ENV") == "production" else "open"
    if mode not in SIGNUP_MODES:
        raise ConfigError(f"SIGNUP_MODE must be one of {', '.join(SIGNUP_MODES)}, not {mode!r}")
    return mode


def _signup_problem(settings: Mapping[str, Any]) -> str | None:
    try:
        mode = signup_mode(settings)
    except ConfigError as exc:
        return str(exc)
    if mode == "open":
        if settings.get("ALLOW_OPEN_SIGNUP"):
            return None
        return (
            "SIGNUP_MODE=open lets anyone claim any KvK number; set PORTAL_SIGNUP_MODE=eherkenning "
            "(or PORTAL_ALLOW_OPEN_SIGNUP=true to accept that on purpose)"
        )
    missing = [
        key
        for key in (
            "EHERKENNING_DISCOVERY_URL",
            "EHERKENNING_CLIENT_ID",
            "EHERKENNING_CLIENT_SECRET",
        )
        if not settings.get(key)
    ]
    if missing:
        return f"SIGNUP_MODE=eherkenning needs {', '.join(missing)}"
    return None


def check_production(settings: Mapping[str, Any]) -> None:
    """Refuse to run production with an insecure setting; the message names each setting."""
    if settings.get("ENV") != "production":
        return
    problems = [problem for _name, problem in production_checks(settings) if problem]
    if problems:
        raise ConfigError("Refusing to start in production: " + "; ".join(problems))


SUPERUSER_QUERY = "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"


def database_role_problem(connection: Any) -> str | None:
    """The problem with the database role the portal runs as, or None (docs/security.md T19): on
    PostgreSQL it must not be a superuser (a superuser may alter the audit trigger, read files
    and run programs on the database server)."""
    from sqlalchemy import text

    if connection.dialect.name != "postgresql":
        return None
    if connection.execute(text(SUPERUSER_QUERY)).scalar():
        return (
            "the database user in DATABASE_URL is a PostgreSQL superuser; "
            "run the portal as an ordinary role (the owner of its tables, NOSUPERUSER)"
        )
    return None
