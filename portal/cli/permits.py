"""Command-line entry points for the permit register and the daily job (interface layer)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from portal.cli.common import fail
from portal.extensions import db
from portal.messages import message
from portal.services.errors import Refused
from portal.services.imports import ImportReport

permits_cli = AppGroup("permits", help="The permit register: import, expiry reminders.")
daily_cli = AppGroup(
    "daily", help="The daily job: re-evaluation, reminders, digests, statistics, retention purge."
)

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: object) -> object:
    from portal import clock

    return value.date() if value is not None else clock.today()  # type: ignore[attr-defined]


def print_permit_report(report: ImportReport) -> None:
    """Counts on stdout; every problem of every bad line on stderr (line, column, reason)."""
    if report.rejected:
        lines = len({r.line for r in report.rejected})
        click.echo(f"refused: {lines} bad lines, nothing stored", err=True)
        for rejected in report.rejected:
            column = getattr(rejected, "column", "")
            where = f"line {rejected.line}" + (f", column {column}" if column else "")
            detail = f" ({rejected.detail})" if rejected.detail else ""
            click.echo(f"{where}: {message(rejected.code, rejected.detail)}{detail}", err=True)
        return
    click.echo(
        f"inserted {report.inserted}, updated {report.updated}, unchanged {report.unchanged}"
    )


@permits_cli.command("import")
@click.option("--municipality", "code", required=True, help="CBS code, e.g. GM0344.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def permits_import(code: str, file: Path) -> None:
    """Upsert a municipality's permits from a CSV (';' or ',', UTF-8), keyed by besluitnummer.

    Columns: besluitnummer, postcode, huisnummer, huisletter, toevoeging, kvk_houder, soort,
    max_bewoners, geldig_van, geldig_tot (last valid day; empty = no end). Dates as dd-mm-jjjj
    or jjjj-mm-dd. All or nothing: with any bad line nothing is stored and the exit code is 1.
    """
    from portal.services.permit_register import import_permits, municipality_by_code

    try:
        municipality = municipality_by_code(code)
        report = import_permits(municipality, file, None)
    except Refused as exc:
        fail(exc)
        return
    if report.rejected:
        db.session.rollback()
        print_permit_report(report)
        sys.exit(1)
    db.session.commit()
    print_permit_report(report)


@permits_cli.command("remind")
@click.option("--date", "day", type=_DATE, help="Send the reminders due on this date.")
def permits_remind(day: object) -> None:
    """Write the expiry reminders due (90, 30, 7 days before the end) to the outbox, once each."""
    from portal.services.permit_reminders import send_permit_reminders

    count = send_permit_reminders(_day(day))  # type: ignore[arg-type]
    db.session.commit()
    click.echo(f"permit reminders written: {count}")


@daily_cli.command("run")
@click.option("--date", "day", type=_DATE, help="Run the job as of this date (default today).")
def daily_run(day: object) -> None:
    """Re-evaluate flags, send permit reminders, write inspector digests, clear what has expired;
    commits after each step."""
    from portal.notifications.alerts import enqueue_digests
    from portal.services.permit_reminders import send_permit_reminders
    from portal.services.reevaluation import reevaluate

    when = _day(day)
    report = reevaluate(when)  # type: ignore[arg-type]
    db.session.commit()
    click.echo(report.describe())
    reminders = send_permit_reminders(when)  # type: ignore[arg-type]
    db.session.commit()
    click.echo(f"permit reminders written: {reminders}")
    digests = enqueue_digests(when)  # type: ignore[arg-type]
    db.session.commit()
    click.echo(f"digests written: {digests}")
    from portal.services.statistics import refresh_recent

    statistics = refresh_recent(when)  # type: ignore[arg-type]
    db.session.commit()
    click.echo(f"statistics rows written: {statistics}")
    from portal.services.retention import purge

    purged = purge()  # every RETENTION_* period, idempotency records and uploads (24 h)
    db.session.commit()
    uploads = purged.counts["batch_upload"]
    records = purged.counts["idempotency_record"]
    click.echo(
        f"removed: {uploads} abandoned uploads (> 24 h), {records} idempotency records (> 24 h);"
        f" {purged.describe()}"
    )
