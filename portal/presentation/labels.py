"""Labels for codes shown on pages (presentation layer); finding and rule texts are shared with the
receipts (``portal/receipts/texts.py``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

SEVERITY_LABELS = {"high": _l("Serious"), "medium": _l("Attention"), "info": _l("For information")}
KIND_LABELS = {"new": _l("New declaration"), "amendment": _l("Change"), "end": _l("End")}
STATUS_LABELS = {"active": _l("Active"), "future": _l("Starts later"), "ended": _l("Ended")}
# The kinds of permit (portal/domain/permits.py PERMIT_TYPES) and a permit's state on a day.
PERMIT_TYPE_LABELS = {
    "omzettingsvergunning": _l("Conversion permit (omzettingsvergunning)"),
    "kamerverhuurvergunning": _l("Room rental permit (kamerverhuurvergunning)"),
    "huisvestingsvergunning": _l("Housing permit (huisvestingsvergunning)"),
    "verhuurvergunning": _l("Landlord permit (verhuurvergunning, Wgv)"),
    "exploitatievergunning": _l("Operating permit (exploitatievergunning)"),
}
PERMIT_STATE_LABELS = {
    "valid": _l("Valid"),
    "expiring": _l("Expires within 90 days"),
    "expired": _l("Expired"),
    "revoked": _l("Revoked"),
    "future": _l("Not yet valid"),
}
APPLICATION_STATUS_LABELS = {
    "submitted": _l("Submitted, waiting for a decision"),
    "info_requested": _l("More information asked"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
}


def _label(table: dict[str, Any], code: str | None) -> str:
    return str(table.get(code or "", code or ""))


def permit_type_label(code: str | None) -> str:
    return _label(PERMIT_TYPE_LABELS, code)


def permit_state_label(code: str | None) -> str:
    return _label(PERMIT_STATE_LABELS, code)


def application_status_label(code: str | None) -> str:
    return _label(APPLICATION_STATUS_LABELS, code)


def finding_title(code: str) -> str:
    from portal.receipts.texts import FINDING_TEXTS

    return str(FINDING_TEXTS[code][0]) if code in FINDING_TEXTS else code


def finding_meaning(code: str) -> str:
    from portal.receipts.texts import FINDING_TEXTS

    return str(FINDING_TEXTS[code][1]) if code in FINDING_TEXTS else ""


def rule_label(rule: str | None) -> str:
    from portal.receipts.texts import RULE_TEXTS

    return _label(RULE_TEXTS, rule)


def end_reason_label(reason: str | None) -> str:
    from portal.receipts.texts import END_REASON_TEXTS

    return _label(END_REASON_TEXTS, reason)


def iso_date(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


TEMPLATE_GLOBALS = {
    "severity_label": lambda code: _label(SEVERITY_LABELS, code),
    "kind_label": lambda code: _label(KIND_LABELS, code),
    "status_label": lambda code: _label(STATUS_LABELS, code),
    "finding_title": finding_title,
    "finding_meaning": finding_meaning,
    "rule_label": rule_label,
    "end_reason_label": end_reason_label,
    "permit_type_label": permit_type_label,
    "permit_state_label": permit_state_label,
    "application_status_label": application_status_label,
}
