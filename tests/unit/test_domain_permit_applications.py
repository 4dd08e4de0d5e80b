"""Renewal application rules: periods, maxima, texts, PDF recognition by content, file names."""

from __future__ import annotations

from datetime import date

import pytest

from portal.domain.permit_applications import (
    MAX_DOCUMENT_BYTES,
    application_problems,
    approval_problems,
    document_problem,
    renewal_start,
    safe_filename,
    text_problems,
)
from tests.helpers import MINIMAL_PDF

D = date(2026, 12, 1)
PDF = MINIMAL_PDF


@pytest.mark.parametrize(
    ("start", "end", "maximum", "note", "state", "expected"),
    [
        (D, None, 10, "", "expiring", []),
        (D, D, 1, "", "valid", []),
        (D, None, 10_000, "", "expired", []),
        (D, None, 10, "", "future", []),
        (None, None, 10, "", "valid", [("requested_from", "permit_application.from_required")]),
        (
            D,
            date(2026, 11, 30),
            10,
            "",
            "valid",
            [("requested_until", "permit_application.until_before_from")],
        ),
        (D, None, 0, "", "valid", [("requested_max_occupants", "permit_application.max_range")]),
        (
            D,
            None,
            10_001,
            "",
            "valid",
            [("requested_max_occupants", "permit_application.max_range")],
        ),
        (
            D,
            None,
            None,
            "",
            "valid",
            [("requested_max_occupants", "permit_application.max_required")],
        ),
        (D, None, 5, "x" * 4001, "valid", [("note", "permit_application.text_too_long")]),
        (D, None, 5, "", "revoked", [("permit", "permit_application.permit_revoked")]),
    ],
)
def test_application_problems(
    start: date | None,
    end: date | None,
    maximum: int | None,
    note: str,
    state: str,
    expected: list[tuple[str, str]],
) -> None:
    problems = application_problems(start, end, maximum, note, state)
    assert [(p.field, p.code) for p in problems] == expected


@pytest.mark.parametrize(
    ("start", "end", "maximum", "reference", "expected"),
    [
        (D, None, 10, "", []),
        (D, None, 10, "Z/26/1", []),
        (None, None, 10, "", [("valid_from", "permit_application.from_required")]),
        (D, date(2026, 1, 1), 10, "", [("valid_until", "permit_application.until_before_from")]),
        (D, None, -1, "", [("max_occupants", "permit_application.max_range")]),
        (D, None, 10, "R" * 61, [("decision_reference", "field.too_long")]),
    ],
)
def test_approval_problems(
    start: date | None,
    end: date | None,
    maximum: int | None,
    reference: str,
    expected: list[tuple[str, str]],
) -> None:
    assert [(p.field, p.code) for p in approval_problems(start, end, maximum, reference)] == (
        expected
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Waarom?", []),
        ("", ["req"]),
        ("   \n ", ["req"]),
        ("x" * 4001, ["permit_application.text_too_long"]),
    ],
)
def test_text_problems(text: str, expected: list[str]) -> None:
    assert [p.code for p in text_problems(text, "question", "req")] == expected


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (PDF, None),
        (PDF + b"\r\n" + b"\x00" * 500, None),  # a little junk after %%EOF
        (b"", "document.empty"),
        (b"MZ\x90\x00" + b"\x00" * 100, "document.unsupported"),  # a program named .pdf
        (b"x" * 10 + PDF, "document.unsupported"),  # the header must be at byte 0
        (PDF[:-40], "document.damaged"),  # truncated (tests/unit/test_domain_documents.py)
        (PDF[:-6] + b" " * (MAX_DOCUMENT_BYTES - len(PDF)) + b"%%EOF\n", None),  # exactly 5 MB
        (PDF[:-6] + b" " * (MAX_DOCUMENT_BYTES + 1 - len(PDF)) + b"%%EOF\n", "document.too_large"),
    ],
)
def test_document_problem_checks_content_and_size(data: bytes, code: str | None) -> None:
    problem = document_problem(data)
    assert (problem.code if problem else None) == code
    if problem:
        assert problem.field == "floor_plan"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("plattegrond.pdf", "plattegrond.pdf"),
        ("Plattegrond Zolder.PDF", "Plattegrond Zolder.pdf"),
        ("C:\\Users\\jan\\plan.pdf", "plan.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ('"><script>alert(1)</script>.pdf', "script.pdf"),
        ("bégané ĳs.pdf", "begane ijs.pdf"),
        ("plan\r\nX-Header: 1.pdf", "plan_X-Header_ 1.pdf"),
        ("", "document.pdf"),
        ("....", "document.pdf"),
        ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_safe_filename_ends_in_the_kind_of_the_content() -> None:
    assert safe_filename("scan.jpeg", extension=".jpg") == "scan.jpg"
    assert safe_filename("plattegrond.pdf", extension=".png") == "plattegrond.png"
    assert safe_filename("foto.PNG") == "foto.pdf"


@pytest.mark.parametrize(
    ("current_until", "today", "expected"),
    [
        (date(2026, 12, 31), date(2026, 10, 1), date(2027, 1, 1)),  # joins the current period
        (date(2028, 2, 28), date(2027, 6, 1), date(2028, 2, 29)),  # a leap day
        (date(2026, 3, 1), date(2026, 5, 1), date(2026, 3, 2)),  # ended: still no gap
        (None, date(2026, 10, 1), date(2026, 10, 1)),  # no end date: from today
    ],
)
def test_renewal_start(current_until: date | None, today: date, expected: date) -> None:
    assert renewal_start(current_until, today) == expected
