"""eHerkenning in a real browser, as a new user would (issue 18): the login page's eHerkenning
button, the provider's login, the first-login form and the refusal page, each checked with
axe-core. The provider is the real test OpenID Provider (tests/oidc_provider.py); KvK numbers
that the demo data does not hold, so no demo organisation is taken over."""

from __future__ import annotations

import json
import os

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Server
from tests.e2e.support import assert_accessible
from tests.oidc_provider import EH2, person


@pytest.fixture
def broker(server: Server) -> None:
    if server.provider is None:
        if os.environ.get("OIDC_REQUIRED"):
            pytest.fail("OIDC_REQUIRED is set but the test OpenID Provider is not running")
        pytest.skip("node or tools/oidc-provider/node_modules is missing")


def _through_provider(page: Page, claims: dict) -> None:
    page.goto("/inloggen?lang=nl")
    page.get_by_role("link", name="Inloggen met eHerkenning").click()
    page.wait_for_url("**/interaction/**")
    page.fill("input[name=login]", json.dumps(claims))
    page.fill("input[name=password]", "x")
    page.locator("button[type=submit]").first.click()
    page.wait_for_load_state()


def test_a_new_company_logs_in_with_eherkenning_and_lands_in_its_organisation(
    broker: None, page: Page, server: Server
) -> None:
    _through_provider(page, person(kvk="90000099", sub="e2e-medewerker", name="Kas Tuinders B.V."))
    page.wait_for_url("**/inloggen/eherkenning/gegevens")
    assert "90000099" in page.inner_text("main") and "EH3" in page.inner_text("main")
    assert page.input_value("#organisation_name") == "Kas Tuinders B.V."
    assert_accessible(page)
    page.get_by_label("Werkgever").check()
    page.fill("#contact_email", "info@kastuinders.example")
    page.fill("#email", "e2e-medewerker@kastuinders.example")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".flash-success").count() == 1, page.inner_text("main")
    page.goto("/organisatie/?lang=nl")
    assert "Kas Tuinders B.V." in page.inner_text("body")
    assert server.one("select verified_loa from organisations where kvk_number = '90000099'") == (
        "loa3"
    )


def test_a_login_at_eh2_is_refused_with_a_dutch_page(
    broker: None, page: Page, server: Server
) -> None:
    _through_provider(page, person(kvk="90000098", sub="e2e-laag", loa=EH2))
    main = page.inner_text("main")
    assert "Inloggen met eHerkenning is niet gelukt" in main
    assert "niveau EH2" in main and "EH3" in main
    assert_accessible(page)
    assert not server.query("select id from organisations where kvk_number = '90000098'")
