"""Dates at the edges (issue 21): one range, 1900-01-01 … 2200-12-31, and every date parser of
the domain gives an in-range date, None for empty, or a clean refusal — table-driven, and as a
property over any string (Hypothesis)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.domain import batches, dates, permits
from portal.domain.dates import EARLIEST_DATE, LATEST_DATE, check_date_range
from portal.domain.errors import InvalidValue

# Each date parser of the domain with the codes its refusals may carry.
PARSERS: dict[str, tuple[Callable[[str], date | None], set[str]]] = {
    "dates.parse_day": (dates.parse_day, {"date.format", "date.nonexistent", "date.range"}),
    "dates.parse_iso_day": (
        dates.parse_iso_day,
        {"date.format", "date.nonexistent", "date.range"},
    ),
    "batches.parse_date (CSV, API batch)": (
        batches.parse_date,
        {"date.format", "date.nonexistent", "date.range"},
    ),
    "permits.parse_day (permit form, CSV)": (
        permits.parse_day,
        {"permit.date.format", "date.nonexistent", "date.range"},
    ),
}

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None)


def test_the_range() -> None:
    assert (date(1900, 1, 1), date(2200, 12, 31)) == (EARLIEST_DATE, LATEST_DATE)


@pytest.mark.parametrize(
    ("day", "accepted"),
    [
        (date(1, 1, 1), False),
        (date(1899, 12, 31), False),
        (date(1900, 1, 1), True),
        (date(2026, 12, 1), True),
        (date(2200, 12, 31), True),
        (date(2201, 1, 1), False),
        (date(9999, 12, 31), False),
    ],
)
def test_check_date_range(day: date, accepted: bool) -> None:
    if accepted:
        assert check_date_range(day) == day
    else:
        with pytest.raises(InvalidValue) as refused:
            check_date_range(day)
        assert refused.value.code == "date.range"


# (text, what parse_day gives: a date, None, or the refusal code)
CASES: list[tuple[str, date | str | None]] = [
    ("2026-12-01", date(2026, 12, 1)),
    ("2026-1-2", date(2026, 1, 2)),
    ("1-12-2026", date(2026, 12, 1)),
    ("01/12/2026", date(2026, 12, 1)),
    ("1.12.2026", date(2026, 12, 1)),
    ("  1-12-2026 ", date(2026, 12, 1)),
    ("", None),
    ("   ", None),
    ("1900-01-01", date(1900, 1, 1)),
    ("31-12-2200", date(2200, 12, 31)),
    ("1899-12-31", "date.range"),
    ("2201-01-01", "date.range"),
    ("0001-01-01", "date.range"),
    ("1-1-0001", "date.range"),
    ("9999-12-31", "date.range"),
    ("31-12-9999", "date.range"),
    ("0000-01-01", "date.format"),  # no year 0
    ("10000-01-01", "date.format"),
    ("1-1-10000", "date.format"),
    ("-2026-01-01", "date.format"),
    ("+2026-01-01", "date.format"),
    ("99999999999999999999-01-01", "date.format"),
    # A day the month does not have is named as such (issue 23), not as a wrong format.
    ("2026-02-30", "date.nonexistent"),
    ("31-02-2026", "date.nonexistent"),
    ("31/04/2026", "date.nonexistent"),
    ("29-02-2027", "date.nonexistent"),
    ("29-02-2028", date(2028, 2, 29)),
    ("31-12-2026", date(2026, 12, 31)),
    ("32-01-2026", "date.format"),  # no month has 32 days: the shape is wrong
    ("0-1-2026", "date.format"),
    ("2026-00-10", "date.format"),
    ("2026-13-01", "date.format"),
    ("٢٠٢٦-١٢-٠١", "date.format"),  # Arabic-Indic digits: \d would match them
    ("２０２６-12-01", "date.format"),  # full-width digits
    ("2026-12-01\n", date(2026, 12, 1)),  # surrounding whitespace is stripped
    ("2026-12-01T00:00", "date.format"),
    ("20261201", "date.format"),
    ("1 december 2026", "date.format"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_day(text: str, expected: date | str | None) -> None:
    if isinstance(expected, str):
        with pytest.raises(InvalidValue) as refused:
            dates.parse_day(text)
        assert refused.value.code == expected
    else:
        assert dates.parse_day(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("2200-12-31", date(2200, 12, 31)),
        ("2201-01-01", "date.range"),
        ("9999-12-31", "date.range"),
        ("0001-01-01", "date.range"),
        ("2026-02-31", "date.nonexistent"),
        ("2026-1-2", "date.format"),  # the API's dates are exactly YYYY-MM-DD
        ("1-12-2026", "date.format"),
        (" 2026-12-01", "date.format"),
        ("2026-12-01\n", "date.format"),
        ("", "date.format"),
    ],
)
def test_parse_iso_day(text: str, expected: date | str) -> None:
    if isinstance(expected, str):
        with pytest.raises(InvalidValue) as refused:
            dates.parse_iso_day(text)
        assert refused.value.code == expected
    else:
        assert dates.parse_iso_day(text) == expected


def test_every_parser_shares_the_range() -> None:
    for text in ("9999-12-31", "0001-01-01", "1899-12-31"):
        for name, (parse, _codes) in PARSERS.items():
            with pytest.raises(InvalidValue) as refused:
                parse(text)
            assert refused.value.code == "date.range", name
    with pytest.raises(InvalidValue) as refused:
        permits.parse_day("1-2026")
    assert refused.value.code == "permit.date.format"  # the permit form's own wording


@pytest.mark.parametrize("name", list(PARSERS))
def test_every_parser_names_a_day_that_does_not_exist(name: str) -> None:
    parse, _codes = PARSERS[name]
    with pytest.raises(InvalidValue) as refused:
        parse("2026-02-31")
    assert (refused.value.code, refused.value.value) == ("date.nonexistent", "2026-02-31")
    assert dates.split_nonexistent(refused.value.value) == (2026, 2, 31)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-02-31", (2026, 2, 31)),
        ("2027-02-29", (2027, 2, 29)),
        ("2028-02-29", None),  # a leap day exists
        ("2026-13-01", None),
        ("2026-01-32", None),
        ("31-02-2026", None),  # only the value a refusal carries
        ("", None),
        (None, None),
    ],
)
def test_split_nonexistent(value: object, expected: tuple[int, int, int] | None) -> None:
    assert dates.split_nonexistent(value) == expected


def _judge(parse: Callable[[str], date | None], codes: set[str], text: str) -> None:
    try:
        result = parse(text)
    except InvalidValue as exc:
        assert exc.code in codes, (text, exc.code)
        return
    assert result is None or EARLIEST_DATE <= result <= LATEST_DATE, (text, result)


# Strings shaped like dates with any year (0001, 9999, 10000, negative, huge), day and month,
# in every spelling the parsers know, and arbitrary text.
_NUMBER = st.one_of(st.integers(-10, 10**6), st.integers(-(10**30), 10**30))
_DIGITS = st.one_of(_NUMBER.map(str), _NUMBER.map(lambda n: f"{n:04d}"))
_SEPARATOR = st.sampled_from(["-", "/", ".", " ", "", "--"])
# The edges the review found and their neighbours, always among the examples.
EDGES = (
    "9999-12-31",
    "31-12-9999",
    "0001-01-01",
    "1-1-0001",
    "10000-01-01",
    "-0001-01-01",
    "1899-12-31",
    "2201-01-01",
    "2200-12-31",
    "1900-01-01",
    "99999999999999999999-12-31",
)
DATE_LIKE = st.one_of(
    st.sampled_from(EDGES),
    st.builds(
        lambda y, s, m, t, d: f"{y}{s}{m}{t}{d}", _DIGITS, _SEPARATOR, _DIGITS, _SEPARATOR, _DIGITS
    ),
    st.builds(
        lambda d, s, m, t, y: f"{d}{s}{m}{t}{y}", _DIGITS, _SEPARATOR, _DIGITS, _SEPARATOR, _DIGITS
    ),
    st.dates().map(date.isoformat),
    st.dates().map(lambda d: f"{d.day}-{d.month}-{d.year}"),
    st.text(),
    st.text(alphabet="0123456789-/. ٣３"),
)


@pytest.mark.parametrize("name", list(PARSERS))
@given(text=DATE_LIKE)
@PROPERTY
def test_any_string_gives_an_in_range_date_or_a_clean_refusal(name: str, text: str) -> None:
    parse, codes = PARSERS[name]
    _judge(parse, codes, text)


@given(day=st.dates())
@PROPERTY
def test_every_written_date_reads_back_or_is_out_of_range(day: date) -> None:
    for text in (day.isoformat(), f"{day.day}-{day.month}-{day.year:04d}"):
        if EARLIEST_DATE <= day <= LATEST_DATE:
            assert dates.parse_day(text) == day
        else:
            with pytest.raises(InvalidValue) as refused:
                dates.parse_day(text)
            assert refused.value.code == "date.range"
