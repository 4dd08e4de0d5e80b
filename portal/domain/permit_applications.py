"""Renewal applications for permits: what may be asked, decided and uploaded (domain layer: pure,
no I/O).

A holder applies to renew a permit with a requested period and maximum; the municipal admin
approves (a new permit period, the old permit kept), rejects with a reason, or asks for more
information. A floor plan or attachment is a PDF, JPEG or PNG recognised by its content, never by
its file name, and only when it parses as one without active content (``domain.documents``).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Final

from portal.domain import documents
from portal.domain.errors import Problem

# The same range as the permit register (models.permit "max_range").
MAX_OCCUPANTS_RANGE: Final = (1, 10_000)
# A floor plan is at most 5 MB (the limit; 5 MiB counted in bytes).
MAX_DOCUMENT_BYTES: Final = 5 * 1024 * 1024
MAX_NOTE_LENGTH: Final = 4000
MAX_TEXT_LENGTH: Final = 4000
MAX_FILENAME_LENGTH: Final = 120
MAX_DECISION_REFERENCE_LENGTH: Final = 60

OPEN_STATUSES: Final = ("submitted", "info_requested")
DECISIONS: Final = ("approve", "reject", "request_info")


def renewal_start(current_until: date | None, today: date) -> date:
    """The first day a renewal asks for unless the applicant changes it: the day after the
    current permit ends, so the periods join; ``today`` for a permit without an end date."""
    if current_until is None:
        return today
    return current_until + timedelta(days=1)


def period_problems(
    start: date | None,
    end: date | None,
    maximum: int | None,
    *,
    start_field: str,
    end_field: str,
    max_field: str,
) -> list[Problem]:
    """A period (``end`` inclusive, optional) and a maximum number of occupants."""
    problems: list[Problem] = []
    if start is None:
        problems.append(Problem(start_field, "permit_application.from_required"))
    elif end is not None and end < start:
        problems.append(Problem(end_field, "permit_application.until_before_from"))
    low, high = MAX_OCCUPANTS_RANGE
    if maximum is None:
        problems.append(Problem(max_field, "permit_application.max_required"))
    elif not low <= maximum <= high:
        problems.append(Problem(max_field, "permit_application.max_range"))
    return problems


def application_problems(
    requested_from: date | None,
    requested_until: date | None,
    requested_max: int | None,
    note: str,
    permit_state: str,
) -> list[Problem]:
    """What is wrong with a renewal application for a permit in ``permit_state``."""
    problems: list[Problem] = []
    if permit_state == "revoked":
        problems.append(Problem("permit", "permit_application.permit_revoked"))
    problems += period_problems(
        requested_from,
        requested_until,
        requested_max,
        start_field="requested_from",
        end_field="requested_until",
        max_field="requested_max_occupants",
    )
    if len(note) > MAX_NOTE_LENGTH:
        problems.append(Problem("note", "permit_application.text_too_long"))
    return problems


def approval_problems(
    valid_from: date | None,
    valid_until: date | None,
    maximum: int | None,
    decision_reference: str,
) -> list[Problem]:
    """What is wrong with the new permit period an approval creates."""
    problems = period_problems(
        valid_from,
        valid_until,
        maximum,
        start_field="valid_from",
        end_field="valid_until",
        max_field="max_occupants",
    )
    if len(decision_reference) > MAX_DECISION_REFERENCE_LENGTH:
        problems.append(Problem("decision_reference", "field.too_long"))
    return problems


def text_problems(text: str, field: str, required_code: str) -> list[Problem]:
    """A required free text (a reason, a question, an answer) of reasonable length."""
    if not text.strip():
        return [Problem(field, required_code)]
    if len(text) > MAX_TEXT_LENGTH:
        return [Problem(field, "permit_application.text_too_long")]
    return []


def document_problem(data: bytes, field: str = "floor_plan") -> Problem | None:
    """Why ``data`` is not an acceptable document (empty, too large, not a real PDF, JPEG or
    PNG, or a PDF with JavaScript or a launch action), or None."""
    if not data:
        return Problem(field, "document.empty")
    if len(data) > MAX_DOCUMENT_BYTES:
        return Problem(field, "document.too_large")
    code = documents.content_problem(data)
    return Problem(field, code) if code else None


_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()+-]+")


def safe_filename(name: str, fallback: str = "document.pdf", extension: str = ".pdf") -> str:
    """A display name without a path, control characters or markup: letters, digits, ``._ ()+-``
    (accents folded), at most 120 characters, ending in ``extension`` (the kind of the content:
    ``.pdf``, ``.jpg``, ``.png``; any of those the name had is dropped first)."""
    base = re.split(r"[\\/]", name or "")[-1]
    folded = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    cleaned = " ".join(_UNSAFE.sub("_", folded).split()).strip("._ ")
    if not cleaned:
        return fallback
    stem = re.sub(r"\.(pdf|jpe?g|png)$", "", cleaned, flags=re.IGNORECASE)
    stem = stem.rstrip("._ ")[: MAX_FILENAME_LENGTH - len(extension)] or "document"
    return f"{stem}{extension}"
