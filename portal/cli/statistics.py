"""Command-line entry points for the monthly statistics (interface layer)."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from portal.extensions import db

statistics_cli = AppGroup("statistics", help="Monthly statistics: the nightly aggregate.")


@statistics_cli.command("refresh")
@click.option("--month", help="The month to recompute, YYYY-MM (default: this and last month).")
def statistics_refresh(month: str | None) -> None:
    """Recompute the monthly figures of every municipality; commits once."""
    from portal import clock
    from portal.services.statistics import refresh_month, refresh_recent

    today = clock.today()
    if month is None:
        rows = refresh_recent(today)
    else:
        try:
            first = datetime.strptime(month, "%Y-%m").date()
        except ValueError:
            raise click.BadParameter("use YYYY-MM, e.g. 2026-03", param_hint="--month") from None
        if first > today:
            raise click.BadParameter("a month in the future has no figures", param_hint="--month")
        rows = refresh_month(first, today)
        from portal.services.statistics import is_sealed

        if is_sealed(first, today):
            click.echo(f"{month} is kept as published: its source records may have been purged")
    db.session.commit()
    click.echo(f"statistics rows written: {rows}")
