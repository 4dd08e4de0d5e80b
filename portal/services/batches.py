"""Batches of declarations: check a CSV upload or an API array, then file its valid rows at once
(service layer).

``check_csv`` / ``check_items`` judge every row with the domain rules the web form uses
(``portal.domain.batches.validate_row``) and find the addresses in the register in bulk (one
query per 2,000 postcode/number keys, one per 2,000 BAG ids). ``file_batch`` files the valid rows
in the caller's transaction (docs/performance.md §3.1: no ORM unit of work per row):

1. ``_lock``: lock the touched addresses, in ascending id order (``SELECT … FOR UPDATE`` on
   PostgreSQL), so two batches over the same addresses queue instead of deadlocking, and a single
   filing at one of them waits too;
2. ``_write``: draw the reference numbers (after the lock, like a single filing), insert the
   batch and the declarations in bulk (``staging.copy_rows``: COPY on PostgreSQL, a Core
   ``executemany`` on SQLite);
3. ``_judge``: judge each touched address once on inputs read in bulk
   (``occupancy.occupancy_inputs``, the loader a single filing and the re-evaluation use) and
   sync the flag only of addresses whose flag changes;
4. ``_receipts``: gather each row's facts as a single filing does — the findings over its period
   plus a late-declaration finding (``domain.findings.receipt_findings``) — and build its
   snapshot with the same ``domain.snapshots.filing_snapshot``, so a row and a single filing of
   the same facts store the same bytes (tests/integration/test_receipt_seam.py);
5. ``_audit``: one audit event per declaration (``audit.values``, written by COPY) and one for
   the batch; ``_batch_receipt``: one receipt (kind ``batch``) that lists every reference.

Nothing here commits: the view or the API commits once.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import Select, delete, insert, select, tuple_, update

from portal import clock
from portal.domain import batches as rules
from portal.domain.address import resolve_unit
from portal.domain.errors import InvalidValue, Problem
from portal.domain.findings import receipt_findings
from portal.domain.occupancy import Evaluation, late_finding
from portal.domain.policy import policy_in_force
from portal.domain.receipt_codes import format_reference, new_verification_code
from portal.domain.snapshots import (
    BatchFacts,
    FilingFacts,
    Party,
    batch_snapshot,
    filing_snapshot,
)
from portal.extensions import db
from portal.models import (
    Address,
    AuditEvent,
    Batch,
    BatchUpload,
    Declaration,
    Municipality,
    Organisation,
    Receipt,
    ReferenceNumber,
    User,
)
from portal.receipts import TEMPLATE_VERSION
from portal.services import audit, mandates
from portal.services.bulk import CHUNK, bulk_rows, chunks, member_of
from portal.services.declarations import receipt_address, verify_base
from portal.services.errors import Refused
from portal.services.flags import sync_flags
from portal.services.occupancy import occupancy_inputs
from portal.services.queries import Scope, scoped
from portal.services.receipts import sealed
from portal.services.reevaluation import Judge, open_flags
from portal.services.staging import copy_rows

# An upload left between its dry run and a choice is removed after this long.
UPLOAD_TTL = timedelta(hours=24)
MAX_BYTES = rules.MAX_BYTES
MAX_ROWS = rules.MAX_ROWS


@dataclass(frozen=True)
class RowProblem:
    """One problem with one row: the line (CSV, header = 1) or 1-based item index, the column
    name or JSON path, and the reason code (``portal.messages``)."""

    line: int
    field: str
    code: str
    detail: str = ""  # the value a message names (domain.errors.NAMED_VALUES)


@dataclass(frozen=True)
class ValidRow:
    line: int
    address_id: int
    values: rules.RowValues


@dataclass
class BatchCheck:
    """The dry run of a batch: every problem, and the rows that may be filed."""

    total: int
    problems: list[RowProblem] = field(default_factory=list)
    rows: list[ValidRow] = field(default_factory=list)
    # CSV only: the header as written and the cells of every bad line (for the error report).
    header: list[str] = field(default_factory=list)
    bad_cells: dict[int, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def valid_count(self) -> int:
        return len(self.rows)

    @property
    def bad_lines(self) -> list[int]:
        return sorted({p.line for p in self.problems})


@dataclass
class BatchResult:
    batch: Batch
    receipt: Receipt
    references: list[str]


@dataclass
class _Pending:
    """A row judged on its own, waiting for its address to be found in the register."""

    line: int
    values: rules.RowValues
    field_names: Mapping[str, str]


# --- checking ---------------------------------------------------------------------------------


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of every non-blank CSV record; a quoted cell may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_end = 0
    try:
        for cells in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                yield start, cells
    except csv.Error:
        raise Refused.one("file", "batch.format") from None


def check_csv(raw: bytes, organisation_id: int) -> BatchCheck:
    """Judge an uploaded CSV; refuse the file itself (``Refused``) when it cannot be read.

    The size is checked before anything is decoded and the rows are counted before any row is
    judged.
    """
    if len(raw) > MAX_BYTES:
        raise Refused.one("file", "batch.too_large", f"{len(raw)}")
    try:
        text = rules.decode(raw)
    except InvalidValue as exc:
        raise Refused.one("file", exc.code) from None
    if not text.strip():
        raise Refused.one("file", "batch.empty")
    first_line = text.split("\n", 1)[0]
    # Read no further than one row past the limit: a 5 MB file of tiny lines is refused on its
    # count without holding a million parsed rows.
    records = list(islice(_records(text, rules.sniff_delimiter(first_line)), MAX_ROWS + 2))
    if not records:
        raise Refused.one("file", "batch.empty")
    (_, header), data = records[0], records[1:]
    fields = rules.header_fields(header)
    missing = rules.missing_columns(fields)
    if missing:
        raise Refused.one("file", "batch.header", ", ".join(missing))
    if len(data) > MAX_ROWS:
        raise Refused.one("file", "batch.too_many_rows", f"> {MAX_ROWS}")
    if not data:
        raise Refused.one("file", "batch.empty")
    dutch = {f: column for column, f in rules.COLUMNS.items()}
    names = {f: header[i].strip() or dutch[f] for f, i in fields.items()}
    names.update({f: dutch[f] for f in rules.FIELDS if f not in names})
    check = BatchCheck(total=len(data), header=[h.strip() for h in header])
    today = clock.today()
    pending: list[_Pending] = []
    for line, cells in data:
        values = {f: cells[i] if i < len(cells) else "" for f, i in fields.items()}
        row, problems = rules.validate_row(values, today)
        if row is None:
            check.problems += [RowProblem(line, names[p.field], p.code, p.detail) for p in problems]
            check.bad_cells[line] = cells
        else:
            pending.append(_Pending(line, row, names))
    _resolve(check, _with_mandate(check, pending, organisation_id))
    cells_of = dict(data)
    for problem in check.problems:
        check.bad_cells.setdefault(problem.line, cells_of[problem.line])
    check.problems.sort(key=lambda p: p.line)
    return check


_ADDRESS_PATHS = {
    name: f"address.{name}"
    for name in ("postcode", "house_number", "house_letter", "house_number_addition", "bag_id")
}
# The top-level fields of an API batch item (as POST /declarations; the address is an object).
_ITEM_FIELDS = frozenset(
    {"address", "bag_id"} | {f for f in rules.FIELDS if f not in _ADDRESS_PATHS}
)
# In JSON a value of the wrong type is named as the API names it (``field.type_*``).
_JSON_CODES = {"number.format": "field.type_integer", "yes_no.format": "field.type_boolean"}
_JSON_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "postcode": ((str,), "field.type_string"),
    "house_number": ((int, str), "field.type_integer"),
    "house_letter": ((str,), "field.type_string"),
    "house_number_addition": ((str,), "field.type_string"),
    "bag_id": ((str,), "field.type_string"),
    "occupants": ((int,), "field.type_integer"),
    "occupants_registered_brp": ((int,), "field.type_integer"),
    "start_date": ((str,), "field.type_string"),
    "end_date": ((str,), "field.type_string"),
    "separate_contracts": ((bool,), "field.type_boolean"),
    "declared_for_kvk": ((str,), "field.type_string"),
}


def _json_type_ok(value: object, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in types
    return isinstance(value, types)


_JSON_PATHS = {**_ADDRESS_PATHS, **{f: f for f in rules.FIELDS if f not in _ADDRESS_PATHS}}


def check_items(items: list[object], organisation_id: int) -> BatchCheck:
    """Judge the items of an API batch (objects shaped like ``POST /declarations``)."""
    if not isinstance(items, list) or not items:
        raise Refused.one("declarations", "batch.empty")
    if len(items) > MAX_ROWS:
        raise Refused.one("declarations", "batch.too_many_rows", str(len(items)))
    check = BatchCheck(total=len(items))
    today = clock.today()
    pending: list[_Pending] = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            check.problems.append(RowProblem(index, "", "batch.item_format"))
            continue
        address = item.get("address")
        if not isinstance(address, dict):
            check.problems.append(RowProblem(index, "address", "address.one_of"))
            address = {}
        # Unknown fields are refused, as POST /declarations does (docs/security.md T6: no mass
        # assignment; the API answers 422 ``field.unknown`` rather than ignoring them).
        unknown = [name for name in item if name not in _ITEM_FIELDS] + [
            f"address.{name}" for name in address if name not in _ADDRESS_PATHS
        ]
        if unknown:
            check.problems += [RowProblem(index, name, "field.unknown") for name in unknown]
            continue
        values = {f: item.get(f) for f in rules.FIELDS if f not in _ADDRESS_PATHS}
        # Only the keys the address gives: a missing house_letter leaves the unit open, a null
        # one says "none" (domain.address.resolve_unit).
        values.update({f: address[f] for f in _ADDRESS_PATHS if f in address})
        mistyped = [
            Problem(f, _JSON_TYPES[f][1])
            for f, value in values.items()
            if value is not None and not _json_type_ok(value, _JSON_TYPES[f][0])
        ]
        row, problems = rules.validate_row(
            {f: v for f, v in values.items() if f not in {p.field for p in mistyped}}, today
        )
        skip = {p.field for p in mistyped}
        if not isinstance(item.get("address"), dict):
            skip |= set(_ADDRESS_PATHS)
        if skip:  # a value of the wrong type, or no address object: named once, not "required"
            problems = mistyped + [p for p in problems if p.field not in skip]
            row = None
        if row is None:
            check.problems += [
                RowProblem(index, _JSON_PATHS[p.field], _JSON_CODES.get(p.code, p.code), p.detail)
                for p in problems
            ]
        else:
            pending.append(_Pending(index, row, _JSON_PATHS))
    _resolve(check, _with_mandate(check, pending, organisation_id))
    check.problems.sort(key=lambda p: p.line)
    return check


def _with_mandate(
    check: BatchCheck, pending: list[_Pending], organisation_id: int
) -> list[_Pending]:
    """The pending rows that declare for no other organisation or for one whose mandate the
    filer holds today; every other row gets ``declared_for.no_mandate`` (one query for all)."""
    if not any(p.values.declared_for_kvk for p in pending):
        return pending
    represented = mandates.represented_in_force(organisation_id)
    kept = []
    for row in pending:
        kvk = row.values.declared_for_kvk
        if kvk is None or kvk in represented:
            kept.append(row)
        else:
            field_name = row.field_names["declared_for_kvk"]
            check.problems.append(RowProblem(row.line, field_name, mandates.NO_MANDATE))
    return kept


def _resolve(check: BatchCheck, pending: list[_Pending]) -> None:
    """Find each pending row's address in the register (in bulk); move the rows to ``check``."""
    keys = {p.values.address for p in pending if p.values.address is not None}
    bag_ids = {p.values.bag_id for p in pending if p.values.bag_id is not None}
    # The verified units at each (postcode, number), the lowest id of a repeated one; then the
    # address resolution of the form and the API (domain.address.resolve_unit) for each key.
    at_number: dict[tuple[str, int], dict[tuple[str, str], int]] = defaultdict(dict)
    pairs = sorted({(k.postcode, k.house_number) for k in keys})
    for chunk in chunks(pairs, CHUNK):
        for id_, postcode, number, letter, addition in bulk_rows(
            select(
                Address.id,
                Address.postcode,
                Address.house_number,
                Address.house_letter,
                Address.house_number_addition,
            )
            .where(tuple_(Address.postcode, Address.house_number).in_(chunk), Address.verified)
            .order_by(Address.id)
        ):
            at_number[(postcode, number)].setdefault((letter or "", addition or ""), id_)
    by_key: dict[rules.AddressKey, int | str] = {}
    for key in keys:
        units = at_number.get((key.postcode, key.house_number), {})
        match = resolve_unit(list(units), key.house_letter, key.house_number_addition)
        if match.index is not None:
            by_key[key] = list(units.values())[match.index]
        elif match.status == "choose":
            by_key[key] = "address.ambiguous"
        else:
            by_key[key] = "address.not_in_register"
    by_bag: dict[str, int] = {}
    for chunk in chunks(sorted(bag_ids), CHUNK):
        for id_, nummeraanduiding, verblijfsobject in bulk_rows(
            select(Address.id, Address.nummeraanduiding_id, Address.verblijfsobject_id)
            .where(
                (Address.nummeraanduiding_id.in_(chunk)) | (Address.verblijfsobject_id.in_(chunk)),
                Address.verified,
            )
            .order_by(Address.id.desc())
        ):
            # Lowest id wins (rows come highest first); a nummeraanduiding is exact.
            if verblijfsobject in bag_ids:
                by_bag[verblijfsobject] = id_
            if nummeraanduiding in bag_ids:
                by_bag[nummeraanduiding] = id_
    seen: set[tuple[object, ...]] = set()
    for row in pending:
        values = row.values
        found: int | str | None = (
            by_bag.get(values.bag_id) if values.bag_id is not None else by_key.get(values.address)  # type: ignore[arg-type]
        )
        blame = row.field_names[values.address_field()]
        if not isinstance(found, int):
            check.problems.append(RowProblem(row.line, blame, found or "address.not_in_register"))
            continue
        address_id = found
        same = (
            address_id,
            values.occupants,
            values.occupants_registered_brp,
            values.start_date,
            values.end_date,
            values.separate_contracts,
            values.declared_for_kvk,
        )
        if same in seen:
            check.problems.append(RowProblem(row.line, blame, "duplicate_in_file"))
            continue
        seen.add(same)
        check.rows.append(ValidRow(row.line, address_id, values))


# --- uploads between the dry run and the choice -----------------------------------------------


def keep_upload(
    raw: bytes, filename: str, organisation_id: int, user_id: int, rows: int, bad_rows: int = 0
) -> BatchUpload:
    """Keep an upload under a random token until the user files it or not (flushed);
    ``bad_rows``: how many rows the dry run refused."""
    purge_abandoned_uploads()
    upload = BatchUpload(
        token=secrets.token_urlsafe(32),
        organisation_id=organisation_id,
        user_id=user_id,
        filename=_clean_filename(filename),
        content=raw,
        row_count=rows,
        bad_row_count=bad_rows,
        created_at=clock.now(),
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def find_upload(token: str, scope: Scope, user_id: int) -> BatchUpload | None:
    """The user's own upload with this token (another user's or organisation's: None)."""
    if not token or len(token) > 64:
        return None
    stmt = select(BatchUpload).where(
        BatchUpload.id.in_(scoped(BatchUpload, scope).with_only_columns(BatchUpload.id))
    )
    return db.session.execute(
        stmt.where(
            BatchUpload.token == token,
            BatchUpload.user_id == user_id,
            BatchUpload.created_at >= clock.now() - UPLOAD_TTL,
        )
    ).scalar_one_or_none()


def uploads_with_errors_query(scope: Scope, user_id: int) -> Select[tuple[BatchUpload]]:
    """The user's own checked files that had errors and still wait for the choice to file the
    valid rows or nothing (kept for ``UPLOAD_TTL``), newest first."""
    return (
        scoped(BatchUpload, scope)
        .where(
            BatchUpload.user_id == user_id,
            BatchUpload.bad_row_count > 0,
            BatchUpload.created_at >= clock.now() - UPLOAD_TTL,
        )
        .order_by(BatchUpload.created_at.desc(), BatchUpload.id.desc())
    )


def uploads_with_errors(scope: Scope, user_id: int) -> list[BatchUpload]:
    return list(db.session.execute(uploads_with_errors_query(scope, user_id)).scalars())


def purge_abandoned_uploads() -> int:
    """Remove uploads older than ``UPLOAD_TTL`` that were never filed nor discarded."""
    result = db.session.execute(
        delete(BatchUpload)
        .where(BatchUpload.created_at < clock.now() - UPLOAD_TTL)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def file_upload(
    upload: BatchUpload, user: User, locale: str = "nl"
) -> tuple[BatchCheck, BatchResult]:
    """Check the kept upload again (the register or the date may have moved) and file its valid
    rows; the upload is removed first, so a second press of the button (or a second tab) finds
    it gone and files nothing (``batch.gone``): on PostgreSQL the second delete waits for the
    first transaction and then deletes nothing."""
    content, organisation_id, filename = upload.content, upload.organisation_id, upload.filename
    if not _take_upload(upload):
        raise Refused.one("file", "batch.gone")
    check = check_csv(content, organisation_id)
    result = file_batch(
        check,
        organisation_id=organisation_id,
        user_id=user.id,
        api_key_id=None,
        source="upload",
        filename=filename,
        locale=locale,
    )
    return check, result


def _take_upload(upload: BatchUpload) -> bool:
    """Delete the upload row; False when another request already did."""
    deleted = db.session.execute(delete(BatchUpload).where(BatchUpload.id == upload.id))
    db.session.expunge(upload)
    return bool(getattr(deleted, "rowcount", 0))


def discard_upload(upload: BatchUpload) -> None:
    _take_upload(upload)


def _clean_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in base if c.isprintable())[:200]


# --- filing -----------------------------------------------------------------------------------


def _lock_addresses(ids: Sequence[int]) -> dict[int, Any]:
    """Lock the addresses in ascending id order (PostgreSQL) and read what receipts show."""
    found: dict[int, Any] = {}
    for chunk in chunks(ids, CHUNK):
        statement = (
            select(
                Address.id,
                Address.municipality_id,
                Address.street,
                Address.house_number,
                Address.house_letter,
                Address.house_number_addition,
                Address.postcode,
                Address.town,
                Address.nummeraanduiding_id,
                Address.verified,
                Address.floor_area_m2,
                Address.uses,
            )
            .where(member_of(Address.id, chunk))
            .order_by(Address.id)
            .with_for_update()
        )
        for row in bulk_rows(statement):
            found[row.id] = row
    return found


def _write_rows(table: Any, rows: list[dict[str, object]]) -> None:
    """Many rows of one shape into ``table``: COPY on PostgreSQL (``staging.copy_rows``)."""
    columns = list(rows[0])
    copy_rows(table, columns, ([row[c] for c in columns] for row in rows))


def _reference_numbers(count: int) -> list[int]:
    """``count`` new reference numbers, ascending (one multi-row insert)."""
    now = clock.now()
    table = ReferenceNumber.__table__
    rows = (
        db.session.connection()
        .execute(insert(table).returning(table.c.id), [{"created_at": now}] * count)
        .all()
    )
    return sorted(row[0] for row in rows)


def _verification_codes(count: int) -> list[str]:
    """``count`` fresh codes that no receipt has (a clash of 60 random bits is astronomically
    rare, but checked, as a single filing does)."""
    codes: set[str] = set()
    while len(codes) < count:
        wanted = {new_verification_code() for _ in range(count - len(codes))} - codes
        for chunk in chunks(sorted(wanted), CHUNK):
            taken = set(
                db.session.execute(
                    select(Receipt.verification_code).where(Receipt.verification_code.in_(chunk))
                ).scalars()
            )
            codes.update(set(chunk) - taken)
    return list(codes)


@dataclass
class _Run:
    """One batch filing under way: who files what, and what each step leaves for the next."""

    rows: list[ValidRow]
    organisation: Organisation
    user_id: int | None
    api_key_id: int | None
    actor: User | None
    actor_label: str
    source: str
    locale: str
    now: datetime
    today: date
    addresses: dict[int, Any] = field(default_factory=dict)  # id → the locked row
    batch: Batch | None = None
    references: list[str] = field(default_factory=list)  # one per row, in row order
    declaration_ids: dict[str, int] = field(default_factory=dict)  # reference → id


def file_batch(
    check: BatchCheck,
    *,
    organisation_id: int,
    user_id: int | None,
    api_key_id: int | None,
    source: str,
    filename: str = "",
    locale: str = "nl",
) -> BatchResult:
    """File the valid rows of ``check`` for the organisation, in the caller's transaction:
    lock, write, judge, receipts, audit (the module's docstring tells each step)."""
    rows = sorted(check.rows, key=lambda r: r.line)
    if not rows:
        raise Refused.one("file", "batch.nothing_valid")
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise Refused.one("organisation", "organisation.unknown")
    actor = db.session.get(User, user_id) if user_id is not None else None
    run = _Run(
        rows=rows,
        organisation=organisation,
        user_id=user_id,
        api_key_id=api_key_id,
        actor=actor,
        actor_label=actor.email if actor is not None else f"api_key:{api_key_id}",
        source=source,
        locale=locale,
        now=clock.now(),
        today=clock.today(),
    )
    _lock(run)
    batch = _write(run, filename)
    judged = _judge(run)
    codes = _verification_codes(len(rows) + 1)
    filings = _receipts(run, judged, codes[1:])
    _audit(run, batch)
    receipt = _batch_receipt(run, batch, filings, codes[0])
    db.session.flush()
    return BatchResult(batch=batch, receipt=receipt, references=run.references)


def _lock(run: _Run) -> None:
    """Step 1: lock the addresses in id order, before anything about occupancy is read."""
    db.session.flush()
    run.addresses = _lock_addresses(sorted({r.address_id for r in run.rows}))
    gone = [r for r in run.rows if r.address_id not in run.addresses]
    if gone:
        raise Refused.one("file", "address.not_in_register", str(gone[0].line))


def _write(run: _Run, filename: str) -> Batch:
    """Step 2: the references, the batch and its declarations (COPY on PostgreSQL)."""
    numbers = _reference_numbers(len(run.rows) + 1)
    run.references = [format_reference(run.today.year, n) for n in numbers[1:]]
    batch = Batch(
        reference=format_reference(run.today.year, numbers[0]),
        organisation_id=run.organisation.id,
        submitted_by_user_id=run.user_id,
        api_key_id=run.api_key_id,
        source=run.source,
        filename=_clean_filename(filename),
        row_count=len(run.rows),
        created_at=run.now,
    )
    db.session.add(batch)
    db.session.flush()
    table = Declaration.__table__
    _write_rows(
        table,
        [
            {
                "reference": reference,
                "kind": "new",
                "organisation_id": run.organisation.id,
                "declared_for_kvk": row.values.declared_for_kvk,
                "address_id": row.address_id,
                "municipality_id": run.addresses[row.address_id].municipality_id,
                "occupants": row.values.occupants,
                "occupants_registered_brp": row.values.occupants_registered_brp,
                "start_date": row.values.start_date,
                "end_date": row.values.end_date,
                "end_reason": None,
                "separate_contracts": row.values.separate_contracts,
                "supersedes_id": None,
                "root_id": None,
                "filed_by_user_id": run.user_id,
                "api_key_id": run.api_key_id,
                "batch_id": batch.id,
                "filed_at": run.now,
            }
            for row, reference in zip(run.rows, run.references, strict=True)
        ],
    )
    db.session.connection().execute(
        update(table).where(table.c.batch_id == batch.id).values(root_id=table.c.id)
    )
    run.declaration_ids = dict(
        bulk_rows(select(table.c.reference, table.c.id).where(table.c.batch_id == batch.id))
    )
    run.batch = batch
    return batch


def _judge_addresses(
    rows: Sequence[ValidRow], judge: Judge, today: date
) -> tuple[dict[int, Evaluation], dict[int, Evaluation]]:
    """Each touched address judged once: from its earliest declared start (for the receipts) and
    from today (for the flag), on inputs read in bulk (``occupancy.occupancy_inputs``)."""
    since: dict[int, date] = {}
    for row in rows:
        start = min(row.values.start_date, today)
        since[row.address_id] = min(since.get(row.address_id, start), start)
    earliest = min(since.values())
    from_since: dict[int, Evaluation] = {}
    from_today: dict[int, Evaluation] = {}
    for chunk in chunks(sorted(since), CHUNK):
        inputs = occupancy_inputs(chunk, earliest)
        for address_id in chunk:
            item = inputs[address_id]
            evaluation = judge.evaluation(item, since=since[address_id])
            from_since[address_id] = evaluation
            from_today[address_id] = (
                evaluation if since[address_id] >= today else judge.evaluation(item)
            )
    return from_since, from_today


def _judge(run: _Run) -> tuple[Judge, dict[int, Evaluation]]:
    """Step 3: judge every touched address once; sync the flags only where they change.

    Returns the judge (its policies) and each address judged from its earliest declared start,
    for the receipts."""
    judge = Judge(run.today)
    address_ids = sorted(run.addresses)
    from_since, from_today = _judge_addresses(run.rows, judge, run.today)
    flags: dict[int, Any] = {}
    for chunk in chunks(address_ids, CHUNK):
        flags.update(open_flags(chunk))
    changing = [a for a in address_ids if judge.change(from_today[a], flags.get(a)) is not None]
    # The flags, their history and alerts for the addresses whose flag changes, together
    # (flags.sync_flags: a few statements per chunk, not a few per address).
    for chunk in chunks(changing, CHUNK):
        addresses_to_flag = db.session.execute(
            select(Address).where(member_of(Address.id, chunk)).order_by(Address.id)
        ).scalars()
        with db.session.no_autoflush:
            sync_flags([(a, from_today[a.id]) for a in addresses_to_flag], run.actor)
        db.session.flush()
    return judge, from_since


def _row_facts(
    run: _Run,
    judged: tuple[Judge, dict[int, Evaluation]],
    municipalities: Mapping[int, Municipality],
    codes: Sequence[str],
) -> list[FilingFacts]:
    """The facts of each row's filing, as a single filing of the same row gathers them."""
    judge, from_since = judged
    organisation = Party(run.organisation.kvk_number, run.organisation.name)
    base = verify_base()
    facts: list[FilingFacts] = []
    for row, reference, code in zip(run.rows, run.references, codes, strict=True):
        address = run.addresses[row.address_id]
        municipality = municipalities[address.municipality_id]
        values = row.values
        policy = policy_in_force(
            judge.policies[address.municipality_id], values.start_date, judge.default
        )
        late = late_finding(run.today, values.start_date, values.occupants, policy)
        findings = receipt_findings(
            from_since[row.address_id].findings, values.start_date, values.end_date, late
        )
        facts.append(
            FilingFacts(
                kind="new",
                reference=reference,
                filed_at=run.now,
                verification_code=code,
                verify_base=base,
                municipality=Party(municipality.code, municipality.name),
                organisation=organisation,
                declared_for_kvk=values.declared_for_kvk,
                address=receipt_address(address),
                occupants=values.occupants,
                occupants_registered_brp=values.occupants_registered_brp,
                start_date=values.start_date,
                end_date=values.end_date,
                end_reason=None,
                separate_contracts=values.separate_contracts,
                supersedes=None,
                findings=tuple(findings),
            )
        )
    return facts


def _receipts(
    run: _Run, judged: tuple[Judge, dict[int, Evaluation]], codes: Sequence[str]
) -> list[FilingFacts]:
    """Step 4: one receipt per declaration, its snapshot built as a single filing's is."""
    municipalities = {
        m.id: m
        for m in db.session.execute(
            select(Municipality).where(
                Municipality.id.in_({a.municipality_id for a in run.addresses.values()})
            )
        ).scalars()
    }
    filings = _row_facts(run, judged, municipalities, codes)
    municipality_of = {
        reference: run.addresses[row.address_id].municipality_id
        for row, reference in zip(run.rows, run.references, strict=True)
    }
    rows: list[dict[str, object]] = []
    for facts in filings:
        snapshot_json, sha256 = sealed(filing_snapshot(facts))
        rows.append(
            {
                "reference": facts.reference,
                "verification_code": facts.verification_code,
                "declaration_id": run.declaration_ids[facts.reference],
                "permit_application_id": None,
                "batch_id": None,
                "organisation_id": run.organisation.id,
                "municipality_id": municipality_of[facts.reference],
                "locale": run.locale,
                "snapshot_json": snapshot_json,
                "sha256": sha256,
                "template_version": TEMPLATE_VERSION,
                "created_at": run.now,
            }
        )
    _write_rows(Receipt.__table__, rows)
    return filings


def _audit(run: _Run, batch: Batch) -> None:
    """Step 5: one audit event per declaration (COPY on PostgreSQL), one for the batch."""
    _write_rows(
        AuditEvent.__table__,
        [
            audit.values(
                "declaration.new",
                actor=run.actor,
                actor_label=run.actor_label,
                object_type="declaration",
                object_id=reference,
                organisation_id=run.organisation.id,
                municipality_id=run.addresses[row.address_id].municipality_id,
                detail=f"batch={batch.reference}",
            )
            for row, reference in zip(run.rows, run.references, strict=True)
        ],
    )
    audit.record(
        "batch.file",
        actor=run.actor,
        actor_label=run.actor_label,
        object_type="batch",
        object_id=batch.reference,
        organisation_id=run.organisation.id,
        detail=f"count={len(run.rows)};source={run.source}",
    )


def _batch_receipt(run: _Run, batch: Batch, filings: list[FilingFacts], code: str) -> Receipt:
    """The batch's own receipt: every reference of it, one municipality when it spans one."""
    snapshot_json, sha256 = sealed(
        batch_snapshot(
            BatchFacts(
                reference=batch.reference,
                filed_at=run.now,
                verification_code=code,
                verify_base=verify_base(),
                organisation=Party(run.organisation.kvk_number, run.organisation.name),
                source=run.source,
                filings=filings,
            )
        )
    )
    spanned = {a.municipality_id for a in run.addresses.values()}
    receipt = Receipt(
        reference=batch.reference,
        verification_code=code,
        batch_id=batch.id,
        organisation_id=run.organisation.id,
        municipality_id=next(iter(spanned)) if len(spanned) == 1 else None,
        locale=run.locale,
        snapshot_json=snapshot_json,
        sha256=sha256,
        template_version=TEMPLATE_VERSION,
        created_at=run.now,
    )
    db.session.add(receipt)
    return receipt


# --- reading ----------------------------------------------------------------------------------


def recent_batches(scope: Scope, limit: int = 5) -> list[Batch]:
    """The organisation's latest batches, newest first."""
    visible = scoped(Batch, scope).with_only_columns(Batch.id)
    return list(
        db.session.execute(
            select(Batch)
            .where(Batch.id.in_(visible))
            .order_by(Batch.created_at.desc(), Batch.id.desc())
            .limit(limit)
        ).scalars()
    )


def batch_receipt(batch: Batch) -> Receipt:
    return db.session.execute(select(Receipt).where(Receipt.batch_id == batch.id)).scalar_one()


def batch_references(batch: Batch) -> list[tuple[int, str]]:
    """(declaration id, reference) of every declaration of the batch, in filing order."""
    return [
        (id_, reference)
        for id_, reference in bulk_rows(
            select(Declaration.id, Declaration.reference)
            .where(Declaration.batch_id == batch.id)
            .order_by(Declaration.id)
        )
    ]
