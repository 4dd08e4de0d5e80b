"""The start page of each role says what waits (issue 23, item 4): counts that match the data each
test makes, in Dutch and English with the right plural, each a link to the list of exactly those
items; what belongs to another tenant, is done already or is something else is never counted.

Sabotage (shown by hand, 2026-12-09): with the ``~applied`` condition dropped from
``services.todo.permits_to_renew_query`` the housing provider's test fails (2 permits to renew
instead of 1); with ``scoped(...)`` replaced by ``select(...)`` in
``services.municipal_admin.failed_mail_query`` the municipal test fails (the other
municipality's failed mail is counted: 2 instead of 1).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import (
    Address,
    AddressEntry,
    BatchUpload,
    OutboxMessage,
    Permit,
    PermitApplication,
    User,
)
from portal.services.declarations import file_declaration
from tests.conftest import login

TODO_ITEM = re.compile(r'<li id="todo-([\w-]+)" data-count="(\d+)"><a href="([^"]+)">([^<]+)</a>')


def todo(client: FlaskClient, path: str, lang: str = "en") -> dict[str, tuple[int, str, str]]:
    """The start page's to-do items: id → (count, link, text)."""
    response = client.get(f"{path}?lang={lang}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return {
        name: (int(count), link.replace("&amp;", "&"), text.replace("&#39;", "'"))
        for name, count, link, text in TODO_ITEM.findall(page)
    }


def _declare(app: Flask, user: User, address: Address, start: date, end: date | None) -> None:
    with app.app_context():
        file_declaration(
            db.session.get(User, user.id),
            DeclarationInput(2, start, end, separate_contracts=True),
            address_id=address.id,
        )
        db.session.commit()


def _add(app: Flask, *rows: Any) -> list[int]:
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


# --- organisation: declarant and organisation admin ---------------------------------------------


def test_declarant_sees_declarations_ending_soon_and_own_files_with_errors(
    app: Flask,
    client: FlaskClient,
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
) -> None:
    org, other_org = make_org(), make_org()
    declarant = make_user("declarant", org=org)
    colleague = make_user("org_admin", org=org)
    stranger = make_user("declarant", org=other_org)
    today = clock.today()
    start = today - timedelta(days=20)
    # Two end within 14 days (the last day counts), one after, one ended, one has no end date;
    # another organisation's ending declaration is not counted.
    for number, end in enumerate(
        (
            today + timedelta(days=3),
            today + timedelta(days=14),
            today + timedelta(days=15),
            today - timedelta(days=1),
            None,
        ),
        start=1,
    ):
        _declare(app, declarant, make_address("3511 AB", number), start, end)
    _declare(app, stranger, make_address("3511 AB", 10), start, today + timedelta(days=2))
    # Files checked with errors that wait: one of the declarant's own; not the colleague's, not
    # one without errors, not one kept longer than a day.
    now = clock.now()

    def upload(user: User, bad: int, age: timedelta = timedelta()) -> BatchUpload:
        return BatchUpload(
            token=f"token-{user.id}-{bad}-{age.days}",
            organisation_id=org.id,
            user_id=user.id,
            filename="meldingen.csv",
            content=b"x",
            row_count=10,
            bad_row_count=bad,
            created_at=now - age,
        )

    _add(
        app,
        upload(declarant, 3),
        upload(colleague, 2),
        upload(declarant, 0),
        upload(declarant, 4, timedelta(days=2)),
    )

    login(client, declarant)
    items = todo(client, "/organisatie/")
    assert {name: count for name, (count, _, _) in items.items()} == {
        "declarations-ending": 2,
        "uploads-with-errors": 1,
    }
    assert items["declarations-ending"][2] == "2 declarations end within 14 days"
    assert items["uploads-with-errors"][2] == "1 checked file has errors and waits for your choice"
    dutch = todo(client, "/organisatie/", "nl")
    assert dutch["declarations-ending"][2] == "2 meldingen eindigen binnen 14 dagen"
    assert dutch["uploads-with-errors"][2] == (
        "1 gecontroleerd bestand bevat fouten en wacht op uw keuze"
    )

    # Each link shows exactly those items.
    listed = client.get(items["declarations-ending"][1] + "&lang=en").get_data(as_text=True)
    assert "2 declarations" in listed
    assert len(re.findall(r'href="/organisatie/meldingen/\d+"', listed)) == 2
    batches = client.get(items["uploads-with-errors"][1].split("#")[0]).get_data(as_text=True)
    assert batches.count("/organisatie/meldingen/bulk/controle/") == 1
    assert 'id="waiting"' in batches

    # The organisation admin: the organisation's declarations, and only their own file.
    client.post("/uitloggen")
    login(client, colleague)
    items = todo(client, "/organisatie/")
    assert {name: count for name, (count, _, _) in items.items()} == {
        "declarations-ending": 2,
        "uploads-with-errors": 1,
    }
    batches = client.get("/organisatie/meldingen/bulk").get_data(as_text=True)
    assert f"/organisatie/meldingen/bulk/controle/token-{colleague.id}-2-0" in batches


def test_organisation_without_work_is_told_nothing_waits(
    client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    login_as("org_admin")
    page = client.get("/organisatie/?lang=en").get_data(as_text=True)
    assert "Nothing waits for you right now." in page
    assert '<li id="todo-' not in page


# --- housing provider ---------------------------------------------------------------------------


def _permit(org_id: int | None, municipality_id: int, address: Address, until: date) -> Permit:
    today = clock.today()
    return Permit(
        address_id=address.id,
        municipality_id=municipality_id,
        holder_organisation_id=org_id,
        permit_type="omzettingsvergunning",
        max_occupants=6,
        valid_from=today - timedelta(days=1000),
        valid_until=until,
        decision_reference=f"P-{address.id}",
    )


def _application(permit: Permit, status: str, number: int) -> PermitApplication:
    today = clock.today()
    return PermitApplication(
        reference=f"MH-2026-9{number:05d}",
        permit_id=permit.id,
        organisation_id=permit.holder_organisation_id,
        municipality_id=permit.municipality_id,
        address_id=permit.address_id,
        permit_type=permit.permit_type,
        requested_from=today,
        requested_max_occupants=8,
        status=status,
        submitted_at=clock.now() - timedelta(days=number),
    )


@pytest.fixture
def provider(
    app: Flask,
    make_municipality: Callable[..., Any],
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
) -> dict[str, Any]:
    """A housing provider with permits in every state of the to-do, and another provider."""
    utrecht = make_municipality("GM0344", "Utrecht")
    westland = make_municipality("GM1783", "Westland", "Zuid-Holland")
    holder = make_org(name="Huisvesting B.V.", kinds=("housing_provider",))
    other = make_org(name="Ander B.V.", kinds=("housing_provider",))
    today = clock.today()
    soon, later = today + timedelta(days=30), today + timedelta(days=400)
    permits = {
        "to_renew": _permit(holder.id, utrecht.id, make_address("3511 AA", 1), soon),
        "expiring_applied": _permit(holder.id, utrecht.id, make_address("3511 AA", 2), soon),
        "asked": _permit(holder.id, utrecht.id, make_address("3511 AA", 3), later),
        "asked_too": _permit(holder.id, utrecht.id, make_address("3511 AA", 4), later),
        "rejected": _permit(holder.id, utrecht.id, make_address("3511 AA", 5), later),
        "foreign": _permit(
            other.id, westland.id, make_address("2671 AA", 1, municipality=westland), soon
        ),
        "foreign_asked": _permit(
            other.id, westland.id, make_address("2671 AA", 2, municipality=westland), later
        ),
    }
    _add(app, *permits.values())
    with app.app_context():
        for permit in permits.values():
            db.session.add(permit)
        applications = [
            _application(permits["expiring_applied"], "submitted", 1),
            _application(permits["asked"], "info_requested", 2),
            _application(permits["asked_too"], "info_requested", 3),
            _application(permits["rejected"], "rejected", 4),
            _application(permits["foreign_asked"], "info_requested", 5),
        ]
        db.session.add_all(applications)
        db.session.commit()
    return {
        "user": make_user("declarant", org=holder),
        "utrecht": utrecht,
        "westland": westland,
        "other": make_user("org_admin", org=other),
    }


def test_housing_provider_sees_permits_to_renew_questions_and_waiting_applications(
    app: Flask, client: FlaskClient, provider: dict[str, Any]
) -> None:
    login(client, provider["user"])
    items = todo(client, "/organisatie/")
    assert {name: count for name, (count, _, _) in items.items()} == {
        "questions": 2,
        "permits-to-renew": 1,
        "applications-waiting": 1,
    }
    assert items["questions"][2] == "2 questions from the municipality wait for your answer"
    assert items["permits-to-renew"][2] == (
        "1 permit expires within 90 days without a renewal application"
    )
    assert items["applications-waiting"][2] == (
        "1 renewal application waits for the municipality's decision"
    )
    dutch = todo(client, "/organisatie/", "nl")
    assert dutch["questions"][2] == "2 vragen van de gemeente wachten op uw antwoord"
    assert dutch["permits-to-renew"][2] == (
        "1 vergunning verloopt binnen 90 dagen zonder aanvraag voor verlenging"
    )
    assert dutch["applications-waiting"][2] == (
        "1 verlengingsaanvraag wacht op het besluit van de gemeente"
    )

    # The links: the permit list with only the permit to renew, the applications with the
    # question or waiting for the decision.
    permits = client.get(items["permits-to-renew"][1] + "&lang=en").get_data(as_text=True)
    assert permits.count("data-permit-state=") == 1
    assert "Show all permits" in permits
    questions = client.get(items["questions"][1].split("#")[0] + "&lang=en").get_data(as_text=True)
    assert questions.count("/organisatie/vergunningen/aanvragen/") >= 2
    assert "MH-2026-900002" in questions and "MH-2026-900003" in questions
    assert "MH-2026-900001" not in questions.split('id="applications"')[1]
    assert "MH-2026-900004" not in questions
    waiting = client.get(items["applications-waiting"][1].split("#")[0]).get_data(as_text=True)
    assert "MH-2026-900001" in waiting.split('id="applications"')[1]
    assert "MH-2026-900002" not in waiting.split('id="applications"')[1]

    # The other provider's own count: its one question, never ours.
    client.post("/uitloggen")
    login(client, provider["other"])
    items = todo(client, "/organisatie/")
    assert {name: count for name, (count, _, _) in items.items()} == {
        "questions": 1,
        "permits-to-renew": 1,
    }
    assert items["questions"][2] == "1 question from the municipality waits for your answer"


# --- municipal admin ----------------------------------------------------------------------------


def _failed(recipient: str, status: str = "failed", error: str = "550 no such user") -> Any:
    return OutboxMessage(
        kind="flag_alert",
        recipient=recipient,
        subject=f"Signaal voor {recipient}",
        body_text="…",
        status=status,
        attempts=8 if status == "failed" else 2,
        last_error=error,
    )


def _conflict(app: Flask, org_id: int, municipality_id: int, state: str, number: int) -> None:
    with app.app_context():
        address = Address(
            street="Nieuwe Weg",
            house_number=number,
            postcode="5911 AB",
            town="Venlo",
            municipality_id=municipality_id,
            verified=False,
        )
        db.session.add(address)
        db.session.flush()
        for street in ("Nieuwe Weg", "Nieuweweg"):
            db.session.add(
                AddressEntry(
                    address_id=address.id,
                    organisation_id=org_id,
                    street=street,
                    town="Venlo",
                    municipality_id=municipality_id,
                    state=state,
                )
            )
        db.session.commit()


def test_municipal_admin_sees_applications_conflicts_and_failed_mail(
    app: Flask,
    client: FlaskClient,
    provider: dict[str, Any],
    make_user: Callable[..., Any],
    make_org: Callable[..., Any],
    make_address: Callable[..., Any],
) -> None:
    utrecht, westland = provider["utrecht"], provider["westland"]
    admin = make_user("municipal_admin", municipality=utrecht)
    inspector = make_user("inspector", municipality=utrecht)
    foreign_inspector = make_user("inspector", municipality=westland)
    org = make_org()
    # Applications: the provider's submitted one waits in Utrecht (the questions wait for the
    # provider, the rejected one is done); one more submitted in Utrecht, one in Westland.
    with app.app_context():
        extra = _permit(None, utrecht.id, make_address("3511 AA", 8), clock.today())
        westland_permit = _permit(
            None, westland.id, make_address("2671 AA", 9, municipality=westland), clock.today()
        )
        db.session.add_all([extra, westland_permit])
        db.session.flush()
        for permit, number in ((extra, 6), (westland_permit, 7)):
            application = _application(permit, "submitted", number)
            application.organisation_id = org.id
            db.session.add(application)
        db.session.commit()
    # Address conflicts: two open in Utrecht, one decided, one open in Westland.
    _conflict(app, org.id, utrecht.id, "open", 1)
    _conflict(app, org.id, utrecht.id, "open", 2)
    _conflict(app, org.id, utrecht.id, "accepted", 3)
    _conflict(app, org.id, westland.id, "open", 4)
    # Mail: one failed to Utrecht's inspector; not one still being tried, not one to Westland's
    # inspector, not one to an address outside the municipality.
    _add(
        app,
        _failed(inspector.email),
        _failed(inspector.email, "pending", "421 try later"),
        _failed(foreign_inspector.email),
        _failed("someone@example.org"),
    )

    login(client, admin)
    items = todo(client, "/gemeente/")
    assert {name: count for name, (count, _, _) in items.items()} == {
        "applications-waiting": 2,
        "address-conflicts": 2,
        "failed-mail": 1,
    }
    assert items["applications-waiting"][2] == "2 renewal applications wait for your decision"
    assert items["address-conflicts"][2] == "2 address conflicts wait for your decision"
    assert items["failed-mail"][2] == (
        "1 email to your municipality's people could not be delivered"
    )
    dutch = todo(client, "/gemeente/", "nl")
    assert dutch["applications-waiting"][2] == "2 verlengingsaanvragen wachten op uw besluit"
    assert dutch["address-conflicts"][2] == "2 adresconflicten wachten op uw besluit"
    assert dutch["failed-mail"][2] == (
        "1 e-mail aan medewerkers van uw gemeente kon niet worden bezorgd"
    )

    applications = client.get(items["applications-waiting"][1]).get_data(as_text=True)
    assert applications.count('data-application-status="submitted"') == 2
    assert 'data-application-status="info_requested"' not in applications
    mail = client.get(items["failed-mail"][1]).get_data(as_text=True)
    assert inspector.email in mail
    assert foreign_inspector.email not in mail and "someone@example.org" not in mail
    assert client.get(items["address-conflicts"][1]).status_code == 200


# --- system admin -------------------------------------------------------------------------------


def test_system_admin_sees_failed_mail(
    app: Flask, client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    _add(
        app,
        _failed("a@example.org"),
        _failed("b@example.org"),
        _failed("c@example.org", "pending", "421 try later"),
        _failed("d@example.org", "sent", ""),
    )
    login_as("system_admin")
    items = todo(client, "/beheer/")
    assert items == {
        "failed-mail": (2, "/beheer/uitgaande-mail?status=failed", "2 emails could not be sent")
    }
    assert (
        todo(client, "/beheer/", "nl")["failed-mail"][2] == "2 e-mails konden niet worden verstuurd"
    )
    listed = client.get("/beheer/uitgaande-mail?status=failed").get_data(as_text=True)
    assert "a@example.org" in listed and "b@example.org" in listed
    assert "c@example.org" not in listed
    both = client.get("/beheer/uitgaande-mail").get_data(as_text=True)
    assert "c@example.org" in both  # the page without the filter shows both kinds of trouble


def test_one_failed_mail_is_told_in_the_singular(
    app: Flask, client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    _add(app, _failed("a@example.org"))
    login_as("system_admin")
    assert todo(client, "/beheer/")["failed-mail"][2] == "1 email could not be sent"
    assert todo(client, "/beheer/", "nl")["failed-mail"][2] == "1 e-mail kon niet worden verstuurd"


# --- inspector ----------------------------------------------------------------------------------


def test_inspector_start_page_counts_the_open_flags_that_need_work(
    app: Flask,
    client: FlaskClient,
    make_municipality: Callable[..., Any],
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
) -> None:
    """The inspector's page already said what waits (open, in progress, assigned to you); it
    counts flags of the own municipality only."""
    utrecht = make_municipality("GM0344", "Utrecht")
    westland = make_municipality("GM1783", "Westland", "Zuid-Holland")
    declarant = make_user("declarant")
    today = clock.today()
    for number in (1, 2):  # 6 of at most 4 without a permit: a flag each
        with app.app_context():
            file_declaration(
                db.session.get(User, declarant.id),
                DeclarationInput(6, today, separate_contracts=True),
                address_id=make_address("3511 AB", number, municipality=utrecht).id,
            )
            db.session.commit()
    with app.app_context():
        file_declaration(
            db.session.get(User, declarant.id),
            DeclarationInput(6, today, separate_contracts=True),
            address_id=make_address("2671 AA", 1, municipality=westland).id,
        )
        db.session.commit()
    login(client, make_user("inspector", municipality=utrecht))
    page = client.get("/inspectie/?lang=en").get_data(as_text=True)
    assert re.search(r'id="count-open">2<', page)
    assert re.search(r'id="count-in-progress">0<', page)
    assert 'href="/inspectie/signalen?status=open"' in page
