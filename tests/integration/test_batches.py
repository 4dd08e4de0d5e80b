"""Batches of declarations (issue 6, parts 6–7): check a CSV or an API array, file the valid rows
in one transaction with bulk inserts, one receipt per declaration plus one batch receipt."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import clock
from portal.domain.address import normalise_postcode, parse_house_number
from portal.domain.declarations import DeclarationInput, declaration_problems
from portal.domain.errors import InvalidValue
from portal.extensions import db
from portal.models import AuditEvent, Batch, Declaration, Flag, Receipt
from portal.services import batches
from portal.services.errors import Refused
from tests.batch_support import HEADER, excel_csv, row, seed_register
from tests.helpers import grant_mandate


def _count(model: type, *where: Any) -> int:
    return int(
        db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
    )


@pytest.fixture
def org_user(ctx: Flask, make_user: Callable[..., Any]) -> Any:
    return make_user("declarant")


@pytest.fixture
def municipality(ctx: Flask, make_municipality: Callable[..., Any]) -> Any:
    return make_municipality()


def _dutch_excel_500(bad: dict[int, dict[str, str]]) -> list[list[str]]:
    """500 rows with a remark column holding "é"; rows at index ``bad`` get changes."""
    start = clock.today() - timedelta(days=3)
    return [[*row(i, start, **bad.get(i, {})), f"woning {i} bij café"] for i in range(500)]


BAD_ROWS = {
    # data index → changes; the file line is index + 2 (header = line 1)
    17: {"aantal_bewoners": "0"},
    250: {"startdatum": "31-02-2026"},
    499: {"postcode": "0123 AB"},
}


@pytest.mark.parametrize(
    ("encoding", "bom"), [("cp1252", False), ("utf-8", True)], ids=["windows-1252", "utf-8-bom"]
)
def test_dutch_excel_file_reports_exactly_the_bad_lines_and_files_the_rest(
    ctx: Flask, org_user: Any, municipality: Any, encoding: str, bom: bool
) -> None:
    seed_register(ctx, 500, municipality.id)
    raw = excel_csv(
        _dutch_excel_500(BAD_ROWS), encoding=encoding, bom=bom, header=[*HEADER, "opmerking"]
    )
    assert (b"caf\xe9" in raw) is (encoding == "cp1252")

    check = batches.check_csv(raw, org_user.organisation_id)

    assert check.total == 500
    assert check.bad_lines == [19, 252, 501]
    assert [(p.line, p.field, p.code) for p in check.problems] == [
        (19, "aantal_bewoners", "occupants.range"),
        (19, "waarvan_ingeschreven_brp", "brp.more_than_occupants"),  # 1 of 0
        (252, "startdatum", "date.nonexistent"),
        (501, "postcode", "postcode.leading_zero"),
    ]
    assert check.valid_count == 497 and not check.ok
    assert check.bad_cells[252][HEADER.index("startdatum")] == "31-02-2026"

    result = batches.file_batch(
        check,
        organisation_id=org_user.organisation_id,
        user_id=org_user.id,
        api_key_id=None,
        source="upload",
        filename="meldingen.csv",
    )
    db.session.commit()

    assert _count(Declaration) == 497
    assert _count(Batch) == 1
    assert _count(Receipt) == 498  # one per declaration and the batch's own
    assert len(result.references) == len(set(result.references)) == 497
    assert _count(Declaration, Declaration.batch_id == result.batch.id) == 497
    assert _count(Declaration, Declaration.root_id == Declaration.id) == 497
    assert result.batch.row_count == 497 and result.batch.source == "upload"
    assert _count(AuditEvent, AuditEvent.action == "batch.file") == 1
    assert _count(AuditEvent, AuditEvent.action == "declaration.new") == 497

    snapshot = json.loads(result.receipt.snapshot_json)
    assert snapshot["kind"] == "batch"
    assert snapshot["reference"] == result.batch.reference == result.receipt.reference
    assert snapshot["organisation"]["kvk"]
    assert [d["reference"] for d in snapshot["declarations"]] == result.references
    first = snapshot["declarations"][0]
    assert set(first) >= {
        "reference",
        "address",
        "postcode",
        "municipality_code",
        "occupants",
        "start_date",
        "end_date",
    }
    assert first["address"] == "Proefstraat 1, 1000 AB Proefdorp"
    assert snapshot["verify_url"].endswith("/verify/" + snapshot["verification_code"])
    assert result.receipt.municipality_id == municipality.id  # all in one municipality

    # Each declaration's own receipt has the same shape as a single filing's.
    one = db.session.execute(
        select(Receipt).where(Receipt.reference == result.references[0])
    ).scalar_one()
    own = json.loads(one.snapshot_json)
    assert own["kind"] == "new" and own["declaration"]["occupants"] == 2
    assert own["address"]["verified"] is True
    assert one.declaration_id is not None


def test_bag_ids_comma_separated_iso_dates_and_excel_lost_leading_zeros(
    ctx: Flask, org_user: Any, municipality: Any
) -> None:
    seed_register(ctx, 3, municipality.id)
    today = clock.today().isoformat()
    rows = [
        row(
            0,
            clock.today(),
            startdatum=today,
            postcode="",
            huisnummer="",
            bag_id="9999200000000000",
        ),
        row(
            1,
            clock.today(),
            startdatum=today,
            postcode="",
            huisnummer="",
            bag_id="9999010000000001",
        ),  # a verblijfsobject id
        row(2, clock.today(), startdatum=today),
    ]
    check = batches.check_csv(excel_csv(rows, delimiter=",", encoding="utf-8"), 1)
    assert check.problems == []
    assert check.valid_count == 3


def test_unknown_ambiguous_and_repeated_addresses_are_row_problems(
    ctx: Flask, org_user: Any, municipality: Any, make_address: Callable[..., Any]
) -> None:
    seed_register(ctx, 2, municipality.id)
    make_address("3511 AB", 12, letter="A")
    make_address("3511 AB", 12, letter="B")
    start = clock.today()
    rows = [
        row(0, start),
        row(0, start),  # the same row again
        row(1, start, huisletter="C"),  # not in the register
        row(1, start, postcode="3511 AB", huisnummer="12"),  # no plain 12: not 12A or 12B
        row(1, start, postcode="3511 AB", huisnummer="12", huisletter="b"),
        row(1, start, postcode="", huisnummer="", bag_id="9999209999999999"),
    ]
    check = batches.check_csv(excel_csv(rows), org_user.organisation_id)
    assert [(p.line, p.field, p.code) for p in check.problems] == [
        (3, "postcode", "duplicate_in_file"),
        (4, "postcode", "address.not_in_register"),
        (5, "postcode", "address.not_in_register"),
        (7, "bag_id", "address.not_in_register"),
    ]
    assert [r.line for r in check.rows] == [2, 6]


def test_file_level_refusals_come_before_any_row_is_judged(ctx: Flask, org_user: Any) -> None:
    def code(raw: bytes) -> str:
        with pytest.raises(Refused) as refused:
            batches.check_csv(raw, org_user.organisation_id)
        return refused.value.problems[0].code

    # Oversize: refused on the length alone (these bytes are not even text).
    assert code(b"\x00" * (batches.MAX_BYTES + 1)) == "batch.too_large"
    # One row too many, every row invalid: refused on the count, no row problems.
    garbage = [["x"] * len(HEADER)] * (batches.MAX_ROWS + 1)
    assert code(excel_csv(garbage)) == "batch.too_many_rows"
    assert code(b"") == "batch.empty"
    assert code(excel_csv([])) == "batch.empty"
    assert code(b"\xff\xfep\x00o\x00s\x00") == "batch.encoding"  # UTF-16 ("Unicode text")
    assert code(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR") == "batch.encoding"
    assert code(b"\x81\x8d\x8f\x90") == "batch.encoding"  # neither UTF-8 nor Windows-1252
    with pytest.raises(Refused) as refused:
        batches.check_csv(b"postcode;huisnummer\r\n3511 AB;1\r\n", org_user.organisation_id)
    problem = refused.value.problems[0]
    assert problem.code == "batch.header"
    assert problem.detail == "aantal_bewoners, startdatum, aparte_contracten"
    # Exactly the limits are fine.
    assert len(excel_csv([row(i, clock.today()) for i in range(10)])) < batches.MAX_BYTES


def test_same_reason_codes_as_the_form_and_the_api(
    ctx: Flask, org_user: Any, municipality: Any
) -> None:
    seed_register(ctx, 1, municipality.id)
    today = clock.today()
    too_early = today - timedelta(days=400)
    # The form's domain validation for the same values:
    expected = {
        p.code
        for p in declaration_problems(
            DeclarationInput(
                occupants=501,
                start_date=too_early,
                occupants_registered_brp=600,
                separate_contracts=None,
            ),
            today,
        )
    }
    for normalise, raw in ((normalise_postcode, "3511 SS"), (parse_house_number, "0")):
        with pytest.raises(InvalidValue) as invalid:
            normalise(raw)  # type: ignore[operator]
        expected.add(invalid.value.code)

    csv_check = batches.check_csv(
        excel_csv(
            [
                row(
                    0,
                    too_early,
                    occupants=501,
                    postcode="3511 SS",
                    huisnummer="0",
                    waarvan_ingeschreven_brp="600",
                    aparte_contracten="",
                )
            ]
        ),
        org_user.organisation_id,
    )
    api_check = batches.check_items(
        [
            {
                "address": {"postcode": "3511 SS", "house_number": 0},
                "occupants": 501,
                "occupants_registered_brp": 600,
                "start_date": too_early.isoformat(),
                "end_date": None,
                "declared_for_kvk": None,
            }
        ],
        org_user.organisation_id,
    )
    assert {p.code for p in csv_check.problems} == expected
    assert {p.code for p in api_check.problems} == expected
    assert {p.field for p in api_check.problems} == {
        "address.postcode",
        "address.house_number",
        "occupants",
        "occupants_registered_brp",
        "start_date",
        "separate_contracts",
    }
    assert {p.field for p in csv_check.problems} == {
        "postcode",
        "huisnummer",
        "aantal_bewoners",
        "waarvan_ingeschreven_brp",
        "startdatum",
        "aparte_contracten",
    }


def test_check_items_files_valid_api_rows(ctx: Flask, org_user: Any, municipality: Any) -> None:
    ids = seed_register(ctx, 2, municipality.id)
    grant_mandate(ctx, "12345678", org_user.organisation_id)
    start = clock.today().isoformat()
    items: list[object] = [
        {
            "address": {"postcode": "1000 ab", "house_number": 1},
            "occupants": 3,
            "start_date": start,
            "separate_contracts": True,
        },
        {
            "address": {"bag_id": "9999200000000001"},
            "occupants": 2,
            "start_date": start,
            "separate_contracts": False,
            "declared_for_kvk": "12.34.56.78",
        },
        "not an object",
        {"occupants": "many", "start_date": start, "separate_contracts": "yes"},
    ]
    check = batches.check_items(items, org_user.organisation_id)
    assert [(p.line, p.field, p.code) for p in check.problems] == [
        (3, "", "batch.item_format"),
        (4, "address", "address.one_of"),
        (4, "occupants", "field.type_integer"),
        (4, "separate_contracts", "field.type_boolean"),
    ]
    assert [r.address_id for r in check.rows] == ids
    result = batches.file_batch(
        check,
        organisation_id=org_user.organisation_id,
        user_id=None,
        api_key_id=None,
        source="api",
    )
    db.session.commit()
    assert _count(Declaration) == 2
    kvk = db.session.execute(
        select(Declaration.declared_for_kvk).where(Declaration.reference == result.references[1])
    ).scalar_one()
    assert kvk == "12345678"


def test_a_batch_over_the_limit_opens_one_flag_and_late_rows_get_the_finding(
    ctx: Flask, org_user: Any, municipality: Any
) -> None:
    # 100 m² dwelling: limit 8 by area, 4 without a permit.
    seed_register(ctx, 2, municipality.id, floor_area=100)
    today = clock.today()
    rows = [
        row(0, today, occupants=3),
        row(0, today, occupants=4, waarvan_ingeschreven_brp="0"),  # together 7 > 4
        row(1, today - timedelta(days=60), occupants=2),  # declared 60 days late
    ]
    check = batches.check_csv(excel_csv(rows), org_user.organisation_id)
    result = batches.file_batch(
        check,
        organisation_id=org_user.organisation_id,
        user_id=org_user.id,
        api_key_id=None,
        source="upload",
    )
    db.session.commit()
    flags = db.session.execute(select(Flag)).scalars().all()
    assert len(flags) == 1 and flags[0].occupants == 7 and "permit_required" in flags[0].reasons
    snapshots = {
        r.reference: json.loads(r.snapshot_json)
        for r in db.session.execute(
            select(Receipt).where(Receipt.declaration_id.is_not(None))
        ).scalars()
    }
    codes = [{f["code"] for f in snapshots[ref]["findings"]} for ref in result.references]
    assert "permit_required" in codes[0] and "permit_required" in codes[1]
    assert "late_declaration" in codes[2] and "permit_required" not in codes[2]
    listed = json.loads(result.receipt.snapshot_json)["declarations"]
    assert "late_declaration" in listed[2]["findings"]


def test_nothing_valid_is_refused_and_stores_nothing(
    ctx: Flask, org_user: Any, municipality: Any
) -> None:
    check = batches.check_csv(excel_csv([row(0, clock.today())]), org_user.organisation_id)
    assert check.problems[0].code == "address.not_in_register"
    with pytest.raises(Refused):
        batches.file_batch(
            check,
            organisation_id=org_user.organisation_id,
            user_id=org_user.id,
            api_key_id=None,
            source="upload",
        )
    db.session.rollback()
    assert _count(Declaration) == 0 and _count(Batch) == 0 and _count(Receipt) == 0


def test_batch_receipt_renders_every_reference(
    ctx: Flask, org_user: Any, municipality: Any
) -> None:
    from portal.receipts.render import render_receipt_html
    from portal.services.receipts import receipt_pdf

    seed_register(ctx, 30, municipality.id)
    check = batches.check_csv(
        excel_csv([row(i, clock.today()) for i in range(30)]), org_user.organisation_id
    )
    result = batches.file_batch(
        check,
        organisation_id=org_user.organisation_id,
        user_id=org_user.id,
        api_key_id=None,
        source="upload",
        locale="en",
    )
    db.session.commit()
    html = render_receipt_html(json.loads(result.receipt.snapshot_json), "en")
    assert "Receipt for a batch of housing declarations" in html
    assert "Batch of new declarations" in html
    assert all(reference in html for reference in result.references)
    pdf = receipt_pdf(result.receipt)
    assert pdf.startswith(b"%PDF")


def test_two_batches_over_the_same_addresses_in_opposite_order_both_file(
    app: Flask,
    make_user: Callable[..., Any],
    make_municipality: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each batch locks its addresses in id order, so two batches never deadlock (PostgreSQL).

    Sabotage (shown by hand, 2026-11-28): with ``SABOTAGE_LOCK_ORDER=1`` each batch locks its
    addresses one by one in its own row order; then PostgreSQL detects a deadlock and one of the
    two batches fails, and this test fails.
    """
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("row locks need PostgreSQL (SQLite serialises all writers anyway)")
    if os.environ.get("SABOTAGE_LOCK_ORDER"):
        original = batches._lock_addresses

        def in_row_order(ids: Any) -> Any:
            order = ids if threading.current_thread().name == "forward" else ids[::-1]
            for address_id in order:
                original([address_id])
                time.sleep(0.001)
            return original(ids)

        monkeypatch.setattr(batches, "_lock_addresses", in_row_order)
    municipality = make_municipality()
    seed_register(app, 300, municipality.id)
    users = [make_user("declarant"), make_user("declarant")]
    start = clock.today()
    forward = excel_csv([row(i, start) for i in range(300)])
    backward = excel_csv([row(i, start) for i in reversed(range(300))])
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(user: Any, raw: bytes) -> None:
        try:
            with app.app_context():
                check = batches.check_csv(raw, user.organisation_id)
                barrier.wait()
                batches.file_batch(
                    check,
                    organisation_id=user.organisation_id,
                    user_id=user.id,
                    api_key_id=None,
                    source="upload",
                )
                db.session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=(users[0], forward), name="forward"),
        threading.Thread(target=worker, args=(users[1], backward), name="backward"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with app.app_context():
        assert _count(Declaration) == 600
        assert _count(Batch) == 2
        assert _count(Receipt) == 602


def test_pressing_file_twice_at_once_files_the_upload_once(
    app: Flask, make_user: Callable[..., Any], make_municipality: Callable[..., Any]
) -> None:
    """Two requests for one kept upload: the second finds it gone (PostgreSQL row lock)."""
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("concurrent transactions need PostgreSQL")
    from portal.models import BatchUpload, User
    from portal.services.queries import Scope

    seed_register(app, 20, make_municipality().id)
    user = make_user("declarant")
    raw = excel_csv([row(i, clock.today()) for i in range(20)])
    with app.app_context():
        token = batches.keep_upload(raw, "a.csv", user.organisation_id, user.id, 20).token
        db.session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker() -> None:
        with app.app_context():
            upload = batches.find_upload(
                token, Scope("organisation", user.organisation_id), user.id
            )
            assert upload is not None
            barrier.wait()
            try:
                batches.file_upload(upload, db.session.get(User, user.id))  # type: ignore[arg-type]
                db.session.commit()
                outcomes.append("filed")
            except Refused as exc:
                db.session.rollback()
                outcomes.append(exc.problems[0].code)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["batch.gone", "filed"]
    with app.app_context():
        assert _count(Declaration) == 20 and _count(Batch) == 1 and _count(BatchUpload) == 0


def test_mutated_files_give_a_check_or_a_refusal_never_a_crash(
    ctx: Flask, org_user: Any, municipality: Any
) -> None:
    """A small deterministic fuzz of the whole check (docs/security.md T8): random byte edits of a
    good file. (A 60-second run of the same loop, 590,000 inputs, found "¹" as a house number
    crashing ``int()``; now ``house_number.format``.)"""
    import random

    seed_register(ctx, 5, municipality.id)
    good = excel_csv([row(i, clock.today()) for i in range(5)], bom=True)
    alphabet = b';,"\r\n\x00\xef\xbb\xbf\xe9\xff\xb9=-+@ 0123456789abAB'
    rnd = random.Random(20261128)
    outcomes = {"check": 0, "refused": 0}
    for _ in range(2000):
        data = bytearray(good)
        for _ in range(rnd.randint(1, 20)):
            pos = rnd.randrange(len(data) + 1)
            roll = rnd.random()
            if roll < 0.4:
                data[pos:pos] = bytes([rnd.choice(alphabet)])
            elif roll < 0.7 and data:
                del data[pos : pos + rnd.randint(1, 5)]
            elif data:
                data[min(pos, len(data) - 1)] = rnd.randrange(256)
        try:
            batches.check_csv(bytes(data), org_user.organisation_id)
        except Refused:
            outcomes["refused"] += 1
        else:
            outcomes["check"] += 1
    assert outcomes["check"] > 100 and outcomes["refused"] > 100
