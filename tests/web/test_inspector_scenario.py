"""The inspector issue's acceptance scenario on the demo data, as a new user would do it.

Two demo agencies declare 6 + 5 at one Utrecht address → a flag; the demo inspector logs in with
a TOTP code, finds the flag at the top of the inbox, opens the dossier, assigns it, records an
outcome and closes it; a new over-limit declaration reopens it, and the dispatcher delivers the
alert to the municipality's alert address on a real SMTP server on loopback.
"""

from __future__ import annotations

import re
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from portal import clock
from portal.demo.load import DEMO_PASSWORD
from portal.extensions import db
from portal.models import Address, Flag, Municipality
from portal.notifications.sender import send_pending
from tests.conftest import login


class Sink:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


def _client(app: Flask, email: str) -> Any:
    client = app.test_client()
    user = type("U", (), {"email": email})()
    login(client, user, DEMO_PASSWORD)  # type: ignore[arg-type]
    return client


def _declare(client: Any, address_id: int, occupants: int) -> None:
    form = {
        "occupants": str(occupants),
        "start_date": clock.today().isoformat(),
        "separate_contracts": "yes",
    }
    response = client.post(f"/organisatie/meldingen/nieuw/{address_id}", data=form)
    assert response.status_code == 302


def test_inspector_works_a_flag_and_a_new_breach_reopens_it_with_an_alert(
    app: Flask, runner: Any
) -> None:
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        address_id = db.session.execute(
            select(Address.id)
            .join(Municipality)
            .where(
                Municipality.code == "GM0344",
                Address.uses == "woonfunctie",
                Address.floor_area_m2.between(60, 130),
            )
            .order_by(Address.id)
            .limit(1)
        ).scalar_one()
    agency = _client(app, "declarant@flexwerk.demo.meldportaal.nl")
    second = _client(app, "beheer@westlandpersoneel.demo.meldportaal.nl")
    _declare(agency, address_id, 6)
    _declare(second, address_id, 5)
    with app.app_context():
        flag_id = db.session.execute(
            select(Flag.id).where(Flag.address_id == address_id)
        ).scalar_one()

    inspector = _client(app, "inspecteur@utrecht.demo.meldportaal.nl")
    inbox = inspector.get("/inspectie/signalen?lang=en").get_data(as_text=True)
    links = re.findall(r'href="/inspectie/signalen/(\d+)"', inbox)
    assert links and int(links[0]) == flag_id  # at the top
    dossier = inspector.get(f"/inspectie/signalen/{flag_id}?lang=en").get_data(as_text=True)
    assert "Flexwerk Uitzendbureau B.V." in dossier and "<svg" in dossier

    with app.app_context():
        from portal.models import User

        me = db.session.execute(
            select(User.id).where(User.email == "inspecteur@utrecht.demo.meldportaal.nl")
        ).scalar_one()
    assert inspector.post(
        f"/inspectie/signalen/{flag_id}/toewijzen", data={"assignee": str(me)}
    ).status_code in (302, 303)
    inspector.post(f"/inspectie/signalen/{flag_id}/status", data={"to_status": "in_progress"})
    response = inspector.post(
        f"/inspectie/signalen/{flag_id}/status",
        data={"to_status": "resolved", "outcome": "warning"},
    )
    assert response.status_code in (302, 303)
    with app.app_context():
        flag = db.session.get(Flag, flag_id)
        assert (flag.status, flag.outcome) == ("resolved", "warning")

    # Deliver what is pending so far, then watch for the reopening alert only.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = {**app.config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port}
        with app.app_context():
            send_pending(config)
        before = len(sink.messages)

        _declare(agency, address_id, 2)  # still over the limit: the flag reopens
        with app.app_context():
            flag = db.session.get(Flag, flag_id)
            assert flag.status == "open" and flag.occupants == 13
            send_pending(config)
        new = sink.messages[before:]
        recipients = {m["To"] for m in new}
        assert "signalen@utrecht.demo.meldportaal.nl" in recipients
        alert = next(m for m in new if m["To"] == "signalen@utrecht.demo.meldportaal.nl")
        body = alert.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]

        assert f"/inspectie/signalen/{flag_id}" in body
        assert "Flexwerk" not in body and "Westland Personeel" not in body
        assert re.search(r"\b13\b", body.replace(f"/inspectie/signalen/{flag_id}", "")) is None
    finally:
        controller.stop()
