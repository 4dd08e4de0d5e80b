"""Fixtures of the route-by-route security tests (docs/security.md T5, T6, T13, T14).

``world`` builds two tenants side by side through the real services: organisation A and
municipality M1 (tenant 1, the actors) and organisation B and municipality M2 (tenant 2, whose
objects the actors try to reach). Tenant 2's data carries distinctive texts (``MARKERS``) that must
never appear in a response to a tenant-1 actor. ``sessions`` logs every role in once.

The tables are emptied around every test by ``_clean_database`` in tests/conftest.py, so the world
is built per test (a module-scoped world would be wiped after the first test); each test module
therefore keeps its work in a few tests.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from portal import clock, create_app
from portal.extensions import db
from portal.models import (
    Address,
    Flag,
    Mandate,
    Municipality,
    MunicipalPolicy,
    Organisation,
    OutboxMessage,
    Permit,
    PermitDocument,
    Region,
    User,
)
from tests.conftest import PASSWORD, login, overrides_for
from tests.helpers import MINIMAL_PDF

BATCH_CSV = (
    b"postcode;huisnummer;huisletter;toevoeging;bag_id;aantal_bewoners;waarvan_ingeschreven_brp;"
    b"startdatum;einddatum;aparte_contracten;namens_kvk\n"
    b"2671 AA;5;;;;2;1;01-01-2030;;ja;\n"
    b"2671 AA;5;;;;-1;1;01-01-2030;;ja;\n"
)
PDF = MINIMAL_PDF  # a real PDF: uploads are parsed (issue 21 D)

# Texts that belong to tenant 2 only. ``TENANT_MARKERS`` name organisation B, municipality M2's
# staff and their notes; ``ADDRESS_MARKERS`` are M2's streets (the address register is reference
# data every organisation may look up, so organisations may see those on register pages).
TENANT_MARKERS = (
    "Bravobedrijf",
    "bravobedrijf.test",
    "westgemeente.test",
    "Bravonotitie",
    "Bravosleutel",
    "BRAVO-BESLUIT",
)
ADDRESS_MARKERS = ("Bravokade",)
OWN_STREET = "Alfastraat"  # tenant 1's street (M1)


@dataclass
class World:
    """Ids of everything the tests reach; ``b_*``/``m2_*`` are tenant 2 (foreign to the actors)."""

    ids: dict[str, Any] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # actor name → API key secret

    def __getitem__(self, name: str) -> Any:
        return self.ids[name]


def _user(
    role: str, email: str, password_hash: str, *, org: int | None = None, mun: int | None = None
) -> User:
    from portal.services.totp import new_secret

    user = User(email=email, role=role, organisation_id=org, municipality_id=mun)
    user.password_hash = password_hash
    user.email_verified_at = clock.now()
    if role not in ("declarant", "org_admin"):
        user.totp_secret = new_secret()
        user.totp_enabled_at = clock.now()
    db.session.add(user)
    db.session.flush()
    return user


def _address(mun: Municipality, street: str, number: int, postcode: str, town: str) -> Address:
    address = Address(
        nummeraanduiding_id=f"{mun.code[2:]}20{number + mun.id * 1000:010d}",
        verblijfsobject_id=f"{mun.code[2:]}01{number + mun.id * 1000:010d}",
        street=street,
        house_number=number,
        house_letter="",
        house_number_addition="",
        postcode=postcode,
        town=town,
        municipality_id=mun.id,
        floor_area_m2=100,
        uses="woonfunctie",
        bag_status="Verblijfsobject in gebruik",
    )
    db.session.add(address)
    db.session.flush()
    return address


def build_world(app: Flask) -> World:
    """Two organisations, two municipalities (and a third in M1's region), every kind of object."""
    from portal.domain.declarations import DeclarationInput
    from portal.services import apikeys, batches, inspection, permit_applications
    from portal.services.declarations import amend_declaration, file_declaration
    from portal.services.passwords import hash_password

    world = World()
    ids = world.ids
    today = clock.today()
    with app.app_context():
        hashed = hash_password(PASSWORD)
        # M1 shares address-level data with M3, not with M2: regional pages show M3, never M2.
        r1 = Region(name="Regio Een", data_sharing_agreed_on=today - timedelta(days=10))
        r2 = Region(name="Regio Twee", data_sharing_agreed_on=today - timedelta(days=10))
        db.session.add_all([r1, r2])
        db.session.flush()
        m1 = Municipality(code="GM0344", name="Utrecht", province="Utrecht", region_id=r1.id)
        m2 = Municipality(code="GM1783", name="Westland", province="Zuid-Holland", region_id=r2.id)
        m3 = Municipality(code="GM0307", name="Amersfoort", province="Utrecht", region_id=r1.id)
        db.session.add_all([m1, m2, m3])
        db.session.flush()
        for mun in (m1, m2, m3):
            db.session.add(
                MunicipalPolicy(
                    municipality_id=mun.id,
                    effective_from=today - timedelta(days=400),
                    m2_per_person_dwelling=12,
                    m2_per_person_lodging=10,
                    no_permit_max_occupants=4,
                    late_after_days=5,
                )
            )
        org_a = Organisation(
            kvk_number="90000011",
            name="Alfabedrijf B.V.",
            is_staffing_agency=True,
            is_housing_provider=True,
            contact_email="info@alfabedrijf.test",
        )
        org_b = Organisation(
            kvk_number="90000022",
            name="Bravobedrijf B.V.",
            is_staffing_agency=True,
            is_housing_provider=True,
            contact_email="info@bravobedrijf.test",
        )
        db.session.add_all([org_a, org_b])
        db.session.flush()
        users = {
            "decl_a": _user("declarant", "melder@alfabedrijf.test", hashed, org=org_a.id),
            "admin_a": _user("org_admin", "beheer@alfabedrijf.test", hashed, org=org_a.id),
            "colleague_a": _user("declarant", "collega@alfabedrijf.test", hashed, org=org_a.id),
            "decl_b": _user("declarant", "melder@bravobedrijf.test", hashed, org=org_b.id),
            "admin_b": _user("org_admin", "beheer@bravobedrijf.test", hashed, org=org_b.id),
            "colleague_b": _user("declarant", "collega@bravobedrijf.test", hashed, org=org_b.id),
            "insp_1": _user("inspector", "inspecteur@oostgemeente.test", hashed, mun=m1.id),
            "madmin_1": _user("municipal_admin", "beheer@oostgemeente.test", hashed, mun=m1.id),
            "insp_2": _user("inspector", "inspecteur@westgemeente.test", hashed, mun=m2.id),
            "insp2_2": _user("inspector", "tweede@westgemeente.test", hashed, mun=m2.id),
            "madmin_2": _user("municipal_admin", "beheer@westgemeente.test", hashed, mun=m2.id),
            "sysadmin": _user("system_admin", "systeem@beheer.test", hashed),
        }
        a_home = _address(m1, OWN_STREET, 1, "3511 AB", "Utrecht")
        a_permit_address = _address(m1, OWN_STREET, 3, "3511 AB", "Utrecht")
        _address(m3, "Derdeweg", 1, "3811 AA", "Amersfoort")
        b_home = _address(m2, "Bravokade", 1, "2671 AA", "Naaldwijk")
        b_permit_address = _address(m2, "Bravokade", 3, "2671 AA", "Naaldwijk")
        _address(m2, "Bravokade", 5, "2671 AA", "Naaldwijk")
        db.session.commit()

        def declare(user: str, address: Address, occupants: int) -> Any:
            data = DeclarationInput(occupants=occupants, start_date=today, separate_contracts=True)
            return file_declaration(users[user], data, address_id=address.id)

        a_decl = declare("decl_a", a_home, 20)  # over the limit: a flag in M1
        b_decl = declare("decl_b", b_home, 20)  # over the limit: a flag in M2
        db.session.commit()
        b_amended = amend_declaration(
            users["decl_b"],
            b_decl.declaration,
            21,
            today,
        )
        db.session.commit()

        permits = {}
        for name, mun, holder, address, ref in (
            ("a_permit", m1, org_a, a_permit_address, "ALFA-BESLUIT-1"),
            ("b_permit", m2, org_b, b_permit_address, "BRAVO-BESLUIT-1"),
        ):
            permit = Permit(
                address_id=address.id,
                municipality_id=mun.id,
                holder_organisation_id=holder.id,
                permit_type="omzettingsvergunning",
                max_occupants=6,
                valid_from=today - timedelta(days=1000),
                valid_until=today + timedelta(days=60),
                decision_reference=ref,
            )
            db.session.add(permit)
            db.session.flush()
            permits[name] = permit
        db.session.commit()
        applications = {}
        for name, user, permit in (
            ("a_application", "admin_a", permits["a_permit"]),
            ("b_application", "admin_b", permits["b_permit"]),
        ):
            applications[name] = permit_applications.apply_for_renewal(
                users[user],
                permit,
                permit_applications.RenewalRequest(
                    requested_from=today,
                    requested_until=None,
                    requested_max_occupants=10,
                    note="Bravonotitie aanvraag" if name.startswith("b") else "Alfa aanvraag",
                    floor_plan=permit_applications.Upload("plattegrond.pdf", PDF),
                ),
            )
            db.session.commit()

        check = batches.check_items(
            [
                {
                    "address": {
                        "postcode": "2671 AA",
                        "house_number": 5,
                        "house_letter": None,
                        "house_number_addition": None,
                    },
                    "occupants": 2,
                    "occupants_registered_brp": 1,
                    "start_date": today.isoformat(),
                    "end_date": None,
                    "separate_contracts": True,
                    "declared_for_kvk": None,
                }
            ],
            org_b.id,
        )
        b_batch = batches.file_batch(
            check,
            organisation_id=org_b.id,
            user_id=users["decl_b"].id,
            api_key_id=None,
            source="upload",
            filename="bravo.csv",
        )
        db.session.commit()
        b_upload = batches.keep_upload(BATCH_CSV, "bravo.csv", org_b.id, users["decl_b"].id, 2)
        db.session.commit()

        flag_a = db.session.execute(select(Flag).where(Flag.address_id == a_home.id)).scalar_one()
        flag_b = db.session.execute(select(Flag).where(Flag.address_id == b_home.id)).scalar_one()
        inspection.add_note(users["insp_2"], flag_b.id, "Bravonotitie van de inspecteur")
        inspection.assign(users["insp_2"], flag_b.id, users["insp_2"].id)
        inspection.add_note(users["insp_1"], flag_a.id, "Notitie Alfa")
        db.session.commit()

        for actor, kwargs, name in (
            ("key_a", {"organisation": org_a}, "Alfasleutel"),
            ("key_b", {"organisation": org_b}, "Bravosleutel org"),
            ("key_m1", {"municipality": m1}, "Oostsleutel"),
            ("key_m2", {"municipality": m2}, "Bravosleutel gemeente"),
        ):
            new = apikeys.create_key(name, **kwargs)
            db.session.flush()
            world.keys[actor] = new.secret
            ids[f"{actor}_id"] = new.key.id
        db.session.commit()

        b_document = db.session.execute(
            select(PermitDocument).where(
                PermitDocument.application_id == applications["b_application"].id
            )
        ).scalar_one()
        message = db.session.execute(select(OutboxMessage).limit(1)).scalar_one()
        # B lets a third organisation (not A) declare on its behalf: A must not reach it.
        b_mandate = Mandate(
            grantor_organisation_id=org_b.id, grantee_kvk="90000033", start_on=today
        )
        db.session.add(b_mandate)
        db.session.commit()
        ids.update(
            {
                "org_a": org_a.id,
                "org_b": org_b.id,
                "m1": m1.id,
                "m2": m2.id,
                "r1": r1.id,
                "r2": r2.id,
                "a_home": a_home.id,
                "b_home": b_home.id,
                "a_declaration": a_decl.declaration.id,
                "a_reference": a_decl.declaration.reference,
                "a_receipt": a_decl.receipt.id,
                "b_declaration": b_decl.declaration.id,
                "b_reference": b_decl.declaration.reference,
                "b_amended": b_amended.declaration.id,
                "b_amended_reference": b_amended.declaration.reference,
                "b_receipt": b_decl.receipt.id,
                "b_verification": b_decl.receipt.verification_code,
                "b_batch": b_batch.batch.id,
                "b_upload_token": b_upload.token,
                "a_permit": permits["a_permit"].id,
                "b_permit": permits["b_permit"].id,
                "a_application": applications["a_application"].id,
                "b_application": applications["b_application"].id,
                "b_document": b_document.id,
                "a_flag": flag_a.id,
                "b_flag": flag_b.id,
                "outbox_message": message.id,
                "b_mandate": b_mandate.id,
            }
        )
        for name, user in users.items():
            ids[name] = user.id
            db.session.expunge(user)
        world.users = users
    return world


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


# The actors: who tries. Browser actors log in through the real forms; API actors send a key.
BROWSER_ACTORS = ("anonymous", "decl_a", "admin_a", "insp_1", "madmin_1", "sysadmin")
API_ACTORS = ("key_a", "key_m1")
# The owner of each foreign object, for the control request that proves a URL is real.
OWNERS = {
    "decl_a": "decl_b",
    "admin_a": "admin_b",
    "insp_1": "insp_2",
    "madmin_1": "madmin_2",
    "key_a": "key_b",
    "key_m1": "key_m2",
}


def logged_in(app: Flask, world: World, name: str) -> FlaskClient:
    client = app.test_client()
    if name != "anonymous" and not name.startswith("key_"):
        login(client, world.users[name])
    return client


def table_rows(app: Flask) -> dict[str, int]:
    """Row count of every table."""
    with app.app_context(), db.engine.connect() as conn:
        return {
            table.name: int(conn.execute(text(f'SELECT count(*) FROM "{table.name}"')).scalar_one())
            for table in db.metadata.sorted_tables
        }


def table_digest(app: Flask, skip_tables: frozenset[str], skip_columns: frozenset[str]) -> dict:
    """Every row of every table (minus ``skip_tables`` and ``table.column`` in ``skip_columns``),
    as sorted tuples per table: compare two digests to see what a request changed."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    with app.app_context(), db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name in skip_tables:
                continue
            columns = [c for c in table.columns if f"{table.name}.{c.name}" not in skip_columns]
            rows = conn.execute(select(*columns)).all()
            result[table.name] = sorted(tuple(map(repr, r)) for r in rows)
    return result


def digest_changes(before: dict, after: dict) -> list[str]:
    changed = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, []), after.get(name, [])
        if old != new:
            gone = [r for r in old if r not in new]
            added = [r for r in new if r not in old]
            changed.append(f"{name}: -{gone[:2]} +{added[:2]}")
    return changed


@pytest.fixture
def csrf_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """The same database, with CSRF protection on as in production."""
    application = create_app({**overrides_for(database_url), "WTF_CSRF_ENABLED": True})
    yield application
    with application.app_context():
        db.engine.dispose()


def new_token() -> str:
    return secrets.token_hex(8)


def pdf_file() -> tuple[io.BytesIO, str]:
    return io.BytesIO(PDF), "plattegrond.pdf"
