"""Labels for codes shown on pages (presentation layer); finding, rule and permit-type texts are
shared with the receipts (``portal/receipts/texts.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.receipts.texts import PERMIT_TYPE_TEXTS as PERMIT_TYPE_LABELS
from portal.receipts.texts import finding_meaning, finding_title

SEVERITY_LABELS = {"high": _l("Serious"), "medium": _l("Attention"), "info": _l("For information")}
KIND_LABELS = {"new": _l("New declaration"), "amendment": _l("Change"), "end": _l("End")}
STATUS_LABELS = {"active": _l("Active"), "future": _l("Starts later"), "ended": _l("Ended")}
# A permit's state on a day (the kinds of permit are the receipts' words: receipts/texts.py).
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

# Flags (portal/domain/flags.py): statuses, outcomes, history events, the inbox's filters and
# sorts, the alert modes. The stored codes are English; the pages say them in the user's language.
FLAG_STATUS_LABELS = {
    "open": _l("Open"),
    "in_progress": _l("In progress"),
    "resolved": _l("Handled"),
    "dismissed": _l("Dismissed"),
}
FLAG_STATUS_FILTER_LABELS = {
    "current": _l("Open and in progress"),
    "open": _l("Open"),
    "in_progress": _l("In progress"),
    "closed": _l("Closed (handled or dismissed)"),
    "all": _l("All"),
}
OUTCOME_LABELS = {
    "compliant": _l("Compliant"),
    "warning": _l("Warning"),
    "enforcement_started": _l("Enforcement started"),
    "unfounded": _l("Unfounded"),
    "no_longer_applies": _l("No longer applies (the reasons went away)"),
}
ASSIGNEE_FILTER_LABELS = {
    "anyone": _l("Anyone"),
    "me": _l("Me"),
    "nobody": _l("Nobody"),
}
INBOX_SORT_LABELS = {
    "severity": _l("Severity (most over the limit first)"),
    "age": _l("Age (oldest first)"),
    "postcode": _l("Postcode area"),
}
ALERT_MODE_LABELS = {
    "immediate": _l("Immediately: an email for every new or escalated signal"),
    "digest": _l("Once a day: one email with all new and escalated signals"),
    "none": _l("No email: I look in the inbox myself"),
}
FLAG_EVENT_LABELS = {
    "opened": _l("Signal opened"),
    "escalated": _l("More occupants than when the alert was sent"),
    "updated": _l("Signal updated by a new declaration"),
    "resolved": _l("Reasons gone: signal closed"),
    "reopened": _l("Signal reopened"),
    "assigned": _l("Assignment changed"),
    "status": _l("Status changed"),
    "note": _l("Note added"),
    "outcome": _l("Outcome recorded"),
}


def label(table: Mapping[str, Any], code: str | None) -> str:
    """The words for ``code`` in ``table``; the code itself when it is unknown."""
    return str(table.get(code or "", code or ""))


def permit_type_label(code: str | None) -> str:
    return label(PERMIT_TYPE_LABELS, code)


def permit_state_label(code: str | None) -> str:
    return label(PERMIT_STATE_LABELS, code)


def application_status_label(code: str | None) -> str:
    return label(APPLICATION_STATUS_LABELS, code)


def rule_label(rule: str | None) -> str:
    from portal.receipts.texts import RULE_TEXTS

    return label(RULE_TEXTS, rule)


def end_reason_label(reason: str | None) -> str:
    from portal.receipts.texts import END_REASON_TEXTS

    return label(END_REASON_TEXTS, reason)


def iso_date(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


TEMPLATE_GLOBALS = {
    "severity_label": lambda code: label(SEVERITY_LABELS, code),
    "kind_label": lambda code: label(KIND_LABELS, code),
    "status_label": lambda code: label(STATUS_LABELS, code),
    "finding_title": finding_title,
    "finding_meaning": finding_meaning,
    "rule_label": rule_label,
    "end_reason_label": end_reason_label,
    "permit_type_label": permit_type_label,
    "permit_state_label": permit_state_label,
    "application_status_label": application_status_label,
}
