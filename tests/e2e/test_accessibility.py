"""axe-core on every key page, in Dutch and in English, logged out and as each role:
0 violations of the WCAG 2.0/2.1 A and AA rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import ANONYMOUS, ROLE_EMAILS, Server
from tests.e2e.support import assert_accessible, shoot

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page

LANGS = ["nl", "en"]

EXPECTED_ERRORS = {"/bestaat-niet", "/verify/ONBEKEND-CODE"}
PUBLIC_PAGES = [
    "/",
    "/inloggen",
    "/aanmelden",
    "/wachtwoord-vergeten",
    "/account/nieuwe-bevestiging",
    "/verify",
    "/verify/ONBEKEND-CODE",
    "/toegankelijkheid",
    "/statistieken",
    "/bestaat-niet",
    "/hulp/",
    "/hulp/melden",
    "/hulp/woningaanbieder",
    "/hulp/inspectie",
    "/hulp/gemeente",
]


def _org_of(server: Server, role: str) -> int:
    return int(
        server.one("select organisation_id from users where email = ?", (ROLE_EMAILS[role],))
    )


def _municipality_of(server: Server, role: str) -> int:
    return int(
        server.one("select municipality_id from users where email = ?", (ROLE_EMAILS[role],))
    )


def _declaration(server: Server) -> str:
    org = _org_of(server, "declarant")
    latest = server.one("select max(id) from declarations where organisation_id = ?", (org,))
    return f"/organisatie/meldingen/{latest}"


def _declare_form(server: Server) -> str:
    address = server.one(
        "select a.id from addresses a join municipalities m on m.id = a.municipality_id"
        " where m.code = 'GM0344' order by a.id limit 1"
    )
    return f"/organisatie/meldingen/nieuw/{address}"


def _lookup_result(server: Server) -> str:
    postcode, number = server.query(
        "select postcode, house_number from addresses where coalesce(house_letter, '') = ''"
        " and coalesce(house_number_addition, '') = '' order by id limit 1"
    )[0]
    return f"/organisatie/meldingen/nieuw?postcode={postcode}&house_number={number}"


def _flag(server: Server) -> str:
    municipality = _municipality_of(server, "inspector")
    flag = server.one("select max(id) from flags where municipality_id = ?", (municipality,))
    return f"/inspectie/signalen/{flag}"


def _dossier(server: Server) -> str:
    municipality = _municipality_of(server, "inspector")
    address = server.one(
        "select max(address_id) from flags where municipality_id = ?", (municipality,)
    )
    return f"/inspectie/adressen/{address}"


def _shared_address(server: Server) -> str:
    """Oudegracht 13 in Utrecht: two organisations declare there (portal/demo/load.py)."""
    address = server.one(
        "select id from addresses where nummeraanduiding_id = ?", ("0344200000000556",)
    )
    return f"/inspectie/adressen/{address}"


def _renew(server: Server) -> str:
    org = _org_of(server, "housing_provider")
    permit = server.one(
        "select min(id) from permits where holder_organisation_id = ? and status = 'valid'",
        (org,),
    )
    return f"/organisatie/vergunningen/{permit}/verlengen"


def _permit_edit(server: Server) -> str:
    municipality = _municipality_of(server, "municipal_admin")
    permit = server.one("select min(id) from permits where municipality_id = ?", (municipality,))
    return f"/gemeente/vergunningen/{permit}"


def _amend(server: Server) -> str:
    return _declaration(server) + "/wijzigen"


def _end(server: Server) -> str:
    return _declaration(server) + "/beeindigen"


def _revoke(server: Server) -> str:
    return _permit_edit(server) + "/intrekken"


def _verified_receipt(server: Server) -> str:
    return "/verify/" + str(server.one("select verification_code from receipts order by id"))


PathOf = str | Callable[[Server], str]

ROLE_PAGES: dict[str, list[PathOf]] = {
    "declarant": [
        "/organisatie/",
        "/organisatie/meldingen",
        "/organisatie/meldingen/nieuw",
        _lookup_result,
        _declare_form,
        _declaration,
        _amend,
        _end,
        "/organisatie/meldingen?status=all",
        "/organisatie/meldingen/bulk",
        "/organisatie/meldingen?status=ending&sort=address",
        "/account/tweestapsverificatie",
        "/account",
    ],
    "org_admin": [
        "/organisatie/medewerkers",
        "/organisatie/medewerkers/uitnodigen",
        "/organisatie/api-sleutels",
        "/organisatie/machtigingen",
        "/organisatie/machtigingen/nieuw",
        "/organisatie/contactgegevens",
    ],
    # The start page (to-do counts: the demo has a question, a permit to renew and an
    # application waiting) and the permit list filtered as its links do.
    "housing_provider": [
        "/organisatie/",
        "/organisatie/vergunningen",
        "/organisatie/vergunningen?state=to_renew",
        "/organisatie/vergunningen?status=info_requested",
        _renew,
    ],
    "inspector": [
        "/inspectie/",
        "/inspectie/signalen",
        "/inspectie/signalen?status=all",
        "/inspectie/signalen?sort=age&dir=desc",
        _flag,
        "/inspectie/adressen",
        _dossier,
        "/inspectie/meldingen-instellingen",
        "/inspectie/regio",
        _shared_address,
        "/inspectie/zoeken",
        "/inspectie/zoeken?q=oudegr+13",
        "/inspectie/zoeken?q=flexwerk",
        "/inspectie/zoeken?q=zzzz",
    ],
    "municipal_admin": [
        "/gemeente/",
        "/gemeente/beleid",
        "/gemeente/vergunningen",
        "/gemeente/vergunningen/nieuw",
        "/gemeente/vergunningen/importeren",
        "/gemeente/vergunningen/soorten",
        _permit_edit,
        _revoke,
        "/gemeente/gebruikers/uitnodigen",
        "/gemeente/aanvragen",
        "/gemeente/aanvragen?status=submitted&sort=applicant",
        "/gemeente/mislukte-mail",
        "/gemeente/gebruikers",
        "/gemeente/api-sleutels",
        _shared_address,
        "/inspectie/zoeken?q=3511AB",
    ],
    "system_admin": [
        "/beheer/",
        "/beheer/regios",
        "/beheer/gebruikers",
        "/beheer/uitgaande-mail",
        "/beheer/uitgaande-mail?status=failed",
    ],
}


def _label(item: PathOf) -> str:
    if isinstance(item, str):
        return item
    return item.__name__.strip("_")


def _with_lang(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


@pytest.mark.parametrize("lang", LANGS)
def test_receipt_verification_result_has_no_wcag_violations(
    role_page: Callable[[str], Page], server: Server, lang: str
) -> None:
    page = role_page(ANONYMOUS)
    _check(page, server, _verified_receipt, lang)
    assert page.locator("main").inner_text()


def _check(page: Page, server: Server, item: PathOf, lang: str) -> None:
    path = item if isinstance(item, str) else item(server)
    answer = page.goto(_with_lang(path, lang))
    assert answer is not None
    assert answer.status < 400 or path in EXPECTED_ERRORS, (path, answer.status)
    assert path == "/inloggen" or "/inloggen" not in page.url, path
    assert page.locator("html").get_attribute("lang") == lang
    assert_accessible(page)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_no_wcag_violations(
    role_page: Callable[[str], Page], server: Server, path: str, lang: str
) -> None:
    _check(role_page(ANONYMOUS), server, path, lang)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("role", "item"),
    [(role, item) for role, items in ROLE_PAGES.items() for item in items],
    ids=[f"{role}:{_label(item)}" for role, items in ROLE_PAGES.items() for item in items],
)
def test_role_page_has_no_wcag_violations(
    role_page: Callable[[str], Page],
    server: Server,
    screenshots: Path | None,
    role: str,
    item: PathOf,
    lang: str,
) -> None:
    page = role_page(role)
    _check(page, server, item, lang)
    shoot(page, screenshots, f"{role}-{_label(item).strip('/').replace('/', '_') or 'home'}-{lang}")


START_PAGES = {
    "declarant": "/organisatie/",
    "housing_provider": "/organisatie/",
    "municipal_admin": "/gemeente/",
    "system_admin": "/beheer/",
}


@pytest.mark.parametrize(("role", "path"), list(START_PAGES.items()))
def test_demo_start_page_has_work_to_do(
    role_page: Callable[[str], Page], server: Server, role: str, path: str
) -> None:
    """The demo gives each start page a to-do (issue 23), so its check above is not of an
    empty list: at least one count, each a link."""
    page = role_page(role)
    page.goto(_with_lang(path, "en"))
    items = page.locator("main section.todo li[id^=todo-] a")
    assert items.count() >= 1, page.inner_text("main")
    for i in range(items.count()):
        assert items.nth(i).get_attribute("href"), items.nth(i).inner_text()


def test_the_axe_check_can_fail(page: Page, server: Server) -> None:
    """The check is real: a field without its label and grey-on-white text are caught."""
    from tests.e2e.support import axe_violations

    page.goto("/inloggen?lang=nl")
    page.evaluate(
        "() => { document.querySelector('label[for=email]').remove();"
        " document.querySelector('h1').style.color = '#cccccc'; }"
    )
    found = {v["id"] for v in axe_violations(page)}
    assert {"label", "color-contrast"} <= found, found


# Forms sent empty: the error summary, the messages and aria-invalid fields are checked too.
FORMS_WITH_ERRORS: list[tuple[str | None, PathOf]] = [
    (None, "/inloggen"),
    (None, "/aanmelden"),
    (None, "/wachtwoord-vergeten"),
    (None, "/account/nieuwe-bevestiging"),
    ("declarant", _declare_form),
    ("declarant", _amend),
    ("declarant", _end),
    ("declarant", "/organisatie/meldingen/bulk"),
    ("org_admin", "/organisatie/medewerkers/uitnodigen"),
    ("org_admin", "/organisatie/machtigingen/nieuw"),
    ("housing_provider", _renew),
    ("municipal_admin", "/gemeente/vergunningen/nieuw"),
    ("municipal_admin", "/gemeente/gebruikers/uitnodigen"),
    ("municipal_admin", "/gemeente/beleid"),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("role", "item"),
    FORMS_WITH_ERRORS,
    ids=[f"{role or 'public'}:{_label(item)}" for role, item in FORMS_WITH_ERRORS],
)
def test_form_with_errors_has_no_wcag_violations(
    role_page: Callable[[str], Page],
    server: Server,
    role: str | None,
    item: PathOf,
    lang: str,
) -> None:
    target = role_page(role or ANONYMOUS)
    path = item if isinstance(item, str) else item(server)
    target.goto(_with_lang(path, lang))
    form = target.locator("main form[method=post]").first
    for field in form.locator(
        "input[type=text], input[type=email], input[type=date], input[type=number],"
        " input[type=password], input:not([type]), textarea"
    ).all():
        field.fill("")
    with target.expect_navigation():
        form.locator("button[type=submit]").first.click()
    assert target.locator(".error-summary").count() >= 1, target.inner_text("main")
    assert_accessible(target)


# WCAG 1.4.10 Reflow, which axe-core cannot test: at 320 CSS pixels (1280 px at 400 % zoom)
# nothing sticks out sideways, except data tables (two-dimensional content is exempt).
STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    if (e.closest('table') || e.closest('.visually-hidden') || e.closest('.skip-link')) continue;
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1) out.push(e.outerHTML.slice(0, 120));
  }
  return out;
}"""

REFLOW_PAGES: list[tuple[str | None, PathOf]] = [
    (None, "/"),
    (None, "/aanmelden"),
    (None, "/toegankelijkheid"),
    (None, "/verify"),
    ("declarant", "/organisatie/"),
    ("declarant", _declare_form),
    ("declarant", _declaration),
    ("declarant", "/organisatie/meldingen/bulk"),
    ("housing_provider", _renew),
    ("inspector", "/inspectie/signalen"),
    ("inspector", _flag),
    ("municipal_admin", "/gemeente/"),
    ("municipal_admin", "/gemeente/beleid"),
]


@pytest.mark.parametrize(
    ("role", "item"),
    REFLOW_PAGES,
    ids=[f"{role or 'public'}:{_label(item)}" for role, item in REFLOW_PAGES],
)
def test_page_reflows_at_320_pixels(
    role_page: Callable[[str], Page],
    server: Server,
    screenshots: Path | None,
    role: str | None,
    item: PathOf,
) -> None:
    target = role_page(role or ANONYMOUS)
    path = item if isinstance(item, str) else item(server)
    target.set_viewport_size({"width": 320, "height": 640})
    try:
        target.goto(_with_lang(path, "nl"))
        assert target.evaluate(STICKING_OUT) == []
        target.goto(_with_lang(path, "en"))
        assert target.evaluate(STICKING_OUT) == []
    finally:
        target.set_viewport_size({"width": 1280, "height": 900})
