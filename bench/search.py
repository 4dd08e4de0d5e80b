"""S1 (issue 20): the inspectors' search box on the national set, through the real view.

Timed in process, as R1: the view function ``inspector_search.search`` under a request context,
logged in (``login_user``) as an inspector of the municipality with most addresses, for a mix of
queries taken from that municipality's own data — a street prefix (the first 6 letters of a
street), the prefix with a house number, a postcode with and without the space, postcode and
number, a BAG id, an organisation name fragment, a KvK number, a declaration reference and a flag
number — each run ``samples`` times after one warm-up; p95 and median over all runs. Baseline:
the raw SQL of the street-prefix lookup (index range on ``ix_addresses_municipality_street_key``)
through psycopg.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import psycopg


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def queries(app: Any, municipality_id: int) -> list[str]:
    """The mix of queries, from the municipality's own data."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import Address, Declaration, Flag, Organisation

    with app.app_context():
        address = db.session.execute(
            select(Address)
            .where(Address.municipality_id == municipality_id)
            .order_by(Address.id)
            .offset(
                db.session.execute(
                    select(func.count()).where(Address.municipality_id == municipality_id)
                ).scalar_one()
                // 2
            )
            .limit(1)
        ).scalar_one()
        declaration = db.session.execute(
            select(Declaration)
            .where(Declaration.municipality_id == municipality_id)
            .order_by(Declaration.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        organisation = (
            db.session.get(Organisation, declaration.organisation_id)
            if declaration is not None
            else db.session.execute(select(Organisation).limit(1)).scalar_one()
        )
        flag_id = db.session.execute(
            select(func.max(Flag.id)).where(Flag.municipality_id == municipality_id)
        ).scalar_one()
        prefix = address.street[:6]
        postcode = address.postcode
        found = [
            prefix,
            f"{prefix} {address.house_number}",
            postcode,
            postcode.replace(" ", ""),
            f"{postcode.replace(' ', '')} {address.house_number}",
            address.nummeraanduiding_id or postcode,
            organisation.name.split()[0][:8],
            organisation.kvk_number,
            declaration.reference if declaration is not None else "MH-2026-000001",
            str(flag_id or 1),
        ]
        db.session.rollback()
    return found


def measure(app: Any, raw_url: str, municipality_id: int, samples: int) -> dict[str, Any]:
    from flask_login import login_user
    from sqlalchemy import func, select

    from portal.domain.search import street_key
    from portal.extensions import db
    from portal.models import Address, User
    from portal.views.inspector_search import search as search_view

    mix = queries(app, municipality_id)
    with app.app_context():
        email = "zoek-inspecteur@bench.example.nl"
        user = db.session.execute(select(User).filter_by(email=email)).scalar_one_or_none()
        if user is None:
            user = User(email=email, role="inspector", password_hash="-")  # noqa: S106 - never logs in
            db.session.add(user)
        user.municipality_id = municipality_id
        db.session.commit()
        user_id = user.id
        addresses = db.session.execute(
            select(func.count()).where(Address.municipality_id == municipality_id)
        ).scalar_one()
    times: list[float] = []
    per_query: dict[str, float] = {}
    results: dict[str, int] = {}
    for query in mix:
        own: list[float] = []
        for n in range(samples + 1):
            with app.test_request_context("/inspectie/zoeken", query_string={"q": query}):
                login_user(db.session.get(User, user_id))
                started = time.perf_counter()
                body = search_view()
                elapsed = time.perf_counter() - started
                db.session.rollback()
            if n:  # the first run warms the caches
                own.append(elapsed)
            results[query] = body.count('href="/inspectie/adressen/')
        times += own
        per_query[query] = 1000 * statistics.median(own)
    key = street_key(mix[0])
    raw: list[float] = []
    with psycopg.connect(raw_url) as conn:
        for n in range(samples + 1):
            started = time.perf_counter()
            conn.execute(
                "SELECT * FROM addresses WHERE municipality_id = %s AND street_key LIKE %s"
                " ORDER BY street_key, house_number LIMIT 26",
                (municipality_id, key + "%"),
            ).fetchall()
            if n:
                raw.append(time.perf_counter() - started)
    return {
        "municipality_addresses": addresses,
        "queries": len(mix),
        "samples": len(times),
        "p95_ms": 1000 * _p95(times),
        "median_ms": 1000 * statistics.median(times),
        "max_ms": 1000 * max(times),
        "per_query_median_ms": {q: round(v, 2) for q, v in per_query.items()},
        "links_found": results,
        "raw_prefix_ms": 1000 * statistics.median(raw),
    }
