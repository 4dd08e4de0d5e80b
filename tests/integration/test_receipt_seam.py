"""One filing seam: a batch row and a single filing of the same facts store the same receipt.

Both paths gather the facts of a filing and build its snapshot with
``portal.domain.snapshots.filing_snapshot``; this test holds them to it byte for byte. The same
row is filed once through ``declarations.file_declaration`` (then rolled back, so the address is
empty again) and once through ``batches.check_csv`` + ``batches.file_batch``, at the same frozen
moment, with findings on the receipt (no permit for 6 people on 100 m², declared 60 days late).

Two values differ between any two filings by design and are controlled here instead of being left
out of the comparison: the reference number (drawn from ``reference_numbers``) and the
verification code (random). Both paths are given the same ones, so the whole canonical JSON is
compared, and with it the stored SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.domain.receipt_codes import canonical_json, format_reference
from portal.extensions import db
from portal.models import Receipt
from portal.services import batches, declarations
from tests.batch_support import excel_csv, row, seed_register
from tests.helpers import grant_mandate

CODE = "ABCD-EFGH-JKMN"
BATCH_CODE = "PQRS-TVWX-YZ23"
NUMBER, BATCH_NUMBER = 4_242, 4_241


def test_a_batch_row_and_a_single_filing_store_byte_identical_snapshots(
    ctx: Flask,
    make_user: Callable[..., Any],
    make_municipality: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = make_user("declarant")
    grant_mandate(ctx, "12345678", user.organisation_id)
    (address_id,) = seed_register(ctx, 1, make_municipality().id, floor_area=100)
    moment = clock.now()
    today = clock.today()
    start, end = today - timedelta(days=60), today + timedelta(days=30)
    reference = format_reference(today.year, NUMBER)
    # The values that differ between any two filings, made the same for both paths.
    monkeypatch.setattr(declarations, "next_reference", lambda: reference)
    monkeypatch.setattr(declarations, "new_verification_code", lambda: CODE)
    monkeypatch.setattr(batches, "_reference_numbers", lambda n: [BATCH_NUMBER, NUMBER])
    monkeypatch.setattr(batches, "_verification_codes", lambda n: [BATCH_CODE, CODE])

    with clock.freeze(moment):
        single = declarations.file_declaration(
            user,
            DeclarationInput(
                occupants=6,
                start_date=start,
                end_date=end,
                occupants_registered_brp=1,
                separate_contracts=True,
            ),
            address_id=address_id,
            declared_for_kvk="12.34.56.78",
        )
        db.session.flush()
        single_json, single_sha = single.receipt.snapshot_json, single.receipt.sha256
        db.session.rollback()  # the address is empty again for the batch

        check = batches.check_csv(
            excel_csv(
                [
                    row(
                        0,
                        start,
                        occupants=6,
                        einddatum=f"{end.day}-{end.month:02d}-{end.year}",
                        namens_kvk="12.34.56.78",
                    )
                ]
            ),
            user.organisation_id,
        )
        assert check.ok, check.problems
        result = batches.file_batch(
            check,
            organisation_id=user.organisation_id,
            user_id=user.id,
            api_key_id=None,
            source="upload",
        )
        db.session.commit()

    stored = db.session.execute(
        select(Receipt).where(Receipt.reference == result.references[0])
    ).scalar_one()
    snapshot = json.loads(single_json)
    # The filing has what this test is about: findings (one of them late) and every field set.
    assert {f["code"] for f in snapshot["findings"]} >= {"permit_required", "late_declaration"}
    assert snapshot["reference"] == reference and snapshot["verification_code"] == CODE
    assert snapshot["declared_for_kvk"] == "12345678"
    assert snapshot["declaration"]["end_date"] == end.isoformat()

    assert canonical_json(snapshot) == single_json.encode("utf-8")
    assert stored.snapshot_json.encode("utf-8") == single_json.encode("utf-8")
    assert hashlib.sha256(stored.snapshot_json.encode("utf-8")).hexdigest() == single_sha
    assert stored.sha256 == single_sha
