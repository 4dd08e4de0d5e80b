"""What an eHerkenning login proves (portal/domain/eherkenning.py): levels, claim paths, the
identity read from a verified token's claims, and 'filed while unverified'."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.domain import eherkenning as rules
from portal.domain.errors import InvalidValue

NAMES = rules.ClaimNames()
URN = rules.LOA_PREFIX


@pytest.mark.parametrize(
    ("raw", "short"),
    [
        (f"{URN}loa2", "loa2"),
        (f"{URN}loa2plus", "loa2plus"),
        (f"{URN}loa3", "loa3"),
        (f"{URN}LOA4", "loa4"),
        ("loa3", "loa3"),
        (" loa3 ", "loa3"),
    ],
)
def test_level_reads_the_urn_and_the_short_name(raw: str, short: str) -> None:
    assert rules.level(raw) == short


@pytest.mark.parametrize("raw", [None, "", "loa1", "loa5", "EH3", f"{URN}loa3x", 3])
def test_an_unknown_level_is_refused(raw: object) -> None:
    with pytest.raises(InvalidValue) as refused:
        rules.level(raw)
    assert refused.value.code == "eherkenning.loa_unknown"


@pytest.mark.parametrize(
    ("actual", "minimum", "enough"),
    [
        ("loa2", "loa3", False),
        ("loa2plus", "loa3", False),
        ("loa3", "loa3", True),
        ("loa4", "loa3", True),
        ("loa2plus", "loa2", True),
        ("loa2", "loa2plus", False),
    ],
)
def test_levels_are_ordered(actual: str, minimum: str, enough: bool) -> None:
    assert rules.at_least(actual, minimum) is enough


@pytest.mark.parametrize(
    ("claims", "name", "value"),
    [
        ({"a": 1}, "a", 1),
        ({"a": {"b": "x"}}, "a/b", "x"),
        ({"a": {"b": "x"}}, "a/c", None),
        ({"a": "x"}, "a/b", None),
        ({"urn:etoegang:core:LegalSubjectID": "1"}, "urn:etoegang:core:LegalSubjectID", "1"),
        ({"a": 1}, "", None),
    ],
)
def test_claim_paths(claims: dict, name: str, value: object) -> None:
    assert rules.claim(claims, name) == value


def _claims(**changes: object) -> dict[str, object]:
    claims: dict[str, object] = {
        NAMES.kvk: "90000011",
        NAMES.acting_subject: "pseudo-123456",
        NAMES.loa: f"{URN}loa3",
    }
    for key, value in changes.items():
        name = getattr(NAMES, key)
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def test_a_complete_token_proves_company_person_and_level() -> None:
    proven = rules.identity("https://broker", _claims(branch="000012345678"), NAMES, "loa3")
    assert proven == rules.ProvenIdentity(
        issuer="https://broker",
        subject="pseudo-123456",
        kvk="90000011",
        loa="loa3",
        branch="000012345678",
    )
    assert proven.loa_label == "EH3"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"loa": f"{URN}loa2"}, "eherkenning.loa_too_low"),
        ({"loa": f"{URN}loa2plus"}, "eherkenning.loa_too_low"),
        ({"loa": None}, "eherkenning.loa_unknown"),
        ({"kvk": None}, "eherkenning.kvk_missing"),
        ({"kvk": ""}, "eherkenning.kvk_missing"),
        ({"kvk": 90000011}, "eherkenning.kvk_missing"),
        ({"kvk": "9000001"}, "eherkenning.kvk_malformed"),
        ({"kvk": "900000111"}, "eherkenning.kvk_malformed"),
        ({"kvk": "9000001A"}, "eherkenning.kvk_malformed"),
        ({"acting_subject": None}, "eherkenning.subject_missing"),
        ({"acting_subject": "x" * 256}, "eherkenning.subject_missing"),
        ({"branch": "1234"}, "eherkenning.branch_malformed"),
    ],
)
def test_a_token_that_proves_too_little_is_refused(changes: dict, code: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        rules.identity("https://broker", _claims(**changes), NAMES, "loa3")
    assert refused.value.code == code


def test_the_represented_party_and_the_name_come_from_configured_claims() -> None:
    names = rules.ClaimNames(represented_kvk="rep/kvk", organisation_name="org")
    claims = {**_claims(), "rep": {"kvk": "12345678"}, "org": "  Bouw   B.V. "}
    proven = rules.identity("i", claims, names, "loa3")
    assert (proven.represented_kvk, proven.organisation_name) == ("12345678", "Bouw B.V.")
    with pytest.raises(InvalidValue):
        rules.identity("i", {**claims, "rep": {"kvk": "123"}}, names, "loa3")


@pytest.mark.parametrize(
    ("subject", "shown"), [("abcdefghij", "abcd…ij"), ("abcdef", "…"), ("", "…")]
)
def test_the_acting_subject_is_never_shown_in_full(subject: str, shown: str) -> None:
    assert rules.masked(subject) == shown


T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("verified_at", "filed_at", "proven"),
    [
        (None, T0, False),
        (T0, T0, True),
        (T0, datetime(2026, 12, 1, 11, 59, tzinfo=UTC), False),
        (T0, datetime(2026, 12, 2, tzinfo=UTC), True),
    ],
)
def test_filed_while_unverified(
    verified_at: datetime | None, filed_at: datetime, proven: bool
) -> None:
    assert rules.proven_when(verified_at, filed_at) is proven
