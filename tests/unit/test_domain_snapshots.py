"""The receipt snapshot built from a filing's facts (portal.domain.snapshots).

A stored receipt's SHA-256 is checked years later, so the canonical JSON these functions build
for given facts is pinned here byte for byte: the keys and values services.declarations'
build_snapshot wrote before the builder moved into the domain.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal.domain.address import number_label
from portal.domain.occupancy import Finding
from portal.domain.receipt_codes import canonical_json, snapshot_sha256
from portal.domain.snapshots import (
    BatchFacts,
    FilingFacts,
    Party,
    ReceiptAddress,
    batch_snapshot,
    filing_snapshot,
)

ADDRESS = ReceiptAddress(
    street="Dorpsstraat",
    house_number=12,
    house_letter="A",
    house_number_addition="2",
    postcode="1234 AB",
    town="Ergens",
    nummeraanduiding_id="0344200000123456",
    verified=True,
    floor_area_m2=100,
    uses=("woonfunctie",),
)
LATE = Finding("late_declaration", "info", date(2026, 1, 1), None, 6, None, "late")
FACTS = FilingFacts(
    kind="amendment",
    reference="MH-2026-000042",
    filed_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    verification_code="ABCD-EFGH-JKMN",
    verify_base="https://meldportaal.example",
    municipality=Party("0344", "Utrecht"),
    organisation=Party("12345678", "Uitzendbureau B.V."),
    declared_for_kvk=None,
    address=ADDRESS,
    occupants=6,
    occupants_registered_brp=1,
    start_date=date(2026, 1, 1),
    end_date=None,
    end_reason=None,
    separate_contracts=True,
    supersedes="MH-2026-000041",
    findings=(LATE,),
)


@pytest.mark.parametrize(
    ("number", "letter", "addition", "label"),
    [
        (12, "", "", "12"),
        (12, "A", "", "12A"),
        (12, "", "2", "12-2"),
        (12, "A", "bis", "12A-bis"),
        (7, None, None, "7"),  # a row read in bulk may carry None
    ],
)
def test_number_label(number: int, letter: str | None, addition: str | None, label: str) -> None:
    assert number_label(number, letter, addition) == label


def test_a_filing_snapshot_is_what_receipts_stored() -> None:
    snapshot = filing_snapshot(FACTS)
    assert snapshot["verify_url"] == "https://meldportaal.example/verify/ABCD-EFGH-JKMN"
    assert snapshot["address"]["number_label"] == "12A-2"  # type: ignore[index]
    assert snapshot["declaration"]["effective_date"] == "2026-01-01"  # type: ignore[index]
    assert canonical_json(snapshot) == (
        b'{"address":{"floor_area_m2":100,"number_label":"12A-2",'
        b'"nummeraanduiding_id":"0344200000123456","postcode":"1234 AB","street":"Dorpsstraat",'
        b'"town":"Ergens",'
        b'"uses":["woonfunctie"],"verified":true},"declaration":{"effective_date":"2026-01-01",'
        b'"end_date":null,"end_reason":null,"occupants":6,"occupants_registered_brp":1,'
        b'"separate_contracts":true,"start_date":"2026-01-01","supersedes":"MH-2026-000041"},'
        b'"declared_for_kvk":null,"filed_at":"2026-03-02T09:30:00+00:00","findings":[{"code":'
        b'"late_declaration","end":null,"limit":null,"occupants":6,"rule":"late","severity":'
        b'"info","start":"2026-01-01"}],"kind":"amendment","municipality":{"code":"0344",'
        b'"name":"Utrecht"},"organisation":{"kvk":"12345678","name":"Uitzendbureau B.V."},'
        b'"reference":"MH-2026-000042","verification_code":"ABCD-EFGH-JKMN","verify_url":'
        b'"https://meldportaal.example/verify/ABCD-EFGH-JKMN"}'
    )


def test_a_batch_snapshot_lists_each_filing_on_one_line() -> None:
    snapshot = batch_snapshot(
        BatchFacts(
            reference="MH-2026-000040",
            filed_at=FACTS.filed_at,
            verification_code="PQRS-TVWX-YZ23",
            verify_base=FACTS.verify_base,
            organisation=FACTS.organisation,
            source="upload",
            filings=[FACTS],
        )
    )
    assert snapshot["count"] == 1
    assert snapshot["declarations"] == [
        {
            "reference": "MH-2026-000042",
            "address": "Dorpsstraat 12A-2, 1234 AB Ergens",
            "postcode": "1234 AB",
            "municipality_code": "0344",
            "occupants": 6,
            "start_date": "2026-01-01",
            "end_date": None,
            "findings": ["late_declaration"],
        }
    ]
    assert snapshot_sha256(snapshot) == snapshot_sha256(dict(snapshot))
