"""Mass assignment in the remaining forms (docs/security.md T6), next to test_mass_assignment.py.

Each form is posted with valid data plus the extra fields of ``extras`` (tenant 2's organisation
and municipality, a closed status, a role, an id, a creation date); the post does what the form
does (the expected status) and none of the extra values reaches a row.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import ApiKey, Declaration, Flag, MunicipalPolicy, Permit, User
from tests.security.conftest import World, logged_in
from tests.security.test_mass_assignment import extras, snapshot


def _dutch(days: int = 0) -> str:
    return (clock.today() + timedelta(days=days)).strftime("%d-%m-%Y")


def test_the_other_forms_ignore_fields_they_do_not_have(app: Flask, world: World) -> None:
    extra = extras(world)
    before = snapshot(app, world)
    before.pop("flag states")
    decl, insp, madmin = (logged_in(app, world, n) for n in ("decl_a", "insp_1", "madmin_1"))
    no_role = {
        k: v for k, v in extra.items() if k != "role"
    }  # forms with a role field of their own
    posts: list[tuple[Any, str, dict[str, Any], int]] = [
        (
            decl,
            f"/organisatie/meldingen/{world['a_declaration']}/beeindigen",
            {**extra, "end_date": _dutch(), "reason": "other"},
            302,
        ),
        (insp, "/inspectie/meldingen-instellingen", {**extra, "alert_mode": "digest"}, 303),
        (
            insp,
            f"/inspectie/signalen/{world['a_flag']}/status",
            {**extra, "to_status": "in_progress"},
            303,
        ),
        (madmin, "/gemeente/api-sleutels", {**extra, "name": "Gemeente extra"}, 200),
        (
            madmin,
            "/gemeente/gebruikers/uitnodigen",
            {**no_role, "email": "nieuw@oostgemeente.nl", "role": "inspector"},
            302,
        ),
        (
            madmin,
            f"/gemeente/vergunningen/{world['a_permit']}",
            {
                **extra,
                "decision_reference": "ALFA-BESLUIT-1",
                "postcode": "3511 AB",
                "house_number": "3",
                "permit_type": "omzettingsvergunning",
                "max_occupants": "7",
                "valid_from": (clock.today() - timedelta(days=1000)).isoformat(),
                "valid_until": (clock.today() + timedelta(days=60)).isoformat(),
            },
            302,
        ),
        (
            madmin,
            "/gemeente/beleid",
            {
                **extra,
                "effective_from": _dutch(30),
                "m2_per_person_dwelling": "13",
                "m2_per_person_lodging": "10",
                "no_permit_max_occupants": "4",
                "near_limit_percent": "90",
                "late_after_days": "5",
                "alert_emails": "",
                "support_desk_email": "",
            },
            302,
        ),
    ]
    answered = []
    for client, url, data, status in posts:
        response = client.post(url, data=data)
        answered.append((url, response.status_code, status))
    assert [a for a in answered if a[1] != a[2]] == [], answered

    after = snapshot(app, world)
    after.pop("flag states")
    assert after == before
    with app.app_context():
        ended = db.session.execute(
            select(Declaration).where(Declaration.end_reason == "other")
        ).scalar_one()  # ending files a new version of the declaration
        assert ended.organisation_id == world["org_a"] and ended.municipality_id == world["m1"]
        inspector = db.session.get(User, world["insp_1"])
        assert inspector is not None and inspector.alert_mode == "digest"
        assert (inspector.role, inspector.municipality_id) == ("inspector", world["m1"])
        flags = {f.id: f.status for f in db.session.execute(select(Flag)).scalars()}
        assert flags[world["a_flag"]] == "in_progress"  # the form's status, not "closed"
        assert flags[world["b_flag"]] != "closed"
        key = db.session.execute(select(ApiKey).where(ApiKey.name == "Gemeente extra")).scalar_one()
        assert (key.municipality_id, key.organisation_id) == (world["m1"], None)
        invited = db.session.execute(
            select(User).where(User.email == "nieuw@oostgemeente.nl")
        ).scalar_one()
        assert (invited.role, invited.municipality_id) == ("inspector", world["m1"])
        permit = db.session.get(Permit, world["a_permit"])
        assert permit is not None and permit.max_occupants == 7
        assert (permit.municipality_id, permit.holder_organisation_id) == (
            world["m1"],
            world["org_a"],
        )
        assert permit.status != "closed"
        policies = db.session.execute(select(MunicipalPolicy)).scalars().all()
        assert sorted(p.municipality_id for p in policies if p.m2_per_person_dwelling == 13) == [
            world["m1"]
        ]
