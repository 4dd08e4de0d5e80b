"""CSRF: with protection on (as in production), a POST without a valid token is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from portal import create_app
from portal.models import Organisation
from tests.conftest import PASSWORD, overrides_for
from tests.helpers import count


@pytest.fixture
def csrf_app(app: Flask, database_url: str) -> Iterator[Flask]:
    application = create_app({**overrides_for(database_url), "WTF_CSRF_ENABLED": True})
    yield application
    with application.app_context():
        from portal.extensions import db

        db.engine.dispose()


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "no CSRF token in the form"
    return match.group(1)


def test_tokenless_posts_are_refused_and_change_nothing(csrf_app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("org_admin")
    client = csrf_app.test_client()
    response = client.post("/inloggen", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/organisatie/").status_code == 302  # not logged in

    signup = {
        "organisation_name": "Zonder Token B.V.",
        "kvk_number": "11112222",
        "kinds": ["employer"],
        "contact_email": "a@b.nl",
        "email": "c@d.nl",
        "password": "een lange zin als wachtwoord",
        "password_repeat": "een lange zin als wachtwoord",
    }
    assert client.post("/aanmelden", data=signup).status_code == 400
    assert count(csrf_app, Organisation) == 1  # only the fixture's organisation


def test_a_token_of_another_session_is_refused(csrf_app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("declarant")
    other = csrf_app.test_client()
    token = _token(other.get("/inloggen").get_data(as_text=True))
    client = csrf_app.test_client()
    client.get("/inloggen")
    response = client.post(
        "/inloggen", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 400


def test_with_the_token_the_same_post_succeeds(csrf_app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("declarant")
    client = csrf_app.test_client()
    token = _token(client.get("/inloggen").get_data(as_text=True))
    response = client.post(
        "/inloggen", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    # Logout is a POST too, and refused without a token: the session stays.
    assert client.post("/uitloggen").status_code == 400
    assert client.get("/organisatie/").status_code == 200
