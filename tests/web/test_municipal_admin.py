"""Municipal admins set their occupancy policy from a date and manage their municipality's users.

Pages are read in English (``?lang=en``) so the assertions stay true when the Dutch catalogue
grows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import AuditEvent, MunicipalPolicy, User, UserSession
from portal.services.municipalities import default_policy, policy_for
from tests.conftest import login
from tests.helpers import count, last_mail, link_path

# Every test runs on a frozen clock: a Friday morning in Amsterdam.
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 27)
NEW_YEAR = date(2027, 1, 1)


def _at(day: date) -> Any:
    return clock.freeze(datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC))


def _form(**changes: object) -> dict[str, str]:
    """A valid new-policy form: 15 m² for dwellings from 1 January 2027."""
    values: dict[str, object] = {
        "effective_from": NEW_YEAR.isoformat(),
        "m2_per_person_dwelling": 15,
        "m2_per_person_lodging": 12,
        "no_permit_max_occupants": 5,
        "near_limit_percent": 85,
        "late_after_days": 5,
        "alert_emails": "signalen@utrecht.nl\ntoezicht@utrecht.nl",
        "support_desk_email": "steunpunt@utrecht.nl",
    }
    values.update(changes)
    return {key: str(value) for key, value in values.items() if value is not None}


def _policies(app: Flask) -> list[MunicipalPolicy]:
    with app.app_context():
        rows = list(
            db.session.execute(
                select(MunicipalPolicy).order_by(MunicipalPolicy.effective_from)
            ).scalars()
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def _events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = list(
            db.session.execute(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            ).scalars()
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def _history_row(page: str, start: date) -> str:
    match = re.search(rf'<tr id="policy-{start.isoformat()}">(.*?)</tr>', page, re.S)
    assert match, f"no history row for {start}"
    return match.group(1)


def _user(app: Flask, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        db.session.expunge(user)
        return user


def _store_policy(app: Flask, municipality: Any, start: date, **values: Any) -> None:
    figures = {
        "m2_per_person_dwelling": 12,
        "m2_per_person_lodging": 10,
        "no_permit_max_occupants": 4,
        "late_after_days": 3,
    }
    figures.update(values)
    with app.app_context():
        db.session.add(
            MunicipalPolicy(municipality_id=municipality.id, effective_from=start, **figures)
        )
        db.session.commit()


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with clock.freeze(NOW):
        yield


@pytest.fixture
def utrecht(make_municipality: Callable[..., Any]) -> Any:
    return make_municipality("GM0344", "Utrecht")


@pytest.fixture
def westland(make_municipality: Callable[..., Any]) -> Any:
    return make_municipality("GM1783", "Westland", "Zuid-Holland")


@pytest.fixture
def admin(client: FlaskClient, make_user: Callable[..., User], utrecht: Any) -> User:
    """A municipal admin of Utrecht, logged in, reading the pages in English."""
    user = make_user("municipal_admin", municipality=utrecht, email="beheer@utrecht.nl")
    login(client, user)
    client.get("/?lang=en")
    return user


# --- policy ---------------------------------------------------------------------------------------


def test_policy_page_shows_each_figure_with_its_default_and_source(
    client: FlaskClient, admin: User
) -> None:
    page = client.get("/gemeente/beleid").get_data(as_text=True)
    assert "12 m² (SNF norm 1.3; Bouwbesluit 2012 art. 7.18)" in page
    assert "10 m² (SNF norm 1.3, lodging)" in page
    assert "4 occupants (regional policy examples; not set by law)" in page
    # The late-filing default is the portal's national rule, not another municipality's policy.
    assert "3 days (the portal&#39;s national rule for late declarations)" in page
    assert "Peel en Maas" not in page
    assert "90% of the limit (the portal&#39;s warning level)" in page
    assert "national default" in page
    # The form starts with the policy in force (here the national defaults).
    assert 'name="m2_per_person_dwelling" type="text" value="12"' in page


def test_future_policy_joins_the_history_and_applies_from_its_date_only(
    app: Flask, client: FlaskClient, admin: User, utrecht: Any
) -> None:
    response = client.post("/gemeente/beleid", data=_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get("/gemeente/beleid").get_data(as_text=True)
    dashboard = client.get("/gemeente/").get_data(as_text=True)

    [row] = _policies(app)
    assert (row.effective_from, row.m2_per_person_dwelling, row.near_limit_percent) == (
        NEW_YEAR,
        15,
        85,
    )
    assert row.alert_emails == "signalen@utrecht.nl,toezicht@utrecht.nl"
    assert row.support_desk_email == "steunpunt@utrecht.nl"
    assert row.created_by_id == admin.id
    # History: the row with its date, its status and who set it; today still the defaults.
    assert 'id="policy-2027-01-01"' in page and "Planned" in page and admin.email in page
    assert "In force since</dt><dd>national default" in page
    assert "12 m²" in dashboard and "15 m²" not in dashboard

    [event] = _events(app, "policy.set")
    assert event.actor_user_id == admin.id and event.municipality_id == utrecht.id
    assert json.loads(event.detail)["policy"]["m2_per_person_dwelling"] == 15

    # The rules use it from its date on, and not a day earlier.
    with app.app_context():
        with _at(date(2026, 12, 31)):
            assert policy_for(utrecht.id, clock.today()) == default_policy()
        with _at(NEW_YEAR):
            in_force = policy_for(utrecht.id, clock.today())
    assert (in_force.effective_from, in_force.m2_per_person_dwelling) == (NEW_YEAR, 15)
    assert in_force.no_permit_max_occupants == 5 and in_force.late_after_days == 5
    with _at(NEW_YEAR):
        login(client, admin)  # five weeks later: the old session has ended
        dashboard = client.get("/gemeente/").get_data(as_text=True)
        page = client.get("/gemeente/beleid").get_data(as_text=True)
    assert "15 m²" in dashboard
    row_html = _history_row(page, NEW_YEAR)
    assert "In force" in row_html and "Planned" not in row_html


def test_policy_from_today_applies_at_once(
    app: Flask, client: FlaskClient, admin: User, utrecht: Any
) -> None:
    assert (
        client.post("/gemeente/beleid", data=_form(effective_from=TODAY.isoformat())).status_code
        == 302
    )
    with app.app_context():
        assert policy_for(utrecht.id, clock.today()).m2_per_person_dwelling == 15


def test_the_rules_judge_each_day_by_the_policy_in_force_that_day(
    app: Flask,
    client: FlaskClient,
    admin: User,
    utrecht: Any,
    make_user: Callable[..., User],
    make_address: Callable[..., Any],
) -> None:
    """Six occupants need a permit while 4 are allowed without one; from the new policy's date
    10 are allowed, so the finding ends the day before."""
    from portal.services.declarations import file_declaration
    from portal.services.flags import evaluate_address

    address = make_address("3511 AB", 12, municipality=utrecht, floor_area=100)
    declarant = make_user("declarant")
    client.post("/gemeente/beleid", data=_form(no_permit_max_occupants=10))
    with app.app_context():
        file_declaration(
            db.session.get(User, declarant.id),
            DeclarationInput(occupants=6, start_date=TODAY, separate_contracts=True),
            address_id=address.id,
        )
        db.session.commit()
        findings = evaluate_address(db.session.get(type(address), address.id)).findings
    [permit] = [f for f in findings if f.code == "permit_required"]
    assert (permit.start, permit.end, permit.limit) == (TODAY, date(2026, 12, 31), 4)


def test_a_date_in_the_past_is_refused_and_nothing_is_stored(
    app: Flask, client: FlaskClient, admin: User
) -> None:
    response = client.post("/gemeente/beleid", data=_form(effective_from="26-11-2026"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="effective_from-error"' in page
    assert "A policy cannot start in the past" in page
    assert _policies(app) == [] and _events(app, "policy.set") == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("m2_per_person_dwelling", 5),
        ("m2_per_person_dwelling", 51),
        ("m2_per_person_lodging", 5),
        ("no_permit_max_occupants", 0),
        ("no_permit_max_occupants", 21),
        ("near_limit_percent", 49),
        ("near_limit_percent", 101),
        ("late_after_days", -1),
        ("late_after_days", 31),
        ("late_after_days", ""),
        ("m2_per_person_lodging", "tien"),
    ],
)
def test_a_number_outside_its_range_is_refused_at_its_field(
    app: Flask, client: FlaskClient, admin: User, field: str, value: object
) -> None:
    response = client.post("/gemeente/beleid", data=_form(**{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in page
    assert page.count('class="error"') == 1, "only the wrong field is marked"
    assert _policies(app) == [] and _events(app, "policy.set") == []


def test_every_wrong_number_is_named_at_once(app: Flask, client: FlaskClient, admin: User) -> None:
    wrong = {
        "m2_per_person_dwelling": 5,
        "m2_per_person_lodging": 51,
        "no_permit_max_occupants": 0,
        "near_limit_percent": 49,
        "late_after_days": 31,
    }
    page = client.post("/gemeente/beleid", data=_form(**wrong)).get_data(as_text=True)
    for field in wrong:
        assert f'id="{field}-error"' in page, field
    assert "between 6 and 50 m²" in page and "between 50 and 100" in page
    assert _policies(app) == []


@pytest.mark.parametrize(
    ("alert_emails", "expected"),
    [
        ("signalen@utrecht.nl, niet-een-adres", "“niet-een-adres” is not a valid email address."),
        ("signalen@utrecht", "“signalen@utrecht” is not a valid email address."),
        (
            "\n".join(f"signalen{n}@utrecht.nl" for n in range(11)),
            "Enter at most 10 email addresses.",
        ),
    ],
)
def test_a_bad_alert_address_list_is_refused_and_named(
    app: Flask, client: FlaskClient, admin: User, alert_emails: str, expected: str
) -> None:
    page = client.post("/gemeente/beleid", data=_form(alert_emails=alert_emails)).get_data(
        as_text=True
    )
    assert 'id="alert_emails-error"' in page
    assert expected in page
    assert _policies(app) == []


def test_a_bad_support_desk_address_is_refused(
    app: Flask, client: FlaskClient, admin: User
) -> None:
    page = client.post(
        "/gemeente/beleid", data=_form(support_desk_email="steunpunt at utrecht")
    ).get_data(as_text=True)
    assert 'id="support_desk_email-error"' in page
    assert _policies(app) == []


def test_no_second_policy_on_a_date_that_is_already_in_force(
    app: Flask, client: FlaskClient, admin: User, utrecht: Any
) -> None:
    _store_policy(app, utrecht, TODAY)
    page = client.post(
        "/gemeente/beleid", data=_form(effective_from=TODAY.isoformat(), replace="y")
    ).get_data(as_text=True)
    assert "A policy already applies from this date" in page
    [row] = _policies(app)
    assert row.m2_per_person_dwelling == 12


def test_a_planned_policy_is_replaced_only_when_asked(
    app: Flask, client: FlaskClient, admin: User, utrecht: Any
) -> None:
    _store_policy(app, utrecht, NEW_YEAR, m2_per_person_dwelling=13)
    page = client.post("/gemeente/beleid", data=_form()).get_data(as_text=True)
    assert "A policy is already planned from this date" in page
    assert _policies(app)[0].m2_per_person_dwelling == 13

    # The "Change" link of the planned row opens the form with its values.
    form_page = client.get("/gemeente/beleid?vanaf=2027-01-01").get_data(as_text=True)
    assert 'name="m2_per_person_dwelling" type="text" value="13"' in form_page
    assert 'name="replace" type="checkbox" value="y"' in form_page
    assert "checked" in re.search(r"<input[^>]*name=\"replace\"[^>]*>", form_page).group(0)

    response = client.post("/gemeente/beleid", data=_form(replace="y"))
    assert response.status_code == 302
    [row] = _policies(app)
    assert row.m2_per_person_dwelling == 15 and row.created_by_id == admin.id
    [event] = _events(app, "policy.set")
    assert event.result == "replaced"
    assert json.loads(event.detail)["replaces"]["m2_per_person_dwelling"] == 13


def test_another_municipalitys_policy_is_not_shown(
    app: Flask,
    client: FlaskClient,
    admin: User,
    westland: Any,
) -> None:
    _store_policy(app, westland, date(2026, 7, 1), m2_per_person_dwelling=17)
    page = client.get("/gemeente/beleid").get_data(as_text=True)
    dashboard = client.get("/gemeente/").get_data(as_text=True)
    assert "17 m²" not in page and "17 m²" not in dashboard
    assert "has not set a policy yet" in page


# --- users ----------------------------------------------------------------------------------------


def test_users_page_lists_the_municipalitys_inspectors_and_admins(
    client: FlaskClient, admin: User, utrecht: Any, make_user: Callable[..., User]
) -> None:
    inspector = make_user("inspector", municipality=utrecht, email="inspecteur@utrecht.nl")
    page = client.get("/gemeente/gebruikers").get_data(as_text=True)
    assert inspector.email in page and admin.email in page
    assert "Inspector" in page and "Municipal administrator" in page


def test_inviting_an_inspector_emails_an_invitation_and_records_the_inviter(
    app: Flask, client: FlaskClient, admin: User, utrecht: Any
) -> None:
    response = client.post(
        "/gemeente/gebruikers/uitnodigen",
        data={"email": "Nieuwe.Inspecteur@Utrecht.NL", "role": "inspector"},
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.execute(
            select(User).where(User.email == "nieuwe.inspecteur@utrecht.nl")
        ).scalar_one()
        assert (user.role, user.municipality_id, user.password_hash) == (
            "inspector",
            utrecht.id,
            None,
        )
        user_id = user.id
    mail = last_mail(app, "nieuwe.inspecteur@utrecht.nl", "invite")
    assert link_path(mail).startswith("/uitnodiging/")
    [event] = _events(app, "create_user")
    assert (event.actor_user_id, event.object_id, event.detail) == (
        admin.id,
        str(user_id),
        "inspector",
    )
    assert "nieuwe.inspecteur@utrecht.nl" in client.get("/gemeente/gebruikers").get_data(
        as_text=True
    )


def test_the_invitation_link_lets_the_new_user_choose_a_password_and_log_in(
    app: Flask, client: FlaskClient, admin: User
) -> None:
    client.post(
        "/gemeente/gebruikers/uitnodigen",
        data={"email": "tweede.beheer@utrecht.nl", "role": "municipal_admin"},
    )
    path = link_path(last_mail(app, "tweede.beheer@utrecht.nl", "invite"))
    assert path.startswith("/uitnodiging/")
    assert app.test_client().get(path).status_code == 200


@pytest.mark.parametrize("role", ["system_admin", "org_admin", "declarant", ""])
def test_only_municipal_roles_can_be_invited(
    app: Flask, client: FlaskClient, admin: User, role: str
) -> None:
    before = count(app, User)
    response = client.post(
        "/gemeente/gebruikers/uitnodigen", data={"email": "iemand@utrecht.nl", "role": role}
    )
    assert response.status_code == 200
    assert 'id="role-error"' in response.get_data(as_text=True)
    assert count(app, User) == before


def test_inviting_an_address_that_has_an_account_creates_nothing_and_tells_its_owner(
    app: Flask, client: FlaskClient, admin: User
) -> None:
    """The admin hears what any invitation says (tests/web/test_no_account_enumeration.py)."""
    before = count(app, User)
    response = client.post(
        "/gemeente/gebruikers/uitnodigen", data={"email": admin.email, "role": "inspector"}
    )
    assert response.status_code == 302
    assert "already has an account" not in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert count(app, User) == before
    assert last_mail(app, admin.email).kind == "invite_existing"


def test_deactivating_a_user_ends_their_sessions_at_once(
    app: Flask, client: FlaskClient, admin: User, utrecht: Any, make_user: Callable[..., User]
) -> None:
    inspector = make_user("inspector", municipality=utrecht)
    their_client = app.test_client()
    login(their_client, inspector)
    assert their_client.get("/inspectie/").status_code == 200

    response = client.post(f"/gemeente/gebruikers/{inspector.id}/deactiveren")
    assert response.status_code == 302

    after = their_client.get("/inspectie/")
    assert after.status_code == 302 and "/inloggen" in after.headers["Location"]
    assert _user(app, inspector.id).active is False
    with app.app_context():
        sessions = db.session.execute(
            select(UserSession).where(UserSession.user_id == inspector.id)
        ).scalars()
        assert all(s.revoked_at is not None for s in sessions)
    [event] = _events(app, "user.deactivate")
    assert (event.actor_user_id, event.object_id) == (admin.id, str(inspector.id))
    page = client.get("/gemeente/gebruikers").get_data(as_text=True)
    assert "Deactivated" in page
    # Deactivating again is refused with a message; nothing changes.
    client.post(f"/gemeente/gebruikers/{inspector.id}/deactiveren")
    assert "already been deactivated" in client.get("/gemeente/gebruikers").get_data(as_text=True)
    assert len(_events(app, "user.deactivate")) == 1


def test_the_last_municipal_admin_cannot_deactivate_themself(
    app: Flask,
    client: FlaskClient,
    admin: User,
    utrecht: Any,
    westland: Any,
    make_user: Callable[..., User],
) -> None:
    # An admin who was invited but has not chosen a password yet cannot log in: not counted.
    invited = make_user("municipal_admin", municipality=utrecht)
    with app.app_context():
        db.session.get(User, invited.id).password_hash = None
        db.session.commit()
    # Admins of another municipality do not count either.
    make_user("municipal_admin", municipality=westland)

    client.post(f"/gemeente/gebruikers/{admin.id}/deactiveren")
    page = client.get("/gemeente/gebruikers")
    assert page.status_code == 200, "still logged in"
    assert "You are the last municipal administrator who can log in" in page.get_data(as_text=True)
    assert _user(app, admin.id).active is True
    assert _events(app, "user.deactivate") == []


def test_an_admin_may_leave_when_another_admin_remains(
    app: Flask, client: FlaskClient, admin: User, utrecht: Any, make_user: Callable[..., User]
) -> None:
    make_user("municipal_admin", municipality=utrecht)
    response = client.post(f"/gemeente/gebruikers/{admin.id}/deactiveren")
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]
    assert client.get("/gemeente/").status_code == 302
    assert _user(app, admin.id).active is False


def test_another_municipalitys_admin_sees_none_of_these_users_and_gets_404(
    app: Flask,
    client: FlaskClient,
    utrecht: Any,
    westland: Any,
    make_user: Callable[..., User],
) -> None:
    utrecht_inspector = make_user("inspector", municipality=utrecht, email="insp@utrecht.nl")
    utrecht_admin = make_user("municipal_admin", municipality=utrecht, email="adm@utrecht.nl")
    westland_admin = make_user("municipal_admin", municipality=westland)
    login(client, westland_admin)
    users_page = client.get("/gemeente/gebruikers").get_data(as_text=True)
    dashboard = client.get("/gemeente/").get_data(as_text=True)
    responses = [
        client.post(f"/gemeente/gebruikers/{target.id}/deactiveren").status_code
        for target in (utrecht_inspector, utrecht_admin)
    ]
    for page in (users_page, dashboard):
        assert "utrecht.nl" not in page
    assert responses == [404, 404]
    assert _user(app, utrecht_inspector.id).active is True
    assert _user(app, utrecht_admin.id).active is True
    assert _events(app, "user.deactivate") == []


# --- who may come here ----------------------------------------------------------------------------

PAGES = [
    "/gemeente/",
    "/gemeente/beleid",
    "/gemeente/gebruikers",
    "/gemeente/gebruikers/uitnodigen",
]


@pytest.mark.parametrize("role", ["declarant", "org_admin", "inspector", "system_admin"])
def test_other_roles_get_404_on_every_municipal_admin_page(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., User],
    make_user: Callable[..., User],
    utrecht: Any,
    role: str,
) -> None:
    inspector = make_user("inspector", municipality=utrecht)
    if role == "inspector":
        login_as(role, municipality=utrecht)
    else:
        login_as(role)
    for path in PAGES:
        assert client.get(path).status_code == 404, path
    assert client.post("/gemeente/beleid", data=_form()).status_code == 404
    assert client.post(f"/gemeente/gebruikers/{inspector.id}/deactiveren").status_code == 404
    assert (
        client.post(
            "/gemeente/gebruikers/uitnodigen", data={"email": "x@utrecht.nl", "role": "inspector"}
        ).status_code
        == 404
    )
    assert _policies(app) == []
    assert _user(app, inspector.id).active is True


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_municipal_admin_pages_render_in_both_languages(
    client: FlaskClient, admin: User, utrecht: Any, app: Flask, lang: str
) -> None:
    _store_policy(app, utrecht, date(2026, 1, 1))
    _store_policy(app, utrecht, NEW_YEAR, m2_per_person_dwelling=15)
    client.get(f"/?lang={lang}")
    for path in [*PAGES, "/gemeente/beleid?vanaf=2027-01-01"]:
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert f'<html lang="{lang}">' in page
        for link in ("/gemeente/beleid", "/gemeente/gebruikers"):
            assert f'href="{link}"' in page, (path, link)
