"""``flask --app wsgi flags reevaluate``: the daily re-evaluation of flags."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.extensions import db

flags_cli = AppGroup("flags", help="Flags (signalen): the daily re-evaluation.")


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
