"""Keyboard only through the declaration form, and English pages without Dutch leftovers."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import ANONYMOUS, ROLE_EMAILS, Server, log_in
from tests.e2e.support import shoot

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import BrowserContext, Page

FORM_FIELDS = [
    "occupants",
    "occupants_registered_brp",
    "start_date",
    "end_date",
    "separate_contracts-0",
    "declared_for_kvk",
]

ACTIVE = (
    "() => { const e = document.activeElement; if (!e) return '';"
    " return e.id || e.tagName + ':' + (e.textContent || '').trim(); }"
)


HREF = "() => document.activeElement.getAttribute('href')"


def _declare_form(server: Server) -> str:
    address = server.one(
        "select a.id from addresses a join municipalities m on m.id = a.municipality_id"
        " where m.code = 'GM0344' and a.uses = 'woonfunctie' order by a.id desc limit 1"
    )
    return f"/organisatie/meldingen/nieuw/{address}"


def _tab_until(page: Page, wanted: Callable[[str], bool], limit: int = 80) -> list[str]:
    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        current = page.evaluate(ACTIVE)
        if not seen or seen[-1] != current:
            seen.append(current)
        if wanted(current):
            return seen
    raise AssertionError(f"Tab never reached the target; visited {seen}")


def _focus_is_visible(page: Page) -> bool:
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }"
    )
    outline_style, outline_width, shadow = style
    return (outline_style != "none" and outline_width not in ("0px", "")) or shadow != "none"


def test_keyboard_only_through_the_declaration_form(
    context: BrowserContext, server: Server, screenshots: Path | None
) -> None:
    page = context.new_page()
    log_in(page, server, ROLE_EMAILS["declarant"])
    page.goto(_declare_form(server) + "?lang=nl")

    # Tab order: the skip link first, then every field in reading order, then the button.
    seen = _tab_until(page, lambda current: current.startswith("BUTTON:Melding indienen"))
    assert seen[0].startswith("A:"), seen
    positions = [seen.index(name) for name in FORM_FIELDS]
    assert positions == sorted(positions), seen
    assert _focus_is_visible(page), "the submit button shows no focus"

    # Every field shows where the focus is.
    for name in FORM_FIELDS:
        page.focus(f"#{name}")
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        assert page.evaluate(ACTIVE) == name
        assert _focus_is_visible(page), f"#{name} shows no focus"

    # Submit the empty form with the keyboard: the error summary links to the fields.
    page.focus("main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    assert summary.count() == 1
    links = summary.locator("a")
    assert links.count() >= 2
    shoot(page, screenshots, "declaration-form-errors-nl")
    targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert "#occupants" in targets and "#start_date" in targets, targets


def test_error_summary_links_move_focus_to_the_fields(
    context: BrowserContext, server: Server
) -> None:
    page = context.new_page()
    log_in(page, server, ROLE_EMAILS["declarant"])
    page.goto(_declare_form(server) + "?lang=en")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    hrefs = page.locator(".error-summary a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    assert len(hrefs) >= 2, "no error summary"
    for href in hrefs:
        # From the top of the page, Tab to the summary link and follow it with Enter.
        page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
        page.focus("main")
        _tab_until(page, lambda _current, h=href: page.evaluate(HREF) == h)
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => document.activeElement.id === {href[1:]!r}")
        assert _focus_is_visible(page), href


# Dutch words that English UI text never has (data such as street names is not checked).
DUTCH = re.compile(
    r"\b(het|een|uw|niet|wordt|naar|bij|meldingen|gemeente|inloggen|bewoners)\b", re.I
)
UI_TEXT = "h1, h2, h3, label, legend, button, th, caption, .hint, .lead, nav.main-nav a, main p"

ENGLISH_PAGES = [
    (None, "/"),
    (None, "/inloggen"),
    (None, "/aanmelden"),
    (None, "/toegankelijkheid"),
    ("declarant", "/organisatie/"),
    ("declarant", "/organisatie/meldingen/nieuw"),
    ("declarant", "/organisatie/meldingen/bulk"),
    ("inspector", "/inspectie/signalen"),
    ("municipal_admin", "/gemeente/beleid"),
]


@pytest.mark.parametrize(("role", "path"), ENGLISH_PAGES)
def test_english_page_has_no_dutch_leftovers(
    role_page: Callable[[str], Page], server: Server, role: str | None, path: str
) -> None:
    target = role_page(role or ANONYMOUS)
    target.goto(path + "?lang=en")
    texts = target.locator(UI_TEXT).all_inner_texts()
    leftovers = [t for t in texts if DUTCH.search(t)]
    assert not leftovers, leftovers
    # And the Dutch page is Dutch, so the check above can fail.
    target.goto(path + "?lang=nl")
    assert any(DUTCH.search(t) for t in target.locator(UI_TEXT).all_inner_texts())
