"""``flask --app wsgi demo …``: demo data for trying the portal (never in production)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal.extensions import db

demo_cli = AppGroup("demo", help="Demo data for trying the portal.")


@demo_cli.command("generate")
@click.option("--addresses", "count", default=3000, show_default=True)
@click.option("--seed", default=2026, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def demo_generate(count: int, seed: int, out: Path) -> None:
    """Write a deterministic BAG-shaped address CSV (any size, e.g. 150000)."""
    from portal.demo.generate import write_bag_csv

    written = write_bag_csv(out, count=count, seed=seed)
    click.echo(f"wrote {written} addresses to {out}")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo municipalities, addresses, organisations and users (idempotent)."""
    from portal.demo.load import DEMO_PASSWORD, load_demo

    if current_app.config["ENV"] == "production":
        click.echo("error: demo data is never loaded in production", err=True)
        sys.exit(1)
    summary = load_demo()
    db.session.commit()
    click.echo(summary.describe())
    click.echo("")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for role, email in summary.logins:
        click.echo(f"  {role:<38} {email}")


@demo_cli.command("totp-code")
@click.argument("email")
def demo_totp_code(email: str) -> None:
    """Print the current two-factor code of a demo inspector or administrator."""
    from portal import clock
    from portal.demo.load import is_demo_user
    from portal.services import totp
    from portal.services.accounts import find_user_by_email

    if current_app.config["ENV"] == "production":
        click.echo("error: demo codes are never given in production", err=True)
        sys.exit(1)
    user = find_user_by_email(email.strip()) if is_demo_user(email) else None
    if user is None:
        click.echo(f"error: {email} is not a demo login (see `demo load`)", err=True)
        sys.exit(1)
    if not totp.is_enrolled(user):
        click.echo(f"error: {email} has no two-factor login set up", err=True)
        sys.exit(1)
    click.echo(totp.current_code(str(user.totp_secret)))
    left = totp.STEP_SECONDS - int(clock.now().timestamp()) % totp.STEP_SECONDS
    click.echo(
        f"valid for {left} more seconds (and the 30 seconds after); each code works once", err=True
    )
