"""The receipt of a batch of declarations (receipts layer): template and view builder.

One receipt for the whole batch lists every declaration reference of it (each declaration also
has its own receipt). The list is ordered lists of ``ROWS_PER_LIST`` items, one line each, not a
table: a table that spans hundreds of pages is several times slower in WeasyPrint
(docs/performance.md §1.3, WeasyPrint #1296; the template's comment has the figures).
``render.render_receipt_html`` dispatches on the snapshot's kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from portal.receipts import formatting, texts

KIND: Final = "batch"
TEMPLATE: Final = "receipts/batch.html"
ROWS_PER_LIST: Final = 200


def view(snapshot: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """What the batch receipt shows beyond ``render.common_view``."""
    organisation = snapshot.get("organisation") or {}
    declarations = snapshot.get("declarations") or []
    rows: list[dict[str, str]] = []
    municipalities: set[str] = set()
    for number, item in enumerate(declarations, start=1):
        code = formatting.text(item.get("municipality_code"))
        if code:
            municipalities.add(code)
        rows.append(
            {
                "number": formatting.number(number, locale),
                "reference": formatting.text(item.get("reference")),
                "address": formatting.text(item.get("address")),
                "municipality_code": code,
                "occupants": formatting.number(item.get("occupants"), locale),
                "period": formatting.period(item.get("start_date"), item.get("end_date"), locale),
                "findings": ", ".join(
                    texts.finding_title(formatting.text(c)) for c in item.get("findings") or []
                ),
            }
        )
    return {
        "organisation_name": formatting.text(organisation.get("name")),
        "organisation_kvk": formatting.text(organisation.get("kvk")),
        "count": formatting.number(len(rows), locale),
        "municipality_codes": ", ".join(sorted(municipalities)),
        "lists": [rows[i : i + ROWS_PER_LIST] for i in range(0, len(rows), ROWS_PER_LIST)],
    }
