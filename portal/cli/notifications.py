"""``flask --app wsgi outbox …`` and ``alerts …``: the emails in the outbox, the inspectors'
daily digest."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.extensions import db

outbox_cli = AppGroup("outbox", help="Send the emails waiting in the outbox.")
alerts_cli = AppGroup("alerts", help="Alerts to inspectors: the daily digest.")


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
