"""The audit log in words (presentation layer): actions, objects, results and actors in the
reader's language, for the pages and the CSV export. What a reader may see of an event is decided
before (``services.audit_log.audit_lines``, ``domain.audit_disclosure``); this only words it.
Unknown codes are shown as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from typing import Any

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.services.audit_log import AuditLine

ACTION_LABELS = {
    "login": _l("Log in"),
    "logout": _l("Log out"),
    "login.locked": _l("Account locked after failed logins"),
    "login.ip_limited": _l("Logins from one IP address limited"),
    "signup": _l("Sign up"),
    "eherkenning.login": _l("Logged in with eHerkenning"),
    "eherkenning.refused": _l("eHerkenning login refused"),
    "eherkenning.register": _l("Registered with eHerkenning"),
    "eherkenning.takeover": _l("Organisation taken over with eHerkenning"),
    "staff_login.oidc": _l("Logged in through the municipality"),
    "staff_login.refused": _l("Login through the municipality refused"),
    "verify_email": _l("Email address confirmed"),
    "password_reset_requested": _l("Password reset asked"),
    "password_reset": _l("Password reset"),
    "account.name": _l("Own name changed"),
    "totp.enrol": _l("Two-factor login set up"),
    "totp.ok": _l("Two-factor code accepted"),
    "totp.failed": _l("Two-factor code refused"),
    "totp.reset": _l("Two-factor login reset"),
    "recovery_code.used": _l("Recovery code used"),
    "recovery_codes.replaced": _l("Recovery codes replaced"),
    "authz_denied": _l("Access refused"),
    "api.auth_failed": _l("API key refused"),
    "invite": _l("Colleague invited"),
    "accept_invite": _l("Invitation accepted"),
    "create_user": _l("User created"),
    "remove_user": _l("Colleague removed"),
    "user.deactivate": _l("User deactivated"),
    "user.alert_mode": _l("Alert setting changed"),
    "apikey.create": _l("API key created"),
    "apikey.revoke": _l("API key revoked"),
    "mandate.grant": _l("Mandate granted"),
    "mandate.revoke": _l("Mandate revoked"),
    "organisation.phone": _l("Phone number changed"),
    "address.conflict": _l("Address entered with other details"),
    "address.decision": _l("Address conflict decided"),
    "declaration.new": _l("Declaration filed"),
    "declaration.amendment": _l("Declaration changed"),
    "declaration.end": _l("Declaration ended"),
    "declaration.export": _l("Declarations exported"),
    "declarations.load": _l("Declarations loaded in bulk"),
    "receipt.download": _l("Receipt downloaded"),
    "batch.upload": _l("File uploaded"),
    "batch.file": _l("File filed"),
    "batch.discard": _l("Uploaded file discarded"),
    "batch.errors_export": _l("File errors downloaded"),
    "flag.open": _l("Signal opened"),
    "flag.update": _l("Signal updated"),
    "flag.resolve": _l("Signal resolved"),
    "flag.reopen": _l("Signal reopened"),
    "flag.escalate": _l("Signal escalated"),
    "flag.note": _l("Note added to a signal"),
    "flag.assign": _l("Signal assigned"),
    "flag.status": _l("Signal status changed"),
    "flag.export": _l("Signals exported"),
    "alert.digest": _l("Daily summary of signals sent"),
    "permit.create": _l("Permit registered"),
    "permit.update": _l("Permit changed"),
    "permit.revoke": _l("Permit revoked"),
    "permit.import": _l("Permits imported"),
    "permit.types": _l("Kinds of permit set"),
    "permit.reminder": _l("Permit reminder sent"),
    "permit_application.submit": _l("Renewal applied for"),
    "permit_application.answer": _l("Question answered"),
    "permit_application.approve": _l("Renewal approved"),
    "permit_application.reject": _l("Renewal rejected"),
    "permit_application.request_info": _l("More information asked"),
    "permit_document.download": _l("Document downloaded"),
    "policy.set": _l("Occupancy policy set"),
    "region_created": _l("Region created"),
    "region_changed": _l("Region changed"),
    "region.export": _l("Regional figures exported"),
    "region.organisations_export": _l("Regional organisations exported"),
    "region.organisations_viewed": _l("Regional organisations viewed"),
    "outbox.retry": _l("Email sent again"),
    "retention.purge": _l("Data past its retention period removed"),
    "audit.export": _l("Audit log exported"),
}
RESULT_LABELS = {
    "ok": _l("Succeeded"),
    "failed": _l("Failed"),
    "denied": _l("Refused"),
    "locked": _l("Locked"),
    "unverified": _l("Email address not yet confirmed"),
    "unknown": _l("No account with this address"),
    "duplicate_email": _l("The address already had an account"),
    "rate_limited": _l("Limit reached"),
    "unchanged": _l("Unchanged"),
    "replaced": _l("Replaced"),
    "import": _l("Imported"),
}
OBJECT_LABELS = {
    "user": _l("User"),
    "organisation": _l("Organisation"),
    "municipality": _l("Municipality"),
    "region": _l("Region"),
    "declaration": _l("Declaration"),
    "receipt": _l("Receipt"),
    "flag": _l("Signal"),
    "permit": _l("Permit"),
    "permit_application": _l("Renewal application"),
    "permit_document": _l("Document"),
    "batch": _l("File"),
    "batch_upload": _l("Uploaded file"),
    "api_key": _l("API key"),
    "mandate": _l("Mandate"),
    "municipal_policy": _l("Occupancy policy"),
    "outbox_message": _l("Email"),
    "route": _l("Page"),
    "audit_log": _l("Audit log"),
    "retention": _l("Retention periods"),
}
# Objects whose id says nothing to a reader (a scope label, a purge run, "unknown").
WITHOUT_ID = frozenset({"audit_log", "retention"})
# Actors without a user account, by their recorded label.
SYSTEM_ACTORS = {
    "system": _l("The portal (automatic)"),
    "retention purge": _l("The portal (automatic)"),
    "cli": _l("Command line (operator)"),
    "anonymous": _l("Not logged in"),
}


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


def result_label(code: str) -> str:
    return str(RESULT_LABELS.get(code, code))


def actor_text(line: AuditLine) -> str:
    kind = line.actor_shown
    if kind == "organisation":
        return line.actor or _("An organisation")
    if kind == "municipality":
        return _("Municipality of %(name)s", name=line.actor)
    if kind == "role":
        return _("System administrator") if line.actor == "system_admin" else line.actor
    if kind == "anonymous":
        return _("Not logged in")
    if kind == "label":
        if line.actor.startswith(("api-key:", "api:")):
            return _("API key %(prefix)s", prefix=line.actor.partition(":")[2])
        if line.actor in SYSTEM_ACTORS:
            return str(SYSTEM_ACTORS[line.actor])
    return line.actor


def count_text(action: str, count: int) -> str:
    shown = format_decimal(count)
    if action == "batch.file":
        return ngettext("%(count)s declaration", "%(count)s declarations", count, count=shown)
    if action == "audit.export":
        return ngettext("%(count)s event", "%(count)s events", count, count=shown)
    return ngettext("%(count)s row", "%(count)s rows", count, count=shown)


def object_text(line: AuditLine) -> str:
    """``Signal 6``, ``Municipality Utrecht``, ``Audit log · 12 events``."""
    label = OBJECT_LABELS.get(line.object_type)
    if label is None:
        text = " ".join(part for part in (line.object_type, line.object_id) if part)
    elif line.object_name:
        text = f"{label} {line.object_name}"
    elif line.object_type in WITHOUT_ID or line.object_id in ("", "unknown"):
        text = str(label)
    else:
        text = f"{label} {line.object_id}"
    if line.count is not None:
        counted = count_text(line.action, line.count)
        text = f"{text} · {counted}" if text else counted
    return text


def csv_header(with_origin_ip: bool) -> list[str]:
    header = [_("Time (UTC)"), _("Actor"), _("Action"), _("Object"), _("Result")]
    return [*header, _("Origin IP address")] if with_origin_ip else header


def csv_rows(lines: Iterable[AuditLine], with_origin_ip: bool) -> list[list[Any]]:
    """One row per event, in the reader's language (time in ISO 8601, UTC)."""
    rows = []
    for line in lines:
        row: list[Any] = [
            line.occurred_at.astimezone(UTC).isoformat(timespec="seconds"),
            actor_text(line),
            action_label(line.action),
            object_text(line),
            result_label(line.result),
        ]
        rows.append([*row, line.origin_ip] if with_origin_ip else row)
    return rows
