"""``flask --app wsgi addresses import`` and ``municipalities import``: the registers."""

from __future__ import annotations

import sqlite3
import sys
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import click
from flask.cli import AppGroup
from lxml import etree

from portal import clock
from portal.cli.common import fail, print_report
from portal.extensions import db
from portal.services.errors import Refused
from portal.services.imports import ImportReport

addresses_cli = AppGroup(
    "addresses", help="The address register (BAG 2.0 Extract, BAG GeoPackage, BAG-shaped CSV)."
)
municipalities_cli = AppGroup("municipalities", help="The list of municipalities (CBS codes).")


_CSV_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _import(importer: Callable[[Path], ImportReport], file: Path) -> None:
    """Run one register import; commit and print its report, or print the refusal and exit 1."""
    try:
        report = importer(file)
    except Refused as exc:
        fail(exc)
        return
    db.session.commit()
    print_report(report)


@addresses_cli.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--peildatum",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Reference date JJJJ-MM-DD: the register as it stood that day (default: today).",
)
@click.option("--gemeente", default=None, help="Only the addresses of this municipality (GMxxxx).")
@click.option(
    "--create-municipalities",
    is_flag=True,
    help="Create municipalities the register names and the portal lacks, named by their code.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the CSV report (default: bag-import-<time>.csv here).",
)
def addresses_import(
    path: Path,
    peildatum: datetime | None,
    gemeente: str | None,
    create_municipalities: bool,
    report_path: Path | None,
) -> None:
    """Load the address register from PATH, recognised by its content: the Kadaster's BAG 2.0
    Extract (the national ZIP, a municipality's ZIP, or either unpacked in a directory), PDOK's
    BAG GeoPackage (bag-light.gpkg), or the portal's BAG-shaped CSV (',' or ';', UTF-8).

    One transaction per run: on an error nothing is stored."""
    from portal.services.bag.formats import detect

    kind = detect(path)
    if kind == "csv":
        from portal.services.addresses import import_addresses

        if peildatum or gemeente or create_municipalities or report_path:
            click.echo(
                "note: --peildatum, --gemeente, --create-municipalities and --report apply to the "
                "BAG formats; a CSV is imported as it is",
                err=True,
            )

        _import(import_addresses, path)
        return
    from portal.services import bag_import
    from portal.services.bag.extract import BrokenPart

    def progress(line: str) -> None:
        click.echo(line, err=True)

    options: dict[str, object] = {
        "gemeente": gemeente,
        "create_municipalities": create_municipalities,
        "progress": progress,
    }
    day = peildatum.date() if peildatum else None
    try:
        if kind == "gpkg":
            report = bag_import.import_geopackage(path, day, **options)  # type: ignore[arg-type]
        else:
            report = bag_import.import_bag(path, day, **options)  # type: ignore[arg-type]
    except Refused as exc:
        fail(exc)
        return
    except (BrokenPart, etree.XMLSyntaxError, zipfile.BadZipFile, sqlite3.DatabaseError) as exc:
        db.session.rollback()
        click.echo(
            f"error: {path} could not be read ({type(exc).__name__}: {exc}); nothing was stored",
            err=True,
        )
        sys.exit(1)
    db.session.commit()
    for line in report.lines():
        click.echo(line)
    target = report_path or Path(f"bag-import-{clock.now():%Y%m%d-%H%M%S}.csv")
    report.write_csv(target)
    click.echo(f"  report: {target}")


@municipalities_cli.command("import")
@click.argument("file", type=_CSV_FILE)
def municipalities_import(file: Path) -> None:
    """Upsert municipalities from a CSV with columns code,name,province,region."""
    from portal.services.municipalities import import_municipalities

    _import(import_municipalities, file)
