"""The README's screenshots and the accessibility statement.

The three README images are made here; refresh them with
``E2E_SCREENSHOTS=docs/screenshots .venv/bin/pytest tests/e2e/test_screenshots.py``
(declaration-form.png, receipt.png, inspector-inbox.png).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.e2e.conftest import Server

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page


def test_readme_screenshots(
    role_page: Callable[[str], Page], server: Server, screenshots: Path | None, tmp_path: Path
) -> None:
    if screenshots is None:  # E2E_SCREENSHOTS not set: made and checked, then thrown away
        screenshots = tmp_path
    declarant = role_page("declarant")
    address = server.one(
        "select a.id from addresses a join municipalities m on m.id = a.municipality_id"
        " where m.code = 'GM0344' and a.uses = 'woonfunctie' order by a.id limit 1"
    )
    declarant.set_viewport_size({"width": 1100, "height": 800})
    declarant.goto(f"/organisatie/meldingen/nieuw/{address}?lang=nl")
    declarant.fill("#occupants", "6")
    declarant.fill("#occupants_registered_brp", "4")
    declarant.screenshot(path=str(screenshots / "declaration-form.png"), full_page=True)

    # A receipt: the newest filing of the demo declarant, rendered to PNG.
    org = server.one(
        "select organisation_id from users where email = 'declarant@flexwerk.demo.meldportaal.nl'"
    )
    receipt = server.one(
        "select r.id from receipts r join declarations d on d.id = r.declaration_id"
        " where d.organisation_id = ? order by r.id desc",
        (org,),
    )
    answer = declarant.request.get(f"/organisatie/ontvangstbevestigingen/{receipt}.pdf")
    assert answer.ok and answer.body().startswith(b"%PDF")
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(answer.body())
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "70",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(screenshots / "receipt"),
        ],
        check=True,
    )
    assert (screenshots / "receipt.png").stat().st_size > 10_000

    inspector = role_page("inspector")
    inspector.set_viewport_size({"width": 1100, "height": 800})
    inspector.goto("/inspectie/signalen?lang=nl")
    inspector.screenshot(path=str(screenshots / "inspector-inbox.png"))
    declarant.set_viewport_size({"width": 1280, "height": 900})
    inspector.set_viewport_size({"width": 1280, "height": 900})


def test_accessibility_statement_is_linked_from_every_page(page: Page, server: Server) -> None:
    page.goto("/?lang=nl")
    page.locator("footer a[href='/toegankelijkheid']").click()
    page.wait_for_url("**/toegankelijkheid")
    assert page.locator("h1").inner_text() == "Toegankelijkheidsverklaring"
    text = page.inner_text("main")
    assert "WCAG" in text and "2.1" in text
    page.goto("/toegankelijkheid?lang=en")
    assert page.locator("h1").inner_text() == "Accessibility statement"
    assert "axe-core" in page.inner_text("main")
