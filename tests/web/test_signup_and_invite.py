"""Sign-up → verification link → login → invite a colleague → the colleague logs in."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from portal.models import AccountToken, AuditEvent, Organisation, OutboxMessage, User
from tests.helpers import count, last_mail, link_path

PASSWORD = "een lange zin als wachtwoord"

SIGNUP = {
    "organisation_name": "Uitzendbureau De Brug B.V.",
    "kvk_number": "12 34 56 78",
    "kinds": ["staffing_agency", "housing_provider"],
    "snf_number": "snf-123",
    "contact_email": "Info@DeBrug.nl",
    "email": "Anna@DeBrug.nl",
    "password": PASSWORD,
    "password_repeat": PASSWORD,
}


def test_sign_up_verify_log_in_and_invite_a_colleague(app: Flask, client: FlaskClient) -> None:
    response = client.post("/aanmelden", data=SIGNUP)
    assert response.status_code == 200
    assert "Controleer uw e-mail" in response.get_data(as_text=True)

    with app.app_context():
        from portal.extensions import db

        org = db.session.query(Organisation).one()
        user = db.session.query(User).one()
        assert org.kvk_number == "12345678"
        assert org.kinds == ["staffing_agency", "housing_provider"]
        assert org.snf_number == "SNF-123"
        assert user.email == "anna@debrug.nl"
        assert user.role == "org_admin"
        assert user.password_hash.startswith("$argon2id$")
        assert user.email_verified_at is None

    # Not verified yet: login is refused with a way forward.
    response = client.post("/inloggen", data={"email": "anna@debrug.nl", "password": PASSWORD})
    assert response.status_code == 200
    assert "Bevestig eerst uw e-mailadres" in response.get_data(as_text=True)

    mail = last_mail(app, "anna@debrug.nl", "verify_email")
    assert mail.subject == "Bevestig uw e-mailadres"
    response = client.get(link_path(mail))
    assert response.status_code == 302
    # The link works once.
    assert client.get(link_path(mail)).status_code == 400

    response = client.post("/inloggen", data={"email": "ANNA@debrug.nl", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/organisatie/").get_data(as_text=True)
    assert "Uitzendbureau De Brug B.V." in page

    response = client.post(
        "/organisatie/medewerkers/uitnodigen", data={"email": "bram@debrug.nl", "role": "declarant"}
    )
    assert response.status_code == 302
    invite = last_mail(app, "bram@debrug.nl", "invite")
    assert "Uitzendbureau De Brug B.V." in invite.body_text

    other = app.test_client()
    path = link_path(invite)
    assert "Kies een wachtwoord" in other.get(path).get_data(as_text=True)
    response = other.post(
        path, data={"password": "bram zijn wachtwoord", "password_repeat": "bram zijn wachtwoord"}
    )
    assert response.status_code == 302
    response = other.post(
        "/inloggen", data={"email": "bram@debrug.nl", "password": "bram zijn wachtwoord"}
    )
    assert response.status_code == 302
    assert "Uitzendbureau De Brug" in other.get("/organisatie/").get_data(as_text=True)
    # A declarant does not manage colleagues.
    assert other.get("/organisatie/medewerkers").status_code == 404

    with app.app_context():
        from portal.extensions import db

        actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert actions[:1] == ["signup"]
    for action in ("verify_email", "login", "invite", "accept_invite"):
        assert action in actions


def test_every_bad_field_is_named_and_nothing_is_stored(app: Flask, client: FlaskClient) -> None:
    bad = {
        "organisation_name": "",
        "kvk_number": "1234",
        "kinds": [],
        "snf_number": "<script>",
        "contact_email": "geen-adres",
        "email": "anna@",
        "password": "kort",
        "password_repeat": "anders",
    }
    response = client.post("/aanmelden", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Er is een probleem" in page
    for text in (
        "Dit veld is verplicht.",
        "Kies ten minste één soort organisatie.",
        "De twee wachtwoorden zijn niet gelijk.",
    ):
        assert text in page
    assert "<script>" not in page
    assert count(app, Organisation) == 0
    assert count(app, User) == 0
    assert count(app, OutboxMessage) == 0


def test_service_refusals_are_shown_at_their_fields(app: Flask, client: FlaskClient) -> None:
    data = dict(
        SIGNUP,
        kvk_number="1234567",
        contact_email="x@@y",
        password="qwerty123456",
        password_repeat="qwerty123456",
    )
    page = client.post("/aanmelden", data=data).get_data(as_text=True)
    assert "Een KvK-nummer bestaat uit 8 cijfers." in page
    assert "Vul een geldig e-mailadres in" in page
    assert "veelgebruikte wachtwoorden" in page
    assert 'href="#kvk_number"' in page  # the summary links to the field
    assert count(app, Organisation) == 0


def test_english_messages_when_english_is_chosen(app: Flask, client: FlaskClient) -> None:
    client.get("/?lang=en")
    page = client.post("/aanmelden", data=dict(SIGNUP, kvk_number="12")).get_data(as_text=True)
    assert "A KvK number is 8 digits." in page
    assert '<html lang="en">' in page


def test_second_sign_up_with_same_kvk_is_refused(app: Flask, client: FlaskClient) -> None:
    client.post("/aanmelden", data=SIGNUP)
    page = client.post("/aanmelden", data=dict(SIGNUP, email="iemand@anders.nl")).get_data(
        as_text=True
    )
    assert "bestaat al een organisatie met dit KvK-nummer" in page
    assert count(app, Organisation) == 1


def test_sign_up_with_a_known_email_answers_neutrally_and_warns_the_owner(
    app: Flask, client: FlaskClient
) -> None:
    client.post("/aanmelden", data=SIGNUP)
    response = client.post("/aanmelden", data=dict(SIGNUP, kvk_number="87654321"))
    assert "Controleer uw e-mail" in response.get_data(as_text=True)
    assert count(app, Organisation) == 1
    assert last_mail(app, "anna@debrug.nl").kind == "account_exists"


def test_resend_verification_link_replaces_the_old_one(app: Flask, client: FlaskClient) -> None:
    client.post("/aanmelden", data=SIGNUP)
    first = link_path(last_mail(app, kind="verify_email"))
    client.post("/account/nieuwe-bevestiging", data={"email": "anna@debrug.nl"})
    second = link_path(last_mail(app, kind="verify_email"))
    assert first != second
    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 302
    assert count(app, AccountToken) == 2


def test_invite_to_an_address_with_an_account_sends_its_owner_a_notice(
    app: Flask, client: FlaskClient, login_as, make_user
) -> None:  # type: ignore[no-untyped-def]
    """The inviter hears what any invitation says (tests/web/test_no_account_enumeration.py)."""
    admin = login_as("org_admin")
    other = make_user("declarant")
    response = client.post(
        "/organisatie/medewerkers/uitnodigen", data={"email": other.email, "role": "declarant"}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "heeft al een account" not in page and "Er is een uitnodiging gestuurd" in page
    assert last_mail(app, other.email).kind == "invite_existing"
    assert admin.email in page
