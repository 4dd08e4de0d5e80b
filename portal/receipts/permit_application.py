"""The receipt of a permit renewal application (receipts layer): template and view builder.

``render.render_receipt_html`` dispatches on the snapshot's kind; the common header and integrity
box come from ``render.common_view``. Like a declaration receipt, every value is prepared here as a
plain string from the snapshot only (never ORM objects), and the template only lays it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from flask_babel import gettext as _

from portal.receipts.formatting import number as _number
from portal.receipts.formatting import period as _period
from portal.receipts.formatting import text as _text
from portal.receipts.texts import permit_type_text

KIND: Final = "permit_application"
TEMPLATE: Final = "receipts/permit_application.html"


def _human_size(size: Any, locale: str) -> str:
    if not isinstance(size, int) or isinstance(size, bool):
        return ""
    if size >= 1024 * 1024:
        return _("%(size)s MB", size=_number(round(size / (1024 * 1024), 1), locale))
    return _("%(size)s kB", size=_number(max(1, round(size / 1024)), locale))


def view(snapshot: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """What the application receipt shows beyond ``render.common_view``."""
    municipality = snapshot.get("municipality") or {}
    organisation = snapshot.get("organisation") or {}
    address = snapshot.get("address") or {}
    permit = snapshot.get("permit") or {}
    requested = snapshot.get("requested") or {}
    floor_plan = snapshot.get("floor_plan") or {}
    return {
        "municipality_name": _text(municipality.get("name")),
        "municipality_code": _text(municipality.get("code")),
        "organisation_name": _text(organisation.get("name")),
        "organisation_kvk": _text(organisation.get("kvk")),
        "street_line": " ".join(
            part
            for part in (_text(address.get("street")), _text(address.get("number_label")))
            if part
        ),
        "postcode": _text(address.get("postcode")),
        "town": _text(address.get("town")),
        "nummeraanduiding_id": _text(address.get("nummeraanduiding_id")),
        "permit_type": permit_type_text(_text(permit.get("type"))),
        "permit_decision_reference": _text(permit.get("decision_reference")),
        "permit_max": _number(permit.get("max_occupants"), locale),
        "permit_period": _period(permit.get("valid_from"), permit.get("valid_until"), locale),
        "requested_max": _number(requested.get("max_occupants"), locale),
        "requested_period": _period(
            requested.get("valid_from"), requested.get("valid_until"), locale
        ),
        "note": _text(snapshot.get("note")),
        "floor_plan_name": _text(floor_plan.get("filename")),
        "floor_plan_size": _human_size(floor_plan.get("size_bytes"), locale),
        "floor_plan_sha256": _text(floor_plan.get("sha256")),
    }
