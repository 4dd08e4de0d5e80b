"""T2 crash drill: kill -9 gunicorn workers during 1,000 API filings; nothing is half-written.

    .venv/bin/python -m drills.crash [--db NAME] [--sabotage no-transaction] [--json FILE]

A fresh PostgreSQL database of its own (created, migrated, seeded, dropped), gunicorn with 4
sync workers (the README's deployment flags), 16 client threads that POST 1,000 declarations,
each with its own Idempotency-Key and retried with the SAME key on a connection error, a 5xx or
a 409 (in flight) until a 201 (or its replay). Meanwhile a random worker gets SIGKILL every
0.3 s for 25 s; gunicorn starts a new one each time. Then the database is checked (docs/security.md
T2) and the drill exits 1 when any criterion fails.

What "its alert" is (portal/services/flags.py ``sync_flag``, portal/notifications/alerts.py
``alert_flags``): every flag event of kind opened, reopened or escalated is judged, in the
filing's transaction, for each recipient (the municipality's alert addresses of its policy in
force, and each active inspector with immediate alerts): an outbox message of kind
``flag_alert`` whose body links to ``/inspectie/signalen/<flag id>``, or a line for the
recipient's daily digest — at most one immediate alert per recipient and address per 24 hours
unless the severity level rises or a new reason appears (docs/rules.md §1.9). A drill flag opens
at twice its limit (2 people, limit 1: the highest level) and its escalations keep the level and
the reason. So for each flag and each immediate recipient: exactly one alert, and one digest line
when the flag escalated.

A killed worker may leave an Idempotency-Key claim in flight (the claim is committed before the
work, portal/services/idempotency.py); the next identical request takes it over once it is older
than IDEMPOTENCY_STALE_SECONDS (300 in production). The drill runs gunicorn with --timeout 10 and
IDEMPOTENCY_STALE_SECONDS=15 (still above the timeout, so a slow request is never taken over),
and the clients keep retrying 409 with the same key.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from drills.common import (
    Check,
    at_least,
    children_of,
    create_database,
    drop_database,
    engine_for,
    exact,
    flask,
    judge,
    portal_env,
    report,
    skip_or_fail,
    start_gunicorn,
    unreachable_reason,
)

MUNICIPALITY = "GM9901"
ADDRESSES = 250  # 4 filings of 1 occupant each per address
SMALL_AREA = 20  # m²: area limit floor(20/12) = 1 person, so the 2nd filing opens a flag
LARGE_AREA = 200  # m²: 16 people; 4 occupants stay within the no-permit maximum of 4
FLAG_LINK = re.compile(r"/inspectie/signalen/(\d+)\b")
RETRY_STATUSES = {409, 500, 502, 503, 504}


@dataclass
class Outcome:
    status: int | None = None
    replayed: bool = False
    attempts: int = 0
    retries_by_reason: Counter[str] = field(default_factory=Counter)
    reference: str | None = None
    error: str = ""


# --- seeding -------------------------------------------------------------------------------------


def seed(url: str) -> dict[str, Any]:
    from portal import create_app

    return seed_app(create_app({"DATABASE_URL": url, "MAIL_ECHO": False, "SECRET_KEY": "x" * 40}))


def seed_app(app: Any) -> dict[str, Any]:
    """Municipality, organisation, inspectors, API key and register addresses (one commit)."""
    from portal import clock
    from portal.extensions import db
    from portal.models import Address, Municipality, Organisation, User
    from portal.services import apikeys

    with app.app_context():
        mun = Municipality(code=MUNICIPALITY, name="Drilldorp", province="Utrecht")
        org = Organisation(
            kvk_number="99000001",
            name="Drill Uitzendbureau",
            is_employer=False,
            is_staffing_agency=True,
            is_housing_provider=False,
            contact_email="drill@example.nl",
        )
        db.session.add_all([mun, org])
        db.session.flush()
        inspectors = []
        for n, mode in enumerate(("immediate", "immediate", "digest"), start=1):
            user = User(
                email=f"inspecteur{n}@drill.example.nl",
                role="inspector",
                municipality_id=mun.id,
                alert_mode=mode,
                email_verified_at=clock.now(),
            )
            db.session.add(user)
            inspectors.append(user)
        bag_ids = []
        for i in range(ADDRESSES):
            small = i % 2 == 1
            bag_ids.append(f"9901{20}{i:010d}")
            db.session.add(
                Address(
                    nummeraanduiding_id=bag_ids[-1],
                    verblijfsobject_id=f"9901{'01'}{i:010d}",
                    street="Drillstraat",
                    house_number=i + 1,
                    house_letter="",
                    house_number_addition="",
                    postcode=f"{9900 + i // 100:04d} DR",
                    town="Drilldorp",
                    municipality_id=mun.id,
                    floor_area_m2=SMALL_AREA if small else LARGE_AREA,
                    uses="woonfunctie",
                    bag_status="Verblijfsobject in gebruik",
                    verified=True,
                )
            )
        new = apikeys.create_key("Crash drill", organisation=org)
        db.session.commit()
        return {
            "secret": new.secret,
            "api_key_id": new.key.id,
            "bag_ids": bag_ids,
            "immediate": sorted(u.email for u in inspectors if u.alert_mode == "immediate"),
            "digest": [u.email for u in inspectors if u.alert_mode == "digest"],
            "small": {bag_ids[i] for i in range(ADDRESSES) if i % 2 == 1},
        }


# --- the load and the killer ---------------------------------------------------------------------


def file_one(host: str, port: int, secret: str, key: str, body: bytes, deadline: float) -> Outcome:
    """POST one filing until it is answered 201 (or replayed), retrying with the same key."""
    outcome = Outcome()
    backoff = 0.05
    while True:
        outcome.attempts += 1
        reason = ""
        try:
            conn = http.client.HTTPConnection(host, port, timeout=30)
            try:
                conn.request(
                    "POST",
                    "/api/v1/declarations",
                    body=body,
                    headers={
                        "Authorization": f"Bearer {secret}",
                        "Idempotency-Key": key,
                        "Content-Type": "application/json",
                    },
                )
                response = conn.getresponse()
                payload = response.read()
                status = response.status
                replayed = response.getheader("Idempotent-Replayed") == "true"
            finally:
                conn.close()
            if status == 201:
                outcome.status, outcome.replayed = status, replayed
                outcome.reference = json.loads(payload)["reference"]
                return outcome
            if status not in RETRY_STATUSES:
                outcome.status, outcome.error = status, payload[:300].decode("utf-8", "replace")
                return outcome
            reason = str(status)
        except (OSError, http.client.HTTPException) as exc:
            reason = type(exc).__name__
        outcome.retries_by_reason[reason] += 1
        if time.monotonic() > deadline:
            outcome.error = f"gave up after {outcome.attempts} attempts (last: {reason})"
            return outcome
        time.sleep(backoff * (0.5 + random.random()))  # noqa: S311 - jitter, not security
        backoff = min(backoff * 2, 1.0)


def kill_workers(
    master: int,
    interval: float,
    duration: float,
    stop: threading.Event,
    windows: Path | None = None,
) -> int:
    """SIGKILL a random worker of ``master`` every ``interval`` s for ``duration`` s; the number
    of kills delivered (the signal reached a live worker).

    With ``windows`` (``--target-windows``), only a worker that has marked itself as inside a
    filing's widened window (a file named by its pid there, see ``wsgi_drill``) is killed, and a
    round with none passes: a random choice mostly hits workers still booting after a kill."""
    delivered = 0
    start = time.monotonic()
    rounds = int(duration / interval)
    for n in range(rounds):
        # on a fixed schedule, so a slow /proc scan on a loaded machine does not thin the kills
        if stop.wait(max(0.0, start + n * interval - time.monotonic())):
            break
        workers = children_of(master)
        if windows is not None:
            workers = [pid for pid in workers if (windows / str(pid)).exists()]
        if workers:
            try:
                os.kill(random.choice(workers), signal.SIGKILL)  # noqa: S311
                delivered += 1
            except ProcessLookupError:
                pass
    return delivered


# --- the checks ----------------------------------------------------------------------------------


def database_checks(
    url: str, seeded: dict[str, Any], outcomes: dict[str, Outcome], filings: int
) -> tuple[list[Check], dict[str, Any]]:
    from sqlalchemy import text

    key_id = seeded["api_key_id"]
    with engine_for(url) as engine, engine.connect() as conn:

        def one(sql: str, **params: Any) -> Any:
            return conn.execute(text(sql), params).scalar_one()

        declarations = one("SELECT count(*) FROM declarations WHERE api_key_id = :k", k=key_id)
        all_declarations = one("SELECT count(*) FROM declarations")
        without_receipt = one(
            "SELECT count(*) FROM declarations d WHERE "
            "(SELECT count(*) FROM receipts r WHERE r.declaration_id = d.id) <> 1"
        )
        receipts_orphaned = one(
            "SELECT count(*) FROM receipts r WHERE r.declaration_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM declarations d WHERE d.id = r.declaration_id)"
        )
        records = conn.execute(
            text(
                "SELECT key, state, response_status, response_body FROM idempotency_records "
                "WHERE api_key_id = :k"
            ),
            {"k": key_id},
        ).all()
        references = [r for (r,) in conn.execute(text("SELECT reference FROM declarations")).all()]
        events = conn.execute(
            text(
                "SELECT flag_id, count(*) FROM flag_events "
                "WHERE kind IN ('opened', 'reopened', 'escalated') GROUP BY flag_id"
            )
        ).all()
        opened = dict(
            conn.execute(
                text(
                    "SELECT flag_id, count(*) FROM flag_events WHERE kind = 'opened' "
                    "GROUP BY flag_id"
                )
            ).all()
        )
        flags = conn.execute(
            text(
                "SELECT f.id, a.nummeraanduiding_id, f.status FROM flags f "
                "JOIN addresses a ON a.id = f.address_id"
            )
        ).all()
        alerts = conn.execute(
            text("SELECT recipient, body_text FROM outbox_messages WHERE kind = 'flag_alert'")
        ).all()
        held = Counter(
            (flag_id, recipient)
            for flag_id, recipient in conn.execute(
                text("SELECT flag_id, recipient FROM alert_digest_lines")
            ).all()
        )
        escalated = dict(
            conn.execute(
                text(
                    "SELECT flag_id, count(*) FROM flag_events WHERE kind = 'escalated' "
                    "GROUP BY flag_id"
                )
            ).all()
        )
        audit_filings = one("SELECT count(*) FROM audit_events WHERE action = 'declaration.new'")

    # Idempotency: one finished record per key, each naming one declaration, no two the same.
    used_keys = set(outcomes)
    done = [r for r in records if r.state == "done" and r.response_status == 201]
    in_flight = [r for r in records if r.state != "done"]
    stored_refs = [json.loads(r.response_body)["reference"] for r in done]
    client_refs = [o.reference for o in outcomes.values() if o.reference]
    ref_counts = Counter(references)
    duplicates = (
        sum(n - 1 for n in ref_counts.values() if n > 1)
        + (len(stored_refs) - len(set(stored_refs)))
        + (len(client_refs) - len(set(client_refs)))
        + len(set(references) - set(stored_refs))  # a declaration no stored response names
    )
    client_mismatch = sum(
        1
        for r in done
        if r.key in outcomes
        and outcomes[r.key].reference != json.loads(r.response_body)["reference"]
    )

    # Alerts: per flag and per immediate recipient, one message (the opening) and one digest
    # line when it escalated (docs/rules.md §1.9).
    per_flag_recipient: Counter[tuple[int, str]] = Counter()
    unknown_flag_alerts = 0
    flag_ids = {f.id for f in flags}
    digest_alerts = 0
    for recipient, body in alerts:
        match = FLAG_LINK.search(body or "")
        if match is None or int(match.group(1)) not in flag_ids:
            unknown_flag_alerts += 1
            continue
        if recipient in seeded["digest"]:
            digest_alerts += 1
        per_flag_recipient[(int(match.group(1)), recipient.lower())] += 1
    expected_events = dict(events)
    alert_mismatches = 0
    held_mismatches = 0
    for flag_id in flag_ids:
        for recipient in seeded["immediate"]:
            alerting = min(expected_events.get(flag_id, 0), 1)
            if per_flag_recipient[(flag_id, recipient.lower())] != alerting:
                alert_mismatches += 1
            if held[(flag_id, recipient.lower())] != min(escalated.get(flag_id, 0), 1):
                held_mismatches += 1
    flags_without_one_opening = sum(1 for f in flags if opened.get(f.id, 0) != 1)
    open_flags = [f for f in flags if f.status in ("open", "in_progress")]
    flagged_bag = {f.nummeraanduiding_id for f in open_flags}
    wrongly_flagged = len(flagged_bag ^ seeded["expected_flagged"])
    per_flags = Counter(f.nummeraanduiding_id for f in flags)

    ended = Counter(
        "201-replay" if o.replayed else str(o.status or "none") for o in outcomes.values()
    )
    ok_clients = sum(1 for o in outcomes.values() if o.status == 201)
    checks = [
        exact("declarations (this API key)", declarations, filings),
        exact("declarations (all)", all_declarations, filings),
        exact("distinct idempotency keys used", len(used_keys), filings),
        exact("finished idempotency records", len(done), filings),
        exact("claims left in flight", len(in_flight), 0),
        exact("declarations without exactly one receipt", without_receipt, 0),
        exact("receipts without a declaration", receipts_orphaned, 0),
        exact("audit events declaration.new", audit_filings, filings),
        exact("duplicates", duplicates, 0),
        exact("client references != stored response", client_mismatch, 0),
        exact("flagged addresses", len(flagged_bag), len(seeded["expected_flagged"])),
        exact("addresses flagged wrongly or missed", wrongly_flagged, 0),
        exact("addresses with more than one flag", sum(n > 1 for n in per_flags.values()), 0),
        exact("flags without exactly one 'opened' event", flags_without_one_opening, 0),
        exact("(flag, inspector) pairs without exactly one alert", alert_mismatches, 0),
        exact("(flag, inspector) pairs without their digest line", held_mismatches, 0),
        exact("alerts naming no existing flag", unknown_flag_alerts, 0),
        exact("immediate alerts to the digest inspector", digest_alerts, 0),
        exact("clients ended in 201 or its replay", ok_clients, filings),
    ]
    figures = {
        "declarations": declarations,
        "open_flags": len(open_flags),
        "alerting_flag_events": sum(expected_events.values()),
        "flag_alert_messages": len(alerts),
        "client_endings": dict(ended),
        "client_errors": sorted({o.error for o in outcomes.values() if o.error})[:5],
    }
    return checks, figures


def expect_partial_writes(checks: Sequence[Check]) -> int:
    """For a sabotaged run (``--expect-partial-writes``): 0 when the drill caught what the
    sabotage must leave behind — a declaration without its receipt, or a duplicate — else 1."""
    caught = [
        c.name
        for c in judge(checks)
        if c.name in ("declarations without exactly one receipt", "duplicates")
    ]
    if caught:
        print(f"\nThe sabotage was caught ({', '.join(caught)}): the drill has teeth.")
        return 0
    print("\nFAILED: the sabotage went unnoticed (no declaration lacks its receipt, no duplicate).")
    return 1


# --- the drill -----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    reason = unreachable_reason()
    if reason:
        return skip_or_fail(reason)
    name = args.db or f"drill_crash_{os.getpid()}"
    started = time.monotonic()
    url = create_database(name)
    workdir = Path(tempfile.mkdtemp(prefix="drill-crash-"))
    windows = workdir / "windows" if args.target_windows else None
    if windows is not None:
        windows.mkdir()
    server = None
    try:
        env = portal_env(
            url,
            PORTAL_API_RATE_LIMIT="1000000",  # the drill is about crashes, not the rate limit
            PORTAL_IDEMPOTENCY_STALE_SECONDS=str(args.stale_seconds),
            DRILL_WIDEN_MS=str(args.widen_ms),
            DRILL_SABOTAGE="" if args.sabotage == "none" else args.sabotage,
            DRILL_WINDOW_DIR=str(windows) if windows is not None else "",
        )
        flask(env, "db", "upgrade")
        seeded = seed(url)
        plain = args.sabotage == "none" and not args.widen_ms
        app = "wsgi:app" if plain else "drills.wsgi_drill:app"
        # The README's deployment flags, with 4 workers and a short timeout (see the docstring).
        gunicorn_args = [
            "--workers", str(args.workers), "--worker-class", "sync",
            "--timeout", str(args.timeout), "--graceful-timeout", "30",
            "--max-requests", "1000", "--max-requests-jitter", "100",
            "--forwarded-allow-ips", "127.0.0.1",
        ]  # fmt: skip
        server = start_gunicorn(env, workdir / "gunicorn.log", app=app, args=gunicorn_args)
        host, port = "127.0.0.1", int(server.base_url.rsplit(":", 1)[1])
        today = date.today().isoformat()
        run_id = f"{os.getpid()}-{int(time.time())}"
        jobs = [
            (
                f"drill-{run_id}-{i:04d}",
                json.dumps(
                    {
                        "bag_id": seeded["bag_ids"][i % ADDRESSES],
                        "occupants": 1,
                        "start_date": today,
                        "separate_contracts": True,
                    }
                ).encode(),
            )
            for i in range(args.filings)
        ]
        random.shuffle(jobs)
        # A small address opens a flag from its 2nd filing of 1 occupant (area limit 1).
        per_address = Counter(seeded["bag_ids"][i % ADDRESSES] for i in range(args.filings))
        seeded["expected_flagged"] = {b for b in seeded["small"] if per_address[b] >= 2}
        outcomes: dict[str, Outcome] = {}
        lock = threading.Lock()
        cursor = iter(jobs)

        def client() -> None:
            while True:
                with lock:
                    job = next(cursor, None)
                if job is None:
                    return
                key, body = job
                outcome = file_one(
                    host, port, seeded["secret"], key, body, time.monotonic() + args.give_up
                )
                with lock:
                    outcomes[key] = outcome

        stop = threading.Event()
        kills: list[int] = []
        killer = threading.Thread(
            target=lambda: kills.append(
                kill_workers(server.pid, args.kill_interval, args.kill_seconds, stop, windows)
            )
        )
        load_started = time.monotonic()
        threads = [threading.Thread(target=client) for _ in range(args.threads)]
        killer.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        load_seconds = time.monotonic() - load_started
        stop.set()
        killer.join()
        server.stop()
        log = (workdir / "gunicorn.log").read_text(errors="replace")
        checks, figures = database_checks(url, seeded, outcomes, args.filings)
        retries: Counter[str] = Counter()
        for o in outcomes.values():
            retries.update(o.retries_by_reason)
        checks.insert(0, at_least("kills delivered", kills[0] if kills else 0, args.min_kills))
        figures.update(
            {
                "database": name,
                "app": app,
                "sabotage": args.sabotage,
                "widen_ms": args.widen_ms,
                "kills": kills[0] if kills else 0,
                "filings": args.filings,
                "client_threads": args.threads,
                "requests_sent": sum(o.attempts for o in outcomes.values()),
                "filings_retried": sum(1 for o in outcomes.values() if o.attempts > 1),
                "retries": sum(retries.values()),
                "retries_by_reason": dict(retries),
                "replays": sum(1 for o in outcomes.values() if o.replayed),
                "worker_timeouts_in_log": log.count("WORKER TIMEOUT"),
                "tracebacks_in_log": log.count("Traceback"),
                "load_seconds": round(load_seconds, 1),
                "total_seconds": round(time.monotonic() - started, 1),
            }
        )
        status = report(f"T2 crash drill ({args.sabotage})", checks, figures)
        if args.expect_partial_writes:
            return expect_partial_writes(checks)
        return status
    finally:
        if server is not None:
            server.stop()
        if not args.keep_db:
            drop_database(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("--db", help="database name (default drill_crash_<pid>); recreated")
    parser.add_argument("--filings", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kill-interval", type=float, default=0.3)
    parser.add_argument("--kill-seconds", type=float, default=25.0)
    parser.add_argument("--min-kills", type=int, default=50)
    parser.add_argument("--timeout", type=int, default=10, help="gunicorn --timeout")
    parser.add_argument("--stale-seconds", type=int, default=15, help="IDEMPOTENCY_STALE_SECONDS")
    parser.add_argument("--give-up", type=float, default=240, help="seconds per filing")
    parser.add_argument("--widen-ms", type=int, default=0, help="sleep inside each filing")
    parser.add_argument("--sabotage", choices=("none", "no-transaction"), default="none")
    parser.add_argument(
        "--expect-partial-writes",
        action="store_true",
        help="exit 0 only if the checks catch a declaration without its receipt or a duplicate",
    )
    parser.add_argument(
        "--target-windows",
        action="store_true",
        help="with --widen-ms: kill workers inside the widened window first",
    )
    parser.add_argument("--keep-db", action="store_true", help="leave the database for a look")
    args = parser.parse_args(argv)
    if args.target_windows and not args.widen_ms:
        parser.error("--target-windows needs --widen-ms (the window the workers mark)")
    if args.stale_seconds <= args.timeout:
        parser.error("--stale-seconds must exceed --timeout (a slow request would be filed twice)")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
