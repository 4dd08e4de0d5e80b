"""``flask --app wsgi check-deploy``: the production checks, one line each (docs/security.md T19).

In production the portal refuses to start when one of these fails, naming the setting; this
command shows every check and exits 1 when any fails. Outside production it judges the
configuration as production would, so a staging or CI run can check it before the switch.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.settings import cookie_settings, database_role_problem, production_checks


def deploy_checks(config: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Every check as (what, problem or None): the settings, the contact, the database role."""
    settings = dict(config)
    if settings.get("ENV") != "production":
        # Judge the cookies as production derives them, not as this environment does.
        for key in cookie_settings({}):
            settings.pop(key, None)
        settings["ENV"] = "production"
    checks = production_checks(settings)
    checks.append(
        (
            "SECURITY_CONTACT is an email address (security.txt)",
            None
            if "@" in str(settings.get("SECURITY_CONTACT", ""))
            else "SECURITY_CONTACT is empty; set PORTAL_SECURITY_CONTACT to the address that "
            "receives vulnerability reports",
        )
    )
    checks.append(("the database user is not a superuser", _database_role()))
    return checks


def _database_role() -> str | None:
    from sqlalchemy.exc import SQLAlchemyError

    from portal.extensions import db

    try:
        with db.engine.connect() as connection:
            return database_role_problem(connection)
    except SQLAlchemyError as exc:
        return f"could not connect to DATABASE_URL ({type(exc).__name__})"


@click.command("check-deploy")
@with_appcontext
def check_deploy() -> None:
    """Check the configuration against the production rules; exit 1 when one fails."""
    failures = 0
    for name, problem in deploy_checks(dict(current_app.config)):
        if problem:
            failures += 1
            click.echo(f"FAIL  {name}: {problem}")
        else:
            click.echo(f"ok    {name}")
    if failures:
        click.echo(f"{failures} check(s) failed", err=True)
        sys.exit(1)
    click.echo("all checks passed")
