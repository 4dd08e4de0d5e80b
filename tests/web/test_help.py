"""Help pages (issue 23, item 7): one per role and one for everyone, public, in Dutch and
English, linked from the footer of every page — to the signed-in user's own help, or to the
index for everyone else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.domain.occupancy import SEVERITY
from portal.receipts.texts import FINDING_TEXTS
from tests.conftest import login

# path → (Dutch heading, English heading)
PAGES = {
    "/hulp/": ("Hulp", "Help"),
    "/hulp/melden": (
        "Hulp bij melden (werkgevers en uitzendbureaus)",
        "Help for declaring (employers and staffing agencies)",
    ),
    "/hulp/woningaanbieder": ("Hulp voor huisvesters", "Help for housing providers"),
    "/hulp/inspectie": ("Hulp voor inspecteurs", "Help for inspectors"),
    "/hulp/gemeente": (
        "Hulp voor beheerders van de gemeente",
        "Help for municipal administrators",
    ),
}


def _footer(page: str) -> str:
    return page.split('<footer class="site-footer">', 1)[1].split("</footer>", 1)[0]


@pytest.mark.parametrize("path", list(PAGES))
def test_each_help_page_is_public_in_both_languages(client: FlaskClient, path: str) -> None:
    dutch, english = PAGES[path]
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"<h1>{dutch}</h1>" in page and '<html lang="nl">' in page
    english_page = client.get(f"{path}?lang=en").get_data(as_text=True)
    assert f"<h1>{english}</h1>" in english_page and '<html lang="en">' in english_page
    # Every help page links to every other one, and marks itself.
    for other in PAGES:
        assert f'href="{other}"' in english_page
    assert f'href="{path}" aria-current="page"' in english_page


@pytest.mark.parametrize("path", ["/hulp/", "/hulp/melden", "/hulp/woningaanbieder"])
def test_the_findings_are_explained_from_the_domain(client: FlaskClient, path: str) -> None:
    page = client.get(f"{path}?lang=en").get_data(as_text=True)
    assert set(SEVERITY) == set(FINDING_TEXTS)
    for code in SEVERITY:
        title, meaning = FINDING_TEXTS[code]
        assert f'<th scope="row">{title}</th>' in page
        assert str(meaning).replace("'", "&#39;") in page
    assert "What happens after a signal" in page


def test_the_declarant_help_links_the_csv_template_and_the_api_description(
    client: FlaskClient,
) -> None:
    page = client.get("/hulp/melden?lang=en").get_data(as_text=True)
    assert 'href="/organisatie/meldingen/bulk/sjabloon.csv"' in page
    assert 'href="/organisatie/meldingen/bulk"' in page
    assert 'href="/api/v1/openapi.json"' in page
    assert "Declare within 3 days" in page


def test_the_figures_come_from_the_settings(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "DEFAULT_LATE_AFTER_DAYS", 5)  # the app is shared: restored
    monkeypatch.setitem(app.config, "DEFAULT_NO_PERMIT_MAX_OCCUPANTS", 6)
    assert "Meld binnen 5 dagen" in client.get("/hulp/melden").get_data(as_text=True)
    page = client.get("/hulp/gemeente?lang=en").get_data(as_text=True)
    assert "6 occupants without a permit, late after 5 days" in page


def test_the_footer_links_to_the_index_for_visitors(client: FlaskClient) -> None:
    for path in ("/", "/inloggen", "/toegankelijkheid", "/hulp/inspectie", "/bestaat-niet"):
        footer = _footer(client.get(path).get_data(as_text=True))
        assert '<a href="/hulp/">Hulp</a>' in footer, path
    english = _footer(client.get("/?lang=en").get_data(as_text=True))
    assert '<a href="/hulp/">Help</a>' in english


@pytest.mark.parametrize(
    ("role", "kinds", "pages", "help_path"),
    [
        (
            "declarant",
            ("staffing_agency",),
            ["/organisatie/", "/organisatie/meldingen"],
            "/hulp/melden",
        ),
        ("org_admin", ("employer",), ["/organisatie/", "/organisatie/medewerkers"], "/hulp/melden"),
        (
            "declarant",
            ("housing_provider",),
            ["/organisatie/", "/organisatie/vergunningen"],
            "/hulp/woningaanbieder",
        ),
        ("inspector", None, ["/inspectie/", "/inspectie/signalen"], "/hulp/inspectie"),
        ("municipal_admin", None, ["/gemeente/", "/gemeente/beleid"], "/hulp/gemeente"),
        ("system_admin", None, ["/beheer/"], "/hulp/"),
    ],
)
def test_the_footer_links_to_the_help_of_the_users_role(
    app: Flask,
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
    role: str,
    kinds: tuple[str, ...] | None,
    pages: list[str],
    help_path: str,
) -> None:
    client = app.test_client()
    extra = {"org": make_org(kinds=kinds)} if kinds else {}
    login(client, make_user(role, **extra))
    for path in [*pages, "/hulp/", "/toegankelijkheid"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert f'<a href="{help_path}">Hulp</a>' in _footer(response.get_data(as_text=True)), path
    assert client.get(help_path).status_code == 200
