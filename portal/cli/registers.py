"""``flask --app wsgi addresses import`` and ``municipalities import``: the registers."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from portal.cli.common import fail, print_report
from portal.extensions import db
from portal.services.errors import Refused

addresses_cli = AppGroup("addresses", help="The address register (BAG-shaped CSV).")
municipalities_cli = AppGroup("municipalities", help="The list of municipalities (CBS codes).")


@addresses_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def addresses_import(file: Path) -> None:
    """Upsert a BAG-shaped CSV (',' or ';', UTF-8 with or without BOM) into the register."""
    from portal.services.addresses import import_addresses

    try:
        report = import_addresses(file)
    except Refused as exc:
        fail(exc)
        return
    db.session.commit()
    print_report(report)


@municipalities_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def municipalities_import(file: Path) -> None:
    """Upsert municipalities from a CSV with columns code,name,province,region."""
    from portal.services.municipalities import import_municipalities

    try:
        report = import_municipalities(file)
    except Refused as exc:
        fail(exc)
        return
    db.session.commit()
    print_report(report)
