"""Permit types, states, reminders and the checking of a permit as typed or imported."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.domain.errors import InvalidValue
from portal.domain.permits import (
    PERMIT_TYPES,
    HeldPermit,
    PermitFields,
    check_permit,
    is_renewed,
    normalise_decision_reference,
    normalise_permit_type,
    parse_day,
    parse_max_occupants,
    permit_state,
    permit_types_of,
    permit_types_setting,
    reminder_due,
    revocation_reason,
)

TODAY = date(2026, 6, 1)
END = date(2026, 12, 31)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("", []),
        ("verhuurvergunning", ["verhuurvergunning"]),
        (
            " verhuurvergunning , omzettingsvergunning ",
            ["omzettingsvergunning", "verhuurvergunning"],
        ),
        ("logies,omzettingsvergunning", ["omzettingsvergunning"]),
    ],
)
def test_permit_types_of(setting: str, expected: list[str]) -> None:
    assert permit_types_of(setting) == expected


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "revoked", "expected"),
    [
        (TODAY + timedelta(days=1), None, False, "future"),
        (TODAY, None, False, "valid"),
        (TODAY - timedelta(days=10), TODAY + timedelta(days=91), False, "valid"),
        (TODAY - timedelta(days=10), TODAY + timedelta(days=90), False, "expiring"),
        (TODAY - timedelta(days=10), TODAY, False, "expiring"),  # the last valid day
        (TODAY - timedelta(days=10), TODAY - timedelta(days=1), False, "expired"),
        (TODAY - timedelta(days=10), None, True, "revoked"),
        (TODAY + timedelta(days=5), None, True, "revoked"),
    ],
)
def test_permit_state(
    valid_from: date, valid_until: date | None, revoked: bool, expected: str
) -> None:
    assert permit_state(valid_from, valid_until, revoked, TODAY) == expected


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        (120, None),
        (91, None),
        (90, 90),
        (60, 90),
        (31, 90),
        (30, 30),
        (20, 30),  # registered 20 days before its end: the 30-day reminder, never the 90
        (8, 30),
        (7, 7),
        (1, 7),
        (0, 7),  # the last valid day itself
        (-1, None),  # expired
    ],
)
def test_reminder_due(days_left: int, expected: int | None) -> None:
    assert reminder_due(END, END - timedelta(days=days_left)) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", None),
        ("  ", None),
        ("31-12-2027", date(2027, 12, 31)),
        ("1-2-2027", date(2027, 2, 1)),
        ("01/02/2027", date(2027, 2, 1)),
        ("01.02.2027", date(2027, 2, 1)),
        ("2027-12-31", date(2027, 12, 31)),
        (date(2027, 1, 1), date(2027, 1, 1)),
    ],
)
def test_parse_day(raw: str | date, expected: date | None) -> None:
    assert parse_day(raw) == expected


@pytest.mark.parametrize("raw", ["2027/12/31", "12-31", "morgen", "2027-13-01", "31-12-27"])
def test_parse_day_refuses(raw: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_day(raw)
    assert caught.value.code == "permit.date.format"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        (" 8 ", 8),
        ("10000", 10000),
        (12, 12),
        ("", "permit.max_occupants.required"),
        (None, "permit.max_occupants.required"),
        ("0", "permit.max_occupants.range"),
        ("10001", "permit.max_occupants.range"),
        ("-3", "permit.max_occupants.format"),
        ("8.5", "permit.max_occupants.format"),
        ("acht", "permit.max_occupants.format"),
    ],
)
def test_parse_max_occupants(raw: str | int | None, expected: int | str) -> None:
    if isinstance(expected, int):
        assert parse_max_occupants(raw) == expected
    else:
        with pytest.raises(InvalidValue) as caught:
            parse_max_occupants(raw)
        assert caught.value.code == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  2026/123 ", "2026/123"),
        ("B&W  2026\t17", "B&W 2026 17"),
        ("", "permit.decision_reference.required"),
        ("x" * 61, "permit.decision_reference.too_long"),
    ],
)
def test_normalise_decision_reference(raw: str, expected: str) -> None:
    if expected.startswith("permit."):
        with pytest.raises(InvalidValue) as caught:
            normalise_decision_reference(raw)
        assert caught.value.code == expected
    else:
        assert normalise_decision_reference(raw) == expected


@pytest.mark.parametrize(
    ("raw", "allowed", "expected"),
    [
        ("Omzettingsvergunning ", PERMIT_TYPES, "omzettingsvergunning"),
        ("verhuurvergunning", ("verhuurvergunning",), "verhuurvergunning"),
        ("", PERMIT_TYPES, "permit.type.required"),
        ("omzettingsvergunning", ("verhuurvergunning",), "permit.type.not_issued"),
        ("logies", PERMIT_TYPES, "permit.type.unknown"),
    ],
)
def test_normalise_permit_type(raw: str, allowed: tuple[str, ...], expected: str) -> None:
    if expected.startswith("permit."):
        with pytest.raises(InvalidValue) as caught:
            normalise_permit_type(raw, allowed)
        assert caught.value.code == expected
    else:
        assert normalise_permit_type(raw, allowed) == expected


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        (["verhuurvergunning", "omzettingsvergunning"], "omzettingsvergunning,verhuurvergunning"),
        ([" Verhuurvergunning "], "verhuurvergunning"),
        ([], "permit.types.required"),
        (["", " "], "permit.types.required"),
        (["verhuurvergunning", "logies"], "permit.types.unknown"),
    ],
)
def test_permit_types_setting(chosen: list[str], expected: str) -> None:
    if expected.startswith("permit."):
        with pytest.raises(InvalidValue) as caught:
            permit_types_setting(chosen)
        assert caught.value.code == expected
    else:
        assert permit_types_setting(chosen) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" besluit ingetrokken ", "besluit ingetrokken"),
        ("", "permit.revocation_reason.required"),
        ("x" * 501, "permit.revocation_reason.too_long"),
    ],
)
def test_revocation_reason(raw: str, expected: str) -> None:
    if expected.startswith("permit."):
        with pytest.raises(InvalidValue) as caught:
            revocation_reason(raw)
        assert caught.value.code == expected
    else:
        assert revocation_reason(raw) == expected


GOOD = PermitFields(
    decision_reference="2026/0815",
    postcode="3511ab",
    house_number="12",
    house_letter="a",
    house_number_addition="",
    holder_kvk="12.34.56.78",
    permit_type="omzettingsvergunning",
    max_occupants="8",
    valid_from="01-01-2026",
    valid_until="2030-12-31",
)


def test_check_permit_normalises_a_good_permit() -> None:
    values, problems = check_permit(GOOD, PERMIT_TYPES)
    assert problems == []
    assert values is not None
    assert (values.postcode, values.house_number, values.house_letter) == ("3511 AB", 12, "A")
    assert (values.holder_kvk, values.max_occupants) == ("12345678", 8)
    assert (values.valid_from, values.valid_until) == (date(2026, 1, 1), date(2030, 12, 31))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"holder_kvk": ""}, []),  # a holder is optional
        ({"valid_until": ""}, []),  # no end date
        ({"valid_until": "01-01-2026"}, []),  # one day
        (
            {"decision_reference": ""},
            [("decision_reference", "permit.decision_reference.required")],
        ),
        ({"postcode": "0123 AB"}, [("postcode", "postcode.leading_zero")]),
        ({"house_number": ""}, [("house_number", "house_number.required")]),
        ({"house_letter": "AB"}, [("house_letter", "house_letter.format")]),
        ({"house_number_addition": "TOOLONG"}, [("house_number_addition", "addition.format")]),
        ({"holder_kvk": "1234"}, [("holder_kvk", "kvk.format")]),
        ({"permit_type": "logies"}, [("permit_type", "permit.type.unknown")]),
        ({"max_occupants": "0"}, [("max_occupants", "permit.max_occupants.range")]),
        ({"valid_from": ""}, [("valid_from", "permit.valid_from.required")]),
        ({"valid_from": "31-02-2026"}, [("valid_from", "date.nonexistent")]),
        ({"valid_until": "31-12-2025"}, [("valid_until", "permit.valid_until.before_from")]),
        (
            {"max_occupants": "", "valid_until": "gisteren", "permit_type": ""},
            [
                ("permit_type", "permit.type.required"),
                ("max_occupants", "permit.max_occupants.required"),
                ("valid_until", "permit.date.format"),
            ],
        ),
    ],
)
def test_check_permit_names_every_problem(
    changes: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    fields = PermitFields(**{**vars(GOOD), **changes})
    values, problems = check_permit(fields, PERMIT_TYPES)
    assert [(p.field, p.code) for p in problems] == expected
    assert (values is None) == bool(expected)


def _held(
    ident: int,
    until: date | None,
    *,
    address: int = 1,
    holder: int | None = 7,
    revoked: bool = False,
) -> HeldPermit:
    return HeldPermit(ident, address, holder, until, revoked)


@pytest.mark.parametrize(
    ("others", "expected"),
    [
        ([], False),
        ([_held(2, END + timedelta(days=365))], True),  # renewed: a later end
        ([_held(2, None)], True),  # renewed without an end date
        ([_held(2, END)], False),  # same end: not a renewal
        ([_held(2, END - timedelta(days=1))], False),
        ([_held(2, None, address=2)], False),  # another address
        ([_held(2, None, holder=8)], False),  # another holder
        ([_held(2, None, revoked=True)], False),  # a revoked renewal does not count
        ([_held(1, None)], False),  # the permit itself
    ],
)
def test_is_renewed(others: list[HeldPermit], expected: bool) -> None:
    assert is_renewed(_held(1, END), others) is expected


def test_a_permit_without_end_is_never_renewed() -> None:
    assert is_renewed(_held(1, None), [_held(2, None)]) is False
