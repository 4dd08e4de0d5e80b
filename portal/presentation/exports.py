"""CSV exports that Dutch Excel opens correctly (presentation layer).

``;`` separated (Excel's list separator in the Dutch locale), UTF-8 with a BOM (else Excel reads
ANSI), dates as dd-mm-jjjj, and cells that look like formulas neutralised with a leading ``'``
(docs/security.md T8: CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from portal.clock import AMSTERDAM

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """The cell as text; a value Excel would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def excel_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """The rows as CSV bytes for Dutch Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def declaration_rows(
    declarations: Iterable[Any],
) -> tuple[list[str], list[list[object]]]:
    """Header and rows of an organisation's declarations export, in the user's language."""
    from flask_babel import gettext as _

    from portal.services.declarations import declaration_status, filing_findings

    header = [
        _("Reference"),
        _("Street"),
        _("Number"),
        _("Postcode"),
        _("Town"),
        _("Municipality"),
        _("Occupants"),
        _("Of whom in the BRP"),
        _("Start date"),
        _("End date"),
        _("End reason"),
        _("Status"),
        _("Findings at filing"),
        _("Filed at"),
    ]
    rows: list[list[object]] = []
    for d in declarations:
        address = d.address
        rows.append(
            [
                d.reference,
                address.street,
                address.number_label,
                address.postcode,
                address.town,
                d.municipality.name,
                d.occupants,
                d.occupants_registered_brp,
                d.start_date,
                d.end_date,
                d.end_reason or "",
                declaration_status(d),
                ",".join(str(f["code"]) for f in filing_findings(d.receipt)),
                d.filed_at.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M"),
            ]
        )
    return header, rows


def flag_rows(
    flags: Iterable[Any], assignees: Mapping[int, Any]
) -> tuple[list[str], list[list[object]]]:
    """Header and rows of an inspector's inbox export, in the user's language."""
    from flask_babel import gettext as _

    from portal.presentation.labels import FLAG_STATUS_LABELS, label
    from portal.receipts.texts import finding_title

    header = [
        _("Signal"),
        _("Street"),
        _("Number"),
        _("Postcode"),
        _("Town"),
        _("Reasons"),
        _("Occupants"),
        _("Limit"),
        _("Over by"),
        _("Since"),
        _("Until"),
        _("Status"),
        _("Assignee"),
        _("Opened on"),
    ]
    rows: list[list[object]] = [
        [
            f.id,
            f.address.street,
            f.address.number_label,
            f.address.postcode,
            f.address.town,
            ", ".join(finding_title(code) for code in f.reason_list),
            f.occupants,
            f.limit,
            f.over_by,
            f.period_start,
            f.period_end,
            label(FLAG_STATUS_LABELS, f.status),
            assignees[f.assignee_user_id].email if f.assignee_user_id in assignees else "",
            f.opened_at.astimezone(AMSTERDAM).date(),
        ]
        for f in flags
    ]
    return header, rows
