"""T17 restore drill: back up 10,000 declarations with pg_dump -Fc, restore, compare, smoke-test.

    .venv/bin/python -m drills.restore [--db NAME] [--declarations 10000] [--keep]

1. A fresh PostgreSQL database (``drill_restore_<pid>``) is migrated (``flask db upgrade``), given
   the demo set (``flask demo load``) and 10,000 declarations filed through the portal's own
   batch service (``services.batches.check_items`` + ``file_batch``: locks, judging, flags,
   alerts, receipts, audit), committed as the batch view commits them.
2. Every table's row count and an md5 over its rows in a fixed order are taken.
3. ``pg_dump -Fc`` writes the backup; the source database is DROPPED (the disaster).
4. ``pg_restore`` into a fresh database ``<name>_restored``, timed: that time is the RTO figure
   of this data set (the criterion: within --rto-seconds, 15 minutes by default).
5. Checks: the same tables, the same row counts (100% of tables), the same md5 per table;
   ``flask db current`` on the restored database is the head revision (migrations check); and a
   smoke test on the restored database through the real app: log in as the demo declarant
   through the login form, file a declaration through the form, download its receipt PDF
   (%PDF header; with pdftotext, the text holds the receipt's reference and verification code).

Exits 1 on any mismatch. docs/operations.md "Backup and restore" describes the procedure.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from drills.common import (
    Check,
    Snapshot,
    at_least,
    at_most,
    compare_snapshots,
    create_database,
    drop_database,
    engine_for,
    exact,
    flask,
    libpq_url,
    portal_env,
    report,
    skip_or_fail,
    unreachable_reason,
)

DECLARANT = "declarant@flexwerk.demo.meldportaal.nl"
BATCH_SIZE = 5000
_CSRF = re.compile(
    r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|'
    r'<input[^>]*value="([^"]+)"[^>]*name="csrf_token"'
)


# --- seeding -------------------------------------------------------------------------------------


def seed_declarations(url: str, count: int) -> int:
    """File ``count`` declarations for the demo declarant's organisation through the batch
    service, ``BATCH_SIZE`` per batch, spread over the demo register; returns how many."""
    from sqlalchemy import select

    from portal import clock, create_app
    from portal.extensions import db
    from portal.models import Address, User
    from portal.services import batches

    app = create_app({"DATABASE_URL": url, "MAIL_ECHO": False, "SECRET_KEY": "x" * 40})
    filed = 0
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == DECLARANT)).scalar_one()
        rows = db.session.execute(
            select(
                Address.postcode,
                Address.house_number,
                Address.house_letter,
                Address.house_number_addition,
            ).order_by(Address.id)
        ).all()
        today = clock.today().isoformat()
        while filed < count:
            # one row per address in a batch (a repeat in one file is refused)
            size = min(BATCH_SIZE, len(rows), count - filed)
            items: list[object] = [
                {
                    "address": {
                        "postcode": rows[(filed + i) % len(rows)].postcode,
                        "house_number": rows[(filed + i) % len(rows)].house_number,
                        "house_letter": rows[(filed + i) % len(rows)].house_letter or None,
                        "house_number_addition": (
                            rows[(filed + i) % len(rows)].house_number_addition or None
                        ),
                    },
                    "occupants": 1 + (filed + i) % 3,
                    "start_date": today,
                    "separate_contracts": True,
                }
                for i in range(size)
            ]
            assert user.organisation_id is not None
            check = batches.check_items(items, user.organisation_id)
            if check.problems:
                raise RuntimeError(f"seed batch refused: {check.problems[:3]}")
            result = batches.file_batch(
                check,
                organisation_id=user.organisation_id,
                user_id=user.id,
                api_key_id=None,
                source="api",
                filename="restore-drill",
            )
            db.session.commit()
            filed += len(result.references)
    return filed


# --- snapshots -----------------------------------------------------------------------------------


def snapshot(url: str) -> dict[str, tuple[int, str]]:
    """Per table of the public schema: (row count, md5 of its rows as text in text order)."""
    result: dict[str, tuple[int, str]] = {}
    with engine_for(url) as engine, engine.connect() as conn:
        tables = [
            name
            for (name,) in conn.exec_driver_sql(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
            ).all()
        ]
        for table in tables:
            count, digest = conn.exec_driver_sql(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "  # noqa: S608 - names from the catalogue
                f'FROM public."{table}" t'
            ).one()
            result[table] = (int(count), str(digest))
    return result


def migration_state(env: dict[str, str]) -> tuple[str, str]:
    """(``flask db current``, ``flask db heads``): the revision ids."""

    def revision(text: str) -> str:
        found = re.findall(r"^(\w+)(?: \(head\))?\s*$", text, re.MULTILINE)
        return found[-1] if found else text.strip()

    return revision(flask(env, "db", "current")), revision(flask(env, "db", "heads"))


# --- the smoke test ------------------------------------------------------------------------------


def _csrf(html: str) -> str:
    match = _CSRF.search(html)
    if match is None:
        raise AssertionError("no csrf_token in the form")
    return match.group(1) or match.group(2)


def smoke_test(url: str) -> dict[str, Any]:
    """Log in, file a declaration through the form, download its receipt: the steps passed."""
    from sqlalchemy import select

    from portal import create_app
    from portal.demo.load import DEMO_PASSWORD, DEMO_TOTP_SECRET
    from portal.extensions import db
    from portal.models import Address, Declaration, Receipt, User
    from portal.services import totp

    app = create_app({"DATABASE_URL": url, "MAIL_ECHO": False, "SECRET_KEY": "y" * 40})
    steps: dict[str, Any] = {"login": False, "declare": False, "receipt_pdf": False}
    client = app.test_client()
    page = client.get("/inloggen").get_data(as_text=True)
    answer = client.post(
        "/inloggen",
        data={"email": DECLARANT, "password": DEMO_PASSWORD, "csrf_token": _csrf(page)},
    )
    if answer.status_code == 302 and "tweede-stap" in answer.headers.get("Location", ""):
        page = client.get(answer.headers["Location"]).get_data(as_text=True)
        code = totp.code_at(DEMO_TOTP_SECRET, int(time.time()) // 30)
        answer = client.post(
            answer.headers["Location"], data={"code": code, "csrf_token": _csrf(page)}
        )
    steps["login"] = answer.status_code == 302 and "inloggen" not in answer.headers.get(
        "Location", ""
    )
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == DECLARANT)).scalar_one()
        address_id = db.session.execute(
            select(Address.id).where(Address.verified.is_(True)).order_by(Address.id).limit(1)
        ).scalar_one()
        before = db.session.execute(
            select(Declaration.id).order_by(Declaration.id.desc()).limit(1)
        ).scalar_one()
        organisation_id = user.organisation_id
    form_url = f"/organisatie/meldingen/nieuw/{address_id}"
    page_answer = client.get(form_url)
    if page_answer.status_code != 200:
        steps["declare_error"] = f"GET {form_url}: {page_answer.status_code}"
        return steps
    answer = client.post(
        form_url,
        data={
            "csrf_token": _csrf(page_answer.get_data(as_text=True)),
            "occupants": "2",
            "occupants_registered_brp": "",
            "start_date": time.strftime("%Y-%m-%d"),
            "end_date": "",
            "declared_for_kvk": "",
            "separate_contracts": "yes",
        },
    )
    with app.app_context():
        new = db.session.execute(
            select(Declaration).where(
                Declaration.id > before, Declaration.organisation_id == organisation_id
            )
        ).scalar_one_or_none()
        receipt = (
            db.session.execute(
                select(Receipt).where(Receipt.declaration_id == new.id)
            ).scalar_one_or_none()
            if new is not None
            else None
        )
        receipt_id = receipt.id if receipt else None
        reference = receipt.reference if receipt else ""
        verification = receipt.verification_code if receipt else ""
    steps["declare"] = answer.status_code == 302 and new is not None and receipt_id is not None
    if not steps["declare"]:
        steps["declare_error"] = f"POST {form_url}: {answer.status_code}"
        return steps
    pdf = client.get(f"/organisatie/ontvangstbevestigingen/{receipt_id}.pdf")
    body = pdf.get_data()
    ok = pdf.status_code == 200 and body.startswith(b"%PDF")
    steps["receipt_reference"] = reference
    steps["pdf_bytes"] = len(body)
    if ok and shutil.which("pdftotext"):
        text = subprocess.run(  # noqa: S603 - fixed program, the PDF on stdin
            [str(shutil.which("pdftotext")), "-", "-"],
            input=body,
            capture_output=True,
            check=False,
            timeout=60,
        ).stdout.decode("utf-8", "replace")
        squeezed = re.sub(r"\s+", "", text)
        steps["pdftotext_finds_reference"] = reference in squeezed
        steps["pdftotext_finds_verification_code"] = re.sub(r"\s+", "", verification) in squeezed
        ok = (
            ok and steps["pdftotext_finds_reference"] and steps["pdftotext_finds_verification_code"]
        )
    steps["receipt_pdf"] = ok
    return steps


# --- the drill -----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    reason = unreachable_reason()
    if reason:
        return skip_or_fail(reason)
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            return skip_or_fail(f"{tool} is not installed (apt-get install postgresql-client)")
    name = args.db or f"drill_restore_{os.getpid()}"
    restored = f"{name}_restored"
    workdir = Path(tempfile.mkdtemp(prefix="drill-restore-"))
    dump = workdir / f"{name}.dump"
    started = time.monotonic()
    figures: dict[str, Any] = {"database": name, "restored_database": restored}
    try:
        url = create_database(name)
        env = portal_env(url)
        t = time.monotonic()
        flask(env, "db", "upgrade")
        flask(env, "demo", "load")
        filed = seed_declarations(url, args.declarations)
        figures["seed_seconds"] = round(time.monotonic() - t, 1)
        before: Snapshot = snapshot(url)

        t = time.monotonic()
        subprocess.run(  # noqa: S603 - fixed program and arguments
            [str(shutil.which("pg_dump")), "-Fc", "--no-owner", "-f", str(dump), libpq_url(url)],
            check=True,
            timeout=1800,
        )
        figures["dump_seconds"] = round(time.monotonic() - t, 2)
        figures["dump_bytes"] = dump.stat().st_size
        drop_database(name)  # the disaster: the database is gone

        restored_url = create_database(restored)
        t = time.monotonic()
        done = subprocess.run(  # noqa: S603 - fixed program and arguments
            [
                str(shutil.which("pg_restore")),
                "--no-owner",
                "--exit-on-error",
                "--jobs",
                str(args.jobs),
                "-d",
                libpq_url(restored_url),
                str(dump),
            ],
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
        restore_seconds = time.monotonic() - t
        figures["restore_seconds"] = round(restore_seconds, 2)
        if done.returncode != 0:
            figures["pg_restore_error"] = done.stderr[-2000:]
        after = snapshot(restored_url)
        differences = compare_snapshots(before, after)
        restored_env = portal_env(restored_url)
        current, head = migration_state(restored_env)
        smoke = smoke_test(restored_url)
        figures.update(
            {
                "declarations_seeded": filed,
                "tables": len(before),
                "rows": sum(n for n, _ in before.values()),
                "rows_per_table": {t: n for t, (n, _) in sorted(before.items()) if n},
                "differences": differences,
                "migration_current": current,
                "migration_head": head,
                "smoke": smoke,
            }
        )
        equal_counts = sum(1 for t in before if t in after and before[t][0] == after[t][0])
        equal_md5 = sum(1 for t in before if t in after and before[t] == after[t])
        checks: list[Check] = [
            exact("pg_restore exit status", done.returncode, 0),
            exact("declarations seeded", filed, args.declarations),
            # the demo set brings a few declarations of its own
            at_least("declarations before backup", before.get("declarations", (0, ""))[0], filed),
            exact("tables after restore", len(after), len(before)),
            exact(
                "% tables with equal row count", round(100 * equal_counts / len(before), 1), 100.0
            ),
            exact("% tables with equal md5", round(100 * equal_md5 / len(before), 1), 100.0),
            exact("differences", len(differences), 0),
            exact("migration revision is head", current == head, True),
            at_most("restore seconds (RTO)", round(restore_seconds, 2), args.rto_seconds),
            exact("smoke: login", smoke["login"], True),
            exact("smoke: declare through the form", smoke["declare"], True),
            exact("smoke: receipt PDF", smoke["receipt_pdf"], True),
        ]
        figures["total_seconds"] = round(time.monotonic() - started, 1)
        return report("T17 restore drill", checks, figures)
    finally:
        if not args.keep:
            drop_database(name)
            drop_database(restored)
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("--db", help="source database name (default drill_restore_<pid>)")
    parser.add_argument("--declarations", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2, help="pg_restore --jobs")
    parser.add_argument("--rto-seconds", type=float, default=900.0, help="criterion (15 min)")
    parser.add_argument("--keep", action="store_true", help="keep the restored database")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
