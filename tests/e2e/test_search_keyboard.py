"""Issue 20: the Utrecht demo inspector searches with the keyboard only — Tab to the menu's
"Zoeken", Enter, type "oudegr 13" in the labelled search box, Enter, Tab to the result, Enter —
and lands on the address page with both organisations, their counts and contacts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.e2e.conftest import ROLE_EMAILS, Server, log_in
from tests.e2e.support import assert_accessible

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

HREF = "() => document.activeElement && document.activeElement.getAttribute('href') || ''"
ACTIVE_ID = "() => document.activeElement ? document.activeElement.id : ''"


def _tab_to(page: Page, wanted: str, script: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if wanted in page.evaluate(script):
            return
    raise AssertionError(f"Tab never reached {wanted}")


def test_inspector_searches_oudegr_13_with_the_keyboard(
    context: BrowserContext, server: Server
) -> None:
    page = context.new_page()
    log_in(page, server, ROLE_EMAILS["inspector"])
    page.goto("/inspectie/?lang=nl")
    _tab_to(page, "/inspectie/zoeken", HREF)
    page.keyboard.press("Enter")
    page.wait_for_url("**/inspectie/zoeken")
    assert page.get_by_label("Adres, organisatie, referentie of signaal").count() == 1
    _tab_to(page, "q", ACTIVE_ID)
    page.keyboard.type("oudegr 13")
    page.keyboard.press("Enter")
    page.wait_for_url("**/inspectie/zoeken?q=oudegr+13")
    assert page.get_by_role("heading", name="Adressen (1)").count() == 1
    assert_accessible(page)
    _tab_to(page, "/inspectie/adressen/", HREF)
    page.keyboard.press("Enter")
    page.wait_for_url("**/inspectie/adressen/*")
    contacts = page.locator("main").inner_text()
    assert "Flexwerk Uitzendbureau B.V." in contacts
    assert "Westland Personeelsdiensten B.V." in contacts
    assert "030 123 4567" in contacts
    assert "beheer@westlandpersoneel.demo.meldportaal.nl" in contacts
