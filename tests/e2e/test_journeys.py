"""The main journeys in a real browser against the real app (gunicorn, demo data)."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from tests.e2e.conftest import DEMO_PASSWORD, ROLE_EMAILS, Server, log_in
from tests.e2e.support import assert_accessible, shoot

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

PASSWORD = "Zeven-lange-woorden-2026"


def _pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout


def _small_free_address(server: Server) -> tuple[str, str, int]:
    """A dwelling in Utrecht that nobody declares, of 36-47 m²: room for 3 people (12 m² each)."""
    rows = server.query(
        "select a.postcode, a.house_number, a.id from addresses a"
        " join municipalities m on m.id = a.municipality_id"
        " where m.code = 'GM0344' and a.uses = 'woonfunctie'"
        " and a.floor_area_m2 between 36 and 47"
        " and coalesce(a.house_letter, '') = '' and coalesce(a.house_number_addition, '') = ''"
        " and a.id not in (select address_id from declarations where address_id is not null)"
        " and a.id not in (select address_id from permits)"
        " and (select count(*) from addresses b where b.postcode = a.postcode"
        "      and b.house_number = a.house_number) = 1"
        " order by a.id"
    )
    assert rows, "the demo data has no small free dwelling in Utrecht"
    postcode, number, address_id = rows[0]
    return str(postcode), str(number), int(address_id)


def _declare(page: Page, postcode: str, number: str, occupants: int, lang: str) -> str:
    """Declare through the postcode lookup; return the declaration page's URL."""
    page.goto(f"/organisatie/meldingen/nieuw?lang={lang}")
    page.fill("#postcode", postcode)
    page.fill("#house_number", number)
    page.click("main form button[type=submit]")
    page.locator("main a.button[href*='/meldingen/nieuw/']").click()
    page.fill("#occupants", str(occupants))
    page.fill("#occupants_registered_brp", "0")
    page.fill("#start_date", date.today().isoformat())
    page.check("#separate_contracts-0")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/organisatie/meldingen/\d+$"))
    return page.url


def _signup_and_verify(context: BrowserContext, server: Server, email: str, kvk: str) -> Page:
    page = context.new_page()
    page.goto("/aanmelden?lang=nl")
    page.fill("#organisation_name", "E2E Uitzendbureau B.V.")
    page.fill("#kvk_number", kvk)
    page.check("#kinds-1")
    page.fill("#contact_email", email)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#password_repeat", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "/aanmelden" not in page.url or not page.locator(".error-summary").count(), (
        page.inner_text("main")
    )
    # The verification link, from the outbox like the sender would mail it.
    body = server.one(
        "select body_text from outbox_messages where recipient = ? order by id desc", (email,)
    )
    link = re.search(r"https?://\S+/account/bevestigen/\S+", body)
    assert link, body
    page.goto(link.group(0))
    log_in(page, server, email, PASSWORD)
    assert "/organisatie" in page.url
    return page


def test_declarant_signs_up_declares_and_downloads_the_receipt(
    context: BrowserContext, server: Server, screenshots: Path | None, tmp_path: Path
) -> None:
    postcode, number, _address_id = _small_free_address(server)
    page = _signup_and_verify(context, server, "planner@e2e-uitzend.example", "91234567")

    url = _declare(page, postcode, number, 2, "nl")
    reference = page.locator("h1").inner_text().split()[-1]
    assert re.fullmatch(r"[A-Z0-9-]+", reference), reference
    assert reference in page.locator(".flash-success").inner_text()
    # Two people in 36-47 m²: no findings.
    assert page.locator(".finding").count() == 0
    assert "Geen bevindingen" in page.inner_text("main")
    assert_accessible(page)
    shoot(page, screenshots, "journey-declaration-detail-nl")

    with page.expect_download() as info:
        page.locator("main a[download]").click()
    pdf = tmp_path / "receipt.pdf"
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert reference in text
    assert postcode.replace(" ", "") in text.replace(" ", "")
    assert "E2E Uitzendbureau" in text
    assert url.endswith(page.url.rsplit("/", 1)[-1])


def test_second_declarant_at_the_same_address_gets_an_over_limit_finding(
    context: BrowserContext, server: Server, screenshots: Path | None
) -> None:
    postcode, number, address_id = _small_free_address(server)
    first = context.new_page()
    log_in(first, server, ROLE_EMAILS["org_admin"])
    _declare(first, postcode, number, 2, "en")
    assert first.locator(".finding").count() == 0

    other = context.browser.new_context(base_url=server.base_url)  # type: ignore[union-attr]
    try:
        second = other.new_page()
        log_in(second, server, "beheer@westlandpersoneel.demo.meldportaal.nl", DEMO_PASSWORD)
        _declare(second, postcode, number, 2, "en")
        findings = second.locator(".finding")
        assert findings.count() >= 1
        assert "More occupants than allowed" in second.inner_text("main")
        assert "4" in findings.first.inner_text()  # 2 + 2 counted over both organisations
        assert_accessible(second)
        shoot(second, screenshots, "journey-over-limit-en")
    finally:
        other.close()
    # The inspectors of Utrecht see a signal for it.
    assert server.query(
        "select id from flags where address_id = ? and status = 'open'", (address_id,)
    )


def test_inspector_works_a_signal_from_inbox_to_closed(
    context: BrowserContext, server: Server, screenshots: Path | None
) -> None:
    page = context.new_page()
    log_in(page, server, ROLE_EMAILS["inspector"])
    page.goto("/inspectie/signalen?lang=nl")
    shoot(page, screenshots, "inspector-inbox-nl")
    rows = page.locator("main table tbody tr")
    assert rows.count() >= 1
    rows.first.locator("a").first.click()
    page.wait_for_url(re.compile(r"/inspectie/signalen/\d+$"))
    flag_url = page.url

    page.locator("main a[href*='/inspectie/adressen/']").first.click()
    page.wait_for_url(re.compile(r"/inspectie/adressen/\d+$"))
    assert_accessible(page)
    page.goto(flag_url)

    page.get_by_role("button", name="Aan mij toewijzen").click()
    page.wait_for_load_state()
    assert ROLE_EMAILS["inspector"] in page.locator("#summary").inner_text()
    if page.get_by_role("button", name="In behandeling nemen").count():
        page.get_by_role("button", name="In behandeling nemen").click()
        page.wait_for_load_state()
    page.check("#to_status-0")
    page.check("#outcome-0")
    assert_accessible(page)
    page.get_by_role("button", name="Signaal sluiten").click()
    page.wait_for_load_state()
    summary = page.locator("#summary").inner_text()
    assert "Gesloten" in page.inner_text("main") or "Afgehandeld" in summary, summary
    assert page.get_by_role("button", name="Signaal sluiten").count() == 0


def test_housing_provider_renews_a_permit_and_the_municipality_approves(
    context: BrowserContext, server: Server, screenshots: Path | None, tmp_path: Path
) -> None:
    org = server.one(
        "select organisation_id from users where email = ?", (ROLE_EMAILS["housing_provider"],)
    )
    # The permit that ends soonest of those still valid (the demo's Maliebaan 3, over its max).
    permit_id, address_id, old_max = server.query(
        "select id, address_id, max_occupants from permits where holder_organisation_id = ?"
        " and status = 'valid' and valid_until >= ? order by valid_until limit 1",
        (org, date.today().isoformat()),
    )[0]
    page = context.new_page()
    log_in(page, server, ROLE_EMAILS["housing_provider"])
    page.goto("/organisatie/vergunningen?lang=nl")
    page.locator(f"main a[href$='/vergunningen/{permit_id}/verlengen']").click()
    page.wait_for_url(re.compile(r"/verlengen$"))
    until = date(date.today().year + 3, 12, 31).isoformat()
    # The form starts a renewal the day after the current permit ends; after the renovation the
    # provider asks for the larger maximum from today, so the address is re-judged at once.
    assert page.input_value("#requested_from") > date.today().isoformat()
    page.fill("#requested_from", date.today().isoformat())
    page.fill("#requested_until", until)
    page.fill("#requested_max_occupants", str(old_max + 4))
    page.fill("#note", "Meer kamers na verbouwing.")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/vergunningen/aanvragen/\d+$"))
    assert page.locator(".flash-success").count() == 1
    reference = server.one(
        "select reference from permit_applications where permit_id = ? order by id desc",
        (permit_id,),
    )
    assert reference in page.inner_text("main")
    assert_accessible(page)

    with page.expect_download() as info:
        page.locator("main a[href$='ontvangstbevestiging.pdf']").first.click()
    pdf = tmp_path / "renewal.pdf"
    info.value.save_as(pdf)
    assert reference in _pdf_text(pdf)

    admin = context.browser.new_context(base_url=server.base_url)  # type: ignore[union-attr]
    try:
        municipal = admin.new_page()
        log_in(municipal, server, ROLE_EMAILS["municipal_admin"])
        municipal.goto("/gemeente/aanvragen?lang=nl")
        municipal.get_by_role("link", name=reference).click()
        municipal.wait_for_url(re.compile(r"/gemeente/aanvragen/\d+$"))
        assert_accessible(municipal)
        if not municipal.input_value("#valid_until"):
            municipal.fill("#valid_until", until)
        municipal.fill("#max_occupants", str(old_max + 4))
        municipal.click("main form[action$='/goedkeuren'] button[type=submit]")
        municipal.wait_for_load_state()
        assert municipal.locator(".flash-success").count() == 1, municipal.inner_text("main")
    finally:
        admin.close()
    assert (
        server.one("select status from permit_applications where reference = ?", (reference,))
        == "approved"
    )
    assert (
        server.one(
            "select max(max_occupants) from permits where address_id = ? and status = 'valid'",
            (address_id,),
        )
        == old_max + 4
    )
    # The address is re-judged at once: with the higher maximum its signal is resolved.
    assert not server.query(
        "select id from flags where address_id = ? and status in ('open', 'in_progress')",
        (address_id,),
    )


BAD_CSV = (
    "postcode;huisnummer;huisletter;toevoeging;bag_id;aantal_bewoners;"
    "waarvan_ingeschreven_brp;startdatum;einddatum;aparte_contracten;namens_kvk\n"
    "{postcode};{number};;;;2;0;{today};;ja;\n"
    "1234 ZZ;1;;;;2;0;{today};;ja;\n"
    "{postcode};{number};;;;nul;0;{today};;ja;\n"
    "{postcode};{number};;;;2;0;31-02-2026;;ja;\n"
)


def test_csv_upload_with_errors_lists_the_bad_rows(
    context: BrowserContext, server: Server, screenshots: Path | None, tmp_path: Path
) -> None:
    postcode, number, _ = _small_free_address(server)
    today = date.today().strftime("%d-%m-%Y")
    upload = tmp_path / "meldingen.csv"
    upload.write_text(BAD_CSV.format(postcode=postcode, number=number, today=today))
    page = context.new_page()
    log_in(page, server, ROLE_EMAILS["declarant"])
    page.goto("/organisatie/meldingen/bulk?lang=nl")
    with page.expect_download() as info:
        page.locator("main a[href$='sjabloon.csv']").first.click()
    template = info.value.path().read_text(encoding="utf-8-sig")
    assert template.splitlines()[0].startswith("postcode;huisnummer")

    page.set_input_files("#file", str(upload))
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/meldingen/bulk/controle/"))
    rows = page.locator("main table tbody tr")
    lines = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert {"3", "4", "5"} <= set(lines), lines
    assert "2" not in lines
    assert_accessible(page)
    shoot(page, screenshots, "batch-check-nl")
    page.goto(page.url.split("?")[0] + "?lang=en")
    assert_accessible(page)
    # Nothing is filed until the user chooses; discard it.
    page.get_by_role("button", name="File nothing").click()
    page.wait_for_load_state()
