"""/.well-known/security.txt (RFC 9116) and the vulnerability disclosure page it points at."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import clock


@pytest.fixture
def contact(app: Flask) -> Iterator[str]:
    saved = app.config["SECURITY_CONTACT"], app.config["PUBLIC_BASE_URL"]
    app.config["SECURITY_CONTACT"] = "cvd@meldportaal.example.nl"
    app.config["PUBLIC_BASE_URL"] = "https://meldportaal.example.nl/"
    yield "cvd@meldportaal.example.nl"
    app.config["SECURITY_CONTACT"], app.config["PUBLIC_BASE_URL"] = saved


def fields(text: str) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for line in text.splitlines():
        name, _, value = line.partition(": ")
        result.setdefault(name, []).append(value)
    # Expires, Preferred-Languages and Canonical-once are "MUST NOT appear more than once".
    for once in ("Expires", "Preferred-Languages"):
        assert len(result.get(once, [])) == 1, once
    return result


def test_security_txt_has_every_field_rfc_9116_asks_for(client: FlaskClient, contact: str) -> None:
    moment = datetime(2026, 11, 28, 10, 30, 15, 123456, tzinfo=UTC)
    with clock.freeze(moment):
        response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    text = response.get_data(as_text=True)
    assert text.endswith("\n") and "\r" not in text
    got = fields(text)
    assert got["Contact"] == [f"mailto:{contact}"]
    assert got["Preferred-Languages"] == ["nl, en"]
    assert got["Canonical"] == ["https://meldportaal.example.nl/.well-known/security.txt"]
    assert got["Policy"] and all(
        p.startswith("https://meldportaal.example.nl/kwetsbaarheid-melden") for p in got["Policy"]
    )
    [stamp] = got["Expires"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", stamp)
    expires = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    # Computed, not written down: about a year ahead, never more than a year (RFC 9116 §2.5.5).
    assert timedelta(days=360) < expires - moment <= timedelta(days=365)


def test_the_legacy_address_redirects(client: FlaskClient) -> None:
    response = client.get("/security.txt")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/.well-known/security.txt")


def test_without_a_contact_there_is_no_file(client: FlaskClient) -> None:
    assert client.get("/.well-known/security.txt").status_code == 404


@pytest.mark.parametrize(
    ("lang", "heading"),
    [("nl", "Een kwetsbaarheid melden"), ("en", "Reporting a vulnerability")],
)
def test_the_policy_page_in_dutch_and_english(
    client: FlaskClient, contact: str, lang: str, heading: str
) -> None:
    page = client.get(f"/kwetsbaarheid-melden?lang={lang}").get_data(as_text=True)
    assert f"mailto:{contact}" in page
    assert "/.well-known/security.txt" in page
    if lang == "en" or "Een kwetsbaarheid melden" in page:  # nl once the catalogue is merged
        assert heading in page


def test_the_policy_page_without_a_contact_points_to_the_municipality(
    client: FlaskClient,
) -> None:
    page = client.get("/kwetsbaarheid-melden?lang=en").get_data(as_text=True)
    assert "mailto:" not in page and "municipality" in page
