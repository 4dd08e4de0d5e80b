"""The audit log fits a 1280-pixel window (issue 21 C): no table wider than the page, long cells
wrap. Events with long unbreakable texts are added to the demo data first, one in an organisation's
log and one in a municipality's (the system administrator sees both)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from portal import create_app
from portal.extensions import db
from portal.services import audit
from tests.conftest import overrides_for
from tests.e2e.conftest import ROLE_EMAILS, Server

if TYPE_CHECKING:
    from playwright.sync_api import Page

LONG = "api-key:" + "Langesleutelnaamzonderspaties" * 5
WIDTHS = """() => {
  const table = document.querySelector('table.audit-log');
  const main = document.querySelector('main');
  return {
    rows: table ? table.querySelectorAll('tbody tr').length : 0,
    table: table ? table.getBoundingClientRect().right : 0,
    main: main.getBoundingClientRect().right,
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  };
}"""


@pytest.fixture(scope="module")
def long_events(server: Server) -> None:
    app = create_app(overrides_for(server.database_url))
    org = server.one(
        "select organisation_id from users where email = ?", (ROLE_EMAILS["org_admin"],)
    )
    mun = server.one(
        "select municipality_id from users where email = ?", (ROLE_EMAILS["inspector"],)
    )
    with app.app_context():
        for tenant in ({"organisation_id": org}, {"municipality_id": mun}):
            audit.record(
                "declaration.export",
                actor_label=LONG,
                object_type="declaration",
                object_id="MH-2026-" + "9" * 30,
                detail="rows=123456",
                **tenant,
            )
        db.session.commit()
        db.engine.dispose()


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("org_admin", "/organisatie/logboek"),
        ("inspector", "/inspectie/logboek"),
        ("system_admin", "/beheer/logboek"),
    ],
)
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_audit_log_fits_a_1280_pixel_window(
    long_events: None, role_page: Callable[[str], Page], role: str, path: str, lang: str
) -> None:
    page = role_page(role)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{path}?lang={lang}")
    sizes = page.evaluate(WIDTHS)
    assert sizes["rows"] > 0
    assert "Langesleutelnaam" in page.inner_text("main")
    assert sizes["table"] <= sizes["main"] + 1, sizes
    assert sizes["scroll"] <= sizes["client"], sizes
