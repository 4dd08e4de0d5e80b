"""``flask --app wsgi users …``: create portal users, reset a lost second factor."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from portal.cli.common import fail
from portal.extensions import db
from portal.services.errors import Refused

users_cli = AppGroup("users", help="Create portal users (municipal staff, system admins, …).")


@users_cli.command("create")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["declarant", "org_admin", "inspector", "municipal_admin", "system_admin"]),
)
@click.option("--email", required=True)
@click.option("--municipality", "municipality_code", help="CBS code, e.g. GM0344.")
@click.option("--organisation", "organisation_kvk", help="KvK number (organisation roles).")
@click.option(
    "--set-password",
    is_flag=True,
    help="Ask for a password now instead of emailing an invitation link.",
)
@click.option("--locale", default="nl", type=click.Choice(["nl", "en"]))
def users_create(
    role: str,
    email: str,
    municipality_code: str | None,
    organisation_kvk: str | None,
    set_password: bool,
    locale: str,
) -> None:
    """Create a user; without --set-password an invitation link is emailed via the outbox."""
    from portal.services.accounts import create_user

    password = None
    if set_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user, token = create_user(
            email=email,
            role=role,
            organisation_kvk=organisation_kvk,
            municipality_code=municipality_code,
            password=password,
            locale=locale,
        )
    except Refused as exc:
        fail(exc)
        return
    db.session.commit()
    click.echo(f"created {user.role} {user.email} (id {user.id})")
    if token:
        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        click.echo(f"invitation sent; the link is also: {base}/uitnodiging/{token}")


@users_cli.command("reset-totp")
@click.option("--email", required=True)
def users_reset_totp(email: str) -> None:
    """Remove a user's two-factor key and recovery codes (lost phone); they enrol again."""
    from portal.services.accounts import find_user_by_email
    from portal.services.totp import reset_second_factor

    user = find_user_by_email(email.strip().lower())
    if user is None:
        click.echo(f"error: no user with email address {email}", err=True)
        sys.exit(1)
    reset_second_factor(user)
    db.session.commit()
    click.echo(f"two-factor login reset for {user.email}; they set it up again at the next login")
