"""Tenant isolation route by route (docs/security.md T5).

Every rule of ``app.url_map`` × every method × eight actors (anonymous, a declarant and an
organisation admin of organisation A, an inspector and a municipal admin of municipality M1, the
system admin, API keys of A and of M1), with every URL parameter filled with an object of the other
tenant (organisation B, municipality M2). See tests/security/matrix.py for the criteria and
tests/security/routes.py for the table every new route must join.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Select

from portal.extensions import db
from portal.models import User
from portal.services import inspection, queries
from tests.security.conftest import ADDRESS_MARKERS, TENANT_MARKERS, World, logged_in
from tests.security.matrix import body_text, format_report, leaked, run_matrix


def test_every_route_keeps_tenants_apart(app: Flask, world: World) -> None:
    report = run_matrix(app, world)
    print(format_report(report))
    assert report.rules_covered == report.rules  # 100% of the routes are in the table
    assert report.violations == [], format_report(report)


def test_the_matrix_catches_a_missing_tenant_filter(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sabotage kept in CI: with the tenant filter of ``queries.restrict`` gone, the matrix must
    report foreign objects answering 200 and tenant-2 data on tenant-1 pages."""

    def no_filter(stmt: Select[Any], model: type[Any], scope: queries.Scope) -> Select[Any]:
        return stmt

    monkeypatch.setattr(queries, "restrict", no_filter)
    report = run_matrix(app, world, actors=("decl_a", "insp_1"))
    text = "\n".join(report.violations)
    assert "[org.declaration]: answered 200" in text, text
    assert "[inspector.flag]: answered 200" in text, text
    assert "shows tenant-2 data" in text, text


# --- lists, search, exports and counts --------------------------------------------------------

INSPECTOR_PAGES = (
    "/inspectie/",
    "/inspectie/adressen",
    "/inspectie/adressen?postcode=2671AA",
    "/inspectie/adressen?postcode=2671+AA",
    "/inspectie/adressen?postcode=Bravokade",
    "/inspectie/signalen?status=all",
    "/inspectie/signalen?status=all&assignee=anyone&sort=postcode",
    "/inspectie/signalen/export.csv?status=all",
    "/inspectie/regio",
    "/inspectie/regio/cijfers.csv",
    "/inspectie/regio/cijfers.xlsx",
    "/inspectie/regio/organisaties.csv",
    "/inspectie/logboek",
    "/inspectie/logboek/export.csv",
)
ORG_PAGES = (
    "/organisatie/",
    "/organisatie/meldingen?status=all",
    "/organisatie/meldingen?status=all&q=Bravokade",
    "/organisatie/meldingen?status=all&municipality=2",
    "/organisatie/meldingen/export.csv?status=all",
    "/organisatie/vergunningen",
    "/organisatie/logboek",
    "/organisatie/logboek/export.csv",
)


def _get(client: Any, url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """Status and text; the searched street echoed in the search box and the language links is no
    leak, so it is left out."""
    response = client.get(url, headers=headers or {})
    text = body_text(response).replace('="Bravokade"', "").replace("=Bravokade", "")
    return response.status_code, text


def test_inspector_of_m1_sees_none_of_m2_in_lists_search_exports_and_counts(
    app: Flask, world: World
) -> None:
    markers = (
        TENANT_MARKERS + ADDRESS_MARKERS + (world["b_reference"], world["b_amended_reference"])
    )
    seen: list[str] = []
    for actor in ("insp_1", "madmin_1"):
        client = logged_in(app, world, actor)
        for url in INSPECTOR_PAGES:
            status, text = _get(client, url)
            assert status == 200, (actor, url, status)
            seen += [f"{actor} {url}: {m}" for m in leaked(text, markers)]
    key = {"Authorization": f"Bearer {world.keys['key_m1']}"}
    api = app.test_client()
    for url in ("/api/v1/flags?status=all", "/api/v1/declarations?status=all"):
        status, text = _get(api, url, key)
        assert status == 200, (url, status)
        seen += [f"key_m1 {url}: {m}" for m in leaked(text, markers)]
    assert seen == []

    # Counts: M1 has one flag (Alfastraat 1); M2's flag is in no count of M1.
    assert api.get("/api/v1/flags?status=all", headers=key).get_json()["total"] == 1
    assert api.get("/api/v1/declarations?status=all", headers=key).get_json()["total"] == 1
    with app.app_context():
        for name in ("insp_1", "madmin_1"):
            user = db.session.get(User, world[name])
            counts = inspection.inbox_counts(queries.scope_of(user), user)
            assert counts.open + counts.in_progress == 1, (name, counts)

    # Control: the same search and export show M2's address to M2's inspector.
    own = logged_in(app, world, "insp_2")
    for url in ("/inspectie/adressen?postcode=2671AA", "/inspectie/signalen/export.csv?status=all"):
        assert "Bravokade" in _get(own, url)[1], url


def test_organisation_a_sees_none_of_bs_declarations_in_lists_exports_and_the_api(
    app: Flask, world: World
) -> None:
    markers = (
        TENANT_MARKERS + ADDRESS_MARKERS + (world["b_reference"], world["b_amended_reference"])
    )
    seen: list[str] = []
    for actor in ("decl_a", "admin_a"):
        client = logged_in(app, world, actor)
        for url in ORG_PAGES:
            status, text = _get(client, url)
            if actor == "decl_a" and "logboek" in url:
                assert status == 404, url  # the log is for organisation admins
                continue
            assert status == 200, (actor, url, status)
            seen += [f"{actor} {url}: {m}" for m in leaked(text, markers)]
        listing = _get(client, "/organisatie/meldingen/export.csv?status=all")[1]
        assert world["a_reference"] in listing
    key = {"Authorization": f"Bearer {world.keys['key_a']}"}
    api = app.test_client()
    for url in (
        "/api/v1/declarations?status=all",
        "/api/v1/declarations?status=all&municipality=GM1783",
    ):
        status, text = _get(api, url, key)
        assert status == 200, (url, status)
        seen += [f"key_a {url}: {m}" for m in leaked(text, markers)]
    assert seen == []
    assert api.get("/api/v1/declarations?status=all", headers=key).get_json()["total"] == 1
    assert (
        api.get("/api/v1/declarations?status=all&municipality=GM1783", headers=key).get_json()[
            "total"
        ]
        == 0
    )

    # The PDFs organisation A gets of its own declaration (the receipt, on the page and through
    # the API) hold A's reference and none of B's data.
    client = logged_in(app, world, "decl_a")
    for response in (
        client.get(f"/organisatie/ontvangstbevestigingen/{world['a_receipt']}.pdf"),
        api.get(f"/api/v1/receipts/{world['a_reference']}.pdf", headers=key),
    ):
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        text = body_text(response)
        assert world["a_reference"] in text.replace("\n", "")
        assert leaked(text, markers) == []

    # Control: B's own list and export show B's declaration.
    own = logged_in(app, world, "decl_b")
    for url in (
        "/organisatie/meldingen?status=all",
        "/organisatie/meldingen/export.csv?status=all",
    ):
        assert world["b_amended_reference"] in _get(own, url)[1], url
