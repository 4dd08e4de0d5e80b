"""Every page renders for its audience in Dutch and English, with the base layout's promises."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

PAGES = {
    None: [
        "/",
        "/inloggen",
        "/aanmelden",
        "/wachtwoord-vergeten",
        "/account/nieuwe-bevestiging",
        "/toegankelijkheid",
        "/verify",
    ],
    "declarant": [
        "/organisatie/",
        "/organisatie/meldingen",
        "/organisatie/meldingen?status=all",
        "/organisatie/meldingen/nieuw",
        "/organisatie/meldingen/nieuw?postcode=3511AB&house_number=1",
        "/organisatie/meldingen/nieuw?postcode=9999ZZ&house_number=1",
        "/organisatie/meldingen/nieuw/handmatig?postcode=9999ZZ&house_number=1",
    ],
    "org_admin": [
        "/organisatie/",
        "/organisatie/medewerkers",
        "/organisatie/medewerkers/uitnodigen",
    ],
    "inspector": ["/inspectie/", "/inspectie/adressen", "/inspectie/adressen?postcode=3511ab"],
    "municipal_admin": ["/gemeente/", "/inspectie/"],
    "system_admin": ["/beheer/", "/beheer/gebruikers"],
}


@pytest.mark.parametrize("role", list(PAGES), ids=lambda r: r or "anonymous")
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_pages_render_accessibly_in_both_languages(
    app: Flask, client: FlaskClient, login_as, make_address, role: str | None, lang: str
) -> None:  # type: ignore[no-untyped-def]
    address = make_address("3511 AB", 1)
    paths = list(PAGES[role])
    if role == "declarant":
        paths.append(f"/organisatie/meldingen/nieuw/{address.id}")
    if role:
        login_as(role)
    client.get(f"/?lang={lang}")
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert f'<html lang="{lang}">' in page, path
        assert 'href="#content"' in page and 'id="content"' in page, path  # skip link
        assert "<main" in page and "<header" in page and "<footer" in page, path
        assert "http://" not in page.split("<body", 1)[0].replace("http://portal.test", ""), path
        if role:
            assert response.headers["Cache-Control"] == "no-store", path


def test_dutch_is_the_default_and_english_is_remembered(client: FlaskClient) -> None:
    assert "Inloggen" in client.get("/inloggen").get_data(as_text=True)
    assert "Log in" in client.get("/inloggen?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/inloggen").get_data(as_text=True)
    assert '<html lang="nl">' in client.get("/inloggen?lang=nl").get_data(as_text=True)


def test_security_headers_on_every_response(client: FlaskClient) -> None:
    for path in ("/", "/inloggen", "/bestaat-niet", "/healthz"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] in {"same-origin", "no-referrer"}


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_readiness_fails_when_the_database_is_unreachable(database_url: str) -> None:
    from portal import create_app
    from tests.conftest import overrides_for

    if database_url.startswith("sqlite"):
        broken = "sqlite:////nonexistent-dir/portal.sqlite3"
    else:
        broken = "postgresql+psycopg://postgres@127.0.0.1:1/none"
    app = create_app({**overrides_for(database_url), "DATABASE_URL": broken})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503


def test_not_found_page_speaks_dutch_and_keeps_the_layout(client: FlaskClient) -> None:
    response = client.get("/bestaat-niet")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Pagina niet gevonden" in page and 'id="content"' in page
