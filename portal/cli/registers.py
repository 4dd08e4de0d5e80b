"""``flask --app wsgi addresses import`` and ``municipalities import``: the registers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from flask.cli import AppGroup

from portal.cli.common import fail, print_report
from portal.extensions import db
from portal.services.errors import Refused
from portal.services.imports import ImportReport

addresses_cli = AppGroup("addresses", help="The address register (BAG-shaped CSV).")
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
@click.argument("file", type=_CSV_FILE)
def addresses_import(file: Path) -> None:
    """Upsert a BAG-shaped CSV (',' or ';', UTF-8 with or without BOM) into the register."""
    from portal.services.addresses import import_addresses

    _import(import_addresses, file)


@municipalities_cli.command("import")
@click.argument("file", type=_CSV_FILE)
def municipalities_import(file: Path) -> None:
    """Upsert municipalities from a CSV with columns code,name,province,region."""
    from portal.services.municipalities import import_municipalities

    _import(import_municipalities, file)
