"""Lists sort by their main columns, on the server (issue 23, item 4): the declarations, the
inspectors' signals, the permit register and the renewal applications.

For each list: the order follows ``?sort=`` and ``?dir=``; the column headers are links that keep
the filters and the page, the sorted header has ``aria-sort`` and says its direction in words; an
unknown column or direction gives the default order (status 200, never an error).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import Permit, PermitApplication, User
from portal.services.declarations import file_declaration
from tests.conftest import login


def order(page: str, markers: list[str]) -> list[str]:
    """``markers`` in the order they appear in the page's table body."""
    body = page.split("<tbody>", 1)[1]
    assert all(m in body for m in markers), [m for m in markers if m not in body]
    return sorted(markers, key=body.index)


def headers(page: str) -> dict[str, tuple[str | None, dict[str, list[str]], str]]:
    """Each sortable header: its sort column → (aria-sort, the link's query, the header's text)."""
    found = {}
    for attrs, href, text in re.findall(
        r'<th scope="col"([^>]*)>\s*<a href="([^"]+)" class="sort-link">(.*?)</a>', page, re.S
    ):
        query = parse_qs(urlsplit(html.unescape(href)).query)
        aria = re.search(r'aria-sort="(\w+)"', attrs)
        found[query["sort"][0]] = (aria.group(1) if aria else None, query, text)
    return found


def check_headers(page: str, column: str, direction: str, kept: dict[str, str]) -> None:
    """Only ``column`` has aria-sort (``direction``) and its words; every header link keeps
    ``kept`` (filters, page); the sorted column's link turns the direction round."""
    found = headers(page)
    assert found, "no sortable headers"
    sorted_headers = {name: aria for name, (aria, _, _) in found.items() if aria}
    assert sorted_headers == {column: direction}
    words = "sorted descending" if direction == "descending" else "sorted ascending"
    assert f'<span class="visually-hidden"> ({words})</span>' in found[column][2]
    for name, (_, query, _) in found.items():
        for key, value in kept.items():
            assert query.get(key) == [value], (name, key, query)
    other = "asc" if direction == "descending" else "desc"
    assert found[column][1]["dir"] == [other]


def _get(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


# --- the organisation's declarations ------------------------------------------------------------


def test_declarations_sort_by_reference_address_occupants_and_period(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
) -> None:
    user = make_user("declarant")
    today = clock.today()
    rows = (  # street, occupants, start (days from today); filed in this order
        ("Bemuurde Weerd", 3, -10),
        ("Amsterdamsestraatweg", 1, -30),
        ("Catharijnesingel", 2, -20),
    )
    for number, (street, occupants, start) in enumerate(rows, start=1):
        address = make_address("3511 AB", number, street=street)
        with app.app_context():
            file_declaration(
                db.session.get(User, user.id),
                DeclarationInput(occupants, today + timedelta(days=start), separate_contracts=True),
                address_id=address.id,
            )
            db.session.commit()
    login(client, user)
    streets = [street for street, _, _ in rows]

    def listed(query: str) -> list[str]:
        return order(_get(client, f"/organisatie/meldingen?lang=en&{query}"), streets)

    newest_first = ["Catharijnesingel", "Amsterdamsestraatweg", "Bemuurde Weerd"]
    assert listed("") == newest_first  # the default: reference (filing order), newest first
    assert listed("sort=reference&dir=asc") == newest_first[::-1]
    assert listed("sort=address") == sorted(streets)
    assert listed("sort=address&dir=desc") == sorted(streets, reverse=True)
    assert listed("sort=occupants") == [
        "Bemuurde Weerd",
        "Catharijnesingel",
        "Amsterdamsestraatweg",
    ]
    assert listed("sort=occupants&dir=asc") == [
        "Amsterdamsestraatweg",
        "Catharijnesingel",
        "Bemuurde Weerd",
    ]
    assert listed("sort=period&dir=asc") == [
        "Amsterdamsestraatweg",
        "Catharijnesingel",
        "Bemuurde Weerd",
    ]
    # Unknown values: the default order, no error.
    assert listed("sort=drop+table&dir=sideways") == newest_first
    assert listed("sort=address&dir=sideways") == sorted(streets)  # the column's own direction

    page = _get(client, "/organisatie/meldingen?lang=en&status=all&q=straat&page=1&sort=address")
    check_headers(page, "address", "ascending", {"status": "all", "q": "straat", "page": "1"})
    # The filter form keeps the sort.
    assert '<input type="hidden" name="sort" value="address">' in page
    page = _get(client, "/organisatie/meldingen?lang=nl&sort=occupants")
    check_headers_nl = headers(page)["occupants"]
    assert check_headers_nl[0] == "descending"
    assert "(aflopend gesorteerd)" in check_headers_nl[2]


# --- the inspectors' signals --------------------------------------------------------------------


def test_signals_sort_by_address_severity_and_age_in_both_directions(
    app: Flask,
    client: FlaskClient,
    make_municipality: Callable[..., Any],
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
) -> None:
    utrecht = make_municipality("GM0344", "Utrecht")
    declarant = make_user("declarant")
    now = clock.now()
    rows = (  # street, postcode, occupants (limit 4 without a permit), opened days ago
        ("Amsterdamsestraatweg", "3521 CD", 5, 9),
        ("Biltstraat", "3531 EF", 8, 3),
        ("Catharijnesingel", "3511 GH", 6, 0),
    )
    for number, (street, postcode, occupants, days) in enumerate(rows, start=1):
        address = make_address(postcode, number, municipality=utrecht, street=street)
        with clock.freeze(now - timedelta(days=days)), app.app_context():
            file_declaration(
                db.session.get(User, declarant.id),
                DeclarationInput(occupants, clock.today(), separate_contracts=True),
                address_id=address.id,
            )
            db.session.commit()
    login(client, make_user("inspector", municipality=utrecht))
    streets = [street for street, _, _, _ in rows]

    def listed(query: str) -> list[str]:
        return order(_get(client, f"/inspectie/signalen?lang=en&{query}"), streets)

    most_severe = ["Biltstraat", "Catharijnesingel", "Amsterdamsestraatweg"]
    assert listed("") == most_severe
    assert listed("sort=severity&dir=asc") == most_severe[::-1]
    assert listed("sort=age") == ["Amsterdamsestraatweg", "Biltstraat", "Catharijnesingel"]
    assert listed("sort=age&dir=desc") == ["Catharijnesingel", "Biltstraat", "Amsterdamsestraatweg"]
    assert listed("sort=postcode") == ["Catharijnesingel", "Amsterdamsestraatweg", "Biltstraat"]
    assert listed("sort=postcode&dir=desc") == [
        "Biltstraat",
        "Amsterdamsestraatweg",
        "Catharijnesingel",
    ]
    assert listed("sort=%3Cscript%3E&dir=up") == most_severe

    page = _get(client, "/inspectie/signalen?lang=en&status=all&assignee=anyone&sort=age")
    check_headers(page, "age", "ascending", {"status": "all", "assignee": "anyone"})
    # The export link follows the same order.
    assert "dir=asc" in page.split("export.csv", 1)[1].split('"', 1)[0]


# --- the permit register ------------------------------------------------------------------------


def test_permit_register_sorts_by_its_columns(
    app: Flask,
    client: FlaskClient,
    make_municipality: Callable[..., Any],
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
) -> None:
    utrecht = make_municipality("GM0344", "Utrecht")
    holders = {
        name: make_org(name=name, kinds=("housing_provider",))
        for name in ("Beta B.V.", "Alfa B.V.")
    }
    today = clock.today()
    rows = (  # reference, postcode, holder, maximum, last day
        ("REF-B", "3512 AA", "Alfa B.V.", 8, today + timedelta(days=400)),
        ("REF-C", "3511 AA", None, 4, None),
        ("REF-A", "3513 AA", "Beta B.V.", 12, today + timedelta(days=30)),
    )
    addresses = [
        make_address(postcode, number, municipality=utrecht)
        for number, (_, postcode, _, _, _) in enumerate(rows, start=1)
    ]
    with app.app_context():
        for address, (reference, _, holder, maximum, until) in zip(addresses, rows, strict=True):
            db.session.add(
                Permit(
                    address_id=address.id,
                    municipality_id=utrecht.id,
                    holder_organisation_id=holders[holder].id if holder else None,
                    permit_type="omzettingsvergunning",
                    max_occupants=maximum,
                    valid_from=today - timedelta(days=100),
                    valid_until=until,
                    decision_reference=reference,
                )
            )
        db.session.commit()
    login(client, make_user("municipal_admin", municipality=utrecht))
    references = ["REF-A", "REF-B", "REF-C"]

    def listed(query: str) -> list[str]:
        return order(_get(client, f"/gemeente/vergunningen?lang=en&{query}"), references)

    assert listed("") == ["REF-C", "REF-B", "REF-A"]  # the default: address (postcode) order
    assert listed("sort=address&dir=desc") == ["REF-A", "REF-B", "REF-C"]
    assert listed("sort=reference") == ["REF-A", "REF-B", "REF-C"]
    assert listed("sort=reference&dir=desc") == ["REF-C", "REF-B", "REF-A"]
    assert listed("sort=holder") == ["REF-B", "REF-A", "REF-C"]  # without a holder: last
    assert listed("sort=maximum") == ["REF-A", "REF-B", "REF-C"]  # the most first
    assert listed("sort=valid_until") == ["REF-A", "REF-B", "REF-C"]  # without an end: last
    assert listed("sort=valid_until&dir=desc") == ["REF-C", "REF-B", "REF-A"]
    assert listed("sort=nonsense") == ["REF-C", "REF-B", "REF-A"]

    page = _get(client, "/gemeente/vergunningen?lang=en&state=valid&q=Utrecht&page=1&sort=maximum")
    check_headers(page, "maximum", "descending", {"state": "valid", "q": "Utrecht", "page": "1"})


# --- renewal applications ------------------------------------------------------------------------


def test_renewal_applications_sort_and_filter_by_status(
    app: Flask,
    client: FlaskClient,
    make_municipality: Callable[..., Any],
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
) -> None:
    utrecht = make_municipality("GM0344", "Utrecht")
    now = clock.now()
    rows = (  # reference, applicant, status, maximum, filed days ago
        ("MH-2026-000011", "Beta B.V.", "approved", 9, 1),
        ("MH-2026-000012", "Alfa B.V.", "submitted", 7, 5),
        ("MH-2026-000013", "Gamma B.V.", "info_requested", 11, 3),
    )
    made = [
        (make_org(name=name), make_address("3511 AA", number, municipality=utrecht))
        for number, (_, name, _, _, _) in enumerate(rows, start=1)
    ]
    with app.app_context():
        for number, ((reference, _, status, maximum, days), (org, address)) in enumerate(
            zip(rows, made, strict=True), start=1
        ):
            permit = Permit(
                address_id=address.id,
                municipality_id=utrecht.id,
                holder_organisation_id=org.id,
                permit_type="omzettingsvergunning",
                max_occupants=6,
                valid_from=date(2020, 1, 1),
                decision_reference=f"P-{number}",
            )
            db.session.add(permit)
            db.session.flush()
            db.session.add(
                PermitApplication(
                    reference=reference,
                    permit_id=permit.id,
                    organisation_id=org.id,
                    municipality_id=utrecht.id,
                    address_id=address.id,
                    permit_type="omzettingsvergunning",
                    requested_from=clock.today(),
                    requested_max_occupants=maximum,
                    status=status,
                    submitted_at=now - timedelta(days=days),
                )
            )
        db.session.commit()
    login(client, make_user("municipal_admin", municipality=utrecht))
    references = [reference for reference, _, _, _, _ in rows]
    a, b, c = references

    def listed(query: str) -> list[str]:
        page = _get(client, f"/gemeente/aanvragen?lang=en&{query}")
        return order(page, [r for r in references if r in page.split("<tbody>", 1)[1]])

    assert listed("") == [c, b, a]  # the default: open ones first, newest first
    assert listed("sort=status&dir=desc") == [a, c, b]  # decided first
    assert listed("sort=applicant") == [b, a, c]
    assert listed("sort=submitted") == [a, c, b]  # newest first
    assert listed("sort=submitted&dir=asc") == [b, c, a]
    assert listed("sort=maximum") == [c, a, b]
    assert listed("sort=reference&dir=asc") == [b, c, a]  # filing order
    assert listed("sort=%27;--") == [c, b, a]
    # The status filter.
    assert listed("status=submitted") == [b]
    assert listed("status=open&sort=applicant") == [b, c]
    assert listed("status=rubbish") == [c, b, a]

    page = _get(client, "/gemeente/aanvragen?lang=en&status=open&sort=applicant&dir=desc")
    check_headers(page, "applicant", "descending", {"status": "open"})


# --- the housing provider's permits --------------------------------------------------------------


def test_housing_providers_permits_sort_by_their_columns(
    app: Flask,
    client: FlaskClient,
    make_municipality: Callable[..., Any],
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
) -> None:
    utrecht = make_municipality("GM0344", "Utrecht")
    holder = make_org(kinds=("housing_provider",))
    today = clock.today()
    rows = (  # street, maximum, last day (expiring within 90 days comes first by default)
        ("Amsterdamsestraatweg", 6, today + timedelta(days=400)),
        ("Biltstraat", 12, today + timedelta(days=30)),
        ("Catharijnesingel", 9, None),
    )
    addresses = [
        make_address("3511 AA", number, municipality=utrecht, street=street)
        for number, (street, _, _) in enumerate(rows, start=1)
    ]
    with app.app_context():
        for address, (street, maximum, until) in zip(addresses, rows, strict=True):
            db.session.add(
                Permit(
                    address_id=address.id,
                    municipality_id=utrecht.id,
                    holder_organisation_id=holder.id,
                    permit_type="omzettingsvergunning",
                    max_occupants=maximum,
                    valid_from=today - timedelta(days=100),
                    valid_until=until,
                    decision_reference=street,
                )
            )
        db.session.commit()
    login(client, make_user("declarant", org=holder))
    streets = [street for street, _, _ in rows]
    a, b, c = streets

    def listed(query: str) -> list[str]:
        return order(_get(client, f"/organisatie/vergunningen?lang=en&{query}"), streets)

    assert listed("")[0] == b  # the default: most urgent (expiring) first
    assert listed("sort=address") == [a, b, c]
    assert listed("sort=address&dir=desc") == [c, b, a]
    assert listed("sort=maximum") == [b, c, a]
    assert listed("sort=valid_until") == [b, a, c]  # without an end: last
    assert listed("sort=no-such-column") == listed("")

    page = _get(client, "/organisatie/vergunningen?lang=en&status=open&sort=maximum&dir=asc")
    check_headers(page, "maximum", "ascending", {"status": "open"})
    assert order(page, streets) == [a, c, b]
