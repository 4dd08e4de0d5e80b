"""Whether a new municipal policy may be stored: dates that never rewrite history, numbers in
range, alert and support-desk addresses that are email addresses."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from portal.domain.errors import Problem
from portal.domain.policy import (
    MAX_ALERT_EMAILS,
    POLICY_LIMITS,
    PolicyDraft,
    alert_address_list,
    policy_problems,
    split_addresses,
)

TODAY = date(2026, 11, 27)
GOOD = PolicyDraft(
    effective_from=date(2027, 1, 1),
    m2_per_person_dwelling=12,
    m2_per_person_lodging=10,
    no_permit_max_occupants=4,
    near_limit_percent=90,
    late_after_days=3,
    alert_emails="signalen@utrecht.nl",
    support_desk_email="steunpunt@utrecht.nl",
)


def codes(draft: PolicyDraft) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in policy_problems(draft, today=TODAY)]


def test_a_good_draft_has_no_problems() -> None:
    assert policy_problems(GOOD, today=TODAY) == []


@pytest.mark.parametrize(
    ("start", "existing", "replace_planned", "expected"),
    [
        pytest.param(None, (), False, ["policy.effective_from.required"], id="missing"),
        pytest.param(date(2026, 11, 26), (), False, ["policy.effective_from.past"], id="yesterday"),
        pytest.param(date(2020, 1, 1), (), True, ["policy.effective_from.past"], id="long-ago"),
        pytest.param(TODAY, (), False, [], id="today"),
        pytest.param(date(2026, 11, 28), (), False, [], id="tomorrow"),
        pytest.param(TODAY, (TODAY,), False, ["policy.effective_from.in_force"], id="today-taken"),
        pytest.param(
            TODAY, (TODAY,), True, ["policy.effective_from.in_force"], id="in-force-not-replaced"
        ),
        pytest.param(
            date(2027, 1, 1),
            (date(2027, 1, 1),),
            False,
            ["policy.effective_from.planned"],
            id="planned-needs-replace",
        ),
        pytest.param(date(2027, 1, 1), (date(2027, 1, 1),), True, [], id="planned-replaced"),
        pytest.param(
            date(2027, 1, 2), (date(2027, 1, 1), TODAY), False, [], id="other-dates-taken"
        ),
        pytest.param(
            date(2026, 1, 1),
            (date(2026, 1, 1),),
            True,
            ["policy.effective_from.past"],
            id="past-row-never-replaced",
        ),
    ],
)
def test_the_date_starts_today_or_later_and_replaces_only_a_planned_policy(
    start: date | None, existing: tuple[date, ...], replace_planned: bool, expected: list[str]
) -> None:
    draft = replace(GOOD, effective_from=start)
    problems = policy_problems(draft, today=TODAY, existing=existing, replace=replace_planned)
    assert [p.code for p in problems] == expected
    assert all(p.field == "effective_from" for p in problems)


CASES = [
    (name, value, ok)
    for name, (low, high) in POLICY_LIMITS.items()
    for value, ok in ((low - 1, False), (low, True), (high, True), (high + 1, False))
]


@pytest.mark.parametrize(("name", "value", "ok"), CASES, ids=lambda v: str(v))
def test_each_number_is_checked_against_its_range(name: str, value: int, ok: bool) -> None:
    expected = [] if ok else [(name, f"policy.{name}.range")]
    assert codes(replace(GOOD, **{name: value})) == expected


def test_the_ranges_are_those_of_the_brief() -> None:
    assert POLICY_LIMITS == {
        "m2_per_person_dwelling": (6, 50),
        "m2_per_person_lodging": (6, 50),
        "no_permit_max_occupants": (1, 20),
        "near_limit_percent": (50, 100),
        "late_after_days": (0, 30),
    }


@pytest.mark.parametrize("name", list(POLICY_LIMITS))
def test_an_empty_number_is_required(name: str) -> None:
    assert codes(replace(GOOD, **{name: None})) == [(name, f"policy.{name}.required")]


def test_every_problem_is_named_at_once() -> None:
    draft = PolicyDraft(None, 5, 51, 0, 49, 31, "x@", "nope")
    assert [p.field for p in policy_problems(draft, today=TODAY)] == [
        "effective_from",
        "m2_per_person_dwelling",
        "m2_per_person_lodging",
        "no_permit_max_occupants",
        "near_limit_percent",
        "late_after_days",
        "alert_emails",
        "support_desk_email",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("a@utrecht.nl", ["a@utrecht.nl"]),
        ("a@utrecht.nl,b@utrecht.nl", ["a@utrecht.nl", "b@utrecht.nl"]),
        ("a@utrecht.nl, b@utrecht.nl", ["a@utrecht.nl", "b@utrecht.nl"]),
        ("a@utrecht.nl\nb@utrecht.nl\r\n", ["a@utrecht.nl", "b@utrecht.nl"]),
        ("a@utrecht.nl;\n\n , b@utrecht.nl,", ["a@utrecht.nl", "b@utrecht.nl"]),
    ],
)
def test_alert_addresses_are_split_on_commas_and_line_breaks(
    text: str, expected: list[str]
) -> None:
    assert split_addresses(text) == expected


def test_alert_addresses_are_normalised_and_repeats_dropped() -> None:
    text = "Signalen@Utrecht.NL\nsignalen@utrecht.nl, toezicht@utrecht.nl"
    assert alert_address_list(text) == ["signalen@utrecht.nl", "toezicht@utrecht.nl"]
    assert policy_problems(replace(GOOD, alert_emails=text), today=TODAY) == []


@pytest.mark.parametrize("bad", ["niet-een-adres", "x@", "@utrecht.nl", "a@utrecht", "a@@b.nl"])
def test_a_bad_alert_address_is_named(bad: str) -> None:
    draft = replace(GOOD, alert_emails=f"signalen@utrecht.nl\n{bad}")
    assert policy_problems(draft, today=TODAY) == [
        Problem("alert_emails", "alert_emails.format", bad)
    ]


def test_at_most_ten_alert_addresses() -> None:
    ten = "\n".join(f"signalen{n}@utrecht.nl" for n in range(MAX_ALERT_EMAILS))
    assert policy_problems(replace(GOOD, alert_emails=ten), today=TODAY) == []
    eleven = ten + "\nextra@utrecht.nl"
    assert codes(replace(GOOD, alert_emails=eleven)) == [("alert_emails", "alert_emails.too_many")]
    # A repeat is not an eleventh address.
    assert (
        policy_problems(replace(GOOD, alert_emails=ten + "\nsignalen0@utrecht.nl"), today=TODAY)
        == []
    )


def test_alert_addresses_must_fit_the_column() -> None:
    long = [f"{'x' * 60}{n}@{'gemeente' * 3}.nl" for n in range(8)]
    assert codes(replace(GOOD, alert_emails="\n".join(long))) == [
        ("alert_emails", "alert_emails.too_long")
    ]


@pytest.mark.parametrize(
    ("value", "ok"),
    [("", True), ("  ", True), ("steunpunt@utrecht.nl", True), ("steunpunt", False)],
)
def test_the_support_desk_address_is_optional_but_must_be_an_address(value: str, ok: bool) -> None:
    expected = [] if ok else [("support_desk_email", "email.format")]
    assert codes(replace(GOOD, support_desk_email=value)) == expected


def test_every_code_has_a_message() -> None:
    from portal.messages import MESSAGES

    draft = PolicyDraft(None, None, None, None, None, None)
    emitted = {p.code for p in policy_problems(draft, today=TODAY)}
    emitted |= {f"policy.{name}.range" for name in POLICY_LIMITS}
    emitted |= {
        "policy.effective_from.past",
        "policy.effective_from.in_force",
        "policy.effective_from.planned",
        "alert_emails.format",
        "alert_emails.too_many",
        "alert_emails.too_long",
        "email.format",
    }
    assert sorted(emitted - MESSAGES.keys()) == []


def test_the_range_messages_state_the_ranges() -> None:
    from portal.messages import MESSAGES

    for name, (low, high) in POLICY_LIMITS.items():
        text = str(MESSAGES[f"policy.{name}.range"])  # untranslated outside an app: English
        assert f"{low} " in text and f"{high}" in text, name
    assert f"{MAX_ALERT_EMAILS} " in str(MESSAGES["alert_emails.too_many"])
