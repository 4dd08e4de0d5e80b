"""``flask --app wsgi users create`` for municipal staff and operators."""

from __future__ import annotations

from typing import Any

from flask import Flask

from portal.extensions import db
from portal.models import AuditEvent, User
from tests.helpers import last_mail


def test_create_inspector_sends_an_invitation(app: Flask, runner: Any, make_municipality) -> None:  # type: ignore[no-untyped-def]
    make_municipality("GM0344", "Utrecht")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "inspector",
            "--municipality",
            "GM0344",
            "--email",
            "Toezicht@Utrecht.nl",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "created inspector toezicht@utrecht.nl" in result.output
    assert "/uitnodiging/" in result.output
    with app.app_context():
        user = db.session.query(User).one()
        assert user.municipality.code == "GM0344"
        assert user.password_hash is None
        assert db.session.query(AuditEvent).filter_by(action="create_user").count() == 1
    mail = last_mail(app, "toezicht@utrecht.nl", "invite")
    assert "Inspecteur" in mail.body_text
    assert "http://portal.test/uitnodiging/" in mail.body_text


def test_create_with_unknown_municipality_fails_with_a_message(app: Flask, runner: Any) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "inspector",
            "--municipality",
            "GM9999",
            "--email",
            "a@b.nl",
        ]
    )
    assert result.exit_code == 1
    assert "Onbekende gemeente" in result.output
    with app.app_context():
        assert db.session.query(User).count() == 0


def test_system_admin_with_password_prompt(app: Flask, runner: Any) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "system_admin",
            "--email",
            "ops@example.nl",
            "--set-password",
        ],
        input="een lang beheerderswachtwoord\neen lang beheerderswachtwoord\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.query(User).one()
        assert user.password_hash.startswith("$argon2id$")
        assert user.email_verified_at is not None


def test_org_role_needs_a_known_kvk(app: Flask, runner: Any) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "declarant",
            "--organisation",
            "12345678",
            "--email",
            "a@b.nl",
        ]
    )
    assert result.exit_code == 1
    assert "KvK-nummer" in result.output
