"""Configuration: defaults, environment overrides, production refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.settings import ConfigError, check_production, load_settings

GOOD_SECRET = "x" * 40


def test_defaults_are_loaded_from_config_default_toml() -> None:
    settings = load_settings(environ={})
    assert settings["DEFAULT_LOCALE"] == "nl"
    assert settings["SESSION_IDLE_MINUTES"] == 30
    assert settings["PASSWORD_MIN_LENGTH"] == 15


@pytest.mark.parametrize(
    ("env", "key", "expected"),
    [
        ({"PORTAL_SMTP_PORT": "587"}, "SMTP_PORT", 587),
        ({"PORTAL_SMTP_STARTTLS": "true"}, "SMTP_STARTTLS", True),
        ({"PORTAL_MAIL_ECHO": "0"}, "MAIL_ECHO", False),
        ({"PORTAL_LOCALES": "nl, en"}, "LOCALES", ["nl", "en"]),
        ({"PORTAL_SMTP_HOST": "smtp.gemeente.nl"}, "SMTP_HOST", "smtp.gemeente.nl"),
        (
            {"PORTAL_DATABASE_URL": "postgresql://u@h/db"},
            "DATABASE_URL",
            "postgresql+psycopg://u@h/db",
        ),
    ],
)
def test_environment_variables_override_defaults_with_the_default_type(
    env: dict[str, str], key: str, expected: object
) -> None:
    assert load_settings(environ=env)[key] == expected


def test_a_bad_boolean_in_the_environment_is_refused_with_its_name() -> None:
    with pytest.raises(ConfigError, match="PORTAL_SMTP_STARTTLS"):
        load_settings(environ={"PORTAL_SMTP_STARTTLS": "maybe"})


def test_config_file_is_read_before_environment(tmp_path: Path) -> None:
    file = tmp_path / "portal.toml"
    file.write_text('SMTP_HOST = "from-file"\nSMTP_PORT = 2525\n')
    settings = load_settings(environ={"PORTAL_CONFIG": str(file), "PORTAL_SMTP_PORT": "587"})
    assert settings["SMTP_HOST"] == "from-file"
    assert settings["SMTP_PORT"] == 587


def test_unknown_key_in_config_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "portal.toml"
    file.write_text('SMTP_HOTS = "typo"\n')
    with pytest.raises(ConfigError, match="SMTP_HOTS"):
        load_settings(environ={"PORTAL_CONFIG": str(file)})


def _production(**changes: object) -> dict[str, object]:
    settings = {
        "ENV": "production",
        "SECRET_KEY": GOOD_SECRET,
        "DEBUG": False,
        "DATABASE_URL": "postgresql+psycopg://u@h/db",
        "PUBLIC_BASE_URL": "https://meldportaal.example.nl",
        "EHERKENNING_DISCOVERY_URL": "https://broker.example.nl/.well-known/openid-configuration",
        "EHERKENNING_CLIENT_ID": "meldportaal",
        "EHERKENNING_CLIENT_SECRET": "broker-client-secret",
    }
    settings.update(changes)
    return settings


def test_production_with_safe_settings_starts() -> None:
    check_production(_production())


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"SECRET_KEY": "development-only-not-secret"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"DEBUG": True}, "DEBUG"),
        ({"DATABASE_URL": "sqlite:///portal.sqlite3"}, "SQLite"),
        ({"PUBLIC_BASE_URL": "http://meldportaal.example.nl"}, "https"),
        # The suite's cheap hashing (tests/conftest.py) never passes for production.
        ({"ARGON2_MEMORY_KIB": 8, "ARGON2_TIME_COST": 1}, "ARGON2_MEMORY_KIB"),
        ({"ARGON2_MEMORY_KIB": 19 * 1024 - 1}, "ARGON2_MEMORY_KIB"),
        ({"ARGON2_TIME_COST": 1}, "ARGON2_TIME_COST"),
    ],
)
def test_production_refuses_unsafe_settings(changes: dict[str, object], reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        check_production(_production(**changes))


def test_create_app_refuses_production_with_default_secret() -> None:
    from portal import create_app

    with pytest.raises(ConfigError):
        create_app(
            {
                "ENV": "production",
                "DATABASE_URL": "postgresql://u@h/db",
                "PUBLIC_BASE_URL": "https://x.nl",
            }
        )
