"""People are shown by name (issue 23, item 4): a display name set at sign-up or invitation and
changed on the account page; lists of people show it with the email address on hover, and fall
back to the email address when a person gave no name."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.domain.errors import InvalidValue
from portal.domain.inputs import display_name
from portal.extensions import db
from portal.models import AuditEvent, Flag, User
from portal.services.declarations import file_declaration
from tests.conftest import login
from tests.web.test_signup_and_invite import SIGNUP


def _user(app: Flask, email: str) -> User:
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        db.session.expunge(user)
        return user


def _name(app: Flask, user: User, name: str | None) -> None:
    with app.app_context():
        db.session.get(User, user.id).display_name = name  # type: ignore[union-attr]
        db.session.commit()


def test_a_display_name_is_clean_text_of_at_most_120_characters() -> None:
    assert display_name("  Sanne   de\tVries ") == "Sanne de Vries"
    assert display_name("") is None and display_name("   ") is None and display_name(None) is None
    assert display_name("x" * 120) == "x" * 120
    for bad, code in (("x" * 121, "display_name.too_long"), ("Eva\u202eVisser", "text.invisible")):
        try:
            display_name(bad)
        except InvalidValue as exc:
            assert exc.code == code
        else:
            raise AssertionError(bad)


def test_the_account_page_sets_changes_and_clears_the_name(
    app: Flask, client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    user = login_as("declarant")
    page = client.get("/account?lang=en").get_data(as_text=True)
    assert "Your account" in page and user.email in page
    # Without a name the header shows the email address.
    assert re.search(
        r'<a class="who" href="/account" title="[^"]+">.*?' + re.escape(user.email), page
    )

    response = client.post("/account", data={"name": "  Sanne  de Vries "})
    assert response.status_code == 303
    page = client.get("/account?lang=en").get_data(as_text=True)
    assert "Your name has been saved." in page
    assert 'value="Sanne de Vries"' in page
    header = re.search(r'<a class="who"[^>]*title="([^"]+)"[^>]*>(.*?)</a>', page, re.S)
    assert header is not None
    assert header.group(1) == user.email and header.group(2).endswith("Sanne de Vries")
    assert _user(app, user.email).display_name == "Sanne de Vries"

    # Too long: the field says so, nothing changes.
    page = client.post("/account?lang=en", data={"name": "x" * 121}).get_data(as_text=True)
    assert "A name is at most 120 characters." in page
    assert 'href="#name"' in page  # the error summary links to the field
    assert _user(app, user.email).display_name == "Sanne de Vries"
    page = client.post("/account?lang=nl", data={"name": "x" * 121}).get_data(as_text=True)
    assert "Een naam is maximaal 120 tekens lang." in page

    # Empty: no name, the email address again.
    assert client.post("/account", data={"name": ""}).status_code == 303
    assert _user(app, user.email).display_name is None
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent.action).where(AuditEvent.action == "account.name")
        ).all()
        assert len(events) == 2  # set and cleared; the refused change wrote nothing


def test_the_account_page_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/account")
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]


def test_sign_up_and_invitations_take_a_name(
    app: Flask, client: FlaskClient, login_as: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    client.post("/aanmelden", data=dict(SIGNUP, name="Anna de Brug"))
    assert _user(app, "anna@debrug.nl").display_name == "Anna de Brug"

    login_as("org_admin")
    client.post(
        "/organisatie/medewerkers/uitnodigen",
        data={"email": "bram@example.nl", "role": "declarant", "name": "Bram Smit"},
    )
    assert _user(app, "bram@example.nl").display_name == "Bram Smit"
    # An address that has an account already keeps its own name (and learns nothing new).
    existing = make_user("declarant")
    _name(app, existing, "Eigen Naam")
    client.post(
        "/organisatie/medewerkers/uitnodigen",
        data={"email": existing.email, "role": "declarant", "name": "Andere Naam"},
    )
    assert _user(app, existing.email).display_name == "Eigen Naam"

    client.post("/uitloggen")
    login_as("municipal_admin")
    client.post(
        "/gemeente/gebruikers/uitnodigen",
        data={"email": "eva@gemeente.nl", "role": "inspector", "name": "Eva Visser"},
    )
    assert _user(app, "eva@gemeente.nl").display_name == "Eva Visser"
    page = client.get("/gemeente/gebruikers").get_data(as_text=True)
    assert '<span title="eva@gemeente.nl">Eva Visser</span>' in page


def test_colleagues_are_listed_by_name_with_the_email_on_hover(
    app: Flask,
    client: FlaskClient,
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:
    org = make_org()
    admin = make_user("org_admin", org=org)
    named = make_user("declarant", org=org)
    unnamed = make_user("declarant", org=org)
    _name(app, named, "Sanne de Vries")
    login(client, admin)
    page = client.get("/organisatie/medewerkers?lang=en").get_data(as_text=True)
    assert f'<td><span title="{named.email}">Sanne de Vries</span></td>' in page
    assert f"<td>{unnamed.email}</td>" in page
    assert '<th scope="col">Name</th>' in page


def test_assignees_and_actors_are_shown_by_name(
    app: Flask,
    client: FlaskClient,
    make_municipality: Callable[..., Any],
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
) -> None:
    utrecht = make_municipality("GM0344", "Utrecht")
    inspector = make_user("inspector", municipality=utrecht)
    _name(app, inspector, "Eva Visser")
    declarant = make_user("declarant")
    address = make_address(municipality=utrecht)
    with app.app_context():
        file_declaration(
            db.session.get(User, declarant.id),
            DeclarationInput(6, clock.today(), separate_contracts=True),
            address_id=address.id,
        )
        db.session.commit()
        flag_id = db.session.execute(select(Flag.id)).scalar_one()
    login(client, inspector)
    client.post(f"/inspectie/signalen/{flag_id}/toewijzen", data={"assignee": str(inspector.id)})

    inbox = client.get("/inspectie/signalen?lang=en").get_data(as_text=True)
    assert f'<span title="{inspector.email}">Eva Visser</span>' in inbox
    flag = client.get(f"/inspectie/signalen/{flag_id}?lang=en").get_data(as_text=True)
    summary = flag.split('id="summary"', 1)[1].split("</dl>", 1)[0]
    assert "Eva Visser" in summary and f"({inspector.email})" in summary  # the detail: both
    options = re.findall(r"<option[^>]*>([^<]+)</option>", flag)
    assert html.unescape(f"Eva Visser ({inspector.email})") in [html.unescape(o) for o in options]
    log = client.get("/inspectie/logboek?lang=en").get_data(as_text=True)
    assert f'<span title="{inspector.email}">Eva Visser</span>' in log


def test_the_first_eherkenning_login_takes_a_name(app: Flask) -> None:
    """The eHerkenning first-login form is the sign-up of proven organisations: a name fits
    there too (the service behind the form; the browser flow is tests/integration/
    test_eherkenning.py)."""
    from portal.domain.eherkenning import ProvenIdentity
    from portal.services import eherkenning
    from portal.services.errors import Refused

    proven = ProvenIdentity("https://broker.example", "medewerker-7", "90000077", "loa3")
    data = eherkenning.Registration(
        organisation_name="Bouwbedrijf B.V.",
        kinds=("employer",),
        contact_email="info@bouw.example",
        email="jan@bouw.example",
        name=" Jan  Bouwman ",
    )
    with app.app_context():
        assert eherkenning.register(proven, data).display_name == "Jan Bouwman"
        db.session.rollback()
        try:
            eherkenning.register(
                proven, eherkenning.Registration(**{**vars(data), "name": "x" * 121})
            )
        except Refused as exc:
            assert [(p.field, p.code) for p in exc.problems] == [("name", "display_name.too_long")]
        else:
            raise AssertionError("a name of 121 characters was accepted")
        db.session.rollback()
