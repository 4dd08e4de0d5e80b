"""The receipt of a batch of declarations (receipts layer): template and view builder.

One receipt for the whole batch lists every declaration reference of it (each declaration also
has its own receipt). The list is plain lines in paragraphs of ``ROWS_PER_TABLE``: a table that
spans hundreds of pages is several times slower in WeasyPrint (PERFORMANCE.md §1, #1296).
``render.render_receipt_html`` dispatches on the snapshot's kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

KIND: Final = "batch"
TEMPLATE: Final = "receipts/batch.html"
ROWS_PER_TABLE: Final = 200


def view(snapshot: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """What the batch receipt shows beyond ``render.common_view``."""
    # Imported here: render imports this module while it is being imported itself.
    from portal.receipts import render, texts

    organisation = snapshot.get("organisation") or {}
    declarations = snapshot.get("declarations") or []
    rows: list[dict[str, str]] = []
    municipalities: set[str] = set()
    for number, item in enumerate(declarations, start=1):
        code = render._text(item.get("municipality_code"))
        if code:
            municipalities.add(code)
        rows.append(
            {
                "number": render._number(number, locale),
                "reference": render._text(item.get("reference")),
                "address": render._text(item.get("address")),
                "municipality_code": code,
                "occupants": render._number(item.get("occupants"), locale),
                "period": render._period(item.get("start_date"), item.get("end_date"), locale),
                "findings": ", ".join(
                    texts.finding_title(render._text(c)) for c in item.get("findings") or []
                ),
            }
        )
    return {
        "organisation_name": render._text(organisation.get("name")),
        "organisation_kvk": render._text(organisation.get("kvk")),
        "count": render._number(len(rows), locale),
        "municipality_codes": ", ".join(sorted(municipalities)),
        "tables": [rows[i : i + ROWS_PER_TABLE] for i in range(0, len(rows), ROWS_PER_TABLE)],
    }
