"""The privacy statement: what the portal stores, why, who sees it and for how long (interface
layer). The periods come from the live RETENTION_* settings, never from the template."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, render_template
from flask_babel import format_decimal, ngettext
from flask_babel import lazy_gettext as _l

from portal.domain.retention import RetentionPeriods
from portal.domain.statistics import THRESHOLD
from portal.services.retention import IDEMPOTENCY_HOURS, UPLOAD_HOURS

bp = Blueprint("privacy", __name__)


@dataclass(frozen=True)
class Period:
    what: str
    how_long: str
    days: int


def _duration(days: int) -> str:
    """``2 years (730 days)`` for whole years (leap days allowed), else ``30 days``."""
    years, rest = divmod(days, 365)
    if years and rest <= years // 4 + 1:
        return ngettext(
            "%(num)s year (%(days)s days)",
            "%(num)s years (%(days)s days)",
            years,
            days=format_decimal(days),
        )
    return ngettext("%(num)s day", "%(num)s days", days)


def periods_shown() -> list[Period]:
    p = RetentionPeriods.from_settings(current_app.config)
    rows = [
        (
            _l(
                "Declarations with their receipts (PDF), counted from the end of the last period "
                "of the declaration or its last change"
            ),
            p.declaration,
        ),
        (
            _l(
                "Permits with renewal applications, floor plans and messages, from the last valid "
                "day or the revocation"
            ),
            p.permit,
        ),
        (_l("Closed signals with their history and inspectors' notes, from closing"), p.flag),
        (_l("Audit trail (who did what, with IP address)"), p.audit_event),
        (_l("Ended login sessions (with IP address and browser)"), p.session),
        (_l("Used or expired links sent by email"), p.account_token),
        (_l("Emails sent"), p.outbox_sent),
        (_l("Emails that could not be delivered"), p.outbox_failed),
        (_l("Rate-limit counters (with IP address)"), p.rate_limit_window),
    ]
    shown = [Period(str(what), _duration(days), days) for what, days in rows]
    hours = [
        (_l("Stored API answers for a repeated request (idempotency keys)"), IDEMPOTENCY_HOURS),
        (_l("Uploaded CSV files that were not filed"), UPLOAD_HOURS),
    ]
    for what, n in hours:
        shown.append(Period(str(what), ngettext("%(num)s hour", "%(num)s hours", n), 0))
    return shown


@bp.get("/privacy")
def statement() -> str:
    return render_template("public/privacy.html", periods=periods_shown(), suppress_below=THRESHOLD)
