"""Settings loader (infrastructure): defaults → PORTAL_CONFIG file → PORTAL_* env vars → overrides.

The commented defaults live in ``config/default.toml``. Values from the environment are coerced to
the type of the default, so ``PORTAL_SMTP_PORT=587`` becomes an int and ``PORTAL_MAIL_ECHO=0`` a
bool. In production the app refuses to start with insecure settings (SECURITY.md T19).
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
    return settings


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver name the operator wrote."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def check_production(settings: Mapping[str, Any]) -> None:
    """Refuse to run production with a default or short secret key or with debug on."""
    if settings.get("ENV") != "production":
        return
    secret = str(settings.get("SECRET_KEY") or "")
    problems = []
    if secret == DEV_SECRET or len(secret) < MIN_SECRET_LENGTH:
        problems.append(
            f"SECRET_KEY is the default or shorter than {MIN_SECRET_LENGTH} characters; "
            "set PORTAL_SECRET_KEY to a long random value"
        )
    if settings.get("DEBUG"):
        problems.append("DEBUG is on; set PORTAL_DEBUG=false")
    if str(settings.get("DATABASE_URL", "")).startswith("sqlite"):
        problems.append("DATABASE_URL is SQLite; production runs on PostgreSQL")
    if not str(settings.get("PUBLIC_BASE_URL", "")).startswith("https://"):
        problems.append("PUBLIC_BASE_URL must start with https:// in production")
    if problems:
        raise ConfigError("Refusing to start in production: " + "; ".join(problems))
