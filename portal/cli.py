"""Command-line entry points: ``flask --app wsgi …`` (interface layer; commits once per command)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.extensions import db
from portal.messages import message
from portal.services.errors import Refused
from portal.services.imports import ImportReport

users_cli = AppGroup("users", help="Create portal users (municipal staff, system admins, …).")
outbox_cli = AppGroup("outbox", help="Send the emails waiting in the outbox.")
addresses_cli = AppGroup("addresses", help="The address register (BAG-shaped CSV).")
municipalities_cli = AppGroup("municipalities", help="The list of municipalities (CBS codes).")
demo_cli = AppGroup("demo", help="Demo data for trying the portal.")
flags_cli = AppGroup("flags", help="Flags (signalen): the daily re-evaluation.")
alerts_cli = AppGroup("alerts", help="Alerts to inspectors: the daily digest.")


def _fail(exc: Refused) -> None:
    db.session.rollback()
    for problem in exc.problems:
        detail = f" ({problem.detail})" if problem.detail else ""
        click.echo(f"error: {problem.field}: {message(problem.code)}{detail}", err=True)
    sys.exit(1)


def _print_report(report: ImportReport, max_lines: int = 200) -> None:
    click.echo(
        f"inserted {report.inserted}, updated {report.updated}, unchanged {report.unchanged}, "
        f"rejected {len(report.rejected)}"
    )
    for rejected in report.rejected[:max_lines]:
        detail = f" ({rejected.detail})" if rejected.detail else ""
        click.echo(f"line {rejected.line}: {message(rejected.code)}{detail}", err=True)
    if len(report.rejected) > max_lines:
        click.echo(f"… and {len(report.rejected) - max_lines} more rejected lines", err=True)


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
        _fail(exc)
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


@outbox_cli.command("send")
@click.option("--limit", default=500, show_default=True, help="At most this many messages.")
def outbox_send(limit: int) -> None:
    """Send pending emails over SMTP (settings SMTP_*); failures are retried later."""
    from portal.notifications.sender import send_pending

    report = send_pending(dict(current_app.config), limit=limit)
    click.echo(f"sent {report.sent}, to retry {report.retried}, failed {report.failed}")


@outbox_cli.command("run")
@click.option("--once", is_flag=True, help="Send what is due now, then stop.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
def outbox_run(once: bool, interval: float) -> None:
    """The dispatcher: send due emails in a loop (several may run side by side)."""
    from portal.notifications.dispatcher import run_dispatcher

    run_dispatcher(dict(current_app.config), once=once, interval=interval, echo=click.echo)


@flags_cli.command("reevaluate")
@click.option(
    "--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), help="Judge as of this date."
)
@click.option("--all", "everything", is_flag=True, help="Every address, not only those changing.")
def flags_reevaluate(day: object, everything: bool) -> None:
    """Re-judge the addresses whose situation changes on the date; open, escalate, resolve flags."""
    from portal import clock
    from portal.services.reevaluation import reevaluate

    when = day.date() if day is not None else clock.today()  # type: ignore[attr-defined]
    report = reevaluate(when, everything=everything)
    db.session.commit()
    click.echo(report.describe())


@alerts_cli.command("digest")
@click.option(
    "--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), help="The day to summarise."
)
def alerts_digest(day: object) -> None:
    """Write the daily digest for inspectors who chose it (to the outbox)."""
    from portal import clock
    from portal.notifications.alerts import enqueue_digests

    when = day.date() if day is not None else clock.today()  # type: ignore[attr-defined]
    count = enqueue_digests(when)
    db.session.commit()
    click.echo(f"digests written: {count}")


@addresses_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def addresses_import(file: Path) -> None:
    """Upsert a BAG-shaped CSV (',' or ';', UTF-8 with or without BOM) into the register."""
    from portal.services.addresses import import_addresses

    try:
        report = import_addresses(file)
    except Refused as exc:
        _fail(exc)
        return
    db.session.commit()
    _print_report(report)


@municipalities_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def municipalities_import(file: Path) -> None:
    """Upsert municipalities from a CSV with columns code,name,province,region."""
    from portal.services.municipalities import import_municipalities

    try:
        report = import_municipalities(file)
    except Refused as exc:
        _fail(exc)
        return
    db.session.commit()
    _print_report(report)


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


def register_cli(app: Flask) -> None:
    for group in (
        users_cli,
        outbox_cli,
        addresses_cli,
        municipalities_cli,
        demo_cli,
        flags_cli,
        alerts_cli,
    ):
        app.cli.add_command(group)
    from portal.cli_api import apikeys_cli
    from portal.cli_security import check_deploy

    app.cli.add_command(check_deploy)
    from portal.cli_permits import daily_cli, permits_cli
    from portal.cli_statistics import statistics_cli

    for group in (permits_cli, daily_cli, apikeys_cli, statistics_cli):
        app.cli.add_command(group)
    from portal.cli_retention import retention_cli

    app.cli.add_command(retention_cli)


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
