"""Login, logout, idle timeout and password reset with server-side sessions (docs/security.md
T12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from portal import clock
from portal.models import AuditEvent, UserSession
from tests.conftest import PASSWORD, login
from tests.helpers import count, last_mail, link_path


def test_wrong_password_and_unknown_email_get_the_same_neutral_message(
    app: Flask, client: FlaskClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    user = make_user("declarant")
    wrong = client.post("/inloggen", data={"email": user.email, "password": "niet het wachtwoord"})
    unknown = client.post("/inloggen", data={"email": "niemand@example.nl", "password": "x" * 12})
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "Het e-mailadres of wachtwoord klopt niet." in response.get_data(as_text=True)
    with app.app_context():
        from portal.extensions import db

        failed = db.session.query(AuditEvent).filter_by(action="login", result="failed").count()
    assert failed == 2


def test_removed_user_cannot_log_in(app: Flask, client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("declarant")
    with app.app_context():
        from portal.extensions import db
        from portal.models import User

        db.session.get(User, user.id).active = False
        db.session.commit()
    response = client.post("/inloggen", data={"email": user.email, "password": PASSWORD})
    assert "Het e-mailadres of wachtwoord klopt niet." in response.get_data(as_text=True)


def test_logout_ends_the_session_on_the_server_so_a_copied_cookie_is_useless(
    app: Flask, client: FlaskClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    user = make_user("declarant")
    login(client, user)
    assert client.get("/organisatie/").status_code == 200
    stolen = client.get_cookie("session").value

    client.post("/uitloggen")
    assert client.get("/organisatie/").status_code == 302

    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/organisatie/")
    assert response.status_code == 302
    assert "/inloggen" in response.headers["Location"]


def test_a_new_session_id_at_each_login(app: Flask, client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("declarant")
    login(client, user)
    client.post("/uitloggen")
    login(client, user)
    with app.app_context():
        from portal.extensions import db

        hashes = [s.token_hash for s in db.session.query(UserSession)]
    assert len(hashes) == 2 and len(set(hashes)) == 2


def test_idle_session_expires_after_thirty_minutes(
    app: Flask, client: FlaskClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    user = make_user("declarant")
    start = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    with clock.freeze(start):
        login(client, user)
    with clock.freeze(start + timedelta(minutes=29)):
        assert client.get("/organisatie/").status_code == 200
    with clock.freeze(start + timedelta(minutes=29 + 31)):
        response = client.get("/organisatie/")
    assert response.status_code == 302
    assert "/inloggen" in response.headers["Location"]


def test_password_reset_link_sets_a_new_password_and_ends_other_sessions(
    app: Flask, client: FlaskClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    user = make_user("declarant")
    login(client, user)

    other = app.test_client()
    response = other.post("/wachtwoord-vergeten", data={"email": user.email})
    assert "Controleer uw e-mail" in response.get_data(as_text=True)
    path = link_path(last_mail(app, user.email, "reset_password"))

    page = other.post(path, data={"password": "kort", "password_repeat": "kort"})
    assert "minstens 15 tekens" in page.get_data(as_text=True)

    new = "een heel nieuw wachtwoord"
    assert other.post(path, data={"password": new, "password_repeat": new}).status_code == 302
    assert other.post(path, data={"password": new, "password_repeat": new}).status_code == 400

    # The session that was open elsewhere has ended.
    assert client.get("/organisatie/").status_code == 302
    assert (
        other.post("/inloggen", data={"email": user.email, "password": PASSWORD}).status_code == 200
    )
    assert other.post("/inloggen", data={"email": user.email, "password": new}).status_code == 302


def test_reset_for_unknown_address_is_neutral_and_sends_nothing(
    app: Flask, client: FlaskClient
) -> None:
    from portal.models import OutboxMessage

    response = client.post("/wachtwoord-vergeten", data={"email": "niemand@example.nl"})
    assert "Controleer uw e-mail" in response.get_data(as_text=True)
    assert count(app, OutboxMessage) == 0


def test_expired_reset_link_is_refused(app: Flask, client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("declarant")
    start = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    with clock.freeze(start):
        client.post("/wachtwoord-vergeten", data={"email": user.email})
    path = link_path(last_mail(app, user.email, "reset_password"))
    with clock.freeze(start + timedelta(minutes=61)):
        response = client.get(path)
    assert response.status_code == 400
    assert "verlopen" in response.get_data(as_text=True)


def test_last_admin_cannot_remove_themself_but_can_remove_a_colleague(
    app: Flask, client: FlaskClient, make_user, make_org
) -> None:  # type: ignore[no-untyped-def]
    org = make_org()
    admin = make_user("org_admin", org=org)
    colleague = make_user("declarant", org=org)
    login(client, admin)

    response = client.post(
        f"/organisatie/medewerkers/{admin.id}/verwijderen", follow_redirects=True
    )
    assert "laatste beheerder" in response.get_data(as_text=True)

    colleague_client = app.test_client()
    login(colleague_client, colleague)
    response = client.post(f"/organisatie/medewerkers/{colleague.id}/verwijderen")
    assert response.status_code == 302
    # The removed colleague's open session ends at once.
    assert colleague_client.get("/organisatie/").status_code == 302
    page = client.get("/organisatie/medewerkers").get_data(as_text=True)
    assert "Verwijderd op" in page


def test_an_admin_may_leave_when_another_admin_remains(
    app: Flask, client: FlaskClient, make_user, make_org
) -> None:  # type: ignore[no-untyped-def]
    org = make_org()
    admin = make_user("org_admin", org=org)
    make_user("org_admin", org=org)
    login(client, admin)
    response = client.post(f"/organisatie/medewerkers/{admin.id}/verwijderen")
    assert response.status_code == 302
    assert "/inloggen" in response.headers["Location"]
    assert client.get("/organisatie/").status_code == 302
