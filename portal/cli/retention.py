"""``flask --app wsgi retention purge [--dry-run]``: remove what is past its retention period
(interface layer; docs/security.md T16). Also a step of ``daily run``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.extensions import db

retention_cli = AppGroup("retention", help="Retention periods: the purge of expired records.")


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Count and log what would go; delete nothing.")
def retention_purge(dry_run: bool) -> None:
    """Delete every record past its RETENTION_* period in batches, children first; log each
    deletion (logger portal.retention), audit the run, print a summary; commits once."""
    from portal.services.retention import purge

    report = purge(dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    click.echo(report.describe())
    for kind, count in report.counts.items():
        if count:
            click.echo(f"  {kind:<28} {count}")
