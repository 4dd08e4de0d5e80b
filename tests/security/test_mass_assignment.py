"""Mass assignment: extra fields in forms and API bodies change nothing (docs/security.md T6).

Every form below is posted with valid data PLUS the fields ``organisation_id``,
``municipality_id``, ``status``, ``flagged``, ``role``, ``is_admin``, ``id`` and ``created_at``
set to values of the other tenant or to privileges; the post must do what the form does, and no
stored row may carry any of those values. The API refuses unknown fields with 422
(``field.unknown``, one problem per field) and stores nothing: that is its documented behaviour.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import ApiKey, Declaration, Flag, Organisation, Permit, User
from tests.security.conftest import World, logged_in, new_token


def extras(world: World) -> dict[str, str]:
    return {
        "organisation_id": str(world["org_b"]),
        "municipality_id": str(world["m2"]),
        "status": "closed",
        "flagged": "1",
        "role": "system_admin",
        "is_admin": "1",
        "id": "999999",
        "created_at": "2001-01-01T00:00:00",
    }


def snapshot(app: Flask, world: World) -> dict[str, Any]:
    """What the extra fields would change if they were assigned."""
    with app.app_context():

        def n(stmt: Any) -> int:
            return int(db.session.execute(stmt).scalar_one())

        models = (Declaration, User, ApiKey, Flag, Organisation, Permit)
        return {
            "b declarations": n(
                select(func.count(Declaration.id)).where(
                    Declaration.organisation_id == world["org_b"]
                )
            ),
            "m2 declarations": n(
                select(func.count(Declaration.id)).where(Declaration.municipality_id == world["m2"])
            ),
            "b users": n(select(func.count(User.id)).where(User.organisation_id == world["org_b"])),
            "m2 users": n(select(func.count(User.id)).where(User.municipality_id == world["m2"])),
            "system admins": n(select(func.count(User.id)).where(User.role == "system_admin")),
            "org admins of A": n(
                select(func.count(User.id)).where(
                    User.role == "org_admin", User.organisation_id == world["org_a"]
                )
            ),
            "b/m2 keys": n(
                select(func.count(ApiKey.id)).where(
                    (ApiKey.organisation_id == world["org_b"])
                    | (ApiKey.municipality_id == world["m2"])
                )
            ),
            "flag states": sorted(db.session.execute(select(Flag.id, Flag.status)).all()),
            "id 999999": sum(n(select(func.count()).where(m.id == 999999)) for m in models),
            "created in 2001": sum(
                n(select(func.count()).where(func.extract("year", m.created_at) == 2001))
                for m in models
                if hasattr(m, "created_at")
            ),
        }


def _form_date() -> str:
    return clock.today().strftime("%d-%m-%Y")


def test_forms_ignore_fields_they_do_not_have(app: Flask, world: World) -> None:
    extra = extras(world)
    before = snapshot(app, world)
    decl, admin, insp = (logged_in(app, world, n) for n in ("decl_a", "admin_a", "insp_1"))
    anonymous = app.test_client()
    posts: list[tuple[Any, str, dict[str, Any], int]] = [
        (
            decl,
            f"/organisatie/meldingen/nieuw/{world['a_home']}",
            {"occupants": "2", "start_date": _form_date(), "separate_contracts": "yes"},
            302,
        ),
        (
            decl,
            f"/organisatie/meldingen/{world['a_declaration']}/wijzigen",
            {"occupants": "3", "effective_date": _form_date()},
            302,
        ),
        (
            admin,
            "/organisatie/api-sleutels",
            {"name": "Extra velden"},
            200,  # the page shows the new key once
        ),
        (
            insp,
            f"/inspectie/signalen/{world['a_flag']}/notitie",
            {"text": "Een notitie met extra velden"},
            303,
        ),
        (
            anonymous,
            "/aanmelden",
            {
                "organisation_name": "Extra Velden B.V.",
                "kvk_number": "12345678",
                "kinds": ["employer"],
                "contact_email": "info@debrug.nl",
                "email": "anna@debrug.nl",
                "password": "een lange zin als wachtwoord",
                "password_repeat": "een lange zin als wachtwoord",
            },
            200,  # the "check your email" page
        ),
    ]
    for client, url, data, status in posts:
        response = client.post(url, data={**extra, **data})
        assert response.status_code == status, (url, response.status_code)
    # The invitation form has a field ``role`` of its own: a role it does not offer is refused.
    invite = {**extra, "email": "nieuw@alfabedrijf.nl", "role": "declarant"}
    assert admin.post("/organisatie/medewerkers/uitnodigen", data=invite).status_code == 302
    refused = {**extra, "email": "baas@alfabedrijf.nl"}
    assert admin.post("/organisatie/medewerkers/uitnodigen", data=refused).status_code == 200

    after = snapshot(app, world)
    assert after == before
    with app.app_context():
        declarations = db.session.execute(
            select(Declaration).where(Declaration.organisation_id == world["org_a"])
        ).scalars()
        assert {d.municipality_id for d in declarations} == {world["m1"]}
        key = db.session.execute(select(ApiKey).where(ApiKey.name == "Extra velden")).scalar_one()
        assert key.organisation_id == world["org_a"] and key.municipality_id is None
        invited = db.session.execute(
            select(User).where(User.email == "nieuw@alfabedrijf.nl")
        ).scalar_one()
        assert (invited.role, invited.organisation_id) == ("declarant", world["org_a"])
        assert (
            db.session.execute(
                select(User).where(User.email == "baas@alfabedrijf.nl")
            ).scalar_one_or_none()
            is None
        )
        signed_up = db.session.execute(
            select(User).where(User.email == "anna@debrug.nl")
        ).scalar_one()
        assert signed_up.role == "org_admin"
        assert signed_up.organisation_id not in (world["org_a"], world["org_b"])


def _api(app: Flask, world: World, key: str, method: str, url: str, body: Any) -> Any:
    headers = {"Authorization": f"Bearer {world.keys[key]}", "Idempotency-Key": new_token()}
    return app.test_client().open(url, method=method, json=body, headers=headers)


def test_the_api_refuses_unknown_fields_with_422_and_stores_nothing(
    app: Flask, world: World
) -> None:
    extra: dict[str, Any] = {
        "organisation_id": world["org_b"],
        "municipality_id": world["m2"],
        "status": "closed",
        "flagged": True,
        "role": "system_admin",
        "is_admin": True,
        "id": 999999,
        "created_at": "2001-01-01T00:00:00Z",
    }
    declaration = {
        "address": {
            "postcode": "3511 AB",
            "house_number": 1,
            "house_letter": None,
            "house_number_addition": None,
        },
        "occupants": 2,
        "occupants_registered_brp": 1,
        "start_date": clock.today().isoformat(),
        "end_date": None,
        "separate_contracts": True,
        "declared_for_kvk": None,
    }
    reference = world["a_reference"]
    calls = [
        ("key_a", "POST", "/api/v1/declarations", {**declaration, **extra}),
        ("key_a", "POST", "/api/v1/batches", {"declarations": [{**declaration, **extra}]}),
        (
            "key_a",
            "POST",
            f"/api/v1/declarations/{reference}/amendments",
            {"occupants": 3, "effective_date": clock.today().isoformat(), **extra},
        ),
        (
            "key_a",
            "POST",
            f"/api/v1/declarations/{reference}/end",
            {"end_date": clock.today().isoformat(), "reason": "other", **extra},
        ),
        ("key_m1", "PATCH", f"/api/v1/flags/{world['a_flag']}", {"note": "x", **extra}),
    ]
    before = snapshot(app, world)
    with app.app_context():
        declarations = db.session.execute(select(func.count(Declaration.id))).scalar_one()
    report = []
    for key, method, url, body in calls:
        response = _api(app, world, key, method, url, body)
        fields = {p.get("field") for p in (response.get_json() or {}).get("errors", []) if p}
        report.append((url, response.status_code, sorted(f for f in fields if f)))
    print(report)
    for url, status, fields in report:
        assert status == 422, (url, status)
        assert any(f.endswith(tuple(extra)) for f in fields), (url, fields)
    assert snapshot(app, world) == before
    with app.app_context():
        assert db.session.execute(select(func.count(Declaration.id))).scalar_one() == declarations
